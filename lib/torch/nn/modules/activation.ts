import * as F from '../../../generated/functional.js';
import { zeros } from '../../../generated/functions.js';
import type { Tensor } from '../../tensor.js';
import { constant_, xavierUniform_ } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { pyFloat } from '../repr.js';
import { type FactoryOptions, Linear, newParameter } from './linear.js';

export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return F.relu(input);
  }
}

export class LeakyReLU extends Module {
  readonly negativeSlope: number;

  constructor(options?: { negativeSlope?: number }) {
    super();
    this.negativeSlope = options?.negativeSlope ?? 0.01;
  }

  forward(input: Tensor): Tensor {
    return F.leakyRelu(input, { negativeSlope: this.negativeSlope });
  }

  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}`;
  }
}

export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';

  constructor(options?: { approximate?: 'none' | 'tanh' }) {
    super();
    this.approximate = options?.approximate ?? 'none';
  }

  forward(input: Tensor): Tensor {
    return F.gelu(input, { approximate: this.approximate });
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class SiLU extends Module {
  forward(input: Tensor): Tensor {
    return F.silu(input);
  }
}

export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return F.sigmoid(input);
  }
}

export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return F.tanh(input);
  }
}

export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }

  forward(input: Tensor): Tensor {
    return F.softmax(input, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export interface MultiheadAttentionOptions extends FactoryOptions {
  dropout?: number;
  bias?: boolean;
  /** Inputs and outputs are (batch, seq, feature) instead of PyTorch's default (seq, batch, feature). */
  batchFirst?: boolean;
}

export interface AttentionCallOptions {
  /** (N, S): true (or -inf) marks keys to ignore. */
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  /** (L, S) or (N·heads, L, S): true (or -inf) masks a position, floats are added. */
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
  isCausal?: boolean;
}

/** A boolean mask as an additive float mask (-inf where true), as F._canonical_mask does. */
function additive(mask: Tensor, like: Tensor): Tensor {
  if (mask.dtype !== 'bool') return mask;
  return zeros(mask.shape, { dtype: like.dtype, device: like.device }).maskedFill(mask, Number.NEGATIVE_INFINITY);
}

/**
 * Multi-head attention with PyTorch's parameter layout (in_proj_weight, in_proj_bias,
 * out_proj.weight, out_proj.bias) and computation (F.multi_head_attention_forward's paths:
 * explicit softmax(QKᵀ/√d)V when weights are asked for, scaled_dot_product_attention otherwise).
 */
export class MultiheadAttention extends Module {
  in_proj_weight: Parameter;
  in_proj_bias: Parameter | null;
  out_proj: Linear;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options?: MultiheadAttentionOptions,
  ) {
    super();
    this.headDim = Math.floor(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim) throw new Error('embed_dim must be divisible by num_heads');
    this.dropout = options?.dropout ?? 0;
    this.batchFirst = options?.batchFirst ?? false;
    const bias = options?.bias ?? true;
    this.in_proj_weight = newParameter([3 * embedDim, embedDim], options);
    this.in_proj_bias = bias ? newParameter([3 * embedDim], options) : null;
    this.out_proj = new Linear(embedDim, embedDim, { bias, ...options });
    xavierUniform_(this.in_proj_weight);
    if (this.in_proj_bias) constant_(this.in_proj_bias, 0);
    if (this.out_proj.bias) constant_(this.out_proj.bias, 0);
  }

  /** Returns [output, attention weights or null]. */
  forward(query: Tensor, key: Tensor, value: Tensor, options?: AttentionCallOptions): [Tensor, Tensor | null] {
    const needWeights = options?.needWeights ?? true;
    if (this.batchFirst) {
      // Self-attention stays recognisable after the transpose (one packed projection, as PyTorch).
      const selfAttention = query === key && key === value;
      query = query.transpose(1, 0);
      key = selfAttention ? query : key.transpose(1, 0);
      value = selfAttention ? query : value.transpose(1, 0);
    }
    const [tgtLen, bsz, embed] = query.shape as [number, number, number];
    const srcLen = key.size(0);
    const h = this.numHeads;
    const hd = this.headDim;
    let projected: Tensor[];
    if (query === key && key === value) {
      // Self-attention: one projection, as PyTorch's packed in-projection does.
      projected = F.linear(query, this.in_proj_weight, { bias: this.in_proj_bias }).chunk(3, -1);
    } else {
      const w = this.in_proj_weight.chunk(3);
      const b = this.in_proj_bias ? this.in_proj_bias.chunk(3) : [null, null, null];
      projected = [query, key, value].map((x, i) => F.linear(x, w[i] as Tensor, { bias: b[i] ?? null }));
    }
    const heads = (x: Tensor, len: number) => x.reshape([len, bsz * h, hd]).transpose(0, 1);
    const q = heads(projected[0] as Tensor, tgtLen);
    const k = heads(projected[1] as Tensor, srcLen);
    const v = heads(projected[2] as Tensor, srcLen);

    // One additive mask of shape (N·heads, L, S), or none.
    let mask: Tensor | null = options?.attnMask ? additive(options.attnMask, q) : null;
    if (mask && mask.dim() === 2) mask = mask.unsqueeze(0);
    if (options?.keyPaddingMask) {
      const kpm = additive(options.keyPaddingMask, q)
        .reshape([bsz, 1, 1, srcLen])
        .expand([bsz, h, 1, srcLen])
        .reshape([bsz * h, 1, srcLen]);
      mask = mask ? mask.add(kpm) : kpm;
    }
    const dropoutP = this.training ? this.dropout : 0;

    let out: Tensor;
    let weights: Tensor | null = null;
    if (needWeights) {
      const qScaled = q.mul(Math.sqrt(1 / hd));
      let w = mask ? mask.baddbmm(qScaled, k.transpose(-2, -1)) : qScaled.bmm(k.transpose(-2, -1));
      w = F.softmax(w, -1);
      if (dropoutP > 0) w = F.dropout(w, { p: dropoutP });
      out = w
        .bmm(v)
        .transpose(0, 1)
        .contiguous()
        .view([tgtLen * bsz, embed]);
      weights = w.view([bsz, h, tgtLen, srcLen]);
      if (options?.averageAttnWeights ?? true) weights = weights.mean(1);
    } else {
      const m = mask
        ? mask.size(0) === 1
          ? mask.view([1, 1, tgtLen, srcLen])
          : mask.view([bsz, h, tgtLen, srcLen])
        : null;
      out = F.scaledDotProductAttention(
        q.view([bsz, h, tgtLen, hd]),
        k.view([bsz, h, srcLen, hd]),
        v.view([bsz, h, srcLen, hd]),
        {
          attnMask: m,
          dropoutP,
          isCausal: options?.isCausal ?? false,
        },
      );
      out = out
        .permute([2, 0, 1, 3])
        .contiguous()
        .view([bsz * tgtLen, embed]);
    }
    out = this.out_proj.forward(out).view([tgtLen, bsz, embed]);
    if (this.batchFirst) out = out.transpose(1, 0);
    return [out, weights];
  }
}
