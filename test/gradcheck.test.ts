// torch.autograd.gradcheck and gradgradcheck in float64: ops pass (one and several inputs and
// outputs, non-tensor arguments, forward AD too); deliberately wrong custom Functions fail with
// an error naming the output and input and the largest difference, or return false with
// raiseException false; and PyTorch's verdicts agree on the same functions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../lib/index.js';
import { runPython, skipWithoutPython } from './support/python.js';

type Tensor = torch.Tensor;
type Ctx = torch.autograd.FunctionCtx;
const { gradcheck, gradgradcheck, GradcheckError } = torch.autograd;
const f64 = (data: number[] | number[][], requiresGrad = true): Tensor =>
  torch.tensor(data as number[], { dtype: 'float64', requiresGrad });

// d/dx x^3 is 3x^2; this backward says 2x^2.
class WrongCube extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.pow(3);
  }
  static override backward(ctx: Ctx, g: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return g.mul(x!.pow(2).mul(2));
  }
}

// Right first derivative, but backward is written with detached values: its own derivative is 0.
class OpaqueSquare extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.mul(x);
  }
  static override backward(ctx: Ctx, g: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return g.mul(x!.detach().mul(2));
  }
}

// Right on the diagonal, wrong for the second input only.
class WrongSecond extends torch.autograd.Function {
  static override forward(_ctx: Ctx, a: Tensor, b: Tensor): Tensor {
    return a.add(b.mul(3));
  }
  static override backward(_ctx: Ctx, g: Tensor): Tensor[] {
    return [g, g.mul(2)];
  }
}

// Ignores grad_output: correct only where grad_output is all ones.
class IgnoresGradOutput extends torch.autograd.Function {
  static override forward(_ctx: Ctx, x: Tensor): Tensor {
    return x.sum();
  }
  static override backward(_ctx: Ctx, _g: Tensor): Tensor {
    return torch.ones([3], { dtype: 'float64' });
  }
}

// Right on average, but each backward adds a little noise: not reentrant.
class Noisy extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.mul(x);
  }
  static override backward(ctx: Ctx, g: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return g.mul(x!.mul(2)).add(torch.randnLike(g).mul(1e-9));
  }
}

describe('gradcheck', () => {
  test('ops pass: one and several inputs and outputs, non-tensor arguments', () => {
    const x = f64([0.3, -1.2, 0.8]);
    const m = f64([
      [0.5, 1.5],
      [-0.7, 0.2],
      [1.1, -0.4],
    ]);
    assert.equal(
      gradcheck((t: Tensor) => t.sin().mul(t), x),
      true,
    );
    assert.equal(
      gradcheck((t: Tensor, w: Tensor) => t.matmul(w).tanh(), [x, m]),
      true,
    );
    assert.equal(
      gradcheck((t: Tensor, w: Tensor) => [t.exp(), t.matmul(w), t.sum()], [x, m]),
      true,
    );
    assert.equal(
      gradcheck((t: Tensor, k: number) => t.pow(k), [x, 3]),
      true,
    );
    // A tensor input that does not require grad is passed as it is.
    assert.equal(
      gradcheck((t: Tensor, w: Tensor) => t.matmul(w), [x, m.detach()]),
      true,
    );
    assert.equal(
      gradcheck((t: Tensor) => t.softmax(0).log(), x, { checkForwardAd: true }),
      true,
    );
    assert.equal(
      gradgradcheck((t: Tensor) => t.sin().mul(t), x),
      true,
    );
    assert.equal(
      gradgradcheck((t: Tensor, w: Tensor) => t.matmul(w).tanh(), [x, m]),
      true,
    );
    assert.equal(
      gradgradcheck((t: Tensor) => t.pow(3), x, [f64([1, -2, 0.5], false)]),
      true,
    );
    assert.equal(
      gradgradcheck((t: Tensor) => t.exp(), x, { genNonContigGradOutputs: true }),
      true,
    );
  });

  test('a wrong backward fails, naming the output and input and the largest difference', () => {
    const x = f64([0.5, -1, 2]);
    let message = '';
    assert.throws(
      () => gradcheck((t: Tensor) => WrongCube.apply(t), x),
      (e) => {
        assert.ok(e instanceof GradcheckError);
        message = e.message;
        return true;
      },
    );
    // The largest error is at x = 2: analytical 2*4 = 8 against numerical 3*4 = 12.
    assert.match(
      message,
      /^gradcheck: Jacobian mismatch for output 0 with respect to input 0: max \|analytical - numerical\| = 4\.0\d* at input element 2, output element 2 /,
    );
    assert.match(message, /numerical:/);
    assert.match(message, /analytical:/);
    assert.equal(
      gradcheck((t: Tensor) => WrongCube.apply(t), x, { raiseException: false }),
      false,
    );

    assert.throws(() => gradcheck((a: Tensor, b: Tensor) => WrongSecond.apply(a, b), [f64([1, 2]), f64([3, 4])]), {
      message:
        /Jacobian mismatch for output 0 with respect to input 1: max \|analytical - numerical\| = (0\.9999|1\.0)/,
    });
    assert.throws(() => gradcheck((t: Tensor) => IgnoresGradOutput.apply(t), x), {
      message: /backward not multiplied by grad_output/,
    });
  });

  test('a backward that gives different results on the same inputs is not reentrant', () => {
    const x = f64([0.5, -1, 2]);
    assert.throws(() => gradcheck((t: Tensor) => Noisy.apply(t), x), {
      name: 'GradcheckError',
      message: /^gradcheck: Backward is not reentrant.*The tolerance for nondeterminism was 0\./,
    });
    assert.equal(
      gradcheck((t: Tensor) => Noisy.apply(t), x, { nondetTol: 1e-6 }),
      true,
    );
  });

  test('gradgradcheck catches a backward that is not differentiable', () => {
    const x = f64([0.5, -1, 2]);
    assert.equal(
      gradcheck((t: Tensor) => OpaqueSquare.apply(t), x),
      true,
    );
    assert.throws(
      () => gradgradcheck((t: Tensor) => OpaqueSquare.apply(t), x),
      (e) => {
        assert.ok(e instanceof GradcheckError);
        assert.match(
          e.message,
          /^gradgradcheck: Jacobian mismatch for output 0 with respect to input 0: max \|analytical - numerical\| = \d/,
        );
        return true;
      },
    );
    assert.equal(
      gradgradcheck((t: Tensor) => OpaqueSquare.apply(t), x, { raiseException: false }),
      false,
    );
  });

  test('tolerances: a loose enough atol lets the wrong cube pass', () => {
    const x = f64([0.1, -0.1]);
    // Difference x^2 = 0.01 at most.
    assert.equal(
      gradcheck((t: Tensor) => WrongCube.apply(t), x, { raiseException: false }),
      false,
    );
    assert.equal(
      gradcheck((t: Tensor) => WrongCube.apply(t), x, { atol: 0.011, rtol: 0 }),
      true,
    );
  });

  test('argument errors and the float32 warning', async () => {
    assert.throws(
      () => gradcheck((t: Tensor) => t.sin(), f64([1], false)),
      /expects at least one input tensor to require gradient/,
    );
    assert.throws(() => gradcheck((t: Tensor) => t.sin(), f64([1]).expand([3]).detach().requiresGrad_()), /stride 0/);
    assert.throws(() => gradcheck(3 as never, f64([1])), TypeError);
    // A function that only has non-differentiable outputs must have a zero numerical gradient.
    assert.equal(
      gradcheck((t: Tensor) => t.detach().mul(0), f64([1, 2])),
      true,
    );
    assert.throws(
      () => gradcheck((t: Tensor) => t.detach().mul(1), f64([1, 2])),
      /Numerical gradient for function expected to be zero/,
    );
    const warnings: string[] = [];
    const on = (w: Error): void => {
      warnings.push(w.message);
    };
    process.on('warning', on);
    try {
      gradcheck((t: Tensor) => t.mul(2), torch.tensor([1, 2], { dtype: 'float32', requiresGrad: true }), {
        eps: 1e-3,
        atol: 1e-2,
      });
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', on);
    }
    assert.ok(
      warnings.some((w) => /input #0 requires gradient and is not a double precision/.test(w)),
      JSON.stringify(warnings),
    );
  });

  test('leaves no tensors behind', () => {
    const x = f64([0.3, -1.2, 0.8]);
    const run = (): void => {
      gradcheck((t: Tensor) => t.sin().mul(t), x);
      gradgradcheck((t: Tensor) => t.exp(), x);
      gradcheck((t: Tensor) => WrongCube.apply(t), x, { raiseException: false });
    };
    run();
    const before = torch.memory().tensors;
    run();
    assert.equal(torch.memory().tensors, before);
  });

  test("PyTorch's verdicts on the same functions agree", { skip: skipWithoutPython() }, () => {
    const expected = runPython<boolean[]>(`
from torch.autograd import gradcheck, gradgradcheck, Function
class WrongCube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x); return x.pow(3)
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors; return g * x.pow(2) * 2
class OpaqueSquare(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x); return x * x
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors; return g * (x.detach() * 2)
x = torch.tensor([0.5, -1, 2], dtype=torch.float64, requires_grad=True)
y = torch.tensor([0.1, -0.1], dtype=torch.float64, requires_grad=True)
OUTPUT = [
    gradcheck(lambda t: t.sin() * t, x),
    gradcheck(WrongCube.apply, x, raise_exception=False),
    gradcheck(OpaqueSquare.apply, x),
    gradgradcheck(OpaqueSquare.apply, x, raise_exception=False),
    gradcheck(WrongCube.apply, y, raise_exception=False),
    gradcheck(WrongCube.apply, y, atol=0.011, rtol=0),
]
`);
    const x = f64([0.5, -1, 2]);
    const y = f64([0.1, -0.1]);
    const actual = [
      gradcheck((t: Tensor) => t.sin().mul(t), x),
      gradcheck((t: Tensor) => WrongCube.apply(t), x, { raiseException: false }),
      gradcheck((t: Tensor) => OpaqueSquare.apply(t), x),
      gradgradcheck((t: Tensor) => OpaqueSquare.apply(t), x, { raiseException: false }),
      gradcheck((t: Tensor) => WrongCube.apply(t), y, { raiseException: false }),
      gradcheck((t: Tensor) => WrongCube.apply(t), y, { atol: 0.011, rtol: 0 }),
    ];
    assert.deepEqual(actual, expected);
  });
});
