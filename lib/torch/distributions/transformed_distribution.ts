// A base distribution pushed through a sequence of transforms (PyTorch's
// torch.distributions.TransformedDistribution): samples are transformed base samples, and
// logProb(y) = base.logProb(x) - Σ log|dy/dx| by the change of variables, with the event
// dimensions that each transform adds or removes tracked along the way.
//
// Lifetime: a base distribution the caller passes stays the caller's (as for Independent); the
// expanded or Independent wrappers made here are this distribution's. Families built on this
// class (Gumbel, Weibull, ...) own the base distribution and the tensors they make for it.
import { noGrad } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { type Constraint, independent } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { Independent } from './independent.js';
import { ComposeTransform, type Sign, Transform } from './transforms.js';
import { sameShape, shapeString, sumRightmost } from './utils.js';

/** Passed by subclasses to set their fields before the base and transforms are set up. */
export const DEFER_SETUP: unique symbol = Symbol('TransformedDistribution.deferSetup');

export class TransformedDistribution extends Distribution {
  baseDist!: Distribution;
  transforms!: Transform[];

  constructor(
    baseDistribution: Distribution | typeof DEFER_SETUP,
    transforms?: Transform | Transform[],
    options?: DistributionOptions,
  ) {
    super();
    if (baseDistribution === DEFER_SETUP) return;
    this.setup(baseDistribution, transforms, options?.validateArgs);
  }

  /**
   * PyTorch's __init__: expands the base where the transforms broadcast it, reinterprets batch
   * dimensions the transforms consume as event dimensions, and works out the shapes.
   */
  protected setup(base: unknown, transforms: unknown, validateArgs: boolean | undefined): void {
    const name = this.name;
    if (!(base instanceof Distribution)) throw new TypeError(`${name}: baseDistribution must be a Distribution`);
    if (transforms instanceof Transform) this.transforms = [transforms];
    else if (Array.isArray(transforms)) {
      if (!transforms.every((t) => t instanceof Transform)) {
        throw new TypeError(`${name}: transforms must be a Transform or an array of Transforms`);
      }
      this.transforms = [...transforms];
    } else {
      throw new TypeError(
        `${name}: transforms must be a Transform or an array of Transforms, got ${String(transforms)}`,
      );
    }
    const baseShape = [...base.batchShape, ...base.eventShape];
    const baseEventDim = base.eventShape.length;
    const transform = new ComposeTransform(this.transforms);
    const domainEventDim = transform.domain.eventDim;
    if (baseShape.length < domainEventDim) {
      throw new Error(
        `${name}: baseDistribution needs to have shape with size at least ${domainEventDim}, but got ${shapeString(baseShape)}`,
      );
    }
    const forwardShape = transform.forwardShape(baseShape);
    const expandedBaseShape = transform.inverseShape(forwardShape);
    let d: Distribution = base;
    if (!sameShape(baseShape, expandedBaseShape)) {
      d = this.ownDistribution(d.expand(expandedBaseShape.slice(0, expandedBaseShape.length - baseEventDim)));
    }
    const reinterpreted = domainEventDim - baseEventDim;
    if (reinterpreted > 0) d = this.ownDistribution(new Independent(d, reinterpreted));
    this.baseDist = d;
    const codomainEventDim = transform.codomain.eventDim;
    const eventDim = Math.max(codomainEventDim, baseEventDim + codomainEventDim - domainEventDim);
    const cut = forwardShape.length - eventDim;
    this.init(forwardShape.slice(0, cut), forwardShape.slice(cut), validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return {};
  }

  protected presentParams(): [string, Tensor][] {
    return [];
  }

  get support(): Constraint {
    if (!this.transforms.length) return this.baseDist.support;
    const support = (this.transforms[this.transforms.length - 1] as Transform).codomain;
    const extra = this._eventShape.length - support.eventDim;
    return extra > 0 ? independent(support, extra) : support;
  }

  override get hasRsample(): boolean {
    return this.baseDist.hasRsample;
  }

  override expand(batchShape: number[]): TransformedDistribution {
    const d = this.blank<TransformedDistribution>();
    this.expandInto(d, batchShape);
    return d;
  }

  /** Sets an expanded copy's base, transforms and shapes (subclasses add their parameters). */
  protected expandInto(d: TransformedDistribution, batchShape: number[], transforms = this.transforms): void {
    let shape = [...batchShape, ...this._eventShape];
    for (const t of [...this.transforms].reverse()) shape = t.inverseShape(shape);
    const baseBatch = shape.slice(0, shape.length - this.baseDist.eventShape.length);
    d.baseDist = d.ownDistribution(this.baseDist.expand(baseBatch));
    d.transforms = transforms;
    this.initExpanded(d, batchShape);
  }

  override sample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    return noGrad(() => {
      let x = this.baseDist.sample(sampleShape);
      for (const t of this.transforms) x = t.call(x);
      return x;
    });
  }

  override rsample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    let x = this.baseDist.rsample(sampleShape);
    for (const t of this.transforms) x = t.call(x);
    return x;
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    let eventDim = this._eventShape.length;
    let logProb: Tensor | undefined;
    let y = value;
    for (const t of [...this.transforms].reverse()) {
      const x = t.inv.call(y);
      eventDim += t.domain.eventDim - t.codomain.eventDim;
      const term = sumRightmost(t.logAbsDetJacobian(x, y), eventDim - t.domain.eventDim);
      // PyTorch starts from the float 0.0: 0 - term is -term exactly.
      logProb = logProb ? logProb.sub(term) : term.neg();
      y = x;
    }
    const base = sumRightmost(this.baseDist.logProb(y), eventDim - this.baseDist.eventShape.length);
    return logProb ? logProb.add(base) : base.add(0);
  }

  /** Flips a cdf value where the transforms reverse the order (their combined sign is -1). */
  private monotonizeCdf(value: Tensor): Tensor {
    let sign: Sign = 1;
    for (const t of this.transforms) {
      const s = t.sign;
      sign = typeof sign === 'number' ? (typeof s === 'number' ? sign * s : s.mul(sign)) : sign.mul(s);
    }
    if (sign === 1) return value;
    const centred = value.sub(0.5);
    return (typeof sign === 'number' ? centred.mul(sign) : centred.mul(sign)).add(0.5);
  }

  override cdf(value: Tensor): Tensor {
    this.checkValue(value, 'cdf', false);
    let v = value;
    for (const t of [...this.transforms].reverse()) v = t.inv.call(v);
    return this.monotonizeCdf(this.baseDist.cdf(v));
  }

  override icdf(value: Tensor): Tensor {
    this.checkValue(value, 'icdf', false);
    let v = this.baseDist.icdf(this.monotonizeCdf(value));
    for (const t of this.transforms) v = t.call(v);
    return v;
  }

  override toString(): string {
    if (this.isDisposed) return `${this.name}(<disposed>)`;
    if (this.constructor !== TransformedDistribution) return super.toString();
    return `TransformedDistribution(${this.baseDist}, [${this.transforms.join(', ')}])`;
  }
}
