// torch.optim.Optimizer: parameter groups, per-parameter state, zeroGrad, step, and state dicts
// in PyTorch's layout.
//
// Groups and state use camelCase keys in memory (`group.weightDecay`, `state.expAvgSq`);
// stateDict() writes PyTorch's snake_case keys (`weight_decay`, `exp_avg_sq`) so that a
// checkpoint maps one-to-one onto `torch.optim.X(...).state_dict()`, and loadStateDict() reads
// either one back.
//
// Lifetimes: step() runs inside torch.scope (and torch.noGrad), so the temporaries of an update
// are freed when it returns; the state tensors that live across steps are keep()-ed, and belong
// to the garbage collector (or to whoever disposes them).
import '../../generated/methods.js';
import { _foreachAdd_ } from '../../generated/functions.js';
import { isPlainObject } from '../../plain_object.js';
import { enableGrad, noGrad } from '../autograd.js';
import { scalarTensor } from '../creation.js';
import { scope } from '../lifetime.js';
import { Tensor } from '../tensor.js';

/** One parameter group: its tensors and its options (camelCase), readable and writable. */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  /** Set when the params were given as `[name, tensor]` pairs (`namedParameters()`). */
  paramNames?: string[];
  /** Written by the LR schedulers: the lr they start from. */
  initialLr?: number;
  [option: string]: unknown;
}

/** What a constructor accepts as one group: the tensors plus per-group options. */
export interface ParamGroupInput {
  params: Tensor | Iterable<Tensor> | Iterable<[string, Tensor]>;
  [option: string]: unknown;
}

export type OptimizerParams = Iterable<Tensor> | Iterable<[string, Tensor]> | Iterable<ParamGroupInput>;

/** A state dict in PyTorch's layout: snake_case keys, parameters named by their index. */
export interface OptimizerStateDict {
  state: Record<number | string, Record<string, unknown>>;
  param_groups: Record<string, unknown>[];
}

/** Per-parameter state: tensors (and numbers) under camelCase keys. */
export type ParamState = Record<string, unknown>;

export const toSnake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const toCamel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const isFloating = (t: Tensor): boolean => ['float16', 'float32', 'float64', 'bfloat16'].includes(t.dtype);

/** Copies arrays and plain objects (not tensors) so that stored options are not shared. */
function copyValue<T>(v: T): T {
  if (Array.isArray(v)) return v.map(copyValue) as T;
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copyValue(x)])) as T;
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Tensor) return 'a Tensor';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/**
 * The base class of the optimizers. A subclass passes its defaults (camelCase, in PyTorch's
 * order) to the constructor and implements `updateGroup`, which runs under noGrad and inside
 * the scope of one step().
 */
export abstract class Optimizer<G extends ParamGroup = ParamGroup, S extends object = ParamState> {
  /** The constructor's options, with their defaults filled in: what a new group starts from. */
  readonly defaults: Record<string, unknown>;
  paramGroups: G[] = [];
  /** Per-parameter state, keyed by the parameter tensor. */
  state = new Map<Tensor, S>();
  /**
   * PyTorch's `_step_supports_amp_scaling`: true for the optimizers built with fused=true, whose
   * kernels unscale the gradients themselves; GradScaler.step then sets gradScale and foundInf
   * around step() instead of unscaling (see fused.ts).
   */
  stepSupportsAmpScaling = false;
  gradScale: Tensor | null = null;
  foundInf: Tensor | null = null;

  constructor(params: OptimizerParams, defaults: Record<string, unknown>) {
    this.defaults = defaults;
    const name = this.constructor.name;
    if (params instanceof Tensor) {
      throw new TypeError(
        `${name}: params must be an array of Tensors or of param groups, got a Tensor; wrap it in an array`,
      );
    }
    if (params == null || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`${name}: params must be an array of Tensors or of param groups, got ${describe(params)}`);
    }
    this.validate(defaults);
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0) throw new Error(`${name}: got an empty parameter list`);
    const groups = isPlainObject(list[0]) ? (list as ParamGroupInput[]) : [{ params: list as Tensor[] }];
    for (const g of groups) this.addParamGroup(g);
  }

  /** Checks option values (a constructor's defaults, or a new group); throws on a bad one. */
  protected abstract validate(options: Record<string, unknown>): void;

  /** Updates the parameters of one group from their gradients. */
  protected abstract updateGroup(group: G): void;

  /** The parameter's state, created empty on first use (Python's defaultdict). */
  protected stateOf(param: Tensor): S {
    let s = this.state.get(param);
    if (!s) {
      s = {} as S;
      this.state.set(param, s);
    }
    return s;
  }

  /** Adds a group of parameters, with options of its own; the others come from the defaults. */
  addParamGroup(paramGroup: ParamGroupInput): void {
    const name = this.constructor.name;
    if (!isPlainObject(paramGroup)) {
      throw new TypeError(
        `${name}.addParamGroup: a param group must be an object {params, ...}, got ${describe(paramGroup)}`,
      );
    }
    const raw = paramGroup.params;
    let items: unknown[];
    if (raw instanceof Tensor) items = [raw];
    else if (raw instanceof Set) {
      throw new TypeError(
        `${name}: parameters must be in an ordered collection (an array), not a Set, so that their order is the same in every run`,
      );
    } else if (raw != null && typeof (raw as Iterable<unknown>)[Symbol.iterator] === 'function') {
      items = [...(raw as Iterable<unknown>)];
    } else {
      throw new TypeError(
        `${name}: a param group's params must be a Tensor or an array of Tensors, got ${describe(raw)}`,
      );
    }
    const params: Tensor[] = [];
    const names: string[] = [];
    for (const item of items) {
      if (Array.isArray(item) && item.length === 2 && typeof item[0] === 'string') {
        names.push(item[0]);
        params.push(item[1] as Tensor);
      } else params.push(item as Tensor);
    }
    if (names.length !== 0 && names.length !== params.length) {
      throw new Error(`${name}: all params must be given with names ([name, tensor]) or all without`);
    }
    for (const p of params) {
      if (!(p instanceof Tensor))
        throw new TypeError(`${name}: can only optimize Tensors, but one of the params is ${describe(p)}`);
      if (!p.isLeaf)
        throw new Error(`${name}: can't optimize a non-leaf Tensor (use .detach().requiresGrad_() to make a leaf)`);
    }

    const group: Record<string, unknown> = { params };
    for (const [key, value] of Object.entries(paramGroup)) {
      if (key === 'params' || value === undefined) continue;
      if (key.includes('_') && toCamel(key) in this.defaults) {
        throw new TypeError(`${name}: unknown option '${key}'; options are camelCase: '${toCamel(key)}'`);
      }
      group[key] = copyValue(value);
    }
    if (names.length !== 0) group.paramNames = names;
    for (const [key, value] of Object.entries(this.defaults)) {
      if (!(key in group)) group[key] = copyValue(value);
    }
    this.validate(group);

    if (new Set(params).size !== params.length) {
      process.emitWarning(
        `${name}: a parameter group contains duplicate parameters; in future this will be an error`,
        'UserWarning',
      );
    }
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) {
      for (const p of g.params) seen.add(p);
      if ('paramNames' in g !== 'paramNames' in group) {
        throw new Error(
          `${name}: all param groups must be with names or all without; cannot add a group ${
            'paramNames' in group ? 'with' : 'without'
          } names`,
        );
      }
    }
    if (params.some((p) => seen.has(p)))
      throw new Error(`${name}: some parameters appear in more than one parameter group`);
    this.paramGroups.push(group as G);
  }

  /**
   * Sets the gradients of all parameters to null (`setToNone`, the default) or to zero.
   */
  zeroGrad(options?: { setToNone?: boolean }): void {
    const setToNone = options?.setToNone ?? true;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (setToNone) {
          p.grad = null;
          continue;
        }
        scope(() => {
          const g = p.grad;
          if (g === null) return;
          if (g.gradFn !== null) g.detach_();
          else g.requiresGrad_(false);
          g.zero_();
        });
      }
    }
  }

  /**
   * One optimization step. `closure`, if given, re-evaluates the model (with grad mode on)
   * and returns the loss, which step returns. Runs inside torch.scope: the temporaries of the
   * update are freed on return.
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    return scope(() => {
      const loss = closure ? enableGrad(closure) : undefined;
      noGrad(() => {
        for (const group of this.paramGroups) this.updateGroup(group);
      });
      return loss;
    });
  }

  /**
   * The optimizer's state in PyTorch's layout: `{state: {0: {step, exp_avg, ...}},
   * param_groups: [{lr, betas, ..., params: [0, 1]}]}` with snake_case keys. Its tensors are
   * the optimizer's own (as in PyTorch, not copies): save them before the next step changes
   * them, or clone them.
   */
  stateDict(): OptimizerStateDict {
    const ids = new Map<Tensor, number>();
    let start = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(g)) {
        if (key !== 'params') packed[toSnake(key)] = copyValue(value);
      }
      g.params.forEach((p, i) => {
        if (!ids.has(p)) ids.set(p, start + i);
      });
      packed.params = g.params.map((p) => ids.get(p));
      start += g.params.length;
      return packed;
    });
    const state: Record<number, Record<string, unknown>> = {};
    for (const [p, s] of this.state) {
      const id = ids.get(p);
      if (id === undefined) continue;
      state[id] = Object.fromEntries(Object.entries(s).map(([k, v]) => [toSnake(k), copyValue(v)]));
    }
    return { state, param_groups: paramGroups };
  }

  /**
   * Restores a state dict from stateDict() here or `state_dict()` in PyTorch (snake_case or
   * camelCase keys). The groups must match this optimizer's in number and size; their options
   * replace the current ones. State tensors are copied (cast to each parameter's dtype and
   * device, `step` kept as it is), so the optimizer shares nothing with `stateDict`.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const name = this.constructor.name;
    if (!isPlainObject(stateDict) || !Array.isArray(stateDict.param_groups) || stateDict.state == null) {
      throw new TypeError(`${name}.loadStateDict: expected {state, param_groups}, as stateDict() returns`);
    }
    const groups = this.paramGroups;
    const saved = stateDict.param_groups;
    if (groups.length !== saved.length) {
      throw new Error(
        `${name}.loadStateDict: the state dict has ${saved.length} parameter groups, this optimizer ${groups.length}`,
      );
    }
    const idMap = new Map<number, { param: Tensor; group: Record<string, unknown> }>();
    saved.forEach((sg, i) => {
      const ids = sg.params;
      const g = groups[i] as G;
      if (!Array.isArray(ids) || ids.length !== g.params.length) {
        throw new Error(
          `${name}.loadStateDict: parameter group ${i} has ${Array.isArray(ids) ? ids.length : 'no'} params in the state dict and ${g.params.length} here`,
        );
      }
      ids.forEach((id, k) => {
        idMap.set(Number(id), { param: g.params[k] as Tensor, group: sg });
      });
    });

    const entries: [string, unknown][] =
      stateDict.state instanceof Map
        ? [...(stateDict.state as Map<unknown, unknown>)].map(([k, v]) => [String(k), v])
        : Object.entries(stateDict.state);
    const state = new Map<Tensor, S>();
    scope(() =>
      noGrad(() => {
        for (const [key, value] of entries) {
          const target = idMap.get(Number(key));
          if (!target) {
            throw new Error(
              `${name}.loadStateDict: the state has an entry for parameter ${key}, which no param group lists`,
            );
          }
          if (!isPlainObject(value)) throw new TypeError(`${name}.loadStateDict: state[${key}] must be an object`);
          const { param, group } = target;
          const flag = (k: string): boolean => Boolean(group[k] ?? group[toCamel(k)]);
          const s: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(value)) {
            const camel = toCamel(k);
            s[camel] = camel === 'step' ? castStep(v, flag('capturable') || flag('fused'), param) : castValue(v, param);
          }
          state.set(param, s as S);
        }
      }),
    );

    const newGroups = saved.map((sg, i) => {
      const current = groups[i] as G;
      const g: Record<string, unknown> = { params: current.params };
      for (const [k, v] of Object.entries(sg)) {
        if (k !== 'params') g[toCamel(k)] = copyValue(v);
      }
      if (current.paramNames && !('paramNames' in g)) g.paramNames = current.paramNames;
      this.completeLoadedGroup(g);
      return g as G;
    });
    this.state = state;
    this.paramGroups = newGroups;
  }

  /** Fills in what a loaded group lacks (an older checkpoint), as PyTorch's __setstate__ does. */
  protected completeLoadedGroup(group: Record<string, unknown>): void {
    for (const [key, value] of Object.entries(this.defaults)) {
      if (!(key in group)) group[key] = copyValue(value);
    }
  }

  toString(): string {
    const lines = [`${this.constructor.name} (`];
    this.paramGroups.forEach((g, i) => {
      lines.push(`Parameter Group ${i}`);
      for (const key of Object.keys(g).sort()) {
        if (key === 'params') continue;
        const v = g[key];
        lines.push(`    ${key}: ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`);
      }
    });
    lines.push(')');
    return lines.join('\n');
  }
}

/** A loaded `step`: a copy, as float32 on the parameter's device for capturable or fused groups. */
function castStep(v: unknown, toParamDevice: boolean, param: Tensor): unknown {
  if (typeof v === 'number') return scalarTensor(v, { dtype: 'float32' }).keep();
  if (!(v instanceof Tensor)) return copyValue(v);
  const t = toParamDevice
    ? v.detach().to({ dtype: 'float32', device: param.device, copy: true })
    : v.detach().to({ copy: true });
  return t.keep();
}

/** A loaded state value: tensors copied to the parameter's device (and dtype, if floating). */
function castValue(v: unknown, param: Tensor): unknown {
  if (v instanceof Tensor) {
    const t = isFloating(param)
      ? v.detach().to({ dtype: param.dtype, device: param.device, copy: true })
      : v.detach().to({ device: param.device, copy: true });
    return t.keep();
  }
  if (Array.isArray(v)) return v.map((x) => castValue(x, param));
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, castValue(x, param)]));
  return v;
}

// ---- option checks shared by the optimizers

/** Throws a TypeError for options the optimizer does not know (a typo, or snake_case). */
export function checkOptionNames(name: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined) return;
  if (!isPlainObject(options)) throw new TypeError(`${name}: options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const camel = toCamel(key);
    throw new TypeError(
      `${name}: unknown option '${key}'${known.includes(camel) ? `; options are camelCase: '${camel}'` : ''} (known: ${known.join(', ')})`,
    );
  }
}

export function checkNumber(name: string, options: Record<string, unknown>, key: string): number {
  const v = options[key];
  if (v instanceof Tensor) throw new TypeError(`${name}: ${key} as a Tensor is not supported; pass a number`);
  if (typeof v !== 'number' || Number.isNaN(v))
    throw new TypeError(`${name}: ${key} must be a number, got ${describe(v)}`);
  return v;
}

export function checkNonNegative(
  name: string,
  options: Record<string, unknown>,
  key: string,
  what = `${key} value`,
): void {
  const v = checkNumber(name, options, key);
  if (!(v >= 0)) throw new Error(`${name}: invalid ${what}: ${v} (must be >= 0)`);
}

/** A pair of numbers `[a, b]` (Adam's betas, Rprop's etas and stepSizes): an array of two numbers. */
export function checkPair(name: string, options: Record<string, unknown>, key: string, what: string): [number, number] {
  const v = options[key];
  if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== 'number')) {
    throw new TypeError(`${name}: ${key} must be an array of two numbers, ${what}`);
  }
  return v as [number, number];
}

/** Adam-style betas: two numbers in [0, 1). */
export function checkBetas(name: string, options: Record<string, unknown>): void {
  checkPair(name, options, 'betas', '[beta1, beta2]').forEach((b, i) => {
    if (!(b >= 0 && b < 1)) throw new Error(`${name}: invalid beta parameter at index ${i}: ${b} (must be in [0, 1))`);
  });
}

export function checkBoolean(name: string, options: Record<string, unknown>, key: string): void {
  const v = options[key];
  if (typeof v !== 'boolean') throw new TypeError(`${name}: ${key} must be a boolean, got ${describe(v)}`);
}

/**
 * foreach and fused: null, true or false, recorded as given. `foreach` picks the update's path
 * (see updateByDeviceGroup); `fused: true` takes libtorch's fused kernel where the optimizer has
 * one (Adam, AdamW, SGD, Adagrad; see fused.ts) and is recorded and ignored elsewhere.
 */
export function checkFlags(name: string, options: Record<string, unknown>): void {
  for (const key of ['foreach', 'fused']) {
    if (key in options && options[key] !== null && typeof options[key] !== 'boolean') {
      throw new TypeError(`${name}: ${key} must be a boolean or null, got ${describe(options[key])}`);
    }
  }
  for (const key of ['differentiable', 'capturable']) {
    if (options[key] === true) throw new Error(`${name}: ${key}=true is not supported here; leave it false`);
  }
}

// ---- the foreach (multi-tensor) paths

/** The parameters of one device and dtype: what one foreach kernel call takes. */
export interface DeviceGroup {
  device: string;
  dtype: string;
  /** indices into the list that was grouped */
  indices: number[];
}

/**
 * PyTorch's Optimizer._group_tensors_by_device_and_dtype: `tensors` grouped by device and dtype,
 * groups in order of first appearance.
 */
export function groupByDeviceAndDtype(tensors: readonly Tensor[]): DeviceGroup[] {
  const groups = new Map<string, DeviceGroup>();
  tensors.forEach((t, i) => {
    const device = t.device;
    const dtype = t.dtype;
    const key = `${device} ${dtype}`;
    const g = groups.get(key);
    if (g) g.indices.push(i);
    else groups.set(key, { device, dtype, indices: [i] });
  });
  return [...groups.values()];
}

/**
 * How a group's parameters (those with gradients) are updated: by `foreach` (PyTorch's
 * `_multi_tensor_*` functions: one native call per operation for all the parameters of one
 * device and dtype) or by `single` (`_single_tensor_*`: one native call per operation per
 * parameter), per device and dtype.
 *
 * `foreach: true` or `false` in the group picks the path, as in PyTorch. `foreach: null`, the
 * default (kept as null in the group and in stateDict(), as in PyTorch), is PyTorch's own
 * default: foreach (with `byDefault`) when all the parameters are on CUDA, the single-tensor path
 * otherwise. On the CPU the single-tensor path is also the faster one here: libtorch's foreach
 * CPU kernels are those same ops in a loop plus list handling, and a training step took 2-6%
 * longer through them (SGD and Adam, MLP and LeNet; even on a 60-tensor ResNet).
 *
 * `sparseError`, given by the optimizers that take no sparse gradients, is the Error a sparse
 * gradient in the group raises. `fused`, given by the optimizers with a fused kernel, takes the
 * whole group (all devices) when the group says `fused: true`.
 */
export function updateByDeviceGroup(
  group: { params: Tensor[]; foreach?: unknown },
  byDefault: boolean,
  single: (params: Tensor[], grads: Tensor[]) => void,
  foreach: (params: Tensor[], grads: Tensor[]) => void,
  sparseError?: string,
  fused?: (params: Tensor[], grads: Tensor[]) => void,
): void {
  // The parameters that have gradients, and those gradients, read once for the whole update.
  const params: Tensor[] = [];
  const grads: Tensor[] = [];
  for (const p of group.params) {
    const g = p.grad;
    if (g === null) continue;
    // An optimizer without a sparse path refuses a sparse gradient here, before updating the
    // group, as PyTorch's _init_group does (an earlier group has been updated by then).
    if (sparseError !== undefined && g.isSparse) throw new Error(sparseError);
    params.push(p);
    grads.push(g);
  }
  if (params.length === 0) return;
  if (fused !== undefined && (group as { fused?: unknown }).fused === true) {
    fused(params, grads);
    return;
  }
  const option = group.foreach;
  // The single-tensor path takes any mix of devices and dtypes as it comes: no grouping.
  if (option === false || (option !== true && !(byDefault && params.every((p) => p.isCuda)))) {
    single(params, grads);
    return;
  }
  for (const part of groupByDeviceAndDtype(params)) foreach(pick(params, part.indices), pick(grads, part.indices));
}

/** The elements of `list` at `indices`. */
export function pick<T>(list: readonly T[], indices: readonly number[]): T[] {
  return indices.map((i) => list[i] as T);
}

/** Python's `[_get_value(step) for step in steps]`. */
export function stepValues(steps: Tensor[]): number[] {
  return steps.map((step) => step.item() as number);
}

/**
 * `torch._foreach_add_(steps, 1)` as PyTorch writes it: on the CPU, with a tensor 1.0 (the
 * foreach CPU kernel is a loop over `step.add_(one)`).
 */
export function incrementSteps(steps: Tensor[]): void {
  if ((steps[0] as Tensor).device === 'cpu') _foreachAdd_(steps, scalarTensor(1, { dtype: 'float32' }), { alpha: 1 });
  else _foreachAdd_(steps, 1);
}
