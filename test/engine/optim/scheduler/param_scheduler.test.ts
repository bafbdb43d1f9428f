// MMEngine's parameter schedulers on hand-worked sequences: windows [begin, end), stacking (a
// warm-up by iteration, then an epoch schedule converted to iterations), CosineAnnealing starting
// late, OneCycle, CosineRestart with restart weights, momentum on SGD and on Adam's beta1, any
// param group option, ReduceOnPlateau's window; state dicts with MMEngine's keys and an exact
// resume; buildParamSchedulers' defaults, OptimWrapperDict and its refusals.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import * as engine from '../../../../lib/engine/index.js';
import * as torch from '../../../../lib/index.js';
import { captureLogs } from '../../support.js';

const { optim } = torch;
type Tensor = torch.Tensor;

beforeEach(() => {
  captureLogs();
});
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const param = (): Tensor => torch.zeros([1], { requiresGrad: true });

function sgd(lrs: number[] = [0.1], options: Record<string, unknown> = {}): torch.optim.SGD {
  return new optim.SGD(
    lrs.map((lr) => ({ params: [param()], lr })),
    { lr: lrs[0], momentum: 0.9, ...options },
  );
}

/** The values of `key` in group 0 before each of `n` steps (the one after construction first). */
function run(
  optimizer: { paramGroups: Record<string, unknown>[] },
  schedulers: engine.ParamScheduler[],
  n: number,
  key = 'lr',
): number[] {
  const seen: number[] = [];
  for (let i = 0; i < n; i++) {
    seen.push(optimizer.paramGroups[0]?.[key] as number);
    for (const s of schedulers) s.step();
  }
  return seen;
}

function assertSeq(got: number[], want: number[], what = 'value'): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  got.forEach((v, i) => {
    const w = want[i] as number;
    assert.ok(Math.abs(v - w) <= 1e-12 * Math.max(1e-3, Math.abs(w)), `${what} ${i}: ${v}, expected ${w}`);
  });
}

const repeat = (v: number, n: number): number[] => new Array<number>(n).fill(v);

describe('windows and stacking', () => {
  test('a LinearLR warm-up by iteration for 5 iterations, then MultiStepLR by epoch converted to iterations', () => {
    const opt = sgd([0.1]);
    const schedulers = engine.buildParamSchedulers(
      [
        { type: 'LinearLR', startFactor: 0.2, byEpoch: false, begin: 0, end: 5 },
        { type: 'MultiStepLR', byEpoch: true, milestones: [1, 2], gamma: 0.1, convertToIterBased: true },
      ],
      { optimWrapper: opt, epochLength: 6, maxEpochs: 3, maxIters: 18 },
    );
    const multi = schedulers[1] as engine.MultiStepLR;
    // Converted: milestones [1, 2] epochs = iterations 6 and 12; end: maxEpochs 3 = 18 iterations.
    assert.deepEqual([...multi.milestones.keys()], [6, 12]);
    assert.deepEqual([multi.begin, multi.end, multi.byEpoch], [0, 18, false]);
    // lr = 0.1 * 0.2 at the first iteration, + 0.02 per iteration up to 0.1 at the fifth
    // (end 5: the window is iterations 0..4); then 0.1x at iterations 6 and 12.
    assertSeq(
      run(opt, schedulers, 18),
      [0.02, 0.04, 0.06, 0.08, 0.1, 0.1, ...repeat(0.01, 6), ...repeat(0.001, 6)],
      'lr',
    );
  });

  test('overlapping windows compose: the decay multiplies the warm-up in progress', () => {
    const opt = sgd([0.1]);
    const schedulers = [
      new engine.LinearLR(opt, { startFactor: 0.25, byEpoch: false, end: 9 }),
      new engine.MultiStepLR(opt, { milestones: [6, 12], byEpoch: false }),
    ];
    // 0.1 * (0.25 + 0.75 * min(i, 8) / 8) * 0.1^(milestones passed)
    const want = Array.from(
      { length: 16 },
      (_, i) => 0.1 * (0.25 + (0.75 * Math.min(i, 8)) / 8) * 0.1 ** ((i >= 6 ? 1 : 0) + (i >= 12 ? 1 : 0)),
    );
    assertSeq(run(opt, schedulers, 16), want, 'lr');
    assertSeq(
      want.slice(0, 9),
      [0.025, 0.034375, 0.04375, 0.053125, 0.0625, 0.071875, 0.008125, 0.0090625, 0.01],
      'hand',
    );
  });

  test('CosineAnnealingLR from begin 2 to end 7: nothing before, the cosine inside, frozen after', () => {
    const opt = sgd([0.1, 0.2]);
    const s = new engine.CosineAnnealingLR(opt, { begin: 2, end: 7, etaMin: 0.01 });
    assert.equal(s.TMax, 5, 'TMax defaults to end - begin');
    // lastStep k = step - 2 inside the window: 0.01 + (0.1 - 0.01) (1 + cos(pi k / 5)) / 2;
    // the window ends at k = 4, before the minimum (k = 5) is reached.
    const c = (k: number) => 0.01 + (0.09 * (1 + Math.cos((Math.PI * k) / 5))) / 2;
    const want = [0.1, 0.1, 0.1, c(1), c(2), c(3), c(4), c(4), c(4), c(4)];
    assertSeq(run(opt, [s], 10), want, 'lr');
    assertSeq(
      want.slice(3, 7),
      [0.0914057647468726, 0.06890576474687263, 0.04109423525312737, 0.01859423525312737],
      'hand',
    );
    // Group 1 starts at 0.2 and anneals to the same etaMin.
    assert.ok(
      Math.abs((opt.paramGroups[1]?.lr as number) - (0.01 + (0.19 * (1 + Math.cos((4 * Math.PI) / 5))) / 2)) < 1e-15,
    );
  });

  test('CosineAnnealingLR with etaMinRatio: each group to its own fraction; converted from epochs', () => {
    const opt = sgd([0.1, 0.2]);
    const [s] = engine.buildParamSchedulers(
      [{ type: 'CosineAnnealingLR', begin: 1, end: 3, etaMinRatio: 0.1, convertToIterBased: true }],
      { optimWrapper: opt, epochLength: 4 },
    ) as [engine.CosineAnnealingLR];
    assert.deepEqual([s.begin, s.end, s.TMax, s.byEpoch], [4, 12, 8, false]);
    for (let i = 0; i < 12; i++) s.step();
    // At iteration 12 the window [4, 12) has taken lastStep 0..7: the cosine at 7/8 of TMax 8.
    const want = (base: number) => base * 0.1 + (base * 0.9 * (1 + Math.cos((7 * Math.PI) / 8))) / 2;
    assertSeq(s.getLastValue(), [want(0.1), want(0.2)], 'lr');
  });

  test('OneCycleLR (linear) in a window: the lr waits for begin; 10 steps from lr/10 up to etaMax and down to 1/100 of the start', () => {
    const opt = sgd([0.5]);
    const s = new engine.OneCycleLR(opt, {
      etaMax: 1.0,
      divFactor: 10,
      finalDivFactor: 100,
      annealStrategy: 'linear',
      begin: 2,
      end: 12,
    });
    assert.equal(s.totalSteps, 10, 'totalSteps defaults to end - begin');
    const g = opt.paramGroups[0] as Record<string, unknown>;
    assert.deepEqual([g.initialLr, g.maxLr, g.minLr], [0.1, 1.0, 0.001]);
    // Up over steps 0..2 (pctStart 0.3 of 10: the phase ends at step 2), down over 2..9.
    const down = (k: number) => 1 + ((0.001 - 1) * (k - 2)) / 7;
    assertSeq(
      run(opt, [s], 14),
      [0.5, 0.5, 0.1, 0.55, 1.0, down(3), down(4), down(5), down(6), down(7), down(8), 0.001, 0.001, 0.001],
      'lr',
    );
    assertSeq([down(3), down(8)], [0.8572857142857143, 0.1437142857142857], 'hand');
    // Without an end, stepping past the cycle is refused, as MMEngine's.
    const over = new engine.OneCycleLR(sgd([0.1]), { etaMax: 1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) over.step();
    assert.throws(() => over.step(), /tried to step 5 times; the specified number of total steps is 3/);
  });

  test('CosineRestartLR with restart weights: cycles of 4 and 6 steps, the second from half the lr', () => {
    const opt = sgd([0.1]);
    const s = new engine.CosineRestartLR(opt, { periods: [4, 6], restartWeights: [1, 0.5], etaMin: 0 });
    const first = (k: number) => (0.1 * (1 + Math.cos((Math.PI * k) / 4))) / 2;
    const second = (k: number) => (0.05 * (1 + Math.cos((Math.PI * k) / 6))) / 2;
    const want = [0.1, first(1), first(2), first(3), 0.05, second(1), second(2), second(3), second(4), second(5)];
    assertSeq(run(opt, [s], 12), [...want, second(5), second(5)], 'lr');
    assertSeq([first(2), second(3), second(5)], [0.05, 0.025, 0.003349364905389034], 'hand');
    assert.throws(() => new engine.CosineRestartLR(sgd(), { periods: [4, 6] }), /give either etaMin or etaMinRatio/);
    assert.throws(() => new engine.CosineRestartLR(sgd(), { periods: [4, 6], etaMin: 0 }), /same length/);
  });

  test('ReduceOnPlateauLR only decides inside its window of epochs', () => {
    const opt = sgd([0.1]);
    const s = new engine.ReduceOnPlateauLR(opt, { patience: 0, factor: 0.5, begin: 1, end: 3 });
    const lrs: number[] = [];
    // A validation before any epoch (global step 0) is before begin: ignored.
    s.step({ loss: 1 });
    for (let epoch = 0; epoch < 4; epoch++) {
      s.step(); // after the training epoch: counts it
      s.step({ loss: 1 }); // after the validation: the same loss every time
      lrs.push(opt.paramGroups[0]?.lr as number);
    }
    // Epoch 1 (step 1) sets best 1; epoch 2 (step 2) has no improvement > patience 0: halved; then out of the window.
    assert.deepEqual(lrs, [0.1, 0.05, 0.05, 0.05]);
    assert.equal(s.best, 1);
    const fresh = new engine.ReduceOnPlateauLR(sgd(), {});
    assert.throws(() => fresh.step({ acc: 1 }), /metric 'loss' is not among the validation results \(acc\)/);
    assert.throws(() => new engine.ReduceOnPlateauLR(sgd(), { byEpoch: false }), /only byEpoch true/);
  });
});

describe('momentum and other options', () => {
  test("StepMomentum on SGD's momentum; the wrapper logs it", () => {
    const opt = sgd([0.1]);
    const wrapper = new engine.OptimWrapper({ optimizer: opt });
    const s = new engine.StepMomentum(wrapper, { stepSize: 2, gamma: 0.5 });
    assert.equal(s.useBetas, false);
    assertSeq(run(opt, [s], 5, 'momentum'), [0.9, 0.9, 0.45, 0.45, 0.225], 'momentum');
    assert.deepEqual(wrapper.getMomentum(), { momentum: [0.225] });
    assert.equal(opt.paramGroups[0]?.lr, 0.1, 'the lr is left alone');
  });

  test('LinearMomentum on Adam schedules beta1 and keeps beta2', () => {
    const opt = new optim.Adam([param()], { lr: 0.01, betas: [0.9, 0.999] });
    const s = new engine.LinearMomentum(opt, { startFactor: 0.5, end: 5 });
    assert.equal(s.useBetas, true);
    const beta1: number[] = [];
    for (let i = 0; i < 7; i++) {
      const g = opt.paramGroups[0] as Record<string, unknown>;
      beta1.push((g.betas as number[])[0] as number);
      assert.equal((g.betas as number[])[1], 0.999);
      assert.equal(g.momentum, (g.betas as number[])[0]);
      s.step();
    }
    // 0.9 * (0.5 + 0.125 k) for k = 0..4, then held.
    assertSeq(beta1, [0.45, 0.5625, 0.675, 0.7875, 0.9, 0.9, 0.9], 'beta1');
    assert.equal(Object.keys(s.stateDict())[0], 'use_betas');
    assert.throws(
      () => new engine.ConstantMomentum(new optim.Adagrad([param()], { lr: 0.1 })),
      /must support momentum \(a momentum or betas option\)/,
    );
  });

  test('a generic scheduler schedules any group option: MultiStepParamScheduler on weightDecay', () => {
    const opt = sgd([0.1], { weightDecay: 0.01 });
    const s = new engine.MultiStepParamScheduler(opt, { paramName: 'weightDecay', milestones: [2, 4], gamma: 0.5 });
    assertSeq(run(opt, [s], 6, 'weightDecay'), [0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025], 'weightDecay');
    assert.equal(s.stateDict().param_name, 'weight_decay');
    assert.equal((opt.stateDict().param_groups[0] as Record<string, unknown>).initial_weight_decay, 0.01);
  });
});

describe('state dicts and resuming', () => {
  test("MMEngine's keys, in the order of its __dict__", () => {
    const s = new engine.LinearLR(sgd(), { startFactor: 0.5, end: 4, byEpoch: false });
    s.step();
    assert.deepEqual(s.stateDict(), {
      start_factor: 0.5,
      end_factor: 1,
      total_iters: 3,
      param_name: 'lr',
      begin: 0,
      end: 4,
      by_epoch: false,
      base_values: [0.1],
      last_step: 1,
      _global_step: 1,
      verbose: false,
      _last_value: [0.05 * (1 + 0.5 / 1.5)],
    });
    const m = new engine.MultiStepLR(sgd(), { milestones: [3, 3, 5] });
    assert.deepEqual(m.stateDict().milestones, { 3: 2, 5: 1 }, 'a Counter: {milestone: count}');
  });

  test('a resume from saved optimizer and scheduler states continues exactly (several groups, through a file)', () => {
    const make = () => {
      torch.manualSeed(0);
      const optimizer = new optim.SGD(
        [
          { params: [param()], lr: 0.2 },
          { params: [param()], lr: 0.05 },
        ],
        { lr: 0.1, momentum: 0.9 },
      );
      const wrapper = new engine.OptimWrapper({ optimizer });
      const schedulers = engine.buildParamSchedulers(
        [
          { type: 'LinearLR', startFactor: 0.1, byEpoch: false, end: 6 },
          { type: 'CosineAnnealingLR', byEpoch: false, begin: 4, end: 20, etaMinRatio: 0.01 },
          { type: 'CosineAnnealingMomentum', byEpoch: false, begin: 2, etaMin: 0.5, TMax: 10 },
        ],
        { optimWrapper: wrapper },
      );
      return { wrapper, schedulers };
    };
    const lrs = (w: engine.OptimWrapper) => [
      ...(w.getLr().base_lr ?? []),
      ...(w.getLr().lr ?? []),
      ...(w.getMomentum().momentum ?? []),
    ];
    const straight = make();
    const all: number[][] = [];
    for (let i = 0; i < 20; i++) {
      all.push(lrs(straight.wrapper));
      for (const s of straight.schedulers) s.step();
    }
    const first = make();
    for (let i = 0; i < 8; i++) for (const s of first.schedulers) s.step();
    const dir = mkdtempSync(join(tmpdir(), 'torch-node-sched-'));
    dirs.push(dir);
    torch.save(
      { optimizer: first.wrapper.stateDict(), param_schedulers: first.schedulers.map((s) => s.stateDict()) },
      join(dir, 'c.pth'),
    );
    const ckpt = torch.load(join(dir, 'c.pth')) as { optimizer: unknown; param_schedulers: Record<string, unknown>[] };
    const resumed = make(); // built afresh: its constructors have stepped the lrs once already
    resumed.wrapper.loadStateDict(ckpt.optimizer);
    for (const [i, s] of resumed.schedulers.entries())
      s.loadStateDict(ckpt.param_schedulers[i] as Record<string, unknown>);
    const rest: number[][] = [];
    for (let i = 8; i < 20; i++) {
      rest.push(lrs(resumed.wrapper));
      for (const s of resumed.schedulers) s.step();
    }
    assert.deepEqual(rest, all.slice(8));
    // The base-settings pseudo-group is scheduled with the others.
    assert.notEqual(all[10]?.[0], 0.1);
  });

  test('lastStep resumes without a state dict only where the groups have their initial values', () => {
    assert.throws(() => new engine.StepLR(sgd(), { stepSize: 2, lastStep: 3 }), /has no 'initialLr'/);
    const opt = sgd([0.1]);
    new engine.StepLR(opt, { stepSize: 2 });
    const s = new engine.StepLR(opt, { stepSize: 2, lastStep: 3 });
    assert.deepEqual([s.lastStep, s.baseValues], [4, [0.1]]);
  });
});

describe('buildParamSchedulers', () => {
  test("end defaults to the training's length in the config's unit, before a conversion", () => {
    const opt = sgd();
    const [a, b, c, d] = engine.buildParamSchedulers(
      [
        { type: 'LinearLR', byEpoch: false },
        { type: 'StepLR', stepSize: 1 },
        { type: 'ExponentialLR', gamma: 0.9, end: 2 },
        { type: 'ConstantLR', convertToIterBased: true },
      ],
      { optimWrapper: opt, epochLength: 5, maxEpochs: 3, maxIters: 15 },
    ) as engine.ParamScheduler[];
    assert.deepEqual(
      [a, b, c, d].map((s) => [s?.end, s?.byEpoch]),
      [
        [15, false],
        [3, true],
        [2, true],
        [15, false],
      ],
    );
    assert.equal(
      engine.buildParamSchedulers([{ type: 'StepLR', stepSize: 1 }], { optimWrapper: opt })[0]?.end,
      engine.INF,
    );
  });

  test('an OptimWrapperDict: configs by optimizer name, or the same configs for each', () => {
    const gen = new engine.OptimWrapper({ optimizer: sgd([0.1]) });
    const disc = new engine.OptimWrapper({ optimizer: new optim.Adam([param()], { lr: 0.01 }) });
    const dict = new engine.OptimWrapperDict({ generator: gen, discriminator: disc });
    const byName = engine.buildParamSchedulers(
      {
        generator: [{ type: 'StepLR', stepSize: 1, gamma: 0.5 }],
        discriminator: { type: 'ExponentialMomentum', gamma: 0.9 },
      },
      { optimWrapper: dict },
    );
    assert.deepEqual(Object.keys(byName), ['generator', 'discriminator']);
    assert.ok(byName.generator?.[0] instanceof engine.StepLR);
    assert.ok(byName.discriminator?.[0] instanceof engine.ExponentialMomentum);
    byName.generator?.[0]?.step();
    byName.discriminator?.[0]?.step();
    assert.deepEqual(dict.getLr(), { 'generator.lr': [0.05], 'discriminator.lr': [0.01] });
    assert.deepEqual(dict.getMomentum(), { 'generator.momentum': [0.9], 'discriminator.momentum': [0.9 * 0.9] });
    const same = engine.buildParamSchedulers([{ type: 'StepLR', stepSize: 2 }], { optimWrapper: dict });
    assert.deepEqual(Object.keys(same), ['generator', 'discriminator']);
    assert.throws(() => engine.buildParamSchedulers({ critic: [] }, { optimWrapper: dict }), /no optimizer 'critic'/);
    assert.throws(
      () => engine.buildParamSchedulers([new engine.StepLR(gen, { stepSize: 1 })], { optimWrapper: dict }),
      /belongs to one optimizer/,
    );
    assert.throws(
      () => new engine.StepLR(dict as never, { stepSize: 1 }),
      /an OptimWrapperDict: schedule each of its wrappers/,
    );
  });

  test('refuses what MMEngine refuses, and options not in camelCase', () => {
    const opt = sgd();
    const build = (
      cfg: engine.ParamSchedulerConfig,
      o: Omit<engine.BuildParamSchedulersOptions, 'optimWrapper'> = {},
    ) => engine.buildParamSchedulers([cfg], { optimWrapper: opt, ...o });
    assert.throws(
      () => build({ type: 'LinearLR', start_factor: 0.1 }),
      /unknown option 'start_factor'; options are camelCase: 'startFactor'/,
    );
    assert.throws(() => build({ type: 'LinearLR', startFactr: 0.1 }), /unknown option 'startFactr'/);
    assert.throws(() => build({ type: 'LinearLR', begin: 5, end: 5 }), /end should be larger than begin/);
    assert.throws(() => build({ type: 'LinearLR', startFactor: 1.5 }), /startFactor should be between 0 and 1/);
    assert.throws(() => build({ type: 'NoSuchLR' }), /'NoSuchLR' is not a parameter scheduler/);
    assert.throws(
      () => build({ type: 'StepLR', stepSize: 1, byEpoch: false, convertToIterBased: true }, { epochLength: 4 }),
      /only an epoch-based config can be converted/,
    );
    assert.throws(() => build({ type: 'StepLR', stepSize: 1, convertToIterBased: true }), /needs epochLength/);
    assert.throws(
      () => build({ type: 'ReduceOnPlateauLR', convertToIterBased: true }, { epochLength: 4 }),
      /cannot be converted to iteration-based/,
    );
    assert.throws(
      () => build({ type: 'OneCycleParamScheduler', paramName: 'momentum' }),
      /only schedules the learning rate/,
    );
    assert.throws(() => new engine.LinearLR(opt, { paramName: 'momentum' } as never), /an LR scheduler schedules 'lr'/);
    // A class works as the type too.
    assert.ok(build({ type: engine.PolyLR, power: 2 })[0] instanceof engine.PolyLR);
  });
});
