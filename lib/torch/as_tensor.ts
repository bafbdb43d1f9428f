// torch.as_tensor / torch.asarray / torch.frombuffer. Unlike torch.tensor, they share memory
// where PyTorch does: a
// tensor already of the dtype and device asked for comes back as itself, and asarray shares a
// typed array's buffer when no conversion is needed, as PyTorch shares a NumPy array's.
import { fromBuffer, type TensorOptions, tensor } from './creation.js';
import type { Device } from './device.js';
import type { DType } from './dtype.js';
import { describe } from './marshal.js';
import { Tensor } from './tensor.js';

type TypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;
type Data = number | boolean | TypedArray | Tensor | Data[];

const TYPED: [new (...a: never[]) => TypedArray, DType][] = [
  [Float32Array, 'float32'],
  [Float64Array, 'float64'],
  [BigInt64Array, 'int64'],
  [Int32Array, 'int32'],
  [Int16Array, 'int16'],
  [Int8Array, 'int8'],
  [Uint8Array, 'uint8'],
];
const typedDtype = (x: unknown): DType | undefined => TYPED.find(([C]) => x instanceof C)?.[1];

/** torch.as_tensor(data, dtype=None, device=None): no copy when `data` already fits. */
export function asTensor(data: Data, options?: { dtype?: DType; device?: Device }): Tensor {
  if (data instanceof Tensor)
    return data.to({ dtype: options?.dtype ?? data.dtype, device: options?.device ?? data.device });
  return asarray(data, options);
}

export interface AsarrayOptions extends TensorOptions {
  /** true: always copy; false: never (an error where a copy is needed); absent: only if needed. */
  copy?: boolean;
}

/** torch.asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False). */
export function asarray(obj: Data, options?: AsarrayOptions): Tensor {
  const copy = options?.copy;
  if (obj instanceof Tensor) {
    const dtype = options?.dtype ?? obj.dtype;
    const device = options?.device ?? obj.device;
    const same = dtype === obj.dtype && device === obj.device;
    if (copy === false && !same) {
      throw new Error(
        `asarray: copy=false, but a ${obj.dtype} tensor on ${obj.device} cannot become ${dtype} on ${device} without a copy`,
      );
    }
    const out = obj.to({ dtype, device, copy: copy === true });
    if (!options?.requiresGrad) return out;
    // Sharing memory, but never flipping requires_grad on the caller's own tensor object.
    return (out === obj ? obj.detach() : out).requiresGrad_();
  }
  const own = typedDtype(obj);
  if (own !== undefined) {
    const dtype = options?.dtype ?? own;
    const onCpu = options?.device === undefined || options.device === 'cpu';
    if (copy !== true && dtype === own && onCpu) {
      const t = fromBuffer(obj as TypedArray);
      return options?.requiresGrad ? t.requiresGrad_() : t;
    }
    if (copy === false)
      throw new Error(`asarray: copy=false, but a ${own} typed array cannot become ${dtype} without a copy`);
    return tensor(obj as TypedArray, options);
  }
  if (copy === false)
    throw new Error(`asarray: copy=false, but ${describe(obj)} cannot be shared; only tensors and typed arrays can`);
  return tensor(obj, options);
}

/**
 * torch.frombuffer(buffer, *, dtype, count=-1, offset=0): a 1-D tensor over the bytes of an
 * ArrayBuffer (or a typed array's buffer), sharing them as PyTorch shares a Python buffer.
 */
export function frombuffer(
  buffer: ArrayBuffer | SharedArrayBuffer | ArrayBufferView,
  options: { dtype: DType; count?: number; offset?: number },
): Tensor {
  const dtype = options?.dtype;
  const C = TYPED.find(([, d]) => d === dtype)?.[0] as
    | (new (
        b: ArrayBufferLike,
        o: number,
        n: number,
      ) => TypedArray)
    | undefined;
  if (C === undefined) {
    throw new TypeError(`frombuffer: dtype must be one of ${TYPED.map(([, d]) => d).join(', ')}, got ${String(dtype)}`);
  }
  const view = ArrayBuffer.isView(buffer) ? buffer : undefined;
  const raw = view ? view.buffer : buffer;
  if (!(raw instanceof ArrayBuffer) && !(raw instanceof SharedArrayBuffer)) {
    throw new TypeError(`frombuffer: expected an ArrayBuffer or a typed array, got ${describe(buffer)}`);
  }
  const start = (view?.byteOffset ?? 0) + (options.offset ?? 0);
  const bytes = (view?.byteLength ?? raw.byteLength) - (options.offset ?? 0);
  const size = (C as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  const count = options.count ?? -1;
  if (bytes <= 0 || (count === -1 && bytes % size !== 0) || (count > 0 && count * size > bytes)) {
    throw new Error(
      `frombuffer: ${bytes} bytes after offset ${options.offset ?? 0} do not hold ${count === -1 ? 'a whole number of' : count} ${dtype} elements`,
    );
  }
  return fromBuffer(new C(raw, start, count === -1 ? bytes / size : count));
}
