// torch.optim.Adagrad, following torch/optim/adagrad.py's _single_tensor_adagrad (dense
// gradients) operation by operation.
import { fullLike } from '../../generated/functions.js';
import { scalarTensor } from '../creation.js';
import type { Tensor } from '../tensor.js';
import {
  checkBoolean,
  checkFlags,
  checkNonNegative,
  checkOptionNames,
  Optimizer,
  type OptimizerParams,
  type ParamGroup,
} from './optimizer.js';

export interface AdagradOptions {
  /** default 1e-2 */
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  /** default 1e-10 */
  eps?: number;
  foreach?: boolean | null;
  maximize?: boolean;
  differentiable?: boolean;
  fused?: boolean | null;
}

export interface AdagradParamGroup extends ParamGroup {
  lrDecay: number;
  eps: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  foreach: boolean | null;
  maximize: boolean;
  differentiable: boolean;
  fused: boolean | null;
}

export interface AdagradState {
  step?: Tensor;
  sum?: Tensor;
  [key: string]: unknown;
}

const OPTIONS = [
  'lr',
  'lrDecay',
  'weightDecay',
  'initialAccumulatorValue',
  'eps',
  'foreach',
  'maximize',
  'differentiable',
  'fused',
];

/**
 * Adagrad (Duchi et al.). As in PyTorch, the state of every parameter is made by the
 * constructor, with the constructor's initialAccumulatorValue (a group's own value is not
 * used), and parameters added later by addParamGroup get theirs at their first step.
 */
export class Adagrad extends Optimizer<AdagradParamGroup, AdagradState> {
  constructor(params: OptimizerParams, options?: AdagradOptions) {
    checkOptionNames('Adagrad', options, OPTIONS);
    super(params, {
      lr: options?.lr ?? 1e-2,
      lrDecay: options?.lrDecay ?? 0,
      eps: options?.eps ?? 1e-10,
      weightDecay: options?.weightDecay ?? 0,
      initialAccumulatorValue: options?.initialAccumulatorValue ?? 0,
      foreach: options?.foreach ?? null,
      maximize: options?.maximize ?? false,
      differentiable: options?.differentiable ?? false,
      fused: options?.fused ?? null,
    });
    for (const group of this.paramGroups) {
      for (const param of group.params) this.initState(param);
    }
  }

  private initState(param: Tensor): AdagradState {
    const state = this.stateOf(param);
    state.step = scalarTensor(0, { dtype: 'float32' }).keep();
    state.sum = fullLike(param, this.defaults.initialAccumulatorValue as number).keep();
    return state;
  }

  protected validate(o: Record<string, unknown>): void {
    checkNonNegative('Adagrad', o, 'lr', 'learning rate');
    checkNonNegative('Adagrad', o, 'lrDecay');
    checkNonNegative('Adagrad', o, 'weightDecay');
    checkNonNegative('Adagrad', o, 'initialAccumulatorValue');
    checkNonNegative('Adagrad', o, 'eps', 'epsilon value');
    checkBoolean('Adagrad', o, 'maximize');
    checkFlags('Adagrad', o);
  }

  protected updateGroup(group: AdagradParamGroup): void {
    const { lr, lrDecay, eps, weightDecay, maximize } = group;
    for (const param of group.params) {
      const g = param.grad;
      if (g === null) continue;
      let state = this.stateOf(param);
      if (Object.keys(state).length === 0) state = this.initState(param);
      const stepT = state.step as Tensor;
      const stateSum = state.sum as Tensor;
      stepT.add_(1);
      const step = stepT.item() as number;
      let grad = maximize ? g.neg() : g;
      if (weightDecay !== 0) grad = grad.add(param, { alpha: weightDecay });
      const clr = lr / (1 + (step - 1) * lrDecay);
      stateSum.addcmul_(grad, grad, { value: 1 });
      const std = stateSum.sqrt().add_(eps);
      param.addcdiv_(grad, std, { value: -clr });
    }
  }
}
