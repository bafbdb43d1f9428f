// Saves checkpoints every `interval` epochs (or iterations), keeps at most `maxKeepCkpts` of
// them, writes the latest path to `workDir/last_checkpoint`, and keeps the best one by a metric.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../runner/runner.js';
import { Hook, type IterArgs, type Priority } from './hook.js';

export interface CheckpointHookOptions {
  interval?: number;
  byEpoch?: boolean;
  /** -1 keeps them all. */
  maxKeepCkpts?: number;
  /** A metric name to keep the best checkpoint by ('auto': the first metric). */
  saveBest?: string | null;
  rule?: 'greater' | 'less';
  saveLast?: boolean;
  saveOptimizer?: boolean;
  saveParamScheduler?: boolean;
  outDir?: string;
}

export class CheckpointHook extends Hook {
  override priority: Priority = 'VERY_LOW';
  readonly interval: number;
  readonly byEpoch: boolean;
  readonly maxKeepCkpts: number;
  readonly saveBest: string | null;
  readonly rule: 'greater' | 'less' | null;
  readonly saveLast: boolean;
  readonly saveOptimizer: boolean;
  readonly saveParamScheduler: boolean;
  private outDir: string | undefined;
  private readonly kept: string[] = [];
  bestScore: number | null = null;
  bestCkptPath: string | null = null;

  constructor(options?: CheckpointHookOptions) {
    super();
    this.interval = options?.interval ?? 1;
    this.byEpoch = options?.byEpoch ?? true;
    this.maxKeepCkpts = options?.maxKeepCkpts ?? -1;
    this.saveBest = options?.saveBest ?? null;
    const rule = options?.rule ?? null;
    if (rule !== null && rule !== 'greater' && rule !== 'less')
      throw new Error(`rule must be greater, less or None, got ${String(rule)}`);
    this.rule = rule;
    this.saveLast = options?.saveLast ?? true;
    this.saveOptimizer = options?.saveOptimizer ?? true;
    this.saveParamScheduler = options?.saveParamScheduler ?? true;
    this.outDir = options?.outDir;
  }

  override beforeTrain(runner: Runner): void {
    this.outDir ??= runner.workDir;
    const info = runner.messageHub.getInfo<{ best_score?: number; best_ckpt?: string }>('checkpoint_hook');
    if (info?.best_score !== undefined) this.bestScore = info.best_score;
    if (info?.best_ckpt !== undefined) this.bestCkptPath = info.best_ckpt;
  }

  private save(runner: Runner, filename: string): void {
    const dir = this.outDir ?? runner.workDir;
    const path = join(dir, filename);
    runner.saveCheckpoint(dir, filename, {
      byEpoch: this.byEpoch,
      saveOptimizer: this.saveOptimizer,
      saveParamScheduler: this.saveParamScheduler,
    });
    // Files are rank 0's (in a distributed run the others only keep the bookkeeping).
    const main = runner.rank === 0;
    if (main) writeFileSync(join(runner.workDir, 'last_checkpoint'), path);
    this.kept.push(path);
    if (this.maxKeepCkpts > 0) {
      while (this.kept.length > this.maxKeepCkpts) {
        const old = this.kept.shift() as string;
        if (main && existsSync(old)) rmSync(old);
      }
    }
    runner.logger.info(
      `Saving checkpoint at ${this.byEpoch ? `${runner.epoch + 1} epochs` : `${runner.iter + 1} iterations`}`,
    );
  }

  override afterTrainEpoch(runner: Runner): void {
    if (!this.byEpoch) return;
    const last = this.saveLast && runner.epoch + 1 === runner.maxEpochs;
    if (this.everyN(runner.epoch, this.interval) || last) this.save(runner, `epoch_${runner.epoch + 1}.pth`);
  }

  override afterTrainIter(runner: Runner, _args: IterArgs): void {
    if (this.byEpoch) return;
    const last = this.saveLast && runner.iter + 1 === runner.maxIters;
    if (this.everyN(runner.iter, this.interval) || last) this.save(runner, `iter_${runner.iter + 1}.pth`);
  }

  override afterValEpoch(runner: Runner, metrics: Record<string, unknown>): void {
    if (!this.saveBest || Object.keys(metrics).length === 0) return;
    const key = this.saveBest === 'auto' ? (Object.keys(metrics)[0] as string) : this.saveBest;
    const score = metrics[key];
    if (typeof score !== 'number')
      throw new Error(
        `saveBest: the metric '${key}' is not among the evaluation results (${Object.keys(metrics).join(', ')})`,
      );
    const rule = this.rule ?? (/loss/.test(key) ? 'less' : 'greater');
    const better = this.bestScore === null || (rule === 'greater' ? score > this.bestScore : score < this.bestScore);
    if (!better) return;
    this.bestScore = score;
    if (runner.rank === 0 && this.bestCkptPath && existsSync(this.bestCkptPath)) rmSync(this.bestCkptPath);
    const step = this.byEpoch ? `epoch_${runner.epoch}` : `iter_${runner.iter}`;
    const filename = `best_${key.replace(/\//g, '_')}_${step}.pth`;
    const dir = this.outDir ?? runner.workDir;
    this.bestCkptPath = join(dir, filename);
    runner.messageHub.updateInfo('checkpoint_hook', { best_score: score, best_ckpt: this.bestCkptPath });
    runner.saveCheckpoint(dir, filename, { byEpoch: this.byEpoch, saveOptimizer: false, saveParamScheduler: false });
    runner.logger.info(
      `The best checkpoint with ${score.toFixed(4)} ${key} at ${step.replace('_', ' ')} is saved to ${filename}.`,
    );
  }
}
