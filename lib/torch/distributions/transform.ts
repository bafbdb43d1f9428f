// The transform base class and the transforms that combine others (inverse, composition,
// independent event dims, reshape, cat and stack), as in PyTorch's torch.distributions.transforms.
// `t.call(x)` is PyTorch's `t(x)`, `t.inv` the inverse map, `t.logAbsDetJacobian(x, y)` log|dy/dx|
// summed over `domain.eventDim`. Each map runs the same ops in the same order as PyTorch's, so
// that results agree bit for bit. The one-op maps are in elementwise_transforms.ts, the maps of a
// whole vector or matrix in event_transforms.ts; transforms.ts is the namespace of all of them.
//
// Lifetime: a transform never owns tensors. Tensor parameters (an AffineTransform's loc and
// scale, a PowerTransform's exponent) stay their maker's and must outlive the transform. The
// cacheSize 1 memo holds references only; a cached pair whose tensors were disposed is a miss.
import { cat as catTensors, stack as stackTensors, zeros } from '../../generated/functions.js';
import { Tensor } from '../tensor.js';
import { type Constraint, cat, independent, real, stack } from './constraints.js';
import { describe, sameShape, shapeString, sumRightmost } from './utils.js';

export interface TransformOptions {
  /** 0: no memo; 1: remember the last (x, y) pair, so inv(call(x)) returns x itself. */
  cacheSize?: number;
}

/** The sign of a monotone map: a number, or a tensor where it varies by element. */
export type Sign = number | Tensor;

function checkCacheSize(op: string, cacheSize: unknown): 0 | 1 {
  if (cacheSize === undefined || cacheSize === 0) return 0;
  if (cacheSize === 1) return 1;
  throw new Error(`${op}: cacheSize must be 0 or 1, got ${String(cacheSize)}`);
}

export abstract class Transform {
  protected readonly _cacheSize: 0 | 1;
  protected _inv: Transform | undefined;
  private _cachedX: Tensor | undefined;
  private _cachedY: Tensor | undefined;

  constructor(options?: TransformOptions) {
    this._cacheSize = checkCacheSize(this.constructor.name, options?.cacheSize);
  }

  /** The space the map takes values from. */
  abstract get domain(): Constraint;
  /** The space the map takes values into. */
  abstract get codomain(): Constraint;

  /** Whether the map is invertible (inv(call(x)) == x everywhere). */
  get bijective(): boolean {
    return false;
  }

  /** +1 or -1 for a monotone map (a tensor where it varies by element). */
  get sign(): Sign {
    throw new Error(`${this.name}.sign is not implemented`);
  }

  get cacheSize(): number {
    return this._cacheSize;
  }

  /** domain.eventDim, when it equals codomain.eventDim. */
  get eventDim(): number {
    const d = this.domain.eventDim;
    if (d === this.codomain.eventDim) return d;
    throw new Error(
      `${this.name}.eventDim: the domain and codomain event dims differ; use domain.eventDim or codomain.eventDim`,
    );
  }

  /** The inverse transform (made once; its inverse is this one). */
  get inv(): Transform {
    this._inv ??= new InverseTransform(this);
    return this._inv;
  }

  /** This transform with the given cache size (itself when it already has it). */
  withCache(cacheSize = 1): Transform {
    if (checkCacheSize(`${this.name}.withCache`, cacheSize) === this._cacheSize) return this;
    return this.withCacheSize(cacheSize as 0 | 1);
  }

  /** A copy with another cache size; transforms with parameters pass them on. */
  protected withCacheSize(cacheSize: 0 | 1): Transform {
    const Ctor = this.constructor as new (options?: TransformOptions) => Transform;
    return new Ctor({ cacheSize });
  }

  /** Whether `other` is the same map (PyTorch's ==). */
  equals(other: Transform): boolean {
    return this === other;
  }

  /** y = f(x) (PyTorch's `t(x)`). */
  call(x: Tensor): Tensor {
    this.checkTensor(x, 'call');
    if (this._cacheSize === 0) return this._call(x);
    if (x === this._cachedX && this.cacheAlive()) return this._cachedY as Tensor;
    const y = this._call(x);
    this._cachedX = x;
    this._cachedY = y;
    return y;
  }

  /** x = f⁻¹(y), through the memo; what `inv.call(y)` runs. */
  invCall(y: Tensor): Tensor {
    this.checkTensor(y, 'inv');
    if (this._cacheSize === 0) return this._inverse(y);
    if (y === this._cachedY && this.cacheAlive()) return this._cachedX as Tensor;
    const x = this._inverse(y);
    this._cachedX = x;
    this._cachedY = y;
    return x;
  }

  private cacheAlive(): boolean {
    return !(this._cachedX as Tensor).isDisposed && !(this._cachedY as Tensor).isDisposed;
  }

  protected _call(_x: Tensor): Tensor {
    throw new Error(`${this.name}.call is not implemented`);
  }

  protected _inverse(_y: Tensor): Tensor {
    throw new Error(`${this.name}.inv is not implemented`);
  }

  /** log|det dy/dx|, summed over the domain's event dimensions. */
  logAbsDetJacobian(_x: Tensor, _y: Tensor): Tensor {
    throw new Error(`${this.name}.logAbsDetJacobian is not implemented`);
  }

  /** The shape of call(x) for x of `shape`. */
  forwardShape(shape: number[]): number[] {
    return [...shape];
  }

  /** The shape of inv.call(y) for y of `shape`. */
  inverseShape(shape: number[]): number[] {
    return [...shape];
  }

  protected get name(): string {
    return this.constructor.name;
  }

  protected checkTensor(v: unknown, op: string): asserts v is Tensor {
    if (!(v instanceof Tensor)) throw new TypeError(`${this.name}.${op}: expected a Tensor, got ${describe(v)}`);
    if (v.isDisposed) throw new Error(`${this.name}.${op}: the tensor was disposed`);
  }

  toString(): string {
    return `${this.name}()`;
  }
}

/** The inverse of a transform: its call is the other's inverse, sharing the other's memo. */
export class InverseTransform extends Transform {
  constructor(private readonly base: Transform) {
    super({ cacheSize: base.cacheSize });
    this._inv = base;
  }
  get domain(): Constraint {
    return this.base.codomain;
  }
  get codomain(): Constraint {
    return this.base.domain;
  }
  override get bijective(): boolean {
    return this.base.bijective;
  }
  override get sign(): Sign {
    return this.base.sign;
  }
  override get inv(): Transform {
    return this.base;
  }
  override withCache(cacheSize = 1): Transform {
    return this.base.withCache(cacheSize).inv;
  }
  override equals(other: Transform): boolean {
    return other instanceof InverseTransform && this.base.equals(other.base);
  }
  override call(x: Tensor): Tensor {
    return this.base.invCall(x);
  }
  override invCall(y: Tensor): Tensor {
    return this.base.call(y);
  }
  override logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    return this.base.logAbsDetJacobian(y, x).neg();
  }
  override forwardShape(shape: number[]): number[] {
    return this.base.inverseShape(shape);
  }
  override inverseShape(shape: number[]): number[] {
    return this.base.forwardShape(shape);
  }
  override toString(): string {
    return `_InverseTransform(${this.base})`;
  }
}

function checkParts(op: string, parts: unknown): Transform[] {
  if (!Array.isArray(parts) || !parts.every((p) => p instanceof Transform)) {
    throw new TypeError(`${op}: expected an array of Transforms`);
  }
  return parts as Transform[];
}

/** Several transforms applied in order. */
export class ComposeTransform extends Transform {
  readonly parts: Transform[];

  constructor(parts: Transform[], options?: TransformOptions) {
    super(options);
    const list = checkParts('ComposeTransform', parts);
    this.parts = this._cacheSize ? list.map((p) => p.withCache(this._cacheSize)) : [...list];
  }

  override equals(other: Transform): boolean {
    return (
      other instanceof ComposeTransform &&
      other.parts.length === this.parts.length &&
      this.parts.every((p, i) => p.equals(other.parts[i] as Transform))
    );
  }

  get domain(): Constraint {
    const parts = this.parts;
    if (!parts.length) return real;
    const domain = (parts[0] as Transform).domain;
    let eventDim = (parts[parts.length - 1] as Transform).codomain.eventDim;
    for (const part of [...parts].reverse()) {
      eventDim += part.domain.eventDim - part.codomain.eventDim;
      eventDim = Math.max(eventDim, part.domain.eventDim);
    }
    return eventDim > domain.eventDim ? independent(domain, eventDim - domain.eventDim) : domain;
  }

  get codomain(): Constraint {
    const parts = this.parts;
    if (!parts.length) return real;
    const codomain = (parts[parts.length - 1] as Transform).codomain;
    let eventDim = (parts[0] as Transform).domain.eventDim;
    for (const part of parts) {
      eventDim += part.codomain.eventDim - part.domain.eventDim;
      eventDim = Math.max(eventDim, part.codomain.eventDim);
    }
    return eventDim > codomain.eventDim ? independent(codomain, eventDim - codomain.eventDim) : codomain;
  }

  override get bijective(): boolean {
    return this.parts.every((p) => p.bijective);
  }

  override get sign(): Sign {
    let sign: Sign = 1;
    for (const p of this.parts) {
      const s = p.sign;
      sign = typeof sign === 'number' ? (typeof s === 'number' ? sign * s : s.mul(sign)) : sign.mul(s);
    }
    return sign;
  }

  override get inv(): Transform {
    if (!this._inv) {
      const inv = new ComposeTransform([...this.parts].reverse().map((p) => p.inv));
      inv._inv = this;
      this._inv = inv;
    }
    return this._inv;
  }

  protected override withCacheSize(cacheSize: 0 | 1): Transform {
    return new ComposeTransform(this.parts, { cacheSize });
  }

  override call(x: Tensor): Tensor {
    this.checkTensor(x, 'call');
    let y = x;
    for (const part of this.parts) y = part.call(y);
    return y;
  }

  override invCall(y: Tensor): Tensor {
    return this.inv.call(y);
  }

  override logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    this.checkTensor(x, 'logAbsDetJacobian');
    this.checkTensor(y, 'logAbsDetJacobian');
    if (!this.parts.length) return zeros(x.shape, { dtype: x.dtype, device: x.device });
    const xs = [x];
    for (const part of this.parts.slice(0, -1)) xs.push(part.call(xs[xs.length - 1] as Tensor));
    xs.push(y);
    let eventDim = this.domain.eventDim;
    let total: Tensor | undefined;
    this.parts.forEach((part, i) => {
      const term = sumRightmost(
        part.logAbsDetJacobian(xs[i] as Tensor, xs[i + 1] as Tensor),
        eventDim - part.domain.eventDim,
      );
      total = total ? total.add(term) : term;
      eventDim += part.codomain.eventDim - part.domain.eventDim;
    });
    return total as Tensor;
  }

  override forwardShape(shape: number[]): number[] {
    return this.parts.reduce((s, p) => p.forwardShape(s), [...shape]);
  }

  override inverseShape(shape: number[]): number[] {
    return [...this.parts].reverse().reduce((s, p) => p.inverseShape(s), [...shape]);
  }

  override toString(): string {
    return `ComposeTransform(${this.parts.join(', ')})`;
  }
}

/** The identity map (PyTorch's identity_transform, an empty ComposeTransform). */
export const identityTransform = new ComposeTransform([]);

/** A transform over the rightmost `reinterpretedBatchNdims` dimensions as one event. */
export class IndependentTransform extends Transform {
  readonly baseTransform: Transform;
  readonly reinterpretedBatchNdims: number;

  constructor(baseTransform: Transform, reinterpretedBatchNdims: number, options?: TransformOptions) {
    super(options);
    if (!(baseTransform instanceof Transform)) {
      throw new TypeError(`IndependentTransform: baseTransform must be a Transform, got ${describe(baseTransform)}`);
    }
    if (!Number.isInteger(reinterpretedBatchNdims) || reinterpretedBatchNdims < 0) {
      throw new RangeError(
        `IndependentTransform: reinterpretedBatchNdims must be a non-negative integer, got ${reinterpretedBatchNdims}`,
      );
    }
    this.baseTransform = baseTransform.withCache(this._cacheSize);
    this.reinterpretedBatchNdims = reinterpretedBatchNdims;
  }
  protected override withCacheSize(cacheSize: 0 | 1): Transform {
    return new IndependentTransform(this.baseTransform, this.reinterpretedBatchNdims, { cacheSize });
  }
  get domain(): Constraint {
    return independent(this.baseTransform.domain, this.reinterpretedBatchNdims);
  }
  get codomain(): Constraint {
    return independent(this.baseTransform.codomain, this.reinterpretedBatchNdims);
  }
  override get bijective(): boolean {
    return this.baseTransform.bijective;
  }
  override get sign(): Sign {
    return this.baseTransform.sign;
  }
  protected override _call(x: Tensor): Tensor {
    if (x.dim() < this.domain.eventDim) {
      throw new Error(`IndependentTransform: too few dimensions on input: ${shapeString(x.shape)}`);
    }
    return this.baseTransform.call(x);
  }
  protected override _inverse(y: Tensor): Tensor {
    if (y.dim() < this.codomain.eventDim) {
      throw new Error(`IndependentTransform.inv: too few dimensions on input: ${shapeString(y.shape)}`);
    }
    return this.baseTransform.inv.call(y);
  }
  override logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    return sumRightmost(this.baseTransform.logAbsDetJacobian(x, y), this.reinterpretedBatchNdims);
  }
  override forwardShape(shape: number[]): number[] {
    return this.baseTransform.forwardShape(shape);
  }
  override inverseShape(shape: number[]): number[] {
    return this.baseTransform.inverseShape(shape);
  }
  override toString(): string {
    return `IndependentTransform(${this.baseTransform}, ${this.reinterpretedBatchNdims})`;
  }
}

/** Reshapes the rightmost dimensions from `inShape` to `outShape` (same element count). */
export class ReshapeTransform extends Transform {
  readonly inShape: number[];
  readonly outShape: number[];

  constructor(inShape: number[], outShape: number[], options?: TransformOptions) {
    super(options);
    const count = (s: number[], what: string) => {
      if (!Array.isArray(s) || !s.every((d) => Number.isInteger(d) && d >= 0)) {
        throw new TypeError(`ReshapeTransform: ${what} must be an array of non-negative integers`);
      }
      return s.reduce((a, b) => a * b, 1);
    };
    if (count(inShape, 'inShape') !== count(outShape, 'outShape')) {
      throw new Error(
        `ReshapeTransform: inShape ${shapeString(inShape)} and outShape ${shapeString(outShape)} have different numbers of elements`,
      );
    }
    this.inShape = [...inShape];
    this.outShape = [...outShape];
  }
  override get bijective(): boolean {
    return true;
  }
  get domain(): Constraint {
    return independent(real, this.inShape.length);
  }
  get codomain(): Constraint {
    return independent(real, this.outShape.length);
  }
  protected override withCacheSize(cacheSize: 0 | 1): Transform {
    return new ReshapeTransform(this.inShape, this.outShape, { cacheSize });
  }
  protected override _call(x: Tensor): Tensor {
    return x.reshape([...x.shape.slice(0, x.dim() - this.inShape.length), ...this.outShape]);
  }
  protected override _inverse(y: Tensor): Tensor {
    return y.reshape([...y.shape.slice(0, y.dim() - this.outShape.length), ...this.inShape]);
  }
  override logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return zeros(x.shape.slice(0, x.dim() - this.inShape.length), { dtype: x.dtype, device: x.device });
  }
  override forwardShape(shape: number[]): number[] {
    return ReshapeTransform.swap('forwardShape', shape, this.inShape, this.outShape);
  }
  override inverseShape(shape: number[]): number[] {
    return ReshapeTransform.swap('inverseShape', shape, this.outShape, this.inShape);
  }
  private static swap(op: string, shape: number[], from: number[], to: number[]): number[] {
    if (shape.length < from.length) throw new Error(`ReshapeTransform.${op}: too few dimensions on input`);
    const cut = shape.length - from.length;
    if (!sameShape(shape.slice(cut), from)) {
      throw new Error(
        `ReshapeTransform.${op}: shape mismatch: expected ${shapeString(shape.slice(cut))} but got ${shapeString(from)}`,
      );
    }
    return [...shape.slice(0, cut), ...to];
  }
}

function checkDim(op: string, t: Tensor, dim: number, size: number): void {
  if (!(dim >= -t.dim() && dim < t.dim())) {
    throw new Error(`${op}: dim ${dim} out of range for a tensor of shape ${shapeString(t.shape)}`);
  }
  if (t.size(dim) !== size) throw new Error(`${op}: size ${t.size(dim)} along dim ${dim}, expected ${size}`);
}

/** Transforms applied to consecutive slices along `dim`, of the given lengths (default 1 each). */
export class CatTransform extends Transform {
  readonly transforms: Transform[];
  readonly dim: number;
  readonly lengths: number[];

  constructor(tseq: Transform[], dim = 0, lengths?: number[], options?: TransformOptions) {
    super(options);
    const list = checkParts('CatTransform', tseq);
    this.transforms = this._cacheSize ? list.map((t) => t.withCache(this._cacheSize)) : [...list];
    this.lengths = lengths ? [...lengths] : list.map(() => 1);
    if (this.lengths.length !== list.length) {
      throw new Error(`CatTransform: ${this.lengths.length} lengths for ${list.length} transforms`);
    }
    this.dim = dim;
  }
  override get eventDim(): number {
    return Math.max(...this.transforms.map((t) => t.eventDim));
  }
  get length(): number {
    return this.lengths.reduce((a, b) => a + b, 0);
  }
  protected override withCacheSize(cacheSize: 0 | 1): Transform {
    return new CatTransform(this.transforms, this.dim, this.lengths, { cacheSize });
  }
  override get bijective(): boolean {
    return this.transforms.every((t) => t.bijective);
  }
  get domain(): Constraint {
    return cat(
      this.transforms.map((t) => t.domain),
      this.dim,
      this.lengths,
    );
  }
  get codomain(): Constraint {
    return cat(
      this.transforms.map((t) => t.codomain),
      this.dim,
      this.lengths,
    );
  }
  /** Applies `fn` to each slice of each tensor in `ts`, with its transform. */
  private slices<R>(ts: Tensor[], fn: (t: Transform, parts: Tensor[]) => R): R[] {
    let start = 0;
    return this.transforms.map((t, i) => {
      const length = this.lengths[i] as number;
      const parts = ts.map((x) => x.narrow(this.dim, start, length));
      start += length;
      return fn(t, parts);
    });
  }
  protected override _call(x: Tensor): Tensor {
    checkDim('CatTransform', x, this.dim, this.length);
    return catTensors(
      this.slices([x], (t, [p]) => t.call(p as Tensor)),
      this.dim,
    );
  }
  protected override _inverse(y: Tensor): Tensor {
    checkDim('CatTransform.inv', y, this.dim, this.length);
    return catTensors(
      this.slices([y], (t, [p]) => t.inv.call(p as Tensor)),
      this.dim,
    );
  }
  override logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    checkDim('CatTransform.logAbsDetJacobian', x, this.dim, this.length);
    checkDim('CatTransform.logAbsDetJacobian', y, this.dim, this.length);
    const eventDim = this.eventDim;
    const terms = this.slices([x, y], (t, [xs, ys]) => {
      const term = t.logAbsDetJacobian(xs as Tensor, ys as Tensor);
      return t.eventDim < eventDim ? sumRightmost(term, eventDim - t.eventDim) : term;
    });
    const dim = (this.dim >= 0 ? this.dim - x.dim() : this.dim) + eventDim;
    if (dim < 0) return catTensors(terms, dim);
    return terms.reduce((a, b) => a.add(b));
  }
}

/** One transform per index along `dim`. */
export class StackTransform extends Transform {
  readonly transforms: Transform[];
  readonly dim: number;

  constructor(tseq: Transform[], dim = 0, options?: TransformOptions) {
    super(options);
    const list = checkParts('StackTransform', tseq);
    this.transforms = this._cacheSize ? list.map((t) => t.withCache(this._cacheSize)) : [...list];
    this.dim = dim;
  }
  protected override withCacheSize(cacheSize: 0 | 1): Transform {
    return new StackTransform(this.transforms, this.dim, { cacheSize });
  }
  override get bijective(): boolean {
    return this.transforms.every((t) => t.bijective);
  }
  get domain(): Constraint {
    return stack(
      this.transforms.map((t) => t.domain),
      this.dim,
    );
  }
  get codomain(): Constraint {
    return stack(
      this.transforms.map((t) => t.codomain),
      this.dim,
    );
  }
  private each(op: string, ts: Tensor[], fn: (t: Transform, parts: Tensor[]) => Tensor): Tensor {
    for (const t of ts) checkDim(op, t, this.dim, this.transforms.length);
    return stackTensors(
      this.transforms.map((t, i) =>
        fn(
          t,
          ts.map((x) => x.select(this.dim, i)),
        ),
      ),
      this.dim,
    );
  }
  protected override _call(x: Tensor): Tensor {
    return this.each('StackTransform', [x], (t, [p]) => t.call(p as Tensor));
  }
  protected override _inverse(y: Tensor): Tensor {
    return this.each('StackTransform.inv', [y], (t, [p]) => t.inv.call(p as Tensor));
  }
  override logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    return this.each('StackTransform.logAbsDetJacobian', [x, y], (t, [xs, ys]) =>
      t.logAbsDetJacobian(xs as Tensor, ys as Tensor),
    );
  }
}
