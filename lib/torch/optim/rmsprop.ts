// torch.optim.RMSprop, following torch/optim/rmsprop.py's _multi_tensor_rmsprop (foreach) and
// _single_tensor_rmsprop operation by operation, for capturable=False; `foreach: null` picks
// between them as updateByDeviceGroup (optimizer.ts) says.
import {
  _foreachAdd,
  _foreachAdd_,
  _foreachAddcdiv_,
  _foreachAddcmul,
  _foreachAddcmul_,
  _foreachLerp_,
  _foreachMul_,
  _foreachNeg,
  _foreachSqrt,
  _foreachSqrt_,
  zerosLike,
} from '../../generated/functions.js';
import { scalarTensor } from '../creation.js';
import type { Tensor } from '../tensor.js';
import {
  checkBoolean,
  checkFlags,
  checkNonNegative,
  checkOptionNames,
  incrementSteps,
  Optimizer,
  type OptimizerParams,
  type ParamGroup,
  updateByDeviceGroup,
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
  /**
   * true: the foreach (multi-tensor) path; false: the single-tensor one; null (the default):
   * PyTorch's default path's numbers, by the foreach path where it gives them (float32 and float64)
   */
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
  /** Whether `foreach: null` takes the foreach path where it gives PyTorch's default numbers (see updateByDeviceGroup). */
  static readonly foreachByDefault: boolean = true;

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
    updateByDeviceGroup(
      group,
      RMSprop.foreachByDefault,
      (params, grads) => this.updateSingle(group, params, grads),
      (params, grads) => this.updateForeach(group, params, grads),
      `${this.constructor.name}.step: RMSprop does not support sparse gradients`,
    );
  }

  /** The parameter's state, made as RMSprop._init_group makes it on the first step. */
  private initState(param: Tensor, group: RMSpropParamGroup): RMSpropState {
    const state = this.stateOf(param);
    if (Object.keys(state).length === 0) {
      state.step = scalarTensor(0, { dtype: 'float32' }).keep();
      state.squareAvg = zerosLike(param).keep();
      if (group.momentum > 0) state.momentumBuffer = zerosLike(param).keep();
      if (group.centered) state.gradAvg = zerosLike(param).keep();
    }
    return state;
  }

  /** _single_tensor_rmsprop over `params` (which have gradients). */
  private updateSingle(group: RMSpropParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    for (const [i, param] of params.entries()) {
      const g = grads[i] as Tensor;
      const state = this.initState(param, group);
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

  /** _multi_tensor_rmsprop over `params` (of one device and dtype, with gradients), for capturable=False. */
  private updateForeach(group: RMSpropParamGroup, params: Tensor[], paramGrads: Tensor[]): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    const states = params.map((p) => this.initState(p, group));
    let grads = paramGrads;
    const squareAvgs = states.map((s) => s.squareAvg as Tensor);

    if (maximize) grads = _foreachNeg(grads);
    incrementSteps(states.map((s) => s.step as Tensor));
    if (weightDecay !== 0) {
      // reuses the copies that maximize made
      if (maximize) _foreachAdd_(grads, params, { alpha: weightDecay });
      else grads = _foreachAdd(grads, params, { alpha: weightDecay });
    }
    _foreachMul_(squareAvgs, alpha);
    _foreachAddcmul_(squareAvgs, grads, grads, 1 - alpha);

    let avg: Tensor[];
    if (centered) {
      const gradAvgs = states.map((s, i) => (s.gradAvg ??= zerosLike(params[i] as Tensor).keep()));
      _foreachLerp_(gradAvgs, grads, 1 - alpha);
      avg = _foreachAddcmul(squareAvgs, gradAvgs, gradAvgs, -1);
      _foreachSqrt_(avg);
      _foreachAdd_(avg, eps);
    } else {
      avg = _foreachSqrt(squareAvgs);
      _foreachAdd_(avg, eps);
    }

    if (momentum > 0) {
      const bufs = states.map((s, i) => (s.momentumBuffer ??= zerosLike(params[i] as Tensor).keep()));
      _foreachMul_(bufs, momentum);
      _foreachAddcdiv_(bufs, grads, avg);
      _foreachAdd_(params, bufs, { alpha: -lr });
    } else {
      _foreachAddcdiv_(params, grads, avg, -lr);
    }
  }
}
