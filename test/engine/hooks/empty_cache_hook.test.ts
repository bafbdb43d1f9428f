// EmptyCacheHook as MMEngine's: beforeEpoch (default false), afterEpoch (default true) and
// afterIter (default false) choose when the CUDA cache is emptied, in training, validation and
// testing alike; a spy in place of the emptier shows the call points of a real run. Without
// CUDA the real emptier does nothing and counts nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { STAGES } from '../../../lib/engine/hooks/hook.js';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { ArrayLoader, Mlp, makeData, SimpleAccuracy } from '../runner/support.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const { xs, ys } = makeData(32);

/** The stages at which `hook` emptied the cache in 2 epochs of 2 iterations, a validation after each, then a test of 1 iteration. */
async function callPoints(hook: engine.EmptyCacheHook): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'torch-node-empty-cache-'));
  dirs.push(dir);
  const seen: string[] = [];
  let stage = '';
  // The runner calls hooks by name: wrap each stage to note where the spy is called from.
  for (const name of STAGES) {
    const own = (hook as unknown as Record<string, (...a: unknown[]) => void>)[name] as (...a: unknown[]) => void;
    (hook as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      stage = name;
      own.apply(hook, args);
    };
  }
  hook.emptyCache = () => {
    seen.push(stage);
    return true;
  };
  torch.manualSeed(0);
  const model = new Mlp();
  const runner = new engine.Runner({
    model,
    workDir: dir,
    trainDataloader: new ArrayLoader(xs, ys, 16),
    valDataloader: new ArrayLoader(xs, ys, 32),
    testDataloader: new ArrayLoader(xs, ys, 32),
    valEvaluator: new SimpleAccuracy(),
    testEvaluator: new SimpleAccuracy(),
    trainCfg: { maxEpochs: 2 },
    optimWrapper: { optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.01 }) },
    customHooks: [hook],
    defaultHooks: { checkpoint: null },
    logLevel: 'silent',
  });
  await runner.train();
  await runner.test();
  return seen;
}

describe('EmptyCacheHook', () => {
  test("MMEngine's defaults: after every epoch (train, val, test), not before, not after iterations", async () => {
    const hook = new engine.EmptyCacheHook();
    assert.deepEqual([hook.beforeEpoch, hook.afterEpoch, hook.afterIter], [false, true, false]);
    const per = ['afterTrainEpoch', 'afterValEpoch'];
    assert.deepEqual(await callPoints(hook), [...per, ...per, 'afterTestEpoch']);
    assert.equal(hook.emptied, 5, 'counts the emptier reporting that it emptied');
  });

  test('each switch adds or removes its call points', async () => {
    const iters = ['afterTrainIter', 'afterTrainIter'];
    assert.deepEqual(await callPoints(new engine.EmptyCacheHook({ afterIter: true, afterEpoch: false })), [
      ...iters,
      'afterValIter',
      ...iters,
      'afterValIter',
      'afterTestIter',
    ]);
    assert.deepEqual(await callPoints(new engine.EmptyCacheHook({ beforeEpoch: true, afterEpoch: false })), [
      'beforeTrainEpoch',
      'beforeValEpoch',
      'beforeTrainEpoch',
      'beforeValEpoch',
      'beforeTestEpoch',
    ]);
    assert.deepEqual(
      await callPoints(new engine.EmptyCacheHook({ beforeEpoch: false, afterEpoch: false, afterIter: false })),
      [],
    );
    const all = await callPoints(new engine.EmptyCacheHook({ beforeEpoch: true, afterIter: true }));
    assert.deepEqual(all.slice(0, 4), ['beforeTrainEpoch', 'afterTrainIter', 'afterTrainIter', 'afterTrainEpoch']);
    assert.equal(all.length, 2 * (4 + 3) + 3);
  });

  test('the real emptier: torch.cuda.emptyCache where CUDA is, a harmless no-op on the CPU', () => {
    const hook = new engine.EmptyCacheHook({ afterIter: true, beforeEpoch: true });
    hook.afterTrainIter();
    hook.beforeValEpoch();
    hook.afterTestEpoch();
    assert.equal(hook.emptied, torch.cuda.isAvailable() ? 3 : 0);
  });

  test('bad options: a TypeError naming the option', () => {
    assert.throws(
      () => new engine.EmptyCacheHook({ after_iter: true } as engine.EmptyCacheHookOptions),
      /EmptyCacheHook: unknown option 'after_iter'; options are camelCase: 'afterIter'/,
    );
    assert.throws(
      () => new engine.EmptyCacheHook({ afterEpoch: 'no' as unknown as boolean }),
      (e: Error) =>
        e instanceof TypeError && /EmptyCacheHook: afterEpoch must be a boolean, got string/.test(e.message),
    );
    assert.throws(() => new engine.EmptyCacheHook(5 as engine.EmptyCacheHookOptions), /options must be an object/);
  });
});
