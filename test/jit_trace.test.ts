// torch.jit.trace: models trained here, traced, saved, and run by Python torch's torch.jit.load.
// The traced module must give the JavaScript module's numbers to the bit (here and in Python),
// on batches other than the example, and share its parameters.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import * as torch from '../lib/index.js';
import { runPython, skipWithoutPython } from './support/python.js';

const { nn } = torch;
type Tensor = torch.Tensor;
type Nested = number | Nested[];

const skip = skipWithoutPython();

class Mlp extends nn.Module {
  fc1 = new nn.Linear(6, 16);
  act = new nn.ReLU();
  fc2 = new nn.Linear(16, 3);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
  }
}

// Sequential and nested submodules, BatchNorm with running statistics of its own, max pooling
// (torch-node's own kernel outside a trace), dropout in eval mode, flatten.
class ConvNet extends nn.Module {
  features = new nn.Sequential(
    new nn.Conv2d(2, 4, 3, { padding: 1 }),
    new nn.BatchNorm2d(4),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
  );
  head = new nn.Sequential(new nn.Dropout({ p: 0.3 }), new nn.Flatten(), new nn.Linear(4 * 3 * 3, 5));
  forward(x: Tensor): Tensor {
    return this.head.forward(this.features.forward(x)) as Tensor;
  }
}

const values = (t: Tensor): Nested => t.toArray() as Nested;

function convNet(): ConvNet {
  const net = new ConvNet();
  // Running statistics away from their initial values, then eval mode.
  torch.noGrad(() => {
    for (let k = 0; k < 3; k++) torch.scope(() => net.forward(torch.randn([8, 2, 6, 6]).mul(k + 1)));
  });
  return net.eval();
}

const PY = `
import os, torch
d = INPUT['dir']
def run(name, *xs):
    m = torch.jit.load(os.path.join(d, name))
    out = m(*[torch.tensor(x, dtype=torch.float32) for x in xs])
    return m, out
R = {}
m, y = run('mlp.pt', INPUT['mlpX'])
R['mlp'] = {'y': y, 'state': [[k, v.tolist()] for k, v in m.state_dict().items()], 'code': m.code,
            'names': [[n, s.original_name] for n, s in m.named_modules()]}
m, y = run('conv.pt', INPUT['convX'])
R['conv'] = {'y': y, 'state': [[k, v.tolist()] for k, v in m.state_dict().items()], 'training': m.training,
             'names': [[n, s.original_name] for n, s in m.named_modules()], 'bn': getattr(m.features, '1').code}
m, y = run('fn.pt', INPUT['fnA'], INPUT['fnB'])
R['fn'] = {'y': [t.tolist() for t in y], 'code': m.code}
OUTPUT = R
`;

interface FromPython {
  mlp: { y: Nested; state: [string, Nested][]; code: string; names: [string, string][] };
  conv: { y: Nested; state: [string, Nested][]; training: boolean; names: [string, string][]; bn: string };
  fn: { y: Nested[]; code: string };
}

describe('jit.trace', () => {
  let dir: string;
  let threads: number;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tn-jit-trace-'));
    // Python runs at one thread: the same kernels then give the same bits.
    threads = torch.getNumThreads();
    torch.setNumThreads(1);
    torch.manualSeed(7);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    torch.setNumThreads(threads);
  });

  test('an MLP, a conv net and a function run here and in Python as the JavaScript code does', { skip }, () => {
    const mlp = new Mlp();
    const traced = torch.jit.trace(mlp, torch.randn([4, 6]));
    // Another batch size than the example's.
    const mlpX = torch.randn([7, 6]);
    assert.deepEqual(values(traced.forward(mlpX)), values(mlp.forward(mlpX)));
    torch.jit.save(traced, join(dir, 'mlp.pt'));

    const net = convNet();
    const tracedNet = torch.jit.trace(net, torch.randn([2, 2, 6, 6]));
    const convX = torch.randn([5, 2, 6, 6]);
    const expected = net.forward(convX);
    assert.deepEqual(values(tracedNet.forward(convX)), values(expected));
    assert.equal(tracedNet.training, false);
    torch.jit.save(tracedNet, join(dir, 'conv.pt'));

    const fn = (a: Tensor, b: Tensor): Tensor[] => [a.mul(b).add(1), torch.nn.functional.relu(a.sub(b))];
    const tracedFn = torch.jit.trace(fn, [torch.randn([3]), torch.randn([3])]);
    const [fnA, fnB] = [torch.randn([2, 5]), torch.randn([2, 5])] as [Tensor, Tensor];
    const fnY = tracedFn.forward<Tensor[]>(fnA, fnB);
    assert.deepEqual(fnY.map(values), fn(fnA, fnB).map(values));
    torch.jit.save(tracedFn, join(dir, 'fn.pt'));

    const py = runPython<FromPython>(PY, {
      dir,
      mlpX: values(mlpX),
      convX: values(convX),
      fnA: values(fnA),
      fnB: values(fnB),
    });
    assert.deepEqual(py.mlp.y, values(mlp.forward(mlpX)));
    assert.deepEqual(
      py.mlp.state,
      Object.entries(mlp.stateDict()).map(([k, v]) => [k, values(v)]),
    );
    assert.deepEqual(py.mlp.names, [
      ['', 'Mlp'],
      ['fc1', 'Linear'],
      ['act', 'ReLU'],
      ['fc2', 'Linear'],
    ]);
    // One forward per submodule, called from the parent's, as Python's traced modules have.
    assert.match(py.mlp.code, /def forward\(self,\s+x: Tensor\) -> Tensor:/);
    assert.match(py.mlp.code, /\(fc2\)\.forward\(\(act\)\.forward\(\(fc1\)\.forward\(x, \), \), \)/);

    assert.deepEqual(py.conv.y, values(expected));
    assert.deepEqual(
      py.conv.state,
      Object.entries(net.stateDict()).map(([k, v]) => [k, values(v)]),
    );
    assert.deepEqual(
      py.conv.state.map(([k]) => k),
      [
        'features.0.weight',
        'features.0.bias',
        'features.1.weight',
        'features.1.bias',
        'features.1.running_mean',
        'features.1.running_var',
        'features.1.num_batches_tracked',
        'head.2.weight',
        'head.2.bias',
      ],
    );
    assert.equal(py.conv.training, false);
    assert.deepEqual(
      py.conv.names.map(([, n]) => n),
      [
        'ConvNet',
        'Sequential',
        'Conv2d',
        'BatchNorm2d',
        'ReLU',
        'MaxPool2d',
        'Sequential',
        'Dropout',
        'Flatten',
        'Linear',
      ],
    );
    // Eval-mode batch norm reads the running statistics as attributes, not constants.
    assert.match(py.conv.bn, /running_mean = self\.running_mean/);
    assert.match(py.conv.bn, /torch\.batch_norm\(.*, False,/);

    assert.deepEqual(py.fn.y, fnY.map(values));
    assert.match(py.fn.code, /def forward\(self,\s+a: Tensor,\s+b: Tensor\) -> Tuple\[Tensor, Tensor\]:/);
    for (const m of [traced, tracedNet, tracedFn]) m.dispose();
  });

  test('the traced module shares the parameters and buffers: training the original changes it', () => {
    const mlp = new Mlp();
    const traced = torch.jit.trace(mlp, torch.randn([2, 6]));
    const x = torch.randn([3, 6]);
    const before = values(traced.forward(x));
    torch.noGrad(() => mlp.fc2.bias?.add_(1));
    const after = values(traced.forward(x));
    assert.notDeepEqual(after, before);
    assert.deepEqual(after, values(mlp.forward(x)));

    // An optimizer step on the JavaScript module, then the traced module's gradients too.
    const opt = new torch.optim.SGD(mlp.parameters(), { lr: 0.1 });
    torch.scope(() => mlp.forward(x).square().sum().backward());
    opt.step();
    assert.deepEqual(values(traced.forward(x)), values(mlp.forward(x)));
    const w = traced.getSubmodule('fc1').getAttr<Tensor>('weight');
    assert.deepEqual(values(w), values(mlp.fc1.weight));
    assert.equal(w.requiresGrad, true);
    traced.dispose();
  });

  test('a submodule under two names and weights tied across modules stay shared, as in Python', () => {
    class Tied extends nn.Module {
      a = new nn.Linear(3, 3);
      b = new nn.Linear(3, 3);
      again = this.a;
      forward(x: Tensor): Tensor {
        return this.again.forward(this.b.forward(this.a.forward(x)));
      }
    }
    const m = new Tied();
    m.b.weight = m.a.weight;
    const traced = torch.jit.trace(m, torch.randn([2, 3]));
    assert.deepEqual(Object.keys(traced.stateDict()), Object.keys(m.stateDict()));
    const x = torch.randn([4, 3]);
    torch.noGrad(() => m.a.weight.mul_(-1));
    assert.deepEqual(values(traced.forward(x)), values(m.forward(x)));
    traced.dispose();
  });

  test('outputs: a tensor, nested arrays (tuples), objects only without strict', () => {
    const x = torch.tensor([-1, 0.5, 2]);
    const nested = torch.jit.trace((a: Tensor) => [a.relu(), [a.neg(), a.abs()]], x);
    assert.deepEqual(
      nested
        .forward<Tensor[][]>(torch.tensor([3, -4]))
        .flat()
        .map(values),
      [
        [3, 0],
        [-3, 4],
        [3, 4],
      ],
    );
    assert.match(nested.code, /-> Tuple\[Tensor, Tuple\[Tensor, Tensor\]\]/);
    assert.throws(
      () => torch.jit.trace((a: Tensor) => ({ y: a.relu() }), x),
      /jit\.trace: the traced function's output is an object.*pass \{strict: false\}/,
    );
    const dict = torch.jit.trace((a: Tensor) => ({ y: a.relu(), z: a.mul(2) }), x, { strict: false });
    const out = dict.forward<Record<string, Tensor>>(torch.tensor([-2, 5]));
    assert.deepEqual(Object.keys(out), ['y', 'z']);
    assert.deepEqual(
      [values(out.y as Tensor), values(out.z as Tensor)],
      [
        [0, 5],
        [-4, 10],
      ],
    );
    for (const m of [nested, dict]) m.dispose();
  });

  test('inputs: an object of Tensors (a Dict[str, Tensor]) and an array (a tuple), here and in Python', {
    skip,
  }, () => {
    class Fusion extends nn.Module {
      proj = new nn.Linear(3, 2);
      forward(d: { a: Tensor; b: Tensor }, pair: [Tensor, Tensor]): Tensor {
        return this.proj.forward(d.a.mul(2).add(d.b)).add(pair[0].mul(pair[1]));
      }
    }
    const m = new Fusion();
    const example = (n: number): [{ a: Tensor; b: Tensor }, [Tensor, Tensor]] => [
      { a: torch.randn([n, 3]), b: torch.randn([n, 3]) },
      [torch.randn([n, 2]), torch.randn([n, 2])],
    ];
    const traced = torch.jit.trace(m, example(4));
    assert.match(traced.code, /d: Dict\[str, Tensor\],\s*pair: Tuple\[Tensor, Tensor\]\) -> Tensor/);
    const [d, pair] = example(5);
    const expected = values(m.forward(d, pair));
    assert.deepEqual(values(traced.forward(d, pair)), expected);
    torch.jit.save(traced, join(dir, 'fusion.pt'));
    const py = runPython<Nested>(
      `
m = torch.jit.load(INPUT['path'])
t = lambda v: torch.tensor(v, dtype=torch.float32)
OUTPUT = m({'a': t(INPUT['a']), 'b': t(INPUT['b'])}, (t(INPUT['p']), t(INPUT['q'])))
`,
      { path: join(dir, 'fusion.pt'), a: values(d.a), b: values(d.b), p: values(pair[0]), q: values(pair[1]) },
    );
    assert.deepEqual(py, expected);

    // One object argument is wrapped as Python wraps a dict: (dict,).
    const single = torch.jit.trace((x: { u: Tensor }) => x.u.neg(), { u: torch.ones([2]) });
    assert.deepEqual(values(single.forward({ u: torch.tensor([1, -2]) })), [-1, 2]);
    assert.throws(() => torch.jit.trace((x: { u: Tensor }) => x.u, { u: 3 as never }), {
      name: 'TypeError',
      message: 'jit.trace: exampleInputs[0].u must be a Tensor (an object input holds Tensors), got a number',
    });
    for (const x of [traced, single]) x.dispose();
  });

  test('errors: bad arguments, non-tensor outputs, the function throwing, nesting', () => {
    const x = torch.randn([2, 3]);
    assert.throws(() => torch.jit.trace(3 as never, x), {
      name: 'TypeError',
      message: 'jit.trace: expected an nn.Module or a function of Tensors, got a number',
    });
    assert.throws(() => torch.jit.trace((a: Tensor) => a, [x, 2 as never]), {
      name: 'TypeError',
      message: 'jit.trace: exampleInputs[1] must be a Tensor, an array of inputs or an object of Tensors, got a number',
    });
    const gone = torch.randn([2]);
    gone.dispose();
    assert.throws(
      () => torch.jit.trace((a: Tensor) => a, gone),
      /jit\.trace: 'exampleInputs\[0\]' is a disposed Tensor/,
    );
    assert.throws(() => torch.jit.trace((a: Tensor) => a.sum().item(), x), {
      name: 'TypeError',
      message:
        "jit.trace: the traced function's output is a number; it must return a Tensor, an array of Tensors or " +
        '(strict: false) an object of Tensors (side effects are not recorded)',
    });
    assert.throws(() => torch.jit.trace((a: Tensor) => [a, null], x), /output\[1\] is null/);
    assert.throws(() => torch.jit.trace(async (a: Tensor) => a, x), /output is a Promise/);

    // The function's own Error, unwrapped; the tracer is left clean, and the next trace works.
    const boom = new RangeError('boom');
    class Broken extends nn.Module {
      inner = new nn.Linear(3, 3);
      forward(a: Tensor): Tensor {
        this.inner.forward(a);
        throw boom;
      }
    }
    const broken = new Broken();
    const innerForward = broken.inner.forward;
    assert.throws(
      () => torch.jit.trace(broken, x),
      (e) => e === boom,
    );
    assert.equal(torch.jit.isTracing(), false);
    assert.equal(broken.inner.forward, innerForward, 'the submodule forward is put back');
    // An op's own error inside the function.
    assert.throws(() => torch.jit.trace((a: Tensor) => a.matmul(a), x), /mat1 and mat2 shapes cannot be multiplied/);
    assert.throws(
      () => torch.jit.trace((a: Tensor) => torch.jit.trace((b: Tensor) => b, a).forward<Tensor>(a), x),
      /Tracing can't be nested/,
    );
    // A parameter of no registered module cannot become a constant (as in Python).
    const stray = new nn.Parameter(torch.ones([3]));
    assert.throws(
      () => torch.jit.trace((a: Tensor) => a.mul(stray), x),
      /Cannot insert a Tensor that requires grad as a constant/,
    );
    const ok = torch.jit.trace((a: Tensor) => a.mul(2), x);
    assert.deepEqual(values(ok.forward(torch.tensor([1, 2]))), [2, 4]);
    ok.dispose();
  });

  test('values read in JavaScript are constants of the trace, with a TracerWarning', () => {
    const warn = mock.method(process, 'emitWarning', () => {});
    try {
      const x = torch.tensor([1, 2, 3]);
      const traced = torch.jit.trace((a: Tensor) => a.mul(a.sum().item() as number), x, { checkTrace: false });
      // The sum of the example (6), not of this input.
      assert.deepEqual(values(traced.forward(torch.tensor([1, 1]))), [6, 6]);
      const calls = warn.mock.calls.map((c) => c.arguments);
      assert.equal(calls.length, 1);
      assert.match(String(calls[0]?.[0]), /^Converting a tensor to a JavaScript number \(item\) might cause the trace/);
      assert.equal(calls[0]?.[1], 'TracerWarning');
      traced.dispose();
    } finally {
      warn.mock.restore();
    }
  });

  test('checkTrace warns where the traced module disagrees with the function (dropout while training)', () => {
    const warn = mock.method(process, 'emitWarning', () => {});
    try {
      const drop = new nn.Dropout({ p: 0.5 });
      const x = torch.ones([64]);
      torch.jit.trace(drop, x).dispose();
      assert.equal(warn.mock.callCount(), 1);
      assert.match(String(warn.mock.calls[0]?.arguments[0]), /^Output nr 1\. of the traced function does not match/);
      drop.eval();
      torch.jit.trace(drop, x).dispose();
      torch.jit.trace(drop.train(), x, { checkTrace: false }).dispose();
      assert.equal(warn.mock.callCount(), 1);
    } finally {
      warn.mock.restore();
    }
  });
});
