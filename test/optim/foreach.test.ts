// The optimizers' foreach (multi-tensor) paths against Python torch's `foreach=True`: 20 steps of
// each optimizer and option set on the small problem of parity.test.ts, in float64 and float32,
// comparing every loss and parameter after every step, the gradients after the last step (SGD's
// foreach Nesterov path updates them in place, as PyTorch's does), the state dict, and a run
// resumed from Python's state dict (against Python's run resumed from it). Then a group whose
// parameters mix float32, float64 and bfloat16 (the foreach kernels take one device and dtype at
// a time) against Python's foreach=True and its default, `foreach` as set in stateDict(), and
// the foreach path against the single-tensor one (foreach: false), which agree bit for bit in
// float32 and float64 for the optimizers with `foreachByDefault` (and differ in the last bits for
// the others, as in PyTorch), and `foreach: null` (PyTorch's default: the single-tensor path on
// the CPU, as here). All the Python work is one invocation per describe block.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import type { Nested } from '../support/data.js';
import { runPython, skipWithoutPython } from '../support/python.js';
import { assertClose, type FloatDType, INIT, makeProblem, maxDiff, PY_KWARGS, PY_LOSS } from './support.js';

const { optim } = torch;
type Options = Record<string, unknown>;
type Cls =
  | 'SGD'
  | 'Adam'
  | 'AdamW'
  | 'RMSprop'
  | 'Adagrad'
  | 'Adamax'
  | 'NAdam'
  | 'RAdam'
  | 'Adadelta'
  | 'Rprop'
  | 'ASGD';

interface Config {
  cls: Cls;
  opts: Options;
  groups?: { names: ('w' | 'b' | 'z')[]; opts: Options }[];
}

// Every branch of the _multi_tensor_* functions: maximize (the negated copies then reused by
// weight decay), weight decay with and without those copies, momentum buffers made on the first
// step, Nesterov without weight decay (which updates the gradients in place), amsgrad, centered,
// learning-rate decay, decoupled weight decay, Adamax's |grad| copy (made only where neither
// maximize nor weight decay made one), RAdam's unrectified and rectified steps, Rprop's sign
// changes, ASGD's averaging, and groups with options of their own.
const CONFIGS: Config[] = [
  { cls: 'SGD', opts: { lr: 0.1 } },
  { cls: 'SGD', opts: { lr: 0.05, momentum: 0.9 } },
  { cls: 'SGD', opts: { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 } },
  { cls: 'SGD', opts: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 } },
  { cls: 'SGD', opts: { lr: 0.05, momentum: 0.9, nesterov: true } },
  { cls: 'SGD', opts: { lr: 0.01, momentum: 0.5, maximize: true, weightDecay: 0.1 } },
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
  { cls: 'Adam', opts: { lr: 0.01, maximize: true, weightDecay: 0.1 } },
  { cls: 'Adam', opts: { lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true, amsgrad: true } },
  {
    cls: 'Adam',
    opts: { lr: 0.05 },
    groups: [
      { names: ['b'], opts: { lr: 0.1, betas: [0.5, 0.9] } },
      { names: ['w', 'z'], opts: { amsgrad: true } },
    ],
  },
  { cls: 'AdamW', opts: { lr: 0.05 } },
  { cls: 'AdamW', opts: { lr: 0.05, amsgrad: true, weightDecay: 0.05, maximize: true } },
  { cls: 'RMSprop', opts: {} },
  { cls: 'RMSprop', opts: { lr: 0.01, momentum: 0.9 } },
  { cls: 'RMSprop', opts: { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.01 } },
  { cls: 'RMSprop', opts: { lr: 0.001, alpha: 0.9, eps: 1e-6, maximize: true, centered: true } },
  { cls: 'RMSprop', opts: { lr: 0.01, maximize: true, weightDecay: 0.1 } },
  { cls: 'Adagrad', opts: {} },
  { cls: 'Adagrad', opts: { lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1 } },
  { cls: 'Adagrad', opts: { lr: 0.05, eps: 1e-8, maximize: true } },
  { cls: 'Adagrad', opts: { lr: 0.05, maximize: true, weightDecay: 0.1 } },
  { cls: 'Adamax', opts: {} },
  { cls: 'Adamax', opts: { lr: 0.05, betas: [0.8, 0.99], weightDecay: 0.1, eps: 1e-6 } },
  { cls: 'Adamax', opts: { lr: 0.01, maximize: true, weightDecay: 0.05 } },
  { cls: 'Adamax', opts: { lr: 0.01, maximize: true } },
  { cls: 'NAdam', opts: {} },
  { cls: 'NAdam', opts: { lr: 0.05, momentumDecay: 0.01, weightDecay: 0.1, eps: 1e-6 } },
  { cls: 'NAdam', opts: { lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true, maximize: true } },
  { cls: 'NAdam', opts: { lr: 0.01, weightDecay: 0.1, maximize: true } },
  { cls: 'RAdam', opts: {} },
  { cls: 'RAdam', opts: { lr: 0.05, betas: [0.8, 0.99], weightDecay: 0.1, eps: 1e-6 } },
  { cls: 'RAdam', opts: { lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true } },
  { cls: 'RAdam', opts: { lr: 0.01, maximize: true, weightDecay: 0.05 } },
  { cls: 'Adadelta', opts: {} },
  { cls: 'Adadelta', opts: { lr: 0.5, rho: 0.8, eps: 1e-4, weightDecay: 0.1 } },
  { cls: 'Adadelta', opts: { lr: 0.1, maximize: true, weightDecay: 0.1 } },
  { cls: 'Rprop', opts: {} },
  { cls: 'Rprop', opts: { lr: 0.05, etas: [0.3, 1.5], stepSizes: [1e-3, 0.2] } },
  { cls: 'Rprop', opts: { lr: 0.01, maximize: true } },
  { cls: 'ASGD', opts: { lr: 0.05, t0: 5 } },
  { cls: 'ASGD', opts: { lr: 0.05, lambd: 0.01, alpha: 0.5, t0: 3, weightDecay: 0.1 } },
  { cls: 'ASGD', opts: { lr: 0.05, lambd: 0.01, t0: 3, weightDecay: 0.1, maximize: true } },
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

// biome-ignore lint/suspicious/noExplicitAny: the optimizer classes take different option types
const CLASSES: Record<Cls, new (params: any, options?: any) => torch.optim.Optimizer> = {
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

/**
 * `foreachByDefault` per class: true where the foreach path gives the single-tensor path's
 * numbers bit for bit (checked below), false where PyTorch's two paths compute differently.
 */
const FOREACH_BY_DEFAULT: Record<Cls, boolean> = {
  SGD: true,
  Adam: true,
  AdamW: true,
  RMSprop: true,
  Adagrad: true,
  Adamax: true,
  NAdam: false,
  RAdam: false,
  Adadelta: true,
  Rprop: true,
  ASGD: false,
};

const name = (c: Config): string =>
  `${c.cls}(${JSON.stringify(c.opts)}${c.groups ? `, groups ${JSON.stringify(c.groups)}` : ''})`;

/** The optimizer of `cfg` with `foreach` set on the constructor (and so on every group). */
function makeOptimizer(
  cfg: Config,
  p: { w: torch.Tensor; b: torch.Tensor; z: torch.Tensor },
  foreach: boolean | null,
): torch.optim.Optimizer {
  const params = cfg.groups
    ? cfg.groups.map((g) => ({ params: g.names.map((n) => p[n]), ...g.opts }))
    : [p.w, p.b, p.z];
  return new CLASSES[cfg.cls](params, { ...cfg.opts, foreach });
}

/** Runs `steps` steps and returns the parameters [w, b, z] after each, and the losses. */
function run(
  opt: torch.optim.Optimizer,
  problem: ReturnType<typeof makeProblem>,
  steps: number,
): { traj: Nested[][]; losses: number[] } {
  const { params, backward } = problem;
  const traj: Nested[][] = [];
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    losses.push(backward());
    opt.step();
    traj.push([params.w.toArray(), params.b.toArray(), params.z.toArray()]);
  }
  return { traj, losses };
}

interface PySD {
  state: Record<string, Record<string, Nested>>;
  dtypes: Record<string, Record<string, string>>;
  param_groups: Record<string, unknown>[];
}

interface PyRun {
  traj: Nested[][];
  losses: number[];
  /** w.grad and b.grad after the last step */
  grads: Nested[];
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
    return P, getattr(torch.optim, cfg['cls'])(params, foreach=True, **kwargs(cfg['opts']))
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
    grads = [P[n].grad.tolist() for n in ['w', 'b']]
    P2, opt2 = make(cfg, saved['params'])
    opt2.load_state_dict(saved['sd'])
    resumed, _ = run(cfg, P2, opt2, INPUT['steps'] - INPUT['mid'])
    runs.append({'traj': traj, 'losses': losses, 'grads': grads, 'final': sd_json(opt), 'mid': saved['json'], 'resumed': resumed})
OUTPUT = runs
`;

/** Python's state dict (as JSON) with its tensors rebuilt in their dtypes. */
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
const cases = CONFIGS.flatMap((cfg) => DTYPES.map((dtype) => ({ cfg, dtype })));

/** The largest |foreach here - Python foreach=True| per optimizer class and dtype (printed at the end). */
const observed = new Map<string, number>();
const observe = (cls: string, dtype: string, d: number): void => {
  const key = `${cls.padEnd(8)} ${dtype}`;
  observed.set(key, Math.max(observed.get(key) ?? 0, d));
};

describe('foreach paths match Python torch foreach=True step by step', { skip }, () => {
  let runs: PyRun[] = [];
  before(() => {
    runs = runPython<PyRun[]>(SCRIPT, {
      configs: cases.map(({ cfg, dtype }) => ({ ...cfg, dtype })),
      init: INIT,
      steps: STEPS,
      mid: MID,
    });
  });
  after(() => {
    if (observed.size > 0) {
      const rows = [...observed].map(([k, d]) => `  ${k}  params ${d.toExponential(2)}`);
      console.log(`# max |foreach - Python foreach=True| over ${STEPS} steps\n${rows.join('\n')}`);
    }
  });

  cases.forEach(({ cfg, dtype }, k) => {
    describe(`${name(cfg)} ${dtype}`, () => {
      const tol = TOL[dtype];

      test(`${STEPS} steps: every loss and parameter, then the gradients and the state dict`, () => {
        const py = runs[k] as PyRun;
        const problem = makeProblem(dtype);
        const opt = makeOptimizer(cfg, problem.params, true);
        const { traj, losses } = run(opt, problem, STEPS);
        let worst = 0;
        for (let i = 0; i < STEPS; i++) {
          const loss = losses[i] as number;
          assert.ok(Math.abs(loss - (py.losses[i] as number)) <= tol * Math.max(1, Math.abs(loss)), `loss ${i}`);
          const d = maxDiff(traj[i], py.traj[i]);
          worst = Math.max(worst, d);
          assert.ok(d <= tol, `step ${i + 1}: max |diff| ${d} > ${tol}`);
        }
        observe(cfg.cls, dtype, worst);
        const { w, b } = problem.params;
        assertClose([w.grad, b.grad], py.grads, tol, 'grads after the last step');

        const sd = opt.stateDict();
        assert.deepEqual(sd.param_groups, py.final.param_groups);
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
        const problem = makeProblem(dtype, { w: w as Nested, b: b as Nested, z: z as Nested });
        const opt = makeOptimizer(cfg, problem.params, null);
        opt.loadStateDict(fromPython(py.mid, dtype));
        assert.ok(
          opt.paramGroups.every((g) => g.foreach === true),
          'foreach comes from the state dict',
        );
        const { traj } = run(opt, problem, STEPS - MID);
        traj.forEach((t, i) => {
          const d = maxDiff(t, py.resumed[i]);
          assert.ok(d <= tol, `step ${MID + i + 1}: max |diff| ${d} > ${tol}`);
        });
      });
    });
  });
});

describe('the foreach path gives the single-tensor path numbers, bit for bit, where foreachByDefault says so (no Python needed)', () => {
  for (const cfg of CONFIGS.filter((c) => FOREACH_BY_DEFAULT[c.cls])) {
    for (const dtype of DTYPES) {
      test(`${name(cfg)} ${dtype}`, () => {
        const a = makeProblem(dtype);
        const b = makeProblem(dtype);
        const single = run(makeOptimizer(cfg, a.params, false), a, STEPS);
        const foreach = run(makeOptimizer(cfg, b.params, true), b, STEPS);
        const byDefault = makeProblem(dtype);
        const dflt = run(makeOptimizer(cfg, byDefault.params, null), byDefault, STEPS);
        assert.deepEqual(foreach.traj, single.traj);
        assert.deepEqual(foreach.losses, single.losses);
        assert.deepEqual(dflt.traj, foreach.traj, 'foreach: null');
        // the default leaves the gradients as PyTorch's CPU default (single-tensor) does
        assert.deepEqual(byDefault.params.w.grad?.toArray(), a.params.w.grad?.toArray(), 'w.grad, foreach: null');
        assert.deepEqual(byDefault.params.b.grad?.toArray(), a.params.b.grad?.toArray(), 'b.grad, foreach: null');
      });
    }
  }

  // The others: `foreach: null` is the single-tensor path (PyTorch's CPU default), and the
  // foreach path differs from it somewhere, as PyTorch's does; which is why foreachByDefault is
  // false for them.
  for (const cls of (Object.keys(FOREACH_BY_DEFAULT) as Cls[]).filter((c) => !FOREACH_BY_DEFAULT[c])) {
    test(`${cls}: foreach: null is the single-tensor path; the foreach path differs from it`, () => {
      let differs = false;
      for (const cfg of CONFIGS.filter((c) => c.cls === cls)) {
        for (const dtype of DTYPES) {
          const a = makeProblem(dtype);
          const single = run(makeOptimizer(cfg, a.params, false), a, STEPS);
          const byDefault = makeProblem(dtype);
          const dflt = run(makeOptimizer(cfg, byDefault.params, null), byDefault, STEPS);
          assert.deepEqual(dflt.traj, single.traj, `${name(cfg)} ${dtype}: foreach: null`);
          const b = makeProblem(dtype);
          const foreach = run(makeOptimizer(cfg, b.params, true), b, STEPS);
          if (maxDiff(foreach.traj, single.traj) !== 0) differs = true;
        }
      }
      assert.ok(differs, `${cls}: the two paths agree bit for bit in every config; foreachByDefault could be true`);
    });
  }
});

// ---- groups whose parameters mix dtypes, with gradients given as data

type MixedDType = FloatDType | 'bfloat16';

/** Five parameters: float32, float64, float32, float64, bfloat16 (three foreach groups, interleaved). */
const MIXED = {
  dtypes: ['float32', 'float64', 'float32', 'float64', 'bfloat16'] as MixedDType[],
  init: [[0.5, -1.2, 2.0], [0.3, -0.7, 1.1, -0.4], [0.25], [1.5, -0.5], [0.75, -2.5, 0.125, 1.0]],
};
const MIXED_TOL: Record<MixedDType, number> = { ...TOL, bfloat16: 0 };

/** The gradients of step `s`: fixed, irregular values (the same on both sides). */
const mixedGrads = (s: number): number[][] =>
  MIXED.init.map((p, k) => p.map((_, j) => Math.sin(1.7 * s + 2.3 * k + 0.9 * j) * (1 + 0.1 * s)));

const MIXED_CONFIGS: Config[] = [
  { cls: 'SGD', opts: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 } },
  { cls: 'Adam', opts: { lr: 0.05, amsgrad: true, weightDecay: 0.1 } },
  { cls: 'AdamW', opts: { lr: 0.05, maximize: true } },
  { cls: 'RMSprop', opts: { lr: 0.01, centered: true, momentum: 0.5 } },
  { cls: 'Adagrad', opts: { lr: 0.1, lrDecay: 0.01, weightDecay: 0.01 } },
  { cls: 'Adamax', opts: { lr: 0.05, weightDecay: 0.1 } },
  { cls: 'NAdam', opts: { lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true } },
  { cls: 'RAdam', opts: { lr: 0.05, maximize: true, weightDecay: 0.1 } },
  { cls: 'Adadelta', opts: { lr: 0.5, weightDecay: 0.1 } },
  { cls: 'Rprop', opts: { lr: 0.05, etas: [0.3, 1.5] } },
  { cls: 'ASGD', opts: { lr: 0.05, t0: 5, weightDecay: 0.1 } },
];

const MIXED_SCRIPT = `
${PY_KWARGS}
import warnings
warnings.filterwarnings('ignore')
runs = []
for cfg in INPUT['configs']:
    run = {}
    for foreach in [True, None]:
        ps = [torch.tensor(v, dtype=getattr(torch, dt), requires_grad=True) for v, dt in zip(INPUT['init'], INPUT['dtypes'])]
        opt = getattr(torch.optim, cfg['cls'])(ps, foreach=foreach, **kwargs(cfg['opts']))
        traj = []
        for grads in INPUT['grads']:
            for p, g in zip(ps, grads):
                p.grad = torch.tensor(g, dtype=p.dtype)
            opt.step()
            traj.append([p.tolist() for p in ps])
        run['foreach' if foreach else 'default'] = traj
    runs.append(run)
OUTPUT = runs
`;

function runMixed(cfg: Config, foreach: boolean | null): Nested[][] {
  const ps = MIXED.init.map((v, k) => torch.tensor(v, { dtype: MIXED.dtypes[k], requiresGrad: true }));
  const opt = new CLASSES[cfg.cls](ps, { ...cfg.opts, foreach });
  const traj: Nested[][] = [];
  for (let s = 0; s < STEPS; s++) {
    const grads = mixedGrads(s);
    ps.forEach((p, k) => {
      p.grad = torch.tensor(grads[k] as number[], { dtype: p.dtype });
    });
    opt.step();
    traj.push(ps.map((p) => p.toArray()));
  }
  return traj;
}

/** Asserts that two runs of the mixed group agree within `tols` (parameters of dtypes it lacks are not compared). */
function assertMixedClose(
  mine: Nested[][],
  theirs: Nested[][],
  what: string,
  tols: Partial<Record<MixedDType, number>> = MIXED_TOL,
): void {
  for (let s = 0; s < STEPS; s++) {
    MIXED.dtypes.forEach((dtype, p) => {
      const tol = tols[dtype];
      if (tol === undefined) return;
      const d = maxDiff(mine[s]?.[p], theirs[s]?.[p]);
      assert.ok(d <= tol, `${what}: step ${s + 1}, parameter ${p} (${dtype}): max |diff| ${d} > ${tol}`);
    });
  }
}

describe('a group with float32, float64 and bfloat16 parameters, against Python torch', { skip }, () => {
  let runs: { foreach: Nested[][]; default: Nested[][] }[] = [];
  before(() => {
    runs = runPython(MIXED_SCRIPT, {
      configs: MIXED_CONFIGS,
      init: MIXED.init,
      dtypes: MIXED.dtypes,
      grads: Array.from({ length: STEPS }, (_, s) => mixedGrads(s)),
    });
  });
  MIXED_CONFIGS.forEach((cfg, k) => {
    test(name(cfg), () => {
      const py = runs[k] as { foreach: Nested[][]; default: Nested[][] };
      const foreach = runMixed(cfg, true);
      const single = runMixed(cfg, false);
      const dflt = runMixed(cfg, null);
      assertMixedClose(foreach, py.foreach, 'foreach: true vs Python foreach=True');
      assertMixedClose(dflt, py.default, 'foreach: null vs Python foreach=None');
      assertMixedClose(single, py.default, 'foreach: false vs Python foreach=None');
      // in float32 and float64 the two paths give the same numbers (in bfloat16 PyTorch's differ),
      // for the optimizers whose foreachByDefault says so
      if (FOREACH_BY_DEFAULT[cfg.cls]) {
        assertMixedClose(foreach, single, 'foreach vs single-tensor', { float32: 0, float64: 0 });
      }
    });
  });
});

describe('foreach in param groups and stateDict()', () => {
  const params = () => makeProblem('float64').params;

  test('null by default, as in PyTorch; true and false as set; a group of its own keeps its own', () => {
    for (const cls of Object.keys(CLASSES) as Cls[]) {
      const p = params();
      const dflt = new CLASSES[cls]([p.w, p.b]);
      assert.equal(dflt.stateDict().param_groups[0]?.foreach, null, `${cls} default`);
      for (const foreach of [true, false]) {
        const q = params();
        const opt = new CLASSES[cls]([p.w], { foreach });
        assert.equal(opt.paramGroups[0]?.foreach, foreach);
        assert.equal(opt.stateDict().param_groups[0]?.foreach, foreach, `${cls} foreach: ${foreach}`);
        const mixed = new CLASSES[cls]([{ params: [q.w] }, { params: [q.b], foreach: !foreach }], { foreach });
        assert.deepEqual(
          mixed.stateDict().param_groups.map((g) => g.foreach),
          [foreach, !foreach],
          `${cls} per-group foreach`,
        );
      }
    }
  });

  test("SGD's Nesterov foreach path: foreach: true updates the gradients as PyTorch's does, null leaves them", () => {
    const grads: Record<string, number[]> = {};
    for (const foreach of [true, null, false]) {
      const p = torch.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
      const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true, foreach });
      p.grad = torch.tensor([1, -1, 0.5], { dtype: 'float64' });
      opt.step();
      grads[String(foreach)] = p.grad.toArray() as number[];
    }
    assert.deepEqual(grads, { true: [1.9, -1.9, 0.95], null: [1, -1, 0.5], false: [1, -1, 0.5] });
  });

  test('foreachByDefault: true where the two paths agree bit for bit (see above)', () => {
    for (const cls of Object.keys(CLASSES) as Cls[]) {
      const ctor = CLASSES[cls] as unknown as { foreachByDefault: boolean };
      assert.equal(ctor.foreachByDefault, FOREACH_BY_DEFAULT[cls], cls);
    }
  });

  test('state dicts move between the two paths: a foreach run resumes as a single-tensor one and back', () => {
    for (const cfg of CONFIGS) {
      const ref = makeProblem('float64');
      const refOpt = makeOptimizer(cfg, ref.params, true);
      run(refOpt, ref, STEPS);

      const a = makeProblem('float64');
      const optA = makeOptimizer(cfg, a.params, true);
      run(optA, a, MID);
      const b = makeProblem('float64', { w: a.params.w.toArray(), b: a.params.b.toArray(), z: a.params.z.toArray() });
      const optB = makeOptimizer(cfg, b.params, false);
      const sd = optA.stateDict();
      sd.param_groups = sd.param_groups.map((g) => ({ ...g, foreach: false }));
      optB.loadStateDict(sd);
      assert.ok(optB.paramGroups.every((g) => g.foreach === false));
      run(optB, b, STEPS - MID);
      if (FOREACH_BY_DEFAULT[cfg.cls]) {
        assert.deepEqual(b.params.w.toArray(), ref.params.w.toArray(), `${name(cfg)}: w`);
        assert.deepEqual(b.params.b.toArray(), ref.params.b.toArray(), `${name(cfg)}: b`);
      } else {
        // the paths differ in the last bits (ASGD's, in its eta, by up to some 1e-6 over 20 steps)
        const d = maxDiff(
          [b.params.w.toArray(), b.params.b.toArray()],
          [ref.params.w.toArray(), ref.params.b.toArray()],
        );
        assert.ok(d <= 1e-5, `${name(cfg)}: max |diff| ${d}`);
      }
    }
  });

  test('parameters without gradients are skipped, and a group with none changes nothing', () => {
    for (const cls of Object.keys(CLASSES) as Cls[]) {
      const p = params();
      const opt = new CLASSES[cls]([{ params: [p.z] }, { params: [p.w] }], { foreach: true, lr: 0.1 });
      p.w.grad = torch.onesLike(p.w);
      const z0 = p.z.toArray();
      opt.step();
      assert.deepEqual(p.z.toArray(), z0, cls);
      assert.notDeepEqual(p.w.toArray(), INIT.w, cls);
    }
  });
});
