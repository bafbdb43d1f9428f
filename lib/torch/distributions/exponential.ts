// The exponential distribution with rate `rate` (PyTorch's torch.distributions.Exponential).
import { zerosLike } from '../../generated/functions.js';
import type { Tensor } from '../tensor.js';
import { type Constraint, nonnegative, positive } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { broadcastAll, newEmpty, type Param } from './utils.js';

export class Exponential extends Distribution {
  rate: Tensor;

  constructor(rate: Param, options?: DistributionOptions) {
    super();
    this.rate = this.own((broadcastAll('Exponential', ['rate'], [rate]) as [Tensor])[0]);
    this.init(typeof rate === 'number' ? [] : this.rate.shape, [], options?.validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { rate: positive };
  }

  get support(): Constraint {
    return nonnegative;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    return [['rate', this.rate]];
  }

  override expand(batchShape: number[]): Exponential {
    const d = this.blank<Exponential>();
    d.rate = d.own(this.rate.expand(batchShape));
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    return this.rate.reciprocal();
  }

  override get mode(): Tensor {
    return zerosLike(this.rate);
  }

  override get stddev(): Tensor {
    return this.rate.reciprocal();
  }

  override get variance(): Tensor {
    return this.rate.pow(-2);
  }

  override rsample(sampleShape: number[] = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    return newEmpty(shape, this.rate).exponential_().div(this.rate);
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    return this.rate.log().sub(this.rate.mul(value));
  }

  override cdf(value: Tensor): Tensor {
    this.checkValue(value, 'cdf');
    return this.rate.neg().mul(value).exp().neg().add(1);
  }

  override icdf(value: Tensor): Tensor {
    this.checkValue(value, 'icdf', false);
    return value.neg().log1p().neg().div(this.rate);
  }

  override entropy(): Tensor {
    return this.rate.log().neg().add(1);
  }
}
