// Per-sample transforms on images held as (C, H, W) NDArrays (uint8 in practice; any dtype
// works). Each draws its randomness from the sample's generator, so a sample is transformed the
// same way in the main thread and in any data worker. Each has a plain description (`toJSON()`)
// from which a data worker rebuilds it: `{type: 'RandomCrop', size: 32, padding: 4}`. The
// resizing ones (Resize, ResizeEdge, CenterCrop, RandomResizedCrop) are in resize_transforms.ts.
// Normalisation is not here: it belongs to the model's data preprocessor.
// Torch-free (data workers import it).
import { NDArray, type TypedArray } from './ndarray.js';
import { CenterCrop, RandomResizedCrop, Resize, ResizeEdge, type ResizeSpec } from './resize_transforms.js';

/** What a transform draws from (Random satisfies it; tests may pass fixed draws). */
export interface RandomSource {
  /** A uniform float in [0, 1). */
  next(): number;
  /** A uniform integer in [lo, hi). */
  int(lo: number, hi: number): number;
}

export interface Transform {
  /** The transformed image; the input is not modified. */
  apply(img: NDArray, random: RandomSource): NDArray;
  /** The plain description that rebuilds this transform (in a data worker). */
  toJSON(): TransformSpec;
}

export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

export interface RandomCropOptions {
  /** Output size: a number for a square, or [height, width]. */
  size: number | [number, number];
  /** Padding before the crop, as torchvision: all sides, [left/right, top/bottom] or [left, top, right, bottom]. */
  padding?: number | [number, number] | [number, number, number, number] | null;
  /** Pads an image smaller than `size` (torchvision's pad_if_needed). */
  padIfNeeded?: boolean;
  /** The value of constant padding: one for all channels or one per channel. */
  fill?: number | number[];
  paddingMode?: PaddingMode;
}

export interface RandomFlipOptions {
  /** The probability of flipping (default 0.5). */
  prob?: number;
  direction?: 'horizontal' | 'vertical';
}

export type TransformSpec =
  | ({ type: 'RandomCrop' } & RandomCropOptions)
  | ({ type: 'RandomFlip' } & RandomFlipOptions)
  | ResizeSpec
  | { type: 'Compose'; transforms: TransformSpec[] };

function checkImage(img: NDArray, name: string): [number, number, number] {
  if (img.shape.length !== 3) {
    throw new Error(`${name}: expected an image of shape (C, H, W), got [${img.shape.join(', ')}]`);
  }
  return img.shape as [number, number, number];
}

/** @internal The row or column of an image of side `n` that padded position `c` shows (-1: the fill). */
export function sourceIndex(c: number, n: number, mode: PaddingMode): number {
  if (c >= 0 && c < n) return c;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return c < 0 ? 0 : n - 1;
    case 'reflect': {
      const r = c < 0 ? -c : 2 * (n - 1) - c;
      return Math.min(Math.max(r, 0), n - 1);
    }
    case 'symmetric': {
      const r = c < 0 ? -c - 1 : 2 * n - 1 - c;
      return Math.min(Math.max(r, 0), n - 1);
    }
  }
}

/**
 * @internal Refuses a reflect padding not narrower than the image, or a symmetric one wider, as
 * torchvision's pad of a tensor image does (the mirrored pixels would not exist).
 */
export function checkMirrorPadding(
  mode: PaddingMode,
  [left, top, right, bottom]: readonly number[],
  h: number,
  w: number,
): void {
  if (mode !== 'reflect' && mode !== 'symmetric') return;
  const fits = (p: number, n: number) => (mode === 'reflect' ? p < n : p <= n);
  for (const [pads, n, what] of [
    [[left, right], w, 'width'],
    [[top, bottom], h, 'height'],
  ] as const) {
    if (!pads.every((p) => fits(p as number, n))) {
      throw new Error(
        `RandomCrop: ${mode} padding (${pads.join(', ')}) must be ${mode === 'reflect' ? 'less than' : 'at most'} the image's ${what} ${n}`,
      );
    }
  }
}

/** RandomCrop's padding of an image of a given size (see RandomCrop.geometry). */
export interface CropGeometry {
  /** The padding on the top and the left. */
  top: number;
  left: number;
  /** padIfNeeded's second padding, on each side of the height and of the width. */
  dh: number;
  dw: number;
  /** The size once padded. */
  midH: number;
  midW: number;
  /** The size twice padded: what the window is drawn in. */
  ph: number;
  pw: number;
}

/** Crops a random window, after optional padding, as torchvision's RandomCrop. */
export class RandomCrop implements Transform {
  readonly height: number;
  readonly width: number;
  /** [left, top, right, bottom] */
  readonly padding: [number, number, number, number];
  readonly padIfNeeded: boolean;
  readonly fill: number | number[];
  readonly paddingMode: PaddingMode;
  private readonly options: RandomCropOptions;

  constructor(options: RandomCropOptions) {
    this.options = { ...options };
    const size = options.size;
    [this.height, this.width] = typeof size === 'number' ? [size, size] : size;
    if (![this.height, this.width].every((s) => Number.isInteger(s) && s > 0)) {
      throw new Error(`RandomCrop: size must be a positive integer or [height, width], got ${JSON.stringify(size)}`);
    }
    const p = options.padding ?? 0;
    if (typeof p === 'number') this.padding = [p, p, p, p];
    else if (p.length === 2) this.padding = [p[0], p[1], p[0], p[1]];
    else if (p.length === 4) this.padding = [...p];
    else
      throw new Error('RandomCrop: padding must be a number, [left/right, top/bottom] or [left, top, right, bottom]');
    if (!this.padding.every((x) => Number.isInteger(x) && x >= 0)) {
      throw new Error(`RandomCrop: padding must be non-negative integers, got ${JSON.stringify(p)}`);
    }
    this.padIfNeeded = options.padIfNeeded ?? false;
    this.fill = options.fill ?? 0;
    this.paddingMode = options.paddingMode ?? 'constant';
    if (!['constant', 'edge', 'reflect', 'symmetric'].includes(this.paddingMode)) {
      throw new Error(`RandomCrop: unknown paddingMode '${this.paddingMode}'`);
    }
  }

  /**
   * Where this crop takes its window from, for an image of h x w: its padding (checked), then,
   * with padIfNeeded, the padded image (midH x midW) padded again both sides by the shortfall
   * (dh, dw), as torchvision's two pads (in a mirror mode the second mirrors the padding too);
   * ph x pw is the twice-padded size the window is drawn in.
   */
  geometry(h: number, w: number): CropGeometry {
    const mode = this.paddingMode;
    const [left, top, right, bottom] = this.padding;
    checkMirrorPadding(mode, this.padding, h, w);
    const midH = h + top + bottom;
    const midW = w + left + right;
    const dh = this.padIfNeeded && midH < this.height ? this.height - midH : 0;
    const dw = this.padIfNeeded && midW < this.width ? this.width - midW : 0;
    checkMirrorPadding(mode, [dw, dh, dw, dh], midH, midW);
    const ph = midH + 2 * dh;
    const pw = midW + 2 * dw;
    if (ph < this.height || pw < this.width) {
      throw new Error(
        `RandomCrop: required crop size (${this.height}, ${this.width}) is larger than the padded image size (${ph}, ${pw})`,
      );
    }
    return { top, left, dh, dw, midH, midW, ph, pw };
  }

  apply(img: NDArray, random: RandomSource): NDArray {
    const [c, h, w] = checkImage(img, 'RandomCrop');
    const mode = this.paddingMode;
    const { top: t0, left: l0, dh, dw, midH: ph0, midW: pw0, ph, pw } = this.geometry(h, w);
    const left = l0 + dw;
    /** The source row/column of position `p` of the twice-padded side (-1: the fill). */
    const through = (p: number, d: number, pad: number, n0: number, n: number): number => {
      const q = sourceIndex(p - d, n0, mode);
      return q < 0 ? -1 : sourceIndex(q - pad, n, mode);
    };
    // torchvision draws nothing when the crop is the whole (padded) image.
    const i = ph === this.height && pw === this.width ? 0 : random.int(0, ph - this.height + 1);
    const j = ph === this.height && pw === this.width ? 0 : random.int(0, pw - this.width + 1);
    const src = img.data;
    const out = new (src.constructor as new (n: number) => TypedArray)(c * this.height * this.width);
    const fills = Array.isArray(this.fill) ? this.fill : [this.fill];
    const isBig = src instanceof BigInt64Array;
    const rows = Array.from({ length: this.height }, (_, y) => through(i + y, dh, t0, ph0, h));
    const cols = Array.from({ length: this.width }, (_, x) => through(j + x, dw, l0, pw0, w));
    // Output columns [x0, x1) come from the image itself, in order: one block copy per row.
    const x0 = Math.min(this.width, Math.max(0, left - j));
    const x1 = Math.max(x0, Math.min(this.width, w + left - j));
    const pixel = (sx: number, fill: number, rowBase: number) =>
      sx < 0 ? fill : ((src as Uint8Array)[rowBase + sx] as number);
    let o = 0;
    for (let ch = 0; ch < c; ch++) {
      const f = fills[fills.length === 1 ? 0 : ch] ?? 0;
      const fill = (isBig ? BigInt(f) : f) as number;
      const base = ch * h * w;
      for (let y = 0; y < this.height; y++, o += this.width) {
        const sy = rows[y] as number;
        if (sy < 0) {
          (out as Uint8Array).fill(fill, o, o + this.width);
          continue;
        }
        const rowBase = base + sy * w;
        for (let x = 0; x < x0; x++) (out as Uint8Array)[o + x] = pixel(cols[x] as number, fill, rowBase);
        const from = rowBase + j + x0 - left;
        (out as Uint8Array).set((src as Uint8Array).subarray(from, from + x1 - x0), o + x0);
        for (let x = x1; x < this.width; x++) (out as Uint8Array)[o + x] = pixel(cols[x] as number, fill, rowBase);
      }
    }
    return new NDArray(out, [c, this.height, this.width], img.dtype);
  }

  toJSON(): TransformSpec {
    return { type: 'RandomCrop', ...this.options };
  }
}

/** Flips the image with probability `prob`, as mmcv's RandomFlip (one draw per sample). */
export class RandomFlip implements Transform {
  readonly prob: number;
  readonly direction: 'horizontal' | 'vertical';

  constructor(options?: RandomFlipOptions) {
    this.prob = options?.prob ?? 0.5;
    this.direction = options?.direction ?? 'horizontal';
    if (!(this.prob >= 0 && this.prob <= 1)) throw new Error(`RandomFlip: prob must be in [0, 1], got ${this.prob}`);
    if (this.direction !== 'horizontal' && this.direction !== 'vertical') {
      throw new Error(`RandomFlip: direction must be 'horizontal' or 'vertical', got '${String(this.direction)}'`);
    }
  }

  apply(img: NDArray, random: RandomSource): NDArray {
    const [c, h, w] = checkImage(img, 'RandomFlip');
    if (!(random.next() < this.prob)) return img;
    const src = img.data as Uint8Array;
    const out = new (src.constructor as new (n: number) => Uint8Array)(src.length);
    for (let ch = 0; ch < c; ch++) {
      const base = ch * h * w;
      for (let y = 0; y < h; y++) {
        const sy = this.direction === 'vertical' ? h - 1 - y : y;
        const o = base + y * w;
        const s = base + sy * w;
        if (this.direction === 'vertical') out.set(src.subarray(s, s + w), o);
        else for (let x = 0; x < w; x++) out[o + x] = src[s + w - 1 - x] as number;
      }
    }
    return new NDArray(out, img.shape, img.dtype);
  }

  toJSON(): TransformSpec {
    return { type: 'RandomFlip', prob: this.prob, direction: this.direction };
  }
}

/** Applies transforms in order, all drawing from the same sample generator. */
export class Compose implements Transform {
  readonly transforms: Transform[];

  constructor(transforms: (Transform | TransformSpec)[]) {
    if (!Array.isArray(transforms)) throw new TypeError('Compose: expected an array of transforms');
    this.transforms = transforms.map(buildTransform);
  }

  apply(img: NDArray, random: RandomSource): NDArray {
    let x = img;
    for (const t of this.transforms) x = t.apply(x, random);
    return x;
  }

  toJSON(): TransformSpec {
    return { type: 'Compose', transforms: this.transforms.map((t) => t.toJSON()) };
  }
}

/** A transform from its description (a Transform passes through). */
export function buildTransform(spec: Transform | TransformSpec): Transform {
  if (spec && typeof (spec as Transform).apply === 'function') return spec as Transform;
  const s = spec as TransformSpec;
  switch (s?.type) {
    case 'RandomCrop': {
      const { type: _, ...o } = s;
      return new RandomCrop(o);
    }
    case 'RandomFlip': {
      const { type: _, ...o } = s;
      return new RandomFlip(o);
    }
    case 'Resize': {
      const { type: _, size, ...o } = s;
      return new Resize(size, o);
    }
    case 'ResizeEdge': {
      const { type: _, scale, ...o } = s;
      return new ResizeEdge(scale, o);
    }
    case 'CenterCrop':
      return new CenterCrop(s.size);
    case 'RandomResizedCrop': {
      const { type: _, size, ...o } = s;
      return new RandomResizedCrop(size, o);
    }
    case 'Compose':
      return new Compose(s.transforms);
    default:
      throw new TypeError(
        `unknown transform ${JSON.stringify(spec)}: expected a Transform or {type: 'RandomCrop' | 'RandomFlip' | 'Resize' | 'ResizeEdge' | 'CenterCrop' | 'RandomResizedCrop' | 'Compose', ...}`,
      );
  }
}
