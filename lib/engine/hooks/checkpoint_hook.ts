// Saves checkpoints every `interval` epochs (or iterations), keeps at most `maxKeepCkpts` of
// them, writes the latest path to `workDir/last_checkpoint`, and keeps the best one by a metric,
// as MMEngine's CheckpointHook. What it must remember across a resume (the best score and file,
// the checkpoints it keeps) is in the message hub, so in every checkpoint: after a new best, the
// latest regular checkpoint is written again so that resuming from it knows that best.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
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

/** Metric names that MMEngine reads as higher-is-better or lower-is-better (matched case-insensitively). */
const GREATER_KEYS = ['acc', 'top', 'AR@', 'auc', 'precision', 'mAP', 'mDice', 'mIoU', 'mAcc', 'aAcc'];
const LESS_KEYS = ['loss'];

/** The rule of a metric without one: its name, else a part of it, among the known keys; else an Error. */
export function inferRule(key: string): 'greater' | 'less' {
  const k = key.toLowerCase();
  const greater = GREATER_KEYS.map((g) => g.toLowerCase());
  const less = LESS_KEYS.map((g) => g.toLowerCase());
  if (greater.includes(k)) return 'greater';
  if (less.includes(k)) return 'less';
  if (greater.some((g) => k.includes(g))) return 'greater';
  if (less.some((g) => k.includes(g))) return 'less';
  throw new Error(`Cannot infer the rule for key ${key}, thus a specific rule must be specified.`);
}

/** What the hook keeps in the message hub's runtime info (so in every checkpoint). */
interface HookInfo {
  best_score?: number;
  best_ckpt?: string;
  /** The steps (epochs or iterations) of the regular checkpoints kept, oldest first. */
  keep_ckpt_ids?: number[];
  last_ckpt?: string;
}

export class CheckpointHook extends Hook {
  override priority: Priority = 'VERY_LOW';
  readonly interval: number;
  readonly byEpoch: boolean;
  readonly maxKeepCkpts: number;
  readonly saveBest: string | null;
  rule: 'greater' | 'less' | null;
  readonly saveLast: boolean;
  readonly saveOptimizer: boolean;
  readonly saveParamScheduler: boolean;
  private outDir: string | undefined;
  /** The steps of the regular checkpoints kept (for maxKeepCkpts), oldest first. */
  private keepCkptIds: number[] = [];
  /** The latest regular checkpoint written. */
  lastCkpt: string | null = null;
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
    // A named metric's rule is settled now ('auto' waits for the first evaluation's first key).
    this.rule = rule ?? (this.saveBest !== null && this.saveBest !== 'auto' ? inferRule(this.saveBest) : null);
    this.saveLast = options?.saveLast ?? true;
    this.saveOptimizer = options?.saveOptimizer ?? true;
    this.saveParamScheduler = options?.saveParamScheduler ?? true;
    this.outDir = options?.outDir;
  }

  private info(runner: Runner): HookInfo {
    return runner.messageHub.getInfo<HookInfo>('checkpoint_hook') ?? {};
  }

  private updateInfo(runner: Runner, fields: HookInfo): void {
    runner.messageHub.updateInfo('checkpoint_hook', { ...this.info(runner), ...fields });
  }

  private fileOf(step: number): string {
    return join(this.outDir as string, `${this.byEpoch ? 'epoch' : 'iter'}_${step}.pth`);
  }

  override beforeTrain(runner: Runner): void {
    this.outDir ??= runner.workDir;
    const info = this.info(runner);
    if (info.best_score !== undefined) this.bestScore = info.best_score;
    if (info.best_ckpt !== undefined) this.bestCkptPath = info.best_ckpt;
    if (info.last_ckpt !== undefined) this.lastCkpt = info.last_ckpt;
    // A resumed run goes on with the checkpoints the earlier one kept.
    if (this.maxKeepCkpts > 0 && info.keep_ckpt_ids) {
      const ids = [...info.keep_ckpt_ids];
      while (ids.length > this.maxKeepCkpts) this.remove(runner, this.fileOf(ids.shift() as number));
      this.keepCkptIds = ids;
    }
  }

  private remove(runner: Runner, path: string): void {
    // Files are rank 0's (in a distributed run the others only keep the bookkeeping).
    if (runner.rank === 0 && existsSync(path)) rmSync(path);
  }

  /** Writes the regular checkpoint of `step` (again, where it is the latest kept), dropping the oldest beyond maxKeepCkpts. */
  private saveStep(runner: Runner, step: number, meta: { epoch: number; iter: number }): void {
    if (this.maxKeepCkpts > 0 && this.keepCkptIds[this.keepCkptIds.length - 1] !== step) {
      if (this.keepCkptIds.length === this.maxKeepCkpts)
        this.remove(runner, this.fileOf(this.keepCkptIds.shift() as number));
      this.keepCkptIds.push(step);
      this.updateInfo(runner, { keep_ckpt_ids: [...this.keepCkptIds] });
    }
    const path = this.fileOf(step);
    this.lastCkpt = path;
    this.updateInfo(runner, { last_ckpt: path });
    runner.saveCheckpoint(this.outDir as string, basename(path), {
      byEpoch: this.byEpoch,
      saveOptimizer: this.saveOptimizer,
      saveParamScheduler: this.saveParamScheduler,
      meta,
    });
    if (runner.rank === 0) writeFileSync(join(runner.workDir, 'last_checkpoint'), path);
  }

  private save(runner: Runner): void {
    this.outDir ??= runner.workDir;
    const step = this.byEpoch ? runner.epoch + 1 : runner.iter + 1;
    runner.logger.info(`Saving checkpoint at ${step} ${this.byEpoch ? 'epochs' : 'iterations'}`);
    this.saveStep(
      runner,
      step,
      this.byEpoch ? { epoch: step, iter: runner.iter } : { epoch: runner.epoch, iter: step },
    );
  }

  override afterTrainEpoch(runner: Runner): void {
    if (!this.byEpoch) return;
    const last = this.saveLast && runner.epoch + 1 === runner.maxEpochs;
    if (this.everyN(runner.epoch, this.interval) || last) this.save(runner);
  }

  override afterTrainIter(runner: Runner, _args: IterArgs): void {
    if (this.byEpoch) return;
    const last = this.saveLast && runner.iter + 1 === runner.maxIters;
    if (this.everyN(runner.iter, this.interval) || last) this.save(runner);
  }

  override afterValEpoch(runner: Runner, metrics: Record<string, unknown>): void {
    if (!this.saveBest || Object.keys(metrics).length === 0) return;
    this.outDir ??= runner.workDir;
    const key = this.saveBest === 'auto' ? (Object.keys(metrics)[0] as string) : this.saveBest;
    const score = metrics[key];
    if (typeof score !== 'number')
      throw new Error(
        `saveBest: the metric '${key}' is not among the evaluation results (${Object.keys(metrics).join(', ')})`,
      );
    this.rule ??= inferRule(key);
    const better =
      this.bestScore === null || (this.rule === 'greater' ? score > this.bestScore : score < this.bestScore);
    if (!better) return;
    this.bestScore = score;
    if (this.bestCkptPath) this.remove(runner, this.bestCkptPath);
    // After an evaluation the runner's epoch (iteration) counts the finished one.
    const time = this.byEpoch ? runner.epoch : runner.iter;
    const step = `${this.byEpoch ? 'epoch' : 'iter'}_${time}`;
    const filename = `best_${key.replace(/\//g, '_')}_${step}.pth`;
    this.bestCkptPath = join(this.outDir, filename);
    this.updateInfo(runner, { best_score: score, best_ckpt: this.bestCkptPath });
    const meta = { epoch: runner.epoch, iter: runner.iter };
    runner.saveCheckpoint(this.outDir, filename, {
      byEpoch: false,
      saveOptimizer: false,
      saveParamScheduler: false,
      meta,
    });
    runner.logger.info(
      `The best checkpoint with ${score.toFixed(4)} ${key} at ${step.replace('_', ' ')} is saved to ${filename}.`,
    );
    // The regular checkpoint was written before this evaluation, with the previous best: write
    // it again, so that a run resumed from it knows this best (and removes its file when beaten).
    if (this.lastCkpt !== null) this.saveStep(runner, time, meta);
  }
}
