// torch.nn.init: in-place initialisers with PyTorch's gain and fan rules. All run without
// recording gradients and return the tensor they fill.

import { empty } from '../../generated/functions.js';
import { linalgQr } from '../../generated/namespaces.js';
import { noGrad } from '../autograd.js';
import { tensor as makeTensor } from '../creation.js';
import { scope } from '../lifetime.js';
import type { Tensor } from '../tensor.js';

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

export type FanMode = 'fan_in' | 'fan_out';

/** The recommended gain for a nonlinearity (`param` is leaky_relu's negative slope). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.sqrt(2);
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/** [fanIn, fanOut] as PyTorch counts them: dims 1 and 0 times the receptive field. */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  const shape = t.shape;
  if (shape.length < 2) {
    throw new Error('Fan in and fan out can not be computed for tensor with fewer than 2 dimensions');
  }
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return [(shape[1] as number) * receptive, (shape[0] as number) * receptive];
}

function fan(t: Tensor, mode: FanMode): number {
  if (mode !== 'fan_in' && mode !== 'fan_out')
    throw new Error(`Mode ${String(mode)} not supported, please use one of fan_in, fan_out`);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return mode === 'fan_in' ? fanIn : fanOut;
}

const inPlace = (t: Tensor, fn: () => void): Tensor => {
  scope(() => noGrad(fn));
  return t;
};

export function uniform_(t: Tensor, options?: { a?: number; b?: number }): Tensor {
  return inPlace(t, () => t.uniform_({ from: options?.a ?? 0, to: options?.b ?? 1 }));
}

export function normal_(t: Tensor, options?: { mean?: number; std?: number }): Tensor {
  return inPlace(t, () => t.normal_({ mean: options?.mean ?? 0, std: options?.std ?? 1 }));
}

export function constant_(t: Tensor, value: number): Tensor {
  return inPlace(t, () => t.fill_(value));
}

export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

export function xavierUniform_(t: Tensor, options?: { gain?: number }): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = (options?.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
  const a = Math.sqrt(3) * std;
  return uniform_(t, { a: -a, b: a });
}

export function xavierNormal_(t: Tensor, options?: { gain?: number }): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, { mean: 0, std: (options?.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)) });
}

export interface KaimingOptions {
  /** The negative slope of the rectifier after this layer (leaky_relu). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

// PyTorch's kaiming initialisers leave a zero-element tensor as it is, with a warning (its fan is
// 0, which would make the bound infinite): `nn.Linear(0, 5)` is a valid, empty layer.
let warnedZeroElement = false;
function zeroElement(t: Tensor): boolean {
  if (t.numel() !== 0) return false;
  if (!warnedZeroElement) {
    warnedZeroElement = true;
    process.emitWarning('Initializing zero-element tensors is a no-op', 'UserWarning');
  }
  return true;
}

export function kaimingUniform_(t: Tensor, options?: KaimingOptions): Tensor {
  if (zeroElement(t)) return t;
  const std =
    calculateGain(options?.nonlinearity ?? 'leaky_relu', options?.a ?? 0) /
    Math.sqrt(fan(t, options?.mode ?? 'fan_in'));
  const bound = Math.sqrt(3) * std;
  return uniform_(t, { a: -bound, b: bound });
}

export function kaimingNormal_(t: Tensor, options?: KaimingOptions): Tensor {
  if (zeroElement(t)) return t;
  const std =
    calculateGain(options?.nonlinearity ?? 'leaky_relu', options?.a ?? 0) /
    Math.sqrt(fan(t, options?.mode ?? 'fan_in'));
  return normal_(t, { mean: 0, std });
}

// erf of a JS number, by libtorch (JavaScript's Math has none).
const erf = (x: number): number => scope(() => makeTensor(x, { dtype: 'float64' }).erf().item() as number);

/** A normal distribution truncated to [a, b], by inverse-CDF sampling as PyTorch does. */
export function truncNormal_(t: Tensor, options?: { mean?: number; std?: number; a?: number; b?: number }): Tensor {
  const mean = options?.mean ?? 0;
  const std = options?.std ?? 1;
  const a = options?.a ?? -2;
  const b = options?.b ?? 2;
  const cdf = (x: number) => (1 + erf(x / Math.SQRT2)) / 2;
  const l = cdf((a - mean) / std);
  const u = cdf((b - mean) / std);
  return inPlace(t, () => {
    t.uniform_({ from: 2 * l - 1, to: 2 * u - 1 });
    t.erfinv_();
    t.mul_(std * Math.SQRT2);
    t.add_(mean);
    t.clamp_({ min: a, max: b });
  });
}

/** A (semi-)orthogonal matrix from the QR decomposition of a normal sample. */
export function orthogonal_(t: Tensor, options?: { gain?: number }): Tensor {
  if (t.dim() < 2) throw new Error('Only tensors with 2 or more dimensions are supported');
  if (t.numel() === 0) return t;
  const rows = t.size(0);
  const cols = t.numel() / rows;
  return inPlace(t, () => {
    let flat = empty([rows, cols], { dtype: t.dtype, device: t.device }).normal_({ mean: 0, std: 1 });
    if (rows < cols) flat = flat.t();
    const [qr, r] = linalgQr(flat);
    let q = (qr as Tensor).mul((r as Tensor).diag(0).sign());
    if (rows < cols) q = q.t();
    t.viewAs(q).copy_(q);
    t.mul_(options?.gain ?? 1);
  });
}
