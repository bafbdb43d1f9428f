// Evaluator: runs one or several metrics over a validation or test set, as MMEngine's
// mmengine/evaluator/evaluator.py.
//
//   const evaluator = new Evaluator([new Accuracy({topk: [1, 5]}), new SingleLabelMetric()]);
//   for each batch: evaluator.process(model.valStep(batch), batch);
//   const metrics = evaluator.evaluate(dataset.length);   // {'accuracy/top1': ..., ...}
//
// Metrics are given as instances or as `{type: 'Accuracy', ...options}` (see `registerMetric`).

import { BaseMetric, type MetricDict } from './metric.js';
import { Accuracy } from './metrics/accuracy.js';
import { ConfusionMatrix, SingleLabelMetric } from './metrics/single_label.js';

// biome-ignore lint/suspicious/noExplicitAny: metric constructors take their own option types
type MetricCtor = new (options?: any) => BaseMetric;

const METRICS = new Map<string, MetricCtor>([
  ['Accuracy', Accuracy],
  ['SingleLabelMetric', SingleLabelMetric],
  ['F1Metric', SingleLabelMetric],
  ['ConfusionMatrix', ConfusionMatrix],
]);

/** Makes `{type: name, ...}` build `new ctor({...})` in an Evaluator. */
export function registerMetric(name: string, ctor: MetricCtor): void {
  METRICS.set(name, ctor);
}

/** A metric config: the registered class name and its options. */
export type MetricConfig = { type: string } & Record<string, unknown>;

export function buildMetric(config: MetricConfig | BaseMetric): BaseMetric {
  if (config instanceof BaseMetric) return config;
  if (config === null || typeof config !== 'object' || typeof config.type !== 'string') {
    throw new TypeError(`metric should be a dict or a BaseMetric, but got ${String(config)}.`);
  }
  const ctor = METRICS.get(config.type);
  if (!ctor)
    throw new Error(`${config.type} is not in the metric registry (registered: ${[...METRICS.keys()].join(', ')})`);
  const { type: _type, ...options } = config;
  return new ctor(options);
}

/** An element with `toDict()` (MMEngine's BaseDataElement) is converted before metrics see it. */
function toDict(sample: unknown): unknown {
  if (sample !== null && typeof sample === 'object' && typeof (sample as { toDict?: unknown }).toDict === 'function') {
    return (sample as { toDict(): unknown }).toDict();
  }
  return sample;
}

/**
 * MMEngine's `pseudo_collate`: a list of samples to one batch without stacking. Objects become
 * an object of collated fields, equal-length arrays are transposed and collated, anything else
 * is returned as the list.
 */
export function pseudoCollate(batch: readonly unknown[]): unknown {
  const first = batch[0];
  if (Array.isArray(first)) {
    const n = first.length;
    if (!batch.every((b) => Array.isArray(b) && b.length === n))
      throw new Error('each element in list of batch should be of equal size');
    return Array.from({ length: n }, (_, i) => pseudoCollate(batch.map((b) => (b as unknown[])[i])));
  }
  if (first !== null && typeof first === 'object') {
    const proto = Object.getPrototypeOf(first);
    if (proto === Object.prototype || proto === null) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(first))
        out[key] = pseudoCollate(batch.map((b) => (b as Record<string, unknown>)[key]));
      return out;
    }
  }
  return [...batch];
}

export class Evaluator {
  readonly metrics: BaseMetric[];
  private _datasetMeta: Record<string, unknown> | null = null;

  constructor(metrics: BaseMetric | MetricConfig | readonly (BaseMetric | MetricConfig)[]) {
    const list = Array.isArray(metrics) ? metrics : [metrics as BaseMetric | MetricConfig];
    this.metrics = list.map(buildMetric);
  }

  /** Meta information of the dataset; setting it forwards it to every metric. */
  get datasetMeta(): Record<string, unknown> | null {
    return this._datasetMeta;
  }

  set datasetMeta(meta: Record<string, unknown> | null) {
    this._datasetMeta = meta;
    for (const m of this.metrics) m.datasetMeta = meta;
  }

  /** Hands one batch of model outputs (and the data batch) to every metric: `metric.process(dataBatch, samples)`. */
  process(dataSamples: readonly unknown[], dataBatch: unknown = null): void {
    if (!Array.isArray(dataSamples)) {
      throw new TypeError(
        `Evaluator.process: dataSamples must be an array of per-sample outputs, got ${typeof dataSamples}`,
      );
    }
    const samples = dataSamples.map(toDict);
    for (const metric of this.metrics) metric.process(dataBatch, samples);
  }

  /** Every metric's `evaluate(size)`, merged; two metrics giving the same key is an error. */
  evaluate(size: number): MetricDict {
    const metrics: MetricDict = {};
    for (const metric of this.metrics) {
      const results = metric.evaluate(size);
      for (const name of Object.keys(results)) {
        if (Object.hasOwn(metrics, name)) {
          throw new Error(
            `There are multiple evaluation results with the same metric name ${name}. Please make sure all metrics have different prefixes.`,
          );
        }
      }
      Object.assign(metrics, results);
    }
    return metrics;
  }

  /**
   * Evaluates saved outputs: `dataSamples` (and, if given, the matching `data`, as many) are cut
   * into chunks of `chunkSize`; each data chunk is pseudo-collated; then `evaluate(count)`.
   */
  offlineEvaluate(dataSamples: readonly unknown[], data: readonly unknown[] | null = null, chunkSize = 1): MetricDict {
    if (!Number.isInteger(chunkSize) || chunkSize < 1)
      throw new RangeError(`offlineEvaluate: chunkSize must be a positive integer, got ${chunkSize}`);
    if (data !== null && data.length !== dataSamples.length) {
      throw new Error(
        `data_samples and data should have the same length, but got data_samples length: ${dataSamples.length} data length: ${data.length}`,
      );
    }
    let size = 0;
    for (let start = 0; start < dataSamples.length; start += chunkSize) {
      const chunk = dataSamples.slice(start, start + chunkSize);
      const dataChunk = data === null ? null : pseudoCollate(data.slice(start, start + chunkSize));
      size += chunk.length;
      this.process(chunk, dataChunk);
    }
    return this.evaluate(size);
  }
}
