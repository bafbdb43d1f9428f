// torch.autograd.graph: saved-tensor hooks against Python torch running the same hooks on the same
// float64 values (gradients equal to the bit: the same ops in the same order), against hand-worked
// values, and for their errors, thread rules and tensor lifetimes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const { savedTensorsHooks, saveOnCpu, disableSavedTensorsHooks } = torch.autograd.graph;
type Tensor = torch.Tensor;

const X = [0.5, -1.25, 2];

// y = exp(x^2) * sin(x); the hooks of the pair around pow double what they pack.
const PY_DOUBLE = `
from torch.autograd.graph import saved_tensors_hooks
x = torch.tensor(INPUT, dtype=torch.float64, requires_grad=True)
log = []
def pack(t):
    log.append(['pack', list(t.shape)])
    return t * 2
def unpack(p):
    log.append(['unpack', list(p.shape)])
    return p
with saved_tensors_hooks(pack, unpack):
    a = x.pow(2)
y = a.exp() * x.sin()
y.sum().backward()
OUTPUT = dict(grad=x.grad, log=log)
`;

describe('torch.autograd.graph.savedTensorsHooks', () => {
  test('pack transforms what autograd saves (x -> 2x): the gradient changes as in Python', {
    skip: skipWithoutPython(),
  }, () => {
    const x = torch.tensor(X, { dtype: 'float64' }).requiresGrad_();
    const log: [string, number[]][] = [];
    const a = savedTensorsHooks(
      (t) => {
        log.push(['pack', t.shape]);
        return t.mul(2);
      },
      (p: Tensor) => {
        log.push(['unpack', p.shape]);
        return p;
      },
      () => x.pow(2),
    );
    const y = a.exp().mul(x.sin());
    y.sum().backward();
    const py = runPython<{ grad: number[]; log: [string, number[]][] }>(PY_DOUBLE, X);
    assert.deepEqual(x.grad?.toArray(), py.grad);
    assert.deepEqual(log, py.log);
    // pow saves x (one pack), its backward reads it back once: d/dx of x^2 becomes 2 * (2x)
    assert.deepEqual(log, [
      ['pack', [3]],
      ['unpack', [3]],
    ]);
    const plain = torch.tensor(X, { dtype: 'float64' }).requiresGrad_();
    plain.pow(2).exp().mul(plain.sin()).sum().backward();
    assert.notDeepEqual(x.grad?.toArray(), plain.grad?.toArray());
  });

  test('pack into a JS array, unpack from it: same gradients as without hooks, one pack per saved tensor', () => {
    const store: Tensor[] = [];
    const x = torch.tensor(X, { dtype: 'float64' }).requiresGrad_();
    let unpacks = 0;
    const y = savedTensorsHooks(
      (t) => {
        store.push(torch.keep(t.clone()));
        return store.length - 1;
      },
      (i: number) => {
        unpacks++;
        return store[i] as Tensor;
      },
      () => x.exp().mul(x).tanh(),
    );
    y.sum().backward();
    const plain = torch.tensor(X, { dtype: 'float64' }).requiresGrad_();
    plain.exp().mul(plain).tanh().sum().backward();
    assert.deepEqual(x.grad?.toArray(), plain.grad?.toArray());
    // exp saves its result, mul both operands, tanh its result
    assert.equal(store.length, 4);
    assert.equal(unpacks, 4);
    for (const t of store) t.dispose();
  });

  test('nesting: the innermost pair packs; unpack order and grad mode as in Python', {
    skip: skipWithoutPython(),
  }, () => {
    const x = torch.tensor(X, { dtype: 'float64' }).requiresGrad_();
    const log: string[] = [];
    const hook = (name: string) => (t: Tensor) => {
      log.push(`${name} ${torch.isGradEnabled()}`);
      return t;
    };
    const z = savedTensorsHooks(hook('p1'), hook('u1') as never, () => {
      const y = savedTensorsHooks(hook('p2'), hook('u2') as never, () => x.pow(2));
      return y.exp();
    });
    z.sum().backward();
    const py = runPython<string[]>(
      `
from torch.autograd.graph import saved_tensors_hooks
x = torch.tensor(INPUT, dtype=torch.float64, requires_grad=True)
log = []
def hook(name):
    def f(t):
        log.append(f'{name} {str(torch.is_grad_enabled()).lower()}')
        return t
    return f
with saved_tensors_hooks(hook('p1'), hook('u1')):
    with saved_tensors_hooks(hook('p2'), hook('u2')):
        y = x.pow(2)
    z = y.exp()
z.sum().backward()
OUTPUT = log
`,
      X,
    );
    assert.deepEqual(log, py);
    assert.deepEqual(log, ['p2 false', 'p1 false', 'u1 false', 'u2 false']);
    assert.equal(torch.isGradEnabled(), true);
  });

  test('double backward: the hooks see the tensors that backward saves with createGraph', () => {
    const x = torch.tensor(X, { dtype: 'float64' }).requiresGrad_();
    let packs = 0;
    const count = (t: Tensor) => {
      packs++;
      return t;
    };
    const [g] = savedTensorsHooks(
      count,
      (p: Tensor) => p,
      () => {
        const y = x.pow(3).sum();
        return torch.autograd.grad(y, x, { createGraph: true });
      },
    );
    const [gg] = torch.autograd.grad((g as Tensor).sum(), x);
    // d2/dx2 of x^3 = 6x
    assert.deepEqual(
      gg?.toArray(),
      X.map((v) => 6 * v),
    );
    assert.ok(packs >= 2, `packs: ${packs}`);
  });

  test('errors: unpack returning a non-tensor, a throwing pack, an in-place pack, a bad size, as Python', {
    skip: skipWithoutPython(),
  }, () => {
    const py = runPython<string[]>(`
from torch.autograd.graph import saved_tensors_hooks
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
out = []
for pack, unpack in [(lambda t: t, lambda p: 5), (lambda t: t.mul_(2), lambda p: p), (lambda t: t, lambda p: torch.zeros(2))]:
    try:
        with saved_tensors_hooks(pack, unpack):
            y = x.exp()
        y.sum().backward()
        out.append('')
    except Exception as e:
        out.append(f'{type(e).__name__}: {e}')
OUTPUT = out
`);
    const x = torch.tensor([1, 2, 3], { dtype: 'float32' }).requiresGrad_();
    const id = (t: Tensor) => t;
    assert.match(
      py[0] as string,
      /^TypeError: Output of saved tensor unpack_hook expected to be a Tensor but got result of type int/,
    );
    assert.throws(
      () =>
        savedTensorsHooks(
          id,
          () => 5 as never,
          () => x.exp(),
        )
          .sum()
          .backward(),
      {
        name: 'TypeError',
        message: 'Output of saved tensor unpack_hook expected to be a Tensor but got a number',
      },
    );
    const inPlace = (py[1] as string).replace(/^RuntimeError: /, '');
    assert.throws(
      () =>
        savedTensorsHooks(
          (t) => t.mul_(2),
          id as never,
          () => x.exp(),
        ),
      (e: Error) => e.message === `exp: ${inPlace}`,
    );
    const size = (py[2] as string).replace(/^RuntimeError: /, '');
    assert.throws(
      () =>
        savedTensorsHooks(id, (() => torch.zeros([2])) as never, () => x.exp())
          .sum()
          .backward(),
      (e: Error) => e.message.includes(size),
    );
    // The very error the hook threw reaches the caller.
    class Mine extends Error {}
    const mine = new Mine('from pack');
    assert.throws(
      () =>
        savedTensorsHooks(
          () => {
            throw mine;
          },
          id as never,
          () => x.exp(),
        ),
      (e) => e === mine,
    );
    const unpackError = new RangeError('from unpack');
    const y = savedTensorsHooks(
      id,
      () => {
        throw unpackError;
      },
      () => x.exp(),
    );
    assert.throws(
      () => y.sum().backward(),
      (e) => e === unpackError,
    );
    assert.throws(
      () => savedTensorsHooks(1 as never, id as never, () => 0),
      /savedTensorsHooks: pack must be a function, got a number/,
    );
    assert.throws(() => savedTensorsHooks(id, id as never, async () => 0), /fn must be synchronous/);
  });

  test('an op that saves nothing calls no hook; grads without hooks are untouched afterwards', () => {
    let calls = 0;
    const x = torch.tensor(X, { dtype: 'float64' }).requiresGrad_();
    const y = savedTensorsHooks(
      (t) => {
        calls++;
        return t;
      },
      (p: Tensor) => p,
      () => x.add(1).neg(),
    );
    y.sum().backward();
    assert.equal(calls, 0);
    assert.deepEqual(x.grad?.toArray(), [-1, -1, -1]);
  });

  test('a loop of 50 forward/backward steps with hooks keeps the live-tensor count flat', () => {
    torch.manualSeed(0);
    const w = torch.randn([8, 8], { dtype: 'float64' }).requiresGrad_();
    const x = torch.randn([4, 8], { dtype: 'float64' });
    const step = () =>
      torch.scope(() => {
        const y = savedTensorsHooks(
          (t) => [t.mul(1), 'tag'],
          (p: [Tensor, string]) => p[0],
          () => x.matmul(w).tanh().matmul(w).sigmoid(),
        );
        y.sum().backward();
      });
    step();
    const before = torch.memory().tensors;
    for (let i = 0; i < 50; i++) step();
    assert.equal(torch.memory().tensors, before);
    w.grad = null;
  });

  test('used once: what pack returned is freed soon after backward, with no further hook call', async () => {
    const x = torch.tensor(X, { dtype: 'float64' }).requiresGrad_();
    const tick = () => new Promise((resolve) => setTimeout(resolve, 300));
    await tick(); // the records earlier tests left
    const before = torch.memory().tensors;
    torch.scope(() => {
      const y = savedTensorsHooks(
        (t) => t.mul(1),
        (p: Tensor) => p,
        () => x.exp().sin(),
      );
      y.sum().backward();
    });
    // sin's record went when exp's unpack ran; exp's holds its tensor until the timer drops it
    assert.equal(torch.memory().tensors, before + 1);
    await tick();
    assert.equal(torch.memory().tensors, before);
  });

  test('unpack asked for by a CUDA device thread runs on this thread', {
    skip: torch.cuda.isAvailable() ? false : 'no CUDA device here: the device-thread path needs one',
  }, () => {
    const x = torch.randn([3], { device: 'cuda' }).requiresGrad_();
    let unpacked = 0;
    const y = savedTensorsHooks(
      (t) => t.cpu(),
      (p: Tensor) => {
        unpacked++;
        return p.cuda();
      },
      () => x.exp(),
    );
    y.sum().backward();
    assert.equal(unpacked, 1);
    assert.deepEqual(x.grad?.cpu().toArray(), x.exp().cpu().toArray());
    // a hook that throws: its error reaches backward's caller, and the thread is not left broken
    const z = savedTensorsHooks(
      (t) => t,
      (): Tensor => {
        throw new RangeError('no unpacking today');
      },
      () => x.exp(),
    );
    assert.throws(
      () => z.sum().backward(),
      (e) => e instanceof RangeError && e.message === 'no unpacking today',
    );
    const w = torch.randn([3], { device: 'cuda' }).requiresGrad_();
    w.exp().sum().backward();
    assert.deepEqual(w.grad?.shape, [3]);
  });
});

describe('torch.autograd.graph.saveOnCpu', () => {
  test('on CPU tensors it is the identity: same gradients, with and without pinMemory', () => {
    const grads = (wrap: (f: () => Tensor) => Tensor) => {
      const x = torch.tensor(X, { dtype: 'float64' }).requiresGrad_();
      wrap(() => x.exp().mul(x.sin()))
        .sum()
        .backward();
      return x.grad?.toArray();
    };
    const plain = grads((f) => f());
    assert.deepEqual(
      grads((f) => saveOnCpu(f)),
      plain,
    );
    assert.deepEqual(
      grads((f) => saveOnCpu(f, { pinMemory: true })),
      plain,
    );
    assert.throws(() => saveOnCpu(() => 0, { pinMemory: 1 as never }), /saveOnCpu: pinMemory must be a boolean/);
  });
});

describe('torch.autograd.graph.disableSavedTensorsHooks', () => {
  test('pushing hooks inside fails with the message, as Python; the state comes back after', {
    skip: skipWithoutPython(),
  }, () => {
    const py = runPython<string[]>(`
from torch.autograd.graph import saved_tensors_hooks, disable_saved_tensors_hooks
out = []
try:
    with disable_saved_tensors_hooks('no hooks here'):
        with disable_saved_tensors_hooks('inner message'):
            pass
        with saved_tensors_hooks(lambda t: t, lambda p: p):
            pass
except RuntimeError as e:
    out.append(str(e))
try:
    with saved_tensors_hooks(lambda t: t, lambda p: p):
        with disable_saved_tensors_hooks('not while hooks are on'):
            pass
except RuntimeError as e:
    out.append(str(e))
with saved_tensors_hooks(lambda t: t, lambda p: p):
    out.append('enabled again')
OUTPUT = out
`);
    const id = (t: Tensor) => t;
    const got: string[] = [];
    try {
      disableSavedTensorsHooks('no hooks here', () => {
        disableSavedTensorsHooks('inner message', () => 0);
        savedTensorsHooks(id, id as never, () => 0);
      });
    } catch (e) {
      got.push((e as Error).message);
    }
    try {
      savedTensorsHooks(id, id as never, () => disableSavedTensorsHooks('not while hooks are on', () => 0));
    } catch (e) {
      got.push((e as Error).message);
    }
    savedTensorsHooks(id, id as never, () => got.push('enabled again'));
    assert.deepEqual(got, py);
    // checkpoint's non-reentrant variant is built on the hooks: disabled with them
    assert.throws(
      () =>
        disableSavedTensorsHooks('checkpoint off', () =>
          torch.utils.checkpoint.checkpoint((t: Tensor) => t.exp(), torch.ones([2]).requiresGrad_(), {
            useReentrant: false,
          }),
        ),
      { message: 'checkpoint off' },
    );
  });
});
