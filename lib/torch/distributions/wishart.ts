// The Wishart distribution over positive-definite p x p matrices with `df` degrees of freedom
// and a scale given as a covariance matrix, a precision matrix or its Cholesky factor (PyTorch's
// torch.distributions.Wishart). rsample is the Bartlett decomposition: chi-squared draws on the
// diagonal, normal draws below it.
//
// PyTorch 2.13's rsample tests the first draw with `support.check` where it means the negation,
// so it redraws every batch whose draw was positive definite (almost always all of them) once,
// warning "Singular sample detected". The draw order here is the same (a second Bartlett draw of
// shape [count]), so samples agree bit for bit; the warning is not repeated.
import { arange, eye, randn } from '../../generated/functions.js';
import { linalgCholesky, linalgSlogdet, specialMultigammaln } from '../../generated/namespaces.js';
import { tensor } from '../creation.js';
import { Tensor } from '../tensor.js';
import { Chi2 } from './chi2.js';
import { type Constraint, greaterThan, lowerCholesky, positiveDefinite } from './constraints.js';
import { Distribution } from './distribution.js';
import { diagEmbed } from './lowrank_multivariate_normal.js';
import { precisionToScaleTril } from './multivariate_normal.js';
import { broadcastShapes, describe, finfo, shapeString } from './utils.js';

export interface WishartOptions {
  covarianceMatrix?: Tensor;
  precisionMatrix?: Tensor;
  scaleTril?: Tensor;
  validateArgs?: boolean;
}

type MatrixName = 'covarianceMatrix' | 'precisionMatrix' | 'scaleTril';

const LOG_2 = Math.log(2);
/** How many times rsample redraws singular samples (PyTorch's max_try_correction outside tracing). */
const MAX_TRY_CORRECTION = 10;

/** The multivariate digamma function of order p (PyTorch's _mvdigamma). */
function mvdigamma(x: Tensor, p: number): Tensor {
  if (
    !(x
      .gt((p - 1) / 2)
      .all()
      .item() as boolean)
  ) {
    throw new Error(`Wishart: wrong domain for the multivariate digamma function (expected df/2 > ${(p - 1) / 2})`);
  }
  const shift = arange(p, { dtype: x.dtype, device: x.device })
    .div(2)
    .expand([...x.shape, -1]);
  return x.unsqueeze(-1).sub(shift).digamma().sum(-1);
}

export class Wishart extends Distribution {
  df: Tensor;
  /** @internal The Cholesky factor of the scale before broadcasting. */
  _unbroadcastedScaleTril: Tensor;
  /** @internal Chi2(df - i) for the i-th diagonal entry of the Bartlett factor. */
  _distChi2: Chi2;
  private _scaleTril: Tensor | undefined;
  private _covarianceMatrix: Tensor | undefined;
  private _precisionMatrix: Tensor | undefined;

  constructor(df: Tensor | number, options: WishartOptions) {
    super();
    const op = 'Wishart';
    const given = (['covarianceMatrix', 'precisionMatrix', 'scaleTril'] as MatrixName[]).filter(
      (k) => options?.[k] != null,
    );
    if (given.length !== 1) {
      throw new Error(`${op}: exactly one of covarianceMatrix or precisionMatrix or scaleTril may be specified`);
    }
    const which = given[0] as MatrixName;
    const param = options[which] as Tensor;
    if (!(param instanceof Tensor)) throw new TypeError(`${op}: ${which} must be a Tensor, got ${describe(param)}`);
    if (param.dim() < 2) {
      throw new Error(`${op}: ${which} must be at least two-dimensional, with optional leading batch dimensions`);
    }
    const eventShape = param.shape.slice(-2);
    const p = eventShape[1] as number;
    if (eventShape[0] !== p) throw new Error(`${op}: ${which} must be square, got shape ${shapeString(param.shape)}`);
    let batchShape: number[];
    if (typeof df === 'number') {
      batchShape = param.shape.slice(0, -2);
      this.df = this.own(tensor(df, { dtype: param.dtype, device: param.device }));
    } else if (df instanceof Tensor) {
      batchShape = broadcastShapes(op, param.shape.slice(0, -2), df.shape);
      this.df = this.own(df.expand(batchShape));
    } else {
      throw new TypeError(`${op}: df must be a Tensor or a number, got ${describe(df)}`);
    }
    if (
      this.df
        .le(p - 1)
        .any()
        .item() as boolean
    ) {
      throw new Error(`${op}: value of df=${String(df)} expected to be greater than ndim - 1 = ${p - 1}`);
    }
    const expanded = this.own(param.expand([...batchShape, -1, -1]));
    if (which === 'scaleTril') this._scaleTril = expanded;
    else if (which === 'covarianceMatrix') this._covarianceMatrix = expanded;
    else this._precisionMatrix = expanded;
    this.init(batchShape, eventShape, options.validateArgs);
    if (which === 'scaleTril') this._unbroadcastedScaleTril = param;
    else if (which === 'covarianceMatrix') this._unbroadcastedScaleTril = this.own(linalgCholesky(param));
    else this._unbroadcastedScaleTril = this.own(precisionToScaleTril(param));
    this._distChi2 = this.ownDistribution(this.makeChi2(this.df, batchShape));
  }

  private makeChi2(df: Tensor, batchShape: number[]): Chi2 {
    const p = this._eventShape[1] as number;
    const l = this._unbroadcastedScaleTril;
    const offsets = arange(p, { dtype: l.dtype, device: l.device }).expand([...batchShape, -1]);
    return new Chi2(df.unsqueeze(-1).sub(offsets));
  }

  get argConstraints(): Record<string, Constraint> {
    return {
      covarianceMatrix: positiveDefinite,
      precisionMatrix: positiveDefinite,
      scaleTril: lowerCholesky,
      df: greaterThan((this._eventShape[1] as number) - 1),
    };
  }

  get support(): Constraint {
    return positiveDefinite;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    if (this._covarianceMatrix) out.push(['covarianceMatrix', this._covarianceMatrix]);
    if (this._precisionMatrix) out.push(['precisionMatrix', this._precisionMatrix]);
    if (this._scaleTril) out.push(['scaleTril', this._scaleTril]);
    out.push(['df', this.df]);
    return out;
  }

  private get matrixShape(): number[] {
    return [...this._batchShape, ...this._eventShape];
  }

  get scaleTril(): Tensor {
    this._scaleTril = this.lazy(this._scaleTril, () => this._unbroadcastedScaleTril.expand(this.matrixShape));
    return this._scaleTril;
  }

  get covarianceMatrix(): Tensor {
    this._covarianceMatrix = this.lazy(this._covarianceMatrix, () => {
      const l = this._unbroadcastedScaleTril;
      return l.matmul(l.transpose(-2, -1)).expand(this.matrixShape);
    });
    return this._covarianceMatrix;
  }

  get precisionMatrix(): Tensor {
    this._precisionMatrix = this.lazy(this._precisionMatrix, () => {
      const l = this._unbroadcastedScaleTril;
      const identity = eye(this._eventShape[1] as number, { dtype: l.dtype, device: l.device });
      return identity.choleskySolve(l).expand(this.matrixShape);
    });
    return this._precisionMatrix;
  }

  override expand(batchShape: number[]): Wishart {
    const d = this.blank<Wishart>();
    const covShape = [...batchShape, ...this._eventShape];
    d._unbroadcastedScaleTril = d.own(this._unbroadcastedScaleTril.expand(covShape));
    d.df = d.own(this.df.expand(batchShape));
    d._covarianceMatrix = this._covarianceMatrix && d.own(this._covarianceMatrix.expand(covShape));
    d._scaleTril = this._scaleTril && d.own(this._scaleTril.expand(covShape));
    d._precisionMatrix = this._precisionMatrix && d.own(this._precisionMatrix.expand(covShape));
    this.initExpanded(d, batchShape);
    d._distChi2 = d.ownDistribution(d.makeChi2(d.df, batchShape));
    return d;
  }

  private dfView(): Tensor {
    return this.df.view([...this._batchShape, 1, 1]);
  }

  override get mean(): Tensor {
    return this.dfView().mul(this.covarianceMatrix);
  }

  /** (df - p - 1)·Σ, NaN where df <= p + 1. */
  override get mode(): Tensor {
    const p = this._eventShape[1] as number;
    const factor = this.df.sub(p).sub(1);
    return factor
      .maskedFill(factor.le(0), Number.NaN)
      .view([...this._batchShape, 1, 1])
      .mul(this.covarianceMatrix);
  }

  override get variance(): Tensor {
    const v = this.covarianceMatrix;
    const diag = v.diagonal({ dim1: -2, dim2: -1 });
    const outer = diag.unsqueeze(-1).mul(diag.unsqueeze(-2));
    return this.dfView().mul(v.pow(2).add(outer));
  }

  /** L·A·(L·A)ᵀ for the Bartlett factor A of one draw of shape sampleShape + batchShape. */
  private bartlett(sampleShape: number[]): Tensor {
    const p = this._eventShape[1] as number;
    const sd = this._distChi2.rsample(sampleShape).sqrt();
    const noise = diagEmbed(sd.clamp({ min: finfo(sd.dtype, 'Wishart.rsample').eps }));
    const below = randn([...sampleShape, ...this._batchShape, (p * (p - 1)) / 2], {
      dtype: noise.dtype,
      device: noise.device,
    });
    const strictLower = eye(p, { dtype: 'bool', device: noise.device }).logicalNot().tril();
    const filled = noise.maskedScatter(strictLower.expandAs(noise), below);
    const chol = this._unbroadcastedScaleTril.matmul(filled);
    return chol.matmul(chol.transpose(-2, -1));
  }

  /** support.check reduced over the batch dimensions (any batch member), as PyTorch's amax. */
  private checkPerSample(sample: Tensor): Tensor {
    const check = this.support.check(sample);
    const nb = this._batchShape.length;
    if (nb === 0) return check;
    return check.amax(Array.from({ length: nb }, (_, i) => -(i + 1)));
  }

  override rsample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    this.extendedShape(sampleShape);
    let sample = this.bartlett(sampleShape);
    // PyTorch's test (see the note at the top): true where the draw is positive definite.
    let redo = this.checkPerSample(sample);
    const trailing = sample.dim() - redo.dim();
    for (let i = 0; i < MAX_TRY_CORRECTION && (redo.any().item() as boolean); i++) {
      const count = redo.sum().item() as number;
      const fresh = this.bartlett([count]);
      const mask = redo.reshape([...redo.shape, ...Array<number>(trailing).fill(1)]).expandAs(sample);
      sample = sample.maskedScatter(mask, fresh);
      const stillSingular = this.checkPerSample(fresh).logicalNot();
      redo = redo.maskedScatter(redo, stillSingular);
    }
    return sample;
  }

  private halfLogDetTerm(): Tensor {
    const p = this._eventShape[1] as number;
    return this._unbroadcastedScaleTril
      .diagonal({ dim1: -2, dim2: -1 })
      .log()
      .sum(-1)
      .add((p * LOG_2) / 2);
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const nu = this.df;
    const p = this._eventShape[1] as number;
    const t1 = nu.neg().mul(this.halfLogDetTerm());
    const t2 = specialMultigammaln(nu.div(2), p);
    const t3 = nu.sub(p).sub(1).div(2).mul(linalgSlogdet(value).logabsdet);
    const t4 = value.choleskySolve(this._unbroadcastedScaleTril).diagonal({ dim1: -2, dim2: -1 }).sum(-1).div(2);
    return t1.sub(t2).add(t3).sub(t4);
  }

  override entropy(): Tensor {
    const nu = this.df;
    const p = this._eventShape[1] as number;
    return this.halfLogDetTerm()
      .mul(p + 1)
      .add(specialMultigammaln(nu.div(2), p))
      .sub(
        nu
          .sub(p)
          .sub(1)
          .div(2)
          .mul(mvdigamma(nu.div(2), p)),
      )
      .add(nu.mul(p).div(2));
  }
}
