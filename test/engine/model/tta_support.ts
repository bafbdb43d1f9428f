// Pieces of the test-time augmentation tests: a small image classifier (a BaseModel whose
// predictions are ClsResults with softmax scores) and a TTA model that averages the
// augmentations' scores, as mmpretrain's AverageClsScoreTTA. (`node --test` runs this file too;
// it only defines things.)
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';

type Tensor = torch.Tensor;

/** A small convolutional classifier of (1, S, S) uint8 images, normalised by its ClsDataPreprocessor. */
export class TinyClassifier extends engine.BaseModel<engine.ClsResult, Tensor> {
  conv = new torch.nn.Conv2d(1, 8, 3, { padding: 1 });
  fc: torch.nn.Linear;

  constructor(size: number, numClasses: number) {
    super({ dataPreprocessor: new engine.ClsDataPreprocessor({ mean: [127.5], std: [64] }) });
    this.fc = new torch.nn.Linear(8 * (size / 2) ** 2, numClasses);
  }

  forward(
    data: { inputs: Tensor; dataSamples: Tensor | number[] },
    mode: engine.ForwardMode,
  ): engine.LossDict | engine.ClsResult[] | Tensor {
    const F = torch.nn.functional;
    const logits = this.fc.forward(F.maxPool2d(F.relu(this.conv.forward(data.inputs)), 2).flatten(1));
    if (mode === 'loss') return { loss: F.crossEntropy(logits, data.dataSamples as Tensor) };
    if (mode === 'predict') return engine.toClsDataSamples({ predScore: logits.softmax(1), gtLabel: data.dataSamples });
    return logits;
  }
}

/** The index of the largest score (the first of equal ones). */
export function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if ((xs[i] as number) > (xs[best] as number)) best = i;
  return best;
}

/** Each sample's scores averaged over its augmentations; its label the argmax of that average. */
export class AverageClsScoreTTA extends engine.BaseTTAModel<engine.ClsResult, engine.ClsResult> {
  mergePreds(predsPerSample: engine.ClsResult[][]): engine.ClsResult[] {
    return predsPerSample.map((preds) => {
      const scores = preds.map((p) => p.predScore as number[]);
      const mean = (scores[0] as number[]).map(
        (_, j) => scores.reduce((s, x) => s + (x[j] as number), 0) / scores.length,
      );
      return { gtLabel: (preds[0] as engine.ClsResult).gtLabel, predScore: mean, predLabel: argmax(mean) };
    });
  }
}
