// The normal (Gaussian) distribution, parameterised by its mean `loc` and standard deviation
// `scale` (PyTorch's torch.distributions.Normal).
import { normal } from '../../generated/functions.js';
import { noGrad } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { type Constraint, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { broadcastAll, type Param, standardNormal } from './utils.js';

const LOG_SQRT_2PI = Math.log(Math.sqrt(2 * Math.PI));
const HALF_LOG_2PI_E = 0.5 + 0.5 * Math.log(2 * Math.PI);

export class Normal extends Distribution {
  loc: Tensor;
  scale: Tensor;

  constructor(loc: Param, scale: Param, options?: DistributionOptions) {
    super();
    [this.loc, this.scale] = broadcastAll('Normal', ['loc', 'scale'], [loc, scale]).map((t) => this.own(t)) as [
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

  override expand(batchShape: number[]): Normal {
    const d = this.blank<Normal>();
    d.loc = d.own(this.loc.expand(batchShape));
    d.scale = d.own(this.scale.expand(batchShape));
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    return this.loc;
  }

  override get mode(): Tensor {
    return this.loc;
  }

  override get stddev(): Tensor {
    return this.scale;
  }

  override get variance(): Tensor {
    return this.scale.pow(2);
  }

  override sample(sampleShape: number[] = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    return noGrad(() => normal(this.loc.expand(shape), this.scale.expand(shape)));
  }

  override rsample(sampleShape: number[] = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    const eps = standardNormal(shape, this.loc);
    return this.loc.add(eps.mul(this.scale));
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const variance = this.scale.pow(2);
    return value.sub(this.loc).pow(2).neg().div(variance.mul(2)).sub(this.scale.log()).sub(LOG_SQRT_2PI);
  }

  override cdf(value: Tensor): Tensor {
    this.checkValue(value, 'cdf');
    return value.sub(this.loc).mul(this.scale.reciprocal()).div(Math.SQRT2).erf().add(1).mul(0.5);
  }

  override icdf(value: Tensor): Tensor {
    this.checkValue(value, 'icdf', false);
    return this.loc.add(this.scale.mul(value.mul(2).sub(1).erfinv()).mul(Math.SQRT2));
  }

  override entropy(): Tensor {
    return this.scale.log().add(HALF_LOG_2PI_E);
  }
}
