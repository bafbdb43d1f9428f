// ConcatDataset, RepeatDataset and ClassBalancedDataset: indexing against torch's ConcatDataset,
// repeat factors and indices against a Python rendering of MMEngine's ClassBalancedDataset
// algorithm (one Python run for both), and DataLoader passes with 2 workers against 0.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Random, seedFor } from '../../../lib/engine/dataset/random.js';
import {
  ClassBalancedDataset,
  ConcatDataset,
  classBalancedRepeatFactors,
  DataLoader,
  ImageDataset,
  type MapDataset,
  RepeatDataset,
  randomSplit,
  Subset,
  sampleContext,
} from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { runPython, skipWithoutPython } from '../../support/python.js';
import { ToyDataset } from './fixtures.js';
import { collect, disposeAll, importedModules, plain, within } from './support.js';

/** Every batch of one pass with 0 and with 2 workers. */
async function bothWays(options: ConstructorParameters<typeof DataLoader>[0]): Promise<[unknown[], unknown[]]> {
  const run = (numWorkers: number) =>
    within(collect(new DataLoader({ ...options, numWorkers })), 30000, `pass with ${numWorkers} workers`);
  return [await run(0), await run(2)];
}

/** (1, 4, 4) uint8 images (pixel values tell sample and position apart) with these labels, randomly flipped. */
function images(labels: number[], base = 0): ImageDataset {
  const n = labels.length;
  const pixels = new Uint8Array(new SharedArrayBuffer(n * 16));
  for (let k = 0; k < pixels.length; k++) pixels[k] = (base + k * 7) & 255;
  const lab = new Int32Array(new SharedArrayBuffer(n * 4));
  lab.set(labels);
  return new ImageDataset(
    { type: 'array', images: pixels, labels: lab, shape: [1, 4, 4] },
    { transforms: [{ type: 'RandomFlip', prob: 0.5 }], classes: ['a', 'b', 'c'] },
  );
}

/** Small deterministic category-id lists: a few frequent categories, many rare ones, some images with none. */
function catIdCases(): { catIds: number[][]; thr: number }[] {
  const rng = new Random(2024);
  const lvisLike = Array.from({ length: 300 }, () => {
    const k = Math.floor(rng.next() * 5); // 0 to 4 ids, repeats allowed
    return Array.from({ length: k }, () => Math.floor(30 * rng.next() ** 3));
  });
  const labels = [...Array(50).fill([0]), ...Array(5).fill([1]), [2]] as number[][];
  return [
    { catIds: lvisLike, thr: 0.1 },
    { catIds: lvisLike, thr: 0.01 },
    { catIds: lvisLike, thr: 0.5 },
    { catIds: lvisLike, thr: 0 },
    { catIds: labels, thr: 0.3 },
    { catIds: [[], [], [4]], thr: 1 },
  ];
}

// MMEngine's ClassBalancedDataset algorithm (its _get_repeat_factors and full_init), written out
// here since mmengine is not installed; and torch's ConcatDataset over tagged lists.
const SCRIPT = `
import math
from collections import defaultdict
from torch.utils.data import ConcatDataset

def repeat_factors(cat_ids, thr):
    freq = defaultdict(float)
    n = len(cat_ids)
    for ids in cat_ids:
        for c in set(ids):
            freq[c] += 1
    for c, v in freq.items():
        freq[c] = v / n
    cat_repeat = {c: max(1.0, math.sqrt(thr / f)) for c, f in freq.items()}
    out = []
    for ids in cat_ids:
        r = 1.0
        s = set(ids)
        if len(s) != 0:
            r = max({cat_repeat[c] for c in s})
        out.append(r)
    return out

balanced = []
for case in INPUT['balanced']:
    f = repeat_factors(case['catIds'], case['thr'])
    idx = []
    for i, r in enumerate(f):
        idx.extend([i] * math.ceil(r))
    balanced.append({'factors': f, 'indices': idx})

sizes = INPUT['concat']
cat = ConcatDataset([[(d, j) for j in range(s)] for d, s in enumerate(sizes)])
n = len(cat)
items = [list(cat[i]) for i in range(-n, n)]
errors = []
for i in (-n - 1, n):
    try:
        cat[i]
        errors.append(None)
    except Exception as e:
        errors.append(type(e).__name__)
OUTPUT = {'balanced': balanced, 'concat': {'cumulative': cat.cumulative_sizes, 'items': items, 'errors': errors}}
`;

const CONCAT_SIZES = [2, 3, 0, 4];

interface Expected {
  balanced: { factors: number[]; indices: number[] }[];
  concat: { cumulative: number[]; items: [number, number][]; errors: (string | null)[] };
}

describe('parity with torch and MMEngine', { skip: skipWithoutPython() }, () => {
  let expected: Expected;
  const cases = catIdCases();
  before(() => {
    expected = runPython<Expected>(SCRIPT, { balanced: cases, concat: CONCAT_SIZES });
  });

  test('ConcatDataset: cumulative sizes and every index, negative ones included, as torch', () => {
    const parts = CONCAT_SIZES.map((s, d) => ({ length: s, get: (j: number) => [d, j] as [number, number] }));
    const cat = new ConcatDataset(parts);
    assert.deepEqual(cat.cumulativeSizes, expected.concat.cumulative);
    const n = cat.length;
    assert.equal(n, 9);
    const got = Array.from({ length: 2 * n }, (_, k) => cat.get(k - n));
    assert.deepEqual(got, expected.concat.items);
    // Python raises there too (ValueError for the negative one, IndexError past the end).
    assert.deepEqual(expected.concat.errors, ['ValueError', 'IndexError']);
    assert.throws(() => cat.get(-n - 1), /ConcatDataset: index -10 is out of range for a dataset of 9 samples/);
    assert.throws(() => cat.get(n), /ConcatDataset: index 9 is out of range for a dataset of 9 samples/);
    assert.throws(() => cat.get(1.5), RangeError);
  });

  test('ClassBalancedDataset: repeat factors and indices as MMEngine computes them', () => {
    cases.forEach((c, k) => {
      const ds = { length: c.catIds.length, get: (i: number) => i, getCatIds: (i: number) => c.catIds[i] as number[] };
      const cb = new ClassBalancedDataset(ds, c.thr);
      const want = expected.balanced[k] as Expected['balanced'][number];
      assert.deepEqual(cb.repeatFactors, want.factors, `case ${k} factors`);
      assert.deepEqual(cb.repeatIndices, want.indices, `case ${k} indices`);
      assert.equal(cb.length, want.indices.length);
      assert.equal(cb.get(-1), want.indices[want.indices.length - 1]);
      assert.deepEqual(classBalancedRepeatFactors(c.catIds, c.thr), want.factors);
    });
    // The cases do oversample: the rare categories' images come more than once.
    assert.ok((expected.balanced[0] as Expected['balanced'][number]).indices.length > 300);
  });
});

describe('wrappers', () => {
  test('ClassBalancedDataset over an ImageDataset: its labels are the categories (worked by hand)', () => {
    // f(0) = 0.7, f(1) = 0.2, f(2) = 0.1; thr 0.3: r = 1, sqrt(1.5) = 1.22, sqrt(3) = 1.73, each rounded up.
    const ds = images([0, 0, 0, 0, 0, 0, 0, 1, 1, 2]);
    assert.deepEqual(ds.getCatIds(8), [1]);
    const cb = new ClassBalancedDataset(ds, 0.3);
    assert.deepEqual(cb.repeatIndices, [0, 1, 2, 3, 4, 5, 6, 7, 7, 8, 8, 9, 9]);
    assert.deepEqual(cb.repeatFactors.slice(6), [1, Math.sqrt(1.5), Math.sqrt(1.5), Math.sqrt(3)]);
    assert.deepEqual(cb.getCatIds(11), [2]);
    assert.deepEqual(cb.metainfo, { classes: ['a', 'b', 'c'] });
  });

  test('RepeatDataset: index i is sample i % n, each copy with the randomness of its own index', () => {
    const toy = new ToyDataset({ length: 3 });
    const rep = new RepeatDataset(toy, 4);
    assert.equal(rep.length, 12);
    const ctx = (i: number) => sampleContext(5, 1, i);
    for (let i = 0; i < 12; i++) {
      assert.deepEqual(rep.get(i, ctx(i)), toy.get(i % 3, ctx(i)));
    }
    assert.deepEqual(rep.get(-1, ctx(11)), toy.get(2, ctx(11)));
    // Copies 1 and 4 of sample 1: the same sample, noise from (seed, epoch, 1) and (seed, epoch, 4).
    const x = (s: unknown) => (s as { x: { data: Float32Array } }).x.data[0] as number;
    const r = (i: number) => Math.fround(1 + new Random(seedFor(5, 1, i)).next());
    assert.equal(x(rep.get(1, ctx(1))), r(1));
    assert.equal(x(rep.get(4, ctx(4))), r(4));
    assert.notEqual(r(1), r(4));
    assert.throws(() => rep.get(12), /RepeatDataset: index 12 is out of range for a dataset of 12 samples/);
    assert.throws(() => new RepeatDataset(toy, -1), /RepeatDataset: times must be a non-negative integer, got -1/);
    assert.throws(() => new RepeatDataset(toy, 1.5), RangeError);
    assert.equal(new RepeatDataset(toy, 0).length, 0);
  });

  test('ConcatDataset: metainfo of the first, category ids, getRawBatch within one dataset only', () => {
    const a = images([0, 1, 2, 0, 1, 2]);
    const b = images([2, 2, 1, 0, 0], 100);
    const cat = new ConcatDataset([a, b]);
    assert.deepEqual(cat.metainfo, { classes: ['a', 'b', 'c'] });
    assert.deepEqual(cat.getCatIds(6), [2]);
    assert.deepEqual(cat.locate(-1), [1, 4]);
    const ctx = { seed: 3, epoch: 0, keys: [7, 8] };
    assert.deepEqual(cat.getRawBatch([7, 8], ctx), b.getRawBatch([1, 2], ctx));
    assert.equal(cat.getRawBatch([5, 6], { seed: 3, epoch: 0, keys: [5, 6] }), undefined);
    assert.deepEqual(cat.getRaw(7, sampleContext(3, 0, 7)), b.getRaw(1, sampleContext(3, 0, 7)));
  });

  test('what data workers import to rebuild the wrappers never loads torch', () => {
    const here = fileURLToPath(new URL('../../../lib/engine/dataset/', import.meta.url));
    const seen = importedModules('dataset_wrappers.js', 'ndarray_dataset.js');
    assert.ok(seen.has(join(here, 'dataset.js')));
    assert.deepEqual(
      [...seen].filter((f) => /[/\\](torch|binding)[/\\.]/.test(f) || /collate\.js|dataloader\.js|index\.js/.test(f)),
      [],
    );
  });

  test('errors name the wrapper and what is wrong', () => {
    const toy = new ToyDataset({ length: 3 });
    assert.throws(() => new ConcatDataset([]), /ConcatDataset: datasets should not be an empty array/);
    assert.throws(
      () => new ConcatDataset([toy, {} as MapDataset]),
      /ConcatDataset: datasets\[1\] must be a map-style dataset/,
    );
    assert.throws(
      () => new ClassBalancedDataset(toy, 0.1),
      /ClassBalancedDataset: the dataset needs getCatIds\(index\)/,
    );
    const noSpec = { length: 2, get: (i: number) => i };
    assert.throws(
      () => new ConcatDataset<unknown>([toy, noSpec]).workerSpec(),
      /ConcatDataset: datasets\[1\] has no workerSpec\(\)/,
    );
    assert.throws(
      () => new RepeatDataset(noSpec, 2).workerSpec(),
      /RepeatDataset: the wrapped dataset has no workerSpec/,
    );
    assert.throws(
      () => new ConcatDataset([toy]).getCatIds(0),
      /ConcatDataset.getCatIds: datasets\[0\] has no getCatIds/,
    );
  });
});

describe('DataLoader with 2 workers gives the same batches as without', () => {
  test('ConcatDataset of two image sets: in order (getRawBatch within a set, per sample across) and shuffled', async () => {
    const cat = new ConcatDataset([images([0, 1, 2, 0, 1, 2]), images([2, 2, 1, 0, 0], 100)]);
    const [s0, s2] = await bothWays({ dataset: cat, batchSize: 4, seed: 4 });
    assert.deepEqual(s2, s0);
    assert.deepEqual(
      (s0 as { label: { values: number[] } }[]).map((b) => b.label.values),
      [
        [0, 1, 2, 0],
        [1, 2, 2, 2],
        [1, 0, 0],
      ],
    );
    const [r0, r2] = await bothWays({ dataset: cat, batchSize: 3, shuffle: true, seed: 4 });
    assert.deepEqual(r2, r0);
  });

  test('ConcatDataset of toy sets (getRaw only, per-sample randomness), shuffled', async () => {
    const cat = new ConcatDataset([new ToyDataset({ length: 5 }), new ToyDataset({ length: 4 })]);
    const [a, b] = await bothWays({ dataset: cat, batchSize: 2, shuffle: true, seed: 9 });
    assert.deepEqual(b, a);
  });

  test('RepeatDataset: the copies differ in their augmentation', async () => {
    const rep = new RepeatDataset(images([0, 1, 2, 1]), 3);
    const [a, b] = await bothWays({ dataset: rep, batchSize: 4, seed: 1 });
    assert.deepEqual(b, a);
    const imgs = (a as { img: { values: number[] } }[]).map((x) => x.img.values);
    assert.equal(imgs.length, 3);
    // Each batch holds the same 4 samples; some of them flipped differently in another copy.
    assert.notDeepEqual(imgs[0], imgs[1]);
    const [c, d] = await bothWays({
      dataset: new RepeatDataset(new ToyDataset({ length: 3 }), 2),
      batchSize: 4,
      shuffle: true,
      seed: 1,
    });
    assert.deepEqual(d, c);
  });

  test('ClassBalancedDataset, shuffled', async () => {
    const cb = new ClassBalancedDataset(images([0, 0, 0, 0, 0, 0, 0, 1, 1, 2]), 0.3);
    const [a, b] = await bothWays({ dataset: cb, batchSize: 5, shuffle: true, seed: 6 });
    assert.deepEqual(b, a);
    const labels = (a as { label: { values: number[] } }[]).flatMap((x) => x.label.values).sort();
    assert.deepEqual(labels, [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
  });
});

describe('wrappers over a dataset of tensors (get only), in the main thread', () => {
  /** Sample i: {x: an int64 tensor [i, 10 i], y: i}, made by get; no getRaw, no workerSpec. */
  const tensors = (n: number): MapDataset<{ x: torch.Tensor; y: number }> => ({
    length: n,
    get: (i: number) => ({ x: torch.tensor([i, 10 * i]), y: i }),
  });
  const batches = async (dataset: MapDataset, batchSize: number) => {
    const out: unknown[] = [];
    for await (const b of new DataLoader({ dataset, batchSize })) {
      out.push(plain(b));
      disposeAll(b);
    }
    return out;
  };
  const batch = (ys: number[]) => ({
    x: { dtype: 'int64', shape: [ys.length, 2], values: ys.flatMap((y) => [y, 10 * y]) },
    y: { dtype: 'int64', shape: [ys.length], values: ys },
  });

  test('Subset, randomSplit, ConcatDataset and RepeatDataset collate their tensors and free them', async () => {
    const live = torch.memory().tensors;
    assert.deepEqual(await batches(new Subset(tensors(6), [5, 1, 3]), 2), [batch([5, 1]), batch([3])]);
    const [, second] = randomSplit(tensors(5), [2, 3], { generator: new torch.Generator().manualSeed(1) });
    assert.deepEqual(await batches(second as Subset, 3), [batch((second as Subset).indices)]);
    assert.deepEqual(await batches(new ConcatDataset([tensors(2), tensors(3)]), 5), [batch([0, 1, 0, 1, 2])]);
    assert.deepEqual(await batches(new RepeatDataset(tensors(2), 2), 4), [batch([0, 1, 0, 1])]);
    assert.equal(torch.memory().tensors, live, 'tensors left alive');
  });
});
