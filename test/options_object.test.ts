// The options object may follow any prefix of an op's optional positionals, as a Python keyword
// may follow any prefix of them: `x.sum({ dtype })` is `x.sum(dtype=...)`, and
// `x.quantile(0.5, { interpolation })` is `x.quantile(0.5, interpolation=...)`. Values worked out
// by hand on [1, 2, 3, 4].
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../lib/index.js';

const x = () => torch.tensor([1, 2, 3, 4], { dtype: 'float32' });
const m = () =>
  torch.tensor(
    [
      [1, 2],
      [3, 4],
    ],
    { dtype: 'float32' },
  );

test('reductions take the options object in place of dim', () => {
  const s = x().sum({ dtype: 'float64' });
  assert.equal(s.dtype, 'float64');
  assert.equal(s.item(), 10);
  const k = torch.sum(m(), { keepdim: true });
  assert.deepEqual(k.shape, [1, 1]);
  assert.deepEqual(k.toArray(), [[10]]);
  assert.deepEqual(m().mean({ keepdim: true }).toArray(), [[2.5]]);
  // std with correction 0: sqrt(mean((x - 2.5)^2)) = sqrt(1.25); the default (1) gives sqrt(5/3).
  assert.ok(Math.abs((x().std({ correction: 0 }).item() as number) - Math.sqrt(1.25)) < 1e-6);
  assert.ok(Math.abs((x().std().item() as number) - Math.sqrt(5 / 3)) < 1e-6);
  assert.ok(Math.abs((x().norm({ keepdim: true }).item() as number) - Math.sqrt(30)) < 1e-6);
  assert.deepEqual(x().norm({ keepdim: true }).shape, [1]);
});

test('quantile: the options object after q, for both overloads', () => {
  assert.equal(x().quantile(0.5).item(), 2.5);
  assert.equal(x().quantile(0.5, { interpolation: 'lower' }).item(), 2);
  assert.equal(torch.quantile(x(), 0.5, { interpolation: 'higher' }).item(), 3);
  // q = 0.25, 0.75 at positions 0.75 and 2.25: nearest gives elements 1 and 2.
  const q = torch.tensor([0.25, 0.75], { dtype: 'float32' });
  assert.deepEqual(torch.quantile(x(), q, { interpolation: 'nearest' }).toArray(), [2, 3]);
  assert.deepEqual(m().quantile(0.5, 1, { keepdim: true }).toArray(), [[1.5], [3.5]]);
});

test('sort and topk take the options object in place of dim', () => {
  assert.deepEqual(x().sort({ descending: true }).values.toArray(), [4, 3, 2, 1]);
  assert.deepEqual(x().argsort({ descending: true }).toArray(), [3, 2, 1, 0]);
  assert.deepEqual(x().topk(2, { largest: false }).values.toArray(), [1, 2]);
});

test('backward takes the options object in place of the gradient', () => {
  const w = torch.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
  const loss = w.mul(w).sum();
  loss.backward({ retainGraph: true });
  loss.backward(); // the graph was kept: the gradients add up to 2 * 2w
  assert.deepEqual(w.grad?.toArray(), [4, 8, 12]);
});

test('arguments after the options object are an error, not ignored', () => {
  const bad = (f: () => unknown, op: string) =>
    assert.throws(
      f,
      (e: Error) => e instanceof TypeError && e.message === `${op}: the options object must be the last argument`,
    );
  const loose = x() as unknown as Record<string, (...a: unknown[]) => unknown>;
  bad(() => loose.sum?.({ keepdim: true }, 0), 'sum');
  bad(() => loose.norm?.({ keepdim: true }, 0), 'norm');
  bad(() => loose.norm?.(2, { keepdim: true }, {}), 'norm');
  bad(() => loose.quantile?.(0.5, { keepdim: true }, {}), 'quantile');
  // Overloaded ops tell the overloads apart first: a number after the options fits none of them.
  assert.throws(() => loose.quantile?.(0.5, { keepdim: true }, 0), /^TypeError: Tensor\.quantile: no signature takes/);
  const w = torch.tensor([1], { dtype: 'float64', requiresGrad: true });
  bad(() => (w.backward as (...a: unknown[]) => void)({}, {}), 'backward');
});
