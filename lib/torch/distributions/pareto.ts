// The Pareto type-I distribution with minimum `scale` and tail index `alpha` (PyTorch's
// torch.distributions.Pareto): scale·exp(E) for E ~ Exponential(alpha).
import type { Tensor } from '../tensor.js';
import { type Constraint, greaterThanEq, positive } from './constraints.js';
import type { DistributionOptions } from './distribution.js';
import { Exponential } from './exponential.js';
import { DEFER_SETUP, TransformedDistribution } from './transformed_distribution.js';
import { AffineTransform, ExpTransform, type Transform } from './transforms.js';
import { broadcastAll, type Param } from './utils.js';

export class Pareto extends TransformedDistribution {
  scale!: Tensor;
  alpha!: Tensor;

  constructor(scale: Param, alpha: Param, options?: DistributionOptions) {
    super(DEFER_SETUP);
    [this.scale, this.alpha] = broadcastAll('Pareto', ['scale', 'alpha'], [scale, alpha]).map((t) => this.own(t)) as [
      Tensor,
      Tensor,
    ];
    const base = new Exponential(this.alpha, { validateArgs: options?.validateArgs });
    this.setup(this.ownDistribution(base), this.makeTransforms(), options?.validateArgs);
  }

  private makeTransforms(): Transform[] {
    return [new ExpTransform(), new AffineTransform(0, this.scale)];
  }

  override get argConstraints(): Record<string, Constraint> {
    return { alpha: positive, scale: positive };
  }

  /** [scale, inf): depends on the parameter. */
  override get support(): Constraint {
    return greaterThanEq(this.scale);
  }

  protected override presentParams(): [string, Tensor][] {
    return [
      ['alpha', this.alpha],
      ['scale', this.scale],
    ];
  }

  override expand(batchShape: number[]): Pareto {
    const d = this.blank<Pareto>();
    d.scale = d.own(this.scale.expand(batchShape));
    d.alpha = d.own(this.alpha.expand(batchShape));
    this.expandInto(d, batchShape, d.makeTransforms());
    return d;
  }

  override get mean(): Tensor {
    const a = this.alpha.clamp({ min: 1 });
    return a.mul(this.scale).div(a.sub(1));
  }

  override get mode(): Tensor {
    return this.scale;
  }

  override get variance(): Tensor {
    const a = this.alpha.clamp({ min: 2 });
    return this.scale
      .pow(2)
      .mul(a)
      .div(a.sub(1).pow(2).mul(a.sub(2)));
  }

  override entropy(): Tensor {
    return this.scale.div(this.alpha).log().add(this.alpha.reciprocal().add(1));
  }
}
