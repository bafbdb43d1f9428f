import type { Tensor } from '../../tensor.js';
import * as F from '../functional.js';
import { Module } from '../module.js';
import { pyBool, pyFloat } from '../repr.js';

/** PyTorch's _DropoutNd: p (checked to lie in [0, 1]) and inplace, and their repr. */
abstract class DropoutNd extends Module {
  readonly p: number;
  readonly inplace: boolean;

  constructor(options?: { p?: number; inplace?: boolean }) {
    super();
    const p = options?.p ?? 0.5;
    if (typeof p !== 'number') throw new TypeError(`${new.target.name}: p must be a number, got ${typeof p}`);
    if (p < 0 || p > 1) {
      throw new Error(`${new.target.name}: dropout probability has to be between 0 and 1, but got ${p}`);
    }
    this.p = p;
    this.inplace = options?.inplace ?? false;
  }

  override extraRepr(): string {
    // Python prints p as given; a float is the usual case (`p=0.0`, `p=0.5`).
    return `p=${pyFloat(this.p)}, inplace=${pyBool(this.inplace)}`;
  }
}

/** Zeroes elements with probability p while training and scales the rest by 1/(1-p). */
export class Dropout extends DropoutNd {
  forward(input: Tensor): Tensor {
    return F.dropout(input, { p: this.p, training: this.training, inplace: this.inplace });
  }
}

/** Zeroes whole channels of (N, C, L) or (C, L) with probability p while training. */
export class Dropout1d extends DropoutNd {
  forward(input: Tensor): Tensor {
    return F.dropout1d(input, { p: this.p, training: this.training, inplace: this.inplace });
  }
}

/**
 * Zeroes whole channels of (N, C, H, W) with probability p while training. As in PyTorch, a 3-D
 * input is taken as (N, C, L), not as an unbatched (C, H, W), with a warning.
 */
export class Dropout2d extends DropoutNd {
  forward(input: Tensor): Tensor {
    return F.dropout2d(input, { p: this.p, training: this.training, inplace: this.inplace });
  }
}

/** Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p while training. */
export class Dropout3d extends DropoutNd {
  forward(input: Tensor): Tensor {
    return F.dropout3d(input, { p: this.p, training: this.training, inplace: this.inplace });
  }
}

/**
 * Dropout that keeps SELU's self-normalisation (mean 0, variance 1) while training. `inplace` is
 * kept and printed but, as in PyTorch, not applied.
 */
export class AlphaDropout extends DropoutNd {
  forward(input: Tensor): Tensor {
    return F.alphaDropout(input, { p: this.p, training: this.training });
  }
}

/** AlphaDropout of whole channels (dim 1). `inplace` is kept and printed but, as in PyTorch, not applied. */
export class FeatureAlphaDropout extends DropoutNd {
  forward(input: Tensor): Tensor {
    return F.featureAlphaDropout(input, { p: this.p, training: this.training });
  }
}
