// Student's t distribution with `df` degrees of freedom, location `loc` and scale `scale`
// (PyTorch's torch.distributions.StudentT): loc + scale·X/sqrt(Z/df) for X standard normal and
// Z ~ Chi2(df), drawn in that order.
import type { Tensor } from '../tensor.js';
import { Chi2 } from './chi2.js';
import { type Constraint, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { broadcastAll, type Param, standardNormal } from './utils.js';

const HALF_LOG_PI = 0.5 * Math.log(Math.PI);
/** Python's math.lgamma(0.5) (log sqrt(pi) rounded otherwise). */
const LGAMMA_HALF = 0.5723649429247004;

export interface StudentTOptions extends DistributionOptions {
  loc?: Param;
  scale?: Param;
}

export class StudentT extends Distribution {
  df: Tensor;
  loc: Tensor;
  scale: Tensor;
  private _chi2: Chi2;

  constructor(df: Param, options?: StudentTOptions) {
    super();
    [this.df, this.loc, this.scale] = broadcastAll(
      'StudentT',
      ['df', 'loc', 'scale'],
      [df, options?.loc ?? 0, options?.scale ?? 1],
    ).map((t) => this.own(t)) as [Tensor, Tensor, Tensor];
    this._chi2 = this.ownDistribution(new Chi2(this.df));
    this.init(this.df.shape, [], options?.validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { df: positive, loc: real, scale: positive };
  }

  get support(): Constraint {
    return real;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    return [
      ['df', this.df],
      ['loc', this.loc],
      ['scale', this.scale],
    ];
  }

  override expand(batchShape: number[]): StudentT {
    const d = this.blank<StudentT>();
    d.df = d.own(this.df.expand(batchShape));
    d.loc = d.own(this.loc.expand(batchShape));
    d.scale = d.own(this.scale.expand(batchShape));
    d._chi2 = d.ownDistribution(this._chi2.expand(batchShape));
    this.initExpanded(d, batchShape);
    return d;
  }

  /** loc, NaN where df <= 1. */
  override get mean(): Tensor {
    return this.loc.maskedFill(this.df.le(1), Number.NaN);
  }

  override get mode(): Tensor {
    return this.loc;
  }

  /** scale²·df/(df - 2) for df > 2, +inf for 1 < df <= 2, NaN for df <= 1. */
  override get variance(): Tensor {
    const df = this.df;
    const finite = this.scale.pow(2).mul(df).div(df.sub(2));
    return finite
      .where(df.gt(2), df)
      .maskedFill(df.le(2).logicalAnd(df.gt(1)), Number.POSITIVE_INFINITY)
      .maskedFill(df.le(1), Number.NaN);
  }

  override rsample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    const x = standardNormal(this.extendedShape(sampleShape), this.df);
    const z = this._chi2.rsample(sampleShape);
    const y = x.mul(z.div(this.df).rsqrt());
    return this.loc.add(this.scale.mul(y));
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const df = this.df;
    const y = value.sub(this.loc).div(this.scale);
    const z = this.scale
      .log()
      .add(df.log().mul(0.5))
      .add(HALF_LOG_PI)
      .add(df.mul(0.5).lgamma())
      .sub(df.add(1).mul(0.5).lgamma());
    return df.add(1).mul(-0.5).mul(y.pow(2).div(df).log1p()).sub(z);
  }

  override entropy(): Tensor {
    const df = this.df;
    const lbeta = df.mul(0.5).lgamma().add(LGAMMA_HALF).sub(df.add(1).mul(0.5).lgamma());
    const t = df
      .add(1)
      .mul(0.5)
      .mul(df.add(1).mul(0.5).digamma().sub(df.mul(0.5).digamma()));
    return this.scale.log().add(t).add(df.log().mul(0.5)).add(lbeta);
  }
}
