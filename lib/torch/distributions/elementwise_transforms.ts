// The transforms that map each entry on its own (exp, power, sigmoid, softplus, tanh, abs, affine,
// a distribution's cdf), as PyTorch's; the base class and its lifetime rules are in transform.ts.
import { softplus } from '../../generated/functional.js';
import { fullLike } from '../../generated/functions.js';
import { scalarTensor } from '../creation.js';
import { Tensor } from '../tensor.js';
import { type Constraint, independent, interval, positive, real, unitInterval } from './constraints.js';
import type { Distribution } from './distribution.js';
import { type Sign, Transform, type TransformOptions } from './transform.js';
import { broadcastShapes, describe, finfo } from './utils.js';

/** y = exp(x). */
export class ExpTransform extends Transform {
  get domain(): Constraint {
    return real;
  }
  get codomain(): Constraint {
    return positive;
  }
  override get bijective(): boolean {
    return true;
  }
  override get sign(): Sign {
    return 1;
  }
  override equals(other: Transform): boolean {
    return other instanceof ExpTransform;
  }
  protected override _call(x: Tensor): Tensor {
    return x.exp();
  }
  protected override _inverse(y: Tensor): Tensor {
    return y.log();
  }
  override logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return x;
  }
}

/** y = x ** exponent, on the positive reals. */
export class PowerTransform extends Transform {
  readonly exponent: Tensor | number;

  constructor(exponent: Tensor | number, options?: TransformOptions) {
    super(options);
    if (!(exponent instanceof Tensor) && typeof exponent !== 'number') {
      throw new TypeError(`PowerTransform: exponent must be a Tensor or a number, got ${describe(exponent)}`);
    }
    this.exponent = exponent;
  }
  get domain(): Constraint {
    return positive;
  }
  get codomain(): Constraint {
    return positive;
  }
  override get bijective(): boolean {
    return true;
  }
  override get sign(): Sign {
    return typeof this.exponent === 'number' ? Math.sign(this.exponent) : this.exponent.sign();
  }
  protected override withCacheSize(cacheSize: 0 | 1): Transform {
    return new PowerTransform(this.exponent, { cacheSize });
  }
  override equals(other: Transform): boolean {
    if (!(other instanceof PowerTransform)) return false;
    const [a, b] = [this.exponent, other.exponent];
    if (typeof a === 'number' && typeof b === 'number') return a === b;
    return (a instanceof Tensor ? a.eq(b) : (b as Tensor).eq(a)).all().item() === true;
  }
  protected override _call(x: Tensor): Tensor {
    return typeof this.exponent === 'number' ? x.pow(this.exponent) : x.pow(this.exponent);
  }
  protected override _inverse(y: Tensor): Tensor {
    return typeof this.exponent === 'number' ? y.pow(1 / this.exponent) : y.pow(this.exponent.reciprocal());
  }
  override logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    const e = this.exponent;
    return (typeof e === 'number' ? y.mul(e) : y.mul(e)).div(x).abs().log();
  }
  override forwardShape(shape: number[]): number[] {
    return broadcastShapes('PowerTransform.forwardShape', shape, paramShape(this.exponent));
  }
  override inverseShape(shape: number[]): number[] {
    return broadcastShapes('PowerTransform.inverseShape', shape, paramShape(this.exponent));
  }
}

/**
 * log(v) as C's libm (and so Python's math.log) rounds it: V8's Math.log is off by one ulp for
 * some inputs (Math.log(3)), which would break bit-for-bit agreement.
 */
function libmLog(v: number): number {
  const t = scalarTensor(v, { dtype: 'float64' });
  const l = t.log();
  const out = l.item() as number;
  t.dispose();
  l.dispose();
  return out;
}

function paramShape(p: Tensor | number): number[] {
  return typeof p === 'number' ? [] : p.shape;
}

/** sigmoid(x) kept inside [tiny, 1 - eps] of its dtype, so that its inverse stays finite. */
export function clippedSigmoid(x: Tensor): Tensor {
  const f = finfo(x.dtype, 'SigmoidTransform');
  return x.sigmoid().clamp({ min: f.tiny, max: 1 - f.eps });
}

/** y = sigmoid(x). */
export class SigmoidTransform extends Transform {
  get domain(): Constraint {
    return real;
  }
  get codomain(): Constraint {
    return unitInterval;
  }
  override get bijective(): boolean {
    return true;
  }
  override get sign(): Sign {
    return 1;
  }
  override equals(other: Transform): boolean {
    return other instanceof SigmoidTransform;
  }
  protected override _call(x: Tensor): Tensor {
    return clippedSigmoid(x);
  }
  protected override _inverse(y: Tensor): Tensor {
    const f = finfo(y.dtype, 'SigmoidTransform.inv');
    const c = y.clamp({ min: f.tiny, max: 1 - f.eps });
    return c.log().sub(c.neg().log1p());
  }
  override logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return softplus(x.neg()).neg().sub(softplus(x));
  }
}

/** y = log(1 + exp(x)). */
export class SoftplusTransform extends Transform {
  get domain(): Constraint {
    return real;
  }
  get codomain(): Constraint {
    return positive;
  }
  override get bijective(): boolean {
    return true;
  }
  override get sign(): Sign {
    return 1;
  }
  override equals(other: Transform): boolean {
    return other instanceof SoftplusTransform;
  }
  protected override _call(x: Tensor): Tensor {
    return softplus(x);
  }
  protected override _inverse(y: Tensor): Tensor {
    return y.neg().expm1().neg().log().add(y);
  }
  override logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return softplus(x.neg()).neg();
  }
}

/** y = tanh(x). */
export class TanhTransform extends Transform {
  get domain(): Constraint {
    return real;
  }
  get codomain(): Constraint {
    return tanhCodomain;
  }
  override get bijective(): boolean {
    return true;
  }
  override get sign(): Sign {
    return 1;
  }
  override equals(other: Transform): boolean {
    return other instanceof TanhTransform;
  }
  protected override _call(x: Tensor): Tensor {
    return x.tanh();
  }
  protected override _inverse(y: Tensor): Tensor {
    return y.atanh();
  }
  override logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    // log(1 - tanh(x)^2) in a form that stays accurate for large |x|.
    return x
      .neg()
      .add(Math.LN2)
      .sub(softplus(x.mul(-2)))
      .mul(2);
  }
}

const tanhCodomain = interval(-1, 1);

/** y = |x| (not injective: its inverse picks the non-negative root). */
export class AbsTransform extends Transform {
  get domain(): Constraint {
    return real;
  }
  get codomain(): Constraint {
    return positive;
  }
  override equals(other: Transform): boolean {
    return other instanceof AbsTransform;
  }
  protected override _call(x: Tensor): Tensor {
    return x.abs();
  }
  protected override _inverse(y: Tensor): Tensor {
    return y;
  }
}

export interface AffineTransformOptions extends TransformOptions {
  /** How many rightmost dimensions make one event (the Jacobian is summed over them). */
  eventDim?: number;
}

/** y = loc + scale * x. */
export class AffineTransform extends Transform {
  readonly loc: Tensor | number;
  readonly scale: Tensor | number;
  private readonly _eventDim: number;

  constructor(loc: Tensor | number, scale: Tensor | number, options?: AffineTransformOptions) {
    super(options);
    for (const [name, v] of [
      ['loc', loc],
      ['scale', scale],
    ] as const) {
      if (!(v instanceof Tensor) && typeof v !== 'number') {
        throw new TypeError(`AffineTransform: ${name} must be a Tensor or a number, got ${describe(v)}`);
      }
    }
    const eventDim = options?.eventDim ?? 0;
    if (!Number.isInteger(eventDim) || eventDim < 0) {
      throw new RangeError(`AffineTransform: eventDim must be a non-negative integer, got ${eventDim}`);
    }
    this.loc = loc;
    this.scale = scale;
    this._eventDim = eventDim;
  }
  override get eventDim(): number {
    return this._eventDim;
  }
  get domain(): Constraint {
    return this._eventDim ? independent(real, this._eventDim) : real;
  }
  get codomain(): Constraint {
    return this.domain;
  }
  override get bijective(): boolean {
    return true;
  }
  override get sign(): Sign {
    return typeof this.scale === 'number' ? Math.sign(this.scale) : this.scale.sign();
  }
  protected override withCacheSize(cacheSize: 0 | 1): Transform {
    return new AffineTransform(this.loc, this.scale, { eventDim: this._eventDim, cacheSize });
  }
  override equals(other: Transform): boolean {
    if (!(other instanceof AffineTransform)) return false;
    const same = (a: Tensor | number, b: Tensor | number) =>
      typeof a === 'number' && typeof b === 'number'
        ? a === b
        : (a instanceof Tensor ? a.eq(b) : (b as Tensor).eq(a)).all().item() === true;
    return same(this.loc, other.loc) && same(this.scale, other.scale);
  }
  protected override _call(x: Tensor): Tensor {
    // loc + scale * x, in PyTorch's operand order (the products agree bit for bit either way).
    const scaled = x.mul(this.scale);
    return typeof this.loc === 'number' ? scaled.add(this.loc) : this.loc.add(scaled);
  }
  protected override _inverse(y: Tensor): Tensor {
    return y.sub(this.loc).div(this.scale);
  }
  override logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    let shape = x.shape;
    let result = typeof this.scale === 'number' ? fullLike(x, libmLog(Math.abs(this.scale))) : this.scale.abs().log();
    if (this._eventDim) {
      result = result.reshape([...result.shape.slice(0, result.dim() - this._eventDim), -1]).sum(-1);
      shape = shape.slice(0, shape.length - this._eventDim);
    }
    return result.expand(shape);
  }
  override forwardShape(shape: number[]): number[] {
    const s = broadcastShapes('AffineTransform.forwardShape', shape, paramShape(this.loc));
    return broadcastShapes('AffineTransform.forwardShape', s, paramShape(this.scale));
  }
  override inverseShape(shape: number[]): number[] {
    return this.forwardShape(shape);
  }
}

/** y = distribution.cdf(x): a distribution's support onto [0, 1]. */
export class CumulativeDistributionTransform extends Transform {
  constructor(
    readonly distribution: Distribution,
    options?: TransformOptions,
  ) {
    super(options);
  }
  get domain(): Constraint {
    return this.distribution.support;
  }
  get codomain(): Constraint {
    return unitInterval;
  }
  override get bijective(): boolean {
    return true;
  }
  override get sign(): Sign {
    return 1;
  }
  protected override withCacheSize(cacheSize: 0 | 1): Transform {
    return new CumulativeDistributionTransform(this.distribution, { cacheSize });
  }
  protected override _call(x: Tensor): Tensor {
    return this.distribution.cdf(x);
  }
  protected override _inverse(y: Tensor): Tensor {
    return this.distribution.icdf(y);
  }
  override logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return this.distribution.logProb(x);
  }
}
