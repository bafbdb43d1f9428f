// The Runner and its loops and hooks: call order, intervals, checkpoints (best, maxKeepCkpts,
// last_checkpoint), exact resume, iteration-based training, the validation-loss convention.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { ArrayLoader, Mlp, makeData, SimpleAccuracy } from './support.js';

const dirs: string[] = [];
const workDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'torch-node-runner-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const { xs, ys } = makeData(96);

function makeRunner(options: Partial<engine.RunnerOptions> & { seed?: number; maxEpochs?: number } = {}): {
  runner: engine.Runner;
  model: Mlp;
} {
  torch.manualSeed(options.seed ?? 0);
  const model = new Mlp();
  const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const runner = new engine.Runner({
    model,
    workDir: options.workDir ?? workDir(),
    trainDataloader: new ArrayLoader(xs, ys, 16, true),
    valDataloader: new ArrayLoader(xs, ys, 32),
    trainCfg: { maxEpochs: options.maxEpochs ?? 2 },
    optimWrapper: { optimizer },
    paramScheduler: new torch.optim.lrScheduler.StepLR(optimizer, { stepSize: 1, gamma: 0.5 }),
    valEvaluator: new SimpleAccuracy(),
    randomness: { seed: options.seed ?? 0 },
    logLevel: 'warning',
    ...options,
  });
  return { runner, model };
}

class Recorder extends engine.Hook {
  readonly calls: string[] = [];
  constructor() {
    super();
    for (const stage of [
      'beforeRun',
      'beforeTrain',
      'beforeTrainEpoch',
      'beforeTrainIter',
      'afterTrainIter',
      'afterTrainEpoch',
      'beforeVal',
      'beforeValEpoch',
      'beforeValIter',
      'afterValIter',
      'afterValEpoch',
      'afterVal',
      'beforeSaveCheckpoint',
      'afterTrain',
      'afterRun',
    ] as const) {
      (this as unknown as Record<string, () => void>)[stage] = () => {
        this.calls.push(stage);
      };
    }
  }
}

describe('Runner.train', () => {
  test('calls the hooks in MMEngine order, validating after each epoch', async () => {
    const recorder = new Recorder();
    const { runner } = makeRunner({ customHooks: [recorder], defaultHooks: { checkpoint: null } });
    await runner.train();
    // Iterations come in before/after pairs: 6 per training epoch (96 / 16), 3 per validation (96 / 32).
    const compact: string[] = [];
    for (const c of recorder.calls) {
      const last = compact[compact.length - 1];
      const [name, n] = (last ?? '').split(' x');
      if ((c === 'beforeTrainIter' || c === 'afterTrainIter') && name === 'trainIter')
        compact[compact.length - 1] = `trainIter x${Number(n) + 0.5}`;
      else if (c === 'beforeTrainIter') compact.push('trainIter x0.5');
      else if ((c === 'beforeValIter' || c === 'afterValIter') && name === 'valIter')
        compact[compact.length - 1] = `valIter x${Number(n) + 0.5}`;
      else if (c === 'beforeValIter') compact.push('valIter x0.5');
      else compact.push(c);
    }
    const epoch = [
      'beforeTrainEpoch',
      'trainIter x6',
      'afterTrainEpoch',
      'beforeVal',
      'beforeValEpoch',
      'valIter x3',
      'afterValEpoch',
      'afterVal',
    ];
    assert.deepEqual(compact, ['beforeRun', 'beforeTrain', ...epoch, ...epoch, 'afterTrain', 'afterRun']);
    const pairs = recorder.calls.filter((c) => c.endsWith('TrainIter'));
    assert.ok(pairs.every((c, i) => c === (i % 2 === 0 ? 'beforeTrainIter' : 'afterTrainIter')));
    assert.equal(runner.epoch, 2);
    assert.equal(runner.iter, 12);
  });

  test('learns, steps the scheduler per epoch, and writes checkpoints Python can read', async () => {
    const dir = workDir();
    const { runner } = makeRunner({ workDir: dir, maxEpochs: 3 });
    await runner.train();
    assert.deepEqual(runner.optimWrapper?.getLr(), { lr: [0.0125] });
    const files = readdirSync(dir).filter((f) => f.endsWith('.pth'));
    assert.deepEqual(files.sort(), ['epoch_1.pth', 'epoch_2.pth', 'epoch_3.pth']);
    assert.equal(readFileSync(join(dir, 'last_checkpoint'), 'utf8'), join(dir, 'epoch_3.pth'));
    const ckpt = torch.load(join(dir, 'epoch_3.pth')) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(ckpt), [
      'meta',
      'state_dict',
      'message_hub',
      'rng_state',
      'optimizer',
      'param_schedulers',
    ]);
    assert.equal(ckpt.meta?.epoch, 3);
    assert.equal(ckpt.meta?.iter, 18);
    assert.deepEqual(Object.keys(ckpt.state_dict ?? {}), ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    const metrics = runner.messageHub.getScalar('val/accuracy/top1').current();
    assert.ok(metrics > 90, `the MLP separates three clusters (accuracy ${metrics}%)`);
  });

  test('keeps at most maxKeepCkpts checkpoints and the best one by a metric', async () => {
    const dir = workDir();
    const { runner } = makeRunner({
      workDir: dir,
      maxEpochs: 4,
      defaultHooks: { checkpoint: { maxKeepCkpts: 2, saveBest: 'accuracy/top1', rule: 'greater' } },
    });
    await runner.train();
    const files = readdirSync(dir).filter((f) => f.endsWith('.pth'));
    assert.deepEqual(files.filter((f) => f.startsWith('epoch_')).sort(), ['epoch_3.pth', 'epoch_4.pth']);
    const best = files.filter((f) => f.startsWith('best_'));
    assert.equal(best.length, 1, 'only the best checkpoint is kept');
    assert.match(best[0] as string, /^best_accuracy_top1_epoch_\d\.pth$/);
  });

  test('validates every valInterval epochs and at the last one', async () => {
    const recorder = new Recorder();
    const { runner } = makeRunner({
      maxEpochs: 5,
      trainCfg: { maxEpochs: 5, valInterval: 2 },
      customHooks: [recorder],
      defaultHooks: { checkpoint: null },
    });
    await runner.train();
    assert.equal(recorder.calls.filter((c) => c === 'beforeVal').length, 3, 'after epochs 2, 4 and 5');
  });

  // MMEngine's rule: after epoch e the interval is that of the last milestone <= e + 1, so
  // [[4, 1]] with valInterval 3 validates after epoch 3 (3 % 1), 4, 5 and 6; without it, 3 and 6.
  test('dynamicIntervals change the interval as MMEngine counts them', async () => {
    const valAt = async (trainCfg: engine.TrainCfg): Promise<number[]> => {
      const at: number[] = [];
      class Probe extends engine.Hook {
        override beforeVal(runner: engine.Runner): void {
          at.push(runner.byEpoch ? runner.epoch : runner.iter);
        }
      }
      const { runner } = makeRunner({ trainCfg, customHooks: [new Probe()], defaultHooks: { checkpoint: null } });
      await runner.train();
      return at;
    };
    assert.deepEqual(await valAt({ maxEpochs: 6, valInterval: 3 }), [3, 6]);
    assert.deepEqual(await valAt({ maxEpochs: 6, valInterval: 3, dynamicIntervals: [[4, 1]] }), [3, 4, 5, 6]);
    assert.deepEqual(
      await valAt({
        maxEpochs: 7,
        valInterval: 1,
        dynamicIntervals: [
          [2, 3],
          [6, 2],
        ],
      }),
      [3, 6, 7],
    );
    // iterations: 6 batches per epoch here; from the iteration after 11 on, every 4
    assert.deepEqual(
      await valAt({ byEpoch: false, maxIters: 20, valInterval: 5, dynamicIntervals: [[12, 4]] }),
      [5, 10, 12, 16, 20],
    );
    await assert.rejects(
      () => makeRunner({ trainCfg: { maxEpochs: 2, dynamicIntervals: [[3, 0]] } }).runner.train(),
      /EpochBasedTrainLoop: each of dynamicIntervals must be \[milestone, interval\]/,
    );
  });

  test('resuming after epoch 1 gives the same weights as 2 epochs straight', async () => {
    const straight = makeRunner({ maxEpochs: 2 });
    await straight.runner.train();
    const dir = workDir();
    const first = makeRunner({ workDir: dir, maxEpochs: 1 });
    await first.runner.train();
    // A fresh process would start from other weights and another RNG state: make it so here.
    torch.manualSeed(999);
    const resumed = makeRunner({ workDir: dir, maxEpochs: 2, resume: true, seed: 0 });
    torch.manualSeed(999);
    await resumed.runner.train();
    assert.equal(resumed.runner.epoch, 2);
    const a = straight.model.stateDict();
    const b = resumed.model.stateDict();
    for (const k of Object.keys(a)) assert.deepEqual(b[k]?.toArray(), a[k]?.toArray(), k);
    assert.deepEqual(resumed.runner.optimWrapper?.getLr(), straight.runner.optimWrapper?.getLr());
  });

  test('two runners made within a second get their own experiment names and message hubs', () => {
    const a = makeRunner().runner;
    const b = makeRunner().runner;
    assert.notEqual(a.experimentName, b.experimentName);
    assert.notEqual(a.messageHub, b.messageHub);
    assert.match(b.experimentName, new RegExp(`^${a.experimentName.slice(0, 15)}(_\\d+)?$`));
  });

  test("randomness.seed seeds the engine DataLoaders made without one: two runs train alike; a loader's own seed stays", async () => {
    class Points extends engine.Dataset<{ inputs: torch.Tensor; dataSamples: number }> {
      get length(): number {
        return xs.length;
      }
      get(i: number) {
        return { inputs: torch.tensor(xs[i] as number[], { dtype: 'float32' }), dataSamples: ys[i] as number };
      }
    }
    const trained = async (loaderSeed?: number) => {
      const trainDataloader = new engine.DataLoader({
        dataset: new Points(),
        batchSize: 16,
        shuffle: true,
        ...(loaderSeed === undefined ? {} : { seed: loaderSeed }),
      });
      const { runner, model } = makeRunner({
        seed: 3,
        maxEpochs: 1,
        trainDataloader,
        defaultHooks: { checkpoint: null },
      });
      await runner.train();
      return { weight: model.fc1.weight.toArray(), loaderSeed: trainDataloader.seed };
    };
    const a = await trained();
    const b = await trained();
    assert.equal(a.loaderSeed, 3);
    assert.deepEqual(a.weight, b.weight);
    const own = await trained(11);
    assert.equal(own.loaderSeed, 11);
    assert.notDeepEqual(own.weight, a.weight, 'another order of the same samples trains differently');
  });

  test("val(): the evaluator gets the dataset's metainfo, and the number of samples where a loader has no dataset", async () => {
    const seen: { sizes: number[]; meta: unknown } = { sizes: [], meta: undefined };
    const evaluator: engine.EvaluatorLike & { datasetMeta?: unknown } = {
      process: () => {},
      evaluate: (size: number) => {
        seen.sizes.push(size);
        seen.meta = evaluator.datasetMeta;
        return { n: size };
      },
    };
    const withMeta = new ArrayLoader(xs, ys, 32);
    (withMeta as unknown as { dataset: object }).dataset = { length: 96, metainfo: { classes: ['a', 'b', 'c'] } };
    await makeRunner({ valDataloader: withMeta, valEvaluator: evaluator }).runner.val();
    assert.deepEqual(seen, { sizes: [96], meta: { classes: ['a', 'b', 'c'] } });
    const bare = new ArrayLoader(xs, ys, 32);
    (bare as unknown as { dataset?: object }).dataset = undefined;
    await makeRunner({ valDataloader: bare, valEvaluator: evaluator }).runner.val();
    assert.deepEqual(seen.sizes, [96, 96], '3 batches of 32 samples: 96, not 3');
    const cifarLike = new engine.SyntheticImageDataset({ length: 4 });
    assert.deepEqual(Object.keys(cifarLike.metainfo), ['classes']);
    assert.deepEqual(cifarLike.metainfo.classes, cifarLike.classes);
  });

  test("resume goes on with the checkpoint's seed (a warning where randomness.seed says otherwise)", async () => {
    const dir = workDir();
    await makeRunner({ workDir: dir, seed: 123, maxEpochs: 1 }).runner.train();
    const unseeded = makeRunner({ workDir: dir, maxEpochs: 2, resume: true, randomness: {} }).runner;
    assert.notEqual(unseeded.seed, 123);
    await unseeded.train();
    assert.equal(unseeded.seed, 123);
    const other = makeRunner({ workDir: dir, seed: 7, maxEpochs: 2, resume: join(dir, 'epoch_1.pth') }).runner;
    const warnings: string[] = [];
    other.logger.sinks.push((line) => {
      if (line.includes(' - WARNING - ')) warnings.push(line);
    });
    await other.train();
    assert.equal(other.seed, 123);
    assert.ok(warnings.some((w) => /seed in the checkpoint \(123\) differs from randomness.seed \(7\)/.test(w)));
  });

  test('valEvaluator may be a metric, a list of metrics or a metric config: the runner makes the Evaluator', async () => {
    class Correct extends engine.BaseMetric {
      override process(_batch: unknown, samples: readonly unknown[]): void {
        for (const s of samples as { predLabel: number; gtLabel: number }[])
          this.results.push(s.predLabel === s.gtLabel);
      }
      override computeMetrics(results: unknown[]): Record<string, unknown> {
        return { seen: results.length };
      }
    }
    const one = await makeRunner({ valEvaluator: new Correct() }).runner.val();
    assert.deepEqual(one, { seen: 96 });
    const two = await makeRunner({ valEvaluator: [new Correct(), new Correct({ prefix: 'b' })] }).runner.val();
    assert.deepEqual(two, { seen: 96, 'b/seen': 96 });
    await assert.rejects(makeRunner({ valEvaluator: 3 as never }).runner.val(), /an evaluator must be an Evaluator/);
  });

  test('a ReduceLROnPlateau entry is stepped after each validation with its monitored metric', async () => {
    torch.manualSeed(0);
    const model = new Mlp();
    const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.1 });
    const scores = [50, 50, 50, 60, 60];
    const lrs: number[] = [];
    class Watch extends engine.Hook {
      override afterValEpoch(): void {
        lrs.push(optimizer.paramGroups[0]?.lr as number);
      }
    }
    const plateau = new torch.optim.lrScheduler.ReduceLROnPlateau(optimizer, { mode: 'max', patience: 1 });
    const { runner } = makeRunner({
      model,
      maxEpochs: 5,
      optimWrapper: { optimizer },
      paramScheduler: { scheduler: plateau, monitor: 'acc' },
      valEvaluator: { process: () => {}, evaluate: () => ({ acc: scores.shift() as number }) },
      customHooks: [new Watch()],
      defaultHooks: { checkpoint: null },
    });
    await runner.train();
    // Watch runs before the scheduler hook: the lr each validation saw; two flat scores, then 0.1x.
    assert.deepEqual(
      lrs.map((x) => Number(x.toPrecision(12))),
      [0.1, 0.1, 0.1, 0.01, 0.01],
    );
    assert.equal(plateau.best, 60);
    const missing = makeRunner({
      maxEpochs: 1,
      paramScheduler: {
        scheduler: new torch.optim.lrScheduler.ReduceLROnPlateau(
          new torch.optim.SGD(new Mlp().parameters(), { lr: 1 }),
        ),
      },
      defaultHooks: { checkpoint: null },
    }).runner;
    await assert.rejects(
      missing.train(),
      /monitored metric 'loss' is not among the validation results \(accuracy\/top1\)/,
    );
    const opt = new torch.optim.SGD(new Mlp().parameters(), { lr: 1 });
    assert.throws(
      () =>
        makeRunner({
          paramScheduler: { scheduler: new torch.optim.lrScheduler.StepLR(opt, { stepSize: 1 }), monitor: 'acc' },
        }),
      /monitor is for a ReduceLROnPlateau, not a StepLR/,
    );
  });

  test('loadFrom loads weights only', async () => {
    const dir = workDir();
    const source = makeRunner({ workDir: dir, maxEpochs: 1 });
    await source.runner.train();
    const target = makeRunner({ seed: 5, loadFrom: join(dir, 'epoch_1.pth'), maxEpochs: 0 });
    await target.runner.train();
    assert.deepEqual(target.model.fc1.weight.toArray(), source.model.fc1.weight.toArray());
    assert.equal(target.runner.epoch, 0);
  });

  test('loadFrom is loaded once: train() then val() and test() evaluate the trained weights', async () => {
    const dir = workDir();
    await makeRunner({ workDir: dir, maxEpochs: 1 }).runner.train();
    const loadFrom = join(dir, 'epoch_1.pth');
    const { runner, model } = makeRunner({
      seed: 5,
      loadFrom,
      maxEpochs: 2,
      testDataloader: new ArrayLoader(xs, ys, 32),
      testEvaluator: new SimpleAccuracy(),
    });
    await runner.train();
    const trained = model.fc1.weight.toArray();
    assert.notDeepEqual(
      trained,
      (torch.load(loadFrom) as { state_dict: Record<string, torch.Tensor> }).state_dict['fc1.weight']?.toArray(),
    );
    await runner.val();
    const metrics = await runner.test();
    assert.deepEqual(model.fc1.weight.toArray(), trained);
    // as MMEngine's LoggerHook: a test's metrics in <logDir>/<timestamp>.json
    const written = JSON.parse(readFileSync(join(runner.logDir, `${runner.timestamp}.json`), 'utf8'));
    assert.deepEqual(written, metrics);
  });

  test('loadCheckpoint: a head of another shape is skipped with a warning and the rest loads; strict, an Error', () => {
    const path = join(workDir(), 'other-head.pth');
    const source = makeRunner({ seed: 1 }).model;
    const sd = source.stateDict();
    sd['fc2.weight'] = torch.randn([7, 16]); // 7 classes, where the model has 3
    torch.save({ meta: {}, state_dict: sd }, path);
    const { runner, model } = makeRunner({ seed: 2 });
    const warnings: string[] = [];
    runner.logger.sinks.push((line) => {
      if (line.includes(' - WARNING - ')) warnings.push(line);
    });
    const head = model.fc2.weight.clone();
    runner.loadCheckpoint(path);
    assert.ok(model.fc1.weight.equal(source.fc1.weight));
    assert.ok((model.fc2.bias as torch.Tensor).equal(source.fc2.bias as torch.Tensor));
    assert.ok(model.fc2.weight.equal(head), 'the head keeps its own weights');
    assert.match(warnings.join('\n'), /size mismatch for fc2\.weight: .*\[7, 16\].*\[3, 16\]/);
    assert.throws(() => makeRunner().runner.loadCheckpoint(path, { strict: true }), /size mismatch for fc2\.weight/);
  });

  test("loadCheckpoint: a DDP's module. prefix is stripped; reviseKeys rewrites keys", () => {
    const source = makeRunner({ seed: 1 }).model;
    const prefixed = join(workDir(), 'ddp.pth');
    torch.save(
      { state_dict: Object.fromEntries(Object.entries(source.stateDict()).map(([k, v]) => [`module.${k}`, v])) },
      prefixed,
    );
    const a = makeRunner({ seed: 2 });
    a.runner.loadCheckpoint(prefixed, { strict: true });
    assert.ok(a.model.fc1.weight.equal(source.fc1.weight));
    const renamed = join(workDir(), 'backbone.pth');
    torch.save(
      {
        state_dict: Object.fromEntries(Object.entries(source.stateDict()).map(([k, v]) => [`backbone.layer_${k}`, v])),
      },
      renamed,
    );
    const b = makeRunner({ seed: 2 });
    b.runner.loadCheckpoint(renamed, {
      strict: true,
      reviseKeys: [
        [/^backbone\./, ''],
        ['layer_', ''],
      ],
    });
    assert.ok(b.model.fc2.weight.equal(source.fc2.weight));
  });

  test('with several param groups, a scheduler on the OptimWrapper decays train/base_lr with the groups', async () => {
    torch.manualSeed(0);
    const model = new Mlp();
    const optimizer = new torch.optim.SGD(
      [{ params: model.fc1.parameters(), lr: 0.2 }, { params: model.fc2.parameters() }],
      {
        lr: 0.1,
      },
    );
    const optimWrapper = new engine.OptimWrapper({ optimizer });
    const seen: number[][] = [];
    class Watch extends engine.Hook {
      override afterTrainEpoch(r: engine.Runner): void {
        seen.push(['train/base_lr', 'train/lr'].map((k) => r.messageHub.getScalar(k).current() as number));
      }
    }
    const { runner } = makeRunner({
      model,
      maxEpochs: 3,
      optimWrapper,
      paramScheduler: new torch.optim.lrScheduler.StepLR(optimWrapper, { stepSize: 1, gamma: 0.5 }),
      customHooks: [new Watch()],
    });
    await runner.train();
    assert.deepEqual(seen, [
      [0.1, 0.2],
      [0.05, 0.1],
      [0.025, 0.05],
    ]);
  });

  test('an iteration-based loop runs maxIters iterations across epochs and validates at its interval', async () => {
    const recorder = new Recorder();
    const { runner } = makeRunner({
      trainCfg: { byEpoch: false, maxIters: 15, valInterval: 10 },
      customHooks: [recorder],
      defaultHooks: { checkpoint: { byEpoch: false, interval: 10 } },
    });
    await runner.train();
    assert.equal(runner.iter, 15);
    assert.equal(recorder.calls.filter((c) => c === 'beforeVal').length, 2, 'at iteration 10 and at the end');
    const files = readdirSync(runner.workDir).filter((f) => f.endsWith('.pth'));
    assert.deepEqual(files.sort(), ['iter_10.pth', 'iter_15.pth']);
  });

  test('an iteration loop over an InfiniteSampler: no restart warning, and a resume continues the stream', async () => {
    const dataset = {
      length: 12,
      get: (i: number) => ({ inputs: xs[i] as number[], dataSamples: ys[i] as number, idx: i }),
    };
    /** The sample indices of each training batch, and the warnings logged. */
    const run = async (maxIters: number, dir: string, resume = false, infinite = true) => {
      const seen: number[][] = [];
      class Probe extends engine.Hook {
        override beforeTrainIter(_r: engine.Runner, args: engine.IterArgs): void {
          seen.push((args.dataBatch as { idx: torch.Tensor }).idx.toArray() as number[]);
        }
      }
      const { runner } = makeRunner({
        workDir: dir,
        resume,
        trainDataloader: new engine.DataLoader({
          dataset,
          batchSize: 4,
          sampler: infinite ? new engine.InfiniteSampler(dataset, { seed: 3 }) : new engine.SequentialSampler(dataset),
          collate: (samples) => {
            const list = samples as ReturnType<typeof dataset.get>[];
            return {
              inputs: torch.tensor(list.map((x) => x.inputs)),
              dataSamples: torch.tensor(list.map((x) => x.dataSamples)),
              idx: torch.tensor(list.map((x) => x.idx)),
            };
          },
        }),
        trainCfg: { byEpoch: false, maxIters },
        paramScheduler: [],
        customHooks: [new Probe()],
        defaultHooks: { checkpoint: { byEpoch: false, interval: 6 } },
      });
      const warnings: string[] = [];
      runner.logger.sinks.push((line) => {
        if (line.includes(' - WARNING - ') && line.includes('ran out')) warnings.push(line);
      });
      await runner.train();
      return { seen, warnings };
    };
    const straight = await run(10, workDir());
    assert.deepEqual(straight.warnings, []);
    assert.equal((await run(10, workDir(), false, false)).warnings.length, 1, 'a finite loader that runs out: once');
    const stream = (() => {
      const it = new engine.InfiniteSampler(12, { seed: 3 })[Symbol.iterator]();
      return Array.from({ length: 40 }, () => it.next().value as number);
    })();
    assert.deepEqual(
      straight.seen,
      Array.from({ length: 10 }, (_, k) => stream.slice(4 * k, 4 * k + 4)),
    );
    const dir = workDir();
    await run(6, dir);
    const resumed = await run(10, dir, true);
    assert.deepEqual(resumed.seen, straight.seen.slice(6));
  });

  test('a per-iteration warm-up then per-epoch decay reaches the right lr at each step', async () => {
    torch.manualSeed(0);
    const model = new Mlp();
    const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.1 });
    const warmup = new torch.optim.lrScheduler.LinearLR(optimizer, { startFactor: 0.1, totalIters: 4 });
    const seen: number[] = [];
    class LrProbe extends engine.Hook {
      override beforeTrainIter(runner: engine.Runner): void {
        seen.push(runner.optimWrapper?.getLr().lr?.[0] as number);
      }
    }
    const runner = new engine.Runner({
      model,
      workDir: workDir(),
      trainDataloader: new ArrayLoader(xs, ys, 16),
      trainCfg: { maxEpochs: 2 },
      optimWrapper: { optimizer },
      paramScheduler: [{ scheduler: warmup, byEpoch: false }],
      customHooks: [new LrProbe()],
      defaultHooks: { checkpoint: null },
      logLevel: 'warning',
    });
    await runner.train();
    // LinearLR: 0.1 * (0.1 + 0.9 * min(i, 4) / 4) before iteration i.
    const expected = Array.from({ length: 12 }, (_, i) => 0.1 * (0.1 + (0.9 * Math.min(i, 4)) / 4));
    seen.forEach((lr, i) => {
      assert.ok(Math.abs(lr - (expected[i] as number)) < 1e-12, `iteration ${i}: lr ${lr}, expected ${expected[i]}`);
    });
    assert.equal(seen.length, 12);
  });

  test('a hook that throws a TypeError names itself', async () => {
    class Broken extends engine.Hook {
      override beforeTrain(): void {
        throw new TypeError('bad value');
      }
    }
    const { runner } = makeRunner({ customHooks: [new Broken()], defaultHooks: { checkpoint: null } });
    await assert.rejects(runner.train(), /bad value in Broken/);
  });

  test('training keeps the live-tensor count flat', async () => {
    const { runner } = makeRunner({ maxEpochs: 1, defaultHooks: { checkpoint: null } });
    await runner.train();
    const before = torch.memory().tensors;
    const again = makeRunner({ maxEpochs: 3, defaultHooks: { checkpoint: null } });
    const start = torch.memory().tensors;
    await again.runner.train();
    assert.ok(
      torch.memory().tensors - start < 30,
      `live tensors ${start} -> ${torch.memory().tensors} (was ${before})`,
    );
  });
});

describe('validation losses', () => {
  test('a final {loss} output is averaged into the metrics as <name> and val_loss', async () => {
    class WithValLoss extends Mlp {
      override forward(data: { inputs: torch.Tensor; dataSamples: torch.Tensor }, mode: engine.ForwardMode) {
        const out = super.forward(data, mode);
        if (mode !== 'predict') return out;
        const loss = super.forward(data, 'loss') as engine.LossDict;
        return [...(out as unknown[]), { loss }] as never;
      }
    }
    torch.manualSeed(0);
    const model = new WithValLoss();
    const runner = new engine.Runner({
      model,
      workDir: workDir(),
      valDataloader: new ArrayLoader(xs, ys, 32),
      valEvaluator: new SimpleAccuracy(),
      logLevel: 'warning',
    });
    const metrics = await runner.val();
    assert.deepEqual(Object.keys(metrics), ['accuracy/top1', 'loss', 'val_loss']);
    assert.equal(metrics.loss, metrics.val_loss);
    assert.ok(
      (metrics.val_loss as number) > 0.5 && (metrics.val_loss as number) < 2,
      'an untrained model has loss near log(3)',
    );
  });

  test("launcher 'pytorch' outside `torch-node run` says what the rendezvous lacks", () => {
    const saved = process.env.MASTER_ADDR;
    delete process.env.MASTER_ADDR;
    try {
      assert.throws(
        () => makeRunner({ launcher: 'pytorch' }),
        /initProcessGroup: (env:\/\/ rendezvous needs the environment variable MASTER_ADDR|torch-node was built without distributed support)/,
      );
    } finally {
      if (saved !== undefined) process.env.MASTER_ADDR = saved;
    }
  });

  test('an unknown launcher is an error', () => {
    assert.throws(
      () => makeRunner({ launcher: 'slurm' as 'none' }),
      /launcher must be 'none' or 'pytorch', got 'slurm'/,
    );
  });

  test('val() without an evaluator says what is missing', async () => {
    const { runner } = makeRunner();
    const bare = new engine.Runner({ model: runner.model, workDir: workDir(), logLevel: 'warning' });
    await assert.rejects(bare.val(), /needs `valDataloader` and `valEvaluator`/);
    assert.ok(existsSync(bare.logDir));
  });
});
