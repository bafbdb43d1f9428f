// Parity cases against Python torch, all run in ONE Python process: each case is a JS function
// returning named tensors/numbers and the Python that assigns the same names to a dict `R`.
// Values are compared bit for bit unless the key is listed in `approx` (then to 1e-6 relative for
// float32, 1e-12 for float64). Used by the test/distributions parity suites.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from './python.js';

export type Out = Record<string, torch.Tensor | number | boolean>;

export interface ParityCase {
  name: string;
  js: () => Out;
  py: string;
  /** Keys compared to a tolerance rather than bit for bit. */
  approx?: string[];
}

function script(prelude: string, cases: ParityCase[]): string {
  const body = cases
    .map((c, i) => {
      const lines = c.py
        .trim()
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n');
      return (
        `def case_${i}():\n${lines}\n    return R\n` +
        `OUTPUT[${JSON.stringify(c.name)}] = {k: (v.tolist() if isinstance(v, torch.Tensor) else v) for k, v in case_${i}().items()}\n`
      );
    })
    .join('');
  return `OUTPUT = {}\n${prelude}\n${body}`;
}

function flat(v: unknown): unknown[] {
  return Array.isArray(v) ? (v.flat(10) as unknown[]) : [v];
}

function compare(actual: unknown, expected: unknown): { exact: boolean; worst: number } {
  const a = flat(actual);
  const e = flat(expected);
  assert.equal(a.length, e.length, `${a.length} values vs PyTorch's ${e.length}`);
  let worst = 0;
  let exact = true;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(e[i]);
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    exact = false;
    worst = Math.max(worst, Math.abs(x - y) / Math.max(1e-30, Math.abs(y)));
  }
  return { exact, worst };
}

/** Registers one test per case under `title`, skipped (saying why) without Python torch. */
export function paritySuite(title: string, prelude: string, cases: ParityCase[]): void {
  describe(title, { skip: skipWithoutPython() }, () => {
    let theirs: Record<string, Record<string, unknown>> = {};
    before(() => {
      theirs = runPython(script(prelude, cases));
    });
    for (const c of cases) {
      test(c.name, () => {
        const ours = torch.scope(() =>
          Object.fromEntries(
            Object.entries(c.js()).map(([k, v]) => [
              k,
              typeof v === 'number' || typeof v === 'boolean'
                ? { value: v, dtype: 'number' }
                : { value: v.toArray(), dtype: v.dtype },
            ]),
          ),
        );
        const expected = theirs[c.name] as Record<string, unknown>;
        assert.deepEqual(Object.keys(ours).sort(), Object.keys(expected).sort());
        for (const [k, { value, dtype }] of Object.entries(ours)) {
          const r = compare(value, expected[k]);
          const tol = dtype === 'float64' ? 1e-12 : 1e-6;
          if (c.approx?.includes(k)) assert.ok(r.worst <= tol, `${c.name} ${k}: max relative difference ${r.worst}`);
          else
            assert.ok(
              r.exact,
              `${c.name} ${k}: not bit-exact (max relative difference ${r.worst}): ${JSON.stringify(value)} vs ${JSON.stringify(expected[k])}`,
            );
        }
      });
    }
  });
}
