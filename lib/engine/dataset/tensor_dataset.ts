// TensorDataset, as torch.utils.data.TensorDataset: sample i is [t[i] for each tensor t].
//
// With numWorkers > 0 the workers do not load torch: the first workerSpec() call copies the
// tensors once into shared memory (SharedArrayBuffers) and the workers build an NDArrayDataset
// over it, gathering each batch's rows straight into the batch. So the workers see the tensors'
// values as they were at that call (the first pass with workers); later in-place changes to the
// tensors reach only the main thread (numWorkers: 0). Workers take CPU tensors of the dtypes an
// NDArray holds (uint8, int8, int16, int32, int64, float32, float64, bool).
//
// In the main thread, for such tensors, getRaw and getRawBatch give the rows as NDArrays (a batch
// gathered with one indexSelect per tensor), so that the loader and wrappers over it (Subset,
// randomSplit's subsets, ConcatDataset, ...) take the tensor-free path. Other tensors (float16,
// bfloat16, complex, or on a GPU) have neither, and batches are stacked from get's rows, on
// their device, as in PyTorch.

import * as torch from '../../torch/index.js';
import { type BatchContext, Dataset, type WorkerSpec } from './dataset.js';
import { NDArray, type NDType, TYPED_ARRAYS, type TypedArray } from './ndarray.js';
import { NDArrayDataset } from './ndarray_dataset.js';

type Tensor = torch.Tensor;

const WORKER_DTYPES = new Set<string>(['uint8', 'int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'bool']);

export class TensorDataset extends Dataset<Tensor[]> {
  /** The tensors, as given (not copied; the dataset never disposes them). */
  readonly tensors: Tensor[];
  private shared: NDArrayDataset | undefined;

  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new TypeError('TensorDataset: pass at least one tensor');
    tensors.forEach((t, k) => {
      if (!(t instanceof torch.Tensor)) {
        throw new TypeError(`TensorDataset: argument ${k} is not a tensor`);
      }
      if (t.ndim === 0) throw new Error(`TensorDataset: tensor ${k} is 0-d; each tensor needs a first dimension`);
    });
    const first = tensors[0] as Tensor;
    tensors.forEach((t, k) => {
      if (t.shape[0] !== first.shape[0]) {
        throw new Error(
          `TensorDataset: size mismatch between tensors: tensor 0 has shape [${first.shape.join(', ')}], tensor ${k} [${t.shape.join(', ')}]; their first dimensions must be equal`,
        );
      }
    });
    this.tensors = [...tensors];
    if (!this.tensors.every(rawable)) {
      // The loader and the wrappers take a dataset's getRaw/getRawBatch where they exist: shadowed,
      // they fall back on get, whose tensors NDArrays cannot hold.
      Object.defineProperty(this, 'getRaw', { value: undefined });
      Object.defineProperty(this, 'getRawBatch', { value: undefined });
    }
  }

  get length(): number {
    return (this.tensors[0] as Tensor).shape[0] as number;
  }

  /** Row `index` of each tensor: views of the tensors' memory (as t[index] in PyTorch), the caller's to dispose. */
  get(index: number): Tensor[] {
    const i = this.checkIndex(index);
    return this.tensors.map((t) => t.select(0, i));
  }

  /** Row `index` of each tensor as an NDArray (a copy); only where every tensor is a CPU one of an NDArray dtype. */
  getRaw(index: number): NDArray[] {
    const i = this.checkIndex(index);
    return torch.scope(() => this.tensors.map((t) => asNDArray(t.select(0, i))));
  }

  /** Rows `indices` of each tensor, gathered with one indexSelect each: what default collation makes of getRaw's rows. */
  getRawBatch(indices: readonly number[], ctx: BatchContext): unknown {
    if (this.getRaw !== TensorDataset.prototype.getRaw || indices.length === 0) return undefined;
    const n = this.length;
    for (const i of indices) if (!Number.isInteger(i) || i < -n || i >= n) return undefined;
    return torch.scope(() => {
      const where = torch.tensor(
        indices.map((i) => (i < 0 ? i + n : i)),
        { dtype: 'int64' },
      );
      return this.tensors.map((t) => asNDArray(t.indexSelect(0, where), ctx.allocate));
    });
  }

  /** The workers' dataset: an NDArrayDataset over a copy of the tensors in shared memory, made on first call. */
  workerSpec(): WorkerSpec {
    this.shared ??= new NDArrayDataset(this.tensors.map((t, k) => sharedCopy(t, k)));
    return this.shared.workerSpec();
  }
}

/** Whether an NDArray can hold `t`'s values as they are (CPU, an NDArray dtype). */
function rawable(t: Tensor): boolean {
  return t.device === 'cpu' && WORKER_DTYPES.has(t.dtype);
}

/** `t`'s values as an NDArray of its shape and dtype: in memory from `allocate` where given. */
function asNDArray(t: Tensor, allocate?: BatchContext['allocate']): NDArray {
  const values = t.toTypedArray();
  if (!allocate) return new NDArray(values, t.shape, t.dtype as NDType);
  const Ctor = TYPED_ARRAYS[t.dtype as NDType] as unknown as new (
    b: SharedArrayBuffer,
    o: number,
    n: number,
  ) => TypedArray;
  const out = allocate(Ctor, values.length);
  (out as Uint8Array).set(values as Uint8Array);
  return new NDArray(out, t.shape, t.dtype as NDType);
}

/** `t`'s values in a SharedArrayBuffer, as an NDArray of its shape and dtype. */
function sharedCopy(t: Tensor, k: number): NDArray {
  if (t.device !== 'cpu') {
    throw new Error(
      `TensorDataset: tensor ${k} is on ${t.device}; data workers take CPU tensors (move it with .cpu(), or use numWorkers: 0)`,
    );
  }
  if (!WORKER_DTYPES.has(t.dtype)) {
    throw new TypeError(
      `TensorDataset: tensor ${k} is ${t.dtype}, which data workers cannot hold (they take ${[...WORKER_DTYPES].join(', ')}); convert it, or use numWorkers: 0`,
    );
  }
  const dtype = t.dtype as NDType;
  const values = t.toTypedArray();
  const Ctor = TYPED_ARRAYS[dtype] as unknown as new (b: SharedArrayBuffer) => typeof values;
  const out = new Ctor(new SharedArrayBuffer(values.byteLength));
  (out as Uint8Array).set(values as Uint8Array);
  return new NDArray(out, t.shape, dtype);
}
