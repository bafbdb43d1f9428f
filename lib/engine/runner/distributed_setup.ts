// launcher 'pytorch': each rank gets its share of every dataloader, as MMEngine's DefaultSampler
// gives it in a distributed run. The standard samplers are replaced by DistributedSamplers
// (shuffled ones stay shuffled), an InfiniteSampler by one that takes this rank's share; a
// custom sampler is left alone, with a warning that every rank then reads all of its indices.

import { DistributedSampler } from '../dataset/distributed_sampler.js';
import { InfiniteSampler } from '../dataset/infinite_sampler.js';
import { DefaultSampler, RandomSampler, type Sampler, SequentialSampler } from '../dataset/sampler.js';
import type { Logger } from '../logging/logger.js';

interface ShardableLoader {
  readonly sampler?: Sampler;
  readonly seed?: number;
  setSampler?(sampler: Sampler): void;
  readonly dataset?: unknown;
}

function replacement(sampler: Sampler, dataset: { length: number }, seed: number): Sampler | null {
  if (sampler instanceof DistributedSampler) return null;
  // One made before the process group takes every index: the same stream, this rank's share.
  if (sampler instanceof InfiniteSampler) {
    const grouped = new InfiniteSampler(dataset, { shuffle: sampler.shuffle, seed: sampler.seed });
    return grouped.worldSize === sampler.worldSize ? null : grouped;
  }
  if (sampler instanceof SequentialSampler) return new DistributedSampler(dataset, { shuffle: false, seed });
  if (sampler instanceof RandomSampler && !sampler.replacement) {
    return new DistributedSampler(dataset, { shuffle: true, seed: sampler.seed });
  }
  if (sampler instanceof DefaultSampler) {
    return new DistributedSampler(dataset, { shuffle: sampler.shuffle, seed: sampler.seed ?? seed });
  }
  return null;
}

/** Gives each rank its share of the loaders' datasets; `seed` is used where a loader has none. */
export function shardDataloaders(runner: { logger: Logger }, loaders: readonly unknown[], seed: number): void {
  for (const loader of loaders) {
    const l = loader as ShardableLoader | null;
    if (!l?.sampler || typeof l.setSampler !== 'function' || !l.dataset) continue;
    const dataset = l.dataset as { length: number };
    const next = replacement(l.sampler, dataset, l.seed ?? seed);
    if (next) l.setSampler(next);
    else if (!(l.sampler instanceof DistributedSampler) && !(l.sampler instanceof InfiniteSampler)) {
      runner.logger.warning(
        `launcher 'pytorch': a dataloader has a custom sampler (${l.sampler.constructor.name}); every rank reads all of its indices unless it shards them itself`,
      );
    }
  }
}
