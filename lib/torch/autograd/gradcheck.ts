// torch.autograd.gradcheck and gradgradcheck (real tensors): in slow mode (the default) the Jacobian
// from finite differences against the one from backward (and from forward AD, checkForwardAd),
// with PyTorch's checks, messages and defaults; fastMode compares v^T J u instead
// (gradcheck_fast.ts). Meant for float64 inputs.
import { native } from '../../binding.js';
import { $randn_like, $zeros_like } from '../../generated/impl.js';
import { tensor } from '../creation.js';
import { isComplex } from '../dtype.js';
import { scope } from '../lifetime.js';
import { describe } from '../marshal.js';
import { Tensor } from '../tensor.js';
import { dualLevel, makeDual, unpackDual } from './forward_ad.js';
import * as fast from './gradcheck_fast.js';

/** A failed check (PyTorch's torch.autograd.gradcheck.GradcheckError). */
export class GradcheckError extends Error {
  override name = 'GradcheckError';
}

export interface GradcheckOptions {
  /** Perturbation of the finite differences (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Throw on failure (default true); false returns false instead. */
  raiseException?: boolean;
  /** Tolerance for backward giving different results on the same inputs (default 0). */
  nondetTol?: number;
  /** Also check that gradients have the inputs' dtypes (default false). */
  checkGradDtypes?: boolean;
  /** Check backward AD (default true). */
  checkBackwardAd?: boolean;
  /** Also check forward AD (dual tensors) against the finite differences (default false). */
  checkForwardAd?: boolean;
  /**
   * Compare v^T J u for random unit vectors u, v instead of whole Jacobians (default false): one
   * function pair per input and one backward per output. The vectors come from a Generator of
   * their own, so they are the same on every run (and as PyTorch's).
   */
  fastMode?: boolean;
}

export interface GradgradcheckOptions extends GradcheckOptions {
  /** Random grad outputs made non-contiguous (default false). */
  genNonContigGradOutputs?: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: the function takes what the inputs hold
export type CheckedFunc = (...inputs: any[]) => Tensor | Tensor[];

const asArray = (x: unknown): unknown[] => (Array.isArray(x) ? x : [x]);

export function outputsOf(func: CheckedFunc, inputs: unknown[], name: string): Tensor[] {
  const out = func(...inputs);
  if (out instanceof Promise) throw new TypeError(`${name}: the function must be synchronous`);
  const outs = asArray(out);
  outs.forEach((o, k) => {
    if (!(o instanceof Tensor)) {
      throw new TypeError(
        `${name}: the function must return a Tensor or an array of Tensors; output ${k} is ${describe(o)}`,
      );
    }
    if (isComplex(o)) throw new TypeError(`${name}: complex outputs are not supported (output ${k} is ${o.dtype})`);
  });
  return outs as Tensor[];
}

const flat64 = (t: Tensor): Float64Array =>
  (t.dtype === 'float64' ? t : t.to('float64')).contiguous().toTypedArray() as Float64Array;

// The single element `k` (row-major) of `t`, as a 0-dim view.
function element(t: Tensor, k: number): Tensor {
  const shape = t.shape;
  let rest = k;
  const index = shape.map(() => 0);
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d] as number;
    index[d] = rest % size;
    rest = Math.floor(rest / size);
  }
  let view = t;
  for (const i of index) view = view.select(0, i);
  return view;
}

/** Jacobian blocks: [input][output], each (input numel) x (output numel), row-major. */
type Blocks = Float64Array[][];

// Central differences, perturbing each element of each input that requires grad in place through
// `.data` (which leaves the input's version counter alone, so the graph of earlier outputs stays
// valid).
export function numericalJacobian(
  func: CheckedFunc,
  inputs: unknown[],
  diffIdx: number[],
  outNumel: number[],
  eps: number,
  name: string,
): Blocks {
  return diffIdx.map((idx) => {
    const x = inputs[idx] as Tensor;
    const n = x.numel();
    const blocks = outNumel.map((m) => new Float64Array(n * m));
    for (let k = 0; k < n; k++) {
      scope(() => {
        const entry = element(x.data, k);
        const orig = entry.item() as number;
        entry.fill_(orig - eps);
        const a = outputsOf(func, inputs, name).map((o) => o.detach().clone());
        entry.fill_(orig + eps);
        const b = outputsOf(func, inputs, name);
        entry.fill_(orig);
        if (a.length !== outNumel.length || b.length !== outNumel.length) {
          throw new GradcheckError(`${name}: the function returned a different number of outputs on perturbed inputs`);
        }
        b.forEach((bj, j) => {
          const aj = a[j] as Tensor;
          if (bj.numel() !== outNumel[j] || aj.numel() !== outNumel[j] || bj.dtype !== aj.dtype) {
            throw new GradcheckError(
              `${name}: expected the function's output ${j} to have the same shape and dtype when input ${idx} element ${k} is perturbed by eps=${eps}`,
            );
          }
          const col = flat64(
            bj
              .detach()
              .sub(aj)
              .div(2 * eps),
          );
          const block = blocks[j] as Float64Array;
          const m = outNumel[j] as number;
          for (let r = 0; r < m; r++) block[k * m + r] = col[r] as number;
        });
      });
    }
    return blocks;
  });
}

// Column by column of one output: backward with each one-hot grad output.
export function analyticalJacobian(
  output: Tensor,
  diffInputs: Tensor[],
  checkGradDtypes: boolean,
  name: string,
): { blocks: Float64Array[]; sizesOk: boolean; typesOk: boolean } {
  const m = output.numel();
  const blocks = diffInputs.map((x) => new Float64Array(x.numel() * m));
  let sizesOk = true;
  let typesOk = true;
  for (let r = 0; r < m; r++) {
    scope(() => {
      const gradOut = $zeros_like(output);
      element(gradOut, r).fill_(1);
      const grads = native.autogradGrad(
        [output._h],
        diffInputs.map((x) => x._h),
        [gradOut._h],
        true,
        false,
        true,
      );
      grads.forEach((h, i) => {
        if (h === null) return;
        const g = new Tensor(h);
        const x = diffInputs[i] as Tensor;
        const gs = g.shape;
        const xs = x.shape;
        if (gs.length !== xs.length || gs.some((d, k) => d !== xs[k])) {
          sizesOk = false;
          return;
        }
        if (g.dtype !== x.dtype) typesOk = false;
        const v = flat64(g);
        const block = blocks[i] as Float64Array;
        for (let k = 0; k < v.length; k++) block[k * m + r] = v[k] as number;
      });
    });
  }
  if (!typesOk && checkGradDtypes) throw new GradcheckError(`${name}: Gradient has dtype mismatch`);
  return { blocks, sizesOk, typesOk };
}

// Column by column of each input: forward AD with each one-hot tangent.
export function forwardJacobian(
  func: CheckedFunc,
  inputs: unknown[],
  diffIdx: number[],
  outNumel: number[],
  name: string,
): Blocks {
  return diffIdx.map((idx) => {
    const x = inputs[idx] as Tensor;
    const n = x.numel();
    const blocks = outNumel.map((m) => new Float64Array(n * m));
    for (let k = 0; k < n; k++) {
      scope(() =>
        dualLevel(() => {
          const duals = inputs.map((a, i) => {
            if (!(a instanceof Tensor) || !diffIdx.includes(i)) return a;
            const tangent = $zeros_like(a);
            if (i === idx) element(tangent, k).fill_(1);
            return makeDual(a.detach(), tangent);
          });
          outputsOf(func, duals, name).forEach((o, j) => {
            const { tangent } = unpackDual(o);
            if (tangent === null) return;
            const v = flat64(tangent);
            const block = blocks[j] as Float64Array;
            const m = outNumel[j] as number;
            for (let r = 0; r < m; r++) block[k * m + r] = v[r] as number;
          });
        }),
      );
    }
    return blocks;
  });
}

export function format(block: Float64Array, rows: number, cols: number): string {
  return scope(() => String(tensor(Array.from(block), { dtype: 'float64' }).reshape([rows, cols])));
}

function compare(
  analytical: Float64Array,
  numerical: Float64Array,
  rows: number,
  cols: number,
  outputIdx: number,
  inputIdx: number,
  options: { atol: number; rtol: number; mode: string },
  name: string,
): void {
  let worst = -1;
  let worstAt = 0;
  let ok = true;
  for (let p = 0; p < analytical.length; p++) {
    const n = numerical[p] as number;
    const diff = Math.abs((analytical[p] as number) - n);
    // As allclose: a NaN anywhere fails, and is the worst difference.
    if (!(diff <= options.atol + options.rtol * Math.abs(n))) ok = false;
    const badness = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
    if (badness > worst) {
      worst = badness;
      worstAt = p;
    }
  }
  const worstDiff = Math.abs((analytical[worstAt] as number) - (numerical[worstAt] as number));
  if (ok) return;
  const k = Math.floor(worstAt / cols);
  const r = worstAt % cols;
  throw new GradcheckError(
    `${name}: Jacobian ${options.mode}mismatch for output ${outputIdx} with respect to input ${inputIdx}: ` +
      `max |analytical - numerical| = ${worstDiff} at input element ${k}, output element ${r} ` +
      `(atol ${options.atol}, rtol ${options.rtol}),\nnumerical:${format(numerical, rows, cols)}\nanalytical:${format(analytical, rows, cols)}\n`,
  );
}

function num(options: Record<string, unknown> | undefined, key: string, dflt: number, name: string): number {
  const v = options?.[key] ?? dflt;
  if (typeof v !== 'number' || Number.isNaN(v))
    throw new TypeError(`${name}: ${key} must be a number, got ${describe(v)}`);
  return v;
}

// Backward must scale with grad_output: zero grad outputs give zero gradients (allclose's default
// atol, as PyTorch).
function checkMulByGradOutput(diffOut: (readonly [Tensor, number])[], diffInputs: Tensor[], name: string): void {
  scope(() => {
    const outs = diffOut.map(([t]) => t);
    const grads = native.autogradGrad(
      outs.map((t) => t._h),
      diffInputs.map((x) => x._h),
      outs.map((t) => $zeros_like(t)._h),
      true,
      false,
      true,
    );
    grads.forEach((h, i) => {
      if (h === null) return;
      const g = new Tensor(h);
      const x = diffInputs[i] as Tensor;
      if (g.dtype !== x.dtype) throw new GradcheckError(`${name}: grad is incorrect type`);
      if (g.shape.length !== x.shape.length || g.shape.some((d, k) => d !== x.shape[k])) {
        throw new GradcheckError(`${name}: grad is incorrect size`);
      }
      if (flat64(g).some((v) => !(Math.abs(v) <= 1e-8)))
        throw new GradcheckError(`${name}: backward not multiplied by grad_output`);
    });
  });
}

function runCheck(func: CheckedFunc, inputsArg: unknown, options: GradcheckOptions | undefined, name: string): boolean {
  if (typeof func !== 'function') throw new TypeError(`${name}: expected a function, got ${describe(func)}`);
  const o = options as Record<string, unknown> | undefined;
  const eps = num(o, 'eps', 1e-6, name);
  const atol = num(o, 'atol', 1e-5, name);
  const rtol = num(o, 'rtol', 1e-3, name);
  const nondetTol = num(o, 'nondetTol', 0, name);
  const checkGradDtypes = Boolean(options?.checkGradDtypes);
  const checkBackwardAd = options?.checkBackwardAd ?? true;
  const checkForwardAd = Boolean(options?.checkForwardAd);
  const fastMode = Boolean(options?.fastMode);
  const inputs = asArray(inputsArg);

  const diffIdx: number[] = [];
  inputs.forEach((x, idx) => {
    if (!(x instanceof Tensor) || !x.requiresGrad) return;
    if (isComplex(x)) throw new TypeError(`${name}: complex inputs are not supported (input ${idx} is ${x.dtype})`);
    if (x.dtype !== 'float64') {
      process.emitWarning(
        `${name}: input #${idx} requires gradient and is not a double precision floating point. This check will likely fail if all the inputs are not of double precision floating point.`,
        'UserWarning',
      );
    }
    const stride = x.stride();
    if (!x.shape.every((size, d) => (stride[d] as number) > 0 || size <= 1)) {
      throw new Error(
        `${name}: input ${idx} has a dimension with stride 0. gradcheck only supports inputs that are non-overlapping to be able to compute the numerical gradients correctly; call .contiguous() on it first.`,
      );
    }
    diffIdx.push(idx);
  });
  if (diffIdx.length === 0) {
    throw new Error(
      `${name}: expects at least one input tensor to require gradient, but none of them have requiresGrad true.`,
    );
  }
  const diffInputs = diffIdx.map((i) => inputs[i] as Tensor);
  // Input numbers in messages are PyTorch's: among the inputs that require grad; so are output numbers.
  const describeInput = (i: number): number => i;

  return scope(() => {
    const funcOut = outputsOf(func, inputs, name);
    const outNumel = funcOut.map((t) => t.numel());
    const diffOut = funcOut.map((t, j) => [t, j] as const).filter(([t]) => t.requiresGrad);
    if (fastMode) {
      const ctx = { func, inputs, diffIdx, funcOut, diffOut, eps, atol, rtol, nondetTol, checkGradDtypes, name };
      if (diffOut.length === 0) {
        fast.checkNoDifferentiableOutputs(ctx, fast.makeVectors(ctx, false).u);
        return true;
      }
      if (checkBackwardAd) {
        const { u, v } = fast.makeVectors(ctx, true);
        fast.compareProducts(ctx, fast.backwardProducts(ctx, u, v), u, v);
        checkMulByGradOutput(diffOut, diffInputs, name);
      }
      if (checkForwardAd) {
        const { u } = fast.makeVectors(ctx, false);
        fast.compareProducts(ctx, fast.forwardProducts(ctx, u), u, null);
      }
      return true;
    }
    const numerical = numericalJacobian(func, inputs, diffIdx, outNumel, eps, name);
    if (diffOut.length === 0) {
      for (const perInput of numerical) {
        for (const block of perInput) {
          if (block.some((v) => v !== 0))
            throw new GradcheckError(`${name}: Numerical gradient for function expected to be zero`);
        }
      }
      return true;
    }
    if (checkBackwardAd) {
      diffOut.forEach(([out, j], outputIdx) => {
        const first = analyticalJacobian(out, diffInputs, checkGradDtypes, name);
        const second = analyticalJacobian(out, diffInputs, checkGradDtypes, name);
        if (!first.sizesOk) throw new GradcheckError(`${name}: Analytical gradient has incorrect size`);
        const reentrant = first.blocks.every((b, i) =>
          b.every((v, p) => Math.abs(v - ((second.blocks[i] as Float64Array)[p] as number)) <= nondetTol),
        );
        if (!reentrant) {
          throw new GradcheckError(
            `${name}: Backward is not reentrant, i.e., running backward with same input and grad_output multiple times gives different values, although analytical gradient matches numerical gradient. The tolerance for nondeterminism was ${nondetTol}.`,
          );
        }
        first.blocks.forEach((a, i) => {
          const x = diffInputs[i] as Tensor;
          compare(
            a,
            (numerical[i] as Float64Array[])[j] as Float64Array,
            x.numel(),
            out.numel(),
            outputIdx,
            describeInput(i),
            {
              atol,
              rtol,
              mode: '',
            },
            name,
          );
        });
      });
      checkMulByGradOutput(diffOut, diffInputs, name);
    }
    if (checkForwardAd) {
      const forward = forwardJacobian(func, inputs, diffIdx, outNumel, name);
      diffOut.forEach(([out, j], outputIdx) => {
        forward.forEach((perInput, i) => {
          const x = diffInputs[i] as Tensor;
          compare(
            perInput[j] as Float64Array,
            (numerical[i] as Float64Array[])[j] as Float64Array,
            x.numel(),
            out.numel(),
            outputIdx,
            i,
            {
              atol,
              rtol,
              mode: 'computed with forward mode ',
            },
            name,
          );
        });
      });
    }
    return true;
  });
}

function guarded(check: () => boolean, raiseException: boolean | undefined): boolean {
  try {
    return check();
  } catch (e) {
    if (raiseException === false && e instanceof GradcheckError) return false;
    throw e;
  }
}

/**
 * Checks the gradients of `func` at `inputs` (a Tensor or an array whose Tensors with requiresGrad
 * are checked) against finite differences: returns true, or throws a GradcheckError naming the
 * output and input (PyTorch's numbering: among the outputs and inputs that require grad) and the
 * largest difference (or returns false, with raiseException false).
 */
export function gradcheck(func: CheckedFunc, inputs: unknown, options?: GradcheckOptions): boolean {
  return guarded(() => runCheck(func, inputs, options, 'gradcheck'), options?.raiseException);
}

/**
 * Checks the second derivatives of `func`: gradcheck of the function that maps (inputs,
 * gradOutputs) to the gradients with respect to the inputs. gradOutputs default to random normal
 * values (seed with torch.manualSeed for repeatable runs).
 */
export function gradgradcheck(
  func: CheckedFunc,
  inputs: unknown,
  gradOutputs?: Tensor | Tensor[] | GradgradcheckOptions | null,
  options?: GradgradcheckOptions,
): boolean {
  let opts = options;
  let given: Tensor[] | null = null;
  if (gradOutputs instanceof Tensor || Array.isArray(gradOutputs)) given = asArray(gradOutputs) as Tensor[];
  else if (gradOutputs != null && opts === undefined) opts = gradOutputs;
  const name = 'gradgradcheck';
  return guarded(
    () =>
      scope(() => {
        if (typeof func !== 'function') throw new TypeError(`${name}: expected a function, got ${describe(func)}`);
        const tupled = asArray(inputs);
        let gradOuts: Tensor[];
        if (given === null) {
          gradOuts = outputsOf(func, tupled, name)
            .filter((o) => o.requiresGrad)
            .map((o) => {
              let y = $randn_like(o.dtype === 'float64' || o.dtype === 'float32' ? o : o.to('float64'));
              if (opts?.genNonContigGradOutputs && y.numel() > 1) {
                // The same values, laid out with a stride of 2 in the last dimension.
                const wide = $zeros_like(y.unsqueeze(-1).expand([...y.shape, 2])).contiguous();
                y = wide.select(-1, 0).copy_(y);
              }
              return y.requiresGrad_();
            });
        } else {
          gradOuts = given.map((g, k) => {
            if (!(g instanceof Tensor))
              throw new TypeError(`${name}: gradOutputs[${k}] must be a Tensor, got ${describe(g)}`);
            return g;
          });
        }
        const nOut = gradOuts.length;
        const diffInputIdx = new Set(tupled.flatMap((x, i) => (x instanceof Tensor && x.requiresGrad ? [i] : [])));
        const newFunc = (...args: unknown[]): Tensor[] => {
          const inputArgs = args.slice(0, args.length - nOut);
          const outs = outputsOf(func, inputArgs, name).filter((o) => o.requiresGrad);
          const gOuts = args.slice(args.length - nOut) as Tensor[];
          const diffArgs = inputArgs.filter((_, i) => diffInputIdx.has(i)) as Tensor[];
          const grads = native.autogradGrad(
            outs.map((t) => t._h),
            diffArgs.map((t) => t._h),
            gOuts.map((g) => g._h),
            undefined,
            true,
            true,
          );
          return grads.filter((h): h is number => h !== null).map((h) => new Tensor(h));
        };
        return runCheck(newFunc, [...tupled, ...gradOuts], opts, name);
      }),
    opts?.raiseException,
  );
}
