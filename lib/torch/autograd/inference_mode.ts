// torch.inferenceMode, torch.isInferenceModeEnabled and tensor.isInference(): c10::InferenceMode.
import { native } from '../../binding.js';
import { describe } from '../marshal.js';
import { Tensor } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor {
    /** Whether the tensor was made in inference mode (it can never join an autograd graph). */
    isInference(): boolean;
  }
}

Tensor.prototype.isInference = function isInference(this: Tensor): boolean {
  return native.isInference(this._h);
};

export interface InferenceModeOptions {
  /** false runs fn with inference mode off (PyTorch's `inference_mode(mode=False)`). */
  mode?: boolean;
}

/**
 * Runs `fn` in inference mode, like `with torch.inference_mode():`: no autograd recording and no
 * version counting, so faster than noGrad. Tensors made inside are inference tensors: using one
 * later in a graph that records it is an error (clone it to get a normal tensor).
 */
export function inferenceMode<T>(fn: () => T, options?: InferenceModeOptions): T {
  if (typeof fn !== 'function') throw new TypeError(`inferenceMode: expected a function, got ${describe(fn)}`);
  const mode = options?.mode ?? true;
  if (typeof mode !== 'boolean') throw new TypeError(`inferenceMode: mode must be a boolean, got ${describe(mode)}`);
  // The native side holds the RAII guard while fn runs, so it is restored on any exit.
  return native.inferenceMode(mode, () => {
    const result = fn();
    if (result instanceof Promise) {
      throw new TypeError(
        'inferenceMode: fn must be synchronous (inference mode is per thread and would leak across awaits)',
      );
    }
    return result;
  });
}

export function isInferenceModeEnabled(): boolean {
  return native.isInferenceModeEnabled();
}
