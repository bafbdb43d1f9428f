// maxPool2d's own CPU kernel (native/max_pool.cpp) against libtorch's, in the same process:
// for every argument combination and kind of data (ties, zeros after ReLU, NaN, ±inf) the
// outputs, the recorded autograd node and the input gradients must be the same bits with
// torch.backends.fastMaxPool on and off. Python parity of maxPool2d is in test/parity.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { Rng } from '../support/data.js';

const F = torch.nn.functional;
type Tensor = torch.Tensor;

interface PoolArgs {
  kernel: number | number[];
  stride?: number | number[];
  padding?: number | number[];
  dilation?: number | number[];
  ceilMode?: boolean;
}

type DataKind = 'randn' | 'relu' | 'ties' | 'special';

function data(kind: DataKind, n: number, rng: Rng): number[] {
  const v: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = rng.normal();
    if (kind === 'randn') v.push(x);
    else if (kind === 'relu') v.push(Math.max(0, x));
    else if (kind === 'ties') v.push(rng.int(-1, 2));
    else {
      const r = rng.next();
      v.push(r < 0.08 ? Number.NaN : r < 0.14 ? Number.NEGATIVE_INFINITY : r < 0.18 ? Number.POSITIVE_INFINITY : x);
    }
  }
  return v;
}

/** The raw bits of a float tensor, so that NaNs compare too. */
function bits(t: Tensor): number[] {
  const a = t.contiguous().toTypedArray();
  if (a instanceof Float32Array) return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
  if (a instanceof Float64Array) return Array.from(new BigUint64Array(a.buffer, a.byteOffset, a.length), Number);
  throw new Error(`unexpected ${t.dtype}`);
}

interface Result {
  out: number[];
  shape: number[];
  gradFn: string | null;
  grad: number[];
}

function run(enabled: boolean, x: Tensor, args: PoolArgs, upstream: (shape: number[]) => Tensor): Result {
  torch.backends.fastMaxPool.enabled = enabled;
  return torch.scope(() => {
    const leaf = x.detach().requiresGrad_(true);
    const { kernel, ...options } = args;
    const y = F.maxPool2d(leaf, kernel, options);
    y.backward(upstream(y.shape));
    return { out: bits(y), shape: y.shape, gradFn: y.gradFn, grad: bits(leaf.grad as Tensor) };
  });
}

/** Compares the two kernels on x; returns false where libtorch refuses the arguments (and so must we, alike). */
function assertSame(x: Tensor, args: PoolArgs, label: string): boolean {
  // Distinct upstream gradients show which input element each window picked.
  const upstream = (shape: number[]) =>
    torch.arange(1, shape.reduce((a, b) => a * b, 1) + 1, 1, { dtype: x.dtype }).reshape(shape);
  let theirs: Result;
  try {
    theirs = run(false, x, args, upstream);
  } catch (e) {
    assert.throws(() => run(true, x, args, upstream), { message: (e as Error).message }, `${label}: error`);
    return false;
  }
  const ours = run(true, x, args, upstream);
  assert.deepEqual(ours.shape, theirs.shape, `${label}: shape`);
  assert.equal(ours.gradFn, theirs.gradFn, `${label}: grad_fn`);
  assert.deepEqual(ours.out, theirs.out, `${label}: output bits`);
  assert.deepEqual(ours.grad, theirs.grad, `${label}: gradient bits`);
  return true;
}

describe('maxPool2d: torch-node kernel vs libtorch kernel', () => {
  after(() => {
    torch.backends.fastMaxPool.enabled = true;
  });

  const configs: PoolArgs[] = [
    { kernel: 2 },
    { kernel: 2, ceilMode: true },
    { kernel: 3, stride: 2, padding: 1 },
    { kernel: 3, stride: 1, padding: 1 },
    { kernel: [2, 3], stride: [1, 2], padding: [1, 0], dilation: [1, 2] },
    { kernel: 3, stride: 2, dilation: 2, ceilMode: true },
    { kernel: [1, 2], stride: [3, 1] },
    { kernel: 2, stride: 1 },
  ];
  const kinds: DataKind[] = ['randn', 'relu', 'ties', 'special'];

  test('the same bits for every argument set, data kind, dtype and width', () => {
    const rng = new Rng(2026);
    let checked = 0;
    // Widths 2..21 give every remainder of the 4-wide vector loop, and partial windows.
    for (const dtype of ['float32', 'float64'] as const)
      for (const args of configs)
        for (const kind of kinds)
          for (const w of [2, 3, 5, 8, 9, 12, 15, 16, 21]) {
            const shape = [2, 3, 5, w];
            const x = torch.tensor(data(kind, 30 * w, rng), { dtype }).reshape(shape);
            if (assertSame(x, args, `${dtype} ${kind} ${JSON.stringify(args)} width ${w}`)) checked++;
            x.dispose();
          }
    assert.ok(checked > 400, `only ${checked} cases checked`);
  });

  test('a LeNet-sized batch after ReLU, and an unbatched (C, H, W) input', () => {
    const rng = new Rng(7);
    const x = torch.tensor(data('relu', 8 * 6 * 28 * 28, rng)).reshape([8, 6, 28, 28]);
    assert.ok(assertSame(x, { kernel: 2 }, 'batch'));
    assertSame(x.select(0, 3), { kernel: 2 }, 'unbatched');
    assertSame(x.select(0, 5), { kernel: 3, stride: 2, padding: 1 }, 'unbatched 3x3');
  });

  test('windows all -inf or all NaN', () => {
    const x = torch
      .tensor([
        [-Infinity, -Infinity, 1, Number.NaN, Number.NaN, Number.NaN, -Infinity, 2],
        [-Infinity, -Infinity, Number.NaN, 0, Number.NaN, Number.NaN, 3, -Infinity],
      ])
      .reshape([1, 1, 2, 8]);
    assertSame(x, { kernel: 2 }, 'specials');
    torch.backends.fastMaxPool.enabled = true;
    const y = F.maxPool2d(x, 2);
    assert.deepEqual(
      Array.from(y.toTypedArray() as Float32Array).map((v) => (Number.isNaN(v) ? 'NaN' : v)),
      [Number.NEGATIVE_INFINITY, 'NaN', 'NaN', 3],
    );
  });

  test('without grad mode or requiresGrad no node is recorded; inputs it leaves to libtorch agree', () => {
    torch.backends.fastMaxPool.enabled = true;
    const x = torch.randn([2, 3, 8, 8]);
    assert.equal(F.maxPool2d(x, 2).gradFn, null);
    const leaf = x.detach().requiresGrad_(true);
    torch.noGrad(() => assert.equal(F.maxPool2d(leaf, 2).gradFn, null));
    // channels-last input keeps its layout (libtorch's kernel), half precision and an empty
    // batch go to libtorch too
    const cl = x.contiguous({ memoryFormat: 'channelsLast' });
    // [2, 3, 4, 4] in channels-last order: channels vary fastest
    assert.deepEqual(F.maxPool2d(cl, 2).stride(), [48, 1, 12, 3]);
    assertSame(cl, { kernel: 2 }, 'channels last');
    assertSame(x.to('bfloat16'), { kernel: 2 }, 'bfloat16');
    assert.deepEqual(F.maxPool2d(torch.zeros([0, 3, 8, 8]), 2).shape, [0, 3, 4, 4]);
  });

  test('bad arguments get libtorch error with the op name either way', () => {
    const x = torch.randn([1, 1, 6, 6]);
    const messages: string[] = [];
    for (const enabled of [true, false]) {
      torch.backends.fastMaxPool.enabled = enabled;
      assert.throws(
        () => F.maxPool2d(x, 2, { padding: 2 }),
        (e: Error) => {
          messages.push(e.message);
          return /max_pool2d/.test(e.message) && /pad/.test(e.message);
        },
      );
      assert.throws(() => F.maxPool2d(torch.randn([6]), 2), /max_pool2d/);
    }
    assert.equal(messages[0], messages[1]);
    assert.throws(() => {
      (torch.backends.fastMaxPool as { enabled: unknown }).enabled = 'yes';
    }, /expected a boolean/);
  });
});
