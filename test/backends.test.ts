// torch.backends.cudnn and torch.backends.cuda.matmul: the defaults Python torch reports, the
// setters round-tripping through libtorch's own globals, the tie between matmul.allowTf32 and
// torch.setFloat32MatmulPrecision step by step as Python shows it, and TypeErrors for
// non-booleans. (Their effect on CUDA results is in test/gpu/backends.test.ts.)
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import * as torch from '../lib/index.js';
import { runPython, skipWithoutPython } from './support/python.js';

const { cudnn } = torch.backends;
const { matmul } = torch.backends.cuda;

type Switches = {
  cudnn: [boolean, boolean, boolean, boolean];
  matmul: [boolean, boolean, boolean];
  precision: string;
  cudnnAvailable: boolean;
  cudnnVersion: number | null;
};

const ours = (): Switches => ({
  cudnn: [cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allowTf32],
  matmul: [matmul.allowTf32, matmul.allowFp16ReducedPrecisionReduction, matmul.allowBf16ReducedPrecisionReduction],
  precision: torch.getFloat32MatmulPrecision(),
  cudnnAvailable: cudnn.isAvailable(),
  cudnnVersion: cudnn.version(),
});

/** PyTorch's defaults, set back after every test (the process is the test file's own). */
function restoreDefaults(): void {
  cudnn.enabled = true;
  cudnn.benchmark = false;
  cudnn.deterministic = false;
  cudnn.allowTf32 = true;
  matmul.allowFp16ReducedPrecisionReduction = true;
  matmul.allowBf16ReducedPrecisionReduction = true;
  torch.setFloat32MatmulPrecision('highest');
}

describe('torch.backends.cudnn and cuda.matmul', () => {
  afterEach(restoreDefaults);

  test('the defaults are Python torch 2.13 ones', { skip: skipWithoutPython() }, () => {
    const python = runPython<Switches>(`
b = torch.backends
OUTPUT = {
  'cudnn': [b.cudnn.enabled, b.cudnn.benchmark, b.cudnn.deterministic, b.cudnn.allow_tf32],
  'matmul': [b.cuda.matmul.allow_tf32, b.cuda.matmul.allow_fp16_reduced_precision_reduction,
             b.cuda.matmul.allow_bf16_reduced_precision_reduction],
  'precision': torch.get_float32_matmul_precision(),
  'cudnnAvailable': b.cudnn.is_available(),
  'cudnnVersion': b.cudnn.version(),
}`);
    assert.deepEqual(ours(), python);
    // And PyTorch's documented values, in case the oracle's own state was changed.
    assert.deepEqual(ours().cudnn, [true, false, false, true]);
    assert.deepEqual(ours().matmul, [false, true, true]);
  });

  test('each switch round-trips through libtorch and leaves the others alone', () => {
    const before = ours();
    cudnn.benchmark = true;
    assert.deepEqual(ours(), { ...before, cudnn: [true, true, false, true] });
    cudnn.deterministic = true;
    cudnn.enabled = false;
    cudnn.allowTf32 = false;
    assert.deepEqual(ours().cudnn, [false, true, true, false]);
    matmul.allowFp16ReducedPrecisionReduction = false;
    assert.deepEqual(ours().matmul, [false, false, true]);
    matmul.allowBf16ReducedPrecisionReduction = false;
    assert.deepEqual(ours().matmul, [false, false, false]);
    matmul.allowFp16ReducedPrecisionReduction = true;
    assert.deepEqual(ours().matmul, [false, true, false]);
    // useDeterministicAlgorithms is a different switch from cudnn.deterministic, as in PyTorch.
    assert.equal(torch.areDeterministicAlgorithmsEnabled(), false);
  });

  test('matmul.allowTf32 and the float32 matmul precision read back as in Python, step by step', {
    skip: skipWithoutPython(),
  }, () => {
    const steps: [string, boolean | string][] = [
      ['tf32', true],
      ['precision', 'medium'],
      ['precision', 'highest'],
      ['precision', 'high'],
      ['tf32', false], // over 'high': PyTorch then refuses to name one precision
      ['precision', 'medium'],
      ['tf32', false],
      ['precision', 'highest'],
      ['tf32', true],
      ['tf32', false],
    ];
    const read = (): [boolean, string] => {
      try {
        return [matmul.allowTf32, torch.getFloat32MatmulPrecision()];
      } catch (e) {
        assert.match((e as Error).message, /^getFloat32MatmulPrecision: PyTorch is checking the matmul precision/);
        return [matmul.allowTf32, 'error'];
      }
    };
    const got = [read()];
    for (const [what, value] of steps) {
      if (what === 'tf32') matmul.allowTf32 = value as boolean;
      else torch.setFloat32MatmulPrecision(value as torch.Float32MatmulPrecision);
      got.push(read());
    }
    const python = runPython<[boolean, string][]>(
      `
m = torch.backends.cuda.matmul
def read():
    try:
        return [m.allow_tf32, torch.get_float32_matmul_precision()]
    except RuntimeError:
        return [m.allow_tf32, 'error']
OUTPUT = [read()]
try:
    for what, value in INPUT:
        if what == 'tf32':
            m.allow_tf32 = value
        else:
            torch.set_float32_matmul_precision(value)
        OUTPUT.append(read())
finally:
    torch.set_float32_matmul_precision('highest')  # the oracle is shared: leave it clean
`,
      steps,
    );
    assert.deepEqual(got, python);
    assert.ok(got.some(([, p]) => p === 'error'));
  });

  test('a value that is not a boolean is a TypeError naming the switch, and changes nothing', () => {
    const before = ours();
    const cases: [object, string, string][] = [
      [cudnn, 'enabled', 'cudnn.enabled'],
      [cudnn, 'benchmark', 'cudnn.benchmark'],
      [cudnn, 'deterministic', 'cudnn.deterministic'],
      [cudnn, 'allowTf32', 'cudnn.allowTf32'],
      [matmul, 'allowTf32', 'cuda.matmul.allowTf32'],
      [matmul, 'allowFp16ReducedPrecisionReduction', 'cuda.matmul.allowFp16ReducedPrecisionReduction'],
      [matmul, 'allowBf16ReducedPrecisionReduction', 'cuda.matmul.allowBf16ReducedPrecisionReduction'],
    ];
    for (const [obj, key, name] of cases) {
      for (const bad of [1, 'yes', null]) {
        assert.throws(
          () => {
            (obj as Record<string, unknown>)[key] = bad;
          },
          {
            name: 'TypeError',
            message: new RegExp(`^torch\\.backends\\.${name.replace(/\./g, '\\.')}: expected a boolean, got `),
          },
        );
      }
    }
    assert.deepEqual(ours(), before);
  });
});
