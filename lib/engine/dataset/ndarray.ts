// NDArray: a typed array with a shape, the tensor-free form of sample data. Data workers never
// load torch: datasets and transforms there produce NDArrays, which cross to the main thread in
// shared memory or as transferred ArrayBuffers and become tensors there.
//
// This module, like every module that a data worker imports, must not import lib/torch.

import { isPlainObject } from '../../plain_object.js';
import type { SlotView } from './output_slots.js';

export type TypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/** The dtypes an NDArray can hold: the typed array's own, or 'bool' over a Uint8Array of 0/1. */
export type NDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64' | 'bool';

export function isTypedArray(x: unknown): x is TypedArray {
  return (
    x instanceof Uint8Array ||
    x instanceof Float32Array ||
    x instanceof Float64Array ||
    x instanceof BigInt64Array ||
    x instanceof Int32Array ||
    x instanceof Int16Array ||
    x instanceof Int8Array
  );
}

export function dtypeOfTypedArray(a: TypedArray): NDType {
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Int16Array) return 'int16';
  return 'int8';
}

/** The typed array type of each dtype ('bool' is held in a Uint8Array). */
export const TYPED_ARRAYS: Record<NDType, new (n: number) => TypedArray> = {
  uint8: Uint8Array,
  bool: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  float32: Float32Array,
  float64: Float64Array,
};

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A typed array seen as a C-contiguous array of `shape`. */
export class NDArray<A extends TypedArray = TypedArray> {
  readonly data: A;
  readonly shape: number[];
  readonly dtype: NDType;

  constructor(data: A, shape?: readonly number[], dtype?: NDType) {
    if (!isTypedArray(data)) throw new TypeError('NDArray: data must be a typed array (Uint8Array, Float32Array, ...)');
    this.data = data;
    this.shape = shape ? [...shape] : [data.length];
    if (numel(this.shape) !== data.length) {
      throw new Error(
        `NDArray: shape [${this.shape.join(', ')}] needs ${numel(this.shape)} elements, the data has ${data.length}`,
      );
    }
    const own = dtypeOfTypedArray(data);
    if (dtype !== undefined && dtype !== own && !(dtype === 'bool' && own === 'uint8')) {
      throw new TypeError(`NDArray: dtype '${dtype}' does not fit a ${data.constructor.name}`);
    }
    this.dtype = dtype ?? own;
  }

  get size(): number {
    return this.data.length;
  }
}

/** An NDArray, or the plain object that structured cloning makes of one. */
export function isNDArray(x: unknown): x is NDArray {
  return (
    x instanceof NDArray || (typeof x === 'object' && x !== null && (x as { __ndarray?: unknown }).__ndarray === 1)
  );
}

// ---- The wire format between data workers and the main thread ----
//
// NDArrays travel as {__ndarray: 1, data, shape, dtype}. Each typed array goes as `send` puts
// it: an NDArray's data into the worker's shared output slot (output_slots.ts), which the
// tensors made of it hold; a bare typed array (no tensor holds it), or any array where there is
// no slot, transferred (transferring()).

/**
 * How typed arrays are transferred: each buffer is put in `transfer`, so that it moves rather
 * than being copied. A typed array that does not own its whole buffer (a view into a dataset's
 * storage), or whose buffer is shared, is copied first: a transfer would detach the storage,
 * and a SharedArrayBuffer cannot be transferred.
 */
export function transferring(transfer: Set<ArrayBuffer>): (a: TypedArray) => TypedArray {
  return (a) => {
    const shared = typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
    const data = !shared && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : copyTypedArray(a);
    transfer.add(data.buffer as ArrayBuffer);
    return data;
  };
}

/** A copy of `a` in a new buffer of its own, as the base typed array type (a Buffer gives a Uint8Array). */
export function copyTypedArray<A extends TypedArray>(a: A): A {
  const Ctor = TYPED_ARRAYS[dtypeOfTypedArray(a)] as unknown as new (src: A) => A;
  return new Ctor(a);
}

/**
 * `value` made ready for postMessage: NDArrays become marked plain objects, and each typed array
 * is what `send` makes of it (an NDArray's data), or `sendBare` (a typed array of its own). A
 * typed array reached twice is sent once (structured cloning keeps the sharing).
 */
export function toWire(
  value: unknown,
  send: (a: TypedArray) => unknown,
  sendBare = send,
  seen = new Map<unknown, unknown>(),
): unknown {
  if (value === null || typeof value !== 'object') return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  let out: unknown;
  if (isNDArray(value)) {
    const data = seen.get(value.data) ?? send(value.data);
    seen.set(value.data, data);
    out = { __ndarray: 1, data, shape: value.shape, dtype: value.dtype };
  } else if (isTypedArray(value)) {
    out = sendBare(value);
  } else if (Array.isArray(value)) {
    const arr: unknown[] = [];
    seen.set(value, arr);
    for (const v of value) arr.push(toWire(v, send, sendBare, seen));
    return arr;
  } else if (isPlainObject(value)) {
    const obj: Record<string, unknown> = {};
    seen.set(value, obj);
    for (const [k, v] of Object.entries(value)) obj[k] = toWire(v, send, sendBare, seen);
    return obj;
  } else {
    out = value;
  }
  seen.set(value, out);
  return out;
}

/**
 * NDArray instances for the marked plain objects of a received value (in place for containers);
 * `view` gives the data of an NDArray sent from a worker's output slot.
 */
export function fromWire(value: unknown, view?: (where: SlotView) => TypedArray): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (isNDArray(value) && !(value instanceof NDArray)) {
    const v = value as unknown as { data: unknown; shape: number[]; dtype: NDType };
    // An NDArray's data is a typed array, or where it lies in a worker's output slot (`view` reads it).
    const data = isTypedArray(v.data) || view === undefined ? (v.data as TypedArray) : view(v.data as SlotView);
    return new NDArray(data, v.shape, v.dtype);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = fromWire(value[i], view);
  } else if (isPlainObject(value)) {
    for (const k of Object.keys(value)) value[k] = fromWire(value[k], view);
  }
  return value;
}
