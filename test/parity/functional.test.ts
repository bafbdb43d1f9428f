// Parity with Python torch: torch.nn.functional (linear, convolutions, pooling, normalization,
// softmax, losses, embedding, interpolate, oneHot, ...), values and gradients, in float64 and
// float32.
import * as torch from '../../lib/index.js';
import { generators } from '../support/data.js';
import { type Case, FLOAT_DTYPES, i64, paritySuite, typed } from '../support/parity.js';

const F = torch.nn.functional;
const g = generators(8080);
const cases: Case[] = [];

const D = {
  x: g.randn([2, 3, 4]),
  w: g.randn([5, 4]),
  b: g.randn([5]),
  s1: g.randn([2, 4, 9]),
  w1: g.randn([6, 2, 3]),
  b1: g.randn([6]),
  img: g.randn([2, 4, 7, 6]),
  w2: g.randn([6, 4, 3, 3]),
  w2g: g.randn([6, 2, 3, 2]),
  b2: g.randn([6]),
  wt: g.randn([4, 3, 3, 3]),
  wtg: g.randn([4, 2, 2, 3]),
  bt: g.randn([3]),
  ch4: g.uniform([4], 0.5, 1.5),
  ch4b: g.randn([4]),
  rm: g.randn([4], 0.2),
  rv: g.uniform([4], 0.5, 2),
  ln: g.uniform([3, 4], 0.5, 1.5),
  lnb: g.randn([3, 4]),
  logits: g.randn([5, 4], 2),
  logits4: g.randn([2, 4, 3, 2], 2),
  probs: g.probs(5, 4),
  cw: g.uniform([4], 0.2, 2),
  pred: g.randn([3, 4]),
  target: g.randn([3, 4]),
  p01: g.uniform([3, 4], 0.05, 0.95),
  t01: g.uniform([3, 4], 0, 1),
  bw: g.uniform([3, 4], 0.5, 1.5),
  pw: g.uniform([4], 0.5, 3),
  emb: g.randn([10, 3]),
  up: g.randn([1, 2, 3, 4]),
  up1: g.randn([2, 3, 5]),
  x1: g.randn([2, 3]),
  x2: g.randn([2, 4]),
  wbil: g.randn([5, 3, 4]),
  q: g.randn([2, 3, 4, 8]),
  k: g.randn([2, 3, 5, 8]),
  v: g.randn([2, 3, 5, 6]),
  kc: g.randn([2, 3, 4, 8]),
  vc: g.randn([2, 3, 4, 6]),
  amask: g.randn([4, 5]),
};
const CLS = i64(g.randint([5], 0, 4));
const CLS_IGN = i64([1, -100, 3, 0, -100]);
const CLS_IGN2 = i64([2, 1, 2, 0, 1]);
const CLS4 = i64(g.randint([2, 3, 2], 0, 4));
const BOOL_MASK = { data: g.bools([4, 5], 0.7), dtype: 'bool' as const };
const IDS = i64([
  [1, 0, 9],
  [4, 4, 2],
]);

for (const dt of FLOAT_DTYPES) {
  const t = Object.fromEntries(Object.entries(D).map(([k, v]) => [k, typed(dt, v, true)]));
  const nograd = (k: keyof typeof D) => typed(dt, D[k], false);
  const p = (name: string, c: Omit<Case, 'name'>) => cases.push({ name: `${name} [${dt}]`, ...c });

  // ---- linear
  p('linear', { inputs: { x: t.x!, w: t.w! }, py: 'F.linear(x, w)', js: ({ x, w }) => F.linear(x!, w!) });
  p('linear bias', {
    inputs: { x: t.x!, w: t.w!, b: t.b! },
    py: 'F.linear(x, w, b)',
    js: ({ x, w, b }) => F.linear(x!, w!, { bias: b! }),
  });
  p('bilinear', {
    inputs: { a: t.x1!, c: t.x2!, w: t.wbil!, b: t.b! },
    py: 'F.bilinear(a, c, w, b)',
    js: ({ a, c, w, b }) => F.bilinear(a!, c!, w!, { bias: b! }),
  });

  // ---- convolutions
  p('conv1d', {
    inputs: { x: t.s1!, w: t.w1! },
    py: 'F.conv1d(x, w[:, :, :].repeat(1, 2, 1))',
    js: ({ x, w }) => F.conv1d(x!, w!.repeat([1, 2, 1])),
  });
  p('conv1d stride padding dilation bias', {
    inputs: { x: t.s1!, w: t.w1!, b: t.b1! },
    py: 'F.conv1d(x, w.repeat(1, 2, 1), b, stride=2, padding=1, dilation=2)',
    js: ({ x, w, b }) => F.conv1d(x!, w!.repeat([1, 2, 1]), { bias: b!, stride: 2, padding: 1, dilation: 2 }),
  });
  p('conv1d groups', {
    inputs: { x: t.s1!, w: t.w1!, b: t.b1! },
    py: 'F.conv1d(x, w, b, groups=2, padding=2)',
    js: ({ x, w, b }) => F.conv1d(x!, w!, { bias: b!, groups: 2, padding: 2 }),
  });
  p('conv2d', { inputs: { x: t.img!, w: t.w2! }, py: 'F.conv2d(x, w)', js: ({ x, w }) => F.conv2d(x!, w!) });
  p('conv2d bias padding', {
    inputs: { x: t.img!, w: t.w2!, b: t.b2! },
    py: 'F.conv2d(x, w, b, padding=1)',
    js: ({ x, w, b }) => F.conv2d(x!, w!, { bias: b!, padding: 1 }),
  });
  p('conv2d stride pair dilation', {
    inputs: { x: t.img!, w: t.w2!, b: t.b2! },
    py: 'F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2))',
    js: ({ x, w, b }) => F.conv2d(x!, w!, { bias: b!, stride: [2, 1], padding: [1, 2], dilation: [1, 2] }),
  });
  p('conv2d groups', {
    inputs: { x: t.img!, w: t.w2g!, b: t.b2! },
    py: 'F.conv2d(x, w, b, groups=2, stride=2)',
    js: ({ x, w, b }) => F.conv2d(x!, w!, { bias: b!, groups: 2, stride: 2 }),
  });
  p('convTranspose2d', {
    inputs: { x: t.img!, w: t.wt! },
    py: 'F.conv_transpose2d(x, w)',
    js: ({ x, w }) => F.convTranspose2d(x!, w!),
  });
  p('convTranspose2d stride padding outputPadding', {
    inputs: { x: t.img!, w: t.wt!, b: t.bt! },
    py: 'F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1)',
    js: ({ x, w, b }) => F.convTranspose2d(x!, w!, { bias: b!, stride: 2, padding: 1, outputPadding: 1 }),
  });
  p('convTranspose2d groups dilation', {
    inputs: { x: t.img!, w: t.wtg!, b: t.ch4b! },
    py: 'F.conv_transpose2d(x, w, b, stride=(1, 2), groups=2, dilation=(2, 1))',
    js: ({ x, w, b }) => F.convTranspose2d(x!, w!, { bias: b!, stride: [1, 2], groups: 2, dilation: [2, 1] }),
  });

  // ---- pooling
  p('maxPool2d', { inputs: { x: t.img! }, py: 'F.max_pool2d(x, 2)', js: ({ x }) => F.maxPool2d(x!, 2) });
  p('maxPool2d stride padding', {
    inputs: { x: t.img! },
    py: 'F.max_pool2d(x, 3, stride=2, padding=1)',
    js: ({ x }) => F.maxPool2d(x!, 3, { stride: 2, padding: 1 }),
  });
  p('maxPool2d ceil dilation', {
    inputs: { x: t.img! },
    py: 'F.max_pool2d(x, (2, 2), stride=(2, 1), dilation=(1, 2), ceil_mode=True)',
    js: ({ x }) => F.maxPool2d(x!, [2, 2], { stride: [2, 1], dilation: [1, 2], ceilMode: true }),
  });
  p('avgPool2d', { inputs: { x: t.img! }, py: 'F.avg_pool2d(x, 2)', js: ({ x }) => F.avgPool2d(x!, 2) });
  p('avgPool2d padding exclude pad', {
    inputs: { x: t.img! },
    py: 'F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)',
    js: ({ x }) => F.avgPool2d(x!, 3, { stride: 2, padding: 1, countIncludePad: false }),
  });
  p('avgPool2d ceil divisor', {
    inputs: { x: t.img! },
    py: 'F.avg_pool2d(x, (3, 2), ceil_mode=True, divisor_override=5)',
    js: ({ x }) => F.avgPool2d(x!, [3, 2], { ceilMode: true, divisorOverride: 5 }),
  });
  p('adaptiveAvgPool2d', {
    inputs: { x: t.img! },
    py: 'F.adaptive_avg_pool2d(x, (3, 2))',
    js: ({ x }) => F.adaptiveAvgPool2d(x!, [3, 2]),
  });
  p('adaptiveAvgPool2d to 1', {
    inputs: { x: t.img! },
    py: 'F.adaptive_avg_pool2d(x, 1)',
    js: ({ x }) => F.adaptiveAvgPool2d(x!, 1),
  });
  p('adaptiveAvgPool2d up', {
    inputs: { x: t.img! },
    py: 'F.adaptive_avg_pool2d(x, (9, 4))',
    js: ({ x }) => F.adaptiveAvgPool2d(x!, [9, 4]),
  });
  p('adaptiveMaxPool2d', {
    inputs: { x: t.img! },
    py: 'F.adaptive_max_pool2d(x, (3, 4))',
    js: ({ x }) => F.adaptiveMaxPool2d(x!, [3, 4]),
  });

  // ---- normalization
  p('batchNorm training', {
    inputs: { x: t.img!, w: t.ch4!, b: t.ch4b! },
    py: 'F.batch_norm(x, None, None, w, b, training=True)',
    js: ({ x, w, b }) => F.batchNorm(x!, null, null, { weight: w!, bias: b!, training: true }),
  });
  p('batchNorm training no affine', {
    inputs: { x: t.img! },
    py: 'F.batch_norm(x, None, None, training=True, eps=1e-3)',
    js: ({ x }) => F.batchNorm(x!, null, null, { training: true, eps: 1e-3 }),
  });
  p('batchNorm training updates running stats', {
    inputs: { x: t.img!, rm: nograd('rm'), rv: nograd('rv') },
    py: 'rm2 = rm.clone(); rv2 = rv.clone()\ny = F.batch_norm(x, rm2, rv2, training=True, momentum=0.3)\nout = [y, rm2, rv2]',
    js: ({ x, rm, rv }) => {
      const rm2 = rm!.clone();
      const rv2 = rv!.clone();
      const y = F.batchNorm(x!, rm2, rv2, { training: true, momentum: 0.3 });
      return [y, rm2, rv2];
    },
    grad: false,
  });
  p('batchNorm eval', {
    inputs: { x: t.img!, rm: nograd('rm'), rv: nograd('rv'), w: t.ch4!, b: t.ch4b! },
    py: 'F.batch_norm(x, rm, rv, w, b)',
    js: ({ x, rm, rv, w, b }) => F.batchNorm(x!, rm!, rv!, { weight: w!, bias: b! }),
  });
  p('batchNorm 1-d input', {
    inputs: { x: t.s1!, w: typed(dt, [1, 2, 0.5, 1.5], true) },
    py: 'F.batch_norm(x, None, None, w, training=True)',
    js: ({ x, w }) => F.batchNorm(x!, null, null, { weight: w!, training: true }),
  });
  p('layerNorm', { inputs: { x: t.x! }, py: 'F.layer_norm(x, (4,))', js: ({ x }) => F.layerNorm(x!, [4]) });
  p('layerNorm affine 2 dims', {
    inputs: { x: t.x!, w: t.ln!, b: t.lnb! },
    py: 'F.layer_norm(x, (3, 4), w, b, eps=1e-3)',
    js: ({ x, w, b }) => F.layerNorm(x!, [3, 4], { weight: w!, bias: b!, eps: 1e-3 }),
  });
  p('groupNorm', {
    inputs: { x: t.img!, w: t.ch4!, b: t.ch4b! },
    py: 'F.group_norm(x, 2, w, b)',
    js: ({ x, w, b }) => F.groupNorm(x!, 2, { weight: w!, bias: b! }),
  });
  p('groupNorm no affine', {
    inputs: { x: t.img! },
    py: 'F.group_norm(x, 4, eps=1e-2)',
    js: ({ x }) => F.groupNorm(x!, 4, { eps: 1e-2 }),
  });
  p('normalize', { inputs: { x: t.x! }, py: 'F.normalize(x)', js: ({ x }) => F.normalize(x!) });
  p('normalize p dim', {
    inputs: { x: t.x! },
    py: 'F.normalize(x, p=1.0, dim=-1)',
    js: ({ x }) => F.normalize(x!, { p: 1, dim: -1 }),
  });
  p('cosineSimilarity', {
    inputs: { a: t.pred!, c: t.target! },
    py: 'F.cosine_similarity(a, c)',
    js: ({ a, c }) => F.cosineSimilarity(a!, c!),
  });
  p('cosineSimilarity dim 0', {
    inputs: { a: t.pred!, c: t.target! },
    py: 'F.cosine_similarity(a, c, dim=0)',
    js: ({ a, c }) => F.cosineSimilarity(a!, c!, { dim: 0 }),
  });

  // ---- softmax
  p('softmax', { inputs: { x: t.x! }, py: 'F.softmax(x, 1)', js: ({ x }) => F.softmax(x!, 1) });
  p('softmax last', { inputs: { x: t.x! }, py: 'x.softmax(-1)', js: ({ x }) => x!.softmax(-1) });
  p('logSoftmax', { inputs: { x: t.x! }, py: 'F.log_softmax(x, -1)', js: ({ x }) => F.logSoftmax(x!, -1) });
  p('logSoftmax torch', {
    inputs: { x: t.logits! },
    py: 'torch.log_softmax(x, 0)',
    js: ({ x }) => torch.logSoftmax(x!, 0),
  });
  p('softmax dtype float64', {
    inputs: { x: t.x! },
    py: 'F.softmax(x, 2, dtype=torch.float64)',
    js: ({ x }) => F.softmax(x!, 2, { dtype: 'float64' }),
  });
  p('softmax of large values', {
    inputs: { x: t.x! },
    py: 'F.softmax(x * 500, 1)',
    js: ({ x }) => F.softmax(x!.mul(500), 1),
  });

  // ---- classification losses
  const logits = t.logits!;
  p('crossEntropy', {
    inputs: { x: logits, y: CLS },
    py: 'F.cross_entropy(x, y)',
    js: ({ x, y }) => F.crossEntropy(x!, y!),
  });
  p('crossEntropy sum', {
    inputs: { x: logits, y: CLS },
    py: "F.cross_entropy(x, y, reduction='sum')",
    js: ({ x, y }) => F.crossEntropy(x!, y!, { reduction: 'sum' }),
  });
  p('crossEntropy none', {
    inputs: { x: logits, y: CLS },
    py: "F.cross_entropy(x, y, reduction='none')",
    js: ({ x, y }) => F.crossEntropy(x!, y!, { reduction: 'none' }),
  });
  p('crossEntropy weight', {
    inputs: { x: logits, y: CLS, cw: nograd('cw') },
    py: 'F.cross_entropy(x, y, weight=cw)',
    js: ({ x, y, cw }) => F.crossEntropy(x!, y!, { weight: cw! }),
  });
  p('crossEntropy ignoreIndex default', {
    inputs: { x: logits, y: CLS_IGN },
    py: 'F.cross_entropy(x, y)',
    js: ({ x, y }) => F.crossEntropy(x!, y!),
  });
  p('crossEntropy ignoreIndex', {
    inputs: { x: logits, y: CLS_IGN2 },
    py: 'F.cross_entropy(x, y, ignore_index=1)',
    js: ({ x, y }) => F.crossEntropy(x!, y!, { ignoreIndex: 1 }),
  });
  p('crossEntropy labelSmoothing', {
    inputs: { x: logits, y: CLS },
    py: 'F.cross_entropy(x, y, label_smoothing=0.1)',
    js: ({ x, y }) => F.crossEntropy(x!, y!, { labelSmoothing: 0.1 }),
  });
  p('crossEntropy labelSmoothing weight ignoreIndex', {
    inputs: { x: logits, y: CLS_IGN, cw: nograd('cw') },
    py: 'F.cross_entropy(x, y, weight=cw, label_smoothing=0.2)',
    js: ({ x, y, cw }) => F.crossEntropy(x!, y!, { weight: cw!, labelSmoothing: 0.2 }),
  });
  p('crossEntropy labelSmoothing none', {
    inputs: { x: logits, y: CLS_IGN },
    py: "F.cross_entropy(x, y, label_smoothing=0.3, reduction='none')",
    js: ({ x, y }) => F.crossEntropy(x!, y!, { labelSmoothing: 0.3, reduction: 'none' }),
  });
  p('crossEntropy probabilities', {
    inputs: { x: logits, y: nograd('probs') },
    py: 'F.cross_entropy(x, y)',
    js: ({ x, y }) => F.crossEntropy(x!, y!),
  });
  p('crossEntropy probabilities weight sum', {
    inputs: { x: logits, y: nograd('probs'), cw: nograd('cw') },
    py: "F.cross_entropy(x, y, weight=cw, reduction='sum')",
    js: ({ x, y, cw }) => F.crossEntropy(x!, y!, { weight: cw!, reduction: 'sum' }),
  });
  p('crossEntropy probabilities labelSmoothing', {
    inputs: { x: logits, y: nograd('probs') },
    py: 'F.cross_entropy(x, y, label_smoothing=0.15)',
    js: ({ x, y }) => F.crossEntropy(x!, y!, { labelSmoothing: 0.15 }),
  });
  p('crossEntropy probabilities grad of target', {
    inputs: { x: logits, y: t.probs! },
    py: 'F.cross_entropy(x, y)',
    js: ({ x, y }) => F.crossEntropy(x!, y!),
  });
  p('crossEntropy 4-D', {
    inputs: { x: t.logits4!, y: CLS4 },
    py: 'F.cross_entropy(x, y)',
    js: ({ x, y }) => F.crossEntropy(x!, y!),
  });
  p('crossEntropy 4-D none smoothing', {
    inputs: { x: t.logits4!, y: CLS4 },
    py: "F.cross_entropy(x, y, reduction='none', label_smoothing=0.1)",
    js: ({ x, y }) => F.crossEntropy(x!, y!, { reduction: 'none', labelSmoothing: 0.1 }),
  });
  p('crossEntropy unbatched', {
    inputs: { x: typed(dt, [0.5, -1, 2, 0.25], true), y: i64(2) },
    py: 'F.cross_entropy(x, y)',
    js: ({ x, y }) => F.crossEntropy(x!, y!),
  });
  p('nllLoss', {
    inputs: { x: logits, y: CLS },
    py: 'F.nll_loss(F.log_softmax(x, 1), y)',
    js: ({ x, y }) => F.nllLoss(F.logSoftmax(x!, 1), y!),
  });
  p('nllLoss weight ignoreIndex', {
    inputs: { x: logits, y: CLS_IGN2, cw: nograd('cw') },
    py: 'F.nll_loss(x, y, weight=cw, ignore_index=2)',
    js: ({ x, y, cw }) => F.nllLoss(x!, y!, { weight: cw!, ignoreIndex: 2 }),
  });
  p('nllLoss none', {
    inputs: { x: logits, y: CLS_IGN },
    py: "F.nll_loss(x, y, reduction='none')",
    js: ({ x, y }) => F.nllLoss(x!, y!, { reduction: 'none' }),
  });
  p('nllLoss sum 4-D', {
    inputs: { x: t.logits4!, y: CLS4 },
    py: "F.nll_loss(x, y, reduction='sum')",
    js: ({ x, y }) => F.nllLoss(x!, y!, { reduction: 'sum' }),
  });

  // ---- regression and binary losses
  const pred = t.pred!;
  const target = t.target!;
  for (const red of ['mean', 'sum', 'none'] as const) {
    p(`mseLoss ${red}`, {
      inputs: { a: pred, b: target },
      py: `F.mse_loss(a, b, reduction='${red}')`,
      js: ({ a, b }) => F.mseLoss(a!, b!, { reduction: red }),
    });
    p(`l1Loss ${red}`, {
      inputs: { a: pred, b: target },
      py: `F.l1_loss(a, b, reduction='${red}')`,
      js: ({ a, b }) => F.l1Loss(a!, b!, { reduction: red }),
    });
    p(`smoothL1Loss ${red}`, {
      inputs: { a: pred, b: target },
      py: `F.smooth_l1_loss(a, b, reduction='${red}')`,
      js: ({ a, b }) => F.smoothL1Loss(a!, b!, { reduction: red }),
    });
    p(`binaryCrossEntropy ${red}`, {
      inputs: { a: t.p01!, b: t.t01! },
      py: `F.binary_cross_entropy(a, b, reduction='${red}')`,
      js: ({ a, b }) => F.binaryCrossEntropy(a!, b!, { reduction: red }),
    });
    p(`binaryCrossEntropyWithLogits ${red}`, {
      inputs: { a: pred, b: t.t01! },
      py: `F.binary_cross_entropy_with_logits(a, b, reduction='${red}')`,
      js: ({ a, b }) => F.binaryCrossEntropyWithLogits(a!, b!, { reduction: red }),
    });
  }
  p('mseLoss default', { inputs: { a: pred, b: target }, py: 'F.mse_loss(a, b)', js: ({ a, b }) => F.mseLoss(a!, b!) });
  p('smoothL1Loss beta', {
    inputs: { a: pred, b: target },
    py: 'F.smooth_l1_loss(a, b, beta=0.5)',
    js: ({ a, b }) => F.smoothL1Loss(a!, b!, { beta: 0.5 }),
  });
  p('binaryCrossEntropy weight', {
    inputs: { a: t.p01!, b: t.t01!, w: nograd('bw') },
    py: 'F.binary_cross_entropy(a, b, weight=w)',
    js: ({ a, b, w }) => F.binaryCrossEntropy(a!, b!, { weight: w! }),
  });
  p('binaryCrossEntropy of sigmoid', {
    inputs: { a: pred, b: t.t01! },
    py: 'F.binary_cross_entropy(torch.sigmoid(a), b)',
    js: ({ a, b }) => F.binaryCrossEntropy(a!.sigmoid(), b!),
  });
  p('binaryCrossEntropyWithLogits posWeight', {
    inputs: { a: pred, b: t.t01!, pw: nograd('pw') },
    py: 'F.binary_cross_entropy_with_logits(a, b, pos_weight=pw)',
    js: ({ a, b, pw }) => F.binaryCrossEntropyWithLogits(a!, b!, { posWeight: pw! }),
  });
  p('binaryCrossEntropyWithLogits weight posWeight', {
    inputs: { a: pred, b: t.t01!, w: nograd('bw'), pw: nograd('pw') },
    py: "F.binary_cross_entropy_with_logits(a, b, weight=w, pos_weight=pw, reduction='sum')",
    js: ({ a, b, w, pw }) => F.binaryCrossEntropyWithLogits(a!, b!, { weight: w!, posWeight: pw!, reduction: 'sum' }),
  });
  p('binaryCrossEntropyWithLogits large logits', {
    inputs: { a: pred, b: t.t01! },
    py: 'F.binary_cross_entropy_with_logits(a * 100, b)',
    js: ({ a, b }) => F.binaryCrossEntropyWithLogits(a!.mul(100), b!),
  });

  // ---- embedding, interpolate, attention, dropout
  p('embedding', { inputs: { i: IDS, w: t.emb! }, py: 'F.embedding(i, w)', js: ({ i, w }) => F.embedding(i!, w!) });
  p('embedding paddingIdx', {
    inputs: { i: IDS, w: t.emb! },
    py: 'F.embedding(i, w, padding_idx=4)',
    js: ({ i, w }) => F.embedding(i!, w!, { paddingIdx: 4 }),
  });
  p('embedding negative paddingIdx', {
    inputs: { i: IDS, w: t.emb! },
    py: 'F.embedding(i, w, padding_idx=-1)',
    js: ({ i, w }) => F.embedding(i!, w!, { paddingIdx: -1 }),
  });
  p('interpolate nearest size', {
    inputs: { x: t.up! },
    py: 'F.interpolate(x, size=(5, 7))',
    js: ({ x }) => F.interpolate(x!, { size: [5, 7] }),
  });
  p('interpolate nearest scale', {
    inputs: { x: t.up! },
    py: 'F.interpolate(x, scale_factor=2)',
    js: ({ x }) => F.interpolate(x!, { scaleFactor: 2 }),
  });
  p('interpolate nearest fractional scale', {
    inputs: { x: t.up! },
    py: 'F.interpolate(x, scale_factor=(1.7, 0.8))',
    js: ({ x }) => F.interpolate(x!, { scaleFactor: [1.7, 0.8] }),
  });
  p('interpolate nearest-exact', {
    inputs: { x: t.up! },
    py: "F.interpolate(x, size=(4, 6), mode='nearest-exact')",
    js: ({ x }) => F.interpolate(x!, { size: [4, 6], mode: 'nearest-exact' }),
  });
  p('interpolate bilinear', {
    inputs: { x: t.up! },
    py: "F.interpolate(x, size=(5, 7), mode='bilinear')",
    js: ({ x }) => F.interpolate(x!, { size: [5, 7], mode: 'bilinear' }),
  });
  p('interpolate bilinear alignCorners', {
    inputs: { x: t.up! },
    py: "F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=True)",
    js: ({ x }) => F.interpolate(x!, { scaleFactor: 2, mode: 'bilinear', alignCorners: true }),
  });
  p('interpolate bilinear fractional scale', {
    inputs: { x: t.up! },
    py: "F.interpolate(x, scale_factor=1.5, mode='bilinear')",
    js: ({ x }) => F.interpolate(x!, { scaleFactor: 1.5, mode: 'bilinear' }),
  });
  p('interpolate bicubic', {
    inputs: { x: t.up! },
    py: "F.interpolate(x, size=(6, 5), mode='bicubic')",
    js: ({ x }) => F.interpolate(x!, { size: [6, 5], mode: 'bicubic' }),
  });
  p('interpolate linear 1-d', {
    inputs: { x: t.up1! },
    py: "F.interpolate(x, size=8, mode='linear')",
    js: ({ x }) => F.interpolate(x!, { size: 8, mode: 'linear' }),
  });
  p('interpolate area', {
    inputs: { x: t.img! },
    py: "F.interpolate(x, size=(3, 4), mode='area')",
    js: ({ x }) => F.interpolate(x!, { size: [3, 4], mode: 'area' }),
  });
  p('scaledDotProductAttention', {
    inputs: { q: t.q!, k: t.k!, v: t.v! },
    py: 'F.scaled_dot_product_attention(q, k, v)',
    js: ({ q, k, v }) => F.scaledDotProductAttention(q!, k!, v!),
  });
  p('scaledDotProductAttention float mask scale', {
    inputs: { q: t.q!, k: t.k!, v: t.v!, m: nograd('amask') },
    py: 'F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.3)',
    js: ({ q, k, v, m }) => F.scaledDotProductAttention(q!, k!, v!, { attnMask: m!, scale: 0.3 }),
  });
  p('scaledDotProductAttention bool mask', {
    inputs: { q: t.q!, k: t.k!, v: t.v!, m: BOOL_MASK },
    py: 'F.scaled_dot_product_attention(q, k, v, attn_mask=m)',
    js: ({ q, k, v, m }) => F.scaledDotProductAttention(q!, k!, v!, { attnMask: m! }),
  });
  p('scaledDotProductAttention causal', {
    inputs: { q: t.q!, k: t.kc!, v: t.vc! },
    py: 'F.scaled_dot_product_attention(q, k, v, is_causal=True)',
    js: ({ q, k, v }) => F.scaledDotProductAttention(q!, k!, v!, { isCausal: true }),
  });
  p('dropout p=0', { inputs: { x: t.x! }, py: 'F.dropout(x, p=0.0)', js: ({ x }) => F.dropout(x!, { p: 0 }) });
  p('dropout not training', {
    inputs: { x: t.x! },
    py: 'F.dropout(x, p=0.5, training=False)',
    js: ({ x }) => F.dropout(x!, { p: 0.5, training: false }),
  });
  p('dropout p=1', { inputs: { x: t.x! }, py: 'F.dropout(x, p=1.0)', js: ({ x }) => F.dropout(x!, { p: 1 }) });
}

const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name, ...x });
c('oneHot', { inputs: { y: i64([0, 3, 1, 1]) }, py: 'F.one_hot(y, 5)', js: ({ y }) => F.oneHot(y!, 5) });
c('conv2d unbatched', {
  inputs: { x: typed('float64', (D.img as number[][][][])[0] as number[][][], true), w: typed('float64', D.w2, true) },
  py: 'F.conv2d(x, w, padding=1)',
  js: ({ x, w }) => F.conv2d(x!, w!, { padding: 1 }),
});
c('maxPool2d unbatched', {
  inputs: { x: typed('float64', (D.img as number[][][][])[1] as number[][][], true) },
  py: 'F.max_pool2d(x, 2)',
  js: ({ x }) => F.maxPool2d(x!, 2),
});
c('adaptiveAvgPool2d unbatched', {
  inputs: { x: typed('float64', (D.img as number[][][][])[1] as number[][][], true) },
  py: 'F.adaptive_avg_pool2d(x, 2)',
  js: ({ x }) => F.adaptiveAvgPool2d(x!, 2),
});
c('linear of a vector', {
  inputs: { x: typed('float64', [0.5, -1, 2, 0.25], true), w: typed('float64', D.w, true) },
  py: 'F.linear(x, w)',
  js: ({ x, w }) => F.linear(x!, w!),
});
c('nllLoss unbatched', {
  inputs: { x: typed('float64', [-0.5, -1, -2, -0.25], true), y: i64(1) },
  py: 'F.nll_loss(x, y)',
  js: ({ x, y }) => F.nllLoss(x!, y!),
});
c('interpolate trilinear', {
  inputs: { x: typed('float64', g.randn([1, 1, 2, 3, 2]), true) },
  py: "F.interpolate(x, scale_factor=2, mode='trilinear')",
  js: ({ x }) => F.interpolate(x!, { scaleFactor: 2, mode: 'trilinear' }),
});
c('interpolate nearest 3-D input', {
  inputs: { x: typed('float64', D.up1, true) },
  py: 'F.interpolate(x, scale_factor=1.5)',
  js: ({ x }) => F.interpolate(x!, { scaleFactor: 1.5 }),
});
c('interpolate area by scale', {
  inputs: { x: typed('float64', D.img, true) },
  py: "F.interpolate(x, scale_factor=0.5, mode='area')",
  js: ({ x }) => F.interpolate(x!, { scaleFactor: 0.5, mode: 'area' }),
});
c('crossEntropy float32 labelSmoothing 4-D weight', {
  inputs: { x: typed('float32', D.logits4, true), y: CLS4, w: typed('float32', D.cw) },
  py: 'F.cross_entropy(x, y, weight=w, label_smoothing=0.05)',
  js: ({ x, y, w }) => F.crossEntropy(x!, y!, { weight: w!, labelSmoothing: 0.05 }),
});
c('oneHot inferred classes', {
  inputs: {
    y: i64([
      [0, 2],
      [1, 2],
    ]),
  },
  py: 'F.one_hot(y)',
  js: ({ y }) => F.oneHot(y!),
});
c('embedding float32 weight int64 2-D ids', {
  inputs: { i: IDS, w: typed('float32', D.emb, true) },
  py: 'F.embedding(i, w).sum(1)',
  js: ({ i, w }) => F.embedding(i!, w!).sum(1),
});
c('error: crossEntropy target out of range', {
  inputs: { x: typed('float64', D.logits), y: i64([0, 1, 2, 3, 4]) },
  py: 'F.cross_entropy(x, y)',
  js: ({ x, y }) => F.crossEntropy(x!, y!),
  expectError: true,
});
c('error: conv2d channel mismatch', {
  inputs: { x: typed('float64', D.img), w: typed('float64', D.wt) },
  py: 'F.conv2d(x, w)',
  js: ({ x, w }) => F.conv2d(x!, w!),
  expectError: true,
});
c('error: mseLoss of mismatched shapes', {
  inputs: { a: typed('float64', D.pred), b: typed('float64', D.w) },
  py: 'F.mse_loss(a, b)',
  js: ({ a, b }) => F.mseLoss(a!, b!),
  expectError: true,
});
c('error: oneHot of negative class', {
  inputs: { y: i64([0, -1]) },
  py: 'F.one_hot(y, 3)',
  js: ({ y }) => F.oneHot(y!, 3),
  expectError: true,
});

// Wide enough for the 4-wide vector loop of torch-node's own max-pool kernel, with its tail.
const wide = g.randn([2, 3, 6, 19]);
c('maxPool2d wide rows (torch-node kernel)', {
  inputs: { x: typed('float32', wide, true) },
  py: 'F.max_pool2d(torch.relu(x), 2)',
  js: ({ x }) => F.maxPool2d(F.relu(x!), 2),
});

paritySuite('parity: nn.functional', cases);
