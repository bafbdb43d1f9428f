// The Transformer family, as torch/nn/modules/transformer.py: the encoder and decoder layers,
// their stacks (deep copies of one layer, as PyTorch's _get_clones), and Transformer.
import * as F from '../../../generated/functional.js';
import { arange, full } from '../../../generated/functions.js';
import { isAutocastEnabled } from '../../amp/autocast.js';
import { isGradEnabled } from '../../autograd.js';
import { mha } from '../../backends.js';
import type { Device } from '../../device.js';
import type { DType } from '../../dtype.js';
import type { Tensor } from '../../tensor.js';
import { xavierUniform_ } from '../init.js';
import { Module } from '../module.js';
import { canonicalMask, GELU, MultiheadAttention, ReLU } from './activation.js';
import { ModuleList } from './container.js';
import { Dropout } from './dropout.js';
import { type FactoryOptions, Linear } from './linear.js';
import { LayerNorm } from './normalization.js';

/** 'relu', 'gelu', a function of a tensor, or a Module (registered as the layer's `activation` child, as in PyTorch). */
export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor) | Module;

export interface TransformerLayerOptions extends FactoryOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: TransformerActivation;
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
  bias?: boolean;
}
export type TransformerEncoderLayerOptions = TransformerLayerOptions;
export type TransformerDecoderLayerOptions = TransformerLayerOptions;

const factoryOf = (o?: FactoryOptions): FactoryOptions => ({
  ...(o?.dtype ? { dtype: o.dtype } : {}),
  ...(o?.device ? { device: o.device } : {}),
});

/** _get_activation_fn for strings; functions and Modules as given. */
function activationOf(owner: string, act: TransformerActivation | undefined): ((x: Tensor) => Tensor) | Module {
  if (act === undefined || act === 'relu') return F.relu;
  if (act === 'gelu') return F.gelu;
  if (typeof act === 'function' || act instanceof Module) return act;
  throw new Error(`${owner}: activation should be relu/gelu, not ${String(act)}`);
}

const applyActivation = (act: ((x: Tensor) => Tensor) | Module, x: Tensor): Tensor =>
  act instanceof Module ? (act as unknown as { forward(x: Tensor): Tensor }).forward(x) : act(x);

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
  /** 1 for relu, 2 for gelu, 0 for anything else (PyTorch's activation_relu_or_gelu). */
  readonly activationReluOrGelu: 0 | 1 | 2;
  activation: ((x: Tensor) => Tensor) | Module;

  constructor(dModel: number, nhead: number, options?: TransformerEncoderLayerOptions) {
    super();
    const p = options?.dropout ?? 0.1;
    const bias = options?.bias ?? true;
    const factory = factoryOf(options);
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
    const act = activationOf('TransformerEncoderLayer', options?.activation);
    this.activationReluOrGelu =
      act === F.relu || act instanceof ReLU ? 1 : act === F.gelu || act instanceof GELU ? 2 : 0;
    this.activation = act;
  }

  forward(
    src: Tensor,
    options?: { srcMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean },
  ): Tensor {
    const name = 'TransformerEncoderLayer';
    const srcKeyPaddingMask = canonicalMask(
      options?.srcKeyPaddingMask ?? null,
      'src_key_padding_mask',
      src.dtype,
      name,
    );
    const srcMask = canonicalMask(options?.srcMask ?? null, 'src_mask', src.dtype, name);
    const isCausal = options?.isCausal ?? false;
    // PyTorch's inference fast path (torch._transformer_encoder_layer_fwd) computes these values too.
    const sa = (x: Tensor): Tensor => {
      const [out] = this.self_attn.forward(x, x, x, {
        attnMask: srcMask,
        keyPaddingMask: srcKeyPaddingMask,
        needWeights: false,
        isCausal,
      });
      return this.dropout1.forward(out);
    };
    const ffBlock = (x: Tensor): Tensor =>
      this.dropout2.forward(
        this.linear2.forward(this.dropout.forward(applyActivation(this.activation, this.linear1.forward(x)))),
      );
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

export interface TransformerDecoderLayerCallOptions {
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  tgtIsCausal?: boolean;
  memoryIsCausal?: boolean;
}

/** Self-attention, attention over the encoder's output (memory) and a feed-forward block, as PyTorch's. */
export class TransformerDecoderLayer extends Module {
  self_attn: MultiheadAttention;
  multihead_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  readonly normFirst: boolean;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;
  activation: ((x: Tensor) => Tensor) | Module;

  constructor(dModel: number, nhead: number, options?: TransformerDecoderLayerOptions) {
    super();
    const p = options?.dropout ?? 0.1;
    const bias = options?.bias ?? true;
    const factory = factoryOf(options);
    const ff = options?.dimFeedforward ?? 2048;
    const eps = options?.layerNormEps ?? 1e-5;
    const batchFirst = options?.batchFirst ?? false;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst, bias, ...factory });
    this.multihead_attn = new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst, bias, ...factory });
    this.linear1 = new Linear(dModel, ff, { bias, ...factory });
    this.dropout = new Dropout({ p });
    this.linear2 = new Linear(ff, dModel, { bias, ...factory });
    this.normFirst = options?.normFirst ?? false;
    this.norm1 = new LayerNorm([dModel], { eps, bias, ...factory });
    this.norm2 = new LayerNorm([dModel], { eps, bias, ...factory });
    this.norm3 = new LayerNorm([dModel], { eps, bias, ...factory });
    this.dropout1 = new Dropout({ p });
    this.dropout2 = new Dropout({ p });
    this.dropout3 = new Dropout({ p });
    this.activation = activationOf('TransformerDecoderLayer', options?.activation);
  }

  forward(tgt: Tensor, memory: Tensor, options?: TransformerDecoderLayerCallOptions): Tensor {
    const sa = (x: Tensor): Tensor => {
      const [out] = this.self_attn.forward(x, x, x, {
        attnMask: options?.tgtMask ?? null,
        keyPaddingMask: options?.tgtKeyPaddingMask ?? null,
        isCausal: options?.tgtIsCausal ?? false,
        needWeights: false,
      });
      return this.dropout1.forward(out);
    };
    const mha = (x: Tensor): Tensor => {
      const [out] = this.multihead_attn.forward(x, memory, memory, {
        attnMask: options?.memoryMask ?? null,
        keyPaddingMask: options?.memoryKeyPaddingMask ?? null,
        isCausal: options?.memoryIsCausal ?? false,
        needWeights: false,
      });
      return this.dropout2.forward(out);
    };
    const ffBlock = (x: Tensor): Tensor =>
      this.dropout3.forward(
        this.linear2.forward(this.dropout.forward(applyActivation(this.activation, this.linear1.forward(x)))),
      );
    let x = tgt;
    if (this.normFirst) {
      x = x.add(sa(this.norm1.forward(x)));
      x = x.add(mha(this.norm2.forward(x)));
      x = x.add(ffBlock(this.norm3.forward(x)));
    } else {
      x = this.norm1.forward(x.add(sa(x)));
      x = this.norm2.forward(x.add(mha(x)));
      x = this.norm3.forward(x.add(ffBlock(x)));
    }
    return x;
  }
}

// ---- the stacks

/** What the stacks call on their layers (any Module with this forward can be stacked). */
interface EncoderLayerLike {
  forward(
    src: Tensor,
    options: { srcMask: Tensor | null; srcKeyPaddingMask: Tensor | null; isCausal: boolean },
  ): Tensor;
}
interface DecoderLayerLike {
  forward(tgt: Tensor, memory: Tensor, options: Required<TransformerDecoderLayerCallOptions>): Tensor;
}

/** PyTorch's _get_clones: a ModuleList of `n` deep copies of `module` (independent tensors, the same values). */
function getClones(owner: string, module: Module, n: number): ModuleList {
  if (!(module instanceof Module)) throw new TypeError(`${owner}: the layer must be a Module`);
  if (!Number.isInteger(n) || n < 0)
    throw new TypeError(`${owner}: numLayers must be a non-negative integer, got ${n}`);
  return new ModuleList(Array.from({ length: n }, () => module.deepcopy()));
}

/** PyTorch's _generate_square_subsequent_mask: -inf above the diagonal, 0 elsewhere (true/false for bool). */
function squareSubsequentMask(sz: number, options?: { device?: Device; dtype?: DType }): Tensor {
  return full([sz, sz], Number.NEGATIVE_INFINITY, {
    ...(options?.dtype ? { dtype: options.dtype } : {}),
    ...(options?.device ? { device: options.device } : {}),
  }).triu(1);
}

/** PyTorch's _detect_is_causal_mask: the hint as given, else whether `mask` is the causal mask of `size`. */
function detectIsCausalMask(mask: Tensor | null, isCausal: boolean | null | undefined, size: number): boolean {
  let makeCausal = isCausal === true;
  if ((isCausal === null || isCausal === undefined) && mask) {
    const causal = squareSubsequentMask(size, { device: mask.device, dtype: mask.dtype });
    const same = mask.dim() === 2 && mask.size(0) === size && mask.size(1) === size;
    makeCausal = same && Boolean(mask.eq(causal).all().item());
  }
  return makeCausal;
}

/** PyTorch's _get_seq_len. */
const seqLen = (src: Tensor, batchFirst: boolean): number =>
  src.dim() === 2 ? src.size(0) : src.size(batchFirst ? 1 : 0);

const warnedNested = new Set<string>();

export interface TransformerEncoderOptions {
  norm?: Module | null;
  enableNestedTensor?: boolean;
  maskCheck?: boolean;
}

/**
 * A stack of `numLayers` deep copies of `encoderLayer` (all starting from the same weights, as in
 * PyTorch) and an optional final norm.
 */
export class TransformerEncoder extends Module {
  layers: ModuleList;
  readonly numLayers: number;
  norm: Module | null;
  readonly enableNestedTensor: boolean;
  readonly useNestedTensor: boolean;
  readonly maskCheck: boolean;

  constructor(encoderLayer: Module, numLayers: number, options?: TransformerEncoderOptions) {
    super();
    this.layers = getClones('TransformerEncoder', encoderLayer, numLayers);
    this.numLayers = numLayers;
    this.norm = options?.norm ?? null;
    this.enableNestedTensor = options?.enableNestedTensor ?? true;
    this.maskCheck = options?.maskCheck ?? true;
    let why = '';
    const l = encoderLayer as TransformerEncoderLayer;
    if (!(encoderLayer instanceof TransformerEncoderLayer)) why = 'encoder_layer was not TransformerEncoderLayer';
    else if (l.normFirst) why = 'encoder_layer.norm_first was True';
    else if (!l.self_attn.batchFirst)
      why = 'encoder_layer.self_attn.batch_first was not True(use batch_first for better inference performance)';
    else if (l.self_attn.in_proj_bias === null) why = 'encoder_layer.self_attn was passed bias=False';
    else if (!l.activationReluOrGelu) why = 'encoder_layer.activation_relu_or_gelu was not True';
    else if (l.norm1.eps !== l.norm2.eps) why = 'encoder_layer.norm1.eps was not equal to encoder_layer.norm2.eps';
    else if (l.self_attn.numHeads % 2 === 1) why = 'encoder_layer.self_attn.num_heads is odd';
    if (this.enableNestedTensor && why && !warnedNested.has(why)) {
      warnedNested.add(why);
      process.emitWarning(
        `enable_nested_tensor is True, but self.use_nested_tensor is False because ${why}`,
        'UserWarning',
      );
    }
    this.useNestedTensor = this.enableNestedTensor && !why;
  }

  forward(
    src: Tensor,
    options?: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean | null },
  ): Tensor {
    const name = 'TransformerEncoder';
    const srcKeyPaddingMask = canonicalMask(
      options?.srcKeyPaddingMask ?? null,
      'src_key_padding_mask',
      src.dtype,
      name,
    );
    const mask = canonicalMask(options?.mask ?? null, 'mask', src.dtype, name);
    if (this.layers.length === 0) throw new Error(`${name}: there are no layers to run (numLayers is 0)`);
    const first = this.layers.at(0) as unknown as Partial<TransformerEncoderLayer>;
    const batchFirst = first.self_attn?.batchFirst ?? false;
    let keyPaddingForLayers = srcKeyPaddingMask;
    const padded = this.nestedPadding(src, srcKeyPaddingMask, mask);
    if (padded) keyPaddingForLayers = padded;
    const isCausal = detectIsCausalMask(mask, options?.isCausal, seqLen(src, batchFirst));
    let output = src;
    for (const layer of this.layers.children()) {
      output = (layer as unknown as EncoderLayerLike).forward(output, {
        srcMask: mask,
        isCausal,
        srcKeyPaddingMask: keyPaddingForLayers,
      });
    }
    if (padded) output = output.maskedFill(padded.unsqueeze(-1), 0);
    if (this.norm) output = (this.norm as unknown as { forward(x: Tensor): Tensor }).forward(output);
    return output;
  }

  /**
   * PyTorch's sparsity fast path (inference, batch first, a key padding mask and no mask, no
   * gradient wanted) runs the layers on a nested tensor of each sequence's first
   * `length = count of unmasked keys` tokens, and pads the result with zeros. Its values are
   * those of the layers run with a left-aligned key padding mask of those lengths, with the
   * padded positions set to 0: where the fast path would run, this returns that mask (true =
   * padding), else null. `torch.backends.mha.setFastpathEnabled(false)` turns it off, as in PyTorch.
   */
  private nestedPadding(src: Tensor, kpm: Tensor | null, mask: Tensor | null): Tensor | null {
    const first = this.layers.at(0);
    if (!mha.getFastpathEnabled()) return null;
    if (!this.useNestedTensor || !(first instanceof TransformerEncoderLayer)) return null;
    if (first.training || src.dim() !== 3 || kpm === null || mask !== null) return null;
    if (isAutocastEnabled()) return null;
    const valid = kpm.logicalNot();
    const lengths = valid.sum(1);
    const pos = arange(src.size(1), { dtype: 'int64', device: kpm.device });
    const leftAligned = pos.unsqueeze(0).lt(lengths.unsqueeze(1));
    if (this.maskCheck && !leftAligned.eq(valid).all().item()) return null;
    const device = src.device;
    if (!(device === 'cpu' || device.startsWith('cuda'))) return null;
    const a = first.self_attn;
    const tensorArgs = [
      src,
      a.in_proj_weight,
      a.in_proj_bias,
      a.out_proj.weight,
      a.out_proj.bias,
      first.norm1.weight,
      first.norm1.bias,
      first.norm2.weight,
      first.norm2.bias,
      first.linear1.weight,
      first.linear1.bias,
      first.linear2.weight,
      first.linear2.bias,
    ];
    if (isGradEnabled() && tensorArgs.some((t) => t?.requiresGrad)) return null;
    return leftAligned.logicalNot();
  }
}

export interface TransformerDecoderOptions {
  norm?: Module | null;
}

export interface TransformerDecoderCallOptions {
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  /** Default null: whether tgtMask is the causal mask is found out, as in PyTorch. */
  tgtIsCausal?: boolean | null;
  memoryIsCausal?: boolean;
}

/** A stack of `numLayers` deep copies of `decoderLayer` and an optional final norm. */
export class TransformerDecoder extends Module {
  layers: ModuleList;
  readonly numLayers: number;
  norm: Module | null;

  constructor(decoderLayer: Module, numLayers: number, options?: TransformerDecoderOptions) {
    super();
    this.layers = getClones('TransformerDecoder', decoderLayer, numLayers);
    this.numLayers = numLayers;
    this.norm = options?.norm ?? null;
  }

  forward(tgt: Tensor, memory: Tensor, options?: TransformerDecoderCallOptions): Tensor {
    if (this.layers.length === 0) throw new Error('TransformerDecoder: there are no layers to run (numLayers is 0)');
    const first = this.layers.at(0) as unknown as Partial<TransformerDecoderLayer>;
    const tgtMask = options?.tgtMask ?? null;
    const tgtIsCausal = detectIsCausalMask(
      tgtMask,
      options?.tgtIsCausal,
      seqLen(tgt, first.self_attn?.batchFirst ?? false),
    );
    let output = tgt;
    for (const layer of this.layers.children()) {
      output = (layer as unknown as DecoderLayerLike).forward(output, memory, {
        tgtMask,
        memoryMask: options?.memoryMask ?? null,
        tgtKeyPaddingMask: options?.tgtKeyPaddingMask ?? null,
        memoryKeyPaddingMask: options?.memoryKeyPaddingMask ?? null,
        tgtIsCausal,
        memoryIsCausal: options?.memoryIsCausal ?? false,
      });
    }
    if (this.norm) output = (this.norm as unknown as { forward(x: Tensor): Tensor }).forward(output);
    return output;
  }
}

export interface TransformerOptions extends TransformerLayerOptions {
  dModel?: number;
  nhead?: number;
  numEncoderLayers?: number;
  numDecoderLayers?: number;
  customEncoder?: Module | null;
  customDecoder?: Module | null;
}

export interface TransformerCallOptions {
  srcMask?: Tensor | null;
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  /** Default null: found out from srcMask, as in PyTorch. */
  srcIsCausal?: boolean | null;
  /** Default null: found out from tgtMask, as in PyTorch. */
  tgtIsCausal?: boolean | null;
  memoryIsCausal?: boolean;
}

/**
 * The encoder-decoder Transformer of "Attention Is All You Need", as PyTorch's nn.Transformer:
 * `new nn.Transformer({dModel: 512, nhead: 8, numEncoderLayers: 6, numDecoderLayers: 6,
 * dimFeedforward: 2048, dropout: 0.1, ...})`. Every parameter with more than one dimension is
 * then drawn again by xavier_uniform_, in parameters() order, as PyTorch's _reset_parameters.
 */
export class Transformer extends Module {
  encoder: Module;
  decoder: Module;
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;

  constructor(options?: TransformerOptions) {
    super();
    const dModel = options?.dModel ?? 512;
    const nhead = options?.nhead ?? 8;
    const eps = options?.layerNormEps ?? 1e-5;
    const bias = options?.bias ?? true;
    const factory = factoryOf(options);
    const layerOptions: TransformerLayerOptions = {
      dimFeedforward: options?.dimFeedforward ?? 2048,
      dropout: options?.dropout ?? 0.1,
      activation: options?.activation ?? 'relu',
      layerNormEps: eps,
      batchFirst: options?.batchFirst ?? false,
      normFirst: options?.normFirst ?? false,
      bias,
      ...factory,
    };
    if (options?.customEncoder) {
      this.encoder = options.customEncoder;
    } else {
      const layer = new TransformerEncoderLayer(dModel, nhead, layerOptions);
      const norm = new LayerNorm([dModel], { eps, bias, ...factory });
      this.encoder = new TransformerEncoder(layer, options?.numEncoderLayers ?? 6, { norm });
    }
    if (options?.customDecoder) {
      this.decoder = options.customDecoder;
    } else {
      const layer = new TransformerDecoderLayer(dModel, nhead, layerOptions);
      const norm = new LayerNorm([dModel], { eps, bias, ...factory });
      this.decoder = new TransformerDecoder(layer, options?.numDecoderLayers ?? 6, { norm });
    }
    this.resetParameters();
    this.dModel = dModel;
    this.nhead = nhead;
    this.batchFirst = options?.batchFirst ?? false;
  }

  /** PyTorch's _reset_parameters: xavier_uniform_ on every parameter with more than one dimension. */
  resetParameters(): void {
    for (const p of this.parameters()) if (p.dim() > 1) xavierUniform_(p);
  }

  forward(src: Tensor, tgt: Tensor, options?: TransformerCallOptions): Tensor {
    const isBatched = src.dim() === 3;
    if (isBatched && src.size(this.batchFirst ? 0 : 1) !== tgt.size(this.batchFirst ? 0 : 1)) {
      throw new Error(
        `Transformer: the batch number of src and tgt must be equal (src ${shapeText(src)}, tgt ${shapeText(tgt)}, batchFirst ${this.batchFirst})`,
      );
    }
    if (src.size(-1) !== this.dModel || tgt.size(-1) !== this.dModel) {
      throw new Error(
        `Transformer: the feature number of src and tgt must be equal to d_model (${this.dModel}), got src ${shapeText(src)} and tgt ${shapeText(tgt)}`,
      );
    }
    const memory = (this.encoder as unknown as { forward(src: Tensor, o: object): Tensor }).forward(src, {
      mask: options?.srcMask ?? null,
      srcKeyPaddingMask: options?.srcKeyPaddingMask ?? null,
      isCausal: options?.srcIsCausal ?? null,
    });
    return (this.decoder as unknown as { forward(tgt: Tensor, memory: Tensor, o: object): Tensor }).forward(
      tgt,
      memory,
      {
        tgtMask: options?.tgtMask ?? null,
        memoryMask: options?.memoryMask ?? null,
        tgtKeyPaddingMask: options?.tgtKeyPaddingMask ?? null,
        memoryKeyPaddingMask: options?.memoryKeyPaddingMask ?? null,
        tgtIsCausal: options?.tgtIsCausal ?? null,
        memoryIsCausal: options?.memoryIsCausal ?? false,
      },
    );
  }

  /** A square causal mask: -inf above the diagonal, 0 elsewhere (float32 unless `dtype`). */
  static generateSquareSubsequentMask(sz: number, options?: { device?: Device; dtype?: DType }): Tensor {
    return squareSubsequentMask(sz, options);
  }
}

const shapeText = (t: Tensor): string => `[${t.shape.join(', ')}]`;
