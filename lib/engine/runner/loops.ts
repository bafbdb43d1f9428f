// The loops that the runner runs, as MMEngine's: epoch- or iteration-based training with
// validation at intervals, and validation/test passes with an evaluator. Hooks are called at
// each stage; every iteration's tensors are freed when it ends.
import * as torch from '../../torch/index.js';
import { isInfinite } from '../dataset/infinite_sampler.js';
import type { Sampler } from '../dataset/sampler.js';
import type { Runner } from './runner.js';

/** Frees the tensors of a batch (the loader made them; nothing else holds them after the step). */
export function disposeBatch(value: unknown, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof torch.Tensor) {
    value.dispose();
    return;
  }
  if (Array.isArray(value)) for (const v of value) disposeBatch(v, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype)
    for (const v of Object.values(value)) disposeBatch(v, seen);
}

/** When a training loop validates: every `valInterval` epochs (iterations) from `valBegin` on, and at the end. */
export interface ValSchedule {
  valBegin?: number;
  valInterval?: number;
  /**
   * `[milestone, interval]` pairs (MMEngine's dynamic_intervals): once the next epoch (iteration),
   * counted from 1, is `milestone` or later, validate every `interval`; `[[80, 1]]` validates
   * every epoch from the end of epoch 79 on.
   */
  dynamicIntervals?: [number, number][];
}

/**
 * The validation interval in force after a step: MMEngine's `calc_dynamic_intervals` and
 * `_decide_current_val_interval`, which look up `done + 1` (the epoch or iteration after the one
 * just finished) among the milestones, counting a milestone as reached when equal to it.
 */
class ValIntervals {
  private readonly milestones: number[] = [0];
  private readonly intervals: number[];

  constructor(loop: string, start: number, dynamic: [number, number][] | undefined) {
    this.intervals = [start];
    if (dynamic === undefined) return;
    if (!Array.isArray(dynamic))
      throw new TypeError(`${loop}: dynamicIntervals must be an array of [milestone, interval] pairs`);
    for (const pair of dynamic) {
      const [m, i] = Array.isArray(pair) && pair.length === 2 ? pair : [Number.NaN, Number.NaN];
      if (!Number.isInteger(m) || !Number.isInteger(i) || m < 0 || i < 1)
        throw new TypeError(
          `${loop}: each of dynamicIntervals must be [milestone, interval], integers with interval >= 1, got ${JSON.stringify(pair)}`,
        );
      if (m <= (this.milestones[this.milestones.length - 1] as number) && this.milestones.length > 1)
        throw new Error(`${loop}: the milestones of dynamicIntervals must increase, got ${JSON.stringify(dynamic)}`);
      this.milestones.push(m);
      this.intervals.push(i);
    }
  }

  /** The interval after `done` epochs (iterations): the last pair whose milestone is at most done + 1. */
  at(done: number): number {
    let k = 0;
    while (k + 1 < this.milestones.length && (this.milestones[k + 1] as number) <= done + 1) k++;
    return this.intervals[k] as number;
  }
}

export class EpochBasedTrainLoop {
  stopTraining = false;
  readonly valBegin: number;
  /** The interval in force (it changes at the milestones of `dynamicIntervals`). */
  valInterval: number;
  private readonly intervals: ValIntervals;

  constructor(
    readonly runner: Runner,
    readonly maxEpochs: number,
    options?: ValSchedule,
  ) {
    this.valBegin = options?.valBegin ?? 1;
    this.valInterval = options?.valInterval ?? 1;
    if (!Number.isInteger(maxEpochs))
      throw new Error(`\`max_epochs\` should be a integer number, but get ${maxEpochs}`);
    this.intervals = new ValIntervals('EpochBasedTrainLoop', this.valInterval, options?.dynamicIntervals);
  }

  get maxIters(): number {
    return this.maxEpochs * (this.runner.trainDataloader?.length ?? 0);
  }

  async run(): Promise<void> {
    const r = this.runner;
    r.callHook('beforeTrain');
    while (r.epoch < this.maxEpochs && !this.stopTraining) {
      await this.runEpoch();
      const epoch = r.epoch;
      this.valInterval = this.intervals.at(epoch);
      if (r.valLoop && epoch >= this.valBegin && (epoch % this.valInterval === 0 || epoch === this.maxEpochs)) {
        await r.valLoop.run();
      }
    }
    r.callHook('afterTrain');
  }

  async runEpoch(): Promise<void> {
    const r = this.runner;
    const loader = r.trainDataloader;
    if (!loader) throw new Error('no trainDataloader');
    r.callHook('beforeTrainEpoch');
    r.wrappedModel.train();
    let idx = 0;
    for await (const batch of loader) {
      this.runIter(idx++, batch);
    }
    r.callHook('afterTrainEpoch');
    r.epoch += 1;
  }

  runIter(idx: number, batch: unknown): void {
    const r = this.runner;
    r.callHook('beforeTrainIter', { batchIdx: idx, dataBatch: batch });
    const outputs = r.wrappedModel.trainStep(batch, r.requireOptimWrapper());
    r.callHook('afterTrainIter', { batchIdx: idx, dataBatch: batch, outputs });
    disposeBatch(batch);
    r.iter += 1;
  }
}

export class IterBasedTrainLoop {
  stopTraining = false;
  readonly maxEpochs = 1;

  readonly valBegin: number;
  /** The interval in force (it changes at the milestones of `dynamicIntervals`). */
  valInterval: number;
  private readonly intervals: ValIntervals;

  constructor(
    readonly runner: Runner,
    readonly maxIters: number,
    options?: ValSchedule,
  ) {
    this.valBegin = options?.valBegin ?? 1;
    this.valInterval = options?.valInterval ?? 1000;
    if (!Number.isInteger(maxIters)) throw new Error(`\`max_iters\` should be a integer number, but get ${maxIters}`);
    this.intervals = new ValIntervals('IterBasedTrainLoop', this.valInterval, options?.dynamicIntervals);
  }

  /** Batches forever: the loader restarts (with the next epoch's order) when it runs out. */
  private async *infinite(): AsyncGenerator<unknown> {
    const r = this.runner;
    const loader = r.trainDataloader;
    if (!loader) throw new Error('no trainDataloader');
    let epoch = 0;
    for (;;) {
      loader.setEpoch?.(epoch);
      let any = false;
      for await (const batch of loader) {
        any = true;
        yield batch;
      }
      if (!any) throw new Error('the train dataloader yielded no batch');
      epoch++;
      // MMEngine warns here too (and sleeps 2 s, for its worker processes; threads need no pause).
      // A loader over an InfiniteSampler goes on where it was: nothing ran out.
      const sampler = (loader as { sampler?: Sampler }).sampler;
      if (epoch === 1 && !(sampler && isInfinite(sampler)))
        r.logger.warning(
          "The train dataloader ran out and restarts with the next epoch's order; this is logged once per run.",
        );
    }
  }

  async run(): Promise<void> {
    const r = this.runner;
    r.callHook('beforeTrain');
    r.callHook('beforeTrainEpoch');
    const it = this.infinite();
    if (r.iter > 0) {
      r.logger.warning(`Advance dataloader ${r.iter} steps to skip data that has already been trained`);
      for (let i = 0; i < r.iter; i++) disposeBatch((await it.next()).value);
    }
    while (r.iter < this.maxIters && !this.stopTraining) {
      r.wrappedModel.train();
      const { value: batch } = await it.next();
      const idx = r.iter;
      r.callHook('beforeTrainIter', { batchIdx: idx, dataBatch: batch });
      const outputs = r.wrappedModel.trainStep(batch, r.requireOptimWrapper());
      r.callHook('afterTrainIter', { batchIdx: idx, dataBatch: batch, outputs });
      disposeBatch(batch);
      r.iter += 1;
      this.valInterval = this.intervals.at(r.iter);
      if (r.valLoop && r.iter >= this.valBegin && (r.iter % this.valInterval === 0 || r.iter === this.maxIters)) {
        await r.valLoop.run();
      }
    }
    await it.return(undefined);
    r.callHook('afterTrainEpoch');
    r.callHook('afterTrain');
  }
}

/** What the loops need of an evaluator (lib/engine/evaluator's Evaluator). */
export interface EvaluatorLike {
  process(dataSamples: unknown[], dataBatch?: unknown): void;
  evaluate(size: number): Record<string, unknown>;
  datasetMeta?: unknown;
}

/** The validation-loss convention: a last output of the form `{loss: {...}}` holds losses, not a prediction. */
function takeLosses(outputs: unknown, buffers: Map<string, number[]>): unknown {
  if (!Array.isArray(outputs) || outputs.length === 0) return outputs;
  const last = outputs[outputs.length - 1] as Record<string, unknown> | null;
  if (!last || typeof last !== 'object' || Object.keys(last).length !== 1 || !('loss' in last)) return outputs;
  for (const [name, v] of Object.entries(last.loss as Record<string, unknown>)) {
    const values = Array.isArray(v) ? v : [v];
    const list = buffers.get(name) ?? [];
    for (const x of values) list.push(x instanceof torch.Tensor ? (x.mean().item() as number) : Number(x));
    buffers.set(name, list);
  }
  return outputs.slice(0, -1);
}

export class EvalLoop {
  constructor(
    readonly runner: Runner,
    readonly mode: 'val' | 'test',
    readonly evaluator: EvaluatorLike,
    readonly fp16 = false,
  ) {}

  private get loader() {
    return this.mode === 'val' ? this.runner.valDataloader : this.runner.testDataloader;
  }

  async run(): Promise<Record<string, unknown>> {
    const r = this.runner;
    const loader = this.loader;
    if (!loader) throw new Error(`no ${this.mode}Dataloader`);
    const cap = this.mode === 'val' ? 'Val' : 'Test';
    r.callHook(`before${cap}`);
    r.callHook(`before${cap}Epoch`);
    r.wrappedModel.eval();
    // The dataset's metainfo (its class names, say) for the metrics, as MMEngine's loops pass it.
    const meta = (loader.dataset as { metainfo?: unknown } | undefined)?.metainfo;
    if (meta !== undefined && meta !== null && typeof meta === 'object') {
      this.evaluator.datasetMeta = { ...(meta as Record<string, unknown>) };
    }
    const buffers = new Map<string, number[]>();
    let idx = 0;
    let samples = 0;
    for await (const batch of loader) {
      const batchIdx = idx++;
      r.callHook(`before${cap}Iter`, { batchIdx, dataBatch: batch });
      torch.scope(() =>
        torch.noGrad(() => {
          const step = () => (this.mode === 'val' ? r.wrappedModel.valStep(batch) : r.wrappedModel.testStep(batch));
          const raw = this.fp16 ? torch.autocast(torch.cuda.isAvailable() ? 'cuda' : 'cpu', step) : step();
          const outputs = takeLosses(raw, buffers) as unknown[];
          samples += Array.isArray(outputs) ? outputs.length : 0;
          this.evaluator.process(outputs, batch);
          r.callHook(`after${cap}Iter`, { batchIdx, dataBatch: batch, outputs });
        }),
      );
      disposeBatch(batch);
    }
    // The dataset's size, which cuts a distributed sampler's padding; without a dataset, the
    // samples evaluated here (one output each).
    const size = (loader.dataset as { length?: number } | undefined)?.length ?? samples;
    const metrics: Record<string, unknown> = this.evaluator.evaluate(size);
    if (buffers.size) {
      let total = 0;
      for (const [name, values] of buffers) {
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        metrics[name] = mean;
        if (name.includes('loss')) total += mean;
      }
      metrics[`${this.mode}_loss`] = total;
    }
    r.callHook(`after${cap}Epoch`, metrics);
    r.callHook(`after${cap}`);
    return metrics;
  }
}
