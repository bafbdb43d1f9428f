// tensor.registerPostAccumulateGradHook: when the hooks run (after .grad holds the accumulated
// gradient, in registration order, once per backward that reaches the leaf), against Python torch
// running the same hooks; the optimizer-in-backward pattern it exists for, against the plain loop;
// removal, PyTorch's errors, and that nothing is left alive.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const { nn, optim } = torch;
type Tensor = torch.Tensor;

// Two leaves; w is used twice, so its gradient is accumulated from two paths before its hooks run.
const PY_ORDER = `
w = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
b = torch.tensor([0.5, 0.25, -1.0], dtype=torch.float64, requires_grad=True)
log = []
def hook(name):
    def h(p):
        log.append([name, p.grad.tolist()])
    return h
w.register_post_accumulate_grad_hook(hook('w1'))
w.register_post_accumulate_grad_hook(hook('w2'))
removed = b.register_post_accumulate_grad_hook(hook('b-removed'))
b.register_post_accumulate_grad_hook(hook('b'))
removed.remove()
for step in range(2):
    ((w * w).sum() + (w * b).exp().sum()).backward()
    log.append(['step', step])
OUTPUT = log
`;

describe('Tensor.registerPostAccumulateGradHook', () => {
  test('hooks run after accumulation, in order, each backward: as in Python', { skip: skipWithoutPython() }, () => {
    const w = torch.tensor([1, -2, 3], { dtype: 'float64' }).requiresGrad_();
    const b = torch.tensor([0.5, 0.25, -1], { dtype: 'float64' }).requiresGrad_();
    const log: unknown[][] = [];
    const hook = (name: string, leaf: Tensor) => (p: Tensor) => {
      assert.equal(p, leaf, 'the hook gets the very Tensor it was registered on');
      log.push([name, p.grad?.toArray()]);
    };
    w.registerPostAccumulateGradHook(hook('w1', w));
    w.registerPostAccumulateGradHook(hook('w2', w));
    const removed = b.registerPostAccumulateGradHook(hook('b-removed', b));
    b.registerPostAccumulateGradHook(hook('b', b));
    removed.remove();
    removed.remove();
    for (let step = 0; step < 2; step++) {
      w.mul(w).sum().add(w.mul(b).exp().sum()).backward();
      log.push(['step', step]);
    }
    assert.deepEqual(log, runPython(PY_ORDER));
    // by hand: nothing moved w, so the second backward accumulates the same gradient again
    const seenByW1 = log.filter((e) => e[0] === 'w1').map((e) => e[1] as number[]);
    assert.equal(seenByW1.length, 2);
    assert.deepEqual(
      seenByW1[1],
      seenByW1[0]?.map((g) => 2 * g),
    );
  });

  test('stepping one optimizer per parameter inside backward equals the plain training loop', () => {
    const make = () => {
      torch.manualSeed(5);
      return new nn.Sequential(new nn.Linear(6, 8), new nn.Tanh(), new nn.Linear(8, 3));
    };
    torch.manualSeed(6);
    const x = torch.randn([10, 6]);
    const y = torch.randint(3, [10]);
    const lossOf = (m: torch.nn.Sequential) => nn.functional.crossEntropy(m.forward(x) as Tensor, y);

    const plain = make();
    const opt = new optim.SGD(plain.parameters(), { lr: 0.1, momentum: 0.9 });
    for (let i = 0; i < 4; i++) {
      torch.scope(() => {
        opt.zeroGrad();
        lossOf(plain).backward();
        opt.step();
      });
    }

    const inBackward = make();
    let stepped = 0;
    for (const p of inBackward.parameters()) {
      const own = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
      p.registerPostAccumulateGradHook(() => {
        own.step();
        own.zeroGrad();
        stepped++;
      });
    }
    for (let i = 0; i < 4; i++) torch.scope(() => lossOf(inBackward).backward());

    assert.equal(stepped, 4 * 4, 'every parameter stepped once per backward');
    const a = plain.parameters();
    inBackward.parameters().forEach((p, i) => {
      assert.equal(p.grad, null, 'the gradient was freed in the hook');
      assert.deepEqual(p.toArray(), a[i]?.toArray(), `parameter ${i}`);
    });
  });

  test("PyTorch's errors; a throwing hook's error reaches backward's caller", () => {
    assert.throws(
      () => torch.ones([2]).registerPostAccumulateGradHook(() => {}),
      /^Error: registerPostAccumulateGradHook: cannot register a hook on a tensor that doesn't require gradient$/,
    );
    const w = torch.ones([2], { requiresGrad: true });
    assert.throws(
      () => w.mul(2).registerPostAccumulateGradHook(() => {}),
      /post accumulate grad hooks cannot be registered on non-leaf tensors/,
    );
    assert.throws(
      () => w.registerPostAccumulateGradHook(5 as unknown as () => void),
      /^TypeError: registerPostAccumulateGradHook: hook must be a function$/,
    );
    const bad = w.registerPostAccumulateGradHook(() => {
      throw new RangeError('hook says no');
    });
    assert.throws(
      () => w.mul(3).sum().backward(),
      (e) => e instanceof RangeError && e.message === 'hook says no',
    );
    bad.remove();
    const later = w.registerPostAccumulateGradHook(async () => {});
    assert.throws(() => w.mul(3).sum().backward(), /the hook must be synchronous/);
    later.remove();
    w.grad = null;
    w.mul(3).sum().backward();
    assert.deepEqual((w.grad as Tensor | null)?.toArray(), [3, 3]);
  });

  test('200 backward calls through a hook leave nothing alive', () => {
    const w = torch.randn([16], { requiresGrad: true });
    let calls = 0;
    w.registerPostAccumulateGradHook((p) => {
      calls++;
      p.grad = null;
    });
    const step = () => torch.scope(() => w.mul(w).sum().backward());
    step();
    const before = torch.memory().tensors;
    for (let i = 0; i < 200; i++) step();
    assert.equal(torch.memory().tensors, before);
    assert.equal(calls, 201);
  });
});
