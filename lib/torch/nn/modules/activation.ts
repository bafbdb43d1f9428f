import { zeros } from '../../../generated/functions.js';
import type { Tensor } from '../../tensor.js';
import * as F from '../functional.js';
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

/** alpha·(exp(x) − 1) for x < 0, x otherwise. */
export class ELU extends Module {
  readonly alpha: number;

  constructor(options?: { alpha?: number }) {
    super();
    this.alpha = options?.alpha ?? 1;
  }

  forward(input: Tensor): Tensor {
    return F.elu(input, { alpha: this.alpha });
  }

  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}`;
  }
}

/** max(0, x) + min(0, alpha·(exp(x/alpha) − 1)). */
export class CELU extends Module {
  readonly alpha: number;

  constructor(options?: { alpha?: number }) {
    super();
    this.alpha = options?.alpha ?? 1;
  }

  forward(input: Tensor): Tensor {
    return F.celu(input, { alpha: this.alpha });
  }

  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}`;
  }
}

/** scale·elu(x, alpha) with PyTorch's self-normalising constants. */
export class SELU extends Module {
  forward(input: Tensor): Tensor {
    return F.selu(input);
  }
}

/** x clamped to [minVal, maxVal]. */
export class Hardtanh extends Module {
  readonly minVal: number;
  readonly maxVal: number;

  constructor(options?: { minVal?: number; maxVal?: number }) {
    super();
    this.minVal = options?.minVal ?? -1;
    this.maxVal = options?.maxVal ?? 1;
    if (!(this.maxVal > this.minVal)) {
      throw new Error(
        `${new.target.name}: max_val (${pyFloat(this.maxVal)}) must be greater than min_val (${pyFloat(this.minVal)})`,
      );
    }
  }

  forward(input: Tensor): Tensor {
    return F.hardtanh(input, { minVal: this.minVal, maxVal: this.maxVal });
  }

  override extraRepr(): string {
    return `min_val=${pyFloat(this.minVal)}, max_val=${pyFloat(this.maxVal)}`;
  }
}

/** min(max(0, x), 6): a Hardtanh over [0, 6], as in PyTorch. */
export class ReLU6 extends Hardtanh {
  constructor() {
    super({ minVal: 0, maxVal: 6 });
  }

  override extraRepr(): string {
    return '';
  }
}

/** log(1 + exp(beta·x))/beta, linear where beta·x > threshold. */
export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;

  constructor(options?: { beta?: number; threshold?: number }) {
    super();
    this.beta = options?.beta ?? 1;
    this.threshold = options?.threshold ?? 20;
  }

  forward(input: Tensor): Tensor {
    return F.softplus(input, { beta: this.beta, threshold: this.threshold });
  }

  override extraRepr(): string {
    return `beta=${pyFloat(this.beta)}, threshold=${pyFloat(this.threshold)}`;
  }
}

/** x·tanh(softplus(x)). */
export class Mish extends Module {
  forward(input: Tensor): Tensor {
    return F.mish(input);
  }
}

/** log(softmax(x)) along `dim`. */
export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
  }

  forward(input: Tensor): Tensor {
    return F.logSoftmax(input, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** softmax(−x) along `dim`. */
export class Softmin extends Module {
  constructor(readonly dim: number) {
    super();
  }

  forward(input: Tensor): Tensor {
    return F.softmin(input, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** x / (1 + |x|). */
export class Softsign extends Module {
  forward(input: Tensor): Tensor {
    return F.softsign(input);
  }
}

/** x − tanh(x). */
export class Tanhshrink extends Module {
  forward(input: Tensor): Tensor {
    return F.tanhshrink(input);
  }
}

/** x·relu6(x + 3)/6. */
export class Hardswish extends Module {
  forward(input: Tensor): Tensor {
    return F.hardswish(input);
  }
}

/** relu6(x + 3)/6. */
export class Hardsigmoid extends Module {
  forward(input: Tensor): Tensor {
    return F.hardsigmoid(input);
  }
}

/** log(sigmoid(x)). */
export class LogSigmoid extends Module {
  forward(input: Tensor): Tensor {
    return F.logsigmoid(input);
  }
}

/** max(0, x) + weight·min(0, x), with one learnt weight or one per channel (dim 1). */
export class PReLU extends Module {
  weight: Parameter;
  readonly numParameters: number;
  readonly init: number;

  constructor(options?: { numParameters?: number; init?: number } & FactoryOptions) {
    super();
    this.numParameters = options?.numParameters ?? 1;
    this.init = options?.init ?? 0.25;
    if (!Number.isInteger(this.numParameters) || this.numParameters < 1) {
      throw new Error(`PReLU: numParameters must be a positive integer, got ${this.numParameters}`);
    }
    this.weight = newParameter([this.numParameters], options);
    this.resetParameters();
  }

  resetParameters(): void {
    constant_(this.weight, this.init);
  }

  forward(input: Tensor): Tensor {
    return F.prelu(input, this.weight);
  }

  override extraRepr(): string {
    return `num_parameters=${this.numParameters}`;
  }
}

/** a·sigmoid(b), where a and b are the halves of the input along `dim`. */
export class GLU extends Module {
  constructor(readonly dim = -1) {
    super();
  }

  forward(input: Tensor): Tensor {
    return F.glu(input, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** `value` where x <= threshold, x elsewhere. */
export class Threshold extends Module {
  constructor(
    readonly threshold: number,
    readonly value: number,
  ) {
    super();
  }

  forward(input: Tensor): Tensor {
    return F.threshold(input, this.threshold, this.value);
  }

  override extraRepr(): string {
    return `threshold=${pyFloat(this.threshold)}, value=${pyFloat(this.value)}`;
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
