// torch.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp, written over
// torch.autograd.grad as PyTorch's are, with the same values, errors and result structure: where
// PyTorch takes or returns a tuple of tensors we take or return an array, and its tuples of
// tuples are nested arrays ([output][input]). Each call runs in a scope: the tensors made on the
// way are freed, and only the results survive. `vectorize: true` (vmap) is not supported.
import { native } from '../../binding.js';
import { $stack, $zeros_like } from '../../generated/impl.js';

import { scope } from '../lifetime.js';
import { describe, isOptions } from '../marshal.js';
import { Tensor } from '../tensor.js';

export type Inputs = Tensor | Tensor[];
// biome-ignore lint/suspicious/noExplicitAny: the user's function takes what it declares
export type Func<O> = (...inputs: any[]) => O;

/** The jacobian's structure: a Tensor, or arrays where the function's inputs/outputs are arrays. */
export type JacobianOf<O, I> = O extends Tensor[]
  ? I extends Tensor[]
    ? Tensor[][]
    : Tensor[]
  : I extends Tensor[]
    ? Tensor[]
    : Tensor;
/** The hessian's structure: a Tensor for one input, [i][j] for an array of inputs. */
export type HessianOf<I> = I extends Tensor[] ? Tensor[][] : Tensor;

export interface FunctionalOptions {
  /** Compute the results in a differentiable way (they then have a history). Default false. */
  createGraph?: boolean;
  /** Throw where an input does not affect the outputs, rather than return zeros. Default false. */
  strict?: boolean;
}

export interface JacobianOptions extends FunctionalOptions {
  /** Only false: vmap is not available here. */
  vectorize?: boolean;
  /** Only 'reverse-mode' ('forward-mode' needs vectorize in PyTorch). */
  strategy?: 'reverse-mode' | 'forward-mode';
}

export interface HessianOptions extends FunctionalOptions {
  vectorize?: boolean;
  outerJacobianStrategy?: 'reverse-mode' | 'forward-mode';
}

// ---- helpers, as in PyTorch's functional.py

type Maybe = Tensor | null;

function asTuple(value: unknown, argName: string, fnName: string): [boolean, Tensor[]] {
  const isTuple = Array.isArray(value);
  const list = (isTuple ? value : [value]) as unknown[];
  list.forEach((el, i) => {
    if (!(el instanceof Tensor)) {
      throw new TypeError(
        isTuple
          ? `${fnName}: The ${argName} must be either a Tensor or an array of Tensors, but the value at index ${i} is ${describe(el)}`
          : `${fnName}: The ${argName} must be either a Tensor or an array of Tensors, but got ${describe(el)}`,
      );
    }
  });
  return [isTuple, list as Tensor[]];
}

// Unpacks what was packed for the computation: [0] where the function's outputs (first flag) or
// inputs (second flag) were not arrays.
function unpack<T>(res: T[][], outputsTuple: boolean, inputsTuple: boolean): unknown {
  const inner: unknown[] = inputsTuple ? res : res.map((r) => r[0]);
  return outputsTuple ? inner : inner[0];
}
function unpack1<T>(res: T[], tuple: boolean): unknown {
  return tuple ? res : res[0];
}

function gradPreprocess(inputs: Tensor[], createGraph: boolean, needGraph: boolean): Tensor[] {
  return inputs.map((t) => (createGraph && t.requiresGrad ? t.viewAs(t) : t.detach().requiresGrad_(needGraph)));
}

function gradPostprocess(ts: Tensor[], createGraph: boolean): Tensor[] {
  return createGraph ? ts : ts.map((t) => t.detach());
}

function validateV(v: Tensor[], other: Tensor[], isOtherTuple: boolean, fnName: string): void {
  if (v.length !== other.length) {
    throw new Error(
      isOtherTuple
        ? `${fnName}: v is an array of invalid length: should be ${other.length} but got ${v.length}.`
        : `${fnName}: The given v should contain a single Tensor.`,
    );
  }
  v.forEach((el, i) => {
    const a = el.shape;
    const b = other[i]?.shape ?? [];
    if (a.length !== b.length || a.some((d, k) => d !== b[k])) {
      throw new Error(
        `${fnName}: ${isOtherTuple ? `Entry ${i} in ` : ''}v has invalid size: should be [${b.join(', ')}] but got [${a.join(', ')}].`,
      );
    }
  });
}

type Stage = 'outputs' | 'grad_inputs' | 'jacobian' | 'hessian';

function checkRequiresGrad(ts: Maybe[], kind: Stage, strict: boolean, fnName: string): void {
  if (!strict) return;
  ts.forEach((t, i) => {
    if (t === null) {
      throw new Error(
        `${fnName}: The output of the user-provided function is independent of input ${i}. This is not allowed in strict mode.`,
      );
    }
    if (t.requiresGrad) return;
    const messages: Record<Stage, string> = {
      hessian:
        `The hessian of the user-provided function with respect to input ${i} is independent of the input. ` +
        'This is not allowed in strict mode. You should ensure that your function is thrice differentiable and that the hessian depends on the inputs.',
      jacobian:
        `While computing the hessian, found that the jacobian of the user-provided function with respect to input ${i} ` +
        'is independent of the input. This is not allowed in strict mode. You should ensure that your function is twice ' +
        'differentiable and that the jacobian depends on the inputs (this would be violated by a linear function for example).',
      grad_inputs: `The gradient with respect to input ${i} is independent of the inputs of the user-provided function. This is not allowed in strict mode.`,
      outputs:
        `Output ${i} of the user-provided function does not require gradients. ` +
        'The outputs must be computed in a differentiable manner from the input when running in strict mode.',
    };
    throw new Error(`${fnName}: ${messages[kind]}`);
  });
}

// torch.autograd.grad over the outputs that require grad (null per input where none does), with
// unused inputs allowed.
function autogradGrad(
  outputs: Maybe[],
  inputs: Tensor[],
  gradOutputs: Maybe[] | null,
  createGraph: boolean,
  retainGraph?: boolean,
): Maybe[] {
  const outs: number[] = [];
  const gouts: (number | undefined)[] = [];
  outputs.forEach((o, k) => {
    if (o?.requiresGrad) {
      outs.push(o._h);
      gouts.push(gradOutputs?.[k]?._h);
    }
  });
  if (outs.length === 0) return inputs.map(() => null);
  const handles = native.autogradGrad(
    outs,
    inputs.map((t) => t._h),
    gouts,
    retainGraph,
    createGraph,
    true,
  );
  return handles.map((h) => (h === null ? null : new Tensor(h)));
}

type FillStage = 'back' | 'back_trick' | 'double_back' | 'double_back_trick';

function fillInZeros(
  grads: Maybe[],
  refs: Tensor[],
  strict: boolean,
  createGraph: boolean,
  stage: FillStage,
  fnName: string,
): Tensor[] {
  return grads.map((g, i) => {
    if (g === null) {
      if (strict) {
        const messages: Record<FillStage, string> = {
          back: `The output of the user-provided function is independent of input ${i}. This is not allowed in strict mode.`,
          back_trick:
            `The gradient with respect to the input is independent of entry ${i} in the grad_outputs when using the ` +
            'double backward trick to compute forward mode gradients. This is not allowed in strict mode.',
          double_back: `The jacobian of the user-provided function is independent of input ${i}. This is not allowed in strict mode.`,
          double_back_trick:
            `The hessian of the user-provided function is independent of entry ${i} in the grad_jacobian. This is not ` +
            'allowed in strict mode as it prevents from using the double backward trick to replace forward mode AD.',
        };
        throw new Error(`${fnName}: ${messages[stage]}`);
      }
      return $zeros_like(refs[i] as Tensor) as Tensor;
    }
    if (strict && createGraph && !g.requiresGrad) {
      const what = stage.includes('double') ? 'hessian' : 'jacobian';
      throw new Error(
        `${fnName}: The ${what} of the user-provided function is independent of input ${i}. This is not allowed in strict mode when createGraph=true.`,
      );
    }
    return g;
  });
}

// Runs `fn` with grad mode set, restoring it after (torch.set_grad_enabled as a context).
function withGrad<T>(enabled: boolean, fn: () => T): T {
  const previous = native.setGradEnabled(enabled);
  try {
    return fn();
  } finally {
    native.setGradEnabled(previous);
  }
}

function callFunc(func: Func<unknown>, inputs: Tensor[], fnName: string): unknown {
  const out = func(...inputs);
  if (out instanceof Promise) throw new TypeError(`${fnName}: The function must be synchronous`);
  return out;
}

function flags(options: FunctionalOptions | undefined): { createGraph: boolean; strict: boolean } {
  return { createGraph: Boolean(options?.createGraph), strict: Boolean(options?.strict) };
}

// v may be left out, with the options object in its place.
function splitV<O>(v: Inputs | O | null | undefined, options: O | undefined): [Inputs | null, O | undefined] {
  if (v === undefined || v === null) return [null, options];
  if (isOptions(v) && options === undefined) return [null, v as O];
  return [v as Inputs, options];
}

function prepareV(
  v: Inputs | null,
  refs: Tensor[],
  isRefsTuple: boolean,
  createGraph: boolean,
  fnName: string,
): Tensor[] | null {
  if (v === null) return null;
  const [, vs] = asTuple(v, 'v', fnName);
  const prepared = gradPreprocess(vs, createGraph, false);
  validateV(prepared, refs, isRefsTuple, fnName);
  return prepared;
}

// ---- the functions

/**
 * The vector-Jacobian product `v^T J` of `func` at `inputs`; returns `[funcOutput, vjp]`, vjp
 * shaped as the inputs. `v` (shaped as the outputs) may be left out when func returns one element.
 */
export function vjp<O extends Inputs, I extends Inputs>(
  func: Func<O>,
  inputs: I,
  v?: Inputs | FunctionalOptions | null,
  options?: FunctionalOptions,
): [O, I] {
  const [vIn, opts] = splitV(v, options);
  const { createGraph, strict } = flags(opts);
  const name = 'vjp';
  return scope(() => {
    const [isInputsTuple, ins0] = asTuple(inputs, 'inputs', name);
    let ins: Tensor[] = [];
    let outs: Tensor[] = [];
    let isOutputsTuple = false;
    let vs: Tensor[] | null = null;
    withGrad(true, () => {
      ins = gradPreprocess(ins0, createGraph, true);
      [isOutputsTuple, outs] = asTuple(callFunc(func, ins, name), 'outputs of the user-provided function', name);
      checkRequiresGrad(outs, 'outputs', strict, name);
      vs = prepareV(vIn, outs, isOutputsTuple, createGraph, name);
      if (vs === null && (outs.length !== 1 || (outs[0] as Tensor).numel() !== 1)) {
        throw new Error(
          `${name}: The vector v can only be left out if the user-provided function returns a single Tensor with a single element.`,
        );
      }
    });
    const res = withGrad(createGraph || native.isGradEnabled(), () =>
      fillInZeros(autogradGrad(outs, ins, vs, createGraph), ins, strict, createGraph, 'back', name),
    );
    return [
      unpack1(gradPostprocess(outs, createGraph), isOutputsTuple),
      unpack1(gradPostprocess(res, createGraph), isInputsTuple),
    ] as [O, I];
  });
}

/**
 * The Jacobian-vector product `J v` of `func` at `inputs` (by the double-backward trick); returns
 * `[funcOutput, jvp]`, jvp shaped as the outputs. `v` (shaped as the inputs) may be left out when
 * there is one input of one element.
 */
export function jvp<O extends Inputs, I extends Inputs>(
  func: Func<O>,
  inputs: I,
  v?: Inputs | FunctionalOptions | null,
  options?: FunctionalOptions,
): [O, O] {
  const [vIn, opts] = splitV(v, options);
  const { createGraph, strict } = flags(opts);
  const name = 'jvp';
  return scope(() => {
    let ins: Tensor[] = [];
    let outs: Tensor[] = [];
    let isOutputsTuple = false;
    let vs: Tensor[] | null = null;
    let gradOutputs: Tensor[] = [];
    let gradInputs: Maybe[] = [];
    withGrad(true, () => {
      const [isInputsTuple, ins0] = asTuple(inputs, 'inputs', name);
      ins = gradPreprocess(ins0, createGraph, true);
      vs = prepareV(vIn, ins, isInputsTuple, createGraph, name);
      if (vs === null && (ins.length !== 1 || (ins[0] as Tensor).numel() !== 1)) {
        throw new Error(
          `${name}: The vector v can only be left out if the input to the user-provided function is a single Tensor with a single element.`,
        );
      }
      [isOutputsTuple, outs] = asTuple(callFunc(func, ins, name), 'outputs of the user-provided function', name);
      checkRequiresGrad(outs, 'outputs', strict, name);
      gradOutputs = outs.map((o) => $zeros_like(o, { requiresGrad: true }) as Tensor);
      gradInputs = autogradGrad(outs, ins, gradOutputs, true);
      checkRequiresGrad(gradInputs, 'grad_inputs', strict, name);
    });
    const compute = (): Tensor[] =>
      fillInZeros(
        autogradGrad(gradInputs, gradOutputs, vs, createGraph),
        outs,
        strict,
        createGraph,
        'back_trick',
        name,
      );
    const res = createGraph ? withGrad(true, compute) : compute();
    return [
      unpack1(gradPostprocess(outs, createGraph), isOutputsTuple),
      unpack1(gradPostprocess(res, createGraph), isOutputsTuple),
    ] as [O, O];
  });
}

function jacobianOf(
  func: Func<unknown>,
  inputs: unknown,
  createGraph: boolean,
  strict: boolean,
  name: string,
): unknown {
  return withGrad(true, () => {
    const [isInputsTuple, ins0] = asTuple(inputs, 'inputs', name);
    const ins = gradPreprocess(ins0, createGraph, true);
    const [isOutputsTuple, outs] = asTuple(callFunc(func, ins, name), 'outputs of the user-provided function', name);
    checkRequiresGrad(outs, 'outputs', strict, name);
    const jac: Tensor[][] = outs.map((out, i) => {
      const rows: Tensor[][] = ins.map(() => []);
      const flat = out.reshape([-1]);
      const n = out.numel();
      for (let j = 0; j < n; j++) {
        const vj = autogradGrad([flat.select(0, j)], ins, null, createGraph, true);
        vj.forEach((g, k) => {
          if (g !== null) {
            if (strict && createGraph && !g.requiresGrad) {
              throw new Error(
                `${name}: The jacobian of the user-provided function is independent of input ${i}. This is not allowed in strict mode when createGraph=true.`,
              );
            }
            rows[k]?.push(g);
          } else {
            if (strict) {
              throw new Error(
                `${name}: Output ${i} of the user-provided function is independent of input ${k}. This is not allowed in strict mode.`,
              );
            }
            rows[k]?.push($zeros_like(ins[k] as Tensor) as Tensor);
          }
        });
      }
      return rows.map((r, k) => {
        if (r.length === 0) {
          throw new Error(
            `${name}: Output ${i} of the user-provided function has no elements (stack expects a non-empty list)`,
          );
        }
        return $stack(r, 0).view([...out.shape, ...(ins[k] as Tensor).shape]);
      });
    });
    const post = jac.map((r) => gradPostprocess(r, createGraph));
    return unpack(post, isOutputsTuple, isInputsTuple);
  });
}

function checkJacobianOptions(vectorize: unknown, strategy: unknown, name: string, strategyName: string): void {
  if (strategy !== 'reverse-mode' && strategy !== 'forward-mode') {
    throw new Error(
      `${name}: expected ${strategyName} to be either 'forward-mode' or 'reverse-mode', got ${describe(strategy)}`,
    );
  }
  if (vectorize) {
    throw new Error(`${name}: vectorize=true is not supported (torch-node has no vmap); leave vectorize false`);
  }
  if (strategy === 'forward-mode') {
    throw new Error(
      `${name}: ${strategyName}='forward-mode' is only implemented for vectorize=true in PyTorch, which is not supported here; use 'reverse-mode'`,
    );
  }
}

/**
 * The Jacobian of `func` at `inputs`: `out.shape + in.shape` per (output, input); a Tensor for one
 * input and one output, `[input]` or `[output]` arrays where one of them is an array, and
 * `[output][input]` where both are.
 */
export function jacobian<O extends Inputs, I extends Inputs>(
  func: Func<O>,
  inputs: I,
  options?: JacobianOptions,
): JacobianOf<O, I> {
  const { createGraph, strict } = flags(options);
  checkJacobianOptions(options?.vectorize, options?.strategy ?? 'reverse-mode', 'jacobian', 'strategy');
  return scope(() => jacobianOf(func, inputs, createGraph, strict, 'jacobian')) as JacobianOf<O, I>;
}

/**
 * The Hessian of `func` (which returns a tensor of one element) at `inputs`: a Tensor of shape
 * `in.shape + in.shape` for one input, `[i][j]` for an array of inputs.
 */
export function hessian<I extends Inputs>(func: Func<Tensor>, inputs: I, options?: HessianOptions): HessianOf<I> {
  const { createGraph, strict } = flags(options);
  checkJacobianOptions(
    options?.vectorize,
    options?.outerJacobianStrategy ?? 'reverse-mode',
    'hessian',
    'outerJacobianStrategy',
  );
  const name = 'hessian';
  return scope(() => {
    const [isInputsTuple] = asTuple(inputs, 'inputs', name);
    const single = (...inp: Tensor[]): Tensor => {
      const out = callFunc(func, inp, name);
      const [isTuple, outs] = asTuple(out, 'outputs of the user-provided function', name);
      checkRequiresGrad(outs, 'outputs', strict, name);
      if (isTuple) throw new Error(`${name}: The function given to hessian should return a single Tensor`);
      const t = out as Tensor;
      if (t.numel() !== 1) {
        throw new Error(
          `${name}: The Tensor returned by the function given to hessian should contain a single element`,
        );
      }
      return t.squeeze();
    };
    const jacFunc = (...inp: Tensor[]): unknown => {
      const jac = jacobianOf(single, isInputsTuple ? inp : inp[0], true, false, name);
      checkRequiresGrad(Array.isArray(jac) ? (jac as Tensor[]) : [jac as Tensor], 'jacobian', strict, name);
      return jac;
    };
    // The outer jacobian's outputs and inputs are both arrays exactly when inputs is one.
    return jacobianOf(jacFunc, inputs, createGraph, strict, name);
  }) as HessianOf<I>;
}

function secondOrder(
  kind: 'hvp' | 'vhp',
  func: Func<Tensor>,
  inputs: Inputs,
  v: Inputs | FunctionalOptions | null | undefined,
  options: FunctionalOptions | undefined,
): [Tensor, Inputs] {
  const [vIn, opts] = splitV(v, options);
  const { createGraph, strict } = flags(opts);
  return scope(() => {
    let ins: Tensor[] = [];
    let outs: Tensor[] = [];
    let isInputsTuple = false;
    let vs: Tensor[] | null = null;
    let jac: Maybe[] = [];
    let gradJac: Tensor[] = [];
    let doubleBack: Maybe[] = [];
    withGrad(true, () => {
      let ins0: Tensor[];
      [isInputsTuple, ins0] = asTuple(inputs, 'inputs', kind);
      ins = gradPreprocess(ins0, createGraph, true);
      vs = prepareV(vIn, ins, isInputsTuple, createGraph, kind);
      if (vs === null && (ins.length !== 1 || (ins[0] as Tensor).numel() !== 1)) {
        throw new Error(
          `${kind}: The vector v can only be left out if the input to the user-provided function is a single Tensor with a single element.`,
        );
      }
      let isOutputsTuple: boolean;
      [isOutputsTuple, outs] = asTuple(callFunc(func, ins, kind), 'outputs of the user-provided function', kind);
      checkRequiresGrad(outs, 'outputs', strict, kind);
      if (isOutputsTuple) throw new Error(`${kind}: The function given to ${kind} should return a single Tensor`);
      if ((outs[0] as Tensor).numel() !== 1) {
        throw new Error(
          `${kind}: The Tensor returned by the function given to ${kind} should contain a single element`,
        );
      }
      jac = autogradGrad(outs, ins, null, true);
      checkRequiresGrad(jac, 'jacobian', strict, kind);
      if (kind === 'hvp') {
        // The double-backward trick: grad of (grad . u) with respect to u is H^T v = H v.
        gradJac = ins.map((t) => $zeros_like(t, { requiresGrad: true }) as Tensor);
        doubleBack = autogradGrad(jac, ins, gradJac, true);
        checkRequiresGrad(jac, 'hessian', strict, kind);
      }
    });
    const res = withGrad(createGraph || native.isGradEnabled(), () =>
      kind === 'vhp'
        ? fillInZeros(autogradGrad(jac, ins, vs, createGraph), ins, strict, createGraph, 'double_back', kind)
        : fillInZeros(
            autogradGrad(doubleBack, gradJac, vs, createGraph),
            ins,
            strict,
            createGraph,
            'double_back_trick',
            kind,
          ),
    );
    const result: [Tensor, Inputs] = [
      gradPostprocess(outs, createGraph)[0] as Tensor,
      unpack1(gradPostprocess(res, createGraph), isInputsTuple) as Inputs,
    ];
    return result;
  });
}

/** The vector-Hessian product `v^T H` of a scalar `func` at `inputs`; returns `[funcOutput, vhp]`. */
export function vhp<I extends Inputs>(
  func: Func<Tensor>,
  inputs: I,
  v?: Inputs | FunctionalOptions | null,
  options?: FunctionalOptions,
): [Tensor, I] {
  return secondOrder('vhp', func, inputs, v, options) as [Tensor, I];
}

/**
 * The Hessian-vector product `H v` of a scalar `func` at `inputs` (by the double-backward trick;
 * equal to vhp for twice continuously differentiable functions); returns `[funcOutput, hvp]`.
 */
export function hvp<I extends Inputs>(
  func: Func<Tensor>,
  inputs: I,
  v?: Inputs | FunctionalOptions | null,
  options?: FunctionalOptions,
): [Tensor, I] {
  return secondOrder('hvp', func, inputs, v, options) as [Tensor, I];
}
