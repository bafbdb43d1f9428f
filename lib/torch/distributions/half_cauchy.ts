// The half-Cauchy distribution: |X| for X ~ Cauchy(0, scale) (PyTorch's
// torch.distributions.HalfCauchy, a Cauchy through an AbsTransform).
import { full } from '../../generated/functions.js';
import type { Tensor } from '../tensor.js';
import { Cauchy } from './cauchy.js';
import type { DistributionOptions } from './distribution.js';
import { HalfDistribution } from './half_distribution.js';
import { AbsTransform } from './transforms.js';
import type { Param } from './utils.js';

export class HalfCauchy extends HalfDistribution {
  declare baseDist: Cauchy;

  constructor(scale: Param, options?: DistributionOptions) {
    super();
    const base = this.ownDistribution(new Cauchy(0, scale, { validateArgs: false }));
    this.setup(base, new AbsTransform(), options?.validateArgs);
  }

  override expand(batchShape: number[]): HalfCauchy {
    return super.expand(batchShape) as HalfCauchy;
  }

  override get mean(): Tensor {
    return full(this.extendedShape(), Number.POSITIVE_INFINITY, { dtype: this.scale.dtype, device: this.scale.device });
  }

  override get variance(): Tensor {
    return this.baseDist.variance;
  }
}
