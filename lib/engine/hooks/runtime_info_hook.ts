// Keeps the message hub current, as MMEngine's RuntimeInfoHook: the run's seed and name before
// it; epoch, iter, the lengths and the train dataset's metainfo before training; the lr before
// each iteration; the log variables after it; the metrics after an evaluation (scalars, numbers
// or one-element tensors, as scalars; anything else as info); and `loop_stage` ('train', 'val',
// 'test') while a loop runs. A validation inside training puts 'train' back when it ends.
import { isScalar, scalarValue } from '../logging/scalar.js';
import type { Runner } from '../runner/runner.js';
import { type AfterIterArgs, Hook, type Priority } from './hook.js';

export class RuntimeInfoHook extends Hook {
  override priority: Priority = 'VERY_HIGH';
  /** The stage a validation interrupted (MMEngine's last_loop_stage). */
  private lastLoopStage: unknown = undefined;

  override beforeRun(runner: Runner): void {
    runner.messageHub.updateInfo('experiment_name', runner.experimentName);
    runner.messageHub.updateInfo('seed', runner.seed);
    this.lastLoopStage = undefined;
  }

  override beforeTrain(runner: Runner): void {
    const hub = runner.messageHub;
    hub.updateInfo('loop_stage', 'train');
    hub.updateInfo('epoch', runner.epoch);
    hub.updateInfo('iter', runner.iter);
    hub.updateInfo('max_epochs', runner.maxEpochs);
    hub.updateInfo('max_iters', runner.maxIters);
    const meta = (runner.trainDataloader?.dataset as { metainfo?: unknown } | undefined)?.metainfo;
    if (meta !== undefined) hub.updateInfo('dataset_meta', meta);
  }

  override afterTrain(runner: Runner): void {
    runner.messageHub.popInfo('loop_stage');
  }

  override beforeTrainEpoch(runner: Runner): void {
    runner.messageHub.updateInfo('epoch', runner.epoch);
  }

  override beforeTrainIter(runner: Runner): void {
    const hub = runner.messageHub;
    hub.updateInfo('iter', runner.iter);
    const lrs = runner.optimWrapper?.getLr() ?? {};
    for (const [name, values] of Object.entries(lrs)) {
      if (values[0] !== undefined) hub.updateScalar(`train/${name}`, values[0]);
    }
  }

  override afterTrainIter(runner: Runner, args: AfterIterArgs): void {
    const outputs = args.outputs as Record<string, unknown> | null | undefined;
    if (outputs === null || typeof outputs !== 'object') return;
    for (const [k, v] of Object.entries(outputs)) {
      if (isScalar(v)) runner.messageHub.updateScalar(`train/${k}`, scalarValue(v, k));
    }
  }

  override beforeVal(runner: Runner): void {
    this.lastLoopStage = runner.messageHub.getInfo('loop_stage');
    runner.messageHub.updateInfo('loop_stage', 'val');
  }

  override afterValEpoch(runner: Runner, metrics: Record<string, unknown>): void {
    this.recordMetrics(runner, 'val', metrics);
  }

  override afterVal(runner: Runner): void {
    // A validation run by the train loop gives the stage back to training.
    if (this.lastLoopStage === 'train') {
      runner.messageHub.updateInfo('loop_stage', 'train');
      this.lastLoopStage = undefined;
    } else runner.messageHub.popInfo('loop_stage');
  }

  override beforeTest(runner: Runner): void {
    runner.messageHub.updateInfo('loop_stage', 'test');
  }

  override afterTestEpoch(runner: Runner, metrics: Record<string, unknown>): void {
    this.recordMetrics(runner, 'test', metrics);
  }

  override afterTest(runner: Runner): void {
    runner.messageHub.popInfo('loop_stage');
  }

  private recordMetrics(runner: Runner, mode: 'val' | 'test', metrics: Record<string, unknown> | undefined): void {
    for (const [k, v] of Object.entries(metrics ?? {})) {
      if (isScalar(v)) runner.messageHub.updateScalar(`${mode}/${k}`, scalarValue(v, k));
      else runner.messageHub.updateInfo(`${mode}/${k}`, v);
    }
  }
}
