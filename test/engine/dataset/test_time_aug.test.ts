// TestTimeAug on hand-made images: every combination of its lists, in itertools.product's order,
// pixel by pixel; samples of each format become lists over the augmentations; its description
// rebuilds it; bad configs are errors. TestTimeAugDataset through the DataLoader: batches whose
// fields are lists over the augmentations, the same with 0 and 2 workers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Compose,
  DataLoader,
  NDArray,
  Random,
  RandomCrop,
  RandomFlip,
  SyntheticImageDataset,
  sampleContext,
  TestTimeAug,
  TestTimeAugDataset,
} from '../../../lib/engine/index.js';
import type * as torch from '../../../lib/index.js';
import { collect, disposeAll, within } from './support.js';

// A (1, 2, 3) image: rows [1, 2, 3] and [4, 5, 6].
const img = () => new NDArray(Uint8Array.from([1, 2, 3, 4, 5, 6]), [1, 2, 3]);
const rows = (a: unknown): number[][] => {
  const x = a as NDArray;
  const [c, h, w] = x.shape as [number, number, number];
  assert.equal(c, 1);
  return Array.from({ length: h }, (_, y) => Array.from(x.data.subarray(y * w, (y + 1) * w) as Uint8Array));
};

const hflip = { type: 'RandomFlip', prob: 1 } as const;
const vflip = { type: 'RandomFlip', prob: 1, direction: 'vertical' } as const;
const keep = { type: 'RandomFlip', prob: 0 } as const;

describe('TestTimeAug', () => {
  test('every combination of the lists, the last list varying fastest', () => {
    const tta = new TestTimeAug({
      transforms: [
        [hflip, keep],
        [vflip, keep],
      ],
    });
    assert.equal(tta.length, 4);
    const out = tta.transform({ img: img(), label: 3 }, new Random(0)) as { img: NDArray[]; label: number[] };
    assert.deepEqual(Object.keys(out), ['img', 'label']);
    assert.deepEqual(out.label, [3, 3, 3, 3]);
    assert.deepEqual(out.img.map(rows), [
      [
        [6, 5, 4],
        [3, 2, 1],
      ], // horizontal, then vertical
      [
        [3, 2, 1],
        [6, 5, 4],
      ], // horizontal only
      [
        [4, 5, 6],
        [1, 2, 3],
      ], // vertical only
      [
        [1, 2, 3],
        [4, 5, 6],
      ], // neither
    ]);
  });

  test('a choice that is a list runs its transforms in order; all draw from the sample generator in turn', () => {
    const crop = new RandomCrop({ size: [2, 3], padding: 1 });
    const tta = new TestTimeAug({ transforms: [[[hflip, crop], keep], [crop]] });
    assert.equal(tta.length, 2);
    const got = tta.images(img(), new Random(7)).map(rows);
    // The same draws by hand: augmentation 0 = flip, crop, crop; then augmentation 1 = (no flip), crop.
    const r = new Random(7);
    const flip = new RandomFlip({ prob: 1 });
    const a0 = crop.apply(crop.apply(flip.apply(img(), r), r), r);
    const noFlip = new RandomFlip({ prob: 0 }).apply(img(), r);
    const a1 = crop.apply(noFlip, r);
    assert.deepEqual(got, [rows(a0), rows(a1)]);
    // the crops moved: otherwise this test would not see the order of the draws
    assert.notDeepEqual(rows(a1), rows(img()));
  });

  test('tuple, packed and bare-image samples; other fields repeated per augmentation', () => {
    const tta = new TestTimeAug({ transforms: [[hflip, keep]] });
    const r = new Random(0);
    const tuple = tta.transform([img(), 7], r) as [NDArray[], number[]];
    assert.deepEqual(tuple[1], [7, 7]);
    assert.deepEqual(rows(tuple[0][0]), [
      [3, 2, 1],
      [6, 5, 4],
    ]);
    const packed = tta.transform({ inputs: img(), dataSamples: 2, name: 's0' }, r) as Record<string, unknown[]>;
    assert.deepEqual(packed.dataSamples, [2, 2]);
    assert.deepEqual(packed.name, ['s0', 's0']);
    assert.deepEqual(rows(packed.inputs?.[1]), rows(img()));
    const bare = tta.transform(img(), r) as NDArray[];
    assert.equal(bare.length, 2);
    assert.deepEqual(rows(bare[0]), [
      [3, 2, 1],
      [6, 5, 4],
    ]);
    // an NDArray field that is not the image is copied for each augmentation
    const withMask = tta.transform({ img: img(), mask: img() }, r) as { mask: NDArray[] };
    assert.deepEqual(rows(withMask.mask[0]), rows(withMask.mask[1]));
    assert.notEqual(withMask.mask[0]?.data.buffer, withMask.mask[1]?.data.buffer);
  });

  test('augmentations that leave the image give copies: no two share a buffer', () => {
    const source = img();
    const out = new TestTimeAug({ transforms: [[keep, keep]] }).images(source, new Random(0));
    assert.deepEqual(out.map(rows), [rows(source), rows(source)]);
    const buffers = new Set([source.data.buffer, ...out.map((x) => x.data.buffer)]);
    assert.equal(buffers.size, 3);
  });

  test('toJSON rebuilds the same augmentations', () => {
    const tta = new TestTimeAug({
      transforms: [[new RandomFlip({ prob: 1 }), [keep, { type: 'RandomCrop', size: 2, padding: 1 }]], [vflip]],
    });
    const spec = tta.toJSON();
    assert.deepEqual(spec, {
      type: 'TestTimeAug',
      transforms: [
        [
          { type: 'RandomFlip', prob: 1, direction: 'horizontal' },
          {
            type: 'Compose',
            transforms: [
              { type: 'RandomFlip', prob: 0, direction: 'horizontal' },
              { type: 'RandomCrop', size: 2, padding: 1 },
            ],
          },
        ],
        [{ type: 'RandomFlip', prob: 1, direction: 'vertical' }],
      ],
    });
    const again = new TestTimeAug(structuredClone(spec));
    assert.ok(again.subroutines[1] instanceof Compose);
    assert.deepEqual(again.images(img(), new Random(3)).map(rows), tta.images(img(), new Random(3)).map(rows));
  });

  test('bad configs and samples are clear errors', () => {
    assert.throws(
      () => new TestTimeAug({ transforms: [] }),
      /TestTimeAug: transforms must be a non-empty list of lists of transforms, got an empty list/,
    );
    assert.throws(
      () => new TestTimeAug({ transforms: [[hflip], []] }),
      /TestTimeAug: transforms\[1\] must be a non-empty list of transforms .*got an empty list/,
    );
    assert.throws(
      () => new TestTimeAug({ transforms: [hflip] as never }),
      /TestTimeAug: transforms\[0\] must be a non-empty list of transforms .*got a Object/,
    );
    assert.throws(() => new TestTimeAug(undefined as never), /TestTimeAug: transforms must be .*got undefined/);
    assert.throws(() => new TestTimeAug({ transforms: [[{ type: 'Nope' } as never]] }), /unknown transform/);
    const tta = new TestTimeAug({ transforms: [[hflip]] });
    assert.throws(
      () => tta.transform({ label: 1 }, new Random(0)),
      /TestTimeAug: a sample must be an image .*got a Object with keys label/,
    );
    assert.throws(
      () => new TestTimeAugDataset({ length: 1, get: () => ({}) }, { transforms: [[hflip]] }),
      /TestTimeAugDataset: the dataset must have getRaw\(\)/,
    );
  });
});

describe('TestTimeAugDataset', () => {
  const inner = () =>
    new SyntheticImageDataset({ seed: 2, split: 'test', channels: 1, size: 8, length: 10, numClasses: 5 });

  test('samples: the wrapped sample through each augmentation; metainfo passes through', () => {
    const ds = new TestTimeAugDataset(inner(), { transforms: [[hflip, keep]] });
    assert.equal(ds.length, 10);
    assert.deepEqual(ds.metainfo, inner().metainfo);
    const raw = ds.getRaw(3, sampleContext(0, 0, 3)) as { img: NDArray[]; label: number[] };
    const original = inner().image(3);
    assert.deepEqual(raw.label, [3, 3]);
    assert.deepEqual(Array.from((raw.img[1]?.data ?? []) as Uint8Array), Array.from(original.data));
    const flipped = Array.from(original.data).map((_, i) => original.data[i - (i % 8) + 7 - (i % 8)]);
    assert.deepEqual(Array.from((raw.img[0]?.data ?? []) as Uint8Array), flipped);
    const sample = ds.get(3) as { img: torch.Tensor[]; label: number[] };
    assert.deepEqual(sample.img[0]?.shape, [1, 8, 8]);
    assert.deepEqual(Array.from(sample.img[0]?.toTypedArray() as Uint8Array), flipped);
    disposeAll(sample);
  });

  test('DataLoader batches are lists over augmentations, the same with 0 and 2 workers', async () => {
    // A random crop in the augmentations: the workers must draw what the main thread draws.
    const dataset = new TestTimeAugDataset(inner(), {
      transforms: [[hflip, keep], [{ type: 'RandomCrop', size: 8, padding: 2 }]],
    });
    const passes: unknown[][] = [];
    for (const numWorkers of [0, 2]) {
      const loader = new DataLoader({ dataset, batchSize: 4, seed: 5, numWorkers });
      passes.push(await within(collect(loader), 30000, `pass with ${numWorkers} workers`));
    }
    const [main, workers] = passes as [unknown[], unknown[]];
    assert.deepEqual(workers, main);
    assert.equal(main.length, 3);
    const first = main[0] as { img: { shape: number[]; values: number[] }[]; label: { values: number[] }[] };
    assert.equal(first.img.length, 2, 'one batch per augmentation');
    assert.deepEqual(first.img[0]?.shape, [4, 1, 8, 8]);
    assert.deepEqual(
      first.label.map((l) => l.values),
      [
        [0, 1, 2, 3],
        [0, 1, 2, 3],
      ],
    );
    // sample 1 of augmentation 0 is the dataset's own sample 1 in the same context
    const own = dataset.getRaw(1, sampleContext(5, 0, 1)) as { img: NDArray[] };
    assert.deepEqual(first.img[0]?.values.slice(64, 128), Array.from((own.img[0]?.data ?? []) as Uint8Array));
    assert.notDeepEqual(first.img[0]?.values, first.img[1]?.values);
    // the crops draw from the sample's context: another seed, other crops
    const other = dataset.getRaw(1, sampleContext(6, 0, 1)) as { img: NDArray[] };
    assert.notDeepEqual(Array.from(other.img[0]?.data as Uint8Array), Array.from(own.img[0]?.data as Uint8Array));
  });

  test('pseudo collate: each field a list over augmentations of lists over samples', async () => {
    const dataset = new TestTimeAugDataset(inner(), { transforms: [[hflip, keep]] });
    for (const numWorkers of [0, 2]) {
      const loader = new DataLoader({ dataset, batchSize: 3, collate: 'pseudo', numWorkers, seed: 1 });
      const batches = await within(collect(loader), 30000, `pseudo pass with ${numWorkers} workers`);
      const b = batches[0] as { img: { shape: number[] }[][]; label: number[][] };
      assert.equal(b.img.length, 2);
      assert.equal(b.img[0]?.length, 3);
      assert.deepEqual(b.img[1]?.[2]?.shape, [1, 8, 8]);
      assert.deepEqual(b.label, [
        [0, 1, 2],
        [0, 1, 2],
      ]);
    }
  });
});
