// Parity with Python torch for the elementwise ops added to ops.table's math section: inverse
// trig and hyperbolic functions, sgn frac deg2rad rad2deg heaviside, the gamma family (lgamma
// digamma polygamma), i0 sinc xlogy hypot logaddexp logaddexp2 gcd lcm nanToNum signbit logit
// erfc clampMin clampMax floatPower copysign nextafter. Values and gradients in float64, float32
// values and gradients to the bit (the same libtorch kernels), integer dtypes, NaN and ±inf, and
// the errors PyTorch raises (as JS Errors that name the op). One Python run for the file.
import * as torch from '../../lib/index.js';
import { generators } from '../support/data.js';
import { type Case, FLOAT_DTYPES, i32, i64, paritySuite, typed } from '../support/parity.js';

type Unary = (x: torch.Tensor) => torch.Tensor;

function elementwiseCases(): Case[] {
  const g = generators(2024);
  const cases: Case[] = [];

  const A = g.randn([3, 4]);
  const B = g.randn([3, 4]);
  const ROW = g.randn([4]);
  const UNIT = g.uniform([3, 4], -0.95, 0.95);
  const GT1 = g.uniform([3, 4], 1.1, 4);
  const POS = g.uniform([3, 4], 0.2, 3.5);
  const PROB = g.uniform([3, 4], 0.05, 0.95);
  const WIDE = g.randn([3, 4], 3);
  // Zeros on purpose: heaviside takes `values` there, sinc is 1, xlogy is 0.
  const WITH_ZEROS = [
    [0, 1.5, -2, 0],
    [0.25, 0, -0.75, 3],
    [-1, 2, 0, -0.5],
  ];

  for (const dt of FLOAT_DTYPES) {
    // float32: the same kernels as Python's, so the same bits (values and gradients).
    const exact = dt === 'float32' ? { rtol: 0, atol: 0 } : {};
    const p = (name: string, c: Omit<Case, 'name'>) => cases.push({ name: `${name} [${dt}]`, ...exact, ...c });
    const x = typed(dt, A, true);
    const y = typed(dt, B, true);
    const row = typed(dt, ROW, true);
    const unit = typed(dt, UNIT, true);
    const gt1 = typed(dt, GT1, true);
    const pos = typed(dt, POS, true);
    const prob = typed(dt, PROB, true);
    const wide = typed(dt, WIDE, true);
    const z = typed(dt, WITH_ZEROS, true);

    // ---- unary ops: torch.<op>(x) and x.<op>(), values and gradients
    const unary: [string, ReturnType<typeof typed>, Unary, Unary][] = [
      ['asin', unit, (t) => torch.asin(t), (t) => t.asin()],
      ['acos', unit, (t) => torch.acos(t), (t) => t.acos()],
      ['atan', wide, (t) => torch.atan(t), (t) => t.atan()],
      ['sinh', x, (t) => torch.sinh(t), (t) => t.sinh()],
      ['cosh', x, (t) => torch.cosh(t), (t) => t.cosh()],
      ['asinh', wide, (t) => torch.asinh(t), (t) => t.asinh()],
      ['acosh', gt1, (t) => torch.acosh(t), (t) => t.acosh()],
      ['atanh', unit, (t) => torch.atanh(t), (t) => t.atanh()],
      ['sgn', z, (t) => torch.sgn(t), (t) => t.sgn()],
      ['frac', wide, (t) => torch.frac(t), (t) => t.frac()],
      ['deg2rad', wide, (t) => torch.deg2rad(t), (t) => t.deg2rad()],
      ['rad2deg', wide, (t) => torch.rad2deg(t), (t) => t.rad2deg()],
      ['lgamma', wide, (t) => torch.lgamma(t), (t) => t.lgamma()],
      ['digamma', pos, (t) => torch.digamma(t), (t) => t.digamma()],
      ['i0', wide, (t) => torch.i0(t), (t) => t.i0()],
      ['sinc', z, (t) => torch.sinc(t), (t) => t.sinc()],
      ['erfc', wide, (t) => torch.erfc(t), (t) => t.erfc()],
      ['logit', prob, (t) => torch.logit(t), (t) => t.logit()],
    ];
    for (const [name, input, fn, method] of unary) {
      // sgn's gradient is an efficient zero tensor that Python cannot list: its gradient is
      // checked through `sgn(x) * x` below.
      const grad = name === 'sgn' ? false : undefined;
      p(name, { inputs: { x: input }, py: `torch.${name}(x)`, js: ({ x }) => fn(x!), grad });
      p(`${name} method`, { inputs: { x: input }, py: `x.${name}()`, js: ({ x }) => method(x!), grad });
    }

    p('sgn gradient', { inputs: { z }, py: 'torch.sgn(z) * z', js: ({ z }) => torch.sgn(z!).mul(z!) });

    // ---- polygamma: torch.polygamma(n, x) and x.polygamma(n)
    for (const n of [0, 1, 2, 3]) {
      p(`polygamma n=${n}`, {
        inputs: { pos },
        py: `torch.polygamma(${n}, pos)`,
        js: ({ pos }) => torch.polygamma(n, pos!),
      });
    }
    p('polygamma method', { inputs: { pos }, py: 'pos.polygamma(2)', js: ({ pos }) => pos!.polygamma(2) });

    // ---- binary ops
    p('heaviside', {
      inputs: { z: typed(dt, WITH_ZEROS), y: typed(dt, B) },
      py: 'torch.heaviside(z, y)',
      js: ({ z, y }) => torch.heaviside(z!, y!),
    });
    p('heaviside method broadcast values', {
      inputs: { z: typed(dt, WITH_ZEROS), v: typed(dt, [0.5]) },
      py: 'z.heaviside(v)',
      js: ({ z, v }) => z!.heaviside(v!),
    });
    p('xlogy', { inputs: { z, pos }, py: 'torch.xlogy(z, pos)', js: ({ z, pos }) => torch.xlogy(z!, pos!) });
    p('xlogy method, number other', { inputs: { x }, py: 'x.xlogy(3)', js: ({ x }) => x!.xlogy(3) });
    p('xlogy number self', { inputs: { pos }, py: 'torch.xlogy(2.5, pos)', js: ({ pos }) => torch.xlogy(2.5, pos!) });
    p('hypot', { inputs: { x, y }, py: 'torch.hypot(x, y)', js: ({ x, y }) => torch.hypot(x!, y!) });
    p('hypot method broadcast', { inputs: { x, row }, py: 'x.hypot(row)', js: ({ x, row }) => x!.hypot(row!) });
    p('logaddexp', { inputs: { x, y }, py: 'torch.logaddexp(x, y)', js: ({ x, y }) => torch.logaddexp(x!, y!) });
    p('logaddexp method broadcast', {
      inputs: { x, row },
      py: 'x.logaddexp(row)',
      js: ({ x, row }) => x!.logaddexp(row!),
    });
    p('logaddexp2', { inputs: { x, y }, py: 'torch.logaddexp2(x, y)', js: ({ x, y }) => torch.logaddexp2(x!, y!) });
    p('logaddexp2 method', { inputs: { x, y }, py: 'x.logaddexp2(y)', js: ({ x, y }) => x!.logaddexp2(y!) });
    p('logit eps', { inputs: { z }, py: 'torch.logit(z, eps=0.1)', js: ({ z }) => torch.logit(z!, { eps: 0.1 }) });
    p('clampMin number', { inputs: { x }, py: 'torch.clamp_min(x, 0.25)', js: ({ x }) => torch.clampMin(x!, 0.25) });
    p('clampMin tensor', { inputs: { x, y }, py: 'x.clamp_min(y)', js: ({ x, y }) => x!.clampMin(y!) });
    p('clampMax number', { inputs: { x }, py: 'x.clamp_max(-0.1)', js: ({ x }) => x!.clampMax(-0.1) });
    p('clampMax tensor broadcast', {
      inputs: { x, row },
      py: 'torch.clamp_max(x, row)',
      js: ({ x, row }) => torch.clampMax(x!, row!),
    });
    p('floatPower tensor', {
      inputs: { pos, y },
      py: 'torch.float_power(pos, y)',
      js: ({ pos, y }) => torch.floatPower(pos!, y!),
    });
    p('floatPower number exponent', { inputs: { x }, py: 'x.float_power(3)', js: ({ x }) => x!.floatPower(3) });
    p('floatPower number base', {
      inputs: { y },
      py: 'torch.float_power(2, y)',
      js: ({ y }) => torch.floatPower(2, y!),
    });
    p('copysign', { inputs: { x, y }, py: 'torch.copysign(x, y)', js: ({ x, y }) => torch.copysign(x!, y!) });
    p('copysign number', { inputs: { x }, py: 'x.copysign(-1)', js: ({ x }) => x!.copysign(-1) });
    p('nextafter', {
      inputs: { x: typed(dt, A), y: typed(dt, B) },
      py: 'torch.nextafter(x, y)',
      js: ({ x, y }) => torch.nextafter(x!, y!),
    });
    p('nextafter method', {
      inputs: { x: typed(dt, A) },
      py: "x.nextafter(torch.tensor(float('inf'), dtype=x.dtype))",
      js: ({ x }) => x!.nextafter(torch.tensor(Number.POSITIVE_INFINITY, { dtype: x!.dtype })),
    });
    p('signbit', { inputs: { x }, py: 'torch.signbit(x)', js: ({ x }) => torch.signbit(x!) });
  }
  return cases;
}

function specialValueCases(): Case[] {
  const cases: Case[] = [];
  const c = (name: string, cs: Omit<Case, 'name'>) => cases.push({ name, ...cs });
  const SPECIAL = [
    [0, 1, -1, 0.5, -0.5, 2],
    [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e300, -1e-300, 40],
  ];
  for (const dt of FLOAT_DTYPES) {
    const s = typed(dt, SPECIAL);
    const exact = dt === 'float32' ? { rtol: 0, atol: 0 } : {};
    c(`special values: inverse trig and hyperbolic [${dt}]`, {
      ...exact,
      inputs: { s },
      py: 'torch.stack([s.asin(), s.acos(), s.atan(), s.sinh(), s.cosh(), s.asinh(), s.acosh(), s.atanh()])',
      js: ({ s }) =>
        torch.stack([s!.asin(), s!.acos(), s!.atan(), s!.sinh(), s!.cosh(), s!.asinh(), s!.acosh(), s!.atanh()]),
    });
    c(`special values: sgn frac deg2rad rad2deg sinc erfc i0 [${dt}]`, {
      ...exact,
      inputs: { s },
      py: 'torch.stack([s.sgn(), s.frac(), s.deg2rad(), s.rad2deg(), s.sinc(), s.erfc(), s.i0()])',
      js: ({ s }) => torch.stack([s!.sgn(), s!.frac(), s!.deg2rad(), s!.rad2deg(), s!.sinc(), s!.erfc(), s!.i0()]),
    });
    c(`special values: lgamma digamma polygamma logit [${dt}]`, {
      ...exact,
      inputs: { s },
      py: 'torch.stack([s.lgamma(), s.digamma(), torch.polygamma(1, s), s.logit(), s.logit(eps=1e-6)])',
      js: ({ s }) =>
        torch.stack([s!.lgamma(), s!.digamma(), torch.polygamma(1, s!), s!.logit(), s!.logit({ eps: 1e-6 })]),
    });
    c(`special values: binary ops [${dt}]`, {
      ...exact,
      inputs: { s },
      py: `out = torch.stack([torch.xlogy(s, s.flip(1)), torch.hypot(s, s.flip(0)), torch.logaddexp(s, s.flip(0)),
            torch.logaddexp2(s, s.flip(1)), torch.heaviside(s, s.flip(1)), torch.copysign(s.flip(0), s),
            torch.nextafter(s, s.flip(0)), s.clamp_min(0.5), s.clamp_max(s.flip(1))])`,
      js: ({ s }) =>
        torch.stack([
          torch.xlogy(s!, s!.flip([1])),
          torch.hypot(s!, s!.flip([0])),
          torch.logaddexp(s!, s!.flip([0])),
          torch.logaddexp2(s!, s!.flip([1])),
          torch.heaviside(s!, s!.flip([1])),
          torch.copysign(s!.flip([0]), s!),
          torch.nextafter(s!, s!.flip([0])),
          s!.clampMin(0.5),
          s!.clampMax(s!.flip([1])),
        ]),
    });
    c(`nanToNum defaults [${dt}]`, {
      ...exact,
      inputs: { s },
      py: 'torch.nan_to_num(s)',
      js: ({ s }) => torch.nanToNum(s!),
    });
    c(`nanToNum options [${dt}]`, {
      ...exact,
      inputs: { s },
      py: 's.nan_to_num(nan=-7.5, posinf=1e3, neginf=-2)',
      js: ({ s }) => s!.nanToNum({ nan: -7.5, posinf: 1e3, neginf: -2 }),
    });
    c(`nanToNum only posinf [${dt}]`, {
      ...exact,
      inputs: { s },
      py: 'torch.nan_to_num(s, posinf=5.0)',
      js: ({ s }) => torch.nanToNum(s!, { posinf: 5 }),
    });
    c(`signbit of zeros, -0 and NaN [${dt}]`, {
      inputs: { s },
      py: 'torch.stack([s.signbit(), (-s).signbit(), (s * 0).neg().signbit()])',
      js: ({ s }) => torch.stack([s!.signbit(), s!.neg().signbit(), s!.mul(0).neg().signbit()]),
    });
    c(`floatPower of special values [${dt}]`, {
      inputs: { s },
      py: 'torch.float_power(s, s.flip(1))',
      js: ({ s }) => torch.floatPower(s!, s!.flip([1])),
    });
  }
  const specialGrad = typed('float64', [0, 1e-3, -2.5, 4, 0.5], true);
  c('nanToNum gradient', {
    inputs: { x: specialGrad },
    py: 'torch.nan_to_num(x.log(), neginf=-10)',
    js: ({ x }) => torch.nanToNum(x!.log(), { neginf: -10 }),
  });
  c('xlogy gradient at x = 0', {
    inputs: { x: specialGrad, y: typed('float64', [0.5, 2, 1, 3, 0], true) },
    py: 'torch.xlogy(x, y)',
    js: ({ x, y }) => torch.xlogy(x!, y!),
  });
  c('sinc gradient at 0', {
    inputs: { x: specialGrad },
    py: 'torch.sinc(x)',
    js: ({ x }) => torch.sinc(x!),
  });
  c('empty input', {
    inputs: { e: typed('float64', []) },
    py: 'torch.stack([e.asinh(), e.lgamma(), torch.hypot(e, e), e.nan_to_num()])',
    js: ({ e }) => torch.stack([e!.asinh(), e!.lgamma(), torch.hypot(e!, e!), e!.nanToNum()]),
  });
  return cases;
}

function integerCases(): Case[] {
  const cases: Case[] = [];
  const c = (name: string, cs: Omit<Case, 'name'>) => cases.push({ name, ...cs });
  const A = [
    [12, -18, 0, 7],
    [0, 35, -49, 1],
  ];
  const B = [
    [8, 27, 5, 0],
    [0, -14, 21, 1],
  ];
  for (const [label, mk] of [
    ['int64', i64],
    ['int32', i32],
  ] as const) {
    c(`gcd [${label}]`, { inputs: { a: mk(A), b: mk(B) }, py: 'torch.gcd(a, b)', js: ({ a, b }) => torch.gcd(a!, b!) });
    c(`lcm [${label}]`, { inputs: { a: mk(A), b: mk(B) }, py: 'a.lcm(b)', js: ({ a, b }) => a!.lcm(b!) });
    c(`gcd broadcast [${label}]`, {
      inputs: { a: mk(A), b: mk([6]) },
      py: 'a.gcd(b)',
      js: ({ a, b }) => a!.gcd(b!),
    });
  }
  c('gcd of uint8 and int16', {
    inputs: { a: typed('uint8', [12, 0, 255]), b: typed('int16', [18, 5, -17]) },
    py: 'torch.gcd(a, b)',
    js: ({ a, b }) => torch.gcd(a!, b!),
  });
  const I = i64([
    [-3, 0, 2],
    [5, -1, 0],
  ]);
  c('int64 through float ops', {
    inputs: { i: I },
    py: 'torch.stack([i.asinh(), i.sinc(), i.deg2rad(), i.erfc(), i.lgamma(), i.i0()])',
    js: ({ i }) => torch.stack([i!.asinh(), i!.sinc(), i!.deg2rad(), i!.erfc(), i!.lgamma(), i!.i0()]),
  });
  c('int64 sgn frac signbit', {
    inputs: { i: I },
    py: 'out = [i.sgn(), i.signbit(), i.nan_to_num()]',
    js: ({ i }) => [i!.sgn(), i!.signbit(), i!.nanToNum()],
  });
  c('int64 floatPower gives float64', {
    inputs: { i: I },
    py: 'torch.float_power(i, 2)',
    js: ({ i }) => torch.floatPower(i!, 2),
  });
  c('int64 clampMin/Max keep int64', {
    inputs: { i: I },
    py: 'out = [i.clamp_min(0), i.clamp_max(1), torch.clamp_min(i, torch.tensor([1, -2, 0]))]',
    js: ({ i }) => [i!.clampMin(0), i!.clampMax(1), torch.clampMin(i!, torch.tensor([1, -2, 0]))],
  });
  c('int64 xlogy, hypot-free promotion', {
    inputs: { i: I, j: i64([[1, 2, 3]]) },
    py: 'out = [torch.xlogy(i, j), torch.logaddexp(i.double(), j.double()), torch.copysign(j, i)]',
    js: ({ i, j }) => [torch.xlogy(i!, j!), torch.logaddexp(i!.double(), j!.double()), torch.copysign(j!, i!)],
  });
  c('heaviside of int64', {
    inputs: { i: i64([-1, 0, 2]) },
    py: 'torch.heaviside(i, torch.tensor([9]))',
    js: ({ i }) => torch.heaviside(i!, torch.tensor([9])),
  });
  return cases;
}

function errorCases(): Case[] {
  const cases: Case[] = [];
  const c = (name: string, cs: Omit<Case, 'name'>) => cases.push({ name, ...cs });
  const x = typed('float64', [1.5, 2]);
  const i = i64([4, 6]);
  c('error: gcd of floats', {
    inputs: { x },
    py: 'torch.gcd(x, x)',
    js: ({ x }) => torch.gcd(x!, x!),
    expectError: /^Error: gcd: .*not implemented for 'Double'/,
  });
  c('error: lcm of floats', { inputs: { x }, py: 'x.lcm(x)', js: ({ x }) => x!.lcm(x!), expectError: /^Error: lcm: / });
  c('error: polygamma negative n', {
    inputs: { x },
    py: 'torch.polygamma(-1, x)',
    js: ({ x }) => torch.polygamma(-1, x!),
    expectError: /^Error: polygamma: .*negative n/,
  });
  c('error: heaviside mixed dtypes', {
    inputs: { x, i },
    py: 'torch.heaviside(x, i)',
    js: ({ x, i }) => torch.heaviside(x!, i!),
    expectError: /^Error: heaviside: .*different dtypes/,
  });
  c('error: nextafter of int64', {
    inputs: { i },
    py: 'torch.nextafter(i, i)',
    js: ({ i }) => torch.nextafter(i!, i!),
    expectError: /^Error: nextafter: /,
  });
  c('error: hypot shape mismatch', {
    inputs: { x, y: typed('float64', [1, 2, 3]) },
    py: 'torch.hypot(x, y)',
    js: ({ x, y }) => torch.hypot(x!, y!),
    expectError: /^Error: hypot: .*must match the size/,
  });
  c('error: logaddexp of bool', {
    inputs: { b: typed('bool', [true, false]) },
    py: 'torch.logaddexp(b, b)',
    js: ({ b }) => torch.logaddexp(b!, b!),
    expectError: /^Error: logaddexp: /,
  });
  return cases;
}

paritySuite('parity: more elementwise math', {
  elementwise: elementwiseCases(),
  'special values': specialValueCases(),
  integers: integerCases(),
  errors: errorCases(),
});
