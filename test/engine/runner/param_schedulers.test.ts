// MMEngine's parameter schedulers in the Runner: configs built when training starts (default
// `end` the training's length, convertToIterBased with the train loader's length), stepped by
// the ParamSchedulerHook per iteration, per epoch, or with the validation's metrics; their states
// in checkpoints under `param_schedulers` (by optimizer name for an OptimWrapperDict), resumed
// exactly. The logged lr of every iteration is compared with a hand-worked schedule.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { GAN, ganOptimWrappers, MixtureLoader } from '../../../examples/gan.js';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { ArrayLoader, Mlp, makeData, SimpleAccuracy } from './support.js';

const dirs: string[] = [];
const workDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'torch-node-param-schedulers-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const { xs, ys } = makeData(96);

/** The lr and momentum before each iteration, as the logger hook hands them to the visualizer. */
function visualizer(into: { step: number; lr: number }[]): engine.VisualizerLike {
  return {
    addScalars: (scalars, step) => {
      const lr = Object.entries(scalars).find(([k]) => /(^|\/)lr$/.test(k))?.[1];
      if (lr !== undefined) into.push({ step, lr });
    },
    close: () => {},
  };
}

function makeRunner(options: Partial<engine.RunnerOptions> & { logged?: { step: number; lr: number }[] }) {
  torch.manualSeed(0);
  const model = new Mlp();
  const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const { logged, ...rest } = options;
  const runner = new engine.Runner({
    model,
    workDir: workDir(),
    trainDataloader: new ArrayLoader(xs, ys, 16, true), // 6 iterations per epoch
    trainCfg: { maxEpochs: 3 },
    optimWrapper: { optimizer },
    randomness: { seed: 0 },
    logLevel: 'warning',
    defaultHooks: { logger: { interval: 1 } },
    ...(logged ? { visualizer: visualizer(logged) } : {}),
    ...rest,
  });
  return { runner, optimizer, model };
}

const close = (got: number[], want: number[], what: string) => {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  got.forEach((v, i) => {
    const w = want[i] as number;
    assert.ok(Math.abs(v - w) <= 1e-12 * Math.abs(w), `${what} ${i}: ${v}, expected ${w}`);
  });
};

describe('Runner with MMEngine parameter schedulers', () => {
  // A warm-up over iterations 0..8 (end 9), and MultiStepLR at epochs 1 and 2 converted to
  // iterations 6 and 12: the decay lands inside the warm-up and multiplies it.
  const CONFIGS: engine.ParamSchedulerConfig[] = [
    { type: 'LinearLR', startFactor: 0.25, byEpoch: false, begin: 0, end: 9 },
    { type: 'MultiStepLR', byEpoch: true, milestones: [1, 2], gamma: 0.1, convertToIterBased: true },
  ];
  // 0.1 * (0.25 + 0.75 * min(i, 8) / 8), times 0.1 from iteration 6 and again from 12.
  const HAND = [
    0.025, 0.034375, 0.04375, 0.053125, 0.0625, 0.071875, 0.008125, 0.0090625, 0.01, 0.01, 0.01, 0.01, 0.001, 0.001,
    0.001, 0.001, 0.001, 0.001,
  ];

  test('configs: the lr logged at every iteration is the hand-worked schedule; a resume from epoch 1 continues it', async () => {
    const logged: { step: number; lr: number }[] = [];
    const { runner } = makeRunner({ paramScheduler: CONFIGS, logged });
    assert.equal(runner.paramSchedulers.length, 0, 'configs are built when training starts');
    await runner.train();
    assert.deepEqual(
      logged.map((l) => l.step),
      Array.from({ length: 18 }, (_, i) => i + 1),
    );
    close(
      logged.map((l) => l.lr),
      HAND,
      'logged lr',
    );
    const [linear, multi] = runner.paramSchedulers.map((s) => s.scheduler) as [engine.LinearLR, engine.MultiStepLR];
    assert.ok(linear instanceof engine.LinearLR && multi instanceof engine.MultiStepLR);
    // MultiStepLR's end defaults to maxEpochs 3, converted to 18 iterations.
    assert.deepEqual([multi.begin, multi.end, multi.byEpoch, [...multi.milestones.keys()]], [0, 18, false, [6, 12]]);
    assert.deepEqual(
      runner.paramSchedulers.map((s) => [s.byEpoch, s.monitor]),
      [
        [false, null],
        [false, null],
      ],
    );
    const ckpt = torch.load(join(runner.workDir, 'epoch_1.pth')) as { param_schedulers: Record<string, unknown>[] };
    assert.equal(ckpt.param_schedulers.length, 2);
    assert.deepEqual(
      ckpt.param_schedulers.map((s) => [s.last_step, s._global_step]),
      [
        [6, 6],
        [6, 6],
      ],
    );

    const resumedLog: { step: number; lr: number }[] = [];
    const resumed = makeRunner({
      paramScheduler: CONFIGS,
      logged: resumedLog,
      resume: join(runner.workDir, 'epoch_1.pth'),
    });
    await resumed.runner.train();
    assert.deepEqual(
      resumedLog.map((l) => l.step),
      Array.from({ length: 12 }, (_, i) => i + 7),
    );
    assert.deepEqual(
      resumedLog.map((l) => l.lr),
      logged.slice(6).map((l) => l.lr),
      'the same values to the bit',
    );
  });

  test('engine schedulers as objects and configs together: per epoch, per iteration, in order', async () => {
    torch.manualSeed(0);
    const model = new Mlp();
    const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const seen: number[][] = [];
    class Probe extends engine.Hook {
      override beforeTrainIter(r: engine.Runner): void {
        seen.push([r.optimWrapper?.getLr().lr?.[0] as number, r.optimWrapper?.getMomentum().momentum?.[0] as number]);
      }
    }
    const runner = new engine.Runner({
      model,
      workDir: workDir(),
      trainDataloader: new ArrayLoader(xs, ys, 16),
      trainCfg: { maxEpochs: 3 },
      optimWrapper: { optimizer },
      paramScheduler: [
        new engine.MultiStepLR(optimizer, { milestones: [1, 2], gamma: 0.5 }),
        { type: 'CosineAnnealingMomentum', byEpoch: false, etaMin: 0.5 },
      ],
      customHooks: [new Probe()],
      defaultHooks: { checkpoint: null },
      logLevel: 'warning',
    });
    await runner.train();
    assert.ok(runner.paramSchedulers[0]?.scheduler instanceof engine.MultiStepLR, 'the given order');
    // The lr halves after epochs 1 and 2; the momentum follows a cosine from 0.9 to 0.5 over
    // TMax = maxIters 18 (the default end of an iteration-based config).
    const lr = (i: number) => 0.1 * 0.5 ** Math.floor(i / 6);
    const momentum = (i: number) => 0.5 + (0.4 * (1 + Math.cos((Math.PI * i) / 18))) / 2;
    close(
      seen.map((s) => s[0] as number),
      Array.from({ length: 18 }, (_, i) => lr(i)),
      'lr',
    );
    close(
      seen.map((s) => s[1] as number),
      Array.from({ length: 18 }, (_, i) => momentum(i)),
      'momentum',
    );
    assert.throws(
      () =>
        makeRunner({
          paramScheduler: { scheduler: new engine.StepLR(optimizer, { stepSize: 1 }) as never, byEpoch: false },
        }),
      /has its own byEpoch/,
    );
  });

  test("a ReduceOnPlateauLR config steps with the validation's metric", async () => {
    const scores = [50, 50, 50, 60, 60];
    const lrs: number[] = [];
    class Watch extends engine.Hook {
      override afterValEpoch(r: engine.Runner): void {
        lrs.push(r.optimWrapper?.getLr().lr?.[0] as number);
      }
    }
    const { runner } = makeRunner({
      trainCfg: { maxEpochs: 5 },
      valDataloader: new ArrayLoader(xs, ys, 32),
      valEvaluator: { process: () => {}, evaluate: () => ({ acc: scores.shift() as number }) },
      paramScheduler: { type: 'ReduceOnPlateauLR', monitor: 'acc', rule: 'greater', patience: 1 },
      customHooks: [new Watch()],
      defaultHooks: { checkpoint: null },
    });
    await runner.train();
    // Watch runs before the scheduler hook: the lr each validation saw. Two flat scores after
    // the first, then 0.1x; the epochs were counted (global step 5).
    close(lrs, [0.1, 0.1, 0.1, 0.01, 0.01], 'lr');
    const plateau = runner.paramSchedulers[0]?.scheduler as engine.ReduceOnPlateauLR;
    assert.deepEqual(
      [plateau.best, plateau._globalStep, plateau.end, runner.paramSchedulers[0]?.monitor],
      [60, 5, 5, 'acc'],
    );
    // (With maxEpochs 1 the default end 1 would leave the only validation, at step 1, outside
    // the window, as in MMEngine: nothing to check, and no error.)
    const missing = makeRunner({
      trainCfg: { maxEpochs: 2 },
      valDataloader: new ArrayLoader(xs, ys, 32),
      valEvaluator: new SimpleAccuracy(),
      paramScheduler: { type: 'ReduceOnPlateauLR' },
      defaultHooks: { checkpoint: null },
    }).runner;
    await assert.rejects(missing.train(), /metric 'loss' is not among the validation results \(accuracy\/top1\)/);
  });

  test('an OptimWrapperDict: schedulers by optimizer name, saved and resumed by name', async () => {
    const run = async (dir: string, resume?: string) => {
      torch.manualSeed(0);
      const model = new GAN({ hidden: 8 });
      const lrs: number[][] = [];
      class Probe extends engine.Hook {
        override beforeTrainIter(r: engine.Runner): void {
          const l = r.optimWrapper?.getLr() ?? {};
          lrs.push([l['generator.lr']?.[0] as number, l['discriminator.lr']?.[0] as number]);
        }
      }
      const runner = new engine.Runner({
        model,
        workDir: dir,
        trainDataloader: new MixtureLoader(16, 4, 0),
        trainCfg: { byEpoch: false, maxIters: 6 },
        optimWrapper: ganOptimWrappers(model),
        paramScheduler: {
          generator: [{ type: 'LinearLR', startFactor: 0.5, byEpoch: false, end: 4 }],
          discriminator: { type: 'StepLR', stepSize: 2, gamma: 0.5, byEpoch: false },
        },
        customHooks: [new Probe()],
        defaultHooks: { checkpoint: { interval: 3, byEpoch: false } },
        randomness: { seed: 0 },
        device: 'cpu',
        logLevel: 'warning',
        ...(resume ? { resume } : {}),
      });
      await runner.train();
      return { runner, lrs };
    };
    const dir = workDir();
    const { runner, lrs } = await run(dir);
    assert.deepEqual(
      runner.paramSchedulers.map((s) => s.optimizer),
      ['generator', 'discriminator'],
    );
    // generator: 1e-3 * (0.5 + 0.5 k / 3) up to k = 3; discriminator: 1e-3 halved every 2 iterations.
    close(
      lrs.map((l) => l[0] as number),
      [0.0005, 0.0005 * (4 / 3), 0.0005 * (5 / 3), 0.001, 0.001, 0.001],
      'generator lr',
    );
    close(
      lrs.map((l) => l[1] as number),
      [0.001, 0.001, 0.0005, 0.0005, 0.00025, 0.00025],
      'discriminator lr',
    );
    const ckpt = torch.load(join(dir, 'iter_3.pth')) as { param_schedulers: Record<string, Record<string, unknown>[]> };
    assert.deepEqual(Object.keys(ckpt.param_schedulers), ['generator', 'discriminator']);
    assert.equal(ckpt.param_schedulers.generator?.[0]?.start_factor, 0.5);
    const resumed = await run(workDir(), join(dir, 'iter_3.pth'));
    assert.deepEqual(resumed.lrs, lrs.slice(3));
  });
});
