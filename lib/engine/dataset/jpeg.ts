// A JPEG decoder (ITU-T T.81) that gives the pixels libjpeg-turbo gives with the defaults Pillow
// uses: baseline and progressive Huffman-coded 8-bit files, grayscale or 3-component (YCbCr, or RGB
// where an Adobe APP14 marker with transform 0, or component ids 'R' 'G' 'B' without JFIF/Adobe
// markers, say so), any integral sampling factors, restart intervals, odd sizes.
//
// What it does as libjpeg-turbo does, for the same output bit for bit:
//  - the accurate integer inverse DCT (JDCT_ISLOW: 13-bit fixed-point constants, 2 extra bits
//    between the passes, its rounding and its 1024-entry range-limiting of the result);
//  - its "fancy" upsampling and 16-bit fixed-point YCbCr->RGB conversion (jpeg_color.ts);
//  - quantization tables latched at each component's first scan;
//  - data cut short inside a scan by a marker (say an early EOI): the rest of that MCU reads zero
//    bits and the following MCUs (to the next restart marker) are left empty, as libjpeg-turbo does.
// Not the same: a progressive file whose scans stop short of the full coefficient precision (an
// early EOI after some of its scans) is smoothed by libjpeg-turbo's block smoothing and not here:
// in the tests such files differ by a mean of up to about 11 levels, and up to 255 in places.
// A file that ends before its EOI marker is refused, as Pillow refuses it ("image file is
// truncated"). Refused too, with the file and the reason: arithmetic coding, lossless and
// hierarchical JPEG, other than 8-bit samples, 2 or 4 components (CMYK, YCCK), fractional sampling
// ratios.
// Torch-free (data workers import it).
import { planesToRgb } from './jpeg_color.js';
import type { DecodedImage } from './png.js';

/** The natural (row-major) position of each zigzag index, with 16 more entries for runs past 63. */
const NATURAL = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47,
  55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
]);

/**
 * The inverse DCT's range limit: an output value v (centred on 0, taken modulo 1024) becomes
 * clamp(v + 128, 0, 255), wrapping as libjpeg's table does for values that are far out of range.
 */
const IDCT_LIMIT = new Uint8Array(1024);
for (let i = 0; i < 1024; i++) IDCT_LIMIT[i] = i < 128 ? i + 128 : i < 512 ? 255 : i < 896 ? 0 : i - 896;

/** A Huffman table: a 9-bit look-up for the short codes, canonical-code limits for the long ones. */
interface Huffman {
  /** (length << 8) | symbol for each 9-bit prefix that starts with a code of at most 9 bits; else 0. */
  lut: Uint16Array;
  /** The largest code of each length 1..16 (-1: none), maxcode[17] a sentinel. */
  maxcode: Int32Array;
  /** symbols[code + valptr[l]] is the symbol of a code of length l. */
  valptr: Int32Array;
  symbols: Uint8Array;
  /**
   * For each 9-bit prefix that holds a whole code and the magnitude bits after it:
   * (value << 8) | (run << 4) | bits used, where `run` is the symbol's high nibble and `value`
   * the extended coefficient (0 for EOB and ZRL); else 0. One look-up then stands for a symbol,
   * its magnitude bits and EXTEND (`lut` alone gives the symbol; most coefficients of a photo
   * are small and fit in the 9 bits).
   */
  fast: Int32Array;
}

function buildHuffman(counts: Uint8Array, symbols: Uint8Array, fail: (why: string) => never): Huffman {
  const lut = new Uint16Array(512);
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let l = 1; l <= 16; l++) {
    const n = counts[l - 1] as number;
    valptr[l] = k - code;
    for (let i = 0; i < n; i++, k++, code++) {
      if (l <= 9) {
        const shift = 9 - l;
        const entry = (l << 8) | (symbols[k] as number);
        for (let j = code << shift, end = (code + 1) << shift; j < end; j++) lut[j] = entry;
      }
    }
    if (n > 0) maxcode[l] = code - 1;
    if (code > 1 << l) fail('bad Huffman table (more codes than fit)');
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  const fast = new Int32Array(512);
  for (let p = 0; p < 512; p++) {
    const e = lut[p] as number;
    const l = e >> 8;
    const s = e & 15;
    if (e === 0 || l + s > 9) continue;
    const value = s === 0 ? 0 : extend((p >> (9 - l - s)) & ((1 << s) - 1), s);
    fast[p] = (value << 8) | (e & 0xf0) | (l + s);
  }
  return { lut, maxcode, valptr, symbols, fast };
}

/**
 * The entropy-coded bits of a scan, most significant first. Stuffed 0xFF00 bytes read as 0xFF; at
 * a marker or at the end of the data it reads zero bits and counts them in `fake`, so that the
 * caller can tell whether any were used.
 */
class BitReader {
  acc = 0;
  bits = 0;
  /** Made-up zero bits at the bottom of `acc` (all the bits read since the first of them). */
  fake = 0;
  /** Whether the made-up bits are there because the data ended (else: a marker). */
  atEnd = false;

  constructor(
    readonly data: Uint8Array,
    public pos: number,
  ) {}

  reset(): void {
    this.acc = 0;
    this.bits = 0;
    this.fake = 0;
  }

  /** Reads bytes until at least 25 bits are held. */
  fill(): void {
    const data = this.data;
    const n = data.length;
    while (this.bits <= 24) {
      let b = 0;
      const p = this.pos;
      if (this.fake > 0 || p >= n) {
        if (p >= n) this.atEnd = true;
        this.fake += 8;
      } else {
        b = data[p] as number;
        if (b !== 0xff) this.pos = p + 1;
        else {
          let q = p + 1;
          while (q < n && data[q] === 0xff) q++;
          if (q < n && data[q] === 0) this.pos = q + 1;
          else {
            // A marker (or the end of the data): it ends the scan's data.
            if (q >= n) this.atEnd = true;
            b = 0;
            this.fake += 8;
          }
        }
      }
      this.acc = (this.acc << 8) | b;
      this.bits += 8;
    }
  }

  /** `n` bits (0 to 16) as an unsigned number. */
  get(n: number): number {
    if (this.bits < n) this.fill();
    this.bits -= n;
    return (this.acc >>> this.bits) & ((1 << n) - 1);
  }

  bit(): number {
    if (this.bits < 1) this.fill();
    this.bits -= 1;
    return (this.acc >>> this.bits) & 1;
  }

  /** The next Huffman-coded symbol. */
  huff(t: Huffman): number {
    if (this.bits < 16) this.fill();
    const e = t.lut[(this.acc >>> (this.bits - 9)) & 511] as number;
    if (e !== 0) {
      this.bits -= e >> 8;
      return e & 255;
    }
    if (this.bits < 17) this.fill();
    let l = 10;
    let code = (this.acc >>> (this.bits - 10)) & 1023;
    while (code > (t.maxcode[l] as number)) {
      l++;
      code = (this.acc >>> (this.bits - l)) & ((1 << l) - 1);
    }
    if (l > 16) {
      // A bad code: libjpeg reads 17 bits and takes the symbol 0.
      this.bits -= 17;
      return 0;
    }
    this.bits -= l;
    return (t.symbols[code + (t.valptr[l] as number)] ?? 0) as number;
  }
}

/** The value of `s` magnitude bits `v` (T.81 F.2.2.1's EXTEND). */
function extend(v: number, s: number): number {
  return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Sampled size (libjpeg's downsampled_width/height). */
  dw: number;
  dh: number;
  /** Blocks holding the component's samples, per row and column. */
  bw: number;
  bh: number;
  /** Blocks allocated (whole MCUs), per row and column. */
  bwAlloc: number;
  bhAlloc: number;
  /** Samples, bwAlloc * 8 wide. */
  plane: Uint8Array | null;
  /** Coefficients (natural order, 64 per block, bwAlloc per block row); progressive files only. */
  coefs: Int16Array | null;
  /** The quantization table latched at the component's first scan, natural order. */
  quant: Int32Array | null;
  pred: number;
  dc: Huffman | null;
  ac: Huffman | null;
  scanned: boolean;
}

interface Frame {
  width: number;
  height: number;
  progressive: boolean;
  components: Component[];
  hmax: number;
  vmax: number;
  mcusX: number;
  mcusY: number;
}

// The accurate integer inverse DCT: libjpeg's jidctint.c arithmetic, the same sums and products.
// Where some inputs are zero, their terms are left out (adding or multiplying a zero changes no
// bit; every intermediate is an exact integer in a double, below 2^53, until the final shifts take
// it modulo 2^32 as C's int arithmetic does). Photos mostly have nothing in the lower half of a
// block's coefficients (rows and columns 4..7): the "half" forms below do that case with about
// half of the multiplies.

/**
 * The inverse DCT of the block at `coefs[co..co+63]` (natural order, quantized), dequantized by
 * `q`, written as 8 rows of 8 samples at `out[oo]` with rows `stride` apart. `ws` is a 64-entry
 * scratch array.
 */
function idctIslow(
  coefs: Int16Array,
  co: number,
  q: Int32Array,
  out: Uint8Array,
  oo: number,
  stride: number,
  ws: Int32Array,
): void {
  // Pass 1: the columns, into ws, scaled up by 2^2. `right`: whether any of columns 4..7 holds a
  // coefficient (else every row of ws is zero there, and pass 2 takes its half form).
  let right = 0;
  for (let col = 0; col < 8; col++) {
    const i = co + col;
    // Dequantized in 32-bit integers, as libjpeg multiplies.
    const d0 = Math.imul(coefs[i] as number, q[col] as number);
    const d1 = Math.imul(coefs[i + 8] as number, q[col + 8] as number);
    const d2 = Math.imul(coefs[i + 16] as number, q[col + 16] as number);
    const d3 = Math.imul(coefs[i + 24] as number, q[col + 24] as number);
    const d4 = Math.imul(coefs[i + 32] as number, q[col + 32] as number);
    const d5 = Math.imul(coefs[i + 40] as number, q[col + 40] as number);
    const d6 = Math.imul(coefs[i + 48] as number, q[col + 48] as number);
    const d7 = Math.imul(coefs[i + 56] as number, q[col + 56] as number);
    const lower = d4 | d5 | d6 | d7;
    if (col >= 4) right |= d0 | d1 | d2 | d3 | lower;
    if ((d1 | d2 | d3 | lower) === 0) {
      // No AC in the column: every row gets the DC times 4.
      const dc = d0 << 2;
      ws[col] = dc;
      ws[col + 8] = dc;
      ws[col + 16] = dc;
      ws[col + 24] = dc;
      ws[col + 32] = dc;
      ws[col + 40] = dc;
      ws[col + 48] = dc;
      ws[col + 56] = dc;
      continue;
    }
    let t10: number;
    let t11: number;
    let t12: number;
    let t13: number;
    let o0: number;
    let o1: number;
    let o2: number;
    let o3: number;
    if (lower === 0) {
      // Half form: d4..d7 are zero.
      const z1 = d2 * 4433;
      const t3 = z1 + d2 * 6270;
      const t0 = d0 << 13;
      t10 = t0 + t3;
      t13 = t0 - t3;
      t11 = t0 + z1;
      t12 = t0 - z1;
      const z5 = (d3 + d1) * 9633;
      const z3 = d3 * -16069 + z5;
      const z4 = d1 * -3196 + z5;
      o0 = d1 * -7373 + z3;
      o1 = d3 * -20995 + z4;
      o2 = d3 * 25172 + (d3 * -20995 + z3);
      o3 = d1 * 12299 + (d1 * -7373 + z4);
    } else {
      // Even part.
      const z1 = (d2 + d6) * 4433;
      const t2 = z1 - d6 * 15137;
      const t3 = z1 + d2 * 6270;
      const t0 = (d0 + d4) << 13;
      const t1 = (d0 - d4) << 13;
      t10 = t0 + t3;
      t13 = t0 - t3;
      t11 = t1 + t2;
      t12 = t1 - t2;
      // Odd part.
      const z5 = (d7 + d3 + (d5 + d1)) * 9633;
      const y1 = (d7 + d1) * -7373;
      const y2 = (d5 + d3) * -20995;
      const y3 = (d7 + d3) * -16069 + z5;
      const y4 = (d5 + d1) * -3196 + z5;
      o0 = d7 * 2446 + (y1 + y3);
      o1 = d5 * 16819 + (y2 + y4);
      o2 = d3 * 25172 + (y2 + y3);
      o3 = d1 * 12299 + (y1 + y4);
    }
    ws[col] = (t10 + o3 + 1024) >> 11;
    ws[col + 56] = (t10 - o3 + 1024) >> 11;
    ws[col + 8] = (t11 + o2 + 1024) >> 11;
    ws[col + 48] = (t11 - o2 + 1024) >> 11;
    ws[col + 16] = (t12 + o1 + 1024) >> 11;
    ws[col + 40] = (t12 - o1 + 1024) >> 11;
    ws[col + 24] = (t13 + o0 + 1024) >> 11;
    ws[col + 32] = (t13 - o0 + 1024) >> 11;
  }
  // Pass 2: the rows, scaled down by 2^(13 + 2 + 3), range-limited.
  const limit = IDCT_LIMIT;
  for (let row = 0; row < 8; row++) {
    const w = row * 8;
    const o = oo + row * stride;
    const w0 = ws[w] as number;
    const w1 = ws[w + 1] as number;
    const w2 = ws[w + 2] as number;
    const w3 = ws[w + 3] as number;
    const w4 = right === 0 ? 0 : (ws[w + 4] as number);
    const w5 = right === 0 ? 0 : (ws[w + 5] as number);
    const w6 = right === 0 ? 0 : (ws[w + 6] as number);
    const w7 = right === 0 ? 0 : (ws[w + 7] as number);
    const lower = w4 | w5 | w6 | w7;
    if ((w1 | w2 | w3 | lower) === 0) {
      const v = limit[((w0 + 16) >> 5) & 1023] as number;
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
      out[o + 3] = v;
      out[o + 4] = v;
      out[o + 5] = v;
      out[o + 6] = v;
      out[o + 7] = v;
      continue;
    }
    let t10: number;
    let t11: number;
    let t12: number;
    let t13: number;
    let o0: number;
    let o1: number;
    let o2: number;
    let o3: number;
    if (lower === 0) {
      const z1 = w2 * 4433;
      const t3 = z1 + w2 * 6270;
      const t0 = w0 << 13;
      t10 = t0 + t3;
      t13 = t0 - t3;
      t11 = t0 + z1;
      t12 = t0 - z1;
      const z5 = (w3 + w1) * 9633;
      const z3 = w3 * -16069 + z5;
      const z4 = w1 * -3196 + z5;
      o0 = w1 * -7373 + z3;
      o1 = w3 * -20995 + z4;
      o2 = w3 * 25172 + (w3 * -20995 + z3);
      o3 = w1 * 12299 + (w1 * -7373 + z4);
    } else {
      const z1 = (w2 + w6) * 4433;
      const t2 = z1 - w6 * 15137;
      const t3 = z1 + w2 * 6270;
      const t0 = (w0 + w4) << 13;
      const t1 = (w0 - w4) << 13;
      t10 = t0 + t3;
      t13 = t0 - t3;
      t11 = t1 + t2;
      t12 = t1 - t2;
      const z5 = (w7 + w3 + (w5 + w1)) * 9633;
      const y1 = (w7 + w1) * -7373;
      const y2 = (w5 + w3) * -20995;
      const y3 = (w7 + w3) * -16069 + z5;
      const y4 = (w5 + w1) * -3196 + z5;
      o0 = w7 * 2446 + (y1 + y3);
      o1 = w5 * 16819 + (y2 + y4);
      o2 = w3 * 25172 + (y2 + y3);
      o3 = w1 * 12299 + (y1 + y4);
    }
    out[o] = limit[((t10 + o3 + 131072) >> 18) & 1023] as number;
    out[o + 7] = limit[((t10 - o3 + 131072) >> 18) & 1023] as number;
    out[o + 1] = limit[((t11 + o2 + 131072) >> 18) & 1023] as number;
    out[o + 6] = limit[((t11 - o2 + 131072) >> 18) & 1023] as number;
    out[o + 2] = limit[((t12 + o1 + 131072) >> 18) & 1023] as number;
    out[o + 5] = limit[((t12 - o1 + 131072) >> 18) & 1023] as number;
    out[o + 3] = limit[((t13 + o0 + 131072) >> 18) & 1023] as number;
    out[o + 4] = limit[((t13 - o0 + 131072) >> 18) & 1023] as number;
  }
}

/** Sets an 8x8 block of samples to `value`. */
function fillBlock(out: Uint8Array, oo: number, stride: number, value: number): void {
  for (let row = 0; row < 8; row++, oo += stride) {
    out[oo] = value;
    out[oo + 1] = value;
    out[oo + 2] = value;
    out[oo + 3] = value;
    out[oo + 4] = value;
    out[oo + 5] = value;
    out[oo + 6] = value;
    out[oo + 7] = value;
  }
}

enum Mode {
  Sequential,
  DcFirst,
  DcRefine,
  AcFirst,
  AcRefine,
}

/** One scan's entropy-coded data, from `pos`; returns where its data ends. */
function decodeScan(
  data: Uint8Array,
  pos: number,
  frame: Frame,
  comps: Component[],
  ss: number,
  se: number,
  ah: number,
  al: number,
  restartInterval: number,
  fail: (why: string) => never,
): number {
  const r = new BitReader(data, pos);
  const mode = !frame.progressive
    ? Mode.Sequential
    : ss === 0
      ? ah === 0
        ? Mode.DcFirst
        : Mode.DcRefine
      : ah === 0
        ? Mode.AcFirst
        : Mode.AcRefine;
  // The block being decoded (16-bit, as libjpeg's coefficients) and the positions written in it
  // (zeroed after its inverse DCT: cheaper than clearing all 64 when most are zero).
  const blk = new Int16Array(64);
  const written = new Int32Array(64);
  const ws = new Int32Array(64);
  let eobrun = 0;
  let insufficient = false;
  const p1 = 1 << al;
  const m1 = -1 << al;

  const block = (c: Component, row: number, col: number): void => {
    if (mode === Mode.Sequential) {
      if (row >= c.bh || col >= c.bw) {
        // A padding block of an MCU: decoded (the bits must be read), not shown.
        if (!insufficient) clearBlock(decodeSequential(c));
        return;
      }
      const plane = c.plane as Uint8Array;
      const stride = c.bwAlloc * 8;
      const oo = row * 8 * stride + col * 8;
      if (insufficient) {
        fillBlock(plane, oo, stride, 128);
        return;
      }
      const n = decodeSequential(c);
      const q = c.quant as Int32Array;
      if (n > 1) idctIslow(blk, 0, q, plane, oo, stride, ws);
      else {
        const dc = Math.imul(blk[0] as number, q[0] as number) << 2;
        fillBlock(plane, oo, stride, IDCT_LIMIT[((dc + 16) >> 5) & 1023] as number);
      }
      clearBlock(n);
      return;
    }
    if (insufficient) return;
    const coefs = c.coefs as Int16Array;
    const off = (row * c.bwAlloc + col) * 64;
    switch (mode) {
      case Mode.DcFirst: {
        const t = r.huff(c.dc as Huffman);
        if (t > 16) fail('corrupt data (bad DC difference size)');
        c.pred += t === 0 ? 0 : extend(r.get(t), t);
        coefs[off] = c.pred * p1;
        break;
      }
      case Mode.DcRefine:
        if (r.bit()) coefs[off] = (coefs[off] as number) | p1;
        break;
      case Mode.AcFirst: {
        if (eobrun > 0) {
          eobrun--;
          break;
        }
        const ac = c.ac as Huffman;
        const fast = ac.fast;
        for (let k = ss; k <= se; k++) {
          // As decodeSequential: the look-up for a symbol and its magnitude bits at once.
          if (r.bits < 16) r.fill();
          const e = fast[(r.acc >>> (r.bits - 9)) & 511] as number;
          let run: number;
          let value: number;
          if (e !== 0) {
            r.bits -= e & 15;
            run = (e >> 4) & 15;
            value = e >> 8;
          } else {
            const rs = r.huff(ac);
            const s = rs & 15;
            run = rs >> 4;
            value = s === 0 ? 0 : extend(r.get(s), s);
          }
          if (value !== 0) {
            k += run;
            coefs[off + (NATURAL[k] as number)] = value * p1;
          } else if (run === 15) {
            k += 15;
          } else {
            eobrun = 1 << run;
            if (run !== 0) eobrun += r.get(run);
            eobrun--;
            break;
          }
        }
        break;
      }
      default: {
        // AC refinement (T.81 G.1.2.3).
        let k = ss;
        if (eobrun === 0) {
          const ac = c.ac as Huffman;
          for (; k <= se; k++) {
            const rs = r.huff(ac);
            let s = rs & 15;
            let run = rs >> 4;
            if (s !== 0) {
              s = r.bit() ? p1 : m1;
            } else if (run !== 15) {
              eobrun = 1 << run;
              if (run !== 0) eobrun += r.get(run);
              break;
            }
            // Skip `run` zero coefficients (refining the nonzero ones passed on the way).
            do {
              const z = off + (NATURAL[k] as number);
              const v = coefs[z] as number;
              if (v !== 0) {
                if (r.bit() && (v & p1) === 0) coefs[z] = v >= 0 ? v + p1 : v + m1;
              } else {
                if (run === 0) break;
                run--;
              }
              k++;
            } while (k <= se);
            if (s !== 0) coefs[off + (NATURAL[k] as number)] = s;
          }
        }
        if (eobrun > 0) {
          for (; k <= se; k++) {
            const z = off + (NATURAL[k] as number);
            const v = coefs[z] as number;
            if (v !== 0 && r.bit() && (v & p1) === 0) coefs[z] = v >= 0 ? v + p1 : v + m1;
          }
          eobrun--;
        }
      }
    }
  };

  /** Zeroes the first `n` positions of `written` in blk. */
  const clearBlock = (n: number): void => {
    for (let i = 0; i < n; i++) blk[written[i] as number] = 0;
  };

  /**
   * Decodes one sequential block into blk; returns how many positions it wrote
   * (listed in `written`, the DC first: 1 means no AC coefficient).
   */
  const decodeSequential = (c: Component): number => {
    const dc = c.dc as Huffman;
    // The reader's bits in locals, which V8 keeps in registers (its fields live in memory); they
    // go back to `r` around each call that reads them there.
    if (r.bits < 16) r.fill();
    let acc = r.acc;
    let bits = r.bits;
    const f = dc.fast[(acc >>> (bits - 9)) & 511] as number;
    if (f !== 0 && (f & 0xf0) === 0) {
      bits -= f & 15;
      c.pred += f >> 8;
    } else {
      const t = r.huff(dc);
      if (t > 16) fail('corrupt data (bad DC difference size)');
      c.pred += t === 0 ? 0 : extend(r.get(t), t);
      acc = r.acc;
      bits = r.bits;
    }
    blk[0] = c.pred;
    written[0] = 0;
    let n = 1;
    const ac = c.ac as Huffman;
    const fast = ac.fast;
    for (let k = 1; k < 64; k++) {
      if (bits < 16) {
        r.bits = bits;
        r.fill();
        acc = r.acc;
        bits = r.bits;
      }
      const e = fast[(acc >>> (bits - 9)) & 511] as number;
      let run: number;
      let value: number;
      if (e !== 0) {
        bits -= e & 15;
        run = (e >> 4) & 15;
        value = e >> 8;
      } else {
        r.bits = bits;
        const rs = r.huff(ac);
        const s = rs & 15;
        run = rs >> 4;
        value = s === 0 ? 0 : extend(r.get(s), s);
        acc = r.acc;
        bits = r.bits;
      }
      if (value === 0) {
        if (run !== 15) break;
        k += 15;
        continue;
      }
      k += run;
      const z = NATURAL[k] as number;
      blk[z] = value;
      written[n++] = z;
    }
    r.bits = bits;
    return n;
  };

  /** After an MCU: whether it used made-up bits. */
  const checkData = (): void => {
    if (r.fake > 0 && r.bits < r.fake) {
      if (r.atEnd) fail('truncated file (the data ends inside a scan)');
      insufficient = true;
    }
  };

  const restart = (): void => {
    r.reset();
    // Find the next marker, as libjpeg does (skipping anything before it).
    let p = r.pos;
    const n = data.length;
    for (;;) {
      while (p < n && data[p] !== 0xff) p++;
      while (p < n && data[p] === 0xff) p++;
      if (p >= n) fail('truncated file (the data ends inside a scan)');
      if (data[p] !== 0) break;
      p++;
    }
    const m = data[p] as number;
    if (m >= 0xd0 && m <= 0xd7) {
      r.pos = p + 1;
      insufficient = false;
    } else {
      r.pos = p - 1;
      insufficient = true;
    }
    eobrun = 0;
    for (const c of comps) c.pred = 0;
  };

  for (const c of comps) c.pred = 0;
  if (comps.length === 1) {
    // Non-interleaved: the component's own blocks, row by row, each an MCU.
    const c = comps[0] as Component;
    const bw = c.bw;
    const total = bw * c.bh;
    for (let m = 0; m < total; m++) {
      if (restartInterval > 0 && m > 0 && m % restartInterval === 0) restart();
      block(c, (m / bw) | 0, m % bw);
      checkData();
    }
  } else {
    let m = 0;
    for (let my = 0; my < frame.mcusY; my++) {
      for (let mx = 0; mx < frame.mcusX; mx++, m++) {
        if (restartInterval > 0 && m > 0 && m % restartInterval === 0) restart();
        for (const c of comps) {
          for (let by = 0; by < c.v; by++) {
            for (let bx = 0; bx < c.h; bx++) block(c, my * c.v + by, mx * c.h + bx);
          }
        }
        checkData();
      }
    }
  }
  // The scan's data ends at the next marker; any byte held in the reader is padding.
  return r.pos;
}

/** Pillow's decompression-bomb limit (2 * Image.MAX_IMAGE_PIXELS): larger images are refused. */
const MAX_PIXELS = 2 * 89478485;

/** Whether `bytes` start as a JPEG file (an SOI marker). */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * Decodes a JPEG file's bytes to 8-bit pixels: 1 channel for a grayscale file, 3 (RGB) otherwise,
 * the same values as Pillow's `Image.open(f)` ('L' or 'RGB'; libjpeg-turbo's defaults). `name`
 * goes into error messages.
 */
export function decodeJpeg(bytes: Uint8Array, name = 'JPEG'): DecodedImage {
  const fail = (why: string): never => {
    throw new Error(`decodeJpeg: ${name}: ${why}`);
  };
  if (!isJpeg(bytes)) fail('not a JPEG file (no SOI marker)');
  const n = bytes.length;
  const quant: (Int32Array | null)[] = [null, null, null, null];
  const dcTables: (Huffman | null)[] = [null, null, null, null];
  const acTables: (Huffman | null)[] = [null, null, null, null];
  let frame: Frame | null = null;
  let restartInterval = 0;
  let jfif = false;
  let adobeTransform = -1;
  let scans = 0;
  let pos = 2;
  let eoi = false;
  const u16 = (p: number): number => ((bytes[p] as number) << 8) | (bytes[p + 1] as number);

  while (!eoi) {
    // The next marker: 0xFF, fill bytes, a code (anything else before it is skipped, as libjpeg does).
    let marker = -1;
    for (;;) {
      while (pos < n && bytes[pos] !== 0xff) pos++;
      while (pos < n && bytes[pos] === 0xff) pos++;
      if (pos >= n) break;
      const m = bytes[pos++] as number;
      if (m !== 0) {
        marker = m;
        break;
      }
    }
    if (marker < 0) fail(frame && scans > 0 ? 'truncated file (no EOI marker)' : 'truncated file (no image data)');
    if (marker === 0xd9) {
      eoi = true;
      break;
    }
    if (marker === 0xd8) fail('a second SOI marker');
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // stray RSTn, TEM: no segment
    if (pos + 2 > n) fail('truncated file (in a marker segment)');
    const length = u16(pos);
    const start = pos + 2;
    const end = pos + length;
    if (length < 2 || end > n) fail(`truncated file (in a marker segment 0xFF${marker.toString(16).toUpperCase()})`);
    pos = end;
    switch (marker) {
      case 0xc0:
      case 0xc1:
      case 0xc2: {
        if (frame) fail('more than one frame (SOF marker)');
        if (length < 8) fail('bad SOF segment');
        const precision = bytes[start] as number;
        if (precision !== 8) fail(`${precision}-bit samples are not supported (only 8-bit JPEG)`);
        const height = u16(start + 1);
        const width = u16(start + 3);
        const nc = bytes[start + 5] as number;
        if (height === 0) fail('no height in the SOF marker (DNL markers are not supported)');
        if (width === 0) fail('empty image');
        if (width * height > MAX_PIXELS)
          fail(
            `${width}x${height} is too large (more than ${MAX_PIXELS} pixels, where Pillow refuses a decompression bomb)`,
          );
        if (nc === 4) fail('4-component (CMYK/YCCK) JPEG is not supported');
        if (nc !== 1 && nc !== 3) fail(`${nc}-component JPEG is not supported (only grayscale or 3 components)`);
        if (length !== 8 + 3 * nc) fail('bad SOF segment length');
        const components: Component[] = [];
        let hmax = 1;
        let vmax = 1;
        for (let i = 0; i < nc; i++) {
          const p = start + 6 + 3 * i;
          const hv = bytes[p + 1] as number;
          const h = hv >> 4;
          const v = hv & 15;
          if (h < 1 || h > 4 || v < 1 || v > 4) fail(`bad sampling factors ${h}x${v}`);
          hmax = Math.max(hmax, h);
          vmax = Math.max(vmax, v);
          const tq = bytes[p + 2] as number;
          if (tq > 3) fail(`bad quantization table index ${tq}`);
          components.push({
            id: bytes[p] as number,
            h,
            v,
            tq,
            dw: 0,
            dh: 0,
            bw: 0,
            bh: 0,
            bwAlloc: 0,
            bhAlloc: 0,
            plane: null,
            coefs: null,
            quant: null,
            pred: 0,
            dc: null,
            ac: null,
            scanned: false,
          });
        }
        const mcusX = Math.ceil(width / (8 * hmax));
        const mcusY = Math.ceil(height / (8 * vmax));
        const progressive = marker === 0xc2;
        for (const c of components) {
          if (hmax % c.h !== 0 || vmax % c.v !== 0)
            fail(`sampling factors ${c.h}x${c.v} of ${hmax}x${vmax} are not supported (fractional upsampling)`);
          c.dw = Math.ceil((width * c.h) / hmax);
          c.dh = Math.ceil((height * c.v) / vmax);
          c.bw = Math.ceil(c.dw / 8);
          c.bh = Math.ceil(c.dh / 8);
          c.bwAlloc = mcusX * c.h;
          c.bhAlloc = mcusY * c.v;
          if (progressive) c.coefs = new Int16Array(c.bwAlloc * c.bhAlloc * 64);
          else c.plane = scratchPlane(components.indexOf(c), c.bwAlloc * c.bhAlloc * 64);
        }
        frame = { width, height, progressive, components, hmax, vmax, mcusX, mcusY };
        break;
      }
      case 0xc3:
      case 0xc7:
      case 0xcb:
      case 0xcf:
        fail('lossless JPEG is not supported');
        break;
      case 0xc5:
      case 0xc6:
        fail('hierarchical (differential) JPEG is not supported');
        break;
      case 0xc9:
      case 0xca:
      case 0xcd:
      case 0xce:
      case 0xcc:
        fail('arithmetic-coded JPEG is not supported');
        break;
      case 0xf7:
        fail('JPEG-LS is not supported');
        break;
      case 0xc4: {
        let p = start;
        while (p < end) {
          const tc = (bytes[p] as number) >> 4;
          const th = (bytes[p] as number) & 15;
          if (tc > 1 || th > 3) fail(`bad Huffman table class/index ${tc}/${th}`);
          if (p + 17 > end) fail('bad DHT segment');
          const counts = bytes.subarray(p + 1, p + 17);
          let total = 0;
          for (let i = 0; i < 16; i++) total += counts[i] as number;
          if (total > 256 || p + 17 + total > end) fail('bad DHT segment');
          const table = buildHuffman(counts, bytes.slice(p + 17, p + 17 + total), fail);
          (tc === 0 ? dcTables : acTables)[th] = table;
          p += 17 + total;
        }
        break;
      }
      case 0xdb: {
        let p = start;
        while (p < end) {
          const pq = (bytes[p] as number) >> 4;
          const tq = (bytes[p] as number) & 15;
          if (pq > 1 || tq > 3) fail(`bad quantization table precision/index ${pq}/${tq}`);
          const size = pq === 0 ? 64 : 128;
          if (p + 1 + size > end) fail('bad DQT segment');
          const table = new Int32Array(64);
          for (let k = 0; k < 64; k++) {
            table[NATURAL[k] as number] = pq === 0 ? (bytes[p + 1 + k] as number) : u16(p + 1 + 2 * k);
          }
          quant[tq] = table;
          p += 1 + size;
        }
        break;
      }
      case 0xdd:
        if (length !== 4) fail('bad DRI segment');
        restartInterval = u16(start);
        break;
      case 0xe0:
        if (
          length >= 16 &&
          bytes[start] === 0x4a &&
          bytes[start + 1] === 0x46 &&
          bytes[start + 2] === 0x49 &&
          bytes[start + 3] === 0x46 &&
          bytes[start + 4] === 0
        )
          jfif = true;
        break;
      case 0xee:
        if (
          length >= 14 &&
          bytes[start] === 0x41 &&
          bytes[start + 1] === 0x64 &&
          bytes[start + 2] === 0x6f &&
          bytes[start + 3] === 0x62 &&
          bytes[start + 4] === 0x65
        )
          adobeTransform = bytes[start + 11] as number;
        break;
      case 0xda: {
        if (!frame) fail('a scan before the frame header (SOS before SOF)');
        const f = frame as Frame;
        const ns = bytes[start] as number;
        if (ns < 1 || ns > 4 || length !== 6 + 2 * ns) fail('bad SOS segment');
        const comps: Component[] = [];
        for (let i = 0; i < ns; i++) {
          const id = bytes[start + 1 + 2 * i] as number;
          const tables = bytes[start + 2 + 2 * i] as number;
          const c = f.components.find((x) => x.id === id);
          if (!c || comps.includes(c)) fail(`bad component id ${id} in a scan`);
          const comp = c as Component;
          comp.dc = dcTables[tables >> 4] ?? null;
          comp.ac = acTables[tables & 15] ?? null;
          comps.push(comp);
        }
        const q = start + 1 + 2 * ns;
        const ss = bytes[q] as number;
        const se = bytes[q + 1] as number;
        const ah = (bytes[q + 2] as number) >> 4;
        const al = (bytes[q + 2] as number) & 15;
        if (ns > 1 && comps.reduce((s, c) => s + c.h * c.v, 0) > 10) fail('too many blocks in an MCU');
        if (f.progressive) {
          if (ss === 0 ? se !== 0 : se < ss || se > 63 || ns !== 1) fail('bad progressive scan parameters');
          if (ah > 13 || al > 13) fail('bad progressive scan parameters');
        }
        const needDc = !f.progressive || (ss === 0 && ah === 0);
        const needAc = !f.progressive || ss > 0;
        for (const c of comps) {
          if (needDc && !c.dc) fail('a scan uses an undefined Huffman table');
          if (needAc && !c.ac) fail('a scan uses an undefined Huffman table');
          if (!c.quant) {
            const table = quant[c.tq];
            if (!table) fail(`quantization table ${c.tq} is not defined`);
            c.quant = (table as Int32Array).slice();
          }
          c.scanned = true;
        }
        pos = decodeScan(bytes, end, f, comps, ss, se, ah, al, restartInterval, fail);
        scans++;
        break;
      }
      default:
        // APPn (EXIF, ICC, ...), COM, DNL and the like: nothing that changes the pixels here.
        break;
    }
  }
  if (!frame) return fail('no image (no SOF marker)');
  if (scans === 0) fail('no image data (no SOS marker)');
  const f = frame as Frame;
  return finish(f, jfif, adobeTransform);
}

// The components' sample planes, reused from decode to decode (they never leave the decoder),
// which saves allocating and zeroing about a byte per pixel and component each time. Safe:
// decoding is synchronous and does not re-enter; every sample read later is written first (each
// scan covers all of its component's blocks; a component no scan covers is filled in `finish`).
const planes: Uint8Array[] = [];
const KEEP_AT_MOST = 1 << 24;

function scratchPlane(i: number, n: number): Uint8Array {
  const have = planes[i];
  if (have && have.length >= n) return have.subarray(0, n);
  const made = new Uint8Array(n);
  if (n <= KEEP_AT_MOST) planes[i] = made;
  return made;
}

/** The inverse DCT of a progressive file's coefficients, upsampling and colour conversion. */
function finish(f: Frame, jfif: boolean, adobeTransform: number): DecodedImage {
  const { width, height, components } = f;
  const ws = new Int32Array(64);
  for (const c of components) {
    if (f.progressive) {
      const stride = c.bwAlloc * 8;
      const plane = scratchPlane(components.indexOf(c), c.bwAlloc * c.bhAlloc * 64);
      const coefs = c.coefs as Int16Array;
      const q = c.quant ?? new Int32Array(64);
      for (let row = 0; row < c.bh; row++) {
        for (let col = 0; col < c.bw; col++) {
          idctIslow(coefs, (row * c.bwAlloc + col) * 64, q, plane, row * 8 * stride + col * 8, stride, ws);
        }
      }
      c.plane = plane;
      c.coefs = null;
    } else if (!c.scanned) {
      (c.plane as Uint8Array).fill(128);
    }
  }
  if (components.length === 1) {
    const c = components[0] as Component;
    const stride = c.bwAlloc * 8;
    const plane = c.plane as Uint8Array;
    const out = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) out.set(plane.subarray(y * stride, y * stride + width), y * width);
    return { width, height, channels: 1, data: out };
  }
  let rgb: boolean;
  if (jfif) rgb = false;
  else if (adobeTransform >= 0) rgb = adobeTransform === 0;
  else rgb = components[0]?.id === 0x52 && components[1]?.id === 0x47 && components[2]?.id === 0x42;
  const planes = components.map((c) => ({
    data: c.plane as Uint8Array,
    stride: c.bwAlloc * 8,
    dw: c.dw,
    dh: c.dh,
    hr: f.hmax / c.h,
    vr: f.vmax / c.v,
  }));
  return { width, height, channels: 3, data: planesToRgb(planes, !rgb, width, height) };
}
