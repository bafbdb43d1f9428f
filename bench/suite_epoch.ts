// Workload 4, a whole epoch: Fashion-MNIST (Debian's dataset-fashion-mnist IDX files), LeNet-5,
// SGD (lr 0.01, momentum 0.9), batches of 64, trained one epoch by the engine's Runner
// (bench/torch_node_epoch.ts: default hooks, a checkpoint, validation with Accuracy) against the
// equivalent plain Python loop (bench/python/epoch.py: DataLoader over a TensorDataset, the same
// normalisation, then the test accuracy). Reports the wall time of the training epoch and of the
// whole run with validation, and the test accuracy after the epoch.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, finish, machine, type Reply, type SuiteOptions, startSuite, suiteResult } from './common.js';
import { closingLines, dateLine, fmt, skippedLines } from './report.js';
import { median, pairedRatio, type Summary, summarize } from './stats.js';

const TRAIN_IMAGES = 60_000;
/** One thread and no data workers: the steadiest comparison on a shared 2-core host. */
const THREADS = 1;
const WORKERS = 0;
const DEFAULT_ROUNDS = 3;
type Id = 'torch-node' | 'python';
const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

export async function runEpoch(opts: SuiteOptions): Promise<Record<string, unknown>> {
  const rounds = opts.rounds ?? DEFAULT_ROUNDS;
  const images = Math.min(TRAIN_IMAGES, Math.max(640, Math.round(TRAIN_IMAGES * opts.scale)));
  const started = Date.now();
  const info: Record<string, unknown> = {
    machine: machine(),
    rounds,
    scale: opts.scale,
    images,
    threads: THREADS,
    workers: WORKERS,
  };
  const skipped: Record<string, string> = {};
  if (
    !existsSync(join(FASHION_MNIST, 'train-images-idx3-ubyte.gz')) &&
    !existsSync(join(FASHION_MNIST, 'train-images-idx3-ubyte'))
  ) {
    skipped.all = `no Fashion-MNIST in ${FASHION_MNIST} (apt-get install dataset-fashion-mnist)`;
    console.log(`skipping the epoch benchmark: ${skipped.all}`);
    return { date: new Date().toISOString(), seconds: 0, ...info, skipped, failures: [], results: {} };
  }

  const started2 = await startSuite({ node: 'torch_node_epoch.js', python: 'epoch.py' }, info);
  const { live } = started2;
  Object.assign(skipped, started2.skipped);

  const train: Record<string, (number | undefined)[]> = {};
  const total: Record<string, (number | undefined)[]> = {};
  const accuracy: Record<string, number[]> = {};
  const iterations: Record<string, number> = {};
  const failures: string[] = [];
  // One measurement per round (a whole epoch: no warm-up round), each printing its time.
  await alternate({ tag: 'epoch', rounds, contenders: live, items: [null] }, async (c, _, r) => {
    const t: Reply = await c.request(`${THREADS} ${WORKERS} ${images}`, 600_000);
    if (t.error || typeof t.trainSeconds !== 'number') {
      failures.push(`${c.id}: ${t.error ?? JSON.stringify(t)}`);
      return;
    }
    (train[c.id] ??= [])[r] = t.trainSeconds;
    (total[c.id] ??= [])[r] = t.totalSeconds as number;
    (accuracy[c.id] ??= []).push(t.accuracy as number);
    iterations[c.id] = t.iterations as number;
    process.stdout.write(` ${c.id} ${(t.trainSeconds as number).toFixed(1)} s`);
  });
  finish(live, failures);

  const ids: Id[] = ['torch-node', 'python'];
  const results = Object.fromEntries(
    ids.map((id) => [
      id,
      {
        trainSeconds: summarize(train[id]),
        totalSeconds: summarize(total[id]),
        accuracy: accuracy[id] ?? [],
        medianAccuracy: accuracy[id]?.length ? median(accuracy[id]) : null,
        iterations: iterations[id] ?? null,
      },
    ]),
  );
  return suiteResult(started, info, {
    skipped,
    failures,
    results,
    ratios: {
      trainTorchNodeOverPython: pairedRatio(train['torch-node'], train.python),
      totalTorchNodeOverPython: pairedRatio(total['torch-node'], total.python),
    },
  });
}

type Entry = {
  trainSeconds: Summary | null;
  totalSeconds: Summary | null;
  accuracy: number[];
  medianAccuracy: number | null;
  iterations: number | null;
};

export function epochMarkdown(result: Record<string, unknown>): string {
  const res = result.results as Partial<Record<Id, Entry>>;
  const py = result.python as Reply | undefined;
  const ratios = (result.ratios ?? {}) as Record<string, number | null>;
  const out: string[] = [];
  out.push('## 4. One epoch of Fashion-MNIST: the engine Runner vs the plain Python loop', '');
  out.push(dateLine(result));
  out.push(
    `- LeNet-5, SGD (lr 0.01, momentum 0.9), shuffled batches of 64 over ${result.images} training images (${res['torch-node']?.iterations ?? '?'} steps),`,
    `  then top-1 accuracy on the 10,000 test images (batches of 256); ${result.threads} intra-op thread, ${result.workers} data workers on both sides.`,
    '  torch-node: `Runner` with its default hooks (timer, logger every 10 steps, a checkpoint after the epoch), a `BaseModel`',
    '  with `ClsDataPreprocessor`, the engine `DataLoader` over `FashionMNIST`. Python: `DataLoader(TensorDataset)`,',
    '  `(x.float() - 72.9) / 90` in the loop, `loss.item()` every step. Decoding the IDX files is outside the timings.',
  );
  if (py) out.push(`- Python ${py.python}, torch ${py.torch}`);
  out.push(...skippedLines(result));
  out.push('');
  out.push(
    '| | torch-node (Runner) | Python loop | torch-node / Python |',
    '|---|--:|--:|--:|',
    `| training epoch, median s | ${fmt(res['torch-node']?.trainSeconds?.median)} | ${fmt(res.python?.trainSeconds?.median)} | ${fmt(ratios.trainTorchNodeOverPython)} |`,
    `| epoch + validation, median s | ${fmt(res['torch-node']?.totalSeconds?.median)} | ${fmt(res.python?.totalSeconds?.median)} | ${fmt(ratios.totalTorchNodeOverPython)} |`,
    `| test accuracy after the epoch, % (each round) | ${(res['torch-node']?.accuracy ?? []).map((a) => a.toFixed(2)).join(', ') || '–'} | ${(res.python?.accuracy ?? []).map((a) => a.toFixed(2)).join(', ') || '–'} | |`,
  );
  out.push(
    '',
    "The two sides shuffle differently (each loader's own generator), so their accuracies differ by chance, not by",
    'computation: the same model, batch and optimizer give identical losses (section 2).',
  );
  out.push(...closingLines(result));
  return out.join('\n');
}
