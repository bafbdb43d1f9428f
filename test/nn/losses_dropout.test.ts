// The margin, multi-label, triplet and CTC losses, the distances, the dropout variants, Softmax2d
// and EmbeddingBag against PyTorch's (test/support/layer_parity.ts): outputs, input and parameter
// gradients, state after forward (EmbeddingBag's maxNorm renormalises its weight) and repr; the
// ATen kernels in float32 to the bit; dropout masks drawn after the same manualSeed equal to
// PyTorch's; and bad input is an Error naming the layer or function.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import {
  close,
  describeFunctionalParity,
  describeLayerParity,
  type FunctionalCase,
  idx,
  type LayerCase,
  logProbs,
  probs,
  signs,
  vec,
} from '../support/layer_parity.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const nn = torch.nn;
const F = nn.functional;
type Tensor = torch.Tensor;

/** Multi-hot targets of 0/1 (float64). */
const multiHot = (shape: number[]) => () => torch.randint(0, 2, shape).double();
/** Integer classes in [low, high). */
const classes = (low: number, high: number, shape: number[]) => () => torch.randint(low, high, shape);

// Python's warnings come first: each is given once per process, as the broadcast warnings of the
// other losses, and the parity tables below run dropout2d on 3-D input too.
describe('dropout2d and dropout3d warn as Python does', () => {
  test('a 3-D input to dropout2d is (N, C, L), with a warning; other ranks are deprecated', () => {
    const seen: string[] = [];
    const original = process.emitWarning;
    process.emitWarning = ((message: string) => {
      seen.push(message);
    }) as typeof process.emitWarning;
    try {
      torch.manualSeed(1);
      const x = torch.ones([2, 3, 50]);
      const out = new nn.Dropout2d().train().forward(x);
      // Whole rows of the (N, C, L) reading are zeroed or kept (scaled by 2).
      for (const row of out.toArray() as number[][][]) {
        for (const channel of row)
          assert.ok(channel.every((v) => v === channel[0]) && [0, 2].includes(channel[0] ?? -1));
      }
      F.dropout2d(torch.ones([2, 3]), { training: false });
      F.dropout3d(torch.ones([2, 3]), { training: false });
      F.dropout2d(torch.ones([2, 3, 4]));
    } finally {
      process.emitWarning = original;
    }
    assert.equal(seen.length, 3, 'the 3-D warning once, then one per deprecated rank');
    assert.match(seen[0] ?? '', /^dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D/);
    assert.match(seen[1] ?? '', /^dropout2d: Received a 2-D input to dropout2d, which is deprecated/);
    assert.match(seen[2] ?? '', /^dropout3d: Received a 2-D input to dropout3d, which is deprecated/);
  });
});

const cases: LayerCase[] = [
  // ---- triplet losses
  {
    name: 'TripletMarginLoss',
    make: () => new nn.TripletMarginLoss(),
    py: 'nn.TripletMarginLoss()',
    inputs: [
      [4, 5],
      [4, 5],
      [4, 5],
    ],
  },
  {
    name: 'TripletMarginLoss p=1, swap, margin, sum',
    make: () => new nn.TripletMarginLoss({ margin: 0.5, p: 1, swap: true, reduction: 'sum' }),
    py: "nn.TripletMarginLoss(margin=0.5, p=1, swap=True, reduction='sum')",
    inputs: [
      [6, 3],
      [6, 3],
      [6, 3],
    ],
  },
  {
    name: 'TripletMarginLoss unbatched, none, eps',
    make: () => new nn.TripletMarginLoss({ p: 3, eps: 0.1, reduction: 'none' }),
    py: "nn.TripletMarginLoss(p=3, eps=0.1, reduction='none')",
    inputs: [[5], [5], [5]],
  },
  {
    name: 'TripletMarginWithDistanceLoss (pairwise distance submodule)',
    make: () => new nn.TripletMarginWithDistanceLoss(),
    py: 'nn.TripletMarginWithDistanceLoss()',
    inputs: [
      [4, 5],
      [4, 5],
      [4, 5],
    ],
  },
  {
    name: 'TripletMarginWithDistanceLoss, a module distance, none',
    make: () =>
      new nn.TripletMarginWithDistanceLoss({
        distanceFunction: new nn.PairwiseDistance({ p: 1 }),
        margin: 2,
        reduction: 'none',
      }),
    py: "nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance(p=1), margin=2.0, reduction='none')",
    inputs: [
      [5, 3],
      [5, 3],
      [5, 3],
    ],
  },
  {
    name: 'TripletMarginWithDistanceLoss, a function distance, swap, sum',
    make: () =>
      new nn.TripletMarginWithDistanceLoss({
        distanceFunction: (x, y) => F.cosineSimilarity(x, y).neg().add(1),
        swap: true,
        reduction: 'sum',
      }),
    py: "nn.TripletMarginWithDistanceLoss(distance_function=lambda x, y: 1.0 - torch.nn.functional.cosine_similarity(x, y), swap=True, reduction='sum')",
    inputs: [
      [6, 4],
      [6, 4],
      [6, 4],
    ],
  },
  // ---- margin and multi-label losses
  {
    name: 'MultiMarginLoss',
    make: () => new nn.MultiMarginLoss(),
    py: 'nn.MultiMarginLoss()',
    inputs: [[4, 5], idx([0, 4, 2, 1])],
  },
  {
    name: 'MultiMarginLoss p=2, margin, weight, sum',
    make: () =>
      new nn.MultiMarginLoss({
        p: 2,
        margin: 0.5,
        weight: torch.tensor([1, 2, 0.5, 3], { dtype: 'float64' }),
        reduction: 'sum',
      }),
    py: "nn.MultiMarginLoss(p=2, margin=0.5, weight=torch.tensor([1, 2, 0.5, 3], dtype=torch.float64), reduction='sum')",
    inputs: [[6, 4], idx([0, 3, 2, 1, 1, 0])],
  },
  {
    name: 'MultiMarginLoss unbatched, none',
    make: () => new nn.MultiMarginLoss({ reduction: 'none' }),
    py: "nn.MultiMarginLoss(reduction='none')",
    inputs: [[5], idx([3], [])],
  },
  {
    name: 'MultiLabelMarginLoss (targets ended by -1)',
    make: () => new nn.MultiLabelMarginLoss(),
    py: 'nn.MultiLabelMarginLoss()',
    inputs: [[3, 4], idx([3, 0, -1, 1, 1, 2, 3, 0, -1, 2, 2, 1], [3, 4])],
  },
  {
    name: 'MultiLabelMarginLoss unbatched, none',
    make: () => new nn.MultiLabelMarginLoss({ reduction: 'none' }),
    py: "nn.MultiLabelMarginLoss(reduction='none')",
    inputs: [[5], idx([4, 1, -1, 0, 0])],
  },
  {
    name: 'MultiLabelSoftMarginLoss with a weight',
    make: () => new nn.MultiLabelSoftMarginLoss({ weight: torch.tensor([1, 0.5, 2, 1.5, 3], { dtype: 'float64' }) }),
    py: 'nn.MultiLabelSoftMarginLoss(weight=torch.tensor([1, 0.5, 2, 1.5, 3], dtype=torch.float64))',
    inputs: [[4, 5], multiHot([4, 5])],
  },
  {
    name: 'MultiLabelSoftMarginLoss soft targets, none',
    make: () => new nn.MultiLabelSoftMarginLoss({ reduction: 'none' }),
    py: "nn.MultiLabelSoftMarginLoss(reduction='none')",
    inputs: [[3, 6], probs([3, 6])],
  },
  {
    name: 'MultiLabelSoftMarginLoss unbatched, sum',
    make: () => new nn.MultiLabelSoftMarginLoss({ reduction: 'sum' }),
    py: "nn.MultiLabelSoftMarginLoss(reduction='sum')",
    inputs: [[6], multiHot([6])],
  },
  {
    name: 'HingeEmbeddingLoss',
    make: () => new nn.HingeEmbeddingLoss(),
    py: 'nn.HingeEmbeddingLoss()',
    inputs: [[8], signs([8])],
  },
  {
    name: 'HingeEmbeddingLoss margin, sum, x at the margin',
    make: () => new nn.HingeEmbeddingLoss({ margin: 0.5, reduction: 'sum' }),
    py: "nn.HingeEmbeddingLoss(margin=0.5, reduction='sum')",
    inputs: [vec([0.5, -0.2, 0.1, 2, 0.5, 0.7]), vec([-1, -1, 1, -1, 1, -1])],
  },
  // ---- CTC (logProbs (T, N, C); targets (N, S) or concatenated; lengths as tensors or arrays)
  {
    name: 'CTCLoss, tensor lengths',
    make: () => new nn.CTCLoss(),
    py: 'nn.CTCLoss()',
    inputs: [logProbs([7, 2, 5]), classes(1, 5, [2, 4]), idx([7, 6]), idx([4, 2])],
  },
  {
    name: 'CTCLoss blank 4, sum, concatenated targets, a repeated label',
    make: () => new nn.CTCLoss({ blank: 4, reduction: 'sum' }),
    py: "nn.CTCLoss(blank=4, reduction='sum')",
    inputs: [logProbs([8, 3, 5]), idx([1, 1, 2, 0, 3, 3, 3, 2]), idx([8, 7, 6]), idx([3, 2, 3])],
  },
  {
    name: 'CTCLoss mean with a zero target length (divided by max(length, 1))',
    make: () => new nn.CTCLoss(),
    py: 'nn.CTCLoss()',
    inputs: [logProbs([6, 2, 4]), classes(1, 4, [2, 3]), idx([6, 4]), idx([3, 0])],
  },
  {
    name: 'CTCLoss zeroInfinity: an impossible alignment, none',
    make: () => new nn.CTCLoss({ reduction: 'none', zeroInfinity: true }),
    py: "nn.CTCLoss(reduction='none', zero_infinity=True)",
    inputs: [logProbs([6, 2, 4]), idx([1, 2, 3, 1, 2, 3], [2, 3]), idx([2, 6]), idx([3, 3])],
  },
  {
    name: 'CTCLoss, lengths as arrays',
    make: () => new nn.CTCLoss(),
    py: 'nn.CTCLoss()',
    inputs: [logProbs([7, 2, 5]), classes(1, 5, [2, 3])],
    call: (m, [lp, t]) => (m as torch.nn.CTCLoss).forward(lp as Tensor, t as Tensor, [7, 5], [3, 2]),
    pyCall: 'm(xs[0], xs[1], [7, 5], [3, 2])',
  },
  {
    name: 'CTCLoss unbatched (T, C)',
    make: () => new nn.CTCLoss({ reduction: 'sum' }),
    py: "nn.CTCLoss(reduction='sum')",
    inputs: [logProbs([6, 5]), classes(1, 5, [3]), idx([6], []), idx([3], [])],
  },
  // ---- distances
  {
    name: 'PairwiseDistance',
    make: () => new nn.PairwiseDistance(),
    py: 'nn.PairwiseDistance()',
    inputs: [
      [4, 5],
      [4, 5],
    ],
  },
  {
    name: 'PairwiseDistance p=1, eps, keepdim, broadcast',
    make: () => new nn.PairwiseDistance({ p: 1, eps: 0.01, keepdim: true }),
    py: 'nn.PairwiseDistance(p=1, eps=0.01, keepdim=True)',
    inputs: [[4, 5], [5]],
  },
  {
    name: 'PairwiseDistance p=inf',
    make: () => new nn.PairwiseDistance({ p: Number.POSITIVE_INFINITY }),
    py: "nn.PairwiseDistance(p=float('inf'))",
    inputs: [
      [3, 6],
      [3, 6],
    ],
  },
  {
    name: 'CosineSimilarity',
    make: () => new nn.CosineSimilarity(),
    py: 'nn.CosineSimilarity()',
    inputs: [
      [4, 5],
      [4, 5],
    ],
  },
  {
    name: 'CosineSimilarity dim 0, eps, broadcast',
    make: () => new nn.CosineSimilarity({ dim: 0, eps: 0.5 }),
    py: 'nn.CosineSimilarity(dim=0, eps=0.5)',
    inputs: [
      [3, 4],
      [3, 1],
    ],
  },
  // ---- dropout variants in eval mode (the identity) and Softmax2d
  { name: 'Dropout1d eval', make: () => new nn.Dropout1d({ p: 0.3 }), py: 'nn.Dropout1d(p=0.3)', inputs: [[2, 3, 4]] },
  { name: 'Dropout2d eval', make: () => new nn.Dropout2d(), py: 'nn.Dropout2d()', inputs: [[2, 3, 2, 2]] },
  {
    name: 'Dropout3d eval, inplace',
    make: () => new nn.Dropout3d({ p: 0.2, inplace: true }),
    py: 'nn.Dropout3d(p=0.2, inplace=True)',
    inputs: [[1, 2, 2, 2, 2]],
    call: (m, [x]) => m.forward((x as Tensor).mul(1) as never) as Tensor,
    pyCall: 'm(xs[0] * 1)',
  },
  {
    name: 'AlphaDropout eval',
    make: () => new nn.AlphaDropout({ p: 0.2 }),
    py: 'nn.AlphaDropout(p=0.2)',
    inputs: [[3, 4]],
  },
  {
    name: 'FeatureAlphaDropout eval, inplace printed',
    make: () => new nn.FeatureAlphaDropout({ inplace: true }),
    py: 'nn.FeatureAlphaDropout(inplace=True)',
    inputs: [[2, 3, 4]],
  },
  { name: 'Softmax2d', make: () => new nn.Softmax2d(), py: 'nn.Softmax2d()', inputs: [[2, 3, 2, 4]] },
  { name: 'Softmax2d unbatched', make: () => new nn.Softmax2d(), py: 'nn.Softmax2d()', inputs: [[4, 3, 2]] },
  // ---- EmbeddingBag (weights and per-sample weights get gradients; maxNorm changes the weight)
  {
    name: 'EmbeddingBag mean, offsets with an empty bag',
    make: () => new nn.EmbeddingBag(10, 3),
    py: 'nn.EmbeddingBag(10, 3)',
    inputs: [idx([1, 2, 4, 5, 4, 3, 2, 9]), idx([0, 3, 3, 5])],
  },
  {
    name: 'EmbeddingBag sum, perSampleWeights',
    make: () => new nn.EmbeddingBag(8, 4, { mode: 'sum' }),
    py: "nn.EmbeddingBag(8, 4, mode='sum')",
    inputs: [idx([1, 7, 0, 1, 3, 3]), idx([0, 2]), [6]],
  },
  {
    name: 'EmbeddingBag max, 2-D input (one bag per row)',
    make: () => new nn.EmbeddingBag(6, 3, { mode: 'max' }),
    py: "nn.EmbeddingBag(6, 3, mode='max')",
    inputs: [idx([0, 5, 2, 1, 1, 3, 4, 0, 5], [3, 3])],
  },
  {
    name: 'EmbeddingBag sum, 2-D input with perSampleWeights',
    make: () => new nn.EmbeddingBag(6, 3, { mode: 'sum' }),
    py: "nn.EmbeddingBag(6, 3, mode='sum')",
    inputs: [idx([0, 5, 2, 1, 1, 3], [2, 3]), [2, 3]],
    call: (m, [x, w]) => (m as torch.nn.EmbeddingBag).forward(x as Tensor, null, w as Tensor),
    pyCall: 'm(xs[0], None, xs[1])',
  },
  {
    name: 'EmbeddingBag includeLastOffset',
    make: () => new nn.EmbeddingBag(7, 2, { mode: 'sum', includeLastOffset: true }),
    py: "nn.EmbeddingBag(7, 2, mode='sum', include_last_offset=True)",
    inputs: [idx([1, 2, 3, 4, 5, 6, 0, 1]), idx([0, 2, 5, 8])],
  },
  {
    name: 'EmbeddingBag mean, paddingIdx (left out of each mean)',
    make: () => new nn.EmbeddingBag(6, 3, { paddingIdx: 2 }),
    py: 'nn.EmbeddingBag(6, 3, padding_idx=2)',
    inputs: [idx([2, 1, 2, 4, 2, 2, 5]), idx([0, 3, 4])],
  },
  {
    name: 'EmbeddingBag max, negative paddingIdx',
    make: () => new nn.EmbeddingBag(5, 3, { mode: 'max', paddingIdx: -1 }),
    py: "nn.EmbeddingBag(5, 3, mode='max', padding_idx=-1)",
    inputs: [idx([4, 1, 0, 4, 3, 2], [2, 3])],
  },
  {
    name: 'EmbeddingBag maxNorm renormalises the looked-up rows',
    make: () => new nn.EmbeddingBag(6, 4, { maxNorm: 1, mode: 'sum' }),
    py: "nn.EmbeddingBag(6, 4, max_norm=1.0, mode='sum')",
    inputs: [idx([0, 2, 2, 5, 3]), idx([0, 2])],
  },
  {
    name: 'EmbeddingBag maxNorm, normType 1, scaleGradByFreq',
    make: () => new nn.EmbeddingBag(6, 4, { maxNorm: 1.5, normType: 1, scaleGradByFreq: true }),
    py: 'nn.EmbeddingBag(6, 4, max_norm=1.5, norm_type=1.0, scale_grad_by_freq=True)',
    inputs: [idx([1, 1, 4, 1, 0, 4]), idx([0, 3])],
  },
];

describeLayerParity('losses, distances, dropout and EmbeddingBag against PyTorch', cases, 3000);

const f32Idx = (values: number[], shape?: number[]) => idx(values, shape);
const fcases: FunctionalCase[] = [
  {
    name: 'tripletMarginLoss float32, to the bit',
    inputs: [
      [5, 4],
      [5, 4],
      [5, 4],
    ],
    ours: ([a, p, n]) => F.tripletMarginLoss(a as Tensor, p as Tensor, n as Tensor, { swap: true, p: 1.5 }),
    py: 'F.triplet_margin_loss(xs[0], xs[1], xs[2], swap=True, p=1.5)',
    dtype: 'float32',
    exact: true,
  },
  {
    name: 'tripletMarginWithDistanceLoss float32, to the bit',
    inputs: [
      [5, 4],
      [5, 4],
      [5, 4],
    ],
    ours: ([a, p, n]) => F.tripletMarginWithDistanceLoss(a as Tensor, p as Tensor, n as Tensor, { margin: 0.3 }),
    py: 'F.triplet_margin_with_distance_loss(xs[0], xs[1], xs[2], margin=0.3)',
    dtype: 'float32',
    exact: true,
  },
  {
    name: 'multiMarginLoss float32, to the bit',
    inputs: [[6, 5], f32Idx([0, 4, 2, 1, 3, 3])],
    ours: ([x, t]) => F.multiMarginLoss(x as Tensor, t as Tensor, { p: 2, margin: 0.7, reduction: 'none' }),
    py: "F.multi_margin_loss(xs[0], xs[1], p=2, margin=0.7, reduction='none')",
    dtype: 'float32',
    exact: true,
  },
  {
    name: 'multilabelMarginLoss float32, to the bit',
    inputs: [[2, 5], f32Idx([4, 0, -1, 2, 2, 1, 2, 3, 4, 0], [2, 5])],
    ours: ([x, t]) => F.multilabelMarginLoss(x as Tensor, t as Tensor),
    py: 'F.multilabel_margin_loss(xs[0], xs[1])',
    dtype: 'float32',
    exact: true,
  },
  {
    name: 'multilabelSoftMarginLoss float32 (the composition), to the bit',
    inputs: [[4, 5], () => torch.randint(0, 2, [4, 5]).float()],
    ours: ([x, t]) => F.multilabelSoftMarginLoss(x as Tensor, t as Tensor),
    py: 'F.multilabel_soft_margin_loss(xs[0], xs[1])',
    dtype: 'float32',
    exact: true,
  },
  {
    name: 'hingeEmbeddingLoss float32, to the bit',
    inputs: [[4, 5], () => torch.randint(0, 2, [4, 5]).mul(2).sub(1).float()],
    ours: ([x, t]) => F.hingeEmbeddingLoss(x as Tensor, t as Tensor, { margin: 0.4, reduction: 'none' }),
    py: "F.hinge_embedding_loss(xs[0], xs[1], margin=0.4, reduction='none')",
    dtype: 'float32',
    exact: true,
  },
  {
    name: 'ctcLoss float32, array lengths, to the bit',
    inputs: [() => torch.randn([9, 3, 6]).logSoftmax(2), f32Idx([1, 2, 2, 5, 3, 4, 1, 1, 5, 2, 3, 4], [3, 4])],
    ours: ([lp, t]) => F.ctcLoss(lp as Tensor, t as Tensor, [9, 8, 7], [4, 3, 2]),
    py: 'F.ctc_loss(xs[0], xs[1], [9, 8, 7], [4, 3, 2])',
    exact: true,
  },
  {
    name: 'ctcLoss float32, int32 tensor lengths, none, to the bit',
    inputs: [
      () => torch.randn([9, 2, 6]).logSoftmax(2),
      f32Idx([1, 2, 2, 5, 3, 4, 1, 1], [2, 4]),
      () => torch.tensor([9, 6], { dtype: 'int32' }),
      () => torch.tensor([4, 3], { dtype: 'int32' }),
    ],
    ours: ([lp, t, il, tl]) =>
      F.ctcLoss(lp as Tensor, t as Tensor, il as Tensor, tl as Tensor, { reduction: 'none', blank: 0 }),
    py: "F.ctc_loss(xs[0], xs[1], xs[2], xs[3], reduction='none')",
    exact: true,
  },
  {
    name: 'pairwiseDistance float32, to the bit',
    inputs: [
      [6, 5],
      [6, 5],
    ],
    ours: ([a, b]) => F.pairwiseDistance(a as Tensor, b as Tensor, { p: 3 }),
    py: 'F.pairwise_distance(xs[0], xs[1], p=3)',
    dtype: 'float32',
    exact: true,
  },
  {
    name: 'cosineSimilarity float32, to the bit',
    inputs: [
      [2, 6, 5],
      [2, 6, 5],
    ],
    ours: ([a, b]) => F.cosineSimilarity(a as Tensor, b as Tensor, { dim: 2 }),
    py: 'F.cosine_similarity(xs[0], xs[1], dim=2)',
    dtype: 'float32',
    exact: true,
  },
  {
    name: 'embeddingBag float32 sum with perSampleWeights, to the bit',
    inputs: [f32Idx([1, 3, 0, 3, 2, 2]), [5, 3], f32Idx([0, 1, 4]), [6]],
    ours: ([i, w, o, psw]) =>
      F.embeddingBag(i as Tensor, w as Tensor, { offsets: o as Tensor, mode: 'sum', perSampleWeights: psw as Tensor }),
    py: "F.embedding_bag(xs[0], xs[1], xs[2], mode='sum', per_sample_weights=xs[3])",
    dtype: 'float32',
    exact: true,
  },
  {
    name: 'embeddingBag float32 max, 2-D, paddingIdx, to the bit',
    inputs: [f32Idx([1, 3, 0, 3, 2, 0], [3, 2]), [5, 3]],
    ours: ([i, w]) => F.embeddingBag(i as Tensor, w as Tensor, { mode: 'max', paddingIdx: 0 }),
    py: "F.embedding_bag(xs[0], xs[1], mode='max', padding_idx=0)",
    dtype: 'float32',
    exact: true,
  },
  {
    name: 'alphaDropout and featureAlphaDropout are the identity unless training (their default)',
    inputs: [[2, 3, 4]],
    ours: ([x]) => [F.alphaDropout(x as Tensor), F.featureAlphaDropout(x as Tensor, { p: 0.9 })],
    py: 'F.alpha_dropout(xs[0]), F.feature_alpha_dropout(xs[0], p=0.9)',
    dtype: 'float32',
    exact: true,
  },
];

describeFunctionalParity('losses, distances and embeddingBag: functional forms against PyTorch', fcases, 3500);

// ---- random masks: the same manualSeed draws the same mask as PyTorch (libtorch's kernels)

interface MaskCase {
  name: string;
  shape: number[];
  dtype: 'float32' | 'float64';
  ours: (x: Tensor) => Tensor;
  py: string;
}

const maskCases: MaskCase[] = [
  {
    name: 'dropout',
    shape: [4, 6],
    dtype: 'float32',
    ours: (x) => F.dropout(x, { p: 0.3 }),
    py: 'F.dropout(x, p=0.3)',
  },
  {
    name: 'dropout inplace',
    shape: [4, 6],
    dtype: 'float64',
    ours: (x) => F.dropout(x.mul(1), { p: 0.4, inplace: true }),
    py: 'F.dropout(x * 1, p=0.4, inplace=True)',
  },
  {
    name: 'Dropout module, train, inplace',
    shape: [3, 5],
    dtype: 'float32',
    ours: (x) => new nn.Dropout({ p: 0.6, inplace: true }).train().forward(x.mul(1)),
    py: 'nn.Dropout(p=0.6, inplace=True).train()(x * 1)',
  },
  {
    name: 'dropout1d (N, C, L)',
    shape: [4, 6, 3],
    dtype: 'float32',
    ours: (x) => F.dropout1d(x),
    py: 'F.dropout1d(x)',
  },
  {
    name: 'Dropout1d unbatched (C, L), inplace',
    shape: [8, 3],
    dtype: 'float64',
    ours: (x) => new nn.Dropout1d({ p: 0.3, inplace: true }).train().forward(x.mul(1)),
    py: 'nn.Dropout1d(p=0.3, inplace=True).train()(x * 1)',
  },
  {
    name: 'Dropout2d (N, C, H, W)',
    shape: [3, 5, 2, 2],
    dtype: 'float32',
    ours: (x) => new nn.Dropout2d({ p: 0.25 }).train().forward(x),
    py: 'nn.Dropout2d(p=0.25).train()(x)',
  },
  {
    name: 'Dropout2d (C, H, W) read as (N, C, L)',
    shape: [5, 4, 3],
    dtype: 'float32',
    ours: (x) => new nn.Dropout2d().train().forward(x),
    py: 'nn.Dropout2d().train()(x)',
  },
  {
    name: 'dropout2d inplace',
    shape: [2, 6, 2, 2],
    dtype: 'float64',
    ours: (x) => F.dropout2d(x.mul(1), { p: 0.5, inplace: true }),
    py: 'F.dropout2d(x * 1, p=0.5, inplace=True)',
  },
  {
    name: 'Dropout3d (N, C, D, H, W)',
    shape: [2, 4, 2, 2, 2],
    dtype: 'float32',
    ours: (x) => new nn.Dropout3d({ p: 0.5 }).train().forward(x),
    py: 'nn.Dropout3d(p=0.5).train()(x)',
  },
  {
    name: 'dropout3d unbatched (C, D, H, W), inplace',
    shape: [6, 2, 2, 2],
    dtype: 'float64',
    ours: (x) => F.dropout3d(x.mul(1), { inplace: true }),
    py: 'F.dropout3d(x * 1, inplace=True)',
  },
  {
    name: 'AlphaDropout',
    shape: [5, 6],
    dtype: 'float32',
    ours: (x) => new nn.AlphaDropout({ p: 0.3 }).train().forward(x),
    py: 'nn.AlphaDropout(p=0.3).train()(x)',
  },
  {
    name: 'alphaDropout inplace',
    shape: [5, 6],
    dtype: 'float64',
    ours: (x) => F.alphaDropout(x.mul(1), { p: 0.2, training: true, inplace: true }),
    py: 'F.alpha_dropout(x * 1, p=0.2, training=True, inplace=True)',
  },
  {
    name: 'FeatureAlphaDropout',
    shape: [3, 6, 4],
    dtype: 'float32',
    ours: (x) => new nn.FeatureAlphaDropout({ p: 0.4 }).train().forward(x),
    py: 'nn.FeatureAlphaDropout(p=0.4).train()(x)',
  },
  {
    name: 'featureAlphaDropout inplace',
    shape: [3, 6, 2],
    dtype: 'float64',
    ours: (x) => F.featureAlphaDropout(x.mul(1), { training: true, inplace: true }),
    py: 'F.feature_alpha_dropout(x * 1, training=True, inplace=True)',
  },
];

describe('dropout masks after the same manualSeed are PyTorch’s (outputs and gradients to the bit)', {
  skip: skipWithoutPython(),
}, () => {
  test('every variant, module and functional, in place or not', () => {
    const payload = maskCases.map((c, i) => {
      torch.manualSeed(3900 + i);
      const x = torch.randn(c.shape, { dtype: c.dtype });
      const w = torch.randn(c.shape, { dtype: c.dtype });
      const seed = 4000 + i;
      const leaf = x.detach().requiresGrad_();
      torch.manualSeed(seed);
      const out = c.ours(leaf);
      out.mul(w).sum().backward();
      return { c, out, grad: leaf.grad, data: { x: x.toArray(), w: w.toArray(), dtype: c.dtype, seed, py: c.py } };
    });
    const theirs = runPython<{ out: unknown; grad: unknown }[]>(
      `
import torch.nn as nn
import torch.nn.functional as F
import warnings
warnings.simplefilter('ignore')
OUTPUT = []
for c in INPUT:
    dt = getattr(torch, c['dtype'])
    x = torch.tensor(c['x'], dtype=dt).requires_grad_(True)
    w = torch.tensor(c['w'], dtype=dt)
    torch.manual_seed(c['seed'])
    out = eval(c['py'])
    (out * w).sum().backward()
    OUTPUT.append({'out': out, 'grad': x.grad})
`,
      payload.map((p) => p.data),
    );
    payload.forEach((p, i) => {
      const t = theirs[i];
      assert.ok(t);
      close(p.out.toArray(), t.out, `${p.c.name}: output`, Number.MIN_VALUE);
      close(p.grad?.toArray(), t.grad, `${p.c.name}: gradient`, Number.MIN_VALUE);
      // The mask really drops something (p > 0), so that equal outputs mean equal masks.
      if (!p.c.name.startsWith('Alpha') && !p.c.name.includes('lpha')) {
        assert.ok(p.out.eq(0).any().item(), `${p.c.name}: some elements dropped`);
      }
    });
  });

  test('eval mode and p = 0 are the identity; p = 1 drops everything', () => {
    const x = torch.randn([2, 3, 4]);
    for (const m of [new nn.Dropout1d(), new nn.Dropout2d(), new nn.AlphaDropout(), new nn.FeatureAlphaDropout()]) {
      assert.ok(m.eval().forward(x).equal(x), `${m.constructor.name} in eval mode`);
    }
    assert.ok(new nn.Dropout1d({ p: 0 }).train().forward(x).equal(x));
    assert.ok(
      new nn.Dropout3d({ p: 1 })
        .train()
        .forward(torch.randn([1, 2, 2, 2, 2]))
        .eq(0)
        .all()
        .item(),
    );
  });
});

describe('EmbeddingBag follows PyTorch’s defaults and initialisation', () => {
  test('weight N(0, 1), the padding row zero, PyTorch names and repr', () => {
    torch.manualSeed(0);
    const m = new nn.EmbeddingBag(2000, 8, { paddingIdx: 3 });
    assert.deepEqual(Object.keys(m.stateDict()), ['weight']);
    assert.equal(m.mode, 'mean');
    assert.equal(String(m), "EmbeddingBag(2000, 8, mode='mean', padding_idx=3)");
    const w = m.weight;
    assert.ok(Math.abs(w.mean().item() as number) < 0.02);
    assert.ok(Math.abs((w.std().item() as number) - 1) < 0.02);
    assert.ok(w.at(3).eq(0).all().item());
    m.resetParameters();
    assert.ok(w.at(3).eq(0).all().item(), 'reset_parameters zeroes it again');
    assert.equal(
      String(new nn.EmbeddingBag(3, 2, { mode: 'sum', maxNorm: 2 })),
      "EmbeddingBag(3, 2, max_norm=2.0, mode='sum')",
    );
  });
});

describe('bad input to the losses, distances, dropout and EmbeddingBag is an Error naming the layer or function', () => {
  const f64 = (shape: number[]) => torch.randn(shape, { dtype: 'float64' });
  const long = (values: number[]) => torch.tensor(values, { dtype: 'int64' });
  const cases: [string, () => unknown, RegExp][] = [
    [
      'tripletMarginLoss margin',
      () => F.tripletMarginLoss(f64([2, 3]), f64([2, 3]), f64([2, 3]), { margin: 0 }),
      /^tripletMarginLoss: margin must be greater than 0, got 0/,
    ],
    [
      'TripletMarginLoss margin',
      () => new nn.TripletMarginLoss({ margin: -1 }),
      /^TripletMarginLoss: expected margin to be greater than 0, got -1.0 instead/,
    ],
    [
      'tripletMarginLoss dims',
      () => new nn.TripletMarginLoss().forward(f64([2, 3]), f64([2, 3]), f64([2, 3, 1])),
      /^tripletMarginLoss: The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: anchor 2D, positive 2D, and negative 3D inputs/,
    ],
    [
      'tripletMarginLoss reduction',
      () => F.tripletMarginLoss(f64([3]), f64([3]), f64([3]), { reduction: 'avg' as 'mean' }),
      /^tripletMarginLoss: avg is not a valid value for reduction/,
    ],
    [
      'TripletMarginWithDistanceLoss dims',
      () => new nn.TripletMarginWithDistanceLoss().forward(f64([2, 3]), f64([3]), f64([2, 3])),
      /^tripletMarginWithDistanceLoss: The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: anchor 2D, positive 1D, and negative 2D inputs/,
    ],
    [
      'TripletMarginWithDistanceLoss margin',
      () => new nn.TripletMarginWithDistanceLoss({ margin: 0 }),
      /^TripletMarginWithDistanceLoss: expected margin to be greater than 0/,
    ],
    [
      'multiMarginLoss p',
      () => F.multiMarginLoss(f64([2, 3]), long([0, 1]), { p: 3 }),
      /^multiMarginLoss: only p == 1 and p == 2 supported/,
    ],
    ['MultiMarginLoss p', () => new nn.MultiMarginLoss({ p: 3 }), /^MultiMarginLoss: only p == 1 and p == 2 supported/],
    [
      'MultiMarginLoss weight',
      () => new nn.MultiMarginLoss({ weight: f64([2, 2]) }),
      /^MultiMarginLoss: expected weight to be None or 1D tensor, got 2D instead/,
    ],
    [
      'multiMarginLoss target range',
      () => new nn.MultiMarginLoss().forward(f64([2, 3]), long([0, 5])),
      /^multiMarginLoss: .*target out of range/,
    ],
    [
      'multilabelMarginLoss target size',
      () => new nn.MultiLabelMarginLoss().forward(f64([3, 4]), long([0, 1, 2])),
      /^multilabelMarginLoss: .*inconsistent target size: \[3\] for input of size: \[3, 4\]/,
    ],
    [
      'multilabelSoftMarginLoss reduction',
      () => F.multilabelSoftMarginLoss(f64([2, 3]), f64([2, 3]), { reduction: 'avg' as 'mean' }),
      /^multilabelSoftMarginLoss: avg is not valid/,
    ],
    [
      'hingeEmbeddingLoss sizes',
      () => new nn.HingeEmbeddingLoss().forward(f64([3]), f64([4])),
      /^hingeEmbeddingLoss: The size of tensor a \(4\) must match the size of tensor b \(3\)/,
    ],
    [
      'ctcLoss mixed lengths',
      () => F.ctcLoss(f64([6, 2, 5]).logSoftmax(2), long([1, 2, 1, 2]).reshape([2, 2]), long([6, 6]), [2, 2]),
      /^ctcLoss: inputLengths and targetLengths must both be arrays of integers or both be Tensors/,
    ],
    [
      'CTCLoss input length',
      () => new nn.CTCLoss().forward(f64([6, 2, 5]).logSoftmax(2), long([1, 2, 1, 2]).reshape([2, 2]), [7, 6], [2, 2]),
      /^ctcLoss: Expected input_lengths to have value at most 6, but got value 7/,
    ],
    [
      'CTCLoss target lengths',
      () => new nn.CTCLoss().forward(f64([6, 2, 5]).logSoftmax(2), long([1, 2, 1, 2]).reshape([2, 2]), [6, 6], [2]),
      /^ctcLoss: target_lengths must be of size batch_size/,
    ],
    [
      'pairwiseDistance sizes',
      () => new nn.PairwiseDistance().forward(f64([3, 4]), f64([3, 5])),
      /^pairwiseDistance: The size of tensor a \(4\) must match the size of tensor b \(5\)/,
    ],
    [
      'cosineSimilarity sizes',
      () => new nn.CosineSimilarity().forward(f64([3, 4]), f64([3, 5])),
      /^cosineSimilarity: The size of tensor a \(4\) must match the size of tensor b \(5\)/,
    ],
    [
      'cosineSimilarity input',
      () => F.cosineSimilarity(3 as unknown as Tensor, f64([3])),
      /^cosineSimilarity: .*x1.*Tensor/,
    ],
    [
      'Dropout2d p',
      () => new nn.Dropout2d({ p: 1.5 }),
      /^Dropout2d: dropout probability has to be between 0 and 1, but got 1.5/,
    ],
    [
      'AlphaDropout p',
      () => new nn.AlphaDropout({ p: -0.1 }),
      /^AlphaDropout: dropout probability has to be between 0 and 1, but got -0.1/,
    ],
    [
      'dropout p',
      () => F.dropout(f64([3]), { p: 2 }),
      /^dropout: dropout probability has to be between 0 and 1, but got 2/,
    ],
    [
      'dropout1d rank',
      () => new nn.Dropout1d().forward(f64([3])),
      /^dropout1d: Expected 2D or 3D input, but received a 1D input/,
    ],
    [
      'featureAlphaDropout rank',
      () => F.featureAlphaDropout(f64([3]), { training: true }),
      /^featureAlphaDropout: Feature dropout requires at least 2 dimensions in the input/,
    ],
    [
      'dropout1d input',
      () => F.dropout1d(null as unknown as Tensor),
      /^dropout1d: argument 'input' must be a Tensor, got null/,
    ],
    [
      'Softmax2d rank',
      () => new nn.Softmax2d().forward(f64([3, 3])),
      /^Softmax2d: expected input to be 3D or 4D, got 2D instead/,
    ],
    [
      'EmbeddingBag paddingIdx',
      () => new nn.EmbeddingBag(4, 2, { paddingIdx: 4 }),
      /^EmbeddingBag: padding_idx must be within num_embeddings/,
    ],
    [
      'embeddingBag index range',
      () => new nn.EmbeddingBag(5, 2).forward(long([0, 1, 7]), long([0])),
      /^embeddingBag: .*Index 2 of input takes value 7 which is not in the valid range \[0, 5\)/,
    ],
    [
      'embeddingBag offsets missing',
      () => new nn.EmbeddingBag(5, 2).forward(long([0, 1])),
      /^embeddingBag: offsets has to be a 1D Tensor but got null/,
    ],
    [
      'embeddingBag offsets with 2-D input',
      () => new nn.EmbeddingBag(5, 2).forward(long([0, 1]).reshape([1, 2]), long([0])),
      /^embeddingBag: if input is 2D, then offsets has to be null/,
    ],
    [
      'embeddingBag input rank',
      () => new nn.EmbeddingBag(5, 2).forward(long([0, 1]).reshape([1, 1, 2])),
      /^embeddingBag: input has to be 1D or 2D Tensor, but got Tensor of dimension 3/,
    ],
    [
      'embeddingBag perSampleWeights mode',
      () => new nn.EmbeddingBag(5, 2).forward(long([0, 1]), long([0]), f64([2])),
      /^embeddingBag: perSampleWeights was not null. perSampleWeights is only supported for mode='sum' \(got mode='mean'\)/,
    ],
    [
      'embeddingBag perSampleWeights shape',
      () => new nn.EmbeddingBag(5, 2, { mode: 'sum' }).forward(long([0, 1]), long([0]), f64([3])),
      /^embeddingBag: If perSampleWeights \(\[3\]\) is not null, then it must have the same shape as the input \(\[2\]\)/,
    ],
    [
      'embeddingBag mode',
      () => new nn.EmbeddingBag(5, 2, { mode: 'min' as 'max' }).forward(long([0, 1]), long([0])),
      /^embeddingBag: mode has to be one of sum, mean or max/,
    ],
    [
      'embeddingBag max with scaleGradByFreq',
      () => new nn.EmbeddingBag(5, 2, { mode: 'max', scaleGradByFreq: true }).forward(long([0, 1]), long([0])),
      /^embeddingBag: max mode does not support scaling the gradient by the frequency/,
    ],
    [
      'embeddingBag max with sparse',
      () => new nn.EmbeddingBag(5, 2, { mode: 'max', sparse: true }).forward(long([0, 1]), long([0])),
      /^embeddingBag: max mode does not support sparse weights/,
    ],
    [
      'embeddingBag weight rank',
      () => F.embeddingBag(long([0, 1]), f64([5]), { offsets: long([0]) }),
      /^embeddingBag: weight has to be a 2D Tensor, but got Tensor of dimension 1/,
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
