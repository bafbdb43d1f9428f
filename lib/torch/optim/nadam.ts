// torch.optim.NAdam, following torch/optim/nadam.py's _multi_tensor_nadam (foreach) and
// _single_tensor_nadam operation by operation, for capturable=False; `foreach: null` picks
// between them as updateByDeviceGroup (optimizer.ts) says.
import {
  _foreachAdd,
  _foreachAdd_,
  _foreachAddcdiv_,
  _foreachAddcmul_,
  _foreachDiv_,
  _foreachLerp_,
  _foreachMul_,
  _foreachNeg,
  _foreachSqrt,
  zerosLike,
} from '../../generated/functions.js';
import { scalarTensor } from '../creation.js';
import type { Tensor } from '../tensor.js';
import {
  checkBetas,
  checkBoolean,
  checkFlags,
  checkNonNegative,
  checkOptionNames,
  incrementSteps,
  Optimizer,
  type OptimizerParams,
  type ParamGroup,
  stepValues,
  updateByDeviceGroup,
} from './optimizer.js';
import { pyPow } from './pymath.js';

export interface NAdamOptions {
  /** default 2e-3 */
  lr?: number;
  /** default [0.9, 0.999] */
  betas?: [number, number];
  /** default 1e-8 */
  eps?: number;
  weightDecay?: number;
  /** the momentum schedule's decay, default 4e-3 */
  momentumDecay?: number;
  /** AdamW-style weight decay (param *= 1 - lr * weightDecay) instead of L2 added to the gradient. */
  decoupledWeightDecay?: boolean;
  /**
   * true: the foreach (multi-tensor) path; false: the single-tensor one; null (the default):
   * PyTorch's default on the CPU, the single-tensor path (see foreachByDefault)
   */
  foreach?: boolean | null;
  maximize?: boolean;
  capturable?: boolean;
  differentiable?: boolean;
}

export interface NAdamParamGroup extends ParamGroup {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  momentumDecay: number;
  decoupledWeightDecay: boolean;
  maximize: boolean;
  foreach: boolean | null;
  capturable: boolean;
  differentiable: boolean;
}

export interface NAdamState {
  /** float32 0-d tensor, as in PyTorch */
  step?: Tensor;
  /** the product of the momentum coefficients so far: a float32 0-d tensor, as in PyTorch */
  muProduct?: Tensor;
  expAvg?: Tensor;
  expAvgSq?: Tensor;
  [key: string]: unknown;
}

const OPTIONS = [
  'lr',
  'betas',
  'eps',
  'weightDecay',
  'momentumDecay',
  'decoupledWeightDecay',
  'maximize',
  'foreach',
  'capturable',
  'differentiable',
];

/**
 * NAdam (Dozat): Adam with Nesterov momentum, with PyTorch's momentum schedule
 * `mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentumDecay))`.
 *
 * As in PyTorch, loading a state dict casts `mu_product` to each parameter's dtype (only `step`
 * keeps its own), so a float64 run resumed from a state dict goes on with a float64 product and
 * drifts from the uninterrupted run in the last bits.
 */
export class NAdam extends Optimizer<NAdamParamGroup, NAdamState> {
  /**
   * Whether `foreach: null` takes the foreach path where it gives PyTorch's default numbers (see
   * updateByDeviceGroup). It does not here: PyTorch's foreach path takes the square root of the
   * second moment before dividing by the bias correction's (the single-tensor one divides, then
   * takes the root), which differs in the last bit.
   */
  static readonly foreachByDefault: boolean = false;

  constructor(params: OptimizerParams, options?: NAdamOptions) {
    checkOptionNames('NAdam', options, OPTIONS);
    super(params, {
      lr: options?.lr ?? 2e-3,
      betas: options?.betas ?? [0.9, 0.999],
      eps: options?.eps ?? 1e-8,
      weightDecay: options?.weightDecay ?? 0,
      momentumDecay: options?.momentumDecay ?? 4e-3,
      decoupledWeightDecay: options?.decoupledWeightDecay ?? false,
      maximize: options?.maximize ?? false,
      foreach: options?.foreach ?? null,
      capturable: options?.capturable ?? false,
      differentiable: options?.differentiable ?? false,
    });
  }

  protected validate(o: Record<string, unknown>): void {
    checkNonNegative('NAdam', o, 'lr', 'learning rate');
    checkNonNegative('NAdam', o, 'eps', 'epsilon value');
    checkBetas('NAdam', o);
    checkNonNegative('NAdam', o, 'weightDecay');
    checkNonNegative('NAdam', o, 'momentumDecay');
    checkBoolean('NAdam', o, 'decoupledWeightDecay');
    checkBoolean('NAdam', o, 'maximize');
    checkFlags('NAdam', o);
  }

  protected updateGroup(group: NAdamParamGroup): void {
    updateByDeviceGroup(
      group,
      NAdam.foreachByDefault,
      (params, grads) => this.updateSingle(group, params, grads),
      (params, grads) => this.updateForeach(group, params, grads),
      `${this.constructor.name}.step: NAdam does not support sparse gradients`,
    );
  }

  /** The parameter's state, made as NAdam._init_group makes it on the first step. */
  private initState(param: Tensor): NAdamState {
    const state = this.stateOf(param);
    if (Object.keys(state).length === 0) {
      state.step = scalarTensor(0, { dtype: 'float32' }).keep();
      state.muProduct = scalarTensor(1, { dtype: 'float32' }).keep();
      state.expAvg = zerosLike(param).keep();
      state.expAvgSq = zerosLike(param).keep();
    }
    return state;
  }

  /** _single_tensor_nadam over `params` (which have gradients). */
  private updateSingle(group: NAdamParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, eps, weightDecay, momentumDecay, decoupledWeightDecay, maximize } = group;
    const [beta1, beta2] = group.betas;
    for (const [i, param] of params.entries()) {
      const g = grads[i] as Tensor;
      const state = this.initState(param);
      const stepT = state.step as Tensor;
      const muProduct = state.muProduct as Tensor;
      const expAvg = state.expAvg as Tensor;
      const expAvgSq = state.expAvgSq as Tensor;

      let grad = maximize ? g.neg() : g;
      stepT.add_(1);
      const step = stepT.item() as number;
      const biasCorrection2 = 1 - pyPow(beta2, step);
      if (weightDecay !== 0) {
        if (decoupledWeightDecay) param.mul_(1 - lr * weightDecay);
        else grad = grad.add(param, { alpha: weightDecay });
      }
      // the momentum coefficients of this step and the next
      const mu = beta1 * (1 - 0.5 * pyPow(0.96, step * momentumDecay));
      const muNext = beta1 * (1 - 0.5 * pyPow(0.96, (step + 1) * momentumDecay));
      muProduct.mul_(mu);

      expAvg.lerp_(grad, 1 - beta1);
      expAvgSq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });
      const denom = expAvgSq.div(biasCorrection2).sqrt();

      const product = muProduct.item() as number;
      const productNext = product * muNext;
      denom.add_(eps);
      param.addcdiv_(grad, denom, { value: (-lr * (1 - mu)) / (1 - product) });
      param.addcdiv_(expAvg, denom, { value: (-lr * muNext) / (1 - productNext) });
    }
  }

  /** _multi_tensor_nadam over `params` (of one device and dtype, with gradients), for capturable=False. */
  private updateForeach(group: NAdamParamGroup, params: Tensor[], paramGrads: Tensor[]): void {
    const { lr, eps, weightDecay, momentumDecay, decoupledWeightDecay, maximize } = group;
    const [beta1, beta2] = group.betas;
    const states = params.map((p) => this.initState(p));
    let grads = paramGrads;
    const expAvgs = states.map((s) => s.expAvg as Tensor);
    const expAvgSqs = states.map((s) => s.expAvgSq as Tensor);
    const muProducts = states.map((s) => s.muProduct as Tensor);
    const steps = states.map((s) => s.step as Tensor);

    if (maximize) grads = _foreachNeg(grads);
    incrementSteps(steps);
    if (weightDecay !== 0) {
      if (decoupledWeightDecay) _foreachMul_(params, 1 - lr * weightDecay);
      // reuses the copies that maximize made
      else if (maximize) _foreachAdd_(grads, params, { alpha: weightDecay });
      else grads = _foreachAdd(grads, params, { alpha: weightDecay });
    }
    _foreachLerp_(expAvgs, grads, 1 - beta1);
    _foreachMul_(expAvgSqs, beta2);
    _foreachAddcmul_(expAvgSqs, grads, grads, 1 - beta2);
    const expAvgSqSqrt = _foreachSqrt(expAvgSqs);

    const stepsNow = stepValues(steps);
    const biasCorrectionSqrt = stepsNow.map((step) => pyPow(1 - pyPow(beta2, step), 0.5));
    const mus = stepsNow.map((step) => beta1 * (1 - 0.5 * pyPow(0.96, step * momentumDecay)));
    const muNexts = stepsNow.map((step) => beta1 * (1 - 0.5 * pyPow(0.96, (step + 1) * momentumDecay)));

    _foreachMul_(muProducts, mus);
    _foreachDiv_(expAvgSqSqrt, biasCorrectionSqrt);
    _foreachAdd_(expAvgSqSqrt, eps);

    const products = stepValues(muProducts);
    const stepSizeGrads = products.map((product, k) => ((lr * (1 - (mus[k] as number))) / (1 - product)) * -1);
    const stepSizeExpAvg = products.map((product, k) => {
      const muNext = muNexts[k] as number;
      return ((lr * muNext) / (1 - product * muNext)) * -1;
    });
    _foreachAddcdiv_(params, grads, expAvgSqSqrt, stepSizeGrads);
    _foreachAddcdiv_(params, expAvgs, expAvgSqSqrt, stepSizeExpAvg);
  }
}
