// torch.func: `torch.func.functionalCall(module, params, args)`, as PyTorch's torch.func.functional_call.
export { type FunctionalCallOptions, functionalCall } from './functional_call.js';
