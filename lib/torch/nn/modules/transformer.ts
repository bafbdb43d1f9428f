import * as F from '../../../generated/functional.js';
import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import { MultiheadAttention } from './activation.js';
import { Dropout } from './dropout.js';
import { type FactoryOptions, Linear } from './linear.js';
import { LayerNorm } from './normalization.js';

export interface TransformerEncoderLayerOptions extends FactoryOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: 'relu' | 'gelu' | ((x: Tensor) => Tensor);
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
  bias?: boolean;
}

/** Self-attention and a feed-forward block, each with a residual and LayerNorm, as PyTorch's. */
export class TransformerEncoderLayer extends Module {
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  readonly normFirst: boolean;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly activation: (x: Tensor) => Tensor;

  constructor(dModel: number, nhead: number, options?: TransformerEncoderLayerOptions) {
    super();
    const p = options?.dropout ?? 0.1;
    const bias = options?.bias ?? true;
    const factory = {
      ...(options?.dtype ? { dtype: options.dtype } : {}),
      ...(options?.device ? { device: options.device } : {}),
    };
    const ff = options?.dimFeedforward ?? 2048;
    const eps = options?.layerNormEps ?? 1e-5;
    this.self_attn = new MultiheadAttention(dModel, nhead, {
      dropout: p,
      bias,
      batchFirst: options?.batchFirst ?? false,
      ...factory,
    });
    this.linear1 = new Linear(dModel, ff, { bias, ...factory });
    this.dropout = new Dropout({ p });
    this.linear2 = new Linear(ff, dModel, { bias, ...factory });
    this.normFirst = options?.normFirst ?? false;
    this.norm1 = new LayerNorm([dModel], { eps, bias, ...factory });
    this.norm2 = new LayerNorm([dModel], { eps, bias, ...factory });
    this.dropout1 = new Dropout({ p });
    this.dropout2 = new Dropout({ p });
    const act = options?.activation ?? 'relu';
    this.activation = act === 'relu' ? F.relu : act === 'gelu' ? (x) => F.gelu(x) : act;
  }

  forward(
    src: Tensor,
    options?: { srcMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean },
  ): Tensor {
    const sa = (x: Tensor): Tensor => {
      const [out] = this.self_attn.forward(x, x, x, {
        attnMask: options?.srcMask ?? null,
        keyPaddingMask: options?.srcKeyPaddingMask ?? null,
        needWeights: false,
        isCausal: options?.isCausal ?? false,
      });
      return this.dropout1.forward(out);
    };
    const ffBlock = (x: Tensor): Tensor =>
      this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.activation(this.linear1.forward(x)))));
    let x = src;
    if (this.normFirst) {
      x = x.add(sa(this.norm1.forward(x)));
      x = x.add(ffBlock(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(x.add(sa(x)));
      x = this.norm2.forward(x.add(ffBlock(x)));
    }
    return x;
  }
}
