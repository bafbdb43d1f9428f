// NDArrayDataset: rows of equally long NDArrays, the tensor-free twin of TensorDataset. It is
// what a TensorDataset becomes in a data worker (its tensors copied once into shared memory, so
// every worker reads the same bytes and none loads torch), and a dataset in its own right for
// data already held in typed arrays. Torch-free (data workers import it).

import type { BatchContext, WorkerSpec } from './dataset.js';
import { Dataset } from './dataset.js';
import { isNDArray, isTypedArray, NDArray, type NDType, TYPED_ARRAYS, type TypedArray } from './ndarray.js';

/** An NDArray, or the plain {data, shape, dtype} that structured cloning makes of one. */
type NDArrayLike = NDArray | { data: TypedArray; shape: number[]; dtype: NDType };

type SharedCtor = new (buffer: SharedArrayBuffer, byteOffset: number, length: number) => TypedArray;

/** Sample i is the array [arrays[0][i], arrays[1][i], ...] of NDArrays (each one row of its array). */
export class NDArrayDataset extends Dataset<NDArray[]> {
  readonly arrays: NDArray[];
  private readonly rowSizes: number[];

  constructor(arrays: readonly NDArrayLike[]) {
    super();
    if (!Array.isArray(arrays) || arrays.length === 0) {
      throw new TypeError('NDArrayDataset: pass a non-empty array of NDArrays');
    }
    this.arrays = arrays.map((a, k) => {
      if (a instanceof NDArray) return a;
      const x = a as { data?: unknown; shape?: unknown; dtype?: NDType };
      if (!isNDArray(a) && !(x !== null && typeof x === 'object' && isTypedArray(x.data) && Array.isArray(x.shape))) {
        throw new TypeError(`NDArrayDataset: arrays[${k}] is not an NDArray`);
      }
      return new NDArray(x.data as TypedArray, x.shape as number[], x.dtype);
    });
    const first = this.arrays[0] as NDArray;
    this.arrays.forEach((a, k) => {
      if (a.shape.length === 0)
        throw new Error(`NDArrayDataset: arrays[${k}] is 0-d; each array needs a first dimension`);
      if (a.shape[0] !== first.shape[0]) {
        throw new Error(
          `NDArrayDataset: size mismatch between arrays: arrays[0] has shape [${first.shape.join(', ')}], arrays[${k}] [${a.shape.join(', ')}]; their first dimensions must be equal`,
        );
      }
    });
    this.rowSizes = this.arrays.map((a) => a.shape.slice(1).reduce((p, d) => p * d, 1));
  }

  get length(): number {
    return (this.arrays[0] as NDArray).shape[0] as number;
  }

  /** Row `index` of each array, as NDArrays viewing the arrays' memory (not copies). */
  get(index: number): NDArray[] {
    const i = this.checkIndex(index);
    return this.arrays.map((a, k) => {
      const size = this.rowSizes[k] as number;
      return new NDArray(a.data.subarray(i * size, (i + 1) * size) as TypedArray, a.shape.slice(1), a.dtype);
    });
  }

  getRaw(index: number): NDArray[] {
    return this.get(index);
  }

  /** Rows `indices` of each array, gathered straight into the batch (what default collation makes of the samples). */
  getRawBatch(indices: readonly number[], ctx: BatchContext): unknown {
    if (this.getRaw !== NDArrayDataset.prototype.getRaw || this.get !== NDArrayDataset.prototype.get) return undefined;
    const n = this.length;
    if (indices.length === 0) return undefined;
    for (const i of indices) if (!Number.isInteger(i) || i < -n || i >= n) return undefined;
    return this.arrays.map((a, k) => {
      const size = this.rowSizes[k] as number;
      const total = size * indices.length;
      const Ctor = TYPED_ARRAYS[a.dtype];
      const out = ctx.allocate ? ctx.allocate(Ctor as unknown as SharedCtor, total) : new Ctor(total);
      indices.forEach((i, b) => {
        const r = i < 0 ? i + n : i;
        (out as Uint8Array).set((a.data as Uint8Array).subarray(r * size, (r + 1) * size), b * size);
      });
      return new NDArray(out, [indices.length, ...a.shape.slice(1)], a.dtype);
    });
  }

  /** The arrays go as they are: shared where their memory is a SharedArrayBuffer, else copied to each worker. */
  workerSpec(): WorkerSpec {
    return {
      module: import.meta.url,
      exportName: 'NDArrayDataset',
      args: [this.arrays.map((a) => ({ data: a.data, shape: a.shape, dtype: a.dtype }))],
    };
  }
}
