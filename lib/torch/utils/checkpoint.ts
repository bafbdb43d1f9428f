// torch.utils.checkpoint: activation checkpointing, PyTorch's two variants.
//
// useReentrant: false is in checkpoint_non_reentrant.ts (saved-tensor hooks). The reentrant one:
// the forward of the checkpointed function runs with gradient recording off, so none of its
// intermediate activations are kept; a custom autograd Function stands in for it in the graph,
// holding only its inputs. Its backward restores the random state of the forward, reruns the
// function with recording on, and backpropagates through that fresh graph: the gradients of the
// inputs come back through the Function, those of the parameters the function closes over are
// accumulated into their `.grad` by that inner backward.
//

import { isPlainObject } from '../../plain_object.js';
import { AutogradFunction, enableGrad, type FunctionCtx } from '../autograd.js';
import { describe } from '../marshal.js';
import { warnOnce } from '../nn/functional_checks.js';
import { Module } from '../nn/module.js';
import { Sequential } from '../nn/modules/container.js';
import { Tensor } from '../tensor.js';
import { CheckpointError, checkpointWithoutReentrant } from './checkpoint_non_reentrant.js';
import { RngStash } from './rng_stash.js';

export { CheckpointError };

/** A function to checkpoint: a plain function or a Module (its forward). */
// biome-ignore lint/suspicious/noExplicitAny: the checkpointed function takes what its caller passes
export type CheckpointFn = ((...args: any[]) => unknown) | Module;

export interface CheckpointOptions {
  /**
   * true: the reentrant variant; false: the non-reentrant one (PyTorch's recommendation). Pass it
   * explicitly: left out, it defaults to true with PyTorch's warning.
   */
  useReentrant?: boolean;
  /** Save the random state before the forward and restore it for the recomputation (default true). */
  preserveRngState?: boolean;
  /**
   * The non-reentrant variant's check of the recomputation: 'default' compares the number of saved
   * tensors and the shape, dtype and device of each with the forward's; 'none' the number only.
   * Ignored by the reentrant variant, as in PyTorch.
   */
  determinismCheck?: 'default' | 'none';
  /**
   * The non-reentrant variant stops the recomputation as soon as every tensor the backward needs
   * is recomputed (default true); ignored by the reentrant variant.
   */
  earlyStop?: boolean;
}

const OPTION_NAMES = new Set(['useReentrant', 'preserveRngState', 'determinismCheck', 'earlyStop']);

/** PyTorch's warnings when useReentrant is left out (its text, with this API's names). */
const CHECKPOINT_WARNING =
  'torch.utils.checkpoint: the useReentrant option should be passed explicitly. Starting in PyTorch 2.9, ' +
  'calling checkpoint without useReentrant will raise an exception. useReentrant: false is recommended, but ' +
  'if you need to preserve the current default behavior, you can pass useReentrant: true. Refer to docs for ' +
  'more details on the differences between the two variants.';
const SEQUENTIAL_WARNING =
  'torch.utils.checkpoint.checkpointSequential: the useReentrant option should be passed explicitly. In ' +
  'version 2.9 we will raise an exception if useReentrant is not passed. useReentrant: false is recommended, ' +
  'but if you need to preserve the current default behavior, you can pass useReentrant: true. Refer to docs ' +
  'for more details on the differences between the two variants.';

const NO_INPUT_GRAD_WARNING = 'None of the inputs have requires_grad=True. Gradients will be None';

function asCallable(fn: CheckpointFn, what: string): (...args: unknown[]) => unknown {
  if (fn instanceof Module) return (...args: unknown[]) => (fn.forward as (...a: unknown[]) => unknown)(...args);
  if (typeof fn !== 'function') throw new TypeError(`${what}: expected a function or a Module, got ${describe(fn)}`);
  return fn as (...args: unknown[]) => unknown;
}

/** useReentrant as PyTorch reads it: left out warns and means true. */
function reentrant(useReentrant: unknown, what: string, warning: string): boolean {
  if (useReentrant === undefined) {
    warnOnce(`${what}.useReentrant`, warning);
    return true;
  }
  if (typeof useReentrant !== 'boolean') {
    throw new TypeError(`${what}: useReentrant must be a boolean, got ${describe(useReentrant)}`);
  }
  return useReentrant;
}

function booleanOption(v: unknown, what: string, name: string): boolean {
  if (v === undefined) return true;
  if (typeof v !== 'boolean') throw new TypeError(`${what}: ${name} must be a boolean, got ${describe(v)}`);
  return v;
}
const preserveOption = (v: unknown, what: string): boolean => booleanOption(v, what, 'preserveRngState');

interface CheckpointCtx extends FunctionCtx {
  run: (...args: unknown[]) => unknown;
  rngState: RngStash | null;
  /** The arguments, with null where a tensor was (those come back from savedTensors). */
  inputs: unknown[];
  tensorIndices: number[];
}

// The name makes the graph node `CheckpointFunctionBackward`, as in PyTorch.
class CheckpointFunction extends AutogradFunction {
  static override forward(
    fctx: FunctionCtx,
    run: (...args: unknown[]) => unknown,
    preserve: boolean,
    ...args: unknown[]
  ): Tensor | unknown[] {
    const ctx = fctx as CheckpointCtx;
    if (!args.some((a) => a instanceof Tensor && a.requiresGrad))
      warnOnce('checkpoint.noInputGrad', NO_INPUT_GRAD_WARNING);
    ctx.run = run;
    // Owned by the collector: the backward may run after the caller's scope ended, or twice.
    ctx.rngState = preserve ? RngStash.take(args) : null;
    ctx.inputs = [];
    ctx.tensorIndices = [];
    const tensors: Tensor[] = [];
    args.forEach((a, i) => {
      if (a instanceof Tensor) {
        tensors.push(a);
        ctx.tensorIndices.push(i);
        ctx.inputs.push(null);
      } else ctx.inputs.push(a);
    });
    ctx.saveForBackward(...tensors);
    const out = run(...args);
    if (out instanceof Promise) throw new TypeError('checkpoint: the function must be synchronous');
    if (!(out instanceof Tensor) && !Array.isArray(out)) {
      throw new TypeError(`checkpoint: the function must return a Tensor or an array, got ${describe(out)}`);
    }
    return out;
  }

  static override backward(fctx: FunctionCtx, ...gradOutputs: (Tensor | null)[]): (Tensor | null)[] {
    const ctx = fctx as CheckpointCtx;
    const inputs = [...ctx.inputs];
    const saved = ctx.savedTensors;
    ctx.tensorIndices.forEach((idx, k) => {
      inputs[idx] = saved[k];
    });
    // needsInputGrad counts run and preserve first.
    const detached = inputs.map((a, i) =>
      a instanceof Tensor ? a.detach().requiresGrad_(ctx.needsInputGrad[i + 2] ?? false) : a,
    );
    const rerun = () => enableGrad(() => ctx.run(...detached));
    const outputs: unknown = ctx.rngState ? ctx.rngState.replay(rerun) : rerun();
    const outs = outputs instanceof Tensor ? [outputs] : Array.isArray(outputs) ? outputs : [];
    const roots: Tensor[] = [];
    const grads: Tensor[] = [];
    outs.forEach((o, i) => {
      const g = gradOutputs[i];
      if (o instanceof Tensor && o.requiresGrad && g) {
        roots.push(o);
        grads.push(g);
      }
    });
    if (roots.length === 0) {
      throw new Error('checkpoint: none of output has requires_grad=True, this checkpoint() is not necessary');
    }
    // One root for several outputs: the gradient of sum((o * g).sum()) with respect to o is g,
    // exactly (a product by 1 and a broadcast), as autograd.backward(outputs, grads) would seed.
    // Recorded with grad mode on: the engine turns it off while backward runs.
    const root =
      roots.length === 1
        ? (roots[0] as Tensor)
        : enableGrad(() => roots.map((o, i) => o.mul(grads[i] as Tensor).sum()).reduce((a, b) => a.add(b)));
    root.backward(roots.length === 1 ? (grads[0] as Tensor) : null);
    return [null, null, ...detached.map((d) => (d instanceof Tensor ? d.grad : null))];
  }
}

/**
 * Activation checkpointing, as PyTorch's `torch.utils.checkpoint.checkpoint`: runs `fn(...args)`
 * without keeping its intermediate activations, and reruns it in backward to rebuild them, with
 * the random state of the forward restored first (CPU; see below), so dropout draws the same
 * masks. The gradients are those of a plain call.
 *
 * Options go in a trailing plain object: `checkpoint(fn, x, {useReentrant: true})`. A last
 * argument that is a plain object is always read as the options, so a function whose last
 * argument is a plain object needs the options object after it (`{}` will do); unknown keys are
 * PyTorch's "Unexpected keyword arguments" error.
 *
 * `useReentrant: false` (PyTorch's recommendation) records the forward's graph with saved-tensor
 * hooks that keep none of its saved tensors, and reruns the function at the first backward that
 * needs one, stopping as soon as all are back (`earlyStop`). It works with any backward
 * (`autograd.grad`, `backward({inputs})`), with inputs that do not require grad, nested, and with
 * any function result; `determinismCheck` checks the recomputation. Arguments that are not tensors
 * (plain objects too, before the options) reach the function as they are, in the rerun too.
 *
 * `useReentrant: true` is PyTorch's reentrant variant (an autograd Function), with its rules: at
 * least one input tensor must require grad (else the parameters inside get no gradient, with
 * PyTorch's warning); use `backward()`, not `autograd.grad` or `backward({inputs})`, over a
 * checkpointed graph (the parameters' gradients are accumulated into `.grad` by the
 * recomputation's own backward); the function returns a Tensor or an array of outputs.
 *
 * On CUDA, `useReentrant: false` only (the reentrant one's nested backward would wait for the
 * device's autograd thread, which waits for it); the recomputation replays the CPU's random state
 * and that of each CUDA device among the inputs. Autocast is not re-entered for the recomputation.
 */
export function checkpoint(fn: CheckpointFn, ...rest: unknown[]): unknown {
  const run = asCallable(fn, 'checkpoint');
  const last = rest[rest.length - 1];
  const options: Record<string, unknown> = isPlainObject(last) ? (rest.pop() as Record<string, unknown>) : {};
  const preserve = preserveOption(options.preserveRngState, 'checkpoint');
  const unexpected = Object.keys(options).filter((k) => !OPTION_NAMES.has(k));
  const useReentrant = reentrant(options.useReentrant, 'checkpoint', CHECKPOINT_WARNING);
  if (unexpected.length) throw new Error(`checkpoint: Unexpected keyword arguments: ${unexpected.join(',')}`);
  const dc = options.determinismCheck;
  if (dc !== undefined && dc !== 'default' && dc !== 'none') {
    throw new Error(`checkpoint: determinismCheck should be 'default' or 'none', got ${describe(dc)}`);
  }
  const cuda = rest.find((a) => a instanceof Tensor && a.device !== 'cpu') as Tensor | undefined;
  if (cuda && useReentrant) {
    throw new Error(
      `checkpoint: useReentrant: true with inputs on ${cuda.device} is not supported: its backward runs a backward of its own, which would wait for the device's autograd thread while that thread waits for it; use {useReentrant: false}`,
    );
  }
  if (!useReentrant) {
    const earlyStop = booleanOption(options.earlyStop, 'checkpoint', 'earlyStop');
    const determinismCheck = (dc ?? 'default') as 'default' | 'none';
    return checkpointWithoutReentrant(run, rest, { preserveRngState: preserve, determinismCheck, earlyStop });
  }
  return CheckpointFunction.apply(run, preserve, ...rest);
}

export interface CheckpointSequentialOptions {
  /** As checkpoint's. */
  useReentrant?: boolean;
  /** As checkpoint's. */
  preserveRngState?: boolean;
}

/**
 * Checkpoints a sequential model in `segments` chunks, as PyTorch's `checkpoint_sequential`:
 * every chunk but the last runs under checkpoint, the last one plainly (its activations are
 * needed at once). `functions` is a Sequential or an array of modules and functions, each taking
 * the previous one's output; chunks hold `floor(n / segments)` of them, the last chunk the rest.
 */
export function checkpointSequential(
  functions: Sequential | CheckpointFn[],
  segments: number,
  input: Tensor,
  options: CheckpointSequentialOptions = {},
): Tensor {
  const what = 'checkpointSequential';
  if (!isPlainObject(options)) throw new TypeError(`${what}: options must be an object, got ${describe(options)}`);
  const useReentrant = reentrant(options.useReentrant, 'checkpointSequential', SEQUENTIAL_WARNING);
  const preserve = preserveOption(options.preserveRngState, what);
  const unexpected = Object.keys(options).filter((k) => k !== 'useReentrant' && k !== 'preserveRngState');
  if (unexpected.length) throw new Error(`${what}: Unexpected keyword arguments: ${unexpected.join(',')}`);
  let list: CheckpointFn[];
  if (functions instanceof Sequential) list = functions.children();
  else if (Array.isArray(functions)) list = functions;
  else throw new TypeError(`${what}: functions must be a Sequential or an array, got ${describe(functions)}`);
  const runs = list.map((f, i) => asCallable(f, `${what}: functions[${i}]`));
  if (!Number.isInteger(segments) || segments < 1 || segments > runs.length) {
    throw new RangeError(
      `${what}: segments must be an integer from 1 to the number of functions (${runs.length}), got ${segments}`,
    );
  }
  const chain = (start: number, end: number) => (x: unknown) => {
    let y = x;
    for (let j = start; j < end; j++) y = (runs[j] as (a: unknown) => unknown)(y);
    return y;
  };
  const size = Math.floor(runs.length / segments);
  let x: unknown = input;
  let end = 0;
  for (let start = 0; start < size * (segments - 1); start += size) {
    end = start + size;
    x = checkpoint(chain(start, end), x, { useReentrant, preserveRngState: preserve });
  }
  return chain(end, runs.length)(x) as Tensor;
}
