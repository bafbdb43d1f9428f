// DistributedSampler: each rank's share of a dataset, as PyTorch's DistributedSampler and
// MMEngine's DefaultSampler in a distributed run.
//
// Every rank computes the same order of all N indices (shuffled per epoch from seed and epoch,
// or in order), pads it by repeating its start until its length is a multiple of the world size
// (or, with dropLast, cuts the tail), and takes every worldSize-th index from its rank on. So
// each rank gets the same number of samples, and the ranks' results interleaved rank by rank
// are back in the dataset's order (what the Evaluator relies on; the padded repeats come last
// and are cut by the dataset's size).
import * as torch from '../../torch/index.js';
import { Random, randomSeed, seedFor } from './random.js';
import type { Sampler } from './sampler.js';

export interface DistributedSamplerOptions {
  /** A new random order every epoch (default true). */
  shuffle?: boolean;
  /** Seed of the orders. Rank 0's value is used on every rank (default: a random one drawn on rank 0). */
  seed?: number;
  /** Default: torch.distributed's rank, or 0 without a process group. */
  rank?: number;
  /** Default: torch.distributed's world size, or 1 without a process group. */
  worldSize?: number;
  /** Drop the tail that does not divide evenly instead of padding (default false). */
  dropLast?: boolean;
}

export class DistributedSampler implements Sampler {
  readonly size: number;
  readonly rank: number;
  readonly worldSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Indices per rank. */
  readonly length: number;
  /** Indices over all ranks (the padded or cut size). */
  readonly totalSize: number;
  epoch = 0;

  constructor(dataset: { length: number } | number, options: DistributedSamplerOptions = {}) {
    const n = typeof dataset === 'number' ? dataset : dataset?.length;
    if (!Number.isInteger(n) || (n as number) < 0) {
      throw new TypeError('DistributedSampler: expected a dataset (with a length) or a size');
    }
    this.size = n as number;
    const dist = torch.distributed;
    const grouped = dist.isInitialized();
    this.rank = options.rank ?? (grouped ? dist.getRank() : 0);
    this.worldSize = options.worldSize ?? (grouped ? dist.getWorldSize() : 1);
    if (!Number.isInteger(this.worldSize) || this.worldSize < 1) {
      throw new Error(`DistributedSampler: worldSize must be a positive integer, got ${String(this.worldSize)}`);
    }
    if (!Number.isInteger(this.rank) || this.rank < 0 || this.rank >= this.worldSize) {
      throw new Error(
        `DistributedSampler: invalid rank ${String(this.rank)}, rank should be in [0, ${this.worldSize - 1}]`,
      );
    }
    this.shuffle = options.shuffle ?? true;
    this.dropLast = options.dropLast ?? false;
    const seed = options.seed ?? randomSeed();
    // Every rank must shuffle the same way: rank 0's seed wins (a collective when grouped).
    this.seed = grouped && dist.getWorldSize() > 1 ? dist.broadcastObject(seed, 0) : seed;
    this.length = this.dropLast ? Math.floor(this.size / this.worldSize) : Math.ceil(this.size / this.worldSize);
    this.totalSize = this.length * this.worldSize;
  }

  setEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch)) throw new TypeError(`setEpoch: epoch must be an integer, got ${String(epoch)}`);
    this.epoch = epoch;
  }

  /** This rank's indices for the current epoch. */
  indices(): number[] {
    let all = this.shuffle
      ? new Random(seedFor(this.seed, this.epoch)).permutation(this.size)
      : Array.from({ length: this.size }, (_, i) => i);
    if (this.totalSize <= all.length) all = all.slice(0, this.totalSize);
    else if (all.length > 0) {
      const padded = all.slice();
      while (padded.length < this.totalSize) padded.push(...all.slice(0, this.totalSize - padded.length));
      all = padded;
    }
    const mine: number[] = [];
    for (let i = this.rank; i < all.length; i += this.worldSize) mine.push(all[i] as number);
    return mine;
  }

  [Symbol.iterator](): Iterator<number> {
    return this.indices()[Symbol.iterator]();
  }
}
