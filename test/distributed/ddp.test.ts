// DistributedDataParallel over Gloo: two ranks with half the batch each must end where one
// process with the whole batch ends (test/distributed/ddp-child.ts is each process).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as engine from '../../lib/engine/index.js';
import * as torch from '../../lib/index.js';
import { freePort, type RankResult, report, runRanks, skipReason } from './support.js';

const CHILD = fileURLToPath(new URL('./ddp-child.js', import.meta.url));
const skip = skipReason();

interface Report {
  rank: number;
  weights?: Record<string, number[]>;
  losses?: number[];
  localGradsDiffer?: boolean | null;
  buckets?: number[];
  error?: string;
  steps?: number;
}

function maxAbsDiff(a: Record<string, number[]>, b: Record<string, number[]>): number {
  assert.deepEqual(Object.keys(a), Object.keys(b));
  let max = 0;
  for (const k of Object.keys(a)) {
    const x = a[k] as number[];
    const y = b[k] as number[];
    assert.equal(x.length, y.length, k);
    for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs((x[i] as number) - (y[i] as number)));
  }
  return max;
}

let single: Report | null = null;
async function singleProcess(): Promise<Report> {
  if (!single) single = report<Report>((await runRanks(CHILD, 1, { args: ['single'] }))[0] as RankResult);
  return single;
}

describe('DistributedDataParallel, 2 ranks over Gloo', { skip }, () => {
  for (const [mode, what] of [
    ['ddp', 'half the batch each'],
    ['ddp-small', 'half the batch each, 64-byte buckets'],
    ['ddp-accum', 'a quarter of the batch per micro-step, 2 accumulated (noSync)'],
  ] as const) {
    test(`${what}: the same weights as one process with the whole batch after 20 steps`, async (t) => {
      const ref = await singleProcess();
      const ranks = (await runRanks(CHILD, 2, { args: [mode] })).map((r) => report<Report>(r));
      for (const r of ranks) assert.equal(r.error, undefined, r.error);
      const [r0, r1] = ranks as [Report, Report];
      const diff = maxAbsDiff(r0.weights as never, ref.weights as never);
      t.diagnostic(`max |w_ddp - w_single| = ${diff.toExponential(2)}`);
      assert.ok(diff < 1e-5, `max abs difference ${diff}`);
      assert.equal(maxAbsDiff(r0.weights as never, r1.weights as never), 0, 'the ranks hold identical weights');
      // the first loss is each rank's half of the batch at the same (rank 0's) initial weights
      const first = ((r0.losses?.[0] as number) + (r1.losses?.[0] as number)) / 2;
      if (mode !== 'ddp-accum') assert.ok(Math.abs(first - (ref.losses?.[0] as number)) < 1e-5);
      else assert.equal(r0.localGradsDiffer, true, 'the noSync backward reduced nothing');
      // 4 parameters (848 bytes): one bucket; with 64-byte buckets, several after the rebuild
      // that follows the first step (c10d closes a bucket once it reaches the cap).
      t.diagnostic(`parameters per bucket: ${JSON.stringify(r0.buckets)}`);
      if (mode === 'ddp-small') assert.ok((r0.buckets?.length ?? 0) > 1, JSON.stringify(r0.buckets));
      else assert.deepEqual(r0.buckets, [4]);
      assert.equal(
        r0.buckets?.reduce((a, b) => a + b, 0),
        4,
      );
    });
  }

  test('a parameter without a gradient: a clear error without findUnusedParameters, training with it', async () => {
    const without = (await runRanks(CHILD, 2, { args: ['unused', 'false'] })).map((r) => report<Report>(r));
    for (const r of without) {
      assert.equal(r.steps, 1, 'the first step completes, the second one fails');
      assert.match(r.error as string, /Expected to have finished reduction in the prior iteration/);
      assert.match(r.error as string, /find_unused_parameters|findUnusedParameters/);
    }
    const runs = await runRanks(CHILD, 2, { args: ['unused', 'true'] });
    const withIt = runs.map((r) => report<Report>(r));
    for (const r of withIt) assert.equal(r.error, undefined, r.error);
    // detectAnomalousParams names it, as MMEngine's wrapper does (the logger writes to stdout)
    for (const r of runs)
      assert.match(r.stdout, /ERROR - unused\.weight with shape \[4,4\] is not in the computational graph/);
    assert.equal(maxAbsDiff(withIt[0]?.weights as never, withIt[1]?.weights as never), 0);
  });
});

class Tiny extends engine.BaseModel {
  fc = new torch.nn.Linear(2, 1);
  forward(b: { x: torch.Tensor }, mode: engine.ForwardMode) {
    const y = this.fc.forward(b.x);
    return mode === 'loss' ? { loss: y.pow(2).mean() } : y;
  }
}

describe('DistributedDataParallel in this process (a group of one)', { skip }, () => {
  test('without a process group it says so', () => {
    assert.throws(() => new engine.DistributedDataParallel(new Tiny()), /the default process group is not initialized/);
  });

  test('API: steps, noSync, a model with its own trainStep, dispose', async () => {
    torch.distributed.initProcessGroup({ initMethod: `tcp://127.0.0.1:${await freePort()}`, rank: 0, worldSize: 1 });
    try {
      const model = new Tiny();
      const ddp = new engine.DistributedDataParallel(model);
      const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.1 });
      const wrapper = new engine.OptimWrapper({ optimizer });
      const batch = { x: torch.ones([4, 2]) };
      const logVars = ddp.trainStep(batch, wrapper);
      assert.equal(typeof logVars.loss, 'number');
      assert.deepEqual(ddp.reducer.bucketSizes(), [2]);
      assert.ok((ddp.valStep(batch) as unknown) instanceof torch.Tensor, "valStep: the module's, in 'predict' mode");
      assert.equal(ddp.stateDict()['module.fc.weight'] instanceof torch.Tensor, true, "PyTorch's `module.` prefix");
      assert.throws(() =>
        ddp.noSync(() => {
          assert.equal(ddp.requireBackwardGradSync, false);
          throw new Error('inside');
        }),
      );
      assert.equal(ddp.requireBackwardGradSync, true, 'restored after a throw');

      class OwnStep extends Tiny {
        override trainStep(data: unknown, o: engine.BaseOptimWrapper): engine.LogVars {
          return super.trainStep(data, o);
        }
      }
      const own = new engine.DistributedDataParallel(new OwnStep());
      assert.throws(() => own.trainStep(batch, wrapper), /OwnStep overrides trainStep, which this wrapper replaces/);
      own.dispose();

      ddp.dispose();
      assert.throws(() => ddp.forward(batch, 'loss'), /this DistributedDataParallel was disposed/);
    } finally {
      torch.distributed.destroyProcessGroup();
    }
    assert.equal(torch.distributed.isInitialized(), false);
  });
});
