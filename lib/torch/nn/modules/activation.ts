import type { DType } from '../../dtype.js';
import type { Tensor } from '../../tensor.js';
import * as F from '../functional.js';
import { constant_, xavierNormal_, xavierUniform_ } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { pyFloat } from '../repr.js';
import { type FactoryOptions, Linear, newParameter } from './linear.js';

/** What Python writes for `inplace` at the end of a repr: `, inplace=True` (or `inplace=True` alone), or nothing. */
const inplaceRepr = (inplace: boolean, alone = false): string => (inplace ? `${alone ? '' : ', '}inplace=True` : '');

export class ReLU extends Module {
  /** Overwrite the input with the result (Python's inplace=True). */
  readonly inplace: boolean;

  constructor(options?: { inplace?: boolean }) {
    super();
    this.inplace = options?.inplace ?? false;
  }

  forward(input: Tensor): Tensor {
    return F.relu(input, { inplace: this.inplace });
  }

  override extraRepr(): string {
    return inplaceRepr(this.inplace, true);
  }
}

export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  readonly inplace: boolean;

  constructor(options?: { negativeSlope?: number; inplace?: boolean }) {
    super();
    this.negativeSlope = options?.negativeSlope ?? 0.01;
    this.inplace = options?.inplace ?? false;
  }

  forward(input: Tensor): Tensor {
    return F.leakyRelu(input, { negativeSlope: this.negativeSlope, inplace: this.inplace });
  }

  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}${inplaceRepr(this.inplace)}`;
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
  /** Overwrite the input with the result (Python's inplace=True). */
  readonly inplace: boolean;

  constructor(options?: { inplace?: boolean }) {
    super();
    this.inplace = options?.inplace ?? false;
  }

  forward(input: Tensor): Tensor {
    return F.silu(input, { inplace: this.inplace });
  }

  override extraRepr(): string {
    return inplaceRepr(this.inplace, true);
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
  readonly inplace: boolean;

  constructor(options?: { alpha?: number; inplace?: boolean }) {
    super();
    this.alpha = options?.alpha ?? 1;
    this.inplace = options?.inplace ?? false;
  }

  forward(input: Tensor): Tensor {
    return F.elu(input, { alpha: this.alpha, inplace: this.inplace });
  }

  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}${inplaceRepr(this.inplace)}`;
  }
}

/** max(0, x) + min(0, alpha·(exp(x/alpha) − 1)). */
export class CELU extends Module {
  readonly alpha: number;
  readonly inplace: boolean;

  constructor(options?: { alpha?: number; inplace?: boolean }) {
    super();
    this.alpha = options?.alpha ?? 1;
    this.inplace = options?.inplace ?? false;
  }

  forward(input: Tensor): Tensor {
    return F.celu(input, { alpha: this.alpha, inplace: this.inplace });
  }

  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}${inplaceRepr(this.inplace)}`;
  }
}

/** scale·elu(x, alpha) with PyTorch's self-normalising constants. */
export class SELU extends Module {
  readonly inplace: boolean;

  constructor(options?: { inplace?: boolean }) {
    super();
    this.inplace = options?.inplace ?? false;
  }

  forward(input: Tensor): Tensor {
    return F.selu(input, { inplace: this.inplace });
  }

  override extraRepr(): string {
    return inplaceRepr(this.inplace, true);
  }
}

/** x clamped to [minVal, maxVal]. */
export class Hardtanh extends Module {
  readonly minVal: number;
  readonly maxVal: number;
  readonly inplace: boolean;

  constructor(options?: { minVal?: number; maxVal?: number; inplace?: boolean }) {
    super();
    this.minVal = options?.minVal ?? -1;
    this.maxVal = options?.maxVal ?? 1;
    this.inplace = options?.inplace ?? false;
    if (!(this.maxVal > this.minVal)) {
      throw new Error(
        `${new.target.name}: max_val (${pyFloat(this.maxVal)}) must be greater than min_val (${pyFloat(this.minVal)})`,
      );
    }
  }

  forward(input: Tensor): Tensor {
    return F.hardtanh(input, { minVal: this.minVal, maxVal: this.maxVal, inplace: this.inplace });
  }

  override extraRepr(): string {
    return `min_val=${pyFloat(this.minVal)}, max_val=${pyFloat(this.maxVal)}${inplaceRepr(this.inplace)}`;
  }
}

/** min(max(0, x), 6): a Hardtanh over [0, 6], as in PyTorch. */
export class ReLU6 extends Hardtanh {
  constructor(options?: { inplace?: boolean }) {
    super({ minVal: 0, maxVal: 6, inplace: options?.inplace ?? false });
  }

  override extraRepr(): string {
    return inplaceRepr(this.inplace, true);
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
  /** Overwrite the input with the result (Python's inplace=True). */
  readonly inplace: boolean;

  constructor(options?: { inplace?: boolean }) {
    super();
    this.inplace = options?.inplace ?? false;
  }

  forward(input: Tensor): Tensor {
    return F.mish(input, { inplace: this.inplace });
  }

  override extraRepr(): string {
    return inplaceRepr(this.inplace, true);
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

// Python's Hardswish and Hardsigmoid take `inplace` but leave it out of their repr; so do these.

/** x·relu6(x + 3)/6. */
export class Hardswish extends Module {
  /** Overwrite the input with the result (Python's inplace=True). */
  readonly inplace: boolean;

  constructor(options?: { inplace?: boolean }) {
    super();
    this.inplace = options?.inplace ?? false;
  }

  forward(input: Tensor): Tensor {
    return F.hardswish(input, { inplace: this.inplace });
  }
}

/** relu6(x + 3)/6. */
export class Hardsigmoid extends Module {
  /** Overwrite the input with the result (Python's inplace=True). */
  readonly inplace: boolean;

  constructor(options?: { inplace?: boolean }) {
    super();
    this.inplace = options?.inplace ?? false;
  }

  forward(input: Tensor): Tensor {
    return F.hardsigmoid(input, { inplace: this.inplace });
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
  readonly inplace: boolean;

  constructor(
    readonly threshold: number,
    readonly value: number,
    options?: { inplace?: boolean },
  ) {
    super();
    this.inplace = options?.inplace ?? false;
  }

  forward(input: Tensor): Tensor {
    return F.threshold(input, this.threshold, this.value, { inplace: this.inplace });
  }

  override extraRepr(): string {
    return `threshold=${pyFloat(this.threshold)}, value=${pyFloat(this.value)}${inplaceRepr(this.inplace)}`;
  }
}

/** x where |x| > lambd, 0 elsewhere. */
export class Hardshrink extends Module {
  readonly lambd: number;

  constructor(options?: { lambd?: number }) {
    super();
    this.lambd = options?.lambd ?? 0.5;
  }

  forward(input: Tensor): Tensor {
    return F.hardshrink(input, { lambd: this.lambd });
  }

  override extraRepr(): string {
    return pyFloat(this.lambd);
  }
}

/** x − lambd·sign(x) where |x| > lambd, 0 elsewhere. */
export class Softshrink extends Module {
  readonly lambd: number;

  constructor(options?: { lambd?: number }) {
    super();
    this.lambd = options?.lambd ?? 0.5;
  }

  forward(input: Tensor): Tensor {
    return F.softshrink(input, { lambd: this.lambd });
  }

  override extraRepr(): string {
    return pyFloat(this.lambd);
  }
}

/**
 * Randomized leaky ReLU: in training mode each negative element gets a slope drawn from
 * U(lower, upper) (the default generator, as PyTorch draws it); in eval mode the fixed slope
 * (lower + upper)/2.
 */
export class RReLU extends Module {
  readonly lower: number;
  readonly upper: number;
  readonly inplace: boolean;

  constructor(options?: { lower?: number; upper?: number; inplace?: boolean }) {
    super();
    this.lower = options?.lower ?? 1 / 8;
    this.upper = options?.upper ?? 1 / 3;
    this.inplace = options?.inplace ?? false;
  }

  forward(input: Tensor): Tensor {
    return F.rrelu(input, { lower: this.lower, upper: this.upper, training: this.training, inplace: this.inplace });
  }

  override extraRepr(): string {
    return `lower=${pyFloat(this.lower)}, upper=${pyFloat(this.upper)}${inplaceRepr(this.inplace)}`;
  }
}

export interface MultiheadAttentionOptions extends FactoryOptions {
  dropout?: number;
  bias?: boolean;
  /** Learned bias_k and bias_v, (1, 1, embedDim), appended to the keys and values (the masks get a column). */
  addBiasKv?: boolean;
  /** Appends a zero key and value after the projections (the masks get a column). */
  addZeroAttn?: boolean;
  /** The keys' features (default embedDim); another size gives separate q/k/v projection weights. */
  kdim?: number | null;
  /** The values' features (default embedDim); another size gives separate q/k/v projection weights. */
  vdim?: number | null;
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
  return F._canonicalMask(mask, maskName, dtype, owner);
}

/** The output projection's class in PyTorch (a Linear that dynamic quantization leaves alone); named so for the repr. */
export class NonDynamicallyQuantizableLinear extends Linear {}

const FUNCTIONAL_PREFIX = 'multiHeadAttentionForward: ';

/**
 * Multi-head attention with PyTorch's parameters (in_proj_weight, or q_proj_weight,
 * k_proj_weight and v_proj_weight where kdim or vdim is not embedDim; in_proj_bias, bias_k and
 * bias_v with addBiasKv, out_proj.weight, out_proj.bias, in that order) and computation
 * (F.multiHeadAttentionForward, as PyTorch's module calls F.multi_head_attention_forward).
 * Batched (3-d) and unbatched (2-d) inputs. PyTorch's inference fast path
 * (torch._native_multi_head_attention) computes the same values, so it is not separate here.
 */
export class MultiheadAttention extends Module {
  // Declared in PyTorch's registration order: the fields are defined in this order, and so are
  // the state-dict keys (the null ones are not in it, as PyTorch's None parameters).
  q_proj_weight: Parameter | null;
  k_proj_weight: Parameter | null;
  v_proj_weight: Parameter | null;
  in_proj_weight: Parameter | null;
  in_proj_bias: Parameter | null;
  out_proj: NonDynamicallyQuantizableLinear;
  bias_k: Parameter | null;
  bias_v: Parameter | null;
  readonly kdim: number;
  readonly vdim: number;
  /** PyTorch's _qkv_same_embed_dim: one packed in_proj_weight (kdim and vdim are embedDim). */
  readonly qkvSameEmbedDim: boolean;
  readonly addZeroAttn: boolean;
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
    const dim = (name: 'kdim' | 'vdim'): number => {
      const d = options?.[name] ?? embedDim;
      if (!Number.isInteger(d) || d < 0) {
        throw new Error(`MultiheadAttention: ${name} must be a non-negative integer (or null for embedDim), got ${d}`);
      }
      return d;
    };
    this.kdim = dim('kdim');
    this.vdim = dim('vdim');
    this.qkvSameEmbedDim = this.kdim === embedDim && this.vdim === embedDim;
    this.dropout = options?.dropout ?? 0;
    this.batchFirst = options?.batchFirst ?? false;
    this.headDim = Math.floor(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim) {
      throw new Error(`MultiheadAttention: embed_dim must be divisible by num_heads (got ${embedDim} and ${numHeads})`);
    }
    const bias = options?.bias ?? true;
    if (this.qkvSameEmbedDim) {
      this.in_proj_weight = newParameter([3 * embedDim, embedDim], options);
      this.q_proj_weight = this.k_proj_weight = this.v_proj_weight = null;
    } else {
      this.q_proj_weight = newParameter([embedDim, embedDim], options);
      this.k_proj_weight = newParameter([embedDim, this.kdim], options);
      this.v_proj_weight = newParameter([embedDim, this.vdim], options);
      this.in_proj_weight = null;
    }
    this.in_proj_bias = bias ? newParameter([3 * embedDim], options) : null;
    // Linear's own init draws first (out_proj.weight, out_proj.bias), as in PyTorch.
    this.out_proj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, { bias, ...options });
    if (options?.addBiasKv) {
      this.bias_k = newParameter([1, 1, embedDim], options);
      this.bias_v = newParameter([1, 1, embedDim], options);
    } else {
      this.bias_k = this.bias_v = null;
    }
    this.addZeroAttn = options?.addZeroAttn ?? false;
    this.resetParameters();
  }

  /**
   * PyTorch's _reset_parameters: xavier_uniform_ on in_proj_weight (or q, k, v_proj_weight, in
   * that order), zero in_proj_bias and out_proj.bias, xavier_normal_ on bias_k then bias_v.
   */
  resetParameters(): void {
    if (this.in_proj_weight) xavierUniform_(this.in_proj_weight);
    for (const w of [this.q_proj_weight, this.k_proj_weight, this.v_proj_weight]) if (w) xavierUniform_(w);
    if (this.in_proj_bias) {
      constant_(this.in_proj_bias, 0);
      if (this.out_proj.bias) constant_(this.out_proj.bias, 0);
    }
    if (this.bias_k) xavierNormal_(this.bias_k);
    if (this.bias_v) xavierNormal_(this.bias_v);
  }

  /**
   * Returns [output, attention weights or null]. As in PyTorch, `query === key === value` (the
   * same Tensor object) is self-attention (one packed projection), `key === value` shares the
   * key/value projection; the values are the same either way. Errors name MultiheadAttention.
   */
  forward(query: Tensor, key: Tensor, value: Tensor, options?: AttentionCallOptions): [Tensor, Tensor | null] {
    const name = 'MultiheadAttention';
    const isBatched = query.dim() === 3;
    const attnMaskIn = options?.attnMask ?? null;
    const keyPaddingMask = F._canonicalMask(options?.keyPaddingMask ?? null, 'key_padding_mask', query.dtype, name, {
      dtype: attnMaskIn?.dtype ?? null,
      name: 'attn_mask',
    });
    const attnMask = F._canonicalMask(attnMaskIn, 'attn_mask', query.dtype, name);

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
    let out: Tensor;
    let weights: Tensor | null;
    try {
      [out, weights] = F.multiHeadAttentionForward(
        query,
        key,
        value,
        this.embedDim,
        this.numHeads,
        this.in_proj_weight,
        this.in_proj_bias,
        this.bias_k,
        this.bias_v,
        this.addZeroAttn,
        this.dropout,
        this.out_proj.weight,
        this.out_proj.bias,
        {
          training: this.training,
          keyPaddingMask,
          needWeights: options?.needWeights ?? true,
          attnMask,
          useSeparateProjWeight: !this.qkvSameEmbedDim,
          qProjWeight: this.q_proj_weight,
          kProjWeight: this.k_proj_weight,
          vProjWeight: this.v_proj_weight,
          averageAttnWeights: options?.averageAttnWeights ?? true,
          isCausal: options?.isCausal ?? false,
        },
      );
    } catch (e) {
      // The functional's errors are this module's (PyTorch's come from the functional unnamed).
      if (!(e instanceof Error && e.message.startsWith(FUNCTIONAL_PREFIX))) throw e;
      const text = `${name}: ${e.message.slice(FUNCTIONAL_PREFIX.length)}`;
      throw e instanceof TypeError ? new TypeError(text) : new Error(text);
    }
    if (this.batchFirst && isBatched) out = out.transpose(1, 0);
    return [out, weights];
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
