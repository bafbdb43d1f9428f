// End to end: the real DataLoader (with a worker thread) over the built-in synthetic set, the
// main job's small ResNet with ClsDataPreprocessor, AdamW, the Runner with Accuracy. A short
// run must learn the classes.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SmallResNet } from '../../../examples/models/small_resnet.js';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';

const dir = mkdtempSync(join(tmpdir(), 'torch-node-e2e-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a small ResNet learns the synthetic set to over 90% in 3 short epochs', async () => {
  torch.manualSeed(0);
  const common = { seed: 3, channels: 1 as const, size: 16, numClasses: 5 };
  const train = new engine.SyntheticImageDataset({ ...common, split: 'train', length: 640 });
  const testSet = new engine.SyntheticImageDataset({ ...common, split: 'test', length: 200 });
  const model = new SmallResNet({
    inChannels: 1,
    numClasses: 5,
    width: 8,
    dataPreprocessor: new engine.ClsDataPreprocessor({ mean: [127.5], std: [64] }),
  });
  const optimizer = new torch.optim.AdamW(model.parameters(), { lr: 5e-3 });
  const trainDataloader = new engine.DataLoader({
    dataset: train,
    batchSize: 32,
    shuffle: true,
    seed: 0,
    numWorkers: 1,
  });
  const runner = new engine.Runner({
    model,
    workDir: dir,
    trainDataloader,
    valDataloader: new engine.DataLoader({ dataset: testSet, batchSize: 100 }),
    trainCfg: { maxEpochs: 3 },
    optimWrapper: { optimizer },
    valEvaluator: new engine.Evaluator(new engine.Accuracy({ topk: [1] })),
    defaultHooks: { checkpoint: { saveBest: 'accuracy/top1' } },
    randomness: { seed: 0 },
    logLevel: 'warning',
    visualizer: (d) => new engine.Visualizer({ saveDir: d }),
  });
  await runner.train();
  const accuracy = runner.messageHub.getScalar('val/accuracy/top1').current();
  assert.ok(accuracy > 90, `test accuracy ${accuracy}% after 3 epochs`);
  const files = readdirSync(dir);
  assert.ok(files.includes('epoch_3.pth') && files.some((f) => f.startsWith('best_accuracy_top1')));
  assert.deepEqual(
    readdirSync(join(runner.logDir, 'vis_data'))
      .filter((f) => !f.startsWith('events.'))
      .sort(),
    [`${runner.timestamp}.json`, 'scalars.json', 'scalars.png'].sort(),
  );
  // MMEngine's LoggerHook gives the local backend its <timestamp>.json too: the same lines
  const vis = join(runner.logDir, 'vis_data');
  assert.equal(
    readFileSync(join(vis, `${runner.timestamp}.json`), 'utf8'),
    readFileSync(join(vis, 'scalars.json'), 'utf8'),
  );
});
