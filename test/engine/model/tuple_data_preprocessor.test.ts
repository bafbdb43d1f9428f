// TupleImgDataPreprocessor: a tuple batch [imgs, labels] goes through ImgDataPreprocessor's image
// pipeline and comes back as [inputs, dataSamples], which BaseModel spreads into
// forward(imgs, labels, mode).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BaseModel,
  type ForwardMode,
  ImgDataPreprocessor,
  type LossDict,
  OptimWrapper,
  TupleImgDataPreprocessor,
} from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';

type Tensor = torch.Tensor;

const values = (t: Tensor) => Array.from(t.contiguous().toTypedArray() as Float32Array);
const mean = [125.3, 123.0, 113.9];
const std = [63.0, 62.1, 66.7];

describe('TupleImgDataPreprocessor', () => {
  test('normalises exactly as ImgDataPreprocessor does and returns [inputs, dataSamples]', () => {
    torch.manualSeed(0);
    const imgs = torch.randint(0, 256, [4, 3, 5, 6], { dtype: 'uint8' });
    const labels = torch.tensor([0, 3, 1, 9], { dtype: 'int64' });
    const tuple = new TupleImgDataPreprocessor({ mean, std, padSizeDivisor: 4, padValue: 0.5 });
    const reference = new ImgDataPreprocessor({ mean, std, padSizeDivisor: 4, padValue: 0.5 });
    const out = tuple.forward([imgs, labels]);
    const want = reference.forward({ inputs: imgs, dataSamples: labels });
    assert.ok(Array.isArray(out));
    assert.equal(out.length, 2);
    const [inputs, dataSamples] = out as [Tensor, Tensor];
    assert.ok(inputs instanceof torch.Tensor);
    assert.equal(inputs.dtype, 'float32');
    assert.deepEqual(inputs.shape, [4, 3, 8, 8]);
    assert.deepEqual(values(inputs), values(want.inputs as Tensor));
    // Spot-check one value against a plain computation: (x - mean[c]) / std[c].
    const raw = Array.from(imgs.contiguous().toTypedArray() as Uint8Array);
    const c1 = 1 * 5 * 6; // channel 1, row 0, col 0 of image 0
    assert.equal(
      values(inputs)[1 * 8 * 8],
      Math.fround((Math.fround(raw[c1] as number) - Math.fround(mean[1] as number)) / Math.fround(std[1] as number)),
    );
    assert.equal(dataSamples.dtype, 'int64');
    assert.deepEqual(Array.from(dataSamples.toTypedArray() as BigInt64Array, Number), [0, 3, 1, 9]);
  });

  test('a list of images is stacked and padded; missing labels become null', () => {
    const a = torch.full([3, 2, 3], 10, { dtype: 'uint8' });
    const b = torch.full([3, 3, 2], 20, { dtype: 'uint8' });
    const pre = new TupleImgDataPreprocessor({ mean: [10], std: [2] });
    const [inputs, dataSamples] = pre.forward([[a, b]]) as [Tensor, unknown];
    assert.deepEqual(inputs.shape, [2, 3, 3, 3]);
    assert.equal(dataSamples, null);
    const v = values(inputs);
    assert.equal(v[0], 0); // (10 - 10) / 2
    assert.equal(v[27], 5); // (20 - 10) / 2
  });

  test('batch augments run in training only, on the tuple form', () => {
    const seen: boolean[] = [];
    const pre = new TupleImgDataPreprocessor({
      batchAugments: [
        (inputs, dataSamples) => {
          seen.push(true);
          return { inputs: inputs.add(1), dataSamples };
        },
      ],
    });
    const imgs = torch.zeros([2, 1, 2, 2], { dtype: 'uint8' });
    const labels = torch.tensor([1, 0], { dtype: 'int64' });
    const [evalInputs] = pre.forward([imgs, labels], false) as [Tensor, Tensor];
    assert.deepEqual(values(evalInputs), new Array(8).fill(0));
    const [trainInputs, trainLabels] = pre.forward([imgs, labels], true) as [Tensor, Tensor];
    assert.deepEqual(values(trainInputs), new Array(8).fill(1));
    assert.equal(trainLabels, labels);
    assert.equal(seen.length, 1);
  });

  test('anything but a tuple batch is a TypeError', () => {
    const pre = new TupleImgDataPreprocessor();
    assert.throws(() => pre.forward({ inputs: torch.zeros([1, 1, 1, 1]) }), /expects a tuple batch \[imgs, labels\]/);
    assert.throws(() => pre.forward([1, 2, 3]), /an array of 3 elements/);
    assert.throws(() => pre.forward(null), /got null/);
  });

  test("a BaseModel's forward(imgs, labels, mode) receives them through trainStep and valStep", () => {
    torch.manualSeed(0);
    // What forward saw, read inside it: the step's tensor scope frees its intermediates afterwards.
    const calls: { dtype: string; shape: number[]; imgs: number[]; labels: Tensor; mode: ForwardMode }[] = [];
    class TupleModel extends BaseModel<number, Tensor> {
      fc = new torch.nn.Linear(3 * 2 * 2, 2);
      forward(imgs: Tensor, labels: Tensor, mode: ForwardMode): LossDict | number[] | Tensor {
        calls.push({ dtype: imgs.dtype, shape: [...imgs.shape], imgs: values(imgs), labels, mode });
        const logits = this.fc.forward(imgs.flatten(1));
        if (mode === 'loss') return { loss: torch.nn.functional.crossEntropy(logits, labels) };
        if (mode === 'predict') return Array.from(logits.argmax(1).toTypedArray() as BigInt64Array, Number);
        return logits;
      }
    }
    const model = new TupleModel({ dataPreprocessor: new TupleImgDataPreprocessor({ mean: [128], std: [64] }) });
    const optimWrapper = new OptimWrapper({ optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.1 }) });
    const imgs = torch.randint(0, 256, [4, 3, 2, 2], { dtype: 'uint8' });
    const labels = torch.tensor([0, 1, 1, 0], { dtype: 'int64' });
    const before = model.fc.weight.clone();
    const logVars = model.trainStep([imgs, labels], optimWrapper);
    assert.deepEqual(Object.keys(logVars), ['loss']);
    assert.ok(Number.isFinite(logVars.loss));
    assert.equal(model.fc.weight.equal(before), false);
    const preds = model.valStep([imgs, labels]);
    assert.equal(preds.length, 4);
    for (const p of preds) assert.ok(p === 0 || p === 1);
    assert.deepEqual(
      calls.map((c) => c.mode),
      ['loss', 'predict'],
    );
    const want = values(imgs.float().sub(128).div(64));
    for (const c of calls) {
      assert.equal(c.dtype, 'float32');
      assert.deepEqual(c.shape, [4, 3, 2, 2]);
      assert.deepEqual(c.imgs, want);
      assert.equal(c.labels, labels);
    }
  });
});
