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
if INPUT['segments']:
    out = checkpoint_sequential(m, INPUT['segments'], x, use_reentrant=True)
else:
    out = checkpoint(m, x, use_reentrant=True)
loss = out.pow(2).sum()
loss.backward()
OUTPUT = dict(loss=loss.item(), grads={k: p.grad for k, p in m.named_parameters()}, inputGrad=x.grad)
`;

function python(model: string, m: torch.nn.Module, x: Tensor, segments = 0): Run {
  const state = Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.toArray()]));
  return runPython<Run>(PY_RUN, { model, state, x: x.toArray(), seed: SEED, segments });
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
    console.log(`graph-held bytes: plain ${plain}, checkpoint ${checkpointed}, checkpointSequential(2) ${halves}`);
    // 6 blocks of Linear, ReLU, Dropout on 64x256 float32 (64 KiB a tensor): the plain graph
    // holds activations and masks (17 tensors' worth); the checkpointed one holds only its
    // input, which the caller holds too, so nothing of its own; with 2 segments, the second
    // half's activations.
    assert.ok(plain >= 16 * 65536, `plain graph holds ${plain}`);
    assert.ok(checkpointed < 65536, `checkpointed graph holds ${checkpointed}`);
    assert.ok(halves < plain * 0.6 && halves > 7 * 65536, `half checkpointed holds ${halves}`);
  });

  test('errors and warnings as PyTorch', (t) => {
    const { m, x } = setup(mlp, [2, 6]);
    assert.throws(() => checkpoint(m, x, { useReentrant: false }), /useReentrant: false .*saved-tensor hooks/);
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
    assert.throws(() => checkpointSequential(seq, 2, x, { useReentrant: false }), /saved-tensor hooks/);
    const warn = t.mock.method(process, 'emitWarning', () => {});
    checkpointSequential(seq, 2, x);
    assert.match(String(warn.mock.calls[0]?.arguments[0]), /checkpointSequential: the useReentrant option/);
  });
});
