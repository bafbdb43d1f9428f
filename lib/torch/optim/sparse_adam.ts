// torch.optim.SparseAdam: Adam's moments and step, but only for the rows a sparse gradient holds
// (nn.Embedding with `sparse: true`), following torch/optim/_functional.py's sparse_adam
// operation by operation. The moments of rows absent from a gradient keep their values (no
// decay), which is what makes this differ from Adam on a dense gradient.
import { zerosLike } from '../../generated/functions.js';
import { sparseCooTensor } from '../sparse.js';
import { Tensor } from '../tensor.js';
import {
  checkBetas,
  checkBoolean,
  checkNumber,
  checkOptionNames,
  Optimizer,
  type OptimizerParams,
  type OptimizerStateDict,
  type ParamGroup,
} from './optimizer.js';
import { pyPow } from './pymath.js';

export interface SparseAdamOptions {
  /** default 1e-3 */
  lr?: number;
  /** default [0.9, 0.999] */
  betas?: [number, number];
  /** default 1e-8 */
  eps?: number;
  maximize?: boolean;
}

export interface SparseAdamParamGroup extends ParamGroup {
  betas: [number, number];
  eps: number;
  maximize: boolean;
}

export interface SparseAdamState {
  /** a number, as PyTorch's SparseAdam keeps a Python int */
  step?: number;
  expAvg?: Tensor;
  expAvgSq?: Tensor;
  [key: string]: unknown;
}

const OPTIONS = ['lr', 'betas', 'eps', 'maximize'];

/** Adam for sparse gradients: every parameter with a gradient must have a sparse one. */
export class SparseAdam extends Optimizer<SparseAdamParamGroup, SparseAdamState> {
  constructor(params: OptimizerParams, options?: SparseAdamOptions) {
    checkOptionNames('SparseAdam', options, OPTIONS);
    super(params, {
      lr: options?.lr ?? 1e-3,
      betas: options?.betas ?? [0.9, 0.999],
      eps: options?.eps ?? 1e-8,
      maximize: options?.maximize ?? false,
    });
    // PyTorch's constructor checks the parameters themselves (groups added later are not).
    const sparse: string[] = [];
    const complex: string[] = [];
    this.paramGroups.forEach((group, g) => {
      group.params.forEach((p, i) => {
        if (p.isSparse) sparse.push(`[${g}, ${i}]`);
        if (p.isComplex()) complex.push(`[${g}, ${i}]`);
      });
    });
    if (sparse.length) {
      throw new Error(
        `SparseAdam: Sparse params at indices [${sparse.join(', ')}]: SparseAdam requires dense parameter tensors`,
      );
    }
    if (complex.length) {
      throw new Error(
        `SparseAdam: Complex params at indices [${complex.join(', ')}]: SparseAdam does not support complex parameters`,
      );
    }
  }

  /** As the base class's, but `step` stays a number (PyTorch keeps SparseAdam's a Python int). */
  override loadStateDict(stateDict: OptimizerStateDict): void {
    super.loadStateDict(stateDict);
    for (const state of this.state.values()) {
      const step = state.step as unknown;
      if (step instanceof Tensor) {
        state.step = step.item() as number;
        step.dispose();
      }
    }
  }

  protected validate(o: Record<string, unknown>): void {
    const positive = (key: string, what: string): void => {
      const v = checkNumber('SparseAdam', o, key);
      if (!(v > 0)) throw new Error(`SparseAdam: invalid ${what}: ${v} (must be > 0)`);
    };
    positive('lr', 'learning rate');
    positive('eps', 'epsilon value');
    checkBetas('SparseAdam', o);
    checkBoolean('SparseAdam', o, 'maximize');
  }

  protected updateGroup(group: SparseAdamParamGroup): void {
    const { lr, eps, maximize } = group;
    const [beta1, beta2] = group.betas;
    // PyTorch gathers the group (checking every gradient, counting every step) before updating.
    const params: Tensor[] = [];
    const grads: Tensor[] = [];
    for (const p of group.params) {
      const g = p.grad;
      if (g === null) continue;
      if (!g.isSparse) {
        throw new Error('SparseAdam.step: SparseAdam does not support dense gradients, please consider Adam instead');
      }
      params.push(p);
      grads.push(g);
    }
    for (const [i, param] of params.entries()) {
      const state = this.stateOf(param);
      if (state.step === undefined) {
        state.step = 0;
        state.expAvg = zerosLike(param).keep();
        state.expAvgSq = zerosLike(param).keep();
      }
      state.step += 1;
      const step = state.step;
      const expAvg = state.expAvg as Tensor;
      const expAvgSq = state.expAvgSq as Tensor;

      const g = grads[i] as Tensor;
      // the update is not linear in repeated indices: coalesce first
      const grad = (maximize ? g.neg() : g).coalesce();
      const indices = grad._indices();
      const values = grad._values();
      if (values.numel() === 0) continue;
      const size = grad.shape;
      const sparseOf = (v: Tensor): Tensor => sparseCooTensor(indices, v, size);

      // old <- b * old + (1 - b) * new, written as old += (1 - b) * (new - old) on the rows present
      const oldExpAvg = expAvg.sparseMask(grad)._values();
      const expAvgUpdate = values.sub(oldExpAvg).mul_(1 - beta1);
      expAvg.add_(sparseOf(expAvgUpdate));
      const oldExpAvgSq = expAvgSq.sparseMask(grad)._values();
      const expAvgSqUpdate = values
        .pow(2)
        .sub_(oldExpAvgSq)
        .mul_(1 - beta2);
      expAvgSq.add_(sparseOf(expAvgSqUpdate));

      // the new moments of those rows, from the dense values again
      const numer = expAvgUpdate.add_(oldExpAvg);
      const denom = expAvgSqUpdate.add_(oldExpAvgSq).sqrt_().add_(eps);
      const biasCorrection1 = 1 - pyPow(beta1, step);
      const biasCorrection2 = 1 - pyPow(beta2, step);
      const stepSize = (lr * Math.sqrt(biasCorrection2)) / biasCorrection1;
      param.add_(sparseOf(numer.div_(denom).mul(-stepSize)));
    }
  }
}
