// torch.cpu: the CPU's counterpart of torch.cuda's memory functions.
//
// Freed CPU tensors' memory is kept for reuse by exact size (blocks up to 16 MiB, at most
// TORCH_NODE_CPU_CACHE_MB MiB in all, 256 by default; 0 turns it off): a training loop asks for
// the same sizes every step, and skipping malloc makes small ops and steps faster
// (native/cpu_allocator.cpp says why).
import { native } from '../binding.js';

/** Bytes of freed CPU tensor memory held for reuse. */
export function memoryCached(): number {
  return native.cpuCachedBytes();
}

/** Hands the cached CPU blocks back to the system allocator. */
export function emptyCache(): void {
  native.cpuEmptyCache();
}
