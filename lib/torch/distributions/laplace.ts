// The Laplace distribution with location `loc` and scale `scale` (PyTorch's
// torch.distributions.Laplace).
import type { Tensor } from '../tensor.js';
import { type Constraint, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { broadcastAll, finfo, newEmpty, type Param } from './utils.js';

export class Laplace extends Distribution {
  loc: Tensor;
  scale: Tensor;

  constructor(loc: Param, scale: Param, options?: DistributionOptions) {
    super();
    [this.loc, this.scale] = broadcastAll('Laplace', ['loc', 'scale'], [loc, scale]).map((t) => this.own(t)) as [
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

  override expand(batchShape: number[]): Laplace {
    const d = this.blank<Laplace>();
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

  override get variance(): Tensor {
    return this.scale.pow(2).mul(2);
  }

  override get stddev(): Tensor {
    return this.scale.mul(2 ** 0.5);
  }

  override rsample(sampleShape: number[] = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    const eps = finfo(this.loc.dtype, 'Laplace.rsample').eps;
    // Drawn in [eps - 1, 1) so that log1p(-|u|) stays finite, as PyTorch draws it.
    const u = newEmpty(shape, this.loc).uniform_({ from: eps - 1, to: 1 });
    return this.loc.sub(this.scale.mul(u.sign()).mul(u.abs().neg().log1p()));
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    return this.scale.mul(2).log().neg().sub(value.sub(this.loc).abs().div(this.scale));
  }

  override cdf(value: Tensor): Tensor {
    this.checkValue(value, 'cdf');
    const d = value.sub(this.loc);
    return d.sign().mul(0.5).mul(d.abs().neg().div(this.scale).expm1()).neg().add(0.5);
  }

  override icdf(value: Tensor): Tensor {
    this.checkValue(value, 'icdf', false);
    const term = value.sub(0.5);
    return this.loc.sub(this.scale.mul(term.sign()).mul(term.abs().mul(-2).log1p()));
  }

  override entropy(): Tensor {
    return this.scale.mul(2).log().add(1);
  }
}
