// The Transformer family against PyTorch's (test/support/layer_parity.ts): the same weights and
// inputs, then outputs, gradients of the inputs and of every parameter, state-dict keys in
// order, and the repr. Masks bool and float, causal (given, hinted and found out), batch first
// both ways, norm first both ways, gelu. Then what the harness cannot see: inference without
// gradients (where PyTorch takes its fast paths, nested tensors included), the initial weights
// drawn from a seed, the stacks' copies being independent, and the errors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { close, describeLayerParity, type LayerCase, v2 } from '../support/layer_parity.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const nn = torch.nn;
type T = torch.Tensor;

const bools = (rows: boolean[][]) => () => torch.tensor(rows);
const causalBool = (n: number) => () => torch.ones([n, n], { dtype: 'bool' }).triu(1);
const causalFloat = (n: number) => () => nn.Transformer.generateSquareSubsequentMask(n, { dtype: 'float64' });
const NEG = Number.NEGATIVE_INFINITY;

const mha = (m: torch.nn.Module) => m as torch.nn.MultiheadAttention;
const enc = (m: torch.nn.Module) => m as torch.nn.TransformerEncoderLayer;
const dec = (m: torch.nn.Module) => m as torch.nn.TransformerDecoderLayer;
const encStack = (m: torch.nn.Module) => m as torch.nn.TransformerEncoder;
const decStack = (m: torch.nn.Module) => m as torch.nn.TransformerDecoder;
const tf = (m: torch.nn.Module) => m as torch.nn.Transformer;

// Key padding masks for a batch of 3: bool (true = ignore) and float (-inf = ignore).
const kpm3x4 = bools([
  [false, false, false, true],
  [false, true, false, false],
  [false, false, false, false],
]);
const kpm3x5 = bools([
  [false, false, false, false, true],
  [false, false, true, false, false],
  [false, false, false, false, false],
]);
const floatKpm3x4 = v2([0, 0, 0, NEG, 0, NEG, 0, 0, 0, 0, 0, 0], [3, 4]);

const attentionCases: LayerCase[] = [
  {
    name: 'MultiheadAttention cross-attention, batch first, key is value, weights, float padding + bool mask',
    make: () => new nn.MultiheadAttention(8, 2, { batchFirst: true }),
    py: 'nn.MultiheadAttention(8, 2, batch_first=True)',
    inputs: [[3, 5, 8], [3, 4, 8], floatKpm3x4, () => torch.rand([5, 4]).gt(0.8)],
    noGrad: [2, 3],
    call: (m, [q, kv, kpm, am]) => {
      const [o, w] = mha(m).forward(q as T, kv as T, kv as T, { keyPaddingMask: kpm as T, attnMask: am as T });
      return torch.cat([o.flatten(), (w as T).flatten()]);
    },
    pyCall:
      '(lambda r: torch.cat([r[0].flatten(), r[1].flatten()]))(m(xs[0], xs[1], xs[1], key_padding_mask=xs[2], attn_mask=xs[3]))',
  },
  {
    name: 'MultiheadAttention unbatched, weights per head, 3-D mask',
    make: () => new nn.MultiheadAttention(8, 2),
    py: 'nn.MultiheadAttention(8, 2)',
    inputs: [[5, 8], [4, 8], [4, 8], () => torch.randn([2, 5, 4], { dtype: 'float64' })],
    noGrad: [3],
    call: (m, [q, k, v, am]) => {
      const [o, w] = mha(m).forward(q as T, k as T, v as T, { attnMask: am as T, averageAttnWeights: false });
      return torch.cat([o.flatten(), (w as T).flatten()]);
    },
    pyCall:
      '(lambda r: torch.cat([r[0].flatten(), r[1].flatten()]))(m(xs[0], xs[1], xs[2], attn_mask=xs[3], average_attn_weights=False))',
  },
  {
    name: 'MultiheadAttention causal hint with padding (the hint is dropped, the masks merged), no bias',
    make: () => new nn.MultiheadAttention(8, 4, { bias: false }),
    py: 'nn.MultiheadAttention(8, 4, bias=False)',
    inputs: [[5, 3, 8], causalBool(5), kpm3x5],
    noGrad: [1, 2],
    call: (m, [x, am, kpm]) =>
      mha(m).forward(x as T, x as T, x as T, {
        attnMask: am as T,
        keyPaddingMask: kpm as T,
        isCausal: true,
        needWeights: false,
      })[0],
    pyCall: 'm(xs[0], xs[0], xs[0], attn_mask=xs[1], key_padding_mask=xs[2], is_causal=True, need_weights=False)[0]',
  },
  {
    name: 'MultiheadAttention causal hint alone (the mask is not used, as in PyTorch)',
    make: () => new nn.MultiheadAttention(8, 2, { batchFirst: true }),
    py: 'nn.MultiheadAttention(8, 2, batch_first=True)',
    inputs: [[3, 5, 8], () => torch.randn([5, 5], { dtype: 'float64' })],
    noGrad: [1],
    call: (m, [x, am]) =>
      mha(m).forward(x as T, x as T, x as T, { attnMask: am as T, isCausal: true, needWeights: false })[0],
    pyCall: 'm(xs[0], xs[0], xs[0], attn_mask=xs[1], is_causal=True, need_weights=False)[0]',
  },
];

const encoderLayerCases: LayerCase[] = [
  {
    name: 'TransformerEncoderLayer eval, batch first, bool mask and padding',
    make: () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 12, batchFirst: true }),
    py: 'nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, batch_first=True)',
    inputs: [[3, 5, 8], causalBool(5), kpm3x5],
    noGrad: [1, 2],
    call: (m, [x, am, kpm]) => enc(m).forward(x as T, { srcMask: am as T, srcKeyPaddingMask: kpm as T }),
    pyCall: 'm(xs[0], src_mask=xs[1], src_key_padding_mask=xs[2])',
  },
  {
    name: 'TransformerEncoderLayer train, float mask hinted causal, norm first, gelu module',
    make: () =>
      new nn.TransformerEncoderLayer(8, 2, {
        dimFeedforward: 12,
        dropout: 0,
        normFirst: true,
        activation: new nn.GELU({ approximate: 'tanh' }),
      }),
    py: "nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, dropout=0.0, norm_first=True, activation=nn.GELU(approximate='tanh'))",
    inputs: [[5, 3, 8], causalFloat(5)],
    noGrad: [1],
    train: true,
    call: (m, [x, am]) => enc(m).forward(x as T, { srcMask: am as T, isCausal: true }),
    pyCall: 'm(xs[0], src_mask=xs[1], is_causal=True)',
  },
  {
    name: 'TransformerEncoderLayer eval, unbatched, float padding mask, no bias, gelu',
    make: () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 12, bias: false, activation: 'gelu' }),
    py: "nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, bias=False, activation='gelu')",
    inputs: [[4, 8], v2([0, NEG, 0, 0], [4])],
    noGrad: [1],
    call: (m, [x, kpm]) => enc(m).forward(x as T, { srcKeyPaddingMask: kpm as T }),
    pyCall: 'm(xs[0], src_key_padding_mask=xs[1])',
  },
];

const decoderLayerCases: LayerCase[] = [
  {
    name: 'TransformerDecoderLayer train, no masks',
    make: () => new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 12, dropout: 0 }),
    py: 'nn.TransformerDecoderLayer(8, 2, dim_feedforward=12, dropout=0.0)',
    inputs: [
      [5, 3, 8],
      [4, 3, 8],
    ],
    train: true,
    call: (m, [t, mem]) => dec(m).forward(t as T, mem as T),
    pyCall: 'm(xs[0], xs[1])',
  },
  {
    name: 'TransformerDecoderLayer eval, batch first, bool masks',
    make: () => new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 12, batchFirst: true }),
    py: 'nn.TransformerDecoderLayer(8, 2, dim_feedforward=12, batch_first=True)',
    inputs: [[3, 5, 8], [3, 4, 8], causalBool(5), kpm3x5, kpm3x4, () => torch.rand([5, 4]).gt(0.7)],
    noGrad: [2, 3, 4, 5],
    call: (m, [t, mem, tm, tkpm, mkpm, mm]) =>
      dec(m).forward(t as T, mem as T, {
        tgtMask: tm as T,
        tgtKeyPaddingMask: tkpm as T,
        memoryKeyPaddingMask: mkpm as T,
        memoryMask: mm as T,
      }),
    pyCall:
      'm(xs[0], xs[1], tgt_mask=xs[2], tgt_key_padding_mask=xs[3], memory_key_padding_mask=xs[4], memory_mask=xs[5])',
  },
  {
    name: 'TransformerDecoderLayer train, float masks, norm first, gelu',
    make: () =>
      new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 12, dropout: 0, normFirst: true, activation: 'gelu' }),
    py: "nn.TransformerDecoderLayer(8, 2, dim_feedforward=12, dropout=0.0, norm_first=True, activation='gelu')",
    inputs: [
      [5, 3, 8],
      [4, 3, 8],
      () => torch.randn([5, 5], { dtype: 'float64' }),
      v2([0, 0, NEG, 0, 0, 0, 0, 0, NEG, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NEG], [5, 4]),
      floatKpm3x4,
    ],
    noGrad: [2, 3, 4],
    train: true,
    call: (m, [t, mem, tm, mm, mkpm]) =>
      dec(m).forward(t as T, mem as T, { tgtMask: tm as T, memoryMask: mm as T, memoryKeyPaddingMask: mkpm as T }),
    pyCall: 'm(xs[0], xs[1], tgt_mask=xs[2], memory_mask=xs[3], memory_key_padding_mask=xs[4])',
  },
  {
    name: 'TransformerDecoderLayer eval, causal hints (tgt and memory: the masks are not used)',
    make: () => new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 12, batchFirst: true, normFirst: true }),
    py: 'nn.TransformerDecoderLayer(8, 2, dim_feedforward=12, batch_first=True, norm_first=True)',
    inputs: [[3, 5, 8], [3, 4, 8], causalFloat(5), () => torch.randn([5, 4], { dtype: 'float64' })],
    noGrad: [2, 3],
    call: (m, [t, mem, tm, mm]) =>
      dec(m).forward(t as T, mem as T, {
        tgtMask: tm as T,
        tgtIsCausal: true,
        memoryMask: mm as T,
        memoryIsCausal: true,
      }),
    pyCall: 'm(xs[0], xs[1], tgt_mask=xs[2], tgt_is_causal=True, memory_mask=xs[3], memory_is_causal=True)',
  },
  {
    name: 'TransformerDecoderLayer eval, 3-D tgt mask, no bias, GELU module, eps',
    make: () =>
      new nn.TransformerDecoderLayer(8, 2, {
        dimFeedforward: 12,
        bias: false,
        activation: new nn.GELU(),
        layerNormEps: 1e-3,
      }),
    py: 'nn.TransformerDecoderLayer(8, 2, dim_feedforward=12, bias=False, activation=nn.GELU(), layer_norm_eps=1e-3)',
    inputs: [[5, 3, 8], [4, 3, 8], () => torch.randn([6, 5, 5], { dtype: 'float64' })],
    noGrad: [2],
    call: (m, [t, mem, tm]) => dec(m).forward(t as T, mem as T, { tgtMask: tm as T }),
    pyCall: 'm(xs[0], xs[1], tgt_mask=xs[2])',
  },
  {
    name: 'TransformerDecoderLayer eval, unbatched, padding masks',
    make: () => new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 12 }),
    py: 'nn.TransformerDecoderLayer(8, 2, dim_feedforward=12)',
    inputs: [[5, 8], [4, 8], () => torch.tensor([false, false, true, false, false]), v2([0, 0, 0, NEG], [4])],
    noGrad: [2, 3],
    call: (m, [t, mem, tkpm, mkpm]) =>
      dec(m).forward(t as T, mem as T, { tgtKeyPaddingMask: tkpm as T, memoryKeyPaddingMask: mkpm as T }),
    pyCall: 'm(xs[0], xs[1], tgt_key_padding_mask=xs[2], memory_key_padding_mask=xs[3])',
  },
];

const stackCases: LayerCase[] = [
  {
    name: 'TransformerEncoder train, float causal mask found out, final norm',
    make: () =>
      new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 12, dropout: 0 }), 2, {
        norm: new nn.LayerNorm(8),
      }),
    py: 'nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 12, 0.0), 2, norm=nn.LayerNorm(8))',
    inputs: [[5, 3, 8], causalFloat(5)],
    noGrad: [1],
    train: true,
    call: (m, [x, am]) => encStack(m).forward(x as T, { mask: am as T }),
    pyCall: 'm(xs[0], mask=xs[1])',
  },
  {
    name: 'TransformerEncoder eval, batch first, padding (with gradients: no nested tensors)',
    make: () =>
      new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 12, batchFirst: true }), 3, {
        norm: new nn.LayerNorm(8),
      }),
    py: 'nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 12, batch_first=True), 3, norm=nn.LayerNorm(8))',
    inputs: [[3, 5, 8], kpm3x5],
    noGrad: [1],
    call: (m, [x, kpm]) => encStack(m).forward(x as T, { srcKeyPaddingMask: kpm as T }),
    pyCall: 'm(xs[0], src_key_padding_mask=xs[1])',
  },
  {
    name: 'TransformerEncoder eval, no norm, norm first, gelu, bool mask (not causal) and padding',
    make: () =>
      new nn.TransformerEncoder(
        new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 12, normFirst: true, activation: 'gelu' }),
        2,
      ),
    py: "nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 12, norm_first=True, activation='gelu'), 2)",
    inputs: [[5, 3, 8], () => torch.rand([5, 5]).gt(0.7).logicalAnd(torch.eye(5).logicalNot()), kpm3x5],
    noGrad: [1, 2],
    call: (m, [x, am, kpm]) => encStack(m).forward(x as T, { mask: am as T, srcKeyPaddingMask: kpm as T }),
    pyCall: 'm(xs[0], mask=xs[1], src_key_padding_mask=xs[2])',
  },
  {
    name: 'TransformerDecoder train, bool causal mask found out, memory padding, final norm',
    make: () =>
      new nn.TransformerDecoder(new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 12, dropout: 0 }), 2, {
        norm: new nn.LayerNorm(8),
      }),
    py: 'nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 12, 0.0), 2, norm=nn.LayerNorm(8))',
    inputs: [[5, 3, 8], [4, 3, 8], causalBool(5), kpm3x4],
    noGrad: [2, 3],
    train: true,
    call: (m, [t, mem, tm, mkpm]) =>
      decStack(m).forward(t as T, mem as T, { tgtMask: tm as T, memoryKeyPaddingMask: mkpm as T }),
    pyCall: 'm(xs[0], xs[1], tgt_mask=xs[2], memory_key_padding_mask=xs[3])',
  },
  {
    name: 'TransformerDecoder eval, batch first, float masks, no norm',
    make: () =>
      new nn.TransformerDecoder(new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 12, batchFirst: true }), 2),
    py: 'nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 12, batch_first=True), 2)',
    inputs: [
      [3, 5, 8],
      [3, 4, 8],
      () => torch.randn([5, 5], { dtype: 'float64' }),
      () => torch.randn([5, 4], { dtype: 'float64' }),
    ],
    noGrad: [2, 3],
    call: (m, [t, mem, tm, mm]) => decStack(m).forward(t as T, mem as T, { tgtMask: tm as T, memoryMask: mm as T }),
    pyCall: 'm(xs[0], xs[1], tgt_mask=xs[2], memory_mask=xs[3])',
  },
];

const transformerCases: LayerCase[] = [
  {
    name: 'Transformer train, padding and causal masks',
    make: () =>
      new nn.Transformer({
        dModel: 8,
        nhead: 2,
        numEncoderLayers: 2,
        numDecoderLayers: 2,
        dimFeedforward: 16,
        dropout: 0,
      }),
    py: 'nn.Transformer(8, 2, 2, 2, 16, 0.0)',
    inputs: [
      [6, 3, 8],
      [5, 3, 8],
      causalFloat(5),
      bools([
        [false, false, false, false, true, true],
        [false, false, false, false, false, false],
        [false, true, false, false, false, false],
      ]),
    ],
    noGrad: [2, 3],
    train: true,
    call: (m, [s, t, tm, skpm]) =>
      tf(m).forward(s as T, t as T, {
        tgtMask: tm as T,
        srcKeyPaddingMask: skpm as T,
        memoryKeyPaddingMask: skpm as T,
      }),
    pyCall: 'm(xs[0], xs[1], tgt_mask=xs[2], src_key_padding_mask=xs[3], memory_key_padding_mask=xs[3])',
  },
  {
    name: 'Transformer eval, batch first, norm first, gelu, every mask',
    make: () =>
      new nn.Transformer({
        dModel: 8,
        nhead: 2,
        numEncoderLayers: 2,
        numDecoderLayers: 1,
        dimFeedforward: 16,
        batchFirst: true,
        normFirst: true,
        activation: 'gelu',
      }),
    py: "nn.Transformer(8, 2, 2, 1, 16, batch_first=True, norm_first=True, activation='gelu')",
    inputs: [
      [3, 4, 8],
      [3, 5, 8],
      () => torch.randn([4, 4], { dtype: 'float64' }),
      causalBool(5),
      () => torch.rand([5, 4]).gt(0.7),
      kpm3x4,
      kpm3x5,
      floatKpm3x4,
    ],
    noGrad: [2, 3, 4, 5, 6, 7],
    call: (m, [s, t, sm, tm, mm, skpm, tkpm, mkpm]) =>
      tf(m).forward(s as T, t as T, {
        srcMask: sm as T,
        tgtMask: tm as T,
        memoryMask: mm as T,
        srcKeyPaddingMask: skpm as T,
        tgtKeyPaddingMask: tkpm as T,
        memoryKeyPaddingMask: mkpm as T,
      }),
    pyCall:
      'm(xs[0], xs[1], src_mask=xs[2], tgt_mask=xs[3], memory_mask=xs[4], src_key_padding_mask=xs[5], tgt_key_padding_mask=xs[6], memory_key_padding_mask=xs[7])',
  },
  {
    name: 'Transformer eval, no bias, eps, custom encoder',
    make: () =>
      new nn.Transformer({
        dModel: 8,
        nhead: 2,
        numDecoderLayers: 1,
        dimFeedforward: 16,
        bias: false,
        layerNormEps: 1e-4,
        customEncoder: new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 4, { dimFeedforward: 8 }), 1),
      }),
    py: 'nn.Transformer(8, 2, num_decoder_layers=1, dim_feedforward=16, bias=False, layer_norm_eps=1e-4, custom_encoder=nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 4, 8), 1))',
    inputs: [
      [4, 2, 8],
      [3, 2, 8],
    ],
    call: (m, [s, t]) => tf(m).forward(s as T, t as T, { srcIsCausal: false, tgtIsCausal: false }),
    pyCall: 'm(xs[0], xs[1], src_is_causal=False, tgt_is_causal=False)',
  },
  {
    name: 'Transformer train, unbatched, hinted causal masks',
    make: () =>
      new nn.Transformer({
        dModel: 8,
        nhead: 2,
        numEncoderLayers: 1,
        numDecoderLayers: 2,
        dimFeedforward: 16,
        dropout: 0,
      }),
    py: 'nn.Transformer(8, 2, 1, 2, 16, 0.0)',
    inputs: [[4, 8], [5, 8], causalFloat(4), causalFloat(5)],
    noGrad: [2, 3],
    train: true,
    call: (m, [s, t, sm, tm]) =>
      tf(m).forward(s as T, t as T, { srcMask: sm as T, tgtMask: tm as T, srcIsCausal: true, tgtIsCausal: true }),
    pyCall: 'm(xs[0], xs[1], src_mask=xs[2], tgt_mask=xs[3], src_is_causal=True, tgt_is_causal=True)',
  },
];

describeLayerParity('MultiheadAttention masks and projections against PyTorch (float64)', attentionCases, 700);
describeLayerParity('TransformerEncoderLayer against PyTorch (float64)', encoderLayerCases, 720);
describeLayerParity('TransformerDecoderLayer against PyTorch (float64)', decoderLayerCases, 740);
describeLayerParity('TransformerEncoder and TransformerDecoder against PyTorch (float64)', stackCases, 760);
describeLayerParity('Transformer against PyTorch (float64)', transformerCases, 780);

// ---- inference without gradients, where PyTorch takes its fast paths

interface InferenceCase {
  name: string;
  make: () => torch.nn.Module;
  py: string;
  inputs: (number[] | (() => T))[];
  call: (m: torch.nn.Module, xs: T[]) => T;
  pyCall: string;
  /** Whether PyTorch's fast path gives other values than its slow path here (nested tensors pad with 0). */
  fastDiffers?: boolean;
}

const leftPadded = bools([
  [false, false, false, false, false],
  [false, false, false, true, true],
  [false, false, false, false, true],
]);
const notLeftAligned = bools([
  [false, false, false, false, false],
  [true, false, false, false, false],
  [false, false, true, false, true],
]);
const batchFirstEncoder = (n: number, options?: { maskCheck?: boolean }) =>
  new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 12, batchFirst: true }), n, {
    norm: new nn.LayerNorm(8),
    ...options,
  });
const batchFirstEncoderPy =
  'nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 12, batch_first=True), 2, norm=nn.LayerNorm(8)';

const inferenceCases: InferenceCase[] = [
  {
    name: 'TransformerEncoderLayer, batch first (the fused encoder kernel)',
    make: () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 12, batchFirst: true }),
    py: 'nn.TransformerEncoderLayer(8, 2, 12, batch_first=True)',
    inputs: [[3, 5, 8], leftPadded],
    call: (m, [x, kpm]) => enc(m).forward(x as T, { srcKeyPaddingMask: kpm as T }),
    pyCall: 'm(xs[0], src_key_padding_mask=xs[1])',
  },
  {
    name: 'TransformerEncoder, padding on the right (nested tensors: padded positions are 0 before the norm)',
    make: () => batchFirstEncoder(2),
    py: `${batchFirstEncoderPy})`,
    inputs: [[3, 5, 8], leftPadded],
    call: (m, [x, kpm]) => encStack(m).forward(x as T, { srcKeyPaddingMask: kpm as T }),
    pyCall: 'm(xs[0], src_key_padding_mask=xs[1])',
    fastDiffers: true,
  },
  {
    name: 'TransformerEncoder, float padding mask, a sequence all padding (nested tensors)',
    make: () => batchFirstEncoder(2),
    py: `${batchFirstEncoderPy})`,
    inputs: [[3, 5, 8], v2([0, 0, 0, NEG, NEG, 0, 0, 0, 0, 0, NEG, NEG, NEG, NEG, NEG], [3, 5])],
    call: (m, [x, kpm]) => encStack(m).forward(x as T, { srcKeyPaddingMask: kpm as T }),
    pyCall: 'm(xs[0], src_key_padding_mask=xs[1])',
    fastDiffers: true,
  },
  {
    name: 'TransformerEncoder, padding not on the right (mask check: no nested tensors)',
    make: () => batchFirstEncoder(2),
    py: `${batchFirstEncoderPy})`,
    inputs: [[3, 5, 8], notLeftAligned],
    call: (m, [x, kpm]) => encStack(m).forward(x as T, { srcKeyPaddingMask: kpm as T }),
    pyCall: 'm(xs[0], src_key_padding_mask=xs[1])',
  },
  {
    name: 'TransformerEncoder, padding not on the right, maskCheck false (nested tensors of the first tokens)',
    make: () => batchFirstEncoder(2, { maskCheck: false }),
    py: `${batchFirstEncoderPy}, mask_check=False)`,
    inputs: [[3, 5, 8], notLeftAligned],
    call: (m, [x, kpm]) => encStack(m).forward(x as T, { srcKeyPaddingMask: kpm as T }),
    pyCall: 'm(xs[0], src_key_padding_mask=xs[1])',
    fastDiffers: true,
  },
  {
    name: 'Transformer, batch first, source padding only (the memory differs at padded positions)',
    make: () =>
      new nn.Transformer({
        dModel: 8,
        nhead: 2,
        numEncoderLayers: 2,
        numDecoderLayers: 2,
        dimFeedforward: 16,
        batchFirst: true,
      }),
    py: 'nn.Transformer(8, 2, 2, 2, 16, batch_first=True)',
    inputs: [[3, 5, 8], [3, 4, 8], leftPadded, causalFloat(4)],
    call: (m, [s, t, kpm, tm]) => tf(m).forward(s as T, t as T, { srcKeyPaddingMask: kpm as T, tgtMask: tm as T }),
    pyCall: 'm(xs[0], xs[1], src_key_padding_mask=xs[2], tgt_mask=xs[3])',
    fastDiffers: true,
  },
  {
    name: 'TransformerDecoderLayer, batch first, bool masks (native attention for self-attention)',
    make: () => new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 12, batchFirst: true }),
    py: 'nn.TransformerDecoderLayer(8, 2, 12, batch_first=True)',
    inputs: [[3, 5, 8], [3, 4, 8], causalBool(5), leftPadded],
    call: (m, [t, mem, tm, kpm]) => dec(m).forward(t as T, mem as T, { tgtMask: tm as T, tgtKeyPaddingMask: kpm as T }),
    pyCall: 'm(xs[0], xs[1], tgt_mask=xs[2], tgt_key_padding_mask=xs[3])',
  },
  {
    name: 'MultiheadAttention self-attention, batch first, weights (native attention)',
    make: () => new nn.MultiheadAttention(8, 2, { batchFirst: true }),
    py: 'nn.MultiheadAttention(8, 2, batch_first=True)',
    inputs: [[3, 5, 8], leftPadded],
    call: (m, [x, kpm]) => {
      const [o, w] = mha(m).forward(x as T, x as T, x as T, { keyPaddingMask: kpm as T });
      return torch.cat([o.flatten(), (w as T).flatten()]);
    },
    pyCall: '(lambda r: torch.cat([r[0].flatten(), r[1].flatten()]))(m(xs[0], xs[0], xs[0], key_padding_mask=xs[1]))',
  },
];

const INFERENCE_PY = `
import torch.nn as nn, warnings
warnings.simplefilter('ignore')
results = []
for c in INPUT:
    m = eval(c['py']).double()
    m.load_state_dict({k: torch.tensor(v['data'], dtype=getattr(torch, v['dtype'])) for k, v in c['state'].items()})
    m.eval()
    xs = [torch.tensor(x['data'], dtype=getattr(torch, x['dtype'])) for x in c['inputs']]
    with torch.no_grad():
        fast = eval(c['pyCall'])
        torch.backends.mha.set_fastpath_enabled(False)
        slow = eval(c['pyCall'])
        torch.backends.mha.set_fastpath_enabled(True)
    results.append({'fast': fast, 'slow': slow, 'differ': not torch.allclose(fast, slow, rtol=0, atol=1e-10, equal_nan=True)})
OUTPUT = results
`;

describe('inference without gradients equals PyTorch with its fast paths (float64)', {
  skip: skipWithoutPython(),
}, () => {
  const ours: T[] = [];
  const oursSlow: T[] = [];
  let theirs: { fast: unknown; slow: unknown; differ: boolean }[] = [];
  test('run', () => {
    const payload = inferenceCases.map((c, i) => {
      torch.manualSeed(900 + i);
      const m = c.make().double().eval();
      const xs = c.inputs.map((s) => (typeof s === 'function' ? s() : torch.randn(s, { dtype: 'float64' })));
      ours.push(torch.noGrad(() => c.call(m, xs)));
      torch.backends.mha.setFastpathEnabled(false);
      try {
        oursSlow.push(torch.noGrad(() => c.call(m, xs)));
      } finally {
        torch.backends.mha.setFastpathEnabled(true);
      }
      return {
        py: c.py,
        pyCall: c.pyCall,
        state: Object.fromEntries(
          Object.entries(m.stateDict()).map(([k, v]) => [k, { data: v.toArray(), dtype: v.dtype }]),
        ),
        inputs: xs.map((x) => ({ data: x.toArray(), dtype: x.dtype })),
      };
    });
    theirs = runPython(INFERENCE_PY, payload);
    assert.equal(theirs.length, inferenceCases.length);
  });
  inferenceCases.forEach((c, i) => {
    test(c.name, () => {
      const t = theirs[i];
      assert.ok(t && ours[i]);
      assert.equal(t.differ, c.fastDiffers ?? false, "whether PyTorch's fast path differs from its slow path");
      close((ours[i] as T).toArray(), t.fast, 'output');
      close((oursSlow[i] as T).toArray(), t.slow, 'output with torch.backends.mha.setFastpathEnabled(false)');
    });
  });
});

// ---- initial weights, copies, masks, errors

const INIT_PY = `
import torch.nn as nn, warnings
warnings.simplefilter('ignore')
out = {}
for name, seed, expr in INPUT:
    torch.manual_seed(seed)
    m = eval(expr)
    out[name] = {k: v.tolist() for k, v in m.state_dict().items()}
torch.manual_seed(7)
big = nn.Transformer()
out['default'] = {k: [v.double().sum().item(), v.double().square().sum().item(), v.flatten()[:4].tolist()] for k, v in big.state_dict().items()}
out['masks'] = [nn.Transformer.generate_square_subsequent_mask(4), nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64), nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.bool)]
OUTPUT = out
`;

describe('Transformer initialization from a seed and the stacks copies', { skip: skipWithoutPython() }, () => {
  const made: Record<string, [number, () => torch.nn.Module, string]> = {
    transformer: [
      3,
      () => new nn.Transformer({ dModel: 16, nhead: 4, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 32 }),
      'nn.Transformer(16, 4, 2, 2, 32)',
    ],
    transformerNoBias: [
      4,
      () =>
        new nn.Transformer({
          dModel: 8,
          nhead: 2,
          numEncoderLayers: 1,
          numDecoderLayers: 3,
          dimFeedforward: 8,
          bias: false,
          normFirst: true,
        }),
      'nn.Transformer(8, 2, 1, 3, 8, bias=False, norm_first=True)',
    ],
    encoder: [
      5,
      () =>
        new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 12 }), 3, {
          norm: new nn.LayerNorm(8),
        }),
      'nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 12), 3, norm=nn.LayerNorm(8))',
    ],
    decoder: [
      6,
      () => new nn.TransformerDecoder(new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 12 }), 2),
      'nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 12), 2)',
    ],
  };
  let theirs: Record<string, Record<string, unknown>> & {
    default: Record<string, [number, number, number[]]>;
    masks: unknown[];
  };
  test('run', () => {
    theirs = runPython(
      INIT_PY,
      Object.entries(made).map(([name, [seed, , py]]) => [name, seed, py]),
    );
  });
  for (const [name, [seed, make]] of Object.entries(made)) {
    test(`${name}: the same weights as PyTorch from the same seed (float32, to the bit)`, () => {
      torch.manualSeed(seed);
      const state = make().stateDict();
      const expected = theirs[name] as Record<string, unknown>;
      assert.deepEqual(Object.keys(state), Object.keys(expected), 'state dict keys and order');
      for (const [k, v] of Object.entries(state)) close(v.toArray(), expected[k], k, Number.MIN_VALUE);
    });
  }
  test('nn.Transformer() with the defaults (512, 8, 6, 6, 2048) draws the same weights as PyTorch', () => {
    torch.manualSeed(7);
    const state = new nn.Transformer().stateDict();
    assert.deepEqual(Object.keys(state), Object.keys(theirs.default));
    for (const [k, v] of Object.entries(state)) {
      const [sum, sq, head] = theirs.default[k] as [number, number, number[]];
      const d = v.double();
      close(d.sum().item(), sum, `sum of ${k}`, 1e-9);
      close(d.square().sum().item(), sq, `sum of squares of ${k}`, 1e-9);
      close(v.flatten().narrow(0, 0, Math.min(4, v.numel())).toArray(), head, `first values of ${k}`, Number.MIN_VALUE);
    }
  });
  test('generateSquareSubsequentMask as PyTorch (float32 by default, float64, bool)', () => {
    const ours = [
      nn.Transformer.generateSquareSubsequentMask(4),
      nn.Transformer.generateSquareSubsequentMask(3, { dtype: 'float64' }),
      nn.Transformer.generateSquareSubsequentMask(3, { dtype: 'bool' }),
    ];
    assert.deepEqual(
      ours.map((m) => m.dtype),
      ['float32', 'float64', 'bool'],
    );
    ours.forEach((m, i) => {
      assert.deepEqual(m.toArray(), theirs.masks[i]);
    });
  });
});

describe('the stacks hold independent deep copies', () => {
  test('same values, other tensors; a change to one layer stays there', () => {
    const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 12 });
    const stack = new nn.TransformerEncoder(layer, 3);
    const ps = [0, 1, 2].map((i) => (stack.layers.at(i) as torch.nn.TransformerEncoderLayer).linear1.weight);
    assert.ok(ps[0] !== ps[1] && ps[0] !== layer.linear1.weight, 'new parameters');
    assert.ok(ps.every((p) => p instanceof nn.Parameter && p.requiresGrad));
    assert.deepEqual(ps[1]?.toArray(), layer.linear1.weight.toArray(), 'the same values');
    assert.equal(stack.parameters().length, 3 * layer.parameters().length);
    torch.noGrad(() => ps[0]?.add_(1));
    assert.deepEqual(ps[1]?.toArray(), layer.linear1.weight.toArray(), 'the other copies are untouched');
    assert.notDeepEqual(ps[0]?.toArray(), layer.linear1.weight.toArray());
    // Training mode and the activation carry over; the copies are TransformerEncoderLayers.
    const l1 = stack.layers.at(1) as torch.nn.TransformerEncoderLayer;
    assert.ok(l1 instanceof nn.TransformerEncoderLayer && l1.activation === layer.activation && l1.training);
  });

  test('buffers, tied parameters and forward hooks are copied as by copy.deepcopy', () => {
    class Scaled extends nn.Module {
      w = new nn.Parameter(torch.ones([2]));
      alias = this.w;
      calls = 0;
      constructor() {
        super();
        this.registerBuffer('scale', torch.tensor([2]));
        this.registerBuffer('scratch', torch.tensor([1]), { persistent: false });
      }
      forward(src: T): T {
        this.calls++;
        return src.mul(this.w).mul((this as unknown as { scale: T }).scale);
      }
    }
    const layer = new Scaled();
    let hooked = 0;
    layer.registerForwardHook(() => {
      hooked++;
    });
    const stack = new nn.TransformerEncoder(layer, 2, { enableNestedTensor: false });
    const [a, b] = [stack.layers.at(0) as Scaled, stack.layers.at(1) as Scaled];
    assert.ok(a.alias === a.w && a.w !== b.w && a.w !== layer.w, 'a tied parameter stays tied within its copy');
    assert.deepEqual(Object.keys(stack.stateDict()), [
      'layers.0.w',
      'layers.0.alias',
      'layers.0.scale',
      'layers.1.w',
      'layers.1.alias',
      'layers.1.scale',
    ]);
    const sa = (a as unknown as { scale: T }).scale;
    assert.ok(sa !== (layer as unknown as { scale: T }).scale);
    sa.fill_(3);
    assert.deepEqual((b as unknown as { scale: T }).scale.toArray(), [2]);
    assert.deepEqual(
      a.namedBuffers().map(([n]) => n),
      ['scale', 'scratch'],
    );
    const out = stack.forward(torch.ones([2]));
    assert.deepEqual(out.toArray(), [6, 6]);
    assert.equal(hooked, 2, 'the hook runs for each copy');
    assert.equal(a.calls, 1);
    assert.equal(layer.calls, 0, "the template's forward is not run");
  });
});

describe('Transformer errors name the module', () => {
  const x = torch.randn([5, 3, 8]);
  const m = new nn.MultiheadAttention(8, 2);
  test('MultiheadAttention', () => {
    assert.throws(
      () => new nn.MultiheadAttention(8, 3),
      /MultiheadAttention: embed_dim must be divisible by num_heads/,
    );
    assert.throws(
      () => m.forward(x, x, x, { isCausal: true }),
      /MultiheadAttention: Need attn_mask if specifying the is_causal hint/,
    );
    assert.throws(
      () => m.forward(x, x, x, { keyPaddingMask: torch.zeros([3, 4], { dtype: 'bool' }) }),
      /MultiheadAttention: Expected key_padding_mask of shape \[3, 5\], got \[3, 4\]/,
    );
    assert.throws(
      () => m.forward(x, x, x, { attnMask: torch.zeros([5, 4]) }),
      /MultiheadAttention: The shape of the 2D attn_mask is \[5, 4\], but should be \[5, 5\]/,
    );
    assert.throws(
      () => m.forward(x, x, x, { attnMask: torch.zeros([5, 5], { dtype: 'int64' }) }),
      /MultiheadAttention: only bool and floating types of attn_mask are supported/,
    );
    const y = torch.randn([5, 3, 6]);
    assert.throws(() => m.forward(y, y, y), /MultiheadAttention: was expecting embedding dimension of 8, but got 6/);
    assert.throws(
      () => m.forward(x.unsqueeze(0), x, x),
      /MultiheadAttention: query should be unbatched 2D or batched 3D/,
    );
    assert.throws(
      () => m.forward(x, x.select(1, 0), x),
      /MultiheadAttention: For batched \(3-D\) `query`, expected `key`/,
    );
  });
  test('the layers, stacks and Transformer', () => {
    assert.throws(
      () => new nn.TransformerEncoderLayer(8, 2, { activation: 'tanh' as never }),
      /TransformerEncoderLayer: activation should be relu\/gelu, not tanh/,
    );
    assert.throws(
      () => new nn.TransformerDecoderLayer(8, 2, { activation: 'silu' as never }),
      /TransformerDecoderLayer: activation should be relu\/gelu, not silu/,
    );
    const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 12 });
    assert.throws(
      () => layer.forward(x, { srcMask: torch.zeros([5, 5], { dtype: 'int64' }) }),
      /TransformerEncoderLayer: only bool and floating types of src_mask are supported/,
    );
    assert.throws(
      () => new nn.TransformerEncoder(layer, 1.5),
      /TransformerEncoder: numLayers must be a non-negative integer/,
    );
    assert.throws(() => new nn.TransformerEncoder(layer, 0).forward(x), /TransformerEncoder: there are no layers/);
    const t = new nn.Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 8 });
    assert.throws(
      () => t.forward(x, torch.randn([4, 2, 8])),
      /Transformer: the batch number of src and tgt must be equal/,
    );
    assert.throws(
      () => t.forward(x, torch.randn([4, 3, 6])),
      /Transformer: the feature number of src and tgt must be equal to d_model \(8\)/,
    );
  });
  test('an encoder that cannot use nested tensors says why, once, as PyTorch warns', async () => {
    const warnings: string[] = [];
    // (Warnings of the cases above, emitted on a later tick, may arrive here too.)
    const listen = (w: Error) => {
      if (w.message.includes('num_heads is odd')) warnings.push(w.message);
    };
    process.on('warning', listen);
    const oddHeads = new nn.TransformerEncoderLayer(6, 3, { dimFeedforward: 8, batchFirst: true });
    new nn.TransformerEncoder(oddHeads, 1);
    new nn.TransformerEncoder(oddHeads, 1);
    new nn.TransformerEncoder(oddHeads, 1, { enableNestedTensor: false });
    await new Promise((r) => setImmediate(r));
    process.off('warning', listen);
    assert.deepEqual(warnings, [
      'enable_nested_tensor is True, but self.use_nested_tensor is False because encoder_layer.self_attn.num_heads is odd',
    ]);
  });
});
