// ReduceLROnPlateau against Python torch's: the same metric sequence (improvements, plateaus,
// NaN) through each configuration gives the same lrs after every step and the same state dict
// (keys in PyTorch's order); a state dict from Python, loaded midway, continues identically;
// and the checks PyTorch makes at construction and in SequentialLR.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const { optim } = torch;
const { lrScheduler } = optim;

/** The metric after each evaluation: falls, stalls, rises, a NaN, falls again, stalls. */
const METRICS = [
  5,
  4,
  4,
  4.0001,
  4,
  3.9999,
  4,
  4,
  4,
  2,
  2,
  2,
  2,
  2,
  3,
  Number.NaN,
  1,
  1,
  1,
  1,
  1,
  1,
  0.5,
  0.5,
  0.5,
  0.5,
];
const HALF = 11;

interface Case {
  name: string;
  options: torch.optim.lrScheduler.ReduceLROnPlateauOptions;
  /** The same in Python's keyword arguments. */
  py: Record<string, unknown>;
  /** Negate the metric (for 'max' modes, so that the sequence still has plateaus). */
  negate?: boolean;
}

const CASES: Case[] = [
  { name: 'defaults but patience 2', options: { patience: 2 }, py: { patience: 2 } },
  {
    name: 'max, abs threshold, cooldown, per-group minLr',
    options: { mode: 'max', patience: 1, threshold: 0.05, thresholdMode: 'abs', cooldown: 2, minLr: [0.004, 0] },
    py: { mode: 'max', patience: 1, threshold: 0.05, threshold_mode: 'abs', cooldown: 2, min_lr: [0.004, 0] },
    negate: true,
  },
  {
    name: 'min, rel threshold 0.1, factor 0.5, eps large enough to stop a reduction',
    options: { patience: 0, threshold: 0.1, factor: 0.5, minLr: 0.002, eps: 0.003 },
    py: { patience: 0, threshold: 0.1, factor: 0.5, min_lr: 0.002, eps: 0.003 },
  },
];

const metricOf = (c: Case, i: number) => (c.negate ? -(METRICS[i] as number) : (METRICS[i] as number));

function makeOptimizer(): torch.optim.SGD {
  return new optim.SGD(
    [
      { params: [torch.zeros([1], { requiresGrad: true })] },
      { params: [torch.zeros([1], { requiresGrad: true })], lr: 0.05 },
    ],
    { lr: 0.1, momentum: 0.9 },
  );
}

function runHere(c: Case) {
  const opt = makeOptimizer();
  const sched = new lrScheduler.ReduceLROnPlateau(opt, c.options);
  const lrs: number[][] = [];
  let mid: torch.optim.lrScheduler.SchedulerStateDict | null = null;
  METRICS.forEach((_, i) => {
    opt.step();
    sched.step(metricOf(c, i));
    lrs.push(sched.getLastLr());
    if (i + 1 === HALF) mid = sched.stateDict();
  });
  return { opt, sched, lrs, mid };
}

const SCRIPT = `
import torch
out = []
for c in INPUT['cases']:
    ps = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    opt = torch.optim.SGD([{'params': [ps[0]]}, {'params': [ps[1]], 'lr': 0.05}], lr=0.1, momentum=0.9)
    s = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **c['py'])
    lrs, mid = [], None
    for i, m in enumerate(INPUT['metrics']):
        opt.step()
        s.step(-m if c.get('negate') else m)
        lrs.append(s.get_last_lr())
        if i + 1 == INPUT['half']:
            mid = {'sched': s.state_dict(), 'lrs': [g['lr'] for g in opt.param_groups]}
    out.append({'lrs': lrs, 'state': s.state_dict(), 'keys': list(s.state_dict().keys()), 'mid': mid})
OUTPUT = out
`;

const skip = skipWithoutPython();

describe('ReduceLROnPlateau matches Python torch', { skip }, () => {
  let py: {
    lrs: number[][];
    state: Record<string, unknown>;
    keys: string[];
    mid: { sched: Record<string, unknown>; lrs: number[] };
  }[];
  before(() => {
    py = runPython(SCRIPT, {
      cases: CASES.map((c) => ({ py: c.py, negate: c.negate ?? false })),
      metrics: METRICS,
      half: HALF,
    });
  });

  CASES.forEach((c, k) => {
    test(`${c.name}: the lrs after every step, and the state dict`, () => {
      const mine = runHere(c);
      const theirs = py[k] as (typeof py)[number];
      assert.deepEqual(mine.lrs, theirs.lrs);
      assert.ok(
        mine.lrs.some((l, i) => i > 0 && l[0] !== (mine.lrs[i - 1] as number[])[0]),
        'the sequence lowers the lr at least once',
      );
      const sd = mine.sched.stateDict();
      assert.deepEqual(Object.keys(sd), theirs.keys);
      assert.deepEqual(sd, theirs.state);
    });

    test(`${c.name}: continues from Python's state dict after step ${HALF}`, () => {
      const theirs = py[k] as (typeof py)[number];
      const opt = makeOptimizer();
      const sched = new lrScheduler.ReduceLROnPlateau(opt, { patience: 99 });
      opt.paramGroups.forEach((g, i) => {
        g.lr = theirs.mid.lrs[i] as number;
      });
      sched.loadStateDict(theirs.mid.sched);
      for (let i = HALF; i < METRICS.length; i++) {
        sched.step(metricOf(c, i));
        assert.deepEqual(sched.getLastLr(), theirs.lrs[i], `after step ${i + 1}`);
      }
    });
  });
});

describe('ReduceLROnPlateau checks', () => {
  test('as PyTorch: factor < 1, a known mode and threshold mode, one minLr per group; no sequence', () => {
    const opt = makeOptimizer();
    assert.throws(() => new lrScheduler.ReduceLROnPlateau(opt, { factor: 1 }), /factor should be < 1\.0/);
    assert.throws(() => new lrScheduler.ReduceLROnPlateau(opt, { mode: 'up' as never }), /mode up is unknown/);
    assert.throws(
      () => new lrScheduler.ReduceLROnPlateau(opt, { thresholdMode: 'x' as never }),
      /threshold mode x is unknown/,
    );
    assert.throws(() => new lrScheduler.ReduceLROnPlateau(opt, { minLr: [0] }), /expected 2 minLr values, got 1/);
    assert.throws(() => new lrScheduler.ReduceLROnPlateau(opt, { patiense: 1 } as never), /unknown option 'patiense'/);
    const plateau = new lrScheduler.ReduceLROnPlateau(opt);
    assert.throws(
      () => new lrScheduler.SequentialLR(opt, { schedulers: [plateau], milestones: [] }),
      /SequentialLR: does not support ReduceLROnPlateau/,
    );
    assert.throws(
      () => new lrScheduler.ChainedScheduler([plateau]),
      /ChainedScheduler: does not support ReduceLROnPlateau/,
    );
    assert.throws(() => new lrScheduler.ChainedScheduler([]), /ChainedScheduler: expects at least one scheduler/);
  });

  test('step takes the metric: a number or a 1-element tensor; nothing else', () => {
    const opt = makeOptimizer();
    const s = new lrScheduler.ReduceLROnPlateau(opt, { patience: 0 });
    s.step(torch.tensor(3));
    assert.equal(s.best, 3);
    s.step(3);
    assert.deepEqual(s.getLastLr(), [0.1 * 0.1, 0.05 * 0.1]);
    assert.throws(() => s.step(), /expected the metric \(a number or a 1-element tensor\), got undefined/);
    assert.throws(() => s.step('3' as never), TypeError);
  });
});
