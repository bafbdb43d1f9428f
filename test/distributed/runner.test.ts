// The Runner with launcher 'pytorch', 2 ranks over Gloo (test/distributed/runner-child.ts is
// each rank): shared seed and timestamp, sharded dataloaders, DistributedDataParallel, results
// gathered across ranks for the metrics, and files written by rank 0 only.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { report, runRanks, skipReason } from './support.js';

const CHILD = fileURLToPath(new URL('./runner-child.js', import.meta.url));
const skip = skipReason();

interface Report {
  rank: number;
  worldSize: number;
  seed: number;
  timestamp: string;
  sampler: { type: string; length: number; shuffle: boolean; seed: number };
  trainBatches: number;
  valSamplerLength: number;
  metrics: Record<string, unknown>;
  weights: Record<string, number[]>;
  wrapped: boolean;
  bnClass: string | null;
}

describe("Runner, launcher 'pytorch', 2 ranks over Gloo", { skip }, () => {
  test('trains data-parallel, evaluates over the whole validation set, and only rank 0 writes', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'torch-node-ddp-runner-'));
    try {
      const ranks = await runRanks(CHILD, 2, { args: [workDir], env: { TORCH_NODE_LOG_LEVEL: 'info' } });
      const [r0, r1] = ranks.map((r) => report<Report>(r)) as [Report, Report];
      assert.deepEqual([r0.rank, r1.rank, r0.worldSize], [0, 1, 2]);
      assert.equal(r0.seed, r1.seed, "rank 0's seed everywhere");
      assert.equal(r0.timestamp, r1.timestamp, "rank 0's timestamp everywhere");
      assert.ok(r0.wrapped && r1.wrapped);
      // 24 training points: 12 per rank, 3 batches of 4; a shared shuffling seed
      assert.deepEqual(r0.sampler, { ...r1.sampler, type: 'DistributedSampler', length: 12, shuffle: true });
      assert.equal(r0.trainBatches, 3);
      // 11 validation points: 6 per rank (one padded), in order
      assert.equal(r0.valSamplerLength, 6);
      assert.equal(r0.metrics['ordered/count'], 11, 'every validation sample once, the padding cut');
      assert.equal(r0.metrics['ordered/inOrder'], true, 'gathered back in dataset order');
      assert.deepEqual(r0.metrics, r1.metrics, "every rank gets rank 0's metrics");
      for (const k of Object.keys(r0.weights)) assert.deepEqual(r0.weights[k], r1.weights[k], k);

      const files = readdirSync(workDir).sort();
      const logDirs = files.filter((f) => /^\d{8}_\d{6}$/.test(f));
      assert.deepEqual(logDirs, [r0.timestamp], 'one log folder');
      assert.ok(existsSync(join(workDir, 'epoch_2.pth')) && existsSync(join(workDir, 'last_checkpoint')));
      const log = readFileSync(join(workDir, r0.timestamp, `${r0.timestamp}.log`), 'utf8');
      assert.match(log, /rank 0 of 2 \(gloo\)/);
      assert.doesNotMatch(log, /rank 1 of 2/, "rank 1's lines are not in the log file");
      // The logger writes to stdout, as MMEngine's.
      const out1 = ranks[1]?.stdout ?? '';
      assert.doesNotMatch(out1, /Epoch\(train\)/, 'rank 1 logs errors only');
      assert.match(ranks[0]?.stdout ?? '', /Epoch\(train\) \[2\]\[3\/3\]/);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });

  test("syncBn: 'torch' makes the batch norms SyncBatchNorm: running statistics agree across ranks", async () => {
    const run = async (mode: 'bn' | 'syncbn'): Promise<[Report, Report]> => {
      const workDir = mkdtempSync(join(tmpdir(), 'torch-node-ddp-syncbn-'));
      try {
        const ranks = await runRanks(CHILD, 2, { args: [workDir, mode] });
        return ranks.map((r) => report<Report>(r)) as [Report, Report];
      } finally {
        rmSync(workDir, { recursive: true, force: true });
      }
    };
    const [b0, b1] = await run('bn');
    assert.deepEqual([b0.bnClass, b1.bnClass], ['BatchNorm1d', 'BatchNorm1d']);
    // Plain batch norms, buffers not broadcast: each rank's statistics are of its own half-batches.
    assert.notDeepEqual(b0.weights['bn.running_mean'], b1.weights['bn.running_mean']);
    const [s0, s1] = await run('syncbn');
    assert.deepEqual([s0.bnClass, s1.bnClass], ['SyncBatchNorm', 'SyncBatchNorm']);
    // Synchronised: both ranks normalised with the whole batch's statistics, so every weight and
    // running statistic is the same on both.
    assert.ok(s0.weights['bn.running_mean']?.some((v) => v !== 0));
    for (const k of Object.keys(s0.weights)) assert.deepEqual(s0.weights[k], s1.weights[k], k);
  });
});
