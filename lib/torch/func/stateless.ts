// torch.nn.utils.stateless: PyTorch's deprecated home of functional_call, kept for ported code.
import { functionalCall as call } from './functional_call.js';

let warned = false;

/** torch.func.functionalCall, with PyTorch's FutureWarning (once per process) that this name is deprecated. */
export function functionalCall(...args: Parameters<typeof call>): ReturnType<typeof call> {
  if (!warned) {
    warned = true;
    process.emitWarning(
      'torch.nn.utils.stateless.functionalCall is deprecated as of PyTorch 2.0 and will be removed in a future version of PyTorch. Please use torch.func.functionalCall instead which is a drop-in replacement.',
      'FutureWarning',
    );
  }
  return call(...args);
}
