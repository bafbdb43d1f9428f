// F.linearCrossEntropy and nn.LinearCrossEntropyLoss (PyTorch 2.13) against Python's, to the bit
// in float32: the reference path (linear then cross_entropy) and the chunked path (Python's chunk
// loop repeated op for op) for each reduction, class weights, ignoreIndex, label smoothing, class
// probabilities and K-dimensional targets; input, weight and bias gradients; the module's state
// dict both ways; bad input as Errors naming the function.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { pythonTorchVersion, runPython, skipWithoutPython } from '../support/python.js';

const nn = torch.nn;
const F = nn.functional;
type Tensor = torch.Tensor;
type Json = unknown;

// Python's oracle runs on one thread; so do we, so that every reduction sums in the same order.
torch.setNumThreads(1);
const skip = skipWithoutPython();
// The chunked path follows PyTorch 2.13's Python code; 2.14 changed its accumulation policies
// ('balanced' is gone, 'auto' resolves otherwise), so its values are compared with 2.13 only.
const pyVersion = pythonTorchVersion() ?? '';
const skipChunked =
  skip ||
  (!pyVersion.startsWith('2.13.') &&
    `the chunked path follows PyTorch 2.13; Python torch ${pyVersion} chooses its chunks otherwise`);

/** A float32 leaf from seeded normal values, rounded to 1/64 so that the lists cross JSON plainly. */
function leaf(shape: number[], seed: number, grad = true): Tensor {
  torch.manualSeed(seed);
  // add(0) turns -0 into +0: JSON carries no sign of zero to Python.
  return torch.randn(shape).mul(64).round().div(64).add(0).requiresGrad_(grad);
}

interface Case {
  name: string;
  input: number[];
  classes: number;
  /** Trailing dims of the K-dimensional loss. */
  out?: number[];
  bias?: boolean;
  weight?: boolean;
  /** 'index' (int64 classes, some set to ignoreIndex or -100), 'probs' (softmax of normals). */
  target: 'index' | 'probs';
  reduction?: 'mean' | 'sum' | 'none';
  ignoreIndex?: number;
  labelSmoothing?: number;
  /** Python's LinearCrossEntropyOptions keywords, snake_case; absent: the reference path. */
  chunked?: Record<string, Json>;
  /** The dtype of input, linearWeight and linearBias (default float32). */
  dtype?: 'float32' | 'bfloat16' | 'float16';
}

interface Built {
  input: Tensor;
  linearWeight: Tensor;
  linearBias: Tensor | null;
  weight: Tensor | null;
  target: Tensor;
  upstream: Tensor;
}

function build(c: Case, seed: number): Built {
  const batch = c.input.slice(0, -1);
  const features = c.input[c.input.length - 1] ?? 0;
  const out = c.out ?? [];
  const cast = (t: Tensor) => (c.dtype ? t.detach().to(c.dtype).requiresGrad_() : t);
  const input = cast(leaf(c.input, seed));
  const linearWeight = cast(leaf([c.classes, ...out, features], seed + 1));
  const linearBias = c.bias ? cast(leaf([c.classes, ...out], seed + 2)) : null;
  torch.manualSeed(seed + 3);
  const weight = c.weight ? torch.rand([c.classes]).mul(16).round().add(1).div(8) : null;
  torch.manualSeed(seed + 4);
  let target: Tensor;
  if (c.target === 'probs') {
    target = torch.randn([...batch, c.classes, ...out]).softmax(batch.length);
  } else {
    target = torch.randint(0, c.classes, [...batch, ...out]);
    // Every third entry is ignored (the default -100, or the case's ignoreIndex).
    if (target.numel() > 1) {
      const flat = target.reshape([-1]);
      const ignored = c.ignoreIndex ?? -100;
      for (let i = 1; i < flat.numel(); i += 3) flat.select(0, i).fill_(ignored);
    }
  }
  // The upstream gradient for reduction 'none': not all ones, so that it is really folded in.
  const lossShape = c.reduction === 'none' ? [...batch, ...out] : [];
  torch.manualSeed(seed + 5);
  const upstream = torch.rand(lossShape).mul(8).round().add(1).div(4);
  return { input, linearWeight, linearBias, weight, target, upstream };
}

function ours(c: Case, b: Built) {
  const loss = F.linearCrossEntropy(b.input, b.linearWeight, b.target, {
    linearBias: b.linearBias,
    weight: b.weight,
    ...(c.reduction ? { reduction: c.reduction } : {}),
    ...(c.ignoreIndex !== undefined ? { ignoreIndex: c.ignoreIndex } : {}),
    ...(c.labelSmoothing ? { labelSmoothing: c.labelSmoothing } : {}),
    options: c.chunked ? camel(c.chunked) : null,
  });
  loss.mul(b.upstream).sum().backward();
  return {
    loss: loss.toArray(),
    gradInput: b.input.grad?.toArray(),
    gradWeight: b.linearWeight.grad?.toArray(),
    gradBias: b.linearBias?.grad?.toArray() ?? null,
  };
}

const camel = (o: Record<string, Json>): torch.nn.LinearCrossEntropyOptions =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/_(.)/g, (_, ch: string) => ch.toUpperCase()), v]));

const THEIRS = `
import torch, torch.nn.functional as F, warnings
warnings.simplefilter('ignore')
torch.set_num_threads(1)
out = []
for c in INPUT:
    dt = getattr(torch, c['dtype'])
    f32 = lambda v: torch.tensor(v, dtype=dt, requires_grad=True)
    x, w = f32(c['input']), f32(c['lw'])
    b = f32(c['lb']) if c['lb'] is not None else None
    cw = torch.tensor(c['weight'], dtype=torch.float32) if c['weight'] is not None else None
    t = torch.tensor(c['target'], dtype=torch.float32 if c['probs'] else torch.int64)
    kw = dict(linear_bias=b, weight=cw, reduction=c['reduction'], label_smoothing=c['ls'])
    if c['ignore'] is not None:
        kw['ignore_index'] = c['ignore']
    if c['chunked'] is not None:
        o = dict(c['chunked'])
        if o.get('acc_dtype') is not None:
            o['acc_dtype'] = getattr(torch, o['acc_dtype'])
        kw['options'] = torch.nn.LinearCrossEntropyOptions(**o)
    loss = F.linear_cross_entropy(x, w, t, **kw)
    (loss * torch.tensor(c['up'], dtype=torch.float32)).sum().backward()
    out.append(dict(loss=loss.tolist(), gi=x.grad.tolist(), gw=w.grad.tolist(),
                    gb=b.grad.tolist() if b is not None else None))
OUTPUT = out
`;

function theirs(cases: Case[], built: Built[]) {
  return runPython<{ loss: Json; gi: Json; gw: Json; gb: Json }[]>(
    THEIRS,
    cases.map((c, i) => {
      const b = built[i] as Built;
      return {
        input: b.input.toArray(),
        lw: b.linearWeight.toArray(),
        lb: b.linearBias?.toArray() ?? null,
        weight: b.weight?.toArray() ?? null,
        target: b.target.toArray(),
        probs: c.target === 'probs',
        reduction: c.reduction ?? 'mean',
        ls: c.labelSmoothing ?? 0,
        ignore: c.ignoreIndex ?? null,
        chunked: c.chunked ?? null,
        up: b.upstream.toArray(),
        dtype: c.dtype ?? 'float32',
      };
    }),
  );
}

function runTable(cases: Case[], seedBase: number, skipIt: false | string = skip): void {
  for (const [i, c] of cases.entries()) {
    test(c.name, { skip: skipIt }, () => {
      const b = build(c, seedBase + 10 * i);
      const [expected] = theirs([c], [b]);
      const got = ours(c, b);
      assert.ok(expected);
      assert.deepEqual(got.loss, expected.loss, 'loss');
      assert.deepEqual(got.gradInput, expected.gi, 'input gradient');
      assert.deepEqual(got.gradWeight, expected.gw, 'linearWeight gradient');
      assert.deepEqual(got.gradBias, expected.gb, 'linearBias gradient');
    });
  }
}

describe('F.linearCrossEntropy, reference path (options null), equals Python to the bit', () => {
  runTable(
    [
      { name: 'mean over class indices, default ignoreIndex -100', input: [6, 5], classes: 7, target: 'index' },
      {
        name: 'sum with bias and class weights',
        input: [6, 5],
        classes: 7,
        bias: true,
        weight: true,
        target: 'index',
        reduction: 'sum',
      },
      {
        name: "'none' with ignoreIndex 2 and weights",
        input: [7, 4],
        classes: 5,
        weight: true,
        target: 'index',
        reduction: 'none',
        ignoreIndex: 2,
      },
      {
        name: 'label smoothing 0.2 with weights',
        input: [6, 5],
        classes: 7,
        bias: true,
        weight: true,
        target: 'index',
        labelSmoothing: 0.2,
      },
      { name: 'class-probability targets', input: [5, 4], classes: 6, bias: true, target: 'probs' },
      {
        name: 'class probabilities with weights and label smoothing, sum',
        input: [5, 4],
        classes: 6,
        weight: true,
        target: 'probs',
        reduction: 'sum',
        labelSmoothing: 0.1,
      },
      {
        name: 'K-dimensional: weight (C, 3, 2, F), target (N, 3, 2)',
        input: [4, 5],
        classes: 6,
        out: [3, 2],
        bias: true,
        target: 'index',
      },
      {
        name: "K-dimensional class probabilities, 'none'",
        input: [4, 5],
        classes: 6,
        out: [3],
        target: 'probs',
        reduction: 'none',
      },
      { name: 'unbatched input (F) and a 0-d target', input: [5], classes: 7, bias: true, target: 'index' },
    ],
    100,
  );
});

describe('F.linearCrossEntropy, chunked path (options given), equals Python’s chunked path to the bit', () => {
  runTable(
    [
      // (cpu, float32) resolves to 'compact' and aspect_ratio:2: here 16 rows in chunks of 4.
      {
        name: 'default options: mean, bias, weights, ignoreIndex -100',
        input: [16, 4],
        classes: 12,
        bias: true,
        weight: true,
        target: 'index',
        chunked: {},
      },
      {
        name: "'accurate', sum, uneven chunks of 3",
        input: [16, 4],
        classes: 12,
        bias: true,
        target: 'index',
        reduction: 'sum',
        chunked: { acc_policy: 'accurate', batch_chunk_size: 3 },
      },
      {
        name: "'balanced', aspect_ratio, ignoreIndex 3 inside the classes",
        input: [16, 4],
        classes: 10,
        weight: true,
        target: 'index',
        ignoreIndex: 3,
        chunked: { acc_policy: 'balanced', chunking_method: 'aspect_ratio' },
      },
      {
        name: "'none' with weights and a non-uniform upstream gradient",
        input: [11, 5],
        classes: 9,
        bias: true,
        weight: true,
        target: 'index',
        reduction: 'none',
        chunked: { batch_chunk_size: 4 },
      },
      {
        name: "'none', compact, one chunk (chunking_method None)",
        input: [6, 3],
        classes: 8,
        target: 'index',
        reduction: 'none',
        chunked: { chunking_method: null },
      },
      { name: 'unbatched input, chunked', input: [5], classes: 7, bias: true, target: 'index', chunked: {} },
      // bfloat16 and float16 on CPU default to Python's 'accurate' layout: float32 inside.
      {
        name: 'bfloat16 input, default options (accurate, float32 accumulation), mean',
        input: [16, 4],
        classes: 12,
        bias: true,
        weight: true,
        target: 'index',
        dtype: 'bfloat16',
        chunked: {},
      },
      {
        name: 'bfloat16 input, sum in chunks of 2 (a bfloat16 loss accumulator, rounded at each step)',
        input: [32, 4],
        classes: 12,
        bias: true,
        target: 'index',
        reduction: 'sum',
        dtype: 'bfloat16',
        chunked: { batch_chunk_size: 2 },
      },
      {
        name: 'float16 input, sum in chunks of 3 (a float32 loss accumulator)',
        input: [16, 4],
        classes: 12,
        bias: true,
        target: 'index',
        reduction: 'sum',
        dtype: 'float16',
        chunked: { batch_chunk_size: 3 },
      },
      {
        name: "bfloat16 input, 'none' in chunks of 5",
        input: [11, 5],
        classes: 9,
        bias: true,
        weight: true,
        target: 'index',
        reduction: 'none',
        dtype: 'bfloat16',
        chunked: { batch_chunk_size: 5 },
      },
      {
        name: "bfloat16 input with acc_dtype bfloat16 ('compact', no upcast)",
        input: [12, 4],
        classes: 10,
        bias: true,
        target: 'index',
        dtype: 'bfloat16',
        chunked: { acc_dtype: 'bfloat16' },
      },
      {
        name: 'allowRetainGraph, mean, chunks of 2',
        input: [9, 6],
        classes: 7,
        bias: true,
        target: 'index',
        chunked: { allow_retain_graph: true, batch_chunk_size: 2 },
      },
    ],
    300,
    skipChunked,
  );
});

describe('F.linearCrossEntropy: what the chunked path does not cover and its options', () => {
  test('label smoothing with options falls back to the reference path, with a warning', { skip }, () => {
    const seen: string[] = [];
    const original = process.emitWarning;
    process.emitWarning = ((m: string) => {
      seen.push(m);
    }) as typeof process.emitWarning;
    try {
      const c: Case = {
        name: '',
        input: [6, 5],
        classes: 7,
        target: 'index',
        labelSmoothing: 0.3,
        chunked: { batch_chunk_size: 2 },
      };
      const b = build(c, 700);
      const [expected] = theirs([c], [b]);
      const got = ours(c, b);
      assert.deepEqual(got.loss, expected?.loss);
      assert.deepEqual(got.gradInput, expected?.gi);
      // And it is the reference value: the same as with options null.
      const ref = F.linearCrossEntropy(b.input, b.linearWeight, b.target, { labelSmoothing: 0.3 });
      assert.equal(ref.item(), got.loss);
    } finally {
      process.emitWarning = original;
    }
    assert.equal(seen.length, 1);
    assert.match(seen[0] ?? '', /^linearCrossEntropy: options ignored; the chunked path needs .*labelSmoothing=0\.3/);
  });

  test('an explicit batchChunkSize must agree with an explicit chunkingMethod, as in Python', { skip }, () => {
    // batch_chunk_size 5 disagrees with aspect_ratio's pick for (16, 4) → 12 classes (8): Python's ValueError.
    const x = leaf([16, 4], 1);
    const w = leaf([12, 4], 2);
    const t = torch.randint(0, 12, [16]);
    assert.throws(
      () => F.linearCrossEntropy(x, w, t, { options: { batchChunkSize: 5, chunkingMethod: 'aspect_ratio' } }),
      /^Error: linearCrossEntropy: batchChunkSize \(=5\) and chunkingMethod \('aspect_ratio'\) give different chunk sizes \(5 vs 8\); pass only one\.$/,
    );
    // While 8 agrees, and gives Python's value.
    const loss = F.linearCrossEntropy(x, w, t, { options: { batchChunkSize: 8, chunkingMethod: 'aspect_ratio' } });
    const expected = runPython<number>(
      `import torch
torch.set_num_threads(1)
x, w, t = (torch.tensor(v) for v in INPUT)
OUTPUT = torch.nn.functional.linear_cross_entropy(x, w, t, options=torch.nn.LinearCrossEntropyOptions(batch_chunk_size=8, chunking_method='aspect_ratio')).item()`,
      [x.toArray(), w.toArray(), t.toArray()],
    );
    assert.equal(loss.item(), expected);
  });

  test('bad options are Errors naming the function', () => {
    const x = leaf([4, 3], 1);
    const w = leaf([5, 3], 2);
    const t = torch.tensor([0, 1, 2, 3]);
    const call = (o: torch.nn.LinearCrossEntropyOptions) => () => F.linearCrossEntropy(x, w, t, { options: o });
    assert.throws(call({ accPolicy: 'fast' as 'auto' }), /^Error: linearCrossEntropy: invalid accPolicy: "fast"$/);
    assert.throws(
      call({ chunkingMethod: 'aspect_ratio:0' }),
      /^Error: linearCrossEntropy: invalid chunkingMethod: "aspect_ratio:0"$/,
    );
    assert.throws(
      call({ batchChunkSize: 0 }),
      /^Error: linearCrossEntropy: batchChunkSize must be a positive integer or null, got 0$/,
    );
    assert.throws(call({ accDtype: 'int32' }), /^Error: linearCrossEntropy: accDtype must be one of null/);
    assert.throws(
      call({ accDtype: 'float64' }),
      /linearCrossEntropy: the chunked path supports float32 accDtype with float16\/bfloat16 inputs, but got float64 accDtype and float32 inputs/,
    );
    // Of Python's mixed-precision layouts only 'accurate' on CPU is implemented; the others say so.
    assert.throws(
      () =>
        F.linearCrossEntropy(x.detach().bfloat16(), w.detach().bfloat16(), t, {
          options: { accPolicy: 'compact', accDtype: 'float32' },
        }),
      /^Error: linearCrossEntropy: the chunked path with bfloat16 input and float32 accumulation is implemented for accPolicy 'accurate' on CPU only, got 'compact' on cpu/,
    );
  });

  test('a second backward of the chunked mean needs allowRetainGraph, as in Python', () => {
    const x = leaf([6, 3], 1);
    const w = leaf([5, 3], 2);
    const t = torch.tensor([0, 1, 2, 3, 4, 0]);
    const loss = F.linearCrossEntropy(x, w, t, { options: {} });
    loss.backward({ retainGraph: true });
    assert.throws(() => loss.backward(), /linearCrossEntropy: the chunked backward was called twice/);
    const kept = F.linearCrossEntropy(x, w, t, { options: { allowRetainGraph: true } });
    const g1 = torch.autograd.grad(kept, [x], { retainGraph: true })[0]?.toArray();
    const g2 = torch.autograd.grad(kept, [x])[0]?.toArray();
    assert.deepEqual(g1, g2);
  });
});

describe('F.linearCrossEntropy frees what it makes', () => {
  test('chunked and reference paths, forward and backward, leave only the loss and the gradients', () => {
    const x = leaf([12, 4], 1);
    const w = leaf([9, 4], 2);
    const b = leaf([9], 3);
    const t = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2]);
    for (const [reduction, options] of [
      ['mean', { batchChunkSize: 5 }],
      ['none', { batchChunkSize: 5 }],
      ['sum', null],
    ] as const) {
      // Warm-up: the first backward gives x, w and b their .grad tensors.
      F.linearCrossEntropy(x, w, t, { linearBias: b, reduction, options }).sum().backward();
      const before = torch.memory().tensors;
      torch.scope(() => {
        const loss = F.linearCrossEntropy(x, w, t, { linearBias: b, reduction, options });
        // The loss is the one tensor this call leaves in the scope.
        assert.equal(torch.memory().tensors, before + 1, `${reduction}: forward`);
        loss.sum().backward();
      });
      assert.equal(torch.memory().tensors, before, `${reduction}: after the scope`);
    }
  });
});

describe('F.linearCrossEntropy: bad input is an Error naming the function and the shape or dtype', () => {
  const x = torch.zeros([4, 3]);
  const w = torch.zeros([5, 3]);
  const t = torch.tensor([0, 1, 2, 3]);
  test('shapes', () => {
    assert.throws(
      () => F.linearCrossEntropy(torch.zeros([2, 4, 3]), w, t),
      /^Error: linearCrossEntropy: expected input with dimensionality 1 or 2, got 3 \(input of shape \[2, 4, 3\]\)$/,
    );
    assert.throws(
      () => F.linearCrossEntropy(x, torch.zeros([3]), t),
      /^Error: linearCrossEntropy: expected linearWeight with dimensionality at least 2, got 1$/,
    );
    assert.throws(
      () => F.linearCrossEntropy(x, torch.zeros([5, 4]), t),
      /^Error: linearCrossEntropy: expected equal input and linearWeight last dimensions \(in_features\), got 3 and 4, respectively$/,
    );
    assert.throws(
      () => F.linearCrossEntropy(x, w, t, { linearBias: torch.zeros([4]) }),
      /^Error: linearCrossEntropy: expected linearBias shape \[5\], got \[4\]$/,
    );
    assert.throws(
      () => F.linearCrossEntropy(torch.zeros([3]), torch.zeros([5, 2, 3]), torch.tensor(1)),
      /^Error: linearCrossEntropy: K-dimensional loss defined by linearWeight shape \[5, 2, 3\] requires batched input, \(N, 3\), got unbatched input with shape \[3\]$/,
    );
    assert.throws(
      () => F.linearCrossEntropy(x, w, torch.tensor([0, 1]), { options: {} }),
      /^Error: linearCrossEntropy: expected target of shape \[4\] \(class indices\) for input of shape \[4, 3\], got \[2\]$/,
    );
    assert.throws(
      () => F.linearCrossEntropy(x, w, torch.tensor([0, 1])),
      /^Error: linearCrossEntropy: cross_entropy: /,
    );
    assert.throws(
      () => F.linearCrossEntropy(x, w, torch.zeros([4, 5]), { ignoreIndex: 1 }),
      /^Error: linearCrossEntropy: ignoreIndex cannot be specified when target contains probabilities$/,
    );
  });
  test('dtypes and types', () => {
    assert.throws(
      () => F.linearCrossEntropy(x.double(), w, t),
      /^Error: linearCrossEntropy: linear: .*(Double|double).*(Float|float)|^Error: linearCrossEntropy: .*dtype/,
    );
    assert.throws(
      () => F.linearCrossEntropy(x.double(), w, t, { options: {} }),
      /^Error: linearCrossEntropy: expected input and linearWeight of one dtype, got float64 and float32$/,
    );
    assert.throws(() => F.linearCrossEntropy(x, w, t.float()), /^Error: linearCrossEntropy: cross_entropy: /);
    assert.throws(
      () => F.linearCrossEntropy(x, w, [0, 1] as unknown as Tensor),
      /^TypeError: linearCrossEntropy: argument 'target' must be a Tensor/,
    );
    assert.throws(
      () => F.linearCrossEntropy(x, w, torch.tensor([0, 1, 9, 3]), { options: {} }),
      /^Error: linearCrossEntropy: .*index/,
    );
  });
});

describe('nn.LinearCrossEntropyLoss', () => {
  test('state dict keys and shapes are Python’s, and load both ways with equal losses', { skip }, () => {
    torch.manualSeed(3);
    const weight = torch.tensor([1, 2, 0.5, 1, 1.5, 1]);
    const ours = new nn.LinearCrossEntropyLoss(4, 6, {
      outFeatures: [2],
      bias: true,
      weight,
      ignoreIndex: 1,
      labelSmoothing: 0.1,
    });
    const sd = ours.stateDict();
    assert.deepEqual(Object.keys(sd), ['weight', 'linear.weight', 'linear.bias']);
    assert.deepEqual(sd['linear.weight']?.shape, [12, 4]);
    const x = leaf([5, 4], 9, false);
    torch.manualSeed(10);
    const t = torch.randint(0, 6, [5, 2]);
    const result = runPython<{
      keys: string[];
      shapes: number[][];
      loss: number;
      ploss: number;
      sd: Record<string, Json>;
      repr: string;
    }>(
      `import torch
torch.set_num_threads(1)
m = torch.nn.LinearCrossEntropyLoss(4, 6, out_features=(2,), bias=True, weight=torch.ones(6), ignore_index=1, label_smoothing=0.1)
fresh = {k: v.shape for k, v in m.state_dict().items()}
m.load_state_dict({k: torch.tensor(v) for k, v in INPUT['sd'].items()})
x, t = torch.tensor(INPUT['x']), torch.tensor(INPUT['t'])
p = torch.nn.LinearCrossEntropyLoss(4, 6, out_features=(2,), bias=True, weight=torch.ones(6), ignore_index=1, label_smoothing=0.1)
torch.manual_seed(0)
for v in p.parameters():
    torch.nn.init.normal_(v)
OUTPUT = dict(keys=list(fresh), shapes=[list(s) for s in fresh.values()], loss=m(x, t).item(),
              sd={k: v.tolist() for k, v in p.state_dict().items()},
              ploss=p(x, t).item(), repr=repr(m))`,
      { sd: Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.toArray()])), x: x.toArray(), t: t.toArray() },
    );
    assert.deepEqual(result.keys, Object.keys(sd));
    assert.deepEqual(
      result.shapes,
      Object.values(sd).map((v) => v.shape),
    );
    assert.equal(ours.forward(x, t).item(), result.loss, 'Python loaded our state dict: the same loss');
    // Python's parameters into ours: the same loss as Python's module gives.
    const back = new nn.LinearCrossEntropyLoss(4, 6, {
      outFeatures: [2],
      bias: true,
      weight: torch.ones([6]),
      ignoreIndex: 1,
      labelSmoothing: 0.1,
    });
    const loaded = back.loadStateDict(
      Object.fromEntries(Object.entries(result.sd).map(([k, v]) => [k, torch.tensor(v as number[])])),
    );
    assert.deepEqual([loaded.missingKeys, loaded.unexpectedKeys], [[], []]);
    assert.equal(back.forward(x, t).item(), result.ploss);
    assert.equal(ours.toString(), result.repr);
  });

  test('the chunked module equals Python’s chunked module, gradients of its parameters included', { skip }, () => {
    const m = new nn.LinearCrossEntropyLoss(5, 9, { bias: true, options: { batchChunkSize: 3 } });
    const x = leaf([10, 5], 40);
    torch.manualSeed(41);
    const t = torch.randint(0, 9, [10]);
    const loss = m.forward(x, t);
    loss.backward();
    const expected = runPython<{ loss: number; gw: Json; gb: Json; gx: Json; repr: string }>(
      `import torch
torch.set_num_threads(1)
m = torch.nn.LinearCrossEntropyLoss(5, 9, bias=True, options=torch.nn.LinearCrossEntropyOptions(batch_chunk_size=3))
m.load_state_dict({k: torch.tensor(v) for k, v in INPUT['sd'].items()})
x = torch.tensor(INPUT['x'], requires_grad=True)
loss = m(x, torch.tensor(INPUT['t']))
loss.backward()
OUTPUT = dict(loss=loss.item(), gw=m.linear.weight.grad.tolist(), gb=m.linear.bias.grad.tolist(), gx=x.grad.tolist(), repr=repr(m))`,
      {
        sd: Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.toArray()])),
        x: x.toArray(),
        t: t.toArray(),
      },
    );
    assert.equal(loss.item(), expected.loss);
    assert.deepEqual(m.linear.weight.grad?.toArray(), expected.gw);
    assert.deepEqual(m.linear.bias?.grad?.toArray(), expected.gb);
    assert.deepEqual(x.grad?.toArray(), expected.gx);
    assert.equal(m.toString(), expected.repr);
  });

  test('constructor checks name the module', () => {
    assert.throws(
      () => new nn.LinearCrossEntropyLoss(4, 6, { weight: torch.ones([5]) }),
      /^Error: LinearCrossEntropyLoss: expected weight shape to be \[6\], got \[5\]$/,
    );
    assert.throws(
      () => new nn.LinearCrossEntropyLoss(4, 6, { labelSmoothing: 1.5 }),
      /^Error: LinearCrossEntropyLoss: expected labelSmoothing to be in range \[0, 1\], got 1.5$/,
    );
    const m = new nn.LinearCrossEntropyLoss(4, 6);
    assert.deepEqual(
      Object.keys(m.stateDict()),
      ['linear.weight'],
      'no bias by default, no weight buffer without weights',
    );
  });
});
