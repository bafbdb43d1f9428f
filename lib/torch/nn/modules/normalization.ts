import { groupNorm, layerNorm } from '../../../generated/functional.js';
import type { Tensor } from '../../tensor.js';
import { ones_, zeros_ } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { pyBool, pyFloat, pyTuple } from '../repr.js';
import { type FactoryOptions, newParameter } from './linear.js';

export class LayerNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;

  constructor(
    normalizedShape: number | number[],
    options?: { eps?: number; elementwiseAffine?: boolean; bias?: boolean } & FactoryOptions,
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = options?.eps ?? 1e-5;
    this.elementwiseAffine = options?.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? newParameter(this.normalizedShape, options) : null;
    this.bias = this.elementwiseAffine && (options?.bias ?? true) ? newParameter(this.normalizedShape, options) : null;
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  forward(input: Tensor): Tensor {
    return layerNorm(input, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}, bias=${pyBool(this.bias !== null)}`;
  }
}

export class GroupNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly eps: number;
  readonly affine: boolean;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    options?: { eps?: number; affine?: boolean; bias?: boolean } & FactoryOptions,
  ) {
    super();
    if (numChannels % numGroups !== 0) throw new Error('num_channels must be divisible by num_groups');
    this.eps = options?.eps ?? 1e-5;
    this.affine = options?.affine ?? true;
    this.weight = this.affine ? newParameter([numChannels], options) : null;
    this.bias = this.affine && (options?.bias ?? true) ? newParameter([numChannels], options) : null;
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  forward(input: Tensor): Tensor {
    return groupNorm(input, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}, bias=${pyBool(this.bias !== null)}`;
  }
}
