// The task list of a pass: batches taken in order up to the limit the main thread sets (a worker
// waits beyond it), claims that settle who makes a batch, and a batch handed back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { CLAIMED_BY_MAIN, CLAIMED_BY_WORKER, TaskList, UNCLAIMED } from '../../../lib/engine/dataset/task_list.js';
import { within } from './support.js';

describe('TaskList', () => {
  test("a batch's indices come back as given, int32 ones as small integers", () => {
    const list = TaskList.of([[3, 1, 2], [0], [2 ** 40, 1.5, -1]]);
    assert.equal(list.length, 3);
    assert.deepEqual(list.batch(0), [3, 1, 2]);
    assert.deepEqual(list.batch(1), [0]);
    assert.deepEqual(list.batch(2), [2 ** 40, 1.5, -1], 'others as they are, for the dataset to judge');
    const seen = TaskList.from(list.shared);
    assert.deepEqual(seen.batch(2), [2 ** 40, 1.5, -1], 'a view of the same memory');
  });

  test('batches are taken in order up to the limit; a claim is settled once', () => {
    const main = TaskList.of([[0], [1], [2], [3]]);
    const worker = TaskList.from(main.shared);
    main.allow(2);
    assert.equal(main.limit, 2);
    assert.equal(worker.take(), 0);
    assert.equal(worker.claim(0), true);
    assert.equal(main.claimForMain(0), false, 'the worker has it');
    assert.equal(main.claimOf(0), CLAIMED_BY_WORKER);
    assert.equal(main.claimForMain(1), true, 'the main thread makes batch 1 before the worker begins it');
    assert.equal(worker.take(), 1);
    assert.equal(worker.claim(1), false, 'so the worker skips it');
    assert.equal(main.claimOf(1), CLAIMED_BY_MAIN);
    main.allow(1);
    assert.equal(main.limit, 2, 'the limit only moves on');
    main.allow(10);
    assert.equal(main.limit, 4, 'and not past the last batch');
    assert.equal(worker.take(), 2);
    assert.equal(worker.take(), 3);
    assert.equal(worker.take(), -1);
    assert.equal(worker.take(), -1);
  });

  test('a batch the main thread hands back is taken again, before the others', () => {
    const main = TaskList.of([[0], [1], [2]]);
    const worker = TaskList.from(main.shared);
    main.allow(3);
    assert.equal(main.claimForMain(0), true);
    main.handBack(0);
    assert.equal(main.claimOf(0), UNCLAIMED);
    assert.equal(worker.take(), 0, 'the batch handed back');
    assert.equal(worker.claim(0), true);
    assert.equal(worker.take(), 0, 'then the batches in order, from the first');
    assert.equal(worker.claim(0), false, 'which this worker has made already');
    assert.equal(worker.take(), 1);
  });

  test('a worker waits at the limit until the main thread moves it, or hands a batch back', async () => {
    const main = TaskList.of([[0], [1], [2], [3]]);
    const url = new URL('../../../lib/engine/dataset/task_list.js', import.meta.url).href;
    const worker = new Worker(
      `import { parentPort, workerData } from 'node:worker_threads';
       const { TaskList } = await import(workerData.url);
       const tasks = TaskList.from(workerData.shared);
       for (let k = tasks.take(); k >= 0; k = tasks.take()) if (tasks.claim(k)) parentPort.postMessage(k);
       parentPort.postMessage('done');`,
      { eval: true, workerData: { url, shared: main.shared }, type: 'module' } as never,
    );
    const got: (number | string)[] = [];
    worker.on('message', (m: number | string) => got.push(m));
    try {
      const until = async (n: number) => {
        while (got.length < n) await sleep(5);
      };
      main.allow(1);
      await within(until(1), 10000, 'batch 0');
      await sleep(100);
      assert.deepEqual(got, [0], 'nothing past the limit');
      assert.equal(main.claimForMain(1), true);
      main.handBack(1);
      await within(until(2), 10000, 'the batch handed back');
      assert.deepEqual(got, [0, 1]);
      main.allow(4);
      await within(until(5), 10000, 'the rest');
      assert.deepEqual(got, [0, 1, 2, 3, 'done']);
    } finally {
      await worker.terminate();
    }
  });
});
