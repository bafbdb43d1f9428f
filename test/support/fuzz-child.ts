// The fuzz of test/errors.test.ts, run in a child process so that a native crash (a signal)
// is seen by the parent as a failure instead of killing the test runner:
//
//   node dist/test/support/fuzz-child.js <seed> <calls>
//
// Makes `calls` random calls, chosen by a seeded generator, across the torch namespace,
// torch.nn.functional, torch.cuda, torch.autograd and every Tensor method, getter and setter,
// with random arguments: live tensors of many shapes and dtypes, disposed tensors, numbers
// (NaN, infinities, -0, huge ints), strings, null, undefined, arrays, objects, typed arrays,
// bigints, symbols and functions. Each call must return or throw an instance of Error.
//
// Before each call its description goes to stderr with a synchronous write, so that after a
// crash the last line names the call that crashed. stdout's last line is a JSON summary. Run
// with no arguments (as `node --test dist/test/` does with every file under test/) it does
// nothing.
import { writeSync } from 'node:fs';
import * as torch from '../../lib/index.js';

type Fn = (...args: unknown[]) => unknown;

interface Target {
  name: string;
  kind: 'function' | 'method' | 'getter' | 'setter' | 'constructor';
  fn: Fn;
}

/** mulberry32: small, fast and good enough to pick calls. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Sizes are either small or far beyond any memory (so that an allocation fails at once instead
// of succeeding lazily and filling the machine): no value between 64 and 2^40 is ever drawn.
const SMALL_INTS = [-3, -2, -1, 0, 0, 1, 1, 1, 2, 2, 3, 4, 5, 8];
const HUGE = [2 ** 40, 2 ** 53, 2 ** 53 + 2, 2 ** 62, 2 ** 63, -(2 ** 40), -(2 ** 53), -(2 ** 63), 1e300, -1e300];
const ODD_NUMBERS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0.5, -1.5, 1e-30, 3.7];
const DTYPES = [
  'float32',
  'float64',
  'float16',
  'bfloat16',
  'int64',
  'int32',
  'int16',
  'int8',
  'uint8',
  'bool',
  'complex64',
  'complex128',
];
const STRINGS = [
  ...DTYPES,
  'cpu',
  'cuda',
  'cuda:0',
  'cuda:7',
  'meta',
  'cpu:0',
  'cpu:-1',
  'tpu',
  'cuda:x',
  '',
  'mean',
  'sum',
  'none',
  'nearest',
  'bilinear',
  'tanh',
  'floor',
  'trunc',
  'constant',
  'reflect',
  'ij,jk->ik',
  'i,i->',
  '...',
  ':',
  '1:3',
  '::2',
  '::-1',
  'a:b',
  '0:1:0',
  'channelsLast',
  'contiguousFormat',
  'x'.repeat(300),
  '\u0000',
  'ünïcödé',
];
const OPTION_KEYS = [
  'dtype',
  'device',
  'requiresGrad',
  'keepdim',
  'alpha',
  'beta',
  'value',
  'min',
  'max',
  'dim',
  'bias',
  'weight',
  'reduction',
  'ignoreIndex',
  'labelSmoothing',
  'stride',
  'padding',
  'dilation',
  'groups',
  'outputPadding',
  'ceilMode',
  'training',
  'momentum',
  'eps',
  'p',
  'mode',
  'size',
  'scaleFactor',
  'alignCorners',
  'roundingMode',
  'correction',
  'descending',
  'stable',
  'largest',
  'sorted',
  'replacement',
  'memoryFormat',
  'nonBlocking',
  'copy',
  'accumulate',
  'approximate',
  'threshold',
  'negativeSlope',
  'minVal',
  'maxVal',
  'offset',
  'dim1',
  'dim2',
  'posWeight',
  'paddingIdx',
  'attnMask',
  'dropoutP',
  'isCausal',
  'scale',
  'from',
  'to',
  'mean',
  'std',
  'decimals',
  'shape',
  'retainGraph',
  'createGraph',
  'inputs',
  'allowUnused',
  'gradOutputs',
  'pinMemory',
  'enableTiming',
  'priority',
  'divisorOverride',
  'countIncludePad',
];

const POOL_LIMIT = 48;
const MAX_POOL_NUMEL = 4096;

function main(seed: number, calls: number): void {
  const random = rng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const chance = (p: number): boolean => random() < p;

  // ---- tensors

  const pool: torch.Tensor[] = [];
  const disposed: torch.Tensor[] = [];
  const small = (): number => pick([0, 1, 1, 2, 2, 3, 4]);
  const randomShape = (): number[] => Array.from({ length: int(5) }, small);

  const makeTensor = (): torch.Tensor => {
    const shape = randomShape();
    const dtype = pick(DTYPES) as torch.DType;
    switch (int(9)) {
      case 0:
        return torch.zeros(shape, { dtype });
      case 1:
        return torch.randn(shape, { dtype: pick(['float32', 'float64'] as const), requiresGrad: chance(0.4) });
      case 2:
        return torch.randint(-5, 5, shape, { dtype: pick(['int64', 'int32', 'int8'] as const) });
      case 3:
        return torch.rand(shape).gt(0.5);
      case 4:
        return torch.full(shape, pick([...ODD_NUMBERS, 2]), {
          dtype: pick(['float32', 'float64', 'float16'] as const),
        });
      case 5: {
        // Non-contiguous: a transposed or expanded view.
        const base = torch.randn([small() + 1, small() + 1]);
        return chance(0.5) ? base.t() : base.at(':', '0:1').expand([base.shape[0] as number, 3]);
      }
      case 6:
        return torch.fromBuffer(new Float32Array(Array.from({ length: 6 }, () => random() * 10 - 5)), {
          shape: pick([[6], [2, 3], [3, 2], [1, 6]]),
        });
      case 7:
        return torch.randn(shape, { dtype: pick(['complex64', 'complex128'] as const), requiresGrad: chance(0.3) });
      default:
        return chance(0.3) ? torch.zeros(shape, { device: 'meta' }) : torch.arange(small() * 3).to(dtype);
    }
  };

  const addToPool = (t: torch.Tensor): void => {
    if (t.isDisposed) return;
    let numel: number;
    try {
      numel = t.numel();
    } catch {
      return;
    }
    // Huge results (an expand to 2^40 elements is a cheap view) are not fed to later calls,
    // which could spend hours summing them.
    if (numel > MAX_POOL_NUMEL) {
      t.dispose();
      return;
    }
    pool.push(t);
    if (pool.length > POOL_LIMIT) {
      const [old] = pool.splice(int(pool.length), 1);
      if (old && old !== t) {
        if (chance(0.5)) {
          old.dispose();
          disposed.push(old);
          if (disposed.length > 16) disposed.shift();
        } else {
          old.dispose();
        }
      }
    }
  };

  for (let i = 0; i < 24; i++) addToPool(makeTensor());
  const dead = makeTensor();
  dead.dispose();
  disposed.push(dead);

  const poolTensor = (): torch.Tensor => (pool.length ? pick(pool) : makeTensor());

  // ---- garbage

  const number = (): number => {
    const r = random();
    if (r < 0.6) return pick(SMALL_INTS);
    if (r < 0.8) return pick(ODD_NUMBERS);
    return pick(HUGE);
  };

  const garbage = (depth = 0): unknown => {
    const r = int(100);
    if (r < 30) return poolTensor();
    if (r < 36) return disposed.length ? pick(disposed) : dead;
    if (r < 56) return number();
    if (r < 64) return pick(STRINGS);
    if (r < 67) return null;
    if (r < 70) return undefined;
    if (r < 73) return chance(0.5);
    if (r < 82) {
      // arrays: of ints (shapes, dims), of tensors, or mixed
      const n = int(6);
      const kind = int(3);
      return Array.from({ length: n }, () =>
        kind === 0 ? pick(SMALL_INTS) : kind === 1 ? poolTensor() : depth < 2 ? garbage(depth + 1) : number(),
      );
    }
    if (r < 92) return options(depth);
    if (r < 94) return pick([new Float32Array(4), new Int32Array(3), new BigInt64Array(2), new Uint8Array(0)]);
    if (r < 95) return pick([1n, -(2n ** 70n)]);
    if (r < 96) return Symbol('garbage');
    if (r < 97) return pick([(): unknown => undefined, (): unknown => poolTensor(), (): unknown => number()]);
    if (r < 98) return new Map([['a', poolTensor()]]);
    if (r < 99) return Object.create(null);
    return [[[[[]]]]];
  };

  const options = (depth: number): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (let k = int(4); k > 0; k--) {
      o[pick(OPTION_KEYS)] = depth < 2 ? garbage(depth + 1) : number();
    }
    return o;
  };

  // Arguments biased towards what an op expects (tensors first, then small ints and tensors),
  // so that most calls pass the JavaScript checks and reach libtorch's kernels.
  const args = (): unknown[] => {
    const n = int(6);
    const out: unknown[] = [];
    for (let k = 0; k < n; k++) {
      const r = random();
      if (r < 0.35) out.push(poolTensor());
      else if (r < 0.55) out.push(pick(SMALL_INTS));
      else if (r < 0.6 && k === n - 1) out.push(options(0));
      else out.push(garbage());
    }
    return out;
  };

  // ---- targets

  const targets: Target[] = [];
  const addFunctions = (prefix: string, ns: Record<string, unknown>, skip: Set<string>): void => {
    for (const [name, v] of Object.entries(ns)) {
      if (typeof v !== 'function' || skip.has(name)) continue;
      const isClass = /^class\b/.test(Function.prototype.toString.call(v));
      if (isClass) {
        const C = v as new (...a: unknown[]) => unknown;
        targets.push({ name: `new ${prefix}${name}`, kind: 'constructor', fn: (...a) => new C(...a) });
      } else targets.push({ name: `${prefix}${name}`, kind: 'function', fn: v as Fn });
    }
  };
  // torch.Tensor's constructor takes a raw handle and is internal ("never with `new`").
  addFunctions('torch.', torch as unknown as Record<string, unknown>, new Set(['Tensor']));
  addFunctions('F.', torch.nn.functional as unknown as Record<string, unknown>, new Set());
  addFunctions('torch.cuda.', torch.cuda as unknown as Record<string, unknown>, new Set());
  addFunctions('torch.autograd.', torch.autograd as unknown as Record<string, unknown>, new Set());
  const proto = torch.Tensor.prototype as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(proto, name) as PropertyDescriptor;
    if (typeof d.value === 'function') targets.push({ name: `Tensor#${name}`, kind: 'method', fn: d.value as Fn });
    if (d.get) targets.push({ name: `Tensor#${name} (get)`, kind: 'getter', fn: d.get as Fn });
    if (d.set) targets.push({ name: `Tensor#${name} (set)`, kind: 'setter', fn: d.set as Fn });
  }
  const disposeSymbol = (Symbol as unknown as { dispose: symbol }).dispose;
  targets.push({
    name: 'Tensor#[Symbol.dispose]',
    kind: 'method',
    fn: proto[disposeSymbol as unknown as string] as Fn,
  });

  // ---- the calls

  const describe = (v: unknown, depth = 0): string => {
    if (v instanceof torch.Tensor) {
      if (v.isDisposed) return 'Tensor<disposed>';
      try {
        return `Tensor<${v.dtype}[${v.shape.join(',')}]${v.device === 'cpu' ? '' : `@${v.device}`}${v.requiresGrad ? ' rg' : ''}${v.isContiguous() ? '' : ' nc'}>`;
      } catch (e) {
        return `Tensor<? ${(e as Error).message}>`;
      }
    }
    if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
    if (typeof v === 'string') return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v);
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'symbol') return 'Symbol()';
    if (typeof v === 'function') return 'fn';
    if (v === null || v === undefined) return String(v);
    if (Array.isArray(v)) return depth > 2 ? '[...]' : `[${v.map((x) => describe(x, depth + 1)).join(', ')}]`;
    if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as Uint8Array).length})`;
    if (v instanceof Map) return 'Map';
    if (Object.getPrototypeOf(v) === null) return 'Object.create(null)';
    return `{${Object.entries(v as object)
      .map(([k, x]) => `${k}: ${depth > 2 ? '...' : describe(x, depth + 1)}`)
      .join(', ')}}`;
  };

  const collect = (value: unknown): void => {
    if (value instanceof torch.Tensor) addToPool(value);
    else if (Array.isArray(value)) for (const v of value) if (v instanceof torch.Tensor) addToPool(v);
  };

  const stats = { calls: 0, returned: 0, threw: 0, byClass: {} as Record<string, number> };
  const notErrors: string[] = [];
  const backtraces: string[] = [];
  const internalAsserts: string[] = [];
  const noMessage: string[] = [];

  for (let i = 0; i < calls; i++) {
    const target = pick(targets);
    let self: unknown;
    let a: unknown[];
    if (target.kind === 'method' || target.kind === 'getter' || target.kind === 'setter') {
      const r = random();
      self = r < 0.85 ? poolTensor() : r < 0.95 ? (disposed.length ? pick(disposed) : dead) : garbage();
      a = target.kind === 'getter' ? [] : target.kind === 'setter' ? [garbage()] : args();
    } else {
      a = args();
    }
    // Some calls run inside a scope (which frees what they make unless returned) or noGrad.
    const wrap = int(20);
    const how = wrap === 0 ? 'scope ' : wrap === 1 ? 'noGrad ' : '';
    const line = `#${i} ${how}${target.name}${target.kind === 'function' || target.kind === 'constructor' ? '' : ` this=${describe(self)}`} (${a.map((x) => describe(x)).join(', ')})\n`;
    writeSync(2, line);
    stats.calls++;
    try {
      const call = (): unknown => target.fn.apply(self, a);
      const result = wrap === 0 ? torch.scope(call) : wrap === 1 ? torch.noGrad(call) : call();
      stats.returned++;
      collect(result);
    } catch (e) {
      stats.threw++;
      if (!(e instanceof Error)) {
        notErrors.push(`${line.trim()} threw ${typeof e}: ${String(e)}`);
        continue;
      }
      stats.byClass[e.constructor.name] = (stats.byClass[e.constructor.name] ?? 0) + 1;
      if (!e.message) noMessage.push(`${line.trim()} -> ${e.constructor.name} with no message`);
      if (/Exception raised from|frame #\d/.test(e.message))
        backtraces.push(`${line.trim()} -> ${e.message.slice(0, 200)}`);
      if (/INTERNAL ASSERT/.test(e.message)) internalAsserts.push(`${line.trim()} -> ${e.message.slice(0, 300)}`);
    }
    // Keep the state sane: grad mode on, a small thread count.
    if (!torch.isGradEnabled()) torch.setGradEnabled(true);
  }

  // What is left must still work.
  const check = torch.ones([2, 2]).add(1).sum().item();
  process.stdout.write(
    `${JSON.stringify({
      seed,
      targets: targets.length,
      ...stats,
      check,
      notErrors,
      noMessage,
      backtraces,
      internalAsserts,
      memory: torch.memory(),
    })}\n`,
  );
}

const [seedArg, callsArg] = process.argv.slice(2);
if (seedArg !== undefined) {
  torch.setNumThreads(1);
  main(Number(seedArg), Number(callsArg ?? 1000));
}
