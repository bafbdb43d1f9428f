// Parity with Python torch for the indexing, scatter, shape and product ops added to
// ops.table: indexAdd indexCopy indexFill (and their in-place forms), maskedScatter, take,
// takeAlongDim, scatterReduce (every reduce, includeSelf), isin, triuIndices trilIndices; rot90
// fliplr flipud asStrided; kron cross addmv addr vander; and torch.functional's meshgrid
// cartesianProd blockDiag tensordot cdist chainMatmul (lib/torch/functional.ts over ATen's
// kernels). Values and gradients in float64, float32 to the bit, integer dtypes, and the errors
// PyTorch raises as JS Errors naming the op. One Python run for the file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../../lib/index.js';
import { generators } from '../support/data.js';
import { bool, type Case, FLOAT_DTYPES, i32, i64, paritySuite, typed } from '../support/parity.js';

function indexingCases(): Case[] {
  const g = generators(31337);
  const cases: Case[] = [];
  const X = g.randn([4, 5]);
  const SRC = g.randn([4, 3]);
  const ROWS = g.randn([2, 5]);
  const MASK = g.bools([4, 5], 0.4);
  const D = g.distinct([3, 6], 0.5, -4);

  for (const dt of FLOAT_DTYPES) {
    const exact = dt === 'float32' ? { rtol: 0, atol: 0 } : {};
    const p = (name: string, c: Omit<Case, 'name'>) => cases.push({ name: `${name} [${dt}]`, ...exact, ...c });
    const x = typed(dt, X, true);
    const src = typed(dt, SRC, true);
    const rows = typed(dt, ROWS, true);
    const d = typed(dt, D, true);
    const idx3 = i64([4, 0, 2]);

    // ---- index_* ops
    p('indexAdd', {
      inputs: { x, src },
      py: 'torch.index_add(x, 1, torch.tensor([4, 0, 4]), src)',
      js: ({ x, src }) => torch.indexAdd(x!, 1, torch.tensor([4, 0, 4]), src!),
    });
    p('indexAdd method alpha', {
      inputs: { x, rows },
      py: 'x.index_add(0, torch.tensor([3, 1]), rows, alpha=-2.5)',
      js: ({ x, rows }) => x!.indexAdd(0, torch.tensor([3, 1]), rows!, { alpha: -2.5 }),
    });
    p('indexAdd_ on a clone', {
      inputs: { x, rows },
      py: 'x.clone().index_add_(0, torch.tensor([0, 0]), rows, alpha=2)',
      js: ({ x, rows }) => x!.clone().indexAdd_(0, torch.tensor([0, 0]), rows!, { alpha: 2 }),
    });
    p('indexCopy', {
      inputs: { x, src, i: idx3 },
      py: 'torch.index_copy(x, 1, i, src)',
      js: ({ x, src, i }) => torch.indexCopy(x!, 1, i!, src!),
    });
    p('indexCopy_ on a clone', {
      inputs: { x, rows },
      py: 'x.clone().index_copy_(0, torch.tensor([2, 0]), rows)',
      js: ({ x, rows }) => x!.clone().indexCopy_(0, torch.tensor([2, 0]), rows!),
    });
    p('indexFill number', {
      inputs: { x, i: idx3 },
      py: 'x.index_fill(1, i, -1.5)',
      js: ({ x, i }) => x!.indexFill(1, i!, -1.5),
    });
    p('indexFill tensor value', {
      inputs: { x, v: typed(dt, 2.5, true) },
      py: 'torch.index_fill(x, 0, torch.tensor([1, 3]), v)',
      js: ({ x, v }) => torch.indexFill(x!, 0, torch.tensor([1, 3]), v!),
    });
    p('indexFill_ tensor value on a clone', {
      inputs: { x, v: typed(dt, -4, true) },
      py: 'x.clone().index_fill_(1, torch.tensor([0]), v)',
      js: ({ x, v }) => x!.clone().indexFill_(1, torch.tensor([0]), v!),
    });
    p('indexFill_ number on a clone', {
      inputs: { x },
      py: 'x.clone().index_fill_(1, torch.tensor([0, 2]), 7)',
      js: ({ x }) => x!.clone().indexFill_(1, torch.tensor([0, 2]), 7),
    });

    // ---- masked_scatter, take, take_along_dim
    p('maskedScatter', {
      inputs: { x, m: bool(MASK), s: typed(dt, g.randn([4, 5]), true) },
      py: 'torch.masked_scatter(x, m, s)',
      js: ({ x, m, s }) => torch.maskedScatter(x!, m!, s!),
    });
    p('maskedScatter broadcast mask', {
      inputs: { x, m: bool([true, false, false, true, true]), s: typed(dt, g.randn([13]), true) },
      py: 'x.masked_scatter(m, s)',
      js: ({ x, m, s }) => x!.maskedScatter(m!, s!),
    });
    p('maskedScatter_ on a clone', {
      inputs: { x, m: bool(MASK), s: typed(dt, g.randn([20]), true) },
      py: 'x.clone().masked_scatter_(m, s)',
      js: ({ x, m, s }) => x!.clone().maskedScatter_(m!, s!),
    });
    p('take', {
      inputs: {
        x,
        i: i64([
          [0, 19, -1],
          [7, 7, 3],
        ]),
      },
      py: 'torch.take(x, i)',
      js: ({ x, i }) => torch.take(x!, i!),
    });
    p('take method', { inputs: { x }, py: 'x.take(torch.tensor([5]))', js: ({ x }) => x!.take(torch.tensor([5])) });
    p('takeAlongDim dim', {
      inputs: { d },
      py: 'torch.take_along_dim(d, d.argsort(1), 1)',
      js: ({ d }) => torch.takeAlongDim(d!, d!.argsort(1), 1),
    });
    p('takeAlongDim broadcast', {
      inputs: { d },
      py: 'd.take_along_dim(torch.tensor([[0, 5]]), 1)',
      js: ({ d }) => d!.takeAlongDim(torch.tensor([[0, 5]]), 1),
    });
    p('takeAlongDim flattened', {
      inputs: { d },
      py: 'torch.take_along_dim(d, torch.tensor([17, 0, 3]))',
      js: ({ d }) => torch.takeAlongDim(d!, torch.tensor([17, 0, 3])),
    });

    // ---- scatter_reduce: every reduce, with and without self; ties for amax/amin on purpose
    const INDEX = [
      [0, 1, 0, 2, 2],
      [3, 3, 3, 0, 1],
    ];
    const SRC2 = [
      [1.5, -2, 1.5, 4, 0.5],
      [2, -1, 3, 2, 0.25],
    ];
    for (const reduce of ['sum', 'prod', 'mean', 'amax', 'amin']) {
      for (const includeSelf of [true, false]) {
        p(`scatterReduce ${reduce} includeSelf=${includeSelf}`, {
          inputs: { base: typed(dt, g.uniform([2, 4], 0.5, 2), true), s: typed(dt, SRC2, true), i: i64(INDEX) },
          py: `torch.scatter_reduce(base, 1, i, s, '${reduce}', include_self=${includeSelf ? 'True' : 'False'})`,
          js: ({ base, s, i }) => torch.scatterReduce(base!, 1, i!, s!, reduce, { includeSelf }),
        });
      }
    }
    p('scatterReduce method default includeSelf', {
      inputs: {
        base: typed(
          dt,
          [
            [1, 2, 3, 4],
            [5, 6, 7, 8],
          ],
          true,
        ),
        s: typed(dt, SRC2, true),
        i: i64(INDEX),
      },
      py: "base.scatter_reduce(1, i, s, 'amax')",
      js: ({ base, s, i }) => base!.scatterReduce(1, i!, s!, 'amax'),
    });
    p('scatterReduce_ on a clone', {
      inputs: {
        base: typed(
          dt,
          [
            [1, 2, 3, 4],
            [5, 6, 7, 8],
          ],
          true,
        ),
        s: typed(dt, SRC2, true),
        i: i64(INDEX),
      },
      py: "base.clone().scatter_reduce_(1, i, s, 'mean', include_self=False)",
      js: ({ base, s, i }) => base!.clone().scatterReduce_(1, i!, s!, 'mean', { includeSelf: false }),
    });
  }

  // ---- integer dtypes and isin / triu_indices
  const I = i64([
    [3, 1, 4, 1, 5],
    [9, 2, 6, 5, 3],
  ]);
  cases.push(
    {
      name: 'int64 index ops and scatterReduce',
      inputs: { a: I },
      py: `out = [a.index_add(1, torch.tensor([0, 0]), a[:, :2]), a.index_fill(0, torch.tensor([1]), -1),
             a.index_copy(0, torch.tensor([1, 0]), a), a.take(torch.tensor([9, 0])),
             a.scatter_reduce(1, torch.tensor([[0, 0, 1, 1, 1]] * 2), a, 'prod'),
             a.scatter_reduce(1, torch.tensor([[0, 0, 1, 1, 1]] * 2), a, 'mean', include_self=False)]`,
      js: ({ a }) => [
        a!.indexAdd(1, torch.tensor([0, 0]), a!.at(':', ':2')),
        a!.indexFill(0, torch.tensor([1]), -1),
        a!.indexCopy(0, torch.tensor([1, 0]), a!),
        a!.take(torch.tensor([9, 0])),
        a!.scatterReduce(
          1,
          torch.tensor([
            [0, 0, 1, 1, 1],
            [0, 0, 1, 1, 1],
          ]),
          a!,
          'prod',
        ),
        a!.scatterReduce(
          1,
          torch.tensor([
            [0, 0, 1, 1, 1],
            [0, 0, 1, 1, 1],
          ]),
          a!,
          'mean',
          { includeSelf: false },
        ),
      ],
    },
    {
      name: 'isin tensors',
      inputs: { a: I, t: i64([1, 5, 9, 42]) },
      py: 'out = [torch.isin(a, t), torch.isin(a, t, invert=True), torch.isin(a, t, assume_unique=True)]',
      js: ({ a, t }) => [
        torch.isin(a!, t!),
        torch.isin(a!, t!, { invert: true }),
        torch.isin(a!, t!, { assumeUnique: true }),
      ],
    },
    {
      name: 'isin with a number either side',
      inputs: { a: I },
      py: 'out = [torch.isin(a, 5), torch.isin(3, a), torch.isin(7, a, invert=True)]',
      js: ({ a }) => [torch.isin(a!, 5), torch.isin(3, a!), torch.isin(7, a!, { invert: true })],
    },
    {
      name: 'isin floats with NaN and mixed dtypes',
      inputs: { f: typed('float64', [1.5, Number.NaN, 2, -0.5]), t: typed('float32', [2, Number.NaN, 1.5]) },
      py: 'torch.isin(f, t)',
      js: ({ f, t }) => torch.isin(f!, t!),
    },
    {
      name: 'isin empty test elements',
      inputs: { a: I, e: i64([]) },
      py: 'torch.isin(a, e)',
      js: ({ a, e }) => torch.isin(a!, e!),
    },
    {
      name: 'triuIndices and trilIndices',
      inputs: {},
      py: `out = [torch.triu_indices(3, 3), torch.triu_indices(4, 3, 1), torch.triu_indices(3, 5, -1),
             torch.tril_indices(3, 3), torch.tril_indices(4, 3, -1), torch.tril_indices(2, 5, 2, dtype=torch.int32),
             torch.triu_indices(0, 0), torch.tril_indices(3, 3, 10)]`,
      js: () => [
        torch.triuIndices(3, 3),
        torch.triuIndices(4, 3, 1),
        torch.triuIndices(3, 5, -1),
        torch.trilIndices(3, 3),
        torch.trilIndices(4, 3, -1),
        torch.trilIndices(2, 5, 2, { dtype: 'int32' }),
        torch.triuIndices(0, 0),
        torch.trilIndices(3, 3, 10),
      ],
    },
  );
  return cases;
}

function shapeAndProductCases(): Case[] {
  const g = generators(4711);
  const cases: Case[] = [];
  const X = g.randn([3, 4]);
  const Y = g.randn([4, 2]);
  const T3 = g.randn([2, 3, 4]);
  const V3 = g.randn([4, 3]);
  const W3 = g.randn([4, 3]);

  for (const dt of FLOAT_DTYPES) {
    const exact = dt === 'float32' ? { rtol: 0, atol: 0 } : {};
    const p = (name: string, c: Omit<Case, 'name'>) => cases.push({ name: `${name} [${dt}]`, ...exact, ...c });
    const x = typed(dt, X, true);
    const y = typed(dt, Y, true);
    const t3 = typed(dt, T3, true);
    const v3 = typed(dt, V3, true);
    const w3 = typed(dt, W3, true);
    const a = typed(dt, [1, 2, 3], true);
    const b = typed(dt, [-1, 0.5], true);

    // ---- rotations, flips, strides
    p('rot90 default', { inputs: { x }, py: 'torch.rot90(x)', js: ({ x }) => torch.rot90(x!) });
    for (const k of [2, 3, -1, 4]) {
      p(`rot90 k=${k}`, { inputs: { x }, py: `x.rot90(${k})`, js: ({ x }) => x!.rot90(k) });
    }
    p('rot90 dims', { inputs: { t3 }, py: 'torch.rot90(t3, 1, [2, 0])', js: ({ t3 }) => torch.rot90(t3!, 1, [2, 0]) });
    p('fliplr', { inputs: { t3 }, py: 'torch.fliplr(t3)', js: ({ t3 }) => torch.fliplr(t3!) });
    p('flipud', { inputs: { x }, py: 'x.flipud()', js: ({ x }) => x!.flipud() });
    p('flipud 1-D', { inputs: { a }, py: 'torch.flipud(a)', js: ({ a }) => torch.flipud(a!) });
    p('asStrided', {
      inputs: { x },
      py: 'torch.as_strided(x, (2, 3), (1, 2))',
      js: ({ x }) => torch.asStrided(x!, [2, 3], [1, 2]),
    });
    p('asStrided storage offset, overlapping', {
      inputs: { x },
      py: 'x.as_strided((3, 3), (2, 1), storage_offset=3)',
      js: ({ x }) => x!.asStrided([3, 3], [2, 1], { storageOffset: 3 }),
    });

    // ---- products
    p('kron', { inputs: { x, y }, py: 'torch.kron(x, y)', js: ({ x, y }) => torch.kron(x!, y!) });
    p('kron method mixed rank', { inputs: { a, x }, py: 'a.kron(x)', js: ({ a, x }) => a!.kron(x!) });
    p('cross dim', { inputs: { v3, w3 }, py: 'torch.cross(v3, w3, 1)', js: ({ v3, w3 }) => torch.cross(v3!, w3!, 1) });
    p('cross default dim', { inputs: { v3, w3 }, py: 'v3.cross(w3)', js: ({ v3, w3 }) => v3!.cross(w3!) });
    p('cross broadcast', {
      inputs: { v3, a },
      py: 'torch.cross(v3, a.expand(4, 3), dim=-1)',
      js: ({ v3, a }) => torch.cross(v3!, a!.expand([4, 3]), -1),
    });
    p('addmv', {
      inputs: { a: typed(dt, g.randn([3]), true), x, v: typed(dt, g.randn([4]), true) },
      py: 'torch.addmv(a, x, v)',
      js: ({ a, x, v }) => torch.addmv(a!, x!, v!),
    });
    p('addmv beta alpha', {
      inputs: { a: typed(dt, g.randn([3]), true), x, v: typed(dt, g.randn([4]), true) },
      py: 'a.addmv(x, v, beta=0.5, alpha=-2)',
      js: ({ a, x, v }) => a!.addmv(x!, v!, { beta: 0.5, alpha: -2 }),
    });
    p('addr', {
      inputs: { x, a, v: typed(dt, g.randn([4]), true) },
      py: 'torch.addr(x, a, v)',
      js: ({ x, a, v }) => torch.addr(x!, a!, v!),
    });
    p('addr beta alpha broadcast self', {
      inputs: { s: typed(dt, [0.5], true), a, v: typed(dt, g.randn([4]), true) },
      py: 's.addr(a, v, beta=3, alpha=0.25)',
      js: ({ s, a, v }) => s!.addr(a!, v!, { beta: 3, alpha: 0.25 }),
    });
    // vander's backward fails in PyTorch 2.13 itself (an in-place cumprod on a saved tensor):
    // values only here, and the failure is compared below.
    p('vander', { inputs: { a }, py: 'torch.vander(a)', js: ({ a }) => torch.vander(a!), grad: false });
    p('vander N increasing', {
      inputs: { a },
      py: 'torch.vander(a, N=5, increasing=True)',
      js: ({ a }) => torch.vander(a!, { N: 5, increasing: true }),
      grad: false,
    });
    p('vander backward raises as in PyTorch', {
      inputs: { a },
      py: 'torch.vander(a).sum().backward()',
      js: ({ a }) => torch.vander(a!).sum().backward(),
      expectError: /^Error: backward: .*modified by an inplace operation/,
    });

    // ---- torch.functional: meshgrid, cartesian_prod, block_diag, tensordot, cdist, chain_matmul
    p('meshgrid ij', {
      inputs: { a, b },
      py: 'out = list(torch.meshgrid(a, b, indexing="ij"))',
      js: ({ a, b }) => torch.meshgrid(a!, b!, { indexing: 'ij' }),
      grad: false,
    });
    p('meshgrid xy grad', {
      inputs: { a, b },
      py: 'torch.stack(torch.meshgrid(a, b, indexing="xy")).sin()',
      js: ({ a, b }) => torch.stack(torch.meshgrid(a!, b!, { indexing: 'xy' })).sin(),
    });
    p('meshgrid default (ij) from a list of three', {
      inputs: { a, b },
      py: 'out = list(torch.meshgrid([a, b, a], indexing="ij"))',
      js: ({ a, b }) => torch.meshgrid([a!, b!, a!]),
      grad: false,
    });
    p('meshgrid of one', {
      inputs: { a },
      py: 'out = list(torch.meshgrid(a, indexing="xy"))',
      js: ({ a }) => torch.meshgrid(a!, { indexing: 'xy' }),
      grad: false,
    });
    p('cartesianProd', {
      inputs: { a, b },
      py: 'torch.cartesian_prod(a, b, a)',
      js: ({ a, b }) => torch.cartesianProd(a!, b!, a!),
    });
    p('cartesianProd of one', { inputs: { a }, py: 'torch.cartesian_prod(a)', js: ({ a }) => torch.cartesianProd(a!) });
    p('blockDiag', {
      inputs: { x, a, y, s: typed(dt, 7, true) },
      py: 'torch.block_diag(x, a, y, s)',
      js: ({ x, a, y, s }) => torch.blockDiag(x!, a!, y!, s!),
    });
    p('tensordot default dims=2', {
      inputs: { t3, x },
      py: 'torch.tensordot(t3, x)',
      js: ({ t3, x }) => torch.tensordot(t3!, x!),
    });
    p('tensordot dims=1', {
      inputs: { x, y },
      py: 'torch.tensordot(x, y, 1)',
      js: ({ x, y }) => torch.tensordot(x!, y!, 1),
    });
    p('tensordot dims=0 (outer)', {
      inputs: { a, b },
      py: 'torch.tensordot(a, b, dims=0)',
      js: ({ a, b }) => torch.tensordot(a!, b!, { dims: 0 }),
    });
    p('tensordot dim lists', {
      inputs: { t3, z: typed(dt, g.randn([4, 5, 2]), true) },
      py: 'torch.tensordot(t3, z, dims=([2, 0], [0, 2]))',
      js: ({ t3, z }) =>
        torch.tensordot(t3!, z!, [
          [2, 0],
          [0, 2],
        ]),
    });
    p('tensordot dims tensor', {
      inputs: { t3, z: typed(dt, g.randn([4, 3]), true) },
      py: 'torch.tensordot(t3, z, dims=torch.tensor([[2, 1], [0, 1]]))',
      js: ({ t3, z }) =>
        torch.tensordot(
          t3!,
          z!,
          torch.tensor([
            [2, 1],
            [0, 1],
          ]),
        ),
    });
    p('tensordot dims 0-d tensor', {
      inputs: { x, y },
      py: 'torch.tensordot(x, y, dims=torch.tensor(1))',
      js: ({ x, y }) => torch.tensordot(x!, y!, torch.tensor(1)),
    });
    const P = typed(dt, g.randn([5, 3]), true);
    const Q = typed(dt, g.randn([4, 3]), true);
    p('cdist', { inputs: { P, Q }, py: 'torch.cdist(P, Q)', js: ({ P, Q }) => torch.cdist(P!, Q!) });
    for (const norm of [0, 1, 1.5, 3]) {
      p(`cdist p=${norm}`, {
        inputs: { P, Q },
        py: `torch.cdist(P, Q, p=${norm})`,
        js: ({ P, Q }) => torch.cdist(P!, Q!, { p: norm }),
        // p=0 counts non-zero differences: no gradient in PyTorch either.
        grad: norm !== 0,
      });
    }
    p('cdist p=inf', {
      inputs: { P, Q },
      py: "torch.cdist(P, Q, p=float('inf'))",
      js: ({ P, Q }) => torch.cdist(P!, Q!, { p: Number.POSITIVE_INFINITY }),
    });
    for (const computeMode of ['use_mm_for_euclid_dist', 'donot_use_mm_for_euclid_dist'] as const) {
      p(`cdist ${computeMode}`, {
        inputs: { P, Q },
        py: `torch.cdist(P, Q, compute_mode='${computeMode}')`,
        js: ({ P, Q }) => torch.cdist(P!, Q!, { computeMode }),
      });
    }
    p('cdist batched', {
      inputs: { bp: typed(dt, g.randn([2, 3, 4]), true), bq: typed(dt, g.randn([2, 5, 4]), true) },
      py: 'torch.cdist(bp, bq, p=2)',
      js: ({ bp, bq }) => torch.cdist(bp!, bq!, { p: 2 }),
    });
    p('chainMatmul', {
      inputs: { x, y, z: typed(dt, g.randn([2, 3]), true) },
      py: 'torch.chain_matmul(x, y, z)',
      js: ({ x, y, z }) => torch.chainMatmul(x!, y!, z!),
    });
  }

  cases.push(
    {
      name: 'integer dtypes: rot90, kron, cross, vander, cartesianProd, blockDiag, tensordot',
      inputs: {
        i: i64([
          [1, -2, 3],
          [4, 5, -6],
        ]),
        j: i32([2, 0, 1]),
      },
      py: `out = [i.rot90(), torch.kron(i, i), torch.cross(i, i.flip(0), dim=1), torch.vander(i[0]),
             torch.cartesian_prod(i[0], i[1]), torch.block_diag(i, i[0]), torch.tensordot(i, i, dims=([1], [1])),
             torch.vander(j, N=2)]`,
      js: ({ i, j }) => [
        i!.rot90(),
        torch.kron(i!, i!),
        torch.cross(i!, i!.flip([0]), 1),
        torch.vander(i!.select(0, 0)),
        torch.cartesianProd(i!.select(0, 0), i!.select(0, 1)),
        torch.blockDiag(i!, i!.select(0, 0)),
        torch.tensordot(i!, i!, [[1], [1]]),
        torch.vander(j!, { N: 2 }),
      ],
    },
    {
      name: 'empty: blockDiag with an empty block, meshgrid with an empty axis, take of nothing',
      inputs: { e: typed('float64', []), x: typed('float64', [[1, 2]]) },
      py: 'out = [torch.block_diag(x, e.reshape(0, 3)), *torch.meshgrid(e, x[0], indexing="ij"), x.take(torch.tensor([], dtype=torch.long))]',
      js: ({ e, x }) => [
        torch.blockDiag(x!, e!.reshape([0, 3])),
        ...torch.meshgrid(e!, x!.select(0, 0), { indexing: 'ij' }),
        x!.take(torch.tensor([], { dtype: 'int64' })),
      ],
    },
  );
  return cases;
}

function errorCases(): Case[] {
  const cases: Case[] = [];
  const c = (name: string, cs: Omit<Case, 'name'>) => cases.push({ name, ...cs });
  const x = typed('float64', [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const f32 = typed('float32', [[1, 2, 3]]);
  c('error: indexAdd dtype mismatch', {
    inputs: { x, f32 },
    py: 'x.index_add(0, torch.tensor([0]), f32)',
    js: ({ x, f32 }) => x!.indexAdd(0, torch.tensor([0]), f32!),
    expectError: /^Error: index_add: /,
  });
  c('error: indexAdd dim out of range', {
    inputs: { x },
    py: 'x.index_add(2, torch.tensor([0]), x)',
    js: ({ x }) => x!.indexAdd(2, torch.tensor([0]), x!),
    expectError: /^Error: index_add: .*out of range/,
  });
  c('error: indexCopy float index', {
    inputs: { x },
    py: 'x.index_copy(0, torch.tensor([0.0]), x[:1])',
    js: ({ x }) => x!.indexCopy(0, torch.tensor([0.5]), x!.at(':1')),
    expectError: /^Error: index_copy: /,
  });
  c('error: indexFill with a 1-D value tensor', {
    inputs: { x },
    py: 'x.index_fill(0, torch.tensor([0]), torch.tensor([1.0, 2.0], dtype=torch.float64))',
    js: ({ x }) => x!.indexFill(0, torch.tensor([0]), torch.tensor([1, 2], { dtype: 'float64' })),
    expectError: /^Error: index_fill: /,
  });
  c('error: maskedScatter with too few source values', {
    inputs: { x },
    py: 'x.masked_scatter(x > 0, torch.zeros(2, dtype=torch.float64))',
    js: ({ x }) => x!.maskedScatter(x!.gt(0), torch.zeros([2], { dtype: 'float64' })),
    expectError: /^Error: masked_scatter: /,
  });
  c('error: take out of range', {
    inputs: { x },
    py: 'x.take(torch.tensor([6]))',
    js: ({ x }) => x!.take(torch.tensor([6])),
    expectError: /^Error: take: .*out of range/,
  });
  c('error: takeAlongDim dim out of range', {
    inputs: { x },
    py: 'x.take_along_dim(torch.tensor([[0]]), 2)',
    js: ({ x }) => x!.takeAlongDim(torch.tensor([[0]]), 2),
    expectError: /^Error: take_along_dim: .*out of range/,
  });
  c('error: scatterReduce unknown reduce', {
    inputs: { x },
    py: "x.scatter_reduce(1, torch.tensor([[0]]), x, 'median')",
    js: ({ x }) => x!.scatterReduce(1, torch.tensor([[0]]), x!, 'median'),
    expectError: /^Error: scatter_reduce: .*reduce argument must be either/,
  });
  c('error: scatterReduce float index', {
    inputs: { x },
    py: "x.scatter_reduce(1, torch.tensor([[0.0]]), x, 'sum')",
    js: ({ x }) => x!.scatterReduce(1, torch.tensor([[0.5]]), x!, 'sum'),
    expectError: /^Error: scatter_reduce: /,
  });
  c('error: triuIndices negative rows', {
    inputs: {},
    py: 'torch.triu_indices(-1, 3)',
    js: () => torch.triuIndices(-1, 3),
    expectError: /^Error: triu_indices: /,
  });
  c('error: rot90 dims out of range', {
    inputs: { x },
    py: 'x.rot90(1, [0, 2])',
    js: ({ x }) => x!.rot90(1, [0, 2]),
    expectError: /^Error: rot90: /,
  });
  c('error: fliplr of 1-D', {
    inputs: { a: typed('float64', [1, 2]) },
    py: 'a.fliplr()',
    js: ({ a }) => a!.fliplr(),
    expectError: /^Error: fliplr: Input must be >= 2-d/,
  });
  c('error: asStrided out of the storage', {
    inputs: { x },
    py: 'x.as_strided((3, 3), (3, 1), storage_offset=1)',
    js: ({ x }) => x!.asStrided([3, 3], [3, 1], { storageOffset: 1 }),
    expectError: /^Error: as_strided: .*out of bounds/,
  });
  c('error: cross without a dim of size 3', {
    inputs: { y: typed('float64', [[1, 2]]) },
    py: 'torch.cross(y, y, dim=1)',
    js: ({ y }) => torch.cross(y!, y!, 1),
    expectError: /^Error: cross: /,
  });
  c('error: addmv shape mismatch', {
    inputs: { x },
    py: 'torch.addmv(torch.zeros(2, dtype=torch.float64), x, torch.zeros(2, dtype=torch.float64))',
    js: ({ x }) => torch.addmv(torch.zeros([2], { dtype: 'float64' }), x!, torch.zeros([2], { dtype: 'float64' })),
    expectError: /^Error: addmv: /,
  });
  c('error: vander of 2-D', {
    inputs: { x },
    py: 'torch.vander(x)',
    js: ({ x }) => torch.vander(x!),
    expectError: /^Error: vander: /,
  });
  c('error: tensordot size mismatch', {
    inputs: { x },
    py: 'torch.tensordot(x, x, dims=([1], [1, 0]))',
    js: ({ x }) => torch.tensordot(x!, x!, [[1], [1, 0]]),
    expectError: /^Error: tensordot: /,
  });
  c('error: tensordot dims too large', {
    inputs: { x },
    py: 'torch.tensordot(x, x, 3)',
    js: ({ x }) => torch.tensordot(x!, x!, 3),
    expectError: /^RangeError: tensordot: expects dims < ndim_a or ndim_b/,
  });
  c('error: tensordot negative dims', {
    inputs: { x },
    py: 'torch.tensordot(x, x, -1)',
    js: ({ x }) => torch.tensordot(x!, x!, -1),
    expectError: /^RangeError: tensordot: expects dims >= 0/,
  });
  c('error: cdist feature sizes differ', {
    inputs: { x },
    py: 'torch.cdist(x, x.t())',
    js: ({ x }) => torch.cdist(x!, x!.t()),
    expectError: /^Error: cdist: /,
  });
  c('error: cdist negative p', {
    inputs: { x },
    py: 'torch.cdist(x, x, p=-1)',
    js: ({ x }) => torch.cdist(x!, x!, { p: -1 }),
    expectError: /^Error: cdist: .*non-negative/,
  });
  c('error: cdist unknown compute mode', {
    inputs: { x },
    py: "torch.cdist(x, x, compute_mode='fast')",
    js: ({ x }) => torch.cdist(x!, x!, { computeMode: 'fast' as never }),
    expectError: /^Error: cdist: fast is not a valid value for computeMode/,
  });
  c('error: meshgrid bad indexing', {
    inputs: { a: typed('float64', [1, 2]) },
    py: "torch.meshgrid(a, a, indexing='ji')",
    js: ({ a }) => torch.meshgrid(a!, a!, { indexing: 'ji' as never }),
    expectError: /^Error: meshgrid: .*indexing/,
  });
  c('error: meshgrid of 2-D', {
    inputs: { x },
    py: "torch.meshgrid(x, x, indexing='ij')",
    js: ({ x }) => torch.meshgrid(x!, x!, { indexing: 'ij' }),
    expectError: /^Error: meshgrid: /,
  });
  c('error: cartesianProd of 2-D', {
    inputs: { x },
    py: 'torch.cartesian_prod(x, x)',
    js: ({ x }) => torch.cartesianProd(x!, x!),
    expectError: /^Error: cartesian_prod: /,
  });
  c('error: blockDiag of 3-D', {
    inputs: { t: typed('float64', [[[1]]]) },
    py: 'torch.block_diag(t)',
    js: ({ t }) => torch.blockDiag(t!),
    expectError: /^Error: block_diag: /,
  });
  c('error: chainMatmul shape mismatch', {
    inputs: { x },
    py: 'torch.chain_matmul(x, x, x)',
    js: ({ x }) => torch.chainMatmul(x!, x!, x!),
    expectError: /^Error: chain_matmul: /,
  });
  c('error: isin of mismatched types', {
    inputs: { x },
    py: 'torch.isin(x, torch.tensor([True]))',
    js: ({ x }) => torch.isin(x!, torch.tensor([true])),
    expectError: /^Error: isin: /,
  });
  return cases;
}

paritySuite('parity: more indexing, shapes and products', {
  'indexing and scatter': indexingCases(),
  'shapes and products': shapeAndProductCases(),
  errors: errorCases(),
});

test('torch.functional wrappers: argument errors are TypeErrors naming the function', () => {
  torch.scope(() => {
    const a = torch.tensor([1, 2]);
    const isType = (pattern: RegExp) => (e: unknown) => e instanceof TypeError && pattern.test((e as Error).message);
    assert.throws(
      () => torch.meshgrid(a, 3 as never),
      isType(/^meshgrid: argument 'tensors' must be a Tensor, got a number/),
    );
    assert.throws(
      () => torch.cartesianProd(a, [a] as never),
      isType(/^cartesian_prod: argument 'tensors' must be a Tensor/),
    );
    assert.throws(() => torch.blockDiag(null as never), isType(/^block_diag: /));
    assert.throws(() => torch.chainMatmul(a, 'x' as never), isType(/^chain_matmul: /));
    assert.throws(() => torch.tensordot(a, a, 'x' as never), isType(/^tensordot: expects dims to be a number/));
    assert.throws(() => torch.tensordot(a, a, [[0]] as never), isType(/^tensordot: dims must be two lists/));
    assert.throws(() => torch.tensordot(a, a, 1.5), isType(/^tensordot: dims must be an integer/));
    assert.throws(() => torch.cdist(a, a, 2 as never), isType(/^cdist: expected an options object/));
    assert.throws(() => torch.tensordot(a, 'b' as never, 1), isType(/^tensordot: argument 'b' must be a Tensor/));
  });
});

test('in-place index ops return the tensor itself', () => {
  torch.scope(() => {
    const t = torch.zeros([2, 3], { dtype: 'float64' });
    const i = torch.tensor([0, 2]);
    for (const r of [
      t.indexCopy_(1, i, torch.ones([2, 2], { dtype: 'float64' })),
      t.indexFill_(0, torch.tensor([1]), torch.tensor(3, { dtype: 'float64' })),
      t.maskedScatter_(t.eq(0), torch.full([6], 5, { dtype: 'float64' })),
      t.scatterReduce_(1, torch.tensor([[0], [0]]), torch.ones([2, 1], { dtype: 'float64' }), 'sum'),
    ]) {
      assert.equal(r, t);
    }
    assert.deepEqual(t.toArray(), [
      [2, 5, 1],
      [4, 3, 3],
    ]);
  });
});
