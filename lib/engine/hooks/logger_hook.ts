import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '../../torch/index.js';
import type { Runner } from '../runner/runner.js';
import { toPythonJson } from '../visualization/vis_backend.js';
import { Hook, type IterArgs, type Priority } from './hook.js';

export interface LoggerHookOptions {
  interval?: number;
  progressBar?: boolean;
  ignoreLast?: boolean;
  logMetricByEpoch?: boolean;
}

/**
 * Training on CUDA: the most GPU memory held by tensors since the last call, in whole MiB, and
 * the peak reset (as MMEngine's LogProcessor logs `memory`); undefined on the CPU.
 */
function peakMemoryMiB(runner: Runner): number | undefined {
  const device = String(runner.device);
  if (!device.startsWith('cuda') || !torch.cuda.isAvailable()) return undefined;
  const bytes = torch.cuda.maxMemoryAllocated(runner.device);
  torch.cuda.resetPeakMemoryStats(runner.device);
  return Math.floor(bytes / (1024 * 1024));
}

/**
 * Logs training every `interval` iterations and the metrics after each evaluation, and feeds the
 * visualizer; the lines are made by the runner's LogProcessor (its `logProcessor` option). When
 * stdout is a terminal, a progress bar on one line shows every iteration in between; elsewhere
 * (a file, CI) only the plain lines appear.
 */
export class LoggerHook extends Hook {
  override priority: Priority = 'BELOW_NORMAL';
  readonly interval: number;
  readonly progressBar: boolean;
  /** Skip the last, partial window of an epoch's iterations (default true, as MMEngine). */
  readonly ignoreLast: boolean;
  /** Give the visualizer the metrics of an evaluation at the epoch (default true), else at the iteration. */
  readonly logMetricByEpoch: boolean;
  private barShown = false;

  constructor(options?: LoggerHookOptions) {
    super();
    this.interval = options?.interval ?? 10;
    this.progressBar = options?.progressBar ?? Boolean(process.stdout.isTTY);
    this.ignoreLast = options?.ignoreLast ?? true;
    this.logMetricByEpoch = options?.logMetricByEpoch ?? true;
  }

  private clearBar(): void {
    if (!this.barShown) return;
    process.stdout.write('\r\x1b[2K');
    this.barShown = false;
  }

  private drawBar(runner: Runner, done: number, total: number, label: string): void {
    if (runner.rank !== 0) return;
    const width = 30;
    const filled = Math.round((width * done) / Math.max(1, total));
    const loss = runner.messageHub.logScalars.get('train/loss');
    const tail = loss ? `  loss: ${loss.mean(runner.logProcessor.windowSize).toFixed(4)}` : '';
    process.stdout.write(
      `\r\x1b[2K${label} [${'='.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}${tail}`,
    );
    this.barShown = true;
  }

  override afterTrainIter(runner: Runner, args: IterArgs): void {
    const itersPerEpoch = runner.trainDataloader?.length ?? runner.maxIters;
    // The last, partial window of an epoch is logged where ignoreLast is off, or where an
    // epoch is no longer than the interval (else nothing of it would be).
    const endOfEpoch =
      runner.byEpoch && args.batchIdx + 1 === itersPerEpoch && (!this.ignoreLast || itersPerEpoch <= this.interval);
    if (!this.everyN(runner.byEpoch ? args.batchIdx : runner.iter, this.interval) && !endOfEpoch) {
      if (this.progressBar) {
        const [done, total, label] = runner.byEpoch
          ? [args.batchIdx + 1, itersPerEpoch, `Epoch(train) [${runner.epoch + 1}]`]
          : [runner.iter + 1, runner.maxIters, 'Iter(train)'];
        this.drawBar(runner, done, total, label);
      }
      return;
    }
    this.clearBar();
    const lp = runner.logProcessor;
    const at = { iterInEpoch: args.batchIdx, iter: runner.iter };
    const memory = peakMemoryMiB(runner);
    const line = lp.trainLine(runner.messageHub, {
      ...(memory === undefined ? {} : { memory }),
      mode: 'train',
      byEpoch: runner.byEpoch,
      epoch: runner.epoch,
      itersPerEpoch,
      maxIters: runner.maxIters,
      maxEpochs: runner.maxEpochs,
      ...at,
    });
    runner.logger.info(line);
    // MMEngine's tag: the smoothed scalars, then where the run is (epoch by epoch, and iter).
    const tag = lp.tagOf(lp.collect(runner.messageHub, 'train', lp.windowSize, at), 'train');
    if (memory !== undefined) tag.memory = memory;
    if (runner.byEpoch) tag.epoch = runner.epoch + 1;
    tag.iter = runner.iter + 1;
    runner.visualizer?.addScalars(tag, runner.iter + 1, this.jsonLogPath(runner));
  }

  override afterValIter(runner: Runner, args: IterArgs): void {
    this.evalIter(runner, 'val', args.batchIdx);
  }

  override afterTestIter(runner: Runner, args: IterArgs): void {
    this.evalIter(runner, 'test', args.batchIdx);
  }

  /** Every `interval` batches of an evaluation, a line of its progress and timings (as MMEngine); the bar in between. */
  private evalIter(runner: Runner, mode: 'val' | 'test', batchIdx: number): void {
    const total = (mode === 'val' ? runner.valDataloader : runner.testDataloader)?.length ?? 0;
    if (!this.everyN(batchIdx, this.interval)) {
      if (this.progressBar) this.drawBar(runner, batchIdx + 1, total, `Epoch(${mode})`);
      return;
    }
    this.clearBar();
    runner.logger.info(
      runner.logProcessor.evalIterLine(runner.messageHub, mode, {
        byEpoch: runner.byEpoch,
        epoch: runner.epoch,
        batchIdx,
        total,
      }),
    );
  }

  private epochEnd(runner: Runner, mode: 'val' | 'test', metrics: Record<string, unknown>): void {
    this.clearBar();
    const loader = mode === 'val' ? runner.valDataloader : runner.testDataloader;
    const itersPerEpoch = loader?.length ?? 0;
    runner.logger.info(
      runner.logProcessor.epochEndLine(runner.messageHub, mode, metrics, {
        epoch: runner.epoch,
        byEpoch: runner.byEpoch,
        iters: runner.iter,
        itersPerEpoch,
      }),
    );
    const scalars: Record<string, number> = {};
    for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number') scalars[k] = v;
    if (mode === 'val' && Object.keys(scalars).length) {
      // With the evaluation's mean timings, as MMEngine's val tag.
      const timing = runner.logProcessor.collect(runner.messageHub, mode, itersPerEpoch);
      for (const k of ['data_time', 'time']) if (k in timing) scalars[k] = timing[k] as number;
      const step = this.logMetricByEpoch ? (runner.trainLoop ? runner.epoch : 0) : runner.iter;
      runner.visualizer?.addScalars(runner.logProcessor.tagOf(scalars, mode), step, this.jsonLogPath(runner));
    }
    // As MMEngine: a test's metrics go to <logDir>/<timestamp>.json, one JSON object.
    if (mode === 'test' && runner.rank === 0 && Object.keys(scalars).length) {
      mkdirSync(runner.logDir, { recursive: true });
      writeFileSync(
        join(runner.logDir, this.jsonLogPath(runner)),
        toPythonJson(runner.logProcessor.tagOf(scalars, mode)),
      );
    }
  }

  /** MMEngine's json_log_path: the visualizer's local backend appends each logged tag to this file too. */
  private jsonLogPath(runner: Runner): string {
    return `${runner.timestamp}.json`;
  }

  override afterValEpoch(runner: Runner, metrics: Record<string, unknown>): void {
    this.epochEnd(runner, 'val', metrics);
  }

  override afterTestEpoch(runner: Runner, metrics: Record<string, unknown>): void {
    this.epochEnd(runner, 'test', metrics);
  }
}
