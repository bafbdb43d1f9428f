// The multivariate normal distribution whose covariance is low rank plus diagonal, W Wᵀ + diag(D)
// (PyTorch's torch.distributions.LowRankMultivariateNormal). Densities go through the small
// "capacitance" matrix C = I + Wᵀ D⁻¹ W (Woodbury identity and matrix determinant lemma), so the
// n x n covariance is never factorised.
import { broadcastTensors, eye, matmul, where } from '../../generated/functions.js';
import { linalgCholesky, linalgSolveTriangular } from '../../generated/namespaces.js';
import { Tensor } from '../tensor.js';
import { type Constraint, independent, positive, real, realVector } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { batchMahalanobis } from './multivariate_normal.js';
import { describe, shapeString, standardNormal } from './utils.js';

/** A batch of matrices times a batch of vectors, batch shapes broadcast (PyTorch's _batch_mv). */
export function batchMv(m: Tensor, v: Tensor): Tensor {
  return matmul(m, v.unsqueeze(-1)).squeeze(-1);
}

/** Square matrices of size n with `diag` on the diagonal, zeros elsewhere (torch.diag_embed). */
export function diagEmbed(diag: Tensor): Tensor {
  const n = diag.size(-1);
  const mask = eye(n, { dtype: 'bool', device: diag.device });
  return where(mask, diag.unsqueeze(-1), 0);
}

/** Adds 1 to the diagonal of a batch of square matrices (PyTorch adds in place through a view). */
function addIdentity(k: Tensor): Tensor {
  return k.add(eye(k.size(-1), { dtype: k.dtype, device: k.device }));
}

/** The Cholesky factor of I + Wᵀ D⁻¹ W. */
export function batchCapacitanceTril(w: Tensor, d: Tensor): Tensor {
  const wtDinv = w.transpose(-2, -1).div(d.unsqueeze(-2));
  return linalgCholesky(addIdentity(matmul(wtDinv, w).contiguous()));
}

/** log|W Wᵀ + D| = log|C| + log|D|. */
export function batchLowrankLogdet(_w: Tensor, d: Tensor, capacitanceTril: Tensor): Tensor {
  return capacitanceTril.diagonal({ dim1: -2, dim2: -1 }).log().sum(-1).mul(2).add(d.log().sum(-1));
}

/** xᵀ (W Wᵀ + D)⁻¹ x by the Woodbury identity. */
export function batchLowrankMahalanobis(w: Tensor, d: Tensor, x: Tensor, capacitanceTril: Tensor): Tensor {
  const wtDinv = w.transpose(-2, -1).div(d.unsqueeze(-2));
  const wtDinvX = batchMv(wtDinv, x);
  const term1 = x.pow(2).div(d).sum(-1);
  const term2 = batchMahalanobis(capacitanceTril, wtDinvX);
  return term1.sub(term2);
}

export class LowRankMultivariateNormal extends Distribution {
  loc: Tensor;
  covFactor: Tensor;
  covDiag: Tensor;
  /** @internal W before broadcasting. */
  _unbroadcastedCovFactor: Tensor;
  /** @internal D before broadcasting. */
  _unbroadcastedCovDiag: Tensor;
  /** @internal The Cholesky factor of the capacitance matrix. */
  _capacitanceTril: Tensor;
  private _variance: Tensor | undefined;
  private _scaleTril: Tensor | undefined;
  private _covarianceMatrix: Tensor | undefined;
  private _precisionMatrix: Tensor | undefined;

  constructor(loc: Tensor, covFactor: Tensor, covDiag: Tensor, options?: DistributionOptions) {
    super();
    const op = 'LowRankMultivariateNormal';
    for (const [name, v] of [
      ['loc', loc],
      ['covFactor', covFactor],
      ['covDiag', covDiag],
    ] as const) {
      if (!(v instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${describe(v)}`);
    }
    if (loc.dim() < 1) throw new Error(`${op}: loc must be at least one-dimensional`);
    const n = loc.size(-1);
    if (covFactor.dim() < 2) {
      throw new Error(`${op}: covFactor must be at least two-dimensional, with optional leading batch dimensions`);
    }
    if (covFactor.size(-2) !== n) {
      throw new Error(
        `${op}: covFactor must be a batch of matrices with shape ${n} x m, got ${shapeString(covFactor.shape)}`,
      );
    }
    if (covDiag.dim() < 1 || covDiag.size(-1) !== n) {
      throw new Error(`${op}: covDiag must be a batch of vectors with shape [${n}], got ${shapeString(covDiag.shape)}`);
    }
    let parts: Tensor[];
    try {
      parts = broadcastTensors([loc.unsqueeze(-1), covFactor, covDiag.unsqueeze(-1)]);
    } catch {
      throw new Error(
        `${op}: incompatible batch shapes: loc ${shapeString(loc.shape)}, covFactor ${shapeString(covFactor.shape)}, covDiag ${shapeString(covDiag.shape)}`,
      );
    }
    const [loc_, factor, diag_] = parts as [Tensor, Tensor, Tensor];
    this.covFactor = this.own(factor);
    this.loc = this.own(loc_.select(-1, 0));
    this.covDiag = this.own(diag_.select(-1, 0));
    this._unbroadcastedCovFactor = covFactor;
    this._unbroadcastedCovDiag = covDiag;
    this._capacitanceTril = this.own(batchCapacitanceTril(covFactor, covDiag));
    this.init(this.loc.shape.slice(0, -1), [n], options?.validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { loc: realVector, covFactor: independent(real, 2), covDiag: independent(positive, 1) };
  }

  get support(): Constraint {
    return realVector;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    return [
      ['loc', this.loc],
      ['covFactor', this.covFactor],
      ['covDiag', this.covDiag],
    ];
  }

  override expand(batchShape: number[]): LowRankMultivariateNormal {
    const d = this.blank<LowRankMultivariateNormal>();
    const locShape = [...batchShape, ...this._eventShape];
    d.loc = d.own(this.loc.expand(locShape));
    d.covDiag = d.own(this.covDiag.expand(locShape));
    d.covFactor = d.own(this.covFactor.expand([...locShape, this.covFactor.size(-1)]));
    d._unbroadcastedCovFactor = this._unbroadcastedCovFactor;
    d._unbroadcastedCovDiag = this._unbroadcastedCovDiag;
    // A view, so that disposing either distribution leaves the other's factor intact.
    d._capacitanceTril = d.own(this._capacitanceTril.expand(this._capacitanceTril.shape));
    this.initExpanded(d, batchShape);
    return d;
  }

  private get matrixShape(): number[] {
    return [...this._batchShape, ...this._eventShape, ...this._eventShape];
  }

  override get mean(): Tensor {
    return this.loc;
  }

  override get mode(): Tensor {
    return this.loc;
  }

  override get variance(): Tensor {
    this._variance = this.lazy(this._variance, () =>
      this._unbroadcastedCovFactor
        .pow(2)
        .sum(-1)
        .add(this._unbroadcastedCovDiag)
        .expand([...this._batchShape, ...this._eventShape]),
    );
    return this._variance;
  }

  get scaleTril(): Tensor {
    this._scaleTril = this.lazy(this._scaleTril, () => {
      const sqrtD = this._unbroadcastedCovDiag.sqrt().unsqueeze(-1);
      const dInvSqrtW = this._unbroadcastedCovFactor.div(sqrtD);
      const k = addIdentity(matmul(dInvSqrtW, dInvSqrtW.transpose(-2, -1)).contiguous());
      return sqrtD.mul(linalgCholesky(k)).expand(this.matrixShape);
    });
    return this._scaleTril;
  }

  get covarianceMatrix(): Tensor {
    this._covarianceMatrix = this.lazy(this._covarianceMatrix, () => {
      const w = this._unbroadcastedCovFactor;
      return matmul(w, w.transpose(-2, -1)).add(diagEmbed(this._unbroadcastedCovDiag)).expand(this.matrixShape);
    });
    return this._covarianceMatrix;
  }

  get precisionMatrix(): Tensor {
    this._precisionMatrix = this.lazy(this._precisionMatrix, () => {
      const wtDinv = this._unbroadcastedCovFactor.transpose(-2, -1).div(this._unbroadcastedCovDiag.unsqueeze(-2));
      const a = linalgSolveTriangular(this._capacitanceTril, wtDinv, { upper: false });
      return diagEmbed(this._unbroadcastedCovDiag.reciprocal())
        .sub(matmul(a.transpose(-2, -1), a))
        .expand(this.matrixShape);
    });
    return this._precisionMatrix;
  }

  override rsample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    const shape = this.extendedShape(sampleShape);
    const epsW = standardNormal([...shape.slice(0, -1), this.covFactor.size(-1)], this.loc);
    const epsD = standardNormal(shape, this.loc);
    return this.loc.add(batchMv(this._unbroadcastedCovFactor, epsW)).add(this._unbroadcastedCovDiag.sqrt().mul(epsD));
  }

  private logDet(): Tensor {
    return batchLowrankLogdet(this._unbroadcastedCovFactor, this._unbroadcastedCovDiag, this._capacitanceTril);
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const diff = value.sub(this.loc);
    const m = batchLowrankMahalanobis(
      this._unbroadcastedCovFactor,
      this._unbroadcastedCovDiag,
      diff,
      this._capacitanceTril,
    );
    const k = this._eventShape[0] as number;
    return this.logDet()
      .add(k * Math.log(2 * Math.PI))
      .add(m)
      .mul(-0.5);
  }

  override entropy(): Tensor {
    const k = this._eventShape[0] as number;
    const h = this.logDet()
      .add(k * (1.0 + Math.log(2 * Math.PI)))
      .mul(0.5);
    return this._batchShape.length === 0 ? h : h.expand(this._batchShape);
  }
}
