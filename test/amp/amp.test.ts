// torch.autocast and torch.amp.GradScaler on the CPU, as PyTorch 2.13: CPU autocast takes
// bfloat16 and float16 (another dtype warns and turns it off); a CUDA scaler without CUDA warns
// and turns itself off; step() refuses an iteration that never scaled, and one whose optimizer
// had no gradient to check.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';

describe('autocast on the CPU', () => {
  test('float16 and bfloat16 run matmuls in that dtype, cross-entropy in float32 (Python gives the same dtypes)', () => {
    const a = torch.randn([2, 3]);
    const b = torch.randn([3, 2]);
    for (const dtype of ['float16', 'bfloat16'] as const) {
      torch.autocast(
        'cpu',
        () => {
          assert.equal(a.matmul(b).dtype, dtype);
          assert.equal(torch.nn.functional.crossEntropy(a.matmul(b), torch.tensor([0, 1])).dtype, 'float32');
        },
        { dtype },
      );
    }
  });

  test('another dtype warns and turns autocast off', async () => {
    const warned = once(process, 'warning');
    const a = torch.randn([2, 3]);
    torch.autocast(
      'cpu',
      () => {
        assert.equal(torch.amp.isAutocastEnabled('cpu'), false);
        assert.equal(a.matmul(a.t()).dtype, 'float32');
      },
      { dtype: 'float64' },
    );
    const [w] = (await warned) as [Error];
    assert.match(w.message, /CPU autocast, but the target dtype \(float64\) is not supported\. Disabling autocast/);
  });
});

describe('GradScaler', () => {
  test('a CUDA scaler where CUDA is not available warns and is disabled', {
    skip: torch.cuda.isAvailable() && 'CUDA is available here',
  }, async () => {
    const warned = once(process, 'warning');
    const s = new torch.amp.GradScaler();
    assert.equal(s.isEnabled(), false);
    assert.match(
      ((await warned) as [Error])[0].message,
      /GradScaler is enabled, but CUDA is not available\. {2}Disabling\./,
    );
    const loss = torch.tensor(2.0);
    assert.equal(s.scale(loss), loss, 'disabled: scale() gives the loss back');
  });

  test('step() before any scale(), and step() with no gradient to check, are errors', () => {
    const p = torch.zeros([2], { requiresGrad: true });
    const opt = new torch.optim.SGD([p], { lr: 0.1 });
    const fresh = new torch.amp.GradScaler('cpu');
    assert.throws(() => fresh.step(opt), /Attempted step but the scale is unset/);
    const s = new torch.amp.GradScaler('cpu');
    s.scale(torch.tensor(1.0));
    assert.throws(() => s.step(opt), /No inf checks were recorded for this optimizer\./);
    // With a gradient the same sequence steps.
    const ok = new torch.amp.GradScaler('cpu', { initScale: 4 });
    ok.scale(p.mul(torch.tensor([1, 1])).sum()).backward();
    ok.step(opt);
    ok.update();
    assert.deepEqual(p.toArray(), [-0.1, -0.1].map(Math.fround));
  });
});
