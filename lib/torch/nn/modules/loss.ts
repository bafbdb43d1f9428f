import type { Reduction } from '../../marshal.js';
import type { Tensor } from '../../tensor.js';
import * as F from '../functional.js';
import { Module } from '../module.js';

abstract class Loss extends Module {
  readonly reduction: Reduction;

  constructor(options?: { reduction?: Reduction }) {
    super();
    this.reduction = options?.reduction ?? 'mean';
  }

  abstract override forward(input: Tensor, target: Tensor): Tensor;
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
