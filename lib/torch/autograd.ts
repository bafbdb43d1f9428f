// Grad mode, torch.autograd.grad and custom autograd Functions (torch.autograd.Function).
// backward(), grad, requiresGrad and registerHook live on Tensor.
import { native } from '../binding.js';
import {
  detectAnomaly,
  isAnomalyCheckNanEnabled,
  isAnomalyEnabled,
  setDetectAnomaly,
} from './autograd/anomaly_mode.js';
import * as forwardAd from './autograd/forward_ad.js';
import * as functional from './autograd/functional.js';
import { GradcheckError, gradcheck, gradgradcheck } from './autograd/gradcheck.js';
import * as graph from './autograd/graph.js';
import { scope } from './lifetime.js';
import { describe, hList } from './marshal.js';
import { Tensor } from './tensor.js';

function withGradMode<T>(enabled: boolean, fn: () => T, name: string): T {
  const previous = native.setGradEnabled(enabled);
  try {
    const result = fn();
    if (result instanceof Promise) {
      throw new TypeError(`${name}: fn must be synchronous (grad mode is per thread and would leak across awaits)`);
    }
    return result;
  } finally {
    native.setGradEnabled(previous);
  }
}

/** Runs `fn` with gradient recording off, like `with torch.no_grad():`. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn, 'noGrad');
}

/** Runs `fn` with gradient recording on, like `with torch.enable_grad():`. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn, 'enableGrad');
}

export { inferenceMode, isInferenceModeEnabled } from './autograd/inference_mode.js';

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

export function setGradEnabled(enabled: boolean): void {
  native.setGradEnabled(enabled);
}

export interface GradOptions {
  gradOutputs?: (Tensor | null)[];
  retainGraph?: boolean;
  createGraph?: boolean;
  allowUnused?: boolean;
}

/** The gradients of `outputs` with respect to `inputs` (null for an unused input). */
function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], options?: GradOptions): (Tensor | null)[] {
  const outs = hList(Array.isArray(outputs) ? outputs : [outputs], 'autograd.grad', 'outputs');
  const ins = hList(Array.isArray(inputs) ? inputs : [inputs], 'autograd.grad', 'inputs');
  const gradOutputs = options?.gradOutputs?.map((g) => (g == null ? undefined : g._h));
  const result = native.autogradGrad(
    outs,
    ins,
    gradOutputs,
    options?.retainGraph,
    options?.createGraph,
    options?.allowUnused,
  );
  return result.map((r) => (r === null ? null : new Tensor(r)));
}

// ---- custom autograd Functions

/**
 * The `ctx` that a custom Function's forward and backward share, as PyTorch's: tensors saved for
 * backward, which inputs need a gradient, and any field of your own (`ctx.alpha = 2`).
 */
export class FunctionCtx {
  // biome-ignore lint/suspicious/noExplicitAny: fields of the user's own, as on PyTorch's ctx
  [field: string]: any;
  /** Per argument of forward: whether it is a Tensor that requires grad (PyTorch's needs_input_grad). */
  needsInputGrad: boolean[] = [];
  /** @internal */
  _toSave: (Tensor | null)[] = [];
  /** @internal */
  _nonDifferentiable: Tensor[] = [];
  /** @internal */
  _dirty: Tensor[] = [];
  /** @internal */
  _materializeGrads = true;
  /** @internal The backward call in progress (0: none). */
  _serial = 0;

  /**
   * Saves tensors (inputs, outputs or intermediates) for backward, where `savedTensors` gives them
   * back. Call it once, in forward. A tensor saved and then modified in place makes backward fail,
   * as in PyTorch; saved tensors live as long as the graph needs them.
   */
  saveForBackward(...tensors: (Tensor | null | undefined)[]): void {
    this._toSave = tensors.map((t, i) => {
      if (t == null) return null;
      if (!(t instanceof Tensor))
        throw new TypeError(`saveForBackward: argument ${i} must be a Tensor or null, got ${describe(t)}`);
      return t;
    });
  }

  /**
   * The tensors that forward saved (null where it saved null), readable in backward only. Each read
   * makes new handles, freed when backward returns.
   */
  get savedTensors(): Tensor[] {
    if (this._serial === 0) {
      throw new Error('savedTensors: the saved tensors can be read only in backward');
    }
    return native.functionSavedTensors(this._serial).map((h) => (h === null ? null : new Tensor(h))) as Tensor[];
  }

  /** Marks outputs of forward as not differentiable: they do not require grad, and their gradient in backward is zeros. */
  markNonDifferentiable(...outputs: Tensor[]): void {
    for (const t of outputs) if (!(t instanceof Tensor)) throw new TypeError('markNonDifferentiable: expected Tensors');
    this._nonDifferentiable.push(...outputs);
  }

  /** Marks inputs that forward modified in place (and returns among its outputs). */
  markDirty(...inputs: Tensor[]): void {
    for (const t of inputs) if (!(t instanceof Tensor)) throw new TypeError('markDirty: expected Tensors');
    this._dirty.push(...inputs);
  }

  /**
   * Whether backward gets zeros (true, the default) or null for the gradient of an output that
   * received none.
   */
  setMaterializeGrads(value: boolean): void {
    this._materializeGrads = Boolean(value);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: forward and backward take what the subclass declares
type AnyFn = (ctx: FunctionCtx, ...args: any[]) => any;
type ForwardArgs<F> = F extends (ctx: FunctionCtx, ...args: infer A) => unknown ? A : never;
type FunctionClass = { name: string; forward: AnyFn; backward: AnyFn };

/**
 * A custom autograd Function, as PyTorch's `torch.autograd.Function`: subclass it with a static
 * `forward(ctx, ...args)` and a static `backward(ctx, ...gradOutputs)`, and call it with
 * `MyFn.apply(...args)`.
 *
 * - forward runs with gradient recording off. Its arguments may be tensors or anything else; it
 *   returns a Tensor, or an array of outputs (tensors or other values).
 * - backward gets one gradient per output (zeros for one that received none, or null after
 *   `ctx.setMaterializeGrads(false)`; null for an output that is not a tensor) and returns one
 *   gradient per argument of forward: a Tensor, or null/undefined for none (always for an argument
 *   that is not a tensor). A single gradient may be returned bare. Gradients are checked for count,
 *   and against the inputs' shapes, with PyTorch's messages. Tensors made in backward are freed
 *   when it returns, except the gradients, which autograd holds.
 * - The graph node is named `<ClassName>Backward` (`y.gradFn`). Its backward is differentiable
 *   when it is written with differentiable ops: with `createGraph`, it is recorded, so double
 *   backward works.
 * - backward runs in JavaScript on the thread that calls `backward()`, for CUDA tensors too (the
 *   device's autograd thread hands the call over and waits). A backward called from inside it
 *   for CUDA tensors is an Error, as that thread cannot serve it while it waits.
 *
 * ```ts
 * class Exp extends torch.autograd.Function {
 *   static override forward(ctx: torch.autograd.FunctionCtx, x: Tensor): Tensor {
 *     const y = x.exp();
 *     ctx.saveForBackward(y);
 *     return y;
 *   }
 *   static override backward(ctx: torch.autograd.FunctionCtx, g: Tensor): Tensor {
 *     const [y] = ctx.savedTensors;
 *     return g.mul(y);
 *   }
 * }
 * const y = Exp.apply(x);
 * ```
 */
// `this` in the static methods is the subclass: its name, its forward and backward.
// biome-ignore-start lint/complexity/noThisInStatic: see above
// biome-ignore lint/complexity/noStaticOnlyClass: subclassed for its static forward and backward, as in PyTorch
export class AutogradFunction {
  // biome-ignore lint/suspicious/noExplicitAny: overridden with the subclass's own signature
  static forward(_ctx: FunctionCtx, ..._args: any[]): any {
    throw new Error(`${this.name}: a custom autograd Function must define a static forward(ctx, ...args)`);
  }

  // biome-ignore lint/suspicious/noExplicitAny: overridden with the subclass's own signature
  static backward(_ctx: FunctionCtx, ..._gradOutputs: any[]): any {
    throw new Error(`${this.name}: a custom autograd Function must define a static backward(ctx, ...gradOutputs)`);
  }

  /** Runs forward and records the call in the autograd graph. */
  static apply<T extends FunctionClass>(this: T, ...args: ForwardArgs<T['forward']>): ReturnType<T['forward']> {
    const name = `${this.name}Backward`;
    const ctx = new FunctionCtx();
    const inputs: number[] = [];
    const isTensor: boolean[] = [];
    for (const a of args as unknown[]) {
      const t = a instanceof Tensor;
      isTensor.push(t);
      if (t) inputs.push(a._h);
    }
    ctx.needsInputGrad = (args as unknown[]).map((a) => a instanceof Tensor && a.requiresGrad);
    const previous = native.setGradEnabled(false);
    let result: unknown;
    try {
      result = this.forward(ctx, ...args);
    } finally {
      native.setGradEnabled(previous);
    }
    if (result instanceof Promise) throw new TypeError(`${this.name}.forward must be synchronous`);
    const several = Array.isArray(result);
    const outputs: unknown[] = several ? [...(result as unknown[])] : [result];
    const toHandle = (t: Tensor | null): number | null => (t === null ? null : t._h);
    const wrapped = native.functionRecord(
      name,
      inputs,
      outputs.map((o) => (o instanceof Tensor ? o._h : null)),
      ctx._toSave.map(toHandle),
      ctx._nonDifferentiable.map((t) => t._h),
      ctx._dirty.map((t) => t._h),
      ctx._materializeGrads,
      (grads, serial) => runBackward(this, ctx, name, isTensor, grads, serial),
    );
    // The saved tensors are autograd's now: ctx keeps no handle.
    ctx._toSave = [];
    ctx._nonDifferentiable = [];
    ctx._dirty = [];
    wrapped.forEach((h, k) => {
      if (h !== null && h !== -1) outputs[k] = new Tensor(h);
    });
    return (several ? outputs : outputs[0]) as ReturnType<T['forward']>;
  }
}
// biome-ignore-end lint/complexity/noThisInStatic: see above

// Called by the engine (native/custom_function.cpp) with the gradients of the outputs, as handles.
function runBackward(
  cls: FunctionClass,
  ctx: FunctionCtx,
  name: string,
  isTensor: boolean[],
  handles: (number | null)[],
  serial: number,
): void {
  scope(() => {
    const gradOutputs = handles.map((h) => (h === null ? null : new Tensor(h)));
    const outer = ctx._serial;
    ctx._serial = serial;
    let result: unknown;
    try {
      result = cls.backward(ctx, ...gradOutputs);
    } finally {
      ctx._serial = outer;
    }
    if (result instanceof Promise) throw new TypeError(`${cls.name}.backward must be synchronous`);
    let grads: unknown[] = Array.isArray(result) ? result : [result];
    const n = isTensor.length;
    // Extra results are allowed when they are all null, as in PyTorch.
    if (grads.length > n && grads.slice(n).every((g) => g == null)) grads = grads.slice(0, n);
    if (grads.length !== n) {
      throw new Error(
        `function ${name} returned an incorrect number of gradients (expected ${n}, got ${grads.length})`,
      );
    }
    const out: (number | null)[] = [];
    grads.forEach((g, i) => {
      if (!isTensor[i]) {
        if (g != null) {
          throw new Error(
            `function ${name} returned a gradient different than null at position ${i + 1}, but the corresponding forward input was not a Tensor`,
          );
        }
      } else if (g == null) out.push(null);
      else if (g instanceof Tensor) out.push(g._h);
      else
        throw new TypeError(`function ${name} returned ${describe(g)} at position ${i + 1}; expected a Tensor or null`);
    });
    native.functionSetGrads(serial, out);
  });
}

export const autograd = {
  grad,
  Function: AutogradFunction,
  FunctionCtx,
  functional,
  forwardAd,
  graph,
  gradcheck,
  gradgradcheck,
  GradcheckError,
  setDetectAnomaly,
  isAnomalyEnabled,
  isAnomalyCheckNanEnabled,
  detectAnomaly,
};

type Ctx = FunctionCtx;
type GradcheckErrorType = GradcheckError;
/** `torch.autograd.Function` and `torch.autograd.FunctionCtx` as types. */
export declare namespace autograd {
  type Function = AutogradFunction;
  type FunctionCtx = Ctx;
  type GradcheckError = GradcheckErrorType;
}
