// Optimizers, LR schedules, optimizer state dicts, gradient clipping, GradScaler, SWA/EMA and
// random numbers on the device under test (test/gpu/support.ts): each run on the device gives
// what the same run gives on the CPU, and its state lives on the device.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { assertClose, device, needsDevice, values } from './support.js';

const { nn, optim } = torch;
const F = nn.functional;
const { lrScheduler, swaUtils } = optim;
type Optimizer = torch.optim.Optimizer;

const onCuda = device.startsWith('cuda');
/** The device as tensors report it ('cuda:0' for 'cuda'). */
const deviceName = (): string => torch.empty([0], { device }).device;

// ---- fixed inputs: made once on the CPU, copied to each device

torch.manualSeed(1234);
/** Initial parameters: a float32 matrix, a float32 vector, a float64 vector (two foreach groups). */
const INIT: torch.Tensor[] = [torch.randn([4, 3]), torch.randn([3]), torch.randn([5], { dtype: 'float64' })];
/** The loss's per-element weights, one per parameter. */
const COEF: torch.Tensor[] = INIT.map((p) => torch.rand(p.shape, { dtype: p.dtype }).add(0.5));

function makeParams(dev: string): torch.Tensor[] {
  return INIT.map((p) => p.to({ device: dev, copy: true }).requiresGrad_(true));
}

/** sum(c * p^2) + sum(sin(3p)) over the parameters: gradients that change with every step. */
function lossOf(params: torch.Tensor[]): torch.Tensor {
  let total: torch.Tensor | null = null;
  params.forEach((p, i) => {
    const c = (COEF[i] as torch.Tensor).to({ device: p.device });
    const term = p.mul(p).mul(c).sum().add(p.mul(3).sin().sum());
    total = total === null ? term : total.add(term);
  });
  return total as unknown as torch.Tensor;
}

/** `steps` steps of the optimizer that `make` builds, on `dev`, through a closure. */
function train(dev: string, make: (ps: torch.Tensor[]) => Optimizer, steps: number) {
  const params = makeParams(dev);
  const opt = make(params);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = lossOf(params);
      l.backward();
      return l;
    }) as torch.Tensor;
    losses.push(loss.item() as number);
  }
  return { params, opt, losses };
}

/**
 * Compares optimizer state (tensors, numbers, lists of them) from the device with the CPU's;
 * every state tensor but `step` must be on the device (PyTorch keeps a non-fused `step` on the CPU).
 */
function compareState(a: unknown, b: unknown, rtol: number, atol: number, what: string, key = ''): void {
  if (a instanceof torch.Tensor) {
    assert.ok(b instanceof torch.Tensor, `${what}: a tensor on the device, not on the CPU`);
    // PyTorch keeps a non-capturable NAdam's mu_product on the CPU, as it does `step`.
    if (key !== 'step' && key !== 'muProduct') assert.equal(a.device, deviceName(), `${what}: state device`);
    assert.equal(a.dtype, b.dtype, `${what}: state dtype`);
    assertClose(a, b, rtol, atol, what);
  } else if (Array.isArray(a)) {
    assert.ok(Array.isArray(b) && a.length === b.length, `${what}: list length`);
    a.forEach((x, i) => {
      compareState(x, b[i], rtol, atol, `${what}[${i}]`, key);
    });
  } else if (typeof a === 'number') {
    assert.equal(typeof b, 'number', what);
    const y = b as number;
    assert.ok(Math.abs(a - y) <= atol + rtol * Math.abs(y) || a === y, `${what}: ${a} vs ${y} on the CPU`);
  } else if (a !== null && typeof a === 'object') {
    const ka = Object.keys(a).sort();
    assert.deepEqual(ka, Object.keys(b as object).sort(), `${what}: state keys`);
    for (const k of ka) {
      compareState((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], rtol, atol, `${what}.${k}`, k);
    }
  } else {
    assert.deepEqual(a, b, what);
  }
}

function compareRuns(
  gpu: { params: torch.Tensor[]; opt: Optimizer; losses: number[] },
  cpu: { params: torch.Tensor[]; opt: Optimizer; losses: number[] },
  rtol: number,
  atol: number,
  what: string,
): void {
  gpu.params.forEach((p, i) => {
    assert.equal(p.device, deviceName(), `${what}: param ${i} device`);
    assertClose(p.detach(), (cpu.params[i] as torch.Tensor).detach(), rtol, atol, `${what}: param ${i}`);
  });
  gpu.params.forEach((p, i) => {
    compareState(
      gpu.opt.state.get(p),
      cpu.opt.state.get(cpu.params[i] as torch.Tensor),
      rtol,
      atol,
      `${what}: state of param ${i}`,
    );
  });
  gpu.losses.forEach((l, i) => {
    const y = cpu.losses[i] as number;
    assert.ok(Math.abs(l - y) <= atol + rtol * Math.abs(y), `${what}: loss ${i}: ${l} vs ${y}`);
  });
}

interface OptCase {
  name: string;
  make: (ps: torch.Tensor[], path: Record<string, boolean>) => Optimizer;
  /** the paths to run: foreach true and false (default), or none (the optimizer has one path) */
  paths?: Record<string, boolean>[];
  steps?: number;
  rtol?: number;
  atol?: number;
}

const BOTH = [{ foreach: true }, { foreach: false }];

const OPT_CASES: OptCase[] = [
  {
    name: 'SGD momentum nesterov weightDecay',
    make: (ps, f) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01, ...f }),
  },
  {
    name: 'SGD dampening maximize',
    make: (ps, f) => new optim.SGD(ps, { lr: 0.02, momentum: 0.5, dampening: 0.1, maximize: true, ...f }),
  },
  { name: 'SGD plain', make: (ps, f) => new optim.SGD(ps, { lr: 0.05, ...f }) },
  { name: 'Adam', make: (ps, f) => new optim.Adam(ps, { lr: 0.05, weightDecay: 0.1, ...f }) },
  {
    name: 'Adam amsgrad maximize',
    make: (ps, f) => new optim.Adam(ps, { lr: 0.05, amsgrad: true, maximize: true, ...f }),
  },
  { name: 'AdamW amsgrad', make: (ps, f) => new optim.AdamW(ps, { lr: 0.05, amsgrad: true, ...f }) },
  { name: 'Adamax', make: (ps, f) => new optim.Adamax(ps, { lr: 0.05, weightDecay: 0.01, ...f }) },
  {
    name: 'NAdam decoupled',
    make: (ps, f) => new optim.NAdam(ps, { lr: 0.05, weightDecay: 0.01, decoupledWeightDecay: true, ...f }),
  },
  { name: 'NAdam', make: (ps, f) => new optim.NAdam(ps, { lr: 0.05, momentumDecay: 0.01, ...f }) },
  // 8 steps: RAdam's rectified update starts once rho_t > 5 (step 6 with the default betas)
  { name: 'RAdam', make: (ps, f) => new optim.RAdam(ps, { lr: 0.05, weightDecay: 0.01, ...f }), steps: 8 },
  {
    name: 'RAdam decoupled',
    make: (ps, f) => new optim.RAdam(ps, { lr: 0.05, weightDecay: 0.01, decoupledWeightDecay: true, ...f }),
    steps: 8,
  },
  {
    name: 'Adagrad',
    make: (ps, f) =>
      new optim.Adagrad(ps, { lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1, ...f }),
  },
  { name: 'Adadelta', make: (ps, f) => new optim.Adadelta(ps, { lr: 1, weightDecay: 0.01, ...f }) },
  { name: 'RMSprop', make: (ps, f) => new optim.RMSprop(ps, { lr: 0.01, ...f }) },
  {
    name: 'RMSprop centered momentum',
    make: (ps, f) => new optim.RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.01, ...f }),
  },
  { name: 'Rprop', make: (ps, f) => new optim.Rprop(ps, { lr: 0.01, ...f }) },
  { name: 'ASGD', make: (ps, f) => new optim.ASGD(ps, { lr: 0.05, t0: 2, weightDecay: 0.01, ...f }) },
  { name: 'Adafactor', make: (ps, f) => new optim.Adafactor(ps, { lr: 0.05, weightDecay: 0.01, ...f }) },
  // fused: PyTorch's fused kernels (CUDA; the CPU too for Adam/AdamW/SGD/Adagrad in recent
  // PyTorch); ours records the flag on every device and runs the same update: the numbers
  // must be those of the CPU's unfused run.
  {
    name: 'SGD fused',
    make: (ps, f) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, ...f }),
    paths: [{ fused: true }],
  },
  {
    name: 'Adam fused',
    make: (ps, f) => new optim.Adam(ps, { lr: 0.05, amsgrad: true, ...f }),
    paths: [{ fused: true }],
  },
  { name: 'AdamW fused', make: (ps, f) => new optim.AdamW(ps, { lr: 0.05, ...f }), paths: [{ fused: true }] },
  { name: 'Adagrad fused', make: (ps, f) => new optim.Adagrad(ps, { lr: 0.1, ...f }), paths: [{ fused: true }] },
  {
    name: 'LBFGS',
    make: (ps) => new optim.LBFGS(ps, { lr: 0.5, maxIter: 4, historySize: 3 }),
    paths: [{}],
    // 20 inner iterations, each a chain of dot products and divisions over the history, amplify the
    // rounding of CUDA's reductions (another summation order): on the H200 a float32 parameter
    // came 2.4e-4 (relative) from the CPU's, and the state's `al` coefficients, made from
    // differences of successive gradients (cancellation), 2e-3; every other optimizer within 2e-5.
    rtol: 1e-2,
    atol: 1e-5,
  },
  {
    name: 'LBFGS strong_wolfe',
    make: (ps) => new optim.LBFGS(ps, { lr: 1, maxIter: 4, historySize: 3, lineSearchFn: 'strong_wolfe' }),
    paths: [{}],
    steps: 3,
    rtol: 1e-4,
    atol: 1e-5,
  },
];

describe(`optimizers on ${device}`, { skip: needsDevice }, () => {
  test('every optimizer, foreach and single-tensor paths (and fused): params and state equal to the CPU run', () => {
    // Every case runs, whatever fails before it: one run on a lent GPU shows all the failures.
    const failures: string[] = [];
    for (const c of OPT_CASES) {
      for (const path of c.paths ?? BOTH) {
        const what = `${c.name} ${JSON.stringify(path)}`;
        const steps = c.steps ?? 5;
        try {
          // The CPU reference: the single-tensor path, not fused (PyTorch's CPU default).
          const cpu = train('cpu', (ps) => c.make(ps, 'fused' in path ? {} : { foreach: false }), steps);
          const gpu = train(device, (ps) => c.make(ps, path), steps);
          for (const [k, v] of Object.entries(path)) {
            assert.equal(gpu.opt.paramGroups[0]?.[k], v, `${what}: the group records ${k}`);
          }
          compareRuns(gpu, cpu, c.rtol ?? 2e-5, c.atol ?? 1e-6, what);
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  test('foreach: null (the default) gives the same numbers as the explicit paths', () => {
    for (const c of OPT_CASES.slice(0, 8)) {
      const cpu = train('cpu', (ps) => c.make(ps, { foreach: false }), 5);
      const gpu = train(device, (ps) => c.make(ps, {}), 5);
      assert.equal(gpu.opt.paramGroups[0]?.foreach, null, `${c.name}: default foreach`);
      compareRuns(gpu, cpu, 2e-5, 1e-6, `${c.name} (default path)`);
    }
  });

  test('SparseAdam with sparse embedding gradients', () => {
    const run = (dev: string) => {
      torch.manualSeed(7);
      const e = new nn.Embedding(6, 3, { sparse: true }).to(dev);
      const opt = new optim.SparseAdam(e.parameters(), { lr: 0.05 });
      const batches = [
        [0, 2, 2],
        [1, 5],
        [2, 3, 0],
        [4, 4],
        [5, 0, 1],
      ];
      batches.forEach((idx, k) => {
        opt.zeroGrad();
        const out = e.forward(torch.tensor(idx, { device: dev }));
        out
          .pow(2)
          .mul(k + 1)
          .sub(out.sin())
          .sum()
          .backward();
        assert.ok(e.weight.grad?.isSparse, `SparseAdam on ${dev}: the gradient is sparse`);
        opt.step();
      });
      return { params: [e.weight], opt, losses: [] };
    };
    const cpu = run('cpu');
    const gpu = run(device);
    compareRuns(gpu, cpu, 2e-5, 1e-6, 'SparseAdam');
  });
});

describe(`lr schedulers driving an optimizer on ${device}`, { skip: needsDevice }, () => {
  interface SchedCase {
    name: string;
    make: (ps: torch.Tensor[]) => { opt: Optimizer; sched: { step(): void; getLastLr(): number[] } };
  }
  const cases: SchedCase[] = [
    {
      name: 'StepLR + SGD',
      make: (ps) => {
        const opt = new optim.SGD(ps, { lr: 0.1, momentum: 0.9 });
        return { opt, sched: new lrScheduler.StepLR(opt, { stepSize: 2, gamma: 0.5 }) };
      },
    },
    {
      name: 'OneCycleLR + SGD (cycles momentum)',
      make: (ps) => {
        const opt = new optim.SGD(ps, { lr: 0.1, momentum: 0.9 });
        return { opt, sched: new lrScheduler.OneCycleLR(opt, { maxLr: 0.2, totalSteps: 8 }) };
      },
    },
    {
      name: 'OneCycleLR + AdamW (cycles beta1)',
      make: (ps) => {
        const opt = new optim.AdamW(ps, { lr: 0.01 });
        return {
          opt,
          sched: new lrScheduler.OneCycleLR(opt, { maxLr: 0.05, totalSteps: 8, annealStrategy: 'linear' }),
        };
      },
    },
    {
      name: 'CosineAnnealingWarmRestarts + Adam',
      make: (ps) => {
        const opt = new optim.Adam(ps, { lr: 0.05 });
        return { opt, sched: new lrScheduler.CosineAnnealingWarmRestarts(opt, { T0: 2, TMult: 2, etaMin: 0.001 }) };
      },
    },
  ];

  test('the same lrs, momenta and params as on the CPU', () => {
    for (const c of cases) {
      const run = (dev: string) => {
        const params = makeParams(dev);
        const { opt, sched } = c.make(params);
        const lrs: number[][] = [];
        const groups: string[] = [];
        for (let i = 0; i < 7; i++) {
          opt.zeroGrad();
          lossOf(params).backward();
          opt.step();
          sched.step();
          lrs.push(sched.getLastLr());
          const g = opt.paramGroups[0] as Record<string, unknown>;
          groups.push(JSON.stringify([g.lr, g.momentum, g.betas]));
        }
        return { params, opt, losses: [], lrs, groups };
      };
      const cpu = run('cpu');
      const gpu = run(device);
      assert.deepEqual(gpu.lrs, cpu.lrs, `${c.name}: lrs`);
      assert.deepEqual(gpu.groups, cpu.groups, `${c.name}: lr, momentum, betas of the group`);
      compareRuns(gpu, cpu, 2e-5, 1e-6, c.name);
    }
  });
});

describe(`optimizer state dicts with state on ${device}`, { skip: needsDevice }, () => {
  test('stateDict -> torch.save -> torch.load (mapLocation cpu) -> loadStateDict on the device, then steps as if never interrupted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tn-gpu-optim-'));
    try {
      const cases: { name: string; make: (ps: torch.Tensor[]) => Optimizer; stepOnDevice: boolean }[] = [
        { name: 'Adam amsgrad', make: (ps) => new optim.Adam(ps, { lr: 0.05, amsgrad: true }), stepOnDevice: false },
        { name: 'Adam fused', make: (ps) => new optim.Adam(ps, { lr: 0.05, fused: true }), stepOnDevice: true },
        { name: 'SGD momentum', make: (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9 }), stepOnDevice: false },
        {
          name: 'RMSprop centered',
          make: (ps) => new optim.RMSprop(ps, { lr: 0.01, centered: true }),
          stepOnDevice: false,
        },
      ];
      cases.forEach((c, k) => {
        const whole = train(device, c.make, 5);
        const first = train(device, c.make, 3);
        const file = join(dir, `opt${k}.pt`);
        torch.save({ params: first.params.map((p) => p.detach()), sd: first.opt.stateDict() }, file);
        const loaded = torch.load(file, { mapLocation: 'cpu' }) as {
          params: torch.Tensor[];
          sd: torch.optim.OptimizerStateDict;
        };
        for (const t of loaded.params) assert.equal(t.device, 'cpu', `${c.name}: mapLocation cpu`);
        const params = loaded.params.map((t) => t.to({ device, copy: true }).requiresGrad_(true));
        const opt = c.make(params);
        opt.loadStateDict(loaded.sd);
        params.forEach((p, i) => {
          for (const [key, v] of Object.entries(opt.state.get(p) ?? {})) {
            if (!(v instanceof torch.Tensor)) continue;
            // PyTorch: state goes to the param's device, but a non-fused, non-capturable step stays on the CPU
            const want = key !== 'step' || c.stepOnDevice ? deviceName() : 'cpu';
            assert.equal(v.device, want, `${c.name}: param ${i} state ${key} device after loadStateDict`);
          }
        });
        const resumed = { params, opt, losses: [] as number[] };
        for (let i = 0; i < 2; i++) {
          opt.zeroGrad();
          lossOf(params).backward();
          opt.step();
        }
        compareRuns(resumed, { ...whole, losses: [] }, 1e-6, 1e-7, `${c.name}: resumed vs uninterrupted`);
        // and the same on the CPU
        const cpuWhole = train('cpu', c.make, 5);
        compareRuns(resumed, { ...cpuWhole, losses: [] }, 2e-5, 1e-6, `${c.name}: resumed vs the CPU`);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe(`gradient utilities and GradScaler on ${device}`, { skip: needsDevice }, () => {
  test('clipGradNorm_ (norm types 2, 1, inf) and clipGradValue_ clip as on the CPU', () => {
    // foreach (the default on CUDA: _foreach_norm per device and dtype) and the per-tensor path
    torch.manualSeed(11);
    const grads = [torch.randn([4, 3]).mul(3), torch.randn([7]), torch.randn([2, 2, 2]).mul(0.1)];
    const withGrads = (dev: string) =>
      grads.map((g) => {
        const p = torch.zeros(g.shape, { device: dev, requiresGrad: true });
        p.grad = g.to({ device: dev, copy: true });
        return p;
      });
    for (const [what, clip] of [
      ['clipGradNorm_ 2', (ps: torch.Tensor[]) => nn.utils.clipGradNorm_(ps, 1.5)],
      ['clipGradNorm_ 1', (ps: torch.Tensor[]) => nn.utils.clipGradNorm_(ps, 2, { normType: 1 })],
      ['clipGradNorm_ inf', (ps: torch.Tensor[]) => nn.utils.clipGradNorm_(ps, 0.5, { normType: Infinity })],
      ['clipGradNorm_ large max (no clip)', (ps: torch.Tensor[]) => nn.utils.clipGradNorm_(ps, 1e6)],
      ['clipGradValue_', (ps: torch.Tensor[]) => nn.utils.clipGradValue_(ps, 0.7)],
      ['clipGradNorm_ 2 foreach', (ps: torch.Tensor[]) => nn.utils.clipGradNorm_(ps, 1.5, { foreach: true })],
      [
        'clipGradNorm_ inf per tensor',
        (ps: torch.Tensor[]) => nn.utils.clipGradNorm_(ps, 0.5, { normType: Infinity, foreach: false }),
      ],
      ['clipGradValue_ foreach', (ps: torch.Tensor[]) => nn.utils.clipGradValue_(ps, 0.7, { foreach: true })],
    ] as const) {
      const cpu = withGrads('cpu');
      const gpu = withGrads(device);
      const nc = clip(cpu);
      const ng = clip(gpu);
      if (ng instanceof torch.Tensor) {
        assert.equal(ng.device, deviceName(), `${what}: norm device`);
        assertClose(ng, nc as torch.Tensor, 1e-5, 1e-6, `${what}: norm`);
      }
      gpu.forEach((p, i) => {
        assert.equal(p.grad?.device, deviceName(), `${what}: grad ${i} device`);
        assertClose(p.grad as torch.Tensor, cpu[i]?.grad as torch.Tensor, 1e-5, 1e-6, `${what}: grad ${i}`);
      });
    }
    const bad = withGrads(device);
    ((bad[1] as torch.Tensor).grad as torch.Tensor).view([-1]).narrow(0, 2, 1).fill_(Infinity);
    assert.throws(() => nn.utils.clipGradNorm_(bad, 1, { errorIfNonfinite: true }), /non-finite/);
  });

  test('GradScaler: scale, unscale_, step skips on inf gradients, scale schedule as on the CPU', () => {
    const run = (dev: string) => {
      const params = makeParams(dev);
      const opt = new optim.SGD(params, { lr: 0.05, momentum: 0.9 });
      const scaler = new torch.amp.GradScaler(dev, { initScale: 1024, growthInterval: 2 });
      const scales: number[] = [];
      const snapshots: number[][] = [];
      for (let i = 0; i < 6; i++) {
        opt.zeroGrad();
        scaler.scale(lossOf(params)).backward();
        if (i === 2 || i === 4)
          ((params[0] as torch.Tensor).grad as torch.Tensor)
            .view([-1])
            .narrow(0, 1, 1)
            .fill_(i === 2 ? Infinity : Number.NaN);
        scaler.unscale_(opt);
        assert.equal(
          params[0]?.grad?.device,
          dev === 'cpu' ? 'cpu' : deviceName(),
          `GradScaler on ${dev}: grad device`,
        );
        nn.utils.clipGradNorm_(params, 10);
        scaler.step(opt);
        scaler.update();
        scales.push(scaler.getScale());
        snapshots.push(params.flatMap((p) => values(p)));
      }
      return { params, opt, losses: [], scales, snapshots };
    };
    const cpu = run('cpu');
    const gpu = run(device);
    assert.deepEqual(gpu.scales, cpu.scales, 'GradScaler: scale sequence');
    // 1024 -> (2 clean steps) 2048 -> inf: 1024 -> 1 clean -> nan: 512 -> 1 clean
    assert.deepEqual(cpu.scales, [1024, 2048, 1024, 1024, 512, 512], 'GradScaler: expected scale sequence');
    // steps 3 and 5 were skipped: the params did not move
    assert.deepEqual(gpu.snapshots[2], gpu.snapshots[1], 'GradScaler: the inf step is skipped on the device');
    assert.deepEqual(gpu.snapshots[4], gpu.snapshots[3], 'GradScaler: the nan step is skipped on the device');
    compareRuns(gpu, cpu, 2e-5, 1e-6, 'GradScaler + SGD');
  });
});

describe(`GradScaler with a fused optimizer on ${device}`, { skip: needsDevice }, () => {
  // GradScaler.step does not unscale for a fused optimizer: it hands the kernel the scale and the
  // overflow flag (PyTorch's grad_scale/found_inf), and the kernel skips an overflowed step itself.
  test('the fused kernel unscales and skips as the CPU fused run does', () => {
    const run = (dev: string) => {
      const params = makeParams(dev);
      const opt = new optim.Adam(params, { lr: 0.05, fused: true });
      const scaler = new torch.amp.GradScaler(dev, { initScale: 3000, growthInterval: 2 });
      const scales: number[] = [];
      const snapshots: number[][] = [];
      for (let i = 0; i < 5; i++) {
        opt.zeroGrad();
        scaler.scale(lossOf(params)).backward();
        if (i === 2) ((params[1] as torch.Tensor).grad as torch.Tensor).view([-1]).narrow(0, 0, 1).fill_(Infinity);
        scaler.step(opt);
        scaler.update();
        scales.push(scaler.getScale());
        snapshots.push(params.flatMap((p) => values(p)));
      }
      return { params, opt, losses: [], scales, snapshots };
    };
    const cpu = run('cpu');
    const gpu = run(device);
    assert.deepEqual(cpu.scales, [3000, 6000, 3000, 3000, 6000], 'expected scale sequence');
    assert.deepEqual(gpu.scales, cpu.scales, 'scale sequence');
    assert.deepEqual(gpu.snapshots[2], gpu.snapshots[1], 'the overflowed step is skipped on the device');
    compareRuns(gpu, cpu, 2e-5, 1e-6, 'GradScaler + fused Adam');
  });
});

describe(`AveragedModel and updateBn on ${device}`, { skip: needsDevice }, () => {
  test('SWA (default), EMA with getEmaMultiAvgFn, EMA avgFn with buffers, and updateBn match the CPU', () => {
    const run = (dev: string) => {
      torch.manualSeed(21);
      const model = new nn.Sequential(new nn.Linear(3, 5), new nn.BatchNorm1d(5), new nn.ReLU(), new nn.Linear(5, 2));
      model.to(dev);
      const averages = {
        swa: new swaUtils.AveragedModel(model),
        emaMulti: new swaUtils.AveragedModel(model, { multiAvgFn: swaUtils.getEmaMultiAvgFn(0.8) }),
        emaBuffers: new swaUtils.AveragedModel(model, { avgFn: swaUtils.getEmaAvgFn(0.7), useBuffers: true }),
        swaMulti: new swaUtils.AveragedModel(model, { multiAvgFn: swaUtils.getSwaMultiAvgFn() }),
      };
      const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
      torch.manualSeed(22);
      const xs = [0, 1, 2, 3].map(() => torch.randn([8, 3]).to(dev));
      for (const x of xs) {
        opt.zeroGrad();
        (model.forward(x) as torch.Tensor).pow(2).mean().backward();
        opt.step();
        for (const a of Object.values(averages)) a.updateParameters(model);
      }
      swaUtils.updateBn(xs, averages.swa);
      return averages;
    };
    const cpu = run('cpu');
    const gpu = run(device);
    for (const [name, a] of Object.entries(gpu)) {
      const b = cpu[name as keyof typeof cpu];
      const sa = a.stateDict();
      const sb = b.stateDict();
      assert.deepEqual(Object.keys(sa), Object.keys(sb), `${name}: state keys`);
      for (const [k, t] of Object.entries(sa)) {
        // PyTorch registers n_averaged on the `device` option's device, the CPU when none is given
        const want = k === 'n_averaged' ? 'cpu' : deviceName();
        assert.equal(t.device, want, `${name}.${k}: device`);
        assertClose(t, sb[k] as torch.Tensor, 2e-5, 1e-6, `${name}.${k}`);
      }
      assert.equal(a.n_averaged.item(), 4, `${name}: n_averaged`);
      const x = torch.randn([4, 3]);
      a.eval();
      b.eval();
      assertClose(
        a.forward(x.to(device)) as torch.Tensor,
        b.forward(x) as torch.Tensor,
        2e-5,
        1e-6,
        `${name}: forward`,
      );
    }
  });
});

describe(`random numbers on ${device}`, { skip: needsDevice }, () => {
  /** One draw of each random op on the device, from the default generator (or `generator`). */
  const draws = (generator?: torch.Generator): Record<string, number[]> => {
    const g = generator ? { generator } : {};
    const probs = torch.tensor([0.1, 0.2, 0.3, 0.4], { device });
    return {
      rand: values(torch.rand([6], { device, ...g })),
      randn: values(torch.randn([6], { device, ...g })),
      randint: values(torch.randint(0, 100, [6], { device, ...g })),
      randperm: values(torch.randperm(10, { device, ...g })),
      multinomial: values(torch.multinomial(probs, 8, { replacement: true, ...g })),
      bernoulli: values(torch.bernoulli(torch.full([8], 0.5, { device }), g)),
      normal_: values(torch.empty([6], { device }).normal_({ mean: 1, std: 2, ...g })),
      uniform_: values(torch.empty([6], { device }).uniform_({ from: -1, to: 1, ...g })),
      ...(generator ? {} : { dropout: values(F.dropout(torch.ones([12], { device }), { p: 0.5, training: true })) }),
    };
  };

  test('torch.manualSeed seeds the device stream: rand/randn/randint/randperm/multinomial/bernoulli/normal_/dropout repeat', () => {
    torch.manualSeed(5);
    const a = draws();
    const a2 = draws();
    torch.manualSeed(5);
    const b = draws();
    assert.deepEqual(b, a, 'the same seed gives the same numbers');
    assert.notDeepEqual(a2.randn, a.randn, 'the stream moves on');
    torch.manualSeed(6);
    assert.notDeepEqual(draws().randn, a.randn, 'another seed, other numbers');
  });

  test('getRngState/setRngState: the CPU stream is restored; on CUDA they leave the CUDA stream alone', () => {
    torch.manualSeed(8);
    const state = torch.getRngState();
    assert.equal(state.device, 'cpu');
    assert.equal(state.dtype, 'uint8');
    const first = draws();
    torch.setRngState(state);
    const again = draws();
    if (onCuda) {
      // torch.get_rng_state is the CPU generator only (as PyTorch): restoring it does not
      // rewind CUDA's stream. (No torch.cuda.getRngState / setRngState / manualSeed here: see report.)
      assert.notDeepEqual(again.randn, first.randn, 'CUDA stream not rewound by the CPU state');
    } else {
      // CPU branch: the state replays the same numbers
      assert.deepEqual(again, first, 'CPU stream restored by setRngState');
    }
  });

  test('Generator on the device: manualSeed, seed, initialSeed, getState/setState, and it leaves the default stream alone', () => {
    const gen = new torch.Generator({ device });
    // As in PyTorch, a generator made for 'cuda' keeps the device as given: no index.
    assert.equal(gen.device, device, 'Generator device');
    gen.manualSeed(42);
    assert.equal(gen.initialSeed(), 42);
    const a = draws(gen);
    gen.manualSeed(42);
    assert.deepEqual(draws(gen), a, 'manualSeed replays');
    const state = gen.getState();
    assert.equal(state.dtype, 'uint8');
    assert.equal(state.device, 'cpu', 'a generator state is a CPU byte tensor');
    const b = draws(gen);
    gen.setState(state);
    assert.deepEqual(draws(gen), b, 'setState replays from the saved point');
    assert.notDeepEqual(b.randn, a.randn);
    const s = gen.seed();
    assert.equal(gen.initialSeed(), s, 'seed() is the new initialSeed()');
    const c = draws(gen);
    gen.manualSeed(s);
    assert.deepEqual(draws(gen), c, 'manualSeed(seed()) replays');
    // bigint seeds wrap as in PyTorch
    gen.manualSeed(-1);
    assert.equal(gen.initialSeed(), 2n ** 64n - 1n);
    // a generator's draws do not touch the default generator's stream
    torch.manualSeed(3);
    const d1 = draws();
    torch.manualSeed(3);
    draws(gen);
    assert.deepEqual(draws(), d1, 'the default stream is untouched by a Generator');
    // two generators with the same seed agree; the default generator seeded alike differs from
    // neither on the CPU (same Philox/MT stream) — not asserted across kinds
    const g2 = new torch.Generator({ device }).manualSeed(42);
    gen.manualSeed(42);
    assert.deepEqual(draws(g2), draws(gen), 'two generators with one seed');
  });

  test('a generator of another device is a clear error', () => {
    const cpuGen = new torch.Generator();
    if (onCuda) {
      assert.throws(
        () => torch.rand([3], { device, generator: cpuGen }),
        (e: Error) => /generator|device|cuda|cpu/i.test(e.message),
        'a CPU generator for a CUDA op',
      );
      const cudaGen = new torch.Generator({ device });
      assert.throws(
        () => torch.rand([3], { generator: cudaGen }),
        (e: Error) => /generator|device|cuda|cpu/i.test(e.message),
        'a CUDA generator for a CPU op',
      );
    } else {
      // CPU branch: a CPU generator on a CPU op draws from that generator
      cpuGen.manualSeed(9);
      const a = values(torch.rand([3], { device, generator: cpuGen }));
      cpuGen.manualSeed(9);
      assert.deepEqual(values(torch.rand([3], { generator: cpuGen })), a);
    }
  });
});
