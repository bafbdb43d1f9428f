// Map-style datasets and how a data worker builds one. Torch-free (data workers import it).
//
// A dataset is any object with `length` and `get(index, ctx?)`. To be used with `numWorkers > 0`
// it also says how to build a copy of itself inside a worker thread, with `workerSpec()`: a module
// (a file URL), the name of an export there, and structured-cloneable arguments. The worker
// imports the module and calls `new Export(...args)` (or `Export(...args)` when `call` is set).
// In the worker, `getRaw(index, ctx)` is used where the dataset has it, else `get(index, ctx)`;
// a worker-friendly dataset returns NDArrays, typed arrays, numbers, strings, plain objects and
// arrays from getRaw and never loads torch (loading it costs each worker about 0.4 s). Tensors
// returned by `get` in a worker are copied out (that needs torch in the worker).

import type { TypedArray } from './ndarray.js';
import { Random, seedFor } from './random.js';

/** How a data worker builds its copy of a dataset. */
export interface WorkerSpec {
  /** The module to import: a file URL (`new URL('./my_dataset.js', import.meta.url).href`) or an absolute path. */
  module: string;
  /** The export to construct (a class) or call (a factory, with `call: true`). */
  exportName: string;
  /** Its arguments: structured-cloneable values (SharedArrayBuffers are shared, not copied). */
  args: unknown[];
  call?: boolean;
}

/**
 * What a dataset may use to make a sample: its randomness comes from `random()`, a generator
 * seeded from (seed, epoch, index) only, so a sample is the same whichever worker makes it.
 */
export interface SampleContext {
  readonly index: number;
  readonly epoch: number;
  readonly seed: number;
  /** The sample's generator, made on first use (the same object on later calls). */
  random(): Random;
}

export function sampleContext(seed: number, epoch: number, index: number): SampleContext {
  let rng: Random | undefined;
  return {
    index,
    epoch,
    seed,
    random: () => {
      rng ??= new Random(seedFor(seed, epoch, index));
      return rng;
    },
  };
}

/**
 * The randomness of a batch's samples: sample k draws from sampleContext(seed, epoch, keys[k])
 * (keys are the indices the loader asked for; a Subset passes them on with other indices).
 */
export interface BatchContext {
  readonly seed: number;
  readonly epoch: number;
  readonly keys: readonly number[];
  /**
   * Where a batch's large arrays are best made, when given: a data worker's shared output slot,
   * which spares a copy into it (see output_slots.ts). Arrays made otherwise are copied there.
   */
  readonly allocate?: <A extends TypedArray>(
    type: new (buffer: SharedArrayBuffer, byteOffset: number, length: number) => A,
    length: number,
  ) => A;
}

/** What DataLoader accepts as a dataset. */
export interface MapDataset<T = unknown> {
  readonly length: number;
  get(index: number, ctx?: SampleContext): T;
  /** The tensor-free form of sample `index` (NDArrays where get gives tensors); used by workers. */
  getRaw?(index: number, ctx?: SampleContext): unknown;
  /**
   * Optional, for speed: the default-collated tensor-free batch of samples `indices`, exactly
   * what rawDefaultCollate makes of `getRaw(indices[k], sampleContext(seed, epoch, keys[k]))`,
   * or undefined where the dataset cannot make it so (the loader then makes the samples one by
   * one, which also gives errors their per-sample messages). It runs in data workers and, with
   * numWorkers > 0, also in the main thread until the first worker has started (get and getRaw
   * never run there then), so it must not depend on the thread it runs in.
   */
  getRawBatch?(indices: readonly number[], ctx: BatchContext): unknown;
  workerSpec?(): WorkerSpec;
}

/**
 * The dataset's getRawBatch of `indices` at (seed, epoch), or undefined where it has none or
 * declines. One that throws is treated as declining: the per-sample path that follows makes the
 * same samples and reports the failing one by its index.
 */
export function rawBatchOf(
  ds: Pick<MapDataset, 'getRawBatch'>,
  indices: readonly number[],
  seed: number,
  epoch: number,
  allocate?: BatchContext['allocate'],
): unknown {
  if (typeof ds.getRawBatch !== 'function') return undefined;
  try {
    return ds.getRawBatch(
      indices,
      allocate ? { seed, epoch, keys: indices, allocate } : { seed, epoch, keys: indices },
    );
  } catch {
    return undefined;
  }
}

/** Base class of map-style datasets: `length` and `get(index)`, as torch.utils.data.Dataset. */
export abstract class Dataset<T = unknown> implements MapDataset<T> {
  abstract get length(): number;
  abstract get(index: number, ctx?: SampleContext): T;

  /** Checks `index` (negative counts from the end, as in Python) and returns it in [0, length). */
  protected checkIndex(index: number): number {
    const n = this.length;
    if (!Number.isInteger(index) || index < -n || index >= n) {
      throw new RangeError(
        `${this.constructor.name}: index ${String(index)} is out of range for a dataset of ${n} samples`,
      );
    }
    return index < 0 ? index + n : index;
  }
}

/** The samples of `dataset` at `indices`, as torch.utils.data.Subset. */
export class Subset<T = unknown> extends Dataset<T> {
  readonly dataset: MapDataset<T>;
  readonly indices: number[];

  constructor(dataset: MapDataset<T>, indices: readonly number[]) {
    super();
    this.dataset = dataset;
    this.indices = [...indices];
    for (const i of this.indices) {
      if (!Number.isInteger(i) || i < 0 || i >= dataset.length) {
        throw new RangeError(`Subset: index ${String(i)} is out of range for a dataset of ${dataset.length} samples`);
      }
    }
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number, ctx?: SampleContext): T {
    return this.dataset.get(this.indices[this.checkIndex(index)] as number, ctx);
  }

  getRaw(index: number, ctx?: SampleContext): unknown {
    const i = this.indices[this.checkIndex(index)] as number;
    return this.dataset.getRaw ? this.dataset.getRaw(i, ctx) : this.dataset.get(i, ctx);
  }

  /** The wrapped dataset's batch of the mapped indices, the samples' randomness still from this subset's indices. */
  getRawBatch(indices: readonly number[], ctx: BatchContext): unknown {
    // A subclass that makes its samples otherwise is not bypassed.
    if (typeof this.dataset.getRawBatch !== 'function' || this.getRaw !== Subset.prototype.getRaw) return undefined;
    const n = this.indices.length;
    const inner = new Array<number>(indices.length);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k] as number;
      if (!Number.isInteger(i) || i < -n || i >= n) return undefined;
      inner[k] = this.indices[i < 0 ? i + n : i] as number;
    }
    return this.dataset.getRawBatch(inner, ctx);
  }

  workerSpec(): WorkerSpec {
    if (typeof this.dataset.workerSpec !== 'function') {
      throw new TypeError('Subset: the wrapped dataset has no workerSpec(), so it cannot be built in a data worker');
    }
    return {
      module: import.meta.url,
      exportName: 'buildSubset',
      call: true,
      args: [this.dataset.workerSpec(), this.indices],
    };
  }
}

/** @internal What a worker calls for a Subset's spec: the inner dataset first. */
export async function buildSubset(innerSpec: WorkerSpec, indices: number[]): Promise<Subset> {
  return new Subset((await buildFromSpec(innerSpec)) as MapDataset, indices);
}

/** Builds what `spec` describes (in a data worker). */
export async function buildFromSpec(spec: WorkerSpec): Promise<unknown> {
  if (!spec || typeof spec.module !== 'string' || typeof spec.exportName !== 'string' || !Array.isArray(spec.args)) {
    throw new TypeError('workerSpec() must return {module, exportName, args}');
  }
  const url = spec.module.startsWith('/') ? new URL(`file://${spec.module}`).href : spec.module;
  const mod = (await import(url)) as Record<string, unknown>;
  const target = mod[spec.exportName];
  if (typeof target !== 'function') {
    throw new TypeError(`workerSpec: module ${spec.module} has no exported class or function '${spec.exportName}'`);
  }
  const made = spec.call
    ? (target as (...a: unknown[]) => unknown)(...spec.args)
    : Reflect.construct(target as new (...a: unknown[]) => unknown, spec.args);
  return await made;
}
