// The continuous Bernoulli distribution on [0, 1] of Loaiza-Ganem & Cunningham, parameterised by
// `probs` or `logits` (PyTorch's torch.distributions.ContinuousBernoulli). Near probs = 1/2 its
// normaliser is 0/0, so inside `lims` (default (0.499, 0.501)) Taylor expansions stand in, as in
// PyTorch.
import { binaryCrossEntropyWithLogits } from '../../generated/functional.js';
import { onesLike, rand, where, zerosLike } from '../../generated/functions.js';
import { noGrad } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { type ProbsOrLogits, probsOrLogits } from './bernoulli.js';
import { type Constraint, real, unitInterval } from './constraints.js';
import { Distribution } from './distribution.js';
import { allTrue, broadcastAll, clampProbs, logitsToProbs, type Param, probsToLogits } from './utils.js';

export interface ContinuousBernoulliOptions extends ProbsOrLogits {
  /** The unstable region around 1/2 where Taylor expansions are used; default [0.499, 0.501]. */
  lims?: [number, number];
}

export class ContinuousBernoulli extends Distribution {
  private _probs: Tensor | undefined;
  private _logits: Tensor | undefined;
  private _param: Tensor;
  private _lims: [number, number];

  constructor(probs: Param, options?: ContinuousBernoulliOptions);
  constructor(options: ContinuousBernoulliOptions);
  constructor(first: Param | ContinuousBernoulliOptions, options?: ContinuousBernoulliOptions) {
    super();
    const { which, value, validateArgs } = probsOrLogits('ContinuousBernoulli', first, options);
    const lims = (first instanceof Tensor || typeof first === 'number' ? options : first)?.lims ?? [0.499, 0.501];
    if (!Array.isArray(lims) || lims.length !== 2 || !lims.every((l) => typeof l === 'number')) {
      throw new TypeError('ContinuousBernoulli: lims must be an array of two numbers');
    }
    const [param] = broadcastAll('ContinuousBernoulli', [which], [value]) as [Tensor];
    if (which === 'probs') {
      // PyTorch checks probs before clamping them only when validateArgs is given explicitly.
      if (validateArgs !== undefined && !noGrad(() => allTrue(unitInterval.check(param)))) {
        throw new Error('ContinuousBernoulli: the parameter probs has invalid values');
      }
      this._probs = this._param = this.own(clampProbs(param));
      param.dispose();
    } else this._logits = this._param = this.own(param);
    this._lims = [lims[0], lims[1]];
    this.init(typeof value === 'number' ? [] : this._param.shape, [], validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { probs: unitInterval, logits: real };
  }

  get support(): Constraint {
    return unitInterval;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    return this._probs ? [['probs', this._probs]] : [['logits', this._logits as Tensor]];
  }

  get probs(): Tensor {
    this._probs = this.lazy(this._probs, () => clampProbs(logitsToProbs(this._logits as Tensor, true)));
    return this._probs;
  }

  get logits(): Tensor {
    this._logits = this.lazy(this._logits, () => probsToLogits(this._probs as Tensor, true));
    return this._logits;
  }

  get paramShape(): number[] {
    return this._param.shape;
  }

  override expand(batchShape: number[]): ContinuousBernoulli {
    const d = this.blank<ContinuousBernoulli>();
    d._lims = this._lims;
    d._probs = this._probs && d.own(this._probs.expand(batchShape));
    d._logits = this._logits && d.own(this._logits.expand(batchShape));
    d._param = (this._param === this._probs ? d._probs : d._logits) as Tensor;
    this.initExpanded(d, batchShape);
    return d;
  }

  private outsideUnstableRegion(): Tensor {
    return this.probs.le(this._lims[0]).logicalOr(this.probs.gt(this._lims[1]));
  }

  private cutProbs(): Tensor {
    return where(this.outsideUnstableRegion(), this.probs, onesLike(this.probs).mul(this._lims[0]));
  }

  /** log of the normalising constant C(λ) (the Taylor expansion near 1/2). */
  _contBernLogNorm(): Tensor {
    const cp = this.cutProbs();
    const belowHalf = where(cp.le(0.5), cp, zerosLike(cp));
    const aboveHalf = where(cp.ge(0.5), cp, onesLike(cp));
    const logNorm = cp
      .neg()
      .log1p()
      .sub(cp.log())
      .abs()
      .log()
      .sub(where(cp.le(0.5), belowHalf.mul(-2).log1p(), aboveHalf.mul(2).sub(1).log()));
    const x = this.probs.sub(0.5).pow(2);
    const taylor = x
      .mul(104 / 45)
      .add(4 / 3)
      .mul(x)
      .add(Math.LN2);
    return where(this.outsideUnstableRegion(), logNorm, taylor);
  }

  override get mean(): Tensor {
    const cp = this.cutProbs();
    const mus = cp.div(cp.mul(2).sub(1)).add(cp.neg().log1p().sub(cp.log()).reciprocal());
    const x = this.probs.sub(0.5);
    const taylor = x
      .pow(2)
      .mul(16 / 45)
      .add(1 / 3)
      .mul(x)
      .add(0.5);
    return where(this.outsideUnstableRegion(), mus, taylor);
  }

  override get stddev(): Tensor {
    return this.variance.sqrt();
  }

  override get variance(): Tensor {
    const cp = this.cutProbs();
    const vars = cp
      .mul(cp.sub(1))
      .div(cp.mul(2).neg().add(1).pow(2))
      .add(cp.neg().log1p().sub(cp.log()).pow(2).reciprocal());
    const x = this.probs.sub(0.5).pow(2);
    const taylor = x
      .mul(128 / 945)
      .neg()
      .add(1 / 15)
      .mul(x)
      .neg()
      .add(1 / 12);
    return where(this.outsideUnstableRegion(), vars, taylor);
  }

  override sample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    const u = rand(this.extendedShape(sampleShape), { dtype: this.probs.dtype, device: this.probs.device });
    return noGrad(() => this.icdf(u));
  }

  override rsample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    const u = rand(this.extendedShape(sampleShape), { dtype: this.probs.dtype, device: this.probs.device });
    return this.icdf(u);
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const [logits, v] = broadcastAll('ContinuousBernoulli.logProb', ['logits', 'value'], [this.logits, value]) as [
      Tensor,
      Tensor,
    ];
    return binaryCrossEntropyWithLogits(logits, v, { reduction: 'none' }).neg().add(this._contBernLogNorm());
  }

  override cdf(value: Tensor): Tensor {
    this.checkValue(value, 'cdf');
    const cp = this.cutProbs();
    const cdfs = cp
      .pow(value)
      .mul(cp.neg().add(1).pow(value.neg().add(1)))
      .add(cp)
      .sub(1)
      .div(cp.mul(2).sub(1));
    const unbounded = where(this.outsideUnstableRegion(), cdfs, value);
    return where(value.le(0), zerosLike(value), where(value.ge(1), onesLike(value), unbounded));
  }

  override icdf(value: Tensor): Tensor {
    this.checkValue(value, 'icdf', false);
    const cp = this.cutProbs();
    const inner = cp
      .neg()
      .add(value.mul(cp.mul(2).sub(1)))
      .log1p()
      .sub(cp.neg().log1p())
      .div(cp.log().sub(cp.neg().log1p()));
    return where(this.outsideUnstableRegion(), inner, value);
  }

  override entropy(): Tensor {
    const logProbs0 = this.probs.neg().log1p();
    const logProbs1 = this.probs.log();
    return this.mean.mul(logProbs0.sub(logProbs1)).sub(this._contBernLogNorm()).sub(logProbs0);
  }
}
