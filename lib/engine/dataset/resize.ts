// Resampling of uint8 images, bit-exact with Pillow's Image.resize (12.x) for NEAREST, BILINEAR
// and BICUBIC, on 1 or more channels, each resampled on its own (as Pillow does for L and RGB;
// Pillow premultiplies the alpha of LA and RGBA, which this does not).
//
// BILINEAR and BICUBIC are Pillow's convolution resampling (libImaging/Resample.c): per output
// column (then row) a window of source pixels and its weights, the filter stretched by the
// downscaling factor (antialiasing), computed in doubles, normalised to sum 1, then made
// fixed-point with 22 fractional bits (rounded half away from zero). The horizontal pass runs
// first, over the source rows the vertical pass will read, into 8-bit pixels (rounded and
// clamped), then the vertical pass; a pass whose size does not change is skipped. NEAREST is
// Pillow's affine scale (libImaging/Geometry.c): source coordinate (x + 0.5) * in/out, summed
// step by step in doubles as Pillow sums it, and truncated.
//
// An image can lie in memory either way: interleaved (H, W, C), as decoded, or planar (C, H, W),
// as the transforms hold it; and a region of it can be resized without a copy (as cropping then
// resizing: the filter sees no pixel outside the region). Torch-free (data workers import it).
import { NDArray } from './ndarray.js';

export type Interpolation = 'nearest' | 'bilinear' | 'bicubic';

export const INTERPOLATIONS: readonly Interpolation[] = ['nearest', 'bilinear', 'bicubic'];

/**
 * Where a uint8 image's pixels lie in a flat array: channel `ch` of pixel (y, x) is at
 * `offset + y * rowStride + x * pixelStride + ch * channelStride`.
 */
export interface PixelLayout {
  offset: number;
  height: number;
  width: number;
  channels: number;
  rowStride: number;
  pixelStride: number;
  channelStride: number;
}

/** The layout of a whole planar (C, H, W) image. */
export function planar(channels: number, height: number, width: number): PixelLayout {
  return { offset: 0, height, width, channels, rowStride: width, pixelStride: 1, channelStride: height * width };
}

/** The layout of a whole interleaved (H, W, C) image. */
export function interleaved(height: number, width: number, channels: number): PixelLayout {
  return {
    offset: 0,
    height,
    width,
    channels,
    rowStride: width * channels,
    pixelStride: channels,
    channelStride: 1,
  };
}

/** The region [top, top + height) x [left, left + width) of an image, in the same memory. */
export function region(img: PixelLayout, top: number, left: number, height: number, width: number): PixelLayout {
  return {
    ...img,
    offset: img.offset + top * img.rowStride + left * img.pixelStride,
    height,
    width,
  };
}

// ---- Pillow's filters and fixed-point coefficients ----

/** 32 bits less 8 for the result and 2 for the overflow of negative lobes (Pillow's PRECISION_BITS). */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

function bilinearFilter(x: number): number {
  if (x < 0.0) x = -x;
  if (x < 1.0) return 1.0 - x;
  return 0.0;
}

/** Keys' cubic convolution with a = -0.5, as Pillow writes it (the same operations in the same order). */
function bicubicFilter(x: number): number {
  if (x < 0.0) x = -x;
  if (x < 1.0) return (1.5 * x - 2.5) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * -0.5;
  return 0.0;
}

/** Per output position: the first source position (bounds[2i]), the window's length (bounds[2i + 1]), its weights (kk[i * ksize + k]). */
interface Coefficients {
  ksize: number;
  bounds: Int32Array;
  kk: Int32Array;
}

/** Pillow's precompute_coeffs and normalize_coeffs_8bpc, for the box [0, inSize) of a side of inSize. */
function coefficients(inSize: number, outSize: number, filter: (x: number) => number, support: number): Coefficients {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1.0);
  const reach = support * filterscale;
  const ksize = Math.ceil(reach) * 2 + 1;
  const bounds = new Int32Array(2 * outSize);
  const kk = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  const ss = 1.0 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = 0 + (xx + 0.5) * scale;
    // C's (int) conversion truncates towards zero.
    let xmin = Math.trunc(center - reach + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + reach + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0.0;
    for (let x = 0; x < xmax; x++) {
      const v = filter((x + xmin - center + 0.5) * ss);
      w[x] = v;
      ww += v;
    }
    const base = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0.0 ? (w[x] as number) / ww : (w[x] as number);
      kk[base + x] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

// ---- The passes ----
//
// Each sum is Pillow's: 2^21 plus pixel times weight over the window, in 32-bit integers (it
// cannot overflow: |weights| sum to less than 2^9 * 2^22 / 255), then shifted and clamped. Three
// channels are summed in one loop over the window, sharing its weights (a third of the loop's
// cost, which is most of the cost).

function clip8(s: number): number {
  const v = s >> PRECISION_BITS;
  return v < 0 ? 0 : Math.min(v, 255);
}

// The passes over one channel, and over three at once. `o*` are the output's offset and strides;
// `s*` the source's.

function horizontal1(
  src: Uint8Array,
  sBase: number,
  sRow: number,
  sPix: number,
  rows: number,
  out: Uint8Array,
  oBase: number,
  oRow: number,
  oPix: number,
  outW: number,
  co: Coefficients,
): void {
  const { bounds, kk, ksize } = co;
  for (let y = 0; y < rows; y++) {
    const row = sBase + y * sRow;
    let o = oBase + y * oRow;
    for (let xx = 0; xx < outW; xx++, o += oPix) {
      const n = bounds[2 * xx + 1] as number;
      let p = row + (bounds[2 * xx] as number) * sPix;
      let k = xx * ksize;
      let s = HALF;
      for (let x = 0; x < n; x++, p += sPix, k++) s = (s + Math.imul(src[p] as number, kk[k] as number)) | 0;
      out[o] = clip8(s);
    }
  }
}

function horizontal3(
  src: Uint8Array,
  sBase: number,
  sRow: number,
  sPix: number,
  sCh: number,
  rows: number,
  out: Uint8Array,
  oBase: number,
  oRow: number,
  oPix: number,
  oCh: number,
  outW: number,
  co: Coefficients,
): void {
  const { bounds, kk, ksize } = co;
  for (let y = 0; y < rows; y++) {
    const row = sBase + y * sRow;
    let o = oBase + y * oRow;
    for (let xx = 0; xx < outW; xx++, o += oPix) {
      const n = bounds[2 * xx + 1] as number;
      let p = row + (bounds[2 * xx] as number) * sPix;
      let k = xx * ksize;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let x = 0; x < n; x++, p += sPix, k++) {
        const kv = kk[k] as number;
        s0 = (s0 + Math.imul(src[p] as number, kv)) | 0;
        s1 = (s1 + Math.imul(src[p + sCh] as number, kv)) | 0;
        s2 = (s2 + Math.imul(src[p + 2 * sCh] as number, kv)) | 0;
      }
      out[o] = clip8(s0);
      out[o + oCh] = clip8(s1);
      out[o + 2 * oCh] = clip8(s2);
    }
  }
}

function vertical1(
  src: Uint8Array,
  sBase: number,
  sRow: number,
  sPix: number,
  out: Uint8Array,
  oBase: number,
  oRow: number,
  oPix: number,
  outH: number,
  outW: number,
  co: Coefficients,
): void {
  const { bounds, kk, ksize } = co;
  for (let yy = 0; yy < outH; yy++) {
    const n = bounds[2 * yy + 1] as number;
    const kb = yy * ksize;
    const row = sBase + (bounds[2 * yy] as number) * sRow;
    let o = oBase + yy * oRow;
    for (let xx = 0; xx < outW; xx++, o += oPix) {
      let p = row + xx * sPix;
      let s = HALF;
      for (let y = 0; y < n; y++, p += sRow) s = (s + Math.imul(src[p] as number, kk[kb + y] as number)) | 0;
      out[o] = clip8(s);
    }
  }
}

function vertical3(
  src: Uint8Array,
  sBase: number,
  sRow: number,
  sPix: number,
  sCh: number,
  out: Uint8Array,
  oBase: number,
  oRow: number,
  oPix: number,
  oCh: number,
  outH: number,
  outW: number,
  co: Coefficients,
): void {
  const { bounds, kk, ksize } = co;
  for (let yy = 0; yy < outH; yy++) {
    const n = bounds[2 * yy + 1] as number;
    const kb = yy * ksize;
    const row = sBase + (bounds[2 * yy] as number) * sRow;
    let o = oBase + yy * oRow;
    for (let xx = 0; xx < outW; xx++, o += oPix) {
      let p = row + xx * sPix;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let y = 0; y < n; y++, p += sRow) {
        const kv = kk[kb + y] as number;
        s0 = (s0 + Math.imul(src[p] as number, kv)) | 0;
        s1 = (s1 + Math.imul(src[p + sCh] as number, kv)) | 0;
        s2 = (s2 + Math.imul(src[p + 2 * sCh] as number, kv)) | 0;
      }
      out[o] = clip8(s0);
      out[o + oCh] = clip8(s1);
      out[o + 2 * oCh] = clip8(s2);
    }
  }
}

/** Horizontal pass: rows [first, first + rows) of `from`, each resampled to `to.width` columns, into rows 0.. of `to`. */
function horizontalPass(
  src: Uint8Array,
  from: PixelLayout,
  first: number,
  rows: number,
  out: Uint8Array,
  to: PixelLayout,
  co: Coefficients,
): void {
  const { rowStride: sRow, pixelStride: sPix, channelStride: sCh } = from;
  const { rowStride: oRow, pixelStride: oPix, channelStride: oCh } = to;
  const sBase = from.offset + first * sRow;
  if (from.channels === 3) {
    horizontal3(src, sBase, sRow, sPix, sCh, rows, out, to.offset, oRow, oPix, oCh, to.width, co);
    return;
  }
  for (let ch = 0; ch < from.channels; ch++) {
    horizontal1(src, sBase + ch * sCh, sRow, sPix, rows, out, to.offset + ch * oCh, oRow, oPix, to.width, co);
  }
}

/** Vertical pass: every column of `from` resampled to `to.height` rows, window rows counted from row `first` of `from`. */
function verticalPass(
  src: Uint8Array,
  from: PixelLayout,
  first: number,
  out: Uint8Array,
  to: PixelLayout,
  co: Coefficients,
): void {
  const { rowStride: sRow, pixelStride: sPix, channelStride: sCh } = from;
  const { rowStride: oRow, pixelStride: oPix, channelStride: oCh } = to;
  const sBase = from.offset - first * sRow;
  if (from.channels === 3) {
    vertical3(src, sBase, sRow, sPix, sCh, out, to.offset, oRow, oPix, oCh, to.height, to.width, co);
    return;
  }
  for (let ch = 0; ch < from.channels; ch++) {
    vertical1(src, sBase + ch * sCh, sRow, sPix, out, to.offset + ch * oCh, oRow, oPix, to.height, to.width, co);
  }
}

/** Pillow's source positions of NEAREST along a side: COORD of (x + 0.5) * in / out, summed as Pillow sums it (-1: outside, left 0). */
function nearestIndex(inSize: number, outSize: number): Int32Array {
  const a = inSize / outSize;
  const index = new Int32Array(outSize);
  let xo = 0 + a * 0.5;
  for (let x = 0; x < outSize; x++) {
    const xin = xo < 0.0 ? -1 : Math.trunc(xo);
    index[x] = xin >= 0 && xin < inSize ? xin : -1;
    xo += a;
  }
  return index;
}

function nearest(src: Uint8Array, from: PixelLayout, out: Uint8Array, to: PixelLayout): void {
  const rows = nearestIndex(from.height, to.height);
  const cols = nearestIndex(from.width, to.width);
  for (let ch = 0; ch < from.channels; ch++) {
    for (let y = 0; y < to.height; y++) {
      const sy = rows[y] as number;
      const sBase = from.offset + ch * from.channelStride + sy * from.rowStride;
      let o = to.offset + ch * to.channelStride + y * to.rowStride;
      for (let x = 0; x < to.width; x++, o += to.pixelStride) {
        const sx = cols[x] as number;
        out[o] = sy < 0 || sx < 0 ? 0 : (src[sBase + sx * from.pixelStride] as number);
      }
    }
  }
}

function copy(src: Uint8Array, from: PixelLayout, out: Uint8Array, to: PixelLayout): void {
  for (let ch = 0; ch < from.channels; ch++) {
    for (let y = 0; y < from.height; y++) {
      let s = from.offset + ch * from.channelStride + y * from.rowStride;
      let o = to.offset + ch * to.channelStride + y * to.rowStride;
      for (let x = 0; x < from.width; x++, s += from.pixelStride, o += to.pixelStride) out[o] = src[s] as number;
    }
  }
}

/**
 * Resamples the image `from` (pixels in `src`) to the size of `to`, writing `out`: what Pillow's
 * `Image.resize((to.width, to.height), filter)` gives of the image `from` alone. `from` and `to`
 * have the same number of channels; sizes are positive.
 */
export function resample(
  src: Uint8Array,
  from: PixelLayout,
  out: Uint8Array,
  to: PixelLayout,
  interpolation: Interpolation,
): void {
  const { height: h, width: w } = from;
  const { height: outH, width: outW } = to;
  if (outH === h && outW === w) {
    copy(src, from, out, to);
    return;
  }
  if (interpolation === 'nearest') {
    nearest(src, from, out, to);
    return;
  }
  const [filter, support] = interpolation === 'bicubic' ? [bicubicFilter, 2.0] : [bilinearFilter, 1.0];
  const needHorizontal = outW !== w;
  const needVertical = outH !== h;
  const vertical = coefficients(h, outH, filter, support);
  // The source rows the vertical pass reads.
  const first = vertical.bounds[0] as number;
  const last = (vertical.bounds[2 * outH - 2] as number) + (vertical.bounds[2 * outH - 1] as number);
  if (!needHorizontal) {
    verticalPass(src, from, 0, out, to, vertical);
    return;
  }
  const horizontal = coefficients(w, outW, filter, support);
  if (!needVertical) {
    horizontalPass(src, from, 0, h, out, to, horizontal);
    return;
  }
  const rows = last - first;
  const temp = planar(from.channels, rows, outW);
  const tempPixels = new Uint8Array(from.channels * rows * outW);
  horizontalPass(src, from, first, rows, tempPixels, temp, horizontal);
  verticalPass(tempPixels, temp, first, out, to, vertical);
}

export interface ResizeImageOptions {
  /** Pillow's filter: 'nearest', 'bilinear' (default) or 'bicubic'. */
  interpolation?: Interpolation;
  /** How the pixels lie: 'hwc' (interleaved, as decoded; default; an (H, W) array is one channel) or 'chw' (planar). */
  layout?: 'hwc' | 'chw';
  /** Resizes only this region, [top, left, height, width], as cropping it first would (torchvision's resized_crop). */
  crop?: [number, number, number, number];
}

function checkInterpolation(interpolation: unknown, name: string): Interpolation {
  if (!INTERPOLATIONS.includes(interpolation as Interpolation)) {
    throw new Error(
      `${name}: interpolation must be 'nearest', 'bilinear' or 'bicubic', got ${JSON.stringify(interpolation)}`,
    );
  }
  return interpolation as Interpolation;
}

/** @internal Checks an interpolation option (undefined: 'bilinear'); errors start with `name`. */
export function interpolationOption(interpolation: unknown, name: string): Interpolation {
  return interpolation === undefined ? 'bilinear' : checkInterpolation(interpolation, name);
}

const isSize = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0;

/**
 * `img` (uint8) resized to `size` = [height, width], in its own layout: Pillow's
 * `Image.resize((width, height), filter)` to the bit, for NEAREST, BILINEAR and BICUBIC.
 */
export function resizeImage(
  img: NDArray,
  size: readonly [number, number],
  options?: ResizeImageOptions,
): NDArray<Uint8Array> {
  const interpolation = interpolationOption(options?.interpolation, 'resizeImage');
  const layout = options?.layout ?? 'hwc';
  if (layout !== 'hwc' && layout !== 'chw') {
    throw new Error(`resizeImage: layout must be 'hwc' or 'chw', got ${JSON.stringify(layout)}`);
  }
  if (!(img instanceof NDArray) || img.dtype !== 'uint8') {
    throw new TypeError('resizeImage: expected a uint8 NDArray');
  }
  const shape = img.shape;
  const ok = layout === 'hwc' ? shape.length === 2 || shape.length === 3 : shape.length === 3;
  if (!ok) {
    throw new Error(
      `resizeImage: expected an image of shape ${layout === 'hwc' ? '(H, W, C) or (H, W)' : '(C, H, W)'}, got [${shape.join(', ')}]`,
    );
  }
  const [h, w, c] =
    layout === 'chw' ? [shape[1], shape[2], shape[0]] : [shape[0], shape[1], shape.length === 3 ? shape[2] : 1];
  const whole =
    layout === 'chw'
      ? planar(c as number, h as number, w as number)
      : interleaved(h as number, w as number, c as number);
  if (!(Array.isArray(size) && size.length === 2 && size.every(isSize))) {
    throw new Error(`resizeImage: size must be [height, width] of positive integers, got ${JSON.stringify(size)}`);
  }
  let from = whole;
  if (options?.crop !== undefined) {
    const cr = options.crop;
    const fits =
      Array.isArray(cr) &&
      cr.length === 4 &&
      cr.every((v) => Number.isInteger(v)) &&
      cr[0] >= 0 &&
      cr[1] >= 0 &&
      cr[2] > 0 &&
      cr[3] > 0 &&
      cr[0] + cr[2] <= whole.height &&
      cr[1] + cr[3] <= whole.width;
    if (!fits) {
      throw new Error(
        `resizeImage: crop must be [top, left, height, width] inside the ${whole.height}x${whole.width} image, got ${JSON.stringify(cr)}`,
      );
    }
    from = region(whole, cr[0], cr[1], cr[2], cr[3]);
  }
  if (from.height === 0 || from.width === 0 || from.channels === 0) {
    throw new Error(`resizeImage: the image is empty (shape [${shape.join(', ')}])`);
  }
  const [outH, outW] = size;
  const to = layout === 'chw' ? planar(from.channels, outH, outW) : interleaved(outH, outW, from.channels);
  const out = new Uint8Array(from.channels * outH * outW);
  resample(img.data as Uint8Array, from, out, to, interpolation);
  const outShape =
    layout === 'chw' ? [from.channels, outH, outW] : shape.length === 2 ? [outH, outW] : [outH, outW, from.channels];
  return new NDArray(out, outShape, 'uint8');
}
