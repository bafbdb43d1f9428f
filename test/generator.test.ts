// torch.Generator: every random op's `generator` option draws PyTorch's numbers (checked against
// Python torch with the same seeds), leaves the default generator alone, and the Generator's
// seeds and states behave as PyTorch's do.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ops } from '../lib/binding.js';
import * as torch from '../lib/index.js';
import { runPython, skipWithoutPython } from './support/python.js';

type Tensor = torch.Tensor;
const f32 = (data: number[]): Tensor => torch.tensor(data, { dtype: 'float32' });
const gen = (seed: number): torch.Generator => new torch.Generator().manualSeed(seed);
const bytes = (t: Tensor): number[] => t.toArray() as number[];

// One case per op and overload: the same draw in Python (`g` is a fresh generator seeded with the
// case's seed) and here.
const cases: { name: string; py: string; js: (g: torch.Generator) => Tensor }[] = [
  { name: 'rand', py: 'torch.rand(4, generator=g)', js: (g) => torch.rand([4], { generator: g }) },
  { name: 'randn', py: 'torch.randn(2, 3, generator=g)', js: (g) => torch.randn([2, 3], { generator: g }) },
  {
    name: 'randint(high)',
    py: 'torch.randint(10, (5,), generator=g)',
    js: (g) => torch.randint(10, [5], { generator: g }),
  },
  {
    name: 'randint(low, high)',
    py: 'torch.randint(-5, 50, (5,), generator=g)',
    js: (g) => torch.randint(-5, 50, [5], { generator: g }),
  },
  { name: 'randperm', py: 'torch.randperm(8, generator=g)', js: (g) => torch.randperm(8, { generator: g }) },
  {
    name: 'rand_like',
    py: 'torch.rand_like(torch.zeros(3, dtype=torch.float64), generator=g)',
    js: (g) => torch.randLike(torch.zeros([3], { dtype: 'float64' }), { generator: g }),
  },
  {
    name: 'randn_like',
    py: 'torch.randn_like(torch.zeros(3), generator=g)',
    js: (g) => torch.randnLike(torch.zeros([3]), { generator: g }),
  },
  {
    name: 'randint_like',
    py: 'torch.randint_like(torch.zeros(4), 3, 9, generator=g)',
    js: (g) => torch.randintLike(torch.zeros([4]), 3, 9, { generator: g }),
  },
  {
    name: 'normal(Tensor, Tensor)',
    py: 'torch.normal(torch.tensor([0., 10.]), torch.tensor([1., 0.5]), generator=g)',
    js: (g) => torch.normal(f32([0, 10]), f32([1, 0.5]), { generator: g }),
  },
  {
    name: 'normal(Tensor, float)',
    py: 'torch.normal(torch.tensor([0., 10.]), 2.0, generator=g)',
    js: (g) => torch.normal(f32([0, 10]), 2, { generator: g }),
  },
  {
    name: 'normal(float, Tensor)',
    py: 'torch.normal(3.0, torch.tensor([1., 0.5]), generator=g)',
    js: (g) => torch.normal(3, f32([1, 0.5]), { generator: g }),
  },
  {
    name: 'normal(float, float, size)',
    py: 'torch.normal(1.0, 2.0, (3,), generator=g)',
    js: (g) => torch.normal(1, 2, [3], { generator: g }),
  },
  {
    name: 'bernoulli',
    py: 'torch.bernoulli(torch.full((8,), 0.5), generator=g)',
    js: (g) => torch.bernoulli(torch.full([8], 0.5), { generator: g }),
  },
  {
    name: 'Tensor.bernoulli',
    py: 'torch.full((8,), 0.3).bernoulli(generator=g)',
    js: (g) => torch.full([8], 0.3).bernoulli({ generator: g }),
  },
  {
    name: 'multinomial',
    py: 'torch.multinomial(torch.tensor([0.1, 0.2, 0.7]), 6, replacement=True, generator=g)',
    js: (g) => torch.multinomial(f32([0.1, 0.2, 0.7]), 6, { replacement: true, generator: g }),
  },
  {
    name: 'poisson',
    py: 'torch.poisson(torch.tensor([0.5, 3., 20.]), generator=g)',
    js: (g) => torch.poisson(f32([0.5, 3, 20]), { generator: g }),
  },
  {
    name: '_standard_gamma',
    py: 'torch._standard_gamma(torch.tensor([0.5, 2., 9.]), generator=g)',
    js: (g) => torch._standardGamma(f32([0.5, 2, 9]), { generator: g }),
  },
  {
    name: 'binomial',
    py: 'torch.binomial(torch.tensor([5., 50.]), torch.tensor([0.3, 0.9]), generator=g)',
    js: (g) => torch.binomial(f32([5, 50]), f32([0.3, 0.9]), { generator: g }),
  },
  {
    name: '_sample_dirichlet',
    py: 'torch._sample_dirichlet(torch.tensor([[1., 2., 3.]]), generator=g)',
    js: (g) => torch._sampleDirichlet(f32([1, 2, 3]).reshape([1, 3]), { generator: g }),
  },
  {
    name: 'uniform_',
    py: 'torch.empty(4).uniform_(-2, 3, generator=g)',
    js: (g) => torch.empty([4]).uniform_({ from: -2, to: 3, generator: g }),
  },
  {
    name: 'normal_',
    py: 'torch.empty(4).normal_(5, 0.1, generator=g)',
    js: (g) => torch.empty([4]).normal_({ mean: 5, std: 0.1, generator: g }),
  },
  {
    name: 'random_',
    py: 'torch.empty(4, dtype=torch.int32).random_(generator=g)',
    js: (g) => torch.empty([4], { dtype: 'int32' }).random_({ generator: g }),
  },
  {
    name: 'random_(to)',
    py: 'torch.empty(4).random_(7, generator=g)',
    js: (g) => torch.empty([4]).random_(7, { generator: g }),
  },
  {
    name: 'random_(from, to)',
    py: 'torch.empty(4).random_(100, 110, generator=g)',
    js: (g) => torch.empty([4]).random_(100, 110, { generator: g }),
  },
  {
    name: 'exponential_',
    py: 'torch.empty(4).exponential_(2.5, generator=g)',
    js: (g) => torch.empty([4]).exponential_({ lambd: 2.5, generator: g }),
  },
  {
    name: 'geometric_',
    py: 'torch.empty(4).geometric_(0.3, generator=g)',
    js: (g) => torch.empty([4]).geometric_(0.3, { generator: g }),
  },
  {
    name: 'cauchy_',
    py: 'torch.empty(4).cauchy_(1, 0.5, generator=g)',
    js: (g) => torch.empty([4]).cauchy_({ median: 1, sigma: 0.5, generator: g }),
  },
  {
    name: 'log_normal_',
    py: 'torch.empty(4).log_normal_(0, 0.5, generator=g)',
    js: (g) => torch.empty([4]).logNormal_({ mean: 0, std: 0.5, generator: g }),
  },
  {
    name: 'bernoulli_',
    py: 'torch.empty(8).bernoulli_(0.25, generator=g)',
    js: (g) => torch.empty([8]).bernoulli_({ p: 0.25, generator: g }),
  },
];

describe('torch.Generator', () => {
  test("each random op's generator option draws Python's numbers", { skip: skipWithoutPython() }, () => {
    const expected = runPython<{ draws: number[][]; after: number[] }>(
      `
torch.manual_seed(2024)
draws = []
for i, src in enumerate(INPUT):
    g = torch.Generator().manual_seed(100 + i)
    draws.append(eval(src).flatten().tolist())
OUTPUT = {'draws': draws, 'after': torch.randn(3)}
`,
      cases.map((c) => c.py),
    );
    torch.manualSeed(2024);
    cases.forEach((c, i) => {
      const got = (
        c
          .js(gen(100 + i))
          .flatten()
          .toArray() as number[]
      ).map(Number);
      assert.deepEqual(got, expected.draws[i], c.name);
    });
    // None of the draws above touched the default generator.
    assert.deepEqual(torch.randn([3]).toArray(), expected.after);
  });

  test('two generators with one seed give one stream and leave the default state alone', () => {
    torch.manualSeed(5);
    const before = bytes(torch.getRngState());
    const a = gen(77);
    const b = gen(77);
    for (let k = 0; k < 3; k++) {
      assert.deepEqual(torch.randn([5], { generator: a }).toArray(), torch.randn([5], { generator: b }).toArray());
    }
    assert.notDeepEqual(
      torch.randn([5], { generator: gen(78) }).toArray(),
      torch.randn([5], { generator: gen(77) }).toArray(),
    );
    assert.deepEqual(bytes(torch.getRngState()), before);
  });

  test("getState and setState replay a stream, and the state is PyTorch's", { skip: skipWithoutPython() }, () => {
    const py = runPython<number[]>('OUTPUT = torch.Generator().manual_seed(3).get_state()');
    const g = gen(3);
    const state = g.getState();
    assert.equal(state.dtype, 'uint8');
    assert.deepEqual(bytes(state), py);
    const first = torch.rand([6], { generator: g }).toArray();
    assert.equal(g.setState(state), g);
    assert.deepEqual(torch.rand([6], { generator: g }).toArray(), first);
    // The state is a copy: drawing does not change what getState returned.
    assert.deepEqual(bytes(state), py);
    // Another generator takes the state over.
    assert.deepEqual(torch.rand([6], { generator: new torch.Generator().setState(state) }).toArray(), first);
  });

  test('initialSeed, as Python reports it', { skip: skipWithoutPython() }, () => {
    const py = runPython<string[]>(`
OUTPUT = [str(torch.Generator().initial_seed()), str(torch.Generator().manual_seed(-1).initial_seed()),
          str(torch.Generator().manual_seed(2**63 + 5).initial_seed())]
`);
    assert.equal(String(new torch.Generator().initialSeed()), py[0]);
    assert.equal(gen(12345).initialSeed(), 12345);
    assert.equal(gen(-1).initialSeed(), BigInt(py[1] as string));
    assert.equal(new torch.Generator().manualSeed(2n ** 63n + 5n).initialSeed(), BigInt(py[2] as string));
  });

  test('seed() picks a new 64-bit seed that manualSeed reproduces', () => {
    const g = new torch.Generator();
    const s = g.seed();
    assert.ok(typeof s === 'bigint' ? s > BigInt(Number.MAX_SAFE_INTEGER) && s < 2n ** 64n : Number.isSafeInteger(s));
    assert.equal(g.initialSeed(), s);
    assert.notEqual(new torch.Generator().seed(), s);
    const drawn = torch.randn([4], { generator: g }).toArray();
    assert.deepEqual(torch.randn([4], { generator: new torch.Generator().manualSeed(s) }).toArray(), drawn);
    // All 64 bits are used, as in PyTorch: of 64 seeds, some reach 2^53 and some 2^63 (each
    // happens with probability 1 - 2^-11 and 1/2 per seed).
    const seeds = Array.from({ length: 64 }, () => BigInt(g.seed()));
    assert.ok(seeds.some((x) => x >= 2n ** 53n));
    assert.ok(seeds.some((x) => x >= 2n ** 63n));
  });

  test('defaultGenerator is the generator torch.manualSeed seeds', { skip: skipWithoutPython() }, () => {
    const py = runPython<number[]>('torch.default_generator.manual_seed(9); OUTPUT = torch.randn(4)');
    assert.equal(torch.defaultGenerator.device, 'cpu');
    assert.equal(torch.manualSeed(31), torch.defaultGenerator);
    assert.equal(torch.defaultGenerator.initialSeed(), 31);
    assert.deepEqual(bytes(torch.defaultGenerator.getState()), bytes(torch.getRngState()));
    assert.equal(torch.defaultGenerator.manualSeed(9), torch.defaultGenerator);
    assert.deepEqual(torch.randn([4]).toArray(), py);
    // Passing it explicitly is the same as passing nothing.
    torch.manualSeed(9);
    assert.deepEqual(torch.randn([4], { generator: torch.defaultGenerator }).toArray(), py);
  });

  test('device', () => {
    assert.equal(new torch.Generator().device, 'cpu');
    assert.equal(new torch.Generator({ device: 'cpu' }).device, 'cpu');
    if (torch.cuda.isAvailable()) {
      const g = new torch.Generator({ device: 'cuda' });
      // As in PyTorch, a generator made for 'cuda' keeps the device as given (no index).
      assert.match(g.device, /^cuda(:\d+)?$/);
      const x = torch.randn([3], { device: 'cuda', generator: g.manualSeed(1) });
      assert.deepEqual(x.toArray(), torch.randn([3], { device: 'cuda', generator: g.manualSeed(1) }).toArray());
      // A CPU generator for a CUDA op is refused by libtorch, as in PyTorch.
      assert.throws(() => torch.randn([3], { device: 'cuda', generator: gen(1) }), /generator/);
    } else {
      assert.throws(
        () => new torch.Generator({ device: 'cuda' }),
        (e) => e instanceof Error && /^Generator: CUDA is not available/.test(e.message),
      );
    }
    assert.throws(() => new torch.Generator({ device: 'nonsense' }), /Generator: invalid device 'nonsense'/);
    assert.throws(() => new torch.Generator('cpu' as never), TypeError);
  });

  test("torch.cuda's random state: each device's default generator", () => {
    if (!torch.cuda.isAvailable()) {
      for (const call of [() => torch.cuda.getRngState(), () => torch.cuda.manualSeed(1)]) {
        assert.throws(call, /^Error: torch\.cuda\.\w+: CUDA is not available$/);
      }
      return;
    }
    const g = torch.cuda.defaultGenerator();
    assert.equal(g.device, 'cuda:0');
    assert.throws(
      () => torch.cuda.getRngState('cpu'),
      /torch\.cuda\.defaultGenerator: expected a CUDA device, got 'cpu'/,
    );
    // torch.manualSeed seeds it; the state replays the stream; the CPU state is apart from it.
    torch.manualSeed(5);
    assert.equal(torch.cuda.initialSeed(), 5);
    const state = torch.cuda.getRngState();
    const cpuState = torch.getRngState();
    const first = torch.rand([4], { device: 'cuda' }).cpu().toArray();
    torch.setRngState(cpuState);
    assert.notDeepEqual(
      torch.rand([4], { device: 'cuda' }).cpu().toArray(),
      first,
      'the CPU state does not rewind CUDA',
    );
    torch.cuda.setRngState(state);
    assert.deepEqual(torch.rand([4], { device: 'cuda' }).cpu().toArray(), first);
    torch.cuda.manualSeedAll(5);
    assert.deepEqual(torch.rand([4], { device: 'cuda' }).cpu().toArray(), first);
    assert.equal(torch.cuda.getRngStateAll().length, torch.cuda.deviceCount());
  });

  test('errors name the op and the argument', () => {
    assert.throws(
      () => torch.randn([2], { generator: 5 as never }),
      (e) => e instanceof TypeError && e.message === "randn: argument 'generator' must be a Generator, got a number",
    );
    assert.throws(
      () => torch.empty([2]).uniform_({ generator: {} as never }),
      (e) => e instanceof TypeError && e.message.startsWith("uniform_: argument 'generator' must be a Generator"),
    );
    // The addon checks too, for callers that skip lib/'s checks.
    assert.throws(
      () => ops.rand?.([2], {}),
      (e) => e instanceof TypeError && e.message === "rand: argument 'generator' must be a Generator, got an object",
    );
    const g = new torch.Generator();
    assert.throws(() => g.manualSeed(1.5), TypeError);
    assert.throws(() => g.manualSeed(2 ** 60), /pass it as a bigint/);
    assert.throws(() => g.manualSeed(2n ** 64n), RangeError);
    assert.throws(() => g.setState([1, 2] as never), TypeError);
    assert.throws(() => g.setState(torch.zeros([5056])), /Generator.setState: RNG state must be a torch.ByteTensor/);
    assert.throws(
      () => g.setState(torch.zeros([3], { dtype: 'uint8' })),
      /Generator.setState: Expected a CPUGeneratorImplState of size 5056/,
    );
    // The generator still works after the refused states.
    assert.deepEqual(g.manualSeed(4).getState().shape, [5056]);
  });
});

describe('torch.seed and torch.initialSeed', () => {
  test('seed() reseeds the default generator as Python torch.manual_seed(seed) would', {
    skip: skipWithoutPython(),
  }, () => {
    const saved = torch.getRngState();
    try {
      const s = torch.seed();
      assert.equal(torch.initialSeed(), s);
      assert.equal(torch.defaultGenerator.initialSeed(), s);
      const drawn = torch.randn([4]).toArray();
      assert.notEqual(torch.seed(), s);
      // A fixed 64-bit seed and the random one: Python's initial_seed() and draws for them.
      torch.defaultGenerator.manualSeed(2n ** 63n + 5n);
      const fixed = [String(torch.initialSeed()), torch.randn([4]).toArray()];
      const py = runPython<[string, number[]][]>(
        `
OUTPUT = []
for s in INPUT:
    torch.manual_seed(int(s))
    OUTPUT.append([str(torch.initial_seed()), torch.randn(4)])
`,
        [String(s), String(2n ** 63n + 5n)],
      );
      assert.deepEqual(py[0], [String(s), drawn]);
      assert.deepEqual(py[1], fixed);
    } finally {
      torch.setRngState(saved);
    }
  });
});
