// The Bernoulli distribution over {0, 1}, parameterised by the probability of 1 (`probs`) or its
// log-odds (`logits`), exactly one of them (PyTorch's torch.distributions.Bernoulli).

import { binaryCrossEntropyWithLogits } from '../../generated/functional.js';
import { arange, bernoulli } from '../../generated/functions.js';
import { noGrad } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { boolean, type Constraint, real, unitInterval } from './constraints.js';
import { Distribution } from './distribution.js';
import { broadcastAll, logitsToProbs, type Param, probsToLogits } from './utils.js';

/** probs or logits (exactly one), and validateArgs. */
export interface ProbsOrLogits<P = Param> {
  probs?: P;
  logits?: P;
  validateArgs?: boolean;
}

/** `new X(probs)` or `new X({probs})` / `new X({logits})`: which one, and its value. */
export function probsOrLogits<P>(
  op: string,
  first: P | ProbsOrLogits<P> | undefined,
  options: ProbsOrLogits<P> | undefined,
): { which: 'probs' | 'logits'; value: P; validateArgs: boolean | undefined } {
  let o: ProbsOrLogits<P>;
  if (first instanceof Tensor || typeof first === 'number') o = { ...options, probs: first as P };
  else if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    if (options !== undefined) throw new TypeError(`${op}: the options object must be the last argument`);
    o = first as ProbsOrLogits<P>;
  } else {
    throw new TypeError(`${op}: expected probs (a Tensor) or an options object {probs} or {logits}`);
  }
  if ((o.probs == null) === (o.logits == null)) {
    throw new Error(`${op}: either probs or logits must be specified, but not both`);
  }
  return o.probs != null
    ? { which: 'probs', value: o.probs, validateArgs: o.validateArgs }
    : { which: 'logits', value: o.logits as P, validateArgs: o.validateArgs };
}

export class Bernoulli extends Distribution {
  private _probs: Tensor | undefined;
  private _logits: Tensor | undefined;
  private _param: Tensor;

  constructor(probs: Param, options?: ProbsOrLogits);
  constructor(options: ProbsOrLogits);
  constructor(first: Param | ProbsOrLogits, options?: ProbsOrLogits) {
    super();
    const { which, value, validateArgs } = probsOrLogits('Bernoulli', first, options);
    const [param] = broadcastAll('Bernoulli', [which], [value]) as [Tensor];
    this._param = this.own(param);
    if (which === 'probs') this._probs = this._param;
    else this._logits = this._param;
    this.init(typeof value === 'number' ? [] : this._param.shape, [], validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { probs: unitInterval, logits: real };
  }

  get support(): Constraint {
    return boolean;
  }

  override get hasEnumerateSupport(): boolean {
    return true;
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

  get paramShape(): number[] {
    return this._param.shape;
  }

  override expand(batchShape: number[]): Bernoulli {
    const d = this.blank<Bernoulli>();
    d._probs = this._probs && d.own(this._probs.expand(batchShape));
    d._logits = this._logits && d.own(this._logits.expand(batchShape));
    d._param = (this._param === this._probs ? d._probs : d._logits) as Tensor;
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    return this.probs;
  }

  override get mode(): Tensor {
    const p = this.probs;
    return p.ge(0.5).to(p.dtype).maskedFill(p.eq(0.5), Number.NaN);
  }

  override get variance(): Tensor {
    const p = this.probs;
    return p.mul(p.neg().add(1));
  }

  override sample(sampleShape: number[] = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    return noGrad(() => bernoulli(this.probs.expand(shape)));
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const [logits, v] = broadcastAll('Bernoulli.logProb', ['logits', 'value'], [this.logits, value]) as [
      Tensor,
      Tensor,
    ];
    return binaryCrossEntropyWithLogits(logits, v, { reduction: 'none' }).neg();
  }

  override entropy(): Tensor {
    return binaryCrossEntropyWithLogits(this.logits, this.probs, { reduction: 'none' });
  }

  override enumerateSupport(options?: { expand?: boolean }): Tensor {
    const values = arange(2, { dtype: this._param.dtype, device: this._param.device }).view([
      -1,
      ...this._batchShape.map(() => 1),
    ]);
    return (options?.expand ?? true) ? values.expand([-1, ...this._batchShape]) : values;
  }
}
