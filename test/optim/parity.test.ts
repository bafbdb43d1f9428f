// The optimizers against Python torch: 20 steps of each optimizer and option set on the same
// small problem, in float64 and float32, comparing every parameter after every step, the state
// dict after the last step, and a run resumed from Python's state dict after step 10 against
// Python's run resumed from it (the same as its uninterrupted run except where loading casts
// state, as NAdam's float32 mu_product to float64 parameters' dtype). All the Python work is one
// invocation.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import type { Nested } from '../support/data.js';
import { runPython, skipWithoutPython } from '../support/python.js';
import { assertClose, type FloatDType, INIT, makeProblem, maxDiff, PY_KWARGS, PY_LOSS } from './support.js';

const { optim } = torch;
type Options = Record<string, unknown>;

interface Config {
  cls: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad' | 'Adamax' | 'NAdam' | 'RAdam' | 'Adadelta' | 'Rprop' | 'ASGD';
  opts: Options;
  /** param groups by parameter name, with options of their own */
  groups?: { names: ('w' | 'b' | 'z')[]; opts: Options }[];
}

const CONFIGS: Config[] = [
  { cls: 'SGD', opts: { lr: 0.1 } },
  { cls: 'SGD', opts: { lr: 0.05, momentum: 0.9 } },
  { cls: 'SGD', opts: { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 } },
  { cls: 'SGD', opts: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 } },
  { cls: 'SGD', opts: { lr: 0.01, momentum: 0.5, maximize: true } },
  {
    cls: 'SGD',
    opts: { lr: 0.05 },
    groups: [
      { names: ['w'], opts: { momentum: 0.9, lr: 0.02 } },
      { names: ['b', 'z'], opts: { weightDecay: 0.1 } },
    ],
  },
  { cls: 'Adam', opts: {} },
  { cls: 'Adam', opts: { lr: 0.05, amsgrad: true } },
  { cls: 'Adam', opts: { lr: 0.05, betas: [0.8, 0.99], weightDecay: 0.1, eps: 1e-6 } },
  { cls: 'Adam', opts: { lr: 0.01, maximize: true } },
  { cls: 'Adam', opts: { lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true } },
  {
    cls: 'Adam',
    opts: { lr: 0.05 },
    groups: [
      { names: ['b'], opts: { lr: 0.1, betas: [0.5, 0.9] } },
      { names: ['w', 'z'], opts: { amsgrad: true } },
    ],
  },
  { cls: 'AdamW', opts: { lr: 0.05 } },
  { cls: 'AdamW', opts: { lr: 0.05, amsgrad: true, weightDecay: 0.05 } },
  { cls: 'RMSprop', opts: {} },
  { cls: 'RMSprop', opts: { lr: 0.01, momentum: 0.9 } },
  { cls: 'RMSprop', opts: { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.01 } },
  { cls: 'RMSprop', opts: { lr: 0.001, alpha: 0.9, eps: 1e-6, maximize: true, centered: true } },
  { cls: 'Adagrad', opts: {} },
  { cls: 'Adagrad', opts: { lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1 } },
  { cls: 'Adagrad', opts: { lr: 0.05, eps: 1e-8, maximize: true } },
  { cls: 'Adamax', opts: {} },
  { cls: 'Adamax', opts: { lr: 0.05, betas: [0.8, 0.99], weightDecay: 0.1, eps: 1e-6 } },
  { cls: 'Adamax', opts: { lr: 0.01, maximize: true, weightDecay: 0.05 } },
  {
    cls: 'Adamax',
    opts: { lr: 0.05 },
    groups: [
      { names: ['w'], opts: { lr: 0.1, betas: [0.5, 0.9] } },
      { names: ['b', 'z'], opts: { weightDecay: 0.1 } },
    ],
  },
  { cls: 'NAdam', opts: {} },
  { cls: 'NAdam', opts: { lr: 0.05, momentumDecay: 0.01, weightDecay: 0.1, eps: 1e-6 } },
  { cls: 'NAdam', opts: { lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true, maximize: true } },
  {
    cls: 'NAdam',
    opts: { lr: 0.05 },
    groups: [
      { names: ['b'], opts: { lr: 0.1, momentumDecay: 0.1 } },
      { names: ['w', 'z'], opts: { betas: [0.8, 0.99], weightDecay: 0.05 } },
    ],
  },
  // rho_t > 5 (the rectified update) from step 6 or 7 on: both branches within the 20 steps
  { cls: 'RAdam', opts: {} },
  { cls: 'RAdam', opts: { lr: 0.05, betas: [0.8, 0.99], weightDecay: 0.1, eps: 1e-6 } },
  { cls: 'RAdam', opts: { lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true } },
  { cls: 'RAdam', opts: { lr: 0.01, maximize: true, weightDecay: 0.05 } },
  { cls: 'Adadelta', opts: {} },
  { cls: 'Adadelta', opts: { lr: 0.5, rho: 0.8, eps: 1e-4, weightDecay: 0.1 } },
  { cls: 'Adadelta', opts: { lr: 0.1, maximize: true } },
  {
    cls: 'Adadelta',
    opts: { lr: 0.5 },
    groups: [
      { names: ['w'], opts: { rho: 0.5 } },
      { names: ['b', 'z'], opts: { lr: 2, weightDecay: 0.1 } },
    ],
  },
  { cls: 'Rprop', opts: {} },
  { cls: 'Rprop', opts: { lr: 0.05, etas: [0.3, 1.5], stepSizes: [1e-3, 0.2] } },
  { cls: 'Rprop', opts: { lr: 0.01, maximize: true } },
  {
    cls: 'Rprop',
    opts: { lr: 0.05 },
    groups: [
      { names: ['w'], opts: { etas: [0.4, 1.1] } },
      { names: ['b', 'z'], opts: { lr: 0.1, stepSizes: [0.01, 1] } },
    ],
  },
  // averaging (mu < 1) from step t0 + 2 on
  { cls: 'ASGD', opts: { lr: 0.05 } },
  { cls: 'ASGD', opts: { lr: 0.05, t0: 5 } },
  { cls: 'ASGD', opts: { lr: 0.05, lambd: 0.01, alpha: 0.5, t0: 3, weightDecay: 0.1, maximize: true } },
  {
    cls: 'ASGD',
    opts: { lr: 0.05, t0: 8 },
    groups: [
      { names: ['w'], opts: { t0: 2, lr: 0.1 } },
      { names: ['b', 'z'], opts: { lambd: 0.05, alpha: 1 } },
    ],
  },
];

const DTYPES: FloatDType[] = ['float64', 'float32'];
const STEPS = 20;
const MID = 10;
const TOL: Record<FloatDType, number> = { float64: 1e-10, float32: 1e-6 };

interface PySD {
  state: Record<string, Record<string, Nested>>;
  dtypes: Record<string, Record<string, string>>;
  param_groups: Record<string, unknown>[];
}

interface PyRun {
  /** the parameters [w, b, z] after each step */
  traj: Nested[][];
  losses: number[];
  final: PySD;
  mid: PySD;
  /** the parameters [w, b, z] after steps MID + 1 to STEPS of a run resumed from `mid` */
  resumed: Nested[][];
}

const SCRIPT = `
${PY_KWARGS}
import warnings
warnings.filterwarnings('ignore')
def sd_json(opt):
    sd = opt.state_dict()
    return {
        'state': {str(k): {kk: vv.tolist() for kk, vv in v.items()} for k, v in sd['state'].items()},
        'dtypes': {str(k): {kk: str(vv.dtype).replace('torch.', '') for kk, vv in v.items()} for k, v in sd['state'].items()},
        'param_groups': sd['param_groups'],
    }
import copy
def make(cfg, values):
    dt = getattr(torch, cfg['dtype'])
    P = {n: torch.tensor(values[n], dtype=dt, requires_grad=True) for n in ['w', 'b', 'z']}
    if cfg.get('groups'):
        params = [dict(params=[P[n] for n in g['names']], **kwargs(g['opts'])) for g in cfg['groups']]
    else:
        params = [P['w'], P['b'], P['z']]
    return P, getattr(torch.optim, cfg['cls'])(params, **kwargs(cfg['opts']))
def run(cfg, P, opt, steps, after_step=None):
    dt = getattr(torch, cfg['dtype'])
    a, c, d = (torch.tensor(INPUT['init'][n], dtype=dt) for n in ['a', 'c', 'd'])
    w, b = P['w'], P['b']
    traj, losses = [], []
    for i in range(steps):
        opt.zero_grad()
${PY_LOSS.replace(/^/, '        ')}
        loss.backward()
        opt.step()
        losses.append(loss.item())
        traj.append([P[n].tolist() for n in ['w', 'b', 'z']])
        if after_step:
            after_step(i)
    return traj, losses
runs = []
for cfg in INPUT['configs']:
    P, opt = make(cfg, INPUT['init'])
    saved = {}
    def save(i):
        if i == INPUT['mid'] - 1:
            saved['sd'] = copy.deepcopy(opt.state_dict())
            saved['json'] = sd_json(opt)
            saved['params'] = {n: P[n].tolist() for n in ['w', 'b', 'z']}
    traj, losses = run(cfg, P, opt, INPUT['steps'], save)
    P2, opt2 = make(cfg, saved['params'])
    opt2.load_state_dict(saved['sd'])
    resumed, _ = run(cfg, P2, opt2, INPUT['steps'] - INPUT['mid'])
    runs.append({'traj': traj, 'losses': losses, 'final': sd_json(opt), 'mid': saved['json'], 'resumed': resumed})
OUTPUT = runs
`;

const name = (c: Config): string =>
  `${c.cls}(${JSON.stringify(c.opts)}${c.groups ? `, groups ${JSON.stringify(c.groups)}` : ''})`;

// biome-ignore lint/suspicious/noExplicitAny: the optimizer classes take different option types
const CLASSES: Record<Config['cls'], new (params: any, options?: any) => torch.optim.Optimizer> = {
  SGD: optim.SGD,
  Adam: optim.Adam,
  AdamW: optim.AdamW,
  RMSprop: optim.RMSprop,
  Adagrad: optim.Adagrad,
  Adamax: optim.Adamax,
  NAdam: optim.NAdam,
  RAdam: optim.RAdam,
  Adadelta: optim.Adadelta,
  Rprop: optim.Rprop,
  ASGD: optim.ASGD,
};

function makeOptimizer(cfg: Config, p: { w: torch.Tensor; b: torch.Tensor; z: torch.Tensor }): torch.optim.Optimizer {
  const params = cfg.groups
    ? cfg.groups.map((g) => ({ params: g.names.map((n) => p[n]), ...g.opts }))
    : [p.w, p.b, p.z];
  return new CLASSES[cfg.cls](params, cfg.opts);
}

/** Python's state dict (as JSON) with its tensors rebuilt: `step` float32, the rest in `dtype`. */
function fromPython(sd: PySD, dtype: FloatDType): torch.optim.OptimizerStateDict {
  const state: Record<string, Record<string, unknown>> = {};
  for (const [id, s] of Object.entries(sd.state)) {
    state[id] = Object.fromEntries(
      Object.entries(s).map(([k, v]) => [
        k,
        torch.tensor(v as number[], { dtype: (sd.dtypes[id]?.[k] as FloatDType) ?? dtype }),
      ]),
    );
  }
  return { state, param_groups: sd.param_groups };
}

const skip = skipWithoutPython();
let runs: PyRun[] = [];
const cases = CONFIGS.flatMap((cfg) => DTYPES.map((dtype) => ({ cfg, dtype })));

describe('optimizers match Python torch step by step', { skip }, () => {
  before(() => {
    runs = runPython<PyRun[]>(SCRIPT, {
      configs: cases.map(({ cfg, dtype }) => ({ ...cfg, dtype })),
      init: INIT,
      steps: STEPS,
      mid: MID,
    });
  });

  cases.forEach(({ cfg, dtype }, k) => {
    describe(`${name(cfg)} ${dtype}`, () => {
      const tol = TOL[dtype];

      test(`${STEPS} steps: every parameter after every step`, () => {
        const py = runs[k] as PyRun;
        const { params, backward } = makeProblem(dtype);
        const opt = makeOptimizer(cfg, params);
        let worst = 0;
        for (let i = 0; i < STEPS; i++) {
          opt.zeroGrad();
          const loss = backward();
          opt.step();
          assert.ok(Math.abs(loss - (py.losses[i] as number)) <= tol * Math.max(1, Math.abs(loss)), `loss ${i}`);
          const mine = [params.w.toArray(), params.b.toArray(), params.z.toArray()];
          const d = maxDiff(mine, py.traj[i]);
          worst = Math.max(worst, d);
          assert.ok(d <= tol, `step ${i + 1}: max |diff| ${d} > ${tol}`);
        }
        assert.ok(worst <= tol);
      });

      test('stateDict() equals Python state_dict(): layout, keys, dtypes, values', () => {
        const py = runs[k] as PyRun;
        const { params, backward } = makeProblem(dtype);
        const opt = makeOptimizer(cfg, params);
        for (let i = 0; i < STEPS; i++) {
          opt.zeroGrad();
          backward();
          opt.step();
        }
        const sd = opt.stateDict();
        assert.deepEqual(sd.param_groups, py.final.param_groups);
        assert.deepEqual(
          sd.param_groups.map((g) => Object.keys(g)),
          py.final.param_groups.map((g) => Object.keys(g)),
          'param group keys, in order',
        );
        assert.deepEqual(Object.keys(sd.state).sort(), Object.keys(py.final.state).sort(), 'parameters with state');
        for (const [id, s] of Object.entries(py.final.state)) {
          const mine = sd.state[id] as Record<string, torch.Tensor>;
          assert.deepEqual(Object.keys(mine), Object.keys(s), `state[${id}] keys, in order`);
          for (const key of Object.keys(s)) {
            assert.equal(mine[key]?.dtype, py.final.dtypes[id]?.[key], `state[${id}].${key} dtype`);
          }
          assertClose(mine, s, tol, `state[${id}]`);
        }
      });

      test(`resumes from Python's state dict after step ${MID} and follows Python's resumed run`, () => {
        const py = runs[k] as PyRun;
        const [w, b, z] = py.traj[MID - 1] as Nested[];
        const { params, backward } = makeProblem(dtype, { w: w as Nested, b: b as Nested, z: z as Nested });
        const opt = makeOptimizer(cfg, params);
        opt.loadStateDict(fromPython(py.mid, dtype));
        for (let i = MID; i < STEPS; i++) {
          opt.zeroGrad();
          backward();
          opt.step();
          const d = maxDiff([params.w.toArray(), params.b.toArray(), params.z.toArray()], py.resumed[i - MID]);
          assert.ok(d <= tol, `step ${i + 1}: max |diff| ${d} > ${tol}`);
        }
      });
    });
  });
});

describe('loadStateDict round trip (no Python needed)', () => {
  for (const cfg of CONFIGS) {
    test(`${name(cfg)}: a copy loaded from stateDict() continues identically`, () => {
      const a = makeProblem('float64');
      const optA = makeOptimizer(cfg, a.params);
      for (let i = 0; i < MID; i++) {
        optA.zeroGrad();
        a.backward();
        optA.step();
      }
      const b = makeProblem('float64', {
        w: a.params.w.toArray(),
        b: a.params.b.toArray(),
        z: a.params.z.toArray(),
      });
      // a fresh optimizer with other options: loading replaces them
      const optB = makeOptimizer({ ...cfg, opts: { ...cfg.opts, lr: 0.123 } }, b.params);
      optB.loadStateDict(optA.stateDict());
      // Loading casts state tensors other than `step` to their parameter's dtype, as PyTorch's
      // load_state_dict does: NAdam's float32 mu_product becomes float64 and then rounds
      // differently. Where A has such state, A goes on from its own state dict too.
      const castOnLoad = [...optA.state].some(([p, s]) =>
        Object.entries(s).some(([k, v]) => k !== 'step' && v instanceof torch.Tensor && v.dtype !== p.dtype),
      );
      if (castOnLoad) optA.loadStateDict(optA.stateDict());
      assert.deepEqual(optB.stateDict().param_groups, optA.stateDict().param_groups);
      for (let i = MID; i < STEPS; i++) {
        for (const [opt, p] of [
          [optA, a],
          [optB, b],
        ] as const) {
          opt.zeroGrad();
          p.backward();
          opt.step();
        }
        // identical, bit for bit; and not sharing state (a shared `step` would be counted twice)
        assert.deepEqual(b.params.w.toArray(), a.params.w.toArray(), `w after step ${i + 1}`);
        assert.deepEqual(b.params.b.toArray(), a.params.b.toArray(), `b after step ${i + 1}`);
      }
    });
  }
});
