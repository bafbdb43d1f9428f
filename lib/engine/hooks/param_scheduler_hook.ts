import type * as torch from '../../torch/index.js';
import type { Runner } from '../runner/runner.js';
import { Hook, type Priority } from './hook.js';

/**
 * Steps the parameter schedulers: iteration-based ones after every iteration, epoch-based ones
 * after every epoch, and a ReduceLROnPlateau after every validation, with its monitored metric
 * (as MMEngine's ParamSchedulerHook steps schedulers that need the validation's results).
 */
export class ParamSchedulerHook extends Hook {
  override priority: Priority = 'LOW';

  override afterTrainIter(runner: Runner): void {
    for (const s of runner.paramSchedulers) if (!s.byEpoch && s.monitor === null) s.scheduler.step();
  }

  override afterTrainEpoch(runner: Runner): void {
    for (const s of runner.paramSchedulers) if (s.byEpoch && s.monitor === null) s.scheduler.step();
  }

  override afterValEpoch(runner: Runner, metrics: Record<string, unknown>): void {
    // Only while training: a validation of its own (runner.val()) changes no schedule.
    if (!runner.trainLoop) return;
    for (const s of runner.paramSchedulers) {
      if (s.monitor === null) continue;
      const value = metrics[s.monitor];
      if (typeof value !== 'number') {
        throw new Error(
          `ReduceLROnPlateau: the monitored metric '${s.monitor}' is not among the validation results (${Object.keys(metrics).join(', ')}); set monitor in its paramScheduler entry`,
        );
      }
      (s.scheduler as torch.optim.lrScheduler.ReduceLROnPlateau).step(value);
    }
  }
}
