// The two-parameter Weibull distribution (PyTorch's torch.distributions.Weibull):
// scale·E^(1/concentration) for E ~ Exponential(1).
import { onesLike } from '../../generated/functions.js';
import type { Tensor } from '../tensor.js';
import { type Constraint, positive } from './constraints.js';
import type { DistributionOptions } from './distribution.js';
import { Exponential } from './exponential.js';
import { DEFER_SETUP, TransformedDistribution } from './transformed_distribution.js';
import { AffineTransform, PowerTransform, type Transform } from './transforms.js';
import { broadcastAll, eulerConstant, type Param } from './utils.js';

export class Weibull extends TransformedDistribution {
  scale!: Tensor;
  concentration!: Tensor;
  /** 1 / concentration, the exponent applied to the Exponential(1) draw. */
  concentrationReciprocal!: Tensor;

  constructor(scale: Param, concentration: Param, options?: DistributionOptions) {
    super(DEFER_SETUP);
    [this.scale, this.concentration] = broadcastAll('Weibull', ['scale', 'concentration'], [scale, concentration]).map(
      (t) => this.own(t),
    ) as [Tensor, Tensor];
    this.concentrationReciprocal = this.own(this.concentration.reciprocal());
    const base = new Exponential(this.own(onesLike(this.scale)), { validateArgs: options?.validateArgs });
    this.setup(this.ownDistribution(base), this.makeTransforms(), options?.validateArgs);
  }

  private makeTransforms(): Transform[] {
    return [new PowerTransform(this.concentrationReciprocal), new AffineTransform(0, this.scale)];
  }

  override get argConstraints(): Record<string, Constraint> {
    return { scale: positive, concentration: positive };
  }

  override get support(): Constraint {
    return positive;
  }

  protected override presentParams(): [string, Tensor][] {
    return [
      ['scale', this.scale],
      ['concentration', this.concentration],
    ];
  }

  override expand(batchShape: number[]): Weibull {
    const d = this.blank<Weibull>();
    d.scale = d.own(this.scale.expand(batchShape));
    d.concentration = d.own(this.concentration.expand(batchShape));
    d.concentrationReciprocal = d.own(d.concentration.reciprocal());
    this.expandInto(d, batchShape, d.makeTransforms());
    return d;
  }

  override get mean(): Tensor {
    return this.scale.mul(this.concentrationReciprocal.add(1).lgamma().exp());
  }

  override get mode(): Tensor {
    const c = this.concentration;
    return this.scale.mul(c.sub(1).div(c).pow(c.reciprocal()));
  }

  override get variance(): Tensor {
    const r = this.concentrationReciprocal;
    const t1 = r.mul(2).add(1).lgamma().exp();
    const t2 = r.add(1).lgamma().mul(2).exp();
    return this.scale.pow(2).mul(t1.sub(t2));
  }

  override entropy(): Tensor {
    const r = this.concentrationReciprocal;
    return r.neg().add(1).mul(eulerConstant).add(this.scale.mul(r).log()).add(1);
  }
}
