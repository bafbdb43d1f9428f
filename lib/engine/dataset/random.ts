// Seeded randomness for data loading, in plain JS so that it is the same in the main thread and
// in every data worker: a shuffled order depends on (seed, epoch) only, and a sample's
// augmentation on (seed, epoch, index) only, never on which worker ran it or when.
// Torch-free (data workers import it).

function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The state that seedFor starts from. */
export const SEED_START = 0x9e3779b9;

/**
 * seedFor's state after one more part: seedFor(a, b, c) is
 * seedStep(seedStep(seedStep(SEED_START, a), b), c). A batch of samples shares the prefix
 * (seed, epoch) and steps once per index, without seedFor's argument array.
 */
export function seedStep(h: number, p: number): number {
  if (!Number.isSafeInteger(p)) throw new TypeError(`seed parts must be safe integers, got ${String(p)}`);
  const lo = p >>> 0;
  const hi = Math.floor(p / 4294967296) >>> 0;
  h = mix32((h ^ lo) + 0x85ebca6b);
  return mix32((h ^ hi) + 0xc2b2ae35);
}

/** A 32-bit seed from any number of integers (each a safe integer, negative allowed). */
export function seedFor(...parts: number[]): number {
  let h = SEED_START;
  for (const p of parts) h = seedStep(h, p);
  return h;
}

/** Ranges up to this size are drawn from in 32-bit integer arithmetic (see Random.int). */
const SMALL_RANGE = 2 ** 30;

/** sfc32, seeded through splitmix32: small, fast, 128 bits of state. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = this.b = this.c = this.d = 0;
    this.reseed(seed);
  }

  /** Restarts this generator as `new Random(seed)` would start (one generator for many samples, no allocation). */
  reseed(seed: number): this {
    // The state held as int32 (| 0), the form uint32() leaves it in: the same bits, and fields
    // that V8 keeps as small integers from the start (a field that turns from small integer to
    // double deoptimises the code that read it, in every fresh data worker).
    let s = seed >>> 0;
    s = (s + 0x9e3779b9) >>> 0;
    this.a = mix32(s) | 0;
    s = (s + 0x9e3779b9) >>> 0;
    this.b = mix32(s) | 0;
    s = (s + 0x9e3779b9) >>> 0;
    this.c = mix32(s) | 0;
    s = (s + 0x9e3779b9) >>> 0;
    this.d = mix32(s) | 0;
    for (let i = 0; i < 12; i++) this.uint32();
    return this;
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** A uniform float in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** A uniform integer in [lo, hi) (hi > lo). */
  int(lo: number, hi: number): number {
    const n = hi - lo;
    if (!(n > 0)) throw new RangeError(`Random.int: empty range [${lo}, ${hi})`);
    if (n <= SMALL_RANGE && (n | 0) === n) {
      // The same numbers as below, in 32-bit integer arithmetic: a remainder of a uint32 or of
      // 2^32 is a floating-point one in V8 (a call to fmod, ~30 ns), which made shuffling an
      // epoch's 32,768 indices take 3 ms.
      const limit = 4294967296 - (((((0x7fffffff % n) + 1) % n) * 2) % n);
      let x = this.uint32();
      while (x >= limit) x = this.uint32();
      return lo + ((((x >>> 1) % n) * 2 + (x & 1)) % n);
    }
    if (n <= 4294967296) {
      // Rejection sampling: no modulo bias.
      const limit = 4294967296 - (4294967296 % n);
      let x = this.uint32();
      while (x >= limit) x = this.uint32();
      return lo + (x % n);
    }
    return lo + Math.floor(this.next() * n);
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): number[] {
    const p: number[] = [];
    for (let i = 0; i < n; i++) p.push(i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      const t = p[i] as number;
      p[i] = p[j] as number;
      p[j] = t;
    }
    return p;
  }
}

/** A fresh seed when the user gave none. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 4294967296);
}
