// Grad mode and torch.autograd.grad. backward(), grad and requiresGrad live on Tensor.
import { native } from '../binding.js';
import { hList } from './marshal.js';
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

export const autograd = { grad };
