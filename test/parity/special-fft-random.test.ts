// Parity with Python torch: torch.special (values and gradients in float64, float32 to the bit,
// the number-first overloads, integer inputs), the real-valued torch.fft helpers (fftfreq
// rfftfreq fftshift ifftshift), and the in-place samplers (exponential_ geometric_ cauchy_
// log_normal_ random_, and normal_ uniform_ bernoulli_): after torch.manualSeed(s) they give
// PyTorch's numbers after torch.manual_seed(s), bit for bit. fill_diagonal_ too. One Python run.
import * as torch from '../../lib/index.js';
import { generators } from '../support/data.js';
import { type Case, FLOAT_DTYPES, f64, i64, paritySuite, typed } from '../support/parity.js';

const S = torch.special;

function specialCases(): Case[] {
  const g = generators(5772);
  const cases: Case[] = [];
  const X = g.randn([3, 4]);
  const P = g.uniform([3, 4], 0.05, 0.95);
  const POS = g.uniform([3, 4], 0.2, 4);
  const POS2 = g.uniform([3, 4], 0.2, 4);
  const BIG = g.uniform([3, 4], 2, 6);

  for (const dt of FLOAT_DTYPES) {
    // float32: the same vectorized kernels as PyTorch's, so the same bits
    const tol = dt === 'float32' ? { rtol: 0, atol: 0 } : {};
    const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name: `${name} [${dt}]`, ...tol, ...x });
    const x = typed(dt, X, true);
    const p = typed(dt, P, true);
    const pos = typed(dt, POS, true);
    const pos2 = typed(dt, POS2, true);
    const big = typed(dt, BIG, true);

    c('erfcx', { inputs: { x }, py: 'torch.special.erfcx(x * 2)', js: ({ x }) => S.erfcx(x!.mul(2)) });
    c('expit', { inputs: { x }, py: 'torch.special.expit(x * 3)', js: ({ x }) => S.expit(x!.mul(3)) });
    c('logit', { inputs: { p }, py: 'torch.special.logit(p)', js: ({ p }) => S.logit(p!) });
    c('logit eps', { inputs: { p }, py: 'torch.special.logit(p, eps=0.1)', js: ({ p }) => S.logit(p!, { eps: 0.1 }) });
    c('gammainc', {
      // No derivative for the first argument (PyTorch raises as soon as it requires grad).
      inputs: { a: typed(dt, POS, false), b: typed(dt, POS2, false) },
      py: 'torch.special.gammainc(a, b)',
      js: ({ a, b }) => S.gammainc(a!, b!),
    });
    c('gammaincc', {
      // No derivative for the first argument (PyTorch raises as soon as it requires grad).
      inputs: { a: typed(dt, POS, false), b: typed(dt, POS2, false) },
      py: 'torch.special.gammaincc(a, b)',
      js: ({ a, b }) => S.gammaincc(a!, b!),
    });
    c('xlog1py', { inputs: { x, pos }, py: 'torch.special.xlog1py(x, pos)', js: ({ x, pos }) => S.xlog1py(x!, pos!) });
    c('xlog1py number other', {
      inputs: { x },
      py: 'torch.special.xlog1py(x, 2.5)',
      js: ({ x }) => S.xlog1py(x!, 2.5),
    });
    c('xlog1py number input', {
      inputs: { pos },
      py: 'torch.special.xlog1py(3, pos)',
      js: ({ pos }) => S.xlog1py(3, pos!),
    });
    c('xlogy', { inputs: { x, pos }, py: 'torch.special.xlogy(x, pos)', js: ({ x, pos }) => S.xlogy(x!, pos!) });
    c('xlogy of zero is zero', {
      inputs: { z: typed(dt, [0, 0, 1]), y: typed(dt, [0, 2, 0]) },
      py: 'torch.special.xlogy(z, y)',
      js: ({ z, y }) => S.xlogy(z!, y!),
    });
    c('xlogy number input', { inputs: { pos }, py: 'torch.special.xlogy(2, pos)', js: ({ pos }) => S.xlogy(2, pos!) });
    c('zeta (grad of other)', {
      inputs: { big: typed(dt, BIG), pos },
      py: 'torch.special.zeta(big, pos)',
      js: ({ big, pos }) => S.zeta(big!, pos!),
    });
    c('zeta number input', { inputs: { pos }, py: 'torch.special.zeta(3, pos)', js: ({ pos }) => S.zeta(3, pos!) });
    c('zeta number other', {
      inputs: { big: typed(dt, BIG) },
      py: 'torch.special.zeta(big, 2)',
      js: ({ big }) => S.zeta(big!, 2),
    });
    c('gammaln', { inputs: { pos }, py: 'torch.special.gammaln(pos)', js: ({ pos }) => S.gammaln(pos!) });
    c('digamma', { inputs: { pos }, py: 'torch.special.digamma(pos)', js: ({ pos }) => S.digamma(pos!) });
    c('psi', { inputs: { pos2 }, py: 'torch.special.psi(pos2)', js: ({ pos2 }) => S.psi(pos2!) });
    c('polygamma 1', { inputs: { pos }, py: 'torch.special.polygamma(1, pos)', js: ({ pos }) => S.polygamma(1, pos!) });
    c('polygamma 3', { inputs: { pos }, py: 'torch.special.polygamma(3, pos)', js: ({ pos }) => S.polygamma(3, pos!) });
    c('multigammaln', {
      inputs: { big },
      py: 'torch.special.multigammaln(big, 3)',
      js: ({ big }) => S.multigammaln(big!, 3),
    });
    for (const f of ['i0', 'i0e', 'i1', 'i1e'] as const) {
      c(f, { inputs: { x }, py: `torch.special.${f}(x * 3)`, js: ({ x }) => S[f](x!.mul(3)) });
    }
    c('ndtr', { inputs: { x }, py: 'torch.special.ndtr(x * 2)', js: ({ x }) => S.ndtr(x!.mul(2)) });
    c('ndtri', { inputs: { p }, py: 'torch.special.ndtri(p)', js: ({ p }) => S.ndtri(p!) });
    c('log_ndtr', { inputs: { x }, py: 'torch.special.log_ndtr(x * 4)', js: ({ x }) => S.logNdtr(x!.mul(4)) });
    c('logsumexp', { inputs: { x }, py: 'torch.special.logsumexp(x, 1)', js: ({ x }) => S.logsumexp(x!, 1) });
    c('logsumexp dims keepdim', {
      inputs: { x },
      py: 'torch.special.logsumexp(x, (0, 1), keepdim=True)',
      js: ({ x }) => S.logsumexp(x!, [0, 1], { keepdim: true }),
    });
    c('softmax', { inputs: { x }, py: 'torch.special.softmax(x, 1)', js: ({ x }) => S.softmax(x!, 1) });
    c('softmax dtype', {
      inputs: { x },
      py: 'torch.special.softmax(x, 0, dtype=torch.float64)',
      js: ({ x }) => S.softmax(x!, 0, { dtype: 'float64' }),
    });
    c('log_softmax', { inputs: { x }, py: 'torch.special.log_softmax(x, -1)', js: ({ x }) => S.logSoftmax(x!, -1) });
    c('entr', { inputs: { pos }, py: 'torch.special.entr(pos)', js: ({ pos }) => S.entr(pos!) });
    c('entr of negatives and zero', {
      inputs: { e: typed(dt, [-1, 0, 0.5, 2]) },
      py: 'torch.special.entr(e)',
      js: ({ e }) => S.entr(e!),
    });
    c('sinc', { inputs: { x }, py: 'torch.special.sinc(x)', js: ({ x }) => S.sinc(x!) });
    c('sinc at 0', {
      inputs: { z: typed(dt, [0, 1, -0.5], true) },
      py: 'torch.special.sinc(z)',
      js: ({ z }) => S.sinc(z!),
    });
    c('round', { inputs: { x }, py: 'torch.special.round(x * 10)', js: ({ x }) => S.round(x!.mul(10)) });
    c('round decimals', {
      inputs: { x },
      py: 'torch.special.round(x, decimals=2)',
      js: ({ x }) => S.round(x!, { decimals: 2 }),
    });
    // not differentiable in PyTorch: the results do not require grad, on both sides
    c('bessel_j0', { inputs: { x }, py: 'torch.special.bessel_j0(x * 5)', js: ({ x }) => S.besselJ0(x!.mul(5)) });
    c('bessel_j1', { inputs: { x }, py: 'torch.special.bessel_j1(x * 5)', js: ({ x }) => S.besselJ1(x!.mul(5)) });
  }

  const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name, ...x });
  c('expit of int64 gives float32', {
    inputs: { n: i64([-2, 0, 3]) },
    py: 'torch.special.expit(n)',
    js: ({ n }) => S.expit(n!),
  });
  c('gammaln of int64', {
    inputs: { n: i64([1, 2, 5]) },
    py: 'torch.special.gammaln(n)',
    js: ({ n }) => S.gammaln(n!),
  });
  c('xlogy int64 with a float number', {
    inputs: { n: i64([1, 2, 5]) },
    py: 'torch.special.xlogy(n, 2.5)',
    js: ({ n }) => S.xlogy(n!, 2.5),
  });
  c('ndtri at 0 and 1', { inputs: { q: f64([0, 1, 0.5]) }, py: 'torch.special.ndtri(q)', js: ({ q }) => S.ndtri(q!) });
  c('multigammaln below its domain (no check in PyTorch 2.13: inf)', {
    inputs: { q: f64([0.5, 2]) },
    py: 'torch.special.multigammaln(q, 3)',
    js: ({ q }) => S.multigammaln(q!, 3),
  });
  c('error: polygamma of a negative order', {
    inputs: { q: f64([0.5, 2]) },
    py: 'torch.special.polygamma(-1, q)',
    js: ({ q }) => S.polygamma(-1, q!),
    expectError: /^Error: special_polygamma: /,
  });
  c('error: zeta backward through its first argument', {
    inputs: { q: f64([2.5, 3], true), r: f64([1, 2]) },
    py: 'torch.special.zeta(q, r).sum().backward()',
    js: ({ q, r }) => S.zeta(q!, r!).sum().backward(),
    expectError: /zeta/,
  });
  return cases;
}

function fftCases(): Case[] {
  const g = generators(1618);
  const cases: Case[] = [];
  const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name, ...x });
  const F = torch.fft;
  c('fftfreq', { inputs: {}, py: 'torch.fft.fftfreq(5)', js: () => F.fftfreq(5) });
  c('fftfreq d', { inputs: {}, py: 'torch.fft.fftfreq(8, 0.1)', js: () => F.fftfreq(8, 0.1) });
  c('fftfreq float64', {
    inputs: {},
    py: 'torch.fft.fftfreq(7, 1 / 44100, dtype=torch.float64)',
    js: () => F.fftfreq(7, 1 / 44100, { dtype: 'float64' }),
  });
  c('fftfreq requires_grad', {
    inputs: {},
    py: 'torch.fft.fftfreq(4, requires_grad=True)',
    js: () => F.fftfreq(4, undefined, { requiresGrad: true }),
    grad: false,
  });
  c('rfftfreq', { inputs: {}, py: 'torch.fft.rfftfreq(9, 2.0)', js: () => F.rfftfreq(9, 2.0) });
  c('rfftfreq even', {
    inputs: {},
    py: 'torch.fft.rfftfreq(10, dtype=torch.float64)',
    js: () => F.rfftfreq(10, undefined, { dtype: 'float64' }),
  });
  const x = f64(g.randn([3, 5]), true);
  c('fftshift all dims', { inputs: { x }, py: 'torch.fft.fftshift(x)', js: ({ x }) => F.fftshift(x!) });
  c('fftshift dim', { inputs: { x }, py: 'torch.fft.fftshift(x, 1)', js: ({ x }) => F.fftshift(x!, 1) });
  c('ifftshift all dims', { inputs: { x }, py: 'torch.fft.ifftshift(x)', js: ({ x }) => F.ifftshift(x!) });
  c('ifftshift dims', {
    inputs: { x },
    py: 'torch.fft.ifftshift(x, (0, -1))',
    js: ({ x }) => F.ifftshift(x!, [0, -1]),
  });
  c('ifftshift undoes fftshift of fftfreq', {
    inputs: {},
    py: 'torch.fft.ifftshift(torch.fft.fftshift(torch.fft.fftfreq(7)))',
    js: () => F.ifftshift(F.fftshift(F.fftfreq(7))),
  });
  c('fftshift of int64', {
    inputs: { n: i64([0, 1, 2, 3, 4]) },
    py: 'torch.fft.fftshift(n)',
    js: ({ n }) => F.fftshift(n!),
  });
  return cases;
}

function samplerCases(): Case[] {
  const cases: Case[] = [];
  const bits = { rtol: 0, atol: 0 };
  const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name, ...bits, ...x });
  const seeded = (seed: number, dtype: torch.DType, shape: number[], fill: (t: torch.Tensor) => unknown) => {
    torch.manualSeed(seed);
    const t = torch.empty(shape, { dtype });
    fill(t);
    return t;
  };
  const pyDtype = (dt: string) => `torch.${dt}`;

  for (const dt of FLOAT_DTYPES) {
    // 7 elements (the scalar loop) and 40 (the vectorized paths some kernels take from 16 on)
    for (const n of [7, 40]) {
      const pre = (seed: number) => `torch.manual_seed(${seed})\nout = torch.empty(${n}, dtype=${pyDtype(dt)})\n`;
      const tag = `[${dt}, ${n}]`;
      c(`exponential_ ${tag}`, {
        inputs: {},
        py: `${pre(1)}out.exponential_()`,
        js: () => seeded(1, dt, [n], (t) => t.exponential_()),
      });
      c(`exponential_ lambd ${tag}`, {
        inputs: {},
        py: `${pre(2)}out.exponential_(2.5)`,
        js: () => seeded(2, dt, [n], (t) => t.exponential_({ lambd: 2.5 })),
      });
      c(`geometric_ ${tag}`, {
        inputs: {},
        py: `${pre(3)}out.geometric_(0.3)`,
        js: () => seeded(3, dt, [n], (t) => t.geometric_(0.3)),
      });
      c(`cauchy_ ${tag}`, {
        inputs: {},
        py: `${pre(4)}out.cauchy_()`,
        js: () => seeded(4, dt, [n], (t) => t.cauchy_()),
      });
      c(`cauchy_ median sigma ${tag}`, {
        inputs: {},
        py: `${pre(5)}out.cauchy_(median=1.5, sigma=0.5)`,
        js: () => seeded(5, dt, [n], (t) => t.cauchy_({ median: 1.5, sigma: 0.5 })),
      });
      c(`log_normal_ ${tag}`, {
        inputs: {},
        py: `${pre(6)}out.log_normal_()`,
        js: () => seeded(6, dt, [n], (t) => t.logNormal_()),
      });
      c(`log_normal_ mean std ${tag}`, {
        inputs: {},
        py: `${pre(7)}out.log_normal_(mean=-1, std=0.25)`,
        js: () => seeded(7, dt, [n], (t) => t.logNormal_({ mean: -1, std: 0.25 })),
      });
      c(`random_ from to ${tag}`, {
        inputs: {},
        py: `${pre(8)}out.random_(-3, 12)`,
        js: () => seeded(8, dt, [n], (t) => t.random_(-3, 12)),
      });
      c(`random_ to ${tag}`, {
        inputs: {},
        py: `${pre(9)}out.random_(100)`,
        js: () => seeded(9, dt, [n], (t) => t.random_(100)),
      });
      c(`random_ ${tag}`, {
        inputs: {},
        py: `${pre(10)}out.random_()`,
        js: () => seeded(10, dt, [n], (t) => t.random_()),
      });
      c(`normal_, uniform_, bernoulli_ ${tag}`, {
        inputs: {},
        py: `torch.manual_seed(11)\nout = [torch.empty(${n}, dtype=${pyDtype(dt)}).normal_(mean=1, std=2), torch.empty(${n}, dtype=${pyDtype(dt)}).uniform_(-1, 3), torch.empty(${n}, dtype=${pyDtype(dt)}).bernoulli_(0.3)]`,
        js: () => {
          torch.manualSeed(11);
          return [
            torch.empty([n], { dtype: dt }).normal_({ mean: 1, std: 2 }),
            torch.empty([n], { dtype: dt }).uniform_({ from: -1, to: 3 }),
            torch.empty([n], { dtype: dt }).bernoulli_({ p: 0.3 }),
          ];
        },
      });
    }
  }
  for (const dt of ['int64', 'int32', 'int16', 'uint8'] as const) {
    c(`random_ from to [${dt}]`, {
      inputs: {},
      py: `torch.manual_seed(12)\nout = torch.empty(30, dtype=torch.${dt}).random_(2, 50)`,
      js: () => seeded(12, dt, [30], (t) => t.random_(2, 50)),
    });
    c(`random_ to [${dt}]`, {
      inputs: {},
      py: `torch.manual_seed(13)\nout = torch.empty(30, dtype=torch.${dt}).random_(7)`,
      js: () => seeded(13, dt, [30], (t) => t.random_(7)),
    });
  }
  for (const dt of ['int32', 'int16', 'uint8'] as const) {
    c(`random_ full range [${dt}]`, {
      inputs: {},
      py: `torch.manual_seed(14)\nout = torch.empty(30, dtype=torch.${dt}).random_()`,
      js: () => seeded(14, dt, [30], (t) => t.random_()),
    });
  }
  c('random_ from, to=None [int32]', {
    inputs: {},
    py: 'torch.manual_seed(15)\nout = torch.empty(30, dtype=torch.int32).random_(-5, None)',
    js: () => seeded(15, 'int32', [30], (t) => t.random_(-5, null)),
  });
  c('random_ of bool', {
    inputs: {},
    py: 'torch.manual_seed(16)\nout = torch.empty(30, dtype=torch.bool).random_()',
    js: () => seeded(16, 'bool', [30], (t) => t.random_()),
  });
  c('samplers interleaved with rand/randn share the generator', {
    inputs: {},
    py: [
      'torch.manual_seed(17)',
      'a = torch.rand(5)',
      'b = torch.empty(20).exponential_()',
      'c = torch.randn(3)',
      'd = torch.empty(2, 3, dtype=torch.float64).cauchy_()',
      'e = torch.randint(0, 9, (4,))',
      'f = torch.empty(3).geometric_(0.5)',
      'out = [a, b, c, d, e, f]',
    ].join('\n'),
    js: () => {
      torch.manualSeed(17);
      const a = torch.rand([5]);
      const b = torch.empty([20]).exponential_();
      const cc = torch.randn([3]);
      const d = torch.empty([2, 3], { dtype: 'float64' }).cauchy_();
      const e = torch.randint(0, 9, [4]);
      const f = torch.empty([3]).geometric_(0.5);
      return [a, b, cc, d, e, f];
    },
  });
  c('sampler on a non-contiguous view', {
    inputs: {},
    py: 'torch.manual_seed(18)\nx = torch.zeros(6, 5)\nx.t()[1:4].exponential_(3.0)\nout = x',
    js: () => {
      torch.manualSeed(18);
      const x = torch.zeros([6, 5]);
      x.t().slice(0, 1, 4).exponential_({ lambd: 3 });
      return x;
    },
  });
  c('a sampler returns its tensor', {
    inputs: {},
    py: 'torch.manual_seed(19)\nx = torch.empty(4)\nout = x.log_normal_() is x',
    js: () => {
      torch.manualSeed(19);
      const x = torch.empty([4]);
      return x.logNormal_() === x;
    },
  });
  c('error: geometric_ p out of range', {
    inputs: { z: f64([0, 0]) },
    py: 'z.geometric_(1.5)',
    js: ({ z }) => z!.geometric_(1.5),
    expectError: /^Error: geometric_: /,
  });
  c('error: exponential_ lambd <= 0', {
    inputs: { z: f64([0, 0]) },
    py: 'z.exponential_(-1.0)',
    js: ({ z }) => z!.exponential_({ lambd: -1 }),
    expectError: /^Error: exponential_: /,
  });
  c('error: random_ from >= to', {
    inputs: { z: i64([0, 0]) },
    py: 'z.random_(5, 2)',
    js: ({ z }) => z!.random_(5, 2),
    expectError: /^Error: random_: .*from/,
  });
  c('error: random_ on a leaf that requires grad', {
    inputs: { z: f64([0, 0], true) },
    py: 'z.random_(5)',
    js: ({ z }) => z!.random_(5),
    expectError: /^Error: random_: .*leaf/,
  });

  // fill_diagonal_
  const g = generators(4669);
  const X = g.randn([5, 3]);
  c('fill_diagonal_ tall', {
    inputs: { x: f64(X) },
    py: 'x.fill_diagonal_(2.5)',
    js: ({ x }) => x!.fillDiagonal_(2.5),
  });
  c('fill_diagonal_ tall wrap', {
    inputs: { x: f64(g.randn([7, 3])) },
    py: 'x.fill_diagonal_(-1, wrap=True)',
    js: ({ x }) => x!.fillDiagonal_(-1, { wrap: true }),
  });
  c('fill_diagonal_ wide', {
    inputs: { x: f64(g.randn([3, 5])) },
    py: 'x.fill_diagonal_(0)',
    js: ({ x }) => x!.fillDiagonal_(0),
  });
  c('fill_diagonal_ cube', {
    inputs: { x: i64(g.randint([3, 3, 3], 1, 9)) },
    py: 'x.fill_diagonal_(0)',
    js: ({ x }) => x!.fillDiagonal_(0),
  });
  c('fill_diagonal_ on a clone: gradient', {
    inputs: { x: f64(X, true) },
    py: 'out = x.clone()\nout.fill_diagonal_(7)',
    js: ({ x }) => x!.clone().fillDiagonal_(7),
  });
  c('error: fill_diagonal_ of a 3-D non-cube', {
    inputs: { x: f64(g.randn([2, 3, 3])) },
    py: 'x.fill_diagonal_(1)',
    js: ({ x }) => x!.fillDiagonal_(1),
    expectError: /^Error: fill_diagonal_: /,
  });
  return cases;
}

paritySuite('parity: torch.special, torch.fft helpers, samplers', {
  special: specialCases(),
  fft: fftCases(),
  samplers: samplerCases(),
});
