// The entry of a DataLoader worker thread. Told to serve a pool (init), it builds its copy of
// the dataset from the dataset's workerSpec(), then, for each task (a batch: its index k and
// sample indices), makes the samples (getRaw where the dataset has it, else get), collates them
// without torch (default or pseudo collate; a user collate runs in the main thread instead) and
// posts the batch with every ArrayBuffer in the transfer list. A failure is posted as an error message for that batch,
// naming the sample; the worker stays up (the main thread decides what to do). Where the main
// thread may make batches too, a pass's claims (shared memory) say who makes each: a task is
// skipped when the main thread has claimed its batch first. Released after a complete pass, the
// thread drops its dataset and waits for another init (the next pass of any loader); tasks still
// queued then (batches the main thread made) are dropped.
// Torch-free: nothing here imports lib/torch (a dataset module may, at its own cost).
import { parentPort } from 'node:worker_threads';
import { rawDefaultCollate, rawPseudoCollate } from './collate_raw.js';
import { buildFromSpec, type MapDataset, rawBatchOf, sampleContext, type WorkerSpec } from './dataset.js';
import { copyTypedArray, isTypedArray, NDArray, type NDType, type TypedArray, toWire } from './ndarray.js';

/** Serve a pool: build this dataset, collate this way. */
export interface InitMessage {
  type: 'init';
  spec: WorkerSpec;
  collate: 'default' | 'pseudo' | 'none';
  workerId: number;
}

/** The pass is over and the thread idle: drop the dataset, and the tasks still queued. */
export interface ReleaseMessage {
  type: 'release';
}

export interface TaskMessage {
  type: 'task';
  pass: number;
  k: number;
  indices: number[];
  epoch: number;
  seed: number;
}

/** A pass begins: who makes each of its batches is claimed in `claims` (0: nobody yet). */
export interface PassMessage {
  type: 'pass';
  pass: number;
  claims: Int32Array;
}

/** Values of a claim. */
export const CLAIMED_BY_WORKER = 1;
export const CLAIMED_BY_MAIN = 2;

export type ResultMessage =
  | { type: 'batch'; pass: number; k: number; data: unknown }
  | {
      type: 'error';
      pass: number;
      k: number;
      index: number | null;
      stage: string;
      name: string;
      message: string;
      stack?: string;
    };

interface TensorLike {
  shape: number[];
  dtype: string;
  toTypedArray(): TypedArray;
  dispose?(): void;
}

const isTensorLike = (x: unknown): x is TensorLike =>
  typeof x === 'object' &&
  x !== null &&
  '_h' in x &&
  typeof (x as unknown as TensorLike).toTypedArray === 'function' &&
  Array.isArray((x as unknown as TensorLike).shape);

/** Tensors in a sample (from a dataset whose get makes them) become NDArrays (copies). */
function detensor(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (isTensorLike(value)) {
    const data = copyTypedArray(value.toTypedArray());
    const dtype = value.dtype === 'bool' ? 'bool' : undefined;
    return new NDArray(data, value.shape, dtype as NDType | undefined);
  }
  if (Array.isArray(value)) return value.map(detensor);
  if (value instanceof NDArray || isTypedArray(value)) return value;
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = detensor(v);
    return out;
  }
  return value;
}

/**
 * The indices of a task as small integers. A message's numbers arrive boxed, and offsets computed
 * from boxed numbers stay floating-point in optimised code: every pixel offset of getRawBatch
 * then costs a conversion (measured: 1.5x the time per image). Anything that is not an int32
 * (a bad index) is kept as it is, for the dataset to report.
 */
function smallIntegers(indices: readonly number[]): number[] {
  const out: number[] = [];
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    out.push((i | 0) === i ? i | 0 : i);
  }
  return out;
}

function errorFields(e: unknown): { name: string; message: string; stack?: string } {
  if (e instanceof Error)
    return { name: e.name, message: e.message, ...(e.stack === undefined ? {} : { stack: e.stack }) };
  return { name: 'Error', message: String(e) };
}

if (parentPort) {
  const port = parentPort;
  /** What the pool served now asked for, and its dataset (being) built; null while idle. */
  let serving: { init: InitMessage; dataset: Promise<MapDataset> } | null = null;
  let queue: Promise<void> = Promise.resolve();
  /** The claims of the latest pass announced. */
  let claims: PassMessage | null = null;

  const fail = (msg: TaskMessage, index: number | null, stage: string, e: unknown): void => {
    port.postMessage({
      type: 'error',
      pass: msg.pass,
      k: msg.k,
      index,
      stage,
      ...errorFields(e),
    } satisfies ResultMessage);
  };

  const send = (msg: TaskMessage, batch: unknown): void => {
    try {
      const transfer = new Set<ArrayBuffer>();
      const data = toWire(batch, transfer);
      port.postMessage({ type: 'batch', pass: msg.pass, k: msg.k, data } satisfies ResultMessage, [...transfer]);
    } catch (e) {
      fail(msg, null, 'sending the batch', e);
    }
  };

  const run = async (msg: TaskMessage, now: NonNullable<typeof serving>): Promise<void> => {
    const init = now.init;
    let dataset: MapDataset;
    try {
      dataset = await now.dataset;
    } catch (e) {
      fail(msg, null, 'building the dataset', e);
      return;
    }
    if (
      claims !== null &&
      claims.pass === msg.pass &&
      Atomics.compareExchange(claims.claims, msg.k, 0, CLAIMED_BY_WORKER) !== 0
    )
      return; // the main thread made this batch
    const indices = smallIntegers(msg.indices);
    // The dataset's own batch where it makes one (already collated, no per-sample arrays).
    const batch = init.collate === 'default' ? rawBatchOf(dataset, indices, msg.seed, msg.epoch) : undefined;
    if (batch !== undefined) {
      send(msg, batch);
      return;
    }
    const samples: unknown[] = [];
    for (const index of indices) {
      try {
        const ctx = sampleContext(msg.seed, msg.epoch, index);
        const sample = typeof dataset.getRaw === 'function' ? dataset.getRaw(index, ctx) : dataset.get(index, ctx);
        samples.push(detensor(sample));
      } catch (e) {
        fail(msg, index, 'loading the sample', e);
        return;
      }
    }
    let collated: unknown;
    try {
      collated =
        init.collate === 'default'
          ? rawDefaultCollate(samples)
          : init.collate === 'pseudo'
            ? rawPseudoCollate(samples)
            : samples;
    } catch (e) {
      fail(msg, null, 'collating the batch', e);
      return;
    }
    send(msg, collated);
  };

  port.on('message', (msg: InitMessage | ReleaseMessage | PassMessage | TaskMessage) => {
    switch (msg?.type) {
      case 'init': {
        const dataset = buildFromSpec(msg.spec) as Promise<MapDataset>;
        dataset.catch(() => {}); // reported with the first task
        serving = { init: msg, dataset };
        claims = null;
        break;
      }
      case 'release':
        serving = null;
        claims = null;
        break;
      case 'pass':
        claims = msg;
        break;
      case 'task': {
        const now = serving;
        if (now === null) break;
        // Run in turn, unless the thread has been released or given to another pool meanwhile.
        queue = queue.then(() => (serving === now ? run(msg, now) : undefined));
        break;
      }
    }
  });
}
