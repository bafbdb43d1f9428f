// Pillow's resampling filters and the fixed-point weights it derives from them
// (libImaging/Resample.c), for the convolution filters of resize.ts. Torch-free.
//
// Per output position along a side, a window of source positions and their weights: the filter
// centred on the output pixel's centre mapped into the source, stretched by the downscaling factor
// (which is what antialiases), evaluated in doubles, normalised to sum 1, then made fixed-point.
// Pillow's exact sequence of double operations matters: one ulp can move a weight across a
// rounding boundary, so each filter below does its arithmetic in Pillow's order.

/** The names torchvision's InterpolationMode and mmcv's pillow_interp_codes give Pillow's filters. */
export type Interpolation = 'nearest' | 'box' | 'bilinear' | 'hamming' | 'bicubic' | 'lanczos';

export const INTERPOLATIONS: readonly Interpolation[] = ['nearest', 'box', 'bilinear', 'hamming', 'bicubic', 'lanczos'];

/** A filter: its weight at distance x (in source pixels of an unscaled side) and the x beyond which it is 0. */
export interface Filter {
  weight: (x: number) => number;
  support: number;
}

function box(x: number): number {
  // The half-open interval (-0.5, 0.5]: a source pixel exactly between two outputs (as when
  // halving) goes to one of them, which the integer-ratio tests see.
  return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
}

function bilinear(x: number): number {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

// The Hamming window's constants as Pillow has them: single-precision literals (0.54f, 0.46f),
// widened to double. With the doubles 0.54 and 0.46 some weights move by one unit (found against
// Pillow: 375 -> 224 rows differ at row 13).
const HAMMING_A = Math.fround(0.54);
const HAMMING_B = Math.fround(0.46);

/** A Hamming-windowed sinc on [-1, 1]: sinc(x) * (0.54 + 0.46 cos(pi x)). */
function hamming(x: number): number {
  if (x < 0.0) x = -x;
  if (x === 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  const px = x * Math.PI;
  return (Math.sin(px) / px) * (HAMMING_A + HAMMING_B * Math.cos(px));
}

/** Keys' cubic convolution with a = -0.5, the same operations in the same order as Pillow. */
function bicubic(x: number): number {
  if (x < 0.0) x = -x;
  if (x < 1.0) return (1.5 * x - 2.5) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * -0.5;
  return 0.0;
}

function sinc(x: number): number {
  if (x === 0.0) return 1.0;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Lanczos with a = 3: sinc(x) sinc(x / 3) on [-3, 3) (as Pillow; the ends weigh about 1e-33 either way). */
function lanczos(x: number): number {
  return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
}

export const FILTERS: Readonly<Record<Exclude<Interpolation, 'nearest'>, Filter>> = {
  box: { weight: box, support: 0.5 },
  bilinear: { weight: bilinear, support: 1.0 },
  hamming: { weight: hamming, support: 1.0 },
  bicubic: { weight: bicubic, support: 2.0 },
  lanczos: { weight: lanczos, support: 3.0 },
};

/**
 * The weights carry 22 fractional bits (Pillow's PRECISION_BITS): 32 bits less 8 for the pixel
 * and 2 for the negative lobes, so that the sum of pixel times weight over a window (whose
 * weights' magnitudes sum to well under 2) cannot overflow a signed 32-bit integer.
 */
export const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;

/**
 * Per output position i: the first source position `start[i]`, the window's length `length[i]`
 * and its weights `kk[i * ksize + k]`, k < length[i] (the rest 0).
 */
export interface Coefficients {
  ksize: number;
  start: Int32Array;
  length: Int32Array;
  kk: Int32Array;
}

/** The weights of a side of `inSize` pixels resampled to `outSize`. */
export function coefficients(inSize: number, outSize: number, filter: Filter): Coefficients {
  const scale = inSize / outSize;
  // Downscaling stretches the filter over `scale` source pixels; upscaling keeps it as it is.
  const filterscale = Math.max(scale, 1.0);
  const reach = filter.support * filterscale;
  const ksize = Math.ceil(reach) * 2 + 1;
  const start = new Int32Array(outSize);
  const length = new Int32Array(outSize);
  const kk = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  const ss = 1.0 / filterscale;
  const weight = filter.weight;
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    // The window: source pixels whose centres lie within `reach`, C's (int) casts truncating.
    const first = Math.max(Math.trunc(center - reach + 0.5), 0);
    const n = Math.min(Math.trunc(center + reach + 0.5), inSize) - first;
    let sum = 0.0;
    for (let x = 0; x < n; x++) {
      const v = weight((x + first - center + 0.5) * ss);
      w[x] = v;
      sum += v;
    }
    // Normalised in doubles, then to fixed point, rounding halves away from zero (C's truncating
    // cast of v +- 0.5).
    const base = i * ksize;
    for (let x = 0; x < n; x++) {
      const k = sum !== 0.0 ? (w[x] as number) / sum : (w[x] as number);
      kk[base + x] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
    start[i] = first;
    length[i] = n;
  }
  return { ksize, start, length, kk };
}
