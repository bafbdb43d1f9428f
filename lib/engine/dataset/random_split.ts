// randomSplit, as torch.utils.data.random_split: the same lengths, and the same subsets as
// Python for the same Generator seed (both draw the permutation with randperm(n, generator)).

import * as torch from '../../torch/index.js';
import { type MapDataset, Subset } from './dataset.js';

export interface RandomSplitOptions {
  /** Where the permutation's randomness comes from (default: torch's default generator). */
  generator?: torch.Generator | null;
}

/**
 * The lengths that fractions `fractions` give for `n` samples: floor(n * f) each, then the
 * remainder handed out one by one from the first split on, round-robin (PyTorch's rule).
 */
function lengthsOfFractions(fractions: readonly number[], n: number): number[] {
  const lengths = fractions.map((f, i) => {
    if (f < 0 || f > 1) throw new RangeError(`randomSplit: fraction at index ${i} is not between 0 and 1 (${f})`);
    return Math.floor(n * f);
  });
  const remainder = n - lengths.reduce((a, b) => a + b, 0);
  for (let i = 0; i < remainder; i++) (lengths[i % lengths.length] as number)++;
  lengths.forEach((l, i) => {
    if (l === 0) {
      process.emitWarning(`randomSplit: the split at index ${i} has length 0; it is an empty dataset`, 'UserWarning');
    }
  });
  return lengths;
}

/**
 * `dataset` split into non-overlapping Subsets of lengths `lengths`, or of fractions of its
 * length where `lengths` sums to 1 (as PyTorch decides: the plain left-to-right sum is within
 * 1e-9 of 1 and not above it).
 */
export function randomSplit<T>(
  dataset: MapDataset<T>,
  lengths: readonly number[],
  options?: RandomSplitOptions,
): Subset<T>[] {
  if (!Array.isArray(lengths) || lengths.some((l) => typeof l !== 'number' || !Number.isFinite(l))) {
    throw new TypeError('randomSplit: lengths must be an array of numbers (lengths, or fractions summing to 1)');
  }
  const n = dataset.length;
  let sizes = [...lengths];
  const sum = sizes.reduce((a, b) => a + b, 0);
  // math.isclose(sum, 1) with its default relative tolerance, as PyTorch tests.
  if (Math.abs(sum - 1) <= 1e-9 * Math.max(Math.abs(sum), 1) && sum <= 1) sizes = lengthsOfFractions(sizes, n);
  sizes.forEach((l, i) => {
    if (!Number.isInteger(l) || l < 0) {
      throw new RangeError(
        `randomSplit: length at index ${i} must be a non-negative integer, got ${l} (fractions must sum to 1)`,
      );
    }
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== n) {
    throw new RangeError(
      `randomSplit: the lengths [${sizes.join(', ')}] sum to ${total}, not to the dataset's length ${n}`,
    );
  }
  const perm = torch.randperm(n, { generator: options?.generator ?? null });
  let indices: number[];
  try {
    indices = perm.toArray() as number[];
  } finally {
    perm.dispose();
  }
  let offset = 0;
  return sizes.map((l) => {
    const part = new Subset(dataset, indices.slice(offset, offset + l));
    offset += l;
    return part;
  });
}
