// Datasets for the DataLoader tests, importable inside data workers: torch-free, each with a
// workerSpec() pointing back at this module.
import { threadId } from 'node:worker_threads';
import { Dataset, type SampleContext, type WorkerSpec } from '../../../lib/engine/dataset/dataset.js';
import { NDArray } from '../../../lib/engine/dataset/ndarray.js';

const HERE = import.meta.url;

export interface ToyOptions {
  length: number;
  /** get() throws for this index. */
  failAt?: number;
  /** process.exit(3) for this index (a crashing worker). */
  exitAt?: number;
  /** Busy-waits this many ms for index 0 (a stuck worker). */
  stallMs?: number;
  /** The constructor throws (a dataset that cannot be built in a worker). */
  failBuild?: boolean;
  /** The samples from this one on hold a function (which a message cannot carry). */
  unclonableFrom?: number;
  /** This sample holds a complex64 tensor (a stand-in with a tensor's shape: torch-free). */
  complexAt?: number;
}

/**
 * Sample i: {x: NDArray (2, 3) float32 of i + noise from the sample's generator, label: i % 3,
 * name: 's<i>', extra: [i, Float32Array [i / 2]]}.
 */
export class ToyDataset extends Dataset {
  readonly options: ToyOptions;

  constructor(options: ToyOptions) {
    super();
    if (options.failBuild) throw new Error('cannot build this dataset here');
    this.options = options;
  }

  get length(): number {
    return this.options.length;
  }

  get(index: number, ctx?: SampleContext): unknown {
    const i = this.checkIndex(index);
    if (i === this.options.failAt) throw new Error(`bad sample ${i}`);
    if (i === this.options.exitAt) process.exit(3);
    if (i === 0 && this.options.stallMs) {
      const end = Date.now() + this.options.stallMs;
      while (Date.now() < end) {
        // stuck
      }
    }
    const r = ctx ? ctx.random().next() : 0;
    const x = new Float32Array(6).map((_, j) => i + j / 10 + r);
    const sample = { x: new NDArray(x, [2, 3]), label: i % 3, name: `s${i}`, extra: [i, new Float32Array([i / 2])] };
    if (i === this.options.complexAt) {
      const z = { _h: 0, shape: [1], dtype: 'complex64', toTypedArray: () => new Float32Array(2) };
      return { ...sample, z };
    }
    const from = this.options.unclonableFrom;
    return from !== undefined && i >= from ? { ...sample, fn: () => i } : sample;
  }

  workerSpec(): WorkerSpec {
    return { module: HERE, exportName: 'ToyDataset', args: [this.options] };
  }
}

/**
 * Sample i: {i, thread} (the thread that made it: threadId, 0 in the main thread). Its getRawBatch
 * (which the loader prefers) busy-waits `busyMs`, counts the batches it made in `made[0]` (shared
 * memory: the count of every thread), and tags the batch with the thread that made it:
 * {i: int64 indices, thread: [threadId]} (0: the main thread). With `declineInMain` it declines
 * (undefined) in the main thread. Only for the tests of which thread makes a batch; a real
 * getRawBatch gives what the samples collate to, whatever the thread.
 */
export class ThreadTagged extends Dataset {
  readonly options: { length: number; busyMs: number; made?: Int32Array; declineInMain?: boolean };

  constructor(options: ThreadTagged['options']) {
    super();
    this.options = options;
  }

  get length(): number {
    return this.options.length;
  }

  get(index: number): unknown {
    return { i: this.checkIndex(index), thread: threadId };
  }

  getRawBatch(indices: readonly number[]): unknown {
    if (this.options.declineInMain && threadId === 0) return undefined;
    if (this.options.made) Atomics.add(this.options.made, 0, 1);
    const end = performance.now() + this.options.busyMs;
    while (performance.now() < end) {
      // busy
    }
    return {
      i: new NDArray(BigInt64Array.from(indices, (i) => BigInt(i))),
      thread: new NDArray(Int32Array.of(threadId)),
    };
  }

  workerSpec(): WorkerSpec {
    return { module: HERE, exportName: 'ThreadTagged', args: [this.options] };
  }
}
