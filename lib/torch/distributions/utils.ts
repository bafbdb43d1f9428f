// What the distributions share: parameters broadcast together, probabilities and logits turned
// into one another, the limits of each float dtype, and shape checks. Each helper does the same
// ops in the same order as PyTorch's torch/distributions/utils.py, so that results agree bit for
// bit where the same kernels run.

import { softmax } from '../../generated/functional.js';
import { broadcastTensors, empty } from '../../generated/functions.js';
import { tensor } from '../creation.js';
import type { DType } from '../dtype.js';
import { Tensor } from '../tensor.js';

/** A parameter: a tensor, or a JS number where PyTorch takes a float. */
export type Param = Tensor | number;

/** The Euler–Mascheroni constant. */
export const eulerConstant = 0.5772156649015329;

/** torch.finfo's fields that the distributions use. */
export interface FInfo {
  eps: number;
  tiny: number;
  min: number;
  max: number;
}

const FINFO: Partial<Record<DType, FInfo>> = {
  float32: { eps: 2 ** -23, tiny: 2 ** -126, min: -3.4028234663852886e38, max: 3.4028234663852886e38 },
  float64: { eps: 2 ** -52, tiny: 2 ** -1022, min: -Number.MAX_VALUE, max: Number.MAX_VALUE },
  float16: { eps: 2 ** -10, tiny: 2 ** -14, min: -65504, max: 65504 },
  bfloat16: { eps: 2 ** -7, tiny: 2 ** -126, min: -3.3895313892515355e38, max: 3.3895313892515355e38 },
};

/** torch.finfo(dtype) for a floating dtype. */
export function finfo(dtype: DType, op: string): FInfo {
  const f = FINFO[dtype];
  if (!f) throw new TypeError(`${op}: expected a floating-point tensor, got ${dtype}`);
  return f;
}

/**
 * broadcast_all: numbers become tensors of the first tensor's dtype and device (float32 where
 * every value is a number), then all are broadcast together. Always fresh tensors (views), so the
 * caller may own and free them without touching the user's.
 */
export function broadcastAll(op: string, names: string[], values: Param[]): Tensor[] {
  let first: Tensor | undefined;
  values.forEach((v, i) => {
    if (v instanceof Tensor) first ??= v;
    else if (typeof v !== 'number') {
      throw new TypeError(`${op}: ${names[i]} must be a Tensor or a number, got ${describe(v)}`);
    }
  });
  const options = first ? { dtype: first.dtype, device: first.device } : { dtype: 'float32' as const };
  const tensors = values.map((v) => (v instanceof Tensor ? v : tensor(v, options)));
  try {
    return broadcastTensors(tensors);
  } catch (e) {
    const shapes = tensors.map((t, i) => `${names[i]} ${shapeString(t.shape)}`).join(', ');
    throw new Error(`${op}: the parameters do not broadcast together (${shapes}): ${(e as Error).message}`);
  }
}

/** A description of a value in an error message. */
export function describe(v: unknown): string {
  if (v instanceof Tensor) return v.isDisposed ? 'a disposed Tensor' : `a Tensor of shape ${shapeString(v.shape)}`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** torch.broadcast_shapes, or an Error naming `op`. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new Error(`${op}: shapes ${shapeString(a)} and ${shapeString(b)} are not broadcastable`);
    }
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/** A sample shape from the caller: an array of non-negative integers. */
export function checkShape(op: string, shape: unknown, what = 'sampleShape'): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TypeError(`${op}: ${what} must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape as number[];
}

export function logitsToProbs(logits: Tensor, isBinary = false): Tensor {
  return isBinary ? logits.sigmoid() : softmax(logits, -1);
}

/** Clamps into [eps, 1 - eps], eps being the dtype's machine epsilon. */
export function clampProbs(probs: Tensor): Tensor {
  const eps = finfo(probs.dtype, 'clampProbs').eps;
  return probs.clamp({ min: eps, max: 1 - eps });
}

export function probsToLogits(probs: Tensor, isBinary = false): Tensor {
  const clamped = clampProbs(probs);
  if (isBinary) return clamped.log().sub(clamped.neg().log1p());
  return clamped.log();
}

/** Sums the `dim` rightmost dimensions out. */
export function sumRightmost(value: Tensor, dim: number): Tensor {
  if (dim === 0) return value;
  return value.reshape([...value.shape.slice(0, value.dim() - dim), -1]).sum(-1);
}

/** Standard normal noise drawn as PyTorch's _standard_normal does (one normal_ over a new tensor). */
export function standardNormal(shape: number[], like: Tensor): Tensor {
  return empty(shape, { dtype: like.dtype, device: like.device }).normal_();
}

/** torch.empty(shape) with the dtype and device of `like` (PyTorch's `like.new(shape)`). */
export function newEmpty(shape: number[], like: Tensor): Tensor {
  return empty(shape, { dtype: like.dtype, device: like.device });
}

/** Whether every element of a boolean tensor is true. */
export function allTrue(t: Tensor): boolean {
  return t.all().item() === true;
}
