// torch.optim.Adam, following torch/optim/adam.py's _multi_tensor_adam (foreach) and
// _single_tensor_adam (PyTorch's default on the CPU) operation by operation, for
// capturable=False; `foreach: null` picks between them as updateByDeviceGroup (optimizer.ts) says.
import {
  _foreachAdd,
  _foreachAdd_,
  _foreachAddcdiv_,
  _foreachAddcmul_,
  _foreachDiv_,
  _foreachLerp_,
  _foreachMaximum_,
  _foreachMul_,
  _foreachNeg,
  _foreachSqrt,
  _fusedAdam_,
  _fusedAdamw_,
  zeros,
  zerosLike,
} from '../../generated/functions.js';
import { scalarTensor } from '../creation.js';
import type { Tensor } from '../tensor.js';
import { checkFusedOptions, checkFusedParams, forEachFusedPart, uncountSkippedStep } from './fused.js';
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
  pick,
  stepValues,
  updateByDeviceGroup,
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
  /**
   * true: the foreach (multi-tensor) path; false: the single-tensor one; null (the default):
   * PyTorch's default path's numbers, by the foreach path where it gives them (float32 and float64)
   */
  foreach?: boolean | null;
  capturable?: boolean;
  differentiable?: boolean;
  /** true: libtorch's fused kernel, one call per device and dtype (PyTorch's fused=True numbers) */
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
  /** Whether `foreach: null` takes the foreach path where it gives PyTorch's default numbers (see updateByDeviceGroup). */
  static readonly foreachByDefault: boolean = true;

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
    // As PyTorch: only the constructor's fused makes GradScaler hand the scaling to step().
    this.stepSupportsAmpScaling = options?.fused === true;
  }

  protected validate(o: Record<string, unknown>): void {
    const name = this.constructor.name;
    checkNonNegative(name, o, 'lr', 'learning rate');
    checkNonNegative(name, o, 'eps', 'epsilon value');
    checkBetas(name, o);
    checkNonNegative(name, o, 'weightDecay');
    checkBoolean(name, o, 'amsgrad');
    checkBoolean(name, o, 'maximize');
    checkBoolean(name, o, 'decoupledWeightDecay');
    checkFusedOptions(name, o);
    checkFlags(name, o);
  }

  protected updateGroup(group: AdamParamGroup): void {
    updateByDeviceGroup(
      group,
      Adam.foreachByDefault,
      (params, grads) => this.updateSingle(group, params, grads),
      (params, grads) => this.updateForeach(group, params, grads),
      `${this.constructor.name}.step: Adam does not support sparse gradients, please consider SparseAdam instead`,
      (params, grads) => this.updateFused(group, params, grads),
    );
  }

  /**
   * The parameter's state, made as Adam._init_group makes it on the first step: with `step` on the
   * parameter's device for the fused kernel, which reads it there.
   */
  private initState(param: Tensor, amsgrad: boolean, fused = false): AdamState {
    const state = this.stateOf(param);
    if (Object.keys(state).length === 0) {
      state.step = fused
        ? zeros([], { dtype: 'float32', device: param.device }).keep()
        : scalarTensor(0, { dtype: 'float32' }).keep();
      state.expAvg = zerosLike(param).keep();
      state.expAvgSq = zerosLike(param).keep();
      if (amsgrad) state.maxExpAvgSq = zerosLike(param).keep();
    }
    return state;
  }

  /** _single_tensor_adam over `params` (which have gradients). */
  private updateSingle(group: AdamParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay } = group;
    const [beta1, beta2] = group.betas;
    for (const [i, param] of params.entries()) {
      const g = grads[i] as Tensor;
      const state = this.initState(param, amsgrad);
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

  /**
   * _fused_adam over `params` (which have gradients): libtorch's _fused_adam_ (_fused_adamw_ for
   * decoupled weight decay) once per device and dtype, with the amp scale and overflow flag that
   * GradScaler.step set on this optimizer, if any.
   */
  private updateFused(group: AdamParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay } = group;
    const [beta1, beta2] = group.betas;
    checkFusedParams(this.constructor.name, params);
    const states = params.map((p) => this.initState(p, amsgrad, true));
    const kernel = decoupledWeightDecay ? _fusedAdamw_ : _fusedAdam_;
    forEachFusedPart(params, this, ({ indices, gradScale, foundInf }) => {
      const parts = pick(states, indices);
      const steps = parts.map((s) => s.step as Tensor);
      _foreachAdd_(steps, 1);
      kernel(
        pick(params, indices),
        pick(grads, indices),
        parts.map((s) => s.expAvg as Tensor),
        parts.map((s) => s.expAvgSq as Tensor),
        // PyTorch's list is empty without amsgrad
        amsgrad
          ? parts.map((s, k) => (s.maxExpAvgSq ??= zerosLike(params[indices[k] as number] as Tensor).keep()))
          : [],
        steps,
        { lr, beta1, beta2, weightDecay, eps, amsgrad, maximize, gradScale, foundInf },
      );
      uncountSkippedStep(steps, foundInf);
    });
  }

  /** _multi_tensor_adam over `params` (of one device and dtype, with gradients), for capturable=False. */
  private updateForeach(group: AdamParamGroup, params: Tensor[], paramGrads: Tensor[]): void {
    const { lr, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay } = group;
    const [beta1, beta2] = group.betas;
    const states = params.map((p) => this.initState(p, amsgrad));
    let grads = paramGrads;
    const expAvgs = states.map((s) => s.expAvg as Tensor);
    const expAvgSqs = states.map((s) => s.expAvgSq as Tensor);
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

    const stepsNow = stepValues(steps);
    const biasCorrection1 = stepsNow.map((step) => 1 - pyPow(beta1, step));
    const biasCorrection2 = stepsNow.map((step) => 1 - pyPow(beta2, step));
    const stepSize = biasCorrection1.map((bc) => (lr / bc) * -1);
    const biasCorrection2Sqrt = biasCorrection2.map((bc) => pyPow(bc, 0.5));
    let expAvgSqSqrt: Tensor[];
    if (amsgrad) {
      const maxExpAvgSqs = states.map((s, i) => (s.maxExpAvgSq ??= zerosLike(params[i] as Tensor).keep()));
      _foreachMaximum_(maxExpAvgSqs, expAvgSqs);
      expAvgSqSqrt = _foreachSqrt(maxExpAvgSqs);
    } else {
      expAvgSqSqrt = _foreachSqrt(expAvgSqs);
    }
    _foreachDiv_(expAvgSqSqrt, biasCorrection2Sqrt);
    _foreachAdd_(expAvgSqSqrt, eps);
    _foreachAddcdiv_(params, expAvgs, expAvgSqSqrt, stepSize);
  }
}
