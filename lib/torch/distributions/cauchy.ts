// The Cauchy (Lorentz) distribution: the ratio of two independent standard normals, located at
// `loc` and scaled by `scale` (half the interquartile range). Mean and variance do not exist
// (PyTorch's torch.distributions.Cauchy: NaN and +inf).
import { full } from '../../generated/functions.js';
import type { Tensor } from '../tensor.js';
import { type Constraint, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { broadcastAll, newEmpty, type Param } from './utils.js';

const LOG_PI = Math.log(Math.PI);
const LOG_4PI = Math.log(4 * Math.PI);

export class Cauchy extends Distribution {
  loc: Tensor;
  scale: Tensor;

  constructor(loc: Param, scale: Param, options?: DistributionOptions) {
    super();
    [this.loc, this.scale] = broadcastAll('Cauchy', ['loc', 'scale'], [loc, scale]).map((t) => this.own(t)) as [
      Tensor,
      Tensor,
    ];
    const scalar = typeof loc === 'number' && typeof scale === 'number';
    this.init(scalar ? [] : this.loc.shape, [], options?.validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { loc: real, scale: positive };
  }

  get support(): Constraint {
    return real;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    return [
      ['loc', this.loc],
      ['scale', this.scale],
    ];
  }

  override expand(batchShape: number[]): Cauchy {
    const d = this.blank<Cauchy>();
    d.loc = d.own(this.loc.expand(batchShape));
    d.scale = d.own(this.scale.expand(batchShape));
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    return full(this.extendedShape(), Number.NaN, { dtype: this.loc.dtype, device: this.loc.device });
  }

  override get mode(): Tensor {
    return this.loc;
  }

  override get variance(): Tensor {
    return full(this.extendedShape(), Number.POSITIVE_INFINITY, { dtype: this.loc.dtype, device: this.loc.device });
  }

  override rsample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    const eps = newEmpty(this.extendedShape(sampleShape), this.loc).cauchy_();
    return this.loc.add(eps.mul(this.scale));
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const z = value.sub(this.loc).div(this.scale);
    return this.scale.log().neg().sub(LOG_PI).sub(z.pow(2).log1p());
  }

  override cdf(value: Tensor): Tensor {
    this.checkValue(value, 'cdf');
    return value.sub(this.loc).div(this.scale).atan().div(Math.PI).add(0.5);
  }

  override icdf(value: Tensor): Tensor {
    this.checkValue(value, 'icdf', false);
    return value.sub(0.5).mul(Math.PI).tan().mul(this.scale).add(this.loc);
  }

  override entropy(): Tensor {
    return this.scale.log().add(LOG_4PI);
  }
}
