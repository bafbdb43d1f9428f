// torch.autograd.Function (custom autograd Functions) and tensor.registerHook, against Python
// torch in float64 with the same inputs: forward and backward of custom Functions (several inputs
// and outputs, numbers among the arguments, non-differentiable outputs, null gradients,
// setMaterializeGrads, needsInputGrad, markDirty, double backward), one inside an MLP training
// step, hooks on leaves and non-leaves, PyTorch's errors, and that nothing is left alive.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import * as torch from '../lib/index.js';
import { runPython, skipWithoutPython } from './support/python.js';

type Tensor = torch.Tensor;
type Ctx = torch.autograd.FunctionCtx;
type Nested = number | boolean | Nested[];

const f64 = (data: Nested, requiresGrad = false): Tensor =>
  torch.tensor(data as number[], { dtype: 'float64', requiresGrad });
const arr = (t: Tensor | null): Nested | null => (t === null ? null : t.toArray());

function close(actual: unknown, expected: unknown, what: string, tol = 1e-12): void {
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

// ---- the custom Functions, in TypeScript and in Python

class Exp extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    const y = x.exp();
    ctx.saveForBackward(y);
    return y;
  }
  static override backward(ctx: Ctx, g: Tensor): Tensor {
    const [y] = ctx.savedTensors;
    return g.mul(y);
  }
}

// Two tensor inputs and a number; three outputs, the second not differentiable.
class Mixed extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor, alpha: number, y: Tensor): Tensor[] {
    ctx.saveForBackward(x, y);
    ctx.alpha = alpha;
    const s = x.mul(alpha).add(y.mul(y));
    const mask = x.gt(0).to('float64');
    ctx.markNonDifferentiable(mask);
    return [s, mask, x.mul(y)];
  }
  static override backward(ctx: Ctx, gs: Tensor, gm: Tensor, gp: Tensor): (Tensor | null)[] {
    const [x, y] = ctx.savedTensors;
    ctx.seenMask = [gm.shape, gm.abs().sum().item()];
    return [gs.mul(ctx.alpha).add(gp.mul(y)), null, gs.mul(y).mul(2).add(gp.mul(x))];
  }
}

class GradReverse extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor, alpha: number): Tensor {
    ctx.alpha = alpha;
    return x.viewAs(x);
  }
  static override backward(ctx: Ctx, g: Tensor): [Tensor, null] {
    return [g.neg().mul(ctx.alpha), null];
  }
}

// backward leaves the second input without a gradient.
class HalfGrad extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor, y: Tensor): Tensor {
    ctx.saveForBackward(y);
    return x.mul(y);
  }
  static override backward(ctx: Ctx, g: Tensor): [Tensor, undefined] {
    const [y] = ctx.savedTensors;
    return [g.mul(y), undefined];
  }
}

const materializeSeen: unknown[] = [];
class NoMaterialize extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor[] {
    ctx.setMaterializeGrads(false);
    return [x.mul(2), x.mul(3)];
  }
  static override backward(_ctx: Ctx, a: Tensor | null, b: Tensor | null): Tensor {
    materializeSeen.push([a === null, b === null]);
    return (a as Tensor).mul(2);
  }
}

const needsSeen: unknown[] = [];
class Needs extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor, _n: number, y: Tensor, z: Tensor): Tensor {
    needsSeen.push(['forward', ...ctx.needsInputGrad]);
    return x.add(y).add(z);
  }
  static override backward(ctx: Ctx, g: Tensor): (Tensor | null)[] {
    needsSeen.push(['backward', ...ctx.needsInputGrad]);
    return [g, null, g, g];
  }
}

class Swish extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor, beta: number): Tensor {
    const s = x.mul(beta).sigmoid();
    ctx.saveForBackward(x, s);
    ctx.beta = beta;
    return x.mul(s);
  }
  static override backward(ctx: Ctx, g: Tensor): [Tensor, null] {
    const [x, s] = ctx.savedTensors;
    const ds = s.add(x.mul(ctx.beta).mul(s).mul(s.neg().add(1)));
    return [g.mul(ds), null];
  }
}

// In place: doubles its input and says so.
class DoubleInPlace extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    x.mul_(2);
    ctx.markDirty(x);
    return x;
  }
  static override backward(_ctx: Ctx, g: Tensor): Tensor {
    return g.mul(2);
  }
}

class WrongCount extends torch.autograd.Function {
  static override forward(_ctx: Ctx, x: Tensor, y: Tensor): Tensor {
    return x.mul(y);
  }
  static override backward(_ctx: Ctx, g: Tensor): Tensor {
    return g;
  }
}

class WrongShape extends torch.autograd.Function {
  static override forward(_ctx: Ctx, x: Tensor): Tensor {
    return x.mul(2);
  }
  static override backward(_ctx: Ctx, g: Tensor): Tensor {
    return g.narrow(0, 0, 2);
  }
}

class Saver extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.mul(2);
  }
  static override backward(ctx: Ctx, g: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return g.mul(x);
  }
}

class Boom extends Error {}
let boomArmed = true;
class Throws extends torch.autograd.Function {
  static override forward(_ctx: Ctx, x: Tensor): Tensor {
    return x.mul(3);
  }
  static override backward(_ctx: Ctx, g: Tensor): Tensor {
    if (boomArmed) throw new Boom('backward exploded');
    return g.mul(3);
  }
}

const PY_FUNCTIONS = `
class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp(); ctx.save_for_backward(y); return y
    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors; return g * y

class Mixed(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha, y):
        ctx.save_for_backward(x, y); ctx.alpha = alpha
        s = x * alpha + y * y
        mask = (x > 0).to(torch.float64)
        ctx.mark_non_differentiable(mask)
        return s, mask, x * y
    @staticmethod
    def backward(ctx, gs, gm, gp):
        x, y = ctx.saved_tensors
        ctx.seen_mask = [list(gm.shape), gm.abs().sum().item()]
        SEEN['mask'] = ctx.seen_mask
        return gs * ctx.alpha + gp * y, None, gs * y * 2 + gp * x

class GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.alpha = alpha; return x.view_as(x)
    @staticmethod
    def backward(ctx, g):
        return -g * ctx.alpha, None

class HalfGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(y); return x * y
    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors; return g * y, None

class NoMaterialize(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False); return x * 2, x * 3
    @staticmethod
    def backward(ctx, a, b):
        SEEN['materialize'].append([a is None, b is None]); return a * 2

class Needs(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, n, y, z):
        SEEN['needs'].append(['forward', *ctx.needs_input_grad]); return x + y + z
    @staticmethod
    def backward(ctx, g):
        SEEN['needs'].append(['backward', *ctx.needs_input_grad]); return g, None, g, g

class Swish(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        s = torch.sigmoid(x * beta); ctx.save_for_backward(x, s); ctx.beta = beta; return x * s
    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        return g * (s + x * ctx.beta * s * (1 - s)), None

class DoubleInPlace(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x.mul_(2); ctx.mark_dirty(x); return x
    @staticmethod
    def backward(ctx, g):
        return g * 2

class WrongCount(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, y): return x * y
    @staticmethod
    def backward(ctx, g): return g

class WrongShape(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x): return x * 2
    @staticmethod
    def backward(ctx, g): return g.narrow(0, 0, 2)

class Saver(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x); return x * 2
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors; return g * x
`;

const PY = `${PY_FUNCTIONS}
SEEN = {'materialize': [], 'needs': []}
T = lambda v, rg=False: torch.tensor(v, dtype=torch.float64, requires_grad=rg)
I = INPUT
out = {}

# Exp
x = T(I['x'], True); w = T(I['w'])
y = Exp.apply(x)
(y * w).sum().backward()
out['exp'] = {'y': y, 'gx': x.grad, 'name': y.grad_fn.name(), 'rg': y.requires_grad}

# Exp, double backward
x = T(I['x'], True)
gx, = torch.autograd.grad(Exp.apply(x).sum(), x, create_graph=True)
ggx, = torch.autograd.grad((gx * T(I['w'])).sum(), x)
out['double'] = {'gx': gx, 'ggx': ggx, 'name': gx.grad_fn.name()}

# Mixed
x = T(I['x'], True); y = T(I['y'], True)
s, m, p = Mixed.apply(x, 1.5, y)
((s * T(I['w'])).sum() + (p * T(I['w2'])).sum()).backward()
out['mixed'] = {'s': s, 'm': m, 'p': p, 'rg': [s.requires_grad, m.requires_grad, p.requires_grad],
                'names': [s.grad_fn.name(), m.grad_fn, p.grad_fn.name()], 'gx': x.grad, 'gy': y.grad,
                'seenMask': SEEN['mask']}

# GradReverse between two layers of a tiny net
x = T(I['x'], True); a = T(I['a'], True)
h = torch.tanh(x * a)
r = GradReverse.apply(h, 0.25)
(r * r * T(I['w'])).sum().backward()
out['reverse'] = {'r': r, 'gx': x.grad, 'ga': a.grad, 'name': r.grad_fn.name()}

# HalfGrad
x = T(I['x'], True); y = T(I['y'], True)
HalfGrad.apply(x, y).sum().backward()
out['half'] = {'gx': x.grad, 'gy': y.grad}

# NoMaterialize
x = T(I['x'], True)
a, b = NoMaterialize.apply(x)
a.sum().backward()
out['materialize'] = {'gx': x.grad, 'seen': SEEN['materialize']}

# Needs
x = T(I['x'], True); y = T(I['y']); z = T(I['y'], True)
Needs.apply(x, 3, y, z).sum().backward()
with torch.no_grad():
    Needs.apply(x, 3, y, z)
out['needs'] = {'seen': SEEN['needs'], 'gx': x.grad, 'gz': z.grad, 'gy': y.grad}

# DoubleInPlace
x = T(I['x'], True)
y = x * 1
v0 = y._version
z = DoubleInPlace.apply(y)
(z * T(I['w'])).sum().backward()
out['dirty'] = {'same': z is y, 'z': z, 'gx': x.grad, 'name': z.grad_fn.name(), 'bumped': y._version - v0}

# MLP training step with Swish inside
torch.manual_seed(0)
class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__(); self.fc1 = torch.nn.Linear(4, 8); self.fc2 = torch.nn.Linear(8, 3)
    def forward(self, x):
        return self.fc2(Swish.apply(self.fc1(x), 1.25))
net = MLP().double()
net.load_state_dict({k: T(v) for k, v in I['state'].items()})
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
losses = []
grads = []
for step in range(3):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(net(T(I['batch'])), T(I['target']))
    loss.backward()
    losses.append(loss.item())
    grads.append({k: p.grad for k, p in net.named_parameters()})
    opt.step()
out['mlp'] = {'losses': losses, 'grads': grads, 'state': dict(net.state_dict())}

# hooks
x = T(I['x'], True)
calls = []
def h1(g):
    calls.append(['h1', g.tolist()]); return g * 2
def h2(g):
    calls.append(['h2', g.tolist()]); return g + 1
x.register_hook(h1); x.register_hook(h2)
(x * T(I['w'])).sum().backward()
leaf_grad = x.grad.clone()
x.grad = None
x2 = T(I['x'], True)
h = x2 * 3
seen = []
def nl(g):
    seen.append(g.tolist()); return g * 10
hd = h.register_hook(nl)
h.register_hook(lambda g: g - 1)
(h * h).sum().backward()
nonleaf_grad = x2.grad.clone()
hd.remove()
x2.grad = None
h = x2 * 3
(h * h).sum().backward()
out['hooks'] = {'calls': calls, 'leaf': leaf_grad, 'seen': seen, 'nonleaf': nonleaf_grad, 'after_remove': x2.grad}

# a hook on an output that gets no gradient sees None
x = T(I['x'], True)
p, q = x.split(2)
hook_seen = []
q.register_hook(lambda g: hook_seen.append(g is None))
p.sum().backward()
out['none_hook'] = hook_seen

# errors
errs = {}
def message(fn):
    try:
        fn(); return None
    except Exception as e:
        return str(e)
x = T(I['x'], True); y = T(I['y'], True)
errs['count'] = message(lambda: WrongCount.apply(x, y).sum().backward())
errs['shape'] = message(lambda: WrongShape.apply(x).sum().backward())
def modified():
    t = x * 1
    o = Saver.apply(t)
    t.add_(1)
    o.sum().backward()
errs['version'] = message(modified)
def twice():
    o = Saver.apply(x * 1)
    o.sum().backward()
    o.sum().backward()
errs['twice'] = message(twice)
out['errors'] = errs
OUTPUT = out
`;

interface PyOut {
  exp: { y: Nested; gx: Nested; name: string; rg: boolean };
  double: { gx: Nested; ggx: Nested; name: string };
  mixed: {
    s: Nested;
    m: Nested;
    p: Nested;
    rg: boolean[];
    names: (string | null)[];
    gx: Nested;
    gy: Nested;
    seenMask: Nested;
  };
  reverse: { r: Nested; gx: Nested; ga: Nested; name: string };
  half: { gx: Nested; gy: Nested | null };
  materialize: { gx: Nested; seen: boolean[][] };
  needs: { seen: unknown[][]; gx: Nested; gz: Nested; gy: Nested | null };
  dirty: { same: boolean; z: Nested; gx: Nested; name: string; bumped: number };
  mlp: { losses: number[]; grads: Record<string, Nested>[]; state: Record<string, Nested> };
  hooks: { calls: unknown[][]; leaf: Nested; seen: Nested[]; nonleaf: Nested; after_remove: Nested };
  none_hook: boolean[];
  errors: Record<'count' | 'shape' | 'version' | 'twice', string>;
}

torch.manualSeed(7);
const X = torch.randn([3, 4], { dtype: 'float64' }).toArray();
const Y = torch.randn([3, 4], { dtype: 'float64' }).toArray();
const W = torch.randn([3, 4], { dtype: 'float64' }).toArray();
const W2 = torch.randn([3, 4], { dtype: 'float64' }).toArray();
const A = torch.randn([3, 4], { dtype: 'float64' }).toArray();
const V = torch.randn([4], { dtype: 'float64' }).toArray();
const BATCH = torch.randn([5, 4], { dtype: 'float64' }).toArray();
const TARGET = torch.randn([5, 3], { dtype: 'float64' }).toArray();

class MLP extends torch.nn.Module {
  fc1 = new torch.nn.Linear(4, 8);
  fc2 = new torch.nn.Linear(8, 3);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(Swish.apply(this.fc1.forward(x), 1.25));
  }
}
torch.manualSeed(3);
const mlp = new MLP().double();
const mlpState = Object.fromEntries(Object.entries(mlp.stateDict()).map(([k, v]) => [k, v.toArray()]));

describe('torch.autograd.Function against Python', { skip: skipWithoutPython() }, () => {
  let py: PyOut;
  before(() => {
    py = runPython<PyOut>(PY, {
      x: X,
      y: Y,
      w: W,
      w2: W2,
      a: A,
      v: V,
      batch: BATCH,
      target: TARGET,
      state: mlpState,
    });
  });

  test('Exp: output, gradient, gradFn name', () => {
    const x = f64(X, true);
    const y = Exp.apply(x);
    y.mul(f64(W)).sum().backward();
    close(y.toArray(), py.exp.y, 'y');
    close(arr(x.grad), py.exp.gx, 'x.grad');
    assert.equal(y.gradFn, py.exp.name);
    assert.equal(y.gradFn, 'ExpBackward');
    assert.equal(y.requiresGrad, py.exp.rg);
  });

  test('double backward through a differentiable custom backward', () => {
    const x = f64(X, true);
    const [gx] = torch.autograd.grad(Exp.apply(x).sum(), x, { createGraph: true });
    assert.equal(gx!.gradFn, py.double.name);
    const [ggx] = torch.autograd.grad(gx!.mul(f64(W)).sum(), x);
    close(arr(gx!), py.double.gx, 'gx');
    close(arr(ggx!), py.double.ggx, 'ggx');
  });

  test('two tensor inputs and a number, three outputs, one not differentiable', () => {
    const x = f64(X, true);
    const y = f64(Y, true);
    const ctxs: Ctx[] = [];
    class Spy extends Mixed {
      static override backward(ctx: Ctx, gs: Tensor, gm: Tensor, gp: Tensor): (Tensor | null)[] {
        ctxs.push(ctx);
        return Mixed.backward(ctx, gs, gm, gp);
      }
    }
    const [s, m, p] = Spy.apply(x, 1.5, y) as [Tensor, Tensor, Tensor];
    s.mul(f64(W))
      .sum()
      .add(p.mul(f64(W2)).sum())
      .backward();
    close(s.toArray(), py.mixed.s, 's');
    close(m.toArray(), py.mixed.m, 'mask');
    close(p.toArray(), py.mixed.p, 'p');
    assert.deepEqual([s.requiresGrad, m.requiresGrad, p.requiresGrad], py.mixed.rg);
    assert.deepEqual(
      [s.gradFn, m.gradFn, p.gradFn],
      py.mixed.names.map((n) => n?.replace('Mixed', 'Spy') ?? null),
    );
    close(arr(x.grad), py.mixed.gx, 'x.grad');
    close(arr(y.grad), py.mixed.gy, 'y.grad');
    assert.equal(ctxs.length, 1);
    close(ctxs[0]!.seenMask, py.mixed.seenMask, 'the non-differentiable output gets zeros');
  });

  test('gradient reversal (backward returns -alpha * g)', () => {
    const x = f64(X, true);
    const a = f64(A, true);
    const r = GradReverse.apply(x.mul(a).tanh(), 0.25);
    r.mul(r).mul(f64(W)).sum().backward();
    close(r.toArray(), py.reverse.r, 'r');
    close(arr(x.grad), py.reverse.gx, 'x.grad');
    close(arr(a.grad), py.reverse.ga, 'a.grad');
    assert.equal(r.gradFn, py.reverse.name);
  });

  test('backward returning undefined for an input leaves it without a gradient', () => {
    const x = f64(X, true);
    const y = f64(Y, true);
    HalfGrad.apply(x, y).sum().backward();
    close(arr(x.grad), py.half.gx, 'x.grad');
    assert.equal(py.half.gy, null);
    assert.equal(y.grad, null);
  });

  test('setMaterializeGrads(false): an output without gradient gives null', () => {
    materializeSeen.length = 0;
    const x = f64(X, true);
    const [a] = NoMaterialize.apply(x);
    a!.sum().backward();
    assert.deepEqual(materializeSeen, py.materialize.seen);
    assert.deepEqual(materializeSeen, [[false, true]]);
    close(arr(x.grad), py.materialize.gx, 'x.grad');
  });

  test('needsInputGrad, in forward and backward, with grad on and off', () => {
    needsSeen.length = 0;
    const x = f64(X, true);
    const y = f64(Y);
    const z = f64(Y, true);
    Needs.apply(x, 3, y, z).sum().backward();
    torch.noGrad(() => Needs.apply(x, 3, y, z));
    assert.deepEqual(needsSeen, py.needs.seen);
    close(arr(x.grad), py.needs.gx, 'x.grad');
    close(arr(z.grad), py.needs.gz, 'z.grad');
    assert.equal(y.grad, null);
  });

  test('markDirty: an input modified in place in forward', () => {
    const x = f64(X, true);
    const y = x.mul(1);
    const z = DoubleInPlace.apply(y);
    assert.equal(z === y, py.dirty.same);
    assert.equal(z.gradFn, py.dirty.name);
    z.mul(f64(W)).sum().backward();
    close(z.toArray(), py.dirty.z, 'z');
    close(arr(x.grad), py.dirty.gx, 'x.grad');
  });

  test('inside an MLP: three SGD steps, every parameter gradient as in Python', () => {
    const net = new MLP().double();
    net.loadStateDict(Object.fromEntries(Object.entries(mlpState).map(([k, v]) => [k, f64(v)])));
    const opt = new torch.optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
    for (let step = 0; step < 3; step++) {
      torch.scope(() => {
        opt.zeroGrad();
        const loss = torch.nn.functional.mseLoss(net.forward(f64(BATCH)), f64(TARGET));
        loss.backward();
        close(loss.item(), py.mlp.losses[step], `loss ${step}`);
        for (const [name, p] of net.namedParameters()) {
          close(arr(p.grad), py.mlp.grads[step]![name], `step ${step}: ${name}.grad`);
        }
        opt.step();
      });
    }
    for (const [name, v] of Object.entries(net.stateDict())) close(v.toArray(), py.mlp.state[name], name);
  });

  test('registerHook: on a leaf (several, in order) and on a non-leaf, and remove()', () => {
    const calls: unknown[] = [];
    const x = f64(X, true);
    x.registerHook((g) => {
      calls.push(['h1', g.toArray()]);
      return g.mul(2);
    });
    x.registerHook((g) => {
      calls.push(['h2', g.toArray()]);
      return g.add(1);
    });
    x.mul(f64(W)).sum().backward();
    close(calls, py.hooks.calls, 'hook calls');
    close(arr(x.grad), py.hooks.leaf, 'leaf grad');

    const x2 = f64(X, true);
    let h = x2.mul(3);
    const seen: unknown[] = [];
    const handle = h.registerHook((g) => {
      seen.push(g.toArray());
      return g.mul(10);
    });
    h.registerHook((g) => g.sub(1));
    h.mul(h).sum().backward();
    close(seen, py.hooks.seen, 'what the non-leaf hook saw');
    close(arr(x2.grad), py.hooks.nonleaf, 'through the non-leaf hooks');
    handle.remove();
    handle.remove();
    x2.grad = null;
    h = x2.mul(3);
    h.mul(h).sum().backward();
    close(arr(x2.grad), py.hooks.after_remove, 'a fresh graph');
    // A removed hook is not called again, on the same graph.
    const x3 = f64(X, true);
    const h3 = x3.mul(3);
    let n = 0;
    const r = h3.registerHook((g) => {
      n++;
      return g;
    });
    const loss = h3.sum();
    loss.backward(null, { retainGraph: true });
    r.remove();
    loss.backward();
    assert.equal(n, 1);
  });

  test('a hook on an output that receives no gradient is called with null', () => {
    const x = f64(X, true);
    const [p, q] = x.split(2);
    const seen: boolean[] = [];
    q!.registerHook((g) => {
      seen.push(g === null);
    });
    p!.sum().backward();
    assert.deepEqual(seen, py.none_hook);
  });

  test("errors: PyTorch's messages for a wrong gradient count or shape", () => {
    const x = f64(X, true);
    const y = f64(Y, true);
    assert.equal(
      py.errors.count,
      'function WrongCountBackward returned an incorrect number of gradients (expected 2, got 1)',
    );
    assert.throws(
      () => WrongCount.apply(x, y).sum().backward(),
      (e: Error) => e.message === py.errors.count,
    );
    assert.match(py.errors.shape, /^Function WrongShapeBackward returned an invalid gradient at index 0 - got/);
    assert.throws(
      () => WrongShape.apply(x).sum().backward(),
      (e: Error) => e.message === `backward: ${py.errors.shape}`,
    );
    class Extra extends torch.autograd.Function {
      static override forward(_ctx: Ctx, t: Tensor, _k: number): Tensor {
        return t.mul(2);
      }
      static override backward(_ctx: Ctx, g: Tensor): unknown[] {
        return [g, g];
      }
    }
    assert.throws(
      () => Extra.apply(x, 1).sum().backward(),
      /^Error: function ExtraBackward returned a gradient different than null at position 2, but the corresponding forward input was not a Tensor$/,
    );
    class Nulls extends torch.autograd.Function {
      static override forward(_ctx: Ctx, t: Tensor): Tensor {
        return t.mul(2);
      }
      static override backward(_ctx: Ctx, g: Tensor): unknown[] {
        return [g, null, undefined];
      }
    }
    Nulls.apply(x).sum().backward(); // extra nulls are allowed, as in PyTorch
  });

  test('errors: a saved tensor modified in place; backward twice', () => {
    const x = f64(X, true);
    const t = x.mul(1);
    const o = Saver.apply(t);
    t.add_(1);
    // Raised where backward reads ctx.savedTensors, as in PyTorch; Python names the tensor type
    // torch.DoubleTensor, libtorch CPUDoubleType.
    const sameType = (m: string): string => m.replace(/\[(torch\.DoubleTensor|CPUDoubleType) /, '[T ');
    assert.match(py.errors.version, /^one of the variables needed for gradient computation has been modified/);
    assert.throws(
      () => o.sum().backward(),
      (e: Error) => sameType(e.message) === `savedTensors: ${sameType(py.errors.version)}`,
    );
    const o2 = Saver.apply(x.mul(1));
    o2.sum().backward();
    assert.match(py.errors.twice, /^Trying to backward through the graph a second time/);
    assert.throws(
      () => o2.sum().backward(),
      (e: Error) => e.message === `savedTensors: ${py.errors.twice}`,
    );
  });
});

describe('torch.autograd.Function and registerHook', () => {
  test('an exception in backward reaches the caller as itself; the next backward works', () => {
    const x = f64([1, 2, 3], true);
    boomArmed = true;
    let thrown: unknown;
    assert.throws(
      () => Throws.apply(x).sum().backward(),
      (e: unknown) => {
        thrown = e;
        return e instanceof Boom && e.message === 'backward exploded';
      },
    );
    assert.ok(thrown instanceof Boom);
    // The same through autograd.grad, and from a hook.
    assert.throws(() => torch.autograd.grad(Throws.apply(x).sum(), x), Boom);
    const h = x.mul(2);
    h.registerHook(() => {
      throw new RangeError('hook exploded');
    });
    assert.throws(() => h.sum().backward(), { name: 'RangeError', message: 'hook exploded' });
    boomArmed = false;
    Throws.apply(x).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [3, 3, 3]);
  });

  test('type errors in what backward returns', () => {
    class BadType extends torch.autograd.Function {
      static override forward(_ctx: Ctx, t: Tensor): Tensor {
        return t.mul(2);
      }
      static override backward(): unknown {
        return 3;
      }
    }
    const x = f64([1, 2], true);
    assert.throws(
      () => BadType.apply(x).sum().backward(),
      /^TypeError: function BadTypeBackward returned a number at position 1; expected a Tensor or null$/,
    );
    assert.throws(() => x.mul(2).registerHook(null as never), TypeError);
    assert.throws(() => f64([1, 2]).registerHook((g) => g), /doesn't require gradient/);
  });

  test('forward runs without grad; non-tensor outputs pass through; no grad needed: no node', () => {
    let enabled: boolean | undefined;
    class Probe extends torch.autograd.Function {
      static override forward(_ctx: Ctx, t: Tensor): unknown[] {
        enabled = torch.isGradEnabled();
        return [t.mul(2), 'label', 7];
      }
      static override backward(_ctx: Ctx, g: Tensor, g1: unknown, g2: unknown): Tensor {
        assert.equal(g1, null);
        assert.equal(g2, null);
        return g;
      }
    }
    const x = f64([1, 2], true);
    const [y, label, n] = Probe.apply(x) as [Tensor, string, number];
    assert.equal(enabled, false);
    assert.equal(torch.isGradEnabled(), true);
    assert.equal(label, 'label');
    assert.equal(n, 7);
    assert.equal(y.gradFn, 'ProbeBackward');
    y.sum().backward();
    assert.deepEqual(x.grad!.toArray(), [1, 1]);
    const plain = Probe.apply(f64([1, 2])) as [Tensor];
    assert.equal(plain[0].requiresGrad, false);
    assert.equal(plain[0].gradFn, null);
    // An input returned as it is comes back as a new tensor (a view), as in PyTorch.
    class Identity extends torch.autograd.Function {
      static override forward(_ctx: Ctx, t: Tensor): Tensor {
        return t;
      }
      static override backward(_ctx: Ctx, g: Tensor): Tensor {
        return g.mul(5);
      }
    }
    const xi = f64([1, 2], true);
    const yi = Identity.apply(xi);
    assert.notEqual(yi, xi);
    assert.equal(yi.gradFn, 'IdentityBackward');
    yi.sum().backward();
    assert.deepEqual(xi.grad!.toArray(), [5, 5]);
  });

  test('in a worker thread: custom Functions and hooks run there; exiting with a live graph is clean', async () => {
    const code = `
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(new URL('../lib/index.js', import.meta.url).href)}).then((torch) => {
        class Cube extends torch.autograd.Function {
          static forward(ctx, x) { ctx.saveForBackward(x); return x.pow(3); }
          static backward(ctx, g) { const [x] = ctx.savedTensors; return g.mul(x.pow(2)).mul(3); }
        }
        const x = torch.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
        const y = Cube.apply(x);
        y.registerHook((g) => g.mul(2));
        y.sum().backward();
        // Left alive when the thread ends: a graph whose node holds its backward and ctx.
        globalThis.live = Cube.apply(x).mul(2);
        globalThis.live.registerHook((g) => g);
        parentPort.postMessage(x.grad.toArray());
      });`;
    const worker = new Worker(code, { eval: true });
    const [message, exitCode] = await Promise.all([
      new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      }),
      new Promise((resolve) => worker.once('exit', resolve)),
    ]);
    assert.deepEqual(message, [6, 24]);
    assert.equal(exitCode, 0);
    const x = f64([2], true);
    Exp.apply(x).sum().backward();
    close(arr(x.grad), [Math.exp(2)], 'the main thread still works');
  });

  test('savedTensors only in backward', () => {
    let ctxSeen: Ctx | undefined;
    class Peek extends torch.autograd.Function {
      static override forward(ctx: Ctx, t: Tensor): Tensor {
        ctx.saveForBackward(t);
        ctxSeen = ctx;
        return t.mul(2);
      }
      static override backward(_ctx: Ctx, g: Tensor): Tensor {
        return g;
      }
    }
    Peek.apply(f64([1], true));
    assert.throws(() => ctxSeen!.savedTensors, /only in backward/);
  });

  test('repeated calls keep the live tensor count flat, and the graph lets its ctx go', async () => {
    const x = f64([[0.5, -1, 2]], true);
    const step = (): void => {
      torch.scope(() => {
        const y = Exp.apply(x);
        const [s, , p] = Mixed.apply(y, 2, x) as Tensor[];
        const r = GradReverse.apply(s!.add(p!), 0.5);
        r.registerHook((g) => g.mul(2));
        x.grad = null;
        r.sum().backward();
        const [g] = torch.autograd.grad(Exp.apply(x).sum(), x, { createGraph: true });
        g!.sum().backward();
      });
    };
    step();
    const before = torch.memory().tensors;
    for (let i = 0; i < 200; i++) step();
    assert.equal(torch.memory().tensors, before);
    // Same with a failing backward.
    boomArmed = true;
    for (let i = 0; i < 50; i++) {
      torch.scope(() => assert.throws(() => Throws.apply(x.mul(1)).sum().backward(), Boom));
    }
    assert.equal(torch.memory().tensors, before);

    // The node releases its ctx (and the backward closure) when the graph goes.
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    let ref: WeakRef<object> | undefined;
    class Tracked extends torch.autograd.Function {
      static override forward(ctx: Ctx, t: Tensor): Tensor {
        ref = new WeakRef(ctx);
        ctx.big = new Float64Array(1 << 16);
        return t.mul(2);
      }
      static override backward(_ctx: Ctx, g: Tensor): Tensor {
        return g.mul(2);
      }
    }
    torch.scope(() => {
      Tracked.apply(x).sum().backward();
    });
    await new Promise((r) => setImmediate(r));
    torch.memory(); // drains the release queue
    gc();
    await new Promise((r) => setImmediate(r));
    gc();
    assert.equal(ref!.deref(), undefined, 'the ctx was collected');
  });
});
