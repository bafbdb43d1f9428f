// RuntimeInfoHook as MMEngine's: one-element tensors in log variables and metrics are scalars
// (its _is_scalar), other values of metrics are info; `loop_stage` is 'train', 'val' or 'test'
// while a loop runs, 'train' again after a validation inside training, and gone after a loop;
// the train dataset's metainfo and the seed are runtime info.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { ArrayLoader, Mlp, makeData, SimpleAccuracy } from '../runner/support.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const { xs, ys } = makeData(32);

function runner(options: Partial<engine.RunnerOptions> = {}): engine.Runner {
  torch.manualSeed(0);
  const model = new Mlp();
  const dir = mkdtempSync(join(tmpdir(), 'torch-node-runtime-info-'));
  dirs.push(dir);
  return new engine.Runner({
    model,
    workDir: dir,
    experimentName: `runtime-info-${dirs.length}`,
    trainDataloader: new ArrayLoader(xs, ys, 16),
    valDataloader: new ArrayLoader(xs, ys, 16),
    testDataloader: new ArrayLoader(xs, ys, 16),
    valEvaluator: new SimpleAccuracy(),
    testEvaluator: new SimpleAccuracy(),
    trainCfg: { maxEpochs: 2 },
    optimWrapper: { optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.1 }) },
    defaultHooks: { checkpoint: null, logger: null },
    randomness: { seed: 7 },
    logLevel: 'silent',
    ...options,
  });
}

describe('RuntimeInfoHook', () => {
  test('one-element tensors are scalars, in log variables and metrics; other values of metrics are info', () => {
    const r = runner();
    const hook = new engine.RuntimeInfoHook();
    hook.afterTrainIter(r, {
      batchIdx: 0,
      dataBatch: null,
      outputs: { loss: torch.tensor(0.5), acc: torch.tensor([[2]]), n: 3, vec: torch.tensor([1, 2]) },
    });
    const hub = r.messageHub;
    assert.equal(hub.getScalar('train/loss').current(), 0.5);
    assert.equal(hub.getScalar('train/acc').current(), 2);
    assert.equal(hub.getScalar('train/n').current(), 3);
    assert.ok(!hub.logScalars.has('train/vec'));
    const list = [1, 2];
    const wide = torch.tensor([0.5, 1]);
    hook.afterValEpoch(r, { a: torch.tensor([0.25]), b: list, c: 3, d: wide });
    hook.afterTestEpoch(r, { a: torch.tensor(1.5), e: 'text' });
    assert.equal(hub.getScalar('val/a').current(), 0.25);
    assert.equal(hub.getScalar('val/c').current(), 3);
    assert.equal(hub.getInfo('val/b'), list);
    assert.equal(hub.getInfo('val/d'), wide);
    assert.ok(!hub.logScalars.has('val/b') && !hub.logScalars.has('val/d'));
    assert.equal(hub.getScalar('test/a').current(), 1.5);
    assert.equal(hub.getInfo('test/e'), 'text');
  });

  test('the message hub takes one-element tensors as scalars and refuses others', () => {
    const hub = engine.MessageHub.getInstance('runtime-info-scalars');
    hub.updateScalar('x', torch.tensor([[4]]));
    assert.equal(hub.getScalar('x').current(), 4);
    assert.throws(
      () => hub.updateScalar('y', torch.tensor([1, 2])),
      (e: Error) =>
        e instanceof TypeError &&
        e.message ===
          "MessageHub: the scalar 'y' should be a number or a one-element tensor, got a tensor of 2 elements",
    );
    assert.deepEqual([hub.popInfo('nothing', 5), hub.getInfo('nothing')], [5, undefined]);
    hub.updateInfo('k', 1);
    assert.deepEqual([hub.popInfo('k'), hub.getInfo('k')], [1, undefined]);
  });

  test('loop_stage: train, val inside training then train again, cleared after each loop', async () => {
    const seen: string[] = [];
    class Watch extends engine.Hook {
      // After RuntimeInfoHook at every stage (it is VERY_HIGH).
      override priority: engine.Priority = 'LOWEST';
      private note(runner: engine.Runner, where: string): void {
        const s = `${where}=${String(runner.messageHub.getInfo('loop_stage'))}`;
        if (seen[seen.length - 1] !== s) seen.push(s);
      }
      override beforeTrain(r: engine.Runner) {
        this.note(r, 'beforeTrain');
      }
      override beforeTrainIter(r: engine.Runner) {
        this.note(r, 'trainIter');
      }
      override beforeValIter(r: engine.Runner) {
        this.note(r, 'valIter');
      }
      override afterVal(r: engine.Runner) {
        this.note(r, 'afterVal');
      }
      override afterTrain(r: engine.Runner) {
        this.note(r, 'afterTrain');
      }
      override beforeTestIter(r: engine.Runner) {
        this.note(r, 'testIter');
      }
      override afterTest(r: engine.Runner) {
        this.note(r, 'afterTest');
      }
    }
    const r = runner({ customHooks: [new Watch()], trainCfg: { maxEpochs: 1 } });
    await r.train();
    await r.val();
    await r.test();
    assert.deepEqual(seen, [
      'beforeTrain=train',
      'trainIter=train',
      'valIter=val',
      'afterVal=train',
      'afterTrain=undefined',
      'valIter=val',
      'afterVal=undefined',
      'testIter=test',
      'afterTest=undefined',
    ]);
  });

  test('the seed, and the train dataset metainfo before training', async () => {
    const loader = new ArrayLoader(xs, ys, 16);
    const meta = { classes: ['a', 'b', 'c'] };
    (loader as { dataset: unknown }).dataset = { length: xs.length, metainfo: meta };
    const r = runner({ trainDataloader: loader, trainCfg: { maxEpochs: 1 }, valEvaluator: null });
    await r.train();
    assert.equal(r.messageHub.getInfo('seed'), 7);
    assert.equal(r.messageHub.getInfo('dataset_meta'), meta);
    const plain = runner({ trainCfg: { maxEpochs: 1 }, valEvaluator: null });
    await plain.train();
    assert.equal(plain.messageHub.getInfo('dataset_meta'), undefined);
  });
});
