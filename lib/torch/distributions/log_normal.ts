// The log-normal distribution: exp of a Normal(loc, scale) (PyTorch's
// torch.distributions.LogNormal, a TransformedDistribution with an ExpTransform there; here the
// one transform is written out).
import type { Tensor } from '../tensor.js';
import { type Constraint, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { Normal } from './normal.js';
import type { Param } from './utils.js';

export class LogNormal extends Distribution {
  /** The Normal of log(x). */
  baseDist: Normal;

  constructor(loc: Param, scale: Param, options?: DistributionOptions) {
    super();
    this.baseDist = this.ownDistribution(new Normal(loc, scale, options));
    this.init(this.baseDist.batchShape, [], options?.validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { loc: real, scale: positive };
  }

  get support(): Constraint {
    return positive;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    return [
      ['loc', this.loc],
      ['scale', this.scale],
    ];
  }

  get loc(): Tensor {
    return this.baseDist.loc;
  }

  get scale(): Tensor {
    return this.baseDist.scale;
  }

  override expand(batchShape: number[]): LogNormal {
    const d = this.blank<LogNormal>();
    d.baseDist = d.ownDistribution(this.baseDist.expand(batchShape));
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    return this.loc.add(this.scale.pow(2).div(2)).exp();
  }

  override get mode(): Tensor {
    return this.loc.sub(this.scale.square()).exp();
  }

  override get variance(): Tensor {
    const s2 = this.scale.pow(2);
    return s2.expm1().mul(this.loc.mul(2).add(s2).exp());
  }

  override sample(sampleShape: number[] = []): Tensor {
    return this.baseDist.sample(sampleShape).exp();
  }

  override rsample(sampleShape: number[] = []): Tensor {
    return this.baseDist.rsample(sampleShape).exp();
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const x = value.log();
    // log p(y) = log p_normal(log y) - log|dy/dx|, with log|dy/dx| = x.
    return x.neg().add(this.baseDist.logProb(x));
  }

  override cdf(value: Tensor): Tensor {
    this.checkValue(value, 'cdf');
    return this.baseDist.cdf(value.log());
  }

  override icdf(value: Tensor): Tensor {
    this.checkValue(value, 'icdf', false);
    return this.baseDist.icdf(value).exp();
  }

  override entropy(): Tensor {
    return this.baseDist.entropy().add(this.loc);
  }
}
