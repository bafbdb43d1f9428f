// One rank of test/distributed/sync_buffers.test.ts: a model whose BatchNorm sees this rank's
// batches (offset by the rank, so the running statistics differ between ranks) trains one epoch
// with the Runner under launcher 'pytorch', with or without SyncBuffersHook, and reports its
// buffers after training.
//
//   node dist/test/distributed/sync_buffers-child.js <workDir> <sync: 0|1>   (env:// variables set)
//
// Run with no arguments (as `node --test dist/test/` does) it does nothing.
import * as engine from '../../lib/engine/index.js';
import * as torch from '../../lib/index.js';

type Tensor = torch.Tensor;

class Net extends engine.BaseModel {
  bn = new torch.nn.BatchNorm1d(2);
  fc = new torch.nn.Linear(2, 1);

  forward(b: { x: Tensor }, mode: engine.ForwardMode) {
    const rank = torch.distributed.getRank();
    const out = this.fc.forward(this.bn.forward(b.x.add(rank * 10)));
    if (mode === 'loss') return { loss: out.square().mean() };
    return [];
  }
}

async function main(workDir: string, sync: boolean): Promise<Record<string, unknown>> {
  const model = new Net();
  const runner = new engine.Runner({
    model,
    workDir,
    launcher: 'pytorch',
    device: 'cpu',
    trainDataloader: new engine.DataLoader({
      dataset: { length: 8, get: (i: number) => ({ x: [i, -2 * i] }) },
      batchSize: 2,
      collate: (s: unknown[]) => ({
        x: torch.tensor(
          (s as { x: number[] }[]).map((v) => v.x),
          { dtype: 'float32' },
        ),
      }),
    }),
    trainCfg: { maxEpochs: 1 },
    optimWrapper: { optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.01 }) },
    customHooks: sync ? [new engine.SyncBuffersHook()] : [],
    defaultHooks: { checkpoint: null },
    modelWrapperCfg: { broadcastBuffers: false },
    logLevel: 'error',
  });
  await runner.train();
  return {
    rank: runner.rank,
    runningMean: model.bn.running_mean?.toArray(),
    runningVar: model.bn.running_var?.toArray(),
    batches: Number(model.bn.num_batches_tracked?.item()),
  };
}

const [workDir, sync] = process.argv.slice(2);
if (workDir) process.stdout.write(`${JSON.stringify(await main(workDir, sync === '1'))}\n`);
