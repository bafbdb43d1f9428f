// CheckpointHook across a resume, as MMEngine's: the best score and the checkpoints kept travel in
// the message hub (so in every checkpoint), a new best writes the latest regular checkpoint
// again, best checkpoints record the epoch or iteration they were made at, and the rule of a
// metric is inferred from its name or refused.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
const workDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'torch-node-ckpt-hook-'));
  dirs.push(d);
  return d;
};

const { xs, ys } = makeData(48);

/** An evaluator whose successive evaluations give the scores of `scores` as `acc`. */
function scripted(scores: number[]): engine.EvaluatorLike {
  return { process: () => {}, evaluate: () => ({ acc: scores.shift() as number }) };
}

function runner(dir: string, options: Partial<engine.RunnerOptions> & { maxEpochs: number }): engine.Runner {
  torch.manualSeed(0);
  const model = new Mlp();
  return new engine.Runner({
    model,
    workDir: dir,
    trainDataloader: new ArrayLoader(xs, ys, 16, true),
    valDataloader: new ArrayLoader(xs, ys, 48),
    trainCfg: { maxEpochs: options.maxEpochs },
    optimWrapper: { optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.1 }) },
    randomness: { seed: 0 },
    logLevel: 'silent',
    ...options,
  });
}

const pth = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.pth'))
    .sort();

describe('CheckpointHook', () => {
  test('a new best writes the regular checkpoint again: a resumed run knows the best and replaces its file', async () => {
    const dir = workDir();
    const checkpoint = { saveBest: 'acc' };
    await runner(dir, { maxEpochs: 2, valEvaluator: scripted([50, 80]), defaultHooks: { checkpoint } }).train();
    assert.deepEqual(pth(dir), ['best_acc_epoch_2.pth', 'epoch_1.pth', 'epoch_2.pth']);
    const saved = torch.load(join(dir, 'epoch_2.pth')) as { message_hub: { runtime_info: Record<string, unknown> } };
    assert.deepEqual(saved.message_hub.runtime_info.checkpoint_hook, {
      best_score: 80,
      best_ckpt: join(dir, 'best_acc_epoch_2.pth'),
      last_ckpt: join(dir, 'epoch_2.pth'),
    });
    // Resumed: 60 and 70 do not beat 80, then 90 does and replaces the best file.
    const resumed = runner(dir, {
      maxEpochs: 5,
      resume: true,
      valEvaluator: scripted([60, 70, 90]),
      defaultHooks: { checkpoint },
    });
    await resumed.train();
    assert.deepEqual(pth(dir), [
      'best_acc_epoch_5.pth',
      'epoch_1.pth',
      'epoch_2.pth',
      'epoch_3.pth',
      'epoch_4.pth',
      'epoch_5.pth',
    ]);
  });

  test('maxKeepCkpts holds across a resume: the earlier run’s checkpoints count', async () => {
    const dir = workDir();
    const checkpoint = { maxKeepCkpts: 2 };
    await runner(dir, { maxEpochs: 3, defaultHooks: { checkpoint } }).train();
    assert.deepEqual(pth(dir), ['epoch_2.pth', 'epoch_3.pth']);
    await runner(dir, { maxEpochs: 6, resume: true, defaultHooks: { checkpoint } }).train();
    assert.deepEqual(pth(dir), ['epoch_5.pth', 'epoch_6.pth']);
  });

  test('a best checkpoint records the epoch (or iteration) it was made at, as its name says', async () => {
    const dir = workDir();
    await runner(dir, {
      maxEpochs: 1,
      valEvaluator: scripted([1]),
      defaultHooks: { checkpoint: { saveBest: 'acc' } },
    }).train();
    const epochBased = torch.load(join(dir, 'best_acc_epoch_1.pth')) as { meta: { epoch: number; iter: number } };
    assert.deepEqual([epochBased.meta.epoch, epochBased.meta.iter], [1, 3]);
    const iterDir = workDir();
    await runner(iterDir, {
      maxEpochs: 1,
      trainCfg: { byEpoch: false, maxIters: 6, valInterval: 6 },
      valEvaluator: scripted([1]),
      defaultHooks: { checkpoint: { byEpoch: false, interval: 6, saveBest: 'acc' } },
    }).train();
    const iterBased = torch.load(join(iterDir, 'best_acc_iter_6.pth')) as { meta: { epoch: number; iter: number } };
    assert.equal(iterBased.meta.iter, 6);
  });

  test('the rule of a metric: inferred from its name, case-insensitively, or refused', () => {
    assert.equal(engine.inferRule('accuracy/top1'), 'greater');
    assert.equal(engine.inferRule('mIoU'), 'greater');
    assert.equal(engine.inferRule('val/Loss'), 'less');
    assert.throws(
      () => engine.inferRule('mae'),
      /Cannot infer the rule for key mae, thus a specific rule must be specified/,
    );
    assert.throws(() => new engine.CheckpointHook({ saveBest: 'mae' }), /Cannot infer the rule for key mae/);
    assert.equal(new engine.CheckpointHook({ saveBest: 'mae', rule: 'less' }).rule, 'less');
    assert.equal(new engine.CheckpointHook({ saveBest: 'auto' }).rule, null, "'auto' waits for the first evaluation");
  });
});
