// The resizing transforms of an ImageNet-style pipeline, on (C, H, W) uint8 images, with
// torchvision's geometry and Pillow's pixels (resize.ts): `Resize` and `CenterCrop` for testing,
// `RandomResizedCrop` for training, and mmpretrain's `ResizeEdge`. Like the transforms of
// transforms.ts, each draws its randomness from the sample's generator and has a plain
// description that rebuilds it in a data worker (buildTransform registers them). None is fused
// into the batch fast path (fused.ts): a pipeline with one of them goes sample by sample.
// Torch-free (data workers import it).
import { NDArray } from './ndarray.js';
import { type Interpolation, interpolationOption, planar, region, resample } from './resize.js';
import type { RandomSource, Transform, TransformSpec } from './transforms.js';

/** A size: one number (a square, or for Resize the short edge), or [height, width]. */
export type Size = number | [number] | [number, number];

export interface ResizeOptions {
  /** Pillow's filter: 'nearest', 'box', 'bilinear' (default), 'hamming', 'bicubic' or 'lanczos' (torchvision's and mmcv's names). */
  interpolation?: Interpolation;
  /** With a number size: the longest the long edge may be (torchvision's max_size). */
  maxSize?: number | null;
}

export interface ResizeEdgeOptions {
  /** Which edge becomes `scale` long (default 'short'). */
  edge?: 'short' | 'long' | 'width' | 'height';
  interpolation?: Interpolation;
}

export interface RandomResizedCropOptions {
  /** The range of the crop's area, as a fraction of the image's (default [0.08, 1]). */
  scale?: [number, number];
  /** The range of the crop's aspect ratio, width / height (default [3/4, 4/3]). */
  ratio?: [number, number];
  interpolation?: Interpolation;
}

export type ResizeSpec =
  | ({ type: 'Resize'; size: Size } & ResizeOptions)
  | ({ type: 'ResizeEdge'; scale: number } & ResizeEdgeOptions)
  | { type: 'CenterCrop'; size: Size }
  | ({ type: 'RandomResizedCrop'; size: Size } & RandomResizedCropOptions);

const isSize = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0;

/** [height, width] of a size given as a number (a square), [n] or [height, width]. */
function pairOf(size: unknown, name: string): [number, number] {
  if (isSize(size)) return [size, size];
  if (Array.isArray(size) && size.length === 1 && isSize(size[0])) return [size[0], size[0]];
  if (Array.isArray(size) && size.length === 2 && size.every(isSize)) return [size[0], size[1]];
  throw new Error(`${name}: size must be a positive integer or [height, width], got ${JSON.stringify(size)}`);
}

/** The (C, H, W) shape of a uint8 image that a transform takes. */
function checkImage(img: NDArray, name: string): [number, number, number] {
  if (img.shape.length !== 3) {
    throw new Error(`${name}: expected an image of shape (C, H, W), got [${img.shape.join(', ')}]`);
  }
  if (img.dtype !== 'uint8') {
    throw new Error(`${name}: expected a uint8 image, got ${img.dtype}`);
  }
  const [c, h, w] = img.shape as [number, number, number];
  if (c === 0 || h === 0 || w === 0) throw new Error(`${name}: the image is empty (shape [${img.shape.join(', ')}])`);
  return [c, h, w];
}

/**
 * The (c, h, w) image's region [top, top + height) x [left, left + width), resized to
 * [outH, outW]: Pillow's crop then resize. Returns `img` itself when the region is the whole
 * image at its size.
 */
function resizeRegion(
  img: NDArray,
  [c, h, w]: [number, number, number],
  [top, left, height, width]: [number, number, number, number],
  [outH, outW]: [number, number],
  interpolation: Interpolation,
): NDArray {
  if (top === 0 && left === 0 && height === h && width === w && outH === h && outW === w) return img;
  const out = new Uint8Array(c * outH * outW);
  const from = region(planar(c, h, w), top, left, height, width);
  resample(img.data as Uint8Array, from, out, planar(c, outH, outW), interpolation);
  return new NDArray(out, [c, outH, outW], img.dtype);
}

/** Python's round() of a float: halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Resizes to `size`, as torchvision's Resize on a PIL image: [height, width], or one number that
 * the short edge becomes, the long edge keeping the aspect ratio (`int(size * long / short)`),
 * then, with `maxSize`, shrunk so that the long edge is at most maxSize.
 */
export class Resize implements Transform {
  readonly size: [number, number] | number;
  readonly interpolation: Interpolation;
  readonly maxSize: number | null;

  constructor(size: Size, options?: ResizeOptions) {
    if (isSize(size) || (Array.isArray(size) && size.length === 1 && isSize(size[0]))) {
      this.size = typeof size === 'number' ? size : (size[0] as number);
    } else {
      this.size = pairOf(size, 'Resize');
    }
    this.interpolation = interpolationOption(options?.interpolation, 'Resize');
    this.maxSize = options?.maxSize ?? null;
    if (this.maxSize !== null) {
      if (typeof this.size !== 'number') {
        throw new Error(
          'Resize: maxSize is only for a size that the short edge becomes (a number), not [height, width]',
        );
      }
      if (!isSize(this.maxSize) || this.maxSize <= this.size) {
        throw new Error(
          `Resize: maxSize must be an integer greater than the size of the short edge ${this.size}, got ${JSON.stringify(options?.maxSize)}`,
        );
      }
    }
  }

  /** [height, width] of the output for an image of h x w (torchvision's _compute_resized_output_size). */
  outputSize(h: number, w: number): [number, number] {
    if (typeof this.size !== 'number') return [...this.size];
    const [short, long] = w <= h ? [w, h] : [h, w];
    let newShort = this.size;
    let newLong = Math.trunc((this.size * long) / short);
    if (this.maxSize !== null && newLong > this.maxSize) {
      newShort = Math.trunc((this.maxSize * newShort) / newLong);
      newLong = this.maxSize;
    }
    return w <= h ? [newLong, newShort] : [newShort, newLong];
  }

  apply(img: NDArray, _random: RandomSource): NDArray {
    const shape = checkImage(img, 'Resize');
    const [, h, w] = shape;
    const [outH, outW] = this.outputSize(h, w);
    if (outH === 0 || outW === 0) throw new Error(`Resize: a ${h}x${w} image would be resized to ${outH}x${outW}`);
    return resizeRegion(img, shape, [0, 0, h, w], [outH, outW], this.interpolation);
  }

  toJSON(): TransformSpec {
    const size = typeof this.size === 'number' ? this.size : ([...this.size] as [number, number]);
    return { type: 'Resize', size, interpolation: this.interpolation, maxSize: this.maxSize };
  }
}

/**
 * mmpretrain's ResizeEdge: resizes so that one edge ('short', 'long', 'width' or 'height') is
 * `scale` long, the other `int(scale * other / edge)`. With Pillow's pixels (mmpretrain's
 * backend 'pillow'; its default backend, cv2, resamples otherwise).
 */
export class ResizeEdge implements Transform {
  readonly scale: number;
  readonly edge: 'short' | 'long' | 'width' | 'height';
  readonly interpolation: Interpolation;

  constructor(scale: number, options?: ResizeEdgeOptions) {
    if (!isSize(scale)) throw new Error(`ResizeEdge: scale must be a positive integer, got ${JSON.stringify(scale)}`);
    this.scale = scale;
    this.edge = options?.edge ?? 'short';
    if (!['short', 'long', 'width', 'height'].includes(this.edge)) {
      throw new Error(
        `ResizeEdge: edge must be 'short', 'long', 'width' or 'height', got ${JSON.stringify(options?.edge)}`,
      );
    }
    this.interpolation = interpolationOption(options?.interpolation, 'ResizeEdge');
  }

  /** [height, width] of the output for an image of h x w. */
  outputSize(h: number, w: number): [number, number] {
    const e = this.edge;
    const byWidth = (e === 'short' && w < h) || (e === 'long' && w > h) || e === 'width';
    return byWidth ? [Math.trunc((this.scale * h) / w), this.scale] : [this.scale, Math.trunc((this.scale * w) / h)];
  }

  apply(img: NDArray, _random: RandomSource): NDArray {
    const shape = checkImage(img, 'ResizeEdge');
    const [, h, w] = shape;
    const [outH, outW] = this.outputSize(h, w);
    if (outH === 0 || outW === 0) {
      throw new Error(`ResizeEdge: a ${h}x${w} image would be resized to ${outH}x${outW}`);
    }
    return resizeRegion(img, shape, [0, 0, h, w], [outH, outW], this.interpolation);
  }

  toJSON(): TransformSpec {
    return { type: 'ResizeEdge', scale: this.scale, edge: this.edge, interpolation: this.interpolation };
  }
}

/**
 * Crops the center, as torchvision's CenterCrop: offsets `round((H - h) / 2)` (halves to even,
 * as Python rounds); a crop larger than the image pads it first with zeros, (d // 2) before and
 * the rest after.
 */
export class CenterCrop implements Transform {
  readonly height: number;
  readonly width: number;
  private readonly size: Size;

  constructor(size: Size) {
    [this.height, this.width] = pairOf(size, 'CenterCrop');
    this.size = Array.isArray(size) ? ([...size] as Size) : size;
  }

  /** The top and left of the crop in the image for an image of h x w (negative: in the padding). */
  offsets(h: number, w: number): [number, number] {
    const at = (n: number, crop: number) => (crop > n ? -Math.floor((crop - n) / 2) : roundHalfEven((n - crop) / 2));
    return [at(h, this.height), at(w, this.width)];
  }

  apply(img: NDArray, _random: RandomSource): NDArray {
    const [c, h, w] = checkImage(img, 'CenterCrop');
    if (h === this.height && w === this.width) return img;
    const [top, left] = this.offsets(h, w);
    const oh = this.height;
    const ow = this.width;
    const src = img.data as Uint8Array;
    const out = new Uint8Array(c * oh * ow);
    // Output columns [x0, x1) and rows [y0, y1) show the image; the rest stays 0.
    const x0 = Math.max(0, -left);
    const x1 = Math.min(ow, w - left);
    const y0 = Math.max(0, -top);
    const y1 = Math.min(oh, h - top);
    for (let ch = 0; ch < c; ch++) {
      for (let y = y0; y < y1; y++) {
        const s = (ch * h + y + top) * w + left;
        out.set(src.subarray(s + x0, s + x1), (ch * oh + y) * ow + x0);
      }
    }
    return new NDArray(out, [c, oh, ow], img.dtype);
  }

  toJSON(): TransformSpec {
    return { type: 'CenterCrop', size: Array.isArray(this.size) ? ([...this.size] as Size) : this.size };
  }
}

/**
 * Crops a random region and resizes it to `size`, as torchvision's RandomResizedCrop: up to 10
 * tries of an area (a uniform fraction in `scale` of the image's) and an aspect ratio (log-uniform
 * in `ratio`), the crop's width `round(sqrt(area * ratio))` and height `round(sqrt(area / ratio))`;
 * the first that fits is placed uniformly; if none does, the center crop of the ratio clamped to
 * `ratio`. Then Pillow's crop and resize.
 */
export class RandomResizedCrop implements Transform {
  readonly height: number;
  readonly width: number;
  readonly scale: [number, number];
  readonly ratio: [number, number];
  readonly interpolation: Interpolation;
  private readonly size: Size;
  private readonly logRatio: [number, number];

  constructor(size: Size, options?: RandomResizedCropOptions) {
    [this.height, this.width] = pairOf(size, 'RandomResizedCrop');
    this.size = Array.isArray(size) ? ([...size] as Size) : size;
    const pair = (v: unknown, what: string, fallback: [number, number], ok: (a: number, b: number) => boolean) => {
      if (v === undefined) return fallback;
      if (!(Array.isArray(v) && v.length === 2 && v.every((x) => Number.isFinite(x)) && ok(v[0], v[1]))) {
        throw new Error(`RandomResizedCrop: ${what}, got ${JSON.stringify(v)}`);
      }
      return [v[0], v[1]] as [number, number];
    };
    this.scale = pair(
      options?.scale,
      'scale must be [min, max] with 0 <= min <= max',
      [0.08, 1.0],
      (a, b) => a >= 0 && a <= b,
    );
    this.ratio = pair(options?.ratio, 'ratio must be [min, max] with 0 < min <= max', [3 / 4, 4 / 3], (a, b) => {
      return a > 0 && a <= b;
    });
    this.interpolation = interpolationOption(options?.interpolation, 'RandomResizedCrop');
    this.logRatio = [Math.log(this.ratio[0]), Math.log(this.ratio[1])];
  }

  /**
   * The crop [top, left, height, width] drawn from `random` for an image of h x w (torchvision's
   * get_params): per try, next() for the area and next() for the ratio, then int() for the top and
   * int() for the left of the one that fits.
   */
  getParams(h: number, w: number, random: RandomSource): [number, number, number, number] {
    const area = h * w;
    const [s0, s1] = this.scale;
    const [l0, l1] = this.logRatio;
    for (let attempt = 0; attempt < 10; attempt++) {
      const targetArea = area * (s0 + (s1 - s0) * random.next());
      const aspectRatio = Math.exp(l0 + (l1 - l0) * random.next());
      const cw = roundHalfEven(Math.sqrt(targetArea * aspectRatio));
      const ch = roundHalfEven(Math.sqrt(targetArea / aspectRatio));
      if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
        const top = random.int(0, h - ch + 1);
        const left = random.int(0, w - cw + 1);
        return [top, left, ch, cw];
      }
    }
    // The center crop, of the image's ratio clamped to `ratio`.
    const inRatio = w / h;
    let cw = w;
    let ch = h;
    if (inRatio < this.ratio[0]) ch = roundHalfEven(cw / this.ratio[0]);
    else if (inRatio > this.ratio[1]) cw = roundHalfEven(ch * this.ratio[1]);
    return [Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), ch, cw];
  }

  apply(img: NDArray, random: RandomSource): NDArray {
    const shape = checkImage(img, 'RandomResizedCrop');
    const crop = this.getParams(shape[1], shape[2], random);
    if (crop[2] === 0 || crop[3] === 0) {
      throw new Error(
        `RandomResizedCrop: the ${shape[1]}x${shape[2]} image is too thin for a crop of ratio in [${this.ratio.join(', ')}]`,
      );
    }
    return resizeRegion(img, shape, crop, [this.height, this.width], this.interpolation);
  }

  toJSON(): TransformSpec {
    return {
      type: 'RandomResizedCrop',
      size: Array.isArray(this.size) ? ([...this.size] as Size) : this.size,
      scale: [...this.scale],
      ratio: [...this.ratio],
      interpolation: this.interpolation,
    };
  }
}
