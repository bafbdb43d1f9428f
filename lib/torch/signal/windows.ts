// torch.signal.windows: the SciPy-style window functions. PyTorch writes these in Python over
// tensor ops (unlike torch.hannWindow and friends, which are ATen kernels), so they are written
// here over the same ops in the same order: linspace from the same double-precision endpoints,
// then the same elementwise kernels, which gives PyTorch's numbers to the bit. Note the default
// `sym: true` (a symmetric window, for filter design), where torch.hannWindow's default is
// periodic (for spectral analysis).
import { abs, arange, cos, empty, exp, i0, linspace, minimum, ones, sin, sqrt } from '../../generated/functions.js';
import { scalarTensor, tensor } from '../creation.js';
import type { Device } from '../device.js';
import type { DType } from '../dtype.js';
import { scope } from '../lifetime.js';
import { describe, isOptions } from '../marshal.js';
import type { Tensor } from '../tensor.js';

/** The keyword arguments every window takes. */
export interface WindowOptions {
  /** true (default): symmetric, for filter design; false: periodic, for spectral analysis. */
  sym?: boolean;
  /** float32 (default) or float64. */
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

interface Checked {
  sym: boolean;
  dtype: DType;
  device: Device | undefined;
  requiresGrad: boolean;
}

/** Python's _window_function_checks, plus the argument types JavaScript cannot check statically. */
function check(name: string, M: unknown, options: unknown): Checked {
  const op = `signal.windows.${name}`;
  if (typeof M !== 'number' || !Number.isInteger(M))
    throw new TypeError(
      `${op}: the window length M must be an integer, got ${typeof M === 'number' ? M : describe(M)}`,
    );
  if (M < 0) throw new RangeError(`${op} requires non-negative window length, got M=${M}`);
  if (options !== undefined && !isOptions(options))
    throw new TypeError(`${op}: expected an options object as the last argument, got ${describe(options)}`);
  const o = (options ?? {}) as WindowOptions;
  const dtype = o.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64')
    throw new TypeError(`${op} expects float32 or float64 dtypes, got: ${String(dtype)}`);
  return { sym: o.sym ?? true, dtype, device: o.device, requiresGrad: o.requiresGrad ?? false };
}

const factory = (c: Checked) => ({ dtype: c.dtype, device: c.device, requiresGrad: c.requiresGrad });

/** The sampling grid of most windows: M points from `start` with spacing `step`, as PyTorch spans it. */
function grid(c: Checked, M: number, start: number, step: number): Tensor {
  return linspace(start * step, (start + (M - 1)) * step, M, factory(c));
}

/** The divisor of the grid spacing: M - 1 for a symmetric window, M for a periodic one. */
const span = (c: Checked, M: number): number => (!c.sym && M > 1 ? M : M - 1);

/** The windows for which PyTorch answers M = 0 with an empty tensor (and M = 1 with [1] for some). */
function trivial(c: Checked, M: number, oneToo: boolean): Tensor | null {
  if (M === 0) return empty([0], factory(c));
  if (oneToo && M === 1) return ones([1], factory(c));
  return null;
}

/** exponential(M, {center, tau = 1, sym}): exp(-|n - center| / tau). `center` only for sym: false. */
export function exponential(M: number, options?: WindowOptions & { center?: number | null; tau?: number }): Tensor {
  const c = check('exponential', M, options);
  const tau = options?.tau ?? 1;
  if (!(tau > 0)) throw new RangeError(`signal.windows.exponential: Tau must be positive, got: ${tau} instead.`);
  if (c.sym && options?.center != null)
    throw new RangeError('signal.windows.exponential: center must be left out for symmetric windows (sym: true)');
  const t = trivial(c, M, false);
  if (t) return t;
  const center = options?.center ?? span(c, M) / 2;
  return scope(() => exp(abs(grid(c, M, -center, 1 / tau)).neg()));
}

/** cosine(M, {sym}): a half period of a sine, sin(pi (n + 1/2) / M). */
export function cosine(M: number, options?: WindowOptions): Tensor {
  const c = check('cosine', M, options);
  const t = trivial(c, M, false);
  if (t) return t;
  // PyTorch divides by M + 1 (not M) for a periodic window; kept as it is.
  const step = Math.PI / (!c.sym && M > 1 ? M + 1 : M);
  return scope(() => sin(grid(c, M, 0.5, step)));
}

/** gaussian(M, {std = 1, sym}): exp(-(n - (M - 1)/2)^2 / (2 std^2)). */
export function gaussian(M: number, options?: WindowOptions & { std?: number }): Tensor {
  const c = check('gaussian', M, options);
  const std = options?.std ?? 1;
  if (!(std > 0))
    throw new RangeError(`signal.windows.gaussian: Standard deviation must be positive, got: ${std} instead.`);
  const t = trivial(c, M, false);
  if (t) return t;
  return scope(() =>
    exp(
      grid(c, M, -span(c, M) / 2, 1 / (std * Math.sqrt(2)))
        .pow(2)
        .neg(),
    ),
  );
}

/** kaiser(M, {beta = 12, sym}): I0(beta sqrt(1 - (2n/(M-1) - 1)^2)) / I0(beta). */
export function kaiser(M: number, options?: WindowOptions & { beta?: number }): Tensor {
  const c = check('kaiser', M, options);
  const betaValue = options?.beta ?? 12;
  if (!(betaValue >= 0))
    throw new RangeError(`signal.windows.kaiser: beta must be non-negative, got: ${betaValue} instead.`);
  const t = trivial(c, M, true);
  if (t) return t;
  return scope(() => {
    // The endpoints are computed in the window's dtype, as PyTorch does (it avoids a NaN under
    // the square root when rounding would push |k| past beta).
    const beta = scalarTensor(betaValue, { dtype: c.dtype, device: c.device });
    const start = beta.neg();
    const step = beta.mul(2).div(c.sym ? M - 1 : M);
    const end = minimum(beta, start.add(step.mul(M - 1)));
    const k = linspace(start.item() as number, end.item() as number, M, factory(c));
    return i0(sqrt(beta.mul(beta).sub(k.pow(2)))).div(i0(beta));
  });
}

/** bartlett(M, {sym}): the triangular window 1 - |2n/(M-1) - 1|. */
export function bartlett(M: number, options?: WindowOptions): Tensor {
  const c = check('bartlett', M, options);
  const t = trivial(c, M, true);
  if (t) return t;
  const step = 2 / (c.sym ? M - 1 : M);
  return scope(() =>
    abs(linspace(-1, -1 + (M - 1) * step, M, factory(c)))
      .neg()
      .add(1),
  );
}

/** The cosine-sum windows: sum over i of (-1)^i a[i] cos(2 pi i n / (M - 1)). */
function cosineSum(name: string, M: number, a: unknown, options: unknown): Tensor {
  const c = check(name, M, options);
  const t = trivial(c, M, true);
  if (t) return t;
  if (!Array.isArray(a) || a.some((x) => typeof x !== 'number'))
    throw new TypeError(`signal.windows.${name}: Coefficients must be an array of numbers, got ${describe(a)}`);
  if (a.length === 0) throw new RangeError(`signal.windows.${name}: Coefficients cannot be empty`);
  const step = (2 * Math.PI) / (c.sym ? M - 1 : M);
  return scope(() => {
    const k = linspace(0, (M - 1) * step, M, factory(c));
    const ai = tensor(
      a.map((w: number, i) => (i % 2 === 0 ? w : -w)),
      factory(c),
    );
    const i = arange(a.length, factory(c));
    return ai
      .unsqueeze(-1)
      .mul(cos(i.unsqueeze(-1).mul(k)))
      .sum(0);
  });
}

/** Splits one keyword (alpha, a) off the options, leaving the common ones for check(). */
function split<K extends string>(options: unknown, key: K): [unknown, unknown] {
  if (!isOptions(options)) return [undefined, options];
  const { [key]: value, ...rest } = options as Record<string, unknown>;
  return [value, rest];
}

/**
 * general_cosine(M, a, {sym}): the cosine sum with coefficients `a` (required, so positional;
 * `{a}` in the options, as Python's keyword, is taken too).
 */
export function generalCosine(M: number, a: number[], options?: WindowOptions): Tensor;
export function generalCosine(M: number, options: WindowOptions & { a: number[] }): Tensor;
export function generalCosine(M: number, a: unknown, options?: WindowOptions): Tensor {
  if (isOptions(a)) {
    if (options !== undefined) throw new TypeError('signal.windows.generalCosine: expected (M, a, options)');
    const [coefficients, rest] = split(a, 'a');
    return cosineSum('generalCosine', M, coefficients, rest);
  }
  return cosineSum('generalCosine', M, a, options);
}

/** general_hamming(M, {alpha = 0.54, sym}): alpha - (1 - alpha) cos(2 pi n / (M - 1)). */
export function generalHamming(M: number, options?: WindowOptions & { alpha?: number }): Tensor {
  const [alpha = 0.54, rest] = split(options, 'alpha');
  if (typeof alpha !== 'number')
    throw new TypeError(`signal.windows.generalHamming: alpha must be a number, got ${describe(alpha)}`);
  return cosineSum('generalHamming', M, [alpha, 1 - alpha], rest);
}

/** hamming(M, {sym}): general_hamming with alpha 0.54. */
export function hamming(M: number, options?: WindowOptions): Tensor {
  return cosineSum('hamming', M, [0.54, 1 - 0.54], options);
}

/** hann(M, {sym}): general_hamming with alpha 0.5. */
export function hann(M: number, options?: WindowOptions): Tensor {
  return cosineSum('hann', M, [0.5, 1 - 0.5], options);
}

/** blackman(M, {sym}): the three-term cosine sum 0.42, 0.5, 0.08. */
export function blackman(M: number, options?: WindowOptions): Tensor {
  return cosineSum('blackman', M, [0.42, 0.5, 0.08], options);
}

/** nuttall(M, {sym}): Nuttall's minimum 4-term Blackman-Harris window. */
export function nuttall(M: number, options?: WindowOptions): Tensor {
  return cosineSum('nuttall', M, [0.3635819, 0.4891775, 0.1365995, 0.0106411], options);
}
