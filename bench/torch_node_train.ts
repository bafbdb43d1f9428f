// The torch-node contender of the training-step benchmark (workload 2): each model is a
// BaseModel whose forward gives {loss} in 'loss' mode, trained through `model.trainStep(batch,
// optimWrapper)` with an OptimWrapper over SGD (lr 0.01, momentum 0.9), as a user of the engine
// writes it. The same models, seeds and batches as bench/python/train.py and bench/cpp/train.cpp.
//
//   node dist/bench/torch_node_train.js MODEL ITERS WARMUP THREADS [BUDGET_MS]   one JSON line
//   node dist/bench/torch_node_train.js --serve      a hello line, then one measurement per
//                                                    stdin line
// The timed loop stops early, after at least one step, once it has run BUDGET_MS (and the
// warm-up once it has run a quarter of that): a host too loaded for the planned steps still
// gives a measurement in bounded time. `iters` in the reply is the number of steps timed.
// MODEL: mlp (784-256-10, batch 64), lenet (LeNet-5, batch 64 of 1x28x28) or resnet (the
// SmallResNet of examples/, 16/32/64 channels, batch 32 of 3x32x32).
import { createInterface } from 'node:readline';
import { SmallResNet } from '../examples/models/small_resnet.js';
import { BaseModel, type ForwardMode, type LossDict, OptimWrapper } from '../lib/engine/index.js';
import * as torch from '../lib/index.js';

type Tensor = torch.Tensor;
const { nn, optim } = torch;
const F = nn.functional;

interface Batch {
  inputs: Tensor;
  dataSamples: Tensor;
}

class Mlp extends BaseModel<Tensor, Tensor> {
  fc1 = new nn.Linear(784, 256);
  fc2 = new nn.Linear(256, 10);

  forward(batch: Batch, mode: ForwardMode): LossDict | Tensor[] | Tensor {
    const logits = this.fc2.forward(F.relu(this.fc1.forward(batch.inputs)));
    if (mode === 'loss') return { loss: F.crossEntropy(logits, batch.dataSamples) };
    return logits;
  }
}

class LeNet extends BaseModel<Tensor, Tensor> {
  conv1 = new nn.Conv2d(1, 6, 5, { padding: 2 });
  conv2 = new nn.Conv2d(6, 16, 5);
  fc1 = new nn.Linear(400, 120);
  fc2 = new nn.Linear(120, 84);
  fc3 = new nn.Linear(84, 10);

  forward(batch: Batch, mode: ForwardMode): LossDict | Tensor[] | Tensor {
    let x = F.maxPool2d(F.relu(this.conv1.forward(batch.inputs)), 2);
    x = F.maxPool2d(F.relu(this.conv2.forward(x)), 2);
    x = F.relu(this.fc1.forward(x.flatten(1)));
    x = F.relu(this.fc2.forward(x));
    const logits = this.fc3.forward(x);
    if (mode === 'loss') return { loss: F.crossEntropy(logits, batch.dataSamples) };
    return logits;
  }
}

interface ModelSpec {
  make(): BaseModel;
  input: number[];
}

const MODELS: Record<string, ModelSpec> = {
  mlp: { make: () => new Mlp(), input: [64, 784] },
  lenet: { make: () => new LeNet(), input: [64, 1, 28, 28] },
  resnet: { make: () => new SmallResNet({ inChannels: 3, numClasses: 10, width: 16 }), input: [32, 3, 32, 32] },
};

export interface TrainMeasurement {
  contender: 'torch-node';
  model: string;
  iters: number;
  warmup: number;
  threads: number;
  msPerStep: number;
  /** The loss of the first step, from the seeded initial weights: the same in every contender. */
  firstLoss: number;
  lastLoss: number;
  /** Tensors still alive after the measurement (0 unless something leaked). */
  liveAfter: number;
}

export function measure(
  name: string,
  iters: number,
  warmup: number,
  threads: number,
  budgetMs = Number.POSITIVE_INFINITY,
): TrainMeasurement {
  const spec = MODELS[name];
  if (!spec) throw new Error(`unknown model '${name}'`);
  if (!(Number.isInteger(iters) && iters > 0 && Number.isInteger(warmup) && warmup >= 0))
    throw new Error('ITERS must be positive and WARMUP non-negative integers');
  torch.setNumThreads(threads);
  const before = torch.memory().tensors;
  const result = torch.scope(() => {
    // Weights from seed 0, then the batch from seed 1: the same numbers in every contender.
    torch.manualSeed(0);
    const model = spec.make();
    torch.manualSeed(1);
    const batch: Batch = {
      inputs: torch.randn(spec.input),
      dataSamples: torch.randint(0, 10, [spec.input[0] as number]),
    };
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const optimWrapper = new OptimWrapper({ optimizer });
    const firstLoss = model.trainStep(batch, optimWrapper).loss as number;
    const budgetNs = budgetMs * 1e6;
    const w0 = process.hrtime.bigint();
    for (let i = 1; i < warmup && Number(process.hrtime.bigint() - w0) < budgetNs / 4; i++)
      model.trainStep(batch, optimWrapper);
    let lastLoss = firstLoss;
    let steps = 0;
    const t0 = process.hrtime.bigint();
    let ns = 0;
    while (steps < iters && ns < budgetNs) {
      lastLoss = model.trainStep(batch, optimWrapper).loss as number;
      steps++;
      ns = Number(process.hrtime.bigint() - t0);
    }
    // Parameters, buffers and optimizer state outlive scopes (they are kept): free them now, so
    // that what remains alive afterwards is a leak.
    for (const s of optimizer.state.values())
      for (const v of Object.values(s)) if (v instanceof torch.Tensor) v.dispose();
    for (const p of model.parameters()) {
      p.grad?.dispose();
      p.dispose();
    }
    for (const b of model.buffers()) b.dispose();
    return { ns, steps, firstLoss, lastLoss };
  });
  return {
    contender: 'torch-node',
    model: name,
    iters: result.steps,
    warmup,
    threads: torch.getNumThreads(),
    msPerStep: result.ns / 1e6 / result.steps,
    firstLoss: result.firstLoss,
    lastLoss: result.lastLoss,
    liveAfter: torch.memory().tensors - before,
  };
}

function emit(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function runLine(line: string): void {
  const parts = line.trim().split(/\s+/);
  if (parts.length !== 4 && parts.length !== 5) {
    emit({ error: `expected 'MODEL ITERS WARMUP THREADS [BUDGET_MS]', got '${line.trim()}'` });
    return;
  }
  try {
    const budget = parts[4] === undefined ? undefined : Number(parts[4]);
    emit(measure(parts[0] as string, Number(parts[1]), Number(parts[2]), Number(parts[3]), budget));
  } catch (e) {
    emit({ error: e instanceof Error ? e.message : String(e) });
  }
}

function main(): void {
  const args = process.argv.slice(2);
  if (args.length === 1 && args[0] === '--serve') {
    emit({ contender: 'torch-node', hello: true, node: process.version, libtorch: torch.buildInfo().libtorch });
    createInterface({ input: process.stdin, terminal: false }).on('line', runLine);
    return;
  }
  if (args.length !== 4 && args.length !== 5) {
    process.stderr.write('usage: torch_node_train.js mlp|lenet|resnet ITERS WARMUP THREADS [BUDGET_MS], or --serve\n');
    process.exitCode = 2;
    return;
  }
  runLine(args.join(' '));
}

main();
