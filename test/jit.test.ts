// torch.jit.load against Python torch: Python scripts and traces the models below, saves them to
// a temporary folder and runs them on the same inputs; this side loads the files and must give
// the same outputs (float32, to the bit), the same gradients of the inputs and parameters
// (float64, to the bit), the same state dicts, dropout masks and running statistics, and the
// same results for every kind of argument. TorchScript compiles from source files, so the
// Python models are written to a .py file first (`python -c` code cannot be scripted).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as torch from '../lib/index.js';
import { runPython, skipWithoutPython } from './support/python.js';

const skip = skipWithoutPython();

const MODELS = `
import torch
from torch import Tensor
from typing import Dict, List, Optional, Tuple, Union
import os

DIR = os.environ['JIT_TEST_DIR']

class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(5, 16)
        self.fc2 = torch.nn.Linear(16, 3)
    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(torch.relu(self.fc1(x)))

class CNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)
        self.fc = torch.nn.Linear(4 * 4 * 4, 3)
    def forward(self, x):
        y = torch.nn.functional.max_pool2d(torch.relu(self.bn(self.conv(x))), 2)
        return self.fc(y.flatten(1))

class Multi(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([1.5, -2.0, 0.25]))
    def forward(self, x: Tensor, pair: Tuple[Tensor, int], xs: List[Tensor], d: Dict[str, Tensor],
                o: Optional[Tensor], n: int, f: float, flag: bool, s: str
                ) -> Tuple[Tensor, List[Tensor], Dict[str, Tensor], int, float, bool, str, Optional[Tensor]]:
        y = x * self.w * f + pair[0] * pair[1]
        outs = [t * n for t in xs]
        dd: Dict[str, Tensor] = {}
        for k, v in d.items():
            dd[k + s] = v + 1
        extra: Optional[Tensor] = None
        if o is not None:
            extra = o * 2
        return y, outs, dd, n * pair[1], f * 2.0, not flag, s + '!', extra
    @torch.jit.export
    def scale(self, x: Tensor, k: float = 2.0) -> Tensor:
        return x * k
    @torch.jit.export
    def invert(self, d: Dict[int, str]) -> Dict[str, int]:
        out: Dict[str, int] = {}
        for k, v in d.items():
            out[v] = k
        return out
    @torch.jit.export
    def lengths(self, d: Dict[str, int]) -> Dict[int, str]:
        out: Dict[int, str] = {}
        for k, v in d.items():
            out[v] = k
        return out
    @torch.jit.export
    def kind(self, v: Union[float, int, str, Tensor]) -> str:
        if isinstance(v, int):
            return 'int'
        if isinstance(v, float):
            return 'float'
        if isinstance(v, str):
            return 'str'
        return 'tensor'
    @torch.jit.export
    def big(self) -> int:
        return 1152921504606846976
    @torch.jit.export
    def boom(self, msg: str) -> Tensor:
        raise ValueError('boom: ' + msg)

class Stoch(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = torch.nn.BatchNorm1d(4)
        self.drop = torch.nn.Dropout(0.5)
    def forward(self, x: Tensor) -> Tensor:
        return self.drop(self.bn(x))

def enc(t):
    return t.detach().tolist()

torch.manual_seed(0)
torch.jit.script(MLP()).save(os.path.join(DIR, 'mlp.pt'))
cnn = CNN()
with torch.no_grad():
    cnn.bn.running_mean.uniform_(-0.5, 0.5)
    cnn.bn.running_var.uniform_(0.5, 2.0)
cnn.eval()
torch.jit.trace(cnn, torch.randn(2, 1, 8, 8)).save(os.path.join(DIR, 'cnn.pt'))
torch.jit.script(Multi()).save(os.path.join(DIR, 'multi.pt'))
torch.jit.script(Stoch()).save(os.path.join(DIR, 'stoch.pt'))
torch.save({'a': torch.zeros(2)}, os.path.join(DIR, 'checkpoint.pt'))
with open(os.path.join(DIR, 'garbage.pt'), 'wb') as f:
    f.write(b'not a zip file at all')

R = {}
# Forward in float32, three calls (the profiling executor switches graphs after the first).
xs = [torch.randn(4, 5) for _ in range(3)]
m = torch.jit.load(os.path.join(DIR, 'mlp.pt'))
R['mlp'] = {'x': [enc(x) for x in xs], 'y': [enc(m(x)) for x in xs]}
# Gradients in float64, two steps accumulating into the parameters.
m.double()
steps = []
for _ in range(2):
    x = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    g = torch.randn(4, 3, dtype=torch.float64)
    y = m(x)
    (y * g).sum().backward()
    steps.append({'x': enc(x), 'g': enc(g), 'y': enc(y), 'xgrad': enc(x.grad)})
R['mlpGrad'] = {'steps': steps, 'params': {k: enc(p.grad) for k, p in m.named_parameters()},
                'names': [k for k, _ in m.named_parameters()]}
torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9).step()
R['mlpGrad']['afterStep'] = {k: enc(v) for k, v in m.state_dict().items()}

c = torch.jit.load(os.path.join(DIR, 'cnn.pt'))
xs = [torch.randn(2, 1, 8, 8) for _ in range(3)]
R['cnn'] = {'x': [enc(x) for x in xs], 'y': [enc(c(x)) for x in xs],
            'stateKeys': list(c.state_dict().keys()),
            'state': {k: enc(v) for k, v in c.state_dict().items()},
            'stateDtypes': {k: str(v.dtype).replace('torch.', '') for k, v in c.state_dict().items()},
            'buffers': [k for k, _ in c.named_buffers()],
            'training': c.training}
c.double()
steps = []
for _ in range(2):
    x = torch.randn(2, 1, 8, 8, dtype=torch.float64, requires_grad=True)
    g = torch.randn(2, 3, dtype=torch.float64)
    y = c(x)
    (y * g).sum().backward()
    steps.append({'x': enc(x), 'g': enc(g), 'y': enc(y), 'xgrad': enc(x.grad)})
R['cnnGrad'] = {'steps': steps, 'params': {k: enc(p.grad) for k, p in c.named_parameters()}}

mu = torch.jit.load(os.path.join(DIR, 'multi.pt'))
x = torch.randn(3)
p0 = torch.randn(3)
l0, l1 = torch.randn(2), torch.randn(1, 2)
dv = torch.randn(2)
o = torch.randn(2)
out = mu(x, (p0, 3), [l0, l1], {'a': dv}, o, 4, 0.5, True, 'z')
R['multi'] = {
    'in': {'x': enc(x), 'p0': enc(p0), 'l0': enc(l0), 'l1': enc(l1), 'dv': enc(dv), 'o': enc(o)},
    'out': [enc(out[0]), [enc(t) for t in out[1]], {k: enc(v) for k, v in out[2].items()},
            out[3], out[4], out[5], out[6], enc(out[7])],
    'noneExtra': mu(x, (p0, 3), [], {}, None, 4, 0.5, True, 'z')[7] is None,
    'scale': enc(mu.scale(x)), 'scale3': enc(mu.scale(x, 3.0)),
    'invert': mu.invert({1: 'a', 20: 'b'}),
    'methods': mu._c._method_names(),
}

# Whether outputs require grad under no_grad depends on the calls before (the profiling
# executor's plans): the same sequences here and there.
def grad_mode_sequence(modes):
    g = torch.jit.load(os.path.join(DIR, 'mlp.pt'))
    x = torch.randn(4, 5)
    out = []
    for mode in modes:
        with torch.set_grad_enabled(mode):
            out.append(g(x).requires_grad)
    return out
R['gradMode'] = {'a': grad_mode_sequence([False, True, False, True]), 'b': grad_mode_sequence([True, False, False])}

s = torch.jit.load(os.path.join(DIR, 'stoch.pt'))
x = torch.randn(6, 4)
torch.manual_seed(7)
training0 = s.training
yt = s(x)
rm = s.state_dict()['bn.running_mean'].clone()
s.eval()
ye = s(x)
R['stoch'] = {'x': enc(x), 'training0': training0, 'yTrain': enc(yt), 'runningMean': enc(rm),
              'yEval': enc(ye), 'trainingAfter': s.training}
RESULT = R
`;

type Nested = number | Nested[];

interface Step {
  x: Nested;
  g: Nested;
  y: Nested;
  xgrad: Nested;
}

interface Expected {
  mlp: { x: Nested[]; y: Nested[] };
  mlpGrad: { steps: Step[]; params: Record<string, Nested>; names: string[]; afterStep: Record<string, Nested> };
  cnn: {
    x: Nested[];
    y: Nested[];
    stateKeys: string[];
    state: Record<string, Nested>;
    stateDtypes: Record<string, string>;
    buffers: string[];
    training: boolean;
  };
  cnnGrad: { steps: Step[]; params: Record<string, Nested> };
  multi: {
    in: Record<'x' | 'p0' | 'l0' | 'l1' | 'dv' | 'o', Nested>;
    out: [Nested, Nested[], Record<string, Nested>, number, number, boolean, string, Nested];
    noneExtra: boolean;
    scale: Nested;
    scale3: Nested;
    invert: Record<string, number>;
    methods: string[];
  };
  gradMode: { a: boolean[]; b: boolean[] };
  stoch: {
    x: Nested;
    training0: boolean;
    yTrain: Nested;
    runningMean: Nested;
    yEval: Nested;
    trainingAfter: boolean;
  };
}

let dir = '';
let E: Expected;
let threads = 0;
const path = (name: string): string => join(dir, name);
const f32 = (v: Nested): torch.Tensor => torch.tensor(v, { dtype: 'float32' });
const f64 = (v: Nested): torch.Tensor => torch.tensor(v, { dtype: 'float64' });

describe('torch.jit', { skip }, () => {
  before(() => {
    threads = torch.getNumThreads();
    torch.setNumThreads(1);
    dir = mkdtempSync(join(tmpdir(), 'torch-node-jit-'));
    const file = join(dir, 'models.py');
    writeFileSync(file, MODELS);
    E = runPython<Expected>(
      `import os, runpy\nos.environ['JIT_TEST_DIR'] = INPUT['dir']\nOUTPUT = runpy.run_path(INPUT['file'], run_name='jit_models')['RESULT']`,
      { dir, file },
    );
  });
  after(() => {
    if (threads) torch.setNumThreads(threads);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a scripted MLP: float32 outputs equal Python to the bit', () => {
    using m = torch.jit.load(path('mlp.pt'));
    assert.equal(m.originalName, 'MLP');
    E.mlp.x.forEach((x, k) => {
      torch.scope(() => assert.deepEqual(m.forward(f32(x)).toArray(), E.mlp.y[k]));
    });
  });

  test('a scripted MLP: float64 gradients of inputs and parameters equal Python to the bit', () => {
    using m = torch.jit.load(path('mlp.pt'), { mapLocation: 'cpu' });
    assert.equal(m.to('float64'), m);
    assert.deepEqual(
      m.parameters().map((p) => p.dtype),
      ['float64', 'float64', 'float64', 'float64'],
    );
    for (const step of E.mlpGrad.steps) {
      torch.scope(() => {
        const x = f64(step.x).requiresGrad_();
        const y = m.forward(x);
        assert.deepEqual(y.toArray(), step.y);
        y.mul(f64(step.g)).sum().backward();
        assert.deepEqual(x.grad?.toArray(), step.xgrad);
      });
    }
    const named = m.namedParameters();
    assert.deepEqual(
      named.map(([n]) => n),
      E.mlpGrad.names,
    );
    for (const [name, p] of named) {
      assert.equal(p.requiresGrad, true);
      assert.deepEqual(p.grad?.toArray(), E.mlpGrad.params[name], name);
    }
    // An optimizer over parameters() updates the module itself.
    new torch.optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 }).step();
    for (const [k, v] of Object.entries(m.stateDict())) assert.deepEqual(v.toArray(), E.mlpGrad.afterStep[k], k);
    m.zeroGrad();
    assert.equal(m.parameters()[0]?.grad, null);
  });

  test('a traced CNN: outputs, gradients and state dict equal Python', () => {
    using c = torch.jit.load(path('cnn.pt'));
    assert.equal(c.training, E.cnn.training);
    E.cnn.x.forEach((x, k) => {
      torch.scope(() => assert.deepEqual(c.forward(f32(x)).toArray(), E.cnn.y[k]));
    });
    const sd = c.stateDict();
    assert.deepEqual(Object.keys(sd), E.cnn.stateKeys);
    for (const [k, v] of Object.entries(sd)) {
      assert.equal(v.dtype, E.cnn.stateDtypes[k], k);
      assert.deepEqual(v.toArray(), E.cnn.state[k], k);
      assert.equal(v.requiresGrad, false, k);
    }
    assert.deepEqual(
      c.namedBuffers().map(([n]) => n),
      E.cnn.buffers,
    );
    c.double();
    // Integer buffers keep their dtype, as in nn.Module.to.
    assert.equal(c.stateDict()['bn.num_batches_tracked']?.dtype, 'int64');
    assert.equal(c.stateDict()['bn.running_mean']?.dtype, 'float64');
    for (const step of E.cnnGrad.steps) {
      torch.scope(() => {
        const x = f64(step.x).requiresGrad_();
        const y = c.forward(x);
        assert.deepEqual(y.toArray(), step.y);
        y.mul(f64(step.g)).sum().backward();
        assert.deepEqual(x.grad?.toArray(), step.xgrad);
      });
    }
    for (const [name, p] of c.namedParameters()) assert.deepEqual(p.grad?.toArray(), E.cnnGrad.params[name], name);
  });

  test('stateDict and parameters share the module storage', () => {
    using m = torch.jit.load(path('mlp.pt'));
    const x = f32(E.mlp.x[0] as Nested);
    const sd = m.stateDict();
    sd['fc2.weight']?.zero_();
    sd['fc2.bias']?.fill_(0.5);
    assert.deepEqual(m.forward(x).toArray(), [
      [0.5, 0.5, 0.5],
      [0.5, 0.5, 0.5],
      [0.5, 0.5, 0.5],
      [0.5, 0.5, 0.5],
    ]);
    const bias = m.namedParameters().find(([n]) => n === 'fc2.bias')?.[1];
    assert.deepEqual(bias?.toArray(), [0.5, 0.5, 0.5]);
    // Parameters taken inside a scope outlive it (as nn.Parameter), results do not.
    let param: torch.Tensor | undefined;
    let out: torch.Tensor | undefined;
    torch.scope(() => {
      param = m.parameters()[0];
      out = m.forward(x);
    });
    assert.equal(param?.isDisposed, false);
    assert.equal(out?.isDisposed, true);
    // A tensor taken from the module stays valid after the module is disposed.
    m.dispose();
    assert.deepEqual(bias?.toArray(), [0.5, 0.5, 0.5]);
  });

  test("methods run under the caller's grad mode, as in PyTorch", () => {
    const x = f32(E.mlp.x[0] as Nested);
    const sequence = (modes: boolean[]): boolean[] => {
      using m = torch.jit.load(path('mlp.pt'));
      return modes.map((mode) => (mode ? m.forward(x).requiresGrad : torch.noGrad(() => m.forward(x).requiresGrad)));
    };
    // [false, true, false, true]: recording follows the mode. After a first call with grad,
    // PyTorch's profiling executor keeps returning outputs that require grad: so do we.
    assert.deepEqual(sequence([false, true, false, true]), E.gradMode.a);
    assert.deepEqual(E.gradMode.a, [false, true, false, true]);
    assert.deepEqual(sequence([true, false, false]), E.gradMode.b);
  });

  test('several inputs and outputs: tuple, list, dict, Optional, int, float, bool, str', () => {
    using m = torch.jit.load(path('multi.pt'));
    const I = E.multi.in;
    const x = f32(I.x);
    const pair = [f32(I.p0), 3];
    const list = [f32(I.l0), f32(I.l1)];
    const out = m.forward<
      [torch.Tensor, torch.Tensor[], Record<string, torch.Tensor>, number, number, boolean, string, torch.Tensor | null]
    >(x, pair, list, { a: f32(I.dv) }, f32(I.o), 4, 0.5, true, 'z');
    const [y, outs, dict, n, f, flag, s, extra] = out;
    const [ey, eouts, edict, en, ef, eflag, es, eextra] = E.multi.out;
    assert.deepEqual(y.toArray(), ey);
    assert.ok(Array.isArray(outs));
    assert.deepEqual(
      outs.map((t) => t.toArray()),
      eouts,
    );
    assert.equal(Object.getPrototypeOf(dict), Object.prototype);
    assert.deepEqual(Object.keys(dict), Object.keys(edict));
    assert.deepEqual(dict.az?.toArray(), edict.az);
    assert.equal(n, en);
    assert.equal(f, ef);
    assert.equal(flag, eflag);
    assert.equal(s, es);
    assert.deepEqual(extra?.toArray(), eextra);
    // null is None; the result's None is null.
    assert.equal(E.multi.noneExtra, true);
    assert.equal(m.forward<unknown[]>(x, pair, [], {}, null, 4, 0.5, true, 'z')[7], null);
    assert.equal(m.forward<unknown[]>(x, pair, [], new Map([['k', f32(I.dv)]]), undefined, 4, 0.5, true, 'z')[7], null);
    // An exported method, with and without its default.
    assert.deepEqual(m.runMethod<torch.Tensor>('scale', x).toArray(), E.multi.scale);
    assert.deepEqual(m.runMethod<torch.Tensor>('scale', x, 3).toArray(), E.multi.scale3);
    // Dict[int, str] from a plain object or a Map; Dict[int, str] results are Maps.
    assert.deepEqual(m.runMethod('invert', { 1: 'a', 20: 'b' }), E.multi.invert);
    assert.deepEqual(
      m.runMethod(
        'invert',
        new Map([
          [1, 'a'],
          [20, 'b'],
        ]),
      ),
      E.multi.invert,
    );
    assert.deepEqual(
      m.runMethod('lengths', { a: 1, b: 2 }),
      new Map([
        [1, 'a'],
        [2, 'b'],
      ]),
    );
    // Union: the first member the value fits.
    assert.equal(m.runMethod('kind', 3), 'int');
    assert.equal(m.runMethod('kind', 2.5), 'float');
    assert.equal(m.runMethod('kind', 'x'), 'str');
    assert.equal(m.runMethod('kind', x), 'tensor');
    assert.deepEqual(
      m.methods().map((meth) => meth.name),
      E.multi.methods,
    );
    assert.match(
      m.methods().find((meth) => meth.name === 'scale')?.schema ?? '',
      /scale\(.* self, Tensor x, float k=2\.?0?\) -> Tensor/,
    );
    assert.throws(() => m.runMethod('big'), /big: .*beyond JavaScript's exact integers/);
  });

  test('argument errors name the method and the argument, from the schema', () => {
    using m = torch.jit.load(path('multi.pt'));
    const x = torch.ones([3]);
    const ok = [x, [x, 3], [x], { a: x }, null, 4, 0.5, true, 'z'];
    const call = (k: number, v: unknown) => () => m.forward(...ok.map((a, i) => (i === k ? v : a)));
    call(0, x)(); // the good call
    const cases: [() => unknown, RegExp][] = [
      [call(0, 3), /^TypeError: forward: argument 'x' expects Tensor, got number$/],
      [call(1, [x]), /forward: argument 'pair' expects Tuple\[Tensor, int\], got an array of 1 elements/],
      [call(1, [x, 1.5]), /forward: argument 'pair\[1\]' expects int, got 1\.5 \(not an integer\)/],
      [call(2, [x, 'no']), /forward: argument 'xs\[1\]' expects Tensor, got string/],
      [call(3, { a: 1 }), /forward: argument 'd\[a\]' expects Tensor, got number/],
      [call(3, [x]), /forward: argument 'd' expects Dict\[str, Tensor\], got array/],
      [call(4, 5), /forward: argument 'o' expects Optional\[Tensor\], got number/],
      [call(5, 2.5), /forward: argument 'n' expects int, got 2\.5 \(not an integer\)/],
      [call(6, '1'), /forward: argument 'f' expects float, got string/],
      [call(7, 1), /forward: argument 'flag' expects bool, got number/],
      [call(8, null), /forward: argument 's' expects str, got null/],
      [() => m.forward(x), /forward: missing argument 'pair' \(Tuple\[Tensor, int\]\)/],
      [() => m.forward(...ok, 1), /forward: expected at most 9 arguments \(x, pair, xs, d, o, n, f, flag, s\), got 10/],
      [() => m.runMethod('scale', x, 2, 3), /scale: expected at most 2 arguments \(x, k\), got 3/],
      [() => m.runMethod('kind', [1]), /kind: argument 'v' expects Union\[Tensor, float, int, str\], got array/],
      [
        () => m.runMethod('nope'),
        /nope: the ScriptModule has no method 'nope' \(its methods: forward, big, boom, invert, kind, lengths, scale\)$/,
      ],
    ];
    for (const [fn, re] of cases) {
      assert.throws(fn, (e: Error) => {
        assert.match(`${e.name}: ${e.message}`, re);
        return true;
      });
    }
    assert.throws(call(0, 3), TypeError);
    const gone = torch.ones([3]);
    gone.dispose();
    assert.throws(call(0, gone), /forward: argument 'x' is a disposed Tensor/);
  });

  test('exceptions raised in TorchScript become Errors carrying its message', () => {
    using m = torch.jit.load(path('multi.pt'));
    assert.throws(
      () => m.runMethod('boom', 'bad input'),
      (e: Error) => {
        assert.ok(!(e instanceof TypeError));
        assert.match(e.message, /^boom: The following operation failed in the TorchScript interpreter/);
        assert.match(e.message, /builtins\.ValueError: boom: bad input/);
        return true;
      },
    );
    using mlp = torch.jit.load(path('mlp.pt'));
    assert.throws(
      () => mlp.forward(torch.ones([2, 4])),
      /^Error: forward: [\s\S]*mat1 and mat2 shapes cannot be multiplied \(2x4 and 5x16\)/,
    );
    // The module is usable after a failure.
    assert.deepEqual(mlp.forward(torch.ones([1, 5])).shape, [1, 3]);
  });

  test('train() and eval() switch Dropout and BatchNorm, as in Python (same seed, same mask)', () => {
    using s = torch.jit.load(path('stoch.pt'));
    const x = f32(E.stoch.x);
    assert.equal(s.training, E.stoch.training0);
    torch.manualSeed(7);
    const yt = s.forward(x);
    assert.deepEqual(yt.toArray(), E.stoch.yTrain);
    assert.deepEqual(s.stateDict()['bn.running_mean']?.toArray(), E.stoch.runningMean);
    assert.equal(s.eval(), s);
    assert.equal(s.training, E.stoch.trainingAfter);
    assert.deepEqual(s.forward(x).toArray(), E.stoch.yEval);
    // In eval the running statistics stay, and the output is deterministic.
    assert.deepEqual(s.stateDict()['bn.running_mean']?.toArray(), E.stoch.runningMean);
    assert.deepEqual(s.forward(x).toArray(), E.stoch.yEval);
    s.train();
    assert.equal(s.training, true);
    assert.throws(() => s.train(1 as unknown as boolean), /train: mode is expected to be boolean/);
  });

  test('a disposed module is an Error; dispose twice and `using` are fine', () => {
    const m = torch.jit.load(path('mlp.pt'));
    assert.equal(m.isDisposed, false);
    m.dispose();
    m.dispose();
    assert.equal(m.isDisposed, true);
    assert.equal(String(m), 'ScriptModule(disposed)');
    for (const fn of [
      () => m.forward(torch.ones([1, 5])),
      () => m.parameters(),
      () => m.stateDict(),
      () => m.train(),
      () => m.training,
      () => m.to('float64'),
      () => torch.jit.save(m, path('never.pt')),
    ]) {
      assert.throws(fn, /this ScriptModule was disposed/);
    }
    let outer: torch.jit.ScriptModule | undefined;
    {
      using inner = torch.jit.load(path('mlp.pt'));
      outer = inner;
      assert.equal(outer.isDisposed, false);
    }
    assert.equal(outer.isDisposed, true);
  });

  test('load: a missing file, a directory, garbage, a torch.save checkpoint', () => {
    assert.throws(() => torch.jit.load(path('missing.pt')), /^Error: jit\.load: no such file: '.*missing\.pt'$/);
    assert.throws(() => torch.jit.load(dir), /jit\.load: '.*' is a directory/);
    assert.throws(
      () => torch.jit.load(path('garbage.pt')),
      /jit\.load: '.*garbage\.pt' is not a TorchScript file that this libtorch can read \(PytorchStreamReader failed reading zip archive/,
    );
    assert.throws(() => torch.jit.load(path('checkpoint.pt')), /holds no TorchScript code .*read with torch\.load/);
    assert.throws(() => torch.jit.load(path('mlp.pt'), { mapLocation: 'nowhere' }), /jit\.load/);
    assert.throws(() => torch.jit.load(3 as unknown as string), TypeError);
  });

  test('jit.save round trip: this side and Python load what it wrote', () => {
    const out = path('saved.pt');
    const x = E.mlp.x[0] as Nested;
    {
      using m = torch.jit.load(path('mlp.pt'));
      m.stateDict()['fc2.bias']?.add_(1);
      m.eval();
      torch.jit.save(m, out);
    }
    using again = torch.jit.load(out);
    assert.equal(again.training, false);
    const mine = again.forward(f32(x)).toArray();
    const py = runPython<{ y: Nested; training: boolean }>(
      `m = torch.jit.load(INPUT['f'])\nOUTPUT = {'y': m(torch.tensor(INPUT['x'])), 'training': m.training}`,
      { f: out, x },
    );
    assert.deepEqual(mine, py.y);
    assert.equal(py.training, false);
    // The bias moved by 1, so did the output (up to float32 rounding).
    const before = E.mlp.y[0] as number[][];
    for (const [i, row] of (mine as number[][]).entries()) {
      for (const [j, v] of row.entries()) assert.ok(Math.abs(v - (before[i]?.[j] as number) - 1) < 1e-5);
    }
  });
});
