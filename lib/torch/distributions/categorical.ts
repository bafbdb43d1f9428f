// The categorical distribution over {0, ..., K-1}, parameterised by event probabilities `probs`
// or log-probabilities `logits` along the last dimension, exactly one of them, not necessarily
// normalised (PyTorch's torch.distributions.Categorical).
import { arange, broadcastTensors, full, multinomial } from '../../generated/functions.js';
import { noGrad } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { type ProbsOrLogits, probsOrLogits } from './bernoulli.js';
import { type Constraint, integerInterval, realVector, simplex } from './constraints.js';
import { Distribution } from './distribution.js';
import { describe, finfo, logitsToProbs, probsToLogits } from './utils.js';

export class Categorical extends Distribution {
  private _probs: Tensor | undefined;
  private _logits: Tensor | undefined;
  private _param: Tensor;
  private _numEvents: number;

  constructor(probs: Tensor, options?: ProbsOrLogits<Tensor>);
  constructor(options: ProbsOrLogits<Tensor>);
  constructor(first: Tensor | ProbsOrLogits<Tensor>, options?: ProbsOrLogits<Tensor>) {
    super();
    const { which, value, validateArgs } = probsOrLogits<Tensor>(this.name, first, options);
    if (!(value instanceof Tensor))
      throw new TypeError(`${this.name}: ${which} must be a Tensor, got ${describe(value)}`);
    if (value.dim() < 1) throw new Error(`${this.name}: ${which} must be at least one-dimensional`);
    if (which === 'probs') this._probs = this._param = this.own(value.div(value.sum(-1, { keepdim: true })));
    else this._logits = this._param = this.own(value.sub(value.logsumexp(-1, { keepdim: true })));
    const shape = this._param.shape;
    this._numEvents = shape[shape.length - 1] as number;
    this.init(shape.length > 1 ? shape.slice(0, -1) : [], [], validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { probs: simplex, logits: realVector };
  }

  get support(): Constraint {
    return integerInterval(0, this._numEvents - 1);
  }

  override get hasEnumerateSupport(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    return this._probs ? [['probs', this._probs]] : [['logits', this._logits as Tensor]];
  }

  /** The normalised probabilities. */
  get probs(): Tensor {
    this._probs = this.lazy(this._probs, () => logitsToProbs(this._logits as Tensor));
    return this._probs;
  }

  /** The normalised log-probabilities. */
  get logits(): Tensor {
    this._logits = this.lazy(this._logits, () => probsToLogits(this._probs as Tensor));
    return this._logits;
  }

  get paramShape(): number[] {
    return this._param.shape;
  }

  /** K, the number of categories. */
  get numEvents(): number {
    return this._numEvents;
  }

  override expand(batchShape: number[]): Categorical {
    const d = this.blank<Categorical>();
    const paramShape = [...batchShape, this._numEvents];
    d._probs = this._probs && d.own(this._probs.expand(paramShape));
    d._logits = this._logits && d.own(this._logits.expand(paramShape));
    d._param = (this._param === this._probs ? d._probs : d._logits) as Tensor;
    d._numEvents = this._numEvents;
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    const p = this.probs;
    return full(this.extendedShape(), Number.NaN, { dtype: p.dtype, device: p.device });
  }

  override get mode(): Tensor {
    return this.probs.argmax(-1);
  }

  override get variance(): Tensor {
    const p = this.probs;
    return full(this.extendedShape(), Number.NaN, { dtype: p.dtype, device: p.device });
  }

  override sample(sampleShape: number[] = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    const n = sampleShape.reduce((a, b) => a * b, 1);
    return noGrad(() =>
      multinomial(this.probs.reshape([-1, this._numEvents]), n, { replacement: true })
        .t()
        .reshape(shape),
    );
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const [v, logPmf] = broadcastTensors([value.long().unsqueeze(-1), this.logits]) as [Tensor, Tensor];
    return logPmf.gather(-1, v.narrow(-1, 0, 1)).squeeze(-1);
  }

  override entropy(): Tensor {
    const logits = this.logits.clamp({ min: finfo(this.logits.dtype, 'Categorical.entropy').min });
    return logits.mul(this.probs).sum(-1).neg();
  }

  override enumerateSupport(options?: { expand?: boolean }): Tensor {
    const values = arange(this._numEvents, { dtype: 'int64', device: this._param.device }).view([
      -1,
      ...this._batchShape.map(() => 1),
    ]);
    return (options?.expand ?? true) ? values.expand([-1, ...this._batchShape]) : values;
  }
}
