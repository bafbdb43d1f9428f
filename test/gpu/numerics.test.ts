// Ops and numerics on the device: a sweep over the generated elementwise ops, reductions and
// scans, FFT (cuFFT), complex tensors, sparse COO/CSR (cuSPARSE), linalg (cuSOLVER/cuBLAS),
// special functions and half/bfloat16 give on the device what the same computation gives on the
// CPU. Every family is a table of cases; a case that throws or differs is collected, and the
// test fails once at the end naming every failing case, so that one GPU run reports them all.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { assertClose, device, needsDevice, values } from './support.js';

type Tensor = torch.Tensor;
type Out = Tensor | Tensor[];

const { linalg, special } = torch;
const onCuda = device.startsWith('cuda');

interface Case {
  name: string;
  inputs: Tensor[];
  fn: (...xs: Tensor[]) => Out;
  /** [rtol, atol]; the family's default otherwise. */
  tol?: [number, number];
}

/** What `device` reads back as on a tensor ('cuda:0' for 'cuda'). */
let deviceName = '';
function expectedDevice(): string {
  if (deviceName === '') deviceName = torch.zeros([1], { device }).device;
  return deviceName;
}

/** A tensor to compare elementwise: complex as its real view, sparse as dense. */
function comparable(t: Tensor): Tensor {
  let x = t.layout === 'strided' ? t : t.toDense();
  if (x.isComplex()) x = torch.viewAsReal(x.resolveConj());
  return x;
}

function compareOut(what: string, got: Out, ref: Out, rtol: number, atol: number): void {
  const gs = Array.isArray(got) ? got : [got];
  const rs = Array.isArray(ref) ? ref : [ref];
  assert.equal(gs.length, rs.length, `${what}: number of results`);
  for (let i = 0; i < rs.length; i++) {
    const g = gs[i] as Tensor;
    const r = rs[i] as Tensor;
    const name = rs.length > 1 ? `${what} [result ${i}]` : what;
    assert.equal(g.device, expectedDevice(), `${name}: result device`);
    assert.equal(g.dtype, r.dtype, `${name}: result dtype`);
    assert.equal(g.layout, r.layout, `${name}: result layout`);
    assertClose(comparable(g), comparable(r), rtol, atol, name);
  }
}

/**
 * Runs every case on the CPU inputs and on copies of them on `device`; fails once, listing
 * each case that threw or whose results differ.
 */
function runCases(family: string, cases: Case[], tol: [number, number]): void {
  assert.ok(cases.length > 0, `${family}: no cases`);
  const failures: string[] = [];
  for (const c of cases) {
    torch.scope(() => {
      try {
        const ref = c.fn(...c.inputs);
        const got = c.fn(...c.inputs.map((x) => x.to(device)));
        const [rtol, atol] = c.tol ?? tol;
        compareOut(c.name, got, ref, rtol, atol);
      } catch (e) {
        failures.push(`${family} / ${c.name}: ${(e as Error).message.split('\n')[0]}`);
      }
    });
  }
  if (failures.length > 0) assert.fail(`${failures.length} of ${cases.length} cases failed:\n${failures.join('\n')}`);
}

// ---- inputs in each op's domain

/** Shaped [4, 16]: broadcasting-free, small, and enough values to meet the tails of each domain. */
const SHAPE = [4, 16];
function inputs(dtype: 'float32' | 'float64') {
  torch.manualSeed(11);
  const f = (t: Tensor) => t.to(dtype);
  return {
    /** any real, about [-4, 4] */
    r: f(torch.randn(SHAPE).mul(2)),
    r2: f(torch.randn(SHAPE).mul(2)),
    /** positive, [0.1, 3.1) */
    p: f(torch.rand(SHAPE).mul(3).add(0.1)),
    p2: f(torch.rand(SHAPE).mul(3).add(0.1)),
    /** (-0.9, 0.9) */
    u: f(torch.rand(SHAPE).mul(1.8).sub(0.9)),
    /** (1.05, 4.05) */
    g1: f(torch.rand(SHAPE).mul(3).add(1.05)),
    /** probabilities (0.01, 0.99) */
    pr: f(torch.rand(SHAPE).mul(0.98).add(0.01)),
    /** [0, 1) */
    unit: f(torch.rand(SHAPE)),
  };
}

/** Makers of one-input and two-input cases, named with their dtype. */
function caseMakers(dtype: string) {
  const un = (name: string, x: Tensor, fn: (a: Tensor) => Out, tol?: [number, number]): Case => ({
    name: `${name} (${dtype})`,
    inputs: [x],
    fn: (a) => fn(a as Tensor),
    tol,
  });
  const bin = (
    name: string,
    x: Tensor,
    y: Tensor,
    fn: (a: Tensor, b: Tensor) => Out,
    tol?: [number, number],
  ): Case => ({
    name: `${name} (${dtype})`,
    inputs: [x, y],
    fn: (a, b) => fn(a as Tensor, b as Tensor),
    tol,
  });
  return { un, bin };
}

function elementwiseCases(dtype: 'float32' | 'float64'): Case[] {
  const { r, r2, p, p2, u, g1, pr, unit } = inputs(dtype);
  const loose: [number, number] = dtype === 'float32' ? [2e-4, 1e-5] : [1e-9, 1e-12];
  const withSpecials = torch.tensor([Number.NaN, Infinity, -Infinity, 1.5, -2, 0], { dtype });
  const { un, bin } = caseMakers(dtype);
  return [
    // unary: arithmetic, exp/log family, trig and hyperbolic
    un('abs', r, (a) => a.abs()),
    un('neg', r, (a) => a.neg()),
    un('reciprocal', p, (a) => a.reciprocal()),
    un('square', r, (a) => a.square()),
    un('exp', r, (a) => a.exp()),
    un('exp2', r, (a) => a.exp2()),
    un('expm1', r, (a) => a.expm1()),
    un('log', p, (a) => a.log()),
    un('log2', p, (a) => a.log2()),
    un('log10', p, (a) => a.log10()),
    un('log1p', p, (a) => a.log1p()),
    un('sqrt', p, (a) => a.sqrt()),
    un('rsqrt', p, (a) => a.rsqrt()),
    un('sin', r, (a) => a.sin()),
    un('cos', r, (a) => a.cos()),
    un('tan', u, (a) => a.tan()),
    un('asin', u, (a) => a.asin()),
    un('acos', u, (a) => a.acos()),
    un('atan', r, (a) => a.atan()),
    un('sinh', r, (a) => a.sinh()),
    un('cosh', r, (a) => a.cosh()),
    un('tanh', r, (a) => a.tanh()),
    un('asinh', r, (a) => a.asinh()),
    un('acosh', g1, (a) => a.acosh()),
    un('atanh', u, (a) => a.atanh()),
    un('deg2rad', r, (a) => a.deg2rad()),
    un('rad2deg', r, (a) => a.rad2deg()),
    // activations
    un('sigmoid', r, (a) => a.sigmoid()),
    un('logit', pr, (a) => a.logit()),
    un('logit eps', unit, (a) => torch.logit(a, { eps: 0.05 })),
    un('relu', r, (a) => a.relu()),
    un('gelu', r, (a) => torch.nn.functional.gelu(a)),
    un('silu', r, (a) => torch.nn.functional.silu(a)),
    un('softplus', r, (a) => torch.nn.functional.softplus(a)),
    // error and gamma functions
    un('erf', r, (a) => a.erf()),
    un('erfc', r, (a) => a.erfc()),
    un('erfinv', u, (a) => a.erfinv(), loose),
    un('lgamma', p, (a) => a.lgamma(), loose),
    un('digamma', p, (a) => a.digamma(), loose),
    un('polygamma(1)', p, (a) => a.polygamma(1), loose),
    un('polygamma(3)', p, (a) => torch.polygamma(3, a), loose),
    un('mvlgamma(p=3)', g1, (a) => a.mvlgamma(3), loose),
    un('i0', r, (a) => a.i0(), loose),
    un('sinc', r, (a) => a.sinc()),
    // signs and rounding
    un('sign', r, (a) => a.sign()),
    un('sgn', r, (a) => a.sgn()),
    un('signbit', r, (a) => a.signbit()),
    un('floor', r, (a) => a.floor()),
    un('ceil', r, (a) => a.ceil()),
    un('round', r.mul(3), (a) => a.round()),
    un('round(decimals=2)', r, (a) => a.round({ decimals: 2 })),
    un('trunc', r, (a) => a.trunc()),
    un('frac', r, (a) => a.frac()),
    un('frexp', r, (a) => {
      const [m, e] = a.frexp();
      return [m, e];
    }),
    // non-finite values
    un('nanToNum', withSpecials, (a) => a.nanToNum()),
    un('nanToNum(nan, posinf, neginf)', withSpecials, (a) => a.nanToNum({ nan: 7, posinf: 100, neginf: -100 })),
    un('isnan/isinf/isfinite/isposinf/isneginf', withSpecials, (a) => [
      a.isnan(),
      a.isinf(),
      a.isfinite(),
      a.isposinf(),
      a.isneginf(),
    ]),
    // binary arithmetic
    bin('add(alpha)', r, r2, (a, b) => a.add(b, { alpha: 0.5 })),
    bin('sub', r, r2, (a, b) => a.sub(b)),
    bin('mul', r, r2, (a, b) => a.mul(b)),
    bin('div', r, p, (a, b) => a.div(b)),
    bin('div floor', r, p, (a, b) => a.div(b, { roundingMode: 'floor' })),
    bin('div trunc', r, p, (a, b) => a.div(b, { roundingMode: 'trunc' })),
    bin('remainder', r, p, (a, b) => a.remainder(b), loose),
    bin('fmod', r, p, (a, b) => a.fmod(b), loose),
    bin('floorDivide', r, p, (a, b) => a.floorDivide(b)),
    bin('pow(tensor)', p, r, (a, b) => a.pow(b), loose),
    bin('pow(2.5)', p, p, (a) => a.pow(2.5)),
    bin('floatPower', p, r, (a, b) => torch.floatPower(a, b), loose),
    bin('atan2', r, r2, (a, b) => torch.atan2(a, b)),
    bin('hypot', r, r2, (a, b) => torch.hypot(a, b)),
    bin('maximum/minimum', r, r2, (a, b) => [a.maximum(b), a.minimum(b)]),
    bin('fmax/fmin', r, r2, (a, b) => [a.fmax(b), a.fmin(b)]),
    bin('copysign', r, r2, (a, b) => a.copysign(b)),
    bin('nextafter', r, r2, (a, b) => a.nextafter(b)),
    bin('logaddexp/logaddexp2', r, r2, (a, b) => [a.logaddexp(b), a.logaddexp2(b)]),
    bin('xlogy', r, p, (a, b) => torch.xlogy(a, b)),
    bin('heaviside', r.round(), r2, (a, b) => a.heaviside(b)),
    bin('ldexp', r, r2.round().clamp({ min: -4, max: 4 }), (a, b) => torch.ldexp(a, b)),
    bin('igamma/igammac', p, p2, (a, b) => [a.igamma(b), a.igammac(b)], dtype === 'float32' ? [1e-3, 1e-5] : loose),
    // ternary and selection
    bin('lerp', r, r2, (a, b) => a.lerp(b, 0.3)),
    bin('addcmul', r, r2, (a, b) => a.addcmul(b, a, { value: 0.5 })),
    bin('addcdiv', r, p, (a, b) => a.addcdiv(a, b, { value: -2 })),
    bin('where', r, r2, (a, b) => torch.where(a.gt(b), a, b)),
    bin('where(scalar)', r, r2, (a, b) => torch.where(a.gt(b), a, 0.5)),
    bin('clamp(scalars)', r, r2, (a) => a.clamp({ min: -1, max: 0.5 })),
    bin('clamp(tensors)', r, r2, (a, b) => a.clamp({ min: b.sub(1), max: b.add(1) })),
    bin('clampMin/clampMax', r, r2, (a) => [a.clampMin(-0.5), a.clampMax(0.5)]),
    // comparisons and logic
    bin('eq/ne/lt/le/gt/ge', r.round(), r2.round(), (a, b) => [a.eq(b), a.ne(b), a.lt(b), a.le(b), a.gt(b), a.ge(b)]),
    // equal or 0.1 apart: no element near the tolerance, where FMA could tip it either way
    bin('isclose', r, r.add(r2.gt(0).to(dtype).mul(0.1)), (a, b) => a.isclose(b)),
    bin('logical and/or/xor/not', r.gt(0), r2.gt(0), (a, b) => [
      a.logicalAnd(b),
      a.logicalOr(b),
      a.logicalXor(b),
      a.logicalNot(),
    ]),
  ];
}

function intCases(): Case[] {
  torch.manualSeed(12);
  const a = torch.randint(-50, 50, SHAPE);
  const b = torch.randint(1, 20, SHAPE);
  const c = torch.randint(-20, 20, SHAPE);
  const sh = torch.randint(0, 8, SHAPE);
  const bin = (name: string, x: Tensor, y: Tensor, fn: (a: Tensor, b: Tensor) => Out): Case => ({
    name: `${name} (int64)`,
    inputs: [x, y],
    fn: (p, q) => fn(p as Tensor, q as Tensor),
  });
  return [
    bin('add/sub/mul', a, b, (x, y) => [x.add(y), x.sub(y, { alpha: 3 }), x.mul(y)]),
    bin('true division gives float', a, b, (x, y) => x.div(y)),
    bin('floorDivide/remainder/fmod', a, b, (x, y) => [x.floorDivide(y), x.remainder(y), x.fmod(y)]),
    bin('div floor/trunc', a, b, (x, y) => [x.div(y, { roundingMode: 'floor' }), x.div(y, { roundingMode: 'trunc' })]),
    bin('abs/neg/sign/square', a, b, (x) => [x.abs(), x.neg(), x.sign(), x.square()]),
    bin('pow(3)', c, b, (x) => x.pow(3)),
    bin('maximum/minimum/clamp', a, c, (x, y) => [x.maximum(y), x.minimum(y), x.clamp({ min: -10, max: 10 })]),
    bin('bitwise and/or/xor/not', a, c, (x, y) => [x.bitwiseAnd(y), x.bitwiseOr(y), x.bitwiseXor(y), x.bitwiseNot()]),
    bin('shifts', a.abs(), sh, (x, y) => [x.bitwiseLeftShift(y), x.bitwiseRightShift(y)]),
    bin('gcd/lcm', a, b, (x, y) => [x.gcd(y), x.lcm(y)]),
    bin('comparisons', a, c, (x, y) => [x.eq(y), x.lt(y), x.ge(y)]),
    bin('where/sum/cumsum/prod', a, b, (x, y) => [
      torch.where(x.gt(0), x, y),
      x.sum(),
      x.cumsum(1),
      y.narrow(1, 0, 6).prod(),
    ]),
    bin('int32 and uint8 arithmetic', a, b, (x, y) => [
      x.int().mul(y.int()),
      y.byte().add(y.byte()),
      x.int().bitwiseXor(y.int()),
    ]),
  ];
}

describe('elementwise ops on the device', { skip: needsDevice }, () => {
  test('float32 sweep of the generated unary, binary and ternary ops', () => {
    runCases('float32', elementwiseCases('float32'), [2e-5, 2e-6]);
  });

  test('float64 sweep of the same ops', () => {
    runCases('float64', elementwiseCases('float64'), [1e-10, 1e-12]);
  });

  test('int64, int32 and uint8 ops agree exactly', () => {
    runCases('integers', intCases(), [0, 0]);
  });
});

describe('reductions and scans on the device', { skip: needsDevice }, () => {
  test('sum, mean, std, var, prod, norms, logsumexp, extrema, scans, sorts and counts', () => {
    torch.manualSeed(13);
    const x = torch.randn([6, 200]);
    const pos = torch.rand([6, 20]).add(0.5);
    const d = torch.randn([8, 10]).double();
    const ints = torch.randint(0, 6, [5, 30]);
    // Rows whose most frequent value is unique (CUDA and the CPU break ties differently).
    const modal = torch.cat([ints, torch.arange(5).mul(1).view([5, 1]).expand([5, 12])], 1);
    const flat = torch.randint(0, 12, [300]);
    const sorted = torch.sort(torch.randn([50])).values;
    const q = torch.randn([4, 7]);
    const c = (name: string, ins: Tensor[], fn: (...xs: Tensor[]) => Out, tol?: [number, number]): Case => ({
      name,
      inputs: ins,
      fn,
      tol,
    });
    runCases(
      'reductions',
      [
        c('sum all/dim/keepdim/dtype', [x], (a) => [
          a.sum(),
          a.sum(1),
          a.sum(0, { keepdim: true }),
          a.sum(1, { dtype: 'float64' }),
        ]),
        c('mean/nanmean/nansum', [x], (a) => {
          const withNan = a.where(a.gt(1.5), Number.NaN);
          return [a.mean(), a.mean([0, 1]), a.mean(1), withNan.nanmean(1), withNan.nansum(1)];
        }),
        c('std/var with correction', [x], (a) => [a.std(), a.std(1), a.var(1, { correction: 0 }), a.var(0)]),
        c('prod', [pos], (a) => [a.prod(), a.prod(1), a.prod(0, { keepdim: true }), a.prod({ dtype: 'float64' })]),
        c('norm p=1,2,inf', [x], (a) => [a.norm(), a.norm(1, 1), a.norm(Infinity, 1)]),
        c('logsumexp', [x], (a) => [a.logsumexp(1), a.logsumexp([0, 1])]),
        c('amax/amin/aminmax', [x], (a) => {
          const { min, max } = torch.aminmax(a, { dim: 1 }) as unknown as { min: Tensor; max: Tensor };
          return [a.amax(1), a.amin(0), min, max];
        }),
        c('max/min with indices, argmax/argmin', [x], (a) => {
          const mx = a.max(1);
          const mn = a.min(0);
          return [mx.values, mx.indices, mn.values, mn.indices, a.argmax(), a.argmax(1), a.argmin(1)];
        }),
        // scans along 200 float32 elements: the partial sums cross zero, so an absolute bound
        c(
          'cumsum/cumprod/logcumsumexp',
          [x, pos],
          (a, b) => [(a as Tensor).cumsum(1), (b as Tensor).cumprod(1), (a as Tensor).logcumsumexp(1)],
          [1e-4, 1e-4],
        ),
        c('cummax/cummin', [x], (a) => {
          const [v, i] = a.cummax(1);
          const [w, j] = a.cummin(0);
          return [v, i, w, j];
        }),
        c('float64 sum/std/cumsum', [d], (a) => [a.sum(1), a.std(0), a.cumsum(0)], [1e-12, 1e-12]),
        c('sort ascending/descending/stable', [x], (a) => {
          const s = a.sort(1);
          const t = a.sort(0, { descending: true });
          return [s.values, s.indices, t.values, t.indices];
        }),
        c('stable sort of ties keeps the order', [ints], (a) => {
          const s = a.sort(1, { stable: true });
          return [s.values, s.indices, a.argsort(1, { stable: true })];
        }),
        c('topk largest/smallest', [x], (a) => {
          const t = a.topk(5, 1);
          const b = a.topk(3, 0, { largest: false });
          return [t.values, t.indices, b.values, b.indices];
        }),
        c('kthvalue', [x], (a) => {
          const k = a.kthvalue(17, 1);
          return [k.values, k.indices];
        }),
        c('median (values and indices of distinct values)', [x], (a) => {
          const m = a.median(1);
          return [a.median(), m.values, m.indices];
        }),
        c('quantile', [x, q], (a) => [a.quantile(torch.tensor([0.1, 0.5, 0.9], { device: a.device }), 1)]),
        // Which index of a repeated value mode/median give is not specified: values only.
        c('mode values', [modal], (a) => [a.mode(1).values]),
        c('unique sorted with inverse and counts', [flat], (a) => {
          const [u, inv, counts] = torch.unique(a, { returnInverse: true, returnCounts: true });
          return [u, inv, counts];
        }),
        c('unique along a dim', [ints.narrow(1, 0, 2).remainder(2)], (a) => [torch.unique(a, { dim: 0 })]),
        c('bincount plain/weighted/minlength', [flat, torch.rand([300])], (a, w) => [
          a.bincount(),
          a.bincount({ weights: w, minlength: 15 }),
        ]),
        c('histc', [x], (a) => [a.histc({ bins: 10, min: -3, max: 3 }), a.histc({ bins: 7 })]),
        c('searchsorted left/right/int32', [sorted, q], (s, v) => [
          torch.searchsorted(s as Tensor, v as Tensor),
          torch.searchsorted(s as Tensor, v as Tensor, { right: true }),
          torch.searchsorted(s as Tensor, v as Tensor, { outInt32: true }),
        ]),
        c('bucketize', [q, sorted], (v, s) => [
          torch.bucketize(v as Tensor, s as Tensor),
          torch.bucketize(v as Tensor, s as Tensor, { right: true }),
        ]),
        c('countNonzero/all/any', [ints], (a) => [a.countNonzero(1), a.gt(0).all(1), a.gt(4).any(0)]),
      ],
      [1e-5, 1e-5],
    );
  });
});

describe('FFT on the device (cuFFT on CUDA)', { skip: needsDevice }, () => {
  test('1-D, 2-D and n-D transforms, norms, shifts, stft/istft, float32 and complex64', () => {
    const { fft } = torch;
    torch.manualSeed(14);
    const x = torch.randn([4, 64]);
    const img = torch.randn([3, 8, 12]);
    const z = torch.complex(torch.randn([4, 32]), torch.randn([4, 32]));
    const x64 = torch.randn([2, 48]).double();
    const sig = torch.randn([2, 400]);
    const c = (name: string, ins: Tensor[], fn: (...xs: Tensor[]) => Out, tol?: [number, number]): Case => ({
      name,
      inputs: ins,
      fn,
      tol,
    });
    runCases(
      'fft',
      [
        c('fft / fft(n=40) / fft(dim 0, ortho)', [x], (a) => [
          fft.fft(a),
          fft.fft(a, 40),
          fft.fft(a, null, 0, { norm: 'ortho' }),
        ]),
        c('ifft(complex64), forward norm', [z], (a) => [fft.ifft(a), fft.ifft(a, { norm: 'forward' }), fft.fft(a)]),
        c('rfft / irfft round trip', [x], (a) => {
          const X = fft.rfft(a);
          return [X, fft.irfft(X, 64), fft.rfft(a, { norm: 'forward' })];
        }),
        c('hfft / ihfft', [z, x], (a, b) => [fft.hfft(a as Tensor, 62), fft.ihfft(b as Tensor)]),
        c('fft2 / ifft2', [img], (a) => [fft.fft2(a), fft.ifft2(fft.fft2(a, null, [-2, -1], { norm: 'ortho' }))]),
        c('rfft2 / irfft2', [img], (a) => [fft.rfft2(a), fft.irfft2(fft.rfft2(a), [8, 12])]),
        c('fftn / ifftn / rfftn / irfftn', [img], (a) => [
          fft.fftn(a),
          fft.fftn(a, null, [0, 2]),
          fft.ifftn(a, [4, 8, 8]),
          fft.rfftn(a, null, [1, 2]),
          fft.irfftn(fft.rfftn(a), [3, 8, 12]),
        ]),
        c('fftshift / ifftshift / fftfreq', [img], (a) => [
          fft.fftshift(a),
          fft.ifftshift(a, [1, 2]),
          fft.fftfreq(10, 0.5, { device: a.device }),
          fft.rfftfreq(10, { device: a.device }),
        ]),
        c('float64 fft (complex128)', [x64], (a) => [fft.fft(a), fft.irfft(fft.rfft(a), 48)], [1e-10, 1e-10]),
        c('stft / istft with a Hann window', [sig], (a) => {
          const window = torch.hannWindow(64, { device: a.device });
          const S = torch.stft(a, 64, { hopLength: 16, window, returnComplex: true });
          return [S, torch.istft(S, 64, { hopLength: 16, window, length: 400 })];
        }),
      ],
      [1e-4, 1e-4],
    );
  });
});

describe('complex tensors on the device', { skip: needsDevice }, () => {
  test('creation, views, arithmetic, transcendental functions and matmul', () => {
    torch.manualSeed(15);
    const re = torch.randn([3, 4]);
    const im = torch.randn([3, 4]);
    const pairs = torch.randn([3, 4, 2]);
    const m1 = torch.randn([8, 6, 2]);
    const m2 = torch.randn([6, 5, 2]);
    const c = (name: string, ins: Tensor[], fn: (...xs: Tensor[]) => Out, tol?: [number, number]): Case => ({
      name,
      inputs: ins,
      fn,
      tol,
    });
    const z = (a: Tensor, b: Tensor) => torch.complex(a, b);
    runCases(
      'complex',
      [
        c('complex(re, im) and polar(abs, angle)', [re, im], (a, b) => [
          z(a as Tensor, b as Tensor),
          torch.polar((a as Tensor).abs(), b as Tensor),
        ]),
        c('viewAsComplex / viewAsReal', [pairs], (p) => {
          const w = torch.viewAsComplex(p as Tensor);
          return [w, torch.viewAsReal(w.mul(2))];
        }),
        c('real / imag', [re, im], (a, b) => {
          const w = z(a as Tensor, b as Tensor);
          return [w.real, w.imag, torch.real(w), torch.imag(w)];
        }),
        c('writes through the real and imag views', [re, im], (a, b) => {
          const w = z(a as Tensor, b as Tensor);
          w.imag.mul_(-1);
          w.real.add_(1);
          return w;
        }),
        c('mul / div / add with a real tensor', [re, im], (a, b) => {
          const w = z(a as Tensor, b as Tensor);
          const v = z(b as Tensor, (a as Tensor).add(2));
          return [w.mul(v), w.div(v), w.add(a as Tensor), w.mul(0.5)];
        }),
        c('abs / angle / conj / sgn / reciprocal', [re, im], (a, b) => {
          const w = z(a as Tensor, b as Tensor);
          return [w.abs(), w.angle(), w.conj(), w.conjPhysical(), w.sgn(), w.reciprocal()];
        }),
        c(
          'exp / log / sqrt / pow / sin / tanh',
          [re, im],
          (a, b) => {
            const w = z(a as Tensor, b as Tensor);
            return [w.exp(), w.log(), w.sqrt(), w.pow(2), w.sin(), w.tanh()];
          },
          [3e-5, 3e-5],
        ),
        c('sum / mean / prod / cumsum', [re, im], (a, b) => {
          const w = z(a as Tensor, b as Tensor);
          return [w.sum(), w.mean(1), w.narrow(1, 0, 2).prod(), w.cumprod(1), w.cumsum(1)];
        }),
        c(
          'complex64 matmul (cgemm) and vdot',
          [m1, m2],
          (a, b) => {
            const A = torch.viewAsComplex(a as Tensor);
            const B = torch.viewAsComplex(b as Tensor);
            return [A.matmul(B), A.matmul(B.narrow(1, 0, 1).squeeze(1)), torch.vdot(B.select(1, 0), B.select(1, 1))];
          },
          [1e-5, 1e-5],
        ),
        c(
          'complex128 matmul (zgemm) with a conjugate transpose',
          [m1.double(), m2.double()],
          (a, b) => {
            const A = torch.viewAsComplex(a as Tensor);
            const B = torch.viewAsComplex(b as Tensor);
            return [A.matmul(B), A.mH.matmul(A)];
          },
          [1e-12, 1e-12],
        ),
        c('isreal / isclose / eq', [re, im], (a, b) => {
          const w = z(a as Tensor, (b as Tensor).mul((b as Tensor).gt(0)));
          return [w.isreal(), w.eq(w.conj())];
        }),
      ],
      // componentwise: a component near zero carries an error of the size of eps * |z|
      [1e-5, 1e-5],
    );
  });
});

describe('sparse tensors on the device (cuSPARSE on CUDA)', { skip: needsDevice }, () => {
  test('COO and CSR: construction, coalesce, conversions, products, sums and gradients', () => {
    torch.manualSeed(16);
    // duplicates at (0, 1) and (3, 2): coalesce sums them
    const I = torch.tensor([
      [0, 1, 3, 0, 4, 3, 2],
      [1, 0, 2, 1, 4, 2, 3],
    ]);
    const V = torch.randn([7]);
    const dense = torch.randn([5, 3]);
    const sq = torch.randn([5, 5]);
    const bias = torch.randn([5, 3]);
    const W = torch.randn([5, 3]);
    const masked = torch.randn([6, 7]).mul(torch.rand([6, 7]).gt(0.6));
    const coo = (i: Tensor, v: Tensor) => torch.sparseCooTensor(i, v, [5, 5]);
    const c = (name: string, ins: Tensor[], fn: (...xs: Tensor[]) => Out, tol?: [number, number]): Case => ({
      name,
      inputs: ins,
      fn,
      tol,
    });
    const made = torch.sparseCooTensor(
      [
        [0, 1],
        [1, 0],
      ],
      [1, 2],
      [2, 2],
      { device, dtype: 'float64' },
    );
    assert.equal(made.device, expectedDevice(), 'sparseCooTensor({ device })');
    assert.deepEqual(values(made.toDense()), [0, 1, 2, 0]);
    runCases(
      'sparse',
      [
        c('sparseCooTensor / coalesce / toDense', [I, V], (i, v) => {
          const s = coo(i as Tensor, v as Tensor);
          const k = s.coalesce();
          assert.equal(k.isCoalesced(), true);
          return [s.toDense(), k, k.indices(), k.values()];
        }),
        c('dense + sparse, sparse + sparse, sparse * scalar', [I, V, sq], (i, v, d) => {
          const s = coo(i as Tensor, v as Tensor);
          // add(sparse, dense) is PyTorch's error too: dense + sparse
          return [(d as Tensor).add(s), s.add(s).coalesce(), s.mul(3).coalesce()];
        }),
        c('transpose / t', [I, V], (i, v) => {
          const s = coo(i as Tensor, v as Tensor);
          return [s.transpose(0, 1).coalesce(), s.t().toDense()];
        }),
        c('sparse.mm / matmul / sparse.addmm', [I, V, dense, bias], (i, v, d, b) => {
          const s = coo(i as Tensor, v as Tensor);
          return [
            torch.sparse.mm(s, d as Tensor),
            s.matmul(d as Tensor),
            torch.sparse.addmm(b as Tensor, s, d as Tensor, { beta: 0.5, alpha: 2 }),
          ];
        }),
        c('sparse.sum all / over a dim', [I, V], (i, v) => {
          const s = coo(i as Tensor, v as Tensor);
          return [torch.sparse.sum(s), torch.sparse.sum(s, 1)];
        }),
        c('toSparse / toSparseCsr / toSparseCsc and back', [masked], (m) => {
          const a = m as Tensor;
          const csr = a.toSparseCsr();
          assert.equal(csr.layout, 'sparse_csr');
          return [
            a.toSparse().coalesce(),
            csr.toDense(),
            csr.crowIndices(),
            csr.colIndices(),
            csr.values(),
            a.toSparseCsc().toDense(),
          ];
        }),
        c('CSR matmul with dense', [masked, torch.randn([7, 4])], (m, d) => {
          const csr = (m as Tensor).toSparseCsr();
          return [csr.matmul(d as Tensor), torch.sparse.mm(csr, d as Tensor)];
        }),
        c('sparse.softmax', [I, V], (i, v) => {
          const s = coo(i as Tensor, v as Tensor).coalesce();
          return torch.sparse.softmax(s, 1);
        }),
        c('gradients through sparse.mm (sparse grad for the sparse operand)', [I, V, dense, W], (i, v, d, w) => {
          const s = coo(i as Tensor, v as Tensor)
            .coalesce()
            .detach()
            .requiresGrad_();
          const dd = (d as Tensor).detach().clone().requiresGrad_();
          torch.sparse
            .mm(s, dd)
            .mul(w as Tensor)
            .sum()
            .backward();
          const gs = s.grad as Tensor;
          assert.equal(gs.layout, 'sparse_coo', 'grad of the sparse operand is sparse');
          return [gs.coalesce(), dd.grad as Tensor];
        }),
      ],
      [1e-5, 1e-5],
    );
  });
});

/** Symmetric positive definite, batched: A A^T + n I. */
function spd(a: Tensor): Tensor {
  const n = a.shape[a.dim() - 1] as number;
  return a.matmul(a.mT).add(torch.eye(n, { dtype: a.dtype, device: a.device }).mul(n));
}

function linalgCases(dtype: 'float32' | 'float64'): Case[] {
  torch.manualSeed(17);
  const A = torch.randn([3, 5, 5], { dtype });
  const B = torch.randn([3, 5, 2], { dtype });
  const one = torch.randn([6, 6], { dtype });
  const tall = torch.randn([2, 8, 4], { dtype });
  const tallB = torch.randn([2, 8, 3], { dtype });
  const wide = torch.randn([4, 7], { dtype });
  const v3 = torch.randn([4, 3], { dtype });
  const w3 = torch.randn([4, 3], { dtype });
  const small = torch.randn([2, 4, 4], { dtype }).mul(0.5);
  const eye = (n: number, like: Tensor) => torch.eye(n, { dtype: like.dtype, device: like.device });
  const c = (name: string, ins: Tensor[], fn: (...xs: Tensor[]) => Out, tol?: [number, number]): Case => ({
    name: `${name} (${dtype})`,
    inputs: ins,
    fn,
    tol,
  });
  return [
    c('solve (batched, left and right)', [A, B], (a, b) => [
      linalg.solve(a as Tensor, b as Tensor),
      linalg.solve(a as Tensor, (b as Tensor).mT, { left: false }),
    ]),
    c('inv / invEx', [A], (a) => [linalg.inv(a), linalg.invEx(a).inverse, linalg.inv(a).matmul(a)]),
    c('det / slogdet / logdet of SPD', [A], (a) => {
      const { sign, logabsdet } = linalg.slogdet(a);
      return [linalg.det(a), sign, logabsdet, spd(a).logdet()];
    }),
    c('cholesky (unique factor), lower and upper', [A], (a) => {
      const S = spd(a);
      return [linalg.cholesky(S), linalg.cholesky(S, { upper: true }), linalg.choleskyEx(S).L];
    }),
    c('cholesky_solve / cholesky_inverse', [A, B], (a, b) => {
      const L = linalg.cholesky(spd(a as Tensor));
      return [torch.choleskySolve(b as Tensor, L), torch.choleskyInverse(L.select(0, 0))];
    }),
    c('qr reduced and complete: Q R = A, Q^T Q = I, |diag R|', [tall, one], (t, o) => {
      const { Q, R } = linalg.qr(t as Tensor);
      const full = linalg.qr(o as Tensor, { mode: 'complete' });
      return [
        Q.matmul(R),
        Q.mT.matmul(Q),
        R.diagonal({ dim1: -2, dim2: -1 }).abs(),
        R.tril(-1),
        full.Q.matmul(full.R),
        full.Q.mT.matmul(full.Q),
      ];
    }),
    c('svd: U S Vh = A, singular values, orthogonality; svdvals', [tall, wide], (t, w) => {
      const { U, S, Vh } = linalg.svd(t as Tensor, { fullMatrices: false });
      const full = linalg.svd(w as Tensor);
      return [
        U.mul(S.unsqueeze(-2)).matmul(Vh),
        S,
        U.mT.matmul(U),
        Vh.matmul(Vh.mT),
        full.U.matmul(full.U.mT),
        full.Vh.matmul(full.Vh.mT),
        linalg.svdvals(w as Tensor),
      ];
    }),
    c('eigh / eigvalsh: eigenvalues, V L V^T = A, V^T V = I', [A], (a) => {
      const S = spd(a);
      const { eigenvalues: L, eigenvectors: V } = linalg.eigh(S);
      return [L, V.mul(L.unsqueeze(-2)).matmul(V.mT), V.mT.matmul(V), linalg.eigvalsh(S, { UPLO: 'U' })];
    }),
    c('eig (complex): A V = V L, trace and det from the eigenvalues', [A], (a) => {
      const { eigenvalues: L, eigenvectors: V } = linalg.eig(a);
      const Ac = a.to(L.dtype);
      return [
        Ac.matmul(V)
          .sub(V.mul(L.unsqueeze(-2)))
          .abs()
          .amax([-2, -1]),
        L.sum(-1),
        L.cumprod(-1).select(-1, -1),
        linalg.eigvals(a).sum(-1),
      ];
    }),
    c('luFactor / luSolve / lu: P L U = A', [A, B], (a, b) => {
      const { LU, pivots } = linalg.luFactor(a as Tensor);
      const { P, L, U } = linalg.lu(a as Tensor);
      return [
        linalg.luSolve(LU, pivots, b as Tensor),
        P.matmul(L).matmul(U),
        linalg.luSolve(LU, pivots, b as Tensor, { adjoint: true }),
      ];
    }),
    c('ldlFactor / ldlSolve of a symmetric matrix', [A, B], (a, b) => {
      const S = (a as Tensor).add((a as Tensor).mT);
      const { LD, pivots } = linalg.ldlFactor(S);
      const x = linalg.ldlSolve(LD, pivots, b as Tensor);
      return [x, S.matmul(x)];
    }),
    c('lstsq of a tall full-rank system', [tall, tallB], (a, b) => [linalg.lstsq(a as Tensor, b as Tensor).solution]),
    c('pinv (tall, wide, hermitian)', [tall, wide, A], (t, w, a) => [
      linalg.pinv(t as Tensor),
      linalg.pinv(w as Tensor),
      linalg.pinv(spd(a as Tensor), { hermitian: true }),
    ]),
    c('matrixNorm / vectorNorm / norm / cond / matrixRank', [A, tall], (a, t) => [
      linalg.matrixNorm(a as Tensor),
      linalg.matrixNorm(a as Tensor, 'nuc'),
      linalg.matrixNorm(a as Tensor, 2),
      linalg.matrixNorm(a as Tensor, -Infinity),
      linalg.vectorNorm(a as Tensor, 3, [-2, -1]),
      linalg.vectorNorm(a as Tensor, Infinity),
      linalg.norm(t as Tensor),
      linalg.cond(a as Tensor),
      linalg.matrixRank(t as Tensor),
    ]),
    c('matrixExp / matrixPower / multiDot', [small, one], (s, o) => [
      linalg.matrixExp(s as Tensor),
      linalg.matrixPower(s as Tensor, 3),
      linalg.matrixPower(spd(s as Tensor), -2),
      linalg.multiDot([o as Tensor, (o as Tensor).mT, o as Tensor]),
    ]),
    c('cross / vecdot / solveTriangular / vander', [v3, w3, A, B], (v, w, a, b) => [
      linalg.cross(v as Tensor, w as Tensor),
      torch.cross(v as Tensor, w as Tensor, 1),
      linalg.vecdot(v as Tensor, w as Tensor),
      linalg.solveTriangular((a as Tensor).triu().add(eye(5, a as Tensor).mul(4)), b as Tensor, { upper: true }),
      linalg.vander((v as Tensor).select(1, 0)),
    ]),
    c('geqrf + householderProduct: Q R = A', [tall], (t) => {
      const { a, tau } = torch.geqrf(t as Tensor);
      const Q = linalg.householderProduct(a, tau);
      return [Q.matmul(a.narrow(-2, 0, 4).triu()), Q.mT.matmul(Q)];
    }),
  ];
}

describe('linalg on the device (cuSOLVER / cuBLAS on CUDA)', { skip: needsDevice }, () => {
  test('float64: solvers, inverses, determinants, factorizations through reconstructions and invariants', () => {
    runCases('linalg float64', linalgCases('float64'), [1e-9, 1e-9]);
  });

  test('float32: the same, with float32 tolerances', () => {
    runCases('linalg float32', linalgCases('float32'), [1e-3, 1e-3]);
  });

  test('householder product from the same reflectors is the same matrix', () => {
    torch.manualSeed(18);
    const A = torch.randn([6, 4], { dtype: 'float64' });
    const { a, tau } = torch.geqrf(A);
    runCases(
      'householder',
      [
        {
          name: 'householderProduct',
          inputs: [a, tau],
          fn: (x, t) => linalg.householderProduct(x as Tensor, t as Tensor),
        },
      ],
      [1e-12, 1e-12],
    );
  });
});

function specialCases(dtype: 'float32' | 'float64'): Case[] {
  const { r, p, p2, u, g1, pr, unit } = inputs(dtype);
  const wide = p.mul(4);
  const loose: [number, number] = dtype === 'float32' ? [2e-4, 1e-5] : [1e-9, 1e-12];
  const { un, bin } = caseMakers(dtype);
  return [
    un('airyAi', r, (a) => special.airyAi(a)),
    un('besselJ0/J1', wide, (a) => [special.besselJ0(a), special.besselJ1(a)]),
    un('besselY0/Y1', wide, (a) => [special.besselY0(a), special.besselY1(a)]),
    un('modifiedBesselI0/I1/K0/K1', p, (a) => [
      special.modifiedBesselI0(a),
      special.modifiedBesselI1(a),
      special.modifiedBesselK0(a),
      special.modifiedBesselK1(a),
    ]),
    un('scaledModifiedBesselK0/K1', p, (a) => [special.scaledModifiedBesselK0(a), special.scaledModifiedBesselK1(a)]),
    un('sphericalBesselJ0', r, (a) => special.sphericalBesselJ0(a)),
    un('i0/i0e/i1/i1e', r, (a) => [special.i0(a), special.i0e(a), special.i1(a), special.i1e(a)]),
    un('ndtr/logNdtr/erfcx', r, (a) => [special.ndtr(a), special.logNdtr(a), special.erfcx(a)]),
    un('ndtri', pr, (a) => special.ndtri(a), loose),
    un('entr/expit/logit', unit, (a) => [special.entr(a), special.expit(a), special.logit(a, { eps: 1e-3 })]),
    un('gammaln/digamma/psi', p, (a) => [special.gammaln(a), special.digamma(a), special.psi(a)], loose),
    un('polygamma(2)', p, (a) => special.polygamma(2, a), loose),
    un('multigammaln(p=2)', g1, (a) => special.multigammaln(a, 2), loose),
    un('sinc/round/exp2/expm1/log1p/erfinv', u, (a) => [
      special.sinc(a),
      special.round(a.mul(10)),
      special.exp2(a),
      special.expm1(a),
      special.log1p(a),
      special.erfinv(a),
    ]),
    un('softmax/logSoftmax/logsumexp', r, (a) => [
      special.softmax(a, 1),
      special.logSoftmax(a, 1),
      special.logsumexp(a, 1),
    ]),
    bin('xlogy/xlog1py', r, p, (a, b) => [special.xlogy(a, b), special.xlog1py(a, b)]),
    bin('zeta', g1, p, (a, b) => special.zeta(a, b), loose),
    bin(
      'gammainc/gammaincc',
      p,
      p2,
      (a, b) => [special.gammainc(a, b), special.gammaincc(a, b)],
      dtype === 'float32' ? [1e-3, 1e-5] : loose,
    ),
    un('chebyshev T/U/V/W (n=3, 6)', u, (a) => [
      special.chebyshevPolynomialT(a, 3),
      special.chebyshevPolynomialU(a, 6),
      special.chebyshevPolynomialV(a, 3),
      special.chebyshevPolynomialW(a, 6),
    ]),
    un('shifted chebyshev T/U/V/W (n=4)', unit, (a) => [
      special.shiftedChebyshevPolynomialT(a, 4),
      special.shiftedChebyshevPolynomialU(a, 4),
      special.shiftedChebyshevPolynomialV(a, 4),
      special.shiftedChebyshevPolynomialW(a, 4),
    ]),
    un('hermite H/He, laguerre L, legendre P (n=5)', u, (a) => [
      special.hermitePolynomialH(a, 5),
      special.hermitePolynomialHe(a, 5),
      special.laguerrePolynomialL(a, 5),
      special.legendrePolynomialP(a, 5),
    ]),
    bin('polynomials with a tensor degree', u, unit.mul(6).floor(), (a, n) => [
      special.chebyshevPolynomialT(a, n),
      special.legendrePolynomialP(a, n),
    ]),
  ];
}

describe('special functions on the device', { skip: needsDevice }, () => {
  test('float32', () => {
    runCases('special float32', specialCases('float32'), [1e-4, 1e-5]);
  });

  // On CUDA most of these are jiterator kernels, compiled by NVRTC at their first call (a fraction
  // of a second each): float64 spot-checks a few families, the rest run in float32 only.
  test('float64 (a subset)', () => {
    const keep = /airyAi|besselJ0|modifiedBessel|ndtri|gammaln|polygamma|zeta|gammainc/;
    runCases(
      'special float64',
      specialCases('float64').filter((c) => keep.test(c.name)),
      [1e-9, 1e-12],
    );
  });
});

describe('float16 and bfloat16 on the device', { skip: needsDevice }, () => {
  // On CUDA the device side computes in float16/bfloat16 (half kernels, cuBLAS half gemm) and is
  // compared, loosely, with float32 on the CPU. The CPU branch runs the same computations with
  // float32 on both sides (the low-precision dtype is float32 there), which checks the cases.
  for (const low of ['float16', 'bfloat16'] as const) {
    test(low, () => {
      const dt = onCuda ? low : 'float32';
      // float16 keeps 11 bits, bfloat16 8: relative error of the rounded inputs and results
      const eps = !onCuda ? 1e-6 : low === 'float16' ? 2e-3 : 1.6e-2;
      torch.manualSeed(19);
      const x = torch.randn([16, 64]);
      const y = torch.randn([16, 64]);
      const w = torch.randn([64, 32]).div(8);
      const img = torch.randn([2, 3, 8, 8]);
      const k = torch.randn([4, 3, 3, 3]).div(3);
      /** On the device: in `dt`, back to float32 to compare; on the CPU reference: float32. */
      const lowp =
        (fn: (...xs: Tensor[]) => Tensor) =>
        (...xs: Tensor[]): Tensor => {
          const ref = xs[0]?.device === 'cpu' && onCuda;
          const ins = xs.map((t) => (ref ? t : t.to(dt)));
          const out = fn(...ins);
          if (!ref) assert.equal(out.dtype, dt, `computed in ${dt}`);
          return out.float();
        };
      const c = (name: string, ins: Tensor[], fn: (...xs: Tensor[]) => Tensor, scale: number): Case => ({
        name: `${name} (${low})`,
        inputs: ins,
        fn: lowp(fn),
        tol: [scale * eps, scale * eps],
      });
      const F = torch.nn.functional;
      runCases(
        low,
        [
          c('add/mul/div', [x, y], (a, b) => a.add(b).mul(a).div(b.abs().add(1)), 8),
          c('exp/tanh/sigmoid/sin', [x], (a) => torch.stack([a.exp(), a.tanh(), a.sigmoid(), a.sin()]), 8),
          c('sqrt/log of positive values', [x], (a) => a.abs().add(0.5).sqrt().log(), 4),
          c('gelu/silu/relu', [x], (a) => torch.stack([F.gelu(a), F.silu(a), F.relu(a)]), 4),
          c('softmax/logSoftmax', [x], (a) => torch.stack([F.softmax(a, 1), F.logSoftmax(a, 1)]), 8),
          c('sum/mean over a dim', [x], (a) => torch.cat([a.sum(1), a.mean(0)]), 32),
          c('matmul (cuBLAS gemm)', [x, w], (a, b) => a.matmul(b), 16),
          c('bmm', [x.view([4, 4, 64]), y.view([4, 4, 64])], (a, b) => a.bmm(b.transpose(1, 2)), 32),
          c('linear', [x, w], (a, b) => F.linear(a, b.t()), 16),
          c('conv2d', [img, k], (a, b) => F.conv2d(a, b, { padding: 1 }), 16),
          c('layerNorm', [x], (a) => F.layerNorm(a, [64]), 16),
        ],
        [eps, eps],
      );
    });
  }
});
