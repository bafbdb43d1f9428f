// A/B runs of the training step: variants of the contenders of bench/suite_train.ts (an
// environment variable set, torch-node's raw loop instead of trainStep, C++ with libtorch_cuda
// linked) measured in alternation in one run, to find where a difference between torch-node and
// plain C++ comes from. A tool for investigations, not a suite of `npm run bench`.
//
//   node dist/bench/ab_train.js [--model mlp] [--threads 1] [--rounds 8] [--scale 1] VARIANT...
//
// VARIANT is NAME=KIND[:VAR=VALUE[,VAR=VALUE...]], KIND one of
//   node      torch-node's trainStep (bench/torch_node_train.ts)
//   node-raw  torch-node's plain loop, without the engine (TORCH_NODE_BENCH_LOOP=raw)
//   cpp       plain C++ (bench/cpp/train.cpp)
//   cpp-cuda  the same with libtorch_cuda linked, as a CMake build against a CUDA libtorch has it
//   python    the Python loop (bench/python/train.py)
// e.g. `tn=node tn-nogpu=node:CUDA_VISIBLE_DEVICES= c=cpp cc=cpp-cuda`. The first variant is the
// reference of the ratios. Prints, per variant, the median ms per step over the rounds, its
// spread, the median of the per-round ratios to the reference, and CPU time (with its ratio) and
// minor page faults per step (whole process). Each round prints wall/CPU ms per step.
// On a shared host, many short rounds (`--scale 0.1 --rounds 60`: 60 MLP steps, ~50 ms, per
// measurement) pair the contenders more closely in time than a few long ones, and their median
// ratio moves less from run to run (MLP at 1 thread here: 1.03-1.04 in three such runs, against
// 1.02-1.09 for the 5 rounds of `npm run bench`).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildCpp, Contender, here, python, rotate } from './common.js';
import { pairedRatio, summarize } from './stats.js';

const ITERS: Record<string, number> = { mlp: 600, lenet: 80, resnet: 8 };

interface Variant {
  name: string;
  kind: string;
  env: Record<string, string>;
}

function parseVariant(spec: string): Variant {
  const m = /^([\w.-]+)=([\w-]+)(?::(.*))?$/.exec(spec);
  if (!m) throw new Error(`a variant is NAME=KIND[:VAR=VALUE,...]; got '${spec}'`);
  const env: Record<string, string> = {};
  for (const kv of (m[3] ?? '').split(',').filter(Boolean)) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`variant '${m[1]}': '${kv}' is not VAR=VALUE`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { name: m[1] as string, kind: m[2] as string, env };
}

function launch(v: Variant): Contender {
  switch (v.kind) {
    case 'node':
    case 'node-raw': {
      const script = join(here, 'torch_node_train.js');
      if (!existsSync(script)) throw new Error('dist/bench/torch_node_train.js is missing: run `npx tsc -p .` first');
      const env = v.kind === 'node-raw' ? { ...v.env, TORCH_NODE_BENCH_LOOP: 'raw' } : v.env;
      return Contender.start(v.name, process.execPath, [script, '--serve'], env);
    }
    case 'cpp':
    case 'cpp-cuda': {
      const cpp = buildCpp('train', { torchApi: true, linkCuda: v.kind === 'cpp-cuda' });
      if (!cpp.ok) throw new Error(`variant '${v.name}': ${cpp.reason}`);
      return Contender.start(v.name, cpp.binary, ['--serve'], v.env);
    }
    case 'python': {
      const py = python();
      if (!py.ok) throw new Error(`variant '${v.name}': ${py.reason}`);
      return Contender.start(
        v.name,
        py.command,
        [join(here, '..', '..', 'bench', 'python', 'train.py'), '--serve'],
        v.env,
      );
    }
    default:
      throw new Error(`variant '${v.name}': unknown kind '${v.kind}' (node, node-raw, cpp, cpp-cuda, python)`);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let model = 'mlp';
  let threads = 1;
  let rounds = 8;
  let scale = 1;
  const variants: Variant[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--model') model = String(args[++i]);
    else if (a === '--threads') threads = Number(args[++i]);
    else if (a === '--rounds') rounds = Number(args[++i]);
    else if (a === '--scale') scale = Number(args[++i]);
    else variants.push(parseVariant(a));
  }
  const planned = ITERS[model];
  if (planned === undefined) throw new Error(`--model is one of ${Object.keys(ITERS).join(', ')}`);
  if (variants.length === 0) throw new Error('name at least one variant, e.g. tn=node c=cpp');
  const iters = Math.max(2, Math.round(planned * scale));

  if (new Set(variants.map((v) => v.name)).size !== variants.length) throw new Error('variant names must differ');
  // Every contender started is stopped, whatever fails: a live child would keep this process up.
  const live: Contender[] = [];
  try {
    for (const v of variants) live.push(launch(v));
    await measureAll(live, variants, model, threads, rounds, iters, planned);
  } finally {
    for (const c of live) c.stop();
  }
}

async function measureAll(
  live: Contender[],
  variants: Variant[],
  model: string,
  threads: number,
  rounds: number,
  iters: number,
  planned: number,
): Promise<void> {
  for (const c of live) {
    const h = await c.next(120_000);
    if (h.error || !h.hello) throw new Error(`${c.id} did not start: ${h.error ?? JSON.stringify(h)}`);
  }
  const ms: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  const faults: Record<string, number[]> = {};
  const request = (n: number) => `${model} ${n} ${Math.max(2, Math.round(n / 10))} ${threads}`;
  // A warm-up measurement per variant of three rounds' steps at scale 1 at least (V8's tiers
  // take ~1,500 MLP steps; the allocators settle).
  for (const c of live) await c.request(request(Math.max(3 * iters, 3 * planned)), 600_000);
  for (let r = 0; r < rounds; r++) {
    process.stdout.write(`round ${r + 1}/${rounds}`);
    for (const c of rotate(live, r)) {
      const reply = await c.request(request(iters), 600_000);
      if (reply.error || typeof reply.msPerStep !== 'number')
        throw new Error(`${c.id}: ${reply.error ?? 'no msPerStep'}`);
      if (reply.threads !== threads) throw new Error(`${c.id} ran ${reply.threads} threads`);
      (ms[c.id] ??= [])[r] = reply.msPerStep;
      (cpu[c.id] ??= [])[r] = reply.cpuMsPerStep as number;
      (faults[c.id] ??= [])[r] = reply.minorFaultsPerStep as number;
      process.stdout.write(` ${c.id} ${reply.msPerStep.toFixed(3)}/${(reply.cpuMsPerStep as number).toFixed(3)}`);
    }
    console.log('');
  }

  const ref = variants[0]?.name as string;
  console.log(`\n${model}, ${threads} thread(s), ${iters} steps x ${rounds} rounds; ratios to '${ref}'`);
  console.log(
    '| variant | kind | env | ms/step median | min–max | / ref | CPU ms/step | CPU / ref | minor faults/step |',
  );
  console.log('|---|---|---|--:|--:|--:|--:|--:|--:|');
  for (const v of variants) {
    const s = summarize(ms[v.name]);
    const c = summarize(cpu[v.name]);
    const f = summarize(faults[v.name]);
    const env = Object.entries(v.env)
      .map(([k, x]) => `${k}=${x}`)
      .join(' ');
    const ratio = pairedRatio(ms[v.name], ms[ref]);
    const cpuRatio = pairedRatio(cpu[v.name], cpu[ref]);
    console.log(
      `| ${v.name} | ${v.kind} | ${env} | ${s?.median.toFixed(4)} | ${s?.min.toFixed(3)}–${s?.max.toFixed(3)} | ` +
        `${ratio?.toFixed(3)} | ${c?.median.toFixed(4)} | ${cpuRatio?.toFixed(3)} | ${f?.median.toFixed(2)} |`,
    );
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
