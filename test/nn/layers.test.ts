// Every layer against PyTorch's: the same weights (ours, loaded into Python's module), the same
// inputs, then outputs, input gradients, parameter gradients, state after the forward pass
// (BatchNorm's running statistics) and the printed repr must agree.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const nn = torch.nn;
type Module = torch.nn.Module;

interface Case {
  name: string;
  /** Builds our module; `py` builds Python's (an expression over `nn`, `torch`). */
  make: () => Module;
  py: string;
  /** Input shapes (float64 randn), or explicit tensors. */
  inputs: (number[] | (() => torch.Tensor))[];
  /** Calls our module; default forward(...inputs). Python's `call` likewise. */
  call?: (m: Module, xs: torch.Tensor[]) => torch.Tensor;
  pyCall?: string;
  train?: boolean;
  /** Skip comparing the repr (modules whose Python repr is not ours to match). */
  noRepr?: boolean;
}

const idx = (values: number[], shape?: number[]) => () =>
  torch.tensor(values, { dtype: 'int64' }).reshape(shape ?? [values.length]);

const cases: Case[] = [
  { name: 'Linear', make: () => new nn.Linear(5, 3), py: 'nn.Linear(5, 3)', inputs: [[4, 5]] },
  {
    name: 'Linear no bias, 3-D input',
    make: () => new nn.Linear(5, 3, { bias: false }),
    py: 'nn.Linear(5, 3, bias=False)',
    inputs: [[2, 4, 5]],
  },
  {
    name: 'Bilinear',
    make: () => new nn.Bilinear(3, 4, 2),
    py: 'nn.Bilinear(3, 4, 2)',
    inputs: [
      [5, 3],
      [5, 4],
    ],
  },
  {
    name: 'Conv1d',
    make: () => new nn.Conv1d(2, 3, 3, { stride: 2, padding: 1 }),
    py: 'nn.Conv1d(2, 3, 3, stride=2, padding=1)',
    inputs: [[2, 2, 9]],
  },
  {
    name: 'Conv2d',
    make: () => new nn.Conv2d(3, 4, 3, { padding: 1 }),
    py: 'nn.Conv2d(3, 4, 3, padding=1)',
    inputs: [[2, 3, 6, 6]],
  },
  {
    name: 'Conv2d groups, dilation, stride',
    make: () => new nn.Conv2d(4, 6, [3, 2], { groups: 2, dilation: 2, stride: [1, 2], bias: false }),
    py: 'nn.Conv2d(4, 6, (3, 2), groups=2, dilation=2, stride=(1, 2), bias=False)',
    inputs: [[1, 4, 9, 9]],
  },
  {
    name: "Conv2d padding 'same' (even kernel)",
    make: () => new nn.Conv2d(2, 2, 4, { padding: 'same' }),
    py: "nn.Conv2d(2, 2, 4, padding='same')",
    inputs: [[1, 2, 7, 7]],
  },
  {
    name: 'Conv2d reflect padding',
    make: () => new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: 'reflect' }),
    py: "nn.Conv2d(2, 3, 3, padding=1, padding_mode='reflect')",
    inputs: [[1, 2, 5, 5]],
  },
  {
    name: 'ConvTranspose2d',
    make: () => new nn.ConvTranspose2d(3, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }),
    py: 'nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1)',
    inputs: [[2, 3, 4, 4]],
  },
  {
    name: 'BatchNorm1d train',
    make: () => new nn.BatchNorm1d(3),
    py: 'nn.BatchNorm1d(3)',
    inputs: [[6, 3]],
    train: true,
  },
  {
    name: 'BatchNorm2d train',
    make: () => new nn.BatchNorm2d(3, { momentum: 0.3 }),
    py: 'nn.BatchNorm2d(3, momentum=0.3)',
    inputs: [[4, 3, 2, 2]],
    train: true,
  },
  {
    name: 'BatchNorm2d cumulative average',
    make: () => new nn.BatchNorm2d(2, { momentum: null }),
    py: 'nn.BatchNorm2d(2, momentum=None)',
    inputs: [[3, 2, 2, 2]],
    train: true,
  },
  { name: 'BatchNorm2d eval', make: () => new nn.BatchNorm2d(3), py: 'nn.BatchNorm2d(3)', inputs: [[2, 3, 2, 2]] },
  { name: 'LayerNorm', make: () => new nn.LayerNorm([4, 5]), py: 'nn.LayerNorm([4, 5])', inputs: [[3, 4, 5]] },
  { name: 'GroupNorm', make: () => new nn.GroupNorm(2, 4), py: 'nn.GroupNorm(2, 4)', inputs: [[3, 4, 3, 3]] },
  {
    name: 'Embedding with paddingIdx',
    make: () => new nn.Embedding(6, 3, { paddingIdx: 0 }),
    py: 'nn.Embedding(6, 3, padding_idx=0)',
    inputs: [idx([0, 2, 5, 2, 0, 1], [2, 3])],
  },
  { name: 'MaxPool2d', make: () => new nn.MaxPool2d(2), py: 'nn.MaxPool2d(2)', inputs: [[2, 2, 6, 6]] },
  {
    name: 'MaxPool2d stride, padding, ceil',
    make: () => new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
    py: 'nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)',
    inputs: [[1, 2, 7, 7]],
  },
  {
    name: 'AvgPool2d',
    make: () => new nn.AvgPool2d(2, { padding: 1 }),
    py: 'nn.AvgPool2d(2, padding=1)',
    inputs: [[1, 2, 5, 5]],
  },
  {
    name: 'AdaptiveAvgPool2d',
    make: () => new nn.AdaptiveAvgPool2d([2, 3]),
    py: 'nn.AdaptiveAvgPool2d((2, 3))',
    inputs: [[2, 2, 5, 7]],
  },
  { name: 'Flatten', make: () => new nn.Flatten(), py: 'nn.Flatten()', inputs: [[2, 3, 4]] },
  { name: 'ReLU', make: () => new nn.ReLU(), py: 'nn.ReLU()', inputs: [[10]] },
  {
    name: 'GELU tanh',
    make: () => new nn.GELU({ approximate: 'tanh' }),
    py: "nn.GELU(approximate='tanh')",
    inputs: [[10]],
  },
  { name: 'SiLU', make: () => new nn.SiLU(), py: 'nn.SiLU()', inputs: [[10]] },
  { name: 'Sigmoid', make: () => new nn.Sigmoid(), py: 'nn.Sigmoid()', inputs: [[10]] },
  { name: 'Tanh', make: () => new nn.Tanh(), py: 'nn.Tanh()', inputs: [[10]] },
  {
    name: 'LeakyReLU',
    make: () => new nn.LeakyReLU({ negativeSlope: 0.2 }),
    py: 'nn.LeakyReLU(negative_slope=0.2)',
    inputs: [[10]],
  },
  { name: 'Softmax', make: () => new nn.Softmax(1), py: 'nn.Softmax(dim=1)', inputs: [[3, 4]] },
  {
    name: 'Sequential',
    make: () => new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2)),
    py: 'nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))',
    inputs: [[3, 4]],
  },
  {
    name: 'MultiheadAttention with weights and masks',
    make: () => new nn.MultiheadAttention(8, 2),
    py: 'nn.MultiheadAttention(8, 2)',
    inputs: [
      [5, 2, 8],
      [4, 2, 8],
      [4, 2, 8],
    ],
    call: (m, [q, k, v]) =>
      (m as torch.nn.MultiheadAttention).forward(q as torch.Tensor, k as torch.Tensor, v as torch.Tensor, {
        keyPaddingMask: torch.tensor([
          [false, false, false, true],
          [false, true, false, false],
        ]),
      })[0],
    pyCall: 'm(*xs, key_padding_mask=torch.tensor([[False, False, False, True], [False, True, False, False]]))[0]',
    noRepr: true,
  },
  {
    name: 'MultiheadAttention self-attention, batch first, no weights, causal mask',
    make: () => new nn.MultiheadAttention(8, 4, { batchFirst: true }),
    py: 'nn.MultiheadAttention(8, 4, batch_first=True)',
    inputs: [[2, 5, 8]],
    call: (m, [x]) =>
      (m as torch.nn.MultiheadAttention).forward(x as torch.Tensor, x as torch.Tensor, x as torch.Tensor, {
        needWeights: false,
        attnMask: torch.ones([5, 5], { dtype: 'bool' }).triu(1),
      })[0],
    pyCall: 'm(xs[0], xs[0], xs[0], need_weights=False, attn_mask=torch.ones(5, 5, dtype=torch.bool).triu(1))[0]',
    noRepr: true,
  },
  {
    name: 'TransformerEncoderLayer',
    make: () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 }),
    py: 'nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)',
    inputs: [[5, 3, 8]],
    train: true,
    noRepr: true,
  },
  {
    name: 'TransformerEncoderLayer norm first, gelu, batch first',
    make: () =>
      new nn.TransformerEncoderLayer(8, 2, {
        dimFeedforward: 12,
        dropout: 0,
        normFirst: true,
        activation: 'gelu',
        batchFirst: true,
      }),
    py: "nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, dropout=0.0, norm_first=True, activation='gelu', batch_first=True)",
    inputs: [[3, 5, 8]],
    train: true,
    noRepr: true,
  },
  {
    name: 'CrossEntropyLoss with weight and label smoothing',
    make: () =>
      new nn.CrossEntropyLoss({ weight: torch.tensor([1, 2, 0.5], { dtype: 'float64' }), labelSmoothing: 0.1 }),
    py: 'nn.CrossEntropyLoss(weight=torch.tensor([1, 2, 0.5], dtype=torch.float64), label_smoothing=0.1)',
    inputs: [[4, 3], idx([0, 2, 1, 2])],
  },
  {
    name: 'NLLLoss',
    make: () => new nn.NLLLoss({ ignoreIndex: 1 }),
    py: 'nn.NLLLoss(ignore_index=1)',
    inputs: [[4, 3], idx([0, 2, 1, 2])],
  },
  {
    name: 'MSELoss',
    make: () => new nn.MSELoss(),
    py: 'nn.MSELoss()',
    inputs: [
      [4, 3],
      [4, 3],
    ],
  },
  {
    name: 'L1Loss sum',
    make: () => new nn.L1Loss({ reduction: 'sum' }),
    py: "nn.L1Loss(reduction='sum')",
    inputs: [
      [4, 3],
      [4, 3],
    ],
  },
  {
    name: 'BCEWithLogitsLoss',
    make: () => new nn.BCEWithLogitsLoss({ posWeight: torch.tensor([2, 0.5, 1], { dtype: 'float64' }) }),
    py: 'nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2, 0.5, 1], dtype=torch.float64))',
    inputs: [[4, 3], () => torch.rand([4, 3], { dtype: 'float64' })],
  },
];

interface PyResult {
  out: unknown;
  inputGrads: (unknown | null)[];
  paramGrads: Record<string, unknown>;
  state: Record<string, unknown>;
  repr: string;
}

const PY = `
import torch.nn as nn
results = []
for c in INPUT:
    torch.manual_seed(0)
    m = eval(c['py']).double()
    sd = {k: torch.tensor(v['data'], dtype=getattr(torch, v['dtype'])) for k, v in c['state'].items()}
    m.load_state_dict(sd)
    m.train(c['train'])
    xs = []
    for x in c['inputs']:
        t = torch.tensor(x['data'], dtype=getattr(torch, x['dtype']))
        if t.is_floating_point() and c['gradInputs']: t.requires_grad_(True)
        xs.append(t)
    out = eval(c['pyCall']) if c['pyCall'] else m(*xs)
    w = torch.tensor(c['outWeight'], dtype=out.dtype).reshape(out.shape)
    (out * w).sum().backward()
    results.append({
        'out': out,
        'inputGrads': [x.grad if x.grad is not None else None for x in xs],
        'paramGrads': {n: p.grad for n, p in m.named_parameters() if p.grad is not None},
        'state': m.state_dict(),
        'repr': repr(m),
    })
OUTPUT = results
`;

function close(actual: unknown, expected: unknown, what: string): void {
  const a = (actual as number[]).flat?.(10) ?? [actual];
  const e = (expected as number[]).flat?.(10) ?? [expected];
  assert.equal(a.length, e.length, `${what}: ${a.length} values vs PyTorch's ${e.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(e[i]);
    if (Number.isNaN(y) && Number.isNaN(x)) continue;
    worst = Math.max(worst, Math.abs(x - y) / Math.max(1, Math.abs(y)));
  }
  assert.ok(worst < 1e-10, `${what}: max relative difference ${worst}`);
}

describe('nn layers against PyTorch (float64)', { skip: skipWithoutPython() }, () => {
  const ours: { out: torch.Tensor; inputs: torch.Tensor[]; module: Module }[] = [];
  let theirs: PyResult[] = [];

  before(() => {
    const payload = cases.map((c, i) => {
      torch.manualSeed(100 + i);
      const m = c.make().double();
      m.train(c.train ?? false);
      const inputs = c.inputs.map((s) => (typeof s === 'function' ? s() : torch.randn(s, { dtype: 'float64' })));
      const grad = inputs.map((x) => (x.dtype === 'float64' ? x.requiresGrad_() : x));
      const state = Object.fromEntries(
        Object.entries(m.stateDict()).map(([k, v]) => [k, { data: v.toArray(), dtype: v.dtype }]),
      );
      const out = c.call ? c.call(m, grad) : (m.forward as (...a: torch.Tensor[]) => torch.Tensor)(...grad);
      const outWeight = torch.randn([out.numel()], { dtype: 'float64' });
      out.mul(outWeight.reshape(out.shape)).sum().backward();
      ours.push({ out, inputs: grad, module: m });
      return {
        py: c.py,
        pyCall: c.pyCall ?? null,
        train: c.train ?? false,
        state,
        inputs: inputs.map((x) => ({ data: x.toArray(), dtype: x.dtype })),
        gradInputs: true,
        outWeight: outWeight.toArray(),
      };
    });
    theirs = runPython<PyResult[]>(PY, payload);
  });

  cases.forEach((c, i) => {
    test(c.name, () => {
      const o = ours[i];
      const t = theirs[i];
      assert.ok(o && t);
      close(o.out.toArray(), t.out, 'output');
      o.inputs.forEach((x, k) => {
        if (x.dtype !== 'float64') return;
        close(x.grad?.toArray(), t.inputGrads[k], `grad of input ${k}`);
      });
      const grads = Object.fromEntries(o.module.namedParameters().map(([n, p]) => [n, p.grad?.toArray()]));
      assert.deepEqual(Object.keys(grads).sort(), Object.keys(t.paramGrads).sort(), 'parameters with gradients');
      for (const [n, g] of Object.entries(grads)) close(g, t.paramGrads[n], `grad of ${n}`);
      const state = o.module.stateDict();
      assert.deepEqual(Object.keys(state), Object.keys(t.state), 'state dict keys and order');
      for (const [k, v] of Object.entries(state)) close(v.toArray(), t.state[k], `state ${k}`);
      if (!c.noRepr) assert.equal(String(o.module), t.repr);
    });
  });
});

describe('default initialisation follows PyTorch', () => {
  test('Linear and Conv2d draw weights and biases within ±1/√fanIn', () => {
    const lin = new nn.Linear(400, 50);
    assert.ok((lin.weight.abs().max().item() as number) <= 1 / Math.sqrt(400));
    assert.ok((lin.weight.abs().max().item() as number) > 0.9 / Math.sqrt(400), 'and fill that range');
    assert.ok((lin.bias?.abs().max().item() as number) <= 1 / Math.sqrt(400));
    const conv = new nn.Conv2d(8, 16, 3);
    assert.ok((conv.weight.abs().max().item() as number) <= 1 / Math.sqrt(72));
  });

  test('init functions: gains, fans, and distributions', () => {
    assert.equal(nn.init.calculateGain('relu'), Math.SQRT2);
    assert.equal(nn.init.calculateGain('tanh'), 5 / 3);
    assert.equal(nn.init.calculateGain('leaky_relu', 0.2), Math.sqrt(2 / 1.04));
    assert.deepEqual(nn.init.calculateFanInAndFanOut(torch.empty([16, 8, 3, 3])), [72, 144]);
    assert.throws(() => nn.init.calculateFanInAndFanOut(torch.empty([3])), /fewer than 2 dimensions/);
    torch.manualSeed(0);
    const w = torch.empty([500, 400]);
    nn.init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' });
    assert.ok(Math.abs((w.std().item() as number) - Math.sqrt(2 / 500)) < 0.002);
    nn.init.xavierUniform_(w);
    assert.ok((w.abs().max().item() as number) <= Math.sqrt(6 / 900));
    nn.init.truncNormal_(w, { std: 0.02, a: -0.03, b: 0.03 });
    assert.ok((w.abs().max().item() as number) <= 0.03);
    const q = torch.empty([6, 4]);
    nn.init.orthogonal_(q);
    const qtq = q.t().matmul(q);
    assert.ok((qtq.sub(torch.eye(4)).abs().max().item() as number) < 1e-5, 'orthonormal columns');
    nn.init.constant_(q, 3);
    assert.equal(q.sum().item(), 72);
  });
});
