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
// With TORCH_NODE_BENCH_LOOP=raw the step is the plain loop instead (forward, backward,
// optimizer.step, zeroGrad, loss.item() in a scope), without the engine: what the engine adds
// per step is the difference (bench/ab_train.ts compares the two).
import { SmallResNet } from '../examples/models/small_resnet.js';
import { type BaseModel, OptimWrapper } from '../lib/engine/index.js';
import * as torch from '../lib/index.js';
import { type Batch, LeNet, Mlp } from './models.js';
import { serve } from './serve.js';

const { optim } = torch;

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
  /** User + system CPU time of the whole process (every thread) per timed step. */
  cpuMsPerStep: number;
  minorFaultsPerStep: number;
  loop: 'trainStep' | 'raw';
}

/** The benchmark's models in 'loss' mode, called directly by the raw loop. */
interface LossForward {
  forward(batch: Batch, mode: 'loss'): { loss: torch.Tensor };
}

const LOOP = process.env.TORCH_NODE_BENCH_LOOP === 'raw' ? 'raw' : 'trainStep';

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
    const step =
      LOOP === 'raw'
        ? () =>
            torch.scope(() => {
              const { loss } = (model as unknown as LossForward).forward(batch, 'loss');
              loss.backward();
              optimizer.step();
              optimizer.zeroGrad();
              return loss.item() as number;
            })
        : () => model.trainStep(batch, optimWrapper).loss as number;
    const firstLoss = step();
    const budgetNs = budgetMs * 1e6;
    const w0 = process.hrtime.bigint();
    for (let i = 1; i < warmup && Number(process.hrtime.bigint() - w0) < budgetNs / 4; i++) step();
    let lastLoss = firstLoss;
    let steps = 0;
    const u0 = process.resourceUsage();
    const t0 = process.hrtime.bigint();
    let ns = 0;
    while (steps < iters && ns < budgetNs) {
      lastLoss = step();
      steps++;
      ns = Number(process.hrtime.bigint() - t0);
    }
    const u1 = process.resourceUsage();
    const cpuUs = u1.userCPUTime + u1.systemCPUTime - u0.userCPUTime - u0.systemCPUTime;
    // Parameters, buffers and optimizer state outlive scopes (they are kept): free them now, so
    // that what remains alive afterwards is a leak.
    for (const s of optimizer.state.values())
      for (const v of Object.values(s)) if (v instanceof torch.Tensor) v.dispose();
    for (const p of model.parameters()) {
      p.grad?.dispose();
      p.dispose();
    }
    for (const b of model.buffers()) b.dispose();
    return { ns, steps, firstLoss, lastLoss, cpuUs, faults: u1.minorPageFault - u0.minorPageFault };
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
    cpuMsPerStep: result.cpuUs / 1e3 / result.steps,
    minorFaultsPerStep: result.faults / result.steps,
    loop: LOOP,
  };
}

await serve({
  request: 'MODEL ITERS WARMUP THREADS [BUDGET_MS]',
  usage: 'mlp|lenet|resnet ITERS WARMUP THREADS [BUDGET_MS]',
  answer: (f) =>
    measure(f[0] as string, Number(f[1]), Number(f[2]), Number(f[3]), f[4] === undefined ? undefined : Number(f[4])),
});
