// torch.nn.utils.prune as `nn.utils.prune`: the pruning methods (prune_methods.ts), their base
// class and container (prune_base.ts), and PyTorch's functional forms, which prune a module's
// tensor in place and return the module.
//
// After pruning, `module[name]` is a plain tensor recomputed before every forward; the one it
// replaces is disposed then (it was made here), so hold a clone to keep its values across a
// forward.
import { onesLike } from '../../../generated/functions.js';
import { noGrad } from '../../autograd.js';
import { keep, scope } from '../../lifetime.js';
import { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import { parametersToVector } from './convert_parameters.js';
import { BasePruningMethod, PruningContainer, pruningMethodOf, pruningMethodsOf } from './prune_base.js';
import {
  CustomFromMask,
  Identity,
  L1Unstructured,
  LnStructured,
  type NormOrder,
  RandomStructured,
  RandomUnstructured,
} from './prune_methods.js';

export type { PruningType } from './prune_base.js';
export type { NormOrder };
export {
  BasePruningMethod,
  CustomFromMask,
  Identity,
  L1Unstructured,
  LnStructured,
  PruningContainer,
  RandomStructured,
  RandomUnstructured,
};

/** Reparametrizes `module[name]` with a mask of ones (prunes nothing). Returns the module. */
export function identity<M extends Module>(module: M, name: string): M {
  Identity.apply(module, name);
  return module;
}

/** Prunes `amount` (a count, or a fraction in [0, 1]) of the unpruned entries of `module[name]` at random. */
export function randomUnstructured<M extends Module>(module: M, name: string, amount: number): M {
  RandomUnstructured.apply(module, name, amount);
  return module;
}

/** Prunes the `amount` unpruned entries of `module[name]` of smallest absolute value (of importanceScores, if given). */
export function l1Unstructured<M extends Module>(
  module: M,
  name: string,
  amount: number,
  options?: { importanceScores?: Tensor | null },
): M {
  L1Unstructured.apply(module, name, amount, options);
  return module;
}

/** Prunes `amount` channels along `dim` of `module[name]` at random. */
export function randomStructured<M extends Module>(module: M, name: string, amount: number, dim: number): M {
  RandomStructured.apply(module, name, amount, { dim });
  return module;
}

/** Prunes the `amount` channels along `dim` of `module[name]` of smallest L`n` norm (of importanceScores, if given). */
export function lnStructured<M extends Module>(
  module: M,
  name: string,
  amount: number,
  n: NormOrder,
  dim: number,
  options?: { importanceScores?: Tensor | null },
): M {
  LnStructured.apply(module, name, amount, n, dim, options);
  return module;
}

/** Prunes the zeros of `mask` from `module[name]`. */
export function customFromMask<M extends Module>(module: M, name: string, mask: Tensor): M {
  CustomFromMask.apply(module, name, mask);
  return module;
}

/** A pruning method class globalUnstructured can make: constructed with the amount (or nothing). */
export type UnstructuredMethodClass = new (amount: number) => BasePruningMethod;

const describe = (v: unknown): string =>
  v === null || v === undefined ? String(v) : typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;

/**
 * Prunes several tensors together, as PyTorch's global_unstructured: `pruningMethod` (an
 * unstructured method class, made with `amount`) ranks the entries of all the `[module, name]`
 * tensors as one vector, then each tensor gets its slice of that mask (as customFromMask).
 * `importanceScores` maps a module to scores for some of its tensor names (the tensors
 * themselves where absent), PyTorch's dict keyed by (module, name).
 */
export function globalUnstructured(
  parameters: Iterable<readonly [Module, string]>,
  pruningMethod: UnstructuredMethodClass,
  options?: { amount?: number; importanceScores?: Map<Module, Record<string, Tensor>> | null },
): void {
  const fn = 'globalUnstructured';
  if (parameters === null || typeof (parameters as Iterable<unknown>)?.[Symbol.iterator] !== 'function') {
    throw new TypeError(`${fn}(): parameters is not an Iterable`);
  }
  // Read once: PyTorch iterates `parameters` twice (a generator would be empty the second time).
  const entries = [...parameters];
  for (const e of entries) {
    if (!Array.isArray(e) || !(e[0] instanceof Module) || typeof e[1] !== 'string') {
      throw new TypeError(`${fn}(): parameters must be [module, name] pairs, got ${describe(e)}`);
    }
  }
  const scoresByModule = options?.importanceScores ?? new Map<Module, Record<string, Tensor>>();
  if (!(scoresByModule instanceof Map)) {
    throw new TypeError(`${fn}(): importanceScores must be a Map from modules to {name: Tensor} records`);
  }
  if (typeof pruningMethod !== 'function' || !(pruningMethod.prototype instanceof BasePruningMethod)) {
    throw new TypeError(`${fn}(): pruningMethod must be a BasePruningMethod subclass, got ${describe(pruningMethod)}`);
  }
  const method =
    options?.amount === undefined
      ? new (pruningMethod as unknown as new () => BasePruningMethod)()
      : new pruningMethod(options.amount);
  method._tensorName = 'temp';
  if (method.PRUNING_TYPE !== 'unstructured') {
    throw new TypeError(
      `${fn}(): Only "unstructured" PRUNING_TYPE supported for the \`pruning_method\`. Found method ${pruningMethod.name} of type ${method.PRUNING_TYPE}`,
    );
  }
  const tensorOf = (module: Module, name: string): Tensor => {
    const t = (module as unknown as Record<string, unknown>)[name];
    if (!(t instanceof Tensor)) throw new Error(`${fn}: ${module.constructor.name} has no parameter named '${name}'`);
    return t;
  };
  const masks = scope(() => {
    const scores = parametersToVector(entries.map(([m, name]) => scoresByModule.get(m)?.[name] ?? tensorOf(m, name)));
    const defaultMask = parametersToVector(
      entries.map(([m, name]) => {
        const mask = (m as unknown as Record<string, unknown>)[`${name}_mask`];
        return mask instanceof Tensor ? mask : noGrad(() => onesLike(tensorOf(m, name)));
      }),
    );
    const container = new PruningContainer();
    container._tensorName = 'temp';
    container.addPruningMethod(method);
    const finalMask = noGrad(() => container.computeMask(scores, defaultMask));
    let pointer = 0;
    return entries.map(([m, name]) => {
      const param = tensorOf(m, name);
      const numel = param.numel();
      const slice = finalMask.slice(0, pointer, pointer + numel).viewAs(param);
      pointer += numel;
      return slice;
    });
  });
  // The slices live on in the CustomFromMask methods (as in PyTorch), so they are not freed here.
  entries.forEach(([m, name], i) => {
    customFromMask(m, name, keep(masks[i] as Tensor));
  });
}

/**
 * Makes the pruning of `module[name]` permanent, as PyTorch's prune.remove: `name` is a
 * Parameter again, holding the pruned values; `${name}_orig`, `${name}_mask` and the hook go.
 */
export function remove<M extends Module>(module: M, name: string): M {
  const method = pruningMethodOf(module, name);
  if (!method) {
    throw new Error(
      `remove: Parameter '${name}' of module ${module.constructor.name} has to be pruned before pruning can be removed`,
    );
  }
  method.remove(module);
  return module;
}

/** Whether `module` or any module under it has a pruned tensor. */
export function isPruned(module: Module): boolean {
  return module.modules().some((m) => pruningMethodsOf(m).size > 0);
}
