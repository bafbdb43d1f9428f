// The main job: a small ResNet (BaseModel + ClsDataPreprocessor) trained with the Runner.
//
//   npm start                                  # the built-in synthetic set, 2 epochs, ~2 min on 2 cores
//   npm start -- --dataset fashion-mnist       # Fashion-MNIST (Debian's dataset-fashion-mnist), 2 epochs
//   npx torch-node run --nproc-per-node 2 dist/examples/train.js --launcher pytorch   # 2 processes, DDP
//   node dist/examples/train.js --help
//
// It logs MMEngine-style lines, validates every epoch with Accuracy, keeps the best checkpoint,
// and writes work_dirs/<name>/<timestamp>/vis_data/{scalars.json, events.out.tfevents.*,
// scalars.png}.
import { parseArgs } from 'node:util';
import * as engine from '../lib/engine/index.js';
import * as torch from '../lib/index.js';
import { SmallResNet } from './models/small_resnet.js';

const HELP = `usage: node dist/examples/train.js [options]
  --dataset synthetic|fashion-mnist|mnist|cifar10   default synthetic
  --data DIR          dataset folder (default: Debian's for Fashion-MNIST; required for cifar10)
  --epochs N          default 2
  --batch-size N      default 128
  --lr X              AdamW learning rate, default 3e-3
  --width N           channels of the first stage, default 16
  --workers N         data worker threads, default 1
  --threads N         libtorch threads, default: libtorch's
  --device cpu|cuda   default cuda when available
  --work-dir DIR      default work_dirs/<dataset>
  --resume            continue from the work dir's last checkpoint
  --seed N            default 0
  --launcher none|pytorch   pytorch: one process of a distributed job started by
                      \`torch-node run --nproc-per-node N dist/examples/train.js --launcher pytorch\`
                      (--batch-size is then per process)`;

const { values: args } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'synthetic' },
    data: { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string', default: '128' },
    lr: { type: 'string', default: '3e-3' },
    width: { type: 'string', default: '16' },
    workers: { type: 'string', default: '1' },
    threads: { type: 'string' },
    device: { type: 'string' },
    'work-dir': { type: 'string' },
    resume: { type: 'boolean', default: false },
    seed: { type: 'string', default: '0' },
    launcher: { type: 'string', default: 'none' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}

const dataset = args.dataset as string;
const seed = Number(args.seed);
const launcher = args.launcher as 'none' | 'pytorch';
if (launcher !== 'none' && launcher !== 'pytorch') throw new Error(`unknown --launcher ${launcher}: none or pytorch`);
// Joined here rather than by the Runner, so that the train loader's sampler (and with it the
// number of iterations an epoch has) is this process's share from the start.
if (launcher === 'pytorch') torch.distributed.initProcessGroup();
if (args.threads) torch.setNumThreads(Number(args.threads));
torch.manualSeed(seed);

/** The train and test sets, their channels and their per-channel mean and std (0-255 scale). */
function datasets() {
  switch (dataset) {
    case 'synthetic': {
      const o = { seed, channels: 3 as const, size: 32 };
      return {
        train: new engine.SyntheticImageDataset({
          ...o,
          split: 'train',
          transforms: [{ type: 'RandomCrop', size: 32, padding: 2 }],
        }),
        test: new engine.SyntheticImageDataset({ ...o, split: 'test' }),
        channels: 3,
        mean: [127.5, 127.5, 127.5],
        std: [64, 64, 64],
      };
    }
    case 'fashion-mnist':
    case 'mnist': {
      const Cls = dataset === 'mnist' ? engine.MNIST : engine.FashionMNIST;
      const root = args.data;
      return {
        // Flips only: within two epochs, random crops cost more accuracy than they bring.
        train: new Cls({
          root,
          split: 'train',
          transforms: [{ type: 'RandomFlip', prob: 0.5, direction: 'horizontal' }],
        }),
        test: new Cls({ root, split: 'test' }),
        channels: 1,
        mean: dataset === 'mnist' ? [33.3] : [72.9],
        std: dataset === 'mnist' ? [78.6] : [90.0],
      };
    }
    case 'cifar10': {
      if (!args.data) throw new Error('--dataset cifar10 needs --data DIR (the folder of data_batch_*.bin)');
      return {
        train: new engine.CIFAR10({
          root: args.data,
          split: 'train',
          transforms: [
            { type: 'RandomCrop', size: 32, padding: 4 },
            { type: 'RandomFlip', prob: 0.5, direction: 'horizontal' },
          ],
        }),
        test: new engine.CIFAR10({ root: args.data, split: 'test' }),
        channels: 3,
        mean: [125.3, 123.0, 113.9],
        std: [63.0, 62.1, 66.7],
      };
    }
    default:
      throw new Error(`unknown --dataset ${dataset}: synthetic, fashion-mnist, mnist or cifar10`);
  }
}

const data = datasets();
const batchSize = Number(args['batch-size']);
const workers = Number(args.workers);
const model = new SmallResNet({
  inChannels: data.channels,
  numClasses: 10,
  width: Number(args.width),
  dataPreprocessor: new engine.ClsDataPreprocessor({ mean: data.mean, std: data.std, nonBlocking: true }),
});
const epochs = Number(args.epochs ?? 2);
const trainDataloader = new engine.DataLoader({
  dataset: data.train,
  batchSize,
  ...(launcher === 'pytorch' ? { sampler: new engine.DistributedSampler(data.train, { seed }) } : { shuffle: true }),
  numWorkers: workers,
  seed,
  pinMemory: true,
  persistentWorkers: true,
});
const valDataloader = new engine.DataLoader({
  dataset: data.test,
  batchSize: 256,
  numWorkers: workers,
  persistentWorkers: true,
});
const optimizer = new torch.optim.AdamW(model.parameters(), { lr: Number(args.lr), weightDecay: 1e-4 });

const runner = new engine.Runner({
  model,
  workDir: args['work-dir'] ?? `work_dirs/${dataset}`,
  trainDataloader,
  valDataloader,
  trainCfg: { maxEpochs: epochs, valInterval: 1 },
  optimWrapper: { optimizer },
  // Cosine decay over the epochs, stepped per iteration (MMEngine's config; the same schedule as
  // PyTorch's CosineAnnealingLR with TMax = all iterations, stepped each iteration).
  paramScheduler: { type: 'CosineAnnealingLR', TMax: epochs, etaMin: 1e-5, convertToIterBased: true },
  valEvaluator: new engine.Evaluator(new engine.Accuracy({ topk: [1] })),
  defaultHooks: { logger: { interval: 20 }, checkpoint: { interval: 1, maxKeepCkpts: 2, saveBest: 'accuracy/top1' } },
  randomness: { seed },
  launcher,
  resume: args.resume,
  ...(args.device ? { device: args.device } : {}),
  visualizer: (dir) => new engine.Visualizer({ saveDir: dir }),
});

const started = Date.now();
await runner.train();
await trainDataloader.close?.();
await valDataloader.close?.();
const accuracy = runner.messageHub.getScalar('val/accuracy/top1').current();
if (runner.rank === 0)
  console.log(
    `\n${dataset}: ${epochs} epochs in ${((Date.now() - started) / 1000).toFixed(0)} s, test accuracy ${accuracy.toFixed(2)}%` +
      `\nlogs, checkpoints and curves: ${runner.logDir}`,
  );
