import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from '../../../generated/functional.js';
import type { Tensor } from '../../tensor.js';
import { type AdaptiveSize, adaptiveMaxPool2d, avgPool1d, maxPool1d } from '../functional.js';
import { Module } from '../module.js';
import { pyBool, pyTuple } from '../repr.js';

type Size = number | number[];
const show = (v: Size): string => (typeof v === 'number' ? String(v) : pyTuple(v));

export class MaxPool2d extends Module {
  readonly stride: Size;
  readonly padding: Size;
  readonly dilation: Size;
  readonly ceilMode: boolean;

  constructor(
    readonly kernelSize: Size,
    options?: { stride?: Size; padding?: Size; dilation?: Size; ceilMode?: boolean },
  ) {
    super();
    this.stride = options?.stride ?? kernelSize;
    this.padding = options?.padding ?? 0;
    this.dilation = options?.dilation ?? 1;
    this.ceilMode = options?.ceilMode ?? false;
  }

  forward(input: Tensor): Tensor {
    return maxPool2d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}, dilation=${show(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

export class AvgPool2d extends Module {
  readonly stride: Size;
  readonly padding: Size;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(
    readonly kernelSize: Size,
    options?: {
      stride?: Size;
      padding?: Size;
      ceilMode?: boolean;
      countIncludePad?: boolean;
      divisorOverride?: number;
    },
  ) {
    super();
    this.stride = options?.stride ?? kernelSize;
    this.padding = options?.padding ?? 0;
    this.ceilMode = options?.ceilMode ?? false;
    this.countIncludePad = options?.countIncludePad ?? true;
    this.divisorOverride = options?.divisorOverride ?? null;
  }

  forward(input: Tensor): Tensor {
    return avgPool2d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}`;
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Size) {
    super();
  }

  forward(input: Tensor): Tensor {
    return adaptiveAvgPool2d(input, this.outputSize);
  }

  override extraRepr(): string {
    return `output_size=${show(this.outputSize)}`;
  }
}

/** An output size as Python prints it: 2, or (2, None). */
const showAdaptive = (v: AdaptiveSize): string =>
  typeof v === 'number'
    ? String(v)
    : v.length === 1
      ? `(${v[0] ?? 'None'},)`
      : `(${v.map((x) => (x === null ? 'None' : String(x))).join(', ')})`;

/**
 * The maximum over each of an adaptive grid of windows; with `returnIndices`, forward also returns
 * the flat index (h·W + w) of each maximum in its input plane.
 */
export class AdaptiveMaxPool2d<R extends boolean = false> extends Module {
  readonly returnIndices: R;

  constructor(
    readonly outputSize: AdaptiveSize,
    options?: { returnIndices?: R },
  ) {
    super();
    this.returnIndices = (options?.returnIndices ?? false) as R;
  }

  forward(input: Tensor): R extends true ? [Tensor, Tensor] : Tensor {
    return adaptiveMaxPool2d(input, this.outputSize, { returnIndices: this.returnIndices }) as R extends true
      ? [Tensor, Tensor]
      : Tensor;
  }

  override extraRepr(): string {
    return `output_size=${showAdaptive(this.outputSize)}`;
  }
}

/**
 * 1-d max pooling over (C, L) or (N, C, L) input, through the 2-d kernel as ATen does; with
 * `returnIndices`, forward also returns each maximum's position along L.
 */
export class MaxPool1d<R extends boolean = false> extends Module {
  readonly stride: Size;
  readonly padding: Size;
  readonly dilation: Size;
  readonly ceilMode: boolean;
  readonly returnIndices: R;

  constructor(
    readonly kernelSize: Size,
    options?: { stride?: Size; padding?: Size; dilation?: Size; ceilMode?: boolean; returnIndices?: R },
  ) {
    super();
    this.stride = options?.stride ?? kernelSize;
    this.padding = options?.padding ?? 0;
    this.dilation = options?.dilation ?? 1;
    this.ceilMode = options?.ceilMode ?? false;
    this.returnIndices = (options?.returnIndices ?? false) as R;
  }

  forward(input: Tensor): R extends true ? [Tensor, Tensor] : Tensor {
    return maxPool1d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
      returnIndices: this.returnIndices,
    }) as R extends true ? [Tensor, Tensor] : Tensor;
  }

  override extraRepr(): string {
    return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}, dilation=${show(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
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
