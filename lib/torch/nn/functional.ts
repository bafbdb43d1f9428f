// torch.nn.functional: the stateless math of the layers. Every function is ATen's op, from
// ops.table; the functions below add what Python's functional.py does around the op (argument
// checks, warnings, 'batchmean', weights, sizes given as null), say which input shapes the 1-d
// and adaptive pools take, and name the function in their errors. softmin, softsign, tanhshrink
// and gaussianNllLoss are compositions, as in Python.

import {
  adaptiveMaxPool2d as adaptiveMaxPool2dOp,
  adaptiveMaxPool2dWithIndices as adaptiveMaxPool2dWithIndicesOp,
  binaryCrossEntropy as binaryCrossEntropyOp,
  glu as gluOp,
  huberLoss as huberLossOp,
  interpolate as interpolateOp,
  l1Loss as l1LossOp,
  mseLoss as mseLossOp,
  smoothL1Loss as smoothL1LossOp,
  softMarginLoss as softMarginLossOp,
} from '../../generated/functional.js';
import {
  avgPool1d as avgPool1dOp,
  broadcastTensors,
  channelShuffle as channelShuffleOp,
  cosineEmbeddingLoss as cosineEmbeddingLossOp,
  klDiv as klDivOp,
  marginRankingLoss as marginRankingLossOp,
  maxPool1d as maxPool1dOp,
  maxPool1dWithIndices as maxPool1dWithIndicesOp,
  onesLike,
  pixelShuffle as pixelShuffleOp,
  pixelUnshuffle as pixelUnshuffleOp,
  poissonNllLoss as poissonNllLossOp,
} from '../../generated/functions.js';
import { noGrad } from '../autograd.js';
import { type DType, isFloatingPoint } from '../dtype.js';
import { describe, type Reduction } from '../marshal.js';
import { Tensor } from '../tensor.js';

export * from '../../generated/functional.js';

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

/** A TypeError naming the function unless `x` is a Tensor. */
function tensorArg(op: string, name: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: argument '${name}' must be a Tensor, got ${describe(x)}`);
}

/**
 * Runs `body`; its errors name `op`, the function called. An error of `aten`, the ATen op that
 * `op` calls, names `op` in its place (`pixelShuffle: expects ...` where the boundary says
 * `pixel_shuffle: pixel_shuffle expects ...`); an error of another op keeps that op's name after
 * `op`'s (`softmin: softmax: ...`).
 */
function named<T>(op: string, body: () => T, aten?: string): T {
  try {
    return body();
  } catch (e) {
    if (!(e instanceof Error) || e.message.startsWith(`${op}: `)) throw e;
    let text = e.message;
    if (aten && text.startsWith(`${aten}: `)) {
      text = text.slice(aten.length + 2);
      if (text.startsWith(`${aten} expects `)) text = text.slice(aten.length + 1);
    }
    throw e instanceof TypeError ? new TypeError(`${op}: ${text}`) : new Error(`${op}: ${text}`);
  }
}

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

// ---- activations (selu, celu, relu6, hardsigmoid, hardswish, logsigmoid, prelu and threshold are
// the generated ops themselves)

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

/** The input shapes a 1-d pool takes (ATen's own check names only its argument #1). */
function check1dInput(op: string, input: Tensor): void {
  tensorArg(op, 'input', input);
  if (input.dim() !== 2 && input.dim() !== 3) {
    throw new Error(
      `${op}: Expected 2D (C, L) or 3D (N, C, L) input tensor, but got ${input.dim()}D of size ${sizeText(input)}`,
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
      check1dInput('avgPool1d', input);
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
      check1dInput('maxPool1d', input);
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
function adaptiveSize(op: string, input: Tensor, outputSize: AdaptiveSize): [number, number] {
  const list = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  if (!Array.isArray(list) || list.length !== 2) {
    throw new TypeError(
      `${op}: outputSize must be a number or an array of 2 (numbers or null), got ${JSON.stringify(outputSize)}`,
    );
  }
  const n = input.dim();
  return list.map((v, i) => (v === null || v === undefined ? input.size(n - 2 + i) : v)) as [number, number];
}

/** Adaptive 2-d max pooling, ATen's; `returnIndices` adds the flat (h·W + w) index of each maximum. */
export function adaptiveMaxPool2d(input: Tensor, outputSize: AdaptiveSize, options?: { returnIndices?: false }): Tensor;
export function adaptiveMaxPool2d(
  input: Tensor,
  outputSize: AdaptiveSize,
  options: { returnIndices: true },
): [Tensor, Tensor];
export function adaptiveMaxPool2d(
  input: Tensor,
  outputSize: AdaptiveSize,
  options?: { returnIndices?: boolean },
): Tensor | [Tensor, Tensor];
export function adaptiveMaxPool2d(
  input: Tensor,
  outputSize: AdaptiveSize,
  options?: { returnIndices?: boolean },
): Tensor | [Tensor, Tensor] {
  const returnIndices = options?.returnIndices ?? false;
  return named(
    'adaptiveMaxPool2d',
    () => {
      tensorArg('adaptiveMaxPool2d', 'input', input);
      if (input.dim() !== 3 && input.dim() !== 4) {
        throw new Error(
          `adaptiveMaxPool2d: Expected 3D (C, H, W) or 4D (N, C, H, W) input tensor, but got ${input.dim()}D of size ${sizeText(input)}`,
        );
      }
      const size = adaptiveSize('adaptiveMaxPool2d', input, outputSize);
      if (!returnIndices) return adaptiveMaxPool2dOp(input, size);
      const [values, indices] = adaptiveMaxPool2dWithIndicesOp(input, size);
      return [values, indices];
    },
    returnIndices ? 'adaptive_max_pool2d_with_indices' : 'adaptive_max_pool2d',
  );
}

/** adaptiveMaxPool2d with its indices, as Python's F.adaptive_max_pool2d_with_indices. */
export function adaptiveMaxPool2dWithIndices(input: Tensor, outputSize: AdaptiveSize): [Tensor, Tensor] {
  return adaptiveMaxPool2d(input, outputSize, { returnIndices: true });
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
