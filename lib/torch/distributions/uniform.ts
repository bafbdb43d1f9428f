// The uniform distribution over the half-open interval [low, high) (PyTorch's
// torch.distributions.Uniform).
import { rand } from '../../generated/functions.js';
import type { Tensor } from '../tensor.js';
import { type Constraint, greaterThan, interval, lessThan } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { broadcastAll, type Param } from './utils.js';

export class Uniform extends Distribution {
  low: Tensor;
  high: Tensor;

  constructor(low: Param, high: Param, options?: DistributionOptions) {
    super();
    [this.low, this.high] = broadcastAll('Uniform', ['low', 'high'], [low, high]).map((t) => this.own(t)) as [
      Tensor,
      Tensor,
    ];
    const scalar = typeof low === 'number' && typeof high === 'number';
    this.init(scalar ? [] : this.low.shape, [], options?.validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { low: lessThan(this.high), high: greaterThan(this.low) };
  }

  /** interval(low, high), which depends on the parameters. */
  get support(): Constraint {
    return interval(this.low, this.high);
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    return [
      ['low', this.low],
      ['high', this.high],
    ];
  }

  override expand(batchShape: number[]): Uniform {
    const d = this.blank<Uniform>();
    d.low = d.own(this.low.expand(batchShape));
    d.high = d.own(this.high.expand(batchShape));
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    return this.high.add(this.low).div(2);
  }

  override get mode(): Tensor {
    return this.high.mul(Number.NaN);
  }

  override get stddev(): Tensor {
    return this.high.sub(this.low).div(12 ** 0.5);
  }

  override get variance(): Tensor {
    return this.high.sub(this.low).pow(2).div(12);
  }

  override rsample(sampleShape: number[] = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    const u = rand(shape, { dtype: this.low.dtype, device: this.low.device });
    return this.low.add(u.mul(this.high.sub(this.low)));
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const lb = this.low.le(value).typeAs(this.low);
    const ub = this.high.gt(value).typeAs(this.low);
    return lb.mul(ub).log().sub(this.high.sub(this.low).log());
  }

  override cdf(value: Tensor): Tensor {
    this.checkValue(value, 'cdf');
    return value.sub(this.low).div(this.high.sub(this.low)).clamp({ min: 0, max: 1 });
  }

  override icdf(value: Tensor): Tensor {
    this.checkValue(value, 'icdf', false);
    return value.mul(this.high.sub(this.low)).add(this.low);
  }

  override entropy(): Tensor {
    return this.high.sub(this.low).log();
  }
}
