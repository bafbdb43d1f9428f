// One rank of test/distributed/runner.test.ts: the Runner with launcher 'pytorch' trains a small
// MLP for 2 epochs on 24 points with DataLoaders (their samplers become DistributedSamplers),
// validates on 11 points (odd: one padded sample), and reports what the test checks.
//
//   node dist/test/distributed/runner-child.js <workDir> [bn|syncbn]      (env:// variables set)
//
// With 'bn' the MLP has a BatchNorm1d; with 'syncbn' also the runner's syncBn: 'torch'.
//
// Run with no arguments (as `node --test dist/test/` does) it does nothing.
import * as engine from '../../lib/engine/index.js';
import * as torch from '../../lib/index.js';

type Tensor = torch.Tensor;
const F = torch.nn.functional;
/** 'bn': the MLP has a BatchNorm1d; 'syncbn': the same with the runner's syncBn: 'torch'. */
const BN = process.argv[3] ?? null;

interface Sample {
  x: number[];
  y: number;
  idx: number;
}

interface Prediction {
  pred: number;
  gt: number;
  idx: number;
}

function points(n: number, offset: number): Sample[] {
  return Array.from({ length: n }, (_, i) => {
    const y = i % 3;
    const angle = (2 * Math.PI * y) / 3 + 0.1 * Math.sin(i + offset);
    return { x: [2 * Math.cos(angle), 2 * Math.sin(angle)], y, idx: i };
  });
}

const collate = (batch: unknown[]) => collateSamples(batch as Sample[]);

const collateSamples = (samples: Sample[]) => ({
  inputs: torch.tensor(
    samples.map((s) => s.x),
    { dtype: 'float32' },
  ),
  labels: torch.tensor(samples.map((s) => s.y)),
  idx: samples.map((s) => s.idx),
});

class Net extends engine.BaseModel<Prediction> {
  fc1 = new torch.nn.Linear(2, 16);
  bn: torch.nn.BatchNorm1d | null = BN ? new torch.nn.BatchNorm1d(16) : null;
  fc2 = new torch.nn.Linear(16, 3);

  forward(b: { inputs: Tensor; labels: Tensor; idx: number[] }, mode: engine.ForwardMode) {
    const h = this.fc1.forward(b.inputs);
    const logits = this.fc2.forward(F.relu(this.bn ? this.bn.forward(h) : h));
    if (mode === 'loss') return { loss: F.crossEntropy(logits, b.labels) };
    const pred = logits.argmax(1).toArray() as number[];
    const gt = b.labels.toArray() as number[];
    return pred.map((p, i) => ({ pred: p, gt: gt[i] as number, idx: b.idx[i] as number }));
  }
}

/** Accuracy, plus how many results reached evaluate() and whether they came back in dataset order. */
class OrderedAccuracy extends engine.BaseMetric {
  static override defaultPrefix = 'ordered';
  process(_batch: unknown, samples: readonly unknown[]): void {
    for (const s of samples as Prediction[]) this.results.push(s);
  }
  computeMetrics(results: unknown[]): engine.MetricDict {
    const r = results as Prediction[];
    return {
      count: r.length,
      inOrder: r.every((p, i) => p.idx === i),
      accuracy: (100 * r.filter((p) => p.pred === p.gt).length) / r.length,
    };
  }
}

async function main(workDir: string): Promise<Record<string, unknown>> {
  const rank = Number(process.env.RANK);
  torch.manualSeed(rank); // different on purpose: the runner must make them agree
  const model = new Net();
  const trainDataloader = new engine.DataLoader({
    dataset: { length: 24, get: (i: number) => points(24, 0)[i] as Sample },
    batchSize: 4,
    shuffle: true,
    collate,
  });
  const valDataloader = new engine.DataLoader({
    dataset: { length: 11, get: (i: number) => points(11, 5)[i] as Sample },
    batchSize: 4,
    collate,
  });
  const runner = new engine.Runner({
    model,
    workDir,
    launcher: 'pytorch',
    device: 'cpu', // over Gloo, also where GPUs are present
    trainDataloader,
    valDataloader,
    trainCfg: { maxEpochs: 2 },
    optimWrapper: { optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }) },
    valEvaluator: new engine.Evaluator(new OrderedAccuracy()),
    defaultHooks: { logger: { interval: 1, progressBar: false } },
    logLevel: 'info',
    // MMEngine's own DDP options (buffers not broadcast): what keeps the ranks' statistics apart.
    ...(BN ? { modelWrapperCfg: { broadcastBuffers: false } } : {}),
    ...(BN === 'syncbn' ? { syncBn: 'torch' as const } : {}),
  });
  await runner.train();
  const metrics = await runner.val();
  const weights = Object.fromEntries(
    Object.entries(model.stateDict()).map(([k, v]) => [
      k,
      Array.from(v.flatten().toTypedArray() as ArrayLike<number | bigint>, Number),
    ]),
  );
  const sampler = trainDataloader.sampler as engine.DistributedSampler;
  return {
    rank: runner.rank,
    worldSize: runner.worldSize,
    seed: runner.seed,
    timestamp: runner.timestamp,
    sampler: { type: sampler.constructor.name, length: sampler.length, shuffle: sampler.shuffle, seed: sampler.seed },
    trainBatches: trainDataloader.length,
    valSamplerLength: valDataloader.sampler.length,
    metrics,
    weights,
    wrapped: runner.wrappedModel instanceof engine.DistributedDataParallel,
    bnClass: model.bn?.constructor.name ?? null,
  };
}

const workDir = process.argv[2];
if (workDir) process.stdout.write(`${JSON.stringify(await main(workDir))}\n`);
