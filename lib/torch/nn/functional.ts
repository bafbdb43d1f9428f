// torch.nn.functional: the stateless math of the layers. Every function is ATen's op, from
// ops.table; the functions below add what Python's functional.py does around the op (argument
// checks, warnings, 'batchmean', weights, sizes given as null), say which input shapes the 1-d
// and adaptive pools take, and name the function in their errors. softmin, softsign, tanhshrink
// and gaussianNllLoss are compositions, as in Python.

import {
  adaptiveAvgPool2d as adaptiveAvgPool2dOp,
  adaptiveAvgPool3d as adaptiveAvgPool3dOp,
  adaptiveMaxPool2d as adaptiveMaxPool2dOp,
  adaptiveMaxPool2dWithIndices as adaptiveMaxPool2dWithIndicesOp,
  adaptiveMaxPool3dWithIndices as adaptiveMaxPool3dWithIndicesOp,
  avgPool2d,
  avgPool3d,
  binaryCrossEntropy as binaryCrossEntropyOp,
  cosineSimilarity as cosineSimilarityOp,
  dropout as dropoutOp,
  glu as gluOp,
  huberLoss as huberLossOp,
  instanceNorm as instanceNormOp,
  interpolate as interpolateOp,
  l1Loss as l1LossOp,
  linear,
  logsigmoid,
  maxPool2d as maxPool2dOp,
  maxPool2dWithIndices as maxPool2dWithIndicesOp,
  maxPool3d as maxPool3dOp,
  maxPool3dWithIndices as maxPool3dWithIndicesOp,
  maxUnpool2d as maxUnpool2dOp,
  maxUnpool3d as maxUnpool3dOp,
  mseLoss as mseLossOp,
  multilabelMarginLoss as multilabelMarginLossOp,
  multiMarginLoss as multiMarginLossOp,
  pad,
  scaledDotProductAttention,
  smoothL1Loss as smoothL1LossOp,
  softMarginLoss as softMarginLossOp,
  softmax,
} from '../../generated/functional.js';
import {
  adaptiveAvgPool1d as adaptiveAvgPool1dOp,
  adaptiveMaxPool1d as adaptiveMaxPool1dOp,
  alphaDropout_,
  alphaDropout as alphaDropoutOp,
  arange,
  avgPool1d as avgPool1dOp,
  broadcastTensors,
  cat,
  channelShuffle as channelShuffleOp,
  convTbc as convTbcOp,
  cosineEmbeddingLoss as cosineEmbeddingLossOp,
  ctcLoss as ctcLossOp,
  dropout_,
  embeddingBag as embeddingBagOp,
  embeddingRenorm_,
  featureAlphaDropout_,
  featureAlphaDropout as featureAlphaDropoutOp,
  featureDropout,
  featureDropout_,
  hingeEmbeddingLoss as hingeEmbeddingLossOp,
  klDiv as klDivOp,
  marginRankingLoss as marginRankingLossOp,
  maxPool1d as maxPool1dOp,
  maxPool1dWithIndices as maxPool1dWithIndicesOp,
  nativeChannelShuffle as nativeChannelShuffleOp,
  onesLike,
  pairwiseDistance as pairwiseDistanceOp,
  pixelShuffle as pixelShuffleOp,
  pixelUnshuffle as pixelUnshuffleOp,
  poissonNllLoss as poissonNllLossOp,
  tripletMarginLoss as tripletMarginLossOp,
  zeros,
} from '../../generated/functions.js';
import { noGrad } from '../autograd.js';
import { type DType, isFloatingPoint } from '../dtype.js';
import { describe, type Reduction } from '../marshal.js';
import { Tensor } from '../tensor.js';
import { named, tensorArg, warnOnce } from './functional_checks.js';

export * from '../../generated/functional.js';
export { type LinearCrossEntropyCallOptions, linearCrossEntropy } from './functional_linear_cross_entropy.js';
// The functions of functional_more.ts; relu, elu, leakyRelu, hardtanh, selu, celu, threshold,
// silu, mish, hardswish and hardsigmoid there take Python's `inplace` option, and replace the generated ones of the same name.
export {
  affineGrid,
  celu,
  elu,
  type FractionalMaxPoolOptions,
  fractionalMaxPool2d,
  fractionalMaxPool2dWithIndices,
  fractionalMaxPool3d,
  fractionalMaxPool3dWithIndices,
  type GridSampleMode,
  type GridSampleOptions,
  type GridSamplePaddingMode,
  type GumbelSoftmaxOptions,
  gridSample,
  gumbelSoftmax,
  hardsigmoid,
  hardswish,
  hardtanh,
  type InplaceOption,
  leakyRelu,
  mish,
  type RReLUOptions,
  relu,
  relu_,
  rrelu,
  rrelu_,
  selu,
  silu,
  threshold,
  upsample,
  upsampleBilinear,
  upsampleNearest,
} from './functional_more.js';
export type { LinearCrossEntropyOptions } from './linear_cross_entropy_options.js';

const sizeText = (t: Tensor): string => `[${t.shape.join(', ')}]`;
const sameSize = (a: Tensor, b: Tensor): boolean =>
  a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
const warned = new Set<string>();

/** Python's warning for a target that the loss would broadcast against the input (once per op). */
function warnBroadcast(op: string, input: Tensor, target: Tensor): void {
  if (sameSize(input, target) || warned.has(op)) return;
  warned.add(op);
  process.emitWarning(
    `${op}: Using a target size (${sizeText(target)}) that is different to the input size (${sizeText(input)}). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`,
    'UserWarning',
  );
}

/** Binary cross-entropy of probabilities; the target must have the input's size, as in Python. */
export function binaryCrossEntropy(...args: Parameters<typeof binaryCrossEntropyOp>): Tensor {
  const [input, target] = args;
  if (!sameSize(input, target)) {
    throw new Error(
      `binaryCrossEntropy: Using a target size (${sizeText(target)}) that is different to the input size (${sizeText(input)}) is deprecated. Please ensure they have the same size.`,
    );
  }
  return binaryCrossEntropyOp(...args);
}

export function mseLoss(...args: Parameters<typeof mseLossOp>): Tensor {
  warnBroadcast('mseLoss', args[0], args[1]);
  return mseLossOp(...args);
}

export function l1Loss(...args: Parameters<typeof l1LossOp>): Tensor {
  warnBroadcast('l1Loss', args[0], args[1]);
  return l1LossOp(...args);
}

/** Smooth L1; `beta: 0` is the L1 loss, as Python's functional.py makes it. */
export function smoothL1Loss(...args: Parameters<typeof smoothL1LossOp>): Tensor {
  warnBroadcast('smoothL1Loss', args[0], args[1]);
  const [input, target, options] = args;
  if (options?.beta === 0) return l1LossOp(input, target, { reduction: options.reduction });
  return smoothL1LossOp(...args);
}

// ---- helpers

/** Python's _Reduction.get_enum: a reduction other than these is a ValueError naming it. */
function checkReduction(op: string, reduction: unknown, extra: readonly string[] = []): void {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none' && !extra.includes(reduction as string)) {
    throw new Error(`${op}: ${String(reduction)} is not a valid value for reduction`);
  }
}

/** Python's reduction of a loss it computes itself ('none', 'sum', 'mean'). */
function reduce(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === 'mean' ? loss.mean() : reduction === 'sum' ? loss.sum() : loss;
}

// ---- activations (relu6, logsigmoid and prelu are the generated ops themselves; those with
// Python's `inplace` option are in functional_more.ts)

/** a·sigmoid(b), where a and b are the halves of `input` along `dim` (ATen's glu). */
export function glu(input: Tensor, dim = -1): Tensor {
  tensorArg('glu', 'input', input);
  if (input.dim() === 0) throw new Error('glu: glu does not support scalars because halving size must be even');
  return gluOp(input, dim);
}

/** softmax(−x) along `dim`, as Python's F.softmin. */
export function softmin(input: Tensor, dim: number, options?: { dtype?: DType }): Tensor {
  return named('softmin', () => {
    tensorArg('softmin', 'input', input);
    return input.neg().softmax(dim, options);
  });
}

/** x / (|x| + 1), as Python's F.softsign. */
export function softsign(input: Tensor): Tensor {
  return named('softsign', () => {
    tensorArg('softsign', 'input', input);
    return input.div(input.abs().add(1));
  });
}

/** x − tanh(x), as Python's F.tanhshrink. */
export function tanhshrink(input: Tensor): Tensor {
  return named('tanhshrink', () => {
    tensorArg('tanhshrink', 'input', input);
    return input.sub(input.tanh());
  });
}

// ---- shuffles

/** (*, C·r², H, W) → (*, C, H·r, W·r), ATen's pixel_shuffle. */
export function pixelShuffle(input: Tensor, upscaleFactor: number): Tensor {
  return named('pixelShuffle', () => pixelShuffleOp(input, upscaleFactor), 'pixel_shuffle');
}

/** (*, C, H·r, W·r) → (*, C·r², H, W), ATen's pixel_unshuffle. */
export function pixelUnshuffle(input: Tensor, downscaleFactor: number): Tensor {
  return named('pixelUnshuffle', () => pixelUnshuffleOp(input, downscaleFactor), 'pixel_unshuffle');
}

/** Splits the channels (dim 1) into `groups` and interleaves them, ATen's channel_shuffle. */
export function channelShuffle(input: Tensor, groups: number): Tensor {
  return named('channelShuffle', () => channelShuffleOp(input, groups), 'channel_shuffle');
}

/** The native kernel behind channelShuffle (the same split into `groups` and interleave). */
export function nativeChannelShuffle(input: Tensor, groups: number): Tensor {
  return named('nativeChannelShuffle', () => nativeChannelShuffleOp(input, groups), 'native_channel_shuffle');
}

/**
 * A 1-d convolution over (time, batch, channels) input: `weight` is (kernel width, in channels,
 * out channels), `bias` (out channels), `pad` the time steps of zeros added at each end.
 */
export function convTbc(input: Tensor, weight: Tensor, bias: Tensor, options?: { pad?: number }): Tensor {
  return named('convTbc', () => convTbcOp(input, weight, bias, options), 'conv_tbc');
}

// ---- pooling

type Size1 = number | number[];

/** A 1-d kernel size: a number or an array of one. */
function single(op: string, name: string, v: Size1): number {
  const x = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (typeof x !== 'number' || !Number.isInteger(x)) {
    throw new TypeError(`${op}: ${name} must be an int or an array of one int, got ${JSON.stringify(v)}`);
  }
  return x;
}

type Size = number | number[];
/** A pool's result: the values, or with `returnIndices: true` the values and the maxima's indices. */
type WithIndices<R extends boolean> = R extends true ? [Tensor, Tensor] : Tensor;

/** Python's _single, _pair and _triple: a number repeated n times; an array as it is. */
const ntuple = (v: Size, n: number): number[] => (typeof v === 'number' ? new Array<number>(n).fill(v) : [...v]);

const SPATIAL = ['L', 'H, W', 'D, H, W'];

/** The input shapes an n-d pool takes, (C, *) or (N, C, *) (ATen's own checks name only its argument #1). */
function checkInput(op: string, input: Tensor, dims: number): void {
  tensorArg(op, 'input', input);
  if (input.dim() !== dims + 1 && input.dim() !== dims + 2) {
    const s = SPATIAL[dims - 1];
    throw new Error(
      `${op}: Expected ${dims + 1}D (C, ${s}) or ${dims + 2}D (N, C, ${s}) input tensor, but got ${input.dim()}D of size ${sizeText(input)}`,
    );
  }
}

export interface AvgPool1dOptions {
  stride?: Size1 | null;
  padding?: Size1;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

/** 1-d average pooling, ATen's avg_pool1d (stride null or [] is the kernel size). */
export function avgPool1d(input: Tensor, kernelSize: Size1, options?: AvgPool1dOptions): Tensor {
  return named(
    'avgPool1d',
    () => {
      checkInput('avgPool1d', input, 1);
      const k = single('avgPool1d', 'kernelSize', kernelSize);
      return avgPool1dOp(input, k, { ...options, stride: options?.stride ?? undefined });
    },
    'avg_pool1d',
  );
}

export interface MaxPool1dOptions {
  stride?: Size1 | null;
  padding?: Size1;
  dilation?: Size1;
  ceilMode?: boolean;
}

/** 1-d max pooling, ATen's max_pool1d; `returnIndices` adds each maximum's position (max_pool1d_with_indices). */
export function maxPool1d(
  input: Tensor,
  kernelSize: Size1,
  options?: MaxPool1dOptions & { returnIndices?: false },
): Tensor;
export function maxPool1d(
  input: Tensor,
  kernelSize: Size1,
  options: MaxPool1dOptions & { returnIndices: true },
): [Tensor, Tensor];
export function maxPool1d(
  input: Tensor,
  kernelSize: Size1,
  options?: MaxPool1dOptions & { returnIndices?: boolean },
): Tensor | [Tensor, Tensor];
export function maxPool1d(
  input: Tensor,
  kernelSize: Size1,
  options?: MaxPool1dOptions & { returnIndices?: boolean },
): Tensor | [Tensor, Tensor] {
  const { returnIndices, ...rest } = options ?? {};
  return named(
    'maxPool1d',
    () => {
      checkInput('maxPool1d', input, 1);
      const k = single('maxPool1d', 'kernelSize', kernelSize);
      const opts = { ...rest, stride: rest.stride ?? undefined };
      if (!returnIndices) return maxPool1dOp(input, k, opts);
      const [values, indices] = maxPool1dWithIndicesOp(input, k, opts);
      return [values, indices];
    },
    returnIndices ? 'max_pool1d_with_indices' : 'max_pool1d',
  );
}

/** maxPool1d with its indices, as Python's F.max_pool1d_with_indices. */
export function maxPool1dWithIndices(input: Tensor, kernelSize: Size1, options?: MaxPool1dOptions): [Tensor, Tensor] {
  return maxPool1d(input, kernelSize, { ...options, returnIndices: true });
}

/** An adaptive output size: a number, or one entry per spatial dim where null keeps the input's size. */
export type AdaptiveSize = number | (number | null)[];

/** Python's _list_with_default: null entries take the input's size. */
function adaptiveSize(op: string, input: Tensor, outputSize: AdaptiveSize, dims: number): number[] {
  const list = typeof outputSize === 'number' ? new Array<number>(dims).fill(outputSize) : outputSize;
  if (!Array.isArray(list) || list.length !== dims) {
    throw new TypeError(
      `${op}: outputSize must be a number or an array of ${dims} (numbers or null), got ${JSON.stringify(outputSize)}`,
    );
  }
  const n = input.dim();
  return list.map((v, i) => (v === null || v === undefined ? input.size(n - dims + i) : v));
}

/** Adaptive max pooling over `dims` spatial dims: ATen's op through `withIndices`, or `plain` for the values alone. */
function adaptiveMaxPoolNd<R extends boolean>(
  op: string,
  aten: [string, string],
  dims: number,
  input: Tensor,
  outputSize: AdaptiveSize,
  returnIndices: R | undefined,
  withIndices: (x: Tensor, size: number[]) => [Tensor, Tensor],
  plain?: (x: Tensor, size: number[]) => Tensor,
): WithIndices<R> {
  return named(
    op,
    () => {
      checkInput(op, input, dims);
      const size = adaptiveSize(op, input, outputSize, dims);
      if (!returnIndices && plain) return plain(input, size);
      const [values, indices] = withIndices(input, size);
      return returnIndices ? [values, indices] : values;
    },
    returnIndices || !plain ? aten[1] : aten[0],
  ) as WithIndices<R>;
}

/** Adaptive 2-d max pooling, ATen's; `returnIndices` adds the flat (h·W + w) index of each maximum. */
export function adaptiveMaxPool2d<R extends boolean = false>(
  input: Tensor,
  outputSize: AdaptiveSize,
  options?: { returnIndices?: R },
): WithIndices<R> {
  return adaptiveMaxPoolNd(
    'adaptiveMaxPool2d',
    ['adaptive_max_pool2d', 'adaptive_max_pool2d_with_indices'],
    2,
    input,
    outputSize,
    options?.returnIndices,
    adaptiveMaxPool2dWithIndicesOp,
    adaptiveMaxPool2dOp,
  );
}

/** adaptiveMaxPool2d with its indices, as Python's F.adaptive_max_pool2d_with_indices. */
export function adaptiveMaxPool2dWithIndices(input: Tensor, outputSize: AdaptiveSize): [Tensor, Tensor] {
  return adaptiveMaxPool2d(input, outputSize, { returnIndices: true });
}

/** Adaptive 1-d max pooling, ATen's adaptive_max_pool1d; `returnIndices` adds each maximum's position along L. */
export function adaptiveMaxPool1d<R extends boolean = false>(
  input: Tensor,
  outputSize: AdaptiveSize,
  options?: { returnIndices?: R },
): WithIndices<R> {
  return adaptiveMaxPoolNd(
    'adaptiveMaxPool1d',
    ['adaptive_max_pool1d', 'adaptive_max_pool1d'],
    1,
    input,
    outputSize,
    options?.returnIndices,
    adaptiveMaxPool1dOp,
  );
}

/** adaptiveMaxPool1d with its indices, as Python's F.adaptive_max_pool1d_with_indices. */
export function adaptiveMaxPool1dWithIndices(input: Tensor, outputSize: AdaptiveSize): [Tensor, Tensor] {
  return adaptiveMaxPool1d(input, outputSize, { returnIndices: true });
}

/** Adaptive 3-d max pooling, ATen's; `returnIndices` adds the flat (d·H·W + h·W + w) index of each maximum. */
export function adaptiveMaxPool3d<R extends boolean = false>(
  input: Tensor,
  outputSize: AdaptiveSize,
  options?: { returnIndices?: R },
): WithIndices<R> {
  return adaptiveMaxPoolNd(
    'adaptiveMaxPool3d',
    ['adaptive_max_pool3d_with_indices', 'adaptive_max_pool3d_with_indices'],
    3,
    input,
    outputSize,
    options?.returnIndices,
    adaptiveMaxPool3dWithIndicesOp,
  );
}

/** adaptiveMaxPool3d with its indices, as Python's F.adaptive_max_pool3d_with_indices. */
export function adaptiveMaxPool3dWithIndices(input: Tensor, outputSize: AdaptiveSize): [Tensor, Tensor] {
  return adaptiveMaxPool3d(input, outputSize, { returnIndices: true });
}

/** Adaptive average pooling over `dims` spatial dims (null entries of the size keep the input's). */
function adaptiveAvgPoolNd(
  op: string,
  aten: string,
  dims: number,
  input: Tensor,
  outputSize: AdaptiveSize,
  kernel: (x: Tensor, size: number[]) => Tensor,
): Tensor {
  return named(
    op,
    () => {
      checkInput(op, input, dims);
      return kernel(input, adaptiveSize(op, input, outputSize, dims));
    },
    aten,
  );
}

/** Adaptive 1-d average pooling, ATen's adaptive_avg_pool1d. */
export function adaptiveAvgPool1d(input: Tensor, outputSize: AdaptiveSize): Tensor {
  return adaptiveAvgPoolNd('adaptiveAvgPool1d', 'adaptive_avg_pool1d', 1, input, outputSize, adaptiveAvgPool1dOp);
}

/** Adaptive 2-d average pooling, ATen's adaptive_avg_pool2d. */
export function adaptiveAvgPool2d(input: Tensor, outputSize: AdaptiveSize): Tensor {
  return adaptiveAvgPoolNd('adaptiveAvgPool2d', 'adaptive_avg_pool2d', 2, input, outputSize, adaptiveAvgPool2dOp);
}

/** Adaptive 3-d average pooling, ATen's adaptive_avg_pool3d. */
export function adaptiveAvgPool3d(input: Tensor, outputSize: AdaptiveSize): Tensor {
  return adaptiveAvgPoolNd('adaptiveAvgPool3d', 'adaptive_avg_pool3d', 3, input, outputSize, adaptiveAvgPool3dOp);
}

export interface MaxPoolOptions {
  /** null or absent: the kernel size. */
  stride?: Size | null;
  padding?: Size;
  dilation?: Size;
  ceilMode?: boolean;
}

type MaxPoolOp = (x: Tensor, k: Size, o: Omit<MaxPoolOptions, 'stride'> & { stride?: Size }) => Tensor;

/**
 * Max pooling through the generated ops: the values, or [values, indices] with `returnIndices`.
 * Errors are the ops' own (`max_pool2d: ...`, `max_pool3d_with_indices: ...`).
 */
function maxPoolNd<R extends boolean>(
  plain: MaxPoolOp,
  withIndices: (...a: Parameters<MaxPoolOp>) => [Tensor, Tensor],
  input: Tensor,
  kernelSize: Size,
  options: (MaxPoolOptions & { returnIndices?: R }) | undefined,
): WithIndices<R> {
  const { returnIndices, ...rest } = options ?? {};
  const opts = { ...rest, stride: rest.stride ?? undefined };
  if (!returnIndices) return plain(input, kernelSize, opts) as WithIndices<R>;
  const [values, indices] = withIndices(input, kernelSize, opts);
  return [values, indices] as WithIndices<R>;
}

/**
 * 2-d max pooling over (C, H, W) or (N, C, H, W) input; `returnIndices` adds the flat (h·W + w)
 * index of each maximum in its plane (ATen's max_pool2d_with_indices; without it, float CPU input
 * takes torch-node's own kernel).
 */
export function maxPool2d<R extends boolean = false>(
  input: Tensor,
  kernelSize: Size,
  options?: MaxPoolOptions & { returnIndices?: R },
): WithIndices<R> {
  return maxPoolNd(maxPool2dOp, maxPool2dWithIndicesOp, input, kernelSize, options);
}

/** maxPool2d with its indices, as Python's F.max_pool2d_with_indices. */
export function maxPool2dWithIndices(input: Tensor, kernelSize: Size, options?: MaxPoolOptions): [Tensor, Tensor] {
  return maxPool2d(input, kernelSize, { ...options, returnIndices: true });
}

/** 3-d max pooling over (C, D, H, W) or (N, C, D, H, W) input, ATen's; `returnIndices` adds each maximum's flat index in its volume. */
export function maxPool3d<R extends boolean = false>(
  input: Tensor,
  kernelSize: Size,
  options?: MaxPoolOptions & { returnIndices?: R },
): WithIndices<R> {
  return maxPoolNd(maxPool3dOp, maxPool3dWithIndicesOp, input, kernelSize, options);
}

/** maxPool3d with its indices, as Python's F.max_pool3d_with_indices. */
export function maxPool3dWithIndices(input: Tensor, kernelSize: Size, options?: MaxPoolOptions): [Tensor, Tensor] {
  return maxPool3d(input, kernelSize, { ...options, returnIndices: true });
}

export interface MaxUnpoolOptions {
  /** null or absent: the kernel size. */
  stride?: Size | null;
  padding?: Size;
  /** The spatial size of the result (optionally after N and C); by default the pool's input size without its remainder. */
  outputSize?: number[] | null;
}

/** Python's _unpool_output_size: the default size, or `outputSize` checked against it. */
function unpoolOutputSize(
  input: Tensor,
  kernel: number[],
  stride: number[],
  padding: number[],
  outputSize: number[] | null | undefined,
): number[] {
  const k = kernel.length;
  const n = input.dim();
  const dflt = kernel.map(
    (kd, d) => (input.size(n - k + d) - 1) * (stride[d] as number) + kd - 2 * (padding[d] as number),
  );
  let ret = dflt;
  if (outputSize != null) {
    const out = outputSize.length === k + 2 ? outputSize.slice(2) : [...outputSize];
    if (out.length !== k) {
      throw new Error(
        `output_size should be a sequence containing ${k} or ${k + 2} elements, but it has a length of '${out.length}'`,
      );
    }
    out.forEach((size, d) => {
      const min = (dflt[d] as number) - (stride[d] as number);
      const max = (dflt[d] as number) + (stride[d] as number);
      if (!(min < size && size < max)) {
        throw new Error(`invalid output_size "[${out.join(', ')}]" (dim ${d} must be between ${min} and ${max})`);
      }
    });
    ret = out;
  }
  ret.forEach((size, d) => {
    if (size < 0) {
      throw new Error(
        `max_unpooling: output_size must contain non-negative spatial dimensions, but got output_size[${d}]=${size}`,
      );
    }
  });
  return ret;
}

/** The inverse of a max pool over `dims` spatial dims: each value goes to its index, zeros elsewhere. */
function maxUnpoolNd(
  op: string,
  aten: string,
  dims: number,
  input: Tensor,
  indices: Tensor,
  kernelSize: Size,
  options: MaxUnpoolOptions | undefined,
  kernel: (x: Tensor, i: Tensor, size: number[], stride: number[], padding: number[]) => Tensor,
): Tensor {
  return named(
    op,
    () => {
      tensorArg(op, 'input', input);
      tensorArg(op, 'indices', indices);
      const k = ntuple(kernelSize, dims);
      const stride = options?.stride != null ? ntuple(options.stride, dims) : k;
      const padding = ntuple(options?.padding ?? 0, dims);
      return kernel(input, indices, unpoolOutputSize(input, k, stride, padding, options?.outputSize), stride, padding);
    },
    aten,
  );
}

/** The inverse of maxPool1d given its indices (through ATen's max_unpool2d, as Python's F.max_unpool1d). */
export function maxUnpool1d(input: Tensor, indices: Tensor, kernelSize: Size, options?: MaxUnpoolOptions): Tensor {
  return maxUnpoolNd('maxUnpool1d', 'max_unpool2d', 1, input, indices, kernelSize, options, (x, i, size) =>
    maxUnpool2dOp(x.unsqueeze(-1), i.unsqueeze(-1), [...size, 1]).squeeze(-1),
  );
}

/** The inverse of maxPool2d given its indices, ATen's max_unpool2d. */
export function maxUnpool2d(input: Tensor, indices: Tensor, kernelSize: Size, options?: MaxUnpoolOptions): Tensor {
  return maxUnpoolNd('maxUnpool2d', 'max_unpool2d', 2, input, indices, kernelSize, options, (x, i, size) =>
    maxUnpool2dOp(x, i, size),
  );
}

/** The inverse of maxPool3d given its indices, ATen's max_unpool3d. */
export function maxUnpool3d(input: Tensor, indices: Tensor, kernelSize: Size, options?: MaxUnpoolOptions): Tensor {
  return maxUnpoolNd('maxUnpool3d', 'max_unpool3d', 3, input, indices, kernelSize, options, maxUnpool3dOp);
}

export interface LpPoolOptions {
  /** null or absent: the kernel size. */
  stride?: Size | null;
  ceilMode?: boolean;
}

/**
 * Power-average pooling, as Python's F.lp_pool1d/2d/3d: (Σ xᵖ)^(1/p) over each window, through
 * the average pool (sign(s)·relu(|s|) of the window mean s, times the window size); p = ±∞ is
 * the max pool of |x| (of −|x|, negated).
 */
function lpPoolNd(
  op: string,
  dims: number,
  input: Tensor,
  normType: number,
  kernelSize: Size,
  options: LpPoolOptions | undefined,
  avg: (x: Tensor, k: Size, o: { stride?: Size; padding: number; ceilMode?: boolean }) => Tensor,
  max: (x: Tensor, k: Size, o: MaxPoolOptions) => Tensor,
): Tensor {
  return named(op, () => {
    tensorArg(op, 'input', input);
    const stride = options?.stride ?? undefined;
    const ceilMode = options?.ceilMode ?? false;
    if (normType === Number.POSITIVE_INFINITY) return max(input.abs(), kernelSize, { stride, ceilMode });
    if (normType === Number.NEGATIVE_INFINITY) return max(input.abs().neg(), kernelSize, { stride, ceilMode }).neg();
    const windowSize = ntuple(kernelSize, dims).reduce((a, b) => a * b, 1);
    const out = avg(input.pow(normType), kernelSize, { stride, padding: 0, ceilMode });
    return out
      .sign()
      .mul(out.abs().relu())
      .mul(windowSize)
      .pow(1 / normType);
  });
}

/** 1-d power-average pooling, as Python's F.lp_pool1d. */
export function lpPool1d(input: Tensor, normType: number, kernelSize: Size1, options?: LpPoolOptions): Tensor {
  return lpPoolNd(
    'lpPool1d',
    1,
    input,
    normType,
    single('lpPool1d', 'kernelSize', kernelSize),
    options,
    avgPool1d,
    maxPool1d,
  );
}

/** 2-d power-average pooling, as Python's F.lp_pool2d. */
export function lpPool2d(input: Tensor, normType: number, kernelSize: Size, options?: LpPoolOptions): Tensor {
  return lpPoolNd('lpPool2d', 2, input, normType, kernelSize, options, avgPool2d, maxPool2d);
}

/** 3-d power-average pooling, as Python's F.lp_pool3d. */
export function lpPool3d(input: Tensor, normType: number, kernelSize: Size, options?: LpPoolOptions): Tensor {
  return lpPoolNd('lpPool3d', 3, input, normType, kernelSize, options, avgPool3d, maxPool3d);
}

// ---- normalization (batchNorm, layerNorm, groupNorm and rmsNorm are the generated ops themselves)

/**
 * Instance normalisation, ATen's instance_norm: each (sample, channel) plane normalised by its
 * own statistics (`useInputStats`, the default; running statistics, when given, are updated),
 * or by the running statistics.
 */
export function instanceNorm(input: Tensor, options?: Parameters<typeof instanceNormOp>[1]): Tensor {
  return named(
    'instanceNorm',
    () => {
      tensorArg('instanceNorm', 'input', input);
      if ((options?.useInputStats ?? true) && input.shape.slice(2).reduce((a, b) => a * b, 1) === 1) {
        throw new Error(`Expected more than 1 spatial element when training, got input size ${sizeText(input)}`);
      }
      return instanceNormOp(input, options);
    },
    'instance_norm',
  );
}

/**
 * Local response normalisation across channels, Python's F.local_response_norm and the same
 * composition: x / (k + α·mean of x² over `size` neighbouring channels)^β.
 */
export function localResponseNorm(
  input: Tensor,
  size: number,
  options?: { alpha?: number; beta?: number; k?: number },
): Tensor {
  return named('localResponseNorm', () => {
    tensorArg('localResponseNorm', 'input', input);
    const dim = input.dim();
    if (dim < 3) throw new Error(`Expected 3D or higher dimensionality input (got ${dim} dimensions)`);
    if (input.numel() === 0) return input;
    const before = Math.floor(size / 2);
    const after = Math.floor((size - 1) / 2);
    let div = input.mul(input);
    if (dim === 3) {
      div = pad(div.unsqueeze(1), [0, 0, before, after]);
      div = avgPool2d(div, [size, 1], { stride: 1 }).squeeze(1);
    } else {
      const sizes = input.shape;
      div = div.view([sizes[0] as number, 1, sizes[1] as number, sizes[2] as number, -1]);
      div = pad(div, [0, 0, 0, 0, before, after]);
      div = avgPool3d(div, [size, 1, 1], { stride: 1 }).squeeze(1).view(sizes);
    }
    div = div
      .mul(options?.alpha ?? 1e-4)
      .add(options?.k ?? 1)
      .pow(options?.beta ?? 0.75);
    return input.div(div);
  });
}

// ---- resampling

export type InterpolateOptions = NonNullable<Parameters<typeof interpolateOp>[1]> & {
  /** Computes the output size from scaleFactor and resamples to that size, as Python's option. */
  recomputeScaleFactor?: boolean | null;
};

/** Resamples to `size` or by `scaleFactor` (Python's F.interpolate, without antialias). */
export function interpolate(input: Tensor, options?: InterpolateOptions): Tensor {
  const { recomputeScaleFactor, ...rest } = options ?? {};
  if (!recomputeScaleFactor) return interpolateOp(input, rest);
  return named('interpolate', () => {
    tensorArg('interpolate', 'input', input);
    if (rest.size != null) {
      throw new Error('interpolate: recompute_scale_factor is not meaningful with an explicit size.');
    }
    const dims = input.dim() - 2;
    const sf = rest.scaleFactor;
    if (sf == null) throw new Error('interpolate: either size or scaleFactor should be defined');
    const factors = typeof sf === 'number' ? new Array<number>(Math.max(dims, 0)).fill(sf) : sf;
    if (factors.length !== dims) {
      throw new Error(
        `interpolate: Input and scale_factor must have the same number of spatial dimensions, but got input with spatial dimensions of [${input.shape.slice(2).join(', ')}] and scale_factor of shape [${factors.join(', ')}].`,
      );
    }
    const size = factors.map((f, i) => Math.floor(input.size(i + 2) * f));
    return interpolateOp(input, { ...rest, scaleFactor: null, size });
  });
}

// ---- losses

/**
 * Huber loss, ATen's huber_loss of the input and target broadcast together, as Python's
 * F.huber_loss; a `weight` (of the input's size) multiplies the unreduced loss before reduction.
 */
export function huberLoss(
  input: Tensor,
  target: Tensor,
  options?: { reduction?: Reduction; delta?: number; weight?: Tensor | null },
): Tensor {
  return named(
    'huberLoss',
    () => {
      tensorArg('huberLoss', 'input', input);
      tensorArg('huberLoss', 'target', target);
      const reduction = options?.reduction ?? 'mean';
      checkReduction('huberLoss', reduction);
      warnBroadcast('huberLoss', input, target);
      const [x, y] = broadcastTensors([input, target]) as [Tensor, Tensor];
      const delta = options?.delta ?? 1;
      const weight = options?.weight ?? null;
      if (weight === null) return huberLossOp(x, y, { reduction, delta });
      tensorArg('huberLoss', 'weight', weight);
      if (!sameSize(weight, input)) throw new Error('huberLoss: Weights and input must have the same size.');
      return reduce(huberLossOp(x, y, { reduction: 'none', delta }).mul(weight), reduction);
    },
    'huber_loss',
  );
}

const warnedKlMean = { done: false };

/**
 * Kullback-Leibler divergence of `target` from `input` (log-probabilities), ATen's kl_div;
 * 'batchmean' sums and divides by the batch size, as Python's F.kl_div.
 */
export function klDiv(
  input: Tensor,
  target: Tensor,
  options?: { reduction?: Reduction | 'batchmean'; logTarget?: boolean },
): Tensor {
  return named(
    'klDiv',
    () => {
      tensorArg('klDiv', 'input', input);
      tensorArg('klDiv', 'target', target);
      const reduction = options?.reduction ?? 'mean';
      checkReduction('klDiv', reduction, ['batchmean']);
      if (!isFloatingPoint(input.dtype) || !isFloatingPoint(target.dtype)) {
        throw new Error(`klDiv: Integral inputs not supported (input ${input.dtype}, target ${target.dtype}).`);
      }
      if (reduction === 'mean' && !warnedKlMean.done) {
        warnedKlMean.done = true;
        process.emitWarning(
          "klDiv: reduction: 'mean' divides the total loss by both the batch size and the support size.'batchmean' divides only by the batch size, and aligns with the KL div math definition.'mean' will be changed to behave the same as 'batchmean' in the next major release.",
          'UserWarning',
        );
      }
      const batchmean = reduction === 'batchmean';
      const out = klDivOp(input, target, { reduction: batchmean ? 'sum' : reduction, logTarget: options?.logTarget });
      return batchmean && input.dim() !== 0 ? out.div(input.size(0)) : out;
    },
    'kl_div',
  );
}

/** log(1 + exp(−y·x)), ATen's soft_margin_loss; the target broadcasts to the input's shape. */
export function softMarginLoss(input: Tensor, target: Tensor, options?: { reduction?: Reduction }): Tensor {
  return named(
    'softMarginLoss',
    () => {
      tensorArg('softMarginLoss', 'input', input);
      tensorArg('softMarginLoss', 'target', target);
      const reduction = options?.reduction ?? 'mean';
      checkReduction('softMarginLoss', reduction);
      const lead = input.dim() - target.dim();
      if (lead < 0 || target.shape.some((d, i) => d !== 1 && d !== input.size(lead + i))) {
        throw new Error(
          `softMarginLoss: the target (size ${sizeText(target)}) must broadcast to the input's size ${sizeText(input)}`,
        );
      }
      return softMarginLossOp(input, target, { reduction });
    },
    'soft_margin_loss',
  );
}

/** max(0, −y·(x1 − x2) + margin), ATen's margin_ranking_loss; all three must have the same number of dims. */
export function marginRankingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options?: { margin?: number; reduction?: Reduction },
): Tensor {
  return named(
    'marginRankingLoss',
    () => {
      tensorArg('marginRankingLoss', 'input1', input1);
      tensorArg('marginRankingLoss', 'input2', input2);
      tensorArg('marginRankingLoss', 'target', target);
      checkReduction('marginRankingLoss', options?.reduction ?? 'mean');
      if (input1.dim() !== input2.dim() || input1.dim() !== target.dim()) {
        throw new Error(
          `marginRankingLoss: All input tensors should have same dimension but got sizes: input1: ${sizeText(input1)}, input2: ${sizeText(input2)}, target: ${sizeText(target)}`,
        );
      }
      return marginRankingLossOp(input1, input2, target, options);
    },
    'margin_ranking_loss',
  );
}

/** 1 − cos(x1, x2) where y = 1, max(0, cos(x1, x2) − margin) where y = −1, ATen's cosine_embedding_loss. */
export function cosineEmbeddingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options?: { margin?: number; reduction?: Reduction },
): Tensor {
  return named(
    'cosineEmbeddingLoss',
    () => {
      checkReduction('cosineEmbeddingLoss', options?.reduction ?? 'mean');
      return cosineEmbeddingLossOp(input1, input2, target, options);
    },
    'cosine_embedding_loss',
  );
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Gaussian negative log likelihood of `target` under N(input, var), as Python's
 * F.gaussian_nll_loss: var is clamped to eps (without gradient through the clamp), and may have
 * one dim less or size 1 in one dim (homoscedastic).
 */
export function gaussianNllLoss(
  input: Tensor,
  target: Tensor,
  variance: Tensor | number,
  options?: { full?: boolean; eps?: number; reduction?: Reduction },
): Tensor {
  return named('gaussianNllLoss', () => {
    tensorArg('gaussianNllLoss', 'input', input);
    tensorArg('gaussianNllLoss', 'target', target);
    const eps = options?.eps ?? 1e-6;
    let v: Tensor;
    if (typeof variance === 'number') {
      if (variance < 0) throw new Error('gaussianNllLoss: var has negative entry/entries');
      v = onesLike(input).mul(variance);
    } else {
      tensorArg('gaussianNllLoss', 'var', variance);
      if (noGrad(() => variance.lt(0).any().item())) {
        throw new Error('gaussianNllLoss: var has negative entry/entries');
      }
      v = variance;
    }
    if (!sameSize(v, input)) {
      const inShape = input.shape;
      const vShape = v.shape;
      if (vShape.length === inShape.length - 1 && vShape.every((d, i) => d === inShape[i])) {
        v = v.unsqueeze(-1);
      } else if (
        !(
          vShape.length === inShape.length &&
          inShape.reduce((acc, d, i) => acc + (d !== vShape[i] ? (vShape[i] as number) : 0), 0) === 1
        )
      ) {
        throw new Error(
          `gaussianNllLoss: var is of incorrect size (${sizeText(v)} for an input of size ${sizeText(input)})`,
        );
      }
    }
    const reduction = options?.reduction ?? 'mean';
    checkReduction('gaussianNllLoss', reduction);
    // Clamped for stability, without the clamp in the gradient (Python's no_grad clamp_ of a clone).
    const clamped = v.clone();
    noGrad(() => clamped.clamp_({ min: eps }));
    v = clamped;
    let loss = v.log().add(input.sub(target).pow(2).div(v)).mul(0.5);
    if (options?.full) loss = loss.add(HALF_LOG_2PI);
    return reduce(loss, reduction);
  });
}

/**
 * Poisson negative log likelihood, ATen's poisson_nll_loss: exp(x) − y·x with logInput, else
 * x − y·log(x + eps); `full` adds Stirling's term where y > 1.
 */
export function poissonNllLoss(...args: Parameters<typeof poissonNllLossOp>): Tensor {
  return named(
    'poissonNllLoss',
    () => {
      checkReduction('poissonNllLoss', args[2]?.reduction ?? 'mean');
      return poissonNllLossOp(...args);
    },
    'poisson_nll_loss',
  );
}

// ---- dropout variants (Python's checks and warnings around ATen's dropout, feature_dropout,
// alpha_dropout and feature_alpha_dropout; `inplace` calls their in-place forms)

export interface DropoutOptions {
  p?: number;
  training?: boolean;
  inplace?: boolean;
}

/** Python's check of a dropout probability (a ValueError there). */
function dropoutP(op: string, options: DropoutOptions | undefined, training: boolean): [number, boolean, boolean] {
  const p = options?.p ?? 0.5;
  if (typeof p !== 'number') throw new TypeError(`${op}: p must be a number, got ${describe(p)}`);
  if (p < 0 || p > 1) throw new Error(`${op}: dropout probability has to be between 0 and 1, but got ${p}`);
  return [p, options?.training ?? training, options?.inplace ?? false];
}

/** Zeroes each element with probability p and scales the rest by 1/(1 − p) while training, ATen's dropout. */
export function dropout(input: Tensor, options?: DropoutOptions): Tensor {
  return named('dropout', () => {
    tensorArg('dropout', 'input', input);
    const [p, training, inplace] = dropoutP('dropout', options, true);
    return inplace ? dropout_(input, p, training) : dropoutOp(input, { p, training });
  });
}

/** ATen's feature_dropout on `input`, unbatched inputs (`batchedDim` − 1 dims) with a batch dim added, as Python's dropout1d/3d. */
function featureDropoutNd(input: Tensor, batchedDim: number, p: number, training: boolean, inplace: boolean) {
  const batched = input.dim() === batchedDim;
  const x = batched ? input : input.unsqueeze(0);
  if (inplace) {
    featureDropout_(x, p, training);
    return input;
  }
  const out = featureDropout(x, p, training);
  return batched ? out : out.squeeze(0);
}

/** Zeroes whole channels (dim 1 of (N, C, L), dim 0 of (C, L)) with probability p while training. */
export function dropout1d(input: Tensor, options?: DropoutOptions): Tensor {
  return named(
    'dropout1d',
    () => {
      tensorArg('dropout1d', 'input', input);
      const [p, training, inplace] = dropoutP('dropout1d', options, true);
      const n = input.dim();
      if (n !== 2 && n !== 3) {
        throw new Error(
          `dropout1d: Expected 2D or 3D input, but received a ${n}D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).`,
        );
      }
      return featureDropoutNd(input, 3, p, training, inplace);
    },
    'feature_dropout',
  );
}

/**
 * Zeroes whole channels of (N, C, H, W) or (C, H, W) with probability p while training. As in
 * Python, a 3-D input is read as (N, C, L) (channel-wise 1-d dropout, with a warning), and other
 * ranks are dropped channel-wise along dim 1 with a deprecation warning.
 */
export function dropout2d(input: Tensor, options?: DropoutOptions): Tensor {
  return named(
    'dropout2d',
    () => {
      tensorArg('dropout2d', 'input', input);
      const [p, training, inplace] = dropoutP('dropout2d', options, true);
      const n = input.dim();
      if (n !== 3 && n !== 4) {
        warnOnce(
          `dropout2d ${n}`,
          `dropout2d: Received a ${n}-D input to dropout2d, which is deprecated and will result in an error in a future release. To retain the behavior and silence this warning, please use dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).`,
        );
      }
      if (n === 3) {
        warnOnce(
          'dropout2d 3',
          'dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will change in a future release to interpret the input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead.',
        );
      }
      return inplace ? featureDropout_(input, p, training) : featureDropout(input, p, training);
    },
    'feature_dropout',
  );
}

/** Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p while training (other ranks: a warning, as Python). */
export function dropout3d(input: Tensor, options?: DropoutOptions): Tensor {
  return named(
    'dropout3d',
    () => {
      tensorArg('dropout3d', 'input', input);
      const [p, training, inplace] = dropoutP('dropout3d', options, true);
      const n = input.dim();
      if (n !== 4 && n !== 5) {
        warnOnce(
          `dropout3d ${n}`,
          `dropout3d: Received a ${n}-D input to dropout3d, which is deprecated and will result in an error in a future release. To retain the behavior and silence this warning, please use dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).`,
        );
      }
      return featureDropoutNd(input, 5, p, training, inplace);
    },
    'feature_dropout',
  );
}

/** SELU-preserving dropout (ATen's alpha_dropout); `training` defaults to false, as in Python. */
export function alphaDropout(input: Tensor, options?: DropoutOptions): Tensor {
  return named(
    'alphaDropout',
    () => {
      tensorArg('alphaDropout', 'input', input);
      const [p, training, inplace] = dropoutP('alphaDropout', options, false);
      return inplace ? alphaDropout_(input, p, training) : alphaDropoutOp(input, p, training);
    },
    'alpha_dropout',
  );
}

/** alphaDropout of whole channels (dim 1), ATen's feature_alpha_dropout; `training` defaults to false. */
export function featureAlphaDropout(input: Tensor, options?: DropoutOptions): Tensor {
  return named(
    'featureAlphaDropout',
    () => {
      tensorArg('featureAlphaDropout', 'input', input);
      const [p, training, inplace] = dropoutP('featureAlphaDropout', options, false);
      return inplace ? featureAlphaDropout_(input, p, training) : featureAlphaDropoutOp(input, p, training);
    },
    'feature_alpha_dropout',
  );
}

// ---- distances

/** ‖x1 − x2 + eps‖_p along the last dim, ATen's pairwise_distance. */
export function pairwiseDistance(
  x1: Tensor,
  x2: Tensor,
  options?: { p?: number; eps?: number; keepdim?: boolean },
): Tensor {
  return named('pairwiseDistance', () => pairwiseDistanceOp(x1, x2, options), 'pairwise_distance');
}

/** x1·x2 / max(‖x1‖·‖x2‖, eps) along `dim` (default 1), ATen's cosine_similarity. */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options?: { dim?: number; eps?: number }): Tensor {
  return named('cosineSimilarity', () => cosineSimilarityOp(x1, x2, options), 'cosine_similarity');
}

// ---- margin, multi-label, triplet and CTC losses

/** max(0, 1 − (x[y] − x[i]))^p summed over i ≠ y, divided by C, ATen's multi_margin_loss (p 1 or 2). */
export function multiMarginLoss(
  input: Tensor,
  target: Tensor,
  options?: { p?: number; margin?: number; weight?: Tensor | null; reduction?: Reduction },
): Tensor {
  return named(
    'multiMarginLoss',
    () => {
      checkReduction('multiMarginLoss', options?.reduction ?? 'mean');
      const p = options?.p ?? 1;
      if (p !== 1 && p !== 2) throw new Error('multiMarginLoss: only p == 1 and p == 2 supported');
      const weight = options?.weight ?? null;
      if (weight !== null) {
        tensorArg('multiMarginLoss', 'weight', weight);
        if (weight.dim() !== 1) throw new Error('multiMarginLoss: weight must be one-dimensional');
      }
      return multiMarginLossOp(input, target, { ...options, p, weight });
    },
    'multi_margin_loss',
  );
}

/** Multi-class multi-label hinge loss, ATen's multilabel_margin_loss (targets: class indices, ended by −1). */
export function multilabelMarginLoss(input: Tensor, target: Tensor, options?: { reduction?: Reduction }): Tensor {
  return named(
    'multilabelMarginLoss',
    () => {
      checkReduction('multilabelMarginLoss', options?.reduction ?? 'mean');
      return multilabelMarginLossOp(input, target, options);
    },
    'multilabel_margin_loss',
  );
}

/**
 * −(y·logσ(x) + (1 − y)·logσ(−x)), weighted, averaged over the classes (the last dim), as
 * Python's F.multilabel_soft_margin_loss (a composition there too).
 */
export function multilabelSoftMarginLoss(
  input: Tensor,
  target: Tensor,
  options?: { weight?: Tensor | null; reduction?: Reduction },
): Tensor {
  return named('multilabelSoftMarginLoss', () => {
    tensorArg('multilabelSoftMarginLoss', 'input', input);
    tensorArg('multilabelSoftMarginLoss', 'target', target);
    const reduction = options?.reduction ?? 'mean';
    if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
      throw new Error(`multilabelSoftMarginLoss: ${String(reduction)} is not valid`);
    }
    let loss = target
      .mul(logsigmoid(input))
      .add(target.neg().add(1).mul(logsigmoid(input.neg())))
      .neg();
    const weight = options?.weight ?? null;
    if (weight !== null) {
      tensorArg('multilabelSoftMarginLoss', 'weight', weight);
      loss = loss.mul(weight);
    }
    const classDim = input.dim() - 1;
    loss = loss.sum(classDim).div(input.size(classDim));
    return reduce(loss, reduction);
  });
}

/** max(0, margin − x) where y = −1, x where y = 1, ATen's hinge_embedding_loss. */
export function hingeEmbeddingLoss(
  input: Tensor,
  target: Tensor,
  options?: { margin?: number; reduction?: Reduction },
): Tensor {
  return named(
    'hingeEmbeddingLoss',
    () => {
      checkReduction('hingeEmbeddingLoss', options?.reduction ?? 'mean');
      return hingeEmbeddingLossOp(input, target, options);
    },
    'hinge_embedding_loss',
  );
}

export interface TripletMarginLossOptions {
  margin?: number;
  p?: number;
  eps?: number;
  swap?: boolean;
  reduction?: Reduction;
}

/** max(0, d(a, p) − d(a, n) + margin) with the p-norm distance, ATen's triplet_margin_loss. */
export function tripletMarginLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options?: TripletMarginLossOptions,
): Tensor {
  return named(
    'tripletMarginLoss',
    () => {
      checkReduction('tripletMarginLoss', options?.reduction ?? 'mean');
      const margin = options?.margin ?? 1;
      if (!(margin > 0)) throw new Error(`tripletMarginLoss: margin must be greater than 0, got ${margin}`);
      return tripletMarginLossOp(anchor, positive, negative, options);
    },
    'triplet_margin_loss',
  );
}

/** A distance of two batches: a function, or a module whose forward takes the two (nn.PairwiseDistance). */
export type DistanceFunction = ((x1: Tensor, x2: Tensor) => Tensor) | { forward(x1: Tensor, x2: Tensor): Tensor };

export interface TripletMarginWithDistanceLossOptions {
  distanceFunction?: DistanceFunction | null;
  margin?: number;
  swap?: boolean;
  reduction?: Reduction;
}

/**
 * max(0, d(a, p) − d(a, n) + margin) with any distance (default torch.pairwiseDistance), as
 * Python's F.triplet_margin_with_distance_loss (a composition there too).
 */
export function tripletMarginWithDistanceLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options?: TripletMarginWithDistanceLossOptions,
): Tensor {
  return named('tripletMarginWithDistanceLoss', () => {
    const reduction = options?.reduction ?? 'mean';
    checkReduction('tripletMarginWithDistanceLoss', reduction);
    const margin = options?.margin ?? 1;
    if (!(margin > 0)) throw new Error(`tripletMarginWithDistanceLoss: margin must be greater than 0, got ${margin}`);
    tensorArg('tripletMarginWithDistanceLoss', 'anchor', anchor);
    tensorArg('tripletMarginWithDistanceLoss', 'positive', positive);
    tensorArg('tripletMarginWithDistanceLoss', 'negative', negative);
    const [a, p, n] = [anchor.dim(), positive.dim(), negative.dim()];
    if (a !== p || p !== n) {
      throw new Error(
        `tripletMarginWithDistanceLoss: The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: anchor ${a}D, positive ${p}D, and negative ${n}D inputs`,
      );
    }
    const fn = options?.distanceFunction ?? null;
    const distance: (x1: Tensor, x2: Tensor) => Tensor =
      fn === null
        ? (x1, x2) => pairwiseDistanceOp(x1, x2)
        : typeof fn === 'function'
          ? fn
          : (x1, x2) => fn.forward(x1, x2);
    const distPos = distance(anchor, positive);
    let distNeg = distance(anchor, negative);
    if (options?.swap) distNeg = distNeg.minimum(distance(positive, negative));
    return reduce(distPos.add(margin).sub(distNeg).clamp({ min: 0 }), reduction);
  });
}

/**
 * Connectionist temporal classification loss, ATen's ctc_loss: logProbs (T, N, C) or (T, C), the
 * lengths both as arrays of integers or both as integer tensors (as torch.ctc_loss); 'mean'
 * divides each loss by its target length and averages over the batch.
 */
export function ctcLoss(
  logProbs: Tensor,
  targets: Tensor,
  inputLengths: Tensor | number[],
  targetLengths: Tensor | number[],
  options?: { blank?: number; reduction?: Reduction; zeroInfinity?: boolean },
): Tensor {
  return named(
    'ctcLoss',
    () => {
      checkReduction('ctcLoss', options?.reduction ?? 'mean');
      if (Array.isArray(inputLengths) && Array.isArray(targetLengths)) {
        return ctcLossOp(logProbs, targets, inputLengths, targetLengths, options);
      }
      if (inputLengths instanceof Tensor && targetLengths instanceof Tensor) {
        return ctcLossOp(logProbs, targets, inputLengths, targetLengths, options);
      }
      throw new TypeError(
        `ctcLoss: inputLengths and targetLengths must both be arrays of integers or both be Tensors, got ${describe(inputLengths)} and ${describe(targetLengths)}`,
      );
    },
    'ctc_loss',
  );
}

// ---- embedding bags

export interface EmbeddingBagOptions {
  /** Where each bag starts in a 1-D input (null for a 2-D input: one bag per row). */
  offsets?: Tensor | null;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  mode?: 'sum' | 'mean' | 'max';
  sparse?: boolean;
  perSampleWeights?: Tensor | null;
  includeLastOffset?: boolean;
  paddingIdx?: number | null;
}

/**
 * Sums, means or maxima of bags of embeddings, ATen's embedding_bag, with what Python's
 * F.embedding_bag does around it: a 2-D input is one bag per row, maxNorm renormalises the
 * looked-up rows of `weight` in place first (without gradient).
 */
export function embeddingBag(input: Tensor, weight: Tensor, options?: EmbeddingBagOptions): Tensor {
  return named(
    'embeddingBag',
    () => {
      tensorArg('embeddingBag', 'input', input);
      tensorArg('embeddingBag', 'weight', weight);
      let offsets = options?.offsets ?? null;
      let psw = options?.perSampleWeights ?? null;
      let includeLastOffset = options?.includeLastOffset ?? false;
      const mode = options?.mode ?? 'mean';
      const sparse = options?.sparse ?? false;
      const scaleGradByFreq = options?.scaleGradByFreq ?? false;
      if (weight.dtype === 'int64' && isFloatingPoint(input.dtype)) {
        warnOnce(
          'embeddingBag order',
          'embeddingBag: Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.',
        );
        [input, weight] = [weight, input];
      }
      if (psw !== null) {
        tensorArg('embeddingBag', 'perSampleWeights', psw);
        if (!sameSize(psw, input)) {
          throw new Error(
            `embeddingBag: If perSampleWeights (${sizeText(psw)}) is not null, then it must have the same shape as the input (${sizeText(input)})`,
          );
        }
      }
      if (weight.dim() !== 2) {
        throw new Error(`embeddingBag: weight has to be a 2D Tensor, but got Tensor of dimension ${weight.dim()}`);
      }
      if (input.dim() === 2) {
        if (offsets !== null) {
          throw new Error(
            `embeddingBag: if input is 2D, then offsets has to be null, as input is treated is a mini-batch of fixed length sequences. However, found ${describe(offsets)} as offsets`,
          );
        }
        offsets = arange(0, input.numel(), input.size(1), { dtype: input.dtype, device: input.device });
        includeLastOffset = false;
        input = input.reshape([-1]);
        if (psw !== null) psw = psw.reshape([-1]);
      } else if (input.dim() === 1) {
        if (offsets === null) throw new Error('embeddingBag: offsets has to be a 1D Tensor but got null');
        tensorArg('embeddingBag', 'offsets', offsets);
        if (offsets.dim() !== 1) throw new Error('embeddingBag: offsets has to be a 1D Tensor');
      } else {
        throw new Error(`embeddingBag: input has to be 1D or 2D Tensor, but got Tensor of dimension ${input.dim()}`);
      }
      let modeEnum: number;
      if (mode === 'sum') modeEnum = 0;
      else if (mode === 'mean') modeEnum = 1;
      else if (mode === 'max') {
        modeEnum = 2;
        if (scaleGradByFreq)
          throw new Error('embeddingBag: max mode does not support scaling the gradient by the frequency');
        if (sparse) throw new Error('embeddingBag: max mode does not support sparse weights');
      } else throw new Error(`embeddingBag: mode has to be one of sum, mean or max, got ${JSON.stringify(mode)}`);
      const maxNorm = options?.maxNorm ?? null;
      if (maxNorm !== null) {
        const normType = options?.normType ?? 2;
        const w = weight.detach();
        noGrad(() => embeddingRenorm_(w, input, maxNorm, normType));
      }
      if (psw !== null && mode !== 'sum') {
        throw new Error(
          `embeddingBag: perSampleWeights was not null. perSampleWeights is only supported for mode='sum' (got mode='${mode}'). Please open a feature request on GitHub.`,
        );
      }
      return embeddingBagOp(weight, input, offsets, {
        scaleGradByFreq,
        mode: modeEnum,
        sparse,
        perSampleWeights: psw,
        includeLastOffset,
        paddingIdx: options?.paddingIdx ?? null,
      })[0];
    },
    'embedding_bag',
  );
}

// ---- multi-head attention: F.multi_head_attention_forward and its helpers (the math of
// nn.MultiheadAttention, which holds the parameters and calls this)

/**
 * PyTorch's F._canonical_mask (private there too): a boolean mask as an additive float mask of
 * `dtype` (-inf where true), a float mask as it is; any other dtype is an Error naming `op`. With
 * `other`, a mask of another dtype than the other mask's warns (once), as PyTorch does.
 */
export function _canonicalMask(
  mask: Tensor | null,
  maskName: string,
  dtype: DType,
  op: string,
  other?: { dtype: DType | null; name: string },
): Tensor | null {
  if (mask === null) return null;
  const isFloat = isFloatingPoint(mask.dtype);
  if (mask.dtype !== 'bool' && !isFloat) {
    throw new Error(`${op}: only bool and floating types of ${maskName} are supported, got ${mask.dtype}`);
  }
  if (other && other.dtype !== null && other.dtype !== mask.dtype) {
    warnOnce(
      `mismatched ${maskName} ${other.name}`,
      `Support for mismatched ${maskName} and ${other.name} is deprecated. Use same type for both instead.`,
    );
  }
  if (!isFloat) return zeros(mask.shape, { dtype, device: mask.device }).maskedFill(mask, Number.NEGATIVE_INFINITY);
  return mask;
}

/** F._mha_shape_check: whether the input is batched; wrong dimensions are an Error naming `op`. */
function mhaShapeCheck(
  op: string,
  query: Tensor,
  key: Tensor,
  value: Tensor,
  keyPaddingMask: Tensor | null,
  attnMask: Tensor | null,
  numHeads: number,
): boolean {
  const qd = query.dim();
  if (qd !== 2 && qd !== 3) {
    throw new Error(`${op}: query should be unbatched 2D or batched 3D tensor but received ${qd}-D query tensor`);
  }
  const kind = qd === 3 ? 'batched (3-D)' : 'unbatched (2-D)';
  if (key.dim() !== qd || value.dim() !== qd) {
    throw new Error(
      `${op}: For ${kind} \`query\`, expected \`key\` and \`value\` to be ${qd}-D but found ${key.dim()}-D and ${value.dim()}-D tensors respectively`,
    );
  }
  if (keyPaddingMask && keyPaddingMask.dim() !== qd - 1) {
    throw new Error(
      `${op}: For ${kind} \`query\`, expected \`key_padding_mask\` to be \`None\` or ${qd - 1}-D but found ${keyPaddingMask.dim()}-D tensor instead`,
    );
  }
  if (attnMask && attnMask.dim() !== 2 && attnMask.dim() !== 3) {
    throw new Error(
      `${op}: For ${kind} \`query\`, expected \`attn_mask\` to be \`None\`, 2-D or 3-D but found ${attnMask.dim()}-D tensor instead`,
    );
  }
  if (qd === 2 && attnMask && attnMask.dim() === 3) {
    const expected = [numHeads, query.size(0), key.size(0)];
    if (attnMask.shape.some((d, i) => d !== expected[i])) {
      throw new Error(
        `${op}: Expected \`attn_mask\` shape to be [${expected.join(', ')}] but got ${sizeText(attnMask)}`,
      );
    }
  }
  return qd === 3;
}

/**
 * F._in_projection_packed: q, k, v projected by one (3E, E) weight, each (len, batch, E); one
 * matmul for self-attention (`query === key === value`), one for key and value when `key ===
 * value`, as PyTorch.
 */
function inProjectionPacked(
  op: string,
  query: Tensor,
  key: Tensor,
  value: Tensor,
  w: Tensor,
  b: Tensor | null,
): [Tensor, Tensor, Tensor] {
  const e = query.size(-1);
  if (key.size(-1) !== e) {
    throw new Error(
      `${op}: key and value have ${key.size(-1)} features but the packed in_proj_weight ${sizeText(w)} takes ${e} (the query's); keys and values of another size need separate projection weights (kdim, vdim)`,
    );
  }
  // (…, n·E) → n contiguous (…, E) pieces, as PyTorch's unflatten/transpose/contiguous.
  const pieces = (proj: Tensor, n: number): Tensor[] => {
    const p = proj.unflatten(-1, [n, e]).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous();
    return Array.from({ length: n }, (_, i) => p.select(0, i));
  };
  if (key === value) {
    if (query === key) return pieces(linear(query, w, { bias: b }), 3) as [Tensor, Tensor, Tensor];
    const [wq, wkv] = w.split([e, 2 * e]) as [Tensor, Tensor];
    const [bq, bkv] = b ? (b.split([e, 2 * e]) as [Tensor, Tensor]) : [null, null];
    const [kProj, vProj] = pieces(linear(key, wkv, { bias: bkv }), 2) as [Tensor, Tensor];
    return [linear(query, wq, { bias: bq }), kProj, vProj];
  }
  const ws = w.chunk(3) as [Tensor, Tensor, Tensor];
  const bs = b ? (b.chunk(3) as [Tensor, Tensor, Tensor]) : [null, null, null];
  return [query, key, value].map((x, i) => linear(x, ws[i] as Tensor, { bias: bs[i] ?? null })) as [
    Tensor,
    Tensor,
    Tensor,
  ];
}

/** F._in_projection: q, k, v each by its own weight ((E, E), (E, kdim), (E, vdim)) and bias. */
function inProjection(
  op: string,
  xs: [Tensor, Tensor, Tensor],
  ws: [Tensor, Tensor, Tensor],
  bs: [Tensor | null, Tensor | null, Tensor | null],
): [Tensor, Tensor, Tensor] {
  const eq = xs[0].size(-1);
  const names = ['query', 'key', 'value'];
  const wNames = ['q_proj_weight', 'k_proj_weight', 'v_proj_weight'];
  xs.forEach((x, i) => {
    const w = ws[i] as Tensor;
    const ex = x.size(-1);
    if (w.dim() !== 2 || w.size(0) !== eq || w.size(1) !== ex) {
      const dimName = ['embed_dim', 'kdim', 'vdim'][i];
      throw new Error(
        w.dim() === 2 && w.size(0) === eq
          ? `${op}: ${names[i]} has ${ex} features but ${wNames[i]} is ${sizeText(w)} (${dimName} ${w.size(1)}); expecting ${names[i]} weights shape of [${eq}, ${ex}]`
          : `${op}: expecting ${names[i]} weights shape of [${eq}, ${ex}], but got ${sizeText(w)}`,
      );
    }
    const b = bs[i];
    if (b && (b.dim() !== 1 || b.size(0) !== eq)) {
      throw new Error(`${op}: expecting ${names[i]} bias shape of [${eq}], but got ${sizeText(b)}`);
    }
  });
  return xs.map((x, i) => linear(x, ws[i] as Tensor, { bias: bs[i] ?? null })) as [Tensor, Tensor, Tensor];
}

export interface MultiHeadAttentionForwardOptions {
  /** Whether dropout applies (default true, as PyTorch's functional; the module passes its own mode). */
  training?: boolean;
  /** (N, S), or (S) for unbatched input: true (or -inf) marks keys to ignore; floats are added. */
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  /** (L, S) or (N·heads, L, S): true (or -inf) masks a position, floats are added. */
  attnMask?: Tensor | null;
  /** Project with qProjWeight, kProjWeight, vProjWeight (keys and values of other sizes) instead of inProjWeight. */
  useSeparateProjWeight?: boolean;
  qProjWeight?: Tensor | null;
  kProjWeight?: Tensor | null;
  vProjWeight?: Tensor | null;
  /** Keys and values already projected and split into heads, (N·heads, S, E/heads). */
  staticK?: Tensor | null;
  staticV?: Tensor | null;
  averageAttnWeights?: boolean;
  /** A hint that attnMask is the causal mask (PyTorch's is_causal): attnMask is still required. */
  isCausal?: boolean;
}

/**
 * Multi-head attention, F.multi_head_attention_forward: query (L, N, E) or (L, E), key and value
 * (S, N, ·) or (S, ·), as PyTorch's (sequence first; batch-first transposes are the module's).
 * Returns [output, attention weights or null]: the weights ((N, L, S), or per head (N, heads, L,
 * S) without averageAttnWeights) are computed explicitly as softmax(QKᵀ/√d) when needWeights (the
 * default), else the output comes from scaled_dot_product_attention. biasK/biasV (1, 1, E) are
 * appended to the keys and values and addZeroAttn appends a zero key and value, each padding the
 * masks with a column, as PyTorch. `query === key === value` (the same Tensor) takes one packed
 * projection and `key === value` a shared key/value one; the values are the same either way.
 */
export function multiHeadAttentionForward(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  embedDimToCheck: number,
  numHeads: number,
  inProjWeight: Tensor | null,
  inProjBias: Tensor | null,
  biasK: Tensor | null,
  biasV: Tensor | null,
  addZeroAttn: boolean,
  dropoutP: number,
  outProjWeight: Tensor,
  outProjBias: Tensor | null,
  options?: MultiHeadAttentionForwardOptions,
): [Tensor, Tensor | null] {
  const op = 'multiHeadAttentionForward';
  return named(op, () => {
    tensorArg(op, 'query', query);
    tensorArg(op, 'key', key);
    tensorArg(op, 'value', value);
    tensorArg(op, 'outProjWeight', outProjWeight);
    const needWeights = options?.needWeights ?? true;
    let isCausal = options?.isCausal ?? false;
    let keyPaddingMask = options?.keyPaddingMask ?? null;
    let attnMask = options?.attnMask ?? null;
    const isBatched = mhaShapeCheck(op, query, key, value, keyPaddingMask, attnMask, numHeads);
    if (!isBatched) {
      query = query.unsqueeze(1);
      key = key.unsqueeze(1);
      value = value.unsqueeze(1);
      if (keyPaddingMask) keyPaddingMask = keyPaddingMask.unsqueeze(0);
    }
    const [tgtLen, bsz, embedDim] = query.shape as [number, number, number];
    const keyLen = key.size(0);
    keyPaddingMask = _canonicalMask(keyPaddingMask, 'key_padding_mask', query.dtype, op, {
      dtype: attnMask?.dtype ?? null,
      name: 'attn_mask',
    });
    if (isCausal && attnMask === null) {
      throw new Error(
        `${op}: Need attn_mask if specifying the is_causal hint. You may use the Transformer module method \`generate_square_subsequent_mask\` to create this mask.`,
      );
    }
    if (isCausal && keyPaddingMask === null && !needWeights) {
      // The hint alone goes to scaled_dot_product_attention, as in PyTorch: the mask is not used.
      attnMask = null;
    } else {
      attnMask = _canonicalMask(attnMask, 'attn_mask', query.dtype, op);
      // Merged with the key padding mask below, the mask is no longer causal.
      if (keyPaddingMask) isCausal = false;
    }
    if (embedDim !== embedDimToCheck) {
      throw new Error(`${op}: was expecting embedding dimension of ${embedDimToCheck}, but got ${embedDim}`);
    }
    const h = numHeads;
    const hd = Math.floor(embedDim / h);
    if (hd * h !== embedDim) throw new Error(`${op}: embed_dim ${embedDim} not divisible by num_heads ${h}`);

    let q: Tensor;
    let k: Tensor;
    let v: Tensor;
    if (!(options?.useSeparateProjWeight ?? false)) {
      if (!sameSize(key, value)) {
        throw new Error(`${op}: key shape ${sizeText(key)} does not match value shape ${sizeText(value)}`);
      }
      if (inProjWeight === null) throw new Error(`${op}: useSeparateProjWeight is false but inProjWeight is null`);
      [q, k, v] = inProjectionPacked(op, query, key, value, inProjWeight, inProjBias);
    } else {
      if (key.size(0) !== value.size(0) || key.size(1) !== value.size(1)) {
        throw new Error(
          `${op}: key's sequence and batch dims [${key.shape.slice(0, 2).join(', ')}] do not match value's [${value.shape.slice(0, 2).join(', ')}]`,
        );
      }
      const ws = [options?.qProjWeight, options?.kProjWeight, options?.vProjWeight].map((w, i) => {
        if (!w) throw new Error(`${op}: useSeparateProjWeight is true but ${'qkv'[i]}ProjWeight is null`);
        return w;
      }) as [Tensor, Tensor, Tensor];
      const bs = inProjBias ? (inProjBias.chunk(3) as [Tensor, Tensor, Tensor]) : ([null, null, null] as const);
      [q, k, v] = inProjection(op, [query, key, value], ws, [bs[0], bs[1], bs[2]]);
    }

    if (attnMask) {
      if (attnMask.dim() === 2) {
        if (attnMask.size(0) !== tgtLen || attnMask.size(1) !== keyLen) {
          throw new Error(
            `${op}: The shape of the 2D attn_mask is ${sizeText(attnMask)}, but should be [${tgtLen}, ${keyLen}].`,
          );
        }
        attnMask = attnMask.unsqueeze(0);
      } else if (attnMask.size(0) !== bsz * h || attnMask.size(1) !== tgtLen || attnMask.size(2) !== keyLen) {
        throw new Error(
          `${op}: The shape of the 3D attn_mask is ${sizeText(attnMask)}, but should be [${bsz * h}, ${tgtLen}, ${keyLen}].`,
        );
      }
    }

    const staticK = options?.staticK ?? null;
    const staticV = options?.staticV ?? null;
    // Columns appended to the masks (bias_k/bias_v, the zero attention), for the error below.
    let padded = 0;
    if (biasK && biasV) {
      if (staticK) throw new Error(`${op}: bias cannot be added to static key.`);
      if (staticV) throw new Error(`${op}: bias cannot be added to static value.`);
      k = cat([k, biasK.repeat([1, bsz, 1])]);
      v = cat([v, biasV.repeat([1, bsz, 1])]);
      if (attnMask) attnMask = pad(attnMask, [0, 1]);
      if (keyPaddingMask) keyPaddingMask = pad(keyPaddingMask, [0, 1]);
      padded++;
    } else if (biasK) {
      throw new Error(`${op}: biasK is set but biasV is null`);
    } else if (biasV) {
      throw new Error(`${op}: biasV is set but biasK is null`);
    }

    q = q.view([tgtLen, bsz * h, hd]).transpose(0, 1);
    const heads = (x: Tensor, given: Tensor | null, name: string): Tensor => {
      if (!given) return x.view([x.size(0), bsz * h, hd]).transpose(0, 1);
      if (given.dim() !== 3 || given.size(0) !== bsz * h || given.size(2) !== hd) {
        throw new Error(
          `${op}: expecting ${name} of shape [${bsz * h}, S, ${hd}] (batch·heads, length, head dim), but got ${sizeText(given)}`,
        );
      }
      return given;
    };
    k = heads(k, staticK, 'staticK');
    v = heads(v, staticV, 'staticV');

    if (addZeroAttn) {
      const zeroShape = [bsz * h, 1, hd];
      k = cat([k, zeros(zeroShape, { dtype: k.dtype, device: k.device })], 1);
      v = cat([v, zeros(zeroShape, { dtype: v.dtype, device: v.device })], 1);
      if (attnMask) attnMask = pad(attnMask, [0, 1]);
      if (keyPaddingMask) keyPaddingMask = pad(keyPaddingMask, [0, 1]);
      padded++;
    }
    const srcLen = k.size(1);

    if (keyPaddingMask) {
      if (keyPaddingMask.size(0) !== bsz || keyPaddingMask.size(1) !== srcLen) {
        // In the caller's terms: the mask and the key length before the appended columns.
        throw new Error(
          `${op}: Expected key_padding_mask of shape [${bsz}, ${srcLen - padded}], got [${keyPaddingMask.size(0)}, ${keyPaddingMask.size(1) - padded}]`,
        );
      }
      const kpm = keyPaddingMask
        .view([bsz, 1, 1, srcLen])
        .expand([-1, h, -1, -1])
        .reshape([bsz * h, 1, srcLen]);
      attnMask = attnMask ? attnMask.add(kpm) : kpm;
    }
    if (!(options?.training ?? true)) dropoutP = 0;

    let out: Tensor;
    if (needWeights) {
      const qScaled = q.mul(Math.sqrt(1 / hd));
      let w = attnMask ? attnMask.baddbmm(qScaled, k.transpose(-2, -1)) : qScaled.bmm(k.transpose(-2, -1));
      w = softmax(w, -1);
      if (dropoutP > 0) w = dropout(w, { p: dropoutP });
      out = w
        .bmm(v)
        .transpose(0, 1)
        .reshape([tgtLen * bsz, embedDim]);
      out = linear(out, outProjWeight, { bias: outProjBias });
      out = out.view([tgtLen, bsz, out.size(1)]);
      let weights = w.view([bsz, h, tgtLen, srcLen]);
      if (options?.averageAttnWeights ?? true) weights = weights.mean(1);
      if (!isBatched) {
        out = out.squeeze(1);
        weights = weights.squeeze(0);
      }
      return [out, weights];
    }
    if (attnMask) {
      attnMask =
        attnMask.size(0) === 1 && attnMask.dim() === 3 ? attnMask.unsqueeze(0) : attnMask.view([bsz, h, -1, srcLen]);
    }
    out = scaledDotProductAttention(
      q.view([bsz, h, tgtLen, hd]),
      k.view([bsz, h, srcLen, hd]),
      v.view([bsz, h, srcLen, hd]),
      { attnMask, dropoutP, isCausal },
    );
    out = out.permute([2, 0, 1, 3]).reshape([bsz * tgtLen, embedDim]);
    out = linear(out, outProjWeight, { bias: outProjBias });
    out = out.view([tgtLen, bsz, out.size(1)]);
    return [isBatched ? out : out.squeeze(1), null];
  });
}
