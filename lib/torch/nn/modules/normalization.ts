import { groupNorm, layerNorm, rmsNorm } from '../../../generated/functional.js';
import type { Tensor } from '../../tensor.js';
import { localResponseNorm } from '../functional.js';
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

/** Root-mean-square normalisation over the trailing `normalizedShape` dims (PyTorch 2.4+), through ATen's rms_norm. */
export class RMSNorm extends Module {
  weight: Parameter | null;
  readonly normalizedShape: number[];
  /** null: the input dtype's machine epsilon, as ATen's rms_norm. */
  readonly eps: number | null;
  readonly elementwiseAffine: boolean;

  constructor(
    normalizedShape: number | number[],
    options?: { eps?: number | null; elementwiseAffine?: boolean } & FactoryOptions,
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = options?.eps ?? null;
    this.elementwiseAffine = options?.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? newParameter(this.normalizedShape, options) : null;
    this.resetParameters();
  }

  resetParameters(): void {
    if (this.weight) ones_(this.weight);
  }

  forward(input: Tensor): Tensor {
    return rmsNorm(input, this.normalizedShape, { weight: this.weight, eps: this.eps });
  }

  override extraRepr(): string {
    const eps = this.eps === null ? 'None' : pyFloat(this.eps);
    return `${pyTuple(this.normalizedShape)}, eps=${eps}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

/** Local response normalisation across channels, F.localResponseNorm (Python's composition). */
export class LocalResponseNorm extends Module {
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;

  constructor(
    readonly size: number,
    options?: { alpha?: number; beta?: number; k?: number },
  ) {
    super();
    this.alpha = options?.alpha ?? 1e-4;
    this.beta = options?.beta ?? 0.75;
    this.k = options?.k ?? 1;
  }

  forward(input: Tensor): Tensor {
    return localResponseNorm(input, this.size, { alpha: this.alpha, beta: this.beta, k: this.k });
  }

  override extraRepr(): string {
    return `${this.size}, alpha=${pyFloat(this.alpha)}, beta=${pyFloat(this.beta)}, k=${pyFloat(this.k)}`;
  }
}
