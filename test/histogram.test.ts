// torch.histogram (and x.histogram) and torch.histogramdd against Python torch 2.13: bin counts
// and bin-edge tensors, range, weight, density, float32 and float64, 1-D and n-D input. Both
// sides run ATen's histogramdd kernels, so counts and edges must match to the bit. Results are
// named tuples: [hist, binEdges] that also read as .hist / .binEdges. Bad inputs (integer dtype,
// min > max, mixed dtypes, wrong weight shape, bins per dim) raise on both sides, with the op
// named. One Python run for the file.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../lib/index.js';
import { generators } from './support/data.js';
import { type Case, FLOAT_DTYPES, f64, i64, paritySuite, typed } from './support/parity.js';

const exact = { rtol: 0, atol: 0 };

function histogramCases(): Case[] {
  const g = generators(1234);
  const X = g.randn([50]);
  const X2 = g.randn([4, 6]);
  const P = g.randn([30, 2]);
  const P3 = g.randn([5, 4, 3]);
  const WT = g.uniform([50], 0, 2);
  const WP = g.uniform([30], 0, 2);
  const cases: Case[] = [];
  for (const dt of FLOAT_DTYPES) {
    const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name: `${name} [${dt}]`, ...exact, ...x });
    const x = typed(dt, X);
    const w = typed(dt, WT);
    const p = typed(dt, P);
    const wp = typed(dt, WP);
    c('histogram default 100 bins', {
      inputs: { x },
      py: 'list(torch.histogram(x))',
      js: ({ x }) => torch.histogram(x!),
    });
    c('histogram 7 bins of a 2-D input', {
      inputs: { x2: typed(dt, X2) },
      py: 'list(torch.histogram(x2, 7))',
      js: ({ x2 }) => torch.histogram(x2!, 7),
    });
    c('histogram range, weight, density', {
      inputs: { x, w },
      py: 'list(torch.histogram(x, 5, range=(-1.0, 1.5), weight=w, density=True))',
      js: ({ x, w }) => torch.histogram(x!, 5, { range: [-1, 1.5], weight: w!, density: true }),
    });
    c('histogram options without bins', {
      inputs: { x },
      py: 'list(torch.histogram(x, range=(0.0, 1.0)))',
      js: ({ x }) => torch.histogram(x!, { range: [0, 1] }),
    });
    c('histogram edges tensor, uneven', {
      inputs: { x, e: typed(dt, [-2, -0.5, 0, 0.1, 3]) },
      py: 'list(torch.histogram(x, e))',
      js: ({ x, e }) => torch.histogram(x!, e!),
    });
    c('histogram edges tensor with weight and density', {
      inputs: { x, e: typed(dt, [-1, 0, 0.5, 2]), w },
      py: 'list(torch.histogram(x, e, weight=w, density=True))',
      js: ({ x, e, w }) => torch.histogram(x!, e!, { weight: w!, density: true }),
    });
    c('x.histogram method', {
      inputs: { x },
      py: 'list(x.histogram(6, density=True))',
      js: ({ x }) => x!.histogram(6, { density: true }),
    });
    c('histogramdd one count for every dim', {
      inputs: { p },
      py: 'r = torch.histogramdd(p, 4)\nout = [r.hist, list(r.bin_edges)]',
      js: ({ p }) => torch.histogramdd(p!, 4),
    });
    c('histogramdd counts per dim, range, weight, density', {
      inputs: { p, wp },
      py: 'r = torch.histogramdd(p, [3, 5], range=[-2.0, 2.0, -1.0, 1.0], weight=wp, density=True)\nout = [r.hist, list(r.bin_edges)]',
      js: ({ p, wp }) => torch.histogramdd(p!, [3, 5], { range: [-2, 2, -1, 1], weight: wp!, density: true }),
    });
    c('histogramdd batched points [5, 4, 3]', {
      inputs: { p3: typed(dt, P3) },
      py: 'r = torch.histogramdd(p3, [2, 3, 2])\nout = [r.hist, list(r.bin_edges)]',
      js: ({ p3 }) => torch.histogramdd(p3!, [2, 3, 2]),
    });
    c('histogramdd edge tensors', {
      inputs: { p, e0: typed(dt, [-3, 0, 3]), e1: typed(dt, [-1, -0.5, 0, 2]) },
      py: 'r = torch.histogramdd(p, [e0, e1])\nout = [r.hist, list(r.bin_edges)]',
      js: ({ p, e0, e1 }) => torch.histogramdd(p!, [e0!, e1!]),
    });
  }
  const bad = (name: string, inputs: Case['inputs'], py: string, js: Case['js'], re: RegExp) =>
    cases.push({ name, inputs, py, js, expectError: re });
  const x = f64(X);
  bad(
    'histogram of int64',
    { n: i64([1, 2, 3]) },
    'torch.histogram(n, 3)',
    ({ n }) => torch.histogram(n!, 3),
    /histogram/,
  );
  bad(
    'histogram range min > max',
    { x },
    'torch.histogram(x, 3, range=(1.0, 0.0))',
    ({ x }) => torch.histogram(x!, 3, { range: [1, 0] }),
    /histogram.*min should not exceed max/,
  );
  bad(
    'histogram edges of another dtype',
    { x, e: typed('float32', [0, 1]) },
    'torch.histogram(x, e)',
    ({ x, e }) => torch.histogram(x!, e!),
    /histogram.*same dtype/,
  );
  bad(
    'histogram weight of the wrong shape',
    { x, w: f64([1, 1, 1]) },
    'torch.histogram(x, 3, weight=w)',
    ({ x, w }) => torch.histogram(x!, 3, { weight: w! }),
    /histogram.*weight/,
  );
  bad(
    'histogramdd more counts than dims',
    { p: f64(P) },
    'torch.histogramdd(p, [2, 2, 2])',
    ({ p }) => torch.histogramdd(p!, [2, 2, 2]),
    /histogramdd.*size of bins/,
  );
  return cases;
}

paritySuite('histogram / histogramdd vs Python torch', histogramCases());

describe('histogram without Python', () => {
  test('counts by hand, named and positional results agree', () => {
    torch.scope(() => {
      const x = torch.tensor([0, 0.1, 0.5, 0.9, 1, 2], { dtype: 'float64' });
      const r = torch.histogram(x, 2, { range: [0, 1] });
      // Bins [0, .5) and [.5, 1]; 2 lies outside the range.
      assert.deepEqual(r.hist.toArray(), [2, 3]);
      assert.deepEqual(r.binEdges.toArray(), [0, 0.5, 1]);
      const [hist, binEdges] = r;
      assert.equal(hist, r.hist);
      assert.equal(binEdges, r.binEdges);
      const d = torch.histogramdd(
        torch.tensor(
          [
            [0, 0],
            [1, 1],
            [1, 0],
          ],
          { dtype: 'float64' },
        ),
        2,
      );
      assert.deepEqual(d.hist.toArray(), [
        [1, 0],
        [1, 1],
      ]);
      assert.equal(d.binEdges.length, 2);
      assert.equal(d[1], d.binEdges);
    });
  });
  test('histogramdd returns the given edge tensors, as PyTorch does', () => {
    torch.scope(() => {
      const e = torch.tensor([0, 1], { dtype: 'float64' });
      const d = torch.histogramdd(torch.zeros([3, 1], { dtype: 'float64' }), [e]);
      assert.equal(d.binEdges[0], e);
      assert.deepEqual(d.hist.toArray(), [3]);
    });
  });
  test('argument errors are TypeErrors naming the op', () => {
    const p = torch.zeros([3, 2]);
    assert.throws(() => torch.histogramdd(p, ['a'] as never), { name: 'TypeError', message: /histogramdd: bins/ });
    assert.throws(() => torch.histogramdd(p, [torch.zeros([2]), torch.zeros([2])], { range: [0, 1, 0, 1] }), {
      name: 'TypeError',
      message: /histogramdd: range/,
    });
    assert.throws(() => torch.histogram('x' as never, 3), { name: 'TypeError', message: /histogram/ });
  });
});
