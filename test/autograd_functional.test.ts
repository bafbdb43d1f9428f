// torch.autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) against Python torch's in
// float64 on the same functions and inputs: values, the structure of the results (a Tensor, an
// array, or [output][input] arrays where PyTorch returns tuples of tuples), createGraph (the
// results differentiated again), strict mode's errors, and that nothing but the results is left.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../lib/index.js';
import { runPython, skipWithoutPython } from './support/python.js';

type Tensor = torch.Tensor;
type Nested = number | Nested[];
const F = torch.autograd.functional;
const f64 = (data: Nested, requiresGrad = false): Tensor =>
  torch.tensor(data as number[], { dtype: 'float64', requiresGrad });

// Results as plain values: a Tensor becomes {shape, data}, arrays stay arrays.
type Plain = { shape: number[]; data: Nested } | Plain[];
function plain(v: unknown): Plain {
  if (Array.isArray(v)) return v.map(plain);
  assert.ok(v instanceof torch.Tensor, `expected a Tensor, got ${String(v)}`);
  return { shape: v.shape, data: v.toArray() as Nested };
}

function same(actual: unknown, expected: unknown, what: string, tol = 0): void {
  if (typeof expected === 'number') {
    assert.equal(typeof actual, 'number', what);
    const a = actual as number;
    if (tol === 0) assert.equal(a, expected, what);
    else assert.ok(Math.abs(a - expected) <= tol * (1 + Math.abs(expected)), `${what}: ${a} vs ${expected}`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${what}: expected an array`);
    assert.equal((actual as unknown[]).length, expected.length, `${what}: length`);
    expected.forEach((e, i) => {
      same((actual as unknown[])[i], e, `${what}[${i}]`, tol);
    });
    return;
  }
  assert.ok(expected !== null && typeof expected === 'object');
  const e = expected as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  for (const k of Object.keys(e)) same(a[k], e[k], `${what}.${k}`, tol);
}

// The same functions in TypeScript and in Python.
const X = [
  [0.3, -1.2],
  [2.1, 0.7],
];
const U = [0.5, -0.25, 1.5];
const W = [1.1, 0.4, -0.9];
const M = [
  [0.2, -0.5, 1.0],
  [1.3, 0.6, -0.8],
];
const fns = {
  // one input, one output
  a: (x: Tensor) => x.sin().mul(x),
  // two inputs, one output
  b: (x: Tensor, y: Tensor) => x.mul(y).add(x.exp()),
  // one input, two outputs
  c: (x: Tensor) => [x.exp(), x.sum().mul(x.pow(2)).sum()],
  // two inputs, two outputs
  d: (m: Tensor, y: Tensor) => [m.matmul(y), y.tanh()],
  // scalar functions
  s: (x: Tensor) => x.pow(3).mul(x.sin()).sum(),
  t: (x: Tensor, y: Tensor) => x.pow(2).mul(y.exp()).sum().add(y.pow(3).sum()),
};
const PY_FNS = `
from torch.autograd.functional import jacobian, hessian, vjp, jvp, hvp, vhp
d64 = lambda v, rg=False: torch.tensor(v, dtype=torch.float64, requires_grad=rg)
fa = lambda x: x.sin() * x
fb = lambda x, y: x * y + x.exp()
fc = lambda x: (x.exp(), (x.sum() * x.pow(2)).sum())
fd = lambda m, y: (m @ y, y.tanh())
fs = lambda x: (x.pow(3) * x.sin()).sum()
ft = lambda x, y: (x.pow(2) * y.exp()).sum() + y.pow(3).sum()
X, U, W, M = (d64(v) for v in (INPUT['X'], INPUT['U'], INPUT['W'], INPUT['M']))
`;

// biome-ignore lint/suspicious/noExplicitAny: results of any structure, from Python
let py: Record<string, any> = {};
const skip = skipWithoutPython();

describe('autograd.functional', () => {
  before(() => {
    if (skip) return;
    py = runPython(
      `${PY_FNS}
def enc(v):
    if isinstance(v, torch.Tensor): return {'shape': list(v.shape), 'data': v.detach().tolist()}
    return [enc(e) for e in v]
out = {}
out['jac_a'] = jacobian(fa, X)
out['jac_b'] = jacobian(fb, (U, W))
out['jac_c'] = jacobian(fc, U)
out['jac_d'] = jacobian(fd, (M, U))
out['hess_s'] = hessian(fs, U)
out['hess_t'] = hessian(ft, (U, W))
out['vjp_a'] = vjp(fa, X, X.cos())
out['vjp_d'] = vjp(fd, (M, U), (W[:2], W))
out['vjp_s'] = vjp(fs, U)
out['jvp_a'] = jvp(fa, X, X.cos())
out['jvp_b'] = jvp(fb, (U, W), (W, U))
out['jvp_c'] = jvp(fc, U, W)
out['hvp_s'] = hvp(fs, U, W)
out['hvp_t'] = hvp(ft, (U, W), (W, U))
out['vhp_s'] = vhp(fs, U, W)
out['vhp_t'] = vhp(ft, (U, W), (W, U))
# createGraph: the results differentiated again
x = U.clone().requires_grad_()
J = jacobian(fa, x, create_graph=True)
out['jac_cg_grad'] = torch.autograd.grad(J.pow(2).sum(), x)[0]
x = U.clone().requires_grad_()
_, h = hvp(fs, x, W, create_graph=True)
out['hvp_cg_grad'] = torch.autograd.grad(h.sum(), x)[0]
x = U.clone().requires_grad_()
_, v = vjp(fa, x, W, create_graph=True)
out['vjp_cg_grad'] = torch.autograd.grad(v.pow(2).sum(), x)[0]
H = hessian(fs, U.clone().requires_grad_(), create_graph=True)
out['hess_cg_rg'] = H.requires_grad
errs = []
for f in (lambda: jacobian(lambda x, y: x.sin(), (U, W), strict=True),
          lambda: vjp(lambda x: x.detach(), U, U, strict=True),
          lambda: hessian(lambda x: x.sum(), U, strict=True),
          lambda: jvp(fa, U, W, strict=True)):
    try:
        f(); errs.append('no error')
    except RuntimeError as e:
        errs.append(str(e))
out['strict_errors'] = errs
out['unused'] = jacobian(lambda x, y: x.sin(), (U, W))
out['vjp_unused'] = vjp(lambda x, y: x.sin(), (U, W), U)
out['hvp_unused'] = hvp(lambda x, y: x.pow(3).sum(), (U, W), (U, W))
out['no_history'] = [vjp(fa, U.clone().requires_grad_(), W)[0].requires_grad, hvp(fs, U.clone().requires_grad_(), W)[1].requires_grad]
OUTPUT = {k: (v if k in ('strict_errors', 'hess_cg_rg', 'no_history') else enc(v)) for k, v in out.items()}
`,
      { X, U, W, M },
    );
  });

  test('jacobian: the four structures', { skip }, () => {
    const x = f64(X);
    const [u, w, m] = [f64(U), f64(W), f64(M)];
    const ja = F.jacobian(fns.a, x);
    assert.ok(ja instanceof torch.Tensor);
    assert.deepEqual(ja.shape, [2, 2, 2, 2]);
    same(plain(ja), py.jac_a, 'jac_a');
    const jb = F.jacobian(fns.b, [u, w]);
    assert.ok(Array.isArray(jb) && jb.length === 2 && jb[0] instanceof torch.Tensor);
    same(plain(jb), py.jac_b, 'jac_b');
    const jc = F.jacobian(fns.c, u);
    assert.ok(Array.isArray(jc) && jc.length === 2 && jc[1] instanceof torch.Tensor);
    same(plain(jc), py.jac_c, 'jac_c');
    const jd = F.jacobian(fns.d, [m, u]);
    assert.ok(Array.isArray(jd) && Array.isArray(jd[0]) && jd[0].length === 2);
    assert.deepEqual(((jd[0] as Tensor[])[0] as Tensor).shape, [2, 2, 3]);
    same(plain(jd), py.jac_d, 'jac_d');
    // The results have no history, and the inputs are left as they were.
    assert.equal(ja.requiresGrad, false);
    assert.equal(x.requiresGrad, false);
  });

  test('hessian: one input and an array of inputs ([i][j])', { skip }, () => {
    const hs = F.hessian(fns.s, f64(U));
    assert.deepEqual(hs.shape, [3, 3]);
    same(plain(hs), py.hess_s, 'hess_s');
    const ht = F.hessian(fns.t, [f64(U), f64(W)]);
    assert.equal(ht.length, 2);
    assert.equal(ht[0]?.length, 2);
    same(plain(ht), py.hess_t, 'hess_t');
  });

  test('vjp and jvp return [output, product] shaped as PyTorch', { skip }, () => {
    const x = f64(X);
    const [u, w, m] = [f64(U), f64(W), f64(M)];
    same(plain(F.vjp(fns.a, x, x.cos())), py.vjp_a, 'vjp_a');
    same(plain(F.vjp(fns.d, [m, u], [w.narrow(0, 0, 2), w])), py.vjp_d, 'vjp_d');
    // v left out for a function of one element, with or without options in its place.
    same(plain(F.vjp(fns.s, u)), py.vjp_s, 'vjp_s');
    same(plain(F.vjp(fns.s, u, { strict: true })), py.vjp_s, 'vjp_s with options');
    same(plain(F.jvp(fns.a, x, x.cos())), py.jvp_a, 'jvp_a');
    same(plain(F.jvp(fns.b, [u, w], [w, u])), py.jvp_b, 'jvp_b');
    same(plain(F.jvp(fns.c, u, w)), py.jvp_c, 'jvp_c');
  });

  test('hvp and vhp', { skip }, () => {
    const [u, w] = [f64(U), f64(W)];
    same(plain(F.hvp(fns.s, u, w)), py.hvp_s, 'hvp_s');
    same(plain(F.hvp(fns.t, [u, w], [w, u])), py.hvp_t, 'hvp_t');
    same(plain(F.vhp(fns.s, u, w)), py.vhp_s, 'vhp_s');
    same(plain(F.vhp(fns.t, [u, w], [w, u])), py.vhp_t, 'vhp_t');
  });

  test('createGraph: the results can be differentiated again', { skip }, () => {
    const w = f64(W);
    let x = f64(U, true);
    const J = F.jacobian(fns.a, x, { createGraph: true });
    assert.equal(J.requiresGrad, true);
    same(plain(torch.autograd.grad(J.pow(2).sum(), x)[0]), py.jac_cg_grad, 'jacobian', 1e-15);
    x = f64(U, true);
    const [, h] = F.hvp(fns.s, x, w, { createGraph: true });
    same(plain(torch.autograd.grad(h.sum(), x)[0]), py.hvp_cg_grad, 'hvp', 1e-15);
    x = f64(U, true);
    const [, v] = F.vjp(fns.a, x, w, { createGraph: true });
    same(plain(torch.autograd.grad(v.pow(2).sum(), x)[0]), py.vjp_cg_grad, 'vjp', 1e-15);
    assert.equal(F.hessian(fns.s, f64(U, true), { createGraph: true }).requiresGrad, py.hess_cg_rg);
  });

  test("strict mode gives PyTorch's errors; without it, zeros for an unused input", { skip }, () => {
    const [u, w] = [f64(U), f64(W)];
    const calls = [
      () => F.jacobian((x: Tensor, _y: Tensor) => x.sin(), [u, w], { strict: true }),
      () => F.vjp((x: Tensor) => x.detach(), u, u, { strict: true }),
      () => F.hessian((x: Tensor) => x.sum(), u, { strict: true }),
      () => F.jvp(fns.a, u, w, { strict: true }),
    ];
    const names = ['jacobian', 'vjp', 'hessian', 'jvp'];
    calls.forEach((call, i) => {
      const expected = py.strict_errors[i] as string;
      if (expected === 'no error') {
        call();
        return;
      }
      assert.throws(call, (e) => e instanceof Error && e.message === `${names[i]}: ${expected}`, expected);
    });
    same(plain(F.jacobian((x: Tensor, _y: Tensor) => x.sin(), [u, w])), py.unused, 'zeros for the unused input');
    same(plain(F.vjp((x: Tensor, _y: Tensor) => x.sin(), [u, w], u)), py.vjp_unused, 'vjp: zeros for the unused input');
    same(plain(F.hvp((x: Tensor, _y: Tensor) => x.pow(3).sum(), [u, w], [u, w])), py.hvp_unused, 'hvp: zeros');
  });

  test('without createGraph the results have no history, even for inputs that require grad', { skip }, () => {
    const w = f64(W);
    const actual = [F.vjp(fns.a, f64(U, true), w)[0].requiresGrad, F.hvp(fns.s, f64(U, true), w)[1].requiresGrad];
    assert.deepEqual(actual, py.no_history);
    assert.deepEqual(actual, [false, false]);
  });

  test('argument errors', () => {
    const u = f64(U);
    assert.throws(() => F.jacobian(fns.a, u, { vectorize: true }), /vectorize=true is not supported/);
    assert.throws(() => F.jacobian(fns.a, u, { strategy: 'forward-mode' }), /'forward-mode' is only implemented/);
    assert.throws(() => F.vjp(fns.a, u), /v can only be left out/);
    assert.throws(() => F.jvp(fns.a, u, f64([1, 2])), /jvp: v has invalid size: should be \[3\] but got \[2\]/);
    assert.throws(() => F.jvp(fns.b, [u, u], [u]), /jvp: v is an array of invalid length: should be 2 but got 1/);
    assert.throws(() => F.hessian(fns.a, u), /should contain a single element/);
    assert.throws(() => F.hvp(fns.c as never, u, u), /hvp: The function given to hvp should return a single Tensor/);
    assert.throws(() => F.jacobian(fns.a, [u, 3] as never), {
      name: 'TypeError',
      message: /value at index 1 is a number/,
    });
  });

  test('only the results outlive a call', () => {
    const [u, w, m] = [f64(U), f64(W), f64(M)];
    const calls = (): unknown[] => [
      F.jacobian(fns.d, [m, u]),
      F.hessian(fns.t, [u, w]),
      F.vjp(fns.a, u, w),
      F.jvp(fns.c, u, w),
      F.hvp(fns.s, u, w),
      F.vhp(fns.t, [u, w], [w, u]),
      F.jacobian(fns.a, u, { createGraph: true }),
    ];
    const dispose = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(dispose);
      else (v as Tensor).dispose();
    };
    dispose(calls());
    const before = torch.memory().tensors;
    for (let i = 0; i < 5; i++) dispose(calls());
    assert.equal(torch.memory().tensors, before);
    // In a scope, the results go with the scope.
    torch.scope(() => {
      calls();
    });
    assert.equal(torch.memory().tensors, before);
  });
});
