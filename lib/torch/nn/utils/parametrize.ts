// torch.nn.utils.parametrize, as PyTorch's parametrize.py: a parameter of a module replaced by a
// function of other tensors (its "originals"), recomputed on every read.
//
// The layout is PyTorch's, so state dicts map one-to-one: `module.parametrizations` is a
// ModuleDict, `module.parametrizations.weight` a ParametrizationList (a ModuleList of the
// parametrizations) holding the tensor as `original` (or `original0`, `original1`, ... when the
// first parametrization's rightInverse returns several), and the state-dict keys are
// `parametrizations.weight.original`, ... PyTorch swaps the module's class for a generated
// subclass `Parametrized<Class>` that carries a property; here the module's prototype is swapped
// the same way (so the repr reads `ParametrizedLinear(...)` and `instanceof Linear` still holds),
// and the property is a non-enumerable accessor on the instance: reading `module.weight` runs the
// parametrizations, assigning to it goes through their rightInverse, and the traversals (which
// walk a module's own enumerable fields) never run it. The accessor reads `this`, so a deepcopy
// of the module computes from the copy's own originals.
import { noGrad } from '../../autograd.js';
import { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import { ModuleDict, ModuleList } from '../modules/container.js';
import { Parameter } from '../parameter.js';

/**
 * A parametrization: a Module whose forward maps the originals to the tensor, optionally with
 * rightInverse (PyTorch's `right_inverse`), which maps a value of the tensor back to the originals
 * (one tensor, or several for the first parametrization of a tensor).
 */
export interface Parametrization extends Module {
  rightInverse?(value: Tensor): Tensor | Tensor[];
}

/** `module.parametrizations`: a ModuleDict whose entries can also be read as fields, as in PyTorch (`parametrizations.weight`). */
export type ParametrizationDict = ModuleDict & { readonly [tensorName: string]: ParametrizationList };

/** A module with at least one parametrized tensor. */
export type Parametrized<M extends Module> = M & { parametrizations: ParametrizationDict };

type Fields = Record<string, unknown>;

const fields = (m: Module): Fields => m as unknown as Fields;

const typeName = (v: unknown): string =>
  v === null || v === undefined
    ? String(v)
    : typeof v === 'object'
      ? Array.isArray(v)
        ? 'Array'
        : (v.constructor?.name ?? 'object')
      : typeof v;

const shapeStr = (s: readonly number[]): string => `[${s.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

const hasRightInverse = (m: Module): m is Parametrization & { rightInverse(v: Tensor): Tensor | Tensor[] } =>
  typeof (m as Parametrization).rightInverse === 'function';

/**
 * `_maybe_set(dest, src)`: dest takes src's data in place (PyTorch's `dest.set_(src)`), so the
 * Parameter object (and an optimizer holding it) stays the same.
 */
function maybeSet(dest: Tensor, src: Tensor): void {
  if (dest !== src) dest.data = src;
}

function registerParameterOrBuffer(module: Module, name: string, x: Tensor): void {
  if (x instanceof Parameter) module.registerParameter(name, x);
  else module.registerBuffer(name, x);
}

// ---- caching

let cacheEnabled = 0;
let cache = new Map<Module, Map<string, Tensor>>();

/**
 * Runs `fn` with the parametrizations' cache on, as PyTorch's `with parametrize.cached():`: each
 * parametrized tensor is computed once, the first time it is read, and that value is returned on
 * every later read until the outermost cached() returns (for a Promise, until it settles). A
 * cached value belongs to the scope that computed it; read again after that scope ended, it is
 * computed again.
 */
export function cached<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError('cached: expected a function to run with the cache on');
  cacheEnabled++;
  const leave = (): void => {
    cacheEnabled--;
    if (!cacheEnabled) cache = new Map();
  };
  let result: T;
  try {
    result = fn();
  } catch (e) {
    leave();
    throw e;
  }
  if (result instanceof Promise) return result.finally(leave) as T;
  leave();
  return result;
}

function cachedParametrization(module: Module, tensorName: string, parametrization: ParametrizationList): Tensor {
  let entries = cache.get(module);
  if (!entries) cache.set(module, (entries = new Map()));
  let tensor = entries.get(tensorName);
  if (tensor === undefined || tensor._h < 0) {
    tensor = parametrization.forward();
    entries.set(tensorName, tensor);
  }
  return tensor;
}

// ---- ParametrizationList

/**
 * The parametrizations of one tensor and the tensors they are computed from, as PyTorch's
 * ParametrizationList (a ModuleList): `original` holds the unparametrized tensor (or
 * `original0`, `original1`, ... when the first parametrization's rightInverse returns several).
 * Made by registerParametrization; not meant to be built by hand.
 */
export class ParametrizationList extends ModuleList {
  /** Whether the parametrizations may change the tensor's dtype and shape. */
  unsafe: boolean;
  /** Whether the first parametrization's rightInverse returns one tensor (held as `original`). */
  isTensor: boolean;
  /** How many originals there are. */
  ntensors: number;
  /** The unparametrized tensor (when isTensor). */
  declare original: Tensor;
  /** The originals, when the first parametrization's rightInverse returned several. */
  [original: `original${number}`]: Tensor;

  constructor(modules: Module[], original: Tensor, unsafe = false) {
    if (!Array.isArray(modules) || modules.length === 0) {
      throw new Error('ParametrizationList requires one or more modules.');
    }
    super(modules);
    this.unsafe = unsafe;
    if (!(original instanceof Tensor)) {
      throw new TypeError(`ParametrizationList: original must be a Tensor, got ${typeName(original)}`);
    }
    const originalShape = original.shape;
    const originalDtype = original.dtype;

    // The originals: rightInverse of each parametrization, last registered first.
    const inverted = noGrad(() => {
      let x: unknown = original;
      for (const m of [...this].reverse()) if (hasRightInverse(m)) x = m.rightInverse(x as Tensor);
      return x;
    });
    if (!(inverted instanceof Tensor) && !Array.isArray(inverted)) {
      throw new Error(
        `'rightInverse' must return a Tensor or an array of Tensors. Got ${typeName(inverted)} (in the ParametrizationList of ${typeName(modules[0])})`,
      );
    }
    this.isTensor = inverted instanceof Tensor;
    this.ntensors = inverted instanceof Tensor ? 1 : inverted.length;

    if (inverted instanceof Tensor) {
      if (original.dtype !== inverted.dtype) {
        throw new Error(
          `When \`rightInverse\` outputs one tensor, it may not change the dtype.\noriginal.dtype: ${original.dtype}\nrightInverse(original).dtype: ${inverted.dtype}`,
        );
      }
      if (original.device !== inverted.device) {
        throw new Error(
          `When \`rightInverse\` outputs one tensor, it may not change the device.\noriginal.device: ${original.device}\nrightInverse(original).device: ${inverted.device}`,
        );
      }
      noGrad(() => maybeSet(original, inverted));
      registerParameterOrBuffer(this, 'original', original);
    } else {
      inverted.forEach((t: unknown, i: number) => {
        if (!(t instanceof Tensor)) {
          throw new Error(
            `'rightInverse' must return a Tensor or an array of Tensors. Got element ${i} of the array with type ${typeName(t)}.`,
          );
        }
        if (original instanceof Parameter)
          this.registerParameter(`original${i}`, new Parameter(t, original.requiresGrad));
        else this.registerBuffer(`original${i}`, t.requiresGrad_(original.requiresGrad));
      });
    }

    if (!this.unsafe) {
      // The consistency check runs the parametrizations once (a spectral norm in training mode
      // does a power iteration here, as in PyTorch).
      const z: unknown = this.forward();
      if (!(z instanceof Tensor)) throw new Error(`A parametrization must return a tensor. Got ${typeName(z)}.`);
      if (z.dtype !== originalDtype) {
        throw new Error(
          `Registering a parametrization may not change the dtype of the tensor, unless \`unsafe\` flag is enabled.\nunparametrized dtype: ${originalDtype}\nparametrized dtype: ${z.dtype}`,
        );
      }
      if (!sameShape(z.shape, originalShape)) {
        throw new Error(
          `Registering a parametrization may not change the shape of the tensor, unless \`unsafe\` flag is enabled.\nunparametrized shape: ${shapeStr(originalShape)}\nparametrized shape: ${shapeStr(z.shape)}`,
        );
      }
    }
  }

  /**
   * Sets the originals from a value of the parametrized tensor: the rightInverse of each
   * parametrization, last registered first, as PyTorch's `right_inverse`. The originals keep their
   * identity and take the new data in place.
   */
  rightInverse(value: Tensor): void {
    noGrad(() => {
      let x: unknown = value;
      for (const m of [...this].reverse()) {
        if (!hasRightInverse(m)) {
          throw new Error(`parametrization ${m.constructor.name} does not implement rightInverse.`);
        }
        x = m.rightInverse(x as Tensor);
      }
      const self = fields(this);
      if (this.isTensor) {
        if (!(x instanceof Tensor)) throw new Error(`\`rightInverse\` should return a tensor. Got ${typeName(x)}`);
        if (x.dtype !== this.original.dtype) {
          throw new Error(
            `The tensor returned by \`rightInverse\` has dtype ${x.dtype} while \`original\` has dtype ${this.original.dtype}`,
          );
        }
        maybeSet(this.original, x);
      } else {
        if (!Array.isArray(x)) throw new Error(`'rightInverse' must return an array of tensors. Got ${typeName(x)}.`);
        if (x.length !== this.ntensors) {
          throw new Error(
            `'rightInverse' must return an array of tensors of length ${this.ntensors}. Got an array of length ${x.length}.`,
          );
        }
        x.forEach((t: unknown, i: number) => {
          const originalI = self[`original${i}`] as Tensor;
          if (!(t instanceof Tensor)) {
            throw new Error(`'rightInverse' must return an array of tensors. Got element ${i} of type ${typeName(t)}.`);
          }
          if (originalI.dtype !== t.dtype) {
            throw new Error(
              `Tensor ${i} returned by \`rightInverse\` has dtype ${t.dtype} while \`original${i}\` has dtype ${originalI.dtype}`,
            );
          }
          maybeSet(originalI, t);
        });
      }
    });
  }

  /** The parametrized tensor: the first parametrization applied to the originals, then each next one to the result. */
  // @ts-expect-error ModuleList types its forward as never (it has none); this list's returns the tensor
  override forward(): Tensor {
    const [first, ...rest] = [...this] as (Module & { forward(...xs: Tensor[]): Tensor })[];
    const self = fields(this);
    let x = this.isTensor
      ? (first as Module & { forward(...xs: Tensor[]): Tensor }).forward(this.original)
      : (first as Module & { forward(...xs: Tensor[]): Tensor }).forward(
          ...Array.from({ length: this.ntensors }, (_, i) => self[`original${i}`] as Tensor),
        );
    for (const m of rest) x = m.forward(x);
    return x;
  }
}

// ---- the host module

/** The generated subclass per class, as PyTorch's `Parametrized<Class>` (one per class here, not per module). */
const parametrizedClasses = new WeakMap<object, object>();
/** Generated subclass -> the class it extends (PyTorch's `__class__.__bases__[0]`). */
const originalClasses = new WeakMap<object, object>();

function injectNewClass(module: Module): void {
  const cls = Object.getPrototypeOf(module).constructor as new (...args: never[]) => object;
  let sub = parametrizedClasses.get(cls) as typeof cls | undefined;
  if (!sub) {
    const name = `Parametrized${cls.name}`;
    // A class expression named by its key, never constructed: it only carries the name and the chain.
    sub = { [name]: class extends cls {} }[name] as typeof cls;
    parametrizedClasses.set(cls, sub);
    originalClasses.set(sub, cls);
  }
  Object.setPrototypeOf(module, sub.prototype);
}

function restoreClass(module: Module): void {
  const cls = originalClasses.get(Object.getPrototypeOf(module).constructor) as { prototype: object } | undefined;
  if (cls) Object.setPrototypeOf(module, cls.prototype);
}

function parametrizationList(module: Module, tensorName: string): ParametrizationList {
  return (fields(module).parametrizations as ModuleDict).get(tensorName) as ParametrizationList;
}

/** The property PyTorch's `_inject_property` puts on the class: here an accessor on the instance, reading `this`. */
function injectProperty(module: Module, tensorName: string): void {
  if (tensorName in module) {
    throw new Error(`registerParametrization: module already has an attribute named '${tensorName}'`);
  }
  Object.defineProperty(module, tensorName, {
    get(this: Module): Tensor {
      const list = parametrizationList(this, tensorName);
      return cacheEnabled ? cachedParametrization(this, tensorName, list) : list.forward();
    },
    set(this: Module, value: Tensor) {
      parametrizationList(this, tensorName).rightInverse(value);
    },
    enumerable: false,
    configurable: true,
  });
}

/** `parametrizations.weight` as a field of the ModuleDict, as in PyTorch (unless the name is one of ModuleDict's own). */
function injectDictField(dict: ModuleDict, tensorName: string): void {
  if (tensorName in dict) return;
  Object.defineProperty(dict, tensorName, {
    get(this: ModuleDict) {
      return this.get(tensorName);
    },
    enumerable: false,
    configurable: true,
  });
}

function removeDictField(dict: ModuleDict, tensorName: string): void {
  const d = Object.getOwnPropertyDescriptor(dict, tensorName);
  if (d && 'get' in d) delete fields(dict)[tensorName];
}

/** The parameter or buffer named `name` directly on `module`, and which it is; null if neither. */
function ownTensor(module: Module, name: string): { tensor: Tensor; kind: 'parameter' | 'buffer' } | null {
  const p = module.namedParameters({ recurse: false }).find(([n]) => n === name);
  if (p) return { tensor: p[1], kind: 'parameter' };
  const b = module.namedBuffers({ recurse: false }).find(([n]) => n === name);
  if (b) return { tensor: b[1], kind: 'buffer' };
  return null;
}

/**
 * Registers `parametrization` on the parameter `tensorName` of `module`, as PyTorch's
 * `register_parametrization`: reading `module[tensorName]` afterwards returns
 * `parametrization.forward(original)`, assigning to it sets the original through
 * `parametrization.rightInverse`, and the original moves to
 * `module.parametrizations[tensorName].original` (`original0`, `original1`, ... when rightInverse
 * returns an array). A second registration on the same name chains the parametrizations. Unless
 * `unsafe`, the parametrization is run once to check that it keeps the dtype and shape.
 * Returns the module.
 */
export function registerParametrization<M extends Module>(
  module: M,
  tensorName: string,
  parametrization: Module,
  options?: { unsafe?: boolean },
): Parametrized<M> {
  if (!(module instanceof Module)) {
    throw new TypeError(`registerParametrization: module must be an nn.Module, got ${typeName(module)}`);
  }
  if (typeof tensorName !== 'string') {
    throw new TypeError(`registerParametrization: tensorName must be a string, got ${typeName(tensorName)}`);
  }
  if (!(parametrization instanceof Module)) {
    throw new TypeError(
      `registerParametrization: the parametrization must be an nn.Module with forward (and optionally rightInverse), got ${typeName(parametrization)}`,
    );
  }
  const unsafe = options?.unsafe ?? false;
  parametrization.train(module.training);
  const self = fields(module);
  if (isParametrized(module, tensorName)) {
    const list = parametrizationList(module, tensorName);
    if (!unsafe) {
      const y = self[tensorName] as Tensor;
      const x: unknown = (parametrization as Module & { forward(y: Tensor): unknown }).forward(y);
      if (!(x instanceof Tensor)) throw new Error(`A parametrization must return a tensor. Got ${typeName(x)}.`);
      if (x.dtype !== y.dtype) {
        throw new Error(
          `Registering a parametrization may not change the dtype of the tensor, unless the \`unsafe\` flag is enabled.\nmodule.${tensorName}.dtype: ${y.dtype}\nparametrization(module.${tensorName}).dtype: ${x.dtype}`,
        );
      }
      if (!sameShape(x.shape, y.shape)) {
        throw new Error(
          `Registering a parametrization may not change the shape of the tensor, unless the \`unsafe\` flag is enabled.\nmodule.${tensorName}.shape: ${shapeStr(y.shape)}\nparametrization(module.${tensorName}).shape: ${shapeStr(x.shape)}`,
        );
      }
      if (hasRightInverse(parametrization)) {
        const z: unknown = parametrization.rightInverse(x);
        if (!(z instanceof Tensor)) {
          throw new Error(`parametrization.rightInverse must return a tensor. Got: ${typeName(z)}`);
        }
        if (z.dtype !== y.dtype) {
          throw new Error(
            `The tensor returned by parametrization.rightInverse must have the same dtype as module.${tensorName}, unless the \`unsafe\` flag is enabled.\nmodule.${tensorName}.dtype: ${y.dtype}\nreturned dtype: ${z.dtype}`,
          );
        }
        if (!sameShape(z.shape, y.shape)) {
          throw new Error(
            `The tensor returned by parametrization.rightInverse must have the same shape as module.${tensorName}, unless the \`unsafe\` flag is enabled.\nmodule.${tensorName}.shape: ${shapeStr(y.shape)}\nreturned shape: ${shapeStr(z.shape)}`,
          );
        }
      }
    }
    list.append(parametrization);
    list.unsafe ||= unsafe;
    return module as Parametrized<M>;
  }
  const own = ownTensor(module, tensorName);
  if (own === null) {
    throw new Error(
      `Module '${module}' does not have a parameter, a buffer, or a parametrized element with name '${tensorName}'`,
    );
  }
  const list = new ParametrizationList([parametrization], own.tensor, unsafe);
  delete self[tensorName];
  if (!isParametrized(module)) {
    injectNewClass(module);
    self.parametrizations = new ModuleDict();
  }
  injectProperty(module, tensorName);
  const dict = self.parametrizations as ModuleDict;
  dict.set(tensorName, list);
  injectDictField(dict, tensorName);
  return module as Parametrized<M>;
}

/** Whether `module` has a parametrization on `tensorName` (on any tensor when it is omitted), as PyTorch's `is_parametrized`. */
export function isParametrized(module: Module, tensorName?: string): boolean {
  const parametrizations = (module as unknown as Fields | null)?.parametrizations;
  if (!(parametrizations instanceof ModuleDict)) return false;
  return tensorName === undefined ? parametrizations.size > 0 : parametrizations.has(tensorName);
}

/**
 * Removes the parametrizations on `tensorName`, as PyTorch's `remove_parametrizations`: with
 * `leaveParametrized` (the default) the tensor keeps its current parametrized value (the original
 * Parameter takes it in place, so an optimizer holding it still does), else it becomes the
 * original again (only possible when there is one original). When the module has no
 * parametrization left, `parametrizations` goes and the module's class is restored. Returns the
 * module.
 */
export function removeParametrizations<M extends Module>(
  module: M,
  tensorName: string,
  options?: { leaveParametrized?: boolean },
): M {
  const leaveParametrized = options?.leaveParametrized ?? true;
  if (!isParametrized(module, tensorName)) {
    throw new Error(`Module ${module} does not have a parametrization on ${tensorName}`);
  }
  const self = fields(module);
  const dict = self.parametrizations as ModuleDict;
  const list = dict.get(tensorName) as ParametrizationList;
  let original: Tensor;
  if (list.isTensor) {
    original = list.original;
    if (leaveParametrized) {
      noGrad(() => {
        const t = self[tensorName] as Tensor;
        maybeSet(original, t);
      });
    }
  } else if (leaveParametrized) {
    const t = self[tensorName] as Tensor;
    original = t.requiresGrad ? new Parameter(t) : t;
  } else {
    throw new Error(
      'Cannot leave unparametrized (`leaveParametrized: false`) a tensor that is parametrized in terms of a sequence of tensors.',
    );
  }
  delete self[tensorName];
  dict.delete(tensorName);
  removeDictField(dict, tensorName);
  registerParameterOrBuffer(module, tensorName, original);
  if (!isParametrized(module)) {
    delete self.parametrizations;
    restoreClass(module);
  }
  return module;
}

/** The module's class before it was parametrized (its class if it is not), as PyTorch's `type_before_parametrizations`. */
export function typeBeforeParametrizations(module: Module): abstract new (...args: never[]) => Module {
  const cls = Object.getPrototypeOf(module).constructor;
  return (isParametrized(module) ? (originalClasses.get(cls) ?? cls) : cls) as abstract new (
    ...args: never[]
  ) => Module;
}
