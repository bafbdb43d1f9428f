import { LogProcessor } from '../runner/log_processor.js';
import type { Runner } from '../runner/runner.js';
import { Hook, type IterArgs, type Priority } from './hook.js';

/** Logs training every `interval` iterations and the metrics after each evaluation, and feeds the visualizer. */
export class LoggerHook extends Hook {
  override priority: Priority = 'BELOW_NORMAL';
  readonly interval: number;
  readonly processor: LogProcessor;

  constructor(options?: { interval?: number; windowSize?: number }) {
    super();
    this.interval = options?.interval ?? 10;
    this.processor = new LogProcessor(options?.windowSize ?? 10);
  }

  override afterTrainIter(runner: Runner, args: IterArgs): void {
    const itersPerEpoch = runner.trainDataloader?.length ?? runner.maxIters;
    const endOfEpoch = runner.byEpoch && args.batchIdx + 1 === itersPerEpoch;
    if (!this.everyN(runner.byEpoch ? args.batchIdx : runner.iter, this.interval) && !endOfEpoch) return;
    const line = this.processor.trainLine(runner.messageHub, {
      mode: 'train',
      byEpoch: runner.byEpoch,
      epoch: runner.epoch,
      iterInEpoch: args.batchIdx,
      itersPerEpoch,
      iter: runner.iter,
      maxIters: runner.maxIters,
    });
    runner.logger.info(line);
    runner.visualizer?.addScalars(this.processor.collect(runner.messageHub, 'train'), runner.iter + 1);
  }

  private epochEnd(runner: Runner, mode: 'val' | 'test', metrics: Record<string, unknown>): void {
    const loader = mode === 'val' ? runner.valDataloader : runner.testDataloader;
    const itersPerEpoch = loader?.length ?? 0;
    runner.logger.info(
      this.processor.epochEndLine(runner.messageHub, mode, metrics, {
        epoch: runner.epoch,
        byEpoch: runner.byEpoch,
        iters: runner.iter,
        itersPerEpoch,
      }),
    );
    const scalars: Record<string, number> = {};
    for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number') scalars[k] = v;
    if (mode === 'val' && Object.keys(scalars).length) runner.visualizer?.addScalars(scalars, runner.iter);
  }

  override afterValEpoch(runner: Runner, metrics: Record<string, unknown>): void {
    this.epochEnd(runner, 'val', metrics);
  }

  override afterTestEpoch(runner: Runner, metrics: Record<string, unknown>): void {
    this.epochEnd(runner, 'test', metrics);
  }
}
