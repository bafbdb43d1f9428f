// torch.Generator: a random number generator of its own. The random ops draw from it when given
// as their `generator` option, and leave libtorch's default generator untouched, so that one part
// of a program can be reproducible whatever the rest draws.
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { type NativeGenerator, type NativeGeneratorHandle, native } from '../binding.js';
import type { Device } from './device.js';
import { describe } from './marshal.js';
import { Tensor } from './tensor.js';

const gen = native as unknown as NativeGenerator;

export interface GeneratorOptions {
  /** 'cpu' (the default) or a CUDA device; a CUDA one needs a CUDA build and a GPU. */
  device?: Device;
}

const MIN_SEED = -(2n ** 63n);
const MAX_SEED = 2n ** 64n - 1n;

/** Python's range for a seed: a negative one wraps to 64 bits, as in PyTorch. */
function seedBits(seed: unknown): bigint {
  let s: bigint;
  if (typeof seed === 'bigint') {
    s = seed;
  } else if (typeof seed === 'number' && Number.isSafeInteger(seed)) {
    s = BigInt(seed);
  } else if (typeof seed === 'number' && Number.isInteger(seed)) {
    throw new TypeError(
      `Generator.manualSeed: seed ${seed} is beyond 2^53 and not exact as a number; pass it as a bigint`,
    );
  } else {
    throw new TypeError(`Generator.manualSeed: seed must be an integer or a bigint, got ${describe(seed)}`);
  }
  if (s < MIN_SEED || s > MAX_SEED) {
    throw new RangeError(`Generator.manualSeed: seed must be between -2^63 and 2^64 - 1, got ${s}`);
  }
  return BigInt.asUintN(64, s);
}

/** A seed as the seed methods return it: a number where it is exact as one, else a bigint. */
const exactSeed = (s: bigint): number | bigint => (s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : s);

/** @internal A seed from the operating system's randomness, of 64 bits or (for CUDA) 53, as c10 draws them. */
export function randomSeed(bits: 53 | 64): bigint {
  return BigInt.asUintN(bits, randomBytes(8).readBigUInt64LE());
}

export class Generator {
  /** @internal The native at::Generator; several Generators may share one (the default). */
  readonly _g: NativeGeneratorHandle;
  /** The device whose random numbers it makes: 'cpu', 'cuda' or 'cuda:N', as it was made for. */
  readonly device: Device;

  constructor(options?: GeneratorOptions) {
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
      throw new TypeError(`Generator: expected an options object such as {device: 'cpu'}, got ${describe(options)}`);
    }
    this._g = gen.generatorNew(options?.device);
    this.device = gen.generatorDevice(this._g);
  }

  /** @internal A Generator over an existing native one. */
  static _wrap(g: NativeGeneratorHandle): Generator {
    const out = Object.create(Generator.prototype) as { _g: NativeGeneratorHandle; device: Device };
    out._g = g;
    out.device = gen.generatorDevice(g);
    return out as Generator;
  }

  /** Restarts the stream from `seed` (an integer; a bigint for the full 64-bit range). */
  manualSeed(seed: number | bigint): this {
    gen.generatorManualSeed(this._g, seedBits(seed));
    return this;
  }

  /**
   * Seeds from the operating system's randomness and returns that seed as initialSeed() then
   * reports it: a number below 2^53, else a bigint. A CPU generator draws all 64 bits, as
   * PyTorch's does (so the result is almost always a bigint); a CUDA one 53 bits, as c10 does.
   */
  seed(): number | bigint {
    // The native seed() keeps below 2^53 for every device; the CPU's full-width seed is drawn here.
    if (this.device !== 'cpu') return gen.generatorSeed(this._g);
    const s = randomSeed(64);
    gen.generatorManualSeed(this._g, s);
    return exactSeed(s);
  }

  /**
   * The seed the stream started from: a number where it is exact as one, else a bigint (the
   * default generator starts from a random 64-bit seed, as in PyTorch; a negative seed wraps).
   */
  initialSeed(): number | bigint {
    return exactSeed(gen.generatorInitialSeed(this._g));
  }

  /** The state as a uint8 tensor (a copy), for setState to replay the stream from here. */
  getState(): Tensor {
    return new Tensor(gen.generatorGetState(this._g));
  }

  /** Restores a state from getState() of a generator of the same kind. */
  setState(state: Tensor): this {
    if (!(state instanceof Tensor)) {
      throw new TypeError(`Generator.setState: expected a uint8 Tensor from getState(), got ${describe(state)}`);
    }
    gen.generatorSetState(this._g, state._h);
    return this;
  }

  [inspect.custom](): string {
    return `Generator(device='${this.device}')`;
  }
}

/** libtorch's default CPU generator, as torch.default_generator: torch.manualSeed seeds it. */
export const defaultGenerator: Generator = Generator._wrap(gen.generatorDefault());
