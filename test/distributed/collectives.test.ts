// torch.distributed's collectives over Gloo, two processes on 127.0.0.1
// (test/distributed/collectives-child.ts is each rank).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '../../lib/index.js';
import { report, runRanks, skipReason } from './support.js';

const CHILD = fileURLToPath(new URL('./collectives-child.js', import.meta.url));
const skip = skipReason();

describe('torch.distributed without a process group', () => {
  test('isAvailable and whyNotAvailable agree', () => {
    assert.equal(torch.distributed.isAvailable(), torch.distributed.whyNotAvailable() === null);
  });

  test('collectives before initProcessGroup say so', { skip }, () => {
    assert.equal(torch.distributed.isInitialized(), false);
    assert.throws(
      () => torch.distributed.allReduce(torch.ones([1])),
      /allReduce: Default process group has not been initialized/,
    );
    assert.throws(() => torch.distributed.getRank(), /getRank: Default process group has not been initialized/);
  });

  test('initProcessGroup names what the rendezvous lacks', { skip }, () => {
    const keys = ['MASTER_ADDR', 'MASTER_PORT'] as const;
    const saved = keys.map((k) => process.env[k]);
    try {
      delete process.env.MASTER_ADDR;
      assert.throws(
        () => torch.distributed.initProcessGroup(),
        /env:\/\/ rendezvous needs the environment variable MASTER_ADDR/,
      );
      process.env.MASTER_ADDR = '127.0.0.1';
      process.env.MASTER_PORT = 'x';
      assert.throws(() => torch.distributed.initProcessGroup(), /MASTER_PORT should be an integer, got 'x'/);
      assert.throws(
        () => torch.distributed.initProcessGroup({ initMethod: 'tcp://127.0.0.1:1234' }),
        /needs the option `rank`/,
      );
      assert.throws(
        () => torch.distributed.initProcessGroup({ initMethod: 'file:///tmp/x' }),
        /'env:\/\/' or 'tcp:\/\/host:port'/,
      );
      assert.throws(
        () => torch.distributed.initProcessGroup({ initMethod: 'tcp://127.0.0.1:1234', rank: 2, worldSize: 2 }),
        /rank must be in 0\.\.1, got 2/,
      );
    } finally {
      keys.forEach((k, i) => {
        if (saved[i] === undefined) delete process.env[k];
        else process.env[k] = saved[i];
      });
    }
  });

  test('a build without distributed support says exactly what is missing', {
    skip: !skip && 'this build has it',
  }, () => {
    assert.throws(() => torch.distributed.initProcessGroup(), /built without distributed support: .*libgloo-dev/);
  });
});

describe('torch.distributed over Gloo, 2 ranks', { skip }, () => {
  test('collectives give the right values on every rank', async () => {
    const ranks = await runRanks(CHILD, 2, { args: ['collectives'] });
    for (const r of ranks) {
      const o = report<Record<string, unknown>>(r);
      const me = r.rank;
      assert.equal(o.rank, me);
      assert.equal(o.worldSize, 2);
      assert.equal(o.backend, 'gloo');
      assert.deepEqual(o.sum, [3, 30]);
      assert.deepEqual(o.avg, [2.5]);
      assert.deepEqual(o.max, [3]);
      assert.deepEqual(o.min, [2]);
      assert.deepEqual(o.product, [6]);
      assert.deepEqual(o.sumInt64, [3, 2 ** 41]);
      assert.deepEqual(o.sum2d, [
        [1, 2],
        [4, 6],
      ]);
      assert.deepEqual(o.broadcast, [1, 2], 'rank 1 is the source');
      assert.deepEqual(o.allGather, [
        [0, 0],
        [3, 1],
      ]);
      // rank r gets the sum over ranks of inputs[r]: rank 0's inputs are [1,2],[3,4], rank 1's twice that
      assert.deepEqual(o.reduceScatter, me === 0 ? [3, 6] : [9, 12]);
      assert.deepEqual(o.reduceScatterAvg, me === 0 ? [3] : [6]);
      assert.deepEqual(o.allReduceAsync, [3]);
      assert.deepEqual(o.twoInFlight, [[1], [7]]);
      assert.deepEqual(o.allGatherAsync, [[0], [1]]);
      assert.deepEqual(o.reduceScatterAsync, me === 0 ? [1] : [10]);
      assert.deepEqual(o.allGatherObject, [
        { rank: 0, name: 'r0', t: [[0, 0.5]] },
        { rank: 1, name: 'r1', t: [[1, 0.5]] },
      ]);
      assert.deepEqual(o.broadcastObject, { seed: 42, list: [1, 2] });
      // complex64/complex128 tensors come back complex, with their shape and values (the
      // conjugate one as its resolved values)
      assert.deepEqual(
        o.allGatherComplex,
        [0, 1].map((r) => ({
          z64: {
            dtype: 'complex64',
            shape: [2, 1],
            parts: [[[r, -2]], [[1.5, r + 0.25]]],
          },
          z128: { dtype: 'complex128', shape: [1], parts: [[r + 0.1, -1 / 3]] },
        })),
      );
      assert.deepEqual(o.broadcastComplex, {
        dtype: 'complex128',
        shape: [2],
        parts: [
          [1, 2],
          [3, -4],
        ],
      });
      const errors = o.errors as Record<string, string>;
      assert.match(errors.wrongSrc as string, /^Error: broadcast: src must be a rank in 0\.\.1, got 5/);
      assert.match(errors.intAvg as string, /^Error: allReduce: op 'avg' needs floating-point tensors, got Long/);
      assert.match(
        errors.twice as string,
        /^Error: initProcessGroup: trying to initialize the default process group twice/,
      );
      assert.match(errors.badOp as string, /^TypeError: allReduce: op must be one of 'sum', 'avg'/);
      assert.match(errors.reduceScatterCount as string, /inputs must hold one tensor per rank \(2\), got 1/);
      assert.deepEqual(o.afterDestroy, {
        initialized: false,
        rank: 'Error: getRank: Default process group has not been initialized, please make sure to call initProcessGroup()',
      });
      assert.equal(r.code, 0, r.stderr);
    }
  });

  test('allReduce latency over loopback (reported)', async (t) => {
    const ranks = await runRanks(CHILD, 2, { args: ['latency'] });
    const o = report<{ oneFloatUs: number; fourMiBUs: number }>(ranks[0] as never);
    t.diagnostic(
      `allReduce, 2 ranks over loopback: 1 float ${o.oneFloatUs.toFixed(0)} µs, 4 MiB ${(o.fourMiBUs / 1000).toFixed(2)} ms (medians)`,
    );
    assert.ok(o.oneFloatUs > 0 && o.oneFloatUs < 50_000);
  });

  test('a collective that a rank never joins fails after the timeout instead of hanging', async () => {
    const ranks = await runRanks(CHILD, 2, { args: ['timeout'], timeoutMs: 30_000 });
    const o = report<{ error: string; ms: number }>(ranks[0] as never);
    assert.match(o.error, /^Error: allReduce: .*Timed out waiting 2000ms/);
    assert.ok(o.ms >= 1500 && o.ms < 10_000, `failed after ${o.ms} ms`);
  });
});
