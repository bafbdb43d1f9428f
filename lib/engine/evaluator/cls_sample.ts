// What a classification model's predict mode returns for the built-in metrics (Accuracy,
// SingleLabelMetric, ConfusionMatrix): one plain object per sample,
//
//   { predScore?: Tensor (C,) | number[],   // class scores, e.g. softmax probabilities
//     predLabel?: number | Tensor,          // the predicted class, when there are no scores
//     gtLabel:    number | Tensor,          // the true class (0-d or 1-element tensor, or a number)
//     numClasses?: number }                 // needed with predLabel only, unless the metric has it
//
// mmpretrain's DataSample names (`pred_score`, `pred_label`, `gt_label`, `num_classes`) are
// accepted too, and so is any object with `toDict()` (the Evaluator converts those first).
// A model makes the list from batched tensors in one call, with one copy to the host:
//
//   predict(feats, dataSamples) {
//     return toClsDataSamples({ predScore: logits.softmax(1), gtLabel: labels });
//   }
//
// The metrics read scores and labels into JS numbers in `process`, so what they keep does not
// depend on the lifetime of the model's tensors.
import { Tensor } from '../../torch/index.js';

export interface ClsDataSample {
  predScore?: Tensor | readonly number[] | Float32Array | Float64Array;
  predLabel?: number | Tensor;
  gtLabel: number | Tensor;
  numClasses?: number;
}

/** One sample as numbers: `predScore` (length C) or `predLabel`, and `gtLabel`. */
export interface ClsResult {
  predScore?: number[];
  predLabel?: number;
  gtLabel: number;
  numClasses?: number;
}

/** The elements of a tensor (any device and dtype), row-major, as JS numbers. */
export function tensorToNumbers(t: Tensor): number[] {
  const cpu = t.device === 'cpu' ? t : t.cpu();
  const data = cpu.toTypedArray();
  const out: number[] = new Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i] as number | bigint);
  return out;
}

function scalarLabel(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (v instanceof Tensor) {
    const values = tensorToNumbers(v);
    if (values.length !== 1)
      throw new TypeError(`${what}: expected a single label, got a tensor of shape [${v.shape.join(', ')}]`);
    return values[0] as number;
  }
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return v[0];
  throw new TypeError(`${what}: expected a number or a one-element tensor, got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (v instanceof Tensor) return `a tensor of shape [${v.shape.join(', ')}]`;
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/**
 * Reads one prediction sample (camelCase or mmpretrain's snake_case keys) into numbers.
 * `what` names the caller in errors.
 */
export function readClsSample(sample: unknown, what = 'readClsSample'): ClsResult {
  if (sample === null || typeof sample !== 'object') {
    throw new TypeError(`${what}: a data sample must be an object like {predScore, gtLabel}, got ${describe(sample)}`);
  }
  const s = sample as Record<string, unknown>;
  const score = s.predScore ?? s.pred_score;
  const label = s.predLabel ?? s.pred_label;
  const gt = s.gtLabel ?? s.gt_label;
  const numClasses = s.numClasses ?? s.num_classes;
  if (gt === undefined) throw new TypeError(`${what}: the data sample has no gtLabel`);
  const result: ClsResult = { gtLabel: scalarLabel(gt, `${what}: gtLabel`) };
  if (score !== undefined && score !== null) {
    if (score instanceof Tensor) result.predScore = tensorToNumbers(score);
    else if (Array.isArray(score) || score instanceof Float32Array || score instanceof Float64Array) {
      result.predScore = Array.from(score as ArrayLike<number>);
    } else throw new TypeError(`${what}: predScore must be a tensor or an array of numbers, got ${describe(score)}`);
  } else if (label !== undefined && label !== null) {
    result.predLabel = scalarLabel(label, `${what}: predLabel`);
  } else {
    throw new TypeError(`${what}: the data sample has neither predScore nor predLabel`);
  }
  if (typeof numClasses === 'number') result.numClasses = numClasses;
  return result;
}

/**
 * Per-sample prediction objects from batched tensors: `predScore` (N, C) and/or `predLabel`
 * (N,), with `gtLabel` (N,) as a tensor or numbers. Each tensor is copied to the host once.
 */
export function toClsDataSamples(batch: {
  predScore?: Tensor;
  predLabel?: Tensor | readonly number[];
  gtLabel: Tensor | readonly number[];
}): ClsResult[] {
  const gt = batch.gtLabel instanceof Tensor ? tensorToNumbers(batch.gtLabel) : [...batch.gtLabel];
  const n = gt.length;
  const out: ClsResult[] = gt.map((g) => ({ gtLabel: g }));
  if (batch.predScore !== undefined) {
    const shape = batch.predScore.shape;
    if (shape.length !== 2 || shape[0] !== n) {
      throw new RangeError(`toClsDataSamples: predScore must have shape [${n}, C], got [${shape.join(', ')}]`);
    }
    const c = shape[1] as number;
    const flat = tensorToNumbers(batch.predScore);
    for (let i = 0; i < n; i++) (out[i] as ClsResult).predScore = flat.slice(i * c, (i + 1) * c);
  }
  if (batch.predLabel !== undefined) {
    const labels = batch.predLabel instanceof Tensor ? tensorToNumbers(batch.predLabel) : [...batch.predLabel];
    if (labels.length !== n)
      throw new RangeError(`toClsDataSamples: predLabel has ${labels.length} labels for ${n} samples`);
    for (let i = 0; i < n; i++) (out[i] as ClsResult).predLabel = labels[i] as number;
  }
  return out;
}
