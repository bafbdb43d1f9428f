// torch.optim.ASGD, following torch/optim/asgd.py's _multi_tensor_asgd (foreach) and
// _single_tensor_asgd operation by operation, for capturable=False; `foreach: null` picks
// between them as updateByDeviceGroup (optimizer.ts) says.
import {
  _foreachAdd,
  _foreachAdd_,
  _foreachAddcmul_,
  _foreachCopy_,
  _foreachNeg,
  _foreachSub,
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
import { pyPow } from './pymath.js';

export interface ASGDOptions {
  /** default 1e-2 */
  lr?: number;
  /** the decay term, default 1e-4 */
  lambd?: number;
  /** the power of eta's decay, default 0.75 */
  alpha?: number;
  /** the step after which averaging starts, default 1e6 */
  t0?: number;
  weightDecay?: number;
  /**
   * true: the foreach (multi-tensor) path; false: the single-tensor one; null (the default):
   * PyTorch's default on the CPU, the single-tensor path (see foreachByDefault)
   */
  foreach?: boolean | null;
  maximize?: boolean;
  differentiable?: boolean;
  capturable?: boolean;
}

export interface ASGDParamGroup extends ParamGroup {
  lambd: number;
  alpha: number;
  t0: number;
  weightDecay: number;
  foreach: boolean | null;
  maximize: boolean;
  differentiable: boolean;
  capturable: boolean;
}

export interface ASGDState {
  /** float32 0-d tensor, as in PyTorch */
  step?: Tensor;
  /** this step's learning rate: a float32 0-d tensor, as in PyTorch */
  eta?: Tensor;
  /** the averaging coefficient, 1 / max(1, step - t0): a float32 0-d tensor, as in PyTorch */
  mu?: Tensor;
  /** the averaged parameter */
  ax?: Tensor;
  [key: string]: unknown;
}

const OPTIONS = ['lr', 'lambd', 'alpha', 't0', 'weightDecay', 'foreach', 'maximize', 'differentiable', 'capturable'];

/**
 * Averaged SGD (Polyak and Juditsky): SGD with a decaying learning rate
 * `lr / (1 + lambd * lr * step)^alpha`, and a running average of the parameters (`ax` in the
 * state) from step t0 on.
 */
export class ASGD extends Optimizer<ASGDParamGroup, ASGDState> {
  /**
   * Whether `foreach: null` takes the foreach path where it gives PyTorch's default numbers (see
   * updateByDeviceGroup). It does not here: PyTorch's foreach path computes
   * `param - eta * (grad + lambd * param)` where the single-tensor one computes
   * `param * (1 - lambd * eta) - eta * grad`, averages from the first step where the
   * single-tensor path copies, and computes eta in float32 where the single-tensor path does in
   * float64.
   */
  static readonly foreachByDefault: boolean = false;

  constructor(params: OptimizerParams, options?: ASGDOptions) {
    checkOptionNames('ASGD', options, OPTIONS);
    super(params, {
      lr: options?.lr ?? 1e-2,
      lambd: options?.lambd ?? 1e-4,
      alpha: options?.alpha ?? 0.75,
      t0: options?.t0 ?? 1e6,
      weightDecay: options?.weightDecay ?? 0,
      foreach: options?.foreach ?? null,
      maximize: options?.maximize ?? false,
      differentiable: options?.differentiable ?? false,
      capturable: options?.capturable ?? false,
    });
  }

  protected validate(o: Record<string, unknown>): void {
    checkNonNegative('ASGD', o, 'lr', 'learning rate');
    checkNumber('ASGD', o, 'lambd');
    checkNumber('ASGD', o, 'alpha');
    checkNumber('ASGD', o, 't0');
    checkNonNegative('ASGD', o, 'weightDecay');
    checkBoolean('ASGD', o, 'maximize');
    checkFlags('ASGD', o);
  }

  protected updateGroup(group: ASGDParamGroup): void {
    updateByDeviceGroup(
      group,
      ASGD.foreachByDefault,
      (params, grads) => this.updateSingle(group, params, grads),
      (params, grads) => this.updateForeach(group, params, grads),
      `${this.constructor.name}.step: ASGD does not support sparse gradients`,
    );
  }

  /** The parameter's state, made as ASGD._init_group makes it on the first step (eta: the group's lr). */
  private initState(param: Tensor, lr: number): ASGDState {
    const state = this.stateOf(param);
    if (Object.keys(state).length === 0) {
      // On the parameter's device, as PyTorch's (ASGD keeps them there even when not capturable).
      const device = param.device;
      state.step = scalarTensor(0, { dtype: 'float32', device }).keep();
      state.eta = scalarTensor(lr, { dtype: 'float32', device }).keep();
      state.mu = scalarTensor(1, { dtype: 'float32', device }).keep();
      state.ax = zerosLike(param).keep();
    }
    return state;
  }

  /** _single_tensor_asgd over `params` (which have gradients). */
  private updateSingle(group: ASGDParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, lambd, alpha, t0, weightDecay, maximize } = group;
    for (const [i, param] of params.entries()) {
      const g = grads[i] as Tensor;
      const state = this.initState(param, lr);
      const stepT = state.step as Tensor;
      const eta = state.eta as Tensor;
      const mu = state.mu as Tensor;
      const ax = state.ax as Tensor;

      let grad = maximize ? g.neg() : g;
      stepT.add_(1);
      if (weightDecay !== 0) grad = grad.add(param, { alpha: weightDecay });
      const etaValue = eta.item() as number;
      param.mul_(1 - lambd * etaValue);
      param.add_(grad, { alpha: -etaValue });
      // averaging: a copy while mu is 1, then ax += mu * (param - ax)
      if (mu.item() !== 1) ax.add_(param.sub(ax).mul_(mu));
      else ax.copy_(param);

      const step = stepT.item() as number;
      // computed in float64 and stored as a float32 tensor (Python's torch.as_tensor of a float)
      eta.copy_(scalarTensor(lr / pyPow(1 + lambd * lr * step, alpha), { dtype: 'float32' }));
      mu.copy_(scalarTensor(1 / Math.max(1, step - t0), { dtype: 'float32' }));
    }
  }

  /** _multi_tensor_asgd over `params` (of one device and dtype, with gradients), for capturable=False. */
  private updateForeach(group: ASGDParamGroup, params: Tensor[], paramGrads: Tensor[]): void {
    const { lr, lambd, alpha, t0, weightDecay, maximize } = group;
    const states = params.map((p) => this.initState(p, lr));
    let grads = paramGrads;
    const axs = states.map((s) => s.ax as Tensor);
    const mus = states.map((s) => s.mu as Tensor);
    const etas = states.map((s) => s.eta as Tensor);
    const steps = states.map((s) => s.step as Tensor);

    if (maximize) grads = _foreachNeg(grads);
    incrementSteps(steps);
    // intermediate = grad (+ weightDecay * param) + lambd * param
    let intermediate: Tensor[];
    if (weightDecay !== 0) {
      // reuses the copies that maximize made
      if (maximize) {
        _foreachAdd_(grads, params, { alpha: weightDecay });
        intermediate = grads;
      } else {
        intermediate = _foreachAdd(grads, params, { alpha: weightDecay });
      }
      _foreachAdd_(intermediate, params, { alpha: lambd });
    } else {
      intermediate = _foreachAdd(grads, params, { alpha: lambd });
    }
    // param - eta * intermediate, that is param * (1 - lambd * eta) - eta * grad
    _foreachAddcmul_(params, intermediate, etas, -1);
    // averaging from the first step: ax += mu * (param - ax)
    _foreachAddcmul_(axs, _foreachSub(params, axs), mus);

    // eta from the float32 step tensor by float32 tensor operations, as PyTorch's foreach path
    // computes it: lr / (1 + lambd * lr * step) ** alpha, where `float / tensor` is
    // `tensor.reciprocal() * float`
    const newEtas = steps.map((step) =>
      step
        .mul(lambd * lr)
        .add(1)
        .pow(alpha)
        .reciprocal()
        .mul(lr),
    );
    const newMus = steps.map((step) =>
      scalarTensor(1 / Math.max(1, (step.item() as number) - t0), { dtype: 'float32', device: step.device }),
    );
    _foreachCopy_(etas, newEtas);
    _foreachCopy_(mus, newMus);
  }
}
