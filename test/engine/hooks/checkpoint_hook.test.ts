// CheckpointHook across a resume, as MMEngine's: the best score and the checkpoints kept travel in
// the message hub (so in every checkpoint), a new best writes the latest regular checkpoint
// again, best checkpoints record the epoch or iteration they were made at, and the rule of a
// metric is inferred from its name or refused.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

/** An evaluator whose successive evaluations are the entries of `results`. */
function scriptedMetrics(results: Record<string, number>[]): engine.EvaluatorLike {
  return { process: () => {}, evaluate: () => results.shift() as Record<string, number> };
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
    // MMEngine's runtime-info keys, so that either resumes the other's checkpoints
    const info = saved.message_hub.runtime_info;
    assert.deepEqual(
      [info.best_score, info.best_ckpt, info.last_ckpt],
      [80, join(dir, 'best_acc_epoch_2.pth'), join(dir, 'epoch_2.pth')],
    );
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

  test('saveBegin: every interval counted from it (2 from 3: 3, 5, 7), and the last', async () => {
    const dir = workDir();
    await runner(dir, { maxEpochs: 8, defaultHooks: { checkpoint: { interval: 2, saveBegin: 3 } } }).train();
    assert.deepEqual(pth(dir), ['epoch_3.pth', 'epoch_5.pth', 'epoch_7.pth', 'epoch_8.pth']);
    const iterDir = workDir();
    await runner(iterDir, {
      maxEpochs: 1,
      trainCfg: { byEpoch: false, maxIters: 7 },
      defaultHooks: { checkpoint: { byEpoch: false, interval: 3, saveBegin: 2, saveLast: false } },
    }).train();
    assert.deepEqual(pth(iterDir), ['iter_2.pth', 'iter_5.pth']);
    assert.throws(() => new engine.CheckpointHook({ saveBegin: -1 }), /saveBegin should not be less than 0/);
  });

  test('filenameTmpl names the regular, kept and best checkpoints', async () => {
    const dir = workDir();
    const checkpoint = { filenameTmpl: 'ckpt_{}_e.pth', maxKeepCkpts: 2, saveBest: 'acc' };
    await runner(dir, { maxEpochs: 3, valEvaluator: scripted([5, 7, 6]), defaultHooks: { checkpoint } }).train();
    assert.deepEqual(pth(dir), ['best_acc_ckpt_2_e.pth', 'ckpt_2_e.pth', 'ckpt_3_e.pth']);
    assert.equal(readFileSync(join(dir, 'last_checkpoint'), 'utf8'), join(dir, 'ckpt_3_e.pth'));
    assert.throws(() => new engine.CheckpointHook({ filenameTmpl: 'epoch.pth' }), /one and only one \{\}/);
    assert.throws(() => new engine.CheckpointHook({ filenameTmpl: '{}_{}.pth' }), /one and only one \{\}/);
  });

  test('several metrics in saveBest: a best checkpoint each, by its own rule, across a resume', async () => {
    const dir = workDir();
    const checkpoint = { saveBest: ['acc', 'loss'] };
    const results = [
      { acc: 50, loss: 1.0 },
      { acc: 40, loss: 0.5 },
      { acc: 60, loss: 0.7 },
      { acc: 55, loss: 0.4 },
    ];
    await runner(dir, { maxEpochs: 3, valEvaluator: scriptedMetrics(results), defaultHooks: { checkpoint } }).train();
    assert.deepEqual(pth(dir), [
      'best_acc_epoch_3.pth',
      'best_loss_epoch_2.pth',
      'epoch_1.pth',
      'epoch_2.pth',
      'epoch_3.pth',
    ]);
    const saved = torch.load(join(dir, 'epoch_3.pth')) as { message_hub: { runtime_info: Record<string, unknown> } };
    const info = saved.message_hub.runtime_info;
    assert.deepEqual(
      [info.best_score_acc, info.best_score_loss, info.best_ckpt_acc, info.best_ckpt_loss],
      [60, 0.5, join(dir, 'best_acc_epoch_3.pth'), join(dir, 'best_loss_epoch_2.pth')],
    );
    // resumed: epoch 4's loss 0.4 replaces the loss best; acc 55 does not beat 60
    await runner(dir, {
      maxEpochs: 4,
      resume: true,
      valEvaluator: scriptedMetrics(results),
      defaultHooks: { checkpoint },
    }).train();
    assert.deepEqual(
      pth(dir).filter((f) => f.startsWith('best_')),
      ['best_acc_epoch_3.pth', 'best_loss_epoch_4.pth'],
    );
    // one rule for all, or one each
    assert.deepEqual(new engine.CheckpointHook({ saveBest: ['a', 'b'], rule: 'less' }).rules, ['less', 'less']);
    assert.deepEqual(new engine.CheckpointHook({ saveBest: ['acc', 'b'], rule: [null, 'less'] }).rules, [
      'greater',
      'less',
    ]);
    assert.throws(
      () => new engine.CheckpointHook({ saveBest: ['a', 'b', 'c'], rule: ['less', 'less'] }),
      /number of rules/,
    );
    assert.throws(() => new engine.CheckpointHook({ saveBest: ['acc', 'acc'] }), /names a metric twice/);
    assert.throws(() => new engine.CheckpointHook({ saveBest: ['auto', 'acc'] }), /'auto' in saveBest must be alone/);
  });

  test("'auto' resumed: the first metric's best file from the earlier run is replaced", async () => {
    const dir = workDir();
    const checkpoint = { saveBest: 'auto' };
    await runner(dir, { maxEpochs: 1, valEvaluator: scripted([1]), defaultHooks: { checkpoint } }).train();
    await runner(dir, {
      maxEpochs: 2,
      resume: true,
      valEvaluator: scripted([2]),
      defaultHooks: { checkpoint },
    }).train();
    assert.deepEqual(
      pth(dir).filter((f) => f.startsWith('best_')),
      ['best_acc_epoch_2.pth'],
    );
  });

  test('greaterKeys and lessKeys replace the lists a rule is inferred from', () => {
    assert.deepEqual(new engine.CheckpointHook({ saveBest: 'val/PSNR', greaterKeys: ['psnr'] }).rules, ['greater']);
    assert.deepEqual(new engine.CheckpointHook({ saveBest: 'mae', lessKeys: ['mae'] }).rules, ['less']);
    assert.throws(
      () => new engine.CheckpointHook({ saveBest: 'acc', greaterKeys: ['psnr'] }),
      /Cannot infer the rule for key acc/,
    );
  });

  test('outDir gets the work folder’s name under it, as MMEngine', async () => {
    const root = workDir();
    const dir = join(workDir(), 'exp1');
    await runner(dir, { maxEpochs: 1, defaultHooks: { checkpoint: { outDir: root } } }).train();
    assert.deepEqual(pth(join(root, 'exp1')), ['epoch_1.pth']);
    assert.equal(readFileSync(join(dir, 'last_checkpoint'), 'utf8'), join(root, 'exp1', 'epoch_1.pth'));
  });

  test('publishedKeys: the last and best checkpoints again, with those keys only, named by their SHA-256', async () => {
    const dir = workDir();
    const checkpoint = { saveBest: 'acc', publishedKeys: ['meta', 'state_dict'] };
    await runner(dir, { maxEpochs: 2, valEvaluator: scripted([3, 2]), defaultHooks: { checkpoint } }).train();
    const published = pth(dir).filter((f) => /-[0-9a-f]{8}\.pth$/.test(f));
    assert.equal(published.length, 2, published.join(', '));
    assert.match(published[0] as string, /^best_acc_epoch_1-[0-9a-f]{8}\.pth$/);
    assert.match(published[1] as string, /^epoch_2-[0-9a-f]{8}\.pth$/);
    for (const f of published) {
      const bytes = readFileSync(join(dir, f));
      assert.equal(f.slice(-12, -4), createHash('sha256').update(bytes).digest('hex').slice(0, 8), f);
      const ckpt = torch.load(join(dir, f)) as Record<string, unknown>;
      assert.deepEqual(Object.keys(ckpt).sort(), ['meta', 'state_dict']);
    }
    const full = torch.load(join(dir, 'epoch_2.pth')) as Record<string, unknown>;
    assert.ok('optimizer' in full && 'message_hub' in full, 'the checkpoints themselves are untouched');
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
