import type { Runner } from '../runner/runner.js';
import { Hook, type Priority } from './hook.js';

/** Tells the train dataloader (and its sampler) which epoch starts, so that shuffling differs per epoch but is repeatable. */
export class DistSamplerSeedHook extends Hook {
  override priority: Priority = 'NORMAL';

  override beforeTrainEpoch(runner: Runner): void {
    const loader = runner.trainDataloader as {
      setEpoch?(e: number): void;
      sampler?: { setEpoch?(e: number): void };
    } | null;
    if (loader?.setEpoch) loader.setEpoch(runner.epoch);
    else loader?.sampler?.setEpoch?.(runner.epoch);
  }
}
