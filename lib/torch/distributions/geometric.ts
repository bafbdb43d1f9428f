// The geometric distribution: the number of failures before the first success of Bernoulli
// trials with success probability `probs` (or log-odds `logits`), on {0, 1, 2, ...} (PyTorch's
// torch.distributions.Geometric).
import { binaryCrossEntropyWithLogits } from '../../generated/functional.js';
import { zerosLike } from '../../generated/functions.js';
import { noGrad } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { type ProbsOrLogits, probsOrLogits } from './bernoulli.js';
import { type Constraint, nonnegativeInteger, real, unitInterval } from './constraints.js';
import { Distribution } from './distribution.js';
import {
  allTrue,
  broadcastAll,
  finfo,
  logitsToProbs,
  newEmpty,
  type Param,
  probsToLogits,
  shapeString,
} from './utils.js';

export class Geometric extends Distribution {
  private _probs: Tensor | undefined;
  private _logits: Tensor | undefined;

  constructor(probs: Param, options?: ProbsOrLogits);
  constructor(options: ProbsOrLogits);
  constructor(first: Param | ProbsOrLogits, options?: ProbsOrLogits) {
    super();
    const { which, value, validateArgs } = probsOrLogits('Geometric', first, options);
    const [param] = broadcastAll('Geometric', [which], [value]) as [Tensor];
    if (which === 'probs') this._probs = this.own(param);
    else this._logits = this.own(param);
    this.init(typeof value === 'number' ? [] : param.shape, [], validateArgs);
    // A success probability of 0 never ends: PyTorch rejects it beyond the unit-interval check.
    if (this._validateArgs && this._probs && !noGrad(() => allTrue(this._probs!.gt(0)))) {
      throw new Error(
        `Geometric: expected parameter probs (Tensor of shape ${shapeString(param.shape)}) of distribution ${this} ` +
          `to be positive but found invalid values:\n${this._probs}`,
      );
    }
  }

  get argConstraints(): Record<string, Constraint> {
    return { probs: unitInterval, logits: real };
  }

  get support(): Constraint {
    return nonnegativeInteger;
  }

  protected presentParams(): [string, Tensor][] {
    return this._probs ? [['probs', this._probs]] : [['logits', this._logits as Tensor]];
  }

  get probs(): Tensor {
    this._probs = this.lazy(this._probs, () => logitsToProbs(this._logits as Tensor, true));
    return this._probs;
  }

  get logits(): Tensor {
    this._logits = this.lazy(this._logits, () => probsToLogits(this._probs as Tensor, true));
    return this._logits;
  }

  override expand(batchShape: number[]): Geometric {
    const d = this.blank<Geometric>();
    d._probs = this._probs && d.own(this._probs.expand(batchShape));
    d._logits = this._logits && d.own(this._logits.expand(batchShape));
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    return this.probs.reciprocal().sub(1);
  }

  override get mode(): Tensor {
    return zerosLike(this.probs);
  }

  override get variance(): Tensor {
    return this.probs.reciprocal().sub(1).div(this.probs);
  }

  override sample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    const shape = this.extendedShape(sampleShape);
    const probs = this.probs;
    return noGrad(() => {
      const u = newEmpty(shape, probs).uniform_({ from: finfo(probs.dtype, 'Geometric.sample').tiny, to: 1 });
      return u.log().div(probs.neg().log1p()).floor();
    });
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const [v, p] = broadcastAll('Geometric.logProb', ['value', 'probs'], [value, this.probs]) as [Tensor, Tensor];
    // 0 failures before a certain success: log 1, not 0·log 0.
    const probs = p.maskedFill(p.eq(1).logicalAnd(v.eq(0)), 0);
    return v.mul(probs.neg().log1p()).add(this.probs.log());
  }

  override entropy(): Tensor {
    return binaryCrossEntropyWithLogits(this.logits, this.probs, { reduction: 'none' }).div(this.probs);
  }
}
