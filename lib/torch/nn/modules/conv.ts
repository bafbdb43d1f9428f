import { conv1d, conv2d, convTranspose2d, pad } from '../../../generated/functional.js';
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

/** What Conv1d and Conv2d share: parameters, initialisation, padding modes and the repr. */
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
    this.groups = options?.groups ?? 1;
    if (inChannels % this.groups !== 0) throw new Error('in_channels must be divisible by groups');
    if (outChannels % this.groups !== 0) throw new Error('out_channels must be divisible by groups');
    this.kernelSize = tuple(kernelSize, dims);
    this.stride = tuple(options?.stride ?? 1, dims);
    const p = options?.padding ?? 0;
    this.padding = typeof p === 'string' ? p : tuple(p, dims);
    if (this.padding === 'same' && this.stride.some((s) => s !== 1)) {
      throw new Error("padding='same' is not supported for strided convolutions");
    }
    this.dilation = tuple(options?.dilation ?? 1, dims);
    this.paddingMode = options?.paddingMode ?? 'zeros';
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
    const [x, padding] = this.padded(input);
    return conv1d(x, this.weight, {
      bias: this.bias,
      stride: this.stride,
      padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}

export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, options?: ConvOptions) {
    super(inChannels, outChannels, kernelSize, 2, options);
  }

  forward(input: Tensor): Tensor {
    const [x, padding] = this.padded(input);
    return conv2d(x, this.weight, {
      bias: this.bias,
      stride: this.stride,
      padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}

export class ConvTranspose2d extends ConvNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Size,
    options?: Omit<ConvOptions, 'padding' | 'paddingMode'> & { padding?: Size; outputPadding?: Size },
  ) {
    super(inChannels, outChannels, kernelSize, 2, options, true, tuple(options?.outputPadding ?? 0, 2));
  }

  forward(input: Tensor): Tensor {
    return convTranspose2d(input, this.weight, {
      bias: this.bias,
      stride: this.stride,
      padding: this.padding as number[],
      outputPadding: this.outputPadding,
      groups: this.groups,
      dilation: this.dilation,
    });
  }
}
