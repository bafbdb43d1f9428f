// The half-Cauchy distribution: |X| for X ~ Cauchy(0, scale) (PyTorch's
// torch.distributions.HalfCauchy, a Cauchy through an AbsTransform).
import { full, where, zerosLike } from '../../generated/functions.js';
import type { Tensor } from '../tensor.js';
import { Cauchy } from './cauchy.js';
import { type Constraint, nonnegative, positive } from './constraints.js';
import type { DistributionOptions } from './distribution.js';
import { DEFER_SETUP, TransformedDistribution } from './transformed_distribution.js';
import { AbsTransform } from './transforms.js';
import type { Param } from './utils.js';

export class HalfCauchy extends TransformedDistribution {
  declare baseDist: Cauchy;

  constructor(scale: Param, options?: DistributionOptions) {
    super(DEFER_SETUP);
    const base = this.ownDistribution(new Cauchy(0, scale, { validateArgs: false }));
    this.setup(base, new AbsTransform(), options?.validateArgs);
  }

  override get argConstraints(): Record<string, Constraint> {
    return { scale: positive };
  }

  override get support(): Constraint {
    return nonnegative;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected override presentParams(): [string, Tensor][] {
    return [['scale', this.scale]];
  }

  get scale(): Tensor {
    return this.baseDist.scale;
  }

  override expand(batchShape: number[]): HalfCauchy {
    return super.expand(batchShape) as HalfCauchy;
  }

  override get mean(): Tensor {
    return full(this.extendedShape(), Number.POSITIVE_INFINITY, { dtype: this.scale.dtype, device: this.scale.device });
  }

  override get mode(): Tensor {
    return zerosLike(this.scale);
  }

  override get variance(): Tensor {
    return this.baseDist.variance;
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const lp = this.baseDist.logProb(value).add(Math.LN2);
    return where(value.ge(0), lp, Number.NEGATIVE_INFINITY);
  }

  override cdf(value: Tensor): Tensor {
    this.checkValue(value, 'cdf');
    return this.baseDist.cdf(value).mul(2).sub(1);
  }

  override icdf(prob: Tensor): Tensor {
    this.checkValue(prob, 'icdf', false);
    return this.baseDist.icdf(prob.add(1).div(2));
  }

  override entropy(): Tensor {
    return this.baseDist.entropy().sub(Math.LN2);
  }
}
