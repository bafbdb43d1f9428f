// TensorDataset (and NDArrayDataset, its form in data workers): rows by index, the errors, and
// DataLoader passes with 2 workers equal to those without. The values are made so that each row
// says which index it is: x[i] = [3i, 3i + 1, 3i + 2], y[i] = 100 + i, m[i] = [i odd, i even].
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  ConcatDataset,
  DataLoader,
  NDArray,
  NDArrayDataset,
  randomSplit,
  sampleContext,
  TensorDataset,
} from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { collect, disposeAll, plain, within } from './support.js';

type Tensor = torch.Tensor;

const N = 10;
const x = torch.arange(3 * N, { dtype: 'float32' }).reshape([N, 3]);
const yRange = torch.arange(N);
const y = yRange.add(100);
const m = torch.tensor(Array.from({ length: N }, (_, i) => [i % 2 === 1, i % 2 === 0]));

after(() => {
  for (const t of [x, yRange, y, m]) t.dispose();
});

describe('TensorDataset', () => {
  test('sample i is the i-th row of each tensor; negative indices count from the end', () => {
    const ds = new TensorDataset(x, y, m);
    assert.equal(ds.length, N);
    const rows = ds.get(4);
    assert.deepEqual(
      rows.map((r) => plain(r)),
      [
        { dtype: 'float32', shape: [3], values: [12, 13, 14] },
        { dtype: 'int64', shape: [], values: [104] },
        { dtype: 'bool', shape: [2], values: [0, 1] },
      ],
    );
    disposeAll(rows);
    const last = ds.get(-1);
    assert.deepEqual(plain(last[1]), { dtype: 'int64', shape: [], values: [109] });
    disposeAll(last);
    assert.throws(() => ds.get(N), /TensorDataset: index 10 is out of range for a dataset of 10 samples/);
    // The user's tensors stay theirs.
    assert.equal(x.isDisposed, false);
  });

  test('errors: no tensor, a non-tensor, a 0-d tensor, first dimensions that differ', () => {
    assert.throws(() => new TensorDataset(), /TensorDataset: pass at least one tensor/);
    assert.throws(() => new TensorDataset(x, [1, 2] as unknown as Tensor), /TensorDataset: argument 1 is not a tensor/);
    const s = torch.tensor(3);
    const short = torch.zeros([9]);
    try {
      assert.throws(() => new TensorDataset(s), /TensorDataset: tensor 0 is 0-d/);
      assert.throws(
        () => new TensorDataset(x, short),
        /TensorDataset: size mismatch between tensors: tensor 0 has shape \[10, 3\], tensor 1 \[9\]/,
      );
    } finally {
      s.dispose();
      short.dispose();
    }
  });

  test('DataLoader: the same shuffled batches with 2 workers as with 0, each row from one index', async () => {
    const ds = new TensorDataset(x, y, m);
    const before = torch.memory().tensors;
    const run = (numWorkers: number) =>
      within(
        collect(new DataLoader({ dataset: ds, batchSize: 4, shuffle: true, seed: 12, numWorkers })),
        30000,
        `pass with ${numWorkers} workers`,
      );
    const main = (await run(0)) as { values: number[]; shape: number[]; dtype: string }[][];
    assert.equal(torch.memory().tensors, before, 'no tensor left behind by the pass');
    const workers = await run(2);
    assert.deepEqual(workers, main);
    assert.deepEqual(
      main.map((b) => b.map((t) => [t.dtype, t.shape])),
      [
        [
          ['float32', [4, 3]],
          ['int64', [4]],
          ['bool', [4, 2]],
        ],
        [
          ['float32', [4, 3]],
          ['int64', [4]],
          ['bool', [4, 2]],
        ],
        [
          ['float32', [2, 3]],
          ['int64', [2]],
          ['bool', [2, 2]],
        ],
      ],
    );
    const seen: number[] = [];
    for (const [xb, yb, mb] of main as unknown as [
      { values: number[] },
      { values: number[] },
      { values: number[] },
    ][]) {
      yb.values.forEach((v, k) => {
        const i = v - 100;
        seen.push(i);
        assert.deepEqual(xb.values.slice(3 * k, 3 * k + 3), [3 * i, 3 * i + 1, 3 * i + 2]);
        assert.deepEqual(mb.values.slice(2 * k, 2 * k + 2), [i % 2, 1 - (i % 2)]);
      });
    }
    const identity = Array.from({ length: N }, (_, i) => i);
    assert.notDeepEqual(seen, identity, 'shuffled');
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      identity,
    );
  });

  test('numWorkers > 0: CPU tensors of an NDArray dtype only, said clearly; float16 stacks in the main thread', async () => {
    const h = torch.arange(8, { dtype: 'float16' }).reshape([4, 2]);
    const head = y.narrow(0, 0, 4);
    try {
      const ds = new TensorDataset(h, head);
      assert.throws(() => ds.workerSpec(), /TensorDataset: tensor 0 is float16, which data workers cannot hold/);
      assert.equal(ds.getRaw, undefined);
      assert.equal(ds.getRawBatch, undefined);
      const batches = await collect(new DataLoader({ dataset: ds, batchSize: 3, numWorkers: 0 }));
      assert.deepEqual(batches[0], [
        { dtype: 'float16', shape: [3, 2], values: [0, 1, 2, 3, 4, 5] },
        { dtype: 'int64', shape: [3], values: [100, 101, 102] },
      ]);
    } finally {
      h.dispose();
      head.dispose();
    }
  });

  test('getRawBatch gives what default collation makes of getRaw rows', () => {
    const ds = new TensorDataset(x, y, m);
    const idx = [3, -2, 5];
    const ctx = { seed: 0, epoch: 0, keys: idx };
    const batch = ds.getRawBatch(idx, ctx) as NDArray[];
    const rows = idx.map((i) => ds.getRaw(i));
    assert.deepEqual(
      batch.map((b) => [b.dtype, b.shape, Array.from(b.data as Uint8Array, Number)]),
      rows[0]?.map((_, k) => {
        const parts = rows.map((r) => r[k] as NDArray);
        const first = parts[0] as NDArray;
        return [first.dtype, [3, ...first.shape], parts.flatMap((p) => Array.from(p.data as Uint8Array, Number))];
      }),
    );
    assert.deepEqual(plain(ds.getRaw(-2)[2]), { nd: 'bool', shape: [2], values: [0, 1] });
  });

  test('wrapped: randomSplit subsets and a ConcatDataset, with 0 and with 2 workers', async () => {
    const ds = new TensorDataset(x, y, m);
    const [train, val] = randomSplit(ds, [0.7, 0.3], { generator: new torch.Generator().manualSeed(5) });
    const other = torch
      .arange(4 * 3, { dtype: 'float32' })
      .reshape([4, 3])
      .neg();
    const otherY = torch.arange(4).add(200);
    const otherM = torch.zeros([4, 2], { dtype: 'bool' });
    try {
      const cat = new ConcatDataset([ds, new TensorDataset(other, otherY, otherM)]);
      for (const dataset of [train, val, cat]) {
        const run = (numWorkers: number) =>
          within(collect(new DataLoader({ dataset, batchSize: 3, shuffle: true, seed: 2, numWorkers })), 30000, 'pass');
        const a = (await run(0)) as { values: number[] }[][];
        assert.deepEqual(await run(2), a);
        const ys = a.flatMap((b) => (b[1] as { values: number[] }).values).sort((p, q) => p - q);
        const want =
          dataset === cat
            ? [...Array.from({ length: N }, (_, i) => 100 + i), 200, 201, 202, 203]
            : (dataset as typeof train).indices.map((i) => 100 + i).sort((p, q) => p - q);
        assert.deepEqual(ys, want);
      }
      assert.deepEqual(plain(cat.getRaw(11, sampleContext(0, 0, 11))), [
        { nd: 'float32', shape: [3], values: [-3, -4, -5] },
        { nd: 'int64', shape: [], values: [201] },
        { nd: 'bool', shape: [2], values: [0, 0] },
      ]);
    } finally {
      for (const t of [other, otherY, otherM]) t.dispose();
    }
  });

  test('its workers get NDArrays in shared memory, and gather each batch in one go', () => {
    const ds = new TensorDataset(x, y);
    const spec = ds.workerSpec();
    const arrays = spec.args[0] as { data: Float32Array }[];
    assert.ok(arrays.every((a) => a.data.buffer instanceof SharedArrayBuffer));
    const inWorker = new NDArrayDataset(arrays as unknown as NDArray[]);
    const batch = inWorker.getRawBatch([7, -1, 0], { seed: 0, epoch: 0, keys: [7, -1, 0] }) as NDArray[];
    assert.deepEqual(
      batch.map((b) => [b.dtype, b.shape, Array.from(b.data as Float32Array, Number)]),
      [
        ['float32', [3, 3], [21, 22, 23, 27, 28, 29, 0, 1, 2]],
        ['int64', [3], [107, 109, 100]],
      ],
    );
    assert.equal(inWorker.getRawBatch([10], { seed: 0, epoch: 0, keys: [10] }), undefined);
    assert.throws(
      () => new NDArrayDataset([new NDArray(new Float32Array(4)), new NDArray(new Float32Array(3))]),
      /NDArrayDataset: size mismatch between arrays/,
    );
  });
});
