// PrepareTTAHook in a run, as MMEngine's: test() runs with a TTA model around the trained model
// (the average of the scores of each image and its left-right flip), training and validation do
// not. The expected accuracy is worked out from a second, plain pass of the same model over the
// test set and over the flipped test set; the per-sample scores equal the mean of those passes'
// exactly. The same with 0 and 2 data workers; bad configs are clear errors.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { disposeAll } from '../dataset/support.js';
import { AverageClsScoreTTA, argmax, TinyClassifier } from '../model/tta_support.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const workDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'torch-node-tta-hook-'));
  dirs.push(d);
  return d;
};

const common = { seed: 4, channels: 1 as const, size: 8, numClasses: 5 };
const testSet = (transforms: engine.TransformSpec[] = []) =>
  new engine.SyntheticImageDataset({ ...common, split: 'test', length: 60, transforms });
const hflip = { type: 'RandomFlip', prob: 1 } as const;
const flipTTA = { transforms: [[hflip, { type: 'RandomFlip', prob: 0 } as const]] };

/** Keeps each test iteration's outputs and what runner.model was while validating, testing and after. */
class Probe extends engine.Hook {
  override priority: engine.Priority = 'LOW';
  outputs: engine.ClsResult[] = [];
  modelsInVal = new Set<unknown>();
  modelsInTest = new Set<unknown>();
  modelAfterRun: unknown = null;
  override beforeValIter(runner: engine.Runner): void {
    this.modelsInVal.add(runner.model);
  }
  override beforeTestIter(runner: engine.Runner): void {
    this.modelsInTest.add(runner.model);
  }
  override afterTestIter(_runner: engine.Runner, args: engine.AfterIterArgs): void {
    this.outputs.push(...(args.outputs as engine.ClsResult[]));
  }
  override afterRun(runner: engine.Runner): void {
    this.modelAfterRun = runner.model;
  }
}

const ttaLoader = (numWorkers: number) =>
  new engine.DataLoader({ dataset: new engine.TestTimeAugDataset(testSet(), flipTTA), batchSize: 16, numWorkers });
const accuracy = () => new engine.Evaluator(new engine.Accuracy({ topk: [1] }));

/**
 * A small conv net trained for three epochs on the synthetic set, by a runner that has the hook:
 * training and validation run the model itself.
 */
async function train(): Promise<{ runner: engine.Runner; model: TinyClassifier; probe: Probe }> {
  torch.manualSeed(0);
  const model = new TinyClassifier(8, 5);
  const probe = new Probe();
  const runner = new engine.Runner({
    model,
    workDir: workDir(),
    device: 'cpu',
    trainDataloader: new engine.DataLoader({
      dataset: new engine.SyntheticImageDataset({ ...common, split: 'train', length: 200 }),
      batchSize: 20,
      shuffle: true,
      seed: 0,
    }),
    trainCfg: { maxEpochs: 3, valInterval: 3 },
    optimWrapper: { optimizer: new torch.optim.Adam(model.parameters(), { lr: 0.01 }) },
    valDataloader: new engine.DataLoader({ dataset: testSet(), batchSize: 20 }),
    valEvaluator: accuracy(),
    testDataloader: ttaLoader(0),
    testEvaluator: accuracy(),
    customHooks: [{ type: 'PrepareTTAHook', ttaCfg: { type: AverageClsScoreTTA } }, probe],
    defaultHooks: { checkpoint: null },
    randomness: { seed: 0 },
    logLevel: 'silent',
  });
  await runner.train();
  return { runner, model, probe };
}

/** A runner that only tests `model` with `hook`. */
function tester(model: TinyClassifier, hook: engine.HookSpec, numWorkers: number) {
  const probe = new Probe();
  const runner = new engine.Runner({
    model,
    workDir: workDir(),
    device: 'cpu',
    testDataloader: ttaLoader(numWorkers),
    testEvaluator: accuracy(),
    customHooks: [hook, probe],
    logLevel: 'silent',
  });
  return { runner, probe };
}

/** The model's own scores of every test sample, in order, with the dataset's transforms. */
async function plainScores(model: TinyClassifier, transforms: engine.TransformSpec[]): Promise<engine.ClsResult[]> {
  const out: engine.ClsResult[] = [];
  model.eval();
  for await (const batch of new engine.DataLoader({ dataset: testSet(transforms), batchSize: 16 })) {
    out.push(...torch.scope(() => torch.noGrad(() => model.testStep(batch))));
    disposeAll(batch);
  }
  return out;
}

let trained: Promise<{ runner: engine.Runner; model: TinyClassifier; probe: Probe }> | null = null;
const trainedOnce = () => {
  trained ??= train();
  return trained;
};

describe('PrepareTTAHook', () => {
  test('test() averages each image with its flip: the accuracy and the scores of two plain passes', async () => {
    const { runner, model, probe } = await trainedOnce();
    assert.deepEqual([...probe.modelsInVal], [model], 'validation ran the model itself');
    const metrics = await runner.test();
    const own = await plainScores(model, []);
    const flipped = await plainScores(model, [hflip]);
    assert.equal(probe.outputs.length, 60);
    let correct = 0;
    let plainCorrect = 0;
    let changed = 0;
    probe.outputs.forEach((p, s) => {
      const a = flipped[s]?.predScore as number[];
      const b = own[s]?.predScore as number[];
      // TestTimeAug's order: the flipped image first, then the image itself
      const mean = a.map((x, j) => (x + (b[j] as number)) / 2);
      assert.deepEqual(p.predScore, mean, `sample ${s}`);
      assert.equal(p.gtLabel, s % 5);
      if (argmax(mean) === s % 5) correct += 1;
      if (argmax(b) === s % 5) plainCorrect += 1;
      if (argmax(mean) !== argmax(b)) changed += 1;
    });
    assert.equal(metrics['accuracy/top1'], (100 * correct) / 60);
    assert.ok(changed > 0, 'the flip changed some predictions, so the test sees the TTA');
    console.log(
      `TTA accuracy ${metrics['accuracy/top1']}% (plain ${(100 * plainCorrect) / 60}%), ${changed} of 60 predictions changed`,
    );
    // the TTA model while testing, the model itself after
    assert.equal(probe.modelsInTest.size, 1);
    const tta = [...probe.modelsInTest][0] as AverageClsScoreTTA;
    assert.ok(tta instanceof AverageClsScoreTTA);
    assert.equal(tta.module, model);
    assert.equal(probe.modelAfterRun, model);
    assert.equal(runner.model, model);
    // a second test() wraps the model once again, not the TTA model
    probe.modelsInTest.clear();
    assert.deepEqual(await runner.test(), metrics);
    assert.equal(([...probe.modelsInTest][0] as AverageClsScoreTTA).module as unknown, model);
  });

  test('with 2 data workers and a factory ttaCfg: the same outputs as in the main thread', async () => {
    const { model } = await trainedOnce();
    const byConfig = tester(model, new engine.PrepareTTAHook({ ttaCfg: { type: AverageClsScoreTTA } }), 0);
    const m0 = await byConfig.runner.test();
    const byFactory = tester(model, new engine.PrepareTTAHook({ ttaCfg: (m) => new AverageClsScoreTTA(m) }), 2);
    const m2 = await byFactory.runner.test();
    assert.deepEqual(m2, m0);
    assert.equal(byFactory.probe.outputs.length, 60);
    assert.deepEqual(byFactory.probe.outputs, byConfig.probe.outputs);
  });

  test('bad configs are clear errors', async () => {
    assert.equal(engine.HOOKS.get('PrepareTTAHook'), engine.PrepareTTAHook);
    assert.throws(
      () => new engine.PrepareTTAHook({ ttaCfg: AverageClsScoreTTA as never }),
      /PrepareTTAHook: ttaCfg is the class AverageClsScoreTTA; pass \{type: AverageClsScoreTTA, \.\.\.options\}/,
    );
    assert.throws(
      () => new engine.PrepareTTAHook({ ttaCfg: { type: 'AverageClsScoreTTA' as never } }),
      /ttaCfg.type must be a subclass of BaseTTAModel, got "AverageClsScoreTTA" \(TTA models have no registry of names: pass the class itself\)/,
    );
    assert.throws(
      () => new engine.PrepareTTAHook({ ttaCfg: { type: TinyClassifier as never } }),
      /ttaCfg.type must be a subclass of BaseTTAModel, got the class TinyClassifier/,
    );
    assert.throws(
      () => engine.buildHook({ type: 'PrepareTTAHook' }),
      /PrepareTTAHook: ttaCfg must be \{type: a BaseTTAModel subclass, \.\.\.options\} or a function \(model\) => TTA model, got nothing/,
    );
    // a factory that returns something else fails the test, naming it; the model stays
    torch.manualSeed(0);
    const model = new TinyClassifier(8, 5);
    const { runner } = tester(model, new engine.PrepareTTAHook({ ttaCfg: (m) => m as never }), 0);
    await assert.rejects(
      runner.test(),
      /PrepareTTAHook: the ttaCfg function must return a BaseTTAModel, got a TinyClassifier/,
    );
    assert.equal(runner.model, model);
    // without TestTimeAug's batches the TTA model says what it expected
    const plain = new engine.Runner({
      model,
      workDir: workDir(),
      device: 'cpu',
      testDataloader: new engine.DataLoader({ dataset: testSet(), batchSize: 8 }),
      testEvaluator: new engine.Evaluator(new engine.Accuracy()),
      customHooks: [{ type: 'PrepareTTAHook', ttaCfg: { type: AverageClsScoreTTA } }],
      logLevel: 'silent',
    });
    await assert.rejects(
      plain.test(),
      /AverageClsScoreTTA.testStep: data.img should be a list over augmentations \(a batch of TestTimeAug's samples\), got a Tensor/,
    );
  });
});
