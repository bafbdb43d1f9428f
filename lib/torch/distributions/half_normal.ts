// The half-normal distribution: |X| for X ~ Normal(0, scale) (PyTorch's
// torch.distributions.HalfNormal, a Normal through an AbsTransform).
import { where, zerosLike } from '../../generated/functions.js';
import type { Tensor } from '../tensor.js';
import { type Constraint, nonnegative, positive } from './constraints.js';
import type { DistributionOptions } from './distribution.js';
import { Normal } from './normal.js';
import { DEFER_SETUP, TransformedDistribution } from './transformed_distribution.js';
import { AbsTransform } from './transforms.js';
import type { Param } from './utils.js';

export class HalfNormal extends TransformedDistribution {
  declare baseDist: Normal;

  constructor(scale: Param, options?: DistributionOptions) {
    super(DEFER_SETUP);
    const base = this.ownDistribution(new Normal(0, scale, { validateArgs: false }));
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

  override expand(batchShape: number[]): HalfNormal {
    return super.expand(batchShape) as HalfNormal;
  }

  override get mean(): Tensor {
    return this.scale.mul(Math.sqrt(2 / Math.PI));
  }

  override get mode(): Tensor {
    return zerosLike(this.scale);
  }

  override get variance(): Tensor {
    return this.scale.pow(2).mul(1 - 2 / Math.PI);
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
