// fused=true in Adam, AdamW, SGD and Adagrad against Python torch 2.13's fused=True: ten steps of
// each option set on the small problem of parity.test.ts (w, b with gradients; z without), in
// float64, float32 and a group mixing both (one kernel call per dtype), comparing every
// parameter after every step and the final state dict bit for bit, and a run resumed from
// Python's state dict after five steps. The fused kernels order their arithmetic their own way,
// so in float32 most option sets give numbers that differ from the unfused paths in the last
// bits (in Python as here): those cases could not pass with an unfused update, and the test says
// how many there are. Then the amp hand-off (gradScale and foundInf set on the optimizer, as
// GradScaler.step sets them), GradScaler.step with a fused optimizer (with and without an
// unscale_() first), and the errors.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import type { Nested } from '../support/data.js';
import { runPython, skipWithoutPython } from '../support/python.js';
import { INIT, PY_KWARGS } from './support.js';

const { optim } = torch;
type Options = Record<string, unknown>;
type Cls = 'Adam' | 'AdamW' | 'SGD' | 'Adagrad';
type DTypeCase = 'float64' | 'float32' | 'mixed';
type Name = 'w' | 'b' | 'z';

interface Config {
  cls: Cls;
  opts: Options;
  groups?: { names: Name[]; opts: Options }[];
}

const CONFIGS: Config[] = [
  { cls: 'Adam', opts: {} },
  { cls: 'Adam', opts: { lr: 0.05, amsgrad: true } },
  { cls: 'Adam', opts: { lr: 0.05, betas: [0.8, 0.99], weightDecay: 0.1, eps: 1e-6, maximize: true } },
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
  { cls: 'SGD', opts: { lr: 0.1 } },
  { cls: 'SGD', opts: { lr: 0.05, momentum: 0.9 } },
  { cls: 'SGD', opts: { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 } },
  { cls: 'SGD', opts: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 } },
  { cls: 'SGD', opts: { lr: 0.01, momentum: 0.5, maximize: true, weightDecay: 0.1 } },
  { cls: 'Adagrad', opts: {} },
  { cls: 'Adagrad', opts: { lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1 } },
  { cls: 'Adagrad', opts: { lr: 0.05, eps: 1e-8, maximize: true } },
];
const DTYPES: DTypeCase[] = ['float64', 'float32', 'mixed'];
const STEPS = 10;
const MID = 5;

// biome-ignore lint/suspicious/noExplicitAny: the optimizer classes take different option types
const CLASSES: Record<Cls, new (params: any, options?: any) => torch.optim.Optimizer> = {
  Adam: optim.Adam,
  AdamW: optim.AdamW,
  SGD: optim.SGD,
  Adagrad: optim.Adagrad,
};

/** The dtype of each parameter: 'mixed' puts w and z in float32 and b in float64. */
const dtypeOf = (c: DTypeCase, n: Name): 'float32' | 'float64' =>
  c === 'mixed' ? (n === 'b' ? 'float64' : 'float32') : c;

type Params = Record<Name, torch.Tensor>;

/** The loss of parity.test.ts, each term in its parameter's dtype. */
function makeParams(
  c: DTypeCase,
  values: Record<Name, Nested>,
): { params: Params; backward: (scale?: number) => void } {
  const mk = (n: Name) => torch.tensor(values[n] as number[], { dtype: dtypeOf(c, n), requiresGrad: true });
  const params = { w: mk('w'), b: mk('b'), z: mk('z') };
  const [a, cc] = [torch.tensor(INIT.a, { dtype: dtypeOf(c, 'w') }), torch.tensor(INIT.c, { dtype: dtypeOf(c, 'w') })];
  const d = torch.tensor(INIT.d, { dtype: dtypeOf(c, 'b') });
  const { w, b } = params;
  /** `scale` multiplies the loss, as GradScaler.scale does */
  const backward = (scale = 1): void =>
    torch.scope(() => {
      const lw = w.mul(w).mul(a).sum().add(w.mul(cc).sum());
      const lb = b.mul(b).mul(b).mul(b).mul(0.1).sum().add(b.mul(d).sum());
      const loss = lw.add(lb);
      (scale === 1 ? loss : loss.mul(scale)).backward();
    });
  return { params, backward };
}

function makeOptimizer(cfg: Config, p: Params, flags: Options): torch.optim.Optimizer {
  const params = cfg.groups
    ? cfg.groups.map((g) => ({ params: g.names.map((n) => p[n]), ...g.opts }))
    : [p.w, p.b, p.z];
  return new CLASSES[cfg.cls](params, { ...cfg.opts, ...flags });
}

function run(opt: torch.optim.Optimizer, problem: ReturnType<typeof makeParams>, steps: number): Nested[][] {
  const traj: Nested[][] = [];
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    problem.backward();
    opt.step();
    const { w, b, z } = problem.params;
    traj.push([w.toArray(), b.toArray(), z.toArray()]);
  }
  return traj;
}

interface PySD {
  state: Record<string, Record<string, Nested>>;
  meta: Record<string, Record<string, string>>;
  param_groups: Record<string, unknown>[];
}

interface PyRun {
  traj: Nested[][];
  /** the same run with fused=False, foreach=False */
  unfused: Nested[][];
  final: PySD;
  mid: PySD;
  midParams: Record<Name, Nested>;
}

const PY_COMMON = `
${PY_KWARGS}
import copy, warnings
warnings.filterwarnings('ignore')
def dtype_of(c, n):
    return getattr(torch, ('float64' if n == 'b' else 'float32') if c == 'mixed' else c)
def sd_json(opt):
    sd = opt.state_dict()
    return {
        'state': {str(k): {kk: vv.tolist() for kk, vv in v.items()} for k, v in sd['state'].items()},
        'meta': {str(k): {kk: str(vv.dtype).replace('torch.', '') + ' ' + str(vv.device) for kk, vv in v.items()} for k, v in sd['state'].items()},
        'param_groups': sd['param_groups'],
    }
def make(cfg, values, **flags):
    P = {n: torch.tensor(values[n], dtype=dtype_of(cfg['dtype'], n), requires_grad=True) for n in 'wbz'}
    if cfg.get('groups'):
        params = [dict(params=[P[n] for n in g['names']], **kwargs(g['opts'])) for g in cfg['groups']]
    else:
        params = [P['w'], P['b'], P['z']]
    return P, getattr(torch.optim, cfg['cls'])(params, **kwargs(cfg['opts']), **flags)
def backward(cfg, P, scale=1.0):
    a, c = (torch.tensor(INPUT['init'][n], dtype=dtype_of(cfg['dtype'], 'w')) for n in 'ac')
    d = torch.tensor(INPUT['init']['d'], dtype=dtype_of(cfg['dtype'], 'b'))
    w, b = P['w'], P['b']
    loss = ((w * w * a).sum() + (w * c).sum()) + ((b * b * b * b * 0.1).sum() + (b * d).sum())
    (loss if scale == 1.0 else loss * scale).backward()
def run(cfg, P, opt, steps, after_step=None):
    traj = []
    for i in range(steps):
        opt.zero_grad()
        backward(cfg, P)
        opt.step()
        traj.append([P[n].tolist() for n in 'wbz'])
        if after_step:
            after_step(i)
    return traj
`;

const SCRIPT = `
${PY_COMMON}
runs = []
for cfg in INPUT['configs']:
    P, opt = make(cfg, INPUT['init'], fused=True)
    saved = {}
    def save(i):
        if i == INPUT['mid'] - 1:
            saved['json'] = sd_json(opt)
            saved['params'] = {n: P[n].tolist() for n in 'wbz'}
    traj = run(cfg, P, opt, INPUT['steps'], save)
    P2, opt2 = make(cfg, INPUT['init'], fused=False, foreach=False)
    unfused = run(cfg, P2, opt2, INPUT['steps'])
    runs.append({'traj': traj, 'unfused': unfused, 'final': sd_json(opt), 'mid': saved['json'], 'midParams': saved['params']})
OUTPUT = runs
`;

/** Python's state dict (JSON) with its tensors rebuilt in their dtypes. */
function fromPython(sd: PySD): torch.optim.OptimizerStateDict {
  const state: Record<string, Record<string, unknown>> = {};
  for (const [id, s] of Object.entries(sd.state)) {
    state[id] = Object.fromEntries(
      Object.entries(s).map(([k, v]) => [
        k,
        torch.tensor(v as number[], { dtype: sd.meta[id]?.[k]?.split(' ')[0] as 'float32' | 'float64' }),
      ]),
    );
  }
  return { state, param_groups: sd.param_groups };
}

/** The state dict as Python's sd_json writes it. */
function toJson(sd: torch.optim.OptimizerStateDict): PySD {
  const state: PySD['state'] = {};
  const meta: PySD['meta'] = {};
  for (const [id, s] of Object.entries(sd.state)) {
    state[id] = {};
    meta[id] = {};
    for (const [k, v] of Object.entries(s)) {
      const t = v as torch.Tensor;
      (state[id] as Record<string, Nested>)[k] = t.toArray();
      (meta[id] as Record<string, string>)[k] = `${t.dtype} ${t.device}`;
    }
  }
  return { state, meta, param_groups: sd.param_groups };
}

const name = (c: Config): string =>
  `${c.cls}(${JSON.stringify(c.opts)}${c.groups ? `, groups ${JSON.stringify(c.groups)}` : ''})`;

const skip = skipWithoutPython();
const cases = CONFIGS.flatMap((cfg) => DTYPES.map((dtype) => ({ cfg, dtype })));

describe('fused=true matches Python torch fused=True bit for bit', { skip }, () => {
  let runs: PyRun[] = [];
  /** cases whose fused numbers differ from the unfused ones (in Python and here) */
  const differing: string[] = [];
  before(() => {
    runs = runPython<PyRun[]>(SCRIPT, {
      configs: cases.map(({ cfg, dtype }) => ({ ...cfg, dtype })),
      init: INIT,
      steps: STEPS,
      mid: MID,
    });
  });

  cases.forEach(({ cfg, dtype }, k) => {
    test(`${name(cfg)} ${dtype}: every step, the state dict, and a resumed run`, () => {
      const py = runs[k] as PyRun;
      const problem = makeParams(dtype, INIT);
      const opt = makeOptimizer(cfg, problem.params, { fused: true });
      const traj = run(opt, problem, STEPS);
      for (let i = 0; i < STEPS; i++) assert.deepEqual(traj[i], py.traj[i], `params after step ${i + 1}`);
      assert.deepEqual(toJson(opt.stateDict()), py.final, 'the state dict (values, dtypes, devices, groups)');

      // Our unfused path gives Python's unfused numbers; where those differ from the fused ones,
      // only the fused kernel can give the numbers checked above.
      const plain = makeParams(dtype, INIT);
      const unfused = run(makeOptimizer(cfg, plain.params, { fused: false, foreach: false }), plain, STEPS);
      assert.deepEqual(unfused, py.unfused, 'the unfused path against Python unfused');
      if (JSON.stringify(py.unfused) !== JSON.stringify(py.traj)) differing.push(`${name(cfg)} ${dtype}`);

      const resumedProblem = makeParams(dtype, py.midParams);
      const resumed = makeOptimizer(cfg, resumedProblem.params, { fused: true });
      resumed.loadStateDict(fromPython(py.mid));
      const rest = run(resumed, resumedProblem, STEPS - MID);
      assert.deepEqual(rest, py.traj.slice(MID), 'a run resumed from Python state dict');
    });
  });

  test('in float32, the fused kernels give other numbers than the unfused paths for most option sets', () => {
    console.log(
      `# fused differs from unfused in ${differing.length} of ${cases.length} cases:\n#   ${differing.join('\n#   ')}`,
    );
    for (const cls of ['Adam', 'AdamW', 'SGD', 'Adagrad']) {
      assert.ok(
        differing.some((c) => c.startsWith(`${cls}(`) && c.endsWith('float32')),
        `some ${cls} float32 case differs`,
      );
    }
  });
});

describe('fused=true: the amp hand-off', { skip }, () => {
  // GradScaler.step sets gradScale and foundInf on a fused optimizer instead of unscaling: the
  // kernel divides the gradients by gradScale, and skips the update (and the step count) where
  // foundInf is 1. Gradients here are those of the loss times 3000, with an overflow at step 3; a
  // scale that is not a power of two, so that the kernel's division by the scale and the
  // unscaling path's multiplication by its float32 reciprocal give different numbers.
  const AMP_SCRIPT = `
${PY_COMMON}
out = []
for cfg in INPUT['configs']:
    P, opt = make(cfg, INPUT['init'], fused=True)
    traj = []
    for i in range(5):
        opt.zero_grad()
        backward(cfg, P, 3000.0)
        opt.grad_scale = torch.tensor(3000.0)
        opt.found_inf = torch.tensor(1.0 if i == 2 else 0.0)
        opt.step()
        traj.append([P[n].tolist() for n in 'wbz'])
    del opt.grad_scale, opt.found_inf
    out.append({'traj': traj, 'final': sd_json(opt)})
    scaler = torch.amp.GradScaler('cpu', init_scale=3000.0, growth_interval=2)
    scaler.scale(torch.tensor(1.0))
    P, opt = make(cfg, INPUT['init'], fused=True)
    straj, scales = [], []
    for i in range(5):
        opt.zero_grad()
        backward(cfg, P, scaler.get_scale() * (float('inf') if i == 2 else 1.0))
        if i == 3:
            scaler.unscale_(opt)
        scaler.step(opt)
        scaler.update()
        straj.append([P[n].tolist() for n in 'wbz'])
        scales.append(scaler.get_scale())
    grads = [P[n].grad.tolist() for n in 'wb']
    out[-1].update({'scaler': straj, 'scales': scales, 'scalerFinal': sd_json(opt), 'grads': grads})
OUTPUT = out
`;
  const ampCases: Config[] = [
    { cls: 'Adam', opts: { lr: 0.05, amsgrad: true } },
    { cls: 'AdamW', opts: { lr: 0.05 } },
    { cls: 'SGD', opts: { lr: 0.05, momentum: 0.9 } },
    { cls: 'Adagrad', opts: { lr: 0.1, lrDecay: 0.01 } },
  ];
  let py: {
    traj: Nested[][];
    final: PySD;
    scaler: Nested[][];
    scales: number[];
    scalerFinal: PySD;
    grads: Nested[];
  }[] = [];
  before(() => {
    py = runPython(AMP_SCRIPT, { configs: ampCases.map((c) => ({ ...c, dtype: 'float32' })), init: INIT });
  });

  ampCases.forEach((cfg, k) => {
    test(`${name(cfg)}: gradScale and foundInf set on the optimizer`, () => {
      const expected = py[k] as (typeof py)[number];
      const problem = makeParams('float32', INIT);
      const opt = makeOptimizer(cfg, problem.params, { fused: true });
      assert.equal(opt.stepSupportsAmpScaling, true);
      const traj: Nested[][] = [];
      for (let i = 0; i < 5; i++) {
        opt.zeroGrad();
        problem.backward(3000);
        opt.gradScale = torch.tensor(3000, { dtype: 'float32' }).reshape([]);
        opt.foundInf = torch.tensor(i === 2 ? 1 : 0, { dtype: 'float32' }).reshape([]);
        opt.step();
        opt.gradScale.dispose();
        opt.foundInf.dispose();
        opt.gradScale = null;
        opt.foundInf = null;
        traj.push([problem.params.w.toArray(), problem.params.b.toArray(), problem.params.z.toArray()]);
      }
      assert.deepEqual(traj, expected.traj);
      assert.deepEqual(toJson(opt.stateDict()), expected.final);
    });

    test(`${name(cfg)}: GradScaler.step hands the scaling to the fused kernel`, () => {
      const expected = py[k] as (typeof py)[number];
      const problem = makeParams('float32', INIT);
      const opt = makeOptimizer(cfg, problem.params, { fused: true });
      const scaler = new torch.amp.GradScaler('cpu', { initScale: 3000, growthInterval: 2 });
      torch.scope(() => scaler.scale(torch.tensor(1)));
      const traj: Nested[][] = [];
      const scales: number[] = [];
      for (let i = 0; i < 5; i++) {
        opt.zeroGrad();
        problem.backward(scaler.getScale() * (i === 2 ? Number.POSITIVE_INFINITY : 1));
        // unscaled first: the kernel then gets only foundInf
        if (i === 3) scaler.unscale_(opt);
        scaler.step(opt);
        scaler.update();
        traj.push([problem.params.w.toArray(), problem.params.b.toArray(), problem.params.z.toArray()]);
        scales.push(scaler.getScale());
      }
      assert.equal(opt.gradScale, null, 'gradScale is cleared after the step');
      assert.deepEqual(scales, expected.scales);
      assert.deepEqual(traj, expected.scaler);
      assert.deepEqual(toJson(opt.stateDict()), expected.scalerFinal);
      // the CPU kernels write the unscaled gradients back, as in PyTorch
      assert.deepEqual([problem.params.w.grad?.toArray(), problem.params.b.grad?.toArray()], expected.grads);
    });
  });
});

describe('fused=true: errors', () => {
  const w = (): torch.Tensor => torch.tensor([1, 2], { dtype: 'float32', requiresGrad: true });

  for (const cls of ['Adam', 'AdamW', 'SGD', 'Adagrad'] as const) {
    test(`${cls}: fused with foreach or differentiable`, () => {
      const Ctor = CLASSES[cls];
      assert.throws(
        () => new Ctor([w()], { fused: true, foreach: true }),
        new Error(`${cls}: \`fused\` and \`foreach\` cannot be true together`),
      );
      assert.throws(
        () => new Ctor([w()], { fused: true, differentiable: true }),
        new Error(`${cls}: \`fused\` does not support \`differentiable\``),
      );
      // a group that sets its own flags
      const opt = new Ctor([w()], { fused: true });
      assert.throws(() => opt.addParamGroup({ params: [w()], foreach: true }), /cannot be true together/);
      assert.equal(opt.stepSupportsAmpScaling, true);
      assert.equal(new Ctor([w()], { fused: null }).stepSupportsAmpScaling, false);
    });

    test(`${cls}: fused with a parameter that is not floating point`, () => {
      const p = torch.tensor([1, 2], { dtype: 'int64' });
      p.grad = torch.tensor([1, 1], { dtype: 'int64' });
      const opt = new CLASSES[cls]([p], { fused: true });
      assert.throws(
        () => opt.step(),
        new Error(
          `${cls}.step: fused=true requires all the params to be floating point Tensors of supported devices (mps, cuda, xpu, hpu, cpu, mtia, privateuseone), but got int64 on cpu`,
        ),
      );
      assert.deepEqual(p.toArray(), [1, 2]);
    });
  }

  test('SGD: sparse gradients, and a momentum buffer missing after the first step', () => {
    const emb = torch.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'float32', requiresGrad: true },
    );
    emb.grad = torch.sparseCooTensor(
      torch.tensor([[0]], { dtype: 'int64' }),
      torch.tensor([[1, 1]], { dtype: 'float32' }),
      [2, 2],
    );
    assert.throws(
      () => new optim.SGD([emb], { lr: 0.1, fused: true }).step(),
      new Error('SGD.step: `_fused_sgd` does not support sparse gradients'),
    );
    const [a, b] = [w(), w()];
    const opt = new optim.SGD([a, b], { lr: 0.1, momentum: 0.9, fused: true });
    a.grad = torch.ones([2]);
    opt.step();
    b.grad = torch.ones([2]);
    assert.throws(
      () => opt.step(),
      /SGD\.step: fused=true needs a momentum buffer .* parameter 1 of the group \(shape \[2\]\)/,
    );
  });

  test('Adagrad: sparse gradients', () => {
    const emb = torch.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'float32', requiresGrad: true },
    );
    emb.grad = torch.sparseCooTensor(
      torch.tensor([[0]], { dtype: 'int64' }),
      torch.tensor([[1, 1]], { dtype: 'float32' }),
      [2, 2],
    );
    assert.throws(
      () => new optim.Adagrad([emb], { fused: true }).step(),
      new Error('Adagrad.step: `fused` does not support sparse grad or complex param'),
    );
  });
});
