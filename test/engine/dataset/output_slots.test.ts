// The output slots of the data workers: batches written into shared memory that the main
// thread's tensors view, a slot reused only once nothing holds it, and batches that stay right
// when a consumer keeps them (the workers then send them the old way).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { fromWire } from '../../../lib/engine/dataset/ndarray.js';
import { OutputSlots, release, SlotReader } from '../../../lib/engine/dataset/output_slots.js';
import { TaskList } from '../../../lib/engine/dataset/task_list.js';
import type { PostedMessage } from '../../../lib/engine/dataset/worker.js';
import { DataLoader, SyntheticImageDataset } from '../../../lib/engine/index.js';
import type * as torch from '../../../lib/index.js';
import { collect, disposeAll, plain, within } from './support.js';

describe('OutputSlots', () => {
  test("the main thread's reader knows each buffer once, and forgets the ones retired", () => {
    const slots = new OutputSlots(1);
    const reader = new SlotReader();
    const send = () => {
      const view = slots.describe(slots.place(Uint8Array.from([1, 2, 3])));
      const index = slots.finish().index;
      return { view, index, update: slots.takeUpdate() };
    };
    slots.begin();
    const first = send();
    assert.ok(first.update?.counters, 'the counters come with the first batch');
    assert.equal(first.update?.added?.length, 1);
    const ref = reader.read(first.update, first.index);
    assert.deepEqual(Array.from(reader.view(first.view) as Uint8Array), [1, 2, 3]);
    release(ref);
    slots.begin(); // the slot's buffer (8 bytes) fits the next batch: nothing new to tell
    const second = send();
    assert.equal(second.update, undefined);
    assert.deepEqual(reader.view(second.view), reader.view(first.view));
    release(reader.read(second.update, second.index));
    slots.begin();
    slots.allocate(Uint8Array, 100); // outgrows the slot: a new buffer
    const third = send();
    assert.equal(third.update?.added?.length, 1);
    release(reader.read(third.update, third.index));
    slots.begin(); // the slot grows to fit: its two buffers retired, one added
    const fourth = send();
    assert.equal(fourth.update?.retired?.length, 2);
    assert.equal(fourth.update?.added?.length, 1);
    reader.read(fourth.update, fourth.index);
    assert.throws(() => reader.view(first.view), /unknown slot buffer/);
    assert.deepEqual(Array.from(reader.view(fourth.view) as Uint8Array), [1, 2, 3]);
  });

  test('a batch is written into a free slot, held by its message, and the slot is reused once released', () => {
    const slots = new OutputSlots(2);
    assert.equal(slots.begin(), true);
    const img = slots.allocate(Uint8Array, 5);
    const labels = slots.allocate(BigInt64Array, 2);
    assert.ok(img.buffer instanceof SharedArrayBuffer);
    assert.ok(labels.buffer instanceof SharedArrayBuffer);
    assert.equal(labels.byteOffset % 8, 0, 'aligned');
    assert.equal(slots.place(img), img, 'an array already in the slot stays as it is');
    const copied = slots.place(new Float32Array([1.5, -2]));
    assert.ok(copied instanceof Float32Array);
    assert.ok(copied.buffer instanceof SharedArrayBuffer);
    assert.deepEqual(Array.from(copied), [1.5, -2]);
    const first = slots.finish();
    assert.equal(first.counters[first.index], 1, 'held by the message');

    assert.equal(slots.begin(), true, 'the other slot');
    const second = slots.allocate(Uint8Array, 4);
    assert.notEqual(second.buffer, img.buffer);
    const ref2 = slots.finish();
    assert.notEqual(ref2.index, first.index);
    assert.equal(slots.begin(), false, 'both held');

    release(first);
    assert.equal(slots.begin(), true, 'the released slot');
    slots.abandon();
    assert.equal(slots.begin(), true, 'an abandoned batch leaves its slot free');
  });

  test('a batch whose message could not be sent frees its slot, and its news go with the next batch', () => {
    const slots = new OutputSlots(1);
    const reader = new SlotReader();
    slots.begin();
    slots.describe(slots.place(Uint8Array.from([7])));
    const refused = slots.finish();
    const lost = slots.takeUpdate();
    assert.ok(lost?.counters && lost.added?.length === 1);
    slots.unsend(refused, lost); // postMessage threw (an unclonable value in the batch)
    assert.equal(slots.begin(), true, 'the slot is free again');
    const view = slots.describe(slots.place(Uint8Array.from([8])));
    const index = slots.finish().index;
    const update = slots.takeUpdate();
    assert.ok(update?.counters, 'the counters are told again');
    assert.deepEqual(update?.added, lost.added);
    reader.read(update, index);
    assert.deepEqual(Array.from(reader.view(view) as Uint8Array), [8]);
  });

  test('a batch larger than its slot goes on in a new buffer, and the slot grows to fit the next one whole', () => {
    const slots = new OutputSlots(1);
    slots.begin();
    const small = slots.allocate(Uint8Array, 8);
    release(slots.finish());
    slots.begin();
    const a = slots.allocate(Uint8Array, 8);
    assert.equal(a.buffer, small.buffer);
    const b = slots.allocate(Float64Array, 3); // does not fit the 8 bytes left: a new buffer
    assert.notEqual(b.buffer, a.buffer);
    assert.equal(b.byteOffset, 0);
    b.set([1, 2, 3]);
    assert.deepEqual(
      Array.from(slots.place(b) as Float64Array),
      [1, 2, 3],
      'an array of the batch in its second buffer stays',
    );
    assert.equal(slots.place(b), b);
    const ref = slots.finish();
    release(ref);
    slots.begin();
    const c = slots.allocate(Uint8Array, 8);
    const d = slots.allocate(Float64Array, 3);
    assert.equal(c.buffer, d.buffer, 'the grown slot holds the whole batch');
    assert.ok(c.buffer.byteLength >= 32);
  });
});

/** A data worker thread, spoken to directly: init, a pass of batches of two, and the batches it posts. */
function startWorker(slots: number, batches: number) {
  const worker = new Worker(new URL('../../../lib/engine/dataset/worker.js', import.meta.url));
  const ds = new SyntheticImageDataset({ length: 64, channels: 3, format: 'tuple' });
  const tasks = TaskList.of(Array.from({ length: batches }, (_, k) => [2 * k, 2 * k + 1]));
  worker.postMessage({ type: 'init', spec: ds.workerSpec(), collate: 'default', workerId: 0, slots });
  worker.postMessage({ type: 'pass', pass: 1, tasks: tasks.shared, epoch: 0, seed: 5 });
  const received: PostedMessage[] = [];
  let wake: (() => void) | null = null;
  worker.on('message', (m: PostedMessage) => {
    received.push(m);
    wake?.();
  });
  const reader = new SlotReader();
  /** Lets the worker make batch k, and waits for it (its arrays as views, as the main thread reads them). */
  const batch = async (k: number) => {
    tasks.allow(k + 1);
    while (received.length === 0) await new Promise<void>((r) => (wake = r));
    const m = received.shift() as Extract<PostedMessage, { type: 'batch' }>;
    assert.equal(m.type, 'batch');
    assert.equal(m.k, k);
    if (m.slot === undefined) return { data: m.data, slot: undefined };
    assert.ok(!holdsViews(m.data), 'the message says where the arrays lie, without views');
    const slot = reader.read(m.update, m.slot); // first: it learns the buffers
    return { data: fromWire(m.data, (v) => reader.view(v)), slot };
  };
  return { worker, batch, ds };
}

const holdsViews = (v: unknown): boolean =>
  ArrayBuffer.isView(v) || (v !== null && typeof v === 'object' && Object.values(v).some(holdsViews));

type Wire = [{ data: Uint8Array; shape: number[] }, { data: BigInt64Array }];

describe('a data worker writes its batches into its output slots', () => {
  test('a released slot is written again; held ones are not; with every slot held, the batch is transferred', async () => {
    const { worker, batch, ds } = startWorker(2, 6);
    try {
      const pixels = (indices: number[]) =>
        (ds.getRawBatch(indices, { seed: 5, epoch: 0, keys: indices }) as [{ data: Uint8Array }, unknown])[0].data;
      const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);
      // The first batch in each slot sizes it.
      const first = await within(batch(0), 20000, 'batch 0');
      const second = await batch(1);
      const [img0, labels0] = first.data as Wire;
      assert.ok(first.slot && second.slot, 'sent from slots');
      assert.notEqual(first.slot.index, second.slot.index);
      assert.ok(img0.data.buffer instanceof SharedArrayBuffer);
      assert.ok(labels0.data.buffer instanceof SharedArrayBuffer, 'the labels too');
      assert.deepEqual(img0.shape, [2, 3, 32, 32]);
      assert.ok(same(img0.data, pixels([0, 1])));
      release(first.slot);
      release(second.slot);

      const a = await batch(2);
      const b = await batch(3);
      assert.ok(a.slot && b.slot);
      const [aImg, aLabels] = a.data as Wire;
      assert.equal(aLabels.data.buffer, aImg.data.buffer, 'a sized slot holds the whole batch');
      const c = await batch(4); // both held
      assert.equal(c.slot, undefined, 'transferred');
      const [cImg] = c.data as Wire;
      assert.ok(cImg.data.buffer instanceof ArrayBuffer);
      assert.ok(same(cImg.data, pixels([8, 9])));
      assert.ok(same(aImg.data, pixels([4, 5])), 'a held slot is left as it was');

      release(a.slot);
      const d = await batch(5);
      assert.equal(d.slot?.index, a.slot.index, 'the released slot');
      assert.ok(same(aImg.data, pixels([10, 11])), "batch 2's memory now holds batch 5");
      release(b.slot);
      release(d.slot);
    } finally {
      await worker.terminate();
    }
  });
});

describe('DataLoader batches from the slots', () => {
  const dataset = new SyntheticImageDataset({
    length: 200,
    format: 'dict',
    transforms: [
      { type: 'RandomCrop', size: 32, padding: 4 },
      { type: 'RandomFlip', prob: 0.5 },
    ],
  });
  const options = { dataset, batchSize: 8, shuffle: true, seed: 3 } as const;

  test('a consumer that keeps every batch of a pass gets them right (more batches than slots)', async () => {
    const expected = await collect(new DataLoader({ ...options, numWorkers: 0 }));
    const kept: unknown[] = [];
    for await (const b of new DataLoader({ ...options, numWorkers: 2 })) kept.push(b);
    assert.equal(kept.length, 25);
    assert.deepEqual(kept.map(plain), expected);
    disposeAll(kept);
  });

  test('writes to a batch tensor do not reach later batches; a disposed batch frees its slot for them', async () => {
    const expected = await collect(new DataLoader({ ...options, numWorkers: 0 }));
    const loader = new DataLoader({ ...options, numWorkers: 2, persistentWorkers: true });
    try {
      for (let pass = 0; pass < 2; pass++) {
        loader.setEpoch(0);
        const got: unknown[] = [];
        for await (const b of loader as AsyncIterable<{ img: torch.Tensor; label: torch.Tensor }>) {
          got.push(plain(b));
          b.img.fill_(255); // in place, in the slot's memory
          disposeAll(b);
        }
        assert.deepEqual(got, expected, `pass ${pass}`);
      }
    } finally {
      await loader.close();
    }
  });
});
