import { native } from '../binding.js';

/** Seeds libtorch's default generators (CPU and CUDA), as torch.manual_seed does. */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}
