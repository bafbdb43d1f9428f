// torch.optim.LBFGS against Python torch, step by step: the parameters, the returned losses and
// the closure evaluations after every step, the state dict (PyTorch's keys, in PyTorch's order,
// with tensors where PyTorch has tensors and numbers where it has numbers), and runs resumed from
// Python's state dict and from our own. The problems are support.ts's (whose parameter z gets no
// gradient), a 4-d Rosenbrock function, and a nonsmooth one (|x - 0.3| plus a quadratic), whose
// line searches reach the branches of the strong-Wolfe search that smooth problems rarely do
// (a cubic without a minimum, a trial point moved off the bracket's end, a bracket too small to
// refine). The float32 runs matter as much as the float64 ones: PyTorch does the line search's
// scalar arithmetic in float32 there, and takes its branches on float32 comparisons. All the
// Python work is one invocation.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { cubicInterpolate, LBFGS, type LBFGSOptions } from '../../lib/torch/optim/lbfgs.js';
import { runPython, skipWithoutPython } from '../support/python.js';
import { type FloatDType, INIT, makeProblem, maxDiff, PY_KWARGS, PY_LOSS } from './support.js';

type ProblemName = 'problem' | 'rosen' | 'kink';

interface Config {
  problem: ProblemName;
  dtype: FloatDType;
  opts: LBFGSOptions;
  steps: number;
}

const SW = 'strong_wolfe' as const;
const [major = 0, minor = 0] = torch.buildInfo().libtorch.split('.').map(Number);
const HAS_MAXIMIZE = major > 2 || (major === 2 && minor >= 14);

const CONFIGS: Config[] = [
  // the fixed step; the history (3) wraps within the first step
  { problem: 'problem', dtype: 'float64', opts: { maxIter: 5, historySize: 3 }, steps: 5 },
  { problem: 'problem', dtype: 'float32', opts: { maxIter: 5, historySize: 3 }, steps: 5 },
  { problem: 'problem', dtype: 'float64', opts: { maxIter: 5, historySize: 3, lineSearchFn: SW }, steps: 5 },
  // float32: zoom steps moved off the bracket's ends, and a bracket too small to refine
  { problem: 'problem', dtype: 'float32', opts: { historySize: 3, lineSearchFn: SW }, steps: 4 },
  // a zoom step moved down from the bracket's upper end
  { problem: 'problem', dtype: 'float32', opts: { lr: 4, lineSearchFn: SW }, steps: 4 },
  // the defaults: converged within the first step; later steps stop at once (toleranceGrad)
  { problem: 'problem', dtype: 'float64', opts: {}, steps: 3 },
  // early exits: the loss changes less than toleranceChange; the gradient is below toleranceGrad
  { problem: 'problem', dtype: 'float64', opts: { toleranceChange: 1e-3, historySize: 3 }, steps: 3 },
  { problem: 'problem', dtype: 'float64', opts: { toleranceGrad: 1e-2, historySize: 3 }, steps: 3 },
  // a long first step that overshoots: zoom with trial points near the bracket's ends
  { problem: 'problem', dtype: 'float64', opts: { lr: 10, maxIter: 4, historySize: 3, lineSearchFn: SW }, steps: 4 },
  { problem: 'rosen', dtype: 'float64', opts: { maxIter: 8, historySize: 3, lineSearchFn: SW }, steps: 6 },
  { problem: 'rosen', dtype: 'float64', opts: { lr: 0.01, maxIter: 8, historySize: 3 }, steps: 6 },
  // maxEval cuts the line search short
  { problem: 'rosen', dtype: 'float64', opts: { maxIter: 10, maxEval: 4, historySize: 3, lineSearchFn: SW }, steps: 4 },
  // maxEval 1: the line search has no evaluation left, and its step is 0
  { problem: 'rosen', dtype: 'float64', opts: { maxIter: 1, lineSearchFn: SW }, steps: 3 },
  // the zoom's low end becomes its high end
  { problem: 'rosen', dtype: 'float64', opts: { lr: 2.5, historySize: 3, lineSearchFn: SW }, steps: 4 },
  { problem: 'rosen', dtype: 'float32', opts: { maxIter: 8, historySize: 3, lineSearchFn: SW }, steps: 6 },
  { problem: 'rosen', dtype: 'float32', opts: { lr: 0.3, historySize: 3, lineSearchFn: SW }, steps: 6 },
  // cubics without a minimum
  { problem: 'kink', dtype: 'float64', opts: { historySize: 3, lineSearchFn: SW }, steps: 4 },
  { problem: 'kink', dtype: 'float64', opts: { lr: 10, historySize: 3, lineSearchFn: SW }, steps: 4 },
  { problem: 'kink', dtype: 'float32', opts: { lr: 0.3, historySize: 3, lineSearchFn: SW }, steps: 4 },
  // the line search keeps its own tolerance (1e-9) whatever toleranceChange is, as PyTorch's
  {
    problem: 'kink',
    dtype: 'float64',
    opts: { lr: 10, toleranceChange: 1e-3, historySize: 3, lineSearchFn: SW },
    steps: 4,
  },
  // PyTorch 2.14 added maximize (negated gradient and losses): where the libtorch here is 2.14
  // or later, so is the Python torch these tests compare with (see .ci/run)
  ...(HAS_MAXIMIZE
    ? [
        { problem: 'problem', dtype: 'float64', opts: { lr: 0.1, maxIter: 3, maximize: true }, steps: 3 } as Config,
        {
          problem: 'kink',
          dtype: 'float64',
          opts: { maxIter: 4, maximize: true, lineSearchFn: SW },
          steps: 2,
        } as Config,
      ]
    : []),
];

// Both sides run the same libtorch kernels in the same order, so they agree to the last bit on
// this machine (the tests report the largest difference seen); the tolerances leave room for
// a libtorch built with other vector kernels, whose dot products may round differently.
const TOL: Record<FloatDType, number> = { float64: 1e-10, float32: 1e-5 };

const ROSEN_INIT = [-1.5, 2.0, -0.5, 1.2];
const KINK_INIT = [2.0, -1.0, 0.5];

/** A tensor in a Python state dict: its values and dtype. */
interface PyTensor {
  __tensor__: unknown;
  dtype: string;
}
type PyValue = number | null | PyTensor | PyValue[];

interface PyStateDict {
  state: Record<string, Record<string, PyValue>>;
  param_groups: Record<string, unknown>[];
}

interface PyRun {
  /** the parameters after each step */
  traj: unknown[][];
  /** what step() returned, as a number */
  losses: number[];
  /** closure calls in each step */
  evals: number[];
  funcEvals: number[];
  nIter: number[];
  /** the state's keys after each step, in order */
  keys: string[][];
  mid: PyStateDict;
  final: PyStateDict;
}

const SCRIPT = `
${PY_KWARGS}
import warnings
warnings.filterwarnings('ignore')
def enc(v):
    if isinstance(v, torch.Tensor):
        return {'__tensor__': v.tolist(), 'dtype': str(v.dtype).replace('torch.', '')}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    return v
def sd_json(opt):
    sd = opt.state_dict()
    return {'state': {str(k): {kk: enc(vv) for kk, vv in s.items()} for k, s in sd['state'].items()},
            'param_groups': sd['param_groups']}
def make(problem, dt, init):
    if problem == 'problem':
        P = {n: torch.tensor(init['problem'][n], dtype=dt, requires_grad=True) for n in ['w', 'b', 'z']}
        a, c, d = (torch.tensor(init['problem'][n], dtype=dt) for n in ['a', 'c', 'd'])
        w, b = P['w'], P['b']
        def f():
${PY_LOSS.replace(/^/, '            ')}
            return loss
        return [P['w'], P['b'], P['z']], f
    x = torch.tensor(init[problem], dtype=dt, requires_grad=True)
    if problem == 'rosen':
        def f():
            return (x[1:] - x[:-1].pow(2)).pow(2).mul(100).add(x[:-1].neg().add(1).pow(2)).sum()
    else:
        def f():
            return x.sub(0.3).abs().sum().add(x.pow(2).mul(0.05).sum())
    return [x], f
runs = []
for cfg in INPUT['configs']:
    params, f = make(cfg['problem'], getattr(torch, cfg['dtype']), INPUT['init'])
    opt = torch.optim.LBFGS(params, **kwargs(cfg['opts']))
    calls = [0]
    def closure():
        calls[0] += 1
        opt.zero_grad()
        loss = f()
        loss.backward()
        return loss
    run = {'traj': [], 'losses': [], 'evals': [], 'funcEvals': [], 'nIter': [], 'keys': []}
    for i in range(cfg['steps']):
        calls[0] = 0
        loss = opt.step(closure)
        st = opt.state[params[0]]
        run['traj'].append([p.tolist() for p in params])
        run['losses'].append(loss.item())
        run['evals'].append(calls[0])
        run['funcEvals'].append(st['func_evals'])
        run['nIter'].append(st['n_iter'])
        run['keys'].append(list(st.keys()))
        if i == cfg['steps'] // 2 - 1:
            run['mid'] = sd_json(opt)
    run['final'] = sd_json(opt)
    runs.append(run)
def cubic(args):
    from torch.optim.lbfgs import _cubic_interpolate
    out = []
    for dt in [torch.float64, torch.float32]:
        for x1, f1, g1, x2, f2, g2, *bounds in args:
            g1, g2 = torch.tensor(g1, dtype=dt), torch.tensor(g2, dtype=dt)
            r = _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=bounds[0] if bounds else None)
            out.append([float(r), isinstance(r, torch.Tensor)])
    return out
OUTPUT = {'runs': runs, 'cubic': cubic(INPUT['cubic'])}
`;

interface Setup {
  params: torch.Tensor[];
  /** the closure for `opt`, which counts its calls in `calls` */
  closure: () => torch.Tensor | number;
  calls: { n: number };
}

/**
 * The problem's parameters (at `values`, or the initial ones) and a closure. support.ts's
 * problem's closure returns the loss as a number, the others return the loss tensor.
 */
function setup(cfg: Config, opt: () => torch.optim.Optimizer, values?: unknown[]): Setup {
  const calls = { n: 0 };
  const { dtype } = cfg;
  if (cfg.problem === 'problem') {
    const [w, b, z] = (values ?? []) as number[][];
    const p = makeProblem(dtype, values ? { w: w as number[], b: b as number[], z: z as number[] } : undefined);
    return {
      params: [p.params.w, p.params.b, p.params.z],
      calls,
      closure: () => {
        calls.n++;
        opt().zeroGrad();
        return p.backward();
      },
    };
  }
  const init = (values?.[0] as number[] | undefined) ?? (cfg.problem === 'rosen' ? ROSEN_INIT : KINK_INIT);
  const x = torch.tensor(init, { dtype, requiresGrad: true });
  const n = init.length;
  const f =
    cfg.problem === 'rosen'
      ? () => {
          const head = x.narrow(0, 0, n - 1);
          return x
            .narrow(0, 1, n - 1)
            .sub(head.pow(2))
            .pow(2)
            .mul(100)
            .add(head.neg().add(1).pow(2))
            .sum();
        }
      : () => x.sub(0.3).abs().sum().add(x.pow(2).mul(0.05).sum());
  return {
    params: [x],
    calls,
    closure: () => {
      calls.n++;
      opt().zeroGrad();
      const loss = f();
      loss.backward();
      return loss;
    },
  };
}

/** A fresh optimizer on a fresh copy of the problem (at `values`). */
function build(cfg: Config, values?: unknown[], opts: LBFGSOptions = cfg.opts): { opt: LBFGS } & Setup {
  let opt: LBFGS | undefined;
  const s = setup(cfg, () => opt as LBFGS, values);
  opt = new LBFGS(s.params, opts);
  return { opt, ...s };
}

const lossValue = (l: torch.Tensor | number): number => (typeof l === 'number' ? l : (l.item() as number));
const paramValues = (params: torch.Tensor[]): unknown[] => params.map((p) => p.toArray());

/** Python's state dict value (from JSON) as a state dict value here. */
function fromPy(v: PyValue): unknown {
  if (Array.isArray(v)) return v.map(fromPy);
  if (v !== null && typeof v === 'object') {
    return torch.tensor(v.__tensor__ as number[], { dtype: v.dtype as FloatDType });
  }
  return v;
}

function fromPyStateDict(sd: PyStateDict): torch.optim.OptimizerStateDict {
  const state: Record<string, Record<string, unknown>> = {};
  for (const [id, s] of Object.entries(sd.state)) {
    state[id] = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, fromPy(v)]));
  }
  return { state, param_groups: sd.param_groups };
}

/** Our state value against Python's: a tensor (same dtype) where it has one, a number where it has one. */
function compareValue(mine: unknown, py: PyValue, tol: number, path: string): number {
  if (Array.isArray(py)) {
    assert.ok(Array.isArray(mine), `${path}: expected a list`);
    assert.equal(mine.length, py.length, `${path}: length`);
    return Math.max(0, ...py.map((x, i) => compareValue(mine[i], x, tol, `${path}[${i}]`)));
  }
  if (py === null) {
    assert.equal(mine, null, path);
    return 0;
  }
  if (typeof py === 'object') {
    assert.ok(mine instanceof torch.Tensor, `${path}: expected a Tensor, got ${String(mine)}`);
    assert.equal(mine.dtype, py.dtype, `${path}: dtype`);
    const d = maxDiff(mine.toArray(), py.__tensor__);
    assert.ok(d <= tol, `${path}: max |diff| ${d} > ${tol}`);
    return d;
  }
  assert.equal(typeof mine, 'number', `${path}: expected a number, got ${String(mine)}`);
  const d = maxDiff(mine, py);
  assert.ok(d <= tol * Math.max(1, Math.abs(py)), `${path}: ${String(mine)} vs ${py}`);
  return d;
}

const name = (c: Config): string => `${c.problem} ${c.dtype} ${JSON.stringify(c.opts)}, ${c.steps} steps`;

// [x1, f1, g1, x2, f2, g2, bounds?]: the cubic's minimum inside, clamped to either end, to
// explicit bounds, and a cubic without a minimum (the middle)
const CUBIC: (number | number[])[][] = [
  [0, 1, -1, 1, 0.5, 0.5],
  [1, 0.5, 0.5, 0, 1, -1],
  [0, 1, -1, 1, 0, -2],
  [0, 1, -1, 0.5, 0.2, 3, [0.1, 0.3]],
  [0, 0, 1, 1, 0, 1],
  [0, 0, 5, 2, 0, -5],
];

const skip = skipWithoutPython();
let runs: PyRun[] = [];
let cubicPy: [number, boolean][] = [];

describe('LBFGS matches Python torch step by step', { skip }, () => {
  before(() => {
    const out = runPython<{ runs: PyRun[]; cubic: [number, boolean][] }>(SCRIPT, {
      configs: CONFIGS,
      init: { problem: INIT, rosen: ROSEN_INIT, kink: KINK_INIT },
      cubic: CUBIC,
    });
    runs = out.runs;
    cubicPy = out.cubic;
  });

  test('cubic interpolation (slopes as 0-d tensors, as the line search has them)', () => {
    let i = 0;
    for (const dtype of ['float64', 'float32'] as const) {
      for (const args of CUBIC) {
        const [x1, f1, g1, x2, f2, g2, bounds] = args as [number, number, number, number, number, number, number[]?];
        const slope = (g: number): torch.Tensor => torch.tensor(g, { dtype });
        const mine = cubicInterpolate(x1, f1, slope(g1), x2, f2, slope(g2), bounds as [number, number] | undefined);
        const [value, isTensor] = cubicPy[i++] as [number, boolean];
        const at = `${dtype} ${JSON.stringify(args)}`;
        assert.equal(mine instanceof torch.Tensor, isTensor, `${at}: a tensor where Python has one`);
        assert.equal(mine instanceof torch.Tensor ? mine.item() : mine, value, at);
      }
    }
  });

  CONFIGS.forEach((cfg, k) => {
    describe(name(cfg), () => {
      const tol = TOL[cfg.dtype];

      test('each step: the parameters, the returned loss, the closure calls, func_evals, n_iter, state keys', (t) => {
        const py = runs[k] as PyRun;
        const { opt, params, closure, calls } = build(cfg);
        let worst = 0;
        for (let i = 0; i < cfg.steps; i++) {
          calls.n = 0;
          const loss = opt.step(closure);
          const at = `step ${i + 1}`;
          const d = maxDiff(paramValues(params), py.traj[i]);
          worst = Math.max(worst, d);
          assert.ok(d <= tol, `${at}: parameters: max |diff| ${d} > ${tol}`);
          const l = py.losses[i] as number;
          assert.ok(Math.abs(lossValue(loss) - l) <= tol * Math.max(1, Math.abs(l)), `${at}: loss ${loss} vs ${l}`);
          assert.equal(calls.n, py.evals[i], `${at}: closure calls`);
          const state = opt.stateDict().state[0] as Record<string, unknown>;
          assert.equal(state.func_evals, py.funcEvals[i], `${at}: func_evals`);
          assert.equal(state.n_iter, py.nIter[i], `${at}: n_iter`);
          assert.deepEqual(Object.keys(state), py.keys[i], `${at}: state keys, in order`);
        }
        t.diagnostic(`largest difference from Python: ${worst}`);
      });

      test('stateDict() matches Python state_dict(): param groups, keys, tensors and numbers, values', () => {
        const py = runs[k] as PyRun;
        const { opt, closure } = build(cfg);
        for (let i = 0; i < cfg.steps; i++) opt.step(closure);
        const sd = opt.stateDict();
        assert.deepEqual(sd.param_groups, py.final.param_groups);
        assert.deepEqual(
          sd.param_groups.map((g) => Object.keys(g)),
          py.final.param_groups.map((g) => Object.keys(g)),
          'param group keys, in order',
        );
        assert.deepEqual(Object.keys(sd.state), Object.keys(py.final.state), 'parameters with state');
        const mine = sd.state[0] as Record<string, unknown>;
        const theirs = py.final.state['0'] as Record<string, PyValue>;
        assert.deepEqual(Object.keys(mine), Object.keys(theirs), 'state keys, in order');
        for (const [key, v] of Object.entries(theirs)) compareValue(mine[key], v, tol, `state[0].${key}`);
      });

      test("resumed from Python's state dict halfway, it follows Python's run", () => {
        const py = runs[k] as PyRun;
        const mid = Math.floor(cfg.steps / 2);
        // other options at first: loading replaces them
        const { opt, params, closure, calls } = build(cfg, py.traj[mid - 1], { lr: 0.123, maxIter: 2 });
        opt.loadStateDict(fromPyStateDict(py.mid));
        for (let i = mid; i < cfg.steps; i++) {
          calls.n = 0;
          opt.step(closure);
          const d = maxDiff(paramValues(params), py.traj[i]);
          assert.ok(d <= tol, `step ${i + 1}: max |diff| ${d} > ${tol}`);
          assert.equal(calls.n, py.evals[i], `step ${i + 1}: closure calls`);
          const state = opt.stateDict().state[0] as Record<string, unknown>;
          assert.equal(state.func_evals, py.funcEvals[i], `step ${i + 1}: func_evals`);
          assert.equal(state.n_iter, py.nIter[i], `step ${i + 1}: n_iter`);
        }
      });
    });
  });
});

describe('LBFGS: loadStateDict round trip (no Python needed)', () => {
  for (const cfg of CONFIGS) {
    test(`${name(cfg)}: a copy loaded from stateDict() halfway continues identically`, () => {
      const mid = Math.floor(cfg.steps / 2);
      const a = build(cfg);
      for (let i = 0; i < mid; i++) a.opt.step(a.closure);
      const b = build(cfg, paramValues(a.params), { lr: 0.5, historySize: 7 });
      b.opt.loadStateDict(a.opt.stateDict());
      assert.deepEqual(b.opt.stateDict().param_groups, a.opt.stateDict().param_groups);
      for (let i = mid; i < cfg.steps; i++) {
        a.calls.n = 0;
        b.calls.n = 0;
        const la = lossValue(a.opt.step(a.closure));
        const lb = lossValue(b.opt.step(b.closure));
        // bit for bit, and not sharing state (an in-place update of a shared tensor would show)
        assert.equal(lb, la, `loss at step ${i + 1}`);
        assert.deepEqual(paramValues(b.params), paramValues(a.params), `parameters after step ${i + 1}`);
        assert.equal(b.calls.n, a.calls.n, `closure calls at step ${i + 1}`);
      }
      assert.deepEqual(
        Object.keys(b.opt.stateDict().state[0] as object),
        Object.keys(a.opt.stateDict().state[0] as object),
      );
    });
  }
});

describe('LBFGS: options, groups, closures, lifetimes', () => {
  const param = (values: number[]): torch.Tensor => torch.tensor(values, { dtype: 'float64', requiresGrad: true });

  test("defaults as PyTorch's: maxEval = floor(maxIter * 5 / 4), one group", () => {
    const opt = new LBFGS([param([1])]);
    assert.deepEqual(opt.stateDict().param_groups, [
      {
        lr: 1,
        max_iter: 20,
        max_eval: 25,
        tolerance_grad: 1e-7,
        tolerance_change: 1e-9,
        history_size: 100,
        line_search_fn: null,
        ...(HAS_MAXIMIZE ? { maximize: false } : {}),
        params: [0],
      },
    ]);
    assert.equal(new LBFGS([param([1])], { maxIter: 7 }).paramGroups[0]?.maxEval, 8);
    assert.equal(new LBFGS([param([1])], { maxIter: 7, maxEval: 3 }).paramGroups[0]?.maxEval, 3);
    assert.equal(torch.optim.LBFGS, LBFGS, 'exported as torch.optim.LBFGS');
  });

  test('more than one param group is refused, in the constructor and in addParamGroup', () => {
    const [p, q] = [param([1]), param([2])];
    assert.throws(
      () => new LBFGS([{ params: [p] }, { params: [q], lr: 0.1 }]),
      /LBFGS doesn't support per-parameter options \(parameter groups\)/,
    );
    const opt = new LBFGS([{ params: [p] }]);
    assert.throws(() => opt.addParamGroup({ params: [q] }), /doesn't support per-parameter options/);
    assert.equal(opt.paramGroups.length, 1);
  });

  test('bad options', () => {
    const p = [param([1])];
    assert.throws(() => new LBFGS(p, { lr: -1 }), /invalid learning rate: -1/);
    assert.throws(() => new LBFGS(p, { lineSearchFn: 'armijo' as 'strong_wolfe' }), /only 'strong_wolfe' is supported/);
    assert.throws(() => new LBFGS(p, { historySize: 0 }), /invalid historySize: 0/);
    if (HAS_MAXIMIZE) assert.throws(() => new LBFGS(p, { maximize: 1 as never }), /maximize must be a boolean/);
    else assert.throws(() => new LBFGS(p, { maximize: true }), /unknown option 'maximize'/, 'as PyTorch 2.13');
    assert.throws(() => new LBFGS(p, { maxIter: 2.5 }), /invalid maxIter: 2.5/);
    assert.throws(() => new LBFGS(p, { maxEval: -1 }), /invalid maxEval: -1/);
    assert.throws(() => new LBFGS(p, { toleranceGrad: 'x' as unknown as number }), /toleranceGrad must be a number/);
    assert.throws(() => new LBFGS(p, { max_iter: 5 } as LBFGSOptions), /unknown option 'max_iter'.*'maxIter'/);
    assert.throws(() => new LBFGS(p, { lr: torch.tensor(0.1) as unknown as number }), /lr as a Tensor/);
  });

  test('step needs a closure that returns the loss', () => {
    const p = param([1, 2]);
    const opt = new LBFGS([p]);
    assert.throws(() => (opt.step as () => unknown)(), /LBFGS.step: a closure is required/);
    assert.throws(
      () => opt.step(() => undefined as unknown as number),
      /the closure must return the loss, a Tensor or a number; got undefined/,
    );
    // maxEval 0 leaves the strong-Wolfe search nothing; PyTorch fails there too
    const q = param([1, 2]);
    const opt2 = new LBFGS([q], { maxEval: 0, lineSearchFn: 'strong_wolfe' });
    const closure = (): torch.Tensor => {
      opt2.zeroGrad();
      const l = q.mul(q).sum();
      l.backward();
      return l;
    };
    assert.throws(() => opt2.step(closure), /raise maxEval/);
  });

  test('the closure runs with grad on under noGrad; the loss it returned first survives the step', () => {
    const p = param([1, -2, 3]);
    const opt = new LBFGS([p], { maxIter: 4, lineSearchFn: 'strong_wolfe' });
    const losses: torch.Tensor[] = [];
    const loss = torch.noGrad(() =>
      opt.step(() => {
        assert.equal(torch.isGradEnabled(), true);
        opt.zeroGrad();
        const l = p.sub(0.5).pow(2).sum();
        l.backward();
        losses.push(l);
        return l;
      }),
    );
    assert.ok(losses.length > 2);
    assert.equal(loss, losses[0], 'step returns what the first call returned');
    assert.equal(loss.isDisposed, false);
    assert.equal(loss.item(), 0.25 + 6.25 + 6.25);
    // the later losses (and everything else the closure made) were freed with each call
    assert.ok(losses.slice(1).every((l) => l.isDisposed));
    assert.equal(p.isLeaf, true);
    assert.equal(p.gradFn, null);
    // the state's tensors live on
    const s = opt.state.get(p);
    for (const t of [s?.d, s?.prevFlatGrad, ...(s?.oldDirs ?? []), ...(s?.oldStps ?? []), ...(s?.ro ?? [])]) {
      assert.ok(t instanceof torch.Tensor && !t.isDisposed);
    }
    // the minimum is at 0.5
    opt.step(() => {
      opt.zeroGrad();
      const l = p.sub(0.5).pow(2).sum();
      l.backward();
      return l;
    });
    assert.ok(maxDiff(p.toArray(), [0.5, 0.5, 0.5]) < 1e-6);
  });

  test('a step that starts at an optimum evaluates once and keeps only func_evals and n_iter', () => {
    const p = param([0, 0]);
    const opt = new LBFGS([p]);
    let calls = 0;
    const loss = opt.step(() => {
      calls++;
      opt.zeroGrad();
      const l = p.mul(p).sum();
      l.backward();
      return l.item() as number;
    });
    assert.equal(loss, 0);
    assert.equal(calls, 1);
    assert.deepEqual(opt.stateDict().state, { 0: { func_evals: 1, n_iter: 0 } });
  });
});
