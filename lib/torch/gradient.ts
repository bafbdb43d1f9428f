// torch.gradient: central differences along one or more dims. libtorch has the kernel under
// several overloads; this picks one from what `spacing` holds, as PyTorch's Python binding does.
import { $gradient_scalars, $gradient_tensors } from '../generated/impl.js';
import { describe } from './marshal.js';
import { Tensor } from './tensor.js';

export interface GradientOptions {
  /** A step for every dim, one step per dim, or one tensor of coordinates per dim. */
  spacing?: number | number[] | Tensor[];
  dim?: number | number[];
  edgeOrder?: number;
}

/** torch.gradient(input, *, spacing=1, dim=None, edge_order=1): one tensor per dim. */
export function gradient(input: Tensor, options?: GradientOptions): Tensor[] {
  if (!(input instanceof Tensor)) throw new TypeError(`gradient: 'input' must be a Tensor, got ${describe(input)}`);
  const dim = options?.dim ?? null;
  const edgeOrder = options?.edgeOrder ?? 1;
  const spacing = options?.spacing ?? 1;
  if (typeof spacing === 'number') {
    // One step for all: repeat it once per dim the gradient is taken along.
    const n = dim === null ? input.dim() : typeof dim === 'number' ? 1 : dim.length;
    return $gradient_scalars(input, new Array(n).fill(spacing), dim, edgeOrder);
  }
  if (Array.isArray(spacing) && spacing.every((s) => typeof s === 'number')) {
    return $gradient_scalars(input, spacing as number[], dim, edgeOrder);
  }
  if (Array.isArray(spacing) && spacing.every((s) => s instanceof Tensor)) {
    return $gradient_tensors(input, spacing as Tensor[], dim, edgeOrder);
  }
  throw new TypeError(`gradient: 'spacing' must be a number, an array of numbers or an array of Tensors`);
}
