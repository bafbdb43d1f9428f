// Sparse gradients end to end against Python torch 2.13 (one Python run for the file):
// nn.Embedding / F.embedding / nn.EmbeddingBag with sparse=True give PyTorch's sparse COO
// gradient (same indices and values, uncoalesced as there), and optim.SGD and optim.Adagrad take
// them as PyTorch's do, on both their single-tensor and foreach paths (the weights after every
// step of a few steps). The optimizers that refuse sparse gradients raise PyTorch's words.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { assertClose } from '../optim/support.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const { nn, optim } = torch;
const F = nn.functional;
const skip = skipWithoutPython();

const W0 = [
  [0.5, -1.2, 2.0],
  [0.3, -0.7, 1.1],
  [-0.4, 0.9, 0.25],
  [1.5, 0.1, -0.6],
  [-1.0, 0.75, 0.2],
  [0.05, -0.3, 0.8],
];
// one batch of indices per step, with repeats (so the gradients are uncoalesced)
const BATCHES = [
  [1, 2, 1],
  [0, 5],
  [2, 2, 3, 1],
];
const STEPS = BATCHES.length;

interface Config {
  cls: 'SGD' | 'Adagrad';
  opts: Record<string, unknown>;
}
const CONFIGS: Config[] = [
  { cls: 'SGD', opts: { lr: 0.1 } },
  { cls: 'SGD', opts: { lr: 0.1, momentum: 0.9 } },
  { cls: 'SGD', opts: { lr: 0.1, momentum: 0.9, dampening: 0.2, maximize: true } },
  { cls: 'SGD', opts: { lr: 0.1, momentum: 0.5, nesterov: true } },
  { cls: 'SGD', opts: { lr: 0.1, momentum: 0.9, foreach: true } },
  { cls: 'SGD', opts: { lr: 0.1, maximize: true, foreach: true } },
  { cls: 'Adagrad', opts: { lr: 0.1 } },
  { cls: 'Adagrad', opts: { lr: 0.2, lrDecay: 0.1, initialAccumulatorValue: 0.5, eps: 1e-6 } },
  { cls: 'Adagrad', opts: { lr: 0.1, maximize: true } },
  { cls: 'Adagrad', opts: { lr: 0.1, foreach: true } },
];

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const pyOpts = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [snake(k), v]));

const PY = `
import torch.nn as nn
import torch.nn.functional as F
W0, BATCHES, CONFIGS = INPUT['W0'], INPUT['BATCHES'], INPUT['CONFIGS']
f64 = torch.float64
def grad_of(g):
    return {'layout': str(g.layout), 'indices': g._indices(), 'values': g._values(), 'size': list(g.shape)}
out = {}
e = nn.Embedding(6, 3, sparse=True).double()
with torch.no_grad(): e.weight.copy_(torch.tensor(W0, dtype=f64))
(e(torch.tensor([[1, 2], [1, 4]])) ** 2).sum().backward()
out['module'] = grad_of(e.weight.grad)
out['moduleRepr'] = repr(e)
w = torch.tensor(W0, dtype=f64, requires_grad=True)
(F.embedding(torch.tensor([3, 0, 3]), w, padding_idx=0, sparse=True) * torch.tensor([1.0, 2.0, 3.0], dtype=f64)).sum().backward()
out['functional'] = grad_of(w.grad)
b = nn.EmbeddingBag(6, 3, mode='sum', sparse=True).double()
with torch.no_grad(): b.weight.copy_(torch.tensor(W0, dtype=f64))
b(torch.tensor([1, 2, 1, 5]), torch.tensor([0, 2])).pow(2).sum().backward()
out['bag'] = grad_of(b.weight.grad)
runs = []
for cfg in CONFIGS:
    e = nn.Embedding(6, 3, sparse=True).double()
    with torch.no_grad(): e.weight.copy_(torch.tensor(W0, dtype=f64))
    opt = getattr(torch.optim, cfg['cls'])(e.parameters(), **cfg['opts'])
    weights = []
    for k, idx in enumerate(BATCHES):
        opt.zero_grad()
        (e(torch.tensor(idx)) ** 2 * (k + 1)).sum().backward()
        opt.step()
        weights.append(e.weight.detach().clone())
    st = opt.state[e.weight]
    extra = st.get('momentum_buffer', st.get('sum'))
    runs.append({'weights': weights, 'state': extra.to_dense() if extra is not None else None})
out['runs'] = runs
def err(f):
    try:
        f()
    except Exception as ex:
        return str(ex).split('\\n')[0]
    return None
def with_grad(cls, **kw):
    e = nn.Embedding(6, 3, sparse=True)
    e(torch.tensor([1])).sum().backward()
    return lambda: getattr(torch.optim, cls)(e.parameters(), **kw).step()
out['errors'] = {c: err(with_grad(c)) for c in ['Adam', 'AdamW', 'Adamax', 'RMSprop', 'Rprop', 'NAdam', 'RAdam', 'Adadelta', 'ASGD']}
out['adagradWd'] = err(with_grad('Adagrad', weight_decay=0.1))
OUTPUT = out
`;

interface GradOut {
  layout: string;
  indices: number[][];
  values: number[][];
  size: number[];
}
interface PyOut {
  module: GradOut;
  moduleRepr: string;
  functional: GradOut;
  bag: GradOut;
  runs: { weights: number[][][]; state: number[][] | null }[];
  errors: Record<string, string>;
  adagradWd: string;
}

function assertGrad(g: torch.Tensor | null, exp: GradOut, what: string): void {
  assert.ok(g !== null, `${what}: no gradient`);
  assert.equal(`torch.${g.layout}`, exp.layout, `${what}: layout`);
  assert.deepEqual(g.shape, exp.size, `${what}: size`);
  assert.deepEqual(g._indices().toArray(), exp.indices, `${what}: indices`);
  assertClose(g._values(), exp.values, 1e-12, `${what}: values`);
}

function embedding(): torch.nn.Embedding {
  const e = new nn.Embedding(6, 3, { sparse: true, dtype: 'float64' });
  torch.noGrad(() => e.weight.copy_(torch.tensor(W0, { dtype: 'float64' })));
  return e;
}

describe('sparse gradients against Python torch', { skip }, () => {
  let py: PyOut;
  before(() => {
    py = runPython<PyOut>(PY, {
      W0,
      BATCHES,
      CONFIGS: CONFIGS.map((c) => ({ cls: c.cls, opts: pyOpts(c.opts) })),
    });
  });

  test('nn.Embedding, F.embedding and nn.EmbeddingBag give PyTorch sparse gradients', () => {
    const e = embedding();
    e.forward(
      torch.tensor([
        [1, 2],
        [1, 4],
      ]),
    )
      .pow(2)
      .sum()
      .backward();
    assertGrad(e.weight.grad, py.module, 'Embedding');
    assert.equal(String(e), py.moduleRepr);

    const w = torch.tensor(W0, { dtype: 'float64', requiresGrad: true });
    F.embedding(torch.tensor([3, 0, 3]), w, { paddingIdx: 0, sparse: true })
      .mul(torch.tensor([1, 2, 3], { dtype: 'float64' }))
      .sum()
      .backward();
    assertGrad(w.grad, py.functional, 'F.embedding');

    const b = new nn.EmbeddingBag(6, 3, { mode: 'sum', sparse: true, dtype: 'float64' });
    torch.noGrad(() => b.weight.copy_(torch.tensor(W0, { dtype: 'float64' })));
    b.forward(torch.tensor([1, 2, 1, 5]), torch.tensor([0, 2]))
      .pow(2)
      .sum()
      .backward();
    assertGrad(b.weight.grad, py.bag, 'EmbeddingBag');
  });

  CONFIGS.forEach((cfg, n) => {
    test(`${cfg.cls} ${JSON.stringify(cfg.opts)} takes sparse gradients as PyTorch does`, () => {
      const e = embedding();
      const Cls = optim[cfg.cls] as unknown as new (p: Iterable<torch.Tensor>, o: unknown) => torch.optim.Optimizer;
      const opt = new Cls(e.parameters(), cfg.opts);
      const run = py.runs[n] as PyOut['runs'][number];
      for (let k = 0; k < STEPS; k++) {
        opt.zeroGrad();
        e.forward(torch.tensor(BATCHES[k] as number[]))
          .pow(2)
          .mul(k + 1)
          .sum()
          .backward();
        assert.ok(e.weight.grad?.isSparse, 'the gradient is sparse');
        opt.step();
        assertClose(e.weight.detach(), run.weights[k], 1e-12, `step ${k + 1}`);
      }
      const state = (opt.state.get(e.weight) ?? {}) as Record<string, torch.Tensor | undefined>;
      const extra = state.momentumBuffer ?? state.sum;
      if (run.state === null) assert.equal(extra, undefined);
      else assertClose((extra as torch.Tensor).toDense(), run.state, 1e-12, 'state');
    });
  });

  test('the other optimizers refuse sparse gradients with PyTorch words', () => {
    for (const [cls, message] of Object.entries(py.errors)) {
      const e = new nn.Embedding(6, 3, { sparse: true });
      e.forward(torch.tensor([1]))
        .sum()
        .backward();
      const before = e.weight.detach().clone();
      const Cls = (optim as unknown as Record<string, new (p: unknown) => torch.optim.Optimizer>)[cls];
      assert.ok(Cls, cls);
      assert.throws(() => new Cls(e.parameters()).step(), { message: `${cls}.step: ${message}` });
      assert.ok(e.weight.detach().equal(before), `${cls} left the weight unchanged`);
    }
    const e = new nn.Embedding(6, 3, { sparse: true });
    e.forward(torch.tensor([1]))
      .sum()
      .backward();
    assert.throws(() => new optim.Adagrad(e.parameters(), { weightDecay: 0.1 }).step(), {
      message: `Adagrad.step: ${py.adagradWd}`,
    });
  });
});

describe('sparse gradients: beyond PyTorch', () => {
  test('clipGradNorm_ takes a sparse gradient (PyTorch 2.13 raises NotImplementedError there)', () => {
    // rows 1 looked up twice: the gradient's values are [1, 1] twice, row 1 of its dense form
    // [2, 2], norm sqrt(8); clipped to norm 1 it becomes [1, 1] / sqrt(2) (less PyTorch's 1e-6)
    const e = new nn.Embedding(4, 2, { sparse: true, dtype: 'float64' });
    e.forward(torch.tensor([1, 1]))
      .sum()
      .backward();
    const norm = nn.utils.clipGradNorm_(e.parameters(), 1);
    assertClose(norm, Math.sqrt(8), 1e-12);
    const g = e.weight.grad as torch.Tensor;
    assert.ok(g.isSparse);
    const c = 1 / (Math.sqrt(8) + 1e-6);
    assertClose(
      g.toDense(),
      [
        [0, 0],
        [2 * c, 2 * c],
        [0, 0],
        [0, 0],
      ],
      1e-12,
    );
  });

  test('LBFGS makes a sparse gradient dense, as PyTorch does: the same steps as with a dense Embedding', () => {
    const run = (sparse: boolean): number[][] => {
      torch.manualSeed(3);
      const e = new nn.Embedding(5, 3, { sparse, dtype: 'float64' });
      const idx = torch.tensor([0, 2, 2, 4]);
      const target = torch.tensor([1, -1, 0.5, 2], { dtype: 'float64' });
      const opt = new optim.LBFGS(e.parameters(), { lr: 0.5, maxIter: 5 });
      opt.step(() => {
        opt.zeroGrad();
        const loss = e.forward(idx).sum(1).sub(target).square().sum();
        loss.backward();
        return loss.item();
      });
      return e.weight.toArray() as number[][];
    };
    const dense = run(false);
    assert.deepEqual(run(true), dense);
    torch.manualSeed(3);
    assert.notDeepEqual(
      dense,
      new nn.Embedding(5, 3, { dtype: 'float64' }).weight.toArray(),
      'the step moved the weights',
    );
  });

  test('zeroGrad keeps a sparse gradient sparse, with no entries', () => {
    const e = new nn.Embedding(4, 2, { sparse: true });
    e.forward(torch.tensor([1, 3]))
      .sum()
      .backward();
    const opt = new optim.SGD(e.parameters(), { lr: 0.1 });
    opt.zeroGrad({ setToNone: false });
    const g = e.weight.grad as torch.Tensor;
    assert.equal(g.layout, 'sparse_coo');
    assert.equal(g._nnz(), 0);
  });
});
