// The torch-node contender of the per-op overhead benchmark: the same workloads as
// bench/python/bench.py and bench/cpp/bench.cpp, in two lifetime styles:
//   dispose   every result is freed with dispose() as soon as it is no longer needed;
//   scope     results are left to torch.scope, one scope per 1000 iterations.
//
// Usage (after `tsc -p .`):
//   node dist/bench/torch_node.js WORKLOAD ITERS WARMUP [dispose|scope]   one JSON line
//   node dist/bench/torch_node.js --serve     a hello line, then one measurement per stdin
//                                             line "WORKLOAD ITERS WARMUP [VARIANT]"
import * as torch from '../lib/index.js';
import { serve } from './serve.js';

const F = torch.nn.functional;

torch.setNumThreads(1);

export type Variant = 'dispose' | 'scope';
const SCOPE_BATCH = 1000;

/** Runs `body(count)` for `iters` iterations in total, in scopes of SCOPE_BATCH. */
function inScopes(iters: number, body: (count: number) => void): void {
  for (let done = 0; done < iters; done += SCOPE_BATCH) {
    const count = Math.min(SCOPE_BATCH, iters - done);
    torch.scope(() => body(count));
  }
}

interface Prepared {
  /** The value the other contenders must also get (inputs are seeded identically). */
  check: number;
  loop(iters: number, variant: Variant): void;
  free(): void;
}

function prepareAdd(shape: number[]): Prepared {
  // Same seed and order as the other contenders: all three add the same numbers.
  torch.manualSeed(0);
  const a = torch.randn(shape);
  const b = torch.randn(shape);
  const check = torch.scope(() => a.add(b).sum().item() as number);
  return {
    check,
    loop(iters, variant) {
      if (variant === 'dispose') {
        for (let i = 0; i < iters; i++) a.add(b).dispose();
      } else {
        inScopes(iters, (count) => {
          for (let i = 0; i < count; i++) a.add(b);
        });
      }
    },
    free() {
      a.dispose();
      b.dispose();
    },
  };
}

function prepareLinear(): Prepared {
  torch.manualSeed(0);
  const x = torch.randn([16, 64]);
  const w = torch.randn([32, 64]).requiresGrad_();
  const bias = torch.randn([32]).requiresGrad_();
  // Forward, backward, and grads set to none (PyTorch's zero_grad(set_to_none=True)).
  const stepDispose = (): void => {
    const y = F.linear(x, w, { bias });
    const s = y.sum();
    s.backward();
    w.grad = null;
    bias.grad = null;
    y.dispose();
    s.dispose();
  };
  const stepScoped = (): void => {
    F.linear(x, w, { bias }).sum().backward();
    w.grad = null;
    bias.grad = null;
  };
  const check = torch.scope(() => {
    const s = F.linear(x, w, { bias }).sum();
    s.backward();
    w.grad = null;
    bias.grad = null;
    return s.item() as number;
  });
  return {
    check,
    loop(iters, variant) {
      if (variant === 'dispose') {
        for (let i = 0; i < iters; i++) stepDispose();
      } else {
        inScopes(iters, (count) => {
          for (let i = 0; i < count; i++) stepScoped();
        });
      }
    },
    free() {
      x.dispose();
      w.dispose();
      bias.dispose();
    },
  };
}

const WORKLOADS: Record<string, () => Prepared> = {
  add1: () => prepareAdd([1]),
  add64: () => prepareAdd([64, 64]),
  linear: prepareLinear,
};

export interface Measurement {
  contender: string;
  workload: string;
  variant: Variant;
  iters: number;
  warmup: number;
  totalNs: number;
  usPerOp: number;
  threads: number;
  check: number;
  /** Tensors still alive after the measurement (0 unless something leaked). */
  liveAfter: number;
}

export function measure(workload: string, iters: number, warmup: number, variant: Variant): Measurement {
  const prepare = WORKLOADS[workload];
  if (!prepare) throw new Error(`unknown workload '${workload}'`);
  if (variant !== 'dispose' && variant !== 'scope') throw new Error(`unknown variant '${variant}'`);
  const before = torch.memory().tensors;
  const w = prepare();
  w.loop(warmup, variant);
  const t0 = process.hrtime.bigint();
  w.loop(iters, variant);
  const ns = Number(process.hrtime.bigint() - t0);
  w.free();
  return {
    contender: variant === 'dispose' ? 'torch-node' : 'torch-node-scope',
    workload,
    variant,
    iters,
    warmup,
    totalNs: ns,
    usPerOp: ns / 1e3 / iters,
    threads: torch.getNumThreads(),
    check: w.check,
    liveAfter: torch.memory().tensors - before,
  };
}

await serve({
  request: 'WORKLOAD ITERS WARMUP [VARIANT]',
  usage: 'add1|add64|linear ITERS WARMUP [dispose|scope]',
  hello: () => ({ threads: torch.getNumThreads() }),
  answer: (f) => measure(f[0] as string, Number(f[1]), Number(f[2]), (f[3] ?? 'dispose') as Variant),
});
