// Every layer against PyTorch's: the same weights (ours, loaded into Python's module), the same
// inputs, then outputs, input gradients, parameter gradients, state after the forward pass
// (BatchNorm's running statistics) and the printed repr must agree (test/support/layer_parity.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import {
  describeFunctionalParity,
  describeLayerParity,
  type FunctionalCase,
  idx,
  type LayerCase,
  logProbs,
  mixed,
  probs,
  signs,
  v2,
  vec,
} from '../support/layer_parity.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const nn = torch.nn;

const cases: LayerCase[] = [
  { name: 'Linear', make: () => new nn.Linear(5, 3), py: 'nn.Linear(5, 3)', inputs: [[4, 5]] },
  {
    name: 'Linear no bias, 3-D input',
    make: () => new nn.Linear(5, 3, { bias: false }),
    py: 'nn.Linear(5, 3, bias=False)',
    inputs: [[2, 4, 5]],
  },
  {
    name: 'Bilinear',
    make: () => new nn.Bilinear(3, 4, 2),
    py: 'nn.Bilinear(3, 4, 2)',
    inputs: [
      [5, 3],
      [5, 4],
    ],
  },
  {
    name: 'Conv1d',
    make: () => new nn.Conv1d(2, 3, 3, { stride: 2, padding: 1 }),
    py: 'nn.Conv1d(2, 3, 3, stride=2, padding=1)',
    inputs: [[2, 2, 9]],
  },
  {
    name: 'Conv2d',
    make: () => new nn.Conv2d(3, 4, 3, { padding: 1 }),
    py: 'nn.Conv2d(3, 4, 3, padding=1)',
    inputs: [[2, 3, 6, 6]],
  },
  {
    name: 'Conv2d groups, dilation, stride',
    make: () => new nn.Conv2d(4, 6, [3, 2], { groups: 2, dilation: 2, stride: [1, 2], bias: false }),
    py: 'nn.Conv2d(4, 6, (3, 2), groups=2, dilation=2, stride=(1, 2), bias=False)',
    inputs: [[1, 4, 9, 9]],
  },
  {
    name: "Conv2d padding 'same' (even kernel)",
    make: () => new nn.Conv2d(2, 2, 4, { padding: 'same' }),
    py: "nn.Conv2d(2, 2, 4, padding='same')",
    inputs: [[1, 2, 7, 7]],
  },
  {
    name: 'Conv2d reflect padding',
    make: () => new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: 'reflect' }),
    py: "nn.Conv2d(2, 3, 3, padding=1, padding_mode='reflect')",
    inputs: [[1, 2, 5, 5]],
  },
  {
    name: 'ConvTranspose2d',
    make: () => new nn.ConvTranspose2d(3, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }),
    py: 'nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1)',
    inputs: [[2, 3, 4, 4]],
  },
  {
    name: 'BatchNorm1d train',
    make: () => new nn.BatchNorm1d(3),
    py: 'nn.BatchNorm1d(3)',
    inputs: [[6, 3]],
    train: true,
  },
  {
    name: 'BatchNorm2d train',
    make: () => new nn.BatchNorm2d(3, { momentum: 0.3 }),
    py: 'nn.BatchNorm2d(3, momentum=0.3)',
    inputs: [[4, 3, 2, 2]],
    train: true,
  },
  {
    name: 'BatchNorm2d cumulative average',
    make: () => new nn.BatchNorm2d(2, { momentum: null }),
    py: 'nn.BatchNorm2d(2, momentum=None)',
    inputs: [[3, 2, 2, 2]],
    train: true,
  },
  { name: 'BatchNorm2d eval', make: () => new nn.BatchNorm2d(3), py: 'nn.BatchNorm2d(3)', inputs: [[2, 3, 2, 2]] },
  { name: 'LayerNorm', make: () => new nn.LayerNorm([4, 5]), py: 'nn.LayerNorm([4, 5])', inputs: [[3, 4, 5]] },
  { name: 'GroupNorm', make: () => new nn.GroupNorm(2, 4), py: 'nn.GroupNorm(2, 4)', inputs: [[3, 4, 3, 3]] },
  {
    name: 'Embedding with paddingIdx',
    make: () => new nn.Embedding(6, 3, { paddingIdx: 0 }),
    py: 'nn.Embedding(6, 3, padding_idx=0)',
    inputs: [idx([0, 2, 5, 2, 0, 1], [2, 3])],
  },
  {
    name: 'Embedding with scaleGradByFreq: gradients divided by each index count',
    make: () => new nn.Embedding(6, 3, { scaleGradByFreq: true }),
    py: 'nn.Embedding(6, 3, scale_grad_by_freq=True)',
    inputs: [idx([4, 2, 4, 2, 4, 1], [2, 3])],
  },
  { name: 'MaxPool2d', make: () => new nn.MaxPool2d(2), py: 'nn.MaxPool2d(2)', inputs: [[2, 2, 6, 6]] },
  {
    name: 'MaxPool2d stride, padding, ceil',
    make: () => new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
    py: 'nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)',
    inputs: [[1, 2, 7, 7]],
  },
  {
    name: 'AvgPool2d',
    make: () => new nn.AvgPool2d(2, { padding: 1 }),
    py: 'nn.AvgPool2d(2, padding=1)',
    inputs: [[1, 2, 5, 5]],
  },
  {
    name: 'AdaptiveAvgPool2d',
    make: () => new nn.AdaptiveAvgPool2d([2, 3]),
    py: 'nn.AdaptiveAvgPool2d((2, 3))',
    inputs: [[2, 2, 5, 7]],
  },
  { name: 'Flatten', make: () => new nn.Flatten(), py: 'nn.Flatten()', inputs: [[2, 3, 4]] },
  { name: 'ReLU', make: () => new nn.ReLU(), py: 'nn.ReLU()', inputs: [[10]] },
  {
    name: 'GELU tanh',
    make: () => new nn.GELU({ approximate: 'tanh' }),
    py: "nn.GELU(approximate='tanh')",
    inputs: [[10]],
  },
  { name: 'SiLU', make: () => new nn.SiLU(), py: 'nn.SiLU()', inputs: [[10]] },
  { name: 'Sigmoid', make: () => new nn.Sigmoid(), py: 'nn.Sigmoid()', inputs: [[10]] },
  { name: 'Tanh', make: () => new nn.Tanh(), py: 'nn.Tanh()', inputs: [[10]] },
  {
    name: 'LeakyReLU',
    make: () => new nn.LeakyReLU({ negativeSlope: 0.2 }),
    py: 'nn.LeakyReLU(negative_slope=0.2)',
    inputs: [[10]],
  },
  { name: 'Softmax', make: () => new nn.Softmax(1), py: 'nn.Softmax(dim=1)', inputs: [[3, 4]] },
  {
    name: 'Sequential',
    make: () => new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2)),
    py: 'nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))',
    inputs: [[3, 4]],
  },
  {
    name: 'MultiheadAttention with weights and masks',
    make: () => new nn.MultiheadAttention(8, 2),
    py: 'nn.MultiheadAttention(8, 2)',
    inputs: [
      [5, 2, 8],
      [4, 2, 8],
      [4, 2, 8],
    ],
    call: (m, [q, k, v]) =>
      (m as torch.nn.MultiheadAttention).forward(q as torch.Tensor, k as torch.Tensor, v as torch.Tensor, {
        keyPaddingMask: torch.tensor([
          [false, false, false, true],
          [false, true, false, false],
        ]),
      })[0],
    pyCall: 'm(*xs, key_padding_mask=torch.tensor([[False, False, False, True], [False, True, False, False]]))[0]',
    noRepr: true,
  },
  {
    name: 'MultiheadAttention self-attention, batch first, no weights, causal mask',
    make: () => new nn.MultiheadAttention(8, 4, { batchFirst: true }),
    py: 'nn.MultiheadAttention(8, 4, batch_first=True)',
    inputs: [[2, 5, 8]],
    call: (m, [x]) =>
      (m as torch.nn.MultiheadAttention).forward(x as torch.Tensor, x as torch.Tensor, x as torch.Tensor, {
        needWeights: false,
        attnMask: torch.ones([5, 5], { dtype: 'bool' }).triu(1),
      })[0],
    pyCall: 'm(xs[0], xs[0], xs[0], need_weights=False, attn_mask=torch.ones(5, 5, dtype=torch.bool).triu(1))[0]',
    noRepr: true,
  },
  {
    name: 'TransformerEncoderLayer',
    make: () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 }),
    py: 'nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)',
    inputs: [[5, 3, 8]],
    train: true,
    noRepr: true,
  },
  {
    name: 'TransformerEncoderLayer norm first, gelu, batch first',
    make: () =>
      new nn.TransformerEncoderLayer(8, 2, {
        dimFeedforward: 12,
        dropout: 0,
        normFirst: true,
        activation: 'gelu',
        batchFirst: true,
      }),
    py: "nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, dropout=0.0, norm_first=True, activation='gelu', batch_first=True)",
    inputs: [[3, 5, 8]],
    train: true,
    noRepr: true,
  },
  {
    name: 'CrossEntropyLoss with weight and label smoothing',
    make: () =>
      new nn.CrossEntropyLoss({ weight: torch.tensor([1, 2, 0.5], { dtype: 'float64' }), labelSmoothing: 0.1 }),
    py: 'nn.CrossEntropyLoss(weight=torch.tensor([1, 2, 0.5], dtype=torch.float64), label_smoothing=0.1)',
    inputs: [[4, 3], idx([0, 2, 1, 2])],
  },
  {
    name: 'NLLLoss',
    make: () => new nn.NLLLoss({ ignoreIndex: 1 }),
    py: 'nn.NLLLoss(ignore_index=1)',
    inputs: [[4, 3], idx([0, 2, 1, 2])],
  },
  {
    name: 'MSELoss',
    make: () => new nn.MSELoss(),
    py: 'nn.MSELoss()',
    inputs: [
      [4, 3],
      [4, 3],
    ],
  },
  {
    name: 'L1Loss sum',
    make: () => new nn.L1Loss({ reduction: 'sum' }),
    py: "nn.L1Loss(reduction='sum')",
    inputs: [
      [4, 3],
      [4, 3],
    ],
  },
  {
    name: 'BCEWithLogitsLoss',
    make: () => new nn.BCEWithLogitsLoss({ posWeight: torch.tensor([2, 0.5, 1], { dtype: 'float64' }) }),
    py: 'nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2, 0.5, 1], dtype=torch.float64))',
    inputs: [[4, 3], () => torch.rand([4, 3], { dtype: 'float64' })],
  },
  // ---- activations (boundary values where PyTorch's gradient has a rule there)
  { name: 'ELU', make: () => new nn.ELU(), py: 'nn.ELU()', inputs: [[10]] },
  {
    name: 'ELU alpha 0.5, at 0',
    make: () => new nn.ELU({ alpha: 0.5 }),
    py: 'nn.ELU(alpha=0.5)',
    inputs: [vec([-3, -0.5, 0, 0.25, 2, -20, 1e-300, -1e-300])],
  },
  {
    name: 'CELU alpha 0.7, at 0',
    make: () => new nn.CELU({ alpha: 0.7 }),
    py: 'nn.CELU(alpha=0.7)',
    inputs: [vec([-3, -0.5, 0, 0.25, 2, -20, 1e-300, -1e-300, 5])],
  },
  {
    name: 'SELU, at 0',
    make: () => new nn.SELU(),
    py: 'nn.SELU()',
    inputs: [vec([-3, -0.5, 0, 0.25, 2, -20, 1e-300, -1e-300, 5, -1])],
  },
  {
    name: 'ReLU6 at its corners',
    make: () => new nn.ReLU6(),
    py: 'nn.ReLU6()',
    inputs: [vec([-1, 0, 0.5, 3, 6, 7, 5.999, 1e-9])],
  },
  {
    name: 'Hardtanh',
    make: () => new nn.Hardtanh({ minVal: -2, maxVal: 1.5 }),
    py: 'nn.Hardtanh(min_val=-2.0, max_val=1.5)',
    inputs: [vec([-3, -2, -1, 0, 1.5, 2, 1.4, -1.9])],
  },
  {
    name: 'Softplus beta, threshold',
    make: () => new nn.Softplus({ beta: 2, threshold: 5 }),
    py: 'nn.Softplus(beta=2.0, threshold=5.0)',
    inputs: [vec([-3, -0.5, 0, 1, 2.4, 2.5, 2.6, 10])],
  },
  { name: 'Mish', make: () => new nn.Mish(), py: 'nn.Mish()', inputs: [[10]] },
  { name: 'LogSoftmax', make: () => new nn.LogSoftmax(1), py: 'nn.LogSoftmax(dim=1)', inputs: [[3, 4]] },
  { name: 'Softmin', make: () => new nn.Softmin(0), py: 'nn.Softmin(dim=0)', inputs: [[3, 4]] },
  { name: 'Softsign', make: () => new nn.Softsign(), py: 'nn.Softsign()', inputs: [[10]] },
  { name: 'Tanhshrink', make: () => new nn.Tanhshrink(), py: 'nn.Tanhshrink()', inputs: [[10]] },
  {
    name: 'Hardswish, at ±3',
    make: () => new nn.Hardswish(),
    py: 'nn.Hardswish()',
    inputs: [vec([-3, 3, -4, 4, -2.9, 2.9, 0, -1, 0.5, 1.5, -3.5, 10])],
  },
  {
    name: 'Hardsigmoid, at ±3',
    make: () => new nn.Hardsigmoid(),
    py: 'nn.Hardsigmoid()',
    inputs: [vec([-3, 3, -4, 4, -2.9, 2.9, 0, -1, 0.5, 1.5, -3.5, 10])],
  },
  {
    name: 'LogSigmoid, at 0',
    make: () => new nn.LogSigmoid(),
    py: 'nn.LogSigmoid()',
    inputs: [vec([0, -1, 1, -30, 30, -800, 800, 0.5, -0.25, 3])],
  },
  { name: 'PReLU', make: () => new nn.PReLU(), py: 'nn.PReLU()', inputs: [[2, 3, 4]] },
  {
    name: 'PReLU per channel',
    make: () => {
      const m = new nn.PReLU({ numParameters: 3, init: 0.1 });
      torch.noGrad(() => m.weight.copy_(torch.tensor([0.1, -0.2, 0.5])));
      return m;
    },
    py: 'nn.PReLU(num_parameters=3, init=0.1)',
    inputs: [[2, 3, 4, 2]],
  },
  { name: 'GLU', make: () => new nn.GLU(), py: 'nn.GLU()', inputs: [[4, 6]] },
  { name: 'GLU dim 1', make: () => new nn.GLU(1), py: 'nn.GLU(dim=1)', inputs: [[2, 4, 3]] },
  {
    name: 'Threshold, at the threshold',
    make: () => new nn.Threshold(0.1, 20),
    py: 'nn.Threshold(0.1, 20.0)',
    inputs: [vec([0.1, 0.2, -1, 0, 3, 0.1000001, 0.0999999])],
  },
  // ---- padding
  {
    name: 'ConstantPad1d',
    make: () => new nn.ConstantPad1d(2, 3.5),
    py: 'nn.ConstantPad1d(2, 3.5)',
    inputs: [[2, 3, 4]],
  },
  {
    name: 'ConstantPad2d, cropping too',
    make: () => new nn.ConstantPad2d([1, 0, 2, -1], -1.5),
    py: 'nn.ConstantPad2d((1, 0, 2, -1), -1.5)',
    inputs: [[1, 2, 3, 3]],
  },
  {
    name: 'ConstantPad3d',
    make: () => new nn.ConstantPad3d(1, 0.5),
    py: 'nn.ConstantPad3d(1, 0.5)',
    inputs: [[1, 1, 2, 2, 2]],
  },
  { name: 'ZeroPad1d', make: () => new nn.ZeroPad1d([1, 2]), py: 'nn.ZeroPad1d((1, 2))', inputs: [[2, 3, 4]] },
  { name: 'ZeroPad2d', make: () => new nn.ZeroPad2d(1), py: 'nn.ZeroPad2d(1)', inputs: [[1, 2, 3, 3]] },
  {
    name: 'ZeroPad3d',
    make: () => new nn.ZeroPad3d([1, 0, 0, 1, 1, 0]),
    py: 'nn.ZeroPad3d((1, 0, 0, 1, 1, 0))',
    inputs: [[1, 2, 2, 2]],
  },
  { name: 'ReflectionPad1d', make: () => new nn.ReflectionPad1d(2), py: 'nn.ReflectionPad1d(2)', inputs: [[2, 3, 5]] },
  {
    name: 'ReflectionPad2d',
    make: () => new nn.ReflectionPad2d([1, 2, 2, 1]),
    py: 'nn.ReflectionPad2d((1, 2, 2, 1))',
    inputs: [[1, 2, 4, 4]],
  },
  {
    name: 'ReflectionPad3d',
    make: () => new nn.ReflectionPad3d(1),
    py: 'nn.ReflectionPad3d(1)',
    inputs: [[1, 1, 3, 3, 3]],
  },
  {
    name: 'ReplicationPad1d',
    make: () => new nn.ReplicationPad1d([3, 1]),
    py: 'nn.ReplicationPad1d((3, 1))',
    inputs: [[2, 3, 4]],
  },
  {
    name: 'ReplicationPad2d (unbatched)',
    make: () => new nn.ReplicationPad2d(2),
    py: 'nn.ReplicationPad2d(2)',
    inputs: [[2, 3, 3]],
  },
  {
    name: 'ReplicationPad3d',
    make: () => new nn.ReplicationPad3d(1),
    py: 'nn.ReplicationPad3d(1)',
    inputs: [[1, 1, 2, 3, 3]],
  },
  // ---- resampling and rearranging
  {
    name: 'Upsample nearest ×2',
    make: () => new nn.Upsample({ scaleFactor: 2 }),
    py: 'nn.Upsample(scale_factor=2)',
    inputs: [[1, 2, 3, 3]],
  },
  {
    name: 'Upsample bilinear to a size',
    make: () => new nn.Upsample({ size: [5, 7], mode: 'bilinear' }),
    py: "nn.Upsample(size=(5, 7), mode='bilinear')",
    inputs: [[1, 2, 3, 4]],
  },
  {
    name: 'Upsample bilinear, aligned corners, fractional factor',
    make: () => new nn.Upsample({ scaleFactor: 1.5, mode: 'bilinear', alignCorners: true }),
    py: "nn.Upsample(scale_factor=1.5, mode='bilinear', align_corners=True)",
    inputs: [[1, 1, 4, 5]],
  },
  {
    name: 'Upsample bicubic, a factor per dim',
    make: () => new nn.Upsample({ scaleFactor: [1.7, 2.3], mode: 'bicubic' }),
    py: "nn.Upsample(scale_factor=(1.7, 2.3), mode='bicubic')",
    inputs: [[1, 2, 3, 3]],
  },
  {
    name: 'Upsample bilinear, recomputed scale factor',
    make: () => new nn.Upsample({ scaleFactor: 1.7, mode: 'bilinear', recomputeScaleFactor: true }),
    py: "nn.Upsample(scale_factor=1.7, mode='bilinear', recompute_scale_factor=True)",
    inputs: [[1, 2, 3, 4]],
  },
  {
    name: 'Upsample linear (1-d) to a size',
    make: () => new nn.Upsample({ size: 7, mode: 'linear' }),
    py: "nn.Upsample(size=7, mode='linear')",
    inputs: [[2, 3, 4]],
  },
  {
    name: 'Upsample nearest-exact',
    make: () => new nn.Upsample({ scaleFactor: 1.5, mode: 'nearest-exact' }),
    py: "nn.Upsample(scale_factor=1.5, mode='nearest-exact')",
    inputs: [[1, 2, 4, 3]],
  },
  {
    name: 'UpsamplingNearest2d',
    make: () => new nn.UpsamplingNearest2d({ scaleFactor: 2 }),
    py: 'nn.UpsamplingNearest2d(scale_factor=2)',
    inputs: [[1, 2, 2, 3]],
  },
  {
    name: 'UpsamplingBilinear2d',
    make: () => new nn.UpsamplingBilinear2d({ size: [5, 6] }),
    py: 'nn.UpsamplingBilinear2d(size=(5, 6))',
    inputs: [[1, 2, 3, 3]],
  },
  { name: 'PixelShuffle', make: () => new nn.PixelShuffle(2), py: 'nn.PixelShuffle(2)', inputs: [[2, 8, 3, 2]] },
  {
    name: 'PixelShuffle, two batch dims',
    make: () => new nn.PixelShuffle(3),
    py: 'nn.PixelShuffle(3)',
    inputs: [[2, 1, 9, 2, 2]],
  },
  { name: 'PixelUnshuffle', make: () => new nn.PixelUnshuffle(2), py: 'nn.PixelUnshuffle(2)', inputs: [[2, 2, 4, 6]] },
  { name: 'ChannelShuffle', make: () => new nn.ChannelShuffle(2), py: 'nn.ChannelShuffle(2)', inputs: [[2, 6, 3, 3]] },
  { name: 'ChannelShuffle 3-D', make: () => new nn.ChannelShuffle(3), py: 'nn.ChannelShuffle(3)', inputs: [[2, 6, 4]] },
  // ---- pooling
  {
    name: 'AdaptiveMaxPool2d',
    make: () => new nn.AdaptiveMaxPool2d([2, 3]),
    py: 'nn.AdaptiveMaxPool2d((2, 3))',
    inputs: [[2, 2, 5, 7]],
  },
  {
    name: 'AdaptiveMaxPool2d, None keeps a size (3-D input)',
    make: () => new nn.AdaptiveMaxPool2d([3, null]),
    py: 'nn.AdaptiveMaxPool2d((3, None))',
    inputs: [[2, 5, 4]],
  },
  {
    name: 'AdaptiveMaxPool2d returnIndices',
    make: () => new nn.AdaptiveMaxPool2d(3, { returnIndices: true }),
    py: 'nn.AdaptiveMaxPool2d(3, return_indices=True)',
    inputs: [[1, 2, 7, 5]],
    call: (m, [x]) => (m as torch.nn.AdaptiveMaxPool2d<true>).forward(x as torch.Tensor)[0],
    pyCall: 'm(*xs)[0]',
  },
  {
    name: 'MaxPool1d stride, padding',
    make: () => new nn.MaxPool1d(3, { stride: 2, padding: 1 }),
    py: 'nn.MaxPool1d(3, stride=2, padding=1)',
    inputs: [[2, 3, 9]],
  },
  {
    name: 'MaxPool1d ceil mode, 2-D input',
    make: () => new nn.MaxPool1d(2, { ceilMode: true }),
    py: 'nn.MaxPool1d(2, ceil_mode=True)',
    inputs: [[2, 7]],
  },
  {
    name: 'MaxPool1d dilation',
    make: () => new nn.MaxPool1d(3, { dilation: 2, stride: 1 }),
    py: 'nn.MaxPool1d(3, dilation=2, stride=1)',
    inputs: [[1, 2, 10]],
  },
  {
    name: 'AvgPool1d stride, padding',
    make: () => new nn.AvgPool1d(3, { stride: 2, padding: 1 }),
    py: 'nn.AvgPool1d(3, stride=2, padding=1)',
    inputs: [[2, 3, 8]],
  },
  {
    name: 'AvgPool1d ceil mode, padding not counted',
    make: () => new nn.AvgPool1d(2, { ceilMode: true, countIncludePad: false, padding: 1 }),
    py: 'nn.AvgPool1d(2, ceil_mode=True, count_include_pad=False, padding=1)',
    inputs: [[2, 7]],
  },
  // ---- losses (every float input, targets included, gets its gradient compared)
  {
    name: 'BCELoss with a broadcast weight',
    make: () => new nn.BCELoss({ weight: torch.tensor([1, 2, 0.5], { dtype: 'float64' }) }),
    py: 'nn.BCELoss(weight=torch.tensor([1, 2, 0.5], dtype=torch.float64))',
    inputs: [probs([4, 3]), probs([4, 3])],
  },
  {
    name: 'BCELoss sum',
    make: () => new nn.BCELoss({ reduction: 'sum' }),
    py: "nn.BCELoss(reduction='sum')",
    inputs: [probs([5]), probs([5])],
  },
  {
    name: 'SmoothL1Loss beta',
    make: () => new nn.SmoothL1Loss({ beta: 0.5 }),
    py: 'nn.SmoothL1Loss(beta=0.5)',
    inputs: [
      [4, 3],
      [4, 3],
    ],
  },
  {
    name: 'HuberLoss delta',
    make: () => new nn.HuberLoss({ delta: 0.7 }),
    py: 'nn.HuberLoss(delta=0.7)',
    inputs: [
      [4, 3],
      [4, 3],
    ],
  },
  {
    name: 'HuberLoss sum, |x - y| at delta',
    make: () => new nn.HuberLoss({ reduction: 'sum', delta: 0.5 }),
    py: "nn.HuberLoss(reduction='sum', delta=0.5)",
    inputs: [vec([0.5, -0.5, 0, 1, -2, 0.25, 3]), vec([0, 0, 0, 0.5, -1.5, 0.5, 0])],
  },
  {
    name: 'KLDivLoss batchmean',
    make: () => new nn.KLDivLoss({ reduction: 'batchmean' }),
    py: "nn.KLDivLoss(reduction='batchmean')",
    inputs: [logProbs([3, 4]), () => torch.rand([3, 4], { dtype: 'float64' }).add(0.01)],
  },
  {
    name: 'KLDivLoss log target, sum',
    make: () => new nn.KLDivLoss({ reduction: 'sum', logTarget: true }),
    py: "nn.KLDivLoss(reduction='sum', log_target=True)",
    inputs: [logProbs([3, 4]), logProbs([3, 4])],
  },
  {
    name: 'SoftMarginLoss',
    make: () => new nn.SoftMarginLoss(),
    py: 'nn.SoftMarginLoss()',
    inputs: [[4, 3], signs([4, 3])],
    noGrad: [1],
  },
  {
    name: 'MarginRankingLoss margin',
    make: () => new nn.MarginRankingLoss({ margin: 0.2 }),
    py: 'nn.MarginRankingLoss(margin=0.2)',
    inputs: [[6], [6], signs([6])],
  },
  {
    name: 'CosineEmbeddingLoss margin',
    make: () => new nn.CosineEmbeddingLoss({ margin: 0.3 }),
    py: 'nn.CosineEmbeddingLoss(margin=0.3)',
    inputs: [[6, 5], [6, 5], vec([1, -1, 1, -1, -1, 1])],
  },
  {
    name: 'GaussianNLLLoss full, var below eps',
    make: () => new nn.GaussianNLLLoss({ full: true, eps: 1e-2 }),
    py: 'nn.GaussianNLLLoss(full=True, eps=1e-2)',
    inputs: [[4, 3], [4, 3], () => torch.rand([4, 3], { dtype: 'float64' }).mul(0.05)],
  },
  {
    name: 'GaussianNLLLoss homoscedastic var (one dim short)',
    make: () => new nn.GaussianNLLLoss({ reduction: 'sum' }),
    py: "nn.GaussianNLLLoss(reduction='sum')",
    inputs: [[4, 3], [4, 3], () => torch.rand([4], { dtype: 'float64' }).add(0.5)],
  },
  {
    name: 'PoissonNLLLoss',
    make: () => new nn.PoissonNLLLoss(),
    py: 'nn.PoissonNLLLoss()',
    inputs: [[4, 3], () => torch.rand([4, 3], { dtype: 'float64' }).mul(4)],
  },
  {
    name: 'PoissonNLLLoss rates, full (Stirling where target > 1)',
    make: () => new nn.PoissonNLLLoss({ logInput: false, full: true }),
    py: 'nn.PoissonNLLLoss(log_input=False, full=True)',
    inputs: [
      () => torch.rand([4, 3], { dtype: 'float64' }).add(0.1),
      () => torch.rand([4, 3], { dtype: 'float64' }).mul(4),
    ],
  },
];

describeLayerParity('nn layers against PyTorch (float64)', cases);

// ---- nn.functional against PyTorch: options the module cases do not reach (reductions, beta,
// delta, logTarget, var as a number, returned indices), and float32 where a constant's rounding
// (float coefficients, ATen's float 1/6) decides the value.

const F = nn.functional;

const fcases: FunctionalCase[] = [
  {
    name: 'huberLoss none, delta 0.5',
    inputs: [
      [4, 3],
      [4, 3],
    ],
    ours: ([a, b]) => F.huberLoss(a as torch.Tensor, b as torch.Tensor, { reduction: 'none', delta: 0.5 }),
    py: "F.huber_loss(xs[0], xs[1], reduction='none', delta=0.5)",
  },
  {
    name: 'huberLoss with weight',
    inputs: [[4, 3], [4, 3], probs([4, 3])],
    ours: ([a, b, w]) => F.huberLoss(a as torch.Tensor, b as torch.Tensor, { delta: 1.5, weight: w as torch.Tensor }),
    py: 'F.huber_loss(xs[0], xs[1], delta=1.5, weight=xs[2])',
  },
  {
    name: 'smoothL1Loss beta 0 is the L1 loss (gradient at x == y)',
    inputs: [vec([1, 2, 3, -1, 0.5]), vec([1, 0, 3, 2, 0.5])],
    ours: ([a, b]) => F.smoothL1Loss(a as torch.Tensor, b as torch.Tensor, { reduction: 'none', beta: 0 }),
    py: "F.smooth_l1_loss(xs[0], xs[1], reduction='none', beta=0.0)",
  },
  {
    name: 'smoothL1Loss sum, beta 2',
    inputs: [
      [5, 2],
      [5, 2],
    ],
    ours: ([a, b]) => F.smoothL1Loss(a as torch.Tensor, b as torch.Tensor, { reduction: 'sum', beta: 2 }),
    py: "F.smooth_l1_loss(xs[0], xs[1], reduction='sum', beta=2.0)",
  },
  {
    name: 'klDiv none, zeros in the target',
    inputs: [logProbs([2, 4]), v2([0, 0.5, 0.25, 0.25, 0.1, 0, 0.9, 0], [2, 4])],
    ours: ([a, b]) => F.klDiv(a as torch.Tensor, b as torch.Tensor, { reduction: 'none' }),
    py: "F.kl_div(xs[0], xs[1], reduction='none')",
  },
  {
    name: 'klDiv mean, log target',
    inputs: [logProbs([3, 4]), logProbs([3, 4])],
    ours: ([a, b]) => F.klDiv(a as torch.Tensor, b as torch.Tensor, { logTarget: true }),
    py: 'F.kl_div(xs[0], xs[1], log_target=True)',
  },
  {
    name: 'klDiv batchmean, 3-D',
    inputs: [logProbs([2, 3, 4]), () => torch.rand([2, 3, 4], { dtype: 'float64' })],
    ours: ([a, b]) => F.klDiv(a as torch.Tensor, b as torch.Tensor, { reduction: 'batchmean' }),
    py: "F.kl_div(xs[0], xs[1], reduction='batchmean')",
  },
  {
    name: 'softMarginLoss none, broadcast target',
    inputs: [[4, 3], signs([3])],
    ours: ([a, b]) => F.softMarginLoss(a as torch.Tensor, b as torch.Tensor, { reduction: 'none' }),
    py: "F.soft_margin_loss(xs[0], xs[1], reduction='none')",
    noGrad: [1],
  },
  {
    name: 'marginRankingLoss none, margin 0.5',
    inputs: [[6], [6], signs([6])],
    ours: ([a, b, y]) =>
      F.marginRankingLoss(a as torch.Tensor, b as torch.Tensor, y as torch.Tensor, { margin: 0.5, reduction: 'none' }),
    py: "F.margin_ranking_loss(xs[0], xs[1], xs[2], margin=0.5, reduction='none')",
  },
  {
    name: 'cosineEmbeddingLoss, 0-D target',
    inputs: [[5], [5], () => torch.tensor(-1, { dtype: 'float64' })],
    ours: ([a, b, y]) =>
      F.cosineEmbeddingLoss(a as torch.Tensor, b as torch.Tensor, y as torch.Tensor, {
        margin: -0.5,
        reduction: 'none',
      }),
    py: "F.cosine_embedding_loss(xs[0], xs[1], xs[2], margin=-0.5, reduction='none')",
  },
  {
    name: 'cosineEmbeddingLoss sum, a target neither 1 nor -1',
    inputs: [[4, 3], [4, 3], vec([1, -1, 0, 1])],
    ours: ([a, b, y]) =>
      F.cosineEmbeddingLoss(a as torch.Tensor, b as torch.Tensor, y as torch.Tensor, { reduction: 'sum' }),
    py: "F.cosine_embedding_loss(xs[0], xs[1], xs[2], reduction='sum')",
  },
  {
    name: 'gaussianNllLoss, var a number',
    inputs: [
      [4, 3],
      [4, 3],
    ],
    ours: ([a, b]) => F.gaussianNllLoss(a as torch.Tensor, b as torch.Tensor, 0.5, { reduction: 'none' }),
    py: "F.gaussian_nll_loss(xs[0], xs[1], 0.5, reduction='none')",
  },
  {
    name: 'gaussianNllLoss, var of size 1 in one dim, full',
    inputs: [[4, 3], [4, 3], () => torch.rand([4, 1], { dtype: 'float64' }).add(0.2)],
    ours: ([a, b, v]) => F.gaussianNllLoss(a as torch.Tensor, b as torch.Tensor, v as torch.Tensor, { full: true }),
    py: 'F.gaussian_nll_loss(xs[0], xs[1], xs[2], full=True)',
  },
  {
    name: 'poissonNllLoss none, full',
    inputs: [[4, 3], () => torch.rand([4, 3], { dtype: 'float64' }).mul(5)],
    ours: ([a, b]) => F.poissonNllLoss(a as torch.Tensor, b as torch.Tensor, { full: true, reduction: 'none' }),
    py: "F.poisson_nll_loss(xs[0], xs[1], full=True, reduction='none')",
  },
  {
    name: 'poissonNllLoss rates, eps, sum',
    inputs: [() => torch.rand([4, 3], { dtype: 'float64' }), () => torch.rand([4, 3], { dtype: 'float64' }).mul(3)],
    ours: ([a, b]) =>
      F.poissonNllLoss(a as torch.Tensor, b as torch.Tensor, { logInput: false, eps: 0.5, reduction: 'sum' }),
    py: "F.poisson_nll_loss(xs[0], xs[1], log_input=False, eps=0.5, reduction='sum')",
  },
  {
    name: 'adaptiveMaxPool2d indices: ties, NaN, -inf',
    inputs: [mixed([1, 2, 5, 6])],
    ours: ([x]) => F.adaptiveMaxPool2d(x as torch.Tensor, [2, 3], { returnIndices: true }),
    py: 'F.adaptive_max_pool2d(xs[0], (2, 3), return_indices=True)',
  },
  {
    name: 'adaptiveMaxPool2d indices: one-element windows, all -inf ones included',
    inputs: [mixed([2, 4, 5])],
    ours: ([x]) => F.adaptiveMaxPool2dWithIndices(x as torch.Tensor, [4, 5]),
    py: 'F.adaptive_max_pool2d(xs[0], (4, 5), return_indices=True)',
  },
  {
    name: 'adaptiveMaxPool2d indices: overlapping windows, None',
    inputs: [[2, 3, 7, 5]],
    ours: ([x]) => F.adaptiveMaxPool2d(x as torch.Tensor, [3, null], { returnIndices: true }),
    py: 'F.adaptive_max_pool2d(xs[0], (3, None), return_indices=True)',
  },
  {
    name: 'maxPool1d indices: padding, ties, NaN, windows of -inf',
    // Two NaNs in a row (the last one is the index), a run of -inf at each row's start.
    inputs: [
      mixed(
        [2, 3, 9],
        (i) => i % 9 === 4 || i % 9 === 5,
        (i) => i % 9 < 2 || i % 11 === 5,
      ),
    ],
    ours: ([x]) => F.maxPool1d(x as torch.Tensor, 3, { stride: 2, padding: 1, returnIndices: true }),
    py: 'F.max_pool1d(xs[0], 3, stride=2, padding=1, return_indices=True)',
  },
  {
    name: 'maxPool1d indices: dilation, ceil mode',
    inputs: [
      mixed(
        [1, 2, 12],
        (i) => i % 12 === 7 || i % 12 === 9,
        (i) => i % 12 < 3,
      ),
    ],
    ours: ([x]) =>
      F.maxPool1d(x as torch.Tensor, 3, { stride: 2, padding: 1, dilation: 2, ceilMode: true, returnIndices: true }),
    py: 'F.max_pool1d(xs[0], 3, stride=2, padding=1, dilation=2, ceil_mode=True, return_indices=True)',
  },
  {
    name: 'maxPool1dWithIndices, 2-D input',
    inputs: [[3, 8]],
    ours: ([x]) => F.maxPool1dWithIndices(x as torch.Tensor, 2),
    py: 'F.max_pool1d_with_indices(xs[0], 2)',
  },
  {
    name: 'avgPool1d',
    inputs: [[2, 7]],
    ours: ([x]) => F.avgPool1d(x as torch.Tensor, 3, { stride: 1, padding: 1, countIncludePad: false }),
    py: 'F.avg_pool1d(xs[0], 3, stride=1, padding=1, count_include_pad=False)',
  },
  {
    name: 'interpolate, recomputed scale factor (1-d)',
    inputs: [[1, 2, 3]],
    ours: ([x]) => F.interpolate(x as torch.Tensor, { scaleFactor: 2.5, mode: 'linear', recomputeScaleFactor: true }),
    py: "F.interpolate(xs[0], scale_factor=2.5, mode='linear', recompute_scale_factor=True)",
  },
  {
    name: 'glu dim 0',
    inputs: [[4, 3]],
    ours: ([x]) => F.glu(x as torch.Tensor, 0),
    py: 'F.glu(xs[0], 0)',
  },
  {
    name: 'prelu, one weight, 1-D input',
    inputs: [[7], vec([0.3])],
    ours: ([x, w]) => F.prelu(x as torch.Tensor, w as torch.Tensor),
    py: 'F.prelu(xs[0], xs[1])',
  },
  {
    name: 'threshold, negative value',
    inputs: [vec([-1, 0, 1, -0.5, 2])],
    ours: ([x]) => F.threshold(x as torch.Tensor, -0.5, -7),
    py: 'F.threshold(xs[0], -0.5, -7.0)',
  },
  {
    name: 'pixelShuffle and pixelUnshuffle, unbatched',
    inputs: [[8, 2, 3]],
    ours: ([x]) => [F.pixelShuffle(x as torch.Tensor, 2), F.pixelUnshuffle(x as torch.Tensor, 1)],
    py: '(F.pixel_shuffle(xs[0], 2), F.pixel_unshuffle(xs[0], 1))',
  },
  {
    name: 'channelShuffle, 5-D',
    inputs: [[1, 4, 2, 2, 2]],
    ours: ([x]) => F.channelShuffle(x as torch.Tensor, 2),
    py: 'F.channel_shuffle(xs[0], 2)',
  },
  {
    name: 'softmin with a dtype',
    inputs: [[3, 4]],
    ours: ([x]) => F.softmin(x as torch.Tensor, 1, { dtype: 'float32' }),
    py: 'F.softmin(xs[0], 1, dtype=torch.float32)',
    gradTol: 1e-6,
  },
  {
    name: 'relu6, softsign, tanhshrink, logsigmoid',
    inputs: [[9]],
    ours: ([x]) => [
      F.relu6(x as torch.Tensor),
      F.softsign(x as torch.Tensor),
      F.tanhshrink(x as torch.Tensor),
      F.logsigmoid(x as torch.Tensor),
    ],
    py: '(F.relu6(xs[0]), F.softsign(xs[0]), F.tanhshrink(xs[0]), F.logsigmoid(xs[0]))',
  },
];

// To the bit, in float64 and float32 (where float constants in ATen's kernels show): the ops
// that are ATen's (the same kernels as Python's F.* calls) and the compositions that Python
// makes too. The inputs hold each rule's boundary points (±3, 0, the threshold) and values over
// the range.
const EDGES = [-3, 3, 0, -0.5, 0.5, 0.1, -2.9, 2.9, -3.1, 3.1, -1.5, 6, -6, 25, -25, -800, 1e-3, -1e-3];
const exactInput = (dtype: 'float32' | 'float64') => () =>
  torch.cat([torch.tensor(EDGES, { dtype }), torch.randn([64 - EDGES.length], { dtype }).mul(4)]);
const T = (x: torch.Tensor | undefined) => x as torch.Tensor;
const exactCases: [
  string,
  FunctionalCase['ours'],
  string,
  ((dtype: 'float32' | 'float64') => FunctionalCase['inputs'])?,
  number[]?,
][] = [
  ['selu', ([x]) => F.selu(T(x)), 'F.selu(xs[0])'],
  ['celu alpha 0.7', ([x]) => F.celu(T(x), { alpha: 0.7 }), 'F.celu(xs[0], 0.7)'],
  ['celu alpha 1', ([x]) => F.celu(T(x)), 'F.celu(xs[0])'],
  ['relu6', ([x]) => F.relu6(T(x)), 'F.relu6(xs[0])'],
  ['hardswish', ([x]) => F.hardswish(T(x)), 'F.hardswish(xs[0])'],
  ['hardsigmoid', ([x]) => F.hardsigmoid(T(x)), 'F.hardsigmoid(xs[0])'],
  ['logsigmoid', ([x]) => F.logsigmoid(T(x)), 'F.logsigmoid(xs[0])'],
  ['softsign', ([x]) => F.softsign(T(x)), 'F.softsign(xs[0])'],
  ['tanhshrink', ([x]) => F.tanhshrink(T(x)), 'F.tanhshrink(xs[0])'],
  ['threshold', ([x]) => F.threshold(T(x), 0.1, 20), 'F.threshold(xs[0], 0.1, 20.0)'],
  ['glu', ([x]) => F.glu(T(x).reshape([2, 32]), 0), 'F.glu(xs[0].reshape(2, 32), 0)'],
  [
    'prelu per channel',
    ([x, w]) => F.prelu(T(x).reshape([4, 2, 8]), T(w)),
    'F.prelu(xs[0].reshape(4, 2, 8), xs[1])',
    (dtype) => [exactInput(dtype), () => torch.tensor([0.25, -0.1], { dtype })],
  ],
  [
    'huberLoss none',
    ([x, y]) => F.huberLoss(T(x), T(y), { reduction: 'none', delta: 0.7 }),
    "F.huber_loss(xs[0], xs[1], reduction='none', delta=0.7)",
    (dtype) => [exactInput(dtype), () => torch.randn([64], { dtype })],
  ],
  [
    'softMarginLoss mean',
    ([x, y]) => F.softMarginLoss(T(x), T(y)),
    'F.soft_margin_loss(xs[0], xs[1])',
    // (±800 included: exp(−y·x) overflows there, and ATen's gradient is NaN, as Python's.)
    (dtype) => [exactInput(dtype), () => torch.randint(0, 2, [64]).mul(2).sub(1).to({ dtype })],
    [1],
  ],
  [
    'marginRankingLoss none',
    ([a, b, y]) => F.marginRankingLoss(T(a), T(b), T(y), { margin: 0.3, reduction: 'none' }),
    "F.margin_ranking_loss(xs[0], xs[1], xs[2], margin=0.3, reduction='none')",
    (dtype) => [
      exactInput(dtype),
      () => torch.randn([64], { dtype }),
      () => torch.randint(0, 2, [64]).mul(2).sub(1).to({ dtype }),
    ],
  ],
  [
    'cosineEmbeddingLoss none',
    ([a, b, y]) => F.cosineEmbeddingLoss(T(a).reshape([8, 8]), T(b), T(y), { margin: 0.2, reduction: 'none' }),
    "F.cosine_embedding_loss(xs[0].reshape(8, 8), xs[1], xs[2], margin=0.2, reduction='none')",
    (dtype) => [
      exactInput(dtype),
      () => torch.randn([8, 8], { dtype }),
      () => torch.tensor([1, -1, 1, -1, -1, 1, 0, 1], { dtype }),
    ],
  ],
  [
    'klDiv log target, sum',
    ([x, y]) => F.klDiv(T(x), T(y), { reduction: 'sum', logTarget: true }),
    "F.kl_div(xs[0], xs[1], reduction='sum', log_target=True)",
    (dtype) => [exactInput(dtype), () => torch.randn([64], { dtype }).logSoftmax(0)],
  ],
  [
    'poissonNllLoss full, none',
    ([x, y]) => F.poissonNllLoss(T(x), T(y), { full: true, reduction: 'none' }),
    "F.poisson_nll_loss(xs[0], xs[1], full=True, reduction='none')",
    (dtype) => [() => torch.randn([64], { dtype }), () => torch.rand([64], { dtype }).mul(5)],
    // The target's gradient sums five terms, in an order PyTorch's C++ leaves to the compiler.
    [1],
  ],
];
for (const dtype of ['float64', 'float32'] as const) {
  for (const [name, ours, py, inputs, noGrad] of exactCases) {
    fcases.push({
      name: `to the bit (${dtype}): ${name}`,
      inputs: inputs ? inputs(dtype) : [exactInput(dtype)],
      ours,
      py,
      exact: true,
      ...(noGrad ? { noGrad } : {}),
    });
  }
}

describeFunctionalParity('nn.functional against PyTorch', fcases);

describe('ParameterList and ParameterDict against PyTorch', { skip: skipWithoutPython() }, () => {
  class Holder extends nn.Module {
    lin = new nn.Linear(2, 3);
    pl = new nn.ParameterList([
      torch.zeros([3, 4], { dtype: 'float64' }),
      torch.zeros([5]),
      new nn.Parameter(torch.zeros([])),
    ]);
    pd = new nn.ParameterDict({ b: torch.zeros([2]), a: torch.zeros([2, 3], { dtype: 'float64' }) });

    constructor() {
      super();
      this.pl.append(torch.zeros([2, 2]));
      this.pd.set('c', torch.zeros([1]));
      this.pd.update([
        ['z', torch.zeros([3])],
        ['y', torch.zeros([1])],
      ]);
    }

    forward(x: torch.Tensor): torch.Tensor {
      return this.lin.forward(x);
    }
  }

  const PY_HOLDER = `
import torch.nn as nn
class Holder(nn.Module):
    def __init__(s):
        super().__init__()
        s.lin = nn.Linear(2, 3)
        s.pl = nn.ParameterList([torch.zeros(3, 4, dtype=torch.float64), torch.zeros(5), nn.Parameter(torch.zeros(()))])
        s.pd = nn.ParameterDict({'b': torch.zeros(2), 'a': torch.zeros(2, 3, dtype=torch.float64)})
        s.pl.append(torch.zeros(2, 2))
        s.pd['c'] = torch.zeros(1)
        s.pd.update([('z', torch.zeros(3)), ('y', torch.zeros(1))])
h = Holder()
OUTPUT = {
    'repr': repr(h),
    'keys': list(h.state_dict().keys()),
    'params': [n for n, _ in h.named_parameters()],
    'empty': [repr(nn.ParameterList()), repr(nn.ParameterDict())],
}
`;

  test('registration order, state-dict names and repr', () => {
    const h = new Holder();
    const py = runPython<{ repr: string; keys: string[]; params: string[]; empty: string[] }>(PY_HOLDER);
    assert.equal(String(h), py.repr);
    assert.deepEqual(Object.keys(h.stateDict()), py.keys);
    assert.deepEqual(
      h.namedParameters().map(([n]) => n),
      py.params,
    );
    assert.deepEqual([String(new nn.ParameterList()), String(new nn.ParameterDict())], py.empty);
  });

  test('tensors become Parameters sharing their data; state loads; to() converts them', () => {
    const t = torch.ones([2]);
    const pl = new nn.ParameterList([t]);
    const p0 = pl.at(0);
    assert.ok(p0 instanceof nn.Parameter && p0.requiresGrad);
    torch.noGrad(() => p0.add_(1));
    assert.deepEqual(t.toArray(), [2, 2], 'the Parameter shares the tensor it was made from');
    const pd = new nn.ParameterDict(
      new Map([
        ['w', torch.zeros([2])],
        ['b', torch.zeros([1])],
      ]),
    );
    assert.deepEqual(pd.keys(), ['w', 'b'], 'a Map keeps its order');
    pd.loadStateDict({ w: torch.tensor([3, 4]), b: torch.tensor([5]) });
    assert.deepEqual(pd.get('w')?.toArray(), [3, 4]);
    const w = pd.get('w');
    pd.to('float64');
    assert.equal(pd.get('w'), w, 'the same Parameter, converted in place');
    assert.equal(pd.get('w')?.dtype, 'float64');
    assert.equal(pl.parameters().length, 1);
    assert.equal(pd.pop('b').numel(), 1);
    assert.deepEqual(Object.keys(pd.stateDict()), ['w']);
  });

  test('bad entries are clear errors', () => {
    assert.throws(
      () => new nn.ParameterList([3 as unknown as torch.Tensor]),
      (e: Error) => e instanceof TypeError && /^ParameterList.append: only Tensors/.test(e.message),
    );
    assert.throws(() => new nn.ParameterDict({ 'a.b': torch.zeros([1]) }), /parameter name can't contain "\."/);
    assert.throws(() => new nn.ParameterList().at(0), /ParameterList.at: index 0 is out of range for 0 parameters/);
    assert.throws(() => new nn.ParameterDict().forward(), /ParameterDict should not be called/);
  });
});

describe('bad input to the new layers is an Error naming the layer or function', () => {
  const f64 = (shape: number[]) => torch.randn(shape, { dtype: 'float64' });
  const cases: [string, () => unknown, RegExp][] = [
    ['glu odd dim', () => F.glu(f64([3, 5])), /^glu: Halving dimension must be even, but dimension 1 is size 5/],
    ['glu scalar', () => F.glu(f64([])), /^glu: glu does not support scalars/],
    ['glu dim', () => new nn.GLU(3).forward(f64([2, 2])), /^glu: Dimension out of range/],
    [
      'prelu channels',
      () => new nn.PReLU({ numParameters: 3 }).forward(torch.randn([2, 4])),
      /^prelu: Mismatch of parameter numbers and input channel size. Found parameter numbers = 3 and channel size = 4/,
    ],
    [
      'softmin input',
      () => F.softmin(3 as unknown as torch.Tensor, 0),
      /^softmin: argument 'input' must be a Tensor, got a number/,
    ],
    [
      'Hardtanh bounds',
      () => new nn.Hardtanh({ minVal: 1, maxVal: 1 }),
      /^Hardtanh: max_val \(1.0\) must be greater than min_val \(1.0\)/,
    ],
    ['celu alpha 0', () => F.celu(f64([2]), { alpha: 0 }), /^celu: .*alpha cannot be 0/],
    [
      'pixelShuffle channels',
      () => new nn.PixelShuffle(2).forward(f64([1, 6, 2, 2])),
      /^pixelShuffle: .*input.size\(-3\)=6 is not divisible by 4/,
    ],
    [
      'pixelShuffle rank',
      () => F.pixelShuffle(f64([4, 4]), 2),
      /^pixelShuffle: expects input to have at least 3 dimensions/,
    ],
    [
      'pixelUnshuffle height',
      () => new nn.PixelUnshuffle(2).forward(f64([1, 1, 3, 4])),
      /^pixelUnshuffle: expects height to be divisible by downscale_factor, but input.size\(-2\)=3/,
    ],
    [
      'channelShuffle groups',
      () => new nn.ChannelShuffle(4).forward(f64([1, 6, 2])),
      /^channelShuffle: Number of channels must be divisible by groups. Got 6 channels and 4 groups/,
    ],
    [
      'channelShuffle rank',
      () => F.channelShuffle(f64([2, 4]), 2),
      /^channelShuffle: expects input with > 2 dims, but got input with sizes \[2, 4\]$/,
    ],
    [
      'pixelShuffle factor',
      () => F.pixelShuffle(f64([1, 4, 2, 2]), 0),
      /^pixelShuffle: expects a positive upscale_factor, but got 0$/,
    ],
    [
      'avgPool1d rank',
      () => new nn.AvgPool1d(2).forward(f64([1, 1, 2, 4])),
      /^avgPool1d: Expected 2D \(C, L\) or 3D \(N, C, L\) input tensor, but got 4D/,
    ],
    ['maxPool1d rank', () => new nn.MaxPool1d(2).forward(f64([4])), /^maxPool1d: Expected 2D .* but got 1D/],
    [
      'maxPool1d kernel',
      () => F.maxPool1d(f64([1, 4]), [2, 2]),
      /^maxPool1d: kernelSize must be an int or an array of one int/,
    ],
    [
      'adaptiveMaxPool2d rank',
      () => new nn.AdaptiveMaxPool2d(2).forward(f64([4, 4])),
      /^adaptiveMaxPool2d: Expected 3D .* but got 2D/,
    ],
    ['ReflectionPad1d rank', () => new nn.ReflectionPad1d(1).forward(f64([1, 1, 2, 3])), /^ReflectionPad1d: pad: /],
    [
      'ReflectionPad1d too wide',
      () => new nn.ReflectionPad1d(3).forward(f64([1, 1, 3])),
      /^ReflectionPad1d: pad: .*Padding size should be less than/,
    ],
    [
      'ConstantPad2d padding',
      () => new nn.ConstantPad2d([1, 2, 3], 0),
      /^ConstantPad2d: padding must be an integer or an array of 4 integers/,
    ],
    [
      'Upsample recompute with a size',
      () => new nn.Upsample({ size: 4, recomputeScaleFactor: true }).forward(f64([1, 1, 2, 2])),
      /^interpolate: recompute_scale_factor is not meaningful with an explicit size/,
    ],
    [
      'huberLoss delta',
      () => F.huberLoss(f64([2]), f64([2]), { delta: 0 }),
      /^huberLoss: huber_loss does not support non-positive values for delta/,
    ],
    [
      'huberLoss weight',
      () => F.huberLoss(f64([2, 3]), f64([2, 3]), { weight: f64([3]) }),
      /^huberLoss: Weights and input must have the same size/,
    ],
    [
      'reduction',
      () => new nn.HuberLoss({ reduction: 'avg' as 'mean' }).forward(f64([2]), f64([2])),
      /^huberLoss: avg is not a valid value for reduction/,
    ],
    [
      'klDiv integral',
      () => F.klDiv(torch.zeros([2], { dtype: 'int64' }), f64([2]), { reduction: 'sum' }),
      /^klDiv: Integral inputs not supported \(input int64/,
    ],
    [
      'klDiv reduction',
      () => F.klDiv(f64([2]), f64([2]), { reduction: 'batch' as 'sum' }),
      /^klDiv: batch is not a valid value for reduction/,
    ],
    [
      'softMarginLoss target grad',
      () => F.softMarginLoss(f64([2]), f64([2]).requiresGrad_()),
      /^softMarginLoss: The function 'soft_margin_loss' is not differentiable with respect to argument 'target'/,
    ],
    [
      'softMarginLoss target size',
      () => F.softMarginLoss(f64([2]), f64([3, 2])),
      /^softMarginLoss: the target \(size \[3, 2\]\) must broadcast to the input's size \[2\]/,
    ],
    [
      'marginRankingLoss dims',
      () => new nn.MarginRankingLoss().forward(f64([3]), f64([3]), f64([3, 1])),
      /^marginRankingLoss: All input tensors should have same dimension but got sizes: input1: \[3\], input2: \[3\], target: \[3, 1\]/,
    ],
    [
      'cosineEmbeddingLoss dims',
      () => new nn.CosineEmbeddingLoss().forward(f64([3]), f64([3]), f64([3])),
      /^cosineEmbeddingLoss: 1D target tensor expects 2D input tensors, but found inputs with sizes \[3\] and \[3\]/,
    ],
    [
      'poissonNllLoss reduction',
      () => F.poissonNllLoss(f64([2]), f64([2]), { reduction: 'avg' as 'mean' }),
      /^poissonNllLoss: avg is not a valid value for reduction$/,
    ],
    [
      'cosineEmbeddingLoss target',
      () => F.cosineEmbeddingLoss(f64([3, 2]), f64([3, 2]), f64([3, 1])),
      /^cosineEmbeddingLoss: 0D or 1D target tensor expected, multi-target not supported$/,
    ],
    [
      'gaussianNllLoss var size',
      () => new nn.GaussianNLLLoss().forward(f64([4, 3]), f64([4, 3]), torch.ones([2, 3])),
      /^gaussianNllLoss: var is of incorrect size/,
    ],
    [
      'gaussianNllLoss var sign',
      () => F.gaussianNllLoss(f64([2]), f64([2]), -1),
      /^gaussianNllLoss: var has negative entry/,
    ],
    [
      'BCELoss target size',
      () => new nn.BCELoss().forward(torch.rand([2, 3]), torch.rand([3])),
      /^binaryCrossEntropy: Using a target size/,
    ],
  ];
  for (const [name, fn, pattern] of cases) {
    test(name, () => {
      assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof Error, `an Error, got ${String(e)}`);
        assert.match(e.message, pattern);
        return true;
      });
    });
  }
});

describe('default initialisation follows PyTorch', () => {
  test('Linear and Conv2d draw weights and biases within ±1/√fanIn', () => {
    const lin = new nn.Linear(400, 50);
    assert.ok((lin.weight.abs().max().item() as number) <= 1 / Math.sqrt(400));
    assert.ok((lin.weight.abs().max().item() as number) > 0.9 / Math.sqrt(400), 'and fill that range');
    assert.ok((lin.bias?.abs().max().item() as number) <= 1 / Math.sqrt(400));
    const conv = new nn.Conv2d(8, 16, 3);
    assert.ok((conv.weight.abs().max().item() as number) <= 1 / Math.sqrt(72));
  });

  test('init functions: gains, fans, and distributions', () => {
    assert.equal(nn.init.calculateGain('relu'), Math.SQRT2);
    assert.equal(nn.init.calculateGain('tanh'), 5 / 3);
    assert.equal(nn.init.calculateGain('leaky_relu', 0.2), Math.sqrt(2 / 1.04));
    assert.deepEqual(nn.init.calculateFanInAndFanOut(torch.empty([16, 8, 3, 3])), [72, 144]);
    assert.throws(() => nn.init.calculateFanInAndFanOut(torch.empty([3])), /fewer than 2 dimensions/);
    torch.manualSeed(0);
    const w = torch.empty([500, 400]);
    nn.init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' });
    assert.ok(Math.abs((w.std().item() as number) - Math.sqrt(2 / 500)) < 0.002);
    nn.init.xavierUniform_(w);
    assert.ok((w.abs().max().item() as number) <= Math.sqrt(6 / 900));
    nn.init.truncNormal_(w, { std: 0.02, a: -0.03, b: 0.03 });
    assert.ok((w.abs().max().item() as number) <= 0.03);
    const q = torch.empty([6, 4]);
    nn.init.orthogonal_(q);
    const qtq = q.t().matmul(q);
    assert.ok((qtq.sub(torch.eye(4)).abs().max().item() as number) < 1e-5, 'orthonormal columns');
    nn.init.constant_(q, 3);
    assert.equal(q.sum().item(), 72);
  });

  test('a zero-element layer initialises as a no-op, as in PyTorch (nn.Linear(0, 5): empty weight, zero bias)', () => {
    const lin = new nn.Linear(0, 5);
    assert.deepEqual(lin.weight.shape, [5, 0]);
    assert.deepEqual(lin.bias?.toArray(), [0, 0, 0, 0, 0]); // bound = 0 for fan_in 0
    const e = torch.empty([0, 3]);
    assert.equal(nn.init.kaimingNormal_(e), e);
    assert.deepEqual(new nn.Linear(3, 0).forward(torch.ones([2, 3])).shape, [2, 0]);
  });
});
