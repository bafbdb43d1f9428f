// Hooks as configs, as MMEngine's HOOKS registry and Runner.register_hook: customHooks and
// defaultHooks entries {type, priority, ...options}, priorities by name (any case) or number with
// MMEngine's values, equal priorities in registration order, registerHook(hook, priority)
// overriding, and clear errors. Expected orders worked out by hand from MMEngine's Priority
// values (HIGHEST 0, VERY_HIGH 10, HIGH 30, ABOVE_NORMAL 40, NORMAL 50, BELOW_NORMAL 60, LOW 70,
// VERY_LOW 90, LOWEST 100).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { ArrayLoader, Mlp, makeData } from '../runner/support.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const workDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'torch-node-hook-registry-'));
  dirs.push(d);
  return d;
};

const { xs, ys } = makeData(32);

class Probe extends engine.Hook {
  constructor(readonly options: { tag?: string } = {}) {
    super();
  }
}
engine.registerHookClass('Probe', Probe);

function runner(options: Partial<engine.RunnerOptions> = {}): engine.Runner {
  torch.manualSeed(0);
  const model = new Mlp();
  return new engine.Runner({
    model,
    workDir: workDir(),
    trainDataloader: new ArrayLoader(xs, ys, 16),
    trainCfg: { maxEpochs: 3 },
    optimWrapper: { optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.1 }) },
    logLevel: 'silent',
    ...options,
  });
}

const named = (r: engine.Runner): string[] =>
  r.hooks.map(
    (h) => `${h instanceof Probe ? `Probe(${h.options.tag})` : h.constructor.name}@${engine.getPriority(h.priority)}`,
  );

describe('hook configs', () => {
  test('customHooks and defaultHooks as configs, ordered by priority, then registration', () => {
    const r = runner({
      defaultHooks: {
        checkpoint: { type: 'CheckpointHook', interval: 2 },
        logger: null,
        timer: { type: 'IterTimerHook', priority: 45 },
      },
      customHooks: [
        { type: 'EMAHook', priority: 'HIGH', momentum: 0.01 },
        { type: 'EmptyCacheHook', afterIter: true },
        new Probe({ tag: 'instance' }),
        { type: Probe, priority: 'very_high', tag: 'class' },
        { type: 'Probe', tag: 'name' },
      ],
    });
    assert.deepEqual(named(r), [
      'RuntimeInfoHook@10',
      'Probe(class)@10',
      'EMAHook@30',
      'IterTimerHook@45',
      'DistSamplerSeedHook@50',
      'EmptyCacheHook@50',
      'Probe(instance)@50',
      'Probe(name)@50',
      'ParamSchedulerHook@70',
      'CheckpointHook@90',
    ]);
    const ckpt = r.hooks.find((h) => h instanceof engine.CheckpointHook) as engine.CheckpointHook;
    assert.equal(ckpt.interval, 2);
    assert.equal((r.hooks.find((h) => h instanceof engine.EmptyCacheHook) as { afterIter: boolean }).afterIter, true);
  });

  test('a default hook given as a config runs as configured', async () => {
    const r = runner({ defaultHooks: { checkpoint: { type: 'CheckpointHook', interval: 2 }, logger: null } });
    await r.train();
    // Every 2 epochs, and the last (saveLast).
    assert.deepEqual(
      readdirSync(r.workDir)
        .filter((f) => f.endsWith('.pth'))
        .sort(),
      ['epoch_2.pth', 'epoch_3.pth'],
    );
    assert.ok(!existsSync(join(r.workDir, 'epoch_1.pth')));
  });

  test("defaults' own options (no type) still work, with a priority", () => {
    const r = runner({ defaultHooks: { checkpoint: { interval: 3, priority: 'LOWEST' } } });
    const ckpt = r.hooks[r.hooks.length - 1] as engine.CheckpointHook;
    assert.ok(ckpt instanceof engine.CheckpointHook);
    assert.deepEqual([ckpt.interval, ckpt.priority], [3, 'LOWEST']);
  });

  test('registerHook(hook, priority): the argument wins, equal priorities go after', () => {
    const r = runner({ defaultHooks: { logger: null } });
    r.registerHook(new Probe({ tag: 'a' }), 'lowest');
    r.registerHook({ type: Probe, priority: 'HIGH', tag: 'b' }, 'VERY_LOW');
    r.registerHook(new Probe({ tag: 'c' }), 0);
    r.registerHook(new Probe({ tag: 'd' }), 100);
    assert.deepEqual(named(r), [
      'Probe(c)@0',
      'RuntimeInfoHook@10',
      'IterTimerHook@50',
      'DistSamplerSeedHook@50',
      'ParamSchedulerHook@70',
      'CheckpointHook@90',
      'Probe(b)@90',
      'Probe(a)@100',
      'Probe(d)@100',
    ]);
  });

  test('priorities: names in any case and integers 0..100; anything else an Error', () => {
    assert.equal(engine.getPriority('ABOVE_NORMAL'), 40);
    assert.equal(engine.getPriority('below_normal'), 60);
    assert.equal(engine.getPriority('HIGHEST'), 0);
    assert.equal(engine.getPriority(73), 73);
    const r = runner();
    assert.throws(() => r.registerHook(new Probe(), 101), {
      name: 'RangeError',
      message: 'registerHook: priority must be an integer between 0 and 100, got 101',
    });
    assert.throws(() => r.registerHook(new Probe(), 2.5), /between 0 and 100, got 2\.5/);
    assert.throws(() => r.registerHook(new Probe(), 'MEDIUM' as engine.Priority), {
      message:
        "registerHook: priority 'MEDIUM' is not one of HIGHEST, VERY_HIGH, HIGH, ABOVE_NORMAL, NORMAL, BELOW_NORMAL, LOW, VERY_LOW, LOWEST",
    });
    assert.throws(
      () => runner({ customHooks: [{ type: 'Probe', priority: -1 }] }),
      /^RangeError: customHooks\[0\]: priority must be/,
    );
  });

  test('bad configs are errors that name the entry', () => {
    const cases: [Partial<engine.RunnerOptions>, string, RegExp][] = [
      [
        { customHooks: [{ type: 'NoSuchHook' }] },
        'Error',
        /^customHooks\[0\]: NoSuchHook is not in the hook registry \(registered: .*EMAHook/,
      ],
      [
        { customHooks: [{ type: 'CheckpointHook', max_keep_ckpts: 2 }] },
        'TypeError',
        /customHooks\[0\]: CheckpointHook: unknown option 'max_keep_ckpts'; options are camelCase: 'maxKeepCkpts'/,
      ],
      [
        { customHooks: [{ type: 'RuntimeInfoHook', every: 1 }] },
        'TypeError',
        /RuntimeInfoHook takes no options, got every/,
      ],
      [
        { customHooks: [42 as unknown as engine.Hook] },
        'TypeError',
        /^customHooks\[0\] should be a Hook or a config \{type, \.\.\.\}, but got number/,
      ],
      [
        { customHooks: [{ interval: 2 } as unknown as engine.HookConfig] },
        'TypeError',
        /customHooks\[0\] should be a Hook or a config/,
      ],
      [
        { defaultHooks: { runtime_info: null } },
        'Error',
        /defaultHooks\.runtime_info: null removes a default hook, and there is none named runtime_info \(runtimeInfo, timer/,
      ],
      [
        { defaultHooks: { extra: { interval: 1 } } },
        'TypeError',
        /defaultHooks\.extra: a hook of one's own needs a type/,
      ],
      [
        { defaultHooks: { checkpoint: { type: 'CheckpointHook', priority: 'SOON' as engine.Priority } } },
        'Error',
        /defaultHooks\.checkpoint: priority 'SOON'/,
      ],
    ];
    for (const [options, name, message] of cases) {
      assert.throws(
        () => runner(options),
        (e: Error) => {
          assert.equal(e.name, name, String(e));
          assert.match(e.message, message);
          return true;
        },
      );
    }
  });

  test('extra defaultHooks keys add hooks; registerHookClass refuses to replace a name silently', () => {
    const r = runner({ defaultHooks: { logger: null, early: { type: 'EarlyStoppingHook', monitor: 'acc' } } });
    assert.ok(r.hooks.some((h) => h instanceof engine.EarlyStoppingHook));
    assert.ok(engine.HOOKS.get('LoggerHook') === engine.LoggerHook);
    assert.throws(() => engine.registerHookClass('LoggerHook', Probe), /LoggerHook is already registered/);
    engine.registerHookClass('Probe', Probe); // the same class again: nothing to refuse
    assert.throws(() => engine.registerHookClass('X', Object as unknown as engine.HookClass), TypeError);
  });
});

describe('Hook helpers (MMEngine names in camelCase)', () => {
  test('everyNEpochs, everyNInnerIters, everyNTrainIters, endOfEpoch, isLastTrainEpoch, isLastTrainIter', async () => {
    const seen: string[] = [];
    class Helper extends engine.Hook {
      override afterTrainIter(runner: engine.Runner, args: engine.AfterIterArgs): void {
        const flags = [
          this.everyNEpochs(runner, 2) ? 'E2' : '',
          this.everyNEpochs(runner, 2, 1) ? 'E2s1' : '',
          this.everyNInnerIters(args.batchIdx, 2) ? 'I2' : '',
          this.everyNTrainIters(runner, 3) ? 'T3' : '',
          this.everyNTrainIters(runner, 2, 3) ? 'T2s3' : '',
          this.everyNTrainIters(runner, 0) ? 'T0' : '',
          this.endOfEpoch(runner.trainDataloader as engine.Sized, args.batchIdx) ? 'end' : '',
          this.isLastTrainEpoch(runner) ? 'lastE' : '',
          this.isLastTrainIter(runner) ? 'lastI' : '',
        ].filter(Boolean);
        seen.push(`${runner.epoch}.${args.batchIdx}:${flags.join(',')}`);
      }
    }
    // 3 epochs of 3 batches (40 points, batches of 16): iterations 0..8.
    torch.manualSeed(0);
    const model = new Mlp();
    const data = makeData(40);
    const r = new engine.Runner({
      model,
      workDir: workDir(),
      trainDataloader: new ArrayLoader(data.xs, data.ys, 16),
      trainCfg: { maxEpochs: 3 },
      optimWrapper: { optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.1 }) },
      defaultHooks: { checkpoint: null, logger: null },
      customHooks: [new Helper()],
      logLevel: 'silent',
    });
    await r.train();
    // (n + 1 - start) % interval == 0 and n + 1 - start >= 0: by hand.
    assert.deepEqual(seen, [
      '0.0:E2s1',
      '0.1:E2s1,I2',
      '0.2:E2s1,T3,T2s3,end',
      '1.0:E2',
      '1.1:E2,I2,T2s3',
      '1.2:E2,T3,end',
      '2.0:E2s1,T2s3,lastE',
      '2.1:E2s1,I2,lastE',
      '2.2:E2s1,T3,T2s3,end,lastE,lastI',
    ]);
  });
});
