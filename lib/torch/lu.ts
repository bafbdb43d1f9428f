// torch.lu (the older form of torch.linalg.lu_factor): PyTorch's is Python over the same kernel.
import { linalgLuFactorEx } from '../generated/namespaces.js';
import type { Tensor } from './tensor.js';

/**
 * torch.lu(A, pivot=True, get_infos=False): [LU, pivots], plus infos with getInfos (then a
 * singular A is reported there rather than thrown, as in PyTorch).
 */
export function lu(A: Tensor, options?: { pivot?: boolean; getInfos?: boolean }): Tensor[] {
  const getInfos = options?.getInfos ?? false;
  const [LU, pivots, infos] = linalgLuFactorEx(A, { pivot: options?.pivot ?? true, checkErrors: !getInfos });
  if (getInfos) return [LU, pivots, infos];
  infos.dispose();
  return [LU, pivots];
}
