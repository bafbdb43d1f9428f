// Batch augments (spec section 3), checked exactly on hand-made inputs: labels are arange(N)
// with numClasses N, so that the mixed scores reveal lam and the permutation, and image i is
// filled with the value i, so that MixUp's blend and CutMix's pasted box (and the lam corrected
// to its area) can be read off the pixels.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AugmentResult,
  CutMix,
  ImgDataPreprocessor,
  MixUp,
  RandomBatchAugment,
} from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { assertAllClose, mean } from '../support.js';

type Tensor = torch.Tensor;

const N = 6;
const H = 16;
const W = 20;

/** (N, 1, H, W) float images, image i filled with i. */
const indexImages = () =>
  torch
    .arange(N)
    .float()
    .reshape([N, 1, 1, 1])
    .mul(torch.ones([1, 1, H, W]));
const labels = () => torch.arange(N);
const rows = (t: Tensor) => t.toArray() as number[][];

/** lam and the permutation read off scores lam * I + (1 - lam) * P. */
function readScores(scores: number[][]): { lam: number | null; index: number[] } {
  let lam: number | null = null;
  const index = scores.map((row, i) => {
    const others = row.map((v, j) => [v, j] as const).filter(([v, j]) => j !== i && v !== 0);
    if (others.length === 0) return i;
    assert.equal(others.length, 1, `row ${i} mixes more than two classes`);
    const own = row[i] as number;
    if (lam === null) lam = own;
    else assert.ok(Math.abs(own - lam) < 1e-6, 'one lam per batch');
    return (others[0] as readonly [number, number])[1];
  });
  return { lam, index };
}

const isPermutation = (index: number[]) => [...index].sort((a, b) => a - b).every((v, i) => v === i);

describe('MixUp', () => {
  test('alpha must be a number greater than 0', () => {
    assert.throws(() => new MixUp({ alpha: 0 }), /alpha must be a number greater than 0/);
    assert.throws(() => new MixUp({ alpha: -1 }), /alpha/);
    assert.throws(() => new MixUp({ alpha: '1' as never }), /alpha/);
    new MixUp({ alpha: 1 });
  });

  test('inputs = lam x + (1 - lam) x[index] and scores = lam y + (1 - lam) y[index], one lam and one permutation', () => {
    const mix = new MixUp({ alpha: 1, numClasses: N });
    let mixedRows = 0;
    for (let seed = 0; seed < 5; seed++) {
      torch.manualSeed(seed);
      const x = indexImages();
      const { inputs, dataSamples } = mix.call(x, labels());
      const scores = rows(dataSamples as Tensor);
      const { lam, index } = readScores(scores);
      assert.ok(isPermutation(index), `index ${index} is a permutation`);
      assert.ok(lam !== null && lam > 0 && lam < 1);
      for (let i = 0; i < N; i++) {
        const j = index[i] as number;
        mixedRows += j !== i ? 1 : 0;
        const want = new Array(H * W).fill(Math.fround(lam * i + (1 - lam) * j));
        assertAllClose(Array.from(inputs.at(i).flatten().toTypedArray() as Float32Array), want, 1e-5, `image ${i}`);
        assertAllClose(
          scores[i] as number[],
          scores[i]?.map((_, k) => (k === i ? (j === i ? 1 : lam) : k === j ? 1 - lam : 0)) as number[],
          1e-6,
          `row ${i}`,
        );
      }
      // A new tensor: the input is not modified.
      assert.ok(x.equal(indexImages()));
      assert.notEqual(inputs, x);
    }
    assert.ok(mixedRows > 0);
  });

  test('scores given as (N, C) are mixed as floats; class indices need numClasses; other shapes are refused', () => {
    torch.manualSeed(3);
    const soft = torch.tensor([
      [1, 0],
      [0, 1],
    ]);
    const out = new MixUp({ alpha: 1 }).call(torch.zeros([2, 1, 2, 2]), soft).dataSamples as Tensor;
    assert.equal(out.dtype, 'float32');
    for (const row of rows(out)) assert.ok(Math.abs((row[0] as number) + (row[1] as number) - 1) < 1e-6);
    assert.throws(() => new MixUp({ alpha: 1 }).call(torch.zeros([2, 1, 2, 2]), torch.tensor([0, 1])), /numClasses/);
    assert.throws(
      () => new MixUp({ alpha: 1, numClasses: 2 }).call(torch.zeros([2, 1, 2, 2]), torch.zeros([2, 2, 2])),
      /labels must be/,
    );
    assert.throws(() => new MixUp({ alpha: 1, numClasses: 2 }).call(torch.zeros([2, 1, 2, 2]), [1, 2]), TypeError);
  });

  test('lam ~ Beta(alpha, alpha): mean 1/2 and variance 1 / (4 (2 alpha + 1))', () => {
    torch.manualSeed(7);
    for (const alpha of [0.5, 2]) {
      const mix = new MixUp({ alpha });
      const lams = Array.from({ length: 600 }, () => (mix as unknown as { beta(): number }).beta());
      assert.ok(lams.every((l) => l >= 0 && l <= 1));
      const m = mean(lams);
      const v = mean(lams.map((l) => (l - m) ** 2));
      const want = 1 / (4 * (2 * alpha + 1));
      assert.ok(Math.abs(m - 0.5) < 0.04, `alpha ${alpha}: mean ${m}`);
      assert.ok(Math.abs(v - want) < 0.25 * want, `alpha ${alpha}: variance ${v} vs ${want}`);
    }
  });
});

describe('CutMix', () => {
  /** The box that differs from each image's own value, and the value pasted into each image. */
  function readBox(x: Tensor): { box: [number, number, number, number] | null; source: number[] } {
    const imgs = x.toArray() as number[][][][];
    let y1 = H;
    let y2 = 0;
    let x1 = W;
    let x2 = 0;
    imgs.forEach((img, i) => {
      (img[0] as number[][]).forEach((row, y) => {
        row.forEach((v, xx) => {
          if (v !== i) {
            y1 = Math.min(y1, y);
            y2 = Math.max(y2, y + 1);
            x1 = Math.min(x1, xx);
            x2 = Math.max(x2, xx + 1);
          }
        });
      });
    });
    if (y2 === 0) return { box: null, source: imgs.map((_, i) => i) };
    const source = imgs.map((img, i) => {
      const plane = img[0] as number[][];
      const v = plane[y1]?.[x1] as number;
      plane.forEach((row, y) => {
        row.forEach((p, xx) => {
          const inside = y >= y1 && y < y2 && xx >= x1 && xx < x2;
          assert.equal(p, inside ? v : i, `image ${i} pixel (${y}, ${xx})`);
        });
      });
      return v;
    });
    return { box: [y1, y2, x1, x2], source };
  }

  test('pastes one box of x[index] into x in place; lam is corrected to 1 - box area / (H W)', () => {
    const cut = new CutMix({ alpha: 1, numClasses: N });
    let boxes = 0;
    for (let seed = 0; seed < 8; seed++) {
      torch.manualSeed(seed);
      const x = indexImages();
      const { inputs, dataSamples } = cut.call(x, labels());
      assert.equal(inputs, x, 'in place: the same tensor');
      const { box, source } = readBox(x);
      const scores = rows(dataSamples as Tensor);
      if (!box) {
        // An empty box: lam 1, the labels unchanged.
        assert.deepEqual(scores, rows(torch.eye(N)));
        continue;
      }
      boxes++;
      assert.ok(isPermutation(source), `pasted values ${source} come from a permutation`);
      const lam = 1 - ((box[1] - box[0]) * (box[3] - box[2])) / (H * W);
      for (let i = 0; i < N; i++) {
        const j = source[i] as number;
        const want = scores[i]?.map((_, k) =>
          k === i && k === j ? 1 : k === i ? lam : k === j ? 1 - lam : 0,
        ) as number[];
        assertAllClose(scores[i] as number[], want, 1e-6, `seed ${seed} row ${i}`);
      }
      assert.ok(box[0] >= 0 && box[1] <= H && box[2] >= 0 && box[3] <= W);
    }
    assert.ok(boxes >= 4, `only ${boxes} non-empty boxes`);
  });

  test('the box: cut = int(size * sqrt(1 - lam)), centre uniform, [c - cut//2, c + cut//2) clipped', () => {
    torch.manualSeed(11);
    const cut = new CutMix({ alpha: 1 });
    const uncorrected = new CutMix({ alpha: 1, correctLam: false });
    // lam 0.75: ratio 0.5, so cut_h = 8 and cut_w = 10.
    const centres = new Set<string>();
    for (let k = 0; k < 300; k++) {
      const [[y1, y2, x1, x2], lam] = cut.cutmixBboxAndLam([N, 1, H, W], 0.75);
      const cy = y1 > 0 ? y1 + 4 : y2 - 4;
      const cx = x1 > 0 ? x1 + 5 : x2 - 5;
      assert.ok(cy >= 0 && cy < H && cx >= 0 && cx < W, `centre (${cy}, ${cx})`);
      assert.equal(y1, Math.max(cy - 4, 0));
      assert.equal(y2, Math.min(cy + 4, H));
      assert.equal(x1, Math.max(cx - 5, 0));
      assert.equal(x2, Math.min(cx + 5, W));
      assert.equal(lam, 1 - ((y2 - y1) * (x2 - x1)) / (H * W));
      centres.add(`${cy},${cx}`);
      assert.equal(uncorrected.cutmixBboxAndLam([N, 1, H, W], 0.75)[1], 0.75);
    }
    assert.ok(centres.size > 100, 'centres spread over the image');
  });

  test('cutmixMinmax: cut sizes in [int(size lo), int(size hi)), the box inside the image, lam always corrected', () => {
    torch.manualSeed(12);
    const cut = new CutMix({ alpha: 1, cutmixMinmax: [0.25, 0.5], correctLam: false });
    const heights = new Set<number>();
    for (let k = 0; k < 300; k++) {
      const [[y1, y2, x1, x2], lam] = cut.cutmixBboxAndLam([N, 1, H, W], 0.9);
      heights.add(y2 - y1);
      assert.ok(y2 - y1 >= 4 && y2 - y1 < 8, `height ${y2 - y1}`);
      assert.ok(x2 - x1 >= 5 && x2 - x1 < 10, `width ${x2 - x1}`);
      // mmpretrain's rand_bbox_minmax never reaches the last row or column.
      assert.ok(y1 >= 0 && y2 <= H - 1 && x1 >= 0 && x2 <= W - 1, `box ${[y1, y2, x1, x2]}`);
      assert.equal(lam, 1 - ((y2 - y1) * (x2 - x1)) / (H * W));
    }
    assert.deepEqual([...heights].sort(), [4, 5, 6, 7]);
  });
});

describe('RandomBatchAugment', () => {
  const spy =
    (name: string, counts: Record<string, number>) =>
    (inputs: Tensor, dataSamples: unknown): AugmentResult => {
      counts[name] = (counts[name] ?? 0) + 1;
      return { inputs, dataSamples };
    };

  test('probs validation', () => {
    const a = new MixUp({ alpha: 1 });
    const b = new CutMix({ alpha: 1 });
    assert.throws(() => new RandomBatchAugment({ augments: [a, b], probs: [0.5] }), /Got 2 vs 1/);
    assert.throws(
      () => new RandomBatchAugment({ augments: [a, b], probs: [0.6, 0.5] }),
      /The total probability of batch augments exceeds 1\./,
    );
    assert.deepEqual(new RandomBatchAugment({ augments: a, probs: 0.3 }).probs, [0.3, 0.7]);
    const full = new RandomBatchAugment({ augments: [a, b], probs: [0.5, 0.5] });
    assert.deepEqual(full.probs, [0.5, 0.5, 0]);
    assert.equal(full.augments.length, 3);
    assert.equal(full.augments[2], null);
    assert.equal(new RandomBatchAugment({ augments: [a, b] }).probs, null);
  });

  test('the spec example: CutMix 0.5, MixUp 0.3, none 0.2', () => {
    torch.manualSeed(5);
    const counts: Record<string, number> = {};
    const aug = new RandomBatchAugment({ augments: [spy('cutmix', counts), spy('mixup', counts)], probs: [0.5, 0.3] });
    const x = torch.zeros([2, 1, 1, 1]);
    const n = 3000;
    for (let k = 0; k < n; k++) aug.call(x, null);
    const none = n - (counts.cutmix ?? 0) - (counts.mixup ?? 0);
    assert.ok(Math.abs((counts.cutmix ?? 0) / n - 0.5) < 0.04, JSON.stringify(counts));
    assert.ok(Math.abs((counts.mixup ?? 0) / n - 0.3) < 0.04, JSON.stringify(counts));
    assert.ok(Math.abs(none / n - 0.2) < 0.04, `none ${none}`);
  });

  test('without probs: a uniform choice among the augments, never none', () => {
    torch.manualSeed(6);
    const counts: Record<string, number> = {};
    const aug = new RandomBatchAugment({ augments: [spy('a', counts), spy('b', counts)] });
    for (let k = 0; k < 1000; k++) aug.call(torch.zeros([1]), null);
    assert.equal((counts.a ?? 0) + (counts.b ?? 0), 1000);
    assert.ok(Math.abs((counts.a ?? 0) / 1000 - 0.5) < 0.06);
  });

  test('none: the inputs unchanged and the labels as float scores', () => {
    const x = torch.zeros([2, 1, 2, 2]);
    const none = new RandomBatchAugment({ augments: new MixUp({ alpha: 1, numClasses: 3 }), probs: 0 });
    const r1 = none.call(
      x,
      torch.tensor([
        [1, 0, 0],
        [0, 0, 1],
      ]),
    );
    assert.equal(r1.inputs, x);
    assert.equal((r1.dataSamples as Tensor).dtype, 'float32');
    // Class indices become one-hot with the augments' class count, as the mixing branches give.
    const r2 = none.call(x, torch.tensor([2, 0]));
    assert.deepEqual((r2.dataSamples as Tensor).toArray(), [
      [0, 0, 1],
      [1, 0, 0],
    ]);
    // probs 1: always the augment.
    const always = new RandomBatchAugment({ augments: new MixUp({ alpha: 1, numClasses: 3 }), probs: 1 });
    assert.deepEqual((always.call(x, torch.tensor([2, 0])).dataSamples as Tensor).shape, [2, 3]);
  });

  test('in an ImgDataPreprocessor: soft labels that crossEntropy accepts, in training only', () => {
    torch.manualSeed(8);
    const pre = new ImgDataPreprocessor({
      mean: [127.5],
      std: [127.5],
      batchAugments: [
        new RandomBatchAugment({
          augments: [new MixUp({ alpha: 0.8, numClasses: 4 }), new CutMix({ alpha: 1, numClasses: 4 })],
          probs: [0.5, 0.5],
        }),
      ],
    });
    const batch = {
      inputs: torch.randint(0, 256, [4, 3, 8, 8], { dtype: 'uint8' }),
      dataSamples: torch.tensor([0, 1, 2, 3]),
    };
    const train = pre.forward(batch, true);
    const scores = train.dataSamples as Tensor;
    assert.deepEqual(scores.shape, [4, 4]);
    assertAllClose(
      rows(scores).map((r) => r.reduce((a, b) => a + b, 0)),
      [1, 1, 1, 1],
      1e-6,
      'rows sum to 1',
    );
    const loss = torch.nn.functional.crossEntropy(torch.randn([4, 4]), scores);
    assert.ok(Number.isFinite(loss.item() as number));
    const val = pre.forward(batch, false);
    assert.ok((val.dataSamples as Tensor).equal(batch.dataSamples));
  });
});
