// verbose: MMEngine's print_value message ('Adjusting parameter value of group {i} to {v:.4e}.',
// through the current logger) on the console at every change, checked against Python's own
// formatting of torch's schedule; '{:.4e}' as Python writes it. OneCycle's state dicts: ours
// keep anneal_strategy (MMEngine's anneal_func is a function), and dicts without it, or with
// anneal_func as a name, load.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as engine from '../../../../lib/engine/index.js';
import { formatE4 } from '../../../../lib/engine/optim/scheduler/format.js';
import * as torch from '../../../../lib/index.js';
import { runPython, skipWithoutPython } from '../../../support/python.js';
import { captureLogs } from '../../support.js';

const { optim } = torch;

const sgd = (lrs: number[]): torch.optim.SGD =>
  new optim.SGD(
    lrs.map((lr) => ({ params: [torch.zeros([1], { requiresGrad: true })], lr })),
    { lr: lrs[0], momentum: 0.9 },
  );

/** Runs `fn` with the engine's logger printing at 'info' and returns the console lines (stdout). */
function consoleLines(fn: () => void): string[] {
  const lines: string[] = [];
  const write = process.stdout.write;
  engine.setLogger(new engine.Logger('mmengine', { level: 'info' }));
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  }) as typeof process.stdout.write;
  try {
    fn();
  } finally {
    process.stdout.write = write;
    captureLogs();
  }
  return lines;
}

/** The message part of MMEngine-style log lines ('<time> - <name> - INFO - <message>'). */
const messages = (lines: string[]): string[] =>
  lines.map((l) => {
    const m = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - mmengine - INFO - (.*)$/.exec(l);
    assert.ok(m, `a log line: ${l}`);
    return m[1] as string;
  });

beforeEach(() => {
  captureLogs();
});
afterEach(() => {
  captureLogs();
});

describe('verbose', () => {
  test("StepLR: MMEngine's message for each group at each step that sets it, none where verbose is off", () => {
    const lines = consoleLines(() => {
      const s = new engine.StepLR(sgd([0.1, 0.05]), { stepSize: 2, verbose: true });
      s.step();
      s.step();
    });
    assert.deepEqual(messages(lines), [
      'Adjusting parameter value of group 0 to 1.0000e-01.',
      'Adjusting parameter value of group 1 to 5.0000e-02.',
      'Adjusting parameter value of group 0 to 1.0000e-01.',
      'Adjusting parameter value of group 1 to 5.0000e-02.',
      'Adjusting parameter value of group 0 to 1.0000e-02.',
      'Adjusting parameter value of group 1 to 5.0000e-03.',
    ]);
    const quiet = consoleLines(() => {
      const s = new engine.StepLR(sgd([0.1]), { stepSize: 1 });
      s.step();
    });
    assert.deepEqual(quiet, []);
  });

  test('outside its window a scheduler sets nothing and says nothing; ReduceOnPlateau speaks when it reduces', () => {
    const lines = consoleLines(() => {
      const s = new engine.ExponentialMomentum(sgd([0.1]), { gamma: 0.5, begin: 1, end: 3, verbose: true });
      for (let i = 0; i < 4; i++) s.step();
    });
    // steps 1 and 2 are inside [1, 3): the first keeps 0.9, the second halves it
    assert.deepEqual(messages(lines), [
      'Adjusting parameter value of group 0 to 9.0000e-01.',
      'Adjusting parameter value of group 0 to 4.5000e-01.',
    ]);
    const plateau = consoleLines(() => {
      const s = new engine.ReduceOnPlateauLR(sgd([0.1]), { patience: 0, factor: 0.5, verbose: true });
      s.step({ loss: 1 });
      s.step({ loss: 2 });
    });
    assert.deepEqual(messages(plateau), ['Adjusting parameter value of group 0 to 5.0000e-02.']);
  });

  test("the messages of a CosineAnnealingLR match Python formatting torch's schedule", {
    skip: skipWithoutPython(),
  }, () => {
    const steps = 12;
    const lines = consoleLines(() => {
      const s = new engine.CosineAnnealingLR(sgd([0.1, 0.037]), { TMax: 5, etaMin: 0.001, verbose: true });
      for (let i = 0; i < steps; i++) s.step();
    });
    const want = runPython<string[]>(
      `
p = [torch.zeros(1, requires_grad=True) for _ in range(2)]
opt = torch.optim.SGD([{'params': [p[0]], 'lr': 0.1}, {'params': [p[1]], 'lr': 0.037}], lr=0.1, momentum=0.9)
s = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5, eta_min=0.001)
OUTPUT = []
for k in range(INPUT + 1):
    if k: opt.step(); s.step()
    for i, g in enumerate(opt.param_groups):
        OUTPUT.append(f'Adjusting parameter value of group {i} to {g["lr"]:.4e}.')
`,
      steps,
    );
    assert.equal(want.length, 2 * (steps + 1));
    assert.deepEqual(messages(lines), want);
  });
});

describe("formatE4: Python's '{:.4e}'", () => {
  test('special values and ties (JS rounds ties away from zero, Python to even)', () => {
    assert.equal(formatE4(0), '0.0000e+00');
    assert.equal(formatE4(-0), '-0.0000e+00');
    assert.equal(formatE4(Number.POSITIVE_INFINITY), 'inf');
    assert.equal(formatE4(Number.NEGATIVE_INFINITY), '-inf');
    assert.equal(formatE4(Number.NaN), 'nan');
    assert.equal(formatE4(1.03125), '1.0312e+00');
    assert.equal(formatE4(99999.5), '1.0000e+05');
    assert.equal(formatE4(99998.5), '9.9998e+04');
  });

  test('agrees with Python on ties, extremes and random values', { skip: skipWithoutPython() }, () => {
    const values = [
      0.1, 1.03125, -1.03125, 1.09375, 99999.5, 99998.5, 12345.5, 12344.5, 1e-100, 5e-324, 2.2250738585072014e-308,
      1.7976931348623157e308, 9.99995e-5, 9.99994999e-5, 2.5e-5, 123456, 1e21, 1e22, 0.00012345, -7.77777e-7,
    ];
    let seed = 12345;
    for (let i = 0; i < 300; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      values.push((seed / 2 ** 31) * 10 ** ((i % 40) - 20));
    }
    const want = runPython<string[]>("OUTPUT = [f'{v:.4e}' for v in INPUT]", values);
    assert.deepEqual(
      values.map((v) => formatE4(v)),
      want,
    );
  });
});

describe('OneCycleLR state dicts', () => {
  const make = (annealStrategy: 'cos' | 'linear') =>
    new engine.OneCycleLR(sgd([0.1]), { etaMax: 1, totalSteps: 12, annealStrategy });
  /** The lrs of steps 4..11 of a straight linear run. */
  const straight = (): number[] => {
    const s = make('linear');
    for (let i = 0; i < 3; i++) s.step();
    const out: number[] = [];
    for (let i = 3; i < 11; i++) {
      s.step();
      out.push(s.getLastValue()[0] as number);
    }
    return out;
  };
  /** A linear run stepped to step 3; its state dict, edited; loaded into a scheduler built with `built`; the lrs after. */
  const resumed = (edit: (sd: Record<string, unknown>) => void, built: 'cos' | 'linear'): number[] => {
    const first = make('linear');
    for (let i = 0; i < 3; i++) first.step();
    const sd = first.stateDict();
    edit(sd);
    const s = make(built);
    s.loadStateDict(sd);
    const out: number[] = [];
    for (let i = 3; i < 11; i++) {
      s.step();
      out.push(s.getLastValue()[0] as number);
    }
    return out;
  };

  test('ours keeps anneal_strategy, never anneal_func; it restores the strategy', () => {
    const sd = make('linear').stateDict();
    assert.equal(sd.anneal_strategy, 'linear');
    assert.ok(!('anneal_func' in sd));
    const want = straight();
    assert.deepEqual(
      resumed(() => {}, 'cos'),
      want,
    );
  });

  test('without an anneal key the strategy the scheduler was built with stays', () => {
    const drop = (sd: Record<string, unknown>) => {
      delete sd.anneal_strategy;
    };
    assert.deepEqual(resumed(drop, 'linear'), straight());
    const s = make('cos');
    const sd = make('linear').stateDict();
    delete sd.anneal_strategy;
    s.loadStateDict(sd);
    assert.equal(s.annealStrategy, 'cos');
  });

  test("MMEngine's anneal_func read as a name; anything else a TypeError that changes nothing", () => {
    const asFunc = (name: unknown) => (sd: Record<string, unknown>) => {
      delete sd.anneal_strategy;
      sd.anneal_func = name;
    };
    assert.deepEqual(resumed(asFunc('_annealing_linear'), 'cos'), straight());
    assert.deepEqual(resumed(asFunc('linear'), 'cos'), straight());
    const s = make('linear');
    const before = s.stateDict();
    const sd = make('cos').stateDict();
    delete sd.anneal_strategy;
    sd.anneal_func = { bound: 'method' };
    assert.throws(
      () => s.loadStateDict(sd),
      (e: Error) =>
        e instanceof TypeError && /OneCycleLR\.loadStateDict: anneal_func can only be read as a name/.test(e.message),
    );
    assert.throws(
      () => s.loadStateDict({ ...make('cos').stateDict(), anneal_strategy: 'cosine', last_step: 7 }),
      /OneCycleLR\.loadStateDict: anneal_strategy must be 'cos' or 'linear', got string cosine/,
    );
    assert.deepEqual(s.stateDict(), before, 'a refused dict leaves the scheduler as it was');
  });
});
