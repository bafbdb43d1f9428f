// The multinomial distribution: counts of each of K categories in `totalCount` independent
// Categorical draws (PyTorch's torch.distributions.Multinomial). Sampling draws the categories
// and counts them; the entropy sums over each count's Binomial marginal, as PyTorch does.
import { onesLike, zeros } from '../../generated/functions.js';
import { tensor } from '../creation.js';
import type { Tensor } from '../tensor.js';
import { type ProbsOrLogits, probsOrLogits } from './bernoulli.js';
import { Binomial } from './binomial.js';
import { Categorical } from './categorical.js';
import { type Constraint, multinomial, realVector, simplex } from './constraints.js';
import { Distribution } from './distribution.js';
import { prefixErrors } from './errors.js';
import { broadcastAll } from './utils.js';

export interface MultinomialOptions extends ProbsOrLogits<Tensor> {
  /** The number of draws (default 1); one integer for the whole batch, as in PyTorch. */
  totalCount?: number;
}

export class Multinomial extends Distribution {
  totalCount: number;
  /** @internal The Categorical of one draw. */
  _categorical: Categorical;
  /** @internal The Binomial marginal of each count (for the entropy); absent on expanded copies. */
  _binomial: Binomial | undefined;

  /** `new Multinomial(totalCount, {probs})` or `new Multinomial({totalCount, logits})`. */
  constructor(totalCount: number, options: ProbsOrLogits<Tensor>);
  constructor(options: MultinomialOptions);
  constructor(first: number | MultinomialOptions, options?: ProbsOrLogits<Tensor>) {
    super();
    const o: MultinomialOptions = typeof first === 'number' ? { ...options, totalCount: first } : { ...first };
    const totalCount = o.totalCount ?? 1;
    if (!Number.isInteger(totalCount)) {
      throw new TypeError(
        `Multinomial: totalCount must be one integer (an inhomogeneous totalCount is not supported), got ${String(totalCount)}`,
      );
    }
    this.totalCount = totalCount;
    const { which, value } = probsOrLogits<Tensor>('Multinomial', { probs: o.probs, logits: o.logits }, undefined);
    // The inner distributions validate by the default, as PyTorch's do.
    this._categorical = this.ownDistribution(
      prefixErrors('Multinomial', () => new Categorical(which === 'probs' ? { probs: value } : { logits: value })),
    );
    this._binomial = this.ownDistribution(new Binomial(totalCount, { probs: this.probs }));
    this.init(this._categorical.batchShape, this._categorical.paramShape.slice(-1), o.validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { probs: simplex, logits: realVector };
  }

  get support(): Constraint {
    return multinomial(this.totalCount);
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

  override expand(batchShape: number[]): Multinomial {
    const d = this.blank<Multinomial>();
    d.totalCount = this.totalCount;
    d._categorical = d.ownDistribution(this._categorical.expand(batchShape));
    // PyTorch's expanded copy has no Binomial either (its entropy fails); made on demand here.
    d._binomial = undefined;
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    return this.probs.mul(this.totalCount);
  }

  override get variance(): Tensor {
    const p = this.probs;
    return p.mul(this.totalCount).mul(p.neg().add(1));
  }

  override sample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    const draws = this._categorical.sample([this.totalCount, ...sampleShape]);
    const order = [...Array(draws.dim()).keys()];
    order.push(order.shift() as number);
    const samples = draws.permute(order);
    const counts = zeros(this.extendedShape(sampleShape), { dtype: samples.dtype, device: samples.device });
    counts.scatterAdd_(-1, samples, onesLike(samples));
    return counts.typeAs(this.probs);
  }

  override entropy(): Tensor {
    this.checkAlive();
    this._binomial ??= this.ownDistribution(new Binomial(this.totalCount, { probs: this.probs }));
    const p = this.probs;
    // PyTorch's n is an int64 scalar tensor: n * H stays in the probs' dtype, and lgamma(n + 1)
    // is computed in the default float32 before promotion.
    const n = tensor(this.totalCount, { dtype: 'int64', device: p.device });
    const term1 = n.mul(this._categorical.entropy()).sub(n.add(1).lgamma());
    const support = this._binomial.enumerateSupport({ expand: false }).narrow(0, 1, this.totalCount);
    const binomialProbs = this._binomial.logProb(support).exp();
    const weights = support.add(1).lgamma();
    const term2 = binomialProbs.mul(weights).sum([0, -1]);
    return term1.add(term2);
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const [logits, v] = broadcastAll('Multinomial.logProb', ['logits', 'value'], [this.logits, value]) as [
      Tensor,
      Tensor,
    ];
    const logFactorialN = v.sum(-1).add(1).lgamma();
    const logFactorialXs = v.add(1).lgamma().sum(-1);
    // 0 · log 0 counts as 0: a category never drawn with probability 0 adds nothing.
    const safeLogits = logits.maskedFill(v.eq(0).logicalAnd(logits.eq(Number.NEGATIVE_INFINITY)), 0);
    const logPowers = safeLogits.mul(v).sum(-1);
    return logFactorialN.sub(logFactorialXs).add(logPowers);
  }
}
