// Bad input never crashes the process: it throws a JavaScript Error (a TypeError for a value of
// the wrong type) whose message names the op and the problem. First targeted cases, then a
// seeded fuzz of thousands of random calls run in a child process, so that a native crash is
// seen as a failure (with its seed and the call that crashed) instead of killing the runner.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '../lib/index.js';

const F = torch.nn.functional;

/**
 * Asserts that `fn` throws an instance of exactly `cls` (not a subclass: an Error must not be a
 * TypeError, and the reverse) whose message matches every pattern.
 */
function throwsExactly(fn: () => unknown, cls: ErrorConstructor, ...patterns: RegExp[]): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== undefined, 'expected a throw');
  assert.ok(thrown instanceof Error, `expected an Error, got ${String(thrown)}`);
  assert.equal(thrown.constructor, cls, `expected ${cls.name}, got ${thrown.constructor.name}: ${thrown.message}`);
  for (const p of patterns) assert.match(thrown.message, p);
  // libtorch's C++ backtrace must not reach users.
  assert.doesNotMatch(thrown.message, /Exception raised from|frame #\d/);
}

describe('targeted errors', () => {
  test('shape mismatch in mm names the op and both shapes', () => {
    const a = torch.ones([2, 3]);
    throwsExactly(() => torch.mm(a, a), Error, /^mm: /, /mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/);
    throwsExactly(() => a.mm(a), Error, /^mm: /, /\(2x3 and 2x3\)/);
    throwsExactly(() => torch.mm(torch.ones([3]), a), Error, /^mm: /, /matrix/);
    throwsExactly(
      () => a.add(torch.ones([4])),
      Error,
      /^add: /,
      /size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1/,
    );
    throwsExactly(() => a.reshape([4, -1]), Error, /^reshape: /, /shape '\[4, -1\]' is invalid for input of size 6/);
  });

  test('wrong dtype: mixed dtypes, an impossible cast, an unknown dtype name', () => {
    const i = torch.ones([2, 2], { dtype: 'int64' });
    const f = torch.ones([2, 2]);
    throwsExactly(() => torch.mm(i, f), Error, /^mm: /, /same dtype/, /long int != float/);
    throwsExactly(
      () => torch.zeros([2], { dtype: 'bool' }).add_(torch.tensor([1.5, 2])),
      Error,
      /^add_: /,
      /result type Float can't be cast to the desired output type Bool/,
    );
    throwsExactly(
      () => torch.ones([2], { dtype: 'int64' }).requiresGrad_(),
      Error,
      /^requiresGrad_: /,
      /floating point/,
    );
    throwsExactly(
      () => torch.zeros([2], { dtype: 'float99' as torch.DType }),
      TypeError,
      /^zeros: unknown dtype 'float99' \(expected one of uint8, .*bfloat16\)/,
    );
    throwsExactly(() => f.to({ dtype: 'complex7' as torch.DType }), TypeError, /^to: unknown dtype 'complex7'/);
    throwsExactly(() => f.sum(0, { dtype: 6 as unknown as torch.DType }), TypeError, /^sum: unknown dtype '6'/);
  });

  test('bad device strings', () => {
    throwsExactly(
      () => torch.zeros([2], { device: 'tpu' }),
      Error,
      /^zeros: invalid device 'tpu': expected 'cpu', 'cuda' or 'cuda:N'/,
    );
    throwsExactly(() => torch.ones([2]).to('gpu:x'), Error, /^to: invalid device 'gpu:x'/);
    throwsExactly(() => torch.tensor([1, 2], { device: 'cuda:x' }), Error, /^tensor: invalid device 'cuda:x'/);
    throwsExactly(() => torch.zeros([2], { device: '' }), Error, /^zeros: invalid device ''/);
    throwsExactly(
      () => torch.zeros([2], { device: 5 as unknown as torch.Device }),
      TypeError,
      /^zeros: argument 'device' must be a device string such as 'cpu' or 'cuda:0', got a number/,
    );
  });

  test('a non-Tensor where a Tensor is required is a TypeError naming op and argument', () => {
    const a = torch.ones([2, 3]);
    const any = (x: unknown) => x as never;
    throwsExactly(() => torch.add(any(3), a), TypeError, /^add: argument 'input' must be a Tensor, got a number/);
    throwsExactly(() => a.mm(any([1, 2])), TypeError, /^mm: argument 'mat2' must be a Tensor, got an array/);
    throwsExactly(() => F.relu(any('x')), TypeError, /^relu: argument 'input' must be a Tensor, got a string/);
    throwsExactly(() => F.linear(a, any(null)), TypeError, /^linear: argument 'weight' must be a Tensor, got null/);
    throwsExactly(
      () => F.linear(a, a, { bias: any({}) }),
      TypeError,
      /^linear: argument 'bias' must be a Tensor, got an object/,
    );
    throwsExactly(
      () => torch.cat(any(a)),
      TypeError,
      /^cat: argument 'tensors' must be an array of Tensors, got a Tensor/,
    );
    throwsExactly(() => torch.cat([a, any(5)]), TypeError, /^cat: argument 'tensors' must be a Tensor, got a number/);
    throwsExactly(
      () => a.add(any(undefined)),
      TypeError,
      /^add: argument 'other' must be a Tensor or a number, got undefined/,
    );
    throwsExactly(
      () => a.mul(any(10n)),
      TypeError,
      /^mul: argument 'other' must be a Tensor or a number, got a bigint/,
    );
    throwsExactly(
      () => {
        a.grad = any(5);
      },
      TypeError,
      /^grad: expected a Tensor or null/,
    );
    throwsExactly(
      () => torch.tensor(any('abc')),
      TypeError,
      /^tensor: expected numbers, booleans, nested arrays or a typed array, got a string/,
    );
  });

  test('wrong option types are TypeErrors naming op and option', () => {
    const a = torch.ones([2, 3]);
    const any = (x: unknown) => x as never;
    throwsExactly(
      () => a.sum(0, { keepdim: any('yes') }),
      TypeError,
      /^sum: argument 'keepdim' must be a boolean, got a string/,
    );
    throwsExactly(
      () => a.add(a, { alpha: any('x') }),
      TypeError,
      /^add: argument 'alpha' must be a number or a boolean, got a string/,
    );
    throwsExactly(
      () => torch.zeros([2], { requiresGrad: any(1) }),
      TypeError,
      /^zeros: argument 'requires_grad' must be a boolean, got a number/,
    );
    throwsExactly(
      () => torch.zeros(any('abc')),
      TypeError,
      /^zeros: argument 'size' must be an array of integers, got a string/,
    );
    throwsExactly(() => a.reshape([1.5, 4]), TypeError, /^reshape: argument 'shape' must be an array of integers/);
    throwsExactly(() => a.transpose(0.5, 1), TypeError, /^transpose: argument 'dim0' must be an integer, got a number/);
    throwsExactly(() => F.softmax(a, any('1')), TypeError, /^softmax: argument 'dim' must be an integer, got a string/);
    throwsExactly(
      () => F.conv2d(torch.ones([1, 1, 3, 3]), torch.ones([1, 1, 2, 2]), { stride: any('x') }),
      TypeError,
      /^conv2d: argument 'stride' must be an array of integers, got a string/,
    );
    throwsExactly(
      () => F.crossEntropy(a, torch.tensor([0, 1]), { reduction: any('avg') }),
      TypeError,
      /^cross_entropy: argument 'reduction' must be 'mean', 'sum' or 'none', got 'avg'/,
    );
    throwsExactly(() => torch.split(a, any('x')), TypeError, /^split: no signature takes \(a Tensor, a string\)/);
  });

  test('a disposed tensor used again says "tensor was disposed"', () => {
    const a = torch.ones([2, 3]);
    const d = torch.ones([2, 3]);
    d.dispose();
    assert.equal(d.isDisposed, true);
    throwsExactly(() => d.add(1), Error, /^add: tensor was disposed$/);
    throwsExactly(() => torch.add(a, d), Error, /^add: tensor was disposed$/);
    throwsExactly(() => torch.cat([a, d]), Error, /^cat: tensor was disposed$/);
    throwsExactly(() => d.shape, Error, /^shape: tensor was disposed$/);
    throwsExactly(() => d.device, Error, /^device: tensor was disposed$/);
    throwsExactly(() => d.dtype, Error, /^dtype: tensor was disposed$/);
    throwsExactly(() => d.numel(), Error, /^numel: tensor was disposed$/);
    throwsExactly(() => d.requiresGrad, Error, /^requiresGrad: tensor was disposed$/);
    throwsExactly(() => d.isLeaf, Error, /^isLeaf: tensor was disposed$/);
    throwsExactly(() => d.item(), Error, /^item: tensor was disposed$/);
    throwsExactly(() => d.to('cpu'), Error, /^to: tensor was disposed$/);
    throwsExactly(() => d.toArray(), Error, /tensor was disposed$/);
    throwsExactly(() => d.grad, Error, /^grad: tensor was disposed$/);
    throwsExactly(
      () => {
        a.grad = d;
      },
      Error,
      /^grad: tensor was disposed$/,
    );
    // Disposing twice, printing and keep() are harmless.
    d.dispose();
    assert.equal(String(d), 'tensor(<disposed>)');
    assert.equal(d.keep(), d);
  });

  test('item() on a multi-element or empty tensor', () => {
    throwsExactly(
      () => torch.ones([2, 3]).item(),
      Error,
      /^item: a Tensor with 6 elements cannot be converted to a number$/,
    );
    throwsExactly(
      () => torch.zeros([0]).item(),
      Error,
      /^item: a Tensor with 0 elements cannot be converted to a number$/,
    );
    assert.equal(torch.ones([1, 1]).item(), 1);
  });

  const cpuOnly = torch.cuda.isAvailable() ? 'this machine has CUDA' : false;

  test('torch.cuda on a CPU-only machine: "CUDA is not available"', { skip: cpuOnly }, () => {
    assert.equal(torch.cuda.isAvailable(), false);
    assert.equal(torch.cuda.deviceCount(), 0);
    const notAvailable = /CUDA is not available/;
    throwsExactly(() => torch.cuda.synchronize(), Error, /^cuda\.synchronize: /, notAvailable);
    throwsExactly(() => new torch.cuda.Stream(), Error, /^cuda\.Stream: /, notAvailable);
    throwsExactly(() => new torch.cuda.Event(), Error, /^cuda\.Event: /, notAvailable);
    throwsExactly(() => torch.cuda.currentStream(), Error, /^cuda\.currentStream: /, notAvailable);
    throwsExactly(() => torch.cuda.memoryAllocated(), Error, /^cuda\.memoryStats: /, notAvailable);
    throwsExactly(() => torch.cuda.emptyCache(), Error, /^cuda\.emptyCache: /, notAvailable);
    throwsExactly(() => torch.ones([2]).pinMemory(), Error, /^pinMemory: /, /CUDA, which is not available/);
  });

  test('torch.cuda.resetPeakMemoryStats on a CPU-only machine: "CUDA is not available"', {
    skip: cpuOnly,
  }, () => {
    throwsExactly(() => torch.cuda.resetPeakMemoryStats(), Error, /^cuda\.resetPeakMemoryStats: CUDA is not available/);
  });

  test('moving or creating tensors on CUDA on a CPU-only machine: "CUDA is not available"', { skip: cpuOnly }, () => {
    const t = torch.ones([2]);
    const notAvailable = /CUDA is not available/;
    throwsExactly(() => t.cuda(), Error, /^to: /, notAvailable);
    throwsExactly(() => t.to('cuda'), Error, /^to: /, notAvailable);
    throwsExactly(() => t.to('cuda:0'), Error, /^to: /, notAvailable);
    throwsExactly(() => torch.tensor([1, 2], { device: 'cuda' }), Error, /^tensor: /, notAvailable);
    throwsExactly(() => torch.zeros([2], { device: 'cuda' }), Error, /^zeros: /, notAvailable);
    throwsExactly(() => torch.randn([2], { device: 'cuda:0' }), Error, /^randn: /, notAvailable);
    throwsExactly(() => torch.arange(3, { device: 'cuda' }), Error, /^arange: /, notAvailable);
    throwsExactly(() => torch.zerosLike(t, { device: 'cuda:1' }), Error, /^zeros_like: /, notAvailable);
  });

  test('toArray() on int64 values beyond 2^53 is a RangeError; toTypedArray() is exact', () => {
    const big = torch.tensor(new BigInt64Array([2n ** 60n + 1n, 5n]));
    throwsExactly(
      () => big.toArray(),
      RangeError,
      /^toArray: 1152921504606846977 is beyond 2\^53 and has no exact JavaScript number; use toTypedArray\(\)$/,
    );
    const negative = torch.tensor(new BigInt64Array([-(2n ** 53n) - 1n]));
    throwsExactly(() => negative.toArray(), RangeError, /^toArray: -9007199254740993 is beyond 2\^53/);
    assert.deepEqual(Array.from(big.toTypedArray() as BigInt64Array), [2n ** 60n + 1n, 5n]);
    // 2^53 itself is exact.
    assert.deepEqual(torch.tensor(new BigInt64Array([2n ** 53n, -(2n ** 53n)])).toArray(), [2 ** 53, -(2 ** 53)]);
    // item() refuses too (an Error, where toArray gives a RangeError).
    assert.throws(() => big.at(0).item(), /^Error: item: 1152921504606846977 is beyond 2\^53/);
  });

  test('indexing with a 0-d bool tensor works as in Python (x[torch.tensor(True)])', {}, () => {
    const x = torch.arange(6, { dtype: 'float32' });
    assert.deepEqual(x.at(torch.tensor(true)).shape, [1, 6]);
    assert.deepEqual(x.at(torch.tensor(false)).shape, [0, 6]);
  });

  test('nested libtorch errors carry no C++ backtrace', {}, () => {
    throwsExactly(() => torch.ones([3, 3]).unflatten(1, [-2]), Error, /^unflatten: /, /invalid shape dimension -2/);
  });

  test('the process survives all of the above and still computes', () => {
    assert.equal(torch.ones([2, 2]).add(1).sum().item(), 8);
  });
});

// ---- the fuzz

const CHILD = fileURLToPath(new URL('./support/fuzz-child.js', import.meta.url));
// TORCH_NODE_FUZZ_SEEDS=7,8 reruns chosen seeds; TORCH_NODE_FUZZ_CALLS sets the calls per seed.
const SEEDS = (process.env.TORCH_NODE_FUZZ_SEEDS ?? '1,2,3,4').split(',').map(Number);
const CALLS = Number(process.env.TORCH_NODE_FUZZ_CALLS ?? 5000);

interface FuzzSummary {
  seed: number;
  targets: number;
  calls: number;
  returned: number;
  threw: number;
  byClass: Record<string, number>;
  check: number;
  notErrors: string[];
  noMessage: string[];
  backtraces: string[];
  internalAsserts: string[];
}

describe('fuzz: random garbage never crashes the process', () => {
  const summaries: FuzzSummary[] = [];

  for (const seed of SEEDS) {
    test(`seed ${seed}: ${CALLS} random calls each return or throw an Error`, (t) => {
      // The fuzz calls torch.save with garbage paths: let it write into a scratch folder.
      const cwd = mkdtempSync(join(tmpdir(), 'torch-node-fuzz-'));
      t.after(() => rmSync(cwd, { recursive: true, force: true }));
      // Under a 1 TiB address-space limit: the fuzz's huge sizes (2^40 elements and up) must fail
      // at once, and a host that overcommits memory (as the GPU machines do) would hand them
      // lazily mapped memory that the op then fills, for minutes.
      const r = spawnSync(
        '/bin/sh',
        ['-c', 'ulimit -v 1073741824 && exec "$0" "$@"', process.execPath, CHILD, String(seed), String(CALLS)],
        {
          cwd,
          encoding: 'utf8',
          timeout: 60_000,
          maxBuffer: 64 << 20,
        },
      );
      const lastCall = r.stderr
        .trimEnd()
        .split('\n')
        .filter((l) => l.startsWith('#'))
        .pop();
      const reproduce = `reproduce: node ${CHILD} ${seed} ${CALLS}`;
      if (r.signal || r.status !== 0) {
        const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
        const how = timedOut
          ? 'timed out after 60 s'
          : r.signal
            ? `was killed by ${r.signal}`
            : `exited with status ${r.status}`;
        const tail = r.stderr.trimEnd().split('\n').slice(-5).join('\n');
        assert.fail(`fuzz seed ${seed} ${how}; last call: ${lastCall}\n${reproduce}\n${tail}`);
      }
      const summary = JSON.parse(r.stdout.trim().split('\n').pop() as string) as FuzzSummary;
      summaries.push(summary);
      assert.equal(summary.calls, CALLS);
      assert.deepEqual(summary.notErrors, [], `seed ${seed}: throws that are not Errors (${reproduce})`);
      assert.deepEqual(summary.noMessage, [], `seed ${seed}: Errors without a message (${reproduce})`);
      assert.equal(summary.check, 8, 'torch still computes after the fuzz');
      t.diagnostic(
        `seed ${seed}: ${summary.targets} targets, ${summary.returned} returned, ${summary.threw} threw ` +
          `${JSON.stringify(summary.byClass)}`,
      );
      // Known, reported library issues: listed once per op and message, not failed on.
      const notes = new Map<string, string>();
      for (const m of [...summary.internalAsserts, ...summary.backtraces]) {
        const key = m.replace(/^#\d+ (\S+).*? -> (.{0,80}).*$/s, '$1: $2');
        if (!notes.has(key)) notes.set(key, m.split('\n')[0] as string);
      }
      for (const m of notes.values()) t.diagnostic(`note (known issue): ${m}`);
    });
  }

  test('at least 5000 calls in all', () => {
    const total = summaries.reduce((n, s) => n + s.calls, 0);
    assert.ok(total >= 5000, `only ${total} calls were made`);
  });
});
