import { embedding } from '../../../generated/functional.js';
import { noGrad } from '../../autograd.js';
import type { Tensor } from '../../tensor.js';
import { embeddingBag as embeddingBagF } from '../functional.js';
import { normal_ } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { pyFloat } from '../repr.js';
import { type FactoryOptions, newParameter } from './linear.js';

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`, initialised N(0, 1). With
 * `sparse: true` the weight's gradient is a sparse COO tensor holding only the rows looked up
 * (for optim.SGD, Adagrad and SparseAdam).
 */
export class Embedding extends Module {
  weight: Parameter;
  readonly paddingIdx: number | null;
  readonly scaleGradByFreq: boolean;
  readonly sparse: boolean;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options?: { paddingIdx?: number; scaleGradByFreq?: boolean; sparse?: boolean } & FactoryOptions,
  ) {
    super();
    this.scaleGradByFreq = options?.scaleGradByFreq ?? false;
    this.sparse = options?.sparse ?? false;
    let p = options?.paddingIdx ?? null;
    if (p !== null) {
      if (p >= numEmbeddings || p < -numEmbeddings) throw new Error('Padding_idx must be within num_embeddings');
      if (p < 0) p += numEmbeddings;
    }
    this.paddingIdx = p;
    this.weight = newParameter([numEmbeddings, embeddingDim], options);
    normal_(this.weight);
    if (p !== null) noGrad(() => this.weight.at(p).fill_(0));
  }

  forward(input: Tensor): Tensor {
    return embedding(input, this.weight, {
      paddingIdx: this.paddingIdx,
      scaleGradByFreq: this.scaleGradByFreq,
      sparse: this.sparse,
    });
  }

  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    if (this.scaleGradByFreq) s += ', scale_grad_by_freq=True';
    if (this.sparse) s += ', sparse=True';
    return s;
  }
}

export type EmbeddingBagMode = 'sum' | 'mean' | 'max';

export interface EmbeddingBagOptions extends FactoryOptions {
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  mode?: EmbeddingBagMode;
  /** A sparse COO gradient for the weight (not with mode 'max'), as PyTorch's. */
  sparse?: boolean;
  includeLastOffset?: boolean;
  paddingIdx?: number | null;
}

/**
 * Sums, means or maxima of bags of embeddings without materialising the embeddings: a 1-D input
 * with `offsets` (where each bag starts), or a 2-D input of one bag per row. `weight` is
 * initialised N(0, 1) with the paddingIdx row zeroed; that row never contributes to a bag.
 */
export class EmbeddingBag extends Module {
  weight: Parameter;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly scaleGradByFreq: boolean;
  readonly mode: EmbeddingBagMode;
  readonly sparse: boolean;
  readonly includeLastOffset: boolean;
  readonly paddingIdx: number | null;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options?: EmbeddingBagOptions,
  ) {
    super();
    this.maxNorm = options?.maxNorm ?? null;
    this.normType = options?.normType ?? 2;
    this.scaleGradByFreq = options?.scaleGradByFreq ?? false;
    let p = options?.paddingIdx ?? null;
    if (p !== null) {
      if (p >= numEmbeddings || p < -numEmbeddings) {
        throw new Error(`EmbeddingBag: padding_idx must be within num_embeddings (got ${p} for ${numEmbeddings})`);
      }
      if (p < 0) p += numEmbeddings;
    }
    this.paddingIdx = p;
    this.weight = newParameter([numEmbeddings, embeddingDim], options);
    this.resetParameters();
    this.mode = options?.mode ?? 'mean';
    this.sparse = options?.sparse ?? false;
    this.includeLastOffset = options?.includeLastOffset ?? false;
  }

  /** N(0, 1), then the paddingIdx row zeroed, as PyTorch's reset_parameters. */
  resetParameters(): void {
    normal_(this.weight);
    const p = this.paddingIdx;
    if (p !== null) noGrad(() => this.weight.at(p).fill_(0));
  }

  /** `offsets` (for a 1-D input) and `perSampleWeights` (mode 'sum'), as PyTorch's forward(input, offsets, per_sample_weights). */
  forward(input: Tensor, offsets?: Tensor | null, perSampleWeights?: Tensor | null): Tensor {
    return embeddingBagF(input, this.weight, {
      offsets: offsets ?? null,
      maxNorm: this.maxNorm,
      normType: this.normType,
      scaleGradByFreq: this.scaleGradByFreq,
      mode: this.mode,
      sparse: this.sparse,
      perSampleWeights: perSampleWeights ?? null,
      includeLastOffset: this.includeLastOffset,
      paddingIdx: this.paddingIdx,
    });
  }

  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.maxNorm !== null) s += `, max_norm=${pyFloat(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${pyFloat(this.normType)}`;
    if (this.scaleGradByFreq) s += ', scale_grad_by_freq=True';
    s += `, mode='${this.mode}'`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    return s;
  }
}
