// The entry of a DataLoader worker thread. Told to serve a pool (init), it builds its copy of
// the dataset from the dataset's workerSpec(). For each pass it is told of, it takes batches from
// the pass's task list in shared memory (task_list.ts) until none is left, makes each one's
// samples (getRaw where the dataset has it, else get), collates them without torch (default or
// pseudo collate; a user collate runs in the main thread instead) and posts the batch: its
// arrays in one of the thread's shared output slots (output_slots.ts), or, where the main thread
// still holds every slot, transferred. A failure is posted as an error message for that batch,
// naming the sample; the worker stays up (the main thread decides what to do). While it takes
// batches the thread does not return to its event loop (it waits on the list when it is far
// enough ahead); a pass the loop stops early ends with the thread terminated. Released after a
// complete pass, the thread drops its dataset and waits for another init (the next pass of any
// loader).
// Torch-free: nothing here imports lib/torch (a dataset module may, at its own cost).
import { parentPort } from 'node:worker_threads';
import { rawDefaultCollate, rawPseudoCollate } from './collate_raw.js';
import { buildFromSpec, type MapDataset, rawBatchOf, sampleContext, type WorkerSpec } from './dataset.js';
import {
  copyTypedArray,
  isTypedArray,
  NDArray,
  type NDType,
  type TypedArray,
  toWire,
  transferring,
} from './ndarray.js';
import { OutputSlots, type SlotReader, type SlotRef, type SlotUpdate } from './output_slots.js';
import { type SharedTasks, TaskList } from './task_list.js';

/** Serve a pool: build this dataset, collate this way. */
export interface InitMessage {
  type: 'init';
  spec: WorkerSpec;
  collate: 'default' | 'pseudo' | 'none';
  workerId: number;
  /** Output slots to keep: one more than the batches the worker is asked to keep ready. */
  slots: number;
}

/** The pass is over and the thread idle: drop the dataset. */
export interface ReleaseMessage {
  type: 'release';
}

/** A pass begins: its batches are in `tasks`. */
export interface PassMessage {
  type: 'pass';
  pass: number;
  tasks: SharedTasks;
  epoch: number;
  seed: number;
}

/** The main thread has handed a batch of the pass back (task_list.ts): take it, if the pass's batches are all taken. */
export interface ResumeMessage {
  type: 'resume';
  pass: number;
}

/** A worker's failure on a batch. */
export interface ErrorMessage {
  type: 'error';
  pass: number;
  k: number;
  index: number | null;
  stage: string;
  name: string;
  message: string;
  stack?: string;
}

/**
 * What a worker posts: a batch, its arrays transferred, or (`slot`) in that output slot, as
 * SlotViews, with what the main thread has not been told of the slots yet; or a failure.
 */
export type PostedMessage =
  | { type: 'batch'; pass: number; k: number; data: unknown; slot?: number; update?: SlotUpdate }
  | ErrorMessage;

/** A worker's message as a pass receives it (worker_pool.ts reads the slot's views). */
export type ResultMessage =
  /**
   * A batch; `slot`: its arrays lie in that output slot, held for the message, and `views` reads
   * them (output_slots.ts).
   */
  { type: 'batch'; pass: number; k: number; data: unknown; slot?: SlotRef; views?: SlotReader } | ErrorMessage;

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
    // NDArray carries real numbers only; the interleaved pairs would come back as a real tensor.
    if (value.dtype === 'complex64' || value.dtype === 'complex128') {
      throw new TypeError(
        `a ${value.dtype} tensor cannot cross from a worker thread: return torch.viewAsReal(x) and ` +
          'torch.viewAsComplex it after loading',
      );
    }
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

function errorFields(e: unknown): { name: string; message: string; stack?: string } {
  if (e instanceof Error)
    return { name: e.name, message: e.message, ...(e.stack === undefined ? {} : { stack: e.stack }) };
  return { name: 'Error', message: String(e) };
}

if (parentPort) {
  const port = parentPort;
  type Serving = { init: InitMessage; dataset: Promise<MapDataset>; slots: OutputSlots };
  /** What the pool served now asked for, and its dataset (being) built; null while idle. */
  let serving: Serving | null = null;
  /** The thread's output slots, kept from pool to pool (a complete pass leaves them all free). */
  let slots: OutputSlots | null = null;
  /** The latest pass told of, and its task list. */
  let pass: { msg: PassMessage; tasks: TaskList } | null = null;
  let queue: Promise<void> = Promise.resolve();

  const fail = (p: PassMessage, k: number, index: number | null, stage: string, e: unknown): void => {
    port.postMessage({ type: 'error', pass: p.pass, k, index, stage, ...errorFields(e) } satisfies PostedMessage);
  };

  /** Posts batch k, written into the output slot begun for it where there is one. */
  const send = (p: PassMessage, k: number, batch: unknown, out: OutputSlots): void => {
    try {
      const transfer = new Set<ArrayBuffer>();
      const transferred = transferring(transfer);
      if (out.writing) {
        const data = toWire(batch, (a) => out.describe(out.place(a)), transferred);
        const slot = out.finish();
        const update = out.takeUpdate();
        const msg: PostedMessage = update
          ? { type: 'batch', pass: p.pass, k, data, slot: slot.index, update }
          : { type: 'batch', pass: p.pass, k, data, slot: slot.index };
        try {
          port.postMessage(msg, [...transfer]);
        } catch (e) {
          out.unsend(slot, update);
          throw e;
        }
        return;
      }
      const data = toWire(batch, transferred);
      port.postMessage({ type: 'batch', pass: p.pass, k, data } satisfies PostedMessage, [...transfer]);
    } catch (e) {
      out.abandon();
      fail(p, k, null, 'sending the batch', e);
    }
  };

  /** Makes batch k of pass p and posts it (or its failure). */
  const make = (p: PassMessage, k: number, indices: number[], dataset: MapDataset, now: Serving): void => {
    const init = now.init;
    const out = now.slots;
    // The dataset's own batch where it makes one (already collated, no per-sample arrays),
    // written straight into the output slot.
    if (init.collate === 'default') {
      const allocate = out.begin() ? out.allocate.bind(out) : undefined;
      const batch = rawBatchOf(dataset, indices, p.seed, p.epoch, allocate);
      if (batch !== undefined) {
        send(p, k, batch, out);
        return;
      }
    }
    out.begin(); // (anew: what a declining getRawBatch allocated is not sent)
    const samples: unknown[] = [];
    for (const index of indices) {
      try {
        const ctx = sampleContext(p.seed, p.epoch, index);
        const sample = typeof dataset.getRaw === 'function' ? dataset.getRaw(index, ctx) : dataset.get(index, ctx);
        samples.push(detensor(sample));
      } catch (e) {
        out.abandon();
        fail(p, k, index, 'loading the sample', e);
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
      out.abandon();
      fail(p, k, null, 'collating the batch', e);
      return;
    }
    send(p, k, collated, out);
  };

  /** Takes and makes batches of the pass until none is left (or the thread is given to another pool). */
  const serve = async (current: NonNullable<typeof pass>, now: Serving): Promise<void> => {
    let dataset: MapDataset | null = null;
    let buildError: unknown = null;
    try {
      dataset = await now.dataset;
    } catch (e) {
      buildError = e;
    }
    const { msg, tasks } = current;
    for (let k = tasks.take(); k >= 0 && serving === now; k = tasks.take()) {
      if (!tasks.claim(k)) continue; // the main thread made it
      if (dataset === null) fail(msg, k, null, 'building the dataset', buildError);
      else make(msg, k, tasks.batch(k), dataset, now);
    }
  };

  const schedule = (current: NonNullable<typeof pass>): void => {
    const now = serving;
    if (now === null) return;
    queue = queue.then(() => (serving === now && pass === current ? serve(current, now) : undefined));
  };

  port.on('message', (msg: InitMessage | ReleaseMessage | PassMessage | ResumeMessage) => {
    switch (msg?.type) {
      case 'init': {
        const dataset = buildFromSpec(msg.spec) as Promise<MapDataset>;
        dataset.catch(() => {}); // reported for the first batch taken
        if (slots?.count !== msg.slots) slots = new OutputSlots(msg.slots);
        serving = { init: msg, dataset, slots };
        pass = null;
        break;
      }
      case 'release':
        serving = null;
        pass = null;
        break;
      case 'pass':
        pass = { msg, tasks: TaskList.from(msg.tasks) };
        schedule(pass);
        break;
      case 'resume':
        if (pass !== null && pass.msg.pass === msg.pass) schedule(pass);
        break;
    }
  });
}
