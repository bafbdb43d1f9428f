// torch._foreachClampMin_ (a scalar, or a list of tensors) and torch._foreachRsqrt_, the in-place
// list ops of PyTorch's Adafactor foreach path: values against Python torch's (float32 and float64,
// with zeros, negatives, infinities and NaN), the tensors updated in place (the same objects and
// storage, nothing returned), and the errors for lists that do not match.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../lib/index.js';
import { runPython, skipWithoutPython } from './support/python.js';

type Tensor = torch.Tensor;
type Json = number | string;

const DATA: Json[][] = [
  [4, 0.25, 2, 1e-30, 0],
  [-1, 0, '-0', 9, 'inf', 'nan'],
  [0.5, -3, 7, 1e-8],
];
const OTHER: Json[][] = [
  [1, 0.5, -1, 1e-20, 3],
  [0, 0.5, 1, 'nan', 2, 0],
  [1, 1, 1, 1],
];
const SHAPES = [[5], [2, 3], [2, 2]];

// Special values as strings, which both sides parse (JSON would send -0 as 0).
const num = (v: Json): number => (typeof v === 'string' ? Number(v.replace('inf', 'Infinity')) : v);
const make = (rows: Json[][], dtype: 'float32' | 'float64'): Tensor[] =>
  rows.map((r, i) => torch.tensor(r.map(num), { dtype }).reshape(SHAPES[i] as number[]));
// runPython gives NaN and infinities back as numbers; deepEqual tells -0 from 0 and NaN equals NaN.
const values = (ts: Tensor[]): number[][] => ts.map((t) => t.reshape([-1]).toArray() as number[]);

describe('_foreachClampMin_ and _foreachRsqrt_', () => {
  test("values are PyTorch's, in float32 and float64", { skip: skipWithoutPython() }, () => {
    const py = runPython<Record<string, number[][]>>(
      `
DATA, OTHER, SHAPES = INPUT
def make(rows, dtype):
    return [torch.tensor([float(v) for v in r], dtype=dtype).reshape(s) for r, s in zip(rows, SHAPES)]
flat = lambda ts: [t.reshape(-1).tolist() for t in ts]
OUTPUT = {}
for name, dtype in (('float32', torch.float32), ('float64', torch.float64)):
    a = make(DATA, dtype); torch._foreach_clamp_min_(a, 0.5); OUTPUT[name + ' scalar'] = flat(a)
    a = make(DATA, dtype); torch._foreach_clamp_min_(a, make(OTHER, dtype)); OUTPUT[name + ' list'] = flat(a)
    a = make(DATA, dtype); torch._foreach_rsqrt_(a); OUTPUT[name + ' rsqrt'] = flat(a)
    # Adafactor's pair: clamp to eps1^2, then rsqrt
    a = make(DATA, dtype); torch._foreach_clamp_min_(a, 1e-30 ** 2); torch._foreach_rsqrt_(a)
    OUTPUT[name + ' adafactor'] = flat(a)
`,
      [DATA, OTHER, SHAPES],
    );
    for (const dtype of ['float32', 'float64'] as const) {
      let a = make(DATA, dtype);
      torch._foreachClampMin_(a, 0.5);
      assert.deepEqual(values(a), py[`${dtype} scalar`], `${dtype} scalar`);
      a = make(DATA, dtype);
      torch._foreachClampMin_(a, make(OTHER, dtype));
      assert.deepEqual(values(a), py[`${dtype} list`], `${dtype} list`);
      a = make(DATA, dtype);
      torch._foreachRsqrt_(a);
      assert.deepEqual(values(a), py[`${dtype} rsqrt`], `${dtype} rsqrt`);
      a = make(DATA, dtype);
      torch._foreachClampMin_(a, 1e-30 ** 2);
      torch._foreachRsqrt_(a);
      assert.deepEqual(values(a), py[`${dtype} adafactor`], `${dtype} adafactor`);
    }
  });

  test('values worked out by hand', () => {
    const a = [torch.tensor([4, 0.25, -1], { dtype: 'float64' }), torch.tensor([[0.01, 16]], { dtype: 'float64' })];
    torch._foreachClampMin_(a, 0.04);
    assert.deepEqual(
      a.map((t) => t.reshape([-1]).toArray()),
      [
        [4, 0.25, 0.04],
        [0.04, 16],
      ],
    );
    torch._foreachRsqrt_(a);
    assert.deepEqual(
      a.map((t) => t.reshape([-1]).toArray()),
      [
        [0.5, 2, 5],
        [5, 0.25],
      ],
    );
    // The list variant takes the element-wise maximum with its partner, broadcast as the
    // in-place op allows.
    const b = [torch.tensor([1, 5, -2], { dtype: 'float64' })];
    torch._foreachClampMin_(b, [torch.tensor([3], { dtype: 'float64' })]);
    assert.deepEqual(b[0]?.toArray(), [3, 5, 3]);
  });

  test('in place: the same tensors and storage are updated, and nothing is returned', () => {
    const a = [torch.tensor([1, 4, 0.5]), torch.tensor([[9, 0.01]])];
    const objects = [...a];
    const views = a.map((t) => t.view([-1]));
    const rsqrt = torch._foreachRsqrt_(a) as unknown;
    assert.equal(rsqrt, undefined);
    const clamp = torch._foreachClampMin_(a, 1) as unknown;
    assert.equal(clamp, undefined);
    assert.equal(a[0], objects[0]);
    assert.equal(a[1], objects[1]);
    // rsqrt gives [1, 0.5, ~1.414] and [1/3, 10]; clamped at 1: [1, 1, ~1.414] and [1, 10].
    const seen = views.map((v) => (v.toArray() as number[]).map((x) => Math.fround(x)));
    assert.deepEqual(seen, [
      [1, 1, Math.fround(Math.SQRT2)],
      [1, 10],
    ]);
    // Version counters move, as for any in-place op: a graph that saved the old value refuses to
    // run; and the op is differentiable in place (d/dy y^-1/2 = -y^-3/2 / 2 = -1/16 at 4).
    const x = torch.tensor([4], { dtype: 'float64', requiresGrad: true });
    const y = x.mul(1);
    const saved = y.pow(2).sum();
    torch._foreachRsqrt_([y]);
    assert.throws(() => saved.backward(), /modified by an inplace operation/);
    y.sum().backward();
    assert.deepEqual(x.grad?.toArray(), [-0.0625]);
  });

  test('errors name the op and what is wrong', () => {
    const a = [torch.tensor([1, 2]), torch.tensor([3])];
    assert.throws(() => torch._foreachClampMin_(a, [torch.tensor([1, 2])]), {
      message: /^_foreach_clamp_min_: Tensor lists must have the same number of tensors, got 2 and 1/,
    });
    assert.throws(() => torch._foreachClampMin_(a, [a[0] as Tensor, torch.tensor([1, 2, 3])]), {
      message: /^_foreach_clamp_min_: .*shape \[1\].*\[3\]/,
    });
    assert.throws(() => torch._foreachRsqrt_([torch.tensor([4], { dtype: 'int64' })]), {
      message: /^_foreach_rsqrt_: result type Float can't be cast to the desired output type Long/,
    });
    assert.throws(() => torch._foreachClampMin_(a, 'x' as never), {
      name: 'TypeError',
      message: /^_foreachClampMin_: no signature takes \(an array, a string\)/,
    });
    // Nothing was changed by the calls that failed.
    assert.deepEqual(
      a.map((t) => t.toArray()),
      [[1, 2], [3]],
    );
  });
});
