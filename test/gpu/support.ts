// Shared by the GPU suite: whether it runs here, and small helpers to compare CUDA results
// with the same computation on the CPU.
import assert from 'node:assert/strict';
import * as torch from '../../lib/index.js';

/** `false` where CUDA is available, else the reason every GPU test gives for skipping. */
export const needsCuda: false | string = torch.cuda.isAvailable()
  ? false
  : `CUDA is not available (${torch.buildInfo().cuda ? 'CUDA build, no GPU or driver' : 'CPU build of the addon'})`;

/**
 * The device that the suites comparing a device with the CPU run on: 'cuda', or what
 * TN_GPU_TEST_DEVICE names. `TN_GPU_TEST_DEVICE=cpu` runs them CPU against CPU, which checks
 * the tests themselves on a machine without a GPU (the values must then agree exactly).
 */
export const device: string = process.env.TN_GPU_TEST_DEVICE ?? 'cuda';

/** `false` where `device` can run, else why the test is skipped. */
export const needsDevice: false | string = device.startsWith('cuda') ? needsCuda : false;

/** A tensor's elements as float64 numbers, wherever the tensor lives. */
export function values(t: torch.Tensor): number[] {
  return Array.from(t.detach().cpu().double().toTypedArray() as Float64Array);
}

/** |a - b| <= atol + rtol * |b| elementwise, with the first offending index in the message. */
export function assertClose(actual: torch.Tensor, expected: torch.Tensor, rtol: number, atol: number, what = ''): void {
  assert.deepEqual(actual.shape, expected.shape, `${what} shape`);
  const a = values(actual);
  const e = values(expected);
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = e[i] as number;
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y)) && !(Number.isNaN(x) && Number.isNaN(y))) {
      assert.fail(`${what}[${i}]: ${x} on CUDA vs ${y} on the CPU (rtol ${rtol}, atol ${atol})`);
    }
  }
}
