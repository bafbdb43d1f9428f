// The multivariate normal distribution, parameterised by a mean vector `loc` and one of a
// covariance matrix, a precision matrix or the lower-triangular Cholesky factor of the covariance
// (PyTorch's torch.distributions.MultivariateNormal). Everything is computed from that factor,
// which the covariance and precision parameterisations get by one Cholesky decomposition.
import { choleskyInverse, eye, flip, matmul } from '../../generated/functions.js';
import { linalgCholesky, linalgSolveTriangular } from '../../generated/namespaces.js';
import { Tensor } from '../tensor.js';
import { type Constraint, lowerCholesky, positiveDefinite, realVector } from './constraints.js';
import { Distribution } from './distribution.js';
import { broadcastShapes, describe, shapeString, standardNormal } from './utils.js';

export interface MultivariateNormalOptions {
  covarianceMatrix?: Tensor;
  precisionMatrix?: Tensor;
  scaleTril?: Tensor;
  validateArgs?: boolean;
}

type MatrixName = 'covarianceMatrix' | 'precisionMatrix' | 'scaleTril';

const range = (start: number, end: number, step = 1): number[] => {
  const out: number[] = [];
  for (let i = start; i < end; i += step) out.push(i);
  return out;
};

/**
 * The squared Mahalanobis distance x^T (L L^T)^-1 x for batches of factors `bL` (..., n, n) and
 * vectors `bx` (..., n) whose batch shape ends with bL's: one triangular solve over all of them,
 * after moving bx's batch dimensions so that bL need not be broadcast (PyTorch's
 * _batch_mahalanobis, op for op).
 */
export function batchMahalanobis(bL: Tensor, bx: Tensor): Tensor {
  const n = bx.size(-1);
  const bxBatchShape = bx.shape.slice(0, -1);
  const bLBatchDims = bL.dim() - 2;
  const outer = bxBatchShape.length - bLBatchDims;
  const oldBatchDims = outer + bLBatchDims;
  const newBatchDims = outer + 2 * bLBatchDims;
  const newShape = bx.shape.slice(0, outer);
  const lBatch = bL.shape.slice(0, -2);
  const xBatch = bx.shape.slice(outer, -1);
  lBatch.forEach((sL, i) => {
    newShape.push(Math.floor((xBatch[i] as number) / sL), sL);
  });
  newShape.push(n);
  const x = bx
    .reshape(newShape)
    .permute([
      ...range(0, outer),
      ...range(outer, newBatchDims, 2),
      ...range(outer + 1, newBatchDims, 2),
      newBatchDims,
    ]);
  const flatL = bL.reshape([-1, n, n]);
  const flatX = x.reshape([-1, flatL.size(0), n]);
  const mSwap = linalgSolveTriangular(flatL, flatX.permute([1, 2, 0]), { upper: false })
    .pow(2)
    .sum(-2);
  const permutedM = mSwap.t().reshape(x.shape.slice(0, -1));
  const inverse = range(0, outer);
  for (let i = 0; i < bLBatchDims; i++) inverse.push(outer + i, oldBatchDims + i);
  return permutedM.permute(inverse).reshape(bxBatchShape);
}

/** The Cholesky factor of P^-1, from P without inverting it (PyTorch's _precision_to_scale_tril). */
export function precisionToScaleTril(P: Tensor): Tensor {
  const lf = linalgCholesky(flip(P, [-2, -1]));
  const lInv = flip(lf, [-2, -1]).transpose(-2, -1);
  const id = eye(P.size(-1), { dtype: P.dtype, device: P.device });
  return linalgSolveTriangular(lInv, id, { upper: false });
}

export class MultivariateNormal extends Distribution {
  loc: Tensor;
  /** @internal The Cholesky factor before broadcasting to the batch shape. */
  _unbroadcastedScaleTril: Tensor;
  private _scaleTril: Tensor | undefined;
  private _covarianceMatrix: Tensor | undefined;
  private _precisionMatrix: Tensor | undefined;

  constructor(loc: Tensor, options: MultivariateNormalOptions) {
    super();
    const op = 'MultivariateNormal';
    if (!(loc instanceof Tensor)) throw new TypeError(`${op}: loc must be a Tensor, got ${describe(loc)}`);
    if (loc.dim() < 1) throw new Error(`${op}: loc must be at least one-dimensional`);
    const given = (['covarianceMatrix', 'precisionMatrix', 'scaleTril'] as MatrixName[]).filter(
      (k) => options?.[k] != null,
    );
    if (given.length !== 1) {
      throw new Error(`${op}: exactly one of covarianceMatrix or precisionMatrix or scaleTril may be specified`);
    }
    const which = given[0] as MatrixName;
    const matrix = options[which] as Tensor;
    if (!(matrix instanceof Tensor)) throw new TypeError(`${op}: ${which} must be a Tensor, got ${describe(matrix)}`);
    if (matrix.dim() < 2) {
      throw new Error(`${op}: ${which} must be at least two-dimensional, with optional leading batch dimensions`);
    }
    const m = matrix.shape;
    const n = loc.size(-1);
    if (m[m.length - 1] !== n || m[m.length - 2] !== n) {
      throw new Error(
        `${op}: ${which} must be ${n}x${n} to match loc's last dimension, got shape ${shapeString(m)} (loc ${shapeString(loc.shape)})`,
      );
    }
    const batchShape = broadcastShapes(op, m.slice(0, -2), loc.shape.slice(0, -1));
    const expanded = this.own(matrix.expand([...batchShape, -1, -1]));
    if (which === 'scaleTril') this._scaleTril = expanded;
    else if (which === 'covarianceMatrix') this._covarianceMatrix = expanded;
    else this._precisionMatrix = expanded;
    this.loc = this.own(loc.expand([...batchShape, -1]));
    this.init(batchShape, this.loc.shape.slice(-1), options.validateArgs);
    if (which === 'scaleTril') this._unbroadcastedScaleTril = matrix;
    else if (which === 'covarianceMatrix') this._unbroadcastedScaleTril = this.own(linalgCholesky(matrix));
    else this._unbroadcastedScaleTril = this.own(precisionToScaleTril(matrix));
  }

  get argConstraints(): Record<string, Constraint> {
    return {
      loc: realVector,
      covarianceMatrix: positiveDefinite,
      precisionMatrix: positiveDefinite,
      scaleTril: lowerCholesky,
    };
  }

  get support(): Constraint {
    return realVector;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    const out: [string, Tensor][] = [['loc', this.loc]];
    if (this._covarianceMatrix) out.push(['covarianceMatrix', this._covarianceMatrix]);
    if (this._precisionMatrix) out.push(['precisionMatrix', this._precisionMatrix]);
    if (this._scaleTril) out.push(['scaleTril', this._scaleTril]);
    return out;
  }

  private get matrixShape(): number[] {
    return [...this._batchShape, ...this._eventShape, ...this._eventShape];
  }

  get scaleTril(): Tensor {
    this._scaleTril = this.lazy(this._scaleTril, () => this._unbroadcastedScaleTril.expand(this.matrixShape));
    return this._scaleTril;
  }

  get covarianceMatrix(): Tensor {
    this._covarianceMatrix = this.lazy(this._covarianceMatrix, () => {
      const l = this._unbroadcastedScaleTril;
      return matmul(l, l.transpose(-2, -1)).expand(this.matrixShape);
    });
    return this._covarianceMatrix;
  }

  get precisionMatrix(): Tensor {
    this._precisionMatrix = this.lazy(this._precisionMatrix, () =>
      choleskyInverse(this._unbroadcastedScaleTril).expand(this.matrixShape),
    );
    return this._precisionMatrix;
  }

  override expand(batchShape: number[]): MultivariateNormal {
    const d = this.blank<MultivariateNormal>();
    const shape = [...batchShape, ...this._eventShape, ...this._eventShape];
    d.loc = d.own(this.loc.expand([...batchShape, ...this._eventShape]));
    // A view of the factor, so that disposing either distribution leaves the other's intact.
    d._unbroadcastedScaleTril = d.own(this._unbroadcastedScaleTril.expand(this._unbroadcastedScaleTril.shape));
    d._covarianceMatrix = this._covarianceMatrix && d.own(this._covarianceMatrix.expand(shape));
    d._scaleTril = this._scaleTril && d.own(this._scaleTril.expand(shape));
    d._precisionMatrix = this._precisionMatrix && d.own(this._precisionMatrix.expand(shape));
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    return this.loc;
  }

  override get mode(): Tensor {
    return this.loc;
  }

  override get variance(): Tensor {
    return this._unbroadcastedScaleTril
      .pow(2)
      .sum(-1)
      .expand([...this._batchShape, ...this._eventShape]);
  }

  override rsample(sampleShape: number[] = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    const eps = standardNormal(shape, this.loc);
    return this.loc.add(matmul(this._unbroadcastedScaleTril, eps.unsqueeze(-1)).squeeze(-1));
  }

  private halfLogDet(): Tensor {
    return this._unbroadcastedScaleTril.diagonal({ dim1: -2, dim2: -1 }).log().sum(-1);
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const m = batchMahalanobis(this._unbroadcastedScaleTril, value.sub(this.loc));
    const k = this._eventShape[0] as number;
    return m
      .add(k * Math.log(2 * Math.PI))
      .mul(-0.5)
      .sub(this.halfLogDet());
  }

  override entropy(): Tensor {
    const k = this._eventShape[0] as number;
    const h = this.halfLogDet().add(0.5 * k * (1.0 + Math.log(2 * Math.PI)));
    return this._batchShape.length === 0 ? h : h.expand(this._batchShape);
  }
}
