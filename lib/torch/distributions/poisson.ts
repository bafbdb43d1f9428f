// The Poisson distribution with rate `rate` (PyTorch's torch.distributions.Poisson).
import { poisson } from '../../generated/functions.js';
import { noGrad } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { type Constraint, nonnegative, nonnegativeInteger } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { broadcastAll, type Param } from './utils.js';

export class Poisson extends Distribution {
  rate: Tensor;

  constructor(rate: Param, options?: DistributionOptions) {
    super();
    this.rate = this.own((broadcastAll('Poisson', ['rate'], [rate]) as [Tensor])[0]);
    this.init(typeof rate === 'number' ? [] : this.rate.shape, [], options?.validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { rate: nonnegative };
  }

  get support(): Constraint {
    return nonnegativeInteger;
  }

  protected presentParams(): [string, Tensor][] {
    return [['rate', this.rate]];
  }

  override expand(batchShape: number[]): Poisson {
    const d = this.blank<Poisson>();
    d.rate = d.own(this.rate.expand(batchShape));
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    return this.rate;
  }

  override get mode(): Tensor {
    return this.rate.floor();
  }

  override get variance(): Tensor {
    return this.rate;
  }

  override sample(sampleShape: number[] = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    return noGrad(() => poisson(this.rate.expand(shape)));
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const [rate, v] = broadcastAll('Poisson.logProb', ['rate', 'value'], [this.rate, value]) as [Tensor, Tensor];
    return v.xlogy(rate).sub(rate).sub(v.add(1).lgamma());
  }
}
