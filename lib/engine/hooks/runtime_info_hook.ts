import type { Runner } from '../runner/runner.js';
import { type AfterIterArgs, Hook, type Priority } from './hook.js';

/** Keeps the message hub current: epoch, iter, lr before each iteration; log variables after it; metrics after evaluation. */
export class RuntimeInfoHook extends Hook {
  override priority: Priority = 'VERY_HIGH';

  override beforeRun(runner: Runner): void {
    runner.messageHub.updateInfo('experiment_name', runner.experimentName);
  }

  override beforeTrain(runner: Runner): void {
    const hub = runner.messageHub;
    hub.updateInfo('epoch', runner.epoch);
    hub.updateInfo('iter', runner.iter);
    hub.updateInfo('max_epochs', runner.maxEpochs);
    hub.updateInfo('max_iters', runner.maxIters);
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
    const outputs = args.outputs as Record<string, number> | undefined;
    for (const [k, v] of Object.entries(outputs ?? {}))
      if (typeof v === 'number') runner.messageHub.updateScalar(`train/${k}`, v);
  }

  override afterValEpoch(runner: Runner, metrics: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(metrics)) {
      if (typeof v === 'number') runner.messageHub.updateScalar(`val/${k}`, v);
      else runner.messageHub.updateInfo(`val/${k}`, v);
    }
  }

  override afterTestEpoch(runner: Runner, metrics: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(metrics)) {
      if (typeof v === 'number') runner.messageHub.updateScalar(`test/${k}`, v);
      else runner.messageHub.updateInfo(`test/${k}`, v);
    }
  }
}
