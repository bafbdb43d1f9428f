// torch.inferenceMode, torch.isInferenceModeEnabled and tensor.isInference(): the mode's state
// inside and after fn (also when fn throws or returns a Promise), inference tensors, and
// PyTorch's errors when one is used with autograd later (checked against Python's messages).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../lib/index.js';
import { runPython, skipWithoutPython } from './support/python.js';

const f64 = (data: number[], requiresGrad = false): torch.Tensor =>
  torch.tensor(data, { dtype: 'float64', requiresGrad });

describe('inferenceMode', () => {
  test('fn runs in inference mode with grad off; the state comes back after', () => {
    const x = f64([1, 2, 3], true);
    assert.equal(torch.isInferenceModeEnabled(), false);
    let inside: [boolean, boolean] = [false, true];
    const y = torch.inferenceMode(() => {
      inside = [torch.isInferenceModeEnabled(), torch.isGradEnabled()];
      return x.mul(2);
    });
    assert.deepEqual(inside, [true, false]);
    assert.equal(torch.isInferenceModeEnabled(), false);
    assert.equal(torch.isGradEnabled(), true);
    assert.equal(y.isInference(), true);
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    assert.deepEqual(y.toArray(), [2, 4, 6]);
    assert.equal(x.isInference(), false);
    // A normal tensor stays normal, and a clone of an inference tensor made outside is normal.
    assert.equal(y.clone().isInference(), false);
  });

  test('mode: false inside inference mode turns it off for the inner fn', () => {
    const t = torch.inferenceMode(() =>
      torch.inferenceMode(
        () => {
          assert.equal(torch.isInferenceModeEnabled(), false);
          return torch.ones([2]);
        },
        { mode: false },
      ),
    );
    assert.equal(t.isInference(), false);
    assert.equal(torch.isInferenceModeEnabled(), false);
  });

  test('an error thrown by fn passes unchanged, and the mode is restored', () => {
    const boom = new RangeError('boom');
    assert.throws(
      () =>
        torch.inferenceMode(() => {
          throw boom;
        }),
      (e) => e === boom,
    );
    assert.equal(torch.isInferenceModeEnabled(), false);
    assert.equal(torch.isGradEnabled(), true);
  });

  test('a Promise-returning fn is refused, as noGrad does', () => {
    assert.throws(() => torch.inferenceMode(async () => 1), {
      name: 'TypeError',
      message: /inferenceMode: fn must be synchronous/,
    });
    assert.equal(torch.isInferenceModeEnabled(), false);
    assert.throws(() => torch.inferenceMode(3 as unknown as () => void), /inferenceMode: expected a function/);
  });

  test("an inference tensor used in autograd later gives PyTorch's errors", { skip: skipWithoutPython() }, () => {
    const expected = runPython<string[]>(`
out = []
with torch.inference_mode():
    y = torch.ones(3, dtype=torch.float64)
w = torch.ones(3, dtype=torch.float64, requires_grad=True)
for f in (lambda: (w * y).sum().backward(), lambda: y.requires_grad_(), lambda: y.add_(1)):
    try:
        f()
        out.append('no error')
    except RuntimeError as e:
        out.append(str(e))
OUTPUT = out
`);
    const y = torch.inferenceMode(() => torch.ones([3], { dtype: 'float64' }));
    const w = f64([1, 1, 1], true);
    const actual = [() => w.mul(y).sum().backward(), () => y.requiresGrad_(), () => y.add_(1)].map((f) => {
      try {
        f();
        return 'no error';
      } catch (e) {
        assert.ok(e instanceof Error);
        return e.message;
      }
    });
    assert.equal(actual.length, expected.length);
    actual.forEach((message, i) => {
      assert.notEqual(message, 'no error');
      assert.ok(message.endsWith(expected[i] as string), `${message}\nvs Python: ${expected[i]}`);
    });
    assert.match(actual[0] as string, /^mul: Inference tensors cannot be saved for backward/);
  });
});
