// The two passes of Pillow's convolution resampling (resize.ts) over uint8 pixels: the
// horizontal one resamples each row to the new width, the vertical one each column to the new
// height, with the fixed-point weights of resize_filters.ts. Torch-free.
//
// Each output value is Pillow's sum: 2^21 (one half, so that the shift rounds) plus pixel times
// weight over the window, in 32-bit integers, shifted right by 22 bits and clamped to [0, 255].
// Integer sums do not depend on their order, which leaves room for speed without losing a bit:
// three channels share one loop over the window and its weights (the loop is most of the cost),
// and the window is walked two taps at a time (fewer loop branches, which V8 does not unroll).
// The kernels take plain numbers, not objects, so that V8 keeps everything in registers; and
// small integers, never -0 (a double to V8), which would turn all their index arithmetic into
// floating point (a third slower).
import { type Coefficients, PRECISION_BITS } from './resize_filters.js';

const HALF = 1 << (PRECISION_BITS - 1);

/** A sum to its 8-bit pixel: shifted to an integer (HALF having made the shift round), clamped. */
function clip8(s: number): number {
  const v = s >> PRECISION_BITS;
  return v < 0 ? 0 : Math.min(v, 255);
}

/** Where a pass reads or writes: the index of channel 0 of pixel (0, 0), and the strides. */
export interface Strides {
  base: number;
  row: number;
  pixel: number;
  channel: number;
}

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
  const { start, length, kk, ksize } = co;
  for (let y = 0; y < rows; y++) {
    const row = sBase + y * sRow;
    let o = oBase + y * oRow;
    for (let xx = 0; xx < outW; xx++, o += oPix) {
      let p = row + (start[xx] as number) * sPix;
      let k = xx * ksize;
      const end = k + (length[xx] as number);
      let s = HALF;
      for (; k + 1 < end; k += 2, p += 2 * sPix) {
        s =
          (s + Math.imul(src[p] as number, kk[k] as number) + Math.imul(src[p + sPix] as number, kk[k + 1] as number)) |
          0;
      }
      if (k < end) s = (s + Math.imul(src[p] as number, kk[k] as number)) | 0;
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
  const { start, length, kk, ksize } = co;
  const sCh2 = 2 * sCh;
  for (let y = 0; y < rows; y++) {
    const row = sBase + y * sRow;
    let o = oBase + y * oRow;
    for (let xx = 0; xx < outW; xx++, o += oPix) {
      let p = row + (start[xx] as number) * sPix;
      let k = xx * ksize;
      const end = k + (length[xx] as number);
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (; k + 1 < end; k += 2, p += 2 * sPix) {
        const k0 = kk[k] as number;
        const k1 = kk[k + 1] as number;
        const q = p + sPix;
        s0 = (s0 + Math.imul(src[p] as number, k0) + Math.imul(src[q] as number, k1)) | 0;
        s1 = (s1 + Math.imul(src[p + sCh] as number, k0) + Math.imul(src[q + sCh] as number, k1)) | 0;
        s2 = (s2 + Math.imul(src[p + sCh2] as number, k0) + Math.imul(src[q + sCh2] as number, k1)) | 0;
      }
      if (k < end) {
        const k0 = kk[k] as number;
        s0 = (s0 + Math.imul(src[p] as number, k0)) | 0;
        s1 = (s1 + Math.imul(src[p + sCh] as number, k0)) | 0;
        s2 = (s2 + Math.imul(src[p + sCh2] as number, k0)) | 0;
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
  const { start, length, kk, ksize } = co;
  for (let yy = 0; yy < outH; yy++) {
    const kb = yy * ksize;
    const end = kb + (length[yy] as number);
    const row = sBase + (start[yy] as number) * sRow;
    let o = oBase + yy * oRow;
    for (let xx = 0; xx < outW; xx++, o += oPix) {
      let p = row + xx * sPix;
      let k = kb;
      let s = HALF;
      for (; k + 1 < end; k += 2, p += 2 * sRow) {
        s =
          (s + Math.imul(src[p] as number, kk[k] as number) + Math.imul(src[p + sRow] as number, kk[k + 1] as number)) |
          0;
      }
      if (k < end) s = (s + Math.imul(src[p] as number, kk[k] as number)) | 0;
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
  const { start, length, kk, ksize } = co;
  const sCh2 = 2 * sCh;
  for (let yy = 0; yy < outH; yy++) {
    const kb = yy * ksize;
    const end = kb + (length[yy] as number);
    const row = sBase + (start[yy] as number) * sRow;
    let o = oBase + yy * oRow;
    for (let xx = 0; xx < outW; xx++, o += oPix) {
      let p = row + xx * sPix;
      let k = kb;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (; k + 1 < end; k += 2, p += 2 * sRow) {
        const k0 = kk[k] as number;
        const k1 = kk[k + 1] as number;
        const q = p + sRow;
        s0 = (s0 + Math.imul(src[p] as number, k0) + Math.imul(src[q] as number, k1)) | 0;
        s1 = (s1 + Math.imul(src[p + sCh] as number, k0) + Math.imul(src[q + sCh] as number, k1)) | 0;
        s2 = (s2 + Math.imul(src[p + sCh2] as number, k0) + Math.imul(src[q + sCh2] as number, k1)) | 0;
      }
      if (k < end) {
        const k0 = kk[k] as number;
        s0 = (s0 + Math.imul(src[p] as number, k0)) | 0;
        s1 = (s1 + Math.imul(src[p + sCh] as number, k0)) | 0;
        s2 = (s2 + Math.imul(src[p + sCh2] as number, k0)) | 0;
      }
      out[o] = clip8(s0);
      out[o + oCh] = clip8(s1);
      out[o + 2 * oCh] = clip8(s2);
    }
  }
}

/**
 * The horizontal pass: `rows` rows of `channels` channels from `s`, each resampled to `outW`
 * columns by `co`, into rows 0.. of `o`. Channels go three at a time, then one by one.
 */
export function horizontalPass(
  src: Uint8Array,
  s: Strides,
  channels: number,
  rows: number,
  out: Uint8Array,
  o: Strides,
  outW: number,
  co: Coefficients,
): void {
  let ch = 0;
  for (; ch + 3 <= channels; ch += 3) {
    const sb = s.base + ch * s.channel;
    const ob = o.base + ch * o.channel;
    horizontal3(src, sb, s.row, s.pixel, s.channel, rows, out, ob, o.row, o.pixel, o.channel, outW, co);
  }
  for (; ch < channels; ch++) {
    const sb = s.base + ch * s.channel;
    horizontal1(src, sb, s.row, s.pixel, rows, out, o.base + ch * o.channel, o.row, o.pixel, outW, co);
  }
}

/**
 * The vertical pass: every column of `s` (`outW` of them, `channels` channels) resampled to
 * `outH` rows by `co`, whose windows count rows from s.base, into `o`.
 */
export function verticalPass(
  src: Uint8Array,
  s: Strides,
  channels: number,
  out: Uint8Array,
  o: Strides,
  outH: number,
  outW: number,
  co: Coefficients,
): void {
  let ch = 0;
  for (; ch + 3 <= channels; ch += 3) {
    const sb = s.base + ch * s.channel;
    const ob = o.base + ch * o.channel;
    vertical3(src, sb, s.row, s.pixel, s.channel, out, ob, o.row, o.pixel, o.channel, outH, outW, co);
  }
  for (; ch < channels; ch++) {
    const sb = s.base + ch * s.channel;
    vertical1(src, sb, s.row, s.pixel, out, o.base + ch * o.channel, o.row, o.pixel, outH, outW, co);
  }
}
