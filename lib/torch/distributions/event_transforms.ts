// The transforms of a whole vector or matrix event (softmax, stick breaking onto the simplex,
// lower Cholesky and positive definite matrices), as PyTorch's; see transform.ts for the base.
import { logsigmoid, pad } from '../../generated/functional.js';
import { eye, ones, where } from '../../generated/functions.js';
import { linalgCholesky } from '../../generated/namespaces.js';
import type { Tensor } from '../tensor.js';
import {
  type Constraint,
  independent,
  lowerCholesky,
  positiveDefinite,
  real,
  realVector,
  simplex,
} from './constraints.js';
import { clippedSigmoid } from './elementwise_transforms.js';
import { Transform } from './transform.js';
import { finfo } from './utils.js';

/** Unnormalised log-probabilities to probabilities along the last dimension (not injective). */
export class SoftmaxTransform extends Transform {
  get domain(): Constraint {
    return realVector;
  }
  get codomain(): Constraint {
    return simplex;
  }
  override equals(other: Transform): boolean {
    return other instanceof SoftmaxTransform;
  }
  protected override _call(x: Tensor): Tensor {
    const probs = x.sub(x.max(-1, { keepdim: true }).values).exp();
    return probs.div(probs.sum(-1, { keepdim: true }));
  }
  protected override _inverse(y: Tensor): Tensor {
    return y.log();
  }
  override forwardShape(shape: number[]): number[] {
    if (shape.length < 1) throw new Error('SoftmaxTransform.forwardShape: too few dimensions on input');
    return [...shape];
  }
  override inverseShape(shape: number[]): number[] {
    if (shape.length < 1) throw new Error('SoftmaxTransform.inverseShape: too few dimensions on input');
    return [...shape];
  }
}

/** K - i for i = 1..K-1 along the last dimension: the stick-breaking offsets. */
function stickOffset(n: number, top: number, like: Tensor): Tensor {
  return ones([n], { dtype: like.dtype, device: like.device }).cumsum(-1).neg().add(top);
}

/** R^(K-1) onto the K-simplex by breaking a stick, one sigmoid per piece (bijective). */
export class StickBreakingTransform extends Transform {
  get domain(): Constraint {
    return realVector;
  }
  get codomain(): Constraint {
    return simplex;
  }
  override get bijective(): boolean {
    return true;
  }
  override equals(other: Transform): boolean {
    return other instanceof StickBreakingTransform;
  }
  protected override _call(x: Tensor): Tensor {
    const n = x.size(-1);
    const z = clippedSigmoid(x.sub(stickOffset(n, n + 1, x).log()));
    const zCumprod = z.neg().add(1).cumprod(-1);
    return pad(z, [0, 1], { value: 1 }).mul(pad(zCumprod, [1, 0], { value: 1 }));
  }
  protected override _inverse(y: Tensor): Tensor {
    const n = y.size(-1);
    const crop = y.narrow(-1, 0, n - 1);
    const offset = stickOffset(n - 1, n, y);
    const sf = crop
      .cumsum(-1)
      .neg()
      .add(1)
      .clamp({ min: finfo(y.dtype, 'StickBreakingTransform.inv').tiny });
    return crop.log().sub(sf.log()).add(offset.log());
  }
  override logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    const n = x.size(-1);
    const shifted = x.sub(stickOffset(n, n + 1, x).log());
    return shifted
      .neg()
      .add(logsigmoid(shifted))
      .add(y.narrow(-1, 0, y.size(-1) - 1).log())
      .sum(-1);
  }
  override forwardShape(shape: number[]): number[] {
    if (shape.length < 1) throw new Error('StickBreakingTransform.forwardShape: too few dimensions on input');
    return [...shape.slice(0, -1), (shape[shape.length - 1] as number) + 1];
  }
  override inverseShape(shape: number[]): number[] {
    if (shape.length < 1) throw new Error('StickBreakingTransform.inverseShape: too few dimensions on input');
    return [...shape.slice(0, -1), (shape[shape.length - 1] as number) - 1];
  }
}

/** The strict lower triangle kept, the diagonal replaced by `diag` (PyTorch's tril(-1) + diag_embed). */
function withDiagonal(m: Tensor, diag: Tensor): Tensor {
  const n = m.size(-1);
  const mask = eye(n, { dtype: 'bool', device: m.device });
  return where(mask, diag.unsqueeze(-1).expandAs(m), m.tril(-1));
}

/** Unconstrained square matrices to lower-triangular ones with a positive (exp) diagonal. */
export class LowerCholeskyTransform extends Transform {
  get domain(): Constraint {
    return independent(real, 2);
  }
  get codomain(): Constraint {
    return lowerCholesky;
  }
  override equals(other: Transform): boolean {
    return other instanceof LowerCholeskyTransform;
  }
  protected override _call(x: Tensor): Tensor {
    return withDiagonal(x, x.diagonal({ dim1: -2, dim2: -1 }).exp());
  }
  protected override _inverse(y: Tensor): Tensor {
    return withDiagonal(y, y.diagonal({ dim1: -2, dim2: -1 }).log());
  }
}

/** Unconstrained square matrices to positive-definite ones, L Lᵀ of the LowerCholeskyTransform. */
export class PositiveDefiniteTransform extends Transform {
  get domain(): Constraint {
    return independent(real, 2);
  }
  get codomain(): Constraint {
    return positiveDefinite;
  }
  override equals(other: Transform): boolean {
    return other instanceof PositiveDefiniteTransform;
  }
  protected override _call(x: Tensor): Tensor {
    const l = new LowerCholeskyTransform().call(x);
    return l.matmul(l.transpose(-2, -1));
  }
  protected override _inverse(y: Tensor): Tensor {
    return new LowerCholeskyTransform().inv.call(linalgCholesky(y));
  }
}
