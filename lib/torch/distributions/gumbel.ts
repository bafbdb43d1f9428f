// The Gumbel (type-I extreme value) distribution with location `loc` and scale `scale`
// (PyTorch's torch.distributions.Gumbel): loc - scale·log(-log U) for U uniform on
// [tiny, 1 - eps], written as the same four transforms as PyTorch so that samples agree bit for bit.
import { fullLike, onesLike } from '../../generated/functions.js';
import type { Tensor } from '../tensor.js';
import { type Constraint, positive, real } from './constraints.js';
import type { DistributionOptions } from './distribution.js';
import { DEFER_SETUP, TransformedDistribution } from './transformed_distribution.js';
import { AffineTransform, ExpTransform, type Transform } from './transforms.js';
import { Uniform } from './uniform.js';
import { broadcastAll, eulerConstant, finfo, type Param } from './utils.js';

export class Gumbel extends TransformedDistribution {
  loc!: Tensor;
  scale!: Tensor;

  constructor(loc: Param, scale: Param, options?: DistributionOptions) {
    super(DEFER_SETUP);
    [this.loc, this.scale] = broadcastAll('Gumbel', ['loc', 'scale'], [loc, scale]).map((t) => this.own(t)) as [
      Tensor,
      Tensor,
    ];
    const f = finfo(this.loc.dtype, 'Gumbel');
    const validateArgs = options?.validateArgs;
    const base =
      typeof loc === 'number' && typeof scale === 'number'
        ? new Uniform(f.tiny, 1 - f.eps, { validateArgs })
        : new Uniform(this.own(fullLike(this.loc, f.tiny)), this.own(fullLike(this.loc, 1 - f.eps)), { validateArgs });
    this.setup(this.ownDistribution(base), this.makeTransforms(), validateArgs);
  }

  /** -log, negate, -log, then loc - scale·x; the tensors made are this distribution's. */
  private makeTransforms(): Transform[] {
    return [
      new ExpTransform().inv,
      new AffineTransform(0, this.own(onesLike(this.scale).neg())),
      new ExpTransform().inv,
      new AffineTransform(this.loc, this.own(this.scale.neg())),
    ];
  }

  override get argConstraints(): Record<string, Constraint> {
    return { loc: real, scale: positive };
  }

  override get support(): Constraint {
    return real;
  }

  protected override presentParams(): [string, Tensor][] {
    return [
      ['loc', this.loc],
      ['scale', this.scale],
    ];
  }

  override expand(batchShape: number[]): Gumbel {
    const d = this.blank<Gumbel>();
    d.loc = d.own(this.loc.expand(batchShape));
    d.scale = d.own(this.scale.expand(batchShape));
    this.expandInto(d, batchShape, d.makeTransforms());
    return d;
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const y = this.loc.sub(value).div(this.scale);
    return y.sub(y.exp()).sub(this.scale.log());
  }

  override get mean(): Tensor {
    return this.loc.add(this.scale.mul(eulerConstant));
  }

  override get mode(): Tensor {
    return this.loc;
  }

  override get stddev(): Tensor {
    return this.scale.mul(Math.PI / Math.sqrt(6));
  }

  override get variance(): Tensor {
    return this.stddev.pow(2);
  }

  override entropy(): Tensor {
    return this.scale.log().add(1 + eulerConstant);
  }
}
