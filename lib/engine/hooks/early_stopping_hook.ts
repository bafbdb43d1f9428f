// Stops training when a validation metric stops improving, as MMEngine's EarlyStoppingHook: after
// each validation the `monitor` metric is compared with the best so far; a score that does not
// beat it by `minDelta` counts one, and `patience` such in a row stop the training loop (it
// finishes the current epoch or iteration). A non-finite score (with checkFinite) or one past
// `stoppingThreshold` stops at once.
import type { Runner } from '../runner/runner.js';
import { inferRule } from './checkpoint_hook.js';
import { Hook, type Priority } from './hook.js';

export interface EarlyStoppingHookOptions {
  /** The metric watched, as the evaluator names it ('accuracy/top1'). */
  monitor: string;
  /** Whether higher is better; default inferred from the name as CheckpointHook does. */
  rule?: 'greater' | 'less' | null;
  /** How much a score must beat the best by to count as better (default 0.1). */
  minDelta?: number;
  /** An Error when the metric is missing (default false: a warning, and no decision). */
  strict?: boolean;
  /** Stop when the score is NaN or infinite (default true). */
  checkFinite?: boolean;
  /** Validations without improvement before stopping (default 5). */
  patience?: number;
  /** Stop as soon as the score is better than this. */
  stoppingThreshold?: number | null;
}

export class EarlyStoppingHook extends Hook {
  override priority: Priority = 'LOWEST';
  readonly monitor: string;
  readonly rule: 'greater' | 'less';
  /** Signed: added to the best score before comparing (negative for 'less'). */
  readonly minDelta: number;
  readonly strict: boolean;
  readonly checkFinite: boolean;
  readonly patience: number;
  readonly stoppingThreshold: number | null;
  /** Validations in a row without improvement. */
  waitCount = 0;
  bestScore: number;

  constructor(options: EarlyStoppingHookOptions) {
    super();
    if (typeof options?.monitor !== 'string')
      throw new TypeError('EarlyStoppingHook: monitor (a metric name) is required');
    this.monitor = options.monitor;
    const rule = options.rule ?? null;
    if (rule !== null && rule !== 'greater' && rule !== 'less')
      throw new Error(`EarlyStoppingHook: rule should be either "greater" or "less", but got ${String(rule)}`);
    this.rule = rule ?? inferRule(this.monitor);
    const minDelta = options.minDelta ?? 0.1;
    this.minDelta = this.rule === 'greater' ? minDelta : -minDelta;
    this.strict = options.strict ?? false;
    this.checkFinite = options.checkFinite ?? true;
    this.patience = options.patience ?? 5;
    this.stoppingThreshold = options.stoppingThreshold ?? null;
    this.bestScore = this.rule === 'greater' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }

  private better(a: number, b: number): boolean {
    return this.rule === 'greater' ? a > b : a < b;
  }

  /** Whether `score` stops training, and why (MMEngine's _check_stop_condition). */
  check(score: number): { stop: boolean; reason: string } {
    if (this.checkFinite && !Number.isFinite(score))
      return {
        stop: true,
        reason: `Monitored metric ${this.monitor} = ${score} is infinite. Previous best value was ${this.bestScore.toFixed(3)}.`,
      };
    if (this.stoppingThreshold !== null && this.better(score, this.stoppingThreshold)) {
      this.bestScore = score;
      return {
        stop: true,
        reason: `Stopping threshold reached: \`${this.monitor}\` = ${score} is ${this.rule} than ${this.stoppingThreshold}.`,
      };
    }
    if (this.better(this.bestScore + this.minDelta, score)) {
      this.waitCount += 1;
      if (this.waitCount >= this.patience)
        return {
          stop: true,
          reason: `the monitored metric did not improve in the last ${this.waitCount} records. best score: ${this.bestScore.toFixed(3)}. `,
        };
      return { stop: false, reason: '' };
    }
    this.bestScore = score;
    this.waitCount = 0;
    return { stop: false, reason: '' };
  }

  override afterValEpoch(runner: Runner, metrics: Record<string, unknown>): void {
    const score = metrics[this.monitor];
    if (typeof score !== 'number') {
      const message = `Early stopping conditioned on metric \`${this.monitor}\`, which the evaluation results (${Object.keys(metrics).join(', ')}) do not include`;
      if (this.strict) throw new Error(`${message}; set strict: false in EarlyStoppingHook to go on without it`);
      runner.logger.warning(`${message}: skipped`);
      return;
    }
    const { stop, reason } = this.check(score);
    if (stop && runner.trainLoop) {
      runner.trainLoop.stopTraining = true;
      runner.logger.info(reason);
    }
  }
}
