// torch.signal: `torch.signal.windows.hann(8)`. Only the windows exist in PyTorch's torch.signal.
export * as windows from './windows.js';
