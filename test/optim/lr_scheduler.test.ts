// The LR schedules against Python torch: the lr of every param group after construction and
// after each of 30 steps (chainable form), after step({epoch}) (closed form), after a resume
// with lastEpoch, plus state dicts (layout and values) and state-dict round trips. All the
// Python work is one invocation.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from '../support/python.js';
import { assertClose, PY_KWARGS } from './support.js';

const { optim } = torch;
const { lrScheduler } = optim;
type Options = Record<string, unknown>;

interface SchedSpec {
  cls: string;
  opts: Options;
}

interface Config {
  name: string;
  /** the optimizer: SGD (momentum 0.9) or Adam, one param group per lr */
  opt: { cls: 'SGD' | 'Adam'; lrs: number[] };
  sched: SchedSpec;
  /** chain: step() STEPS times; epoch: step({epoch}) over EPOCHS; resume: a new scheduler with lastEpoch after RESUME_AT steps */
  mode: 'chain' | 'epoch' | 'resume';
}

const STEPS = 30;
const HALF = 15;
const RESUME_AT = 10;
const EPOCHS = [1, 2, 5, 3, 10, 11, 0, 20, 7, 7, 29, 4, 12, 16];
const TOL = 1e-12;

/** Named lr lambdas, written identically in Python. */
const LAMBDAS: Record<string, (e: number) => number> = {
  inv: (e) => 1 / (1 + e),
  warmup: (e) => (e < 5 ? (e + 1) / 5 : 1.0),
  decay: (e) => 0.95 ** (e % 3),
};
const PY_LAMBDAS = `
LAMBDAS = {
    'inv': lambda e: 1 / (1 + e),
    'warmup': lambda e: (e + 1) / 5 if e < 5 else 1.0,
    'decay': lambda e: 0.95 ** (e % 3),
}
`;

const two = { cls: 'SGD' as const, lrs: [0.1, 0.05] };
const one = { cls: 'SGD' as const, lrs: [0.1] };
const chainable: [string, Config['opt'], SchedSpec][] = [
  ['StepLR', two, { cls: 'StepLR', opts: { stepSize: 3, gamma: 0.5 } }],
  ['StepLR default gamma', one, { cls: 'StepLR', opts: { stepSize: 1 } }],
  ['MultiStepLR', two, { cls: 'MultiStepLR', opts: { milestones: [5, 10, 10, 20], gamma: 0.3 } }],
  ['ExponentialLR', two, { cls: 'ExponentialLR', opts: { gamma: 0.9 } }],
  ['CosineAnnealingLR', two, { cls: 'CosineAnnealingLR', opts: { TMax: 10, etaMin: 0.001 } }],
  ['CosineAnnealingLR TMax 7', one, { cls: 'CosineAnnealingLR', opts: { TMax: 7 } }],
  ['LinearLR defaults', two, { cls: 'LinearLR', opts: {} }],
  ['LinearLR', one, { cls: 'LinearLR', opts: { startFactor: 0.1, endFactor: 0.9, totalIters: 12 } }],
  ['ConstantLR defaults', two, { cls: 'ConstantLR', opts: {} }],
  ['ConstantLR', one, { cls: 'ConstantLR', opts: { factor: 0.5, totalIters: 8 } }],
  ['PolynomialLR defaults', two, { cls: 'PolynomialLR', opts: {} }],
  ['PolynomialLR', one, { cls: 'PolynomialLR', opts: { totalIters: 12, power: 2.5 } }],
];
const CONFIGS: Config[] = [
  ...chainable.map(([name, opt, sched]) => ({ name, opt, sched, mode: 'chain' as const })),
  ...chainable.map(([name, opt, sched]) => ({ name: `${name} step({epoch})`, opt, sched, mode: 'epoch' as const })),
  ...chainable
    .filter(([n]) => /^(StepLR|ExponentialLR|CosineAnnealingLR|LinearLR|MultiStepLR)$/.test(n))
    .map(([name, opt, sched]) => ({ name: `${name} resumed with lastEpoch`, opt, sched, mode: 'resume' as const })),
  {
    name: 'OneCycleLR with SGD momentum',
    opt: two,
    sched: { cls: 'OneCycleLR', opts: { maxLr: 1.0, totalSteps: 30 } },
    mode: 'chain',
  },
  {
    name: 'OneCycleLR with Adam betas, three phases, linear',
    opt: { cls: 'Adam', lrs: [0.1, 0.05] },
    sched: {
      cls: 'OneCycleLR',
      opts: { maxLr: [0.5, 0.2], epochs: 3, stepsPerEpoch: 10, annealStrategy: 'linear', threePhase: true },
    },
    mode: 'chain',
  },
  {
    name: 'OneCycleLR without momentum',
    opt: one,
    sched: {
      cls: 'OneCycleLR',
      opts: { maxLr: 0.3, totalSteps: 31, cycleMomentum: false, pctStart: 0.25, divFactor: 10, finalDivFactor: 100 },
    },
    mode: 'chain',
  },
  {
    name: 'OneCycleLR resumed with lastEpoch',
    opt: two,
    sched: { cls: 'OneCycleLR', opts: { maxLr: 1.0, totalSteps: 30 } },
    mode: 'resume',
  },
  { name: 'LambdaLR', opt: two, sched: { cls: 'LambdaLR', opts: { lrLambda: 'inv' } }, mode: 'chain' },
  {
    name: 'MultiplicativeLR per group',
    opt: two,
    sched: { cls: 'MultiplicativeLR', opts: { lrLambda: ['decay', 'warmup'] } },
    mode: 'chain',
  },
  {
    name: 'MultiplicativeLR step({epoch})',
    opt: one,
    sched: { cls: 'MultiplicativeLR', opts: { lrLambda: 'decay' } },
    mode: 'epoch',
  },
  {
    name: 'LambdaLR per group',
    opt: two,
    sched: { cls: 'LambdaLR', opts: { lrLambda: ['warmup', 'inv'] } },
    mode: 'chain',
  },
  {
    name: 'CosineAnnealingWarmRestarts, TMult 2',
    opt: two,
    sched: { cls: 'CosineAnnealingWarmRestarts', opts: { T0: 3, TMult: 2, etaMin: 0.001 } },
    mode: 'chain',
  },
  {
    name: 'CosineAnnealingWarmRestarts step({epoch}), TMult 2',
    opt: one,
    sched: { cls: 'CosineAnnealingWarmRestarts', opts: { T0: 3, TMult: 2 } },
    mode: 'epoch',
  },
  {
    name: 'CosineAnnealingWarmRestarts step({epoch}), TMult 1',
    opt: two,
    sched: { cls: 'CosineAnnealingWarmRestarts', opts: { T0: 4, etaMin: 0.01 } },
    mode: 'epoch',
  },
  {
    name: 'CyclicLR triangular2 with SGD momentum, up 4 down 2',
    opt: two,
    sched: {
      cls: 'CyclicLR',
      opts: { baseLr: [0.01, 0.02], maxLr: 0.1, stepSizeUp: 4, stepSizeDown: 2, mode: 'triangular2' },
    },
    mode: 'chain',
  },
  {
    name: 'CyclicLR exp_range with Adam betas',
    opt: { cls: 'Adam', lrs: [0.1, 0.05] },
    sched: {
      cls: 'CyclicLR',
      opts: { baseLr: 0.001, maxLr: [0.01, 0.005], stepSizeUp: 3, mode: 'exp_range', gamma: 0.9 },
    },
    mode: 'chain',
  },
  {
    name: 'CyclicLR triangular without momentum',
    opt: one,
    sched: { cls: 'CyclicLR', opts: { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 5, cycleMomentum: false } },
    mode: 'chain',
  },
  {
    name: 'ChainedScheduler of StepLR and ExponentialLR',
    opt: two,
    sched: {
      cls: 'ChainedScheduler',
      opts: {
        schedulers: [
          { cls: 'StepLR', opts: { stepSize: 4, gamma: 0.5 } },
          { cls: 'ExponentialLR', opts: { gamma: 0.95 } },
        ],
      },
    },
    mode: 'chain',
  },
  {
    name: 'SequentialLR warmup then cosine',
    opt: two,
    sched: {
      cls: 'SequentialLR',
      opts: {
        schedulers: [
          { cls: 'LinearLR', opts: { startFactor: 0.1, totalIters: 5 } },
          { cls: 'CosineAnnealingLR', opts: { TMax: 20 } },
        ],
        milestones: [5],
      },
    },
    mode: 'chain',
  },
  {
    name: 'SequentialLR of three',
    opt: one,
    sched: {
      cls: 'SequentialLR',
      opts: {
        schedulers: [
          { cls: 'ConstantLR', opts: { factor: 0.5, totalIters: 3 } },
          { cls: 'ExponentialLR', opts: { gamma: 0.9 } },
          { cls: 'StepLR', opts: { stepSize: 4 } },
        ],
        milestones: [4, 12],
      },
    },
    mode: 'chain',
  },
];

interface Record_ {
  lrs: number[][];
  /** per step: momentum (SGD) or beta1 (Adam) of each group */
  momenta: number[][];
}

interface PyRun extends Record_ {
  schedState: Record<string, unknown>;
  groups: Record<string, unknown>[];
  mid?: { schedState: Record<string, unknown>; groups: Record<string, unknown>[] };
}

const SCRIPT = `
${PY_KWARGS}
${PY_LAMBDAS}
import copy, warnings
warnings.filterwarnings('ignore')
L = torch.optim.lr_scheduler
def build(opt, spec, last_epoch=None):
    kw = kwargs(spec['opts'])
    if spec['cls'] == 'SequentialLR':
        kw['schedulers'] = [build(opt, s) for s in spec['opts']['schedulers']]
    if spec['cls'] == 'ChainedScheduler':
        return L.ChainedScheduler([build(opt, s) for s in spec['opts']['schedulers']])
    if spec['cls'] in ('LambdaLR', 'MultiplicativeLR'):
        f = spec['opts']['lrLambda']
        kw['lr_lambda'] = [LAMBDAS[x] for x in f] if isinstance(f, list) else LAMBDAS[f]
    if last_epoch is not None:
        kw['last_epoch'] = last_epoch
    return getattr(L, spec['cls'])(opt, **kw)
def groups(opt):
    return copy.deepcopy([{k: v for k, v in g.items() if k != 'params'} | {'params': []} for g in opt.state_dict()['param_groups']])
runs = []
for cfg in INPUT['configs']:
    ps = [torch.zeros(2, requires_grad=True) for _ in cfg['opt']['lrs']]
    pgs = [{'params': [p], 'lr': lr} for p, lr in zip(ps, cfg['opt']['lrs'])]
    opt = torch.optim.SGD(pgs, momentum=0.9) if cfg['opt']['cls'] == 'SGD' else torch.optim.Adam(pgs)
    sched = build(opt, cfg['sched'])
    lrs, momenta, mid = [], [], None
    def record():
        lrs.append(list(sched.get_last_lr()))
        momenta.append([g['momentum'] if 'momentum' in g else g['betas'][0] for g in opt.param_groups])
    record()
    if cfg['mode'] == 'chain':
        for i in range(INPUT['steps']):
            sched.step()
            record()
            if i == INPUT['half'] - 1:
                mid = {'schedState': copy.deepcopy(sched.state_dict()), 'groups': groups(opt)}
    elif cfg['mode'] == 'epoch':
        for e in INPUT['epochs']:
            sched.step(e)
            record()
    else:
        for i in range(INPUT['resumeAt']):
            sched.step()
            record()
        sched = build(opt, cfg['sched'], last_epoch=sched.last_epoch)
        record()
        for i in range(INPUT['resumeAt']):
            sched.step()
            record()
    runs.append({'lrs': lrs, 'momenta': momenta, 'schedState': sched.state_dict(), 'groups': groups(opt), 'mid': mid})
OUTPUT = runs
`;

// biome-ignore lint/suspicious/noExplicitAny: the scheduler classes take different option types
const CLASSES = lrScheduler as unknown as Record<string, new (opt: torch.optim.Optimizer, options: any) => any>;

function build(opt: torch.optim.Optimizer, spec: SchedSpec, lastEpoch?: number): torch.optim.lrScheduler.LRScheduler {
  const o: Options = { ...spec.opts };
  if (spec.cls === 'SequentialLR') o.schedulers = (spec.opts.schedulers as SchedSpec[]).map((s) => build(opt, s));
  if (spec.cls === 'ChainedScheduler') {
    return new lrScheduler.ChainedScheduler((spec.opts.schedulers as SchedSpec[]).map((s) => build(opt, s)));
  }
  if (spec.cls === 'LambdaLR' || spec.cls === 'MultiplicativeLR') {
    const f = spec.opts.lrLambda as string | string[];
    o.lrLambda = Array.isArray(f) ? f.map((x) => LAMBDAS[x]) : LAMBDAS[f];
  }
  if (lastEpoch !== undefined) o.lastEpoch = lastEpoch;
  const C = CLASSES[spec.cls];
  if (!C) throw new Error(`no scheduler ${spec.cls}`);
  return new C(opt, o);
}

function makeOptimizer(cfg: Config): torch.optim.Optimizer {
  const groups = cfg.opt.lrs.map((lr) => ({ params: [torch.zeros([2], { requiresGrad: true })], lr }));
  return cfg.opt.cls === 'SGD' ? new optim.SGD(groups, { momentum: 0.9 }) : new optim.Adam(groups);
}

const momentaOf = (opt: torch.optim.Optimizer): number[] =>
  opt.paramGroups.map((g) => ('momentum' in g ? (g.momentum as number) : ((g.betas as number[])[0] as number)));

/** Runs a config's sequence here, as the Python script does. */
function runHere(cfg: Config): Record_ & { sched: torch.optim.lrScheduler.LRScheduler; opt: torch.optim.Optimizer } {
  const opt = makeOptimizer(cfg);
  let sched = build(opt, cfg.sched);
  const lrs: number[][] = [];
  const momenta: number[][] = [];
  const record = (): void => {
    lrs.push(sched.getLastLr());
    momenta.push(momentaOf(opt));
  };
  record();
  if (cfg.mode === 'chain') {
    for (let i = 0; i < STEPS; i++) {
      sched.step();
      record();
    }
  } else if (cfg.mode === 'epoch') {
    for (const epoch of EPOCHS) {
      sched.step({ epoch });
      record();
    }
  } else {
    for (let i = 0; i < RESUME_AT; i++) {
      sched.step();
      record();
    }
    sched = build(opt, cfg.sched, sched.lastEpoch);
    record();
    for (let i = 0; i < RESUME_AT; i++) {
      sched.step();
      record();
    }
  }
  return { lrs, momenta, sched, opt };
}

const withoutParams = (groups: Record<string, unknown>[]): Record<string, unknown>[] =>
  groups.map((g) => ({ ...g, params: [] }));

const skip = skipWithoutPython();
let runs: PyRun[] = [];

describe('LR schedulers match Python torch step by step', { skip }, () => {
  before(() => {
    runs = runPython<PyRun[]>(SCRIPT, {
      configs: CONFIGS,
      steps: STEPS,
      half: HALF,
      epochs: EPOCHS,
      resumeAt: RESUME_AT,
    });
  });

  CONFIGS.forEach((cfg, k) => {
    describe(`${cfg.name} (${cfg.mode})`, () => {
      test('lr (and momentum) of every group after every step', () => {
        const py = runs[k] as PyRun;
        const mine = runHere(cfg);
        assert.equal(mine.lrs.length, py.lrs.length);
        assertClose(mine.lrs, py.lrs, TOL, 'lrs');
        assertClose(mine.momenta, py.momenta, TOL, 'momenta');
      });

      test("stateDict() and the optimizer's param groups equal Python's", () => {
        const py = runs[k] as PyRun;
        const mine = runHere(cfg);
        const sd = mine.sched.stateDict();
        assert.deepEqual(Object.keys(sd), Object.keys(py.schedState), 'state dict keys, in order');
        assertClose(sd, py.schedState, TOL, 'scheduler');
        const groups = withoutParams(mine.opt.stateDict().param_groups);
        assert.deepEqual(
          groups.map((g) => Object.keys(g)),
          py.groups.map((g) => Object.keys(g)),
          'param group keys, in order',
        );
        assertClose(groups, py.groups, TOL, 'param_groups');
      });

      if (cfg.mode === 'chain') {
        test(`continues from Python's state dicts after step ${HALF}`, () => {
          const py = runs[k] as PyRun;
          const mid = py.mid as NonNullable<PyRun['mid']>;
          const opt = makeOptimizer(cfg);
          const sched = build(opt, cfg.sched);
          // as PyTorch says: load the optimizer after making the scheduler (which writes lr)
          opt.loadStateDict({ state: {}, param_groups: mid.groups.map((g, i) => ({ ...g, params: [i] })) });
          sched.loadStateDict(mid.schedState);
          for (let i = HALF; i < STEPS; i++) {
            sched.step();
            assertClose(sched.getLastLr(), py.lrs[i + 1], TOL, `lrs after step ${i + 1}`);
            assertClose(momentaOf(opt), py.momenta[i + 1], TOL, `momenta after step ${i + 1}`);
          }
        });
      }
    });
  });
});

describe('LR scheduler state dict round trip (no Python needed)', () => {
  for (const cfg of CONFIGS.filter((c) => c.mode === 'chain')) {
    test(`${cfg.name}: a copy loaded from stateDict() continues identically`, () => {
      const optA = makeOptimizer(cfg);
      const a = build(optA, cfg.sched);
      for (let i = 0; i < HALF; i++) a.step();
      const optB = makeOptimizer(cfg);
      const b = build(optB, cfg.sched);
      optB.loadStateDict(optA.stateDict());
      b.loadStateDict(a.stateDict());
      assert.equal(b.lastEpoch, a.lastEpoch);
      for (let i = HALF; i < STEPS; i++) {
        a.step();
        b.step();
        assert.deepEqual(b.getLastLr(), a.getLastLr(), `after step ${i + 1}`);
        assert.deepEqual(momentaOf(optB), momentaOf(optA));
      }
      assert.deepEqual(b.stateDict(), a.stateDict());
    });
  }
});

describe('a division by zero in the schedule is an Error, as in Python, not an lr of NaN', () => {
  const sgd = () => new optim.SGD([torch.zeros([1], { requiresGrad: true })], { lr: 0.1, momentum: 0.9 });

  test('ConstantLR with factor 0: at the end of totalIters (Python: ZeroDivisionError at step 5)', () => {
    const s = new lrScheduler.ConstantLR(sgd(), { factor: 0, totalIters: 5 });
    for (let i = 0; i < 4; i++) s.step();
    assert.deepEqual(s.getLastLr(), [0]);
    assert.throws(() => s.step(), /ConstantLR: float division by zero \(factor is 0\)/);
  });

  test('OneCycleLR with pctStart 1: at its last step (Python: ZeroDivisionError at step totalSteps)', () => {
    const s = new lrScheduler.OneCycleLR(sgd(), { maxLr: 1, totalSteps: 4, pctStart: 1 });
    for (let i = 0; i < 3; i++) s.step();
    assert.ok(Number.isFinite(s.getLastLr()[0]));
    assert.throws(() => s.step(), /OneCycleLR: float division by zero at step 4/);
  });
});
