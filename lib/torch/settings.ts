// Global switches that PyTorch scripts set at their top: the default dtype, deterministic
// algorithms, float32 matmul precision, denormal flushing. Each one is
// libtorch's own global (c10/at::globalContext), so native ops see the same setting.
import {
  $_deterministic_state,
  $_float32_matmul_precision,
  $_set_default_dtype,
  $_set_deterministic,
  $_set_float32_matmul_precision,
  $_set_flush_denormal,
  $_set_warn_always,
  $_warn_always,
} from '../generated/impl.js';
import { defaultFloatDtype, rememberDefaultFloatDtype } from './default_dtype.js';
import { type DType, isDType, isFloatingPoint } from './dtype.js';
import { describe } from './marshal.js';

/**
 * torch.set_default_dtype(d): the dtype that float data and creation ops without a dtype give
 * (torch.tensor([1.5]), torch.zeros, torch.rand, int tensor * 0.5, ...). Only floating dtypes
 * are accepted, as in PyTorch.
 */
export function setDefaultDtype(d: DType): void {
  if (!isDType(d) || !isFloatingPoint(d)) {
    throw new TypeError(
      `setDefaultDtype: only floating-point dtypes (float32, float64, float16, bfloat16) can be the default, got ${typeof d === 'string' ? `'${d}'` : describe(d)}`,
    );
  }
  $_set_default_dtype(d);
  rememberDefaultFloatDtype(d);
}

/** torch.get_default_dtype(). */
export function getDefaultDtype(): DType {
  return defaultFloatDtype();
}

/**
 * torch.use_deterministic_algorithms(mode, *, warn_only=False): with it on, ops without a
 * deterministic implementation throw (or, with warnOnly, warn) instead of running.
 */
export function useDeterministicAlgorithms(mode: boolean, options?: { warnOnly?: boolean }): void {
  if (typeof mode !== 'boolean') {
    throw new TypeError(`useDeterministicAlgorithms: 'mode' must be a boolean, got ${describe(mode)}`);
  }
  $_set_deterministic(mode, options?.warnOnly ?? false);
}

export function areDeterministicAlgorithmsEnabled(): boolean {
  return $_deterministic_state(false);
}

export function isDeterministicAlgorithmsWarnOnlyEnabled(): boolean {
  return $_deterministic_state(true);
}

export type DeterministicDebugMode = 'default' | 'warn' | 'error' | 0 | 1 | 2;

/**
 * torch.set_deterministic_debug_mode: the same switch as useDeterministicAlgorithms, by level
 * ('default' or 0: off, 'warn' or 1: warn only, 'error' or 2: throw).
 */
export function setDeterministicDebugMode(mode: DeterministicDebugMode): void {
  const level = typeof mode === 'string' ? ['default', 'warn', 'error'].indexOf(mode) : mode;
  if (level !== 0 && level !== 1 && level !== 2) {
    throw new Error(
      `setDeterministicDebugMode: mode must be 'default', 'warn', 'error', 0, 1 or 2, got ${typeof mode === 'string' ? `'${mode}'` : describe(mode)}`,
    );
  }
  $_set_deterministic(level > 0, level === 1);
}

/** torch.get_deterministic_debug_mode(): 0, 1 (warn only) or 2 (throw). */
export function getDeterministicDebugMode(): 0 | 1 | 2 {
  if (!areDeterministicAlgorithmsEnabled()) return 0;
  return isDeterministicAlgorithmsWarnOnlyEnabled() ? 1 : 2;
}

/** torch.set_warn_always: libtorch warnings that warn once warn every time. */
export function setWarnAlways(mode: boolean): void {
  $_set_warn_always(Boolean(mode));
}

export function isWarnAlwaysEnabled(): boolean {
  return $_warn_always(false);
}

export type Float32MatmulPrecision = 'highest' | 'high' | 'medium';
// Ordered as libtorch's at::Float32MatmulPrecision enum.
const PRECISIONS: Float32MatmulPrecision[] = ['highest', 'high', 'medium'];

/**
 * torch.set_float32_matmul_precision: whether float32 matmuls may use TF32/bfloat16 internally.
 * The same libtorch state as torch.backends.cuda.matmul.allowTf32 ('high' <-> true).
 */
export function setFloat32MatmulPrecision(precision: Float32MatmulPrecision): void {
  if (!PRECISIONS.includes(precision)) {
    throw new Error(
      `setFloat32MatmulPrecision: precision must be one of 'highest', 'high', 'medium', got ${typeof precision === 'string' ? `'${precision}'` : describe(precision)}`,
    );
  }
  $_set_float32_matmul_precision(precision);
}

/**
 * torch.get_float32_matmul_precision. Like PyTorch's, it throws after backends.cuda.matmul.allowTf32
 * was set to false over precision 'high' or 'medium' (the generic and the CUDA settings then
 * disagree, and no one precision names them).
 */
export function getFloat32MatmulPrecision(): Float32MatmulPrecision {
  let level: number;
  try {
    level = $_float32_matmul_precision(false);
  } catch (e) {
    throw new Error(`getFloat32MatmulPrecision: ${(e as Error).message.replace(/^_float32_matmul_precision: /, '')}`);
  }
  return PRECISIONS[level] ?? 'highest';
}

/** torch.set_flush_denormal: true when the CPU supports it (and the mode was applied). */
export function setFlushDenormal(mode: boolean): boolean {
  return $_set_flush_denormal(mode);
}
