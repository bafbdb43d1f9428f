// Precision, recall, F1-score and support from the confusion matrix, and the confusion matrix
// itself, as mmpretrain's `SingleLabelMetric` and `ConfusionMatrix`
// (mmpretrain/evaluation/metrics/single_label.py).
//
// For each class c, from the confusion matrix M (rows: true class, columns: predicted class):
//   tp = M[c][c], predicted = column sum, actual = row sum,
//   precision = tp / max(predicted, 1) * 100, recall = tp / max(actual, 1) * 100,
//   f1 = 2 p r / max(p + r, eps)  (eps = float32's epsilon; so 0 when p = r = 0).
// A class never predicted has precision 0, one never present has recall 0 (sklearn's
// zero_division=0).
//   average 'macro' (default): the mean over classes of each per-class value; keys
//     `precision`, `recall`, `f1-score`, `support` (the sample count).
//   average 'micro': from the summed counts (for single-label data precision = recall =
//     accuracy unless a threshold rejects predictions); keys get `_micro`.
//   average null: one value per class, in lists; keys get `_classwise`.
// With scores, the prediction is the argmax (first on ties); with a threshold, a sample whose
// top score is <= thr predicts no class (it still counts in `actual`). Several thresholds give
// mmpretrain's suffixes before the average's: `precision_thr-0.50_micro`.
// Defaults differ from mmpretrain in one point, as for Accuracy: `thrs` defaults to null (no
// threshold) rather than 0.0. Values are float64.
import { type ClsResult, readClsSample } from '../cls_sample.js';
import { BaseMetric, type BaseMetricOptions, type MetricDict } from '../metric.js';
import { aboveThr, argmax, thrList, thrSuffix } from './ranking.js';

export type MetricItem = 'precision' | 'recall' | 'f1-score' | 'support';
export type AverageMode = 'macro' | 'micro' | null;

const ITEMS: readonly MetricItem[] = ['precision', 'recall', 'f1-score', 'support'];
const FLOAT32_EPS = 2 ** -23;

export interface SingleLabelMetricOptions extends BaseMetricOptions {
  thrs?: number | null | readonly (number | null)[];
  /** Which values to report; default `['precision', 'recall', 'f1-score']`. */
  items?: readonly MetricItem[];
  /** 'macro' (default), 'micro' or null (per class). */
  average?: AverageMode;
  /** The number of classes; needed when the samples carry labels, not scores. */
  numClasses?: number | null;
}

/** Precision, recall and F1 of one set of counts; `support` is the number of true samples. */
export interface PrfSupport {
  precision: number | number[];
  recall: number | number[];
  'f1-score': number | number[];
  support: number | number[];
}

function checkLabel(label: number, numClasses: number, what: string): void {
  if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
    throw new RangeError(`${what}: label ${label} is out of range for ${numClasses} classes`);
  }
}

/**
 * Precision, recall, F1 (percentages) and support from a confusion matrix (rows: true class,
 * columns: predicted class). `rejected[c]`, if given, counts samples of class c whose
 * prediction a threshold removed: they add to the class's support only.
 */
export function prfFromConfusion(
  matrix: readonly (readonly number[])[],
  average: AverageMode,
  rejected?: readonly number[],
): PrfSupport {
  if (!(average === 'macro' || average === 'micro' || average === null)) {
    throw new RangeError(
      `Invalid \`average\` argument, please specify from ['micro', 'macro', null], got ${JSON.stringify(average)}.`,
    );
  }
  const c = matrix.length;
  const tp: number[] = [];
  const predSum: number[] = new Array(c).fill(0);
  const gtSum: number[] = [];
  for (let i = 0; i < c; i++) {
    const row = matrix[i] as readonly number[];
    tp.push(row[i] as number);
    gtSum.push(row.reduce((a, b) => a + b, 0) + (rejected?.[i] ?? 0));
    for (let j = 0; j < c; j++) predSum[j] = (predSum[j] as number) + (row[j] as number);
  }
  const prf = (t: number, p: number, g: number): [number, number, number] => {
    const precision = (t / Math.max(p, 1)) * 100;
    const recall = (t / Math.max(g, 1)) * 100;
    const f1 = (2 * precision * recall) / Math.max(precision + recall, FLOAT32_EPS);
    return [precision, recall, f1];
  };
  const support = gtSum.reduce((a, b) => a + b, 0);
  if (average === 'micro') {
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const [precision, recall, f1] = prf(sum(tp), sum(predSum), sum(gtSum));
    return { precision, recall, 'f1-score': f1, support };
  }
  const per = tp.map((t, i) => prf(t, predSum[i] as number, gtSum[i] as number));
  const col = (k: number) => per.map((v) => v[k] as number);
  if (average === null) return { precision: col(0), recall: col(1), 'f1-score': col(2), support: gtSum };
  const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
  return { precision: mean(col(0)), recall: mean(col(1)), 'f1-score': mean(col(2)), support };
}

export class SingleLabelMetric extends BaseMetric {
  static override defaultPrefix: string | null = 'single-label';

  readonly thrs: (number | null)[];
  readonly items: MetricItem[];
  readonly average: AverageMode;
  readonly numClasses: number | null;

  constructor(options: SingleLabelMetricOptions = {}) {
    super(options);
    this.thrs = thrList(options.thrs, null);
    const items = options.items ?? ['precision', 'recall', 'f1-score'];
    for (const item of items) {
      if (!ITEMS.includes(item)) {
        throw new RangeError(
          `The metric ${item} is not supported by \`SingleLabelMetric\`, please specify from "precision", "recall", "f1-score" and "support".`,
        );
      }
    }
    this.items = [...items];
    const average = options.average === undefined ? 'macro' : options.average;
    if (!(average === 'macro' || average === 'micro' || average === null)) {
      throw new RangeError(
        `Invalid \`average\` argument, please specify from ['micro', 'macro', null], got ${JSON.stringify(average)}.`,
      );
    }
    this.average = average;
    this.numClasses = options.numClasses ?? null;
  }

  override process(_dataBatch: unknown, dataSamples: readonly unknown[]): void {
    for (const sample of dataSamples) {
      const r = readClsSample(sample, `${this.constructor.name}.process`);
      const result: ClsResult = { gtLabel: r.gtLabel };
      if (r.predScore !== undefined) result.predScore = r.predScore;
      else {
        const numClasses = this.numClasses ?? r.numClasses;
        if (numClasses === undefined) {
          throw new TypeError('The `numClasses` must be specified if the data samples have only `predLabel`.');
        }
        result.predLabel = r.predLabel as number;
        result.numClasses = numClasses;
      }
      this.results.push(result);
    }
  }

  override computeMetrics(results: unknown[]): MetricDict {
    const rs = results as ClsResult[];
    if (rs.length === 0) return {};
    const target = rs.map((r) => r.gtLabel);
    const metrics: Record<string, number | number[]> = {};
    const pack = (res: PrfSupport, suffix: string) => {
      for (const item of this.items) metrics[item + suffix] = res[item];
    };
    if (rs[0]?.predScore !== undefined) {
      const pred = rs.map((r, i) => {
        if (r.predScore === undefined)
          throw new TypeError(`${this.constructor.name}: sample ${i} has no predScore while sample 0 has`);
        return r.predScore;
      });
      const list = SingleLabelMetric.calculate(pred, target, {
        thrs: this.thrs,
        average: this.average,
      }) as PrfSupport[];
      const multi = this.thrs.length > 1;
      this.thrs.forEach((thr, i) => {
        pack(list[i] as PrfSupport, multi ? thrSuffix(thr) : '');
      });
    } else {
      const pred = rs.map((r) => r.predLabel as number);
      pack(
        SingleLabelMetric.calculate(pred, target, {
          average: this.average,
          numClasses: rs[0]?.numClasses ?? null,
        }) as PrfSupport,
        '',
      );
    }
    const out: MetricDict = {};
    for (const [k, v] of Object.entries(metrics)) {
      if (this.average === null) out[`${k}_classwise`] = v;
      else if (this.average === 'micro') out[`${k}_micro`] = v;
      else out[k] = v;
    }
    return out;
  }

  /**
   * mmpretrain's `SingleLabelMetric.calculate`: labels (N,) with `numClasses` give one result;
   * scores (N, C) give one result per threshold.
   */
  static calculate(
    pred: readonly number[] | readonly (readonly number[])[],
    target: readonly number[],
    options: { thrs?: readonly (number | null)[]; average?: AverageMode; numClasses?: number | null } = {},
  ): PrfSupport | PrfSupport[] {
    const average = options.average === undefined ? 'macro' : options.average;
    if (pred.length !== target.length) {
      throw new RangeError(`The size of pred (${pred.length}) doesn't match the target (${target.length}).`);
    }
    if (pred.length === 0 || typeof pred[0] === 'number') {
      const numClasses = options.numClasses;
      if (numClasses === undefined || numClasses === null) {
        throw new TypeError('Please specify the `numClasses` if the `pred` is labels instead of scores.');
      }
      const matrix = ConfusionMatrix.calculate(pred as readonly number[], target, numClasses);
      return prfFromConfusion(matrix, average);
    }
    const scores = pred as readonly (readonly number[])[];
    const numClasses = (scores[0] as readonly number[]).length;
    const top = scores.map((row, n) => {
      if (row.length !== numClasses)
        throw new RangeError(`SingleLabelMetric: sample ${n} has ${row.length} scores, sample 0 has ${numClasses}`);
      const label = argmax(row);
      return { label, score: row[label] as number };
    });
    return (options.thrs ?? [null]).map((thr) => {
      const matrix = zeros(numClasses);
      const rejected: number[] = new Array(numClasses).fill(0);
      top.forEach(({ label, score }, n) => {
        const gt = target[n] as number;
        checkLabel(gt, numClasses, 'SingleLabelMetric');
        if (thr !== null && !aboveThr(score, thr)) rejected[gt] = (rejected[gt] as number) + 1;
        else (matrix[gt] as number[])[label] = ((matrix[gt] as number[])[label] as number) + 1;
      });
      return prfFromConfusion(matrix, average, rejected);
    });
  }
}

function zeros(n: number): number[][] {
  return Array.from({ length: n }, () => new Array(n).fill(0));
}

export interface ConfusionMatrixOptions extends BaseMetricOptions {
  numClasses?: number | null;
}

/** The confusion matrix as `{'confusion_matrix/result': number[][]}` (rows: true class). */
export class ConfusionMatrix extends BaseMetric {
  static override defaultPrefix: string | null = 'confusion_matrix';

  numClasses: number | null;

  constructor(options: ConfusionMatrixOptions = {}) {
    super(options);
    this.numClasses = options.numClasses ?? null;
  }

  override process(_dataBatch: unknown, dataSamples: readonly unknown[]): void {
    for (const sample of dataSamples) {
      const r = readClsSample(sample, 'ConfusionMatrix.process');
      if (r.predScore !== undefined) {
        this.numClasses = r.predScore.length;
        this.results.push({ predLabel: argmax(r.predScore), gtLabel: r.gtLabel });
      } else this.results.push({ predLabel: r.predLabel as number, gtLabel: r.gtLabel });
    }
  }

  override computeMetrics(results: unknown[]): MetricDict {
    const rs = results as { predLabel: number; gtLabel: number }[];
    if (this.numClasses === null)
      throw new TypeError('Please specify the `numClasses` if the `pred` is labels instead of scores.');
    return {
      result: ConfusionMatrix.calculate(
        rs.map((r) => r.predLabel),
        rs.map((r) => r.gtLabel),
        this.numClasses,
      ),
    };
  }

  /** `matrix[true][predicted]` counts from labels. */
  static calculate(pred: readonly number[], target: readonly number[], numClasses: number): number[][] {
    if (pred.length !== target.length) {
      throw new RangeError(`The size of pred (${pred.length}) doesn't match the target (${target.length}).`);
    }
    const matrix = zeros(numClasses);
    for (let i = 0; i < pred.length; i++) {
      const p = pred[i] as number;
      const t = target[i] as number;
      checkLabel(p, numClasses, 'ConfusionMatrix');
      checkLabel(t, numClasses, 'ConfusionMatrix');
      (matrix[t] as number[])[p] = ((matrix[t] as number[])[p] as number) + 1;
    }
    return matrix;
  }
}
