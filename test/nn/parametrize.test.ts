// torch.nn.utils' parameter utilities against Python torch: parametrize (registerParametrization,
// removeParametrizations, cached), parametrizations.weightNorm / spectralNorm, the hook-based
// weightNorm / spectralNorm, and parametersToVector / vectorToParameters. Modules start from the
// same float64 weights here and in Python, take three SGD steps, and every output, gradient and
// state dict (keys, order, values) must be PyTorch's within 1e-10; the u, v vectors of a
// spectral norm are drawn after the same manualSeed, so they must match too.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { close } from '../support/layer_parity.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const nn = torch.nn;
const { parametrize, parametrizations } = nn.utils;
type Module = torch.nn.Module;
type Fields = Record<string, unknown>;

const f = (m: unknown): Fields => m as Fields;
const arrays = (sd: Record<string, torch.Tensor>) =>
  Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.toArray()]));

// ---- the training parity table

interface TrainCase {
  name: string;
  make: () => Module;
  py: string;
  apply: (m: Module) => unknown;
  /** A Python expression over m, P (parametrizations), U (torch.nn.utils). */
  pyApply: string;
  input: number[];
}

interface TrainResult {
  afterKeys: string[];
  after: Record<string, unknown>;
  params: string[];
  steps: { out: unknown; grads: Record<string, unknown> }[];
  stateKeys: string[];
  state: Record<string, unknown>;
  evalOut: unknown;
  weight: unknown;
  repr: string;
}

const PY_TRAIN = `
import warnings
warnings.simplefilter('ignore')
import torch.nn as nn
import torch.nn.utils as U
from torch.nn.utils import parametrizations as P
res = []
for c in INPUT:
    m = eval(c['py']).double()
    m.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in c['init'].items()})
    x = torch.tensor(c['x'], dtype=torch.float64)
    torch.manual_seed(c['seed'])
    m = eval(c['apply'])
    after = {k: v.clone() for k, v in m.state_dict().items()}
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    steps = []
    for i in range(3):
        opt.zero_grad()
        out = m(x)
        out.sin().sum().backward()
        steps.append({'out': out.detach().clone(), 'grads': {n: p.grad.clone() for n, p in m.named_parameters()}})
        opt.step()
    m.eval()
    ev = m(x)
    res.append({'afterKeys': list(after.keys()), 'after': after, 'params': [n for n, _ in m.named_parameters()],
                'steps': steps, 'stateKeys': list(m.state_dict().keys()), 'state': m.state_dict(),
                'evalOut': ev, 'weight': m.weight, 'repr': repr(m)})
OUTPUT = res
`;

const linear = () => new nn.Linear(5, 4);
const conv = () => new nn.Conv2d(3, 4, 3, { padding: 1 });
const convT = () => new nn.ConvTranspose2d(3, 2, 3);
const P = parametrizations;
const U = nn.utils;

const TRAIN_CASES: TrainCase[] = [
  {
    name: 'parametrizations.weightNorm, Linear',
    make: linear,
    py: 'nn.Linear(5, 4)',
    apply: (m) => P.weightNorm(m),
    pyApply: 'P.weight_norm(m)',
    input: [3, 5],
  },
  {
    name: 'parametrizations.weightNorm, Linear, dim null',
    make: linear,
    py: 'nn.Linear(5, 4)',
    apply: (m) => P.weightNorm(m, { dim: null }),
    pyApply: 'P.weight_norm(m, dim=None)',
    input: [3, 5],
  },
  {
    name: 'parametrizations.weightNorm, Conv2d',
    make: conv,
    py: 'nn.Conv2d(3, 4, 3, padding=1)',
    apply: (m) => P.weightNorm(m),
    pyApply: 'P.weight_norm(m)',
    input: [2, 3, 5, 5],
  },
  {
    name: 'parametrizations.weightNorm, Conv2d, dim 2, on the bias too',
    make: conv,
    py: 'nn.Conv2d(3, 4, 3, padding=1)',
    apply: (m) => P.weightNorm(P.weightNorm(m, { dim: 2 }), { name: 'bias' }),
    pyApply: 'P.weight_norm(P.weight_norm(m, dim=2), name="bias")',
    input: [2, 3, 5, 5],
  },
  {
    name: 'parametrizations.spectralNorm, Linear',
    make: linear,
    py: 'nn.Linear(5, 4)',
    apply: (m) => P.spectralNorm(m),
    pyApply: 'P.spectral_norm(m)',
    input: [3, 5],
  },
  {
    name: 'parametrizations.spectralNorm, Conv2d, 3 iterations',
    make: conv,
    py: 'nn.Conv2d(3, 4, 3, padding=1)',
    apply: (m) => P.spectralNorm(m, { nPowerIterations: 3 }),
    pyApply: 'P.spectral_norm(m, n_power_iterations=3)',
    input: [2, 3, 5, 5],
  },
  {
    name: 'parametrizations.spectralNorm, ConvTranspose2d (dim 1)',
    make: convT,
    py: 'nn.ConvTranspose2d(3, 2, 3)',
    apply: (m) => P.spectralNorm(m),
    pyApply: 'P.spectral_norm(m)',
    input: [2, 3, 4, 4],
  },
  {
    name: 'parametrizations.spectralNorm, Linear, on the 1-d bias',
    make: linear,
    py: 'nn.Linear(5, 4)',
    apply: (m) => P.spectralNorm(m, { name: 'bias', eps: 1e-6 }),
    pyApply: 'P.spectral_norm(m, name="bias", eps=1e-6)',
    input: [3, 5],
  },
  {
    name: 'weightNorm (hooks), Linear',
    make: linear,
    py: 'nn.Linear(5, 4)',
    apply: (m) => U.weightNorm(m),
    pyApply: 'U.weight_norm(m)',
    input: [3, 5],
  },
  {
    name: 'weightNorm (hooks), Conv2d, dim 1',
    make: conv,
    py: 'nn.Conv2d(3, 4, 3, padding=1)',
    apply: (m) => U.weightNorm(m, { dim: 1 }),
    pyApply: 'U.weight_norm(m, dim=1)',
    input: [2, 3, 5, 5],
  },
  {
    name: 'spectralNorm (hooks), Linear',
    make: linear,
    py: 'nn.Linear(5, 4)',
    apply: (m) => U.spectralNorm(m),
    pyApply: 'U.spectral_norm(m)',
    input: [3, 5],
  },
  {
    name: 'spectralNorm (hooks), Conv2d, 2 iterations',
    make: conv,
    py: 'nn.Conv2d(3, 4, 3, padding=1)',
    apply: (m) => U.spectralNorm(m, { nPowerIterations: 2 }),
    pyApply: 'U.spectral_norm(m, n_power_iterations=2)',
    input: [2, 3, 5, 5],
  },
  {
    name: 'spectralNorm (hooks), ConvTranspose2d (dim 1)',
    make: convT,
    py: 'nn.ConvTranspose2d(3, 2, 3)',
    apply: (m) => U.spectralNorm(m),
    pyApply: 'U.spectral_norm(m)',
    input: [2, 3, 4, 4],
  },
];

describe('weightNorm and spectralNorm train as in PyTorch', { skip: skipWithoutPython() }, () => {
  const ours: (TrainResult & { module: Module })[] = [];
  let theirs: TrainResult[] = [];

  before(() => {
    const payload = TRAIN_CASES.map((c, i) => {
      torch.manualSeed(300 + i);
      let m = c.make().double();
      const x = torch.randn(c.input, { dtype: 'float64' });
      const init = arrays(m.stateDict());
      const seed = 900 + i;
      torch.manualSeed(seed);
      m = c.apply(m) as Module;
      const after = m.stateDict();
      const opt = new torch.optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 });
      const steps: TrainResult['steps'] = [];
      const afterArrays = arrays(after);
      for (let s = 0; s < 3; s++) {
        opt.zeroGrad();
        const out = (m.forward as (x: torch.Tensor) => torch.Tensor)(x);
        out.sin().sum().backward();
        steps.push({
          out: out.toArray(),
          grads: Object.fromEntries(m.namedParameters().map(([n, p]) => [n, p.grad?.toArray()])),
        });
        opt.step();
      }
      m.eval();
      const evalOut = (m.forward as (x: torch.Tensor) => torch.Tensor)(x).toArray();
      ours.push({
        module: m,
        afterKeys: Object.keys(after),
        after: afterArrays,
        params: m.namedParameters().map(([n]) => n),
        steps,
        stateKeys: Object.keys(m.stateDict()),
        state: arrays(m.stateDict()),
        evalOut,
        weight: (f(m).weight as torch.Tensor).toArray(),
        repr: String(m),
      });
      return { py: c.py, apply: c.pyApply, init, x: x.toArray(), seed };
    });
    theirs = runPython<TrainResult[]>(PY_TRAIN, payload);
  });

  TRAIN_CASES.forEach((c, i) => {
    test(c.name, () => {
      const o = ours[i];
      const t = theirs[i];
      assert.ok(o && t);
      // ATen's own kernels (_weight_norm, the power iteration's ops) on both sides: to the bit.
      const exact = (x: unknown, y: unknown, what: string) => close(x, y, what, Number.MIN_VALUE);
      assert.deepEqual(o.afterKeys, t.afterKeys, 'state dict keys after registration');
      for (const k of t.afterKeys) exact(o.after[k], t.after[k], `${k} after registration`);
      assert.deepEqual(o.params, t.params, 'named parameters');
      o.steps.forEach((step, s) => {
        const ts = t.steps[s] as TrainResult['steps'][number];
        exact(step.out, ts.out, `output of step ${s}`);
        assert.deepEqual(Object.keys(step.grads), Object.keys(ts.grads));
        for (const n of Object.keys(ts.grads)) exact(step.grads[n], ts.grads[n], `grad of ${n} at step ${s}`);
      });
      assert.deepEqual(o.stateKeys, t.stateKeys, 'final state dict keys and order');
      for (const k of t.stateKeys) exact(o.state[k], t.state[k], `final ${k}`);
      exact(o.evalOut, t.evalOut, 'output in eval mode');
      exact(o.weight, t.weight, 'module.weight');
      assert.equal(o.repr, t.repr);
    });
  });
});

// ---- custom parametrizations

class Symmetric extends nn.Module {
  forward(x: torch.Tensor): torch.Tensor {
    return x.triu().add(x.triu(1).t());
  }
  rightInverse(a: torch.Tensor): torch.Tensor {
    return a.triu();
  }
}

class Scale extends nn.Module {
  forward(x: torch.Tensor): torch.Tensor {
    return x.mul(2);
  }
  rightInverse(x: torch.Tensor): torch.Tensor {
    return x.div(2);
  }
}

/** Depends on two tensors: rightInverse returns an array (original0, original1). */
class Split extends nn.Module {
  forward(a: torch.Tensor, b: torch.Tensor): torch.Tensor {
    return a.add(b);
  }
  rightInverse(x: torch.Tensor): torch.Tensor[] {
    return [x.mul(0.25), x.mul(0.75)];
  }
}

class NoInverse extends nn.Module {
  forward(x: torch.Tensor): torch.Tensor {
    return x.neg();
  }
}

const PY_CLASSES = `
import torch.nn as nn
import torch.nn.utils.parametrize as parametrize
class Symmetric(nn.Module):
    def forward(self, x): return x.triu() + x.triu(1).T
    def right_inverse(self, a): return a.triu()
class Scale(nn.Module):
    def forward(self, x): return x * 2
    def right_inverse(self, x): return x / 2
class Split(nn.Module):
    def forward(self, a, b): return a + b
    def right_inverse(self, x): return [x * 0.25, x * 0.75]
def lin(state):
    m = nn.Linear(3, 3).double()
    m.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in state.items()})
    return m
`;

interface CustomResult {
  sym: unknown;
  keys: string[];
  original: unknown;
  chained: unknown;
  repr: string;
  assigned: unknown;
  assignedOriginal: unknown;
  out: unknown;
  gradOriginal: unknown;
  leftKeys: string[];
  left: unknown;
  leftRepr: string;
  unparametrized: unknown;
  splitKeys: string[];
  split0: unknown;
  split1: unknown;
  splitLeft: unknown;
}

describe('a custom parametrization, as in PyTorch', { skip: skipWithoutPython() }, () => {
  test('registered, chained, assigned through rightInverse, removed both ways', () => {
    torch.manualSeed(7);
    const make = () => new nn.Linear(3, 3).double();
    const base = make();
    const init = arrays(base.stateDict());
    const a = torch.randn([3, 3], { dtype: 'float64' });
    const sym = a.add(a.t());
    const x = torch.randn([2, 3], { dtype: 'float64' });
    const t = runPython<CustomResult>(
      `${PY_CLASSES}
m = lin(INPUT['init'])
parametrize.register_parametrization(m, 'weight', Symmetric())
r = {'sym': m.weight.detach().clone(), 'keys': list(m.state_dict().keys()), 'original': m.parametrizations.weight.original.detach().clone()}
parametrize.register_parametrization(m, 'weight', Scale())
r['chained'] = m.weight.detach().clone(); r['repr'] = repr(m)
m.weight = torch.tensor(INPUT['A'], dtype=torch.float64)
r['assigned'] = m.weight.detach().clone(); r['assignedOriginal'] = m.parametrizations.weight.original.detach().clone()
out = m(torch.tensor(INPUT['x'], dtype=torch.float64)); out.sin().sum().backward()
r['out'] = out; r['gradOriginal'] = m.parametrizations.weight.original.grad
parametrize.remove_parametrizations(m, 'weight')
r['leftKeys'] = list(m.state_dict().keys()); r['left'] = m.weight; r['leftRepr'] = repr(m)
m2 = lin(INPUT['init'])
parametrize.register_parametrization(m2, 'weight', Symmetric())
parametrize.remove_parametrizations(m2, 'weight', leave_parametrized=False)
r['unparametrized'] = m2.weight
m3 = lin(INPUT['init'])
parametrize.register_parametrization(m3, 'weight', Split())
r['splitKeys'] = list(m3.state_dict().keys())
r['split0'] = m3.parametrizations.weight.original0; r['split1'] = m3.parametrizations.weight.original1
parametrize.remove_parametrizations(m3, 'weight')
r['splitLeft'] = m3.weight
OUTPUT = r
`,
      { init, A: sym.toArray(), x: x.toArray() },
    );

    const m = make();
    m.loadStateDict(base.stateDict());
    const weight = m.weight;
    const pm = parametrize.registerParametrization(m, 'weight', new Symmetric());
    assert.equal(pm, m);
    close(m.weight.toArray(), t.sym, 'symmetric weight');
    assert.deepEqual(Object.keys(m.stateDict()), t.keys);
    assert.equal(pm.parametrizations.weight.original, weight, 'the original is the Parameter the module had');
    close(pm.parametrizations.weight.original.toArray(), t.original, 'original');
    assert.ok(parametrize.isParametrized(m) && parametrize.isParametrized(m, 'weight'));
    assert.deepEqual(pm.parametrizations.keys(), ['weight']);
    assert.equal(pm.parametrizations.get('weight'), pm.parametrizations.weight);
    assert.ok(pm.parametrizations.weight instanceof nn.ModuleList);
    assert.ok(!parametrize.isParametrized(m, 'bias'));
    assert.ok(m instanceof nn.Linear);
    assert.equal(parametrize.typeBeforeParametrizations(m), nn.Linear);

    parametrize.registerParametrization(m, 'weight', new Scale());
    close(m.weight.toArray(), t.chained, 'two parametrizations chained');
    assert.equal(String(m), t.repr);

    f(m).weight = sym;
    close(m.weight.toArray(), t.assigned, 'weight after assignment');
    close(pm.parametrizations.weight.original.toArray(), t.assignedOriginal, 'original after assignment');
    assert.equal(pm.parametrizations.weight.original, weight, 'assignment keeps the original Parameter');

    const out = m.forward(x);
    out.sin().sum().backward();
    close(out.toArray(), t.out, 'output');
    close(weight.grad?.toArray(), t.gradOriginal, 'gradient of the original');

    parametrize.removeParametrizations(m, 'weight');
    assert.deepEqual(Object.keys(m.stateDict()), t.leftKeys);
    close(m.weight.toArray(), t.left, 'weight left parametrized');
    assert.equal(m.weight, weight, 'the original Parameter is the weight again');
    assert.equal(String(m), t.leftRepr);
    assert.equal(m.constructor, nn.Linear);
    assert.ok(!('parametrizations' in m) && !parametrize.isParametrized(m));

    const m2 = make();
    m2.loadStateDict(base.stateDict());
    parametrize.registerParametrization(m2, 'weight', new Symmetric());
    parametrize.removeParametrizations(m2, 'weight', { leaveParametrized: false });
    close(m2.weight.toArray(), t.unparametrized, 'weight left unparametrized');
    assert.ok(m2.weight instanceof nn.Parameter);

    const m3 = make();
    m3.loadStateDict(base.stateDict());
    const p3 = parametrize.registerParametrization(m3, 'weight', new Split());
    assert.deepEqual(Object.keys(m3.stateDict()), t.splitKeys);
    close(p3.parametrizations.weight.original0.toArray(), t.split0, 'original0');
    close(p3.parametrizations.weight.original1.toArray(), t.split1, 'original1');
    assert.throws(
      () => parametrize.removeParametrizations(m3, 'weight', { leaveParametrized: false }),
      /Cannot leave unparametrized \(`leaveParametrized: false`\) a tensor that is parametrized in terms of a sequence of tensors/,
    );
    parametrize.removeParametrizations(m3, 'weight');
    close(m3.weight.toArray(), t.splitLeft, 'weight of two originals left parametrized');
    assert.ok(m3.weight instanceof nn.Parameter && m3.weight.requiresGrad);
  });

  test('cached() computes each parametrized tensor once, until the outermost cached() returns', () => {
    const m = new nn.Linear(3, 3);
    parametrize.registerParametrization(m, 'weight', new Symmetric());
    assert.notEqual(m.weight, m.weight, 'recomputed on every read');
    const [a, b, c] = parametrize.cached(() => {
      const first = m.weight;
      return [first, m.weight, parametrize.cached(() => m.weight)];
    });
    assert.ok(a === b && b === c);
    assert.notEqual(m.weight, a, 'the cache is gone after cached()');
    // A value freed with the scope that computed it is computed again.
    parametrize.cached(() => {
      const inner = torch.scope(() => {
        const w = m.weight;
        return w.sum().item();
      });
      assert.equal(m.weight.sum().item(), inner);
    });
  });

  test('cached spectral norm: one power iteration per cached() in training, none in eval, as in PyTorch', {
    skip: skipWithoutPython(),
  }, () => {
    torch.manualSeed(11);
    const m = new nn.Linear(4, 3).double();
    const init = arrays(m.stateDict());
    torch.manualSeed(12);
    parametrizations.spectralNorm(m);
    const u0 = f(m.getSubmodule('parametrizations.weight.0'))._u as torch.Tensor;
    const before0 = u0.toArray();
    m.stateDict();
    m.namedParameters();
    m.toString();
    assert.deepEqual(u0.toArray(), before0, 'traversals do not read (and so do not iterate) the weight');
    parametrize.cached(() => {
      m.weight;
      m.weight;
    });
    const afterCached = u0.toArray();
    m.weight;
    const afterRead = u0.toArray();
    m.eval();
    m.weight;
    assert.deepEqual(u0.toArray(), afterRead, 'no power iteration in eval mode');
    const t = runPython<{ c: unknown; r: unknown }>(
      `
import torch.nn as nn
from torch.nn.utils import parametrizations as P, parametrize
m = nn.Linear(4, 3).double()
m.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in INPUT.items()})
torch.manual_seed(12)
P.spectral_norm(m)
with parametrize.cached():
    m.weight; m.weight
c = m.parametrizations.weight[0]._u.clone()
m.weight
OUTPUT = {'c': c, 'r': m.parametrizations.weight[0]._u}
`,
      init,
    );
    close(afterCached, t.c, 'u after two reads in cached()');
    close(afterRead, t.r, 'u after one more read');
  });
});

// ---- the module's bookkeeping around a parametrization

describe('a parametrized module as an nn.Module', () => {
  test('deepcopy: the copy is parametrized on its own originals', () => {
    const m = parametrizations.weightNorm(new nn.Linear(3, 2).double());
    const c = m.deepcopy();
    assert.equal(c.constructor.name, 'ParametrizedLinear');
    assert.ok(c instanceof nn.Linear);
    assert.notEqual(c.parametrizations.weight, m.parametrizations.weight);
    assert.deepEqual(c.weight.toArray(), m.weight.toArray());
    torch.noGrad(() => c.parametrizations.weight.original0.mul_(2));
    close(c.weight.toArray(), m.weight.mul(2).toArray(), 'the copy computes from its own g');
    c.loadStateDict(m.stateDict());
    assert.deepEqual(c.weight.toArray(), m.weight.toArray(), 'a state dict loads into the parametrized copy');
    parametrize.removeParametrizations(c, 'weight');
    assert.equal(c.constructor, nn.Linear);
    assert.equal(m.constructor.name, 'ParametrizedLinear');
    assert.deepEqual(Object.keys(m.stateDict()), [
      'bias',
      'parametrizations.weight.original0',
      'parametrizations.weight.original1',
    ]);
  });

  test("a hook-based weightNorm checkpoint (weight_g, weight_v) loads into parametrizations.weightNorm, as PyTorch's compat hook", () => {
    const old = nn.utils.weightNorm(new nn.Linear(3, 2).double());
    const sd = new nn.Sequential(old).stateDict();
    assert.deepEqual(Object.keys(sd), ['0.bias', '0.weight_g', '0.weight_v']);
    const fresh = new nn.Sequential(parametrizations.weightNorm(new nn.Linear(3, 2).double()));
    assert.deepEqual(fresh.loadStateDict(sd), { missingKeys: [], unexpectedKeys: [] });
    const x = torch.randn([4, 3], { dtype: 'float64' });
    assert.deepEqual((fresh.forward(x) as torch.Tensor).toArray(), old.forward(x).toArray());
    assert.deepEqual(Object.keys(sd), ['0.bias', '0.weight_g', '0.weight_v'], "the caller's dict is unchanged");
  });

  test('the weight is not a field: traversals, to() and the optimizer see the originals only', () => {
    const m = parametrizations.spectralNorm(new nn.Linear(3, 2));
    assert.ok(!Object.keys(m).includes('weight'));
    assert.deepEqual(
      m.namedParameters().map(([n]) => n),
      ['bias', 'parametrizations.weight.original'],
    );
    m.to('float64');
    assert.equal(m.weight.dtype, 'float64');
    assert.equal((f(m.getSubmodule('parametrizations.weight.0'))._u as torch.Tensor).dtype, 'float64');
    assert.ok(m.weight.requiresGrad && !(m.weight instanceof nn.Parameter));
    // The weight's name still takes only what rightInverse takes; the original keeps its identity.
    const original = m.parametrizations.weight.original;
    f(m).weight = torch.ones([2, 3], { dtype: 'float64' });
    assert.equal(m.parametrizations.weight.original, original);
    assert.deepEqual(original.toArray(), [
      [1, 1, 1],
      [1, 1, 1],
    ]);
  });

  test('hook-based weightNorm survives deepcopy, and is removed from the copy alone', () => {
    const m = nn.utils.weightNorm(new nn.Linear(3, 2).double());
    const x = torch.randn([1, 3], { dtype: 'float64' });
    // As in PyTorch, the weight the hook computed with grad is no graph leaf: no deepcopy then.
    assert.throws(() => m.deepcopy(), /only tensors created explicitly by the user \(graph leaves\) can be copied/);
    torch.noGrad(() => m.forward(x));
    const c = m.deepcopy();
    torch.noGrad(() => (f(c).weight_g as torch.Tensor).mul_(3));
    c.forward(x);
    close((f(c).weight as torch.Tensor).toArray(), m.weight.mul(3).toArray(), "the copy's hook computes from its g");
    nn.utils.removeWeightNorm(c);
    assert.deepEqual(Object.keys(c.stateDict()), ['bias', 'weight']);
    c.forward(x);
    assert.ok(c.weight instanceof nn.Parameter, "the copy's (inert) hook no longer sets the weight");
    m.forward(x);
    assert.ok(!(m.weight instanceof nn.Parameter));
    assert.deepEqual(Object.keys(m.stateDict()), ['bias', 'weight_g', 'weight_v']);
  });

  test('removeSpectralNorm: the weight is a Parameter again, u and v leave the state dict', () => {
    const m = nn.utils.spectralNorm(new nn.Linear(3, 2));
    m.forward(torch.randn([1, 3]));
    const expected = (f(m).weight as torch.Tensor).toArray();
    nn.utils.removeSpectralNorm(m);
    assert.deepEqual(Object.keys(m.stateDict()), ['bias', 'weight']);
    assert.deepEqual(m.namedBuffers(), []);
    close(m.weight.toArray(), expected, 'weight_orig / sigma without another iteration', 1e-6);
    m.deepcopy();
  });
});

// ---- errors

describe('a parametrized buffer', () => {
  test('its original is a buffer under parametrizations; assignment goes through rightInverse; removal registers it again (values from Python torch 2.13)', () => {
    class Double extends nn.Module {
      forward(x: torch.Tensor): torch.Tensor {
        return x.mul(2);
      }
      rightInverse(x: torch.Tensor): torch.Tensor {
        return x.div(2);
      }
    }
    class M extends nn.Module {
      lin = new nn.Linear(2, 2);
      constructor() {
        super();
        this.registerBuffer('b', torch.tensor([1, 2], { dtype: 'float32' }));
      }
      forward(): void {}
    }
    const m = new M();
    parametrize.registerParametrization(m, 'b', new Double());
    const b = () => (m as unknown as { b: torch.Tensor }).b;
    // Python: ['lin.weight', 'lin.bias', 'parametrizations.b.original'], m.b [1, 2], the original [0.5, 1].
    assert.deepEqual(Object.keys(m.stateDict()), ['lin.weight', 'lin.bias', 'parametrizations.b.original']);
    assert.deepEqual(
      m.namedBuffers().map(([n]) => n),
      ['parametrizations.b.original'],
    );
    assert.deepEqual(
      m.namedParameters().map(([n]) => n),
      ['lin.weight', 'lin.bias'],
    );
    assert.deepEqual(b().toArray(), [1, 2]);
    (m as unknown as { b: torch.Tensor }).b = torch.tensor([10, 20], { dtype: 'float32' });
    assert.deepEqual(m.stateDict()['parametrizations.b.original']?.toArray(), [5, 10]);
    assert.deepEqual(b().toArray(), [10, 20]);
    parametrize.removeParametrizations(m, 'b');
    // Python: ['b', 'lin.weight', 'lin.bias'] (a module's own buffers before its children's), b [10, 20].
    assert.deepEqual(Object.keys(m.stateDict()), ['b', 'lin.weight', 'lin.bias']);
    assert.deepEqual(b().toArray(), [10, 20]);
    assert.ok(!(b() instanceof nn.Parameter));
  });
});

describe('parametrize errors', () => {
  class Grow extends nn.Module {
    forward(x: torch.Tensor): torch.Tensor {
      return torch.cat([x, x]);
    }
  }
  class ToFloat32 extends nn.Module {
    forward(x: torch.Tensor): torch.Tensor {
      return x.float();
    }
  }

  test('a missing name, a shape or dtype change without unsafe, a buffer, not a Module', () => {
    const m = new nn.Linear(2, 2).double();
    assert.throws(
      () => parametrize.registerParametrization(m, 'nope', new Symmetric()),
      /Module 'Linear\(in_features=2, out_features=2, bias=True\)' does not have a parameter, a buffer, or a parametrized element with name 'nope'/,
    );
    assert.throws(
      () => parametrize.registerParametrization(m, 'weight', new Grow()),
      /Registering a parametrization may not change the shape of the tensor, unless `unsafe` flag is enabled.\nunparametrized shape: \[2, 2\]\nparametrized shape: \[4, 2\]/,
    );
    assert.throws(
      () => parametrize.registerParametrization(m, 'weight', new ToFloat32()),
      /may not change the dtype of the tensor.*\nunparametrized dtype: float64\nparametrized dtype: float32/,
    );
    assert.ok(
      m.weight instanceof nn.Parameter && !parametrize.isParametrized(m),
      'a refused registration leaves the module',
    );
    parametrize.registerParametrization(m, 'weight', new Grow(), { unsafe: true });
    assert.deepEqual(m.weight.shape, [4, 2]);
    assert.throws(
      () => parametrize.registerParametrization(m, 'weight', new ToFloat32()),
      /may not change the dtype of the tensor, unless the `unsafe` flag is enabled.\nmodule.weight.dtype: float64/,
    );
    assert.throws(() => parametrize.registerParametrization(m, 'bias', (() => 0) as never), TypeError);
  });

  test('removing what is not parametrized, assigning without rightInverse', () => {
    const m = new nn.Linear(2, 2);
    assert.throws(
      () => parametrize.removeParametrizations(m, 'weight'),
      /Module Linear\(in_features=2, out_features=2, bias=True\) does not have a parametrization on weight/,
    );
    parametrize.registerParametrization(m, 'weight', new NoInverse());
    assert.throws(() => {
      f(m).weight = torch.zeros([2, 2]);
    }, /parametrization NoInverse does not implement rightInverse/);
    assert.throws(
      () => parametrizations.spectralNorm(m, { name: 'nope' }),
      /has no parameter or buffer with name 'nope'/,
    );
  });

  test("torch._weightNorm never reaches the fused kernel with shapes it would crash on (PyTorch's does: SIGFPE, heap corruption)", () => {
    // Empty v: libtorch's kernel divides by its zero rows; here the (empty) product.
    assert.deepEqual(torch._weightNorm(torch.randn([0, 2, 2, 4]), torch.randn([0, 1, 1, 1]), 0).shape, [0, 2, 2, 4]);
    // A g without one element per slice along dim: the kernel would write past its norms buffer.
    assert.throws(
      () => torch._weightNorm(torch.randn([4, 3]), torch.randn([2, 1]), 0),
      /_weight_norm: g must have one element per slice of v along dim 0 \(4\), as norm_except_dim\(v, 2, dim\) has; got g of shape \[2, 1\]/,
    );
    assert.throws(
      () => torch._weightNorm(torch.randn([4, 3]), torch.randn([3]), -1),
      /one element per slice of v along dim -1 \(1\)/,
    );
    assert.throws(() => torch._weightNorm(torch.randn([4, 3]), torch.randn([4, 1]), 2), /Dimension out of range/);
    const ok = torch._weightNorm(
      torch.tensor([[3, 4]], { dtype: 'float32' }),
      torch.tensor([[10]], { dtype: 'float32' }),
      0,
    );
    assert.deepEqual(ok.toArray(), [[6, 8]]);
  });

  test('spectralNorm and weightNorm arguments', () => {
    assert.throws(
      () => parametrizations.spectralNorm(new nn.Linear(2, 2), { nPowerIterations: 0 }),
      /Expected nPowerIterations to be positive, but got nPowerIterations=0/,
    );
    assert.throws(() => parametrizations.spectralNorm(new nn.Linear(2, 2), { dim: 2 }), {
      name: 'RangeError',
      message: 'Dimension out of range (expected to be in range of [-2, 1] but got 2)',
    });
    const m = nn.utils.weightNorm(new nn.Linear(2, 2));
    assert.throws(() => nn.utils.weightNorm(m), /Cannot register two weight_norm hooks on the same parameter weight/);
    assert.throws(() => nn.utils.removeWeightNorm(m, { name: 'bias' }), /weight_norm of 'bias' not found in Linear/);
    const s = nn.utils.spectralNorm(new nn.Linear(2, 2));
    assert.throws(
      () => nn.utils.spectralNorm(s),
      /Cannot register two spectral_norm hooks on the same parameter weight/,
    );
    assert.throws(() => nn.utils.removeSpectralNorm(m), /spectral_norm of 'weight' not found/);
  });
});

// ---- parametersToVector / vectorToParameters

describe('parametersToVector and vectorToParameters', () => {
  test('round trip; the parameters become views of the vector, as in PyTorch', { skip: skipWithoutPython() }, () => {
    torch.manualSeed(5);
    const m = new nn.Sequential(new nn.Linear(3, 2), new nn.Conv2d(1, 2, 2)).double();
    const ps = m.parameters();
    const vec = nn.utils.parametersToVector(ps);
    assert.deepEqual(vec.shape, [ps.reduce((n, p) => n + p.numel(), 0)]);
    const t = runPython<{ vec: unknown; after: unknown[] }>(
      `
from torch.nn.utils import parameters_to_vector, vector_to_parameters
ps = [torch.tensor(p, dtype=torch.float64) for p in INPUT]
vec = parameters_to_vector(ps)
v2 = vec * 2
vector_to_parameters(v2, ps)
v2[0] = 100.0
OUTPUT = {'vec': vec, 'after': ps}
`,
      ps.map((p) => p.toArray()),
    );
    assert.deepEqual(vec.toArray(), t.vec);
    const v2 = vec.mul(2);
    nn.utils.vectorToParameters(v2, ps);
    torch.noGrad(() => v2.narrow(0, 0, 1).fill_(100));
    ps.forEach((p, i) => {
      assert.deepEqual(p.toArray(), t.after[i], `parameter ${i}`);
    });
    assert.deepEqual(nn.utils.parametersToVector(ps).toArray(), v2.toArray());
    assert.ok(ps.every((p) => p.requiresGrad && p instanceof nn.Parameter));
  });

  test('errors', () => {
    assert.throws(() => nn.utils.vectorToParameters([1, 2] as never, []), {
      name: 'TypeError',
      message: 'expected torch.Tensor, but got: Array',
    });
    assert.throws(
      () => nn.utils.parametersToVector(torch.zeros([2]) as never),
      /parameters must be an iterable of Tensors/,
    );
    assert.throws(() => nn.utils.parametersToVector([]), /expected a non-empty iterable of parameters/);
    assert.throws(
      () => nn.utils.parametersToVector([torch.zeros([2]), 3 as never]),
      /expected an iterable of Tensors, got number/,
    );
  });
});
