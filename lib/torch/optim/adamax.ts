// torch.optim.Adamax, following torch/optim/adamax.py's _multi_tensor_adamax (foreach) and
// _single_tensor_adamax operation by operation, for capturable=False; `foreach: null` picks
// between them as updateByDeviceGroup (optimizer.ts) says.
import {
  _foreachAbs,
  _foreachAbs_,
  _foreachAdd,
  _foreachAdd_,
  _foreachAddcdiv_,
  _foreachLerp_,
  _foreachMaximum_,
  _foreachMul_,
  _foreachNeg,
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

export interface AdamaxOptions {
  /** default 2e-3 */
  lr?: number;
  /** default [0.9, 0.999] */
  betas?: [number, number];
  /** default 1e-8 */
  eps?: number;
  weightDecay?: number;
  /**
   * true: the foreach (multi-tensor) path; false: the single-tensor one; null (the default):
   * PyTorch's default path's numbers, by the foreach path where it gives them (float32 and float64)
   */
  foreach?: boolean | null;
  maximize?: boolean;
  differentiable?: boolean;
  capturable?: boolean;
}

export interface AdamaxParamGroup extends ParamGroup {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  foreach: boolean | null;
  maximize: boolean;
  differentiable: boolean;
  capturable: boolean;
}

export interface AdamaxState {
  /** float32 0-d tensor, as in PyTorch */
  step?: Tensor;
  expAvg?: Tensor;
  /** the exponentially weighted infinity norm of the gradients */
  expInf?: Tensor;
  [key: string]: unknown;
}

const OPTIONS = ['lr', 'betas', 'eps', 'weightDecay', 'foreach', 'maximize', 'differentiable', 'capturable'];

/** Adamax (Kingma and Ba): Adam with the infinity norm in place of the second moment. */
export class Adamax extends Optimizer<AdamaxParamGroup, AdamaxState> {
  /**
   * Whether `foreach: null` takes the foreach path where it gives PyTorch's default numbers (see
   * updateByDeviceGroup): the two paths make the same operations in the same order.
   */
  static readonly foreachByDefault: boolean = true;

  constructor(params: OptimizerParams, options?: AdamaxOptions) {
    checkOptionNames('Adamax', options, OPTIONS);
    super(params, {
      lr: options?.lr ?? 2e-3,
      betas: options?.betas ?? [0.9, 0.999],
      eps: options?.eps ?? 1e-8,
      weightDecay: options?.weightDecay ?? 0,
      foreach: options?.foreach ?? null,
      maximize: options?.maximize ?? false,
      differentiable: options?.differentiable ?? false,
      capturable: options?.capturable ?? false,
    });
  }

  protected validate(o: Record<string, unknown>): void {
    checkNonNegative('Adamax', o, 'lr', 'learning rate');
    checkNonNegative('Adamax', o, 'eps', 'epsilon value');
    checkBetas('Adamax', o);
    checkNonNegative('Adamax', o, 'weightDecay');
    checkBoolean('Adamax', o, 'maximize');
    checkFlags('Adamax', o);
  }

  protected updateGroup(group: AdamaxParamGroup): void {
    updateByDeviceGroup(
      group,
      Adamax.foreachByDefault,
      (params, grads) => this.updateSingle(group, params, grads),
      (params, grads) => this.updateForeach(group, params, grads),
      `${this.constructor.name}.step: Adamax does not support sparse gradients`,
    );
  }

  /** The parameter's state, made as Adamax._init_group makes it on the first step. */
  private initState(param: Tensor): AdamaxState {
    const state = this.stateOf(param);
    if (Object.keys(state).length === 0) {
      state.step = scalarTensor(0, { dtype: 'float32' }).keep();
      state.expAvg = zerosLike(param).keep();
      state.expInf = zerosLike(param).keep();
    }
    return state;
  }

  /** _single_tensor_adamax over `params` (which have gradients). */
  private updateSingle(group: AdamaxParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, eps, weightDecay, maximize } = group;
    const [beta1, beta2] = group.betas;
    for (const [i, param] of params.entries()) {
      const g = grads[i] as Tensor;
      const state = this.initState(param);
      const stepT = state.step as Tensor;
      const expAvg = state.expAvg as Tensor;
      const expInf = state.expInf as Tensor;

      let grad = maximize ? g.neg() : g;
      stepT.add_(1);
      if (weightDecay !== 0) grad = grad.add(param, { alpha: weightDecay });
      expAvg.lerp_(grad, 1 - beta1);
      // max(beta2 * expInf, |grad| + eps), written back into expInf (PyTorch's `out=exp_inf`)
      expInf.mul_(beta2);
      expInf.copy_(expInf.maximum(grad.abs().add_(eps)));

      const clr = lr / (1 - pyPow(beta1, stepT.item() as number));
      param.addcdiv_(expAvg, expInf, { value: -clr });
    }
  }

  /** _multi_tensor_adamax over `params` (of one device and dtype, with gradients), for capturable=False. */
  private updateForeach(group: AdamaxParamGroup, params: Tensor[], paramGrads: Tensor[]): void {
    const { lr, eps, weightDecay, maximize } = group;
    const [beta1, beta2] = group.betas;
    const states = params.map((p) => this.initState(p));
    let grads = paramGrads;
    const expAvgs = states.map((s) => s.expAvg as Tensor);
    const expInfs = states.map((s) => s.expInf as Tensor);
    const steps = states.map((s) => s.step as Tensor);

    if (maximize) grads = _foreachNeg(grads);
    incrementSteps(steps);
    if (weightDecay !== 0) {
      // reuses the copies that maximize made
      if (maximize) _foreachAdd_(grads, params, { alpha: weightDecay });
      else grads = _foreachAdd(grads, params, { alpha: weightDecay });
    }
    _foreachLerp_(expAvgs, grads, 1 - beta1);
    _foreachMul_(expInfs, beta2);
    // |grad| in place where the gradients are already copies, in a new list where they are the
    // parameters' own
    if (!maximize && weightDecay === 0) grads = _foreachAbs(grads);
    else _foreachAbs_(grads);
    _foreachAdd_(grads, eps);
    _foreachMaximum_(expInfs, grads);

    const stepSize = stepValues(steps).map((step) => (lr / (1 - pyPow(beta1, step))) * -1);
    _foreachAddcdiv_(params, expAvgs, expInfs, stepSize);
  }
}
