// ProfilerHook as MMEngine's: profiling starts before the run and stops after `profileTimes`
// iterations (or the first epoch); the Chrome trace goes to jsonTracePath, the table to the log,
// trace files to TensorBoard's folder; bad settings are MMEngine's errors.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
const { xs, ys } = makeData(32);

/** Trains the MLP (2 iterations an epoch) with the hook; returns the runner and its info lines. */
async function train(
  hook: engine.ProfilerHook,
  trainCfg: { maxEpochs: number } | { byEpoch: false; maxIters: number },
): Promise<{ runner: engine.Runner; logs: string[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'torch-node-profiler-hook-'));
  dirs.push(dir);
  torch.manualSeed(0);
  const model = new Mlp();
  const runner = new engine.Runner({
    model,
    workDir: dir,
    trainDataloader: new ArrayLoader(xs, ys, 16),
    trainCfg,
    optimWrapper: { optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.01 }) },
    customHooks: [hook],
    defaultHooks: { checkpoint: null },
    logLevel: 'silent',
  });
  const logs: string[] = [];
  runner.logger.info = (m: string) => logs.push(m);
  await runner.train();
  return { runner, logs, dir };
}

type TraceEvent = { name: string; ph: string };
const traceOf = (path: string): TraceEvent[] => JSON.parse(readFileSync(path, 'utf8')).traceEvents;
const count = (events: TraceEvent[], name: string) => events.filter((e) => e.name === name && e.ph === 'X').length;

describe('ProfilerHook', () => {
  test('byEpoch false: profileTimes iterations go to jsonTracePath, and the table to the log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'torch-node-profiler-json-'));
    dirs.push(dir);
    const jsonTracePath = join(dir, 'trace.json');
    const hook = new engine.ProfilerHook({
      byEpoch: false,
      profileTimes: 3,
      onTraceReady: { type: 'log_trace', sortBy: 'selfCpuTimeTotal', rowLimit: 5 },
      jsonTracePath,
    });
    const { logs } = await train(hook, { byEpoch: false, maxIters: 6 });
    // 3 iterations of 6, each with two Linear layers forward: 6 linears, 6 addmms forward
    const events = traceOf(jsonTracePath);
    assert.equal(count(events, 'aten::linear'), 6);
    assert.equal(count(events, 'aten::addmm'), 6);
    // SGD's update: per tensor, or for all at once where the parameters are on CUDA (foreach).
    const updates = ['Optimizer.step#SGD.step', 'aten::add_', 'aten::_foreach_add_'].map((n) => count(events, n));
    assert.ok(
      updates.some((c) => c > 0),
      `no optimizer update traced: ${updates}`,
    );
    assert.deepEqual(
      logs.filter((l) => /profil/.test(l)),
      ['profiler is profiling...', 'profiler may take a few minutes...'],
    );
    const table = logs.find((l) => l.includes('Self CPU time total'));
    assert.ok(table, 'the table is logged');
    const rows = table.split('\n').filter((l) => / {2}\d+ {2}$/.test(l));
    assert.equal(rows.length, 5); // rowLimit
    assert.match(table, /Name {4}Self CPU % {6}Self CPU {3}CPU total %/);
    assert.equal(hook.profiler?.keyAverages().find((e) => e.key === 'aten::linear')?.count, 6);
  });

  test('byEpoch: the first epoch is profiled, with trace files for TensorBoard', async () => {
    const hook = new engine.ProfilerHook({ onTraceReady: { type: 'tb_trace', dirName: 'tb' } });
    const { runner, logs } = await train(hook, { maxEpochs: 2 });
    assert.ok(logs.includes(`trace_files of ProfilerHook will be saved to ${join(runner.logDir, 'tb')}.`));
    const files = readdirSync(join(runner.logDir, 'tb'));
    assert.equal(files.length, 1);
    assert.match(files[0] as string, /^.+_\d+\.\d+\.pt\.trace\.json$/);
    // 2 iterations in the first epoch: 4 linears
    assert.equal(count(traceOf(join(runner.logDir, 'tb', files[0] as string)), 'aten::linear'), 4);
  });

  test('a schedule counts training iterations', async () => {
    const cycles: number[] = [];
    const hook = new engine.ProfilerHook({
      byEpoch: false,
      profileTimes: 6,
      schedule: { wait: 1, warmup: 1, active: 2 },
      onTraceReady: (p) => cycles.push(p.keyAverages().find((e) => e.key === 'ProfilerStep*')?.count ?? 0),
    });
    await train(hook, { byEpoch: false, maxIters: 8 });
    // iterations 2-3 are recorded and handed over at the step after 3; iteration 5 is recording
    // when profiling stops after iteration 6 (index 5), which hands over a second cycle
    assert.deepEqual(cycles, [2, 1]);
  });

  test("MMEngine's errors", async () => {
    assert.throws(
      () => new engine.ProfilerHook({ profileTimes: 0 }),
      /profileTimes should be greater than 0, but got 0/,
    );
    assert.throws(() => new engine.ProfilerHook({ profileTimes: 2 }), /Profiler will profile 0-2 epochs/);
    assert.throws(() => new engine.ProfilerHook({ onTraceReady: 'log' as never }), /should be a handler, or an object/);
    assert.throws(() => new engine.ProfilerHook({ json_trace_path: 'x' } as never), /unknown option 'json_trace_path'/);
    await assert.rejects(
      train(new engine.ProfilerHook({ byEpoch: false, profileTimes: 5 }), { byEpoch: false, maxIters: 4 }),
      /`profileTimes` should not be greater than 4/,
    );
    await assert.rejects(
      train(new engine.ProfilerHook({ onTraceReady: { type: 'txt_trace' } as never }), { maxEpochs: 1 }),
      /trace_type should be "log_trace" or "tb_trace", but got txt_trace/,
    );
    // a failed run left no profiler running: the next one starts
    const ok = await train(new engine.ProfilerHook({}), { maxEpochs: 1 });
    assert.ok(!existsSync(join(ok.runner.logDir, 'tf_tracing_logs')));
  });

  test("is in the registry as 'ProfilerHook'", () => {
    const hook = engine.buildHook({ type: 'ProfilerHook', byEpoch: false, profileTimes: 2 });
    assert.ok(hook instanceof engine.ProfilerHook);
    assert.equal((hook as engine.ProfilerHook).profileTimes, 2);
    assert.equal(hook.priority, 'VERY_LOW');
  });
});
