// torch.distributions.transforms, biject_to/transform_to and TransformedDistribution against Python
// torch 2.13 (one Python process for the file): forward and inverse maps, log|det J|, shapes,
// event dims, signs, and a TransformedDistribution's samples (bit for bit after the same seed),
// logProb, cdf and icdf; plus the cache semantics and errors, which need no oracle.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { type Out, paritySuite } from '../support/parity_cases.js';

const D = torch.distributions;
const T = D.transforms;
type Tensor = torch.Tensor;
const f32 = (v: number[] | number[][]) => torch.tensor(v, { dtype: 'float32' });
const f64 = (v: number[] | number[][]) => torch.tensor(v, { dtype: 'float64' });

/** call, inv(call), logAbsDetJacobian, event dims, bijective and the shapes of one transform. */
function apply(t: torch.distributions.Transform, x: Tensor, prefix = ''): Out {
  const y = t.call(x);
  return {
    [`${prefix}y`]: y,
    [`${prefix}x`]: t.inv.call(y),
    [`${prefix}ladj`]: t.logAbsDetJacobian(x, y),
    [`${prefix}dom`]: t.domain.eventDim,
    [`${prefix}cod`]: t.codomain.eventDim,
    [`${prefix}bij`]: t.bijective ? 1 : 0,
    [`${prefix}fs`]: t.forwardShape(x.shape).length,
  };
}

const PY_APPLY = `
def apply(t, x, prefix=''):
    y = t(x)
    return {prefix + 'y': y, prefix + 'x': t.inv(y), prefix + 'ladj': t.log_abs_det_jacobian(x, y),
            prefix + 'dom': t.domain.event_dim, prefix + 'cod': t.codomain.event_dim,
            prefix + 'bij': 1 if t.bijective else 0, prefix + 'fs': len(t.forward_shape(x.shape))}
`;

const X = [
  [0.3, -1.2, 2.5],
  [-0.7, 0.05, 1.1],
];

paritySuite(
  'transforms against PyTorch',
  `import torch.distributions as D\nimport torch.distributions.transforms as T\nfrom torch.distributions import constraints as C\ndef f32(v): return torch.tensor(v, dtype=torch.float32)\ndef f64(v): return torch.tensor(v, dtype=torch.float64)\nX = ${JSON.stringify(X)}\n${PY_APPLY}`,
  [
    {
      name: 'elementwise transforms (float32)',
      js: () => ({
        ...apply(new T.ExpTransform(), f32(X), 'exp_'),
        ...apply(new T.SigmoidTransform(), f32(X), 'sig_'),
        ...apply(new T.TanhTransform(), f32(X), 'tanh_'),
        ...apply(new T.SoftplusTransform(), f32(X), 'sp_'),
        ...apply(new T.AffineTransform(f32([1, -2, 0.5]), f32([2, -0.5, 3])), f32(X), 'aff_'),
        ...apply(new T.AffineTransform(0.25, -3), f32(X), 'affn_'),
        ...apply(new T.PowerTransform(f32([2, 0.5, -1.5])), f32(X).abs(), 'pow_'),
        absY: new T.AbsTransform().call(f32(X)),
        absInv: new T.AbsTransform().inv.call(f32([1, 2])),
        affSign: new T.AffineTransform(0, f32([2, -0.5, 3])).sign as Tensor,
        expInvLadj: new T.ExpTransform().inv.logAbsDetJacobian(f32([1, 2]), f32([0, 0.75])),
      }),
      py: `
R = {}
R.update(apply(T.ExpTransform(), f32(X), 'exp_'))
R.update(apply(T.SigmoidTransform(), f32(X), 'sig_'))
R.update(apply(T.TanhTransform(), f32(X), 'tanh_'))
R.update(apply(T.SoftplusTransform(), f32(X), 'sp_'))
R.update(apply(T.AffineTransform(f32([1, -2, 0.5]), f32([2, -0.5, 3])), f32(X), 'aff_'))
R.update(apply(T.AffineTransform(0.25, -3.), f32(X), 'affn_'))
R.update(apply(T.PowerTransform(f32([2, 0.5, -1.5])), f32(X).abs(), 'pow_'))
R.update(absY=T.AbsTransform()(f32(X)), absInv=T.AbsTransform().inv(f32([1, 2])),
         affSign=T.AffineTransform(0, f32([2, -0.5, 3])).sign,
         expInvLadj=T.ExpTransform().inv.log_abs_det_jacobian(f32([1, 2]), f32([0, 0.75])))`,
    },
    {
      name: 'vector and matrix transforms (float64)',
      js: () => {
        const m = f64([
          [0.4, 9],
          [-1.3, -0.2],
        ]);
        const sm = new T.SoftmaxTransform();
        return {
          ...apply(new T.StickBreakingTransform(), f64(X), 'sb_'),
          ...apply(new T.AffineTransform(f64([1, 2, 3]), f64([0.5, -2, 4]), { eventDim: 1 }), f64(X), 'affe_'),
          ...apply(new T.IndependentTransform(new T.SigmoidTransform(), 1), f64(X), 'ind_'),
          ...apply(new T.ReshapeTransform([3], [3, 1]), f64(X), 'rs_'),
          smY: sm.call(f64(X)),
          smX: sm.inv.call(sm.call(f64(X))),
          lcY: new T.LowerCholeskyTransform().call(m),
          lcX: new T.LowerCholeskyTransform().inv.call(new T.LowerCholeskyTransform().call(m)),
          pdY: new T.PositiveDefiniteTransform().call(m),
          pdX: new T.PositiveDefiniteTransform().inv.call(new T.PositiveDefiniteTransform().call(m)),
          sbShape: torch.tensor(new T.StickBreakingTransform().inverseShape([4, 5])),
          rsShape: torch.tensor(new T.ReshapeTransform([2, 3], [6]).forwardShape([7, 2, 3])),
        };
      },
      py: `
m = f64([[0.4, 9], [-1.3, -0.2]])
R = {}
R.update(apply(T.StickBreakingTransform(), f64(X), 'sb_'))
R.update(apply(T.AffineTransform(f64([1, 2, 3]), f64([0.5, -2, 4]), event_dim=1), f64(X), 'affe_'))
R.update(apply(T.IndependentTransform(T.SigmoidTransform(), 1), f64(X), 'ind_'))
R.update(apply(T.ReshapeTransform((3,), (3, 1)), f64(X), 'rs_'))
sm = T.SoftmaxTransform()
R.update(smY=sm(f64(X)), smX=sm.inv(sm(f64(X))), lcY=T.LowerCholeskyTransform()(m),
         lcX=T.LowerCholeskyTransform().inv(T.LowerCholeskyTransform()(m)),
         pdY=T.PositiveDefiniteTransform()(m), pdX=T.PositiveDefiniteTransform().inv(T.PositiveDefiniteTransform()(m)),
         sbShape=torch.tensor(T.StickBreakingTransform().inverse_shape((4, 5))),
         rsShape=torch.tensor(T.ReshapeTransform((2, 3), (6,)).forward_shape((7, 2, 3))))`,
      approx: ['pdX'],
    },
    {
      name: 'ComposeTransform: event-dim bookkeeping and log|det J| sums',
      js: () => {
        const c = new T.ComposeTransform([
          new T.AffineTransform(0.5, 2),
          new T.StickBreakingTransform(),
          new T.AffineTransform(f64([1, 2, 3, 4]), 3),
        ]);
        const c2 = new T.ComposeTransform([new T.ExpTransform(), new T.AffineTransform(1, -2)]);
        return {
          ...apply(c, f64(X), 'c_'),
          ...apply(c2, f64(X), 'c2_'),
          c2sign: c2.sign as number,
          ...apply(c.inv, c.call(f64(X)), 'ci_'),
          id: T.identityTransform.call(f64([1, 2])),
        };
      },
      py: `
c = T.ComposeTransform([T.AffineTransform(0.5, 2.), T.StickBreakingTransform(), T.AffineTransform(f64([1, 2, 3, 4]), 3.)])
c2 = T.ComposeTransform([T.ExpTransform(), T.AffineTransform(1., -2.)])
R = {}
R.update(apply(c, f64(X), 'c_'))
R.update(apply(c2, f64(X), 'c2_'))
R['c2sign'] = c2.sign
R.update(apply(c.inv, c(f64(X)), 'ci_'))
R['id'] = T.identity_transform(f64([1, 2]))`,
    },
    {
      name: 'CatTransform and StackTransform, and bijectTo of cat/stack constraints',
      js: () => {
        const x = f64([
          [0.3, -1.2, 2.5, 0.4],
          [-0.7, 0.05, 1.1, -2],
        ]);
        const C = D.constraints;
        const ct = new T.CatTransform(
          [new T.ExpTransform(), new T.AffineTransform(1, 3), new T.SigmoidTransform()],
          1,
          [1, 2, 1],
        );
        const st = new T.StackTransform([new T.ExpTransform(), new T.TanhTransform()], 0);
        return {
          ...apply(ct, x, 'cat_'),
          ...apply(st, x, 'st_'),
          bc: D.bijectTo(C.cat([C.positive, C.real, C.unitInterval], 1, [1, 2, 1])).call(x),
          bs: D.bijectTo(C.stack([C.positive, C.interval(-1, 1)], 0)).call(x),
          chk: C.cat([C.positive, C.real], 1, [2, 2]).check(x),
        };
      },
      py: `
x = f64([[0.3, -1.2, 2.5, 0.4], [-0.7, 0.05, 1.1, -2]])
ct = T.CatTransform([T.ExpTransform(), T.AffineTransform(1., 3.), T.SigmoidTransform()], 1, [1, 2, 1])
st = T.StackTransform([T.ExpTransform(), T.TanhTransform()], 0)
R = {}
R.update(apply(ct, x, 'cat_'))
R.update(apply(st, x, 'st_'))
R.update(bc=D.biject_to(C.cat([C.positive, C.real, C.unit_interval], 1, [1, 2, 1]))(x),
         bs=D.biject_to(C.stack([C.positive, C.interval(-1., 1.)], 0))(x),
         chk=C.cat([C.positive, C.real], 1, [2, 2]).check(x))`,
    },
    {
      name: 'bijectTo and transformTo',
      js: () => {
        const x = f32([-2, 0.3, 1.7]);
        const b = (c: torch.distributions.constraints.Constraint) => D.bijectTo(c).call(x);
        const C = D.constraints;
        return {
          real: b(C.real),
          pos: b(C.positive),
          nonneg: b(C.nonnegative),
          gt: b(C.greaterThan(2)),
          gte: b(C.greaterThanEq(-1)),
          lt: b(C.lessThan(3)),
          unit: b(C.unitInterval),
          iv: b(C.interval(-1, 3)),
          simplex: b(C.simplex),
          tsimplex: D.transformTo(C.simplex).call(x),
          ind: D.bijectTo(C.independent(C.positive, 1)).call(x),
          indDim: D.bijectTo(C.independent(C.positive, 1)).domain.eventDim,
          lchol: D.transformTo(C.lowerCholesky).call(
            f32([
              [1, 2],
              [3, 4],
            ]),
          ),
        };
      },
      py: `
x = f32([-2, 0.3, 1.7])
b = lambda c: D.biject_to(c)(x)
R = dict(real=b(C.real), pos=b(C.positive), nonneg=b(C.nonnegative), gt=b(C.greater_than(2.)),
         gte=b(C.greater_than_eq(-1.)), lt=b(C.less_than(3.)), unit=b(C.unit_interval), iv=b(C.interval(-1., 3.)),
         simplex=b(C.simplex), tsimplex=D.transform_to(C.simplex)(x), ind=D.biject_to(C.independent(C.positive, 1))(x),
         indDim=D.biject_to(C.independent(C.positive, 1)).domain.event_dim,
         lchol=D.transform_to(C.lower_cholesky)(f32([[1, 2], [3, 4]])))`,
    },
    {
      name: 'TransformedDistribution: Normal through affine and exp',
      js: () => {
        const base = new D.Normal(f32([0.5, -1]), f32([1, 0.3]));
        const d = new D.TransformedDistribution(base, [new T.AffineTransform(1, f32([2, -0.5])), new T.ExpTransform()]);
        const v = f32([0.7, 2.5]);
        torch.manualSeed(21);
        const s = d.sample([3]);
        torch.manualSeed(22);
        const r = d.rsample([2]);
        return {
          s,
          r,
          lp: d.logProb(v),
          cdf: d.cdf(v),
          icdf: d.icdf(f32([0.2, 0.9])),
          batch: d.batchShape.length,
          event: d.eventShape.length,
          ex: d.expand([4, 2]).logProb(v),
        };
      },
      py: `
base = D.Normal(f32([0.5, -1]), f32([1, 0.3]))
d = D.TransformedDistribution(base, [T.AffineTransform(1., f32([2, -0.5])), T.ExpTransform()])
v = f32([0.7, 2.5])
torch.manual_seed(21); s = d.sample((3,))
torch.manual_seed(22); r = d.rsample((2,))
R = dict(s=s, r=r, lp=d.log_prob(v), cdf=d.cdf(v), icdf=d.icdf(f32([0.2, 0.9])), batch=len(d.batch_shape),
         event=len(d.event_shape), ex=d.expand((4, 2)).log_prob(v))`,
    },
    {
      name: 'TransformedDistribution: batch dims reinterpreted by StickBreaking, float64 gradients',
      js: () => {
        const loc = torch.tensor([0.2, -0.4, 1], { dtype: 'float64', requiresGrad: true });
        const scale = torch.tensor([1, 0.5, 2], { dtype: 'float64', requiresGrad: true });
        const d = new D.TransformedDistribution(new D.Normal(loc, scale), new T.StickBreakingTransform());
        const v = f64([0.1, 0.2, 0.3, 0.4]);
        torch.manualSeed(23);
        const r = d.rsample([2]);
        r.pow(2).sum().add(d.logProb(v)).backward();
        return {
          r,
          lp: d.logProb(v),
          batch: d.batchShape.length,
          event: d.eventShape[0] as number,
          gloc: loc.grad as Tensor,
          gscale: scale.grad as Tensor,
        };
      },
      py: `
loc = torch.tensor([0.2, -0.4, 1], dtype=torch.float64, requires_grad=True)
scale = torch.tensor([1, 0.5, 2], dtype=torch.float64, requires_grad=True)
d = D.TransformedDistribution(D.Normal(loc, scale), T.StickBreakingTransform())
v = f64([0.1, 0.2, 0.3, 0.4])
torch.manual_seed(23); r = d.rsample((2,))
(r.pow(2).sum() + d.log_prob(v)).backward()
R = dict(r=r, lp=d.log_prob(v), batch=len(d.batch_shape), event=d.event_shape[0], gloc=loc.grad, gscale=scale.grad)`,
      approx: ['gloc', 'gscale'],
    },
  ],
);

describe('transform semantics', () => {
  test('cacheSize 1 returns the very tensor it was given back; cacheSize 0 recomputes', () => {
    torch.scope(() => {
      const x = f32([0.5, 2]);
      const cached = new T.ExpTransform({ cacheSize: 1 });
      const y = cached.call(x);
      assert.equal(cached.inv.call(y), x);
      assert.equal(cached.call(x), y);
      const plain = new T.ExpTransform();
      assert.notEqual(plain.inv.call(plain.call(x)), x);
      assert.equal(plain.withCache(1).cacheSize, 1);
      assert.equal(plain.withCache(0), plain);
      // A disposed cached pair is a miss, never a disposed result.
      y.dispose();
      const y2 = cached.call(x);
      assert.equal(y2.isDisposed, false);
      assert.deepEqual(y2.toArray(), [Math.fround(Math.exp(0.5)), Math.fround(Math.exp(2))]);
    });
  });

  test('inverse of inverse, equality, eventDim', () => {
    const e = new T.ExpTransform();
    assert.equal(e.inv.inv, e);
    assert.ok(e.inv.equals(new T.ExpTransform().inv));
    assert.ok(!e.equals(new T.SigmoidTransform()));
    const c = new T.ComposeTransform([e, new T.StickBreakingTransform()]);
    assert.equal(c.inv.inv, c);
    assert.equal(c.domain.eventDim, 1);
    assert.throws(
      () => new T.StickBreakingTransform().forwardShape([]),
      /StickBreakingTransform.forwardShape: too few/,
    );
  });

  test('errors name the transform and the fault', () => {
    assert.throws(() => new T.ExpTransform({ cacheSize: 2 }), /^Error: ExpTransform: cacheSize must be 0 or 1, got 2$/);
    assert.throws(
      () => new T.ExpTransform().call([1, 2] as unknown as Tensor),
      /^TypeError: ExpTransform.call: expected a Tensor, got an array$/,
    );
    assert.throws(
      () => new T.ReshapeTransform([2, 3], [5]),
      /ReshapeTransform: inShape \[2, 3\] and outShape \[5\] have different numbers of elements/,
    );
    assert.throws(() => new T.AbsTransform().sign, /AbsTransform.sign is not implemented/);
    assert.throws(
      () => D.bijectTo(D.constraints.lowerCholesky),
      /^Error: bijectTo: cannot transform LowerCholesky constraints$/,
    );
    assert.throws(
      () => new D.TransformedDistribution(new D.Normal(0, 1), new T.StickBreakingTransform()),
      /TransformedDistribution: baseDistribution needs to have shape with size at least 1, but got \[\]/,
    );
  });
});
