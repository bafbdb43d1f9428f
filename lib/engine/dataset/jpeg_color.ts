// The last stage of the JPEG decoder (jpeg.ts): each component's samples brought to the full
// size and the three turned into interleaved RGB, one output row at a time, as libjpeg-turbo's
// defaults do it (Pillow's pixels, bit for bit):
//  - "fancy" upsampling: the triangle filter for 2:1 horizontal (h2v1), 2:1 vertical (h1v2) and
//    2:1 both ways (h2v2), with the edges replicated at the component's own width and height;
//    plain replication for a component 2:1 wide that is at most 2 samples wide and for every
//    other integral ratio (4:1:1's 4:1, 3:1, ...), as libjpeg-turbo's upsampler chooses;
//  - its 16-bit fixed-point YCbCr->RGB conversion.
// Row by row, so that the upsampled chroma never exists as a whole plane: a row lives in a small
// buffer that stays in the L1 cache between the upsampling and the conversion that reads it.
// Torch-free.

/** The fixed-point constants of the conversion: round(x * 2^16). */
const FIX_1_40200 = 91881;
const FIX_1_77200 = 116130;
const FIX_0_71414 = 46802;
const FIX_0_34414 = 22554;
const ONE_HALF = 1 << 15;

/** CLAMP[v + 256] is v limited to 0..255, for v from -256 to 767 (libjpeg's range-limit table). */
const CLAMP = new Uint8Array(1024);
for (let i = 0; i < 1024; i++) CLAMP[i] = Math.min(255, Math.max(0, i - 256));

/** A component's decoded samples: `dw` x `dh` of them, rows `stride` apart, to be scaled by `hr` x `vr`. */
export interface SampledPlane {
  data: Uint8Array;
  stride: number;
  dw: number;
  dh: number;
  hr: number;
  vr: number;
}

/**
 * Row `y` of a component at full resolution: its offset in `plane.data` where no upsampling is
 * needed, else written into `row` (offset 0 there).
 */
function fullRow(p: SampledPlane, y: number, row: Uint8Array): number {
  const { data, stride, dw, dh, hr, vr } = p;
  if (hr === 1 && vr === 1) return y * stride;
  if (hr === 2 && vr === 1 && dw > 2) h2v1Fancy(data, y * stride, dw, row);
  else if (hr === 1 && vr === 2) {
    const r = y >> 1;
    const far = y & 1 ? Math.min(r + 1, dh - 1) : Math.max(r - 1, 0);
    h1v2Fancy(data, r * stride, far * stride, y & 1 ? 2 : 1, dw, row);
  } else if (hr === 2 && vr === 2 && dw > 2) {
    const r = y >> 1;
    const far = y & 1 ? Math.min(r + 1, dh - 1) : Math.max(r - 1, 0);
    h2v2Fancy(data, r * stride, far * stride, dw, row);
  } else replicate(data, ((y / vr) | 0) * stride, dw, hr, row);
  return 0;
}

/** h2v1: each sample to two, 3/4 of the nearer and 1/4 of the further neighbour (dw > 2). */
function h2v1Fancy(src: Uint8Array, i: number, dw: number, out: Uint8Array): void {
  let cur = src[i] as number;
  let next = src[i + 1] as number;
  out[0] = cur;
  out[1] = (cur * 3 + next + 2) >> 2;
  let o = 2;
  for (let x = 1; x < dw - 1; x++, o += 2) {
    const prev = cur;
    cur = next;
    next = src[i + x + 1] as number;
    out[o] = (cur * 3 + prev + 1) >> 2;
    out[o + 1] = (cur * 3 + next + 2) >> 2;
  }
  out[o] = (next * 3 + cur + 1) >> 2;
  out[o + 1] = next;
}

/** h1v2: 3/4 of the nearer row and 1/4 of the row above (bias 1) or below (bias 2). */
function h1v2Fancy(src: Uint8Array, near: number, far: number, bias: number, dw: number, out: Uint8Array): void {
  for (let x = 0; x < dw; x++) out[x] = ((src[near + x] as number) * 3 + (src[far + x] as number) + bias) >> 2;
}

/** h2v2: the triangle filter both ways (9/16, 3/16, 3/16, 1/16), dw > 2. */
function h2v2Fancy(src: Uint8Array, near: number, far: number, dw: number, out: Uint8Array): void {
  let cur = (src[near] as number) * 3 + (src[far] as number);
  let next = (src[near + 1] as number) * 3 + (src[far + 1] as number);
  out[0] = (cur * 4 + 8) >> 4;
  out[1] = (cur * 3 + next + 7) >> 4;
  let o = 2;
  for (let x = 1; x < dw - 1; x++, o += 2) {
    const prev = cur;
    cur = next;
    next = (src[near + x + 1] as number) * 3 + (src[far + x + 1] as number);
    out[o] = (cur * 3 + prev + 8) >> 4;
    out[o + 1] = (cur * 3 + next + 7) >> 4;
  }
  out[o] = (next * 3 + cur + 8) >> 4;
  out[o + 1] = (next * 4 + 7) >> 4;
}

/** Any other integral ratio (and 2:1 of at most 2 samples): each sample repeated `hr` times. */
function replicate(src: Uint8Array, i: number, dw: number, hr: number, out: Uint8Array): void {
  let o = 0;
  for (let x = 0; x < dw; x++) {
    const v = src[i + x] as number;
    for (let k = 0; k < hr; k++) out[o++] = v;
  }
}

/**
 * One row of YCbCr to RGB, libjpeg's fixed-point formulas (its tables hold these very values):
 * R = Y + 1.402 Cr', G = Y - 0.34414 Cb' - 0.71414 Cr', B = Y + 1.772 Cb' (Cb' = Cb - 128,
 * Cr' = Cr - 128), limited to 0..255. The products cost less than the table look-ups they replace.
 */
function yccRow(
  a: Uint8Array,
  ia: number,
  b: Uint8Array,
  ib: number,
  c: Uint8Array,
  ic: number,
  out: Uint8Array,
  o: number,
  width: number,
): void {
  const clamp = CLAMP;
  for (let x = 0; x < width; x++, o += 3) {
    const y = (a[ia + x] as number) + 256;
    const cb = (b[ib + x] as number) - 128;
    const cr = (c[ic + x] as number) - 128;
    out[o] = clamp[y + ((FIX_1_40200 * cr + ONE_HALF) >> 16)] as number;
    out[o + 1] = clamp[y + ((ONE_HALF - FIX_0_34414 * cb - FIX_0_71414 * cr) >> 16)] as number;
    out[o + 2] = clamp[y + ((FIX_1_77200 * cb + ONE_HALF) >> 16)] as number;
  }
}

/** One row of three components interleaved as they are (RGB files). */
function interleaveRow(
  a: Uint8Array,
  ia: number,
  b: Uint8Array,
  ib: number,
  c: Uint8Array,
  ic: number,
  out: Uint8Array,
  o: number,
  width: number,
): void {
  for (let x = 0; x < width; x++, o += 3) {
    out[o] = a[ia + x] as number;
    out[o + 1] = b[ib + x] as number;
    out[o + 2] = c[ic + x] as number;
  }
}

/** Three components to `width` x `height` interleaved RGB: converted from YCbCr where `ycc`, else as they are. */
export function planesToRgb(planes: readonly SampledPlane[], ycc: boolean, width: number, height: number): Uint8Array {
  const [p0, p1, p2] = planes as [SampledPlane, SampledPlane, SampledPlane];
  const out = new Uint8Array(width * height * 3);
  const rows = planes.map((p) => new Uint8Array(p.dw * p.hr));
  const [r0, r1, r2] = rows as [Uint8Array, Uint8Array, Uint8Array];
  for (let y = 0; y < height; y++) {
    const i0 = fullRow(p0, y, r0);
    const i1 = fullRow(p1, y, r1);
    const i2 = fullRow(p2, y, r2);
    const a = p0.hr === 1 && p0.vr === 1 ? p0.data : r0;
    const b = p1.hr === 1 && p1.vr === 1 ? p1.data : r1;
    const c = p2.hr === 1 && p2.vr === 1 ? p2.data : r2;
    if (ycc) yccRow(a, i0, b, i1, c, i2, out, y * width * 3, width);
    else interleaveRow(a, i0, b, i1, c, i2, out, y * width * 3, width);
  }
  return out;
}
