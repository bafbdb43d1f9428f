// Samplers: the order in which a DataLoader visits a dataset's indices. A shuffled order depends
// on (seed, epoch) only (a plain JS generator, not libtorch's: orders differ from PyTorch's).
import { Random, randomSeed, seedFor } from './random.js';

/** An iterable of dataset indices with a length; `setEpoch` makes the next pass that epoch's order. */
export interface Sampler extends Iterable<number> {
  readonly length: number;
  setEpoch?(epoch: number): void;
  /** The indices of a pass at once, as iterating gives them (faster than iterating, where a sampler has it). */
  indices?(): number[];
}

/** The object in `o`'s prototype chain (or `o`) that holds `key` itself. */
function holderOf(o: object, key: PropertyKey): object | null {
  for (let p: object | null = o; p !== null; p = Object.getPrototypeOf(p)) if (Object.hasOwn(p, key)) return p;
  return null;
}

/**
 * Whether `sampler.indices()` stands for iterating it: it has one, defined together with its
 * iterator (a subclass that overrides only one of them is iterated).
 */
function listsItsIndices(sampler: Sampler): boolean {
  if (typeof sampler.indices !== 'function') return false;
  // SeededSampler's iterator is its indices(), wherever a subclass defines them.
  if (sampler[Symbol.iterator] === SeededSampler.prototype[Symbol.iterator]) return true;
  return holderOf(sampler, 'indices') === holderOf(sampler, Symbol.iterator);
}

function sizeOf(data: { length: number } | number, name: string): number {
  const n = typeof data === 'number' ? data : data?.length;
  if (!Number.isInteger(n) || (n as number) < 0)
    throw new TypeError(`${name}: expected a dataset (with a length) or a size`);
  return n as number;
}

/** 0, 1, ..., n-1. */
export class SequentialSampler implements Sampler {
  readonly length: number;

  constructor(dataSource: { length: number } | number) {
    this.length = sizeOf(dataSource, 'SequentialSampler');
  }

  setEpoch(_epoch: number): void {}

  indices(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.length; i++) out.push(i);
    return out;
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.length; i++) yield i;
  }
}

/**
 * A sampler whose pass is drawn from (seed, epoch): the same order for the same pair. Subclasses
 * give `indices()` (this epoch's) and `length`; iterating gives the indices.
 */
export abstract class SeededSampler implements Sampler {
  readonly seed: number;
  epoch = 0;

  constructor(seed: number | undefined) {
    this.seed = seed ?? randomSeed();
  }

  abstract get length(): number;

  /** This epoch's indices. */
  abstract indices(): number[];

  setEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch)) throw new TypeError(`setEpoch: epoch must be an integer, got ${String(epoch)}`);
    this.epoch = epoch;
  }

  /** The generator of this epoch's draws. */
  protected random(): Random {
    return new Random(seedFor(this.seed, this.epoch));
  }

  [Symbol.iterator](): Iterator<number> {
    return this.indices()[Symbol.iterator]();
  }
}

export interface RandomSamplerOptions {
  /** Seed of the orders (default: a random one, fixed for this sampler). */
  seed?: number;
  /** Draw with replacement (default false: a permutation). */
  replacement?: boolean;
  /** Number of indices per pass (default the dataset size); without replacement, more than the size repeats whole permutations, as PyTorch. */
  numSamples?: number;
}

/** A random order per epoch, the same for the same (seed, epoch). */
export class RandomSampler extends SeededSampler {
  readonly size: number;
  readonly replacement: boolean;
  readonly numSamples: number;

  constructor(dataSource: { length: number } | number, options?: RandomSamplerOptions) {
    super(options?.seed);
    this.size = sizeOf(dataSource, 'RandomSampler');
    this.replacement = options?.replacement ?? false;
    this.numSamples = options?.numSamples ?? this.size;
    // As PyTorch, a given numSamples is positive (an empty dataset's default 0 is let through).
    if (
      !Number.isInteger(this.numSamples) ||
      this.numSamples < 0 ||
      (options?.numSamples !== undefined && this.numSamples === 0)
    ) {
      throw new Error(
        `RandomSampler: numSamples should be a positive integer value, but got numSamples=${String(options?.numSamples)}`,
      );
    }
  }

  get length(): number {
    return this.numSamples;
  }

  indices(): number[] {
    const rng = this.random();
    if (this.replacement) return Array.from({ length: this.numSamples }, () => rng.int(0, this.size));
    if (this.numSamples === this.size) return rng.permutation(this.size);
    // numSamples / size whole permutations, then the start of one more, as PyTorch.
    const out: number[] = [];
    while (out.length < this.numSamples) {
      const p = rng.permutation(this.size);
      for (let i = 0; i < p.length && out.length < this.numSamples; i++) out.push(p[i] as number);
    }
    return out;
  }
}

/** The given indices in a random order per epoch (torch.utils.data.SubsetRandomSampler). */
export class SubsetRandomSampler extends SeededSampler {
  readonly subset: readonly number[];

  constructor(indices: Iterable<number>, options?: { seed?: number }) {
    super(options?.seed);
    this.subset = [...indices];
    if (!this.subset.every((i) => Number.isInteger(i) && i >= 0)) {
      throw new TypeError('SubsetRandomSampler: indices must be non-negative integers');
    }
  }

  get length(): number {
    return this.subset.length;
  }

  indices(): number[] {
    const order = this.random().permutation(this.subset.length);
    return order.map((k) => this.subset[k] as number);
  }
}

/**
 * `numSamples` indices drawn with probability proportional to `weights` (an imbalanced dataset's
 * inverse class frequencies, say), per (seed, epoch), as torch.utils.data.WeightedRandomSampler:
 * with replacement by default; without, each index at most once.
 */
export class WeightedRandomSampler extends SeededSampler {
  readonly weights: readonly number[];
  readonly numSamples: number;
  readonly replacement: boolean;

  constructor(weights: Iterable<number>, numSamples: number, options?: { replacement?: boolean; seed?: number }) {
    super(options?.seed);
    this.weights = [...weights];
    if (!this.weights.every((w) => typeof w === 'number' && Number.isFinite(w) && w >= 0)) {
      throw new Error('WeightedRandomSampler: weights must be finite and non-negative');
    }
    if (!(this.weights.reduce((a, b) => a + b, 0) > 0)) throw new Error('WeightedRandomSampler: the weights sum to 0');
    if (!Number.isInteger(numSamples) || numSamples <= 0) {
      throw new Error(
        `WeightedRandomSampler: numSamples should be a positive integer value, but got numSamples=${String(numSamples)}`,
      );
    }
    this.numSamples = numSamples;
    this.replacement = options?.replacement ?? true;
    if (!this.replacement && numSamples > this.weights.filter((w) => w > 0).length) {
      throw new Error(
        'WeightedRandomSampler: without replacement, numSamples cannot exceed the indices of positive weight',
      );
    }
  }

  get length(): number {
    return this.numSamples;
  }

  indices(): number[] {
    const rng = this.random();
    const w = [...this.weights];
    const out: number[] = [];
    // Cumulative weights, searched for each draw (rebuilt after a draw without replacement).
    let cumulative = prefixSums(w);
    for (let k = 0; k < this.numSamples; k++) {
      const total = cumulative[cumulative.length - 1] as number;
      const i = upperBound(cumulative, rng.next() * total);
      out.push(i);
      if (!this.replacement) {
        w[i] = 0;
        cumulative = prefixSums(w);
      }
    }
    return out;
  }
}

function prefixSums(w: readonly number[]): number[] {
  const out = new Array<number>(w.length);
  let s = 0;
  for (let i = 0; i < w.length; i++) out[i] = s += w[i] as number;
  return out;
}

/** The first index whose cumulative weight exceeds x (a zero weight is never chosen). */
function upperBound(cumulative: readonly number[], x: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cumulative[mid] as number) > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** MMEngine's DefaultSampler on one process: shuffled per (seed, epoch), or in order. */
export class DefaultSampler implements Sampler {
  private readonly inner: SequentialSampler | RandomSampler;
  readonly shuffle: boolean;

  constructor(dataset: { length: number } | number, options?: { shuffle?: boolean; seed?: number }) {
    this.shuffle = options?.shuffle ?? true;
    this.inner = this.shuffle
      ? new RandomSampler(dataset, options?.seed === undefined ? {} : { seed: options.seed })
      : new SequentialSampler(dataset);
  }

  get length(): number {
    return this.inner.length;
  }

  get seed(): number | undefined {
    return this.inner instanceof RandomSampler ? this.inner.seed : undefined;
  }

  /** The epoch of the shuffled order (undefined when not shuffled: every epoch is the same). */
  get epoch(): number | undefined {
    return this.inner instanceof RandomSampler ? this.inner.epoch : undefined;
  }

  setEpoch(epoch: number): void {
    this.inner.setEpoch(epoch);
  }

  indices(): number[] {
    return this.inner.indices();
  }

  [Symbol.iterator](): Iterator<number> {
    return this.inner[Symbol.iterator]();
  }
}

/** Groups a sampler's indices into batches of `batchSize` (the last one shorter unless dropLast). */
export class BatchSampler implements Iterable<number[]> {
  readonly sampler: Sampler;
  readonly batchSize: number;
  readonly dropLast: boolean;

  constructor(sampler: Sampler, batchSize: number, dropLast = false) {
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new Error(`batchSize should be a positive integer value, but got batchSize=${String(batchSize)}`);
    }
    this.sampler = sampler;
    this.batchSize = batchSize;
    this.dropLast = dropLast;
  }

  get length(): number {
    const n = this.sampler.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Every batch of a pass at once (what spreading the sampler gives), cut from one array of the indices. */
  all(): number[][] {
    const indices = listsItsIndices(this.sampler) ? (this.sampler.indices as () => number[])() : [...this.sampler];
    const n = this.dropLast ? indices.length - (indices.length % this.batchSize) : indices.length;
    const out: number[][] = [];
    for (let s = 0; s < n; s += this.batchSize) out.push(indices.slice(s, Math.min(s + this.batchSize, n)));
    return out;
  }

  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const i of this.sampler) {
      batch.push(i);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }
}
