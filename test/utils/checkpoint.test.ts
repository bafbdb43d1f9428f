// torch.utils.checkpoint (the reentrant variant) against a plain call and against Python torch's
// checkpointed run. Both sides hold the same float64 weights (ours, sent to Python as a state
// dict) and the same input, and call manualSeed(SEED) right before the forward, so the dropout
// masks are drawn from the same state: the loss and every gradient must equal the plain run's to
// the bit, and Python's checkpointed run's to 1e-12. The backward's recomputation must redraw
// those masks (the random state restored) and leave the random state as a plain backward does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { close } from '../support/layer_parity.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const nn = torch.nn;
const { checkpoint, checkpointSequential } = torch.utils.checkpoint;
type Tensor = torch.Tensor;
type Nested = number | Nested[];

const SEED = 7;

const mlp = () =>
  new nn.Sequential(
    new nn.Linear(6, 8),
    new nn.ReLU(),
    new nn.Dropout({ p: 0.5 }),
    new nn.Linear(8, 8),
    new nn.Tanh(),
    new nn.Dropout({ p: 0.3 }),
    new nn.Linear(8, 3),
  );
const PY_MLP =
  'nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 3))';

const convStack = () =>
  new nn.Sequential(
    new nn.Conv2d(2, 4, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.Dropout2d({ p: 0.25 }),
    new nn.Conv2d(4, 4, 3),
    new nn.Tanh(),
    new nn.Dropout({ p: 0.2 }),
    new nn.Flatten(),
    new nn.Linear(36, 2),
  );
const PY_CONV =
  'nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Dropout2d(0.25), nn.Conv2d(4, 4, 3), nn.Tanh(), nn.Dropout(0.2), nn.Flatten(), nn.Linear(36, 2))';

interface Run {
  loss: number;
  grads: Record<string, Nested>;
  inputGrad: Nested;
}

/** Builds the model in float64 from seed 0, and an input that requires grad. */
function setup(make: () => torch.nn.Sequential, shape: number[]): { m: torch.nn.Sequential; x: Tensor } {
  torch.manualSeed(0);
  const m = make().to('float64');
  const x = torch.randn(shape, { dtype: 'float64' }).requiresGrad_();
  return { m, x };
}

/** Seeds, runs `forward`, takes the sum of squares' gradients; the model's gradients are cleared first. */
function run(m: torch.nn.Module, x: Tensor, forward: () => Tensor): Run {
  m.zeroGrad();
  x.grad = null;
  return torch.scope(() => {
    torch.manualSeed(SEED);
    const loss = forward().pow(2).sum();
    // A draw between forward and backward: the backward's recomputation must not replay it.
    torch.rand([3]);
    loss.backward();
    return {
      loss: loss.item() as number,
      grads: Object.fromEntries(m.namedParameters().map(([k, p]) => [k, p.grad?.toArray() as Nested])),
      inputGrad: x.grad?.toArray() as Nested,
    };
  });
}

const PY_RUN = `
import torch.nn as nn
from torch.utils.checkpoint import checkpoint, checkpoint_sequential
m = eval(INPUT['model']).double()
m.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in INPUT['state'].items()})
x = torch.tensor(INPUT['x'], dtype=torch.float64, requires_grad=True)
torch.manual_seed(INPUT['seed'])
if not INPUT['inputGrad']:
    x.requires_grad_(False)
if INPUT['segments']:
    out = checkpoint_sequential(m, INPUT['segments'], x, use_reentrant=INPUT['reentrant'])
else:
    out = checkpoint(m, x, use_reentrant=INPUT['reentrant'])
loss = out.pow(2).sum()
loss.backward()
OUTPUT = dict(loss=loss.item(), grads={k: p.grad for k, p in m.named_parameters()}, inputGrad=x.grad)
`;

function python(model: string, m: torch.nn.Module, x: Tensor, segments = 0, reentrant = true): Run {
  const state = Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.toArray()]));
  return runPython<Run>(PY_RUN, {
    model,
    state,
    x: x.toArray(),
    seed: SEED,
    segments,
    reentrant,
    inputGrad: x.requiresGrad,
  });
}

function assertBitEqual(got: Run, plain: Run): void {
  assert.equal(got.loss, plain.loss, 'loss');
  assert.deepEqual(Object.keys(got.grads), Object.keys(plain.grads));
  for (const [k, g] of Object.entries(plain.grads)) assert.deepEqual(got.grads[k], g, `gradient of ${k}`);
  assert.deepEqual(got.inputGrad, plain.inputGrad, 'gradient of the input');
}

function assertPython(got: Run, py: Run): void {
  close(got.loss, py.loss, 'loss vs Python', 1e-12);
  assert.deepEqual(Object.keys(got.grads), Object.keys(py.grads));
  for (const [k, g] of Object.entries(py.grads)) close(got.grads[k], g, `gradient of ${k} vs Python`, 1e-12);
  close(got.inputGrad, py.inputGrad, 'input gradient vs Python', 1e-12);
}

const rngState = (): number[] => torch.getRngState().toArray() as number[];

describe('torch.utils.checkpoint.checkpoint', () => {
  // First in the file: the warning is given once per process.
  test('without useReentrant: PyTorch warns, and the reentrant variant runs', (t) => {
    const warn = t.mock.method(process, 'emitWarning', () => {});
    const { m, x } = setup(mlp, [4, 6]);
    const plain = run(m, x, () => m.forward(x) as Tensor);
    const got = run(m, x, () => checkpoint(m, x) as Tensor);
    assertBitEqual(got, plain);
    const messages = warn.mock.calls.map((c) => String(c.arguments[0]));
    assert.equal(messages.filter((s) => s.includes('useReentrant option should be passed explicitly')).length, 1);
    assert.equal(warn.mock.calls[0]?.arguments[1], 'UserWarning');
  });

  test('an MLP with dropout: loss and every gradient equal the plain run to the bit, and Python', {
    skip: skipWithoutPython(),
  }, () => {
    const { m, x } = setup(mlp, [5, 6]);
    const plain = run(m, x, () => m.forward(x) as Tensor);
    const stateAfterPlain = rngState();
    const got = run(m, x, () => checkpoint(m, x, { useReentrant: true }) as Tensor);
    assertBitEqual(got, plain);
    // The recomputation restored the forward's state, then the surrounding one (after the draw).
    assert.deepEqual(rngState(), stateAfterPlain, 'random state after backward');
    assertPython(got, python(PY_MLP, m, x));
  });

  test('a conv stack with dropout, checkpointed as a function of the input', { skip: skipWithoutPython() }, () => {
    const { m, x } = setup(convStack, [2, 2, 5, 5]);
    const plain = run(m, x, () => m.forward(x) as Tensor);
    const got = run(m, x, () => checkpoint((y: Tensor) => m.forward(y) as Tensor, x, { useReentrant: true }) as Tensor);
    assertBitEqual(got, plain);
    assertPython(got, python(PY_CONV, m, x));
  });

  test('preserveRngState: false redraws the dropout masks, so gradients differ', () => {
    const { m, x } = setup(mlp, [5, 6]);
    const plain = run(m, x, () => m.forward(x) as Tensor);
    const got = run(m, x, () => checkpoint(m, x, { useReentrant: true, preserveRngState: false }) as Tensor);
    assert.equal(got.loss, plain.loss, 'the forward is the same');
    assert.notDeepEqual(got.grads['0.weight'], plain.grads['0.weight']);
  });

  test('several outputs and non-tensor arguments', () => {
    const { m, x } = setup(mlp, [3, 6]);
    const lin = m.getSubmodule('0') as torch.nn.Linear;
    const fn = (y: Tensor, scale: number, z: Tensor): Tensor[] => {
      const h = (lin.forward(y) as Tensor).mul(scale);
      return [h.tanh(), h.mul(z).sum(1)];
    };
    const z = torch.randn([3, 8], { dtype: 'float64' });
    const loss = (outs: Tensor[]) =>
      (outs[0] as Tensor)
        .pow(2)
        .sum()
        .add((outs[1] as Tensor).exp().sum());
    const plain = run(m, x, () => loss(fn(x, 0.5, z)));
    const got = run(m, x, () => loss(checkpoint(fn, x, 0.5, z, { useReentrant: true }) as Tensor[]));
    assertBitEqual(got, plain);
  });

  test('the graph holds fewer bytes between forward and backward', () => {
    // Held bytes: what freeing the loss (and so the graph) hands back to the caching CPU
    // allocator, once every tensor handle of the forward is freed.
    const big = () =>
      new nn.Sequential(
        ...Array.from({ length: 6 }, () => [new nn.Linear(256, 256), new nn.ReLU(), new nn.Dropout({ p: 0.1 })]).flat(),
      );
    torch.manualSeed(0);
    const m = big();
    const x = torch.randn([64, 256]).requiresGrad_();
    const held = (forward: () => Tensor): number => {
      torch.cpu.emptyCache();
      const loss = torch.scope(() => forward().sum());
      const before = torch.cpu.memoryCached();
      loss.dispose();
      const freed = torch.cpu.memoryCached() - before;
      torch.cpu.emptyCache();
      return freed;
    };
    const plain = held(() => m.forward(x) as Tensor);
    const checkpointed = held(() => checkpoint(m, x, { useReentrant: true }) as Tensor);
    const halves = held(() => checkpointSequential(m, 2, x, { useReentrant: true }));
    const nonReentrant = held(() => checkpoint(m, x, { useReentrant: false }) as Tensor);
    console.log(
      `graph-held bytes: plain ${plain}, checkpoint ${checkpointed}, checkpointSequential(2) ${halves}, non-reentrant ${nonReentrant}`,
    );
    // 6 blocks of Linear, ReLU, Dropout on 64x256 float32 (64 KiB a tensor): the plain graph
    // holds activations and masks (17 tensors' worth); the checkpointed one holds only its
    // input, which the caller holds too, so nothing of its own; with 2 segments, the second
    // half's activations.
    assert.ok(plain >= 16 * 65536, `plain graph holds ${plain}`);
    assert.ok(checkpointed < 65536, `checkpointed graph holds ${checkpointed}`);
    // non-reentrant: the graph is recorded, but its saved tensors are holders (JS objects)
    assert.ok(nonReentrant < 65536, `non-reentrant checkpointed graph holds ${nonReentrant}`);
    assert.ok(halves < plain * 0.6 && halves > 7 * 65536, `half checkpointed holds ${halves}`);
  });

  test('errors and warnings as PyTorch', (t) => {
    const { m, x } = setup(mlp, [2, 6]);
    assert.throws(() => checkpoint(m, x, { useReentrant: true, foo: 1, bar: 2 }), {
      message: 'checkpoint: Unexpected keyword arguments: foo,bar',
    });
    assert.throws(() => checkpoint(42 as never, x, { useReentrant: true }), TypeError);
    assert.throws(
      () => checkpoint(() => 3, x, { useReentrant: true }),
      /must return a Tensor or an array, got a number/,
    );

    // No input requires grad: PyTorch's warning, and the parameters inside get no gradient.
    const warn = t.mock.method(process, 'emitWarning', () => {});
    m.zeroGrad();
    const plainX = x.detach();
    const out = checkpoint(m, plainX, { useReentrant: true }) as Tensor;
    assert.equal(out.requiresGrad, false);
    assert.equal((m.getSubmodule('0') as torch.nn.Linear).weight.grad, null);
    assert.deepEqual(
      warn.mock.calls.map((c) => c.arguments[0]),
      ['None of the inputs have requires_grad=True. Gradients will be None'],
    );

    // The recomputed output does not require grad: PyTorch's error, from backward.
    const cut = checkpoint((y: Tensor) => y.detach().mul(2), x, { useReentrant: true }) as Tensor;
    assert.throws(
      () => cut.sum().backward(),
      /none of output has requires_grad=True, this checkpoint\(\) is not necessary/,
    );
  });
});

describe('torch.utils.checkpoint.checkpointSequential', () => {
  test('2 segments of the conv stack: equal to the plain run to the bit, and to Python', {
    skip: skipWithoutPython(),
  }, () => {
    const { m, x } = setup(convStack, [3, 2, 5, 5]);
    const plain = run(m, x, () => m.forward(x) as Tensor);
    const got = run(m, x, () => checkpointSequential(m as torch.nn.Sequential, 2, x, { useReentrant: true }));
    assertBitEqual(got, plain);
    assertPython(got, python(PY_CONV, m, x, 2));
  });

  test('an array of modules and functions, 3 segments', () => {
    const { m, x } = setup(mlp, [4, 6]);
    const list = [...m.children().slice(0, 5), (y: Tensor) => y.mul(3), m.getSubmodule('6')];
    const plain = run(m, x, () =>
      list.reduce<Tensor>(
        (y, f) => (typeof f === 'function' ? f(y) : (f as unknown as { forward(a: Tensor): Tensor }).forward(y)),
        x,
      ),
    );
    const got = run(m, x, () => checkpointSequential(list, 3, x, { useReentrant: true }));
    assertBitEqual(got, plain);
  });

  test('errors', (t) => {
    const { m, x } = setup(mlp, [2, 6]);
    const seq = m as torch.nn.Sequential;
    assert.throws(
      () => checkpointSequential(seq, 0, x, { useReentrant: true }),
      /segments must be an integer from 1 to/,
    );
    assert.throws(() => checkpointSequential(seq, 8, x, { useReentrant: true }), /\(7\), got 8/);
    assert.throws(
      () => checkpointSequential(seq, 2, x, { useReentrant: true, foo: 1 } as never),
      /Unexpected keyword arguments: foo/,
    );
    const warn = t.mock.method(process, 'emitWarning', () => {});
    checkpointSequential(seq, 2, x);
    assert.match(String(warn.mock.calls[0]?.arguments[0]), /checkpointSequential: the useReentrant option/);
  });
});

describe('torch.utils.checkpoint.checkpoint, useReentrant: false', () => {
  const nonReentrant = { useReentrant: false };

  test('an MLP with dropout: equal to the plain run to the bit, and to Python; random state restored', {
    skip: skipWithoutPython(),
  }, () => {
    const { m, x } = setup(mlp, [5, 6]);
    const plain = run(m, x, () => m.forward(x) as Tensor);
    const stateAfterPlain = rngState();
    const got = run(m, x, () => checkpoint(m, x, nonReentrant) as Tensor);
    assertBitEqual(got, plain);
    assert.deepEqual(rngState(), stateAfterPlain, 'random state after backward');
    assertPython(got, python(PY_MLP, m, x, 0, false));
  });

  test('a conv stack with dropout, and checkpointSequential in 2 segments: to the bit, and Python', {
    skip: skipWithoutPython(),
  }, () => {
    const { m, x } = setup(convStack, [2, 2, 5, 5]);
    const plain = run(m, x, () => m.forward(x) as Tensor);
    const got = run(m, x, () => checkpoint((y: Tensor) => m.forward(y) as Tensor, x, nonReentrant) as Tensor);
    assertBitEqual(got, plain);
    assertPython(got, python(PY_CONV, m, x, 0, false));
    const seq = run(m, x, () => checkpointSequential(m, 2, x, nonReentrant));
    assertBitEqual(seq, plain);
    assertPython(seq, python(PY_CONV, m, x, 2, false));
  });

  test('an input that does not require grad: the parameters still get their gradients, as Python', {
    skip: skipWithoutPython(),
  }, () => {
    const { m, x: x0 } = setup(mlp, [4, 6]);
    const x = x0.detach();
    const plain = run(m, x, () => m.forward(x) as Tensor);
    const got = run(m, x, () => checkpoint(m, x, nonReentrant) as Tensor);
    assertBitEqual(got, plain);
    assert.equal(got.inputGrad, undefined);
    const py = python(PY_MLP, m, x, 0, false);
    for (const [k, g] of Object.entries(py.grads)) close(got.grads[k], g, `gradient of ${k} vs Python`, 1e-12);
    assert.equal(py.inputGrad, null);
  });

  test('autograd.grad through a checkpoint: the input gradient equals the plain one to the bit', () => {
    const { m, x } = setup(mlp, [3, 6]);
    const gradOf = (forward: () => Tensor): number[] =>
      torch.scope(() => {
        torch.manualSeed(SEED);
        const [g] = torch.autograd.grad(forward().pow(2).sum(), [x]);
        return g?.toArray() as number[];
      });
    const plain = gradOf(() => m.forward(x) as Tensor);
    assert.deepEqual(
      gradOf(() => checkpoint(m, x, nonReentrant) as Tensor),
      plain,
    );
    // backward({inputs}) too: only x gets a gradient
    m.zeroGrad();
    x.grad = null;
    torch.manualSeed(SEED);
    (checkpoint(m, x, nonReentrant) as Tensor)
      .pow(2)
      .sum()
      .backward({ inputs: [x] });
    assert.deepEqual((x.grad as Tensor | null)?.toArray(), plain);
    assert.equal((m.getSubmodule('0') as torch.nn.Linear).weight.grad, null);
  });

  test('nested checkpoints, non-tensor and object arguments: to the bit', () => {
    const { m, x } = setup(mlp, [4, 6]);
    const [l0, , , l3, , , l6] = m.children() as torch.nn.Module[];
    const z = torch.randn([4, 8], { dtype: 'float64' });
    const inner = (h: Tensor, opts: { scale: number; z: Tensor }) =>
      (l3 as torch.nn.Linear).forward(h.mul(opts.z).mul(opts.scale)).tanh();
    const outer = (y: Tensor, scale: number, useCheckpoint: boolean) => {
      const h = (l0 as torch.nn.Linear).forward(y).relu();
      const opts = { scale, z };
      const g = useCheckpoint ? (checkpoint(inner, h, opts, nonReentrant) as Tensor) : inner(h, opts);
      return (l6 as torch.nn.Linear).forward(g.sin());
    };
    const plain = run(m, x, () => outer(x, 0.5, false));
    const got = run(m, x, () => checkpoint(outer, x, 0.5, true, nonReentrant) as Tensor);
    assertBitEqual(got, plain);
  });

  test('early stop: the rerun ends at the last saved tensor (PyTorch 2.13 default); earlyStop: false runs it all', {
    skip: skipWithoutPython(),
  }, () => {
    const x = torch.tensor([0.5, 1.5], { dtype: 'float64' }).requiresGrad_();
    const calls = (earlyStop: boolean | undefined): number => {
      let n = 0;
      const fn = (y: Tensor) => {
        n++;
        const a = y.sin();
        n += 10; // reached in the rerun only when it is not cut
        return a.add(1);
      };
      const options = earlyStop === undefined ? nonReentrant : { ...nonReentrant, earlyStop };
      (checkpoint(fn, x, options) as Tensor).sum().backward();
      return n;
    };
    const py = runPython<number[]>(`
from torch.utils.checkpoint import checkpoint
x = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
out = []
for early in [None, False]:
    n = [0]
    def fn(y):
        n[0] += 1
        a = y.sin()
        n[0] += 10
        return a + 1
    kw = {} if early is None else dict(early_stop=early)
    checkpoint(fn, x, use_reentrant=False, **kw).sum().backward()
    out.append(n[0])
OUTPUT = out
`);
    assert.deepEqual([calls(undefined), calls(false)], py);
    assert.deepEqual(py, [12, 22]);
  });

  test('determinismCheck: a recomputation with other shapes is a CheckpointError; none skips the check', () => {
    const x = torch.tensor([[0.5, 1.5, -1]], { dtype: 'float64' }).requiresGrad_();
    const make = () => {
      let first = true;
      return (y: Tensor) => {
        const v = first ? y : y.expand([2, 3]);
        first = false;
        return v.sin().sum(0);
      };
    };
    assert.throws(
      () => (checkpoint(make(), x, nonReentrant) as Tensor).sum().backward(),
      (e: Error) => {
        assert.equal(e.name, 'CheckpointError');
        assert.ok(e instanceof torch.utils.checkpoint.CheckpointError);
        assert.match(
          e.message,
          /^torch\.utils\.checkpoint: Recomputed values for the following tensors have different metadata than during the forward pass\.\ntensor at position 0:\nsaved metadata: \{shape: \[1, 3\], dtype: 'float64', device: 'cpu'\}\nrecomputed metadata: \{shape: \[2, 3\], dtype: 'float64', device: 'cpu'\}/,
        );
        return true;
      },
    );
    // 'none': the count matches, so nothing is checked, and autograd reduces the recomputed
    // [2, 3] gradient to x's shape: sin's backward sees two rows of cos(x), summed (as PyTorch)
    x.grad = null;
    (checkpoint(make(), x, { ...nonReentrant, determinismCheck: 'none' }) as Tensor).sum().backward();
    assert.deepEqual((x.grad as Tensor | null)?.toArray(), x.detach().cos().mul(2).toArray());
    // fewer tensors saved in the rerun: the count check, whatever determinismCheck says
    let first = true;
    const fewer = (y: Tensor) => {
      const out = first ? y.sin().exp() : y.add(1).exp();
      first = false;
      return out;
    };
    assert.throws(
      () => (checkpoint(fewer, x, { ...nonReentrant, determinismCheck: 'none' }) as Tensor).sum().backward(),
      /A different number of tensors was saved during the original forward and recomputation\.\nNumber of tensors saved during forward: 2\nNumber of tensors saved during recomputation: 1\./,
    );
  });

  test('retainGraph and a second backward recompute again; no grad mode runs plainly', () => {
    const { m, x } = setup(mlp, [2, 6]);
    m.eval();
    let runs = 0;
    const fn = (y: Tensor) => {
      runs++;
      return m.forward(y) as Tensor;
    };
    const loss = (checkpoint(fn, x, nonReentrant) as Tensor).pow(2).sum();
    loss.backward({ retainGraph: true });
    const once = x.grad?.toArray() as Nested[];
    loss.backward();
    assert.equal(runs, 3);
    assert.deepEqual(
      x.grad?.toArray(),
      once.map((r) => (r as number[]).map((v) => v * 2)),
    );
    const out = torch.noGrad(() => checkpoint(fn, x, nonReentrant) as Tensor);
    assert.equal(out.requiresGrad, false);
    m.train();
  });

  test('50 checkpointed training steps keep the live-tensor count flat', () => {
    const { m, x } = setup(mlp, [4, 6]);
    const step = () => run(m, x, () => checkpoint(m, x, nonReentrant) as Tensor);
    step();
    const before = torch.memory().tensors;
    for (let i = 0; i < 50; i++) step();
    assert.equal(torch.memory().tensors, before);
  });
});
