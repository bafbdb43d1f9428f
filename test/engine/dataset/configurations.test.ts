// The DataLoader with workers over many configurations drawn at random (seeded): sizes, batch
// sizes, dropLast, workers, prefetch, persistent or not, a consumer that keeps some batches or
// stops early. Every pass must give the 0-worker batches, never hang, and leave no tensor alive.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataLoader, Random, SyntheticImageDataset } from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { collect, disposeAll, plain, within } from './support.js';

test('random configurations give the batches of the main thread, and free everything', async () => {
  const r = new Random(20261126);
  const live = () => torch.memory().tensors;
  const base = live();
  for (let c = 0; c < 12; c++) {
    const length = r.int(1, 90);
    const options = {
      dataset: new SyntheticImageDataset({
        length,
        channels: r.next() < 0.5 ? 1 : 3,
        format: r.next() < 0.5 ? 'dict' : 'tuple',
        transforms: [
          { type: 'RandomCrop', size: 32, padding: r.int(0, 5) },
          { type: 'RandomFlip', prob: 0.5 },
        ],
      }),
      batchSize: r.int(1, 20),
      dropLast: r.next() < 0.3,
      shuffle: true,
      seed: c,
    };
    const numWorkers = r.int(1, 4);
    const prefetch = r.int(1, 4);
    const persistentWorkers = r.next() < 0.5;
    const keepEvery = r.int(1, 5); // the loop keeps every keepEvery-th batch until the pass ends
    const stopAfter = r.next() < 0.25 ? r.int(0, 4) : Number.POSITIVE_INFINITY;
    const what = JSON.stringify({
      length,
      batchSize: options.batchSize,
      numWorkers,
      prefetch,
      persistentWorkers,
      keepEvery,
      stopAfter,
    });
    const expected = await collect(new DataLoader({ ...options, numWorkers: 0 }));
    const loader = new DataLoader({ ...options, numWorkers, prefetch, persistentWorkers });
    for (let pass = 0; pass < 2; pass++) {
      loader.setEpoch(0);
      const kept: unknown[] = [];
      const got: unknown[] = [];
      await within(
        (async () => {
          for await (const b of loader) {
            got.push(plain(b));
            if (got.length % keepEvery === 0) kept.push(b);
            else disposeAll(b);
            if (got.length > stopAfter) break;
          }
        })(),
        30000,
        what,
      );
      const n = Math.min(expected.length, stopAfter + 1);
      assert.deepEqual(got, expected.slice(0, n), `${what}, pass ${pass}`);
      assert.deepEqual(
        kept.map(plain),
        got.filter((_, i) => (i + 1) % keepEvery === 0),
        `${what}: kept batches`,
      );
      disposeAll(kept);
    }
    await loader.close();
    torch.memory(); // carries out the disposes
    assert.equal(live(), base, `${what}: tensors left alive`);
  }
});
