// torch.backends.cuda.matmul.allowTf32 on a GPU: with it on, a float32 matmul on CUDA may use
// TF32 tensor cores (a 10-bit mantissa), so it strays from the CPU's float32 result far more
// than with it off. Assumes an Ampere or newer GPU (the project's are H100/H200).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { needsCuda } from './support.js';

const { matmul } = torch.backends.cuda;

describe('torch.backends.cuda.matmul on CUDA', { skip: needsCuda }, () => {
  after(() => {
    matmul.allowTf32 = false;
    torch.setFloat32MatmulPrecision('highest');
  });

  test('allowTf32 = true makes a float32 matmul differ from the CPU by much more than false', () => {
    torch.scope(() => {
      torch.manualSeed(0);
      const a = torch.randn([2048, 2048]);
      const b = torch.randn([2048, 2048]);
      const cpu = a.matmul(b);
      const [ga, gb] = [a.cuda(), b.cuda()];
      const strayWith = (tf32: boolean) => {
        matmul.allowTf32 = tf32;
        return ga.matmul(gb).cpu().sub(cpu).abs().max().item() as number;
      };
      const full = strayWith(false);
      const tf32 = strayWith(true);
      assert.ok(tf32 > 10 * full, `max |gpu - cpu|: tf32 ${tf32}, full float32 ${full}`);
      assert.ok(full < 1e-2, `full float32 stray ${full}`);
    });
  });
});
