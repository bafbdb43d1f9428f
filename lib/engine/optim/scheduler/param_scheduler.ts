// MMEngine's parameter schedulers (mmengine/optim/scheduler/param_scheduler.py): schedules of any
// option of an optimizer's param groups (`lr`, `momentum`, `weightDecay`, ...), each active in a
// window [begin, end) of steps, which are epochs (byEpoch, the default) or iterations.
//
//   new LinearParamScheduler(optimWrapper, {paramName: 'lr', startFactor: 0.1, begin: 0, end: 500, byEpoch: false})
//
// A scheduler counts every step() (its `_globalStep`, 0 after construction) and changes the
// parameter only while begin <= _globalStep < end; `lastStep` counts the steps taken inside
// the window. The updates are MMEngine's chainable forms: each multiplies or moves the value
// the param group holds now, so schedulers on the same parameter compose (a warm-up, then a
// decay; or both at once). The first step is taken by the constructor, as in MMEngine.
//
// The values are Python's to the bit: `**` and math.cos are the C library's (pyPow, pyCos) and
// the expressions keep Python's order. State dicts use MMEngine's attribute names (the
// scheduler's __dict__ without the optimizer), so a checkpoint's `param_schedulers` maps onto
// MMEngine's.
import { Optimizer, toCamel, toSnake } from '../../../torch/optim/optimizer.js';
import { pyCos, pyPow } from '../../../torch/optim/pymath.js';
import { getLogger } from '../../logging/logger.js';
import { formatE4 } from './format.js';

/** MMEngine's INF: the default `end`, a step no schedule reaches (int(1e9)). */
export const INF = 1e9;

/**
 * What a scheduler writes to: an optimizer, or a wrapper that shows groups of its own (the
 * engine's OptimWrapper, whose pseudo-group of base settings, with several parameter groups, is
 * scheduled with the others, as MMEngine's).
 */
export type SchedulableOptimizer =
  // biome-ignore lint/suspicious/noExplicitAny: any optimizer, whatever its group and state types
  | Optimizer<any, any>
  | {
      // biome-ignore lint/suspicious/noExplicitAny: any optimizer, whatever its group and state types
      readonly optimizer: Optimizer<any, any>;
      readonly paramGroups: readonly Record<string, unknown>[];
      readonly defaults: Record<string, unknown>;
      readonly baseParamSettings?: unknown;
    };

type Group = Record<string, unknown>;

const isSchedulable = (x: unknown): x is SchedulableOptimizer =>
  x instanceof Optimizer ||
  (typeof x === 'object' &&
    x !== null &&
    (x as { optimizer?: unknown }).optimizer instanceof Optimizer &&
    Array.isArray((x as { paramGroups?: unknown }).paramGroups));

/** The options every scheduler takes. */
export interface ParamSchedulerOptions {
  /** The first step at which the parameter is changed (default 0). */
  begin?: number;
  /** The step at which changing stops (default INF; the Runner's default is the training's length). */
  end?: number;
  /** The index of the last step, to resume without a state dict (default -1: a new schedule). */
  lastStep?: number;
  /** Whether a step is an epoch (default true) or an iteration. */
  byEpoch?: boolean;
  /**
   * Log every value the scheduler sets, at 'info' through the engine's logger, as MMEngine's
   * print_value: 'Adjusting parameter value of group 0 to 1.0000e-01.' (LR schedulers too;
   * PyTorch's own, before it dropped verbose, said 'Adjusting learning rate of group ...').
   */
  verbose?: boolean;
}

/** The generic schedulers name the parameter they schedule. */
export interface ParamNameOption {
  /** The param group option to schedule: 'lr', 'momentum', 'weightDecay', ... */
  paramName: string;
}

export type SchedulerStateDict = Record<string, unknown>;

/** MMEngine's `build_iter_from_epoch` options: an epoch-based config and the number of iterations per epoch. */
export type IterFromEpochOptions<O> = O & { epochLength: number };

const COMMON_OPTIONS = ['begin', 'end', 'lastStep', 'byEpoch', 'verbose'] as const;

function checkOptions(name: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') throw new TypeError(`${name}: options must be an object`);
  const all = [...known, ...COMMON_OPTIONS];
  for (const key of Object.keys(options)) {
    if (!all.includes(key)) {
      const camel = toCamel(key);
      throw new TypeError(
        `${name}: unknown option '${key}'${all.includes(camel) ? `; options are camelCase: '${camel}'` : ''} (known: ${all.join(', ')})`,
      );
    }
  }
}

function numberOption(name: string, options: object | undefined, key: string, fallback?: number): number {
  const v = (options as Record<string, unknown> | undefined)?.[key];
  if (v === undefined || v === null) {
    if (fallback === undefined) throw new TypeError(`${name}: the option ${key} is required`);
    return fallback;
  }
  if (typeof v !== 'number' || Number.isNaN(v))
    throw new TypeError(`${name}: ${key} must be a number, got ${String(v)}`);
  return v;
}

function integerOption(name: string, options: object | undefined, key: string, fallback?: number): number {
  const v = numberOption(name, options, key, fallback);
  if (!Number.isInteger(v)) throw new TypeError(`${name}: ${key} must be an integer, got ${v}`);
  return v;
}

function optionalNumber(name: string, options: object | undefined, key: string): number | null {
  const v = (options as Record<string, unknown> | undefined)?.[key];
  if (v === undefined || v === null) return null;
  return numberOption(name, options, key);
}

/** Python's `a % b` (the result takes the divisor's sign). */
const pyMod = (a: number, b: number): number => ((a % b) + b) % b;

const copy = <T>(v: T): T =>
  Array.isArray(v)
    ? (v.map(copy) as T)
    : v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype
      ? (Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)])) as T)
      : v;

/**
 * The base of the parameter schedulers. A subclass sets its own fields after super(), then
 * calls `this.initialize(lastStep)` (MMEngine's _ParamScheduler.__init__, which records the
 * initial values and takes the first step), and implements getValue(), the chainable form.
 */
export abstract class ParamScheduler {
  /** Set by the Momentum variants: schedule `momentum`, which for Adam-like optimizers is beta1. */
  static readonly schedulesMomentum: boolean = false;
  /**
   * How build_iter_from_epoch converts this family's epoch options into iterations: the
   * options (numbers, or arrays of numbers) multiplied by the epoch length, besides begin and end.
   * @internal
   */
  static readonly epochScaled: readonly string[] = [];

  readonly optimizer: SchedulableOptimizer;
  /** The scheduled option, as the param groups name it (camelCase). */
  paramName: string;
  begin: number;
  end: number;
  byEpoch: boolean;
  verbose: boolean;
  /** The values the schedule starts from: each group's `initial<ParamName>`. */
  baseValues: number[] = [];
  /** Steps taken inside [begin, end), minus one: 0 after the first. */
  lastStep = -1;
  /** @internal Every step() call, minus one: 0 after construction. */
  _globalStep = -1;
  /** @internal */
  _lastValue: number[] = [];
  /** Momentum variants on an optimizer with `betas`: the scheduled momentum is beta1 (else null). */
  useBetas: boolean | null = null;
  /** Whether the scheduler steps with the validation metrics (ReduceOnPlateau). */
  readonly needValArgs: boolean = false;

  protected constructor(optimizer: SchedulableOptimizer, paramName: string, options: ParamSchedulerOptions) {
    const name = new.target.name;
    if (!isSchedulable(optimizer)) {
      throw new TypeError(
        `${name}: the first argument must be an Optimizer or an OptimWrapper, got ${describe(optimizer)}` +
          (isWrapperDict(optimizer)
            ? ' (an OptimWrapperDict: schedule each of its wrappers, or give buildParamSchedulers a config per optimizer name)'
            : ''),
      );
    }
    this.optimizer = optimizer;
    if (typeof paramName !== 'string' || paramName === '') {
      throw new TypeError(`${name}: paramName must be the name of a param group option ('lr', 'momentum', ...)`);
    }
    if ((new.target as typeof ParamScheduler).schedulesMomentum) {
      // MMEngine's MomentumSchedulerMixin: SGD-like optimizers have `momentum`; Adam-like ones
      // have `betas`, whose beta1 is copied into `momentum` to be scheduled, and back after each step.
      const defaults = this.optimizer.defaults;
      if ('momentum' in defaults) {
        this.useBetas = false;
      } else if ('betas' in defaults) {
        this.useBetas = true;
        for (const g of this.groups) g.momentum = (g.betas as number[])[0];
      } else {
        throw new Error(`${name}: the optimizer must support momentum (a momentum or betas option) to schedule it`);
      }
    }
    this.paramName = toCamel(paramName);
    const begin = integerOption(name, options, 'begin', 0);
    const end = numberOption(name, options, 'end', INF);
    if (end <= begin) throw new Error(`${name}: end should be larger than begin, but got begin=${begin}, end=${end}`);
    this.begin = begin;
    this.end = end;
    this.byEpoch = options?.byEpoch ?? true;
    this.verbose = options?.verbose ?? false;
  }

  /** The param groups the scheduler writes: the optimizer's, or the wrapper's. */
  protected get groups(): Group[] {
    return this.optimizer.paramGroups as unknown as Group[];
  }

  /** The group key of the value a schedule starts from: `initialLr` for 'lr'. */
  protected get initialKey(): string {
    return toCamel(`initial_${toSnake(this.paramName)}`);
  }

  /** MMEngine's _ParamScheduler.__init__ after the subclass's fields: initial values, then the first step. */
  protected initialize(lastStep = -1): void {
    const name = this.constructor.name;
    if (!Number.isInteger(lastStep) || lastStep < -1) {
      throw new Error(`${name}: lastStep must be an integer >= -1, got ${lastStep}`);
    }
    const key = this.initialKey;
    const groups = this.groups;
    groups.forEach((g, i) => {
      if (!(this.paramName in g)) {
        throw new Error(`${name}: param group ${i} has no '${this.paramName}' to schedule`);
      }
    });
    if (lastStep === -1) {
      // A value never scheduled before starts from the group's current one.
      for (const g of groups) if (!(key in g)) g[key] = g[this.paramName];
    } else {
      groups.forEach((g, i) => {
        if (!(key in g)) {
          throw new Error(
            `${name}: param group ${i} has no '${key}', which resuming with lastStep >= 0 needs; ` +
              'load the optimizer state saved with the schedule first, or use lastStep -1 for a new one',
          );
        }
      });
    }
    this.baseValues = groups.map((g) => g[key] as number);
    this.lastStep = lastStep;
    this._globalStep = -1;
    this.step();
  }

  /** The values the last step left in the param groups, one per group. */
  getLastValue(): number[] {
    return [...this._lastValue];
  }

  /** The next values in the chainable form, from the groups' current ones. Meant for step(). */
  protected abstract getValue(): number[];

  /** Advances the schedule by one step (epoch or iteration) and writes the new values inside the window. */
  step(): void {
    this._globalStep += 1;
    if (this.begin <= this._globalStep && this._globalStep < this.end) {
      this.lastStep += 1;
      const values = this.getValue();
      this.groups.forEach((g, i) => {
        if (i >= values.length) return;
        g[this.paramName] = values[i];
        this.printValue(i, values[i] as number);
      });
    }
    this._lastValue = this.groups.map((g) => g[this.paramName] as number);
    this.syncBetas();
  }

  /** Momentum variants on Adam-like optimizers: beta1 follows the scheduled momentum. */
  protected syncBetas(): void {
    if (!this.useBetas) return;
    for (const g of this.groups) {
      const betas = g.betas as number[];
      g.betas = [g.momentum as number, ...betas.slice(1)];
    }
  }

  protected printValue(group: number, value: number): void {
    if (this.verbose) getLogger().info(`Adjusting parameter value of group ${group} to ${formatE4(value)}.`);
  }

  /** [MMEngine's attribute name, this object's property] of the family's own settings, in MMEngine's order. */
  protected ownFields(): [string, string][] {
    return [];
  }

  /** @internal The fields a state dict holds, in the order of MMEngine's __dict__. */
  stateFields(): [string, string][] {
    return [
      ...(this.useBetas === null ? [] : [['use_betas', 'useBetas'] as [string, string]]),
      ...this.ownFields(),
      ['param_name', 'paramName'],
      ['begin', 'begin'],
      ['end', 'end'],
      ['by_epoch', 'byEpoch'],
      ['base_values', 'baseValues'],
      ['last_step', 'lastStep'],
      ['_global_step', '_globalStep'],
      ['verbose', 'verbose'],
      ['_last_value', '_lastValue'],
    ];
  }

  /** The scheduler's state with MMEngine's keys: everything but the optimizer. */
  stateDict(): SchedulerStateDict {
    const self = this as unknown as Record<string, unknown>;
    const out: SchedulerStateDict = {};
    for (const [py, ts] of this.stateFields()) out[py] = this.exportField(ts, self[ts]);
    return out;
  }

  /** Restores a state dict from stateDict() (or MMEngine's state_dict(): the same keys). */
  loadStateDict(stateDict: SchedulerStateDict): void {
    if (stateDict === null || typeof stateDict !== 'object' || Array.isArray(stateDict)) {
      throw new TypeError(`${this.constructor.name}.loadStateDict: expected an object, as stateDict() returns`);
    }
    const self = this as unknown as Record<string, unknown>;
    for (const [py, ts] of this.stateFields()) {
      if (py in stateDict) self[ts] = this.importField(ts, stateDict[py]);
    }
  }

  protected exportField(ts: string, value: unknown): unknown {
    return ts === 'paramName' ? toSnake(value as string) : copy(value);
  }

  protected importField(ts: string, value: unknown): unknown {
    return ts === 'paramName' ? toCamel(value as string) : copy(value);
  }

  /**
   * MMEngine's build_iter_from_epoch: this scheduler from an epoch-based config, made
   * iteration-based: begin, end (unless INF) and the family's periods times `epochLength`.
   */
  static buildIterFromEpoch<T extends ParamScheduler, O extends ParamSchedulerOptions>(
    this: (new (
      optimizer: SchedulableOptimizer,
      options: O,
    ) => T) & { readonly epochScaled: readonly string[]; name: string },
    optimizer: SchedulableOptimizer,
    options: IterFromEpochOptions<O>,
  ): T {
    const { epochLength, ...rest } = options as IterFromEpochOptions<O> & Record<string, unknown>;
    // `this` is the class being built (a subclass): its name, its epochScaled, its constructor.
    // biome-ignore lint/complexity/noThisInStatic: the subclass, not ParamScheduler
    const name = this.name;
    if ((rest.byEpoch ?? true) !== true) {
      throw new Error(`${name}: only an epoch-based config (byEpoch true) can be converted to iteration-based`);
    }
    if (!Number.isInteger(epochLength) || epochLength <= 0) {
      throw new Error(`${name}: epochLength must be a positive integer, but got ${String(epochLength)}`);
    }
    const converted: Record<string, unknown> = { ...rest, byEpoch: false };
    // biome-ignore lint/complexity/noThisInStatic: the subclass's periods
    for (const key of this.epochScaled) {
      const v = rest[key];
      if (v === undefined || v === null) continue;
      converted[key] = Array.isArray(v) ? v.map((x) => (x as number) * epochLength) : (v as number) * epochLength;
    }
    converted.begin = Math.trunc(((rest.begin as number | undefined) ?? 0) * epochLength);
    const end = (rest.end as number | undefined) ?? INF;
    if (end !== INF) converted.end = Math.trunc(end * epochLength);
    return new this(optimizer, converted as O);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return `an object of class ${(v as object).constructor?.name ?? '(anonymous)'}`;
  return `${typeof v} ${String(v)}`;
}

const isWrapperDict = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && (v as { optimWrappers?: unknown }).optimWrappers instanceof Map;

// ---- the families

export interface StepParamSchedulerOptions extends ParamSchedulerOptions {
  /** The period of the decay, in steps. */
  stepSize: number;
  /** Default 0.1. */
  gamma?: number;
}

/** The value times gamma every stepSize steps. */
export class StepParamScheduler extends ParamScheduler {
  static override readonly epochScaled = ['stepSize'];
  stepSize: number;
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: StepParamSchedulerOptions & ParamNameOption) {
    const name = new.target.name;
    checkOptions(name, options, ['paramName', 'stepSize', 'gamma']);
    super(optimizer, options?.paramName, options);
    this.stepSize = integerOption(name, options, 'stepSize');
    if (this.stepSize < 1) throw new Error(`${name}: stepSize must be a positive integer, got ${this.stepSize}`);
    this.gamma = numberOption(name, options, 'gamma', 0.1);
    this.initialize(options.lastStep);
  }

  protected getValue(): number[] {
    const values = this.groups.map((g) => g[this.paramName] as number);
    if (this.lastStep === 0 || this.lastStep % this.stepSize !== 0) return values;
    return values.map((v) => v * this.gamma);
  }

  protected override ownFields(): [string, string][] {
    return [
      ['step_size', 'stepSize'],
      ['gamma', 'gamma'],
    ];
  }
}

export interface MultiStepParamSchedulerOptions extends ParamSchedulerOptions {
  /** The steps at which the value is multiplied by gamma (a repeated one counts twice). */
  milestones: number[];
  /** Default 0.1. */
  gamma?: number;
}

/** The value times gamma at each milestone. */
export class MultiStepParamScheduler extends ParamScheduler {
  static override readonly epochScaled = ['milestones'];
  /** milestone -> how many times it was given (MMEngine's Counter) */
  milestones: Map<number, number>;
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: MultiStepParamSchedulerOptions & ParamNameOption) {
    const name = new.target.name;
    checkOptions(name, options, ['paramName', 'milestones', 'gamma']);
    super(optimizer, options?.paramName, options);
    const m = options.milestones;
    if (!Array.isArray(m)) throw new TypeError(`${name}: the option milestones is required: an array of steps`);
    this.milestones = new Map();
    for (const e of m) {
      if (!Number.isInteger(e)) throw new TypeError(`${name}: milestones must be integers, got ${e}`);
      this.milestones.set(e, (this.milestones.get(e) ?? 0) + 1);
    }
    this.gamma = numberOption(name, options, 'gamma', 0.1);
    this.initialize(options.lastStep);
  }

  protected getValue(): number[] {
    const values = this.groups.map((g) => g[this.paramName] as number);
    const count = this.milestones.get(this.lastStep);
    if (count === undefined) return values;
    return values.map((v) => v * pyPow(this.gamma, count));
  }

  protected override ownFields(): [string, string][] {
    return [
      ['milestones', 'milestones'],
      ['gamma', 'gamma'],
    ];
  }

  protected override exportField(ts: string, value: unknown): unknown {
    // A Counter is a dict {milestone: count}: int keys in the checkpoint.
    return ts === 'milestones' ? Object.fromEntries(this.milestones) : super.exportField(ts, value);
  }

  protected override importField(ts: string, value: unknown): unknown {
    if (ts !== 'milestones') return super.importField(ts, value);
    if (value instanceof Map) return new Map(value);
    if (Array.isArray(value)) {
      const m = new Map<number, number>();
      for (const e of value as number[]) m.set(e, (m.get(e) ?? 0) + 1);
      return m;
    }
    return new Map(Object.entries(value as Record<string, number>).map(([k, n]) => [Number(k), n]));
  }
}

export interface ConstantParamSchedulerOptions extends ParamSchedulerOptions {
  /** The value is multiplied by factor from begin until end (default 1/3). */
  factor?: number;
}

/** The value times factor inside the window, restored at its last step. */
export class ConstantParamScheduler extends ParamScheduler {
  factor: number;
  totalIters: number;

  constructor(optimizer: SchedulableOptimizer, options: ConstantParamSchedulerOptions & ParamNameOption) {
    const name = new.target.name;
    checkOptions(name, options, ['paramName', 'factor']);
    const factor = numberOption(name, options, 'factor', 1.0 / 3);
    if (factor > 1.0 || factor < 0) throw new Error(`${name}: the constant factor should be between 0 and 1`);
    super(optimizer, options?.paramName, options);
    this.factor = factor;
    this.totalIters = this.end - this.begin - 1;
    this.initialize(options.lastStep);
  }

  protected getValue(): number[] {
    const values = this.groups.map((g) => g[this.paramName] as number);
    if (this.lastStep === 0) return values.map((v) => v * this.factor);
    if (this.lastStep > this.totalIters || this.lastStep !== this.totalIters) return values;
    return values.map((v) => v * (1.0 / this.factor));
  }

  protected override ownFields(): [string, string][] {
    return [
      ['factor', 'factor'],
      ['total_iters', 'totalIters'],
    ];
  }
}

export interface ExponentialParamSchedulerOptions extends ParamSchedulerOptions {
  /** The factor per step. */
  gamma: number;
}

/** The value times gamma every step. */
export class ExponentialParamScheduler extends ParamScheduler {
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: ExponentialParamSchedulerOptions & ParamNameOption) {
    const name = new.target.name;
    checkOptions(name, options, ['paramName', 'gamma']);
    super(optimizer, options?.paramName, options);
    this.gamma = numberOption(name, options, 'gamma');
    this.initialize(options.lastStep);
  }

  protected getValue(): number[] {
    const values = this.groups.map((g) => g[this.paramName] as number);
    if (this.lastStep === 0) return values;
    return values.map((v) => v * this.gamma);
  }

  protected override ownFields(): [string, string][] {
    return [['gamma', 'gamma']];
  }
}

export interface CosineAnnealingParamSchedulerOptions extends ParamSchedulerOptions {
  /** The half period, in steps (default end - begin). */
  TMax?: number;
  /** The minimum value (default 0 when etaMinRatio is not given). */
  etaMin?: number;
  /** The minimum as a fraction of each group's initial value (instead of etaMin). */
  etaMinRatio?: number;
}

/** Cosine annealing from each group's initial value to etaMin over TMax steps (SGDR without restarts). */
export class CosineAnnealingParamScheduler extends ParamScheduler {
  static override readonly epochScaled = ['TMax'];
  TMax: number;
  etaMin: number | null;
  etaMinRatio: number | null;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingParamSchedulerOptions & ParamNameOption) {
    const name = new.target.name;
    checkOptions(name, options, ['paramName', 'TMax', 'etaMin', 'etaMinRatio']);
    super(optimizer, options?.paramName, options);
    let etaMin = optionalNumber(name, options, 'etaMin');
    const etaMinRatio = optionalNumber(name, options, 'etaMinRatio');
    if (etaMin === null && etaMinRatio === null) etaMin = 0;
    if ((etaMin === null) === (etaMinRatio === null)) throw new Error(`${name}: give either etaMin or etaMinRatio`);
    const TMax = optionalNumber(name, options, 'TMax');
    // MMEngine's `T_max or (end - begin)`: 0 also takes the window's length.
    this.TMax = TMax || this.end - this.begin;
    this.etaMin = etaMin;
    this.etaMinRatio = etaMinRatio;
    this.initialize(options.lastStep);
  }

  private etaMinOf(base: number): number {
    return this.etaMinRatio === null ? (this.etaMin as number) : base * this.etaMinRatio;
  }

  protected getValue(): number[] {
    const groups = this.groups;
    const T = this.TMax;
    if (this.lastStep === 0) return groups.map((g) => g[this.paramName] as number);
    if (pyMod(this.lastStep - 1 - T, 2 * T) === 0) {
      return groups.map((g, i) => {
        const base = this.baseValues[i] as number;
        return (g[this.paramName] as number) + ((base - this.etaMinOf(base)) * (1 - pyCos(Math.PI / T))) / 2;
      });
    }
    return groups.map((g, i) => {
      const etaMin = this.etaMinOf(this.baseValues[i] as number);
      return (
        ((1 + pyCos((Math.PI * this.lastStep) / T)) / (1 + pyCos((Math.PI * (this.lastStep - 1)) / T))) *
          ((g[this.paramName] as number) - etaMin) +
        etaMin
      );
    });
  }

  protected override ownFields(): [string, string][] {
    return [
      ['T_max', 'TMax'],
      ['eta_min', 'etaMin'],
      ['eta_min_ratio', 'etaMinRatio'],
    ];
  }
}

export interface LinearParamSchedulerOptions extends ParamSchedulerOptions {
  /** The factor at the first step (default 1/3). */
  startFactor?: number;
  /** The factor at the last step of the window (default 1). */
  endFactor?: number;
}

/** The value times a factor that moves linearly from startFactor to endFactor over the window. */
export class LinearParamScheduler extends ParamScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(optimizer: SchedulableOptimizer, options: LinearParamSchedulerOptions & ParamNameOption) {
    const name = new.target.name;
    checkOptions(name, options, ['paramName', 'startFactor', 'endFactor']);
    const startFactor = numberOption(name, options, 'startFactor', 1.0 / 3);
    const endFactor = numberOption(name, options, 'endFactor', 1.0);
    if (startFactor > 1.0 || startFactor < 0) throw new Error(`${name}: startFactor should be between 0 and 1`);
    if (endFactor > 1.0 || endFactor < 0) throw new Error(`${name}: endFactor should be between 0 and 1`);
    super(optimizer, options?.paramName, options);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = this.end - this.begin - 1;
    this.initialize(options.lastStep);
  }

  protected getValue(): number[] {
    const values = this.groups.map((g) => g[this.paramName] as number);
    if (this.lastStep === 0) return values.map((v) => v * this.startFactor);
    const d = this.endFactor - this.startFactor;
    return values.map((v) => v * (1 + d / (this.totalIters * this.startFactor + (this.lastStep - 1) * d)));
  }

  protected override ownFields(): [string, string][] {
    return [
      ['start_factor', 'startFactor'],
      ['end_factor', 'endFactor'],
      ['total_iters', 'totalIters'],
    ];
  }
}

export interface PolyParamSchedulerOptions extends ParamSchedulerOptions {
  /** The value at the end of the window (default 0). */
  etaMin?: number;
  /** The power of the polynomial (default 1). */
  power?: number;
}

/** Polynomial decay to etaMin at the last step of the window. */
export class PolyParamScheduler extends ParamScheduler {
  etaMin: number;
  power: number;
  totalIters: number;

  constructor(optimizer: SchedulableOptimizer, options: PolyParamSchedulerOptions & ParamNameOption) {
    const name = new.target.name;
    checkOptions(name, options, ['paramName', 'etaMin', 'power']);
    super(optimizer, options?.paramName, options);
    this.etaMin = numberOption(name, options, 'etaMin', 0);
    this.power = numberOption(name, options, 'power', 1.0);
    this.totalIters = this.end - this.begin - 1;
    this.initialize(options.lastStep);
  }

  protected getValue(): number[] {
    const values = this.groups.map((g) => g[this.paramName] as number);
    if (this.lastStep === 0) return values;
    const f = pyPow(1 - 1 / (this.totalIters - this.lastStep + 1), this.power);
    return values.map((v) => (v - this.etaMin) * f + this.etaMin);
  }

  protected override ownFields(): [string, string][] {
    return [
      ['eta_min', 'etaMin'],
      ['power', 'power'],
      ['total_iters', 'totalIters'],
    ];
  }
}

export interface OneCycleParamSchedulerOptions extends ParamSchedulerOptions {
  /** The peak value, one for all groups or one per group (default 0). */
  etaMax?: number | number[];
  /** The steps of the cycle (default end - begin). */
  totalSteps?: number;
  /** The fraction of the cycle spent rising (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** The initial value is etaMax / divFactor (default 25). */
  divFactor?: number;
  /** The final value is the initial one / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Rise, fall back to the initial value, then anneal to the final one (the paper's schedule). */
  threePhase?: boolean;
}

interface OneCyclePhase {
  end_step: number;
  [key: string]: number | string;
}

/** The 1cycle policy (super-convergence): up from etaMax / divFactor to etaMax, then down far below; not chainable. */
export class OneCycleParamScheduler extends ParamScheduler {
  static override readonly epochScaled = ['totalSteps'];
  etaMax: number | number[];
  divFactor: number;
  finalDivFactor: number;
  totalSteps: number;
  annealStrategy: 'cos' | 'linear';
  /** @internal MMEngine's phases, with its group keys ('initial_lr', 'max_lr', 'min_lr'). */
  _schedulePhases: OneCyclePhase[];

  constructor(optimizer: SchedulableOptimizer, options: OneCycleParamSchedulerOptions & ParamNameOption) {
    const name = new.target.name;
    checkOptions(name, options, [
      'paramName',
      'etaMax',
      'totalSteps',
      'pctStart',
      'annealStrategy',
      'divFactor',
      'finalDivFactor',
      'threePhase',
    ]);
    if (toCamel(options?.paramName ?? '') !== 'lr') {
      throw new Error(`${name}: OneCycle only schedules the learning rate, but got paramName '${options?.paramName}'`);
    }
    super(optimizer, options.paramName, options);
    const etaMax = options.etaMax ?? 0;
    this.etaMax = Array.isArray(etaMax) ? [...etaMax] : etaMax;
    this.divFactor = numberOption(name, options, 'divFactor', 25);
    this.finalDivFactor = numberOption(name, options, 'finalDivFactor', 1e4);
    if (options.totalSteps !== undefined && options.totalSteps !== null) {
      if (!Number.isInteger(options.totalSteps) || options.totalSteps <= 0) {
        throw new Error(`${name}: expected a positive integer totalSteps, but got ${options.totalSteps}`);
      }
      this.totalSteps = options.totalSteps;
    } else {
      this.totalSteps = this.end - this.begin;
    }
    const pctStart = numberOption(name, options, 'pctStart', 0.3);
    if (pctStart < 0 || pctStart > 1)
      throw new Error(`${name}: expected pctStart between 0 and 1, but got ${pctStart}`);
    const strategy = options.annealStrategy ?? 'cos';
    if (strategy !== 'cos' && strategy !== 'linear') {
      throw new Error(`${name}: annealStrategy must be one of 'cos' or 'linear', instead got ${String(strategy)}`);
    }
    this.annealStrategy = strategy;
    const p = toSnake(this.paramName);
    const [initial, max, min] = [`initial_${p}`, `max_${p}`, `min_${p}`];
    const total = this.totalSteps;
    const phase = (endStep: number, from: string, to: string): OneCyclePhase => ({
      end_step: endStep,
      [`start_${p}`]: from,
      [`end_${p}`]: to,
    });
    this._schedulePhases = options.threePhase
      ? [
          phase(pctStart * total - 1, initial, max),
          phase(2 * pctStart * total - 2, max, initial),
          phase(total - 1, initial, min),
        ]
      : [phase(pctStart * total - 1, initial, max), phase(total - 1, max, min)];
    const groups = this.groups;
    let maxValues: number[];
    if (Array.isArray(etaMax)) {
      if (etaMax.length !== groups.length) {
        throw new Error(
          `${name}: expected ${groups.length} values for etaMax (one per param group), got ${etaMax.length}`,
        );
      }
      maxValues = etaMax;
    } else {
      maxValues = groups.map(() => etaMax);
    }
    const lastStep = options.lastStep ?? -1;
    if (lastStep === -1) {
      groups.forEach((g, i) => {
        const initialValue = (maxValues[i] as number) / this.divFactor;
        g[toCamel(initial)] = initialValue;
        g[toCamel(max)] = maxValues[i];
        g[toCamel(min)] = initialValue / this.finalDivFactor;
      });
    }
    this.initialize(lastStep);
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') {
      const cosOut = pyCos(Math.PI * pct) + 1;
      return end + ((start - end) / 2.0) * cosOut;
    }
    return (end - start) * pct + start;
  }

  protected getValue(): number[] {
    const stepNum = this.lastStep;
    const name = this.constructor.name;
    if (stepNum > this.totalSteps) {
      throw new Error(
        `${name}: tried to step ${stepNum + 1} times; the specified number of total steps is ${this.totalSteps}`,
      );
    }
    const p = toSnake(this.paramName);
    const phases = this._schedulePhases;
    return this.groups.map((g) => {
      let startStep = 0;
      for (let i = 0; i < phases.length; i++) {
        const phase = phases[i] as OneCyclePhase;
        const endStep = phase.end_step;
        if (stepNum <= endStep || i === phases.length - 1) {
          if (endStep === startStep) {
            throw new Error(`${name}: float division by zero at step ${stepNum} (a phase of no steps)`);
          }
          const pct = (stepNum - startStep) / (endStep - startStep);
          const from = g[toCamel(phase[`start_${p}`] as string)] as number;
          const to = g[toCamel(phase[`end_${p}`] as string)] as number;
          return this.anneal(from, to, pct);
        }
        startStep = endStep;
      }
      throw new Error(`${name}: no phase`); // unreachable: the last phase always matches
    });
  }

  protected override ownFields(): [string, string][] {
    return [
      ['eta_max', 'etaMax'],
      ['div_factor', 'divFactor'],
      ['final_div_factor', 'finalDivFactor'],
      ['total_steps', 'totalSteps'],
      // MMEngine keeps the function itself (anneal_func); a checkpoint here keeps its name.
      ['anneal_strategy', 'annealStrategy'],
      ['_schedule_phases', '_schedulePhases'],
    ];
  }

  /**
   * The annealing's state. MMEngine's state_dict holds `anneal_func`, a bound method that no
   * weights-only checkpoint (ours, or torch.load's default) can hold; ours holds its name,
   * `anneal_strategy` ('cos' or 'linear'), and never writes anneal_func (a string there would
   * break MMEngine's load, which calls it). Reading: anneal_strategy wins; else an anneal_func
   * given as a name ('_annealing_cos', '_annealing_linear', 'cos', 'linear'); else (a dict
   * from before the key existed, or MMEngine's with the function dropped) the strategy this
   * scheduler was built with stays, as MMEngine's __dict__.update keeps a key the dict lacks.
   */
  override loadStateDict(stateDict: SchedulerStateDict): void {
    const name = `${this.constructor.name}.loadStateDict`;
    let strategy: 'cos' | 'linear' | undefined;
    if (stateDict !== null && typeof stateDict === 'object' && !Array.isArray(stateDict)) {
      if ('anneal_strategy' in stateDict) {
        const v = stateDict.anneal_strategy;
        if (v !== 'cos' && v !== 'linear') {
          throw new TypeError(`${name}: anneal_strategy must be 'cos' or 'linear', got ${describe(v)}`);
        }
        strategy = v;
      } else if ('anneal_func' in stateDict) {
        const v = stateDict.anneal_func;
        const m = typeof v === 'string' ? /^(?:_annealing_)?(cos|linear)$/.exec(v) : null;
        if (m === null) {
          throw new TypeError(
            `${name}: anneal_func can only be read as a name ('_annealing_cos' or '_annealing_linear'), got ${describe(v)}; ` +
              "drop it to keep this scheduler's annealStrategy",
          );
        }
        strategy = m[1] as 'cos' | 'linear';
      }
    }
    // Checked before anything is written, so a refused dict leaves the scheduler as it was.
    super.loadStateDict(stateDict);
    if (strategy !== undefined) this.annealStrategy = strategy;
  }
}

export interface CosineRestartParamSchedulerOptions extends ParamSchedulerOptions {
  /** The length of each cosine cycle, in steps. */
  periods: number[];
  /** The peak of each cycle as a fraction of the initial value (default [1]; one per period). */
  restartWeights?: number[];
  /** The minimum value (give this or etaMinRatio). */
  etaMin?: number;
  /** The minimum as a fraction of each group's initial value. */
  etaMinRatio?: number;
}

/** Cosine annealing with restarts: a cycle per period, each from initial value × its restart weight down to etaMin. */
export class CosineRestartParamScheduler extends ParamScheduler {
  static override readonly epochScaled = ['periods'];
  periods: number[];
  etaMin: number | null;
  etaMinRatio: number | null;
  restartWeights: number[];
  cumulativePeriods: number[];

  constructor(optimizer: SchedulableOptimizer, options: CosineRestartParamSchedulerOptions & ParamNameOption) {
    const name = new.target.name;
    checkOptions(name, options, ['paramName', 'periods', 'restartWeights', 'etaMin', 'etaMinRatio']);
    const etaMin = optionalNumber(name, options, 'etaMin');
    const etaMinRatio = optionalNumber(name, options, 'etaMinRatio');
    if ((etaMin === null) === (etaMinRatio === null)) throw new Error(`${name}: give either etaMin or etaMinRatio`);
    if (!Array.isArray(options.periods))
      throw new TypeError(`${name}: the option periods is required: an array of steps`);
    const restartWeights = options.restartWeights ?? [1];
    if (restartWeights.length !== options.periods.length) {
      throw new Error(`${name}: periods and restartWeights should have the same length`);
    }
    super(optimizer, options.paramName, options);
    this.periods = [...options.periods];
    this.etaMin = etaMin;
    this.etaMinRatio = etaMinRatio;
    this.restartWeights = [...restartWeights];
    let sum = 0;
    this.cumulativePeriods = this.periods.map((p) => {
      sum += p;
      return sum;
    });
    this.initialize(options.lastStep);
  }

  protected getValue(): number[] {
    const groups = this.groups;
    const idx = this.cumulativePeriods.findIndex((c) => this.lastStep < c);
    if (idx < 0) return groups.map((g) => g[this.paramName] as number);
    const weight = this.restartWeights[idx] as number;
    const nearestRestart = idx === 0 ? 0 : (this.cumulativePeriods[idx - 1] as number);
    const period = this.periods[idx] as number;
    const step = this.lastStep - nearestRestart;
    return groups.map((g, i) => {
      const base = this.baseValues[i] as number;
      const etaMax = base * weight;
      const etaMin = this.etaMinRatio === null ? (this.etaMin as number) : base * this.etaMinRatio;
      if (step === 0) return etaMax;
      return (
        ((1 + pyCos((Math.PI * step) / period)) / (1 + pyCos((Math.PI * (step - 1)) / period))) *
          ((g[this.paramName] as number) - etaMin) +
        etaMin
      );
    });
  }

  protected override ownFields(): [string, string][] {
    return [
      ['periods', 'periods'],
      ['eta_min', 'etaMin'],
      ['eta_min_ratio', 'etaMinRatio'],
      ['restart_weights', 'restartWeights'],
      ['cumulative_periods', 'cumulativePeriods'],
    ];
  }
}

export interface ReduceOnPlateauParamSchedulerOptions extends ParamSchedulerOptions {
  /** The validation metric to watch (default 'loss'). */
  monitor?: string;
  /** 'less' (default): reduce when the metric stops decreasing; 'greater': when it stops increasing. */
  rule?: 'less' | 'greater';
  /** The value is multiplied by factor when reduced (default 0.1). */
  factor?: number;
  /** Validations without improvement tolerated before a reduction (default 10). */
  patience?: number;
  /** How much better counts as better (default 1e-4). */
  threshold?: number;
  /** 'rel' (default): relative to the best; 'abs': absolute. */
  thresholdRule?: 'rel' | 'abs';
  /** Validations to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** The lower bound, one for all groups or one per group of the optimizer (default 0). */
  minValue?: number | number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the value by `factor` when the monitored validation metric has not improved for
 * `patience` validations. The ParamSchedulerHook steps it after each training epoch (counting
 * epochs, for the window) and after each validation with the metrics (deciding).
 */
export class ReduceOnPlateauParamScheduler extends ParamScheduler {
  override readonly needValArgs: boolean = true;
  factor: number;
  minValues: number[];
  patience: number;
  cooldown: number;
  cooldownCounter = 0;
  ruleWorse: number;
  best: number;
  numBadEpochs = 0;
  eps: number;
  monitor: string;
  rule: 'less' | 'greater';
  threshold: number;
  thresholdRule: 'rel' | 'abs';

  constructor(optimizer: SchedulableOptimizer, options: ReduceOnPlateauParamSchedulerOptions & ParamNameOption) {
    const name = new.target.name;
    checkOptions(name, options, [
      'paramName',
      'monitor',
      'rule',
      'factor',
      'patience',
      'threshold',
      'thresholdRule',
      'cooldown',
      'minValue',
      'eps',
    ]);
    super(optimizer, options?.paramName, options);
    if (!this.byEpoch) throw new Error(`${name}: only byEpoch true is supported (it steps with each validation)`);
    const lastStep = integerOption(name, options, 'lastStep', -1);
    if (lastStep < -1) throw new Error(`${name}: lastStep must be an integer >= -1, got ${lastStep}`);
    const key = this.initialKey;
    const groups = this.groups;
    if (lastStep === -1) {
      for (const g of groups) if (!(key in g)) g[key] = g[this.paramName];
    } else {
      groups.forEach((g, i) => {
        if (!(key in g))
          throw new Error(`${name}: param group ${i} has no '${key}', which resuming with lastStep >= 0 needs`);
      });
    }
    this.lastStep = lastStep;
    this._globalStep = 0;
    const factor = numberOption(name, options, 'factor', 0.1);
    if (factor >= 1.0) throw new Error(`${name}: factor should be < 1.0`);
    this.factor = factor;
    const minValue = options.minValue ?? 0;
    if (Array.isArray(minValue)) {
      // One per group of the optimizer itself; a wrapper's base-settings pseudo-group takes the last.
      const raw = (this.optimizer instanceof Optimizer ? this.optimizer : this.optimizer.optimizer).paramGroups;
      if (minValue.length !== raw.length) {
        throw new Error(
          `${name}: expected ${raw.length} minValue values (one per param group), got ${minValue.length}`,
        );
      }
      this.minValues = [...minValue];
      const wrapper = this.optimizer as { baseParamSettings?: unknown };
      if (!(this.optimizer instanceof Optimizer) && wrapper.baseParamSettings != null) {
        this.minValues.push(this.minValues[this.minValues.length - 1] as number);
      }
    } else {
      this.minValues = groups.map(() => minValue);
    }
    this.patience = integerOption(name, options, 'patience', 10);
    this.cooldown = integerOption(name, options, 'cooldown', 0);
    this.eps = numberOption(name, options, 'eps', 1e-8);
    this.monitor = options.monitor ?? 'loss';
    const threshold = numberOption(name, options, 'threshold', 1e-4);
    const rule = options.rule ?? 'less';
    const thresholdRule = options.thresholdRule ?? 'rel';
    if (threshold < 0) throw new Error(`${name}: threshold ${threshold} should be >= 0`);
    if (rule !== 'less' && rule !== 'greater') throw new Error(`${name}: rule ${String(rule)} is unknown`);
    if (thresholdRule !== 'rel' && thresholdRule !== 'abs') {
      throw new Error(`${name}: thresholdRule ${String(thresholdRule)} is unknown`);
    }
    this.ruleWorse = rule === 'less' ? INF : -INF;
    this.rule = rule;
    this.threshold = threshold;
    this.thresholdRule = thresholdRule;
    this.best = this.ruleWorse;
    this.cooldownCounter = 0;
    this.numBadEpochs = 0;
    // No first step: _globalStep starts at 0, and the values stay as they are.
    this._lastValue = groups.map((g) => g[this.paramName] as number);
  }

  /**
   * Without metrics (after a training epoch): counts the step. With the validation metrics:
   * inside the window, compares the monitored one with the best so far and reduces the value
   * after more than `patience` validations without improvement.
   */
  override step(metrics?: Record<string, unknown>): void {
    if (metrics === undefined || metrics === null) {
      this._globalStep += 1;
      return;
    }
    if (typeof metrics !== 'object') {
      throw new TypeError(`${this.constructor.name}.step: metrics must be an object, got ${typeof metrics}`);
    }
    if (this.begin <= this._globalStep && this._globalStep < this.end) {
      this.lastStep += 1;
      const raw = metrics[this.monitor];
      if (raw === undefined || raw === null) {
        throw new Error(
          `${this.constructor.name}: the monitored metric '${this.monitor}' is not among the validation results (${Object.keys(metrics).join(', ')}); set monitor in its config`,
        );
      }
      // A one-element tensor counts as its number, as Python's comparisons take a 0-dim tensor.
      const item = (raw as { item?: () => unknown }).item;
      const metric = typeof item === 'function' ? Number(item.call(raw)) : Number(raw);
      if (this.isBetter(metric, this.best)) {
        this.best = metric;
        this.numBadEpochs = 0;
      } else {
        this.numBadEpochs += 1;
      }
      if (this.cooldownCounter > 0) {
        this.cooldownCounter -= 1;
        this.numBadEpochs = 0; // bad epochs in cooldown do not count
      }
      if (this.numBadEpochs > this.patience) {
        const values = this.getValue();
        this.groups.forEach((g, i) => {
          const v = values[i] as number;
          if ((g[this.paramName] as number) - v > this.eps) {
            g[this.paramName] = v;
            this.printValue(i, v);
          }
        });
        this.cooldownCounter = this.cooldown;
        this.numBadEpochs = 0;
      }
    }
    this._lastValue = this.groups.map((g) => g[this.paramName] as number);
    this.syncBetas();
  }

  protected getValue(): number[] {
    return this.groups.map((g, i) => Math.max(Number(g[this.paramName]) * this.factor, this.minValues[i] as number));
  }

  private isBetter(a: number, best: number): boolean {
    if (this.rule === 'less' && this.thresholdRule === 'rel') return a < best * (1 - this.threshold);
    if (this.rule === 'less') return a < best - this.threshold;
    if (this.thresholdRule === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  override stateFields(): [string, string][] {
    return [
      ...(this.useBetas === null ? [] : [['use_betas', 'useBetas'] as [string, string]]),
      ['param_name', 'paramName'],
      ['begin', 'begin'],
      ['end', 'end'],
      ['by_epoch', 'byEpoch'],
      ['last_step', 'lastStep'],
      ['_global_step', '_globalStep'],
      ['verbose', 'verbose'],
      ['factor', 'factor'],
      ['min_values', 'minValues'],
      ['patience', 'patience'],
      ['cooldown', 'cooldown'],
      ['cooldown_counter', 'cooldownCounter'],
      ['rule_worse', 'ruleWorse'],
      ['best', 'best'],
      ['num_bad_epochs', 'numBadEpochs'],
      ['eps', 'eps'],
      ['monitor', 'monitor'],
      ['rule', 'rule'],
      ['threshold', 'threshold'],
      ['threshold_rule', 'thresholdRule'],
      ['_last_value', '_lastValue'],
    ];
  }

  /** MMEngine has no iteration-based form of it (it steps with validations). */
  static override buildIterFromEpoch(): never {
    throw new Error(
      `${ReduceOnPlateauParamScheduler.name} and its variants: cannot be converted to iteration-based (it steps with each validation); drop convertToIterBased`,
    );
  }
}
