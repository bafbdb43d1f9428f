import { native } from '../binding.js';
import { deviceCount as cudaDeviceCount, isAvailable as cudaIsAvailable } from './cuda.js';
import * as cudaRandom from './cuda_random.js';
import { defaultGenerator, type Generator, randomSeed } from './generator.js';
import { keep } from './lifetime.js';
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

let forkRngWarned = false;

/**
 * torch.random.fork_rng as a function: runs `fn` and afterwards puts back the CPU generator's
 * state and that of the given CUDA devices (indices or 'cuda:i'; by default every visible one,
 * with PyTorch's warning, once, when there are several), also when `fn` throws. An `fn` that
 * returns a Promise gets its states back when the promise settles: the generators are global,
 * so draws made across its awaits belong to the fork, as inside Python's `with` block.
 * `enabled: false` runs `fn` with no fork.
 */
export function forkRng<T>(fn: () => T, options?: { devices?: Iterable<number | string>; enabled?: boolean }): T {
  if (typeof fn !== 'function') throw new TypeError(`forkRng: expected a function, got ${typeof fn}`);
  if (options?.enabled === false) return fn();
  const devices = options?.devices === undefined ? visibleCudaDevices() : [...options.devices];
  const cpu = keep(getRngState());
  const saved = devices.map((d) => [d, keep(cudaRandom.getRngState(d))] as const);
  const restore = () => {
    setRngState(cpu);
    cpu.dispose();
    for (const [d, s] of saved) {
      cudaRandom.setRngState(s, d);
      s.dispose();
    }
  };
  let result: T;
  try {
    result = fn();
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

function visibleCudaDevices(): number[] {
  const n = cudaIsAvailable() ? cudaDeviceCount() : 0;
  if (n > 1 && !forkRngWarned) {
    forkRngWarned = true;
    process.emitWarning(
      `CUDA reports that you have ${n} available devices, and you have used forkRng without naming the devices it forks. It forks every CUDA device, which can be slow; pass {devices: [...]} with the ones you use (or [] for the CPU only) to silence this warning.`,
    );
  }
  return Array.from({ length: n }, (_, i) => i);
}
