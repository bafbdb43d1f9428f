// JavaScript that runs inside backward, for tensors on the device: custom autograd Functions,
// tensor hooks, saved-tensor hooks and the non-reentrant checkpoint. On CUDA the engine runs
// these nodes on its device thread, which hands the JavaScript to the thread that called
// backward() and waits (native/engine.cpp); each case compares with the same run on the CPU.
// With TN_GPU_TEST_DEVICE=cpu the same cases run on the CPU's own path.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { assertClose, device, needsDevice } from './support.js';

type Tensor = torch.Tensor;
type Ctx = torch.autograd.FunctionCtx;
const { nn } = torch;
const onCuda = device.startsWith('cuda');
const expected = onCuda ? 'cuda:0' : 'cpu';

class Exp extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    const y = x.exp();
    ctx.saveForBackward(y);
    return y;
  }
  static override backward(ctx: Ctx, g: Tensor): Tensor {
    const [y] = ctx.savedTensors;
    return g.mul(y as Tensor);
  }
}

// A smooth activation with a hand-written backward: x * sigmoid(x) (SiLU).
class Silu extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.mul(x.sigmoid());
  }
  static override backward(ctx: Ctx, g: Tensor): Tensor {
    const [x] = ctx.savedTensors as [Tensor];
    const s = x.sigmoid();
    return g.mul(s.mul(x.mul(s.neg().add(1)).add(1)));
  }
}

class Throws extends torch.autograd.Function {
  static override forward(_ctx: Ctx, x: Tensor): Tensor {
    return x.clone();
  }
  static override backward(): Tensor {
    throw new RangeError('backward says no');
  }
}

const leaf = (t: Tensor, where: string): Tensor => t.to(where).detach().requiresGrad_();

describe('JavaScript in backward on the device', { skip: needsDevice }, () => {
  test('a custom Function: gradient, node name, double backward, autograd.grad', () => {
    torch.manualSeed(0);
    const base = torch.randn([4, 5], { dtype: 'float64' });
    const x = leaf(base, device);
    const y = Exp.apply(x) as Tensor;
    assert.equal(y.device, expected);
    assert.equal(y.gradFn, 'ExpBackward');
    y.sum().backward();
    assert.equal(x.grad?.device, expected);
    assertClose(x.grad as Tensor, base.exp(), 1e-12, 1e-12, 'd exp(x) / dx');
    // Double backward: the custom backward is recorded with createGraph.
    const x2 = leaf(base, device);
    const [g] = torch.autograd.grad((Exp.apply(x2) as Tensor).sum(), x2, { createGraph: true });
    (g as Tensor).sum().backward();
    assertClose(x2.grad as Tensor, base.exp(), 1e-12, 1e-12, 'second derivative');
    // autograd.grad runs only the nodes its outputs need (a graph task with exec info).
    const x3 = leaf(base, device);
    const other = leaf(base, device);
    const z = (Exp.apply(x3) as Tensor).mul(other).sum();
    const [gx] = torch.autograd.grad(z, x3);
    assertClose(gx as Tensor, base.exp().mul(base), 1e-12, 1e-12, 'autograd.grad');
    assert.equal(other.grad, null);
  });

  test('custom Functions inside an MLP: three SGD steps equal the CPU run', () => {
    const run = (where: string): Tensor[] => {
      torch.manualSeed(1);
      const model = new nn.Sequential(new nn.Linear(8, 16), new nn.Linear(16, 3)).to({ dtype: 'float64' });
      model.to(where);
      const x = torch.randn([10, 8], { dtype: 'float64' }).to(where);
      const target = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]).to(where);
      const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
      const [l1, l2] = [...model.children()] as [torch.nn.Linear, torch.nn.Linear];
      for (let step = 0; step < 3; step++) {
        torch.scope(() => {
          opt.zeroGrad();
          const h = Silu.apply(l1.forward(x)) as Tensor;
          const out = Exp.apply(l2.forward(h).mul(0.1)) as Tensor;
          nn.functional.crossEntropy(out, target).backward();
          opt.step();
        });
      }
      return model.parameters().map((p) => p.detach().cpu());
    };
    const cpu = run('cpu');
    const dev = run(device);
    cpu.forEach((p, i) => {
      assertClose(dev[i] as Tensor, p, 1e-10, 1e-12, `parameter ${i}`);
    });
  });

  test("an error thrown in a custom backward reaches backward's caller; the next backward works", () => {
    const x = leaf(torch.ones([3]), device);
    assert.throws(
      () => (Throws.apply(x) as Tensor).sum().backward(),
      (e) => e instanceof RangeError && e.message === 'backward says no',
    );
    const w = leaf(torch.ones([3]), device);
    (Exp.apply(w) as Tensor).sum().backward();
    assertClose(w.grad as Tensor, torch.ones([3]).exp(), 1e-6, 1e-6, 'after the error');
  });

  test('tensor hooks on a leaf and on a non-leaf', () => {
    const base = torch.tensor([1, -2, 3], { dtype: 'float32' });
    const x = leaf(base, device);
    const seen: number[][] = [];
    x.registerHook((g) => g.mul(2));
    const h = x.mul(3);
    h.registerHook((g) => {
      seen.push(g.cpu().toArray() as number[]);
    });
    h.pow(2).sum().backward();
    // d/dx sum((3x)^2) = 18x, doubled by the leaf's hook; the non-leaf sees 2 * 3x.
    assert.deepEqual(x.grad?.cpu().toArray(), [36, -72, 108]);
    assert.deepEqual(seen, [[6, -12, 18]]);
  });

  // PyTorch runs a node's backward on the stream its forward ran on; the device thread makes that
  // stream current, and the JavaScript it hands over must run there too, whatever stream the
  // caller of backward() has current (streams are CUDA's: nothing to check on the CPU).
  test('a custom backward runs on the stream its forward ran on', { skip: !onCuda && 'streams are CUDA only' }, () => {
    const side = new torch.cuda.Stream();
    const onSide: boolean[] = [];
    class Double extends torch.autograd.Function {
      static override forward(_ctx: Ctx, x: Tensor): Tensor {
        return x.mul(2);
      }
      static override backward(_ctx: Ctx, g: Tensor): Tensor {
        onSide.push(torch.cuda.currentStream().equals(side));
        return g.mul(2);
      }
    }
    const x = leaf(torch.ones([8]), device);
    const y = torch.cuda.withStream(side, () => Double.apply(x) as Tensor);
    torch.cuda.currentStream().waitStream(side);
    assert.ok(!torch.cuda.currentStream().equals(side), 'backward is called from the default stream');
    y.sum().backward();
    torch.cuda.synchronize();
    assert.deepEqual(onSide, [true]);
    assert.ok(!torch.cuda.currentStream().equals(side), "the caller's stream is current again");
    assert.deepEqual(x.grad?.cpu().toArray(), new Array(8).fill(2));
  });

  test('post-accumulate-grad hooks stepping an optimizer per parameter: the CPU run', () => {
    const run = (where: string): number[][] => {
      torch.manualSeed(3);
      const model = new nn.Sequential(new nn.Linear(5, 7), new nn.Tanh(), new nn.Linear(7, 2)).to(where);
      const x = torch.randn([6, 5]).to(where);
      for (const p of model.parameters()) {
        const own = new torch.optim.SGD([p], { lr: 0.1, momentum: 0.9 });
        p.registerPostAccumulateGradHook(() => {
          own.step();
          own.zeroGrad();
        });
      }
      for (let i = 0; i < 3; i++) torch.scope(() => (model.forward(x) as Tensor).pow(2).mean().backward());
      return model.parameters().map((p) => {
        assert.equal(p.device, where === 'cpu' ? 'cpu' : expected);
        assert.equal(p.grad, null);
        return p.detach().cpu().toArray() as number[];
      });
    };
    const cpu = run('cpu');
    run(device).forEach((p, i) => {
      assertClose(torch.tensor(p), torch.tensor(cpu[i] as number[]), 1e-5, 1e-6, `parameter ${i}`);
    });
  });

  test('saved-tensor hooks: pack to the CPU, unpack back; saveOnCpu', () => {
    const base = torch.randn([5, 4]);
    const x = leaf(base, device);
    let packed = 0;
    let unpacked = 0;
    const y = torch.autograd.graph.savedTensorsHooks(
      (t: Tensor) => {
        packed++;
        return t.cpu();
      },
      (p: Tensor) => {
        unpacked++;
        return p.to(device);
      },
      () => x.sin().mul(x),
    );
    y.sum().backward();
    assert.ok(packed >= 2 && unpacked === packed, `${packed} packed, ${unpacked} unpacked`);
    // d/dx (x sin x) = sin x + x cos x
    assertClose(x.grad as Tensor, base.sin().add(base.mul(base.cos())), 1e-5, 1e-6, 'hooks');
    const x2 = leaf(base, device);
    torch.autograd.graph
      .saveOnCpu(() => x2.sin().mul(x2))
      .sum()
      .backward();
    assertClose(x2.grad as Tensor, base.sin().add(base.mul(base.cos())), 1e-5, 1e-6, 'saveOnCpu');
  });

  test('non-reentrant checkpoint with dropout: the gradients of the plain run', () => {
    const block = new nn.Sequential(
      new nn.Linear(6, 6),
      new nn.ReLU(),
      new nn.Dropout({ p: 0.5 }),
      new nn.Linear(6, 2),
    );
    block.to(device);
    const input = torch.randn([4, 6]).to(device);
    const grads = (checkpointed: boolean): Tensor[] => {
      block.zeroGrad();
      const x = input.detach().requiresGrad_();
      torch.manualSeed(7);
      const out: Tensor = checkpointed
        ? (torch.utils.checkpoint.checkpoint((t: Tensor) => block.forward(t), x, { useReentrant: false }) as Tensor)
        : (block.forward(x) as Tensor);
      // Draws between forward and backward: the recomputation must replay the forward's state.
      torch.rand([100], { device });
      out.pow(2).sum().backward();
      return [x.grad as Tensor, ...block.parameters().map((p) => p.grad as Tensor)].map((g) => g.cpu());
    };
    const plain = grads(false);
    const checkpointed = grads(true);
    plain.forEach((g, i) => {
      assertClose(checkpointed[i] as Tensor, g, 0, 0, `gradient ${i}`);
    });
  });

  test('reentrant checkpoint: on CUDA a clear Error (its nested backward), on the CPU it runs', () => {
    const lin = new nn.Linear(3, 3).to(device);
    const x = torch.randn([2, 3]).to(device).requiresGrad_();
    const call = () =>
      (torch.utils.checkpoint.checkpoint((t: Tensor) => lin.forward(t).relu(), x, { useReentrant: true }) as Tensor)
        .sum()
        .backward();
    if (onCuda) {
      assert.throws(call, /useReentrant: true with inputs on cuda:0 is not supported.*useReentrant: false/);
    } else {
      call();
      assert.deepEqual(x.grad?.shape, [2, 3]);
    }
  });

  test('200 backward calls through custom Functions and hooks: no hang, nothing left alive', () => {
    const x = leaf(torch.randn([16]), device);
    x.registerHook((g) => g.mul(1));
    const step = () =>
      torch.scope(() => {
        (Silu.apply(Exp.apply(x.mul(0.1)) as Tensor) as Tensor).sum().backward();
      });
    step();
    const before = torch.memory().tensors;
    for (let i = 0; i < 200; i++) step();
    assert.equal(torch.memory().tensors, before);
  });
});
