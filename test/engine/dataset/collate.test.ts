// defaultCollate and pseudoCollate on nested samples; the tensor-free collates of the workers
// give the same batches as the tensor ones.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rawDefaultCollate, rawPseudoCollate } from '../../../lib/engine/dataset/collate_raw.js';
import { defaultCollate, NDArray, pseudoCollate, tensorize } from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { plain } from './support.js';

type Tensor = torch.Tensor;

const sample = (i: number) => ({
  img: torch
    .tensor([
      [i, i + 1],
      [i + 2, i + 3],
    ])
    .to('uint8'),
  label: i,
  score: i + 0.5,
  flag: i % 2 === 0,
  name: `n${i}`,
  pair: [i * 10, torch.tensor([i, -i], { dtype: 'float32' })],
  meta: { id: i, box: new Float32Array([i, i / 4]) },
});

describe('defaultCollate', () => {
  test('stacks tensors, typed arrays and numbers; keeps strings; recurses into objects and arrays', () => {
    torch.scope(() => {
      const b = defaultCollate([sample(0), sample(1), sample(2)]) as Record<string, unknown>;
      const img = b.img as Tensor;
      assert.deepEqual(img.shape, [3, 2, 2]);
      assert.equal(img.dtype, 'uint8');
      assert.deepEqual(img.toArray(), [
        [
          [0, 1],
          [2, 3],
        ],
        [
          [1, 2],
          [3, 4],
        ],
        [
          [2, 3],
          [4, 5],
        ],
      ]);
      assert.equal((b.label as Tensor).dtype, 'int64');
      assert.deepEqual((b.label as Tensor).toArray(), [0, 1, 2]);
      assert.equal((b.score as Tensor).dtype, 'float64', 'non-integer numbers give float64, as Python floats');
      assert.deepEqual((b.score as Tensor).toArray(), [0.5, 1.5, 2.5]);
      assert.equal((b.flag as Tensor).dtype, 'bool');
      assert.deepEqual((b.flag as Tensor).toArray(), [true, false, true]);
      assert.deepEqual(b.name, ['n0', 'n1', 'n2']);
      const [p0, p1] = b.pair as [Tensor, Tensor];
      assert.deepEqual(p0.toArray(), [0, 10, 20]);
      assert.deepEqual(p1.shape, [3, 2]);
      assert.deepEqual(p1.toArray(), [
        [0, -0],
        [1, -1],
        [2, -2],
      ]);
      const meta = b.meta as { id: Tensor; box: Tensor };
      assert.deepEqual(meta.id.toArray(), [0, 1, 2]);
      assert.equal(meta.box.dtype, 'float32');
      assert.deepEqual(meta.box.toArray(), [
        [0, 0],
        [1, 0.25],
        [2, 0.5],
      ]);
    });
  });

  test('tuple samples collate to [imgs, labels]', () => {
    torch.scope(() => {
      const b = defaultCollate([
        [torch.zeros([1, 2, 2]), 3],
        [torch.ones([1, 2, 2]), 4],
      ]) as [Tensor, Tensor];
      assert.ok(Array.isArray(b));
      assert.deepEqual(b[0].shape, [2, 1, 2, 2]);
      assert.deepEqual(b[1].toArray(), [3, 4]);
    });
  });

  test('NDArrays are stacked like tensors', () => {
    const b = defaultCollate([
      new NDArray(new Uint8Array([1, 2, 3]), [3, 1]),
      new NDArray(new Uint8Array([4, 5, 6]), [3, 1]),
    ]) as Tensor;
    assert.deepEqual(b.shape, [2, 3, 1]);
    assert.equal(b.dtype, 'uint8');
    assert.deepEqual(b.flatten().toArray(), [1, 2, 3, 4, 5, 6]);
    b.dispose();
  });

  test('errors name the path', () => {
    assert.throws(
      () => defaultCollate([{ a: [1, 2] }, { a: [1] }]),
      /each element in list of batch should be of equal size \(batch\.a/,
    );
    assert.throws(() => defaultCollate([{ a: null }, { a: null }]), /batch\.a must contain tensors.*found null/);
    assert.throws(() => defaultCollate([{ a: 1 }, { b: 1 }]), /sample 1 of batch has no key 'a'/);
    assert.throws(() => defaultCollate([new Float32Array(2), new Float32Array(3)]), /different shapes/);
    assert.throws(() => torch.scope(() => defaultCollate([torch.zeros([2]), torch.zeros([3])])), /stack/);
    assert.throws(() => defaultCollate([]), /non-empty/);
  });

  test('the tensor-free collate of the workers gives the same batch', () => {
    const rawSample = (i: number) => ({
      img: new NDArray(new Uint8Array([i, i + 1, i + 2, i + 3]), [2, 2]),
      label: i,
      score: i + 0.5,
      flag: i % 2 === 0,
      name: `n${i}`,
      pair: [i * 10, new NDArray(new Float32Array([i, -i]))],
      meta: { id: i, box: new Float32Array([i, i / 4]) },
    });
    torch.scope(() => {
      const samples = [0, 1, 2].map(rawSample);
      const viaTensors = defaultCollate(samples.map((s) => tensorize(s)));
      const viaRaw = tensorize(rawDefaultCollate(samples), true);
      assert.deepEqual(plain(viaRaw), plain(viaTensors));
      assert.deepEqual(plain(defaultCollate(samples)), plain(viaTensors));
    });
  });
});

describe('pseudoCollate', () => {
  test('lists per key and per position, tensors unstacked, as MMEngine pseudo_collate', () => {
    torch.scope(() => {
      const s = [sample(0), sample(1)];
      const b = pseudoCollate(s) as Record<string, unknown>;
      assert.ok(Array.isArray(b.img));
      assert.equal((b.img as Tensor[])[0], s[0]?.img, 'the samples own tensors, not copies');
      assert.equal((b.img as Tensor[])[1], s[1]?.img);
      assert.deepEqual(b.label, [0, 1]);
      assert.deepEqual(b.name, ['n0', 'n1']);
      assert.deepEqual(b.flag, [true, false]);
      const pair = b.pair as [number[], Tensor[]];
      assert.deepEqual(pair[0], [0, 10]);
      assert.equal(pair[1][1], s[1]?.pair[1]);
      const meta = b.meta as { id: number[]; box: Float32Array[] };
      assert.deepEqual(meta.id, [0, 1]);
      assert.equal(meta.box[0], s[0]?.meta.box);
      // Strings and other leaves at the top: the batch as a list.
      assert.deepEqual(pseudoCollate(['a', 'b']), ['a', 'b']);
      assert.deepEqual(pseudoCollate([1, 2, 3]), [1, 2, 3]);
      assert.throws(() => pseudoCollate([[1, 2], [1]]), /equal size/);
    });
  });

  test('the tensor-free pseudo collate, made tensors afterwards, matches', () => {
    const samples = [0, 1].map((i) => ({ x: new NDArray(new Float32Array([i, i])), y: [i, `t${i}`] }));
    torch.scope(() => {
      const viaRaw = tensorize(rawPseudoCollate(samples));
      const viaTensors = pseudoCollate(samples.map((s) => tensorize(s)));
      assert.deepEqual(plain(viaRaw), plain(viaTensors));
      const x = (viaRaw as { x: Tensor[] }).x;
      assert.equal(x.length, 2);
      assert.deepEqual(x[1]?.toArray(), [1, 1]);
    });
  });
});
