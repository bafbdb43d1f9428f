// Parity with Python torch: elementwise arithmetic (tensors and scalars, broadcasting, type
// promotion), comparisons and logic, where, clamp, unary math and activations; creation
// functions and dtype conversions; and in-place ops (on clones of leaves, so that gradients
// flow back through them), writes through views, and the errors PyTorch raises for in-place
// ops it refuses. Values and gradients, in float64 and float32; one Python run for the file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../../lib/index.js';
import { generators } from '../support/data.js';
import { bool, type Case, FLOAT_DTYPES, i32, i64, paritySuite, typed } from '../support/parity.js';

function elementwiseCases(): Case[] {
  const F = torch.nn.functional;
  const g = generators(1234);
  const cases: Case[] = [];

  // Shared data (float64 values; float32 cases cast them on both sides alike).
  const A = g.randn([3, 4]);
  const B = g.randn([3, 4]);
  const ROW = g.randn([4]);
  const COL = g.randn([3, 1]);
  const DIV = g.awayFromZero([3, 4]);
  const POS = g.uniform([3, 4], 0.2, 3);
  const BIG = g.randn([3, 4], 4);
  const MASK = g.bools([3, 4]);

  for (const dt of FLOAT_DTYPES) {
    const a = typed(dt, A, true);
    const b = typed(dt, B, true);
    const row = typed(dt, ROW, true);
    const col = typed(dt, COL, true);
    const div = typed(dt, DIV, true);
    const pos = typed(dt, POS, true);
    const big = typed(dt, BIG, true);
    const p = (name: string, c: Omit<Case, 'name'>) => cases.push({ name: `${name} [${dt}]`, ...c });

    // ---- binary arithmetic with tensors, broadcasting and scalars
    p('add tensor', { inputs: { a, b }, py: 'a + b', js: ({ a, b }) => a!.add(b!) });
    p('add broadcast row', { inputs: { a, row }, py: 'a + row', js: ({ a, row }) => a!.add(row!) });
    p('add broadcast col x row', {
      inputs: { col, row },
      py: 'col + row',
      js: ({ col, row }) => torch.add(col!, row!),
    });
    p('add alpha', {
      inputs: { a, b },
      py: 'torch.add(a, b, alpha=2.5)',
      js: ({ a, b }) => torch.add(a!, b!, { alpha: 2.5 }),
    });
    p('add int scalar', { inputs: { a }, py: 'a + 3', js: ({ a }) => a!.add(3) });
    p('add float scalar alpha', {
      inputs: { a },
      py: 'torch.add(a, 0.5, alpha=3)',
      js: ({ a }) => a!.add(0.5, { alpha: 3 }),
    });
    p('sub tensor', { inputs: { a, b }, py: 'a - b', js: ({ a, b }) => a!.sub(b!) });
    p('sub broadcast alpha', {
      inputs: { a, col },
      py: 'torch.sub(a, col, alpha=-1.5)',
      js: ({ a, col }) => torch.sub(a!, col!, { alpha: -1.5 }),
    });
    p('sub scalar', { inputs: { a }, py: 'a - 1.25', js: ({ a }) => a!.sub(1.25) });
    p('mul tensor', { inputs: { a, b }, py: 'a * b', js: ({ a, b }) => a!.mul(b!) });
    p('mul broadcast', { inputs: { col, b }, py: 'col * b', js: ({ col, b }) => col!.mul(b!) });
    p('mul scalar', { inputs: { a }, py: 'a * -2', js: ({ a }) => a!.mul(-2) });
    p('div tensor', { inputs: { a, div }, py: 'a / div', js: ({ a, div }) => a!.div(div!) });
    p('div broadcast', { inputs: { div, row }, py: 'row / div', js: ({ div, row }) => row!.div(div!) });
    p('div scalar', { inputs: { a }, py: 'a / 4', js: ({ a }) => a!.div(4) });
    p('div floor', {
      inputs: { big, div },
      py: "torch.div(big, div, rounding_mode='floor')",
      js: ({ big, div }) => torch.div(big!, div!, { roundingMode: 'floor' }),
      grad: false,
    });
    p('div trunc', {
      inputs: { big, div },
      py: "torch.div(big, div, rounding_mode='trunc')",
      js: ({ big, div }) => big!.div(div!, { roundingMode: 'trunc' }),
      grad: false,
    });
    p('remainder tensor', {
      inputs: { big, div },
      py: 'torch.remainder(big, div)',
      js: ({ big, div }) => torch.remainder(big!, div!),
      grad: false,
    });
    p('remainder scalar', { inputs: { big }, py: 'big % 1.5', js: ({ big }) => big!.remainder(1.5) });
    p('fmod tensor', {
      inputs: { big, div },
      py: 'torch.fmod(big, div)',
      js: ({ big, div }) => big!.fmod(div!),
      grad: false,
    });
    p('fmod scalar', { inputs: { big }, py: 'torch.fmod(big, -1.5)', js: ({ big }) => torch.fmod(big!, -1.5) });
    p('pow tensor tensor', { inputs: { pos, b }, py: 'pos ** b', js: ({ pos, b }) => pos!.pow(b!) });
    p('pow scalar 2', { inputs: { a }, py: 'a ** 2', js: ({ a }) => a!.pow(2) });
    p('pow scalar 3', { inputs: { a }, py: 'torch.pow(a, 3)', js: ({ a }) => torch.pow(a!, 3) });
    p('pow scalar 0.5', { inputs: { pos }, py: 'pos ** 0.5', js: ({ pos }) => pos!.pow(0.5) });
    p('pow scalar -1.5', { inputs: { pos }, py: 'pos ** -1.5', js: ({ pos }) => pos!.pow(-1.5) });
    p('maximum', { inputs: { a, b }, py: 'torch.maximum(a, b)', js: ({ a, b }) => torch.maximum(a!, b!) });
    p('minimum broadcast', { inputs: { a, row }, py: 'torch.minimum(a, row)', js: ({ a, row }) => a!.minimum(row!) });
    p('neg', { inputs: { a }, py: '-a', js: ({ a }) => a!.neg() });
    p('reciprocal', { inputs: { div }, py: 'div.reciprocal()', js: ({ div }) => div!.reciprocal() });
    p('square', { inputs: { a }, py: 'a.square()', js: ({ a }) => torch.square(a!) });
    p('lerp', { inputs: { a, b }, py: 'torch.lerp(a, b, 0.3)', js: ({ a, b }) => a!.lerp(b!, 0.3) });
    p('addcmul', {
      inputs: { a, b, row },
      py: 'torch.addcmul(a, b, row, value=0.5)',
      js: ({ a, b, row }) => torch.addcmul(a!, b!, row!, { value: 0.5 }),
    });
    p('addcdiv', {
      inputs: { a, b, div },
      py: 'a.addcdiv(b, div, value=2)',
      js: ({ a, b, div }) => a!.addcdiv(b!, div!, { value: 2 }),
    });
    p('atan2', { inputs: { a, b }, py: 'torch.atan2(a, b)', js: ({ a, b }) => a!.atan2(b!) });

    // ---- unary math
    const unary: [string, string, (x: torch.Tensor) => torch.Tensor, 'a' | 'pos' | 'big'][] = [
      ['exp', 'torch.exp(x)', (x) => x.exp(), 'a'],
      ['exp2', 'torch.exp2(x)', (x) => x.exp2(), 'a'],
      ['expm1', 'torch.expm1(x)', (x) => torch.expm1(x), 'a'],
      ['log', 'torch.log(x)', (x) => x.log(), 'pos'],
      ['log2', 'torch.log2(x)', (x) => x.log2(), 'pos'],
      ['log10', 'torch.log10(x)', (x) => torch.log10(x), 'pos'],
      ['log1p', 'torch.log1p(x)', (x) => x.log1p(), 'pos'],
      ['sqrt', 'torch.sqrt(x)', (x) => x.sqrt(), 'pos'],
      ['rsqrt', 'torch.rsqrt(x)', (x) => torch.rsqrt(x), 'pos'],
      ['abs', 'torch.abs(x)', (x) => x.abs(), 'a'],
      ['sin', 'torch.sin(x)', (x) => x.sin(), 'big'],
      ['cos', 'torch.cos(x)', (x) => x.cos(), 'big'],
      ['tan', 'torch.tan(x)', (x) => x.tan(), 'a'],
      ['erf', 'torch.erf(x)', (x) => x.erf(), 'a'],
      ['sign', 'torch.sign(x)', (x) => x.sign(), 'a'],
      ['floor', 'torch.floor(x)', (x) => x.floor(), 'big'],
      ['ceil', 'torch.ceil(x)', (x) => torch.ceil(x), 'big'],
      ['round', 'torch.round(x)', (x) => x.round(), 'big'],
      ['round decimals=2', 'torch.round(x, decimals=2)', (x) => x.round({ decimals: 2 }), 'big'],
      ['trunc', 'torch.trunc(x)', (x) => x.trunc(), 'big'],
      ['sigmoid', 'torch.sigmoid(x)', (x) => x.sigmoid(), 'big'],
      ['tanh', 'torch.tanh(x)', (x) => torch.tanh(x), 'big'],
      ['relu', 'torch.relu(x)', (x) => x.relu(), 'a'],
      ['F.relu', 'F.relu(x)', (x) => F.relu(x), 'a'],
      ['gelu', 'F.gelu(x)', (x) => F.gelu(x), 'big'],
      ['gelu tanh', "F.gelu(x, approximate='tanh')", (x) => x.gelu({ approximate: 'tanh' }), 'big'],
      ['silu', 'F.silu(x)', (x) => F.silu(x), 'big'],
      ['softplus', 'F.softplus(x)', (x) => x.softplus(), 'big'],
      [
        'softplus beta threshold',
        'F.softplus(x, beta=2, threshold=3)',
        (x) => F.softplus(x, { beta: 2, threshold: 3 }),
        'big',
      ],
      ['leakyRelu', 'F.leaky_relu(x, negative_slope=0.2)', (x) => F.leakyRelu(x, { negativeSlope: 0.2 }), 'a'],
      ['elu', 'F.elu(x, alpha=1.5)', (x) => F.elu(x, { alpha: 1.5 }), 'a'],
      [
        'hardtanh',
        'F.hardtanh(x, min_val=-0.5, max_val=0.75)',
        (x) => F.hardtanh(x, { minVal: -0.5, maxVal: 0.75 }),
        'a',
      ],
      ['mish', 'F.mish(x)', (x) => F.mish(x), 'big'],
      ['clamp min max', 'torch.clamp(x, min=-0.5, max=0.5)', (x) => x.clamp({ min: -0.5, max: 0.5 }), 'a'],
      ['clamp min', 'x.clamp(min=0)', (x) => torch.clamp(x, { min: 0 }), 'a'],
      ['clamp max', 'x.clamp(max=0.25)', (x) => x.clamp({ max: 0.25 }), 'a'],
    ];
    const src = { a, pos, big };
    for (const [name, py, fn, which] of unary) {
      p(name, { inputs: { x: src[which] }, py, js: ({ x }) => fn(x!) });
    }

    // ---- comparisons and where
    p('eq tensor', { inputs: { a, b }, py: 'a.round() == b.round()', js: ({ a, b }) => a!.round().eq(b!.round()) });
    p('lt tensor', { inputs: { a, b }, py: 'a < b', js: ({ a, b }) => a!.lt(b!) });
    p('le broadcast', { inputs: { a, row }, py: 'torch.le(a, row)', js: ({ a, row }) => torch.le(a!, row!) });
    p('gt scalar', { inputs: { a }, py: 'a > 0.1', js: ({ a }) => a!.gt(0.1) });
    p('ge scalar', { inputs: { a }, py: 'a >= 0', js: ({ a }) => torch.ge(a!, 0) });
    p('ne scalar', { inputs: { big }, py: 'big.round() != 0', js: ({ big }) => big!.round().ne(0) });
    p('isclose', {
      inputs: { a, b },
      py: 'torch.isclose(a, a + b * 1e-6)',
      js: ({ a, b }) => torch.isclose(a!, a!.add(b!.mul(1e-6))),
    });
    p('allclose', {
      inputs: { a, b },
      py: 'torch.allclose(a, a + b * 1e-9)',
      js: ({ a, b }) => a!.allclose(a!.add(b!.mul(1e-9))),
      grad: false,
    });
    p('allclose false', {
      inputs: { a, b },
      py: 'torch.allclose(a, b)',
      js: ({ a, b }) => torch.allclose(a!, b!),
      grad: false,
    });
    p('equal', {
      inputs: { a },
      py: 'torch.equal(a, a.clone())',
      js: ({ a }) => torch.equal(a!, a!.clone()),
      grad: false,
    });
    p('where tensors', {
      inputs: { m: bool(MASK), a, b },
      py: 'torch.where(m, a, b)',
      js: ({ m, a, b }) => torch.where(m!, a!, b!),
    });
    p('where broadcast scalar', {
      inputs: { m: bool(MASK), row },
      py: 'torch.where(m, row, 0.5)',
      js: ({ m, row }) => torch.where(m!, row!, 0.5),
    });
    p('where scalar tensor', {
      inputs: { m: bool(MASK), a },
      py: 'torch.where(m, -1, a)',
      js: ({ m, a }) => torch.where(m!, -1, a!),
    });
    p('where method', { inputs: { m: bool(MASK), a, b }, py: 'a.where(m, b)', js: ({ m, a, b }) => a!.where(m!, b!) });
    p('where from comparison', {
      inputs: { a, b },
      py: 'torch.where(a > b, a * 2, b - 1)',
      js: ({ a, b }) => torch.where(a!.gt(b!), a!.mul(2), b!.sub(1)),
    });
  }

  // ---- type promotion (the dtype is compared along with the values)
  const I = g.randint([3, 4], -9, 10);
  const J = g.randint([3, 4], 1, 5);
  const K = g.randint([4], -3, 4);
  const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name, ...x });
  c('int64 + 3 stays int64', { inputs: { x: i64(I) }, py: 'x + 3', js: ({ x }) => x!.add(3) });
  c('int64 + 2.5 gives float32', { inputs: { x: i64(I) }, py: 'x + 2.5', js: ({ x }) => x!.add(2.5) });
  c('int64 * -2 stays int64', { inputs: { x: i64(I) }, py: 'x * -2', js: ({ x }) => x!.mul(-2) });
  c('int64 * int64', { inputs: { x: i64(I), y: i64(J) }, py: 'x * y', js: ({ x, y }) => x!.mul(y!) });
  c('int64 - int64 broadcast', { inputs: { x: i64(I), y: i64(K) }, py: 'x - y', js: ({ x, y }) => x!.sub(y!) });
  c('int64 / int64 gives float32', { inputs: { x: i64(I), y: i64(J) }, py: 'x / y', js: ({ x, y }) => x!.div(y!) });
  c('int64 / 2 gives float32', { inputs: { x: i64(I) }, py: 'x / 2', js: ({ x }) => x!.div(2) });
  c('int64 floor div stays int64', {
    inputs: { x: i64(I), y: i64(J) },
    py: "torch.div(x, y, rounding_mode='floor')",
    js: ({ x, y }) => x!.div(y!, { roundingMode: 'floor' }),
  });
  c('int64 trunc div scalar', {
    inputs: { x: i64(I) },
    py: "torch.div(x, -4, rounding_mode='trunc')",
    js: ({ x }) => torch.div(x!, -4, { roundingMode: 'trunc' }),
  });
  c('int64 remainder (sign of divisor)', { inputs: { x: i64(I) }, py: 'x % -4', js: ({ x }) => x!.remainder(-4) });
  c('int64 fmod (sign of dividend)', { inputs: { x: i64(I) }, py: 'torch.fmod(x, 4)', js: ({ x }) => x!.fmod(4) });
  c('int64 pow 2 stays int64', { inputs: { x: i64(I) }, py: 'x ** 2', js: ({ x }) => x!.pow(2) });
  c('int64 pow 0.5 gives float32', { inputs: { x: i64(J) }, py: 'x ** 0.5', js: ({ x }) => x!.pow(0.5) });
  c('int64 sqrt gives float32', { inputs: { x: i64(J) }, py: 'torch.sqrt(x)', js: ({ x }) => x!.sqrt() });
  c('int64 abs neg', { inputs: { x: i64(I) }, py: 'x.abs().neg()', js: ({ x }) => x!.abs().neg() });
  c('int64 clamp int', {
    inputs: { x: i64(I) },
    py: 'x.clamp(min=-2, max=3)',
    js: ({ x }) => x!.clamp({ min: -2, max: 3 }),
  });
  c('int64 clamp float bound', {
    inputs: { x: i64(I) },
    py: 'x.clamp(min=0.5)',
    js: ({ x }) => x!.clamp({ min: 0.5 }),
  });
  c('int64 clamp by an int64 Tensor, in place', {
    inputs: { x: i64(I), y: i64(K) },
    py: 'x.clone().clamp_(min=y)',
    js: ({ x, y }) => x!.clone().clamp_({ min: y! }),
  });
  c('clamp by a Tensor without dimensions beside a number (Python reads it as a number)', {
    inputs: { x: i64(I), y: typed('float32', 0.5) },
    py: 'x.clamp(min=y, max=3)',
    js: ({ x, y }) => x!.clamp({ min: y!, max: 3 }),
  });
  c('int64 clamp by a float32 Tensor gives float32', {
    inputs: { x: i64(I), y: typed('float32', [0.5, -1.5, 2.25, 0]) },
    py: 'torch.clamp(x, max=y)',
    js: ({ x, y }) => torch.clamp(x!, { max: y! }),
  });
  c('int64 maximum', {
    inputs: { x: i64(I), y: i64(K) },
    py: 'torch.maximum(x, y)',
    js: ({ x, y }) => torch.maximum(x!, y!),
  });
  c('float32 * 2 stays float32', { inputs: { x: typed('float32', A) }, py: 'x * 2', js: ({ x }) => x!.mul(2) });
  c('float32 * 0.1 stays float32', { inputs: { x: typed('float32', A) }, py: 'x * 0.1', js: ({ x }) => x!.mul(0.1) });
  c('float32 + float64 gives float64', {
    inputs: { x: typed('float32', A), y: typed('float64', B) },
    py: 'x + y',
    js: ({ x, y }) => x!.add(y!),
  });
  c('float32 + 0-d float64 stays float32', {
    inputs: { x: typed('float32', A), y: typed('float64', 0.3) },
    py: 'x + y',
    js: ({ x, y }) => x!.add(y!),
  });
  c('int64 + 0-d float64 gives float64', {
    inputs: { x: i64(I), y: typed('float64', 0.3) },
    py: 'x + y',
    js: ({ x, y }) => x!.add(y!),
  });
  c('int64 + float32 gives float32', {
    inputs: { x: i64(I), y: typed('float32', A) },
    py: 'x + y',
    js: ({ x, y }) => x!.add(y!),
  });
  c('int32 + int64 gives int64', { inputs: { x: i32(I), y: i64(J) }, py: 'x + y', js: ({ x, y }) => x!.add(y!) });
  c('int32 + 3 stays int32', { inputs: { x: i32(I) }, py: 'x + 3', js: ({ x }) => x!.add(3) });
  c('uint8 + int8 gives int16', {
    inputs: { x: typed('uint8', J), y: typed('int8', I) },
    py: 'x + y',
    js: ({ x, y }) => x!.add(y!),
  });
  c('bool + bool stays bool', {
    inputs: { x: bool(MASK), y: bool(g.bools([3, 4])) },
    py: 'x + y',
    js: ({ x, y }) => x!.add(y!),
  });
  c('bool + 1 gives int64', { inputs: { x: bool(MASK) }, py: 'x + 1', js: ({ x }) => x!.add(1) });
  c('bool * 1.5 gives float32', { inputs: { x: bool(MASK) }, py: 'x * 1.5', js: ({ x }) => x!.mul(1.5) });
  c('float16 * 2 stays float16', { inputs: { x: typed('float16', A) }, py: 'x * 2', js: ({ x }) => x!.mul(2) });
  c('int64 lt float scalar', { inputs: { x: i64(I) }, py: 'x < 2.5', js: ({ x }) => x!.lt(2.5) });
  c('int64 eq int64', { inputs: { x: i64(I), y: i64(K) }, py: 'x == y', js: ({ x, y }) => x!.eq(y!) });
  c('where int and float', {
    inputs: { m: bool(MASK), x: i64(I), y: typed('float32', A) },
    py: 'torch.where(m, x, y)',
    js: ({ m, x, y }) => torch.where(m!, x!, y!),
  });
  c('where two scalars gives int64', {
    inputs: { m: bool(MASK) },
    py: 'torch.where(m, 1, 0)',
    js: ({ m }) => torch.where(m!, 1, 0),
  });
  c('pow with a scalar base (torch.pow(2, x))', {
    inputs: { x: typed('float64', A, true) },
    py: 'torch.pow(2, x)',
    js: ({ x }) => (torch.pow as unknown as (a: number, b: torch.Tensor) => torch.Tensor)(2, x!),
  });
  c('error: int64 to a negative int power', {
    inputs: { x: i64(J) },
    py: 'x ** -1',
    js: ({ x }) => x!.pow(-1),
    expectError: true,
  });
  c('error: int64 floor division by zero', {
    inputs: { x: i64(I) },
    py: "torch.div(x, 0, rounding_mode='floor')",
    js: ({ x }) => x!.div(0, { roundingMode: 'floor' }),
    expectError: true,
  });
  c('where int tensor and float scalar', {
    inputs: { m: bool(MASK), x: i64(I) },
    py: 'torch.where(m, x, 2.5)',
    js: ({ m, x }) => torch.where(m!, x!, 2.5),
  });
  c('float + True', { inputs: { x: typed('float32', A) }, py: 'x + True', js: ({ x }) => x!.add(true) });
  c('int64 maskedFill float value', {
    inputs: { x: i64(I), m: bool(MASK) },
    py: 'x.masked_fill(m, 2.5)',
    js: ({ x, m }) => x!.maskedFill(m!, 2.5),
  });
  c('float div scalar floor', {
    inputs: { x: typed('float64', A, true) },
    py: "x.div(0.3, rounding_mode='floor')",
    js: ({ x }) => x!.div(0.3, { roundingMode: 'floor' }),
    grad: false,
  });
  c('error: int64 add float alpha', {
    inputs: { x: i64(I), y: i64(J) },
    py: 'torch.add(x, y, alpha=0.5)',
    js: ({ x, y }) => x!.add(y!, { alpha: 0.5 }),
    expectError: true,
  });
  c('error: bool - bool', { inputs: { x: bool(MASK) }, py: 'x - x', js: ({ x }) => x!.sub(x!), expectError: true });
  c('negative zero scalar keeps its sign', {
    inputs: { x: typed('float64', [1, 2]) },
    py: 'out = [(x * -0.0).reciprocal(), torch.full((1,), -0.0, dtype=torch.float64).reciprocal()]',
    js: ({ x }) => [x!.mul(-0).reciprocal(), torch.full([1], -0, { dtype: 'float64' }).reciprocal()],
  });
  c('int64 true division by zero gives inf', { inputs: { x: i64(I) }, py: 'x / 0', js: ({ x }) => x!.div(0) });
  c('where two float scalars gives float32', {
    inputs: { m: bool(MASK) },
    py: 'torch.where(m, 1.5, -0.5)',
    js: ({ m }) => torch.where(m!, 1.5, -0.5),
  });

  // ---- logic and special values
  const SPECIAL = [
    [0, -0, 1.5, Number.NaN],
    [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -2, 1e300],
  ];
  c('isnan', { inputs: { x: typed('float64', SPECIAL) }, py: 'torch.isnan(x)', js: ({ x }) => x!.isnan() });
  c('isinf', { inputs: { x: typed('float64', SPECIAL) }, py: 'torch.isinf(x)', js: ({ x }) => torch.isinf(x!) });
  c('isfinite', { inputs: { x: typed('float64', SPECIAL) }, py: 'x.isfinite()', js: ({ x }) => x!.isfinite() });
  c('special values through exp, log, div', {
    inputs: { x: typed('float64', SPECIAL) },
    py: 'torch.stack([x.exp(), x.log(), x / 0, 1 / x.sign()])',
    js: ({ x }) => torch.stack([x!.exp(), x!.log(), x!.div(0), x!.sign().reciprocal()]),
  });
  c('special values in float32', {
    inputs: { x: typed('float32', SPECIAL) },
    py: 'torch.stack([x * 2, x.sqrt(), x.sigmoid()])',
    js: ({ x }) => torch.stack([x!.mul(2), x!.sqrt(), x!.sigmoid()]),
  });
  c('nan comparisons', {
    inputs: { x: typed('float64', SPECIAL) },
    py: 'torch.stack([(x == x).double(), (x != x).double(), (x < 1e308).double(), torch.maximum(x, x.flip(0))])',
    js: ({ x }) =>
      torch.stack([x!.eq(x!).double(), x!.ne(x!).double(), x!.lt(1e308).double(), torch.maximum(x!, x!.flip([0]))]),
  });
  const M2 = g.bools([3, 4]);
  c('logicalAnd', {
    inputs: { x: bool(MASK), y: bool(M2) },
    py: 'torch.logical_and(x, y)',
    js: ({ x, y }) => torch.logicalAnd(x!, y!),
  });
  c('logicalOr', { inputs: { x: bool(MASK), y: bool(M2) }, py: 'x.logical_or(y)', js: ({ x, y }) => x!.logicalOr(y!) });
  c('logicalXor', {
    inputs: { x: bool(MASK), y: bool(M2) },
    py: 'torch.logical_xor(x, y)',
    js: ({ x, y }) => x!.logicalXor(y!),
  });
  c('logicalNot', { inputs: { x: bool(MASK) }, py: 'torch.logical_not(x)', js: ({ x }) => torch.logicalNot(x!) });
  c('logicalAnd of floats', {
    inputs: {
      x: typed('float64', SPECIAL),
      y: i64([
        [1, 0, 2, 0],
        [0, 3, 0, 4],
      ]),
    },
    py: 'torch.logical_and(x, y)',
    js: ({ x, y }) => x!.logicalAnd(y!),
  });

  // ---- errors that both sides raise
  c('error: broadcast mismatch', {
    inputs: { x: typed('float64', A), y: typed('float64', g.randn([5])) },
    py: 'x + y',
    js: ({ x, y }) => x!.add(y!),
    expectError: true,
  });
  c('error: where with non-bool condition', {
    inputs: { x: typed('float64', A) },
    py: 'torch.where(x, x, x)',
    js: ({ x }) => torch.where(x!, x!, x!),
    expectError: true,
  });
  return cases;
}

function inplaceCases(): Case[] {
  const g = generators(777);
  const cases: Case[] = [];

  const A = g.randn([3, 4]);
  const B = g.randn([3, 4]);
  const ROW = g.randn([4]);
  const DIV = g.awayFromZero([3, 4]);
  const POS = g.uniform([3, 4], 0.2, 3);
  const MASK = g.bools([3, 4]);
  const I = g.randint([3, 4], -9, 10);
  // Scatter indices: distinct within each row, so that scatter_ has one writer per position.
  const SCATTER_IDX = [0, 1, 2].map(() => g.rng.permutation(4).slice(0, 2));
  const SRC = g.randn([3, 2]);

  for (const dt of FLOAT_DTYPES) {
    const a = typed(dt, A, true);
    const b = typed(dt, B, true);
    const row = typed(dt, ROW, true);
    const div = typed(dt, DIV, true);
    const pos = typed(dt, POS, true);
    const src = typed(dt, SRC, true);
    const p = (name: string, c: Omit<Case, 'name'>) => cases.push({ name: `${name} [${dt}]`, ...c });

    p('add_ tensor', { inputs: { a, b }, py: 'a.clone().add_(b)', js: ({ a, b }) => a!.clone().add_(b!) });
    p('add_ broadcast alpha', {
      inputs: { a, row },
      py: 'a.clone().add_(row, alpha=-2)',
      js: ({ a, row }) => a!.clone().add_(row!, { alpha: -2 }),
    });
    p('sub_ scalar', { inputs: { a }, py: 'a.clone().sub_(0.5)', js: ({ a }) => a!.clone().sub_(0.5) });
    p('sub_ tensor alpha', {
      inputs: { a, b },
      py: 'a.clone().sub_(b, alpha=0.25)',
      js: ({ a, b }) => a!.clone().sub_(b!, { alpha: 0.25 }),
    });
    p('mul_ tensor', { inputs: { a, b }, py: 'a.clone().mul_(b)', js: ({ a, b }) => a!.clone().mul_(b!) });
    p('mul_ scalar', { inputs: { a }, py: 'a.clone().mul_(3)', js: ({ a }) => a!.clone().mul_(3) });
    p('div_ tensor', { inputs: { a, div }, py: 'a.clone().div_(div)', js: ({ a, div }) => a!.clone().div_(div!) });
    p('div_ floor', {
      inputs: { a, div },
      py: "a.clone().mul_(4).div_(div, rounding_mode='floor')",
      js: ({ a, div }) => a!.clone().mul_(4).div_(div!, { roundingMode: 'floor' }),
      grad: false,
    });
    p('pow_ scalar', { inputs: { a }, py: 'a.clone().pow_(2)', js: ({ a }) => a!.clone().pow_(2) });
    p('pow_ tensor', { inputs: { pos, b }, py: 'pos.clone().pow_(b)', js: ({ pos, b }) => pos!.clone().pow_(b!) });
    p('neg_', { inputs: { a }, py: 'a.clone().neg_()', js: ({ a }) => a!.clone().neg_() });
    p('exp_', { inputs: { a }, py: 'a.clone().exp_()', js: ({ a }) => a!.clone().exp_() });
    p('sqrt_', { inputs: { pos }, py: 'pos.clone().sqrt_()', js: ({ pos }) => pos!.clone().sqrt_() });
    p('relu_', { inputs: { a }, py: 'a.clone().relu_()', js: ({ a }) => a!.clone().relu_() });
    p('sigmoid_', { inputs: { a }, py: 'a.clone().sigmoid_()', js: ({ a }) => a!.clone().sigmoid_() });
    p('tanh_', { inputs: { a }, py: 'a.clone().tanh_()', js: ({ a }) => a!.clone().tanh_() });
    p('abs_', { inputs: { a }, py: 'a.clone().abs_()', js: ({ a }) => a!.clone().abs_() });
    p('addcmul_', {
      inputs: { a, b, row },
      py: 'a.clone().addcmul_(b, row, value=-0.5)',
      js: ({ a, b, row }) => a!.clone().addcmul_(b!, row!, { value: -0.5 }),
    });
    p('addcdiv_', {
      inputs: { a, b, div },
      py: 'a.clone().addcdiv_(b, div, value=2)',
      js: ({ a, b, div }) => a!.clone().addcdiv_(b!, div!, { value: 2 }),
    });
    p('lerp_', { inputs: { a, b }, py: 'a.clone().lerp_(b, 0.75)', js: ({ a, b }) => a!.clone().lerp_(b!, 0.75) });
    p('zero_', { inputs: { a }, py: 'a.clone().zero_()', js: ({ a }) => a!.clone().zero_() });
    p('fill_ scalar', { inputs: { a }, py: 'a.clone().fill_(2.5)', js: ({ a }) => a!.clone().fill_(2.5) });
    p('fill_ 0-d tensor', {
      inputs: { a, v: typed(dt, 1.75, true) },
      py: 'a.clone().fill_(v)',
      js: ({ a, v }) => a!.clone().fill_(v!),
    });
    p('copy_ broadcast', {
      inputs: { a, row },
      py: 'a.clone().copy_(row)',
      js: ({ a, row }) => a!.clone().copy_(row!),
    });
    p('copy_ across dtypes', {
      inputs: { a, x: i64(I) },
      py: 'a.clone().copy_(x)',
      js: ({ a, x }) => a!.clone().copy_(x!),
    });
    p('clamp_', {
      inputs: { a },
      py: 'a.clone().clamp_(min=-0.3, max=0.6)',
      js: ({ a }) => a!.clone().clamp_({ min: -0.3, max: 0.6 }),
    });
    p('clamp_ max only', {
      inputs: { a },
      py: 'a.clone().clamp_(max=0)',
      js: ({ a }) => a!.clone().clamp_({ max: 0 }),
    });
    p('maskedFill_ scalar', {
      inputs: { a, m: bool(MASK) },
      py: 'a.clone().masked_fill_(m, -7)',
      js: ({ a, m }) => a!.clone().maskedFill_(m!, -7),
    });
    p('maskedFill_ 0-d tensor', {
      inputs: { a, m: bool(MASK), v: typed(dt, 0.5, true) },
      py: 'a.clone().masked_fill_(m, v)',
      js: ({ a, m, v }) => a!.clone().maskedFill_(m!, v!),
    });
    p('maskedFill_ broadcast mask', {
      inputs: { a, m: bool([true, false, false, true]) },
      py: 'a.clone().masked_fill_(m, 1.5)',
      js: ({ a, m }) => a!.clone().maskedFill_(m!, 1.5),
    });
    p('indexPut_', {
      inputs: { a, v: typed(dt, [ROW, ROW], true) },
      py: 'a.clone().index_put_((torch.tensor([2, 0]),), v)',
      js: ({ a, v }) => a!.clone().indexPut_([torch.tensor([2, 0])], v!),
    });
    p('indexPut_ accumulate', {
      inputs: { a, v: typed(dt, [ROW, (B as number[][])[0] as number[], ROW], true) },
      py: 'a.clone().index_put_((torch.tensor([0, 2, 0]),), v, accumulate=True)',
      js: ({ a, v }) => a!.clone().indexPut_([torch.tensor([0, 2, 0])], v!, { accumulate: true }),
    });
    p('indexPut_ two index tensors', {
      inputs: { a, v: typed(dt, [1, 2, 3], true) },
      py: 'a.clone().index_put_((torch.tensor([0, 1, 2]), torch.tensor([3, 0, 1])), v)',
      js: ({ a, v }) => a!.clone().indexPut_([torch.tensor([0, 1, 2]), torch.tensor([3, 0, 1])], v!),
    });
    p('scatter_ src', {
      inputs: { a, src, idx: i64(SCATTER_IDX) },
      py: 'a.clone().scatter_(1, idx, src)',
      js: ({ a, src, idx }) => a!.clone().scatter_(1, idx!, src!),
    });
    p('scatter_ value', {
      inputs: { a, idx: i64(SCATTER_IDX) },
      py: 'a.clone().scatter_(1, idx, 9.5)',
      js: ({ a, idx }) => a!.clone().scatter_(1, idx!, 9.5),
    });
    p('scatterAdd_', {
      inputs: {
        a,
        src,
        idx: i64([
          [0, 0],
          [3, 1],
          [2, 2],
        ]),
      },
      py: 'a.clone().scatter_add_(1, idx, src)',
      js: ({ a, src, idx }) => a!.clone().scatterAdd_(1, idx!, src!),
    });
    p('indexAdd_ alpha', {
      inputs: { a, b },
      py: 'a.clone().index_add_(0, torch.tensor([0, 2, 0]), b, alpha=2)',
      js: ({ a, b }) => a!.clone().indexAdd_(0, torch.tensor([0, 2, 0]), b!, { alpha: 2 }),
    });
    p('indexFill_', {
      inputs: { a },
      py: 'a.clone().index_fill_(1, torch.tensor([1, 3]), -1)',
      js: ({ a }) => a!.clone().indexFill_(1, torch.tensor([1, 3]), -1),
    });
    p('chained in-place', {
      inputs: { a, b },
      py: 'a.clone().mul_(2).add_(b).sigmoid_()',
      js: ({ a, b }) => a!.clone().mul_(2).add_(b!).sigmoid_(),
    });

    // Writes through views reach the base.
    p('in-place on select and column views', {
      inputs: { a, b },
      py: 'x = a.clone()\nx[0].mul_(2)\nx[:, 1].add_(b[:, 1])\nout = x',
      js: ({ a, b }) => {
        const x = a!.clone();
        x.at(0).mul_(2);
        x.at(':', 1).add_(b!.at(':', 1));
        return x;
      },
    });
    p('in-place on narrow view', {
      inputs: { a },
      py: 'x = a.clone()\nx.narrow(1, 1, 2).zero_()\nout = x * 1',
      js: ({ a }) => {
        const x = a!.clone();
        x.narrow(1, 1, 2).zero_();
        return x.mul(1);
      },
    });
    p('in-place on transposed view', {
      inputs: { a, b },
      py: 'x = a.clone()\nx.t().mul_(b.t())\nout = x',
      js: ({ a, b }) => {
        const x = a!.clone();
        x.t().mul_(b!.t());
        return x;
      },
    });
    p('in-place on strided slice', {
      inputs: { a },
      py: 'x = a.clone()\nx[:, ::2].exp_()\nout = x',
      js: ({ a }) => {
        const x = a!.clone();
        x.at(':', '::2').exp_();
        return x;
      },
    });
    p('copy_ into a view', {
      inputs: { a, row },
      py: 'x = a.clone()\nx[1].copy_(row)\nout = x',
      js: ({ a, row }) => {
        const x = a!.clone();
        x.at(1).copy_(row!);
        return x;
      },
    });
  }

  // ---- integers and bools in place
  const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name, ...x });
  c('int64 mul_ scalar', { inputs: { x: i64(I) }, py: 'x.clone().mul_(3)', js: ({ x }) => x!.clone().mul_(3) });
  c('int64 add_ int64 broadcast', {
    inputs: { x: i64(I), y: i64([1, -2, 3, -4]) },
    py: 'x.clone().add_(y, alpha=2)',
    js: ({ x, y }) => x!.clone().add_(y!, { alpha: 2 }),
  });
  c('int64 div_ floor', {
    inputs: { x: i64(I) },
    py: "x.clone().div_(4, rounding_mode='floor')",
    js: ({ x }) => x!.clone().div_(4, { roundingMode: 'floor' }),
  });
  c('int64 maskedFill_', {
    inputs: { x: i64(I), m: bool(MASK) },
    py: 'x.clone().masked_fill_(m, 100)',
    js: ({ x, m }) => x!.clone().maskedFill_(m!, 100),
  });
  c('bool maskedFill_', {
    inputs: { x: bool(MASK), m: bool(g.bools([3, 4])) },
    py: 'x.clone().masked_fill_(m, True)',
    js: ({ x, m }) => x!.clone().maskedFill_(m!, true),
  });
  c('float32 add_ float64 keeps float32', {
    inputs: { x: typed('float32', A), y: typed('float64', B) },
    py: 'x.clone().add_(y)',
    js: ({ x, y }) => x!.clone().add_(y!),
  });
  c('float64 fill_ then clamp_', {
    inputs: { x: typed('float64', A) },
    py: 'x.clone().fill_(3).clamp_(min=-1, max=1)',
    js: ({ x }) => x!.clone().fill_(3).clamp_({ min: -1, max: 1 }),
  });

  // ---- errors both sides raise
  c('error: clamp by a Tensor with dimensions beside a number', {
    inputs: { x: i64(I), y: i64([1, -2, 3, 0]) },
    py: 'x.clamp(min=y, max=3)',
    js: ({ x, y }) => x!.clamp({ min: y!, max: 3 }),
    expectError: true,
  });
  c('error: int64 add_ float scalar', {
    inputs: { x: i64(I) },
    py: 'x.clone().add_(1.5)',
    js: ({ x }) => x!.clone().add_(1.5),
    expectError: true,
  });
  c('error: int64 div_ true division', {
    inputs: { x: i64(I) },
    py: 'x.clone().div_(2)',
    js: ({ x }) => x!.clone().div_(2),
    expectError: true,
  });
  c('error: in-place on a leaf that requires grad', {
    inputs: { a: typed('float64', A, true) },
    py: 'a.add_(1)',
    js: ({ a }) => a!.add_(1),
    expectError: true,
  });
  c('error: in-place result would need broadcasting', {
    inputs: { r: typed('float64', ROW), a: typed('float64', A) },
    py: 'r.clone().add_(a)',
    js: ({ r, a }) => r!.clone().add_(a!),
    expectError: true,
  });
  c('error: copy_ of a mismatched shape', {
    inputs: { r: typed('float64', [1, 2, 3]), a: typed('float64', A) },
    py: 'a.clone().copy_(r)',
    js: ({ r, a }) => a!.clone().copy_(r!),
    expectError: true,
  });
  return cases;
}

function creationCases(): Case[] {
  const g = generators(4321);
  const cases: Case[] = [];
  const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name, ...x });
  const A = g.randn([3, 4], 3);
  c('tensor from nested ints is int64', {
    inputs: {},
    py: 'torch.tensor([[1, 2], [3, -4]])',
    js: () =>
      torch.tensor([
        [1, 2],
        [3, -4],
      ]),
  });
  c('tensor from floats is float32', {
    inputs: {},
    py: 'torch.tensor([0.1, 2.5, -3.0])',
    js: () => torch.tensor([0.1, 2.5, -3.0]),
  });
  c('tensor from bools is bool', {
    inputs: {},
    py: 'torch.tensor([True, False])',
    js: () => torch.tensor([true, false]),
  });
  c('tensor with dtype', {
    inputs: {},
    py: 'torch.tensor([[0.1, 2], [3, 4]], dtype=torch.float64)',
    js: () =>
      torch.tensor(
        [
          [0.1, 2],
          [3, 4],
        ],
        { dtype: 'float64' },
      ),
  });
  c('tensor of a typed array', {
    inputs: {},
    py: 'torch.tensor([1.5, -2.25], dtype=torch.float32)',
    js: () => torch.tensor(new Float32Array([1.5, -2.25])),
  });
  c('scalar tensor', { inputs: {}, py: 'torch.tensor(3)', js: () => torch.scalarTensor(3) });
  c('zeros ones full', {
    inputs: {},
    py: 'out = [torch.zeros(2, 3), torch.ones(2, dtype=torch.int64), torch.full((2, 2), 3), torch.full((2,), 1.5), torch.full((1,), True)]',
    js: () => [
      torch.zeros([2, 3]),
      torch.ones([2], { dtype: 'int64' }),
      torch.full([2, 2], 3),
      torch.full([2], 1.5),
      torch.full([1], true),
    ],
  });
  c('arange', {
    inputs: {},
    py: 'out = [torch.arange(5), torch.arange(2, 9, 3), torch.arange(0, 1, 0.1), torch.arange(-1.5, 2.5), torch.arange(4, dtype=torch.float64)]',
    js: () => [
      torch.arange(5),
      torch.arange(2, 9, 3),
      torch.arange(0, 1, 0.1),
      torch.arange(-1.5, 2.5),
      torch.arange(4, { dtype: 'float64' }),
    ],
  });
  c('linspace eye', {
    inputs: {},
    py: 'out = [torch.linspace(-1, 1, 7), torch.linspace(0, 10, 5, dtype=torch.float64), torch.eye(3), torch.eye(2, 4, dtype=torch.int64)]',
    js: () => [
      torch.linspace(-1, 1, 7),
      torch.linspace(0, 10, 5, { dtype: 'float64' }),
      torch.eye(3),
      torch.eye(2, 4, { dtype: 'int64' }),
    ],
  });
  c('zerosLike onesLike fullLike', {
    inputs: {
      x: typed('float64', A),
      i: i64([
        [1, 2],
        [3, 4],
      ]),
    },
    py: 'out = [torch.zeros_like(x), torch.ones_like(i), torch.full_like(i, 2.7), torch.full_like(x, 2.5, dtype=torch.float32)]',
    js: ({ x, i }) => [
      torch.zerosLike(x!),
      torch.onesLike(i!),
      torch.fullLike(i!, 2.7),
      torch.fullLike(x!, 2.5, { dtype: 'float32' }),
    ],
  });
  c('requiresGrad creation', {
    inputs: {},
    py: 'out = [torch.zeros(2, requires_grad=True), torch.ones(2, 2, dtype=torch.float64, requires_grad=True)]',
    js: () => [torch.zeros([2], { requiresGrad: true }), torch.ones([2, 2], { dtype: 'float64', requiresGrad: true })],
  });
  c('conversions', {
    inputs: { x: typed('float64', A, true) },
    py: 'out = [x.float(), x.long(), x.int(), x.bool(), x.half(), x.bfloat16(), (x * 20).byte(), x.double()]',
    js: ({ x }) => [
      x!.float(),
      x!.long(),
      x!.int(),
      x!.bool(),
      x!.half(),
      x!.bfloat16(),
      x!.mul(20).byte(),
      x!.double(),
    ],
  });
  c('to dtype and typeAs', {
    inputs: { x: typed('float64', A), i: i64([1]) },
    py: 'out = [x.to(torch.float32), x.to(torch.int64), x.type_as(i), i.to(torch.float64)]',
    js: ({ x, i }) => [x!.to('float32'), x!.to('int64'), x!.typeAs(i!), i!.to('float64')],
  });
  c('float32 round trip keeps float32 rounding', {
    inputs: { x: typed('float64', [0.1, 1 / 3, 1e-8, 123456.789]) },
    py: 'x.float().double()',
    js: ({ x }) => x!.float().double(),
  });
  c('item', { inputs: { x: typed('float64', A) }, py: 'x.sum().item()', js: ({ x }) => x!.sum().item() });
  c('item of int64 and bool', {
    inputs: {
      i: i64([
        [1, 2],
        [3, 4],
      ]),
    },
    py: 'out = [i.sum().item(), (i > 2).any().item()]',
    js: ({ i }) => [i!.sum().item(), i!.gt(2).any().item()],
  });
  return cases;
}

paritySuite('parity: elementwise, in-place, creation', {
  elementwise: elementwiseCases(),
  'creation and conversion': creationCases(),
  'in-place': inplaceCases(),
});

test('in-place methods return the tensor itself', () => {
  torch.scope(() => {
    const t = torch.zeros([2, 3], { dtype: 'float64' });
    const m = torch.tensor([
      [true, false, true],
      [false, true, false],
    ]);
    for (const r of [
      t.add_(1),
      t.mul_(2),
      t.clamp_({ max: 1 }),
      t.maskedFill_(m, 0),
      t.exp_(),
      t.zero_(),
      t.fill_(3),
    ]) {
      assert.equal(r, t);
    }
    assert.deepEqual(t.toArray(), [
      [3, 3, 3],
      [3, 3, 3],
    ]);
  });
});
