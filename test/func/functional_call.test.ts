// torch.func.functionalCall against Python torch's torch.func.functional_call: outputs and
// gradients with respect to the given tensors (float64, the same weights on both sides, ours sent
// to Python as a state dict), buffers updated in place on the given tensors, tied weights with
// and without tieWeights, strict's errors, a Jacobian with respect to parameters through
// autograd.functional, and that the module is exactly as before afterwards, also when forward
// throws.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { close } from '../support/layer_parity.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const nn = torch.nn;
const { functionalCall } = torch.func;
type Tensor = torch.Tensor;
type Nested = number | Nested[];

class Net extends nn.Module {
  fc1 = new nn.Linear(3, 4);
  bn = new nn.BatchNorm1d(4);
  fc2 = new nn.Linear(4, 2);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.bn.forward(this.fc1.forward(x)).relu());
  }
}

// One weight under two names, as PyTorch's tied embeddings: 'a.weight' and 'b.weight'.
class Tied extends nn.Module {
  a = new nn.Linear(3, 3);
  b = new nn.Linear(3, 3);
  constructor() {
    super();
    this.b.weight = this.a.weight;
  }
  forward(x: Tensor): Tensor {
    return this.b.forward(this.a.forward(x).tanh());
  }
}

const PY_MODULES = `
import torch.nn as nn
from torch.func import functional_call
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.fc2 = nn.Linear(4, 2)
    def forward(self, x):
        return self.fc2(self.bn(self.fc1(x)).relu())
class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 3)
        self.b = nn.Linear(3, 3)
        self.b.weight = self.a.weight
    def forward(self, x):
        return self.b(self.a(x).tanh())
def t(v):
    return torch.tensor(v, dtype=torch.float64)
def load(m, state):
    m.double().load_state_dict({k: t(v) for k, v in state.items()})
    return m
`;

const f64 = (v: Nested, requiresGrad = false) => torch.tensor(v as number[], { dtype: 'float64', requiresGrad });
const stateOf = (m: torch.nn.Module) =>
  Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.toArray() as Nested]));

function snapshot(m: torch.nn.Module) {
  return {
    params: m.namedParameters(),
    buffers: m.namedBuffers(),
    state: stateOf(m),
    keys: Object.keys(m),
  };
}

/** The module's fields, parameters, buffers and values as in `before`; the parameters in `noGrad` have no gradient. */
function assertUnchanged(m: torch.nn.Module, before: ReturnType<typeof snapshot>, noGrad?: string[]): void {
  const after = snapshot(m);
  assert.deepEqual(after.keys, before.keys, 'field order');
  assert.equal(after.params.length, before.params.length);
  after.params.forEach(([k, p], i) => {
    assert.equal(k, before.params[i]?.[0]);
    assert.ok(p === before.params[i]?.[1], `${k} is the same Parameter`);
    if (!noGrad || noGrad.includes(k)) assert.equal(p.grad, null, `${k} has no gradient`);
  });
  after.buffers.forEach(([k, b], i) => {
    assert.ok(b === before.buffers[i]?.[1], `${k} is the same buffer`);
  });
  assert.deepEqual(after.state, before.state, 'values');
}

describe('torch.func.functionalCall', () => {
  test('outputs, gradients and buffers against Python; the module unchanged', { skip: skipWithoutPython() }, () => {
    torch.manualSeed(0);
    const m = new Net().to('float64');
    const x = torch.randn([5, 3], { dtype: 'float64' });
    const w1 = torch.randn([4, 3], { dtype: 'float64' }).requiresGrad_();
    const b2 = torch.randn([2], { dtype: 'float64' }).requiresGrad_();
    const mean = torch.randn([4], { dtype: 'float64' });
    const before = snapshot(m);
    const variance = torch.rand([4], { dtype: 'float64' }).add(0.5);
    const tracked = torch.tensor([3], { dtype: 'int64' }).reshape([]);
    const given = {
      'fc1.weight': w1,
      'fc2.bias': b2,
      'bn.running_mean': mean,
      'bn.running_var': variance,
      'bn.num_batches_tracked': tracked,
    };
    const initialVar = variance.toArray();
    const initialMean = mean.toArray();
    const out = functionalCall(m, given, x) as Tensor;
    out.pow(2).sum().backward();
    // Gradients reach the given tensors, not the parameters they stand for.
    assertUnchanged(m, before, ['fc1.weight', 'fc2.bias']);
    assert.ok(m.fc1.bias?.grad !== null, 'a parameter not given gets its gradient');
    assert.ok(given['bn.running_mean'] === mean, 'updated in place, not replaced');

    const py = runPython<Record<string, Nested>>(
      `${PY_MODULES}
m = load(Net(), INPUT['state'])
w1 = t(INPUT['w1']).requires_grad_()
b2 = t(INPUT['b2']).requires_grad_()
mean, var = t(INPUT['mean']), t(INPUT['var'])
tracked = torch.tensor(3)
out = functional_call(m, {'fc1.weight': w1, 'fc2.bias': b2, 'bn.running_mean': mean, 'bn.running_var': var,
                          'bn.num_batches_tracked': tracked}, (t(INPUT['x']),))
out.pow(2).sum().backward()
OUTPUT = dict(out=out, w1=w1.grad, b2=b2.grad, mean=mean, moduleMean=m.bn.running_mean,
              moduleGrad=m.fc1.weight.grad is None, var=var, tracked=tracked, bias=m.fc1.bias.grad)
`,
      { state: before.state, x: x.toArray(), w1: w1.toArray(), b2: b2.toArray(), mean: initialMean, var: initialVar },
    );
    close(out.toArray(), py.out, 'output', 1e-12);
    close(w1.grad?.toArray(), py.w1, 'gradient of the given fc1.weight', 1e-12);
    close(b2.grad?.toArray(), py.b2, 'gradient of the given fc2.bias', 1e-12);
    close(mean.toArray(), py.mean, 'the given running_mean, updated by BatchNorm', 1e-12);
    assert.notDeepEqual(mean.toArray(), initialMean);
    assert.deepEqual(m.bn.running_mean?.toArray(), py.moduleMean, "the module's own running_mean");
    close(variance.toArray(), py.var, 'the given running_var', 1e-12);
    assert.equal(tracked.item(), 4);
    assert.equal(py.tracked, 4);
    assert.equal(py.moduleGrad, true);
    close(m.fc1.bias?.grad?.toArray(), py.bias, "gradient of the module's own fc1.bias", 1e-12);
  });

  test('args as a single argument or an array; kwargs as the last argument', () => {
    class TwoArgs extends nn.Module {
      w = new nn.Parameter(torch.ones([2], { dtype: 'float64' }));
      forward(x: Tensor, y: Tensor, options?: { scale?: number }): Tensor {
        return x
          .mul(this.w)
          .add(y)
          .mul(options?.scale ?? 1);
      }
    }
    const m = new TwoArgs();
    const w = f64([2, 3]);
    const x = f64([1, 1]);
    const y = f64([10, 20]);
    assert.deepEqual((functionalCall(m, { w }, [x, y], { scale: 2 }) as Tensor).toArray(), [24, 46]);
    assert.deepEqual((functionalCall(m, [{ w }], [x, y]) as Tensor).toArray(), [12, 23]);
    const one = new nn.Linear(2, 1, { bias: false });
    assert.deepEqual(
      (functionalCall(one, { weight: f64([[1, 2]]) }, f64([3, 4])) as Tensor).toArray(),
      [11],
      'a single tensor argument',
    );
    assert.deepEqual(m.w.toArray(), [1, 1]);
  });

  test('tied weights: tieWeights replaces every name of a tensor, or only the one given', {
    skip: skipWithoutPython(),
  }, () => {
    torch.manualSeed(1);
    const m = new Tied().to('float64');
    const x = torch.randn([2, 3], { dtype: 'float64' });
    const w = torch.randn([3, 3], { dtype: 'float64' }).requiresGrad_();
    const before = snapshot(m);
    const tied = functionalCall(m, { 'a.weight': w }, x) as Tensor;
    tied.sum().backward();
    const untied = functionalCall(m, { 'a.weight': w }, x, null, { tieWeights: false }) as Tensor;
    const both = functionalCall(m, { 'a.weight': w, 'b.weight': w }, x) as Tensor;
    const py = runPython<{ tied: Nested; grad: Nested; untied: Nested; both: Nested; error: string }>(
      `${PY_MODULES}
m = load(Tied(), INPUT['state'])
x, w = t(INPUT['x']), t(INPUT['w'])
w.requires_grad_()
tied = functional_call(m, {'a.weight': w}, x)
tied.sum().backward()
res = dict(tied=tied, grad=w.grad,
           untied=functional_call(m, {'a.weight': w}, x, tie_weights=False),
           both=functional_call(m, {'a.weight': w, 'b.weight': w}, x))
try:
    functional_call(m, {'a.weight': w, 'b.weight': w + 1}, x)
except ValueError as e:
    res['error'] = str(e)
OUTPUT = res
`,
      { state: before.state, x: x.toArray(), w: w.toArray() },
    );
    close(tied.toArray(), py.tied, 'tied', 1e-12);
    close(w.grad?.toArray(), py.grad, 'gradient of the tied weight, from both uses', 1e-12);
    close(untied.toArray(), py.untied, 'tieWeights: false', 1e-12);
    close(both.toArray(), py.both, 'the same value under both names', 1e-12);
    assert.notDeepEqual(tied.toArray(), untied.toArray());
    assert.throws(() => functionalCall(m, { 'a.weight': w, 'b.weight': w.add(1) }, x), {
      message: py.error.replace('functional_call', 'functionalCall').replace('tie_weights=False', 'tieWeights: false'),
    });
    assertUnchanged(m, before, ['a.weight']);
  });

  test("strict: missing and unexpected keys, with PyTorch's message", { skip: skipWithoutPython() }, () => {
    const m = new Net().to('float64');
    const x = torch.randn([3, 3], { dtype: 'float64' });
    const py = runPython<string>(
      `${PY_MODULES}
m = Net().double()
try:
    functional_call(m, {'fc1.weight': torch.zeros(4, 3, dtype=torch.float64), 'zzz': torch.zeros(1), 'fc1.extra': torch.zeros(1)}, (t(INPUT),), strict=True)
except RuntimeError as e:
    OUTPUT = str(e)
`,
      x.toArray(),
    );
    const given = {
      'fc1.weight': torch.zeros([4, 3], { dtype: 'float64' }),
      zzz: torch.zeros([1]),
      'fc1.extra': torch.zeros([1]),
    };
    assert.throws(() => functionalCall(m, given, x, null, { strict: true }), { message: `functionalCall: ${py}` });
    // Every name given: no error, and the result is the module's own with those values.
    const all = Object.fromEntries(
      m
        .namedParameters()
        .concat(m.namedBuffers())
        .map(([k, v]) => [k, v.detach()]),
    );
    const same = functionalCall(m, all, x, null, { strict: true }) as Tensor;
    assert.deepEqual(
      same.toArray(),
      torch.noGrad(() => (m.forward(x) as Tensor).toArray()),
    );
  });

  test('the module is restored when forward throws', () => {
    class Boom extends nn.Module {
      lin = new nn.Linear(2, 2);
      forward(_x: Tensor): Tensor {
        throw new Error('boom');
      }
    }
    const m = new Boom();
    const before = snapshot(m);
    assert.throws(
      () => functionalCall(m, { 'lin.weight': torch.zeros([2, 2]), extra: torch.ones([1]) }, torch.ones([2])),
      /boom/,
    );
    assertUnchanged(m, before);
    assert.equal('extra' in m, false, 'an unexpected name is removed again');
  });

  test('a buffer that forward reassigns goes back into the given object, as in PyTorch', () => {
    class Counter extends nn.Module {
      constructor() {
        super();
        this.registerBuffer('count', torch.zeros([]));
      }
      forward(x: Tensor): Tensor {
        const self = this as unknown as { count: Tensor };
        self.count = self.count.add(1);
        return x.add(self.count);
      }
    }
    const m = new Counter();
    const given: Record<string, Tensor> = { count: torch.tensor([5]) };
    const out = functionalCall(m, given, torch.zeros([1])) as Tensor;
    assert.deepEqual(out.toArray(), [6]);
    assert.deepEqual(given.count?.toArray(), [6]);
    assert.equal((m as unknown as { count: Tensor }).count.item(), 0);
  });

  test('errors', () => {
    const m = new Net();
    const x = torch.randn([2, 3]);
    assert.throws(() => functionalCall(m, { 'fc1.weight': [1, 2] as never }, x), TypeError);
    assert.throws(() => functionalCall(m, { 'fc9.weight': torch.zeros([1]) }, x), {
      message: 'functionalCall: Net has no attribute `fc9`',
    });
    assert.throws(() => functionalCall(m, { fc1: torch.zeros([1]) }, x), {
      message: 'functionalCall: attribute `fc1`: a Module (Linear) is not a Tensor',
    });
    assert.throws(() => functionalCall(m, [{ a: torch.zeros([1]) }, { a: torch.zeros([1]) }], x), {
      message: "functionalCall: ['a'] appeared in multiple dictionaries; behavior of functional call is ambiguous",
    });
    assert.throws(() => functionalCall(m, 3 as never, x), /Expected parametersAndBuffers to be an object/);
    assert.throws(() => functionalCall({} as never, {}, x), /expected a Module/);
    assert.equal(m.fc1.weight instanceof nn.Parameter, true);
  });

  test("torch.nn.utils.stateless.functionalCall: the same, with PyTorch's FutureWarning", (t) => {
    const warn = t.mock.method(process, 'emitWarning', () => {});
    const lin = new nn.Linear(2, 1, { bias: false });
    const out = nn.utils.stateless.functionalCall(lin, { weight: f64([[1, 2]]) }, f64([3, 4])) as Tensor;
    assert.deepEqual(out.toArray(), [11]);
    assert.equal(warn.mock.calls[0]?.arguments[1], 'FutureWarning');
  });
});

describe('functionalCall composed with autograd.functional', () => {
  test("the Jacobian of a module's output with respect to its parameters, as Python's", {
    skip: skipWithoutPython(),
  }, () => {
    torch.manualSeed(3);
    const lin = new nn.Linear(3, 2).to('float64');
    const x = torch.randn([4, 3], { dtype: 'float64' });
    const names = lin.namedParameters().map(([k]) => k);
    const params = lin.parameters().map((p) => p.detach());
    const jac = torch.autograd.functional.jacobian(
      (w: Tensor, b: Tensor) => functionalCall(lin, { weight: w, bias: b }, x) as Tensor,
      params,
    ) as Tensor[];
    const py = runPython<Nested[]>(
      `${PY_MODULES}
from torch.autograd.functional import jacobian
lin = load(nn.Linear(3, 2), INPUT['state'])
x = t(INPUT['x'])
params = tuple(p.detach() for p in lin.parameters())
OUTPUT = list(jacobian(lambda w, b: functional_call(lin, {'weight': w, 'bias': b}, (x,)), params))
`,
      { state: stateOf(lin), x: x.toArray() },
    );
    assert.deepEqual(names, ['weight', 'bias']);
    assert.deepEqual(jac[0]?.shape, [4, 2, 2, 3]);
    assert.deepEqual(jac[1]?.shape, [4, 2, 2]);
    close(jac[0]?.toArray(), py[0], 'd out / d weight', 1e-12);
    close(jac[1]?.toArray(), py[1], 'd out / d bias', 1e-12);
    // By hand: d out[n, i] / d weight[j, k] = x[n, k] if i == j.
    const j = jac[0]?.toArray() as number[][][][];
    const xs = x.toArray() as number[][];
    assert.equal(j[1]?.[0]?.[0]?.[2], xs[1]?.[2]);
    assert.equal(j[1]?.[0]?.[1]?.[2], 0);
    for (const p of lin.parameters()) assert.equal(p.grad, null);
  });
});
