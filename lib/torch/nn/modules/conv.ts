import {
  conv1d,
  conv2d,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
  pad,
} from '../../../generated/functional.js';
import type { Tensor } from '../../tensor.js';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { pyTuple } from '../repr.js';
import { type FactoryOptions, newParameter } from './linear.js';

type Size = number | number[];
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

export interface ConvOptions extends FactoryOptions {
  stride?: Size;
  padding?: Size | 'valid' | 'same';
  dilation?: Size;
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
}

const tuple = (v: Size, n: number): number[] => (typeof v === 'number' ? new Array(n).fill(v) : [...v]);

const PADDING_MODES: readonly string[] = ['zeros', 'reflect', 'replicate', 'circular'];

/** What the convolutions share: parameters, initialisation, padding modes and the repr (PyTorch's _ConvNd). */
abstract class ConvNd extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'valid' | 'same';
  readonly dilation: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Size,
    dims: number,
    options: ConvOptions | undefined,
    readonly transposed = false,
    readonly outputPadding: number[] = new Array(dims).fill(0),
  ) {
    super();
    const name = new.target.name;
    this.groups = options?.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups <= 0)
      throw new Error(`${name}: groups must be a positive integer`);
    if (inChannels % this.groups !== 0) throw new Error(`${name}: in_channels must be divisible by groups`);
    if (outChannels % this.groups !== 0) throw new Error(`${name}: out_channels must be divisible by groups`);
    this.kernelSize = tuple(kernelSize, dims);
    this.stride = tuple(options?.stride ?? 1, dims);
    const p = options?.padding ?? 0;
    if (typeof p === 'string' && p !== 'same' && p !== 'valid') {
      throw new Error(`${name}: Invalid padding string '${p}', should be one of {'same', 'valid'}`);
    }
    this.padding = typeof p === 'string' ? p : tuple(p, dims);
    if (this.padding === 'same' && this.stride.some((s) => s !== 1)) {
      throw new Error(`${name}: padding='same' is not supported for strided convolutions`);
    }
    this.dilation = tuple(options?.dilation ?? 1, dims);
    this.paddingMode = options?.paddingMode ?? 'zeros';
    if (!PADDING_MODES.includes(this.paddingMode)) {
      throw new Error(
        `${name}: padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, but got padding_mode='${this.paddingMode}'`,
      );
    }
    const shape = transposed
      ? [inChannels, outChannels / this.groups, ...this.kernelSize]
      : [outChannels, inChannels / this.groups, ...this.kernelSize];
    this.weight = newParameter(shape, options);
    this.bias = (options?.bias ?? true) ? newParameter([outChannels], options) : null;
    this.resetParameters();
  }

  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = calculateFanInAndFanOut(this.weight);
      if (fanIn !== 0) {
        const bound = 1 / Math.sqrt(fanIn);
        uniform_(this.bias, { a: -bound, b: bound });
      }
    }
  }

  /** The input padded explicitly (padding modes, asymmetric 'same') and the padding left for the op. */
  protected padded(input: Tensor): [Tensor, number[]] {
    const dims = this.kernelSize.length;
    let sides: [number, number][];
    if (this.padding === 'valid') return [input, new Array(dims).fill(0)];
    if (this.padding === 'same') {
      sides = this.kernelSize.map((k, i) => {
        const total = (this.dilation[i] as number) * (k - 1);
        return [Math.floor(total / 2), total - Math.floor(total / 2)];
      });
    } else {
      sides = this.padding.map((p) => [p, p]);
    }
    const symmetric = sides.every(([a, b]) => a === b);
    if (this.paddingMode === 'zeros' && symmetric) return [input, sides.map(([a]) => a)];
    // F.pad takes the last dimension first.
    const amounts = sides.reverse().flat();
    const mode = this.paddingMode === 'zeros' ? 'constant' : this.paddingMode;
    return [pad(input, amounts, { mode }), new Array(dims).fill(0)];
  }

  /** The convolution `op` of the input, padded as the padding and its mode say. */
  protected convolve(input: Tensor, op: typeof conv1d): Tensor {
    const [x, padding] = this.padded(input);
    return op(x, this.weight, {
      bias: this.bias,
      stride: this.stride,
      padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${pyTuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (this.outputPadding.some((d) => d !== 0)) s += `, output_padding=${pyTuple(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    if (this.paddingMode !== 'zeros') s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}

export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, options?: ConvOptions) {
    super(inChannels, outChannels, kernelSize, 1, options);
  }

  forward(input: Tensor): Tensor {
    return this.convolve(input, conv1d);
  }
}

export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, options?: ConvOptions) {
    super(inChannels, outChannels, kernelSize, 2, options);
  }

  forward(input: Tensor): Tensor {
    return this.convolve(input, conv2d);
  }
}

export class Conv3d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, options?: ConvOptions) {
    super(inChannels, outChannels, kernelSize, 3, options);
  }

  forward(input: Tensor): Tensor {
    return this.convolve(input, conv3d);
  }
}

/** A transposed convolution's options: numeric padding, and the output padding (PyTorch's zeros padding mode only). */
export type ConvTransposeOptions = Omit<ConvOptions, 'padding'> & { padding?: Size; outputPadding?: Size };

/**
 * What the transposed convolutions share (PyTorch's _ConvTransposeNd): zero padding only, and
 * forward(input, outputSize?), where an output size picks the output padding.
 */
abstract class ConvTransposeNd extends ConvNd {
  declare readonly padding: number[];

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Size,
    dims: number,
    options: ConvTransposeOptions | undefined,
  ) {
    if ((options?.paddingMode ?? 'zeros') !== 'zeros') {
      throw new Error(`Only "zeros" padding mode is supported for ${new.target.name}`);
    }
    super(inChannels, outChannels, kernelSize, dims, options, true, tuple(options?.outputPadding ?? 0, dims));
  }

  /**
   * PyTorch's _output_padding: the module's output padding, or the one that gives `outputSize`
   * (the spatial sizes, optionally after N and C) within the range the stride allows.
   */
  protected outputPaddingFor(input: Tensor, outputSize: number[] | null | undefined): number[] {
    if (outputSize == null) return this.outputPadding;
    const dims = this.kernelSize.length;
    const nonSpatial = input.dim() === dims + 2 ? 2 : 1;
    const size = outputSize.length === nonSpatial + dims ? outputSize.slice(nonSpatial) : outputSize;
    const name = this.constructor.name;
    if (size.length !== dims) {
      throw new Error(
        `${name}: for ${input.dim()}D input, output_size must have ${dims} or ${nonSpatial + dims} elements (got ${size.length})`,
      );
    }
    const stride = this.stride;
    const min = this.kernelSize.map(
      (k, d) =>
        (input.size(d + nonSpatial) - 1) * (stride[d] as number) -
        2 * (this.padding[d] as number) +
        (this.dilation[d] as number) * (k - 1) +
        1,
    );
    const max = min.map((m, d) => m + (stride[d] as number) - 1);
    if (size.some((s, d) => s < (min[d] as number) || s > (max[d] as number))) {
      throw new Error(
        `${name}: requested an output size of [${size.join(', ')}], but valid sizes range from [${min.join(', ')}] to [${max.join(', ')}] (for an input of [${input.shape.slice(2).join(', ')}])`,
      );
    }
    return size.map((s, d) => s - (min[d] as number));
  }

  /** The transposed convolution `op` of the input, with the output padding for `outputSize`. */
  protected convolveTransposed(input: Tensor, outputSize: number[] | null | undefined, op: ConvTransposeOp): Tensor {
    return op(input, this.weight, {
      bias: this.bias,
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPaddingFor(input, outputSize),
      groups: this.groups,
      dilation: this.dilation,
    });
  }
}

type ConvTransposeOp = typeof convTranspose1d;

export class ConvTranspose1d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, options?: ConvTransposeOptions) {
    super(inChannels, outChannels, kernelSize, 1, options);
  }

  forward(input: Tensor, outputSize?: number[] | null): Tensor {
    return this.convolveTransposed(input, outputSize, convTranspose1d);
  }
}

export class ConvTranspose2d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, options?: ConvTransposeOptions) {
    super(inChannels, outChannels, kernelSize, 2, options);
  }

  forward(input: Tensor, outputSize?: number[] | null): Tensor {
    return this.convolveTransposed(input, outputSize, convTranspose2d);
  }
}

export class ConvTranspose3d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, options?: ConvTransposeOptions) {
    super(inChannels, outChannels, kernelSize, 3, options);
  }

  forward(input: Tensor, outputSize?: number[] | null): Tensor {
    return this.convolveTransposed(input, outputSize, convTranspose3d);
  }
}
