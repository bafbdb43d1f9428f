// Workload 1, per-op overhead: `add` on 1-element and 64x64 tensors and `linear` forward +
// backward, in torch-node (bench/torch_node.ts, with dispose() and with scopes), Python torch
// (bench/python/bench.py) and plain C++ (bench/cpp/bench.cpp), at one intra-op thread. The
// contenders alternate (their order rotates from round to round), every workload is repeated
// for several rounds, and the result is the median time per op of each contender and the ratios
// torch-node/Python and torch-node/C++.
import { alternate, finish, machine, type Reply, type SuiteOptions, startSuite, suiteResult } from './common.js';
import { closingLines, dateLine, fmt, skippedLines, spread, verdict, versionLines } from './report.js';
import { pairedRatio, type Summary, summarize } from './stats.js';

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

  const scripts = { node: 'torch_node.js', python: 'bench.py', cpp: { name: 'bench' } };
  const { live, hello, skipped } = await startSuite(scripts, info);
  for (const c of live)
    if (hello[c.id]?.threads !== 1) console.warn(`warning: ${c.id} runs ${hello[c.id]?.threads} threads, not 1`);

  // The measurement slots: torch-node runs twice (dispose and scope), as two contenders.
  const slots: { id: ContenderId; proc: (typeof live)[number]; variant?: string }[] = [];
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
  // Round -1, the warm-up, runs a fifth of the iterations.
  const measureOnce = async (slot: (typeof slots)[number], w: Workload, round: number) => {
    const iters = Math.round(w.iters * scale * (round < 0 ? 0.2 : 1));
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

  await alternate(
    { tag: 'op', rounds, contenders: slots, items: WORKLOADS, warmup: true, label: (w) => w.name },
    measureOnce,
  );
  finish(live, failures);

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
  return suiteResult(started, info, {
    targets: { torchNodeOverPythonAtMost: TARGET_VS_PYTHON, torchNodeOverCppAtMost: TARGET_VS_CPP },
    skipped,
    failures,
    results: rows,
  });
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
  const out: string[] = [];
  out.push('## 1. Per-op overhead: torch-node vs Python torch vs plain C++', '');
  out.push(dateLine(result, '; 1 intra-op thread'));
  out.push(`- libtorch ${tn?.libtorch ?? '?'} in torch-node (Node ${tn?.node ?? '?'})`);
  out.push(...versionLines(result), ...skippedLines(result));
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
  for (const r of rows) {
    const u = r.usPerOp;
    out.push(
      `| ${r.workload} | ${spread(u['torch-node'])} | ${spread(u['torch-node-scope'])} | ${spread(u.python)} | ${spread(u.cpp)} | ${fmt(r.ratios.bestTorchNodeOverPython, 3)} | ${fmt(r.ratios.bestTorchNodeOverCpp, 3)} |`,
    );
  }
  const mismatched = rows.filter((r) => !r.sameInputs).map((r) => r.workload);
  out.push('');
  out.push(
    mismatched.length
      ? `**Warning**: the contenders' check values differ for ${mismatched.join(', ')}: they did not compute on the same inputs.`
      : 'All contenders computed the same check values (same seeded inputs).',
  );
  out.push(...closingLines(result));
  return out.join('\n');
}
