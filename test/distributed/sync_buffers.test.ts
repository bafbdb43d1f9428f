// SyncBuffersHook over 2 ranks (Gloo; test/distributed/sync_buffers-child.ts is each rank): each
// rank's BatchNorm statistics come from its own batches; with the hook they are the mean over the
// ranks after the epoch, the same on both; without it they stay each rank's own.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { report, runRanks, skipReason } from './support.js';

const CHILD = fileURLToPath(new URL('./sync_buffers-child.js', import.meta.url));

interface Report {
  rank: number;
  runningMean: number[];
  runningVar: number[];
  batches: number;
}

async function ranks(sync: boolean): Promise<[Report, Report]> {
  const workDir = mkdtempSync(join(tmpdir(), 'torch-node-sync-buffers-'));
  try {
    const results = await runRanks(CHILD, 2, { args: [workDir, sync ? '1' : '0'] });
    return results.map((r) => report<Report>(r)) as [Report, Report];
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

describe('SyncBuffersHook, 2 ranks over Gloo', { skip: skipReason() }, () => {
  test('the buffers are the mean over the ranks after the epoch', async () => {
    const [own0, own1] = await ranks(false);
    assert.notDeepEqual(own0.runningMean, own1.runningMean, 'without the hook each rank keeps its own');
    const [r0, r1] = await ranks(true);
    assert.deepEqual(r0.runningMean, r1.runningMean);
    assert.deepEqual(r0.runningVar, r1.runningVar);
    // the same batches as the runs without the hook: the synced value is their mean
    own0.runningMean.forEach((m, i) => {
      const mean = (m + (own1.runningMean[i] as number)) / 2;
      assert.ok(Math.abs((r0.runningMean[i] as number) - mean) < 1e-5, `running_mean[${i}]`);
    });
    assert.equal(r0.batches, 2, 'an integer buffer: (2 + 2) / 2');
  });
});
