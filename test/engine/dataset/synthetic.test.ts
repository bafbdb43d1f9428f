// The built-in synthetic set: deterministic from its seed, balanced, train and test disjoint
// draws, the sizes and channel counts it offers.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { SYNTHETIC_CLASSES, SyntheticImageDataset } from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';

type Tensor = torch.Tensor;

const digest = (ds: SyntheticImageDataset, n: number): string => {
  const h = createHash('sha256');
  for (let i = 0; i < n; i++) h.update(ds.image(i).data);
  return h.digest('hex');
};

describe('SyntheticImageDataset', () => {
  test('the same seed gives the same images; another seed or split other ones', () => {
    const a = new SyntheticImageDataset({ seed: 1, length: 50 });
    assert.equal(digest(a, 50), digest(new SyntheticImageDataset({ seed: 1, length: 50 }), 50));
    assert.notEqual(digest(a, 50), digest(new SyntheticImageDataset({ seed: 2, length: 50 }), 50));
    assert.notEqual(digest(a, 50), digest(new SyntheticImageDataset({ seed: 1, length: 50, split: 'test' }), 50));
    // The length does not change sample i.
    assert.deepEqual(new SyntheticImageDataset({ seed: 1, length: 5000 }).image(7).data, a.image(7).data);
  });

  test('balanced: sample i has class i % numClasses; defaults 10000 / 2000, (3, 32, 32)', () => {
    const ds = new SyntheticImageDataset();
    assert.equal(ds.length, 10000);
    assert.equal(new SyntheticImageDataset({ split: 'test' }).length, 2000);
    assert.deepEqual(ds.classes, [...SYNTHETIC_CLASSES]);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < ds.length; i++) counts[ds.label(i)]++;
    assert.deepEqual(counts, new Array(10).fill(1000));
    torch.scope(() => {
      const s = ds.get(13) as { img: Tensor; label: number };
      assert.deepEqual(s.img.shape, [3, 32, 32]);
      assert.equal(s.img.dtype, 'uint8');
      assert.equal(s.label, 3);
    });
  });

  test('1 channel, 28x28, fewer classes; images use the value range and classes differ', () => {
    const ds = new SyntheticImageDataset({ channels: 1, size: 28, numClasses: 4, length: 40 });
    const img = ds.image(0);
    assert.deepEqual(img.shape, [1, 28, 28]);
    assert.equal(ds.label(5), 1);
    assert.deepEqual(ds.classes, SYNTHETIC_CLASSES.slice(0, 4));
    let min = 255;
    let max = 0;
    for (const v of img.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    assert.ok(max - min > 60, `contrast ${max - min}`);
    // Mean absolute difference between images of two classes is well above that within noise.
    const mad = (x: Uint8Array, y: Uint8Array) =>
      x.reduce((s, v, i) => s + Math.abs(v - (y[i] as number)), 0) / x.length;
    assert.ok(mad(ds.image(0).data, ds.image(1).data) > 10);
    assert.throws(() => new SyntheticImageDataset({ numClasses: 11 }), /numClasses/);
    assert.throws(() => new SyntheticImageDataset({ channels: 2 as never }), /channels/);
  });

  test('formats: tuple and packed', () => {
    torch.scope(() => {
      const [img, label] = new SyntheticImageDataset({ length: 3, format: 'tuple' }).get(2) as [Tensor, number];
      assert.deepEqual(img.shape, [3, 32, 32]);
      assert.equal(label, 2);
      const packed = new SyntheticImageDataset({ length: 3, format: 'packed' }).get(1) as {
        inputs: Tensor;
        dataSamples: number;
      };
      assert.deepEqual(packed.inputs.shape, [3, 32, 32]);
      assert.equal(packed.dataSamples, 1);
    });
  });
});
