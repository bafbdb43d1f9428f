// MMEngine's tutorial example in TypeScript: `MMResNet50`, a BaseModel wrapping a
// torchvision-compatible ResNet-50 whose forward takes `(imgs, labels, mode)` from a tuple batch,
// trained by the Runner with SGD (lr 0.01, momentum 0.9) and validated with Accuracy.
//
//   node dist/examples/mmresnet50-cifar10.js --data DIR            # CIFAR-10 binary batches
//   node dist/examples/mmresnet50-cifar10.js --arch resnet18 --epochs 1 --limit 2000   # quick run
//   node dist/examples/mmresnet50-cifar10.js --help
//
// The datasets give `[img, label]` samples (`format: 'tuple'`), which collate to `[imgs, labels]`.
// TupleImgDataPreprocessor moves that batch to the model's device, converts the uint8 images to
// float and normalises them there with CIFAR-10's mean and std, and hands back `[imgs, labels]`,
// which BaseModel spreads into `forward(imgs, labels, mode)`. The Python original:
//
//   class MMResNet50(BaseModel):
//       def __init__(self):
//           super().__init__()
//           self.resnet = torchvision.models.resnet50()
//       def forward(self, imgs, labels, mode):
//           x = self.resnet(imgs)
//           if mode == 'loss':
//               return {'loss': F.cross_entropy(x, labels)}
//           elif mode == 'predict':
//               return x, labels
import { parseArgs } from 'node:util';
import * as engine from '../lib/engine/index.js';
import * as torch from '../lib/index.js';
import { type ResNet, resnet18, resnet50 } from '../lib/models/index.js';

const F = torch.nn.functional;
type Tensor = torch.Tensor;

const HELP = `usage: node dist/examples/mmresnet50-cifar10.js [options]
  --data DIR          CIFAR-10 binary batches (data_batch_*.bin, test_batch.bin)
  --dataset cifar10|synthetic   default cifar10 with --data, synthetic without
  --arch resnet50|resnet18      default resnet50 (resnet18 for a quick run)
  --epochs N          default 2
  --batch-size N      default 32 (the tutorial's)
  --limit N           use only the first N training samples (and N/5 test samples)
  --workers N         data worker threads, default 2
  --device cpu|cuda   default cuda when available
  --work-dir DIR      default work_dirs/mmresnet50-cifar10
  --seed N            default 0`;

const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    dataset: { type: 'string' },
    arch: { type: 'string', default: 'resnet50' },
    epochs: { type: 'string', default: '2' },
    'batch-size': { type: 'string', default: '32' },
    limit: { type: 'string' },
    workers: { type: 'string', default: '2' },
    device: { type: 'string' },
    'work-dir': { type: 'string', default: 'work_dirs/mmresnet50-cifar10' },
    seed: { type: 'string', default: '0' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}

/** The tutorial's model: forward(imgs, labels, mode) over a torchvision-style ResNet. */
export class MMResNet50 extends engine.BaseModel<engine.ClsResult, Tensor> {
  resnet: ResNet;

  constructor(options: { arch?: 'resnet50' | 'resnet18'; numClasses?: number } & engine.BaseModelOptions = {}) {
    const { arch = 'resnet50', numClasses = 10, ...base } = options;
    super(base);
    this.resnet = (arch === 'resnet18' ? resnet18 : resnet50)({ numClasses });
  }

  forward(imgs: Tensor, labels: Tensor, mode: 'loss'): engine.LossDict;
  forward(imgs: Tensor, labels: Tensor, mode: 'predict'): engine.ClsResult[];
  forward(imgs: Tensor, labels: Tensor, mode: 'tensor'): Tensor;
  forward(imgs: Tensor, labels: Tensor, mode: engine.ForwardMode): engine.LossDict | engine.ClsResult[] | Tensor;
  forward(imgs: Tensor, labels: Tensor, mode: engine.ForwardMode): engine.LossDict | engine.ClsResult[] | Tensor {
    const x = this.resnet.forward(imgs);
    if (mode === 'tensor') return x;
    if (mode === 'loss') return { loss: F.crossEntropy(x, labels) };
    return engine.toClsDataSamples({ predScore: F.softmax(x, 1), gtLabel: labels });
  }
}

const seed = Number(args.seed);
const arch = args.arch as string;
if (arch !== 'resnet50' && arch !== 'resnet18') throw new Error(`unknown --arch ${arch}: resnet50 or resnet18`);
const dataset = args.dataset ?? (args.data ? 'cifar10' : 'synthetic');
const limit = args.limit === undefined ? undefined : Number(args.limit);
torch.manualSeed(seed);

// CIFAR-10's per-channel mean and std on the 0-255 scale (the tutorial's, times 255).
const mean = [125.307, 122.961, 113.8575];
const std = [51.5865, 50.847, 51.255];

function datasets(): { train: engine.Dataset; test: engine.Dataset } {
  const trainTransforms = [
    { type: 'RandomCrop' as const, size: 32, padding: 4 },
    { type: 'RandomFlip' as const, prob: 0.5, direction: 'horizontal' as const },
  ];
  if (dataset === 'cifar10') {
    if (!args.data) throw new Error('--dataset cifar10 needs --data DIR (the folder of data_batch_*.bin)');
    const train = new engine.CIFAR10({ root: args.data, split: 'train', format: 'tuple', transforms: trainTransforms });
    const test = new engine.CIFAR10({ root: args.data, split: 'test', format: 'tuple' });
    if (limit === undefined) return { train, test };
    const head = (d: engine.Dataset, n: number) =>
      new engine.Subset(
        d,
        Array.from({ length: Math.min(n, d.length) }, (_, i) => i),
      );
    return { train: head(train, limit), test: head(test, Math.max(1, Math.floor(limit / 5))) };
  }
  if (dataset === 'synthetic') {
    const o = { seed, format: 'tuple' as const };
    const lengths = limit === undefined ? {} : { train: limit, test: Math.max(1, Math.floor(limit / 5)) };
    return {
      train: new engine.SyntheticImageDataset({
        ...o,
        split: 'train',
        transforms: trainTransforms,
        ...(lengths.train ? { length: lengths.train } : {}),
      }),
      test: new engine.SyntheticImageDataset({
        ...o,
        split: 'test',
        ...(lengths.test ? { length: lengths.test } : {}),
      }),
    };
  }
  throw new Error(`unknown --dataset ${dataset}: cifar10 or synthetic`);
}

const data = datasets();
const model = new MMResNet50({
  arch,
  dataPreprocessor: new engine.TupleImgDataPreprocessor({ mean, std, nonBlocking: true }),
});
const workers = Number(args.workers);
const trainDataloader = new engine.DataLoader({
  dataset: data.train,
  batchSize: Number(args['batch-size']),
  shuffle: true,
  numWorkers: workers,
  seed,
  pinMemory: true,
  persistentWorkers: true,
});
const valDataloader = new engine.DataLoader({
  dataset: data.test,
  batchSize: Number(args['batch-size']),
  numWorkers: workers,
  persistentWorkers: true,
});
const epochs = Number(args.epochs);

const runner = new engine.Runner({
  model,
  workDir: args['work-dir'] as string,
  trainDataloader,
  valDataloader,
  trainCfg: { maxEpochs: epochs, valInterval: 1 },
  optimWrapper: { optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 }) },
  valEvaluator: new engine.Evaluator(new engine.Accuracy({ topk: [1] })),
  defaultHooks: { logger: { interval: 10 }, checkpoint: { interval: 1, maxKeepCkpts: 1 } },
  randomness: { seed },
  ...(args.device ? { device: args.device } : {}),
});

const started = Date.now();
await runner.train();
await trainDataloader.close?.();
await valDataloader.close?.();
const accuracy = runner.messageHub.getScalar('val/accuracy/top1').current();
console.log(
  `\n${arch} on ${dataset}: ${epochs} epoch(s) in ${((Date.now() - started) / 1000).toFixed(0)} s, ` +
    `val accuracy ${accuracy.toFixed(2)}%\nlogs and checkpoints: ${runner.logDir}`,
);
