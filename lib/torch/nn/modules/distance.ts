import type { Tensor } from '../../tensor.js';
import * as F from '../functional.js';
import { Module } from '../module.js';

/** ‖x1 − x2 + eps‖_p along the last dim (ATen's pairwise_distance). */
export class PairwiseDistance extends Module {
  /** The p of the norm (PyTorch's attribute name). */
  readonly norm: number;
  readonly eps: number;
  readonly keepdim: boolean;

  constructor(options?: { p?: number; eps?: number; keepdim?: boolean }) {
    super();
    this.norm = options?.p ?? 2;
    this.eps = options?.eps ?? 1e-6;
    this.keepdim = options?.keepdim ?? false;
  }

  forward(x1: Tensor, x2: Tensor): Tensor {
    return F.pairwiseDistance(x1, x2, { p: this.norm, eps: this.eps, keepdim: this.keepdim });
  }
}

/** x1·x2 / max(‖x1‖·‖x2‖, eps) along `dim` (ATen's cosine_similarity). */
export class CosineSimilarity extends Module {
  readonly dim: number;
  readonly eps: number;

  constructor(options?: { dim?: number; eps?: number }) {
    super();
    this.dim = options?.dim ?? 1;
    this.eps = options?.eps ?? 1e-8;
  }

  forward(x1: Tensor, x2: Tensor): Tensor {
    return F.cosineSimilarity(x1, x2, { dim: this.dim, eps: this.eps });
  }
}
