// A training loop on CUDA keeps device memory flat: every step runs in a scope, so what it
// made is freed before the next one, and the caching allocator reuses the same blocks.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { needsCuda } from './support.js';

const { nn, optim } = torch;
const F = nn.functional;

describe('CUDA memory over a training loop', { skip: needsCuda }, () => {
  test('1,000 steps of a small CNN: allocated bytes and live tensors stay flat', () => {
    torch.manualSeed(0);
    const model = new nn.Sequential(
      new nn.Conv2d(3, 16, 3, { padding: 1 }),
      new nn.BatchNorm2d(16),
      new nn.ReLU(),
      new nn.Flatten(),
      new nn.Linear(16 * 16 * 16, 10),
    ).cuda();
    const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
    const x = torch.randn([32, 3, 16, 16], { device: 'cuda' });
    const y = torch.randint(10, [32], { device: 'cuda' });
    const samples: { step: number; allocated: number; tensors: number }[] = [];
    for (let step = 1; step <= 1000; step++) {
      torch.scope(() => {
        optimizer.zeroGrad();
        F.crossEntropy(model.forward(x) as torch.Tensor, y).backward();
        optimizer.step();
      });
      if (step === 10 || step % 250 === 0) {
        torch.cuda.synchronize();
        samples.push({ step, allocated: torch.cuda.memoryAllocated(), tensors: torch.memory().tensors });
      }
    }
    console.log(samples.map((s) => `step ${s.step}: ${s.allocated} B, ${s.tensors} tensors`).join('; '));
    const first = samples[0] as { allocated: number; tensors: number };
    for (const s of samples) {
      assert.equal(s.allocated, first.allocated, `allocated at step ${s.step}`);
      assert.equal(s.tensors, first.tensors, `live tensors at step ${s.step}`);
    }
    assert.ok(torch.cuda.maxMemoryAllocated() >= first.allocated);
    assert.ok(torch.cuda.memoryReserved() >= first.allocated);
  });
});
