// torch.optim.AdamW: Adam with decoupled weight decay (default 1e-2), as torch/optim/adamw.py.
import { Adam, type AdamOptions } from './adam.js';
import { checkOptionNames, type OptimizerParams } from './optimizer.js';

export type AdamWOptions = Omit<AdamOptions, 'decoupledWeightDecay'>;

const OPTIONS = [
  'lr',
  'betas',
  'eps',
  'weightDecay',
  'amsgrad',
  'maximize',
  'foreach',
  'capturable',
  'differentiable',
  'fused',
];

/** AdamW (Loshchilov and Hutter): weight decay applied to the parameters, not the gradient. */
export class AdamW extends Adam {
  constructor(params: OptimizerParams, options?: AdamWOptions) {
    checkOptionNames('AdamW', options, OPTIONS);
    super(params, { ...options, weightDecay: options?.weightDecay ?? 1e-2, decoupledWeightDecay: true });
  }

  protected override completeLoadedGroup(group: Record<string, unknown>): void {
    super.completeLoadedGroup(group);
    group.decoupledWeightDecay = true;
  }
}
