// The transforms of a whole vector or matrix event (softmax, stick breaking onto the simplex,
// lower Cholesky and positive definite matrices), as PyTorch's; see transform.ts for the base.
import { logsigmoid, pad, softplus } from '../../generated/functional.js';
import { eye, ones, where } from '../../generated/functions.js';
import { linalgCholesky } from '../../generated/namespaces.js';
import type { Tensor } from '../tensor.js';
import {
  type Constraint,
  corrCholesky,
  independent,
  lowerCholesky,
  positiveDefinite,
  real,
  realVector,
  simplex,
} from './constraints.js';
import { clippedSigmoid } from './elementwise_transforms.js';
import { Transform } from './transform.js';
import { trilMatrixToVec, vecToTrilMatrix } from './tril_vec.js';
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

/**
 * Unconstrained vectors of length D(D-1)/2 to Cholesky factors of D x D correlation matrices:
 * tanh into (-1, 1), then each row of the strict lower triangle stick-broken (on the squares,
 * keeping signs) into a row of unit norm with a positive diagonal entry.
 */
export class CorrCholeskyTransform extends Transform {
  get domain(): Constraint {
    return realVector;
  }
  get codomain(): Constraint {
    return corrCholesky;
  }
  override get bijective(): boolean {
    return true;
  }
  // No equals(): PyTorch compares CorrCholeskyTransforms by identity.
  protected override _call(x: Tensor): Tensor {
    const eps = finfo(x.dtype, 'CorrCholeskyTransform').eps;
    const r = vecToTrilMatrix(x.tanh().clamp({ min: -1 + eps, max: 1 - eps }), -1);
    // y = sign(r)·sqrt(z·Π(1 - z)) = r·sqrt(Π(1 - z)) for z = r², the product over earlier columns.
    const z1mCumprodSqrt = r.pow(2).neg().add(1).sqrt().cumprod(-1);
    const n = r.size(-1);
    const withOnes = r.add(eye(n, { dtype: r.dtype, device: r.device }));
    return withOnes.mul(pad(z1mCumprodSqrt.narrow(-1, 0, n - 1), [1, 0], { value: 1 }));
  }
  protected override _inverse(y: Tensor): Tensor {
    const n = y.size(-1);
    const yCumsum = y.mul(y).cumsum(-1).neg().add(1);
    const shifted = pad(yCumsum.narrow(-1, 0, n - 1), [1, 0], { value: 1 });
    const t = trilMatrixToVec(y, -1).div(trilMatrixToVec(shifted, -1).sqrt());
    // atanh(t), as PyTorch writes it.
    return t.log1p().sub(t.neg().log1p()).div(2);
  }
  /** log|det| of x against the flattened strict lower triangle of y (the spaces differ in size). */
  override logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    const y1mCumsum = y.mul(y).cumsum(-1).neg().add(1);
    const stickBreaking = trilMatrixToVec(y1mCumsum, -2).log().sum(-1).mul(0.5);
    const tanh = x
      .add(softplus(x.mul(-2)))
      .sub(Math.LN2)
      .sum(-1)
      .mul(-2);
    return stickBreaking.add(tanh);
  }
  override forwardShape(shape: number[]): number[] {
    if (shape.length < 1) throw new Error('CorrCholeskyTransform.forwardShape: too few dimensions on input');
    const n = shape[shape.length - 1] as number;
    const d = Math.round(Math.sqrt(0.25 + 2 * n) + 0.5);
    if ((d * (d - 1)) / 2 !== n) {
      throw new Error(`CorrCholeskyTransform.forwardShape: ${n} is not a flattened lower-triangle size D(D-1)/2`);
    }
    return [...shape.slice(0, -1), d, d];
  }
  override inverseShape(shape: number[]): number[] {
    if (shape.length < 2) throw new Error('CorrCholeskyTransform.inverseShape: too few dimensions on input');
    const d = shape[shape.length - 1] as number;
    if (shape[shape.length - 2] !== d) throw new Error('CorrCholeskyTransform.inverseShape: the input is not square');
    return [...shape.slice(0, -2), (d * (d - 1)) / 2];
  }
}
