// Test-time augmentation of a sample, as mmcv's TestTimeAug: `transforms` is a list of lists of
// image transforms; every combination of one transform from each list (itertools.product's
// order: the last list varies fastest) runs on the sample's image, and the result is the sample
// with each field a list over those augmentations:
//
//   new TestTimeAug({transforms: [[{type: 'RandomFlip', prob: 1}, {type: 'RandomFlip', prob: 0}]]})
//     .transform({img, label: 3}, random)  ->  {img: [flipped, img], label: [3, 3]}
//
// Either collate then gives a batch whose fields are lists over the augmentations (field[i]: the
// i-th augmentation of every sample), which BaseTTAModel.testStep takes apart. The datasets'
// `transforms` map an image to an image, so TestTimeAug is not one of them: it wraps a dataset
// instead (TestTimeAugDataset, test_time_aug_dataset.ts), and a data worker rebuilds both from
// their descriptions (buildRawTestTimeAugDataset below).
// Torch-free (data workers import it).
import { isPlainObject } from '../../plain_object.js';
import { describe } from './collate_raw.js';
import { buildFromSpec, type MapDataset, type SampleContext, sampleContext, type WorkerSpec } from './dataset.js';
import { copyTypedArray, isNDArray, isTypedArray, NDArray } from './ndarray.js';
import { buildTransform, Compose, type RandomSource, type Transform, type TransformSpec } from './transforms.js';

/** One choice of a TestTimeAug list: a transform, its description, or several in order (a Compose). */
export type TestTimeAugChoice = Transform | TransformSpec | (Transform | TransformSpec)[];

export interface TestTimeAugOptions {
  /** Lists of choices; each augmentation takes one choice of every list. */
  transforms: TestTimeAugChoice[][];
}

/** TestTimeAug's description, from which a data worker rebuilds it. */
export interface TestTimeAugSpec {
  type: 'TestTimeAug';
  transforms: TransformSpec[][];
}

/** A copy of a sample's field that shares no typed array with it (MMEngine deep-copies per augmentation). */
function copyValue(v: unknown): unknown {
  if (isNDArray(v)) return new NDArray(copyTypedArray(v.data), v.shape, v.dtype);
  if (isTypedArray(v)) return copyTypedArray(v);
  if (Array.isArray(v)) return v.map(copyValue);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copyValue(x)]));
  return v;
}

/** Where a sample holds its image: itself, position 0 of an array, or its `img` (else `inputs`) field. */
function imageSlot(sample: unknown): null | number | string {
  if (isNDArray(sample)) return null;
  if (Array.isArray(sample) && isNDArray(sample[0])) return 0;
  if (isPlainObject(sample)) {
    if (isNDArray(sample.img)) return 'img';
    if (isNDArray(sample.inputs)) return 'inputs';
  }
  throw new TypeError(
    `TestTimeAug: a sample must be an image (an NDArray), [img, ...], {img, ...} or {inputs, ...} with an NDArray image, got ${describe(sample)}${isPlainObject(sample) ? ` with keys ${Object.keys(sample).join(', ')}` : ''}`,
  );
}

export class TestTimeAug {
  /** The augmentations, in order: one Compose per combination. */
  readonly subroutines: Compose[];
  private readonly lists: Transform[][];

  constructor(options: TestTimeAugOptions | TestTimeAugSpec) {
    const lists = options?.transforms;
    if (!Array.isArray(lists) || lists.length === 0) {
      throw new Error(
        `TestTimeAug: transforms must be a non-empty list of lists of transforms, got ${Array.isArray(lists) ? 'an empty list' : describe(lists)}`,
      );
    }
    this.lists = lists.map((list, i) => {
      if (!Array.isArray(list) || list.length === 0) {
        throw new Error(
          `TestTimeAug: transforms[${i}] must be a non-empty list of transforms (each augmentation takes one of it), got ${Array.isArray(list) ? 'an empty list' : describe(list)}`,
        );
      }
      return list.map((choice) => (Array.isArray(choice) ? new Compose(choice) : buildTransform(choice)));
    });
    for (const [i, list] of this.lists.entries()) {
      for (const t of list) {
        if (typeof t.toJSON !== 'function')
          throw new TypeError(
            `TestTimeAug: every transform needs toJSON() (its description for data workers), see transforms[${i}]`,
          );
      }
    }
    let combos: Transform[][] = [[]];
    for (const list of this.lists) combos = combos.flatMap((head) => list.map((t) => [...head, t]));
    this.subroutines = combos.map((c) => new Compose(c));
  }

  /** How many augmentations each sample gets (the product of the lists' lengths). */
  get length(): number {
    return this.subroutines.length;
  }

  /** The sample's image through each augmentation, in order; every image is a new array. */
  images(img: NDArray, random: RandomSource): NDArray[] {
    return this.subroutines.map((s) => {
      const out = s.apply(img, random);
      // A transform that leaves the image returns it: copies keep the augmentations apart.
      return out === img ? (copyValue(img) as NDArray) : out;
    });
  }

  /**
   * The sample with each field a list over the augmentations: the image field holds the
   * augmented images, the other fields copies of their values (an array sample: each position a
   * list; a bare image: the list of images).
   */
  transform(sample: unknown, random: RandomSource): unknown {
    const slot = imageSlot(sample);
    if (slot === null) return this.images(sample as NDArray, random);
    const fields = sample as Record<string | number, unknown>;
    const images = this.images(fields[slot] as NDArray, random);
    const n = images.length;
    const listOf = (key: string | number, v: unknown) =>
      key === slot ? images : Array.from({ length: n }, (_, i) => (i === 0 ? v : copyValue(v)));
    if (Array.isArray(sample)) return sample.map((v, i) => listOf(i, v));
    return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, listOf(k, v)]));
  }

  toJSON(): TestTimeAugSpec {
    return { type: 'TestTimeAug', transforms: this.lists.map((list) => list.map((t) => t.toJSON())) };
  }
}

/**
 * A dataset's samples through a TestTimeAug, tensor-free: what a data worker builds for
 * TestTimeAugDataset. The sample's generator is shared: the dataset's own transforms draw first.
 */
export class RawTestTimeAugDataset {
  readonly dataset: MapDataset;
  readonly tta: TestTimeAug;

  constructor(dataset: MapDataset, tta: TestTimeAug | TestTimeAugOptions | TestTimeAugSpec) {
    if (typeof dataset?.getRaw !== 'function') {
      throw new TypeError(
        `TestTimeAugDataset: the dataset must have getRaw() (samples with NDArray images, as ImageDataset's), got ${describe(dataset)}`,
      );
    }
    this.dataset = dataset;
    this.tta = tta instanceof TestTimeAug ? tta : new TestTimeAug(tta);
  }

  get length(): number {
    return this.dataset.length;
  }

  getRaw(index: number, ctx?: SampleContext): unknown {
    const c = ctx ?? sampleContext(0, 0, index);
    return this.tta.transform((this.dataset.getRaw as NonNullable<MapDataset['getRaw']>)(index, c), c.random());
  }
}

/** @internal What a data worker calls for a TestTimeAugDataset's spec: the inner dataset first. */
export async function buildRawTestTimeAugDataset(
  innerSpec: WorkerSpec,
  tta: TestTimeAugSpec,
): Promise<RawTestTimeAugDataset> {
  return new RawTestTimeAugDataset((await buildFromSpec(innerSpec)) as MapDataset, tta);
}
