// Sparse tensors: the constructors (torch.sparseCooTensor, sparseCsrTensor and the other
// compressed layouts), x.toSparse / x.toSparseCoo, and the torch.sparse namespace, over the
// kernels of scripts/codegen/ops.table's sparse section. The accessors (indices, values,
// crowIndices, coalesce, toDense, ...) are generated Tensor methods; x.layout and x.isSparse are
// in tensor.ts. The constructors always validate indices against the size (Python's
// check_invariants=True): an unchecked out-of-range index makes libtorch read or write out of
// bounds, a crash instead of an Error.
import '../generated/methods.js';
import {
  $_sparse_addmm,
  $_sparse_log_softmax,
  $_sparse_mm,
  $_sparse_mm_reduce,
  $_sparse_softmax,
  $_sparse_sum,
  $_spdiags,
  $sparse_compressed_tensor,
  $sparse_coo_tensor,
  $sparse_sampled_addmm,
  $to_sparse,
  $to_sparse_sparse_dim,
} from '../generated/impl.js';
import { tensor } from './creation.js';
import type { Device } from './device.js';
import type { DType } from './dtype.js';
import { COMPRESSED_LAYOUTS, type Layout, layoutCode } from './layout.js';
import { scope } from './lifetime.js';
import { describe, isOptions } from './marshal.js';
import { Tensor } from './tensor.js';

/** What the constructors take for indices and values: a Tensor, or nested arrays / a typed array. */
export type SparseData = Tensor | Parameters<typeof tensor>[0];

export interface SparseTensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

export interface SparseCooTensorOptions extends SparseTensorOptions {
  /** Promise that the indices are coalesced (sorted, no duplicates); checked. */
  isCoalesced?: boolean;
}

export interface SparseCompressedTensorOptions extends SparseTensorOptions {
  layout?: Layout;
}

/** A trailing options object (marshal's rule), not a typed array of indices or values. */
const isPlainOptions = (x: unknown): boolean => isOptions(x) && !ArrayBuffer.isView(x);

/** `size` and `options` where the size may be left out: `f(i, v, {dtype})`. */
function sizeAndOptions<O>(op: string, size: unknown, options: O | undefined): [number[] | undefined, O | undefined] {
  if (isPlainOptions(size)) {
    if (options !== undefined) throw new TypeError(`${op}: the options object must be the last argument`);
    return [undefined, size as O];
  }
  if (size != null && !(Array.isArray(size) && size.every((d) => Number.isInteger(d)))) {
    throw new TypeError(`${op}: size must be an array of integers, got ${describe(size)}`);
  }
  return [(size ?? undefined) as number[] | undefined, options];
}

/** Index data as a tensor on `device`: arrays become int64 (Python's default), tensors keep their dtype. */
function indexTensor(data: SparseData, device: Device | undefined, int64: boolean): Tensor {
  if (data instanceof Tensor) {
    const t = int64 && data.dtype !== 'int64' ? data.to('int64') : data;
    return device === undefined ? t : t.to(device);
  }
  return tensor(data, { dtype: 'int64', device });
}

function valuesTensor(data: SparseData, o: SparseTensorOptions | undefined): Tensor {
  if (data instanceof Tensor) return data.to({ dtype: o?.dtype ?? data.dtype, device: o?.device ?? data.device });
  return tensor(data, { dtype: o?.dtype, device: o?.device });
}

/**
 * torch.sparse_coo_tensor(indices, values, size=None, *, dtype, device, requires_grad,
 * is_coalesced): `indices` is (sparseDim, nnz) (converted to int64, as PyTorch does), `values`
 * (nnz, ...dense dims). Without `size`, the smallest size that holds the indices.
 */
export function sparseCooTensor(indices: SparseData, values: SparseData, options?: SparseCooTensorOptions): Tensor;
export function sparseCooTensor(
  indices: SparseData,
  values: SparseData,
  size?: number[] | null,
  options?: SparseCooTensorOptions,
): Tensor;
export function sparseCooTensor(
  indices: SparseData,
  values: SparseData,
  sizeOrOptions?: number[] | null | SparseCooTensorOptions,
  options?: SparseCooTensorOptions,
): Tensor {
  const [size, o] = sizeAndOptions('sparseCooTensor', sizeOrOptions, options);
  const result = scope(() => {
    const v = valuesTensor(values, o);
    const i = indexTensor(indices, v.device, true);
    return $sparse_coo_tensor(i, v, size ?? null, o?.isCoalesced ?? null);
  });
  return o?.requiresGrad ? result.requiresGrad_() : result;
}

/**
 * torch.sparse_compressed_tensor(compressed_indices, plain_indices, values, size=None, *, dtype,
 * layout, device, requires_grad): the layout ('sparse_csr', 'sparse_csc', 'sparse_bsr' or
 * 'sparse_bsc') is required, as in PyTorch. Index tensors keep their dtype (int32 or int64,
 * both the same); arrays become int64.
 */
export function sparseCompressedTensor(
  compressedIndices: SparseData,
  plainIndices: SparseData,
  values: SparseData,
  size?: number[] | null | SparseCompressedTensorOptions,
  options?: SparseCompressedTensorOptions,
): Tensor {
  const [s, o] = sizeAndOptions('sparseCompressedTensor', size, options);
  const layout = o?.layout;
  if (layout === undefined || !COMPRESSED_LAYOUTS.includes(layout)) {
    throw new Error(
      `sparseCompressedTensor: layout must be one of ${COMPRESSED_LAYOUTS.join(', ')}, got ${describe(layout)}`,
    );
  }
  const result = scope(() => {
    const v = valuesTensor(values, o);
    const c = indexTensor(compressedIndices, v.device, false);
    const p = indexTensor(plainIndices, v.device, false);
    return $sparse_compressed_tensor(c, p, v, s ?? null, layoutCode(layout, 'sparseCompressedTensor'));
  });
  return o?.requiresGrad ? result.requiresGrad_() : result;
}

type CompressedCtor = (
  compressedIndices: SparseData,
  plainIndices: SparseData,
  values: SparseData,
  size?: number[] | null | SparseTensorOptions,
  options?: SparseTensorOptions,
) => Tensor;

function compressedCtor(layout: Layout): CompressedCtor {
  return (c, p, v, size, options) => {
    const [s, o] = sizeAndOptions(`sparseCompressedTensor(${layout})`, size, options);
    return sparseCompressedTensor(c, p, v, s ?? null, { ...o, layout });
  };
}

/** torch.sparse_csr_tensor(crow_indices, col_indices, values, size=None, *, dtype, device, requires_grad). */
export const sparseCsrTensor: CompressedCtor = compressedCtor('sparse_csr');
/** torch.sparse_csc_tensor(ccol_indices, row_indices, values, size=None, ...). */
export const sparseCscTensor: CompressedCtor = compressedCtor('sparse_csc');
/** torch.sparse_bsr_tensor(crow_indices, col_indices, values, size=None, ...): values are (nnz, ...blocksize). */
export const sparseBsrTensor: CompressedCtor = compressedCtor('sparse_bsr');
/** torch.sparse_bsc_tensor(ccol_indices, row_indices, values, size=None, ...). */
export const sparseBscTensor: CompressedCtor = compressedCtor('sparse_bsc');

// ---- Tensor.to_sparse / to_sparse_coo

export interface ToSparseOptions {
  /** default 'sparse_coo' */
  layout?: Layout;
  /** the block size, for 'sparse_bsr' and 'sparse_bsc' */
  blocksize?: number | number[];
  denseDim?: number;
}

declare module './tensor.js' {
  interface Tensor {
    /**
     * PyTorch's `x.to_sparse(sparse_dim)` (COO with that many sparse dimensions) or
     * `x.to_sparse(layout=..., blocksize=..., dense_dim=...)`; COO with every dimension sparse by default.
     */
    toSparse(sparseDim?: number): Tensor;
    toSparse(options: ToSparseOptions): Tensor;
    /** PyTorch's `x.to_sparse_coo()`: `x.toSparse()`. */
    toSparseCoo(): Tensor;
  }
}

Tensor.prototype.toSparse = function (this: Tensor, arg?: number | ToSparseOptions): Tensor {
  if (typeof arg === 'number') return $to_sparse_sparse_dim(this, arg);
  if (arg !== undefined && !isPlainOptions(arg)) {
    throw new TypeError(`toSparse: expected a sparse dimension count or an options object, got ${describe(arg)}`);
  }
  const layout = arg?.layout === undefined ? null : layoutCode(arg.layout, 'toSparse');
  return $to_sparse(this, layout, arg?.blocksize ?? null, arg?.denseDim ?? null);
} as Tensor['toSparse'];

Tensor.prototype.toSparseCoo = function (this: Tensor): Tensor {
  return $to_sparse(this, null, null, null);
};

// ---- torch.sparse

export type SparseMmReduce = 'sum' | 'mean' | 'amax' | 'amin';

/**
 * torch.sparse.mm(mat1, mat2, reduce=None): a sparse matrix times a sparse or dense one, with
 * gradients for both (a sparse mat1's gradient is sparse). `reduce` (CSR mat1 only) replaces
 * the row sums.
 */
function mm(mat1: Tensor, mat2: Tensor, options?: { reduce?: SparseMmReduce }): Tensor {
  return options?.reduce === undefined ? $_sparse_mm(mat1, mat2) : $_sparse_mm_reduce(mat1, mat2, options.reduce);
}

/** torch.sparse.addmm(mat, mat1, mat2, *, beta=1, alpha=1): beta * mat + alpha * (mat1 @ mat2), mat1 sparse. */
function addmm(mat: Tensor, mat1: Tensor, mat2: Tensor, options?: { beta?: number; alpha?: number }): Tensor {
  return $_sparse_addmm(mat, mat1, mat2, options?.beta ?? 1, options?.alpha ?? 1);
}

/**
 * torch.sparse.sampled_addmm(input, mat1, mat2, *, beta=1, alpha=1): beta * input + alpha *
 * (mat1 @ mat2) at the specified elements of the CSR `input` only.
 */
function sampledAddmm(input: Tensor, mat1: Tensor, mat2: Tensor, options?: { beta?: number; alpha?: number }): Tensor {
  return $sparse_sampled_addmm(input, mat1, mat2, options?.beta ?? 1, options?.alpha ?? 1);
}

/**
 * torch.sparse.sum(input, dim=None, dtype=None): over every dimension a 0-d dense tensor; over
 * some, a sparse tensor (dense when only dense dimensions are left).
 */
function sum(input: Tensor, dim?: number | number[] | null | { dtype?: DType }, options?: { dtype?: DType }): Tensor {
  let d = dim;
  let o = options;
  if (isPlainOptions(d)) {
    o = d as { dtype?: DType };
    d = undefined;
  }
  return $_sparse_sum(input, (d ?? null) as number | number[] | null, o?.dtype as DType);
}

/**
 * torch.sparse.softmax(input, dim, *, dtype=None): softmax over the specified elements along
 * `dim`, the unspecified ones counting as -inf (so they stay unspecified).
 */
function softmax(input: Tensor, dim: number, options?: { dtype?: DType }): Tensor {
  return $_sparse_softmax(input, dim, options?.dtype as DType);
}

/** torch.sparse.log_softmax(input, dim, *, dtype=None). */
function logSoftmax(input: Tensor, dim: number, options?: { dtype?: DType }): Tensor {
  return $_sparse_log_softmax(input, dim, options?.dtype as DType);
}

/**
 * torch.sparse.spdiags(diagonals, offsets, shape, layout=None): a sparse matrix of `shape` with
 * the rows of `diagonals` on the diagonals that `offsets` name; COO unless `layout` says
 * 'sparse_csr' or 'sparse_csc'.
 */
function spdiags(diagonals: Tensor, offsets: Tensor, shape: number[], options?: { layout?: Layout }): Tensor {
  const layout = options?.layout === undefined ? null : layoutCode(options.layout, 'sparse.spdiags');
  return $_spdiags(diagonals, offsets, shape, layout);
}

/** torch.sparse: `torch.sparse.mm(s, d)`. */
export const sparse = { addmm, logSoftmax, mm, sampledAddmm, softmax, spdiags, sum };
