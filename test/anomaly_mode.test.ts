// Anomaly detection: torch.autograd.setDetectAnomaly, isAnomalyEnabled, isAnomalyCheckNanEnabled
// and detectAnomaly(fn): a backward that produces NaN fails with PyTorch's message (checked
// against Python's), for built-in ops and custom Functions, and the mode is restored after.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import * as torch from '../lib/index.js';
import { runPython, skipWithoutPython } from './support/python.js';

type Tensor = torch.Tensor;
const f64 = (data: number[], requiresGrad = false): Tensor => torch.tensor(data, { dtype: 'float64', requiresGrad });

// 0 * sqrt(x) at x = 0: the gradient of sqrt is inf there, times 0 gives NaN.
const firstGrad = (x: Tensor): number => ((x.grad as Tensor).toArray() as number[])[0] as number;
const nanBackward = (x: Tensor): void => x.sqrt().mul(0).sum().backward();

describe('anomaly detection', () => {
  afterEach(() => torch.autograd.setDetectAnomaly(false));

  test('setDetectAnomaly and the queries', () => {
    assert.equal(torch.autograd.isAnomalyEnabled(), false);
    torch.autograd.setDetectAnomaly(true);
    assert.equal(torch.autograd.isAnomalyEnabled(), true);
    assert.equal(torch.autograd.isAnomalyCheckNanEnabled(), true);
    torch.autograd.setDetectAnomaly(true, { checkNan: false });
    assert.equal(torch.autograd.isAnomalyCheckNanEnabled(), false);
    torch.autograd.setDetectAnomaly(false);
    assert.equal(torch.autograd.isAnomalyEnabled(), false);
    assert.throws(() => torch.autograd.setDetectAnomaly('yes' as unknown as boolean), TypeError);
  });

  test("a NaN in backward fails with PyTorch's message, naming the function", { skip: skipWithoutPython() }, () => {
    const expected = runPython<string>(`
x = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
import warnings
warnings.simplefilter('ignore')
try:
    with torch.autograd.detect_anomaly():
        x.sqrt().mul(0).sum().backward()
    OUTPUT = 'no error'
except RuntimeError as e:
    OUTPUT = str(e)
`);
    assert.equal(expected, "Function 'SqrtBackward0' returned nan values in its 0th output.");
    const x = f64([0, 1], true);
    assert.throws(
      () => torch.autograd.detectAnomaly(() => nanBackward(x)),
      (e) => e instanceof Error && e.message === `backward: ${expected}`,
    );
    assert.equal(torch.autograd.isAnomalyEnabled(), false, 'restored after the error');
    // autograd.grad too.
    assert.throws(
      () => torch.autograd.detectAnomaly(() => torch.autograd.grad(x.sqrt().mul(0).sum(), x)),
      /autograd\.grad: Function 'SqrtBackward0' returned nan values in its 0th output\./,
    );
  });

  test('without anomaly mode, or with checkNan false, the NaN goes into the gradient', () => {
    const x = f64([0, 1], true);
    nanBackward(x);
    assert.ok(Number.isNaN(firstGrad(x)));
    x.grad = null;
    torch.autograd.detectAnomaly(() => nanBackward(x), { checkNan: false });
    assert.ok(Number.isNaN(firstGrad(x)));
  });

  test("a custom Function's backward that returns NaN is named", () => {
    class Bad extends torch.autograd.Function {
      static override forward(_ctx: torch.autograd.FunctionCtx, t: Tensor): Tensor {
        return t.mul(2);
      }
      static override backward(_ctx: torch.autograd.FunctionCtx, g: Tensor): Tensor {
        return g.mul(Number.NaN);
      }
    }
    const x = f64([1, 2], true);
    torch.autograd.setDetectAnomaly(true);
    assert.throws(() => Bad.apply(x).sum().backward(), {
      message: "backward: Function 'BadBackward' returned nan values in its 0th output.",
    });
  });

  test('the engine\'s "Error detected in" report becomes a process warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.message);
    };
    process.on('warning', onWarning);
    try {
      const x = f64([0, 1], true);
      assert.throws(() => torch.autograd.detectAnomaly(() => nanBackward(x)));
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    const report = warnings.find((m) => m.startsWith('Error detected in SqrtBackward0.'));
    assert.ok(report, `warnings: ${JSON.stringify(warnings)}`);
    assert.doesNotMatch(report, /frame #/);
  });

  test('detectAnomaly refuses an async fn and restores the mode', () => {
    torch.autograd.setDetectAnomaly(true, { checkNan: false });
    assert.throws(() => torch.autograd.detectAnomaly(async () => 1), TypeError);
    assert.equal(torch.autograd.isAnomalyEnabled(), true);
    assert.equal(torch.autograd.isAnomalyCheckNanEnabled(), false);
  });
});
