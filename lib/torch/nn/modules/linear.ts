import { bilinear, linear } from '../../../generated/functional.js';
import { empty } from '../../../generated/functions.js';
import type { Device } from '../../device.js';
import type { DType } from '../../dtype.js';
import type { Tensor } from '../../tensor.js';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { pyBool } from '../repr.js';

export interface FactoryOptions {
  device?: Device;
  dtype?: DType;
}

/** An uninitialised parameter of the given shape. */
export const newParameter = (shape: number[], o?: FactoryOptions): Parameter =>
  new Parameter(empty(shape, { ...(o?.dtype ? { dtype: o.dtype } : {}), ...(o?.device ? { device: o.device } : {}) }));

/** Returns its input. */
export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}

/** y = x Aᵀ + b, initialised as PyTorch does (kaiming uniform with a = √5, bias in ±1/√fanIn). */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options?: { bias?: boolean } & FactoryOptions,
  ) {
    super();
    this.weight = newParameter([outFeatures, inFeatures], options);
    this.bias = (options?.bias ?? true) ? newParameter([outFeatures], options) : null;
    this.resetParameters();
  }

  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      // With fan_in 0, Python's bound is the int 0, whose negation is +0 (ours would be -0).
      uniform_(this.bias, { a: fanIn > 0 ? -bound : 0, b: bound });
    }
  }

  forward(input: Tensor): Tensor {
    return linear(input, this.weight, { bias: this.bias });
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/** y = x1ᵀ A x2 + b. */
export class Bilinear extends Module {
  weight: Parameter;
  bias: Parameter | null;

  constructor(
    readonly in1Features: number,
    readonly in2Features: number,
    readonly outFeatures: number,
    options?: { bias?: boolean } & FactoryOptions,
  ) {
    super();
    this.weight = newParameter([outFeatures, in1Features, in2Features], options);
    this.bias = (options?.bias ?? true) ? newParameter([outFeatures], options) : null;
    this.resetParameters();
  }

  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.weight.size(1));
    uniform_(this.weight, { a: -bound, b: bound });
    if (this.bias) uniform_(this.bias, { a: -bound, b: bound });
  }

  forward(input1: Tensor, input2: Tensor): Tensor {
    return bilinear(input1, input2, this.weight, { bias: this.bias });
  }

  override extraRepr(): string {
    return `in1_features=${this.in1Features}, in2_features=${this.in2Features}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}
