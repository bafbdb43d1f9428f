// ImgDataPreprocessor on CUDA: the uint8 batch crosses pinned and non-blocking, is normalised
// on the device, and the result equals the CPU preprocessor's, alone and behind a DataLoader
// that pins its batches.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DataLoader, ImgDataPreprocessor, SyntheticImageDataset } from '../../lib/engine/index.js';
import * as torch from '../../lib/index.js';
import { assertClose, needsCuda } from './support.js';

const options = {
  mean: [123.675, 116.28, 103.53],
  std: [58.395, 57.12, 57.375],
  bgrToRgb: true,
  padSizeDivisor: 32,
  nonBlocking: true,
};

describe('ImgDataPreprocessor on CUDA', { skip: needsCuda }, () => {
  test('a 32x3x224x224 uint8 batch gives the CPU result, as float32 on the device', () => {
    torch.manualSeed(0);
    const batch = torch.randint(0, 256, [32, 3, 224, 224], { dtype: 'uint8' });
    const cpu = new ImgDataPreprocessor(options).forward({ inputs: batch }).inputs as torch.Tensor;
    const gpuPre = new ImgDataPreprocessor(options).to('cuda');
    for (let round = 0; round < 3; round++) {
      torch.scope(() => {
        const out = gpuPre.forward({ inputs: batch }).inputs as torch.Tensor;
        assert.equal(out.device, 'cuda:0');
        assert.equal(out.dtype, 'float32');
        assert.deepEqual(out.shape, [32, 3, 224, 224]);
        assertClose(out, cpu, 1e-6, 1e-6, `round ${round}`);
      });
    }
  });

  test('behind a DataLoader with pinMemory the batches arrive pinned and give the CPU result', async () => {
    const dataset = new SyntheticImageDataset({ length: 48 });
    const loader = new DataLoader({ dataset, batchSize: 16, pinMemory: true, seed: 3 });
    const gpuPre = new ImgDataPreprocessor(options).to('cuda');
    const cpuPre = new ImgDataPreprocessor(options);
    let batches = 0;
    for await (const batch of loader) {
      const { img } = batch as { img: torch.Tensor; label: torch.Tensor };
      assert.equal(img.dtype, 'uint8');
      assert.ok(img.isPinned(), 'the collated batch is pinned');
      const gpu = gpuPre.forward({ inputs: img }).inputs as torch.Tensor;
      const cpu = cpuPre.forward({ inputs: img }).inputs as torch.Tensor;
      assert.equal(gpu.device, 'cuda:0');
      assertClose(gpu, cpu, 1e-6, 1e-6, `batch ${batches}`);
      batches++;
    }
    assert.equal(batches, 3);
  });
});
