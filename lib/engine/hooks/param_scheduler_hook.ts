import type { Runner } from '../runner/runner.js';
import { Hook, type Priority } from './hook.js';

/** Steps the parameter schedulers: iteration-based ones after every iteration, epoch-based ones after every epoch. */
export class ParamSchedulerHook extends Hook {
  override priority: Priority = 'LOW';

  override afterTrainIter(runner: Runner): void {
    for (const s of runner.paramSchedulers) if (!s.byEpoch) s.scheduler.step();
  }

  override afterTrainEpoch(runner: Runner): void {
    for (const s of runner.paramSchedulers) if (s.byEpoch) s.scheduler.step();
  }
}
