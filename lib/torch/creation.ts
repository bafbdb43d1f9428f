// Tensors from JavaScript data. The other creation ops (zeros, arange, randn, ...) are
// generated from scripts/codegen/ops.table.
import { markAsUntransferable } from 'node:worker_threads';
import { native } from '../binding.js';
import { defaultFloatDtype } from './default_dtype.js';
import type { Device } from './device.js';
import { type DType, dtypeCode } from './dtype.js';
import { describe } from './marshal.js';
import { Tensor } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

type TypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;
type Data = number | boolean | TypedArray | Tensor | Data[];

const FLOAT64 = 7;
const BOOL = 11;

function typedArrayOf(x: unknown): x is TypedArray {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

/** Shape and flat values of nested arrays, checked to be rectangular. */
function flatten(data: Data[]): { shape: number[]; values: (number | boolean)[] } {
  const shape: number[] = [];
  for (let level: unknown = data; Array.isArray(level); level = level[0]) shape.push(level.length);
  const values: (number | boolean)[] = [];
  const walk = (x: unknown, d: number, path: string): void => {
    if (d === shape.length) {
      if (typeof x !== 'number' && typeof x !== 'boolean') {
        throw new TypeError(`tensor: element ${path} is ${describe(x)}; expected a number or a boolean`);
      }
      values.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d]) {
      throw new Error(
        `tensor: the nested arrays are not rectangular: ${path || 'the data'} should have ${shape[d]} elements`,
      );
    }
    x.forEach((v, i) => {
      walk(v, d + 1, `${path}[${i}]`);
    });
  };
  walk(data, 0, '');
  return { shape, values };
}

/**
 * A new tensor holding a copy of `data`: a number, a boolean, nested arrays of them, or a typed
 * array (1-D). Without a dtype, numbers that are all integers give int64, booleans give bool,
 * other numbers float32, and a typed array its own type, as PyTorch infers them. With dtype
 * complex64 or complex128 the numbers (or a typed array's elements) are real parts, the imaginary
 * parts 0, as PyTorch's `torch.tensor([1., 2.], dtype=torch.complex64)`; complex values come from
 * `torch.complex(re, im)`, or from (real, imaginary) pairs with
 * `torch.viewAsComplex(torch.tensor(pairs).reshape([-1, 2]))`.
 */
export function tensor(data: Data, options?: TensorOptions): Tensor {
  const dtype = dtypeCode(options?.dtype, 'tensor');
  if (data instanceof Tensor) {
    const copy = data
      .detach()
      .to({ dtype: options?.dtype ?? data.dtype, device: options?.device ?? data.device, copy: true });
    return options?.requiresGrad ? copy.requiresGrad_() : copy;
  }
  if (typedArrayOf(data)) {
    return new Tensor(native.fromTypedArray(data, undefined, dtype, options?.device, options?.requiresGrad));
  }
  const { shape, values } = Array.isArray(data) ? flatten(data) : { shape: [], values: [data] };
  if (!Array.isArray(data) && typeof data !== 'number' && typeof data !== 'boolean') {
    throw new TypeError(`tensor: expected numbers, booleans, nested arrays or a typed array, got ${describe(data)}`);
  }
  const allBool = values.length > 0 && values.every((v) => typeof v === 'boolean');
  if (!allBool && values.some((v) => typeof v === 'boolean')) {
    throw new TypeError('tensor: the data mixes booleans and numbers');
  }
  let flat: Float64Array | Uint8Array;
  let src: number;
  let inferred: number;
  if (allBool) {
    flat = Uint8Array.from(values as boolean[], (v) => (v ? 1 : 0));
    src = BOOL;
    inferred = BOOL;
  } else {
    flat = Float64Array.from(values as number[]);
    src = FLOAT64;
    inferred =
      values.length > 0 && (values as number[]).every((v) => Number.isSafeInteger(v) && !Object.is(v, -0))
        ? 4
        : (dtypeCode(defaultFloatDtype(), 'tensor') as number);
  }
  return new Tensor(native.fromTypedArray(flat, shape, dtype ?? inferred, options?.device, options?.requiresGrad, src));
}

/** A scalar (0-d) tensor. */
export function scalarTensor(value: number | boolean, options?: TensorOptions): Tensor {
  return tensor(value, options);
}

/** A counter in shared memory of the tensors over some memory (see fromBuffer). */
export interface Hold {
  counters: Int32Array;
  index: number;
}

/**
 * A tensor over the same memory as `data`, without a copy: writes through either are seen by
 * the other, and the buffer (an ArrayBuffer or a SharedArrayBuffer) stays alive as long as the
 * tensor does. The buffer is marked untransferable, because transferring it to a worker would
 * leave the tensor over freed memory. `hold`: a counter in shared memory that the tensor adds
 * 1 to now and takes 1 from when its memory is let go (dispose, or the last view of it freed),
 * so that another thread that lent the memory (a data worker) knows when it may reuse it.
 */
export function fromBuffer(data: TypedArray, options?: { shape?: number[]; hold?: Hold }): Tensor {
  if (!typedArrayOf(data)) throw new TypeError(`fromBuffer: expected a typed array, got ${describe(data)}`);
  markAsUntransferable(data.buffer);
  const hold = options?.hold;
  if (hold === undefined) return new Tensor(native.fromBuffer(data, options?.shape));
  // The addon keeps the counters' buffer alive; one that is not shared could still be detached.
  if (!(hold.counters?.buffer instanceof SharedArrayBuffer))
    throw new TypeError('fromBuffer: hold.counters must be an Int32Array over a SharedArrayBuffer');
  return new Tensor(native.fromBuffer(data, options?.shape, undefined, hold.counters, hold.index));
}
