// nn.LinearCrossEntropyLoss (PyTorch 2.13): a Linear projection to class logits fused with the
// cross entropy loss. As in Python the projection is an nn.Linear of C·∏outFeatures outputs,
// stored flat and reshaped in forward, so the state dict is `weight` (the class weights, when
// given), `linear.weight` and `linear.bias`, exactly Python's keys and shapes.

import type { Device } from '../../device.js';
import type { DType } from '../../dtype.js';
import type { Reduction } from '../../marshal.js';
import type { Tensor } from '../../tensor.js';
import { linearCrossEntropy } from '../functional_linear_cross_entropy.js';
import type { LinearCrossEntropyOptions } from '../linear_cross_entropy_options.js';
import { Module } from '../module.js';
import { pyBool, pyFloat, pyTuple } from '../repr.js';
import { Linear } from './linear.js';

export interface LinearCrossEntropyLossOptions {
  /** The K trailing dims (d1, ..., dK) of a K-dimensional loss; default [] */
  outFeatures?: number[];
  /** A learnable bias of the logits (default false, as Python's). */
  bias?: boolean;
  device?: Device;
  dtype?: DType;
  reduction?: Reduction;
  /** Class weights (C), a buffer. */
  weight?: Tensor | null;
  ignoreIndex?: number | null;
  labelSmoothing?: number;
  /** The chunked path's options; null (default) for the reference path. */
  options?: LinearCrossEntropyOptions | null;
}

export class LinearCrossEntropyLoss extends Module {
  declare weight: Tensor | null;
  readonly reduction: Reduction;
  readonly numClasses: number;
  readonly outFeatures: number[];
  readonly ignoreIndex: number | null;
  readonly labelSmoothing: number;
  linear: Linear;
  options: LinearCrossEntropyOptions | null;

  constructor(inFeatures: number, numClasses: number, options?: LinearCrossEntropyLossOptions) {
    super();
    const weight = options?.weight ?? null;
    if (weight !== null && !(weight.dim() === 1 && weight.shape[0] === numClasses)) {
      throw new Error(
        `LinearCrossEntropyLoss: expected weight shape to be [${numClasses}], got [${weight.shape.join(', ')}]`,
      );
    }
    const labelSmoothing = options?.labelSmoothing ?? 0;
    if (labelSmoothing < 0 || labelSmoothing > 1) {
      throw new Error(`LinearCrossEntropyLoss: expected labelSmoothing to be in range [0, 1], got ${labelSmoothing}`);
    }
    this.reduction = options?.reduction ?? 'mean';
    this.registerBuffer('weight', weight);
    this.numClasses = numClasses;
    this.outFeatures = [...(options?.outFeatures ?? [])];
    this.ignoreIndex = options?.ignoreIndex ?? null;
    this.labelSmoothing = labelSmoothing;
    const rows = this.outFeatures.reduce((a, d) => a * d, numClasses);
    this.linear = new Linear(inFeatures, rows, {
      bias: options?.bias ?? false,
      ...(options?.device ? { device: options.device } : {}),
      ...(options?.dtype ? { dtype: options.dtype } : {}),
    });
    this.options = options?.options ?? null;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    const shape = [this.numClasses, ...this.outFeatures];
    const bias = this.linear.bias;
    return linearCrossEntropy(input, this.linear.weight.reshape([...shape, this.linear.inFeatures]), target, {
      linearBias: bias === null ? null : bias.reshape(shape),
      weight: this.weight,
      reduction: this.reduction,
      ignoreIndex: this.ignoreIndex,
      labelSmoothing: this.labelSmoothing,
      options: this.options,
    });
  }

  override extraRepr(): string {
    return [
      `in_features=${this.linear.inFeatures}`,
      `num_classes=${this.numClasses}`,
      `out_features=${pyTuple(this.outFeatures)}`,
      `bias=${pyBool(this.linear.bias !== null)}`,
      `reduction=${this.reduction}`,
      `ignore_index=${this.ignoreIndex === null ? 'None' : this.ignoreIndex}`,
      `label_smoothing=${pyFloat(this.labelSmoothing)}`,
      `options=${optionsRepr(this.options)}`,
    ].join(', ');
  }
}

/** Python's dataclass repr of LinearCrossEntropyOptions, fields at their defaults included. */
function optionsRepr(o: LinearCrossEntropyOptions | null): string {
  if (o === null) return 'None';
  const str = (s: string | null | undefined) => (s == null ? 'None' : `'${s}'`);
  const method = o.chunkingMethod === undefined ? 'auto' : o.chunkingMethod;
  return (
    `LinearCrossEntropyOptions(allow_retain_graph=${pyBool(o.allowRetainGraph ?? false)}, ` +
    `batch_chunk_size=${o.batchChunkSize ?? 'None'}, chunking_method=${str(method)}, ` +
    `acc_policy=${str(o.accPolicy ?? 'auto')}, acc_dtype=${o.accDtype ? `torch.${o.accDtype}` : 'None'})`
  );
}
