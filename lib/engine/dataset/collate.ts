// Collate functions of the main thread, and the step that turns tensor-free data (NDArrays)
// into tensors.
import * as torch from '../../torch/index.js';
import { type CollateHooks, collateDefault, collatePseudo } from './collate_raw.js';
import { copyTypedArray, isNDArray, type NDArray } from './ndarray.js';

type Tensor = torch.Tensor;

/**
 * A tensor of an NDArray's values and shape. With `owned` the tensor is made over the array's
 * own buffer without a copy (the caller hands it over: a buffer received by transfer from a
 * data worker, or one just allocated); otherwise the values are copied. A buffer that is shared
 * or that the array does not fill is always copied.
 */
export function ndarrayToTensor(x: NDArray, owned = false): Tensor {
  let data = x.data;
  const shared = typeof SharedArrayBuffer !== 'undefined' && data.buffer instanceof SharedArrayBuffer;
  if (!owned || shared || data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength)
    data = copyTypedArray(data);
  const t = torch.fromBuffer(data, { shape: x.shape });
  if (x.dtype !== 'bool') return t;
  const b = t.to('bool');
  t.dispose();
  return b;
}

/**
 * `value` with each NDArray replaced by a tensor (arrays and plain objects are rebuilt; other
 * values pass through). `owned` as in ndarrayToTensor.
 */
export function tensorize(value: unknown, owned = false): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (isNDArray(value)) return ndarrayToTensor(value as NDArray, owned);
  if (Array.isArray(value)) return value.map((v) => tensorize(v, owned));
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = tensorize(v, owned);
    return out;
  }
  return value;
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
