// Image-classification datasets: IDX files (MNIST, Fashion-MNIST), CIFAR-10 binary batches, a
// folder of PNGs (one folder per class) and the built-in synthetic set.
//
// A sample is, by `format` (default 'dict'):
//   'dict'   {img, label}
//   'tuple'  [img, label]                      (collates to [imgs, labels])
//   'packed' {inputs: img, dataSamples: label} (collates to what ImgDataPreprocessor takes)
// where img is a uint8 tensor (C, H, W) (MNIST-like: (1, 28, 28); CIFAR-10: (3, 32, 32)) and
// label a number, the class index. defaultCollate stacks them into (B, C, H, W) uint8 and (B,)
// int64. Per-sample transforms (RandomCrop, RandomFlip, ...) run on the uint8 pixels, before the
// tensor is made, with randomness from (seed, epoch, index); normalisation belongs to the
// model's data preprocessor. Every dataset here can be built inside a data worker (workerSpec).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tensorize } from './collate.js';
import { type BatchContext, Dataset, type SampleContext, type WorkerSpec } from './dataset.js';
import { readCifar10, readIdx } from './idx.js';
import type { NDArray } from './ndarray.js';
import { type ImageSource, RawImageDataset, type SampleFormat } from './raw_image_dataset.js';
import { SYNTHETIC_CLASSES, type SyntheticOptions, syntheticConfig } from './synthetic.js';
import { buildTransform, Compose, type Transform, type TransformSpec } from './transforms.js';

export interface ImageDatasetOptions {
  /** Per-sample transforms, in order: Transform objects or their descriptions, or one Compose. */
  transforms?: (Transform | TransformSpec)[] | Compose | null;
  format?: SampleFormat;
}

const RAW_MODULE = new URL('./raw_image_dataset.js', import.meta.url).href;

/** A dataset of (C, H, W) uint8 images with class labels; see the module comment for the sample format. */
export class ImageDataset extends Dataset {
  readonly raw: RawImageDataset;
  /** Class names, by class index. */
  readonly classes: string[];

  constructor(source: ImageSource, options?: ImageDatasetOptions & { classes?: string[] }) {
    super();
    const t = options?.transforms ?? [];
    const transforms = (t instanceof Compose ? t.transforms : t).map(buildTransform);
    const specs = transforms.map((x) => {
      if (typeof x.toJSON !== 'function')
        throw new TypeError('ImageDataset: every transform needs toJSON() (its description for data workers)');
      return x.toJSON();
    });
    // Built from the descriptions, so the main thread and the workers run the same code.
    this.raw = new RawImageDataset(source, { transforms: specs, format: options?.format ?? 'dict' });
    this.classes = options?.classes ?? [];
  }

  get length(): number {
    return this.raw.length;
  }

  /** What the evaluation loops give the metrics as `datasetMeta` (MMEngine's BaseDataset.metainfo): the class names. */
  get metainfo(): { classes: string[] } {
    return { classes: [...this.classes] };
  }

  get format(): SampleFormat {
    return this.raw.format;
  }

  /** Sample `index` with uint8 tensors; `ctx` gives the randomness of its transforms (default: seed 0, epoch 0). */
  get(index: number, ctx?: SampleContext): unknown {
    return tensorize(this.raw.getRaw(this.checkIndex(index), ctx), true);
  }

  /** Sample `index` with NDArrays instead of tensors (what data workers make). */
  getRaw(index: number, ctx?: SampleContext): unknown {
    return this.raw.getRaw(this.checkIndex(index), ctx);
  }

  /** The default-collated tensor-free batch of samples `indices`, or undefined; see RawImageDataset.getRawBatch. */
  getRawBatch(indices: readonly number[], ctx: BatchContext): unknown {
    // A subclass that makes its samples otherwise is not bypassed.
    if (this.getRaw !== ImageDataset.prototype.getRaw) return undefined;
    return this.raw.getRawBatch(indices, ctx);
  }

  /** The label of sample `index`, without decoding or transforming its image where the source allows. */
  label(index: number): number {
    const s = this.raw.source;
    const i = this.checkIndex(index);
    if (s.type === 'array') return Number(s.labels[i]);
    if (s.type === 'png') return s.labels[i] as number;
    return i % s.config.numClasses;
  }

  /** The categories of sample `index`: its label (what ClassBalancedDataset counts). */
  getCatIds(index: number): number[] {
    return [this.label(index)];
  }

  workerSpec(): WorkerSpec {
    return { module: RAW_MODULE, exportName: 'RawImageDataset', args: this.raw.specArgs() };
  }
}

function findFile(dirs: string[], names: string[]): string | undefined {
  for (const d of dirs) for (const n of names) if (existsSync(join(d, n))) return join(d, n);
  return undefined;
}

export interface MnistOptions extends ImageDatasetOptions {
  /** The folder with the four IDX files (gzip or not). */
  root?: string;
  split?: 'train' | 'test';
}

/** Debian's `dataset-fashion-mnist` package installs Fashion-MNIST here. */
export const FASHION_MNIST_ROOT = '/usr/share/datasets/fashion-mnist';

/**
 * MNIST from its IDX files: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
 * `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each possibly `.gz`, in `root` (or in
 * `root/<Name>/raw`, torchvision's layout). Images (1, 28, 28) uint8. Decoded once, into memory
 * that data workers share.
 */
export class MNIST extends ImageDataset {
  static readonly CLASSES = [
    '0 - zero',
    '1 - one',
    '2 - two',
    '3 - three',
    '4 - four',
    '5 - five',
    '6 - six',
    '7 - seven',
    '8 - eight',
    '9 - nine',
  ];
  readonly root: string;
  readonly split: 'train' | 'test';

  constructor(options?: MnistOptions) {
    const ctor = new.target as unknown as { name: string; CLASSES: string[]; defaultRoot?: string };
    const name = ctor.name;
    const root = options?.root ?? ctor.defaultRoot;
    if (root === undefined) throw new Error(`${name}: pass root, the folder with the IDX files`);
    const split = options?.split ?? 'train';
    if (split !== 'train' && split !== 'test')
      throw new Error(`${name}: split must be 'train' or 'test', got '${String(split)}'`);
    const prefix = split === 'train' ? 'train' : 't10k';
    const dirs = [root, join(root, name, 'raw')];
    const find = (kind: string): string => {
      const base = `${prefix}-${kind}`;
      const file = findFile(dirs, [base, `${base}.gz`]);
      if (!file) {
        const hint =
          name === 'FashionMNIST'
            ? " (Debian's dataset-fashion-mnist package installs them in /usr/share/datasets/fashion-mnist)"
            : '';
        throw new Error(`${name}: cannot find ${base}(.gz) in ${root}${hint}`);
      }
      return file;
    };
    const images = readIdx(find('images-idx3-ubyte'), { shared: true });
    const labels = readIdx(find('labels-idx1-ubyte'), { shared: true });
    if (images.shape.length !== 3 || labels.shape.length !== 1 || images.shape[0] !== labels.shape[0]) {
      throw new Error(
        `${name}: images [${images.shape.join(', ')}] and labels [${labels.shape.join(', ')}] do not match`,
      );
    }
    if (images.dtype !== 'uint8') throw new Error(`${name}: images must be uint8, got ${images.dtype}`);
    const [, h, w] = images.shape as [number, number, number];
    super(
      { type: 'array', images: images.data as Uint8Array, labels: labels.data, shape: [1, h, w] },
      { ...options, classes: ctor.CLASSES },
    );
    this.root = root;
    this.split = split;
  }
}

/** Fashion-MNIST (same files and layout as MNIST); `root` defaults to where Debian's package puts it. */
export class FashionMNIST extends MNIST {
  static override readonly CLASSES = [
    'T-shirt/top',
    'Trouser',
    'Pullover',
    'Dress',
    'Coat',
    'Sandal',
    'Shirt',
    'Sneaker',
    'Bag',
    'Ankle boot',
  ];
  static readonly defaultRoot = FASHION_MNIST_ROOT;
}

export interface Cifar10Options extends ImageDatasetOptions {
  /** The folder with `data_batch_1.bin` ... `data_batch_5.bin` and `test_batch.bin` (or its `cifar-10-batches-bin` subfolder). */
  root: string;
  split?: 'train' | 'test';
}

/** CIFAR-10 from its binary batches: images (3, 32, 32) uint8, decoded once into shared memory. */
export class CIFAR10 extends ImageDataset {
  static readonly CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
  readonly root: string;
  readonly split: 'train' | 'test';

  constructor(options: Cifar10Options) {
    const root = options?.root;
    if (typeof root !== 'string')
      throw new Error('CIFAR10: pass root, the folder with data_batch_1.bin ... test_batch.bin');
    const split = options.split ?? 'train';
    if (split !== 'train' && split !== 'test')
      throw new Error(`CIFAR10: split must be 'train' or 'test', got '${String(split)}'`);
    const names = split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
    const dirs = [root, join(root, 'cifar-10-batches-bin')];
    const files = names.map((n) => {
      const f = findFile(dirs, [n]);
      if (!f) throw new Error(`CIFAR10: cannot find ${n} in ${root}`);
      return f;
    });
    const { images, labels } = readCifar10(files, { shared: true });
    super(
      { type: 'array', images: images.data, labels: labels.data, shape: [3, 32, 32] },
      { ...options, classes: CIFAR10.CLASSES },
    );
    this.root = root;
    this.split = split;
  }
}

export interface ImageFolderOptions extends ImageDatasetOptions {
  /** A folder with one subfolder per class, holding PNG and JPEG files (subfolders searched too). */
  root: string;
  /** Channels of every image: 3 (default, as torchvision's RGB loader), 1 (gray), 4 (RGBA) or null (each file's own). */
  channels?: 1 | 3 | 4 | null;
  /**
   * File name endings that count as images, compared case-insensitively (default ['.png', '.jpg',
   * '.jpeg']). Each file is decoded as what its first bytes say it is (PNG or JPEG), whatever its name.
   */
  extensions?: string[];
}

/**
 * torchvision's ImageFolder for PNG and JPEG files: classes are the subfolder names, sorted;
 * samples the image files in sorted order; decoding happens per sample (in the data workers when
 * there are some). JPEGs decode to Pillow's pixels (libjpeg-turbo's defaults: accurate integer
 * IDCT, fancy upsampling), baseline or progressive; other kinds (arithmetic-coded, lossless,
 * 12-bit, CMYK) fail with the file's name and the reason, when the sample is read.
 */
export class ImageFolder extends ImageDataset {
  readonly root: string;
  readonly classToIdx: Record<string, number>;
  /** [path, class index] of every sample. */
  readonly samples: [string, number][];

  constructor(options: ImageFolderOptions) {
    const root = options?.root;
    if (typeof root !== 'string' || !existsSync(root))
      throw new Error(`ImageFolder: root ${String(root)} does not exist`);
    const extensions = (options.extensions ?? ['.png', '.jpg', '.jpeg']).map((e) => e.toLowerCase());
    const classes = readdirSync(root)
      .filter((d) => statSync(join(root, d)).isDirectory())
      .sort();
    if (classes.length === 0) throw new Error(`ImageFolder: found no class folder in ${root}`);
    const samples: [string, number][] = [];
    const walk = (dir: string, label: number): void => {
      for (const entry of readdirSync(dir).sort()) {
        const p = join(dir, entry);
        if (statSync(p).isDirectory()) walk(p, label);
        else if (extensions.some((e) => entry.toLowerCase().endsWith(e))) samples.push([p, label]);
      }
    };
    classes.forEach((c, i) => {
      walk(join(root, c), i);
    });
    if (samples.length === 0)
      throw new Error(`ImageFolder: found no file ending in ${extensions.join(', ')} in ${root}`);
    const channels = options.channels === undefined ? 3 : options.channels;
    super(
      { type: 'png', files: samples.map((s) => s[0]), labels: samples.map((s) => s[1]), channels },
      { ...options, classes },
    );
    this.root = root;
    this.classToIdx = Object.fromEntries(classes.map((c, i) => [c, i]));
    this.samples = samples;
  }
}

export interface SyntheticImageDatasetOptions extends SyntheticOptions, ImageDatasetOptions {}

/**
 * The built-in synthetic image-classification set (see synthetic.ts): 10 procedural patterns,
 * (3, 32, 32) uint8 by default, sample i of class i % numClasses, generated on demand from
 * (seed, split, i): the same everywhere, nothing to download.
 */
export class SyntheticImageDataset extends ImageDataset {
  readonly seed: number;
  readonly split: 'train' | 'test';

  constructor(options?: SyntheticImageDatasetOptions) {
    const config = syntheticConfig(options);
    super({ type: 'synthetic', config }, { ...options, classes: SYNTHETIC_CLASSES.slice(0, config.numClasses) });
    this.seed = config.seed;
    this.split = config.split;
  }

  /** The raw (untransformed) pixels of sample `index`, (C, H, W) uint8. */
  image(index: number): NDArray<Uint8Array> {
    return this.raw.image(this.checkIndex(index)).img;
  }
}
