// Workload 2, the training step: an MLP 784-256-10 (batch 64), LeNet-5 (batch 64 of 1x28x28)
// and a small ResNet (3 stages x 2 BasicBlocks, 16/32/64 channels, BatchNorm, batch 32 of
// 3x32x32), each step forward + cross-entropy + backward + SGD (momentum 0.9) step, at 2 intra-op
// threads and at 1. torch-node goes through the engine (BaseModel.trainStep with an
// OptimWrapper: bench/torch_node_train.ts); Python torch runs the plain loop
// (bench/python/train.py); plain C++ the same loop with libtorch's C++ frontend
// (bench/cpp/train.cpp); PyTorch Lightning, where it is installed, a LightningModule's
// training_step run by Trainer.fit (bench/python/lightning_train.py). All start from the same
// seeded weights and batch, so their first losses must agree.
import { join } from 'node:path';
import {
  alternate,
  benchDir,
  type Contender,
  finish,
  machine,
  python,
  type Reply,
  type SuiteOptions,
  startContenders,
  startSuite,
  suiteResult,
} from './common.js';
import { closingLines, dateLine, fmt, skippedLines, spread, verdict, versionLines } from './report.js';
import { pairedRatio, type Summary, summarize } from './stats.js';

interface Model {
  name: string;
  label: string;
  /** Steps per measurement at scale 1 (about half a second each at one thread). */
  iters: number;
  /** Targets: at most this times Python's time, within this times plain C++'s. */
  vsPython: number | null;
  vsCpp: number;
}

const MODELS: Model[] = [
  { name: 'mlp', label: 'MLP 784-256-10, batch 64', iters: 600, vsPython: 0.85, vsCpp: 1.05 },
  { name: 'lenet', label: 'LeNet-5, batch 64 of 1x28x28', iters: 80, vsPython: 0.85, vsCpp: 1.05 },
  {
    name: 'resnet',
    label: 'ResNet (3x2 BasicBlocks, 16/32/64 ch, BN), batch 32 of 3x32x32',
    iters: 8,
    vsPython: null,
    vsCpp: 1.03,
  },
];

/** The issue asks for 2 threads; 1 thread is the steadier measurement on a shared 2-core host. */
const THREADS = [2, 1];
const IDS = ['torch-node', 'python', 'cpp', 'lightning'] as const;
type Id = (typeof IDS)[number];
const LABEL: Record<Id, string> = {
  'torch-node': 'torch-node (trainStep)',
  python: 'Python loop',
  cpp: 'plain C++',
  lightning: 'Lightning',
};
const DEFAULT_ROUNDS = 5;
const LOSS_TOL = 1e-5;
/**
 * Milliseconds a measurement may run at scale 1 before it stops early: 2-thread steps on a loaded
 * 2-core host can be 10-30x slower than planned, and the suite must still end in minutes.
 */
const BUDGET_MS = 1500;

export async function runTrain(opts: SuiteOptions): Promise<Record<string, unknown>> {
  const rounds = opts.rounds ?? DEFAULT_ROUNDS;
  const started = Date.now();
  const info: Record<string, unknown> = {
    machine: machine(),
    rounds,
    scale: opts.scale,
    threads: THREADS,
    budgetMs: Math.round(BUDGET_MS * opts.scale),
  };

  const scripts = { node: 'torch_node_train.js', python: 'train.py', cpp: { name: 'train', torchApi: true } };
  const suite = await startSuite(scripts, info);
  const { skipped } = suite;
  const lightning = await startLightning(suite.hello, skipped, info);
  const live = lightning ? [...suite.live, lightning] : suite.live;

  const configs = THREADS.flatMap((threads) => MODELS.map((m) => ({ m, threads, key: `${m.name}@${threads}` })));
  // samples[config][contender][round] = ms per step
  const samples: Record<string, Record<string, (number | undefined)[]>> = {};
  const losses: Record<string, Record<string, { first: number; last: number }>> = {};
  const steps: Record<string, number[]> = {};
  const failures: string[] = [];
  // Round -1, the warm-up, runs three times the steps (and budget) of a round: V8 optimises
  // torch-node's step over its first ~1,500 MLP steps (the step time falls by ~20% meanwhile,
  // seen with fresh models in one process), and Python's and C++'s allocators settle too; a
  // fifth of a round, as before, left torch-node's first rounds inside that warm-up.
  const measureOnce = async (c: (typeof live)[number], cfg: (typeof configs)[number], round: number) => {
    const scale = opts.scale * (round < 0 ? 3 : 1);
    const iters = Math.max(2, Math.round(cfg.m.iters * scale));
    const warmup = Math.max(2, Math.round(iters / 10));
    const budget = Math.round(BUDGET_MS * scale);
    const r: Reply = await c.request(`${cfg.m.name} ${iters} ${warmup} ${cfg.threads} ${budget}`, 300_000);
    if (r.error || typeof r.msPerStep !== 'number') {
      failures.push(`${c.id} ${cfg.key}: ${r.error ?? JSON.stringify(r)}`);
      return;
    }
    if (r.threads !== cfg.threads) failures.push(`${c.id} ${cfg.key}: ran ${r.threads} threads`);
    if (r.liveAfter) failures.push(`${c.id} ${cfg.key}: ${r.liveAfter} tensors left alive`);
    (losses[cfg.key] ??= {})[c.id] = { first: r.firstLoss as number, last: r.lastLoss as number };
    if (round < 0) return;
    ((samples[cfg.key] ??= {})[c.id] ??= [])[round] = r.msPerStep;
    (steps[cfg.key] ??= []).push(r.iters as number);
  };

  await alternate(
    { tag: 'train', rounds, contenders: live, items: configs, warmup: true, label: (cfg) => cfg.key },
    measureOnce,
  );
  finish(live, failures);

  const rows = configs.map(({ m, threads, key }) => {
    const per = samples[key] ?? {};
    const tn = summarize(per['torch-node']);
    const pyS = summarize(per.python);
    const cc = summarize(per.cpp);
    const pl = summarize(per.lightning);
    const vsPython = pairedRatio(per['torch-node'], per.python);
    const vsCpp = pairedRatio(per['torch-node'], per.cpp);
    const l = losses[key] ?? {};
    const ref = l['torch-node']?.first;
    const others = Object.entries(l).filter(([id]) => id !== 'torch-node');
    const firstLossAgrees =
      ref === undefined || others.length === 0
        ? null
        : others.every(([, v]) => Math.abs(v.first - ref) <= LOSS_TOL * Math.max(1, Math.abs(ref)));
    return {
      model: m.name,
      label: m.label,
      threads,
      iters: Math.max(2, Math.round(m.iters * opts.scale)),
      stepsTimed: steps[key]?.length ? [Math.min(...steps[key]), Math.max(...steps[key])] : null,
      msPerStep: { 'torch-node': tn, python: pyS, cpp: cc, lightning: pl },
      ratios: {
        torchNodeOverPython: vsPython,
        torchNodeOverCpp: vsCpp,
        torchNodeOverLightning: pairedRatio(per['torch-node'], per.lightning),
        pythonOverCpp: pairedRatio(per.python, per.cpp),
        lightningOverPython: pairedRatio(per.lightning, per.python),
        bestTorchNodeOverPython: tn && pyS ? tn.min / pyS.min : null,
        bestTorchNodeOverCpp: tn && cc ? tn.min / cc.min : null,
        bestTorchNodeOverLightning: tn && pl ? tn.min / pl.min : null,
      },
      targets: {
        vsPythonAtMost: m.vsPython,
        vsCppAtMost: m.vsCpp,
        vsPython: m.vsPython === null || vsPython == null ? null : vsPython <= m.vsPython,
        vsCpp: vsCpp == null ? null : vsCpp <= m.vsCpp,
      },
      losses: l,
      firstLossAgrees,
    };
  });
  return suiteResult(started, info, { skipped, failures, results: rows });
}

/**
 * Starts the Lightning contender (bench/python/lightning_train.py) where Python torch runs, or
 * records in `skipped` why not. A process of its own: Lightning's import and its Trainer's state
 * stay out of the plain loop's process, and the Python contender runs whether or not Lightning
 * is installed. Its hello says when Lightning is not importable; the process then only stops.
 */
async function startLightning(
  hello: Record<string, Reply>,
  skipped: Record<string, string>,
  info: Record<string, unknown>,
): Promise<Contender | undefined> {
  if (!hello.python) {
    skipped.lightning = `no Python torch (${skipped.python ?? 'the Python contender did not start'})`;
    return undefined;
  }
  const py = python();
  if (!py.ok) {
    skipped.lightning = py.reason;
    return undefined;
  }
  const script = join(benchDir, 'python', 'lightning_train.py');
  const s = await startContenders([{ id: 'lightning', command: py.command, args: [script, '--serve'] }]);
  const c = s.live[0];
  const h = s.hello.lightning;
  if (!c || !h) {
    skipped.lightning = s.skipped.lightning ?? 'did not start';
    return undefined;
  }
  if (typeof h.lightningError === 'string') {
    c.stop();
    skipped.lightning = `PyTorch Lightning ${h.lightningError}`;
    console.log(`skipping lightning: ${skipped.lightning}`);
    return undefined;
  }
  info.lightning = h;
  return c;
}

type Row = {
  model: string;
  label: string;
  threads: number;
  iters: number;
  stepsTimed?: [number, number] | null;
  msPerStep: Record<Id, Summary | null>;
  ratios: Record<string, number | null>;
  targets: { vsPythonAtMost: number | null; vsCppAtMost: number; vsPython: boolean | null; vsCpp: boolean | null };
  losses: Record<string, { first: number; last: number }>;
  firstLossAgrees: boolean | null;
};

export function trainMarkdown(result: Record<string, unknown>): string {
  const rows = result.results as Row[];
  const out: string[] = [];
  out.push('## 2. Training step: torch-node trainStep vs the Python loop vs plain C++ vs Lightning', '');
  out.push(dateLine(result));
  out.push(
    '- Each step: forward, cross-entropy, backward, SGD (lr 0.01, momentum 0.9) step, grads to none, the loss read as a number.',
    '  torch-node: a `BaseModel` subclass, `model.trainStep({inputs, dataSamples}, optimWrapper)` with an `OptimWrapper`',
    '  (the ResNet is `examples/models/small_resnet.ts`); Python: the plain loop; C++: the same loop with `torch::nn`/`torch::optim`;',
    '  Lightning: a `LightningModule` whose `training_step` returns the loss, run by `Trainer.fit` on the CPU over the same batch',
    '  every step, timed by a Callback from the first timed `on_train_batch_start` to the last `on_train_batch_end`.',
  );
  const pl = result.lightning as Reply | undefined;
  out.push(...versionLines(result), ...(pl ? [`- Lightning: ${pl.lightning}`] : []), ...skippedLines(result));
  out.push('');
  out.push(
    'Median ms per step; lower is better. Ratios are medians of the per-round ratios. The 2-thread timings on a shared',
    '2-core host are disturbed by any other load (a 2-thread team waits for its slower thread); the 1-thread ones are steadier.',
    `A measurement times the planned steps or stops after ${result.budgetMs ?? '?'} ms, whichever comes first ("steps" gives the`,
    'range of steps timed).',
    '',
  );
  out.push(
    `| model | threads | steps | ${LABEL['torch-node']} | ${LABEL.python} | ${LABEL.cpp} | ${LABEL.lightning} | torch-node / Python | torch-node / C++ | torch-node / Lightning | Python / C++ |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  );
  for (const r of rows) {
    const s = r.msPerStep;
    out.push(
      `| ${r.label} | ${r.threads} | ${r.stepsTimed ? (r.stepsTimed[0] === r.stepsTimed[1] ? r.stepsTimed[0] : `${r.stepsTimed[0]}–${r.stepsTimed[1]}`) : r.iters} | ${fmt(s['torch-node']?.median)} | ${fmt(s.python?.median)} | ${fmt(s.cpp?.median)} | ${fmt(s.lightning?.median)} | ${fmt(r.ratios.torchNodeOverPython)} | ${fmt(r.ratios.torchNodeOverCpp)} | ${fmt(r.ratios.torchNodeOverLightning)} | ${fmt(r.ratios.pythonOverCpp)} |`,
    );
  }
  out.push('');
  out.push('Targets (MLP and LeNet: ≤ 0.85x Python and ≤ 1.05x C++; ResNet: ≤ 1.03x C++):', '');
  out.push('| model | threads | vs Python | vs C++ |', '|---|--:|---|---|');
  for (const r of rows) {
    const t = r.targets;
    out.push(
      `| ${r.model} | ${r.threads} | ${t.vsPythonAtMost === null ? '(none)' : `≤ ${t.vsPythonAtMost}: ${verdict(t.vsPython)}`} | ≤ ${t.vsCppAtMost}: ${verdict(t.vsCpp)} |`,
    );
  }
  out.push('');
  out.push(
    'Spread over the rounds (min–max ms) and the first loss of each contender (same seeded weights and batch):',
    '',
  );
  out.push(
    '| model | threads | torch-node | Python | C++ | Lightning | first loss torch-node | Python | C++ | Lightning | agree |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|',
  );
  const loss = (x: { first: number } | undefined) => (x ? x.first.toFixed(6) : '–');
  for (const r of rows) {
    const s = r.msPerStep;
    out.push(
      `| ${r.model} | ${r.threads} | ${spread(s['torch-node'])} | ${spread(s.python)} | ${spread(s.cpp)} | ${spread(s.lightning)} | ${loss(r.losses['torch-node'])} | ${loss(r.losses.python)} | ${loss(r.losses.cpp)} | ${loss(r.losses.lightning)} | ${r.firstLossAgrees == null ? '–' : r.firstLossAgrees ? 'yes' : '**no**'} |`,
    );
  }
  out.push(...closingLines(result));
  return out.join('\n');
}
