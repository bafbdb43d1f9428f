// Shared pieces of the torch.optim tests: the fixed problem both sides optimize, and
// comparisons with a tolerance. (`node --test` runs this file too; it only defines things.)
import assert from 'node:assert/strict';
import * as torch from '../../lib/index.js';
import type { Nested } from '../support/data.js';

export type FloatDType = 'float32' | 'float64';

/** Initial values of the parameters (w, b, z: z is in the optimizer but gets no gradient). */
export const INIT = {
  w: [0.5, -1.2, 2.0],
  b: [
    [0.3, -0.7],
    [1.1, -0.4],
  ],
  z: [0.25],
  a: [1.0, 0.5, 2.0],
  c: [0.3, -0.2, 0.1],
  d: [
    [0.1, 0.2],
    [-0.3, 0.05],
  ],
};

/** The same loss in Python: statements over w, b, a, c, d that assign `loss`. */
export const PY_LOSS = 'loss = (w * w * a).sum() + (w * c).sum() + (b * b * b * b * 0.1).sum() + (b * d).sum()';

export interface Problem {
  params: { w: torch.Tensor; b: torch.Tensor; z: torch.Tensor };
  /** zeroGrad is the caller's: this computes the loss and backpropagates. */
  backward(): number;
}

export function makeProblem(dtype: FloatDType, values?: { w: Nested; b: Nested; z: Nested }): Problem {
  const v = values ?? INIT;
  const w = torch.tensor(v.w as number[], { dtype, requiresGrad: true });
  const b = torch.tensor(v.b as number[][], { dtype, requiresGrad: true });
  const z = torch.tensor(v.z as number[], { dtype, requiresGrad: true });
  const a = torch.tensor(INIT.a, { dtype });
  const c = torch.tensor(INIT.c, { dtype });
  const d = torch.tensor(INIT.d, { dtype });
  return {
    params: { w, b, z },
    backward: () =>
      torch.scope(() => {
        const loss = w
          .mul(w)
          .mul(a)
          .sum()
          .add(w.mul(c).sum())
          .add(b.mul(b).mul(b).mul(b).mul(0.1).sum())
          .add(b.mul(d).sum());
        loss.backward();
        return loss.item() as number;
      }),
  };
}

/** The largest absolute difference between two nested arrays of numbers (Infinity if shapes differ). */
export function maxDiff(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) && Number.isNaN(b)) return 0;
    if (a === b) return 0;
    return Math.abs(a - b);
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, maxDiff(a[i], b[i]));
    return m;
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * Deep equality where numbers may differ by `tol` (absolute) and tensors compare by value;
 * object keys must match as sets (JSON keeps no order for integer-like keys).
 */
export function assertClose(actual: unknown, expected: unknown, tol: number, path = '$'): void {
  if (actual instanceof torch.Tensor) actual = actual.toArray();
  if (typeof expected === 'number') {
    assert.equal(typeof actual, 'number', `${path}: expected a number, got ${String(actual)}`);
    const d = maxDiff(actual, expected);
    assert.ok(d <= tol, `${path}: ${String(actual)} vs ${expected} (diff ${d} > ${tol})`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${String(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: length`);
    expected.forEach((e, i) => {
      assertClose((actual as unknown[])[i], e, tol, `${path}[${i}]`);
    });
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${path}: expected an object`);
    assert.deepEqual(Object.keys(actual as object).sort(), Object.keys(expected).sort(), `${path}: keys`);
    for (const [k, e] of Object.entries(expected))
      assertClose((actual as Record<string, unknown>)[k], e, tol, `${path}.${k}`);
    return;
  }
  assert.equal(actual, expected, path);
}

/** A camelCase option name as Python spells it (weightDecay -> weight_decay, TMax -> T_max). */
export const pySnake = (key: string): string =>
  key === 'TMax' ? 'T_max' : key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Python source of a helper that turns a JSON options object into Python keyword arguments. */
export const PY_KWARGS = `
import re
def kwargs(opts):
    out = {}
    for k, v in opts.items():
        k = {'TMax': 'T_max', 'T0': 'T_0', 'TMult': 'T_mult'}.get(k) or re.sub(r'[A-Z]', lambda m: '_' + m.group(0).lower(), k)
        out[k] = tuple(v) if k == 'betas' else v
    return out
`;
