// torch.optim.swaUtils: stochastic weight averaging and EMA of a model's weights, as PyTorch's
// torch/optim/swa_utils.py (torch 2.13), expression by expression so that the averages agree
// with PyTorch's to the bit:
//   - AveragedModel: a module holding a deep copy of the model (`module`) and the count of
//     models averaged so far (the int64 buffer `n_averaged`), so its state dict has PyTorch's
//     keys (`n_averaged`, `module.<name>`); updateParameters(model) folds in the model's weights.
//   - getEmaMultiAvgFn / getSwaMultiAvgFn (in place, over the lists of one device and dtype)
//     and getEmaAvgFn / getSwaAvgFn (one tensor, returning the new value) make the averaging
//     functions it takes.
//   - SWALR anneals each group's lr to a fixed `swaLr`; updateBn recomputes BatchNorm's running
//     statistics for the averaged weights with one pass over the data.
//
// The engine's EMA (lib/engine/model/averaged_model.ts, MMEngine's averaged models) shares no
// code with this: MMEngine averages a name-keyed copy of the state dict with `interval`, and its
// SWA step is `avg.add_(src - avg, alpha)`, while PyTorch's uses lerp on the foreach path and a
// division by the int64 count on the CPU default path; the last bits differ, so each follows
// its own reference.
import '../../generated/methods.js';
import { _foreachAdd_, _foreachAddcdiv_, _foreachLerp_, _foreachSub } from '../../generated/functions.js';
import { noGrad } from '../autograd.js';
import { scalarTensor } from '../creation.js';
import type { Device } from '../device.js';
import { isFloatingPoint } from '../dtype.js';
import { scope } from '../lifetime.js';
import { describe } from '../marshal.js';
import { Module } from '../nn/module.js';
import { BatchNormBase } from '../nn/modules/batchnorm.js';
import { Tensor } from '../tensor.js';
import { LRScheduler, type LRSchedulerOptions } from './lr_scheduler.js';
import { groupByDeviceAndDtype, type ParamGroup, pick } from './optimizer.js';
import { pyCos } from './pymath.js';

/** Averages one tensor: the new value from the average so far, the model's value and how many were averaged. */
export type AvgFn = (averaged: Tensor, current: Tensor, numAveraged: Tensor | number) => Tensor;
/** Averages lists of tensors of one device and dtype in place. */
export type MultiAvgFn = (averaged: Tensor[], current: Tensor[], numAveraged: Tensor | number) => void;

const floatingOrComplex = (t: Tensor): boolean => isFloatingPoint(t.dtype) || t.isComplex();

function checkDecay(name: string, decay: number): void {
  if (typeof decay !== 'number' || !(decay >= 0 && decay <= 1)) {
    throw new RangeError(`${name}: invalid decay value ${String(decay)}; it must be in the range [0, 1]`);
  }
}

/** Python's `num_averaged + 1`: an int64 tensor for a tensor count, else a number. */
const plusOne = (n: Tensor | number): Tensor | number => (typeof n === 'number' ? n + 1 : n.add(1));

/**
 * The exponential moving average in place: ema = decay * ema + (1 - decay) * current, as
 * `ema.lerp_(current, 1 - decay)` for floating-point lists (integer ones go through float
 * arithmetic and are truncated back).
 */
export function getEmaMultiAvgFn(decay = 0.999): MultiAvgFn {
  checkDecay('getEmaMultiAvgFn', decay);
  return (ema, current) =>
    noGrad(() =>
      scope(() => {
        if (ema.length === 0) return;
        if (floatingOrComplex(ema[0] as Tensor)) {
          _foreachLerp_(ema, current, 1 - decay);
          return;
        }
        ema.forEach((e, i) => {
          e.copy_(e.mul(decay).add((current[i] as Tensor).mul(1 - decay)));
        });
      }),
    );
}

/**
 * The running mean in place: avg += (current - avg) / (n + 1). Floating-point lists take
 * `lerp_` with the weight 1 / (n + 1) computed as PyTorch does (from a tensor count, in the
 * default float dtype); integer lists an addcdiv (which libtorch refuses for integers, as in
 * PyTorch) or an add with alpha.
 */
export function getSwaMultiAvgFn(): MultiAvgFn {
  return (averaged, current, numAveraged) =>
    noGrad(() =>
      scope(() => {
        if (averaged.length === 0) return;
        if (floatingOrComplex(averaged[0] as Tensor)) {
          // With a tensor count, Python's 1 / (n + 1) is a reciprocal in float32 (the default
          // dtype), so float64 weights are lerped by the float32-rounded fraction, as here.
          const weight =
            typeof numAveraged === 'number'
              ? 1 / (numAveraged + 1)
              : (numAveraged.add(1).reciprocal().item() as number);
          _foreachLerp_(averaged, current, weight);
          return;
        }
        const diffs = _foreachSub(current, averaged);
        if (typeof numAveraged === 'number') {
          _foreachAdd_(averaged, diffs, { alpha: 1 / (numAveraged + 1) });
        } else {
          const divisor = numAveraged.add(1);
          _foreachAddcdiv_(
            averaged,
            diffs,
            averaged.map(() => divisor),
          );
        }
      }),
    );
}

/** The exponential moving average of one tensor: decay * ema + (1 - decay) * current (a new tensor). */
export function getEmaAvgFn(decay = 0.999): AvgFn {
  checkDecay('getEmaAvgFn', decay);
  return (ema, current) => noGrad(() => ema.mul(decay).add(current.mul(1 - decay)));
}

/** The running mean of one tensor: avg + (current - avg) / (n + 1) (a new tensor). */
export function getSwaAvgFn(): AvgFn {
  return (averaged, current, numAveraged) =>
    noGrad(() => averaged.add(current.sub(averaged).div(plusOne(numAveraged))));
}

export interface AveragedModelOptions {
  /** Where the averaged copy lives (default: where the model is). */
  device?: Device;
  /** Averages one tensor at a time (returns the new value); default: the equal-weight mean. */
  avgFn?: AvgFn;
  /** Averages the lists of one device and dtype in place; only one of avgFn and multiAvgFn. */
  multiAvgFn?: MultiAvgFn;
  /** Average the buffers too (BatchNorm's running statistics) instead of copying them (default false). */
  useBuffers?: boolean;
}

/**
 * A running average (SWA by default, or EMA with getEmaMultiAvgFn) of a model's weights, held in
 * a deep copy of the model: `averaged.forward(x)` runs the copy. The first updateParameters()
 * copies the model's weights; each later one applies the averaging function.
 */
export class AveragedModel<M extends Module = Module> extends Module {
  readonly module: M;
  /** How many models were averaged so far (PyTorch's buffer name, so state dicts match). */
  declare n_averaged: Tensor;
  readonly avgFn: AvgFn | null;
  readonly multiAvgFn: MultiAvgFn | null;
  readonly useBuffers: boolean;

  constructor(model: M, options?: AveragedModelOptions) {
    super();
    if (!(model instanceof Module)) throw new TypeError(`AveragedModel: expected an nn.Module, got ${describe(model)}`);
    if (options?.avgFn && options?.multiAvgFn) {
      throw new Error('AveragedModel: give only one of avgFn and multiAvgFn');
    }
    for (const key of ['avgFn', 'multiAvgFn'] as const) {
      const f = options?.[key];
      if (f !== undefined && f !== null && typeof f !== 'function') {
        throw new TypeError(`AveragedModel: ${key} must be a function, got ${describe(f)}`);
      }
    }
    const device = options?.device;
    const copy = model.deepcopy();
    this.module = device === undefined ? copy : copy.to({ device });
    this.registerBuffer('n_averaged', scalarTensor(0, { dtype: 'int64', ...(device ? { device } : {}) }));
    this.avgFn = options?.avgFn ?? null;
    this.multiAvgFn = options?.multiAvgFn ?? null;
    this.useBuffers = options?.useBuffers ?? false;
  }

  forward(...args: unknown[]): unknown {
    return (this.module.forward as (...a: unknown[]) => unknown).apply(this.module, args);
  }

  /** Folds `model`'s current weights into the average (the first call copies them). */
  updateParameters(model: Module): void {
    if (!(model instanceof Module)) {
      throw new TypeError(`AveragedModel.updateParameters: expected an nn.Module, got ${describe(model)}`);
    }
    noGrad(() => scope(() => this.update(model)));
  }

  private update(model: Module): void {
    const name = 'AveragedModel.updateParameters';
    const mine = this.useBuffers ? [...this.module.parameters(), ...this.module.buffers()] : this.parameters();
    const theirs = this.useBuffers ? [...model.parameters(), ...model.buffers()] : model.parameters();
    // Pairs as Python's zip(strict=False): as many as the shorter list has.
    const count = Math.min(mine.length, theirs.length);
    const averaged: Tensor[] = [];
    const current: Tensor[] = [];
    const n = this.n_averaged.item() as number;
    for (let i = 0; i < count; i++) {
      const avg = (mine[i] as Tensor).detach();
      const src = (theirs[i] as Tensor).detach().to({ device: avg.device });
      averaged.push(avg);
      current.push(src);
      if (n === 0) avg.copy_(src);
    }
    if (n > 0) {
      if (this.multiAvgFn !== null || this.avgFn === null) {
        for (const group of groupByDeviceAndDtype(averaged)) {
          const avgs = pick(averaged, group.indices);
          const srcs = pick(current, group.indices);
          srcs.forEach((s, k) => {
            if (s.dtype !== group.dtype) {
              throw new TypeError(
                `${name}: the model's tensor #${group.indices[k]} is ${s.dtype} where the averaged one is ${group.dtype}`,
              );
            }
          });
          const nHere = this.n_averaged.to({ device: group.device });
          if (this.multiAvgFn !== null) this.multiAvgFn(avgs, srcs, nHere);
          else if (group.device.startsWith('cuda')) getSwaMultiAvgFn()(avgs, srcs, nHere);
          else {
            // PyTorch's default on devices without foreach kernels (the CPU): one tensor at a time.
            const swa = getSwaAvgFn();
            for (const [k, a] of avgs.entries()) a.copy_(swa(a, srcs[k] as Tensor, nHere));
          }
        }
      } else {
        const avgFn = this.avgFn;
        averaged.forEach((a, k) => {
          a.copy_(avgFn(a, current[k] as Tensor, this.n_averaged.to({ device: a.device })));
        });
      }
    }
    if (!this.useBuffers) {
      const bufs = this.module.buffers();
      const modelBufs = model.buffers();
      if (bufs.length !== modelBufs.length) {
        throw new Error(
          `${name}: the model has ${modelBufs.length} buffers where the averaged copy has ${bufs.length}; pass the model the average was made from`,
        );
      }
      bufs.forEach((b, i) => {
        b.detach().copy_((modelBufs[i] as Tensor).detach().to({ device: b.device }));
      });
    }
    this.n_averaged.add_(1);
  }
}

/** A batch of updateBn's loader: a tensor, or an array whose first element is the input. */
type Batch = Tensor | readonly unknown[];

function inputOf(batch: unknown, device: Device | undefined): Tensor {
  const input = Array.isArray(batch) ? batch[0] : batch;
  if (!(input instanceof Tensor)) {
    throw new TypeError(
      `updateBn: each batch must be a Tensor or an array whose first element is the input Tensor, got ${describe(batch)}`,
    );
  }
  return device === undefined ? input : input.to({ device });
}

/**
 * Recomputes the running statistics of every BatchNorm of `model` with one pass over `loader`:
 * they are reset, then accumulated as a cumulative mean (momentum null) in training mode; the
 * momenta and the training mode are restored afterwards (also when a batch fails). `loader`
 * yields tensors or arrays whose first element is the input; an async iterable (the engine's
 * DataLoader) makes it return a Promise.
 */
export function updateBn(loader: Iterable<Batch>, model: Module, options?: { device?: Device }): void;
export function updateBn(loader: AsyncIterable<Batch>, model: Module, options?: { device?: Device }): Promise<void>;
export function updateBn(
  loader: Iterable<Batch> | AsyncIterable<Batch>,
  model: Module,
  options?: { device?: Device },
): void | Promise<void> {
  if (!(model instanceof Module)) throw new TypeError(`updateBn: expected an nn.Module, got ${describe(model)}`);
  const sync = loader !== null && typeof (loader as Iterable<Batch>)[Symbol.iterator] === 'function';
  if (!sync && !(loader !== null && typeof (loader as AsyncIterable<Batch>)[Symbol.asyncIterator] === 'function')) {
    throw new TypeError(`updateBn: loader must be an iterable (or async iterable) of batches, got ${describe(loader)}`);
  }
  const momenta = new Map<BatchNormBase, number | null>();
  for (const m of model.modules()) {
    if (m instanceof BatchNormBase) {
      m.resetRunningStats();
      momenta.set(m, m.momentum);
    }
  }
  if (momenta.size === 0) return sync ? undefined : Promise.resolve();
  const wasTraining = model.training;
  model.train();
  // momentum null: each batch counts 1 / batches seen, so the result is the mean over the pass.
  for (const m of momenta.keys()) (m as { momentum: number | null }).momentum = null;
  const restore = (): void => {
    for (const [m, momentum] of momenta) (m as { momentum: number | null }).momentum = momentum;
    model.train(wasTraining);
  };
  const run = (batch: unknown): void => {
    noGrad(() =>
      scope(() => {
        (model.forward as (x: Tensor) => unknown).call(model, inputOf(batch, options?.device));
      }),
    );
  };
  if (sync) {
    try {
      for (const batch of loader as Iterable<Batch>) run(batch);
    } finally {
      restore();
    }
    return;
  }
  return (async () => {
    try {
      for await (const batch of loader as AsyncIterable<Batch>) run(batch);
    } finally {
      restore();
    }
  })();
}

export interface SWALROptions extends LRSchedulerOptions {
  /** The lr to anneal to, for all groups or one per group. */
  swaLr: number | number[];
  /** Epochs of the annealing (default 10; 0 switches at once). */
  annealEpochs?: number;
  /** 'cos' (the default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
}

const SWALR_OPTIONS = ['swaLr', 'annealEpochs', 'annealStrategy', 'lastEpoch'];

/**
 * Anneals each group's lr from where it is to `swaLr` over annealEpochs steps (cosine or linear),
 * then holds it there; each group's target is written to the group as `swaLr`.
 */
export class SWALR extends LRScheduler {
  annealStrategy: 'cos' | 'linear';
  annealEpochs: number;

  constructor(optimizer: LRScheduler['optimizer'], options: SWALROptions) {
    super(optimizer);
    if (options === null || typeof options !== 'object') {
      throw new TypeError('SWALR: expected an options object such as {swaLr: 0.05}');
    }
    for (const key of Object.keys(options)) {
      if (!SWALR_OPTIONS.includes(key)) {
        throw new TypeError(`SWALR: unknown option '${key}' (known: ${SWALR_OPTIONS.join(', ')})`);
      }
    }
    const groups = optimizer.paramGroups as ParamGroup[];
    const swaLr = options.swaLr;
    const lrs = Array.isArray(swaLr) ? [...swaLr] : groups.map(() => swaLr);
    if (lrs.length !== groups.length) {
      throw new Error(
        `SWALR: swaLr must have one value per param group; swaLr has ${lrs.length} values, paramGroups has ${groups.length}`,
      );
    }
    if (lrs.some((v) => typeof v !== 'number' || Number.isNaN(v))) {
      throw new TypeError(`SWALR: swaLr must be a number or an array of numbers, got ${describe(swaLr)}`);
    }
    groups.forEach((g, i) => {
      g.swaLr = lrs[i];
    });
    const strategy = options.annealStrategy ?? 'cos';
    if (strategy !== 'cos' && strategy !== 'linear') {
      throw new Error(`SWALR: annealStrategy must be one of 'cos' or 'linear', got ${String(strategy)}`);
    }
    this.annealStrategy = strategy;
    const epochs = options.annealEpochs ?? 10;
    if (!Number.isInteger(epochs) || epochs < 0) {
      throw new Error(`SWALR: annealEpochs must be an integer >= 0, got ${String(epochs)}`);
    }
    this.annealEpochs = epochs;
    this._init(options.lastEpoch);
  }

  /** How far along the annealing is, as a fraction t in [0, 1] turns into a weight of swaLr. */
  private anneal(t: number): number {
    return this.annealStrategy === 'cos' ? (1 - pyCos(Math.PI * t)) / 2 : t;
  }

  getLr(): number[] {
    let step = this._stepCount - 1;
    if (this.annealEpochs === 0) step = Math.max(1, step);
    const span = Math.max(1, this.annealEpochs);
    // The lr the annealing started from, recovered from the current one and the previous weight.
    const prevAlpha = this.anneal(Math.max(0, Math.min(1, (step - 1) / span)));
    const alpha = this.anneal(Math.max(0, Math.min(1, step / span)));
    return (this.optimizer.paramGroups as ParamGroup[]).map((g) => {
      const swaLr = g.swaLr as number;
      const start = prevAlpha === 1 ? swaLr : (g.lr - prevAlpha * swaLr) / (1 - prevAlpha);
      return swaLr * alpha + start * (1 - alpha);
    });
  }

  protected override ownFields(): [string, string][] {
    return [
      ['_anneal_strategy', 'annealStrategy'],
      ['anneal_epochs', 'annealEpochs'],
    ];
  }
}
