// AdaptiveLogSoftmaxWithLoss (Grave et al., "Efficient softmax approximation for GPUs"): a head
// over the frequent classes plus one entry per tail cluster, and a two-layer projection per
// cluster, as PyTorch's, with its parameter names, initialisation order and computation.
import { cat, zeros } from '../../../generated/functions.js';
import type { Tensor } from '../../tensor.js';
import * as F from '../functional.js';
import { Module } from '../module.js';
import { ModuleList, Sequential } from './container.js';
import { type FactoryOptions, Linear } from './linear.js';

/** The per-example log-probabilities of the targets and their mean negative (PyTorch's _ASMoutput). */
export type ASMOutput = [Tensor, Tensor] & { output: Tensor; loss: Tensor };

export interface AdaptiveLogSoftmaxWithLossOptions extends FactoryOptions {
  /** Each cluster's hidden size is inFeatures / divValue^(i+1), floored (default 4). */
  divValue?: number;
  /** A bias in the head's Linear (default false). */
  headBias?: boolean;
}

export class AdaptiveLogSoftmaxWithLoss extends Module {
  head: Linear;
  tail: ModuleList;
  /** The cutoffs given, then nClasses. */
  readonly cutoffs: number[];
  readonly divValue: number;
  readonly headBias: boolean;
  readonly shortlistSize: number;
  readonly nClusters: number;
  readonly headSize: number;

  constructor(
    readonly inFeatures: number,
    readonly nClasses: number,
    cutoffs: number[],
    options?: AdaptiveLogSoftmaxWithLossOptions,
  ) {
    super();
    const name = 'AdaptiveLogSoftmaxWithLoss';
    if (!Array.isArray(cutoffs) || cutoffs.length === 0) {
      throw new Error(`${name}: cutoffs should be a sequence of length larger than 0`);
    }
    const sorted = cutoffs.every((c, i) => i === 0 || c > (cutoffs[i - 1] as number));
    if (!sorted || !cutoffs.every((c) => Number.isInteger(c) && c > 0 && c <= nClasses - 1)) {
      throw new Error(
        `${name}: cutoffs should be a sequence of unique, positive integers sorted in an increasing order, where each value is between 1 and n_classes-1`,
      );
    }
    this.cutoffs = [...cutoffs, nClasses];
    this.divValue = options?.divValue ?? 4;
    this.headBias = options?.headBias ?? false;
    this.shortlistSize = this.cutoffs[0] as number;
    this.nClusters = this.cutoffs.length - 1;
    this.headSize = this.shortlistSize + this.nClusters;
    const factory = { device: options?.device, dtype: options?.dtype };
    this.head = new Linear(inFeatures, this.headSize, { bias: this.headBias, ...factory });
    this.tail = new ModuleList();
    for (let i = 0; i < this.nClusters; i++) {
      const hsz = Math.floor(inFeatures / this.divValue ** (i + 1));
      const osz = (this.cutoffs[i + 1] as number) - (this.cutoffs[i] as number);
      this.tail.append(
        new Sequential(
          new Linear(inFeatures, hsz, { bias: false, ...factory }),
          new Linear(hsz, osz, { bias: false, ...factory }),
        ),
      );
    }
  }

  resetParameters(): void {
    this.head.resetParameters();
    for (const projection of this.tail.children()) {
      for (const linear of projection.children()) (linear as Linear).resetParameters();
    }
  }

  private cluster(i: number, input: Tensor): Tensor {
    return (this.tail.at(i) as Sequential).forward(input) as Tensor;
  }

  /**
   * The log-probability of each target under the adaptive softmax, and the loss (their mean
   * negative): (N, inFeatures) input with (N) targets, or (inFeatures) with a 0-d target.
   */
  forward(input: Tensor, target: Tensor): ASMOutput {
    const name = 'AdaptiveLogSoftmaxWithLoss';
    const targDim = target.dim();
    if (targDim === 1) {
      if (input.size(0) !== target.size(0)) {
        throw new Error(`${name}: Input and target should have the same size in the batch dimension.`);
      }
      if (input.dim() !== 2) {
        throw new Error(
          `${name}: 1D target tensor expects 2D input tensors, but found inputs with size [${input.shape.join(', ')}]`,
        );
      }
    } else if (targDim === 0) {
      if (input.dim() !== 1) {
        throw new Error(
          `${name}: 0D target tensor expects 1D input tensors, but found inputs with size [${input.shape.join(', ')}]`,
        );
      }
    } else {
      throw new Error(`${name}: 0D or 1D target tensor expected, multi-target not supported`);
    }
    const batched = targDim > 0;
    const x = batched ? input : input.unsqueeze(0);
    const t = batched ? target : target.unsqueeze(0);
    const batchSize = t.size(0);
    let output = zeros([batchSize], { dtype: x.dtype, device: x.device });
    const gatherInds = zeros([batchSize], { dtype: t.dtype, device: t.device });
    const bounds = [0, ...this.cutoffs];
    let usedRows = 0;
    for (let i = 0; i < bounds.length - 1; i++) {
      const low = bounds[i] as number;
      const high = bounds[i + 1] as number;
      const mask = t.ge(low).logicalAnd(t.lt(high));
      const rows = mask.nonzero().view([-1]);
      if (rows.numel() === 0) continue;
      if (i === 0) {
        gatherInds.indexCopy_(0, rows, t.maskedSelect(mask));
      } else {
        const relative = t.maskedSelect(mask).sub(low);
        const clusterOutput = this.cluster(i - 1, x.indexSelect(0, rows));
        gatherInds.indexFill_(0, rows, this.shortlistSize + i - 1);
        const local = F.logSoftmax(clusterOutput, 1).gather(1, relative.unsqueeze(1));
        output.indexCopy_(0, rows, local.squeeze(1));
      }
      usedRows += rows.numel();
    }
    if (usedRows !== batchSize) {
      throw new Error(
        `${name}: Target values should be in [0, ${this.nClasses - 1}], but values in range [${t.min().item()}, ${t.max().item()}] were found. `,
      );
    }
    const headLogprob = F.logSoftmax(this.head.forward(x), 1);
    output = output.add(headLogprob.gather(1, gatherInds.unsqueeze(1)).squeeze(1));
    const loss = output.neg().mean();
    if (!batched) output = output.squeeze(0);
    return Object.assign([output, loss] as [Tensor, Tensor], { output, loss });
  }

  /** Log-probabilities of every class, (N, nClasses). */
  private fullLogProb(input: Tensor, headOutput: Tensor): Tensor {
    const headLogprob = F.logSoftmax(headOutput, 1);
    const parts = [headLogprob.narrow(1, 0, this.shortlistSize)];
    for (let i = 0; i < this.nClusters; i++) {
      const clusterLogprob = F.logSoftmax(this.cluster(i, input), 1);
      parts.push(clusterLogprob.add(headLogprob.select(1, this.shortlistSize + i).unsqueeze(1)));
    }
    return cat(parts, 1);
  }

  /** Log-probabilities of every class for (N, inFeatures) input: (N, nClasses). */
  logProb(input: Tensor): Tensor {
    return this.fullLogProb(input, this.head.forward(input));
  }

  /** The most likely class of each row of (N, inFeatures) input. */
  predict(input: Tensor): Tensor {
    const headOutput = this.head.forward(input);
    const output = headOutput.argmax(1);
    const notInShortlist = output.ge(this.shortlistSize);
    if (!notInShortlist.any().item()) return output;
    // Rows whose best head entry is a cluster need the full distribution.
    const full = this.fullLogProb(input, headOutput).argmax(1);
    return full.where(notInShortlist, output);
  }
}
