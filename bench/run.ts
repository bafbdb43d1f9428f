// The per-op overhead benchmark: torch-node against Python torch and plain C++ over the same
// libtorch, on the same inputs, at one intra-op thread.
//
//   npm run bench [-- --rounds N --scale X --quick]
//
// Each contender is a long-lived child process (bench/torch_node.ts, bench/python/bench.py,
// bench/cpp/bench.cpp) that answers one measurement per request as a JSON line. The runner
// alternates the contenders (their order rotates from round to round, so that none always runs
// first or last), repeats every workload for several rounds, and reports the median time per op
// of each contender and the ratios torch-node/Python and torch-node/C++. Host speed drifts for
// minutes at a time on shared machines: alternating within a round is what makes the ratios
// comparable. Writes bench/results/latest.json and bench/results/latest.md.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
const root = join(here, '..', '..');
const benchDir = join(root, 'bench');

// ---- settings

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

function parseArgs(argv: string[]): { rounds: number; scale: number } {
  let rounds = 7;
  let scale = 1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') rounds = Number(argv[++i]);
    else if (a === '--scale') scale = Number(argv[++i]);
    else if (a === '--quick') {
      rounds = 2;
      scale = 0.25;
    } else if (a === '--help' || a === '-h') {
      console.log('usage: npm run bench [-- --rounds N (7) --scale X (1: iterations per measurement x X) --quick]');
      process.exit(0);
    } else throw new Error(`unknown argument '${a}'`);
  }
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error('--rounds must be a positive integer');
  if (!(scale > 0)) throw new Error('--scale must be positive');
  return { rounds, scale };
}

// ---- contender processes

interface Reply {
  error?: string;
  usPerOp?: number;
  check?: number;
  threads?: number;
  liveAfter?: number;
  [key: string]: unknown;
}

/** A child that answers each request line with one JSON line. */
class Contender {
  private readonly lines: string[] = [];
  private waiter: ((line: string | null) => void) | null = null;
  private exited = false;
  private stderr = '';

  constructor(
    readonly id: 'torch-node' | 'python' | 'cpp',
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(line);
      } else this.lines.push(line);
    });
    child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    const onEnd = () => {
      this.exited = true;
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(null);
      }
    };
    child.on('exit', onEnd);
    child.on('error', (e) => {
      this.stderr += String(e);
      onEnd();
    });
  }

  static start(id: 'torch-node' | 'python' | 'cpp', command: string, args: string[]): Contender {
    const child = spawn(command, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    return new Contender(id, child);
  }

  /** The next JSON line, or an error reply when the child died or stayed silent. */
  next(timeoutMs: number): Promise<Reply> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(parse(line));
    if (this.exited)
      return Promise.resolve({ error: `exited: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}` });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // A late answer would be taken for the next request's: give up on this contender.
        this.waiter = null;
        this.exited = true;
        this.child.kill();
        resolve({ error: `no answer in ${timeoutMs / 1000} s` });
      }, timeoutMs);
      this.waiter = (l) => {
        clearTimeout(timer);
        resolve(l === null ? { error: `exited: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}` } : parse(l));
      };
    });
  }

  request(line: string, timeoutMs: number): Promise<Reply> {
    if (this.exited) return this.next(0);
    this.child.stdin.write(`${line}\n`);
    return this.next(timeoutMs);
  }

  stop(): void {
    if (!this.exited) this.child.stdin.end();
  }
}

function parse(line: string): Reply {
  try {
    return JSON.parse(line) as Reply;
  } catch {
    return { error: `not JSON: ${line.slice(0, 200)}` };
  }
}

// ---- the C++ contender's build

function libtorchRoot(): { dir: string; source: string } {
  if (process.env.LIBTORCH) return { dir: process.env.LIBTORCH, source: 'LIBTORCH' };
  const recorded = join(root, 'build', 'libtorch.json');
  if (existsSync(recorded)) {
    const dir = (JSON.parse(readFileSync(recorded, 'utf8')) as { root?: string }).root;
    if (dir) return { dir, source: 'build/libtorch.json (the addon build)' };
  }
  return { dir: join(root, 'libtorch'), source: 'the package libtorch/ folder' };
}

/** Compiles bench/cpp/bench.cpp into build/bench/ unless an up-to-date binary is there. */
function buildCpp(): { ok: true; binary: string; note: string } | { ok: false; reason: string } {
  const { dir, source } = libtorchRoot();
  if (!existsSync(join(dir, 'include', 'ATen', 'ATen.h')) || !existsSync(join(dir, 'lib', 'libtorch_cpu.so'))) {
    return { ok: false, reason: `no libtorch at ${dir} (from ${source}); set LIBTORCH` };
  }
  const cxx = process.env.CXX ?? 'g++';
  const version = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) return { ok: false, reason: `no C++ compiler: '${cxx} --version' failed (set CXX)` };
  const src = join(benchDir, 'cpp', 'bench.cpp');
  const outDir = join(root, 'build', 'bench');
  const binary = join(outDir, 'bench_cpp');
  const lib = join(dir, 'lib');
  const args = [
    src,
    '-o',
    binary,
    `-I${join(dir, 'include')}`,
    `-L${lib}`,
    '-ltorch',
    '-ltorch_cpu',
    '-lc10',
    `-Wl,-rpath,${lib}`,
    '-std=c++20',
    '-O2',
  ];
  const compilerId = version.stdout.split('\n')[0] ?? cxx;
  const key = createHash('sha256')
    .update(readFileSync(src))
    .update(JSON.stringify([cxx, compilerId, args]))
    .digest('hex');
  const stamp = join(outDir, 'bench_cpp.stamp');
  if (existsSync(binary) && existsSync(stamp) && readFileSync(stamp, 'utf8') === key) {
    return { ok: true, binary, note: `cached ${relative(root, binary)} (${compilerId}, libtorch ${dir})` };
  }
  mkdirSync(outDir, { recursive: true });
  process.stdout.write(`compiling the C++ contender with ${compilerId} against ${dir} ... `);
  const t0 = Date.now();
  const r = spawnSync(cxx, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log('failed');
    const tail = (r.stderr || String(r.error)).trim().split('\n').slice(-5).join('\n  ');
    return { ok: false, reason: `compilation failed:\n  ${tail}` };
  }
  console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
  writeFileSync(stamp, key);
  return { ok: true, binary, note: `built ${relative(root, binary)} (${compilerId}, libtorch ${dir})` };
}

// ---- machine

function machine(): Record<string, string | number> {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) cpu = m[1].trim();
  } catch {
    // not Linux: os.cpus() is the fallback
  }
  return {
    cpu,
    cores: availableParallelism(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadavg1: Number(loadavg()[0]?.toFixed(2)),
  };
}

// ---- statistics

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

interface Summary {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

function summarize(perRound: (number | undefined)[]): Summary | null {
  const xs = perRound.filter((x): x is number => x !== undefined);
  if (xs.length === 0) return null;
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs };
}

const fmt = (x: number | null | undefined, digits = 3): string =>
  x == null ? '–' : x >= 100 ? x.toFixed(1) : x >= 10 ? x.toFixed(2) : x.toFixed(digits);
/**
 * The median over the rounds of a/b measured in the same round: the contenders of one round ran
 * seconds apart, so their ratio is immune to the host's slow drifts in speed.
 */
function pairedRatio(a: (number | undefined)[] | undefined, b: (number | undefined)[] | undefined): number | null {
  if (!a || !b) return null;
  const rs: number[] = [];
  for (let r = 0; r < a.length; r++) {
    const x = a[r];
    const y = b[r];
    if (x !== undefined && y !== undefined) rs.push(x / y);
  }
  return rs.length ? median(rs) : null;
}

// ---- main

async function main(): Promise<void> {
  const { rounds, scale } = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const skipped: Record<string, string> = {};
  const info: Record<string, unknown> = { machine: machine(), rounds, scale };

  // Contenders.
  const live: Contender[] = [];
  const nodeScript = join(here, 'torch_node.js');
  if (existsSync(nodeScript)) live.push(Contender.start('torch-node', process.execPath, [nodeScript, '--serve']));
  else skipped['torch-node'] = `${relative(root, nodeScript)} is missing: run \`npx tsc -p .\` first`;

  const python = process.env.TORCH_NODE_PYTHON ?? 'python3';
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status === 0)
    live.push(Contender.start('python', python, [join(benchDir, 'python', 'bench.py'), '--serve']));
  else {
    const why = (probe.stderr || String(probe.error)).trim().split('\n').pop();
    skipped.python = `Python torch is not importable with '${python}' (${why}); set TORCH_NODE_PYTHON`;
  }

  const cpp = buildCpp();
  if (cpp.ok) {
    info.cppBuild = cpp.note;
    live.push(Contender.start('cpp', cpp.binary, ['--serve']));
  } else skipped.cpp = cpp.reason;

  const contenders: Contender[] = [];
  for (const c of live) {
    const hello = await c.next(120_000);
    if (hello.error || !hello.hello) {
      skipped[c.id] = `did not start: ${hello.error ?? JSON.stringify(hello)}`;
      c.stop();
      continue;
    }
    if (hello.threads !== 1) console.warn(`warning: ${c.id} runs ${hello.threads} threads, not 1`);
    info[c.id] = hello;
    contenders.push(c);
  }
  for (const [id, why] of Object.entries(skipped)) console.log(`skipping ${id}: ${why}`);
  if (!contenders.some((c) => c.id === 'torch-node'))
    throw new Error('torch-node itself cannot run; nothing to compare');

  // The measurement slots: torch-node runs twice (dispose and scope), as two contenders.
  const slots: { id: ContenderId; proc: Contender; variant?: string }[] = [];
  for (const c of contenders) {
    if (c.id === 'torch-node') {
      slots.push({ id: 'torch-node', proc: c, variant: 'dispose' });
      slots.push({ id: 'torch-node-scope', proc: c, variant: 'scope' });
    } else slots.push({ id: c.id, proc: c });
  }

  // samples[workload][contender][round] = µs per op
  const samples: Record<string, Record<string, (number | undefined)[]>> = {};
  const checks: Record<string, Record<string, number>> = {};
  const failures: string[] = [];
  const measureOnce = async (slot: (typeof slots)[number], w: Workload, iters: number, round: number) => {
    const warmup = Math.max(1, Math.round(iters / 10));
    const line = `${w.name} ${iters} ${warmup}${slot.variant ? ` ${slot.variant}` : ''}`;
    const r = await slot.proc.request(line, 120_000);
    if (r.error || typeof r.usPerOp !== 'number') {
      failures.push(`${slot.id} ${w.name}: ${r.error ?? JSON.stringify(r)}`);
      return;
    }
    if (r.liveAfter) failures.push(`${slot.id} ${w.name}: ${r.liveAfter} tensors left alive`);
    if (typeof r.check === 'number') (checks[w.name] ??= {})[slot.id] = r.check;
    if (round >= 0) ((samples[w.name] ??= {})[slot.id] ??= [])[round] = r.usPerOp;
  };

  // One short round to warm every process (JIT tiers, allocator, page faults), then the rounds.
  process.stdout.write('warm-up round ... ');
  for (const w of WORKLOADS) for (const s of slots) await measureOnce(s, w, Math.round(w.iters * scale * 0.2), -1);
  console.log('done');
  for (let r = 0; r < rounds; r++) {
    process.stdout.write(`round ${r + 1}/${rounds}:`);
    for (const [wi, w] of WORKLOADS.entries()) {
      // Rotate the order so that each contender takes each position as often as the others.
      const shift = (r + wi) % slots.length;
      const order = [...slots.slice(shift), ...slots.slice(0, shift)];
      for (const s of order) await measureOnce(s, w, Math.round(w.iters * scale), r);
      process.stdout.write(` ${w.name}`);
    }
    console.log('');
  }
  for (const c of contenders) c.stop();
  if (failures.length) console.log(`failures:\n  ${failures.join('\n  ')}`);

  // Results.
  const rows = WORKLOADS.map((w) => {
    const per = samples[w.name] ?? {};
    const s = (id: ContenderId) => summarize(per[id] ?? []);
    const tn = s('torch-node');
    const sc = s('torch-node-scope');
    const py = s('python');
    const cc = s('cpp');
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
      usPerOp: { 'torch-node': tn, 'torch-node-scope': sc, python: py, cpp: cc },
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
  const seconds = (Date.now() - started) / 1000;
  (info.machine as Record<string, unknown>).loadavg1End = Number(loadavg()[0]?.toFixed(2));
  const result = {
    date: new Date().toISOString(),
    seconds,
    ...info,
    targets: { torchNodeOverPythonAtMost: TARGET_VS_PYTHON, torchNodeOverCppAtMost: TARGET_VS_CPP },
    skipped,
    failures,
    results: rows,
  };

  const md = markdown(result, rows);
  const outDir = join(benchDir, 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(outDir, 'latest.md'), md);
  console.log(`\n${md}`);
  console.log(`wrote bench/results/latest.json and bench/results/latest.md (${seconds.toFixed(0)} s)`);
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

function markdown(result: Record<string, unknown>, rows: Row[]): string {
  const m = result.machine as Record<string, string | number>;
  const tn = result['torch-node'] as Reply | undefined;
  const py = result.python as Reply | undefined;
  const cc = result.cpp as Reply | undefined;
  const skipped = result.skipped as Record<string, string>;
  const yes = (b: boolean | null) => (b == null ? '–' : b ? 'met' : '**not met**');
  const out: string[] = [];
  out.push('# Per-op overhead: torch-node vs Python torch vs plain C++', '');
  out.push(`- Date: ${result.date}; ${result.rounds} rounds x each contender, alternating; 1 intra-op thread`);
  out.push(
    `- CPU: ${m.cpu}; ${m.cores} cores; 1-minute load average ${m.loadavg1} at the start, ${m.loadavg1End} at the end (other processes on the host disturb the timings)`,
  );
  out.push(`- Node ${m.node} (${m.platform}); libtorch ${tn?.libtorch ?? '?'} in torch-node`);
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
  out.push('| workload | ≤ 0.75x Python | ≤ 1.6x C++ |', '|---|---|---|');
  for (const r of rows) out.push(`| ${r.workload} | ${yes(r.targets.vsPython)} | ${yes(r.targets.vsCpp)} |`);
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
  const failures = result.failures as string[];
  if (failures.length) out.push('', `**Failures**: ${failures.join('; ')}`);
  out.push('');
  return out.join('\n');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
