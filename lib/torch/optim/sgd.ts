// torch.optim.SGD, following torch/optim/sgd.py's _single_tensor_sgd operation by operation.
import type { Tensor } from '../tensor.js';
import {
  checkBoolean,
  checkFlags,
  checkNonNegative,
  checkNumber,
  checkOptionNames,
  Optimizer,
  type OptimizerParams,
  type ParamGroup,
} from './optimizer.js';

export interface SGDOptions {
  /** default 1e-3 */
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
  foreach?: boolean | null;
  differentiable?: boolean;
  fused?: boolean | null;
}

export interface SGDParamGroup extends ParamGroup {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
  foreach: boolean | null;
  differentiable: boolean;
  fused: boolean | null;
}

export interface SGDState {
  momentumBuffer?: Tensor;
  [key: string]: unknown;
}

const OPTIONS = [
  'lr',
  'momentum',
  'dampening',
  'weightDecay',
  'nesterov',
  'maximize',
  'foreach',
  'differentiable',
  'fused',
];

/** Stochastic gradient descent, optionally with momentum (PyTorch's formulation), Nesterov and weight decay. */
export class SGD extends Optimizer<SGDParamGroup, SGDState> {
  constructor(params: OptimizerParams, options?: SGDOptions) {
    checkOptionNames('SGD', options, OPTIONS);
    super(params, {
      lr: options?.lr ?? 1e-3,
      momentum: options?.momentum ?? 0,
      dampening: options?.dampening ?? 0,
      weightDecay: options?.weightDecay ?? 0,
      nesterov: options?.nesterov ?? false,
      maximize: options?.maximize ?? false,
      foreach: options?.foreach ?? null,
      differentiable: options?.differentiable ?? false,
      fused: options?.fused ?? null,
    });
  }

  protected validate(o: Record<string, unknown>): void {
    checkNonNegative('SGD', o, 'lr', 'learning rate');
    checkNonNegative('SGD', o, 'momentum');
    checkNumber('SGD', o, 'dampening');
    checkNonNegative('SGD', o, 'weightDecay');
    checkBoolean('SGD', o, 'nesterov');
    checkBoolean('SGD', o, 'maximize');
    checkFlags('SGD', o);
    if (o.nesterov && ((o.momentum as number) <= 0 || o.dampening !== 0)) {
      throw new Error('SGD: Nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected updateGroup(group: SGDParamGroup): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    for (const param of group.params) {
      const g = param.grad;
      if (g === null) continue;
      let grad = maximize ? g.neg() : g;
      if (weightDecay !== 0) grad = grad.add(param, { alpha: weightDecay });
      if (momentum !== 0) {
        const state = this.stateOf(param);
        let buf = state.momentumBuffer;
        if (buf == null) {
          buf = grad.detach().clone().keep();
          state.momentumBuffer = buf;
        } else {
          buf.mul_(momentum).add_(grad, { alpha: 1 - dampening });
        }
        grad = nesterov ? grad.add(buf, { alpha: momentum }) : buf;
      }
      param.add_(grad, { alpha: -lr });
    }
  }
}
