// torch.optim.Muon, following torch/optim/_muon.py's _single_tensor_muon (PyTorch has no
// foreach path for Muon) operation by operation, the Newton-Schulz iteration in bfloat16 as
// there, so that the parameters come out as PyTorch's bit for bit.
import { addmm, zerosLike } from '../../generated/functions.js';
import { linalgVectorNorm } from '../../generated/namespaces.js';
import { scope } from '../lifetime.js';
import type { Tensor } from '../tensor.js';
import {
  checkBoolean,
  checkNumber,
  checkOptionNames,
  Optimizer,
  type OptimizerParams,
  type ParamGroup,
  updateByDeviceGroup,
} from './optimizer.js';

/** How the learning rate is scaled by the matrix's shape [A, B]. */
export type MuonAdjustLrFn = 'original' | 'match_rms_adamw';

export interface MuonOptions {
  /** default 1e-3 */
  lr?: number;
  /** default 0.1: decoupled, param *= 1 - lr * weightDecay */
  weightDecay?: number;
  /** default 0.95 */
  momentum?: number;
  /** default true */
  nesterov?: boolean;
  /** default [3.4445, -4.775, 2.0315]: the quintic's coefficients [a, b, c] */
  nsCoefficients?: [number, number, number];
  /** default 1e-7: floors the norm the update is divided by */
  eps?: number;
  /** default 5: Newton-Schulz iterations (fewer than 100) */
  nsSteps?: number;
  /**
   * null (the default) or 'original': lr * sqrt(max(1, A / B)) (Keller Jordan's);
   * 'match_rms_adamw': lr * 0.2 * sqrt(max(A, B)) (Moonshot's, to reuse AdamW's lr and weight decay)
   */
  adjustLrFn?: MuonAdjustLrFn | null;
}

export interface MuonParamGroup extends ParamGroup {
  weightDecay: number;
  momentum: number;
  nesterov: boolean;
  nsCoefficients: [number, number, number];
  eps: number;
  nsSteps: number;
  adjustLrFn: MuonAdjustLrFn | null;
}

export interface MuonState {
  momentumBuffer?: Tensor;
  [key: string]: unknown;
}

const OPTIONS = ['lr', 'weightDecay', 'momentum', 'nesterov', 'nsCoefficients', 'eps', 'nsSteps', 'adjustLrFn'];

/**
 * The quintic Newton-Schulz iteration that maps `g` (2-D) to roughly U V^T of its SVD, in
 * bfloat16, on the wide orientation (a tall matrix is transposed and back). Returns bfloat16.
 */
export function zeropowerViaNewtonSchulz(
  g: Tensor,
  coefficients: readonly number[],
  steps: number,
  eps: number,
): Tensor {
  const [a, b, c] = coefficients as [number, number, number];
  const tall = g.size(0) > g.size(1);
  // bfloat16() of a bfloat16 tensor is that tensor: divided in place below, as in PyTorch
  let x = g.bfloat16();
  if (tall) x = x.t();
  // the Frobenius norm bounds the spectral norm: the iteration starts with singular values <= 1
  x.div_(linalgVectorNorm(x).clamp({ min: eps }));
  for (let k = 0; k < steps; k++) {
    const gram = x.matmul(x.t());
    const poly = addmm(gram, gram, gram, { beta: b, alpha: c });
    x = addmm(x, poly, x, { beta: a });
  }
  return tall ? x.t() : x;
}

/** The learning rate for a matrix of shape [A, B], as PyTorch's _adjust_lr. */
function adjustLr(lr: number, fn: MuonAdjustLrFn | null, shape: number[]): number {
  const [A, B] = shape as [number, number];
  let ratio: number;
  if (fn === null || fn === 'original') ratio = Math.sqrt(Math.max(1, A / B));
  else if (fn === 'match_rms_adamw') ratio = 0.2 * Math.sqrt(Math.max(A, B));
  else ratio = 1.0;
  return lr * ratio;
}

/**
 * Muon (Keller Jordan): momentum SGD whose update, for a 2-D parameter, is orthogonalized by a
 * Newton-Schulz iteration. Only for matrices: give biases, embeddings and the like to another
 * optimizer (AdamW).
 */
export class Muon extends Optimizer<MuonParamGroup, MuonState> {
  constructor(params: OptimizerParams, options?: MuonOptions) {
    checkOptionNames('Muon', options, OPTIONS);
    super(params, {
      lr: options?.lr ?? 1e-3,
      weightDecay: options?.weightDecay ?? 0.1,
      momentum: options?.momentum ?? 0.95,
      nesterov: options?.nesterov ?? true,
      nsCoefficients: options?.nsCoefficients ?? [3.4445, -4.775, 2.0315],
      eps: options?.eps ?? 1e-7,
      nsSteps: options?.nsSteps ?? 5,
      adjustLrFn: options?.adjustLrFn ?? null,
    });
  }

  /** Checks the options and, for a group, that its parameters are matrices (also in addParamGroup). */
  protected validate(o: Record<string, unknown>): void {
    const name = 'Muon';
    const lr = checkNumber(name, o, 'lr');
    if (!(lr >= 0)) throw new Error(`${name}: invalid learning rate (lr): ${lr} (must be >= 0)`);
    const momentum = checkNumber(name, o, 'momentum');
    if (!(momentum >= 0)) throw new Error(`${name}: invalid momentum: ${momentum} (must be >= 0)`);
    const wd = checkNumber(name, o, 'weightDecay');
    if (!(wd >= 0)) throw new Error(`${name}: invalid weightDecay: ${wd} (must be >= 0)`);
    checkBoolean(name, o, 'nesterov');
    checkNumber(name, o, 'eps');
    const coefficients = o.nsCoefficients;
    if (!Array.isArray(coefficients) || coefficients.length !== 3 || coefficients.some((x) => typeof x !== 'number')) {
      throw new TypeError(`${name}: nsCoefficients must be an array of three numbers [a, b, c]`);
    }
    const steps = checkNumber(name, o, 'nsSteps');
    if (!Number.isInteger(steps) || steps < 0 || steps >= 100) {
      throw new Error(`${name}: invalid nsSteps: ${steps} (must be an integer from 0 to 99)`);
    }
    const fn = o.adjustLrFn;
    if (fn !== null && fn !== 'original' && fn !== 'match_rms_adamw') {
      throw new Error(
        `${name}: adjustLrFn ${JSON.stringify(fn)} is not supported (null, 'original' or 'match_rms_adamw')`,
      );
    }
    for (const p of (o.params as Tensor[] | undefined) ?? []) {
      if (p.dim() !== 2) {
        throw new Error(
          `${name} only supports 2-D parameters, but got a parameter of shape [${p.shape}]; optimize the others with another optimizer (AdamW)`,
        );
      }
    }
  }

  protected updateGroup(group: MuonParamGroup): void {
    for (const p of group.params) {
      if (p.grad !== null && p.isComplex())
        throw new Error(`Muon.step: complex parameters are not supported (got ${p.dtype})`);
    }
    const single = (params: Tensor[], grads: Tensor[]): void => this.updateSingle(group, params, grads);
    updateByDeviceGroup(group, false, single, single, 'Muon.step: Muon does not support sparse gradients');
  }

  /** _single_tensor_muon over `params` (which have gradients). */
  private updateSingle(group: MuonParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, weightDecay, momentum, nesterov, nsCoefficients, eps, nsSteps, adjustLrFn } = group;
    for (const [i, param] of params.entries()) {
      const grad = grads[i] as Tensor;
      if (grad.dim() !== 2) {
        throw new Error(`Muon.step: the gradient must be a 2-D matrix, got shape [${grad.shape}]`);
      }
      const state = this.stateOf(param);
      if (state.momentumBuffer == null) state.momentumBuffer = zerosLike(grad).keep();
      const buf = state.momentumBuffer;
      // one parameter's temporaries (the iteration's matrices) are freed before the next's
      scope(() => {
        buf.lerp_(grad, 1 - momentum);
        const update = zeropowerViaNewtonSchulz(
          nesterov ? grad.lerp(buf, momentum) : buf,
          nsCoefficients,
          nsSteps,
          eps,
        );
        param.mul_(1 - lr * weightDecay);
        param.add_(update, { alpha: -adjustLr(lr, adjustLrFn, param.shape) });
      });
    }
  }
}
