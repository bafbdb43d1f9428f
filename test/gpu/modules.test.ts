// nn layers, losses, pooling and resampling, reduced precision and channels-last, serialization,
// TorchScript and the profiler on the device under test: every result (and every gradient) must
// be what the same computation gives on the CPU from the same inputs and the same weights.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { assertClose, device, needsDevice, values } from './support.js';

const { nn } = torch;
const F = nn.functional;
type Tensor = torch.Tensor;
type Module = torch.nn.Module;

/** The device as tensors report it ('cuda:0' for 'cuda'). */
const deviceName = device === 'cuda' ? 'cuda:0' : device;
const onCuda = device.startsWith('cuda');

// cuDNN convolutions and RNNs may use TF32 in float32 (torch.backends.cudnn.allow_tf32 is on by
// default, unlike cuBLAS matmuls), and the float32 attention kernels round differently: those
// cases get these tolerances on CUDA; elsewhere the default ones.
const tf32 = onCuda ? { rtol: 5e-3, atol: 5e-3, gradTol: [1e-2, 2e-2] as [number, number] } : {};
const attn = onCuda ? { rtol: 2e-3, atol: 2e-3, gradTol: [1e-2, 1e-2] as [number, number] } : {};

const isFloat = (t: Tensor) => t.dtype.startsWith('float') || t.dtype === 'bfloat16';
const asList = (r: Tensor | Tensor[] | [Tensor, Tensor | null]): Tensor[] =>
  (Array.isArray(r) ? (r as (Tensor | null)[]) : [r]).filter((t): t is Tensor => t instanceof torch.Tensor);

interface Case {
  what: string;
  /** The inputs, made on the CPU (seeded); float ones get gradients unless `noGrad`. */
  inputs: () => Tensor[];
  /** A module made on the CPU under a fixed seed, then moved with .to(dev). */
  module?: () => Module;
  run: (xs: Tensor[], m: Module | null) => Tensor | Tensor[] | [Tensor, Tensor | null];
  rtol?: number;
  atol?: number;
  noGrad?: boolean;
  /** Tolerances for the gradients, where they differ from the forward's. */
  gradTol?: [number, number];
}

interface Run {
  outs: Tensor[];
  grads: [string, Tensor][];
  buffers: [string, Tensor][];
}

function runOn(c: Case, xs0: Tensor[], dev: string): Run {
  let m: Module | null = null;
  if (c.module) {
    torch.manualSeed(1234);
    m = c.module().to(dev);
  }
  const xs = xs0.map((x) => {
    const d = x.detach().to(dev);
    return !c.noGrad && isFloat(d) ? d.requiresGrad_() : d;
  });
  const outs = asList(c.run(xs, m));
  const floats = outs.filter((o) => isFloat(o) && o.requiresGrad);
  if (!c.noGrad && floats.length > 0) {
    // A loss that weighs every element differently (sin of its flat position + 1; never 0).
    floats
      .map((o) => o.mul(torch.arange(o.numel(), { device: dev }).add(1).sin().reshape(o.shape).to(o.dtype)).sum())
      .reduce((a, b) => a.add(b))
      .backward();
  }
  const grads: [string, Tensor][] = [];
  xs.forEach((x, k) => {
    if (x.grad) grads.push([`input ${k} grad`, torch.keep(x.grad)]);
  });
  for (const [name, p] of m?.namedParameters() ?? []) {
    if (p.grad) grads.push([`${name} grad`, torch.keep(p.grad)]);
  }
  const buffers = (m?.namedBuffers() ?? []).map(([n, b]) => [n, torch.keep(b.detach().clone())] as [string, Tensor]);
  return { outs: outs.map((o) => torch.keep(o.detach())), grads, buffers };
}

/** Runs each case on the CPU and on the device; outputs, gradients and buffers must agree. */
function runCases(cases: Case[]): void {
  for (const c of cases) {
    torch.scope(() => {
      torch.manualSeed(99);
      const xs = c.inputs();
      const cpu = runOn(c, xs, 'cpu');
      const dev = runOn(c, xs, device);
      const [rtol, atol] = [c.rtol ?? 1e-4, c.atol ?? 1e-5];
      const [grtol, gatol] = c.gradTol ?? [rtol * 10, atol * 10];
      assert.equal(dev.outs.length, cpu.outs.length, `${c.what}: number of outputs`);
      dev.outs.forEach((o, k) => {
        const e = cpu.outs[k] as Tensor;
        assert.equal(o.device, deviceName, `${c.what}: output ${k} device`);
        assert.equal(o.dtype, e.dtype, `${c.what}: output ${k} dtype`);
        if (isFloat(o)) assertClose(o, e, rtol, atol, `${c.what}: output ${k}`);
        else assert.deepEqual(values(o), values(e), `${c.what}: output ${k} (${o.dtype})`);
      });
      assert.deepEqual(
        dev.grads.map(([n]) => n),
        cpu.grads.map(([n]) => n),
        `${c.what}: which gradients exist`,
      );
      if (!c.noGrad) {
        assert.ok(dev.grads.length > 0, `${c.what}: no gradient reached anything`);
        assert.ok(
          cpu.grads.some(([, g]) => values(g).some((v) => v !== 0)),
          `${c.what}: every gradient is zero (the comparison would prove nothing)`,
        );
      }
      dev.grads.forEach(([n, g], k) => {
        assert.equal(g.device, deviceName, `${c.what}: ${n} device`);
        assertClose(g, (cpu.grads[k] as [string, Tensor])[1], grtol, gatol, `${c.what}: ${n}`);
      });
      dev.buffers.forEach(([n, b], k) => {
        const e = (cpu.buffers[k] as [string, Tensor])[1];
        if (isFloat(b)) assertClose(b, e, rtol, atol, `${c.what}: buffer ${n}`);
        else assert.deepEqual(values(b), values(e), `${c.what}: buffer ${n}`);
      });
    });
  }
}

const r = (shape: number[]) => () => [torch.randn(shape)];
const fwd = (xs: Tensor[], m: Module | null) =>
  (m as unknown as { forward(x: Tensor): Tensor }).forward(xs[0] as Tensor);

describe(`nn layers on ${device} match the CPU`, { skip: needsDevice }, () => {
  test('convolutions', () => {
    runCases([
      {
        what: 'Conv1d dilation',
        ...tf32,
        inputs: r([2, 4, 20]),
        module: () => new nn.Conv1d(4, 6, 3, { dilation: 2 }),
        run: fwd,
      },
      {
        what: 'Conv2d groups+stride+padding',
        ...tf32,
        inputs: r([2, 4, 9, 9]),
        module: () => new nn.Conv2d(4, 8, 3, { groups: 2, stride: 2, padding: 1 }),
        run: fwd,
      },
      {
        what: 'Conv2d dilation',
        ...tf32,
        inputs: r([1, 3, 12, 12]),
        module: () => new nn.Conv2d(3, 5, 3, { dilation: 2 }),
        run: fwd,
      },
      {
        what: 'Conv2d depthwise',
        ...tf32,
        inputs: r([2, 4, 8, 8]),
        module: () => new nn.Conv2d(4, 4, 3, { groups: 4, padding: 1 }),
        run: fwd,
      },
      {
        what: 'Conv3d',
        ...tf32,
        inputs: r([1, 2, 6, 6, 6]),
        module: () => new nn.Conv3d(2, 4, 3, { padding: 1 }),
        run: fwd,
      },
      {
        what: 'ConvTranspose2d stride+outputPadding',
        ...tf32,
        inputs: r([2, 4, 5, 5]),
        module: () => new nn.ConvTranspose2d(4, 3, 3, { stride: 2, outputPadding: 1 }),
        run: fwd,
      },
    ]);
  });

  test('normalization layers (BatchNorm train/eval with running stats, GroupNorm, LayerNorm, InstanceNorm)', () => {
    const bnEval = () => {
      const bn = new nn.BatchNorm2d(4);
      torch.noGrad(() => {
        bn.running_mean?.copy_(torch.randn([4]));
        bn.running_var?.copy_(torch.rand([4]).add(0.5));
      });
      return bn.eval();
    };
    runCases([
      { what: 'BatchNorm2d train', inputs: r([4, 4, 5, 5]), module: () => new nn.BatchNorm2d(4), run: fwd },
      { what: 'BatchNorm2d eval', inputs: r([4, 4, 5, 5]), module: bnEval, run: fwd },
      {
        what: 'BatchNorm1d train',
        inputs: r([8, 6]),
        module: () => new nn.BatchNorm1d(6, { momentum: 0.3 }),
        run: fwd,
      },
      { what: 'GroupNorm', inputs: r([2, 6, 4, 4]), module: () => new nn.GroupNorm(3, 6), run: fwd },
      { what: 'LayerNorm', inputs: r([3, 5, 8]), module: () => new nn.LayerNorm([5, 8]), run: fwd },
      {
        what: 'InstanceNorm2d affine+stats',
        inputs: r([2, 3, 6, 6]),
        module: () => new nn.InstanceNorm2d(3, { affine: true, trackRunningStats: true }),
        run: fwd,
      },
    ]);
  });

  test('recurrent layers (cuDNN on CUDA): LSTM, GRU, RNN; 2 layers, bidirectional, batchFirst', () => {
    const rnnRun = (xs: Tensor[], m: Module | null) => {
      const [out, h] = (m as torch.nn.LSTM).forward(xs[0] as Tensor);
      return [out, ...(Array.isArray(h) ? h : [h])];
    };
    const gruRun = (xs: Tensor[], m: Module | null) => {
      const [out, h] = (m as torch.nn.GRU).forward(xs[0] as Tensor, xs[1] as Tensor);
      return [out, h];
    };
    runCases([
      {
        what: 'LSTM 2 layers bidirectional batchFirst',
        ...tf32,
        inputs: r([3, 7, 5]),
        module: () => new nn.LSTM(5, 6, { numLayers: 2, bidirectional: true, batchFirst: true }),
        run: rnnRun,
      },
      {
        what: 'GRU 2 layers with h0',
        ...tf32,
        inputs: () => [torch.randn([7, 3, 5]), torch.randn([2, 3, 6])],
        module: () => new nn.GRU(5, 6, { numLayers: 2 }),
        run: gruRun,
      },
      {
        what: 'RNN tanh bidirectional',
        ...tf32,
        inputs: r([6, 2, 4]),
        module: () => new nn.RNN(4, 5, { bidirectional: true }),
        run: (xs, m) => (m as torch.nn.RNN).forward(xs[0] as Tensor),
      },
      {
        what: 'LSTM projSize',
        ...tf32,
        inputs: r([2, 5, 4]),
        module: () => new nn.LSTM(4, 6, { projSize: 3, batchFirst: true }),
        run: rnnRun,
      },
    ]);
  });

  test('attention: MultiheadAttention, TransformerEncoderLayer, scaledDotProductAttention', () => {
    const causal = torch.ones([6, 6], { dtype: 'bool' }).triu(1);
    runCases([
      {
        what: 'MultiheadAttention batchFirst with weights',
        ...attn,
        inputs: () => [torch.randn([2, 5, 8]), torch.randn([2, 6, 8])],
        module: () => new nn.MultiheadAttention(8, 2, { batchFirst: true }),
        run: (xs, m) => (m as torch.nn.MultiheadAttention).forward(xs[0] as Tensor, xs[1] as Tensor, xs[1] as Tensor),
      },
      {
        what: 'MultiheadAttention causal mask',
        ...attn,
        inputs: r([6, 2, 8]),
        module: () => new nn.MultiheadAttention(8, 4),
        run: (xs, m) => {
          const x = xs[0] as Tensor;
          return (m as torch.nn.MultiheadAttention).forward(x, x, x, { attnMask: causal.to(x.device) });
        },
      },
      {
        what: 'TransformerEncoderLayer (dropout 0, gelu, normFirst)',
        ...attn,
        inputs: r([2, 6, 16]),
        module: () =>
          new nn.TransformerEncoderLayer(16, 4, {
            dimFeedforward: 32,
            dropout: 0,
            batchFirst: true,
            activation: 'gelu',
            normFirst: true,
          }),
        run: fwd,
      },
      {
        what: 'TransformerEncoderLayer eval, no grad (fast path where it applies)',
        ...attn,
        inputs: r([2, 6, 16]),
        module: () => new nn.TransformerEncoderLayer(16, 4, { dimFeedforward: 32, batchFirst: true }).eval(),
        run: (xs, m) => torch.noGrad(() => fwd(xs, m)),
        noGrad: true,
      },
      {
        what: 'scaledDotProductAttention',
        ...attn,
        inputs: () => [torch.randn([2, 3, 6, 8]), torch.randn([2, 3, 7, 8]), torch.randn([2, 3, 7, 8])],
        run: ([q, k, v]) => F.scaledDotProductAttention(q as Tensor, k as Tensor, v as Tensor),
      },
      {
        what: 'scaledDotProductAttention isCausal',
        ...attn,
        inputs: () => [torch.randn([2, 3, 6, 8]), torch.randn([2, 3, 6, 8]), torch.randn([2, 3, 6, 8])],
        run: ([q, k, v]) => F.scaledDotProductAttention(q as Tensor, k as Tensor, v as Tensor, { isCausal: true }),
      },
      {
        what: 'scaledDotProductAttention float mask + scale',
        ...attn,
        inputs: () => [torch.randn([2, 6, 8]), torch.randn([2, 6, 8]), torch.randn([2, 6, 8]), torch.randn([6, 6])],
        run: ([q, k, v, mask]) =>
          F.scaledDotProductAttention(q as Tensor, k as Tensor, v as Tensor, { attnMask: mask as Tensor, scale: 0.3 }),
      },
    ]);
  });

  test('scaledDotProductAttention in float16/bfloat16 is close to float32 (CUDA kernels)', (t) => {
    // The CPU branch checks float64 against float32 instead: the half kernels (flash,
    // memory-efficient) exist on CUDA only, and CPU half attention is slow and not what is tested.
    const dtypes = onCuda ? (['float16', 'bfloat16'] as const) : (['float64'] as const);
    torch.scope(() => {
      torch.manualSeed(5);
      const [q, k, v] = [0, 1, 2].map(() => torch.randn([2, 4, 16, 32], { device }));
      for (const isCausal of [false, true]) {
        const ref = F.scaledDotProductAttention(q as Tensor, k as Tensor, v as Tensor, { isCausal });
        for (const dtype of dtypes) {
          const [qh, kh, vh] = [q, k, v].map((x) => (x as Tensor).to(dtype));
          const out = F.scaledDotProductAttention(qh as Tensor, kh as Tensor, vh as Tensor, { isCausal });
          assert.equal(out.dtype, dtype, `${dtype} causal=${isCausal}: dtype`);
          assert.equal(out.device, deviceName);
          const tol = dtype === 'bfloat16' ? 5e-2 : dtype === 'float16' ? 1e-2 : 1e-5;
          assertClose(out.float(), ref, tol, tol, `sdpa ${dtype} causal=${isCausal}`);
        }
      }
    });
    t.diagnostic(`sdpa dtypes checked: ${dtypes.join(', ')}`);
  });

  test('Embedding, EmbeddingBag (sum/mean/max), Dropout in eval, pixel shuffle, fold/unfold', () => {
    const idx = () => [torch.tensor([1, 4, 2, 9, 4, 0, 7, 3], { dtype: 'int64' })];
    const offsets = torch.tensor([0, 3, 5], { dtype: 'int64' });
    const bag = (mode: 'sum' | 'mean' | 'max'): Case => ({
      what: `EmbeddingBag ${mode}`,
      inputs: idx,
      module: () => new nn.EmbeddingBag(10, 4, { mode }),
      run: (xs, m) => (m as torch.nn.EmbeddingBag).forward(xs[0] as Tensor, offsets.to(xs[0]?.device ?? 'cpu')),
    });
    runCases([
      {
        what: 'Embedding paddingIdx',
        inputs: () => [
          torch.tensor(
            [
              [1, 4, 2],
              [4, 0, 7],
            ],
            { dtype: 'int64' },
          ),
        ],
        module: () => new nn.Embedding(10, 5, { paddingIdx: 0 }),
        run: fwd,
      },
      bag('sum'),
      bag('mean'),
      bag('max'),
      {
        what: 'Dropout eval is the identity',
        inputs: r([4, 6]),
        module: () => new nn.Dropout({ p: 0.5 }).eval(),
        run: (xs, m) => {
          const out = fwd(xs, m);
          assert.deepEqual(values(out), values(xs[0] as Tensor), 'Dropout eval changed values');
          return out;
        },
      },
      { what: 'pixelShuffle', inputs: r([2, 8, 3, 3]), run: ([x]) => F.pixelShuffle(x as Tensor, 2) },
      { what: 'pixelUnshuffle', inputs: r([2, 2, 6, 6]), run: ([x]) => F.pixelUnshuffle(x as Tensor, 3) },
      {
        what: 'unfold then fold',
        inputs: r([2, 3, 7, 7]),
        run: ([x]) => {
          const cols = F.unfold(x as Tensor, [3, 3], { padding: 1, stride: 2, dilation: 1 });
          return [cols, F.fold(cols, [7, 7], [3, 3], { padding: 1, stride: 2 })];
        },
      },
    ]);
  });

  test('loss functions', () => {
    const t = (data: number[], dtype: 'int64' | 'float32' = 'int64') => torch.tensor(data, { dtype });
    const onDev = (x: Tensor, ref: Tensor) => x.to(ref.device);
    const C = 5;
    runCases([
      {
        what: 'crossEntropy weight + labelSmoothing + ignoreIndex',
        inputs: () => [torch.randn([8, C]), torch.tensor([0, 1, 2, 3, 4, 1, 2, 0]), torch.rand([C])],
        run: ([x, y, w]) =>
          F.crossEntropy(x as Tensor, y as Tensor, {
            weight: (w as Tensor).detach(),
            labelSmoothing: 0.1,
            ignoreIndex: 2,
          }),
      },
      {
        what: 'crossEntropy soft targets, 4-d',
        inputs: () => [torch.randn([2, C, 3, 3]), torch.randn([2, C, 3, 3]).softmax(1)],
        run: ([x, y]) => F.crossEntropy(x as Tensor, (y as Tensor).detach(), { reduction: 'none' }),
      },
      {
        what: 'nllLoss',
        inputs: () => [torch.randn([6, C]).logSoftmax(1), t([4, 0, 1, 3, 2, 2])],
        run: ([x, y]) => F.nllLoss(x as Tensor, y as Tensor, { reduction: 'sum' }),
      },
      {
        what: 'binaryCrossEntropyWithLogits posWeight',
        inputs: () => [torch.randn([4, 3]), torch.rand([4, 3]), torch.rand([3]).add(0.5)],
        run: ([x, y, pw]) =>
          F.binaryCrossEntropyWithLogits(x as Tensor, (y as Tensor).detach(), { posWeight: (pw as Tensor).detach() }),
      },
      {
        what: 'binaryCrossEntropy',
        inputs: () => [torch.rand([10]).mul(0.9).add(0.05), torch.rand([10])],
        run: ([x, y]) => F.binaryCrossEntropy(x as Tensor, (y as Tensor).detach()),
      },
      {
        what: 'mseLoss',
        inputs: () => [torch.randn([5, 4]), torch.randn([5, 4])],
        run: ([a, b]) => F.mseLoss(a as Tensor, b as Tensor),
      },
      {
        what: 'l1Loss',
        inputs: () => [torch.randn([5, 4]), torch.randn([5, 4])],
        run: ([a, b]) => F.l1Loss(a as Tensor, b as Tensor),
      },
      {
        what: 'smoothL1Loss beta',
        inputs: () => [torch.randn([5, 4]), torch.randn([5, 4])],
        run: ([a, b]) => F.smoothL1Loss(a as Tensor, b as Tensor, { beta: 0.5 }),
      },
      {
        what: 'huberLoss delta',
        inputs: () => [torch.randn([5, 4]), torch.randn([5, 4])],
        run: ([a, b]) => F.huberLoss(a as Tensor, b as Tensor, { delta: 0.7 }),
      },
      {
        what: 'klDiv batchmean logTarget',
        inputs: () => [torch.randn([4, C]).logSoftmax(1), torch.randn([4, C]).logSoftmax(1)],
        run: ([a, b]) => F.klDiv(a as Tensor, b as Tensor, { reduction: 'batchmean', logTarget: true }),
      },
      {
        what: 'ctcLoss',
        inputs: () => [torch.randn([12, 2, C]).logSoftmax(2), t([1, 2, 3, 1, 4, 2, 2])],
        run: ([lp, y]) => F.ctcLoss(lp as Tensor, y as Tensor, [12, 10], [4, 3], { reduction: 'mean' }),
      },
      {
        what: 'marginRankingLoss',
        inputs: () => [torch.randn([6]), torch.randn([6]), t([1, -1, 1, 1, -1, -1], 'float32')],
        run: ([a, b, y]) => F.marginRankingLoss(a as Tensor, b as Tensor, (y as Tensor).detach(), { margin: 0.2 }),
      },
      {
        what: 'tripletMarginLoss',
        inputs: () => [torch.randn([4, 6]), torch.randn([4, 6]), torch.randn([4, 6])],
        run: ([a, p, n]) => F.tripletMarginLoss(a as Tensor, p as Tensor, n as Tensor, { margin: 1.5, swap: true }),
      },
      {
        what: 'cosineEmbeddingLoss',
        inputs: () => [torch.randn([4, 6]), torch.randn([4, 6]), t([1, -1, -1, 1], 'float32')],
        run: ([a, b, y]) => F.cosineEmbeddingLoss(a as Tensor, b as Tensor, (y as Tensor).detach(), { margin: -0.2 }),
      },
      {
        what: 'poissonNllLoss',
        inputs: () => [torch.randn([5, 3]), torch.rand([5, 3]).mul(4)],
        run: ([a, y]) => F.poissonNllLoss(a as Tensor, (y as Tensor).detach()),
      },
      {
        what: 'gaussianNllLoss full',
        inputs: () => [torch.randn([5, 3]), torch.randn([5, 3]), torch.rand([5, 3]).add(0.1)],
        run: ([a, y, v]) => F.gaussianNllLoss(a as Tensor, (y as Tensor).detach(), v as Tensor, { full: true }),
      },
      {
        what: 'multilabelSoftMarginLoss',
        inputs: () => [torch.randn([4, C]), torch.randint(2, [4, C]).float()],
        run: ([a, y]) => F.multilabelSoftMarginLoss(a as Tensor, (y as Tensor).detach()),
      },
      {
        what: 'multiMarginLoss',
        inputs: () => [torch.randn([4, C]), t([0, 4, 2, 1])],
        run: ([a, y]) => F.multiMarginLoss(a as Tensor, y as Tensor),
      },
      {
        what: 'softMarginLoss + hingeEmbeddingLoss',
        inputs: () => [torch.randn([6]), t([1, -1, 1, -1, 1, 1], 'float32')],
        run: ([a, y]) => {
          const yy = (y as Tensor).detach();
          return [F.softMarginLoss(a as Tensor, yy), F.hingeEmbeddingLoss(a as Tensor, yy, { margin: 0.5 })];
        },
      },
      {
        what: 'CrossEntropyLoss module (weight buffer moves with .to)',
        inputs: () => [torch.randn([6, C]), t([0, 1, 2, 3, 4, 0])],
        module: () => new nn.CrossEntropyLoss({ weight: torch.tensor([1, 2, 0.5, 1, 3]), labelSmoothing: 0.05 }),
        run: ([x, y], m) => (m as torch.nn.CrossEntropyLoss).forward(x as Tensor, onDev(y as Tensor, x as Tensor)),
      },
    ]);
  });

  test('pooling: max (with indices) 1d/2d/3d, avg, adaptive, LP, unpool', () => {
    runCases([
      {
        what: 'maxPool1d indices',
        inputs: r([2, 3, 11]),
        run: ([x]) => F.maxPool1dWithIndices(x as Tensor, 3, { stride: 2, padding: 1 }),
      },
      {
        what: 'maxPool2d indices dilation ceilMode',
        inputs: r([2, 3, 9, 9]),
        run: ([x]) => F.maxPool2dWithIndices(x as Tensor, 2, { dilation: 2, ceilMode: true }),
      },
      { what: 'maxPool3d indices', inputs: r([1, 2, 6, 6, 6]), run: ([x]) => F.maxPool3dWithIndices(x as Tensor, 2) },
      {
        what: 'avgPool2d countIncludePad false',
        inputs: r([2, 3, 7, 7]),
        run: ([x]) => F.avgPool2d(x as Tensor, 3, { stride: 2, padding: 1, countIncludePad: false }),
      },
      { what: 'avgPool1d', inputs: r([2, 3, 10]), run: ([x]) => F.avgPool1d(x as Tensor, 3) },
      { what: 'adaptiveAvgPool2d', inputs: r([2, 3, 9, 7]), run: ([x]) => F.adaptiveAvgPool2d(x as Tensor, [4, 3]) },
      {
        what: 'adaptiveMaxPool2d indices',
        inputs: r([2, 3, 9, 7]),
        run: ([x]) => F.adaptiveMaxPool2dWithIndices(x as Tensor, [4, 3]),
      },
      {
        what: 'adaptiveAvgPool3d',
        inputs: r([1, 2, 5, 6, 7]),
        run: ([x]) => F.adaptiveAvgPool3d(x as Tensor, [2, 3, 4]),
      },
      { what: 'lpPool2d p=2', inputs: r([2, 3, 8, 8]), run: ([x]) => F.lpPool2d((x as Tensor).abs().add(0.1), 2, 2) },
      { what: 'lpPool1d p=3', inputs: r([2, 3, 9]), run: ([x]) => F.lpPool1d((x as Tensor).abs().add(0.1), 3, 3) },
      {
        what: 'maxUnpool2d after maxPool2d',
        inputs: r([2, 3, 8, 8]),
        run: ([x]) => {
          const [y, i] = F.maxPool2dWithIndices(x as Tensor, 2);
          return F.maxUnpool2d(y, i, 2);
        },
      },
      {
        what: 'maxUnpool1d after maxPool1d',
        inputs: r([2, 3, 10]),
        run: ([x]) => {
          const [y, i] = F.maxPool1dWithIndices(x as Tensor, 2);
          return F.maxUnpool1d(y, i, 2);
        },
      },
    ]);
  });

  test('interpolate, gridSample/affineGrid, pad modes', () => {
    const interp = (what: string, shape: number[], o: Parameters<typeof F.interpolate>[1]): Case => ({
      what: `interpolate ${what}`,
      inputs: r(shape),
      run: ([x]) => F.interpolate(x as Tensor, o),
    });
    const pad = (mode: string, p: number[], shape: number[]): Case => ({
      what: `pad ${mode} ${p.join(',')}`,
      inputs: r(shape),
      run: ([x]) => F.pad(x as Tensor, p, { mode }),
    });
    runCases([
      interp('nearest', [2, 3, 5, 5], { scaleFactor: 2, mode: 'nearest' }),
      interp('nearest-exact', [2, 3, 5, 5], { size: [7, 8], mode: 'nearest-exact' }),
      interp('bilinear', [2, 3, 5, 5], { size: [8, 7], mode: 'bilinear', alignCorners: false }),
      interp('bilinear alignCorners', [2, 3, 5, 5], { size: [9, 9], mode: 'bilinear', alignCorners: true }),
      interp('bicubic', [1, 2, 6, 6], { scaleFactor: 1.5, mode: 'bicubic', alignCorners: false }),
      interp('trilinear alignCorners', [1, 2, 4, 4, 4], { size: [6, 5, 7], mode: 'trilinear', alignCorners: true }),
      interp('linear', [2, 3, 6], { size: 11, mode: 'linear', alignCorners: false }),
      interp('area', [2, 3, 8, 8], { size: [3, 5], mode: 'area' }),
      {
        what: 'affineGrid + gridSample bilinear zeros',
        inputs: () => [torch.randn([2, 3, 6, 6]), torch.randn([2, 2, 3]).mul(0.3).add(torch.eye(2, 3))],
        run: ([x, th]) => {
          const g = F.affineGrid(th as Tensor, [2, 3, 5, 4], { alignCorners: false });
          return [g, F.gridSample(x as Tensor, g, { mode: 'bilinear', paddingMode: 'zeros', alignCorners: false })];
        },
      },
      {
        what: 'gridSample bicubic border alignCorners',
        inputs: () => [torch.randn([1, 2, 5, 5]), torch.rand([1, 4, 4, 2]).mul(2.4).sub(1.2)],
        run: ([x, g]) =>
          F.gridSample(x as Tensor, g as Tensor, { mode: 'bicubic', paddingMode: 'border', alignCorners: true }),
      },
      {
        what: 'gridSample nearest reflection',
        inputs: () => [torch.randn([1, 2, 5, 5]), torch.rand([1, 4, 4, 2]).mul(2.4).sub(1.2)],
        run: ([x, g]) =>
          F.gridSample(x as Tensor, (g as Tensor).detach(), {
            mode: 'nearest',
            paddingMode: 'reflection',
            alignCorners: false,
          }),
      },
      {
        what: 'gridSample 3-d',
        inputs: () => [torch.randn([1, 2, 4, 4, 4]), torch.rand([1, 3, 3, 3, 3]).mul(2).sub(1)],
        run: ([x, g]) => F.gridSample(x as Tensor, g as Tensor, { alignCorners: true }),
      },
      pad('constant', [1, 2, 0, 3], [2, 3, 4, 4]),
      pad('reflect', [2, 1, 1, 2], [2, 3, 5, 5]),
      pad('replicate', [1, 2, 2, 1, 1, 1], [1, 2, 3, 4, 4]),
      pad('circular', [2, 1, 1, 2], [2, 3, 5, 5]),
      pad('reflect', [3, 2], [2, 3, 6]),
    ]);
  });
});

describe(`reduced precision and channels-last on ${device}`, { skip: needsDevice }, () => {
  class Net extends nn.Module {
    conv = new nn.Conv2d(3, 8, 3, { padding: 1 });
    bn = new nn.BatchNorm2d(8);
    conv2 = new nn.Conv2d(8, 4, 3, { stride: 2 });
    fc = new nn.Linear(4 * 3 * 3, 5);
    forward(x: Tensor): Tensor {
      const h = F.relu(this.bn.forward(this.conv.forward(x)));
      return this.fc.forward(this.conv2.forward(h).flatten(1));
    }
  }
  const make = () => {
    torch.manualSeed(11);
    return new Net().to(device);
  };

  test('a module in float16/bfloat16 gives its float32 result within half precision', () => {
    // The CPU branch checks float64 against float32 (to a float32 tolerance): half convolutions
    // and cuDNN's half batch norm are the CUDA kernels this test is for.
    const dtypes = onCuda ? (['float16', 'bfloat16'] as const) : (['float64'] as const);
    torch.scope(() => {
      torch.manualSeed(12);
      const x = torch.randn([4, 3, 8, 8], { device });
      for (const mode of ['train', 'eval'] as const) {
        const ref = make()
          .train(mode === 'train')
          .forward(x);
        for (const dtype of dtypes) {
          const m = make()
            .to(dtype)
            .train(mode === 'train');
          const out = m.forward(x.to(dtype));
          assert.equal(out.dtype, dtype, `${dtype} ${mode}: dtype`);
          assert.equal(out.device, deviceName, `${dtype} ${mode}: device`);
          const tol = dtype === 'bfloat16' ? 8e-2 : dtype === 'float16' ? 1.5e-2 : 1e-5;
          assertClose(out.float(), ref, tol, tol, `Net ${dtype} ${mode}`);
          // The backward runs in that dtype too, and its gradients are finite.
          out.float().pow(2).sum().backward();
          const g = m.conv.weight.grad as Tensor;
          assert.equal(g.dtype, dtype, `${dtype} ${mode}: grad dtype`);
          assert.ok(g.isfinite().all().item(), `${dtype} ${mode}: finite grads`);
        }
      }
    });
  });

  test('channelsLast inputs and weights give the contiguous results (and gradients)', () => {
    torch.scope(() => {
      torch.manualSeed(13);
      const x0 = torch.randn([4, 3, 8, 8], { device });
      const run = (cl: boolean) => {
        const m = make();
        if (cl) {
          torch.noGrad(() => {
            for (const p of [m.conv.weight, m.conv2.weight]) p.data = p.contiguous({ memoryFormat: 'channelsLast' });
          });
        }
        const x = (cl ? x0.contiguous({ memoryFormat: 'channelsLast' }) : x0.clone()).requiresGrad_();
        const h = m.conv.forward(x);
        const out = m.forward(x);
        out.mul(torch.arange(out.numel(), { device }).reshape(out.shape).cos()).sum().backward();
        return { h, out, gx: x.grad as Tensor, gw: m.conv.weight.grad as Tensor, rm: m.bn.running_mean as Tensor };
      };
      const a = run(false);
      const b = run(true);
      // The convolution keeps the channels-last layout (NHWC strides), as PyTorch's.
      const [n, c, hh, ww] = b.h.shape as [number, number, number, number];
      assert.deepEqual(b.h.stride(), [hh * ww * c, 1, ww * c, c], 'conv output is channels-last');
      void n;
      assert.equal(b.out.device, deviceName);
      // NHWC and NCHW take different cuDNN algorithms (TF32 on CUDA): TF32 tolerances there.
      const [rt, at] = onCuda ? [5e-3, 5e-3] : [1e-4, 1e-5];
      assertClose(b.out, a.out, rt, at, 'channelsLast output');
      assertClose(b.gx, a.gx, rt, at, 'channelsLast input grad');
      assertClose(b.gw, a.gw, rt * 2, at * 4, 'channelsLast weight grad');
      assertClose(b.rm, a.rm, rt, at, 'channelsLast running mean');
    });
  });
});

describe(`serialization of ${device} tensors`, { skip: needsDevice }, () => {
  class Holder extends nn.Module {
    lin = new nn.Linear(4, 3);
    bn = new nn.BatchNorm1d(3);
    emb = new nn.Embedding(6, 2);
    forward(x: Tensor): Tensor {
      return this.bn.forward(this.lin.forward(x));
    }
  }
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tn-gpu-modules-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('torch.save of a state dict on the device; load back there (default, as PyTorch) or to the CPU (mapLocation)', () => {
    torch.scope(() => {
      torch.manualSeed(21);
      const m = new Holder().to(device);
      torch.noGrad(() => m.forward(torch.randn([5, 4], { device })));
      const sd = m.stateDict();
      const withHalf = { ...sd, half: torch.randn([3, 2], { device }).half(), ints: torch.arange(7, { device }) };
      for (const t of Object.values(withHalf)) assert.equal(t.device, deviceName);
      const path = join(dir, 'sd.pt');
      torch.save(withHalf, path);
      // Without mapLocation each tensor goes back to the device it was saved from, as in PyTorch.
      for (const [how, opts, want] of [
        ['default', undefined, deviceName],
        ["mapLocation 'cpu'", { mapLocation: 'cpu' }, 'cpu'],
        [`mapLocation '${device}'`, { mapLocation: device }, deviceName],
      ] as const) {
        const back = torch.load(path, opts) as Record<string, Tensor>;
        assert.deepEqual(Object.keys(back), Object.keys(withHalf), `${how}: keys`);
        for (const [k, v] of Object.entries(withHalf)) {
          const b = back[k] as Tensor;
          assert.equal(b.device, want, `${how}: ${k} device`);
          assert.equal(b.dtype, v.dtype, `${how}: ${k} dtype`);
          assert.deepEqual(values(b), values(v), `${how}: ${k} values`);
        }
      }
      // A fresh module loads the state dict read onto the device, and computes the same.
      const back = torch.load(path, { mapLocation: device }) as Record<string, Tensor>;
      const m2 = new Holder().to(device);
      m2.loadStateDict(Object.fromEntries(Object.entries(back).filter(([k]) => k in sd)));
      m.eval();
      m2.eval();
      const x = torch.randn([3, 4], { device });
      assert.deepEqual(values(m2.forward(x)), values(m.forward(x)), 'reloaded module output');
      assert.deepEqual(values(m2.emb.weight), values(m.emb.weight), 'reloaded embedding');
    });
  });

  test('saveSafetensors from device tensors; loadSafetensors to the CPU and to the device', () => {
    torch.scope(() => {
      torch.manualSeed(22);
      const tensors: Record<string, Tensor> = {
        w: torch.randn([4, 5], { device }),
        // A non-contiguous view: written row-major.
        wt: torch.randn([5, 4], { device }).t(),
        b: torch.randn([3], { device }).to('bfloat16'),
        i: torch.arange(6, { device, dtype: 'int32' }),
      };
      const path = join(dir, 'm.safetensors');
      torch.saveSafetensors(tensors, path, { format: 'pt' });
      for (const [how, opts, want] of [
        ['default', undefined, 'cpu'],
        [`device '${device}'`, { device }, deviceName],
      ] as const) {
        const back = torch.loadSafetensors(path, opts);
        assert.deepEqual(Object.keys(back).sort(), Object.keys(tensors).sort(), `${how}: keys`);
        for (const [k, v] of Object.entries(tensors)) {
          const b = back[k] as Tensor;
          assert.equal(b.device, want, `${how}: ${k} device`);
          assert.equal(b.dtype, v.dtype, `${how}: ${k} dtype`);
          assert.deepEqual(b.shape, v.shape, `${how}: ${k} shape`);
          assert.deepEqual(values(b), values(v), `${how}: ${k} values`);
        }
      }
    });
  });
});

describe(`jit.trace on ${device}`, { skip: needsDevice }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tn-gpu-jit-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  class Small extends nn.Module {
    conv = new nn.Conv2d(2, 4, 3, { padding: 1 });
    bn = new nn.BatchNorm2d(4);
    fc = new nn.Linear(4 * 2 * 2, 3);
    forward(x: Tensor): Tensor {
      const h = F.maxPool2d(F.relu(this.bn.forward(this.conv.forward(x))), [2, 2]);
      return this.fc.forward(h.flatten(1)).logSoftmax(1);
    }
  }

  test('traced output equals eager on the device; saved and loaded onto the CPU and the device', () => {
    torch.scope(() => {
      torch.manualSeed(31);
      const m = new Small();
      torch.noGrad(() => {
        for (let k = 0; k < 2; k++) m.forward(torch.randn([6, 2, 4, 4]).mul(k + 1));
      });
      m.eval().to(device);
      const x = torch.randn([3, 2, 4, 4], { device });
      const eager = torch.noGrad(() => m.forward(x));
      const traced = torch.jit.trace(m, [x]);
      const tOut = torch.noGrad(() => traced.forward(x));
      assert.equal(tOut.device, deviceName, 'traced output device');
      assertClose(tOut, eager, 1e-5, 1e-5, 'traced vs eager');
      // Another batch than the example.
      const x2 = torch.randn([5, 2, 4, 4], { device });
      assertClose(
        torch.noGrad(() => traced.forward(x2)),
        torch.noGrad(() => m.forward(x2)),
        1e-5,
        1e-6,
        'traced vs eager, other batch',
      );
      const path = join(dir, 'small.pt');
      torch.jit.save(traced, path);
      const cpuRef = torch.noGrad(() => m.to('cpu').forward(x.cpu()));
      m.to(device);
      {
        using onCpu = torch.jit.load(path, { mapLocation: 'cpu' });
        const out = torch.noGrad(() => onCpu.forward(x.cpu()));
        assert.equal(out.device, 'cpu', 'loaded onto the CPU: output device');
        // The CPU against the device's (TF32) convolution.
        assertClose(out, eager, onCuda ? 5e-3 : 1e-4, onCuda ? 5e-3 : 1e-5, 'jit.load(cpu) vs eager on the device');
        assertClose(out, cpuRef, 1e-6, 1e-7, 'jit.load(cpu) vs eager on the CPU');
      }
      {
        using onDev = torch.jit.load(path, { mapLocation: device });
        const out = torch.noGrad(() => onDev.forward(x));
        assert.equal(out.device, deviceName, 'loaded onto the device: output device');
        assertClose(out, eager, 1e-5, 1e-6, 'jit.load(device) vs eager');
      }
      {
        // Without mapLocation the tensors go back where they were saved.
        using asSaved = torch.jit.load(path);
        const out = torch.noGrad(() => asSaved.forward(x));
        assert.equal(out.device, deviceName, 'loaded as saved: output device');
      }
      traced.dispose?.();
    });
  });

  test('a traced function of device tensors, with gradients on the device', () => {
    torch.scope(() => {
      torch.manualSeed(32);
      const fn = (a: Tensor, b: Tensor) =>
        a
          .matmul(b)
          .tanh()
          .add(a.sum(1, { keepdim: true }));
      const a = torch.randn([4, 5], { device });
      const b = torch.randn([5, 3], { device });
      const traced = torch.jit.trace(fn, [a, b]);
      const a2 = a.detach().requiresGrad_();
      const out = traced.forward(a2, b);
      assert.equal(out.device, deviceName);
      assertClose(out, fn(a, b), 1e-5, 1e-6, 'traced function');
      out.sum().backward();
      const a3 = a.detach().requiresGrad_();
      fn(a3, b).sum().backward();
      assertClose(a2.grad as Tensor, a3.grad as Tensor, 1e-5, 1e-6, 'traced function grad');
    });
  });
});

describe(`profiler on ${device}`, { skip: needsDevice }, () => {
  test('profiling device ops records the ops (and, on CUDA, their kernels and device time)', (t) => {
    const activities = onCuda ? (['cpu', 'cuda'] as const) : (['cpu'] as const);
    if (onCuda) assert.deepEqual(torch.profiler.supportedActivities(), ['cpu', 'cuda']);
    const x = torch.randn([64, 64], { device });
    const w = torch.randn([64, 64], { device });
    const prof = torch.profiler.profile({ activities: [...activities], recordShapes: true }, () => {
      torch.scope(() => {
        torch.profiler.recordFunction('tn_block', () => {
          for (let k = 0; k < 3; k++) x.matmul(w).relu().sum().item();
        });
      });
      if (onCuda) torch.cuda.synchronize();
    });
    const events = prof.events();
    const names = new Set(events.map((e) => e.name));
    for (const op of ['aten::mm', 'aten::relu', 'aten::sum', 'tn_block']) {
      assert.ok(names.has(op), `profile has ${op} (has ${[...names].slice(0, 30).join(', ')})`);
    }
    const mm = events.filter((e) => e.name === 'aten::mm');
    assert.equal(mm.length, 3, 'three aten::mm events');
    assert.deepEqual(mm[0]?.inputShapes, [
      [64, 64],
      [64, 64],
    ]);
    const avg = prof.keyAverages().find((e) => e.key === 'aten::mm');
    assert.equal(avg?.count, 3, 'keyAverages counts aten::mm 3 times');
    if (onCuda) {
      assert.equal(prof.useDevice, 'cuda');
      // Kineto's CUPTI may be missing on a machine: then no device events come back at all.
      const deviceEvents = events.filter((e) => e.deviceType === 'cuda');
      if (deviceEvents.length === 0) {
        t.skip('no CUDA kernel events recorded (CUPTI unavailable to Kineto on this machine?)');
        return;
      }
      const mmKernels = mm.flatMap((e) => e.kernels);
      assert.ok(mmKernels.length >= 3, `aten::mm has its kernels (got ${mmKernels.length})`);
      assert.ok((avg?.deviceTimeTotal ?? 0) > 0, 'aten::mm has device time');
      assert.ok(prof.keyAverages().table({ sortBy: 'cuda_time_total' }).includes('CUDA'), 'table shows CUDA times');
    } else {
      // The CPU branch: no device time anywhere, and no device events.
      assert.equal(prof.useDevice, null);
      assert.equal(events.filter((e) => e.deviceType !== 'cpu').length, 0, 'no device events in a CPU-only profile');
      assert.equal(avg?.deviceTimeTotal, 0);
    }
  });
});
