// EMAHook in a run, as MMEngine's: the average follows the weights after each iteration (from
// beginIter/beginEpoch on), validation runs with the averaged weights and training goes on with
// its own, a checkpoint's state_dict holds the average and its ema_state_dict the model's own
// weights, and a resumed run continues both exactly. The expected average is worked out here from
// the weights recorded after each iteration.
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
const workDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'torch-node-ema-hook-'));
  dirs.push(d);
  return d;
};

const { xs, ys } = makeData(48);
const flat = (t: torch.Tensor): number[] => (t.toArray() as number[][]).flat();

/** Records fc1.weight after each training iteration (before EMAHook, by priority) and at validation. */
class Probe extends engine.Hook {
  override priority: engine.Priority = 'HIGH';
  readonly trained: number[][] = [];
  readonly validated: number[][] = [];
  readonly swappedBack: number[][] = [];
  override afterTrainIter(runner: engine.Runner): void {
    this.trained.push(flat((runner.model as Mlp).fc1.weight));
  }
  override beforeValIter(runner: engine.Runner, args: engine.IterArgs): void {
    if (args.batchIdx === 0) this.validated.push(flat((runner.model as Mlp).fc1.weight));
  }
  override afterVal(runner: engine.Runner): void {
    this.swappedBack.push(flat((runner.model as Mlp).fc1.weight));
  }
}

function runner(dir: string, maxEpochs: number, ema: engine.EMAHookOptions, extra?: Partial<engine.RunnerOptions>) {
  torch.manualSeed(0);
  const model = new Mlp();
  const probe = new Probe();
  const r = new engine.Runner({
    model,
    workDir: dir,
    trainDataloader: new ArrayLoader(xs, ys, 16, true),
    valDataloader: new ArrayLoader(xs, ys, 48),
    valEvaluator: new SimpleAccuracy(),
    trainCfg: { maxEpochs },
    optimWrapper: { optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }) },
    customHooks: [new engine.EMAHook(ema), probe],
    randomness: { seed: 0 },
    logLevel: 'silent',
    ...extra,
  });
  return { runner: r, model, probe };
}

/** The EMA (MMEngine's momentum) of a sequence of weight vectors, from index `begin` on (mirroring before). */
function emaOf(seq: number[][], momentum: number, begin = 0): number[][] {
  const out: number[][] = [];
  let avg: number[] = [];
  seq.forEach((w, i) => {
    if (i <= begin) avg = [...w];
    else avg = avg.map((a, j) => a + momentum * ((w[j] as number) - a));
    out.push(avg);
  });
  return out;
}

const near = (a: number[], b: number[], what: string, tol = 1e-6) => {
  assert.equal(a.length, b.length, what);
  a.forEach((x, i) => {
    assert.ok(Math.abs(x - (b[i] as number)) <= tol, `${what}[${i}]: ${x} vs ${b[i]}`);
  });
};

describe('EMAHook', () => {
  test('validates with the average, trains with its own weights, saves the average as state_dict', async () => {
    const dir = workDir();
    const { runner: r, model, probe } = runner(dir, 2, { momentum: 0.25 });
    await r.train();
    const expected = emaOf(probe.trained, 0.25);
    assert.equal(probe.trained.length, 6);
    // validation after epochs 1 and 2 (3 iterations each) ran with the average
    near(probe.validated[0] as number[], expected[2] as number[], 'val 1');
    near(probe.validated[1] as number[], expected[5] as number[], 'val 2');
    assert.notDeepEqual(probe.validated[0], probe.trained[2]);
    // and swapped back: training's own weights again
    assert.deepEqual(probe.swappedBack[1], probe.trained[5]);
    assert.deepEqual(flat(model.fc1.weight), probe.trained[5]);
    const ckpt = torch.load(join(dir, 'epoch_2.pth')) as {
      state_dict: Record<string, torch.Tensor>;
      ema_state_dict: Record<string, torch.Tensor>;
    };
    near(flat(ckpt.state_dict['fc1.weight'] as torch.Tensor), expected[5] as number[], 'state_dict: the average');
    assert.deepEqual(
      flat(ckpt.ema_state_dict['module.fc1.weight'] as torch.Tensor),
      probe.trained[5],
      'the own weights',
    );
    assert.equal(ckpt.ema_state_dict.steps?.item(), 6);
  });

  test('beginIter: the average mirrors the weights until then', async () => {
    const { runner: r, probe } = runner(workDir(), 2, { momentum: 0.25, beginIter: 3 });
    await r.train();
    // iterations 1-2 (0-based 0, 1) mirror; iteration 3 (index 2) is the first update: a copy
    const expected = emaOf(probe.trained, 0.25, 2);
    near(probe.validated[0] as number[], probe.trained[2] as number[], 'val 1: the weights themselves');
    near(probe.validated[1] as number[], expected[5] as number[], 'val 2');
  });

  test('a resumed run continues the average and the weights as one straight run', async () => {
    const straight = runner(workDir(), 3, { momentum: 0.25 });
    await straight.runner.train();
    const dir = workDir();
    await runner(dir, 1, { momentum: 0.25 }).runner.train();
    torch.manualSeed(123);
    const resumed = runner(dir, 3, { momentum: 0.25 }, { resume: true });
    await resumed.runner.train();
    assert.deepEqual(flat(resumed.model.fc1.weight), flat(straight.model.fc1.weight), 'the model');
    assert.deepEqual(resumed.probe.validated.at(-1), straight.probe.validated.at(-1), 'the average');
  });

  test('loading a checkpoint (not resuming) starts the average from its state_dict', async () => {
    const dir = workDir();
    const trained = runner(dir, 1, { momentum: 0.25 });
    await trained.runner.train();
    const saved = torch.load(join(dir, 'epoch_1.pth')) as { state_dict: Record<string, torch.Tensor> };
    const { runner: r, probe } = runner(workDir(), 1, { momentum: 0.25 }, { loadFrom: join(dir, 'epoch_1.pth') });
    await r.val();
    assert.deepEqual(probe.validated[0], flat(saved.state_dict['fc1.weight'] as torch.Tensor));
  });

  test('options are checked', () => {
    assert.throws(() => new engine.EMAHook({ beginIter: 2, beginEpoch: 1 }), /should not be both set/);
    assert.throws(() => new engine.EMAHook({ emaType: 'Nope' as 'ExponentialMovingAverage' }), /emaType Nope/);
  });
});
