import { native } from '../binding.js';
import { isAvailable as cudaIsAvailable } from './cuda.js';
import { defaultGenerator, type Generator, randomSeed } from './generator.js';
import { Tensor } from './tensor.js';

/** Seeds libtorch's default generators (CPU and CUDA), as torch.manual_seed does; returns the CPU one. */
export function manualSeed(seed: number): Generator {
  native.manualSeed(seed);
  return defaultGenerator;
}

/**
 * Reseeds the default generators from the operating system's randomness and returns the seed, as
 * torch.seed: all 64 bits (a bigint unless below 2^53) where there is no GPU. With CUDA the one
 * seed must also reach every CUDA generator, which manualSeed's path takes as a JS number, so
 * it is drawn with 53 bits, the width c10 itself draws CUDA seeds with.
 */
export function seed(): number | bigint {
  if (!cudaIsAvailable()) return defaultGenerator.seed();
  const s = Number(randomSeed(53));
  native.manualSeed(s);
  return s;
}

/** The seed the default CPU generator started from (or was last seeded with), as torch.initial_seed. */
export function initialSeed(): number | bigint {
  return defaultGenerator.initialSeed();
}

/** The CPU generator's state as a uint8 tensor, as torch.get_rng_state. */
export function getRngState(): Tensor {
  return new Tensor(native.getRngState());
}

/** Restores a state from getRngState(), as torch.set_rng_state. */
export function setRngState(state: Tensor): void {
  if (!(state instanceof Tensor)) throw new TypeError('setRngState: expected a uint8 Tensor from getRngState()');
  native.setRngState(state._h);
}
