import type { Runner } from '../runner/runner.js';
import { Hook, type Priority } from './hook.js';

type Mode = 'train' | 'val' | 'test';

/**
 * Measures `data_time` (waiting for the next batch) and `time` (a whole iteration) into the
 * message hub as `<mode>/data_time` and `<mode>/time`, and keeps the ETA for training.
 */
export class IterTimerHook extends Hook {
  override priority: Priority = 'NORMAL';
  private last = 0;
  private trainStart = 0;
  private itersDone = 0;

  private start(): void {
    this.last = performance.now();
  }

  private beforeIter(runner: Runner, mode: Mode): void {
    const now = performance.now();
    runner.messageHub.updateScalar(`${mode}/data_time`, (now - this.last) / 1000);
  }

  private afterIter(runner: Runner, mode: Mode): void {
    const now = performance.now();
    runner.messageHub.updateScalar(`${mode}/time`, (now - this.last) / 1000);
    this.last = now;
    if (mode === 'train') {
      this.itersDone++;
      const perIter = (now - this.trainStart) / 1000 / this.itersDone;
      runner.messageHub.updateInfo('eta', perIter * (runner.maxIters - runner.iter - 1));
    }
  }

  override beforeTrain(runner: Runner): void {
    this.trainStart = performance.now();
    this.itersDone = 0;
    void runner;
  }
  override beforeTrainEpoch(): void {
    this.start();
  }
  override beforeValEpoch(): void {
    this.start();
  }
  override beforeTestEpoch(): void {
    this.start();
  }
  override beforeTrainIter(runner: Runner): void {
    this.beforeIter(runner, 'train');
  }
  override beforeValIter(runner: Runner): void {
    this.beforeIter(runner, 'val');
  }
  override beforeTestIter(runner: Runner): void {
    this.beforeIter(runner, 'test');
  }
  override afterTrainIter(runner: Runner): void {
    this.afterIter(runner, 'train');
  }
  override afterValIter(runner: Runner): void {
    this.afterIter(runner, 'val');
  }
  override afterTestIter(runner: Runner): void {
    this.afterIter(runner, 'test');
  }
}
