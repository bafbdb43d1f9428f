// The regions a parameter or a sample must lie in (PyTorch's torch.distributions.constraints).
// `check(value)` gives a boolean tensor over the value's batch dimensions (its rightmost
// `eventDim` dimensions reduced); toString() names the constraint in error messages.
import { cat as catTensors, full, stack as stackTensors } from '../../generated/functions.js';
import { linalgCholeskyEx } from '../../generated/namespaces.js';
import type { Tensor } from '../tensor.js';
import { finfo } from './utils.js';

type Bound = Tensor | number;

function boundString(b: Bound): string {
  if (typeof b === 'number') return String(b);
  return b.numel() === 1 ? String(b.item()) : b.toString();
}

export abstract class Constraint {
  /** Whether the space is discrete. */
  get isDiscrete(): boolean {
    return false;
  }
  /** How many rightmost dimensions make one event. */
  get eventDim(): number {
    return 0;
  }
  abstract check(value: Tensor): Tensor;
  toString(): string {
    return `${this.constructor.name}()`;
  }
}

/** A constraint that depends on other parameters: never checked. */
export class Dependent extends Constraint {
  constructor(
    private readonly discrete?: boolean,
    private readonly dim?: number,
  ) {
    super();
  }
  override get isDiscrete(): boolean {
    if (this.discrete === undefined) throw new Error('Dependent: isDiscrete cannot be determined statically');
    return this.discrete;
  }
  override get eventDim(): number {
    if (this.dim === undefined) throw new Error('Dependent: eventDim cannot be determined statically');
    return this.dim;
  }
  check(_value: Tensor): Tensor {
    throw new Error('Dependent: cannot determine the validity of a dependent constraint');
  }
}

export class IndependentConstraint extends Constraint {
  constructor(
    readonly baseConstraint: Constraint,
    readonly reinterpretedBatchNdims: number,
  ) {
    super();
    if (!Number.isInteger(reinterpretedBatchNdims) || reinterpretedBatchNdims < 0) {
      throw new RangeError(
        `independent: reinterpretedBatchNdims must be an integer >= 0, got ${reinterpretedBatchNdims}`,
      );
    }
  }
  override get isDiscrete(): boolean {
    return this.baseConstraint.isDiscrete;
  }
  override get eventDim(): number {
    return this.baseConstraint.eventDim + this.reinterpretedBatchNdims;
  }
  check(value: Tensor): Tensor {
    const result = this.baseConstraint.check(value);
    if (result.dim() < this.reinterpretedBatchNdims) {
      throw new Error(`independent: expected value.dim() >= ${this.eventDim} but got ${value.dim()}`);
    }
    return result.reshape([...result.shape.slice(0, result.dim() - this.reinterpretedBatchNdims), -1]).all(-1);
  }
  override toString(): string {
    return `IndependentConstraint(${this.baseConstraint}, ${this.reinterpretedBatchNdims})`;
  }
}

export class BooleanConstraint extends Constraint {
  override get isDiscrete(): boolean {
    return true;
  }
  check(value: Tensor): Tensor {
    return value.eq(0).logicalOr(value.eq(1));
  }
  override toString(): string {
    return 'Boolean()';
  }
}

export class OneHot extends Constraint {
  override get isDiscrete(): boolean {
    return true;
  }
  override get eventDim(): number {
    return 1;
  }
  check(value: Tensor): Tensor {
    const isBoolean = value.eq(0).logicalOr(value.eq(1));
    return isBoolean.all(-1).logicalAnd(value.sum(-1).eq(1));
  }
}

export class IntegerInterval extends Constraint {
  constructor(
    readonly lowerBound: Bound,
    readonly upperBound: Bound,
  ) {
    super();
  }
  override get isDiscrete(): boolean {
    return true;
  }
  check(value: Tensor): Tensor {
    return value.remainder(1).eq(0).logicalAnd(value.ge(this.lowerBound)).logicalAnd(value.le(this.upperBound));
  }
  override toString(): string {
    return `IntegerInterval(lowerBound=${boundString(this.lowerBound)}, upperBound=${boundString(this.upperBound)})`;
  }
}

export class IntegerGreaterThan extends Constraint {
  constructor(readonly lowerBound: number) {
    super();
  }
  override get isDiscrete(): boolean {
    return true;
  }
  check(value: Tensor): Tensor {
    return value.remainder(1).eq(0).logicalAnd(value.ge(this.lowerBound));
  }
  override toString(): string {
    return `IntegerGreaterThan(lowerBound=${this.lowerBound})`;
  }
}

export class Real extends Constraint {
  check(value: Tensor): Tensor {
    // NaN is the one value that is not equal to itself.
    return value.eq(value);
  }
}

export class GreaterThan extends Constraint {
  constructor(readonly lowerBound: Bound) {
    super();
  }
  check(value: Tensor): Tensor {
    return value.gt(this.lowerBound);
  }
  override toString(): string {
    return `GreaterThan(lowerBound=${boundString(this.lowerBound)})`;
  }
}

export class GreaterThanEq extends Constraint {
  constructor(readonly lowerBound: Bound) {
    super();
  }
  check(value: Tensor): Tensor {
    return value.ge(this.lowerBound);
  }
  override toString(): string {
    return `GreaterThanEq(lowerBound=${boundString(this.lowerBound)})`;
  }
}

export class LessThan extends Constraint {
  constructor(readonly upperBound: Bound) {
    super();
  }
  check(value: Tensor): Tensor {
    return value.lt(this.upperBound);
  }
  override toString(): string {
    return `LessThan(upperBound=${boundString(this.upperBound)})`;
  }
}

export class Interval extends Constraint {
  constructor(
    readonly lowerBound: Bound,
    readonly upperBound: Bound,
  ) {
    super();
  }
  check(value: Tensor): Tensor {
    return value.ge(this.lowerBound).logicalAnd(value.le(this.upperBound));
  }
  override toString(): string {
    return `Interval(lowerBound=${boundString(this.lowerBound)}, upperBound=${boundString(this.upperBound)})`;
  }
}

/** [lowerBound, upperBound): the upper bound left out (NegativeBinomial's probs). */
export class HalfOpenInterval extends Constraint {
  constructor(
    readonly lowerBound: Bound,
    readonly upperBound: Bound,
  ) {
    super();
  }
  check(value: Tensor): Tensor {
    return value.ge(this.lowerBound).logicalAnd(value.lt(this.upperBound));
  }
  override toString(): string {
    return `HalfOpenInterval(lowerBound=${boundString(this.lowerBound)}, upperBound=${boundString(this.upperBound)})`;
  }
}

/** Constraints applied to consecutive slices along `dim` (PyTorch's constraints.cat). */
export class CatConstraint extends Constraint {
  readonly lengths: number[];
  constructor(
    readonly cseq: Constraint[],
    readonly dim = 0,
    lengths?: number[],
  ) {
    super();
    this.lengths = lengths ?? cseq.map(() => 1);
    if (this.lengths.length !== cseq.length) {
      throw new Error(`cat: ${this.lengths.length} lengths for ${cseq.length} constraints`);
    }
  }
  override get isDiscrete(): boolean {
    return this.cseq.some((c) => c.isDiscrete);
  }
  override get eventDim(): number {
    return Math.max(...this.cseq.map((c) => c.eventDim));
  }
  check(value: Tensor): Tensor {
    let start = 0;
    const checks = this.cseq.map((c, i) => {
      const length = this.lengths[i] as number;
      const part = c.check(value.narrow(this.dim, start, length));
      start += length;
      return part;
    });
    return catTensors(checks, this.dim);
  }
}

/** One constraint per index along `dim` (PyTorch's constraints.stack). */
export class StackConstraint extends Constraint {
  constructor(
    readonly cseq: Constraint[],
    readonly dim = 0,
  ) {
    super();
  }
  override get isDiscrete(): boolean {
    return this.cseq.some((c) => c.isDiscrete);
  }
  override get eventDim(): number {
    const dim = Math.max(...this.cseq.map((c) => c.eventDim));
    return this.dim + dim < 0 ? dim + 1 : dim;
  }
  check(value: Tensor): Tensor {
    const n = value.size(this.dim);
    if (n !== this.cseq.length) {
      throw new Error(`stack: value has ${n} entries along dim ${this.dim}, expected ${this.cseq.length}`);
    }
    return stackTensors(
      this.cseq.map((c, i) => c.check(value.select(this.dim, i))),
      this.dim,
    );
  }
}

export class Simplex extends Constraint {
  override get eventDim(): number {
    return 1;
  }
  check(value: Tensor): Tensor {
    return value.ge(0).all(-1).logicalAnd(value.sum(-1).sub(1).abs().lt(1e-6));
  }
}

export class LowerCholesky extends Constraint {
  override get eventDim(): number {
    return 2;
  }
  check(value: Tensor): Tensor {
    const lowerTriangular = value
      .tril()
      .eq(value)
      .reshape([...value.shape.slice(0, -2), -1])
      .all(-1);
    const positiveDiagonal = value.diagonal({ dim1: -2, dim2: -1 }).gt(0).all(-1);
    return lowerTriangular.logicalAnd(positiveDiagonal);
  }
}

export class PositiveDefinite extends Constraint {
  override get eventDim(): number {
    return 2;
  }
  check(value: Tensor): Tensor {
    const shape = value.shape;
    if (shape[shape.length - 1] !== shape[shape.length - 2]) {
      return full(shape.slice(0, -2), false, { dtype: 'bool', device: value.device });
    }
    const symmetric = value.isclose(value.transpose(-2, -1), { atol: 1e-6 }).all(-1).all(-1);
    if (!symmetric.all().item()) return symmetric;
    return linalgCholeskyEx(value).info.eq(0);
  }
}

/** Lower-triangular matrices with a positive diagonal and rows of unit Euclidean norm. */
export class CorrCholesky extends Constraint {
  override get eventDim(): number {
    return 2;
  }
  check(value: Tensor): Tensor {
    // PyTorch's tolerance: 10 machine epsilons per column.
    const tol = finfo(value.dtype, 'corrCholesky.check').eps * value.size(-1) * 10;
    const unitRowNorm = value.detach().norm(2, -1).sub(1.0).abs().le(tol).all(-1);
    return new LowerCholesky().check(value).logicalAnd(unitRowNorm);
  }
}

/**
 * Non-negative counts whose sum is at most `upperBound` (PyTorch checks this weaker condition,
 * not equality, and so does this).
 */
export class MultinomialConstraint extends Constraint {
  constructor(readonly upperBound: number) {
    super();
  }
  override get isDiscrete(): boolean {
    return true;
  }
  override get eventDim(): number {
    return 1;
  }
  check(value: Tensor): Tensor {
    return value.ge(0).all(-1).logicalAnd(value.sum(-1).le(this.upperBound));
  }
  override toString(): string {
    return `Multinomial(upperBound=${this.upperBound})`;
  }
}

export const dependent = new Dependent();
export const boolean = new BooleanConstraint();
export const oneHot = new OneHot();
export const nonnegativeInteger = new IntegerGreaterThan(0);
export const positiveInteger = new IntegerGreaterThan(1);
export const real = new Real();
export const realVector = new IndependentConstraint(real, 1);
export const positive = new GreaterThan(0);
export const nonnegative = new GreaterThanEq(0);
export const unitInterval = new Interval(0, 1);
export const simplex = new Simplex();
export const lowerCholesky = new LowerCholesky();
export const positiveDefinite = new PositiveDefinite();
export const corrCholesky = new CorrCholesky();

export const independent = (base: Constraint, reinterpretedBatchNdims: number): Constraint =>
  new IndependentConstraint(base, reinterpretedBatchNdims);
export const integerInterval = (lowerBound: Bound, upperBound: Bound): Constraint =>
  new IntegerInterval(lowerBound, upperBound);
export const interval = (lowerBound: Bound, upperBound: Bound): Constraint => new Interval(lowerBound, upperBound);
export const halfOpenInterval = (lowerBound: Bound, upperBound: Bound): Constraint =>
  new HalfOpenInterval(lowerBound, upperBound);
export const greaterThan = (lowerBound: Bound): Constraint => new GreaterThan(lowerBound);
export const cat = (cseq: Constraint[], dim = 0, lengths?: number[]): Constraint =>
  new CatConstraint(cseq, dim, lengths);
export const stack = (cseq: Constraint[], dim = 0): Constraint => new StackConstraint(cseq, dim);
export const greaterThanEq = (lowerBound: Bound): Constraint => new GreaterThanEq(lowerBound);
export const lessThan = (upperBound: Bound): Constraint => new LessThan(upperBound);
export const multinomial = (upperBound: number): Constraint => new MultinomialConstraint(upperBound);

/** Whether the constraint depends on other parameters (and so is not checked). */
export function isDependent(c: Constraint): boolean {
  return c instanceof Dependent;
}
