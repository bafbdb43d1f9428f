// The beta distribution on [0, 1] with concentrations `concentration1` (alpha) and
// `concentration0` (beta) (PyTorch's torch.distributions.Beta): a two-category Dirichlet
// underneath, so that samples and their gradients are the Dirichlet's.
import { stack } from '../../generated/functions.js';
import { tensor } from '../creation.js';
import type { Tensor } from '../tensor.js';
import { type Constraint, positive, unitInterval } from './constraints.js';
import { Dirichlet } from './dirichlet.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { broadcastAll, type Param } from './utils.js';

export class Beta extends Distribution {
  /** @internal */
  _dirichlet: Dirichlet;

  constructor(concentration1: Param, concentration0: Param, options?: DistributionOptions) {
    super();
    let both: Tensor;
    if (typeof concentration1 === 'number' && typeof concentration0 === 'number') {
      both = tensor([concentration1, concentration0], { dtype: 'float32' });
    } else {
      const [c1, c0] = broadcastAll('Beta', ['concentration1', 'concentration0'], [concentration1, concentration0]);
      both = stack([c1 as Tensor, c0 as Tensor], -1);
    }
    this._dirichlet = this.ownDistribution(new Dirichlet(this.own(both), { validateArgs: options?.validateArgs }));
    this.init(this._dirichlet.batchShape, [], options?.validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { concentration1: positive, concentration0: positive };
  }

  get support(): Constraint {
    return unitInterval;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    return [
      ['concentration1', this.concentration1],
      ['concentration0', this.concentration0],
    ];
  }

  /** alpha: a view into the Dirichlet's concentrations (a new one each time). */
  get concentration1(): Tensor {
    return this._dirichlet.concentration.select(-1, 0);
  }

  /** beta: a view into the Dirichlet's concentrations (a new one each time). */
  get concentration0(): Tensor {
    return this._dirichlet.concentration.select(-1, 1);
  }

  override expand(batchShape: number[]): Beta {
    const d = this.blank<Beta>();
    d._dirichlet = d.ownDistribution(this._dirichlet.expand(batchShape));
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    const c1 = this.concentration1;
    return c1.div(c1.add(this.concentration0));
  }

  override get mode(): Tensor {
    return this._dirichlet.mode.select(-1, 0);
  }

  override get variance(): Tensor {
    const c1 = this.concentration1;
    const c0 = this.concentration0;
    const total = c1.add(c0);
    return c1.mul(c0).div(total.pow(2).mul(total.add(1)));
  }

  override rsample(sampleShape: number[] = []): Tensor {
    return this._dirichlet.rsample(sampleShape).select(-1, 0);
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    return this._dirichlet.logProb(stack([value, value.neg().add(1.0)], -1));
  }

  override entropy(): Tensor {
    return this._dirichlet.entropy();
  }
}
