// The base class of hooks: every stage is a method that does nothing; a hook overrides the ones
// it needs. The runner calls them in priority order (lower first), then in registration order.
import type { Runner } from '../runner/runner.js';

export const PRIORITY = {
  HIGHEST: 0,
  VERY_HIGH: 10,
  HIGH: 30,
  ABOVE_NORMAL: 40,
  NORMAL: 50,
  BELOW_NORMAL: 60,
  LOW: 70,
  VERY_LOW: 90,
  LOWEST: 100,
} as const;

/** A name of PRIORITY (upper or lower case, as MMEngine upper-cases it) or an integer 0..100. */
export type Priority = keyof typeof PRIORITY | Lowercase<keyof typeof PRIORITY> | number;

/**
 * A priority's number, as MMEngine's get_priority: a name of PRIORITY (in any case, as MMEngine
 * upper-cases it) or an integer from 0 to 100. Lower runs first.
 */
export function getPriority(priority: Priority): number {
  if (typeof priority === 'number') {
    if (!Number.isInteger(priority) || priority < 0 || priority > 100) {
      throw new RangeError(`priority must be an integer between 0 and 100, got ${priority}`);
    }
    return priority;
  }
  if (typeof priority === 'string') {
    const value = (PRIORITY as Record<string, number>)[priority.toUpperCase()];
    if (value !== undefined) return value;
    throw new Error(`priority '${priority}' is not one of ${Object.keys(PRIORITY).join(', ')}`);
  }
  throw new TypeError(`priority must be an integer or a name of PRIORITY, got ${String(priority)}`);
}

/** The former name of getPriority. */
export const priorityValue = getPriority;

/** What endOfEpoch needs of a data loader. */
export interface Sized {
  readonly length: number;
}

export interface IterArgs {
  batchIdx: number;
  dataBatch: unknown;
}

export interface AfterIterArgs extends IterArgs {
  outputs: unknown;
}

/** Names of the stages, in the order a training run meets them. */
export const STAGES = [
  'beforeRun',
  'afterLoadCheckpoint',
  'beforeTrain',
  'beforeTrainEpoch',
  'beforeTrainIter',
  'afterTrainIter',
  'afterTrainEpoch',
  'beforeVal',
  'beforeValEpoch',
  'beforeValIter',
  'afterValIter',
  'afterValEpoch',
  'afterVal',
  'beforeSaveCheckpoint',
  'afterTrain',
  'beforeTest',
  'beforeTestEpoch',
  'beforeTestIter',
  'afterTestIter',
  'afterTestEpoch',
  'afterTest',
  'afterRun',
] as const;

export type Stage = (typeof STAGES)[number];

export class Hook {
  priority: Priority = 'NORMAL';

  beforeRun(_runner: Runner): void {}
  afterLoadCheckpoint(_runner: Runner, _checkpoint: Record<string, unknown>): void {}
  beforeTrain(_runner: Runner): void {}
  beforeTrainEpoch(_runner: Runner): void {}
  beforeTrainIter(_runner: Runner, _args: IterArgs): void {}
  afterTrainIter(_runner: Runner, _args: AfterIterArgs): void {}
  afterTrainEpoch(_runner: Runner): void {}
  beforeVal(_runner: Runner): void {}
  beforeValEpoch(_runner: Runner): void {}
  beforeValIter(_runner: Runner, _args: IterArgs): void {}
  afterValIter(_runner: Runner, _args: AfterIterArgs): void {}
  afterValEpoch(_runner: Runner, _metrics: Record<string, unknown>): void {}
  afterVal(_runner: Runner): void {}
  beforeSaveCheckpoint(_runner: Runner, _checkpoint: Record<string, unknown>): void {}
  afterTrain(_runner: Runner): void {}
  beforeTest(_runner: Runner): void {}
  beforeTestEpoch(_runner: Runner): void {}
  beforeTestIter(_runner: Runner, _args: IterArgs): void {}
  afterTestIter(_runner: Runner, _args: AfterIterArgs): void {}
  afterTestEpoch(_runner: Runner, _metrics: Record<string, unknown>): void {}
  afterTest(_runner: Runner): void {}
  afterRun(_runner: Runner): void {}

  /**
   * Whether step `n` (counters start at 0) is one of every `interval` counted from `start`
   * (MMEngine's every_n_*: (n + 1 - start) a non-negative multiple of interval).
   */
  protected everyN(n: number, interval: number, start = 0): boolean {
    const since = n + 1 - start;
    return interval > 0 && since >= 0 && since % interval === 0;
  }

  // MMEngine's helpers for deciding when to act; the runner's epoch and iter count the ones done.

  /** Whether the epoch being run is one of every `n` counted from `start` (false for n <= 0). */
  everyNEpochs(runner: Runner, n: number, start = 0): boolean {
    return this.everyN(runner.epoch, n, start);
  }

  /** Whether the batch `batchIdx` of the epoch is one of every `n` (false for n <= 0). */
  everyNInnerIters(batchIdx: number, n: number): boolean {
    return this.everyN(batchIdx, n);
  }

  /** Whether the training iteration being run is one of every `n` counted from `start` (false for n <= 0). */
  everyNTrainIters(runner: Runner, n: number, start = 0): boolean {
    return this.everyN(runner.iter, n, start);
  }

  /** Whether `batchIdx` is the last batch of `dataloader`. */
  endOfEpoch(dataloader: Sized, batchIdx: number): boolean {
    return batchIdx + 1 === dataloader.length;
  }

  /** Whether the epoch being run is the last of training. */
  isLastTrainEpoch(runner: Runner): boolean {
    return runner.epoch + 1 === runner.maxEpochs;
  }

  /** Whether the iteration being run is the last of training. */
  isLastTrainIter(runner: Runner): boolean {
    return runner.iter + 1 === runner.maxIters;
  }
}
