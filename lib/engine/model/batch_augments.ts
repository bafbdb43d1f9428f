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
      // As mmpretrain's rand_bbox_minmax: the corner is drawn below h - cutH (exclusive), so
      // the box never reaches the last row or column.
      const y1 = this.randint(0, h - cutH);
      const x1 = this.randint(0, w - cutW);
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

/** What Mosaic drew for one output image: the centre and the four source images. */
export interface MosaicDraw {
  /** Centre row: the top quadrants are rows [0, cy), the bottom ones rows [cy, H). */
  cy: number;
  /** Centre column: the left quadrants are columns [0, cx), the right ones columns [cx, W). */
  cx: number;
  /** Batch indices of the top-left, top-right, bottom-left and bottom-right sources; the first is i. */
  sources: [number, number, number, number];
}

/** One object detection sample: `boxes` (K, 4) as xyxy pixels and their `labels` (K,). */
export interface MosaicBoxSample {
  boxes: Tensor;
  labels: Tensor;
  [key: string]: unknown;
}

/**
 * Mosaic (YOLOv4 / mmdet's Mosaic) as a batch augment: output image i is four images of the
 * batch tiled around a random centre (cy, cx). The top-left quadrant, rows [0, cy) and columns
 * [0, cx), comes from image i itself; top-right from partner b, bottom-left from c and
 * bottom-right from d. Each quadrant is a crop, not a resize: it holds the source's pixels at
 * the very same coordinates, so the output keeps the (N, C, H, W) shape and each source keeps
 * its scale. The centre is drawn uniformly among the integers cy in
 * [ceil(lo * H), floor(hi * H)] and cx in [ceil(lo * W), floor(hi * W)] for
 * `centerRatioRange` [lo, hi] (default [0.25, 0.75]: the middle half of each side). With a
 * batch of at least four, the three partners are distinct images other than i (a randperm of
 * the others); with a smaller batch they are drawn with replacement from the whole batch.
 * Randomness comes from libtorch's generator, so torch.manualSeed makes it repeatable.
 *
 * Labels (`dataSamples`):
 * - a Tensor of class indices (N,) (needs `numClasses`) or scores (N, C): the result is float
 *   scores (N, C), each row the area-weighted mix of its four sources' scores (the weights are
 *   the quadrant areas over H * W, so a row of probabilities stays one that sums to 1);
 * - an array of per-image objects with `boxes` (K, 4) xyxy and `labels` (K,): each output image
 *   gets a new object (the other fields of sample i kept) whose boxes are each source's boxes
 *   moved into its quadrant and clipped to it, with those left with zero width or height dropped
 *   (with their labels). Because a quadrant copies its source's own coordinates, the move is a
 *   shift by zero: only the clipping changes a box;
 * - null or undefined: passed through (only the images are tiled).
 *
 * With probability 1 - `prob` the batch comes back unchanged (inputs and labels as given).
 * The inputs are never modified in place. `lastDraws` holds what the latest call drew (empty
 * when it passed the batch through), and `draw` may be overridden, e.g. by a test that pins the
 * centre and partners; both are there for tests and inspection.
 */
export class Mosaic {
  readonly numClasses: number | undefined;
  readonly prob: number;
  readonly centerRatioRange: [number, number];
  /** What the latest call drew, one entry per output image (for tests and inspection). */
  lastDraws: MosaicDraw[] = [];

  constructor(options: { numClasses?: number; prob?: number; centerRatioRange?: [number, number] } = {}) {
    const prob = options.prob ?? 1.0;
    if (!(typeof prob === 'number' && prob >= 0 && prob <= 1)) throw new Error('prob must be a number in [0, 1]');
    const range = options.centerRatioRange ?? [0.25, 0.75];
    if (
      !Array.isArray(range) ||
      range.length !== 2 ||
      !(typeof range[0] === 'number' && typeof range[1] === 'number') ||
      !(range[0] >= 0 && range[0] <= range[1] && range[1] <= 1)
    )
      throw new Error('centerRatioRange must be [lo, hi] with 0 <= lo <= hi <= 1');
    this.numClasses = options.numClasses;
    this.prob = prob;
    this.centerRatioRange = [range[0], range[1]];
  }

  private randint(low: number, high: number): number {
    return torch.scope(() => torch.randint(low, high, [1]).item() as number);
  }

  /** The centre and the four sources of output image i in a batch of n images of h x w. */
  protected draw(i: number, n: number, h: number, w: number): MosaicDraw {
    const [lo, hi] = this.centerRatioRange;
    const pick = (size: number) => {
      const a = Math.min(Math.ceil(lo * size), size);
      const b = Math.max(a, Math.floor(hi * size));
      return this.randint(a, b + 1);
    };
    const cy = pick(h);
    const cx = pick(w);
    let partners: number[];
    if (n >= 4) {
      const perm = torch.scope(() => torch.randperm(n - 1).toArray() as number[]);
      partners = perm.slice(0, 3).map((j) => (j >= i ? j + 1 : j));
    } else {
      partners = [this.randint(0, n), this.randint(0, n), this.randint(0, n)];
    }
    return { cy, cx, sources: [i, partners[0] as number, partners[1] as number, partners[2] as number] };
  }

  call(inputs: Tensor, dataSamples: unknown): AugmentResult {
    if (!(inputs instanceof torch.Tensor) || inputs.dim() !== 4)
      throw new Error('Mosaic: inputs must be an (N, C, H, W) tensor');
    this.lastDraws = [];
    if (this.prob < 1) {
      const u = torch.scope(() => torch.rand([1]).item() as number);
      if (u >= this.prob) return { inputs, dataSamples };
    }
    const [n, , h, w] = inputs.shape as [number, number, number, number];
    const isBoxes = Array.isArray(dataSamples);
    if (isBoxes) {
      if (dataSamples.length !== n)
        throw new Error(`Mosaic: got ${dataSamples.length} data samples for a batch of ${n} images`);
      for (const s of dataSamples) {
        const o = s as { boxes?: unknown; labels?: unknown } | null;
        if (!o || !(o.boxes instanceof torch.Tensor) || !(o.labels instanceof torch.Tensor))
          throw new TypeError('Mosaic: each data sample must be an object with `boxes` (K, 4) and `labels` (K,)');
      }
    }
    const scores =
      dataSamples === null || dataSamples === undefined || isBoxes
        ? null
        : toScores(dataSamples, this.numClasses, 'Mosaic');

    const draws: MosaicDraw[] = [];
    for (let i = 0; i < n; i++) draws.push(this.draw(i, n, h, w));
    this.lastDraws = draws;

    // Quadrants as [y0, y1, x0, x1], in the order of `sources`.
    const quadrants = (d: MosaicDraw): [number, number, number, number][] => [
      [0, d.cy, 0, d.cx],
      [0, d.cy, d.cx, w],
      [d.cy, h, 0, d.cx],
      [d.cy, h, d.cx, w],
    ];

    const out = torch.noGrad(() => {
      const o = inputs.clone();
      draws.forEach((d, i) => {
        quadrants(d).forEach(([y0, y1, x0, x1], q) => {
          if (y1 <= y0 || x1 <= x0) return;
          const rowsSlice = `${y0}:${y1}`;
          const colsSlice = `${x0}:${x1}`;
          o.at(i, ':', rowsSlice, colsSlice).copy_(inputs.at(d.sources[q] as number, ':', rowsSlice, colsSlice));
        });
      });
      return o;
    });

    let outSamples: unknown = dataSamples;
    if (scores) {
      // Mixing matrix M (N, N): M[i][j] = the share of output i's area that came from image j.
      const m = draws.map((d) => {
        const row = new Array<number>(n).fill(0);
        quadrants(d).forEach(([y0, y1, x0, x1], q) => {
          row[d.sources[q] as number] += ((y1 - y0) * (x1 - x0)) / (h * w);
        });
        return row;
      });
      outSamples = torch.tensor(m).to({ dtype: scores.dtype, device: scores.device }).matmul(scores);
    } else if (isBoxes) {
      const samples = dataSamples as MosaicBoxSample[];
      outSamples = draws.map((d, i) => {
        const boxes: Tensor[] = [];
        const labels: Tensor[] = [];
        quadrants(d).forEach(([y0, y1, x0, x1], q) => {
          const src = samples[d.sources[q] as number] as MosaicBoxSample;
          if (src.boxes.size(0) === 0) return;
          // Shift into the quadrant: by (0, 0), as the quadrant copies the source's own coordinates.
          const dx = 0;
          const dy = 0;
          const b = src.boxes;
          const clipped = torch.stack(
            [
              b.at(':', 0).add(dx).clamp({ min: x0, max: x1 }),
              b.at(':', 1).add(dy).clamp({ min: y0, max: y1 }),
              b.at(':', 2).add(dx).clamp({ min: x0, max: x1 }),
              b.at(':', 3).add(dy).clamp({ min: y0, max: y1 }),
            ],
            1,
          );
          const keep = clipped
            .at(':', 2)
            .gt(clipped.at(':', 0))
            .logicalAnd(clipped.at(':', 3).gt(clipped.at(':', 1)))
            .nonzero()
            .flatten();
          boxes.push(clipped.indexSelect(0, keep));
          labels.push(src.labels.indexSelect(0, keep.to({ device: src.labels.device })));
        });
        const own = samples[i] as MosaicBoxSample;
        return {
          ...own,
          boxes: boxes.length ? torch.cat(boxes, 0) : own.boxes.reshape([0, 4]),
          labels: labels.length ? torch.cat(labels, 0) : own.labels.reshape([0]),
        };
      });
    }
    return { inputs: out, dataSamples: outSamples };
  }
}
