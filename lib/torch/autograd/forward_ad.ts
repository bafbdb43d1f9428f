// Forward-mode AD (torch.autograd.forward_ad) over libtorch's dual tensors: a level is entered,
// inputs are made dual (primal + tangent), and every op computes its output's tangent as it runs.
import { native } from '../../binding.js';
import { isComplex, isFloatingPoint } from '../dtype.js';
import { describe } from '../marshal.js';
import { Tensor } from '../tensor.js';

// The level the other functions use by default; -1: none. Per JavaScript thread, like Python's
// module global (libtorch's levels are process-wide and allow one at a time).
let currentLevel = -1;

export interface LevelOptions {
  /** The dual level (default: the current one). */
  level?: number;
}

/** Enters a new forward AD level and makes it the current one; returns its index. */
export function enterDualLevel(): number {
  const level = native.enterDualLevel();
  if (level !== currentLevel + 1) {
    native.exitDualLevel(level);
    throw new Error(
      'enterDualLevel: entering a new forward AD level but the current level is not valid (was a level entered on another thread?)',
    );
  }
  currentLevel = level;
  return level;
}

/** Exits a forward AD level (default: the current one): every tangent of that level is dropped. */
export function exitDualLevel(options?: LevelOptions): void {
  const level = options?.level ?? currentLevel;
  if (level !== currentLevel) {
    throw new Error(
      'exitDualLevel: trying to exit a forward AD level that was not the last one that was created; this is not supported',
    );
  }
  if (level < 0) throw new Error('exitDualLevel: no forward AD level is active');
  native.exitDualLevel(level);
  currentLevel = level - 1;
}

/** Runs `fn` inside a new forward AD level, like `with fwAD.dual_level():`; the level is exited however fn ends. */
export function dualLevel<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`dualLevel: expected a function, got ${describe(fn)}`);
  enterDualLevel();
  try {
    const result = fn();
    if (result instanceof Promise) {
      throw new TypeError('dualLevel: fn must be synchronous (the level would stay open across awaits)');
    }
    return result;
  } finally {
    exitDualLevel();
  }
}

const differentiable = (t: Tensor): boolean => isFloatingPoint(t.dtype) || isComplex(t.dtype);

function levelOf(options: LevelOptions | undefined, name: string): number {
  const level = options?.level ?? currentLevel;
  if (!Number.isInteger(level)) throw new TypeError(`${name}: level must be an integer, got ${describe(level)}`);
  return level;
}

/**
 * A dual tensor: a view of `tensor` that carries `tangent` at the level. The tangent is stored as
 * is when its layout matches, else copied. Differentiable by backward AD too.
 */
export function makeDual(tensor: Tensor, tangent: Tensor, options?: LevelOptions): Tensor {
  if (!(tensor instanceof Tensor)) throw new TypeError(`makeDual: tensor must be a Tensor, got ${describe(tensor)}`);
  if (!(tangent instanceof Tensor)) throw new TypeError(`makeDual: tangent must be a Tensor, got ${describe(tangent)}`);
  const level = levelOf(options, 'makeDual');
  if (level < 0) {
    throw new Error(
      'makeDual: trying to create a dual Tensor for forward AD but no level exists; run it inside dualLevel(fn) (or enterDualLevel() first)',
    );
  }
  if (!differentiable(tensor)) {
    throw new TypeError(`makeDual: expected primal to be floating point or complex, but got: ${tensor.dtype}`);
  }
  if (!differentiable(tangent)) {
    throw new TypeError(`makeDual: expected tangent to be floating point or complex, but got: ${tangent.dtype}`);
  }
  return new Tensor(native.makeDual(tensor._h, tangent._h, level));
}

/** The primal and tangent of a dual tensor; reads as `{primal, tangent}` and as `[primal, tangent]`. */
export type UnpackedDualTensor = [primal: Tensor, tangent: Tensor | null] & {
  readonly primal: Tensor;
  /** null where the tensor has no tangent at the level */
  readonly tangent: Tensor | null;
};

/**
 * The primal (a view without the tangent) and the tangent of `tensor` at the level (null when it
 * has none, or when no level is active).
 */
export function unpackDual(tensor: Tensor, options?: LevelOptions): UnpackedDualTensor {
  if (!(tensor instanceof Tensor)) throw new TypeError(`unpackDual: tensor must be a Tensor, got ${describe(tensor)}`);
  const level = levelOf(options, 'unpackDual');
  let primal: Tensor;
  let tangent: Tensor | null = null;
  if (level < 0) primal = tensor;
  else {
    const [p, t] = native.unpackDual(tensor._h, level);
    primal = new Tensor(p);
    tangent = t === null ? null : new Tensor(t);
  }
  const out = [primal, tangent] as unknown as UnpackedDualTensor;
  Object.defineProperty(out, 'primal', { value: primal, enumerable: false });
  Object.defineProperty(out, 'tangent', { value: tangent, enumerable: false });
  return out;
}
