// OptimWrapper (spec 4.1 to 4.8): constructor validation, the accumulation trace table of 4.5
// exactly (the scaled loss and whether the optimizer stepped, call by call), gradient clipping
// and the grad norm in the message hub, getLr / getMomentum, state dicts with the base
// settings, and optimContext's noSync.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { MessageHub, OptimWrapper, type OptimWrapperOptions } from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { type CaptureLogger, captureLogs } from '../support.js';

type Tensor = torch.Tensor;
const { nn, optim } = torch;

let logger: CaptureLogger;
beforeEach(() => {
  logger = captureLogs();
});

class Model extends nn.Module {
  linear = new nn.Linear(2, 1);
  forward(x: Tensor): Tensor {
    return this.linear.forward(x);
  }
}

/** A wrapper that records the loss each backward sees, over an optimizer that counts its steps. */
class TraceWrapper extends OptimWrapper {
  scaled: number[] = [];
  steps = 0;
  constructor(options: OptimWrapperOptions) {
    super(options);
    const step = this.optimizer.step.bind(this.optimizer);
    this.optimizer.step = () => {
      this.steps++;
      return step();
    };
  }
  override backward(loss: Tensor): void {
    this.scaled.push(loss.item() as number);
    super.backward(loss);
  }
  forceCount(c: number): void {
    this._innerCount = c;
  }
}

/** A weight and a loss whose value is 1.0 and whose gradient is 1, whatever the weight. */
function traced(accumulativeCounts: number, lr = 0.1) {
  const w = torch.tensor([1], { dtype: 'float64', requiresGrad: true });
  const wrapper = new TraceWrapper({ optimizer: new optim.SGD([w], { lr }), accumulativeCounts });
  const call = () => {
    const before = wrapper.steps;
    const c = wrapper.innerCount;
    torch.scope(() => wrapper.updateParams(w.sub(w.detach()).add(1).sum()));
    return {
      c,
      factor: 1 / (wrapper.scaled.at(-1) as number),
      after: wrapper.innerCount,
      step: wrapper.steps > before,
    };
  };
  return { w, wrapper, call };
}

describe('OptimWrapper constructor', () => {
  const opt = () => new optim.SGD(new Model().parameters(), { lr: 0.1 });

  test('accumulativeCounts must be at least 1', () => {
    assert.throws(
      () => new OptimWrapper({ optimizer: opt(), accumulativeCounts: 0 }),
      /_accumulative_counts at least greater than or equal to 1/,
    );
    assert.throws(() => new OptimWrapper({ optimizer: opt(), accumulativeCounts: -2 }), /_accumulative_counts/);
  });

  test('clipGrad must be null or a non-empty object with arguments besides type', () => {
    const msg =
      /If `clip_grad` is not None, it should be a `dict` which is the arguments of `torch.nn.utils.clip_grad_norm_` or clip_grad_value_`/;
    assert.throws(() => new OptimWrapper({ optimizer: opt(), clipGrad: [] as never }), msg);
    assert.throws(() => new OptimWrapper({ optimizer: opt(), clipGrad: {} as never }), msg);
    assert.throws(() => new OptimWrapper({ optimizer: opt(), clipGrad: 1 as never }), msg);
    assert.throws(
      () => new OptimWrapper({ optimizer: opt(), clipGrad: { type: 'foo', maxNorm: 1 } as never }),
      /type of clip_grad should be "norm" or "value" but got foo/,
    );
    assert.throws(
      () => new OptimWrapper({ optimizer: opt(), clipGrad: { type: 'norm' } as never }),
      /`clip_grad` should contain other arguments besides `type`/,
    );
    new OptimWrapper({ optimizer: opt(), clipGrad: null });
  });

  test("clipGrad: options clipping cannot take are a TypeError at construction (Python's max_norm, a missing bound)", () => {
    const make = (clipGrad: unknown) => () => new OptimWrapper({ optimizer: opt(), clipGrad: clipGrad as never });
    assert.throws(make({ max_norm: 1 }), {
      name: 'TypeError',
      message: /clipGrad: unknown option 'max_norm' for type 'norm' \(its options: maxNorm, normType, errorIfNonfinite/,
    });
    assert.throws(make({ type: 'value', clip_value: 0.5 }), /unknown option 'clip_value' for type 'value'/);
    assert.throws(make({ maxNorm: 1, foreach: true }), /unknown option 'foreach'/);
    assert.throws(make({ type: 'value', maxNorm: 1 }), /unknown option 'maxNorm' for type 'value'/);
    assert.throws(make({ normType: 2 }), {
      name: 'TypeError',
      message: /type 'norm' needs maxNorm, a number; got undefined/,
    });
    assert.throws(make({ maxNorm: '1' }), /needs maxNorm, a number; got 1/);
    assert.throws(make({ maxNorm: 1, normType: 'two' }), /normType must be a number or 'inf', got two/);
    assert.throws(make({ maxNorm: 1, errorIfNonfinite: 1 }), /errorIfNonfinite must be a boolean/);
    make({ maxNorm: 1, normType: 'inf', errorIfNonfinite: true })();
  });

  test('clipGrad: type defaults to norm; the caller object is not mutated', () => {
    const cfg = { type: 'value' as const, clipValue: 1 };
    const w = new OptimWrapper({ optimizer: opt(), clipGrad: cfg });
    assert.deepEqual(cfg, { type: 'value', clipValue: 1 });
    assert.equal(w.gradName, 'grad_value');
    assert.deepEqual(w.clipGradKwargs, { clipValue: 1 });
    const n = new OptimWrapper({ optimizer: opt(), clipGrad: { maxNorm: 2 } });
    assert.equal(n.gradName, 'grad_norm');
    assert.deepEqual(n.clipGradKwargs, { maxNorm: 2 });
  });

  test('state after construction; the message hub is the current one', () => {
    const hub = MessageHub.getInstance('test_optim_wrapper');
    const o = opt();
    const w = new OptimWrapper({ optimizer: o });
    assert.equal(w.messageHub, hub);
    assert.equal(w.optimizer, o);
    assert.equal(w.innerCount, 0);
    assert.equal(w.clipGradKwargs, null);
    assert.equal(w.baseParamSettings, null);
    assert.equal(w.defaults, o.defaults);
    const s = String(new OptimWrapper({ optimizer: o, accumulativeCounts: 4 }));
    assert.match(s, /^Type: OptimWrapper\n_accumulative_counts: 4\noptimizer: \n/);
  });
});

describe('gradient accumulation (4.5)', () => {
  test('the trace table with A = 3 and a loss of 1.0', () => {
    const { wrapper, call } = traced(3);
    const model = new Model();
    const rows: [number, number, number, boolean][] = [];
    const row = () => {
      const r = call();
      rows.push([r.c, r.factor, r.after, r.step]);
    };
    row(); // fresh, 1st call
    row(); // 2nd
    row(); // 3rd
    wrapper.forceCount(99);
    row(); // c forced to 99, M unknown
    wrapper.initializeCountStatus(model, 99, 100);
    row(); // R = 1
    wrapper.initializeCountStatus(model, 96, 100);
    row();
    row();
    row(); // implied
    row(); // implied
    assert.deepEqual(rows, [
      [0, 3, 1, false],
      [1, 3, 2, false],
      [2, 3, 3, true],
      [99, 3, 100, false],
      [99, 1, 100, true],
      [96, 3, 97, false],
      [97, 3, 98, false],
      [98, 3, 99, true],
      [99, 1, 100, true],
    ]);
  });

  test('initializeCountStatus(model, 0, 100) with A = 3 gives a remainder of 1', () => {
    const { wrapper } = traced(3);
    wrapper.initializeCountStatus(new Model(), 0, 100);
    assert.equal((wrapper as unknown as { remainderCounts: number }).remainderCounts, 1);
    assert.equal((wrapper as unknown as { maxCounts: number }).maxCounts, 100);
  });

  test('a whole run of 8 calls with A = 3: the last 2 calls are divided by 2 and step at the end', () => {
    const { w, wrapper, call } = traced(3, 1);
    wrapper.initializeCountStatus(new Model(), 0, 8);
    const trace = Array.from({ length: 8 }, () => call());
    assert.deepEqual(
      trace.map((r) => r.factor),
      [3, 3, 3, 3, 3, 3, 2, 2],
    );
    assert.deepEqual(
      trace.map((r) => r.step),
      [false, false, true, false, false, true, false, true],
    );
    // Each group's gradient is the mean of its calls' (1), so three steps of lr 1.
    assert.ok(Math.abs((w.item() as number) - -2) < 1e-12);
  });

  test('calls beyond M with a remainder of 0 fail: the factor would be 0', () => {
    const { wrapper, call } = traced(3);
    wrapper.initializeCountStatus(new Model(), 99, 99);
    assert.throws(() => call(), /loss_factor should be larger than zero!/);
  });

  test('A = 1: factor 1 and step() then zeroGrad() on every call, with no arguments', () => {
    const { w, wrapper, call } = traced(1);
    const calls: string[] = [];
    const step = wrapper.step.bind(wrapper);
    const zero = wrapper.zeroGrad.bind(wrapper);
    wrapper.step = (...args: unknown[]) => {
      calls.push(`step(${args.length})`);
      step();
    };
    wrapper.zeroGrad = (...args: unknown[]) => {
      calls.push(`zeroGrad(${args.length})`);
      zero();
    };
    const r = call();
    assert.equal(r.factor, 1);
    assert.equal(r.step, true);
    assert.deepEqual(calls, ['step(0)', 'zeroGrad(0)']);
    assert.equal(w.grad, null, 'zeroGrad sets gradients to null');
    wrapper.initializeCountStatus(new Model(), 5, 10);
    assert.equal(call().factor, 1);
  });

  test('gradients are cleared only after a step, never before the first backward', () => {
    const { w, call } = traced(1, 1);
    torch.scope(() => w.sum().mul(5).backward());
    call();
    // 1 - (5 + 1)
    assert.equal(w.item(), -5);
  });

  test('shouldUpdate and shouldSync (one call ahead)', () => {
    const { wrapper, call } = traced(3);
    assert.equal(wrapper.shouldSync(), false);
    call();
    call();
    assert.equal(wrapper.shouldSync(), true);
    assert.equal(wrapper.shouldUpdate(), false);
    call();
    assert.equal(wrapper.shouldUpdate(), true);
    wrapper.initializeCountStatus(new Model(), 2, 100);
    assert.equal(wrapper.shouldSync(), true);
    wrapper.initializeCountStatus(new Model(), 97, 98);
    assert.equal(wrapper.shouldSync(), true, 'c + 1 == M');
    wrapper.initializeCountStatus(new Model(), 0, 100);
    assert.equal(wrapper.shouldSync(), false);
    assert.equal(traced(1).wrapper.shouldSync(), true);
  });

  test('initializeCountStatus warns about a resumed count not divisible by A and about BatchNorm', () => {
    const { wrapper } = traced(3);
    wrapper.initializeCountStatus(new Model(), 4, 100);
    assert.deepEqual(logger.messages('warning'), [
      'Resumed iteration number is not divisible by `_accumulative_counts` in `GradientCumulativeOptimizerHook`, which means the gradient of some iterations is lost and the result may be influenced slightly.',
    ]);
    class BN extends nn.Module {
      bn = new nn.BatchNorm2d(2);
      forward(): never {
        throw new Error('unused');
      }
    }
    logger.records.length = 0;
    wrapper.initializeCountStatus(new BN(), 3, 100);
    assert.deepEqual(logger.messages('warning'), [
      'Gradient accumulative may slightly decrease performance because the model has BatchNorm layers.',
    ]);
    logger.records.length = 0;
    traced(1).wrapper.initializeCountStatus(new BN(), 3, 100);
    assert.deepEqual(logger.messages('warning'), []);
  });
});

describe('gradient clipping (4.6)', () => {
  /** w (2 values) with gradient [3, 4] and u (1 value, its own group) with gradient [0]: norm 5. */
  function setup(clipGrad: OptimWrapperOptions['clipGrad'], hubName: string) {
    const hub = MessageHub.getInstance(hubName);
    const f = { dtype: 'float32' as const, requiresGrad: true };
    const w = torch.tensor([1, 1], f);
    const u = torch.tensor([2], f);
    const frozen = torch.tensor([7], f);
    const unused = torch.tensor([3], f);
    const wrapper = new OptimWrapper({
      optimizer: new optim.SGD([{ params: [w] }, { params: [u, frozen, unused] }], { lr: 1 }),
      clipGrad,
    });
    const run = () =>
      torch.scope(() => {
        frozen.requiresGrad_(false);
        wrapper.updateParams(
          w
            .mul(torch.tensor([3, 4]))
            .sum()
            .add(u.mul(0).sum()),
        );
      });
    return { hub, w, u, frozen, unused, wrapper, run };
  }

  test('by norm: the pre-clip norm is logged as train/grad_norm and the gradients are scaled to maxNorm', () => {
    const { hub, w, u, run } = setup({ type: 'norm', maxNorm: 1 }, 'clip-norm');
    run();
    assert.equal(hub.getScalar('train/grad_norm').current(), 5);
    const [a, b] = w.toArray() as [number, number];
    assert.ok(Math.abs(a - (1 - 0.6)) < 1e-6 && Math.abs(b - (1 - 0.8)) < 1e-6, `${a}, ${b}`);
    assert.equal(u.item(), 2);
    run();
    assert.deepEqual(hub.getScalar('train/grad_norm').data[0], [5, 5]);
  });

  test("normType 'inf': the largest absolute gradient", () => {
    const { hub, run } = setup({ maxNorm: 100, normType: 'inf' }, 'clip-inf');
    run();
    assert.equal(hub.getScalar('train/grad_norm').current(), 4);
  });

  test('errorIfNonfinite: a non-finite norm is an error', () => {
    const w = torch.tensor([1], { dtype: 'float32', requiresGrad: true });
    const wrapper = new OptimWrapper({
      optimizer: new optim.SGD([w], { lr: 1 }),
      clipGrad: { maxNorm: 1, errorIfNonfinite: true },
    });
    assert.throws(() => torch.scope(() => wrapper.updateParams(w.mul(Number.POSITIVE_INFINITY).sum())), /non-finite/);
  });

  test('by value: gradients clamped, nothing logged', () => {
    const { hub, w, run } = setup({ type: 'value', clipValue: 0.5 }, 'clip-value');
    run();
    assert.deepEqual(w.toArray(), [0.5, 0.5]);
    assert.equal(hub.logScalars.has('train/grad_value'), false);
    assert.equal(hub.logScalars.has('train/grad_norm'), false);
  });

  test('with no gradients to clip nothing is logged', () => {
    const { hub, wrapper } = setup({ maxNorm: 1 }, 'clip-none');
    wrapper.step();
    assert.equal(hub.logScalars.size, 0);
  });
});

describe('getLr, getMomentum, paramGroups, state dicts (4.1)', () => {
  const tensors = () => [torch.zeros([2], { requiresGrad: true }), torch.zeros([3], { requiresGrad: true })] as const;

  test('one group: no base settings', () => {
    const [a, b] = tensors();
    const w = new OptimWrapper({ optimizer: new optim.SGD([a, b], { lr: 0.01, momentum: 0.9 }) });
    assert.deepEqual(w.getLr(), { lr: [0.01] });
    assert.deepEqual(w.getMomentum(), { momentum: [0.9] });
    assert.equal(w.paramGroups.length, 1);
    assert.equal('base_param_settings' in w.stateDict(), false);
  });

  test('several groups: base_lr first, and a pseudo-group holding a copy of the defaults', () => {
    const [a, b] = tensors();
    const opt = new optim.SGD([{ params: [a], lr: 0.1 }, { params: [b] }], { lr: 0.01, momentum: 0.9 });
    const w = new OptimWrapper({ optimizer: opt });
    const lr = w.getLr();
    assert.deepEqual(lr, { base_lr: [0.01], lr: [0.1, 0.01] });
    assert.deepEqual(Object.keys(lr), ['base_lr', 'lr']);
    assert.deepEqual(w.getMomentum(), { momentum: [0.9, 0.9] });
    assert.equal(w.paramGroups.length, 3);
    const base = w.paramGroups[2] as Record<string, unknown> & { params: Tensor[] };
    assert.equal(base, w.baseParamSettings);
    assert.deepEqual(base.params[0]?.toArray(), [0]);
    assert.equal(base.lr, 0.01);
    assert.equal(base.momentum, 0.9);
    // A scheduler writing the pseudo-group moves the base lr.
    base.lr = 0.5;
    assert.deepEqual(w.getLr().base_lr, [0.5]);
  });

  test('a scheduler built on the wrapper schedules base_lr with the groups, as MMEngine schedules its param_groups', () => {
    const [a, b] = tensors();
    const opt = new optim.SGD([{ params: [a], lr: 0.1 }, { params: [b] }], { lr: 0.01 });
    const w = new OptimWrapper({ optimizer: opt });
    const sched = new optim.lrScheduler.StepLR(w, { stepSize: 1, gamma: 0.5 });
    const seen = [w.getLr()];
    for (let i = 0; i < 2; i++) {
      opt.step();
      sched.step();
      seen.push(w.getLr());
    }
    assert.deepEqual(seen, [
      { base_lr: [0.01], lr: [0.1, 0.01] },
      { base_lr: [0.005], lr: [0.05, 0.005] },
      { base_lr: [0.0025], lr: [0.025, 0.0025] },
    ]);
    assert.deepEqual(sched.getLastLr(), [0.025, 0.0025, 0.0025]);
    assert.deepEqual(
      opt.paramGroups.map((g) => g.lr),
      [0.025, 0.0025],
    );
    assert.equal(w.stateDict().base_param_settings?.lr, 0.0025);
    assert.throws(
      () => new optim.lrScheduler.StepLR({ paramGroups: [] } as never, { stepSize: 1 }),
      /StepLR: the first argument must be an Optimizer \(or an optimizer wrapper\)/,
    );
  });

  test("momentum: a group's momentum, else betas[0], else 0", () => {
    const [a, b] = tensors();
    assert.deepEqual(new OptimWrapper({ optimizer: new optim.Adam([a], { betas: [0.8, 0.99] }) }).getMomentum(), {
      momentum: [0.8],
    });
    assert.deepEqual(new OptimWrapper({ optimizer: new optim.AdamW([b]) }).getMomentum(), { momentum: [0.9] });
    assert.deepEqual(new OptimWrapper({ optimizer: new optim.Adagrad([a]) }).getMomentum(), { momentum: [0] });
  });

  test('stateDict carries base_param_settings; loading adopts it without mutating the given object', () => {
    const [a, b] = tensors();
    const src = new OptimWrapper({
      optimizer: new optim.SGD([{ params: [a], lr: 0.1 }, { params: [b] }], { lr: 0.01, momentum: 0.9 }),
    });
    torch.scope(() => {
      a.sum().add(b.sum()).backward();
      src.step();
    });
    (src.baseParamSettings as Record<string, unknown>).lr = 0.02;
    const sd = src.stateDict();
    assert.equal(sd.base_param_settings?.lr, 0.02);
    assert.equal(sd.base_param_settings?.momentum, 0.9);
    assert.equal(Object.keys(sd.state).length, 2);

    const [c, d] = tensors();
    const dst = new OptimWrapper({
      optimizer: new optim.SGD([{ params: [c], lr: 0.3 }, { params: [d] }], { lr: 0.01, momentum: 0.9 }),
    });
    dst.loadStateDict(sd);
    assert.ok('base_param_settings' in sd, 'the caller state dict is not mutated');
    assert.deepEqual(dst.getLr(), { base_lr: [0.02], lr: [0.1, 0.01] });
    const buffers = (st: typeof sd.state) => Object.values(st).map((v) => (v.momentum_buffer as Tensor).toArray());
    assert.deepEqual(buffers(dst.stateDict().state), buffers(sd.state));
    assert.deepEqual(buffers(sd.state), [
      [1, 1],
      [1, 1, 1],
    ]);
  });

  test('base_param_settings is adopted even by a one-group wrapper; stored params are not taken', () => {
    const [a] = tensors();
    const w = new OptimWrapper({ optimizer: new optim.SGD([a], { lr: 0.01 }) });
    const sd = { ...w.stateDict(), base_param_settings: { lr: 0.07, params: torch.tensor([0]) } };
    w.loadStateDict(sd);
    assert.deepEqual(w.getLr(), { base_lr: [0.07], lr: [0.01] });
    assert.ok(Array.isArray(w.baseParamSettings?.params));
  });

  test('a plain optimizer state dict loads', () => {
    const [a] = tensors();
    const opt = new optim.SGD([a], { lr: 0.01, momentum: 0.9 });
    const plain = new optim.SGD([torch.zeros([2], { requiresGrad: true })], { lr: 0.5, momentum: 0.9 }).stateDict();
    const w = new OptimWrapper({ optimizer: opt });
    w.loadStateDict(plain);
    assert.deepEqual(w.getLr(), { lr: [0.5] });
  });
});

describe('optimContext (4.7)', () => {
  class DDPLike extends Model {
    noSyncCalls = 0;
    noSync<T>(fn: () => T): T {
      this.noSyncCalls++;
      return fn();
    }
  }

  test("calls the model's noSync only when !shouldSync, and returns the body's value", () => {
    const { wrapper, call } = traced(3);
    const model = new DDPLike();
    assert.equal(
      wrapper.optimContext(model, () => 42),
      42,
    );
    assert.equal(model.noSyncCalls, 1, 'c = 0: (0 + 1) mod 3 != 0');
    call();
    call();
    wrapper.optimContext(model, () => 0);
    assert.equal(model.noSyncCalls, 1, 'c = 2: the next backward completes the group');
    wrapper.initializeCountStatus(model, 0, 100);
    wrapper.optimContext(model, () => 0);
    assert.equal(model.noSyncCalls, 2);
    wrapper.initializeCountStatus(model, 2, 100);
    wrapper.optimContext(model, () => 0);
    assert.equal(model.noSyncCalls, 2);
  });

  test('A = 1 never blocks sync; a model without noSync just runs the body', () => {
    const model = new DDPLike();
    const w = traced(1).wrapper;
    for (let i = 0; i < 3; i++) w.optimContext(model, () => 0);
    assert.equal(model.noSyncCalls, 0);
    assert.equal(
      traced(3).wrapper.optimContext(new Model(), () => 'ran'),
      'ran',
    );
  });
});
