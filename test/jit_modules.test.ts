// torch.jit beyond forward: keyword arguments, submodules, attributes, repr and code, against
// Python torch. Python scripts the models below, saves them to a temporary folder and records
// what its ScriptModules give; this side loads the same files.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import * as torch from '../lib/index.js';
import { runPython, skipWithoutPython } from './support/python.js';

const skip = skipWithoutPython();

const MODELS = `import torch, os
from torch import Tensor
from typing import Dict, List, Optional, Tuple

DIR = os.environ['JIT_TEST_DIR']

class Inner(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 2)
        self.register_buffer('count', torch.zeros(1))
    def forward(self, x: Tensor) -> Tensor:
        return self.lin(x) + self.count

class Kw(torch.nn.Module):
    CONST: torch.jit.Final[int] = 7
    def __init__(self):
        super().__init__()
        self.inner = Inner()
        self.seq = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())
        self.n = 3
        self.f = 0.5
        self.s = 'hi'
        self.flag = True
        self.xs = [1, 2]
        self.d = {'a': torch.ones(2)}
        self.o = torch.jit.Attribute(None, Optional[int])
    def forward(self, x: Tensor, k: float = 2.0, tag: str = 'x') -> Tuple[Tensor, str]:
        return self.seq(self.inner(x)) * k + self.n, tag + self.s
    @torch.jit.export
    def mix(self, a: int, b: int = 10, c: Optional[int] = None) -> int:
        return a * 100 + b + (0 if c is None else c)
    @torch.jit.export
    def opts(self, d: Dict[str, int], scale: int = 1) -> int:
        total = 0
        for v in d.values():
            total += v
        o = self.o
        extra = 0
        if o is not None:
            extra = o
        return total * scale + len(self.xs) + extra

class Shared(torch.nn.Module):
    def __init__(self):
        super().__init__()
        lin = torch.nn.Linear(2, 2)
        self.a = lin
        self.b = lin
    def forward(self, x: Tensor) -> Tensor:
        return self.b(self.a(x))

def enc(t):
    return t.detach().tolist()

torch.manual_seed(0)
torch.jit.script(Kw()).save(os.path.join(DIR, 'kw.pt'))
torch.jit.script(Shared()).save(os.path.join(DIR, 'shared.pt'))

R = {}
m = torch.jit.load(os.path.join(DIR, 'kw.pt'))
x = torch.randn(3, 2)
y, tag = m(x, tag='t', k=0.5)
R['x'] = enc(x)
R['kw'] = {'y': enc(y), 'tag': tag, 'yDefault': enc(m(x)[0]),
           'mix': [m.mix(1, c=5), m.mix(a=2), m.mix(3, c=1, b=2), m.mix(4)],
           'opts': m.opts({'a': 1, 'b': 2}, scale=3)}
errors = {}
for key, call in [('twice', lambda: m.mix(1, a=2)), ('unknown', lambda: m.mix(1, zz=2)),
                  ('missing', lambda: m.mix(b=2))]:
    try:
        call()
    except RuntimeError as e:
        errors[key] = str(e).splitlines()[0]
R['errors'] = errors
R['repr'] = repr(m)
R['code'] = m.code
R['mixCode'] = m.mix.code
R['modules'] = [[n, mod.original_name] for n, mod in m.named_modules()]
R['children'] = [n for n, _ in m.named_children()]
R['inner'] = {'y': enc(m.inner(x)), 'buffers': [n for n, _ in m.inner.named_buffers()],
              'params': [n for n, _ in m.inner.named_parameters()], 'repr': repr(m.inner)}
R['seq0'] = enc(getattr(m.seq, '0')(x))
R['attrs'] = {'n': m.n, 'f': m.f, 's': m.s, 'flag': m.flag, 'xs': m.xs, 'd': {k: enc(v) for k, v in m.d.items()},
              'o': m.o, 'CONST': m.CONST, 'training': m.training,
              'has': {k: hasattr(m, k) for k in ['n', 'CONST', 'inner', 'training', 'nope']}}
m.n = 5
m.o = 4
m.xs = [3, 4, 5]
R['afterSet'] = {'y': enc(m(x)[0]), 'opts': m.opts({'a': 1})}
with torch.no_grad():
    m.inner.lin.weight.zero_()
R['afterZero'] = enc(m(x)[0])
s = torch.jit.load(os.path.join(DIR, 'shared.pt'))
R['shared'] = {'modules': [n for n, _ in s.named_modules()], 'children': [n for n, _ in s.named_children()],
               'params': [n for n, _ in s.named_parameters()], 'state': list(s.state_dict().keys())}
RESULT = R
`;

type Nested = number | Nested[];

interface Expected {
  x: Nested;
  kw: { y: Nested; tag: string; yDefault: Nested; mix: number[]; opts: number };
  errors: { twice: string; unknown: string; missing: string };
  repr: string;
  code: string;
  modules: [string, string][];
  children: string[];
  inner: { y: Nested; buffers: string[]; params: string[]; repr: string };
  seq0: Nested;
  attrs: {
    n: number;
    f: number;
    s: string;
    flag: boolean;
    xs: number[];
    d: Record<string, Nested>;
    o: null;
    CONST: number;
    training: boolean;
    has: Record<string, boolean>;
  };
  afterSet: { y: Nested; opts: number };
  afterZero: Nested;
  shared: { modules: string[]; children: string[]; params: string[]; state: string[] };
}

let dir = '';
let E: Expected;
const path = (name: string): string => join(dir, name);
const f32 = (v: Nested): torch.Tensor => torch.tensor(v, { dtype: 'float32' });

function throwsWith(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.match(`${e.name}: ${e.message}`, re);
    return true;
  });
}

describe('torch.jit: keywords, submodules, attributes', { skip }, () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'torch-node-jit-modules-'));
    const file = join(dir, 'models.py');
    writeFileSync(file, MODELS);
    E = runPython<Expected>(
      `import os, runpy\nos.environ['JIT_TEST_DIR'] = INPUT['dir']\nOUTPUT = runpy.run_path(INPUT['file'], run_name='jit_modules')['RESULT']`,
      { dir, file },
    );
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('call(name, args, kwargs) binds keywords as Python does', () => {
    using m = torch.jit.load(path('kw.pt'));
    const x = f32(E.x);
    const [y, tag] = m.call<[torch.Tensor, string]>('forward', [x], { tag: 't', k: 0.5 });
    assert.deepEqual(y.toArray(), E.kw.y);
    assert.equal(tag, E.kw.tag);
    assert.deepEqual(m.call<[torch.Tensor, string]>('forward', [x])[0].toArray(), E.kw.yDefault);
    // mix(1, c=5), mix(a=2), mix(3, c=1, b=2), mix(4): undefined is an argument not given.
    assert.deepEqual(
      [
        m.call('mix', [1], { c: 5 }),
        m.call('mix', [], { a: 2 }),
        m.call('mix', [3], { c: 1, b: 2 }),
        m.call('mix', [4, undefined], { c: undefined }),
      ],
      E.kw.mix,
    );
    // A Dict argument is a plain object, by position or by keyword: kwargs never is one.
    assert.equal(m.call('opts', [{ a: 1, b: 2 }], { scale: 3 }), E.kw.opts);
    assert.equal(m.call('opts', [], { d: { a: 1, b: 2 }, scale: 3 }), E.kw.opts);
    assert.equal(m.runMethod('opts', { a: 1, b: 2 }, 3), E.kw.opts);
  });

  test('keyword binding errors are TypeErrors naming the method and the argument', () => {
    using m = torch.jit.load(path('kw.pt'));
    // Python rejects the same calls.
    assert.match(E.errors.twice, /Argument 'a' specified both as positional and keyword argument/);
    assert.match(E.errors.unknown, /Unknown keyword argument 'zz' for operator 'mix'/);
    assert.match(E.errors.missing, /mix\(\) is missing value for argument 'a'/);
    const cases: [() => unknown, RegExp][] = [
      [() => m.call('mix', [1], { a: 2 }), /^TypeError: mix: argument 'a' given both by position and by keyword$/],
      [
        () => m.call('mix', [1], { zz: 2 }),
        /^TypeError: mix: unknown keyword argument 'zz' \(its arguments: a, b, c\)$/,
      ],
      [() => m.call('mix', [1], { self: 2 }), /^TypeError: mix: unknown keyword argument 'self'/],
      [() => m.call('mix', [], { b: 2 }), /^TypeError: mix: missing argument 'a' \(int\)$/],
      [() => m.call('mix', [1, 2, 3, 4]), /^TypeError: mix: expected at most 3 arguments \(a, b, c\), got 4$/],
      [() => m.call('mix', [], { a: 'one' }), /^TypeError: mix: argument 'a' expects int, got string$/],
      [() => m.call('mix', [], { a: 1, c: 1.5 }), /^TypeError: mix: argument 'c' expects Optional\[int\], got 1\.5/],
      [
        () => m.call('mix', [1], new Map([['b', 2]]) as never),
        /^TypeError: call: kwargs must be a plain object .*got Map$/,
      ],
      [() => m.call('mix', [1], [2] as never), /^TypeError: call: kwargs must be a plain object .*got an array$/],
      [() => m.call('mix', 1 as never), /^TypeError: call: args must be an array, got number$/],
      [() => m.call(3 as never, []), /^TypeError: call: name must be a string/],
      [() => m.call('nope', []), /^Error: nope: the ScriptModule has no method 'nope'/],
    ];
    for (const [fn, re] of cases) throwsWith(fn, re);
  });

  test('toString and util.inspect print as Python repr; code is forward source as Python prints it', () => {
    const m = torch.jit.load(path('kw.pt'));
    assert.equal(String(m), E.repr);
    assert.equal(inspect(m), E.repr);
    assert.equal(m.code, E.code);
    using inner = m.getSubmodule('inner');
    assert.equal(inner.toString(), E.inner.repr);
    m.dispose();
    assert.equal(String(m), 'ScriptModule(disposed)');
    throwsWith(() => m.code, /this ScriptModule was disposed/);
  });

  test('submodules: names, order and outputs equal Python', () => {
    using m = torch.jit.load(path('kw.pt'));
    const x = f32(E.x);
    const all = m.namedModules();
    assert.deepEqual(
      all.map(([n, mod]) => [n, mod.originalName]),
      E.modules,
    );
    assert.equal(all[0]?.[1], m);
    assert.deepEqual(
      m.namedChildren().map(([n]) => n),
      E.children,
    );
    assert.deepEqual(
      m.children().map((c) => c.originalName),
      ['Inner', 'Sequential'],
    );
    assert.equal(m.modules().length, E.modules.length);
    const inner = m.getSubmodule('inner');
    assert.ok(inner instanceof torch.jit.ScriptModule);
    assert.deepEqual(inner.forward(x).toArray(), E.inner.y);
    assert.deepEqual(
      inner.namedBuffers().map(([n]) => n),
      E.inner.buffers,
    );
    assert.deepEqual(
      inner.namedParameters().map(([n]) => n),
      E.inner.params,
    );
    assert.deepEqual(m.getSubmodule('seq.0').forward(x).toArray(), E.seq0);
    assert.deepEqual(m.getAttr<torch.jit.ScriptModule>('seq').getSubmodule('0').forward(x).toArray(), E.seq0);
    assert.equal(m.getSubmodule(''), m);
    throwsWith(() => m.getSubmodule('inner.nope'), /^Error: getSubmodule: 'inner' \(Inner\) has no attribute 'nope'$/);
    throwsWith(() => m.getSubmodule('nope'), /^Error: getSubmodule: the module \(Kw\) has no attribute 'nope'$/);
    throwsWith(
      () => m.getSubmodule('inner.count'),
      /^Error: getSubmodule: 'inner.count' is not a module \(it is a Tensor\)$/,
    );
    throwsWith(() => m.getSubmodule(1 as never), /^TypeError: getSubmodule: target must be a string/);
    // One Linear under two names: listed under both, its parameters once (the state dict has both), as in Python.
    using s = torch.jit.load(path('shared.pt'));
    assert.deepEqual(
      s.namedModules().map(([n]) => n),
      E.shared.modules,
    );
    assert.deepEqual(
      s.namedParameters().map(([n]) => n),
      E.shared.params,
    );
    assert.deepEqual(Object.keys(s.stateDict()), E.shared.state);
  });

  test('attributes: hasAttr, getAttr and setAttr, typed by the attribute, as in Python', () => {
    using m = torch.jit.load(path('kw.pt'));
    const x = f32(E.x);
    const A = E.attrs;
    for (const k of ['n', 'f', 's', 'flag', 'xs', 'o', 'CONST', 'training'] as const) {
      assert.deepEqual(m.getAttr(k), A[k], k);
    }
    // Tensors read from attributes are the module's own and outlive the scope they were read in.
    let d: Record<string, torch.Tensor> = {};
    torch.scope(() => {
      d = m.getAttr<Record<string, torch.Tensor>>('d');
    });
    assert.deepEqual(Object.fromEntries(Object.entries(d).map(([k, t]) => [k, t.toArray()])), A.d);
    for (const [k, has] of Object.entries(A.has)) assert.equal(m.hasAttr(k), has, k);
    // Python: m.n = 5; m.o = 4; m.xs = [3, 4, 5]
    m.setAttr('n', 5);
    m.setAttr('o', 4);
    m.setAttr('xs', [3, 4, 5]);
    assert.equal(m.getAttr('n'), 5);
    assert.deepEqual(m.getAttr('xs'), [3, 4, 5]);
    assert.deepEqual(m.call<[torch.Tensor, string]>('forward', [x])[0].toArray(), E.afterSet.y);
    assert.equal(m.call('opts', [{ a: 1 }]), E.afterSet.opts);
    m.setAttr('o', null);
    assert.equal(m.getAttr('o'), null);
    const cases: [() => unknown, RegExp][] = [
      [() => m.setAttr('n', 'x'), /^TypeError: setAttr: attribute 'n' expects int, got string$/],
      [() => m.setAttr('n', 2.5), /^TypeError: setAttr: attribute 'n' expects int, got 2\.5 \(not an integer\)$/],
      [() => m.setAttr('xs', [1, 'a']), /^TypeError: setAttr: attribute 'xs\[1\]' expects int, got string$/],
      [() => m.setAttr('flag', 1), /^TypeError: setAttr: attribute 'flag' expects bool, got number$/],
      [() => m.setAttr('CONST', 8), /^Error: setAttr: 'CONST' is a constant \(Final\)/],
      [() => m.setAttr('inner', 8), /^Error: setAttr: 'inner' is a submodule/],
      [
        () => m.setAttr('nope', 8),
        /^Error: setAttr: the ScriptModule \(Kw\) has no attribute 'nope' \(its attributes: .*\bn\b/,
      ],
      [() => m.getAttr('nope'), /^Error: getAttr: the ScriptModule \(Kw\) has no attribute 'nope'/],
      [() => m.hasAttr(3 as never), /^TypeError: hasAttr: name must be a string/],
    ];
    for (const [fn, re] of cases) throwsWith(fn, re);
    assert.equal(m.getAttr('n'), 5);
  });

  test('a submodule shares the native module; each handle is disposed on its own', () => {
    const m = torch.jit.load(path('kw.pt'));
    const x = f32(E.x);
    m.setAttr('n', 5);
    const inner = m.getAttr<torch.jit.ScriptModule>('inner');
    // Python: m.inner.lin.weight.zero_() changes m's output.
    inner.stateDict()['lin.weight']?.zero_();
    assert.deepEqual(m.forward<[torch.Tensor, string]>(x)[0].toArray(), E.afterZero);
    // A buffer read with getAttr is the module's: filling it moves the output by as much.
    const bias = inner.getSubmodule('lin').getAttr<torch.Tensor>('bias');
    const before = inner.forward(x);
    inner.getAttr<torch.Tensor>('count').fill_(1);
    assert.deepEqual(inner.forward(x).toArray(), before.add(1).toArray());
    inner.setAttr('count', torch.tensor([2]));
    assert.deepEqual(inner.forward(x).toArray(), before.add(2).toArray());
    // The parent disposed, the child still runs.
    m.dispose();
    assert.deepEqual(inner.forward(torch.zeros([1, 2])).toArray(), [bias.add(2).toArray()]);
    inner.dispose();
    throwsWith(() => inner.forward(x), /this ScriptModule was disposed/);
    throwsWith(() => inner.getAttr('count'), /this ScriptModule was disposed/);
    // And the other way: a child disposed, the parent runs.
    using again = torch.jit.load(path('kw.pt'));
    again.getSubmodule('inner').dispose();
    assert.deepEqual(again.call<[torch.Tensor, string]>('forward', [x])[0].toArray(), E.kw.yDefault);
  });
});
