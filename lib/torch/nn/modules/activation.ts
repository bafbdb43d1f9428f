import { zeros } from '../../../generated/functions.js';
import { type DType, isFloatingPoint } from '../../dtype.js';
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
  /** (N, S), or (S) for unbatched input: true (or -inf) marks keys to ignore; floats are added. */
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  /** (L, S) or (N·heads, L, S): true (or -inf) masks a position, floats are added. */
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
  /** A hint that attnMask is the causal mask (PyTorch's is_causal): attnMask is still required. */
  isCausal?: boolean;
}

/**
 * F._canonical_mask: a boolean mask as an additive float mask of `dtype` (-inf where true), a
 * float mask as it is; any other dtype is an Error naming `owner`.
 */
export function canonicalMask(mask: Tensor | null, maskName: string, dtype: DType, owner: string): Tensor | null {
  if (mask === null) return null;
  if (mask.dtype === 'bool') {
    return zeros(mask.shape, { dtype, device: mask.device }).maskedFill(mask, Number.NEGATIVE_INFINITY);
  }
  if (!isFloatingPoint(mask.dtype)) {
    throw new Error(`${owner}: only bool and floating types of ${maskName} are supported, got ${mask.dtype}`);
  }
  return mask;
}

const dims = (t: Tensor): string => `[${t.shape.join(', ')}]`;

/** The output projection's class in PyTorch (a Linear that dynamic quantization leaves alone); named so for the repr. */
export class NonDynamicallyQuantizableLinear extends Linear {}

/**
 * Multi-head attention with PyTorch's parameter layout (in_proj_weight, in_proj_bias,
 * out_proj.weight, out_proj.bias) and computation (F.multi_head_attention_forward: the packed
 * in-projection for self-attention, a shared key/value projection when key is value, explicit
 * softmax(QKᵀ/√d)V when weights are asked for, scaled_dot_product_attention otherwise). Batched
 * (3-d) and unbatched (2-d) inputs. PyTorch's inference fast path
 * (torch._native_multi_head_attention) computes the same values, so it is not separate here.
 */
export class MultiheadAttention extends Module {
  in_proj_weight: Parameter;
  in_proj_bias: Parameter | null;
  out_proj: NonDynamicallyQuantizableLinear;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options?: MultiheadAttentionOptions,
  ) {
    super();
    if (!(embedDim > 0 && numHeads > 0)) {
      throw new Error(
        `MultiheadAttention: embed_dim and num_heads must be greater than 0, got embed_dim=${embedDim} and num_heads=${numHeads} instead`,
      );
    }
    this.headDim = Math.floor(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim) {
      throw new Error(`MultiheadAttention: embed_dim must be divisible by num_heads (got ${embedDim} and ${numHeads})`);
    }
    this.dropout = options?.dropout ?? 0;
    this.batchFirst = options?.batchFirst ?? false;
    const bias = options?.bias ?? true;
    this.in_proj_weight = newParameter([3 * embedDim, embedDim], options);
    this.in_proj_bias = bias ? newParameter([3 * embedDim], options) : null;
    this.out_proj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, { bias, ...options });
    xavierUniform_(this.in_proj_weight);
    if (this.in_proj_bias) constant_(this.in_proj_bias, 0);
    if (this.out_proj.bias) constant_(this.out_proj.bias, 0);
  }

  /**
   * Returns [output, attention weights or null]. As in PyTorch, `query === key === value` (the
   * same Tensor object) is self-attention (one packed projection), `key === value` shares the
   * key/value projection; the values are the same either way.
   */
  forward(query: Tensor, key: Tensor, value: Tensor, options?: AttentionCallOptions): [Tensor, Tensor | null] {
    const name = 'MultiheadAttention';
    const needWeights = options?.needWeights ?? true;
    let isCausal = options?.isCausal ?? false;
    let keyPaddingMask = canonicalMask(options?.keyPaddingMask ?? null, 'key_padding_mask', query.dtype, name);
    let attnMask = canonicalMask(options?.attnMask ?? null, 'attn_mask', query.dtype, name);
    const isBatched = this.shapeCheck(query, key, value, keyPaddingMask, attnMask);

    if (this.batchFirst && isBatched) {
      // The transposes keep "query is key" and "key is value" true where they were.
      if (key === value) {
        if (query === key) {
          query = key = value = query.transpose(1, 0);
        } else {
          query = query.transpose(1, 0);
          key = value = key.transpose(1, 0);
        }
      } else {
        [query, key, value] = [query, key, value].map((x) => x.transpose(1, 0)) as [Tensor, Tensor, Tensor];
      }
    }
    if (!isBatched) {
      query = query.unsqueeze(1);
      key = key.unsqueeze(1);
      value = value.unsqueeze(1);
      if (keyPaddingMask) keyPaddingMask = keyPaddingMask.unsqueeze(0);
    }
    const [tgtLen, bsz, embed] = query.shape as [number, number, number];
    if (isCausal && attnMask === null) {
      throw new Error(
        `${name}: Need attn_mask if specifying the is_causal hint. You may use the Transformer module method \`generate_square_subsequent_mask\` to create this mask.`,
      );
    }
    if (isCausal && keyPaddingMask === null && !needWeights) {
      // The hint alone goes to scaled_dot_product_attention, as in PyTorch: the mask is not used.
      attnMask = null;
    } else if (keyPaddingMask) {
      // Merged with the key padding mask below, the mask is no longer causal.
      isCausal = false;
    }
    if (embed !== this.embedDim) {
      throw new Error(`${name}: was expecting embedding dimension of ${this.embedDim}, but got ${embed}`);
    }
    if (key.shape.length !== value.shape.length || key.shape.some((d, i) => d !== value.size(i))) {
      throw new Error(`${name}: key shape ${dims(key)} does not match value shape ${dims(value)}`);
    }
    const h = this.numHeads;
    const hd = this.headDim;
    let [q, k, v] = this.inProjection(query, key, value);

    if (attnMask) {
      if (attnMask.dim() === 2) {
        if (attnMask.size(0) !== tgtLen || attnMask.size(1) !== key.size(0)) {
          throw new Error(
            `${name}: The shape of the 2D attn_mask is ${dims(attnMask)}, but should be [${tgtLen}, ${key.size(0)}].`,
          );
        }
        attnMask = attnMask.unsqueeze(0);
      } else if (attnMask.size(0) !== bsz * h || attnMask.size(1) !== tgtLen || attnMask.size(2) !== key.size(0)) {
        throw new Error(
          `${name}: The shape of the 3D attn_mask is ${dims(attnMask)}, but should be [${bsz * h}, ${tgtLen}, ${key.size(0)}].`,
        );
      }
    }

    q = q.view([tgtLen, bsz * h, hd]).transpose(0, 1);
    k = k.view([k.size(0), bsz * h, hd]).transpose(0, 1);
    v = v.view([v.size(0), bsz * h, hd]).transpose(0, 1);
    const srcLen = k.size(1);

    if (keyPaddingMask) {
      if (keyPaddingMask.size(0) !== bsz || keyPaddingMask.size(1) !== srcLen) {
        throw new Error(`${name}: Expected key_padding_mask of shape [${bsz}, ${srcLen}], got ${dims(keyPaddingMask)}`);
      }
      const kpm = keyPaddingMask
        .view([bsz, 1, 1, srcLen])
        .expand([-1, h, -1, -1])
        .reshape([bsz * h, 1, srcLen]);
      attnMask = attnMask ? attnMask.add(kpm) : kpm;
    }
    const dropoutP = this.training ? this.dropout : 0;
    const outBias = this.out_proj.bias;

    let out: Tensor;
    let weights: Tensor | null = null;
    if (needWeights) {
      const qScaled = q.mul(Math.sqrt(1 / hd));
      let w = attnMask ? attnMask.baddbmm(qScaled, k.transpose(-2, -1)) : qScaled.bmm(k.transpose(-2, -1));
      w = F.softmax(w, -1);
      if (dropoutP > 0) w = F.dropout(w, { p: dropoutP });
      out = w
        .bmm(v)
        .transpose(0, 1)
        .reshape([tgtLen * bsz, embed]);
      out = F.linear(out, this.out_proj.weight, { bias: outBias }).view([tgtLen, bsz, embed]);
      weights = w.view([bsz, h, tgtLen, srcLen]);
      if (options?.averageAttnWeights ?? true) weights = weights.mean(1);
      if (!isBatched) {
        out = out.squeeze(1);
        weights = weights.squeeze(0);
      }
    } else {
      if (attnMask) {
        attnMask =
          attnMask.size(0) === 1 && attnMask.dim() === 3 ? attnMask.unsqueeze(0) : attnMask.view([bsz, h, -1, srcLen]);
      }
      out = F.scaledDotProductAttention(
        q.view([bsz, h, tgtLen, hd]),
        k.view([bsz, h, srcLen, hd]),
        v.view([bsz, h, srcLen, hd]),
        { attnMask, dropoutP, isCausal },
      );
      out = out.permute([2, 0, 1, 3]).reshape([bsz * tgtLen, embed]);
      out = F.linear(out, this.out_proj.weight, { bias: outBias }).view([tgtLen, bsz, embed]);
      if (!isBatched) out = out.squeeze(1);
    }
    if (this.batchFirst && isBatched) out = out.transpose(1, 0);
    return [out, weights];
  }

  /** F._mha_shape_check: whether the input is batched; wrong dimensions are an Error. */
  private shapeCheck(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    keyPaddingMask: Tensor | null,
    attnMask: Tensor | null,
  ): boolean {
    const name = 'MultiheadAttention';
    const qd = query.dim();
    if (qd !== 2 && qd !== 3) {
      throw new Error(`${name}: query should be unbatched 2D or batched 3D tensor but received ${qd}-D query tensor`);
    }
    const kind = qd === 3 ? 'batched (3-D)' : 'unbatched (2-D)';
    if (key.dim() !== qd || value.dim() !== qd) {
      throw new Error(
        `${name}: For ${kind} \`query\`, expected \`key\` and \`value\` to be ${qd}-D but found ${key.dim()}-D and ${value.dim()}-D tensors respectively`,
      );
    }
    if (keyPaddingMask && keyPaddingMask.dim() !== qd - 1) {
      throw new Error(
        `${name}: For ${kind} \`query\`, expected \`key_padding_mask\` to be \`None\` or ${qd - 1}-D but found ${keyPaddingMask.dim()}-D tensor instead`,
      );
    }
    if (attnMask && attnMask.dim() !== 2 && attnMask.dim() !== 3) {
      throw new Error(
        `${name}: For ${kind} \`query\`, expected \`attn_mask\` to be \`None\`, 2-D or 3-D but found ${attnMask.dim()}-D tensor instead`,
      );
    }
    if (qd === 2 && attnMask && attnMask.dim() === 3) {
      const expected = [this.numHeads, query.size(0), key.size(0)];
      if (attnMask.shape.some((d, i) => d !== expected[i])) {
        throw new Error(
          `${name}: Expected \`attn_mask\` shape to be [${expected.join(', ')}] but got ${dims(attnMask)}`,
        );
      }
    }
    return qd === 3;
  }

  /** F._in_projection_packed: q, k, v projected, contiguous, each (len, batch, embed). */
  private inProjection(query: Tensor, key: Tensor, value: Tensor): [Tensor, Tensor, Tensor] {
    const w = this.in_proj_weight;
    const b = this.in_proj_bias;
    const e = this.embedDim;
    // (…, n·E) → n contiguous (…, E) pieces, as PyTorch's unflatten/transpose/contiguous.
    const pieces = (proj: Tensor, n: number): Tensor[] => {
      const p = proj.unflatten(-1, [n, e]).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous();
      return Array.from({ length: n }, (_, i) => p.select(0, i));
    };
    if (key === value) {
      if (query === key) {
        return pieces(F.linear(query, w, { bias: b }), 3) as [Tensor, Tensor, Tensor];
      }
      const [wq, wkv] = w.split([e, 2 * e]) as [Tensor, Tensor];
      const [bq, bkv] = b ? (b.split([e, 2 * e]) as [Tensor, Tensor]) : [null, null];
      const qProj = F.linear(query, wq, { bias: bq });
      const [kProj, vProj] = pieces(F.linear(key, wkv, { bias: bkv }), 2) as [Tensor, Tensor];
      return [qProj, kProj, vProj];
    }
    const ws = w.chunk(3) as [Tensor, Tensor, Tensor];
    const bs = b ? (b.chunk(3) as [Tensor, Tensor, Tensor]) : [null, null, null];
    return [query, key, value].map((x, i) => F.linear(x, ws[i] as Tensor, { bias: bs[i] ?? null })) as [
      Tensor,
      Tensor,
      Tensor,
    ];
  }
}

/** Softmax over the channels (dim −3) of (N, C, H, W) or (C, H, W). */
export class Softmax2d extends Module {
  forward(input: Tensor): Tensor {
    if (input.dim() !== 3 && input.dim() !== 4) {
      throw new Error(`Softmax2d: expected input to be 3D or 4D, got ${input.dim()}D instead`);
    }
    return F.softmax(input, -3);
  }
}
