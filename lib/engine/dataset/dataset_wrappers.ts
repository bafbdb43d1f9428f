// Datasets made of other datasets: ConcatDataset (torch.utils.data's, with MMEngine's metainfo),
// RepeatDataset and ClassBalancedDataset (MMEngine's). Torch-free: data workers import this module
// to rebuild a wrapper around their own copy of the inner datasets.
//
// Sample randomness: a wrapper passes the SampleContext it is given on unchanged, so a wrapped
// sample draws from (seed, epoch, the wrapper's index), as Subset does. Thus the copies of one
// sample in a RepeatDataset or ClassBalancedDataset get augmentations of their own, and a
// ConcatDataset's sample k is the same whichever inner dataset it comes from.

import {
  type BatchContext,
  buildFromSpec,
  Dataset,
  type MapDataset,
  type SampleContext,
  Subset,
  type WorkerSpec,
} from './dataset.js';

/**
 * A dataset that can say which categories sample `index` holds, without making the sample
 * (MMEngine's get_cat_ids); ClassBalancedDataset needs it. ImageDataset gives `[label]`.
 */
export interface CatIdsDataset {
  getCatIds(index: number): readonly number[];
}

function hasCatIds(ds: unknown): ds is CatIdsDataset {
  return typeof (ds as Partial<CatIdsDataset>).getCatIds === 'function';
}

/** The inner dataset's metainfo (MMEngine's BaseDataset.metainfo), where it has one. */
function metainfoOf(ds: MapDataset): Record<string, unknown> | undefined {
  return (ds as { metainfo?: Record<string, unknown> }).metainfo;
}

/** `ds`'s tensor-free sample where it has getRaw, else its sample (what a worker does). */
function rawOf(ds: MapDataset, index: number, ctx?: SampleContext): unknown {
  return ds.getRaw ? ds.getRaw(index, ctx) : ds.get(index, ctx);
}

function checkDataset(ds: unknown, who: string): MapDataset {
  const d = ds as Partial<MapDataset> | null;
  // A worker's inner dataset may have getRaw only (RawImageDataset): the worker never calls get.
  const gets = d !== null && typeof d === 'object' && (typeof d.get === 'function' || typeof d.getRaw === 'function');
  if (!gets || !Number.isInteger(d.length)) {
    throw new TypeError(`${who} must be a map-style dataset (an object with length and get(index))`);
  }
  return d as MapDataset;
}

function specOf(ds: MapDataset, who: string): WorkerSpec {
  if (typeof ds.workerSpec !== 'function') {
    throw new TypeError(`${who} has no workerSpec(), so it cannot be built in a data worker; use numWorkers: 0`);
  }
  return ds.workerSpec();
}

/**
 * Several datasets one after the other, as torch.utils.data.ConcatDataset: index `i` is sample
 * `i - cumulativeSizes[d - 1]` of the first dataset `d` with `cumulativeSizes[d] > i`.
 * `metainfo` is the first dataset's (MMEngine's ConcatDataset); unlike MMEngine, the others'
 * metainfo is not checked against it (there is no `ignoreKeys`), as in PyTorch.
 */
export class ConcatDataset<T = unknown> extends Dataset<T> {
  readonly datasets: MapDataset<T>[];
  /** The running totals of the datasets' lengths: [2, 3, 4] gives [2, 5, 9]. */
  readonly cumulativeSizes: number[];

  constructor(datasets: readonly MapDataset<T>[]) {
    super();
    if (!Array.isArray(datasets)) throw new TypeError('ConcatDataset: datasets must be an array of datasets');
    if (datasets.length === 0) throw new Error('ConcatDataset: datasets should not be an empty array');
    this.datasets = datasets.map((d, k) => checkDataset(d, `ConcatDataset: datasets[${k}]`) as MapDataset<T>);
    let total = 0;
    this.cumulativeSizes = this.datasets.map((d) => {
      total += d.length;
      return total;
    });
  }

  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1] as number;
  }

  /** The first dataset's metainfo, or undefined where it has none. */
  get metainfo(): Record<string, unknown> | undefined {
    return metainfoOf(this.datasets[0] as MapDataset);
  }

  /** [which dataset, index in it] of index `index` (negative counts from the end). */
  locate(index: number): [number, number] {
    const i = this.checkIndex(index);
    // The first dataset whose running total passes i (bisect_right).
    const sizes = this.cumulativeSizes;
    let lo = 0;
    let hi = sizes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sizes[mid] as number) <= i) lo = mid + 1;
      else hi = mid;
    }
    return [lo, lo === 0 ? i : i - (sizes[lo - 1] as number)];
  }

  get(index: number, ctx?: SampleContext): T {
    const [d, i] = this.locate(index);
    return (this.datasets[d] as MapDataset<T>).get(i, ctx);
  }

  getRaw(index: number, ctx?: SampleContext): unknown {
    const [d, i] = this.locate(index);
    return rawOf(this.datasets[d] as MapDataset, i, ctx);
  }

  /**
   * The inner dataset's batch where all of `indices` fall in one dataset that has getRawBatch;
   * else undefined (the loader then makes the samples one by one: collating parts separately
   * could differ from collating the whole, e.g. int64 against float64 for numbers).
   */
  getRawBatch(indices: readonly number[], ctx: BatchContext): unknown {
    if (this.getRaw !== ConcatDataset.prototype.getRaw || indices.length === 0) return undefined;
    const n = this.length;
    let which = -1;
    const inner = new Array<number>(indices.length);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k] as number;
      if (!Number.isInteger(i) || i < -n || i >= n) return undefined;
      const [d, j] = this.locate(i);
      if (which !== -1 && d !== which) return undefined;
      which = d;
      inner[k] = j;
    }
    const ds = this.datasets[which] as MapDataset;
    return typeof ds.getRawBatch === 'function' ? ds.getRawBatch(inner, ctx) : undefined;
  }

  /** The category ids of sample `index`, from its dataset's getCatIds. */
  getCatIds(index: number): readonly number[] {
    const [d, i] = this.locate(index);
    const ds = this.datasets[d];
    if (!hasCatIds(ds)) throw new TypeError(`ConcatDataset.getCatIds: datasets[${d}] has no getCatIds(index)`);
    return ds.getCatIds(i);
  }

  workerSpec(): WorkerSpec {
    return {
      module: import.meta.url,
      exportName: 'buildConcatDataset',
      call: true,
      args: [this.datasets.map((d, k) => specOf(d as MapDataset, `ConcatDataset: datasets[${k}]`))],
    };
  }
}

/** @internal What a worker calls for a ConcatDataset's spec: the inner datasets first. */
export async function buildConcatDataset(specs: WorkerSpec[]): Promise<ConcatDataset> {
  return new ConcatDataset((await Promise.all(specs.map(buildFromSpec))) as MapDataset[]);
}

/**
 * `dataset` `times` times over, as MMEngine's RepeatDataset: index `i` is sample
 * `i % dataset.length`. Each copy draws its own randomness (from its own index).
 */
export class RepeatDataset<T = unknown> extends Dataset<T> {
  readonly dataset: MapDataset<T>;
  readonly times: number;

  constructor(dataset: MapDataset<T>, times: number) {
    super();
    this.dataset = checkDataset(dataset, 'RepeatDataset: dataset') as MapDataset<T>;
    if (!Number.isInteger(times) || times < 0) {
      throw new RangeError(`RepeatDataset: times must be a non-negative integer, got ${String(times)}`);
    }
    this.times = times;
  }

  get length(): number {
    return this.times * this.dataset.length;
  }

  get metainfo(): Record<string, unknown> | undefined {
    return metainfoOf(this.dataset as MapDataset);
  }

  get(index: number, ctx?: SampleContext): T {
    return this.dataset.get(this.checkIndex(index) % this.dataset.length, ctx);
  }

  getRaw(index: number, ctx?: SampleContext): unknown {
    return rawOf(this.dataset as MapDataset, this.checkIndex(index) % this.dataset.length, ctx);
  }

  /** The wrapped dataset's batch of the wrapped indices, the samples' randomness still from this dataset's indices. */
  getRawBatch(indices: readonly number[], ctx: BatchContext): unknown {
    if (typeof this.dataset.getRawBatch !== 'function' || this.getRaw !== RepeatDataset.prototype.getRaw) {
      return undefined;
    }
    const n = this.length;
    const inner = new Array<number>(indices.length);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k] as number;
      if (!Number.isInteger(i) || i < -n || i >= n) return undefined;
      inner[k] = (i < 0 ? i + n : i) % this.dataset.length;
    }
    return this.dataset.getRawBatch(inner, ctx);
  }

  getCatIds(index: number): readonly number[] {
    if (!hasCatIds(this.dataset))
      throw new TypeError('RepeatDataset.getCatIds: the wrapped dataset has no getCatIds(index)');
    return this.dataset.getCatIds(this.checkIndex(index) % this.dataset.length);
  }

  workerSpec(): WorkerSpec {
    return {
      module: import.meta.url,
      exportName: 'buildRepeatDataset',
      call: true,
      args: [specOf(this.dataset as MapDataset, 'RepeatDataset: the wrapped dataset'), this.times],
    };
  }
}

/** @internal What a worker calls for a RepeatDataset's spec. */
export async function buildRepeatDataset(innerSpec: WorkerSpec, times: number): Promise<RepeatDataset> {
  return new RepeatDataset((await buildFromSpec(innerSpec)) as MapDataset, times);
}

/**
 * The repeat factor of each sample, as MMEngine's ClassBalancedDataset computes it: with f(c)
 * the fraction of samples holding category c (each sample's ids counted once),
 * r(c) = max(1, sqrt(thr / f(c))) and r(I) = the largest r(c) over I's categories (1 where I
 * has none).
 */
export function classBalancedRepeatFactors(catIds: readonly (readonly number[])[], oversampleThr: number): number[] {
  const n = catIds.length;
  const count = new Map<number, number>();
  const sets = catIds.map((ids) => new Set(ids));
  for (const s of sets) for (const c of s) count.set(c, (count.get(c) ?? 0) + 1);
  const catRepeat = new Map<number, number>();
  for (const [c, k] of count) catRepeat.set(c, Math.max(1, Math.sqrt(oversampleThr / (k / n))));
  return sets.map((s) => {
    let r = 1;
    let first = true;
    for (const c of s) {
      const rc = catRepeat.get(c) as number;
      r = first ? rc : Math.max(r, rc);
      first = false;
    }
    return r;
  });
}

/**
 * MMEngine's ClassBalancedDataset (repeat factor sampling, https://arxiv.org/abs/1908.03195):
 * sample I appears ceil(r(I)) times, in order (factors [1, 2, 3] give indices [0, 1, 1, 2, 2, 2]),
 * with r(I) as classBalancedRepeatFactors says. The rounding is MMEngine's deterministic ceil
 * (no random state), so the indices are fixed once made. The wrapped dataset must have
 * `getCatIds(index)` (ImageDataset has: `[label]`).
 */
export class ClassBalancedDataset<T = unknown> extends Subset<T> {
  readonly oversampleThr: number;
  /** r(I) of each sample of the wrapped dataset. */
  readonly repeatFactors: number[];

  constructor(dataset: MapDataset<T>, oversampleThr: number) {
    const ds = checkDataset(dataset, 'ClassBalancedDataset: dataset');
    if (!hasCatIds(ds)) {
      throw new TypeError(
        'ClassBalancedDataset: the dataset needs getCatIds(index), the category ids of each sample (ImageDataset has it)',
      );
    }
    if (typeof oversampleThr !== 'number' || !Number.isFinite(oversampleThr) || oversampleThr < 0) {
      throw new RangeError(
        `ClassBalancedDataset: oversampleThr must be a non-negative number, got ${String(oversampleThr)}`,
      );
    }
    const catIds = Array.from({ length: ds.length }, (_, i) => {
      const ids = ds.getCatIds(i);
      if (!Array.isArray(ids) && !ArrayBuffer.isView(ids)) {
        throw new TypeError(`ClassBalancedDataset: getCatIds(${i}) must return an array of category ids`);
      }
      return [...ids];
    });
    const factors = classBalancedRepeatFactors(catIds, oversampleThr);
    const indices: number[] = [];
    factors.forEach((r, i) => {
      for (let k = Math.ceil(r); k > 0; k--) indices.push(i);
    });
    super(dataset, indices);
    this.oversampleThr = oversampleThr;
    this.repeatFactors = factors;
  }

  /** The wrapped dataset's index of each sample (MMEngine's repeat_indices). */
  get repeatIndices(): number[] {
    return this.indices;
  }

  get metainfo(): Record<string, unknown> | undefined {
    return metainfoOf(this.dataset as MapDataset);
  }

  getCatIds(index: number): readonly number[] {
    return (this.dataset as unknown as CatIdsDataset).getCatIds(this.indices[this.checkIndex(index)] as number);
  }

  /** A Subset of the repeat indices: the worker needs no category ids. */
  override workerSpec(): WorkerSpec {
    if (typeof this.dataset.workerSpec !== 'function')
      specOf(this.dataset as MapDataset, 'ClassBalancedDataset: the wrapped dataset');
    return super.workerSpec();
  }
}
