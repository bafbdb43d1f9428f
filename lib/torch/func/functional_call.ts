// torch.func.functional_call: a module's forward with some of its parameters and buffers
// replaced by given tensors, the module itself untouched afterwards.
//
// Each replaced name is redefined, for the call, as an accessor over a slot holding the given
// tensor, and its own property descriptor is put back afterwards (in a finally). An accessor and
// not a plain assignment, because a module refuses a plain tensor where a Parameter was (its field
// guard checks data values only), and because redefining an existing property keeps its place in
// the key order, which is the parameters' registration order. The accessor's setter keeps what
// forward assigns (a buffer updated as `this.count = this.count.add(1)`); that value is written
// back into the caller's dict, as PyTorch does.

import { isPlainObject } from '../../plain_object.js';
import { keep } from '../lifetime.js';
import { describe } from '../marshal.js';
import { Module } from '../nn/module.js';
import type { Parameter } from '../nn/parameter.js';
import { Tensor } from '../tensor.js';

/** PyTorch's keyword arguments of functional_call. */
export interface FunctionalCallOptions {
  /**
   * Names tied in the module (one tensor under two names) stay tied: a value given for one of
   * them replaces all; different values for tied names are an Error (default true).
   */
  tieWeights?: boolean;
  /** The given names must be exactly the module's parameters and buffers (default false). */
  strict?: boolean;
}

type NamedTensors = Record<string, Tensor | null>;

// The registries behind Module's protected traversal, read here as PyTorch's accessor reads
// `_parameters`, `_buffers` and `_modules`: every name of a shared tensor or submodule counts.
interface ModuleInternals {
  ownParameters(): [string, Parameter | null][];
  ownBuffers(): [string, Tensor | null, boolean][];
  moduleEntries(): [string, Module][];
}
const internals = (m: Module): ModuleInternals => m as unknown as ModuleInternals;

/** Every parameter and buffer under every name (PyTorch's remove_duplicate=False), parameters first. */
function allNamedTensors(module: Module): [string, Tensor][] {
  const params: [string, Tensor][] = [];
  const buffers: [string, Tensor][] = [];
  const visit = (m: Module, prefix: string): void => {
    const inner = internals(m);
    for (const [name, p] of inner.ownParameters()) if (p) params.push([prefix + name, p]);
    for (const [name, b] of inner.ownBuffers()) if (b) buffers.push([prefix + name, b]);
    for (const [name, child] of inner.moduleEntries()) visit(child, `${prefix + name}.`);
  };
  visit(module, '');
  return [...params, ...buffers];
}

const pyList = (names: string[]): string => `[${names.map((n) => `'${n}'`).join(', ')}]`;

/** The given map with every name tied to a given one added, as PyTorch's _untie_named_tensors_map. */
function untie(module: Module, given: NamedTensors): NamedTensors {
  const namesOf = new Map<Tensor, string[]>();
  for (const [name, t] of allNamedTensors(module)) {
    const names = namesOf.get(t);
    if (names) names.push(name);
    else namesOf.set(t, [name]);
  }
  const tiedTo = new Map<string, string[]>();
  for (const names of namesOf.values()) if (names.length > 1) for (const n of names) tiedTo.set(n, names);
  const out: NamedTensors = { ...given };
  for (const name of Object.keys(given)) {
    const tied = tiedTo.get(name);
    if (!tied) continue;
    const values = new Set(tied.filter((n) => n in given).map((n) => given[n]));
    if (values.size > 1) {
      throw new Error(
        `functionalCall got multiple values for keys ${pyList([...tied].sort())}, which are tied. Consider using tieWeights: false`,
      );
    }
    for (const n of tied) out[n] = given[name] as Tensor | null;
  }
  return out;
}

function checkStrict(module: Module, named: NamedTensors): void {
  const valid = new Set(allNamedTensors(module).map(([n]) => n));
  const keys = new Set(Object.keys(named));
  const missing = [...valid].filter((k) => !keys.has(k)).sort();
  const unexpected = [...keys].filter((k) => !valid.has(k)).sort();
  const errors: string[] = [];
  if (unexpected.length) errors.push(`Unexpected key(s): ${unexpected.map((k) => `'${k}'`).join(', ')}.`);
  if (missing.length) errors.push(`Missing key(s): ${missing.map((k) => `'${k}'`).join(', ')}.`);
  if (errors.length) {
    throw new Error(
      `functionalCall: Error(s) in reparametrizing for ${module.constructor.name}:\n\t${errors.join('\n\t')}`,
    );
  }
}

/** The submodule that owns the dotted `path`'s last name, as PyTorch's NamedMemberAccessor finds it. */
function ownerOf(module: Module, path: string): [Module, string] {
  const parts = path.split('.');
  const name = parts.pop() as string;
  let m = module;
  let walked = '';
  for (const part of parts) {
    walked = walked ? `${walked}.${part}` : part;
    const child = internals(m)
      .moduleEntries()
      .find(([n]) => n === part)?.[1];
    if (child) {
      m = child;
      continue;
    }
    const field = (m as unknown as Record<string, unknown>)[part];
    if (field === undefined) throw new Error(`functionalCall: ${m.constructor.name} has no attribute \`${part}\``);
    throw new TypeError(`functionalCall: submodule \`${walked}\`: ${describe(field)} is not a Module`);
  }
  if (name === '') throw new Error(`functionalCall: tensor name can't be empty string "" (in '${path}')`);
  return [m, name];
}

interface Swap {
  key: string;
  owner: Module;
  name: string;
  /** The own property before the call; undefined where there was none. */
  before: PropertyDescriptor | undefined;
  slot: { value: Tensor | null };
}

function swapIn(module: Module, key: string, value: Tensor | null): Swap {
  const [owner, name] = ownerOf(module, key);
  const before = Object.getOwnPropertyDescriptor(owner, name);
  if (name in owner) {
    const current = (owner as unknown as Record<string, unknown>)[name];
    if (current !== null && current !== undefined && !(current instanceof Tensor)) {
      const what = current instanceof Module ? `a Module (${current.constructor.name})` : describe(current);
      throw new TypeError(`functionalCall: attribute \`${key}\`: ${what} is not a Tensor`);
    }
  }
  const slot = { value };
  Object.defineProperty(owner, name, {
    get: () => slot.value,
    set: (v: unknown) => {
      if (v !== null && !(v instanceof Tensor)) {
        throw new TypeError(
          `cannot assign ${describe(v)} as '${key}' during functionalCall (a Tensor or null expected)`,
        );
      }
      slot.value = v === null ? null : keep(v);
    },
    enumerable: before?.enumerable ?? true,
    configurable: true,
  });
  return { key, owner, name, before, slot };
}

function swapOut(s: Swap): void {
  if (s.before) Object.defineProperty(s.owner, s.name, s.before);
  else delete (s.owner as unknown as Record<string, unknown>)[s.name];
}

function merge(dicts: unknown): NamedTensors {
  if (Array.isArray(dicts)) {
    if (!dicts.every((d) => isPlainObject(d))) {
      throw new Error('functionalCall: Expected all elements of parametersAndBuffers to be objects');
    }
    const counts = new Map<string, number>();
    for (const d of dicts) for (const k of Object.keys(d)) counts.set(k, (counts.get(k) ?? 0) + 1);
    const repeated = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
    if (repeated.length) {
      throw new Error(
        `functionalCall: ${pyList(repeated)} appeared in multiple dictionaries; behavior of functional call is ambiguous`,
      );
    }
    return Object.assign({}, ...dicts);
  }
  if (isPlainObject(dicts)) return dicts as NamedTensors;
  throw new Error(
    `functionalCall: Expected parametersAndBuffers to be an object, or an array of objects, but got ${describe(dicts)}`,
  );
}

/**
 * Calls `module.forward` with some parameters and buffers replaced, as PyTorch's
 * `torch.func.functional_call`: `parametersAndBuffers` maps state-dict names (`'0.weight'`,
 * `'bn.running_mean'`) to the tensors to use, or is an array of such objects (whose keys must not
 * repeat). Gradients flow to the given tensors, not to the module's, and the module is as before
 * afterwards, also when forward throws. Names given that the module lacks are set for the call
 * and removed after (unless `strict`). A buffer that forward reassigns leaves its new value in
 * the caller's object under its key, as in PyTorch.
 *
 * `args` is the argument list (an array) or a single argument (anything else: wrap an array
 * argument as `[[a, b]]`); `kwargs`, where given, is passed as forward's last argument, the
 * options object of torch-node's forwards. While forward runs, a replaced parameter whose value
 * is not a Parameter is not listed by `parameters()`.
 */
export function functionalCall(
  module: Module,
  parametersAndBuffers: Record<string, Tensor | null> | Record<string, Tensor | null>[],
  args?: unknown,
  kwargs?: Record<string, unknown> | null,
  options?: FunctionalCallOptions,
): unknown {
  if (!(module instanceof Module)) throw new TypeError(`functionalCall: expected a Module, got ${describe(module)}`);
  const given = merge(parametersAndBuffers);
  for (const [k, v] of Object.entries(given)) {
    if (v !== null && !(v instanceof Tensor)) {
      throw new TypeError(`functionalCall: '${k}' is ${describe(v)}, not a Tensor`);
    }
  }
  if (options !== undefined && !isPlainObject(options)) {
    throw new TypeError(`functionalCall: options must be an object, got ${describe(options)}`);
  }
  const named = (options?.tieWeights ?? true) ? untie(module, given) : given;
  if (options?.strict ?? false) checkStrict(module, named);
  const argList = args === undefined || args === null ? [] : Array.isArray(args) ? [...args] : [args];
  if (kwargs !== undefined && kwargs !== null) argList.push(kwargs);

  const swaps: Swap[] = [];
  try {
    for (const [key, value] of Object.entries(named)) swaps.push(swapIn(module, key, value));
    return (module.forward as (...a: unknown[]) => unknown)(...argList);
  } finally {
    for (let i = swaps.length - 1; i >= 0; i--) swapOut(swaps[i] as Swap);
    // As PyTorch: what forward assigned to a given name goes back into the caller's object.
    if (isPlainObject(parametersAndBuffers)) {
      for (const s of swaps) {
        if (s.key in parametersAndBuffers && parametersAndBuffers[s.key] !== s.slot.value) {
          parametersAndBuffers[s.key] = s.slot.value;
        }
      }
    }
  }
}
