// The ops of PyTorch's torch/functional.py: Python front ends over one ATen kernel each
// (unique, uniqueConsecutive, meshgrid, cartesianProd, blockDiag, tensordot, cdist,
// chainMatmul). The kernels are `i` lines of scripts/codegen/ops.table, so values and gradients
// are libtorch's; this file does what the Python does around them (variadic tensors, the
// choice of results, the dims of tensordot, cdist's compute modes).
import {
  $block_diag,
  $cartesian_prod,
  $cdist,
  $chain_matmul,
  $meshgrid,
  $tensordot,
  $unique,
  $unique_consecutive,
  $unique_dim,
} from '../generated/impl.js';
import { describe, isOptions } from './marshal.js';
import { Tensor } from './tensor.js';

export interface UniqueOptions {
  sorted?: boolean;
  returnInverse?: boolean;
  returnCounts?: boolean;
  dim?: number | null;
}
export interface UniqueConsecutiveOptions {
  returnInverse?: boolean;
  returnCounts?: boolean;
  dim?: number | null;
}
type BothFlags = { returnInverse: true; returnCounts: true };
type OneFlag = { returnInverse: true; returnCounts?: false } | { returnInverse?: false; returnCounts: true };
type NoFlag = { returnInverse?: false; returnCounts?: false };

function optionsOf<T extends object>(op: string, options: unknown, names: string): T {
  if (options === undefined) return {} as T;
  if (!isOptions(options))
    throw new TypeError(`${op}: expected an options object {${names}}, got ${describe(options)}`);
  return options as T;
}

/** Python's choice of results: the output alone, or a tuple with the inverse and/or counts. */
function pick(results: Tensor[], returnInverse: boolean, returnCounts: boolean): Tensor | Tensor[] {
  const [output, inverse, counts] = results as [Tensor, Tensor, Tensor];
  const out = [output];
  if (returnInverse) out.push(inverse);
  else inverse.dispose();
  if (returnCounts) out.push(counts);
  else counts.dispose();
  return out.length === 1 ? output : out;
}

/**
 * torch.unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None): the
 * unique elements (or, with `dim`, sub-tensors), plus the inverse indices and counts when asked.
 */
export function unique(input: Tensor, options: UniqueOptions & BothFlags): [Tensor, Tensor, Tensor];
export function unique(input: Tensor, options: UniqueOptions & OneFlag): [Tensor, Tensor];
export function unique(input: Tensor, options?: UniqueOptions & NoFlag): Tensor;
export function unique(input: Tensor, options?: UniqueOptions): Tensor | Tensor[];
export function unique(input: Tensor, options?: UniqueOptions): Tensor | Tensor[] {
  const o = optionsOf<UniqueOptions>('unique', options, 'sorted, returnInverse, returnCounts, dim');
  const sorted = o.sorted ?? true;
  const returnInverse = o.returnInverse ?? false;
  const returnCounts = o.returnCounts ?? false;
  const results =
    o.dim === undefined || o.dim === null
      ? $unique(input, sorted, returnInverse, returnCounts)
      : $unique_dim(input, o.dim, sorted, returnInverse, returnCounts);
  return pick(results, returnInverse, returnCounts);
}

/** torch.unique_consecutive(input, return_inverse=False, return_counts=False, dim=None). */
export function uniqueConsecutive(
  input: Tensor,
  options: UniqueConsecutiveOptions & BothFlags,
): [Tensor, Tensor, Tensor];
export function uniqueConsecutive(input: Tensor, options: UniqueConsecutiveOptions & OneFlag): [Tensor, Tensor];
export function uniqueConsecutive(input: Tensor, options?: UniqueConsecutiveOptions & NoFlag): Tensor;
export function uniqueConsecutive(input: Tensor, options?: UniqueConsecutiveOptions): Tensor | Tensor[];
export function uniqueConsecutive(input: Tensor, options?: UniqueConsecutiveOptions): Tensor | Tensor[] {
  const o = optionsOf<UniqueConsecutiveOptions>('uniqueConsecutive', options, 'returnInverse, returnCounts, dim');
  const returnInverse = o.returnInverse ?? false;
  const returnCounts = o.returnCounts ?? false;
  return pick($unique_consecutive(input, returnInverse, returnCounts, o.dim ?? null), returnInverse, returnCounts);
}

declare module './tensor.js' {
  interface Tensor {
    unique(options: UniqueOptions & BothFlags): [Tensor, Tensor, Tensor];
    unique(options: UniqueOptions & OneFlag): [Tensor, Tensor];
    unique(options?: UniqueOptions & NoFlag): Tensor;
    unique(options?: UniqueOptions): Tensor | Tensor[];
    uniqueConsecutive(options: UniqueConsecutiveOptions & BothFlags): [Tensor, Tensor, Tensor];
    uniqueConsecutive(options: UniqueConsecutiveOptions & OneFlag): [Tensor, Tensor];
    uniqueConsecutive(options?: UniqueConsecutiveOptions & NoFlag): Tensor;
    uniqueConsecutive(options?: UniqueConsecutiveOptions): Tensor | Tensor[];
  }
}

Tensor.prototype.unique = function (this: Tensor, options?: UniqueOptions) {
  return unique(this, options);
} as Tensor['unique'];
Tensor.prototype.uniqueConsecutive = function (this: Tensor, options?: UniqueConsecutiveOptions) {
  return uniqueConsecutive(this, options);
} as Tensor['uniqueConsecutive'];

export interface MeshgridOptions {
  /** 'ij' (PyTorch's default, without its warning) or 'xy' (NumPy's). */
  indexing?: 'ij' | 'xy';
}

/**
 * torch.meshgrid(*tensors, indexing=None): `meshgrid(x, y, {indexing: 'xy'})`, or the tensors
 * as one array as Python also takes them: `meshgrid([x, y])`.
 */
export function meshgrid(tensors: Tensor[], options?: MeshgridOptions): Tensor[];
export function meshgrid(...tensors: Tensor[]): Tensor[];
export function meshgrid(...args: [...Tensor[], MeshgridOptions]): Tensor[];
export function meshgrid(...args: unknown[]): Tensor[] {
  const options = args.length > 0 && isOptions(args[args.length - 1]) ? (args.pop() as MeshgridOptions) : {};
  const tensors = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  return $meshgrid(tensors as Tensor[], options.indexing ?? 'ij');
}

/** torch.cartesian_prod(*tensors): the cartesian product of 1-D tensors, as itertools.product. */
export function cartesianProd(...tensors: Tensor[]): Tensor {
  return $cartesian_prod(tensors);
}

/** torch.block_diag(*tensors): a block diagonal matrix of the given tensors (0-, 1- or 2-D). */
export function blockDiag(...tensors: Tensor[]): Tensor {
  return $block_diag(tensors);
}

/** torch.chain_matmul(*matrices), deprecated in PyTorch for torch.linalg.multi_dot. */
export function chainMatmul(...matrices: Tensor[]): Tensor {
  return $chain_matmul(matrices);
}

/** tensordot's `dims`: how many trailing/leading dims to contract, or the two lists of dims. */
export type TensordotDims = number | [number[], number[]] | number[][] | Tensor;

function tensordotDims(a: Tensor, b: Tensor, dims: unknown): [number[], number[]] {
  const count = (d: number): [number[], number[]] => {
    if (d < 0) throw new RangeError(`tensordot: expects dims >= 0, but got dims=${d}`);
    if (d > Math.min(a.dim(), b.dim()))
      throw new RangeError(`tensordot: expects dims < ndim_a or ndim_b, but got dims=${d}`);
    return [Array.from({ length: d }, (_, i) => i - d), Array.from({ length: d }, (_, i) => i)];
  };
  if (typeof dims === 'number') {
    if (!Number.isInteger(dims)) throw new TypeError(`tensordot: dims must be an integer, got ${dims}`);
    return count(dims);
  }
  if (Array.isArray(dims)) {
    if (dims.length !== 2)
      throw new TypeError(`tensordot: dims must be two lists of dims, got an array of ${dims.length}`);
    return [dims[0], dims[1]] as [number[], number[]];
  }
  if (dims instanceof Tensor) {
    if (dims.numel() > 1) {
      if (dims.shape[0] !== 2)
        throw new RangeError(`tensordot: dims tensor must have size 2 in first dimension, got ${dims.shape[0]}`);
      return dims.toArray() as [number[], number[]];
    }
    return count(dims.item() as number);
  }
  throw new TypeError(`tensordot: expects dims to be a number, two arrays of dims or a Tensor, got ${describe(dims)}`);
}

/**
 * torch.tensordot(a, b, dims=2): contracts the last `dims` dims of `a` with the first of `b`,
 * or the dims listed (`[[1, 0], [0, 1]]`). `dims` may also come as `{dims}`.
 */
export function tensordot(a: Tensor, b: Tensor, dims?: TensordotDims | { dims?: TensordotDims }): Tensor {
  for (const [name, t] of [
    ['a', a],
    ['b', b],
  ] as const) {
    if (!(t instanceof Tensor))
      throw new TypeError(`tensordot: argument '${name}' must be a Tensor, got ${describe(t)}`);
  }
  const d = isOptions(dims) && !(dims instanceof Tensor) ? (dims as { dims?: TensordotDims }).dims : dims;
  const [dimsA, dimsB] = tensordotDims(a, b, d ?? 2);
  return $tensordot(a, b, dimsA, dimsB);
}

export type CdistComputeMode =
  | 'use_mm_for_euclid_dist_if_necessary'
  | 'use_mm_for_euclid_dist'
  | 'donot_use_mm_for_euclid_dist';
const CDIST_MODES: Record<CdistComputeMode, number | null> = {
  use_mm_for_euclid_dist_if_necessary: null,
  use_mm_for_euclid_dist: 1,
  donot_use_mm_for_euclid_dist: 2,
};

/** torch.cdist(x1, x2, p=2.0, compute_mode='use_mm_for_euclid_dist_if_necessary'). */
export function cdist(x1: Tensor, x2: Tensor, options?: { p?: number; computeMode?: CdistComputeMode }): Tensor {
  const o = optionsOf<{ p?: number; computeMode?: CdistComputeMode }>('cdist', options, 'p, computeMode');
  const mode = o.computeMode ?? 'use_mm_for_euclid_dist_if_necessary';
  if (!Object.hasOwn(CDIST_MODES, mode)) throw new Error(`cdist: ${String(mode)} is not a valid value for computeMode`);
  return $cdist(x1, x2, o.p ?? 2, CDIST_MODES[mode]);
}
