// The negative binomial distribution: the number of successes before `totalCount` failures of
// Bernoulli trials with success probability `probs` (or log-odds `logits`) (PyTorch's
// torch.distributions.NegativeBinomial). Sampled as a Gamma–Poisson mixture, as PyTorch does.
import { logsigmoid } from '../../generated/functional.js';
import { poisson } from '../../generated/functions.js';
import { noGrad } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { type ProbsOrLogits, probsOrLogits } from './bernoulli.js';
import { type Constraint, greaterThanEq, halfOpenInterval, nonnegativeInteger, real } from './constraints.js';
import { Distribution } from './distribution.js';
import { Gamma } from './gamma.js';
import { broadcastAll, logitsToProbs, type Param, probsToLogits } from './utils.js';

export class NegativeBinomial extends Distribution {
  totalCount: Tensor;
  private _probs: Tensor | undefined;
  private _logits: Tensor | undefined;
  private _param: Tensor;
  private _gamma: Gamma | undefined;

  constructor(totalCount: Param, probs: Param, options?: ProbsOrLogits);
  constructor(totalCount: Param, options: ProbsOrLogits);
  constructor(totalCount: Param, first: Param | ProbsOrLogits, options?: ProbsOrLogits) {
    super();
    const { which, value, validateArgs } = probsOrLogits('NegativeBinomial', first, options);
    const [count, param] = broadcastAll('NegativeBinomial', ['totalCount', which], [totalCount, value]) as [
      Tensor,
      Tensor,
    ];
    this._param = this.own(param);
    this.totalCount = this.own(count.typeAs(param));
    if (count !== this.totalCount) count.dispose();
    if (which === 'probs') this._probs = this._param;
    else this._logits = this._param;
    this.init(this._param.shape, [], validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { totalCount: greaterThanEq(0), probs: halfOpenInterval(0, 1), logits: real };
  }

  get support(): Constraint {
    return nonnegativeInteger;
  }

  protected presentParams(): [string, Tensor][] {
    return [['totalCount', this.totalCount], this._probs ? ['probs', this._probs] : ['logits', this._logits as Tensor]];
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

  override expand(batchShape: number[]): NegativeBinomial {
    const d = this.blank<NegativeBinomial>();
    d.totalCount = d.own(this.totalCount.expand(batchShape));
    d._probs = this._probs && d.own(this._probs.expand(batchShape));
    d._logits = this._logits && d.own(this._logits.expand(batchShape));
    d._param = (this._param === this._probs ? d._probs : d._logits) as Tensor;
    d._gamma = undefined;
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    return this.totalCount.mul(this.logits.exp());
  }

  override get mode(): Tensor {
    return this.totalCount.sub(1).mul(this.logits.exp()).floor().clamp({ min: 0 });
  }

  override get variance(): Tensor {
    return this.mean.div(this.logits.neg().sigmoid());
  }

  /** Gamma(totalCount, exp(-logits)), made once (PyTorch's lazy _gamma). */
  private get gamma(): Gamma {
    if (!this._gamma) {
      this.checkAlive();
      const rate = this.own(this.logits.neg().exp());
      this._gamma = this.ownDistribution(new Gamma(this.totalCount, rate, { validateArgs: false }));
    }
    return this._gamma;
  }

  override sample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    return noGrad(() => poisson(this.gamma.sample(sampleShape)));
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const n = this.totalCount;
    const logUnnormalized = n.mul(logsigmoid(this.logits.neg())).add(value.mul(logsigmoid(this.logits)));
    const logNormalization = n
      .add(value)
      .lgamma()
      .neg()
      .add(value.add(1).lgamma())
      .add(n.lgamma())
      .maskedFill(n.add(value).eq(0), 0);
    return logUnnormalized.sub(logNormalization);
  }
}
