// torch.optim.Adagrad, following torch/optim/adagrad.py's _multi_tensor_adagrad (foreach) and
// _single_tensor_adagrad operation by operation (sparse gradients by the latter, as there); `foreach: null` picks
// between them as updateByDeviceGroup (optimizer.ts) says.
import {
  _foreachAdd,
  _foreachAdd_,
  _foreachAddcdiv_,
  _foreachAddcmul_,
  _foreachMul,
  _foreachMul_,
  _foreachNeg,
  _foreachSqrt,
  _fusedAdagrad_,
  fullLike,
  zeros,
} from '../../generated/functions.js';
import { scalarTensor } from '../creation.js';
import { sparseCooTensor } from '../sparse.js';
import type { Tensor } from '../tensor.js';
import { checkFusedOptions, checkFusedParams, forEachFusedPart, uncountSkippedStep } from './fused.js';
import {
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

export interface AdagradOptions {
  /** default 1e-2 */
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  /** default 1e-10 */
  eps?: number;
  /**
   * true: the foreach (multi-tensor) path; false: the single-tensor one; null (the default):
   * PyTorch's default path's numbers, by the foreach path where it gives them (float32 and float64)
   */
  foreach?: boolean | null;
  maximize?: boolean;
  differentiable?: boolean;
  /** true: libtorch's fused kernel, one call per device and dtype (PyTorch's fused=True numbers) */
  fused?: boolean | null;
}

export interface AdagradParamGroup extends ParamGroup {
  lrDecay: number;
  eps: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  foreach: boolean | null;
  maximize: boolean;
  differentiable: boolean;
  fused: boolean | null;
}

export interface AdagradState {
  step?: Tensor;
  sum?: Tensor;
  [key: string]: unknown;
}

const OPTIONS = [
  'lr',
  'lrDecay',
  'weightDecay',
  'initialAccumulatorValue',
  'eps',
  'foreach',
  'maximize',
  'differentiable',
  'fused',
];

/**
 * Adagrad (Duchi et al.). As in PyTorch, the state of every parameter is made by the
 * constructor, with the constructor's initialAccumulatorValue (a group's own value is not
 * used), and parameters added later by addParamGroup get theirs at their first step.
 */
export class Adagrad extends Optimizer<AdagradParamGroup, AdagradState> {
  /** Whether `foreach: null` takes the foreach path where it gives PyTorch's default numbers (see updateByDeviceGroup). */
  static readonly foreachByDefault: boolean = true;

  constructor(params: OptimizerParams, options?: AdagradOptions) {
    checkOptionNames('Adagrad', options, OPTIONS);
    super(params, {
      lr: options?.lr ?? 1e-2,
      lrDecay: options?.lrDecay ?? 0,
      eps: options?.eps ?? 1e-10,
      weightDecay: options?.weightDecay ?? 0,
      initialAccumulatorValue: options?.initialAccumulatorValue ?? 0,
      foreach: options?.foreach ?? null,
      maximize: options?.maximize ?? false,
      differentiable: options?.differentiable ?? false,
      fused: options?.fused ?? null,
    });
    // As PyTorch: only the constructor's fused makes GradScaler hand the scaling to step().
    this.stepSupportsAmpScaling = options?.fused === true;
    for (const group of this.paramGroups) {
      for (const param of group.params) this.initState(param, group.fused === true);
    }
  }

  /** A fresh state; a fused group keeps `step` on the parameter's device, where its kernel reads it. */
  private initState(param: Tensor, fused: boolean): AdagradState {
    const state = this.stateOf(param);
    state.step = fused
      ? zeros([], { dtype: 'float32', device: param.device }).keep()
      : scalarTensor(0, { dtype: 'float32' }).keep();
    state.sum = fullLike(param, this.defaults.initialAccumulatorValue as number).keep();
    return state;
  }

  protected validate(o: Record<string, unknown>): void {
    checkNonNegative('Adagrad', o, 'lr', 'learning rate');
    checkNonNegative('Adagrad', o, 'lrDecay');
    checkNonNegative('Adagrad', o, 'weightDecay');
    checkNonNegative('Adagrad', o, 'initialAccumulatorValue');
    checkNonNegative('Adagrad', o, 'eps', 'epsilon value');
    checkBoolean('Adagrad', o, 'maximize');
    checkFusedOptions('Adagrad', o);
    checkFlags('Adagrad', o);
  }

  protected updateGroup(group: AdagradParamGroup): void {
    updateByDeviceGroup(
      group,
      Adagrad.foreachByDefault,
      (params, grads) => this.updateSingle(group, params, grads),
      // PyTorch's foreach path hands a device group with a sparse gradient to the single-tensor code
      (params, grads) =>
        grads.some((g) => g.isSparse)
          ? this.updateSingle(group, params, grads)
          : this.updateForeach(group, params, grads),
      undefined,
      (params, grads) => this.updateFused(group, params, grads),
    );
  }

  /** The parameter's state, made at its first step if the constructor did not make it. */
  private stateAtStep(param: Tensor, fused = false): AdagradState {
    const state = this.stateOf(param);
    return Object.keys(state).length === 0 ? this.initState(param, fused) : state;
  }

  /**
   * _fused_adagrad over `params` (which have gradients): libtorch's _fused_adagrad_ once per
   * device and dtype, with the amp scale and overflow flag that GradScaler.step set, if any.
   */
  private updateFused(group: AdagradParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, lrDecay, eps, weightDecay, maximize } = group;
    if (grads.some((g) => g.isSparse) || params.some((p) => p.isComplex())) {
      throw new Error('Adagrad.step: `fused` does not support sparse grad or complex param');
    }
    checkFusedParams('Adagrad', params);
    const states = params.map((p) => this.stateAtStep(p, true));
    forEachFusedPart(params, this, ({ indices, gradScale, foundInf }) => {
      const parts = pick(states, indices);
      const steps = parts.map((s) => s.step as Tensor);
      _foreachAdd_(steps, 1);
      _fusedAdagrad_(
        pick(params, indices),
        pick(grads, indices),
        parts.map((s) => s.sum as Tensor),
        steps,
        { lr, lrDecay, weightDecay, eps, maximize, gradScale, foundInf },
      );
      uncountSkippedStep(steps, foundInf);
    });
  }

  /** _single_tensor_adagrad over `params` (with dense or sparse gradients). */
  private updateSingle(group: AdagradParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, lrDecay, eps, weightDecay, maximize } = group;
    for (const [i, param] of params.entries()) {
      const g = grads[i] as Tensor;
      const state = this.stateAtStep(param);
      const stepT = state.step as Tensor;
      const stateSum = state.sum as Tensor;
      stepT.add_(1);
      const step = stepT.item() as number;
      let grad = maximize ? g.neg() : g;
      const sparse = grad.isSparse;
      if (weightDecay !== 0) {
        if (sparse) throw new Error('Adagrad.step: weight_decay option is not compatible with sparse gradients');
        grad = grad.add(param, { alpha: weightDecay });
      }
      const clr = lr / (1 + (step - 1) * lrDecay);
      if (sparse) {
        // Only the rows present in the gradient change; coalesced first, the update not being
        // linear in repeated indices.
        const c = grad.coalesce();
        const indices = c._indices();
        const values = c._values();
        const size = c.shape;
        stateSum.add_(sparseCooTensor(indices, values.pow(2), size));
        const stdValues = stateSum.sparseMask(c)._values().sqrt_().add_(eps);
        param.add_(sparseCooTensor(indices, values.div(stdValues), size), { alpha: -clr });
        continue;
      }
      stateSum.addcmul_(grad, grad, { value: 1 });
      const std = stateSum.sqrt().add_(eps);
      param.addcdiv_(grad, std, { value: -clr });
    }
  }

  /**
   * _multi_tensor_adagrad over `params` (of one device and dtype, with dense gradients), with one
   * pass fewer in float32 and float64 (see below).
   */
  private updateForeach(group: AdagradParamGroup, params: Tensor[], paramGrads: Tensor[]): void {
    const { lr, lrDecay, eps, weightDecay, maximize } = group;
    const states = params.map((p) => this.stateAtStep(p));
    let grads = paramGrads;
    const stateSums = states.map((s) => s.sum as Tensor);
    const steps = states.map((s) => s.step as Tensor);

    if (maximize) grads = _foreachNeg(grads);
    incrementSteps(steps);
    if (weightDecay !== 0) {
      // reuses the copies that maximize made
      if (maximize) _foreachAdd_(grads, params, { alpha: weightDecay });
      else grads = _foreachAdd(grads, params, { alpha: weightDecay });
    }
    const minusClr = stepValues(steps).map((step) => -lr / (1 + (step - 1) * lrDecay));
    _foreachAddcmul_(stateSums, grads, grads, 1);
    const std = _foreachSqrt(stateSums);
    _foreachAdd_(std, eps);

    const dtype = (params[0] as Tensor).dtype;
    if (dtype === 'float32' || dtype === 'float64') {
      // PyTorch first multiplies the gradients by -clr (a pass over them and, without weight
      // decay or maximize, a new list), then adds numerator / std. In float32 and float64,
      // addcdiv's `self + value * t1 / t2` rounds value * t1 to the dtype before dividing, so
      // -clr as addcdiv's scalars gives the same numbers, bit for bit, without that pass (which
      // made this path slower than the single-tensor one). Half and bfloat16 compute in float
      // and round once, so they keep PyTorch's two steps.
      _foreachAddcdiv_(params, grads, std, minusClr);
      return;
    }
    let numerator: Tensor[];
    if (weightDecay !== 0 || maximize) {
      // the copies again
      _foreachMul_(grads, minusClr);
      numerator = grads;
    } else {
      numerator = _foreachMul(grads, minusClr);
    }
    _foreachAddcdiv_(params, numerator, std);
  }
}
