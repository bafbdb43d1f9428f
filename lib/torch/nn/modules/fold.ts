import { fold, unfold } from '../../../generated/functional.js';
import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import { pyTuple } from '../repr.js';

type Size = number | number[];
const show = (v: Size): string => (typeof v === 'number' ? String(v) : pyTuple(v));

interface FoldOptions {
  dilation?: Size;
  padding?: Size;
  stride?: Size;
}

/** What Fold and Unfold share: the sliding window's options as given, and their repr. */
abstract class SlidingWindow extends Module {
  readonly dilation: Size;
  readonly padding: Size;
  readonly stride: Size;

  constructor(
    readonly kernelSize: Size,
    options: FoldOptions | undefined,
  ) {
    super();
    this.dilation = options?.dilation ?? 1;
    this.padding = options?.padding ?? 0;
    this.stride = options?.stride ?? 1;
  }

  protected get windowOptions() {
    return { dilation: this.dilation, padding: this.padding, stride: this.stride };
  }

  override extraRepr(): string {
    return `kernel_size=${show(this.kernelSize)}, dilation=${show(this.dilation)}, padding=${show(this.padding)}, stride=${show(this.stride)}`;
  }
}

/**
 * Extracts the sliding blocks of a (C, H, W) or (N, C, H, W) input as columns:
 * (N, C·∏kernelSize, L), F.unfold (ATen's im2col).
 */
export class Unfold extends SlidingWindow {
  constructor(kernelSize: Size, options?: FoldOptions) {
    super(kernelSize, options);
  }

  forward(input: Tensor): Tensor {
    return unfold(input, this.kernelSize, this.windowOptions);
  }
}

/**
 * The inverse arrangement of Unfold: sums the columns of an (N, C·∏kernelSize, L) input into an
 * (N, C, *outputSize) image, overlapping blocks added, F.fold (ATen's col2im).
 */
export class Fold extends SlidingWindow {
  constructor(
    readonly outputSize: Size,
    kernelSize: Size,
    options?: FoldOptions,
  ) {
    super(kernelSize, options);
  }

  forward(input: Tensor): Tensor {
    return fold(input, this.outputSize, this.kernelSize, this.windowOptions);
  }

  override extraRepr(): string {
    return `output_size=${show(this.outputSize)}, ${super.extraRepr()}`;
  }
}
