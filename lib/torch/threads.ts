import { native } from '../binding.js';

/** The number of threads libtorch's intra-op parallelism uses. */
export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}
