// Workload 1, per-op overhead: `add` on 1-element and 64x64 tensors and `linear` forward +
// backward, in torch-node (bench/torch_node.ts, with dispose() and with scopes), Python torch
// (bench/python/bench.py) and plain C++ (bench/cpp/bench.cpp), at one intra-op thread. The
// contenders alternate (their order rotates from round to round), every workload is repeated
// for several rounds, and the result is the median time per op of each contender and the ratios
// torch-node/Python and torch-node/C++.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  benchDir,
  buildCpp,
  type Contender,
  fmt,
  here,
  type Launch,
  load1,
  machine,
  pairedRatio,
  python,
  type Reply,
  root,
  rotate,
  type SuiteOptions,
  type Summary,
  startContenders,
  summarize,
  verdict,
} from './common.js';

interface Workload {
  name: string;
  label: string;
  iters: number;
}

const WORKLOADS: Workload[] = [
  { name: 'add1', label: '`a.add(b)`, 1 element (float32)', iters: 200_000 },
  { name: 'add64', label: '`a.add(b)`, 64x64 (float32)', iters: 150_000 },
  // About 30-60 µs an iteration: 10k iterations take as long as 200k small adds.
  { name: 'linear', label: '`F.linear` 16x64 · 32x64 + bias, `.sum().backward()`, grads to none', iters: 10_000 },
];

type ContenderId = 'torch-node' | 'torch-node-scope' | 'python' | 'cpp';
const CONTENDER_LABEL: Record<ContenderId, string> = {
  'torch-node': 'torch-node (dispose)',
  'torch-node-scope': 'torch-node (scope/1000)',
  python: 'Python torch',
  cpp: 'plain C++',
};

const TARGET_VS_PYTHON = 0.75;
const TARGET_VS_CPP = 1.6;
const DEFAULT_ROUNDS = 7;

export async function runOp(opts: SuiteOptions): Promise<Record<string, unknown>> {
  const rounds = opts.rounds ?? DEFAULT_ROUNDS;
  const scale = opts.scale;
  const started = Date.now();
  const info: Record<string, unknown> = { machine: machine(), rounds, scale };

  const launches: Launch[] = [];
  const nodeScript = join(here, 'torch_node.js');
  launches.push(
    existsSync(nodeScript)
      ? { id: 'torch-node', command: process.execPath, args: [nodeScript, '--serve'] }
      : { id: 'torch-node', skip: `${relative(root, nodeScript)} is missing: run \`npx tsc -p .\` first` },
  );
  const py = python();
  launches.push(
    py.ok
      ? { id: 'python', command: py.command, args: [join(benchDir, 'python', 'bench.py'), '--serve'] }
      : { id: 'python', skip: py.reason },
  );
  const cpp = buildCpp('bench');
  if (cpp.ok) info.cppBuild = cpp.note;
  launches.push(cpp.ok ? { id: 'cpp', command: cpp.binary, args: ['--serve'] } : { id: 'cpp', skip: cpp.reason });
  const { live, hello, skipped } = await startContenders(launches);
  for (const c of live) {
    if (hello[c.id]?.threads !== 1) console.warn(`warning: ${c.id} runs ${hello[c.id]?.threads} threads, not 1`);
    info[c.id] = hello[c.id];
  }
  if (!live.some((c) => c.id === 'torch-node')) {
    for (const c of live) c.stop();
    throw new Error('torch-node itself cannot run; nothing to compare');
  }

  // The measurement slots: torch-node runs twice (dispose and scope), as two contenders.
  const slots: { id: ContenderId; proc: Contender; variant?: string }[] = [];
  for (const c of live) {
    if (c.id === 'torch-node') {
      slots.push({ id: 'torch-node', proc: c, variant: 'dispose' });
      slots.push({ id: 'torch-node-scope', proc: c, variant: 'scope' });
    } else slots.push({ id: c.id as ContenderId, proc: c });
  }

  // samples[workload][contender][round] = µs per op
  const samples: Record<string, Record<string, (number | undefined)[]>> = {};
  const checks: Record<string, Record<string, number>> = {};
  const failures: string[] = [];
  const measureOnce = async (slot: (typeof slots)[number], w: Workload, iters: number, round: number) => {
    const warmup = Math.max(1, Math.round(iters / 10));
    const line = `${w.name} ${iters} ${warmup}${slot.variant ? ` ${slot.variant}` : ''}`;
    const r: Reply = await slot.proc.request(line, 120_000);
    if (r.error || typeof r.usPerOp !== 'number') {
      failures.push(`${slot.id} ${w.name}: ${r.error ?? JSON.stringify(r)}`);
      return;
    }
    if (r.liveAfter) failures.push(`${slot.id} ${w.name}: ${r.liveAfter} tensors left alive`);
    if (typeof r.check === 'number') (checks[w.name] ??= {})[slot.id] = r.check;
    if (round >= 0) ((samples[w.name] ??= {})[slot.id] ??= [])[round] = r.usPerOp;
  };

  // One short round to warm every process (JIT tiers, allocator, page faults), then the rounds.
  process.stdout.write('[op] warm-up round ... ');
  for (const w of WORKLOADS) for (const s of slots) await measureOnce(s, w, Math.round(w.iters * scale * 0.2), -1);
  console.log('done');
  for (let r = 0; r < rounds; r++) {
    process.stdout.write(`[op] round ${r + 1}/${rounds}:`);
    for (const [wi, w] of WORKLOADS.entries()) {
      for (const s of rotate(slots, r + wi)) await measureOnce(s, w, Math.round(w.iters * scale), r);
      process.stdout.write(` ${w.name}`);
    }
    console.log('');
  }
  for (const c of live) c.stop();
  if (failures.length) console.log(`failures:\n  ${failures.join('\n  ')}`);

  const rows = WORKLOADS.map((w) => {
    const per = samples[w.name] ?? {};
    const tn = summarize(per['torch-node']);
    const py = summarize(per.python);
    const cc = summarize(per.cpp);
    const vsPython = pairedRatio(per['torch-node'], per.python);
    const vsCpp = pairedRatio(per['torch-node'], per.cpp);
    const checkValues = Object.values(checks[w.name] ?? {});
    const sameInputs =
      checkValues.length < 2 ||
      checkValues.every((v) => Math.abs(v - (checkValues[0] as number)) <= 1e-5 * Math.max(1, Math.abs(v)));
    return {
      workload: w.name,
      label: w.label,
      iters: Math.round(w.iters * scale),
      usPerOp: { 'torch-node': tn, 'torch-node-scope': summarize(per['torch-node-scope']), python: py, cpp: cc },
      ratios: {
        torchNodeOverPython: vsPython,
        torchNodeOverCpp: vsCpp,
        scopeOverPython: pairedRatio(per['torch-node-scope'], per.python),
        scopeOverCpp: pairedRatio(per['torch-node-scope'], per.cpp),
        // The best round of each: the least disturbed by other load on the host.
        bestTorchNodeOverPython: tn && py ? tn.min / py.min : null,
        bestTorchNodeOverCpp: tn && cc ? tn.min / cc.min : null,
      },
      targets: {
        vsPython: vsPython == null ? null : vsPython <= TARGET_VS_PYTHON,
        vsCpp: vsCpp == null ? null : vsCpp <= TARGET_VS_CPP,
      },
      checks: checks[w.name] ?? {},
      sameInputs,
    };
  });
  info.loadavg1End = load1();
  return {
    date: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
    ...info,
    targets: { torchNodeOverPythonAtMost: TARGET_VS_PYTHON, torchNodeOverCppAtMost: TARGET_VS_CPP },
    skipped,
    failures,
    results: rows,
  };
}

type Row = {
  workload: string;
  label: string;
  iters: number;
  usPerOp: Record<ContenderId, Summary | null>;
  ratios: Record<string, number | null>;
  targets: { vsPython: boolean | null; vsCpp: boolean | null };
  sameInputs: boolean;
};

export function opMarkdown(result: Record<string, unknown>): string {
  const rows = result.results as Row[];
  const tn = result['torch-node'] as Reply | undefined;
  const py = result.python as Reply | undefined;
  const cc = result.cpp as Reply | undefined;
  const skipped = (result.skipped ?? {}) as Record<string, string>;
  // Results of the format before the suites kept the end's load average in `machine`.
  const m = (result.machine ?? {}) as Record<string, unknown>;
  const loadEnd = result.loadavg1End ?? m.loadavg1End;
  const out: string[] = [];
  out.push('## 1. Per-op overhead: torch-node vs Python torch vs plain C++', '');
  out.push(
    `- Date: ${result.date}; ${result.rounds} rounds x each contender, alternating; 1 intra-op thread; 1-minute load average ${m.loadavg1} at the start, ${loadEnd} at the end`,
  );
  out.push(`- libtorch ${tn?.libtorch ?? '?'} in torch-node (Node ${tn?.node ?? '?'})`);
  out.push(py ? `- Python ${py.python}, torch ${py.torch}` : '- Python torch: skipped');
  out.push(cc ? `- Plain C++: libtorch ${cc.libtorch}, compiler ${cc.compiler}, -O2` : '- Plain C++: skipped');
  for (const [id, why] of Object.entries(skipped)) out.push(`- **Skipped ${id}**: ${why}`);
  out.push('');
  out.push(
    'Median µs per op (per iteration for `linear`); lower is better. Ratios are the median over the rounds of the',
    "ratio within each round (the contenders of a round ran seconds apart), so they need not equal the medians' ratio.",
    '',
  );
  out.push(
    `| workload | iters | ${CONTENDER_LABEL['torch-node']} | ${CONTENDER_LABEL['torch-node-scope']} | ${CONTENDER_LABEL.python} | ${CONTENDER_LABEL.cpp} | torch-node / Python | torch-node / C++ | scope / Python | scope / C++ |`,
  );
  out.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of rows) {
    const u = r.usPerOp;
    out.push(
      `| ${r.label} | ${r.iters} | ${fmt(u['torch-node']?.median)} | ${fmt(u['torch-node-scope']?.median)} | ${fmt(u.python?.median)} | ${fmt(u.cpp?.median)} | ${fmt(r.ratios.torchNodeOverPython, 3)} | ${fmt(r.ratios.torchNodeOverCpp, 3)} | ${fmt(r.ratios.scopeOverPython, 3)} | ${fmt(r.ratios.scopeOverCpp, 3)} |`,
    );
  }
  out.push('');
  out.push(
    `Targets (torch-node with dispose): at most ${TARGET_VS_PYTHON}x Python's time, within ${TARGET_VS_CPP}x plain C++.`,
    '',
  );
  out.push(`| workload | ≤ ${TARGET_VS_PYTHON}x Python | ≤ ${TARGET_VS_CPP}x C++ |`, '|---|---|---|');
  for (const r of rows) out.push(`| ${r.workload} | ${verdict(r.targets.vsPython)} | ${verdict(r.targets.vsCpp)} |`);
  out.push('');
  out.push(
    'Spread over the rounds (min–max µs), and the ratios of the best rounds (the least disturbed by other load):',
    '',
  );
  out.push(
    '| workload | torch-node | scope | Python | C++ | best torch-node / best Python | best torch-node / best C++ |',
    '|---|--:|--:|--:|--:|--:|--:|',
  );
  const range = (s: Summary | null) => (s ? `${fmt(s.min)}–${fmt(s.max)}` : '–');
  for (const r of rows) {
    const u = r.usPerOp;
    out.push(
      `| ${r.workload} | ${range(u['torch-node'])} | ${range(u['torch-node-scope'])} | ${range(u.python)} | ${range(u.cpp)} | ${fmt(r.ratios.bestTorchNodeOverPython, 3)} | ${fmt(r.ratios.bestTorchNodeOverCpp, 3)} |`,
    );
  }
  const mismatched = rows.filter((r) => !r.sameInputs).map((r) => r.workload);
  out.push('');
  out.push(
    mismatched.length
      ? `**Warning**: the contenders' check values differ for ${mismatched.join(', ')}: they did not compute on the same inputs.`
      : 'All contenders computed the same check values (same seeded inputs).',
  );
  const failures = (result.failures ?? []) as string[];
  if (failures.length) out.push('', `**Failures**: ${failures.join('; ')}`);
  out.push('');
  return out.join('\n');
}
