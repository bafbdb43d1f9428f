// Forward-mode AD (torch.autograd.forwardAd): the JVPs of several ops against Python torch's
// forward AD in float64 with the same primals and tangents, against autograd.functional.jvp (the
// double-backward trick), and the level's rules: makeDual only inside a level, one level at a
// time, the level exited however fn ends, unpackDual read as {primal, tangent} and as an array.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../lib/index.js';
import { runPython, skipWithoutPython } from './support/python.js';

type Tensor = torch.Tensor;
type Nested = number | Nested[];
const fwAD = torch.autograd.forwardAd;
const f64 = (data: Nested, requiresGrad = false): Tensor =>
  torch.tensor(data as number[], { dtype: 'float64', requiresGrad });

const X = [
  [0.3, -1.2, 0.8],
  [2.1, 0.7, -0.4],
];
const TX = [
  [1.0, 0.5, -2.0],
  [0.25, -1.5, 3.0],
];
const Y = [
  [1.4, 0.2, -0.6],
  [-0.9, 1.1, 0.35],
];
const TY = [
  [-0.3, 0.8, 1.2],
  [0.6, -0.7, 0.1],
];
const Z = [
  [0.5, -1.0],
  [1.5, 0.25],
  [-0.75, 2.0],
];
const TZ = [
  [0.1, 0.2],
  [-0.3, 0.4],
  [0.5, -0.6],
];

// Ops of (x [2,3], y [2,3], z [3,2]), in TypeScript and Python.
const OPS: [string, (x: Tensor, y: Tensor, z: Tensor) => Tensor, string][] = [
  ['sin', (x) => x.sin(), 'x.sin()'],
  ['exp * y', (x, y) => x.exp().mul(y), 'x.exp() * y'],
  ['matmul', (x, _y, z) => x.matmul(z), 'x @ z'],
  ['div', (x, y) => x.div(y.pow(2).add(1)), 'x / (y.pow(2) + 1)'],
  ['softmax', (x) => x.softmax(1), 'x.softmax(1)'],
  ['logsumexp', (x) => x.logsumexp(1), 'x.logsumexp(1)'],
  ['tanh sum', (x) => x.tanh().sum(0), 'x.tanh().sum(0)'],
  ['cumsum', (x, y) => x.mul(y).cumsum(1), '(x * y).cumsum(1)'],
  ['sigmoid atan2', (x, y) => x.sigmoid().atan2(y), 'x.sigmoid().atan2(y)'],
  ['transpose view', (x, _y, z) => x.t().mul(z), 'x.t() * z'],
  ['relu', (x, y) => x.sub(y).relu(), '(x - y).relu()'],
];

function jvpsHere(): { primal: Nested; tangent: Nested | null }[] {
  return OPS.map(([, f]) =>
    torch.scope(() =>
      fwAD.dualLevel(() => {
        const x = fwAD.makeDual(f64(X), f64(TX));
        const y = fwAD.makeDual(f64(Y), f64(TY));
        const z = fwAD.makeDual(f64(Z), f64(TZ));
        const { primal, tangent } = fwAD.unpackDual(f(x, y, z));
        return { primal: primal.toArray() as Nested, tangent: tangent === null ? null : (tangent.toArray() as Nested) };
      }),
    ),
  );
}

function close(actual: unknown, expected: unknown, what: string, tol: number): void {
  if (typeof expected === 'number') {
    const a = actual as number;
    assert.ok(
      tol === 0 ? a === expected : Math.abs(a - expected) <= tol * (1 + Math.abs(expected)),
      `${what}: ${a} vs ${expected}`,
    );
    return;
  }
  assert.ok(Array.isArray(actual) && Array.isArray(expected), what);
  assert.equal(actual.length, expected.length, what);
  expected.forEach((e, i) => {
    close(actual[i], e, `${what}[${i}]`, tol);
  });
}

describe('forward-mode AD', () => {
  test("JVPs of ops match Python's forward AD", { skip: skipWithoutPython() }, () => {
    const expected = runPython<{ primal: Nested; tangent: Nested }[]>(
      `
import torch.autograd.forward_ad as fwAD
d = lambda v: torch.tensor(v, dtype=torch.float64)
out = []
for src in INPUT['ops']:
    f = eval('lambda x, y, z: ' + src)
    with fwAD.dual_level():
        x = fwAD.make_dual(d(INPUT['X']), d(INPUT['TX']))
        y = fwAD.make_dual(d(INPUT['Y']), d(INPUT['TY']))
        z = fwAD.make_dual(d(INPUT['Z']), d(INPUT['TZ']))
        p, t = fwAD.unpack_dual(f(x, y, z))
        out.append({'primal': p.tolist(), 'tangent': t.tolist()})
OUTPUT = out
`,
      { ops: OPS.map((o) => o[2]), X, TX, Y, TY, Z, TZ },
    );
    const actual = jvpsHere();
    OPS.forEach(([name], i) => {
      const e = expected[i] as { primal: Nested; tangent: Nested };
      const a = actual[i] as { primal: Nested; tangent: Nested | null };
      assert.notEqual(a.tangent, null, `${name}: a tangent`);
      // The same kernels: primals equal to the bit. Tangents within 1e-15: Python's div tangent
      // differs from libtorch's formula (evaluated here) in the last bit.
      close(a.primal, e.primal, `${name} primal`, 0);
      close(a.tangent, e.tangent, `${name} tangent`, name === 'div' ? 1e-15 : 0);
    });
  });

  test('JVPs agree with autograd.functional.jvp (double-backward trick)', () => {
    const actual = jvpsHere();
    OPS.forEach(([name, f], i) => {
      const viaBackward = torch.scope(() => {
        const [, jv] = torch.autograd.functional.jvp(
          (x: Tensor, y: Tensor, z: Tensor) => f(x, y, z),
          [f64(X), f64(Y), f64(Z)],
          [f64(TX), f64(TY), f64(TZ)],
        );
        return jv.toArray() as Nested;
      });
      close(actual[i]?.tangent, viaBackward, name, 1e-13);
    });
  });

  test('unpackDual reads as {primal, tangent} and as [primal, tangent]; no tangent is null', () => {
    fwAD.dualLevel(() => {
      const d = fwAD.makeDual(f64([1, 2]), f64([3, 4]));
      const u = fwAD.unpackDual(d);
      const [p, t] = u;
      assert.equal(p, u.primal);
      assert.equal(t, u.tangent);
      assert.deepEqual(Object.keys(u), ['0', '1']);
      assert.deepEqual(t?.toArray(), [3, 4]);
      assert.deepEqual(p.toArray(), [1, 2]);
      assert.equal(fwAD.unpackDual(p).tangent, null, 'the primal is a view without the tangent');
      assert.equal(fwAD.unpackDual(f64([5])).tangent, null);
      // A tangent flows through integer-free ops only where a formula exists; constants have none.
      assert.deepEqual(fwAD.unpackDual(d.mul(f64([2, 2]))).tangent?.toArray(), [6, 8]);
    });
    // Outside any level: the tensor itself and null.
    const x = f64([1]);
    const u = fwAD.unpackDual(x);
    assert.equal(u.primal, x);
    assert.equal(u.tangent, null);
  });

  test('levels: one at a time, exited however fn ends, tangents dropped on exit', () => {
    let kept: Tensor | undefined;
    fwAD.dualLevel(() => {
      kept = torch.keep(fwAD.makeDual(f64([1, 2]), f64([1, 1])).mul(3));
      assert.throws(() => fwAD.dualLevel(() => 0), /Nested forward mode AD is not supported/);
    });
    fwAD.dualLevel(() => {
      // A new level: the tangent of the old one is gone.
      assert.equal(fwAD.unpackDual(kept as Tensor).tangent, null);
    });
    const boom = new Error('boom');
    assert.throws(
      () =>
        fwAD.dualLevel(() => {
          throw boom;
        }),
      (e) => e === boom,
    );
    // The level was exited: a new one opens.
    assert.equal(
      fwAD.dualLevel(() => 7),
      7,
    );
    assert.throws(() => fwAD.dualLevel(async () => 1), {
      name: 'TypeError',
      message: /dualLevel: fn must be synchronous/,
    });
    // Explicit enter and exit.
    const level = fwAD.enterDualLevel();
    assert.equal(level, 0);
    fwAD.exitDualLevel({ level });
    assert.throws(() => fwAD.exitDualLevel(), /no forward AD level is active/);
  });

  test('makeDual errors', () => {
    assert.throws(
      () => fwAD.makeDual(f64([1]), f64([1])),
      /makeDual: trying to create a dual Tensor for forward AD but no level exists/,
    );
    fwAD.dualLevel(() => {
      assert.throws(() => fwAD.makeDual(torch.tensor([1, 2]), f64([1, 1])), {
        name: 'TypeError',
        message: 'makeDual: expected primal to be floating point or complex, but got: int64',
      });
      assert.throws(() => fwAD.makeDual(f64([1, 2]), torch.tensor([1, 1])), /expected tangent to be floating point/);
      assert.throws(() => fwAD.makeDual(f64([1, 2]), f64([1, 1, 1])), /makeDual: .*(size|shape)/i);
    });
  });

  test('makeDual is differentiable by backward AD; the tangent flows through a custom loop without leaks', () => {
    const x = f64([1, 2], true);
    fwAD.dualLevel(() => {
      const d = fwAD.makeDual(x, f64([1, 0]));
      d.pow(2).sum().backward();
    });
    assert.deepEqual(x.grad?.toArray(), [2, 4]);
    const step = (): void =>
      torch.scope(() => {
        fwAD.dualLevel(() => {
          const d = fwAD.makeDual(f64(X), f64(TX));
          fwAD.unpackDual(d.sin().exp().sum());
        });
      });
    step();
    const before = torch.memory().tensors;
    for (let i = 0; i < 20; i++) step();
    assert.equal(torch.memory().tensors, before);
  });
});
