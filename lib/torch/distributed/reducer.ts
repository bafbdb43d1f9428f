// c10d's Reducer, the gradient engine of PyTorch's DistributedDataParallel, bound as is: hooks on
// the parameters' gradient accumulators copy gradients into buckets as backward produces them
// and all-reduce each full bucket asynchronously (overlapping the rest of backward); the end of
// backward waits for the buckets and writes the averaged gradients into `param.grad`.
// lib/engine's DistributedDataParallel drives it; most code never needs it directly.
import type { Parameter } from '../nn/parameter.js';
import { dist } from './process_group.js';

export interface ReducerOptions {
  /** Size of a bucket in MiB (default 25, as PyTorch's bucket_cap_mb). */
  bucketCapMb?: number;
  /** Size of the first bucket in bytes after the rebuild (default, as PyTorch's: 1 MiB, or bucketCapMb's size when that is given). */
  firstBucketBytes?: number;
  /** Search each forward's outputs for parameters that backward will not reach (default false). */
  findUnusedParameters?: boolean;
  /** Let `param.grad` be a view into its bucket, saving a copy (default false). */
  gradientAsBucketView?: boolean;
}

const registry = new FinalizationRegistry<number>((id) => {
  try {
    dist('Reducer').ddpFree(id);
  } catch {
    // the process group (and its reducers) may be gone already
  }
});

export class Reducer {
  private id: number;

  /**
   * Checks that every rank has the same parameters (number, shapes, dtypes) and assigns them to
   * buckets. `names` (one per parameter) appear in the Reducer's error messages.
   */
  constructor(params: readonly Parameter[], names: readonly string[], options: ReducerOptions = {}) {
    if (names.length !== params.length) throw new Error('Reducer: give one name per parameter');
    const cap = Math.round((options.bucketCapMb ?? 25) * 1024 * 1024);
    this.id = dist('DistributedDataParallel').ddpNew(
      params.map((p) => p._h),
      [...names],
      cap,
      options.firstBucketBytes ?? (options.bucketCapMb === undefined ? 1024 * 1024 : cap),
      options.findUnusedParameters ?? false,
      options.gradientAsBucketView ?? false,
    );
    registry.register(this, this.id, this);
  }

  /** Before a forward pass whose backward synchronises; returns whether the buckets were rebuilt (once, after the first iteration). */
  prepareForward(): boolean {
    return dist('DistributedDataParallel.forward').ddpPrepareForward(this.id);
  }

  /** After that forward: arms the hooks. `outputs` are searched for unused parameters when that is on. */
  prepareBackward(outputs: readonly { _h: number }[] = []): void {
    dist('DistributedDataParallel.forward').ddpPrepareBackward(
      this.id,
      outputs.map((t) => t._h),
    );
  }

  /** How many parameters each bucket holds, in the order the buckets are all-reduced. */
  bucketSizes(): number[] {
    return dist('Reducer.bucketSizes').ddpBuckets(this.id);
  }

  /** Removes the hooks and frees the buckets. */
  dispose(): void {
    if (this.id < 0) return;
    registry.unregister(this);
    dist('Reducer').ddpFree(this.id);
    this.id = -1;
  }
}
