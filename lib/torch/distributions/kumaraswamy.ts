// The Kumaraswamy distribution on [0, 1], a Beta-like family with a closed-form cdf (PyTorch's
// torch.distributions.Kumaraswamy): (1 - U^(1/concentration0))^(1/concentration1) for U uniform.
import { fullLike } from '../../generated/functions.js';
import type { Tensor } from '../tensor.js';
import { type Constraint, positive, unitInterval } from './constraints.js';
import type { DistributionOptions } from './distribution.js';
import { DEFER_SETUP, TransformedDistribution } from './transformed_distribution.js';
import { AffineTransform, PowerTransform, type Transform } from './transforms.js';
import { Uniform } from './uniform.js';
import { broadcastAll, eulerConstant, type Param } from './utils.js';

/** E[X^n] = b·B(1 + n/a, b). */
function moments(a: Tensor, b: Tensor, n: number): Tensor {
  const arg1 = a.reciprocal().mul(n).add(1);
  const logValue = arg1.lgamma().add(b.lgamma()).sub(arg1.add(b).lgamma());
  return b.mul(logValue.exp());
}

export class Kumaraswamy extends TransformedDistribution {
  concentration1!: Tensor;
  concentration0!: Tensor;

  constructor(concentration1: Param, concentration0: Param, options?: DistributionOptions) {
    super(DEFER_SETUP);
    [this.concentration1, this.concentration0] = broadcastAll(
      'Kumaraswamy',
      ['concentration1', 'concentration0'],
      [concentration1, concentration0],
    ).map((t) => this.own(t)) as [Tensor, Tensor];
    const c0 = this.concentration0;
    const base = new Uniform(this.own(fullLike(c0, 0)), this.own(fullLike(c0, 1)), {
      validateArgs: options?.validateArgs,
    });
    this.setup(this.ownDistribution(base), this.makeTransforms(), options?.validateArgs);
  }

  private makeTransforms(): Transform[] {
    return [
      new PowerTransform(this.own(this.concentration0.reciprocal())),
      new AffineTransform(1, -1),
      new PowerTransform(this.own(this.concentration1.reciprocal())),
    ];
  }

  override get argConstraints(): Record<string, Constraint> {
    return { concentration1: positive, concentration0: positive };
  }

  override get support(): Constraint {
    return unitInterval;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected override presentParams(): [string, Tensor][] {
    return [
      ['concentration1', this.concentration1],
      ['concentration0', this.concentration0],
    ];
  }

  override expand(batchShape: number[]): Kumaraswamy {
    const d = this.blank<Kumaraswamy>();
    d.concentration1 = d.own(this.concentration1.expand(batchShape));
    d.concentration0 = d.own(this.concentration0.expand(batchShape));
    this.expandInto(d, batchShape, d.makeTransforms());
    return d;
  }

  override get mean(): Tensor {
    return moments(this.concentration1, this.concentration0, 1);
  }

  /** NaN where either concentration is below 1 (no interior mode), as PyTorch. */
  override get mode(): Tensor {
    const c1 = this.concentration1;
    const c0 = this.concentration0;
    const logMode = c0.reciprocal().mul(c0.neg().log1p()).sub(c0.neg().mul(c1).log1p());
    return logMode.maskedFill(c0.lt(1).logicalOr(c1.lt(1)), Number.NaN).exp();
  }

  override get variance(): Tensor {
    return moments(this.concentration1, this.concentration0, 2).sub(this.mean.pow(2));
  }

  override entropy(): Tensor {
    const t1 = this.concentration1.reciprocal().neg().add(1);
    const t0 = this.concentration0.reciprocal().neg().add(1);
    const h0 = this.concentration0.add(1).digamma().add(eulerConstant);
    return t0.add(t1.mul(h0)).sub(this.concentration1.log()).sub(this.concentration0.log());
  }
}
