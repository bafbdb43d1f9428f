// The half-normal distribution: |X| for X ~ Normal(0, scale) (PyTorch's
// torch.distributions.HalfNormal, a Normal through an AbsTransform).
import type { Tensor } from '../tensor.js';
import type { DistributionOptions } from './distribution.js';
import { HalfDistribution } from './half_distribution.js';
import { Normal } from './normal.js';
import { AbsTransform } from './transforms.js';
import type { Param } from './utils.js';

export class HalfNormal extends HalfDistribution {
  declare baseDist: Normal;

  constructor(scale: Param, options?: DistributionOptions) {
    super();
    const base = this.ownDistribution(new Normal(0, scale, { validateArgs: false }));
    this.setup(base, new AbsTransform(), options?.validateArgs);
  }

  override expand(batchShape: number[]): HalfNormal {
    return super.expand(batchShape) as HalfNormal;
  }

  override get mean(): Tensor {
    return this.scale.mul(Math.sqrt(2 / Math.PI));
  }

  override get variance(): Tensor {
    return this.scale.pow(2).mul(1 - 2 / Math.PI);
  }
}
