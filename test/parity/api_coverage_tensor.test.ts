// Parity with Python torch for the torch.Tensor members that ports use line by line: the in-place
// forms of the elementwise, comparison, bitwise, cumulative, triangle and view ops (values against
// Python's on the same inputs; and, without Python, that each returns the tensor itself, in the
// same storage, with its version counter bumped), the bitwise ops and the other new elementwise
// functions, x.newZeros & co., the dtype shortcuts, the mT/mH/T/H getters, the metadata members,
// PyTorch's second names (arccos, clip, swapaxes, ...: the same function object as the first) and
// the errors for bad input.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { native } from '../../lib/binding.js';
import * as torch from '../../lib/index.js';
import { generators } from '../support/data.js';
import { type Case, f32, f64, i32, i64, paritySuite, typed } from '../support/parity.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const g = generators(4242);
const x = f64(g.randn([3, 4]));
const u = f64(g.uniform([3, 4], -0.9, 0.9));
const p = f64(g.uniform([3, 4], 1.1, 3));
const q = f64(g.uniform([3, 4], 0.05, 0.95));
const y = f64(g.awayFromZero([3, 4]));
const n = i64(g.randint([3, 4], -20, 20));
const m = i64(g.randint([3, 4], 1, 13));
const sh = i64(g.randint([3, 4], 0, 5));
const b1 = typed('bool', g.bools([3, 4]));
const b2 = typed('bool', g.bools([3, 4]));
const cases: Record<string, Case[]> = { inplace: [], functions: [], factories: [], members: [], aliases: [] };
const c = (group: string, name: string, rest: Omit<Case, 'name'>) => cases[group]?.push({ name, ...rest });
// PyTorch's snake_case name to torch-node's (a trailing underscore stays).
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());

type T = torch.Tensor;
// An in-place op on a clone of input `a`: the clone itself is the result (compared to Python's).
const inplace = (
  name: string,
  input: string,
  inputs: Case['inputs'],
  pyArgs: string,
  js: (t: T, i: Record<string, T>) => T,
) =>
  c('inplace', `${input}.${name}(${pyArgs})`, {
    inputs,
    py: `t = ${input}.clone()\nr = t.${name}(${pyArgs})\nassert r is t\nout = t`,
    js: (i) => js(i[input]!.clone(), i as Record<string, T>),
  });

// ---- in-place unary ops: name, input
const UNARY: [string, string][] = [
  ['acos_', 'u'],
  ['asin_', 'u'],
  ['atanh_', 'u'],
  ['asinh_', 'x'],
  ['atan_', 'x'],
  ['acosh_', 'p'],
  ['ceil_', 'x'],
  ['floor_', 'x'],
  ['round_', 'x'],
  ['trunc_', 'x'],
  ['frac_', 'x'],
  ['rsqrt_', 'p'],
  ['log_', 'p'],
  ['log10_', 'p'],
  ['log1p_', 'p'],
  ['log2_', 'p'],
  ['exp2_', 'x'],
  ['expm1_', 'x'],
  ['sin_', 'x'],
  ['cos_', 'x'],
  ['tan_', 'x'],
  ['sinh_', 'x'],
  ['cosh_', 'x'],
  ['square_', 'x'],
  ['reciprocal_', 'y'],
  ['erf_', 'x'],
  ['erfc_', 'x'],
  ['i0_', 'x'],
  ['sinc_', 'x'],
  ['deg2rad_', 'x'],
  ['rad2deg_', 'x'],
  ['lgamma_', 'p'],
  ['digamma_', 'p'],
  ['sgn_', 'x'],
  ['sign_', 'x'],
  ['logit_', 'q'],
  ['nan_to_num_', 'x'],
  ['logical_not_', 'x'],
  ['t_', 'x'],
  ['squeeze_', 'x'],
];
for (const [name, input] of UNARY) {
  const js = camel(name);
  inplace(name, input, { [input]: { x, u, p, q, y }[input]! }, '', (t) =>
    (t as unknown as Record<string, () => T>)[js]!(),
  );
}
inplace('round_', 'x', { x }, 'decimals=2', (t) => t.round_({ decimals: 2 }));
inplace('polygamma_', 'p', { p }, '1', (t) => t.polygamma_(1));
inplace('mvlgamma_', 'p', { p }, '2', (t) => t.mvlgamma_(2));
inplace('clamp_min_', 'x', { x }, '0.1', (t) => t.clampMin_(0.1));
inplace('clamp_max_', 'x', { x, y }, 'y', (t, i) => t.clampMax_(i.y!));
inplace('logit_', 'x', { x }, 'eps=0.1', (t) => t.logit_({ eps: 0.1 }));
inplace(
  'nan_to_num_',
  'a',
  { a: f64([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5]) },
  'nan=1.0, posinf=9.0',
  (t) => t.nanToNum_({ nan: 1, posinf: 9 }),
);
inplace('xlogy_', 'p', { p, q }, 'q', (t, i) => t.xlogy_(i.q!));
inplace('xlogy_', 'p', { p }, '3', (t) => t.xlogy_(3));
inplace('copysign_', 'x', { x, y }, 'y', (t, i) => t.copysign_(i.y!));
inplace('copysign_', 'x', { x }, '-1', (t) => t.copysign_(-1));
inplace('hypot_', 'x', { x, y }, 'y', (t, i) => t.hypot_(i.y!));
inplace('atan2_', 'x', { x, y }, 'y', (t, i) => t.atan2_(i.y!));
inplace('fmod_', 'x', { x, y }, 'y', (t, i) => t.fmod_(i.y!));
inplace('fmod_', 'x', { x }, '0.7', (t) => t.fmod_(0.7));
inplace('remainder_', 'x', { x, y }, 'y', (t, i) => t.remainder_(i.y!));
inplace('remainder_', 'n', { n }, '7', (t) => t.remainder_(7));
inplace('floor_divide_', 'x', { x, y }, 'y', (t, i) => t.floorDivide_(i.y!));
inplace('heaviside_', 'x', { x: f64([-1, 0, 2, 0]), v: f64([0.5, 0.25, 0.5, 0.75]) }, 'v', (t, i) =>
  t.heaviside_(i.v!),
);
inplace('nextafter_', 'x', { x, y }, 'y', (t, i) => t.nextafter_(i.y!));
inplace('float_power_', 'p', { p, y }, 'y', (t, i) => t.floatPower_(i.y!));
inplace('float_power_', 'p', { p }, '2.5', (t) => t.floatPower_(2.5));
inplace('igamma_', 'p', { p, q }, 'q', (t, i) => t.igamma_(i.q!));
inplace('igammac_', 'p', { p, q }, 'q', (t, i) => t.igammac_(i.q!));
inplace('gcd_', 'n', { n, m }, 'm', (t, i) => t.gcd_(i.m!));
inplace('lcm_', 'n', { n, m }, 'm', (t, i) => t.lcm_(i.m!));
inplace('ldexp_', 'x', { x, sh }, 'sh', (t, i) => t.ldexp_(i.sh!));
inplace('renorm_', 'x', { x }, '2, 0, 1.0', (t) => t.renorm_(2, 0, 1));
for (const op of ['eq_', 'ne_', 'lt_', 'le_', 'gt_', 'ge_']) {
  const js = camel(op) as 'eq_';
  inplace(op, 'n', { n, m }, 'm', (t, i) => t[js](i.m!));
  inplace(op, 'x', { x }, '0.25', (t) => t[js](0.25));
}
for (const op of ['logical_and_', 'logical_or_', 'logical_xor_']) {
  const js = camel(op) as 'logicalAnd_';
  inplace(op, 'x', { x, b2 }, 'b2', (t, i) => t[js](i.b2!));
}
for (const op of ['bitwise_and_', 'bitwise_or_', 'bitwise_xor_', 'bitwise_left_shift_', 'bitwise_right_shift_']) {
  const js = camel(op) as 'bitwiseAnd_';
  inplace(op, 'n', { n, sh }, 'sh', (t, i) => t[js](i.sh!));
  inplace(op, 'n', { n }, '3', (t) => t[js](3));
}
inplace('bitwise_not_', 'n', { n }, '', (t) => t.bitwiseNot_());
inplace('bitwise_and_', 'b1', { b1, b2 }, 'b2', (t, i) => t.bitwiseAnd_(i.b2!));
inplace('cumsum_', 'x', { x }, '1', (t) => t.cumsum_(1));
inplace('cumprod_', 'x', { x }, '0', (t) => t.cumprod_(0));
inplace('cumsum_', 'n', { n }, '0, dtype=torch.int64', (t) => t.cumsum_(0, { dtype: 'int64' }));
inplace('tril_', 'x', { x }, '', (t) => t.tril_());
inplace('triu_', 'x', { x }, '1', (t) => t.triu_(1));
inplace('transpose_', 'x', { x }, '0, 1', (t) => t.transpose_(0, 1));
inplace('squeeze_', 'a', { a: f64(g.randn([3, 1, 2, 1])) }, '1', (t) => t.squeeze_(1));
inplace('squeeze_', 'a', { a: f64(g.randn([3, 1, 2, 1])) }, '(1, 3)', (t) => t.squeeze_([1, 3]));
inplace('unsqueeze_', 'x', { x }, '-1', (t) => t.unsqueeze_(-1));
inplace('put_', 'x', { x, ix: i64([0, 5, -1, 5]), s: f64([1, 2, 3, 4]) }, 'ix, s, accumulate=True', (t, i) =>
  t.put_(i.ix!, i.s!, { accumulate: true }),
);
inplace('index_reduce_', 'x', { x, ix: i64([0, 2, 0]), s: f64(g.randn([3, 4])) }, "0, ix, s, 'prod'", (t, i) =>
  t.indexReduce_(0, i.ix!, i.s!, 'prod'),
);
inplace(
  'index_reduce_',
  'x',
  { x, ix: i64([0, 2, 0]), s: f64(g.randn([3, 4])) },
  "0, ix, s, 'amax', include_self=False",
  (t, i) => t.indexReduce_(0, i.ix!, i.s!, 'amax', { includeSelf: false }),
);
const mat = { x, m1: f64(g.randn([3, 2])), m2: f64(g.randn([2, 4])), v3: f64(g.randn([3])), v4: f64(g.randn([4])) };
const bat = { x, b1: f64(g.randn([5, 3, 2])), b2: f64(g.randn([5, 2, 4])) };
inplace('addmm_', 'x', mat, 'm1, m2, beta=0.5, alpha=2', (t, i) => t.addmm_(i.m1!, i.m2!, { beta: 0.5, alpha: 2 }));
inplace('addr_', 'x', mat, 'v3, v4, alpha=3', (t, i) => t.addr_(i.v3!, i.v4!, { alpha: 3 }));
inplace('addbmm_', 'x', bat, 'b1, b2, beta=2', (t, i) => t.addbmm_(i.b1!, i.b2!, { beta: 2 }));
inplace('baddbmm_', 'z', { z: f64(g.randn([5, 3, 4])), b1: bat.b1, b2: bat.b2 }, 'b1, b2, alpha=0.5', (t, i) =>
  t.baddbmm_(i.b1!, i.b2!, { alpha: 0.5 }),
);
inplace('addmv_', 'v3', { v3: mat.v3, m1: mat.m1, w: f64(g.randn([2])) }, 'm1, w', (t, i) => t.addmv_(i.m1!, i.w!));
// The torch.* forms of in-place ops (torch.acos_(t)) act on their argument too.
c('inplace', 'torch.acos_ torch.round_ torch.clamp_min_ torch.addmv_ torch.exp_', {
  inputs: { u, x, v3: mat.v3, m1: mat.m1, w: f64(g.randn([2])) },
  py: 'a, b, d, e = u.clone(), x.clone(), x.clone(), x.clone()\nv = v3.clone()\nout = [torch.acos_(a), torch.round_(b, decimals=1), torch.clamp_min_(d, 0.0), torch.addmv_(v, m1, w), torch.exp_(e), a]',
  js: (i) => {
    const a = i.u!.clone();
    return [
      torch.acos_(a),
      torch.round_(i.x!.clone(), { decimals: 1 }),
      torch.clampMin_(i.x!.clone(), 0),
      torch.addmv_(i.v3!.clone(), i.m1!, i.w!),
      torch.exp_(i.x!.clone()),
      a,
    ];
  },
});

// ---- new functions, as torch.* and as methods
c('functions', 'bitwise ops int64, tensor and number', {
  inputs: { n, sh },
  py: 'out = [torch.bitwise_and(n, sh), n.bitwise_or(sh), torch.bitwise_xor(n, 5), torch.bitwise_not(n), torch.bitwise_left_shift(n, sh), n.bitwise_right_shift(2), n.bitwise_and(-4)]',
  js: ({ n, sh }) => [
    torch.bitwiseAnd(n!, sh!),
    n!.bitwiseOr(sh!),
    torch.bitwiseXor(n!, 5),
    torch.bitwiseNot(n!),
    torch.bitwiseLeftShift(n!, sh!),
    n!.bitwiseRightShift(2),
    n!.bitwiseAnd(-4),
  ],
});
c('functions', 'bitwise ops on bool and uint8', {
  inputs: { b1, b2, c: typed('uint8', g.randint([6], 0, 256)) },
  py: 'out = [b1.bitwise_and(b2), torch.bitwise_xor(b1, b2), b1.bitwise_not(), c.bitwise_not(), c.bitwise_left_shift(3)]',
  js: ({ b1, b2, c }) => [
    b1!.bitwiseAnd(b2!),
    torch.bitwiseXor(b1!, b2!),
    b1!.bitwiseNot(),
    c!.bitwiseNot(),
    c!.bitwiseLeftShift(3),
  ],
});
c('functions', 'fmax fmin with NaN', {
  inputs: { a: f64([1, Number.NaN, 3, Number.NaN]), b: f64([2, 0.5, Number.NaN, Number.NaN]) },
  py: 'out = [torch.fmax(a, b), a.fmin(b), torch.maximum(a, b)]',
  js: ({ a, b }) => [torch.fmax(a!, b!), a!.fmin(b!), torch.maximum(a!, b!)],
});
c('functions', 'frexp float64 and float32', {
  inputs: { x, s: f32([0, 1, -3.5, 1e-30, 1e30]) },
  py: 'm1, e1 = torch.frexp(x)\nr = s.frexp()\nout = [m1, e1, r.mantissa, r.exponent]',
  js: ({ x, s }) => {
    const [m1, e1] = torch.frexp(x!);
    const r = s!.frexp();
    return [m1, e1, r.mantissa, r.exponent];
  },
});
c('functions', 'ldexp igamma igammac mvlgamma positive', {
  inputs: { x, sh, p, q },
  py: 'out = [torch.ldexp(x, sh), p.igamma(q), torch.igammac(p, q), torch.mvlgamma(p, 3), x.positive(), torch.positive(x)]',
  js: ({ x, sh, p, q }) => [
    torch.ldexp(x!, sh!),
    p!.igamma(q!),
    torch.igammac(p!, q!),
    torch.mvlgamma(p!, 3),
    x!.positive(),
    torch.positive(x!),
  ],
});
c('functions', 'renorm dist inner ger addbmm', {
  inputs: { x, y, v3: mat.v3, v4: mat.v4, b1: bat.b1, b2: bat.b2, x3: f64(g.randn([2, 3, 4])) },
  py: 'out = [torch.renorm(x, 1, 1, 0.5), x.renorm(float("inf"), 0, 1.0), torch.dist(x, y), x.dist(y, p=3), torch.dist(x, y, 0), torch.inner(x3, x), v4.inner(v4), torch.ger(v3, v4), v3.ger(v3), torch.addbmm(x, b1, b2, beta=0.5, alpha=-1), x.addbmm(b1, b2)]',
  js: ({ x, y, v3, v4, b1, b2, x3 }) => [
    torch.renorm(x!, 1, 1, 0.5),
    x!.renorm(Number.POSITIVE_INFINITY, 0, 1),
    torch.dist(x!, y!),
    x!.dist(y!, { p: 3 }),
    torch.dist(x!, y!, { p: 0 }),
    torch.inner(x3!, x!),
    v4!.inner(v4!),
    torch.ger(v3!, v4!),
    v3!.ger(v3!),
    torch.addbmm(x!, b1!, b2!, { beta: 0.5, alpha: -1 }),
    x!.addbmm(b1!, b2!),
  ],
});
c('functions', 'diagEmbed diagflat msort argwhere', {
  inputs: { x, v4: mat.v4, n },
  py: 'out = [torch.diag_embed(x), x.diag_embed(offset=1, dim1=0, dim2=2), torch.diagflat(x), v4.diagflat(-2), torch.msort(x), n.msort(), torch.argwhere(n.gt(3)), n.argwhere()]',
  js: ({ x, v4, n }) => [
    torch.diagEmbed(x!),
    x!.diagEmbed({ offset: 1, dim1: 0, dim2: 2 }),
    torch.diagflat(x!),
    v4!.diagflat(-2),
    torch.msort(x!),
    n!.msort(),
    torch.argwhere(n!.gt(3)),
    n!.argwhere(),
  ],
});
c('functions', 'isneginf isposinf isreal', {
  inputs: {
    a: f64([Number.NEGATIVE_INFINITY, 1, Number.POSITIVE_INFINITY, Number.NaN]),
    re: f64([1, 2, 3, 4]),
    im: f64([0, 1, 0, -2]),
  },
  py: 'z = torch.complex(re, im)\nout = [torch.isneginf(a), a.isposinf(), torch.isreal(z), z.isreal(), a.isreal()]',
  js: ({ a, re, im }) => {
    const z = torch.complex(re!, im!);
    return [torch.isneginf(a!), a!.isposinf(), torch.isreal(z), z.isreal(), a!.isreal()];
  },
});
c('functions', 'put indexReduce sumToSize adjoint', {
  inputs: { x, ix: i64([1, 11, 1]), s: f64([5, 6, 7]), jx: i64([1, 1, 0]) },
  py: "out = [torch.put(x, ix, s), x.put(ix, s, accumulate=True), torch.index_reduce(x, 0, jx, x, 'mean'), x.index_reduce(1, jx, x[:, :3], 'amin', include_self=False), x.sum_to_size(1, 4), x.sum_to_size((3, 1)), torch.adjoint(x), x.adjoint()]",
  js: ({ x, ix, s, jx }) => [
    torch.put(x!, ix!, s!),
    x!.put(ix!, s!, { accumulate: true }),
    torch.indexReduce(x!, 0, jx!, x!, 'mean'),
    x!.indexReduce(1, jx!, x!.slice(1, 0, 3), 'amin', { includeSelf: false }),
    x!.sumToSize([1, 4]),
    x!.sumToSize([3, 1]),
    torch.adjoint(x!),
    x!.adjoint(),
  ],
});
c('functions', 'isNonzero isSameSize', {
  inputs: { one: f64([0.5]), zero: i64([[0]]), x, y },
  py: 'out = [torch.is_nonzero(one), zero.is_nonzero(), x.is_same_size(y), x.is_same_size(one)]',
  js: ({ one, zero, x, y }) => [torch.isNonzero(one!), zero!.isNonzero(), x!.isSameSize(y!), x!.isSameSize(one!)],
});
c('functions', 'isNonzero of several elements is an error', {
  inputs: { x },
  py: 'x.is_nonzero()',
  js: ({ x }) => x!.isNonzero(),
  expectError: /is_nonzero.*more than one value/,
});

c('functions', 'unfold unsafeChunk unsafeSplit unsafeSplitWithSizes', {
  inputs: { x, v: f64(g.randn([7])) },
  py: 'out = [v.unfold(0, 3, 2), x.unfold(1, 2, 1), *torch.unsafe_chunk(x, 2, 1), *x.unsafe_split(2), *torch.unsafe_split_with_sizes(x, [1, 3], 1)]',
  js: ({ x, v }) => [
    v!.unfold(0, 3, 2),
    x!.unfold(1, 2, 1),
    ...torch.unsafeChunk(x!, 2, 1),
    ...x!.unsafeSplit(2),
    ...torch.unsafeSplitWithSizes(x!, [1, 3], 1),
  ],
});
c('functions', 'torch.isSameSize, absolute_, retainsGrad, isMeta', {
  inputs: { x, y, w: f64([1, 2], true) },
  py: 'h = w * 2\nh.retain_grad()\nout = [torch.is_same_size(x, y), x.clone().absolute_(), w.retains_grad, h.retains_grad, (w * 3).retains_grad, x.is_meta, torch.empty(2, device="meta").is_meta]',
  js: ({ x, y, w }) => {
    const h = w!.mul(2);
    h.retainGrad();
    return [
      torch.isSameSize(x!, y!),
      x!.clone().absolute_(),
      w!.retainsGrad,
      h.retainsGrad,
      w!.mul(3).retainsGrad,
      x!.isMeta,
      torch.empty([2], { device: 'meta' }).isMeta,
    ];
  },
  grad: false,
});
c('functions', 'nonzeroStatic pads or cuts', {
  inputs: { n },
  py: 'out = [torch.nonzero_static(n.gt(0), size=20), n.nonzero_static(size=2, fill_value=7), n.reshape(-1).nonzero_static(size=0)]',
  js: ({ n }) => [
    torch.nonzeroStatic(n!.gt(0), { size: 20 }),
    n!.nonzeroStatic({ size: 2, fillValue: 7 }),
    n!.reshape([-1]).nonzeroStatic({ size: 0 }),
  ],
});
c('functions', 'type names and conversions', {
  inputs: { x, n, b1, h: typed('bfloat16', [1.5]), z: f32([1, 2]) },
  py: "out = [x.type(), n.type(), b1.type(), h.type(), z.type(), x.type(torch.int32), n.type('torch.DoubleTensor'), z.type('torch.FloatTensor')]",
  js: ({ x, n, b1, h, z }) => [
    x!.type(),
    n!.type(),
    b1!.type(),
    h!.type(),
    z!.type(),
    x!.type('int32'),
    n!.type('torch.DoubleTensor'),
    z!.type('torch.FloatTensor'),
  ],
});
// ---- factories on a tensor and the dtype shortcuts
c('factories', 'newZeros newOnes newFull keep the dtype unless given', {
  inputs: { x, n },
  py: 'out = [x.new_zeros((2, 3)), n.new_ones([4]), x.new_full((2,), 7.5), n.new_full((2, 2), 3), x.new_zeros((1, 2), dtype=torch.int32), n.new_ones((2,), dtype=torch.float32, requires_grad=True), x.new_tensor([[1, 2], [3, 4]]), n.new_tensor([1.7, -2.2]), x.new_tensor([1, 2], dtype=torch.int64)]',
  js: ({ x, n }) => [
    x!.newZeros([2, 3]),
    n!.newOnes([4]),
    x!.newFull([2], 7.5),
    n!.newFull([2, 2], 3),
    x!.newZeros([1, 2], { dtype: 'int32' }),
    n!.newOnes([2], { dtype: 'float32', requiresGrad: true }),
    x!.newTensor([
      [1, 2],
      [3, 4],
    ]),
    n!.newTensor([1.7, -2.2]),
    x!.newTensor([1, 2], { dtype: 'int64' }),
  ],
  grad: false,
});
c('factories', 'newEmpty: shape and dtype', {
  inputs: { x, n },
  py: 'out = [list(x.new_empty((2, 5)).shape), str(n.new_empty([3]).dtype), str(x.new_empty([1], dtype=torch.int16).dtype)]',
  js: ({ x, n }) => [
    x!.newEmpty([2, 5]).shape,
    `torch.${n!.newEmpty([3]).dtype}`,
    `torch.${x!.newEmpty([1], { dtype: 'int16' }).dtype}`,
  ],
});
c('factories', 'newEmptyStrided: shape, strides, dtype', {
  inputs: { x },
  py: 'e = x.new_empty_strided((2, 3), (1, 2))\nf = x.new_empty_strided((2,), (3,), dtype=torch.int8)\nout = [list(e.shape), list(e.stride()), str(e.dtype), list(f.stride()), str(f.dtype)]',
  js: ({ x }) => {
    const e = x!.newEmptyStrided([2, 3], [1, 2]);
    const f = x!.newEmptyStrided([2], [3], { dtype: 'int8' });
    return [e.shape, e.stride(), `torch.${e.dtype}`, f.stride(), `torch.${f.dtype}`];
  },
});
c('factories', 'short char cfloat cdouble', {
  inputs: { x: f64(g.randn([3, 4], 50)) },
  py: 'out = [x.short(), x.char(), torch.view_as_real(x.cfloat()), torch.view_as_real(x.cdouble())]',
  js: ({ x }) => [x!.short(), x!.char(), torch.viewAsReal(x!.cfloat()), torch.viewAsReal(x!.cdouble())],
});

// ---- members
const x3 = f64(g.randn([2, 3, 4]));
c('members', 'mT mH T H', {
  inputs: { x, x3, re: f64(g.randn([2, 3])), im: f64(g.randn([2, 3])) },
  py: 'z = torch.complex(re, im)\nout = [x3.mT, x3.mH, x.T, x.H, torch.view_as_real(z.mH.resolve_conj()), torch.view_as_real(z.H.resolve_conj()), x3.permute(2, 1, 0)]',
  js: ({ x, x3, re, im }) => {
    const z = torch.complex(re!, im!);
    return [
      x3!.mT,
      x3!.mH,
      x!.T,
      x!.H,
      torch.viewAsReal(z.mH.resolveConj()),
      torch.viewAsReal(z.H.resolveConj()),
      x3!.T,
    ];
  },
});
c('members', 'mT of a 1-D tensor is an error', {
  inputs: { v: f64([1, 2]) },
  py: 'v.mT',
  js: ({ v }) => v!.mT,
  expectError: /mT.*matrices/,
});
c('members', 'H of a 3-D tensor is an error', {
  inputs: { x3 },
  py: 'x3.H',
  js: ({ x3 }) => x3!.H,
  expectError: /H is only supported on matrices/,
});
c('members', 'metadata', {
  inputs: { x, n, b1, h: typed('float16', [1, 2]), c8: typed('uint8', [1]), i: i32([1, 2, 3]) },
  py: 'out = [x.is_floating_point(), n.is_floating_point(), h.is_floating_point(), x.is_signed(), n.is_signed(), b1.is_signed(), c8.is_signed(), i.is_signed(), x.is_cpu, x.nbytes, x.itemsize, h.nbytes, h.itemsize, x[1:].storage_offset(), x[:, 2].storage_offset(), x.ndimension(), x.nelement(), x.get_device(), x.tolist(), n.tolist()]',
  js: ({ x, n, b1, h, c8, i }) => [
    x!.isFloatingPoint(),
    n!.isFloatingPoint(),
    h!.isFloatingPoint(),
    x!.isSigned(),
    n!.isSigned(),
    b1!.isSigned(),
    c8!.isSigned(),
    i!.isSigned(),
    x!.isCpu,
    x!.nbytes,
    x!.itemsize,
    h!.nbytes,
    h!.itemsize,
    x!.slice(0, 1).storageOffset(),
    x!.select(1, 2).storageOffset(),
    x!.ndimension(),
    x!.nelement(),
    x!.getDevice(),
    x!.tolist(),
    n!.tolist(),
  ],
});

// ---- PyTorch's second names, against Python's same names
c('aliases', 'arc functions', {
  inputs: { u, p, x, y },
  py: 'out = [torch.arccos(u), u.arcsin(), torch.arctan(x), p.arccosh(), torch.arcsinh(x), u.arctanh(), torch.arctan2(x, y), x.arctan2(y), u.clone().arccos_(), torch.arcsinh_(x.clone()), x.clone().arctan2_(y)]',
  js: ({ u, p, x, y }) => [
    torch.arccos(u!),
    u!.arcsin(),
    torch.arctan(x!),
    p!.arccosh(),
    torch.arcsinh(x!),
    u!.arctanh(),
    torch.arctan2(x!, y!),
    x!.arctan2(y!),
    u!.clone().arccos_(),
    torch.arcsinh_(x!.clone()),
    x!.clone().arctan2_(y!),
  ],
});
c('aliases', 'arithmetic and comparison names', {
  inputs: { x, y },
  py: 'out = [torch.absolute(x), x.negative(), torch.multiply(x, y), x.divide(y, rounding_mode="floor"), torch.true_divide(x, 2), x.subtract(y, alpha=2), torch.clip(x, -0.5, 0.5), x.clip(min=0), torch.fix(x), x.clone().fix_(), torch.greater(x, y), x.greater_equal(0), torch.less(x, y), x.less_equal(y), torch.not_equal(x, x), x.clone().multiply_(y), x.clone().not_equal_(0), x.clone().clip_(max=0.1)]',
  js: ({ x, y }) => [
    torch.absolute(x!),
    x!.negative(),
    torch.multiply(x!, y!),
    x!.divide(y!, { roundingMode: 'floor' }),
    torch.trueDivide(x!, 2),
    x!.subtract(y!, { alpha: 2 }),
    torch.clip(x!, { min: -0.5, max: 0.5 }),
    x!.clip({ min: 0 }),
    torch.fix(x!),
    x!.clone().fix_(),
    torch.greater(x!, y!),
    x!.greaterEqual(0),
    torch.less(x!, y!),
    x!.lessEqual(y!),
    torch.notEqual(x!, x!),
    x!.clone().multiply_(y!),
    x!.clone().notEqual_(0),
    x!.clone().clip_({ max: 0.1 }),
  ],
});
c('aliases', 'swapaxes swapdims moveaxis', {
  inputs: { x3 },
  py: 'out = [torch.swapaxes(x3, 0, 2), x3.swapdims(1, 2), torch.moveaxis(x3, 0, -1), x3.moveaxis([0, 1], [1, 2]), x3.clone().swapaxes_(0, 1), x3.clone().swapdims_(2, 0)]',
  js: ({ x3 }) => [
    torch.swapaxes(x3!, 0, 2),
    x3!.swapdims(1, 2),
    torch.moveaxis(x3!, 0, -1),
    x3!.moveaxis([0, 1], [1, 2]),
    x3!.clone().swapaxes_(0, 1),
    x3!.clone().swapdims_(2, 0),
  ],
});

paritySuite('Tensor API coverage', cases);

// ---- in-place semantics, without Python: the tensor itself comes back, its storage is the same
// and autograd's version counter moved on (the result of the out-of-place op is what it holds).
describe('in-place ops return the tensor itself', () => {
  const storage = (t: T) => native.storageInfo(t._h).key;
  const check = (name: string, make: () => T, op: (t: T) => T, expected?: (t: T) => T) => {
    const t = make();
    const before = t.clone();
    const key = storage(t);
    const version = t._version;
    const r = op(t);
    assert.equal(r, t, `${name}: returns the same Tensor object`);
    assert.equal(storage(t), key, `${name}: same storage`);
    assert.ok(t._version > version, `${name}: version bumped (${version} -> ${t._version})`);
    if (expected) assert.ok(torch.equal(t, expected(before)), `${name}: holds the out-of-place result`);
  };
  const X = () =>
    torch.tensor(
      [
        [0.5, -1.25, 2],
        [3, -0.75, 0.1],
      ],
      { dtype: 'float64' },
    );
  const P = () => torch.tensor([[1.5, 2, 2.5]], { dtype: 'float64' });
  const N = () =>
    torch.tensor([
      [7, -3, 12],
      [5, 6, -8],
    ]);

  test('unary elementwise', () => {
    for (const name of [
      'asinh',
      'atan',
      'ceil',
      'floor',
      'round',
      'trunc',
      'frac',
      'exp2',
      'expm1',
      'sin',
      'cos',
      'tan',
      'sinh',
      'cosh',
      'square',
      'reciprocal',
      'erf',
      'erfc',
      'i0',
      'sinc',
      'deg2rad',
      'rad2deg',
      'sgn',
      'sign',
      'positive',
      'abs',
      'neg',
    ]) {
      const f = (t: T) => (t as unknown as Record<string, () => T>)[name]!();
      if (name === 'positive') continue;
      check(`${name}_`, X, (t) => (t as unknown as Record<string, () => T>)[`${name}_`]!(), f);
    }
    for (const name of ['acosh', 'rsqrt', 'log', 'log10', 'log1p', 'log2', 'lgamma', 'digamma', 'sqrt']) {
      check(
        `${name}_`,
        P,
        (t) => (t as unknown as Record<string, () => T>)[`${name}_`]!(),
        (t) => (t as unknown as Record<string, () => T>)[name]!(),
      );
    }
  });

  test('binary, comparison, bitwise, cumulative', () => {
    const Y = torch.tensor(
      [
        [2, 0.5, -1],
        [1, 4, -0.25],
      ],
      { dtype: 'float64' },
    );
    check(
      'hypot_',
      X,
      (t) => t.hypot_(Y),
      (t) => t.hypot(Y),
    );
    check(
      'fmod_',
      X,
      (t) => t.fmod_(0.3),
      (t) => t.fmod(0.3),
    );
    check(
      'clampMin_',
      X,
      (t) => t.clampMin_(0),
      (t) => t.clampMin(0),
    );
    check(
      'ge_',
      X,
      (t) => t.ge_(Y),
      (t) => t.ge(Y).to('float64'),
    );
    check(
      'logicalNot_',
      X,
      (t) => t.logicalNot_(),
      (t) => t.logicalNot().to('float64'),
    );
    check(
      'bitwiseXor_',
      N,
      (t) => t.bitwiseXor_(5),
      (t) => t.bitwiseXor(5),
    );
    check(
      'bitwiseNot_',
      N,
      (t) => t.bitwiseNot_(),
      (t) => t.bitwiseNot(),
    );
    check(
      'cumsum_',
      X,
      (t) => t.cumsum_(1),
      (t) => t.cumsum(1),
    );
    check(
      'tril_',
      X,
      (t) => t.tril_(),
      (t) => t.tril(),
    );
    check(
      'renorm_',
      X,
      (t) => t.renorm_(2, 0, 1),
      (t) => t.renorm(2, 0, 1),
    );
    check(
      'put_',
      X,
      (t) => t.put_(torch.tensor([0, 4]), torch.tensor([9, 8], { dtype: 'float64' })),
      (t) => t.put(torch.tensor([0, 4]), torch.tensor([9, 8], { dtype: 'float64' })),
    );
    check(
      'torch.sin_',
      X,
      (t) => torch.sin_(t),
      (t) => t.sin(),
    );
  });

  test('views in place change the shape, keep the storage', () => {
    const t = X();
    assert.equal(t.t_(), t);
    assert.deepEqual(t.shape, [3, 2]);
    assert.deepEqual(t.stride(), [1, 3]);
    assert.equal(t.unsqueeze_(0).squeeze_(), t);
    assert.deepEqual(t.shape, [3, 2]);
    assert.equal(t.swapaxes_(0, 1), t);
    assert.deepEqual(t.toArray(), X().toArray());
  });

  test('a user tensor given to an alias is the same function object', () => {
    assert.equal(torch.arccos, torch.acos);
    assert.equal(torch.clip, torch.clamp);
    assert.equal(torch.ger, torch.outer);
    assert.equal(torch.moveaxis, torch.movedim);
    assert.equal(torch.Tensor.prototype.swapdims_, torch.Tensor.prototype.transpose_);
    assert.equal(torch.Tensor.prototype.notEqual, torch.Tensor.prototype.ne);
  });
});

describe('errors name the op and the dtype at fault', () => {
  test('bitwise ops on floating point', () => {
    const f = torch.ones([2]);
    assert.throws(() => f.bitwiseAnd(f), /bitwise_and.*'Float'/);
    assert.throws(() => torch.bitwiseNot(f), /bitwise_not.*'Float'/);
    assert.throws(() => f.bitwiseOr_(1), /bitwise_or_.*'Float'/);
  });
  test('an in-place result that cannot hold the result dtype', () => {
    const n = torch.tensor([1, 2]);
    // PyTorch: "result type Float can't be cast to the desired output type Long".
    assert.throws(() => n.sin_(), /sin_.*Float.*Long/);
    assert.throws(() => n.floatPower_(2), /float_power_.*Long.*Double/);
  });
  test('newZeros with a bad size', () => {
    assert.throws(() => torch.ones([1]).newZeros([-1]), /new_zeros.*negative dimension -1/);
  });
});

// The Python-free tests above are what runs without Python; this one says when the parity half
// is skipped, so that a run without torch does not pass silently on the values.
test('Python torch is importable for the parity half', { skip: skipWithoutPython() }, () => {
  assert.equal(runPython<number>('OUTPUT = 1 + INPUT', 1), 2);
});
