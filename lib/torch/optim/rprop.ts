// torch.optim.Rprop, following torch/optim/rprop.py's _multi_tensor_rprop (foreach) and
// _single_tensor_rprop operation by operation, for capturable=False; `foreach: null` picks
// between them as updateByDeviceGroup (optimizer.ts) says.
import {
  _foreachAddcmul_,
  _foreachCopy_,
  _foreachMul,
  _foreachMul_,
  _foreachNeg_,
  _foreachSign_,
  fullLike,
  where,
  zerosLike,
} from '../../generated/functions.js';
import { scalarTensor } from '../creation.js';
import type { Tensor } from '../tensor.js';
import {
  checkBoolean,
  checkFlags,
  checkNonNegative,
  checkOptionNames,
  checkPair,
  incrementSteps,
  Optimizer,
  type OptimizerParams,
  type ParamGroup,
  updateByDeviceGroup,
} from './optimizer.js';

export interface RpropOptions {
  /** the initial step size, default 1e-2 */
  lr?: number;
  /** [etaminus, etaplus]: the step sizes' factors when the gradient changes sign and when it keeps it, default [0.5, 1.2] */
  etas?: [number, number];
  /** [min, max]: the step sizes' bounds, default [1e-6, 50] */
  stepSizes?: [number, number];
  capturable?: boolean;
  /**
   * true: the foreach (multi-tensor) path; false: the single-tensor one; null (the default):
   * PyTorch's default path's numbers, by the foreach path where it gives them (float32 and float64)
   */
  foreach?: boolean | null;
  maximize?: boolean;
  differentiable?: boolean;
}

export interface RpropParamGroup extends ParamGroup {
  etas: [number, number];
  stepSizes: [number, number];
  foreach: boolean | null;
  maximize: boolean;
  differentiable: boolean;
  capturable: boolean;
}

export interface RpropState {
  /** float32 0-d tensor, as in PyTorch */
  step?: Tensor;
  /** the previous step's gradient (0 where its sign changed) */
  prev?: Tensor;
  /** the per-element step sizes */
  stepSize?: Tensor;
  [key: string]: unknown;
}

const OPTIONS = ['lr', 'etas', 'stepSizes', 'capturable', 'foreach', 'maximize', 'differentiable'];

/**
 * Rprop (resilient backpropagation, Riedmiller and Braun): each element moves by its own step
 * size against the sign of its gradient; the step size grows by etaplus while the gradient keeps
 * its sign and shrinks by etaminus when it changes (and the element then waits one step).
 */
export class Rprop extends Optimizer<RpropParamGroup, RpropState> {
  /**
   * Whether `foreach: null` takes the foreach path where it gives PyTorch's default numbers (see
   * updateByDeviceGroup): the paths differ only in where a negation falls, which is exact.
   */
  static readonly foreachByDefault: boolean = true;

  constructor(params: OptimizerParams, options?: RpropOptions) {
    checkOptionNames('Rprop', options, OPTIONS);
    super(params, {
      lr: options?.lr ?? 1e-2,
      etas: options?.etas ?? [0.5, 1.2],
      stepSizes: options?.stepSizes ?? [1e-6, 50],
      foreach: options?.foreach ?? null,
      maximize: options?.maximize ?? false,
      differentiable: options?.differentiable ?? false,
      capturable: options?.capturable ?? false,
    });
  }

  protected validate(o: Record<string, unknown>): void {
    checkNonNegative('Rprop', o, 'lr', 'learning rate');
    const [etaminus, etaplus] = checkPair('Rprop', o, 'etas', '[etaminus, etaplus]');
    if (!(etaminus > 0 && etaminus < 1 && etaplus > 1)) {
      throw new Error(`Rprop: invalid eta values: ${etaminus}, ${etaplus} (must be 0 < etaminus < 1 < etaplus)`);
    }
    checkPair('Rprop', o, 'stepSizes', '[min, max]');
    checkBoolean('Rprop', o, 'maximize');
    checkFlags('Rprop', o);
  }

  protected updateGroup(group: RpropParamGroup): void {
    updateByDeviceGroup(
      group,
      Rprop.foreachByDefault,
      (params, grads) => this.updateSingle(group, params, grads),
      (params, grads) => this.updateForeach(group, params, grads),
      `${this.constructor.name}.step: Rprop does not support sparse gradients`,
    );
  }

  /** The parameter's state, made as Rprop._init_group makes it on the first step (step sizes: the group's lr). */
  private initState(param: Tensor, grad: Tensor, lr: number): RpropState {
    const state = this.stateOf(param);
    if (Object.keys(state).length === 0) {
      state.step = scalarTensor(0, { dtype: 'float32' }).keep();
      state.prev = zerosLike(param).keep();
      state.stepSize = fullLike(grad, lr).keep();
    }
    return state;
  }

  /** sign(grad * prev) turned into the step sizes' factors, in place: etaplus, etaminus, or 1 where it is 0. */
  private static signsToFactors(sign: Tensor, etaminus: number, etaplus: number): void {
    sign.maskedFill_(sign.gt(0), etaplus);
    sign.maskedFill_(sign.lt(0), etaminus);
    sign.maskedFill_(sign.eq(0), 1);
  }

  /** _single_tensor_rprop over `params` (which have gradients). */
  private updateSingle(group: RpropParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, maximize } = group;
    const [etaminus, etaplus] = group.etas;
    const [stepSizeMin, stepSizeMax] = group.stepSizes;
    for (const [i, param] of params.entries()) {
      const g = grads[i] as Tensor;
      const state = this.initState(param, g, lr);
      const prev = state.prev as Tensor;
      const stepSize = state.stepSize as Tensor;

      let grad = maximize ? g.neg() : g;
      (state.step as Tensor).add_(1);
      const sign = grad.mul(prev).sign();
      Rprop.signsToFactors(sign, etaminus, etaplus);
      stepSize.mul_(sign).clamp_({ min: stepSizeMin, max: stepSizeMax });
      // where the sign changed, the gradient counts as 0 (no move now, and no factor next step)
      grad = grad.clone().maskedFill_(sign.eq(etaminus), 0);
      param.addcmul_(grad.sign(), stepSize, { value: -1 });
      prev.copy_(grad);
    }
  }

  /** _multi_tensor_rprop over `params` (of one device and dtype, with gradients), for capturable=False. */
  private updateForeach(group: RpropParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, maximize } = group;
    const [etaminus, etaplus] = group.etas;
    const [stepSizeMin, stepSizeMax] = group.stepSizes;
    const states = params.map((p, i) => this.initState(p, grads[i] as Tensor, lr));
    const prevs = states.map((s) => s.prev as Tensor);
    const stepSizes = states.map((s) => s.stepSize as Tensor);

    incrementSteps(states.map((s) => s.step as Tensor));
    const signs = _foreachMul(grads, prevs);
    if (maximize) _foreachNeg_(signs);
    // prevs take this step's gradients (negated for maximize), and serve as them from here on
    _foreachCopy_(prevs, grads);
    if (maximize) _foreachNeg_(prevs);
    _foreachSign_(signs);
    for (const sign of signs) Rprop.signsToFactors(sign, etaminus, etaplus);
    _foreachMul_(stepSizes, signs);
    for (const stepSize of stepSizes) stepSize.clamp_({ min: stepSizeMin, max: stepSizeMax });
    prevs.forEach((grad, i) => {
      grad.copy_(where((signs[i] as Tensor).eq(etaminus), 0, grad));
    });
    _foreachAddcmul_(
      params,
      prevs.map((grad) => grad.sign()),
      stepSizes,
      -1,
    );
  }
}
