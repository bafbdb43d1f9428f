// Parity with Python torch: reductions (sum mean std var prod max min amax amin argmax argmin
// logsumexp norm all any cumsum sort argsort topk) over all, one and several dims, with
// keepdim; and matrix products (matmul in all its rank combinations and batch broadcasting,
// mm bmm mv dot outer addmm baddbmm einsum). Values and gradients, in float64 and float32;
// one Python run for the file.
import * as torch from '../../lib/index.js';
import { generators } from '../support/data.js';
import { bool, type Case, FLOAT_DTYPES, i64, paritySuite, typed } from '../support/parity.js';

function reductionCases(): Case[] {
  const g = generators(4242);
  const cases: Case[] = [];

  const X = g.randn([3, 4, 5]);
  // Distinct values: max, min, argmax, sort and topk have no ties to break.
  const D = g.distinct([3, 4, 5], 0.37, -11);
  const SMALL = g.uniform([2, 3], 0.5, 1.5);
  const BOOLS = g.bools([3, 4], 0.7);

  for (const dt of FLOAT_DTYPES) {
    const x = typed(dt, X, true);
    const d = typed(dt, D, true);
    const s = typed(dt, SMALL, true);
    const p = (name: string, c: Omit<Case, 'name'>) => cases.push({ name: `${name} [${dt}]`, ...c });

    p('sum all', { inputs: { x }, py: 'x.sum()', js: ({ x }) => x!.sum() });
    p('sum dim', { inputs: { x }, py: 'x.sum(1)', js: ({ x }) => x!.sum(1) });
    p('sum dims', { inputs: { x }, py: 'torch.sum(x, [0, 2])', js: ({ x }) => torch.sum(x!, [0, 2]) });
    p('sum negative dim keepdim', {
      inputs: { x },
      py: 'x.sum(-1, keepdim=True)',
      js: ({ x }) => x!.sum(-1, { keepdim: true }),
    });
    p('sum dtype float64', {
      inputs: { x },
      py: 'x.sum(1, dtype=torch.float64)',
      js: ({ x }) => x!.sum(1, { dtype: 'float64' }),
    });
    p('mean all', { inputs: { x }, py: 'x.mean()', js: ({ x }) => x!.mean() });
    p('mean dims keepdim', {
      inputs: { x },
      py: 'x.mean([1, 2], keepdim=True)',
      js: ({ x }) => x!.mean([1, 2], { keepdim: true }),
    });
    p('mean dim', { inputs: { x }, py: 'torch.mean(x, 0)', js: ({ x }) => torch.mean(x!, 0) });
    p('std all', { inputs: { x }, py: 'x.std()', js: ({ x }) => x!.std() });
    p('std dim', { inputs: { x }, py: 'x.std(1)', js: ({ x }) => x!.std(1) });
    p('std correction=0', { inputs: { x }, py: 'x.std(2, correction=0)', js: ({ x }) => x!.std(2, { correction: 0 }) });
    p('var dims keepdim', {
      inputs: { x },
      py: 'x.var([0, 2], keepdim=True)',
      js: ({ x }) => x!.var([0, 2], { keepdim: true }),
    });
    p('var correction=2', {
      inputs: { x },
      py: 'torch.var(x, 1, correction=2)',
      js: ({ x }) => torch.var(x!, 1, { correction: 2 }),
    });
    p('var all', { inputs: { x }, py: 'x.var()', js: ({ x }) => x!.var() });
    p('prod', { inputs: { s }, py: 's.prod()', js: ({ s }) => s!.prod() });
    p('prod dtype', {
      inputs: { s },
      py: 's.prod(dtype=torch.float64)',
      js: ({ s }) => torch.prod(s!, { dtype: 'float64' }),
    });
    p('prod dim', { inputs: { s }, py: 's.prod(1)', js: ({ s }) => s!.prod(1) });
    p('prod negative dim keepdim dtype', {
      inputs: { s },
      py: 'torch.prod(s, -2, keepdim=True, dtype=torch.float64)',
      js: ({ s }) => torch.prod(s!, -2, { keepdim: true, dtype: 'float64' }),
    });
    p('max all', { inputs: { d }, py: 'd.max()', js: ({ d }) => d!.max() });
    p('min all', { inputs: { d }, py: 'torch.min(d)', js: ({ d }) => torch.min(d!) });
    p('max dim values and indices', {
      inputs: { d },
      py: 'tuple(d.max(1))',
      js: ({ d }) => [...d!.max(1)],
      grad: false,
    });
    p('max dim keepdim', {
      inputs: { d },
      py: 'torch.max(d, -1, keepdim=True)',
      js: ({ d }) => torch.max(d!, -1, { keepdim: true }),
      grad: false,
    });
    p('max dim values grad', { inputs: { d }, py: 'd.max(1).values', js: ({ d }) => d!.max(1).values });
    p('max dim destructured indices', {
      inputs: { d },
      py: 'd.max(2)[1]',
      js: ({ d }) => {
        const [, indices] = d!.max(2);
        return indices;
      },
    });
    p('min dim values and indices', { inputs: { d }, py: 'd.min(0)', js: ({ d }) => d!.min(0), grad: false });
    p('min dim values grad', {
      inputs: { d },
      py: 'torch.min(d, 2, keepdim=True).values',
      js: ({ d }) => torch.min(d!, 2, { keepdim: true }).values,
    });
    p('amax dims', { inputs: { d }, py: 'd.amax([0, 2])', js: ({ d }) => d!.amax([0, 2]) });
    p('amin dim keepdim', {
      inputs: { d },
      py: 'torch.amin(d, 1, keepdim=True)',
      js: ({ d }) => torch.amin(d!, 1, { keepdim: true }),
    });
    p('amax all', { inputs: { d }, py: 'd.amax()', js: ({ d }) => d!.amax() });
    p('argmax all', { inputs: { d }, py: 'd.argmax()', js: ({ d }) => d!.argmax() });
    p('argmax dim', { inputs: { d }, py: 'd.argmax(1)', js: ({ d }) => d!.argmax(1) });
    p('argmax dim keepdim', {
      inputs: { d },
      py: 'torch.argmax(d, -1, keepdim=True)',
      js: ({ d }) => torch.argmax(d!, -1, { keepdim: true }),
    });
    p('argmin all', { inputs: { d }, py: 'torch.argmin(d)', js: ({ d }) => torch.argmin(d!) });
    p('argmin dim', { inputs: { d }, py: 'd.argmin(0)', js: ({ d }) => d!.argmin(0) });
    p('logsumexp dim', { inputs: { x }, py: 'x.logsumexp(1)', js: ({ x }) => x!.logsumexp(1) });
    p('logsumexp dims keepdim', {
      inputs: { x },
      py: 'torch.logsumexp(x, [0, 2], keepdim=True)',
      js: ({ x }) => torch.logsumexp(x!, [0, 2], { keepdim: true }),
    });
    p('logsumexp large values', {
      inputs: { x },
      py: '(x * 300).logsumexp(2)',
      js: ({ x }) => x!.mul(300).logsumexp(2),
    });
    p('norm default', { inputs: { x }, py: 'x.norm()', js: ({ x }) => x!.norm() });
    p('norm p=1', { inputs: { x }, py: 'x.norm(1)', js: ({ x }) => x!.norm(1) });
    p('norm p=3 dim', { inputs: { x }, py: 'x.norm(3, 1)', js: ({ x }) => x!.norm(3, 1) });
    p('norm p=2 dims keepdim', {
      inputs: { x },
      py: 'torch.norm(x, 2, [0, 2], keepdim=True)',
      js: ({ x }) => torch.norm(x!, 2, [0, 2], { keepdim: true }),
    });
    p('norm p=inf', {
      inputs: { d },
      py: "d.norm(float('inf'), 2)",
      js: ({ d }) => d!.norm(Number.POSITIVE_INFINITY, 2),
    });
    p('norm p=0.5', { inputs: { x }, py: 'x.norm(0.5, -1)', js: ({ x }) => x!.norm(0.5, -1) });
    p('cumsum', { inputs: { x }, py: 'x.cumsum(1)', js: ({ x }) => x!.cumsum(1) });
    p('cumsum dtype', {
      inputs: { x },
      py: 'torch.cumsum(x, -1, dtype=torch.float64)',
      js: ({ x }) => torch.cumsum(x!, -1, { dtype: 'float64' }),
    });
    p('sort', { inputs: { d }, py: 'd.sort(1)', js: ({ d }) => d!.sort(1), grad: false });
    p('sort descending values grad', {
      inputs: { d },
      py: 'd.sort(descending=True).values',
      js: ({ d }) => d!.sort(-1, { descending: true }).values,
    });
    p('argsort', { inputs: { d }, py: 'torch.argsort(d, 0)', js: ({ d }) => torch.argsort(d!, 0) });
    p('argsort descending', {
      inputs: { d },
      py: 'd.argsort(descending=True)',
      js: ({ d }) => d!.argsort(-1, { descending: true }),
    });
    p('topk', { inputs: { d }, py: 'd.topk(2, 1)', js: ({ d }) => d!.topk(2, 1), grad: false });
    p('topk values grad', { inputs: { d }, py: 'torch.topk(d, 3).values', js: ({ d }) => torch.topk(d!, 3).values });
    p('topk smallest', {
      inputs: { d },
      py: 'd.topk(2, 0, largest=False)',
      js: ({ d }) => d!.topk(2, 0, { largest: false }),
      grad: false,
    });
    p('all of floats', { inputs: { x }, py: '(x > -2).all()', js: ({ x }) => x!.gt(-2).all() });
    p('any dim of floats', { inputs: { x }, py: 'torch.any(x > 1.5, 2)', js: ({ x }) => torch.any(x!.gt(1.5), 2) });
    p('all of float tensor', { inputs: { x }, py: 'x.all(1)', js: ({ x }) => x!.all(1) });
    p('composite: normalize by std', {
      inputs: { x },
      py: '(x - x.mean(1, keepdim=True)) / x.std(1, keepdim=True)',
      js: ({ x }) => x!.sub(x!.mean(1, { keepdim: true })).div(x!.std(1, { keepdim: true })),
    });
  }

  // ---- integers and bools
  const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name, ...x });
  const I = g.randint([3, 4], -20, 20);
  const DI = g.distinct([3, 4], 1, -6);
  c('int64 sum stays int64', { inputs: { x: i64(I) }, py: 'x.sum()', js: ({ x }) => x!.sum() });
  c('int64 sum dim keepdim', {
    inputs: { x: i64(I) },
    py: 'x.sum(0, keepdim=True)',
    js: ({ x }) => x!.sum(0, { keepdim: true }),
  });
  c('int64 sum dtype float32', {
    inputs: { x: i64(I) },
    py: 'x.sum(1, dtype=torch.float32)',
    js: ({ x }) => x!.sum(1, { dtype: 'float32' }),
  });
  c('int32 sum gives int64', { inputs: { x: typed('int32', I) }, py: 'x.sum(1)', js: ({ x }) => x!.sum(1) });
  c('bool sum gives int64', { inputs: { x: bool(BOOLS) }, py: 'x.sum(0)', js: ({ x }) => x!.sum(0) });
  c('int64 prod', {
    inputs: {
      x: i64([
        [1, -2, 3],
        [4, 5, -1],
      ]),
    },
    py: 'x.prod()',
    js: ({ x }) => x!.prod(),
  });
  c('int64 max and argmax', {
    inputs: { x: i64(DI) },
    py: '[x.max(), x.argmax(), x.max(1).values, x.max(1).indices]',
    js: ({ x }) => [x!.max(), x!.argmax(), x!.max(1).values, x!.max(1).indices],
  });
  c('int64 amin', { inputs: { x: i64(DI) }, py: 'x.amin(1)', js: ({ x }) => x!.amin(1) });
  c('int64 cumsum', { inputs: { x: i64(I) }, py: 'x.cumsum(0)', js: ({ x }) => x!.cumsum(0) });
  c('int64 mean with dtype', {
    inputs: { x: i64(I) },
    py: 'x.mean(dtype=torch.float64)',
    js: ({ x }) => x!.mean(null, { dtype: 'float64' }),
  });
  c('int64 sort', {
    inputs: { x: i64(DI) },
    py: 'x.sort(1, descending=True)',
    js: ({ x }) => x!.sort(1, { descending: true }),
  });
  c('all', { inputs: { x: bool(BOOLS) }, py: 'x.all()', js: ({ x }) => x!.all() });
  c('all dim', { inputs: { x: bool(BOOLS) }, py: 'x.all(1)', js: ({ x }) => torch.all(x!, 1) });
  c('all dims keepdim', {
    inputs: { x: bool(BOOLS) },
    py: 'x.all([0, 1], keepdim=True)',
    js: ({ x }) => x!.all([0, 1], { keepdim: true }),
  });
  c('any', { inputs: { x: bool(BOOLS) }, py: 'torch.any(x)', js: ({ x }) => torch.any(x!) });
  c('any dim keepdim', {
    inputs: { x: bool(BOOLS) },
    py: 'x.any(0, keepdim=True)',
    js: ({ x }) => x!.any(0, { keepdim: true }),
  });
  c('any of all-false', {
    inputs: {
      x: bool([
        [false, false],
        [false, false],
      ]),
    },
    py: 'x.any()',
    js: ({ x }) => x!.any(),
  });
  c('all of uint8 stays uint8', {
    inputs: {
      x: typed('uint8', [
        [1, 2],
        [0, 3],
      ]),
    },
    py: 'x.all(1)',
    js: ({ x }) => x!.all(1),
  });
  c('sum of empty', { inputs: { x: typed('float64', []) }, py: 'x.sum()', js: ({ x }) => x!.sum() });
  c('mean of empty is nan', { inputs: { x: typed('float64', []) }, py: 'x.mean()', js: ({ x }) => x!.mean() });
  c('max of nan', {
    inputs: { x: typed('float64', [1, Number.NaN, 3]) },
    py: '[x.max(), x.argmax(), x.sum()]',
    js: ({ x }) => [x!.max(), x!.argmax(), x!.sum()],
  });

  const XK = typed('float64', X, true);
  c('sum keepdim without dim', {
    inputs: { x: XK },
    py: 'x.sum(None, keepdim=True)',
    js: ({ x }) => x!.sum(null, { keepdim: true }),
  });
  c('mean keepdim without dim', {
    inputs: { x: XK },
    py: 'x.mean(None, keepdim=True)',
    js: ({ x }) => x!.mean(null, { keepdim: true }),
  });
  c('var keepdim without dim', {
    inputs: { x: XK },
    py: 'x.var(keepdim=True)',
    js: ({ x }) => x!.var(null, { keepdim: true }),
  });
  c('std correction=0 without dim', {
    inputs: { x: XK },
    py: 'x.std(correction=0)',
    js: ({ x }) => x!.std(null, { correction: 0 }),
  });
  c('argmax keepdim without dim', {
    inputs: { x: XK },
    py: 'x.argmax(keepdim=True)',
    js: ({ x }) => x!.argmax(null, { keepdim: true }),
  });
  c('any keepdim without dim', {
    inputs: { x: bool(BOOLS) },
    py: 'x.any(None, keepdim=True)',
    js: ({ x }) => x!.any(null, { keepdim: true }),
  });
  c('cumsum of bool gives int64', { inputs: { x: bool(BOOLS) }, py: 'x.cumsum(1)', js: ({ x }) => x!.cumsum(1) });
  c('prod of int32 gives int64', {
    inputs: {
      x: typed('int32', [
        [1, -2, 3],
        [4, 5, -1],
      ]),
    },
    py: 'x.prod()',
    js: ({ x }) => x!.prod(),
  });
  c('sort stable with ties', {
    inputs: { x: i64([[3, 1, 3, 1, 2, 3, 1]]) },
    py: 'x.sort(stable=True)',
    js: ({ x }) => x!.sort(-1, { stable: true }),
  });
  c('max of two tensors (torch.max(a, b))', {
    inputs: { x: XK, y: typed('float64', g.randn([3, 4, 5]), true) },
    py: 'torch.max(x, y)',
    js: ({ x, y }) => (torch.max as unknown as (a: torch.Tensor, b: torch.Tensor) => torch.Tensor)(x!, y!),
  });
  c('min of two tensors (x.min(y))', {
    inputs: { x: XK, y: typed('float64', g.randn([3, 4, 5]), true) },
    py: 'x.min(y)',
    js: ({ x, y }) => (x!.min as unknown as (b: torch.Tensor) => torch.Tensor).call(x!, y!),
  });

  c('error: mean of int64 without dtype', {
    inputs: { x: i64(I) },
    py: 'x.mean()',
    js: ({ x }) => x!.mean(),
    expectError: true,
  });
  c('error: max of empty', {
    inputs: { x: typed('float64', []) },
    py: 'x.max()',
    js: ({ x }) => x!.max(),
    expectError: true,
  });
  c('error: dim out of range', {
    inputs: { x: typed('float64', X) },
    py: 'x.sum(3)',
    js: ({ x }) => x!.sum(3),
    expectError: true,
  });
  return cases;
}

function linalgCases(): Case[] {
  const g = generators(31337);
  const cases: Case[] = [];

  const S = {
    m34: g.randn([3, 4]),
    m45: g.randn([4, 5]),
    m33: g.randn([3, 3]),
    m35: g.randn([3, 5]),
    v3: g.randn([3]),
    v4: g.randn([4]),
    v4b: g.randn([4]),
    b234: g.randn([2, 3, 4]),
    b245: g.randn([2, 4, 5]),
    b235: g.randn([2, 3, 5]),
    c2134: g.randn([2, 1, 3, 4]),
    c542: g.randn([5, 4, 2]),
  };

  for (const dt of FLOAT_DTYPES) {
    const t = Object.fromEntries(Object.entries(S).map(([k, v]) => [k, typed(dt, v, true)]));
    const p = (name: string, c: Omit<Case, 'name'>) => cases.push({ name: `${name} [${dt}]`, ...c });
    const { m34, m45, m33, m35, v3, v4, v4b, b234, b245, b235, c2134, c542 } = t;

    p('matmul 2-D @ 2-D', { inputs: { a: m34!, b: m45! }, py: 'a @ b', js: ({ a, b }) => a!.matmul(b!) });
    p('matmul 1-D @ 2-D', {
      inputs: { a: v4!, b: m45! },
      py: 'torch.matmul(a, b)',
      js: ({ a, b }) => torch.matmul(a!, b!),
    });
    p('matmul 2-D @ 1-D', { inputs: { a: m34!, b: v4! }, py: 'a @ b', js: ({ a, b }) => a!.matmul(b!) });
    p('matmul 1-D @ 1-D', { inputs: { a: v4!, b: v4b! }, py: 'a @ b', js: ({ a, b }) => a!.matmul(b!) });
    p('matmul 3-D @ 2-D', { inputs: { a: b234!, b: m45! }, py: 'a @ b', js: ({ a, b }) => a!.matmul(b!) });
    p('matmul 3-D @ 3-D', { inputs: { a: b234!, b: b245! }, py: 'a @ b', js: ({ a, b }) => a!.matmul(b!) });
    p('matmul 3-D @ 1-D', { inputs: { a: b234!, b: v4! }, py: 'a @ b', js: ({ a, b }) => a!.matmul(b!) });
    p('matmul 1-D @ 3-D', { inputs: { a: v4!, b: b245! }, py: 'a @ b', js: ({ a, b }) => torch.matmul(a!, b!) });
    p('matmul broadcast batch', { inputs: { a: c2134!, b: c542! }, py: 'a @ b', js: ({ a, b }) => a!.matmul(b!) });
    p('matmul of transposed', { inputs: { a: m34!, b: m35! }, py: 'a.t() @ b', js: ({ a, b }) => a!.t().matmul(b!) });
    p('mm', { inputs: { a: m34!, b: m45! }, py: 'torch.mm(a, b)', js: ({ a, b }) => torch.mm(a!, b!) });
    p('mm with transposed operand', {
      inputs: { a: m45!, b: m35! },
      py: 'b.mm(a.t()).t()',
      js: ({ a, b }) => b!.mm(a!.t()).t(),
    });
    p('bmm', { inputs: { a: b234!, b: b245! }, py: 'a.bmm(b)', js: ({ a, b }) => a!.bmm(b!) });
    p('mv', { inputs: { a: m34!, b: v4! }, py: 'torch.mv(a, b)', js: ({ a, b }) => a!.mv(b!) });
    p('dot', { inputs: { a: v4!, b: v4b! }, py: 'torch.dot(a, b)', js: ({ a, b }) => torch.dot(a!, b!) });
    p('outer', { inputs: { a: v3!, b: v4! }, py: 'a.outer(b)', js: ({ a, b }) => a!.outer(b!) });
    p('addmm', {
      inputs: { c: m35!, a: m34!, b: m45! },
      py: 'torch.addmm(c, a, b)',
      js: ({ c, a, b }) => torch.addmm(c!, a!, b!),
    });
    p('addmm beta alpha', {
      inputs: { c: m35!, a: m34!, b: m45! },
      py: 'c.addmm(a, b, beta=0.5, alpha=-2)',
      js: ({ c, a, b }) => c!.addmm(a!, b!, { beta: 0.5, alpha: -2 }),
    });
    p('addmm broadcast bias', {
      inputs: { c: typed(dt, g.randn([5]), true), a: m34!, b: m45! },
      py: 'torch.addmm(c, a, b, alpha=0.25)',
      js: ({ c, a, b }) => torch.addmm(c!, a!, b!, { alpha: 0.25 }),
    });
    p('baddbmm', {
      inputs: { c: b235!, a: b234!, b: b245! },
      py: 'torch.baddbmm(c, a, b, beta=2, alpha=0.5)',
      js: ({ c, a, b }) => torch.baddbmm(c!, a!, b!, { beta: 2, alpha: 0.5 }),
    });
    p('einsum ij,jk->ik', {
      inputs: { a: m34!, b: m45! },
      py: "torch.einsum('ij,jk->ik', a, b)",
      js: ({ a, b }) => torch.einsum('ij,jk->ik', [a!, b!]),
    });
    p('einsum bij,bjk->bik', {
      inputs: { a: b234!, b: b245! },
      py: "torch.einsum('bij,bjk->bik', a, b)",
      js: ({ a, b }) => torch.einsum('bij,bjk->bik', [a!, b!]),
    });
    p('einsum trace ii', { inputs: { a: m33! }, py: "torch.einsum('ii', a)", js: ({ a }) => torch.einsum('ii', [a!]) });
    p('einsum diagonal ii->i', {
      inputs: { a: m33! },
      py: "torch.einsum('ii->i', a)",
      js: ({ a }) => torch.einsum('ii->i', [a!]),
    });
    p('einsum outer i,j->ij', {
      inputs: { a: v3!, b: v4! },
      py: "torch.einsum('i,j->ij', a, b)",
      js: ({ a, b }) => torch.einsum('i,j->ij', [a!, b!]),
    });
    p('einsum sum ij->', {
      inputs: { a: m34! },
      py: "torch.einsum('ij->', a)",
      js: ({ a }) => torch.einsum('ij->', [a!]),
    });
    p('einsum implicit output', {
      inputs: { a: m34!, b: m45! },
      py: "torch.einsum('ij,jk', a, b)",
      js: ({ a, b }) => torch.einsum('ij,jk', [a!, b!]),
    });
    p('einsum ellipsis transpose', {
      inputs: { a: b234! },
      py: "torch.einsum('...ij->...ji', a)",
      js: ({ a }) => torch.einsum('...ij->...ji', [a!]),
    });
    p('einsum three operands', {
      inputs: { a: v3!, b: m34!, c: v4! },
      py: "torch.einsum('i,ij,j->', a, b, c)",
      js: ({ a, b, c }) => torch.einsum('i,ij,j->', [a!, b!, c!]),
    });
    p('einsum attention-like', {
      inputs: { a: b234!, b: b234! },
      py: "torch.einsum('bqd,bkd->bqk', a, b).softmax(-1)",
      js: ({ a, b }) => torch.einsum('bqd,bkd->bqk', [a!, b!]).softmax(-1),
    });
  }

  const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name, ...x });
  c('int64 matmul stays int64', {
    inputs: { a: i64(g.randint([3, 4], -5, 5)), b: i64(g.randint([4, 2], -5, 5)) },
    py: 'a @ b',
    js: ({ a, b }) => a!.matmul(b!),
  });
  c('int64 mm', {
    inputs: { a: i64(g.randint([2, 3], -5, 5)), b: i64(g.randint([3, 2], -5, 5)) },
    py: 'torch.mm(a, b)',
    js: ({ a, b }) => torch.mm(a!, b!),
  });
  c('float64 matmul larger', {
    inputs: { a: typed('float64', g.randn([17, 33]), true), b: typed('float64', g.randn([33, 9]), true) },
    py: 'a @ b',
    js: ({ a, b }) => a!.matmul(b!),
  });
  c('float32 matmul larger', {
    inputs: { a: typed('float32', g.randn([17, 33]), true), b: typed('float32', g.randn([33, 9]), true) },
    py: 'a @ b',
    js: ({ a, b }) => a!.matmul(b!),
  });

  c('einsum with spaces', {
    inputs: { a: typed('float64', S.m34, true), b: typed('float64', S.m45, true) },
    py: "torch.einsum('ij, jk -> ik', a, b)",
    js: ({ a, b }) => torch.einsum('ij, jk -> ik', [a!, b!]),
  });
  c('error: matmul of a 0-d tensor', {
    inputs: { a: typed('float64', 2), b: typed('float64', S.m34) },
    py: 'torch.matmul(a, b)',
    js: ({ a, b }) => a!.matmul(b!),
    expectError: true,
  });
  c('error: mm inner sizes differ', {
    inputs: { a: typed('float64', S.m34), b: typed('float64', S.m35) },
    py: 'torch.mm(a, b)',
    js: ({ a, b }) => torch.mm(a!, b!),
    expectError: true,
  });
  c('error: mm of mixed dtypes', {
    inputs: { a: typed('float64', S.m34), b: typed('float32', S.m45) },
    py: 'torch.mm(a, b)',
    js: ({ a, b }) => torch.mm(a!, b!),
    expectError: true,
  });
  c('error: bmm of 2-D', {
    inputs: { a: typed('float64', S.m34), b: typed('float64', S.m45) },
    py: 'torch.bmm(a, b)',
    js: ({ a, b }) => torch.bmm(a!, b!),
    expectError: true,
  });
  c('error: einsum with a wrong operand count', {
    inputs: { a: typed('float64', S.m34) },
    py: "torch.einsum('ij,jk->ik', a)",
    js: ({ a }) => torch.einsum('ij,jk->ik', [a!]),
    expectError: true,
  });
  return cases;
}

paritySuite('parity: reductions and linear algebra', {
  reductions: reductionCases(),
  'linear algebra': linalgCases(),
});
