// One rank of test/nn/sync_batchnorm.test.ts: every rank makes the same float64 batch (same
// seed), takes its rows of it (`split` says how many each rank gets, possibly none), and runs a
// SyncBatchNorm over them in training: two steps, a backward on the first. It reports its part of
// the output and of the input gradient, the weight and bias gradients summed over the ranks (what
// DDP's all-reduce would give, times the world size), the running statistics, and an eval-mode
// output of the whole batch.
//
//   node dist/test/distributed/sync_batchnorm-child.js <case JSON>   (env:// variables set)
//
// Run with no arguments (as `node --test dist/test/` does) it does nothing.
import { pathToFileURL } from 'node:url';
import * as torch from '../../lib/index.js';

type Tensor = torch.Tensor;

export interface SyncCase {
  /** Input shape of the whole batch. */
  shape: number[];
  /** Rows of the batch per rank, in rank order. */
  split: number[];
  momentum: number | null;
  affine: boolean;
  trackRunningStats: boolean;
}

export interface SyncReport {
  rank: number;
  out: unknown;
  out2: unknown;
  inputGrad: unknown;
  weightGrad: unknown;
  biasGrad: unknown;
  runningMean: unknown;
  runningVar: unknown;
  numBatchesTracked: unknown;
  evalOut: unknown;
}

/** The batch, the second step's batch and the upstream gradient: the same on every rank and in the test. */
export function syncData(c: SyncCase): { x: Tensor; x2: Tensor; r: Tensor } {
  torch.manualSeed(7);
  const x = torch.randn(c.shape, { dtype: 'float64' }).mul(2).add(0.5);
  const x2 = torch.randn(c.shape, { dtype: 'float64' }).mul(0.5).sub(1);
  const r = torch.randn(c.shape, { dtype: 'float64' });
  return { x, x2, r };
}

/** The affine parameters every run starts from. */
export function syncAffine(channels: number): { weight: number[]; bias: number[] } {
  return {
    weight: Array.from({ length: channels }, (_, k) => 0.5 + k * 0.75 * (k % 2 ? -1 : 1)),
    bias: Array.from({ length: channels }, (_, k) => 0.1 * k - 0.2),
  };
}

function run(c: SyncCase): SyncReport {
  const dist = torch.distributed;
  dist.initProcessGroup({ backend: 'gloo' });
  const rank = dist.getRank();
  const { x, x2, r } = syncData(c);
  const start = c.split.slice(0, rank).reduce((a, b) => a + b, 0);
  const rows = c.split[rank] as number;
  const part = (t: Tensor) => t.narrow(0, start, rows);
  const channels = c.shape[1] as number;
  const bn = new torch.nn.SyncBatchNorm(channels, {
    momentum: c.momentum,
    affine: c.affine,
    trackRunningStats: c.trackRunningStats,
    dtype: 'float64',
  });
  if (bn.weight && bn.bias) {
    const a = syncAffine(channels);
    torch.noGrad(() => {
      bn.weight?.copy_(torch.tensor(a.weight, { dtype: 'float64' }));
      bn.bias?.copy_(torch.tensor(a.bias, { dtype: 'float64' }));
    });
  }
  const input = part(x).clone().requiresGrad_(true);
  const out = bn.forward(input);
  out.mul(part(r)).sum().backward();
  // Every rank all-reduces the same tensors in the same order.
  const summed = (g: Tensor | null | undefined) => (g ? dist.allReduce(g.clone()).toArray() : null);
  const weightGrad = summed(bn.weight?.grad);
  const biasGrad = summed(bn.bias?.grad);
  const out2 = bn.forward(part(x2));
  bn.eval();
  const evalOut = bn.forward(x);
  dist.destroyProcessGroup();
  return {
    rank,
    out: out.toArray(),
    out2: out2.toArray(),
    inputGrad: input.grad?.toArray() ?? null,
    weightGrad,
    biasGrad,
    runningMean: bn.running_mean?.toArray() ?? null,
    runningVar: bn.running_var?.toArray() ?? null,
    numBatchesTracked: bn.num_batches_tracked?.item() ?? null,
    evalOut: evalOut.toArray(),
  };
}

// The test imports syncData and syncAffine from here: run only as the script itself.
const arg = process.argv[2];
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && arg !== undefined) {
  console.log(JSON.stringify(run(JSON.parse(arg) as SyncCase)));
}
