// torch.nn.functional: the stateless math of the layers. Generated from ops.table; the losses
// below add the size checks that Python's functional.py makes before calling the kernel, and the
// functions below those are PyTorch's, composed from the ops that ops.table has, with the
// operations (and their order) of PyTorch's own kernels, so that the values agree with PyTorch's.

import {
  adaptiveMaxPool2d as adaptiveMaxPool2dOp,
  avgPool2d,
  binaryCrossEntropy as binaryCrossEntropyOp,
  elu,
  hardtanh,
  interpolate as interpolateOp,
  l1Loss as l1LossOp,
  maxPool2d,
  mseLoss as mseLossOp,
  pad,
  smoothL1Loss as smoothL1LossOp,
  softplus,
} from '../../generated/functional.js';
import { arange, minimum, onesLike, stack, where, zeros, zerosLike } from '../../generated/functions.js';
import { autograd, enableGrad, isGradEnabled, noGrad } from '../autograd.js';
import { tensor } from '../creation.js';
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

// ---- helpers of the composed functions

/** A TypeError naming the function unless `x` is a Tensor. */
function tensorArg(op: string, name: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: argument '${name}' must be a Tensor, got ${describe(x)}`);
}

/** Runs `body`; an error from an op inside it is reported under `op`'s name (`softmin: softmax: ...`). */
function named<T>(op: string, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (e instanceof Error && !e.message.startsWith(`${op}: `)) {
      throw e instanceof TypeError ? new TypeError(`${op}: ${e.message}`) : new Error(`${op}: ${e.message}`);
    }
    throw e;
  }
}

function checkReduction(op: string, reduction: unknown, extra: readonly string[] = []): void {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none' && !extra.includes(reduction as string)) {
    throw new Error(`${op}: ${String(reduction)} is not a valid value for reduction`);
  }
}

/** ATen's apply_loss_reduction. */
function reduce(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === 'mean' ? loss.mean() : reduction === 'sum' ? loss.sum() : loss;
}

/** A dim in [0, n), or an Error as PyTorch's "Dimension out of range". */
function wrapDim(op: string, dim: number, n: number): number {
  const lo = n === 0 ? -1 : -n;
  const hi = n === 0 ? 0 : n - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new Error(`${op}: Dimension out of range (expected to be in range of [${lo}, ${hi}], but got ${dim})`);
  }
  return dim < 0 ? dim + Math.max(n, 1) : dim;
}

/** A float constant as a kernel of `dtype` holds it: float32 (opmath of the reduced types) rounds it. */
const asScalar = (dtype: DType, x: number): number => (dtype === 'float64' ? x : Math.fround(x));

/** Whether autograd will record ops on `t` (the gradient carriers below are needed only then). */
const recording = (t: Tensor): boolean => t.requiresGrad && isGradEnabled();

/**
 * `value` (computed with ATen's forward expression), with ATen's backward expression as its
 * gradient instead of the one autograd derives from the composition. Each carrier is built so
 * that autograd computes exactly ATen's gradient through it (typically x·k, k the derivative
 * computed without grad the way ATen's kernel computes it, so that the gradient is grad·k);
 * what is added is c − c.detach(), zero. Where a carrier is not finite (an infinite input), the
 * composition's own gradient is kept.
 */
function withGradient(value: Tensor, carriers: Tensor[]): Tensor {
  let zero: Tensor | null = null;
  for (const c of carriers) {
    const z = c.sub(c.detach());
    zero = zero ? zero.add(z) : z;
  }
  if (!zero) return value;
  return where(zero.detach().eq(0), value.detach().add(zero), value);
}

/** A tensor computed without gradient. */
const constant = (fn: () => Tensor): Tensor => noGrad(fn);

/** `value`'s value, with gradient 1 to `x` (x − x.detach() adds zero). */
const straightThrough = (value: Tensor, x: Tensor): Tensor => value.detach().add(x.sub(x.detach()));

/**
 * exp(y) for y <= 0 as ATen's activation kernels compute it (Vectorized::exp, which torch.exp's
 * kernel does not use): elu's gradient there, grad·1·1·exp(y·1), without grad.
 */
function kernelExp(y: Tensor): Tensor {
  return enableGrad(() => {
    const t = y.detach().requiresGrad_();
    return autograd.grad(elu(t), t, { gradOutputs: [onesLike(t)] })[0] as Tensor;
  }).detach();
}

// ---- activations

// ATen's SELU_ALPHA and SELU_SCALE (1.6732632423543772848170429916717, 1.0507009873554804934193349852946) as doubles.
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/**
 * ATen's elu(x, alpha, scale, inputScale): x·scale where x > 0, else expm1(x·inputScale)·alpha·scale.
 * The negative side is the native elu of x·inputScale with alpha·scale (its forward and backward
 * are ATen's expressions for it, the backward's x <= 0 included), the positive side x·scale.
 */
function eluScaled(x: Tensor, alpha: number, scale: number, inputScale: number): Tensor {
  const f32 = (v: number) => asScalar(x.dtype, v);
  const negcoef = x.dtype === 'float64' ? alpha * scale : Math.fround(f32(alpha) * f32(scale));
  const positive = scale === 1 ? x : x.mul(scale);
  const scaled = inputScale === 1 ? x : x.mul(inputScale);
  // A negative inputScale turns x <= 0 into positive values, which the native elu leaves linear.
  const negative = inputScale > 0 ? elu(scaled, { alpha: negcoef }) : scaled.expm1().mul(negcoef);
  return where(x.gt(0), positive, negative);
}

/** SELU: scale·elu(x, alpha) with PyTorch's constants (at::selu is this elu call). */
export function selu(input: Tensor): Tensor {
  return named('selu', () => {
    tensorArg('selu', 'input', input);
    return eluScaled(input, SELU_ALPHA, SELU_SCALE, 1);
  });
}

/**
 * CELU: max(0, x) + min(0, alpha·(exp(x/alpha) − 1)) (at::celu is elu with inputScale 1/alpha).
 * Its gradient is ATen's elu_backward as PyTorch's autograd calls it for celu, with inputScale
 * 1/(float)alpha: grad where x > 0, else grad·inputScale·alpha·exp(x·inputScale).
 */
export function celu(input: Tensor, options?: { alpha?: number }): Tensor {
  return named('celu', () => {
    tensorArg('celu', 'input', input);
    const alpha = options?.alpha ?? 1;
    if (alpha === 0) throw new Error('celu: ZeroDivisionError: alpha cannot be 0 for CELU');
    const out = eluScaled(input, alpha, 1, 1 / alpha);
    if (!recording(input)) return out;
    const inputScale = 1 / Math.fround(alpha);
    let negative: Tensor;
    if (inputScale > 0) {
      // elu(x·inputScale, alpha)·inputScale with x·inputScale passed straight through: its
      // backward is elu's at x·inputScale applied to grad·inputScale, ATen's
      // ((grad·inputScale)·alpha)·exp(x·inputScale), its exp included.
      negative = elu(straightThrough(input.mul(inputScale), input), { alpha }).mul(inputScale);
    } else {
      // (A negative alpha.) ((x·e)·alpha)·inputScale: backward ((grad·inputScale)·alpha)·e.
      const zero = zeros([], { dtype: input.dtype, device: input.device });
      const e = constant(() => minimum(input, zero).mul(inputScale).exp());
      negative = input.mul(e).mul(alpha).mul(inputScale);
    }
    return withGradient(out, [where(input.gt(0), input, negative)]);
  });
}

/** min(max(0, x), 6): at::relu6 is hardtanh(x, 0, 6). */
export function relu6(input: Tensor): Tensor {
  return named('relu6', () => {
    tensorArg('relu6', 'input', input);
    return hardtanh(input, { minVal: 0, maxVal: 6 });
  });
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

/** ATen's hardsigmoid backward multiplies by 1/6 as a float (1.0f / 6.0f), in every dtype. */
const ONE_SIXTH_F = Math.fround(1 / 6);

/** min(max(x + 3, 0), 6) / 6; the gradient is ATen's: grad·(float)(1/6) where −3 < x < 3, else 0. */
export function hardsigmoid(input: Tensor): Tensor {
  return named('hardsigmoid', () => {
    tensorArg('hardsigmoid', 'input', input);
    const out = hardtanh(input.add(3), { minVal: 0, maxVal: 6 }).div(6);
    if (!recording(input)) return out;
    const k = constant(() => where(input.gt(-3).logicalAnd(input.lt(3)), ONE_SIXTH_F, 0).to({ dtype: input.dtype }));
    return withGradient(out, [input.mul(k)]);
  });
}

/**
 * x · min(max(x + 3, 0), 6) / 6; the gradient is ATen's: 0 where x <= −3, grad where x >= 3,
 * grad·(x/3 + 1/2) between.
 */
export function hardswish(input: Tensor): Tensor {
  return named('hardswish', () => {
    tensorArg('hardswish', 'input', input);
    const out = input.mul(hardtanh(input.add(3), { minVal: 0, maxVal: 6 })).div(6);
    if (!recording(input)) return out;
    const k = constant(() => where(input.le(-3), 0, where(input.lt(3), input.div(3).add(0.5), 1)));
    return withGradient(out, [input.mul(k)]);
  });
}

/**
 * log(sigmoid(x)) = min(x, 0) − log1p(exp(−|x|)), ATen's formula (softplus(−|x|) is its
 * log1p(exp(−|x|))); the gradient is ATen's: grad·(max' − sign·z/(1 + z)), z = exp(−|x|).
 */
export function logsigmoid(input: Tensor): Tensor {
  return named('logsigmoid', () => {
    tensorArg('logsigmoid', 'input', input);
    const zero = zeros([], { dtype: input.dtype, device: input.device });
    const out = minimum(input, zero).sub(softplus(input.abs().neg()));
    if (!recording(input)) return out;
    const k = constant(() => {
      const z = kernelExp(input.abs().neg());
      const negative = input.lt(0);
      const one = onesLike(input);
      const maxDeriv = where(negative, one, 0);
      const sign = where(negative, one, -1);
      return maxDeriv.sub(sign.mul(z.div(z.add(1))));
    });
    return withGradient(out, [input.mul(k)]);
  });
}

/**
 * max(0, x) + weight·min(0, x), with one weight or one per channel (dim 1), as at::prelu: x where
 * x > 0, else weight·x.
 */
export function prelu(input: Tensor, weight: Tensor): Tensor {
  return named('prelu', () => {
    tensorArg('prelu', 'input', input);
    tensorArg('prelu', 'weight', weight);
    const n = weight.numel();
    if (weight.dim() > 1) {
      throw new Error(`prelu: Expected \`weight\` to be a scalar or 1D tensor, but got: ndim = ${weight.dim()}`);
    }
    if (n !== 1) {
      if (input.dim() === 0) throw new Error('prelu: Not allow zero-dim input tensor.');
      const channels = input.dim() > 1 ? input.size(1) : 1;
      if (channels !== n) {
        throw new Error(
          `prelu: Mismatch of parameter numbers and input channel size. Found parameter numbers = ${n} and channel size = ${channels}.`,
        );
      }
    }
    let w = weight;
    if (input.dim() !== weight.dim()) {
      const shape = new Array<number>(input.dim()).fill(1);
      if (input.dim() > 1) shape[1] = n;
      w = weight.reshape(shape);
    }
    return where(input.gt(0), input, w.mul(input));
  });
}

/** a·sigmoid(b), where a and b are the halves of `input` along `dim`. */
export function glu(input: Tensor, dim = -1): Tensor {
  return named('glu', () => {
    tensorArg('glu', 'input', input);
    if (input.dim() === 0) throw new Error('glu: glu does not support scalars because halving size must be even');
    const d = wrapDim('glu', dim, input.dim());
    const size = input.size(d);
    if (size % 2 !== 0) throw new Error(`glu: Halving dimension must be even, but dimension ${d} is size ${size}`);
    const [a, b] = input.chunk(2, d) as [Tensor, Tensor];
    const s = b.sigmoid();
    const out = a.mul(s);
    if (!recording(input)) return out;
    // ATen's glu_backward: grad·s for a, (1 − s)·s·a·grad for b.
    const sd = s.detach();
    const k = constant(() => sd.neg().add(1).mul(sd).mul(a));
    return withGradient(out, [a.mul(sd), b.mul(k)]);
  });
}

/** `value` where x <= threshold, else x (ATen's test, so NaN stays NaN). */
export function threshold(input: Tensor, threshold: number, value: number): Tensor {
  return named('threshold', () => {
    tensorArg('threshold', 'input', input);
    const out = where(input.le(threshold), value, input);
    return out.dtype === input.dtype ? out : out.to({ dtype: input.dtype });
  });
}

// ---- shuffles

function positiveInt(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new TypeError(`${op}: ${name} must be an integer, got ${describe(v)}`);
  }
  if (v <= 0) throw new Error(`${op}: expects a positive ${name}, but got ${v}`);
  return v;
}

/** (*, C·r², H, W) → (*, C, H·r, W·r), ATen's reshape, permute and copy. */
export function pixelShuffle(input: Tensor, upscaleFactor: number): Tensor {
  return named('pixelShuffle', () => {
    tensorArg('pixelShuffle', 'input', input);
    const r = positiveInt('pixelShuffle', 'upscaleFactor', upscaleFactor);
    const n = input.dim();
    if (n < 3) {
      throw new Error(
        `pixelShuffle: expects input to have at least 3 dimensions, but got input with ${n} dimension(s)`,
      );
    }
    const [c, h, w] = input.shape.slice(-3) as [number, number, number];
    if (c % (r * r) !== 0) {
      throw new Error(
        `pixelShuffle: expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=${c} is not divisible by ${r * r}`,
      );
    }
    const batch = input.shape.slice(0, -3);
    const b = batch.length;
    const lead = batch.map((_, i) => i);
    return input
      .reshape([...batch, c / (r * r), r, r, h, w])
      .permute([...lead, b, b + 3, b + 1, b + 4, b + 2])
      .reshape([...batch, c / (r * r), h * r, w * r]);
  });
}

/** (*, C, H·r, W·r) → (*, C·r², H, W), the inverse of pixelShuffle. */
export function pixelUnshuffle(input: Tensor, downscaleFactor: number): Tensor {
  return named('pixelUnshuffle', () => {
    tensorArg('pixelUnshuffle', 'input', input);
    const r = positiveInt('pixelUnshuffle', 'downscaleFactor', downscaleFactor);
    const n = input.dim();
    if (n < 3) {
      throw new Error(
        `pixelUnshuffle: expects input to have at least 3 dimensions, but got input with ${n} dimension(s)`,
      );
    }
    const [c, h, w] = input.shape.slice(-3) as [number, number, number];
    if (h % r !== 0) {
      throw new Error(
        `pixelUnshuffle: expects height to be divisible by downscale_factor, but input.size(-2)=${h} is not divisible by ${r}`,
      );
    }
    if (w % r !== 0) {
      throw new Error(
        `pixelUnshuffle: expects width to be divisible by downscale_factor, but input.size(-1)=${w} is not divisible by ${r}`,
      );
    }
    const batch = input.shape.slice(0, -3);
    const b = batch.length;
    const lead = batch.map((_, i) => i);
    return input
      .reshape([...batch, c, h / r, r, w / r, r])
      .permute([...lead, b, b + 2, b + 4, b + 1, b + 3])
      .reshape([...batch, c * r * r, h / r, w / r]);
  });
}

/** Splits the channels (dim 1) into `groups` and interleaves them, as ATen's channel_shuffle. */
export function channelShuffle(input: Tensor, groups: number): Tensor {
  return named('channelShuffle', () => {
    tensorArg('channelShuffle', 'input', input);
    if (input.dim() <= 2) {
      throw new Error(
        `channelShuffle: expects input to have at least 3 dimensions, but got input with ${input.dim()} dims`,
      );
    }
    const g = positiveInt('channelShuffle', 'groups', groups);
    const [b, c] = input.shape as [number, number];
    if (c % g !== 0) {
      throw new Error(
        `channelShuffle: Number of channels must be divisible by groups. Got ${c} channels and ${g} groups.`,
      );
    }
    const rest = input.shape.slice(2).reduce((p, d) => p * d, 1);
    return input
      .reshape([b, g, c / g, rest])
      .permute([0, 2, 1, 3])
      .reshape(input.shape);
  });
}

// ---- pooling

type Size1 = number | number[];

/** A 1-d pooling size: a number or an array of one. */
function single(op: string, name: string, v: Size1): number {
  const x = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (typeof x !== 'number' || !Number.isInteger(x)) {
    throw new TypeError(`${op}: ${name} must be an int or an array of one int, got ${JSON.stringify(v)}`);
  }
  return x;
}

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

/** 1-d average pooling: avg_pool2d over the input with a unit dim inserted at −2, as ATen's avg_pool1d. */
export function avgPool1d(input: Tensor, kernelSize: Size1, options?: AvgPool1dOptions): Tensor {
  return named('avgPool1d', () => {
    check1dInput('avgPool1d', input);
    const k = single('avgPool1d', 'kernelSize', kernelSize);
    const stride = options?.stride;
    const s =
      stride == null || (Array.isArray(stride) && stride.length === 0) ? k : single('avgPool1d', 'stride', stride);
    const p = single('avgPool1d', 'padding', options?.padding ?? 0);
    return avgPool2d(input.unsqueeze(-2), [1, k], {
      stride: [1, s],
      padding: [0, p],
      ceilMode: options?.ceilMode ?? false,
      countIncludePad: options?.countIncludePad ?? true,
    }).squeeze(-2);
  });
}

export interface MaxPool1dOptions {
  stride?: Size1 | null;
  padding?: Size1;
  dilation?: Size1;
  ceilMode?: boolean;
}

/**
 * The flat position (along the last dim) of each 1-d max-pooling window's maximum, as ATen's
 * kernel picks it: the first maximum, the last NaN, and the window's first valid position when
 * every value is −inf. Computed without gradient from the input and the pooled values.
 */
function maxPool1dIndices(input: Tensor, values: Tensor, k: number, s: number, p: number, d: number): Tensor {
  return noGrad(() => {
    const len = input.size(-1);
    const outLen = values.size(-1);
    const span = (outLen - 1) * s + (k - 1) * d + 1; // positions −p … span − p − 1
    const padded = pad(input.detach(), [p, Math.max(0, span - p - len)], { value: Number.NEGATIVE_INFINITY });
    const candidates: Tensor[] = [];
    for (let m = 0; m < k; m++) candidates.push(padded.slice(-1, m * d, m * d + (outLen - 1) * s + 1, s));
    const c = stack(candidates, -1); // (..., outLen, k)
    const idx = { dtype: 'int64' as const, device: input.device };
    const lastNan = where(c.isnan(), arange(k, idx), -1).amax(-1);
    const m = where(lastNan.ge(0), lastNan, c.argmax(-1));
    // The window's first in-range position: its start, moved up by whole dilations.
    const firsts = Array.from({ length: outLen }, (_, j) => {
      const st = j * s - p;
      return st + Math.ceil(Math.max(0, -st) / d) * d;
    });
    const firstValid = tensor(firsts, idx);
    const start = arange(outLen, idx).mul(s).sub(p);
    const pos = start.add(m.mul(d));
    return where(values.eq(Number.NEGATIVE_INFINITY), firstValid, pos);
  });
}

/** 1-d max pooling: max_pool2d over the input with a unit dim inserted at −2, as ATen's max_pool1d. */
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
  return named('maxPool1d', () => {
    check1dInput('maxPool1d', input);
    const k = single('maxPool1d', 'kernelSize', kernelSize);
    const stride = options?.stride;
    const s =
      stride == null || (Array.isArray(stride) && stride.length === 0) ? k : single('maxPool1d', 'stride', stride);
    const p = single('maxPool1d', 'padding', options?.padding ?? 0);
    const d = single('maxPool1d', 'dilation', options?.dilation ?? 1);
    const values = maxPool2d(input.unsqueeze(-2), [1, k], {
      stride: [1, s],
      padding: [0, p],
      dilation: [1, d],
      ceilMode: options?.ceilMode ?? false,
    }).squeeze(-2);
    if (!options?.returnIndices) return values;
    return [values, maxPool1dIndices(input, values, k, s, p, d)];
  });
}

/** maxPool1d with its indices, as Python's F.max_pool1d_with_indices. */
export function maxPool1dWithIndices(input: Tensor, kernelSize: Size1, options?: MaxPool1dOptions): [Tensor, Tensor] {
  return maxPool1d(input, kernelSize, { ...options, returnIndices: true });
}

/** An adaptive output size: a number, or one entry per spatial dim where null keeps the input's size. */
export type AdaptiveSize = number | (number | null)[];

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

/**
 * The flat index (h·W + w) of each adaptive window's maximum, as ATen's kernel picks it: the first
 * maximum in row-major order, the last NaN. Computed without gradient.
 */
function adaptiveMaxPool2dIndices(input: Tensor, oh: number, ow: number): Tensor {
  return noGrad(() => {
    const x = input.detach();
    const lead = x.shape.slice(0, -2);
    const [h, w] = x.shape.slice(-2) as [number, number];
    const idx = { dtype: 'int64' as const, device: x.device };
    const cells: Tensor[] = [];
    for (let i = 0; i < oh; i++) {
      const hs = Math.floor((i * h) / oh);
      const hl = Math.ceil(((i + 1) * h) / oh) - hs;
      for (let j = 0; j < ow; j++) {
        const ws = Math.floor((j * w) / ow);
        const wl = Math.ceil(((j + 1) * w) / ow) - ws;
        const win = x
          .narrow(-2, hs, hl)
          .narrow(-1, ws, wl)
          .reshape([...lead, hl * wl]);
        const lastNan = where(win.isnan(), arange(hl * wl, idx), -1).amax(-1);
        const local = where(lastNan.ge(0), lastNan, win.argmax(-1));
        const row = local.div(wl, { roundingMode: 'floor' }).add(hs);
        cells.push(row.mul(w).add(local.remainder(wl)).add(ws));
      }
    }
    return stack(cells, -1).reshape([...lead, oh, ow]);
  });
}

/** Adaptive 2-d max pooling; `returnIndices` adds the flat (h·W + w) index of each maximum. */
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
  return named('adaptiveMaxPool2d', () => {
    tensorArg('adaptiveMaxPool2d', 'input', input);
    if (input.dim() !== 3 && input.dim() !== 4) {
      throw new Error(
        `adaptiveMaxPool2d: Expected 3D (C, H, W) or 4D (N, C, H, W) input tensor, but got ${input.dim()}D of size ${sizeText(input)}`,
      );
    }
    const [oh, ow] = adaptiveSize('adaptiveMaxPool2d', input, outputSize);
    const values = adaptiveMaxPool2dOp(input, [oh, ow]);
    if (!options?.returnIndices) return values;
    return [values, adaptiveMaxPool2dIndices(input, oh, ow)];
  });
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

/** Huber loss: ½z² where z = |x − y| < delta, else delta·(z − ½delta) (ATen's kernel). */
export function huberLoss(
  input: Tensor,
  target: Tensor,
  options?: { reduction?: Reduction; delta?: number; weight?: Tensor | null },
): Tensor {
  return named('huberLoss', () => {
    tensorArg('huberLoss', 'input', input);
    tensorArg('huberLoss', 'target', target);
    const reduction = options?.reduction ?? 'mean';
    checkReduction('huberLoss', reduction);
    const delta = options?.delta ?? 1;
    if (!(delta > 0)) throw new Error('huberLoss: huber_loss does not support non-positive values for delta.');
    warnBroadcast('huberLoss', input, target);
    const weight = options?.weight ?? null;
    if (weight !== null) {
      tensorArg('huberLoss', 'weight', weight);
      if (!sameSize(weight, input)) throw new Error('huberLoss: Weights and input must have the same size.');
    }
    const z = input.sub(target).abs();
    // The quadratic side sees z clamped to delta: equal where it is chosen, finite everywhere.
    const zq = z.clamp({ max: delta });
    const loss = where(z.lt(delta), zq.mul(0.5).mul(zq), z.sub(0.5 * delta).mul(delta));
    return reduce(weight === null ? loss : loss.mul(weight), reduction);
  });
}

const warnedKlMean = { done: false };

/** xlogy(t, t): 0 where t == 0, else t·log(t) (NaN stays NaN). */
const xlogx = (t: Tensor): Tensor => where(t.eq(0), 0, t.mul(t.log()));

/**
 * Kullback-Leibler divergence of `target` from `input` (log-probabilities), as at::kl_div;
 * 'batchmean' sums and divides by the batch size, as Python's F.kl_div.
 */
export function klDiv(
  input: Tensor,
  target: Tensor,
  options?: { reduction?: Reduction | 'batchmean'; logTarget?: boolean },
): Tensor {
  return named('klDiv', () => {
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
    const out = options?.logTarget ? target.exp().mul(target.sub(input)) : xlogx(target).sub(target.mul(input));
    if (reduction !== 'batchmean') return reduce(out, reduction);
    const sum = out.sum();
    return input.dim() !== 0 ? sum.div(input.size(0)) : sum;
  });
}

/** The shape that `a` and `b` broadcast to, or null. */
function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** log(1 + exp(−y·x)), as ATen's soft_margin_loss (the target broadcasts to the input's shape). */
export function softMarginLoss(input: Tensor, target: Tensor, options?: { reduction?: Reduction }): Tensor {
  return named('softMarginLoss', () => {
    tensorArg('softMarginLoss', 'input', input);
    tensorArg('softMarginLoss', 'target', target);
    const reduction = options?.reduction ?? 'mean';
    checkReduction('softMarginLoss', reduction);
    if (recording(target)) {
      // As ATen's soft_margin_loss, which has no derivative for the target.
      throw new Error(
        "softMarginLoss: The function 'soft_margin_loss' is not differentiable with respect to argument 'target'. This input cannot have requires_grad True.",
      );
    }
    const shape = broadcastShape(input.shape, target.shape);
    if (!shape || shape.length !== input.dim() || shape.some((d, i) => d !== input.size(i))) {
      throw new Error(
        `softMarginLoss: the target (size ${sizeText(target)}) must broadcast to the input's size ${sizeText(input)}`,
      );
    }
    const out = reduce(input.neg().mul(target).exp().log1p(), reduction);
    if (!recording(input)) return out;
    // ATen's soft_margin_loss_backward: grad·(target·z·(−norm))/(1 + z), z = exp(−target·input).
    const norm = reduction === 'mean' ? 1 / input.numel() : 1;
    const k = constant(() => {
      const z = target.neg().mul(input).exp();
      return target.mul(z).mul(-norm).div(z.add(1));
    });
    const carrier = input.mul(k);
    return withGradient(out, [reduction === 'none' ? carrier : carrier.sum()]);
  });
}

/** max(0, −y·(x1 − x2) + margin), as at::margin_ranking_loss; all three must have the same number of dims. */
export function marginRankingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options?: { margin?: number; reduction?: Reduction },
): Tensor {
  return named('marginRankingLoss', () => {
    tensorArg('marginRankingLoss', 'input1', input1);
    tensorArg('marginRankingLoss', 'input2', input2);
    tensorArg('marginRankingLoss', 'target', target);
    const reduction = options?.reduction ?? 'mean';
    checkReduction('marginRankingLoss', reduction);
    if (input1.dim() !== input2.dim() || input1.dim() !== target.dim()) {
      throw new Error(
        `marginRankingLoss: All input tensors should have same dimension but got sizes: input1: ${sizeText(input1)}, input2: ${sizeText(input2)}, target: ${sizeText(target)}`,
      );
    }
    const out = target
      .neg()
      .mul(input1.sub(input2))
      .add(options?.margin ?? 0)
      .clamp({ min: 0 });
    return reduce(out, reduction);
  });
}

/** ATen's EPSILON in the cosine embedding loss: a float (1e-12f). */
const COSINE_EPS = Math.fround(1e-12);

/** 1 − cos(x1, x2) where y = 1, max(0, cos(x1, x2) − margin) where y = −1, as at::cosine_embedding_loss. */
export function cosineEmbeddingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options?: { margin?: number; reduction?: Reduction },
): Tensor {
  return named('cosineEmbeddingLoss', () => {
    tensorArg('cosineEmbeddingLoss', 'input1', input1);
    tensorArg('cosineEmbeddingLoss', 'input2', input2);
    tensorArg('cosineEmbeddingLoss', 'target', target);
    const reduction = options?.reduction ?? 'mean';
    checkReduction('cosineEmbeddingLoss', reduction);
    const td = target.dim();
    if (td !== 0 && td !== 1) {
      throw new Error('cosineEmbeddingLoss: 0D or 1D target tensor expected, multi-target not supported');
    }
    if (td === 1 ? input1.dim() !== 2 || input2.dim() !== 2 : input1.dim() !== 1 || input2.dim() !== 1) {
      throw new Error(
        `cosineEmbeddingLoss: ${td}D target tensor expects ${td + 1}D input tensors, but found inputs with sizes ${sizeText(input1)} and ${sizeText(input2)}.`,
      );
    }
    const prodSum = input1.mul(input2).sum(td);
    const mag1 = input1.mul(input1).sum(td).add(COSINE_EPS);
    const mag2 = input2.mul(input2).sum(td).add(COSINE_EPS);
    const cos = prodSum.div(mag1.mul(mag2).sqrt());
    const zero = zerosLike(cos);
    const pos = cos.neg().add(1);
    const neg = cos.sub(options?.margin ?? 0).clamp({ min: 0 });
    const out = where(target.eq(1), pos, zero).add(where(target.eq(-1), neg, zero));
    return reduce(out, reduction);
  });
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
 * Poisson negative log likelihood, as at::poisson_nll_loss: exp(x) − y·x with logInput, else
 * x − y·log(x + eps); `full` adds Stirling's term where y > 1.
 */
export function poissonNllLoss(
  input: Tensor,
  target: Tensor,
  options?: { logInput?: boolean; full?: boolean; eps?: number; reduction?: Reduction },
): Tensor {
  return named('poissonNllLoss', () => {
    tensorArg('poissonNllLoss', 'input', input);
    tensorArg('poissonNllLoss', 'target', target);
    const reduction = options?.reduction ?? 'mean';
    checkReduction('poissonNllLoss', reduction);
    let loss =
      (options?.logInput ?? true)
        ? input.exp().sub(target.mul(input))
        : input.sub(target.mul(input.add(options?.eps ?? 1e-8).log()));
    if (options?.full) {
      const stirling = target
        .mul(target.log())
        .sub(target)
        .add(
          target
            .mul(2 * Math.PI)
            .log()
            .mul(0.5),
        );
      loss = loss.add(stirling.maskedFill(target.le(1), 0));
    }
    return reduce(loss, reduction);
  });
}
