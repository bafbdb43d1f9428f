// The benchmarks: torch-node against Python torch (and plain C++ over the same libtorch where
// that makes sense), on the same inputs, in four suites:
//
//   op     1. per-op overhead (add, linear forward + backward), 1 thread          (suite_op.ts)
//   train  2. training step of an MLP, LeNet-5 and a small ResNet, 2 and 1 threads (suite_train.ts)
//   data   3. DataLoader throughput with 0 and 2 workers, crop + flip            (suite_data.ts)
//   epoch  4. one epoch of Fashion-MNIST with the Runner vs a Python loop          (suite_epoch.ts)
//
//   npm run bench [-- --only op,train,data,epoch --rounds N --scale X --quick]
//
// Each contender is a long-lived child process that answers one measurement per request as a
// JSON line. A suite alternates its contenders (their order rotates from round to round, so that
// none always runs first or last), repeats every measurement for several rounds, and reports
// medians and the medians of the per-round ratios: host speed drifts for minutes at a time on
// shared machines, and alternating within a round is what makes the ratios comparable.
//
// Results go to bench/results/latest.json (one entry per suite, each with its date and machine)
// and bench/results/latest.md. A run of some suites (--only) replaces their entries and keeps
// the others' from earlier runs.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir, machine, type SuiteOptions } from './common.js';
import { dataMarkdown, runData } from './suite_data.js';
import { epochMarkdown, runEpoch } from './suite_epoch.js';
import { opMarkdown, runOp } from './suite_op.js';
import { runTrain, trainMarkdown } from './suite_train.js';

type Result = Record<string, unknown>;

const SUITES: Record<string, { run: (o: SuiteOptions) => Promise<Result>; markdown: (r: Result) => string }> = {
  op: { run: runOp, markdown: opMarkdown },
  train: { run: runTrain, markdown: trainMarkdown },
  data: { run: runData, markdown: dataMarkdown },
  epoch: { run: runEpoch, markdown: epochMarkdown },
};
const NAMES = Object.keys(SUITES);

const HELP = `usage: npm run bench [-- options]
  --only LIST   suites to run, comma-separated: ${NAMES.join(',')} (default: all)
  --rounds N    rounds of every measurement (default: per suite, op 7, train 5, data 5, epoch 3)
  --scale X     work per measurement as a factor of the default (default 1)
  --quick       --rounds 2 --scale 0.25 (a smoke test: the numbers mean little)`;

function parseArgs(argv: string[]): { only: string[]; options: SuiteOptions } {
  let only = NAMES;
  let rounds: number | undefined;
  let scale = 1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only') {
      only = String(argv[++i] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = only.filter((s) => !NAMES.includes(s));
      if (unknown.length || only.length === 0)
        throw new Error(`--only takes a comma-separated list of ${NAMES.join(', ')}; got '${argv[i] ?? ''}'`);
    } else if (a === '--rounds') rounds = Number(argv[++i]);
    else if (a === '--scale') scale = Number(argv[++i]);
    else if (a === '--quick') {
      rounds = 2;
      scale = 0.25;
    } else if (a === '--help' || a === '-h') {
      console.log(HELP);
      process.exit(0);
    } else throw new Error(`unknown argument '${a}'\n${HELP}`);
  }
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1))
    throw new Error('--rounds must be a positive integer');
  if (!(scale > 0)) throw new Error('--scale must be positive');
  return { only: NAMES.filter((n) => only.includes(n)), options: { rounds, scale } };
}

/** The suites' results of earlier runs (the format before suites held the per-op results alone). */
function previous(path: string): Record<string, Result> {
  if (!existsSync(path)) return {};
  try {
    const old = JSON.parse(readFileSync(path, 'utf8')) as Result;
    if (old.suites && typeof old.suites === 'object') return old.suites as Record<string, Result>;
    if (Array.isArray(old.results)) return { op: old };
  } catch {
    // unreadable: start afresh
  }
  return {};
}

function markdown(suites: Record<string, Result>): string {
  const m = machine();
  const out: string[] = [
    '# torch-node benchmarks: torch-node vs Python torch vs plain C++',
    '',
    `- CPU: ${m.cpu}; ${m.cores} cores; Node ${m.node} (${m.platform}). Other processes on the host disturb the`,
    '  timings: each section gives its date and the load average while it ran.',
    '- `npm run bench` runs every section; `npm run bench -- --only train` (or `op`, `data`, `epoch`, comma-separated)',
    '  reruns some and keeps the others.',
    '',
  ];
  for (const name of NAMES) {
    const r = suites[name];
    if (r) out.push(SUITES[name]?.markdown(r) ?? '');
    else out.push(`## ${name}: not run yet (\`npm run bench -- --only ${name}\`)`, '');
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const { only, options } = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const outDir = join(benchDir, 'results');
  const jsonPath = join(outDir, 'latest.json');
  const suites = previous(jsonPath);
  const failed: string[] = [];
  for (const name of only) {
    const suite = SUITES[name];
    if (!suite) continue;
    console.log(`\n== ${name}`);
    try {
      suites[name] = await suite.run(options);
    } catch (e) {
      failed.push(name);
      console.error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const md = markdown(suites);
  mkdirSync(outDir, { recursive: true });
  const ordered = Object.fromEntries(NAMES.filter((n) => suites[n]).map((n) => [n, suites[n]]));
  writeFileSync(jsonPath, `${JSON.stringify({ updated: new Date().toISOString(), suites: ordered }, null, 2)}\n`);
  writeFileSync(join(outDir, 'latest.md'), md);
  console.log(`\n${md}`);
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `wrote bench/results/latest.json and bench/results/latest.md (${only.join(', ')}: ${seconds.toFixed(0)} s)`,
  );
  if (failed.length) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
