// The parity harness of the nn tests: a table of layer cases (module, inputs) or functional
// cases (a call on inputs) is run here and in Python torch with the same weights and inputs, and
// outputs, gradients, state and repr are compared. test/nn/layers.test.ts holds the first
// tables; a family of layers may keep its own table in its own file.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from './python.js';

type Module = torch.nn.Module;

export interface LayerCase {
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
  /** Inputs (by position) that do not require grad (PyTorch refuses a gradient for them). */
  noGrad?: number[];
}

export const idx = (values: number[], shape?: number[]) => () =>
  torch.tensor(values, { dtype: 'int64' }).reshape(shape ?? [values.length]);
/** Explicit float64 values (boundary points of a gradient rule). */
export const vec = (values: number[]) => () => torch.tensor(values, { dtype: 'float64' });
/** Probabilities in [0.01, 0.99]. */
export const probs = (shape: number[]) => () => torch.rand(shape, { dtype: 'float64' }).mul(0.98).add(0.01);
/** Log-probabilities along the last dim. */
export const logProbs = (shape: number[]) => () => torch.randn(shape, { dtype: 'float64' }).logSoftmax(-1);
/** Targets of ±1. */
export const signs = (shape: number[]) => () => torch.randint(0, 2, shape).mul(2).sub(1).double();
export const v2 = (values: number[], shape: number[]) => () =>
  torch.tensor(values, { dtype: 'float64' }).reshape(shape);
/** Small integers (many ties), NaN and −inf, in a fixed pattern, float64. */
export const mixed =
  (shape: number[], nanAt = (i: number) => i % 13 === 7, infAt = (i: number) => i % 11 === 5) =>
  () => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Array.from({ length: n }, (_, i) =>
      nanAt(i) ? Number.NaN : infAt(i) ? Number.NEGATIVE_INFINITY : (i * 7) % 5,
    );
    return torch.tensor(data, { dtype: 'float64' }).reshape(shape);
  };

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
    sd = {k: torch.tensor(v['data'], dtype=getattr(torch, v['dtype'])).reshape(v['shape']) for k, v in c['state'].items()}
    m.load_state_dict(sd)
    m.train(c['train'])
    xs = []
    for k, x in enumerate(c['inputs']):
        t = torch.tensor(x['data'], dtype=getattr(torch, x['dtype']))
        if t.is_floating_point() and c['gradInputs'][k]: t.requires_grad_(True)
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

export function close(actual: unknown, expected: unknown, what: string, tol = 1e-10): void {
  const a = (actual as number[]).flat?.(10) ?? [actual];
  const e = (expected as number[]).flat?.(10) ?? [expected];
  assert.equal(a.length, e.length, `${what}: ${a.length} values vs PyTorch's ${e.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(e[i]);
    if ((Number.isNaN(y) && Number.isNaN(x)) || x === y) continue;
    worst = Math.max(worst, Math.abs(x - y) / Math.max(1, Math.abs(y)));
  }
  assert.ok(worst < tol, `${what}: max relative difference ${worst}`);
}

export function describeLayerParity(title: string, cases: LayerCase[], seedBase = 100): void {
  describe(title, { skip: skipWithoutPython() }, () => {
    const ours: { out: torch.Tensor; inputs: torch.Tensor[]; module: Module }[] = [];
    let theirs: PyResult[] = [];

    before(() => {
      const payload = cases.map((c, i) => {
        torch.manualSeed(seedBase + i);
        const m = c.make().double();
        m.train(c.train ?? false);
        const inputs = c.inputs.map((s) => (typeof s === 'function' ? s() : torch.randn(s, { dtype: 'float64' })));
        const grad = inputs.map((x, k) => (x.dtype === 'float64' && !c.noGrad?.includes(k) ? x.requiresGrad_() : x));
        const state = Object.fromEntries(
          Object.entries(m.stateDict()).map(([k, v]) => [k, { data: v.toArray(), dtype: v.dtype, shape: v.shape }]),
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
          gradInputs: inputs.map((_, k) => !c.noGrad?.includes(k)),
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
          if (c.noGrad?.includes(k) || t.inputGrads[k] === null) {
            assert.ok(x.grad === null && t.inputGrads[k] === null, `input ${k}: no gradient, as in PyTorch`);
            return;
          }
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
}

export interface FunctionalCase {
  name: string;
  inputs: (number[] | (() => torch.Tensor))[];
  /** Ours: one tensor or several (compared in order, dtypes included). */
  ours: (xs: torch.Tensor[]) => torch.Tensor | torch.Tensor[];
  /** Python's: an expression over xs, F, torch. */
  py: string;
  /** The dtype of the randn inputs given by shape (default float64). */
  dtype?: 'float32' | 'float64';
  /** Inputs (by position) that do not require grad. */
  noGrad?: number[];
  /** Largest relative difference allowed in the input gradients (default 1e-10; outputs always 1e-10). */
  gradTol?: number;
  /** Results and gradients must be PyTorch's to the bit. */
  exact?: boolean;
}

interface FResult {
  outs: unknown[];
  dtypes: string[];
  inputGrads: (unknown | null)[];
}

const FPY = `
import torch.nn.functional as F
results = []
for c in INPUT:
    xs = []
    for k, x in enumerate(c['inputs']):
        t = torch.tensor(x['data'], dtype=getattr(torch, x['dtype']))
        if t.is_floating_point() and c['gradInputs'][k]: t.requires_grad_(True)
        xs.append(t)
    out = eval(c['py'])
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    total = None
    for o, w in zip(outs, c['outWeights']):
        if w is not None and o.requires_grad:
            term = (o * torch.tensor(w, dtype=o.dtype).reshape(o.shape)).sum()
            total = term if total is None else total + term
    if total is not None: total.backward()
    results.append({
        'outs': outs,
        'dtypes': [str(o.dtype).replace('torch.', '') for o in outs],
        'inputGrads': [x.grad for x in xs],
    })
OUTPUT = results
`;

export function describeFunctionalParity(title: string, fcases: FunctionalCase[], seedBase = 500): void {
  describe(title, { skip: skipWithoutPython() }, () => {
    const ours: { outs: torch.Tensor[]; inputs: torch.Tensor[] }[] = [];
    let theirs: FResult[] = [];

    before(() => {
      const payload = fcases.map((c, i) => {
        torch.manualSeed(seedBase + i);
        const dtype = c.dtype ?? 'float64';
        const inputs = c.inputs.map((s) => (typeof s === 'function' ? s() : torch.randn(s, { dtype })));
        const withGrad = inputs.map((x, k) =>
          torch.isFloatingPoint(x.dtype) && !c.noGrad?.includes(k) ? x.requiresGrad_() : x,
        );
        const outs = [c.ours(withGrad)].flat();
        const weights = outs.map((o) => (o.requiresGrad ? torch.randn([o.numel()], { dtype: o.dtype }) : null));
        let total: torch.Tensor | null = null;
        outs.forEach((o, k) => {
          const w = weights[k];
          if (!w) return;
          const term = o.mul(w.reshape(o.shape)).sum();
          total = total ? total.add(term) : term;
        });
        (total as torch.Tensor | null)?.backward();
        ours.push({ outs, inputs: withGrad });
        return {
          py: c.py,
          inputs: inputs.map((x) => ({ data: x.toArray(), dtype: x.dtype })),
          gradInputs: inputs.map((_, k) => !c.noGrad?.includes(k)),
          outWeights: weights.map((w) => (w ? w.toArray() : null)),
        };
      });
      theirs = runPython<FResult[]>(FPY, payload);
    });

    fcases.forEach((c, i) => {
      test(c.name, () => {
        const o = ours[i];
        const t = theirs[i];
        assert.ok(o && t);
        assert.equal(o.outs.length, t.outs.length, 'number of results');
        o.outs.forEach((out, k) => {
          assert.equal(out.dtype, t.dtypes[k], `dtype of result ${k}`);
          close(out.toArray(), t.outs[k], `result ${k}`, c.exact ? Number.MIN_VALUE : 1e-10);
        });
        o.inputs.forEach((x, k) => {
          if (t.inputGrads[k] === null || c.noGrad?.includes(k)) {
            assert.ok(x.grad === null && t.inputGrads[k] === null, `input ${k}: no gradient, as in PyTorch`);
            return;
          }
          close(x.grad?.toArray(), t.inputGrads[k], `grad of input ${k}`, c.exact ? Number.MIN_VALUE : c.gradTol);
        });
      });
    });
  });
}
