// Accuracy, SingleLabelMetric (F1Metric) and ConfusionMatrix on hand-computed examples, and
// against the mmpretrain formulas evaluated by Python torch where it is installed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Accuracy,
  ConfusionMatrix,
  Evaluator,
  F1Metric,
  SingleLabelMetric,
  toClsDataSamples,
} from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { runPython, skipWithoutPython } from '../../support/python.js';

const close = (actual: unknown, expected: number, tol = 1e-9) => {
  assert.equal(typeof actual, 'number', `expected a number, got ${actual}`);
  assert.ok(
    Math.abs((actual as number) - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${actual} != ${expected}`,
  );
};
const closeAll = (actual: Record<string, unknown>, expected: Record<string, number | number[]>, tol = 1e-9) => {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) {
    if (Array.isArray(v)) {
      const a = actual[k] as number[];
      assert.equal(a.length, v.length, k);
      v.forEach((x, i) => {
        close(a[i], x, tol);
      });
    } else close(actual[k], v, tol);
  }
};

const samples = (scores: number[][], gts: number[]) =>
  scores.map((s, i) => ({ predScore: s, gtLabel: gts[i] as number }));

describe('Accuracy', () => {
  test('labels only: top-1 as a percentage (mmpretrain docstring example)', () => {
    assert.equal(Accuracy.calculate([0, 2, 1, 3], [0, 1, 2, 3]), 50);
    const m = new Accuracy({ topk: [1, 5] });
    m.process(
      null,
      [0, 2, 1, 3].map((p, i) => ({ predLabel: p, gtLabel: i })),
    );
    assert.deepEqual(m.evaluate(4), { 'accuracy/top1': 50 });
  });

  test('top-k from scores', () => {
    // ranks of the true class: 0, 1, 2, 1
    const scores = [
      [0.7, 0.2, 0.1],
      [0.5, 0.3, 0.2],
      [0.1, 0.3, 0.6],
      [0.2, 0.5, 0.3],
    ];
    const m = new Accuracy({ topk: [1, 2, 3] });
    m.process(null, samples(scores, [0, 1, 0, 2]));
    assert.deepEqual(m.evaluate(4), { 'accuracy/top1': 25, 'accuracy/top2': 75, 'accuracy/top3': 100 });
    assert.deepEqual(new Accuracy().topk, [1]);
  });

  test('ties: the lower class index ranks first (as argmax)', () => {
    const m = new Accuracy({ topk: [1, 2, 3] });
    m.process(null, [
      { predScore: [0.4, 0.4, 0.2, 0.0], gtLabel: 1 }, // rank 1: wrong at top-1, right at top-2
      { predScore: [0.4, 0.4, 0.2, 0.0], gtLabel: 0 }, // rank 0
      { predScore: [0.3, 0.3, 0.3, 0.1], gtLabel: 2 }, // rank 2: only top-3
      { predScore: [0.25, 0.25, 0.25, 0.25], gtLabel: 3 }, // rank 3: never
    ]);
    assert.deepEqual(m.evaluate(4), { 'accuracy/top1': 25, 'accuracy/top2': 50, 'accuracy/top3': 75 });
  });

  test('thresholds: strictly above, mmpretrain key suffixes; default none', () => {
    const data = samples(
      [
        [0.9, 0.1],
        [0.5, 0.5], // true class 0 ranks first with score exactly 0.5
        [0.3, 0.7],
        [0.6, 0.4], // wrong at top-1
      ],
      [0, 0, 1, 1],
    );
    const m = new Accuracy({ topk: [1, 2], thrs: [null, 0.5] });
    m.process(null, data);
    assert.deepEqual(m.evaluate(4), {
      'accuracy/top1_no-thr': 75,
      'accuracy/top1_thr-0.50': 50,
      'accuracy/top2_no-thr': 100,
      'accuracy/top2_thr-0.50': 50,
    });
    // raw logits: no threshold by default; thrs 0 is mmpretrain's default and drops them
    const logits = samples(
      [
        [-1, -3],
        [-2, -0.5],
      ],
      [0, 1],
    );
    const byDefault = new Accuracy();
    byDefault.process(null, logits);
    assert.deepEqual(byDefault.evaluate(2), { 'accuracy/top1': 100 });
    const zero = new Accuracy({ thrs: 0 });
    zero.process(null, logits);
    assert.deepEqual(zero.evaluate(2), { 'accuracy/top1': 0 });
  });

  test('top-k larger than the number of classes is an error', () => {
    const m = new Accuracy({ topk: [1, 5] });
    m.process(null, samples([[0.1, 0.2, 0.7]], [2]));
    assert.throws(() => m.evaluate(1), /Top-5 accuracy is unavailable since the number of categories is 3\./);
    assert.throws(() => new Accuracy({ topk: [0] }), /topk must be positive integers/);
  });

  test('tensors in, through the Evaluator; size drops padded samples; prefix and snake_case keys', () => {
    const ev = new Evaluator(new Accuracy({ topk: [1, 2], prefix: 'val' }));
    const scores = torch.tensor([
      [0.1, 0.9, 0.0],
      [0.8, 0.15, 0.05],
    ]);
    ev.process(toClsDataSamples({ predScore: scores, gtLabel: torch.tensor([1, 1]) }));
    ev.process([
      { predScore: torch.tensor([0.2, 0.3, 0.5]), gtLabel: torch.tensor(0) }, // rank 2
      { pred_score: torch.tensor([0.2, 0.3, 0.5]), gt_label: 2 }, // padding: dropped by size
    ]);
    assert.deepEqual(ev.evaluate(3), { 'val/top1': (1 * 100) / 3, 'val/top2': (2 * 100) / 3 });
  });

  test('a sample without a prediction or a label is refused with a clear error', () => {
    const m = new Accuracy();
    assert.throws(() => m.process(null, [{ gtLabel: 1 }]), /neither predScore nor predLabel/);
    assert.throws(() => m.process(null, [{ predScore: [1, 0] }]), /has no gtLabel/);
    assert.throws(() => m.process(null, [{ predLabel: 1, gtLabel: torch.tensor([1, 2]) }]), /expected a single label/);
  });
});

describe('SingleLabelMetric (F1Metric)', () => {
  test('mmpretrain docstring example, macro, micro and per class', () => {
    const pred = [0, 1, 1, 3];
    const gt = [0, 2, 1, 3];
    const run = (options: ConstructorParameters<typeof SingleLabelMetric>[0]) => {
      const m = new SingleLabelMetric({ numClasses: 4, ...options });
      m.process(
        null,
        pred.map((p, i) => ({ predLabel: p, gtLabel: gt[i] as number })),
      );
      return m.evaluate(4);
    };
    closeAll(run({ items: ['precision', 'recall', 'f1-score', 'support'] }), {
      'single-label/precision': 62.5,
      'single-label/recall': 75,
      'single-label/f1-score': 200 / 3,
      'single-label/support': 4,
    });
    closeAll(run({ average: 'micro' }), {
      'single-label/precision_micro': 75,
      'single-label/recall_micro': 75,
      'single-label/f1-score_micro': 75,
    });
    closeAll(run({ average: null, items: ['precision', 'recall', 'f1-score', 'support'] }), {
      'single-label/precision_classwise': [100, 50, 0, 100],
      'single-label/recall_classwise': [100, 100, 0, 100],
      'single-label/f1-score_classwise': [100, 200 / 3, 0, 100],
      'single-label/support_classwise': [1, 1, 1, 1],
    });
  });

  test('unbalanced classes: the values sklearn gives (macro = mean of per-class values)', () => {
    // per class: p = [100, 50, 50], r = [66.67, 50, 100], f1 = [80, 50, 66.67]
    // sklearn.metrics.precision_recall_fscore_support(t, p, average='macro') = (0.6667, 0.7222, 0.6556)
    const gt = [0, 0, 0, 1, 1, 2];
    const pred = [0, 0, 1, 1, 2, 2];
    const m = new F1Metric({ numClasses: 3, prefix: 'f1' });
    m.process(
      null,
      pred.map((p, i) => ({ predLabel: p, gtLabel: gt[i] as number })),
    );
    closeAll(m.evaluate(6), {
      'f1/precision': 200 / 3,
      'f1/recall': (200 / 3 + 50 + 100) / 3,
      'f1/f1-score': (80 + 50 + 200 / 3) / 3,
    });
    assert.equal(F1Metric, SingleLabelMetric);
  });

  test('zero division: a class never predicted or never present counts 0', () => {
    const res = SingleLabelMetric.calculate([0, 1, 1], [0, 0, 1], { numClasses: 4, average: null });
    assert.ok(!Array.isArray(res));
    closeAll(res as unknown as Record<string, unknown>, {
      precision: [100, 50, 0, 0],
      recall: [50, 100, 0, 0],
      'f1-score': [200 / 3, 200 / 3, 0, 0],
      support: [2, 1, 0, 0],
    });
    const macro = SingleLabelMetric.calculate([0, 1, 1], [0, 0, 1], { numClasses: 4 });
    closeAll(macro as unknown as Record<string, unknown>, {
      precision: 37.5,
      recall: 37.5,
      'f1-score': 100 / 3,
      support: 3,
    });
  });

  test('scores: argmax prediction; a top score <= thr predicts nothing', () => {
    const data = samples(
      [
        [0.9, 0.1],
        [0.55, 0.45],
        [0.3, 0.7],
        [0.4, 0.6],
      ],
      [0, 1, 1, 1],
    );
    const m = new SingleLabelMetric({ thrs: [null, 0.6] });
    m.process(null, data);
    closeAll(m.evaluate(4), {
      'single-label/precision_no-thr': 75,
      'single-label/recall_no-thr': 250 / 3,
      'single-label/f1-score_no-thr': (200 / 3 + 80) / 2,
      'single-label/precision_thr-0.60': 100,
      'single-label/recall_thr-0.60': 200 / 3,
      'single-label/f1-score_thr-0.60': 75,
    });
    const micro = new SingleLabelMetric({ thrs: [null, 0.6], average: 'micro', items: ['precision'] });
    micro.process(null, data);
    closeAll(micro.evaluate(4), {
      'single-label/precision_no-thr_micro': 75,
      'single-label/precision_thr-0.60_micro': 100,
    });
    // ties go to the lower index: [0.5, 0.5] predicts class 0
    const tie = new SingleLabelMetric({ average: 'micro', items: ['recall'] });
    tie.process(null, samples([[0.5, 0.5]], [1]));
    closeAll(tie.evaluate(1), { 'single-label/recall_micro': 0 });
  });

  test('labels need numClasses; bad items or averages are refused', () => {
    const m = new SingleLabelMetric();
    assert.throws(() => m.process(null, [{ predLabel: 1, gtLabel: 1 }]), /`numClasses` must be specified/);
    m.process(null, [{ predLabel: 1, gtLabel: 1, numClasses: 3 }]);
    closeAll(m.evaluate(1), {
      'single-label/precision': 100 / 3,
      'single-label/recall': 100 / 3,
      'single-label/f1-score': 100 / 3,
    });
    assert.throws(
      () => new SingleLabelMetric({ items: ['accuracy' as never] }),
      /The metric accuracy is not supported by `SingleLabelMetric`/,
    );
    assert.throws(() => new SingleLabelMetric({ average: 'weighted' as never }), /Invalid `average` argument/);
    assert.throws(
      () => SingleLabelMetric.calculate([0, 5], [0, 1], { numClasses: 3 }),
      /label 5 is out of range for 3 classes/,
    );
  });
});

describe('ConfusionMatrix', () => {
  test('rows are true classes, columns predictions; scores use argmax', () => {
    assert.deepEqual(ConfusionMatrix.calculate([0, 1, 1, 3], [0, 2, 1, 3], 4), [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 0, 1],
    ]);
    const m = new ConfusionMatrix();
    m.process(
      null,
      samples(
        [
          [0.2, 0.8],
          [0.6, 0.4],
          [0.1, 0.9],
        ],
        [1, 1, 0],
      ),
    );
    assert.deepEqual(m.evaluate(3), {
      'confusion_matrix/result': [
        [0, 1],
        [1, 1],
      ],
    });
  });
});

describe('parity with the mmpretrain formulas in Python torch', { skip: skipWithoutPython() }, () => {
  test('random scores: top-k accuracy and macro/micro precision, recall, F1', () => {
    // deterministic pseudo-random scores without ties
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const n = 60;
    const c = 5;
    const scores = Array.from({ length: n }, () => Array.from({ length: c }, rand));
    const gt = Array.from({ length: n }, () => Math.floor(rand() * c));
    const py = runPython<Record<string, number>>(
      `
import torch.nn.functional as F
pred = torch.tensor(INPUT['scores'], dtype=torch.float64)
target = torch.tensor(INPUT['gt'])
num = pred.size(0)
out = {}
score, label = pred.topk(3, dim=1)
correct = label.t().eq(target.view(1, -1).expand_as(label.t()))
for k in (1, 3):
    out[f'top{k}'] = correct[:k].reshape(-1).double().sum().item() * 100.0 / num
    out[f'top{k}_thr'] = (correct & (score.t() > 0.5))[:k].reshape(-1).double().sum().item() * 100.0 / num
top_score, top_label = pred.topk(1)
gt_pos = F.one_hot(target, pred.size(1))
for name, thr in (('', None), ('_thr', 0.5)):
    pred_pos = F.one_hot(top_label.flatten(), pred.size(1))
    if thr is not None:
        pred_pos[top_score.flatten() <= thr] = 0
    for avg in ('macro', 'micro'):
        tp = (pred_pos & gt_pos)
        if avg == 'micro':
            tp, ps, gs = tp.sum(), pred_pos.sum(), gt_pos.sum()
        else:
            tp, ps, gs = tp.sum(0), pred_pos.sum(0), gt_pos.sum(0)
        p = tp / torch.clamp(ps, min=1).double() * 100
        r = tp / torch.clamp(gs, min=1).double() * 100
        f = 2 * p * r / torch.clamp(p + r, min=torch.finfo(torch.float32).eps)
        out[f'precision{name}_{avg}'] = p.mean().item()
        out[f'recall{name}_{avg}'] = r.mean().item()
        out[f'f1{name}_{avg}'] = f.mean().item()
OUTPUT = out
`,
      { scores, gt },
    );
    const acc = new Accuracy({ topk: [1, 3], thrs: [null, 0.5], prefix: 'acc' });
    const macro = new SingleLabelMetric({ thrs: [null, 0.5] });
    const micro = new SingleLabelMetric({ thrs: [null, 0.5], average: 'micro', prefix: 'mi' });
    const ev = new Evaluator([acc, macro, micro]);
    ev.process(samples(scores, gt));
    const r = ev.evaluate(n);
    close(r['acc/top1_no-thr'], py.top1 as number);
    close(r['acc/top3_no-thr'], py.top3 as number);
    close(r['acc/top1_thr-0.50'], py.top1_thr as number);
    close(r['acc/top3_thr-0.50'], py.top3_thr as number);
    for (const [suffix, key] of [
      ['_no-thr', ''],
      ['_thr-0.50', '_thr'],
    ] as const) {
      close(r[`single-label/precision${suffix}`], py[`precision${key}_macro`] as number);
      close(r[`single-label/recall${suffix}`], py[`recall${key}_macro`] as number);
      close(r[`single-label/f1-score${suffix}`], py[`f1${key}_macro`] as number);
      close(r[`mi/precision${suffix}_micro`], py[`precision${key}_micro`] as number);
      close(r[`mi/recall${suffix}_micro`], py[`recall${key}_micro`] as number);
      close(r[`mi/f1-score${suffix}_micro`], py[`f1${key}_micro`] as number);
    }
  });
});

describe('thresholds as mmpretrain applies them', () => {
  test('a float32 score equal to the threshold is not above it; several thresholds name their keys as Python formats them', () => {
    const samples = toClsDataSamples({
      predScore: torch.tensor([
        [0.6, 0.4],
        [0.2, 0.8],
      ]),
      gtLabel: torch.tensor([0, 1]),
    });
    const acc = new Accuracy({ thrs: [0.6, 0.125, 0.625] });
    acc.process(null, samples);
    // mmpretrain: top1 50 at 0.6 (0.6 in float32 is not above 0.6 in float32), 100 at 0.125; keys '0.12', '0.62'.
    assert.deepEqual(acc.evaluate(2), {
      'accuracy/top1_thr-0.60': 50,
      'accuracy/top1_thr-0.12': 100,
      'accuracy/top1_thr-0.62': 50,
    });
  });
});
