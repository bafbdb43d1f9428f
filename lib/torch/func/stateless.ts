// torch.nn.utils.stateless: PyTorch's deprecated home of functional_call, kept for ported code.
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { functionalCall as call, type FunctionalCallOptions } from './functional_call.js';

let warned = false;

/** torch.func.functionalCall, with PyTorch's FutureWarning (once per process) that this name is deprecated. */
export function functionalCall(
  module: Module,
  parametersAndBuffers: Record<string, Tensor | null> | Record<string, Tensor | null>[],
  args?: unknown,
  kwargs?: Record<string, unknown> | null,
  options?: FunctionalCallOptions,
): unknown {
  if (!warned) {
    warned = true;
    process.emitWarning(
      'torch.nn.utils.stateless.functionalCall is deprecated as of PyTorch 2.0 and will be removed in a future version of PyTorch. Please use torch.func.functionalCall instead which is a drop-in replacement.',
      'FutureWarning',
    );
  }
  return call(module, parametersAndBuffers, args, kwargs, options);
}
