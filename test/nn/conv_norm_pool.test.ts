// The 3-d and transposed convolutions, BatchNorm3d, InstanceNorm, LocalResponseNorm, RMSNorm, the
// 3-d, adaptive, power-average pools, the max unpools, Fold and Unfold against PyTorch's, through
// the parity harness (test/support/layer_parity.ts): outputs, input and parameter gradients,
// state after the forward pass (running statistics) and repr in float64, then the functional
// forms' options and indices, and a few float32 cases that must be PyTorch's to the bit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import {
  describeFunctionalParity,
  describeLayerParity,
  type FunctionalCase,
  type LayerCase,
  mixed,
} from '../support/layer_parity.js';

const nn = torch.nn;
const F = nn.functional;
type Tensor = torch.Tensor;
const T = (x: Tensor | undefined) => x as Tensor;

/** Positive float64 values (the power-average pools of odd or fractional p). */
const positive = (shape: number[]) => () => torch.rand(shape, { dtype: 'float64' }).add(0.1);

/** A module's forward with more arguments than the input (the output size of ConvTranspose and MaxUnpool). */
const fwd = <R = Tensor>(m: torch.nn.Module, ...args: unknown[]): R =>
  (m.forward as (...a: unknown[]) => R).call(m, ...args);

/**
 * The values and indices of a max pool of a float64 randn input of `shape`, as two inputs: the
 * values (a leaf, for the unpool's gradient) and the int64 indices.
 */
function pooled(shape: number[], pool: (x: Tensor) => [Tensor, Tensor]): [() => Tensor, () => Tensor] {
  let indices: Tensor | undefined;
  return [
    () => {
      const [values, idx] = pool(torch.randn(shape, { dtype: 'float64' }));
      indices = idx;
      return values.detach();
    },
    () => indices as Tensor,
  ];
}

/** A module made, then given one training forward pass in float32 (running statistics that are not the initial ones). */
function trained<M extends torch.nn.Module>(m: M, shape: number[]): M {
  m.train();
  torch.noGrad(() => (m.forward as (x: Tensor) => Tensor)(torch.randn(shape)));
  return m;
}

const cases: LayerCase[] = [
  // ---- convolutions
  {
    name: 'Conv3d',
    make: () => new nn.Conv3d(2, 3, 3, { padding: 1 }),
    py: 'nn.Conv3d(2, 3, 3, padding=1)',
    inputs: [[2, 2, 4, 5, 4]],
  },
  {
    name: 'Conv3d stride, dilation, groups, no bias',
    make: () => new nn.Conv3d(4, 6, [3, 2, 2], { stride: [1, 2, 1], dilation: [1, 1, 2], groups: 2, bias: false }),
    py: 'nn.Conv3d(4, 6, (3, 2, 2), stride=(1, 2, 1), dilation=(1, 1, 2), groups=2, bias=False)',
    inputs: [[1, 4, 5, 6, 7]],
  },
  {
    name: "Conv3d padding 'same' (even kernels, dilation)",
    make: () => new nn.Conv3d(2, 2, [2, 3, 4], { padding: 'same', dilation: [1, 1, 2] }),
    py: "nn.Conv3d(2, 2, (2, 3, 4), padding='same', dilation=(1, 1, 2))",
    inputs: [[1, 2, 4, 5, 9]],
  },
  {
    name: "Conv3d padding 'valid', unbatched input",
    make: () => new nn.Conv3d(2, 3, 2, { padding: 'valid' }),
    py: "nn.Conv3d(2, 3, 2, padding='valid')",
    inputs: [[2, 3, 4, 3]],
  },
  {
    name: 'Conv3d reflect padding',
    make: () => new nn.Conv3d(2, 2, 3, { padding: 1, paddingMode: 'reflect' }),
    py: "nn.Conv3d(2, 2, 3, padding=1, padding_mode='reflect')",
    inputs: [[1, 2, 3, 4, 5]],
  },
  {
    name: 'Conv3d replicate padding, asymmetric sizes',
    make: () => new nn.Conv3d(2, 2, [3, 1, 3], { padding: [2, 0, 1], paddingMode: 'replicate' }),
    py: "nn.Conv3d(2, 2, (3, 1, 3), padding=(2, 0, 1), padding_mode='replicate')",
    inputs: [[1, 2, 3, 3, 4]],
  },
  {
    name: "Conv3d circular padding, padding 'same'",
    make: () => new nn.Conv3d(1, 2, [3, 2, 3], { padding: 'same', paddingMode: 'circular' }),
    py: "nn.Conv3d(1, 2, (3, 2, 3), padding='same', padding_mode='circular')",
    inputs: [[2, 1, 4, 4, 4]],
  },
  {
    name: 'ConvTranspose1d',
    make: () => new nn.ConvTranspose1d(3, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }),
    py: 'nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1, output_padding=1)',
    inputs: [[2, 3, 5]],
  },
  {
    name: 'ConvTranspose1d groups, dilation, no bias',
    make: () => new nn.ConvTranspose1d(4, 6, 3, { groups: 2, dilation: 2, bias: false }),
    py: 'nn.ConvTranspose1d(4, 6, 3, groups=2, dilation=2, bias=False)',
    inputs: [[2, 4, 5]],
  },
  {
    name: 'ConvTranspose1d with an output size',
    make: () => new nn.ConvTranspose1d(3, 2, 3, { stride: 3 }),
    py: 'nn.ConvTranspose1d(3, 2, 3, stride=3)',
    inputs: [[1, 3, 3]],
    call: (m, [x]) => fwd(m, x, [10]),
    pyCall: 'm(xs[0], output_size=[10])',
  },
  {
    name: 'ConvTranspose1d unbatched, output size with the channels',
    make: () => new nn.ConvTranspose1d(3, 2, 3, { stride: 2 }),
    py: 'nn.ConvTranspose1d(3, 2, 3, stride=2)',
    inputs: [[3, 5]],
    call: (m, [x]) => fwd(m, x, [2, 12]),
    pyCall: 'm(xs[0], output_size=[2, 12])',
  },
  {
    name: 'ConvTranspose2d with an output size',
    make: () => new nn.ConvTranspose2d(3, 2, 3, { stride: 2, padding: 1 }),
    py: 'nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)',
    inputs: [[1, 3, 4, 4]],
    call: (m, [x]) => fwd(m, x, [8, 7]),
    pyCall: 'm(xs[0], output_size=[8, 7])',
  },
  {
    name: 'ConvTranspose3d',
    make: () =>
      new nn.ConvTranspose3d(2, 3, [3, 2, 3], { stride: [2, 1, 2], padding: [1, 0, 1], outputPadding: [1, 0, 0] }),
    py: 'nn.ConvTranspose3d(2, 3, (3, 2, 3), stride=(2, 1, 2), padding=(1, 0, 1), output_padding=(1, 0, 0))',
    inputs: [[1, 2, 3, 4, 3]],
  },
  {
    name: 'ConvTranspose3d depthwise, dilation',
    make: () => new nn.ConvTranspose3d(4, 4, 2, { groups: 4, dilation: 2 }),
    py: 'nn.ConvTranspose3d(4, 4, 2, groups=4, dilation=2)',
    inputs: [[1, 4, 3, 3, 3]],
  },
  {
    name: 'ConvTranspose3d with a full output size (N, C, D, H, W)',
    make: () => new nn.ConvTranspose3d(2, 2, 3, { stride: 2 }),
    py: 'nn.ConvTranspose3d(2, 2, 3, stride=2)',
    inputs: [[1, 2, 2, 3, 2]],
    call: (m, [x]) => fwd(m, x, [1, 2, 6, 7, 6]),
    pyCall: 'm(xs[0], output_size=[1, 2, 6, 7, 6])',
  },

  // ---- normalization
  {
    name: 'BatchNorm3d train',
    make: () => new nn.BatchNorm3d(3, { momentum: 0.3 }),
    py: 'nn.BatchNorm3d(3, momentum=0.3)',
    inputs: [[2, 3, 2, 3, 2]],
    train: true,
  },
  {
    name: 'BatchNorm3d train, cumulative average, no affine',
    make: () => new nn.BatchNorm3d(2, { momentum: null, affine: false }),
    py: 'nn.BatchNorm3d(2, momentum=None, affine=False)',
    inputs: [[3, 2, 2, 2, 2]],
    train: true,
  },
  {
    name: 'BatchNorm3d eval (trained running statistics)',
    make: () => trained(new nn.BatchNorm3d(3), [4, 3, 2, 2, 3]),
    py: 'nn.BatchNorm3d(3)',
    inputs: [[2, 3, 2, 2, 2]],
  },
  {
    name: 'BatchNorm3d eval without running statistics, no bias',
    make: () => new nn.BatchNorm3d(2, { trackRunningStats: false, bias: false }),
    py: 'nn.BatchNorm3d(2, track_running_stats=False, bias=False)',
    inputs: [[2, 2, 3, 2, 2]],
  },
  {
    name: 'InstanceNorm1d',
    make: () => new nn.InstanceNorm1d(3),
    py: 'nn.InstanceNorm1d(3)',
    inputs: [[2, 3, 5]],
    train: true,
  },
  {
    name: 'InstanceNorm1d affine, running statistics, train',
    make: () => new nn.InstanceNorm1d(3, { affine: true, trackRunningStats: true, momentum: 0.3 }),
    py: 'nn.InstanceNorm1d(3, affine=True, track_running_stats=True, momentum=0.3)',
    inputs: [[4, 3, 6]],
    train: true,
  },
  {
    name: 'InstanceNorm1d unbatched, running statistics, train',
    make: () => new nn.InstanceNorm1d(2, { trackRunningStats: true }),
    py: 'nn.InstanceNorm1d(2, track_running_stats=True)',
    inputs: [[2, 7]],
    train: true,
  },
  {
    name: 'InstanceNorm2d',
    make: () => new nn.InstanceNorm2d(3, { eps: 1e-3 }),
    py: 'nn.InstanceNorm2d(3, eps=1e-3)',
    inputs: [[2, 3, 4, 5]],
  },
  {
    name: 'InstanceNorm2d eval with trained running statistics',
    make: () => trained(new nn.InstanceNorm2d(3, { trackRunningStats: true, affine: true }), [2, 3, 4, 4]),
    py: 'nn.InstanceNorm2d(3, track_running_stats=True, affine=True)',
    inputs: [[2, 3, 3, 4]],
  },
  {
    name: 'InstanceNorm2d unbatched',
    make: () => new nn.InstanceNorm2d(3, { affine: true }),
    py: 'nn.InstanceNorm2d(3, affine=True)',
    inputs: [[3, 4, 5]],
  },
  {
    name: 'InstanceNorm3d affine without bias',
    make: () => new nn.InstanceNorm3d(2, { affine: true, bias: false }),
    py: 'nn.InstanceNorm3d(2, affine=True, bias=False)',
    inputs: [[2, 2, 3, 3, 3]],
    train: true,
  },
  {
    name: 'InstanceNorm3d running statistics, momentum None, train',
    make: () => new nn.InstanceNorm3d(2, { trackRunningStats: true, momentum: null }),
    py: 'nn.InstanceNorm3d(2, track_running_stats=True, momentum=None)',
    inputs: [[2, 2, 2, 3, 2]],
    train: true,
  },
  {
    name: 'LocalResponseNorm, 3-D input',
    make: () => new nn.LocalResponseNorm(3),
    py: 'nn.LocalResponseNorm(3)',
    inputs: [[2, 5, 7]],
  },
  {
    name: 'LocalResponseNorm alpha, beta, k, even size, 4-D',
    make: () => new nn.LocalResponseNorm(2, { alpha: 0.01, beta: 0.5, k: 2 }),
    py: 'nn.LocalResponseNorm(2, alpha=0.01, beta=0.5, k=2.0)',
    inputs: [[2, 6, 3, 4]],
  },
  {
    name: 'LocalResponseNorm, 5-D, size above the channels',
    make: () => new nn.LocalResponseNorm(7, { alpha: 0.5 }),
    py: 'nn.LocalResponseNorm(7, alpha=0.5)',
    inputs: [[1, 5, 2, 3, 2]],
  },
  {
    name: 'RMSNorm over two dims, weight',
    make: () => {
      const m = new nn.RMSNorm([4, 5]);
      torch.noGrad(() => m.weight?.uniform_({ from: 0.5, to: 1.5 }));
      return m;
    },
    py: 'nn.RMSNorm([4, 5])',
    inputs: [[3, 4, 5]],
  },
  {
    name: 'RMSNorm eps, no affine',
    make: () => new nn.RMSNorm(6, { eps: 1e-3, elementwiseAffine: false }),
    py: 'nn.RMSNorm(6, eps=1e-3, elementwise_affine=False)',
    inputs: [[2, 3, 6]],
  },

  // ---- pooling
  {
    name: 'MaxPool3d',
    make: () => new nn.MaxPool3d(2),
    py: 'nn.MaxPool3d(2)',
    inputs: [[2, 2, 4, 4, 4]],
  },
  {
    name: 'MaxPool3d stride, padding, dilation, ceil',
    make: () =>
      new nn.MaxPool3d([3, 2, 3], { stride: [2, 1, 2], padding: [1, 0, 1], dilation: [1, 2, 1], ceilMode: true }),
    py: 'nn.MaxPool3d((3, 2, 3), stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1), ceil_mode=True)',
    inputs: [[1, 2, 6, 5, 7]],
  },
  {
    name: 'MaxPool3d returning indices (the values)',
    make: () => new nn.MaxPool3d(2, { stride: 1, returnIndices: true }),
    py: 'nn.MaxPool3d(2, stride=1, return_indices=True)',
    inputs: [[2, 3, 3, 3]],
    call: (m, [x]) => fwd<Tensor[]>(m, x)[0] as Tensor,
    pyCall: 'm(xs[0])[0]',
  },
  {
    name: 'MaxPool2d returning indices (the values)',
    make: () => new nn.MaxPool2d(3, { stride: 2, padding: 1, returnIndices: true }),
    py: 'nn.MaxPool2d(3, stride=2, padding=1, return_indices=True)',
    inputs: [[1, 2, 7, 6]],
    call: (m, [x]) => fwd<Tensor[]>(m, x)[0] as Tensor,
    pyCall: 'm(xs[0])[0]',
  },
  {
    name: 'AvgPool3d',
    make: () => new nn.AvgPool3d(2, { padding: 1 }),
    py: 'nn.AvgPool3d(2, padding=1)',
    inputs: [[1, 2, 4, 5, 4]],
  },
  {
    name: 'AvgPool3d stride, ceil, padding not counted',
    make: () => new nn.AvgPool3d([3, 2, 2], { stride: 2, padding: [1, 0, 1], ceilMode: true, countIncludePad: false }),
    py: 'nn.AvgPool3d((3, 2, 2), stride=2, padding=(1, 0, 1), ceil_mode=True, count_include_pad=False)',
    inputs: [[1, 2, 5, 5, 6]],
  },
  {
    name: 'AvgPool3d divisor override, unbatched',
    make: () => new nn.AvgPool3d(2, { divisorOverride: 3 }),
    py: 'nn.AvgPool3d(2, divisor_override=3)',
    inputs: [[2, 4, 4, 4]],
  },
  {
    name: 'AdaptiveAvgPool1d',
    make: () => new nn.AdaptiveAvgPool1d(3),
    py: 'nn.AdaptiveAvgPool1d(3)',
    inputs: [[2, 3, 8]],
  },
  {
    name: 'AdaptiveAvgPool1d overlapping windows, unbatched',
    make: () => new nn.AdaptiveAvgPool1d([5]),
    py: 'nn.AdaptiveAvgPool1d((5,))',
    inputs: [[3, 7]],
  },
  {
    name: 'AdaptiveAvgPool2d with None',
    make: () => new nn.AdaptiveAvgPool2d([null, 2]),
    py: 'nn.AdaptiveAvgPool2d((None, 2))',
    inputs: [[2, 2, 3, 5]],
  },
  {
    name: 'AdaptiveAvgPool3d with None',
    make: () => new nn.AdaptiveAvgPool3d([2, null, 3]),
    py: 'nn.AdaptiveAvgPool3d((2, None, 3))',
    inputs: [[1, 2, 5, 4, 7]],
  },
  {
    name: 'AdaptiveAvgPool3d unbatched',
    make: () => new nn.AdaptiveAvgPool3d(2),
    py: 'nn.AdaptiveAvgPool3d(2)',
    inputs: [[2, 3, 3, 3]],
  },
  {
    name: 'AdaptiveMaxPool1d',
    make: () => new nn.AdaptiveMaxPool1d(3),
    py: 'nn.AdaptiveMaxPool1d(3)',
    inputs: [[2, 3, 8]],
  },
  {
    name: 'AdaptiveMaxPool3d with None',
    make: () => new nn.AdaptiveMaxPool3d([2, 3, null]),
    py: 'nn.AdaptiveMaxPool3d((2, 3, None))',
    inputs: [[1, 2, 5, 6, 3]],
  },
  {
    name: 'LPPool1d',
    make: () => new nn.LPPool1d(2, 3),
    py: 'nn.LPPool1d(2, 3)',
    inputs: [[2, 3, 9]],
  },
  {
    name: 'LPPool1d p 1.5, stride, ceil',
    make: () => new nn.LPPool1d(1.5, 2, { stride: 1, ceilMode: true }),
    py: 'nn.LPPool1d(1.5, 2, stride=1, ceil_mode=True)',
    inputs: [positive([2, 3, 7])],
  },
  {
    name: 'LPPool2d',
    make: () => new nn.LPPool2d(2, [2, 3], { stride: [1, 2] }),
    py: 'nn.LPPool2d(2, (2, 3), stride=(1, 2))',
    inputs: [[1, 2, 6, 7]],
  },
  {
    name: 'LPPool2d p 3, ceil',
    make: () => new nn.LPPool2d(3, 2, { ceilMode: true }),
    py: 'nn.LPPool2d(3, 2, ceil_mode=True)',
    inputs: [positive([1, 2, 5, 5])],
  },
  {
    name: 'LPPool2d p inf (max of |x|)',
    make: () => new nn.LPPool2d(Number.POSITIVE_INFINITY, 2),
    py: "nn.LPPool2d(float('inf'), 2)",
    inputs: [[1, 2, 4, 4]],
  },
  {
    name: 'LPPool3d',
    make: () => new nn.LPPool3d(2, 2),
    py: 'nn.LPPool3d(2, 2)',
    inputs: [[1, 2, 4, 4, 4]],
  },
  {
    name: 'MaxUnpool1d',
    make: () => new nn.MaxUnpool1d(2),
    py: 'nn.MaxUnpool1d(2)',
    inputs: pooled([2, 3, 8], (x) => F.maxPool1d(x, 2, { returnIndices: true })),
  },
  {
    name: 'MaxUnpool1d stride, padding, output size',
    make: () => new nn.MaxUnpool1d(3, { stride: 2, padding: 1 }),
    py: 'nn.MaxUnpool1d(3, stride=2, padding=1)',
    inputs: pooled([2, 3, 10], (x) => F.maxPool1d(x, 3, { stride: 2, padding: 1, returnIndices: true })),
    call: (m, [x, i]) => fwd(m, x, i, [10]),
    pyCall: 'm(xs[0], xs[1], output_size=[10])',
  },
  {
    name: 'MaxUnpool2d',
    make: () => new nn.MaxUnpool2d(2),
    py: 'nn.MaxUnpool2d(2)',
    inputs: pooled([2, 2, 4, 6], (x) => F.maxPool2d(x, 2, { returnIndices: true })),
  },
  {
    name: 'MaxUnpool2d stride, padding, full output size',
    make: () => new nn.MaxUnpool2d([2, 3], { stride: 2, padding: [0, 1] }),
    py: 'nn.MaxUnpool2d((2, 3), stride=2, padding=(0, 1))',
    inputs: pooled([1, 2, 5, 7], (x) => F.maxPool2d(x, [2, 3], { stride: 2, padding: [0, 1], returnIndices: true })),
    call: (m, [x, i]) => fwd(m, x, i, [1, 2, 5, 7]),
    pyCall: 'm(xs[0], xs[1], output_size=[1, 2, 5, 7])',
  },
  {
    name: 'MaxUnpool3d',
    make: () => new nn.MaxUnpool3d(2),
    py: 'nn.MaxUnpool3d(2)',
    inputs: pooled([1, 2, 4, 4, 6], (x) => F.maxPool3d(x, 2, { returnIndices: true })),
  },
  {
    name: 'MaxUnpool3d stride, padding, output size, unbatched',
    make: () => new nn.MaxUnpool3d(3, { stride: 2, padding: 1 }),
    py: 'nn.MaxUnpool3d(3, stride=2, padding=1)',
    inputs: pooled([2, 5, 4, 6], (x) => F.maxPool3d(x, 3, { stride: 2, padding: 1, returnIndices: true })),
    call: (m, [x, i]) => fwd(m, x, i, [5, 4, 6]),
    pyCall: 'm(xs[0], xs[1], output_size=[5, 4, 6])',
  },

  // ---- fold and unfold
  {
    name: 'Unfold',
    make: () => new nn.Unfold([2, 3]),
    py: 'nn.Unfold((2, 3))',
    inputs: [[2, 3, 5, 6]],
  },
  {
    name: 'Unfold dilation, padding, stride',
    make: () => new nn.Unfold(2, { dilation: [1, 2], padding: 1, stride: [2, 1] }),
    py: 'nn.Unfold(2, dilation=(1, 2), padding=1, stride=(2, 1))',
    inputs: [[1, 2, 5, 5]],
  },
  {
    name: 'Unfold unbatched',
    make: () => new nn.Unfold(3, { padding: 1 }),
    py: 'nn.Unfold(3, padding=1)',
    inputs: [[2, 4, 4]],
  },
  {
    name: 'Fold',
    make: () => new nn.Fold([5, 6], [2, 3]),
    py: 'nn.Fold((5, 6), (2, 3))',
    inputs: [[2, 18, 16]],
  },
  {
    name: 'Fold dilation, padding, stride (overlaps summed)',
    make: () => new nn.Fold([4, 5], 2, { padding: 1, stride: [1, 2] }),
    py: 'nn.Fold((4, 5), 2, padding=1, stride=(1, 2))',
    inputs: [[1, 8, 15]],
  },
  {
    name: 'Fold unbatched',
    make: () => new nn.Fold([5, 6], [2, 3], { dilation: [2, 1] }),
    py: 'nn.Fold((5, 6), (2, 3), dilation=(2, 1))',
    inputs: [[12, 12]],
  },
];

describeLayerParity('conv, norm and pooling layers against PyTorch (float64)', cases, 2000);

// ---- the functional forms: options the modules do not reach, the indices of the max pools
// (ties, NaN, -inf), and running statistics given to instanceNorm.

const fcases: FunctionalCase[] = [
  {
    name: 'conv3d stride, padding, dilation, groups',
    inputs: [[1, 4, 5, 6, 5], [6, 2, 2, 3, 2], [6]],
    ours: ([x, w, b]) =>
      F.conv3d(T(x), T(w), { bias: T(b), stride: [2, 1, 1], padding: [1, 0, 2], dilation: 2, groups: 2 }),
    py: 'F.conv3d(xs[0], xs[1], xs[2], stride=(2, 1, 1), padding=(1, 0, 2), dilation=2, groups=2)',
  },
  {
    name: 'convTranspose1d',
    inputs: [
      [2, 4, 5],
      [4, 3, 3],
    ],
    ours: ([x, w]) =>
      F.convTranspose1d(T(x), T(w), { stride: 2, padding: 2, outputPadding: 1, groups: 2, dilation: 2 }),
    py: 'F.conv_transpose1d(xs[0], xs[1], stride=2, padding=2, output_padding=1, groups=2, dilation=2)',
  },
  {
    name: 'convTranspose3d, unbatched',
    inputs: [[2, 3, 2, 3], [2, 3, 2, 3, 2], [3]],
    ours: ([x, w, b]) => F.convTranspose3d(T(x), T(w), { bias: T(b), stride: [1, 2, 2], outputPadding: [0, 1, 0] }),
    py: 'F.conv_transpose3d(xs[0], xs[1], xs[2], stride=(1, 2, 2), output_padding=(0, 1, 0))',
  },
  {
    name: 'maxPool2d indices: padding, ties, NaN, -inf',
    inputs: [mixed([1, 2, 6, 7])],
    ours: ([x]) => F.maxPool2d(T(x), 3, { stride: 2, padding: 1, returnIndices: true }),
    py: 'F.max_pool2d(xs[0], 3, stride=2, padding=1, return_indices=True)',
  },
  {
    name: 'maxPool2dWithIndices: dilation, ceil mode, unbatched',
    inputs: [[2, 7, 6]],
    ours: ([x]) => F.maxPool2dWithIndices(T(x), 2, { dilation: 2, ceilMode: true }),
    py: 'F.max_pool2d_with_indices(xs[0], 2, dilation=2, ceil_mode=True)',
  },
  {
    name: 'maxPool2d without indices is the with-indices values (own kernel, float64)',
    inputs: [mixed([2, 3, 5, 5])],
    ours: ([x]) => F.maxPool2d(T(x), [2, 3], { stride: 1, padding: [1, 0] }),
    py: 'F.max_pool2d(xs[0], (2, 3), stride=1, padding=(1, 0))',
  },
  {
    name: 'maxPool3d indices: ties, NaN, -inf, dilation',
    inputs: [mixed([1, 2, 4, 5, 6])],
    ours: ([x]) => F.maxPool3d(T(x), [2, 3, 2], { stride: [1, 2, 2], padding: [1, 1, 0], returnIndices: true }),
    py: 'F.max_pool3d(xs[0], (2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0), return_indices=True)',
  },
  {
    name: 'maxPool3dWithIndices, unbatched',
    inputs: [[2, 4, 4, 5]],
    ours: ([x]) => F.maxPool3dWithIndices(T(x), 2, { dilation: [1, 1, 2], ceilMode: true }),
    py: 'F.max_pool3d_with_indices(xs[0], 2, dilation=(1, 1, 2), ceil_mode=True)',
  },
  {
    name: 'avgPool3d all options',
    inputs: [[1, 2, 5, 6, 5]],
    ours: ([x]) =>
      F.avgPool3d(T(x), [3, 2, 3], { stride: [2, 2, 1], padding: 1, ceilMode: true, countIncludePad: false }),
    py: 'F.avg_pool3d(xs[0], (3, 2, 3), stride=(2, 2, 1), padding=1, ceil_mode=True, count_include_pad=False)',
  },
  {
    name: 'adaptiveAvgPool1d, adaptiveAvgPool2d (None), adaptiveAvgPool3d',
    inputs: [[2, 3, 7]],
    ours: ([x]) => [
      F.adaptiveAvgPool1d(T(x), 4),
      F.adaptiveAvgPool2d(T(x), [2, null]),
      F.adaptiveAvgPool3d(T(x).reshape([1, 2, 3, 7]), [null, 2, 3]),
    ],
    py: '(F.adaptive_avg_pool1d(xs[0], 4), F.adaptive_avg_pool2d(xs[0], (2, None)), F.adaptive_avg_pool3d(xs[0].reshape(1, 2, 3, 7), (None, 2, 3)))',
  },
  {
    name: 'adaptiveMaxPool1d indices: ties, NaN, -inf',
    inputs: [mixed([2, 3, 11])],
    ours: ([x]) => F.adaptiveMaxPool1d(T(x), 4, { returnIndices: true }),
    py: 'F.adaptive_max_pool1d(xs[0], 4, return_indices=True)',
  },
  {
    name: 'adaptiveMaxPool1dWithIndices, unbatched',
    inputs: [[3, 5]],
    ours: ([x]) => F.adaptiveMaxPool1dWithIndices(T(x), [7]),
    py: 'F.adaptive_max_pool1d_with_indices(xs[0], 7)',
  },
  {
    name: 'adaptiveMaxPool3d indices: ties, NaN, -inf',
    inputs: [mixed([1, 2, 4, 5, 6])],
    ours: ([x]) => F.adaptiveMaxPool3d(T(x), [3, 2, 4], { returnIndices: true }),
    py: 'F.adaptive_max_pool3d(xs[0], (3, 2, 4), return_indices=True)',
  },
  {
    name: 'adaptiveMaxPool3dWithIndices with None, unbatched',
    inputs: [[2, 3, 4, 5]],
    ours: ([x]) => F.adaptiveMaxPool3dWithIndices(T(x), [null, 2, 3]),
    py: 'F.adaptive_max_pool3d_with_indices(xs[0], (None, 2, 3))',
  },
  {
    name: 'maxUnpool1d with a full output size',
    inputs: pooled([2, 3, 9], (x) => F.maxPool1d(x, 2, { returnIndices: true })),
    ours: ([x, i]) => F.maxUnpool1d(T(x), T(i), 2, { outputSize: [2, 3, 9] }),
    py: 'F.max_unpool1d(xs[0], xs[1], 2, output_size=[2, 3, 9])',
  },
  {
    name: 'maxUnpool2d stride, padding',
    inputs: pooled([1, 2, 5, 5], (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, returnIndices: true })),
    ours: ([x, i]) => F.maxUnpool2d(T(x), T(i), 3, { stride: 2, padding: 1 }),
    py: 'F.max_unpool2d(xs[0], xs[1], 3, stride=2, padding=1)',
  },
  {
    name: 'maxUnpool3d with an output size',
    inputs: pooled([1, 2, 5, 4, 5], (x) => F.maxPool3d(x, 2, { returnIndices: true })),
    ours: ([x, i]) => F.maxUnpool3d(T(x), T(i), [2, 2, 2], { outputSize: [5, 5, 5] }),
    py: 'F.max_unpool3d(xs[0], xs[1], (2, 2, 2), output_size=[5, 5, 5])',
  },
  {
    name: 'lpPool1d, lpPool2d, lpPool3d with strides',
    inputs: [[1, 2, 4, 6]],
    ours: ([x]) => [
      F.lpPool1d(T(x).reshape([2, 4, 6]), 2, 3, { stride: 2 }),
      F.lpPool2d(T(x), 4, [2, 3], { stride: 1, ceilMode: true }),
      F.lpPool3d(T(x), 2, [1, 2, 2]),
    ],
    py: '(F.lp_pool1d(xs[0].reshape(2, 4, 6), 2, 3, stride=2), F.lp_pool2d(xs[0], 4, (2, 3), stride=1, ceil_mode=True), F.lp_pool3d(xs[0], 2, (1, 2, 2)))',
  },
  {
    name: 'lpPool p -inf and inf',
    inputs: [[1, 2, 4, 6]],
    ours: ([x]) => [
      F.lpPool2d(T(x), Number.NEGATIVE_INFINITY, 2),
      F.lpPool1d(T(x).reshape([2, 4, 6]), Number.POSITIVE_INFINITY, 3, { stride: 1 }),
    ],
    py: "(F.lp_pool2d(xs[0], float('-inf'), 2), F.lp_pool1d(xs[0].reshape(2, 4, 6), float('inf'), 3, stride=1))",
  },
  {
    name: 'instanceNorm updates the running statistics it is given',
    inputs: [[3, 2, 5], () => torch.randn([2], { dtype: 'float64' }), () => torch.rand([2], { dtype: 'float64' })],
    noGrad: [1, 2],
    // (Copies: the harness sends the inputs to Python after our call.)
    ours: ([x, m, v]) => {
      const [mean, variance] = [T(m).clone(), T(v).clone()];
      return [F.instanceNorm(T(x), { runningMean: mean, runningVar: variance, momentum: 0.2 }), mean, variance];
    },
    py: '(lambda m, v: (F.instance_norm(xs[0], m, v, momentum=0.2), m, v))(xs[1].clone(), xs[2].clone())',
  },
  {
    name: 'instanceNorm by the running statistics, weight and bias',
    inputs: [
      [2, 3, 2, 2],
      () => torch.randn([3], { dtype: 'float64' }),
      () => torch.rand([3], { dtype: 'float64' }).add(0.5),
      [3],
      [3],
    ],
    noGrad: [1, 2],
    ours: ([x, m, v, w, b]) =>
      F.instanceNorm(T(x), { runningMean: T(m), runningVar: T(v), weight: T(w), bias: T(b), useInputStats: false }),
    py: 'F.instance_norm(xs[0], xs[1], xs[2], xs[3], xs[4], use_input_stats=False)',
  },
  {
    name: 'localResponseNorm, even size, 3-D',
    inputs: [[2, 6, 5]],
    ours: ([x]) => F.localResponseNorm(T(x), 4, { beta: 1.5, k: 0.5 }),
    py: 'F.local_response_norm(xs[0], 4, beta=1.5, k=0.5)',
  },
  {
    name: 'rmsNorm with weight, eps',
    inputs: [
      [3, 4, 5],
      [4, 5],
    ],
    ours: ([x, w]) => F.rmsNorm(T(x), [4, 5], { weight: T(w), eps: 0.1 }),
    py: 'F.rms_norm(xs[0], [4, 5], xs[1], eps=0.1)',
  },
  {
    name: 'unfold and fold',
    inputs: [[2, 3, 5, 6]],
    ours: ([x]) => {
      const cols = F.unfold(T(x), [2, 3], { dilation: [2, 1], padding: [1, 0], stride: [1, 2] });
      return [cols, F.fold(cols, [5, 6], [2, 3], { dilation: [2, 1], padding: [1, 0], stride: [1, 2] })];
    },
    py: '(lambda c: (c, F.fold(c, (5, 6), (2, 3), dilation=(2, 1), padding=(1, 0), stride=(1, 2))))(F.unfold(xs[0], (2, 3), dilation=(2, 1), padding=(1, 0), stride=(1, 2)))',
  },
];

// To the bit in float32 (and float64): ATen's kernels through the same calls as Python's F.*.
const exactCases: [string, FunctionalCase['inputs'], FunctionalCase['ours'], string][] = [
  [
    'conv3d',
    [[2, 4, 5, 6, 5], [6, 2, 3, 3, 2], [6]],
    ([x, w, b]) => F.conv3d(T(x), T(w), { bias: T(b), stride: [1, 2, 1], padding: 1, groups: 2 }),
    'F.conv3d(xs[0], xs[1], xs[2], stride=(1, 2, 1), padding=1, groups=2)',
  ],
  [
    'avgPool3d',
    [[2, 3, 5, 6, 7]],
    ([x]) => F.avgPool3d(T(x), [3, 2, 3], { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
    'F.avg_pool3d(xs[0], (3, 2, 3), stride=2, padding=1, ceil_mode=True, count_include_pad=False)',
  ],
  [
    'rmsNorm',
    [
      [4, 6, 8],
      [6, 8],
    ],
    ([x, w]) => F.rmsNorm(T(x), [6, 8], { weight: T(w) }),
    'F.rms_norm(xs[0], [6, 8], xs[1])',
  ],
  [
    'instanceNorm',
    [[3, 4, 5, 6], [4], [4]],
    ([x, w, b]) => F.instanceNorm(T(x), { weight: T(w), bias: T(b), eps: 1e-3 }),
    'F.instance_norm(xs[0], weight=xs[1], bias=xs[2], eps=1e-3)',
  ],
  [
    'localResponseNorm',
    [[2, 5, 4, 3]],
    ([x]) => F.localResponseNorm(T(x), 3, { alpha: 0.1 }),
    'F.local_response_norm(xs[0], 3, alpha=0.1)',
  ],
];
for (const dtype of ['float32', 'float64'] as const) {
  for (const [name, inputs, ours, py] of exactCases) {
    fcases.push({ name: `to the bit (${dtype}): ${name}`, inputs, ours, py, dtype, exact: true });
  }
}

describeFunctionalParity('conv, norm and pooling functions against PyTorch', fcases, 2500);

describe('bad input to the conv, norm and pooling layers is an Error naming the layer or function', () => {
  const f64 = (shape: number[]) => torch.randn(shape, { dtype: 'float64' });
  const errors: [string, () => unknown, RegExp][] = [
    ['Conv3d groups', () => new nn.Conv3d(4, 4, 3, { groups: 0 }), /^Conv3d: groups must be a positive integer$/],
    [
      'Conv3d channels',
      () => new nn.Conv3d(3, 4, 3, { groups: 2 }),
      /^Conv3d: in_channels must be divisible by groups$/,
    ],
    [
      'Conv3d padding string',
      () => new nn.Conv3d(2, 2, 3, { padding: 'full' as 'same' }),
      /^Conv3d: Invalid padding string 'full'/,
    ],
    [
      "Conv3d 'same' with a stride",
      () => new nn.Conv3d(2, 2, 3, { padding: 'same', stride: 2 }),
      /^Conv3d: padding='same' is not supported for strided convolutions$/,
    ],
    [
      'Conv3d padding mode',
      () => new nn.Conv3d(2, 2, 3, { paddingMode: 'mirror' as 'reflect' }),
      /^Conv3d: padding_mode must be one of .* but got padding_mode='mirror'$/,
    ],
    [
      'Conv3d input rank',
      () => new nn.Conv3d(2, 2, 3).forward(torch.randn([2, 4, 4])),
      /^conv3d: Expected 4D \(unbatched\) or 5D \(batched\) input to conv3d, but got input of size: \[2, 4, 4\]/,
    ],
    [
      'ConvTranspose2d padding mode',
      () => new nn.ConvTranspose2d(2, 2, 3, { paddingMode: 'reflect' }),
      /^Only "zeros" padding mode is supported for ConvTranspose2d$/,
    ],
    [
      'ConvTranspose1d output size out of range',
      () => new nn.ConvTranspose1d(3, 2, 3, { stride: 3 }).forward(torch.randn([1, 3, 3]), [12]),
      /^ConvTranspose1d: requested an output size of \[12\], but valid sizes range from \[9\] to \[11\] \(for an input of \[3\]\)$/,
    ],
    [
      'ConvTranspose3d output size length',
      () => new nn.ConvTranspose3d(2, 2, 3).forward(torch.randn([1, 2, 3, 3, 3]), [5, 5]),
      /^ConvTranspose3d: for 5D input, output_size must have 3 or 5 elements \(got 2\)$/,
    ],
    [
      'BatchNorm3d rank',
      () => new nn.BatchNorm3d(3).forward(torch.randn([2, 3, 4, 4])),
      /^BatchNorm3d: expected 5D input \(got 4D input\)$/,
    ],
    [
      'InstanceNorm1d rank',
      () => new nn.InstanceNorm1d(3).forward(torch.randn([2, 3, 4, 4])),
      /^InstanceNorm1d: expected 2D or 3D input \(got 4D input\)$/,
    ],
    [
      'InstanceNorm2d affine channels',
      () => new nn.InstanceNorm2d(3, { affine: true }).forward(torch.randn([2, 4, 3, 3])),
      /^InstanceNorm2d: expected input's size at dim=1 to match num_features \(3\), but got: 4\.$/,
    ],
    [
      'instanceNorm one spatial element',
      () => F.instanceNorm(f64([2, 3, 1])),
      /^instanceNorm: Expected more than 1 spatial element when training, got input size \[2, 3, 1\]$/,
    ],
    [
      'instanceNorm running statistics missing',
      () => F.instanceNorm(f64([2, 3, 4]), { useInputStats: false }),
      /^instanceNorm: Expected running_mean and running_var to be defined when use_input_stats is false$/,
    ],
    [
      'localResponseNorm rank',
      () => new nn.LocalResponseNorm(2).forward(f64([3, 4])),
      /^localResponseNorm: Expected 3D or higher dimensionality input \(got 2 dimensions\)$/,
    ],
    ['rmsNorm shape', () => new nn.RMSNorm([4]).forward(f64([2, 5])), /^rms_norm: .*normalized_shape=\[4\]/],
    [
      'maxPool3d rank',
      () => new nn.MaxPool3d(2).forward(f64([2, 4, 4])),
      /^max_pool3d: .*non-empty 4D or 5D \(batch mode\) tensor expected for input/,
    ],
    [
      'adaptiveAvgPool3d rank',
      () => new nn.AdaptiveAvgPool3d(2).forward(f64([2, 4, 4])),
      /^adaptiveAvgPool3d: Expected 4D \(C, D, H, W\) or 5D \(N, C, D, H, W\) input tensor, but got 3D of size \[2, 4, 4\]$/,
    ],
    [
      'adaptiveMaxPool1d output size',
      () => F.adaptiveMaxPool1d(f64([2, 4]), [2, 2]),
      /^adaptiveMaxPool1d: outputSize must be a number or an array of 1 \(numbers or null\), got \[2,2\]$/,
    ],
    [
      'maxUnpool2d output size',
      () => {
        const [v, i] = F.maxPool2d(f64([1, 1, 4, 4]), 2, { returnIndices: true });
        return new nn.MaxUnpool2d(2).forward(v, i, [6, 4]);
      },
      /^maxUnpool2d: invalid output_size "\[6, 4\]" \(dim 0 must be between 2 and 6\)$/,
    ],
    [
      'maxUnpool1d output size length',
      () => F.maxUnpool1d(f64([1, 2, 3]), torch.zeros([1, 2, 3], { dtype: 'int64' }), 2, { outputSize: [1, 6] }),
      /^maxUnpool1d: output_size should be a sequence containing 1 or 3 elements, but it has a length of '2'$/,
    ],
    [
      'maxUnpool2d index out of range',
      () => F.maxUnpool2d(f64([1, 1, 2, 2]), torch.full([1, 1, 2, 2], 16, { dtype: 'int64' }), 2),
      /^maxUnpool2d: Found an invalid max index: 16/,
    ],
    ['unfold rank', () => new nn.Unfold(2).forward(f64([1, 1, 2, 4, 4])), /^unfold: Expected 3D or 4D \(batch mode\)/],
    ['fold blocks', () => new nn.Fold([4, 4], 2).forward(f64([1, 4, 5])), /^fold: Given output_size=\(4, 4\)/],
  ];
  for (const [name, fn, pattern] of errors) {
    test(name, () => {
      assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof Error, `an Error, got ${String(e)}`);
        assert.match(e.message, pattern);
        return true;
      });
    });
  }
});

describe('conv, norm and pooling layers: state and types', () => {
  test('InstanceNorm: running statistics only with trackRunningStats; the state dict loads', () => {
    assert.deepEqual(Object.keys(new nn.InstanceNorm2d(3).stateDict()), []);
    const m = new nn.InstanceNorm2d(3, { affine: true, trackRunningStats: true });
    assert.deepEqual(Object.keys(m.stateDict()), [
      'weight',
      'bias',
      'running_mean',
      'running_var',
      'num_batches_tracked',
    ]);
    m.train();
    m.forward(torch.randn([2, 3, 4, 4]).mul(3).add(2));
    assert.equal(m.num_batches_tracked?.item(), 0, 'instance norm does not count batches (as PyTorch)');
    const fresh = new nn.InstanceNorm2d(3, { affine: true, trackRunningStats: true });
    fresh.loadStateDict(m.stateDict());
    assert.deepEqual(fresh.running_mean?.toArray(), m.running_mean?.toArray());
    assert.ok(Math.abs((m.running_mean?.mean().item() as number) - 0.2) < 0.1, 'momentum 0.1 of a mean near 2');
  });

  test('InstanceNorm without affine warns once when the channels differ from numFeatures', () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    const emit = process.emitWarning;
    process.emitWarning = ((w: string) => onWarning(new Error(w))) as typeof process.emitWarning;
    try {
      const m = new nn.InstanceNorm3d(3);
      m.forward(torch.randn([1, 4, 2, 2, 2]));
      m.forward(torch.randn([1, 4, 2, 2, 2]));
    } finally {
      process.emitWarning = emit;
    }
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /^InstanceNorm3d: input's size at dim=1 does not match num_features/);
  });

  test('the max pools return [values, indices] with returnIndices, and MaxUnpool inverts them', () => {
    const x = torch.rand([2, 3, 4, 6]).add(0.1);
    const pool = new nn.MaxPool2d(2, { returnIndices: true });
    const [values, indices] = pool.forward(x);
    assert.equal(indices.dtype, 'int64');
    assert.ok(values.equal(new nn.MaxPool2d(2).forward(x)), 'the own float kernel gives the same values');
    const restored = new nn.MaxUnpool2d(2).forward(values, indices);
    assert.deepEqual(restored.shape, x.shape);
    assert.ok(new nn.MaxPool2d(2).forward(restored).equal(values), 'the (positive) maxima are where they were');
    const [v3, i3] = new nn.AdaptiveMaxPool3d(2, { returnIndices: true }).forward(torch.randn([1, 2, 4, 4, 4]));
    assert.deepEqual(
      [v3.shape, i3.shape],
      [
        [1, 2, 2, 2, 2],
        [1, 2, 2, 2, 2],
      ],
    );
  });

  test('Conv3d and ConvTranspose3d draw weights within ±1/√fanIn; float32 modules stay float32', () => {
    const conv = new nn.Conv3d(4, 8, 3);
    assert.ok((conv.weight.abs().max().item() as number) <= 1 / Math.sqrt(4 * 27));
    const deconv = new nn.ConvTranspose3d(4, 6, 2, { groups: 2 });
    assert.deepEqual(deconv.weight.shape, [4, 3, 2, 2, 2]);
    assert.ok((deconv.bias?.abs().max().item() as number) <= 1 / Math.sqrt(3 * 8));
    assert.equal(deconv.forward(torch.randn([1, 4, 2, 2, 2])).dtype, 'float32');
  });
});
