// Parity with Python torch for the scans and reductions added to ops.table: cumprod cummax
// cummin logcumsumexp, median nanmedian (all and dim), mode kthvalue, nanmean nansum, quantile
// nanquantile (q as a number or tensor, every interpolation), aminmax, varMean stdMean,
// countNonzero histc bincount, unique uniqueConsecutive (lib/torch/functional.ts over ATen's
// kernels), searchsorted bucketize, trace diff cov corrcoef. Values and gradients in float64,
// float32 to the bit, integer dtypes, NaN, ties, empty tensors, and the errors PyTorch raises
// as JS Errors naming the op. One Python run for the file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../../lib/index.js';
import { generators } from '../support/data.js';
import { type Case, FLOAT_DTYPES, i32, i64, paritySuite, typed } from '../support/parity.js';

function scanAndReductionCases(): Case[] {
  const g = generators(777);
  const cases: Case[] = [];

  const X = g.randn([3, 4, 5]);
  const D = g.distinct([3, 4, 5], 0.37, -11);
  const SMALL = g.uniform([3, 4], 0.5, 1.5);
  const M = g.randn([4, 6]);

  for (const dt of FLOAT_DTYPES) {
    const exact = dt === 'float32' ? { rtol: 0, atol: 0 } : {};
    const p = (name: string, c: Omit<Case, 'name'>) => cases.push({ name: `${name} [${dt}]`, ...exact, ...c });
    const x = typed(dt, X, true);
    const d = typed(dt, D, true);
    const s = typed(dt, SMALL, true);
    const m = typed(dt, M, true);

    // ---- scans
    p('cumprod', { inputs: { s }, py: 'torch.cumprod(s, 1)', js: ({ s }) => torch.cumprod(s!, 1) });
    p('cumprod method dtype', {
      inputs: { s },
      py: 's.cumprod(0, dtype=torch.float64)',
      js: ({ s }) => s!.cumprod(0, { dtype: 'float64' }),
    });
    p('cummax values and indices', {
      inputs: { d },
      py: 'tuple(torch.cummax(d, 1))',
      js: ({ d }) => [...torch.cummax(d!, 1)],
      grad: false,
    });
    p('cummax values grad', { inputs: { d }, py: 'd.cummax(-1).values', js: ({ d }) => d!.cummax(-1).values });
    p('cummin values and indices', {
      inputs: { d },
      py: 'out = list(d.cummin(0))',
      js: ({ d }) => {
        const { values, indices } = d!.cummin(0);
        return [values, indices];
      },
      grad: false,
    });
    p('cummin values grad', { inputs: { d }, py: 'torch.cummin(d, 2)[0]', js: ({ d }) => torch.cummin(d!, 2)[0] });
    p('logcumsumexp', { inputs: { x }, py: 'torch.logcumsumexp(x, 2)', js: ({ x }) => torch.logcumsumexp(x!, 2) });
    p('logcumsumexp method', { inputs: { x }, py: 'x.logcumsumexp(0)', js: ({ x }) => x!.logcumsumexp(0) });

    // ---- order statistics
    p('median all', { inputs: { x }, py: 'x.median()', js: ({ x }) => x!.median() });
    p('median dim values and indices', {
      inputs: { d },
      py: 'tuple(torch.median(d, 1))',
      js: ({ d }) => [...torch.median(d!, 1)],
      grad: false,
    });
    p('median dim keepdim grad', {
      inputs: { x },
      py: 'x.median(-1, keepdim=True).values',
      js: ({ x }) => x!.median(-1, { keepdim: true }).values,
    });
    p('nanmedian all', { inputs: { x }, py: 'torch.nanmedian(x)', js: ({ x }) => torch.nanmedian(x!) });
    p('nanmedian dim grad', { inputs: { x }, py: 'x.nanmedian(0).values', js: ({ x }) => x!.nanmedian(0).values });
    p('mode default dim', { inputs: { d }, py: 'tuple(d.mode())', js: ({ d }) => [...d!.mode()], grad: false });
    p('mode dim keepdim grad', {
      inputs: { d },
      py: 'torch.mode(d, 1, keepdim=True).values',
      js: ({ d }) => torch.mode(d!, 1, { keepdim: true }).values,
    });
    p('kthvalue', {
      inputs: { d },
      py: 'tuple(torch.kthvalue(d, 2))',
      js: ({ d }) => [...torch.kthvalue(d!, 2)],
      grad: false,
    });
    p('kthvalue dim keepdim grad', {
      inputs: { d },
      py: 'd.kthvalue(3, 1, keepdim=True).values',
      js: ({ d }) => d!.kthvalue(3, 1, { keepdim: true }).values,
    });

    // ---- NaN-aware reductions
    p('nansum all', { inputs: { x }, py: 'torch.nansum(x)', js: ({ x }) => torch.nansum(x!) });
    p('nansum dims keepdim', {
      inputs: { x },
      py: 'x.nansum([0, 2], keepdim=True)',
      js: ({ x }) => x!.nansum([0, 2], { keepdim: true }),
    });
    p('nanmean dim dtype', {
      inputs: { x },
      py: 'torch.nanmean(x, 1, dtype=torch.float64)',
      js: ({ x }) => torch.nanmean(x!, 1, { dtype: 'float64' }),
    });
    p('nanmean all', { inputs: { x }, py: 'x.nanmean()', js: ({ x }) => x!.nanmean() });

    // ---- quantiles
    p('quantile scalar all', { inputs: { x }, py: 'torch.quantile(x, 0.3)', js: ({ x }) => torch.quantile(x!, 0.3) });
    p('quantile tensor q dim keepdim', {
      inputs: { x, q: typed(dt, [0, 0.25, 0.5, 0.9, 1]) },
      py: 'x.quantile(q, 1, keepdim=True)',
      js: ({ x, q }) => x!.quantile(q!, 1, { keepdim: true }),
    });
    for (const interpolation of ['linear', 'lower', 'higher', 'midpoint', 'nearest']) {
      p(`quantile interpolation ${interpolation}`, {
        inputs: { m },
        py: `torch.quantile(m, 0.35, -1, interpolation='${interpolation}')`,
        js: ({ m }) => torch.quantile(m!, 0.35, -1, { interpolation }),
      });
      p(`nanquantile interpolation ${interpolation}`, {
        inputs: { m },
        py: `m.nanquantile(torch.tensor([0.1, 0.5], dtype=m.dtype), 0, interpolation='${interpolation}')`,
        js: ({ m }) => m!.nanquantile(torch.tensor([0.1, 0.5], { dtype: m!.dtype }), 0, { interpolation }),
      });
    }
    p('nanquantile scalar', {
      inputs: { x },
      py: 'torch.nanquantile(x, 0.75)',
      js: ({ x }) => torch.nanquantile(x!, 0.75),
    });

    // ---- several results at once
    p('aminmax all', {
      inputs: { d },
      py: 'out = list(torch.aminmax(d))',
      js: ({ d }) => {
        const { min, max } = torch.aminmax(d!);
        return [min, max];
      },
      grad: false,
    });
    p('aminmax dim keepdim', {
      inputs: { d },
      py: 'tuple(d.aminmax(dim=1, keepdim=True))',
      js: ({ d }) => [...d!.aminmax({ dim: 1, keepdim: true })],
      grad: false,
    });
    p('aminmax grad', {
      inputs: { d },
      py: '(lambda r: r.min * 2 + r.max)(torch.aminmax(d, dim=-1))',
      js: ({ d }) => {
        const r = torch.aminmax(d!, { dim: -1 });
        return r.min.mul(2).add(r.max);
      },
    });
    p('varMean all', {
      inputs: { x },
      py: 'tuple(torch.var_mean(x))',
      js: ({ x }) => [...torch.varMean(x!)],
      grad: false,
    });
    p('varMean dims correction keepdim', {
      inputs: { x },
      py: 'tuple(torch.var_mean(x, [0, 2], correction=0, keepdim=True))',
      js: ({ x }) => [...torch.varMean(x!, [0, 2], { correction: 0, keepdim: true })],
      grad: false,
    });
    p('varMean grad', {
      inputs: { x },
      py: '(lambda r: r[0] + 2 * r[1])(torch.var_mean(x, 1, correction=2))',
      js: ({ x }) => {
        const [v, mean] = torch.varMean(x!, 1, { correction: 2 });
        return v.add(mean.mul(2));
      },
    });
    p('stdMean dim', {
      inputs: { x },
      py: 'tuple(torch.std_mean(x, 1))',
      js: ({ x }) => [...torch.stdMean(x!, 1)],
      grad: false,
    });
    p('stdMean grad', {
      inputs: { x },
      py: '(lambda r: r[0] * r[1])(torch.std_mean(x, -1, keepdim=True))',
      js: ({ x }) => {
        const [sd, mean] = torch.stdMean(x!, -1, { keepdim: true });
        return sd.mul(mean);
      },
    });

    // ---- counting and histograms
    p('countNonzero', {
      inputs: {
        z: typed(dt, [
          [0, 1.5, 0],
          [2, 0, -3],
        ]),
      },
      py: 'out = [torch.count_nonzero(z), z.count_nonzero(1), torch.count_nonzero(z, [0, 1]), z.count_nonzero(-2)]',
      js: ({ z }) => [torch.countNonzero(z!), z!.countNonzero(1), torch.countNonzero(z!, [0, 1]), z!.countNonzero(-2)],
    });
    p('histc defaults (data range)', { inputs: { x }, py: 'torch.histc(x)', js: ({ x }) => torch.histc(x!) });
    p('histc bins min max', {
      inputs: { x },
      py: 'x.histc(bins=7, min=-1, max=1.5)',
      js: ({ x }) => x!.histc({ bins: 7, min: -1, max: 1.5 }),
    });

    // ---- trace, diff, cov, corrcoef
    p('trace', { inputs: { m }, py: 'torch.trace(m)', js: ({ m }) => torch.trace(m!) });
    p('trace method', { inputs: { s }, py: 's.trace()', js: ({ s }) => s!.trace() });
    p('diff default', { inputs: { x }, py: 'torch.diff(x)', js: ({ x }) => torch.diff(x!) });
    p('diff n dim', { inputs: { x }, py: 'x.diff(n=2, dim=1)', js: ({ x }) => x!.diff({ n: 2, dim: 1 }) });
    p('diff prepend append', {
      inputs: { m, a: typed(dt, g.randn([4, 2]), true), b: typed(dt, g.randn([4, 1]), true) },
      py: 'torch.diff(m, prepend=a, append=b)',
      js: ({ m, a, b }) => torch.diff(m!, { prepend: a!, append: b! }),
    });
    p('cov', { inputs: { m }, py: 'torch.cov(m)', js: ({ m }) => torch.cov(m!) });
    p('cov correction aweights', {
      inputs: { m, w: typed(dt, g.uniform([6], 0.5, 2), true) },
      py: 'm.cov(correction=0, aweights=w)',
      js: ({ m, w }) => m!.cov({ correction: 0, aweights: w! }),
    });
    p('cov fweights', {
      inputs: { m, f: i64([1, 2, 1, 3, 1, 2]) },
      py: 'torch.cov(m, fweights=f)',
      js: ({ m, f }) => torch.cov(m!, { fweights: f! }),
    });
    p('corrcoef', { inputs: { m }, py: 'torch.corrcoef(m)', js: ({ m }) => torch.corrcoef(m!) });
    p('corrcoef method', { inputs: { m }, py: 'm.corrcoef()', js: ({ m }) => m!.corrcoef() });
  }
  return cases;
}

function edgeCases(): Case[] {
  const cases: Case[] = [];
  const c = (name: string, cs: Omit<Case, 'name'>) => cases.push({ name, ...cs });
  const NAN = [
    [1, Number.NaN, 3, -2],
    [Number.NaN, Number.NaN, 0.5, 4],
    [2, 2, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
  ];
  for (const dt of FLOAT_DTYPES) {
    const nan = typed(dt, NAN, true);
    c(`median and nanmedian with NaN [${dt}]`, {
      inputs: { nan },
      py: 'out = [nan.median(), nan.nanmedian(), *nan.median(1), *nan.nanmedian(1)]',
      js: ({ nan }) => [nan!.median(), nan!.nanmedian(), ...nan!.median(1), ...nan!.nanmedian(1)],
    });
    c(`nanmedian grad with NaN [${dt}]`, {
      inputs: { nan },
      py: 'nan.nanmedian(1).values',
      js: ({ nan }) => nan!.nanmedian(1).values,
    });
    c(`nansum and nanmean with NaN [${dt}]`, {
      inputs: { nan },
      py: 'nan.nansum(1) + nan.nanmean(1) * 3',
      js: ({ nan }) => nan!.nansum(1).add(nan!.nanmean(1).mul(3)),
    });
    c(`quantile and nanquantile with NaN [${dt}]`, {
      inputs: { nan },
      py: 'out = [nan.quantile(0.5, 1), nan.nanquantile(0.5, 1), nan.nanquantile(0.2), nan.quantile(0.2)]',
      js: ({ nan }) => [nan!.quantile(0.5, 1), nan!.nanquantile(0.5, 1), nan!.nanquantile(0.2), nan!.quantile(0.2)],
    });
    c(`cummax cummin logcumsumexp cumprod with NaN and inf [${dt}]`, {
      inputs: { nan },
      py: 'out = [*nan.cummax(1), *nan.cummin(1), nan.logcumsumexp(1), nan.cumprod(1)]',
      js: ({ nan }) => [...nan!.cummax(1), ...nan!.cummin(1), nan!.logcumsumexp(1), nan!.cumprod(1)],
    });
    c(`aminmax and mode with NaN [${dt}]`, {
      inputs: { nan },
      py: 'out = [*nan.aminmax(dim=1), *nan.mode(1)]',
      js: ({ nan }) => [...nan!.aminmax({ dim: 1 }), ...nan!.mode(1)],
    });
    // Ties: an even count takes the lower median; mode takes the smallest most frequent value.
    const TIES = [
      [3, 1, 3, 1, 2, 2],
      [5, 5, 5, 0, 0, 0],
    ];
    c(`median, mode, kthvalue with ties [${dt}]`, {
      inputs: { t: typed(dt, TIES) },
      py: 'out = [t.median(), *t.median(1), *t.mode(1), *t.kthvalue(3, 1), *t.cummax(1)]',
      js: ({ t }) => [t!.median(), ...t!.median(1), ...t!.mode(1), ...t!.kthvalue(3, 1), ...t!.cummax(1)],
    });
    c(`median with ties grad [${dt}]`, {
      inputs: { t: typed(dt, TIES, true) },
      py: 't.median()',
      js: ({ t }) => t!.median(),
    });
    c(`cumprod through zeros grad [${dt}]`, {
      inputs: {
        z: typed(
          dt,
          [
            [2, 0, 3, 0.5],
            [0, 0, 1, 4],
          ],
          true,
        ),
      },
      py: 'z.cumprod(1)',
      js: ({ z }) => z!.cumprod(1),
    });
    c(`histc ignores values outside [min, max] [${dt}]`, {
      inputs: { h: typed(dt, [0.5, 1, 1, 2.5, 3, -1, 7]) },
      py: 'torch.histc(h, bins=4, min=0, max=3)',
      js: ({ h }) => torch.histc(h!, { bins: 4, min: 0, max: 3 }),
    });
  }
  c('empty: nansum, nanmean, cumprod, logcumsumexp, countNonzero, diff', {
    inputs: { e: typed('float64', []) },
    py: 'out = [e.nansum(), e.nanmean(), e.cumprod(0), e.logcumsumexp(0), e.count_nonzero(), e.diff(), torch.histc(e, bins=3)]',
    js: ({ e }) => [
      e!.nansum(),
      e!.nanmean(),
      e!.cumprod(0),
      e!.logcumsumexp(0),
      e!.countNonzero(),
      e!.diff(),
      torch.histc(e!, { bins: 3 }),
    ],
  });
  c('integer dtypes: cumprod, cummax, median, mode, kthvalue, aminmax, nansum, trace, diff', {
    inputs: {
      i: i64([
        [3, -1, 4, 1],
        [5, 9, -2, 6],
        [5, 3, 5, 8],
      ]),
    },
    py: 'out = [i.cumprod(1), *i.cummax(0), i.median(), *i.median(1), *i.mode(0), *i.kthvalue(2, 1), *i.aminmax(), i.nansum(1), i.trace(), i.diff(dim=0), i.count_nonzero(0)]',
    js: ({ i }) => [
      i!.cumprod(1),
      ...i!.cummax(0),
      i!.median(),
      ...i!.median(1),
      ...i!.mode(0),
      ...i!.kthvalue(2, 1),
      ...i!.aminmax(),
      i!.nansum(1),
      i!.trace(),
      i!.diff({ dim: 0 }),
      i!.countNonzero(0),
    ],
  });
  c('int32 cumprod keeps int64 as PyTorch (and dtype option)', {
    inputs: { i: i32([2, 3, -4]) },
    py: 'out = [i.cumprod(0), i.cumprod(0, dtype=torch.int32), i.cov(), torch.diff(i, prepend=torch.tensor([1], dtype=torch.int32))]',
    js: ({ i }) => [
      i!.cumprod(0),
      i!.cumprod(0, { dtype: 'int32' }),
      i!.cov(),
      torch.diff(i!, { prepend: torch.tensor([1], { dtype: 'int32' }) }),
    ],
  });
  c('bool diff and countNonzero', {
    inputs: { b: typed('bool', [true, true, false, true]) },
    py: 'out = [b.diff(), b.count_nonzero()]',
    js: ({ b }) => [b!.diff(), b!.countNonzero()],
  });
  return cases;
}

function countingCases(): Case[] {
  const cases: Case[] = [];
  const c = (name: string, cs: Omit<Case, 'name'>) => cases.push({ name, ...cs });
  const IDX = [0, 3, 1, 1, 7, 3, 3, 0];
  c('bincount int64', { inputs: { i: i64(IDX) }, py: 'torch.bincount(i)', js: ({ i }) => torch.bincount(i!) });
  c('bincount int32 minlength', {
    inputs: { i: i32(IDX) },
    py: 'i.bincount(minlength=12)',
    js: ({ i }) => i!.bincount({ minlength: 12 }),
  });
  c('bincount uint8', {
    inputs: { i: typed('uint8', IDX) },
    py: 'torch.bincount(i)',
    js: ({ i }) => torch.bincount(i!),
  });
  for (const dt of FLOAT_DTYPES) {
    c(`bincount weights [${dt}]`, {
      inputs: { i: i64(IDX), w: typed(dt, [0.5, 1, -2, 0.25, 3, 1, 1.5, 2]) },
      py: 'torch.bincount(i, weights=w, minlength=3)',
      js: ({ i, w }) => torch.bincount(i!, { weights: w!, minlength: 3 }),
      rtol: dt === 'float32' ? 0 : undefined,
      atol: dt === 'float32' ? 0 : undefined,
    });
  }
  c('bincount empty', {
    inputs: { e: i64([]) },
    py: 'out = [torch.bincount(e), torch.bincount(e, minlength=4)]',
    js: ({ e }) => [torch.bincount(e!), torch.bincount(e!, { minlength: 4 })],
  });

  // ---- unique and uniqueConsecutive (torch.functional's front ends)
  const U = [
    [3, 1, 2, 3],
    [1, 1, 5, 2],
    [3, 1, 2, 3],
  ];
  for (const [label, mk] of [
    ['int64', i64],
    ['int32', i32],
    ['float64', (d: number[][]) => typed('float64', d)],
    ['float32', (d: number[][]) => typed('float32', d)],
    ['uint8', (d: number[][]) => typed('uint8', d)],
  ] as const) {
    const u = mk(U);
    c(`unique [${label}]`, { inputs: { u }, py: 'torch.unique(u)', js: ({ u }) => torch.unique(u!) });
    c(`unique returnInverse [${label}]`, {
      inputs: { u },
      py: 'torch.unique(u, return_inverse=True)',
      js: ({ u }) => torch.unique(u!, { returnInverse: true }),
    });
    c(`unique returnCounts [${label}]`, {
      inputs: { u },
      py: 'u.unique(return_counts=True)',
      js: ({ u }) => u!.unique({ returnCounts: true }),
    });
    c(`unique all results [${label}]`, {
      inputs: { u },
      py: 'torch.unique(u, sorted=True, return_inverse=True, return_counts=True)',
      js: ({ u }) => torch.unique(u!, { sorted: true, returnInverse: true, returnCounts: true }),
    });
    c(`unique dim=0 [${label}]`, {
      inputs: { u },
      py: 'torch.unique(u, dim=0, return_inverse=True, return_counts=True)',
      js: ({ u }) => torch.unique(u!, { dim: 0, returnInverse: true, returnCounts: true }),
    });
    c(`unique dim=1 [${label}]`, { inputs: { u }, py: 'u.unique(dim=1)', js: ({ u }) => u!.unique({ dim: 1 }) });
    c(`uniqueConsecutive [${label}]`, {
      inputs: { u },
      py: 'torch.unique_consecutive(u.flatten(), return_inverse=True, return_counts=True)',
      js: ({ u }) => torch.uniqueConsecutive(u!.flatten(), { returnInverse: true, returnCounts: true }),
    });
    c(`uniqueConsecutive dim [${label}]`, {
      inputs: { u },
      py: 'u.unique_consecutive(return_counts=True, dim=1)',
      js: ({ u }) => u!.uniqueConsecutive({ returnCounts: true, dim: 1 }),
    });
  }
  c('unique of NaN, inf and -0 keeps each NaN', {
    inputs: { f: typed('float64', [2, Number.NaN, 1, Number.POSITIVE_INFINITY, Number.NaN, 1, 0]) },
    py: 'torch.unique(f, return_counts=True)',
    js: ({ f }) => torch.unique(f!, { returnCounts: true }),
  });
  c('unique of bool', {
    inputs: { b: typed('bool', [true, false, true]) },
    py: 'b.unique(return_inverse=True)',
    js: ({ b }) => b!.unique({ returnInverse: true }),
  });
  c('unique of empty', {
    inputs: { e: i64([]) },
    py: 'torch.unique(e, return_inverse=True, return_counts=True)',
    js: ({ e }) => torch.unique(e!, { returnInverse: true, returnCounts: true }),
  });
  c('uniqueConsecutive plain', {
    inputs: { i: i64([1, 1, 2, 2, 3, 1, 1, 2]) },
    py: 'torch.unique_consecutive(i)',
    js: ({ i }) => torch.uniqueConsecutive(i!),
  });

  // ---- searchsorted and bucketize
  const SEQ = [1, 3, 5, 7, 9];
  const VALS = [
    [3, 6, 9],
    [0, 10, 5],
  ];
  for (const [label, mk] of [
    ['int64', i64],
    ['float64', (d: number[] | number[][]) => typed('float64', d)],
    ['float32', (d: number[] | number[][]) => typed('float32', d)],
  ] as const) {
    const seq = mk(SEQ);
    const v = mk(VALS);
    c(`searchsorted [${label}]`, {
      inputs: { seq, v },
      py: 'torch.searchsorted(seq, v)',
      js: ({ seq, v }) => torch.searchsorted(seq!, v!),
    });
    c(`searchsorted right outInt32 [${label}]`, {
      inputs: { seq, v },
      py: 'torch.searchsorted(seq, v, right=True, out_int32=True)',
      js: ({ seq, v }) => torch.searchsorted(seq!, v!, { right: true, outInt32: true }),
    });
    c(`searchsorted side [${label}]`, {
      inputs: { seq, v },
      py: "torch.searchsorted(seq, v, side='right')",
      js: ({ seq, v }) => torch.searchsorted(seq!, v!, { side: 'right' }),
    });
    c(`bucketize [${label}]`, {
      inputs: { seq, v },
      py: 'torch.bucketize(v, seq)',
      js: ({ seq, v }) => torch.bucketize(v!, seq!),
    });
    c(`bucketize right outInt32 [${label}]`, {
      inputs: { seq, v },
      py: 'torch.bucketize(v, seq, right=True, out_int32=True)',
      js: ({ seq, v }) => torch.bucketize(v!, seq!, { right: true, outInt32: true }),
    });
  }
  c('searchsorted number value', {
    inputs: { seq: i64(SEQ) },
    py: 'out = [torch.searchsorted(seq, 5), torch.searchsorted(seq, 5, right=True)]',
    js: ({ seq }) => [torch.searchsorted(seq!, 5), torch.searchsorted(seq!, 5, { right: true })],
  });
  c('bucketize number value', {
    inputs: { seq: i64(SEQ) },
    py: 'torch.bucketize(4, seq)',
    js: ({ seq }) => torch.bucketize(4, seq!),
  });
  c('searchsorted batched rows', {
    inputs: {
      seq: typed('float64', [
        [1, 2, 3],
        [-5, 0, 5],
      ]),
      v: typed('float64', [
        [2.5, 0],
        [5, -6],
      ]),
    },
    py: 'torch.searchsorted(seq, v)',
    js: ({ seq, v }) => torch.searchsorted(seq!, v!),
  });
  c('searchsorted sorter', {
    inputs: { seq: typed('float64', [5, 1, 3, 9]), v: typed('float64', [2, 9, 0]) },
    py: 'torch.searchsorted(seq, v, sorter=torch.argsort(seq))',
    js: ({ seq, v }) => torch.searchsorted(seq!, v!, { sorter: torch.argsort(seq!) }),
  });
  c('searchsorted NaN and inf', {
    inputs: {
      seq: typed('float64', [1, 2, Number.POSITIVE_INFINITY]),
      v: typed('float64', [Number.NaN, Number.POSITIVE_INFINITY, -1]),
    },
    py: 'out = [torch.searchsorted(seq, v), torch.bucketize(v, seq, right=True)]',
    js: ({ seq, v }) => [torch.searchsorted(seq!, v!), torch.bucketize(v!, seq!, { right: true })],
  });
  return cases;
}

function errorCases(): Case[] {
  const cases: Case[] = [];
  const c = (name: string, cs: Omit<Case, 'name'>) => cases.push({ name, ...cs });
  const x = typed('float64', [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const i = i64([1, 2, 3]);
  c('error: median dim out of range', {
    inputs: { x },
    py: 'x.median(2)',
    js: ({ x }) => x!.median(2),
    expectError: /^Error: median: Dimension out of range/,
  });
  c('error: cumprod dim out of range', {
    inputs: { x },
    py: 'x.cumprod(-3)',
    js: ({ x }) => x!.cumprod(-3),
    expectError: /^Error: cumprod: Dimension out of range/,
  });
  c('error: cummax dim out of range', {
    inputs: { x },
    py: 'x.cummax(5)',
    js: ({ x }) => x!.cummax(5),
    expectError: /^Error: cummax: Dimension out of range/,
  });
  c('error: kthvalue k out of range', {
    inputs: { x },
    py: 'x.kthvalue(4)',
    js: ({ x }) => x!.kthvalue(4),
    expectError: /^Error: kthvalue: /,
  });
  c('error: mode dim out of range', {
    inputs: { x },
    py: 'x.mode(3)',
    js: ({ x }) => x!.mode(3),
    expectError: /^Error: mode: Dimension out of range/,
  });
  c('error: quantile q out of [0, 1]', {
    inputs: { x },
    py: 'x.quantile(1.5)',
    js: ({ x }) => x!.quantile(1.5),
    expectError: /^Error: quantile: .*q must be in the range \[0, 1\]/,
  });
  c('error: quantile of int64', {
    inputs: { i },
    py: 'i.quantile(0.5)',
    js: ({ i }) => i!.quantile(0.5),
    expectError: /^Error: quantile: .*float or double/,
  });
  c('error: quantile bad interpolation', {
    inputs: { x },
    py: "x.quantile(0.5, interpolation='cubic')",
    js: ({ x }) => x!.quantile(0.5, null, { interpolation: 'cubic' }),
    expectError: /^Error: quantile: .*interpolation must be one of/,
  });
  c('error: nanmean of int64', {
    inputs: { i },
    py: 'i.nanmean()',
    js: ({ i }) => i!.nanmean(),
    expectError: /^Error: nanmean: .*floating point/,
  });
  c('error: nansum dim out of range', {
    inputs: { x },
    py: 'x.nansum(4)',
    js: ({ x }) => x!.nansum(4),
    expectError: /^Error: nansum: Dimension out of range/,
  });
  c('error: varMean dim out of range', {
    inputs: { x },
    py: 'torch.var_mean(x, 2)',
    js: ({ x }) => torch.varMean(x!, 2),
    expectError: /^Error: var_mean: Dimension out of range/,
  });
  c('error: aminmax of empty along dim', {
    inputs: { e: typed('float64', [[], []]) },
    py: 'torch.aminmax(e, dim=1)',
    js: ({ e }) => torch.aminmax(e!, { dim: 1 }),
    expectError: /^Error: aminmax: /,
  });
  c('error: histc of int64', {
    inputs: { i },
    py: 'torch.histc(i)',
    js: ({ i }) => torch.histc(i!),
    expectError: /^Error: histc: /,
  });
  c('error: bincount of floats', {
    inputs: { x },
    py: 'torch.bincount(x.flatten())',
    js: ({ x }) => torch.bincount(x!.flatten()),
    expectError: /^Error: bincount: /,
  });
  c('error: bincount of negative values', {
    inputs: { n: i64([1, -1]) },
    py: 'torch.bincount(n)',
    js: ({ n }) => torch.bincount(n!),
    expectError: /^Error: bincount: .*non-negative/,
  });
  c('error: unique dim out of range', {
    inputs: { x },
    py: 'torch.unique(x, dim=2)',
    js: ({ x }) => torch.unique(x!, { dim: 2 }),
    expectError: /^Error: unique: Dimension out of range/,
  });
  c('error: searchsorted bad side', {
    inputs: { i },
    py: "torch.searchsorted(i, i, side='middle')",
    js: ({ i }) => torch.searchsorted(i!, i!, { side: 'middle' }),
    expectError: /^Error: searchsorted: .*side/,
  });
  c('error: searchsorted side contradicts right', {
    inputs: { i },
    py: "torch.searchsorted(i, i, side='left', right=True)",
    js: ({ i }) => torch.searchsorted(i!, i!, { side: 'left', right: true }),
    expectError: /^Error: searchsorted: /,
  });
  c('error: trace of 3-D', {
    inputs: { t: typed('float64', [[[1]]]) },
    py: 'torch.trace(t)',
    js: ({ t }) => torch.trace(t!),
    expectError: /^Error: trace: /,
  });
  c('error: diff dim out of range', {
    inputs: { x },
    py: 'x.diff(dim=2)',
    js: ({ x }) => x!.diff({ dim: 2 }),
    expectError: /^Error: diff: Dimension out of range/,
  });
  c('error: cov of 3-D', {
    inputs: { t: typed('float64', [[[1]]]) },
    py: 'torch.cov(t)',
    js: ({ t }) => torch.cov(t!),
    expectError: /^Error: cov: /,
  });
  c('error: logcumsumexp of int64', {
    inputs: { i },
    py: 'i.logcumsumexp(0)',
    js: ({ i }) => i!.logcumsumexp(0),
    expectError: /^Error: logcumsumexp: /,
  });
  return cases;
}

paritySuite('parity: more scans and reductions', {
  'scans and reductions': scanAndReductionCases(),
  'NaN, ties, empty, integers': edgeCases(),
  'bincount, unique, searchsorted': countingCases(),
  errors: errorCases(),
});

test('unique and uniqueConsecutive: options must be an object; results as Python chooses', () => {
  torch.scope(() => {
    const u = torch.tensor([2, 1, 2]);
    assert.throws(
      () => torch.unique(u, true as never),
      (e: Error) => e instanceof TypeError && /^unique: expected an options object/.test(e.message),
    );
    assert.throws(
      () => u.uniqueConsecutive(0 as never),
      (e: Error) => e instanceof TypeError && /^uniqueConsecutive: expected an options object/.test(e.message),
    );
    assert.throws(
      () => torch.unique(u, { sorted: 'yes' as never }),
      (e: Error) => e instanceof TypeError && /^unique: .*sorted/.test(e.message),
    );
    assert.ok(torch.unique(u) instanceof torch.Tensor);
    const [out, inverse] = torch.unique(u, { returnInverse: true });
    assert.deepEqual(out.toArray(), [1, 2]);
    assert.deepEqual(inverse.toArray(), [1, 0, 1]);
    assert.equal(torch.unique(u, { returnInverse: true, returnCounts: true }).length, 3);
  });
});

test('median, mode, aminmax results destructure and read by name', () => {
  torch.scope(() => {
    const x = torch.tensor(
      [
        [3, 1, 2],
        [6, 5, 4],
      ],
      { dtype: 'float64' },
    );
    const [values, indices] = x.median(1);
    assert.deepEqual(values.toArray(), [2, 5]);
    assert.deepEqual(x.median(1).indices.toArray(), indices.toArray());
    const { min, max } = x.aminmax();
    assert.deepEqual([min.item(), max.item()], [1, 6]);
    const [v, m] = torch.varMean(x);
    assert.ok(v instanceof torch.Tensor && m instanceof torch.Tensor);
  });
});
