// What the benchmark suites share: the contender processes and their line protocol, starting a
// suite's contenders and alternating them over the rounds, the build of the C++ contenders, the
// machine description and the layout of a suite's result. The statistics are in stats.ts, the
// Markdown in report.ts.
//
// A contender is a long-lived child process that prints one JSON "hello" line when it is ready,
// then answers each request line on its stdin with one JSON line on its stdout.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
export const root = join(here, '..', '..');
export const benchDir = join(root, 'bench');

// ---- contender processes

export interface Reply {
  error?: string;
  [key: string]: unknown;
}

/** A child that answers each request line with one JSON line. */
export class Contender {
  private readonly lines: string[] = [];
  private waiter: ((line: string | null) => void) | null = null;
  private exited = false;
  private stderr = '';

  constructor(
    readonly id: string,
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

  /** `env`: variables set for this child on top of this process's environment. */
  static start(id: string, command: string, args: string[], env?: Record<string, string>): Contender {
    const child = spawn(command, args, {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: env ? { ...process.env, ...env } : process.env,
    });
    return new Contender(id, child);
  }

  private died(): Reply {
    return { error: `exited: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  }

  /** The next JSON line, or an error reply when the child died or stayed silent. */
  next(timeoutMs: number): Promise<Reply> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(parse(line));
    if (this.exited) return Promise.resolve(this.died());
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
        resolve(l === null ? this.died() : parse(l));
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

/** How to start one contender, or why it cannot run here. */
export type Launch =
  | { id: string; command: string; args: string[]; env?: Record<string, string> }
  | { id: string; skip: string };

/** The Python that runs the Python contenders, or why there is none. */
export function python(): { ok: true; command: string } | { ok: false; reason: string } {
  const command = process.env.TORCH_NODE_PYTHON ?? 'python3';
  const probe = spawnSync(command, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status === 0) return { ok: true, command };
  const why = (probe.stderr || String(probe.error)).trim().split('\n').pop();
  return { ok: false, reason: `Python torch is not importable with '${command}' (${why}); set TORCH_NODE_PYTHON` };
}

/**
 * Starts the contenders and waits for their hello lines. Returns those that started, their hello
 * replies (by id) and, by id, why the others are skipped.
 */
export async function startContenders(
  launches: Launch[],
): Promise<{ live: Contender[]; hello: Record<string, Reply>; skipped: Record<string, string> }> {
  const skipped: Record<string, string> = {};
  const started: Contender[] = [];
  for (const l of launches) {
    if ('skip' in l) skipped[l.id] = l.skip;
    else started.push(Contender.start(l.id, l.command, l.args, l.env));
  }
  const live: Contender[] = [];
  const hello: Record<string, Reply> = {};
  for (const c of started) {
    const h = await c.next(120_000);
    if (h.error || !h.hello) {
      skipped[c.id] = `did not start: ${h.error ?? JSON.stringify(h)}`;
      c.stop();
      continue;
    }
    hello[c.id] = h;
    live.push(c);
  }
  for (const [id, why] of Object.entries(skipped)) console.log(`skipping ${id}: ${why}`);
  return { live, hello, skipped };
}

/** A suite's contenders: dist/bench/<node>, bench/python/<python> and bench/cpp/<cpp.name>.cpp. */
export interface SuiteScripts {
  node: string;
  python: string;
  cpp?: { name: string; torchApi?: boolean };
}

/**
 * Builds (if it has one) and starts a suite's contenders, and records the C++ build and their
 * hello replies in `info` (by id). Throws when torch-node itself cannot run: every comparison is
 * against it.
 */
export async function startSuite(
  scripts: SuiteScripts,
  info: Record<string, unknown>,
): Promise<{ live: Contender[]; hello: Record<string, Reply>; skipped: Record<string, string> }> {
  const nodeScript = join(here, scripts.node);
  const py = python();
  const launches: Launch[] = [
    existsSync(nodeScript)
      ? { id: 'torch-node', command: process.execPath, args: [nodeScript, '--serve'] }
      : { id: 'torch-node', skip: `${relative(root, nodeScript)} is missing: run \`npx tsc -p .\` first` },
    py.ok
      ? { id: 'python', command: py.command, args: [join(benchDir, 'python', scripts.python), '--serve'] }
      : { id: 'python', skip: py.reason },
  ];
  if (scripts.cpp) {
    const cpp = buildCpp(scripts.cpp.name, { torchApi: scripts.cpp.torchApi });
    if (cpp.ok) info.cppBuild = cpp.note;
    launches.push(cpp.ok ? { id: 'cpp', command: cpp.binary, args: ['--serve'] } : { id: 'cpp', skip: cpp.reason });
  }
  const started = await startContenders(launches);
  for (const c of started.live) info[c.id] = started.hello[c.id];
  if (!started.live.some((c) => c.id === 'torch-node')) {
    for (const c of started.live) c.stop();
    throw new Error('torch-node itself cannot run; nothing to compare');
  }
  return started;
}

/**
 * Runs a suite's measurements: with `warmup`, a round over every item and contender to warm the
 * processes (JIT tiers, allocator, page faults), measured as round -1, then `rounds` rounds in
 * which the contenders' order rotates with the round and the item.
 */
export async function alternate<C, T>(
  o: {
    tag: string;
    rounds: number;
    contenders: C[];
    items: T[];
    /** Printed after each item of a round; none: the measurement prints its own progress. */
    label?: (item: T) => string;
    warmup?: boolean;
  },
  measure: (c: C, item: T, round: number) => Promise<void>,
): Promise<void> {
  if (o.warmup) {
    process.stdout.write(`[${o.tag}] warm-up round ... `);
    for (const item of o.items) for (const c of o.contenders) await measure(c, item, -1);
    console.log('done');
  }
  for (let r = 0; r < o.rounds; r++) {
    process.stdout.write(`[${o.tag}] round ${r + 1}/${o.rounds}:`);
    for (const [i, item] of o.items.entries()) {
      for (const c of rotate(o.contenders, r + i)) await measure(c, item, r);
      if (o.label) process.stdout.write(` ${o.label(item)}`);
    }
    console.log('');
  }
}

/** Ends the contenders and prints what failed during the rounds. */
export function finish(live: Contender[], failures: string[]): void {
  for (const c of live) c.stop();
  if (failures.length) console.log(`failures:\n  ${failures.join('\n  ')}`);
}

/** The contenders in a different order each round, so that none always runs first or last. */
export function rotate<T>(xs: T[], by: number): T[] {
  if (xs.length === 0) return xs;
  const shift = by % xs.length;
  return [...xs.slice(shift), ...xs.slice(0, shift)];
}

// ---- the C++ contenders' build

function libtorchRoot(): { dir: string; source: string } {
  if (process.env.LIBTORCH) return { dir: process.env.LIBTORCH, source: 'LIBTORCH' };
  const recorded = join(root, 'build', 'libtorch.json');
  if (existsSync(recorded)) {
    const dir = (JSON.parse(readFileSync(recorded, 'utf8')) as { root?: string }).root;
    if (dir) return { dir, source: 'build/libtorch.json (the addon build)' };
  }
  return { dir: join(root, 'libtorch'), source: 'the package libtorch/ folder' };
}

export type CppBuild = { ok: true; binary: string; note: string } | { ok: false; reason: string };

/**
 * Compiles bench/cpp/<name>.cpp into build/bench/<name>_cpp unless an up-to-date binary is there.
 * `torchApi`: the program includes torch/torch.h (libtorch's C++ frontend), not only ATen.
 * `linkCuda`: libtorch_cuda is linked even though the program calls nothing in it (build/bench/
 * <name>_cuda_cpp), as CMake's find_package(Torch) does for a CUDA libtorch, so that CUDA is
 * registered in the process as it is in torch-node's CUDA addon; an error where there is none.
 */
export function buildCpp(name: string, options?: { torchApi?: boolean; linkCuda?: boolean }): CppBuild {
  const { dir, source } = libtorchRoot();
  if (!existsSync(join(dir, 'include', 'ATen', 'ATen.h')) || !existsSync(join(dir, 'lib', 'libtorch_cpu.so'))) {
    return { ok: false, reason: `no libtorch at ${dir} (from ${source}); set LIBTORCH` };
  }
  const cxx = process.env.CXX ?? 'g++';
  const version = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) return { ok: false, reason: `no C++ compiler: '${cxx} --version' failed (set CXX)` };
  const src = join(benchDir, 'cpp', `${name}.cpp`);
  const outDir = join(root, 'build', 'bench');
  const flavour = options?.linkCuda ? `${name}_cuda` : name;
  const binary = join(outDir, `${flavour}_cpp`);
  const lib = join(dir, 'lib');
  if (options?.linkCuda && !existsSync(join(lib, 'libtorch_cuda.so')))
    return { ok: false, reason: `the libtorch at ${dir} (from ${source}) has no libtorch_cuda.so` };
  const args = [
    src,
    '-o',
    binary,
    `-I${join(dir, 'include')}`,
    ...(options?.torchApi ? [`-I${join(dir, 'include', 'torch', 'csrc', 'api', 'include')}`] : []),
    `-L${lib}`,
    '-ltorch',
    '-ltorch_cpu',
    '-lc10',
    // The linker drops a library nothing refers to (--as-needed is the default on Debian/Ubuntu).
    ...(options?.linkCuda ? ['-Wl,--no-as-needed', '-ltorch_cuda', '-Wl,--as-needed'] : []),
    `-Wl,-rpath,${lib}`,
    '-std=c++20',
    '-O2',
  ];
  const compilerId = version.stdout.split('\n')[0] ?? cxx;
  const key = createHash('sha256')
    .update(readFileSync(src))
    .update(JSON.stringify([cxx, compilerId, args]))
    .digest('hex');
  const stamp = join(outDir, `${flavour}_cpp.stamp`);
  if (existsSync(binary) && existsSync(stamp) && readFileSync(stamp, 'utf8') === key) {
    return { ok: true, binary, note: `cached ${relative(root, binary)} (${compilerId}, libtorch ${dir})` };
  }
  mkdirSync(outDir, { recursive: true });
  process.stdout.write(`compiling bench/cpp/${name}.cpp with ${compilerId} against ${dir} ... `);
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

export function machine(): Record<string, string | number> {
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

export const load1 = (): number => Number(loadavg()[0]?.toFixed(2));

/**
 * A suite's result in the key order of bench/results/latest.json: when it ran and for how long,
 * `info` (the settings, the machine, the contenders' hellos), the load at its end, then `rest`.
 */
export function suiteResult(started: number, info: Record<string, unknown>, rest: Record<string, unknown>) {
  return {
    date: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
    ...info,
    loadavg1End: load1(),
    ...rest,
  };
}

/** What every suite gives the runner: its JSON result and how to print it. */
export interface SuiteOptions {
  /** Rounds (repetitions of every measurement); undefined: the suite's default. */
  rounds: number | undefined;
  /** Work per measurement, as a factor of the suite's default. */
  scale: number;
}
