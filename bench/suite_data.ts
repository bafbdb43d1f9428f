// Workload 3, the data path: one pass of a DataLoader over synthetic 3x32x32 uint8 images in
// memory, with a random crop (padding 4) and a random horizontal flip per sample, shuffled
// batches of 64, with 0 and with 2 workers: the engine's DataLoader (worker threads,
// bench/torch_node_data.ts) against torch.utils.data.DataLoader (worker processes, the same
// transforms written with torch ops, bench/python/data.py). Reports images per second and each
// loader's 2-worker/0-worker ratio (target for torch-node: at least 1.8). Each pass starts its
// workers (each builds its copy of the dataset), as PyTorch's DataLoader does without persistent
// workers; torch-node's worker threads outlive a pass, idle, for the next one, so only the first
// 2-worker pass of the process starts threads: the warm-up round's, reported on its own line.
import { alternate, finish, machine, type Reply, type SuiteOptions, startSuite, suiteResult } from './common.js';
import { closingLines, dateLine, fmt, skippedLines, verdict } from './report.js';
import { median, pairedRatio, type Summary, summarize } from './stats.js';

const WORKERS = [0, 2];
/** The extra row's item: 2 persistent workers (torch-node only). */
const PERSISTENT = 'p2';
const IMAGES = 32_768;
const BATCH = 64;
const DEFAULT_ROUNDS = 5;
const TARGET_SPEEDUP = 1.8;
type Id = 'torch-node' | 'python';

export async function runData(opts: SuiteOptions): Promise<Record<string, unknown>> {
  const rounds = opts.rounds ?? DEFAULT_ROUNDS;
  const images = Math.max(BATCH, Math.round((IMAGES * opts.scale) / BATCH) * BATCH);
  const started = Date.now();
  const info: Record<string, unknown> = { machine: machine(), rounds, scale: opts.scale, images, batchSize: BATCH };

  const { live, skipped } = await startSuite({ node: 'torch_node_data.js', python: 'data.py' }, info);

  // samples[workers][contender][round] = images/s over the whole pass; steady: after the first
  // batch (without the workers' start-up); firstBatch: ms to the first batch.
  const samples: Record<number, Record<string, (number | undefined)[]>> = {};
  const steady: Record<number, Record<string, (number | undefined)[]>> = {};
  const firstBatch: Record<number, Record<string, number[]>> = {};
  // Per round: CPU µs per image, all threads and processes of the loader (the load-independent
  // cost), and the cores it kept busy (CPU time over wall time). The 2-worker/0-worker ratio of
  // a round is the product of the ratio of cores busy and the inverse ratio of CPU per image.
  const cpu: Record<number, Record<string, (number | undefined)[]>> = {};
  const cores: Record<number, Record<string, (number | undefined)[]>> = {};
  const failures: string[] = [];
  // Round -1, the warm-up, passes over an eighth of the images (at least 4 batches).
  // The extra row (torch-node only): images/s per round, and CPU µs per image.
  const persistent: number[] = [];
  const persistentCpu: number[] = [];
  const persistentCores: number[] = [];
  // torch-node's first 2-worker pass in its process (the warm-up round's, over all the images):
  // its worker threads start then.
  let firstPass: { imagesPerSec: number; firstBatchMs: number } | null = null;
  const measureOnce = async (c: (typeof live)[number], item: number | typeof PERSISTENT, round: number) => {
    if (item === PERSISTENT && c.id !== 'torch-node') return;
    const workers = item === PERSISTENT ? 2 : item;
    // The warm-up round passes over fewer images, except the persistent row's (same loader, same size).
    const coldThreads = round < 0 && item === 2 && c.id === 'torch-node';
    const n = round < 0 && item !== PERSISTENT && !coldThreads ? Math.max(BATCH * 4, images / 8) : images;
    const r: Reply = await c.request(`${workers} ${n} ${BATCH}${item === PERSISTENT ? ' 1' : ''}`, 300_000);
    const what = item === PERSISTENT ? '2 persistent workers' : `${workers} workers`;
    if (r.error || typeof r.imagesPerSec !== 'number') {
      failures.push(`${c.id} ${what}: ${r.error ?? JSON.stringify(r)}`);
      return;
    }
    if (r.liveAfter) failures.push(`${c.id} ${what}: ${r.liveAfter} tensors left alive`);
    if (coldThreads) firstPass = { imagesPerSec: r.imagesPerSec, firstBatchMs: r.firstBatchMs as number };
    if (round < 0) return;
    if (item === PERSISTENT) {
      persistent[round] = r.imagesPerSec;
      if (typeof r.cpuSeconds === 'number') {
        persistentCpu.push((r.cpuSeconds * 1e6) / (r.images as number));
        persistentCores.push(r.cpuSeconds / (r.seconds as number));
      }
      return;
    }
    ((samples[workers] ??= {})[c.id] ??= [])[round] = r.imagesPerSec;
    const rest = (r.seconds as number) - (r.firstBatchMs as number) / 1e3;
    ((steady[workers] ??= {})[c.id] ??= [])[round] = ((r.images as number) - BATCH) / rest;
    ((firstBatch[workers] ??= {})[c.id] ??= []).push(r.firstBatchMs as number);
    if (typeof r.cpuSeconds === 'number') {
      ((cpu[workers] ??= {})[c.id] ??= [])[round] = (r.cpuSeconds * 1e6) / (r.images as number);
      ((cores[workers] ??= {})[c.id] ??= [])[round] = r.cpuSeconds / (r.seconds as number);
    }
  };

  await alternate(
    {
      tag: 'data',
      rounds,
      contenders: live,
      items: [...WORKERS, PERSISTENT],
      warmup: true,
      label: (w) => (w === PERSISTENT ? '2 persistent workers' : `${w} workers`),
    },
    measureOnce,
  );
  finish(live, failures);

  const ids: Id[] = ['torch-node', 'python'];
  const rows = WORKERS.map((w) => {
    const per = samples[w] ?? {};
    return {
      workers: w,
      imagesPerSec: { 'torch-node': summarize(per['torch-node']), python: summarize(per.python) },
      steadyImagesPerSec: {
        'torch-node': summarize(steady[w]?.['torch-node']),
        python: summarize(steady[w]?.python),
      },
      firstBatchMs: Object.fromEntries(ids.map((id) => [id, firstBatch[w]?.[id] ? median(firstBatch[w][id]) : null])),
      cpuUsPerImage: Object.fromEntries(ids.map((id) => [id, summarize(cpu[w]?.[id])?.median ?? null])),
      coresBusy: Object.fromEntries(ids.map((id) => [id, summarize(cores[w]?.[id])?.median ?? null])),
      torchNodeOverPython: pairedRatio(per['torch-node'], per.python),
    };
  });
  const last = WORKERS[WORKERS.length - 1] as number;
  const speedup = Object.fromEntries(ids.map((id) => [id, pairedRatio(samples[last]?.[id], samples[0]?.[id])]));
  const steadySpeedup = Object.fromEntries(ids.map((id) => [id, pairedRatio(steady[last]?.[id], steady[0]?.[id])]));
  // The speedup's two factors (medians of per-round ratios): cores busy, and work per image.
  const coresRatio = Object.fromEntries(ids.map((id) => [id, pairedRatio(cores[last]?.[id], cores[0]?.[id])]));
  const workRatio = Object.fromEntries(ids.map((id) => [id, pairedRatio(cpu[0]?.[id], cpu[last]?.[id])]));
  const tnSpeedup = speedup['torch-node'] ?? null;
  const tnSteady = steadySpeedup['torch-node'] ?? null;
  const persistentRow = live.some((c) => c.id === 'torch-node')
    ? {
        workers: 2,
        imagesPerSec: summarize(persistent),
        cpuUsPerImage: persistentCpu.length ? median(persistentCpu) : null,
        coresBusy: persistentCores.length ? median(persistentCores) : null,
        over0Workers: pairedRatio(persistent, samples[0]?.['torch-node']),
      }
    : null;
  return suiteResult(started, info, {
    skipped,
    failures,
    results: rows,
    speedup2Over0: speedup,
    steadySpeedup2Over0: steadySpeedup,
    coresBusy2Over0: coresRatio,
    cpuPerImage0Over2: workRatio,
    persistentTorchNode: persistentRow,
    firstPassTorchNode: firstPass,
    target: {
      speedupAtLeast: TARGET_SPEEDUP,
      met: tnSpeedup == null ? null : tnSpeedup >= TARGET_SPEEDUP,
      metSteady: tnSteady == null ? null : tnSteady >= TARGET_SPEEDUP,
    },
  });
}

type Row = {
  workers: number;
  imagesPerSec: Record<Id, Summary | null>;
  steadyImagesPerSec?: Record<Id, Summary | null>;
  firstBatchMs: Record<Id, number | null>;
  cpuUsPerImage?: Record<Id, number | null>;
  coresBusy?: Record<Id, number | null>;
  torchNodeOverPython: number | null;
};

export function dataMarkdown(result: Record<string, unknown>): string {
  const rows = result.results as Row[];
  const py = result.python as Reply | undefined;
  const speedup = result.speedup2Over0 as Record<Id, number | null>;
  const steadySpeedup = (result.steadySpeedup2Over0 ?? {}) as Partial<Record<Id, number | null>>;
  const target = result.target as { speedupAtLeast: number; met: boolean | null; metSteady?: boolean | null };
  const out: string[] = [];
  out.push('## 3. Data path: the engine DataLoader vs torch.utils.data.DataLoader', '');
  out.push(dateLine(result));
  out.push(
    `- One shuffled pass over ${result.images} synthetic 3x32x32 uint8 images in memory, batches of ${result.batchSize},`,
    '  per sample a random 32x32 crop after zero padding of 4 and a random horizontal flip; the consumer only counts the',
    "  images. The time includes starting the workers (forked processes in Python; in torch-node, building each worker's",
    "  dataset in threads that the process's first 2-worker pass started and later passes reuse); each side's main",
    '  process runs 1 intra-op thread.',
  );
  if (py) out.push(`- Python ${py.python}, torch ${py.torch} (the transforms as torchvision does them on tensors)`);
  out.push(...skippedLines(result));
  out.push('');
  out.push(
    'Median images per second over the whole pass and after the first batch (without the start-up of the workers;',
    'higher is better), and median time to the first batch:',
    '',
  );
  out.push(
    '| workers | torch-node img/s | Python img/s | torch-node / Python | torch-node after 1st batch | Python after 1st batch | torch-node first batch | Python first batch |',
    '|--:|--:|--:|--:|--:|--:|--:|--:|',
  );
  const ips = (s: Summary | null) => (s ? s.median.toFixed(0) : '–');
  for (const r of rows) {
    const ms = (x: number | null) => (x == null ? '–' : `${x.toFixed(0)} ms`);
    out.push(
      `| ${r.workers} | ${ips(r.imagesPerSec['torch-node'])} | ${ips(r.imagesPerSec.python)} | ${fmt(r.torchNodeOverPython)} | ${ips(r.steadyImagesPerSec?.['torch-node'] ?? null)} | ${ips(r.steadyImagesPerSec?.python ?? null)} | ${ms(r.firstBatchMs['torch-node'])} | ${ms(r.firstBatchMs.python)} |`,
    );
  }
  out.push('');
  out.push(
    `2 workers / 0 workers (median of the per-round ratios), whole pass: torch-node ${fmt(speedup['torch-node'])}, Python ${fmt(speedup.python)};`,
    `after the first batch: torch-node ${fmt(steadySpeedup['torch-node'])}, Python ${fmt(steadySpeedup.python)}.`,
    `Target, torch-node's at least ${target.speedupAtLeast}: whole pass ${verdict(target.met)}; after the first batch ${verdict(target.metSteady)}.`,
  );
  const range = (s: Summary | null) => (s ? `${s.min.toFixed(0)}–${s.max.toFixed(0)}` : '–');
  const us = (x: number | null | undefined) => (x == null ? '–' : x.toFixed(1));
  out.push(
    '',
    'Spread of the whole-pass throughput, the CPU time per image of all threads and processes of the loader',
    "(median; the workers' start-up included: what parallel workers cost in work, whatever the load on the host),",
    'and the cores they kept busy (CPU time over wall time, median):',
    '',
    '| workers | torch-node range (img/s) | Python range | torch-node CPU µs/image | Python CPU µs/image | torch-node cores busy | Python cores busy |',
    '|--:|--:|--:|--:|--:|--:|--:|',
  );
  const busy = (x: number | null | undefined) => (x == null ? '–' : x.toFixed(2));
  for (const r of rows)
    out.push(
      `| ${r.workers} | ${range(r.imagesPerSec['torch-node'])} | ${range(r.imagesPerSec.python)} | ${us(r.cpuUsPerImage?.['torch-node'])} | ${us(r.cpuUsPerImage?.python)} | ${busy(r.coresBusy?.['torch-node'])} | ${busy(r.coresBusy?.python)} |`,
    );
  const coresRatio = result.coresBusy2Over0 as Partial<Record<Id, number | null>> | undefined;
  const workRatio = result.cpuPerImage0Over2 as Partial<Record<Id, number | null>> | undefined;
  if (coresRatio && workRatio) {
    out.push(
      '',
      "A round's 2-worker/0-worker ratio is the product of two factors: the cores busy with 2 workers over those",
      'with 0, and the CPU per image with 0 workers over that with 2 (medians of per-round ratios):',
      `torch-node ${fmt(coresRatio['torch-node'] ?? null)} × ${fmt(workRatio['torch-node'] ?? null)},`,
      `Python ${fmt(coresRatio.python ?? null)} × ${fmt(workRatio.python ?? null)}.`,
    );
  }
  const cold = result.firstPassTorchNode as { imagesPerSec: number; firstBatchMs: number } | null | undefined;
  const zero = rows.find((r) => r.workers === 0)?.imagesPerSec['torch-node'];
  if (cold) {
    out.push(
      '',
      `torch-node's first 2-worker pass in its process (the warm-up round; its threads started then): ${cold.imagesPerSec.toFixed(0)} img/s,`,
      `${zero ? `${fmt(cold.imagesPerSec / zero.median)}x the 0-worker median, ` : ''}first batch after ${cold.firstBatchMs.toFixed(0)} ms.`,
    );
  }
  const p = result.persistentTorchNode as
    | {
        imagesPerSec: Summary | null;
        cpuUsPerImage: number | null;
        coresBusy?: number | null;
        over0Workers: number | null;
      }
    | null
    | undefined;
  if (p) {
    out.push(
      '',
      'Outside the target, torch-node only: 2 persistent workers (`persistentWorkers: true`), started and warmed by an',
      'untimed pass, timed over a later pass: what the threads give once their start is set apart.',
      '',
      '| workers | torch-node img/s | range | CPU µs/image | cores busy | / 0 workers |',
      '|--:|--:|--:|--:|--:|--:|',
      `| 2, persistent | ${ips(p.imagesPerSec)} | ${range(p.imagesPerSec)} | ${us(p.cpuUsPerImage)} | ${busy(p.coresBusy)} | ${fmt(p.over0Workers)} |`,
    );
  }
  out.push(...closingLines(result));
  return out.join('\n');
}
