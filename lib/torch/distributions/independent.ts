// Reinterprets the rightmost batch dimensions of a distribution as event dimensions (PyTorch's
// torch.distributions.Independent): a diagonal Normal over vectors is
// `new Independent(new Normal(loc, scale), 1)`, whose logProb sums over the last dimension.
import type { Tensor } from '../tensor.js';
import { type Constraint, independent } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { sumRightmost } from './utils.js';

export class Independent<D extends Distribution = Distribution> extends Distribution {
  /** The distribution reinterpreted (the caller's: dispose() leaves it alone). */
  baseDist: D;
  reinterpretedBatchNdims: number;

  constructor(baseDistribution: D, reinterpretedBatchNdims: number, options?: DistributionOptions) {
    super();
    if (!(baseDistribution instanceof Distribution)) {
      throw new TypeError('Independent: baseDistribution must be a Distribution');
    }
    const batch = baseDistribution.batchShape;
    if (!Number.isInteger(reinterpretedBatchNdims) || reinterpretedBatchNdims < 0) {
      throw new RangeError(
        `Independent: reinterpretedBatchNdims must be a non-negative integer, got ${reinterpretedBatchNdims}`,
      );
    }
    if (reinterpretedBatchNdims > batch.length) {
      throw new Error(
        'Independent: expected reinterpretedBatchNdims <= baseDistribution.batchShape.length, actual ' +
          `${reinterpretedBatchNdims} vs ${batch.length}`,
      );
    }
    const shape = [...batch, ...baseDistribution.eventShape];
    const eventDim = reinterpretedBatchNdims + baseDistribution.eventShape.length;
    this.baseDist = baseDistribution;
    this.reinterpretedBatchNdims = reinterpretedBatchNdims;
    this.init(shape.slice(0, shape.length - eventDim), shape.slice(shape.length - eventDim), options?.validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return {};
  }

  get support(): Constraint {
    const base = this.baseDist.support;
    return this.reinterpretedBatchNdims ? independent(base, this.reinterpretedBatchNdims) : base;
  }

  override get hasRsample(): boolean {
    return this.baseDist.hasRsample;
  }

  override get hasEnumerateSupport(): boolean {
    return this.reinterpretedBatchNdims > 0 ? false : this.baseDist.hasEnumerateSupport;
  }

  protected presentParams(): [string, Tensor][] {
    return [];
  }

  override expand(batchShape: number[]): Independent<D> {
    const d = this.blank<Independent<D>>();
    const baseShape = [...batchShape, ...this._eventShape.slice(0, this.reinterpretedBatchNdims)];
    d.baseDist = d.ownDistribution(this.baseDist.expand(baseShape) as D);
    d.reinterpretedBatchNdims = this.reinterpretedBatchNdims;
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    return this.baseDist.mean;
  }

  override get mode(): Tensor {
    return this.baseDist.mode;
  }

  override get variance(): Tensor {
    return this.baseDist.variance;
  }

  override sample(sampleShape: number[] = []): Tensor {
    return this.baseDist.sample(sampleShape);
  }

  override rsample(sampleShape: number[] = []): Tensor {
    return this.baseDist.rsample(sampleShape);
  }

  override logProb(value: Tensor): Tensor {
    this.checkAlive();
    return sumRightmost(this.baseDist.logProb(value), this.reinterpretedBatchNdims);
  }

  override entropy(): Tensor {
    return sumRightmost(this.baseDist.entropy(), this.reinterpretedBatchNdims);
  }

  override enumerateSupport(options?: { expand?: boolean }): Tensor {
    if (this.reinterpretedBatchNdims > 0) {
      throw new Error('Independent.enumerateSupport: enumeration over a cartesian product is not implemented');
    }
    return this.baseDist.enumerateSupport(options);
  }

  override toString(): string {
    return `Independent(${this.baseDist}, ${this.reinterpretedBatchNdims})`;
  }
}
