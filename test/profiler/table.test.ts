// The profiler's table, character for character as PyTorch's _build_table prints it, for the
// same events: columns and widths, time units (us, ms, s), percentages, sorting, row limits,
// input shapes, memory, FLOPs, long names, headers and the 'Self CPU time total' footer.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const { EventList, FunctionEvent } = torch.profiler;
const skip = skipWithoutPython();

interface Spec {
  name: string;
  thread: number;
  start: number;
  end: number;
  shapes: number[][];
  flops: number;
  mem: number;
}
// Two threads; on thread 1 a 2.5 s step holding a long-named range with nested ops.
const LONG = 'a_very_long_user_range_name_that_goes_past_the_name_column_width';
const SPECS: Spec[] = [
  { name: 'train_step', thread: 1, start: 0, end: 2_500_000, shapes: [], flops: 0, mem: 0 },
  { name: LONG, thread: 1, start: 10, end: 1_500_010.25, shapes: [], flops: 0, mem: 0 },
  { name: 'aten::linear', thread: 1, start: 20, end: 1234.567, shapes: [[2, 4], [3, 4], [3]], flops: 0, mem: 96 },
  { name: 'aten::addmm', thread: 1, start: 30, end: 1200.5, shapes: [[3], [2, 4], [4, 3], [], []], flops: 48, mem: 96 },
  { name: 'aten::linear', thread: 1, start: 2000, end: 2999.999, shapes: [[8, 4], [3, 4], [3]], flops: 0, mem: 2048 },
  {
    name: 'aten::addmm',
    thread: 1,
    start: 2001,
    end: 2500,
    shapes: [[3], [8, 4], [4, 3], [], []],
    flops: 192,
    mem: 2048,
  },
  { name: 'aten::relu', thread: 1, start: 3000, end: 3000.001, shapes: [[2, 3]], flops: 0, mem: 24 },
  { name: 'aten::sum', thread: 2, start: 5, end: 77.125, shapes: [[2, 3], []], flops: 0, mem: 4 },
  {
    name: 'aten::empty',
    thread: 2,
    start: 6,
    end: 7,
    shapes: [[], [], [], [], [], []],
    flops: 0,
    mem: 2 * 1024 * 1024,
  },
];

function ours(profileMemory: boolean, withFlops: boolean): torch.profiler.EventList<torch.profiler.FunctionEvent> {
  const list = EventList.fromEvents(
    SPECS.map(
      (s, id) =>
        new FunctionEvent({
          id,
          name: s.name,
          thread: s.thread,
          startUs: s.start,
          endUs: s.end,
          inputShapes: s.shapes,
          flops: s.flops,
          cpuMemoryUsage: s.mem,
        }),
    ),
    { profileMemory, withFlops },
  );
  list.buildTree();
  return list;
}

function tables(profileMemory: boolean, withFlops: boolean): string[] {
  const events = ours(profileMemory, withFlops);
  return [
    events.keyAverages().table(),
    events.keyAverages().table({ sortBy: 'self_cpu_time_total', rowLimit: 3 }),
    events.keyAverages({ groupByInputShape: true }).table({ sortBy: 'cpuTimeTotal' }),
    events.keyAverages().table({ timeUnit: 'ms', header: 'A header', topLevelEventsOnly: true }),
    events.table({ sortBy: 'count', maxNameColumnWidth: 20 }),
  ];
}

let py: string[][];

describe('table', () => {
  before(() => {
    if (skip) return;
    py = runPython<string[][]>(
      `
from torch.autograd.profiler_util import EventList, FunctionEvent
def tables(pm, wf):
    evts = EventList([FunctionEvent(id=i, name=s['name'], thread=s['thread'], start_us=s['start'], end_us=s['end'],
                                    input_shapes=s['shapes'], flops=s['flops'], cpu_memory_usage=s['mem'], stack=[])
                      for i, s in enumerate(INPUT)], profile_memory=pm, with_flops=wf)
    evts._build_tree()
    return [
        evts.key_averages().table(),
        evts.key_averages().table(sort_by='self_cpu_time_total', row_limit=3),
        evts.key_averages(group_by_input_shapes=True).table(sort_by='cpu_time_total'),
        evts.key_averages().table(time_unit='ms', header='A header', top_level_events_only=True),
        evts.table(sort_by='count', max_name_column_width=20),
    ]
OUTPUT = [tables(False, False), tables(True, True)]
`,
      SPECS,
    );
  });

  test("PyTorch's layout: columns, units, shares, sorting, limits, header, footer", { skip }, () => {
    const got = tables(false, false);
    for (let i = 0; i < got.length; i++) assert.equal(got[i], py[0]?.[i], `table ${i}`);
  });

  test("with memory and FLOPs columns: PyTorch's", { skip }, () => {
    const got = tables(true, true);
    for (let i = 0; i < got.length; i++) assert.equal(got[i], py[1]?.[i], `table ${i}`);
  });

  test('worked by hand: self time is the total less the children, shares of the self total', () => {
    const rows = ours(false, false).keyAverages();
    const addmm = rows.find((e) => e.key === 'aten::addmm');
    const linear = rows.find((e) => e.key === 'aten::linear');
    assert.equal(addmm?.count, 2);
    assert.equal(addmm?.cpuTimeTotal, 1200.5 - 30 + (2500 - 2001));
    assert.equal(linear?.selfCpuTimeTotal, 1234.567 - 20 - (1200.5 - 30) + (2999.999 - 2000) - (2500 - 2001));
    // train_step (2.5 s) and sum (72.125 us) are the roots: the self times add up to them
    assert.ok(Math.abs(rows.selfCpuTimeTotal - (2_500_000 + 77.125 - 5 + 1 - 1)) < 1e-6);
    const table = rows.table();
    const lines = table.split('\n');
    // the name column is 55 wide (the longest name + 4, at most 55), the others 12; two spaces after each
    const columns = ['Self CPU %', 'Self CPU', 'CPU total %', 'CPU total', 'CPU time avg', '# of Calls'];
    assert.equal(lines[1], `${' '.repeat(51)}Name  ${columns.map((c) => `${c.padStart(12)}  `).join('')}`);
    assert.equal(lines[0], `${'-'.repeat(55)}  ${'------------  '.repeat(6)}`);
    // train_step's one child is the long range (everything else on thread 1 is inside that):
    // self 2.5 s - 1.50000025 s = 999999.75 us, of a self total of 2.5 s + 72.125 us (thread 2's root)
    const row = (...cells: string[]) =>
      `${cells[0]?.padStart(55)}  ${cells
        .slice(1)
        .map((c) => `${c.padStart(12)}  `)
        .join('')}`;
    assert.equal(lines[3], row('train_step', '40.00%', '1000.000ms', '100.00%', '2.500s', '2.500s', '1'));
    assert.equal(lines[4], row(`${LONG.slice(0, 52)}...`, '59.91%', '1.498s', '60.00%', '1.500s', '1.500s', '1'));
    assert.match(table, /Self CPU time total: 2\.500s\n$/);
  });
});
