// NCCL on one GPU: a process group of one rank, its collectives on CUDA tensors, and
// DistributedDataParallel over it training to the same weights as the bare model. (Two NCCL
// ranks need two GPUs: NCCL refuses two ranks on one device.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as engine from '../../lib/engine/index.js';
import * as torch from '../../lib/index.js';
import { freePort } from '../distributed/support.js';
import { assertClose, needsCuda, values } from './support.js';

const skip = needsCuda || (torch.distributed.isNcclAvailable() ? false : 'the addon was built without NCCL');

class Net extends engine.BaseModel {
  fc1 = new torch.nn.Linear(8, 16);
  fc2 = new torch.nn.Linear(16, 1);
  forward(b: { x: torch.Tensor; y: torch.Tensor }, mode: engine.ForwardMode) {
    const out = this.fc2.forward(this.fc1.forward(b.x).relu());
    return mode === 'loss' ? { loss: out.sub(b.y).pow(2).mean() } : out;
  }
}

describe('NCCL, a group of one on this GPU', { skip }, () => {
  test('collectives on CUDA tensors, then DDP training equal to the bare model', async () => {
    torch.distributed.initProcessGroup({
      backend: 'nccl',
      initMethod: `tcp://127.0.0.1:${await freePort()}`,
      rank: 0,
      worldSize: 1,
    });
    try {
      assert.equal(torch.distributed.getBackend(), 'nccl');
      const t = torch.tensor([1, 2, 3], { device: 'cuda' });
      torch.distributed.allReduce(t);
      assert.deepEqual(values(t), [1, 2, 3]);
      await torch.distributed.allReduceAsync(t, { op: 'max' });
      assert.deepEqual(values(torch.distributed.broadcast(t, 0)), [1, 2, 3]);
      const gathered = torch.distributed.allGather(t);
      assert.equal(gathered.length, 1);
      assert.equal(gathered[0]?.device, 'cuda:0');
      torch.distributed.barrier();

      const make = () => {
        torch.manualSeed(7);
        return new Net().to('cuda');
      };
      torch.manualSeed(8);
      const batch = { x: torch.randn([32, 8], { device: 'cuda' }), y: torch.randn([32, 1], { device: 'cuda' }) };
      const train = (model: Net, step: (w: engine.OptimWrapper) => void) => {
        const wrapper = new engine.OptimWrapper({ optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.05 }) });
        for (let i = 0; i < 5; i++) torch.scope(() => step(wrapper));
      };
      const bare = make();
      train(bare, (w) => bare.trainStep(batch, w));
      const model = make();
      const ddp = new engine.DistributedDataParallel(model);
      train(model, (w) => ddp.trainStep(batch, w));
      const a = model.parameters();
      const b = bare.parameters();
      for (let i = 0; i < a.length; i++)
        assertClose(a[i] as torch.Tensor, b[i] as torch.Tensor, 1e-6, 1e-7, `param ${i}`);
      ddp.dispose();
    } finally {
      torch.distributed.destroyProcessGroup();
    }
  });
});
