// torch.cuda's random state (torch/cuda/random.py): each CUDA device has a default generator of
// its own, apart from the CPU's. torch.manualSeed seeds them all; these read and set one device's
// (the current device where none is named) or every device's.
import { type NativeGenerator, native } from '../binding.js';
import type { Device } from './device.js';
import { Generator } from './generator.js';
import type { Tensor } from './tensor.js';

const gen = native as unknown as NativeGenerator;

function cudaDevice(device: Device | number | undefined, what: string): string {
  if (!native.cudaIsAvailable()) throw new Error(`torch.cuda.${what}: CUDA is not available`);
  if (device === undefined) return 'cuda';
  if (typeof device === 'number') return `cuda:${device}`;
  if (!String(device).startsWith('cuda')) {
    throw new Error(`torch.cuda.${what}: expected a CUDA device, got '${String(device)}'`);
  }
  return String(device);
}

/** The default generator of a CUDA device, as torch.cuda.default_generators[index]. */
export function defaultGenerator(device?: Device | number): Generator {
  return Generator._wrap(gen.generatorDefault(cudaDevice(device, 'defaultGenerator')));
}

/** A device's random state as a uint8 tensor, as torch.cuda.get_rng_state. */
export function getRngState(device?: Device | number): Tensor {
  return defaultGenerator(device).getState();
}

/** Restores a state from getRngState(), as torch.cuda.set_rng_state. */
export function setRngState(state: Tensor, device?: Device | number): void {
  defaultGenerator(device).setState(state);
}

/** Every device's random state, as torch.cuda.get_rng_state_all. */
export function getRngStateAll(): Tensor[] {
  return Array.from({ length: native.cudaDeviceCount() }, (_, i) => getRngState(i));
}

/** Restores every device's random state from getRngStateAll(), as torch.cuda.set_rng_state_all. */
export function setRngStateAll(states: Tensor[]): void {
  states.forEach((s, i) => {
    setRngState(s, i);
  });
}

/** Seeds the current device's generator, as torch.cuda.manual_seed. */
export function manualSeed(seed: number | bigint): void {
  defaultGenerator().manualSeed(seed);
}

/** Seeds every device's generator, as torch.cuda.manual_seed_all. */
export function manualSeedAll(seed: number | bigint): void {
  for (let i = 0; i < native.cudaDeviceCount(); i++) defaultGenerator(i).manualSeed(seed);
}

/** The seed the current device's generator started from, as torch.cuda.initial_seed. */
export function initialSeed(): number | bigint {
  return defaultGenerator().initialSeed();
}
