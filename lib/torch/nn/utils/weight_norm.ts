// torch.nn.utils.weight_norm / remove_weight_norm (weight_norm.py), the hook-based API that
// PyTorch deprecates in favour of parametrizations.weight_norm: the parameter `weight` is replaced
// by `weight_g` (magnitude) and `weight_v` (direction), and a forward pre-hook recomputes
// `module.weight` (a plain tensor, not in the state dict) before every forward.
import { _weightNorm, normExceptDim as normExceptDimOp } from '../../../generated/functions.js';
import { noGrad } from '../../autograd.js';
import { keep } from '../../lifetime.js';
import type { Tensor } from '../../tensor.js';
import type { Module, RemovableHandle } from '../module.js';
import { Parameter } from '../parameter.js';

/** ATen's norm_except_dim: the 2-norm over every dim but `dim` (kept as size-1 dims); dim -1 is the whole tensor's (PyTorch's `dim=None`). */
export function normExceptDim(v: Tensor, pow: number, dim: number): Tensor {
  return normExceptDimOp(v, pow, dim);
}

/** ATen's `_weight_norm(v, g, dim)`, `v * (g / norm_except_dim(v, 2, dim))` (a fused kernel for dim 0 and the last dim, as PyTorch's). */
export function weightNormOp(v: Tensor, g: Tensor, dim: number): Tensor {
  if (v.device !== g.device) {
    throw new Error(
      `weight_norm: expected v_in and g_in to be on the same device, but v_in is on ${v.device} and g_in is on ${g.device}`,
    );
  }
  return _weightNorm(v, g, dim);
}

type Fields = Record<string | symbol, unknown>;
/** A reparametrization's forward pre-hook, with the computation it runs (for its removal). */
export type Hook = ((module: Module) => void) & { compute: (module: Module) => Tensor };

/**
 * The hook-based reparametrizations of a module, by parameter name, as PyTorch finds them among
 * `_forward_pre_hooks`: a non-enumerable field of the module, so that a deepcopy carries its own
 * (the hook functions are shared, and each acts only while it is the one registered here).
 */
export function hookRegistry(module: Module, key: symbol, create: boolean): Map<string, Hook> | undefined {
  const self = module as unknown as Fields;
  let registry = self[key] as Map<string, Hook> | undefined;
  if (!registry && create) {
    registry = new Map();
    Object.defineProperty(module, key, { value: registry, writable: true, configurable: true, enumerable: false });
  }
  return registry;
}

/** The handles that unregister those hooks, where this module registered them (not on a deepcopy: the copy's stay, inert). */
export const hookHandles = new WeakMap<Module, Map<symbol, Map<string, RemovableHandle>>>();

export function rememberHandle(module: Module, key: symbol, name: string, handle: RemovableHandle): void {
  let byKey = hookHandles.get(module);
  if (!byKey) hookHandles.set(module, (byKey = new Map()));
  let byName = byKey.get(key);
  if (!byName) byKey.set(key, (byName = new Map()));
  byName.set(name, handle);
}

export function forgetHook(module: Module, key: symbol, name: string): void {
  hookRegistry(module, key, false)?.delete(name);
  const byName = hookHandles.get(module)?.get(key);
  byName?.get(name)?.remove();
  byName?.delete(name);
}

/** A parameter directly on the module, or an Error as PyTorch's `module._parameters[name]` KeyError reads. */
export function ownParameter(fn: string, module: Module, name: string): Parameter {
  const p = (module as unknown as Fields)[name];
  if (!(p instanceof Parameter) || !module.namedParameters({ recurse: false }).some(([n]) => n === name)) {
    throw new Error(`${fn}: ${module.constructor.name} has no parameter named '${name}'`);
  }
  return p;
}

const WEIGHT_NORM = Symbol('weightNorm');
let warned = false;

function computeWeight(module: Module, name: string, dim: number): Tensor {
  const self = module as unknown as Fields;
  return weightNormOp(self[`${name}_v`] as Tensor, self[`${name}_g`] as Tensor, dim);
}

/**
 * Weight normalization by a forward pre-hook, as PyTorch's deprecated
 * `torch.nn.utils.weight_norm` (use `parametrizations.weightNorm`): the parameter `name` (default
 * 'weight') is replaced by `${name}_g` (its norm along every dim but `dim`, default 0; `dim: null`
 * for the whole tensor) and `${name}_v` (its direction, sharing the old parameter's data), and
 * `module[name]` is recomputed as g * v / ‖v‖ before every forward. Returns the module.
 */
export function weightNorm<M extends Module>(module: M, options?: { name?: string; dim?: number | null }): M {
  if (!warned) {
    warned = true;
    process.emitWarning(
      '`torch.nn.utils.weightNorm` is deprecated in favor of `torch.nn.utils.parametrizations.weightNorm`.',
      'FutureWarning',
    );
  }
  const name = options?.name ?? 'weight';
  const dimOption = options?.dim === undefined ? 0 : options.dim;
  if (dimOption !== null && !Number.isInteger(dimOption)) {
    throw new TypeError(`weightNorm: dim must be an integer or null, got ${dimOption}`);
  }
  const dim = dimOption ?? -1;
  if (hookRegistry(module, WEIGHT_NORM, false)?.has(name)) {
    throw new Error(`Cannot register two weight_norm hooks on the same parameter ${name}`);
  }
  const weight = ownParameter('weightNorm', module, name);
  const self = module as unknown as Fields;
  delete self[name];
  module.registerParameter(`${name}_g`, new Parameter(noGrad(() => normExceptDim(weight, 2, dim))));
  module.registerParameter(`${name}_v`, new Parameter(weight));
  self[name] = keep(computeWeight(module, name, dim));
  const compute = (m: Module): Tensor => computeWeight(m, name, dim);
  const hook: Hook = Object.assign(
    (m: Module): void => {
      if (hookRegistry(m, WEIGHT_NORM, false)?.get(name) !== hook) return;
      (m as unknown as Fields)[name] = keep(compute(m));
    },
    { compute },
  );
  hookRegistry(module, WEIGHT_NORM, true)?.set(name, hook);
  rememberHandle(module, WEIGHT_NORM, name, module.registerForwardPreHook(hook));
  return module;
}

/** Undoes weightNorm, as PyTorch's `remove_weight_norm`: `module[name]` is a Parameter again, holding g * v / ‖v‖. */
export function removeWeightNorm<M extends Module>(module: M, options?: { name?: string }): M {
  const name = options?.name ?? 'weight';
  const hook = hookRegistry(module, WEIGHT_NORM, false)?.get(name);
  if (!hook) throw new Error(`weight_norm of '${name}' not found in ${module}`);
  const self = module as unknown as Fields;
  const weight = hook.compute(module);
  delete self[name];
  delete self[`${name}_g`];
  delete self[`${name}_v`];
  forgetHook(module, WEIGHT_NORM, name);
  module.registerParameter(name, new Parameter(weight));
  return module;
}
