// The batches of a pass in shared memory, for the data workers to take one after another.
//
// Sending each batch's indices to a worker as a message cost the main thread a serialisation
// and a system call to wake the worker's event loop, ~13 µs a batch (a fifth of its time in a
// pass with one worker, measured on 2 cores), and the worker as much again to receive it. The
// pass instead writes its indices once; workers take batches in order from a shared counter,
// as far as a limit that the main thread moves on as the loop consumes (each worker `prefetch`
// batches ahead, as before), and wait on it (Atomics.wait) when they are that far ahead. A
// worker that is quicker takes more batches. Who makes a batch is settled by a compare-and-swap
// on its claim, as the main thread makes batches too (see dataloader.ts); where the main thread
// hands a batch back (its getRawBatch declined), it is put in `retry` for a worker to take.
//
// Torch-free (data workers import it).

/** Values of a batch's claim. */
export const UNCLAIMED = 0;
export const CLAIMED_BY_WORKER = 1;
export const CLAIMED_BY_MAIN = 2;

// The words of `state` before the claims.
const NEXT = 0; // the next batch to take
const LIMIT = 1; // batches before it may be made
const RETRY = 2; // 1 + a batch handed back, or 0
const HEADER = 3;

/** What a worker is sent of a task list (structured-cloneable: the memory is shared). */
export interface SharedTasks {
  state: Int32Array;
  indices: Float64Array;
  bounds: Int32Array;
}

export class TaskList {
  readonly state: Int32Array;
  /** The indices of every batch, one after another (numbers of any kind, as the sampler gave them). */
  readonly indices: Float64Array;
  /** Batch k is indices[bounds[k] .. bounds[k + 1]). */
  readonly bounds: Int32Array;
  readonly length: number;
  /** The batch this worker has taken and waits to make (-1: none). */
  private taken = -1;

  private constructor(shared: SharedTasks) {
    this.state = shared.state;
    this.indices = shared.indices;
    this.bounds = shared.bounds;
    this.length = shared.bounds.length - 1;
  }

  /** The task list of a pass's batches (main thread), nothing to be made yet (limit 0). */
  static of(batches: readonly (readonly number[])[]): TaskList {
    const total = batches.reduce((n, b) => n + b.length, 0);
    const indices = new Float64Array(new SharedArrayBuffer(8 * total));
    const bounds = new Int32Array(new SharedArrayBuffer(4 * (batches.length + 1)));
    let at = 0;
    for (let k = 0; k < batches.length; k++) {
      bounds[k] = at;
      const b = batches[k] as readonly number[];
      for (let i = 0; i < b.length; i++) indices[at++] = b[i] as number;
    }
    bounds[batches.length] = at;
    const state = new Int32Array(new SharedArrayBuffer(4 * (HEADER + batches.length)));
    return new TaskList({ state, indices, bounds });
  }

  /** A worker's view of a list it was sent. */
  static from(shared: SharedTasks): TaskList {
    return new TaskList(shared);
  }

  get shared(): SharedTasks {
    return { state: this.state, indices: this.indices, bounds: this.bounds };
  }

  /**
   * The indices of batch k, as small integers where they are int32: offsets computed from
   * numbers that are not stay floating-point in optimised code, and every pixel offset of
   * getRawBatch then costs a conversion (measured: 1.5x the time per image). Other values stay
   * as they are, for the dataset to report.
   */
  batch(k: number): number[] {
    const out: number[] = [];
    for (let i = this.bounds[k] as number, end = this.bounds[k + 1] as number; i < end; i++) {
      const v = this.indices[i] as number;
      out.push((v | 0) === v ? v | 0 : v);
    }
    return out;
  }

  // ---- the main thread ----

  /** Lets batches before `limit` be made, and wakes the workers that wait for that. */
  allow(limit: number): void {
    const l = Math.min(limit, this.length);
    if (l <= Atomics.load(this.state, LIMIT)) return;
    Atomics.store(this.state, LIMIT, l);
    Atomics.notify(this.state, LIMIT);
  }

  get limit(): number {
    return Atomics.load(this.state, LIMIT);
  }

  claimOf(k: number): number {
    return Atomics.load(this.state, HEADER + k);
  }

  /** Claims batch k for the main thread; false when a worker has it. */
  claimForMain(k: number): boolean {
    return Atomics.compareExchange(this.state, HEADER + k, UNCLAIMED, CLAIMED_BY_MAIN) === UNCLAIMED;
  }

  /** Hands batch k, claimed by the main thread, back to the workers (one batch at a time). */
  handBack(k: number): void {
    Atomics.store(this.state, HEADER + k, UNCLAIMED);
    Atomics.store(this.state, RETRY, k + 1);
    Atomics.notify(this.state, LIMIT);
  }

  // ---- a worker ----

  /**
   * The next batch for this worker to make, waiting (blocking the thread) while it is beyond the
   * limit; -1 when none is left. The caller then claims it (claim()): the main thread may have.
   */
  take(): number {
    const retried = Atomics.exchange(this.state, RETRY, 0);
    if (retried > 0) return retried - 1;
    if (this.taken < 0) this.taken = Atomics.add(this.state, NEXT, 1);
    const k = this.taken;
    if (k >= this.length) return -1;
    for (let limit = Atomics.load(this.state, LIMIT); k >= limit; limit = Atomics.load(this.state, LIMIT)) {
      Atomics.wait(this.state, LIMIT, limit);
      const r = Atomics.exchange(this.state, RETRY, 0);
      if (r > 0) return r - 1; // k stays taken, for the next call
    }
    this.taken = -1;
    return k;
  }

  /** Claims batch k for this worker; false when the main thread has made it. */
  claim(k: number): boolean {
    return Atomics.compareExchange(this.state, HEADER + k, UNCLAIMED, CLAIMED_BY_WORKER) === UNCLAIMED;
  }
}
