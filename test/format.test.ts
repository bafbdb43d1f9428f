// Printing: util.inspect(t) and String(t) must equal Python's repr(t) character for character,
// with PyTorch's default print options (precision 4, line width 80, summarised above 1000
// elements with 3 edge items). Python torch is the oracle; without it these tests are skipped.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import * as torch from '../lib/index.js';
import { runPython, skipWithoutPython } from './support/python.js';

interface Case {
  name: string;
  /** A Python expression giving the same tensor. */
  py: string;
  make: () => torch.Tensor;
  /** Set where our printing is known to differ: what differs. */
  todo?: string;
}

const f32 = { dtype: 'float32' as const };

const CASES: Case[] = [
  // ---- 0-d
  { name: '0-d float', py: 'torch.tensor(3.5)', make: () => torch.tensor(3.5) },
  { name: '0-d int', py: 'torch.tensor(7)', make: () => torch.tensor(7) },
  { name: '0-d bool', py: 'torch.tensor(True)', make: () => torch.tensor(true) },
  { name: '0-d sci', py: 'torch.tensor(-1e-7)', make: () => torch.tensor(-1e-7) },
  { name: '0-d nan', py: 'torch.tensor(float("nan"))', make: () => torch.tensor(Number.NaN) },
  // ---- 1-d, 2-d, 3-d, 4-d
  {
    name: '1-d floats with decimals',
    py: 'torch.tensor([1.5, -2.25, 3.0])',
    make: () => torch.tensor([1.5, -2.25, 3.0]),
  },
  {
    name: '1-d rounding to 4 decimals',
    py: 'torch.tensor([0.12345678, 1.00005, -7.77777])',
    make: () => torch.tensor([0.12345678, 1.00005, -7.77777]),
  },
  {
    name: '2-d ints',
    py: 'torch.tensor([[1, -20, 300], [4, 5, 6]])',
    make: () =>
      torch.tensor([
        [1, -20, 300],
        [4, 5, 6],
      ]),
  },
  { name: '3-d ints', py: 'torch.arange(24).reshape(2, 3, 4)', make: () => torch.arange(24).reshape([2, 3, 4]) },
  {
    name: '3-d floats',
    py: '(torch.arange(24, dtype=torch.float32) - 5.5).reshape(2, 3, 4)',
    make: () => torch.arange(24, f32).sub(5.5).reshape([2, 3, 4]),
  },
  { name: '4-d ints', py: 'torch.arange(16).reshape(2, 2, 2, 2)', make: () => torch.arange(16).reshape([2, 2, 2, 2]) },
  {
    name: 'non-contiguous (transposed) view',
    py: 'torch.arange(6).reshape(2, 3).t()',
    make: () => torch.arange(6).reshape([2, 3]).t(),
  },
  // ---- bools and integer-valued floats
  { name: 'bools', py: 'torch.tensor([True, False, True])', make: () => torch.tensor([true, false, true]) },
  { name: 'integer-valued floats', py: 'torch.tensor([1.0, 2.0, -3.0])', make: () => torch.tensor([1, 2, -3], f32) },
  {
    name: 'integer-valued floats with zero',
    py: 'torch.tensor([0.0, 1000.0])',
    make: () => torch.tensor([0, 1000], f32),
  },
  { name: 'all zeros', py: 'torch.zeros(3)', make: () => torch.zeros([3]) },
  // ---- scientific notation
  {
    name: 'sci: small values',
    py: 'torch.tensor([1e-5, 1.0, 123456.0])',
    make: () => torch.tensor([1e-5, 1.0, 123456.0]),
  },
  {
    name: 'sci: integer-valued, max/min > 1000',
    py: 'torch.tensor([1.0, 1001.0])',
    make: () => torch.tensor([1, 1001], f32),
  },
  {
    name: 'sci: integer-valued above 1e8',
    py: 'torch.tensor([123456789.0, 1.0])',
    make: () => torch.tensor([123456789, 1], f32),
  },
  { name: 'sci: 1e10', py: 'torch.tensor([1e10, 2.0])', make: () => torch.tensor([1e10, 2], f32) },
  {
    name: 'sci: 2-d with negatives',
    py: 'torch.tensor([[1e-8, -2.5e3], [3.0, 4.0]])',
    make: () =>
      torch.tensor([
        [1e-8, -2.5e3],
        [3, 4],
      ]),
  },
  // ---- nan and inf
  {
    name: 'nan and inf among decimals',
    py: 'torch.tensor([float("nan"), float("inf"), -float("inf"), 1.5])',
    make: () => torch.tensor([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5]),
  },
  { name: 'nan only', py: 'torch.tensor([float("nan")])', make: () => torch.tensor([Number.NaN]) },
  {
    name: 'nan with a fixed-point value',
    py: 'torch.tensor([float("nan"), 0.5])',
    make: () => torch.tensor([Number.NaN, 0.5]),
  },
  {
    name: 'nan among integer-valued floats',
    py: 'torch.tensor([float("nan"), 1.0, 2.0])',
    make: () => torch.tensor([Number.NaN, 1, 2], f32),
  },
  {
    name: '-inf among integer-valued floats',
    py: 'torch.tensor([-float("inf"), 1.0, 2.0])',
    make: () => torch.tensor([Number.NEGATIVE_INFINITY, 1, 2], f32),
  },
  // ---- dtype suffixes, autograd suffixes
  {
    name: 'float64 suffix',
    py: 'torch.tensor([1.5, 2.0], dtype=torch.float64)',
    make: () => torch.tensor([1.5, 2], { dtype: 'float64' }),
  },
  {
    name: 'int32 suffix',
    py: 'torch.tensor([1, 2], dtype=torch.int32)',
    make: () => torch.tensor([1, 2], { dtype: 'int32' }),
  },
  {
    name: 'float16 suffix',
    py: 'torch.tensor([1.5, 2.25], dtype=torch.float16) * 3.3',
    make: () => torch.tensor([1.5, 2.25], { dtype: 'float16' }).mul(3.3),
  },
  {
    name: 'bfloat16 suffix',
    py: 'torch.tensor([1.5, 2.0], dtype=torch.bfloat16)',
    make: () => torch.tensor([1.5, 2], { dtype: 'bfloat16' }),
  },
  {
    name: 'uint8 suffix',
    py: 'torch.tensor([1, 200], dtype=torch.uint8)',
    make: () => torch.tensor([1, 200], { dtype: 'uint8' }),
  },
  {
    name: 'int8 suffix',
    py: 'torch.tensor([-1, 100], dtype=torch.int8)',
    make: () => torch.tensor([-1, 100], { dtype: 'int8' }),
  },
  {
    name: 'requires_grad=True',
    py: 'torch.tensor([1.5, 2.0], requires_grad=True)',
    make: () => torch.tensor([1.5, 2], { requiresGrad: true }),
  },
  {
    name: 'dtype before requires_grad',
    py: 'torch.tensor([1.5], dtype=torch.float64, requires_grad=True)',
    make: () => torch.tensor([1.5], { dtype: 'float64', requiresGrad: true }),
  },
  {
    name: 'grad_fn',
    py: 'torch.tensor([1.5, 2.0], requires_grad=True) * 2',
    make: () => torch.tensor([1.5, 2], { requiresGrad: true }).mul(2),
  },
  {
    name: 'grad_fn after dtype',
    py: 'torch.tensor([1.5, 2.0], dtype=torch.float64, requires_grad=True) + 1',
    make: () => torch.tensor([1.5, 2], { dtype: 'float64', requiresGrad: true }).add(1),
  },
  {
    name: 'grad_fn of a full reduction',
    py: 'torch.tensor([1.5, 2.0], requires_grad=True).sum()',
    make: () => torch.tensor([1.5, 2], { requiresGrad: true }).sum(),
  },
  // ---- empty
  { name: 'empty (0,)', py: 'torch.zeros(0)', make: () => torch.zeros([0]) },
  { name: 'empty (2, 0)', py: 'torch.zeros(2, 0)', make: () => torch.zeros([2, 0]) },
  { name: 'empty (2, 0, 3)', py: 'torch.zeros(2, 0, 3)', make: () => torch.zeros([2, 0, 3]) },
  { name: 'empty int32', py: 'torch.zeros(0, dtype=torch.int32)', make: () => torch.zeros([0], { dtype: 'int32' }) },
  {
    name: 'empty int64',
    py: 'torch.zeros(0, 3, dtype=torch.int64)',
    make: () => torch.zeros([0, 3], { dtype: 'int64' }),
  },
  {
    name: 'empty bool',
    py: 'torch.zeros(0, dtype=torch.bool)',
    make: () => torch.zeros([0], { dtype: 'bool' }),
  },
  // ---- summarised (> 1000 elements)
  {
    name: 'summarised 1-d',
    py: 'torch.arange(1001)',
    make: () => torch.arange(1001),
  },
  {
    name: 'summarised 2-d ints',
    py: 'torch.arange(3000).reshape(3, 1000)',
    make: () => torch.arange(3000).reshape([3, 1000]),
  },
  {
    name: 'summarised 2-d sci, wrapping rows',
    py: 'torch.arange(2000, dtype=torch.float32).reshape(40, 50)',
    make: () => torch.arange(2000, f32).reshape([40, 50]),
  },
  {
    name: 'summarised 3-d',
    py: 'torch.arange(2000).reshape(10, 10, 20)',
    make: () => torch.arange(2000).reshape([10, 10, 20]),
  },
  {
    name: 'summarised float64, wrapping',
    py: 'torch.arange(1200, dtype=torch.float64) / 3',
    make: () => torch.arange(1200, { dtype: 'float64' }).div(3),
  },
  // ---- long rows wrap at 80 columns
  {
    name: 'wrap: 1-d floats',
    py: 'torch.arange(40, dtype=torch.float32) / 3',
    make: () => torch.arange(40, f32).div(3),
  },
  {
    name: 'wrap: 2-d floats',
    py: '(torch.arange(60, dtype=torch.float32) / 7).reshape(2, 30)',
    make: () => torch.arange(60, f32).div(7).reshape([2, 30]),
  },
  { name: 'wrap: ints', py: 'torch.arange(100) * 1000', make: () => torch.arange(100).mul(1000) },
  { name: 'wrap: bools', py: 'torch.arange(40) % 3 == 0', make: () => torch.arange(40).remainder(3).eq(0) },
  // ---- values
  {
    name: 'negative zero',
    py: 'torch.tensor([-0.0, 1.5])',
    make: () => torch.tensor([-0, 1.5]),
  },
  {
    name: 'rounding ties to even',
    py: 'torch.tensor([1.03125, 0.15625, -0.15625])',
    make: () => torch.tensor([1.03125, 0.15625, -0.15625]),
  },
  {
    name: 'int64 beyond 2^53',
    py: 'torch.tensor([2**60 + 1, 1])',
    make: () => torch.tensor(new BigInt64Array([2n ** 60n + 1n, 1n])),
  },
  {
    name: 'meta tensor',
    py: 'torch.zeros(2, 3, device="meta")',
    make: () => torch.zeros([2, 3], { device: 'meta' }),
  },
];

describe('repr parity with Python', { skip: skipWithoutPython() }, () => {
  let expected: string[] = [];
  before(() => {
    expected = runPython<string[]>(
      'OUTPUT = [repr(eval(e)) for e in INPUT]',
      CASES.map((c) => c.py),
    );
  });

  CASES.forEach((c, i) => {
    test(c.name, c.todo ? { todo: c.todo } : {}, () => {
      const t = c.make();
      const want = expected[i] as string;
      assert.equal(String(t), want);
      assert.equal(inspect(t), want);
      t.dispose();
    });
  });
});

describe('printing without Python', () => {
  test('a disposed tensor prints as tensor(<disposed>)', () => {
    const t = torch.ones([2]);
    t.dispose();
    assert.equal(String(t), 'tensor(<disposed>)');
    assert.equal(inspect(t), 'tensor(<disposed>)');
  });

  test('inspect of containers uses the tensor repr', () => {
    const t = torch.tensor([1.5, 2]);
    assert.equal(inspect({ t }), '{ t: tensor([1.5000, 2.0000]) }');
    assert.equal(`${t}`, 'tensor([1.5000, 2.0000])');
  });
});
