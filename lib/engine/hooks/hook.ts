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

export type Priority = keyof typeof PRIORITY | number;

export const priorityValue = (p: Priority): number => (typeof p === 'number' ? p : PRIORITY[p]);

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
}
