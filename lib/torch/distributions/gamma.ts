// The gamma distribution with shape `concentration` and inverse scale `rate` (PyTorch's
// torch.distributions.Gamma). rsample is reparameterised through libtorch's _standard_gamma, whose
// gradient with respect to the concentration is implicit reparameterisation.
import { _standardGamma } from '../../generated/functions.js';
import { specialGammainc } from '../../generated/namespaces.js';
import { tensor } from '../creation.js';
import { Tensor } from '../tensor.js';
import { type Constraint, nonnegative, positive } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { broadcastAll, finfo, type Param } from './utils.js';

export class Gamma extends Distribution {
  concentration: Tensor;
  rate: Tensor;

  constructor(concentration: Param, rate: Param, options?: DistributionOptions) {
    super();
    [this.concentration, this.rate] = broadcastAll('Gamma', ['concentration', 'rate'], [concentration, rate]).map((t) =>
      this.own(t),
    ) as [Tensor, Tensor];
    const scalar = typeof concentration === 'number' && typeof rate === 'number';
    this.init(scalar ? [] : this.concentration.shape, [], options?.validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { concentration: positive, rate: positive };
  }

  get support(): Constraint {
    return nonnegative;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    return [
      ['concentration', this.concentration],
      ['rate', this.rate],
    ];
  }

  override expand(batchShape: number[]): Gamma {
    const d = this.blank<Gamma>();
    d.concentration = d.own(this.concentration.expand(batchShape));
    d.rate = d.own(this.rate.expand(batchShape));
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    return this.concentration.div(this.rate);
  }

  override get mode(): Tensor {
    return this.concentration.sub(1).div(this.rate).clamp({ min: 0 });
  }

  override get variance(): Tensor {
    return this.concentration.div(this.rate.pow(2));
  }

  override rsample(sampleShape: number[] = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    const value = _standardGamma(this.concentration.expand(shape)).div(this.rate.expand(shape));
    // Samples that underflow to 0 are raised to the smallest normal number, in place and outside
    // autograd, as PyTorch does: log-densities at them stay finite.
    value.detach().clamp_({ min: finfo(value.dtype, 'Gamma.rsample').tiny });
    return value;
  }

  /** As PyTorch, the value may also be a number, and is cast to the parameters' dtype. */
  override logProb(value: Tensor | number): Tensor {
    this.checkAlive();
    const v =
      value instanceof Tensor
        ? value.to({ dtype: this.rate.dtype, device: this.rate.device })
        : tensor(value, { dtype: this.rate.dtype, device: this.rate.device });
    this.checkValue(v, 'logProb');
    const c = this.concentration;
    return c.xlogy(this.rate).add(c.sub(1).xlogy(v)).sub(this.rate.mul(v)).sub(c.lgamma());
  }

  override cdf(value: Tensor): Tensor {
    this.checkValue(value, 'cdf');
    return specialGammainc(this.concentration, this.rate.mul(value));
  }

  override entropy(): Tensor {
    const c = this.concentration;
    return c.sub(this.rate.log()).add(c.lgamma()).add(c.neg().add(1.0).mul(c.digamma()));
  }
}
