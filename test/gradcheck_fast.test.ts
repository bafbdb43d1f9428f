// gradcheck and gradgradcheck with fastMode: true (PyTorch's fast_mode=True). Correct functions
// pass (matmul, sigmoid, conv2d; backward, forward AD, second order); wrong derivatives fail with
// PyTorch's message layout and numbers; and the products v^T J u themselves, with the vectors u
// and v, are the ones PyTorch's own fast-mode code computes for the same function and inputs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../lib/index.js';
import * as fast from '../lib/torch/autograd/gradcheck_fast.js';
import { runPython, skipWithoutPython } from './support/python.js';

type Tensor = torch.Tensor;
type Ctx = torch.autograd.FunctionCtx;
const { gradcheck, gradgradcheck, GradcheckError } = torch.autograd;
const F = torch.nn.functional;

// Deterministic, irregular values (also sent to Python, exactly, as JSON numbers).
const values = (n: number, phase: number): number[] => Array.from({ length: n }, (_, k) => Math.sin(0.7 * k + phase));
const f64 = (data: number[], shape: number[], requiresGrad = true): Tensor =>
  torch.tensor(data, { dtype: 'float64' }).reshape(shape).requiresGrad_(requiresGrad);

const X = values(6, 0.3);
const W = values(6, 1.1);
const CX = values(32, 0.2);
const CW = values(24, 2.5);

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

// Right first derivative, but written with detached values: its own derivative is 0.
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

// Within rtol = 1e-3 of the Jacobian diag(1, -1) element by element, but not along every direction:
// slow mode passes, and fast mode (whose products cancel) does not.
class Skewed extends torch.autograd.Function {
  static override forward(_ctx: Ctx, x: Tensor): Tensor {
    return x.mul(torch.tensor([1, -1], { dtype: 'float64' }));
  }
  static override backward(_ctx: Ctx, g: Tensor): Tensor {
    return g.mul(torch.tensor([1.0009, -0.9991], { dtype: 'float64' }));
  }
}

// The value is x^3, but the graph (backward and forward AD alike) only sees x * const: x^2.
const detachedCube = (t: Tensor): Tensor => t.mul(t.detach().square());

const PY_DEFS = `
import importlib
# The module, which torch.autograd's gradcheck function shadows as an attribute.
gc = importlib.import_module('torch.autograd.gradcheck')
import torch.nn.functional as F
from torch.autograd import Function, gradcheck, gradgradcheck
class WrongCube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x); return x.pow(3)
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors; return g * (x.pow(2) * 2)
class OpaqueSquare(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x); return x * x
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors; return g * (x.detach() * 2)
class Skewed(Function):
    @staticmethod
    def forward(ctx, x): return x * torch.tensor([1., -1.], dtype=torch.float64)
    @staticmethod
    def backward(ctx, g): return g * torch.tensor([1.0009, -0.9991], dtype=torch.float64)
def f64(data, shape, rg=True):
    return torch.tensor(data, dtype=torch.float64).reshape(shape).requires_grad_(rg)
def message(fn):
    try:
        fn()
        return None
    except gc.GradcheckError as e:
        return str(e)
`;

// The parts of a fast-mode failure message that carry numbers: the header with the two products,
// the slow mode's two Jacobians and their largest difference (the prose between is our own).
function numberParts(message: string): string[] {
  const header = /Jacobian (?:computed with forward mode )?mismatch[\s\S]*?\nanalytical:[^\n]*\n/.exec(message)?.[0];
  const slow = /\nNumerical:\n[\s\S]*?\n\nThe max per-element difference \(slow mode\) is: [^\n]*\n/.exec(message)?.[0];
  assert.ok(header && slow, message);
  return [header, slow];
}

describe('gradcheck fastMode', () => {
  test('correct functions pass: matmul, sigmoid, conv2d, forward AD, second order', () => {
    const x = f64(X, [2, 3]);
    const w = f64(W, [3, 2]);
    const cx = f64(CX, [1, 2, 4, 4]);
    const cw = f64(CW, [3, 2, 2, 2]);
    const fastOnly = { fastMode: true };
    const both = { fastMode: true, checkForwardAd: true };
    assert.equal(
      gradcheck((a: Tensor, b: Tensor) => a.matmul(b), [x, w], both),
      true,
    );
    assert.equal(
      gradcheck((a: Tensor) => a.sigmoid(), x, both),
      true,
    );
    assert.equal(
      gradcheck((a: Tensor, k: Tensor) => F.conv2d(a, k, { padding: 1 }), [cx, cw], both),
      true,
    );
    // Several outputs, and an input that does not require grad.
    assert.equal(
      gradcheck((a: Tensor, b: Tensor) => [a.matmul(b).sigmoid(), a.sin()], [x, w.detach()], fastOnly),
      true,
    );
    assert.equal(
      gradgradcheck((a: Tensor, b: Tensor) => a.matmul(b).sigmoid(), [x, w], fastOnly),
      true,
    );
    assert.equal(
      gradgradcheck((a: Tensor, k: Tensor) => F.conv2d(a, k).tanh(), [cx, cw], fastOnly),
      true,
    );
  });

  test('a wrong backward fails with the products and the slow-mode Jacobians', () => {
    const x = f64([0.5, -1, 2], [3]);
    let message = '';
    assert.throws(
      () => gradcheck((t: Tensor) => WrongCube.apply(t), x, { fastMode: true }),
      (e) => {
        assert.ok(e instanceof GradcheckError);
        message = e.message;
        return true;
      },
    );
    // PyTorch's numbers, worked out by its own code for these inputs (see the parity test below).
    assert.ok(
      message.startsWith(
        'gradcheck: Jacobian mismatch for output 0 with respect to input 0,\nnumerical:4.113947062416877\nanalytical:2.7426313747765216\n',
      ),
      message,
    );
    // The slow mode's Jacobians: diag(3x^2) from differences against diag(2x^2) from backward.
    assert.match(message, /Numerical:\n tensor\(\[\[ 0\.7500, {2}0\.0000, {2}0\.0000\],\n {8}\[ 0\.0000, {2}3\.0000/);
    assert.match(message, /Analytical:\ntensor\(\[\[0\.5000, 0\.0000, 0\.0000\],/);
    assert.match(message, /The max per-element difference \(slow mode\) is: 4\.000000000345068\.\n/);
    assert.equal(
      gradcheck((t: Tensor) => WrongCube.apply(t), x, { fastMode: true, raiseException: false }),
      false,
    );
    // Both modes agree here; the default stays slow mode, and its message is its own.
    assert.throws(() => gradcheck((t: Tensor) => WrongCube.apply(t), x), { message: /max \|analytical - numerical\|/ });
  });

  test('forward AD: J u from dual tensors against the finite differences', () => {
    const x = f64([0.5, -1, 2], [3]);
    assert.throws(() => gradcheck(detachedCube, x, { fastMode: true, checkForwardAd: true, checkBackwardAd: false }), {
      name: 'GradcheckError',
      message:
        /^gradcheck: Jacobian computed with forward mode mismatch for output 0 with respect to input 0,\nnumerical:tensor\(\[/,
    });
    assert.equal(
      gradcheck(detachedCube, x, {
        fastMode: true,
        checkForwardAd: true,
        checkBackwardAd: false,
        raiseException: false,
      }),
      false,
    );
  });

  test('gradgradcheck: a backward that is not differentiable fails', () => {
    const x = f64([0.5, -1, 2], [3]);
    assert.equal(
      gradcheck((t: Tensor) => OpaqueSquare.apply(t), x, { fastMode: true }),
      true,
    );
    const g = f64([0.3, -0.8, 1.1], [3]);
    assert.throws(() => gradgradcheck((t: Tensor) => OpaqueSquare.apply(t), x, [g], { fastMode: true }), {
      name: 'GradcheckError',
      message: /^gradgradcheck: Jacobian mismatch for output 0 with respect to input 0,\nnumerical:/,
    });
    assert.equal(
      gradgradcheck((t: Tensor) => OpaqueSquare.apply(t), x, [g], { fastMode: true, raiseException: false }),
      false,
    );
  });

  test('no differentiable output: J u must be zero; backward must scale with grad_output', () => {
    assert.equal(
      gradcheck((t: Tensor) => t.detach().mul(0), f64([1, 2], [2]), { fastMode: true }),
      true,
    );
    assert.throws(() => gradcheck((t: Tensor) => t.detach().mul(1), f64([1, 2], [2]), { fastMode: true }), {
      message: /Numerical gradient for function expected to be zero/,
    });
    class IgnoresGradOutput extends torch.autograd.Function {
      static override forward(_ctx: Ctx, t: Tensor): Tensor {
        return t.mul(2);
      }
      static override backward(_ctx: Ctx, _g: Tensor): Tensor {
        return torch.full([2], 2, { dtype: 'float64' });
      }
    }
    // Its v^T J ignores v (2 u.sum() against 2 v.u): the products disagree.
    assert.throws(() => gradcheck((t: Tensor) => IgnoresGradOutput.apply(t), f64([1, 2], [2]), { fastMode: true }), {
      name: 'GradcheckError',
    });
  });

  test('a backward that differs between runs is not reentrant; a throwing function leaves the input as it was', () => {
    class Noisy extends torch.autograd.Function {
      static override forward(_ctx: Ctx, t: Tensor): Tensor {
        return t.mul(2);
      }
      static override backward(_ctx: Ctx, g: Tensor): Tensor {
        return g.mul(2).add(torch.randnLike(g).mul(1e-9));
      }
    }
    const x = f64([0.5, -1, 2], [3]);
    assert.throws(() => gradcheck((t: Tensor) => Noisy.apply(t), x, { fastMode: true }), {
      name: 'GradcheckError',
      message: /^gradcheck: Backward is not reentrant.*The tolerance for nondeterminism was 0\./,
    });
    assert.equal(
      gradcheck((t: Tensor) => Noisy.apply(t), x, { fastMode: true, nondetTol: 1e-6 }),
      true,
    );
    let calls = 0;
    const failsWhenPerturbed = (t: Tensor): Tensor => {
      calls += 1;
      if (calls > 1) throw new Error('perturbed');
      return t.sin();
    };
    assert.throws(() => gradcheck(failsWhenPerturbed, x, { fastMode: true }), /perturbed/);
    assert.deepEqual(x.toArray(), [0.5, -1, 2]);
  });

  test('the vectors are the same whatever the global seed, and nothing is left behind', () => {
    const x = f64(X, [2, 3]);
    const w = f64(W, [3, 2]);
    const products = (): number[] =>
      torch.scope(() => {
        const func = (a: Tensor, b: Tensor): Tensor => a.matmul(b).sigmoid();
        const ctx = context(func, [x, w]);
        const { u, v } = fast.makeVectors(ctx, true);
        const p = fast.backwardProducts(ctx, u, v);
        return [...p.numerical.flat(), ...p.analytical.flat()].map((t) => t.item() as number);
      });
    torch.manualSeed(1);
    const first = products();
    torch.manualSeed(2);
    torch.rand([10]).dispose();
    assert.deepEqual(products(), first);
    const run = (): void => {
      gradcheck((a: Tensor, b: Tensor) => a.matmul(b), [x, w], { fastMode: true, checkForwardAd: true });
      gradcheck((t: Tensor) => WrongCube.apply(t), x, { fastMode: true, raiseException: false });
      gradgradcheck((a: Tensor) => a.sigmoid(), x, { fastMode: true });
    };
    run();
    const before = torch.memory().tensors;
    run();
    assert.equal(torch.memory().tensors, before);
  });

  test("the products, vectors and verdicts are PyTorch's", { skip: skipWithoutPython() }, () => {
    const py = runPython<{
      u: number[][];
      v: number[][];
      numerical: number[][];
      analytical: number[][];
      conv: number[][];
      forward: { numerical: number[][]; analytical: number[][] };
      f32: number[];
      verdicts: boolean[];
      messages: string[];
    }>(
      `${PY_DEFS}
X, W, CX, CW = INPUT
x = f64(X, [2, 3]); w = f64(W, [3, 2]); cx = f64(CX, [1, 2, 4, 4]); cw = f64(CW, [3, 2, 2, 2])
def products(func, inputs, eps=1e-6):
    out = gc._as_tuple(func(*inputs))
    idx, inp = gc._get_inp_tensors(inputs)
    all_v, all_u, dense_u = gc._make_vectors(inp, out, use_forward_ad=False)
    n = gc._get_numerical_vJu(func, inputs, idx, out, all_u, all_v, eps, False)
    a = gc._get_analytical_vJu_backward_mode(inputs, out, 0.0, False, all_v, dense_u)
    return all_u, all_v, [[t.item() for t in r] for r in n], [[a[j][i].item() for j in range(len(out))] for i in range(len(inp))]
two = lambda a, b: (a.matmul(b).sigmoid(), a.sin())
u, v, n, a = products(two, (x, w))
conv = products(lambda a, k: F.conv2d(a, k, padding=1), (cx, cw))
# forward AD: J u per input and output
sig = lambda a, b: a.matmul(b).sigmoid()
_, fu, _ = gc._make_vectors([x, w], None, use_forward_ad=True)
fn = gc._get_numerical_vJu(sig, (x, w), [0, 1], sig(x, w), fu, None, 1e-6, True)
fa = gc._get_analytical_jacobian_forward_ad(sig, (x, w), (sig(x, w),), all_u=fu)
x32 = x.detach().float().requires_grad_()
f32 = products(lambda a: a.tanh(), (x32,), eps=1e-3)
g = f64([0.3, -0.8, 1.1], [3])
y = f64([0.5, -1, 2], [3])
OUTPUT = dict(
    u=[t.tolist() for t in u], v=[t.tolist() for t in v], numerical=n, analytical=a,
    conv=conv[2] + conv[3],
    forward=dict(numerical=[t.tolist() for r in fn for t in r], analytical=[fa[i][0].tolist() for i in range(2)]),
    f32=f32[2][0] + f32[3][0],
    verdicts=[
        gradcheck(sig, (x, w), fast_mode=True, check_forward_ad=True),
        gradcheck(WrongCube.apply, y, fast_mode=True, raise_exception=False),
        gradcheck(OpaqueSquare.apply, y, fast_mode=True),
        gradgradcheck(OpaqueSquare.apply, y, (g,), fast_mode=True, raise_exception=False),
        gradcheck(WrongCube.apply, f64([0.1, -0.1], [2]), fast_mode=True, atol=0.011, rtol=0, raise_exception=False),
        gradgradcheck(lambda a, k: F.conv2d(a, k).tanh(), (cx, cw), fast_mode=True),
        gradcheck(Skewed.apply, f64([0.3, 0.7], [2])),
        gradcheck(Skewed.apply, f64([0.3, 0.7], [2]), fast_mode=True, raise_exception=False),
    ],
    messages=[
        message(lambda: gradcheck(WrongCube.apply, y, fast_mode=True)),
        message(lambda: gradcheck(lambda t: t * t.detach().square(), y, fast_mode=True, check_forward_ad=True, check_backward_ad=False)),
        message(lambda: gradgradcheck(OpaqueSquare.apply, y, (g,), fast_mode=True)),
        message(lambda: gradcheck(Skewed.apply, f64([0.3, 0.7], [2]), fast_mode=True)),
    ],
)
`,
      [X, W, CX, CW],
    );
    const x = f64(X, [2, 3]);
    const w = f64(W, [3, 2]);
    const cx = f64(CX, [1, 2, 4, 4]);
    const cw = f64(CW, [3, 2, 2, 2]);
    torch.scope(() => {
      // Backward mode, two inputs and two outputs: bit for bit.
      const ctx = context((a: Tensor, b: Tensor) => [a.matmul(b).sigmoid(), a.sin()], [x, w]);
      const { u, v } = fast.makeVectors(ctx, true);
      assert.deepEqual(
        u.map((t) => t.toArray()),
        py.u,
      );
      assert.deepEqual(
        v.map((t) => t.toArray()),
        py.v,
      );
      const p = fast.backwardProducts(ctx, u, v);
      assert.deepEqual(p.numerical.map(items), py.numerical);
      assert.deepEqual(p.analytical.map(items), py.analytical);

      const conv = context((a: Tensor, k: Tensor) => F.conv2d(a, k, { padding: 1 }), [cx, cw]);
      const cv = fast.makeVectors(conv, true);
      const cp = fast.backwardProducts(conv, cv.u, cv.v);
      assert.deepEqual([...cp.numerical.map(items), ...cp.analytical.map(items)], py.conv);

      // Forward AD: the vectors J u themselves.
      const sig = context((a: Tensor, b: Tensor) => a.matmul(b).sigmoid(), [x, w]);
      const fu = fast.makeVectors(sig, false).u;
      const fp = fast.forwardProducts(sig, fu);
      assert.deepEqual(
        fp.numerical.flat().map((t) => t.toArray()),
        py.forward.numerical,
      );
      assert.deepEqual(
        fp.analytical.map((r) => (r[0] as Tensor).toArray()),
        py.forward.analytical,
      );

      // float32: u drawn, perturbed and reduced in float32 as PyTorch does.
      const x32 = x.detach().float().requiresGrad_();
      const tanh = { ...context((a: Tensor) => a.tanh(), [x32]), eps: 1e-3 };
      const tv = fast.makeVectors(tanh, true);
      const tp = fast.backwardProducts(tanh, tv.u, tv.v);
      assert.deepEqual([...items(tp.numerical[0]!), ...items(tp.analytical[0]!)], py.f32);
    });

    const y = f64([0.5, -1, 2], [3]);
    const g = f64([0.3, -0.8, 1.1], [3]);
    const verdicts = [
      gradcheck((a: Tensor, b: Tensor) => a.matmul(b).sigmoid(), [x, w], { fastMode: true, checkForwardAd: true }),
      gradcheck((t: Tensor) => WrongCube.apply(t), y, { fastMode: true, raiseException: false }),
      gradcheck((t: Tensor) => OpaqueSquare.apply(t), y, { fastMode: true }),
      gradgradcheck((t: Tensor) => OpaqueSquare.apply(t), y, [g], { fastMode: true, raiseException: false }),
      gradcheck((t: Tensor) => WrongCube.apply(t), f64([0.1, -0.1], [2]), {
        fastMode: true,
        atol: 0.011,
        rtol: 0,
        raiseException: false,
      }),
      gradgradcheck((a: Tensor, k: Tensor) => F.conv2d(a, k).tanh(), [cx, cw], { fastMode: true }),
      gradcheck((t: Tensor) => Skewed.apply(t), f64([0.3, 0.7], [2])),
      gradcheck((t: Tensor) => Skewed.apply(t), f64([0.3, 0.7], [2]), { fastMode: true, raiseException: false }),
    ];
    assert.deepEqual(verdicts, py.verdicts);

    const messageOf = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        if (e instanceof GradcheckError) return e.message;
        throw e;
      }
      return '';
    };
    const ours = [
      messageOf(() => gradcheck((t: Tensor) => WrongCube.apply(t), y, { fastMode: true })),
      messageOf(() => gradcheck(detachedCube, y, { fastMode: true, checkForwardAd: true, checkBackwardAd: false })),
      messageOf(() => gradgradcheck((t: Tensor) => OpaqueSquare.apply(t), y, [g], { fastMode: true })),
      messageOf(() => gradcheck((t: Tensor) => Skewed.apply(t), f64([0.3, 0.7], [2]), { fastMode: true })),
    ];
    ours.forEach((message, k) => {
      assert.deepEqual(numberParts(message), numberParts(py.messages[k] as string), message);
    });
    // Only where slow mode would pass does the message say so (as PyTorch's does).
    assert.deepEqual(
      ours.map((m) => m.includes('fastMode: false')),
      [false, false, false, true],
    );
    assert.deepEqual(
      py.messages.map((m) => m.includes('fast_mode=False')),
      [false, false, false, true],
    );
  });
});

const items = (ts: Tensor[]): number[] => ts.map((t) => t.item() as number);

function context(func: (...a: Tensor[]) => Tensor | Tensor[], inputs: Tensor[]): fast.FastContext {
  const out = func(...inputs);
  const funcOut = Array.isArray(out) ? out : [out];
  return {
    func,
    inputs,
    diffIdx: inputs.flatMap((t, i) => (t.requiresGrad ? [i] : [])),
    funcOut,
    diffOut: funcOut.map((t, j) => [t, j] as const).filter(([t]) => t.requiresGrad),
    eps: 1e-6,
    atol: 1e-5,
    rtol: 1e-3,
    nondetTol: 0,
    checkGradDtypes: false,
    name: 'gradcheck',
  };
}
