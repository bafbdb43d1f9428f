// The logistic-normal distribution on the simplex (PyTorch's torch.distributions.LogisticNormal):
// a vector of K - 1 independent normals pushed onto the K-simplex by stick breaking.
import type { Tensor } from '../tensor.js';
import { type Constraint, positive, real, simplex } from './constraints.js';
import type { DistributionOptions } from './distribution.js';
import type { Independent } from './independent.js';
import { Normal } from './normal.js';
import { DEFER_SETUP, TransformedDistribution } from './transformed_distribution.js';
import { StickBreakingTransform } from './transforms.js';
import type { Param } from './utils.js';

export class LogisticNormal extends TransformedDistribution {
  declare baseDist: Independent<Normal>;

  constructor(loc: Param, scale: Param, options?: DistributionOptions) {
    super(DEFER_SETUP);
    let base = this.ownDistribution(new Normal(loc, scale, { validateArgs: options?.validateArgs }));
    // A scalar normal is one stick piece: a 2-simplex.
    if (!base.batchShape.length) base = this.ownDistribution(base.expand([1]));
    this.setup(base, new StickBreakingTransform(), options?.validateArgs);
  }

  override get argConstraints(): Record<string, Constraint> {
    return { loc: real, scale: positive };
  }

  override get support(): Constraint {
    return simplex;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected override presentParams(): [string, Tensor][] {
    return [
      ['loc', this.loc],
      ['scale', this.scale],
    ];
  }

  get loc(): Tensor {
    return this.baseDist.baseDist.loc;
  }

  get scale(): Tensor {
    return this.baseDist.baseDist.scale;
  }

  override expand(batchShape: number[]): LogisticNormal {
    return super.expand(batchShape) as LogisticNormal;
  }
}
