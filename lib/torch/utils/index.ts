// torch.utils: `torch.utils.checkpoint.checkpoint(fn, x, {useReentrant: true})`, as in PyTorch.
export * as checkpoint from './checkpoint.js';
