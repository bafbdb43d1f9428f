// gradcheck's fast mode (PyTorch's fast_mode=True): rather than whole Jacobians, it compares one
// number per (input, output) pair, v^T J u, where u and v are random unit vectors: J u from central
// differences along u, v^T J from one backward with grad output v (or J u from forward AD with
// tangent u). One pass per input and per output instead of one per element.
//
// u and v come from a fresh CPU Generator (libtorch's default seed) and never from the global one,
// as in PyTorch: the draws, and so the products, are the same as Python's for the same function
// and inputs, whatever the program's seed. Each u is drawn for an input in order, then each v for
// a differentiable output: float32 uniforms cast to the real dtype, scaled to unit L2 norm.
import { native } from '../../binding.js';
import { $linalg_vector_norm, $rand, $zeros_like } from '../../generated/impl.js';
import type { DType } from '../dtype.js';
import { Generator } from '../generator.js';
import { pyFloat } from '../nn/repr.js';
import { Tensor } from '../tensor.js';
import { dualLevel, makeDual, unpackDual } from './forward_ad.js';
import {
  analyticalJacobian,
  type CheckedFunc,
  format,
  forwardJacobian,
  GradcheckError,
  numericalJacobian,
  outputsOf,
} from './gradcheck.js';

/** What fast mode needs of the call being checked. */
export interface FastContext {
  func: CheckedFunc;
  inputs: unknown[];
  /** Positions in `inputs` of the tensors that require grad. */
  diffIdx: number[];
  /** The function's outputs at `inputs`. */
  funcOut: Tensor[];
  /** The outputs that require grad, with their positions in funcOut. */
  diffOut: (readonly [Tensor, number])[];
  eps: number;
  atol: number;
  rtol: number;
  nondetTol: number;
  checkGradDtypes: boolean;
  name: string;
}

// A random unit vector with x's number of elements, dtype and device (drawn on the CPU, so that a
// CUDA input gets the same vector).
function unitVector(x: Tensor, generator: Generator): Tensor {
  const v = $rand([x.numel()], { generator }).to({ dtype: x.dtype as DType, device: x.device });
  return v.div_($linalg_vector_norm(v));
}

/** The u of each input that requires grad and (backward mode) the v of each differentiable output. */
export function makeVectors(ctx: FastContext, withV: boolean): { u: Tensor[]; v: Tensor[] } {
  const generator = new Generator();
  const u = ctx.diffIdx.map((i) => unitVector(ctx.inputs[i] as Tensor, generator));
  const v = withV ? ctx.diffOut.map(([o]) => unitVector(o, generator)) : [];
  return { u, v };
}

// J u of every output along input `idx`, from central differences with step eps * u written into the
// input in place through `.data` (outside autograd, version counter untouched).
function numericalJu(ctx: FastContext, idx: number, u: Tensor): Tensor[] {
  const entry = (ctx.inputs[idx] as Tensor).data;
  const step = u.reshape(entry.shape).mul(ctx.eps);
  const orig = entry.clone();
  let below: Tensor[];
  let above: Tensor[];
  try {
    entry.copy_(orig.sub(step));
    below = outputsOf(ctx.func, ctx.inputs, ctx.name).map((o) => o.detach().clone());
    entry.copy_(orig.add(step));
    above = outputsOf(ctx.func, ctx.inputs, ctx.name).map((o) => o.detach().clone());
  } finally {
    // The user's input back as it was, even when the function throws on a perturbed one.
    entry.copy_(orig);
  }
  if (below.length !== ctx.funcOut.length || above.length !== ctx.funcOut.length) {
    throw new GradcheckError(`${ctx.name}: the function returned a different number of outputs on perturbed inputs`);
  }
  return above.map((b, j) => {
    const a = below[j] as Tensor;
    const s = (ctx.funcOut[j] as Tensor).shape;
    if (!sameShape(a.shape, b.shape) || !sameShape(a.shape, s) || a.dtype !== b.dtype) {
      throw new GradcheckError(
        `${ctx.name}: expected the function's output ${j} to have the same shape and dtype when input ${idx} is perturbed by eps=${ctx.eps}, got shapes [${a.shape}] and [${b.shape}], dtypes ${a.dtype} and ${b.dtype}`,
      );
    }
    return b
      .sub(a)
      .div(2 * ctx.eps)
      .reshape([-1]);
  });
}

const sameShape = (a: number[], b: number[]): boolean => a.length === b.length && a.every((d, k) => d === b[k]);

/** Products from the two sides in backward mode: [input][differentiable output] as 0-dim tensors. */
export function backwardProducts(
  ctx: FastContext,
  u: Tensor[],
  v: Tensor[],
): { numerical: Tensor[][]; analytical: Tensor[][] } {
  const numerical = ctx.diffIdx.map((idx, i) => {
    const ju = numericalJu(ctx, idx, u[i] as Tensor);
    return ctx.diffOut.map(([, j], k) => (v[k] as Tensor).mul(ju[j] as Tensor).sum());
  });
  const diffInputs = ctx.diffIdx.map((i) => ctx.inputs[i] as Tensor);
  const analytical: Tensor[][] = diffInputs.map(() => []);
  ctx.diffOut.forEach(([out], k) => {
    const gradOut = (v[k] as Tensor).reshape(out.shape);
    const first = vectorJacobian(ctx, out, diffInputs, gradOut);
    const second = vectorJacobian(ctx, out, diffInputs, gradOut);
    first.forEach((g, i) => {
      const again = second[i] as Tensor;
      if (g.numel() > 0 && (g.sub(again).abs().max().item() as number) > ctx.nondetTol) {
        throw new GradcheckError(
          `${ctx.name}: Backward is not reentrant, i.e., running backward with same input and grad_output multiple times gives different values, although analytical gradient matches numerical gradient. The tolerance for nondeterminism was ${ctx.nondetTol}.`,
        );
      }
      (analytical[i] as Tensor[]).push(g.dot(u[i] as Tensor));
    });
  });
  return { numerical, analytical };
}

// v^T J for each input that requires grad, flattened in the input's dtype (zeros where unused).
function vectorJacobian(ctx: FastContext, out: Tensor, diffInputs: Tensor[], gradOut: Tensor): Tensor[] {
  const grads = native
    .autogradGrad(
      [out._h],
      diffInputs.map((x) => x._h),
      [gradOut._h],
      true,
      false,
      true,
    )
    .map((h) => (h === null ? null : new Tensor(h)));
  let sizesOk = true;
  let typesOk = true;
  const flat = grads.map((g, i) => {
    const x = diffInputs[i] as Tensor;
    if (g === null) return $zeros_like(x).reshape([-1]);
    if (!sameShape(g.shape, x.shape)) sizesOk = false;
    else if (g.dtype !== x.dtype) typesOk = false;
    return g.to(x.dtype as DType).reshape([-1]);
  });
  if (!typesOk && ctx.checkGradDtypes) throw new GradcheckError(`${ctx.name}: Gradient has dtype mismatch`);
  if (!sizesOk) throw new GradcheckError(`${ctx.name}: Analytical gradient has incorrect size`);
  return flat;
}

/** J u from finite differences and from forward AD: [input][differentiable output] as vectors. */
export function forwardProducts(ctx: FastContext, u: Tensor[]): { numerical: Tensor[][]; analytical: Tensor[][] } {
  const numerical = ctx.diffIdx.map((idx, i) => {
    const ju = numericalJu(ctx, idx, u[i] as Tensor);
    return ctx.diffOut.map(([, j]) => ju[j] as Tensor);
  });
  const analytical = dualLevel(() => {
    const tangents: Tensor[] = [];
    const duals = ctx.inputs.map((a, i) => {
      if (!ctx.diffIdx.includes(i)) return a;
      const x = a as Tensor;
      const dual = makeDual(x.detach(), $zeros_like(x));
      // The tangent as the dual holds it (make_dual may have made its own), to write u into.
      tangents.push(unpackDual(dual).tangent as Tensor);
      return dual;
    });
    return tangents.map((tangent, i) => {
      tangent.copy_((u[i] as Tensor).reshape(tangent.shape));
      const outs = outputsOf(ctx.func, duals, ctx.name);
      const products = ctx.diffOut.map(([o, j]) => {
        const t = unpackDual(outs[j] as Tensor).tangent;
        return t === null ? $zeros_like(o).reshape([-1]) : t.reshape([-1]).clone();
      });
      tangent.zero_();
      return products;
    });
  });
  return { numerical, analytical };
}

// The atol of the element-wise check carried over to v^T J u: every element's allowance atol,
// weighted by u_i v_j and summed, is atol * sum(u) * sum(v).
function adjustedAtol(atol: number, u: Tensor, v: Tensor | null): number {
  const sumV = v === null ? 1 : (v.sum().item() as number);
  return atol * (u.sum().item() as number) * sumV;
}

function allclose(a: Tensor, n: Tensor, rtol: number, atol: number): boolean {
  const x = a.to('float64').reshape([-1]).toArray() as number[];
  const y = n.to('float64').reshape([-1]).toArray() as number[];
  return x.every((ax, k) => {
    const ny = y[k] as number;
    return ax === ny || Math.abs(ax - ny) <= atol + Math.abs(rtol * ny);
  });
}

// As Python's f-strings show tensors: a 0-dim one as its float, others as str().
const show = (t: Tensor): string => (t.dim() === 0 ? pyFloat(t.item() as number) : String(t));

/** Compares the products; throws a GradcheckError, with the slow mode's Jacobians, at the first mismatch. */
export function compareProducts(
  ctx: FastContext,
  products: { numerical: Tensor[][]; analytical: Tensor[][] },
  u: Tensor[],
  v: Tensor[] | null,
): void {
  products.numerical.forEach((perInput, i) => {
    perInput.forEach((n, k) => {
      const a = (products.analytical[i] as Tensor[])[k] as Tensor;
      const atol = adjustedAtol(ctx.atol, u[i] as Tensor, v === null ? null : (v[k] as Tensor));
      if (allclose(a, n, ctx.rtol, atol)) return;
      const mode = v === null ? 'computed with forward mode ' : '';
      throw new GradcheckError(
        `${ctx.name}: Jacobian ${mode}mismatch for output ${k} with respect to input ${i},\nnumerical:${show(n)}\nanalytical:${show(a)}\n` +
          slowReport(ctx, i, k, v === null),
      );
    });
  });
}

// The full Jacobians of the failing pair, as slow mode computes them, to show where the error is.
function slowReport(ctx: FastContext, i: number, k: number, forward: boolean): string {
  const [out, j] = ctx.diffOut[k] as readonly [Tensor, number];
  const idx = ctx.diffIdx[i] as number;
  const x = ctx.inputs[idx] as Tensor;
  const rows = x.numel();
  const cols = out.numel();
  const outNumel = ctx.funcOut.map((t) => t.numel());
  const numerical = (numericalJacobian(ctx.func, ctx.inputs, [idx], outNumel, ctx.eps, ctx.name)[0] as Float64Array[])[
    j
  ] as Float64Array;
  const analytical = forward
    ? ((forwardJacobian(ctx.func, ctx.inputs, [idx], outNumel, ctx.name)[0] as Float64Array[])[j] as Float64Array)
    : (analyticalJacobian(
        out,
        ctx.diffIdx.map((d) => ctx.inputs[d] as Tensor),
        false,
        ctx.name,
      ).blocks[i] as Float64Array);
  let maxDiff = 0;
  let slowOk = true;
  analytical.forEach((a, p) => {
    const n = numerical[p] as number;
    const d = Math.abs(a - n);
    if (d > maxDiff || Number.isNaN(d)) maxDiff = d;
    if (!(a === n || d <= ctx.atol + Math.abs(ctx.rtol * n))) slowOk = false;
  });
  return (
    '\nThese are the products v^T J u of fast mode, for random unit vectors u and v. The whole Jacobians of ' +
    'this output and input, as slow mode computes them:\n\n' +
    `Numerical:\n ${format(numerical, rows, cols)}\nAnalytical:\n${format(analytical, rows, cols)}\n\n` +
    `The max per-element difference (slow mode) is: ${pyFloat(maxDiff)}.\n` +
    (slowOk
      ? 'Slow mode, comparing these element by element, would pass: the differences are within atol and rtol ' +
        'one by one but add up along u and v. Run with fastMode: false where that is acceptable.'
      : '')
  );
}

/** With no differentiable output the function's J u must be zero along every u. */
export function checkNoDifferentiableOutputs(ctx: FastContext, u: Tensor[]): void {
  ctx.diffIdx.forEach((idx, i) => {
    for (const ju of numericalJu(ctx, idx, u[i] as Tensor)) {
      if (ju.numel() > 0 && (ju.abs().max().item() as number) > ctx.nondetTol) {
        throw new GradcheckError(`${ctx.name}: Numerical gradient for function expected to be zero`);
      }
    }
  });
}
