// DataLoader: batches of a map-style dataset, as an async iterable.
//
//   for await (const batch of loader) { ... }
//
// Order: the sampler's (SequentialSampler, or RandomSampler from `seed` with `shuffle`), grouped
// into batches of `batchSize` (the last one dropped with `dropLast`). A pass uses the loader's
// epoch: `setEpoch(e)` (the runner calls it before each epoch) makes the next pass epoch e, as
// does the sampler's own `setEpoch(e)` (PyTorch's way for a DistributedSampler);
// without it each new pass advances the epoch by one, so plain loops reshuffle. A sample's
// randomness (its transforms) comes from (seed, epoch, index), so batches do not depend on
// `numWorkers`.
//
// numWorkers = 0: each batch is made in the main thread when it is asked for (after one turn of
// the event loop, so timers and finalizers run between batches).
// numWorkers > 0: worker threads build their copy of the dataset from `dataset.workerSpec()`,
// take the pass's batches one after another from a task list in shared memory (task_list.ts:
// a worker that is free takes the next), make and collate samples without torch, and write each
// batch into one of their output slots in shared memory, which the batch's tensors view without
// a copy; the slot is reused once they are freed (output_slots.ts). The workers keep `prefetch`
// batches each ahead of the consumer, as PyTorch does. When the loop asks for a batch that has
// not arrived and that no worker has begun, a dataset with getRawBatch (and the default collate)
// has the main thread make it itself: it would only wait otherwise (for a worker still starting,
// which takes tens of milliseconds, or busy with an earlier batch). Who makes a batch is settled
// by a compare-and-swap on its claim in the task list, so each batch is made once; only
// getRawBatch runs in the main thread, never get or getRaw (the same batches, made by the same
// code as in a worker; where it declines, the workers make that batch and the rest). The main
// thread's batches of getRawBatch go into output slots of its own, as a worker's do.
// An error in a worker rejects the loop with a DataLoaderWorkerError naming the worker, the
// sample and the message; a break or an error terminates the workers. The end of a complete
// pass releases them: their datasets are dropped and the threads wait, idle, for the next pass
// of any loader (worker_pool.ts), which spares it starting threads; `persistentWorkers` keeps
// workers and datasets across complete passes, until `close()`. Idle workers never keep the
// process alive.
//
// Tensors of a batch are made in the consumer's context: inside torch.scope they belong to that
// scope; otherwise dispose them (or let the garbage collector free them).
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import * as torch from '../../torch/index.js';
import { defaultCollate, holdsTensor, pseudoCollate, tensorize } from './collate.js';
import { rawDefaultCollate, rawPseudoCollate } from './collate_raw.js';
import { type MapDataset, rawBatchOf, sampleContext } from './dataset.js';
import { DistributedSampler } from './distributed_sampler.js';
import { InfiniteSampler, isInfinite } from './infinite_sampler.js';
import { fromWire } from './ndarray.js';
import { OutputSlots, release, type SlotReader, type SlotRef } from './output_slots.js';
import { randomSeed } from './random.js';
import { BatchSampler, RandomSampler, type Sampler, SequentialSampler } from './sampler.js';
import { TaskList, UNCLAIMED } from './task_list.js';
import type { InitMessage, ResultMessage } from './worker.js';
import { type PassHandler, WorkerPool } from './worker_pool.js';

type Tensor = torch.Tensor;

export type CollateFn<B = unknown> = (samples: unknown[]) => B;

export interface DataLoaderOptions<B = unknown> {
  dataset: MapDataset;
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** Visit the samples in a random order per epoch (default false); not with `sampler`. */
  shuffle?: boolean;
  /** The order of the indices (default: SequentialSampler, or RandomSampler with shuffle). */
  sampler?: Sampler;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /** How samples become a batch: defaultCollate (default), pseudoCollate, 'default', 'pseudo' or a function. */
  collate?: CollateFn<B> | 'default' | 'pseudo';
  /** Worker threads that make batches (default 0: the main thread, which also helps them when the loop waits). */
  numWorkers?: number;
  /** Batches each worker keeps ready ahead of the consumer (default 2). */
  prefetch?: number;
  /** Pin the batch's tensors in page-locked memory where CUDA is available (default false). */
  pinMemory?: boolean;
  /** Seed of the shuffled order and of the samples' randomness (default: a random one, fixed for this loader). */
  seed?: number;
  /**
   * Keep the workers, with their datasets, between complete passes (default false); close() ends
   * them. Without it each pass builds its workers' datasets anew, in threads that an earlier pass
   * left idle where there are some (see the module comment).
   */
  persistentWorkers?: boolean;
  /** Milliseconds to wait for a batch from the workers before failing (default 0: no limit). */
  timeout?: number;
}

/** An error in a data worker, surfaced in the consuming loop. */
export class DataLoaderWorkerError extends Error {
  readonly workerId: number;
  /** The sample that failed, or null when the failure was not a sample's (building the dataset, collating). */
  readonly sampleIndex: number | null;
  readonly batchIndex: number;

  constructor(
    message: string,
    fields: { workerId: number; sampleIndex: number | null; batchIndex: number; cause?: unknown },
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'DataLoaderWorkerError';
    this.workerId = fields.workerId;
    this.sampleIndex = fields.sampleIndex;
    this.batchIndex = fields.batchIndex;
  }
}

type CollateMode = 'default' | 'pseudo' | 'none';

/** The epoch a sampler is at, where it says (RandomSampler, DistributedSampler, DefaultSampler). */
function epochOf(sampler: Sampler): number | undefined {
  const e = (sampler as { epoch?: unknown }).epoch;
  return typeof e === 'number' && Number.isSafeInteger(e) && e >= 0 ? e : undefined;
}

let passCounter = 0;

/**
 * A batch that has arrived: from a worker (wire form; `slot`: in that output slot, held for the
 * message until the batch's tensors are made), made in the main thread (raw: arrays, not yet
 * tensors), or a worker's error.
 */
type Entry = FromWorker | RawBatch | { error: Error };
/** A batch from a worker: wire form; in an output slot, its hold and its reader (see ResultMessage). */
type FromWorker = { data: unknown; slot?: SlotRef | undefined; views?: SlotReader | undefined };
/** A batch of getRawBatch made in the main thread (arrays, not yet tensors), in its slot where it has one. */
type RawBatch = { raw: unknown; slot?: SlotRef | undefined };
type Batch = Exclude<Entry, { error: Error }>;

/** One pass over the loader: an async iterator of batches. */
class Pass<B> implements AsyncIterableIterator<B>, PassHandler {
  private readonly id = ++passCounter;
  private readonly batches: number[][];
  private k = 0;
  private finished = false;
  private started = false;
  private pool: WorkerPool | null = null;
  /** The batches in shared memory, for the workers to take (task_list.ts). */
  private tasks: TaskList | null = null;
  /** Whether the main thread makes batches that no worker has begun (see the module comment). */
  private stealing = false;
  private readonly results = new Map<number, Entry>();
  private waiting: { k: number; resolve: (v: Batch) => void; reject: (e: Error) => void } | null = null;
  private fatal: Error | null = null;

  constructor(
    private readonly loader: DataLoader<B>,
    private readonly epoch: number,
  ) {
    const sampler = loader.sampler;
    if (isInfinite(sampler)) {
      // The loader's length in full batches, from where the endless stream is (see infinite_sampler.ts).
      const size = loader.batchSize;
      const indices = sampler.take(loader.length * size);
      this.batches = [];
      for (let s = 0; s < indices.length; s += size) this.batches.push(indices.slice(s, s + size));
    } else this.batches = new BatchSampler(sampler, loader.batchSize, loader.dropLast).all();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<B>> {
    if (this.finished) return { done: true, value: undefined };
    try {
      if (!this.started) {
        this.started = true;
        if (this.loader.numWorkers > 0 && this.batches.length > 0) {
          this.pool = this.loader._acquirePool(this.batches.length);
          this.pool.attach(this);
          if (this.pool.broken) throw this.pool.broken;
          this.tasks = TaskList.of(this.batches);
          this.stealing = this.loader._canMakeRawBatches();
          this.pool.announce({
            type: 'pass',
            pass: this.id,
            tasks: this.tasks.shared,
            epoch: this.epoch,
            seed: this.loader.seed,
          });
          this.fill();
        }
      }
      if (this.k >= this.batches.length) {
        await this.close(true);
        return { done: true, value: undefined };
      }
      if (!this.pool) {
        await yieldToLoop();
        const batch = this.loader._loadInMain(this.batches[this.k] as number[], this.epoch);
        this.k++;
        return { done: false, value: this.loader._pin(batch) as B };
      }
      if (this.stealing && !this.results.has(this.k)) {
        // One turn of the event loop first, as without workers: the batch may be in a port.
        await yieldToLoop();
        if (this.fatal) throw this.fatal;
        // While batch k is not here, the main thread makes what no worker has begun: batch k
        // itself, else the next such batch (kept until it is asked for).
        while (this.stealing && !this.results.has(this.k) && !this.finished) {
          const j = this.unclaimed();
          if (j < 0) break;
          const raw = this.makeInMain(j);
          if (raw === undefined) break;
          this.results.set(j, raw);
          if (j === this.k) break;
          await yieldToLoop(); // batch k may have arrived meanwhile
          if (this.fatal) throw this.fatal;
        }
      }
      const batch = await this.result(this.k);
      this.k++;
      this.fill();
      let value: unknown;
      try {
        value = 'raw' in batch ? this.loader._tensorizeRaw(batch) : this.loader._fromWorker(batch);
      } finally {
        if (batch.slot) release(batch.slot);
      }
      return { done: false, value: this.loader._pin(value) as B };
    } catch (e) {
      await this.close(false);
      throw e;
    }
  }

  async return(): Promise<IteratorResult<B>> {
    await this.close(false);
    return { done: true, value: undefined };
  }

  /** Lets the workers make batches until they are `prefetch` each ahead of the loop. */
  private fill(): void {
    (this.tasks as TaskList).allow(this.k + (this.pool as WorkerPool).threads.length * this.loader.prefetch);
  }

  /** The first batch from k on that the workers may make and that none has begun (-1: none). */
  private unclaimed(): number {
    const tasks = this.tasks as TaskList;
    for (let j = this.k, end = tasks.limit; j < end; j++)
      if (!this.results.has(j) && tasks.claimOf(j) === UNCLAIMED) return j;
    return -1;
  }

  /**
   * Batch k made in the main thread (raw), where no worker has begun it; undefined where a worker
   * has, or where getRawBatch declines (the workers then make it, and every later batch).
   */
  private makeInMain(k: number): RawBatch | undefined {
    const tasks = this.tasks as TaskList;
    if (!tasks.claimForMain(k)) return undefined;
    const batch = this.loader._makeRaw(this.batches[k] as number[], this.epoch);
    if (batch !== undefined) return batch;
    this.stealing = false;
    tasks.handBack(k);
    // For a worker whose loop has ended: all the pass's batches were taken.
    (this.pool as WorkerPool).announce({ type: 'resume', pass: this.id });
    return undefined;
  }

  private result(k: number): Promise<Batch> {
    if (this.fatal) return Promise.reject(this.fatal);
    const r = this.results.get(k);
    if (r) {
      this.results.delete(k);
      return 'error' in r ? Promise.reject(r.error) : Promise.resolve(r);
    }
    const pool = this.pool as WorkerPool;
    const timeout = this.loader.timeout;
    let timer: NodeJS.Timeout | undefined;
    pool.ref();
    return new Promise<Batch>((resolve, reject) => {
      this.waiting = { k, resolve, reject };
      if (timeout > 0) {
        timer = setTimeout(
          () => this.onFatal(new Error(`DataLoader: no batch ${k} from the workers after ${timeout} ms (timeout)`)),
          timeout,
        );
      }
    }).finally(() => {
      clearTimeout(timer);
      pool.unref();
    });
  }

  onMessage(msg: ResultMessage, workerId: number): void {
    if (msg.pass !== this.id || this.finished) {
      if (msg.type === 'batch' && msg.slot) release(msg.slot);
      return;
    }
    let entry: Entry;
    if (msg.type === 'batch') {
      entry = { data: msg.data, slot: msg.slot, views: msg.views };
    } else {
      const remote = new Error(msg.message);
      remote.name = msg.name;
      if (msg.stack !== undefined) remote.stack = msg.stack;
      const where = msg.index === null ? `batch ${msg.k}` : `sample ${msg.index} (batch ${msg.k})`;
      entry = {
        error: new DataLoaderWorkerError(
          `DataLoader worker ${workerId} failed on ${where} while ${msg.stage}: ${msg.name}: ${msg.message}`,
          {
            workerId,
            sampleIndex: msg.index,
            batchIndex: msg.k,
            cause: remote,
          },
        ),
      };
    }
    const w = this.waiting;
    if (w && w.k === msg.k) {
      this.waiting = null;
      if ('error' in entry) w.reject(entry.error);
      else w.resolve(entry);
    } else {
      this.results.set(msg.k, entry);
    }
  }

  onFatal(err: Error): void {
    this.fatal ??= err;
    const w = this.waiting;
    if (w) {
      this.waiting = null;
      w.reject(err);
    }
  }

  private async close(completed: boolean): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    for (const r of this.results.values()) if ('slot' in r && r.slot) release(r.slot);
    this.results.clear();
    const pool = this.pool;
    this.pool = null;
    if (pool) await this.loader._releasePool(pool, completed);
  }
}

/** Batches of a map-style dataset, as an async iterable; see the module comment. */
export class DataLoader<B = unknown> implements AsyncIterable<B> {
  readonly dataset: MapDataset;
  readonly batchSize: number;
  private _sampler: Sampler;
  readonly dropLast: boolean;
  readonly collate: CollateFn<B>;
  readonly numWorkers: number;
  readonly prefetch: number;
  readonly pinMemory: boolean;
  private _seed: number;
  /** Whether `seed` was given (else the runner may give its own: _adoptSeed). */
  private readonly seedGiven: boolean;
  /** Whether the loader made its sampler itself (shuffle: a RandomSampler of its seed). */
  private readonly ownSampler: boolean;
  readonly persistentWorkers: boolean;
  readonly timeout: number;
  private readonly collateMode: CollateMode;
  private _epoch = 0;
  private epochGiven = true;
  /** The epoch the loader last gave its sampler (a different one there: the user set it). */
  private samplerEpoch: number | undefined;
  private passes = 0;
  private pool: WorkerPool | null = null;
  private liveWorkers = 0;
  /** Where the main thread makes batches of getRawBatch (made on first use). */
  private mainSlots: OutputSlots | null = null;

  constructor(options: DataLoaderOptions<B>) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError('DataLoader: expected an options object ({dataset, batchSize, ...})');
    const known = new Set([
      'dataset',
      'batchSize',
      'shuffle',
      'sampler',
      'dropLast',
      'collate',
      'numWorkers',
      'prefetch',
      'pinMemory',
      'seed',
      'persistentWorkers',
      'timeout',
    ]);
    for (const k of Object.keys(options)) if (!known.has(k)) throw new TypeError(`DataLoader: unknown option '${k}'`);
    const ds = options.dataset;
    if (!ds || typeof ds.get !== 'function' || !Number.isInteger(ds.length)) {
      throw new TypeError('DataLoader: dataset must have an integer `length` and a `get(index)` method');
    }
    this.dataset = ds;
    this.batchSize = options.batchSize ?? 1;
    if (!Number.isInteger(this.batchSize) || this.batchSize <= 0) {
      throw new Error(
        `DataLoader: batchSize should be a positive integer value, but got batchSize=${String(options.batchSize)}`,
      );
    }
    this.dropLast = options.dropLast ?? false;
    this.seedGiven = options.seed !== undefined;
    this._seed = options.seed ?? randomSeed();
    if (!Number.isSafeInteger(this._seed))
      throw new TypeError(`DataLoader: seed must be an integer, got ${String(options.seed)}`);
    if (options.sampler && options.shuffle)
      throw new Error('DataLoader: sampler option is mutually exclusive with shuffle');
    this._sampler =
      options.sampler ?? (options.shuffle ? new RandomSampler(ds, { seed: this._seed }) : new SequentialSampler(ds));
    this.ownSampler = options.sampler === undefined;
    const c = options.collate ?? defaultCollate;
    if (c === 'default' || c === defaultCollate) {
      this.collateMode = 'default';
      this.collate = defaultCollate as CollateFn<B>;
    } else if (c === 'pseudo' || c === pseudoCollate) {
      this.collateMode = 'pseudo';
      this.collate = pseudoCollate as CollateFn<B>;
    } else if (typeof c === 'function') {
      this.collateMode = 'none';
      this.collate = c as CollateFn<B>;
    } else {
      throw new TypeError(`DataLoader: collate must be a function, 'default' or 'pseudo', got ${String(c)}`);
    }
    this.numWorkers = options.numWorkers ?? 0;
    if (!Number.isInteger(this.numWorkers) || this.numWorkers < 0) {
      throw new Error(
        `DataLoader: numWorkers option should be a non-negative integer, got ${String(options.numWorkers)}`,
      );
    }
    this.prefetch = options.prefetch ?? 2;
    if (!Number.isInteger(this.prefetch) || this.prefetch < 1)
      throw new Error(`DataLoader: prefetch should be a positive integer, got ${String(options.prefetch)}`);
    if (this.numWorkers > 0 && typeof ds.workerSpec !== 'function') {
      throw new TypeError(
        'DataLoader: numWorkers > 0 needs a dataset with workerSpec() (how a worker builds it: {module, exportName, args}); use numWorkers: 0 for this dataset',
      );
    }
    this.pinMemory = options.pinMemory ?? false;
    this.persistentWorkers = options.persistentWorkers ?? false;
    if (this.persistentWorkers && this.numWorkers === 0)
      throw new Error('DataLoader: persistentWorkers option needs numWorkers > 0');
    this.timeout = options.timeout ?? 0;
    if (!(this.timeout >= 0))
      throw new Error(`DataLoader: timeout option should be non-negative, got ${String(options.timeout)}`);
    // A sampler whose epoch was set before the loader was made keeps it (and the loader takes it).
    const given = epochOf(this.sampler);
    if (given !== undefined && given > 0) this._epoch = given;
    this.tellSampler(this._epoch);
  }

  /** Sets the sampler's epoch, and remembers it (see samplerEpoch). */
  private tellSampler(epoch: number): void {
    this.sampler.setEpoch?.(epoch);
    this.samplerEpoch = epoch;
  }

  /** The seed of the shuffled order and of the samples' randomness. */
  get seed(): number {
    return this._seed;
  }

  /**
   * @internal The Runner's `randomness.seed`, for a loader made without a seed of its own (MMEngine
   * builds its loaders with the runner's seed, so that a seeded run, and its resumption, see the
   * same order and the same augmentations). A loader given a seed keeps it.
   */
  _adoptSeed(seed: number): void {
    if (this.seedGiven || seed === this._seed) return;
    if (!Number.isSafeInteger(seed)) throw new TypeError(`DataLoader: seed must be an integer, got ${String(seed)}`);
    const old = this._seed;
    this._seed = seed;
    const s = this._sampler;
    if (this.ownSampler && s instanceof RandomSampler) {
      this._sampler = new RandomSampler(this.dataset, { seed });
    } else if (s instanceof DistributedSampler && s.seed === old) {
      // The launcher's share of this loader's own order (distributed_setup.ts): the same share of the new seed's.
      const { shuffle, rank, worldSize, dropLast } = s;
      this._sampler = new DistributedSampler(this.dataset, { shuffle, seed, rank, worldSize, dropLast });
    } else if (s instanceof InfiniteSampler && s.seed === old) {
      this._sampler = new InfiniteSampler(this.dataset, {
        shuffle: s.shuffle,
        seed,
        rank: s.rank,
        worldSize: s.worldSize,
      });
    } else return;
    this.tellSampler(this._epoch);
  }

  /** The order of the indices. */
  get sampler(): Sampler {
    return this._sampler;
  }

  /**
   * Replaces the sampler from the next pass on, at the current epoch (the Runner's launcher
   * 'pytorch' gives each rank its share this way: a DistributedSampler).
   */
  setSampler(sampler: Sampler): void {
    if (!sampler || typeof sampler[Symbol.iterator] !== 'function' || !Number.isInteger(sampler.length)) {
      throw new TypeError('DataLoader.setSampler: expected a sampler (an iterable of indices with a length)');
    }
    this._sampler = sampler;
    this.tellSampler(this._epoch);
  }

  /** Number of batches in a pass. */
  get length(): number {
    const n = this.sampler.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The epoch of the current (or next) pass. */
  get epoch(): number {
    return this._epoch;
  }

  /** Makes the next pass epoch `epoch`: its shuffled order and sample randomness. */
  setEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0)
      throw new TypeError(`setEpoch: epoch must be a non-negative integer, got ${String(epoch)}`);
    this._epoch = epoch;
    this.epochGiven = true;
    this.tellSampler(epoch);
  }

  /** Worker threads of this loader that are running now. */
  get activeWorkers(): number {
    return this.liveWorkers;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<B> {
    // PyTorch's loop calls sampler.setEpoch(e) itself (a DistributedSampler's): that epoch wins.
    const set = epochOf(this.sampler);
    if (set !== undefined && set !== this.samplerEpoch) {
      this._epoch = set;
      this.epochGiven = true;
      this.samplerEpoch = set;
    }
    if (this.passes > 0 && !this.epochGiven) {
      this._epoch++;
      this.tellSampler(this._epoch);
    }
    this.passes++;
    this.epochGiven = false;
    return new Pass<B>(this, this._epoch);
  }

  /** Ends persistent workers (a running pass keeps its own until it ends). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    if (pool && !pool.attached) await pool.terminate();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal */
  _acquirePool(numBatches: number): WorkerPool {
    if (this.persistentWorkers && this.pool && !this.pool.attached) {
      if (!this.pool.broken) return this.pool;
      void this.pool.terminate();
      this.pool = null;
    }
    const spec = (this.dataset.workerSpec as () => InitMessage['spec'])();
    const n = this.persistentWorkers ? this.numWorkers : Math.min(this.numWorkers, numBatches);
    const pool = new WorkerPool(
      n,
      { spec, collate: this.collateMode, slots: this.prefetch + 1 },
      () => {
        this.liveWorkers++;
      },
      () => {
        this.liveWorkers--;
      },
    );
    if (this.persistentWorkers && !this.pool) this.pool = pool;
    return pool;
  }

  /** @internal */
  async _releasePool(pool: WorkerPool, completed: boolean): Promise<void> {
    pool.attach(null);
    if (completed && pool === this.pool && !pool.broken) return;
    if (pool === this.pool) this.pool = null;
    // A complete pass of a loader that does not keep its workers leaves nothing in flight: its
    // threads can serve the next pass (see DataThread).
    if (completed && !pool.broken && !this.persistentWorkers) pool.park();
    else await pool.terminate();
  }

  /** @internal A batch made in the main thread. */
  _loadInMain(indices: number[], epoch: number): unknown {
    const ds = this.dataset;
    const raw = this._canMakeRawBatches() ? this._makeRaw(indices, epoch) : undefined;
    if (raw !== undefined) {
      try {
        return this._tensorizeRaw(raw);
      } finally {
        if (raw.slot) release(raw.slot);
      }
    }
    return torch.scope(() => {
      if (this.collateMode !== 'none' && typeof ds.getRaw === 'function') {
        const getRaw = ds.getRaw.bind(ds);
        const samples = indices.map((i) => getRaw(i, sampleContext(this.seed, epoch, i)));
        // A wrapper's getRaw (Subset's, say) gives the inner dataset's get where that has no
        // getRaw: samples of tensors, which only the tensor-aware collation takes.
        if (samples.some(holdsTensor)) return this.collate(samples.map((s) => tensorize(s)));
        const raw = this.collateMode === 'default' ? rawDefaultCollate(samples) : rawPseudoCollate(samples);
        // Default collation made every array anew: the tensors can own them.
        return tensorize(raw, this.collateMode === 'default');
      }
      // NDArrays in samples become tensors before the collate function sees them, as they do
      // when the samples come from a worker.
      return this.collate(indices.map((i) => tensorize(ds.get(i, sampleContext(this.seed, epoch, i)))));
    });
  }

  /** @internal Whether the main thread can make batches as the workers do: the dataset's getRawBatch, with the default collate. */
  _canMakeRawBatches(): boolean {
    return this.collateMode === 'default' && typeof this.dataset.getRawBatch === 'function';
  }

  /**
   * @internal The dataset's getRawBatch of `indices`, made in the main thread into one of its own
   * output slots where one is free (as a worker makes it: no buffer for V8 to track and collect
   * per batch), or undefined where getRawBatch declines.
   */
  _makeRaw(indices: number[], epoch: number): RawBatch | undefined {
    const slots = (this.mainSlots ??= new OutputSlots(this.numWorkers * this.prefetch + 2));
    const allocate = slots.begin() ? slots.allocate.bind(slots) : undefined;
    const raw = rawBatchOf(this.dataset, indices, this.seed, epoch, allocate);
    if (raw === undefined) {
      slots.abandon();
      return undefined;
    }
    return allocate ? { raw, slot: slots.finish() } : { raw };
  }

  /**
   * @internal A batch of getRawBatch made in the main thread, as tensors: over its slot, which
   * they hold, or over the arrays the dataset made anew (they own them).
   */
  _tensorizeRaw(batch: RawBatch): unknown {
    return torch.scope(() => tensorize(batch.raw, batch.slot ?? true));
  }

  /** @internal A batch received from a worker: tensors over its output slot, or over the transferred buffers. */
  _fromWorker(batch: FromWorker): unknown {
    return torch.scope(() => {
      const views = batch.views;
      const data = fromWire(batch.data, views && ((v) => views.view(v)));
      const value = tensorize(data, batch.slot ?? true);
      return this.collateMode === 'none' ? this.collate(value as unknown[]) : value;
    });
  }

  /** @internal */
  _pin(batch: unknown): unknown {
    if (!this.pinMemory || !torch.cuda.isAvailable()) return batch;
    const pin = (v: unknown): unknown => {
      if (v instanceof torch.Tensor) {
        if (v.device !== 'cpu' || v.isPinned()) return v;
        const p: Tensor = v.pinMemory();
        v.dispose();
        return p;
      }
      if (Array.isArray(v)) return v.map(pin);
      if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, pin(x)]));
      }
      return v;
    };
    return pin(batch);
  }
}
