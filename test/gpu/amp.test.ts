// Mixed precision on CUDA: float16 under autocast with the GradScaler, and bfloat16, train a
// small classifier to the accuracy that float32 reaches.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AmpOptimWrapper, OptimWrapper } from '../../lib/engine/index.js';
import * as torch from '../../lib/index.js';
import { needsCuda } from './support.js';

const { nn, optim } = torch;
const F = nn.functional;

/** Four Gaussian blobs in 16 dimensions, a fixed train/test split, on the GPU. */
function blobs() {
  torch.manualSeed(0);
  const centers = torch.randn([4, 16]).mul(1.2);
  const make = (n: number) => {
    const y = torch.randint(4, [n]);
    const x = centers.indexSelect(0, y).add(torch.randn([n, 16]));
    return { x: x.cuda(), y: y.cuda() };
  };
  return { train: make(2048), test: make(1024) };
}

type Precision = 'float32' | 'float16' | 'bfloat16';

function trainAndTest(precision: Precision): { accuracy: number; scale: number | null } {
  const data = blobs();
  torch.manualSeed(1);
  const model = new nn.Sequential(new nn.Linear(16, 64), new nn.ReLU(), new nn.Linear(64, 4)).cuda();
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const wrapper =
    precision === 'float32' ? new OptimWrapper({ optimizer }) : new AmpOptimWrapper({ optimizer, dtype: precision });
  for (let epoch = 0; epoch < 5; epoch++) {
    for (let i = 0; i < 2048; i += 64) {
      torch.scope(() => {
        const x = data.train.x.narrow(0, i, 64);
        const y = data.train.y.narrow(0, i, 64);
        const loss = wrapper.optimContext(model, () => {
          const logits = model.forward(x) as torch.Tensor;
          if (precision !== 'float32') assert.equal(logits.dtype, precision, 'autocast computes in the low precision');
          return F.crossEntropy(logits.float(), y);
        });
        wrapper.updateParams(loss);
      });
    }
  }
  const accuracy = torch.noGrad(() =>
    torch.scope(() => (model.forward(data.test.x) as torch.Tensor).argmax(1).eq(data.test.y).float().mean().item()),
  ) as number;
  const scale =
    wrapper instanceof AmpOptimWrapper && precision === 'float16' ? (wrapper.lossScaler?.getScale() ?? null) : null;
  return { accuracy, scale };
}

describe('AMP on CUDA', { skip: needsCuda }, () => {
  test('float16 with the GradScaler and bfloat16 reach float32 accuracy', () => {
    const fp32 = trainAndTest('float32');
    const fp16 = trainAndTest('float16');
    const bf16 = trainAndTest('bfloat16');
    console.log(
      `accuracy: float32 ${fp32.accuracy}, float16 ${fp16.accuracy} (scale ${fp16.scale}), bfloat16 ${bf16.accuracy}`,
    );
    assert.ok(fp32.accuracy > 0.9, `float32 learns: ${fp32.accuracy}`);
    assert.ok(fp16.accuracy >= fp32.accuracy - 0.02, `float16 ${fp16.accuracy} vs float32 ${fp32.accuracy}`);
    assert.ok(bf16.accuracy >= fp32.accuracy - 0.02, `bfloat16 ${bf16.accuracy} vs float32 ${fp32.accuracy}`);
    assert.ok(fp16.scale !== null && fp16.scale > 0, 'the scaler kept a positive scale');
  });

  test('a float16 overflow makes the GradScaler skip the step and halve the scale', () => {
    const p = torch.tensor([1, 2, 3], { dtype: 'float32', device: 'cuda', requiresGrad: true });
    const optimizer = new optim.SGD([p], { lr: 0.1 });
    const scaler = new torch.amp.GradScaler('cuda', { initScale: 2 ** 16 });
    const loss = torch.autocast('cuda', () => p.half().mul(60000).sum());
    scaler.scale(loss).backward();
    scaler.step(optimizer);
    scaler.update();
    assert.deepEqual(Array.from(p.detach().cpu().toTypedArray() as Float32Array), [1, 2, 3], 'the step was skipped');
    assert.equal(scaler.getScale(), 2 ** 15);
  });
});
