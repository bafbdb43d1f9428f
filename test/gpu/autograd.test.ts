// Autograd features on the device under test, each compared with the same computation on the CPU:
// forward-mode AD and autograd.functional, noGrad and inferenceMode, gradcheck/gradgradcheck,
// activation checkpointing (CUDA random state replayed), custom Functions and JavaScript hooks
// (on CUDA the device's autograd thread hands each JavaScript call to the JavaScript thread),
// anomaly mode, double backward, retainGraph, allowUnused and retainGrad.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { assertClose, device, needsDevice, values } from './support.js';

type Tensor = torch.Tensor;
const { nn } = torch;
const F = nn.functional;
const { autograd } = torch;
const fwd = autograd.forwardAd;
const fn = autograd.functional;
const { checkpoint } = torch.utils.checkpoint;

const onCuda = device.startsWith('cuda');

/** The device string results on `device` carry ('cuda:0' for 'cuda'). */
const expectedDevice = needsDevice ? device : torch.zeros([1], { device }).device;

function onDevice(t: Tensor | null | undefined, what: string): Tensor {
  assert.ok(t, `${what}: missing`);
  assert.equal(t.device, expectedDevice, `${what}: device`);
  return t;
}

/** A float32 comparison where cuBLAS/cuDNN reduce in another order; exact on CPU-vs-CPU. */
const R32 = 1e-4;
const A32 = 1e-5;
const R64 = 1e-10;
const A64 = 1e-12;

/** Runs `f` and returns the Error it throws (failing if it does not throw). */
function errorOf(what: string, f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof Error, `${what}: threw a non-Error ${String(e)}`);
    return e;
  }
  assert.fail(`${what}: did not throw`);
}

describe('autograd on the device', { skip: needsDevice }, () => {
  test('forward-mode AD: the tangents of matmul, tanh, softmax, linear and conv2d match the CPU', () => {
    torch.manualSeed(10);
    const w = torch.randn([5, 4]);
    const b = torch.randn([4]);
    const k = torch.randn([3, 2, 3, 3]);
    const cases: { what: string; x: Tensor; f: (x: Tensor, on: (t: Tensor) => Tensor) => Tensor }[] = [
      { what: 'matmul', x: torch.randn([6, 5]), f: (x, on) => x.matmul(on(w)) },
      { what: 'tanh', x: torch.randn([6, 5]), f: (x) => x.tanh() },
      { what: 'softmax', x: torch.randn([6, 5]), f: (x) => F.softmax(x, 1) },
      { what: 'linear', x: torch.randn([6, 5]), f: (x, on) => F.linear(x, on(w.t().contiguous()), { bias: on(b) }) },
      // float64: cuDNN may run float32 convolutions in TF32 (libtorch's default), which no switch of ours turns off
      {
        what: 'conv2d (float64)',
        x: torch.randn([2, 2, 7, 7]).double(),
        f: (x, on) => F.conv2d(x, on(k).double(), { padding: 1 }),
      },
      { what: 'float64 tanh(matmul)', x: torch.randn([6, 5]).double(), f: (x, on) => x.matmul(on(w).double()).tanh() },
    ];
    for (const { what, x, f } of cases) {
      const v = torch.randn(x.shape, { dtype: x.dtype });
      const run = (dev: string) =>
        torch.scope(() =>
          fwd.dualLevel(() => {
            const on = (t: Tensor) => t.to(dev);
            const y = f(fwd.makeDual(on(x), on(v)), on);
            const { primal, tangent } = fwd.unpackDual(y);
            assert.ok(tangent, `${what}: no tangent`);
            return [primal.clone(), tangent.clone()];
          }),
        );
      const [p, t] = run(device) as [Tensor, Tensor];
      const [cp, ct] = run('cpu') as [Tensor, Tensor];
      onDevice(t, `${what} tangent`);
      const [rtol, atol] = x.dtype === 'float64' ? [R64, A64] : [R32, A32];
      assertClose(p, cp, rtol, atol, `${what} primal`);
      assertClose(t, ct, rtol, atol, `${what} tangent`);
    }
  });

  test('autograd.functional: jacobian, hessian, vjp, jvp, hvp and vhp match the CPU', () => {
    torch.manualSeed(11);
    const w = torch.randn([4, 3]);
    const x0 = torch.randn([2, 4]);
    const u = torch.randn([2, 3]); // shaped as f's output
    const v = torch.randn([2, 4]); // shaped as the input
    const f = (x: Tensor) => x.matmul(w.to(x.device).to(x.dtype)).tanh();
    const s = (x: Tensor) => x.pow(3).sum().add(x.sin().mul(x).sum());
    for (const dtype of ['float32', 'float64'] as const) {
      const [rtol, atol] = dtype === 'float64' ? [R64, A64] : [R32, A32];
      const cases: { what: string; run: (x: Tensor) => Tensor[] }[] = [
        { what: 'jacobian', run: (x) => [fn.jacobian(f, x) as Tensor] },
        { what: 'hessian', run: (x) => [fn.hessian(s, x) as Tensor] },
        { what: 'vjp', run: (x) => fn.vjp(f, x, u.to(x.device).to(dtype)) as Tensor[] },
        { what: 'jvp', run: (x) => fn.jvp(f, x, v.to(x.device).to(dtype)) as Tensor[] },
        { what: 'hvp', run: (x) => fn.hvp(s, x, v.to(x.device).to(dtype)) as Tensor[] },
        { what: 'vhp', run: (x) => fn.vhp(s, x, v.to(x.device).to(dtype)) as Tensor[] },
      ];
      for (const { what, run } of cases) {
        const name = `${what} (${dtype})`;
        const got = run(x0.to(device).to(dtype));
        const ref = run(x0.to(dtype));
        assert.equal(got.length, ref.length, `${name}: results`);
        got.forEach((g, i) => {
          onDevice(g, `${name} result ${i}`);
          assertClose(g, ref[i] as Tensor, rtol, atol, `${name} result ${i}`);
        });
      }
    }
  });

  test('noGrad and inferenceMode: tensors made inside stay on the device and out of the graph', () => {
    const x = torch.randn([3, 2], { device }).requiresGrad_();
    const y = torch.noGrad(() => {
      assert.equal(torch.isGradEnabled(), false);
      return x.mul(2).add(1);
    });
    onDevice(y, 'noGrad result');
    assert.equal(y.requiresGrad, false, 'noGrad result requiresGrad');
    assert.equal(y.gradFn, null, 'noGrad result gradFn');
    assert.equal(y.isInference(), false, 'noGrad result isInference');
    assert.equal(torch.isGradEnabled(), true);

    const z = torch.inferenceMode(() => {
      assert.equal(torch.isInferenceModeEnabled(), true);
      return x.mul(3);
    });
    onDevice(z, 'inferenceMode result');
    assert.equal(torch.isInferenceModeEnabled(), false);
    assert.equal(z.requiresGrad, false, 'inference result requiresGrad');
    assert.equal(z.isInference(), true, 'inference result isInference');
    assertClose(z, x.detach().cpu().mul(3), 0, 0, 'inference result values');
    // An inference tensor cannot be saved for backward, on any device; a clone is a normal tensor.
    assert.throws(() => x.mul(z), /[Ii]nference tensors cannot be saved for backward/);
    const c = z.clone();
    assert.equal(c.isInference(), false, 'clone isInference');
    x.mul(c).sum().backward();
    assertClose(onDevice(x.grad, 'grad through the clone'), z.cpu(), 0, 0, 'grad through the clone');
    // inferenceMode({mode: false}) inside: recording again.
    const r = torch.inferenceMode(() => torch.inferenceMode(() => x.mul(2), { mode: false }));
    assert.equal(r.requiresGrad, true, 'mode false result requiresGrad');
    assert.equal(r.isInference(), false, 'mode false result isInference');
  });

  test('gradcheck and gradgradcheck pass on float64 device inputs (also fastMode), and catch a wrong gradient', () => {
    torch.manualSeed(12);
    const x = torch.randn([3, 2], { dtype: 'float64', device }).requiresGrad_();
    const m = torch.randn([2, 3], { dtype: 'float64', device }).requiresGrad_();
    const img = torch.randn([1, 1, 4, 4], { dtype: 'float64', device }).requiresGrad_();
    const k = torch.randn([2, 1, 2, 2], { dtype: 'float64', device }).requiresGrad_();
    const cases: { what: string; f: (...a: Tensor[]) => Tensor | Tensor[]; inputs: Tensor[] }[] = [
      { what: 'sin(x) * x', f: (t) => t.sin().mul(t), inputs: [x] },
      { what: 'tanh(x @ m)', f: (t, w) => t.matmul(w as Tensor).tanh(), inputs: [x, m] },
      { what: 'log softmax', f: (t) => F.softmax(t, 1).log(), inputs: [x] },
      { what: 'conv2d', f: (a, b) => F.conv2d(a, b as Tensor), inputs: [img, k] },
      { what: 'two outputs', f: (t, w) => [t.exp(), t.matmul(w as Tensor).sum()], inputs: [x, m] },
    ];
    for (const { what, f, inputs } of cases) {
      for (const fastMode of [false, true]) {
        const name = `${what} (fastMode ${fastMode})`;
        assert.equal(autograd.gradcheck(f, inputs, { fastMode, checkForwardAd: true }), true, `gradcheck ${name}`);
        assert.equal(autograd.gradgradcheck(f, inputs, { fastMode }), true, `gradgradcheck ${name}`);
      }
    }
    // A gradient that is wrong without a custom Function: a detached term is invisible to autograd
    // (analytical 1) but not to the finite differences (2x + 1).
    const wrong = (t: Tensor) => t.detach().pow(2).add(t);
    for (const fastMode of [false, true]) {
      const e = errorOf(`wrong gradient (fastMode ${fastMode})`, () => autograd.gradcheck(wrong, x, { fastMode }));
      assert.ok(e instanceof autograd.GradcheckError, `wrong gradient (fastMode ${fastMode}): a GradcheckError`);
      assert.match(e.message, /Jacobian mismatch/, `wrong gradient (fastMode ${fastMode}): message`);
      assert.equal(autograd.gradcheck(wrong, x, { fastMode, raiseException: false }), false, `raiseException false`);
    }
  });

  test('checkpoint: seeding, and gradients of a block with dropout equal the plain run (reentrant on CUDA: a clear error)', () => {
    // manualSeed seeds the device's generator too: the same seed draws the same numbers there.
    torch.manualSeed(13);
    const a = torch.rand([16], { device });
    torch.manualSeed(13);
    const b = torch.rand([16], { device });
    onDevice(a, 'rand after manualSeed');
    assert.deepEqual(values(a), values(b), 'manualSeed reseeds the device generator');
    torch.manualSeed(13);
    const d1 = F.dropout(torch.ones([64], { device }), { p: 0.5, training: true });
    torch.manualSeed(13);
    const d2 = F.dropout(torch.ones([64], { device }), { p: 0.5, training: true });
    assert.deepEqual(values(d1), values(d2), 'dropout mask after manualSeed');

    torch.manualSeed(0);
    const block = new nn.Sequential(new nn.Linear(6, 8), new nn.ReLU(), new nn.Dropout({ p: 0.5 }), new nn.Linear(8, 3))
      .double()
      .to(device);
    const x0 = torch.randn([5, 6], { dtype: 'float64', device });
    const grads = (useReentrant: boolean | null): Tensor[] => {
      block.zeroGrad();
      const x = x0.clone().requiresGrad_();
      torch.manualSeed(21);
      const out =
        useReentrant === null ? (block.forward(x) as Tensor) : (checkpoint(block, x, { useReentrant }) as Tensor);
      // draws between the forward and the backward: the recomputation must not see them
      torch.rand([8], { device });
      out.pow(2).sum().backward();
      return [x.grad as Tensor, ...block.parameters().map((p) => p.grad as Tensor)].map((g) => g.clone());
    };
    const plain = grads(null);
    onDevice(plain[0], 'plain input grad');
    for (const useReentrant of [true, false]) {
      const what = `checkpoint useReentrant ${useReentrant}`;
      if (onCuda && useReentrant) {
        // Documented: the reentrant variant's nested backward would wait for the device's
        // autograd thread while that thread waits for it: CUDA inputs are refused at the call.
        const e = errorOf(what, () => grads(useReentrant));
        assert.match(
          e.message,
          new RegExp(`checkpoint: useReentrant: true with inputs on ${expectedDevice} is not supported`),
          what,
        );
      } else {
        // Same gradients, to the bit, as the plain run with the same seed: the recomputation
        // replays the random state of the forward (on CUDA, the device generator's too).
        const got = grads(useReentrant);
        onDevice(got[0], `${what} input grad`);
        got.forEach((g, i) => {
          assertClose(g, plain[i] as Tensor, 0, 0, `${what} grad ${i}`);
        });
      }
    }
    // Whatever happened above, a plain backward still works.
    const again = grads(null);
    again.forEach((g, i) => {
      assertClose(g, plain[i] as Tensor, 0, 0, `plain rerun grad ${i}`);
    });
  });

  test('custom Functions, tensor hooks and saved-tensor hooks run in backward and give the CPU gradients', () => {
    class Cube extends autograd.Function {
      static override forward(ctx: torch.autograd.FunctionCtx, x: Tensor): Tensor {
        ctx.saveForBackward(x);
        return x.pow(3);
      }
      static override backward(ctx: torch.autograd.FunctionCtx, g: Tensor): Tensor {
        const [x] = ctx.savedTensors as [Tensor];
        return g.mul(x.pow(2)).mul(3);
      }
    }
    torch.manualSeed(14);
    const x0 = torch.randn([4], { dtype: 'float64' });
    const cube = x0.pow(2).mul(3); // d/dx sum(x^3)
    let packs = 0;
    let unpacks = 0;
    // forward(x) builds a scalar loss (registering any hook); backward is loss.backward().
    const cases: { what: string; forward: (x: Tensor) => Tensor; cpuGrad: Tensor }[] = [
      {
        what: 'custom Function',
        forward: (x) => (Cube.apply(x) as Tensor).sum(),
        cpuGrad: cube,
      },
      {
        what: 'hook on a leaf',
        forward: (x) => {
          x.registerHook((g) => g.mul(2));
          return x.mul(3).sum();
        },
        cpuGrad: torch.full([4], 6, { dtype: 'float64' }),
      },
      {
        what: 'hook on a non-leaf',
        forward: (x) => {
          const h = x.mul(3);
          h.registerHook((g) => g.add(1));
          return h.sum();
        },
        cpuGrad: torch.full([4], 6, { dtype: 'float64' }),
      },
      {
        // pack runs in forward, on the JavaScript thread: fine on any device; unpack in backward.
        what: 'savedTensorsHooks',
        forward: (x) =>
          autograd.graph.savedTensorsHooks(
            (t: Tensor) => {
              packs++;
              return t;
            },
            (t: Tensor) => {
              unpacks++;
              return t;
            },
            () => x.pow(3).sum(),
          ),
        cpuGrad: cube,
      },
      {
        // pack (forward, JS thread) copies to the CPU; unpack (backward) would move it back.
        what: 'saveOnCpu',
        forward: (x) => autograd.graph.saveOnCpu(() => x.pow(3).sum()),
        cpuGrad: cube,
      },
    ];
    for (const { what, forward, cpuGrad } of cases) {
      const x = x0.to(device).clone().requiresGrad_();
      packs = 0;
      unpacks = 0;
      // The forward works on any device, and gives the CPU's value.
      const loss = forward(x);
      onDevice(loss, `${what}: forward`);
      assertClose(loss, forward(x0.clone().requiresGrad_()), 1e-12, 1e-12, `${what}: forward value`);
      if (what === 'savedTensorsHooks') assert.ok(packs > 0, `${what}: pack ran in forward`);
      packs = 0;
      // On CUDA a device thread runs these nodes and hands each JavaScript call (backward, hook,
      // unpack) over to the JavaScript thread, which serves it while it waits in backward(): the
      // result must be the CPU's on every device.
      loss.backward();
      assertClose(onDevice(x.grad, what), cpuGrad, 1e-12, 1e-12, `${what}: gradient`);
      if (what === 'savedTensorsHooks') assert.ok(unpacks > 0, `${what}: unpack ran in backward`);
      // A plain backward on the device still works after it.
      const p = x0.to(device).clone().requiresGrad_();
      p.pow(3).sum().backward();
      assertClose(
        onDevice(p.grad, `${what}: later plain backward`),
        cube,
        1e-12,
        1e-12,
        `${what}: later plain backward`,
      );
    }
  });

  test('anomaly mode: a NaN made in backward is reported as on the CPU', () => {
    // 0 * sqrt(x) at x = 0: the gradient of sqrt is inf there, times 0 gives NaN.
    const nanBackward = (x: Tensor) => x.sqrt().mul(0).sum().backward();
    const messageOn = (dev: string) => {
      const x = torch.tensor([0, 1], { dtype: 'float64', device: dev }).requiresGrad_();
      const e = errorOf(`anomaly on ${dev}`, () => autograd.detectAnomaly(() => nanBackward(x)));
      assert.equal(x.grad, null, `anomaly on ${dev}: no gradient`);
      return e.message.split('\n')[0] as string;
    };
    const got = messageOn(device);
    assert.match(got, /Function 'SqrtBackward0' returned nan values in its 0th output\./);
    assert.equal(got, messageOn('cpu'), 'the message on the device is the CPU one');
    assert.equal(autograd.isAnomalyEnabled(), false, 'anomaly mode restored');
    // Without anomaly mode, the NaN goes into the gradient, on both.
    const x = torch.tensor([0, 1], { dtype: 'float64', device }).requiresGrad_();
    nanBackward(x);
    const g = values(onDevice(x.grad, 'NaN gradient'));
    assert.ok(Number.isNaN(g[0]), 'NaN gradient without anomaly mode');
  });

  test('double backward, retainGraph, allowUnused and retainGrad match the CPU', () => {
    torch.manualSeed(15);
    const x0 = torch.randn([5]);
    const w0 = torch.randn([5, 3]);
    type Result = Record<string, Tensor>;
    const run = (dev: string): Result =>
      torch.scope(() => {
        const out: Result = {};
        const x = x0.to(dev).clone().requiresGrad_();
        const w = w0.to(dev).clone().requiresGrad_();
        // createGraph through autograd.grad: d2/dx2 of sum(x^3 * tanh(x @ w)), as a vector of second derivatives.
        const y = x.pow(3).sum().add(x.matmul(w).tanh().sum());
        const [g] = autograd.grad(y, x, { createGraph: true }) as [Tensor];
        out.grad = g.detach().clone();
        const [gg] = autograd.grad(g.sum(), [x, w]) as [Tensor];
        out.gradgrad = gg.clone();
        // backward({createGraph}) then backward of the gradient.
        const x2 = x0.to(dev).clone().requiresGrad_();
        x2.sin().mul(x2).sum().backward({ createGraph: true });
        const g2 = (x2.grad as Tensor).clone();
        x2.grad = null;
        g2.pow(2).sum().backward();
        out.doubleBackward = (x2.grad as unknown as Tensor).clone();
        // retainGraph: two backwards accumulate; a third without the graph is an error.
        const x3 = x0.to(dev).clone().requiresGrad_();
        const z = x3.exp().mul(x3).sum();
        z.backward({ retainGraph: true });
        z.backward();
        out.accumulated = (x3.grad as Tensor).clone();
        assert.throws(() => z.backward(), /backward through the graph a second time/, `${dev}: third backward`);
        // allowUnused: null for the unused input; without it, an error.
        const unused = w0.to(dev).clone().requiresGrad_();
        const u = x.mul(2).sum();
        const [gu, none] = autograd.grad(u, [x, unused], { allowUnused: true, retainGraph: true });
        assert.equal(none, null, `${dev}: unused input's gradient`);
        out.used = (gu as Tensor).clone();
        assert.throws(() => autograd.grad(u, [x, unused]), /appears to not have been used/, `${dev}: allowUnused off`);
        // retainGrad: the gradient of a non-leaf.
        const x4 = x0.to(dev).clone().requiresGrad_();
        const h = x4.matmul(w0.to(dev));
        h.retainGrad();
        assert.equal(h.isLeaf, false);
        h.tanh().pow(2).sum().backward();
        out.nonLeaf = (h.grad as Tensor).clone();
        out.leafThroughNonLeaf = (x4.grad as Tensor).clone();
        return out;
      });
    const got = run(device);
    const ref = run('cpu');
    for (const key of Object.keys(ref)) {
      onDevice(got[key], key);
      assertClose(got[key] as Tensor, ref[key] as Tensor, R32, A32, key);
    }
  });
});
