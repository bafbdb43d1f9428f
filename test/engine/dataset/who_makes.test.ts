// Which thread makes a batch, with workers: the main thread makes the batches that no worker has
// begun while the loop waits (claimed in shared memory, so each batch once), and a complete
// pass leaves its threads to the next one. ThreadTagged tags each batch with the thread that made
// it and counts the batches made in every thread.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DataLoader, type DataLoaderOptions } from '../../../lib/engine/index.js';
import { ThreadTagged } from './fixtures.js';
import { collect, disposeAll, plain, within } from './support.js';

type Tagged = { i: { values: number[] }; thread: { values: number[] } };

/**
 * One pass over ThreadTagged({length, busyMs, ...}) in batches of 2; checks that the batches hold
 * every index in order and that each was made once; gives the thread that made each batch.
 */
async function threadsOfPass(
  data: { length: number; busyMs: number; declineInMain?: boolean },
  options: Omit<DataLoaderOptions, 'dataset'>,
  loop?: () => void,
): Promise<{ threads: number[]; loader: DataLoader }> {
  const made = new Int32Array(new SharedArrayBuffer(4));
  const loader = new DataLoader({ dataset: new ThreadTagged({ ...data, made }), batchSize: 2, ...options });
  const batches: Tagged[] = [];
  const pass = async () => {
    for await (const b of loader) {
      batches.push(plain(b) as Tagged);
      disposeAll(b);
      loop?.();
    }
  };
  await within(pass(), 30000, 'pass');
  assert.deepEqual(
    batches.flatMap((b) => b.i.values),
    Array.from({ length: data.length }, (_, i) => i),
  );
  assert.equal(Atomics.load(made, 0), data.length / 2, 'each batch made once (claimed by one thread)');
  return { threads: batches.map((b) => b.thread.values[0] as number), loader };
}

const busy = (ms: number) => () => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // the loop's own work
  }
};

describe('the main thread makes the batches that no worker has begun when the loop asks', () => {
  test('while the workers start and whenever the loop waits', async () => {
    // 120 batches of 2 ms: the workers (tens of ms to start) are ready long before the end.
    const { threads, loader } = await threadsOfPass({ length: 240, busyMs: 2 }, { numWorkers: 2 });
    assert.equal(threads[0], 0, 'the first batch: the main thread (no worker has started yet)');
    assert.ok(
      threads.some((t) => t !== 0),
      `workers made batches too: ${threads.join(' ')}`,
    );
    assert.equal(loader.activeWorkers, 0);
  });

  test("a loop slower than the workers gets the workers' batches", async () => {
    // A first pass starts the threads; in the second the loop works 8 ms a batch, 4x a batch's.
    await threadsOfPass({ length: 80, busyMs: 2 }, { numWorkers: 2 });
    const { threads } = await threadsOfPass({ length: 80, busyMs: 2 }, { numWorkers: 2 }, busy(8));
    // The first batch is asked for at once; after it, the workers keep ahead of the loop.
    const byMain = threads.slice(1).filter((t) => t === 0).length;
    assert.ok(byMain <= 4, `the main thread made ${byMain} of the 39 later batches: ${threads.join(' ')}`);
  });

  test('while a worker makes the batch asked for, the main thread makes later ones', async () => {
    // One worker, four batches queued for it, 4 ms each, and a loop that only takes them: the
    // loop waits on the worker for every batch, and the main thread works meanwhile.
    const { threads } = await threadsOfPass({ length: 200, busyMs: 4 }, { numWorkers: 1, prefetch: 4 });
    const byMain = threads.filter((t) => t === 0).length;
    assert.ok(byMain >= 25 && byMain < 100, `the main thread made ${byMain} of 100: ${threads.join(' ')}`);
  });

  test('where getRawBatch declines in the main thread, the workers make that batch and the rest', async () => {
    const { threads } = await threadsOfPass({ length: 40, busyMs: 1, declineInMain: true }, { numWorkers: 2 });
    assert.ok(
      threads.every((t) => t !== 0),
      threads.join(' '),
    );
  });

  test('not with a user collate: its samples come from the workers', async () => {
    const ds = new ThreadTagged({ length: 8, busyMs: 0 });
    // A user collate sees the samples of get(), made in the workers from the first batch on.
    const threadsOfSamples = (samples: unknown[]) => (samples as { thread: number }[]).map((x) => x.thread);
    const user = await collect(new DataLoader({ dataset: ds, batchSize: 2, numWorkers: 2, collate: threadsOfSamples }));
    assert.equal(user.length, 4);
    assert.ok(
      user.flat().every((t) => t !== 0),
      JSON.stringify(user),
    );
  });
});

test('after a complete pass its threads serve the next pass of any loader, which builds its dataset anew', async () => {
  const workerThreads = (threads: number[]) => new Set(threads.filter((t) => t !== 0));
  const first = await threadsOfPass({ length: 240, busyMs: 2 }, { numWorkers: 2 });
  const before = workerThreads(first.threads);
  assert.ok(before.size > 0, 'the first pass had its workers make batches');
  assert.equal(first.loader.activeWorkers, 0, "the pass ended: its threads are no longer the loader's");
  // Another loader, another dataset (its own counter of batches made: each made once, by it).
  const after = workerThreads((await threadsOfPass({ length: 120, busyMs: 2 }, { numWorkers: 2 })).threads);
  assert.ok(after.size > 0, 'the workers made batches of the second pass');
  assert.ok(
    [...after].every((t) => before.has(t)),
    `threads ${[...after].join(', ')} are among the first pass's ${[...before].join(', ')}`,
  );
});
