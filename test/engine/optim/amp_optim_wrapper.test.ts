// AmpOptimWrapper (spec 4.9, and the port's CPU extension): float16 refused on the CPU,
// bfloat16 autocast inside optimContext, the lossScale forms, state dicts with the loss
// scaler, unscaling before clipping, and the GradScaler's scale sequence and skipped steps
// compared with Python's torch.amp.GradScaler('cpu') over runs where some gradients are inf
// or nan (one Python invocation for all of them).
import assert from 'node:assert/strict';
import { before, beforeEach, describe, test } from 'node:test';
import {
  AmpOptimWrapper,
  type AmpOptimWrapperOptions,
  BaseDataPreprocessor,
  BaseModel,
  type LossDict,
  MessageHub,
} from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { runPython, skipWithoutPython } from '../../support/python.js';
import { captureLogs } from '../support.js';

type Tensor = torch.Tensor;
const { nn, optim } = torch;
const onGpu = torch.cuda.isAvailable();

beforeEach(() => {
  captureLogs();
});

const param = (values: number[]) => torch.tensor(values, { dtype: 'float32', requiresGrad: true });
const sgd = (values = [1, 2, 3]) => new optim.SGD([param(values)], { lr: 0.1 });
const cpuAmp = (options: Partial<AmpOptimWrapperOptions> = {}) =>
  new AmpOptimWrapper({ optimizer: sgd(), deviceType: 'cpu', ...options });

describe('AmpOptimWrapper construction', () => {
  test('on the CPU: bfloat16 by default; float16 is refused with a clear error', () => {
    const w = cpuAmp();
    assert.equal(w.deviceType, 'cpu');
    assert.equal(w.castDtype, 'bfloat16');
    assert.throws(() => cpuAmp({ dtype: 'float16' }), /float16 autocast needs CUDA; on the CPU use dtype bfloat16/);
    if (!onGpu) assert.throws(() => new AmpOptimWrapper({ optimizer: sgd(), dtype: 'float16' }), /float16/);
  });

  test('dtype must be a floating dtype', () => {
    assert.throws(() => cpuAmp({ dtype: 'int8' }), /dtype should be any of float16, bfloat16, float32, float64/);
    assert.equal(cpuAmp({ dtype: 'float32' }).castDtype, 'float32');
  });

  test("lossScale 'dynamic' (the default): the scaler's defaults", () => {
    for (const w of [cpuAmp(), cpuAmp({ lossScale: 'dynamic' })]) {
      assert.deepEqual(w.stateDict().loss_scaler, {
        scale: 65536,
        growth_factor: 2,
        backoff_factor: 0.5,
        growth_interval: 2000,
        _growth_tracker: 0,
      });
    }
  });

  test('lossScale as a number is static; as options it configures the scaler', () => {
    assert.equal(cpuAmp({ lossScale: 512 }).lossScaler.getScale(), 512);
    const w = cpuAmp({ lossScale: { initScale: 1, growthFactor: 3 } });
    assert.deepEqual(w.stateDict().loss_scaler, {
      scale: 1,
      growth_factor: 3,
      backoff_factor: 0.5,
      growth_interval: 2000,
      _growth_tracker: 0,
    });
  });

  test('any other lossScale is a TypeError', () => {
    for (const bad of ['static', [], true]) {
      assert.throws(
        () => cpuAmp({ lossScale: bad as never }),
        (e: Error) =>
          e instanceof TypeError && /loss_scale must be of type float, dict, or "dynamic", but got/.test(e.message),
      );
    }
  });
});

describe('AmpOptimWrapper on the CPU', () => {
  test('optimContext runs the body under bfloat16 autocast (and the base noSync rule)', () => {
    const w = cpuAmp({ accumulativeCounts: 2 });
    const lin = new nn.Linear(4, 2);
    let noSync = 0;
    const model = Object.assign(new nn.Linear(1, 1), {
      noSync: <T>(fn: () => T): T => {
        noSync++;
        return fn();
      },
    });
    assert.equal(torch.amp.isAutocastEnabled('cpu'), false);
    const dtype = w.optimContext(model, () => {
      assert.equal(torch.amp.isAutocastEnabled('cpu'), true);
      return lin.forward(torch.randn([3, 4])).dtype;
    });
    assert.equal(dtype, 'bfloat16');
    assert.equal(noSync, 1);
    assert.equal(torch.amp.isAutocastEnabled('cpu'), false);
  });

  test('trainStep: preprocessing and forward run under autocast; the parameters stay float32 and change', () => {
    let preprocessedUnderAutocast = false;
    class Pre extends BaseDataPreprocessor {
      override forward(data: unknown, training = false): unknown {
        preprocessedUnderAutocast = torch.amp.isAutocastEnabled('cpu');
        return super.forward(data, training);
      }
    }
    class Net extends BaseModel {
      fc = new nn.Linear(4, 3);
      forward(data: { inputs: Tensor; labels: Tensor }): LossDict {
        const logits = this.fc.forward(data.inputs);
        assert.equal(logits.dtype, 'bfloat16');
        return { loss: nn.functional.crossEntropy(logits, data.labels) };
      }
    }
    torch.manualSeed(0);
    const net = new Net({ dataPreprocessor: new Pre() });
    const w = new AmpOptimWrapper({ optimizer: new optim.SGD(net.parameters(), { lr: 0.5 }), deviceType: 'cpu' });
    const before = net.fc.weight.clone();
    const logVars = net.trainStep({ inputs: torch.randn([8, 4]), labels: torch.tensor([0, 1, 2, 0, 1, 2, 0, 1]) }, w);
    assert.ok(preprocessedUnderAutocast);
    assert.ok(Number.isFinite(logVars.loss));
    assert.equal(net.fc.weight.dtype, 'float32');
    assert.equal(net.fc.weight.equal(before), false);
    assert.equal(w.innerCount, 1);
  });

  test('backward scales the loss; clipping sees (and logs the norm of) the unscaled gradients', () => {
    MessageHub.getInstance('amp-clip');
    const p = param([1, 1]);
    const w = new AmpOptimWrapper({
      optimizer: new optim.SGD([p], { lr: 1 }),
      deviceType: 'cpu',
      lossScale: 1024,
      clipGrad: { maxNorm: 100 },
    });
    torch.scope(() => w.backward(p.mul(torch.tensor([3, 4])).sum()));
    assert.deepEqual(p.grad?.toArray(), [3072, 4096]);
    assert.equal(w.innerCount, 1);
    w.step();
    assert.equal(w.messageHub.getScalar('train/grad_norm').current(), 5);
    assert.deepEqual(p.toArray(), [-2, -3]);
  });

  test('a static scale stays put; an overflowing step is skipped', () => {
    const p = param([1]);
    const w = new AmpOptimWrapper({ optimizer: new optim.SGD([p], { lr: 1 }), deviceType: 'cpu', lossScale: 8 });
    torch.scope(() => w.updateParams(p.mul(Number.POSITIVE_INFINITY).sum()));
    assert.deepEqual(p.toArray(), [1]);
    assert.equal(w.lossScaler.getScale(), 8);
    torch.scope(() => w.updateParams(p.mul(2).sum()));
    assert.deepEqual(p.toArray(), [-1]);
    assert.equal(w.lossScaler.getScale(), 8);
  });

  test('stateDict has loss_scaler; it round-trips; a plain optimizer state dict loads and leaves the scaler alone', () => {
    const src = cpuAmp({ lossScale: { initScale: 64, growthInterval: 1 } });
    const p = src.optimizer.paramGroups[0]?.params[0] as Tensor;
    torch.scope(() => src.updateParams(p.sum()));
    torch.scope(() => src.updateParams(p.sum()));
    const sd = src.stateDict();
    assert.deepEqual(sd.loss_scaler, {
      scale: 256,
      growth_factor: 2,
      backoff_factor: 0.5,
      growth_interval: 1,
      _growth_tracker: 0,
    });
    assert.deepEqual(Object.keys(sd), ['state', 'param_groups', 'loss_scaler']);

    const dst = cpuAmp();
    dst.loadStateDict(sd);
    assert.equal(dst.lossScaler.getScale(), 256);
    assert.deepEqual(dst.stateDict().loss_scaler, sd.loss_scaler);
    assert.ok('loss_scaler' in sd, 'the caller state dict is not mutated');

    const plain = cpuAmp();
    plain.loadStateDict(new optim.SGD([param([0, 0, 0])], { lr: 0.7 }).stateDict());
    assert.deepEqual(plain.getLr(), { lr: [0.7] });
    assert.equal(plain.lossScaler.getScale(), 65536);
  });
});

describe('AmpOptimWrapper on a GPU', { skip: !onGpu && 'needs CUDA' }, () => {
  test('float16 by default, under CUDA autocast', () => {
    const lin = new nn.Linear(4, 2).cuda();
    const w = new AmpOptimWrapper({ optimizer: new optim.SGD(lin.parameters(), { lr: 0.1 }) });
    assert.equal(w.deviceType, 'cuda');
    assert.equal(w.castDtype, 'float16');
    const dtype = w.optimContext(lin, () => lin.forward(torch.randn([3, 4], { device: 'cuda' })).dtype);
    assert.equal(dtype, 'float16');
  });
});

// ---- GradScaler parity with Python

/** Per-step inputs x of loss = (w * x).sum(): some with inf or nan, so those steps overflow. */
const INF = Number.POSITIVE_INFINITY;
const XS: number[][] = [
  [0.5, -1, 2],
  [1, 1, 1],
  [INF, 1, 1],
  [0.25, 0.5, -0.5],
  [1, -2, 3],
  [2, 2, 2],
  [-1, 0.5, 0.1],
  [Number.NaN, 1, 1],
  [0.1, 0.2, 0.3],
  [1, 1, -INF],
  [0.3, -0.3, 0.3],
  [1, 2, 3],
  [0.5, 0.5, 0.5],
];

interface Scenario {
  name: string;
  scaler: { init_scale: number; growth_interval: number; backoff_factor?: number; growth_factor?: number };
  /** a static scale: update(new_scale) after each step */
  staticScale?: number;
  clip?: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'dynamic, growth every 2 clean steps', scaler: { init_scale: 256, growth_interval: 2 } },
  {
    name: 'dynamic, other factors, with norm clipping',
    scaler: { init_scale: 1024, growth_interval: 3, backoff_factor: 0.25, growth_factor: 4 },
    clip: 1,
  },
  { name: 'static scale 512', scaler: { init_scale: 512, growth_interval: 2000 }, staticScale: 512 },
];

interface Trace {
  scales: number[];
  w: number[][];
  state: Record<string, number>;
}

const PY_SCRIPT = `
out = []
for sc in INPUT['scenarios']:
    w = torch.tensor([1., 2., 3.], requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1)
    scaler = torch.amp.GradScaler('cpu', **sc['scaler'])
    scales, ws = [], []
    for x in INPUT['xs']:
        loss = (w * torch.tensor(x)).sum()
        scaler.scale(loss).backward()
        if sc.get('clip') is not None:
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_([w], sc['clip'])
        scaler.step(opt)
        if sc.get('staticScale') is not None:
            scaler.update(float(sc['staticScale']))
        else:
            scaler.update()
        opt.zero_grad()
        scales.append(scaler.get_scale())
        ws.append(w.tolist())
    out.append({'scales': scales, 'w': ws, 'state': scaler.state_dict()})
OUTPUT = out
`;

function runJs(sc: Scenario): Trace {
  const w = param([1, 2, 3]);
  const options: AmpOptimWrapperOptions = {
    optimizer: new optim.SGD([w], { lr: 0.1 }),
    deviceType: 'cpu',
    lossScale: sc.staticScale ?? {
      initScale: sc.scaler.init_scale,
      growthInterval: sc.scaler.growth_interval,
      ...(sc.scaler.backoff_factor !== undefined ? { backoffFactor: sc.scaler.backoff_factor } : {}),
      ...(sc.scaler.growth_factor !== undefined ? { growthFactor: sc.scaler.growth_factor } : {}),
    },
    clipGrad: sc.clip !== undefined ? { maxNorm: sc.clip } : null,
  };
  const wrapper = new AmpOptimWrapper(options);
  const scales: number[] = [];
  const ws: number[][] = [];
  for (const x of XS) {
    torch.scope(() => wrapper.updateParams(w.mul(torch.tensor(x, { dtype: 'float32' })).sum()));
    scales.push(wrapper.lossScaler.getScale());
    ws.push(w.toArray() as number[]);
  }
  return { scales, w: ws, state: wrapper.stateDict().loss_scaler as unknown as Record<string, number> };
}

describe('GradScaler against Python torch.amp.GradScaler("cpu")', { skip: skipWithoutPython() }, () => {
  let python: Trace[] = [];
  before(() => {
    python = runPython<Trace[]>(PY_SCRIPT, { scenarios: SCENARIOS, xs: XS });
  });

  for (const [i, sc] of SCENARIOS.entries()) {
    test(sc.name, () => {
      const py = python[i] as Trace;
      const js = runJs(sc);
      assert.deepEqual(js.scales, py.scales, 'the scale after every step');
      assert.deepEqual(js.state, py.state, 'the final scaler state');
      for (let k = 0; k < XS.length; k++) {
        const a = js.w[k] as number[];
        const b = py.w[k] as number[];
        for (let j = 0; j < 3; j++) {
          assert.ok(Math.abs((a[j] as number) - (b[j] as number)) <= 1e-6, `step ${k}: w ${a} vs ${b}`);
        }
        // A step was skipped exactly where its gradient overflowed.
        const skipped = k > 0 ? a.every((v, j) => v === js.w[k - 1]?.[j]) : false;
        const overflow = (XS[k] as number[]).some((v) => !Number.isFinite(v));
        if (k > 0) assert.equal(skipped, overflow, `step ${k}: skipped ${skipped}`);
      }
    });
  }

  test('the dynamic scale sequence is the one expected by hand', () => {
    // init 256, x2 after 2 clean steps, x0.5 on each overflow (steps 2, 7, 9).
    assert.deepEqual(python[0]?.scales, [256, 512, 256, 256, 512, 512, 1024, 512, 512, 256, 256, 512, 512]);
  });
});
