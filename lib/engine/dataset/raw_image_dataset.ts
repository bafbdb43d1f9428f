// The tensor-free core of the image-classification datasets: where the pixels come from (a
// source), the per-sample transforms and the sample format. The main thread's ImageDataset wraps
// one and makes tensors of its samples; a data worker builds one from the same plain arguments.
// Torch-free (data workers import it).
import { readFileSync } from 'node:fs';
import { type BatchContext, type SampleContext, sampleContext } from './dataset.js';
import { FusedTransforms } from './fused.js';
import { decodeJpeg, isJpeg } from './jpeg.js';
import { NDArray, type TypedArray } from './ndarray.js';
import { type DecodedImage, decodePng, toCHW } from './png.js';
import { Random, SEED_START, seedStep } from './random.js';
import { type SyntheticConfig, syntheticSample } from './synthetic.js';
import { buildTransform, type Transform, type TransformSpec } from './transforms.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

/** Decodes an image file's bytes by what they start with (a PNG signature or a JPEG SOI marker), not by the name. */
function decodeImage(bytes: Uint8Array, file: string): DecodedImage {
  if (isJpeg(bytes)) return decodeJpeg(bytes, file);
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return decodePng(bytes, file);
  throw new Error(`${file}: not a PNG or JPEG file (by its first bytes)`);
}

function allInRange(indices: readonly number[], n: number): boolean {
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    if (!Number.isInteger(i) || i < 0 || i >= n) return false;
  }
  return true;
}

function labelsOf(labels: TypedArray, indices: readonly number[]): number[] {
  const out = new Array<number>(indices.length);
  for (let k = 0; k < indices.length; k++) out[k] = Number(labels[indices[k] as number]);
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The labels of a batch as the default collate makes numbers: int64 when all are safe integers,
 * else float64. Labels that fit in 32 bits are written as two 32-bit words each, not through a
 * BigInt per label (BigInt64Array.from with a mapping function was a slow path of V8's).
 */
function labelArray(labels: readonly number[], allocate: BatchContext['allocate']): NDArray {
  const n = labels.length;
  let integers = true;
  let small = true;
  for (let k = 0; k < n && integers; k++) {
    const v = labels[k] as number;
    integers = Number.isSafeInteger(v);
    small &&= (v | 0) === v;
  }
  if (!integers) {
    const out = allocate ? allocate(Float64Array, n) : new Float64Array(n);
    for (let k = 0; k < n; k++) out[k] = labels[k] as number;
    return new NDArray(out);
  }
  const out = allocate ? allocate(BigInt64Array, n) : new BigInt64Array(n);
  if (small) {
    const words = new Int32Array(out.buffer, out.byteOffset, 2 * n);
    const low = LITTLE_ENDIAN ? 0 : 1;
    for (let k = 0; k < n; k++) {
      const v = labels[k] as number;
      words[2 * k + low] = v;
      words[2 * k + 1 - low] = v >> 31; // the sign, extended
    }
  } else {
    for (let k = 0; k < n; k++) out[k] = BigInt(labels[k] as number);
  }
  return new NDArray(out);
}

/**
 * The per-sample loop of getRawBatch over an array source, a function of its own: it is the
 * hot one, and small, so that V8 optimises it (and what it inlines) early and cheaply in a
 * fresh data worker, rather than all of getRawBatch.
 */
function transformArrayBatch(
  fused: FusedTransforms,
  random: Random,
  prefix: number,
  indices: readonly number[],
  keys: readonly number[],
  pixels: DataView,
  c: number,
  h: number,
  w: number,
  out: Uint8Array,
  size: number,
): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const plane = c * h * w;
  for (let k = 0; k < indices.length; k++) {
    const plan = fused.draw(h, w, random.reseed(seedStep(prefix, keys[k] as number)));
    fused.write(plan, pixels, (indices[k] as number) * plane, c, h, w, view, k * size);
  }
}

/**
 * How a sample looks:
 *   'dict'   {img, label}
 *   'tuple'  [img, label] (collates to [imgs, labels], for models whose forward takes (imgs, labels, mode))
 *   'packed' {inputs: img, dataSamples: label} (collates to what ImgDataPreprocessor takes)
 * img is (C, H, W) uint8; label a class index.
 */
export type SampleFormat = 'dict' | 'tuple' | 'packed';

export type ImageSource =
  /** Images stored one after another (N, C, H, W), uint8, and labels (N,); may be SharedArrayBuffer-backed. */
  | { type: 'array'; images: Uint8Array; labels: TypedArray; shape: [number, number, number] }
  /**
   * One image file per sample, PNG or JPEG (told apart by their first bytes). `channels` converts
   * (1, 3 or 4; as PIL's convert), null keeps each file's.
   */
  | { type: 'png'; files: string[]; labels: number[]; channels: 1 | 3 | 4 | null }
  | { type: 'synthetic'; config: SyntheticConfig };

export interface RawImageDatasetOptions {
  transforms?: TransformSpec[];
  format?: SampleFormat;
}

function sourceLength(source: ImageSource): number {
  switch (source.type) {
    case 'array':
      return source.labels.length;
    case 'png':
      return source.files.length;
    case 'synthetic':
      return source.config.length;
    default:
      throw new TypeError(`unknown image source ${JSON.stringify((source as { type?: unknown }).type)}`);
  }
}

export class RawImageDataset {
  readonly source: ImageSource;
  readonly format: SampleFormat;
  readonly transforms: Transform[];
  readonly length: number;
  /** The transforms fused for getRawBatch (made on first use; null: they cannot be). */
  private fused: FusedTransforms | null | undefined;
  private readonly random = new Random(0);
  /** A DataView of an array source's pixels, for getRawBatch. */
  private pixels: DataView | undefined;

  constructor(source: ImageSource, options?: RawImageDatasetOptions) {
    this.source = source;
    this.format = options?.format ?? 'dict';
    if (!['dict', 'tuple', 'packed'].includes(this.format)) {
      throw new Error(`format must be 'dict', 'tuple' or 'packed', got '${String(this.format)}'`);
    }
    this.transforms = (options?.transforms ?? []).map(buildTransform);
    this.length = sourceLength(source);
    if (source.type === 'array') {
      const [c, h, w] = source.shape;
      if (source.images.length !== this.length * c * h * w) {
        throw new Error(
          `image source: ${source.images.length} bytes of images for ${this.length} labels of shape [${c}, ${h}, ${w}]`,
        );
      }
    }
  }

  /** The image (a new array) and label of sample `index`, before transforms. */
  image(index: number): { img: NDArray<Uint8Array>; label: number } {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`index ${String(index)} is out of range for a dataset of ${this.length} samples`);
    }
    const s = this.source;
    switch (s.type) {
      case 'array': {
        const size = s.shape[0] * s.shape[1] * s.shape[2];
        // slice() of a Uint8Array over a SharedArrayBuffer gives a copy in a buffer of its own.
        const data = Uint8Array.prototype.slice.call(s.images, index * size, (index + 1) * size);
        return { img: new NDArray(data, s.shape), label: Number(s.labels[index]) };
      }
      case 'png': {
        const file = s.files[index] as string;
        const { data, shape } = toCHW(decodeImage(readFileSync(file), file), s.channels);
        return { img: new NDArray(data, shape), label: s.labels[index] as number };
      }
      default: {
        const { data, label } = syntheticSample(s.config, index);
        const n = s.config.size;
        return { img: new NDArray(data, [s.config.channels, n, n]), label };
      }
    }
  }

  /** Sample `index` with its transforms applied, randomness from `ctx` (default: seed 0, epoch 0). */
  getRaw(index: number, ctx?: SampleContext): unknown {
    const sample = this.image(index);
    let img: NDArray = sample.img;
    if (this.transforms.length > 0) {
      const random = (ctx ?? sampleContext(0, 0, index)).random();
      for (const t of this.transforms) img = t.apply(img, random);
    }
    switch (this.format) {
      case 'tuple':
        return [img, sample.label];
      case 'packed':
        return { inputs: img, dataSamples: sample.label };
      default:
        return { img, label: sample.label };
    }
  }

  /**
   * The default-collated batch of samples `indices` (what rawDefaultCollate makes of their
   * getRaw samples), made without per-sample images: the transforms, fused, write each image
   * straight into the batch buffer, read in place from an array source. undefined where that
   * does not apply (transforms that cannot be fused, images that are not uint8 (C, H, W) or not
   * all of one size, an index out of range): the loader then makes the samples one by one.
   */
  getRawBatch(indices: readonly number[], ctx: BatchContext): unknown {
    // A subclass that makes its samples otherwise is not bypassed.
    if (this.getRaw !== RawImageDataset.prototype.getRaw || this.image !== RawImageDataset.prototype.image)
      return undefined;
    const n = indices.length;
    if (n === 0 || ctx.keys.length !== n || !allInRange(indices, this.length)) return undefined;
    this.fused ??= FusedTransforms.of(this.transforms);
    const fused = this.fused;
    if (fused === null) return undefined;
    // seedFor(seed, epoch, key), the (seed, epoch) prefix hashed once per batch.
    const prefix = seedStep(seedStep(SEED_START, ctx.seed), ctx.epoch);
    const s = this.source;
    let img: NDArray;
    let labels: number[];
    if (s.type === 'array') {
      const [c, h, w] = s.shape;
      const [oh, ow] = fused.outSize(h, w);
      const length = n * c * oh * ow;
      const out = ctx.allocate ? ctx.allocate(Uint8Array, length) : new Uint8Array(length);
      this.pixels ??= new DataView(s.images.buffer, s.images.byteOffset, s.images.byteLength);
      transformArrayBatch(fused, this.random, prefix, indices, ctx.keys, this.pixels, c, h, w, out, c * oh * ow);
      img = new NDArray(out, [n, c, oh, ow], 'uint8');
      labels = labelsOf(s.labels, indices);
    } else {
      // Decoded (or generated) one by one; only the transforms and the collation are fused.
      labels = [];
      let out: Uint8Array | null = null;
      let view: DataView | null = null;
      let shape: number[] = [];
      for (let k = 0; k < n; k++) {
        const sample = this.image(indices[k] as number);
        const data = sample.img.data;
        if (!(data instanceof Uint8Array) || sample.img.shape.length !== 3) return undefined;
        const [c, h, w] = sample.img.shape as [number, number, number];
        const plan = fused.draw(h, w, this.random.reseed(seedStep(prefix, ctx.keys[k] as number)));
        if (out === null) {
          shape = [c, plan.rows.length, plan.cols.length];
          const length = n * c * plan.rows.length * plan.cols.length;
          out = ctx.allocate ? ctx.allocate(Uint8Array, length) : new Uint8Array(length);
          view = new DataView(out.buffer, out.byteOffset, out.byteLength);
        } else if (c !== shape[0] || plan.rows.length !== shape[1] || plan.cols.length !== shape[2]) {
          return undefined;
        }
        const src = new DataView(data.buffer, data.byteOffset, data.byteLength);
        fused.write(plan, src, 0, c, h, w, view as DataView, k * (out.length / n));
        labels.push(sample.label);
      }
      img = new NDArray(out as Uint8Array, [n, ...shape], 'uint8');
    }
    const label = labelArray(labels, ctx.allocate);
    switch (this.format) {
      case 'tuple':
        return [img, label];
      case 'packed':
        return { inputs: img, dataSamples: label };
      default:
        return { img, label };
    }
  }

  /** The arguments that rebuild this dataset in a data worker. */
  specArgs(): [ImageSource, RawImageDatasetOptions] {
    return [this.source, { transforms: this.transforms.map((t) => t.toJSON()), format: this.format }];
  }
}
