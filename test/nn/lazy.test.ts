// The Lazy modules (LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm*, LazyInstanceNorm*)
// against Python torch: after the same manualSeed, the first forward infers the input size and
// initialises the parameters with the same numbers, the output is the same, and the module
// becomes the regular class (its repr, its state dict). Before that: placeholders, a clear Error
// from an optimizer or stateDict, and loadStateDict giving them their shapes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from '../support/python.js';

type Tensor = torch.Tensor;
type Module = torch.nn.Module;
const nn = torch.nn;

type Nested = number | Nested[];

function close(actual: unknown, expected: unknown, what: string, tol = 1e-6): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    assert.ok(Math.abs(actual - expected) <= tol * (1 + Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${what}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal((actual as unknown[]).length, expected.length, `${what}: length`);
    expected.forEach((e, i) => {
      close((actual as unknown[])[i], e, `${what}[${i}]`, tol);
    });
    return;
  }
  assert.deepEqual(actual, expected, what);
}

interface LazyCase {
  name: string;
  make: () => Module;
  /** Python's module, an expression over nn. */
  py: string;
  /** The regular class it becomes. */
  becomes: abstract new (
    ...args: never[]
  ) => Module;
  input: number[];
}

const CASES: LazyCase[] = [
  { name: 'LazyLinear', make: () => new nn.LazyLinear(3), py: 'nn.LazyLinear(3)', becomes: nn.Linear, input: [2, 5] },
  {
    name: 'LazyLinear without bias, 3-D input',
    make: () => new nn.LazyLinear(4, { bias: false }),
    py: 'nn.LazyLinear(4, bias=False)',
    becomes: nn.Linear,
    input: [3, 2, 6],
  },
  {
    name: 'LazyConv1d',
    make: () => new nn.LazyConv1d(4, 3),
    py: 'nn.LazyConv1d(4, 3)',
    becomes: nn.Conv1d,
    input: [2, 3, 10],
  },
  {
    name: 'LazyConv2d, groups and padding',
    make: () => new nn.LazyConv2d(4, 3, { padding: 1, groups: 2 }),
    py: 'nn.LazyConv2d(4, 3, padding=1, groups=2)',
    becomes: nn.Conv2d,
    input: [2, 6, 5, 5],
  },
  {
    name: 'LazyConv2d, unbatched input',
    make: () => new nn.LazyConv2d(2, [2, 3], { bias: false }),
    py: 'nn.LazyConv2d(2, (2, 3), bias=False)',
    becomes: nn.Conv2d,
    input: [3, 5, 5],
  },
  {
    name: 'LazyConv3d, stride',
    make: () => new nn.LazyConv3d(2, 2, { stride: 2 }),
    py: 'nn.LazyConv3d(2, 2, stride=2)',
    becomes: nn.Conv3d,
    input: [1, 3, 4, 4, 4],
  },
  {
    name: 'LazyConvTranspose1d',
    make: () => new nn.LazyConvTranspose1d(4, 3),
    py: 'nn.LazyConvTranspose1d(4, 3)',
    becomes: nn.ConvTranspose1d,
    input: [2, 3, 6],
  },
  {
    name: 'LazyConvTranspose2d, groups and stride',
    make: () => new nn.LazyConvTranspose2d(4, 3, { groups: 2, stride: 2 }),
    py: 'nn.LazyConvTranspose2d(4, 3, groups=2, stride=2)',
    becomes: nn.ConvTranspose2d,
    input: [1, 6, 4, 4],
  },
  {
    name: 'LazyConvTranspose3d',
    make: () => new nn.LazyConvTranspose3d(2, 2),
    py: 'nn.LazyConvTranspose3d(2, 2)',
    becomes: nn.ConvTranspose3d,
    input: [1, 3, 3, 3, 3],
  },
  {
    name: 'LazyBatchNorm1d',
    make: () => new nn.LazyBatchNorm1d(),
    py: 'nn.LazyBatchNorm1d()',
    becomes: nn.BatchNorm1d,
    input: [4, 3],
  },
  {
    name: 'LazyBatchNorm1d, not affine, 3-D input',
    make: () => new nn.LazyBatchNorm1d({ affine: false }),
    py: 'nn.LazyBatchNorm1d(affine=False)',
    becomes: nn.BatchNorm1d,
    input: [4, 3, 5],
  },
  {
    name: 'LazyBatchNorm2d, cumulative average',
    make: () => new nn.LazyBatchNorm2d({ momentum: null, eps: 1e-3 }),
    py: 'nn.LazyBatchNorm2d(momentum=None, eps=1e-3)',
    becomes: nn.BatchNorm2d,
    input: [2, 3, 4, 4],
  },
  {
    name: 'LazyBatchNorm3d without running statistics',
    make: () => new nn.LazyBatchNorm3d({ trackRunningStats: false }),
    py: 'nn.LazyBatchNorm3d(track_running_stats=False)',
    becomes: nn.BatchNorm3d,
    input: [2, 2, 3, 3, 3],
  },
  {
    name: 'LazyInstanceNorm1d (affine and tracking by default)',
    make: () => new nn.LazyInstanceNorm1d(),
    py: 'nn.LazyInstanceNorm1d()',
    becomes: nn.InstanceNorm1d,
    input: [2, 3, 6],
  },
  {
    name: 'LazyInstanceNorm2d, not affine',
    make: () => new nn.LazyInstanceNorm2d({ affine: false }),
    py: 'nn.LazyInstanceNorm2d(affine=False)',
    becomes: nn.InstanceNorm2d,
    input: [2, 3, 4, 4],
  },
  {
    name: 'LazyInstanceNorm3d, no bias',
    make: () => new nn.LazyInstanceNorm3d({ bias: false }),
    py: 'nn.LazyInstanceNorm3d(bias=False)',
    becomes: nn.InstanceNorm3d,
    input: [2, 2, 3, 3, 3],
  },
];

interface Result {
  reprBefore: string;
  reprAfter: string;
  kind: string;
  out: Nested;
  state: Record<string, Nested>;
}

const PY = `
from torch import nn
OUTPUT = []
for c in INPUT:
    torch.manual_seed(5)
    m = eval(c['py'])
    before = repr(m)
    x = torch.randn(c['input'])
    y = m(x)
    OUTPUT.append(dict(reprBefore=before, reprAfter=repr(m), kind=type(m).__name__, out=y,
                       state={k: v.tolist() for k, v in m.state_dict().items()}))
`;

function ours(c: LazyCase): Result {
  torch.manualSeed(5);
  const m = c.make();
  const reprBefore = m.toString();
  const x = torch.randn(c.input);
  const y = (m as unknown as { forward(x: Tensor): Tensor }).forward(x);
  const state = Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.toArray() as Nested]));
  return { reprBefore, reprAfter: m.toString(), kind: m.constructor.name, out: y.toArray() as Nested, state };
}

describe('Lazy modules against Python torch', { skip: skipWithoutPython() }, () => {
  const py = skipWithoutPython()
    ? []
    : runPython<Result[]>(
        PY,
        CASES.map((c) => ({ py: c.py, input: c.input })),
      );
  CASES.forEach((c, i) => {
    test(c.name, () => {
      const expected = py[i] as Result;
      torch.manualSeed(5);
      const probe = c.make();
      assert.ok(
        probe.parameters().every((p) => nn.isLazy(p)),
        'placeholders before the first forward',
      );
      const got = ours(c);
      assert.equal(got.reprBefore, expected.reprBefore, 'repr before');
      assert.equal(got.reprAfter, expected.reprAfter, 'repr after');
      assert.equal(got.kind, expected.kind, 'the class it becomes');
      assert.deepEqual(Object.keys(got.state), Object.keys(expected.state), 'state-dict keys');
      for (const [k, v] of Object.entries(expected.state)) close(got.state[k], v, `state ${k}`);
      close(got.out, expected.out, 'output', 1e-5);
    });
  });

  test('a module moved to float64 before its first forward is initialised in float64', () => {
    const expected = runPython<{ weight: Nested; out: Nested }>(`
from torch import nn
torch.manual_seed(2)
m = nn.LazyLinear(3).double()
x = torch.randn(2, 4, dtype=torch.float64)
y = m(x)
OUTPUT = dict(weight=m.weight, out=y)
`);
    torch.manualSeed(2);
    const m = new nn.LazyLinear(3).to('float64');
    const x = torch.randn([2, 4], { dtype: 'float64' });
    const y = m.forward(x);
    assert.equal(m.weight.dtype, 'float64');
    close(m.weight.toArray(), expected.weight, 'weight', 1e-15);
    close(y.toArray(), expected.out, 'output', 1e-14);
  });

  test('loadStateDict gives the placeholders their shapes; the class changes at the first forward', () => {
    const expected = runPython<{ afterLoad: string; afterForward: string; out: Nested }>(`
from torch import nn
torch.manual_seed(4)
src = nn.Linear(4, 3)
m = nn.LazyLinear(3)
m.load_state_dict(src.state_dict())
after_load = type(m).__name__
y = m(torch.ones(2, 4))
OUTPUT = dict(afterLoad=after_load, afterForward=repr(m), out=y)
`);
    torch.manualSeed(4);
    const src = new nn.Linear(4, 3);
    const m = new nn.LazyLinear(3);
    const weight = m.weight;
    m.loadStateDict(src.stateDict());
    assert.equal(m.constructor.name, expected.afterLoad);
    assert.equal(m.weight, weight, 'the same Parameter object, now materialised');
    assert.ok(!nn.isLazy(m.weight) && m.weight instanceof nn.Parameter);
    assert.deepEqual(m.weight.shape, [3, 4]);
    assert.equal(m.hasUninitializedParams(), false);
    const y = m.forward(torch.ones([2, 4]));
    assert.equal(m.toString(), expected.afterForward);
    close(y.toArray(), expected.out, 'output');
    assert.deepEqual(m.weight.toArray(), src.weight.toArray(), 'the loaded values, not re-initialised ones');
  });
});

describe('Lazy modules before their first forward', () => {
  test('an optimizer, stateDict and shape reads give a clear Error', () => {
    const m = new nn.Sequential(new nn.LazyLinear(3), new nn.ReLU());
    const lazy = m.at(0) as torch.nn.LazyLinear;
    assert.equal(lazy.hasUninitializedParams(), true);
    assert.equal(m.parameters().length, 2);
    assert.throws(
      () => new torch.optim.SGD(m.parameters(), { lr: 0.1 }),
      /Attempted to use an uninitialized parameter .*call the module's forward with a dummy batch/,
    );
    assert.throws(() => m.stateDict(), /LazyLinear\.stateDict: '0\.weight', '0\.bias' are not initialized yet/);
    assert.throws(() => lazy.weight.shape, /Can't access the shape of an uninitialized parameter or buffer/);
    assert.throws(() => lazy.weight.size(0), /Can't access size\(\) of an uninitialized parameter/);
    assert.equal(String(lazy.weight), '<UninitializedParameter>');
    const bn = new nn.LazyBatchNorm2d({ affine: false });
    assert.ok(nn.isLazy(bn.running_mean));
    assert.throws(() => bn.stateDict(), /'running_mean', 'running_var' are not initialized yet/);
    // after the first forward: a Linear, which an optimizer takes
    m.forward(torch.randn([2, 5]));
    const layer: Module = lazy;
    assert.ok(layer instanceof nn.Linear && !(layer instanceof nn.LazyLinear));
    const opt = new torch.optim.SGD(m.parameters(), { lr: 0.1 });
    (m.forward(torch.randn([2, 5])) as Tensor).sum().backward();
    const before = lazy.bias?.toArray() as number[];
    const grad = lazy.bias?.grad?.toArray() as number[];
    opt.step();
    close(
      lazy.bias?.toArray(),
      before.map((b, i) => b - 0.1 * (grad[i] as number)),
      'an SGD step on the materialised bias',
    );
    assert.deepEqual(Object.keys(m.stateDict()), ['0.weight', '0.bias']);
  });

  test('loadStateDict into a lazy norm and conv takes the sizes from the loaded shapes', () => {
    torch.manualSeed(1);
    const src = new nn.BatchNorm2d(3);
    src.forward(torch.randn([2, 3, 4, 4]));
    const bn = new nn.LazyBatchNorm2d();
    bn.loadStateDict(src.stateDict());
    assert.equal(bn.numFeatures, 3);
    bn.eval();
    src.eval();
    const x = torch.randn([2, 3, 4, 4]);
    assert.deepEqual(bn.forward(x).toArray(), src.forward(x).toArray());
    assert.equal(bn.constructor.name, 'BatchNorm2d');
    // PyTorch leaves in_channels at 0 here; the loaded weight says 2 (groups 1)
    const conv = new nn.LazyConv2d(4, 3);
    conv.loadStateDict(new nn.Conv2d(2, 4, 3).stateDict());
    conv.forward(torch.randn([1, 2, 5, 5]));
    assert.equal(conv.toString(), 'Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1))');
  });

  test('errors: a partial load, a wrong input, channels that groups do not divide', () => {
    const m = new nn.LazyLinear(3);
    m.loadStateDict({ weight: torch.zeros([3, 4]) }, { strict: false });
    assert.throws(
      () => m.forward(torch.randn([2, 4])),
      /LazyLinear: a state dict gave 'weight' a shape but not 'bias'; load all of them \(or none\)/,
    );
    assert.throws(
      () => new nn.LazyConv2d(4, 3).forward(torch.randn([2, 3])),
      /LazyConv2d: expected 3D \(unbatched\) or 4D \(batched\) input, but got input of size: \[2, 3\]/,
    );
    assert.throws(
      () => new nn.LazyConv2d(4, 3, { groups: 2 }).forward(torch.randn([1, 3, 5, 5])),
      /LazyConv2d: in_channels must be divisible by groups \(the input has 3 channels, groups=2\)/,
    );
    const bn = new nn.LazyBatchNorm2d();
    assert.throws(() => bn.forward(torch.randn([2, 3, 4])), /BatchNorm2d: expected 4D input \(got 3D input\)/);
    assert.equal(bn.hasUninitializedParams(), true, 'a refused input leaves it lazy');
  });

  test('an unbatched instance-norm input gives its channel dim (PyTorch takes dim 1 there)', () => {
    const m = new nn.LazyInstanceNorm2d();
    const y = m.forward(torch.randn([3, 4, 5]));
    assert.equal(
      m.toString(),
      'InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)',
    );
    assert.deepEqual(y.shape, [3, 4, 5]);
  });
});

describe('deepcopy of a lazy module before its first forward', () => {
  test('against Python: original and copy initialise on their own first forwards', {
    skip: skipWithoutPython(),
  }, () => {
    const expected = runPython<{ a: Nested[]; b: Nested[]; reprA: string; reprB: string; conv: Nested[] }>(`
import copy
from torch import nn
torch.manual_seed(6)
a = nn.Sequential(nn.LazyLinear(3), nn.ReLU(), nn.LazyLinear(2))
b = copy.deepcopy(a)
ya = a(torch.randn(2, 5))
yb = b(torch.randn(4, 7))
torch.manual_seed(7)
c = nn.LazyConv1d(4, 3)
d = copy.deepcopy(c)
x = torch.randn(2, 3, 10)
yc = c(x)
yd = d(x[:, :2])
OUTPUT = dict(a=[a[0].weight, a[2].weight, a[2].bias, ya], b=[b[0].weight, b[2].weight, b[2].bias, yb],
              reprA=repr(a), reprB=repr(b), conv=[c.weight, d.weight, d.bias, yc, yd])
`);
    torch.manualSeed(6);
    const a = new nn.Sequential(new nn.LazyLinear(3), new nn.ReLU(), new nn.LazyLinear(2));
    const b = a.deepcopy();
    const ya = a.forward(torch.randn([2, 5])) as Tensor;
    const yb = b.forward(torch.randn([4, 7])) as Tensor;
    const weights = (m: torch.nn.Sequential) => {
      const [l0, l2] = [m.at(0) as torch.nn.Linear, m.at(2) as torch.nn.Linear];
      return [l0.weight.toArray(), l2.weight.toArray(), l2.bias?.toArray()];
    };
    close([...weights(a), ya.toArray()], expected.a, 'original');
    close([...weights(b), yb.toArray()], expected.b, 'copy');
    assert.equal(String(a), expected.reprA);
    assert.equal(String(b), expected.reprB);

    torch.manualSeed(7);
    const c = new nn.LazyConv1d(4, 3);
    const d = c.deepcopy();
    const x = torch.randn([2, 3, 10]);
    const yc = c.forward(x);
    const yd = d.forward(x.narrow(1, 0, 2));
    close(
      [c.weight.toArray(), d.weight.toArray(), d.bias?.toArray(), yc.toArray(), yd.toArray()],
      expected.conv,
      'conv',
      1e-5,
    );
  });

  test('the copy has placeholders of its own; the original stays lazy, its hooks its own', () => {
    const m = new nn.LazyLinear(3);
    const copy = m.deepcopy();
    assert.ok(copy instanceof nn.LazyLinear && copy !== m);
    assert.ok(nn.isLazy(copy.weight) && nn.isLazy(copy.bias));
    assert.notEqual(copy.weight, m.weight);
    assert.equal(String(copy.weight), '<UninitializedParameter>');
    assert.equal(copy.hasUninitializedParams(), true);
    assert.throws(
      () => new torch.optim.SGD(copy.parameters(), { lr: 0.1 }),
      /Attempted to use an uninitialized parameter/,
    );
    assert.throws(() => copy.stateDict(), /LazyLinear\.stateDict: 'weight', 'bias' are not initialized yet/);

    // The copy initialises; the original is untouched and keeps its state-dict hooks.
    copy.forward(torch.randn([2, 6]));
    const layer: Module = copy;
    assert.ok(layer instanceof nn.Linear && !(layer instanceof nn.LazyLinear));
    assert.equal(copy.inFeatures, 6);
    assert.ok(nn.isLazy(m.weight) && m.hasUninitializedParams());
    assert.equal(m.inFeatures, 0);
    assert.throws(() => m.stateDict(), /LazyLinear\.stateDict: 'weight', 'bias' are not initialized yet/);
    // A load into the original sets the original's sizes, not the copy's.
    const src = new nn.Linear(4, 3);
    m.loadStateDict(src.stateDict());
    assert.equal(m.inFeatures, 4);
    assert.equal(copy.inFeatures, 6);
    assert.deepEqual(m.weight.toArray(), src.weight.toArray());
    assert.deepEqual(Object.keys(copy.stateDict()), ['weight', 'bias']);
  });

  test('a lazy norm: buffers copied as placeholders, loadStateDict into the copy', () => {
    torch.manualSeed(3);
    const src = new nn.BatchNorm1d(4);
    src.forward(torch.randn([8, 4]));
    const bn = new nn.LazyBatchNorm1d();
    const copy = bn.deepcopy();
    assert.ok(nn.isLazy(copy.running_mean) && nn.isLazy(copy.weight));
    assert.equal(String(copy.running_var), '<UninitializedBuffer>');
    copy.loadStateDict(src.stateDict());
    assert.equal(copy.numFeatures, 4);
    assert.equal(bn.numFeatures, 0);
    assert.ok(nn.isLazy(bn.running_mean), 'the original keeps its placeholders');
    assert.deepEqual(copy.running_mean?.toArray(), src.running_mean?.toArray());
  });
});
