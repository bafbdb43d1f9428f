// torch.nn.utils.clipGradNorm_ and clipGradValue_: the norm they return and the gradients they
// leave, worked out by hand, and the TypeError for a bound that is not a number (PyTorch's
// float(None)), where clamping with undefined would have made every gradient NaN.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';

const { clipGradNorm_, clipGradValue_ } = torch.nn.utils;

/** Two parameters whose gradients are [3] and [4, 0] (joint 2-norm 5, inf-norm 4). */
function params(): torch.Tensor[] {
  const a = torch.zeros([1], { requiresGrad: true });
  const b = torch.zeros([2], { requiresGrad: true });
  a.mul(3)
    .sum()
    .add(b.mul(torch.tensor([4, 0])).sum())
    .backward();
  return [a, b];
}
const grads = (ps: torch.Tensor[]) => ps.flatMap((p) => p.grad?.toArray() as number[]);

describe('clipGradNorm_', () => {
  test('scales the gradients by maxNorm / (norm + 1e-6) and returns the norm they had', () => {
    const ps = params();
    const norm = clipGradNorm_(ps, 1);
    assert.equal(norm.item(), 5);
    const coef = Math.fround(1 / Math.fround(5 + 1e-6));
    assert.deepEqual(grads(ps), [Math.fround(3 * coef), Math.fround(4 * coef), 0]);
  });

  test('the infinity norm is the largest magnitude; a norm under maxNorm leaves the gradients', () => {
    const ps = params();
    assert.equal(clipGradNorm_(ps, 10, { normType: Number.POSITIVE_INFINITY }).item(), 4);
    assert.deepEqual(grads(ps), [3, 4, 0]);
  });

  test('a bound that is not a number is a TypeError, and the gradients are untouched', () => {
    const ps = params();
    assert.throws(() => clipGradNorm_(ps, undefined as never), {
      name: 'TypeError',
      message: 'clipGradNorm_: maxNorm must be a number, got undefined',
    });
    assert.throws(() => clipGradNorm_(ps, 1, { normType: 'inf' as never }), /normType must be a number, got inf/);
    assert.deepEqual(grads(ps), [3, 4, 0]);
  });
});

describe('clipGradValue_', () => {
  test('clamps each gradient to [-clipValue, clipValue]', () => {
    const ps = params();
    clipGradValue_(ps, 3.5);
    assert.deepEqual(grads(ps), [3, 3.5, 0]);
  });

  test('a clipValue that is not a number is a TypeError, and the gradients are untouched', () => {
    const ps = params();
    assert.throws(() => clipGradValue_(ps, undefined as never), {
      name: 'TypeError',
      message: 'clipGradValue_: clipValue must be a number, got undefined',
    });
    assert.deepEqual(grads(ps), [3, 4, 0]);
  });
});
