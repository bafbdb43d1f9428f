// The Runner and SyncBatchNorm outside a process group, as MMEngine's wrap_model: the layers are
// reverted to plain batch norms (the same parameters and buffers), so a SyncBatchNorm model
// trains alone exactly as its BatchNorm twin. The 2-rank case (syncBn: 'torch') is in
// test/distributed/runner.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { ArrayLoader, makeData } from './support.js';

type Tensor = torch.Tensor;
const F = torch.nn.functional;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

class BnMlp extends engine.BaseModel {
  fc1 = new torch.nn.Linear(2, 16);
  bn: torch.nn.Module;
  fc2 = new torch.nn.Linear(16, 3);
  constructor(sync: boolean) {
    super();
    this.bn = sync ? new torch.nn.SyncBatchNorm(16) : new torch.nn.BatchNorm1d(16);
  }
  forward(data: { inputs: Tensor; dataSamples: Tensor }, mode: engine.ForwardMode) {
    const h = F.relu((this.bn.forward as (x: Tensor) => Tensor)(this.fc1.forward(data.inputs.float())));
    const logits = this.fc2.forward(h);
    if (mode === 'loss') return { loss: F.crossEntropy(logits, data.dataSamples) };
    return logits;
  }
}

async function train(sync: boolean, logs: string[]): Promise<BnMlp> {
  torch.manualSeed(3);
  const model = new BnMlp(sync);
  const { xs, ys } = makeData(48);
  const workDir = mkdtempSync(join(tmpdir(), 'torch-node-syncbn-'));
  dirs.push(workDir);
  const runner = new engine.Runner({
    model,
    workDir,
    trainDataloader: new ArrayLoader(xs, ys, 16, true),
    trainCfg: { maxEpochs: 2 },
    optimWrapper: { optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }) },
    defaultHooks: { checkpoint: null, logger: null },
    randomness: { seed: 3 },
    syncBn: 'torch', // asked for, but not distributed: reverted all the same, as in MMEngine
    logLevel: 'info',
  });
  const info = runner.logger.info.bind(runner.logger);
  runner.logger.info = (message: string) => {
    logs.push(message);
    info(message);
  };
  await runner.train();
  return model;
}

test('not distributed, SyncBatchNorm layers become batch norms and train as BatchNorm1d does', async () => {
  const logs: string[] = [];
  const synced = await train(true, logs);
  const plain = await train(false, []);
  assert.ok(synced.bn instanceof engine._BatchNormXd, synced.bn.constructor.name);
  assert.ok(
    logs.some((l) => l.includes('all SyncBatchNorm (SyncBN) layers in the model will be automatically reverted')),
  );
  const a = synced.stateDict();
  const b = plain.stateDict();
  assert.deepEqual(Object.keys(a), Object.keys(b));
  for (const [k, v] of Object.entries(a)) {
    assert.deepEqual(v.toTypedArray(), (b[k] as Tensor).toTypedArray(), k);
  }
  assert.equal((a['bn.num_batches_tracked'] as Tensor).item(), 6); // 2 epochs x 3 batches
});
