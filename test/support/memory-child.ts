// The memory measurements of test/lifetime.test.ts, each run in a fresh process (a fresh heap
// and a fresh malloc arena) so that one measurement cannot disturb another:
//
//   node dist/test/support/memory-child.js <dispose|scope|yield|train>
//
// Prints one line of JSON: the RSS samples (MiB) and whatever else the mode measures. Run with
// no mode (as `node --test dist/test/` does with every file under test/) it does nothing.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import * as torch from '../../lib/index.js';

const F = torch.nn.functional;
const MiB = 1 << 20;
const rss = (): number => process.memoryUsage().rss / MiB;
const round = (v: number): number => Math.round(v * 10) / 10;

/** 100,000 temporary 64x64 adds, each freed by dispose(). */
function disposeLoop(): Record<string, unknown> {
  torch.manualSeed(0);
  const a = torch.randn([64, 64]);
  const b = torch.randn([64, 64]);
  const step = (): void => {
    const c = a.add(b);
    c.dispose();
  };
  for (let i = 0; i < 2000; i++) step();
  const before = rss();
  const t0 = performance.now();
  for (let i = 0; i < 100_000; i++) step();
  const ms = performance.now() - t0;
  const after = rss();
  return { before: round(before), after: round(after), growth: round(after - before), ms: Math.round(ms) };
}

/** 100,000 temporary 64x64 adds, each made inside its own scope. */
function scopeLoop(): Record<string, unknown> {
  torch.manualSeed(0);
  const a = torch.randn([64, 64]);
  const b = torch.randn([64, 64]);
  const step = (): void => {
    torch.scope(() => {
      a.add(b);
    });
  };
  for (let i = 0; i < 2000; i++) step();
  const before = rss();
  const t0 = performance.now();
  for (let i = 0; i < 100_000; i++) step();
  const ms = performance.now() - t0;
  const after = rss();
  return {
    before: round(before),
    after: round(after),
    growth: round(after - before),
    ms: Math.round(ms),
    tensors: torch.memory().tensors,
  };
}

/**
 * 64x64 adds never disposed and made outside any scope, yielding to the event loop every
 * 1000 iterations: the garbage collector is their only owner. Two identical phases of 100,000.
 */
async function yieldLoop(): Promise<Record<string, unknown>> {
  torch.manualSeed(0);
  const a = torch.randn([64, 64]);
  const b = torch.randn([64, 64]);
  const start = rss();
  const phase = async (): Promise<{ rss: number; peak: number; ms: number }> => {
    let peak = 0;
    const t0 = performance.now();
    for (let i = 1; i <= 100_000; i++) {
      a.add(b);
      if (i % 1000 === 0) {
        await yieldToLoop();
        if (i % 10_000 === 0) peak = Math.max(peak, rss());
      }
    }
    return { rss: rss(), peak, ms: performance.now() - t0 };
  };
  const one = await phase();
  const two = await phase();
  return {
    start: round(start),
    phase1: round(one.rss),
    peak1: round(one.peak),
    phase2: round(two.rss),
    peak2: round(two.peak),
    secondPhaseGrowth: round(two.rss - one.rss),
    ms: Math.round(one.ms + two.ms),
    tensorsAtEnd: torch.memory().tensors,
  };
}

/** 10,000 steps of a 2-layer MLP trained by hand-written SGD, each step inside a scope. */
function trainLoop(): Record<string, unknown> {
  torch.manualSeed(0);
  const [n, inputs, hidden, classes] = [32, 64, 128, 10];
  const lr = 0.05;
  const w1 = torch.randn([hidden, inputs]).mul(0.1).requiresGrad_();
  const b1 = torch.zeros([hidden], { requiresGrad: true });
  const w2 = torch.randn([classes, hidden]).mul(0.1).requiresGrad_();
  const b2 = torch.zeros([classes], { requiresGrad: true });
  const params = [w1, b1, w2, b2];
  const x = torch.randn([n, inputs]);
  const y = torch.randint(classes, [n]);

  const step = (): number =>
    torch.scope(() => {
      const h = F.relu(F.linear(x, w1, { bias: b1 }));
      const logits = F.linear(h, w2, { bias: b2 });
      const loss = F.crossEntropy(logits, y);
      loss.backward();
      torch.noGrad(() => {
        for (const p of params) p.sub_((p.grad as torch.Tensor).mul(lr));
      });
      for (const p of params) p.grad = null;
      return loss.item() as number;
    });

  const samples: Record<number, { rss: number; tensors: number }> = {};
  let first = 0;
  let last = 0;
  const t0 = performance.now();
  for (let i = 1; i <= 10_000; i++) {
    const loss = step();
    if (i === 1) first = loss;
    last = loss;
    if (i % 2000 === 0) samples[i] = { rss: round(rss()), tensors: torch.memory().tensors };
  }
  const ms = performance.now() - t0;
  return { samples, firstLoss: first, lastLoss: last, ms: Math.round(ms) };
}

const modes: Record<string, () => Record<string, unknown> | Promise<Record<string, unknown>>> = {
  dispose: disposeLoop,
  scope: scopeLoop,
  yield: yieldLoop,
  train: trainLoop,
};

const mode = process.argv[2];
if (mode !== undefined) {
  const run = modes[mode];
  if (!run) throw new Error(`memory-child: unknown mode '${mode}'`);
  // One intra-op thread: the numbers are about memory, and a 2-core host shared with other
  // work makes 2-thread timings swing by 10x.
  torch.setNumThreads(1);
  const result = await run();
  process.stdout.write(`${JSON.stringify({ mode, ...result })}\n`);
}
