// LoggerHook as MMEngine's: which training iterations are logged (the last, partial window of an
// epoch is skipped by default, unless the epoch is no longer than the interval), and the step at
// which an evaluation's metrics reach the visualizer (the epoch by default, else the iteration).
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

const { xs, ys } = makeData(96);

/** Trains 2 epochs of 6 iterations (batches of 16) and returns the logged training lines and the visualizer's steps. */
async function run(
  logger: engine.LoggerHookOptions,
  logProcessor?: engine.LogProcessorOptions,
): Promise<{ lines: string[]; evalLines: string[]; steps: { keys: string[]; step: number }[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'torch-node-logger-hook-'));
  dirs.push(dir);
  torch.manualSeed(0);
  const model = new Mlp();
  const steps: { keys: string[]; step: number }[] = [];
  const runner = new engine.Runner({
    model,
    workDir: dir,
    trainDataloader: new ArrayLoader(xs, ys, 16, true),
    valDataloader: new ArrayLoader(xs, ys, 32),
    valEvaluator: new SimpleAccuracy(),
    trainCfg: { maxEpochs: 2 },
    optimWrapper: { optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.1 }) },
    defaultHooks: { logger: { progressBar: false, ...logger }, checkpoint: null },
    visualizer: { addScalars: (s, step) => steps.push({ keys: Object.keys(s), step }), close: () => {} },
    randomness: { seed: 0 },
    logLevel: 'silent',
    ...(logProcessor ? { logProcessor } : {}),
  });
  const lines: string[] = [];
  const evalLines: string[] = [];
  runner.logger.level = 'silent';
  const write = runner.logger.info.bind(runner.logger);
  runner.logger.info = (m: string) => {
    if (m.startsWith('Epoch(train)')) lines.push(m.slice(0, m.indexOf(']', m.indexOf(']') + 1) + 1));
    if (m.startsWith('Epoch(val)')) evalLines.push(m.slice(0, m.indexOf(']', m.indexOf(']') + 1) + 1));
    write(m);
  };
  await runner.train();
  return { lines, evalLines, steps };
}

describe('LoggerHook', () => {
  test('interval 4 over 6 iterations: the partial last window is skipped, unless ignoreLast is off', async () => {
    assert.deepEqual((await run({ interval: 4 })).lines, ['Epoch(train) [1][4/6]', 'Epoch(train) [2][4/6]']);
    assert.deepEqual((await run({ interval: 4, ignoreLast: false })).lines, [
      'Epoch(train) [1][4/6]',
      'Epoch(train) [1][6/6]',
      'Epoch(train) [2][4/6]',
      'Epoch(train) [2][6/6]',
    ]);
  });

  test('an evaluation logs its progress every interval batches, then its metrics', async () => {
    // 3 validation batches of 32, interval 2: a line after batch 2, then the epoch's line.
    const { evalLines } = await run({ interval: 2 });
    assert.deepEqual(evalLines, [
      'Epoch(val) [1][2/3]',
      'Epoch(val) [1][3/3]',
      'Epoch(val) [2][2/3]',
      'Epoch(val) [2][3/3]',
    ]);
  });

  test("the runner's logProcessor makes the lines and the visualizer's tags: customCfg, logWithHierarchy", async () => {
    const { steps } = await run(
      { interval: 3 },
      {
        customCfg: [{ dataSrc: 'loss', method: 'max', windowSize: 'epoch', logName: 'loss_max' }],
        logWithHierarchy: true,
      },
    );
    const train = steps.find((s) => s.keys.includes('epoch'));
    assert.ok(train?.keys.includes('train/loss') && train.keys.includes('train/loss_max'), String(train?.keys));
    assert.ok(train?.keys.includes('iter'), 'epoch and iter stay as they are');
    const val = steps.find((s) => s.keys.includes('val/accuracy/top1'));
    assert.ok(val, steps.map((s) => s.keys.join(',')).join(' | '));
  });

  test('an epoch no longer than the interval is logged at its end', async () => {
    assert.deepEqual((await run({ interval: 10 })).lines, ['Epoch(train) [1][6/6]', 'Epoch(train) [2][6/6]']);
  });

  test("the visualizer's tags: training scalars with epoch and iter, validation metrics with their timings", async () => {
    const { steps } = await run({ interval: 4 });
    const train = steps.filter((s) => !s.keys.includes('accuracy/top1'));
    assert.deepEqual(train[0]?.keys.slice(-2), ['epoch', 'iter']);
    assert.ok(train[0]?.keys.includes('loss'));
    const val = steps.find((s) => s.keys.includes('accuracy/top1'));
    assert.deepEqual(val?.keys, ['accuracy/top1', 'data_time', 'time']);
  });

  test("an evaluation's metrics reach the visualizer at the epoch, or with logMetricByEpoch off at the iteration", async () => {
    const val = (r: Awaited<ReturnType<typeof run>>) =>
      r.steps.filter((s) => s.keys.includes('accuracy/top1')).map((s) => s.step);
    assert.deepEqual(val(await run({ interval: 4 })), [1, 2]);
    assert.deepEqual(val(await run({ interval: 4, logMetricByEpoch: false })), [6, 12]);
  });
});
