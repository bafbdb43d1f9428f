import { avgPool2d, avgPool3d } from '../../../generated/functional.js';
import type { Tensor } from '../../tensor.js';
import {
  type AdaptiveSize,
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  adaptiveAvgPool3d,
  adaptiveMaxPool1d,
  adaptiveMaxPool2d,
  adaptiveMaxPool3d,
  avgPool1d,
  fractionalMaxPool2d,
  fractionalMaxPool3d,
  lpPool1d,
  lpPool2d,
  lpPool3d,
  maxPool1d,
  maxPool2d,
  maxPool3d,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
} from '../functional.js';
import { Module } from '../module.js';
import { pyBool, pyFloat, pyTuple } from '../repr.js';

type Size = number | number[];
/** A pool's result: the values, or with `returnIndices: true` the values and the maxima's indices. */
type WithIndices<R extends boolean> = R extends true ? [Tensor, Tensor] : Tensor;
const show = (v: Size): string => (typeof v === 'number' ? String(v) : pyTuple(v));
/** Python's _single, _pair, _triple. */
const ntuple = (v: Size, n: number): number[] => (typeof v === 'number' ? new Array<number>(n).fill(v) : [...v]);

export interface MaxPoolModuleOptions<R extends boolean = boolean> {
  stride?: Size;
  padding?: Size;
  dilation?: Size;
  ceilMode?: boolean;
  /** forward also returns each maximum's flat index in its input plane (or volume), for MaxUnpool. */
  returnIndices?: R;
}

/** What the max pools share (PyTorch's _MaxPoolNd): the options as given, and the repr. */
abstract class MaxPoolNd<R extends boolean> extends Module {
  readonly stride: Size;
  readonly padding: Size;
  readonly dilation: Size;
  readonly ceilMode: boolean;
  readonly returnIndices: R;

  constructor(
    readonly kernelSize: Size,
    options?: MaxPoolModuleOptions<R>,
  ) {
    super();
    this.stride = options?.stride ?? kernelSize;
    this.padding = options?.padding ?? 0;
    this.dilation = options?.dilation ?? 1;
    this.ceilMode = options?.ceilMode ?? false;
    this.returnIndices = (options?.returnIndices ?? false) as R;
  }

  protected get poolOptions() {
    return {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
      returnIndices: this.returnIndices,
    };
  }

  override extraRepr(): string {
    return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}, dilation=${show(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/**
 * 1-d max pooling over (C, L) or (N, C, L) input, through the 2-d kernel as ATen does; with
 * `returnIndices`, forward also returns each maximum's position along L.
 */
export class MaxPool1d<R extends boolean = false> extends MaxPoolNd<R> {
  forward(input: Tensor): WithIndices<R> {
    return maxPool1d(input, this.kernelSize, this.poolOptions) as WithIndices<R>;
  }
}

/**
 * 2-d max pooling over (C, H, W) or (N, C, H, W) input; with `returnIndices`, forward also
 * returns the flat index (h·W + w) of each maximum in its plane.
 */
export class MaxPool2d<R extends boolean = false> extends MaxPoolNd<R> {
  forward(input: Tensor): WithIndices<R> {
    return maxPool2d(input, this.kernelSize, this.poolOptions);
  }
}

/**
 * 3-d max pooling over (C, D, H, W) or (N, C, D, H, W) input; with `returnIndices`, forward also
 * returns the flat index (d·H·W + h·W + w) of each maximum in its volume.
 */
export class MaxPool3d<R extends boolean = false> extends MaxPoolNd<R> {
  forward(input: Tensor): WithIndices<R> {
    return maxPool3d(input, this.kernelSize, this.poolOptions);
  }
}

/** What the max unpools share (PyTorch's _MaxUnpoolNd): sizes stored as tuples, and the repr. */
abstract class MaxUnpoolNd extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];

  constructor(kernelSize: Size, options: { stride?: Size; padding?: Size } | undefined, dims: number) {
    super();
    this.kernelSize = ntuple(kernelSize, dims);
    this.stride = ntuple(options?.stride ?? kernelSize, dims);
    this.padding = ntuple(options?.padding ?? 0, dims);
  }

  protected get unpoolOptions() {
    return { stride: this.stride, padding: this.padding };
  }

  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}`;
  }
}

/**
 * The inverse of MaxPool1d: forward(input, indices, outputSize?) puts each value at its index (from
 * the pool's `returnIndices`) and zeros elsewhere.
 */
export class MaxUnpool1d extends MaxUnpoolNd {
  constructor(kernelSize: Size, options?: { stride?: Size; padding?: Size }) {
    super(kernelSize, options, 1);
  }

  forward(input: Tensor, indices: Tensor, outputSize?: number[] | null): Tensor {
    return maxUnpool1d(input, indices, this.kernelSize, { ...this.unpoolOptions, outputSize });
  }
}

/** The inverse of MaxPool2d, as MaxUnpool1d. */
export class MaxUnpool2d extends MaxUnpoolNd {
  constructor(kernelSize: Size, options?: { stride?: Size; padding?: Size }) {
    super(kernelSize, options, 2);
  }

  forward(input: Tensor, indices: Tensor, outputSize?: number[] | null): Tensor {
    return maxUnpool2d(input, indices, this.kernelSize, { ...this.unpoolOptions, outputSize });
  }
}

/** The inverse of MaxPool3d, as MaxUnpool1d. */
export class MaxUnpool3d extends MaxUnpoolNd {
  constructor(kernelSize: Size, options?: { stride?: Size; padding?: Size }) {
    super(kernelSize, options, 3);
  }

  forward(input: Tensor, indices: Tensor, outputSize?: number[] | null): Tensor {
    return maxUnpool3d(input, indices, this.kernelSize, { ...this.unpoolOptions, outputSize });
  }
}

export interface AvgPoolModuleOptions {
  stride?: Size;
  padding?: Size;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number;
}

/** What AvgPool2d and AvgPool3d share: the options as given, and the repr. */
abstract class AvgPoolNd extends Module {
  readonly stride: Size;
  readonly padding: Size;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(
    readonly kernelSize: Size,
    options?: AvgPoolModuleOptions,
  ) {
    super();
    this.stride = options?.stride ?? kernelSize;
    this.padding = options?.padding ?? 0;
    this.ceilMode = options?.ceilMode ?? false;
    this.countIncludePad = options?.countIncludePad ?? true;
    this.divisorOverride = options?.divisorOverride ?? null;
  }

  protected get poolOptions() {
    return {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    };
  }

  override extraRepr(): string {
    return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}`;
  }
}

export class AvgPool2d extends AvgPoolNd {
  forward(input: Tensor): Tensor {
    return avgPool2d(input, this.kernelSize, this.poolOptions);
  }
}

export class AvgPool3d extends AvgPoolNd {
  forward(input: Tensor): Tensor {
    return avgPool3d(input, this.kernelSize, this.poolOptions);
  }
}

/** An output size as Python prints it: 2, or (2, None). */
const showAdaptive = (v: AdaptiveSize): string =>
  typeof v === 'number'
    ? String(v)
    : v.length === 1
      ? `(${v[0] ?? 'None'},)`
      : `(${v.map((x) => (x === null ? 'None' : String(x))).join(', ')})`;

/** What the adaptive average pools share: the output size (null entries keep the input's) and the repr. */
abstract class AdaptiveAvgPoolNd extends Module {
  constructor(readonly outputSize: AdaptiveSize) {
    super();
  }

  override extraRepr(): string {
    return `output_size=${showAdaptive(this.outputSize)}`;
  }
}

export class AdaptiveAvgPool1d extends AdaptiveAvgPoolNd {
  forward(input: Tensor): Tensor {
    return adaptiveAvgPool1d(input, this.outputSize);
  }
}

export class AdaptiveAvgPool2d extends AdaptiveAvgPoolNd {
  forward(input: Tensor): Tensor {
    return adaptiveAvgPool2d(input, this.outputSize);
  }
}

export class AdaptiveAvgPool3d extends AdaptiveAvgPoolNd {
  forward(input: Tensor): Tensor {
    return adaptiveAvgPool3d(input, this.outputSize);
  }
}

/**
 * What the adaptive max pools share: the output size, `returnIndices` (forward also returns each
 * maximum's flat index in its input plane or volume) and the repr.
 */
abstract class AdaptiveMaxPoolNd<R extends boolean> extends Module {
  readonly returnIndices: R;

  constructor(
    readonly outputSize: AdaptiveSize,
    options?: { returnIndices?: R },
  ) {
    super();
    this.returnIndices = (options?.returnIndices ?? false) as R;
  }

  override extraRepr(): string {
    return `output_size=${showAdaptive(this.outputSize)}`;
  }
}

export class AdaptiveMaxPool1d<R extends boolean = false> extends AdaptiveMaxPoolNd<R> {
  forward(input: Tensor): WithIndices<R> {
    return adaptiveMaxPool1d(input, this.outputSize, { returnIndices: this.returnIndices });
  }
}

/**
 * The maximum over each of an adaptive grid of windows; with `returnIndices`, forward also returns
 * the flat index (h·W + w) of each maximum in its input plane.
 */
export class AdaptiveMaxPool2d<R extends boolean = false> extends AdaptiveMaxPoolNd<R> {
  forward(input: Tensor): WithIndices<R> {
    return adaptiveMaxPool2d(input, this.outputSize, { returnIndices: this.returnIndices });
  }
}

export class AdaptiveMaxPool3d<R extends boolean = false> extends AdaptiveMaxPoolNd<R> {
  forward(input: Tensor): WithIndices<R> {
    return adaptiveMaxPool3d(input, this.outputSize, { returnIndices: this.returnIndices });
  }
}

const one = (v: Size): number[] => (typeof v === 'number' ? [v] : [...v]);

/** 1-d average pooling over (C, L) or (N, C, L) input, through the 2-d kernel as ATen's avg_pool1d. */
export class AvgPool1d extends Module {
  /** Stored as one-element tuples, as PyTorch's _single does (its repr shows (3,)). */
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;

  constructor(
    kernelSize: Size,
    options?: { stride?: Size; padding?: Size; ceilMode?: boolean; countIncludePad?: boolean },
  ) {
    super();
    this.kernelSize = one(kernelSize);
    this.stride = one(options?.stride ?? kernelSize);
    this.padding = one(options?.padding ?? 0);
    this.ceilMode = options?.ceilMode ?? false;
    this.countIncludePad = options?.countIncludePad ?? true;
  }

  forward(input: Tensor): Tensor {
    return avgPool1d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}`;
  }
}

/** What the power-average pools share (PyTorch's _LPPoolNd): the options as given, and the repr. */
abstract class LPPoolNd extends Module {
  /** null: the kernel size. */
  readonly stride: Size | null;
  readonly ceilMode: boolean;

  constructor(
    readonly normType: number,
    readonly kernelSize: Size,
    options?: { stride?: Size | null; ceilMode?: boolean },
  ) {
    super();
    this.stride = options?.stride ?? null;
    this.ceilMode = options?.ceilMode ?? false;
  }

  protected get poolOptions() {
    return { stride: this.stride, ceilMode: this.ceilMode };
  }

  override extraRepr(): string {
    const p = Number.isFinite(this.normType) ? String(this.normType) : pyFloat(this.normType);
    const stride = this.stride === null ? 'None' : show(this.stride);
    return `norm_type=${p}, kernel_size=${show(this.kernelSize)}, stride=${stride}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/** The p-norm of each window of a (C, L) or (N, C, L) input, F.lpPool1d. */
export class LPPool1d extends LPPoolNd {
  forward(input: Tensor): Tensor {
    return lpPool1d(input, this.normType, this.kernelSize, this.poolOptions);
  }
}

/** The p-norm of each window of a (C, H, W) or (N, C, H, W) input, F.lpPool2d. */
export class LPPool2d extends LPPoolNd {
  forward(input: Tensor): Tensor {
    return lpPool2d(input, this.normType, this.kernelSize, this.poolOptions);
  }
}

/** The p-norm of each window of a (C, D, H, W) or (N, C, D, H, W) input, F.lpPool3d. */
export class LPPool3d extends LPPoolNd {
  forward(input: Tensor): Tensor {
    return lpPool3d(input, this.normType, this.kernelSize, this.poolOptions);
  }
}

export interface FractionalMaxPoolModuleOptions<R extends boolean = boolean> {
  /** The output's spatial size; this or outputRatio. */
  outputSize?: Size | null;
  /** The output's size as a fraction in (0, 1) of the input's. */
  outputRatio?: Size | null;
  /** forward also returns each maximum's flat index in its input plane (or volume), for MaxUnpool. */
  returnIndices?: R;
  /** Fixed (N, C, dims) samples in [0, 1) placing the windows, kept as the buffer `_random_samples`; default: fresh ones each call. */
  _randomSamples?: Tensor | null;
}

/**
 * PyTorch's FractionalMaxPool2d/3d: the sizes as tuples, the checks of its constructor, and
 * `_random_samples` as a buffer (absent from the state dict while null, as PyTorch's None buffer).
 * Its repr has no arguments, as PyTorch's.
 */
abstract class FractionalMaxPoolNd<R extends boolean> extends Module {
  declare _random_samples: Tensor | null;
  readonly kernelSize: number[];
  readonly outputSize: number[] | null;
  readonly outputRatio: number[] | null;
  readonly returnIndices: R;

  constructor(kernelSize: Size, options: FractionalMaxPoolModuleOptions<R> | undefined, dims: 2 | 3) {
    super();
    const name = new.target.name;
    this.kernelSize = ntuple(kernelSize, dims);
    this.returnIndices = (options?.returnIndices ?? false) as R;
    this.registerBuffer('_random_samples', options?._randomSamples ?? null);
    const outputSize = options?.outputSize ?? null;
    const outputRatio = options?.outputRatio ?? null;
    this.outputSize = outputSize === null ? null : ntuple(outputSize, dims);
    this.outputRatio = outputRatio === null ? null : ntuple(outputRatio, dims);
    if (outputSize === null && outputRatio === null) {
      throw new Error(`${name} requires specifying either an output size, or a pooling ratio`);
    }
    if (outputSize !== null && outputRatio !== null) {
      throw new Error(`${name}: only one of outputSize and outputRatio may be specified`);
    }
    if (this.outputRatio !== null && !this.outputRatio.every((r) => r > 0 && r < 1)) {
      throw new Error(`${name}: outputRatio must be between 0 and 1 (got ${JSON.stringify(outputRatio)})`);
    }
  }

  protected get poolOptions() {
    return {
      outputSize: this.outputSize,
      outputRatio: this.outputRatio,
      returnIndices: this.returnIndices,
      _randomSamples: this._random_samples,
    };
  }
}

/**
 * Fractional max pooling (Graham's) over (C, H, W) or (N, C, H, W) input: windows of kernelSize
 * at pseudo-random steps that reach outputSize (or outputRatio of the input size). The samples
 * placing them are drawn as PyTorch draws them, so one manualSeed gives PyTorch's results.
 */
export class FractionalMaxPool2d<R extends boolean = false> extends FractionalMaxPoolNd<R> {
  constructor(kernelSize: Size, options?: FractionalMaxPoolModuleOptions<R>) {
    super(kernelSize, options, 2);
  }

  forward(input: Tensor): WithIndices<R> {
    return fractionalMaxPool2d(input, this.kernelSize, this.poolOptions);
  }
}

/** Fractional max pooling over (C, D, H, W) or (N, C, D, H, W) input; see FractionalMaxPool2d. */
export class FractionalMaxPool3d<R extends boolean = false> extends FractionalMaxPoolNd<R> {
  constructor(kernelSize: Size, options?: FractionalMaxPoolModuleOptions<R>) {
    super(kernelSize, options, 3);
  }

  forward(input: Tensor): WithIndices<R> {
    return fractionalMaxPool3d(input, this.kernelSize, this.poolOptions);
  }
}
