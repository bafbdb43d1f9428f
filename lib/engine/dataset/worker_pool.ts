// The worker threads of the DataLoader: DataThread (one thread, which serves one pool at a time
// and waits in the idle list between passes), and WorkerPool (the threads of one pass, or of a
// loader's life with persistentWorkers): passes announced, results and failures in. What a thread runs
// is ./worker.ts; what a pass asks of its pool is in ./dataloader.ts.
import { Worker } from 'node:worker_threads';
import { release, SlotReader } from './output_slots.js';
import type {
  InitMessage,
  PassMessage,
  PostedMessage,
  ReleaseMessage,
  ResultMessage,
  ResumeMessage,
} from './worker.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);

/** What a pool reports to the pass it serves. */
export interface PassHandler {
  onMessage(msg: ResultMessage, workerId: number): void;
  onFatal(err: Error): void;
}

/**
 * A data worker thread. A pool takes it for a pass (or, with persistentWorkers, for the loader's
 * life) and tells it which dataset to build; after a complete pass of a loader that does not keep
 * its workers, it waits in the idle list for the next pass of any loader, which builds its own
 * dataset in it anew: what that skips is starting a Node.js environment, loading the modules
 * and compiling the hot code (tens of milliseconds of CPU each time). Idle threads never keep
 * the process alive, and end after IDLE_MS unused.
 */
class DataThread {
  readonly worker: Worker;
  /** The pool it serves now, and its index there; null while idle. */
  pool: WorkerPool | null = null;
  id = 0;

  /** The thread's output slots, as the main thread knows them. */
  private readonly slots = new SlotReader();

  constructor() {
    this.worker = new Worker(WORKER_URL);
    this.worker.on('message', (m: PostedMessage) => {
      let msg: ResultMessage;
      try {
        msg = this.read(m);
      } catch (e) {
        this.pool?.onError(this, e as Error);
        return;
      }
      if (this.pool) this.pool.onMessage(msg, this.id);
      else if (msg.type === 'batch' && msg.slot) release(msg.slot);
    });
    this.worker.on('error', (e: Error) => this.pool?.onError(this, e));
    this.worker.on('exit', (code) => {
      const i = idleThreads.indexOf(this);
      if (i >= 0) idleThreads.splice(i, 1);
      this.pool?.onExit(this, code);
    });
    // After the 'message' listener: adding the first one refs the worker's port again.
    this.worker.unref();
  }

  /** A message as a pass takes it: what it says of the thread's slots taken in, and the hold of a batch's slot. */
  private read(m: PostedMessage): ResultMessage {
    if (m.type !== 'batch' || m.slot === undefined) return m as ResultMessage;
    const slot = this.slots.read(m.update, m.slot);
    return { type: 'batch', pass: m.pass, k: m.k, data: m.data, slot, views: this.slots };
  }
}

/** How long an idle data thread waits for another pass before it ends. */
const IDLE_MS = 10_000;
const idleThreads: DataThread[] = [];
let idleTimer: NodeJS.Timeout | null = null;

function takeThread(): DataThread {
  return idleThreads.pop() ?? new DataThread();
}

function parkThread(t: DataThread): void {
  t.pool = null;
  t.worker.postMessage({ type: 'release' } satisfies ReleaseMessage);
  idleThreads.push(t);
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    idleTimer = null;
    for (const idle of idleThreads.splice(0)) void idle.worker.terminate();
  }, IDLE_MS);
  idleTimer.unref();
}

/** The worker threads of one pass (or of several, with persistentWorkers). */
export class WorkerPool {
  readonly threads: DataThread[] = [];
  broken: Error | null = null;
  private handler: PassHandler | null = null;
  private terminating = false;
  private refs = 0;

  /** `onEnd` runs once for each thread that leaves the pool (ended, or parked for the next pass). */
  constructor(
    n: number,
    init: Omit<InitMessage, 'type' | 'workerId'>,
    onStart: () => void,
    private readonly onEnd: () => void,
  ) {
    for (let id = 0; id < n; id++) {
      let t: DataThread | undefined;
      try {
        t = takeThread();
        t.worker.postMessage({ type: 'init', ...init, workerId: id } satisfies InitMessage);
      } catch (e) {
        if (t) parkThread(t); // the init was not sent: the thread is as it was
        void this.terminate();
        throw new TypeError(
          `DataLoader: cannot start a data worker with the dataset's workerSpec(): ${(e as Error).message}`,
          { cause: e },
        );
      }
      t.pool = this;
      t.id = id;
      this.threads.push(t);
      onStart();
    }
  }

  get attached(): boolean {
    return this.handler !== null;
  }

  attach(handler: PassHandler | null): void {
    this.handler = handler;
  }

  onMessage(msg: ResultMessage, id: number): void {
    this.handler?.onMessage(msg, id);
  }

  onError(t: DataThread, e: Error): void {
    this.fail(new Error(`DataLoader worker ${t.id} failed: ${e?.message ?? String(e)}`, { cause: e }));
  }

  onExit(t: DataThread, code: number): void {
    t.pool = null;
    this.onEnd();
    if (!this.terminating) this.fail(new Error(`DataLoader worker ${t.id} exited unexpectedly (exit code ${code})`));
  }

  private fail(err: Error): void {
    this.broken ??= err;
    this.handler?.onFatal(err);
  }

  /** Tells every worker of a pass that begins (they take its batches from its task list), or of a batch handed back. */
  announce(msg: PassMessage | ResumeMessage): void {
    for (const t of this.threads) t.worker.postMessage(msg);
  }

  /** Workers keep the process alive only while the consumer waits for them. */
  ref(): void {
    if (this.refs++ === 0) for (const t of this.threads) t.worker.ref();
  }

  unref(): void {
    if (--this.refs === 0) for (const t of this.threads) t.worker.unref();
  }

  /** After a complete pass (nothing in flight): the threads wait in the idle list for the next one. */
  park(): void {
    this.terminating = true;
    this.handler = null;
    for (const t of this.threads) {
      if (t.pool !== this) continue; // it has exited
      parkThread(t);
      this.onEnd();
    }
  }

  async terminate(): Promise<void> {
    if (this.terminating) return;
    this.terminating = true;
    this.handler = null;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
