// CUDA tensors and ops give what the same ops give on the CPU, autograd works on CUDA, and
// mistakes (mixed devices, a bad device index) are clear errors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { assertClose, needsCuda, values } from './support.js';

const { nn, optim } = torch;
const F = nn.functional;

/** Runs `fn` on CPU inputs and on copies of them on CUDA; the results must agree. */
function sameOnCuda(
  what: string,
  inputs: torch.Tensor[],
  fn: (...xs: torch.Tensor[]) => torch.Tensor,
  rtol = 1e-5,
  atol = 1e-6,
): void {
  torch.scope(() => {
    const cpu = fn(...inputs);
    const gpu = fn(...inputs.map((x) => x.cuda()));
    assert.equal(gpu.device, 'cuda:0', `${what}: result device`);
    assert.equal(gpu.dtype, cpu.dtype, `${what}: result dtype`);
    assertClose(gpu, cpu, rtol, atol, what);
  });
}

describe('CUDA tensors', { skip: needsCuda }, () => {
  test('creation on the device, devices and dtypes, copies both ways', () => {
    torch.manualSeed(0);
    const a = torch.randn([3, 4], { device: 'cuda' });
    assert.equal(a.device, 'cuda:0');
    assert.equal(a.isCuda, true);
    const back = a.cpu();
    assert.equal(back.device, 'cpu');
    assert.deepEqual(values(back.cuda().cpu()), values(back));
    for (const dtype of ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'uint8', 'bool'] as const) {
      const t = torch.tensor([1, 0, 3], { dtype, device: 'cuda' });
      assert.equal(t.dtype, dtype);
      assert.deepEqual(values(t), dtype === 'bool' ? [1, 0, 1] : [1, 0, 3], dtype);
    }
    const z = torch.zeros([2, 2], { device: 'cuda:0' });
    assert.deepEqual(values(z), [0, 0, 0, 0]);
    assert.ok(torch.cuda.deviceCount() >= 1);
  });

  test('elementwise ops, reductions, matmul and indexing match the CPU', () => {
    torch.manualSeed(1);
    const x = torch.randn([64, 48]);
    const y = torch.randn([64, 48]);
    const w = torch.randn([48, 32]);
    sameOnCuda('add/mul/div', [x, y], (a, b) => a.add(b).mul(a).div(b.abs().add(1)));
    sameOnCuda('exp/log/tanh/sigmoid', [x], (a) => a.exp().add(1).log().tanh().sigmoid());
    sameOnCuda('sum/mean/max', [x], (a) => torch.stack([a.sum(), a.mean(), a.max(), a.std()]), 1e-5, 1e-5);
    sameOnCuda('sum over a dim', [x], (a) => a.sum(1));
    sameOnCuda('argmax', [x], (a) => a.argmax(1));
    sameOnCuda('matmul', [x, w], (a, b) => a.matmul(b), 1e-4, 1e-4);
    sameOnCuda('softmax', [x], (a) => F.softmax(a, 1));
    sameOnCuda('cat/transpose/contiguous', [x, y], (a, b) => torch.cat([a, b], 0).t().contiguous());
    sameOnCuda('indexing and masks', [x], (a) => a.at(a.gt(0.5)));
    sameOnCuda('where/clamp', [x, y], (a, b) => torch.where(a.gt(b), a, b).clamp({ min: -0.5, max: 0.5 }));
    sameOnCuda('float64 matmul', [x.double(), w.double()], (a, b) => a.matmul(b), 1e-12, 1e-12);
    sameOnCuda('int64 arithmetic', [torch.arange(100)], (a) => a.mul(a).remainder(7).cumsum(0));
  });

  test('convolution, pooling, batch norm and cross-entropy match the CPU', () => {
    torch.manualSeed(2);
    const img = torch.randn([4, 3, 16, 16]);
    const k = torch.randn([8, 3, 3, 3]);
    sameOnCuda('conv2d', [img, k], (a, b) => F.conv2d(a, b, { padding: 1 }), 1e-4, 1e-4);
    sameOnCuda('maxPool2d', [img], (a) => F.maxPool2d(a, [2, 2]));
    sameOnCuda('batchNorm (training)', [img], (a) => F.batchNorm(a, null, null, { training: true }), 1e-4, 1e-4);
    const logits = torch.randn([16, 10]);
    const target = torch.randint(10, [16]);
    sameOnCuda('crossEntropy', [logits, target], (a, b) => F.crossEntropy(a, b), 1e-5, 1e-6);
  });

  test('autograd on CUDA gives the CPU gradients', () => {
    torch.manualSeed(3);
    const x = torch.randn([8, 5]);
    const w = torch.randn([5, 3]);
    const grads = (device: 'cpu' | 'cuda') =>
      torch.scope(() => {
        const xd = x.to(device).requiresGrad_();
        const wd = w.to(device).requiresGrad_();
        xd.matmul(wd).tanh().pow(2).sum().backward();
        return [torch.keep(xd.grad as torch.Tensor), torch.keep(wd.grad as torch.Tensor)];
      });
    const [gx, gw] = grads('cuda');
    const [cx, cw] = grads('cpu');
    assert.equal(gx?.device, 'cuda:0');
    assertClose(gx as torch.Tensor, cx as torch.Tensor, 1e-5, 1e-6, 'grad x');
    assertClose(gw as torch.Tensor, cw as torch.Tensor, 1e-5, 1e-6, 'grad w');
  });

  test('a module moved with cuda() trains to the same weights as on the CPU (float64)', () => {
    const make = () => {
      torch.manualSeed(4);
      return new nn.Sequential(new nn.Linear(6, 16), new nn.ReLU(), new nn.Linear(16, 3)).double();
    };
    torch.manualSeed(5);
    const x = torch.randn([32, 6], { dtype: 'float64' });
    const y = torch.randint(3, [32]);
    const train = (model: torch.nn.Sequential, device: 'cpu' | 'cuda') => {
      model.to(device);
      const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
      const [xd, yd] = [x.to(device), y.to(device)];
      for (let i = 0; i < 10; i++) {
        torch.scope(() => {
          opt.zeroGrad();
          F.crossEntropy(model.forward(xd) as torch.Tensor, yd).backward();
          opt.step();
        });
      }
      return model;
    };
    const gpu = train(make(), 'cuda');
    const cpu = train(make(), 'cpu');
    const gp = gpu.parameters();
    const cp = cpu.parameters();
    assert.equal(gp[0]?.device, 'cuda:0');
    for (let i = 0; i < cp.length; i++)
      assertClose(gp[i] as torch.Tensor, cp[i] as torch.Tensor, 1e-10, 1e-12, `param ${i}`);
  });

  test('mixing devices and a missing device index are clear errors, not crashes', () => {
    const a = torch.ones([2], { device: 'cuda' });
    const b = torch.ones([2]);
    assert.throws(() => a.add(b.expand([3, 2]).contiguous()), /same device|cuda:0 and cpu|cpu and cuda:0/i);
    assert.throws(() => torch.ones([2]).matmul(torch.ones([2], { device: 'cuda' })), /device/i);
    const bad = torch.cuda.deviceCount();
    assert.throws(() => torch.ones([2], { device: `cuda:${bad}` }), /device|ordinal|invalid/i);
  });

  test('a CUDA tensor saved with torch.save loads back on the CPU with its values', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'torch-node-gpu-'));
    try {
      const t = torch.arange(6, { dtype: 'float32', device: 'cuda' }).reshape([2, 3]);
      const file = join(dir, 't.pt');
      torch.save({ t }, file);
      // Without mapLocation it would go back to CUDA, where it was saved (see load_location.test.ts).
      const loaded = torch.load(file, { mapLocation: 'cpu' }) as { t: torch.Tensor };
      assert.equal(loaded.t.device, 'cpu');
      assert.deepEqual(values(loaded.t), [0, 1, 2, 3, 4, 5]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
