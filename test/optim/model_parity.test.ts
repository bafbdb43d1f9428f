// Whole models against Python torch: a small CNN (conv-bn-relu-pool ×2, linear head) and a
// transformer block (TransformerEncoderLayer, mean-pool, linear head) are built here, their
// initial state dicts and 20 batches are handed to Python with torch.save, and both sides train
// the same network from the same weights on the same batches for 20 steps of each optimizer, in
// float32 and float64. Every loss and every parameter is compared after every step, and the
// BatchNorm running statistics after the last one. Both sides run on one intra-op thread so
// that reductions add up in the same order. All the Python work is one invocation.
//
// The transformer makes this a test of bit-for-bit agreement, not only of closeness: the key
// part of the attention's in_proj_bias has a gradient that is zero in exact arithmetic (softmax
// ignores a shift shared by all keys), so what it gets is rounding noise, and the adaptive
// optimizers (Adam, AdamW, RMSprop, Adagrad) scale that noise up to steps of about lr. Any
// difference in rounding in the forward or backward pass then shows up as a difference of the
// order of lr in that parameter.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import type { Nested } from '../support/data.js';
import { runPython, skipWithoutPython } from '../support/python.js';
import { type FloatDType, maxDiff, PY_KWARGS } from './support.js';

const { nn, optim } = torch;
type Tensor = torch.Tensor;
type Options = Record<string, unknown>;

const STEPS = 20;
const BATCH = 8;
const DTYPES: FloatDType[] = ['float32', 'float64'];
const TOL: Record<FloatDType, number> = { float32: 1e-5, float64: 1e-10 };

interface OptConfig {
  cls: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad';
  opts: Options;
}

const OPTIMIZERS: OptConfig[] = [
  { cls: 'SGD', opts: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 } },
  { cls: 'Adam', opts: { lr: 0.01 } },
  { cls: 'AdamW', opts: { lr: 0.01, amsgrad: true, weightDecay: 0.05 } },
  { cls: 'RMSprop', opts: { lr: 0.001, centered: true, momentum: 0.9, weightDecay: 1e-3 } },
  { cls: 'Adagrad', opts: { lr: 0.05, lrDecay: 0.01 } },
];

// biome-ignore lint/suspicious/noExplicitAny: the optimizer classes take different option types
const CLASSES: Record<OptConfig['cls'], new (params: any, options?: any) => torch.optim.Optimizer> = {
  SGD: optim.SGD,
  Adam: optim.Adam,
  AdamW: optim.AdamW,
  RMSprop: optim.RMSprop,
  Adagrad: optim.Adagrad,
};

// ---- the two models, written the same way on both sides (same state-dict keys)

const makeCnn = (): torch.nn.Module =>
  new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }),
    new nn.BatchNorm2d(4),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(4, 8, 3, { padding: 1 }),
    new nn.BatchNorm2d(8),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(8 * 3 * 3, 10),
  );

class Block extends nn.Module {
  layer = new nn.TransformerEncoderLayer(16, 2, { dimFeedforward: 32, dropout: 0, batchFirst: true });
  head = new nn.Linear(16, 4);
  forward(x: Tensor): Tensor {
    return this.head.forward(this.layer.forward(x).mean(1));
  }
}

interface ModelSpec {
  name: 'cnn' | 'transformer';
  make: () => torch.nn.Module;
  input: number[];
  classes: number;
}

const MODELS: ModelSpec[] = [
  { name: 'cnn', make: makeCnn, input: [BATCH, 1, 12, 12], classes: 10 },
  { name: 'transformer', make: () => new Block(), input: [BATCH, 6, 16], classes: 4 },
];

const PY_MODELS = `
import torch.nn as nn
import torch.nn.functional as F
def make_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(8 * 3 * 3, 10))
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0, batch_first=True)
        self.head = nn.Linear(16, 4)
    def forward(self, x):
        return self.head(self.layer(x).mean(1))
MAKE = {'cnn': make_cnn, 'transformer': Block}
`;

const SCRIPT = `
${PY_KWARGS}
${PY_MODELS}
import warnings
warnings.filterwarnings('ignore')
data = torch.load(INPUT['path'], weights_only=True)
runs = []
for run in INPUT['runs']:
    d = data[run['dtype']][run['model']]
    dt = getattr(torch, run['dtype'])
    torch.manual_seed(0)
    m = MAKE[run['model']]().to(dt)
    m.load_state_dict(d['state'])
    m.train()
    opt = getattr(torch.optim, run['cls'])(m.parameters(), **kwargs(run['opts']))
    losses, traj = [], []
    for x, y in zip(d['xs'], d['ys']):
        opt.zero_grad()
        loss = F.cross_entropy(m(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        traj.append([p.detach().tolist() for p in m.parameters()])
    runs.append({
        'names': [n for n, _ in m.named_parameters()],
        'losses': losses,
        'traj': traj,
        'buffers': {n: b.tolist() for n, b in m.named_buffers()},
    })
OUTPUT = runs
`;

interface Data {
  /** the initial weights, kept as a state dict of copies */
  state: Record<string, Tensor>;
  xs: Tensor[];
  ys: Tensor[];
}

interface PyRun {
  names: string[];
  losses: number[];
  traj: Nested[][];
  buffers: Record<string, Nested>;
}

const runs = MODELS.flatMap((model) => DTYPES.flatMap((dtype) => OPTIMIZERS.map((cfg) => ({ model, dtype, cfg }))));
const optName = (c: OptConfig): string => `${c.cls}(${JSON.stringify(c.opts)})`;

/** The largest differences seen, per model, optimizer and dtype (printed at the end). */
const observed: { model: string; opt: string; dtype: FloatDType; loss: number; param: number; buffer: number }[] = [];

const skip = skipWithoutPython();

describe('whole models train like Python torch, step by step', { skip }, () => {
  const data: Record<string, Record<string, Data>> = {};
  let py: PyRun[] = [];
  let dir = '';
  let threads = 0;

  before(() => {
    threads = torch.getNumThreads();
    torch.setNumThreads(1);
    dir = mkdtempSync(join(tmpdir(), 'torch-node-model-parity-'));
    const saved: Record<string, Record<string, unknown>> = {};
    for (const dtype of DTYPES) {
      data[dtype] = {};
      saved[dtype] = {};
      for (const [i, spec] of MODELS.entries()) {
        torch.manualSeed(1234 + i);
        const m = spec.make().to(dtype);
        const state = Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.detach().clone().keep()]));
        const xs: Tensor[] = [];
        const ys: Tensor[] = [];
        for (let s = 0; s < STEPS; s++) {
          xs.push(torch.randn(spec.input, { dtype }).keep());
          ys.push(torch.randint(spec.classes, [BATCH], { dtype: 'int64' }).keep());
        }
        (data[dtype] as Record<string, Data>)[spec.name] = { state, xs, ys };
        (saved[dtype] as Record<string, unknown>)[spec.name] = { state, xs, ys };
      }
    }
    const path = join(dir, 'inputs.pt');
    torch.save(saved, path);
    py = runPython<PyRun[]>(SCRIPT, {
      path,
      runs: runs.map(({ model, dtype, cfg }) => ({ model: model.name, dtype, cls: cfg.cls, opts: cfg.opts })),
    });
  });

  after(() => {
    torch.setNumThreads(threads || 1);
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (observed.length > 0) {
      const rows = observed.map(
        (o) =>
          `  ${o.model.padEnd(12)} ${o.opt.padEnd(8)} ${o.dtype.padEnd(8)} loss ${o.loss.toExponential(2).padStart(9)}` +
          `  params ${o.param.toExponential(2).padStart(9)}  buffers ${o.buffer.toExponential(2).padStart(9)}`,
      );
      console.log(`# max |TS - Python| over ${STEPS} steps\n${rows.join('\n')}`);
    }
  });

  runs.forEach(({ model, dtype, cfg }, k) => {
    test(`${model.name}, ${optName(cfg)}, ${dtype}: every loss and parameter after each of ${STEPS} steps`, () => {
      const theirs = py[k] as PyRun;
      const d = (data[dtype] as Record<string, Data>)[model.name] as Data;
      const tol = TOL[dtype];
      torch.manualSeed(0);
      const m = model.make().to(dtype);
      const { missingKeys, unexpectedKeys } = m.loadStateDict(d.state);
      assert.deepEqual([missingKeys, unexpectedKeys], [[], []]);
      m.train();
      const named = m.namedParameters();
      assert.deepEqual(
        named.map(([n]) => n),
        theirs.names,
        'parameter names and order',
      );
      const params = named.map(([, p]) => p);
      const opt = new CLASSES[cfg.cls](params, cfg.opts);
      // Every step is compared; the first one out of tolerance is reported after the run, so
      // that the table printed at the end shows how far the whole run drifted.
      let worstLoss = 0;
      let worstParam = 0;
      let firstFailure: string | null = null;
      for (let i = 0; i < STEPS; i++) {
        const loss = torch.scope(() => {
          opt.zeroGrad();
          const out = (m.forward as (x: Tensor) => Tensor)(d.xs[i] as Tensor);
          const l = nn.functional.crossEntropy(out, d.ys[i] as Tensor);
          l.backward();
          opt.step();
          return l.item() as number;
        });
        const dl = Math.abs(loss - (theirs.losses[i] as number));
        const dp = maxDiff(
          params.map((p) => p.toArray()),
          theirs.traj[i],
        );
        worstLoss = Math.max(worstLoss, dl);
        worstParam = Math.max(worstParam, dp);
        if (firstFailure === null && dl > tol)
          firstFailure = `step ${i + 1}: loss ${loss} vs Python's ${theirs.losses[i]} (|diff| ${dl} > ${tol})`;
        if (firstFailure === null && dp > tol)
          firstFailure = `step ${i + 1}: parameters differ by up to ${dp} > ${tol} (${worstTensor(named, theirs.traj[i] as Nested[])})`;
      }
      // BatchNorm's running statistics and batch counts, after the last step
      const buffers = Object.fromEntries(m.namedBuffers().map(([n, b]) => [n, b.toArray()]));
      assert.deepEqual(Object.keys(buffers), Object.keys(theirs.buffers), 'buffer names and order');
      const db = maxDiff(Object.values(buffers), Object.values(theirs.buffers));
      observed.push({ model: model.name, opt: cfg.cls, dtype, loss: worstLoss, param: worstParam, buffer: db });
      if (firstFailure !== null) assert.fail(firstFailure);
      assert.ok(db <= tol, `buffers differ by up to ${db} > ${tol} after step ${STEPS}`);
    });
  });
});

/** Names the parameter that differs most from Python's, for the failure message. */
function worstTensor(named: [string, Tensor][], theirs: Nested[]): string {
  let worst = '';
  let w = -1;
  named.forEach(([n, p], i) => {
    const d = maxDiff(p.toArray(), theirs[i]);
    if (d > w) {
      w = d;
      worst = n;
    }
  });
  return `worst: ${worst}, ${w}`;
}
