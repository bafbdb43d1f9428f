// EarlyStoppingHook as MMEngine's: `patience` validations without beating the best by `minDelta`
// stop training (the loop ends after that epoch), a score past `stoppingThreshold` or a
// non-finite one stops at once, a lower-is-better metric counts the other way, and a missing
// metric is a warning (strict: an Error).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { ArrayLoader, Mlp, makeData } from '../runner/support.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const { xs, ys } = makeData(32);

/** Trains up to 10 epochs, validating after each with the next of `results`; returns the epochs run. */
async function epochsRun(results: Record<string, number>[], options: engine.EarlyStoppingHookOptions): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'torch-node-early-stop-'));
  dirs.push(dir);
  torch.manualSeed(0);
  const model = new Mlp();
  const runner = new engine.Runner({
    model,
    workDir: dir,
    trainDataloader: new ArrayLoader(xs, ys, 16),
    valDataloader: new ArrayLoader(xs, ys, 32),
    valEvaluator: { process: () => {}, evaluate: () => results.shift() ?? { acc: 0, loss: 0 } },
    trainCfg: { maxEpochs: 10 },
    optimWrapper: { optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.01 }) },
    customHooks: [new engine.EarlyStoppingHook(options)],
    defaultHooks: { checkpoint: null },
    logLevel: 'silent',
  });
  await runner.train();
  return runner.epoch;
}

describe('EarlyStoppingHook', () => {
  test('patience: validations in a row that do not beat the best by minDelta', async () => {
    // 50 is the best; 50.05 is not 0.1 better (1), 49 (2): stop after epoch 3
    const scores = [50, 50.05, 49, 60, 70].map((acc) => ({ acc }));
    assert.equal(await epochsRun(scores, { monitor: 'acc', patience: 2 }), 3);
    // an improvement resets the count: 50, 49 (1), 51 (0), 50 (1), 50 (2)
    const again = [50, 49, 51, 50, 50].map((acc) => ({ acc }));
    assert.equal(await epochsRun(again, { monitor: 'acc', patience: 2 }), 5);
  });

  test("a 'less' metric improves downwards; minDelta 0 counts any improvement", async () => {
    const losses = [1.0, 0.95, 0.5, 0.45, 0.46, 0.47].map((loss) => ({ loss }));
    // inferred 'less': 0.95 is not 0.1 lower than 1.0 (1); 0.5 is (0); 0.45 (1); 0.46 (2): stop
    assert.equal(await epochsRun([...losses], { monitor: 'loss', patience: 2 }), 5);
    assert.equal(await epochsRun([...losses], { monitor: 'loss', patience: 2, minDelta: 0 }), 6);
  });

  test('stoppingThreshold and non-finite scores stop at once', async () => {
    assert.equal(await epochsRun([{ acc: 50 }, { acc: 90 }], { monitor: 'acc', stoppingThreshold: 80 }), 2);
    assert.equal(await epochsRun([{ acc: 50 }, { acc: Number.NaN }], { monitor: 'acc' }), 2);
    // unchecked, NaN compares as never worse and becomes the best (as in MMEngine); then the
    // scores of 0 after it: 0 (best), 0, 0, 0 without improvement stop after epoch 6
    assert.equal(
      await epochsRun([{ acc: 50 }, { acc: Number.NaN }], { monitor: 'acc', checkFinite: false, patience: 3 }),
      6,
    );
  });

  test('a missing metric: a warning and no decision, or with strict an Error', async () => {
    const other = () => Array.from({ length: 10 }, () => ({ other: 1 }));
    assert.equal(await epochsRun(other(), { monitor: 'acc', patience: 1 }), 10);
    await assert.rejects(epochsRun(other(), { monitor: 'acc', strict: true }), /do not include/);
    assert.throws(() => new engine.EarlyStoppingHook({ monitor: 'mae' }), /Cannot infer the rule for key mae/);
    assert.throws(
      () => new engine.EarlyStoppingHook({ monitor: 'acc', rule: 'bigger' as 'greater' }),
      /rule should be either "greater" or "less"/,
    );
  });
});
