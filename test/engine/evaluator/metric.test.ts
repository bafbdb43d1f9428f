// BaseMetric and Evaluator: the MMEngine contract (batch-first process, size truncation,
// prefixes, clearing, duplicate keys, offline evaluation, datasetMeta), with small metrics.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import {
  Accuracy,
  BaseMetric,
  Evaluator,
  getLogger,
  Logger,
  registerMetric,
  SingleLabelMetric,
  setLogger,
} from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';

/** Records what it is given; its metric is the sum of the recorded values. */
class SumMetric extends BaseMetric {
  static override defaultPrefix: string | null = 'sum';
  batches: unknown[] = [];
  computedWith: unknown[] | null = null;

  override process(dataBatch: unknown, dataSamples: readonly unknown[]): void {
    this.batches.push(dataBatch);
    for (const s of dataSamples) this.results.push(s);
  }

  override computeMetrics(results: unknown[]): Record<string, unknown> {
    this.computedWith = results;
    const values = results.map((r) => (r as { v: number }).v);
    return { total: values.reduce((a, b) => a + b, 0), count: values.length };
  }
}

class NoPrefixMetric extends BaseMetric {
  override process(_b: unknown, samples: readonly unknown[]): void {
    this.results.push(...samples);
  }
  override computeMetrics(results: unknown[]): Record<string, unknown> {
    return { n: results.length };
  }
}

let warnings: string[] = [];
class RecordingLogger extends Logger {
  override warning(message: string): void {
    warnings.push(message);
  }
}
const original = getLogger();
beforeEach(() => {
  warnings = [];
  setLogger(new RecordingLogger('test', { level: 'silent' }));
});
afterEach(() => setLogger(original));

describe('BaseMetric', () => {
  test('evaluate keeps the first `size` results, prefixes keys and clears results', () => {
    const m = new SumMetric();
    m.process(null, [{ v: 1 }, { v: 2 }]);
    m.process(null, [{ v: 3 }, { v: 100 }]); // the last is a sampler's padding
    assert.deepEqual(m.evaluate(3), { 'sum/total': 6, 'sum/count': 3 });
    assert.deepEqual(m.results, []);
    assert.equal(m.computedWith?.length, 3);
  });

  test('prefix: the given one wins over defaultPrefix; none gives bare keys and a warning', () => {
    assert.equal(new SumMetric().prefix, 'sum');
    assert.equal(new SumMetric().defaultPrefix, 'sum');
    const custom = new SumMetric({ prefix: 'val' });
    custom.process(null, [{ v: 4 }]);
    assert.deepEqual(custom.evaluate(1), { 'val/total': 4, 'val/count': 1 });
    assert.equal(warnings.length, 0);

    const bare = new NoPrefixMetric();
    assert.equal(bare.prefix, null);
    assert.ok(warnings.some((w) => w.includes('The prefix is not set in metric class NoPrefixMetric.')));
    bare.process(null, [1, 2]);
    assert.deepEqual(bare.evaluate(10), { n: 2 });
  });

  test('empty results warn, as MMEngine does', () => {
    const m = new SumMetric();
    assert.deepEqual(m.evaluate(5), { 'sum/total': 0, 'sum/count': 0 });
    assert.ok(warnings.some((w) => w.includes('SumMetric got empty `self.results`')));
  });

  test('collectDir needs collectDevice cpu', () => {
    assert.throws(
      () => new SumMetric({ collectDevice: 'gpu', collectDir: '/tmp/x' }),
      /`collectDir` could only be configured when `collectDevice='cpu'`/,
    );
    const m = new SumMetric({ collectDevice: 'gpu' });
    assert.equal(m.collectDevice, 'gpu');
    assert.equal(new SumMetric().collectDevice, 'cpu');
  });

  test('tensors in results reach computeMetrics on the CPU', () => {
    const m = new SumMetric();
    m.process(null, [{ v: 1, t: torch.tensor([1, 2]) }]);
    m.evaluate(1);
    const r = (m.computedWith as { t: torch.Tensor }[])[0];
    assert.ok(r?.t instanceof torch.Tensor);
    assert.equal(r.t.device, 'cpu');
  });
});

describe('Evaluator', () => {
  test('process calls metric.process batch first, converting toDict() elements', () => {
    const m = new SumMetric();
    const ev = new Evaluator(m);
    const element = { toDict: () => ({ v: 5 }) };
    const batch = { inputs: 'x' };
    ev.process([{ v: 1 }, element], batch);
    assert.deepEqual(m.batches, [batch]);
    assert.deepEqual(m.results, [{ v: 1 }, { v: 5 }]);
    ev.process([{ v: 2 }]);
    assert.equal(m.batches[1], null);
    assert.deepEqual(ev.evaluate(3), { 'sum/total': 8, 'sum/count': 3 });
  });

  test('metrics are merged; a duplicate key is an error with MMEngine message', () => {
    const ev = new Evaluator([new SumMetric(), new SumMetric({ prefix: 'other' })]);
    ev.process([{ v: 1 }]);
    assert.deepEqual(ev.evaluate(1), { 'sum/total': 1, 'sum/count': 1, 'other/total': 1, 'other/count': 1 });

    const dup = new Evaluator([new SumMetric(), new SumMetric()]);
    dup.process([{ v: 1 }]);
    assert.throws(
      () => dup.evaluate(1),
      (e: Error) =>
        e.message ===
        'There are multiple evaluation results with the same metric name sum/total. Please make sure all metrics have different prefixes.',
    );
  });

  test('metric configs build registered metrics; others are refused', () => {
    const ev = new Evaluator([
      { type: 'Accuracy', topk: [1, 2] },
      { type: 'F1Metric', average: 'micro' },
    ]);
    assert.ok(ev.metrics[0] instanceof Accuracy);
    assert.deepEqual((ev.metrics[0] as Accuracy).topk, [1, 2]);
    assert.ok(ev.metrics[1] instanceof SingleLabelMetric);
    assert.equal((ev.metrics[1] as SingleLabelMetric).average, 'micro');
    registerMetric('SumMetric', SumMetric);
    assert.ok(new Evaluator({ type: 'SumMetric', prefix: 'p' }).metrics[0] instanceof SumMetric);
    assert.throws(() => new Evaluator({ type: 'Nope' }), /Nope is not in the metric registry/);
    assert.throws(() => new Evaluator([42 as never]), /metric should be a dict or a BaseMetric/);
  });

  test('datasetMeta is forwarded to every metric', () => {
    const a = new SumMetric();
    const b = new SumMetric({ prefix: 'b' });
    const ev = new Evaluator([a, b]);
    const meta = { classes: ['cat', 'dog'] };
    ev.datasetMeta = meta;
    assert.equal(ev.datasetMeta, meta);
    assert.equal(a.datasetMeta, meta);
    assert.equal(b.datasetMeta, meta);
  });

  test('offlineEvaluate chunks outputs and pseudo-collated data, then evaluates them all', () => {
    const m = new SumMetric();
    const ev = new Evaluator(m);
    const outputs = [{ v: 1 }, { v: 2 }, { v: 3 }, { v: 4 }, { v: 5 }];
    const data = outputs.map((_o, i) => ({ img: `img${i}`, meta: { id: i }, pair: [i, -i] }));
    assert.deepEqual(ev.offlineEvaluate(outputs, data, 2), { 'sum/total': 15, 'sum/count': 5 });
    assert.deepEqual(m.batches, [
      {
        img: ['img0', 'img1'],
        meta: { id: [0, 1] },
        pair: [
          [0, 1],
          [-0, -1],
        ],
      },
      {
        img: ['img2', 'img3'],
        meta: { id: [2, 3] },
        pair: [
          [2, 3],
          [-2, -3],
        ],
      },
      { img: ['img4'], meta: { id: [4] }, pair: [[4], [-4]] },
    ]);
    m.batches = [];
    assert.deepEqual(ev.offlineEvaluate(outputs), { 'sum/total': 15, 'sum/count': 5 });
    assert.deepEqual(m.batches, [null, null, null, null, null]);
    assert.throws(
      () => ev.offlineEvaluate(outputs, data.slice(1)),
      /data_samples and data should have the same length/,
    );
  });
});

describe('CUDA tensors', { skip: torch.cuda.isAvailable() ? false : 'CUDA is not available' }, () => {
  test('metrics read CUDA predictions; evaluate hands computeMetrics CPU tensors', () => {
    const acc = new Accuracy({ topk: [1, 2] });
    const scores = torch
      .tensor([
        [0.1, 0.7, 0.2],
        [0.6, 0.3, 0.1],
      ])
      .cuda();
    acc.process(null, [
      { predScore: scores.select(0, 0), gtLabel: torch.tensor(1).cuda() },
      { predScore: scores.select(0, 1), gtLabel: torch.tensor(1).cuda() },
    ]);
    assert.deepEqual(acc.evaluate(2), { 'accuracy/top1': 50, 'accuracy/top2': 100 });
    const m = new SumMetric();
    m.process(null, [{ v: 1, t: torch.tensor([1, 2]).cuda() }]);
    m.evaluate(1);
    assert.equal((m.computedWith as { t: torch.Tensor }[])[0]?.t.device, 'cpu');
  });
});
