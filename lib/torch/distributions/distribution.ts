// The base of every distribution (PyTorch's torch.distributions.Distribution): shapes, argument
// and sample validation, and who frees the tensors a distribution holds.
//
// Lifetime: the tensors a distribution makes (broadcast parameters, lazily derived probs or
// logits, a Cholesky factor) are taken out of the enclosing scope with keep(), so a distribution
// made inside torch.scope() outlives it; dispose() (or `using`) frees exactly those, and the
// distributions it made itself (OneHotCategorical's Categorical, an expand()'s base). The
// tensors the caller passed in stay the caller's: a distribution never frees them, and they must
// stay alive as long as the distribution is used. Getters that PyTorch answers with a parameter
// (`mean` of a Normal is its `loc`) give the distribution's own tensor: do not dispose it.
import { enableGrad, noGrad } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { type Constraint, isDependent } from './constraints.js';
import { allTrue, checkShape, shapeString } from './utils.js';

export interface DistributionOptions {
  /** Check parameters and the values given to logProb/cdf; default Distribution.defaultValidateArgs (true). */
  validateArgs?: boolean;
}

let defaultValidateArgs = true;

export abstract class Distribution {
  /** Whether rsample() gives reparameterised samples that gradients flow through. */
  get hasRsample(): boolean {
    return false;
  }
  /** Whether enumerateSupport() is implemented. */
  get hasEnumerateSupport(): boolean {
    return false;
  }

  /**
   * Turns validation on or off for distributions made without an explicit validateArgs, as
   * PyTorch's Distribution.set_default_validate_args.
   */
  static setDefaultValidateArgs(value: boolean): void {
    if (typeof value !== 'boolean') {
      throw new TypeError(`Distribution.setDefaultValidateArgs: expected a boolean, got ${typeof value}`);
    }
    defaultValidateArgs = value;
  }

  static get defaultValidateArgs(): boolean {
    return defaultValidateArgs;
  }

  protected _batchShape: number[] = [];
  protected _eventShape: number[] = [];
  protected _validateArgs = defaultValidateArgs;
  private _owned: Tensor[] = [];
  private _children: Distribution[] = [];
  private _disposed = false;

  /**
   * Sets the shapes and, when validating, checks every parameter set so far against its
   * constraint (PyTorch's Distribution.__init__, which subclasses call once their fields are set).
   */
  protected init(batchShape: number[], eventShape: number[] = [], validateArgs?: boolean): void {
    this._batchShape = batchShape;
    this._eventShape = eventShape;
    if (validateArgs !== undefined) {
      if (typeof validateArgs !== 'boolean') {
        throw new TypeError(`${this.name}: validateArgs must be a boolean, got ${typeof validateArgs}`);
      }
      this._validateArgs = validateArgs;
    }
    if (!this._validateArgs) return;
    const constraints = this.argConstraints;
    for (const [name, value] of this.presentParams()) {
      const constraint = constraints[name];
      if (!constraint || isDependent(constraint)) continue;
      if (!noGrad(() => allTrue(constraint.check(value)))) {
        throw new Error(
          `${this.name}: expected parameter ${name} (Tensor of shape ${shapeString(value.shape)}) of distribution ` +
            `${this} to satisfy the constraint ${constraint}, but found invalid values:\n${value}`,
        );
      }
    }
  }

  /** The class name, for messages. */
  protected get name(): string {
    return this.constructor.name;
  }

  /** The parameters set so far, by their names in argConstraints (lazily derived ones left out). */
  protected abstract presentParams(): [string, Tensor][];

  /** The constraint each parameter must satisfy. */
  abstract get argConstraints(): Record<string, Constraint>;

  /** The support of the distribution (where samples lie). */
  abstract get support(): Constraint;

  /** The shape over which parameters are batched. */
  get batchShape(): number[] {
    return [...this._batchShape];
  }

  /** The shape of one sample (without batching). */
  get eventShape(): number[] {
    return [...this._eventShape];
  }

  get validateArgs(): boolean {
    return this._validateArgs;
  }

  get mean(): Tensor {
    throw new Error(`${this.name} does not implement mean`);
  }

  get mode(): Tensor {
    throw new Error(`${this.name} does not implement mode`);
  }

  get variance(): Tensor {
    throw new Error(`${this.name} does not implement variance`);
  }

  get stddev(): Tensor {
    return this.variance.sqrt();
  }

  /** Samples of shape sampleShape + batchShape + eventShape, outside autograd. */
  sample(sampleShape: number[] = []): Tensor {
    return noGrad(() => this.rsample(sampleShape));
  }

  /** Reparameterised samples, through which gradients flow to the parameters. */
  rsample(_sampleShape: number[] = []): Tensor {
    throw new Error(`${this.name}.rsample: ${this.name} has no reparameterised sampler (hasRsample is false)`);
  }

  logProb(_value: Tensor): Tensor {
    throw new Error(`${this.name} does not implement logProb`);
  }

  cdf(_value: Tensor): Tensor {
    throw new Error(`${this.name} does not implement cdf`);
  }

  icdf(_value: Tensor): Tensor {
    throw new Error(`${this.name} does not implement icdf`);
  }

  entropy(): Tensor {
    throw new Error(`${this.name} does not implement entropy`);
  }

  /** exp(entropy()). */
  perplexity(): Tensor {
    return this.entropy().exp();
  }

  /**
   * Every value of a discrete support, along dimension 0: shape [cardinality, ...batchShape,
   * ...eventShape], or with size-1 batch dimensions when `expand` is false.
   */
  enumerateSupport(_options?: { expand?: boolean }): Tensor {
    throw new Error(`${this.name} does not implement enumerateSupport`);
  }

  /**
   * A distribution of the same family with its batch dimensions expanded to `batchShape` (views
   * of the parameters, no copy). Its parameters are not validated again.
   */
  expand(_batchShape: number[]): Distribution {
    throw new Error(`${this.name} does not implement expand`);
  }

  /** sampleShape + batchShape + eventShape. */
  protected extendedShape(sampleShape: number[] = []): number[] {
    checkShape(`${this.name}.sample`, sampleShape);
    return [...sampleShape, ...this._batchShape, ...this._eventShape];
  }

  /**
   * Checks a value given to logProb, cdf or icdf: a Tensor whose rightmost dimensions match the
   * event shape, broadcastable with batchShape + eventShape, inside the support.
   */
  protected validateSample(value: unknown, op = 'logProb'): asserts value is Tensor {
    const where = `${this.name}.${op}`;
    if (!(value instanceof Tensor)) throw new TypeError(`${where}: the value must be a Tensor, got ${typeof value}`);
    if (value.isDisposed) throw new Error(`${where}: the value tensor was disposed`);
    const actual = value.shape;
    const event = this._eventShape;
    const tail = actual.slice(Math.max(0, actual.length - event.length));
    if (tail.length !== event.length || tail.some((d, i) => d !== event[i])) {
      throw new Error(
        `${where}: the right-most size of value must match eventShape: ${shapeString(actual)} vs ${shapeString(event)}`,
      );
    }
    const expected = [...this._batchShape, ...event];
    for (let i = 1; i <= Math.min(actual.length, expected.length); i++) {
      const a = actual[actual.length - i] as number;
      const b = expected[expected.length - i] as number;
      if (a !== 1 && b !== 1 && a !== b) {
        throw new Error(
          `${where}: value is not broadcastable with batchShape+eventShape: ${shapeString(actual)} vs ${shapeString(expected)}`,
        );
      }
    }
    const support = this.support;
    if (!noGrad(() => allTrue(support.check(value)))) {
      throw new Error(
        `${where}: expected value argument (Tensor of shape ${shapeString(actual)}) to be within the support ` +
          `(${support}) of the distribution ${this}, but found invalid values:\n${value}`,
      );
    }
  }

  /**
   * The value given to `op`: validated as PyTorch does when validateArgs is on (icdf never is);
   * a Tensor either way.
   */
  protected checkValue(value: unknown, op: string, validate = true): asserts value is Tensor {
    this.checkAlive();
    if (validate && this._validateArgs) this.validateSample(value, op);
    else if (!(value instanceof Tensor)) {
      throw new TypeError(`${this.name}.${op}: the value must be a Tensor, got ${typeof value}`);
    }
  }

  /** Keeps a tensor this distribution made past the enclosing scope; dispose() frees it. */
  protected own<T extends Tensor>(t: T): T {
    this._owned.push(t.keep());
    return t;
  }

  /** A distribution made by this one, disposed with it. */
  protected ownDistribution<D extends Distribution>(d: D): D {
    this._children.push(d);
    return d;
  }

  /**
   * A lazily derived tensor (PyTorch's lazy_property): computed once, with gradients enabled so
   * that it stays differentiable when first read under noGrad, then kept and owned.
   */
  protected lazy(current: Tensor | undefined, make: () => Tensor): Tensor {
    if (current) return current;
    this.checkAlive();
    return this.own(enableGrad(make));
  }

  /** Copies the shapes and validation flag into an expanded copy, without validating again. */
  protected initExpanded(target: Distribution, batchShape: number[], eventShape: number[] = this._eventShape): void {
    target._batchShape = [...batchShape];
    target._eventShape = [...eventShape];
    target._validateArgs = this._validateArgs;
  }

  /** Makes the new instance for expand(), bypassing the constructor (which would validate). */
  protected blank<T extends Distribution>(): T {
    this.checkAlive();
    const d = Object.create(Object.getPrototypeOf(this)) as Distribution;
    d._owned = [];
    d._children = [];
    d._disposed = false;
    return d as T;
  }

  protected checkAlive(): void {
    if (this._disposed) throw new Error(`${this.name}: the distribution was disposed`);
  }

  /** Frees the tensors this distribution made (never the caller's own tensors). */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    for (const t of this._owned) t.dispose();
    for (const d of this._children) d.dispose();
    this._owned = [];
    this._children = [];
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  toString(): string {
    if (this._disposed) return `${this.name}(<disposed>)`;
    const args = this.presentParams()
      .filter(([name]) => name in this.argConstraints)
      .map(([name, t]) => `${name}: ${t.numel() === 1 ? formatScalar(t) : shapeString(t.shape)}`);
    return `${this.name}(${args.join(', ')})`;
  }
}

function formatScalar(t: Tensor): string {
  const v = t.detach().reshape([]).item();
  return String(v);
}
