// The loops that the runner runs, as MMEngine's: epoch- or iteration-based training with
// validation at intervals, and validation/test passes with an evaluator. Hooks are called at
// each stage; every iteration's tensors are freed when it ends.
import * as torch from '../../torch/index.js';
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
}

export class EpochBasedTrainLoop {
  stopTraining = false;
  readonly valBegin: number;
  readonly valInterval: number;

  constructor(
    readonly runner: Runner,
    readonly maxEpochs: number,
    options?: ValSchedule,
  ) {
    this.valBegin = options?.valBegin ?? 1;
    this.valInterval = options?.valInterval ?? 1;
    if (!Number.isInteger(maxEpochs))
      throw new Error(`\`max_epochs\` should be a integer number, but get ${maxEpochs}`);
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
  readonly valInterval: number;

  constructor(
    readonly runner: Runner,
    readonly maxIters: number,
    options?: ValSchedule,
  ) {
    this.valBegin = options?.valBegin ?? 1;
    this.valInterval = options?.valInterval ?? 1000;
    if (!Number.isInteger(maxIters)) throw new Error(`\`max_iters\` should be a integer number, but get ${maxIters}`);
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
