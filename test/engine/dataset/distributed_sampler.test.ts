// DistributedSampler in one process (rank and world size given): each rank's share, padding,
// dropLast, shuffling per epoch; and DataLoader.setSampler.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as engine from '../../../lib/engine/index.js';

const shares = (n: number, worldSize: number, options: engine.DistributedSamplerOptions = {}) =>
  Array.from({ length: worldSize }, (_, rank) => [
    ...new engine.DistributedSampler(n, { seed: 7, ...options, rank, worldSize }),
  ]);

describe('DistributedSampler', () => {
  test('in order: every worldSize-th index, padded from the start to equal shares', () => {
    assert.deepEqual(shares(10, 4, { shuffle: false }), [
      [0, 4, 8],
      [1, 5, 9],
      [2, 6, 0],
      [3, 7, 1],
    ]);
    const s = new engine.DistributedSampler(10, { shuffle: false, rank: 0, worldSize: 4 });
    assert.deepEqual([s.length, s.totalSize], [3, 12]);
  });

  test('dropLast cuts the tail instead', () => {
    assert.deepEqual(shares(10, 4, { shuffle: false, dropLast: true }), [
      [0, 4],
      [1, 5],
      [2, 6],
      [3, 7],
    ]);
  });

  test('more ranks than samples: the indices repeat', () => {
    assert.deepEqual(shares(2, 3, { shuffle: false }), [[0], [1], [0]]);
    assert.deepEqual(shares(0, 2), [[], []]);
  });

  test('shuffled: the ranks split one permutation, which changes with the epoch and repeats with it', () => {
    const n = 101;
    const epoch = (e: number) =>
      Array.from({ length: 3 }, (_, rank) => {
        const s = new engine.DistributedSampler(n, { seed: 3, rank, worldSize: 3 });
        s.setEpoch(e);
        return s.indices();
      });
    const e0 = epoch(0);
    const all = e0.flat();
    assert.equal(all.length, 102);
    assert.deepEqual(
      [...new Set(all)].sort((a, b) => a - b),
      Array.from({ length: n }, (_, i) => i),
    );
    assert.notDeepEqual(epoch(1), e0);
    assert.deepEqual(epoch(0), e0);
    assert.notDeepEqual(
      e0[0],
      Array.from({ length: 34 }, (_, i) => 3 * i),
      'shuffled',
    );
  });

  test('bad rank or world size', () => {
    assert.throws(
      () => new engine.DistributedSampler(10, { rank: 2, worldSize: 2 }),
      /invalid rank 2, rank should be in \[0, 1\]/,
    );
    assert.throws(
      () => new engine.DistributedSampler(10, { rank: 0, worldSize: 0 }),
      /worldSize must be a positive integer/,
    );
  });

  test('without a process group: rank 0 of 1, the whole dataset', () => {
    const s = new engine.DistributedSampler(5, { shuffle: false });
    assert.deepEqual([s.rank, s.worldSize, [...s]], [0, 1, [0, 1, 2, 3, 4]]);
  });

  test('DataLoader.setSampler: the next pass uses the new sampler at the current epoch', async () => {
    const dataset = { length: 6, get: (i: number) => i };
    const loader = new engine.DataLoader({ dataset, batchSize: 2, collate: (b: unknown[]) => b });
    loader.setEpoch(3);
    const sampler = new engine.DistributedSampler(6, { rank: 1, worldSize: 2, seed: 1 });
    loader.setSampler(sampler);
    assert.equal(sampler.epoch, 3);
    assert.equal(loader.length, 2);
    const seen: unknown[] = [];
    for await (const batch of loader) seen.push(...(batch as number[]));
    assert.deepEqual(seen, sampler.indices());
    assert.throws(() => loader.setSampler({} as never), /expected a sampler/);
  });

  test("a resumed run's seed reaches the launcher's share of a loader's own order (same rank and world)", () => {
    const dataset = { length: 10, get: (i: number) => i };
    const loader = new engine.DataLoader({ dataset, batchSize: 2, shuffle: true, collate: (b: unknown[]) => b });
    // what the launcher puts in place: this loader's order, rank 1's share
    loader.setSampler(
      new engine.DistributedSampler(dataset, { shuffle: true, seed: loader.seed, rank: 1, worldSize: 2 }),
    );
    loader.setEpoch(4);
    loader._adoptSeed(loader.seed + 1);
    const placed = loader.sampler as engine.DistributedSampler;
    const expected = new engine.DistributedSampler(dataset, {
      shuffle: true,
      seed: loader.seed,
      rank: 1,
      worldSize: 2,
    });
    expected.setEpoch(4);
    assert.deepEqual([placed.seed, placed.rank, placed.worldSize, placed.epoch], [loader.seed, 1, 2, 4]);
    assert.deepEqual(placed.indices(), expected.indices());
    // a sampler of the user's, with a seed of its own, is left alone
    const own = new engine.DistributedSampler(dataset, { seed: 12345, rank: 0, worldSize: 2 });
    loader.setSampler(own);
    loader._adoptSeed(loader.seed + 1);
    assert.equal(loader.sampler, own);
  });
});
