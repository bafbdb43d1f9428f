import { native } from '../binding.js';
import { defaultGenerator, type Generator } from './generator.js';
import { Tensor } from './tensor.js';

/** Seeds libtorch's default generators (CPU and CUDA), as torch.manual_seed does; returns the CPU one. */
export function manualSeed(seed: number): Generator {
  native.manualSeed(seed);
  return defaultGenerator;
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
