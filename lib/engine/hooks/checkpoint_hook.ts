// Saves checkpoints every `interval` epochs (or iterations) from `saveBegin` on, keeps at most
// `maxKeepCkpts` of them, writes the latest path to `workDir/last_checkpoint`, keeps the best one
// by each metric of `saveBest`, and publishes the last and best ones with only `publishedKeys`
// after training, as MMEngine's CheckpointHook. What it must remember across a resume (the best
// scores and files, the checkpoints it keeps, the latest) is in the message hub's runtime info
// under MMEngine's keys, so in every checkpoint: after a new best, the latest regular checkpoint
// is written again so that resuming from it knows that best.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as torch from '../../torch/index.js';
import type { Runner } from '../runner/runner.js';
import { Hook, type IterArgs, type Priority } from './hook.js';

type Rule = 'greater' | 'less';

export interface CheckpointHookOptions {
  interval?: number;
  byEpoch?: boolean;
  /** -1 keeps them all. */
  maxKeepCkpts?: number;
  /** Metric name(s) to keep the best checkpoint by ('auto', alone: the first metric of the first evaluation). */
  saveBest?: string | string[] | null;
  /** One rule for all of saveBest, or one per name; null: inferred from the names (see inferRule). */
  rule?: Rule | null | (Rule | null)[];
  /** Names read as higher-is-better when inferring a rule (replace MMEngine's list). */
  greaterKeys?: string[];
  /** Names read as lower-is-better when inferring a rule (replace MMEngine's list). */
  lessKeys?: string[];
  saveLast?: boolean;
  saveOptimizer?: boolean;
  saveParamScheduler?: boolean;
  /** Where checkpoints go: `outDir/<last folder of workDir>` (default: workDir itself). */
  outDir?: string;
  /** The file name, with one `{}` for the epoch (iteration): default 'epoch_{}.pth' / 'iter_{}.pth'. */
  filenameTmpl?: string;
  /** The epoch (iteration) the interval counts from: with interval 2 and saveBegin 3, 3, 5, 7, ... (default 0). */
  saveBegin?: number;
  /** After training, the last and best checkpoints are written again with only these keys, as `<name>-<sha256[:8]>.pth`. */
  publishedKeys?: string | string[] | null;
}

/** Metric names that MMEngine reads as higher-is-better or lower-is-better (matched case-insensitively). */
export const DEFAULT_GREATER_KEYS = ['acc', 'top', 'AR@', 'auc', 'precision', 'mAP', 'mDice', 'mIoU', 'mAcc', 'aAcc'];
export const DEFAULT_LESS_KEYS = ['loss'];

/** The rule of a metric without one: its name, else a part of it, among the known keys; else an Error. */
export function inferRule(key: string, greaterKeys = DEFAULT_GREATER_KEYS, lessKeys = DEFAULT_LESS_KEYS): Rule {
  const k = key.toLowerCase();
  const greater = greaterKeys.map((g) => g.toLowerCase());
  const less = lessKeys.map((g) => g.toLowerCase());
  if (greater.includes(k)) return 'greater';
  if (less.includes(k)) return 'less';
  if (greater.some((g) => k.includes(g))) return 'greater';
  if (less.some((g) => k.includes(g))) return 'less';
  throw new Error(`Cannot infer the rule for key ${key}, thus a specific rule must be specified.`);
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

export class CheckpointHook extends Hook {
  override priority: Priority = 'VERY_LOW';
  readonly interval: number;
  readonly byEpoch: boolean;
  readonly maxKeepCkpts: number;
  /** The metrics kept the best of (null: none). */
  readonly saveBest: string[] | null;
  /** The rule of each of saveBest; null until inferred ('auto' waits for the first evaluation). */
  rules: (Rule | null)[];
  readonly greaterKeys: string[];
  readonly lessKeys: string[];
  readonly saveLast: boolean;
  readonly saveOptimizer: boolean;
  readonly saveParamScheduler: boolean;
  readonly filenameTmpl: string;
  readonly saveBegin: number;
  readonly publishedKeys: string[] | null;
  private outDir: string | undefined;
  private readonly outRoot: string | undefined;
  /** The steps of the regular checkpoints kept (for maxKeepCkpts), oldest first. */
  private keepCkptIds: number[] = [];
  /** The latest regular checkpoint written. */
  lastCkpt: string | null = null;
  /** The best checkpoint of each metric of saveBest (after 'auto' is settled, under the metric's name). */
  readonly bestCkptPaths = new Map<string, string>();

  constructor(options?: CheckpointHookOptions) {
    super();
    const name = 'CheckpointHook';
    this.interval = options?.interval ?? 1;
    this.byEpoch = options?.byEpoch ?? true;
    this.maxKeepCkpts = options?.maxKeepCkpts ?? -1;
    this.saveLast = options?.saveLast ?? true;
    this.saveOptimizer = options?.saveOptimizer ?? true;
    this.saveParamScheduler = options?.saveParamScheduler ?? true;
    this.outRoot = options?.outDir;

    this.filenameTmpl = options?.filenameTmpl ?? (this.byEpoch ? 'epoch_{}.pth' : 'iter_{}.pth');
    if (typeof this.filenameTmpl !== 'string' || this.filenameTmpl.split('{}').length !== 2)
      throw new TypeError(`${name}: filenameTmpl must hold one and only one {}, got ${String(this.filenameTmpl)}`);

    this.saveBegin = options?.saveBegin ?? 0;
    if (!Number.isInteger(this.saveBegin) || this.saveBegin < 0)
      throw new Error(`${name}: saveBegin should not be less than 0, but got ${this.saveBegin}`);

    const best = options?.saveBest ?? null;
    if (best !== null && typeof best !== 'string' && !isStringList(best))
      throw new TypeError(`${name}: saveBest should be a string, an array of strings or null`);
    this.saveBest = best === null ? null : typeof best === 'string' ? [best] : [...best];
    if (this.saveBest) {
      if (this.saveBest.includes('auto') && this.saveBest.length > 1)
        throw new Error(`${name}: 'auto' in saveBest must be alone`);
      if (new Set(this.saveBest).size !== this.saveBest.length)
        throw new Error(`${name}: saveBest names a metric twice: ${this.saveBest.join(', ')}`);
    }

    const rule = options?.rule ?? null;
    const rules = Array.isArray(rule) ? [...rule] : [rule];
    for (const r of rules)
      if (r !== null && r !== 'greater' && r !== 'less')
        throw new Error(`${name}: rule must be greater, less or None, but got ${String(r)}`);
    if (Array.isArray(rule) && rule.length !== 1 && rule.length !== (this.saveBest?.length ?? 0))
      throw new Error(
        `${name}: the number of rules must be 1 or that of saveBest (${this.saveBest?.length ?? 0}), but got ${rule.length}`,
      );

    const keys = (v: unknown, what: string, fallback: string[]): string[] => {
      if (v === undefined || v === null) return fallback;
      const list = typeof v === 'string' ? [v] : v;
      if (!isStringList(list)) throw new TypeError(`${name}: ${what} must be an array of strings`);
      return [...list];
    };
    this.greaterKeys = keys(options?.greaterKeys, 'greaterKeys', DEFAULT_GREATER_KEYS);
    this.lessKeys = keys(options?.lessKeys, 'lessKeys', DEFAULT_LESS_KEYS);
    // Named metrics' rules are settled now ('auto' waits for the first evaluation's first key).
    this.rules = this.settleRules(rules, this.saveBest ?? []);

    const published = options?.publishedKeys ?? null;
    if (published !== null && typeof published !== 'string' && !isStringList(published))
      throw new TypeError(`${name}: publishedKeys should be a string, an array of strings or null`);
    this.publishedKeys = published === null ? null : typeof published === 'string' ? [published] : [...published];
    if (this.publishedKeys && new Set(this.publishedKeys).size !== this.publishedKeys.length)
      throw new Error(`${name}: publishedKeys names a key twice: ${this.publishedKeys.join(', ')}`);
  }

  /** One rule per metric: the given one, else inferred from the name ('auto' stays null). */
  private settleRules(rules: (Rule | null)[], metrics: string[]): (Rule | null)[] {
    const all = rules.length === 1 ? metrics.map(() => rules[0] ?? null) : rules;
    return metrics.map((m, i) => all[i] ?? (m === 'auto' ? null : inferRule(m, this.greaterKeys, this.lessKeys)));
  }

  /** The rule of the single metric of saveBest (null: none yet, or several metrics). */
  get rule(): Rule | null {
    return this.rules.length === 1 ? (this.rules[0] ?? null) : null;
  }

  /** The best checkpoint of the single metric of saveBest (null: none yet, or several metrics). */
  get bestCkptPath(): string | null {
    return this.saveBest?.length === 1 ? ([...this.bestCkptPaths.values()][0] ?? null) : null;
  }

  /** The message hub keys of a metric's best score and file: MMEngine's, plain for a single metric. */
  private hubKeys(metric: string): { score: string; ckpt: string } {
    return (this.saveBest?.length ?? 0) === 1
      ? { score: 'best_score', ckpt: 'best_ckpt' }
      : { score: `best_score_${metric}`, ckpt: `best_ckpt_${metric}` };
  }

  private fileOf(step: number): string {
    return join(this.outDir as string, this.filenameTmpl.replace('{}', String(step)));
  }

  private resolveOutDir(runner: Runner): string {
    if (this.outDir === undefined) {
      const root = this.outRoot ?? runner.workDir;
      // As MMEngine: an outDir of one's own gets the experiment's folder name under it.
      this.outDir = root === runner.workDir ? root : join(root, basename(runner.workDir.replace(/[/\\]+$/, '')));
    }
    return this.outDir;
  }

  override beforeTrain(runner: Runner): void {
    runner.logger.info(`Checkpoints will be saved to ${this.resolveOutDir(runner)}.`);
    const hub = runner.messageHub;
    for (const metric of this.saveBest ?? []) {
      const path = hub.getInfo<string>(this.hubKeys(metric).ckpt);
      if (path !== undefined) this.bestCkptPaths.set(metric, path);
    }
    const last = hub.getInfo<string>('last_ckpt');
    if (last !== undefined) this.lastCkpt = last;
    // A resumed run goes on with the checkpoints the earlier one kept.
    const kept = hub.getInfo<number[]>('keep_ckpt_ids');
    if (this.maxKeepCkpts > 0 && kept) {
      const ids = [...kept];
      while (ids.length > this.maxKeepCkpts) this.remove(runner, this.fileOf(ids.shift() as number));
      this.keepCkptIds = ids;
    }
  }

  /** Removes a checkpoint file; true where there was one. */
  private remove(runner: Runner, path: string): boolean {
    // Files are rank 0's (in a distributed run the others only keep the bookkeeping).
    if (runner.rank !== 0 || !existsSync(path)) return false;
    rmSync(path);
    return true;
  }

  /** Writes the regular checkpoint of `step` (again, where it is the latest kept), dropping the oldest beyond maxKeepCkpts. */
  private saveStep(runner: Runner, step: number, meta: { epoch: number; iter: number }): void {
    if (this.maxKeepCkpts > 0 && this.keepCkptIds[this.keepCkptIds.length - 1] !== step) {
      if (this.keepCkptIds.length === this.maxKeepCkpts)
        this.remove(runner, this.fileOf(this.keepCkptIds.shift() as number));
      this.keepCkptIds.push(step);
      runner.messageHub.updateInfo('keep_ckpt_ids', [...this.keepCkptIds]);
    }
    const path = this.fileOf(step);
    this.lastCkpt = path;
    runner.messageHub.updateInfo('last_ckpt', path);
    runner.saveCheckpoint(this.outDir as string, basename(path), {
      byEpoch: this.byEpoch,
      saveOptimizer: this.saveOptimizer,
      saveParamScheduler: this.saveParamScheduler,
      meta,
    });
    if (runner.rank === 0) writeFileSync(join(runner.workDir, 'last_checkpoint'), path);
  }

  private save(runner: Runner): void {
    this.resolveOutDir(runner);
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
    if (this.everyN(runner.epoch, this.interval, this.saveBegin) || last) this.save(runner);
  }

  override afterTrainIter(runner: Runner, _args: IterArgs): void {
    if (this.byEpoch) return;
    const last = this.saveLast && runner.iter + 1 === runner.maxIters;
    if (this.everyN(runner.iter, this.interval, this.saveBegin) || last) this.save(runner);
  }

  override afterValEpoch(runner: Runner, metrics: Record<string, unknown>): void {
    if (!this.saveBest) return;
    if (Object.keys(metrics).length === 0) {
      runner.logger.warning('The evaluation gave no metrics: no best checkpoint is considered this time.');
      return;
    }
    const outDir = this.resolveOutDir(runner);
    if (this.saveBest[0] === 'auto') {
      const first = Object.keys(metrics)[0] as string;
      this.saveBest.splice(0, 1, first);
      this.rules = this.settleRules(this.rules, [first]);
      const resumed = this.bestCkptPaths.get('auto');
      this.bestCkptPaths.delete('auto');
      if (resumed !== undefined) this.bestCkptPaths.set(first, resumed);
    }
    // After an evaluation the runner's epoch (iteration) counts the finished one.
    const time = this.byEpoch ? runner.epoch : runner.iter;
    const unit = this.byEpoch ? 'epoch' : 'iter';
    const meta = { epoch: runner.epoch, iter: runner.iter };
    let updated = false;
    this.saveBest.forEach((key, i) => {
      const score = metrics[key];
      if (typeof score !== 'number')
        throw new Error(
          `saveBest: the metric '${key}' is not among the evaluation results (${Object.keys(metrics).join(', ')})`,
        );
      const rule = this.rules[i] as Rule;
      const hubKeys = this.hubKeys(key);
      const best = runner.messageHub.getInfo<number>(hubKeys.score);
      if (best !== undefined && !(rule === 'greater' ? score > best : score < best)) return;
      updated = true;
      runner.messageHub.updateInfo(hubKeys.score, score);
      const previous = this.bestCkptPaths.get(key);
      if (previous && this.remove(runner, previous))
        runner.logger.info(`The previous best checkpoint ${previous} is removed`);
      const filename = `best_${key}_${this.filenameTmpl.replace('{}', String(time))}`.replace(/\//g, '_');
      const path = join(outDir, filename);
      this.bestCkptPaths.set(key, path);
      runner.messageHub.updateInfo(hubKeys.ckpt, path);
      runner.saveCheckpoint(outDir, filename, {
        byEpoch: false,
        saveOptimizer: false,
        saveParamScheduler: false,
        meta,
      });
      runner.logger.info(
        `The best checkpoint with ${score.toFixed(4)} ${key} at ${time} ${unit} is saved to ${filename}.`,
      );
    });
    // The regular checkpoint was written before this evaluation, with the previous best: write
    // it again, so that a run resumed from it knows this best (and removes its file when beaten).
    if (updated && this.lastCkpt !== null) this.saveStep(runner, time, meta);
  }

  override afterTrain(runner: Runner): void {
    if (this.publishedKeys === null) return;
    if (this.saveLast && this.lastCkpt !== null) this.publish(runner, this.lastCkpt);
    for (const path of this.bestCkptPaths.values()) this.publish(runner, path);
  }

  /** Writes `path` again with only publishedKeys, named after the first 8 hex digits of its content's SHA-256. */
  private publish(runner: Runner, path: string): void {
    if (runner.rank !== 0) return;
    const keys = this.publishedKeys as string[];
    const stem = path.replace(/\.[^./\\]*$/, '');
    const staging = `${stem}.publishing.pth`;
    torch.scope(() => {
      // No mapLocation, as MMEngine's _load_checkpoint: tensors go back where they were saved
      // from, so the published file records the same locations.
      const checkpoint = torch.load(path) as Record<string, unknown>;
      const removed = Object.keys(checkpoint).filter((k) => !keys.includes(k));
      for (const k of removed) delete checkpoint[k];
      if (removed.length)
        runner.logger.info(
          `Key [${removed.join(', ')}] will be removed because they are not found in publishedKeys. If you want to keep them, please set them in publishedKeys`,
        );
      torch.save(checkpoint, staging);
    });
    const sha = createHash('sha256').update(readFileSync(staging)).digest('hex');
    const final = `${stem}-${sha.slice(0, 8)}.pth`;
    renameSync(staging, final);
    runner.logger.info(`The checkpoint (${path}) is published to ${final}.`);
  }
}
