// Evaluation: Evaluator, BaseMetric and the classification metrics.
export {
  type ClsDataSample,
  type ClsResult,
  readClsSample,
  tensorToNumbers,
  toClsDataSamples,
} from './cls_sample.js';
export { buildMetric, Evaluator, type MetricConfig, registerMetric } from './evaluator.js';
export { BaseMetric, type BaseMetricOptions, type MetricDict } from './metric.js';
export { Accuracy, type AccuracyOptions } from './metrics/accuracy.js';
export {
  type AverageMode,
  ConfusionMatrix,
  type ConfusionMatrixOptions,
  type MetricItem,
  type PrfSupport,
  prfFromConfusion,
  SingleLabelMetric as F1Metric,
  SingleLabelMetric,
  type SingleLabelMetricOptions,
} from './metrics/single_label.js';
export { isLossElement, parseValLosses, updateValLosses } from './val_losses.js';
