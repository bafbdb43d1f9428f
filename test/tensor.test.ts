// The Tensor API's own behaviour, with values worked out by hand. Op-by-op comparison with
// PyTorch lives in test/parity/.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../lib/index.js';

const F = torch.nn.functional;

describe('creation', () => {
  test('nested arrays infer shape and dtype as PyTorch does', () => {
    const ints = torch.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(ints.shape, [2, 3]);
    assert.equal(ints.dtype, 'int64');
    assert.deepEqual(ints.toArray(), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.equal(torch.tensor([1, 2.5]).dtype, 'float32');
    assert.equal(torch.tensor([true, false]).dtype, 'bool');
    assert.deepEqual(torch.tensor([true, false]).toArray(), [true, false]);
    const s = torch.tensor(3.5);
    assert.deepEqual(s.shape, []);
    assert.equal(s.item(), 3.5);
    assert.equal(torch.tensor([1, 2], { dtype: 'float64' }).dtype, 'float64');
  });

  test('ragged or mixed data is refused with a clear error', () => {
    assert.throws(() => torch.tensor([[1, 2], [3]]), /not rectangular/);
    assert.throws(() => torch.tensor([1, true]), /mixes booleans and numbers/);
    assert.throws(() => torch.tensor([1, 'a' as unknown as number]), TypeError);
  });

  test('typed arrays keep their type; fromBuffer shares memory', () => {
    const f = new Float32Array([1, 2, 3, 4]);
    const copy = torch.tensor(f);
    assert.equal(copy.dtype, 'float32');
    const view = torch.fromBuffer(f, { shape: [2, 2] });
    f[0] = 10;
    assert.equal(copy.at(0).item(), 1, 'tensor() copies');
    assert.equal(view.at(0, 0).item(), 10, 'fromBuffer sees writes to the array');
    view.mul_(2);
    assert.equal(f[3], 8, 'and the array sees writes to the tensor');
    assert.equal(torch.tensor(new BigInt64Array([1n, 2n])).dtype, 'int64');
    assert.equal(torch.tensor(new Uint8Array([1, 2])).dtype, 'uint8');
    assert.throws(() => torch.fromBuffer(f, { shape: [3, 3] }), /9 elements but the data has 4/);
  });

  test('views of a SharedArrayBuffer: tensor() copies them, fromBuffer shares them', () => {
    const shared = new Int16Array(new SharedArrayBuffer(16), 4, 4); // bytes 4..12 of the buffer
    shared.set([1, -2, 3, -4]);
    const copy = torch.tensor(shared);
    const view = torch.fromBuffer(shared, { shape: [2, 2] });
    shared[1] = 20;
    assert.deepEqual(copy.toArray(), [1, -2, 3, -4]);
    assert.deepEqual(view.toArray(), [
      [1, 20],
      [3, -4],
    ]);
    view.neg_();
    assert.deepEqual(Array.from(new Int16Array(shared.buffer)), [0, 0, -1, -20, -3, 4, 0, 0]);
    copy.dispose();
    view.dispose();
  });

  test('fromBuffer with a hold counts the tensors over the memory until it is let go', () => {
    const counters = new Int32Array(new SharedArrayBuffer(8));
    const data = new Uint8Array(new SharedArrayBuffer(6)).fill(7);
    const a = torch.fromBuffer(data, { shape: [2, 3], hold: { counters, index: 1 } });
    const b = torch.fromBuffer(data.subarray(3), { hold: { counters, index: 1 } });
    assert.deepEqual(Array.from(counters), [0, 2]);
    const row = a.select(0, 1); // a view: the memory stays held while it lives
    // A dispose is carried out before the addon's next call (torch.memory() here).
    a.dispose();
    torch.memory();
    assert.equal(counters[1], 2);
    row.dispose();
    torch.memory();
    assert.equal(counters[1], 1);
    b.dispose();
    torch.memory();
    assert.equal(counters[1], 0);
    assert.throws(
      () =>
        torch.fromBuffer(data, {
          hold: { counters: new Float32Array(new SharedArrayBuffer(8)) as never, index: 0 },
        }),
      /fromBuffer: .*hold.*Int32Array/,
    );
    assert.throws(() => torch.fromBuffer(data, { hold: { counters, index: 2 } }), /holdIndex 2 is outside/);
    assert.throws(() => torch.fromBuffer(data, { hold: { counters, index: 1.5 } }), /'holdIndex' must be an integer/);
    assert.throws(
      () => torch.fromBuffer(data, { hold: { counters: new Int32Array(2), index: 0 } }),
      /hold.counters must be an Int32Array over a SharedArrayBuffer/,
    );
    assert.deepEqual(Array.from(counters), [0, 0], 'a refused call holds nothing');
  });

  test('factory functions', () => {
    assert.deepEqual(torch.zeros([2, 2]).toArray(), [
      [0, 0],
      [0, 0],
    ]);
    assert.deepEqual(torch.full([2], 7).toArray(), [7, 7]);
    assert.equal(torch.full([2], 7).dtype, 'int64');
    assert.deepEqual(torch.arange(4).toArray(), [0, 1, 2, 3]);
    assert.equal(torch.arange(4).dtype, 'int64');
    assert.deepEqual(torch.arange(1, 2, 0.25).toArray(), [1, 1.25, 1.5, 1.75]);
    assert.deepEqual(torch.linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(torch.eye(2).toArray(), [
      [1, 0],
      [0, 1],
    ]);
    assert.deepEqual(torch.onesLike(torch.zeros([3], { dtype: 'int32' })).toArray(), [1, 1, 1]);
    assert.equal(torch.onesLike(torch.zeros([3], { dtype: 'int32' })).dtype, 'int32');
    const perm = torch.randperm(10).toArray() as number[];
    assert.deepEqual(
      [...perm].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    const r = torch.randint(3, 7, [1000]).toArray() as number[];
    assert.ok(r.every((v) => v >= 3 && v < 7));
    assert.equal(torch.randint(5, [2]).dtype, 'int64');
    assert.equal(torch.zeros([2], { requiresGrad: true }).requiresGrad, true);
  });

  test('manualSeed makes random ops repeatable', () => {
    torch.manualSeed(7);
    const a = torch.randn([5]).toArray();
    torch.manualSeed(7);
    assert.deepEqual(torch.randn([5]).toArray(), a);
  });
});

describe('data and metadata', () => {
  test('metadata', () => {
    const t = torch.zeros([2, 3, 4]);
    assert.equal(t.numel(), 24);
    assert.equal(t.dim(), 3);
    assert.equal(t.size(-1), 4);
    assert.deepEqual(t.stride(), [12, 4, 1]);
    assert.equal(t.device, 'cpu');
    assert.equal(t.isContiguous(), true);
    assert.equal(t.transpose(0, 2).isContiguous(), false);
    assert.equal(t.isPinned(), false);
    assert.throws(() => t.size(3), RangeError);
  });

  test('toTypedArray types and 16-bit floats as float32', () => {
    assert.ok(torch.tensor([1.5]).toTypedArray() instanceof Float32Array);
    assert.ok(torch.tensor([1]).toTypedArray() instanceof BigInt64Array);
    const h = torch.tensor([1.5, -2]).half();
    assert.deepEqual([...(h.toTypedArray() as Float32Array)], [1.5, -2]);
    const b = torch.tensor([0.1]).to('bfloat16');
    assert.equal((b.toTypedArray() as Float32Array)[0], 0.10009765625);
  });

  test('item and toArray refuse what a JS number cannot hold', () => {
    assert.throws(() => torch.ones([2]).item(), /2 elements cannot be converted/);
    const big = torch.tensor(new BigInt64Array([2n ** 60n]));
    assert.throws(() => big.toArray(), /beyond 2\^53/);
    assert.throws(() => big.item(), /beyond 2\^53/);
    assert.equal((big.toTypedArray() as BigInt64Array)[0], 2n ** 60n);
  });

  test('to() converts dtype and device and returns itself when nothing changes', () => {
    const t = torch.tensor([1.7, -1.7]);
    assert.deepEqual(t.to('int32').toArray(), [1, -1]);
    assert.equal(t.to('int32').dtype, 'int32');
    assert.equal(t.to('cpu'), t);
    assert.equal(t.to({ dtype: 'float32' }), t);
    assert.notEqual(t.to({ dtype: 'float32', copy: true }), t);
    assert.equal(t.to({ device: 'cpu', dtype: 'float32', nonBlocking: true }), t);
    assert.equal(t.to(torch.zeros([1])), t);
    assert.equal(t.to(torch.zeros([1], { dtype: 'float64' })).dtype, 'float64');
  });
});

describe('ops', () => {
  test('broadcasting and scalar promotion', () => {
    const a = torch.tensor([[1], [2]]);
    const b = torch.tensor([10, 20, 30]);
    assert.deepEqual(a.add(b).toArray(), [
      [11, 21, 31],
      [12, 22, 32],
    ]);
    assert.equal(a.add(3).dtype, 'int64', 'int64 + 3 stays int64');
    assert.equal(a.div(a).dtype, 'float32', 'int64 / int64 is float32');
    assert.equal(torch.tensor([1.5]).mul(2).dtype, 'float32');
    assert.deepEqual(
      torch
        .tensor([1, 2])
        .add(torch.tensor([1, 1]), { alpha: 10 })
        .toArray(),
      [11, 12],
    );
    assert.deepEqual(torch.tensor([1, 2, 3]).gt(2).toArray(), [false, false, true]);
  });

  test('dim arguments, keepdim and named results', () => {
    const x = torch.tensor([
      [1, 5, 3],
      [4, 2, 6],
    ]);
    assert.deepEqual(x.sum(1).toArray(), [9, 12]);
    assert.deepEqual(x.sum(1, { keepdim: true }).shape, [2, 1]);
    assert.equal(x.sum().item(), 21);
    const [values, indices] = x.max(1);
    assert.deepEqual(values.toArray(), [5, 6]);
    assert.deepEqual(indices.toArray(), [1, 2]);
    assert.deepEqual(x.max(0).values.toArray(), [4, 5, 6]);
    assert.equal(x.max().item(), 6);
    assert.deepEqual(x.float().mean([0, 1]).item(), 3.5);
  });

  test('split, chunk and cat', () => {
    const x = torch.arange(6);
    assert.deepEqual(
      x.split(4).map((t) => t.toArray()),
      [
        [0, 1, 2, 3],
        [4, 5],
      ],
    );
    assert.deepEqual(
      x.split([1, 5]).map((t) => t.numel()),
      [1, 5],
    );
    assert.equal(x.chunk(3).length, 3);
    assert.deepEqual(torch.cat([x, x]).shape, [12]);
    assert.deepEqual(torch.stack([x, x], 1).shape, [6, 2]);
  });

  test('in-place ops return the tensor itself', () => {
    const x = torch.tensor([1, 2, 3]);
    assert.equal(x.add_(1), x);
    assert.deepEqual(x.toArray(), [2, 3, 4]);
    x.zero_();
    assert.deepEqual(x.toArray(), [0, 0, 0]);
    assert.deepEqual(x.fill_(5).toArray(), [5, 5, 5]);
  });

  test('at(): integer, slice, ellipsis, new axis and tensor indexing', () => {
    const x = torch.arange(24).reshape([2, 3, 4]);
    assert.deepEqual(x.at(1, 2).toArray(), [20, 21, 22, 23]);
    assert.deepEqual(x.at(0, '1:', '::2').toArray(), [
      [4, 6],
      [8, 10],
    ]);
    assert.deepEqual(x.at('...', -1).toArray(), [
      [3, 7, 11],
      [15, 19, 23],
    ]);
    assert.deepEqual(x.at(null).shape, [1, 2, 3, 4]);
    assert.deepEqual(x.at(0, torch.tensor([2, 0])).toArray(), [
      [8, 9, 10, 11],
      [0, 1, 2, 3],
    ]);
    x.at(0, 0).fill_(-1);
    assert.deepEqual(x.at(0, 0).toArray(), [-1, -1, -1, -1], 'basic indexing gives views');
    assert.throws(() => x.at(0, 0, 0, 0), /too many indices/);
  });

  test('overloads dispatch on their arguments and say when none fits', () => {
    assert.deepEqual(torch.tensor([2.0]).pow(3).toArray(), [8]);
    assert.deepEqual(
      torch
        .tensor([2.0])
        .pow(torch.tensor([0.5]))
        .toArray(),
      [Math.fround(Math.SQRT2)],
    );
    assert.throws(
      () => torch.tensor([1]).pow('x' as unknown as number),
      /Tensor\.pow: no signature takes \(a string\)/,
    );
  });
});

describe('division with a number first, and floor division', () => {
  test("remainder(number, tensor) takes the divisor's sign; floorDivide rounds down (Python: [1, -3], [3, -4])", () => {
    assert.deepEqual(torch.remainder(7, torch.tensor([3, -5])).toArray(), [1, -3]);
    const q = torch.tensor([7, -7]).floorDivide(2);
    assert.deepEqual([q.toArray(), q.dtype], [[3, -4], 'int64']);
    const f = torch.floorDivide(torch.tensor([7.5, -7.5], { dtype: 'float32' }), torch.tensor([2, 2]));
    assert.deepEqual([f.toArray(), f.dtype], [[3, -4], 'float32']);
  });
});

describe('autograd', () => {
  test('backward accumulates d(x^2)/dx = 2x into grad', () => {
    const x = torch.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    x.pow(2).sum().backward();
    assert.deepEqual(x.grad?.toArray(), [2, 4, 6]);
    x.pow(2).sum().backward();
    assert.deepEqual(x.grad?.toArray(), [4, 8, 12], 'gradients accumulate');
    x.grad = null;
    assert.equal(x.grad, null);
    assert.equal(x.isLeaf, true);
  });

  test('.data changed in place is not seen by autograd, as in PyTorch (detach() would fail backward)', () => {
    const w = torch.tensor([1.5, 2.5], { requiresGrad: true });
    const y = w.mul(w).sum();
    const d = w.data;
    assert.equal(d.requiresGrad, false);
    d.add_(1);
    y.backward(); // Python: grad [5, 7] (the saved w now holds 2.5, 3.5), weights [2.5, 3.5]
    assert.deepEqual(w.grad?.toArray(), [5, 7]);
    assert.deepEqual(w.toArray(), [2.5, 3.5]);
    const v = torch.tensor([1.5, 2.5], { requiresGrad: true });
    const z = v.mul(v).sum();
    v.detach().add_(1);
    assert.throws(() => z.backward(), /modified by an inplace operation/);
  });

  test('backward with a gradient, retainGraph, and the graph is freed otherwise', () => {
    const x = torch.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const y = x.mul(x);
    assert.equal(y.gradFn, 'MulBackward0');
    y.backward(torch.tensor([1, 10], { dtype: 'float64' }), { retainGraph: true });
    assert.deepEqual(x.grad?.toArray(), [2, 40]);
    y.backward(torch.tensor([1, 1], { dtype: 'float64' }));
    assert.deepEqual(x.grad?.toArray(), [4, 44]);
    assert.throws(() => y.backward(torch.tensor([1, 1], { dtype: 'float64' })), /backward: .*second time/s);
    assert.throws(() => x.mul(2).backward(), /only for scalar outputs/);
  });

  test('noGrad, enableGrad and autograd.grad', () => {
    const x = torch.tensor([3], { dtype: 'float64', requiresGrad: true });
    const y = torch.noGrad(() => x.mul(2));
    assert.equal(y.requiresGrad, false);
    assert.equal(torch.isGradEnabled(), true);
    const z = torch.noGrad(() => torch.enableGrad(() => x.mul(2)));
    assert.equal(z.requiresGrad, true);
    const [g] = torch.autograd.grad(x.pow(3).sum(), [x], { createGraph: true });
    assert.deepEqual(g?.toArray(), [27]);
    const [g2] = torch.autograd.grad(g as torch.Tensor, [x]);
    assert.deepEqual(g2?.toArray(), [18], 'second derivative 6x through createGraph');
    const u = torch.tensor([1], { dtype: 'float64', requiresGrad: true });
    assert.deepEqual(torch.autograd.grad(x.sum(), [x, u], { allowUnused: true })[1], null);
  });

  test('grad setter checks shape, and retainGrad keeps a non-leaf gradient', () => {
    const x = torch.ones([2], { requiresGrad: true });
    assert.throws(() => {
      x.grad = torch.ones([3]);
    }, /shape/);
    const h = x.mul(3);
    h.retainGrad();
    h.sum().backward();
    assert.deepEqual(h.grad?.toArray(), [1, 1]);
  });
});

describe('devices without CUDA', () => {
  test('torch.cuda exists and says CUDA is not available', {
    skip: torch.cuda.isAvailable() && 'a GPU is present',
  }, () => {
    assert.equal(torch.cuda.isAvailable(), false);
    assert.equal(torch.cuda.deviceCount(), 0);
    assert.throws(() => torch.cuda.synchronize(), /CUDA is not available/);
    assert.throws(() => new torch.cuda.Stream(), /CUDA is not available/);
    assert.throws(() => new torch.cuda.Event(), /CUDA is not available/);
    assert.throws(() => torch.cuda.memoryAllocated(), /CUDA is not available/);
    assert.throws(() => torch.ones([1]).cuda(), /CUDA/);
    assert.throws(() => torch.ones([1]).pinMemory(), /CUDA/);
  });
});

describe('threads', () => {
  test('setNumThreads / getNumThreads', () => {
    const before = torch.getNumThreads();
    torch.setNumThreads(1);
    assert.equal(torch.getNumThreads(), 1);
    torch.setNumThreads(before);
    assert.throws(() => torch.setNumThreads(0), /between 1 and 1024/);
  });
});

test('F.crossEntropy of uniform logits is log(C)', () => {
  const loss = F.crossEntropy(torch.zeros([4, 5]), torch.tensor([0, 1, 2, 3]));
  assert.ok(Math.abs((loss.item() as number) - Math.log(5)) < 1e-6);
});
