// The base class of every layer and model, as torch.nn.Module.
//
// Registration is by assignment: a field holding a Parameter is a parameter, a field holding a
// Module is a submodule, in the order the fields were first assigned (JavaScript keeps string
// keys in insertion order, as PyTorch's dicts do). Once a name holds a parameter (or a
// submodule), assigning it anything but a Parameter (a Module) or null is a TypeError, as in
// PyTorch's __setattr__: a plain tensor there would silently leave the state dict and the
// optimizer. The check is a Proxy with a defineProperty trap (every assignment to an own field
// and every class-field definition goes through [[DefineOwnProperty]]), so reads of fields take
// no trap. `delete module.name` unregisters the name, as PyTorch's __delattr__. Buffers are tensors named with
// registerBuffer(): the name becomes an accessor, so that a tensor assigned to it later (an
// `this.ema = ...` update in forward, inside a scope) is kept alive as the buffer, and anything
// but a tensor or null is refused. Containers whose children are not fields (Sequential,
// ModuleList, ModuleDict) override moduleEntries().
import { inspect } from 'node:util';
import { noGrad } from '../autograd.js';
import type { Device } from '../device.js';
import { type DType, isDType } from '../dtype.js';
import { keep } from '../lifetime.js';
import { Tensor } from '../tensor.js';
import { Parameter } from './parameter.js';
import { indent, reprBlock } from './repr.js';

export type StateDict = Record<string, Tensor>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

const BUFFERS = Symbol('buffers');
const BUFFER_VALUES = Symbol('bufferValues');
const HOOKS = Symbol('forwardHooks');
const STATE_HOOKS = Symbol('stateDictHooks');
const FIELD_KINDS = Symbol('fieldKinds');

type FieldKind = 'parameter' | 'child module';

/** A value as a refusal message names it. */
function describeValue(v: unknown): string {
  if (v instanceof Tensor) return v._h < 0 ? 'a disposed Tensor' : `a Tensor (${v.dtype})`;
  if (v instanceof Module) return `a Module (${v.constructor.name})`;
  if (v === null || v === undefined) return String(v);
  return typeof v === 'object' ? `a ${v.constructor?.name ?? 'object'}` : `a ${typeof v}`;
}

/** PyTorch's __setattr__ rules for a name that holds (or held) a parameter or submodule. */
function checkAssignment(target: Module, key: string | symbol, value: unknown): void {
  if (typeof key !== 'string') return;
  const kinds = target[FIELD_KINDS];
  const kind = kinds.get(key);
  if (value instanceof Parameter) kinds.set(key, 'parameter');
  else if (value instanceof Module && kind !== 'parameter') kinds.set(key, 'child module');
  else if (kind !== undefined && value !== null) {
    const expected = kind === 'parameter' ? 'a Parameter' : 'a Module';
    throw new TypeError(
      `cannot assign ${describeValue(value)} as ${kind} '${key}' of ${target.constructor.name} (${expected} or null expected; delete the ${kind === 'parameter' ? 'parameter' : 'submodule'} first to hold something else under its name)`,
    );
  }
}

/** A module's state-dict hooks, if it has any. */
const stateHooks = (m: Module): StateHooks | undefined => (m as unknown as { [STATE_HOOKS]?: StateHooks })[STATE_HOOKS];

/** A state dict's `_metadata` (stateDict() attaches it; torch.load keeps a file's), if it has one. */
function stateMetadata(sd: object): Record<string, Record<string, unknown>> | undefined {
  const m = (sd as { _metadata?: unknown })._metadata;
  return m !== null && typeof m === 'object' ? (m as Record<string, Record<string, unknown>>) : undefined;
}

const FIELD_GUARD: ProxyHandler<Module> = {
  defineProperty(target, key, descriptor) {
    if ('value' in descriptor) checkAssignment(target, key, descriptor.value);
    return Reflect.defineProperty(target, key, descriptor);
  },
  deleteProperty(target, key) {
    if (typeof key === 'string') {
      target[FIELD_KINDS].delete(key);
      // A buffer's name leaves the registry too (its accessor is the property deleted below).
      const internals = target as unknown as { [BUFFERS]: Map<string, boolean>; [BUFFER_VALUES]: Map<string, unknown> };
      internals[BUFFERS].delete(key);
      internals[BUFFER_VALUES].delete(key);
    }
    return Reflect.deleteProperty(target, key);
  },
};

/** A hook run before forward: its arguments, as an array; it returns nothing, or the arguments to use instead (an array). */
export type ForwardPreHook<M extends Module = Module> = (module: M, args: unknown[]) => unknown;
/** A hook run after forward: its arguments and output; it returns nothing, or the output to use instead. */
export type ForwardHook<M extends Module = Module> = (module: M, args: unknown[], output: unknown) => unknown;

/** Runs before a module's entries are collected by stateDict(). */
export type StateDictPreHook<M extends Module = Module> = (module: M, prefix: string, keepVars: boolean) => void;
/** Runs after a module's entries (and its children's) are in `stateDict`, which it may change in place. */
export type StateDictPostHook<M extends Module = Module> = (
  module: M,
  stateDict: StateDict,
  prefix: string,
  localMetadata: Record<string, unknown>,
) => void;
/**
 * Runs before loadStateDict matches keys, on the (copied) state dict it will read: it may rename,
 * add or remove entries (old checkpoint layouts), or report keys and errors in the arrays.
 */
export type LoadStateDictPreHook<M extends Module = Module> = (
  module: M,
  stateDict: Record<string, Tensor>,
  prefix: string,
  localMetadata: Record<string, unknown>,
  strict: boolean,
  missingKeys: string[],
  unexpectedKeys: string[],
  errorMsgs: string[],
) => void;
/** Runs after loadStateDict copied what fits; it may clear entries of the key lists before `strict` judges them. */
export type LoadStateDictPostHook<M extends Module = Module> = (module: M, incompatibleKeys: LoadResult) => void;

interface StateHooks {
  statePre: StateDictPreHook[];
  statePost: StateDictPostHook[];
  loadPre: LoadStateDictPreHook[];
  loadPost: LoadStateDictPostHook[];
}

/** What registering a hook returns: remove() unregisters it. */
export interface RemovableHandle {
  remove(): void;
}

/** A name PyTorch would accept for a parameter, buffer or submodule: a non-empty string without dots. */
export function checkName(what: string, name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new TypeError(`${what} name should be a string, got ${typeof name}`);
  if (name === '') throw new Error(`${what} name can't be empty string ""`);
  if (name.includes('.')) throw new Error(`${what} name can't contain ".", got: ${name}`);
}

export abstract class Module {
  training = true;
  /** Buffer names and whether each is persistent (in the state dict). */
  private readonly [BUFFERS] = new Map<string, boolean>();
  /** The buffers' tensors, behind their accessors (see registerBuffer). */
  private readonly [BUFFER_VALUES] = new Map<string, Tensor | null>();
  /** @internal Names registered as parameters or submodules (kept when set to null), for FIELD_GUARD. */
  readonly [FIELD_KINDS] = new Map<string, FieldKind>();

  constructor() {
    // Every module is seen through its guard: subclass fields are defined on the proxy.
    // biome-ignore lint/correctness/noConstructorReturn: the guard must be the object users hold
    return new Proxy(this, FIELD_GUARD);
  }

  abstract forward(...args: never[]): unknown;

  // ---- registration

  registerParameter(name: string, param: Parameter | null): void {
    checkName('parameter', name);
    if (param !== null && !(param instanceof Parameter)) {
      throw new TypeError(`registerParameter: '${name}' must be a Parameter or null`);
    }
    if (this[BUFFERS].has(name)) throw new Error(`registerParameter: attribute '${name}' already exists (a buffer)`);
    this[FIELD_KINDS].set(name, 'parameter');
    (this as Record<string, unknown>)[name] = param;
  }

  registerModule(name: string, module: Module | null): void {
    checkName('module', name);
    if (module !== null && !(module instanceof Module)) {
      throw new TypeError(`registerModule: '${name}' must be a Module or null`);
    }
    if (this[BUFFERS].has(name)) throw new Error(`registerModule: attribute '${name}' already exists (a buffer)`);
    if (this[FIELD_KINDS].get(name) !== 'parameter') this[FIELD_KINDS].set(name, 'child module');
    (this as Record<string, unknown>)[name] = module;
  }

  /** A tensor that is part of the module's state but not a parameter (BatchNorm's running stats). */
  registerBuffer(name: string, tensor: Tensor | null, options?: { persistent?: boolean }): void {
    checkName('buffer', name);
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new TypeError(`registerBuffer: '${name}' must be a Tensor or null`);
    }
    const current = (this as Record<string, unknown>)[name];
    if (!this[BUFFERS].has(name) && (current instanceof Parameter || current instanceof Module)) {
      throw new Error(
        `registerBuffer: attribute '${name}' already exists (a ${current instanceof Module ? 'submodule' : 'parameter'})`,
      );
    }
    const values = this[BUFFER_VALUES];
    if (!this[BUFFERS].has(name)) {
      Object.defineProperty(this, name, {
        get: () => values.get(name) ?? null,
        set: (v: unknown) => {
          if (v !== null && !(v instanceof Tensor)) {
            throw new TypeError(`cannot assign ${typeof v} as buffer '${name}' (a Tensor or null expected)`);
          }
          values.set(name, v === null ? null : keep(v));
        },
        enumerable: true,
        configurable: true,
      });
    }
    this[BUFFERS].set(name, options?.persistent ?? true);
    (this as Record<string, unknown>)[name] = tensor;
  }

  // ---- traversal

  /** Parameters directly on this module, in registration order (null ones included). */
  protected ownParameters(): [string, Parameter | null][] {
    const out: [string, Parameter | null][] = [];
    for (const [k, v] of Object.entries(this)) if (v instanceof Parameter) out.push([k, v]);
    return out;
  }

  protected ownBuffers(): [string, Tensor | null, boolean][] {
    const self = this as Record<string, unknown>;
    return [...this[BUFFERS]].map(([k, persistent]) => [k, self[k] as Tensor | null, persistent]);
  }

  /**
   * Every submodule under each of its names, as PyTorch's `_modules` (a module under two names is
   * there twice): what state dicts, the repr and getSubmodule go through. Containers override it.
   */
  protected moduleEntries(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [k, v] of Object.entries(this)) if (v instanceof Module) out.push([k, v]);
    return out;
  }

  /** The direct submodules, each once (a module under two names is listed under the first), as PyTorch's named_children. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    for (const [name, m] of this.moduleEntries()) {
      if (seen.has(m)) continue;
      seen.add(m);
      out.push([name, m]);
    }
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and all below it, depth first, each once, with dotted names. */
  namedModules(prefix = '', seen = new Set<Module>()): [string, Module][] {
    if (seen.has(this)) return [];
    seen.add(this);
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) {
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name, seen));
    }
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  namedParameters(options?: { prefix?: string; recurse?: boolean }): [string, Parameter][] {
    const prefix = options?.prefix ?? '';
    const modules = options?.recurse === false ? [[prefix, this] as [string, Module]] : this.namedModules(prefix);
    const seen = new Set<Parameter>();
    const out: [string, Parameter][] = [];
    for (const [mName, m] of modules) {
      for (const [name, p] of m.ownParameters()) {
        if (!p || seen.has(p)) continue;
        seen.add(p);
        out.push([mName ? `${mName}.${name}` : name, p]);
      }
    }
    return out;
  }

  parameters(options?: { recurse?: boolean }): Parameter[] {
    return this.namedParameters(options).map(([, p]) => p);
  }

  namedBuffers(options?: { prefix?: string; recurse?: boolean }): [string, Tensor][] {
    const prefix = options?.prefix ?? '';
    const modules = options?.recurse === false ? [[prefix, this] as [string, Module]] : this.namedModules(prefix);
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [mName, m] of modules) {
      for (const [name, b] of m.ownBuffers()) {
        if (!b || seen.has(b)) continue;
        seen.add(b);
        out.push([mName ? `${mName}.${name}` : name, b]);
      }
    }
    return out;
  }

  buffers(options?: { recurse?: boolean }): Tensor[] {
    return this.namedBuffers(options).map(([, b]) => b);
  }

  getSubmodule(target: string): Module {
    if (target === '') return this;
    let m: Module = this;
    for (const part of target.split('.')) {
      const next = m.moduleEntries().find(([n]) => n === part)?.[1];
      if (!next) throw new Error(`getSubmodule: ${m.constructor.name} has no submodule '${part}' (in '${target}')`);
      m = next;
    }
    return m;
  }

  // ---- copies

  /**
   * A deep copy, as Python's `copy.deepcopy(module)`: the same structure with new tensors of the
   * same values (Parameters stay Parameters, with their requiresGrad and gradient; a tensor or
   * module reached twice is copied once, so tied weights stay tied), buffers and forward hooks
   * registered again on the copy, functions shared. Only graph leaves can be copied, as in PyTorch.
   */
  deepcopy(): this {
    return deepcopyValue(this, new Map(), `${this.constructor.name}.deepcopy`);
  }

  // ---- forward hooks

  /**
   * Runs `hook(module, args)` before every forward() of this module (a module is called through
   * forward() here, PyTorch's __call__); a returned array replaces the arguments.
   */
  registerForwardPreHook(hook: ForwardPreHook<this>, options?: { prepend?: boolean }): RemovableHandle {
    return this.addHook('pre', hook as ForwardPreHook, options?.prepend ?? false);
  }

  /** Runs `hook(module, args, output)` after every forward() of this module; a returned value other than undefined replaces the output. */
  registerForwardHook(hook: ForwardHook<this>, options?: { prepend?: boolean }): RemovableHandle {
    return this.addHook('post', hook as ForwardHook, options?.prepend ?? false);
  }

  private addHook(kind: 'pre' | 'post', hook: ForwardPreHook | ForwardHook, prepend: boolean): RemovableHandle {
    if (typeof hook !== 'function')
      throw new TypeError(`register forward ${kind === 'pre' ? 'pre-' : ''}hook: expected a function`);
    const self = this as unknown as {
      [HOOKS]?: { pre: ForwardPreHook[]; post: ForwardHook[] };
      forward: (...a: unknown[]) => unknown;
    };
    if (!self[HOOKS]) {
      const hooks = { pre: [] as ForwardPreHook[], post: [] as ForwardHook[] };
      Object.defineProperty(this, HOOKS, { value: hooks });
      // forward, wrapped once on this instance: the hooks run around whatever forward it had.
      const inner = self.forward;
      Object.defineProperty(this, 'forward', {
        value: (...args: unknown[]): unknown => {
          let a = args;
          for (const pre of [...hooks.pre]) {
            const r = pre(this, a);
            if (r !== undefined) {
              if (!Array.isArray(r))
                throw new TypeError('forward pre-hook: return the arguments as an array, or nothing');
              a = r;
            }
          }
          let out = inner.apply(this, a);
          for (const post of [...hooks.post]) {
            const r = post(this, a, out);
            if (r !== undefined) out = r;
          }
          return out;
        },
        writable: true,
        configurable: true,
      });
    }
    const list = (self[HOOKS] as { pre: unknown[]; post: unknown[] })[kind];
    if (prepend) list.unshift(hook);
    else list.push(hook);
    return {
      remove: () => {
        const k = list.indexOf(hook);
        if (k >= 0) list.splice(k, 1);
      },
    };
  }

  // ---- state-dict hooks

  /** Runs `hook(module, prefix, keepVars)` before stateDict() collects this module's entries. */
  registerStateDictPreHook(hook: StateDictPreHook<this>): RemovableHandle {
    return this.addStateHook('statePre', hook as StateDictPreHook);
  }

  /** Runs `hook(module, stateDict, prefix, localMetadata)` after this module's entries (and its children's) are collected. */
  registerStateDictPostHook(hook: StateDictPostHook<this>): RemovableHandle {
    return this.addStateHook('statePost', hook as StateDictPostHook);
  }

  /**
   * Runs `hook(module, stateDict, prefix, localMetadata, strict, missingKeys, unexpectedKeys,
   * errorMsgs)` before loadStateDict reads this module's keys (`prefix` ends with a dot below
   * the root), as PyTorch's register_load_state_dict_pre_hook.
   */
  registerLoadStateDictPreHook(hook: LoadStateDictPreHook<this>): RemovableHandle {
    return this.addStateHook('loadPre', hook as LoadStateDictPreHook);
  }

  /** Runs `hook(module, {missingKeys, unexpectedKeys})` after loadStateDict copied, before `strict` judges the keys. */
  registerLoadStateDictPostHook(hook: LoadStateDictPostHook<this>): RemovableHandle {
    return this.addStateHook('loadPost', hook as LoadStateDictPostHook);
  }

  private addStateHook<K extends keyof StateHooks>(kind: K, hook: StateHooks[K][number]): RemovableHandle {
    if (typeof hook !== 'function') throw new TypeError(`register ${kind} state-dict hook: expected a function`);
    const self = this as unknown as { [STATE_HOOKS]?: StateHooks };
    if (!self[STATE_HOOKS]) {
      const hooks: StateHooks = { statePre: [], statePost: [], loadPre: [], loadPost: [] };
      Object.defineProperty(this, STATE_HOOKS, { value: hooks });
    }
    const list = (self[STATE_HOOKS] as StateHooks)[kind] as unknown[];
    list.push(hook);
    return {
      remove: () => {
        const k = list.indexOf(hook);
        if (k >= 0) list.splice(k, 1);
      },
    };
  }

  // ---- modes and in-place changes

  /** Sets this module's `training`, then calls each child's train(mode): a child's own train() (a frozen BatchNorm) is honoured, as in PyTorch. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError(`train: mode is expected to be boolean, got ${typeof mode}`);
    this.training = mode;
    for (const child of this.children()) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Calls `fn` on every submodule, children first, then on this module, as PyTorch does. */
  apply(fn: (m: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  zeroGrad(options?: { setToNone?: boolean }): void {
    const setToNone = options?.setToNone ?? true;
    for (const p of this.parameters()) {
      if (setToNone) p.grad = null;
      else p.grad?.zero_();
    }
  }

  /**
   * Converts parameters and buffers: `to('cuda')`, `to('float64')`, `to({device, dtype,
   * nonBlocking})`. Parameters stay the same objects (their data is replaced, as in PyTorch), so
   * an optimizer made before the move still holds them. A dtype applies to floating-point
   * tensors only.
   */
  to(target: Device | DType | { device?: Device; dtype?: DType; nonBlocking?: boolean }): this {
    const o = typeof target === 'string' ? (isDType(target) ? { dtype: target } : { device: target }) : target;
    if (o.dtype !== undefined && !(o.dtype.startsWith('float') || o.dtype === 'bfloat16')) {
      throw new TypeError(`nn.Module.to only accepts floating point dtypes, but got desired dtype=${o.dtype}`);
    }
    const convert = (t: Tensor): Tensor => {
      const floating = t.dtype.startsWith('float') || t.dtype === 'bfloat16';
      return t.to({
        ...(o.device !== undefined ? { device: o.device } : {}),
        ...(o.dtype !== undefined && floating ? { dtype: o.dtype } : {}),
        nonBlocking: o.nonBlocking ?? false,
      });
    };
    noGrad(() => {
      for (const m of this.modules()) {
        for (const [, p] of m.ownParameters()) {
          if (!p) continue;
          const moved = convert(p);
          if (moved !== p) p.data = moved;
          const g = p.grad;
          if (g) {
            const movedGrad = convert(g);
            if (movedGrad !== g) p.grad = movedGrad;
          }
        }
        const self = m as unknown as Record<string, unknown>;
        for (const [name, b] of m.ownBuffers()) {
          if (!b) continue;
          const moved = convert(b);
          if (moved !== b) self[name] = keep(moved);
        }
      }
    });
    return this;
  }

  cuda(device: Device = 'cuda'): this {
    return this.to({ device });
  }

  cpu(): this {
    return this.to({ device: 'cpu' });
  }

  half(): this {
    return this.to({ dtype: 'float16' });
  }

  float(): this {
    return this.to({ dtype: 'float32' });
  }

  double(): this {
    return this.to({ dtype: 'float64' });
  }

  // ---- state

  /**
   * The version of this module's state-dict layout, PyTorch's `_version`: 1, and 2 for batch and
   * instance norm (whose `num_batches_tracked` came with version 2). stateDict() records it per
   * module in `_metadata`, and a loading module's hooks get it back.
   */
  static readonly _version: number = 1;

  /**
   * Parameters and persistent buffers under PyTorch's dotted names (`layer1.0.conv1.weight`,
   * `bn.running_mean`), in PyTorch's order: each module's parameters, then its buffers, then its
   * children's. Values are detached views of the module's tensors (the tensors themselves with
   * `keepVars`). As PyTorch's, the object carries `_metadata` (not enumerable: spreads and
   * Object.keys leave it out): each module's prefix (`''` for this one, `layer1.0`) to
   * `{version}`, which torch.save writes and PyTorch's load_state_dict reads.
   */
  stateDict(options?: { prefix?: string; keepVars?: boolean }): StateDict {
    const out: StateDict = {};
    const metadata: Record<string, { version: number }> = {};
    Object.defineProperty(out, '_metadata', { value: metadata, enumerable: false, writable: true, configurable: true });
    this.collectState(options?.prefix ?? '', out, options?.keepVars ?? false, metadata);
    return out;
  }

  private collectState(
    prefix: string,
    out: StateDict,
    keepVars: boolean,
    metadata: Record<string, { version: number }>,
  ): void {
    const hooks = stateHooks(this);
    for (const h of hooks?.statePre ?? []) h(this, prefix, keepVars);
    const local = { version: (this.constructor as typeof Module)._version };
    metadata[prefix.slice(0, -1)] = local;
    for (const [name, p] of this.ownParameters()) if (p) out[prefix + name] = keepVars ? p : p.detach();
    for (const [name, b, persistent] of this.ownBuffers()) {
      if (b && persistent) out[prefix + name] = keepVars ? b : b.detach();
    }
    // Every name of a shared submodule, as PyTorch's state_dict (a tied module's keys twice).
    for (const [name, child] of this.moduleEntries()) child.collectState(`${prefix + name}.`, out, keepVars, metadata);
    for (const h of hooks?.statePost ?? []) h(this, out, prefix, local);
  }

  /** This module and every submodule under each of its names, with its key prefix, as PyTorch's load() recursion visits them. */
  private *withPrefixes(prefix = ''): Generator<[Module, string]> {
    yield [this, prefix];
    for (const [name, child] of this.moduleEntries()) yield* child.withPrefixes(`${prefix + name}.`);
  }

  /**
   * Copies a state dict's tensors into this module's parameters and buffers. With `strict`
   * (the default) missing or unexpected keys are an Error, as in PyTorch; either way the keys
   * come back. A shape mismatch is always an Error. As in PyTorch, the tensors that fit are
   * copied before an Error is thrown.
   */
  loadStateDict(input: Record<string, Tensor>, options?: { strict?: boolean }): LoadResult {
    const strict = options?.strict ?? true;
    // A copy, as PyTorch's: load pre-hooks may rename entries (old layouts) without touching the caller's.
    const stateDict = { ...input };
    const metadata = stateMetadata(input);
    const hookMissing: string[] = [];
    const hookUnexpected: string[] = [];
    const errors: string[] = [];
    const visited = [...this.withPrefixes()];
    for (const [m, prefix] of visited) {
      for (const h of stateHooks(m)?.loadPre ?? []) {
        h(m, stateDict, prefix, metadata?.[prefix.slice(0, -1)] ?? {}, strict, hookMissing, hookUnexpected, errors);
      }
    }
    const own = this.stateDict({ keepVars: true });
    // A norm layer's counter, new in its layout's version 2, may be absent from a state dict of an
    // older version or of none (PyTorch fills it in): it keeps its value, and is not missing.
    const olderCounter = (k: string): boolean => {
      if (k !== 'num_batches_tracked' && !k.endsWith('.num_batches_tracked')) return false;
      const version = metadata?.[k.slice(0, -'.num_batches_tracked'.length)]?.version;
      return typeof version !== 'number' || version < 2;
    };
    const missingKeys = [...hookMissing, ...Object.keys(own).filter((k) => !(k in stateDict) && !olderCounter(k))];
    const unexpectedKeys = [...hookUnexpected, ...Object.keys(stateDict).filter((k) => !(k in own))];
    const bad = new Set<string>();
    for (const [key, target] of Object.entries(own)) {
      const value = stateDict[key];
      if (value === undefined) continue;
      if (!(value instanceof Tensor)) {
        errors.push(`While copying the parameter named "${key}", expected a Tensor, got ${typeof value}.`);
        bad.add(key);
        continue;
      }
      const a = value.shape;
      const b = target.shape;
      if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
        errors.push(
          `size mismatch for ${key}: copying a param with shape [${a.join(', ')}] from checkpoint, the shape in current model is [${b.join(', ')}].`,
        );
        bad.add(key);
      }
    }
    // As PyTorch: every tensor that fits is copied, then what did not is an Error.
    noGrad(() => {
      for (const [key, target] of Object.entries(own)) {
        const value = stateDict[key];
        if (value && !bad.has(key)) target.copy_(value);
      }
    });
    // Post-hooks see the key lists and may clear entries before strict judges them, as in PyTorch.
    const result: LoadResult = { missingKeys, unexpectedKeys };
    for (const [m] of visited) for (const h of stateHooks(m)?.loadPost ?? []) h(m, result);
    if (strict && result.unexpectedKeys.length) {
      errors.unshift(`Unexpected key(s) in state_dict: ${result.unexpectedKeys.map((k) => `"${k}"`).join(', ')}.`);
    }
    if (strict && result.missingKeys.length) {
      errors.unshift(`Missing key(s) in state_dict: ${result.missingKeys.map((k) => `"${k}"`).join(', ')}.`);
    }
    if (errors.length) {
      throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join('\n\t')}`);
    }
    return result;
  }

  // ---- printing

  /** What goes between the parentheses of this module's line in toString(). */
  extraRepr(): string {
    return '';
  }

  /** PyTorch's repr: a one-line extraRepr inline, else its lines and the children's, indented. */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split('\n') : [];
    const childLines = this.moduleEntries().map(([name, child]) => `(${name}): ${indent(child.toString())}`);
    return reprBlock(this.constructor.name, extraLines, childLines);
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * An object that copies itself for Module.deepcopy, as Python's `__deepcopy__`: `[DEEPCOPY]()`
 * returns the copy (a lazy module's placeholder parameters, which have no data to clone).
 */
export const DEEPCOPY = Symbol('torch-node.deepcopy');

/** deepcopy's walk: tensors and modules as Module.deepcopy says, containers and plain or class objects field by field. */
function deepcopyValue<T>(value: T, memo: Map<object, unknown>, what: string): T {
  if (value === null || typeof value !== 'object') return value;
  if (memo.has(value)) return memo.get(value) as T;
  const own = (value as { [DEEPCOPY]?: () => unknown })[DEEPCOPY];
  if (typeof own === 'function') {
    const out = own.call(value);
    memo.set(value, out);
    return out as T;
  }
  if (value instanceof Tensor) return copyTensor(value, memo, what) as T;
  if (value instanceof Module) return copyModule(value, memo, what) as T;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp) {
    const out = structuredClone(value);
    memo.set(value, out);
    return out;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    memo.set(value, out);
    for (const v of value) out.push(deepcopyValue(v, memo, what));
    return out as T;
  }
  if (value instanceof Map) {
    const out = new Map();
    memo.set(value, out);
    for (const [k, v] of value) out.set(deepcopyValue(k, memo, what), deepcopyValue(v, memo, what));
    return out as T;
  }
  if (value instanceof Set) {
    const out = new Set();
    memo.set(value, out);
    for (const v of value) out.add(deepcopyValue(v, memo, what));
    return out as T;
  }
  const out = Object.create(Object.getPrototypeOf(value)) as object;
  memo.set(value, out);
  copyFields(value, out, memo, what, () => false);
  return out as T;
}

/** Defines every own property of `from` on `to`, data values deep-copied, except those `skip` names. */
function copyFields(
  from: object,
  to: object,
  memo: Map<object, unknown>,
  what: string,
  skip: (key: string | symbol) => boolean,
): void {
  for (const key of Reflect.ownKeys(from)) {
    if (skip(key)) continue;
    const d = Object.getOwnPropertyDescriptor(from, key) as PropertyDescriptor;
    if ('value' in d) d.value = deepcopyValue(d.value, memo, what);
    Object.defineProperty(to, key, d);
  }
}

function copyTensor(t: Tensor, memo: Map<object, unknown>, what: string): Tensor {
  if (!t.isLeaf) {
    throw new Error(
      `${what}: only tensors created explicitly by the user (graph leaves) can be copied, as in PyTorch's deepcopy`,
    );
  }
  const data = noGrad(() => t.detach().clone());
  const out = t instanceof Parameter ? new Parameter(data, t.requiresGrad) : keep(data.requiresGrad_(t.requiresGrad));
  memo.set(t, out);
  const g = t.grad;
  if (g) out.grad = keep(g.detach().clone());
  return out;
}

/**
 * A module's copy, made as a constructor makes one (behind its FIELD_GUARD, the registries first)
 * without running a constructor: its fields deep-copied, its buffers registered again (their
 * accessors belong to one instance), its forward hooks registered again (the wrapper is bound to
 * its instance).
 */
function copyModule(m: Module, memo: Map<object, unknown>, what: string): Module {
  const target = Object.create(Object.getPrototypeOf(m)) as Module;
  const registry = (key: symbol, value: Map<unknown, unknown>) =>
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  registry(FIELD_KINDS, new Map(m[FIELD_KINDS]));
  registry(BUFFERS, new Map());
  registry(BUFFER_VALUES, new Map());
  const out = new Proxy(target, FIELD_GUARD);
  memo.set(m, out);
  const source = m as unknown as Record<string | symbol, unknown>;
  const hooks = source[HOOKS] as { pre: ForwardPreHook[]; post: ForwardHook[] } | undefined;
  const buffers = (m as unknown as { [BUFFERS]: Map<string, boolean> })[BUFFERS];
  copyFields(
    m,
    out,
    memo,
    what,
    (key) =>
      key === FIELD_KINDS ||
      key === BUFFERS ||
      key === BUFFER_VALUES ||
      key === HOOKS ||
      (hooks !== undefined && key === 'forward') ||
      (typeof key === 'string' && buffers.has(key)),
  );
  for (const [name, persistent] of buffers) {
    out.registerBuffer(name, deepcopyValue(source[name] as Tensor | null, memo, what), { persistent });
  }
  for (const h of hooks?.pre ?? []) out.registerForwardPreHook(h);
  for (const h of hooks?.post ?? []) out.registerForwardHook(h);
  return out;
}
