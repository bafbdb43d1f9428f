// torch.optim's own behaviour with values worked out by hand (no Python needed): single steps
// of each optimizer, param groups, zeroGrad, closures, state dict layout, option checks, the
// LR schedules' first values, and the memory of a long run inside torch.scope.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';

const { optim } = torch;
const { lrScheduler } = optim;

const close = (actual: number[], expected: number[], tol = 1e-15): void => {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => {
    assert.ok(Math.abs(a - (expected[i] as number)) <= tol, `[${i}]: ${a} vs ${expected[i]}`);
  });
};

/** A float64 parameter and the gradient of sum(p^2) (2p) put in place. */
function param(values: number[]): torch.Tensor {
  return torch.tensor(values, { dtype: 'float64', requiresGrad: true });
}

function gradOfSumSquares(p: torch.Tensor): void {
  torch.scope(() => p.mul(p).sum().backward());
}

const arr = (t: torch.Tensor): number[] => t.toArray() as number[];

describe('single steps by hand', () => {
  test('SGD with momentum: buffer = grad, then momentum * buffer + grad', () => {
    const p = param([1, 2]);
    const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
    gradOfSumSquares(p);
    opt.step();
    close(arr(p), [1 - 0.1 * 2, 2 - 0.1 * 4]); // [0.8, 1.6]
    opt.zeroGrad();
    gradOfSumSquares(p); // grad [1.6, 3.2]; buffer 0.9 * [2, 4] + [1.6, 3.2] = [3.4, 6.8]
    opt.step();
    close(arr(p), [0.8 - 0.34, 1.6 - 0.68]);
    close(arr(opt.state.get(p)?.momentumBuffer as torch.Tensor), [3.4, 6.8]);
  });

  test('SGD: Nesterov, dampening, weight decay, maximize', () => {
    const p = param([1, -2]);
    const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.5, nesterov: true, weightDecay: 0.1 });
    gradOfSumSquares(p); // g = 2p + 0.1p = 2.1p; buf = g; step along g + 0.5 g
    opt.step();
    close(arr(p), [1 - 0.1 * 1.5 * 2.1, -2 + 0.1 * 1.5 * 4.2], 1e-15);

    const q = param([1, -2]);
    const opt2 = new optim.SGD([q], { lr: 0.1, maximize: true });
    gradOfSumSquares(q);
    opt2.step();
    close(arr(q), [1.2, -2.4]);

    const r = param([1]);
    const opt3 = new optim.SGD([r], { lr: 0.1, momentum: 0.5, dampening: 0.5 });
    gradOfSumSquares(r); // g 2: buf 2 (no dampening on the first step), r = 0.8
    opt3.step();
    opt3.zeroGrad();
    gradOfSumSquares(r); // g 1.6: buf 0.5 * 2 + 0.5 * 1.6 = 1.8, r = 0.8 - 0.18
    opt3.step();
    close(arr(r), [0.62], 1e-15);
  });

  test('Adam and AdamW: the first step moves each parameter by about lr', () => {
    const p = param([1, -2, 0.5]);
    const opt = new optim.Adam([p], { lr: 0.01 });
    gradOfSumSquares(p);
    opt.step();
    // m = (1 - b1) g, v = (1 - b2) g^2; the bias corrections cancel: step = lr g / (|g| + eps)
    const expected = [1, -2, 0.5].map((x) => x - (0.01 * 2 * x) / (Math.abs(2 * x) + 1e-8));
    close(arr(p), expected, 1e-15);
    const s = opt.state.get(p);
    assert.equal(s?.step?.dtype, 'float32');
    assert.deepEqual(s?.step?.shape, []);
    assert.equal(s?.step?.item(), 1);

    const q = param([1, -2, 0.5]);
    const optW = new optim.AdamW([q], { lr: 0.01, weightDecay: 0.5 });
    gradOfSumSquares(q);
    optW.step();
    const expectedW = [1, -2, 0.5].map((x) => x * (1 - 0.01 * 0.5) - (0.01 * 2 * x) / (Math.abs(2 * x) + 1e-8));
    close(arr(q), expectedW, 1e-15);
    assert.equal(optW.paramGroups[0]?.weightDecay, 0.5);
    assert.equal(new optim.AdamW([param([1])]).defaults.weightDecay, 1e-2);
  });

  test('RMSprop and Adagrad: the first step', () => {
    const p = param([1, -2]);
    const opt = new optim.RMSprop([p], { lr: 0.01, alpha: 0.9 });
    gradOfSumSquares(p);
    opt.step();
    close(
      arr(p),
      [1, -2].map((x) => x - (0.01 * 2 * x) / (Math.sqrt(0.1 * 4 * x * x) + 1e-8)),
      1e-15,
    );

    const q = param([1, -2]);
    const opt2 = new optim.Adagrad([q], { lr: 0.1 });
    assert.ok(opt2.state.get(q)?.sum, 'Adagrad makes its state in the constructor');
    gradOfSumSquares(q);
    opt2.step();
    close(
      arr(q),
      [1, -2].map((x) => x - (0.1 * 2 * x) / (Math.abs(2 * x) + 1e-10)),
      1e-15,
    );
  });

  test('parameters without a gradient are left alone and get no state', () => {
    const p = param([1, 2]);
    const frozen = param([3]);
    const opt = new optim.Adam([p, frozen], { lr: 0.1 });
    gradOfSumSquares(p);
    opt.step();
    assert.deepEqual(arr(frozen), [3]);
    assert.equal(opt.state.has(frozen), false);
    assert.deepEqual(Object.keys(opt.stateDict().state), ['0']);
  });
});

describe('groups, zeroGrad, step', () => {
  test('param groups take their own options and the defaults for the rest, in PyTorch order', () => {
    const a = param([1]);
    const b = param([2]);
    const opt = new optim.SGD([{ params: [a], lr: 0.5 }, { params: [b] }], { lr: 0.1, momentum: 0.9 });
    assert.equal(opt.paramGroups[0]?.lr, 0.5);
    assert.equal(opt.paramGroups[1]?.lr, 0.1);
    assert.equal(opt.paramGroups[0]?.momentum, 0.9);
    assert.deepEqual(Object.keys(opt.stateDict().param_groups[0] as object), [
      'lr',
      'momentum',
      'dampening',
      'weight_decay',
      'nesterov',
      'maximize',
      'foreach',
      'differentiable',
      'fused',
      'params',
    ]);
    const c = param([3]);
    opt.addParamGroup({ params: c, weightDecay: 0.1 });
    assert.equal(opt.paramGroups.length, 3);
    assert.deepEqual(opt.paramGroups[2]?.params, [c]);
    assert.equal(opt.paramGroups[2]?.lr, 0.1);
    assert.deepEqual(
      opt.stateDict().param_groups.map((g) => g.params),
      [[0], [1], [2]],
    );
    assert.throws(() => opt.addParamGroup({ params: [a] }), /more than one parameter group/);
  });

  test('writing group.lr changes the next step', () => {
    const p = param([1]);
    const opt = new optim.SGD([p], { lr: 0.1 });
    (opt.paramGroups[0] as torch.optim.ParamGroup).lr = 0;
    gradOfSumSquares(p);
    opt.step();
    assert.deepEqual(arr(p), [1]);
    (opt.paramGroups[0] as torch.optim.ParamGroup).lr = 0.25;
    opt.step();
    assert.deepEqual(arr(p), [0.5]);
  });

  test('named parameters give param_names', () => {
    const w = param([1]);
    const b = param([2]);
    const opt = new optim.SGD(
      [
        ['weight', w],
        ['bias', b],
      ],
      { lr: 0.1 },
    );
    assert.deepEqual(opt.paramGroups[0]?.params, [w, b]);
    assert.deepEqual(opt.stateDict().param_groups[0]?.param_names, ['weight', 'bias']);
  });

  test('zeroGrad sets grads to null by default, or to zero', () => {
    const p = param([1, 2]);
    const opt = new optim.SGD([p], { lr: 0.1 });
    gradOfSumSquares(p);
    opt.zeroGrad({ setToNone: false });
    assert.deepEqual(p.grad?.toArray(), [0, 0]);
    opt.zeroGrad();
    assert.equal(p.grad, null);
  });

  test('step(closure) evaluates the closure with grad on and returns its loss', () => {
    const p = param([1, 2]);
    const opt = new optim.SGD([p], { lr: 0.1 });
    const loss = torch.noGrad(() =>
      opt.step(() => {
        opt.zeroGrad();
        const l = p.mul(p).sum();
        l.backward();
        return l;
      }),
    );
    assert.equal(loss?.item(), 5);
    assert.equal(loss?.isDisposed, false, 'the returned loss outlives the step');
    close(arr(p), [0.8, 1.6]);
  });
});

describe('state dicts', () => {
  test("Adam's layout: snake_case keys, parameter indices, step a float32 0-d tensor", () => {
    const p = param([1, 2]);
    const q = param([[3]].flat());
    const opt = new optim.Adam([p, q], { amsgrad: true });
    gradOfSumSquares(p);
    gradOfSumSquares(q);
    opt.step();
    const sd = opt.stateDict();
    assert.deepEqual(Object.keys(sd), ['state', 'param_groups']);
    assert.deepEqual(Object.keys(sd.state), ['0', '1']);
    assert.deepEqual(Object.keys(sd.state[0] as object), ['step', 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']);
    const step = sd.state[0]?.step as torch.Tensor;
    assert.equal(step.dtype, 'float32');
    assert.deepEqual(step.shape, []);
    assert.deepEqual(sd.param_groups, [
      {
        lr: 1e-3,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weight_decay: 0,
        amsgrad: true,
        maximize: false,
        foreach: null,
        capturable: false,
        differentiable: false,
        fused: null,
        decoupled_weight_decay: false,
        params: [0, 1],
      },
    ]);
  });

  test('loadStateDict copies: the source and the copy do not share state', () => {
    const p = param([1, 2]);
    const opt = new optim.RMSprop([p], { momentum: 0.9 });
    gradOfSumSquares(p);
    opt.step();
    const sd = opt.stateDict();
    const q = param([1, 2]);
    const opt2 = new optim.RMSprop([q]);
    opt2.loadStateDict(sd);
    assert.equal(opt2.paramGroups[0]?.momentum, 0.9);
    assert.notEqual(opt2.state.get(q)?.squareAvg, sd.state[0]?.square_avg);
    assert.deepEqual(opt2.state.get(q)?.squareAvg?.toArray(), (sd.state[0]!.square_avg as torch.Tensor).toArray());
  });

  test("Adamax, NAdam, RAdam, Adadelta, Rprop, ASGD: PyTorch's snake_case keys, and back to camelCase on loading", () => {
    const cases: [torch.optim.Optimizer, string[], string[]][] = [];
    const make = <T extends torch.optim.Optimizer>(f: (q: torch.Tensor) => T, state: string[], group: string[]) => {
      const q = param([1, -2]);
      const opt = f(q);
      gradOfSumSquares(q);
      opt.step();
      cases.push([opt, state, group]);
    };
    make((q) => new optim.Adamax([q]), ['step', 'exp_avg', 'exp_inf'], ['weight_decay']);
    make(
      (q) => new optim.NAdam([q]),
      ['step', 'mu_product', 'exp_avg', 'exp_avg_sq'],
      ['momentum_decay', 'decoupled_weight_decay'],
    );
    make((q) => new optim.RAdam([q]), ['step', 'exp_avg', 'exp_avg_sq'], ['decoupled_weight_decay']);
    make((q) => new optim.Adadelta([q]), ['step', 'square_avg', 'acc_delta'], ['rho']);
    make((q) => new optim.Rprop([q]), ['step', 'prev', 'step_size'], ['etas', 'step_sizes']);
    make((q) => new optim.ASGD([q]), ['step', 'eta', 'mu', 'ax'], ['lambd', 't0']);
    for (const [opt, stateKeys, groupKeys] of cases) {
      const what = opt.constructor.name;
      const sd = opt.stateDict();
      assert.deepEqual(Object.keys(sd.state[0] as object), stateKeys, what);
      for (const k of groupKeys) assert.ok(k in (sd.param_groups[0] as object), `${what}: ${k}`);
      // the 0-d float32 tensors PyTorch keeps as such: step, and NAdam's mu_product, ASGD's eta and mu
      for (const k of ['step', 'mu_product', 'eta', 'mu']) {
        const t = sd.state[0]?.[k] as torch.Tensor | undefined;
        if (t === undefined) continue;
        assert.equal(t.dtype, 'float32', `${what}: ${k}`);
        assert.deepEqual(t.shape, [], `${what}: ${k}`);
      }
      const q = param([1, -2]);
      const copy = new (opt.constructor as new (params: torch.Tensor[]) => torch.optim.Optimizer)([q]);
      copy.loadStateDict(sd);
      const loaded = copy.state.get(q) as Record<string, unknown>;
      assert.deepEqual(
        Object.keys(loaded),
        stateKeys.map((k) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())),
        what,
      );
      assert.deepEqual(copy.stateDict().param_groups, sd.param_groups, what);
    }
  });

  test('loadStateDict refuses a dict that does not fit', () => {
    const opt = new optim.SGD([param([1]), param([2])], { lr: 0.1 });
    const other = new optim.SGD([param([1])], { lr: 0.1 });
    assert.throws(() => opt.loadStateDict(other.stateDict()), /group 0 has 1 params in the state dict and 2 here/);
    const two = new optim.SGD([{ params: [param([1])] }, { params: [param([2])] }], { lr: 0.1 });
    assert.throws(() => opt.loadStateDict(two.stateDict()), /2 parameter groups, this optimizer 1/);
    assert.throws(() => opt.loadStateDict({} as torch.optim.OptimizerStateDict), TypeError);
  });
});

describe('option checks', () => {
  const p = (): torch.Tensor => param([1]);
  test('invalid values are refused as PyTorch refuses them', () => {
    assert.throws(() => new optim.SGD([p()], { lr: -0.1 }), /SGD: invalid learning rate: -0.1/);
    assert.throws(() => new optim.SGD([p()], { lr: 0.1, momentum: -1 }), /invalid momentum value/);
    assert.throws(() => new optim.SGD([p()], { lr: 0.1, weightDecay: -1 }), /invalid weightDecay value/);
    assert.throws(() => new optim.SGD([p()], { lr: 0.1, nesterov: true }), /Nesterov momentum requires a momentum/);
    assert.throws(() => new optim.Adam([p()], { betas: [1.0, 0.999] }), /invalid beta parameter at index 0: 1/);
    assert.throws(() => new optim.Adam([p()], { betas: [0.9, -0.1] }), /invalid beta parameter at index 1/);
    assert.throws(() => new optim.Adam([p()], { eps: -1 }), /invalid epsilon value/);
    assert.throws(() => new optim.RMSprop([p()], { alpha: -1 }), /invalid alpha value/);
    assert.throws(() => new optim.Adagrad([p()], { lrDecay: -1 }), /invalid lrDecay value/);
    assert.throws(() => new optim.Adagrad([p()], { initialAccumulatorValue: -1 }), /initialAccumulatorValue/);
    assert.throws(() => new optim.SGD([{ params: [p()], lr: -1 }]), /invalid learning rate/);
  });

  test('invalid options of Adamax, NAdam, RAdam, Adadelta, Rprop and ASGD name the class and the option', () => {
    assert.throws(() => new optim.Adamax([p()], { lr: -1 }), /^Error: Adamax: invalid learning rate: -1/);
    assert.throws(() => new optim.Adamax([p()], { betas: [0.9, 1] }), /Adamax: invalid beta parameter at index 1: 1/);
    assert.throws(() => new optim.Adamax([p()], { eps: -1e-8 }), /Adamax: invalid epsilon value/);
    assert.throws(() => new optim.NAdam([p()], { momentumDecay: -0.1 }), /NAdam: invalid momentumDecay value: -0.1/);
    assert.throws(() => new optim.NAdam([p()], { weightDecay: -1 }), /NAdam: invalid weightDecay value/);
    assert.throws(
      () => new optim.NAdam([p()], { decoupledWeightDecay: 1 as unknown as boolean }),
      /NAdam: decoupledWeightDecay must be a boolean/,
    );
    assert.throws(() => new optim.RAdam([p()], { betas: [-0.1, 0.9] }), /RAdam: invalid beta parameter at index 0/);
    assert.throws(
      () => new optim.RAdam([p()], { betas: [0.9] as unknown as [number, number] }),
      /RAdam: betas must be an array of two numbers/,
    );
    assert.throws(() => new optim.Adadelta([p()], { rho: 1.5 }), /Adadelta: invalid rho value: 1.5/);
    assert.throws(() => new optim.Adadelta([{ params: [p()], lr: -1 }]), /Adadelta: invalid learning rate/);
    assert.throws(() => new optim.Rprop([p()], { etas: [1.2, 0.5] }), /Rprop: invalid eta values: 1.2, 0.5/);
    assert.throws(() => new optim.Rprop([p()], { etas: [0.5, 1] }), /Rprop: invalid eta values: 0.5, 1/);
    assert.throws(
      () => new optim.Rprop([p()], { stepSizes: 1e-6 as unknown as [number, number] }),
      /Rprop: stepSizes must be an array of two numbers, \[min, max\]/,
    );
    assert.throws(() => new optim.ASGD([p()], { weightDecay: -1 }), /ASGD: invalid weightDecay value/);
    assert.throws(() => new optim.ASGD([p()], { t0: '5' as unknown as number }), /ASGD: t0 must be a number/);
    assert.throws(() => new optim.ASGD([p()], { capturable: true }), /ASGD: capturable=true is not supported/);
    assert.throws(
      () => new optim.Rprop([p()], { step_sizes: [1e-6, 50] } as unknown as torch.optim.RpropOptions),
      /Rprop: unknown option 'step_sizes'; options are camelCase: 'stepSizes'/,
    );
    assert.throws(
      () => new optim.NAdam([p()], { momentum_decay: 0.1 } as unknown as torch.optim.NAdamOptions),
      /NAdam: unknown option 'momentum_decay'; options are camelCase: 'momentumDecay'/,
    );
    assert.throws(() => new optim.Adadelta([p()], { foreach: 1 as unknown as boolean }), /Adadelta: foreach must be/);
  });

  test('wrong types and unknown options are TypeErrors', () => {
    assert.throws(() => new optim.SGD(p() as unknown as torch.Tensor[]), TypeError);
    assert.throws(() => new optim.SGD([1 as unknown as torch.Tensor]), TypeError);
    assert.throws(() => new optim.SGD([p()], { lr: '0.1' as unknown as number }), TypeError);
    assert.throws(
      () => new optim.SGD([p()], { weight_decay: 0.1 } as unknown as torch.optim.SGDOptions),
      /unknown option 'weight_decay'; options are camelCase: 'weightDecay'/,
    );
    assert.throws(() => new optim.SGD([{ params: [p()], weight_decay: 0.1 }]), /options are camelCase: 'weightDecay'/);
    assert.throws(
      () => new optim.Adam([p()], { lr: torch.scalarTensor(0.1) as unknown as number }),
      /Tensor is not supported/,
    );
    assert.throws(() => new optim.AdamW([p()], { decoupledWeightDecay: false } as torch.optim.AdamOptions), TypeError);
  });

  test('empty, non-leaf, duplicated and unsupported inputs', () => {
    assert.throws(() => new optim.SGD([]), /empty parameter list/);
    const leaf = p();
    assert.throws(() => new optim.SGD([leaf.mul(2)]), /non-leaf/);
    assert.throws(() => new optim.SGD([{ params: [leaf] }, { params: [leaf] }]), /more than one parameter group/);
    assert.throws(() => new optim.SGD([{ params: new Set([leaf]) as unknown as torch.Tensor[] }]), /not a Set/);
    assert.throws(() => new optim.Adam([leaf], { capturable: true }), /capturable=true is not supported/);
    assert.throws(() => new optim.SGD([leaf], { differentiable: true }), /differentiable=true is not supported/);
  });
});

describe('LR schedules by hand', () => {
  const sgd = (lr = 1): torch.optim.SGD => new optim.SGD([param([1])], { lr });
  const run = (s: torch.optim.lrScheduler.LRScheduler, n: number): number[] => {
    const out = [s.getLastLr()[0] as number];
    for (let i = 0; i < n; i++) {
      s.step();
      out.push(s.getLastLr()[0] as number);
    }
    return out;
  };

  test('StepLR and MultiStepLR', () => {
    const opt = sgd();
    const s = new lrScheduler.StepLR(opt, { stepSize: 2, gamma: 0.5 });
    assert.equal(opt.paramGroups[0]?.initialLr, 1);
    assert.equal(s.lastEpoch, 0);
    assert.deepEqual(run(s, 5), [1, 1, 0.5, 0.5, 0.25, 0.25]);
    assert.equal(s.lastEpoch, 5);
    assert.equal(opt.paramGroups[0]?.lr, 0.25);
    const m = new lrScheduler.MultiStepLR(sgd(), { milestones: [1, 3, 3], gamma: 0.5 });
    assert.deepEqual(run(m, 4), [1, 0.5, 0.5, 0.125, 0.125]);
  });

  test('LinearLR, ConstantLR, ExponentialLR, LambdaLR', () => {
    close(run(new lrScheduler.LinearLR(sgd(3), { startFactor: 0.5, totalIters: 2 }), 3), [1.5, 2.25, 3, 3]);
    close(run(new lrScheduler.ConstantLR(sgd(), { factor: 0.5, totalIters: 2 }), 3), [0.5, 0.5, 1, 1]);
    close(run(new lrScheduler.ExponentialLR(sgd(), { gamma: 0.5 }), 3), [1, 0.5, 0.25, 0.125]);
    close(run(new lrScheduler.LambdaLR(sgd(2), { lrLambda: (e) => e + 1 }), 2), [2, 4, 6]);
  });

  test('CosineAnnealingLR reaches etaMin at TMax', () => {
    const lrs = run(new lrScheduler.CosineAnnealingLR(sgd(), { TMax: 4, etaMin: 0.1 }), 4);
    close(lrs, [1, 0.1 + (0.9 * (1 + Math.SQRT1_2)) / 2, 0.55, 0.1 + (0.9 * (1 - Math.SQRT1_2)) / 2, 0.1], 1e-15);
  });

  test('SequentialLR switches at the milestone, from the closed form at epoch 0', () => {
    const opt = sgd();
    const warm = new lrScheduler.LinearLR(opt, { startFactor: 0.5, totalIters: 2 });
    const decay = new lrScheduler.ExponentialLR(opt, { gamma: 0.5 });
    const s = new lrScheduler.SequentialLR(opt, { schedulers: [warm, decay], milestones: [2] });
    close(run(s, 4), [0.5, 0.75, 1, 0.5, 0.25]);
  });

  test('OneCycleLR writes initialLr, maxLr, minLr and cycles momentum', () => {
    const opt = new optim.SGD([param([1])], { lr: 0.1, momentum: 0.9 });
    const s = new lrScheduler.OneCycleLR(opt, { maxLr: 1, totalSteps: 10 });
    const g = opt.paramGroups[0] as torch.optim.SGDParamGroup;
    assert.equal(g.initialLr, 1 / 25);
    assert.equal(g.maxLr, 1);
    assert.equal(g.minLr, 1 / 25 / 1e4);
    close([g.lr], [1 / 25], 1e-15); // 0.040000000000000036, as in PyTorch: the cosine at pct 0
    assert.equal(g.momentum, 0.95);
    for (let i = 0; i < 9; i++) s.step();
    close([g.lr], [1 / 25 / 1e4], 1e-18);
    s.step();
    assert.throws(() => s.step(), /tried to step 11 times; the specified number of total steps is 10/);
  });

  test('scheduler option checks', () => {
    assert.throws(
      () => new lrScheduler.StepLR(sgd(), {} as torch.optim.lrScheduler.StepLROptions),
      /stepSize is required/,
    );
    assert.throws(
      () => new lrScheduler.StepLR(sgd(), { stepSize: 2, step_size: 3 } as never),
      /unknown option 'step_size'/,
    );
    assert.throws(() => new lrScheduler.ConstantLR(sgd(), { factor: 2 }), /factor must be between 0 and 1/);
    assert.throws(() => new lrScheduler.LinearLR(sgd(), { startFactor: 0 }), /startFactor must be greater than 0/);
    assert.throws(() => new lrScheduler.StepLR(sgd(), { stepSize: 2, lastEpoch: 3 }), /has no initialLr/);
    assert.throws(() => new lrScheduler.StepLR({} as torch.optim.Optimizer, { stepSize: 1 }), TypeError);
    assert.throws(
      () => new lrScheduler.OneCycleLR(sgd(), { maxLr: 1 }),
      /give either totalSteps or both epochs and stepsPerEpoch/,
    );
    const opt = sgd();
    const other = new lrScheduler.ExponentialLR(sgd(), { gamma: 0.5 });
    assert.throws(
      () => new lrScheduler.SequentialLR(opt, { schedulers: [other], milestones: [] }),
      /all schedulers to belong to the same optimizer/,
    );
  });
});

describe('memory', () => {
  test('1,000 Adam steps (with an LR schedule) inside torch.scope keep the tensor count flat', () => {
    const w = torch.tensor([0.5, -1.2, 2.0], { requiresGrad: true });
    const b = torch.tensor([[0.3, -0.7]], { requiresGrad: true });
    const opt = new optim.Adam([w, b], { lr: 1e-3, amsgrad: true });
    const sched = new lrScheduler.CosineAnnealingLR(opt, { TMax: 100 });
    const iteration = (): void =>
      torch.scope(() => {
        opt.zeroGrad();
        w.mul(w).sum().add(b.mul(b).mul(b).sum()).backward();
        opt.step();
        sched.step();
      });
    for (let i = 0; i < 10; i++) iteration();
    const before = torch.memory().tensors;
    for (let i = 0; i < 1000; i++) iteration();
    assert.equal(torch.memory().tensors, before);
    assert.equal((opt.state.get(w)!.step as torch.Tensor).item(), 1010);
  });

  test('Adamax, NAdam, RAdam, Adadelta, Rprop, ASGD: 100 steps of either path keep the tensor count flat', () => {
    const options: Record<string, Record<string, unknown>> = {
      Adamax: { weightDecay: 0.1, maximize: true },
      NAdam: { weightDecay: 0.1, maximize: true },
      RAdam: { weightDecay: 0.1, maximize: true },
      Adadelta: { weightDecay: 0.1, maximize: true },
      Rprop: { maximize: true },
      ASGD: { weightDecay: 0.1, maximize: true, t0: 3 },
    };
    for (const [cls, opts] of Object.entries(options)) {
      for (const foreach of [false, true]) {
        const w = torch.tensor([0.5, -1.2, 2.0], { requiresGrad: true });
        const b = torch.tensor([[0.3, -0.7]], { requiresGrad: true });
        const Ctor = optim[cls as 'Adamax'] as unknown as new (
          params: torch.Tensor[],
          options: Record<string, unknown>,
        ) => torch.optim.Optimizer;
        const opt = new Ctor([w, b], { ...opts, foreach });
        const iteration = (): void =>
          torch.scope(() => {
            opt.zeroGrad();
            w.mul(w).sum().add(b.mul(b).mul(b).sum()).backward();
            opt.step();
          });
        for (let i = 0; i < 5; i++) iteration();
        const before = torch.memory().tensors;
        for (let i = 0; i < 100; i++) iteration();
        assert.equal(torch.memory().tensors, before, `${cls}, foreach: ${foreach}`);
      }
    }
  });
});
