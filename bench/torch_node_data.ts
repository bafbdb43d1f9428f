// The torch-node contender of the data-path benchmark (workload 3): one pass of the engine's
// DataLoader over a synthetic set of 3x32x32 uint8 images held in memory (an ImageDataset over
// a SharedArrayBuffer, as CIFAR10 holds its pixels), with RandomCrop(32, padding 4) and a
// horizontal RandomFlip per sample, shuffled batches of BATCH, with WORKERS worker threads. The
// consumer only counts the images and frees each batch. The time includes starting the workers
// (a new pass starts them, as PyTorch's DataLoader does without persistent workers). With
// PERSISTENT 1 (an extra row of the report, not the workload of the target): a loader with
// persistentWorkers, kept across requests, whose workers an untimed first pass has started and
// warmed; the time is that of a later pass.
//
//   node dist/bench/torch_node_data.js WORKERS IMAGES BATCH [PERSISTENT]   one JSON line
//   node dist/bench/torch_node_data.js --serve                a hello line, then one
//                                                             measurement per stdin line
import { DataLoader, ImageDataset } from '../lib/engine/index.js';
import * as torch from '../lib/index.js';
import { serve } from './serve.js';

const SHAPE: [number, number, number] = [3, 32, 32];
const PIXELS = SHAPE[0] * SHAPE[1] * SHAPE[2];

let cached: { n: number; dataset: ImageDataset } | null = null;

/** N seeded random images and labels, in shared memory that the data workers read in place. */
function dataset(n: number): ImageDataset {
  if (cached?.n === n) return cached.dataset;
  const images = new Uint8Array(new SharedArrayBuffer(n * PIXELS));
  const labels = new Uint8Array(new SharedArrayBuffer(n));
  const words = new Uint32Array(images.buffer, 0, images.length >> 2);
  let s = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    // xorshift32
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    words[i] = s >>> 0;
  }
  for (let i = 0; i < n; i++) labels[i] = (images[i * PIXELS] as number) % 10;
  const ds = new ImageDataset(
    { type: 'array', images, labels, shape: SHAPE },
    {
      transforms: [
        { type: 'RandomCrop', size: 32, padding: 4 },
        { type: 'RandomFlip', prob: 0.5, direction: 'horizontal' },
      ],
      format: 'tuple',
    },
  );
  cached = { n, dataset: ds };
  return ds;
}

export interface DataMeasurement {
  contender: 'torch-node';
  workers: number;
  persistent: boolean;
  images: number;
  batches: number;
  seconds: number;
  imagesPerSec: number;
  /** Milliseconds from the start of the pass to the first batch (worker start-up included). */
  firstBatchMs: number;
  /** CPU time of the process during the pass, all threads (the workers' included). */
  cpuSeconds: number;
  liveAfter: number;
}

let kept: { key: string; loader: DataLoader } | null = null;

/** The persistent loader of these parameters, its workers started and warmed by one pass. */
async function persistentLoader(workers: number, n: number, batchSize: number): Promise<DataLoader> {
  const key = `${workers} ${n} ${batchSize}`;
  if (kept?.key === key) return kept.loader;
  await kept?.loader.close();
  const loader = new DataLoader({
    dataset: dataset(n),
    batchSize,
    shuffle: true,
    numWorkers: workers,
    seed: 0,
    persistentWorkers: true,
  });
  for await (const [imgs, labels] of loader as AsyncIterable<[torch.Tensor, torch.Tensor]>) {
    imgs.dispose();
    labels.dispose();
  }
  kept = { key, loader };
  return loader;
}

export async function measure(
  workers: number,
  n: number,
  batchSize: number,
  persistent = false,
): Promise<DataMeasurement> {
  if (persistent && workers === 0) throw new Error('persistent workers need WORKERS > 0');
  const ds = dataset(n);
  const loader = persistent
    ? await persistentLoader(workers, n, batchSize)
    : new DataLoader({ dataset: ds, batchSize, shuffle: true, numWorkers: workers, seed: 0 });
  const before = torch.memory().tensors;
  let images = 0;
  let batches = 0;
  let firstBatchMs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for await (const batch of loader as AsyncIterable<[torch.Tensor, torch.Tensor]>) {
    const [imgs, labels] = batch;
    if (batches === 0) firstBatchMs = Number(process.hrtime.bigint() - t0) / 1e6;
    images += imgs.shape[0] as number;
    batches++;
    imgs.dispose();
    labels.dispose();
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // Ended workers have been joined: their time is in the process's.
  const cpu = process.cpuUsage(cpu0);
  if (images !== n) throw new Error(`the pass gave ${images} images, not ${n}`);
  return {
    contender: 'torch-node',
    workers,
    persistent,
    images,
    batches,
    seconds,
    imagesPerSec: images / seconds,
    firstBatchMs,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    liveAfter: torch.memory().tensors - before,
  };
}

torch.setNumThreads(1);
await serve({
  request: 'WORKERS IMAGES BATCH [PERSISTENT]',
  integers: true,
  answer: (f) => measure(Number(f[0]), Number(f[1]), Number(f[2]), f[3] === '1'),
});
