// The parity harness: a list of cases, each an op written twice (Python torch and torch-node)
// over the same inputs. All the cases of one suite go to Python in ONE invocation (starting
// Python and importing torch is the slow part); each case then becomes one node:test test that
// runs the torch-node side and compares the value, dtype, shape and requires_grad of the
// result and, when an input requires grad, the gradients after `out.backward(w)` with the same
// deterministic `w` on both sides.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import type { Nested } from './data.js';
import { runPython, skipWithoutPython } from './python.js';

export type { Nested } from './data.js';

export interface Input {
  data: Nested;
  dtype: torch.DType;
  requiresGrad?: boolean;
}

export type Inputs = Record<string, torch.Tensor>;
export type JsOut = torch.Tensor | number | boolean | string | null | undefined | JsOut[];

export interface Case {
  name: string;
  inputs: Record<string, Input>;
  /** Python: an expression, or statements that assign `out`. `torch`, `F` and the inputs are in scope. */
  py: string;
  /** torch-node: the same computation. */
  js: (t: Inputs) => unknown;
  /** Backpropagate `w` through the (single tensor) output; default: when Python's output requires grad. */
  grad?: boolean;
  rtol?: number;
  atol?: number;
  /** Both sides must raise (Python an exception, torch-node a JS Error). */
  expectError?: boolean | RegExp;
  /** Compare requires_grad of the outputs (default true). */
  checkRequiresGrad?: boolean;
  /** Marks a known library bug (node:test's todo): the case still runs and reports. */
  todo?: string;
}

type Enc =
  | null
  | { t: 1; dtype: string; shape: number[]; data: Nested; rg: boolean }
  | { list: Enc[] }
  | { scalar: number | boolean | string };

interface PyResult {
  error?: string;
  out?: Enc;
  w?: Nested;
  wshape?: number[];
  grads?: Record<string, Enc>;
}

const SCRIPT = `
import traceback
F = torch.nn.functional
def enc(v):
    if isinstance(v, torch.Tensor):
        return {'t': 1, 'dtype': str(v.dtype).replace('torch.', ''), 'shape': list(v.shape),
                'data': v.detach().tolist(), 'rg': v.requires_grad}
    if isinstance(v, (list, tuple)):
        return {'list': [enc(x) for x in v]}
    if v is None:
        return None
    if isinstance(v, torch.Size):
        return {'list': [{'scalar': x} for x in v]}
    return {'scalar': v}
results = []
for case in INPUT:
    env = {'torch': torch, 'F': F, 'math': math}
    try:
        for k, s in case['inputs'].items():
            env[k] = torch.tensor(s['data'], dtype=getattr(torch, s['dtype']), requires_grad=bool(s['rg']))
        code = case['py']
        try:
            compiled = compile(code, '<' + case['name'] + '>', 'eval')
            out = eval(compiled, env)
        except SyntaxError:
            exec(compile(code, '<' + case['name'] + '>', 'exec'), env)
            out = env['out']
        r = {'out': enc(out)}
        if case['grad'] is True or (case['grad'] == 'auto' and isinstance(out, torch.Tensor) and out.requires_grad):
            w = torch.sin(torch.arange(out.numel(), dtype=torch.float64) * 0.731 + 0.25).reshape(out.shape).to(out.dtype)
            out.backward(w)
            r['w'] = w.tolist()
            r['wshape'] = list(out.shape)
            r['grads'] = {k: enc(env[k].grad) for k, s in case['inputs'].items() if s['rg']}
        results.append(r)
    except Exception as e:
        results.append({'error': type(e).__name__ + ': ' + str(e).strip().split('\\n')[0]})
OUTPUT = results
`;

/** Tolerances by dtype: float64 ~1e-12, float32 ~1e-5, half precision ~1e-2, others exact. */
export function defaultTol(dtype: string): { rtol: number; atol: number } {
  if (dtype === 'float64') return { rtol: 1e-12, atol: 1e-12 };
  if (dtype === 'float32') return { rtol: 1e-5, atol: 1e-5 };
  if (dtype === 'float16' || dtype === 'bfloat16') return { rtol: 1e-2, atol: 1e-2 };
  return { rtol: 0, atol: 0 };
}

function flat(x: Nested): (number | boolean)[] {
  return Array.isArray(x) ? x.flatMap(flat) : [x];
}

function same(g: number | boolean, e: number | boolean, rtol: number, atol: number): { ok: boolean; diff: number } {
  if (typeof e === 'boolean' || typeof g === 'boolean') return { ok: g === e, diff: g === e ? 0 : 1 };
  if (Number.isNaN(e) || Number.isNaN(g)) return { ok: Number.isNaN(e) && Number.isNaN(g), diff: Number.NaN };
  if (!Number.isFinite(e) || !Number.isFinite(g)) return { ok: g === e, diff: g === e ? 0 : Infinity };
  const diff = Math.abs(g - e);
  return { ok: diff <= atol + rtol * Math.abs(e), diff };
}

export interface Tol {
  rtol?: number;
  atol?: number;
  checkRequiresGrad?: boolean;
}

/**
 * Asserts that a torch-node tensor matches an expected (Python) tensor: dtype, shape,
 * requires_grad, and values within tolerance. The message names the op, the max |diff|, where
 * it is, and the shapes and dtypes.
 */
export function assertTensorMatches(
  label: string,
  got: torch.Tensor,
  exp: { dtype: string; shape: number[]; data: Nested; rg?: boolean },
  tol: Tol = {},
): void {
  const desc = () => `got shape [${got.shape}] ${got.dtype}, expected shape [${exp.shape}] ${exp.dtype}`;
  assert.equal(got.dtype, exp.dtype, `${label}: dtype differs (${desc()})`);
  assert.deepEqual(got.shape, exp.shape, `${label}: shape differs (${desc()})`);
  if (tol.checkRequiresGrad !== false && exp.rg !== undefined) {
    assert.equal(got.requiresGrad, exp.rg, `${label}: requiresGrad is ${got.requiresGrad}, Python's is ${exp.rg}`);
  }
  const d = defaultTol(exp.dtype);
  const rtol = tol.rtol ?? d.rtol;
  const atol = tol.atol ?? d.atol;
  const g = flat(got.toArray());
  const e = flat(exp.data);
  assert.equal(g.length, e.length, `${label}: ${g.length} elements, expected ${e.length}`);
  let worst = -1;
  let worstDiff = -1;
  let bad = 0;
  for (let i = 0; i < e.length; i++) {
    const r = same(g[i] as number | boolean, e[i] as number | boolean, rtol, atol);
    if (!r.ok) {
      bad++;
      const dd = Number.isNaN(r.diff) ? Infinity : r.diff;
      if (dd > worstDiff) {
        worstDiff = dd;
        worst = i;
      }
    }
  }
  if (bad > 0) {
    let maxAbs = 0;
    for (let i = 0; i < e.length; i++) {
      const gi = g[i];
      const ei = e[i];
      if (typeof gi === 'number' && typeof ei === 'number') maxAbs = Math.max(maxAbs, Math.abs(gi - ei));
    }
    assert.fail(
      `${label}: ${bad} of ${e.length} values differ; max |got - expected| = ${maxAbs} ` +
        `(allowed ${atol} + ${rtol}·|expected|); first worst at flat index ${worst}: got ${g[worst]}, ` +
        `expected ${e[worst]}; ${desc()}`,
    );
  }
}

/** Compares a torch-node result (tensor, list, number, ...) with Python's encoded one. */
export function assertMatches(label: string, got: JsOut, exp: Enc, tol: Tol = {}): void {
  if (exp === null) {
    assert.ok(got === null || got === undefined, `${label}: expected None, got ${describeOut(got)}`);
    return;
  }
  if ('list' in exp) {
    assert.ok(Array.isArray(got), `${label}: expected a list of ${exp.list.length}, got ${describeOut(got)}`);
    assert.equal(got.length, exp.list.length, `${label}: ${got.length} results, expected ${exp.list.length}`);
    exp.list.forEach((e, i) => {
      assertMatches(`${label}[${i}]`, (got as JsOut[])[i], e, tol);
    });
    return;
  }
  if ('scalar' in exp) {
    const e = exp.scalar;
    assert.ok(typeof got === typeof e, `${label}: expected a ${typeof e} (${String(e)}), got ${describeOut(got)}`);
    if (typeof e === 'number') {
      const { rtol, atol } = { rtol: tol.rtol ?? 1e-12, atol: tol.atol ?? 1e-12 };
      const r = same(got as number, e, rtol, atol);
      assert.ok(r.ok, `${label}: got ${String(got)}, expected ${e} (|diff| ${r.diff})`);
    } else {
      assert.equal(got, e, `${label}: got ${String(got)}, expected ${String(e)}`);
    }
    return;
  }
  assert.ok(got instanceof torch.Tensor, `${label}: expected a tensor, got ${describeOut(got)}`);
  assertTensorMatches(label, got, exp, tol);
}

function describeOut(x: JsOut): string {
  if (x instanceof torch.Tensor) return `a ${x.dtype} tensor of shape [${x.shape}]`;
  if (Array.isArray(x)) return `a list of ${x.length}`;
  return `${typeof x} ${String(x)}`;
}

/** Builds the torch-node tensors of a case. */
export function makeInputs(inputs: Record<string, Input>): Inputs {
  const out: Inputs = {};
  for (const [k, s] of Object.entries(inputs)) {
    out[k] = torch.tensor(s.data, { dtype: s.dtype, requiresGrad: s.requiresGrad ?? false });
  }
  return out;
}

function runCase(c: Case, r: PyResult): void {
  const tol: Tol = { rtol: c.rtol, atol: c.atol, checkRequiresGrad: c.checkRequiresGrad };
  if (c.expectError) {
    assert.ok(r.error, `${c.name}: expected Python to raise, but it returned a result`);
    torch.scope(() => {
      const t = makeInputs(c.inputs);
      assert.throws(
        () => c.js(t),
        c.expectError instanceof RegExp ? c.expectError : Error,
        `${c.name}: Python raised (${r.error}) but torch-node did not`,
      );
    });
    return;
  }
  if (r.error) assert.fail(`${c.name}: Python raised ${r.error}`);
  torch.scope(() => {
    const t = makeInputs(c.inputs);
    const out = c.js(t) as JsOut;
    assertMatches(c.name, out ?? null, r.out as Enc, tol);
    if (r.w === undefined) return;
    assert.ok(out instanceof torch.Tensor, `${c.name}: backward needs a single tensor result`);
    out.backward(torch.tensor(r.w as Nested, { dtype: out.dtype }).reshape(r.wshape as number[]));
    for (const [k, g] of Object.entries(r.grads ?? {})) {
      assertMatches(`${c.name}: grad of ${k}`, t[k]?.grad ?? null, g, { ...tol, checkRequiresGrad: false });
    }
  });
}

/**
 * Declares one describe() block with a test per case (or, given named groups of cases, a
 * nested describe() per group). Python runs ONCE, in a before() hook, for all the cases of all
 * the groups; without Python torch the block is skipped with the reason.
 */
export function paritySuite(title: string, groups: Case[] | Record<string, Case[]>): void {
  const named: [string | null, Case[]][] = Array.isArray(groups) ? [[null, groups]] : Object.entries(groups);
  const all = named.flatMap(([, cs]) => cs);
  const names = new Set<string>();
  for (const c of all) {
    if (names.has(c.name)) throw new Error(`paritySuite ${title}: duplicate case name '${c.name}'`);
    names.add(c.name);
  }
  describe(title, { skip: skipWithoutPython() }, () => {
    const results = new Map<Case, PyResult>();
    before(() => {
      const out = runPython<PyResult[]>(
        SCRIPT,
        all.map((c) => ({
          name: c.name,
          py: c.py,
          grad: c.expectError ? false : (c.grad ?? 'auto'),
          inputs: Object.fromEntries(
            Object.entries(c.inputs).map(([k, s]) => [
              k,
              { data: s.data, dtype: s.dtype, rg: s.requiresGrad ?? false },
            ]),
          ),
        })),
      );
      all.forEach((c, i) => {
        if (out[i]) results.set(c, out[i]);
      });
    });
    const declare = (cases: Case[]) => {
      for (const c of cases) {
        test(c.name, c.todo ? { todo: c.todo } : {}, () => {
          const r = results.get(c);
          assert.ok(r, `${c.name}: no result from Python`);
          runCase(c, r);
        });
      }
    };
    for (const [group, cases] of named) {
      if (group === null) declare(cases);
      else describe(group, () => declare(cases));
    }
  });
}

// Input shorthands.
export const f64 = (data: Nested, requiresGrad = false): Input => ({ data, dtype: 'float64', requiresGrad });
export const f32 = (data: Nested, requiresGrad = false): Input => ({ data, dtype: 'float32', requiresGrad });
export const i64 = (data: Nested): Input => ({ data, dtype: 'int64' });
export const i32 = (data: Nested): Input => ({ data, dtype: 'int32' });
export const bool = (data: Nested): Input => ({ data, dtype: 'bool' });
export const typed = (dtype: torch.DType, data: Nested, requiresGrad = false): Input => ({ data, dtype, requiresGrad });

/** Floating dtypes the suites run in, with their tolerances applied by default. */
export const FLOAT_DTYPES: ('float64' | 'float32')[] = ['float64', 'float32'];
