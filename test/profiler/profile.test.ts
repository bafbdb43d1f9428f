// torch.profiler.profile against Python's: the ops a Linear+ReLU forward and backward record,
// with their counts, input shapes and FLOPs; user ranges; Kineto's Chrome trace; and the edge
// cases of a profiler's life (nothing recorded, stop twice, two profilers at once).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { type NativeProfiler, native } from '../../lib/binding.js';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const { profile, recordFunction, ProfilerActivity } = torch.profiler;
const dir = mkdtempSync(join(tmpdir(), 'torch-node-profiler-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A Linear(4, 3) + ReLU forward and backward on a 2x4 batch, inside a 'my_range' user range. */
function linearReluStep(options: torch.profiler.ProfileOptions): torch.profiler.Profile {
  torch.manualSeed(0);
  const lin = new torch.nn.Linear(4, 3);
  const x = torch.randn([2, 4]);
  const prof = profile(options, () => {
    const y = recordFunction('my_range', () => torch.relu(lin.forward(x)).sum());
    y.backward();
    y.dispose();
  });
  x.dispose();
  for (const p of lin.parameters()) p.dispose();
  return prof;
}

interface PyResult {
  counts: Record<string, number>;
  shapes: Record<string, number[][]>;
  flops: Record<string, number>;
}
let py: PyResult;
const skip = skipWithoutPython();

describe('profile: the ops of a Linear+ReLU step', () => {
  let prof: torch.profiler.Profile;
  before(() => {
    prof = linearReluStep({ activities: [ProfilerActivity.CPU], recordShapes: true, withFlops: true });
    if (skip) return;
    py = runPython<PyResult>(`
from torch.profiler import profile, ProfilerActivity, record_function
torch.manual_seed(0)
lin = torch.nn.Linear(4, 3)
x = torch.randn(2, 4)
with profile(activities=[ProfilerActivity.CPU], record_shapes=True, with_flops=True) as prof:
    with record_function('my_range'):
        y = torch.relu(lin(x)).sum()
    y.backward()
OUTPUT = {
    'counts': {e.key: e.count for e in prof.key_averages()},
    'shapes': {e.key: e.input_shapes for e in prof.key_averages(group_by_input_shape=True)},
    'flops': {e.key: e.flops for e in prof.key_averages() if e.flops},
}
`);
  });

  test("keyAverages' names and call counts are Python's", { skip }, () => {
    const ours = Object.fromEntries(prof.keyAverages().map((e) => [e.key, e.count]));
    // Python's y.backward() makes the seed gradient in Python with preserve_format (ones_like ->
    // empty_like -> empty_strided); libtorch's C++ backward makes it contiguous (-> empty).
    const expected = { ...py.counts };
    assert.equal(expected['aten::empty_strided'], 1);
    delete expected['aten::empty_strided'];
    expected['aten::empty'] = 1;
    assert.deepEqual(ours, expected);
    assert.equal(ours['aten::addmm'], 1);
    assert.equal(ours['aten::t'], 4);
    assert.equal(ours['torch::autograd::AccumulateGrad'], 2);
  });

  test('recordShapes gives the input shapes, grouped as Python groups them', { skip }, () => {
    const ours = prof.keyAverages({ groupByInputShape: true });
    for (const key of ['aten::linear', 'aten::addmm', 'aten::relu', 'aten::mm', 'aten::threshold_backward']) {
      const row = ours.find((e) => e.key === key);
      assert.ok(row, key);
      assert.deepEqual(row.inputShapes, py.shapes[key], key);
    }
    const addmm = ours.find((e) => e.key === 'aten::addmm');
    assert.deepEqual(addmm?.inputShapes, [[3], [2, 4], [4, 3], [], []]);
    // without grouping, shapes are not part of the rows
    assert.deepEqual(prof.keyAverages().find((e) => e.key === 'aten::addmm')?.inputShapes, []);
  });

  test('withFlops counts the matmuls as Python does', { skip }, () => {
    const ours = Object.fromEntries(
      prof
        .keyAverages()
        .filter((e) => e.flops > 0)
        .map((e) => [e.key, e.flops]),
    );
    assert.deepEqual(ours, py.flops);
    // addmm of [2,4] x [4,3]: 2 * 2 * 4 * 3
    assert.equal(ours['aten::addmm'], 48);
  });

  test("a recordFunction range holds its ops and not the backward's", () => {
    const events = prof.events();
    const range = events.find((e) => e.name === 'my_range');
    assert.ok(range);
    assert.equal(range.isUserAnnotation, true);
    assert.equal(range.cpuParent, null);
    const inside = (e: torch.profiler.FunctionEvent) =>
      e.timeRange.start >= range.timeRange.start && e.timeRange.end <= range.timeRange.end;
    for (const name of ['aten::linear', 'aten::addmm', 'aten::relu', 'aten::sum']) {
      const ops = events.filter((e) => e.name === name);
      assert.ok(ops.length > 0, name);
      // the backward's aten::sum (none) and the forward's: all of the forward's are inside
      assert.ok(ops.some(inside), name);
    }
    assert.deepEqual(
      range.cpuChildren.map((e) => e.name),
      ['aten::linear', 'aten::relu', 'aten::sum'],
    );
    const backward = events.filter((e) => e.name.startsWith('autograd::engine::evaluate_function'));
    assert.ok(backward.length > 0 && backward.every((e) => !inside(e)));
    // self time is the total less the children's
    const childTime = range.cpuChildren.reduce((t, c) => t + c.cpuTimeTotal, 0);
    assert.ok(Math.abs(range.selfCpuTimeTotal - (range.cpuTimeTotal - childTime)) < 1e-9);
    assert.ok(range.selfCpuTimeTotal >= 0 && range.cpuTimeTotal > childTime);
  });

  test('the Chrome trace is JSON whose traceEvents hold the ops, ranges and shapes', () => {
    const path = join(dir, 'trace.json');
    prof.exportChromeTrace(path);
    const trace = JSON.parse(readFileSync(path, 'utf8')) as {
      traceEvents: { name: string; args?: Record<string, unknown> }[];
    };
    const names = new Set(trace.traceEvents.map((e) => e.name));
    for (const name of ['my_range', 'aten::linear', 'aten::addmm', 'aten::relu', 'aten::threshold_backward']) {
      assert.ok(names.has(name), name);
    }
    const addmm = trace.traceEvents.find((e) => e.name === 'aten::addmm');
    assert.deepEqual(addmm?.args?.['Input Dims'], [[3], [2, 4], [4, 3], [], []]);
    // .gz: the same trace, gzipped
    prof.exportChromeTrace(join(dir, 'trace.json.gz'));
    const unzipped = JSON.parse(gunzipSync(readFileSync(join(dir, 'trace.json.gz'))).toString('utf8'));
    assert.ok(unzipped.traceEvents.some((e: { name: string }) => e.name === 'aten::addmm'));
  });
});

describe('profile: edge cases', () => {
  test('nothing recorded: no events, an empty table, a trace that parses', () => {
    const prof = profile({ activities: ['cpu'] }).start();
    prof.stop();
    assert.equal(prof.events().length, 0);
    assert.equal(prof.keyAverages().length, 0);
    assert.equal(prof.keyAverages().table(), '');
    const path = join(dir, 'empty.json');
    prof.exportChromeTrace(path);
    assert.ok(Array.isArray(JSON.parse(readFileSync(path, 'utf8')).traceEvents));
  });

  test('stop() twice keeps the first result and calls onTraceReady once', () => {
    let ready = 0;
    const prof = profile({ activities: ['cpu'], onTraceReady: () => ready++ }).start();
    torch.ones([2]).add(1).dispose();
    prof.stop();
    prof.stop();
    assert.equal(ready, 1);
    assert.ok(prof.events().some((e) => e.name === 'aten::add'));
  });

  test('a second profiler while one runs is an Error, and the first goes on', () => {
    const outer = profile({ activities: ['cpu'] }).start();
    const inner = profile({ activities: ['cpu'] });
    assert.throws(() => inner.start(), /^Error: profile\.start: Profiler is already enabled on this thread\.$/);
    torch.ones([2]).mul(3).dispose();
    outer.stop();
    assert.ok(outer.events().some((e) => e.name === 'aten::mul'));
    // once the first has stopped the second may run
    inner.start();
    inner.stop();
    assert.equal(inner.events().length, 0);
  });

  // libtorch's enableProfiler without a prepare first found Kineto uninitialised and crashed
  // the process; the native side prepares when it was not.
  test('the native enable without a prepare works', () => {
    const raw = native as unknown as NativeProfiler;
    raw.profilerEnable(['cpu'], false, false, false, false);
    torch.ones([2]).neg().dispose();
    const result = raw.profilerDisable();
    assert.ok(result);
    assert.ok(raw.profilerEvents(result).events.some((e) => e.name === 'aten::neg'));
    assert.equal(raw.profilerDisable(), null);
  });

  test('using stops the profiler; the function form stops on a throw', () => {
    {
      using prof = profile({ activities: ['cpu'] }).start();
      torch.zeros([3]).dispose();
      assert.equal(prof.events().length, 0); // still recording
    }
    // the `using` block stopped it: a new one may start
    assert.throws(
      () =>
        profile({ activities: ['cpu'] }, () => {
          throw new Error('boom');
        }),
      /boom/,
    );
    const again = profile({ activities: ['cpu'] }, () => torch.zeros([3]).dispose());
    assert.ok(again.events().some((e) => e.name === 'aten::zeros'));
  });

  test('bad options and calls say what is wrong', () => {
    assert.throws(() => profile({ activities: [] }), /No valid profiler activities found/);
    assert.throws(() => profile({ activities: ['cpu', 'cpu'] }), /Activity cpu specified more than once/);
    assert.throws(() => profile({ activities: ['tpu' as 'cpu'] }), TypeError);
    assert.throws(() => profile({ record_shapes: true } as never), /unknown option 'record_shapes'/);
    assert.throws(() => profile({ activities: ['cpu'] }).events(), /has not run yet/);
    assert.throws(() => profile({ activities: ['cpu'] }).exportChromeTrace(join(dir, 'x.json')), /no trace recorded/);
    const prof = profile({ activities: ['cpu'] }, () => torch.zeros([1]).dispose());
    assert.throws(() => prof.exportChromeTrace(join(dir, 'missing', 'dir', 'x.json')), /could not write .*missing/);
    assert.throws(() => prof.keyAverages().table({ sortBy: 'speed' }), /sortBy 'speed'/);
  });

  // torch-node's caching CPU allocator reports to the profiler as c10's own does: a block taken
  // from its cache (the second round) is an allocation too.
  test('profileMemory charges allocations to the ops that made them', () => {
    for (let round = 0; round < 2; round++) {
      const prof = profile({ activities: ['cpu'], profileMemory: true }, () => {
        torch.empty([16, 16]).dispose(); // 1024 bytes of float32
      });
      const empty = prof.keyAverages().find((e) => e.key === 'aten::empty');
      assert.equal(empty?.cpuMemoryUsage, 1024, `round ${round}`);
      assert.equal(empty?.selfCpuMemoryUsage, 1024);
      // the free happens outside every op: a top-level [memory] event of -1024 bytes
      assert.equal(prof.events().find((e) => e.name === '[memory]')?.cpuMemoryUsage, -1024);
      const table = prof.keyAverages().table();
      assert.match(table, /CPU Mem {2}Self CPU Mem/);
      assert.match(table, /aten::empty( +\S+){5} +1\.00 KB +1\.00 KB +1 +\n/);
    }
  });
});
