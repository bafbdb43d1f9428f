// Mosaic (batch augment) checked exactly on hand-made images: image k is filled with the value
// k, so each quadrant of an output image reveals which source it came from. The centre and the
// partners are either read back from `lastDraws` after a seeded call or pinned by overriding
// the `draw` hook in a subclass.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ImgDataPreprocessor, Mosaic, type MosaicBoxSample, type MosaicDraw } from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { assertAllClose } from '../support.js';

type Tensor = torch.Tensor;

const H = 8;
const W = 8;

/** (n, c, H, W) float images, image k filled with k. */
const indexImages = (n: number, c = 1) =>
  torch
    .arange(n)
    .float()
    .reshape([n, 1, 1, 1])
    .mul(torch.ones([1, c, H, W]));

const grid = (t: Tensor) => t.toArray() as number[][];

/** The expected (H, W) plane of an output image for a draw. */
function expectedPlane(d: MosaicDraw, value = (k: number) => k): number[][] {
  return Array.from({ length: H }, (_, y) =>
    Array.from({ length: W }, (_, x) => value(d.sources[(y < d.cy ? 0 : 2) + (x < d.cx ? 0 : 1)] as number)),
  );
}

/** A Mosaic whose draws are fixed (the documented test hook). */
class PinnedMosaic extends Mosaic {
  constructor(
    private readonly pinned: MosaicDraw[],
    options: ConstructorParameters<typeof Mosaic>[0] = {},
  ) {
    super(options);
  }
  protected override draw(i: number): MosaicDraw {
    return this.pinned[i] as MosaicDraw;
  }
}

describe('Mosaic', () => {
  test('options are checked', () => {
    assert.throws(() => new Mosaic({ prob: 1.5 }), /prob/);
    assert.throws(() => new Mosaic({ prob: -0.1 }), /prob/);
    assert.throws(() => new Mosaic({ centerRatioRange: [0.8, 0.2] }), /centerRatioRange/);
    assert.throws(() => new Mosaic({ centerRatioRange: [-0.1, 0.5] }), /centerRatioRange/);
    const m = new Mosaic();
    assert.equal(m.prob, 1);
    assert.deepEqual(m.centerRatioRange, [0.25, 0.75]);
  });

  test('seeded draws: centre in [H/4, 3H/4], three distinct partners other than i, exact quadrants, shape kept', () => {
    const n = 6;
    const mosaic = new Mosaic({ numClasses: n });
    for (let seed = 0; seed < 8; seed++) {
      torch.manualSeed(seed);
      const x = indexImages(n, 3);
      const before = x.clone();
      const { inputs } = mosaic.call(x, torch.arange(n));
      assert.deepEqual(inputs.shape, [n, 3, H, W]);
      assert.deepEqual(x.toArray(), before.toArray(), 'the inputs are not modified');
      assert.equal(mosaic.lastDraws.length, n);
      mosaic.lastDraws.forEach((d, i) => {
        assert.ok(d.cy >= 2 && d.cy <= 6, `cy ${d.cy}`);
        assert.ok(d.cx >= 2 && d.cx <= 6, `cx ${d.cx}`);
        assert.equal(d.sources[0], i);
        assert.equal(new Set(d.sources).size, 4, `sources ${d.sources} are distinct`);
        for (const s of d.sources) assert.ok(s >= 0 && s < n);
        for (let c = 0; c < 3; c++)
          assert.deepEqual(grid(inputs.at(i, c)), expectedPlane(d), `image ${i} channel ${c}`);
      });
      // The same seed draws the same mosaic.
      torch.manualSeed(seed);
      const again = mosaic.call(indexImages(n, 3), torch.arange(n));
      assert.deepEqual(again.inputs.toArray(), inputs.toArray());
    }
  });

  test('pinned centre and partners: exact pixel regions on 1-channel images', () => {
    const draws: MosaicDraw[] = [
      { cy: 3, cx: 5, sources: [0, 1, 2, 3] },
      { cy: 2, cx: 2, sources: [1, 3, 0, 2] },
      { cy: 6, cx: 4, sources: [2, 2, 1, 0] },
      { cy: 4, cx: 4, sources: [3, 0, 1, 2] },
    ];
    const { inputs } = new PinnedMosaic(draws).call(indexImages(4), null);
    assert.deepEqual(inputs.shape, [4, 1, H, W]);
    // Image 0: rows 0-2 are 0 (cols 0-4) and 1 (cols 5-7); rows 3-7 are 2 then 3.
    assert.deepEqual(grid(inputs.at(0, 0)), [
      [0, 0, 0, 0, 0, 1, 1, 1],
      [0, 0, 0, 0, 0, 1, 1, 1],
      [0, 0, 0, 0, 0, 1, 1, 1],
      [2, 2, 2, 2, 2, 3, 3, 3],
      [2, 2, 2, 2, 2, 3, 3, 3],
      [2, 2, 2, 2, 2, 3, 3, 3],
      [2, 2, 2, 2, 2, 3, 3, 3],
      [2, 2, 2, 2, 2, 3, 3, 3],
    ]);
    draws.forEach((d, i) => {
      assert.deepEqual(grid(inputs.at(i, 0)), expectedPlane(d), `image ${i}`);
    });
  });

  test('crop, not resize: each quadrant holds the source pixels at the same coordinates', () => {
    // Image k's pixel (y, x) is 100 k + 10 y + x.
    const yx = torch
      .arange(H)
      .float()
      .mul(10)
      .reshape([1, 1, H, 1])
      .add(torch.arange(W).float().reshape([1, 1, 1, W]));
    const x = torch.arange(4).float().mul(100).reshape([4, 1, 1, 1]).add(yx);
    const d: MosaicDraw = { cy: 5, cx: 3, sources: [0, 3, 1, 2] };
    const { inputs } = new PinnedMosaic([d, d, d, d]).call(x, null);
    const plane = grid(inputs.at(0, 0));
    for (let y = 0; y < H; y++)
      for (let xx = 0; xx < W; xx++) {
        const src = d.sources[(y < d.cy ? 0 : 2) + (xx < d.cx ? 0 : 1)] as number;
        assert.equal(plane[y]?.[xx], 100 * src + 10 * y + xx, `(${y}, ${xx})`);
      }
  });

  test('class indices: area-weighted scores that sum to 1 per row', () => {
    const n = 4;
    const draws: MosaicDraw[] = [
      { cy: 2, cx: 6, sources: [0, 1, 2, 3] },
      { cy: 4, cx: 4, sources: [1, 2, 3, 0] },
      { cy: 3, cx: 5, sources: [2, 0, 0, 1] },
      { cy: 8, cx: 8, sources: [3, 0, 1, 2] },
    ];
    const { dataSamples } = new PinnedMosaic(draws, { numClasses: 5 }).call(indexImages(n), torch.tensor([0, 1, 2, 3]));
    const scores = dataSamples as Tensor;
    assert.deepEqual(scores.shape, [n, 5]);
    const a = 64;
    assertAllClose(
      scores.flatten().toArray() as number[],
      [
        [12 / a, 4 / a, 36 / a, 12 / a, 0],
        [16 / a, 16 / a, 16 / a, 16 / a, 0],
        // Top-right (3 x 3) and bottom-left (5 x 5) both from image 0, bottom-right (5 x 3) from 1.
        [(9 + 25) / a, 15 / a, 15 / a, 0, 0],
        // A centre at the far corner: the whole image is its own.
        [0, 0, 0, 1, 0],
      ].flat(),
      1e-6,
    );
    assertAllClose(
      (scores.toArray() as number[][]).map((r) => r.reduce((p, q) => p + q, 0)),
      [1, 1, 1, 1],
      1e-6,
      'rows sum to 1',
    );
  });

  test('scores (N, C) are mixed the same way; seeded draws sum to 1 per row', () => {
    const n = 5;
    torch.manualSeed(3);
    const soft = torch.softmax(torch.randn([n, 3]), 1);
    const mosaic = new Mosaic();
    const { dataSamples } = mosaic.call(indexImages(n), soft);
    const out = dataSamples as Tensor;
    assert.deepEqual(out.shape, [n, 3]);
    const s = soft.toArray() as number[][];
    mosaic.lastDraws.forEach((d, i) => {
      const want = [0, 0, 0];
      const areas = [d.cy * d.cx, d.cy * (W - d.cx), (H - d.cy) * d.cx, (H - d.cy) * (W - d.cx)];
      d.sources.forEach((src, q) => {
        for (let c = 0; c < 3; c++) want[c] += ((areas[q] as number) / (H * W)) * (s[src]?.[c] as number);
      });
      assertAllClose((out.at(i).toArray() as number[]) ?? [], want, 1e-6, `row ${i}`);
      assertAllClose([want.reduce((p, q) => p + q, 0)], [1], 1e-5);
    });
    assert.throws(() => new Mosaic().call(indexImages(2), torch.tensor([0, 1])), /numClasses/);
  });

  test('boxes: shifted into the quadrant, clipped to it, zero-area ones dropped with their labels', () => {
    // Centre (cy 4, cx 4); sources 0 (TL), 1 (TR), 2 (BL), 3 (BR).
    const d: MosaicDraw = { cy: 4, cx: 4, sources: [0, 1, 2, 3] };
    const other: MosaicDraw = { cy: 4, cx: 4, sources: [1, 0, 3, 2] };
    const samples: MosaicBoxSample[] = [
      // Image 0: one box inside TL, one crossing into TR (clipped at x = 4), one only in BR (dropped).
      {
        boxes: torch
          .tensor([
            [1, 1, 3, 3],
            [2, 0, 6, 2],
            [5, 5, 7, 7],
          ])
          .float(),
        labels: torch.tensor([10, 11, 12]),
        id: 'a',
      },
      // Image 1: one box spanning the whole image (clipped to TR), one touching x = 4 only (zero width: dropped).
      {
        boxes: torch
          .tensor([
            [0, 0, 8, 8],
            [1, 1, 4, 3],
          ])
          .float(),
        labels: torch.tensor([20, 21]),
        id: 'b',
      },
      // Image 2: no boxes.
      { boxes: torch.zeros([0, 4]), labels: torch.zeros([0], { dtype: 'int64' }), id: 'c' },
      // Image 3: a box in TL only (dropped), a box crossing the centre (clipped to BR).
      {
        boxes: torch
          .tensor([
            [0, 0, 2, 2],
            [3, 3, 6, 7],
          ])
          .float(),
        labels: torch.tensor([30, 31]),
        id: 'd',
      },
    ];
    const { inputs, dataSamples } = new PinnedMosaic([d, other, d, d]).call(indexImages(4), samples);
    assert.deepEqual(inputs.shape, [4, 1, H, W]);
    const out = dataSamples as MosaicBoxSample[];
    assert.equal(out.length, 4);
    assert.equal(out[0]?.id, 'a', 'the other fields of sample i are kept');
    assert.deepEqual(out[0]?.boxes.toArray(), [
      [1, 1, 3, 3],
      [2, 0, 4, 2],
      [4, 0, 8, 4],
      [4, 4, 6, 7],
    ]);
    assert.deepEqual(out[0]?.labels.toArray(), [10, 11, 20, 31]);
    // Draw `other`: TL from 1, TR from 0, BL from 3, BR from 2.
    assert.equal(out[1]?.id, 'b');
    assert.deepEqual(out[1]?.boxes.toArray(), [
      [0, 0, 4, 4],
      [1, 1, 4, 3],
      [4, 0, 6, 2],
      [3, 4, 4, 7],
    ]);
    assert.deepEqual(out[1]?.labels.toArray(), [20, 21, 11, 31]);
    // The inputs' samples are not modified.
    assert.deepEqual(samples[0]?.boxes.toArray(), [
      [1, 1, 3, 3],
      [2, 0, 6, 2],
      [5, 5, 7, 7],
    ]);
  });

  test('boxes: a mosaic with none left gives (0, 4) boxes and (0,) labels', () => {
    // Images 1-3 have one box in the bottom-right corner, image 0 none. With the centre at (6, 6)
    // and sources [i, i, i, 0], the box is clipped to zero area in the TL, TR and BL quadrants,
    // and the BR quadrant comes from image 0, which has no boxes.
    const empty = () => ({ boxes: torch.zeros([0, 4]), labels: torch.zeros([0], { dtype: 'int64' }) });
    const samples: MosaicBoxSample[] = [0, 1, 2, 3].map((i) =>
      i === 0 ? empty() : { boxes: torch.tensor([[6, 6, 8, 8]]).float(), labels: torch.tensor([1]) },
    );
    const draws: MosaicDraw[] = [0, 1, 2, 3].map((i) => ({ cy: 6, cx: 6, sources: [i, i, i, 0] }));
    const { dataSamples } = new PinnedMosaic(draws).call(indexImages(4), samples);
    const out = dataSamples as MosaicBoxSample[];
    for (const s of out) {
      assert.deepEqual(s.boxes.shape, [0, 4]);
      assert.deepEqual(s.labels.shape, [0]);
    }
  });

  test('prob 0 leaves the batch unchanged; prob draws are seeded', () => {
    const x = indexImages(4);
    const y = torch.tensor([0, 1, 2, 3]);
    const mosaic = new Mosaic({ prob: 0, numClasses: 4 });
    for (let k = 0; k < 5; k++) {
      const r = mosaic.call(x, y);
      assert.equal(r.inputs, x);
      assert.equal(r.dataSamples, y);
      assert.deepEqual(mosaic.lastDraws, []);
    }
    torch.manualSeed(5);
    const half = new Mosaic({ prob: 0.5, numClasses: 4 });
    let applied = 0;
    for (let k = 0; k < 40; k++) {
      const r = half.call(x, y);
      applied += r.inputs === x ? 0 : 1;
    }
    assert.ok(applied > 5 && applied < 35, `applied ${applied} of 40`);
    torch.manualSeed(5);
    let again = 0;
    for (let k = 0; k < 40; k++) again += half.call(x, y).inputs === x ? 0 : 1;
    assert.equal(again, applied, 'the same seed applies it the same number of times');
  });

  test('in an ImgDataPreprocessor: applied in training, not in eval', () => {
    torch.manualSeed(11);
    const mosaic = new Mosaic({ numClasses: 4 });
    const pre = new ImgDataPreprocessor({ batchAugments: [mosaic] });
    const batch = { inputs: indexImages(4, 3), dataSamples: torch.tensor([0, 1, 2, 3]) };
    const train = pre.forward(batch, true);
    const inputs = train.inputs as Tensor;
    assert.deepEqual(inputs.shape, [4, 3, H, W]);
    mosaic.lastDraws.forEach((d, i) => {
      assert.deepEqual(grid(inputs.at(i, 1)), expectedPlane(d), `image ${i}`);
    });
    const scores = train.dataSamples as Tensor;
    assert.deepEqual(scores.shape, [4, 4]);
    assertAllClose(
      (scores.toArray() as number[][]).map((r) => r.reduce((a, b) => a + b, 0)),
      [1, 1, 1, 1],
      1e-6,
    );

    mosaic.lastDraws = [];
    const evalOut = pre.forward(batch, false);
    assert.deepEqual((evalOut.inputs as Tensor).toArray(), batch.inputs.toArray());
    assert.deepEqual((evalOut.dataSamples as Tensor).toArray(), [0, 1, 2, 3]);
    assert.deepEqual(mosaic.lastDraws, [], 'not called in eval');
  });
});
