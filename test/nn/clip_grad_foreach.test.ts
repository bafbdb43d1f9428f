// nn.utils.clipGradNorm_ / clipGradValue_ with `foreach`, and getTotalNorm / clipGradsWithNorm_,
// against Python torch 2.13 run on the same gradients: the total norm and every clipped gradient,
// bit for bit, for foreach true / false / null, p = 2, 1, 3.5, 0 and inf, one dtype and mixed
// dtypes (grouped by device and dtype as PyTorch groups them); and PyTorch's errors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { Rng } from '../support/data.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const { clipGradNorm_, clipGradValue_, getTotalNorm, clipGradsWithNorm_ } = torch.nn.utils;

interface GradSpec {
  shape: number[];
  dtype: torch.DType;
  values: number[];
}

/** Gradients of assorted shapes and sizes (one has none), values spread over a few decades. */
function specs(dtypes: torch.DType[], seed: number): GradSpec[] {
  const rng = new Rng(seed);
  const shapes = [[3, 4], [7], [2, 3, 2], [1], [5, 5]];
  return shapes.map((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: n }, () => (rng.next() - 0.5) * 10 ** rng.int(-2, 2));
    return { shape, dtype: dtypes[i % dtypes.length], values };
  });
}

function paramsOf(grads: GradSpec[]): torch.Tensor[] {
  const ps = grads.map((g) => torch.zeros(g.shape, { dtype: g.dtype, requiresGrad: true }));
  grads.forEach((g, i) => {
    ps[i].grad = torch.tensor(g.values, { dtype: g.dtype }).reshape(g.shape);
  });
  // A parameter without a gradient is skipped, as in PyTorch.
  ps.push(torch.zeros([2], { requiresGrad: true }));
  return ps;
}

const gradValues = (ps: torch.Tensor[]) => ps.flatMap((p) => (p.grad ? [p.grad.flatten().toArray() as number[]] : []));

interface Case {
  dtypes: torch.DType[];
  normType: number;
  maxNorm: number;
  foreach: boolean | null;
}

const PY_SETUP = `
import torch.nn.utils as U
def params(specs):
    ps = []
    for s in specs:
        p = torch.zeros(s['shape'], dtype=getattr(torch, s['dtype']), requires_grad=True)
        p.grad = torch.tensor(s['values'], dtype=getattr(torch, s['dtype'])).reshape(s['shape'])
        ps.append(p)
    ps.append(torch.zeros(2, requires_grad=True))
    return ps
def grads(ps):
    return [p.grad.flatten().tolist() for p in ps if p.grad is not None]
`;

describe('clipGradNorm_ and friends with foreach, against Python torch', { skip: skipWithoutPython() }, () => {
  const cases: Case[] = [];
  for (const dtypes of [['float32'], ['float64'], ['float32', 'float64', 'float16', 'bfloat16']] as torch.DType[][]) {
    for (const normType of [2, 1, 3.5, 0, Number.POSITIVE_INFINITY]) {
      for (const foreach of [true, false, null]) cases.push({ dtypes, normType, maxNorm: 0.5, foreach });
    }
    cases.push({ dtypes, normType: 2, maxNorm: 1e6, foreach: null }); // under the bound: coef clamps to 1
  }

  test('total norm and clipped gradients equal Python bit for bit', () => {
    const inputs = cases.map((c, i) => ({ ...c, specs: specs(c.dtypes, 100 + i) }));
    const python = runPython<{ norm: number; grads: number[][] }[]>(
      `${PY_SETUP}
OUTPUT = []
for c in INPUT:
    ps = params(c['specs'])
    n = U.clip_grad_norm_(ps, c['maxNorm'], norm_type=c['normType'], foreach=c['foreach'])
    OUTPUT.append({'norm': n.item(), 'grads': grads(ps)})`,
      inputs,
    );
    inputs.forEach((c, i) => {
      const ps = paramsOf(c.specs);
      const norm = clipGradNorm_(ps, c.maxNorm, { normType: c.normType, foreach: c.foreach });
      const label = `${c.dtypes.join('+')} p=${c.normType} foreach=${c.foreach}`;
      if (c.dtypes.length === 1) {
        assert.equal(norm.item(), python[i].norm, `norm, ${label}`);
        assert.deepEqual(gradValues(ps), python[i].grads, `grads, ${label}`);
        return;
      }
      // Mixed dtypes: PyTorch stacks the per-group norms in the order of a C++ hash map, which
      // depends on the insertion history; ours is first appearance. The float64 sum of the
      // stacked norms may then differ in its last bits, and the coefficient with it.
      const close = (a: number, b: number, eps: number, what: string) =>
        assert.ok(a === b || Math.abs(a - b) <= 4 * eps * Math.abs(b), `${what}, ${label}: ${a} vs ${b}`);
      close(norm.item() as number, python[i].norm, 2 ** -52, 'norm');
      gradValues(ps).forEach((g, j) => {
        const eps: Record<string, number> = {
          float64: 2 ** -52,
          float32: 2 ** -23,
          float16: 2 ** -10,
          bfloat16: 2 ** -7,
        };
        g.forEach((x, k) => {
          close(x, python[i].grads[j][k], eps[c.specs[j].dtype], `grad ${j}[${k}]`);
        });
      });
    });
  });

  test('getTotalNorm then clipGradsWithNorm_ is clipGradNorm_, as in Python', () => {
    const s = specs(['float32', 'float64'], 7);
    const python = runPython<{ norm: number; grads: number[][] }>(
      `${PY_SETUP}
ps = params(INPUT)
n = U.get_total_norm([p.grad for p in ps if p.grad is not None], 3.0, foreach=False)
U.clip_grads_with_norm_(ps, 0.25, n, foreach=True)
OUTPUT = {'norm': n.item(), 'grads': grads(ps)}`,
      s,
    );
    const ps = paramsOf(s);
    const n = getTotalNorm(
      ps.flatMap((p) => (p.grad ? [p.grad] : [])),
      { normType: 3, foreach: false },
    );
    clipGradsWithNorm_(ps, 0.25, n, { foreach: true });
    assert.equal(n.item(), python.norm);
    assert.deepEqual(gradValues(ps), python.grads);
  });

  test('clipGradValue_ with foreach true / false / null clamps as Python does', () => {
    const s = specs(['float32', 'float64', 'float16'], 11);
    const python = runPython<number[][][]>(
      `${PY_SETUP}
OUTPUT = []
for foreach in [True, False, None]:
    ps = params(INPUT)
    U.clip_grad_value_(ps, 0.3, foreach=foreach)
    OUTPUT.append(grads(ps))`,
      s,
    );
    [true, false, null].forEach((foreach, i) => {
      const ps = paramsOf(s);
      clipGradValue_(ps, 0.3, { foreach });
      assert.deepEqual(gradValues(ps), python[i], `foreach=${foreach}`);
    });
  });

  test('a non-finite norm: scaled anyway, or an Error with errorIfNonfinite, as in Python', () => {
    const s: GradSpec[] = [
      { shape: [2], dtype: 'float32', values: [1, Number.POSITIVE_INFINITY] },
      { shape: [1], dtype: 'float32', values: [2] },
    ];
    const python = runPython<{ norm: number; grads: number[][]; error: string }>(
      `${PY_SETUP}
ps = params(INPUT)
n = U.clip_grad_norm_(ps, 1.0, foreach=True)
try:
    U.clip_grad_norm_(params(INPUT), 1.0, error_if_nonfinite=True)
    error = ''
except RuntimeError as e:
    error = str(e)
OUTPUT = {'norm': n.item(), 'grads': grads(ps), 'error': error}`,
      s,
    );
    const ps = paramsOf(s);
    assert.equal(clipGradNorm_(ps, 1, { foreach: true }).item(), python.norm);
    assert.deepEqual(gradValues(ps), python.grads);
    assert.match(python.error, /non-finite/);
    const untouched = paramsOf(s);
    assert.throws(
      () => clipGradNorm_(untouched, 1, { errorIfNonfinite: true }),
      /total norm of order 2 .* is non-finite/,
    );
    assert.deepEqual(gradValues(untouched), [[1, Number.POSITIVE_INFINITY], [2]]);
  });
});

describe('foreach errors', () => {
  test("foreach: true on a device without foreach kernels is PyTorch's error; null falls back", () => {
    const p = torch.zeros([3], { device: 'meta', requiresGrad: true });
    p.grad = torch.ones([3], { device: 'meta' });
    for (const [name, call] of [
      ['getTotalNorm', () => getTotalNorm([p.grad as torch.Tensor], { foreach: true })],
      ['clipGradsWithNorm_', () => clipGradsWithNorm_([p], 1, torch.tensor(2), { foreach: true })],
      ['clipGradValue_', () => clipGradValue_([p], 1, { foreach: true })],
    ] as const) {
      assert.throws(call, {
        message: `${name}: foreach=true was passed, but can't use the foreach API on meta tensors`,
      });
    }
    assert.deepEqual(getTotalNorm([p.grad as torch.Tensor], { foreach: null }).shape, []);
    assert.throws(() => clipGradNorm_([p], 1, { foreach: 'yes' as never }), {
      name: 'TypeError',
      message: 'getTotalNorm: foreach must be a boolean or null, got yes',
    });
  });
});
