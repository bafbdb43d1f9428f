// One process of test/distributed/ddp.test.ts:
//
//   node dist/test/distributed/ddp-child.js <mode>
//
//   single      one process, no process group: 20 SGD steps on the whole batch of 16
//   ddp         each rank (env://) takes its half of the batch, through DistributedDataParallel
//   ddp-small   the same with 64-byte buckets (many buckets after the rebuild)
//   ddp-accum   each rank takes quarters of the batch in two micro-steps (accumulativeCounts 2,
//               the first under noSync)
//   unused      a model with a parameter that the loss never uses, findUnusedParameters (and
//               detectAnomalousParams) as the second argument says ('true'/'false')
//
// Each prints one JSON line: the final weights (and the losses). Run with no arguments (as
// `node --test dist/test/` does) it does nothing.
import * as engine from '../../lib/engine/index.js';
import * as torch from '../../lib/index.js';

type Tensor = torch.Tensor;
const F = torch.nn.functional;
const dist = torch.distributed;

interface Batch {
  inputs: Tensor;
  labels: Tensor;
}

class Mlp extends engine.BaseModel {
  fc1 = new torch.nn.Linear(8, 16);
  fc2 = new torch.nn.Linear(16, 4);
  unused: torch.nn.Linear | null = null;

  constructor(withUnused = false) {
    super();
    if (withUnused) this.unused = new torch.nn.Linear(4, 4);
  }

  forward(batch: Batch, mode: engine.ForwardMode): engine.LossDict | Tensor {
    const logits = this.fc2.forward(F.relu(this.fc1.forward(batch.inputs)));
    if (mode === 'loss') return { loss: F.crossEntropy(logits, batch.labels) };
    return logits;
  }
}

/** The same 16 samples in every process. */
function data(): Batch {
  torch.manualSeed(123);
  const inputs = torch.randn([16, 8]).keep();
  const labels = torch.randint(0, 4, [16]).keep();
  return { inputs, labels };
}

function slice(b: Batch, start: number, length: number): Batch {
  return { inputs: b.inputs.narrow(0, start, length), labels: b.labels.narrow(0, start, length) };
}

function weights(model: torch.nn.Module): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(model.stateDict()))
    out[k] = Array.from(v.flatten().toTypedArray() as Float32Array);
  return out;
}

function train(mode: string, arg: string | undefined): Record<string, unknown> {
  const distributed = mode !== 'single';
  if (distributed) dist.initProcessGroup({ backend: 'gloo', timeout: 20_000 });
  const rank = distributed ? dist.getRank() : 0;
  const batch = data();
  // Different initial weights per rank: DistributedDataParallel must make them rank 0's.
  torch.manualSeed(rank * 1000);
  const model = new Mlp(mode === 'unused');
  const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const accum = mode === 'ddp-accum' ? 2 : 1;
  const wrapper = new engine.OptimWrapper({ optimizer, accumulativeCounts: accum });
  const ddp = distributed
    ? new engine.DistributedDataParallel(model, {
        ...(mode === 'ddp-small' ? { bucketCapMb: 64 / 2 ** 20 } : {}),
        findUnusedParameters: mode === 'unused' && arg === 'true',
        detectAnomalousParams: mode === 'unused' && arg === 'true',
      })
    : null;
  const stepper: { trainStep(d: unknown, o: engine.OptimWrapper): engine.LogVars } = ddp ?? model;
  const losses: number[] = [];
  let localGradsDiffer: boolean | null = null;
  try {
    for (let step = 0; step < 20; step++) {
      if (!distributed) losses.push(stepper.trainStep(batch, wrapper).loss as number);
      else if (accum === 1) losses.push(stepper.trainStep(slice(batch, rank * 8, 8), wrapper).loss as number);
      else {
        for (let micro = 0; micro < accum; micro++) {
          losses.push(stepper.trainStep(slice(batch, rank * 8 + micro * 4, 4), wrapper).loss as number);
          if (step === 0 && micro === 0) {
            // Under noSync nothing was reduced: each rank holds its own gradient.
            const grads = dist.allGather(model.fc1.weight.grad as Tensor);
            localGradsDiffer =
              (grads[0] as Tensor)
                .sub(grads[1] as Tensor)
                .abs()
                .max()
                .item() !== 0;
          }
        }
      }
    }
  } catch (e) {
    return { rank, error: (e as Error).message.split('\n')[0], steps: losses.length };
  }
  const out = { rank, weights: weights(model), losses, localGradsDiffer, buckets: ddp?.reducer.bucketSizes() };
  ddp?.dispose();
  if (distributed) dist.destroyProcessGroup();
  return out;
}

const mode = process.argv[2];
if (mode) process.stdout.write(`${JSON.stringify(train(mode, process.argv[3]))}\n`);
