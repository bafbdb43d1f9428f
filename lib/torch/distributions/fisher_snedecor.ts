// The Fisher-Snedecor (F) distribution with degrees of freedom df1 and df2 (PyTorch's
// torch.distributions.FisherSnedecor): the ratio of two Gamma(df/2, df) variables, one drawn
// after the other.
import type { Tensor } from '../tensor.js';
import { type Constraint, positive } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { Gamma } from './gamma.js';
import { broadcastAll, finfo, type Param } from './utils.js';

/** A copy of `t` with NaN where `mask` holds (PyTorch assigns NaN into a clone). */
function nanWhere(t: Tensor, mask: Tensor): Tensor {
  return t.maskedFill(mask, Number.NaN);
}

export class FisherSnedecor extends Distribution {
  df1: Tensor;
  df2: Tensor;
  /** @internal Gamma(df1 / 2, df1). */
  _gamma1: Gamma;
  /** @internal Gamma(df2 / 2, df2). */
  _gamma2: Gamma;

  constructor(df1: Param, df2: Param, options?: DistributionOptions) {
    super();
    [this.df1, this.df2] = broadcastAll('FisherSnedecor', ['df1', 'df2'], [df1, df2]).map((t) => this.own(t)) as [
      Tensor,
      Tensor,
    ];
    const scalar = typeof df1 === 'number' && typeof df2 === 'number';
    // Validated before the Gammas are made, so that a bad df is reported under this name.
    this.init(scalar ? [] : this.df1.shape, [], options?.validateArgs);
    this._gamma1 = this.ownDistribution(new Gamma(this.df1.mul(0.5), this.df1));
    this._gamma2 = this.ownDistribution(new Gamma(this.df2.mul(0.5), this.df2));
  }

  get argConstraints(): Record<string, Constraint> {
    return { df1: positive, df2: positive };
  }

  get support(): Constraint {
    return positive;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    return [
      ['df1', this.df1],
      ['df2', this.df2],
    ];
  }

  override expand(batchShape: number[]): FisherSnedecor {
    const d = this.blank<FisherSnedecor>();
    d.df1 = d.own(this.df1.expand(batchShape));
    d.df2 = d.own(this.df2.expand(batchShape));
    d._gamma1 = d.ownDistribution(this._gamma1.expand(batchShape));
    d._gamma2 = d.ownDistribution(this._gamma2.expand(batchShape));
    this.initExpanded(d, batchShape);
    return d;
  }

  /** df2 / (df2 - 2), NaN where df2 <= 2. */
  override get mean(): Tensor {
    const df2 = nanWhere(this.df2, this.df2.le(2));
    return df2.div(df2.sub(2));
  }

  override get mode(): Tensor {
    const mode = this.df1.sub(2).div(this.df1).mul(this.df2).div(this.df2.add(2));
    return nanWhere(mode, this.df1.le(2));
  }

  /** NaN where df2 <= 4. */
  override get variance(): Tensor {
    const df2 = nanWhere(this.df2, this.df2.le(4));
    const num = df2.pow(2).mul(2).mul(this.df1.add(df2).sub(2));
    return num.div(this.df1.mul(df2.sub(2).pow(2)).mul(df2.sub(4)));
  }

  override rsample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    const shape = this.extendedShape(sampleShape);
    const x1 = this._gamma1.rsample(sampleShape).view(shape);
    const x2 = this._gamma2.rsample(sampleShape).view(shape);
    const tiny = finfo(x2.dtype, 'FisherSnedecor.rsample').tiny;
    // In place and inside autograd, as PyTorch: the ratio never reaches 0 or infinity.
    x2.clamp_({ min: tiny });
    const y = x1.div(x2);
    y.clamp_({ min: tiny });
    return y;
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const ct1 = this.df1.mul(0.5);
    const ct2 = this.df2.mul(0.5);
    const ct3 = this.df1.div(this.df2);
    const t1 = ct1.add(ct2).lgamma().sub(ct1.lgamma()).sub(ct2.lgamma());
    const t2 = ct1.mul(ct3.log()).add(ct1.sub(1).mul(value.log()));
    const t3 = ct1.add(ct2).mul(ct3.mul(value).log1p());
    return t1.add(t2).sub(t3);
  }
}
