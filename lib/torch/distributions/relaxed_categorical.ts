// The relaxed one-hot categorical (concrete / Gumbel-softmax) distribution at a given
// `temperature` (PyTorch's torch.distributions.RelaxedOneHotCategorical), and its log-space
// version ExpRelaxedCategorical, whose samples are log-probabilities (more stable to score).
import { fullLike, rand } from '../../generated/functions.js';
import { Tensor } from '../tensor.js';
import type { ProbsOrLogits } from './bernoulli.js';
import { Categorical } from './categorical.js';
import { type Constraint, realVector, simplex } from './constraints.js';
import { Distribution } from './distribution.js';
import { DEFER_SETUP, TransformedDistribution } from './transformed_distribution.js';
import { ExpTransform } from './transforms.js';
import { broadcastAll, clampProbs, describe } from './utils.js';

function checkTemperature(op: string, temperature: unknown): Tensor {
  if (!(temperature instanceof Tensor)) {
    throw new TypeError(`${op}: temperature must be a Tensor, got ${describe(temperature)}`);
  }
  return temperature;
}

/** The probs/logits options without validateArgs: the inner Categorical validates as PyTorch's does. */
function categoricalArgs(first: Tensor | ProbsOrLogits<Tensor>, options?: ProbsOrLogits<Tensor>) {
  const o = first instanceof Tensor ? { ...options, probs: first } : { ...first };
  const validateArgs = o.validateArgs;
  delete o.validateArgs;
  return { o, validateArgs };
}

export class ExpRelaxedCategorical extends Distribution {
  /** The relaxation temperature (the caller's tensor). */
  temperature: Tensor;
  _categorical: Categorical;

  constructor(temperature: Tensor, probs: Tensor, options?: ProbsOrLogits<Tensor>);
  constructor(temperature: Tensor, options: ProbsOrLogits<Tensor>);
  constructor(temperature: Tensor, first: Tensor | ProbsOrLogits<Tensor>, options?: ProbsOrLogits<Tensor>) {
    super();
    this.temperature = checkTemperature(this.name, temperature);
    const { o, validateArgs } = categoricalArgs(first, options);
    this._categorical = this.ownDistribution(new Categorical(o));
    this.init(this._categorical.batchShape, this._categorical.paramShape.slice(-1), validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { probs: simplex, logits: realVector };
  }

  get support(): Constraint {
    return realVector;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    // The inner Categorical validated (and normalised) them already.
    return [];
  }

  get paramShape(): number[] {
    return this._categorical.paramShape;
  }

  get logits(): Tensor {
    return this._categorical.logits;
  }

  get probs(): Tensor {
    return this._categorical.probs;
  }

  override expand(batchShape: number[]): ExpRelaxedCategorical {
    const d = this.blank<ExpRelaxedCategorical>();
    d.temperature = this.temperature;
    d._categorical = d.ownDistribution(this._categorical.expand(batchShape));
    this.initExpanded(d, batchShape);
    return d;
  }

  override rsample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    const shape = this.extendedShape(sampleShape);
    const logits = this.logits;
    const u = clampProbs(rand(shape, { dtype: logits.dtype, device: logits.device }));
    const gumbels = u.log().neg().log().neg();
    const scores = logits.add(gumbels).div(this.temperature);
    return scores.sub(scores.logsumexp(-1, { keepdim: true }));
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const k = this._categorical.numEvents;
    const [logits, v] = broadcastAll(`${this.name}.logProb`, ['logits', 'value'], [this.logits, value]) as [
      Tensor,
      Tensor,
    ];
    const t = this.temperature;
    const logScale = fullLike(t, k)
      .lgamma()
      .sub(t.log().mul(-(k - 1)));
    let score = logits.sub(v.mul(t));
    score = score.sub(score.logsumexp(-1, { keepdim: true })).sum(-1);
    return score.add(logScale);
  }
}

export class RelaxedOneHotCategorical extends TransformedDistribution {
  declare baseDist: ExpRelaxedCategorical;

  constructor(temperature: Tensor, probs: Tensor, options?: ProbsOrLogits<Tensor>);
  constructor(temperature: Tensor, options: ProbsOrLogits<Tensor>);
  constructor(temperature: Tensor, first: Tensor | ProbsOrLogits<Tensor>, options?: ProbsOrLogits<Tensor>) {
    super(DEFER_SETUP);
    const { o, validateArgs } = categoricalArgs(first, options);
    const base = new ExpRelaxedCategorical(checkTemperature('RelaxedOneHotCategorical', temperature), {
      ...o,
      validateArgs,
    });
    this.setup(this.ownDistribution(base), new ExpTransform(), validateArgs);
  }

  override get argConstraints(): Record<string, Constraint> {
    return { probs: simplex, logits: realVector };
  }

  override get support(): Constraint {
    return simplex;
  }

  override get hasRsample(): boolean {
    return true;
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

  override expand(batchShape: number[]): RelaxedOneHotCategorical {
    return super.expand(batchShape) as RelaxedOneHotCategorical;
  }
}
