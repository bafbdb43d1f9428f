// Accuracy (top-k), as mmpretrain's mmpretrain/evaluation/metrics/single_label.py `Accuracy`.
//
//   new Accuracy({topk: [1, 5]})  ->  {'accuracy/top1': 81.25, 'accuracy/top5': 97.5}
//
// Values are percentages. A sample counts for top-k when its true class is among the k
// highest scores (ties: the lower class index ranks first, see ranking.ts) and, when a
// threshold is set, the score at that rank is strictly above it. With several thresholds the
// keys get mmpretrain's suffixes (`top1_thr-0.50`, `top1_no-thr`). Samples with only a
// predicted label give `top1` alone (topk and thresholds do not apply).
//
// One deliberate difference: mmpretrain's default threshold is 0.0, which silently drops a
// correct prediction whose score is not positive (raw logits, or a probability that underflowed
// to 0). Here the default is `null`, no threshold; pass `thrs: 0` for mmpretrain's behaviour.
// Values are computed in float64 (mmpretrain: float32, so they can differ in the 7th digit).
import { type ClsResult, readClsSample } from '../cls_sample.js';
import { BaseMetric, type BaseMetricOptions, type MetricDict } from '../metric.js';
import { aboveThr, thrList, thrSuffix, topkIndices } from './ranking.js';

export interface AccuracyOptions extends BaseMetricOptions {
  /** k, or several: `1` (default), `[1, 5]`. */
  topk?: number | readonly number[];
  /** Score thresholds: one number, `null` (none, the default) or a list of them. */
  thrs?: number | null | readonly (number | null)[];
}

export class Accuracy extends BaseMetric {
  static override defaultPrefix: string | null = 'accuracy';

  readonly topk: number[];
  readonly thrs: (number | null)[];

  constructor(options: AccuracyOptions = {}) {
    super(options);
    const topk = options.topk ?? 1;
    this.topk = typeof topk === 'number' ? [topk] : [...topk];
    if (this.topk.length === 0 || this.topk.some((k) => !Number.isInteger(k) || k < 1)) {
      throw new RangeError(`Accuracy: topk must be positive integers, got ${JSON.stringify(options.topk)}`);
    }
    this.thrs = thrList(options.thrs, null);
  }

  override process(_dataBatch: unknown, dataSamples: readonly unknown[]): void {
    for (const sample of dataSamples) {
      const r = readClsSample(sample, 'Accuracy.process');
      const result: ClsResult = { gtLabel: r.gtLabel };
      if (r.predScore !== undefined) result.predScore = r.predScore;
      else result.predLabel = r.predLabel as number;
      this.results.push(result);
    }
  }

  override computeMetrics(results: unknown[]): MetricDict {
    const rs = results as ClsResult[];
    const metrics: MetricDict = {};
    if (rs.length === 0) return metrics;
    const target = rs.map((r) => r.gtLabel);
    if (rs[0]?.predScore !== undefined) {
      const pred = rs.map((r, i) => {
        if (r.predScore === undefined) throw new TypeError(`Accuracy: sample ${i} has no predScore while sample 0 has`);
        return r.predScore;
      });
      let acc: number[][];
      try {
        acc = Accuracy.calculate(pred, target, this.topk, this.thrs) as number[][];
      } catch (e) {
        if (e instanceof RangeError) {
          throw new RangeError(`${e.message} Please check the \`valEvaluator\` and \`testEvaluator\` options.`);
        }
        throw e;
      }
      const multiThrs = this.thrs.length > 1;
      this.topk.forEach((k, i) => {
        this.thrs.forEach((thr, j) => {
          metrics[`top${k}${multiThrs ? thrSuffix(thr) : ''}`] = acc[i]?.[j];
        });
      });
    } else {
      const pred = rs.map((r) => r.predLabel as number);
      metrics.top1 = Accuracy.calculate(pred, target) as number;
    }
    return metrics;
  }

  /**
   * mmpretrain's `Accuracy.calculate`. `pred` as labels (N,) gives the top-1 accuracy as a
   * number; as scores (N, C) it gives `acc[i][j]` for `topk[i]` and `thrs[j]`. Percentages.
   */
  static calculate(
    pred: readonly number[] | readonly (readonly number[])[],
    target: readonly number[],
    topk: readonly number[] = [1],
    thrs: readonly (number | null)[] = [null],
  ): number | number[][] {
    const num = pred.length;
    if (num !== target.length)
      throw new RangeError(`The size of pred (${num}) doesn't match the target (${target.length}).`);
    if (num === 0) throw new RangeError('Accuracy: no samples to evaluate');
    if (typeof pred[0] === 'number') {
      let correct = 0;
      for (let i = 0; i < num; i++) if (pred[i] === target[i]) correct++;
      return (correct * 100) / num;
    }
    const scores = pred as readonly (readonly number[])[];
    const numClasses = (scores[0] as readonly number[]).length;
    const maxk = Math.max(...topk);
    if (maxk > numClasses) {
      throw new RangeError(`Top-${maxk} accuracy is unavailable since the number of categories is ${numClasses}.`);
    }
    // counts[i][j]: samples correct within topk[i] under thrs[j]
    const counts = topk.map(() => thrs.map(() => 0));
    for (let n = 0; n < num; n++) {
      const row = scores[n] as readonly number[];
      if (row.length !== numClasses)
        throw new RangeError(`Accuracy: sample ${n} has ${row.length} scores, sample 0 has ${numClasses}`);
      const ranked = topkIndices(row, maxk);
      const rank = ranked.indexOf(target[n] as number);
      if (rank < 0) continue;
      const score = row[ranked[rank] as number] as number;
      topk.forEach((k, i) => {
        if (rank >= k) return;
        thrs.forEach((thr, j) => {
          if (thr === null || aboveThr(score, thr))
            (counts[i] as number[])[j] = ((counts[i] as number[])[j] as number) + 1;
        });
      });
    }
    return counts.map((row) => row.map((c) => (c * 100) / num));
  }
}
