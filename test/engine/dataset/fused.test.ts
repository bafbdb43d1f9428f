// The fused batch path: crops and flips written straight into the batch (FusedTransforms, the
// datasets' getRawBatch) give exactly what the transforms applied one sample at a time and then
// collated give, pixel for pixel and draw for draw; where it cannot, it declines and the loader
// takes the per-sample path.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rawDefaultCollate } from '../../../lib/engine/dataset/collate_raw.js';
import { rawBatchOf } from '../../../lib/engine/dataset/dataset.js';
import { FusedTransforms } from '../../../lib/engine/dataset/fused.js';
import { SEED_START, seedStep } from '../../../lib/engine/dataset/random.js';
import {
  DataLoader,
  DataLoaderWorkerError,
  ImageDataset,
  type MapDataset,
  type NDArray,
  Random,
  RandomCrop,
  RandomFlip,
  type RandomSource,
  RawImageDataset,
  Subset,
  SyntheticImageDataset,
  sampleContext,
  seedFor,
  type TransformSpec,
} from '../../../lib/engine/index.js';
import { collect, plain, within } from './support.js';

/** N images (C, H, W) of distinct-ish bytes, in shared memory as the built-in sets hold them. */
function pixels(n: number, [c, h, w]: [number, number, number]): Uint8Array {
  const a = new Uint8Array(new SharedArrayBuffer(n * c * h * w));
  for (let i = 0; i < a.length; i++) a[i] = (i * 37 + (i >> 8) * 11) & 255;
  return a;
}

function arrayDataset(
  transforms: TransformSpec[],
  options?: {
    n?: number;
    shape?: [number, number, number];
    format?: 'dict' | 'tuple' | 'packed';
    labels?: Float32Array | Float64Array;
  },
): RawImageDataset {
  const n = options?.n ?? 12;
  const shape = options?.shape ?? [3, 6, 5];
  const labels = options?.labels ?? Uint8Array.from({ length: n }, (_, i) => (i * 7) % 10);
  return new RawImageDataset(
    { type: 'array', images: pixels(n, shape), labels, shape },
    { transforms, format: options?.format ?? 'dict' },
  );
}

/** What both paths need of a dataset (RawImageDataset has no get). */
type Raw = Pick<MapDataset, 'getRaw' | 'getRawBatch'>;

/** What the per-sample path makes: each sample's getRaw with its context, then the default collate. */
function perSample(ds: Raw, indices: number[], seed: number, epoch: number, keys = indices): unknown {
  const get = ds.getRaw?.bind(ds) as NonNullable<Raw['getRaw']>;
  return rawDefaultCollate(indices.map((i, k) => get(i, sampleContext(seed, epoch, keys[k] as number))));
}

function batchOf(ds: Raw, indices: number[], seed: number, epoch: number): unknown {
  const b = ds.getRawBatch?.(indices, { seed, epoch, keys: indices });
  assert.notEqual(b, undefined, 'the dataset makes this batch itself');
  return b;
}

const SHUFFLED = [7, 0, 11, 3, 3, 9, 1, 10, 5];

describe('getRawBatch gives what getRaw + the default collate give', () => {
  const chains: [string, TransformSpec[]][] = [
    ['none', []],
    [
      'crop with padding 4, horizontal flip (CIFAR)',
      [
        { type: 'RandomCrop', size: 5, padding: 4 },
        { type: 'RandomFlip', prob: 0.5 },
      ],
    ],
    ['crop with per-channel fill', [{ type: 'RandomCrop', size: [4, 5], padding: [2, 1], fill: [7, 300, -1] }]],
    ['edge padding', [{ type: 'RandomCrop', size: [6, 7], padding: [3, 1], paddingMode: 'edge' }]],
    [
      'reflect padding, vertical flip',
      [
        { type: 'RandomCrop', size: [7, 5], padding: 2, paddingMode: 'reflect' },
        { type: 'RandomFlip', prob: 0.7, direction: 'vertical' },
      ],
    ],
    ['symmetric padding', [{ type: 'RandomCrop', size: 5, padding: [0, 1, 3, 2], paddingMode: 'symmetric' }]],
    ['padIfNeeded', [{ type: 'RandomCrop', size: [8, 9], padIfNeeded: true, fill: 5 }]],
    [
      'reflect padding, then padIfNeeded mirrors the padded image',
      [{ type: 'RandomCrop', size: [9, 12], padding: [1, 2], paddingMode: 'reflect', padIfNeeded: true }],
    ],
    [
      'the whole image (no draw) then flips both ways',
      [
        { type: 'RandomCrop', size: [6, 5] },
        { type: 'RandomFlip', prob: 0.5 },
        { type: 'RandomFlip', prob: 0.5, direction: 'vertical' },
      ],
    ],
    [
      'flip, then two crops with the same fill, in a Compose',
      [
        { type: 'RandomFlip', prob: 0.9 },
        {
          type: 'Compose',
          transforms: [
            { type: 'RandomCrop', size: 4, padding: 3, fill: 2 },
            { type: 'RandomCrop', size: [3, 6], padding: [2, 0], fill: 2 },
          ],
        },
      ],
    ],
    [
      'a crop of an edge-padded crop',
      [
        { type: 'RandomCrop', size: 4, padding: 2 },
        { type: 'RandomCrop', size: 6, padding: 2, paddingMode: 'edge' },
      ],
    ],
  ];
  for (const [name, transforms] of chains) {
    test(name, () => {
      const ds = arrayDataset(transforms);
      for (const [seed, epoch] of [
        [0, 0],
        [3, 1],
        [2 ** 40 + 5, 7],
      ] as [number, number][]) {
        assert.deepEqual(plain(batchOf(ds, SHUFFLED, seed, epoch)), plain(perSample(ds, SHUFFLED, seed, epoch)));
      }
    });
  }

  test('the batch holds real pixels: uint8 (B, C, H, W) and int64 labels, in the sample format', () => {
    const ds = arrayDataset([{ type: 'RandomCrop', size: [6, 5], padding: 1 }], { format: 'tuple' });
    const [imgs, labels] = batchOf(ds, [2, 0], 0, 0) as [NDArray<Uint8Array>, NDArray];
    assert.deepEqual(imgs.shape, [2, 3, 6, 5]);
    assert.equal(imgs.dtype, 'uint8');
    assert.deepEqual(plain(labels), { nd: 'int64', shape: [2], values: [4, 0] });
    // Sample 2 as RandomCrop.apply makes it from the same draws.
    const src = ds.image(2).img;
    const expected = new RandomCrop({ size: [6, 5], padding: 1 }).apply(src, new Random(seedFor(0, 0, 2)));
    assert.deepEqual(Array.from(imgs.data.subarray(0, 90)), Array.from(expected.data as Uint8Array));
    assert.ok(imgs.data.some((v) => v !== 0));
    const packed = arrayDataset([], { format: 'packed' }).getRawBatch([1], { seed: 0, epoch: 0, keys: [1] });
    assert.deepEqual(Object.keys(packed as object), ['inputs', 'dataSamples']);
    const dict = arrayDataset([]).getRawBatch([1], { seed: 0, epoch: 0, keys: [1] }) as { img: NDArray<Uint8Array> };
    assert.deepEqual(Array.from(dict.img.data), Array.from(pixels(12, [3, 6, 5]).subarray(90, 180)));
  });

  test('labels that are not all integers collate to float64, as numbers do', () => {
    const labels = Float32Array.from({ length: 12 }, (_, i) => i / 2);
    const ds = arrayDataset([{ type: 'RandomFlip' }], { labels });
    const b = batchOf(ds, [1, 2, 3], 1, 0) as { label: NDArray };
    assert.deepEqual(plain(b.label), { nd: 'float64', shape: [3], values: [0.5, 1, 1.5] });
    assert.deepEqual(plain(b), plain(perSample(ds, [1, 2, 3], 1, 0)));
  });

  test('int64 labels: negative ones, and ones beyond 32 bits', () => {
    const labels = Float64Array.from([-3, 0, 2 ** 31 - 1, -(2 ** 31), 2 ** 40 + 1, -(2 ** 53) + 1, 7, -0, 5, 1, 2, 3]);
    const ds = arrayDataset([], { labels });
    const small = batchOf(ds, [0, 1, 2, 3, 7], 0, 0) as { label: NDArray };
    assert.equal(small.label.dtype, 'int64');
    assert.deepEqual(Array.from(small.label.data as BigInt64Array), [-3n, 0n, 2n ** 31n - 1n, -(2n ** 31n), 0n]);
    const large = batchOf(ds, [4, 0, 5], 0, 0) as { label: NDArray };
    assert.deepEqual(Array.from(large.label.data as BigInt64Array), [2n ** 40n + 1n, -3n, -(2n ** 53n) + 1n]);
    for (const indices of [
      [0, 1, 2, 3, 7],
      [4, 0, 5],
    ])
      assert.deepEqual(plain(batchOf(ds, indices, 0, 0)), plain(perSample(ds, indices, 0, 0)));
  });

  test('synthetic images (made per sample), an ImageDataset and a Subset with its own randomness', () => {
    const synth = new SyntheticImageDataset({
      length: 10,
      size: 12,
      transforms: [
        { type: 'RandomCrop', size: 10, padding: 2 },
        { type: 'RandomFlip', prob: 0.5 },
      ],
    });
    assert.deepEqual(plain(batchOf(synth, [4, 1, 9], 5, 2)), plain(perSample(synth, [4, 1, 9], 5, 2)));
    const image = new ImageDataset(
      { type: 'array', images: pixels(6, [1, 4, 4]), labels: new Uint8Array(6), shape: [1, 4, 4] },
      { transforms: [{ type: 'RandomCrop', size: 3, padding: 1 }] },
    );
    assert.deepEqual(plain(batchOf(image, [5, 0], 1, 1)), plain(perSample(image, [5, 0], 1, 1)));
    // A Subset's sample k draws from its own index, not from the wrapped dataset's.
    const sub = new Subset(synth, [9, 2, 6]);
    assert.deepEqual(plain(batchOf(sub, [2, 0], 3, 0)), plain(perSample(sub, [2, 0], 3, 0)));
    assert.notDeepEqual(plain(batchOf(sub, [2, 0], 3, 0)), plain(perSample(synth, [6, 9], 3, 0)));
  });

  test('declines where it cannot: other transforms, fills that differ, bad indices, crops that do not fit', () => {
    const custom = new RawImageDataset(
      { type: 'array', images: pixels(2, [1, 2, 2]), labels: new Uint8Array(2), shape: [1, 2, 2] },
      { transforms: [] },
    );
    (custom.transforms as unknown[]).push({ apply: (x: NDArray) => x, toJSON: () => ({}) });
    assert.equal(custom.getRawBatch([0], { seed: 0, epoch: 0, keys: [0] }), undefined);
    const fills = arrayDataset([
      { type: 'RandomCrop', size: 4, padding: 1, fill: 1 },
      { type: 'RandomCrop', size: 4, padding: 1, fill: 2 },
    ]);
    assert.equal(fills.getRawBatch([0], { seed: 0, epoch: 0, keys: [0] }), undefined);
    const ds = arrayDataset([{ type: 'RandomFlip' }]);
    for (const bad of [[12], [-1], [0.5], []])
      assert.equal(ds.getRawBatch(bad, { seed: 0, epoch: 0, keys: bad }), undefined);
    const tooLarge = arrayDataset([{ type: 'RandomCrop', size: 9 }]);
    assert.throws(() => tooLarge.getRawBatch([0], { seed: 0, epoch: 0, keys: [0] }), /larger than the padded image/);
    assert.equal(rawBatchOf(tooLarge, [0], 0, 0), undefined, 'the loader then takes the per-sample path');
  });
});

/** Draws given in advance, as in transforms.test.ts. */
function fixed(ints: number[], floats: number[] = []): RandomSource {
  return {
    int: (lo, hi) => {
      const v = ints.shift() as number;
      assert.ok(v >= lo && v < hi);
      return v;
    },
    next: () => floats.shift() as number,
  };
}

describe('FusedTransforms', () => {
  // One channel, 3x4: 1..12 row by row.
  const src = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
  const view = new DataView(src.buffer);
  const run = (f: FusedTransforms, draws: RandomSource, h = 3, w = 4): number[][] => {
    const plan = f.draw(h, w, draws);
    const out = new Uint8Array(plan.rows.length * plan.cols.length);
    f.write(plan, view, 0, 1, h, w, new DataView(out.buffer), 0);
    return Array.from({ length: plan.rows.length }, (_, y) =>
      Array.from(out.subarray(y * plan.cols.length, (y + 1) * plan.cols.length)),
    );
  };

  test('crop with padding 1 at (2, 1), then a horizontal flip', () => {
    const f = FusedTransforms.of([
      new RandomCrop({ size: [3, 4], padding: 1, fill: 9 }),
      new RandomFlip(),
    ]) as FusedTransforms;
    assert.deepEqual(run(f, fixed([2, 1], [0.2])), [
      [8, 7, 6, 5],
      [12, 11, 10, 9],
      [9, 9, 9, 9],
    ]);
    assert.deepEqual(run(f, fixed([0, 0], [0.7])), [
      [9, 9, 9, 9],
      [9, 1, 2, 3],
      [9, 5, 6, 7],
    ]);
  });

  test('a flipped run whose length is not a multiple of 4, and reflect padding (pixel by pixel)', () => {
    const f = FusedTransforms.of([new RandomCrop({ size: [2, 3] }), new RandomFlip({ prob: 1 })]) as FusedTransforms;
    assert.deepEqual(run(f, fixed([1, 1], [0])), [
      [8, 7, 6],
      [12, 11, 10],
    ]);
    const r = FusedTransforms.of([new RandomCrop({ size: [1, 8], padding: [2, 0], paddingMode: 'reflect' })]);
    assert.deepEqual(run(r as FusedTransforms, fixed([2, 0])), [[11, 10, 9, 10, 11, 12, 11, 10]]);
  });

  test('the same draws give the same cached plan; other draws another', () => {
    const f = FusedTransforms.of([new RandomCrop({ size: 4, padding: 2 }), new RandomFlip()]) as FusedTransforms;
    const a = f.draw(3, 4, fixed([1, 2], [0.1]));
    assert.equal(f.draw(3, 4, fixed([1, 2], [0.3])), a);
    assert.notEqual(f.draw(3, 4, fixed([1, 2], [0.6])), a);
    assert.deepEqual(Array.from(a.rows), [-1, 0, 1, 2]);
    assert.deepEqual(Array.from(a.cols), [3, 2, 1, 0]);
  });
});

describe('the generator pieces behind the batch path', () => {
  test('reseed restarts a generator as new Random does; seedStep chains to seedFor', () => {
    const r = new Random(1);
    for (const seed of [0, 1, 0xffffffff, 123456789]) {
      const a = new Random(seed);
      r.reseed(seed);
      const xs = [a.uint32(), a.int(0, 9), a.next()];
      assert.deepEqual([r.uint32(), r.int(0, 9), r.next()], xs);
    }
    // The first output for seed 7, as the generator gave it before reseed existed.
    assert.equal(new Random(7).uint32(), 3_307_083_044);
    for (const parts of [
      [0, 0, 0],
      [5, 2, 31],
      [2 ** 40 + 3, 1, 7],
      [-4, 0, 9],
    ]) {
      assert.equal(parts.reduce(seedStep, SEED_START), seedFor(...parts));
    }
  });
});

describe('DataLoader takes the batch path, with and without workers', () => {
  // The same dataset without getRawBatch: the per-sample path.
  const hidden = (ds: ImageDataset): MapDataset =>
    Object.assign(Object.create(ds), { getRawBatch: undefined }) as MapDataset;

  test('the same batches as the per-sample path, in main and in 2 workers', async () => {
    const ds = new SyntheticImageDataset({
      length: 40,
      transforms: [
        { type: 'RandomCrop', size: 32, padding: 4 },
        { type: 'RandomFlip', prob: 0.5 },
      ],
      format: 'tuple',
    });
    const opts = { batchSize: 8, shuffle: true, seed: 21 };
    const slow = await collect(new DataLoader({ ...opts, dataset: hidden(ds) }));
    const fast = await collect(new DataLoader({ ...opts, dataset: ds }));
    const workers = await within(collect(new DataLoader({ ...opts, dataset: ds, numWorkers: 2 })), 30000, '2 workers');
    assert.deepEqual(fast, slow);
    assert.deepEqual(workers, slow);
    const first = slow[0] as [{ shape: number[]; values: number[] }, { values: number[] }];
    assert.deepEqual(first[0].shape, [8, 3, 32, 32]);
    assert.ok(first[0].values.some((v) => v > 0));
  });

  test('a sample that fails still fails with its index, from the per-sample path', async () => {
    const ds = new ImageDataset(
      { type: 'array', images: pixels(4, [1, 4, 4]), labels: new Uint8Array(4), shape: [1, 4, 4] },
      { transforms: [{ type: 'RandomCrop', size: 6 }] },
    );
    await assert.rejects(collect(new DataLoader({ dataset: ds, batchSize: 2 })), /larger than the padded image/);
    const err = await within(
      collect(new DataLoader({ dataset: ds, batchSize: 2, numWorkers: 1 })).then(
        () => null,
        (e: unknown) => e,
      ),
      30000,
      'a worker',
    );
    assert.ok(err instanceof DataLoaderWorkerError, String(err));
    assert.equal(err.sampleIndex, 0);
    assert.match(err.message, /while loading the sample: Error: RandomCrop: required crop size/);
  });
});

test('a subclass that overrides getRaw is not bypassed by the batch path', async () => {
  class Relabelled extends ImageDataset {
    override getRaw(index: number, ctx?: Parameters<ImageDataset['getRaw']>[1]): unknown {
      const [img, label] = super.getRaw(index, ctx) as [NDArray, number];
      return [img, label + 100];
    }
  }
  const ds = new Relabelled(
    { type: 'array', images: pixels(3, [1, 2, 2]), labels: Uint8Array.from([1, 2, 3]), shape: [1, 2, 2] },
    { format: 'tuple' },
  );
  assert.equal(ds.getRawBatch([0], { seed: 0, epoch: 0, keys: [0] }), undefined);
  const [batch] = (await collect(new DataLoader({ dataset: ds, batchSize: 3 }))) as [[unknown, { values: number[] }]];
  assert.deepEqual(batch[1].values, [101, 102, 103]);
});
