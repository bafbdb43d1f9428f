// Collate functions of the main thread, and the step that turns tensor-free data (NDArrays)
// into tensors.
import * as torch from '../../torch/index.js';
import { type CollateHooks, collateDefault, collatePseudo } from './collate_raw.js';
import { isNDArray, type NDArray } from './ndarray.js';

type Tensor = torch.Tensor;

/**
 * How an NDArray's buffer becomes a tensor's memory: `true`, it is handed over (a buffer just
 * allocated: the tensor is made over it); `false`, copied; a Hold, the buffer is a data worker's
 * output slot, which the tensor views and holds (output_slots.ts).
 */
export type Ownership = boolean | torch.Hold;

/**
 * A tensor of an NDArray's values and shape; `how` as in Ownership. A buffer that is shared
 * (other than a slot) or that the array does not fill is always copied.
 */
export function ndarrayToTensor(x: NDArray, how: Ownership = false): Tensor {
  const data = x.data;
  let t: Tensor;
  if (typeof how === 'object') {
    t = torch.fromBuffer(data, { shape: x.shape, hold: how });
  } else {
    const shared = typeof SharedArrayBuffer !== 'undefined' && data.buffer instanceof SharedArrayBuffer;
    if (!how || shared || data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) {
      // One copy, straight into the tensor's memory.
      const flat = torch.tensor(data, x.dtype === 'bool' ? { dtype: 'bool' } : undefined);
      if (x.shape.length === 1) return flat;
      t = flat.view(x.shape);
      flat.dispose();
      return t;
    }
    t = torch.fromBuffer(data, { shape: x.shape });
  }
  if (x.dtype !== 'bool') return t;
  const b = t.to('bool');
  t.dispose();
  return b;
}

/**
 * `value` with each NDArray replaced by a tensor (arrays and plain objects are rebuilt; other
 * values pass through). `how` as in ndarrayToTensor.
 */
export function tensorize(value: unknown, how: Ownership = false): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (isNDArray(value)) return ndarrayToTensor(value as NDArray, how);
  if (Array.isArray(value)) return value.map((v) => tensorize(v, how));
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = tensorize(v, how);
    return out;
  }
  return value;
}

/** Whether `value` holds a tensor anywhere in its arrays and plain objects. */
export function holdsTensor(value: unknown): boolean {
  if (value instanceof torch.Tensor) return true;
  if (value === null || typeof value !== 'object' || isNDArray(value)) return false;
  if (Array.isArray(value)) return value.some(holdsTensor);
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.values(value).some(holdsTensor);
}

const TENSOR_HOOKS: CollateHooks = {
  isTensor: (x) => x instanceof torch.Tensor,
  stack: (batch, path) => {
    batch.forEach((t, i) => {
      if (!(t instanceof torch.Tensor))
        throw new TypeError(`collate: ${path} mixes tensors and other values (at ${i})`);
    });
    return torch.stack(batch as Tensor[], 0);
  },
  finish: (x) => ndarrayToTensor(x, true),
};

/**
 * PyTorch's default_collate: stacks tensors, NDArrays and typed arrays into one tensor with a
 * new batch dimension; numbers into an int64 tensor (all safe integers) or a float64 one;
 * booleans into a bool tensor; keeps strings as an array; recurses into plain objects (per key)
 * and arrays (per position). `[{img, label}, ...]` gives `{img: (B, ...), label: (B,)}` and
 * `[[img, label], ...]` gives `[imgs, labels]`.
 */
export function defaultCollate(batch: unknown[]): unknown {
  return collateDefault(batch, TENSOR_HOOKS);
}

/**
 * MMEngine's pseudo_collate: recurses into plain objects and arrays like defaultCollate, but
 * leaves values as arrays of the samples' values (tensors are not stacked): `[{img, label}, ...]`
 * gives `{img: [img0, img1, ...], label: [label0, ...]}`.
 */
export function pseudoCollate(batch: unknown[]): unknown {
  return collatePseudo(batch);
}
