// randomSplit against torch.utils.data.random_split: the same lengths (fractions included) and
// the same indices for the same Generator seed, from one Python run.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { type MapDataset, randomSplit, Subset } from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { runPython, skipWithoutPython } from '../../support/python.js';

/** Sample i is i: the subsets' samples are their indices. */
const range = (n: number): MapDataset<number> => ({ length: n, get: (i: number) => i });

interface Case {
  n: number;
  lengths: number[];
  seed: number;
  /** Draw from the default generator (seeded with torch.manualSeed) instead of a Generator. */
  global?: boolean;
}

const CASES: Case[] = [
  { n: 10, lengths: [3, 7], seed: 42 },
  { n: 30, lengths: [0.3, 0.3, 0.4], seed: 42 },
  // floor gives [5, 5], the remainder 1 goes to the first split.
  { n: 11, lengths: [0.5, 0.5], seed: 1 },
  // floor gives [1, 1, 1, 1], the remainder 3 goes round-robin: [2, 2, 2, 1].
  { n: 7, lengths: [0.25, 0.25, 0.25, 0.25], seed: 7 },
  // Sums to 0.9999999999999999 in floating point: close enough to 1 to be fractions.
  { n: 1000, lengths: Array.from({ length: 10 }, () => 0.1), seed: 123 },
  { n: 10, lengths: [0.33, 0.33, 0.34], seed: 5 },
  { n: 50, lengths: [10, 0, 40], seed: 9 },
  { n: 64, lengths: [0.8, 0.2], seed: 2024, global: true },
];

const SCRIPT = `
from torch.utils.data import random_split
out = []
for c in INPUT:
    if c.get('global'):
        torch.manual_seed(c['seed'])
        parts = random_split(range(c['n']), c['lengths'])
    else:
        parts = random_split(range(c['n']), c['lengths'], generator=torch.Generator().manual_seed(c['seed']))
    out.append([list(p) for p in parts])
OUTPUT = out
`;

describe('randomSplit', { skip: skipWithoutPython() }, () => {
  let expected: number[][][] = [];
  before(() => {
    expected = runPython<number[][][]>(SCRIPT, CASES);
  });

  test('the same subsets as torch.utils.data.random_split for the same seed', () => {
    CASES.forEach((c, k) => {
      let parts: Subset<number>[];
      if (c.global) {
        torch.manualSeed(c.seed);
        parts = randomSplit(range(c.n), c.lengths);
      } else {
        parts = randomSplit(range(c.n), c.lengths, { generator: new torch.Generator().manualSeed(c.seed) });
      }
      const got = parts.map((p) => Array.from({ length: p.length }, (_, i) => p.get(i)));
      assert.deepEqual(got, expected[k], `case ${k}: n ${c.n}, lengths [${c.lengths.join(', ')}]`);
    });
  });

  test('fractions: the remainder goes round-robin from the first split', () => {
    const lengthsOf = (n: number, f: number[]) =>
      randomSplit(range(n), f, { generator: new torch.Generator().manualSeed(0) }).map((p) => p.length);
    assert.deepEqual(lengthsOf(7, [0.25, 0.25, 0.25, 0.25]), [2, 2, 2, 1]);
    assert.deepEqual(lengthsOf(11, [0.5, 0.5]), [6, 5]);
    assert.deepEqual(lengthsOf(10, [0.33, 0.33, 0.34]), [4, 3, 3]);
  });

  test('subsets of the dataset, disjoint and covering it', () => {
    const parts = randomSplit(range(20), [5, 15], { generator: new torch.Generator().manualSeed(3) });
    assert.ok(parts.every((p) => p instanceof Subset));
    const all = parts.flatMap((p) => p.indices).sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

  test('bad lengths: errors that say what is wrong', () => {
    assert.throws(
      () => randomSplit(range(10), [3, 3]),
      /randomSplit: the lengths \[3, 3\] sum to 6, not to the dataset's length 10/,
    );
    assert.throws(() => randomSplit(range(10), [1.5, -0.5]), /randomSplit: fraction at index 0 is not between 0 and 1/);
    assert.throws(
      () => randomSplit(range(10), [2.5, 7.5]),
      /randomSplit: length at index 0 must be a non-negative integer, got 2.5/,
    );
    assert.throws(() => randomSplit(range(10), [-1, 11]), /length at index 0 must be a non-negative integer, got -1/);
    assert.throws(() => randomSplit(range(10), ['3', 7] as unknown as number[]), TypeError);
  });
});
