import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from '../../../generated/functional.js';
import type { Tensor } from '../../tensor.js';
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
