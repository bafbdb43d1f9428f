// nn.RNN, LSTM, GRU and their cells against PyTorch's (float64): the initial weights from the
// same seed, the state dict's keys and order, the outputs and final states, the gradients of the
// input, the given states and every parameter, the repr, dropout while training (same seed, same
// masks), and the messages of bad shapes.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const nn = torch.nn;
type Tensor = torch.Tensor;
type Module = torch.nn.Module;

/** seq: RNN/GRU (x, hx) -> [out, h]; lstm: (x, [h, c]) -> [out, [h, c]]; cell: (x, hx) -> h; lstmcell: (x, [h, c]) -> [h, c]. */
type Kind = 'seq' | 'lstm' | 'cell' | 'lstmcell';

interface Case {
  name: string;
  kind: Kind;
  make: () => Module;
  /** Python's constructor, an expression over `nn`. */
  py: string;
  input: number[];
  /** Shapes of the given states (hx, or [h_0, c_0]); none: the module's zeros. */
  hx?: number[][];
  train?: boolean;
  /** Seeds the generator right before forward (dropout's masks) on both sides. */
  forwardSeed?: number;
}

const cases: Case[] = [
  { name: 'RNN', kind: 'seq', make: () => new nn.RNN(3, 4), py: 'nn.RNN(3, 4)', input: [5, 2, 3] },
  {
    name: 'RNN relu, 2 layers, no bias, given hx',
    kind: 'seq',
    make: () => new nn.RNN(3, 4, { nonlinearity: 'relu', numLayers: 2, bias: false }),
    py: "nn.RNN(3, 4, nonlinearity='relu', num_layers=2, bias=False)",
    input: [5, 2, 3],
    hx: [[2, 2, 4]],
  },
  {
    name: 'RNN bidirectional, batch first, 2 layers',
    kind: 'seq',
    make: () => new nn.RNN(3, 5, { numLayers: 2, bidirectional: true, batchFirst: true }),
    py: 'nn.RNN(3, 5, num_layers=2, bidirectional=True, batch_first=True)',
    input: [2, 6, 3],
    hx: [[4, 2, 5]],
  },
  {
    name: 'RNN unbatched with hx',
    kind: 'seq',
    make: () => new nn.RNN(3, 4, { bidirectional: true }),
    py: 'nn.RNN(3, 4, bidirectional=True)',
    input: [5, 3],
    hx: [[2, 4]],
  },
  { name: 'LSTM', kind: 'lstm', make: () => new nn.LSTM(3, 4), py: 'nn.LSTM(3, 4)', input: [5, 2, 3] },
  {
    name: 'LSTM 2 layers, bidirectional, given hx',
    kind: 'lstm',
    make: () => new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true }),
    py: 'nn.LSTM(3, 4, num_layers=2, bidirectional=True)',
    input: [4, 3, 3],
    hx: [
      [4, 3, 4],
      [4, 3, 4],
    ],
  },
  {
    name: 'LSTM projSize, 2 layers, bidirectional, batch first, given hx',
    kind: 'lstm',
    make: () => new nn.LSTM(3, 5, { projSize: 2, numLayers: 2, bidirectional: true, batchFirst: true }),
    py: 'nn.LSTM(3, 5, proj_size=2, num_layers=2, bidirectional=True, batch_first=True)',
    input: [2, 4, 3],
    hx: [
      [4, 2, 2],
      [4, 2, 5],
    ],
  },
  {
    name: 'LSTM projSize, no bias',
    kind: 'lstm',
    make: () => new nn.LSTM(4, 6, { projSize: 3, bias: false }),
    py: 'nn.LSTM(4, 6, proj_size=3, bias=False)',
    input: [3, 2, 4],
  },
  {
    name: 'LSTM unbatched, batch first, with hx',
    kind: 'lstm',
    make: () => new nn.LSTM(3, 4, { batchFirst: true, numLayers: 2 }),
    py: 'nn.LSTM(3, 4, batch_first=True, num_layers=2)',
    input: [5, 3],
    hx: [
      [2, 4],
      [2, 4],
    ],
  },
  {
    name: 'LSTM unbatched without hx',
    kind: 'lstm',
    make: () => new nn.LSTM(3, 4, { projSize: 2 }),
    py: 'nn.LSTM(3, 4, proj_size=2)',
    input: [5, 3],
  },
  { name: 'GRU', kind: 'seq', make: () => new nn.GRU(3, 4), py: 'nn.GRU(3, 4)', input: [5, 2, 3] },
  {
    name: 'GRU 2 layers, bidirectional, batch first, no bias, given hx',
    kind: 'seq',
    make: () => new nn.GRU(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true, bias: false }),
    py: 'nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True, bias=False)',
    input: [3, 5, 3],
    hx: [[4, 3, 4]],
  },
  {
    name: 'GRU unbatched',
    kind: 'seq',
    make: () => new nn.GRU(3, 4, { numLayers: 3 }),
    py: 'nn.GRU(3, 4, num_layers=3)',
    input: [6, 3],
  },
  {
    name: 'GRU dropout in eval mode (no dropout)',
    kind: 'seq',
    make: () => new nn.GRU(3, 4, { numLayers: 2, dropout: 0.5 }),
    py: 'nn.GRU(3, 4, num_layers=2, dropout=0.5)',
    input: [5, 2, 3],
  },
  {
    name: 'LSTM dropout while training (same seed, same masks)',
    kind: 'lstm',
    make: () => new nn.LSTM(3, 4, { numLayers: 3, dropout: 0.4, bidirectional: true }),
    py: 'nn.LSTM(3, 4, num_layers=3, dropout=0.4, bidirectional=True)',
    input: [5, 2, 3],
    train: true,
    forwardSeed: 77,
  },
  {
    name: 'RNN relu dropout while training',
    kind: 'seq',
    make: () => new nn.RNN(3, 4, { numLayers: 2, dropout: 0.5, nonlinearity: 'relu' }),
    py: "nn.RNN(3, 4, num_layers=2, dropout=0.5, nonlinearity='relu')",
    input: [5, 2, 3],
    train: true,
    forwardSeed: 5,
  },
  { name: 'RNNCell', kind: 'cell', make: () => new nn.RNNCell(3, 4), py: 'nn.RNNCell(3, 4)', input: [2, 3] },
  {
    name: 'RNNCell relu, no bias, given hx',
    kind: 'cell',
    make: () => new nn.RNNCell(3, 4, { nonlinearity: 'relu', bias: false }),
    py: "nn.RNNCell(3, 4, nonlinearity='relu', bias=False)",
    input: [2, 3],
    hx: [[2, 4]],
  },
  {
    name: 'RNNCell unbatched with hx',
    kind: 'cell',
    make: () => new nn.RNNCell(3, 4),
    py: 'nn.RNNCell(3, 4)',
    input: [3],
    hx: [[4]],
  },
  { name: 'LSTMCell', kind: 'lstmcell', make: () => new nn.LSTMCell(3, 4), py: 'nn.LSTMCell(3, 4)', input: [2, 3] },
  {
    name: 'LSTMCell no bias, given hx',
    kind: 'lstmcell',
    make: () => new nn.LSTMCell(3, 4, { bias: false }),
    py: 'nn.LSTMCell(3, 4, bias=False)',
    input: [2, 3],
    hx: [
      [2, 4],
      [2, 4],
    ],
  },
  {
    name: 'LSTMCell unbatched with hx',
    kind: 'lstmcell',
    make: () => new nn.LSTMCell(3, 4),
    py: 'nn.LSTMCell(3, 4)',
    input: [3],
    hx: [[4], [4]],
  },
  { name: 'GRUCell', kind: 'cell', make: () => new nn.GRUCell(3, 4), py: 'nn.GRUCell(3, 4)', input: [2, 3] },
  {
    name: 'GRUCell no bias, given hx',
    kind: 'cell',
    make: () => new nn.GRUCell(3, 4, { bias: false }),
    py: 'nn.GRUCell(3, 4, bias=False)',
    input: [3, 3],
    hx: [[3, 4]],
  },
  {
    name: 'GRUCell unbatched',
    kind: 'cell',
    make: () => new nn.GRUCell(3, 4),
    py: 'nn.GRUCell(3, 4)',
    input: [3],
  },
];

/** Our forward, its results flattened in PyTorch's order: [out, h] / [out, h, c] / [h] / [h, c]. */
function run(kind: Kind, m: Module, x: Tensor, hx: Tensor[]): Tensor[] {
  switch (kind) {
    case 'seq': {
      const r = m as torch.nn.RNN | torch.nn.GRU;
      const [out, h] = r.forward(x, hx[0] ?? null);
      return [out, h];
    }
    case 'lstm': {
      const [out, [h, c]] = (m as torch.nn.LSTM).forward(x, hx.length ? [hx[0] as Tensor, hx[1] as Tensor] : null);
      return [out, h, c];
    }
    case 'cell':
      return [(m as torch.nn.RNNCell | torch.nn.GRUCell).forward(x, hx[0] ?? null)];
    case 'lstmcell': {
      const [h, c] = (m as torch.nn.LSTMCell).forward(x, hx.length ? [hx[0] as Tensor, hx[1] as Tensor] : null);
      return [h, c];
    }
  }
}

const PY_RUN = `
def run(kind, m, x, hx):
    if kind == 'seq':
        out, h = m(x, hx[0] if hx else None)
        return [out, h]
    if kind == 'lstm':
        out, (h, c) = m(x, (hx[0], hx[1]) if hx else None)
        return [out, h, c]
    if kind == 'cell':
        return [m(x, hx[0] if hx else None)]
    h, c = m(x, (hx[0], hx[1]) if hx else None)
    return [h, c]
`;

const PY = `
import torch.nn as nn
${PY_RUN}
f64 = lambda v: torch.tensor(v, dtype=torch.float64)
results = []
for c in INPUT:
    torch.manual_seed(c['seed'])
    m = eval(c['py'])
    init = m.state_dict()
    init = {k: v.clone() for k, v in init.items()}
    m = m.double()
    m.load_state_dict({k: f64(v) for k, v in c['state'].items()})
    m.train(c['train'])
    x = f64(c['input']).requires_grad_(True)
    hx = [f64(h).requires_grad_(True) for h in c['hx']]
    if c['forwardSeed'] is not None: torch.manual_seed(c['forwardSeed'])
    outs = run(c['kind'], m, x, hx)
    loss = sum((o * f64(w).reshape(o.shape)).sum() for o, w in zip(outs, c['outWeights']))
    loss.backward()
    results.append({
        'init': init,
        'initKeys': list(init.keys()),
        'outs': outs,
        'shapes': [list(o.shape) for o in outs],
        'inputGrad': x.grad,
        'hxGrads': [h.grad for h in hx],
        'paramGrads': {n: p.grad for n, p in m.named_parameters()},
        'paramNames': [n for n, _ in m.named_parameters()],
        'repr': repr(m),
    })
OUTPUT = results
`;

interface PyResult {
  init: Record<string, unknown>;
  initKeys: string[];
  outs: unknown[];
  shapes: number[][];
  inputGrad: unknown;
  hxGrads: unknown[];
  paramGrads: Record<string, unknown>;
  paramNames: string[];
  repr: string;
}

function close(actual: unknown, expected: unknown, what: string, tol = 1e-12): void {
  const a = Array.isArray(actual) ? (actual as unknown[]).flat(10) : [actual];
  const e = Array.isArray(expected) ? (expected as unknown[]).flat(10) : [expected];
  assert.equal(a.length, e.length, `${what}: ${a.length} values vs PyTorch's ${e.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(e[i]);
    assert.ok(Number.isFinite(x) && Number.isFinite(y), `${what}: non-finite value at ${i} (${x} vs ${y})`);
    worst = Math.max(worst, Math.abs(x - y) / Math.max(1, Math.abs(y)));
  }
  assert.ok(worst <= tol, `${what}: max relative difference ${worst}`);
}

describe('recurrent layers against PyTorch (float64)', { skip: skipWithoutPython() }, () => {
  const ours: {
    init: Record<string, Tensor>;
    outs: Tensor[];
    x: Tensor;
    hx: Tensor[];
    module: Module;
  }[] = [];
  let theirs: PyResult[] = [];

  before(() => {
    const payload = cases.map((c, i) => {
      const seed = 1000 + i;
      torch.manualSeed(seed);
      const m = c.make();
      const init = m.stateDict();
      m.double();
      m.train(c.train ?? false);
      const x = torch.randn(c.input, { dtype: 'float64' }).requiresGrad_();
      const hx = (c.hx ?? []).map((s) => torch.randn(s, { dtype: 'float64' }).requiresGrad_());
      if (c.forwardSeed !== undefined) torch.manualSeed(c.forwardSeed);
      const outs = run(c.kind, m, x, hx);
      const outWeights = outs.map((o) => torch.randn(o.shape, { dtype: 'float64' }));
      outs
        .map((o, k) => o.mul(outWeights[k] as Tensor).sum())
        .reduce((a, b) => a.add(b))
        .backward();
      ours.push({ init, outs, x, hx, module: m });
      return {
        seed,
        kind: c.kind,
        py: c.py,
        train: c.train ?? false,
        forwardSeed: c.forwardSeed ?? null,
        state: Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.toArray()])),
        input: x.toArray(),
        hx: hx.map((h) => h.toArray()),
        outWeights: outWeights.map((w) => w.toArray()),
      };
    });
    theirs = runPython<PyResult[]>(PY, payload);
  });

  cases.forEach((c, i) => {
    test(c.name, () => {
      const o = ours[i];
      const t = theirs[i];
      assert.ok(o && t);
      // The same seed gives PyTorch's initial weights (float32, bit for bit), under its names, in its order.
      assert.deepEqual(Object.keys(o.init), t.initKeys, 'state dict keys and order');
      for (const [k, v] of Object.entries(o.init)) {
        assert.equal(v.dtype, 'float32');
        assert.deepEqual(v.toArray(), t.init[k], `initial ${k}`);
      }
      assert.deepEqual(
        o.module.namedParameters().map(([n]) => n),
        t.paramNames,
        'parameter names and order',
      );
      assert.deepEqual(
        o.outs.map((x) => x.shape),
        t.shapes,
        'output shapes',
      );
      o.outs.forEach((x, k) => {
        close(x.toArray(), t.outs[k], `result ${k}`);
      });
      close(o.x.grad?.toArray(), t.inputGrad, 'grad of input');
      o.hx.forEach((h, k) => {
        close(h.grad?.toArray(), t.hxGrads[k], `grad of hx[${k}]`);
      });
      for (const [n, p] of o.module.namedParameters()) {
        assert.ok(p.grad, `${n} has a gradient`);
        close(p.grad.toArray(), t.paramGrads[n], `grad of ${n}`);
      }
      assert.equal(String(o.module), t.repr, 'repr');
    });
  });
});

describe('recurrent layers: state dicts, dropout, errors', { skip: skipWithoutPython() }, () => {
  test("a Python state dict loads, and gives Python's outputs", () => {
    const specs = [
      { py: 'nn.LSTM(3, 5, proj_size=2, num_layers=2, bidirectional=True)', kind: 'lstm' as Kind },
      { py: 'nn.GRU(3, 4, num_layers=2, bias=False, batch_first=True)', kind: 'seq' as Kind },
      { py: "nn.RNN(3, 4, nonlinearity='relu')", kind: 'seq' as Kind },
      { py: 'nn.LSTMCell(3, 4)', kind: 'lstmcell' as Kind },
      { py: 'nn.GRUCell(3, 4, bias=False)', kind: 'cell' as Kind },
      { py: "nn.RNNCell(3, 4, nonlinearity='relu')", kind: 'cell' as Kind },
    ];
    const makers: (() => Module)[] = [
      () => new nn.LSTM(3, 5, { projSize: 2, numLayers: 2, bidirectional: true }),
      () => new nn.GRU(3, 4, { numLayers: 2, bias: false, batchFirst: true }),
      () => new nn.RNN(3, 4, { nonlinearity: 'relu' }),
      () => new nn.LSTMCell(3, 4),
      () => new nn.GRUCell(3, 4, { bias: false }),
      () => new nn.RNNCell(3, 4, { nonlinearity: 'relu' }),
    ];
    const inputs = specs.map((s) => torch.randn(s.kind === 'cell' || s.kind === 'lstmcell' ? [2, 3] : [4, 2, 3]));
    const py = runPython<{ state: Record<string, number[]>; outs: unknown[] }[]>(
      `
import torch.nn as nn
${PY_RUN}
OUTPUT = []
for i, s in enumerate(INPUT):
    torch.manual_seed(42 + i)
    m = eval(s['py'])
    with torch.no_grad():
        for p in m.parameters(): p.mul_(3)
    x = torch.tensor(s['x'], dtype=torch.float32)
    OUTPUT.append({'state': m.state_dict(), 'outs': run(s['kind'], m, x, [])})
`,
      specs.map((s, i) => ({ ...s, x: inputs[i]?.toArray() })),
    );
    specs.forEach((s, i) => {
      const m = (makers[i] as () => Module)();
      const r = py[i] as { state: Record<string, number[]>; outs: unknown[] };
      const sd = Object.fromEntries(Object.entries(r.state).map(([k, v]) => [k, torch.tensor(v)]));
      const res = m.loadStateDict(sd);
      assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] }, s.py);
      const outs = torch.noGrad(() => run(s.kind, m, inputs[i] as Tensor, []));
      outs.forEach((o, k) => {
        close(o.toArray(), r.outs[k], `${s.py} result ${k}`, 1e-5);
      });
    });
    // A state dict with the wrong names fails as PyTorch's, naming the keys.
    assert.throws(
      () => new nn.LSTM(3, 4).loadStateDict({ weight_ih: torch.zeros([16, 3]) }),
      /Missing key\(s\) in state_dict: "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"[\s\S]*Unexpected key\(s\) in state_dict: "weight_ih"/,
    );
  });

  test('dropout applies only while training, between layers', () => {
    torch.manualSeed(3);
    const m = new nn.LSTM(3, 4, { numLayers: 2, dropout: 0.9 });
    const x = torch.randn([6, 2, 3]);
    m.eval();
    const [a] = m.forward(x);
    const [b] = m.forward(x);
    assert.ok(a.equal(b), 'eval: deterministic');
    m.train();
    const [c] = m.forward(x);
    assert.ok(!a.equal(c), 'training: dropped');
    const one = new nn.GRU(3, 4, { dropout: 0 });
    const [d] = one.forward(x);
    const [e] = one.forward(x);
    assert.ok(d.equal(e), 'no dropout: deterministic while training');
  });

  test("constructor checks, with PyTorch's messages", () => {
    assert.throws(() => new nn.LSTM(3, 4, { projSize: 4 }), /proj_size has to be smaller than hidden_size/);
    assert.throws(() => new nn.LSTM(3, 4, { projSize: -1 }), /proj_size should be a positive integer or zero/);
    assert.throws(
      () => new nn.GRU(3, 4, { projSize: 2 } as never),
      /proj_size argument is only supported for LSTM, not RNN or GRU/,
    );
    assert.throws(
      () => new nn.RNN(3, 4, { nonlinearity: 'gelu' as never }),
      /Unknown nonlinearity 'gelu'. Select from 'tanh' or 'relu'./,
    );
    assert.throws(() => new nn.RNN(3, 4, { dropout: 1.5 }), /dropout should be a number in range \[0, 1\]/);
    assert.throws(() => new nn.RNN(0, 4), /input_size must be greater than zero/);
    assert.throws(() => new nn.RNN(3, 0), /hidden_size must be greater than zero/);
    assert.throws(() => new nn.RNN(3, 4, { numLayers: 0 }), /num_layers must be greater than zero/);
  });

  test("bad shapes are Errors that name the module and carry PyTorch's message", () => {
    const f = (s: number[]) => torch.randn(s);
    const bad: { make: () => Module; py: string; kind: Kind; x: number[]; hx: number[][] }[] = [
      { make: () => new nn.LSTM(3, 4), py: 'nn.LSTM(3, 4)', kind: 'lstm', x: [5, 2, 4], hx: [] },
      { make: () => new nn.GRU(3, 4), py: 'nn.GRU(3, 4)', kind: 'seq', x: [5, 2, 2], hx: [] },
      { make: () => new nn.RNN(3, 4), py: 'nn.RNN(3, 4)', kind: 'seq', x: [5, 2, 3], hx: [[1, 3, 4]] },
      {
        make: () => new nn.RNN(3, 4, { numLayers: 2, bidirectional: true }),
        py: 'nn.RNN(3, 4, num_layers=2, bidirectional=True)',
        kind: 'seq',
        x: [5, 2, 3],
        hx: [[2, 2, 4]],
      },
      { make: () => new nn.GRU(3, 4), py: 'nn.GRU(3, 4)', kind: 'seq', x: [5, 2, 3], hx: [[2, 4]] },
      { make: () => new nn.GRU(3, 4), py: 'nn.GRU(3, 4)', kind: 'seq', x: [5, 3], hx: [[1, 1, 4]] },
      { make: () => new nn.RNN(3, 4), py: 'nn.RNN(3, 4)', kind: 'seq', x: [1, 5, 2, 3], hx: [] },
      { make: () => new nn.GRU(3, 4), py: 'nn.GRU(3, 4)', kind: 'seq', x: [3], hx: [] },
      {
        make: () => new nn.LSTM(3, 4),
        py: 'nn.LSTM(3, 4)',
        kind: 'lstm',
        x: [5, 2, 3],
        hx: [
          [1, 2, 4],
          [1, 3, 4],
        ],
      },
      {
        make: () => new nn.LSTM(3, 4, { projSize: 2 }),
        py: 'nn.LSTM(3, 4, proj_size=2)',
        kind: 'lstm',
        x: [5, 2, 3],
        hx: [
          [1, 2, 4],
          [1, 2, 4],
        ],
      },
      {
        make: () => new nn.LSTM(3, 4),
        py: 'nn.LSTM(3, 4)',
        kind: 'lstm',
        x: [5, 2, 3],
        hx: [
          [2, 4],
          [2, 4],
        ],
      },
      {
        make: () => new nn.LSTM(3, 4, { batchFirst: true }),
        py: 'nn.LSTM(3, 4, batch_first=True)',
        kind: 'lstm',
        x: [5, 3],
        hx: [
          [1, 1, 4],
          [1, 4],
        ],
      },
      { make: () => new nn.LSTM(3, 4), py: 'nn.LSTM(3, 4)', kind: 'lstm', x: [2, 2, 2, 3], hx: [] },
      { make: () => new nn.LSTMCell(3, 4), py: 'nn.LSTMCell(3, 4)', kind: 'lstmcell', x: [5, 4], hx: [] },
      {
        make: () => new nn.LSTMCell(3, 4),
        py: 'nn.LSTMCell(3, 4)',
        kind: 'lstmcell',
        x: [5, 3],
        hx: [
          [5, 4],
          [5, 3],
        ],
      },
      {
        make: () => new nn.LSTMCell(3, 4),
        py: 'nn.LSTMCell(3, 4)',
        kind: 'lstmcell',
        x: [5, 3],
        hx: [
          [5, 4],
          [5, 4, 1],
        ],
      },
      { make: () => new nn.GRUCell(3, 4), py: 'nn.GRUCell(3, 4)', kind: 'cell', x: [5, 3], hx: [[4, 4]] },
      { make: () => new nn.GRUCell(3, 4), py: 'nn.GRUCell(3, 4)', kind: 'cell', x: [5, 3], hx: [[5, 5]] },
      { make: () => new nn.RNNCell(3, 4), py: 'nn.RNNCell(3, 4)', kind: 'cell', x: [5, 3, 1], hx: [] },
      { make: () => new nn.RNNCell(3, 4), py: 'nn.RNNCell(3, 4)', kind: 'cell', x: [5, 3], hx: [[1, 5, 4]] },
    ];
    const pyMessages = runPython<string[]>(
      `
import torch.nn as nn
${PY_RUN}
OUTPUT = []
for s in INPUT:
    m = eval(s['py'])
    try:
        run(s['kind'], m, torch.randn(s['x']), [torch.randn(h) for h in s['hx']])
        OUTPUT.append(None)
    except Exception as e:
        OUTPUT.append(str(e))
`,
      bad.map(({ py, kind, x, hx }) => ({ py, kind, x, hx })),
    );
    bad.forEach((b, i) => {
      const pyMsg = pyMessages[i];
      assert.ok(typeof pyMsg === 'string', `${b.py} ${JSON.stringify(b.x)}: PyTorch raises`);
      const m = b.make();
      const name = m.constructor.name;
      const expected = pyMsg.startsWith(`${name}: `) ? pyMsg : `${name}: ${pyMsg}`;
      assert.throws(
        () => run(b.kind, m, f(b.x), b.hx.map(f)),
        (e: unknown) => {
          assert.ok(e instanceof Error);
          assert.equal(e.message, expected, `${b.py} input ${JSON.stringify(b.x)} hx ${JSON.stringify(b.hx)}`);
          return true;
        },
      );
    });
  });

  test('a cell given a state of the wrong rank names it', () => {
    const cell = new nn.GRUCell(3, 4);
    assert.throws(
      () => cell.forward(torch.randn([2, 3]), torch.zeros([4])),
      /^Error: GRUCell: Expected hidden0 to be 2D \(batch, hidden_size\) for a 2D input, got 1D$/,
    );
    assert.throws(
      () => new nn.LSTMCell(3, 4).forward(torch.randn([3]), [torch.zeros([4]), torch.zeros([1, 4])]),
      /LSTMCell: Expected hidden1 to be 1D \(hidden_size\) for a 1D input, got 2D/,
    );
  });

  test('an input of the wrong dtype is an Error that says what to convert', () => {
    const m = new nn.GRU(3, 4).double();
    assert.throws(
      () => m.forward(torch.randn([5, 2, 3])),
      /GRU: input dtype \(float32\) does not match weight dtype \(float64\)/,
    );
  });

  test('allWeights and flatWeights follow PyTorch', () => {
    const m = new nn.LSTM(2, 3, { numLayers: 2, bidirectional: true, projSize: 1, bias: false });
    assert.deepEqual(m.flatWeightsNames, [
      'weight_ih_l0',
      'weight_hh_l0',
      'weight_hr_l0',
      'weight_ih_l0_reverse',
      'weight_hh_l0_reverse',
      'weight_hr_l0_reverse',
      'weight_ih_l1',
      'weight_hh_l1',
      'weight_hr_l1',
      'weight_ih_l1_reverse',
      'weight_hh_l1_reverse',
      'weight_hr_l1_reverse',
    ]);
    assert.equal(m.allWeights.length, 4);
    assert.deepEqual(
      m.allWeights[2]?.map((p) => p.shape),
      [
        [12, 2],
        [12, 1],
        [1, 3],
      ],
    );
    assert.deepEqual(m.flatWeights, m.parameters());
  });
});
