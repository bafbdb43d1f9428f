// The tensor-free core of the image-classification datasets: where the pixels come from (a
// source), the per-sample transforms and the sample format. The main thread's ImageDataset wraps
// one and makes tensors of its samples; a data worker builds one from the same plain arguments.
// Torch-free (data workers import it).
import { readFileSync } from 'node:fs';
import { type SampleContext, sampleContext } from './dataset.js';
import { NDArray, type TypedArray } from './ndarray.js';
import { decodePng, toCHW } from './png.js';
import { type SyntheticConfig, syntheticSample } from './synthetic.js';
import { buildTransform, type Transform, type TransformSpec } from './transforms.js';

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
  /** One PNG file per sample. `channels` converts (1, 3 or 4), null keeps each file's. */
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
        const { data, shape } = toCHW(decodePng(readFileSync(file), file), s.channels);
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

  /** The arguments that rebuild this dataset in a data worker. */
  specArgs(): [ImageSource, RawImageDatasetOptions] {
    return [this.source, { transforms: this.transforms.map((t) => t.toJSON()), format: this.format }];
  }
}
