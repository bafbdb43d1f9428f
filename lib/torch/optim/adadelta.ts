// torch.optim.Adadelta, following torch/optim/adadelta.py's _multi_tensor_adadelta (foreach) and
// _single_tensor_adadelta operation by operation, for capturable=False; `foreach: null` picks
// between them as updateByDeviceGroup (optimizer.ts) says.
import {
  _foreachAdd,
  _foreachAdd_,
  _foreachAddcmul_,
  _foreachDiv_,
  _foreachMul_,
  _foreachNeg,
  _foreachSqrt_,
  zerosLike,
} from '../../generated/functions.js';
import { scalarTensor } from '../creation.js';
import type { Tensor } from '../tensor.js';
import {
  checkBoolean,
  checkFlags,
  checkNonNegative,
  checkNumber,
  checkOptionNames,
  incrementSteps,
  Optimizer,
  type OptimizerParams,
  type ParamGroup,
  updateByDeviceGroup,
} from './optimizer.js';

export interface AdadeltaOptions {
  /** scales the update (default 1) */
  lr?: number;
  /** the running averages' coefficient, default 0.9 */
  rho?: number;
  /** default 1e-6 */
  eps?: number;
  weightDecay?: number;
  /**
   * true: the foreach (multi-tensor) path; false: the single-tensor one; null (the default):
   * PyTorch's default path's numbers, by the foreach path where it gives them (float32 and float64)
   */
  foreach?: boolean | null;
  capturable?: boolean;
  maximize?: boolean;
  differentiable?: boolean;
}

export interface AdadeltaParamGroup extends ParamGroup {
  rho: number;
  eps: number;
  weightDecay: number;
  maximize: boolean;
  capturable: boolean;
  foreach: boolean | null;
  differentiable: boolean;
}

export interface AdadeltaState {
  /** float32 0-d tensor, as in PyTorch */
  step?: Tensor;
  /** the running average of the squared gradients */
  squareAvg?: Tensor;
  /** the running average of the squared updates */
  accDelta?: Tensor;
  [key: string]: unknown;
}

const OPTIONS = ['lr', 'rho', 'eps', 'weightDecay', 'foreach', 'capturable', 'maximize', 'differentiable'];

/** Adadelta (Zeiler): steps scaled by the ratio of the running RMS of the updates to that of the gradients. */
export class Adadelta extends Optimizer<AdadeltaParamGroup, AdadeltaState> {
  /**
   * Whether `foreach: null` takes the foreach path where it gives PyTorch's default numbers (see
   * updateByDeviceGroup): the two paths make the same operations in the same order.
   */
  static readonly foreachByDefault: boolean = true;

  constructor(params: OptimizerParams, options?: AdadeltaOptions) {
    checkOptionNames('Adadelta', options, OPTIONS);
    super(params, {
      lr: options?.lr ?? 1,
      rho: options?.rho ?? 0.9,
      eps: options?.eps ?? 1e-6,
      weightDecay: options?.weightDecay ?? 0,
      maximize: options?.maximize ?? false,
      capturable: options?.capturable ?? false,
      foreach: options?.foreach ?? null,
      differentiable: options?.differentiable ?? false,
    });
  }

  protected validate(o: Record<string, unknown>): void {
    checkNonNegative('Adadelta', o, 'lr', 'learning rate');
    const rho = checkNumber('Adadelta', o, 'rho');
    if (!(rho >= 0 && rho <= 1)) throw new Error(`Adadelta: invalid rho value: ${rho} (must be in [0, 1])`);
    checkNonNegative('Adadelta', o, 'eps', 'epsilon value');
    checkNonNegative('Adadelta', o, 'weightDecay');
    checkBoolean('Adadelta', o, 'maximize');
    checkFlags('Adadelta', o);
  }

  protected updateGroup(group: AdadeltaParamGroup): void {
    updateByDeviceGroup(
      group,
      Adadelta.foreachByDefault,
      (params, grads) => this.updateSingle(group, params, grads),
      (params, grads) => this.updateForeach(group, params, grads),
      `${this.constructor.name}.step: Adadelta does not support sparse gradients`,
    );
  }

  /** The parameter's state, made as Adadelta._init_group makes it on the first step. */
  private initState(param: Tensor): AdadeltaState {
    const state = this.stateOf(param);
    if (Object.keys(state).length === 0) {
      state.step = scalarTensor(0, { dtype: 'float32' }).keep();
      state.squareAvg = zerosLike(param).keep();
      state.accDelta = zerosLike(param).keep();
    }
    return state;
  }

  /** _single_tensor_adadelta over `params` (which have gradients). */
  private updateSingle(group: AdadeltaParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, rho, eps, weightDecay, maximize } = group;
    for (const [i, param] of params.entries()) {
      const g = grads[i] as Tensor;
      const state = this.initState(param);
      const squareAvg = state.squareAvg as Tensor;
      const accDelta = state.accDelta as Tensor;

      (state.step as Tensor).add_(1);
      let grad = maximize ? g.neg() : g;
      if (weightDecay !== 0) grad = grad.add(param, { alpha: weightDecay });
      squareAvg.mul_(rho).addcmul_(grad, grad, { value: 1 - rho });
      const std = squareAvg.add(eps).sqrt_();
      const delta = accDelta.add(eps).sqrt_();
      delta.div_(std).mul_(grad);
      accDelta.mul_(rho).addcmul_(delta, delta, { value: 1 - rho });
      param.add_(delta, { alpha: -lr });
    }
  }

  /** _multi_tensor_adadelta over `params` (of one device and dtype, with gradients), for capturable=False. */
  private updateForeach(group: AdadeltaParamGroup, params: Tensor[], paramGrads: Tensor[]): void {
    const { lr, rho, eps, weightDecay, maximize } = group;
    const states = params.map((p) => this.initState(p));
    let grads = paramGrads;
    const squareAvgs = states.map((s) => s.squareAvg as Tensor);
    const accDeltas = states.map((s) => s.accDelta as Tensor);

    incrementSteps(states.map((s) => s.step as Tensor));
    if (maximize) grads = _foreachNeg(grads);
    if (weightDecay !== 0) {
      // reuses the copies that maximize made
      if (maximize) _foreachAdd_(grads, params, { alpha: weightDecay });
      else grads = _foreachAdd(grads, params, { alpha: weightDecay });
    }
    _foreachMul_(squareAvgs, rho);
    _foreachAddcmul_(squareAvgs, grads, grads, 1 - rho);
    const std = _foreachAdd(squareAvgs, eps);
    _foreachSqrt_(std);
    const deltas = _foreachAdd(accDeltas, eps);
    _foreachSqrt_(deltas);
    _foreachDiv_(deltas, std);
    _foreachMul_(deltas, grads);
    _foreachMul_(accDeltas, rho);
    _foreachAddcmul_(accDeltas, deltas, deltas, 1 - rho);
    _foreachAdd_(params, deltas, { alpha: -lr });
  }
}
