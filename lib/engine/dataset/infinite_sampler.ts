// InfiniteSampler: an endless stream of indices, as MMEngine's, for iteration-based training.
//
// The stream is permutation after permutation of the dataset (round r drawn from (seed, r)), or
// 0..N-1 over and over without shuffle; in a distributed run each rank takes every worldSize-th
// index of it from its rank on. Iterating the sampler again continues the stream where it was
// (MMEngine's keeps one generator), and setEpoch does nothing. `length` is the dataset's size, as
// MMEngine's.
//
// A DataLoader over it never runs out: each pass is `length` (the loader's length) batches taken
// from the stream one after another, the batches crossing from one permutation into the next as
// they do in MMEngine's; an IterBasedTrainLoop goes from pass to pass without the warning it
// gives for a loader that ran out.
import * as torch from '../../torch/index.js';
import { Random, randomSeed, seedFor } from './random.js';
import type { Sampler } from './sampler.js';

export interface InfiniteSamplerOptions {
  /** A new permutation each round (default true); false: 0..N-1 again and again. */
  shuffle?: boolean;
  /** Seed of the permutations: rank 0's is used on every rank (default: a random one drawn on rank 0). */
  seed?: number;
  /** Default: torch.distributed's rank, or 0 without a process group. */
  rank?: number;
  /** Default: torch.distributed's world size, or 1 without a process group. */
  worldSize?: number;
}

export class InfiniteSampler implements Sampler {
  /** The DataLoader's mark of a sampler that never runs out. */
  readonly infinite = true;
  readonly size: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly rank: number;
  readonly worldSize: number;
  private stream: Iterator<number> | null = null;

  constructor(dataset: { length: number } | number, options: InfiniteSamplerOptions = {}) {
    const n = typeof dataset === 'number' ? dataset : dataset?.length;
    if (!Number.isInteger(n) || (n as number) <= 0)
      throw new TypeError('InfiniteSampler: expected a non-empty dataset (with a length) or a positive size');
    this.size = n as number;
    const dist = torch.distributed;
    const grouped = dist.isInitialized();
    this.rank = options.rank ?? (grouped ? dist.getRank() : 0);
    this.worldSize = options.worldSize ?? (grouped ? dist.getWorldSize() : 1);
    if (!Number.isInteger(this.worldSize) || this.worldSize < 1)
      throw new Error(`InfiniteSampler: worldSize must be a positive integer, got ${String(this.worldSize)}`);
    if (!Number.isInteger(this.rank) || this.rank < 0 || this.rank >= this.worldSize)
      throw new Error(
        `InfiniteSampler: invalid rank ${String(this.rank)}, rank should be in [0, ${this.worldSize - 1}]`,
      );
    this.shuffle = options.shuffle ?? true;
    const seed = options.seed ?? randomSeed();
    this.seed = grouped && dist.getWorldSize() > 1 ? dist.broadcastObject(seed, 0) : seed;
  }

  get length(): number {
    return this.size;
  }

  /** Nothing: the stream has no epochs (as MMEngine's). */
  setEpoch(_epoch: number): void {}

  /** The round-after-round stream of all ranks' indices. */
  private *all(): Generator<number> {
    for (let round = 0; ; round++) {
      if (this.shuffle) yield* new Random(seedFor(this.seed, round)).permutation(this.size);
      else for (let i = 0; i < this.size; i++) yield i;
    }
  }

  /** This rank's stream, from where it was. */
  private *mine(): Generator<number> {
    let i = 0;
    for (const index of this.all()) if (i++ % this.worldSize === this.rank) yield index;
  }

  /** The next `count` indices of this rank's stream. */
  take(count: number): number[] {
    this.stream ??= this.mine();
    const out: number[] = [];
    for (let k = 0; k < count; k++) out.push(this.stream.next().value as number);
    return out;
  }

  /** Endless: continues this rank's stream. */
  *[Symbol.iterator](): Iterator<number> {
    for (;;) yield this.take(1)[0] as number;
  }
}

/** Whether a sampler never runs out (an InfiniteSampler, or any marked `infinite`). */
export const isInfinite = (sampler: Sampler): sampler is Sampler & { infinite: true; take(count: number): number[] } =>
  (sampler as { infinite?: unknown }).infinite === true && typeof (sampler as { take?: unknown }).take === 'function';
