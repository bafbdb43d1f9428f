// Batch augmentations for image classification (mmpretrain's Mixup, CutMix and
// RandomBatchAugment). Each takes the batch inputs (N, C, H, W) and the labels, either class
// indices (N,) or scores (N, numClasses), and returns new inputs and soft scores (N,
// numClasses) that crossEntropy accepts as probabilities. Randomness comes from libtorch's
// generator, so torch.manualSeed makes them repeatable.
import * as torch from '../../torch/index.js';

type Tensor = torch.Tensor;

export interface AugmentResult {
  inputs: Tensor;
  dataSamples: unknown;
}

export type BatchAugment =
  | ((inputs: Tensor, dataSamples: unknown) => AugmentResult)
  | { call(inputs: Tensor, dataSamples: unknown): AugmentResult };

export function runBatchAugment(augment: BatchAugment, inputs: Tensor, dataSamples: unknown): AugmentResult {
  return typeof augment === 'function' ? augment(inputs, dataSamples) : augment.call(inputs, dataSamples);
}

/** Labels as float scores (N, numClasses): one-hot for class indices. */
function toScores(labels: unknown, numClasses: number | undefined, name: string): Tensor {
  if (!(labels instanceof torch.Tensor)) {
    throw new TypeError(`${name}: expected the labels (dataSamples) to be a Tensor of class indices or scores`);
  }
  if (labels.dim() === 2) return labels.float();
  if (labels.dim() !== 1)
    throw new Error(
      `${name}: labels must be (N,) class indices or (N, C) scores, got shape [${labels.shape.join(', ')}]`,
    );
  if (numClasses === undefined) throw new Error(`${name}: numClasses is needed to turn class indices into scores`);
  return torch.nn.functional.oneHot(labels.long(), numClasses).float();
}

/** One draw of Beta(alpha, alpha), as Gamma(a) / (Gamma(a) + Gamma(a)). */
function sampleBeta(alpha: number): number {
  return torch.scope(() => {
    const g = torch._standardGamma(torch.full([2], alpha, { dtype: 'float64' }));
    const lam = g.at(0).div(g.sum()).item() as number;
    // 0 / 0 only when both draws underflow (a tiny alpha): the two sides are then equal.
    return Number.isNaN(lam) ? 0.5 : lam;
  });
}

export class MixUp {
  readonly alpha: number;
  readonly numClasses: number | undefined;

  constructor(options: { alpha: number; numClasses?: number }) {
    if (!(typeof options.alpha === 'number' && options.alpha > 0))
      throw new Error('alpha must be a number greater than 0');
    this.alpha = options.alpha;
    this.numClasses = options.numClasses;
  }

  protected beta(): number {
    return sampleBeta(this.alpha);
  }

  /** lam·x + (1 - lam)·x[perm], and the same for the scores; the inputs are not modified. */
  call(inputs: Tensor, dataSamples: unknown): AugmentResult {
    const scores = toScores(dataSamples, this.numClasses, 'MixUp');
    const lam = this.beta();
    const index = torch.randperm(inputs.size(0), { device: inputs.device });
    return {
      inputs: inputs.mul(lam).add(inputs.indexSelect(0, index).mul(1 - lam)),
      dataSamples: scores.mul(lam).add(scores.indexSelect(0, index).mul(1 - lam)),
    };
  }
}

export class CutMix extends MixUp {
  readonly cutmixMinmax: [number, number] | null;
  readonly correctLam: boolean;

  constructor(options: {
    alpha: number;
    numClasses?: number;
    cutmixMinmax?: [number, number] | null;
    correctLam?: boolean;
  }) {
    super(options);
    this.cutmixMinmax = options.cutmixMinmax ?? null;
    this.correctLam = options.correctLam ?? true;
  }

  private randint(low: number, high: number): number {
    return torch.scope(() => torch.randint(low, high, [1]).item() as number);
  }

  /** The box [y1, y2, x1, x2] to paste, and lam corrected to the pasted area where asked. */
  cutmixBboxAndLam(shape: number[], lam: number): [[number, number, number, number], number] {
    const h = shape[shape.length - 2] as number;
    const w = shape[shape.length - 1] as number;
    let box: [number, number, number, number];
    if (this.cutmixMinmax) {
      const [lo, hi] = this.cutmixMinmax;
      const cutH = this.randint(Math.trunc(h * lo), Math.trunc(h * hi));
      const cutW = this.randint(Math.trunc(w * lo), Math.trunc(w * hi));
      const y1 = this.randint(0, h - cutH + 1);
      const x1 = this.randint(0, w - cutW + 1);
      box = [y1, y1 + cutH, x1, x1 + cutW];
    } else {
      const ratio = Math.sqrt(1 - lam);
      const cutH = Math.trunc(h * ratio);
      const cutW = Math.trunc(w * ratio);
      const cy = this.randint(0, h);
      const cx = this.randint(0, w);
      const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
      box = [
        clip(cy - Math.floor(cutH / 2), h),
        clip(cy + Math.floor(cutH / 2), h),
        clip(cx - Math.floor(cutW / 2), w),
        clip(cx + Math.floor(cutW / 2), w),
      ];
    }
    if (this.correctLam || this.cutmixMinmax) {
      const area = (box[1] - box[0]) * (box[3] - box[2]);
      lam = 1 - area / (h * w);
    }
    return [box, lam];
  }

  /** Pastes a box of x[perm] into x (in place, as the reference does) and mixes the scores by area. */
  override call(inputs: Tensor, dataSamples: unknown): AugmentResult {
    const scores = toScores(dataSamples, this.numClasses, 'CutMix');
    const index = torch.randperm(inputs.size(0), { device: inputs.device });
    const [[y1, y2, x1, x2], lam] = this.cutmixBboxAndLam(inputs.shape, this.beta());
    torch.noGrad(() => {
      const region = `${y1}:${y2}`;
      const cols = `${x1}:${x2}`;
      inputs.at(':', ':', region, cols).copy_(inputs.indexSelect(0, index).at(':', ':', region, cols));
    });
    return { inputs, dataSamples: scores.mul(lam).add(scores.indexSelect(0, index).mul(1 - lam)) };
  }
}

/**
 * Picks one of `augments` per batch, with `probs` (uniform by default); the rest of the mass
 * means "none". On "none" the inputs come back unchanged and the labels as float scores: class
 * indices become one-hot with `numClasses` (by default the first augment's), so that every
 * batch's labels have the same form whichever branch was drawn.
 */
export class RandomBatchAugment {
  readonly augments: (BatchAugment | null)[];
  readonly probs: number[] | null;
  readonly numClasses: number | undefined;

  constructor(options: { augments: BatchAugment | BatchAugment[]; probs?: number | number[]; numClasses?: number }) {
    const augments = Array.isArray(options.augments) ? [...options.augments] : [options.augments];
    this.numClasses =
      options.numClasses ??
      augments.map((a) => (a as { numClasses?: number }).numClasses).find((n): n is number => typeof n === 'number');
    let probs =
      options.probs === undefined ? null : typeof options.probs === 'number' ? [options.probs] : [...options.probs];
    if (probs) {
      if (probs.length !== augments.length) throw new Error(`Got ${augments.length} vs ${probs.length}`);
      const total = probs.reduce((a, b) => a + b, 0);
      if (total > 1 + 1e-12) throw new Error('The total probability of batch augments exceeds 1.');
      probs = [...probs, 1 - total];
    }
    this.augments = probs ? [...augments, null] : augments;
    this.probs = probs;
  }

  call(inputs: Tensor, dataSamples: unknown): AugmentResult {
    const k = torch.scope(() => {
      const p = this.probs
        ? torch.tensor(this.probs, { dtype: 'float64' })
        : torch.ones([this.augments.length], { dtype: 'float64' });
      return torch.multinomial(p.clamp({ min: 0 }), 1).item() as number;
    });
    const augment = this.augments[k];
    if (!augment) {
      const keepAsIs =
        !(dataSamples instanceof torch.Tensor) || (dataSamples.dim() === 1 && this.numClasses === undefined);
      return {
        inputs,
        dataSamples: keepAsIs ? dataSamples : toScores(dataSamples, this.numClasses, 'RandomBatchAugment'),
      };
    }
    return runBatchAugment(augment, inputs, dataSamples);
  }
}
