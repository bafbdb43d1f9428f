// torch.profiler.schedule's actions step by step, and a scheduled profiler's cycles (when the
// trace is handed over, which steps it holds), against Python's.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const { profile, schedule } = torch.profiler;
const skip = skipWithoutPython();

const CONFIGS: torch.profiler.ScheduleOptions[] = [
  { wait: 1, warmup: 1, active: 2 },
  { wait: 2, warmup: 1, active: 3, repeat: 2 },
  { wait: 0, warmup: 2, active: 1, repeat: 3, skipFirst: 4 },
  { wait: 5, warmup: 1, active: 2, skipFirst: 3, skipFirstWait: 1 },
  { wait: 1, warmup: 1, active: 1, repeat: 1 },
];

interface Cycle {
  step: number;
  steps: number;
  adds: number;
}
let py: { actions: string[][]; cycles: Cycle[] };

describe('schedule', () => {
  before(() => {
    if (skip) return;
    py = runPython(
      `
import warnings
from torch.profiler import profile, schedule, ProfilerActivity
actions = []
for c in INPUT:
    fn = schedule(wait=c['wait'], warmup=c['warmup'], active=c['active'], repeat=c.get('repeat', 0),
                  skip_first=c.get('skipFirst', 0), skip_first_wait=c.get('skipFirstWait', 0))
    actions.append([fn(s).name for s in range(30)])
cycles = []
def ready(p):
    ka = {e.key: e.count for e in p.key_averages()}
    cycles.append({'step': p.step_num, 'steps': ka.get('ProfilerStep*', 0), 'adds': ka.get('aten::add', 0)})
x = torch.ones(2)
with profile(activities=[ProfilerActivity.CPU], schedule=schedule(wait=1, warmup=1, active=2, repeat=2),
             on_trace_ready=ready) as p:
    for i in range(10):
        for _ in range(i + 1): x.add(1)
        p.step()
OUTPUT = {'actions': actions, 'cycles': cycles}
`,
      CONFIGS,
    );
  });

  test("the actions of 30 steps are Python's", { skip }, () => {
    CONFIGS.forEach((c, i) => {
      const fn = schedule(c);
      assert.deepEqual(
        Array.from({ length: 30 }, (_, s) => fn(s)),
        py.actions[i],
        JSON.stringify(c),
      );
    });
  });

  test('worked by hand: wait 1, warmup 1, active 2, repeat 1', () => {
    const fn = schedule({ wait: 1, warmup: 1, active: 2, repeat: 1 });
    assert.deepEqual([0, 1, 2, 3, 4, 5].map(fn), ['NONE', 'WARMUP', 'RECORD', 'RECORD_AND_SAVE', 'NONE', 'NONE']);
  });

  test('bad arguments are errors, as in PyTorch', () => {
    assert.throws(() => schedule({ wait: 1, warmup: 1, active: 0 }), /active=0 \(need > 0\)/);
    assert.throws(() => schedule({ wait: -1, warmup: 1, active: 1 }), /wait=-1 \(need >= 0\)/);
    assert.throws(() => schedule({ wait: 1, warmup: 1.5, active: 1 }), /warmup must be an integer/);
    assert.throws(
      () => schedule({ wait: 1, warmup: 1, active: 1, skip_first: 2 } as never),
      /unknown option 'skip_first'/,
    );
    assert.throws(() => schedule({ wait: 1, warmup: 1, active: 1 })(-1), /Step must be non-negative/);
  });

  test("a scheduled profiler hands over each cycle's steps, as Python's", { skip }, () => {
    const cycles: Cycle[] = [];
    const x = torch.ones([2]);
    const prof = profile({
      activities: ['cpu'],
      schedule: schedule({ wait: 1, warmup: 1, active: 2, repeat: 2 }),
      onTraceReady: (p) => {
        const counts = Object.fromEntries(p.keyAverages().map((e) => [e.key, e.count]));
        cycles.push({ step: p.stepNum, steps: counts['ProfilerStep*'] ?? 0, adds: counts['aten::add'] ?? 0 });
      },
    }).start();
    for (let i = 0; i < 10; i++) {
      for (let k = 0; k <= i; k++) x.add(1).dispose();
      prof.step();
    }
    prof.stop();
    x.dispose();
    assert.deepEqual(cycles, py.cycles);
    // steps 2 and 3 (3 + 4 adds), then 6 and 7 (7 + 8 adds)
    assert.deepEqual(cycles, [
      { step: 4, steps: 2, adds: 7 },
      { step: 8, steps: 2, adds: 15 },
    ]);
    // the trace marks each step by its number
    assert.deepEqual(
      prof
        .events()
        .filter((e) => e.traceName?.startsWith('ProfilerStep#'))
        .map((e) => e.traceName),
      ['ProfilerStep#6', 'ProfilerStep#7'],
    );
  });
});
