// What HalfNormal and HalfCauchy share: |X| for X symmetric about 0 with a `scale` (PyTorch's
// two classes are the same apart from their base and moments). Densities and cdf fold the
// base's over 0: log p(x) = log p_X(x) + log 2 for x >= 0, cdf = 2 cdf_X - 1.
import { where, zerosLike } from '../../generated/functions.js';
import type { Tensor } from '../tensor.js';
import { type Constraint, nonnegative, positive } from './constraints.js';
import type { Distribution } from './distribution.js';
import { DEFER_SETUP, TransformedDistribution } from './transformed_distribution.js';

export abstract class HalfDistribution extends TransformedDistribution {
  declare baseDist: Distribution & { readonly scale: Tensor };

  /** A subclass makes its base and calls setup(base, new AbsTransform(), validateArgs). */
  constructor() {
    super(DEFER_SETUP);
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

  override get mode(): Tensor {
    return zerosLike(this.scale);
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
