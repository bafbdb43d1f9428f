// More of torch.nn.functional, re-exported by functional.ts: grid sampling, the shrink and
// randomized-leaky activations, the in-place activations and the `inplace` option of their
// out-of-place forms, the deprecated upsample aliases of interpolate, Gumbel-softmax and the
// fractional max pools. Where Python's front end draws random numbers (gumbelSoftmax's noise,
// the fractional pools' samples) it draws them here the same way, from the same generator, so
// that one torch.manualSeed gives PyTorch's numbers.

import {
  celu_ as celuInplaceOp,
  celu as celuOp,
  elu_ as eluInplaceOp,
  elu as eluOp,
  hardsigmoid_ as hardsigmoidInplaceOp,
  hardsigmoid as hardsigmoidOp,
  hardswish_ as hardswishInplaceOp,
  hardswish as hardswishOp,
  hardtanh_ as hardtanhInplaceOp,
  hardtanh as hardtanhOp,
  leakyRelu_ as leakyReluInplaceOp,
  leakyRelu as leakyReluOp,
  mish_ as mishInplaceOp,
  mish as mishOp,
  relu as reluOp,
  selu_ as seluInplaceOp,
  selu as seluOp,
  silu_ as siluInplaceOp,
  silu as siluOp,
  threshold_ as thresholdInplaceOp,
  threshold as thresholdOp,
} from '../../generated/functional.js';
import { emptyLike, rand, zerosLike } from '../../generated/functions.js';
import {
  $affine_grid_generator,
  $fractional_max_pool2d,
  $fractional_max_pool3d,
  $grid_sampler,
  $rrelu,
  $rrelu_,
} from '../../generated/impl.js';
import { isFloatingPoint } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { type InterpolateOptions, interpolate } from './functional.js';
import { named, tensorArg, warnOnce } from './functional_checks.js';

// ---- grid sampling

export type GridSampleMode = 'bilinear' | 'nearest' | 'bicubic';
export type GridSamplePaddingMode = 'zeros' | 'border' | 'reflection';

const ALIGN_CORNERS_WARNING =
  'Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please specify align_corners=True if the old behavior is desired. See the documentation of grid_sample for details.';

export interface GridSampleOptions {
  mode?: GridSampleMode;
  paddingMode?: GridSamplePaddingMode;
  /** Whether -1 and 1 are the centres of the corner pixels (true) or their outer edges (false, the default, with a warning when absent, as Python). */
  alignCorners?: boolean | null;
}

/**
 * Samples `input` (N, C, H, W) or (N, C, D, H, W) at the normalised [-1, 1] coordinates of
 * `grid` (N, H', W', 2) or (N, D', H', W', 3), as Python's F.grid_sample: the modes become
 * ATen's grid_sampler enums.
 */
export function gridSample(input: Tensor, grid: Tensor, options?: GridSampleOptions): Tensor {
  const op = 'gridSample';
  return named(
    op,
    () => {
      tensorArg(op, 'input', input);
      tensorArg(op, 'grid', grid);
      const mode = options?.mode ?? 'bilinear';
      const paddingMode = options?.paddingMode ?? 'zeros';
      const modeEnum = ['bilinear', 'nearest', 'bicubic'].indexOf(mode);
      if (modeEnum < 0) {
        throw new Error(`${op}: expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '${String(mode)}'`);
      }
      const paddingEnum = ['zeros', 'border', 'reflection'].indexOf(paddingMode);
      if (paddingEnum < 0) {
        throw new Error(
          `${op}: expected paddingMode to be 'zeros', 'border', or 'reflection', but got: '${String(paddingMode)}'`,
        );
      }
      let alignCorners = options?.alignCorners;
      if (alignCorners == null) {
        warnOnce('gridSample', `gridSample: ${ALIGN_CORNERS_WARNING}`);
        alignCorners = false;
      }
      return $grid_sampler(input, grid, modeEnum, paddingEnum, alignCorners);
    },
    'grid_sampler',
  );
}

/**
 * The sampling grid of a batch of affine transforms `theta`, (N, 2, 3) for a 4-d `size`
 * [N, C, H, W] or (N, 3, 4) for a 5-d [N, C, D, H, W], as Python's F.affine_grid: the result
 * is gridSample's `grid`, (N, H, W, 2) or (N, D, H, W, 3).
 */
export function affineGrid(theta: Tensor, size: number[], options?: { alignCorners?: boolean | null }): Tensor {
  const op = 'affineGrid';
  return named(
    op,
    () => {
      tensorArg(op, 'theta', theta);
      if (!Array.isArray(size) || !size.every((s) => Number.isInteger(s))) {
        throw new TypeError(`${op}: size must be an array of integers, got ${JSON.stringify(size)}`);
      }
      let alignCorners = options?.alignCorners;
      if (alignCorners == null) {
        warnOnce('affineGrid', `affineGrid: ${ALIGN_CORNERS_WARNING}`);
        alignCorners = false;
      }
      if (!isFloatingPoint(theta.dtype)) {
        throw new Error(`${op}: Expected theta to have floating point type, but got ${theta.dtype}`);
      }
      const shape = `[${theta.shape.join(', ')}]`;
      let spatial: number[];
      if (size.length === 4) {
        if (theta.dim() !== 3 || theta.size(-2) !== 2 || theta.size(-1) !== 3) {
          throw new Error(
            `${op}: Expected a batch of 2D affine matrices of shape Nx2x3 for size [${size.join(', ')}]. Got ${shape}.`,
          );
        }
        spatial = size.slice(-2);
      } else if (size.length === 5) {
        if (theta.dim() !== 3 || theta.size(-2) !== 3 || theta.size(-1) !== 4) {
          throw new Error(
            `${op}: Expected a batch of 3D affine matrices of shape Nx3x4 for size [${size.join(', ')}]. Got ${shape}.`,
          );
        }
        spatial = size.slice(-3);
      } else {
        throw new Error(
          `${op}: only 4D and 5D sizes are supported, for 2D and 3D affine transforms, respectively. Got size [${size.join(', ')}].`,
        );
      }
      if (alignCorners && Math.min(...spatial) === 1) {
        warnOnce(
          'affineGrid unit size',
          `${op}: Since version 1.3.0, affine_grid behavior has changed for unit-size grids when align_corners=True. This is not an intended use case of affine_grid. See the documentation of affine_grid for details.`,
        );
      } else if (Math.min(...size) <= 0) {
        throw new Error(`${op}: Expected non-zero, positive output size. Got [${size.join(', ')}]`);
      }
      return $affine_grid_generator(theta, size, alignCorners);
    },
    'affine_grid_generator',
  );
}

// ---- activations: the `inplace` option of Python's functional forms. The in-place forms
// themselves (elu_, leakyRelu_, hardtanh_, selu_, celu_, threshold_, silu_, mish_, hardswish_,
// hardsigmoid_) are the generated ops; relu_ is the Tensor method, which ops.table already has.

export interface InplaceOption {
  /** Overwrite the input with the result and return it (Python's inplace=True). */
  inplace?: boolean;
}

/** max(0, x); `inplace` overwrites the input (torch.relu_). */
export function relu(input: Tensor, options?: InplaceOption): Tensor {
  return options?.inplace ? relu_(input) : reluOp(input);
}

/** relu in place: the input, overwritten with max(0, x). */
export function relu_(input: Tensor): Tensor {
  return named(
    'relu_',
    () => {
      tensorArg('relu_', 'input', input);
      return input.relu_();
    },
    'relu_',
  );
}

/** ELU; `inplace` overwrites the input (F.elu_). */
export function elu(input: Tensor, options?: { alpha?: number } & InplaceOption): Tensor {
  const alpha = options?.alpha ?? 1;
  return options?.inplace ? eluInplaceOp(input, { alpha }) : eluOp(input, { alpha });
}

/** Leaky ReLU; `inplace` overwrites the input (F.leakyRelu_). */
export function leakyRelu(input: Tensor, options?: { negativeSlope?: number } & InplaceOption): Tensor {
  const negativeSlope = options?.negativeSlope ?? 0.01;
  return options?.inplace ? leakyReluInplaceOp(input, { negativeSlope }) : leakyReluOp(input, { negativeSlope });
}

/**
 * x clamped to [minVal, maxVal]; `inplace` overwrites the input. minVal > maxVal is an error,
 * as in Python's F.hardtanh (its F.hardtanh_ does not check, nor does ours).
 */
export function hardtanh(input: Tensor, options?: { minVal?: number; maxVal?: number } & InplaceOption): Tensor {
  const minVal = options?.minVal ?? -1;
  const maxVal = options?.maxVal ?? 1;
  if (minVal > maxVal) throw new Error('hardtanh: minVal cannot be greater than maxVal');
  return options?.inplace ? hardtanhInplaceOp(input, { minVal, maxVal }) : hardtanhOp(input, { minVal, maxVal });
}

/** SELU; `inplace` overwrites the input (F.selu_). */
export function selu(input: Tensor, options?: InplaceOption): Tensor {
  return options?.inplace ? seluInplaceOp(input) : seluOp(input);
}

/** CELU; `inplace` overwrites the input (F.celu_). */
export function celu(input: Tensor, options?: { alpha?: number } & InplaceOption): Tensor {
  const alpha = options?.alpha ?? 1;
  return options?.inplace ? celuInplaceOp(input, { alpha }) : celuOp(input, { alpha });
}

/** `value` where x <= threshold, x elsewhere; `inplace` overwrites the input (F.threshold_). */
export function threshold(input: Tensor, threshold: number, value: number, options?: InplaceOption): Tensor {
  return options?.inplace ? thresholdInplaceOp(input, threshold, value) : thresholdOp(input, threshold, value);
}

/** x·sigmoid(x); `inplace` overwrites the input (ATen's silu_). */
export function silu(input: Tensor, options?: InplaceOption): Tensor {
  return options?.inplace ? siluInplaceOp(input) : siluOp(input);
}

/** x·tanh(softplus(x)); `inplace` overwrites the input (ATen's mish_). */
export function mish(input: Tensor, options?: InplaceOption): Tensor {
  return options?.inplace ? mishInplaceOp(input) : mishOp(input);
}

/** x·relu6(x + 3)/6; `inplace` overwrites the input (ATen's hardswish_). */
export function hardswish(input: Tensor, options?: InplaceOption): Tensor {
  return options?.inplace ? hardswishInplaceOp(input) : hardswishOp(input);
}

/** relu6(x + 3)/6; `inplace` overwrites the input (ATen's hardsigmoid_). */
export function hardsigmoid(input: Tensor, options?: InplaceOption): Tensor {
  return options?.inplace ? hardsigmoidInplaceOp(input) : hardsigmoidOp(input);
}

export interface RReLUOptions {
  lower?: number;
  upper?: number;
  /** Random slopes, drawn uniformly from [lower, upper] per element (default false: the fixed slope (lower + upper)/2). */
  training?: boolean;
}

/**
 * Randomized leaky ReLU (ATen's rrelu): in training, each negative element is multiplied by a
 * slope drawn from U(lower, upper) with the default generator, as PyTorch draws it; otherwise
 * by (lower + upper)/2. `inplace` overwrites the input.
 */
export function rrelu(input: Tensor, options?: RReLUOptions & InplaceOption): Tensor {
  return named(
    'rrelu',
    () => {
      tensorArg('rrelu', 'input', input);
      const lower = options?.lower ?? 1 / 8;
      const upper = options?.upper ?? 1 / 3;
      const training = options?.training ?? false;
      return options?.inplace ? $rrelu_(input, lower, upper, training) : $rrelu(input, lower, upper, training);
    },
    'rrelu_',
  );
}

/** rrelu in place. */
export function rrelu_(input: Tensor, options?: RReLUOptions): Tensor {
  return rrelu(input, { ...options, inplace: true });
}

// ---- Gumbel-softmax

export interface GumbelSoftmaxOptions {
  /** The temperature (default 1). */
  tau?: number;
  /** One-hot results whose gradient is the soft sample's (straight-through). */
  hard?: boolean;
  /** Deprecated in PyTorch and without effect; a value other than 1e-10 warns. */
  eps?: number;
  dim?: number;
}

/**
 * A sample of the Gumbel-softmax distribution over `dim` of `logits`, as Python's
 * F.gumbel_softmax: the noise is −log of Exp(1) draws (exponential_ on an empty tensor), so the
 * same manualSeed gives PyTorch's sample.
 */
export function gumbelSoftmax(logits: Tensor, options?: GumbelSoftmaxOptions): Tensor {
  const op = 'gumbelSoftmax';
  return named(
    op,
    () => {
      tensorArg(op, 'logits', logits);
      const tau = options?.tau ?? 1;
      const dim = options?.dim ?? -1;
      if (options?.eps !== undefined && options.eps !== 1e-10) {
        warnOnce('gumbelSoftmax eps', `${op}: \`eps\` parameter is deprecated and has no effect.`);
      }
      const gumbels = emptyLike(logits).exponential_().log().neg();
      const ySoft = logits.add(gumbels).div(tau).softmax(dim);
      if (!options?.hard) return ySoft;
      // Straight through: the forward value is one-hot, the gradient the soft sample's.
      const index = ySoft.max(dim, { keepdim: true }).indices;
      const yHard = zerosLike(logits).scatter_(dim, index, 1);
      return yHard.sub(ySoft.detach()).add(ySoft);
    },
    'exponential_',
  );
}

// ---- upsample: deprecated aliases of interpolate, as in PyTorch

type SizeArg = number | number[] | null;

/** Deprecated: F.interpolate (warns once, as Python's F.upsample). */
export function upsample(
  input: Tensor,
  options?: Pick<InterpolateOptions, 'size' | 'scaleFactor' | 'mode' | 'alignCorners'>,
): Tensor {
  warnOnce('upsample', 'upsample: `nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.');
  return interpolate(input, {
    size: options?.size,
    scaleFactor: options?.scaleFactor,
    mode: options?.mode,
    alignCorners: options?.alignCorners,
  });
}

/** Deprecated: F.interpolate with mode 'nearest'. */
export function upsampleNearest(input: Tensor, options?: { size?: SizeArg; scaleFactor?: SizeArg }): Tensor {
  warnOnce(
    'upsampleNearest',
    'upsampleNearest: `nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.',
  );
  return interpolate(input, { size: options?.size, scaleFactor: options?.scaleFactor, mode: 'nearest' });
}

/** Deprecated: F.interpolate with mode 'bilinear' and alignCorners true (not interpolate's default). */
export function upsampleBilinear(input: Tensor, options?: { size?: SizeArg; scaleFactor?: SizeArg }): Tensor {
  warnOnce(
    'upsampleBilinear',
    'upsampleBilinear: `nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.',
  );
  return interpolate(input, {
    size: options?.size,
    scaleFactor: options?.scaleFactor,
    mode: 'bilinear',
    alignCorners: true,
  });
}

// ---- fractional max pooling

type Size = number | number[];
type WithIndices<R extends boolean> = R extends true ? [Tensor, Tensor] : Tensor;

export interface FractionalMaxPoolOptions<R extends boolean = boolean> {
  /** The output's spatial size; this or outputRatio. */
  outputSize?: Size | null;
  /** The output's size as a fraction of the input's, in (0, 1): floor(size·ratio). */
  outputRatio?: Size | null;
  /** Also return each maximum's flat index in its plane (or volume), for maxUnpool. */
  returnIndices?: R;
  /**
   * (N, C, dims) samples in [0, 1) that place the pooling windows (Python's _random_samples);
   * default: drawn with torch.rand, as Python draws them.
   */
  _randomSamples?: Tensor | null;
}

function tuple(op: string, name: string, v: Size, n: number): number[] {
  const list = typeof v === 'number' ? new Array<number>(n).fill(v) : v;
  if (!Array.isArray(list) || list.length !== n || !list.every((x) => typeof x === 'number')) {
    throw new TypeError(`${op}: ${name} must be a number or an array of ${n} numbers, got ${JSON.stringify(v)}`);
  }
  return [...list];
}

function fractionalMaxPool<R extends boolean>(
  op: string,
  dims: 2 | 3,
  input: Tensor,
  kernelSize: Size,
  options: FractionalMaxPoolOptions<R> | undefined,
): WithIndices<R> {
  return named(
    op,
    () => {
      tensorArg(op, 'input', input);
      const s = dims === 2 ? 'H, W' : 'D, H, W';
      if (input.dim() !== dims + 1 && input.dim() !== dims + 2) {
        throw new Error(
          `${op}: Expected ${dims + 1}D (C, ${s}) or ${dims + 2}D (N, C, ${s}) input tensor, but got ${input.dim()}D of size [${input.shape.join(', ')}]`,
        );
      }
      const kernel = tuple(op, 'kernelSize', kernelSize, dims);
      let outputSize: number[];
      if (options?.outputSize != null) {
        outputSize = tuple(op, 'outputSize', options.outputSize, dims);
      } else if (options?.outputRatio != null) {
        const ratio = tuple(op, 'outputRatio', options.outputRatio, dims);
        outputSize = ratio.map((r, i) => Math.trunc(input.size(i - dims) * r));
      } else {
        throw new Error(`${op}: requires specifying either an outputSize or an outputRatio`);
      }
      let samples = options?._randomSamples ?? null;
      if (samples === null) {
        const batch = input.dim() === dims + 1 ? 1 : input.size(0);
        samples = rand([batch, input.size(-dims - 1), dims], { dtype: input.dtype, device: input.device });
      } else {
        tensorArg(op, '_randomSamples', samples);
      }
      const kernelOp = dims === 2 ? $fractional_max_pool2d : $fractional_max_pool3d;
      const [values, indices] = kernelOp(input, kernel, outputSize, samples);
      return (options?.returnIndices ? [values, indices] : values) as WithIndices<R>;
    },
    `fractional_max_pool${dims}d`,
  );
}

/**
 * 2-d fractional max pooling (Graham's) over (C, H, W) or (N, C, H, W) input, ATen's kernel
 * with Python's front end: `outputSize` or `outputRatio`; the windows' pseudo-random placement
 * comes from `_randomSamples`, by default drawn as Python draws them.
 */
export function fractionalMaxPool2d<R extends boolean = false>(
  input: Tensor,
  kernelSize: Size,
  options?: FractionalMaxPoolOptions<R>,
): WithIndices<R> {
  return fractionalMaxPool('fractionalMaxPool2d', 2, input, kernelSize, options);
}

/** fractionalMaxPool2d with its indices, as Python's F.fractional_max_pool2d_with_indices. */
export function fractionalMaxPool2dWithIndices(
  input: Tensor,
  kernelSize: Size,
  options?: FractionalMaxPoolOptions,
): [Tensor, Tensor] {
  return fractionalMaxPool2d(input, kernelSize, { ...options, returnIndices: true });
}

/** 3-d fractional max pooling over (C, D, H, W) or (N, C, D, H, W) input; see fractionalMaxPool2d. */
export function fractionalMaxPool3d<R extends boolean = false>(
  input: Tensor,
  kernelSize: Size,
  options?: FractionalMaxPoolOptions<R>,
): WithIndices<R> {
  return fractionalMaxPool('fractionalMaxPool3d', 3, input, kernelSize, options);
}

/** fractionalMaxPool3d with its indices, as Python's F.fractional_max_pool3d_with_indices. */
export function fractionalMaxPool3dWithIndices(
  input: Tensor,
  kernelSize: Size,
  options?: FractionalMaxPoolOptions,
): [Tensor, Tensor] {
  return fractionalMaxPool3d(input, kernelSize, { ...options, returnIndices: true });
}
