// torch.jit: TorchScript modules saved by Python (`torch.jit.script(m).save(path)` or
// `torch.jit.trace(m, x).save(path)`), run by libtorch's interpreter (native/jit.cpp), and
// modules traced here from JavaScript (torch.jit.trace, jit_trace.ts).
//
// A ScriptModule owns a native module: dispose() (or `using`) frees it at once, the garbage
// collector otherwise. Arguments are converted by the method's TorchScript signature: Tensor,
// int (integral numbers only), float, bool, str, Optional (null or undefined), List and Tuple
// (arrays), Dict (plain objects for str keys, Maps for any), Union, Any; an omitted argument
// takes its default. Results: Tensors (owned by the current scope, like any op's result),
// arrays for tuples and lists, plain objects for str-keyed dicts (Maps for others), numbers,
// booleans, strings and null.
//
// Keyword arguments go through `call(name, args, kwargs)`: keywords in their own object, so that
// a trailing plain object in `forward(...)` stays what it always is, a Dict argument.
// Submodules (`namedChildren`, `getSubmodule`, `getAttr`) are ScriptModules over the same native
// module, each with its own handle: disposing the parent leaves a child that is still held working.
import { inspect } from 'node:util';
import { type NativeJit, native } from '../binding.js';
import { isPlainObject } from '../plain_object.js';
import type { Device } from './device.js';
import { type DType, dtypeCode, isDType } from './dtype.js';
import { keep } from './lifetime.js';
import { Tensor } from './tensor.js';

export { isTracing, type TraceInput, type TraceOptions, trace } from './jit_trace.js';

const jit = native as unknown as NativeJit;
jit.jitInit(Tensor);

const modules = new FinalizationRegistry<number>((id) => jit.jitFree(id));

// Tensors read from the module's attributes are the module's own, like parameters: kept alive
// past the current scope.
function keepAll(v: unknown): unknown {
  if (v instanceof Tensor) keep(v);
  else if (Array.isArray(v)) for (const e of v) keepAll(e);
  else if (v instanceof Map) for (const e of v.values()) keepAll(e);
  else if (v !== null && typeof v === 'object') for (const e of Object.values(v)) keepAll(e);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return typeof v;
}

function named(id: number, what: 0 | 1 | 2, recurse: boolean, kept: boolean): [string, Tensor][] {
  const [names, handles] = jit.jitNamed(id, what, recurse);
  return names.map((name, k) => {
    const t = new Tensor(handles[k] as number);
    return [name, kept ? keep(t) : t];
  });
}

function modulesOf(id: number, recurse: boolean): [string, ScriptModule][] {
  const [names, ids] = jit.jitChildren(id, recurse);
  return names.map((name, k) => [name, new ScriptModule(ids[k] as number)]);
}

/**
 * A TorchScript module from `torch.jit.load` or `torch.jit.trace`: PyTorch's `torch.jit.ScriptModule`. Methods
 * run under the caller's grad mode; gradients reach the inputs and the module's parameters.
 */
export class ScriptModule {
  /** @internal The native module's id; -1 once disposed. */
  _id: number;

  /** @internal Made by torch.jit.load. */
  constructor(id: number) {
    this._id = id;
    modules.register(this, id, this);
  }

  private get id(): number {
    if (this._id < 0) throw new Error('ScriptModule: this ScriptModule was disposed');
    return this._id;
  }

  /** Runs the module's `forward`; `T` names what it returns (a Tensor unless told otherwise). */
  forward<T = Tensor>(...args: unknown[]): T {
    return jit.jitRunMethod(this.id, 'forward', args) as T;
  }

  /** Runs another method (one marked `@torch.jit.export` in Python, say). */
  runMethod<T = unknown>(name: string, ...args: unknown[]): T {
    if (typeof name !== 'string') throw new TypeError('runMethod: name must be a string');
    return jit.jitRunMethod(this.id, name, args) as T;
  }

  /**
   * Runs a method with positional and keyword arguments, as Python's `m.name(*args, **kwargs)`:
   * `m.call('forward', [x], {k: 3})`. Keywords are bound by the method's TorchScript signature; an
   * unknown keyword, one given by position too, or a required argument given neither way is a
   * TypeError. An undefined value counts as not given.
   */
  call<T = unknown>(name: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}): T {
    if (typeof name !== 'string') throw new TypeError(`call: name must be a string, got ${describe(name)}`);
    if (!Array.isArray(args)) throw new TypeError(`call: args must be an array, got ${describe(args)}`);
    if (!isPlainObject(kwargs)) {
      throw new TypeError(`call: kwargs must be a plain object of keyword arguments, got ${describe(kwargs)}`);
    }
    return jit.jitRunMethod(this.id, name, args, kwargs) as T;
  }

  /** The names of the module's methods (forward and the exported ones, with their schemas). */
  methods(): { name: string; schema: string }[] {
    return jit.jitMethods(this.id).map(([name, schema]) => ({ name, schema }));
  }

  /** The TorchScript source of `forward`, as Python's `m.code`. */
  get code(): string {
    return jit.jitCode(this.id, 'forward');
  }

  /** The name of the Python class it was scripted from (`original_name`). */
  get originalName(): string {
    return jit.jitInfo(this.id)[1];
  }

  get training(): boolean {
    return jit.jitInfo(this.id)[0];
  }

  /** Sets `training` on this module and every submodule. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError(`train: mode is expected to be boolean, got ${typeof mode}`);
    jit.jitTrain(this.id, mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Converts parameters (and their gradients) and buffers in place, as nn.Module.to does:
   * `to('cuda')`, `to('float64')`, `to({device, dtype, nonBlocking})`. Tensors taken from the
   * module before see the change. A dtype applies to floating-point tensors only.
   */
  to(target: Device | DType | { device?: Device; dtype?: DType; nonBlocking?: boolean }): this {
    const o = typeof target === 'string' ? (isDType(target) ? { dtype: target } : { device: target }) : target;
    if (o.dtype !== undefined && !(o.dtype.startsWith('float') || o.dtype === 'bfloat16')) {
      throw new TypeError(`ScriptModule.to only accepts floating point dtypes, but got desired dtype=${o.dtype}`);
    }
    jit.jitTo(this.id, o.device, dtypeCode(o.dtype, 'ScriptModule.to'), o.nonBlocking ?? false);
    return this;
  }

  cpu(): this {
    return this.to({ device: 'cpu' });
  }

  cuda(device: Device = 'cuda'): this {
    return this.to({ device });
  }

  float(): this {
    return this.to({ dtype: 'float32' });
  }

  double(): this {
    return this.to({ dtype: 'float64' });
  }

  /**
   * The parameters under PyTorch's dotted names, in PyTorch's order. Each is the module's own
   * tensor (its gradient, requiresGrad and in-place changes are the module's), held by a handle
   * that the garbage collector frees, whatever scope it was taken in (as nn.Parameter).
   */
  namedParameters(options?: { recurse?: boolean }): [string, Tensor][] {
    return named(this.id, 0, options?.recurse ?? true, true);
  }

  parameters(options?: { recurse?: boolean }): Tensor[] {
    return this.namedParameters(options).map(([, p]) => p);
  }

  /** The buffers (running statistics, ...), as namedParameters. */
  namedBuffers(options?: { recurse?: boolean }): [string, Tensor][] {
    return named(this.id, 1, options?.recurse ?? true, true);
  }

  buffers(options?: { recurse?: boolean }): Tensor[] {
    return this.namedBuffers(options).map(([, b]) => b);
  }

  /**
   * Parameters and buffers under PyTorch's names and in its order (each module's parameters,
   * then its buffers, then its children's), as detached tensors sharing the module's storage.
   */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(named(this.id, 2, true, false));
  }

  /** The direct submodules under their attribute names, in registration order. */
  namedChildren(): [string, ScriptModule][] {
    return modulesOf(this.id, false);
  }

  children(): ScriptModule[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module (under '') and every module below it under its dotted name, depth first. */
  namedModules(): [string, ScriptModule][] {
    return [['', this], ...modulesOf(this.id, true)];
  }

  modules(): ScriptModule[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** The submodule at a dotted path (`'encoder.layers.0'`); `''` is this module. */
  getSubmodule(target: string): ScriptModule {
    if (typeof target !== 'string')
      throw new TypeError(`getSubmodule: target must be a string, got ${describe(target)}`);
    return target === '' ? this : new ScriptModule(jit.jitSubmodule(this.id, target));
  }

  /**
   * Whether the module has this attribute: parameters, buffers, submodules, plain attributes
   * (`self.n = 3` in Python) and constants (`Final`). Methods are listed by methods().
   */
  hasAttr(name: string): boolean {
    if (typeof name !== 'string') throw new TypeError(`hasAttr: name must be a string, got ${describe(name)}`);
    return jit.jitHasAttr(this.id, name);
  }

  /**
   * An attribute's value: a submodule as a ScriptModule, Tensors as the module's own (they
   * outlive the current scope, as parameters() do), other values converted as results are.
   */
  getAttr<T = unknown>(name: string): T {
    if (typeof name !== 'string') throw new TypeError(`getAttr: name must be a string, got ${describe(name)}`);
    const [kind, value] = jit.jitGetAttr(this.id, name);
    return (kind === 1 ? new ScriptModule(value) : keepAll(value)) as T;
  }

  /**
   * Sets an existing attribute; the value is converted by the attribute's TorchScript type (an
   * `int` attribute takes integral numbers only, say), and a mismatch is a TypeError.
   */
  setAttr(name: string, value: unknown): void {
    if (typeof name !== 'string') throw new TypeError(`setAttr: name must be a string, got ${describe(name)}`);
    jit.jitSetAttr(this.id, name, value);
  }

  zeroGrad(options?: { setToNone?: boolean }): void {
    const setToNone = options?.setToNone ?? true;
    for (const p of this.parameters()) {
      if (setToNone) p.grad = null;
      else p.grad?.zero_();
      p.dispose();
    }
  }

  /** Frees the native module now; using it again is an Error. Tensors taken from it stay valid. */
  dispose(): void {
    if (this._id < 0) return;
    modules.unregister(this);
    jit.jitFree(this._id);
    this._id = -1;
  }

  /** `using m = torch.jit.load(...)` disposes `m` at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  get isDisposed(): boolean {
    return this._id < 0;
  }

  toString(): string {
    return this._id < 0 ? 'ScriptModule(disposed)' : jit.jitRepr(this._id);
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * Loads a TorchScript file saved by `torch.jit.save` / `ScriptModule.save` in Python (or by
 * `torch.jit.save` here). `mapLocation` moves every tensor to that device as it loads.
 */
export function load(f: string, options?: { mapLocation?: Device }): ScriptModule {
  if (typeof f !== 'string') throw new TypeError('jit.load: f must be a path');
  return new ScriptModule(jit.jitLoad(f, options?.mapLocation));
}

/** Saves a ScriptModule to `f` in TorchScript's format, which Python's torch.jit.load reads. */
export function save(m: ScriptModule, f: string): void {
  if (!(m instanceof ScriptModule)) throw new TypeError('jit.save: expected a ScriptModule (from torch.jit.load)');
  if (typeof f !== 'string') throw new TypeError('jit.save: f must be a path');
  jit.jitSave(m._id < 0 ? -1 : m._id, f);
}
