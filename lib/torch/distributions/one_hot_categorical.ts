// The categorical distribution with samples as one-hot vectors of length K (PyTorch's
// torch.distributions.OneHotCategorical): a Categorical underneath.

import { oneHot as oneHotEncode } from '../../generated/functional.js';
import { eye } from '../../generated/functions.js';
import type { Tensor } from '../tensor.js';
import { type ProbsOrLogits, probsOrLogits } from './bernoulli.js';
import { Categorical } from './categorical.js';
import { type Constraint, oneHot, realVector, simplex } from './constraints.js';
import { Distribution } from './distribution.js';

export class OneHotCategorical extends Distribution {
  /** @internal The Categorical over the indices. */
  _categorical: Categorical;

  constructor(probs: Tensor, options?: ProbsOrLogits<Tensor>);
  constructor(options: ProbsOrLogits<Tensor>);
  constructor(first: Tensor | ProbsOrLogits<Tensor>, options?: ProbsOrLogits<Tensor>) {
    super();
    const { which, value, validateArgs } = probsOrLogits<Tensor>('OneHotCategorical', first, options);
    // The inner Categorical validates by the default, as PyTorch's does.
    const inner = new Categorical(which === 'probs' ? { probs: value } : { logits: value });
    this._categorical = this.ownDistribution(inner);
    const paramShape = inner.paramShape;
    this.init(inner.batchShape, paramShape.slice(-1), validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { probs: simplex, logits: realVector };
  }

  get support(): Constraint {
    return oneHot;
  }

  override get hasEnumerateSupport(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    return [
      ['probs', this.probs],
      ['logits', this.logits],
    ];
  }

  get probs(): Tensor {
    return this._categorical.probs;
  }

  get logits(): Tensor {
    return this._categorical.logits;
  }

  get paramShape(): number[] {
    return this._categorical.paramShape;
  }

  override expand(batchShape: number[]): OneHotCategorical {
    const d = this.blank<OneHotCategorical>();
    d._categorical = d.ownDistribution(this._categorical.expand(batchShape));
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    return this.probs;
  }

  override get mode(): Tensor {
    const p = this.probs;
    return oneHotEncode(p.argmax(-1), p.shape[p.dim() - 1]).to(p.dtype);
  }

  override get variance(): Tensor {
    const p = this.probs;
    return p.mul(p.neg().add(1));
  }

  override sample(sampleShape: number[] = []): Tensor {
    const p = this.probs;
    const indices = this._categorical.sample(sampleShape);
    return oneHotEncode(indices, this._categorical.numEvents).to(p.dtype);
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    return this._categorical.logProb(value.max(-1).indices);
  }

  override entropy(): Tensor {
    return this._categorical.entropy();
  }

  override enumerateSupport(options?: { expand?: boolean }): Tensor {
    const n = this._eventShape[0] as number;
    const p = this.probs;
    const values = eye(n, { dtype: p.dtype, device: p.device }).view([n, ...this._batchShape.map(() => 1), n]);
    return (options?.expand ?? true) ? values.expand([n, ...this._batchShape, n]) : values;
  }
}

/**
 * OneHotCategorical with a straight-through rsample (PyTorch's OneHotCategoricalStraightThrough):
 * the forward value is a one-hot sample, the gradient that of the probabilities.
 */
export class OneHotCategoricalStraightThrough extends OneHotCategorical {
  override get hasRsample(): boolean {
    return true;
  }

  override expand(batchShape: number[]): OneHotCategoricalStraightThrough {
    return super.expand(batchShape) as OneHotCategoricalStraightThrough;
  }

  override rsample(sampleShape: number[] = []): Tensor {
    const samples = this.sample(sampleShape);
    const p = this.probs;
    return samples.add(p.sub(p.detach()));
  }
}
