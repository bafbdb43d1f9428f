// torch.optim.swaUtils against Python torch 2.13: AveragedModel's averages (state dicts after each
// of several updates, for the default SWA path, the multi-tensor SWA and EMA functions and the
// one-tensor ones, with and without useBuffers, float32 and float64, a model with BatchNorm),
// SWALR's lrs over 10 epochs (cos and linear, per-group swaLr, annealEpochs 0, after another
// schedule) and its state dict, and updateBn's running statistics. One Python spawn for all.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from '../support/python.js';
import { assertClose } from './support.js';

const { nn, optim } = torch;
const su = optim.swaUtils;
type Tensor = torch.Tensor;
type Nested = number | Nested[];

const STEPS = 4;

/** Deterministic values that both sides read from INPUT (rounded, so float32 holds them as Python does). */
const val = (i: number, k: number): number => Math.round(Math.sin(i * 1.7 + k * 0.31 + 0.2) * 1000) / 1000;

function fill(shape: number[], seed: number, map: (v: number) => number = (v) => v): Nested {
  let i = 0;
  const build = (dims: number[]): Nested =>
    dims.length === 0 ? map(val(i++, seed)) : Array.from({ length: dims[0] as number }, () => build(dims.slice(1)));
  return build(shape);
}

const makeNet = (): torch.nn.Module =>
  new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), new nn.ReLU(), new nn.Linear(4, 2));
const makeBnNet = (): torch.nn.Module =>
  new nn.Sequential(
    new nn.Linear(3, 4),
    new nn.BatchNorm1d(4, { momentum: 0.3 }),
    new nn.ReLU(),
    new nn.Linear(4, 2),
    new nn.BatchNorm1d(2),
  );

/** A state dict of `model`'s layout with deterministic values (positive variances, a batch count). */
function initOf(model: torch.nn.Module, seed: number): Record<string, Nested> {
  const out: Record<string, Nested> = {};
  Object.entries(model.stateDict()).forEach(([k, v], n) => {
    if (k.endsWith('num_batches_tracked')) out[k] = 3;
    else if (k.endsWith('running_var')) out[k] = fill(v.shape, seed + n, (x) => Math.abs(x) + 0.5);
    else out[k] = fill(v.shape, seed + n);
  });
  return out;
}

function load(model: torch.nn.Module, init: Record<string, Nested>, dtype: 'float32' | 'float64'): void {
  model.loadStateDict(
    Object.fromEntries(
      Object.entries(init).map(([k, v]) => [
        k,
        k.endsWith('num_batches_tracked') ? torch.tensor(v as number, { dtype: 'int64' }) : torch.tensor(v as number[]),
      ]),
    ),
  );
  if (dtype === 'float64') model.double();
}

const toJs = (sd: Record<string, Tensor>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.toArray()]));

type FnName = 'default' | 'swaMulti' | 'emaMulti' | 'emaAvg' | 'swaAvg';
interface AvgCase {
  fn: FnName;
  decay?: number;
  useBuffers: boolean;
  dtype: 'float32' | 'float64';
}
const AVG_CASES: AvgCase[] = [
  { fn: 'default', useBuffers: false, dtype: 'float32' },
  { fn: 'default', useBuffers: true, dtype: 'float32' },
  { fn: 'default', useBuffers: false, dtype: 'float64' },
  { fn: 'swaMulti', useBuffers: false, dtype: 'float32' },
  { fn: 'swaMulti', useBuffers: false, dtype: 'float64' },
  // the int64 batch count is averaged too: libtorch refuses addcdiv on integers, here as in Python
  { fn: 'swaMulti', useBuffers: true, dtype: 'float32' },
  { fn: 'emaMulti', decay: 0.9, useBuffers: true, dtype: 'float32' },
  { fn: 'emaMulti', decay: 0.75, useBuffers: false, dtype: 'float64' },
  { fn: 'emaAvg', decay: 0.8, useBuffers: false, dtype: 'float32' },
  { fn: 'emaAvg', decay: 0.8, useBuffers: true, dtype: 'float64' },
  { fn: 'swaAvg', useBuffers: true, dtype: 'float32' },
];

function fnOptions(c: AvgCase): torch.optim.swaUtils.AveragedModelOptions {
  switch (c.fn) {
    case 'swaMulti':
      return { multiAvgFn: su.getSwaMultiAvgFn() };
    case 'emaMulti':
      return { multiAvgFn: su.getEmaMultiAvgFn(c.decay) };
    case 'emaAvg':
      return { avgFn: su.getEmaAvgFn(c.decay) };
    case 'swaAvg':
      return { avgFn: su.getSwaAvgFn() };
    default:
      return {};
  }
}

interface SwalrCase {
  opts: { swaLr: number | number[]; annealEpochs?: number; annealStrategy?: 'cos' | 'linear' };
  /** steps of ExponentialLR(gamma 0.5) before SWALR takes over */
  pre?: number;
}
const SWALR_CASES: SwalrCase[] = [
  { opts: { swaLr: 0.01 } },
  { opts: { swaLr: 0.01, annealEpochs: 5, annealStrategy: 'cos' } },
  { opts: { swaLr: [0.01, 0.02], annealEpochs: 3, annealStrategy: 'linear' } },
  { opts: { swaLr: 0.2, annealEpochs: 10, annealStrategy: 'linear' } },
  { opts: { swaLr: 0.03, annealEpochs: 0 } },
  { opts: { swaLr: 0.005, annealEpochs: 4 }, pre: 3 },
];

// Batches of 8 inputs of 3 features; updateBn's loader mixes [input, target] pairs and bare inputs.
const XS = Array.from({ length: STEPS }, (_, k) => fill([8, 3], 100 + k, (v) => v * 2));
const BN_BATCHES: ['pair' | 'tensor', Nested][] = [
  ['pair', fill([6, 3], 200)],
  ['tensor', fill([5, 3], 201, (v) => v * 3 - 0.5)],
  ['pair', fill([7, 3], 202, (v) => v + 1)],
];

const PY = `
import torch.nn as nn
from torch.optim import swa_utils as su
I = INPUT

def make(init, bn, dtype):
    if bn:
        m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=0.3), nn.ReLU(), nn.Linear(4, 2), nn.BatchNorm1d(2))
    else:
        m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    m.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
    return m.to(dtype)

def fn_kw(c):
    f = c['fn']
    if f == 'swaMulti': return dict(multi_avg_fn=su.get_swa_multi_avg_fn())
    if f == 'emaMulti': return dict(multi_avg_fn=su.get_ema_multi_avg_fn(c['decay']))
    if f == 'emaAvg': return dict(avg_fn=su.get_ema_avg_fn(c['decay']))
    if f == 'swaAvg': return dict(avg_fn=su.get_swa_avg_fn())
    return {}

avg = []
for c in I['avg']:
    dt = getattr(torch, c['dtype'])
    m = make(I['init'], False, dt)
    a = su.AveragedModel(m, use_buffers=c['useBuffers'], **fn_kw(c))
    snaps = []
    try:
        for k in range(len(I['xs'])):
            with torch.no_grad():
                for p, d in zip(m.parameters(), I['deltas'][k]):
                    p.add_(torch.tensor(d, dtype=dt))
            m(torch.tensor(I['xs'][k], dtype=dt))
            a.update_parameters(m)
            snaps.append({k2: v.tolist() for k2, v in a.state_dict().items()})
        a.eval()
        avg.append({'keys': list(a.state_dict().keys()), 'snaps': snaps, 'out': a(torch.tensor(I['xs'][0], dtype=dt))})
    except RuntimeError as e:
        avg.append({'error': str(e).split('.')[0], 'snaps': snaps})

swalr = []
for c in I['swalr']:
    ps = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    opt = torch.optim.SGD([{'params': [ps[0]], 'lr': 0.1}, {'params': [ps[1]], 'lr': 0.05}], lr=0.1)
    if c.get('pre'):
        pre = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        for _ in range(c['pre']):
            opt.step(); pre.step()
    o = c['opts']
    kw = {'swa_lr': o['swaLr']}
    if 'annealEpochs' in o: kw['anneal_epochs'] = o['annealEpochs']
    if 'annealStrategy' in o: kw['anneal_strategy'] = o['annealStrategy']
    s = su.SWALR(opt, **kw)
    lrs = [s.get_last_lr()]
    for _ in range(10):
        opt.step(); s.step(); lrs.append(s.get_last_lr())
    swalr.append({'lrs': lrs, 'state': s.state_dict(), 'swaLrs': [g['swa_lr'] for g in opt.param_groups]})

m = make(I['bnInit'], True, torch.float32)
m.eval()
loader = [[torch.tensor(x), torch.zeros(1)] if kind == 'pair' else torch.tensor(x) for kind, x in I['bnBatches']]
su.update_bn(loader, m)
bn = {'state': {k: v.tolist() for k, v in m.state_dict().items()}, 'training': m.training,
      'momenta': [m[1].momentum, m[4].momentum], 'modes': [x.training for x in m.modules()]}

OUTPUT = {'avg': avg, 'swalr': swalr, 'bn': bn}
`;

interface PyOut {
  avg: { keys?: string[]; snaps: Record<string, unknown>[]; out?: Nested; error?: string }[];
  swalr: { lrs: number[][]; state: Record<string, unknown>; swaLrs: number[] }[];
  bn: { state: Record<string, unknown>; training: boolean; momenta: (number | null)[]; modes: boolean[] };
}

const INIT = initOf(makeNet(), 1);
const BN_INIT = initOf(makeBnNet(), 50);
// One delta per parameter per step, in parameters() order.
const DELTAS = Array.from({ length: STEPS }, (_, k) =>
  makeNet()
    .parameters()
    .map((p, n) => fill(p.shape, 10 * k + n, (v) => v * 0.1)),
);

/** Runs one AveragedModel case as the Python script does; the snapshots so far, and the error if one was thrown. */
function runAvgCase(c: AvgCase): { keys?: string[]; snaps: Record<string, unknown>[]; out?: unknown; error?: Error } {
  const model = makeNet();
  load(model, INIT, c.dtype);
  const a = new su.AveragedModel(model, { useBuffers: c.useBuffers, ...fnOptions(c) });
  const snaps: Record<string, unknown>[] = [];
  try {
    for (let k = 0; k < STEPS; k++) {
      torch.scope(() => {
        torch.noGrad(() => {
          model.parameters().forEach((p, n) => {
            p.add_(torch.tensor(DELTAS[k]?.[n] as number[], { dtype: c.dtype }));
          });
        });
        (model.forward as (x: Tensor) => Tensor)(torch.tensor(XS[k] as number[][], { dtype: c.dtype }));
      });
      a.updateParameters(model);
      snaps.push(toJs(a.stateDict()));
    }
    a.eval();
    const out = torch.scope(() =>
      (a.forward(torch.tensor(XS[0] as number[][], { dtype: c.dtype })) as Tensor).toArray(),
    );
    return { keys: Object.keys(a.stateDict()), snaps, out };
  } catch (error) {
    return { snaps, error: error as Error };
  }
}

function runSwalr(c: SwalrCase): { lrs: number[][]; state: Record<string, unknown>; swaLrs: number[] } {
  const ps = [torch.zeros([1], { requiresGrad: true }), torch.zeros([1], { requiresGrad: true })];
  const opt = new optim.SGD(
    [
      { params: [ps[0] as Tensor], lr: 0.1 },
      { params: [ps[1] as Tensor], lr: 0.05 },
    ],
    { lr: 0.1 },
  );
  if (c.pre) {
    const pre = new optim.lrScheduler.ExponentialLR(opt, { gamma: 0.5 });
    for (let i = 0; i < c.pre; i++) {
      opt.step();
      pre.step();
    }
  }
  const s = new su.SWALR(opt, c.opts);
  const lrs = [s.getLastLr()];
  for (let i = 0; i < 10; i++) {
    opt.step();
    s.step();
    lrs.push(s.getLastLr());
  }
  return { lrs, state: s.stateDict(), swaLrs: opt.paramGroups.map((g) => g.swaLr as number) };
}

const bnLoader = (): (Tensor | Tensor[])[] =>
  BN_BATCHES.map(([kind, x]) =>
    kind === 'pair' ? [torch.tensor(x as number[][]), torch.zeros([1])] : torch.tensor(x as number[][]),
  );

describe('torch.optim.swaUtils against Python torch', { skip: skipWithoutPython() }, () => {
  let py: PyOut;
  let threads = 0;
  before(() => {
    // One thread, as the Python side runs: BatchNorm's batch statistics are summed in another
    // order with two, which changes their last bit.
    threads = torch.getNumThreads();
    torch.setNumThreads(1);
    py = runPython<PyOut>(PY, {
      init: INIT,
      bnInit: BN_INIT,
      deltas: DELTAS,
      xs: XS,
      avg: AVG_CASES,
      swalr: SWALR_CASES,
      bnBatches: BN_BATCHES,
    });
  });

  after(() => torch.setNumThreads(threads));

  AVG_CASES.forEach((c, i) => {
    const label = `AveragedModel ${c.fn}${c.decay !== undefined ? `(${c.decay})` : ''}, useBuffers ${c.useBuffers}, ${c.dtype}`;
    test(label, () => {
      const expected = py.avg[i];
      assert.ok(expected);
      const got = runAvgCase(c);
      if (expected.error !== undefined) {
        assert.ok(got.error, `Python failed with "${expected.error}" but this did not`);
        assert.ok(got.error.message.includes(expected.error), got.error.message);
        // Both failed at the same update, after the same snapshots.
        assert.deepEqual(got.snaps, expected.snaps);
        return;
      }
      assert.ifError(got.error);
      assert.deepEqual(got.keys, expected.keys);
      // Bit for bit: the same kernels in the same order.
      assert.equal(got.snaps.length, STEPS);
      got.snaps.forEach((snap, k) => {
        assert.deepEqual(snap, expected.snaps[k], `after update ${k + 1}`);
      });
      assert.deepEqual(got.out, expected.out);
    });
  });

  SWALR_CASES.forEach((c, i) => {
    test(`SWALR ${JSON.stringify(c.opts)}${c.pre ? ` after ${c.pre} ExponentialLR steps` : ''}`, () => {
      const expected = py.swalr[i];
      assert.ok(expected);
      const got = runSwalr(c);
      assertClose(got.lrs, expected.lrs, 0);
      assert.deepEqual(got.swaLrs, expected.swaLrs);
      assert.deepEqual(Object.keys(got.state), Object.keys(expected.state));
      assertClose(got.state, expected.state, 0);
    });
  });

  test('updateBn: running statistics, momenta and mode as Python leaves them (sync and async loaders)', async () => {
    const model = makeBnNet();
    load(model, BN_INIT, 'float32');
    model.eval();
    su.updateBn(bnLoader(), model);
    assert.deepEqual(toJs(model.stateDict()), py.bn.state);
    const bns = [model.getSubmodule('1'), model.getSubmodule('4')] as torch.nn.BatchNorm1d[];
    assert.deepEqual(
      bns.map((b) => b.momentum),
      py.bn.momenta,
    );
    assert.equal(model.training, py.bn.training);
    assert.deepEqual(
      model.modules().map((m) => m.training),
      py.bn.modes,
    );

    // An async iterable (the engine's DataLoader) gives the same statistics, through a Promise.
    const again = makeBnNet();
    load(again, BN_INIT, 'float32');
    again.eval();
    async function* batches(): AsyncGenerator<Tensor | Tensor[]> {
      for (const b of bnLoader()) yield b;
    }
    await su.updateBn(batches(), again);
    assert.deepEqual(toJs(again.stateDict()), py.bn.state);
    assert.equal(again.training, false);
  });
});

describe('torch.optim.swaUtils by hand', () => {
  test('SWA of three models is their mean; EMA weighs the new one by 1 - decay', () => {
    class Lin extends nn.Module {
      w = new nn.Parameter(torch.tensor([0, 0], { dtype: 'float64' }));
      forward(x: Tensor): Tensor {
        return x.mul(this.w);
      }
    }
    const m = new Lin();
    const swa = new su.AveragedModel(m);
    const ema = new su.AveragedModel(m, { multiAvgFn: su.getEmaMultiAvgFn(0.5) });
    for (const v of [
      [3, 6],
      [6, 0],
      [0, 3],
    ]) {
      torch.noGrad(() => m.w.copy_(torch.tensor(v, { dtype: 'float64' })));
      swa.updateParameters(m);
      ema.updateParameters(m);
    }
    assert.deepEqual(swa.stateDict()['module.w']?.toArray(), [3, 3]);
    assert.equal(swa.n_averaged.item(), 3);
    // ((3 + 6) / 2 + 0) / 2, ((6 + 0) / 2 + 3) / 2
    assert.deepEqual(ema.stateDict()['module.w']?.toArray(), [2.25, 3]);
    // The user's model is not the averaged copy.
    assert.deepEqual(m.w.toArray(), [0, 3]);
  });

  test('errors name the function and the value at fault; a failed updateBn restores the momenta', () => {
    const m = makeNet();
    assert.throws(
      () => new su.AveragedModel(m, { avgFn: su.getSwaAvgFn(), multiAvgFn: su.getSwaMultiAvgFn() }),
      /AveragedModel: give only one of avgFn and multiAvgFn/,
    );
    assert.throws(() => new su.AveragedModel({} as never), /AveragedModel: expected an nn.Module/);
    assert.throws(() => su.getEmaAvgFn(1.5), /getEmaAvgFn: invalid decay value 1.5/);
    assert.throws(() => su.getEmaMultiAvgFn(-0.1), RangeError);
    const a = new su.AveragedModel(m);
    a.updateParameters(m);
    assert.throws(
      () => a.updateParameters(new nn.Linear(3, 4)),
      /AveragedModel.updateParameters: the model has 0 buffers/,
    );
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    assert.throws(
      () => new su.SWALR(opt, { swaLr: 0.1, annealStrategy: 'exp' as never }),
      /SWALR: annealStrategy must be one of 'cos' or 'linear', got exp/,
    );
    assert.throws(() => new su.SWALR(opt, { swaLr: 0.1, annealEpochs: -1 }), /annealEpochs must be an integer >= 0/);
    assert.throws(() => new su.SWALR(opt, { swaLr: [0.1, 0.2] }), /swaLr has 2 values, paramGroups has 1/);
    assert.throws(() => new su.SWALR(opt, { swaLr: 0.1, swa_lr: 1 } as never), /unknown option 'swa_lr'/);
    m.train();
    assert.throws(() => su.updateBn([torch.zeros([4, 3]), 'x'] as never, m), /updateBn: each batch must be a Tensor/);
    const bn = m.getSubmodule('1') as torch.nn.BatchNorm1d;
    assert.equal(bn.momentum, 0.1);
    assert.equal(m.training, true);
    assert.throws(() => su.updateBn(5 as never, m), /updateBn: loader must be an iterable/);
  });
});
