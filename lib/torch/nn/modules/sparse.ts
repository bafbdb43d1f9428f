import { embedding } from '../../../generated/functional.js';
import { noGrad } from '../../autograd.js';
import type { Tensor } from '../../tensor.js';
import { normal_ } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { type FactoryOptions, newParameter } from './linear.js';

/** A lookup table of `numEmbeddings` vectors of size `embeddingDim`, initialised N(0, 1). */
export class Embedding extends Module {
  weight: Parameter;
  readonly paddingIdx: number | null;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options?: { paddingIdx?: number } & FactoryOptions,
  ) {
    super();
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
    return embedding(input, this.weight, { paddingIdx: this.paddingIdx });
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}
