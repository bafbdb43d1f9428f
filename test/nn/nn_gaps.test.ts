// The nn gaps against PyTorch's: grid sampling and affine grids, Hardshrink, Softshrink, RReLU,
// the circular pads, pdist, the deprecated upsample aliases, the in-place activations (functional
// and `inplace: true` modules), Gumbel-softmax and the fractional max pools. Deterministic cases
// go through the parity harness (values, every gradient, state-dict keys, repr); the random ones
// (RReLU in training, gumbelSoftmax, fractional pools with drawn samples) are compared after the
// same manualSeed, to the bit; then errors and warnings.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import {
  close,
  describeFunctionalParity,
  describeLayerParity,
  type FunctionalCase,
  type LayerCase,
  v2,
} from '../support/layer_parity.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const nn = torch.nn;
const F = nn.functional;
type Tensor = torch.Tensor;

/** Catches the process warnings of `body`. */
function warningsOf(body: () => void): string[] {
  const seen: string[] = [];
  const original = process.emitWarning;
  process.emitWarning = ((message: string) => {
    seen.push(message);
  }) as typeof process.emitWarning;
  try {
    body();
  } finally {
    process.emitWarning = original;
  }
  return seen;
}

// Warnings first: each is given once per process, and the tables below call these functions.
describe('warnings as Python gives them', () => {
  test('gridSample and affineGrid without alignCorners warn (once) and use false', () => {
    const x = torch.randn([1, 1, 3, 3]);
    const theta = torch.tensor([
      [
        [1, 0, 0.2],
        [0, 1, 0],
      ],
    ]);
    let grid: Tensor | undefined;
    let out: Tensor | undefined;
    const seen = warningsOf(() => {
      grid = F.affineGrid(theta, [1, 1, 3, 3]);
      F.affineGrid(theta, [1, 1, 3, 3]);
      out = F.gridSample(x, grid);
      F.gridSample(x, grid);
    });
    assert.equal(seen.length, 2);
    assert.match(
      seen[0] ?? '',
      /^affineGrid: Default grid_sample and affine_grid behavior has changed to align_corners=False/,
    );
    assert.match(seen[1] ?? '', /^gridSample: Default grid_sample/);
    assert.ok(grid?.equal(F.affineGrid(theta, [1, 1, 3, 3], { alignCorners: false })));
    assert.ok(out?.equal(F.gridSample(x, grid as Tensor, { alignCorners: false })));
  });

  test('the upsample aliases are deprecated; gumbelSoftmax eps warns', () => {
    const x = torch.randn([1, 1, 2, 2]);
    const seen = warningsOf(() => {
      F.upsample(x, { scaleFactor: 2 });
      F.upsampleNearest(x, { scaleFactor: 2 });
      F.upsampleBilinear(x, { scaleFactor: 2 });
      F.upsample(x, { scaleFactor: 2 });
      F.gumbelSoftmax(x, { eps: 1e-10 });
      F.gumbelSoftmax(x, { eps: 1e-5 });
    });
    assert.deepEqual(seen, [
      'upsample: `nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.',
      'upsampleNearest: `nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.',
      'upsampleBilinear: `nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.',
      'gumbelSoftmax: `eps` parameter is deprecated and has no effect.',
    ]);
  });

  test('affineGrid with alignCorners and a unit size warns', () => {
    const seen = warningsOf(() => F.affineGrid(torch.randn([1, 2, 3]), [1, 1, 1, 4], { alignCorners: true }));
    assert.equal(seen.length, 1);
    assert.match(
      seen[0] ?? '',
      /^affineGrid: Since version 1.3.0, affine_grid behavior has changed for unit-size grids/,
    );
  });
});

/** Fixed samples for the fractional pools: (N, C, dims) in [0, 1). */
const samples = (shape: number[]) => () => torch.rand(shape, { dtype: 'float64' });
/** A grid of normalised coordinates in [-1.2, 1.2] (some outside, for the padding modes). */
const grid = (shape: number[]) => () => torch.rand(shape, { dtype: 'float64' }).mul(2.4).sub(1.2);
/** Our module called on a copy of the input (an in-place module would refuse the leaf). */
const onCopy = (m: torch.nn.Module, [x]: Tensor[]) => (m.forward as (x: Tensor) => Tensor)((x as Tensor).mul(1));

const layerCases: LayerCase[] = [
  { name: 'Hardshrink', make: () => new nn.Hardshrink(), py: 'nn.Hardshrink()', inputs: [[3, 5]] },
  {
    name: 'Hardshrink lambd 0.8, at ±lambd',
    make: () => new nn.Hardshrink({ lambd: 0.8 }),
    py: 'nn.Hardshrink(0.8)',
    inputs: [v2([-0.8, 0.8, -0.81, 0.81, 0, 2, -3, 0.5], [8])],
  },
  { name: 'Softshrink', make: () => new nn.Softshrink(), py: 'nn.Softshrink()', inputs: [[2, 3, 4]] },
  {
    name: 'Softshrink lambd 0.25, at ±lambd',
    make: () => new nn.Softshrink({ lambd: 0.25 }),
    py: 'nn.Softshrink(0.25)',
    inputs: [v2([-0.25, 0.25, -0.3, 0.3, 0, 1.5], [6])],
  },
  { name: 'RReLU eval', make: () => new nn.RReLU(), py: 'nn.RReLU()', inputs: [[4, 5]] },
  {
    name: 'RReLU eval, bounds, inplace',
    make: () => new nn.RReLU({ lower: 0.1, upper: 0.3, inplace: true }),
    py: 'nn.RReLU(0.1, 0.3, inplace=True)',
    inputs: [[3, 4]],
    call: onCopy,
    pyCall: 'm(xs[0] * 1)',
  },
  { name: 'CircularPad1d', make: () => new nn.CircularPad1d(2), py: 'nn.CircularPad1d(2)', inputs: [[2, 3, 4]] },
  {
    name: 'CircularPad1d unbatched, asymmetric, negative',
    make: () => new nn.CircularPad1d([3, -1]),
    py: 'nn.CircularPad1d((3, -1))',
    inputs: [[2, 5]],
  },
  {
    name: 'CircularPad2d',
    make: () => new nn.CircularPad2d([1, 0, 2, 1]),
    py: 'nn.CircularPad2d((1, 0, 2, 1))',
    inputs: [[2, 2, 3, 4]],
  },
  {
    name: 'CircularPad2d unbatched',
    make: () => new nn.CircularPad2d(1),
    py: 'nn.CircularPad2d(1)',
    inputs: [[2, 3, 3]],
  },
  {
    name: 'CircularPad3d',
    make: () => new nn.CircularPad3d([1, 2, 0, 1, 2, 0]),
    py: 'nn.CircularPad3d((1, 2, 0, 1, 2, 0))',
    inputs: [[1, 2, 3, 3, 3]],
  },
  // ---- the inplace option of the activations
  ...(
    [
      ['ReLU', () => new nn.ReLU({ inplace: true }), 'nn.ReLU(inplace=True)'],
      ['LeakyReLU', () => new nn.LeakyReLU({ negativeSlope: 0.2, inplace: true }), 'nn.LeakyReLU(0.2, inplace=True)'],
      ['ELU', () => new nn.ELU({ alpha: 0.7, inplace: true }), 'nn.ELU(0.7, inplace=True)'],
      ['CELU', () => new nn.CELU({ alpha: 1.5, inplace: true }), 'nn.CELU(1.5, inplace=True)'],
      ['SELU', () => new nn.SELU({ inplace: true }), 'nn.SELU(inplace=True)'],
      [
        'Hardtanh',
        () => new nn.Hardtanh({ minVal: -0.5, maxVal: 0.8, inplace: true }),
        'nn.Hardtanh(-0.5, 0.8, inplace=True)',
      ],
      ['ReLU6', () => new nn.ReLU6({ inplace: true }), 'nn.ReLU6(inplace=True)'],
      ['Threshold', () => new nn.Threshold(0.1, 20, { inplace: true }), 'nn.Threshold(0.1, 20.0, inplace=True)'],
      ['SiLU', () => new nn.SiLU({ inplace: true }), 'nn.SiLU(inplace=True)'],
      ['Mish', () => new nn.Mish({ inplace: true }), 'nn.Mish(inplace=True)'],
      // Python leaves inplace out of these two reprs: the harness compares `Hardswish()`.
      ['Hardswish', () => new nn.Hardswish({ inplace: true }), 'nn.Hardswish(inplace=True)'],
      ['Hardsigmoid', () => new nn.Hardsigmoid({ inplace: true }), 'nn.Hardsigmoid(inplace=True)'],
    ] as const
  ).map(
    ([name, make, py]): LayerCase => ({
      name: `${name} inplace`,
      make,
      py,
      inputs: [() => torch.randn([3, 4], { dtype: 'float64' }).mul(4)],
      call: onCopy,
      pyCall: 'm(xs[0] * 1)',
    }),
  ),
  // ---- fractional max pools with fixed samples (a buffer in the state dict)
  {
    name: 'FractionalMaxPool2d with samples, output size',
    make: () => new nn.FractionalMaxPool2d(2, { outputSize: [4, 3], _randomSamples: samples([2, 3, 2])() }),
    py: 'nn.FractionalMaxPool2d(2, output_size=(4, 3), _random_samples=torch.zeros(2, 3, 2))',
    inputs: [[2, 3, 7, 6]],
  },
  {
    name: 'FractionalMaxPool2d with samples, ratio, kernel (3, 2), unbatched',
    make: () => new nn.FractionalMaxPool2d([3, 2], { outputRatio: 0.5, _randomSamples: samples([1, 2, 2])() }),
    py: 'nn.FractionalMaxPool2d((3, 2), output_ratio=0.5, _random_samples=torch.zeros(1, 2, 2))',
    inputs: [[2, 9, 8]],
  },
  {
    name: 'FractionalMaxPool3d with samples, ratio per dim',
    make: () => new nn.FractionalMaxPool3d(2, { outputRatio: [0.5, 0.6, 0.7], _randomSamples: samples([1, 2, 3])() }),
    py: 'nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.6, 0.7), _random_samples=torch.zeros(1, 2, 3))',
    inputs: [[1, 2, 6, 5, 7]],
  },
  // ---- adaptive softmax: the per-example log-probabilities (the loss is their mean negative)
  {
    name: 'AdaptiveLogSoftmaxWithLoss output',
    make: () => new nn.AdaptiveLogSoftmaxWithLoss(8, 20, [5, 10], { divValue: 2 }),
    py: 'nn.AdaptiveLogSoftmaxWithLoss(8, 20, [5, 10], div_value=2.0)',
    inputs: [[12, 8], () => torch.tensor([0, 4, 5, 9, 10, 19, 3, 12, 7, 1, 15, 6], { dtype: 'int64' })],
    call: (m, [x, t]) => (m as torch.nn.AdaptiveLogSoftmaxWithLoss).forward(x as Tensor, t as Tensor).output,
    pyCall: 'm(xs[0], xs[1]).output',
  },
  {
    name: 'AdaptiveLogSoftmaxWithLoss loss, head bias',
    make: () => new nn.AdaptiveLogSoftmaxWithLoss(6, 12, [3, 7], { divValue: 2, headBias: true }),
    py: 'nn.AdaptiveLogSoftmaxWithLoss(6, 12, [3, 7], div_value=2.0, head_bias=True)',
    inputs: [[5, 6], () => torch.tensor([0, 2, 8, 11, 5], { dtype: 'int64' })],
    call: (m, [x, t]) => (m as torch.nn.AdaptiveLogSoftmaxWithLoss).forward(x as Tensor, t as Tensor).loss,
    pyCall: 'm(xs[0], xs[1]).loss',
  },
  {
    name: 'AdaptiveLogSoftmaxWithLoss unbatched',
    make: () => new nn.AdaptiveLogSoftmaxWithLoss(4, 6, [2]),
    py: 'nn.AdaptiveLogSoftmaxWithLoss(4, 6, [2])',
    inputs: [[4], () => torch.tensor(4, { dtype: 'int64' })],
    call: (m, [x, t]) => (m as torch.nn.AdaptiveLogSoftmaxWithLoss).forward(x as Tensor, t as Tensor)[0],
    pyCall: 'm(xs[0], xs[1])[0]',
  },
  {
    // div_value 4 (the default) makes the last cluster's projection 16 // 4^3 = 0 wide: zero-element
    // layers, which nn.init leaves alone (as PyTorch, with its warning), and a cluster of constant output.
    name: 'AdaptiveLogSoftmaxWithLoss default divValue, a zero-width cluster',
    make: () => new nn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 10, 15]),
    py: 'nn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 10, 15])',
    inputs: [[6, 16], () => torch.tensor([0, 6, 11, 16, 19, 3], { dtype: 'int64' })],
    call: (m, [x, t]) => (m as torch.nn.AdaptiveLogSoftmaxWithLoss).forward(x as Tensor, t as Tensor).output,
    pyCall: 'm(xs[0], xs[1]).output',
  },
  {
    name: 'AdaptiveLogSoftmaxWithLoss logProb',
    make: () => new nn.AdaptiveLogSoftmaxWithLoss(8, 15, [4, 9, 12], { divValue: 2 }),
    py: 'nn.AdaptiveLogSoftmaxWithLoss(8, 15, [4, 9, 12], div_value=2.0)',
    inputs: [[3, 8]],
    call: (m, [x]) => (m as torch.nn.AdaptiveLogSoftmaxWithLoss).logProb(x as Tensor),
    pyCall: 'm.log_prob(xs[0])',
  },
];

describeLayerParity(
  'Hardshrink, Softshrink, RReLU, circular pads, inplace activations, fractional pools',
  layerCases,
  7100,
);

const gridCases: FunctionalCase[] = [];
for (const mode of ['bilinear', 'nearest', 'bicubic'] as const) {
  for (const paddingMode of ['zeros', 'border', 'reflection'] as const) {
    for (const alignCorners of [false, true]) {
      gridCases.push({
        name: `gridSample ${mode} ${paddingMode} alignCorners ${alignCorners}`,
        inputs: [[2, 3, 4, 5], grid([2, 3, 4, 2])],
        ours: ([x, g]) => F.gridSample(x as Tensor, g as Tensor, { mode, paddingMode, alignCorners }),
        py: `F.grid_sample(xs[0], xs[1], mode='${mode}', padding_mode='${paddingMode}', align_corners=${alignCorners ? 'True' : 'False'})`,
        // The nearest mode has no gradient for the grid (zeros, as PyTorch's).
      });
    }
  }
}
for (const mode of ['bilinear', 'nearest'] as const) {
  for (const paddingMode of ['zeros', 'border', 'reflection'] as const) {
    gridCases.push({
      name: `gridSample 3-d ${mode} ${paddingMode}`,
      inputs: [[1, 2, 3, 4, 3], grid([1, 2, 3, 2, 3])],
      ours: ([x, g]) => F.gridSample(x as Tensor, g as Tensor, { mode, paddingMode, alignCorners: true }),
      py: `F.grid_sample(xs[0], xs[1], mode='${mode}', padding_mode='${paddingMode}', align_corners=True)`,
    });
  }
}

const fcases: FunctionalCase[] = [
  ...gridCases,
  {
    name: 'affineGrid 2-d, then gridSample (gradient reaches theta)',
    inputs: [
      [2, 2, 3],
      [2, 1, 4, 5],
    ],
    ours: ([t, x]) =>
      F.gridSample(x as Tensor, F.affineGrid(t as Tensor, [2, 1, 3, 4], { alignCorners: false }), {
        alignCorners: false,
      }),
    py: 'F.grid_sample(xs[1], F.affine_grid(xs[0], [2, 1, 3, 4], align_corners=False), align_corners=False)',
  },
  {
    name: 'affineGrid 2-d alignCorners',
    inputs: [[1, 2, 3]],
    ours: ([t]) => F.affineGrid(t as Tensor, [1, 5, 4, 6], { alignCorners: true }),
    py: 'F.affine_grid(xs[0], [1, 5, 4, 6], align_corners=True)',
  },
  {
    name: 'affineGrid 3-d',
    inputs: [[2, 3, 4]],
    ours: ([t]) => F.affineGrid(t as Tensor, [2, 1, 2, 3, 4], { alignCorners: false }),
    py: 'F.affine_grid(xs[0], [2, 1, 2, 3, 4], align_corners=False)',
  },
  { name: 'hardshrink', inputs: [[4, 5]], ours: ([x]) => F.hardshrink(x as Tensor), py: 'F.hardshrink(xs[0])' },
  {
    name: 'hardshrink lambd, method',
    inputs: [[4, 5]],
    ours: ([x]) => (x as Tensor).hardshrink({ lambd: 1 }),
    py: 'xs[0].hardshrink(1.0)',
  },
  {
    name: 'torch.hardshrink',
    inputs: [[6]],
    ours: ([x]) => torch.hardshrink(x as Tensor),
    py: 'torch.hardshrink(xs[0])',
  },
  {
    name: 'softshrink lambd',
    inputs: [[4, 5]],
    ours: ([x]) => F.softshrink(x as Tensor, { lambd: 0.7 }),
    py: 'F.softshrink(xs[0], 0.7)',
  },
  { name: 'pdist', inputs: [[5, 3]], ours: ([x]) => F.pdist(x as Tensor), py: 'F.pdist(xs[0])' },
  ...[0, 0.5, 1, 3, Number.POSITIVE_INFINITY].map(
    (p): FunctionalCase => ({
      name: `pdist p ${p}`,
      inputs: [[4, 6]],
      ours: ([x]) => F.pdist(x as Tensor, { p }),
      py: `F.pdist(xs[0], p=${p === Number.POSITIVE_INFINITY ? "float('inf')" : p})`,
    }),
  ),
  { name: 'torch.pdist', inputs: [[3, 2]], ours: ([x]) => torch.pdist(x as Tensor), py: 'torch.pdist(xs[0])' },
  {
    name: 'rrelu eval (the mean slope)',
    inputs: [[3, 4]],
    ours: ([x]) => F.rrelu(x as Tensor, { lower: 0.2, upper: 0.4 }),
    py: 'F.rrelu(xs[0], 0.2, 0.4)',
  },
  {
    name: 'upsample bilinear alignCorners',
    inputs: [[1, 2, 3, 3]],
    ours: ([x]) => F.upsample(x as Tensor, { size: [5, 4], mode: 'bilinear', alignCorners: true }),
    py: "F.upsample(xs[0], size=(5, 4), mode='bilinear', align_corners=True)",
  },
  {
    name: 'upsample default nearest',
    inputs: [[1, 2, 3]],
    ours: ([x]) => F.upsample(x as Tensor, { scaleFactor: 2 }),
    py: 'F.upsample(xs[0], scale_factor=2)',
  },
  {
    name: 'upsampleNearest',
    inputs: [[1, 2, 3, 2]],
    ours: ([x]) => F.upsampleNearest(x as Tensor, { size: [5, 3] }),
    py: 'F.upsample_nearest(xs[0], size=(5, 3))',
  },
  {
    name: 'upsampleBilinear (alignCorners true)',
    inputs: [[2, 1, 3, 4]],
    ours: ([x]) => F.upsampleBilinear(x as Tensor, { scaleFactor: 2 }),
    py: 'F.upsample_bilinear(xs[0], scale_factor=2)',
  },
  // ---- in-place functionals, on a copy of the input (the leaf itself would be refused)
  { name: 'relu_', inputs: [[3, 4]], ours: ([x]) => F.relu_((x as Tensor).mul(1)), py: 'F.relu_(xs[0] * 1)' },
  {
    name: 'relu inplace',
    inputs: [[3, 4]],
    ours: ([x]) => F.relu((x as Tensor).mul(1), { inplace: true }),
    py: 'F.relu(xs[0] * 1, inplace=True)',
  },
  {
    name: 'elu_ alpha',
    inputs: [[3, 4]],
    ours: ([x]) => F.elu_((x as Tensor).mul(1), { alpha: 0.5 }),
    py: 'F.elu_(xs[0] * 1, 0.5)',
  },
  {
    name: 'elu inplace',
    inputs: [[3, 4]],
    ours: ([x]) => F.elu((x as Tensor).mul(1), { inplace: true }),
    py: 'F.elu(xs[0] * 1, inplace=True)',
  },
  {
    name: 'leakyRelu_',
    inputs: [[3, 4]],
    ours: ([x]) => F.leakyRelu_((x as Tensor).mul(1), { negativeSlope: 0.3 }),
    py: 'F.leaky_relu_(xs[0] * 1, 0.3)',
  },
  {
    name: 'leakyRelu inplace',
    inputs: [[3, 4]],
    ours: ([x]) => F.leakyRelu((x as Tensor).mul(1), { inplace: true }),
    py: 'F.leaky_relu(xs[0] * 1, inplace=True)',
  },
  {
    name: 'hardtanh_',
    inputs: [[3, 4]],
    ours: ([x]) => F.hardtanh_((x as Tensor).mul(1), { minVal: -0.4, maxVal: 0.6 }),
    py: 'F.hardtanh_(xs[0] * 1, -0.4, 0.6)',
  },
  {
    name: 'hardtanh inplace',
    inputs: [[3, 4]],
    ours: ([x]) => F.hardtanh((x as Tensor).mul(1), { inplace: true }),
    py: 'F.hardtanh(xs[0] * 1, inplace=True)',
  },
  { name: 'selu_', inputs: [[3, 4]], ours: ([x]) => F.selu_((x as Tensor).mul(1)), py: 'F.selu_(xs[0] * 1)' },
  {
    name: 'selu inplace',
    inputs: [[3, 4]],
    ours: ([x]) => F.selu((x as Tensor).mul(1), { inplace: true }),
    py: 'F.selu(xs[0] * 1, inplace=True)',
  },
  {
    name: 'celu_',
    inputs: [[3, 4]],
    ours: ([x]) => F.celu_((x as Tensor).mul(1), { alpha: 2 }),
    py: 'F.celu_(xs[0] * 1, 2.0)',
  },
  {
    name: 'celu inplace',
    inputs: [[3, 4]],
    ours: ([x]) => F.celu((x as Tensor).mul(1), { alpha: 0.5, inplace: true }),
    py: 'F.celu(xs[0] * 1, 0.5, inplace=True)',
  },
  {
    name: 'threshold_',
    inputs: [[3, 4]],
    ours: ([x]) => F.threshold_((x as Tensor).mul(1), 0.2, -3),
    py: 'F.threshold_(xs[0] * 1, 0.2, -3.0)',
  },
  {
    name: 'threshold inplace',
    inputs: [[3, 4]],
    ours: ([x]) => F.threshold((x as Tensor).mul(1), 0.2, -3, { inplace: true }),
    py: 'F.threshold(xs[0] * 1, 0.2, -3.0, inplace=True)',
  },
  {
    name: 'silu inplace',
    inputs: [() => torch.randn([3, 4], { dtype: 'float64' }).mul(4)],
    ours: ([x]) => F.silu((x as Tensor).mul(1), { inplace: true }),
    py: 'F.silu(xs[0] * 1, inplace=True)',
  },
  {
    name: 'mish inplace',
    inputs: [() => torch.randn([3, 4], { dtype: 'float64' }).mul(4)],
    ours: ([x]) => F.mish((x as Tensor).mul(1), { inplace: true }),
    py: 'F.mish(xs[0] * 1, inplace=True)',
  },
  {
    name: 'hardswish inplace',
    inputs: [() => torch.randn([3, 4], { dtype: 'float64' }).mul(4)],
    ours: ([x]) => F.hardswish((x as Tensor).mul(1), { inplace: true }),
    py: 'F.hardswish(xs[0] * 1, inplace=True)',
  },
  {
    name: 'hardsigmoid inplace',
    inputs: [() => torch.randn([3, 4], { dtype: 'float64' }).mul(4)],
    ours: ([x]) => F.hardsigmoid((x as Tensor).mul(1), { inplace: true }),
    py: 'F.hardsigmoid(xs[0] * 1, inplace=True)',
  },
  {
    name: 'rrelu_ eval',
    inputs: [[3, 4]],
    ours: ([x]) => F.rrelu_((x as Tensor).mul(1)),
    py: 'F.rrelu_(xs[0] * 1)',
  },
  {
    name: 'fractionalMaxPool2d with samples and indices',
    inputs: [[2, 2, 8, 7], samples([2, 2, 2])],
    ours: ([x, s]) =>
      F.fractionalMaxPool2d(x as Tensor, [3, 2], {
        outputSize: [4, 5],
        returnIndices: true,
        _randomSamples: s ?? null,
      }),
    py: 'F.fractional_max_pool2d(xs[0], (3, 2), output_size=(4, 5), return_indices=True, _random_samples=xs[1])',
    noGrad: [1],
  },
  {
    name: 'fractionalMaxPool3dWithIndices with samples',
    inputs: [[1, 2, 5, 6, 5], samples([1, 2, 3])],
    ours: ([x, s]) => F.fractionalMaxPool3dWithIndices(x as Tensor, 2, { outputSize: 3, _randomSamples: s ?? null }),
    py: 'F.fractional_max_pool3d_with_indices(xs[0], 2, output_size=3, _random_samples=xs[1])',
    noGrad: [1],
  },
];
// float32 through libtorch's kernels: PyTorch's to the bit.
for (const [name, inputs, ours, py] of [
  [
    'gridSample bilinear',
    [
      [2, 3, 5, 4],
      [2, 3, 3, 2],
    ],
    ([x, g]: Tensor[]) => F.gridSample(x as Tensor, g as Tensor, { alignCorners: false }),
    'F.grid_sample(xs[0], xs[1], align_corners=False)',
  ],
  [
    'gridSample bicubic reflection',
    [
      [1, 2, 4, 4],
      [1, 3, 2, 2],
    ],
    ([x, g]: Tensor[]) =>
      F.gridSample(x as Tensor, g as Tensor, { mode: 'bicubic', paddingMode: 'reflection', alignCorners: true }),
    "F.grid_sample(xs[0], xs[1], mode='bicubic', padding_mode='reflection', align_corners=True)",
  ],
  [
    'affineGrid',
    [[2, 2, 3]],
    ([t]: Tensor[]) => F.affineGrid(t as Tensor, [2, 3, 4, 5], { alignCorners: false }),
    'F.affine_grid(xs[0], [2, 3, 4, 5], align_corners=False)',
  ],
  ['pdist', [[5, 4]], ([x]: Tensor[]) => F.pdist(x as Tensor), 'F.pdist(xs[0])'],
  ['softshrink', [[5, 4]], ([x]: Tensor[]) => F.softshrink(x as Tensor), 'F.softshrink(xs[0])'],
] as const) {
  fcases.push({
    name: `to the bit (float32): ${name}`,
    inputs: [...inputs] as unknown as number[][],
    ours,
    py,
    dtype: 'float32',
    exact: true,
  });
}

describeFunctionalParity(
  'gridSample, affineGrid, shrinks, pdist, upsample aliases, in-place activations',
  fcases,
  7300,
);

// ---- random: the same numbers as PyTorch after the same manualSeed

interface SeededCase {
  name: string;
  shape: number[];
  dtype: 'float32' | 'float64';
  /** Ours on x (a leaf); the seed is set just before. */
  ours: (x: Tensor) => Tensor | Tensor[];
  /** Python's, over x, F, nn, torch. */
  py: string;
}

const seeded: SeededCase[] = [
  {
    name: 'RReLU train',
    shape: [4, 6],
    dtype: 'float32',
    ours: (x) => new nn.RReLU().train().forward(x),
    py: 'nn.RReLU().train()(x)',
  },
  {
    name: 'RReLU train inplace, bounds',
    shape: [3, 5],
    dtype: 'float64',
    ours: (x) => new nn.RReLU({ lower: 0.05, upper: 0.5, inplace: true }).train().forward(x.mul(1)),
    py: 'nn.RReLU(0.05, 0.5, inplace=True).train()(x * 1)',
  },
  {
    name: 'F.rrelu training',
    shape: [2, 3, 4],
    dtype: 'float32',
    ours: (x) => F.rrelu(x, { training: true }),
    py: 'F.rrelu(x, training=True)',
  },
  {
    name: 'gumbelSoftmax',
    shape: [4, 5],
    dtype: 'float32',
    ours: (x) => F.gumbelSoftmax(x),
    py: 'F.gumbel_softmax(x)',
  },
  {
    name: 'gumbelSoftmax hard, tau, dim 0',
    shape: [4, 5],
    dtype: 'float64',
    ours: (x) => F.gumbelSoftmax(x, { tau: 0.5, hard: true, dim: 0 }),
    py: 'F.gumbel_softmax(x, tau=0.5, hard=True, dim=0)',
  },
  {
    name: 'FractionalMaxPool2d ratio (samples drawn)',
    shape: [2, 3, 9, 10],
    dtype: 'float32',
    ours: (x) => new nn.FractionalMaxPool2d(3, { outputRatio: [0.5, 0.7] }).forward(x),
    py: 'nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.7))(x)',
  },
  {
    name: 'FractionalMaxPool2d unbatched, indices',
    shape: [2, 11, 9],
    dtype: 'float64',
    ours: (x) => new nn.FractionalMaxPool2d(2, { outputSize: 5, returnIndices: true }).forward(x),
    py: 'nn.FractionalMaxPool2d(2, output_size=5, return_indices=True)(x)',
  },
  {
    name: 'F.fractionalMaxPool3d with indices',
    shape: [2, 2, 7, 6, 8],
    dtype: 'float32',
    ours: (x) => F.fractionalMaxPool3d(x, [2, 2, 3], { outputSize: [3, 4, 4], returnIndices: true }),
    py: 'F.fractional_max_pool3d(x, (2, 2, 3), output_size=(3, 4, 4), return_indices=True)',
  },
  {
    name: 'FractionalMaxPool3d ratio, unbatched',
    shape: [2, 7, 9, 11],
    dtype: 'float64',
    ours: (x) => new nn.FractionalMaxPool3d(2, { outputRatio: 0.5 }).forward(x),
    py: 'nn.FractionalMaxPool3d(2, output_ratio=0.5)(x)',
  },
];

describe('random layers after the same manualSeed are PyTorch’s (values, indices and gradients to the bit)', {
  skip: skipWithoutPython(),
}, () => {
  test('RReLU, gumbelSoftmax and the fractional pools', () => {
    const payload = seeded.map((c, i) => {
      torch.manualSeed(7500 + i);
      const x = torch.randn(c.shape, { dtype: c.dtype });
      const leaf = x.detach().requiresGrad_();
      const seed = 7600 + i;
      torch.manualSeed(seed);
      const outs = [c.ours(leaf)].flat();
      const out = outs[0] as Tensor;
      const w = torch.randn(out.shape, { dtype: c.dtype });
      out.mul(w).sum().backward();
      return {
        c,
        outs,
        grad: leaf.grad,
        data: { x: x.toArray(), w: w.toArray(), dtype: c.dtype, seed, py: c.py },
      };
    });
    const theirs = runPython<{ outs: unknown[]; grad: unknown }[]>(
      `
import torch.nn as nn
import torch.nn.functional as F
OUTPUT = []
for c in INPUT:
    dt = getattr(torch, c['dtype'])
    x = torch.tensor(c['x'], dtype=dt).requires_grad_(True)
    w = torch.tensor(c['w'], dtype=dt)
    torch.manual_seed(c['seed'])
    out = eval(c['py'])
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    (outs[0] * w).sum().backward()
    OUTPUT.append({'outs': outs, 'grad': x.grad})
`,
      payload.map((p) => p.data),
    );
    // Every case is checked, and the failures are reported together.
    const failures: string[] = [];
    payload.forEach((p, i) => {
      const t = theirs[i];
      try {
        assert.ok(t);
        assert.equal(p.outs.length, t.outs.length, `${p.c.name}: number of results`);
        p.outs.forEach((o, k) => {
          close(o.toArray(), t.outs[k], `${p.c.name}: result ${k}`, Number.MIN_VALUE);
        });
        close(p.grad?.toArray(), t.grad, `${p.c.name}: gradient`, Number.MIN_VALUE);
      } catch (e) {
        failures.push((e as Error).message.split('\n')[0] ?? '');
      }
    });
    assert.deepEqual(failures, []);
  });

  test('a different seed gives different draws (the comparison above can fail)', () => {
    const x = torch.randn([4, 6]);
    torch.manualSeed(1);
    const a = F.rrelu(x, { training: true });
    const g = F.gumbelSoftmax(x);
    torch.manualSeed(2);
    assert.ok(!a.equal(F.rrelu(x, { training: true })));
    assert.ok(!g.equal(F.gumbelSoftmax(x)));
    // Eval is fixed: the mean slope.
    const neg = torch.tensor([-1, -2], { dtype: 'float32' });
    close(F.rrelu(neg).toArray(), [-(1 / 8 + 1 / 3) / 2, -(1 / 8 + 1 / 3)], 'rrelu eval', 1e-7);
    assert.ok(new nn.RReLU().eval().forward(neg).equal(F.rrelu(neg)));
  });
});

describe('semantics PyTorch users rely on', () => {
  test('in place: the input itself is returned, overwritten', () => {
    const x = torch.tensor([-1, 0.5, 2]);
    for (const run of [
      (t: Tensor) => F.relu(t, { inplace: true }),
      (t: Tensor) => F.elu_(t),
      (t: Tensor) => F.hardtanh(t, { inplace: true }),
      (t: Tensor) => F.rrelu(t, { inplace: true, training: true }),
      (t: Tensor) => new nn.LeakyReLU({ inplace: true }).forward(t),
      (t: Tensor) => new nn.Threshold(0, 5, { inplace: true }).forward(t),
      (t: Tensor) => F.silu(t, { inplace: true }),
      (t: Tensor) => F.mish(t, { inplace: true }),
      (t: Tensor) => F.hardswish(t, { inplace: true }),
      (t: Tensor) => F.hardsigmoid(t, { inplace: true }),
      (t: Tensor) => F.silu_(t),
      (t: Tensor) => F.hardsigmoid_(t),
      (t: Tensor) => new nn.SiLU({ inplace: true }).forward(t),
      (t: Tensor) => new nn.Mish({ inplace: true }).forward(t),
      (t: Tensor) => new nn.Hardswish({ inplace: true }).forward(t),
      (t: Tensor) => new nn.Hardsigmoid({ inplace: true }).forward(t),
    ]) {
      const t = x.clone();
      const out = run(t);
      assert.equal(out, t);
      assert.ok(!t.equal(x), 'the input was changed');
    }
    const y = x.clone();
    F.relu(y);
    new nn.ReLU().forward(y);
    for (const f of [F.silu, F.mish, F.hardswish, F.hardsigmoid]) f(y);
    for (const M of [nn.SiLU, nn.Mish, nn.Hardswish, nn.Hardsigmoid]) new M().forward(y);
    assert.ok(y.equal(x), 'not in place by default');
  });

  test('in place on a leaf that requires grad is refused, as in PyTorch', () => {
    const leaf = torch.tensor([-1, 0.5, 2], { requiresGrad: true });
    for (const f of [F.silu, F.mish, F.hardswish, F.hardsigmoid]) {
      assert.throws(() => f(leaf, { inplace: true }), /leaf Variable that requires grad/);
    }
  });

  test('gumbelSoftmax hard is one-hot along dim; soft sums to one', () => {
    const logits = torch.randn([3, 7]);
    const hard = F.gumbelSoftmax(logits, { hard: true });
    assert.deepEqual(hard.sum(-1).toArray(), [1, 1, 1]);
    assert.ok(hard.eq(0).logicalOr(hard.eq(1)).all().item());
    close(F.gumbelSoftmax(logits, { dim: 0 }).sum(0).toArray(), new Array(7).fill(1), 'sums', 1e-6);
  });

  test('FractionalMaxPool with fixed samples is deterministic; without, fresh each call', () => {
    const x = torch.randn([1, 2, 9, 9]);
    const s = torch.rand([1, 2, 2]);
    const m = new nn.FractionalMaxPool2d(2, { outputSize: 4, _randomSamples: s });
    assert.deepEqual(Object.keys(m.stateDict()), ['_random_samples']);
    assert.ok(m.forward(x).equal(m.forward(x)));
    const free = new nn.FractionalMaxPool2d(2, { outputSize: 4 });
    assert.deepEqual(Object.keys(free.stateDict()), []);
    assert.equal(String(free), 'FractionalMaxPool2d()');
    let differs = false;
    for (let i = 0; i < 5 && !differs; i++) differs = !free.forward(x).equal(free.forward(x));
    assert.ok(differs);
  });
});

describe('AdaptiveLogSoftmaxWithLoss', () => {
  test('predict is the argmax of logProb; logProb rows are distributions', () => {
    torch.manualSeed(3);
    const m = new nn.AdaptiveLogSoftmaxWithLoss(8, 30, [3, 10], { divValue: 1 });
    const x = torch.randn([40, 8]).mul(3);
    const lp = m.logProb(x);
    close(lp.exp().sum(1).toArray(), new Array(40).fill(1), 'probabilities sum to one', 1e-5);
    const p = m.predict(x);
    assert.ok(p.equal(lp.argmax(1)));
    assert.ok(p.ge(3).any().item() && p.lt(3).any().item(), 'both branches of predict');
  });

  test('a cluster without targets gets no gradient, as in PyTorch', () => {
    const m = new nn.AdaptiveLogSoftmaxWithLoss(6, 12, [3, 7], { divValue: 2 });
    m.forward(torch.randn([3, 6]), torch.tensor([0, 8, 1], { dtype: 'int64' })).loss.backward();
    const grads = m.namedParameters().map(([n, p]) => [n, p.grad !== null]);
    assert.deepEqual(grads, [
      ['head.weight', true],
      ['tail.0.0.weight', false],
      ['tail.0.1.weight', false],
      ['tail.1.0.weight', true],
      ['tail.1.1.weight', true],
    ]);
  });

  test('constructor and forward errors', () => {
    assert.throws(
      () => new nn.AdaptiveLogSoftmaxWithLoss(4, 10, []),
      /cutoffs should be a sequence of length larger than 0/,
    );
    for (const bad of [[5, 3], [3, 3], [0, 4], [4, 10], [2.5]]) {
      assert.throws(
        () => new nn.AdaptiveLogSoftmaxWithLoss(4, 10, bad),
        /cutoffs should be a sequence of unique, positive integers/,
      );
    }
    const m = new nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3]);
    const t = torch.tensor([1, 2], { dtype: 'int64' });
    assert.throws(() => m.forward(torch.randn([3, 4]), t), /same size in the batch dimension/);
    assert.throws(
      () => m.forward(torch.randn([2, 4]), torch.tensor([1, 10], { dtype: 'int64' })),
      /Target values should be in \[0, 9\], but values in range \[1, 10\] were found/,
    );
    assert.throws(() => m.forward(torch.randn([2, 4]), t.reshape([1, 2])), /0D or 1D target tensor expected/);
    assert.throws(
      () => m.forward(torch.randn([2, 4]), torch.tensor(1, { dtype: 'int64' })),
      /0D target tensor expects 1D input tensors/,
    );
  });
});

describe('errors name the function and what is wrong', () => {
  const x = torch.randn([2, 3, 8, 8]);
  const cases: [string, () => unknown, RegExp][] = [
    [
      'gridSample mode',
      () => F.gridSample(x, torch.rand([2, 4, 4, 2]), { mode: 'area' as 'nearest' }),
      /^gridSample: expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: 'area'/,
    ],
    [
      'gridSample paddingMode',
      () => F.gridSample(x, torch.rand([2, 4, 4, 2]), { paddingMode: 'wrap' as 'zeros', alignCorners: true }),
      /^gridSample: expected paddingMode to be 'zeros', 'border', or 'reflection'/,
    ],
    [
      'gridSample grid size',
      () => F.gridSample(x, torch.rand([2, 4, 4, 3]), { alignCorners: true }),
      /^gridSample: .*expected grid to have size 2 in last dimension/,
    ],
    [
      'gridSample batch',
      () => F.gridSample(x, torch.rand([1, 4, 4, 2]), { alignCorners: true }),
      /^gridSample: .*same batch size/,
    ],
    [
      'gridSample empty spatial',
      () => F.gridSample(torch.randn([2, 3, 0, 8]), torch.rand([2, 4, 4, 2]), { alignCorners: true }),
      /^gridSample: .*non-empty spatial dimensions/,
    ],
    [
      'gridSample 3-d bicubic',
      () =>
        F.gridSample(torch.randn([1, 1, 3, 3, 3]), torch.rand([1, 2, 2, 2, 3]), {
          mode: 'bicubic',
          alignCorners: true,
        }),
      /^gridSample: .*bicubic interpolation only supports 4D input/,
    ],
    [
      'gridSample not a tensor',
      () => F.gridSample(x, [1, 2] as unknown as Tensor),
      /^gridSample: argument 'grid' must be a Tensor/,
    ],
    [
      'affineGrid integer theta',
      () => F.affineGrid(torch.ones([1, 2, 3], { dtype: 'int64' }), [1, 1, 2, 2], { alignCorners: true }),
      /^affineGrid: Expected theta to have floating point type, but got int64/,
    ],
    [
      'affineGrid shape',
      () => F.affineGrid(torch.randn([1, 3, 4]), [1, 1, 2, 2], { alignCorners: true }),
      /^affineGrid: Expected a batch of 2D affine matrices of shape Nx2x3 for size \[1, 1, 2, 2\]. Got \[1, 3, 4\]/,
    ],
    [
      'affineGrid 3-d size',
      () => F.affineGrid(torch.randn([1, 2, 3]), [1, 1, 2], { alignCorners: true }),
      /^affineGrid: only 4D and 5D sizes/,
    ],
    [
      'affineGrid zero size',
      () => F.affineGrid(torch.randn([1, 2, 3]), [1, 1, 0, 2], { alignCorners: false }),
      /^affineGrid: Expected non-zero, positive output size/,
    ],
    ['pdist 1-d', () => F.pdist(torch.randn([4])), /^pdist: .*pdist only supports 2D tensors, got: 1D/],
    ['pdist negative p', () => F.pdist(torch.randn([4, 2]), { p: -1 }), /non-negative p/],
    [
      'softshrink negative lambd',
      () => F.softshrink(torch.randn([3]), { lambd: -1 }),
      /^softshrink: .*lambda must be in range/,
    ],
    [
      'hardtanh min > max',
      () => F.hardtanh(torch.randn([3]), { minVal: 1, maxVal: 0.5 }),
      /^hardtanh: minVal cannot be greater than maxVal/,
    ],
    ['elu_ on a leaf', () => F.elu_(torch.randn([3]).requiresGrad_()), /^elu_: .*leaf Variable that requires grad/],
    [
      'rrelu bounds',
      () => F.rrelu(torch.randn([3]), { lower: 0.5, upper: 0.1, training: true }),
      /^rrelu: .*Lower bound should be less than or equal to the upper bound/,
    ],
    [
      'rrelu integer',
      () => F.rrelu(torch.ones([3], { dtype: 'int64' }), { training: true }),
      /^rrelu: .*not implemented for 'Long'/,
    ],
    [
      'gumbelSoftmax integer',
      () => F.gumbelSoftmax(torch.ones([3], { dtype: 'int64' })),
      /^gumbelSoftmax: .*floating point/,
    ],
    [
      'fractional no size',
      () => F.fractionalMaxPool2d(x, 2),
      /^fractionalMaxPool2d: requires specifying either an outputSize or an outputRatio/,
    ],
    [
      'fractional 2-d input',
      () => F.fractionalMaxPool2d(torch.randn([8, 8]), 2, { outputSize: 4 }),
      /^fractionalMaxPool2d: Expected 3D \(C, H, W\) or 4D \(N, C, H, W\) input tensor, but got 2D/,
    ],
    [
      'fractional kernel too big',
      () => F.fractionalMaxPool2d(x, 5, { outputSize: 6 }),
      /^fractionalMaxPool2d: .*pool height 5 too large relative to input height 8/,
    ],
    [
      'fractional samples shape',
      () => F.fractionalMaxPool2d(x, 2, { outputSize: 4, _randomSamples: torch.rand([2, 3, 1]) }),
      /^fractionalMaxPool2d: .*_random_samples.size\(2\) equals to 2/,
    ],
    [
      'fractional samples batch',
      () =>
        F.fractionalMaxPool3d(torch.randn([2, 1, 4, 4, 4]), 2, {
          outputSize: 2,
          _randomSamples: torch.rand([1, 1, 3]),
        }),
      /^fractionalMaxPool3d: .*no less then input batch size/,
    ],
    [
      'fractional samples dtype',
      () => F.fractionalMaxPool2d(x, 2, { outputSize: 4, _randomSamples: torch.rand([2, 3, 2], { dtype: 'float64' }) }),
      /same dtype as input/,
    ],
    [
      'fractional no channels',
      () => F.fractionalMaxPool2d(torch.randn([2, 0, 8, 8]), 2, { outputSize: 4 }),
      /^fractionalMaxPool2d: .*non-zero size for non-batch dimensions/,
    ],
    [
      'fractional kernel size',
      () => F.fractionalMaxPool3d(torch.randn([1, 1, 4, 4, 4]), [2, 2], { outputSize: 2 }),
      /^fractionalMaxPool3d: kernelSize must be a number or an array of 3 numbers/,
    ],
    [
      'FractionalMaxPool2d no size',
      () => new nn.FractionalMaxPool2d(2),
      /^FractionalMaxPool2d requires specifying either an output size, or a pooling ratio/,
    ],
    [
      'FractionalMaxPool3d both sizes',
      () => new nn.FractionalMaxPool3d(2, { outputSize: 2, outputRatio: 0.5 }),
      /^FractionalMaxPool3d: only one of outputSize and outputRatio may be specified/,
    ],
    [
      'FractionalMaxPool2d ratio',
      () => new nn.FractionalMaxPool2d(2, { outputRatio: [0.5, 1] }),
      /^FractionalMaxPool2d: outputRatio must be between 0 and 1 \(got \[0.5,1\]\)/,
    ],
    [
      'CircularPad2d rank',
      () => new nn.CircularPad2d(1).forward(torch.randn([4, 4])),
      /^CircularPad2d: expected 3D or 4D input \(got 2D input\)/,
    ],
    [
      'CircularPad1d wraps twice',
      () => new nn.CircularPad1d(4).forward(torch.randn([1, 2, 3])),
      /^CircularPad1d: .*wrapping around more than once/,
    ],
    [
      'CircularPad3d padding',
      () => new nn.CircularPad3d([1, 2]),
      /^CircularPad3d: padding must be an integer or an array of 6 integers/,
    ],
  ];
  for (const [name, run, pattern] of cases) {
    test(name, () =>
      assert.throws(run, (e: Error) => {
        assert.match(e.message, pattern);
        return true;
      }),
    );
  }

  test('empty batches are fine where PyTorch allows them', () => {
    assert.deepEqual(F.fractionalMaxPool2d(torch.randn([0, 3, 8, 8]), 2, { outputSize: 4 }).shape, [0, 3, 4, 4]);
    assert.deepEqual(
      F.gridSample(torch.randn([0, 3, 8, 8]), torch.rand([0, 5, 5, 2]), { alignCorners: true }).shape,
      [0, 3, 5, 5],
    );
    assert.deepEqual(F.pdist(torch.randn([1, 3])).shape, [0]);
    assert.deepEqual(F.rrelu(torch.randn([0, 3]), { training: true }).shape, [0, 3]);
  });
});
