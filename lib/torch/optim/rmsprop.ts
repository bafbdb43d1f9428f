// torch.optim.RMSprop, following torch/optim/rmsprop.py's _single_tensor_rmsprop operation by
// operation.
import { zerosLike } from '../../generated/functions.js';
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

export interface RMSpropOptions {
  /** default 1e-2 */
  lr?: number;
  /** smoothing constant, default 0.99 */
  alpha?: number;
  /** default 1e-8 */
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  capturable?: boolean;
  foreach?: boolean | null;
  maximize?: boolean;
  differentiable?: boolean;
}

export interface RMSpropParamGroup extends ParamGroup {
  momentum: number;
  alpha: number;
  eps: number;
  centered: boolean;
  weightDecay: number;
  capturable: boolean;
  foreach: boolean | null;
  maximize: boolean;
  differentiable: boolean;
}

export interface RMSpropState {
  step?: Tensor;
  squareAvg?: Tensor;
  momentumBuffer?: Tensor;
  gradAvg?: Tensor;
  [key: string]: unknown;
}

const OPTIONS = [
  'lr',
  'alpha',
  'eps',
  'weightDecay',
  'momentum',
  'centered',
  'capturable',
  'foreach',
  'maximize',
  'differentiable',
];

/** RMSprop (Hinton), optionally centered and with momentum. */
export class RMSprop extends Optimizer<RMSpropParamGroup, RMSpropState> {
  constructor(params: OptimizerParams, options?: RMSpropOptions) {
    checkOptionNames('RMSprop', options, OPTIONS);
    super(params, {
      lr: options?.lr ?? 1e-2,
      momentum: options?.momentum ?? 0,
      alpha: options?.alpha ?? 0.99,
      eps: options?.eps ?? 1e-8,
      centered: options?.centered ?? false,
      weightDecay: options?.weightDecay ?? 0,
      capturable: options?.capturable ?? false,
      foreach: options?.foreach ?? null,
      maximize: options?.maximize ?? false,
      differentiable: options?.differentiable ?? false,
    });
  }

  protected validate(o: Record<string, unknown>): void {
    checkNonNegative('RMSprop', o, 'lr', 'learning rate');
    checkNonNegative('RMSprop', o, 'eps', 'epsilon value');
    checkNonNegative('RMSprop', o, 'momentum');
    checkNonNegative('RMSprop', o, 'weightDecay');
    checkNonNegative('RMSprop', o, 'alpha');
    checkBoolean('RMSprop', o, 'centered');
    checkBoolean('RMSprop', o, 'maximize');
    checkFlags('RMSprop', o);
  }

  protected updateGroup(group: RMSpropParamGroup): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    for (const param of group.params) {
      const g = param.grad;
      if (g === null) continue;
      const state = this.stateOf(param);
      if (Object.keys(state).length === 0) {
        state.step = scalarTensor(0, { dtype: 'float32' }).keep();
        state.squareAvg = zerosLike(param).keep();
        if (momentum > 0) state.momentumBuffer = zerosLike(param).keep();
        if (centered) state.gradAvg = zerosLike(param).keep();
      }
      const squareAvg = state.squareAvg as Tensor;
      let grad = maximize ? g.neg() : g;
      (state.step as Tensor).add_(1);
      if (weightDecay !== 0) grad = grad.add(param, { alpha: weightDecay });
      squareAvg.mul_(alpha).addcmul_(grad, grad, { value: 1 - alpha });
      let avg: Tensor;
      if (centered) {
        const gradAvg = (state.gradAvg ??= zerosLike(param).keep());
        gradAvg.lerp_(grad, 1 - alpha);
        avg = squareAvg.addcmul(gradAvg, gradAvg, { value: -1 }).sqrt_();
      } else {
        avg = squareAvg.sqrt();
      }
      avg = avg.add_(eps);
      if (momentum > 0) {
        const buf = (state.momentumBuffer ??= zerosLike(param).keep());
        buf.mul_(momentum).addcdiv_(grad, avg);
        param.add_(buf, { alpha: -lr });
      } else {
        param.addcdiv_(grad, avg, { value: -lr });
      }
    }
  }
}
