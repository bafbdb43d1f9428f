import { dropout } from '../../../generated/functional.js';
import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import { pyBool } from '../repr.js';

/** Zeroes elements with probability p while training and scales the rest by 1/(1-p). */
export class Dropout extends Module {
  readonly p: number;
  readonly inplace: boolean;

  constructor(options?: { p?: number; inplace?: boolean }) {
    super();
    this.p = options?.p ?? 0.5;
    if (this.p < 0 || this.p > 1) throw new Error(`dropout probability has to be between 0 and 1, but got ${this.p}`);
    this.inplace = options?.inplace ?? false;
  }

  forward(input: Tensor): Tensor {
    const out = dropout(input, { p: this.p, training: this.training });
    return this.inplace ? input.copy_(out) : out;
  }

  override extraRepr(): string {
    return `p=${this.p}, inplace=${pyBool(this.inplace)}`;
  }
}
