// torch.stft and torch.istft, the short-time Fourier transform and its inverse (and the Tensor
// methods x.stft / x.istft). Named for the family of spectral ops beside fft.ts. The transforms
// are libtorch's kernels (`i` lines of scripts/codegen/ops.table), so values and gradients are
// PyTorch's. What PyTorch's Python front end of stft does before the kernel is done here too:
// with `center` (the default) the signal is padded by nFft / 2 on each side, with `padMode`
// ('reflect' by default), so that frame t is centred on sample t * hopLength.
import { pad } from '../generated/functions.js';
import { $istft, $stft } from '../generated/impl.js';
import { scope } from './lifetime.js';
import { describe, isOptions } from './marshal.js';
import { Tensor } from './tensor.js';

export type StftPadMode = 'reflect' | 'constant' | 'replicate' | 'circular';

export interface StftOptions {
  /** Samples between frames; default floor(nFft / 4). */
  hopLength?: number | null;
  /** Samples per frame that the window covers; default nFft. */
  winLength?: number | null;
  /** 1-D, of length winLength; default a rectangular window (all ones). */
  window?: Tensor | null;
  /** Pad the signal by nFft / 2 on both sides so that frames are centred; default true. */
  center?: boolean;
  /** How `center` pads: 'reflect' (default), 'constant', 'replicate' or 'circular'. */
  padMode?: StftPadMode;
  /** Multiply by nFft^(-1/2); default false. */
  normalized?: boolean;
  /** Keep only the nFft / 2 + 1 non-negative frequencies; default true for real input and window. */
  onesided?: boolean | null;
  /** Required for real input: true gives a complex tensor; false the deprecated real view (..., 2). */
  returnComplex?: boolean | null;
  /** Only with center: false: whether frames start at the window's offset within nFft. */
  alignToWindow?: boolean | null;
}

export interface IstftOptions {
  hopLength?: number | null;
  winLength?: number | null;
  window?: Tensor | null;
  /** Whether stft padded the signal (then istft trims nFft / 2 from both ends); default true. */
  center?: boolean;
  normalized?: boolean;
  onesided?: boolean | null;
  /** The signal length to give back (trims or zero-pads the end); default the full length. */
  length?: number | null;
  /** Whether the result is complex (the transform of a complex signal); default false. */
  returnComplex?: boolean;
}

const STFT_KEYS = 'hopLength, winLength, window, center, padMode, normalized, onesided, returnComplex, alignToWindow';
const ISTFT_KEYS = 'hopLength, winLength, window, center, normalized, onesided, length, returnComplex';

function optionsOf<T extends object>(op: string, options: unknown, names: string): T {
  if (options === undefined) return {} as T;
  if (!isOptions(options))
    throw new TypeError(`${op}: expected an options object {${names}}, got ${describe(options)}`);
  const unknown = Object.keys(options).filter((k) => !names.split(', ').includes(k));
  if (unknown.length > 0) throw new TypeError(`${op}: unknown option ${unknown.join(', ')}; expected {${names}}`);
  return options as T;
}

function checkArgs(op: string, input: unknown, nFft: unknown): asserts input is Tensor {
  if (!(input instanceof Tensor))
    throw new TypeError(`${op}: argument 'input' must be a Tensor, got ${describe(input)}`);
  if (typeof nFft !== 'number' || !Number.isInteger(nFft))
    throw new TypeError(`${op}: argument 'nFft' must be an integer, got ${describe(nFft)}`);
}

/**
 * torch.stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
 * pad_mode='reflect', normalized=False, onesided=None, return_complex=None,
 * align_to_window=None): `torch.stft(x, 512, {hopLength: 128, window, returnComplex: true})`.
 * `input` is a signal (1-D) or a batch of them (2-D); the result is [batch?, freq, frames].
 */
export function stft(input: Tensor, nFft: number, options?: StftOptions): Tensor {
  checkArgs('stft', input, nFft);
  const o = optionsOf<StftOptions>('stft', options, STFT_KEYS);
  const center = o.center ?? true;
  if (center && o.alignToWindow != null) throw new Error('stft: alignToWindow should only be set when center is false');
  // ATen raises this too, but names Python's return_complex.
  if (o.returnComplex == null && !input.isComplex() && !(o.window instanceof Tensor && o.window.isComplex()))
    throw new Error(
      'stft: returnComplex is required for real input and window: true gives a complex tensor ' +
        '(false gives the deprecated real view with a trailing dim of 2)',
    );
  return scope(() => {
    let signal = input;
    if (center) {
      // F.pad's non-constant modes want a batch and a channel dim: view a 1-D or 2-D signal as
      // [1, 1, n] or [1, b, n] around the padding, as PyTorch does.
      const dims = input.dim();
      const padding = Math.floor(nFft / 2);
      const shape = [...Array(Math.max(0, 3 - dims)).fill(1), ...input.shape];
      const padded = pad(input.view(shape), [padding, padding], { mode: o.padMode ?? 'reflect' });
      signal = padded.view(padded.shape.slice(-dims));
    }
    return $stft(
      signal,
      nFft,
      o.hopLength ?? null,
      o.winLength ?? null,
      o.window ?? null,
      o.normalized ?? false,
      o.onesided ?? null,
      o.returnComplex ?? null,
      o.alignToWindow ?? null,
    );
  });
}

/**
 * torch.istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
 * normalized=False, onesided=None, length=None, return_complex=False): the signal back from a
 * complex STFT [batch?, freq, frames], by overlap-add of the windowed frames.
 */
export function istft(input: Tensor, nFft: number, options?: IstftOptions): Tensor {
  checkArgs('istft', input, nFft);
  const o = optionsOf<IstftOptions>('istft', options, ISTFT_KEYS);
  return $istft(
    input,
    nFft,
    o.hopLength ?? null,
    o.winLength ?? null,
    o.window ?? null,
    o.center ?? true,
    o.normalized ?? false,
    o.onesided ?? null,
    o.length ?? null,
    o.returnComplex ?? false,
  );
}

declare module './tensor.js' {
  interface Tensor {
    /** torch.stft(this, nFft, options). */
    stft(nFft: number, options?: StftOptions): Tensor;
    /** torch.istft(this, nFft, options). */
    istft(nFft: number, options?: IstftOptions): Tensor;
  }
}

Tensor.prototype.stft = function (this: Tensor, nFft: number, options?: StftOptions) {
  return stft(this, nFft, options);
};
Tensor.prototype.istft = function (this: Tensor, nFft: number, options?: IstftOptions) {
  return istft(this, nFft, options);
};
