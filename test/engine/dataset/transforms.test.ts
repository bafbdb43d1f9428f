// RandomCrop, RandomFlip and Compose on hand-made images, with the random draws fixed, checked
// pixel by pixel; their descriptions rebuild them; a sample's draws depend on (seed, epoch, index).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildTransform,
  Compose,
  NDArray,
  Random,
  RandomCrop,
  RandomFlip,
  type RandomSource,
  SyntheticImageDataset,
  sampleContext,
  type TransformSpec,
} from '../../../lib/engine/index.js';

/** Draws given in advance: int() takes from `ints` (checking the range), next() from `floats`. */
function fixed(ints: number[], floats: number[] = []): RandomSource & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    int(lo: number, hi: number) {
      const v = ints.shift();
      if (v === undefined) throw new Error('no more int draws');
      assert.ok(v >= lo && v < hi, `draw ${v} outside [${lo}, ${hi})`);
      calls.push(`int(${lo},${hi})`);
      return v;
    },
    next() {
      const v = floats.shift();
      if (v === undefined) throw new Error('no more float draws');
      calls.push('next');
      return v;
    },
  };
}

// A (2, 3, 4) image: channel 0 holds 1..12 row by row, channel 1 holds 101..112.
const img = new NDArray(
  Uint8Array.from({ length: 24 }, (_, i) => (i < 12 ? i + 1 : 101 + i - 12)),
  [2, 3, 4],
);
const rows = (a: NDArray, c: number): number[][] => {
  const [, h, w] = a.shape as [number, number, number];
  return Array.from({ length: h }, (_, y) =>
    Array.from(a.data.subarray((c * h + y) * w, (c * h + y + 1) * w) as Uint8Array),
  );
};

describe('RandomCrop', () => {
  test('crop without padding at the drawn offset', () => {
    const r = fixed([1, 2]);
    const out = new RandomCrop({ size: [2, 2] }).apply(img, r);
    assert.deepEqual(r.calls, ['int(0,2)', 'int(0,3)'], 'top in [0, H - h], then left in [0, W - w]');
    assert.deepEqual(out.shape, [2, 2, 2]);
    assert.deepEqual(rows(out, 0), [
      [7, 8],
      [11, 12],
    ]);
    assert.deepEqual(rows(out, 1), [
      [107, 108],
      [111, 112],
    ]);
    assert.deepEqual(rows(img, 0)[0], [1, 2, 3, 4], 'the input is not modified');
  });

  test('constant padding of 1 with fill, crop at the corner of the padded image', () => {
    const out = new RandomCrop({ size: [3, 4], padding: 1, fill: 9 }).apply(img, fixed([0, 0]));
    assert.deepEqual(rows(out, 0), [
      [9, 9, 9, 9],
      [9, 1, 2, 3],
      [9, 5, 6, 7],
    ]);
    const out2 = new RandomCrop({ size: [3, 4], padding: 1 }).apply(img, fixed([2, 2]));
    assert.deepEqual(rows(out2, 0), [
      [6, 7, 8, 0],
      [10, 11, 12, 0],
      [0, 0, 0, 0],
    ]);
    assert.deepEqual(rows(out2, 1), [
      [106, 107, 108, 0],
      [110, 111, 112, 0],
      [0, 0, 0, 0],
    ]);
  });

  test('per-channel fill, [left/right, top/bottom] padding, edge and reflect modes', () => {
    const out = new RandomCrop({ size: [3, 6], padding: [1, 0], fill: [7, 200] }).apply(img, fixed([0, 0]));
    assert.deepEqual(rows(out, 0)[0], [7, 1, 2, 3, 4, 7]);
    assert.deepEqual(rows(out, 1)[0], [200, 101, 102, 103, 104, 200]);
    const edge = new RandomCrop({ size: [3, 6], padding: [1, 0], paddingMode: 'edge' }).apply(img, fixed([0, 0]));
    assert.deepEqual(rows(edge, 0), [
      [1, 1, 2, 3, 4, 4],
      [5, 5, 6, 7, 8, 8],
      [9, 9, 10, 11, 12, 12],
    ]);
    const reflect = new RandomCrop({ size: [3, 8], padding: [2, 0], paddingMode: 'reflect' }).apply(img, fixed([0, 0]));
    assert.deepEqual(rows(reflect, 0)[0], [3, 2, 1, 2, 3, 4, 3, 2]);
    const symmetric = new RandomCrop({ size: [3, 8], padding: [2, 0], paddingMode: 'symmetric' }).apply(
      img,
      fixed([0, 0]),
    );
    assert.deepEqual(rows(symmetric, 0)[0], [2, 1, 1, 2, 3, 4, 4, 3]);
    // Mirror padding needs pixels to mirror: torchvision's pad of a tensor refuses more.
    assert.throws(
      () => new RandomCrop({ size: [3, 4], padding: [4, 0], paddingMode: 'reflect' }).apply(img, fixed([0, 0])),
      /reflect padding \(4, 4\) must be less than the image's width 4/,
    );
    assert.throws(
      () => new RandomCrop({ size: [3, 4], padding: [0, 4], paddingMode: 'symmetric' }).apply(img, fixed([0, 0])),
      /symmetric padding \(4, 4\) must be at most the image's height 3/,
    );
  });

  test('no draw when the crop is the whole image; padIfNeeded; too-large crops fail', () => {
    const r = fixed([]);
    const same = new RandomCrop({ size: [3, 4] }).apply(img, r);
    assert.deepEqual(r.calls, []);
    assert.deepEqual(same.data, img.data);
    const padded = new RandomCrop({ size: [3, 6], padIfNeeded: true }).apply(img, fixed([0, 1]));
    // torchvision pads both sides by the missing width: 4 + 2 + 2 = 8 wide, crop from x = 1.
    assert.deepEqual(rows(padded, 0)[0], [0, 1, 2, 3, 4, 0]);
    assert.throws(() => new RandomCrop({ size: 5 }).apply(img, fixed([0, 0])), /larger than the padded image/);
    assert.throws(() => new RandomCrop({ size: 0 }), /positive integer/);
  });

  test('padding then padIfNeeded in a mirror mode mirrors the padded image again, as torchvision', () => {
    // [1 2 3 4] reflect-padded by 1: [2 1 2 3 4 3]; 10 wanted, 6 there: that padded by 4 each
    // side: [4 3 2 1 | 2 1 2 3 4 3 | 4 3 2 1]; the crop from x = 2.
    const out = new RandomCrop({ size: [3, 10], padding: [1, 0], padIfNeeded: true, paddingMode: 'reflect' }).apply(
      img,
      fixed([0, 2]),
    );
    assert.deepEqual(rows(out, 0)[0], [2, 1, 2, 1, 2, 3, 4, 3, 4, 3]);
    // the second padding must be narrower than the padded image (6 wide): 6 on each side is not
    assert.throws(
      () =>
        new RandomCrop({ size: [3, 12], padding: [1, 0], padIfNeeded: true, paddingMode: 'reflect' }).apply(
          img,
          fixed([0, 0]),
        ),
      /reflect padding \(6, 6\) must be less than the image's width 6/,
    );
  });
});

describe('RandomFlip', () => {
  test('horizontal flip when the draw is below prob', () => {
    const flipped = new RandomFlip({ prob: 0.5 }).apply(img, fixed([], [0.49]));
    assert.deepEqual(rows(flipped, 0), [
      [4, 3, 2, 1],
      [8, 7, 6, 5],
      [12, 11, 10, 9],
    ]);
    assert.deepEqual(rows(flipped, 1)[2], [112, 111, 110, 109]);
    const kept = new RandomFlip({ prob: 0.5 }).apply(img, fixed([], [0.5]));
    assert.deepEqual(rows(kept, 0)[0], [1, 2, 3, 4]);
  });

  test('vertical flip; one draw even with prob 0 or 1', () => {
    const r = fixed([], [0.99]);
    const v = new RandomFlip({ prob: 1, direction: 'vertical' }).apply(img, r);
    assert.deepEqual(rows(v, 0), [
      [9, 10, 11, 12],
      [5, 6, 7, 8],
      [1, 2, 3, 4],
    ]);
    const r0 = fixed([], [0]);
    assert.deepEqual(rows(new RandomFlip({ prob: 0 }).apply(img, r0), 0)[0], [1, 2, 3, 4]);
    assert.deepEqual(r0.calls, ['next']);
    assert.throws(() => new RandomFlip({ prob: 2 }), /prob/);
  });
});

describe('Compose and descriptions', () => {
  test('Compose applies in order, drawing from one generator', () => {
    const t = new Compose([{ type: 'RandomCrop', size: [2, 2], padding: 0 }, new RandomFlip({ prob: 0.5 })]);
    const r = fixed([0, 1], [0.1]);
    const out = t.apply(img, r);
    assert.deepEqual(r.calls, ['int(0,2)', 'int(0,3)', 'next']);
    assert.deepEqual(rows(out, 0), [
      [3, 2],
      [7, 6],
    ]);
  });

  test('toJSON descriptions rebuild equal transforms', () => {
    const t = new Compose([
      new RandomCrop({ size: 2, padding: [1, 2, 3, 1], paddingMode: 'reflect' }),
      new RandomFlip({ prob: 0.3, direction: 'vertical' }),
    ]);
    const spec = JSON.parse(JSON.stringify(t.toJSON())) as TransformSpec;
    assert.deepEqual(spec, {
      type: 'Compose',
      transforms: [
        { type: 'RandomCrop', size: 2, padding: [1, 2, 3, 1], paddingMode: 'reflect' },
        { type: 'RandomFlip', prob: 0.3, direction: 'vertical' },
      ],
    });
    const rebuilt = buildTransform(spec);
    const a = t.apply(img, new Random(5));
    const b = rebuilt.apply(img, new Random(5));
    assert.deepEqual(a.data, b.data);
    assert.throws(() => buildTransform({ type: 'Rotate' } as never), /unknown transform/);
  });

  test('a sample is transformed the same for the same (seed, epoch, index), differently otherwise', () => {
    const ds = new SyntheticImageDataset({
      length: 20,
      transforms: [{ type: 'RandomCrop', size: 32, padding: 4 }, { type: 'RandomFlip' }],
    });
    const get = (seed: number, epoch: number, i: number) =>
      (ds.getRaw(i, sampleContext(seed, epoch, i)) as { img: NDArray }).img.data;
    assert.deepEqual(get(1, 0, 3), get(1, 0, 3));
    const variants = new Set(
      [get(1, 0, 3), get(1, 1, 3), get(2, 0, 3), get(1, 2, 3)].map((d) => Buffer.from(d as Uint8Array).toString('hex')),
    );
    assert.ok(variants.size >= 3, 'other epochs and seeds draw other crops');
  });
});
