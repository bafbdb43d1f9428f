// Who frees a tensor, and when: dispose(), `using`, torch.scope (sync and async), keep(), and
// torch.memory()'s counts. Then the memory requirements, each measured with
// process.memoryUsage().rss in a fresh child process (test/support/memory-child.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import * as torch from '../lib/index.js';

const live = (): number => torch.memory().tensors;
const cpuBytes = (): number => torch.memory().bytes.cpu ?? 0;

describe('dispose()', () => {
  test('frees the tensor and its storage at once', () => {
    const tensors = live();
    const bytes = cpuBytes();
    const t = torch.zeros([1000]);
    assert.equal(live(), tensors + 1);
    assert.equal(cpuBytes(), bytes + 4000);
    assert.equal(t.isDisposed, false);
    t.dispose();
    assert.equal(t.isDisposed, true);
    assert.equal(live(), tensors);
    assert.equal(cpuBytes(), bytes);
    assert.throws(() => t.add(1), /^Error: add: tensor was disposed$/);
    t.dispose(); // twice is harmless
    assert.equal(live(), tensors);
  });

  test('a view keeps the storage alive after its base is disposed', () => {
    const tensors = live();
    const bytes = cpuBytes();
    const base = torch.arange(100, { dtype: 'float64' });
    const view = base.at('10:20');
    assert.equal(live(), tensors + 2);
    assert.equal(cpuBytes(), bytes + 800, 'a view shares its base storage: counted once');
    base.dispose();
    assert.equal(live(), tensors + 1);
    assert.equal(cpuBytes(), bytes + 800);
    assert.deepEqual(view.toArray(), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    view.dispose();
    assert.equal(live(), tensors);
    assert.equal(cpuBytes(), bytes);
  });
});

describe('using', () => {
  test('disposes at the end of the block', () => {
    const tensors = live();
    let seen: torch.Tensor | undefined;
    {
      using t = torch.ones([4]);
      seen = t;
      assert.equal(t.isDisposed, false);
      assert.equal(live(), tensors + 1);
      assert.equal(t.sum().item(), 4);
    }
    // the sum above is GC-owned: only `t` is checked by count
    assert.equal(seen?.isDisposed, true);
  });

  test('disposes when the block throws, every declaration in it', () => {
    const seen: torch.Tensor[] = [];
    assert.throws(() => {
      using a = torch.ones([2]);
      using b = torch.zeros([3]);
      seen.push(a, b);
      throw new Error('boom');
    }, /boom/);
    assert.equal(seen.length, 2);
    assert.ok(seen.every((t) => t.isDisposed));
  });

  test('[Symbol.dispose] is the runtime Symbol.dispose', () => {
    const t = torch.ones([1]);
    const dispose = (Symbol as unknown as { dispose: symbol }).dispose;
    assert.equal(typeof (t as unknown as Record<symbol, unknown>)[dispose], 'function');
    (t as unknown as Record<symbol, () => void>)[dispose]?.();
    assert.equal(t.isDisposed, true);
  });
});

describe('torch.scope (synchronous)', () => {
  test('frees what fn made, except what it returns', () => {
    const tensors = live();
    const made: torch.Tensor[] = [];
    const out = torch.scope(() => {
      const a = torch.ones([2, 2]);
      const b = a.add(1);
      const c = b.mul(2);
      made.push(a, b);
      return c;
    });
    assert.ok(made.every((t) => t.isDisposed));
    assert.equal(out.isDisposed, false);
    assert.deepEqual(out.toArray(), [
      [4, 4],
      [4, 4],
    ]);
    assert.equal(live(), tensors + 1);
    out.dispose();
    assert.equal(live(), tensors);
  });

  test('tensors in a returned array, plain object or Map survive', () => {
    const tensors = live();
    let temp: torch.Tensor | undefined;
    const out = torch.scope(() => {
      temp = torch.ones([3]);
      return {
        list: [temp.add(1), temp.add(2)],
        nested: { deeper: temp.mul(5) },
        map: new Map([['m', temp.sub(1)]]),
        n: 3,
      };
    });
    assert.equal(temp?.isDisposed, true);
    const kept = [...out.list, out.nested.deeper, out.map.get('m') as torch.Tensor];
    assert.ok(kept.every((t) => !t.isDisposed));
    assert.deepEqual(
      kept.map((t) => t.toArray()),
      [
        [2, 2, 2],
        [3, 3, 3],
        [5, 5, 5],
        [0, 0, 0],
      ],
    );
    assert.equal(live(), tensors + 4);
    for (const t of kept) t.dispose();
  });

  test('tensors made outside the scope are untouched', () => {
    const outside = torch.ones([2]);
    torch.scope(() => {
      outside.add(1);
      outside.mul_(3);
    });
    assert.equal(outside.isDisposed, false);
    assert.deepEqual(outside.toArray(), [3, 3]);
    outside.dispose();
  });

  test('nested scopes: an inner result moves to the outer scope', () => {
    const tensors = live();
    let innerTemp: torch.Tensor | undefined;
    let innerResult: torch.Tensor | undefined;
    const out = torch.scope(() => {
      innerResult = torch.scope(() => {
        innerTemp = torch.full([2], 5);
        return innerTemp.add(1);
      });
      assert.equal(innerTemp?.isDisposed, true, 'the inner scope freed its temporary');
      assert.equal(innerResult.isDisposed, false, 'the inner result lives on in the outer scope');
      return innerResult.mul(2);
    });
    assert.equal(innerResult?.isDisposed, true, 'the outer scope freed the inner result it did not return');
    assert.deepEqual(out.toArray(), [12, 12]);
    assert.equal(live(), tensors + 1);
    out.dispose();

    // Returned through both levels, it survives both.
    const through = torch.scope(() => torch.scope(() => torch.ones([1]).add(1)));
    assert.equal(through.isDisposed, false);
    assert.equal(through.item(), 2);
    through.dispose();
    assert.equal(live(), tensors);
  });

  test('a throw still frees everything and propagates', () => {
    const tensors = live();
    const made: torch.Tensor[] = [];
    assert.throws(
      () =>
        torch.scope(() => {
          made.push(torch.ones([8]), torch.zeros([8]));
          torch.scope(() => {
            made.push(torch.ones([4]));
            torch.mm(torch.ones([2, 3]), torch.ones([2, 3]));
          });
        }),
      /^Error: mm: mat1 and mat2 shapes cannot be multiplied/,
    );
    assert.equal(made.length, 3);
    assert.ok(made.every((t) => t.isDisposed));
    assert.equal(live(), tensors);
  });

  test('keep() takes a tensor out of the scope', () => {
    const tensors = live();
    let temp: torch.Tensor | undefined;
    let a: torch.Tensor | undefined;
    let b: torch.Tensor | undefined;
    torch.scope(() => {
      temp = torch.ones([2]);
      a = temp.add(1).keep();
      b = torch.keep(temp.mul(3));
    });
    assert.equal(temp?.isDisposed, true);
    assert.equal(a?.isDisposed, false);
    assert.equal(b?.isDisposed, false);
    assert.deepEqual(a?.toArray(), [2, 2]);
    assert.deepEqual(b?.toArray(), [3, 3]);
    assert.equal(live(), tensors + 2);
    a?.dispose();
    b?.dispose();
    assert.equal(live(), tensors);
  });

  test('dispose() inside a scope, and a returned tensor disposed early, are fine', () => {
    const tensors = live();
    const out = torch.scope(() => {
      const a = torch.ones([2]);
      a.dispose();
      const b = torch.ones([2]);
      b.dispose();
      return b;
    });
    assert.equal(out.isDisposed, true);
    assert.equal(live(), tensors);
  });

  test('a non-async fn that returns a Promise is refused, and its tensors are freed', () => {
    const tensors = live();
    let made: torch.Tensor | undefined;
    assert.throws(
      () =>
        torch.scope(() => {
          made = torch.ones([2]);
          return Promise.resolve(made);
        }),
      { name: 'TypeError', message: /torch\.scope: the function returned a Promise; declare it `async`/ },
    );
    assert.equal(made?.isDisposed, true);
    assert.equal(live(), tensors);
  });
});

describe('torch.scope (async)', () => {
  test('follows fn across awaits: frees what it made, keeps what it returns', async () => {
    const made: torch.Tensor[] = [];
    const out = await torch.scope(async () => {
      made.push(torch.ones([3]));
      await yieldToLoop();
      made.push(torch.ones([3]).add(2));
      await sleep(2);
      const inner = torch.scope(() => torch.full([3], 10).keep());
      made.push(torch.zeros([3]));
      return { sum: (made[1] as torch.Tensor).add(inner), inner };
    });
    assert.ok(made.every((t) => t.isDisposed));
    assert.equal(out.sum.isDisposed, false);
    assert.deepEqual(out.sum.toArray(), [13, 13, 13]);
    assert.deepEqual(out.inner.toArray(), [10, 10, 10]);
    out.sum.dispose();
    out.inner.dispose();
  });

  test('nested async scopes: the inner result moves to the outer scope', async () => {
    let innerResult: torch.Tensor | undefined;
    let innerTemp: torch.Tensor | undefined;
    const out = await torch.scope(async () => {
      innerResult = await torch.scope(async () => {
        innerTemp = torch.ones([2]);
        await yieldToLoop();
        return innerTemp.mul(4);
      });
      assert.equal(innerTemp?.isDisposed, true);
      assert.equal(innerResult.isDisposed, false);
      await yieldToLoop();
      return innerResult.add(1);
    });
    assert.equal(innerResult?.isDisposed, true);
    assert.deepEqual(out.toArray(), [5, 5]);
    out.dispose();
  });

  test('concurrent async scopes each keep their own tensors', async () => {
    const madeA: torch.Tensor[] = [];
    const madeB: torch.Tensor[] = [];
    let outside: torch.Tensor | undefined;
    const a = torch.scope(async () => {
      madeA.push(torch.ones([1]));
      await sleep(5);
      madeA.push(torch.ones([1]));
      return torch.full([1], 1);
    });
    const b = torch.scope(async () => {
      madeB.push(torch.ones([1]));
      await sleep(1);
      madeB.push(torch.ones([1]));
      await sleep(8);
      return torch.full([1], 2);
    });
    // Made by code that runs while both scopes wait, outside either: neither frees it.
    setTimeout(() => {
      outside = torch.full([1], 7);
    }, 2);
    const [ra, rb] = await Promise.all([a, b]);
    assert.ok([...madeA, ...madeB].every((t) => t.isDisposed));
    assert.equal(ra.item(), 1);
    assert.equal(rb.item(), 2);
    assert.equal(outside?.isDisposed, false);
    assert.equal(outside?.item(), 7);
    ra.dispose();
    rb.dispose();
    outside?.dispose();
  });

  test('a rejection still frees everything and propagates', async () => {
    const made: torch.Tensor[] = [];
    await assert.rejects(
      torch.scope(async () => {
        made.push(torch.ones([2]));
        await yieldToLoop();
        made.push(torch.ones([2]));
        throw new Error('async boom');
      }),
      /async boom/,
    );
    assert.ok(made.every((t) => t.isDisposed));
  });

  test('keep() inside an async scope', async () => {
    let kept: torch.Tensor | undefined;
    let temp: torch.Tensor | undefined;
    await torch.scope(async () => {
      temp = torch.ones([2]);
      await yieldToLoop();
      kept = temp.add(1).keep();
    });
    assert.equal(temp?.isDisposed, true);
    assert.equal(kept?.isDisposed, false);
    assert.deepEqual(kept?.toArray(), [2, 2]);
    kept?.dispose();
  });

  test('an async scope started inside a sync scope leaves later tensors outside any scope', {}, async () => {
    let pending: Promise<void> | undefined;
    torch.scope(() => {
      pending = torch.scope(async () => {
        await yieldToLoop();
      });
    });
    await pending;
    // Made outside any scope: it must belong to the collector, not to the ended sync scope.
    const t = torch.ones([2]);
    assert.equal((t as unknown as { _s: number })._s, 1, 'a tensor made outside any scope waits for the collector');
    t.dispose();
  });
});

describe('torch.memory()', () => {
  test('counts live tensors and storage bytes per device', () => {
    const before = torch.memory();
    const a = torch.zeros([10, 10], { dtype: 'float64' }); // 800 bytes
    const b = torch.zeros([5], { dtype: 'int32' }); // 20 bytes
    const v = a.t(); // a view: a tensor, no new storage
    const after = torch.memory();
    assert.equal(after.tensors - before.tensors, 3);
    assert.equal((after.bytes.cpu ?? 0) - (before.bytes.cpu ?? 0), 820);
    assert.deepEqual(Object.keys(after.bytes), ['cpu']);
    for (const t of [a, b, v]) t.dispose();
    const end = torch.memory();
    assert.equal(end.tensors, before.tensors);
    assert.equal(end.bytes.cpu ?? 0, before.bytes.cpu ?? 0);
  });

  test('a training step inside a scope leaves the count where it was', () => {
    const w = torch.randn([4, 3], { requiresGrad: true });
    const x = torch.randn([5, 3]);
    const before = live();
    for (let i = 0; i < 20; i++) {
      torch.scope(() => {
        const loss = torch.nn.functional.linear(x, w).relu().sum();
        loss.backward();
        torch.noGrad(() => {
          w.sub_((w.grad as torch.Tensor).mul(0.01));
        });
        w.grad = null;
      });
    }
    assert.equal(live(), before);
    w.dispose();
    x.dispose();
  });
});

// ---- memory requirements, each in a fresh process

const CHILD = fileURLToPath(new URL('./support/memory-child.js', import.meta.url));

function measure(mode: string): Record<string, unknown> & Record<string, number> {
  const r = spawnSync(process.execPath, [CHILD, mode], { encoding: 'utf8', timeout: 60_000 });
  if (r.signal || r.status !== 0) {
    assert.fail(
      `memory-child ${mode} ${r.signal ? `was killed by ${r.signal}` : `exited with ${r.status}`}\n${r.stderr}`,
    );
  }
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

describe('memory: RSS stays bounded (fresh child process each)', () => {
  test('(a) 100,000 temporary 64x64 adds with dispose() grow RSS by < 50 MB', (t) => {
    const m = measure('dispose');
    t.diagnostic(`dispose loop: RSS ${m.before} -> ${m.after} MiB (+${m.growth}), ${m.ms} ms`);
    assert.ok(m.growth < 50, `RSS grew by ${m.growth} MiB`);
  });

  test('(b) 100,000 temporary 64x64 adds, one scope per iteration, grow RSS by < 50 MB', (t) => {
    const m = measure('scope');
    t.diagnostic(`scope loop: RSS ${m.before} -> ${m.after} MiB (+${m.growth}), ${m.ms} ms, ${m.tensors} live tensors`);
    assert.ok(m.growth < 50, `RSS grew by ${m.growth} MiB`);
    assert.equal(m.tensors, 2, 'only the two inputs are left');
  });

  test('(c) never disposed, yielding every 1000 iterations: RSS grows < 250 MB, a second phase adds < 50 MB', (t) => {
    const m = measure('yield');
    t.diagnostic(
      `yield loop: RSS start ${m.start}, after phase 1 ${m.phase1} (peak ${m.peak1}), after phase 2 ${m.phase2} ` +
        `(peak ${m.peak2}) MiB; second phase +${m.secondPhaseGrowth}; ${m.ms} ms; ${m.tensorsAtEnd} tensors not yet collected`,
    );
    // Relative to the start: a CUDA libtorch alone adds ~330 MB to the baseline.
    const peak = Math.max(m.phase1, m.peak1, m.phase2, m.peak2);
    assert.ok(peak - m.start < 250, `RSS grew from ${m.start} to ${peak} MiB`);
    assert.ok(m.secondPhaseGrowth < 50, `the second phase added ${m.secondPhaseGrowth} MiB`);
  });

  test('(d) 10,000 scoped MLP training steps: tensor count flat, RSS within 5% from step 2,000 to 10,000', (t) => {
    const m = measure('train');
    const samples = m.samples as unknown as Record<string, { rss: number; tensors: number }>;
    const at2k = samples['2000'] as { rss: number; tensors: number };
    const at10k = samples['10000'] as { rss: number; tensors: number };
    t.diagnostic(
      `train loop: ${Object.entries(samples)
        .map(([i, s]) => `step ${i}: ${s.rss} MiB, ${s.tensors} tensors`)
        .join('; ')}; loss ${m.firstLoss} -> ${m.lastLoss}; ${m.ms} ms`,
    );
    for (const s of Object.values(samples)) assert.equal(s.tensors, at2k.tensors, 'live tensor count is flat');
    const drift = Math.abs(at10k.rss - at2k.rss) / at2k.rss;
    assert.ok(drift < 0.05, `RSS moved ${(drift * 100).toFixed(1)}% (${at2k.rss} -> ${at10k.rss} MiB)`);
    assert.ok(m.lastLoss < m.firstLoss, 'the MLP learns');
  });
});
