// A tuple batch named into a dict before the model, composed with ImgDataPreprocessor.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';

type Tensor = torch.Tensor;

test('names the fields, then the image pipeline normalises inputs and passes labels through', () => {
  const imgs = torch.tensor([[[[0, 255]]], [[[51, 102]]]], { dtype: 'uint8' }); // (2, 1, 1, 2)
  const labels = torch.tensor([3, 1]);
  const pre = new engine.TupleToDictPreprocessor({
    keys: ['inputs', 'labels'],
    preprocessor: new engine.ImgDataPreprocessor({ mean: [0], std: [255] }),
  });
  const out = pre.forward([imgs, labels], true) as { inputs: Tensor; labels: Tensor; dataSamples: unknown };
  assert.deepEqual(Object.keys(out), ['inputs', 'labels', 'dataSamples']);
  assert.equal(out.inputs.dtype, 'float32');
  assert.deepEqual(
    out.inputs.toArray(),
    [[[[0, 1]]], [[[0.2, 0.4]]]].map((a) => a.map((b) => b.map((c) => c.map(Math.fround)))),
  );
  assert.deepEqual(out.labels.toArray(), [3, 1]);
  assert.equal(out.dataSamples, null);
  assert.throws(() => pre.forward([imgs], true), /2 fields|1 fields but keys names 2/);
  assert.throws(() => new engine.TupleToDictPreprocessor({ keys: [] }), TypeError);
});

test("a model's forward(batch, mode) gets the named fields through trainStep and valStep", () => {
  class Model extends engine.BaseModel {
    fc = new torch.nn.Linear(2, 4);
    forward(batch: { inputs: Tensor; labels: Tensor }, mode: engine.ForwardMode) {
      const logits = this.fc.forward(batch.inputs.flatten(1));
      if (mode === 'loss') return { loss: torch.nn.functional.crossEntropy(logits, batch.labels) };
      return logits.argmax(1).toArray() as number[];
    }
  }
  torch.manualSeed(0);
  const model = new Model({
    dataPreprocessor: new engine.TupleToDictPreprocessor({
      keys: ['inputs', 'labels'],
      preprocessor: new engine.ImgDataPreprocessor({ mean: [127.5], std: [127.5] }),
    }),
  });
  const wrapper = new engine.OptimWrapper({ optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.5 }) });
  const batch = [torch.tensor([[[[0, 255]]], [[[255, 0]]]], { dtype: 'uint8' }), torch.tensor([0, 3])];
  const first = model.trainStep(batch, wrapper).loss as number;
  for (let i = 0; i < 20; i++) model.trainStep(batch, wrapper);
  const last = model.trainStep(batch, wrapper).loss as number;
  assert.ok(last < first / 2, `loss ${first} -> ${last}`);
  assert.deepEqual(model.valStep(batch), [0, 3]);
  // The inner preprocessor is a child: moving the model records the device in both.
  model.to('cpu');
  assert.equal((model.dataPreprocessor as engine.TupleToDictPreprocessor).device, 'cpu');
});
