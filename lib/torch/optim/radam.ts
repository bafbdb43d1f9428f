// torch.optim.RAdam, following torch/optim/radam.py's _multi_tensor_radam (foreach) and
// _single_tensor_radam operation by operation, for capturable=False; `foreach: null` picks
// between them as updateByDeviceGroup (optimizer.ts) says.
import {
  _foreachAdd,
  _foreachAdd_,
  _foreachAddcmul_,
  _foreachDiv_,
  _foreachLerp_,
  _foreachMul_,
  _foreachNeg,
  _foreachReciprocal_,
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

export interface RAdamOptions {
  /** default 1e-3 */
  lr?: number;
  /** default [0.9, 0.999] */
  betas?: [number, number];
  /** default 1e-8 */
  eps?: number;
  weightDecay?: number;
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

export interface RAdamParamGroup extends ParamGroup {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  maximize: boolean;
  foreach: boolean | null;
  capturable: boolean;
  decoupledWeightDecay: boolean;
  differentiable: boolean;
}

export interface RAdamState {
  /** float32 0-d tensor, as in PyTorch */
  step?: Tensor;
  expAvg?: Tensor;
  expAvgSq?: Tensor;
  [key: string]: unknown;
}

const OPTIONS = [
  'lr',
  'betas',
  'eps',
  'weightDecay',
  'decoupledWeightDecay',
  'foreach',
  'maximize',
  'capturable',
  'differentiable',
];

/** The rectification term's square, ((rho_t - 4)(rho_t - 2) rho_inf) / ((rho_inf - 4)(rho_inf - 2) rho_t), in PyTorch's order. */
const rectSquared = (rhoT: number, rhoInf: number): number =>
  ((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT);

/**
 * RAdam (Liu et al.): Adam whose adaptive step is rectified by the variance of the second
 * moment's estimate, and plain momentum SGD while that estimate is too short (rho_t <= 5).
 */
export class RAdam extends Optimizer<RAdamParamGroup, RAdamState> {
  /**
   * Whether `foreach: null` takes the foreach path where it gives PyTorch's default numbers (see
   * updateByDeviceGroup). It does not here: PyTorch's foreach path folds the step into one
   * multiplier per parameter, (sqrt(1 - beta2^t) * lr * rect / bc1) / (sqrt(v) + eps), which
   * rounds differently from the single-tensor path's product of four factors.
   */
  static readonly foreachByDefault: boolean = false;

  constructor(params: OptimizerParams, options?: RAdamOptions) {
    checkOptionNames('RAdam', options, OPTIONS);
    super(params, {
      lr: options?.lr ?? 1e-3,
      betas: options?.betas ?? [0.9, 0.999],
      eps: options?.eps ?? 1e-8,
      weightDecay: options?.weightDecay ?? 0,
      maximize: options?.maximize ?? false,
      foreach: options?.foreach ?? null,
      capturable: options?.capturable ?? false,
      decoupledWeightDecay: options?.decoupledWeightDecay ?? false,
      differentiable: options?.differentiable ?? false,
    });
  }

  protected validate(o: Record<string, unknown>): void {
    checkNonNegative('RAdam', o, 'lr', 'learning rate');
    checkNonNegative('RAdam', o, 'eps', 'epsilon value');
    checkBetas('RAdam', o);
    checkNonNegative('RAdam', o, 'weightDecay');
    checkBoolean('RAdam', o, 'decoupledWeightDecay');
    checkBoolean('RAdam', o, 'maximize');
    checkFlags('RAdam', o);
  }

  protected updateGroup(group: RAdamParamGroup): void {
    updateByDeviceGroup(
      group,
      RAdam.foreachByDefault,
      (params, grads) => this.updateSingle(group, params, grads),
      (params, grads) => this.updateForeach(group, params, grads),
      `${this.constructor.name}.step: RAdam does not support sparse gradients`,
    );
  }

  /** The parameter's state, made as RAdam._init_group makes it on the first step. */
  private initState(param: Tensor): RAdamState {
    const state = this.stateOf(param);
    if (Object.keys(state).length === 0) {
      state.step = scalarTensor(0, { dtype: 'float32' }).keep();
      state.expAvg = zerosLike(param).keep();
      state.expAvgSq = zerosLike(param).keep();
    }
    return state;
  }

  /** _single_tensor_radam over `params` (which have gradients). */
  private updateSingle(group: RAdamParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, eps, weightDecay, decoupledWeightDecay, maximize } = group;
    const [beta1, beta2] = group.betas;
    // the maximum length of the approximated simple moving average
    const rhoInf = 2 / (1 - beta2) - 1;
    for (const [i, param] of params.entries()) {
      const g = grads[i] as Tensor;
      const state = this.initState(param);
      const stepT = state.step as Tensor;
      const expAvg = state.expAvg as Tensor;
      const expAvgSq = state.expAvgSq as Tensor;

      let grad = maximize ? g.neg() : g;
      stepT.add_(1);
      const step = stepT.item() as number;
      if (weightDecay !== 0) {
        if (decoupledWeightDecay) param.mul_(1 - lr * weightDecay);
        else grad = grad.add(param, { alpha: weightDecay });
      }
      expAvg.lerp_(grad, 1 - beta1);
      expAvgSq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });

      const biasCorrection1 = 1 - pyPow(beta1, step);
      const biasCorrection2 = 1 - pyPow(beta2, step);
      const biasCorrectedExpAvg = expAvg.div(biasCorrection1);
      // the length of the approximated simple moving average at this step
      const rhoT = rhoInf - (2 * step * pyPow(beta2, step)) / biasCorrection2;
      if (rhoT > 5) {
        // Python's `float / tensor` is `tensor.reciprocal() * float`
        const adaptiveLr = expAvgSq.sqrt().add_(eps).reciprocal().mul(pyPow(biasCorrection2, 0.5));
        const rect = pyPow(rectSquared(rhoT, rhoInf), 0.5);
        param.add_(biasCorrectedExpAvg.mul(lr).mul(adaptiveLr).mul(rect), { alpha: -1 });
      } else {
        param.add_(biasCorrectedExpAvg.mul(lr), { alpha: -1 });
      }
    }
  }

  /** _multi_tensor_radam over `params` (of one device and dtype, with gradients), for capturable=False. */
  private updateForeach(group: RAdamParamGroup, params: Tensor[], paramGrads: Tensor[]): void {
    const { lr, eps, weightDecay, decoupledWeightDecay, maximize } = group;
    const [beta1, beta2] = group.betas;
    const states = params.map((p) => this.initState(p));
    let grads = paramGrads;
    const expAvgs = states.map((s) => s.expAvg as Tensor);
    const expAvgSqs = states.map((s) => s.expAvgSq as Tensor);
    const steps = states.map((s) => s.step as Tensor);

    incrementSteps(steps);
    if (maximize) grads = _foreachNeg(grads);
    const rhoInf = 2 / (1 - beta2) - 1;
    const stepsNow = stepValues(steps);
    const rhoTs = stepsNow.map((step) => rhoInf - (2 * step * pyPow(beta2, step)) / (1 - pyPow(beta2, step)));

    if (weightDecay !== 0) {
      if (decoupledWeightDecay) _foreachMul_(params, 1 - lr * weightDecay);
      // reuses the copies that maximize made
      else if (maximize) _foreachAdd_(grads, params, { alpha: weightDecay });
      else grads = _foreachAdd(grads, params, { alpha: weightDecay });
    }
    _foreachLerp_(expAvgs, grads, 1 - beta1);
    _foreachMul_(expAvgSqs, beta2);
    _foreachAddcmul_(expAvgSqs, grads, grads, 1 - beta2);

    // Per parameter: the rectification (0 while rho_t <= 5), the step of the unrectified update
    // (lr / bc1, negated; -0 when rectified) and the rectified update's multiplier
    // sqrt(1 - beta2^t) * lr * rect / bc1 (negated; -0 when unrectified).
    const rects = rhoTs.map((rhoT) => (rhoT > 5 ? pyPow(rectSquared(rhoT, rhoInf), 0.5) : 0));
    const biasCorrection1 = stepsNow.map((step) => 1 - pyPow(beta1, step));
    const unrectStepSize = rects.map((rect, k) => ((lr * (rect > 0 ? 0 : 1)) / (biasCorrection1[k] as number)) * -1);
    const rectStepSize = stepsNow.map(
      (step, k) =>
        pyPow(1 - pyPow(beta2, step), 0.5) * ((lr * (rects[k] as number)) / (biasCorrection1[k] as number)) * -1,
    );

    // buffer = rectStepSize / (sqrt(v) + eps) + unrectStepSize; param += expAvg * buffer
    const buffer = _foreachSqrt(expAvgSqs);
    _foreachAdd_(buffer, eps);
    _foreachDiv_(buffer, rectStepSize);
    _foreachReciprocal_(buffer);
    _foreachAdd_(buffer, unrectStepSize);
    _foreachAddcmul_(params, expAvgs, buffer);
  }
}
