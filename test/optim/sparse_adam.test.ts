// optim.SparseAdam against Python torch 2.13 (one Python run for the file): an nn.Embedding
// with sparse gradients trained a few steps (repeated indices, rows that skip steps, maximize,
// two param groups), comparing the weights after every step and the moments and step count at
// the end; then its checks, with PyTorch's words.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from '../support/python.js';
import { assertClose } from './support.js';

const { nn, optim } = torch;
const skip = skipWithoutPython();

const W0 = [
  [0.5, -1.2, 2.0],
  [0.3, -0.7, 1.1],
  [-0.4, 0.9, 0.25],
  [1.5, 0.1, -0.6],
  [-1.0, 0.75, 0.2],
];
// row 4 never appears; row 0 only at the second step (its moments must not decay meanwhile)
const BATCHES = [[1, 2, 1], [0, 3], [2, 2, 3, 1], [1]];

const CONFIGS: Record<string, unknown>[] = [
  {},
  { lr: 0.05, betas: [0.8, 0.95], eps: 1e-6 },
  { lr: 0.02, maximize: true },
];

const PY = `
import torch.nn as nn
W0, BATCHES, CONFIGS = INPUT['W0'], INPUT['BATCHES'], INPUT['CONFIGS']
f64 = torch.float64
def embedding():
    e = nn.Embedding(5, 3, sparse=True).double()
    with torch.no_grad(): e.weight.copy_(torch.tensor(W0, dtype=f64))
    return e
def train(opt, modules):
    weights = []
    for k, idx in enumerate(BATCHES):
        opt.zero_grad()
        loss = sum((m(torch.tensor(idx)) ** 2 * (k + 1) - m(torch.tensor(idx))).sum() for m in modules)
        loss.backward()
        opt.step()
        weights.append([m.weight.detach().clone() for m in modules])
    return weights
runs = []
for cfg in CONFIGS:
    if 'betas' in cfg: cfg['betas'] = tuple(cfg['betas'])
    e = embedding()
    opt = torch.optim.SparseAdam(e.parameters(), **cfg)
    weights = train(opt, [e])
    st = opt.state[e.weight]
    runs.append({'weights': weights, 'step': st['step'], 'expAvg': st['exp_avg'], 'expAvgSq': st['exp_avg_sq']})
a, b = embedding(), embedding()
opt = torch.optim.SparseAdam([{'params': a.parameters()}, {'params': b.parameters(), 'lr': 0.1, 'betas': (0.5, 0.9)}], lr=0.01)
groups = train(opt, [a, b])
def err(f):
    try:
        f()
    except Exception as ex:
        return str(ex).split('\\n')[0]
    return None
def dense_step():
    w = torch.zeros(3, requires_grad=True)
    w.sum().backward()
    torch.optim.SparseAdam([w]).step()
OUTPUT = {'runs': runs, 'groups': groups, 'dense': err(dense_step),
          'sparseParam': err(lambda: torch.optim.SparseAdam([torch.zeros(2), torch.zeros(2).to_sparse()])),
          'complexParam': err(lambda: torch.optim.SparseAdam([torch.zeros(2, dtype=torch.complex64)]))}
`;

interface PyOut {
  runs: { weights: number[][][][]; step: number; expAvg: number[][]; expAvgSq: number[][] }[];
  groups: number[][][][];
  dense: string;
  sparseParam: string;
  complexParam: string;
}

function embedding(): torch.nn.Embedding {
  const e = new nn.Embedding(5, 3, { sparse: true, dtype: 'float64' });
  torch.noGrad(() => e.weight.copy_(torch.tensor(W0, { dtype: 'float64' })));
  return e;
}

function train(opt: torch.optim.Optimizer, modules: torch.nn.Embedding[], expected: number[][][][]): void {
  BATCHES.forEach((idx, k) => {
    opt.zeroGrad();
    let loss: torch.Tensor | null = null;
    for (const m of modules) {
      const term = m
        .forward(torch.tensor(idx))
        .pow(2)
        .mul(k + 1)
        .sub(m.forward(torch.tensor(idx)))
        .sum();
      loss = loss === null ? term : loss.add(term);
    }
    (loss as torch.Tensor).backward();
    opt.step();
    modules.forEach((m, j) => {
      assertClose(m.weight.detach(), expected[k]?.[j], 1e-12, `step ${k + 1}, module ${j}`);
    });
  });
}

describe('optim.SparseAdam against Python torch', { skip }, () => {
  let py: PyOut;
  before(() => {
    py = runPython<PyOut>(PY, { W0, BATCHES, CONFIGS });
  });

  CONFIGS.forEach((cfg, n) => {
    test(`SparseAdam ${JSON.stringify(cfg)}: weights after every step, moments and step`, () => {
      const e = embedding();
      const opt = new optim.SparseAdam(e.parameters(), cfg);
      const run = py.runs[n] as PyOut['runs'][number];
      train(opt, [e], run.weights);
      const state = opt.state.get(e.weight) as torch.optim.SparseAdamState;
      assert.equal(state.step, run.step);
      assertClose(state.expAvg, run.expAvg, 1e-12, 'exp_avg');
      assertClose(state.expAvgSq, run.expAvgSq, 1e-12, 'exp_avg_sq');
    });
  });

  test('param groups with options of their own', () => {
    const a = embedding();
    const b = embedding();
    const opt = new optim.SparseAdam(
      [{ params: a.parameters() }, { params: b.parameters(), lr: 0.1, betas: [0.5, 0.9] }],
      { lr: 0.01 },
    );
    train(opt, [a, b], py.groups);
  });

  test('checks, with PyTorch words', () => {
    const w = torch.zeros([3], { requiresGrad: true });
    w.sum().backward();
    assert.throws(() => new optim.SparseAdam([w]).step(), { message: `SparseAdam.step: ${py.dense}` });
    assert.throws(() => new optim.SparseAdam([torch.zeros([2]), torch.zeros([2]).toSparse()]), {
      message: `SparseAdam: ${py.sparseParam}`,
    });
    assert.throws(() => new optim.SparseAdam([torch.zeros([2], { dtype: 'complex64' })]), {
      message: `SparseAdam: ${py.complexParam}`,
    });
    assert.throws(() => new optim.SparseAdam([w], { lr: 0 }), /^Error: SparseAdam: invalid learning rate: 0/);
    assert.throws(() => new optim.SparseAdam([w], { eps: -1 }), /^Error: SparseAdam: invalid epsilon value: -1/);
    assert.throws(() => new optim.SparseAdam([w], { betas: [1, 0.9] }), /invalid beta parameter at index 0: 1/);
  });
});

describe('optim.SparseAdam: state dict', () => {
  test('step is a number and round-trips through stateDict/loadStateDict', () => {
    const e = embedding();
    const opt = new optim.SparseAdam(e.parameters(), { lr: 0.1 });
    e.forward(torch.tensor([1, 3]))
      .sum()
      .backward();
    opt.step();
    const sd = opt.stateDict();
    assert.equal((sd.state[0] as Record<string, unknown>).step, 1);
    assert.ok('exp_avg' in (sd.state[0] as object) && 'exp_avg_sq' in (sd.state[0] as object));
    const other = new optim.SparseAdam(embedding().parameters(), { lr: 0.1 });
    other.loadStateDict(sd);
    const st = [...other.state.values()][0] as torch.optim.SparseAdamState;
    assert.equal(st.step, 1);
    // only rows 1 and 3 moved
    const moved = e.weight
      .detach()
      .sub(torch.tensor(W0, { dtype: 'float64' }))
      .abs()
      .sum(1)
      .gt(0);
    assert.deepEqual(moved.toArray(), [false, true, false, true, false]);
  });
});
