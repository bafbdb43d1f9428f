// The pruning methods of torch.nn.utils.prune (prune.py): Identity, RandomUnstructured,
// L1Unstructured, RandomStructured, LnStructured and CustomFromMask. Their masks are computed
// with the ops PyTorch's use (topk, kthvalue, rand, rand_like on the default generator), so a mask
// equals Python's after the same manualSeed, ties in the L1 ranking included.
//
// `amount` is a count when it is an integer and a fraction otherwise: JavaScript has one number
// type, so PyTorch's `amount=1.0` (everything) reads as `1` (one entry) here; pass the count to
// prune everything.
import { rand, randLike, zerosLike } from '../../../generated/functions.js';
import { linalgMatrixNorm } from '../../../generated/namespaces.js';
import { scope } from '../../lifetime.js';
import { Tensor } from '../../tensor.js';
import type { Module } from '../module.js';
import { applyPruning, BasePruningMethod, type PruningType } from './prune_base.js';

const shapeStr = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** PyTorch's _validate_pruning_amount_init: a non-negative integer, or a fraction in [0, 1]. */
function validateAmountInit(cls: string, amount: unknown): asserts amount is number {
  if (typeof amount !== 'number') {
    throw new TypeError(`${cls}: Invalid type for amount: ${String(amount)}. Must be int or float.`);
  }
  if (Number.isInteger(amount) ? amount < 0 : !(amount >= 0 && amount <= 1)) {
    throw new Error(`${cls}: amount=${amount} should either be a float in the range [0, 1] or a non-negative integer`);
  }
}

/** Python's round(): halves go to the even neighbour (round(2.5) == 2), not up as Math.round. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** How many of `size` units `amount` prunes (PyTorch's _compute_nparams_toprune), checked against size. */
function unitsToPrune(cls: string, amount: number, size: number): number {
  const n = Number.isInteger(amount) ? amount : roundHalfEven(amount * size);
  if (n > size) {
    throw new Error(`${cls}: amount=${n} should be smaller than the number of parameters to prune=${size}`);
  }
  return n;
}

/** The dim a structured method prunes along, checked against t (a multidimensional tensor). */
function structuredDim(cls: string, t: Tensor, dim: number): number {
  const shape = t.shape;
  if (shape.length <= 1) {
    throw new Error(
      `${cls}: Structured pruning can only be applied to multidimensional tensors. Found tensor of shape ${shapeStr(shape)} with ${shape.length} dims`,
    );
  }
  if (!Number.isInteger(dim) || dim >= shape.length || dim < -shape.length) {
    throw new Error(`${cls}: Invalid index ${dim} for tensor of size ${shapeStr(shape)}`);
  }
  return dim < 0 ? dim + shape.length : dim;
}

function checkDimOption(cls: string, dim: unknown): number {
  if (!Number.isInteger(dim)) throw new TypeError(`${cls}: dim must be an integer, got ${String(dim)}`);
  return dim as number;
}

/** A mask of zeros shaped as t with the channels `index` along `dim` set to one, times `defaultMask`. */
function channelMask(t: Tensor, dim: number, index: Tensor, defaultMask: Tensor): Tensor {
  const mask = zerosLike(t).indexFill_(dim, index.to({ device: t.device }), 1);
  return mask.mul_(defaultMask.to({ dtype: mask.dtype }));
}

/** Prunes nothing: the tensor gets the reparametrization with its current mask (ones at first). */
export class Identity extends BasePruningMethod {
  static override PRUNING_TYPE: PruningType = 'unstructured';

  computeMask(_t: Tensor, defaultMask: Tensor): Tensor {
    return defaultMask;
  }

  static override apply(module: Module, name: string): Identity {
    return applyPruning('Identity.apply', module, name, new Identity()) as Identity;
  }
}

/** Prunes `amount` of the still-unpruned entries, chosen at random. */
export class RandomUnstructured extends BasePruningMethod {
  static override PRUNING_TYPE: PruningType = 'unstructured';
  amount: number;

  constructor(amount: number) {
    super();
    validateAmountInit('RandomUnstructured', amount);
    this.amount = amount;
  }

  computeMask(t: Tensor, defaultMask: Tensor): Tensor {
    const n = unitsToPrune('RandomUnstructured', this.amount, t.numel());
    return scope(() => {
      const mask = defaultMask.clone({ memoryFormat: 'contiguousFormat' });
      if (n !== 0) {
        // The n largest of uniform draws, as PyTorch picks them (same draws after the same seed).
        const { indices } = randLike(t).reshape([-1]).topk(n);
        mask.view([-1]).indexFill_(0, indices, 0);
      }
      return mask;
    });
  }

  static override apply(module: Module, name: string, amount: number): BasePruningMethod {
    return applyPruning('RandomUnstructured.apply', module, name, new RandomUnstructured(amount));
  }
}

/** Prunes the `amount` still-unpruned entries of smallest absolute value (of the importance scores). */
export class L1Unstructured extends BasePruningMethod {
  static override PRUNING_TYPE: PruningType = 'unstructured';
  amount: number;

  constructor(amount: number) {
    super();
    validateAmountInit('L1Unstructured', amount);
    this.amount = amount;
  }

  computeMask(t: Tensor, defaultMask: Tensor): Tensor {
    const n = unitsToPrune('L1Unstructured', this.amount, t.numel());
    return scope(() => {
      const mask = defaultMask.clone({ memoryFormat: 'contiguousFormat' });
      if (n !== 0) {
        const { indices } = t.abs().reshape([-1]).topk(n, { largest: false });
        mask.view([-1]).indexFill_(0, indices, 0);
      }
      return mask;
    });
  }

  static override apply(
    module: Module,
    name: string,
    amount: number,
    options?: { importanceScores?: Tensor | null },
  ): BasePruningMethod {
    return applyPruning('L1Unstructured.apply', module, name, new L1Unstructured(amount), options?.importanceScores);
  }
}

/** Prunes `amount` whole channels along `dim` (default -1), chosen at random. */
export class RandomStructured extends BasePruningMethod {
  static override PRUNING_TYPE: PruningType = 'structured';
  amount: number;
  dim: number;

  constructor(amount: number, options?: { dim?: number }) {
    super();
    validateAmountInit('RandomStructured', amount);
    this.amount = amount;
    this.dim = checkDimOption('RandomStructured', options?.dim ?? -1);
  }

  computeMask(t: Tensor, defaultMask: Tensor): Tensor {
    const dim = structuredDim('RandomStructured', t, this.dim);
    const size = t.shape[dim] as number;
    const n = unitsToPrune('RandomStructured', this.amount, size);
    if (n === 0) return defaultMask;
    return scope(() => {
      // As PyTorch: one draw per channel from the default CPU generator (whatever t's device),
      // keeping the channels above the n-th smallest draw.
      const prob = rand([size]);
      const threshold = prob.kthvalue(n).values;
      return channelMask(t, dim, prob.gt(threshold).nonzero().view([-1]), defaultMask);
    });
  }

  static override apply(module: Module, name: string, amount: number, options?: { dim?: number }): BasePruningMethod {
    return applyPruning('RandomStructured.apply', module, name, new RandomStructured(amount, options));
  }
}

/**
 * The norm order of LnStructured: a number (Infinity, -Infinity, 0 included), 'fro' (2), or 'nuc'
 * (the nuclear norm, defined where each channel is a matrix: a 3-D tensor).
 */
export type NormOrder = number | 'fro' | 'nuc';

/** Prunes the `amount` channels along `dim` (default -1) of smallest L`n` norm (of the importance scores). */
export class LnStructured extends BasePruningMethod {
  static override PRUNING_TYPE: PruningType = 'structured';
  amount: number;
  n: NormOrder;
  dim: number;

  constructor(amount: number, n: NormOrder, options?: { dim?: number }) {
    super();
    validateAmountInit('LnStructured', amount);
    if (typeof n !== 'number' && n !== 'fro' && n !== 'nuc') {
      throw new TypeError(`LnStructured: n must be a number, 'fro' or 'nuc', got ${String(n)}`);
    }
    this.amount = amount;
    this.n = n;
    this.dim = checkDimOption('LnStructured', options?.dim ?? -1);
  }

  computeMask(t: Tensor, defaultMask: Tensor): Tensor {
    const dim = structuredDim('LnStructured', t, this.dim);
    const size = t.shape[dim] as number;
    const n = unitsToPrune('LnStructured', this.amount, size);
    if (n === 0) return defaultMask;
    return scope(() => {
      const others = [...Array(t.dim()).keys()].filter((d) => d !== dim);
      // torch.norm's reading of n, as PyTorch's _compute_norm calls it.
      const norm =
        this.n === 'nuc' ? linalgMatrixNorm(t, 'nuc', others) : t.norm(this.n === 'fro' ? 2 : this.n, others);
      // The channels to keep: the size - n largest norms, ties as torch.topk breaks them.
      const { indices } = norm.topk(size - n);
      return channelMask(t, dim, indices, defaultMask);
    });
  }

  static override apply(
    module: Module,
    name: string,
    amount: number,
    n: NormOrder,
    dim: number,
    options?: { importanceScores?: Tensor | null },
  ): BasePruningMethod {
    return applyPruning(
      'LnStructured.apply',
      module,
      name,
      new LnStructured(amount, n, { dim }),
      options?.importanceScores,
    );
  }
}

/** Prunes the zeros of a given mask (on top of earlier prunings). */
export class CustomFromMask extends BasePruningMethod {
  static override PRUNING_TYPE: PruningType = 'global';
  mask: Tensor;

  constructor(mask: Tensor) {
    super();
    if (!(mask instanceof Tensor)) throw new TypeError(`CustomFromMask: mask must be a Tensor, got ${typeof mask}`);
    this.mask = mask;
  }

  computeMask(_t: Tensor, defaultMask: Tensor): Tensor {
    const a = defaultMask.shape;
    const b = this.mask.shape;
    if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
      throw new Error(
        `CustomFromMask.computeMask: default_mask shape ${shapeStr(a)} must match self.mask shape ${shapeStr(b)}`,
      );
    }
    return scope(() => defaultMask.mul(this.mask.to({ dtype: defaultMask.dtype })));
  }

  static override apply(module: Module, name: string, mask: Tensor): BasePruningMethod {
    return applyPruning('CustomFromMask.apply', module, name, new CustomFromMask(mask));
  }
}
