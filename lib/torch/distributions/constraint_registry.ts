// From unconstrained reals to a constraint's space (PyTorch's constraint_registry): `bijectTo(c)`
// gives a bijective transform (for reparameterising a parameter as an unconstrained one, or for
// changing variables in HMC-like methods), `transformTo(c)` any transform onto c (not
// necessarily bijective, e.g. softmax onto the simplex). Both are keyed by the constraint's class,
// so `positive` and `greaterThan(2)` share one factory, as in PyTorch.
import {
  CatConstraint,
  type Constraint,
  CorrCholesky,
  GreaterThan,
  GreaterThanEq,
  HalfOpenInterval,
  IndependentConstraint,
  Interval,
  LessThan,
  LowerCholesky,
  PositiveDefinite,
  Real,
  Simplex,
  StackConstraint,
} from './constraints.js';
import {
  AffineTransform,
  CatTransform,
  ComposeTransform,
  CorrCholeskyTransform,
  ExpTransform,
  IndependentTransform,
  identityTransform,
  LowerCholeskyTransform,
  PositiveDefiniteTransform,
  SigmoidTransform,
  SoftmaxTransform,
  StackTransform,
  StickBreakingTransform,
  type Transform,
} from './transforms.js';

// biome-ignore lint/suspicious/noExplicitAny: constraint classes of any constructor signature
type ConstraintClass = abstract new (...args: any[]) => Constraint;
export type TransformFactory<C extends Constraint = Constraint> = (constraint: C) => Transform;

export class ConstraintRegistry {
  private readonly factories = new Map<ConstraintClass, TransformFactory>();

  constructor(private readonly label: string) {}

  /** Registers `factory` for the constraint's class (an instance stands for its class). */
  register<C extends Constraint>(constraint: ConstraintClass | C, factory: TransformFactory<C>): TransformFactory<C> {
    let cls: ConstraintClass;
    if (typeof constraint === 'function') cls = constraint;
    else if (constraint && typeof constraint === 'object' && 'check' in constraint) {
      cls = constraint.constructor as ConstraintClass;
    } else {
      throw new TypeError(
        `${this.label}.register: expected constraint to be either a Constraint subclass or instance, but got ${String(constraint)}`,
      );
    }
    if (typeof factory !== 'function') throw new TypeError(`${this.label}.register: factory must be a function`);
    this.factories.set(cls, factory as TransformFactory);
    return factory;
  }

  /** The transform onto `constraint`'s space. */
  call(constraint: Constraint): Transform {
    const factory = constraint ? this.factories.get(constraint.constructor as ConstraintClass) : undefined;
    if (!factory) {
      const what = constraint ? constraint.constructor.name : String(constraint);
      throw new Error(`${this.label}: cannot transform ${what} constraints`);
    }
    return factory(constraint);
  }
}

const bijectRegistry = new ConstraintRegistry('bijectTo');
const transformRegistry = new ConstraintRegistry('transformTo');

/** A bijective transform from the reals onto `constraint` (PyTorch's biject_to). */
export function bijectTo(constraint: Constraint): Transform {
  return bijectRegistry.call(constraint);
}
bijectTo.register = bijectRegistry.register.bind(bijectRegistry);

/** A transform from the reals onto `constraint`, not necessarily bijective (PyTorch's transform_to). */
export function transformTo(constraint: Constraint): Transform {
  return transformRegistry.call(constraint);
}
transformTo.register = transformRegistry.register.bind(transformRegistry);

const both = [bijectRegistry, transformRegistry];

for (const r of both) {
  r.register(Real, () => identityTransform);
  r.register(
    IndependentConstraint,
    (c: IndependentConstraint) => new IndependentTransform(r.call(c.baseConstraint), c.reinterpretedBatchNdims),
  );
  // exp, then shift by the bound (away from it for a lower bound, flipped for an upper one).
  for (const cls of [GreaterThan, GreaterThanEq]) {
    r.register(
      cls,
      (c: GreaterThan | GreaterThanEq) =>
        new ComposeTransform([new ExpTransform(), new AffineTransform(c.lowerBound, 1)]),
    );
  }
  r.register(
    LessThan,
    (c: LessThan) => new ComposeTransform([new ExpTransform(), new AffineTransform(c.upperBound, -1)]),
  );
  const toInterval = (c: Interval | HalfOpenInterval) => {
    if (c.lowerBound === 0 && c.upperBound === 1) return new SigmoidTransform();
    const lo = c.lowerBound;
    const hi = c.upperBound;
    // A tensor scale is handed to the garbage collector (keep): the transform outlives any scope.
    const scale =
      typeof hi === 'number' ? (typeof lo === 'number' ? hi - lo : lo.neg().add(hi).keep()) : hi.sub(lo).keep();
    return new ComposeTransform([new SigmoidTransform(), new AffineTransform(lo, scale)]);
  };
  r.register(Interval, toInterval);
  r.register(HalfOpenInterval, toInterval);
  r.register(
    CatConstraint,
    (c: CatConstraint) =>
      new CatTransform(
        c.cseq.map((x) => r.call(x)),
        c.dim,
        c.lengths,
      ),
  );
  r.register(
    StackConstraint,
    (c: StackConstraint) =>
      new StackTransform(
        c.cseq.map((x) => r.call(x)),
        c.dim,
      ),
  );
}
bijectRegistry.register(Simplex, () => new StickBreakingTransform());
bijectRegistry.register(CorrCholesky, () => new CorrCholeskyTransform());
transformRegistry.register(CorrCholesky, () => new CorrCholeskyTransform());
transformRegistry.register(Simplex, () => new SoftmaxTransform());
transformRegistry.register(LowerCholesky, () => new LowerCholeskyTransform());
transformRegistry.register(PositiveDefinite, () => new PositiveDefiniteTransform());
