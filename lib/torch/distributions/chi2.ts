// The chi-squared distribution with `df` degrees of freedom: Gamma(df / 2, 1 / 2) (PyTorch's
// torch.distributions.Chi2, a Gamma subclass).
import type { Tensor } from '../tensor.js';
import { Tensor as TensorClass } from '../tensor.js';
import { type Constraint, positive } from './constraints.js';
import type { DistributionOptions } from './distribution.js';
import { Gamma } from './gamma.js';
import { describe, type Param } from './utils.js';

function halfOf(df: Param): Param {
  if (df instanceof TensorClass) return df.mul(0.5);
  if (typeof df === 'number') return 0.5 * df;
  throw new TypeError(`Chi2: df must be a Tensor or a number, got ${describe(df)}`);
}

export class Chi2 extends Gamma {
  constructor(df: Param, options?: DistributionOptions) {
    const half = halfOf(df);
    super(half, 0.5, options);
    // The halved df is a temporary that the broadcast concentration views: this distribution's.
    if (half instanceof TensorClass) this.own(half);
  }

  override get argConstraints(): Record<string, Constraint> {
    return { df: positive };
  }

  protected override presentParams(): [string, Tensor][] {
    return [['df', this.df]];
  }

  /** The degrees of freedom (2·concentration; a new tensor). */
  get df(): Tensor {
    return this.concentration.mul(2);
  }

  override expand(batchShape: number[]): Chi2 {
    return super.expand(batchShape) as Chi2;
  }
}
