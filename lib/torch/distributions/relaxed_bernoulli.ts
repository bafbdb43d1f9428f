// The relaxed (concrete) Bernoulli distribution of Maddison et al. / Jang et al., a
// reparameterisable stand-in for Bernoulli at a given `temperature` (PyTorch's
// torch.distributions.RelaxedBernoulli and LogitRelaxedBernoulli: the latter lives on the
// log-odds, the former on (0, 1) through a sigmoid).
import { rand } from '../../generated/functions.js';
import { Tensor } from '../tensor.js';
import { type ProbsOrLogits, probsOrLogits } from './bernoulli.js';
import { type Constraint, real, unitInterval } from './constraints.js';
import { Distribution } from './distribution.js';
import { DEFER_SETUP, TransformedDistribution } from './transformed_distribution.js';
import { SigmoidTransform } from './transforms.js';
import { broadcastAll, clampProbs, describe, logitsToProbs, type Param, probsToLogits } from './utils.js';

function checkTemperature(op: string, temperature: unknown): Tensor {
  if (!(temperature instanceof Tensor)) {
    throw new TypeError(`${op}: temperature must be a Tensor, got ${describe(temperature)}`);
  }
  return temperature;
}

export class LogitRelaxedBernoulli extends Distribution {
  /** The relaxation temperature (the caller's tensor). */
  temperature: Tensor;
  private _probs: Tensor | undefined;
  private _logits: Tensor | undefined;
  private _param: Tensor;

  constructor(temperature: Tensor, probs: Param, options?: ProbsOrLogits);
  constructor(temperature: Tensor, options: ProbsOrLogits);
  constructor(temperature: Tensor, first: Param | ProbsOrLogits, options?: ProbsOrLogits) {
    super();
    this.temperature = checkTemperature(this.name, temperature);
    const { which, value, validateArgs } = probsOrLogits(this.name, first, options);
    const [param] = broadcastAll(this.name, [which], [value]) as [Tensor];
    this._param = this.own(param);
    if (which === 'probs') this._probs = this._param;
    else this._logits = this._param;
    this.init(typeof value === 'number' ? [] : this._param.shape, [], validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { probs: unitInterval, logits: real };
  }

  get support(): Constraint {
    return real;
  }

  override get hasRsample(): boolean {
    return true;
  }

  /** The parameter given (probs or logits), for validation and printing. */
  override presentParams(): [string, Tensor][] {
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

  get paramShape(): number[] {
    return this._param.shape;
  }

  override expand(batchShape: number[]): LogitRelaxedBernoulli {
    const d = this.blank<LogitRelaxedBernoulli>();
    d.temperature = this.temperature;
    d._probs = this._probs && d.own(this._probs.expand(batchShape));
    d._logits = this._logits && d.own(this._logits.expand(batchShape));
    d._param = (this._param === this._probs ? d._probs : d._logits) as Tensor;
    this.initExpanded(d, batchShape);
    return d;
  }

  override rsample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    const shape = this.extendedShape(sampleShape);
    const probs = clampProbs(this.probs.expand(shape));
    const u = clampProbs(rand(shape, { dtype: probs.dtype, device: probs.device }));
    // logit(u) + logit(p), divided by the temperature.
    return u.log().sub(u.neg().log1p()).add(probs.log()).sub(probs.neg().log1p()).div(this.temperature);
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const [logits, v] = broadcastAll(`${this.name}.logProb`, ['logits', 'value'], [this.logits, value]) as [
      Tensor,
      Tensor,
    ];
    const diff = logits.sub(v.mul(this.temperature));
    return this.temperature.log().add(diff).sub(diff.exp().log1p().mul(2));
  }
}

export class RelaxedBernoulli extends TransformedDistribution {
  declare baseDist: LogitRelaxedBernoulli;

  constructor(temperature: Tensor, probs: Param, options?: ProbsOrLogits);
  constructor(temperature: Tensor, options: ProbsOrLogits);
  constructor(temperature: Tensor, first: Param | ProbsOrLogits, options?: ProbsOrLogits) {
    super(DEFER_SETUP);
    // PyTorch builds the base without passing validateArgs on (it validates with the default).
    const { which, value, validateArgs } = probsOrLogits('RelaxedBernoulli', first, options);
    const base = new LogitRelaxedBernoulli(checkTemperature('RelaxedBernoulli', temperature), { [which]: value });
    this.setup(this.ownDistribution(base), new SigmoidTransform(), validateArgs);
  }

  override get argConstraints(): Record<string, Constraint> {
    return { probs: unitInterval, logits: real };
  }

  override get support(): Constraint {
    return unitInterval;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected override presentParams(): [string, Tensor][] {
    return this.baseDist.presentParams();
  }

  get temperature(): Tensor {
    return this.baseDist.temperature;
  }

  get probs(): Tensor {
    return this.baseDist.probs;
  }

  get logits(): Tensor {
    return this.baseDist.logits;
  }

  override expand(batchShape: number[]): RelaxedBernoulli {
    return super.expand(batchShape) as RelaxedBernoulli;
  }
}
