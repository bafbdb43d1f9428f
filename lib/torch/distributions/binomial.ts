// The binomial distribution: successes in `totalCount` Bernoulli trials of probability `probs` (or
// log-odds `logits`, exactly one of them) (PyTorch's torch.distributions.Binomial).
import { arange, binomial } from '../../generated/functions.js';
import { noGrad } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { type Constraint, integerInterval, nonnegativeInteger, real, unitInterval } from './constraints.js';
import { Distribution } from './distribution.js';
import { broadcastAll, logitsToProbs, type Param, probsToLogits } from './utils.js';

export interface BinomialOptions {
  /** The number of trials (default 1). */
  totalCount?: Param;
  probs?: Param;
  logits?: Param;
  validateArgs?: boolean;
}

/** clamp(x, min=0) with gradient 0.5 at 0. */
function clampByZero(x: Tensor): Tensor {
  return x
    .clamp({ min: 0 })
    .add(x)
    .sub(x.clamp({ max: 0 }))
    .div(2);
}

export class Binomial extends Distribution {
  totalCount: Tensor;
  private _probs: Tensor | undefined;
  private _logits: Tensor | undefined;
  private _param: Tensor;

  /** `new Binomial(totalCount, {probs})` or `new Binomial({totalCount, probs})` (logits instead of probs). */
  constructor(totalCount: Param, options: Omit<BinomialOptions, 'totalCount'>);
  constructor(options: BinomialOptions);
  constructor(first: Param | BinomialOptions, options?: Omit<BinomialOptions, 'totalCount'>) {
    super();
    const o: BinomialOptions =
      first instanceof Tensor || typeof first === 'number' ? { ...options, totalCount: first } : { ...first };
    if ((o.probs == null) === (o.logits == null)) {
      throw new Error('Binomial: either probs or logits must be specified, but not both');
    }
    const which = o.probs != null ? 'probs' : 'logits';
    const [n, p] = broadcastAll('Binomial', ['totalCount', which], [o.totalCount ?? 1, o[which] as Param]) as [
      Tensor,
      Tensor,
    ];
    this._param = this.own(p);
    this.totalCount = this.own(n.typeAs(p));
    if (which === 'probs') this._probs = this._param;
    else this._logits = this._param;
    this.init(this._param.shape, [], o.validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { totalCount: nonnegativeInteger, probs: unitInterval, logits: real };
  }

  get support(): Constraint {
    return integerInterval(0, this.totalCount);
  }

  override get hasEnumerateSupport(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    const out: [string, Tensor][] = [['totalCount', this.totalCount]];
    if (this._probs) out.push(['probs', this._probs]);
    else out.push(['logits', this._logits as Tensor]);
    return out;
  }

  get probs(): Tensor {
    this._probs = this.lazy(this._probs, () => logitsToProbs(this._logits as Tensor, true));
    return this._probs;
  }

  get logits(): Tensor {
    this._logits = this.lazy(this._logits, () => probsToLogits(this._probs as Tensor, true));
    return this._logits;
  }

  get paramShape(): number[] {
    return this._param.shape;
  }

  override expand(batchShape: number[]): Binomial {
    const d = this.blank<Binomial>();
    d.totalCount = d.own(this.totalCount.expand(batchShape));
    d._probs = this._probs && d.own(this._probs.expand(batchShape));
    d._logits = this._logits && d.own(this._logits.expand(batchShape));
    d._param = (this._param === this._probs ? d._probs : d._logits) as Tensor;
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    return this.totalCount.mul(this.probs);
  }

  override get mode(): Tensor {
    return this.totalCount.add(1).mul(this.probs).floor().clamp({ max: this.totalCount });
  }

  override get variance(): Tensor {
    const p = this.probs;
    return this.totalCount.mul(p).mul(p.neg().add(1));
  }

  override sample(sampleShape: number[] = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    return noGrad(() => binomial(this.totalCount.expand(shape), this.probs.expand(shape)));
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const n = this.totalCount;
    const logits = this.logits;
    const logFactorialN = n.add(1).lgamma();
    const logFactorialK = value.add(1).lgamma();
    const logFactorialNmk = n.sub(value).add(1).lgamma();
    const normalize = n.mul(clampByZero(logits)).add(n.mul(logits.abs().neg().exp().log1p())).sub(logFactorialN);
    return value.mul(logits).sub(logFactorialK).sub(logFactorialNmk).sub(normalize);
  }

  /** The one total count, which entropy and enumerateSupport need. */
  private homogeneousCount(op: string): number {
    const max = this.totalCount.max().item() as number;
    if (this.totalCount.min().item() !== Math.trunc(max)) {
      throw new Error(`Binomial.${op}: an inhomogeneous totalCount is not supported`);
    }
    return Math.trunc(max);
  }

  override entropy(): Tensor {
    this.homogeneousCount('entropy');
    const lp = this.logProb(this.enumerateSupport({ expand: false }));
    return lp.exp().mul(lp).sum(0).neg();
  }

  override enumerateSupport(options?: { expand?: boolean }): Tensor {
    const n = this.homogeneousCount('enumerateSupport');
    const values = arange(1 + n, { dtype: this._param.dtype, device: this._param.device }).view([
      -1,
      ...this._batchShape.map(() => 1),
    ]);
    return (options?.expand ?? true) ? values.expand([-1, ...this._batchShape]) : values;
  }
}
