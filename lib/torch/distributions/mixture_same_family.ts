// A mixture of K components of one family, batched along the components' rightmost batch
// dimension and weighted by a Categorical (PyTorch's torch.distributions.MixtureSameFamily):
// logProb is logsumexp over components of component logProb + log mixture weight.
//
// Lifetime: the mixture and component distributions are the caller's (as Independent's base);
// expand() makes expanded copies of both, owned by the expanded mixture.
import { noGrad } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { Categorical } from './categorical.js';
import { Constraint } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { shapeString } from './utils.js';

/** A component's support, checked on a value broadcast against every component. */
export class MixtureSameFamilyConstraint extends Constraint {
  constructor(readonly baseConstraint: Constraint) {
    super();
  }
  override get isDiscrete(): boolean {
    return this.baseConstraint.isDiscrete;
  }
  override get eventDim(): number {
    return this.baseConstraint.eventDim;
  }
  check(value: Tensor): Tensor {
    const eventDim = this.eventDim;
    if (value.dim() < eventDim) {
      throw new Error(
        `MixtureSameFamilyConstraint: expected value.dim() >= ${eventDim}, got a value of shape ${shapeString(value.shape)}`,
      );
    }
    const result = this.baseConstraint.check(value.unsqueeze(-1 - eventDim));
    const keep = value.dim() - eventDim;
    return result.reshape([...result.shape.slice(0, keep), -1]).all(-1);
  }
  override toString(): string {
    return `_MixtureSameFamilyConstraint(${this.baseConstraint})`;
  }
}

export class MixtureSameFamily extends Distribution {
  private _mixture: Categorical;
  private _component: Distribution;
  private _numComponent: number;
  private _eventNdims: number;

  constructor(mixtureDistribution: Categorical, componentDistribution: Distribution, options?: DistributionOptions) {
    super();
    if (!(mixtureDistribution instanceof Categorical)) {
      throw new TypeError('MixtureSameFamily: the mixture distribution needs to be a Categorical');
    }
    if (!(componentDistribution instanceof Distribution)) {
      throw new TypeError('MixtureSameFamily: the component distribution needs to be a Distribution');
    }
    const mdbs = mixtureDistribution.batchShape;
    const cbs = componentDistribution.batchShape;
    const cdbs = cbs.slice(0, -1);
    for (let i = 1; i <= Math.min(mdbs.length, cdbs.length); i++) {
      const a = mdbs[mdbs.length - i] as number;
      const b = cdbs[cdbs.length - i] as number;
      if (a !== 1 && b !== 1 && a !== b) {
        throw new Error(
          `MixtureSameFamily: mixtureDistribution.batchShape (${shapeString(mdbs)}) is not compatible with ` +
            `componentDistribution.batchShape (${shapeString(cdbs)})`,
        );
      }
    }
    const km = mixtureDistribution.numEvents;
    const kc = cbs[cbs.length - 1];
    if (km !== kc) {
      throw new Error(
        `MixtureSameFamily: the mixture's number of components (${km}) does not equal ` +
          `componentDistribution.batchShape[-1] (${kc})`,
      );
    }
    this._mixture = mixtureDistribution;
    this._component = componentDistribution;
    this._numComponent = km;
    this._eventNdims = componentDistribution.eventShape.length;
    this.init(cdbs, componentDistribution.eventShape, options?.validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return {};
  }

  protected presentParams(): [string, Tensor][] {
    return [];
  }

  get support(): Constraint {
    return new MixtureSameFamilyConstraint(this._component.support);
  }

  get mixtureDistribution(): Categorical {
    return this._mixture;
  }

  get componentDistribution(): Distribution {
    return this._component;
  }

  override expand(batchShape: number[]): MixtureSameFamily {
    const d = this.blank<MixtureSameFamily>();
    d._component = d.ownDistribution(this._component.expand([...batchShape, this._numComponent]));
    d._mixture = d.ownDistribution(this._mixture.expand(batchShape));
    d._numComponent = this._numComponent;
    d._eventNdims = this._eventNdims;
    this.initExpanded(d, batchShape, d._component.eventShape);
    return d;
  }

  /** x with a component dimension inserted before the event dimensions. */
  private pad(x: Tensor): Tensor {
    return x.unsqueeze(-1 - this._eventNdims);
  }

  /** Mixture weights reshaped to broadcast against the components' batch and event shapes. */
  private padMixtureDimensions(x: Tensor): Tensor {
    const distBatch = this._batchShape.length;
    const catBatch = this._mixture.batchShape.length;
    const padNdims = catBatch === 1 ? 0 : distBatch - catBatch;
    const xs = x.shape;
    return x.reshape([
      ...xs.slice(0, -1),
      ...new Array<number>(padNdims).fill(1),
      xs[xs.length - 1] as number,
      ...new Array<number>(this._eventNdims).fill(1),
    ]);
  }

  override get mean(): Tensor {
    const probs = this.padMixtureDimensions(this._mixture.probs);
    return probs.mul(this._component.mean).sum(-1 - this._eventNdims);
  }

  override get variance(): Tensor {
    const probs = this.padMixtureDimensions(this._mixture.probs);
    const dim = -1 - this._eventNdims;
    const meanCondVar = probs.mul(this._component.variance).sum(dim);
    const varCondMean = probs.mul(this._component.mean.sub(this.pad(this.mean)).pow(2)).sum(dim);
    return meanCondVar.add(varCondMean);
  }

  override cdf(value: Tensor): Tensor {
    this.checkValue(value, 'cdf', false);
    const cdfX = this._component.cdf(this.pad(value));
    return cdfX.mul(this._mixture.probs).sum(-1);
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const logProbX = this._component.logProb(this.pad(value));
    const logMixProb = this._mixture.logits.logSoftmax(-1);
    return logProbX.add(logMixProb).logsumexp(-1);
  }

  override sample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    return noGrad(() => {
      const gatherDim = sampleShape.length + this._batchShape.length;
      const es = this._eventShape;
      const mixSample = this._mixture.sample(sampleShape);
      const mixShape = mixSample.shape;
      const compSamples = this._component.sample(sampleShape);
      const index = mixSample
        .reshape([...mixShape, ...new Array<number>(es.length + 1).fill(1)])
        .repeat([...new Array<number>(mixShape.length).fill(1), 1, ...es]);
      return compSamples.gather(gatherDim, index).squeeze(gatherDim);
    });
  }

  override toString(): string {
    if (this.isDisposed) return 'MixtureSameFamily(<disposed>)';
    return `MixtureSameFamily(${this._mixture}, ${this._component})`;
  }
}
