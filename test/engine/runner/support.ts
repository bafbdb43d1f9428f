// A small classification problem and model for the runner's tests: an in-memory loader over
// fixed batches (the real DataLoader has its own tests) and an MLP BaseModel.
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';

type Tensor = torch.Tensor;

/** Fixed batches of 2-D points in 3 classes, re-made on each pass; shuffled per epoch from the seed. */
export class ArrayLoader implements engine.DataLoaderLike {
  readonly dataset: { length: number };
  private epoch = 0;
  constructor(
    private readonly xs: number[][],
    private readonly ys: number[],
    readonly batchSize: number,
    private readonly shuffle = false,
  ) {
    this.dataset = { length: xs.length };
  }
  get length(): number {
    return Math.ceil(this.xs.length / this.batchSize);
  }
  setEpoch(epoch: number): void {
    this.epoch = epoch;
  }
  async *[Symbol.asyncIterator](): AsyncIterator<unknown> {
    let order = this.xs.map((_, i) => i);
    if (this.shuffle) {
      // A seeded LCG per epoch: the same order for a given epoch, different between epochs.
      let s = 1234 + this.epoch * 7919;
      order = order
        .map((i) => {
          s = (s * 1103515245 + 12345) % 2 ** 31;
          return [s, i] as const;
        })
        .sort((a, b) => a[0] - b[0])
        .map(([, i]) => i);
    }
    for (let k = 0; k < order.length; k += this.batchSize) {
      const idx = order.slice(k, k + this.batchSize);
      yield {
        inputs: torch.tensor(idx.map((i) => this.xs[i] as number[])),
        dataSamples: torch.tensor(idx.map((i) => this.ys[i] as number)),
      };
    }
  }
}

export function makeData(n: number, seed = 0): { xs: number[][]; ys: number[] } {
  let s = seed + 1;
  const rand = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  const xs: number[][] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = i % 3;
    const angle = (2 * Math.PI * y) / 3;
    xs.push([Math.cos(angle) * 2 + (rand() - 0.5), Math.sin(angle) * 2 + (rand() - 0.5)]);
    ys.push(y);
  }
  return { xs, ys };
}

export interface Prediction {
  predLabel: number;
  gtLabel: number;
}

export class Mlp extends engine.BaseModel<Prediction, Tensor> {
  fc1 = new torch.nn.Linear(2, 16);
  fc2 = new torch.nn.Linear(16, 3);

  forward(
    data: { inputs: Tensor; dataSamples: Tensor },
    mode: engine.ForwardMode,
  ): engine.LossDict | Prediction[] | Tensor {
    const logits = this.fc2.forward(torch.nn.functional.relu(this.fc1.forward(data.inputs.float())));
    if (mode === 'loss') return { loss: torch.nn.functional.crossEntropy(logits, data.dataSamples) };
    if (mode === 'predict') {
      const pred = logits.argmax(1).toArray() as number[];
      const gt = data.dataSamples.toArray() as number[];
      return pred.map((p, i) => ({ predLabel: p, gtLabel: gt[i] as number }));
    }
    return logits;
  }
}

/** Accuracy in percent, as the evaluator interface wants it. */
export class SimpleAccuracy implements engine.EvaluatorLike {
  private results: boolean[] = [];
  process(samples: unknown[]): void {
    for (const s of samples as Prediction[]) this.results.push(s.predLabel === s.gtLabel);
  }
  evaluate(size: number): Record<string, number> {
    const r = this.results.slice(0, size);
    this.results = [];
    return { 'accuracy/top1': (100 * r.filter(Boolean).length) / r.length };
  }
}
