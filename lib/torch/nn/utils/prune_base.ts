// torch.nn.utils.prune's machinery (prune.py): the pruning-method base class, the container that
// combines successive prunings of one tensor, and the reparametrization they install on a module.
//
// Pruning the parameter `name` of a module moves it to the parameter `${name}_orig`, adds the
// buffer `${name}_mask` (so the state dict reads `weight_orig`, `weight_mask` as PyTorch's), and
// makes `module[name]` a plain tensor, mask * orig, recomputed by a forward pre-hook before every
// forward. PyTorch finds the method among `_forward_pre_hooks`; here it sits in the same
// per-module hook registry the hook-based weight norm uses (weight_norm.ts), keyed by name.
import { onesLike } from '../../../generated/functions.js';
import { noGrad } from '../../autograd.js';
import { keep, scope } from '../../lifetime.js';
import { Tensor } from '../../tensor.js';
import type { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { forgetHook, type Hook, hookRegistry, ownParameter, rememberHandle } from './weight_norm.js';

type Fields = Record<string, unknown>;
const fields = (m: Module): Fields => m as unknown as Fields;

/** How a method picks what to prune, which decides what a PruningContainer hands it. */
export type PruningType = 'unstructured' | 'structured' | 'global';

const PRUNING = Symbol('pruning');

/** A pruning forward pre-hook, with the method it runs. */
type PruningHook = Hook & { method: BasePruningMethod };

/** The pruning method registered on `module` for its tensor `name`, if any. */
export function pruningMethodOf(module: Module, name: string): BasePruningMethod | undefined {
  return (hookRegistry(module, PRUNING, false)?.get(name) as PruningHook | undefined)?.method;
}

/** The pruning methods registered on `module` (not its submodules), by tensor name. */
export function pruningMethodsOf(module: Module): Map<string, BasePruningMethod> {
  const out = new Map<string, BasePruningMethod>();
  for (const [name, hook] of hookRegistry(module, PRUNING, false) ?? []) out.set(name, (hook as PruningHook).method);
  return out;
}

// The pruned tensors this code set as `module[name]`, so the next one can free its predecessor
// at once: a synchronous training loop would otherwise pile one tensor per forward up until the
// garbage collector runs. A tensor the user assigned there instead is never in this map.
const computed = new WeakMap<Module, Map<string, Tensor>>();

function setPruned(module: Module, name: string, value: Tensor | undefined): void {
  let byName = computed.get(module);
  if (!byName) computed.set(module, (byName = new Map()));
  const previous = byName.get(name);
  if (value === undefined) {
    byName.delete(name);
    delete fields(module)[name];
  } else {
    byName.set(name, value);
    fields(module)[name] = keep(value);
  }
  if (previous !== undefined && previous !== value) previous.dispose();
}

const shapeStr = (s: readonly number[]): string => `[${s.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * A pruning technique, as PyTorch's BasePruningMethod: a subclass sets the static PRUNING_TYPE
 * and defines computeMask(t, defaultMask), the mask of what to keep in `t` given what earlier
 * prunings kept; the class's static apply() prunes a module's tensor with it.
 */
export abstract class BasePruningMethod {
  /** 'unstructured', 'structured' (then the method has a `dim`) or 'global'; set by each subclass. */
  static PRUNING_TYPE?: PruningType;
  /** The name of the tensor this method prunes, set when it is applied (PyTorch's `_tensor_name`). */
  _tensorName: string | undefined = undefined;

  /** The class's PRUNING_TYPE, read from an instance as PyTorch's `method.PRUNING_TYPE`. */
  get PRUNING_TYPE(): PruningType | undefined {
    return (this.constructor as typeof BasePruningMethod).PRUNING_TYPE;
  }

  /**
   * The mask (same shape as `t`; 1 keeps an entry, 0 prunes it) for the importance scores `t`,
   * on top of `defaultMask`, the mask of earlier prunings (ones when there were none), whose
   * zeros it must keep.
   */
  abstract computeMask(t: Tensor, defaultMask: Tensor): Tensor;

  /** What the forward pre-hook does, PyTorch's `__call__`: `module[name]` becomes mask * orig. */
  call(module: Module): void {
    setPruned(module, this.requireName('call', module), this.applyMask(module));
  }

  /** `module[name + '_mask'] * module[name + '_orig']`, the pruned tensor (differentiable in orig). */
  applyMask(module: Module): Tensor {
    const name = this.requireName('applyMask', module);
    const self = fields(module);
    const mask = self[`${name}_mask`];
    const orig = self[`${name}_orig`];
    if (!(mask instanceof Tensor) || !(orig instanceof Tensor)) {
      throw new Error(
        `${this.constructor.name}.applyMask: ${module.constructor.name} has no '${name}_orig' and '${name}_mask' (was the pruning of '${name}' removed?)`,
      );
    }
    return scope(() => mask.to({ dtype: orig.dtype }).mul(orig));
  }

  /**
   * Prunes `module[name]` with a method made from `args` (the subclass's constructor
   * arguments), as PyTorch's classmethod `apply`: a tensor pruned before gets a PruningContainer
   * holding the earlier methods and this one. Returns the method registered on the module.
   */
  static apply(module: Module, name: string, ...args: unknown[]): BasePruningMethod {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass apply() was called on
    const Method = this as unknown as new (...a: unknown[]) => BasePruningMethod;
    return applyPruning(`${Method.name}.apply`, module, name, new Method(...args));
  }

  /**
   * `t` with this method's mask applied, `t * computeMask(importanceScores ?? t, defaultMask ??
   * ones)`, without touching any module.
   */
  prune(t: Tensor, options?: { defaultMask?: Tensor | null; importanceScores?: Tensor | null }): Tensor {
    const fn = `${this.constructor.name}.prune`;
    if (!(t instanceof Tensor)) throw new TypeError(`${fn}: expected a Tensor, got ${typeof t}`);
    const scores = checkScores(fn, options?.importanceScores, t, 'tensor t');
    return scope(() => {
      const defaultMask = options?.defaultMask ?? onesLike(t);
      return t.mul(noGrad(() => this.computeMask(scores, defaultMask)));
    });
  }

  /**
   * Makes the pruning permanent, as PyTorch's `remove`: the Parameter `${name}_orig` takes the
   * pruned values (in place, so an optimizer holding it still does) and is registered as `name`
   * again; `${name}_orig`, `${name}_mask` and the forward pre-hook go.
   */
  remove(module: Module): void {
    const name = this.requireName('remove', module);
    const self = fields(module);
    const orig = self[`${name}_orig`];
    if (!(orig instanceof Parameter)) {
      throw new Error(`${this.constructor.name}.remove: ${module.constructor.name} has no parameter '${name}_orig'`);
    }
    scope(() => {
      const weight = this.applyMask(module);
      noGrad(() => {
        orig.data = weight.data;
      });
    });
    if (computed.get(module)?.has(name)) setPruned(module, name, undefined);
    else delete self[name];
    delete self[`${name}_orig`];
    delete self[`${name}_mask`];
    if (pruningMethodOf(module, name) === this) forgetHook(module, PRUNING, name);
    module.registerParameter(name, orig);
  }

  private requireName(what: string, module: Module): string {
    if (this._tensorName === undefined) {
      throw new Error(
        `${this.constructor.name}.${what}: this method has not pruned any tensor of ${module.constructor.name} (apply it first)`,
      );
    }
    return this._tensorName;
  }
}

function checkScores(fn: string, scores: Tensor | null | undefined, t: Tensor, what: string): Tensor {
  if (scores === null || scores === undefined) return t;
  if (!(scores instanceof Tensor)) throw new TypeError(`${fn}: importanceScores must be a Tensor`);
  if (!sameShape(scores.shape, t.shape)) {
    throw new Error(
      `${fn}: importance_scores should have the same shape as ${what}, got ${shapeStr(scores.shape)} vs ${shapeStr(t.shape)}`,
    );
  }
  return scores;
}

/**
 * Registers `method` as the pruning of `module[name]`, as PyTorch's BasePruningMethod.apply: the
 * first pruning of a tensor reparametrizes it (`_orig`, `_mask`, the hook); a later one computes
 * its mask on top of the current one through a PruningContainer. Unlike PyTorch, a failure (an
 * amount too large for the tensor) leaves the module as it was, earlier prunings included.
 */
export function applyPruning<M extends BasePruningMethod>(
  fn: string,
  module: Module,
  name: string,
  method: M,
  importanceScores?: Tensor | null,
): BasePruningMethod {
  if (typeof name !== 'string') throw new TypeError(`${fn}: name must be a string, got ${typeof name}`);
  if (!(method instanceof BasePruningMethod)) {
    throw new TypeError(`${fn}: expected a BasePruningMethod, got ${typeof method}`);
  }
  const old = pruningMethodOf(module, name);
  const self = fields(module);
  method._tensorName = name;
  let combined: BasePruningMethod = method;
  let added = false;
  if (old instanceof PruningContainer) {
    old.addPruningMethod(method);
    combined = old;
    added = true;
  } else if (old !== undefined) {
    combined = new PruningContainer(old, method);
  }
  // The tensor as it is now: the parameter the first time, the pruned tensor after that (so a
  // later method ranks what earlier ones left, as in PyTorch).
  let orig: Tensor;
  try {
    if (old === undefined) orig = ownParameter(fn, module, name);
    else if (self[name] instanceof Tensor) orig = self[name];
    else throw new Error(`${fn}: ${module.constructor.name}.${name} is not a Tensor (was it deleted?)`);
  } catch (e) {
    if (added) (old as PruningContainer)._pruningMethods.pop();
    throw e;
  }
  const scores = (() => {
    try {
      return checkScores(fn, importanceScores, orig, `parameter ${name} of ${module.constructor.name}`);
    } catch (e) {
      if (added) (old as PruningContainer)._pruningMethods.pop();
      throw e;
    }
  })();
  if (old === undefined) {
    delete self[name];
    module.registerParameter(`${name}_orig`, orig as Parameter);
  }
  try {
    const mask = scope(() => {
      const defaultMask =
        old === undefined
          ? onesLike(orig)
          : (self[`${name}_mask`] as Tensor).detach().clone({ memoryFormat: 'contiguousFormat' });
      return noGrad(() => combined.computeMask(scores, defaultMask));
    });
    module.registerBuffer(`${name}_mask`, mask);
    setPruned(module, name, combined.applyMask(module));
  } catch (e) {
    if (added) (old as PruningContainer)._pruningMethods.pop();
    if (old === undefined) {
      delete self[`${name}_mask`];
      delete self[`${name}_orig`];
      module.registerParameter(name, orig as Parameter);
    }
    throw e;
  }
  if (old !== undefined) forgetHook(module, PRUNING, name);
  const hook: PruningHook = Object.assign(
    (m: Module): void => {
      // A deepcopy carries the registry with this same function: it acts for whichever module
      // still registers it under this name.
      if (hookRegistry(m, PRUNING, false)?.get(name) === hook) combined.call(m);
    },
    { compute: (m: Module): Tensor => combined.applyMask(m), method: combined },
  );
  hookRegistry(module, PRUNING, true)?.set(name, hook);
  rememberHandle(module, PRUNING, name, module.registerForwardPreHook(hook));
  return combined;
}

/**
 * The methods that pruned one tensor, in order, as PyTorch's PruningContainer: its mask is the
 * latest method's, computed only on what the earlier ones left (the kept entries for an
 * unstructured method, the kept channels along its dim for a structured one, everything for a
 * global one) and merged into the earlier mask.
 */
export class PruningContainer extends BasePruningMethod {
  /** The methods, oldest first. */
  _pruningMethods: BasePruningMethod[] = [];

  constructor(...methods: BasePruningMethod[]) {
    super();
    // PyTorch takes the tensor name of a single method; several must all prune one tensor.
    if (methods.length > 0) this._tensorName = methods[0]?._tensorName;
    for (const m of methods) this.addPruningMethod(m);
  }

  addPruningMethod(method: BasePruningMethod): void {
    if (!(method instanceof BasePruningMethod)) {
      throw new TypeError(
        `PruningContainer.addPruningMethod: ${method === null ? 'null' : typeof method} is not a BasePruningMethod subclass`,
      );
    }
    if (this._tensorName !== method._tensorName) {
      throw new Error(
        `PruningContainer.addPruningMethod: Can only add pruning methods acting on the parameter named '${this._tensorName}' to PruningContainer. Found '${method._tensorName}'`,
      );
    }
    this._pruningMethods.push(method);
  }

  get length(): number {
    return this._pruningMethods.length;
  }

  [Symbol.iterator](): Iterator<BasePruningMethod> {
    return this._pruningMethods[Symbol.iterator]();
  }

  /** The idx-th method (negative counts from the end), as PyTorch's `container[idx]`. */
  at(idx: number): BasePruningMethod | undefined {
    return this._pruningMethods.at(idx);
  }

  /** The latest method's mask on what `defaultMask` kept, merged into it (a new tensor, of t's dtype). */
  computeMask(t: Tensor, defaultMask: Tensor): Tensor {
    const method = this._pruningMethods.at(-1);
    if (!method) throw new Error('PruningContainer.computeMask: the container holds no pruning method');
    return scope(() => {
      const newMask = defaultMask.to({ dtype: t.dtype, copy: true });
      const type = method.PRUNING_TYPE;
      if (type === 'unstructured') {
        // The entries still kept, in row-major order (PyTorch's t[mask == 1]).
        const kept = defaultMask.eq(1);
        const partial = method.computeMask(t.maskedSelect(kept), defaultMask.maskedSelect(kept));
        newMask.maskedScatter_(kept, partial.to({ dtype: newMask.dtype }));
      } else if (type === 'structured') {
        const methodDim = (method as { dim?: unknown }).dim;
        if (typeof methodDim !== 'number') {
          throw new Error(
            'PruningContainer.computeMask: Pruning methods of PRUNING_TYPE "structured" need to have the attribute `dim` defined.',
          );
        }
        const nDims = t.dim();
        const dim = methodDim < 0 ? nDims + methodDim : methodDim;
        if (dim < 0 || dim >= nDims) {
          throw new Error(`PruningContainer.computeMask: Index is out of bounds for tensor with dimensions ${nDims}`);
        }
        if (nDims <= 1) {
          throw new Error(
            `${method.constructor.name}.computeMask: Structured pruning can only be applied to multidimensional tensors. Found tensor of shape ${shapeStr(t.shape)} with ${nDims} dims`,
          );
        }
        // The channels along dim with any entry kept (PyTorch's boolean index on that dim), as
        // sorted indices: index_select / index_copy_ with them select and write the same entries.
        const others = [...Array(nDims).keys()].filter((d) => d !== dim);
        const channels = defaultMask.sum(others).ne(0).nonzero().view([-1]);
        const partial = method.computeMask(t.indexSelect(dim, channels), defaultMask.indexSelect(dim, channels));
        newMask.indexCopy_(dim, channels, partial.to({ dtype: newMask.dtype }));
      } else if (type === 'global') {
        newMask.copy_(method.computeMask(t, defaultMask));
      } else {
        throw new Error(`PruningContainer.computeMask: Unrecognized PRUNING_TYPE ${type}`);
      }
      return newMask;
    });
  }
}
