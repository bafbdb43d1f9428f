// torch.optim.lr_scheduler: LR schedules that write `group.lr` of an optimizer's param groups,
// following torch/optim/lr_scheduler.py (torch 2.13) expression by expression, so that the
// values agree with PyTorch's step by step: the chainable forms used by step(), the closed
// forms used by step({epoch}) and SequentialLR, and PyTorch's `initialLr` bookkeeping.
//
// Constructors take the optimizer and one options object: `new StepLR(opt, {stepSize, gamma})`.
// State dicts use PyTorch's attribute names (`last_epoch`, `base_lrs`, `_step_count`, ...), so
// that they map onto `scheduler.state_dict()` in Python.
import { Optimizer, type ParamGroup } from './optimizer.js';
import { pyCos, pyPow } from './pymath.js';

// biome-ignore lint/suspicious/noExplicitAny: any optimizer, whatever its group and state types
type AnyOptimizerOnly = Optimizer<any, any>;

/**
 * What drives an optimizer and shows it as groups of its own, as the engine's OptimWrapper does:
 * MMEngine's schedulers take one, so that its extra groups (with several parameter groups, a
 * pseudo-group holding the base settings, logged as `base_lr`) are scheduled with the rest.
 */
export interface OptimizerWrapperLike {
  readonly optimizer: AnyOptimizerOnly;
  readonly paramGroups: readonly Record<string, unknown>[];
  readonly defaults: Record<string, unknown>;
}

/** What a scheduler writes the lr of: an optimizer, or a wrapper of one (its groups). */
type AnyOptimizer = AnyOptimizerOnly | OptimizerWrapperLike;

const isSchedulable = (x: unknown): x is AnyOptimizer =>
  x instanceof Optimizer ||
  (typeof x === 'object' &&
    x !== null &&
    (x as OptimizerWrapperLike).optimizer instanceof Optimizer &&
    Array.isArray((x as OptimizerWrapperLike).paramGroups));

export interface LRSchedulerOptions {
  /** The index of the last epoch; -1 (the default) starts a new schedule. */
  lastEpoch?: number;
}

export type SchedulerStateDict = Record<string, unknown>;

const EPOCH_DEPRECATION_WARNING =
  'The epoch option of scheduler.step() is deprecated: call scheduler.step() with no argument. ' +
  'With an epoch, the closed form is used instead of the chainable form, where there is one.';
let warnedEpoch = false;

const copy = <T>(v: T): T =>
  Array.isArray(v)
    ? (v.map(copy) as T)
    : v instanceof Map
      ? (new Map(v) as T)
      : v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype
        ? (Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)])) as T)
        : v;

/** Python's bisect.bisect_right on a sorted array. */
function bisectRight(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < (a[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function requireNumber(name: string, options: object | undefined, key: string): number {
  const v = (options as Record<string, unknown> | undefined)?.[key];
  if (v === undefined) throw new TypeError(`${name}: the option ${key} is required`);
  if (typeof v !== 'number' || Number.isNaN(v))
    throw new TypeError(`${name}: ${key} must be a number, got ${String(v)}`);
  return v;
}

function optionalNumber(name: string, options: object | undefined, key: string, fallback: number): number {
  const v = (options as Record<string, unknown> | undefined)?.[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || Number.isNaN(v))
    throw new TypeError(`${name}: ${key} must be a number, got ${String(v)}`);
  return v;
}

function checkInteger(name: string, key: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`${name}: ${key} must be an integer >= ${min}, got ${v}`);
}

function checkOptionNames(name: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') throw new TypeError(`${name}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`${name}: unknown option '${key}' (known: ${known.join(', ')})`);
  }
}

/** Python's _format_param: one value per param group. */
function perGroup(name: string, key: string, optimizer: AnyOptimizer, value: number | number[]): number[] {
  const n = optimizer.paramGroups.length;
  if (Array.isArray(value)) {
    if (value.length !== n) {
      throw new Error(
        `${name}: ${key} must have as many values as optimizer.paramGroups; ${key} has ${value.length} values, paramGroups has ${n}`,
      );
    }
    return [...value];
  }
  return new Array<number>(n).fill(value);
}

const groupsOf = (optimizer: AnyOptimizer): ParamGroup[] => optimizer.paramGroups as ParamGroup[];

/** A group's momentum: Adam's beta1 (useBeta1), else SGD's momentum (OneCycleLR and CyclicLR cycle it). */
function setMomentum(group: ParamGroup, useBeta1: boolean, m: number): void {
  if (useBeta1) group.betas = [m, ...(group.betas as number[]).slice(1)];
  else group.momentum = m;
}
const lrsOf = (optimizer: AnyOptimizer): number[] => groupsOf(optimizer).map((g) => g.lr);

/**
 * The base of the LR schedulers. A subclass sets its own fields, then calls
 * `this._init(lastEpoch)` (PyTorch's LRScheduler.__init__, which takes the first step and so
 * needs those fields), and implements getLr() (the chainable form) and optionally
 * getClosedFormLr().
 */
export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  /** The lr each group started from (its `initialLr`). */
  baseLrs: number[] = [];
  /** The number of step() calls since the start of the schedule (0 after construction). */
  lastEpoch = -1;
  /** @internal */
  _stepCount = 0;
  /** @internal */
  _isInitial = false;
  /** @internal */
  _getLrCalledWithinStep = false;
  /** @internal */
  _lastLr: number[] = [];

  constructor(optimizer: AnyOptimizer) {
    if (!isSchedulable(optimizer)) {
      throw new TypeError(
        `${new.target.name}: the first argument must be an Optimizer (or an optimizer wrapper), got ${String(optimizer)}`,
      );
    }
    this.optimizer = optimizer;
  }

  /** PyTorch's LRScheduler.__init__: sets `initialLr` and baseLrs, then takes the first step. */
  protected _init(lastEpoch = -1): void {
    const name = this.constructor.name;
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) {
      throw new Error(`${name}: lastEpoch must be an integer >= -1, got ${lastEpoch}`);
    }
    const groups = groupsOf(this.optimizer);
    if (lastEpoch === -1) {
      for (const g of groups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      groups.forEach((g, i) => {
        if (g.initialLr === undefined) {
          throw new Error(
            `${name}: paramGroups[${i}] has no initialLr, which resuming a schedule with lastEpoch >= 0 needs; ` +
              'load the optimizer state dict that was saved with the scheduler first, or use lastEpoch -1 for a new run',
          );
        }
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
    this._initialStep();
  }

  /** @internal The first step, which the constructor takes. */
  _initialStep(): void {
    this._stepCount = 0;
    this._isInitial = true;
    try {
      this.step();
    } finally {
      this._isInitial = false;
    }
  }

  /** The lrs that the last step set, one per param group. */
  getLastLr(): number[] {
    return [...this._lastLr];
  }

  /**
   * The next lrs in the chainable form, from the groups' current lrs. Meant for step(): called
   * elsewhere it does not give the current lrs (use getLastLr()).
   */
  abstract getLr(): number[];

  /** The lrs at lastEpoch in closed form, where the schedule has one (used by step({epoch})). */
  getClosedFormLr?(): number[];

  /** Advances the schedule by one step and writes the new lr of every param group. */
  step(options?: { epoch?: number }): void {
    this._stepCount += 1;
    const epoch = options?.epoch;
    if (epoch !== undefined && !warnedEpoch) {
      warnedEpoch = true;
      process.emitWarning(EPOCH_DEPRECATION_WARNING, 'UserWarning');
    }
    this._updateLr(epoch);
  }

  /** @internal */
  _updateLr(epoch?: number): void {
    let values: number[];
    this._getLrCalledWithinStep = true;
    try {
      if (epoch === undefined) {
        this.lastEpoch += 1;
        values = this.getLr();
      } else {
        this.lastEpoch = epoch;
        values = this.getClosedFormLr ? this.getClosedFormLr() : this.getLr();
      }
    } finally {
      this._getLrCalledWithinStep = false;
    }
    const groups = groupsOf(this.optimizer);
    if (values.length !== groups.length) {
      throw new Error(`${this.constructor.name}: computed ${values.length} lrs for ${groups.length} param groups`);
    }
    groups.forEach((g, i) => {
      g.lr = values[i] as number;
    });
    this._lastLr = lrsOf(this.optimizer);
  }

  /** [PyTorch's attribute name, this object's property] for the scheduler's own settings. */
  protected ownFields(): [string, string][] {
    return [];
  }

  /** @internal The fields a state dict holds, in PyTorch's order. */
  stateFields(): [string, string][] {
    return [
      ...this.ownFields(),
      ['base_lrs', 'baseLrs'],
      ['last_epoch', 'lastEpoch'],
      ['_step_count', '_stepCount'],
      ['_is_initial', '_isInitial'],
      ['_get_lr_called_within_step', '_getLrCalledWithinStep'],
      ['_last_lr', '_lastLr'],
    ];
  }

  /** The scheduler's state, with PyTorch's keys (everything but the optimizer). */
  stateDict(): SchedulerStateDict {
    const self = this as unknown as Record<string, unknown>;
    const out: SchedulerStateDict = {};
    for (const [py, ts] of this.stateFields()) out[py] = this.exportField(ts, self[ts]);
    return out;
  }

  /** Restores a state dict from stateDict() here or `state_dict()` in PyTorch. */
  loadStateDict(stateDict: SchedulerStateDict): void {
    if (stateDict === null || typeof stateDict !== 'object') {
      throw new TypeError(`${this.constructor.name}.loadStateDict: expected an object, as stateDict() returns`);
    }
    const self = this as unknown as Record<string, unknown>;
    for (const [py, ts] of this.stateFields()) {
      if (py in stateDict) self[ts] = this.importField(ts, stateDict[py]);
    }
  }

  protected exportField(_ts: string, value: unknown): unknown {
    return copy(value);
  }

  protected importField(_ts: string, value: unknown): unknown {
    return copy(value);
  }
}

// ---- the schedules

export interface LambdaLROptions extends LRSchedulerOptions {
  /** lr = initial lr * lrLambda(epoch); one function, or one per param group */
  lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[];
}

/** What LambdaLR and MultiplicativeLR share: a function of the epoch per param group, saved as PyTorch saves them. */
abstract class LrLambdaScheduler extends LRScheduler {
  lrLambdas: ((epoch: number) => number)[];

  constructor(optimizer: AnyOptimizer, options: LambdaLROptions, name: string) {
    super(optimizer);
    checkOptionNames(name, options, ['lrLambda', 'lastEpoch']);
    const f = options?.lrLambda;
    const n = optimizer.paramGroups.length;
    if (Array.isArray(f)) {
      if (f.length !== n) throw new Error(`${name}: expected ${n} lrLambda functions, got ${f.length}`);
      this.lrLambdas = [...f];
    } else {
      this.lrLambdas = new Array(n).fill(f);
    }
    if (this.lrLambdas.some((fn) => typeof fn !== 'function')) {
      throw new TypeError(`${name}: lrLambda must be a function (epoch) => factor, or an array of them`);
    }
    this._init(options.lastEpoch);
  }

  override stateFields(): [string, string][] {
    return [...super.stateFields(), ['lr_lambdas', 'lrLambdas']];
  }

  protected override exportField(ts: string, value: unknown): unknown {
    // PyTorch saves None for plain functions (and a callable object's attributes otherwise).
    return ts === 'lrLambdas' ? this.lrLambdas.map(() => null) : copy(value);
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    const { lr_lambdas: _, ...rest } = stateDict;
    super.loadStateDict(rest);
  }
}

/** lr = initial lr times a function of the epoch. */
export class LambdaLR extends LrLambdaScheduler {
  constructor(optimizer: AnyOptimizer, options: LambdaLROptions) {
    super(optimizer, options, 'LambdaLR');
  }

  getLr(): number[] {
    return this.baseLrs.map((base, i) => base * (this.lrLambdas[i] as (e: number) => number)(this.lastEpoch));
  }
}

export interface StepLROptions extends LRSchedulerOptions {
  /** the period of the decay, in epochs */
  stepSize: number;
  /** default 0.1 */
  gamma?: number;
}

/** lr times gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: AnyOptimizer, options: StepLROptions) {
    super(optimizer);
    checkOptionNames('StepLR', options, ['stepSize', 'gamma', 'lastEpoch']);
    this.stepSize = requireNumber('StepLR', options, 'stepSize');
    checkInteger('StepLR', 'stepSize', this.stepSize, 1);
    this.gamma = optionalNumber('StepLR', options, 'gamma', 0.1);
    this._init(options.lastEpoch);
  }

  getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrsOf(this.optimizer);
    return lrsOf(this.optimizer).map((lr) => lr * this.gamma);
  }

  override getClosedFormLr(): number[] {
    return this.baseLrs.map((base) => base * pyPow(this.gamma, Math.floor(this.lastEpoch / this.stepSize)));
  }

  protected override ownFields(): [string, string][] {
    return [
      ['step_size', 'stepSize'],
      ['gamma', 'gamma'],
    ];
  }
}

export interface MultiStepLROptions extends LRSchedulerOptions {
  /** the epochs at which lr is multiplied by gamma (a repeated milestone counts twice) */
  milestones: Iterable<number>;
  /** default 0.1 */
  gamma?: number;
}

/** lr times gamma at each milestone. */
export class MultiStepLR extends LRScheduler {
  /** milestone -> how many times it was given (Python's Counter) */
  milestones: Map<number, number>;
  gamma: number;

  constructor(optimizer: AnyOptimizer, options: MultiStepLROptions) {
    super(optimizer);
    checkOptionNames('MultiStepLR', options, ['milestones', 'gamma', 'lastEpoch']);
    const m = options?.milestones;
    if (m == null || typeof (m as Iterable<number>)[Symbol.iterator] !== 'function') {
      throw new TypeError('MultiStepLR: the option milestones is required: an array of epochs');
    }
    this.milestones = new Map();
    for (const e of m) {
      if (!Number.isInteger(e)) throw new TypeError(`MultiStepLR: milestones must be integers, got ${e}`);
      this.milestones.set(e, (this.milestones.get(e) ?? 0) + 1);
    }
    this.gamma = optionalNumber('MultiStepLR', options, 'gamma', 0.1);
    this._init(options.lastEpoch);
  }

  getLr(): number[] {
    const count = this.milestones.get(this.lastEpoch);
    if (count === undefined) return lrsOf(this.optimizer);
    return lrsOf(this.optimizer).map((lr) => lr * pyPow(this.gamma, count));
  }

  override getClosedFormLr(): number[] {
    const sorted: number[] = [];
    for (const [e, n] of this.milestones) for (let i = 0; i < n; i++) sorted.push(e);
    sorted.sort((a, b) => a - b);
    return this.baseLrs.map((base) => base * pyPow(this.gamma, bisectRight(sorted, this.lastEpoch)));
  }

  protected override ownFields(): [string, string][] {
    return [
      ['milestones', 'milestones'],
      ['gamma', 'gamma'],
    ];
  }

  // A Counter is saved as a plain object {milestone: count}.
  protected override exportField(ts: string, value: unknown): unknown {
    return ts === 'milestones' ? Object.fromEntries(this.milestones) : copy(value);
  }

  protected override importField(ts: string, value: unknown): unknown {
    if (ts !== 'milestones') return copy(value);
    const entries = value instanceof Map ? [...value] : Object.entries(value as Record<string, number>);
    return new Map(entries.map(([k, v]) => [Number(k), Number(v)]));
  }
}

export interface ConstantLROptions extends LRSchedulerOptions {
  /** default 1/3 */
  factor?: number;
  /** default 5 */
  totalIters?: number;
}

/** lr times factor for the first totalIters epochs, then lr. */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;

  constructor(optimizer: AnyOptimizer, options?: ConstantLROptions) {
    super(optimizer);
    checkOptionNames('ConstantLR', options, ['factor', 'totalIters', 'lastEpoch']);
    this.factor = optionalNumber('ConstantLR', options, 'factor', 1.0 / 3);
    if (this.factor > 1.0 || this.factor < 0) {
      throw new Error(`ConstantLR: factor must be between 0 and 1, got ${this.factor}`);
    }
    this.totalIters = optionalNumber('ConstantLR', options, 'totalIters', 5);
    checkInteger('ConstantLR', 'totalIters', this.totalIters, 0);
    this._init(options?.lastEpoch);
  }

  getLr(): number[] {
    if (this.lastEpoch === 0) return lrsOf(this.optimizer).map((lr) => lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return lrsOf(this.optimizer);
    // Python's 1.0 / factor: a factor of 0 is a ZeroDivisionError there, not an lr of NaN.
    if (this.factor === 0) throw new Error('ConstantLR: float division by zero (factor is 0) at the end of totalIters');
    return lrsOf(this.optimizer).map((lr) => lr * (1.0 / this.factor));
  }

  override getClosedFormLr(): number[] {
    return this.baseLrs.map((base) => base * (this.factor + (this.lastEpoch >= this.totalIters ? 1 - this.factor : 0)));
  }

  protected override ownFields(): [string, string][] {
    return [
      ['factor', 'factor'],
      ['total_iters', 'totalIters'],
    ];
  }
}

export interface LinearLROptions extends LRSchedulerOptions {
  /** default 1/3 */
  startFactor?: number;
  /** default 1 */
  endFactor?: number;
  /** default 5 */
  totalIters?: number;
}

/** lr times a factor that goes linearly from startFactor to endFactor over totalIters epochs. */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(optimizer: AnyOptimizer, options?: LinearLROptions) {
    super(optimizer);
    checkOptionNames('LinearLR', options, ['startFactor', 'endFactor', 'totalIters', 'lastEpoch']);
    this.startFactor = optionalNumber('LinearLR', options, 'startFactor', 1.0 / 3);
    this.endFactor = optionalNumber('LinearLR', options, 'endFactor', 1.0);
    if (this.startFactor > 1.0 || this.startFactor <= 0) {
      throw new Error(`LinearLR: startFactor must be greater than 0 and at most 1, got ${this.startFactor}`);
    }
    if (this.endFactor > 1.0 || this.endFactor < 0) {
      throw new Error(`LinearLR: endFactor must be between 0 and 1, got ${this.endFactor}`);
    }
    this.totalIters = optionalNumber('LinearLR', options, 'totalIters', 5);
    checkInteger('LinearLR', 'totalIters', this.totalIters, 1);
    this._init(options?.lastEpoch);
  }

  getLr(): number[] {
    if (this.lastEpoch === 0) return lrsOf(this.optimizer).map((lr) => lr * this.startFactor);
    if (this._isInitial || this.lastEpoch > this.totalIters) return lrsOf(this.optimizer);
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    return lrsOf(this.optimizer).map((lr) => lr * (1.0 + (e - s) / (n * s + (this.lastEpoch - 1) * (e - s))));
  }

  override getClosedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    return this.baseLrs.map((base) => base * (s + ((e - s) * Math.min(n, this.lastEpoch)) / n));
  }

  protected override ownFields(): [string, string][] {
    return [
      ['start_factor', 'startFactor'],
      ['end_factor', 'endFactor'],
      ['total_iters', 'totalIters'],
    ];
  }
}

export interface ExponentialLROptions extends LRSchedulerOptions {
  /** the factor per epoch */
  gamma: number;
}

/** lr times gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: AnyOptimizer, options: ExponentialLROptions) {
    super(optimizer);
    checkOptionNames('ExponentialLR', options, ['gamma', 'lastEpoch']);
    this.gamma = requireNumber('ExponentialLR', options, 'gamma');
    this._init(options.lastEpoch);
  }

  getLr(): number[] {
    if (this._isInitial) return lrsOf(this.optimizer);
    return lrsOf(this.optimizer).map((lr) => lr * this.gamma);
  }

  override getClosedFormLr(): number[] {
    return this.baseLrs.map((base) => base * pyPow(this.gamma, this.lastEpoch));
  }

  protected override ownFields(): [string, string][] {
    return [['gamma', 'gamma']];
  }
}

export interface CosineAnnealingLROptions extends LRSchedulerOptions {
  /** the number of epochs of a half period (PyTorch's T_max) */
  TMax: number;
  /** the minimum lr, default 0 */
  etaMin?: number;
}

/** Cosine annealing from the initial lr down to etaMin over TMax epochs (and back up after). */
export class CosineAnnealingLR extends LRScheduler {
  TMax: number;
  etaMin: number;

  constructor(optimizer: AnyOptimizer, options: CosineAnnealingLROptions) {
    super(optimizer);
    checkOptionNames('CosineAnnealingLR', options, ['TMax', 'etaMin', 'lastEpoch']);
    this.TMax = requireNumber('CosineAnnealingLR', options, 'TMax');
    if (!(this.TMax > 0)) throw new Error(`CosineAnnealingLR: TMax must be > 0, got ${this.TMax}`);
    this.etaMin = optionalNumber('CosineAnnealingLR', options, 'etaMin', 0.0);
    this._init(options.lastEpoch);
  }

  getLr(): number[] {
    const { TMax: T, etaMin, lastEpoch: e } = this;
    const groups = groupsOf(this.optimizer);
    if (this._isInitial) return lrsOf(this.optimizer);
    if (this._stepCount === 1 && e > 0) {
      return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + pyCos((e * Math.PI) / T))) / 2);
    }
    if ((e - 1 - T) % (2 * T) === 0) {
      return groups.map((g, i) => g.lr + (((this.baseLrs[i] as number) - etaMin) * (1 - pyCos(Math.PI / T))) / 2);
    }
    return groups.map(
      (g) => ((1 + pyCos((Math.PI * e) / T)) / (1 + pyCos((Math.PI * (e - 1)) / T))) * (g.lr - etaMin) + etaMin,
    );
  }

  override getClosedFormLr(): number[] {
    const { TMax: T, etaMin } = this;
    return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + pyCos((Math.PI * this.lastEpoch) / T))) / 2);
  }

  protected override ownFields(): [string, string][] {
    return [
      ['T_max', 'TMax'],
      ['eta_min', 'etaMin'],
    ];
  }
}

interface SchedulePhase {
  end_step: number;
  start_lr: string;
  end_lr: string;
  start_momentum: string;
  end_momentum: string;
}

export interface OneCycleLROptions extends LRSchedulerOptions {
  /** the peak lr, or one per param group */
  maxLr: number | number[];
  /** the length of the cycle; or give epochs and stepsPerEpoch */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** the fraction of the cycle spent increasing the lr, default 0.3 */
  pctStart?: number;
  /** 'cos' (default) or 'linear' */
  annealStrategy?: 'cos' | 'linear';
  /** cycle momentum (or Adam's beta1) inversely to the lr, default true */
  cycleMomentum?: boolean;
  /** default 0.85 */
  baseMomentum?: number | number[];
  /** default 0.95 */
  maxMomentum?: number | number[];
  /** initial lr = maxLr / divFactor, default 25 */
  divFactor?: number;
  /** min lr = initial lr / finalDivFactor, default 1e4 */
  finalDivFactor?: number;
  /** a third phase that anneals to the min lr, default false */
  threePhase?: boolean;
}

/** The 1cycle policy (Smith and Topin): lr up to maxLr, then down far below the initial lr. */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  cycleMomentum: boolean;
  useBeta1 = false;
  annealStrategy: 'cos' | 'linear';
  /** @internal */
  _schedulePhases: SchedulePhase[];

  constructor(optimizer: AnyOptimizer, options: OneCycleLROptions) {
    super(optimizer);
    const name = 'OneCycleLR';
    checkOptionNames(name, options, [
      'maxLr',
      'totalSteps',
      'epochs',
      'stepsPerEpoch',
      'pctStart',
      'annealStrategy',
      'cycleMomentum',
      'baseMomentum',
      'maxMomentum',
      'divFactor',
      'finalDivFactor',
      'threePhase',
      'lastEpoch',
    ]);
    const o = options ?? ({} as OneCycleLROptions);
    if (o.totalSteps !== undefined) {
      if (!Number.isInteger(o.totalSteps) || o.totalSteps <= 0) {
        throw new Error(`${name}: expected a positive integer totalSteps, got ${o.totalSteps}`);
      }
      this.totalSteps = o.totalSteps;
    } else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      if (!Number.isInteger(o.epochs) || o.epochs <= 0) {
        throw new Error(`${name}: expected a positive integer epochs, got ${o.epochs}`);
      }
      if (!Number.isInteger(o.stepsPerEpoch) || o.stepsPerEpoch <= 0) {
        throw new Error(`${name}: expected a positive integer stepsPerEpoch, got ${o.stepsPerEpoch}`);
      }
      this.totalSteps = o.epochs * o.stepsPerEpoch;
    } else {
      throw new Error(`${name}: give either totalSteps or both epochs and stepsPerEpoch`);
    }
    const pctStart = o.pctStart ?? 0.3;
    const total = this.totalSteps;
    this._schedulePhases = o.threePhase
      ? [
          {
            end_step: pctStart * total - 1,
            start_lr: 'initial_lr',
            end_lr: 'max_lr',
            start_momentum: 'max_momentum',
            end_momentum: 'base_momentum',
          },
          {
            end_step: 2 * pctStart * total - 2,
            start_lr: 'max_lr',
            end_lr: 'initial_lr',
            start_momentum: 'base_momentum',
            end_momentum: 'max_momentum',
          },
          {
            end_step: total - 1,
            start_lr: 'initial_lr',
            end_lr: 'min_lr',
            start_momentum: 'max_momentum',
            end_momentum: 'max_momentum',
          },
        ]
      : [
          {
            end_step: pctStart * total - 1,
            start_lr: 'initial_lr',
            end_lr: 'max_lr',
            start_momentum: 'max_momentum',
            end_momentum: 'base_momentum',
          },
          {
            end_step: total - 1,
            start_lr: 'max_lr',
            end_lr: 'min_lr',
            start_momentum: 'base_momentum',
            end_momentum: 'max_momentum',
          },
        ];
    if (typeof pctStart !== 'number' || !(pctStart >= 0 && pctStart <= 1)) {
      throw new Error(`${name}: expected pctStart between 0 and 1, got ${pctStart}`);
    }
    const strategy = o.annealStrategy ?? 'cos';
    if (strategy !== 'cos' && strategy !== 'linear') {
      throw new Error(`${name}: annealStrategy must be 'cos' or 'linear', got ${String(strategy)}`);
    }
    this.annealStrategy = strategy;
    const lastEpoch = o.lastEpoch ?? -1;
    const divFactor = o.divFactor ?? 25.0;
    const finalDivFactor = o.finalDivFactor ?? 1e4;
    if (o.maxLr === undefined) throw new TypeError(`${name}: the option maxLr is required`);
    const maxLrs = perGroup(name, 'maxLr', optimizer, o.maxLr);
    const groups = groupsOf(optimizer);
    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = (maxLrs[i] as number) / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = g.initialLr / finalDivFactor;
      });
    }
    this.cycleMomentum = o.cycleMomentum ?? true;
    if (this.cycleMomentum) {
      if (!('momentum' in optimizer.defaults) && !('betas' in optimizer.defaults)) {
        throw new Error(`${name}: the optimizer must have momentum or betas when cycleMomentum is true`);
      }
      this.useBeta1 = 'betas' in optimizer.defaults;
      const maxMomentums = perGroup(name, 'maxMomentum', optimizer, o.maxMomentum ?? 0.95);
      const baseMomentums = perGroup(name, 'baseMomentum', optimizer, o.baseMomentum ?? 0.85);
      if (lastEpoch === -1) {
        groups.forEach((g, i) => {
          const m = maxMomentums[i] as number;
          setMomentum(g, this.useBeta1, m);
          g.maxMomentum = m;
          g.baseMomentum = baseMomentums[i];
        });
      }
    }
    this._init(lastEpoch);
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') {
      const cosOut = pyCos(Math.PI * pct) + 1;
      return end + ((start - end) / 2.0) * cosOut;
    }
    return (end - start) * pct + start;
  }

  getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new Error(
        `OneCycleLR: tried to step ${stepNum} times; the specified number of total steps is ${this.totalSteps}`,
      );
    }
    const phases = this._schedulePhases;
    return groupsOf(this.optimizer).map((group) => {
      const get = (pyKey: string): number => group[toCamelKey(pyKey)] as number;
      let startStep = 0.0;
      let lr = 0;
      let momentum = 0;
      for (let i = 0; i < phases.length; i++) {
        const phase = phases[i] as SchedulePhase;
        const endStep = phase.end_step;
        if (stepNum <= endStep || i === phases.length - 1) {
          // Python divides here: a phase of no steps (pctStart 1 leaves the last one empty) is a
          // ZeroDivisionError there, not an lr of NaN.
          if (endStep === startStep) {
            throw new Error(
              `OneCycleLR: float division by zero at step ${stepNum} (a phase of no steps: pctStart leaves none after it)`,
            );
          }
          const pct = (stepNum - startStep) / (endStep - startStep);
          lr = this.anneal(get(phase.start_lr), get(phase.end_lr), pct);
          if (this.cycleMomentum) momentum = this.anneal(get(phase.start_momentum), get(phase.end_momentum), pct);
          break;
        }
        startStep = phase.end_step;
      }
      if (this.cycleMomentum) {
        setMomentum(group, this.useBeta1, momentum);
      }
      return lr;
    });
  }

  protected override ownFields(): [string, string][] {
    return [
      ['total_steps', 'totalSteps'],
      ['_schedule_phases', '_schedulePhases'],
      ['_anneal_func_type', 'annealStrategy'],
      ['cycle_momentum', 'cycleMomentum'],
      ...(this.cycleMomentum ? ([['use_beta1', 'useBeta1']] as [string, string][]) : []),
    ];
  }
}

const toCamelKey = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export interface PolynomialLROptions extends LRSchedulerOptions {
  /** steps over which the lr decays to 0 (default 5) */
  totalIters?: number;
  /** the polynomial's power (default 1: linear) */
  power?: number;
}

/** lr = initial lr * (1 - min(epoch, totalIters) / totalIters) ** power. */
export class PolynomialLR extends LRScheduler {
  totalIters: number;
  power: number;

  constructor(optimizer: AnyOptimizer, options?: PolynomialLROptions) {
    super(optimizer);
    checkOptionNames('PolynomialLR', options, ['totalIters', 'power', 'lastEpoch']);
    this.totalIters = optionalNumber('PolynomialLR', options, 'totalIters', 5);
    this.power = optionalNumber('PolynomialLR', options, 'power', 1.0);
    this._init(options?.lastEpoch);
  }

  getLr(): number[] {
    if (this._isInitial || this.lastEpoch > this.totalIters) return lrsOf(this.optimizer);
    const decay = pyPow(
      (1.0 - this.lastEpoch / this.totalIters) / (1.0 - (this.lastEpoch - 1) / this.totalIters),
      this.power,
    );
    return lrsOf(this.optimizer).map((lr) => lr * decay);
  }

  override getClosedFormLr(): number[] {
    const e = Math.min(this.totalIters, this.lastEpoch);
    return this.baseLrs.map((base) => base * pyPow(1.0 - e / this.totalIters, this.power));
  }

  protected override ownFields(): [string, string][] {
    return [
      ['total_iters', 'totalIters'],
      ['power', 'power'],
    ];
  }
}

export interface MultiplicativeLROptions extends LRSchedulerOptions {
  /** each step multiplies the lr by lrLambda(epoch); one function, or one per param group */
  lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[];
}

/** lr = the previous lr times a function of the epoch. */
export class MultiplicativeLR extends LrLambdaScheduler {
  constructor(optimizer: AnyOptimizer, options: MultiplicativeLROptions) {
    super(optimizer, options, 'MultiplicativeLR');
  }

  getLr(): number[] {
    if (this._isInitial) return lrsOf(this.optimizer);
    return lrsOf(this.optimizer).map((lr, i) => lr * (this.lrLambdas[i] as (e: number) => number)(this.lastEpoch));
  }
}

export interface CyclicLROptions extends LRSchedulerOptions {
  /** the lower lr of the cycle (one value, or one per group); it replaces each group's lr */
  baseLr: number | number[];
  /** the upper lr of the cycle */
  maxLr: number | number[];
  /** steps rising (default 2000) and falling (default: as many) */
  stepSizeUp?: number;
  stepSizeDown?: number | null;
  /** the amplitude's change per cycle: constant, halved each cycle, or gamma ** iteration */
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  gamma?: number;
  /** a custom amplitude scale (replaces mode), of the cycle number or of the iteration */
  scaleFn?: ((x: number) => number) | null;
  scaleMode?: 'cycle' | 'iterations';
  /** cycle the momentum (or Adam's beta1) inversely to the lr, between these (default true, 0.8, 0.9) */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
}

/** The lr cycles between baseLr and maxLr (Smith's cyclical learning rates), as PyTorch's CyclicLR. */
export class CyclicLR extends LRScheduler {
  maxLrs: number[];
  totalSize: number;
  stepRatio: number;
  mode: string;
  gamma: number;
  scaleMode: 'cycle' | 'iterations';
  cycleMomentum: boolean;
  useBeta1 = false;
  baseMomentums: number[] = [];
  maxMomentums: number[] = [];
  private readonly scaleFnCustom: ((x: number) => number) | null;

  constructor(optimizer: AnyOptimizer, options: CyclicLROptions) {
    super(optimizer);
    const name = 'CyclicLR';
    checkOptionNames(name, options, [
      'baseLr',
      'maxLr',
      'stepSizeUp',
      'stepSizeDown',
      'mode',
      'gamma',
      'scaleFn',
      'scaleMode',
      'cycleMomentum',
      'baseMomentum',
      'maxMomentum',
      'lastEpoch',
    ]);
    if (options?.baseLr === undefined || options.maxLr === undefined) {
      throw new TypeError(`${name}: the options baseLr and maxLr are required`);
    }
    const lastEpoch = options.lastEpoch ?? -1;
    const baseLrs = perGroup(name, 'baseLr', optimizer, options.baseLr);
    const groups = groupsOf(optimizer);
    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.lr = baseLrs[i] as number;
      });
    }
    this.maxLrs = perGroup(name, 'maxLr', optimizer, options.maxLr);
    const up = optionalNumber(name, options, 'stepSizeUp', 2000);
    const down = options.stepSizeDown == null ? up : optionalNumber(name, options, 'stepSizeDown', up);
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.mode = options.mode ?? 'triangular';
    this.scaleFnCustom = options.scaleFn ?? null;
    if (!['triangular', 'triangular2', 'exp_range'].includes(this.mode) && this.scaleFnCustom === null) {
      throw new Error(`${name}: mode is invalid and scaleFn is null`);
    }
    this.gamma = optionalNumber(name, options, 'gamma', 1.0);
    this.scaleMode = options.scaleMode ?? 'cycle';
    this.initScaleMode();
    this.cycleMomentum = options.cycleMomentum ?? true;
    if (this.cycleMomentum) {
      if (!('momentum' in optimizer.defaults) && !('betas' in optimizer.defaults)) {
        throw new Error(`${name}: optimizer must support momentum or beta1 with the cycleMomentum option enabled`);
      }
      this.useBeta1 = 'betas' in optimizer.defaults;
      this.baseMomentums = perGroup(name, 'baseMomentum', optimizer, options.baseMomentum ?? 0.8);
      this.maxMomentums = perGroup(name, 'maxMomentum', optimizer, options.maxMomentum ?? 0.9);
      if (lastEpoch === -1) {
        groups.forEach((g, i) => {
          const m = this.maxMomentums[i] as number;
          setMomentum(g, this.useBeta1, m);
          g.maxMomentum = m;
          g.baseMomentum = this.baseMomentums[i];
        });
      }
    }
    this._init(lastEpoch);
    this.baseLrs = baseLrs;
  }

  /** The built-in modes fix the scale mode (a custom scaleFn keeps the one given). */
  private initScaleMode(): void {
    if (this.scaleFnCustom !== null) return;
    this.scaleMode = this.mode === 'exp_range' ? 'iterations' : 'cycle';
  }

  scaleFn(x: number): number {
    if (this.scaleFnCustom !== null) return this.scaleFnCustom(x);
    if (this.mode === 'triangular') return 1.0;
    if (this.mode === 'triangular2') return 1 / pyPow(2.0, x - 1);
    return pyPow(this.gamma, x);
  }

  getLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1.0 + this.lastEpoch / this.totalSize - cycle;
    const scaleFactor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const at = this.scaleMode === 'cycle' ? cycle : this.lastEpoch;
    const lrs = this.baseLrs.map(
      (base, i) => base + ((this.maxLrs[i] as number) - base) * scaleFactor * this.scaleFn(at),
    );
    if (this.cycleMomentum) {
      groupsOf(this.optimizer).forEach((g, i) => {
        const maxM = this.maxMomentums[i] as number;
        const momentum = maxM - (maxM - (this.baseMomentums[i] as number)) * scaleFactor * this.scaleFn(at);
        setMomentum(g, this.useBeta1, momentum);
      });
    }
    return lrs;
  }

  protected override ownFields(): [string, string][] {
    return [
      ['max_lrs', 'maxLrs'],
      ['total_size', 'totalSize'],
      ['step_ratio', 'stepRatio'],
      ['mode', 'mode'],
      ['gamma', 'gamma'],
      ['scale_mode', 'scaleMode'],
      ['cycle_momentum', 'cycleMomentum'],
      ...(this.cycleMomentum
        ? ([
            ['use_beta1', 'useBeta1'],
            ['base_momentums', 'baseMomentums'],
            ['max_momentums', 'maxMomentums'],
          ] as [string, string][])
        : []),
    ];
  }

  override stateFields(): [string, string][] {
    return [...super.stateFields(), ['_scale_fn_custom', 'scaleFnCustom']];
  }

  protected override exportField(ts: string, value: unknown): unknown {
    // PyTorch saves None for a plain function (and a callable object's attributes otherwise).
    return ts === 'scaleFnCustom' ? null : copy(value);
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    const { _scale_fn_custom: _, ...rest } = stateDict;
    super.loadStateDict(rest);
    this.initScaleMode();
  }
}

export interface SequentialLROptions extends LRSchedulerOptions {
  /** the schedules, one after the other */
  schedulers: LRScheduler[];
  /** the epochs at which the next schedule takes over (one fewer than schedulers) */
  milestones: number[];
}

/**
 * What SequentialLR and ChainedScheduler share: schedules of one optimizer, checked as PyTorch
 * checks them, saved under `_schedulers` in their own state dicts.
 */
abstract class SchedulerOfSchedulers extends LRScheduler {
  /** @internal */
  _schedulers: LRScheduler[];

  constructor(name: string, optimizer: AnyOptimizer, schedulers: unknown) {
    // The list first: an empty one leaves no optimizer to check.
    if (!Array.isArray(schedulers) || schedulers.length < 1) {
      throw new Error(`${name}: expects at least one scheduler, but got none`);
    }
    super(optimizer);
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw new TypeError(`${name}: schedulers[${i}] is not an LRScheduler`);
      if (s instanceof ReduceLROnPlateau) {
        throw new Error(
          `${name}: does not support ReduceLROnPlateau (its step needs a metric), but schedulers[${i}] is one`,
        );
      }
      if (s.optimizer !== optimizer) {
        throw new Error(
          `${name}: expects all schedulers to belong to the same optimizer, but schedulers[${i}] (${s.constructor.name}) has another one`,
        );
      }
    });
    this._schedulers = [...(schedulers as LRScheduler[])];
  }

  getLr(): number[] {
    throw new Error(`${this.constructor.name}: it has no lr of its own; use getLastLr()`);
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), _schedulers: this._schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    const { _schedulers: subs, ...rest } = stateDict;
    super.loadStateDict(rest);
    if (Array.isArray(subs)) {
      subs.forEach((sd, i) => {
        this._schedulers[i]?.loadStateDict(sd as SchedulerStateDict);
      });
    }
  }
}

/** Runs schedules one after another, switching at the milestones. */
export class SequentialLR extends SchedulerOfSchedulers {
  /** @internal */
  _milestones: number[];

  constructor(optimizer: AnyOptimizer, options: SequentialLROptions) {
    checkOptionNames('SequentialLR', options, ['schedulers', 'milestones', 'lastEpoch']);
    super('SequentialLR', optimizer, options?.schedulers);
    const name = 'SequentialLR';
    const schedulers = this._schedulers;
    const milestones = options?.milestones;
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new Error(
        `${name}: expects one milestone fewer than schedulers, got ${schedulers.length} schedulers and ${
          Array.isArray(milestones) ? milestones.length : 'no'
        } milestones`,
      );
    }
    this._milestones = [...milestones];
    this.lastEpoch = (options.lastEpoch ?? -1) + 1;
    groupsOf(optimizer).forEach((g, i) => {
      if (g.initialLr === undefined) throw new Error(`${name}: paramGroups[${i}] has no initialLr`);
      g.lr = g.initialLr;
    });
    this.recursiveUndo();
    const idx = bisectRight(this._milestones, 0);
    const first = this._schedulers[idx] as LRScheduler;
    first._initialStep();
    this._lastLr = first.getLastLr();
  }

  /** Undoes the first step that each schedule took when it was made. */
  private recursiveUndo(sched?: LRScheduler): void {
    const s = sched ?? this;
    if (s instanceof SequentialLR) {
      for (const child of s._schedulers) this.recursiveUndo(child);
    } else {
      s.lastEpoch -= 1;
    }
  }

  override step(): void {
    this.lastEpoch += 1;
    const idx = bisectRight(this._milestones, this.lastEpoch);
    const scheduler = this._schedulers[idx] as LRScheduler;
    if (idx > 0 && this._milestones[idx - 1] === this.lastEpoch) scheduler._updateLr(0);
    else scheduler.step();
    this._lastLr = scheduler.getLastLr();
  }

  override stateFields(): [string, string][] {
    return [
      ['_milestones', '_milestones'],
      ['last_epoch', 'lastEpoch'],
      ['_last_lr', '_lastLr'],
    ];
  }
}

export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should fall (a loss); 'max': rise (an accuracy). Default 'min'. */
  mode?: 'min' | 'max';
  /** new lr = lr * factor (default 0.1; must be < 1) */
  factor?: number;
  /** steps without improvement tolerated before the lr falls (default 10) */
  patience?: number;
  /** what counts as an improvement (default 1e-4), relative to the best ('rel') or absolute ('abs') */
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  /** steps to wait after a reduction before counting again (default 0) */
  cooldown?: number;
  /** the lowest lr, one for all groups or one per group (default 0) */
  minLr?: number | number[];
  /** a reduction smaller than this is skipped (default 1e-8) */
  eps?: number;
}

/**
 * Lowers the lr of every group by `factor` once a metric has not improved for `patience` steps,
 * following torch/optim/lr_scheduler.py's ReduceLROnPlateau: `step(metric)` after each
 * evaluation. It does not set an lr when made and has no schedule of its own (getLr gives the
 * current lrs); its state dict has PyTorch's keys.
 */
export class ReduceLROnPlateau extends LRScheduler {
  readonly factor: number;
  /** The minLr given for all groups (null where one per group was given). */
  defaultMinLr: number | null;
  minLrs: number[];
  patience: number;
  cooldown: number;
  eps: number;
  mode: 'min' | 'max' = 'min';
  threshold = 1e-4;
  thresholdMode: 'rel' | 'abs' = 'rel';
  /** The worst value of the metric (Infinity for 'min'), where `best` starts. */
  modeWorse = Number.POSITIVE_INFINITY;
  best = Number.POSITIVE_INFINITY;
  cooldownCounter = 0;
  numBadEpochs = 0;

  constructor(optimizer: AnyOptimizer, options?: ReduceLROnPlateauOptions) {
    super(optimizer);
    const name = 'ReduceLROnPlateau';
    checkOptionNames(name, options, [
      'mode',
      'factor',
      'patience',
      'threshold',
      'thresholdMode',
      'cooldown',
      'minLr',
      'eps',
    ]);
    this.factor = options?.factor ?? 0.1;
    if (!(this.factor < 1.0)) throw new Error(`${name}: factor should be < 1.0, got ${this.factor}`);
    const minLr = options?.minLr ?? 0;
    const n = optimizer.paramGroups.length;
    if (Array.isArray(minLr)) {
      if (minLr.length !== n) throw new Error(`${name}: expected ${n} minLr values, got ${minLr.length}`);
      this.defaultMinLr = null;
      this.minLrs = [...minLr];
    } else {
      this.defaultMinLr = minLr;
      this.minLrs = new Array<number>(n).fill(minLr);
    }
    this.patience = options?.patience ?? 10;
    this.cooldown = options?.cooldown ?? 0;
    this.eps = options?.eps ?? 1e-8;
    this.lastEpoch = 0;
    this._lastLr = lrsOf(this.optimizer);
    this.initIsBetter(options?.mode ?? 'min', options?.threshold ?? 1e-4, options?.thresholdMode ?? 'rel');
    this.best = this.modeWorse;
    this.cooldownCounter = 0;
    this.numBadEpochs = 0;
  }

  private initIsBetter(mode: string, threshold: number, thresholdMode: string): void {
    if (mode !== 'min' && mode !== 'max') throw new Error(`ReduceLROnPlateau: mode ${mode} is unknown!`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') {
      throw new Error(`ReduceLROnPlateau: threshold mode ${thresholdMode} is unknown!`);
    }
    this.modeWorse = mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    this.mode = mode;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  private isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1.0 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.thresholdMode === 'rel') return a > best * (this.threshold + 1.0);
    return a > best + this.threshold;
  }

  /** The current lrs: this scheduler has no schedule to compute. */
  getLr(): number[] {
    return lrsOf(this.optimizer);
  }

  /** Takes the metric of one evaluation (a number, or a 1-element tensor) and lowers the lrs where it has stopped improving. */
  // `unknown` where the metric is (a number or a 1-element tensor): the base class's step takes options there.
  override step(metrics?: unknown, options?: { epoch?: number }): void {
    let current: number;
    const m = metrics as { item?: unknown } | null | undefined;
    if (typeof metrics === 'number') current = metrics;
    else if (m !== null && typeof m === 'object' && typeof m.item === 'function') {
      current = Number((m as { item(): unknown }).item());
    } else {
      throw new TypeError(
        `ReduceLROnPlateau.step: expected the metric (a number or a 1-element tensor), got ${String(metrics)}`,
      );
    }
    const epoch = options?.epoch ?? this.lastEpoch + 1;
    if (options?.epoch !== undefined && !warnedEpoch) {
      warnedEpoch = true;
      process.emitWarning(EPOCH_DEPRECATION_WARNING, 'UserWarning');
    }
    this.lastEpoch = epoch;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs in the cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this._lastLr = lrsOf(this.optimizer);
  }

  private reduceLr(): void {
    const groups = groupsOf(this.optimizer);
    if (groups.length !== this.minLrs.length) {
      if (this.defaultMinLr === null) {
        throw new Error(
          `ReduceLROnPlateau: the optimizer has ${groups.length} param groups, but minLr had ${this.minLrs.length} values when it was made (a group was added): set minLrs to match`,
        );
      }
      this.minLrs = new Array<number>(groups.length).fill(this.defaultMinLr);
    }
    groups.forEach((g, i) => {
      const oldLr = g.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i] as number);
      if (oldLr - newLr > this.eps) g.lr = newLr;
    });
  }

  override stateFields(): [string, string][] {
    return [
      ['factor', 'factor'],
      ['default_min_lr', 'defaultMinLr'],
      ['min_lrs', 'minLrs'],
      ['patience', 'patience'],
      ['cooldown', 'cooldown'],
      ['eps', 'eps'],
      ['last_epoch', 'lastEpoch'],
      ['_last_lr', '_lastLr'],
      ['mode_worse', 'modeWorse'],
      ['mode', 'mode'],
      ['threshold', 'threshold'],
      ['threshold_mode', 'thresholdMode'],
      ['best', 'best'],
      ['cooldown_counter', 'cooldownCounter'],
      ['num_bad_epochs', 'numBadEpochs'],
    ];
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    super.loadStateDict(stateDict);
    this.initIsBetter(this.mode, this.threshold, this.thresholdMode);
  }
}

export interface CosineAnnealingWarmRestartsOptions extends LRSchedulerOptions {
  /** steps until the first restart (a positive integer) */
  T0: number;
  /** each period is TMult times the previous one (an integer >= 1; default 1) */
  TMult?: number;
  /** the lowest lr (default 0) */
  etaMin?: number;
}

/**
 * Cosine annealing from the initial lr to etaMin over T0 steps, then again from the initial lr
 * over TMult times as many, and so on (SGDR). step({epoch}) takes a fractional epoch (epoch +
 * batch / batches), as PyTorch's does, without a deprecation warning.
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  T0: number;
  /** The current period, and the steps (or fractional epochs) into it. */
  Ti: number;
  TMult: number;
  etaMin: number;
  TCur: number;

  constructor(optimizer: AnyOptimizer, options: CosineAnnealingWarmRestartsOptions) {
    super(optimizer);
    const name = 'CosineAnnealingWarmRestarts';
    checkOptionNames(name, options, ['T0', 'TMult', 'etaMin', 'lastEpoch']);
    const T0 = options?.T0;
    if (!Number.isInteger(T0) || T0 <= 0) throw new Error(`${name}: expected a positive integer T0, got ${String(T0)}`);
    const TMult = options.TMult ?? 1;
    if (!Number.isInteger(TMult) || TMult < 1)
      throw new Error(`${name}: expected an integer TMult >= 1, got ${String(TMult)}`);
    const etaMin = options.etaMin ?? 0.0;
    if (typeof etaMin !== 'number') throw new TypeError(`${name}: expected a number etaMin, got ${String(etaMin)}`);
    this.T0 = T0;
    this.Ti = T0;
    this.TMult = TMult;
    this.etaMin = etaMin;
    this.TCur = options.lastEpoch ?? -1;
    this._init(options.lastEpoch);
  }

  getLr(): number[] {
    return this.baseLrs.map(
      (base) => this.etaMin + ((base - this.etaMin) * (1 + pyCos((Math.PI * this.TCur) / this.Ti))) / 2,
    );
  }

  override step(options?: { epoch?: number }): void {
    let epoch = options?.epoch;
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.TCur += 1;
      if (this.TCur >= this.Ti) {
        this.TCur %= this.Ti;
        this.Ti *= this.TMult;
      }
    } else if (epoch < 0) {
      throw new Error(`CosineAnnealingWarmRestarts: expected a non-negative epoch, got ${epoch}`);
    } else if (epoch >= this.T0) {
      if (this.TMult === 1) {
        this.TCur = epoch % this.T0;
      } else {
        // The period the epoch falls in: Python's int(math.log(x, TMult)).
        const n = Math.trunc(Math.log((epoch / this.T0) * (this.TMult - 1) + 1) / Math.log(this.TMult));
        this.TCur = epoch - (this.T0 * (this.TMult ** n - 1)) / (this.TMult - 1);
        this.Ti = this.T0 * this.TMult ** n;
      }
    } else {
      this.Ti = this.T0;
      this.TCur = epoch;
    }
    this.lastEpoch = Math.floor(epoch);
    this._getLrCalledWithinStep = true;
    let values: number[];
    try {
      values = this.getLr();
    } finally {
      this._getLrCalledWithinStep = false;
    }
    groupsOf(this.optimizer).forEach((g, i) => {
      g.lr = values[i] as number;
    });
    this._lastLr = lrsOf(this.optimizer);
  }

  protected override ownFields(): [string, string][] {
    return [
      ['T_0', 'T0'],
      ['T_i', 'Ti'],
      ['T_mult', 'TMult'],
      ['eta_min', 'etaMin'],
      ['T_cur', 'TCur'],
    ];
  }
}

/** Steps several schedules of one optimizer together, each multiplying in its change (PyTorch's ChainedScheduler). */
export class ChainedScheduler extends SchedulerOfSchedulers {
  constructor(schedulers: LRScheduler[], optimizer?: AnyOptimizer) {
    const first = Array.isArray(schedulers) ? (schedulers[0] as LRScheduler | undefined) : undefined;
    super('ChainedScheduler', optimizer ?? (first?.optimizer as AnyOptimizer), schedulers);
    this._lastLr = lrsOf(this.optimizer);
  }

  override step(): void {
    for (const s of this._schedulers) s.step();
    this._lastLr = lrsOf(this.optimizer);
  }

  override stateFields(): [string, string][] {
    return [['_last_lr', '_lastLr']];
  }
}
