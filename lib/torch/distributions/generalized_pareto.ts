// The generalized Pareto distribution with location, scale and shape `concentration` ξ (PyTorch's
// torch.distributions.GeneralizedPareto): exponential tails at ξ = 0, heavy ones for ξ > 0, a
// bounded support [loc, loc - scale/ξ] for ξ < 0. rsample is icdf of a uniform draw.
import { onesLike, rand, where, zerosLike } from '../../generated/functions.js';
import type { Tensor } from '../tensor.js';
import { type Constraint, interval, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { broadcastAll, type Param } from './utils.js';

export class GeneralizedPareto extends Distribution {
  loc: Tensor;
  scale: Tensor;
  concentration: Tensor;

  constructor(loc: Param, scale: Param, concentration: Param, options?: DistributionOptions) {
    super();
    [this.loc, this.scale, this.concentration] = broadcastAll(
      'GeneralizedPareto',
      ['loc', 'scale', 'concentration'],
      [loc, scale, concentration],
    ).map((t) => this.own(t)) as [Tensor, Tensor, Tensor];
    const scalar = [loc, scale, concentration].every((v) => typeof v === 'number');
    this.init(scalar ? [] : this.loc.shape, [], options?.validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { loc: real, scale: positive, concentration: real };
  }

  /** [loc, loc - scale/ξ] where ξ < 0, [loc, inf) elsewhere: depends on the parameters. */
  get support(): Constraint {
    const lower = this.loc;
    const upper = where(
      this.concentration.lt(0),
      lower.sub(this.scale.div(this.concentration)),
      Number.POSITIVE_INFINITY,
    );
    return interval(lower, upper);
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    return [
      ['loc', this.loc],
      ['scale', this.scale],
      ['concentration', this.concentration],
    ];
  }

  override expand(batchShape: number[]): GeneralizedPareto {
    const d = this.blank<GeneralizedPareto>();
    d.loc = d.own(this.loc.expand(batchShape));
    d.scale = d.own(this.scale.expand(batchShape));
    d.concentration = d.own(this.concentration.expand(batchShape));
    this.initExpanded(d, batchShape);
    return d;
  }

  /**
   * Where ξ is (close to) 0, and ξ with those entries replaced by 1 so that the ξ ≠ 0 branch stays
   * finite there. PyTorch compares with a float32 zero, which fails for float64 parameters; the
   * zero here has the parameters' dtype.
   */
  private zeroAndSafe(): [Tensor, Tensor] {
    const c = this.concentration;
    const eqZero = c.isclose(zerosLike(c));
    return [eqZero, where(eqZero, onesLike(c), c)];
  }

  private z(x: Tensor): Tensor {
    return x.sub(this.loc).div(this.scale);
  }

  override rsample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    const u = rand(this.extendedShape(sampleShape), { dtype: this.loc.dtype, device: this.loc.device });
    return this.icdfOf(u);
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const z = this.z(value);
    const [eqZero, safe] = this.zeroAndSafe();
    // PyTorch's 1 / ξ is reciprocal(ξ) * 1.
    const y = safe.reciprocal().add(onesLike(z));
    const whereNonzero = where(y.eq(0), y, y.mul(safe.mul(z).log1p()));
    return this.scale
      .log()
      .neg()
      .sub(where(eqZero, z, whereNonzero));
  }

  /** log(1 - cdf(value)). */
  logSurvivalFunction(value: Tensor): Tensor {
    this.checkValue(value, 'logSurvivalFunction');
    const z = this.z(value);
    const [eqZero, safe] = this.zeroAndSafe();
    const whereNonzero = safe.mul(z).log1p().neg().div(safe);
    return where(eqZero, z.neg(), whereNonzero);
  }

  /** log(cdf(value)). */
  logCdf(value: Tensor): Tensor {
    return this.logSurvivalFunction(value).exp().neg().log1p();
  }

  override cdf(value: Tensor): Tensor {
    return this.logCdf(value).exp();
  }

  override icdf(value: Tensor): Tensor {
    this.checkValue(value, 'icdf', false);
    return this.icdfOf(value);
  }

  private icdfOf(value: Tensor): Tensor {
    const [eqZero, safe] = this.zeroAndSafe();
    const logu = value.neg().log1p();
    const whereNonzero = this.loc.add(this.scale.div(safe).mul(safe.neg().mul(logu).expm1()));
    const whereZero = this.loc.sub(this.scale.mul(logu));
    return where(eqZero, whereZero, whereNonzero);
  }

  /** NaN where ξ >= 1. */
  override get mean(): Tensor {
    const c = this.concentration;
    const valid = c.lt(1);
    const safe = where(valid, c, 0.5);
    const result = this.loc.add(this.scale.div(safe.neg().add(1)));
    return where(valid, result, Number.NaN);
  }

  /** NaN where ξ >= 1/2. */
  override get variance(): Tensor {
    const c = this.concentration;
    const valid = c.lt(0.5);
    const safe = where(valid, c, 0.25);
    const result = this.scale.pow(2).div(safe.neg().add(1).pow(2).mul(safe.mul(2).neg().add(1)));
    return where(valid, result, Number.NaN);
  }

  override get mode(): Tensor {
    return this.loc;
  }

  override entropy(): Tensor {
    const ans = this.scale.log().add(this.concentration).add(1);
    return ans.expand(this._batchShape);
  }
}
