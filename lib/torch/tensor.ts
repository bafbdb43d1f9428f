// The Tensor class: a handle into the addon's tensor table plus what cannot be generated
// (metadata, data access, devices, autograd entry points, lifetime). The ops are installed on
// its prototype by lib/generated/methods.ts.
import { inspect } from 'node:util';
import { native, ops, type StreamData } from '../binding.js';
import { type TensorOptions, tensor } from './creation.js';
import type { Device } from './device.js';
import { type DType, dtypeCode, dtypeName, isDType, isFloatingPoint } from './dtype.js';
import { formatTensor } from './format.js';
import { type Layout, layoutName } from './layout.js';
import { adopt, keep, release, scope } from './lifetime.js';
import { formatSparse } from './sparse_format.js';

// Device names by native.deviceCode: a number crosses from C++ faster than a new string.
const deviceNames = new Map<number, string>();

export interface ToOptions {
  dtype?: DType;
  device?: Device;
  nonBlocking?: boolean;
  copy?: boolean;
}

/** What registerHook returns: `remove()` takes the hook off. */
export interface RemovableHandle {
  remove(): void;
}

export interface BackwardOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
  inputs?: Tensor[];
}

type Nested = number | boolean | Nested[];

// x.type()'s names: PyTorch's legacy tensor types by dtype.
const LEGACY_TYPE_NAMES: Partial<Record<DType, string>> = {
  float32: 'FloatTensor',
  float64: 'DoubleTensor',
  float16: 'HalfTensor',
  bfloat16: 'BFloat16Tensor',
  int64: 'LongTensor',
  int32: 'IntTensor',
  int16: 'ShortTensor',
  int8: 'CharTensor',
  uint8: 'ByteTensor',
  bool: 'BoolTensor',
  complex64: 'ComplexFloatTensor',
  complex128: 'ComplexDoubleTensor',
};

/** `x.real = value`, `x.imag = value`: copies into the part, as PyTorch does. */
function setPart(part: Tensor, value: Tensor | number, which: string): void {
  try {
    if (value instanceof Tensor) ops.copy_(part._h, value._h, false);
    else if (typeof value === 'number') ops.fill_(part._h, -2, value);
    else throw new TypeError(`${which}: expected a Tensor or a number, got ${typeof value}`);
  } finally {
    release(part);
  }
}

export class Tensor {
  /** @internal The slot in the addon's tensor table; -1 once disposed. */
  _h: number;
  /** @internal Who frees it (see lifetime.ts). */
  _s = 0;

  /** @internal Tensors are made by torch functions and ops, never with `new`. */
  constructor(handle: number) {
    this._h = handle;
    adopt(this);
  }

  get shape(): number[] {
    return native.shape(this._h);
  }

  /** `size()` is the shape; `size(d)` one dimension of it (negative counts from the end). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    const s = native.shape(this._h);
    if (dim === undefined) return s;
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new RangeError(`size: dim ${dim} is out of range for a ${s.length}-D tensor`);
    return s[d] as number;
  }

  stride(): number[] {
    return native.stride(this._h);
  }

  get dtype(): DType {
    return dtypeName(native.dtype(this._h));
  }

  get device(): Device {
    const code = native.deviceCode(this._h);
    let name = deviceNames.get(code);
    if (name === undefined) {
      name = native.device(this._h);
      deviceNames.set(code, name);
    }
    return name;
  }

  get isCuda(): boolean {
    return this.device.startsWith('cuda');
  }

  /** PyTorch's `x.layout`: 'strided' for a dense tensor, 'sparse_coo', 'sparse_csr', ... (lib/torch/layout.ts). */
  get layout(): Layout {
    return layoutName(ops._layout_code(this._h));
  }

  /** Whether the layout is sparse COO, as PyTorch's `x.is_sparse` (false for CSR and the other compressed layouts). */
  get isSparse(): boolean {
    return ops._layout_code(this._h) === 1;
  }

  /** Whether the layout is sparse CSR, as PyTorch's `x.is_sparse_csr`. */
  get isSparseCsr(): boolean {
    return ops._layout_code(this._h) === 2;
  }

  numel(): number {
    return native.flags(this._h, 0) as number;
  }

  dim(): number {
    return native.flags(this._h, 1) as number;
  }

  get ndim(): number {
    return this.dim();
  }

  elementSize(): number {
    return native.flags(this._h, 6) as number;
  }

  isContiguous(): boolean {
    return native.flags(this._h, 3) as boolean;
  }

  isPinned(): boolean {
    return native.flags(this._h, 5) as boolean;
  }

  // ---- PyTorch's other metadata members (ported code uses them line by line)

  /** Whether the dtype is float16, bfloat16, float32 or float64 (PyTorch's `x.is_floating_point()`). */
  isFloatingPoint(): boolean {
    return isFloatingPoint(this.dtype);
  }

  /** Whether the dtype holds negative values: all but uint8 and bool (PyTorch's `x.is_signed()`). */
  isSigned(): boolean {
    const d = this.dtype;
    return d !== 'uint8' && d !== 'bool';
  }

  get isCpu(): boolean {
    return this.device === 'cpu';
  }

  get isMeta(): boolean {
    return this.device === 'meta';
  }

  /** Whether `.grad` is kept for this tensor though it is not a leaf (after `retainGrad()`). */
  get retainsGrad(): boolean {
    return ops._retains_grad(this._h) as boolean;
  }

  /** Bytes of one element (PyTorch's `x.itemsize`). */
  get itemsize(): number {
    return this.elementSize();
  }

  /** Bytes of the elements this tensor views, `numel() * itemsize` (not of its whole storage). */
  get nbytes(): number {
    return this.numel() * this.elementSize();
  }

  /** Where this view starts in its storage, in elements. */
  storageOffset(): number {
    return native.storageInfo(this._h).offset as number;
  }

  ndimension(): number {
    return this.dim();
  }

  nelement(): number {
    return this.numel();
  }

  /** The CUDA device index; -1 for a CPU tensor, as PyTorch's `x.get_device()`. */
  getDevice(): number {
    const d = this.device;
    if (!d.startsWith('cuda')) return -1;
    const colon = d.indexOf(':');
    return colon < 0 ? 0 : Number(d.slice(colon + 1));
  }

  /** How many times it was changed in place: autograd's check that a saved tensor is unchanged. */
  get _version(): number {
    return ops._version(this._h) as number;
  }

  /**
   * `x.type()`: PyTorch's legacy type name ('torch.FloatTensor', 'torch.cuda.LongTensor');
   * `x.type(dtype)` or `x.type('torch.DoubleTensor')`: `x.to(dtype)`.
   */
  type(): string;
  type(dtype: DType | string): Tensor;
  type(dtype?: DType | string): string | Tensor {
    if (dtype === undefined) {
      const prefix = this.isCuda ? 'torch.cuda.' : 'torch.';
      return `${prefix}${LEGACY_TYPE_NAMES[this.dtype] ?? this.dtype}`;
    }
    if (isDType(dtype)) return this.to(dtype);
    const m = /^torch\.(cuda\.)?(\w+)$/.exec(dtype);
    const named = m && Object.entries(LEGACY_TYPE_NAMES).find(([, v]) => v === m[2]);
    if (!m || !named)
      throw new TypeError(`type: unknown type '${dtype}'; give a dtype or a name such as 'torch.FloatTensor'`);
    return this.to({ dtype: named[0] as DType, device: m[1] ? 'cuda' : 'cpu' });
  }

  /** PyTorch's name for the nested-array form: the same as `toArray()`. */
  tolist(): Nested {
    return this.toArray();
  }

  /** The last two dimensions swapped (PyTorch's `x.mT`); an Error below 2-D. */
  get mT(): Tensor {
    return new Tensor(ops._mT(this._h));
  }

  /** The conjugate transpose of the last two dimensions (PyTorch's `x.mH`). */
  get mH(): Tensor {
    return new Tensor(ops._mH(this._h));
  }

  /** All dimensions reversed (PyTorch's `x.T`; it warns, as PyTorch, where the tensor is not 2-D). */
  get T(): Tensor {
    return new Tensor(ops._numpy_T(this._h));
  }

  /** The conjugate transpose of a matrix (PyTorch's `x.H`); an Error for other than 2-D. */
  get H(): Tensor {
    return new Tensor(ops._matrix_H(this._h));
  }

  /**
   * A new tensor holding a copy of `data`, with this tensor's dtype and device unless given
   * (PyTorch's `x.new_tensor(data)`).
   */
  newTensor(data: Parameters<typeof tensor>[0], options?: TensorOptions): Tensor {
    return tensor(data, { ...options, dtype: options?.dtype ?? this.dtype, device: options?.device ?? this.device });
  }

  // ---- autograd

  get requiresGrad(): boolean {
    return native.flags(this._h, 2) as boolean;
  }

  set requiresGrad(value: boolean) {
    native.requiresGrad_(this._h, value);
  }

  requiresGrad_(requiresGrad = true): this {
    native.requiresGrad_(this._h, requiresGrad);
    return this;
  }

  get isLeaf(): boolean {
    return native.flags(this._h, 4) as boolean;
  }

  /** The accumulated gradient, or null. Each read is a new handle to the same storage. */
  get grad(): Tensor | null {
    const g = native.grad(this._h);
    return g === null ? null : new Tensor(g);
  }

  set grad(value: Tensor | null) {
    if (value !== null && !(value instanceof Tensor)) throw new TypeError('grad: expected a Tensor or null');
    native.setGrad(this._h, value === null ? undefined : value._h);
  }

  /** The name of the autograd node that made this tensor ('AddBackward0'), or null for a leaf. */
  get gradFn(): string | null {
    return native.gradFn(this._h);
  }

  /**
   * The same data without autograd history, as PyTorch's `.data`: unlike detach(), changes made
   * in place through it are not seen by autograd (a graph that saved this tensor still runs
   * backward). Assigning replaces the data in place, keeping this Tensor object, as
   * `param.data = ...` does in PyTorch.
   */
  get data(): Tensor {
    return new Tensor(native.variableData(this._h));
  }

  set data(value: Tensor) {
    if (!(value instanceof Tensor)) throw new TypeError('data: expected a Tensor');
    native.setData(this._h, value._h);
  }

  retainGrad(): void {
    native.retainGrad(this._h);
  }

  /**
   * Registers `hook(grad)`, called with this tensor's gradient during backward, as PyTorch's
   * `register_hook`: it returns a new gradient (same shape and dtype) or nothing to leave it. On a
   * leaf the hook runs before the gradient is accumulated into `.grad`; on a non-leaf it sees the
   * gradient flowing into it (null when none does). Several hooks run in the order they were
   * registered, each seeing the previous one's result. An error thrown in the hook reaches the
   * caller of backward(). Tensors made in the hook are freed when it returns, except its result.
   * For CUDA tensors the hook still runs on this thread (the device's autograd thread hands it over).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that only looks returns nothing
  registerHook(hook: (grad: Tensor) => Tensor | null | undefined | void): RemovableHandle {
    if (typeof hook !== 'function') throw new TypeError('registerHook: hook must be a function');
    let removed = false;
    const index = native.registerHook(this._h, ([h], serial) => {
      if (removed) {
        native.functionSetGrads(serial, [null]);
        return;
      }
      scope(() => {
        const result: unknown = hook((h == null ? null : new Tensor(h)) as Tensor);
        if (result instanceof Promise) throw new TypeError('registerHook: the hook must be synchronous');
        if (result != null && !(result instanceof Tensor)) {
          throw new TypeError(`registerHook: the hook must return a Tensor or nothing, got ${typeof result}`);
        }
        native.functionSetGrads(serial, [result == null ? null : result._h]);
      });
    });
    return {
      remove: () => {
        if (removed) return;
        removed = true;
        // Releases the hook now; a disposed handle leaves it in place, but inert.
        if (this._h >= 0) native.removeHook(this._h, index);
      },
    };
  }

  /**
   * PyTorch's register_post_accumulate_grad_hook: `hook(tensor)` runs in backward once this leaf's
   * `.grad` holds the newly accumulated gradient (hooks in the order registered), for instance to
   * step an optimizer per parameter while backward goes on and free the gradient at once. The
   * hook gets this very Tensor object; what it returns is ignored.
   */
  registerPostAccumulateGradHook(hook: (tensor: Tensor) => void): RemovableHandle {
    const what = 'registerPostAccumulateGradHook';
    if (typeof hook !== 'function') throw new TypeError(`${what}: hook must be a function`);
    // Weakly: libtorch keeps the hook as long as the tensor, which must not keep this object alive.
    const self = new WeakRef<Tensor>(this);
    let removed = false;
    const id = native.registerPostAccumulateGradHook(this._h, ([h], serial) => {
      scope(() => {
        const passed = new Tensor(h);
        if (!removed) {
          // What it returns is ignored, as TypeScript's `=> void` says (PyTorch refuses a value
          // other than None; here a concise arrow returns one without meaning to), but a promise
          // would run its rest after backward.
          const result: unknown = hook(self.deref() ?? passed);
          if (result instanceof Promise) throw new TypeError(`${what}: the hook must be synchronous`);
        }
        native.functionSetGrads(serial, []);
      });
    });
    return {
      remove: () => {
        if (removed) return;
        removed = true;
        if (this._h >= 0) native.removePostAccumulateGradHook(this._h, id);
      },
    };
  }

  backward(options?: BackwardOptions): void;
  backward(gradient?: Tensor | null, options?: BackwardOptions): void;
  backward(gradient?: Tensor | null | BackwardOptions, options?: BackwardOptions): void {
    // `loss.backward({ retainGraph: true })`, as Python's `loss.backward(retain_graph=True)`.
    if (typeof gradient === 'object' && gradient !== null && !(gradient instanceof Tensor)) {
      if (options !== undefined) throw new TypeError('backward: the options object must be the last argument');
      options = gradient;
      gradient = undefined;
    }
    if (gradient != null && !(gradient instanceof Tensor)) throw new TypeError('backward: gradient must be a Tensor');
    native.backward(
      this._h,
      gradient == null ? undefined : gradient._h,
      options?.retainGraph,
      options?.createGraph,
      options?.inputs?.map((t) => t._h),
    );
  }

  // ---- data

  /**
   * The value of a one-element tensor as a JS number (a boolean for bool). A complex tensor
   * throws, JavaScript having no complex number: read `torch.viewAsReal(x)` (its [real,
   * imaginary] pair) or `x.real.item()` and `x.imag.item()`.
   */
  item(): number | boolean {
    return native.item(this._h);
  }

  /**
   * The elements, row-major, in a fresh typed array: Float32Array for float32 (and for float16
   * and bfloat16, which have no typed array), Float64Array, BigInt64Array for int64, Int32Array,
   * Int16Array, Int8Array, Uint8Array for uint8 and bool. A complex tensor gives its (real,
   * imaginary) pairs interleaved, twice as many numbers as elements: Float32Array for complex64,
   * Float64Array for complex128 (`[re0, im0, re1, im1, ...]`, as torch.viewAsReal(x) lays them
   * out). A conjugate view (x.conj()) gives its values, conjugated.
   */
  toTypedArray(): Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array {
    let buffer: ArrayBuffer;
    try {
      buffer = native.toBuffer(this._h);
    } catch (e) {
      // A sparse tensor has no flat elements to copy; say so instead of libtorch's message.
      const layout = this._h >= 0 ? this.layout : 'strided';
      if (layout !== 'strided') {
        throw new Error(`toTypedArray: a ${layout} tensor has no flat elements; call toDense() first`);
      }
      throw e;
    }
    switch (this.dtype) {
      case 'float64':
      case 'complex128':
        return new Float64Array(buffer);
      case 'int64':
        return new BigInt64Array(buffer);
      case 'int32':
        return new Int32Array(buffer);
      case 'int16':
        return new Int16Array(buffer);
      case 'int8':
        return new Int8Array(buffer);
      case 'uint8':
      case 'bool':
        return new Uint8Array(buffer);
      default:
        return new Float32Array(buffer);
    }
  }

  /**
   * The elements as nested arrays of numbers (booleans for bool); a number for a 0-d tensor. A
   * complex tensor throws (JavaScript has no complex number): `torch.viewAsReal(x).toArray()`
   * gives its [real, imaginary] pairs, `x.real.toArray()` and `x.imag.toArray()` the parts.
   */
  toArray(): Nested {
    const layout = this.layout;
    if (layout !== 'strided') {
      // PyTorch's tolist fails here too ("tensor that doesn't have storage").
      throw new Error(`toArray: a ${layout} tensor has no nested-array form; call toDense() first`);
    }
    const shape = this.shape;
    const dtype = this.dtype;
    if (dtype === 'complex64' || dtype === 'complex128') {
      throw new Error(
        `toArray: a ${dtype} tensor has no JavaScript form (JavaScript has no complex numbers); ` +
          'torch.viewAsReal(x).toArray() gives its [real, imaginary] pairs, x.real.toArray() and ' +
          'x.imag.toArray() the parts, x.toTypedArray() the pairs interleaved',
      );
    }
    const data = this.toTypedArray();
    const at = (i: number): number | boolean => {
      if (dtype === 'bool') return data[i] !== 0;
      const v = data[i] as number | bigint;
      if (typeof v === 'bigint') {
        if (v > 9007199254740992n || v < -9007199254740992n) {
          throw new RangeError(`toArray: ${v} is beyond 2^53 and has no exact JavaScript number; use toTypedArray()`);
        }
        return Number(v);
      }
      return v;
    };
    if (shape.length === 0) return at(0);
    let offset = 0;
    const build = (d: number): Nested[] => {
      const n = shape[d] as number;
      const out: Nested[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = d === shape.length - 1 ? at(offset++) : build(d + 1);
      return out;
    };
    return build(0);
  }

  // ---- complex parts

  /**
   * The real part, as PyTorch's `x.real` (a property there, a getter here): for a complex tensor
   * a real view that shares its memory (float32 for complex64, float64 for complex128); a real
   * tensor is its own real part. Assigning copies into it: `x.real = y` is `x.real.copy_(y)`.
   */
  get real(): Tensor {
    return new Tensor(ops.real(this._h));
  }

  set real(value: Tensor | number) {
    setPart(this.real, value, 'real');
  }

  /**
   * The imaginary part, as PyTorch's `x.imag`: a real view of a complex tensor that shares its
   * memory; an Error for a real tensor, as in PyTorch. Assigning copies into it.
   */
  get imag(): Tensor {
    return new Tensor(ops.imag(this._h));
  }

  set imag(value: Tensor | number) {
    setPart(this.imag, value, 'imag');
  }

  /** Whether the dtype is complex64 or complex128 (PyTorch's `x.is_complex()`). */
  isComplex(): boolean {
    const d = this.dtype;
    return d === 'complex64' || d === 'complex128';
  }

  // ---- devices and dtypes

  /**
   * `to('cuda')`, `to('float64')`, `to(other)` (its dtype and device), or
   * `to({device, dtype, nonBlocking, copy})`. Returns this tensor itself when nothing changes
   * and no copy is asked for, as PyTorch does.
   */
  to(target: Device | DType | Tensor | ToOptions, options?: Omit<ToOptions, 'dtype' | 'device'>): Tensor {
    let o: ToOptions;
    if (target instanceof Tensor) o = { dtype: target.dtype, device: target.device, ...options };
    else if (typeof target === 'string') {
      o = isDType(target) ? { dtype: target, ...options } : { device: target, ...options };
    } else o = target;
    // Nothing to change: itself, without the native call (which parses the device string and
    // dispatches an op); the engine asks this of every tensor of every batch. A disposed tensor
    // goes on to the native call, whose error names `to`.
    if (
      !o.copy &&
      this._h >= 0 &&
      (o.device === undefined || o.device === this.device) &&
      (o.dtype === undefined || o.dtype === this.dtype)
    )
      return this;
    const h = native.to(this._h, dtypeCode(o.dtype, 'to'), o.device, o.nonBlocking, o.copy);
    return h === this._h ? this : new Tensor(h);
  }

  cpu(): Tensor {
    return this.to({ device: 'cpu' });
  }

  cuda(device: Device = 'cuda', options?: { nonBlocking?: boolean }): Tensor {
    return this.to({ device, ...options });
  }

  /**
   * Marks this CUDA tensor as used on `stream`, so that the caching allocator does not hand its
   * memory out again before the work queued there has finished (for tensors made on one stream
   * and used on another).
   */
  recordStream(stream: { _data: StreamData }): void {
    native.cudaRecordStream(this._h, stream._data);
  }

  /** A copy in page-locked host memory, for asynchronous copies to a GPU (needs CUDA). */
  pinMemory(): Tensor {
    return new Tensor(native.pinMemory(this._h));
  }

  // ---- lifetime

  /** Frees the tensor's memory now. Using it afterwards throws "tensor was disposed". */
  dispose(): void {
    release(this);
  }

  /** `using t = ...` disposes `t` at the end of the block. */
  [Symbol.dispose](): void {
    release(this);
  }

  get isDisposed(): boolean {
    return this._h < 0;
  }

  /** Takes this tensor out of the enclosing scope, so that the scope's end does not free it. */
  keep(): this {
    return keep(this);
  }

  // ---- printing

  toString(): string {
    if (this._h < 0) return 'tensor(<disposed>)';
    return this.layout === 'strided' ? formatTensor(this) : formatSparse(this);
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
