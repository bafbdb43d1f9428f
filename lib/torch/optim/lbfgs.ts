// torch.optim.LBFGS, following torch/optim/lbfgs.py (PyTorch 2.13) operation by operation: the
// two-loop recursion over a limited history of curvature pairs, the fixed-step update, and the
// strong-Wolfe line search (bracketing, then zooming by cubic interpolation).
//
// Numbers as PyTorch has them. In PyTorch most of the scalars of the algorithm are 0-d tensors
// of the parameters' dtype (the dot products, `ro`, `H_diag`, `al`, and the step `t` once it has
// been computed from one of them), while the losses are Python floats, and the constants and
// `lr` are Python numbers: a float32 run then does its scalar arithmetic in float32 wherever a
// tensor is involved (`f + c1 * t * gtd` rounds `f` to float32 first). The line search takes
// its branches on comparisons of such values, so a float64 imitation would leave PyTorch's path
// after a few iterations. Here a scalar is a `Num`, a JS number where PyTorch has a Python
// number and a 0-d Tensor where it has a tensor, and the helpers below (add, sub, mul, div, lt,
// ...) combine them as Python's operators do: number with number in float64 arithmetic,
// anything with a tensor through the same libtorch op (a number as a wrapped scalar), with
// Python's reflected operators (`1 / x` is `x.reciprocal() * 1`, as Tensor.__rtruediv__).
import '../../generated/methods.js';
import { cat, zeros } from '../../generated/functions.js';
import { enableGrad, noGrad } from '../autograd.js';
import { scope } from '../lifetime.js';
import { Tensor } from '../tensor.js';
import { buildInfo } from '../version.js';
import {
  checkBoolean,
  checkNonNegative,
  checkNumber,
  checkOptionNames,
  Optimizer,
  type OptimizerParams,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
} from './optimizer.js';

export interface LBFGSOptions {
  /** default 1 */
  lr?: number;
  /** the most iterations in one step(); default 20 */
  maxIter?: number;
  /** the most closure evaluations in one step(); default floor(maxIter * 5 / 4) */
  maxEval?: number | null;
  /** stop when every gradient element is at most this in magnitude; default 1e-7 */
  toleranceGrad?: number;
  /** stop when the loss or the parameters change less than this; default 1e-9 */
  toleranceChange?: number;
  /** how many curvature pairs the inverse Hessian estimate keeps; default 100 */
  historySize?: number;
  /** null (the default): a fixed step of `lr`; 'strong_wolfe': a line search from `lr` */
  lineSearchFn?: 'strong_wolfe' | null;
  /** Maximize the closure's value (default false); with libtorch 2.14 or later, as PyTorch 2.14 added it. */
  maximize?: boolean;
}

export interface LBFGSParamGroup extends ParamGroup {
  maxIter: number;
  maxEval: number;
  toleranceGrad: number;
  toleranceChange: number;
  historySize: number;
  lineSearchFn: 'strong_wolfe' | null;
  /** Only with libtorch 2.14 or later (see HAS_MAXIMIZE). */
  maximize?: boolean;
}

/**
 * The state of the run, kept (as PyTorch keeps it) under the first parameter; stateDict() lists
 * it under PyTorch's names: func_evals, n_iter, al, d, t, old_dirs, old_stps, ro, H_diag,
 * prev_flat_grad, prev_loss. `t` and `HDiag` are numbers or 0-d tensors, as in PyTorch.
 */
export interface LBFGSState {
  /** closure evaluations, all steps together */
  funcEvals?: number;
  /** iterations, all steps together */
  nIter?: number;
  /** the first loop's coefficients (a buffer of historySize, null where unused) */
  al?: (Tensor | null)[];
  /** the last search direction, flat */
  d?: Tensor | null;
  /** the last step length */
  t?: Num | null;
  /** gradient differences y of the curvature pairs, oldest first */
  oldDirs?: Tensor[] | null;
  /** steps s of the curvature pairs, oldest first */
  oldStps?: Tensor[] | null;
  /** 1 / (y . s) of the curvature pairs */
  ro?: Tensor[] | null;
  /** the scale of the initial inverse Hessian, (y . s) / (y . y) of the newest pair */
  HDiag?: Num | null;
  /** the flat gradient at the start of the last iteration */
  prevFlatGrad?: Tensor | null;
  /** the loss at the start of the last iteration */
  prevLoss?: number | null;
  [key: string]: unknown;
}

/** A scalar as PyTorch's LBFGS has it: a Python number, or a 0-d tensor. */
export type Num = number | Tensor;

/**
 * PyTorch 2.14 added `maximize` to LBFGS (negated gradients and losses, a `maximize` key in the
 * state dict's group): the options and state dicts follow the libtorch this addon runs with.
 */
const HAS_MAXIMIZE = (() => {
  const [major = 0, minor = 0] = buildInfo().libtorch.split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 14);
})();

const OPTIONS = [
  'lr',
  'maxIter',
  'maxEval',
  'toleranceGrad',
  'toleranceChange',
  'historySize',
  'lineSearchFn',
  ...(HAS_MAXIMIZE ? ['maximize'] : []),
];

const ONE_GROUP = "LBFGS doesn't support per-parameter options (parameter groups)";

/**
 * L-BFGS (limited-memory BFGS), PyTorch's formulation, after minFunc. It keeps one parameter
 * group, and its step takes a closure that re-evaluates the model:
 *
 *     opt.step(() => { opt.zeroGrad(); const loss = lossFn(model.forward(x), y); loss.backward(); return loss; });
 *
 * One step() runs up to maxIter iterations (and maxEval closure evaluations). Its state holds
 * `2 * historySize + 2` vectors the size of all the parameters together (the curvature pairs,
 * the last direction and the last gradient): a smaller historySize saves memory.
 */
export class LBFGS extends Optimizer<LBFGSParamGroup, LBFGSState> {
  constructor(params: OptimizerParams, options?: LBFGSOptions) {
    checkOptionNames('LBFGS', options, OPTIONS);
    const maxIter = options?.maxIter ?? 20;
    super(params, {
      lr: options?.lr ?? 1,
      maxIter,
      // Python's `max_iter * 5 // 4`
      maxEval: options?.maxEval ?? (typeof maxIter === 'number' ? Math.floor((maxIter * 5) / 4) : maxIter),
      toleranceGrad: options?.toleranceGrad ?? 1e-7,
      toleranceChange: options?.toleranceChange ?? 1e-9,
      historySize: options?.historySize ?? 100,
      lineSearchFn: options?.lineSearchFn ?? null,
      ...(HAS_MAXIMIZE ? { maximize: options?.maximize ?? false } : {}),
    });
  }

  protected validate(o: Record<string, unknown>): void {
    checkNonNegative('LBFGS', o, 'lr', 'learning rate');
    for (const key of ['maxIter', 'maxEval', 'historySize']) {
      const v = checkNumber('LBFGS', o, key);
      if (!Number.isInteger(v) || v < (key === 'historySize' ? 1 : 0)) {
        throw new Error(`LBFGS: invalid ${key}: ${v} (must be an integer >= ${key === 'historySize' ? 1 : 0})`);
      }
    }
    checkNumber('LBFGS', o, 'toleranceGrad');
    checkNumber('LBFGS', o, 'toleranceChange');
    if (HAS_MAXIMIZE) checkBoolean('LBFGS', o, 'maximize');
    if (o.lineSearchFn !== null && o.lineSearchFn !== 'strong_wolfe') {
      throw new Error(
        `LBFGS: only 'strong_wolfe' is supported as lineSearchFn (or null), got ${String(o.lineSearchFn)}`,
      );
    }
  }

  /** PyTorch refuses a second group in the constructor; here addParamGroup refuses it too. */
  override addParamGroup(paramGroup: ParamGroupInput): void {
    if (this.paramGroups.length !== 0) throw new Error(`LBFGS: ${ONE_GROUP}`);
    super.addParamGroup(paramGroup);
  }

  protected updateGroup(): void {
    throw new Error('LBFGS: the update needs a closure: call step(closure)');
  }

  /**
   * One optimization step: up to maxIter L-BFGS iterations. `closure` zeroes the gradients,
   * computes the loss, calls backward() and returns the loss (a Tensor or a number); it runs
   * with grad mode on, as often as the iterations and the line search need (state `funcEvals`
   * counts the calls). Returns what the first call returned, as PyTorch does: a tensor survives
   * the step (it passes to the enclosing scope, or to the garbage collector outside scopes).
   *
   * Lifetimes: each closure call runs in a scope of its own, so the model's intermediate tensors
   * are freed as soon as its loss has been read; each iteration runs in a scope too, and the
   * flat gradients and directions that an iteration replaces are freed with it. What the state
   * keeps across steps is keep()-ed.
   */
  override step<T = Tensor | number>(closure?: () => T): T {
    if (typeof closure !== 'function') {
      throw new TypeError('LBFGS.step: a closure is required (it re-evaluates the model and returns the loss)');
    }
    if (this.paramGroups.length !== 1) {
      throw new Error(`LBFGS.step: expected exactly one param group, got ${this.paramGroups.length}`);
    }
    return scope(() => noGrad(() => this.run(closure)));
  }

  /**
   * As Optimizer.stateDict, with PyTorch's `H_diag` for the state's `HDiag` (whose generic
   * snake_case would be `_h_diag`).
   */
  override stateDict(): OptimizerStateDict {
    const sd = super.stateDict();
    for (const [id, s] of Object.entries(sd.state)) {
      sd.state[id] = Object.fromEntries(Object.entries(s).map(([k, v]) => [k === '_h_diag' ? 'H_diag' : k, v]));
    }
    return sd;
  }

  // ---- the parameters as one flat vector

  private get params(): Tensor[] {
    return (this.paramGroups[0] as LBFGSParamGroup).params;
  }

  /** The gradients of all the parameters as one vector, zeros for those without one. */
  private gatherFlatGrad(): Tensor {
    const views = this.params.map((p) => {
      const g = p.grad;
      if (g === null) return zeros([p.numel()], { dtype: p.dtype, device: p.device });
      // a sparse gradient (an Embedding's with sparse: true) is made dense first, as PyTorch's LBFGS does
      return g.isSparse ? g.toDense().view([-1]) : g.view([-1]);
    });
    const flat = cat(views, 0);
    return this.maximize ? flat.neg_() : flat;
  }

  private get maximize(): boolean {
    return (this.paramGroups[0] as LBFGSParamGroup).maximize === true;
  }

  /** The closure's value as the minimized loss (negated when maximizing). */
  private lossOf(value: number): number {
    return this.maximize ? -value : value;
  }

  /** params += stepSize * update, `update` flat. */
  private addGrad(stepSize: Num, update: Tensor): void {
    const alpha = toNumber(stepSize);
    let offset = 0;
    for (const p of this.params) {
      const n = p.numel();
      p.add_(update.narrow(0, offset, n).viewAs(p), { alpha });
      offset += n;
    }
  }

  private cloneParams(): Tensor[] {
    return this.params.map((p) => p.clone({ memoryFormat: 'contiguousFormat' }));
  }

  private setParams(values: Tensor[]): void {
    this.params.forEach((p, i) => {
      p.copy_(values[i] as Tensor);
    });
  }

  /** The loss and flat gradient at x + t d; the parameters are left at x. */
  private directionalEvaluate(closure: () => unknown, x: Tensor[], t: Num, d: Tensor): [number, Tensor] {
    this.addGrad(t, d);
    const loss = this.lossOf(evaluate(closure));
    const flatGrad = this.gatherFlatGrad();
    this.setParams(x);
    return [loss, flatGrad];
  }

  // ---- the step

  private run<T>(closure: () => T): T {
    // Nothing to optimize: the closure's value all the same (as PyTorch 2.14; 2.13 failed here).
    if (this.params.length === 0) return scope(() => enableGrad(closure));
    const group = this.paramGroups[0] as LBFGSParamGroup;
    const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, lineSearchFn, historySize } = group;
    const state = this.stateOf(this.params[0] as Tensor);
    if (state.funcEvals === undefined) state.funcEvals = 0;
    if (state.nIter === undefined) state.nIter = 0;

    // the loss and gradient where the step starts; the first closure call's result is returned
    const origLoss = scope(() => enableGrad(closure));
    const v: Vars = {
      loss: this.lossOf(toNumber(origLoss)),
      flatGrad: this.gatherFlatGrad(),
      optCond: false,
      d: state.d ?? undefined,
      t: state.t ?? undefined,
      oldDirs: state.oldDirs ?? undefined,
      oldStps: state.oldStps ?? undefined,
      ro: state.ro ?? undefined,
      HDiag: state.HDiag ?? undefined,
      prevFlatGrad: state.prevFlatGrad ?? undefined,
      prevLoss: state.prevLoss ?? undefined,
      currentEvals: 1,
      nIter: 0,
    };
    state.funcEvals += 1;
    v.optCond = truth(v.flatGrad.abs().max().le(toleranceGrad));
    if (v.optCond) return origLoss;

    const inheritedD = v.d;
    // the curvature pairs that this step added: freed at once when the history drops them
    const fresh = new Set<Tensor>();
    const o: Settings = { lr, maxIter, maxEval, toleranceGrad, toleranceChange, lineSearchFn, historySize };
    while (v.nIter < maxIter) {
      const { d: oldD, flatGrad: oldFlatGrad } = v;
      const stop = scope(() => {
        const s = this.iteration(closure, state, v, o, fresh);
        // what survives the iteration: v's tensors and the al buffer
        return { s, v, al: state.al };
      }).s;
      // the direction and gradient that the iteration replaced are garbage (the state's d from
      // the last step is left to the collector: a stateDict() may hold it)
      if (oldFlatGrad !== v.flatGrad) oldFlatGrad.dispose();
      if (oldD !== undefined && oldD !== v.d && oldD !== inheritedD) oldD.dispose();
      if (stop) break;
    }

    state.d = keepNum(v.d) ?? null;
    state.t = keepNum(v.t) ?? null;
    state.oldDirs = v.oldDirs ? v.oldDirs.map((x) => x.keep()) : null;
    state.oldStps = v.oldStps ? v.oldStps.map((x) => x.keep()) : null;
    state.ro = v.ro ? v.ro.map((x) => x.keep()) : null;
    state.HDiag = keepNum(v.HDiag) ?? null;
    state.prevFlatGrad = v.prevFlatGrad ? v.prevFlatGrad.keep() : null;
    state.prevLoss = v.prevLoss ?? null;
    if (state.al) for (const x of state.al) x?.keep();
    return origLoss;
  }

  /** One iteration of the loop in PyTorch's step; true when the step ends. */
  private iteration(closure: () => unknown, state: LBFGSState, v: Vars, o: Settings, fresh: Set<Tensor>): boolean {
    v.nIter += 1;
    state.nIter = (state.nIter as number) + 1;

    // the descent direction
    if (state.nIter === 1) {
      v.d = v.flatGrad.neg();
      v.oldDirs = [];
      v.oldStps = [];
      v.ro = [];
      v.HDiag = 1;
    } else {
      const d = v.d as Tensor;
      const oldDirs = v.oldDirs as Tensor[];
      const oldStps = v.oldStps as Tensor[];
      const ro = v.ro as Tensor[];
      // the newest curvature pair, kept if it has positive curvature
      const y = v.flatGrad.sub(v.prevFlatGrad as Tensor);
      const s = d.mul(v.t as Num);
      const ys = y.dot(s);
      if (truth(gt(ys, 1e-10))) {
        if (oldDirs.length === o.historySize) {
          for (const dropped of [oldDirs.shift(), oldStps.shift(), ro.shift()]) {
            if (dropped && fresh.has(dropped)) dropped.dispose();
          }
        }
        const rho = div(1.0, ys) as Tensor;
        oldDirs.push(y);
        oldStps.push(s);
        ro.push(rho);
        fresh.add(y).add(s).add(rho);
        v.HDiag = div(ys, y.dot(y));
      }

      // the two-loop recursion: d = -H g, with H the L-BFGS inverse Hessian estimate
      const numOld = oldDirs.length;
      if (!('al' in state)) state.al = new Array<Tensor | null>(o.historySize).fill(null);
      const al = state.al as (Tensor | null)[];
      const q = v.flatGrad.neg();
      for (let i = numOld - 1; i >= 0; i--) {
        const a = mul((oldStps[i] as Tensor).dot(q), ro[i] as Tensor) as Tensor;
        al[i] = a;
        q.add_(oldDirs[i] as Tensor, { alpha: toNumber(neg(a)) });
      }
      const r = q.mul(v.HDiag as Num);
      for (let i = 0; i < numOld; i++) {
        const beI = mul((oldDirs[i] as Tensor).dot(r), ro[i] as Tensor);
        r.add_(oldStps[i] as Tensor, { alpha: toNumber(sub(al[i] as Tensor, beI)) });
      }
      v.d = r;
    }
    const d = v.d as Tensor;

    if (v.prevFlatGrad === undefined) v.prevFlatGrad = v.flatGrad.clone({ memoryFormat: 'contiguousFormat' });
    else v.prevFlatGrad.copy_(v.flatGrad);
    v.prevLoss = v.loss;

    // the step length: on the very first iteration scaled down by the gradient's 1-norm
    const t: Num = state.nIter === 1 ? mul(pyMin(1.0, div(1.0, v.flatGrad.abs().sum())), o.lr) : o.lr;
    v.t = t;

    // the directional derivative; not a descent direction (enough): stop
    const gtd = v.flatGrad.dot(d);
    if (truth(gt(gtd, -o.toleranceChange))) return true;

    let lsFuncEvals = 0;
    if (o.lineSearchFn !== null) {
      if (o.lineSearchFn !== 'strong_wolfe') throw new Error("LBFGS: only 'strong_wolfe' is supported");
      const xInit = this.cloneParams();
      // As PyTorch: the line search's own tolerance stays at its default, 1e-9, whatever the
      // group's toleranceChange.
      const ls = strongWolfe(
        (x, t, dir) => this.directionalEvaluate(closure, x, t, dir),
        xInit,
        t,
        d,
        v.loss,
        v.flatGrad,
        gtd,
        { maxLs: o.maxEval - v.currentEvals },
      );
      v.loss = ls.f;
      v.flatGrad = ls.g;
      v.t = ls.t;
      lsFuncEvals = ls.evals;
      this.addGrad(ls.t, d);
      v.optCond = truth(v.flatGrad.abs().max().le(o.toleranceGrad));
    } else {
      // a fixed step; the loss and gradient there are evaluated unless this is the last iteration
      this.addGrad(t, d);
      if (v.nIter !== o.maxIter) {
        v.loss = this.lossOf(evaluate(closure));
        v.flatGrad = this.gatherFlatGrad();
        v.optCond = truth(v.flatGrad.abs().max().le(o.toleranceGrad));
        lsFuncEvals = 1;
      }
    }
    v.currentEvals += lsFuncEvals;
    state.funcEvals = (state.funcEvals as number) + lsFuncEvals;

    // the stopping conditions
    if (v.nIter === o.maxIter) return true;
    if (v.currentEvals >= o.maxEval) return true;
    if (v.optCond) return true;
    if (
      truth(
        d
          .mul(v.t as Num)
          .abs()
          .max()
          .le(o.toleranceChange),
      )
    )
      return true;
    if (Math.abs(v.loss - (v.prevLoss as number)) < o.toleranceChange) return true;
    return false;
  }
}

/** A group's options, as one step reads them. */
interface Settings {
  lr: number;
  maxIter: number;
  maxEval: number;
  toleranceGrad: number;
  toleranceChange: number;
  historySize: number;
  lineSearchFn: 'strong_wolfe' | null;
}

/** The variables of one step's loop. */
interface Vars {
  loss: number;
  flatGrad: Tensor;
  optCond: boolean;
  d: Tensor | undefined;
  t: Num | undefined;
  oldDirs: Tensor[] | undefined;
  oldStps: Tensor[] | undefined;
  ro: Tensor[] | undefined;
  HDiag: Num | undefined;
  prevFlatGrad: Tensor | undefined;
  prevLoss: number | undefined;
  currentEvals: number;
  nIter: number;
}

/** Calls the closure with grad mode on, in a scope of its own, and returns the loss as a number. */
function evaluate(closure: () => unknown): number {
  return scope(() => toNumber(enableGrad(closure)));
}

/** Python's float(x): a number, or the value of a one-element tensor. */
function toNumber(x: unknown): number {
  if (typeof x === 'number') return x;
  if (x instanceof Tensor) return Number(x.item());
  throw new TypeError(
    `LBFGS: the closure must return the loss, a Tensor or a number; got ${x === null ? 'null' : typeof x}`,
  );
}

function keepNum<V extends Num | undefined>(x: V): V {
  if (x instanceof Tensor) x.keep();
  return x;
}

// ---- Python's scalar operators over numbers and 0-d tensors

/** Python's bool(x): for a tensor, its one element. */
const truth = (x: Num | boolean): boolean => (x instanceof Tensor ? Boolean(x.item()) : Boolean(x));

const add = (a: Num, b: Num): Num => (typeof a === 'number' ? (typeof b === 'number' ? a + b : b.add(a)) : a.add(b));
/** `a - b`; number - tensor is torch.rsub, which is -b + a. */
const sub = (a: Num, b: Num): Num =>
  typeof a === 'number' ? (typeof b === 'number' ? a - b : b.neg().add(a)) : a.sub(b);
const mul = (a: Num, b: Num): Num => (typeof a === 'number' ? (typeof b === 'number' ? a * b : b.mul(a)) : a.mul(b));
/** `a / b`; number / tensor is Tensor.__rtruediv__: b.reciprocal() * a. */
const div = (a: Num, b: Num): Num =>
  typeof a === 'number' ? (typeof b === 'number' ? a / b : b.reciprocal().mul(a)) : a.div(b);
const neg = (a: Num): Num => (typeof a === 'number' ? -a : a.neg());
const abs = (a: Num): Num => (typeof a === 'number' ? Math.abs(a) : a.abs());
/** `a ** 2` */
const square = (a: Num): Num => (typeof a === 'number' ? a * a : a.pow(2));
const sqrt = (a: Num): Num => (typeof a === 'number' ? Math.sqrt(a) : a.sqrt());

// Comparisons: a number against a tensor goes to the tensor's reflected comparison, as in Python.
const lt = (a: Num, b: Num): boolean =>
  typeof a === 'number' ? (typeof b === 'number' ? a < b : truth(b.gt(a))) : truth(a.lt(b));
const gt = (a: Num, b: Num): boolean =>
  typeof a === 'number' ? (typeof b === 'number' ? a > b : truth(b.lt(a))) : truth(a.gt(b));
const le = (a: Num, b: Num): boolean =>
  typeof a === 'number' ? (typeof b === 'number' ? a <= b : truth(b.ge(a))) : truth(a.le(b));
const ge = (a: Num, b: Num): boolean =>
  typeof a === 'number' ? (typeof b === 'number' ? a >= b : truth(b.le(a))) : truth(a.ge(b));

/** Python's min(a, b): b only if b < a. */
const pyMin = (a: Num, b: Num): Num => (lt(b, a) ? b : a);
/** Python's max(a, b): b only if b > a. */
const pyMax = (a: Num, b: Num): Num => (gt(b, a) ? b : a);
const minOf = (xs: Num[]): Num => xs.reduce((m, x) => pyMin(m, x));
const maxOf = (xs: Num[]): Num => xs.reduce((m, x) => pyMax(m, x));

// ---- the line search

/**
 * The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
 * `bounds` (by default the interval between x1 and x2); the middle of the bounds where the cubic
 * has no minimum. (From torch/optim's port of polyinterp.lua.)
 */
export function cubicInterpolate(x1: Num, f1: Num, g1: Num, x2: Num, f2: Num, g2: Num, bounds?: [Num, Num]): Num {
  const [lo, hi] = bounds ?? (le(x1, x2) ? [x1, x2] : [x2, x1]);
  // d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2); d2 = sqrt(d1^2 - g1 g2)
  const d1 = sub(add(g1, g2), div(mul(3, sub(f1, f2)), sub(x1, x2)));
  const d2Square = sub(square(d1), mul(g1, g2));
  if (ge(d2Square, 0)) {
    const d2 = sqrt(d2Square);
    // measured from the farther point
    const minPos = le(x1, x2)
      ? sub(x2, mul(sub(x2, x1), div(sub(add(g2, d2), d1), add(sub(g2, g1), mul(2, d2)))))
      : sub(x1, mul(sub(x1, x2), div(sub(add(g1, d2), d1), add(sub(g1, g2), mul(2, d2)))));
    return pyMin(pyMax(minPos, lo), hi);
  }
  return div(add(lo, hi), 2.0);
}

export interface StrongWolfeOptions {
  /** sufficient decrease (Armijo); default 1e-4 */
  c1?: number;
  /** curvature; default 0.9 */
  c2?: number;
  /** the smallest bracket (times max |d|) worth refining; default 1e-9 */
  toleranceChange?: number;
  /** the most evaluations after the first; default 25 */
  maxLs?: number;
}

/**
 * A line search along `d` from x (where the loss is f, the gradient g and the slope gtd) for a
 * step t satisfying the strong Wolfe conditions, starting from `t`: bracket an interval that
 * holds one, then zoom into it by cubic interpolation (a port of lswolfe.lua, as PyTorch's
 * _strong_wolfe). `objFunc(x, t, d)` returns the loss and flat gradient at x + t d. Returns the
 * best point found: its loss, gradient and step, and the number of evaluations.
 */
export function strongWolfe(
  objFunc: (x: Tensor[], t: Num, d: Tensor) => [number, Tensor],
  x: Tensor[],
  t0: Num,
  d: Tensor,
  f: number,
  g0: Tensor,
  gtd: Tensor,
  options?: StrongWolfeOptions,
): { f: number; g: Tensor; t: Num; evals: number } {
  const c1 = options?.c1 ?? 1e-4;
  const c2 = options?.c2 ?? 0.9;
  const toleranceChange = options?.toleranceChange ?? 1e-9;
  const maxLs = options?.maxLs ?? 25;
  const dNorm = d.abs().max();
  const g = g0.clone({ memoryFormat: 'contiguousFormat' });
  let t = t0;
  let [fNew, gNew] = objFunc(x, t, d);
  let lsFuncEvals = 1;
  let gtdNew: Num = gNew.dot(d);
  // the Armijo bound at step t: f + c1 t gtd
  const armijo = (step: Num): Num => add(f, mul(mul(c1, step), gtd));
  // the strong curvature condition at the newest point
  const curvatureOk = (): boolean => le(abs(gtdNew), mul(-c2, gtd));

  // bracketing: extrapolate until an interval is known to hold a point satisfying the conditions
  let tPrev: Num = 0;
  let fPrev = f;
  let gPrev = g;
  let gtdPrev: Num = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: Num[] | undefined;
  let bracketF: number[] = [];
  let bracketG: Tensor[] = [];
  let bracketGtd: Num[] = [];
  while (lsIter < maxLs) {
    if (gt(fNew, armijo(t)) || (lsIter > 1 && fNew >= fPrev)) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew.clone({ memoryFormat: 'contiguousFormat' })];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    if (curvatureOk()) {
      bracket = [t];
      bracketF = [fNew];
      bracketG = [gNew];
      done = true;
      break;
    }
    if (ge(gtdNew, 0)) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew.clone({ memoryFormat: 'contiguousFormat' })];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    // extrapolate: the cubic's minimum, between 1.01 t - 0.01 tPrev and 10 t
    const minStep = add(t, mul(0.01, sub(t, tPrev)));
    const maxStep = mul(t, 10);
    const previous = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = previous;
    fPrev = fNew;
    gPrev = gNew.clone({ memoryFormat: 'contiguousFormat' });
    gtdPrev = gtdNew;
    [fNew, gNew] = objFunc(x, t, d);
    lsFuncEvals += 1;
    gtdNew = gNew.dot(d);
    lsIter += 1;
  }
  // out of evaluations: the bracket is [0, t]
  if (lsIter === maxLs) {
    bracket = [0, t];
    bracketF = [f, fNew];
    bracketG = [g, gNew];
  }
  if (bracket === undefined) {
    // PyTorch fails here too (on an unbound variable): maxEval left no evaluation for the search
    throw new Error(`LBFGS: the line search was left ${maxLs} evaluations; raise maxEval`);
  }

  // zoom: shrink the bracket around a point satisfying the conditions
  let insufProgress = false;
  let [lowPos, highPos] = (bracketF[0] as number) <= (bracketF[bracketF.length - 1] as number) ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (lt(mul(abs(sub(bracket[1] as Num, bracket[0] as Num)), dNorm), toleranceChange)) break;

    t = cubicInterpolate(
      bracket[0] as Num,
      bracketF[0] as number,
      bracketGtd[0] as Num,
      bracket[1] as Num,
      bracketF[1] as number,
      bracketGtd[1] as Num,
    );

    // Too close to an end of the bracket: accept once; the second time in a row, or at (or
    // beyond) an end, move t to 10% of the bracket's length from the nearer end.
    const top = maxOf(bracket);
    const bottom = minOf(bracket);
    const eps = mul(0.1, sub(top, bottom));
    if (lt(pyMin(sub(top, t), sub(t, bottom)), eps)) {
      if (insufProgress || ge(t, top) || le(t, bottom)) {
        t = lt(abs(sub(t, top)), abs(sub(t, bottom))) ? sub(top, eps) : add(bottom, eps);
        insufProgress = false;
      } else {
        insufProgress = true;
      }
    } else {
      insufProgress = false;
    }

    [fNew, gNew] = objFunc(x, t, d);
    lsFuncEvals += 1;
    gtdNew = gNew.dot(d);
    lsIter += 1;

    if (gt(fNew, armijo(t)) || fNew >= (bracketF[lowPos] as number)) {
      // no sufficient decrease, or not below the low end: t becomes the high end
      bracket[highPos] = t;
      bracketF[highPos] = fNew;
      bracketG[highPos] = gNew.clone({ memoryFormat: 'contiguousFormat' });
      bracketGtd[highPos] = gtdNew;
      [lowPos, highPos] = (bracketF[0] as number) <= (bracketF[1] as number) ? [0, 1] : [1, 0];
    } else {
      if (curvatureOk()) {
        done = true;
      } else if (ge(mul(gtdNew, sub(bracket[highPos] as Num, bracket[lowPos] as Num)), 0)) {
        // the slope points away from the high end: the low end becomes the high end
        bracket[highPos] = bracket[lowPos] as Num;
        bracketF[highPos] = bracketF[lowPos] as number;
        bracketG[highPos] = bracketG[lowPos] as Tensor;
        bracketGtd[highPos] = bracketGtd[lowPos] as Num;
      }
      // t becomes the low end
      bracket[lowPos] = t;
      bracketF[lowPos] = fNew;
      bracketG[lowPos] = gNew.clone({ memoryFormat: 'contiguousFormat' });
      bracketGtd[lowPos] = gtdNew;
    }
  }

  return {
    f: bracketF[lowPos] as number,
    g: bracketG[lowPos] as Tensor,
    t: bracket[lowPos] as Num,
    evals: lsFuncEvals,
  };
}
