// The inverse gamma distribution: 1/X for X ~ Gamma(concentration, rate) (PyTorch's
// torch.distributions.InverseGamma, a Gamma pushed through PowerTransform(-1)).
import { full, where } from '../../generated/functions.js';
import type { Tensor } from '../tensor.js';
import { type Constraint, positive } from './constraints.js';
import type { DistributionOptions } from './distribution.js';
import { prefixErrors } from './errors.js';
import { Gamma } from './gamma.js';
import { DEFER_SETUP, TransformedDistribution } from './transformed_distribution.js';
import { PowerTransform, type Transform } from './transforms.js';
import type { Param } from './utils.js';

export class InverseGamma extends TransformedDistribution {
  declare baseDist: Gamma;
  /** The exponent -1 as a tensor of the parameters' dtype, as PyTorch's. */
  private negOne!: Tensor;

  constructor(concentration: Param, rate: Param, options?: DistributionOptions) {
    super(DEFER_SETUP);
    const base = this.ownDistribution(prefixErrors('InverseGamma', () => new Gamma(concentration, rate, options)));
    this.setup(base, this.makeTransforms(base.rate), options?.validateArgs);
  }

  private makeTransforms(rate: Tensor): Transform[] {
    this.negOne = this.own(full([], -1, { dtype: rate.dtype, device: rate.device }));
    return [new PowerTransform(this.negOne)];
  }

  override get argConstraints(): Record<string, Constraint> {
    return { concentration: positive, rate: positive };
  }

  override get support(): Constraint {
    return positive;
  }

  protected override presentParams(): [string, Tensor][] {
    return [
      ['concentration', this.concentration],
      ['rate', this.rate],
    ];
  }

  get concentration(): Tensor {
    return this.baseDist.concentration;
  }

  get rate(): Tensor {
    return this.baseDist.rate;
  }

  override expand(batchShape: number[]): InverseGamma {
    const d = this.blank<InverseGamma>();
    this.expandInto(d, batchShape, d.makeTransforms(this.rate));
    return d;
  }

  override get mean(): Tensor {
    const result = this.rate.div(this.concentration.sub(1));
    return where(this.concentration.gt(1), result, Number.POSITIVE_INFINITY);
  }

  override get mode(): Tensor {
    return this.rate.div(this.concentration.add(1));
  }

  override get variance(): Tensor {
    const c = this.concentration;
    const result = this.rate.square().div(c.sub(1).square().mul(c.sub(2)));
    return where(c.gt(2), result, Number.POSITIVE_INFINITY);
  }

  override entropy(): Tensor {
    const c = this.concentration;
    return c.add(this.rate.log()).add(c.lgamma()).sub(c.add(1).mul(c.digamma()));
  }
}
