// torch.optim.SGD, following torch/optim/sgd.py's _multi_tensor_sgd (foreach) and
// _single_tensor_sgd operation by operation; `foreach: null` picks between them as
// updateByDeviceGroup (optimizer.ts) says.
import {
  _foreachAdd,
  _foreachAdd_,
  _foreachMul_,
  _foreachNeg,
  _fusedSgd_,
  emptyLike,
} from '../../generated/functions.js';
import type { Tensor } from '../tensor.js';
import { checkFusedOptions, checkFusedParams, forEachFusedPart } from './fused.js';
import {
  checkBoolean,
  checkFlags,
  checkNonNegative,
  checkNumber,
  checkOptionNames,
  Optimizer,
  type OptimizerParams,
  type ParamGroup,
  pick,
  updateByDeviceGroup,
} from './optimizer.js';

export interface SGDOptions {
  /** default 1e-3 */
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
  /**
   * true: the foreach (multi-tensor) path; false: the single-tensor one; null (the default):
   * PyTorch's default path's numbers, by the foreach path where it gives them (float32 and float64)
   */
  foreach?: boolean | null;
  differentiable?: boolean;
  /** true: libtorch's fused kernel, one call per device and dtype (PyTorch's fused=True numbers) */
  fused?: boolean | null;
}

export interface SGDParamGroup extends ParamGroup {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
  foreach: boolean | null;
  differentiable: boolean;
  fused: boolean | null;
}

export interface SGDState {
  momentumBuffer?: Tensor;
  [key: string]: unknown;
}

const OPTIONS = [
  'lr',
  'momentum',
  'dampening',
  'weightDecay',
  'nesterov',
  'maximize',
  'foreach',
  'differentiable',
  'fused',
];

/**
 * Stochastic gradient descent, optionally with momentum (PyTorch's formulation), Nesterov and
 * weight decay. Sparse gradients (nn.Embedding with `sparse: true`) are taken as PyTorch takes
 * them: with momentum the buffer is sparse too; weight decay fails as PyTorch's does.
 */
export class SGD extends Optimizer<SGDParamGroup, SGDState> {
  /** Whether `foreach: null` takes the foreach path where it gives PyTorch's default numbers (see updateByDeviceGroup). */
  static readonly foreachByDefault: boolean = true;

  constructor(params: OptimizerParams, options?: SGDOptions) {
    checkOptionNames('SGD', options, OPTIONS);
    super(params, {
      lr: options?.lr ?? 1e-3,
      momentum: options?.momentum ?? 0,
      dampening: options?.dampening ?? 0,
      weightDecay: options?.weightDecay ?? 0,
      nesterov: options?.nesterov ?? false,
      maximize: options?.maximize ?? false,
      foreach: options?.foreach ?? null,
      differentiable: options?.differentiable ?? false,
      fused: options?.fused ?? null,
    });
    // As PyTorch: only the constructor's fused makes GradScaler hand the scaling to step().
    this.stepSupportsAmpScaling = options?.fused === true;
  }

  protected validate(o: Record<string, unknown>): void {
    checkNonNegative('SGD', o, 'lr', 'learning rate');
    checkNonNegative('SGD', o, 'momentum');
    checkNumber('SGD', o, 'dampening');
    checkNonNegative('SGD', o, 'weightDecay');
    checkBoolean('SGD', o, 'nesterov');
    checkBoolean('SGD', o, 'maximize');
    checkFusedOptions('SGD', o);
    checkFlags('SGD', o);
    if (o.nesterov && ((o.momentum as number) <= 0 || o.dampening !== 0)) {
      throw new Error('SGD: Nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected updateGroup(group: SGDParamGroup): void {
    updateByDeviceGroup(
      group,
      SGD.foreachByDefault,
      (params, grads) => this.updateSingle(group, params, grads),
      (params, grads) => this.updateForeach(group, params, grads),
      undefined,
      (params, grads) => this.updateFused(group, params, grads),
    );
  }

  /**
   * _fused_sgd over `params` (which have gradients): libtorch's _fused_sgd_ once per device and
   * dtype. On the first step (no parameter has a momentum buffer yet) the buffers are made empty
   * and the kernel, told `isFirstStep`, fills them with the gradient, as PyTorch does.
   */
  private updateFused(group: SGDParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    if (grads.some((g) => g.isSparse)) throw new Error('SGD.step: `_fused_sgd` does not support sparse gradients');
    checkFusedParams('SGD', params);
    const noMomentumBuffer = momentum === 0;
    let bufs: Tensor[] = [];
    let isFirstStep = false;
    if (!noMomentumBuffer) {
      const states = params.map((p) => this.stateOf(p));
      isFirstStep = states.every((s) => s.momentumBuffer == null);
      if (isFirstStep) {
        for (const [i, s] of states.entries()) s.momentumBuffer = emptyLike(grads[i] as Tensor).keep();
      } else if (states.some((s) => s.momentumBuffer == null)) {
        // PyTorch passes the missing buffer (None) to the kernel, which fails; say why instead
        const missing = params[states.findIndex((s) => s.momentumBuffer == null)] as Tensor;
        throw new Error(
          `SGD.step: fused=true needs a momentum buffer for every parameter with a gradient once any has one, but parameter ${group.params.indexOf(missing)} of the group (shape [${missing.shape.join(', ')}]) has none (it had no gradient at the first step)`,
        );
      }
      bufs = states.map((s) => s.momentumBuffer as Tensor);
    }
    forEachFusedPart(params, this, ({ indices, gradScale, foundInf }) => {
      _fusedSgd_(pick(params, indices), pick(grads, indices), noMomentumBuffer ? [] : pick(bufs, indices), {
        weightDecay,
        momentum,
        lr,
        dampening,
        nesterov,
        maximize,
        isFirstStep,
        gradScale,
        foundInf,
      });
    });
  }

  /** _single_tensor_sgd over `params` (which have gradients). */
  private updateSingle(group: SGDParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    for (const [i, param] of params.entries()) {
      const g = grads[i] as Tensor;
      let grad = maximize ? g.neg() : g;
      if (weightDecay !== 0) grad = grad.add(param, { alpha: weightDecay });
      if (momentum !== 0) {
        const state = this.stateOf(param);
        let buf = state.momentumBuffer;
        if (buf == null) {
          buf = grad.detach().clone().keep();
          state.momentumBuffer = buf;
        } else {
          buf.mul_(momentum).add_(grad, { alpha: 1 - dampening });
        }
        grad = nesterov ? grad.add(buf, { alpha: momentum }) : buf;
      }
      param.add_(grad, { alpha: -lr });
    }
  }

  /**
   * _multi_tensor_sgd over `params` (of one device and dtype, with gradients). With Nesterov
   * momentum it adds `momentum * buf` to the gradients in place, as PyTorch's foreach path does
   * (to the parameters' own gradients when neither weight decay nor maximize made copies).
   */
  private updateForeach(group: SGDParamGroup, params: Tensor[], paramGrads: Tensor[]): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    let grads = paramGrads;
    if (maximize) grads = _foreachNeg(grads);
    if (weightDecay !== 0) {
      // reuses the copies that maximize made
      if (maximize) _foreachAdd_(grads, params, { alpha: weightDecay });
      else grads = _foreachAdd(grads, params, { alpha: weightDecay });
    }
    if (momentum !== 0) {
      const states = params.map((p) => this.stateOf(p));
      let bufs: Tensor[];
      if (states.every((s) => s.momentumBuffer != null)) {
        bufs = states.map((s) => s.momentumBuffer as Tensor);
        _foreachMul_(bufs, momentum);
        _foreachAdd_(bufs, grads, { alpha: 1 - dampening });
      } else {
        bufs = states.map((state, i) => {
          const grad = grads[i] as Tensor;
          let buf = state.momentumBuffer;
          if (buf == null) {
            buf = grad.detach().clone().keep();
            state.momentumBuffer = buf;
          } else {
            buf.mul_(momentum).add_(grad, { alpha: 1 - dampening });
          }
          return buf;
        });
      }
      if (!nesterov) grads = bufs;
      else _foreachAdd_(grads, bufs, { alpha: momentum });
    }
    if (paramGrads.some((g) => g.isSparse)) {
      // As PyTorch's foreach path: the final foreach add does not take sparse gradients, so
      // each parameter gets its own add_.
      for (const [i, param] of params.entries()) param.add_(grads[i] as Tensor, { alpha: -lr });
      return;
    }
    _foreachAdd_(params, grads, { alpha: -lr });
  }
}
