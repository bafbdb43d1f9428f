// Python's float math, bit for bit, for the scalars the optimizers and LR schedulers compute.
//
// Python's `a ** b` on floats and `math.cos` call the C library's pow() and cos() (glibc here),
// while V8's Math.pow and Math.cos are fdlibm ports that differ from glibc in the last bit for a
// few percent of arguments (0.9 ** 4 is 0.6561 in Python and 0.6561000000000001 in V8). Adam's
// bias corrections and the schedulers' factors would then drift from PyTorch's by an ulp.
//   - pyPow asks libtorch, whose pow of a one-element float64 tensor by a float64 tensor is
//     the C library's pow() (a one-element tensor takes the scalar path, not the SIMD one).
//     Results are cached: the same (base, exponent) pairs repeat across parameters.
//   - pyCos evaluates cos in double-double arithmetic and rounds once, so it is the correctly
//     rounded cosine; glibc's cos differs from that in about 1 case in 1,000 (it is not
//     correctly rounded either), V8's in about 1 in 30.
import '../../generated/methods.js';
import { scalarTensor } from '../creation.js';
import { scope } from '../lifetime.js';

const powCache = new Map<string, number>();

/** Python's `base ** exponent` for floats: the C library's pow(). */
export function pyPow(base: number, exponent: number): number {
  if (exponent === 0) return 1; // pow(x, 0) is 1 for every x, NaN included
  if (exponent === 1) return base;
  const key = `${base}|${exponent}`;
  const cached = powCache.get(key);
  if (cached !== undefined) return cached;
  const value = scope(
    () =>
      scalarTensor(base, { dtype: 'float64' })
        .pow(scalarTensor(exponent, { dtype: 'float64' }))
        .item() as number,
  );
  if (powCache.size >= 1024) powCache.clear();
  powCache.set(key, value);
  return value;
}

// ---- double-double arithmetic (Dekker, Knuth), for pyCos

const SPLIT = 134217729; // 2^27 + 1

function twoSum(a: number, b: number): [number, number] {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

function twoProd(a: number, b: number): [number, number] {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

function ddAdd(ah: number, al: number, bh: number, bl: number): [number, number] {
  const [s, e0] = twoSum(ah, bh);
  const e = e0 + al + bl;
  const h = s + e;
  return [h, e - (h - s)];
}

function ddMul(ah: number, al: number, bh: number, bl: number): [number, number] {
  const [p, e0] = twoProd(ah, bh);
  const e = e0 + ah * bl + al * bh;
  const s = p + e;
  return [s, e - (s - p)];
}

// pi/2 as the sum of three doubles
const PIO2_1 = 1.5707963267948966;
const PIO2_2 = 6.123233995736766e-17;
const PIO2_3 = -1.4973849048591698e-33;

/** cos(x), correctly rounded (in all but vanishingly rare cases), for |x| up to about 1e9. */
export function pyCos(x: number): number {
  if (!Number.isFinite(x)) return Number.NaN;
  const ax = Math.abs(x);
  if (ax > 1e9) return Math.cos(x);
  const n = Math.round(ax / PIO2_1);
  // r = ax - n * pi/2, in double-double (the products by n are exact for n < 2^26)
  let [rh, rl] = twoProd(-n, PIO2_1);
  [rh, rl] = ddAdd(ax, 0, rh, rl);
  const [th, tl] = twoProd(-n, PIO2_2);
  [rh, rl] = ddAdd(rh, rl, th, tl);
  [rh, rl] = ddAdd(rh, rl, -n * PIO2_3, 0);
  const [r2h, r2l] = ddMul(rh, rl, rh, rl);
  const quadrant = n % 4;
  const useSin = quadrant === 1 || quadrant === 3;
  // cos r = sum (-1)^k r^2k / (2k)!, sin r = r * sum (-1)^k r^2k / (2k+1)!
  let sh = 1;
  let sl = 0;
  let termH = 1;
  let termL = 0;
  for (let k = 1; k < 40; k++) {
    const d = useSin ? 2 * k * (2 * k + 1) : (2 * k - 1) * (2 * k);
    [termH, termL] = ddMul(termH, termL, r2h, r2l);
    const qh = termH / d;
    const [ph, pl] = twoProd(qh, d);
    const ql = (termH - ph - pl + termL) / d;
    termH = -qh;
    termL = -ql;
    [sh, sl] = ddAdd(sh, sl, termH, termL);
    if (Math.abs(termH) < 1e-40) break;
  }
  if (useSin) [sh, sl] = ddMul(sh, sl, rh, rl);
  const v = sh + sl;
  return quadrant === 1 || quadrant === 2 ? -v : v;
}
