// torch.autocast: ops inside run in a lower precision where that is safe (matmuls and
// convolutions in float16 or bfloat16, reductions and losses in float32), as PyTorch decides.
import { native } from '../../binding.js';
import { type DType, dtypeCode } from '../dtype.js';

export interface AutocastOptions {
  /** Default: float16 on CUDA, bfloat16 on the CPU (which also takes float16). */
  dtype?: DType;
  enabled?: boolean;
  /** Cache the low-precision copies of weights within the region (default true). */
  cacheEnabled?: boolean;
}

/** Runs the synchronous `fn` with autocast on for `deviceType`, and restores the previous state. */
export function autocast<T>(deviceType: 'cpu' | 'cuda', fn: () => T, options?: AutocastOptions): T {
  const dtype = options?.dtype ?? (deviceType === 'cuda' ? 'float16' : 'bfloat16');
  let on = options?.enabled ?? true;
  // As PyTorch: CPU autocast takes bfloat16 or float16; another dtype warns and turns it off.
  if (deviceType === 'cpu' && dtype !== 'bfloat16' && dtype !== 'float16' && on) {
    process.emitWarning(
      `In CPU autocast, but the target dtype (${dtype}) is not supported. Disabling autocast. CPU Autocast only supports bfloat16 and float16.`,
      'UserWarning',
    );
    on = false;
  }
  const [enabled, previousDtype, cache] = native.autocastEnter(
    deviceType,
    on,
    dtypeCode(dtype, 'autocast') as number,
    options?.cacheEnabled ?? true,
  );
  try {
    const result = fn();
    if (result instanceof Promise) {
      throw new TypeError(
        'autocast: fn must be synchronous (the autocast state is per thread and would leak across awaits)',
      );
    }
    return result;
  } finally {
    native.autocastExit(deviceType, enabled, previousDtype, cache);
  }
}

export function isAutocastEnabled(deviceType: 'cpu' | 'cuda' = 'cuda'): boolean {
  return native.isAutocastEnabled(deviceType);
}
