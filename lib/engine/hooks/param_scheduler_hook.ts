import type * as torch from '../../torch/index.js';
import { ParamScheduler, type ReduceOnPlateauParamScheduler } from '../optim/scheduler/param_scheduler.js';
import type { Runner } from '../runner/runner.js';
import { Hook, type Priority } from './hook.js';

/**
 * Steps the parameter schedulers, as MMEngine's ParamSchedulerHook: iteration-based ones after
 * every training iteration, epoch-based ones after every training epoch (a ReduceOnPlateau one
 * there only counts the epoch), and the ReduceOnPlateau ones after every validation during
 * training, with the validation's metrics. PyTorch's schedulers (torch.optim.lrScheduler) are
 * stepped per epoch or per iteration as their entry says, and a ReduceLROnPlateau after every
 * validation with its monitored metric.
 */
export class ParamSchedulerHook extends Hook {
  override priority: Priority = 'LOW';

  override afterTrainIter(runner: Runner): void {
    for (const s of runner.paramSchedulers) {
      if (s.scheduler instanceof ParamScheduler) {
        if (!s.scheduler.byEpoch) s.scheduler.step();
      } else if (!s.byEpoch && s.monitor === null) {
        s.scheduler.step();
      }
    }
  }

  override afterTrainEpoch(runner: Runner): void {
    for (const s of runner.paramSchedulers) {
      if (s.scheduler instanceof ParamScheduler) {
        if (s.scheduler.byEpoch) s.scheduler.step();
      } else if (s.byEpoch && s.monitor === null) {
        s.scheduler.step();
      }
    }
  }

  override afterValEpoch(runner: Runner, metrics: Record<string, unknown>): void {
    // Only while training: a validation of its own (runner.val()) changes no schedule.
    if (!runner.trainLoop || !metrics) return;
    for (const s of runner.paramSchedulers) {
      if (s.scheduler instanceof ParamScheduler) {
        if (s.scheduler.byEpoch && s.scheduler.needValArgs)
          (s.scheduler as ReduceOnPlateauParamScheduler).step(metrics);
        continue;
      }
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
