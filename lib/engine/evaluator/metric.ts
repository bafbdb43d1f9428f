// BaseMetric: the base class of every metric, as MMEngine's mmengine/evaluator/metric.py.
//
// A metric sees the model's outputs batch by batch through `process(dataBatch, dataSamples)`
// (batch first, as in MMEngine), appends what it needs to `this.results`, and turns the whole
// list into named values in `computeMetrics(results)`. `evaluate(size)` runs at the end of a
// validation or test epoch: it collects every rank's results in a distributed run (see
// `collectResults`) and keeps the first `size`, moves tensors to the CPU, computes (on rank 0,
// whose metrics every rank then receives, as MMEngine does), renames each key to
// `<prefix>/<key>` when a prefix is set, clears `this.results` and returns the dict.
//
// Results may hold tensors; note that the engine's steps run in tensor scopes, so a tensor that
// a metric stores must be `keep()`-ed (or, better, turned into numbers in `process`, as the
// built-in metrics do).
import * as torch from '../../torch/index.js';
import { Tensor } from '../../torch/index.js';
import { getLogger } from '../logging/logger.js';

export interface BaseMetricOptions {
  /** Where results are gathered across ranks: 'cpu' (default) or 'gpu'. One process here. */
  collectDevice?: string;
  /** Prepended to every key as `<prefix>/<key>`; defaults to the class's `defaultPrefix`. */
  prefix?: string | null;
  /** Folder used to gather results on 'cpu' across ranks; only allowed with collectDevice 'cpu'. */
  collectDir?: string | null;
}

/** Metric values by name: numbers, or lists of them (class-wise values), or anything else. */
export type MetricDict = Record<string, unknown>;

export abstract class BaseMetric {
  /** The prefix used when none is given; subclasses set it (`static override defaultPrefix = 'accuracy'`). */
  static defaultPrefix: string | null = null;

  readonly collectDevice: string;
  readonly collectDir: string | null;
  prefix: string | null;
  /** What `process` appended since the last `evaluate`. */
  results: unknown[] = [];
  private _datasetMeta: Record<string, unknown> | null = null;

  constructor(options: BaseMetricOptions = {}) {
    const collectDevice = options.collectDevice ?? 'cpu';
    const collectDir = options.collectDir ?? null;
    if (collectDir !== null && collectDevice !== 'cpu') {
      throw new Error("BaseMetric: `collectDir` could only be configured when `collectDevice='cpu'`");
    }
    this.collectDevice = collectDevice;
    this.collectDir = collectDir;
    this.prefix = options.prefix || this.defaultPrefix;
    if (this.prefix === null) getLogger().warning(`The prefix is not set in metric class ${this.constructor.name}.`);
  }

  /** The class's `defaultPrefix`. */
  get defaultPrefix(): string | null {
    return (this.constructor as typeof BaseMetric).defaultPrefix ?? null;
  }

  /** Meta information of the dataset (class names and so on); the Evaluator forwards it. */
  get datasetMeta(): Record<string, unknown> | null {
    return this._datasetMeta;
  }

  set datasetMeta(meta: Record<string, unknown> | null) {
    this._datasetMeta = meta;
  }

  /** Processes one batch: appends what `computeMetrics` needs to `this.results`. */
  abstract process(dataBatch: unknown, dataSamples: readonly unknown[]): void;

  /** Turns the collected results (never `this.results`: they are the gathered list) into metrics. */
  abstract computeMetrics(results: unknown[]): MetricDict;

  /**
   * The metrics over the whole dataset: the first `size` results (which drops samples that a
   * sampler padded), tensors moved to the CPU, `computeMetrics`, keys prefixed as
   * `<prefix>/<key>`; then `this.results` is cleared.
   */
  evaluate(size: number): MetricDict {
    if (this.results.length === 0) {
      getLogger().warning(
        `${this.constructor.name} got empty \`self.results\`. Please ensure that the processed results are properly added into \`self.results\` in \`process\` method.`,
      );
    }
    const results = collectResults(this.results, size);
    const dist = torch.distributed;
    const grouped = dist.isInitialized() && dist.getWorldSize() > 1;
    let metrics: MetricDict = {};
    if (!grouped || dist.getRank() === 0) {
      const computed = this.computeMetrics(toCpu(results) as unknown[]);
      for (const [k, v] of Object.entries(computed)) metrics[this.prefix ? `${this.prefix}/${k}` : k] = v;
    }
    this.results = [];
    if (grouped) metrics = dist.broadcastObject(metrics, 0);
    return metrics;
  }
}

/**
 * MMEngine's `collect_results`: the first `size` results over all ranks. In a distributed run
 * every rank's list is gathered (torch.distributed.allGatherObject, tensors carried by value)
 * and the lists are interleaved rank by rank, which undoes a DistributedSampler's split and
 * puts its padding last, where `size` (the dataset's) cuts it. One process: `results[:size]`.
 */
export function collectResults<T>(results: readonly T[], size: number): T[] {
  if (!Number.isInteger(size) || size < 0)
    throw new RangeError(`collectResults: size must be a non-negative integer, got ${size}`);
  const dist = torch.distributed;
  if (!dist.isInitialized() || dist.getWorldSize() === 1) return results.slice(0, size);
  const parts = dist.allGatherObject(toCpu([...results]) as T[]);
  const longest = Math.max(...parts.map((p) => p.length));
  const ordered: T[] = [];
  for (let i = 0; i < longest && ordered.length < size; i++) {
    for (const part of parts) if (i < part.length) ordered.push(part[i] as T);
  }
  return ordered.slice(0, size);
}

/** Moves every tensor in nested arrays and plain objects to the CPU (others pass unchanged). */
export function toCpu(data: unknown): unknown {
  if (data instanceof Tensor) return data.device === 'cpu' ? data : data.cpu();
  if (Array.isArray(data)) return data.map(toCpu);
  if (data !== null && typeof data === 'object') {
    const proto = Object.getPrototypeOf(data);
    if (proto === Object.prototype || proto === null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(data)) out[k] = toCpu(v);
      return out;
    }
  }
  return data;
}
