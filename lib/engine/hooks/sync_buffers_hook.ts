// Averages the model's buffers over the ranks of a distributed run at the end of each training
// epoch (and before a validation that no training epoch preceded), as MMEngine's SyncBuffersHook:
// BatchNorm's running statistics, which each rank updates from its own batches, are then the
// same on every rank when the model is evaluated and saved. Without a process group of more than
// one rank it does nothing.
import * as torch from '../../torch/index.js';
import type { Runner } from '../runner/runner.js';
import { Hook, type Priority } from './hook.js';

/** Replaces each tensor by its mean over the ranks (integer ones truncated back, as MMEngine's all_reduce 'mean'). */
export function allReduceMean(tensors: readonly torch.Tensor[]): void {
  const dist = torch.distributed;
  if (!dist.isInitialized() || dist.getWorldSize() === 1) return;
  const world = dist.getWorldSize();
  torch.scope(() =>
    torch.noGrad(() => {
      for (const t of tensors) {
        const sum = dist.allReduce(t.clone(), { op: dist.ReduceOp.SUM });
        t.copy_(sum.div(world)); // true division; copy_ casts an integer buffer back
      }
    }),
  );
}

export class SyncBuffersHook extends Hook {
  override priority: Priority = 'NORMAL';
  /** Whether the buffers were averaged after the training epoch just before a validation. */
  private calledInTrain = false;

  override afterTrainEpoch(runner: Runner): void {
    allReduceMean(runner.model.buffers());
    this.calledInTrain = true;
  }

  override beforeValEpoch(runner: Runner): void {
    if (!this.calledInTrain) allReduceMean(runner.model.buffers());
    this.calledInTrain = false;
  }
}
