// nn.CrossMapLRN2d, F.convTbc and F.nativeChannelShuffle against PyTorch's, to the bit in float32:
// CrossMapLRN2d's forward and its hand-written (Lua Torch) backward for odd and even window
// sizes; conv_tbc's output and gradients; native_channel_shuffle's output; errors naming them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const nn = torch.nn;
const F = nn.functional;
type Tensor = torch.Tensor;

torch.setNumThreads(1);
const skip = skipWithoutPython();

/** Seeded normal values rounded to 1/64, as a float32 leaf. */
function leaf(shape: number[], seed: number, grad = true): Tensor {
  torch.manualSeed(seed);
  // add(0) turns -0 into +0: JSON carries no sign of zero to Python.
  return torch.randn(shape).mul(64).round().div(64).add(0).requiresGrad_(grad);
}

describe('nn.CrossMapLRN2d equals PyTorch’s (forward and its own backward) to the bit', () => {
  const cases = [
    { size: 3, alpha: 1e-4, beta: 0.75, k: 1, shape: [2, 6, 3, 2] },
    { size: 5, alpha: 0.5, beta: 0.6, k: 1.5, shape: [2, 7, 2, 3] },
    // Even sizes put the window off-centre; 4 is wider than half of the 3 channels.
    { size: 4, alpha: 0.3, beta: 1.25, k: 2.5, shape: [1, 3, 4, 2] },
    { size: 2, alpha: 0.2, beta: 0.5, k: 1, shape: [3, 5, 1, 2] },
  ];
  for (const [i, c] of cases.entries()) {
    test(`size ${c.size}, alpha ${c.alpha}, beta ${c.beta}, k ${c.k}, input [${c.shape.join(', ')}]`, { skip }, () => {
      const x = leaf(c.shape, 50 + i);
      const g = leaf(c.shape, 60 + i, false);
      const m = new nn.CrossMapLRN2d(c.size, { alpha: c.alpha, beta: c.beta, k: c.k });
      const y = m.forward(x);
      y.backward(g);
      const expected = runPython<{ y: unknown; gx: unknown; repr: string }>(
        `import torch
torch.set_num_threads(1)
c = INPUT['c']
x = torch.tensor(INPUT['x'], requires_grad=True)
m = torch.nn.CrossMapLRN2d(c['size'], c['alpha'], c['beta'], c['k'])
y = m(x)
y.backward(torch.tensor(INPUT['g']))
OUTPUT = dict(y=y.tolist(), gx=x.grad.tolist(), repr=repr(m))`,
        { c, x: x.toArray(), g: g.toArray() },
      );
      assert.deepEqual(y.toArray(), expected.y, 'output');
      assert.deepEqual(x.grad?.toArray(), expected.gx, 'input gradient');
      assert.equal(m.toString(), expected.repr);
      assert.equal(y.gradFn, 'CrossMapLRN2dFunctionBackward');
    });
  }

  test('forward leaves only its output; backward frees what it makes', () => {
    const x = leaf([2, 4, 2, 2], 5);
    const m = new nn.CrossMapLRN2d(3);
    m.forward(x).sum().backward(); // gives x its .grad
    const before = torch.memory().tensors;
    torch.scope(() => {
      const y = m.forward(x);
      assert.equal(torch.memory().tensors, before + 1);
      y.sum().backward();
    });
    assert.equal(torch.memory().tensors, before);
  });

  test('input that is not 4-D is an Error naming the module and the shape', () => {
    assert.throws(
      () => new nn.CrossMapLRN2d(3).forward(torch.zeros([2, 3, 4])),
      /^Error: CrossMapLRN2d: Expected input to be 4D, got 3D instead \(input of shape \[2, 3, 4\]\)$/,
    );
    // Python's backward fails for size 1 too (its padding leaves no room); ours says why.
    const x = torch.ones([1, 3, 2, 2]).requiresGrad_();
    const y = new nn.CrossMapLRN2d(1).forward(x);
    assert.throws(() => y.sum().backward(), /CrossMapLRN2d: backward needs size >= 2/);
  });
});

describe('F.convTbc and F.nativeChannelShuffle equal PyTorch’s to the bit', () => {
  test('convTbc: output and gradients of input, weight and bias, with and without pad', { skip }, () => {
    const results = [0, 2].map((pad, i) => {
      const x = leaf([7, 2, 3], 70 + i);
      const w = leaf([3, 3, 4], 80 + i);
      const b = leaf([4], 90 + i);
      const y = F.convTbc(x, w, b, { pad });
      y.mul(y).sum().backward();
      return { pad, x, w, b, y };
    });
    const expected = runPython<{ y: unknown; gx: unknown; gw: unknown; gb: unknown }[]>(
      `import torch
torch.set_num_threads(1)
OUTPUT = []
for c in INPUT:
    x, w, b = (torch.tensor(c[k], requires_grad=True) for k in 'xwb')
    y = torch.nn.functional.conv_tbc(x, w, b, c['pad'])
    (y * y).sum().backward()
    OUTPUT.append(dict(y=y.tolist(), gx=x.grad.tolist(), gw=w.grad.tolist(), gb=b.grad.tolist()))`,
      results.map((r) => ({ pad: r.pad, x: r.x.toArray(), w: r.w.toArray(), b: r.b.toArray() })),
    );
    for (const [i, r] of results.entries()) {
      const e = expected[i];
      assert.deepEqual(r.y.shape, [7 + 2 * r.pad - 2, 2, 4]);
      assert.deepEqual(r.y.toArray(), e?.y, `output, pad ${r.pad}`);
      assert.deepEqual(r.x.grad?.toArray(), e?.gx, `input gradient, pad ${r.pad}`);
      assert.deepEqual(r.w.grad?.toArray(), e?.gw, `weight gradient, pad ${r.pad}`);
      assert.deepEqual(r.b.grad?.toArray(), e?.gb, `bias gradient, pad ${r.pad}`);
    }
    assert.deepEqual(
      torch.convTbc(results[0]?.x as Tensor, results[0]?.w as Tensor, results[0]?.b as Tensor).toArray(),
      expected[0]?.y,
    );
  });

  test('nativeChannelShuffle: the same permutation as channelShuffle and Python', { skip }, () => {
    const x = torch
      .arange(0, 2 * 6 * 2)
      .reshape([2, 6, 2])
      .float();
    const y = F.nativeChannelShuffle(x, 3);
    const expected = runPython(
      'import torch\nOUTPUT = torch.nn.functional.native_channel_shuffle(torch.tensor(INPUT), 3).tolist()',
      x.toArray(),
    );
    assert.deepEqual(y.toArray(), expected);
    assert.deepEqual(y.toArray(), F.channelShuffle(x, 3).toArray());
    // By hand: channels [0..5] in 3 groups of 2 become 0, 2, 4, 1, 3, 5.
    assert.deepEqual(
      (y.select(0, 0).select(1, 0).toArray() as number[]).map((v) => v / 2),
      [0, 2, 4, 1, 3, 5],
    );
  });

  test('bad input is an Error naming the function', () => {
    assert.throws(
      () => F.convTbc(torch.zeros([7, 3]), torch.zeros([3, 3, 4]), torch.zeros([4])),
      /^Error: convTbc: Input must have 3 dims: time, batch, in_channel$/,
    );
    assert.throws(
      () => F.convTbc(torch.zeros([7, 2, 3]), torch.zeros([3, 5, 4]), torch.zeros([4])),
      /^Error: convTbc: .*/,
    );
    assert.throws(
      () => F.nativeChannelShuffle(torch.zeros([2, 3, 4]), 2),
      /^Error: nativeChannelShuffle: Number of channels must be divisible by groups\. Got 3 channels and 2 groups\.$/,
    );
  });
});
