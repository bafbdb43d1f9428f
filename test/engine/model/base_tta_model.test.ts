// BaseTTAModel, as MMEngine's: testStep runs the module's testStep once per augmentation of a
// batch whose fields are lists over augmentations, regroups the predictions per sample and
// merges them (here: the average of the scores, mmpretrain's AverageClsScoreTTA). The merged
// scores are compared with the mean of the module's own predictions of each augmentation.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { AverageClsScoreTTA, argmax, TinyClassifier } from './tta_support.js';

type Tensor = torch.Tensor;

// Four (1, 2, 2) images and their labels; three augmentations of them: themselves, flipped
// left-right, inverted.
const pixels = [
  [10, 200, 30, 90],
  [250, 5, 120, 60],
  [0, 128, 255, 64],
  [77, 33, 180, 220],
];
const labels = [0, 2, 1, 2];
const flip = (p: number[]) => [p[1], p[0], p[3], p[2]] as number[];
const invert = (p: number[]) => p.map((v) => 255 - v);
const augs = [pixels, pixels.map(flip), pixels.map(invert)];
const imgs = (rows: number[][]) => torch.tensor(rows, { dtype: 'uint8' }).reshape([4, 1, 2, 2]);

function makeModel(): TinyClassifier {
  torch.manualSeed(3);
  return new TinyClassifier(2, 3);
}

/** The module's own predictions of each augmentation, as plain numbers. */
function perAugmentation(model: TinyClassifier): engine.ClsResult[][] {
  return augs.map((rows) => torch.scope(() => model.testStep({ img: imgs(rows), label: torch.tensor(labels) })));
}

describe('BaseTTAModel.testStep', () => {
  test('each sample: the mean of the module’s predictions of its augmentations, exactly', () => {
    const model = makeModel();
    const tta = new AverageClsScoreTTA(model);
    const merged = torch.scope(() =>
      tta.testStep({ img: augs.map(imgs), label: augs.map(() => torch.tensor(labels)) }),
    );
    const own = perAugmentation(model);
    assert.equal(merged.length, 4);
    merged.forEach((m, s) => {
      const scores = own.map((preds) => preds[s]?.predScore as number[]);
      const mean = [0, 1, 2].map(
        (j) => ((scores[0]?.[j] as number) + (scores[1]?.[j] as number) + (scores[2]?.[j] as number)) / 3,
      );
      assert.deepEqual(m.predScore, mean, `sample ${s}`);
      assert.equal(m.predLabel, argmax(mean));
      assert.equal(m.gtLabel, labels[s]);
    });
    // the augmentations disagree, so a model that saw only one of them would give other scores
    assert.notDeepEqual(merged[0]?.predScore, own[0]?.[0]?.predScore);
    assert.notDeepEqual(own[1]?.[0]?.predScore, own[0]?.[0]?.predScore);
  });

  test('the module sees augmentation i of every field; mergePreds gets each sample’s predictions in augmentation order', () => {
    const model = makeModel();
    const seen: number[][][] = [];
    const spied = Object.assign(model, {
      testStep(data: unknown) {
        const d = data as { img: Tensor; label: Tensor };
        seen.push([(d.img.reshape([4, 4]).toArray() as number[][])[0] as number[], d.label.toArray() as number[]]);
        return engine.BaseModel.prototype.testStep.call(model, data) as engine.ClsResult[];
      },
    });
    let got: engine.ClsResult[][] = [];
    class Recording extends engine.BaseTTAModel<engine.ClsResult, engine.ClsResult> {
      mergePreds(predsPerSample: engine.ClsResult[][]): engine.ClsResult[] {
        got = predsPerSample;
        return predsPerSample.map((p) => p[0] as engine.ClsResult);
      }
    }
    const labelsPerAug = [labels, [2, 2, 2, 2], [1, 1, 1, 1]];
    torch.scope(() =>
      new Recording(spied).testStep({ img: augs.map(imgs), label: labelsPerAug.map((l) => torch.tensor(l)) }),
    );
    assert.deepEqual(
      seen,
      augs.map((rows, i) => [rows[0], labelsPerAug[i]]),
    );
    const own = perAugmentation(makeModel());
    assert.equal(got.length, 4, 'one list per sample');
    got.forEach((list, s) => {
      assert.equal(list.length, 3, 'one prediction per augmentation');
      list.forEach((p, i) => {
        assert.deepEqual(p.predScore, own[i]?.[s]?.predScore, `sample ${s}, augmentation ${i}`);
        assert.equal(p.gtLabel, labelsPerAug[i]?.[s]);
      });
    });
  });

  test('an array batch (tuple samples): [[imgs per augmentation], [labels per augmentation]]', () => {
    const tta = new AverageClsScoreTTA(makeModel());
    const fromObject = torch.scope(() =>
      tta.testStep({ img: augs.map(imgs), label: augs.map(() => torch.tensor(labels)) }),
    );
    const fromArray = torch.scope(() => tta.testStep([augs.map(imgs), augs.map(() => torch.tensor(labels))]));
    assert.deepEqual(fromArray, fromObject);
  });

  test('tensors of the augmentations’ predictions that the merge drops are freed; the merged ones live on', () => {
    const model = makeModel();
    const made: Tensor[] = [];
    class TensorScores extends engine.BaseModel<{ score: Tensor }> {
      forward(data: { inputs: Tensor; dataSamples: Tensor }, _mode: engine.ForwardMode): { score: Tensor }[] {
        const scores = (model.forward(data as never, 'tensor') as Tensor).softmax(1);
        return scores.unbind(0).map((score) => {
          made.push(score);
          return { score };
        });
      }
    }
    class MeanTensor extends engine.BaseTTAModel<{ score: Tensor }, { score: Tensor }> {
      mergePreds(predsPerSample: { score: Tensor }[][]): { score: Tensor }[] {
        return predsPerSample.map((p) => ({ score: torch.stack(p.map((x) => x.score)).mean(0) }));
      }
    }
    const module = new TensorScores({ dataPreprocessor: { type: 'ClsDataPreprocessor', mean: [127.5], std: [64] } });
    const merged = torch.scope(() => {
      const out = new MeanTensor(module).testStep({ img: augs.map(imgs), label: augs.map(() => torch.tensor(labels)) });
      // freed when testStep ends, not only when the caller's scope does
      assert.equal(made.length, 12);
      assert.ok(
        made.every((t) => t.isDisposed),
        'per-augmentation scores freed',
      );
      return out;
    });
    assert.ok(merged.every((m) => !m.score.isDisposed));
    assert.deepEqual(merged[0]?.score.shape, [3]);
    for (const m of merged) m.score.dispose();
  });
});

describe('BaseTTAModel', () => {
  test('has the module’s preprocessor and the module’s state under module.', () => {
    const model = makeModel();
    const tta = new AverageClsScoreTTA(model);
    assert.equal(tta.dataPreprocessor, model.dataPreprocessor);
    assert.deepEqual(
      Object.keys(tta.stateDict()),
      Object.keys(model.stateDict()).map((k) => `module.${k}`),
    );
    assert.equal(tta.parameters().length, model.parameters().length);
    assert.deepEqual(
      tta.namedChildren().map(([n]) => n),
      ['module'],
    );
    tta.eval();
    assert.equal(model.training, false);
  });

  test('bad modules and batches are clear errors', () => {
    const lin = new torch.nn.Linear(2, 2);
    assert.throws(
      () => new AverageClsScoreTTA(lin as never),
      /AverageClsScoreTTA: the wrapped module must implement testStep \(a BaseModel does\), Linear has none/,
    );
    assert.throws(
      () => new AverageClsScoreTTA({} as never),
      /AverageClsScoreTTA: module must be a model .*got a Object/,
    );
    assert.throws(() => new AverageClsScoreTTA(null as never), /module must be a model .*got null/);
    const tta = new AverageClsScoreTTA(makeModel());
    const t = imgs(pixels);
    assert.throws(
      () => tta.testStep({ img: t, label: [torch.tensor(labels)] }),
      /AverageClsScoreTTA.testStep: data.img should be a list over augmentations \(a batch of TestTimeAug's samples\), got a Tensor/,
    );
    assert.throws(
      () => tta.testStep({ img: [t, t], label: [torch.tensor(labels)] }),
      /every field should list the same augmentations: img has 2, label has 1/,
    );
    assert.throws(() => tta.testStep({ img: [], label: [] }), /the batch holds no augmentation/);
    assert.throws(() => tta.testStep({}), /AverageClsScoreTTA.testStep: the batch has no fields/);
    assert.throws(() => tta.testStep(t), /the batch should be an object or an array .*got a Tensor/);
    assert.throws(() => tta.testStep([t, [t]]), /data\[0\] should be a list over augmentations/);
    assert.throws(
      () => tta.forward(),
      /AverageClsScoreTTA: a test-time augmentation model has no forward; call testStep/,
    );
    assert.throws(() => tta.trainStep({}, null as never), /only tests \(testStep\)/);
    assert.throws(() => tta.valStep({}), /only tests \(testStep\)/);
    class Short extends engine.BaseTTAModel<engine.ClsResult, engine.ClsResult> {
      mergePreds(p: engine.ClsResult[][]): engine.ClsResult[] {
        return p.slice(1).map((x) => x[0] as engine.ClsResult);
      }
    }
    assert.throws(
      () => new Short(makeModel()).testStep({ img: [t], label: [torch.tensor(labels)] }),
      /Short.mergePreds must return one prediction per sample \(4\), got an array of 3/,
    );
    t.dispose();
  });
});
