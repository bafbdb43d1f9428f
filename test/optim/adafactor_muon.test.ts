// optim.Adafactor and optim.Muon against Python torch: STEPS steps of each option set on
// matrices (wide and tall), a 3-D tensor, a vector and a scalar (Muon: matrices only), in
// float32 and float64, comparing every parameter after every step and the state dict after the
// last one exactly (bit for bit: same operations in the same order, the same libtorch). State
// dicts cross both ways through torch.save / torch.load at step MID: Python resumes from ours,
// and we resume from Python's, and both runs must go on as the uninterrupted one. Then option
// checks, refusals (sparse gradients, non-matrices for Muon) and the tensor count of a long run.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { zeropowerViaNewtonSchulz } from '../../lib/torch/optim/muon.js';
import type { Nested } from '../support/data.js';
import { runPython, skipWithoutPython } from '../support/python.js';
import { type FloatDType, PY_KWARGS } from './support.js';

const { optim } = torch;
type Options = Record<string, unknown>;
type Cls = 'Adafactor' | 'Muon';

const STEPS = 12;
const MID = 5;
const DTYPES: FloatDType[] = ['float32', 'float64'];

/** The parameters by name and shape; `z` never gets a gradient. */
const SHAPES: Record<Cls, Record<string, number[]>> = {
  Adafactor: { wide: [3, 4], tall: [5, 2], cube: [2, 3, 4], vec: [4], scalar: [], z: [2, 2] },
  Muon: { wide: [3, 5], tall: [6, 3], square: [4, 4], z: [2, 2] },
};

interface Config {
  cls: Cls;
  opts: Options;
  /** param groups by parameter name, with options of their own */
  groups?: { names: string[]; opts: Options }[];
}

const ADAFACTOR: Options[] = [
  {},
  { lr: 0.05, weightDecay: 0.1 },
  { lr: 0.5, maximize: true, beta2Decay: -0.5, d: 1.1 },
  { eps: [1e-3, 1e-2], weightDecay: 0.01 },
];
const MUON: Options[] = [
  {},
  { lr: 0.02, nesterov: false },
  { lr: 0.02, adjustLrFn: 'match_rms_adamw', weightDecay: 0 },
  { lr: 0.01, momentum: 0.9, adjustLrFn: 'original', nsSteps: 3, nsCoefficients: [2, -1.5, 0.5], eps: 1e-5 },
];
const CONFIGS: Config[] = [
  ...ADAFACTOR.flatMap((o) => [false, true].map((foreach) => ({ cls: 'Adafactor' as const, opts: { ...o, foreach } }))),
  {
    cls: 'Adafactor',
    opts: { lr: 0.05, foreach: true },
    groups: [
      { names: ['vec', 'wide', 'z'], opts: { weightDecay: 0.1 } },
      { names: ['cube', 'scalar', 'tall'], opts: { lr: 0.2, foreach: false, maximize: true } },
    ],
  },
  ...MUON.map((opts) => ({ cls: 'Muon' as const, opts })),
  {
    cls: 'Muon',
    opts: { lr: 0.02 },
    groups: [
      { names: ['tall'], opts: { momentum: 0.5 } },
      { names: ['wide', 'square', 'z'], opts: { nesterov: false, weightDecay: 0.2 } },
    ],
  },
];

/** Deterministic starting values (and loss coefficients) of a given shape, varied in sign and size. */
function values(shape: number[], seed: number): Nested {
  const n = shape.reduce((a, b) => a * b, 1);
  const flat = Array.from({ length: n }, (_, i) => Math.round(Math.sin(i * 1.7 + seed * 2.3) * 1.5 * 1024) / 1024);
  const build = (dims: number[], offset: number): Nested => {
    if (dims.length === 0) return flat[offset] as number;
    const [d, ...rest] = dims as [number, ...number[]];
    const size = rest.reduce((a, b) => a * b, 1);
    return Array.from({ length: d }, (_, i) => build(rest, offset + i * size));
  };
  return build(shape, 0);
}

const INIT = Object.fromEntries(
  Object.entries(SHAPES).map(([cls, shapes]) => [
    cls,
    Object.fromEntries(
      Object.entries(shapes).map(([name, shape], k) => [name, { p: values(shape, k), c: values(shape, k + 10) }]),
    ),
  ]),
) as Record<Cls, Record<string, { p: Nested; c: Nested }>>;

interface JsRun {
  traj: Nested[][];
  final: torch.optim.OptimizerStateDict;
  /** the run resumed at MID from Python's state dict */
  resumed: Nested[][];
}

interface PyRun {
  traj: Nested[][];
  final: {
    state: Record<string, Record<string, Nested>>;
    dtypes: Record<string, Record<string, string>>;
    param_groups: Options[];
  };
  /** Python's run resumed at MID from our state dict */
  resumed: Nested[][];
}

const SCRIPT = `
${PY_KWARGS}
import copy
def make(cfg, init):
    dt = getattr(torch, cfg['dtype'])
    P = {n: torch.tensor(v, dtype=dt, requires_grad=True) for n, v in init.items()}
    if cfg.get('groups'):
        params = [dict(params=[P[n] for n in g['names']], **kwargs(g['opts'])) for g in cfg['groups']]
    else:
        params = list(P.values())
    return P, getattr(torch.optim, cfg['cls'])(params, **kwargs(cfg['opts']))
def run(cfg, P, opt, steps, after_step=None):
    dt = getattr(torch, cfg['dtype'])
    C = {n: torch.tensor(v['c'], dtype=dt) for n, v in INPUT['init'][cfg['cls']].items()}
    traj = []
    for i in range(steps):
        opt.zero_grad()
        loss = sum(((P[n] * P[n] * P[n] * P[n] * 0.1) + P[n] * C[n]).sum() for n in P if n != 'z')
        loss.backward()
        opt.step()
        traj.append([P[n].tolist() for n in P])
        if after_step:
            after_step(i)
    return traj
def sd_json(opt):
    sd = opt.state_dict()
    return {
        'state': {str(k): {kk: vv.tolist() for kk, vv in v.items()} for k, v in sd['state'].items()},
        'dtypes': {str(k): {kk: str(vv.dtype).replace('torch.', '') for kk, vv in v.items()} for k, v in sd['state'].items()},
        'param_groups': sd['param_groups'],
    }
runs = []
for k, cfg in enumerate(INPUT['configs']):
    init = {n: v['p'] for n, v in INPUT['init'][cfg['cls']].items()}
    P, opt = make(cfg, init)
    def save(i):
        if i == INPUT['mid'] - 1:
            torch.save({'params': {n: p.detach().clone() for n, p in P.items()}, 'sd': copy.deepcopy(opt.state_dict())},
                       INPUT['dir'] + '/py_%d.pt' % k)
    traj = run(cfg, P, opt, INPUT['steps'], save)
    ours = torch.load(INPUT['dir'] + '/js_%d.pt' % k, weights_only=True)
    P2, opt2 = make(cfg, {n: t.tolist() for n, t in ours['params'].items()})
    opt2.load_state_dict(ours['sd'])
    resumed = run(cfg, P2, opt2, INPUT['steps'] - INPUT['mid'])
    runs.append({'traj': traj, 'final': sd_json(opt), 'resumed': resumed})
OUTPUT = runs
`;

const name = (c: Config): string =>
  `${c.cls}(${JSON.stringify(c.opts)}${c.groups ? `, groups ${JSON.stringify(c.groups)}` : ''})`;

// biome-ignore lint/suspicious/noExplicitAny: the two classes take different option types
const CLASSES: Record<Cls, new (params: any, options?: any) => torch.optim.Optimizer> = {
  Adafactor: optim.Adafactor,
  Muon: optim.Muon,
};

function make(cfg: Config, dtype: FloatDType, init: Record<string, Nested>) {
  const P = Object.fromEntries(
    Object.entries(init).map(([n, v]) => [n, torch.tensor(v as number[], { dtype, requiresGrad: true })]),
  );
  const params = cfg.groups
    ? cfg.groups.map((g) => ({ params: g.names.map((n) => P[n] as torch.Tensor), ...g.opts }))
    : Object.values(P);
  return { P, opt: new CLASSES[cfg.cls](params, cfg.opts) };
}

function run(
  cfg: Config,
  dtype: FloatDType,
  P: Record<string, torch.Tensor>,
  opt: torch.optim.Optimizer,
  steps: number,
  afterStep?: (i: number) => void,
): Nested[][] {
  const C = Object.fromEntries(
    Object.entries(INIT[cfg.cls]).map(([n, v]) => [n, torch.tensor(v.c as number[], { dtype })]),
  );
  const traj: Nested[][] = [];
  for (let i = 0; i < steps; i++) {
    torch.scope(() => {
      opt.zeroGrad();
      let loss: torch.Tensor | null = null;
      for (const [n, p] of Object.entries(P)) {
        if (n === 'z') continue;
        const term = p
          .mul(p)
          .mul(p)
          .mul(p)
          .mul(0.1)
          .add(p.mul(C[n] as torch.Tensor))
          .sum();
        loss = loss ? loss.add(term) : term;
      }
      (loss as torch.Tensor).backward();
      opt.step();
    });
    traj.push(Object.values(P).map((p) => p.toArray() as Nested));
    afterStep?.(i);
  }
  return traj;
}

/** The state dict as JSON: tensors as nested arrays, with their dtypes beside. */
function sdJson(sd: torch.optim.OptimizerStateDict) {
  const state: Record<string, Record<string, unknown>> = {};
  const dtypes: Record<string, Record<string, string>> = {};
  for (const [k, s] of Object.entries(sd.state)) {
    state[k] = Object.fromEntries(Object.entries(s).map(([kk, v]) => [kk, (v as torch.Tensor).toArray()]));
    dtypes[k] = Object.fromEntries(Object.entries(s).map(([kk, v]) => [kk, (v as torch.Tensor).dtype]));
  }
  return { state, dtypes, param_groups: sd.param_groups };
}

const cases = CONFIGS.flatMap((cfg) => DTYPES.map((dtype) => ({ cfg, dtype })));
const skip = skipWithoutPython();

describe('Adafactor and Muon step like Python torch, bit for bit', { skip }, () => {
  let dir = '';
  let threads = 0;
  const js: JsRun[] = [];
  let py: PyRun[] = [];

  before(() => {
    // Python runs on one thread; so do we, so that reductions split the same way
    threads = torch.getNumThreads();
    torch.setNumThreads(1);
    dir = mkdtempSync(join(tmpdir(), 'torch-node-adafactor-muon-'));
    cases.forEach(({ cfg, dtype }, k) => {
      const init = Object.fromEntries(Object.entries(INIT[cfg.cls]).map(([n, v]) => [n, v.p]));
      const { P, opt } = make(cfg, dtype, init);
      const traj = run(cfg, dtype, P, opt, STEPS, (i) => {
        if (i === MID - 1) torch.save({ params: P, sd: opt.stateDict() }, join(dir, `js_${k}.pt`));
      });
      js.push({ traj, final: opt.stateDict(), resumed: [] });
    });
    py = runPython<PyRun[]>(SCRIPT, {
      configs: cases.map(({ cfg, dtype }) => ({ ...cfg, dtype })),
      init: INIT,
      steps: STEPS,
      mid: MID,
      dir,
    });
    // and we resume from Python's state dicts
    cases.forEach(({ cfg, dtype }, k) => {
      const saved = torch.load(join(dir, `py_${k}.pt`)) as {
        params: Record<string, torch.Tensor>;
        sd: torch.optim.OptimizerStateDict;
      };
      const init = Object.fromEntries(Object.entries(saved.params).map(([n, t]) => [n, t.toArray() as Nested]));
      const { P, opt } = make(cfg, dtype, init);
      opt.loadStateDict(saved.sd);
      (js[k] as JsRun).resumed = run(cfg, dtype, P, opt, STEPS - MID);
    });
  });

  after(() => {
    torch.setNumThreads(threads || 1);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  cases.forEach(({ cfg, dtype }, k) => {
    test(`${name(cfg)}, ${dtype}: every parameter after each of ${STEPS} steps, and the state`, () => {
      const ours = js[k] as JsRun;
      const theirs = py[k] as PyRun;
      ours.traj.forEach((params, i) => {
        assert.deepEqual(params, theirs.traj[i], `step ${i + 1}`);
      });
      assert.deepEqual(sdJson(ours.final), theirs.final);
    });

    test(`${name(cfg)}, ${dtype}: a run resumed from the other side's state dict (torch.save at step ${MID}) goes on the same`, () => {
      const ours = js[k] as JsRun;
      const theirs = py[k] as PyRun;
      assert.deepEqual(theirs.resumed, theirs.traj.slice(MID), 'Python resumed from our state dict');
      assert.deepEqual(ours.resumed, theirs.traj.slice(MID), 'we resumed from Python state dict');
    });
  });

  test('Adafactor, eps1 = null in a group of float64 and float32 params: the epsilon of the dtype PyTorch updates first', () => {
    // PyTorch picks eps1 once per group and step and uses it for all the group's parameters: the
    // first parameter's dtype's on the single-tensor path, the dtype of the first group of its
    // C++ hash map on the foreach one (float32 before float64 whatever their order). The tiny
    // values have gradients (3e-8) whose squares fall below float32's eps^2, so eps1 shows.
    const vec = [1e-4, ...(values([3], 1) as number[])];
    const cases = [
      { names: ['vec', 'wide', 'scalar'], foreach: false },
      { names: ['vec', 'wide', 'scalar'], foreach: true },
      { names: ['scalar', 'wide', 'vec'], foreach: false },
      { names: ['scalar', 'wide', 'vec'], foreach: true },
    ];
    const init: Record<string, Nested> = { vec, wide: values([3, 4], 2), scalar: 1e-4 };
    const dtypes: Record<string, FloatDType> = { vec: 'float64', wide: 'float32', scalar: 'float32' };
    const theirs = runPython<Nested[][][]>(
      `
out = []
for case in INPUT['cases']:
    P = [torch.tensor(INPUT['init'][n], dtype=getattr(torch, INPUT['dtypes'][n]), requires_grad=True) for n in case['names']]
    opt = torch.optim.Adafactor(P, lr=0.1, foreach=case['foreach'])
    traj = []
    for _ in range(4):
        opt.zero_grad()
        sum((p * p * p).sum() for p in P).backward()
        opt.step()
        traj.append([p.tolist() for p in P])
    out.append(traj)
OUTPUT = out
`,
      { cases, init, dtypes },
    );
    const ours = cases.map(({ names, foreach }) => {
      const P = names.map((n) =>
        torch.tensor(init[n] as number[], { dtype: dtypes[n] as FloatDType, requiresGrad: true }),
      );
      const opt = new optim.Adafactor(P, { lr: 0.1, foreach });
      const traj: Nested[][] = [];
      for (let i = 0; i < 4; i++) {
        torch.scope(() => {
          opt.zeroGrad();
          P.map((p) => p.mul(p).mul(p).sum())
            .reduce((a, b) => a.add(b))
            .backward();
          opt.step();
        });
        traj.push(P.map((p) => p.toArray() as Nested));
      }
      return traj;
    });
    cases.forEach((c, i) => {
      assert.deepEqual(ours[i], theirs[i], JSON.stringify(c));
    });
  });

  test('the Newton-Schulz iteration alone: bfloat16 results as Python, wide, tall and bfloat16 input', () => {
    const inputs = [values([3, 7], 1), values([7, 3], 2), values([5, 5], 3)];
    const theirs = runPython<Nested[]>(
      `
from torch.optim._muon import _zeropower_via_newtonschulz as ns
out = []
for v, dt in zip(INPUT, ['float32', 'float64', 'bfloat16']):
    out.append(ns(torch.tensor(v, dtype=getattr(torch, dt)), (3.4445, -4.775, 2.0315), 5, 1e-7).float().tolist())
OUTPUT = out
`,
      inputs,
    );
    const ours = torch.scope(() =>
      inputs.map((v, i) => {
        const x = torch.tensor(v as number[][], { dtype: (['float32', 'float64', 'bfloat16'] as const)[i] });
        const y = zeropowerViaNewtonSchulz(x, [3.4445, -4.775, 2.0315], 5, 1e-7);
        assert.equal(y.dtype, 'bfloat16');
        return y.float().toArray();
      }),
    );
    assert.deepEqual(ours, theirs);
  });
});

describe('option checks and refusals', () => {
  const m = (): torch.Tensor => torch.zeros([2, 3], { requiresGrad: true });

  test('Adafactor: bad options name the optimizer and the option', () => {
    const bad: [Options, RegExp][] = [
      [{ lr: -1 }, /^Adafactor: invalid learning rate \(lr\): -1/],
      [{ beta2Decay: 0.5 }, /^Adafactor: invalid beta2Decay: 0.5 \(must be <= 0\)/],
      [{ eps: [-1, 1e-3] }, /^Adafactor: invalid eps\[0\] \(eps1\): -1/],
      [{ eps: [null, -1] }, /^Adafactor: invalid eps\[1\] \(eps2\): -1/],
      [{ eps: 1e-3 }, /^Adafactor: eps must be an array \[eps1, eps2\]/],
      [{ d: 0.5 }, /^Adafactor: invalid clipping threshold d: 0.5 \(must be >= 1\)/],
      [{ weightDecay: -0.1 }, /^Adafactor: invalid weightDecay: -0.1/],
      [{ weight_decay: 0.1 }, /^Adafactor: unknown option 'weight_decay'; options are camelCase: 'weightDecay'/],
      [{ foreach: 1 }, /^Adafactor: foreach must be a boolean or null/],
    ];
    for (const [opts, message] of bad) assert.throws(() => new optim.Adafactor([m()], opts as never), { message });
    const g = new optim.Adafactor([m()]);
    assert.throws(() => g.addParamGroup({ params: [m()], d: 0 }), {
      message: /^Adafactor: invalid clipping threshold d: 0/,
    });
  });

  test('Muon: bad options name the optimizer and the option; only 2-D parameters', () => {
    const bad: [Options, RegExp][] = [
      [{ lr: -1 }, /^Muon: invalid learning rate \(lr\): -1/],
      [{ momentum: -0.5 }, /^Muon: invalid momentum: -0.5/],
      [{ weightDecay: -0.1 }, /^Muon: invalid weightDecay: -0.1/],
      [{ adjustLrFn: 'sqrt' }, /^Muon: adjustLrFn "sqrt" is not supported/],
      [{ nsSteps: 100 }, /^Muon: invalid nsSteps: 100 \(must be an integer from 0 to 99\)/],
      [{ nsCoefficients: [1, 2] }, /^Muon: nsCoefficients must be an array of three numbers/],
      [{ foreach: true }, /^Muon: unknown option 'foreach'/],
    ];
    for (const [opts, message] of bad) assert.throws(() => new optim.Muon([m()], opts as never), { message });
    const v = torch.zeros([3], { requiresGrad: true });
    assert.throws(() => new optim.Muon([m(), v]), {
      message: /^Muon only supports 2-D parameters, but got a parameter of shape \[3\]/,
    });
    const three = torch.zeros([2, 2, 2], { requiresGrad: true });
    const opt = new optim.Muon([m()]);
    assert.throws(() => opt.addParamGroup({ params: [three] }), {
      message: /^Muon only supports 2-D parameters.*\[2,2,2\]/,
    });
  });

  test('sparse gradients are refused with PyTorch words, before any parameter changes', () => {
    for (const Cls of [optim.Adafactor, optim.Muon]) {
      const e = new torch.nn.Embedding(6, 3, { sparse: true });
      e.forward(torch.tensor([1]))
        .sum()
        .backward();
      const before = e.weight.detach().clone();
      assert.throws(() => new Cls(e.parameters()).step(), {
        message: `${Cls.name}.step: ${Cls.name} does not support sparse gradients`,
      });
      assert.ok(e.weight.detach().equal(before));
    }
  });
});

describe('memory', () => {
  test('50 steps of Adafactor (both paths) and Muon keep the tensor count flat', () => {
    const runs: [string, () => torch.optim.Optimizer, torch.Tensor[]][] = [];
    for (const foreach of [false, true]) {
      const ps = [
        torch.tensor(values([3, 4], 1) as number[][], { requiresGrad: true }),
        torch.tensor(values([2, 3, 2], 2) as number[][][], { requiresGrad: true }),
        torch.tensor(values([5], 3) as number[], { requiresGrad: true }),
      ];
      runs.push([
        `Adafactor foreach ${foreach}`,
        () => new optim.Adafactor(ps, { weightDecay: 0.1, foreach, maximize: true }),
        ps,
      ]);
    }
    const ms = [
      torch.tensor(values([3, 4], 1) as number[][], { requiresGrad: true }),
      torch.tensor(values([5, 2], 2) as number[][], { requiresGrad: true }),
    ];
    runs.push(['Muon', () => new optim.Muon(ms, { lr: 0.02 }), ms]);
    for (const [label, ctor, ps] of runs) {
      const opt = ctor();
      const iteration = (): void =>
        torch.scope(() => {
          opt.zeroGrad();
          let loss = ps[0]!.mul(ps[0]!).mul(ps[0]!).sum();
          for (const p of ps.slice(1)) loss = loss.add(p.mul(p).mul(p).sum());
          loss.backward();
          opt.step();
        });
      for (let i = 0; i < 3; i++) iteration();
      const before = torch.memory().tensors;
      for (let i = 0; i < 50; i++) iteration();
      assert.equal(torch.memory().tensors, before, label);
    }
  });
});
