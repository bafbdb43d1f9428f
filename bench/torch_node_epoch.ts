// The torch-node contender of the whole-epoch benchmark (workload 4): one epoch of
// Fashion-MNIST (Debian's dataset-fashion-mnist IDX files) trained by the engine's Runner, as a
// user of the engine writes it: a LeNet-5 BaseModel with a ClsDataPreprocessor (uint8 to
// normalised float), SGD (lr 0.01, momentum 0.9), batches of 64 shuffled, the default hooks
// (timer, logger every 10 iterations, checkpoint after the epoch), then validation on the 10,000
// test images with Accuracy. The same model, batch size and optimizer as bench/python/epoch.py.
//
//   node dist/bench/torch_node_epoch.js THREADS WORKERS IMAGES   one JSON line
//   node dist/bench/torch_node_epoch.js --serve                  a hello line, then one
//                                                                measurement per stdin line
// IMAGES: how many of the 60,000 training images make the epoch (60000: all of them).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Accuracy,
  ClsDataPreprocessor,
  DataLoader,
  Evaluator,
  FashionMNIST,
  Hook,
  Runner,
  Subset,
} from '../lib/engine/index.js';
import * as torch from '../lib/index.js';
import { LeNet } from './models.js';
import { serve } from './serve.js';

/** Times the training epoch alone: from before its first batch to after its last hook. */
class EpochTimer extends Hook {
  override priority = 'LOWEST' as const;
  start = 0n;
  seconds = 0;

  override beforeTrainEpoch(): void {
    this.start = process.hrtime.bigint();
  }

  override afterTrainEpoch(): void {
    this.seconds = Number(process.hrtime.bigint() - this.start) / 1e9;
  }
}

let sets: { train: FashionMNIST; test: FashionMNIST } | null = null;

export interface EpochMeasurement {
  contender: 'torch-node';
  threads: number;
  workers: number;
  images: number;
  iterations: number;
  /** The training epoch (batches, steps, hooks, the checkpoint). */
  trainSeconds: number;
  /** The whole run: the Runner's construction, the epoch, validation. */
  totalSeconds: number;
  /** Top-1 accuracy on the 10,000 test images, in percent. */
  accuracy: number;
}

let runs = 0;

export async function measure(threads: number, workers: number, images: number): Promise<EpochMeasurement> {
  torch.setNumThreads(threads);
  // Decoding the IDX files is not part of the epoch (Python's side also loads them once).
  sets ??= {
    train: new FashionMNIST({ split: 'train', format: 'packed' }),
    test: new FashionMNIST({ split: 'test', format: 'packed' }),
  };
  if (!(images > 0 && images <= sets.train.length))
    throw new Error(`IMAGES must be in 1..${sets.train.length}, got ${images}`);
  const trainSet =
    images === sets.train.length
      ? sets.train
      : new Subset(
          sets.train,
          Array.from({ length: images }, (_, i) => i),
        );
  const workDir = mkdtempSync(join(tmpdir(), 'torch-node-bench-epoch-'));
  const timer = new EpochTimer();
  try {
    const t0 = process.hrtime.bigint();
    torch.manualSeed(0);
    const model = new LeNet({ dataPreprocessor: new ClsDataPreprocessor({ mean: [72.9], std: [90] }) });
    const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const trainDataloader = new DataLoader({
      dataset: trainSet,
      batchSize: 64,
      shuffle: true,
      numWorkers: workers,
      seed: 0,
    });
    const valDataloader = new DataLoader({ dataset: sets.test, batchSize: 256, numWorkers: workers });
    const runner = new Runner({
      model,
      workDir,
      experimentName: `bench-epoch-${++runs}`,
      trainDataloader,
      valDataloader,
      trainCfg: { maxEpochs: 1, valInterval: 1 },
      optimWrapper: { optimizer },
      valEvaluator: new Evaluator(new Accuracy({ topk: [1] })),
      randomness: { seed: 0 },
      device: 'cpu',
      customHooks: [timer],
    });
    await runner.train();
    const totalSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return {
      contender: 'torch-node',
      threads: torch.getNumThreads(),
      workers,
      images,
      iterations: trainDataloader.length,
      trainSeconds: timer.seconds,
      totalSeconds,
      accuracy: runner.messageHub.getScalar('val/accuracy/top1').current(),
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

await serve({
  request: 'THREADS WORKERS IMAGES',
  integers: true,
  answer: (f) => measure(Number(f[0]), Number(f[1]), Number(f[2])),
});
