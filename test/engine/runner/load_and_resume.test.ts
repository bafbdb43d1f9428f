// Runner.loadCheckpoint and Runner.resume with MMEngine's options: loadCheckpoint returns the
// whole checkpoint with its tensors on mapLocation; resume(filename, {resumeOptimizer,
// resumeParamScheduler, mapLocation}); the train dataset's metainfo saved as meta.dataset_meta
// (read back with Python's torch.load) and compared on resume, a difference logged as MMEngine's
// warning.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { runPython, skipWithoutPython } from '../../support/python.js';
import { ArrayLoader, Mlp, makeData, SimpleAccuracy } from './support.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'torch-node-resume-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const { xs, ys } = makeData(48);
const META = {
  classes: ['a', 'b', 'c'],
  palette: [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
  ],
};
const DATASET_WARNING =
  'The dataset metainfo from the resumed checkpoint is different from the current training dataset, please check the correctness of the checkpoint or the training dataset.';

/** A loader whose dataset has `metainfo` (none where meta is undefined). */
function loader(meta?: unknown): ArrayLoader {
  const l = new ArrayLoader(xs, ys, 16, true);
  if (meta !== undefined) (l as { dataset: unknown }).dataset = { length: xs.length, metainfo: meta };
  return l;
}

function makeRunner(options: { workDir?: string; meta?: unknown; maxEpochs?: number } & Partial<engine.RunnerOptions>) {
  torch.manualSeed(0);
  const model = new Mlp();
  const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const scheduler = new torch.optim.lrScheduler.StepLR(optimizer, { stepSize: 1, gamma: 0.5 });
  const runner = new engine.Runner({
    model,
    workDir: options.workDir ?? tempDir(),
    trainDataloader: loader(options.meta),
    valDataloader: new ArrayLoader(xs, ys, 16),
    valEvaluator: new SimpleAccuracy(),
    trainCfg: { maxEpochs: options.maxEpochs ?? 2 },
    optimWrapper: { optimizer },
    paramScheduler: scheduler,
    randomness: { seed: 0 },
    logLevel: 'silent',
    ...options,
  });
  const warnings: string[] = [];
  runner.logger.level = 'warning';
  runner.logger.sinks.push((line) => {
    const m = / - WARNING - (.*)$/s.exec(line);
    if (m) warnings.push(m[1] as string);
  });
  // The console stays quiet: the sinks see what the level lets through, stdout nothing.
  const write = runner.logger as unknown as { write(level: string, message: string): void };
  const original = write.write.bind(runner.logger);
  write.write = (level, message) => {
    const out = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      original(level, message);
    } finally {
      process.stdout.write = out;
    }
  };
  return { runner, model, optimizer, scheduler, warnings };
}

let trained: { dir: string; path: string; model: Mlp };

before(async () => {
  const dir = tempDir();
  const { runner, model } = makeRunner({ workDir: dir, meta: META });
  await runner.train();
  trained = { dir, path: join(dir, 'epoch_2.pth'), model };
});

describe('Runner.loadCheckpoint', () => {
  test('returns the whole checkpoint, its tensors on the CPU, and loads the weights', () => {
    const { runner, model } = makeRunner({});
    const ckpt = runner.loadCheckpoint(trained.path, { mapLocation: 'cpu' });
    assert.deepEqual(Object.keys(ckpt).sort(), [
      'message_hub',
      'meta',
      'optimizer',
      'param_schedulers',
      'rng_state',
      'state_dict',
    ]);
    const meta = ckpt.meta as Record<string, unknown>;
    assert.deepEqual([meta.epoch, meta.iter], [2, 6]);
    const sd = ckpt.state_dict as Record<string, torch.Tensor>;
    // The keys as saved (reviseKeys rewrites what is loaded, not the checkpoint).
    assert.deepEqual(Object.keys(sd), Object.keys(trained.model.stateDict()));
    for (const t of Object.values(sd)) assert.equal(String(t.device), 'cpu');
    assert.ok(model.fc1.weight.equal(trained.model.fc1.weight));
    assert.ok(model.fc1.weight.cpu().equal(sd['fc1.weight'] as torch.Tensor));
  });

  test('mapLocation reaches torch.load; a bad one is a TypeError before the file is read', () => {
    const { runner } = makeRunner({});
    if (!torch.cuda.isAvailable()) {
      // Asked for CUDA where there is none, loading fails: the option was not dropped on the way.
      assert.throws(() => runner.loadCheckpoint(trained.path, { mapLocation: 'cuda' }));
    } else {
      const ckpt = runner.loadCheckpoint(trained.path, { mapLocation: 'cuda' });
      assert.match(String((ckpt.state_dict as Record<string, torch.Tensor>)['fc1.weight']?.device), /^cuda/);
    }
    for (const bad of ['gpu', 3, 'default']) {
      assert.throws(
        () => runner.loadCheckpoint(join(trained.dir, 'missing.pth'), { mapLocation: bad as torch.Device }),
        (e: Error) =>
          e instanceof TypeError && /^Runner\.loadCheckpoint: mapLocation must be a device string/.test(e.message),
      );
    }
  });
});

describe("mapLocation as a function (torch.load's callable map_location)", () => {
  /** Every tensor of a checkpoint loaded as it is, by key path. */
  function tensorsOf(value: unknown, key = '', out = new Map<string, torch.Tensor>()): Map<string, torch.Tensor> {
    if (value instanceof torch.Tensor) out.set(key, value);
    else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) tensorsOf(v, key === '' ? k : `${key}.${k}`, out);
    }
    return out;
  }

  test('called once per tensor, on the CPU, with its key path; each goes where it says', () => {
    const { runner, model } = makeRunner({});
    const expected = tensorsOf(torch.load(trained.path));
    const seen: [string, string][] = [];
    // 'meta' (a device without data) shows that each tensor went where its own answer said.
    const ckpt = runner.loadCheckpoint(trained.path, {
      mapLocation: (t, key) => {
        seen.push([key, String(t.device)]);
        return key === 'rng_state' ? 'meta' : 'cpu';
      },
    });
    assert.deepEqual(
      seen,
      [...expected.keys()].map((k) => [k, 'cpu']),
    );
    assert.ok(seen.some(([k]) => k === 'state_dict.fc1.weight'));
    assert.ok(seen.some(([k]) => k === 'optimizer.state.0.momentum_buffer'));
    assert.equal(String((ckpt.rng_state as torch.Tensor).device), 'meta');
    const sd = ckpt.state_dict as Record<string, torch.Tensor>;
    for (const t of Object.values(sd)) assert.equal(String(t.device), 'cpu');
    assert.ok(model.fc1.weight.equal(trained.model.fc1.weight), 'the weights loaded');
  });

  test('resume takes one; a bad answer is a TypeError naming the tensor', () => {
    const { runner, optimizer } = makeRunner({ meta: META });
    const keys: string[] = [];
    runner.resume(trained.path, {
      mapLocation: (_t, key) => {
        keys.push(key);
        return 'cpu';
      },
    });
    assert.deepEqual([runner.epoch, runner.iter], [2, 6]);
    assert.ok(keys.includes('state_dict.fc2.bias') && keys.includes('rng_state'));
    const state = (optimizer.stateDict() as { state: Record<string, Record<string, unknown>> }).state;
    assert.ok(state['0']?.momentum_buffer instanceof torch.Tensor, 'the optimizer resumed');
    if (!torch.cuda.isAvailable()) {
      // The device the function gives is used: CUDA where there is none fails.
      assert.throws(() => runner.loadCheckpoint(trained.path, { mapLocation: () => 'cuda' }));
    }
    assert.throws(
      () => runner.loadCheckpoint(trained.path, { mapLocation: () => 'gpu' as torch.Device }),
      (e: Error) =>
        e instanceof TypeError &&
        /^Runner\.loadCheckpoint: the mapLocation function must return a device string .*, got "gpu" for '[^']+'$/.test(
          e.message,
        ),
    );
  });
});

describe('dataset_meta', () => {
  test('the train dataset metainfo is saved in meta.dataset_meta, as Python torch.load reads it', {
    skip: skipWithoutPython(),
  }, () => {
    const got = runPython('OUTPUT = torch.load(INPUT, weights_only=True)["meta"]["dataset_meta"]', trained.path);
    assert.deepEqual(got, META);
  });

  test('no metainfo, no dataset_meta', () => {
    const { runner } = makeRunner({});
    const dir = tempDir();
    const meta = (torch.load(runner.saveCheckpoint(dir, 'x.pth')) as { meta: Record<string, unknown> }).meta;
    assert.ok(!('dataset_meta' in meta));
  });

  test('resume warns when the metainfo differs (or only one side has it), not when it is the same', () => {
    const same = makeRunner({ meta: structuredClone(META) });
    same.runner.resume(trained.path);
    assert.deepEqual(same.warnings, []);
    const cases: unknown[] = [
      { classes: ['a', 'b', 'x'], palette: META.palette },
      { palette: META.palette, classes: META.classes }, // keys in another order pickle differently
      undefined, // the dataset has none
    ];
    for (const meta of cases) {
      const other = makeRunner({ meta });
      other.runner.resume(trained.path);
      assert.deepEqual(other.warnings, [DATASET_WARNING], JSON.stringify(meta));
    }
    // A checkpoint made without metainfo, resumed with it.
    const bare = makeRunner({});
    const path = bare.runner.saveCheckpoint(tempDir(), 'bare.pth');
    const withMeta = makeRunner({ meta: META });
    withMeta.runner.resume(path);
    assert.deepEqual(withMeta.warnings, [DATASET_WARNING]);
  });
});

describe('Runner.resume options', () => {
  const momentum = (opt: torch.optim.SGD): unknown =>
    (opt.stateDict() as { state: Record<string, Record<string, unknown>> }).state['0']?.momentum_buffer;

  test('by default: epoch, iter, optimizer and schedulers as saved', () => {
    const { runner, optimizer, scheduler } = makeRunner({ meta: META });
    runner.resume(trained.path);
    assert.deepEqual([runner.epoch, runner.iter], [2, 6]);
    const ckpt = torch.load(trained.path) as {
      optimizer: { state: Record<string, { momentum_buffer: torch.Tensor }> };
    };
    const buffer = momentum(optimizer);
    const saved = ckpt.optimizer.state['0']?.momentum_buffer;
    assert.ok(buffer instanceof torch.Tensor && saved instanceof torch.Tensor && buffer.cpu().equal(saved.cpu()));
    // StepLR(stepSize 1, gamma 0.5) stepped after each of 2 epochs: 0.1 * 0.5^2.
    assert.equal(optimizer.paramGroups[0]?.lr, 0.025);
    assert.equal(scheduler.lastEpoch, 2);
  });

  test('resumeOptimizer false keeps the fresh optimizer; resumeParamScheduler false the fresh scheduler', () => {
    const a = makeRunner({ meta: META });
    a.runner.resume(trained.path, { resumeOptimizer: false });
    assert.deepEqual([a.runner.epoch, a.runner.iter], [2, 6]);
    assert.equal(momentum(a.optimizer), undefined);
    assert.equal(a.optimizer.paramGroups[0]?.lr, 0.1);
    assert.equal(a.scheduler.lastEpoch, 2);

    const b = makeRunner({ meta: META });
    b.runner.resume(trained.path, { resumeParamScheduler: false, mapLocation: 'cpu' });
    assert.ok(momentum(b.optimizer) instanceof torch.Tensor);
    assert.equal(b.scheduler.lastEpoch, 0);
  });

  test('a runner without schedulers warns that it skips them', () => {
    const { runner, warnings } = makeRunner({ meta: META, paramScheduler: null });
    runner.resume(trained.path);
    assert.deepEqual(warnings, [
      '`resumeParamScheduler` is true but the runner has no parameter schedulers, so skip resuming parameter schedulers',
    ]);
    const quiet = makeRunner({ meta: META, paramScheduler: null });
    quiet.runner.resume(trained.path, { resumeParamScheduler: false });
    assert.deepEqual(quiet.warnings, []);
  });

  test('bad options are TypeErrors naming them', () => {
    const { runner } = makeRunner({});
    assert.throws(
      () => runner.resume(trained.path, { resumeOptimizer: 'no' as unknown as boolean }),
      (e: Error) =>
        e instanceof TypeError && e.message === 'Runner.resume: resumeOptimizer must be a boolean, got "no"',
    );
    assert.throws(
      () => runner.resume(trained.path, { mapLocation: 'gpu' }),
      (e: Error) =>
        e instanceof TypeError && /^Runner\.resume: mapLocation must be .* or 'default', got "gpu"$/.test(e.message),
    );
  });

  test('scheduler configs are built to take the state when resume comes before train', async () => {
    const dir = tempDir();
    // An `end` past both runs: the default (the first run's maxEpochs) is saved in the state too.
    const cfg = { type: 'MultiStepLR', milestones: [1, 3], gamma: 0.5, byEpoch: true, end: 10 };
    const first = makeRunner({ workDir: dir, paramScheduler: [cfg], maxEpochs: 2 });
    await first.runner.train();
    const second = makeRunner({ paramScheduler: [cfg], maxEpochs: 4 });
    second.runner.resume(join(dir, 'epoch_2.pth'));
    assert.equal(second.runner.paramSchedulers.length, 1);
    // MultiStepLR at milestone 1 halved it once by epoch 2.
    assert.equal(second.optimizer.paramGroups[0]?.lr, 0.05);
    assert.equal((second.runner.paramSchedulers[0]?.scheduler as { lastStep?: number } | undefined)?.lastStep, 2);
    await second.runner.train();
    // ... and again at 3: the resumed schedule goes on.
    assert.equal(second.optimizer.paramGroups[0]?.lr, 0.025);
  });
});
