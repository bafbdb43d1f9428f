import type { Reduction } from '../../marshal.js';
import type { Tensor } from '../../tensor.js';
import * as F from '../functional.js';
import { Module } from '../module.js';
import { pyFloat } from '../repr.js';
import { PairwiseDistance } from './distance.js';

/** A loss's reduction of its per-element values ('mean', 'sum' or 'none'), as PyTorch's _Loss. */
abstract class Loss<R extends string = Reduction> extends Module {
  readonly reduction: R;

  constructor(options?: { reduction?: R }) {
    super();
    this.reduction = options?.reduction ?? ('mean' as R);
  }
}

export class CrossEntropyLoss extends Loss {
  declare weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;

  constructor(options?: {
    weight?: Tensor | null;
    ignoreIndex?: number;
    reduction?: Reduction;
    labelSmoothing?: number;
  }) {
    super(options);
    this.registerBuffer('weight', options?.weight ?? null);
    this.ignoreIndex = options?.ignoreIndex ?? -100;
    this.labelSmoothing = options?.labelSmoothing ?? 0;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

export class NLLLoss extends Loss {
  declare weight: Tensor | null;
  readonly ignoreIndex: number;

  constructor(options?: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction }) {
    super(options);
    this.registerBuffer('weight', options?.weight ?? null);
    this.ignoreIndex = options?.ignoreIndex ?? -100;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

export class MSELoss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, { reduction: this.reduction });
  }
}

export class BCEWithLogitsLoss extends Loss {
  declare weight: Tensor | null;
  declare pos_weight: Tensor | null;

  constructor(options?: { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null }) {
    super(options);
    this.registerBuffer('weight', options?.weight ?? null);
    this.registerBuffer('pos_weight', options?.posWeight ?? null);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, {
      weight: this.weight,
      reduction: this.reduction,
      posWeight: this.pos_weight,
    });
  }
}

/** Binary cross-entropy of probabilities, with an optional per-element weight (broadcast). */
export class BCELoss extends Loss {
  declare weight: Tensor | null;

  constructor(options?: { weight?: Tensor | null; reduction?: Reduction }) {
    super(options);
    this.registerBuffer('weight', options?.weight ?? null);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** ½(x − y)²/beta where |x − y| < beta, else |x − y| − ½beta (L1 when beta is 0). */
export class SmoothL1Loss extends Loss {
  readonly beta: number;

  constructor(options?: { reduction?: Reduction; beta?: number }) {
    super(options);
    this.beta = options?.beta ?? 1;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** ½(x − y)² where |x − y| < delta, else delta·(|x − y| − ½delta). */
export class HuberLoss extends Loss {
  readonly delta: number;

  constructor(options?: { reduction?: Reduction; delta?: number }) {
    super(options);
    const delta = options?.delta ?? 1;
    if (typeof delta !== 'number') throw new TypeError(`HuberLoss: delta must be a number, got ${typeof delta}`);
    this.delta = delta;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** KL divergence of the target from the input (log-probabilities); 'batchmean' divides the sum by the batch size. */
export class KLDivLoss extends Loss<Reduction | 'batchmean'> {
  readonly logTarget: boolean;

  constructor(options?: { reduction?: Reduction | 'batchmean'; logTarget?: boolean }) {
    super(options);
    this.logTarget = options?.logTarget ?? false;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

/** log(1 + exp(−y·x)) for targets ±1. */
export class SoftMarginLoss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.softMarginLoss(input, target, { reduction: this.reduction });
  }
}

/** max(0, −y·(x1 − x2) + margin) for targets ±1. */
export class MarginRankingLoss extends Loss {
  readonly margin: number;

  constructor(options?: { margin?: number; reduction?: Reduction }) {
    super(options);
    this.margin = options?.margin ?? 0;
  }

  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return F.marginRankingLoss(input1, input2, target, { margin: this.margin, reduction: this.reduction });
  }
}

/** 1 − cos(x1, x2) for target 1, max(0, cos(x1, x2) − margin) for target −1. */
export class CosineEmbeddingLoss extends Loss {
  readonly margin: number;

  constructor(options?: { margin?: number; reduction?: Reduction }) {
    super(options);
    this.margin = options?.margin ?? 0;
  }

  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return F.cosineEmbeddingLoss(input1, input2, target, { margin: this.margin, reduction: this.reduction });
  }
}

/** Negative log likelihood of the target under N(input, var); forward(input, target, var). */
export class GaussianNLLLoss extends Loss {
  readonly full: boolean;
  readonly eps: number;

  constructor(options?: { full?: boolean; eps?: number; reduction?: Reduction }) {
    super(options);
    this.full = options?.full ?? false;
    this.eps = options?.eps ?? 1e-6;
  }

  forward(input: Tensor, target: Tensor, variance: Tensor | number): Tensor {
    return F.gaussianNllLoss(input, target, variance, { full: this.full, eps: this.eps, reduction: this.reduction });
  }
}

/** Negative log likelihood of the target under Poisson(input) (Poisson(exp(input)) with logInput). */
export class PoissonNLLLoss extends Loss {
  readonly logInput: boolean;
  readonly full: boolean;
  readonly eps: number;

  constructor(options?: { logInput?: boolean; full?: boolean; eps?: number; reduction?: Reduction }) {
    super(options);
    this.logInput = options?.logInput ?? true;
    this.full = options?.full ?? false;
    this.eps = options?.eps ?? 1e-8;
  }

  forward(logInput: Tensor, target: Tensor): Tensor {
    return F.poissonNllLoss(logInput, target, {
      logInput: this.logInput,
      full: this.full,
      eps: this.eps,
      reduction: this.reduction,
    });
  }
}

/** x where y = 1, max(0, margin − x) where y = −1. */
export class HingeEmbeddingLoss extends Loss {
  readonly margin: number;

  constructor(options?: { margin?: number; reduction?: Reduction }) {
    super(options);
    this.margin = options?.margin ?? 1;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.hingeEmbeddingLoss(input, target, { margin: this.margin, reduction: this.reduction });
  }
}

/** Multi-class multi-label hinge loss; the target holds class indices, ended by the first −1. */
export class MultiLabelMarginLoss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.multilabelMarginLoss(input, target, { reduction: this.reduction });
  }
}

/** Binary cross-entropy of logits per class, averaged over the classes; an optional per-class weight. */
export class MultiLabelSoftMarginLoss extends Loss {
  declare weight: Tensor | null;

  constructor(options?: { weight?: Tensor | null; reduction?: Reduction }) {
    super(options);
    this.registerBuffer('weight', options?.weight ?? null);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.multilabelSoftMarginLoss(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** Multi-class hinge loss: max(0, margin − x[y] + x[i])^p over i ≠ y, divided by the number of classes. */
export class MultiMarginLoss extends Loss {
  declare weight: Tensor | null;
  readonly p: number;
  readonly margin: number;

  constructor(options?: { p?: number; margin?: number; weight?: Tensor | null; reduction?: Reduction }) {
    super(options);
    const weight = options?.weight ?? null;
    this.registerBuffer('weight', weight);
    const p = options?.p ?? 1;
    if (p !== 1 && p !== 2) throw new Error('MultiMarginLoss: only p == 1 and p == 2 supported');
    if (weight !== null && weight.dim() !== 1) {
      throw new Error(`MultiMarginLoss: expected weight to be None or 1D tensor, got ${weight.dim()}D instead`);
    }
    this.p = p;
    this.margin = options?.margin ?? 1;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.multiMarginLoss(input, target, {
      p: this.p,
      margin: this.margin,
      weight: this.weight,
      reduction: this.reduction,
    });
  }
}

/** max(0, ‖a − p‖ − ‖a − n‖ + margin) with the p-norm; `swap` uses the smaller of d(a, n) and d(p, n). */
export class TripletMarginLoss extends Loss {
  readonly margin: number;
  readonly p: number;
  readonly eps: number;
  readonly swap: boolean;

  constructor(options?: { margin?: number; p?: number; eps?: number; swap?: boolean; reduction?: Reduction }) {
    super(options);
    const margin = options?.margin ?? 1;
    if (!(margin > 0)) {
      throw new Error(`TripletMarginLoss: expected margin to be greater than 0, got ${pyFloat(margin)} instead`);
    }
    this.margin = margin;
    this.p = options?.p ?? 2;
    this.eps = options?.eps ?? 1e-6;
    this.swap = options?.swap ?? false;
  }

  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return F.tripletMarginLoss(anchor, positive, negative, {
      margin: this.margin,
      p: this.p,
      eps: this.eps,
      swap: this.swap,
      reduction: this.reduction,
    });
  }
}

/**
 * max(0, d(a, p) − d(a, n) + margin) for any distance: `distanceFunction` is a function of two
 * tensors or a module (default nn.PairwiseDistance(), a submodule named distance_function, as in
 * PyTorch).
 */
export class TripletMarginWithDistanceLoss extends Loss {
  readonly distance_function: F.DistanceFunction;
  readonly margin: number;
  readonly swap: boolean;

  constructor(options?: {
    distanceFunction?: F.DistanceFunction | null;
    margin?: number;
    swap?: boolean;
    reduction?: Reduction;
  }) {
    super(options);
    const margin = options?.margin ?? 1;
    if (!(margin > 0)) {
      throw new Error(
        `TripletMarginWithDistanceLoss: expected margin to be greater than 0, got ${pyFloat(margin)} instead`,
      );
    }
    this.distance_function = options?.distanceFunction ?? new PairwiseDistance();
    this.margin = margin;
    this.swap = options?.swap ?? false;
  }

  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return F.tripletMarginWithDistanceLoss(anchor, positive, negative, {
      distanceFunction: this.distance_function,
      margin: this.margin,
      swap: this.swap,
      reduction: this.reduction,
    });
  }
}

/**
 * Connectionist temporal classification loss; forward(logProbs (T, N, C), targets, inputLengths,
 * targetLengths), the lengths as integer tensors or arrays. 'mean' divides each sequence's loss by
 * its target length, then averages over the batch.
 */
export class CTCLoss extends Loss {
  readonly blank: number;
  readonly zeroInfinity: boolean;

  constructor(options?: { blank?: number; reduction?: Reduction; zeroInfinity?: boolean }) {
    super(options);
    this.blank = options?.blank ?? 0;
    this.zeroInfinity = options?.zeroInfinity ?? false;
  }

  forward(
    logProbs: Tensor,
    targets: Tensor,
    inputLengths: Tensor | number[],
    targetLengths: Tensor | number[],
  ): Tensor {
    return F.ctcLoss(logProbs, targets, inputLengths, targetLengths, {
      blank: this.blank,
      reduction: this.reduction,
      zeroInfinity: this.zeroInfinity,
    });
  }
}
