// RandomCrop and RandomFlip fused, for batches of uint8 images made without per-sample arrays.
//
// Where each output pixel of a chain of crops and flips comes from is separable: a source row
// for each output row and a source column for each output column, or the crop's fill. So a
// sample's random draws give two small index maps (a PixelPlan), and one pass writes the
// transformed image straight into its place in the batch buffer: no per-sample image, padded
// copy or row views to allocate and collect, which is most of what the transforms cost applied
// one at a time. The draws are those of the transforms' own apply(), in the same order from the
// same generator, so the pixels are the same.
//
// Written for V8's tiers as much as for its optimised code: a data worker starts every pass with
// cold code, and what its first few thousand images cost in the interpreter, plus compiling the
// hot functions, is a large part of what a worker costs at all. So the per-sample work is small:
// the draws, then a cached plan (one per distinct outcome of the draws: 162 for a 32x32 crop
// with padding 4 and a flip), then a row loop of small functions that always see the same
// argument types. Torch-free (data workers import it).
import {
  Compose,
  type PaddingMode,
  RandomCrop,
  RandomFlip,
  type RandomSource,
  sourceIndex,
  type Transform,
} from './transforms.js';

/** Where the pixels of one transformed image come from. */
export class PixelPlan {
  /** Source row of each output row (-1: fill). */
  readonly rows: Int32Array;
  /** Source column of each output column (-1: fill). */
  readonly cols: Int32Array;
  // The columns as one run where they are: `left` fill pixels, `length` source pixels from
  // column `start` on, one apart upwards (step 1) or downwards (-1, flipped), then fill. step 0:
  // not a run (edge or reflect padding), cols is read pixel by pixel.
  left = 0;
  length = 0;
  start = 0;
  step = 0;

  constructor(rows: Int32Array, cols: Int32Array) {
    this.rows = rows;
    this.cols = cols;
    this.findRun();
  }

  private findRun(): void {
    const cols = this.cols;
    const n = cols.length;
    let a = 0;
    while (a < n && (cols[a] as number) < 0) a++;
    let b = n;
    while (b > a && (cols[b - 1] as number) < 0) b--;
    const first = a < b ? (cols[a] as number) : 0;
    const step = b - a > 1 ? (cols[a + 1] as number) - first : 1;
    let run = step === 1 || step === -1;
    for (let x = a; run && x < b; x++) run = cols[x] === first + step * (x - a);
    this.left = a;
    this.length = b - a;
    this.start = first;
    this.step = run ? step : 0;
  }
}

const CROP = 0;
const FLIP_H = 1;
const FLIP_V = 2;
/** At most this many plans are kept per image size (beyond, each sample's plan is made anew). */
const MAX_PLANS = 4096;

/** The steps of the chain for one input size: what does not depend on the draws. */
class Geometry {
  readonly h: number;
  readonly w: number;
  readonly outH: number;
  readonly outW: number;
  readonly kinds: Int32Array;
  /** Per crop: the number of positions to draw from for the top and the left (0: the whole padded image, no draw). */
  readonly rangeI: Int32Array;
  readonly rangeJ: Int32Array;
  /** Per crop: its padding on the top and the left, the size it is applied to (after the steps before). */
  readonly top: Int32Array;
  readonly left: Int32Array;
  readonly inH: Int32Array;
  readonly inW: Int32Array;
  /** Per crop: padIfNeeded's second padding on the top and the left, and the size of the once-padded image it pads. */
  readonly dTop: Int32Array;
  readonly dLeft: Int32Array;
  readonly midH: Int32Array;
  readonly midW: Int32Array;
  readonly probs: Float64Array;
  /** The number of distinct outcomes of the draws, where plans are cached (else 0). */
  readonly outcomes: number;
  /** The plan of each outcome made so far, indexed by the outcome's key (an array: a Map lookup per image cost more). */
  readonly plans: (PixelPlan | undefined)[];

  constructor(steps: readonly (RandomCrop | RandomFlip)[], h: number, w: number) {
    const n = steps.length;
    this.h = h;
    this.w = w;
    this.kinds = new Int32Array(n);
    this.rangeI = new Int32Array(n);
    this.rangeJ = new Int32Array(n);
    this.top = new Int32Array(n);
    this.left = new Int32Array(n);
    this.inH = new Int32Array(n);
    this.inW = new Int32Array(n);
    this.dTop = new Int32Array(n);
    this.dLeft = new Int32Array(n);
    this.midH = new Int32Array(n);
    this.midW = new Int32Array(n);
    this.probs = new Float64Array(n);
    let ch = h;
    let cw = w;
    let outcomes = 1;
    for (let k = 0; k < n; k++) {
      const s = steps[k] as RandomCrop | RandomFlip;
      if (s instanceof RandomFlip) {
        this.kinds[k] = s.direction === 'vertical' ? FLIP_V : FLIP_H;
        this.probs[k] = s.prob;
        outcomes *= 2;
        continue;
      }
      // RandomCrop.apply's geometry, on the size the steps before leave.
      const { top, left, dh, dw, midH, midW, ph, pw } = s.geometry(ch, cw);
      const whole = ph === s.height && pw === s.width;
      this.kinds[k] = CROP;
      this.rangeI[k] = whole ? 0 : ph - s.height + 1;
      this.rangeJ[k] = whole ? 0 : pw - s.width + 1;
      this.top[k] = top;
      this.left[k] = left;
      this.dTop[k] = dh;
      this.dLeft[k] = dw;
      this.midH[k] = midH;
      this.midW[k] = midW;
      this.inH[k] = ch;
      this.inW[k] = cw;
      if (!whole) outcomes *= (this.rangeI[k] as number) * (this.rangeJ[k] as number);
      ch = s.height;
      cw = s.width;
    }
    this.outH = ch;
    this.outW = cw;
    this.outcomes = outcomes <= MAX_PLANS ? outcomes : 0;
    this.plans = new Array<PixelPlan | undefined>(this.outcomes).fill(undefined);
  }
}

/** Reverses a[0..n) in place. */
function reverse(a: Int32Array, n: number): void {
  for (let i = 0, j = n - 1; i < j; i++, j--) {
    const t = a[i] as number;
    a[i] = a[j] as number;
    a[j] = t;
  }
}

/** map'[k] = map[sourceIndex(from + k)] for k < size; -1 stays the fill. */
function composeMap(map: Int32Array, size: number, from: number, n: number, mode: PaddingMode): Int32Array {
  const out = new Int32Array(size);
  for (let k = 0; k < size; k++) {
    const s = sourceIndex(from + k, n, mode);
    out[k] = s < 0 ? -1 : (map[s] as number);
  }
  return out;
}

// The row loops of write(). They go through DataViews, four bytes at a time along a run of
// source pixels: a 32-byte row is 8 steps instead of 32, and there are no subarray views to
// allocate as TypedArray.set would need.

function fillRun(out: DataView, o: number, n: number, f: number): void {
  for (let x = 0; x < n; x++) out.setUint8(o + x, f);
}

/** out[o + x] = src[s + x] for x < n. */
function copyRun(out: DataView, o: number, src: DataView, s: number, n: number): void {
  let x = 0;
  for (; x + 4 <= n; x += 4) out.setInt32(o + x, src.getInt32(s + x, true), true);
  for (; x < n; x++) out.setUint8(o + x, src.getUint8(s + x));
}

/** out[o + x] = src[s - x] for x < n: four bytes read little-endian are written big-endian, reversed. */
function copyRunReversed(out: DataView, o: number, src: DataView, s: number, n: number): void {
  let x = 0;
  for (; x + 4 <= n; x += 4) out.setInt32(o + x, src.getInt32(s - x - 3, true), false);
  for (; x < n; x++) out.setUint8(o + x, src.getUint8(s - x));
}

function copyMapped(out: DataView, o: number, src: DataView, rowBase: number, cols: Int32Array, f: number): void {
  for (let x = 0; x < cols.length; x++) {
    const sx = cols[x] as number;
    out.setUint8(o + x, sx < 0 ? f : src.getUint8(rowBase + sx));
  }
}

/** A chain of RandomCrop and RandomFlip transforms fused for uint8 (C, H, W) images; see the module comment. */
export class FusedTransforms {
  private readonly steps: (RandomCrop | RandomFlip)[];
  /** The fill values of the constant-padding crops (all equal), as RandomCrop.apply reads them. */
  private readonly fills: number[];
  private geometry: Geometry | null = null;
  /** The draws of the current sample: per step, top and left of a crop, or 1 for a flip. */
  private draws = new Int32Array(0);

  private constructor(steps: (RandomCrop | RandomFlip)[], fill: number | number[]) {
    this.steps = steps;
    this.fills = Array.isArray(fill) ? fill : [fill];
    this.draws = new Int32Array(2 * steps.length);
  }

  /**
   * The fused form of `transforms`, or null where they cannot be fused: a transform other than
   * RandomCrop, RandomFlip or a Compose of them, or constant-padding crops with different fills
   * (a pixel would then need to know which crop padded it).
   */
  static of(transforms: readonly Transform[]): FusedTransforms | null {
    const steps: (RandomCrop | RandomFlip)[] = [];
    const flat = (ts: readonly Transform[]): boolean =>
      ts.every((t) => {
        if (t instanceof Compose) return flat(t.transforms);
        if (t.constructor !== RandomCrop && t.constructor !== RandomFlip) return false;
        steps.push(t as RandomCrop | RandomFlip);
        return true;
      });
    if (!flat(transforms)) return null;
    const fills = steps.filter((s): s is RandomCrop => s instanceof RandomCrop && s.paddingMode === 'constant');
    const fill = fills[0]?.fill ?? 0;
    if (fills.some((s) => JSON.stringify(s.fill) !== JSON.stringify(fill))) return null;
    return new FusedTransforms(steps, fill);
  }

  private geometryFor(h: number, w: number): Geometry {
    const g = this.geometry;
    if (g !== null && g.h === h && g.w === w) return g;
    this.geometry = new Geometry(this.steps, h, w);
    return this.geometry;
  }

  /** [height, width] of the output for an input of (h, w); throws as RandomCrop.apply does when a crop does not fit. */
  outSize(h: number, w: number): [number, number] {
    const g = this.geometryFor(h, w);
    return [g.outH, g.outW];
  }

  /** The draws of one (C, h, w) image from `random`, as its plan. */
  draw(h: number, w: number, random: RandomSource): PixelPlan {
    const g = this.geometryFor(h, w);
    const kinds = g.kinds;
    const draws = this.draws;
    // The outcome as one number (mixed radix over the steps' ranges), the key of its plan.
    let key = 0;
    for (let k = 0; k < kinds.length; k++) {
      if (kinds[k] === CROP) {
        const ri = g.rangeI[k] as number;
        const rj = g.rangeJ[k] as number;
        const i = ri === 0 ? 0 : random.int(0, ri);
        const j = rj === 0 ? 0 : random.int(0, rj);
        draws[2 * k] = i;
        draws[2 * k + 1] = j;
        if (ri !== 0) key = (key * ri + i) * rj + j;
      } else {
        const flip = random.next() < (g.probs[k] as number) ? 1 : 0;
        draws[2 * k] = flip;
        key = key * 2 + flip;
      }
    }
    if (g.outcomes === 0) return this.plan(g);
    let plan = g.plans[key];
    if (plan === undefined) {
      plan = this.plan(g);
      g.plans[key] = plan;
    }
    return plan;
  }

  /** The plan of the current draws. */
  private plan(g: Geometry): PixelPlan {
    let rows: Int32Array = new Int32Array(g.h);
    let cols: Int32Array = new Int32Array(g.w);
    for (let y = 0; y < g.h; y++) rows[y] = y;
    for (let x = 0; x < g.w; x++) cols[x] = x;
    for (let k = 0; k < g.kinds.length; k++) {
      const kind = g.kinds[k] as number;
      if (kind === CROP) {
        const s = this.steps[k] as RandomCrop;
        const i = this.draws[2 * k] as number;
        const j = this.draws[2 * k + 1] as number;
        const mode = s.paddingMode;
        // the once-padded image, then the crop of it padded again (nothing again without padIfNeeded)
        const midH = g.midH[k] as number;
        const midW = g.midW[k] as number;
        rows = composeMap(rows, midH, -(g.top[k] as number), g.inH[k] as number, mode);
        cols = composeMap(cols, midW, -(g.left[k] as number), g.inW[k] as number, mode);
        rows = composeMap(rows, s.height, i - (g.dTop[k] as number), midH, mode);
        cols = composeMap(cols, s.width, j - (g.dLeft[k] as number), midW, mode);
      } else if (this.draws[2 * k] === 1) {
        if (kind === FLIP_V) reverse(rows, rows.length);
        else reverse(cols, cols.length);
      }
    }
    return new PixelPlan(rows, cols);
  }

  /**
   * Writes the image that `plan` maps: source (c, h, w) at byte `srcOffset` of `src`, output
   * (c, plan's height, plan's width) at byte `outOffset` of `out`.
   */
  write(
    plan: PixelPlan,
    src: DataView,
    srcOffset: number,
    c: number,
    h: number,
    w: number,
    out: DataView,
    outOffset: number,
  ): void {
    const rows = plan.rows;
    const H = rows.length;
    const W = plan.cols.length;
    const left = plan.left;
    const length = plan.length;
    const right = W - left - length;
    const step = plan.step;
    const fills = this.fills;
    let o = outOffset;
    for (let ch = 0; ch < c; ch++) {
      // As RandomCrop.apply stores it in a Uint8Array: ToUint8, which & 255 is for any number.
      const f = (fills[fills.length === 1 ? 0 : ch] ?? 0) & 255;
      const base = srcOffset + ch * h * w;
      for (let y = 0; y < H; y++, o += W) {
        const sy = rows[y] as number;
        if (sy < 0) fillRun(out, o, W, f);
        else if (step === 0) copyMapped(out, o, src, base + sy * w, plan.cols, f);
        else {
          fillRun(out, o, left, f);
          if (step === 1) copyRun(out, o + left, src, base + sy * w + plan.start, length);
          else copyRunReversed(out, o + left, src, base + sy * w + plan.start, length);
          fillRun(out, o + left + length, right, f);
        }
      }
    }
  }
}
