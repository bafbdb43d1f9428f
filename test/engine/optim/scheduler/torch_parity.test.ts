// MMEngine's LR schedulers where they equal PyTorch's (begin 0; end INF, or an end that matches
// PyTorch's total_iters + 1), against Python torch 2.13: the lr of both param groups after
// construction and after each of 30 steps. mmengine itself cannot be installed here; these are
// the cases where its schedules are torch.optim.lr_scheduler's. Where the update is the same
// expression (chainable forms, OneCycle, ReduceOnPlateau) the values must agree to the bit;
// PolyLR and CosineRestartLR are other expressions of the same schedule (PolynomialLR,
// CosineAnnealingWarmRestarts) and agree to 1e-12. All the Python work is one invocation.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { buildParamSchedulers, type ParamSchedulerConfig } from '../../../../lib/engine/index.js';
import * as torch from '../../../../lib/index.js';
import { runPython, skipWithoutPython } from '../../../support/python.js';

const STEPS = 30;
/** The validation metric per epoch for the plateau schedules: improving, then stalling, in turns. */
const METRICS = [
  1, 0.9, 0.95, 0.96, 0.97, 0.85, 0.849, 0.86, 0.87, 0.88, 0.8, 0.81, 0.82, 0.83, 0.84, 0.85, 0.7, 0.71, 0.72, 0.73,
  0.74, 0.75, 0.76, 0.69, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75,
];

interface Case {
  name: string;
  /** MMEngine's config (built over SGD with two groups, lr 0.1 and 0.05). */
  mm: ParamSchedulerConfig;
  /** torch.optim.lr_scheduler's class and keyword arguments. */
  torch: { cls: string; kwargs: Record<string, unknown> };
  /** Bit-identical (the same expressions), else within 1e-12 relative. */
  exact: boolean;
}

const CASES: Case[] = [
  {
    name: 'StepLR',
    mm: { type: 'StepLR', stepSize: 3, gamma: 0.5 },
    torch: { cls: 'StepLR', kwargs: { step_size: 3, gamma: 0.5 } },
    exact: true,
  },
  {
    name: 'MultiStepLR (a repeated milestone)',
    mm: { type: 'MultiStepLR', milestones: [5, 10, 10, 20], gamma: 0.3 },
    torch: { cls: 'MultiStepLR', kwargs: { milestones: [5, 10, 10, 20], gamma: 0.3 } },
    exact: true,
  },
  {
    name: 'ExponentialLR',
    mm: { type: 'ExponentialLR', gamma: 0.9 },
    torch: { cls: 'ExponentialLR', kwargs: { gamma: 0.9 } },
    exact: true,
  },
  {
    name: 'CosineAnnealingLR (past 2 TMax: the restart branch)',
    mm: { type: 'CosineAnnealingLR', TMax: 10, etaMin: 0.001 },
    torch: { cls: 'CosineAnnealingLR', kwargs: { T_max: 10, eta_min: 0.001 } },
    exact: true,
  },
  {
    name: 'LinearLR, end 13 = total_iters 12 + 1',
    mm: { type: 'LinearLR', startFactor: 0.1, endFactor: 0.9, end: 13 },
    torch: { cls: 'LinearLR', kwargs: { start_factor: 0.1, end_factor: 0.9, total_iters: 12 } },
    exact: true,
  },
  {
    name: 'LinearLR defaults, end 6',
    mm: { type: 'LinearLR', end: 6 },
    torch: { cls: 'LinearLR', kwargs: { total_iters: 5 } },
    exact: true,
  },
  {
    name: 'ConstantLR, end 9',
    mm: { type: 'ConstantLR', factor: 0.5, end: 9 },
    torch: { cls: 'ConstantLR', kwargs: { factor: 0.5, total_iters: 8 } },
    exact: true,
  },
  {
    name: 'PolyLR, end 13 (PolynomialLR)',
    mm: { type: 'PolyLR', power: 2.5, end: 13 },
    torch: { cls: 'PolynomialLR', kwargs: { total_iters: 12, power: 2.5 } },
    exact: false,
  },
  {
    name: 'OneCycleLR (cos)',
    mm: { type: 'OneCycleLR', etaMax: 1.0, totalSteps: STEPS },
    torch: { cls: 'OneCycleLR', kwargs: { max_lr: 1.0, total_steps: STEPS, cycle_momentum: false } },
    exact: true,
  },
  {
    name: 'OneCycleLR three phases, linear, an etaMax per group',
    mm: {
      type: 'OneCycleLR',
      etaMax: [1.0, 0.5],
      totalSteps: STEPS,
      threePhase: true,
      annealStrategy: 'linear',
      pctStart: 0.25,
    },
    torch: {
      cls: 'OneCycleLR',
      kwargs: {
        max_lr: [1.0, 0.5],
        total_steps: STEPS,
        three_phase: true,
        anneal_strategy: 'linear',
        pct_start: 0.25,
        cycle_momentum: false,
      },
    },
    exact: true,
  },
  {
    name: 'CosineRestartLR, periods 5, 10, 20 (CosineAnnealingWarmRestarts T_0 5, T_mult 2)',
    mm: { type: 'CosineRestartLR', periods: [5, 10, 20], restartWeights: [1, 1, 1], etaMin: 0.001 },
    torch: { cls: 'CosineAnnealingWarmRestarts', kwargs: { T_0: 5, T_mult: 2, eta_min: 0.001 } },
    exact: false,
  },
  {
    name: 'ReduceOnPlateauLR (less, rel, cooldown)',
    mm: { type: 'ReduceOnPlateauLR', monitor: 'loss', patience: 2, factor: 0.5, cooldown: 1, threshold: 0.01 },
    torch: {
      cls: 'ReduceLROnPlateau',
      kwargs: { mode: 'min', patience: 2, factor: 0.5, cooldown: 1, threshold: 0.01 },
    },
    exact: true,
  },
  {
    name: 'ReduceOnPlateauLR (greater, abs, a minimum per group)',
    mm: {
      type: 'ReduceOnPlateauLR',
      monitor: 'loss',
      rule: 'greater',
      thresholdRule: 'abs',
      threshold: 0.02,
      patience: 1,
      factor: 0.3,
      minValue: [0.02, 0.001],
    },
    torch: {
      cls: 'ReduceLROnPlateau',
      kwargs: { mode: 'max', threshold_mode: 'abs', threshold: 0.02, patience: 1, factor: 0.3, min_lr: [0.02, 0.001] },
    },
    exact: true,
  },
];

const PY = `
import torch.optim.lr_scheduler as L
OUT = {}
for case in INPUT['cases']:
    ps = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    opt = torch.optim.SGD([{'params': [ps[0]], 'lr': 0.1}, {'params': [ps[1]], 'lr': 0.05}], lr=0.1, momentum=0.9)
    sch = getattr(L, case['cls'])(opt, **case['kwargs'])
    seq = [[g['lr'] for g in opt.param_groups]]
    for k in range(INPUT['steps']):
        opt.step()
        if case['cls'] == 'ReduceLROnPlateau':
            sch.step(INPUT['metrics'][k])
        else:
            sch.step()
        seq.append([g['lr'] for g in opt.param_groups])
    OUT[case['name']] = seq
OUTPUT = OUT
`;

/** The engine's sequence: as the ParamSchedulerHook steps it (a plateau one: the epoch, then the validation's metrics). */
function engineSequence(cfg: ParamSchedulerConfig): number[][] {
  const ps = [torch.zeros([1], { requiresGrad: true }), torch.zeros([1], { requiresGrad: true })];
  const opt = new torch.optim.SGD(
    [
      { params: [ps[0] as torch.Tensor], lr: 0.1 },
      { params: [ps[1] as torch.Tensor], lr: 0.05 },
    ],
    { lr: 0.1, momentum: 0.9 },
  );
  const [s] = buildParamSchedulers([cfg], { optimWrapper: opt });
  if (!s) throw new Error('no scheduler');
  const seq = [opt.paramGroups.map((g) => g.lr)];
  for (let k = 0; k < STEPS; k++) {
    s.step();
    if (s.needValArgs) (s as unknown as { step(m: Record<string, number>): void }).step({ loss: METRICS[k] as number });
    seq.push(opt.paramGroups.map((g) => g.lr));
  }
  return seq;
}

describe('MMEngine LR schedulers against torch.optim.lr_scheduler', { skip: skipWithoutPython() }, () => {
  let expected: Record<string, number[][]>;
  before(() => {
    expected = runPython<Record<string, number[][]>>(PY, {
      cases: CASES.map((c) => ({ name: c.name, ...c.torch })),
      steps: STEPS,
      metrics: METRICS,
    });
  });

  for (const c of CASES) {
    test(c.name, () => {
      const got = engineSequence(c.mm);
      const want = expected[c.name] as number[][];
      assert.equal(got.length, STEPS + 1);
      got.forEach((lrs, k) => {
        lrs.forEach((lr, g) => {
          const w = (want[k] as number[])[g] as number;
          if (c.exact) assert.equal(lr, w, `step ${k}, group ${g}: ${lr} vs PyTorch's ${w}`);
          else assert.ok(Math.abs(lr - w) <= 1e-12 * Math.abs(w), `step ${k}, group ${g}: ${lr} vs PyTorch's ${w}`);
        });
      });
      // The schedule changed something: a test that would pass on a scheduler doing nothing proves little.
      assert.ok(
        got.some((lrs) => lrs[0] !== 0.1),
        'the lr changes',
      );
    });
  }
});
