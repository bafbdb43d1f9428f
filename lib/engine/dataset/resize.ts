// Resampling of uint8 images, bit-exact with Pillow's Image.resize (12.x) for all its filters:
// NEAREST, BOX, BILINEAR, HAMMING, BICUBIC and LANCZOS, on any number of channels; 2 and 4
// channels are LA and RGBA, whose colours Pillow resamples premultiplied by alpha.
//
// The filters other than NEAREST are Pillow's convolution resampling (libImaging/Resample.c):
// fixed-point weights per output column, then row (resize_filters.ts); the horizontal pass runs
// first, over the source rows the vertical pass will read, into 8-bit pixels (rounded and
// clamped), then the vertical pass (resize_passes.ts); a pass whose size does not change is
// skipped. Pillow always goes in this order, whichever axis would be cheaper first: the 8-bit
// rounding between the passes makes the order part of the result. NEAREST is Pillow's affine
// scale (libImaging/Geometry.c): source coordinate (x + 0.5) * in/out, summed step by step in
// doubles as Pillow sums it, and truncated.
//
// An image can lie in memory either way: interleaved (H, W, C), as decoded, or planar (C, H, W),
// as the transforms hold it; and a region of it can be resized without a copy (as cropping then
// resizing: the filter sees no pixel outside the region). Torch-free (data workers import it).
import { NDArray } from './ndarray.js';
import { coefficients, FILTERS, INTERPOLATIONS, type Interpolation } from './resize_filters.js';
import { horizontalPass, type Strides, verticalPass } from './resize_passes.js';

export { INTERPOLATIONS, type Interpolation };

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

// ---- NEAREST, and a copy ----

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
  // Source offsets within a row, worked out once: a pixel costs a load and a store then. An
  // index outside the image (-1, which float rounding could give at an edge) stays -1 and reads 0.
  const colOffset = new Int32Array(to.width);
  for (let x = 0; x < to.width; x++)
    colOffset[x] = (cols[x] as number) < 0 ? -1 : (cols[x] as number) * from.pixelStride;
  const outside = rows.includes(-1) || cols.includes(-1);
  const { channels } = from;
  // The sizes in locals: a loop bound read from an object is read again at every step.
  const outW = to.width;
  if (!outside && from.channelStride === 1 && to.channelStride === 1 && to.pixelStride === channels) {
    // Interleaved to interleaved (the usual H x W x C image): a pixel's channels side by side,
    // unrolled for RGB and RGBA (a loop over a variable channel count costs 2-3x here).
    for (let y = 0; y < to.height; y++) {
      const sBase = from.offset + (rows[y] as number) * from.rowStride;
      let o = to.offset + y * to.rowStride;
      if (channels === 3) {
        for (let x = 0; x < outW; x++, o += 3) {
          const s = sBase + (colOffset[x] as number);
          out[o] = src[s] as number;
          out[o + 1] = src[s + 1] as number;
          out[o + 2] = src[s + 2] as number;
        }
      } else if (channels === 4) {
        for (let x = 0; x < outW; x++, o += 4) {
          const s = sBase + (colOffset[x] as number);
          out[o] = src[s] as number;
          out[o + 1] = src[s + 1] as number;
          out[o + 2] = src[s + 2] as number;
          out[o + 3] = src[s + 3] as number;
        }
      } else {
        for (let x = 0; x < to.width; x++) {
          const s = sBase + (colOffset[x] as number);
          for (let ch = 0; ch < channels; ch++, o++) out[o] = src[s + ch] as number;
        }
      }
    }
    return;
  }
  for (let ch = 0; ch < channels; ch++) {
    for (let y = 0; y < to.height; y++) {
      const sy = rows[y] as number;
      const sBase = from.offset + ch * from.channelStride + sy * from.rowStride;
      let o = to.offset + ch * to.channelStride + y * to.rowStride;
      for (let x = 0; x < to.width; x++, o += to.pixelStride) {
        const sx = colOffset[x] as number;
        out[o] = sy < 0 || sx < 0 ? 0 : (src[sBase + sx] as number);
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

// ---- The convolution filters ----

const strides = (l: PixelLayout, base = l.offset): Strides => ({
  base,
  row: l.rowStride,
  pixel: l.pixelStride,
  channel: l.channelStride,
});

// Scratch pixels reused from call to call (the premultiplied source; the rows between the
// passes), which saves allocating and zeroing them per image. Safe: resample is synchronous and
// does not re-enter. One that would be huge is allocated for the call and not kept.
const scratch: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];
const KEEP_AT_MOST = 1 << 24;

function scratchPixels(slot: 0 | 1, n: number): Uint8Array {
  const have = scratch[slot] as Uint8Array;
  if (have.length >= n) return have;
  const made = new Uint8Array(n);
  if (n <= KEEP_AT_MOST) scratch[slot] = made;
  return made;
}

/** Pillow's two passes, each channel on its own. */
function convolve(src: Uint8Array, from: PixelLayout, out: Uint8Array, to: PixelLayout, interpolation: Interpolation) {
  const filter = FILTERS[interpolation as Exclude<Interpolation, 'nearest'>];
  const { height: h, width: w, channels } = from;
  const { height: outH, width: outW } = to;
  const vertical = coefficients(h, outH, filter);
  if (outW === w) {
    verticalPass(src, strides(from), channels, out, strides(to), outH, outW, vertical);
    return;
  }
  const horizontal = coefficients(w, outW, filter);
  if (outH === h) {
    horizontalPass(src, strides(from), channels, h, out, strides(to), outW, horizontal);
    return;
  }
  // Only the source rows the vertical pass reads go through the horizontal pass.
  const first = vertical.start[0] as number;
  const rows = (vertical.start[outH - 1] as number) + (vertical.length[outH - 1] as number) - first;
  const temp = planar(channels, rows, outW);
  const tempPixels = scratchPixels(1, channels * rows * outW);
  horizontalPass(
    src,
    strides(from, from.offset + first * from.rowStride),
    channels,
    rows,
    tempPixels,
    strides(temp),
    outW,
    horizontal,
  );
  // The vertical windows count rows from row 0 of the source: the temp's row 0 is row `first`.
  // (0 - first, not -first, which is -0 for 0.)
  verticalPass(
    tempPixels,
    strides(temp, (0 - first) * temp.rowStride),
    channels,
    out,
    strides(to),
    outH,
    outW,
    vertical,
  );
}

// Pillow resizes LA and RGBA as La and RGBa: the colours multiplied by alpha / 255 before, and
// divided by it after, so that a transparent pixel's colour does not bleed into its neighbours.
// Both in integers, as Pillow converts: v * a / 255 rounded (the exact quotient, by the
// (t + (t >> 8)) >> 8 identity for t = v * a + 128), and back 255 * v / a truncated, clamped to
// 255, where alpha is neither 0 nor 255 (those leave the colour as it is).

/** v * a / 255 rounded: the exact quotient, by (t + (t >> 8)) >> 8 for t = v * a + 128. */
function premultiply(v: number, a: number): number {
  const t = v * a + 128;
  return ((t >> 8) + t) >> 8;
}

/** `from` with its colours premultiplied by its last channel, into a planar `pixels`. */
function premultiplied(src: Uint8Array, from: PixelLayout, pixels: Uint8Array): PixelLayout {
  const { height: h, width: w, channels } = from;
  const to = planar(channels, h, w);
  const alpha = channels - 1;
  if (channels === 4 && from.channelStride === 1) {
    // RGBA interleaved, as decoded: unrolled (the general loop below costs about 3x here).
    const n = h * w;
    const pix = from.pixelStride;
    for (let y = 0; y < h; y++) {
      let p = from.offset + y * from.rowStride;
      let o = y * w;
      for (let x = 0; x < w; x++, p += pix, o++) {
        const a = src[p + 3] as number;
        pixels[o] = premultiply(src[p] as number, a);
        pixels[o + n] = premultiply(src[p + 1] as number, a);
        pixels[o + 2 * n] = premultiply(src[p + 2] as number, a);
        pixels[o + 3 * n] = a;
      }
    }
    return to;
  }
  for (let y = 0; y < h; y++) {
    const row = from.offset + y * from.rowStride;
    for (let x = 0; x < w; x++) {
      const p = row + x * from.pixelStride;
      const a = src[p + alpha * from.channelStride] as number;
      const o = y * w + x;
      for (let ch = 0; ch < alpha; ch++) {
        pixels[o + ch * to.channelStride] = premultiply(src[p + ch * from.channelStride] as number, a);
      }
      pixels[o + alpha * to.channelStride] = a;
    }
  }
  return to;
}

/** Divides the colours of `to` by its last channel, in place. */
function unpremultiply(out: Uint8Array, to: PixelLayout): void {
  const { height: h, width: w, channels } = to;
  const alpha = channels - 1;
  for (let y = 0; y < h; y++) {
    const row = to.offset + y * to.rowStride;
    for (let x = 0; x < w; x++) {
      const p = row + x * to.pixelStride;
      const a = out[p + alpha * to.channelStride] as number;
      if (a === 0 || a === 255) continue;
      for (let ch = 0; ch < alpha; ch++) {
        const q = p + ch * to.channelStride;
        out[q] = Math.min(((255 * (out[q] as number)) / a) | 0, 255);
      }
    }
  }
}

/**
 * Resamples the image `from` (pixels in `src`) to the size of `to`, writing `out`: what Pillow's
 * `Image.resize((to.width, to.height), filter)` gives of the image `from` alone. `from` and `to`
 * have the same number of channels; sizes are positive. With `alpha` (by default for 2 and 4
 * channels, Pillow's LA and RGBA), the last channel is alpha and the others are resampled
 * premultiplied by it; without (as Pillow's RGBX or CMYK), each channel on its own.
 */
export function resample(
  src: Uint8Array,
  from: PixelLayout,
  out: Uint8Array,
  to: PixelLayout,
  interpolation: Interpolation,
  alpha: boolean = from.channels === 2 || from.channels === 4,
): void {
  if (to.height === from.height && to.width === from.width) {
    copy(src, from, out, to);
  } else if (interpolation === 'nearest') {
    nearest(src, from, out, to);
  } else if (alpha && from.channels >= 2) {
    const pixels = scratchPixels(0, from.channels * from.height * from.width);
    convolve(pixels, premultiplied(src, from, pixels), out, to, interpolation);
    unpremultiply(out, to);
  } else {
    convolve(src, from, out, to, interpolation);
  }
}

export interface ResizeImageOptions {
  /** Pillow's filter: 'nearest', 'box', 'bilinear' (default), 'hamming', 'bicubic' or 'lanczos'. */
  interpolation?: Interpolation;
  /** How the pixels lie: 'hwc' (interleaved, as decoded; default; an (H, W) array is one channel) or 'chw' (planar). */
  layout?: 'hwc' | 'chw';
  /** Resizes only this region, [top, left, height, width], as cropping it first would (torchvision's resized_crop). */
  crop?: [number, number, number, number];
  /**
   * Whether the last channel is alpha, the others resampled premultiplied by it, as Pillow does
   * for LA and RGBA (default: true for 2 and 4 channels). false: each channel on its own, as
   * Pillow does for RGBX and CMYK.
   */
  alpha?: boolean;
}

function checkInterpolation(interpolation: unknown, name: string): Interpolation {
  if (!INTERPOLATIONS.includes(interpolation as Interpolation)) {
    const names = INTERPOLATIONS.map((n) => `'${n}'`);
    throw new Error(
      `${name}: interpolation must be ${names.slice(0, -1).join(', ')} or ${names.at(-1)}, got ${JSON.stringify(interpolation)}`,
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
 * `Image.resize((width, height), filter)` to the bit, for each of its filters, an image of 2 or 4
 * channels as LA or RGBA (see `alpha`).
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
  const alpha = options?.alpha ?? (from.channels === 2 || from.channels === 4);
  if (typeof alpha !== 'boolean') {
    throw new TypeError(`resizeImage: alpha must be true or false, got ${JSON.stringify(options?.alpha)}`);
  }
  resample(img.data as Uint8Array, from, out, to, interpolation, alpha);
  const outShape =
    layout === 'chw' ? [from.channels, outH, outW] : shape.length === 2 ? [outH, outW] : [outH, outW, from.channels];
  return new NDArray(out, outShape, 'uint8');
}
