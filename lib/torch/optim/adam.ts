// torch.optim.Adam, following torch/optim/adam.py's _single_tensor_adam (the path PyTorch takes
// on the CPU, and for capturable=False) operation by operation.
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
import { pyPow } from './pymath.js';

export interface AdamOptions {
  /** default 1e-3 */
  lr?: number;
  /** default [0.9, 0.999] */
  betas?: [number, number];
  /** default 1e-8 */
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
  foreach?: boolean | null;
  capturable?: boolean;
  differentiable?: boolean;
  fused?: boolean | null;
  /** AdamW's weight decay (param *= 1 - lr * weightDecay) instead of L2 added to the gradient. */
  decoupledWeightDecay?: boolean;
}

export interface AdamParamGroup extends ParamGroup {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
  foreach: boolean | null;
  capturable: boolean;
  differentiable: boolean;
  fused: boolean | null;
  decoupledWeightDecay: boolean;
}

export interface AdamState {
  /** float32 0-d tensor, as in PyTorch */
  step?: Tensor;
  expAvg?: Tensor;
  expAvgSq?: Tensor;
  maxExpAvgSq?: Tensor;
  [key: string]: unknown;
}

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
  'decoupledWeightDecay',
];

/** Adam (Kingma and Ba), with AMSGrad, maximize, and L2 or decoupled weight decay. */
export class Adam extends Optimizer<AdamParamGroup, AdamState> {
  constructor(params: OptimizerParams, options?: AdamOptions) {
    checkOptionNames(new.target.name, options, OPTIONS);
    super(params, {
      lr: options?.lr ?? 1e-3,
      betas: options?.betas ?? [0.9, 0.999],
      eps: options?.eps ?? 1e-8,
      weightDecay: options?.weightDecay ?? 0,
      amsgrad: options?.amsgrad ?? false,
      maximize: options?.maximize ?? false,
      foreach: options?.foreach ?? null,
      capturable: options?.capturable ?? false,
      differentiable: options?.differentiable ?? false,
      fused: options?.fused ?? null,
      decoupledWeightDecay: options?.decoupledWeightDecay ?? false,
    });
  }

  protected validate(o: Record<string, unknown>): void {
    const name = this.constructor.name;
    checkNonNegative(name, o, 'lr', 'learning rate');
    checkNonNegative(name, o, 'eps', 'epsilon value');
    const betas = o.betas;
    if (!Array.isArray(betas) || betas.length !== 2 || betas.some((b) => typeof b !== 'number')) {
      throw new TypeError(`${name}: betas must be an array of two numbers, [beta1, beta2]`);
    }
    betas.forEach((b: number, i) => {
      if (!(b >= 0 && b < 1))
        throw new Error(`${name}: invalid beta parameter at index ${i}: ${b} (must be in [0, 1))`);
    });
    checkNonNegative(name, o, 'weightDecay');
    checkBoolean(name, o, 'amsgrad');
    checkBoolean(name, o, 'maximize');
    checkBoolean(name, o, 'decoupledWeightDecay');
    checkFlags(name, o);
  }

  protected updateGroup(group: AdamParamGroup): void {
    const { lr, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay } = group;
    const [beta1, beta2] = group.betas;
    for (const param of group.params) {
      const g = param.grad;
      if (g === null) continue;
      const state = this.stateOf(param);
      if (Object.keys(state).length === 0) {
        state.step = scalarTensor(0, { dtype: 'float32' }).keep();
        state.expAvg = zerosLike(param).keep();
        state.expAvgSq = zerosLike(param).keep();
        if (amsgrad) state.maxExpAvgSq = zerosLike(param).keep();
      }
      const stepT = state.step as Tensor;
      const expAvg = state.expAvg as Tensor;
      const expAvgSq = state.expAvgSq as Tensor;

      let grad = maximize ? g.neg() : g;
      stepT.add_(1);
      if (weightDecay !== 0) {
        if (decoupledWeightDecay) param.mul_(1 - lr * weightDecay);
        else grad = grad.add(param, { alpha: weightDecay });
      }
      expAvg.lerp_(grad, 1 - beta1);
      expAvgSq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });

      const step = stepT.item() as number;
      const biasCorrection1 = 1 - pyPow(beta1, step);
      const biasCorrection2 = 1 - pyPow(beta2, step);
      const stepSize = lr / biasCorrection1;
      const biasCorrection2Sqrt = pyPow(biasCorrection2, 0.5);
      let denom: Tensor;
      if (amsgrad) {
        let maxExpAvgSq = state.maxExpAvgSq;
        if (maxExpAvgSq == null) state.maxExpAvgSq = maxExpAvgSq = zerosLike(param).keep();
        maxExpAvgSq.copy_(maxExpAvgSq.maximum(expAvgSq));
        denom = maxExpAvgSq.sqrt().div(biasCorrection2Sqrt).add_(eps);
      } else {
        denom = expAvgSq.sqrt().div(biasCorrection2Sqrt).add_(eps);
      }
      param.addcdiv_(expAvg, denom, { value: -stepSize });
    }
  }
}
