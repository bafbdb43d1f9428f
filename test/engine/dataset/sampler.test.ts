// Samplers and the order of a DataLoader in the main thread: sequential order, shuffles that are
// deterministic per (seed, epoch), setEpoch and the epoch advancing by itself, dropLast/length.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seedFor } from '../../../lib/engine/dataset/random.js';
import {
  BatchSampler,
  DataLoader,
  DefaultSampler,
  DistributedSampler,
  InfiniteSampler,
  Random,
  RandomSampler,
  SequentialSampler,
  Subset,
  SubsetRandomSampler,
  WeightedRandomSampler,
} from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { ToyDataset } from './fixtures.js';
import { collect } from './support.js';

const labelsOf = (batches: unknown[]): number[][] =>
  batches.map((b) => (b as { extra: [{ values: number[] }] }).extra[0].values);

describe('samplers', () => {
  test('SequentialSampler gives 0..n-1', () => {
    assert.deepEqual([...new SequentialSampler(5)], [0, 1, 2, 3, 4]);
    assert.deepEqual([...new SequentialSampler({ length: 3 })], [0, 1, 2]);
    assert.equal(new SequentialSampler(7).length, 7);
  });

  test('RandomSampler: a permutation, the same for the same (seed, epoch), new per epoch and seed', () => {
    const a = new RandomSampler(100, { seed: 42 });
    const e0 = [...a];
    assert.deepEqual(
      [...e0].sort((x, y) => x - y),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.notDeepEqual(
      e0,
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.deepEqual([...a], e0, 'iterating twice in one epoch gives the same order');
    assert.deepEqual([...new RandomSampler(100, { seed: 42 })], e0, 'same seed, same order');
    a.setEpoch(1);
    const e1 = [...a];
    assert.notDeepEqual(e1, e0);
    a.setEpoch(0);
    assert.deepEqual([...a], e0, 'back to epoch 0');
    assert.notDeepEqual([...new RandomSampler(100, { seed: 43 })], e0, 'another seed');
    // Pinned values: the order must not change across versions (a resumed run relies on it).
    const pinned = new RandomSampler(10, { seed: 0 });
    assert.deepEqual([...pinned], [3, 4, 2, 7, 0, 8, 5, 9, 6, 1]);
    pinned.setEpoch(1);
    assert.deepEqual([...pinned], [3, 4, 1, 8, 6, 0, 2, 5, 7, 9]);
  });

  test('RandomSampler with replacement draws numSamples indices in range', () => {
    const s = new RandomSampler(5, { seed: 1, replacement: true, numSamples: 50 });
    const idx = [...s];
    assert.equal(idx.length, 50);
    assert.equal(s.length, 50);
    assert.ok(idx.every((i) => i >= 0 && i < 5));
    assert.ok(new Set(idx).size > 1);
    assert.throws(() => new RandomSampler(5, { numSamples: 0 }), /numSamples should be a positive integer value/);
    assert.throws(() => new RandomSampler(5, { numSamples: 2.5 }), /numSamples should be a positive integer value/);
  });

  test('RandomSampler without replacement: numSamples beyond the size repeats whole permutations, as PyTorch', () => {
    const s = new RandomSampler(4, { seed: 2, numSamples: 10 });
    const idx = [...s];
    assert.equal(idx.length, 10);
    assert.deepEqual([...idx.slice(0, 4)].sort(), [0, 1, 2, 3]);
    assert.deepEqual([...idx.slice(4, 8)].sort(), [0, 1, 2, 3]);
    assert.equal(new Set(idx.slice(8)).size, 2, 'the start of a third permutation');
    const fewer = [...new RandomSampler(4, { seed: 2, numSamples: 3 })];
    assert.deepEqual(fewer, idx.slice(0, 3), 'fewer than the size: the start of the first');
  });

  test("a sampler's epoch set by the user (PyTorch's sampler.set_epoch) is the pass's, not the loader's count", async () => {
    const data = { length: 6, get: (i: number) => i };
    const sampler = new RandomSampler(6, { seed: 3 });
    sampler.setEpoch(4);
    const loader = new DataLoader({ dataset: data, batchSize: 6, sampler });
    assert.equal(loader.epoch, 4, 'set before the loader was made: kept');
    const orderOf = (e: number) => {
      const r = new RandomSampler(6, { seed: 3 });
      r.setEpoch(e);
      return [...r];
    };
    const pass = async () => {
      const out: number[] = [];
      for await (const b of loader as AsyncIterable<torch.Tensor>) {
        out.push(...(b.toArray() as number[]));
        b.dispose();
      }
      return out;
    };
    assert.deepEqual(await pass(), orderOf(4));
    assert.deepEqual(await pass(), orderOf(5), 'a plain loop advances');
    sampler.setEpoch(9);
    assert.deepEqual(await pass(), orderOf(9), 'the sampler set again: its epoch');
    assert.equal(loader.epoch, 9);
    assert.deepEqual(await pass(), orderOf(10));
  });

  test('SubsetRandomSampler: the given indices, each once, in a seeded order per epoch', () => {
    const s = new SubsetRandomSampler([10, 11, 12, 13, 14], { seed: 7 });
    const e0 = [...s];
    assert.deepEqual([...e0].sort(), [10, 11, 12, 13, 14]);
    assert.deepEqual([...new SubsetRandomSampler([10, 11, 12, 13, 14], { seed: 7 })], e0);
    s.setEpoch(1);
    assert.notDeepEqual([...s], e0);
    assert.equal(s.length, 5);
    assert.throws(() => new SubsetRandomSampler([1, -2]), /non-negative integers/);
  });

  test('WeightedRandomSampler: draws in proportion to the weights; a zero weight never; without replacement each once', () => {
    const s = new WeightedRandomSampler([1, 3, 0, 6], 20000, { seed: 3 });
    const counts = [0, 0, 0, 0];
    for (const i of s) counts[i] = (counts[i] as number) + 1;
    assert.equal(counts[2], 0);
    // Expected 2000, 6000, 12000: within 4 standard deviations.
    for (const [k, p] of [
      [0, 0.1],
      [1, 0.3],
      [3, 0.6],
    ] as const) {
      const sd = Math.sqrt(20000 * p * (1 - p));
      assert.ok(Math.abs((counts[k] as number) - 20000 * p) < 4 * sd, `index ${k}: ${counts[k]}`);
    }
    const once = [...new WeightedRandomSampler([1, 3, 0, 6], 3, { replacement: false, seed: 1 })];
    assert.deepEqual([...once].sort(), [0, 1, 3]);
    assert.throws(() => new WeightedRandomSampler([1, 0], 2, { replacement: false }), /cannot exceed/);
    assert.throws(() => new WeightedRandomSampler([1, -1], 2), /non-negative/);
    assert.throws(() => new WeightedRandomSampler([0, 0], 2), /sum to 0/);
    assert.throws(() => new WeightedRandomSampler([1], 0), /positive integer/);
  });

  test('DefaultSampler: shuffled per (seed, epoch) or in order', () => {
    const d = new DefaultSampler(20, { seed: 5 });
    const r = new RandomSampler(20, { seed: 5 });
    assert.deepEqual([...d], [...r]);
    d.setEpoch(3);
    r.setEpoch(3);
    assert.deepEqual([...d], [...r]);
    assert.deepEqual([...new DefaultSampler(4, { shuffle: false })], [0, 1, 2, 3]);
  });

  test('BatchSampler groups indices; dropLast drops the short batch', () => {
    assert.deepEqual([...new BatchSampler(new SequentialSampler(7), 3)], [[0, 1, 2], [3, 4, 5], [6]]);
    assert.deepEqual(
      [...new BatchSampler(new SequentialSampler(7), 3, true)],
      [
        [0, 1, 2],
        [3, 4, 5],
      ],
    );
    assert.equal(new BatchSampler(new SequentialSampler(7), 3).length, 3);
    assert.equal(new BatchSampler(new SequentialSampler(7), 3, true).length, 2);
    assert.throws(() => new BatchSampler(new SequentialSampler(7), 0), /positive integer/);
  });

  test("BatchSampler.all() gives what iterating gives, for every sampler (a subclass's own iterator included)", () => {
    class EvensFirst extends RandomSampler {
      // Overrides iterating only: its inherited indices() no longer stands for it.
      override *[Symbol.iterator](): Iterator<number> {
        const all = this.indices();
        yield* all.filter((i) => i % 2 === 0);
        yield* all.filter((i) => i % 2 === 1);
      }
    }
    const iterableOnly = {
      length: 5,
      *[Symbol.iterator]() {
        yield* [4, 2, 0, 1, 3];
      },
    };
    const samplers = [
      new SequentialSampler(10),
      new RandomSampler(10, { seed: 4 }),
      new RandomSampler(10, { seed: 4, replacement: true, numSamples: 7 }),
      new DefaultSampler(10, { seed: 2 }),
      new DistributedSampler(10, { worldSize: 3, rank: 1, seed: 5 }),
      new EvensFirst(10, { seed: 4 }),
      iterableOnly,
    ];
    for (const sampler of samplers)
      for (const dropLast of [false, true]) {
        const b = new BatchSampler(sampler, 3, dropLast);
        assert.deepEqual(b.all(), [...b], `${sampler.constructor.name}, dropLast ${dropLast}`);
      }
    assert.equal(
      new BatchSampler(new EvensFirst(10, { seed: 4 }), 5).all()[0]?.every((i) => i % 2 === 0),
      true,
    );
  });

  test('Random.int draws in integer arithmetic what the floating-point formula draws', () => {
    // The formula of rejection sampling over 2^32, in floating point (what int() computed before).
    const reference = (r: Random, lo: number, n: number): number => {
      const limit = 4294967296 - (4294967296 % n);
      let x = r.uint32();
      while (x >= limit) x = r.uint32();
      return lo + (x % n);
    };
    for (const n of [1, 2, 3, 10, 641, 32768, 100003, 2 ** 29 + 7, 2 ** 30 - 1, 2 ** 30, 2 ** 30 + 1, 3e9]) {
      const a = new Random(n);
      const b = new Random(n);
      for (let k = 0; k < 3000; k++) assert.equal(a.int(-2, n - 2), reference(b, -2, n), `range ${n}, draw ${k}`);
    }
  });
});

describe('InfiniteSampler', () => {
  const take = (it: Iterator<number>, n: number) => Array.from({ length: n }, () => it.next().value as number);

  test('permutation after permutation, each round from (seed, round); iterating again continues', () => {
    const s = new InfiniteSampler(5, { seed: 3 });
    assert.equal(s.length, 5, "MMEngine's length: the dataset's size");
    const first = take(s[Symbol.iterator](), 7);
    const rest = take(s[Symbol.iterator](), 8);
    const stream = [...first, ...rest];
    assert.deepEqual([...stream.slice(0, 5)].sort(), [0, 1, 2, 3, 4]);
    assert.deepEqual([...stream.slice(5, 10)].sort(), [0, 1, 2, 3, 4]);
    assert.deepEqual([...stream.slice(10, 15)].sort(), [0, 1, 2, 3, 4]);
    assert.deepEqual(stream.slice(0, 5), new Random(seedFor(3, 0)).permutation(5));
    assert.deepEqual(stream.slice(5, 10), new Random(seedFor(3, 1)).permutation(5));
    assert.deepEqual(
      take(new InfiniteSampler(5, { seed: 3 })[Symbol.iterator](), 15),
      stream,
      'the same seed, the same stream',
    );
    assert.deepEqual(take(new InfiniteSampler(3, { shuffle: false })[Symbol.iterator](), 7), [0, 1, 2, 0, 1, 2, 0]);
  });

  test('each rank takes every worldSize-th index of the one stream', () => {
    const all = take(new InfiniteSampler(6, { seed: 9 })[Symbol.iterator](), 24);
    const ranks = [0, 1, 2].map((rank) =>
      take(new InfiniteSampler(6, { seed: 9, rank, worldSize: 3 })[Symbol.iterator](), 8),
    );
    ranks.forEach((mine, rank) => {
      assert.deepEqual(
        mine,
        all.filter((_, i) => i % 3 === rank),
      );
    });
    assert.throws(() => new InfiniteSampler(6, { rank: 3, worldSize: 3 }), /invalid rank 3/);
    assert.throws(() => new InfiniteSampler(0), /non-empty dataset/);
  });

  test('a DataLoader over it: each pass is length full batches, continuing the stream across permutations', async () => {
    const dataset = new ToyDataset({ length: 10 });
    const stream = take(new InfiniteSampler(10, { seed: 5 })[Symbol.iterator](), 24);
    for (const numWorkers of [0, 2]) {
      const loader = new DataLoader({
        dataset,
        batchSize: 4,
        sampler: new InfiniteSampler(10, { seed: 5 }),
        numWorkers,
      });
      assert.equal(loader.length, 3);
      const passes = [labelsOf(await collect(loader)), labelsOf(await collect(loader))];
      // batch 3 of the first pass crosses into the second permutation, as MMEngine's batches do
      assert.deepEqual(
        passes.flat(),
        [0, 1, 2, 3, 4, 5].map((k) => stream.slice(4 * k, 4 * k + 4)),
        `${numWorkers} workers`,
      );
      await loader.close();
    }
  });
});

describe('DataLoader order (no workers)', () => {
  const dataset = new ToyDataset({ length: 10 });

  test('sequential batches, length, dropLast', async () => {
    const loader = new DataLoader({ dataset, batchSize: 4 });
    assert.equal(loader.length, 3);
    assert.deepEqual(labelsOf(await collect(loader)), [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    const dropping = new DataLoader({ dataset, batchSize: 4, dropLast: true });
    assert.equal(dropping.length, 2);
    assert.deepEqual(labelsOf(await collect(dropping)), [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    const exact = new DataLoader({ dataset, batchSize: 5, dropLast: true });
    assert.equal(exact.length, 2);
    assert.equal((await collect(exact)).length, 2);
  });

  test('shuffle: deterministic from (seed, epoch); setEpoch; each new pass advances the epoch', async () => {
    const make = () => new DataLoader({ dataset, batchSize: 10, shuffle: true, seed: 7 });
    const a = make();
    const e0 = labelsOf(await collect(a))[0] as number[];
    assert.deepEqual(
      [...e0].sort((x, y) => x - y),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.deepEqual(e0, [...new RandomSampler(10, { seed: 7 })], 'the order is RandomSampler(seed) at epoch 0');
    const e1 = labelsOf(await collect(a))[0] as number[];
    assert.equal(a.epoch, 1, 'a second pass without setEpoch is epoch 1');
    assert.notDeepEqual(e1, e0);
    const b = make();
    b.setEpoch(1);
    assert.deepEqual(labelsOf(await collect(b))[0], e1, 'setEpoch(1) on a fresh loader gives epoch 1');
    b.setEpoch(1);
    assert.deepEqual(labelsOf(await collect(b))[0], e1, 'setEpoch before each pass repeats that epoch');
    b.setEpoch(0);
    assert.deepEqual(labelsOf(await collect(b))[0], e0);
    const other = new DataLoader({ dataset, batchSize: 10, shuffle: true, seed: 8 });
    assert.notDeepEqual(labelsOf(await collect(other))[0], e0);
  });

  test('sample randomness comes from (seed, epoch, index)', async () => {
    const loader = new DataLoader({ dataset, batchSize: 10, seed: 3 });
    const [p0] = (await collect(loader)) as { x: { values: number[] } }[];
    const [p1] = (await collect(loader)) as { x: { values: number[] } }[];
    assert.notDeepEqual(p0?.x.values, p1?.x.values, 'epoch 1 draws anew');
    loader.setEpoch(0);
    const [again] = (await collect(loader)) as { x: { values: number[] } }[];
    assert.deepEqual(again?.x.values, p0?.x.values);
  });

  test('a sampler of the user; Subset', async () => {
    const loader = new DataLoader({ dataset, batchSize: 2, sampler: new SequentialSampler(4) });
    assert.deepEqual(labelsOf(await collect(loader)), [
      [0, 1],
      [2, 3],
    ]);
    const sub = new DataLoader({ dataset: new Subset(dataset, [9, 2, 5]), batchSize: 3 });
    assert.deepEqual(labelsOf(await collect(sub)), [[9, 2, 5]]);
  });

  test('pinMemory is a no-op without CUDA', {
    skip: torch.cuda.isAvailable() ? 'CUDA is available' : false,
  }, async () => {
    const pinned = await collect(new DataLoader({ dataset, batchSize: 5, seed: 1, pinMemory: true }));
    assert.deepEqual(pinned, await collect(new DataLoader({ dataset, batchSize: 5, seed: 1 })));
  });

  test('option errors', () => {
    assert.throws(
      () => new DataLoader({ dataset, shuffle: true, sampler: new SequentialSampler(10) }),
      /mutually exclusive/,
    );
    assert.throws(() => new DataLoader({ dataset, batchSize: 0 }), /batchSize should be a positive integer/);
    assert.throws(() => new DataLoader({ dataset: { length: 3 } as never }), /get\(index\)/);
    assert.throws(() => new DataLoader({ dataset, numWorkers: -1 }), /numWorkers/);
    assert.throws(() => new DataLoader({ dataset, batchSizes: 2 } as never), /unknown option 'batchSizes'/);
    const noSpec = { length: 2, get: (i: number) => i };
    assert.throws(() => new DataLoader({ dataset: noSpec, numWorkers: 2 }), /workerSpec/);
  });
});
