import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import { pyTuple } from '../repr.js';

export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor(options?: { startDim?: number; endDim?: number }) {
    super();
    this.startDim = options?.startDim ?? 1;
    this.endDim = options?.endDim ?? -1;
  }

  forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

export class Unflatten extends Module {
  constructor(
    readonly dim: number,
    readonly unflattenedSize: number[],
  ) {
    super();
  }

  forward(input: Tensor): Tensor {
    return input.unflatten(this.dim, this.unflattenedSize);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=${pyTuple(this.unflattenedSize)}`;
  }
}
