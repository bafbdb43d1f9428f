// One rank of test/distributed/collectives.test.ts:
//
//   node dist/test/distributed/collectives-child.js collectives|latency|timeout
//
// with the env:// variables set. Prints one JSON line with what each collective gave. Run with
// no arguments (as `node --test dist/test/` does with every file under test/) it does nothing.
import * as torch from '../../lib/index.js';

const dist = torch.distributed;

async function collectives(): Promise<Record<string, unknown>> {
  dist.initProcessGroup({ backend: 'gloo' });
  const rank = dist.getRank();
  const out: Record<string, unknown> = { rank, worldSize: dist.getWorldSize(), backend: dist.getBackend() };
  const f = (values: number[]) => torch.tensor(values, { dtype: 'float32' });
  out.sum = dist.allReduce(f([rank + 1, 10 * (rank + 1)])).toArray();
  for (const op of ['avg', 'max', 'min', 'product'] as const) out[op] = dist.allReduce(f([rank + 2]), { op }).toArray();
  out.sumInt64 = dist.allReduce(torch.tensor([rank + 1, 2 ** 40])).toArray();
  out.sum2d = dist.allReduce(f([rank, 1, 2, 3]).reshape([2, 2])).toArray();
  out.broadcast = dist.broadcast(f([rank, rank * 2]), 1).toArray();
  out.allGather = dist.allGather(torch.tensor([rank * 3, rank], { dtype: 'int32' })).map((t) => t.toArray());
  out.reduceScatter = dist.reduceScatter([f([1, 2]).mul(rank + 1), f([3, 4]).mul(rank + 1)]).toArray();
  out.reduceScatterAvg = dist.reduceScatter([f([2]).mul(rank + 1), f([4]).mul(rank + 1)], { op: 'avg' }).toArray();
  dist.barrier();
  out.allReduceAsync = (await dist.allReduceAsync(f([1.5]))).toArray();
  const pending = [dist.allReduceAsync(f([rank])), dist.broadcastAsync(f([rank + 7]), 0)];
  out.twoInFlight = (await Promise.all(pending)).map((t) => t.toArray());
  out.allGatherAsync = (await dist.allGatherAsync(f([rank]))).map((t) => t.toArray());
  out.reduceScatterAsync = (await dist.reduceScatterAsync([f([rank]), f([10 * rank])], { op: 'max' })).toArray();
  await dist.barrierAsync();
  const objs = dist.allGatherObject({ rank, name: `r${rank}`, t: torch.tensor([[rank, 0.5]]) });
  out.allGatherObject = objs.map((o) => ({ rank: o.rank, name: o.name, t: o.t.toArray() }));
  out.broadcastObject = dist.broadcastObject(rank === 0 ? { seed: 42, list: [1, 2] } : null, 0);
  // Complex tensors inside objects: dtype, shape and (real, imaginary) pairs as sent. The
  // complex128 one is a pending conjugation, which the packing resolves.
  const d = (values: number[]) => torch.tensor(values, { dtype: 'float64' });
  const complexOf = (t: torch.Tensor) => ({
    dtype: t.dtype,
    shape: t.shape,
    parts: torch.viewAsReal(t.resolveConj()).toArray(),
  });
  const zs = dist.allGatherObject({
    z64: torch.complex(f([rank, 1.5]), f([-2, rank + 0.25])).reshape([2, 1]),
    z128: torch.complex(d([rank + 0.1]), d([1 / 3])).conj(),
  });
  out.allGatherComplex = zs.map((o) => ({ z64: complexOf(o.z64), z128: complexOf(o.z128) }));
  const zb = dist.broadcastObject(
    rank === 0 ? { z: torch.complex(d([1, 3]), d([2, -4])) } : { z: torch.zeros([1], { dtype: 'complex128' }) },
    0,
  );
  out.broadcastComplex = complexOf(zb.z);
  out.errors = {
    wrongSrc: catchMessage(() => dist.broadcast(f([0]), 5)),
    intAvg: catchMessage(() => dist.allReduce(torch.tensor([1]), { op: 'avg' })),
    twice: catchMessage(() => dist.initProcessGroup({ backend: 'gloo' })),
    badOp: catchMessage(() => dist.allReduce(f([1]), { op: 'median' as 'sum' })),
    reduceScatterCount: catchMessage(() => dist.reduceScatter([f([1])])),
  };
  dist.destroyProcessGroup();
  out.afterDestroy = { initialized: dist.isInitialized(), rank: catchMessage(() => dist.getRank()) };
  return out;
}

function catchMessage(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message.split('\n')[0]}`;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Medians of allReduce over 1 float and over 4 MiB, in microseconds. */
function latency(): Record<string, unknown> {
  dist.initProcessGroup({ backend: 'gloo' });
  const time = (t: torch.Tensor, n: number) => {
    for (let i = 0; i < 5; i++) dist.allReduce(t);
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = process.hrtime.bigint();
      dist.allReduce(t);
      samples.push(Number(process.hrtime.bigint() - s) / 1000);
    }
    return median(samples);
  };
  const out = {
    rank: dist.getRank(),
    oneFloatUs: time(torch.ones([1]), 300),
    fourMiBUs: time(torch.ones([1 << 20]), 20),
  };
  dist.destroyProcessGroup();
  return out;
}

/** Rank 1 never joins the second allReduce: rank 0's must fail after the group's timeout. */
function timeout(): Record<string, unknown> {
  dist.initProcessGroup({ backend: 'gloo', timeout: 2000 });
  const rank = dist.getRank();
  dist.allReduce(torch.ones([1]));
  if (rank === 1) {
    const until = Date.now() + 3500;
    while (Date.now() < until) {} // busy: neither in the collective nor gone
    return { rank };
  }
  const start = Date.now();
  const error = catchMessage(() => dist.allReduce(torch.ones([1])));
  return { rank, error, ms: Date.now() - start };
}

const mode = process.argv[2];
if (mode === 'collectives') process.stdout.write(`${JSON.stringify(await collectives())}\n`);
else if (mode === 'latency') process.stdout.write(`${JSON.stringify(latency())}\n`);
else if (mode === 'timeout') process.stdout.write(`${JSON.stringify(timeout())}\n`);
