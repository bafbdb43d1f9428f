// F.linearCrossEntropy (PyTorch 2.13's F.linear_cross_entropy): cross entropy of a linear
// projection of the input. With `options` null (the default) it is the reference composition,
// linear then cross_entropy; with an options object it takes the batch-chunked path
// (linear_cross_entropy_chunked.ts) where Python does, and falls back to the reference path with
// Python's warning for what the chunked path does not cover.
import { crossEntropy, linear } from '../../generated/functional.js';
import { isGradEnabled } from '../autograd.js';
import { scope } from '../lifetime.js';
import type { Reduction } from '../marshal.js';
import type { Tensor } from '../tensor.js';
import { named, tensorArg, warnOnce } from './functional_checks.js';
import { chunkedLinearCrossEntropy } from './linear_cross_entropy_chunked.js';
import { type LinearCrossEntropyOptions, resolveChunking } from './linear_cross_entropy_options.js';

export interface LinearCrossEntropyCallOptions {
  /** Bias of the projection, shape (C) or (C, d1, ..., dK) like `linearWeight` without its last dim. */
  linearBias?: Tensor | null;
  /** Class weights (C). */
  weight?: Tensor | null;
  reduction?: Reduction;
  /** Ignored target class; null (default) means -100 for class-index targets and is required for probabilities. */
  ignoreIndex?: number | null;
  labelSmoothing?: number;
  /** Null (default): the reference path. An object, even `{}`: the chunked path where it applies. */
  options?: LinearCrossEntropyOptions | null;
}

const OP = 'linearCrossEntropy';
const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The cross entropy of `input` (F) or (N, F) projected by `linearWeight` (C, F) or
 * (C, d1, ..., dK, F) (K-dimensional loss, batched input only), against class indices (),
 * (N) or (N, d1, ..., dK), or class probabilities shaped like the logits.
 */
export function linearCrossEntropy(
  input: Tensor,
  linearWeight: Tensor,
  target: Tensor,
  options?: LinearCrossEntropyCallOptions,
): Tensor {
  return named(OP, () => {
    tensorArg(OP, 'input', input);
    tensorArg(OP, 'linearWeight', linearWeight);
    tensorArg(OP, 'target', target);
    const linearBias = options?.linearBias ?? null;
    const weight = options?.weight ?? null;
    if (linearBias !== null) tensorArg(OP, 'linearBias', linearBias);
    if (weight !== null) tensorArg(OP, 'weight', weight);
    const reduction = options?.reduction ?? 'mean';
    const labelSmoothing = options?.labelSmoothing ?? 0;
    const chunking = options?.options ?? null;

    if (input.dim() < 1 || input.dim() > 2) {
      throw new Error(
        `expected input with dimensionality 1 or 2, got ${input.dim()} (input of shape ${shapeText(input.shape)})`,
      );
    }
    if (linearWeight.dim() < 2) {
      throw new Error(`expected linearWeight with dimensionality at least 2, got ${linearWeight.dim()}`);
    }
    const batch = input.shape.slice(0, -1);
    const inFeatures = input.shape[input.dim() - 1] ?? 0;
    const wShape = linearWeight.shape;
    if (inFeatures !== wShape[wShape.length - 1]) {
      throw new Error(
        `expected equal input and linearWeight last dimensions (in_features), got ${inFeatures} and ${wShape[wShape.length - 1]}, respectively`,
      );
    }
    const numClasses = wShape[0] ?? 0;
    const outFeatures = wShape.slice(1, -1);
    if (linearBias !== null && !sameShape(linearBias.shape, [numClasses, ...outFeatures])) {
      throw new Error(
        `expected linearBias shape ${shapeText([numClasses, ...outFeatures])}, got ${shapeText(linearBias.shape)}`,
      );
    }
    if (outFeatures.length > 0 && batch.length === 0) {
      throw new Error(
        `K-dimensional loss defined by linearWeight shape ${shapeText(wShape)} requires batched input, (N, ${inFeatures}), got unbatched input with shape ${shapeText(input.shape)}`,
      );
    }
    const logitsShape = [...batch, numClasses, ...outFeatures];
    // cross_entropy reads a target shaped like the logits as class probabilities.
    const probabilities = sameShape(target.shape, logitsShape);
    if (probabilities && options?.ignoreIndex != null) {
      throw new Error('ignoreIndex cannot be specified when target contains probabilities');
    }
    const ignoreIndex = options?.ignoreIndex ?? -100;

    if (chunking !== null) {
      const supported =
        outFeatures.length === 0 &&
        (reduction === 'mean' || reduction === 'sum' || reduction === 'none') &&
        labelSmoothing === 0 &&
        target.dtype === 'int64';
      if (supported) {
        return chunked(input, linearWeight, target, linearBias, weight, reduction, ignoreIndex, chunking, inFeatures);
      }
      warnOnce(
        `${OP}.fallback`,
        `${OP}: options ignored; the chunked path needs reduction in {'mean', 'sum', 'none'}, labelSmoothing == 0, target dtype int64 and no out features. Got reduction='${reduction}', labelSmoothing=${labelSmoothing}, target dtype ${target.dtype}, out features ${shapeText(outFeatures)}, linearBias shape ${linearBias === null ? 'null' : shapeText(linearBias.shape)}.`,
      );
    }

    return scope(() => {
      let w = linearWeight;
      let b = linearBias;
      if (outFeatures.length > 0) {
        // linear wants a 2-D weight: the class and out-feature dims flatten into rows.
        const rows = outFeatures.reduce((a, d) => a * d, numClasses);
        w = w.reshape([rows, inFeatures]);
        if (b !== null) b = b.reshape([rows]);
      }
      const logits = linear(input, w, { bias: b }).reshape(logitsShape);
      return crossEntropy(logits, target, { weight, reduction, ignoreIndex, labelSmoothing });
    });
  });
}

function chunked(
  input: Tensor,
  linearWeight: Tensor,
  target: Tensor,
  linearBias: Tensor | null,
  weight: Tensor | null,
  reduction: Reduction,
  ignoreIndex: number,
  chunking: LinearCrossEntropyOptions,
  inFeatures: number,
): Tensor {
  if (target.dim() !== input.dim() - 1 || (input.dim() === 2 && target.shape[0] !== input.shape[0])) {
    throw new Error(
      `expected target of shape ${shapeText(input.shape.slice(0, -1))} (class indices) for input of shape ${shapeText(input.shape)}, got ${shapeText(target.shape)}`,
    );
  }
  if (weight !== null && !sameShape(weight.shape, [linearWeight.shape[0] ?? 0])) {
    throw new Error(
      `expected weight of shape ${shapeText([linearWeight.shape[0] ?? 0])}, got ${shapeText(weight.shape)}`,
    );
  }
  if (input.dtype !== linearWeight.dtype) {
    throw new Error(`expected input and linearWeight of one dtype, got ${input.dtype} and ${linearWeight.dtype}`);
  }
  // The scope frees, besides the 1-d views, our handles on the gradients that forward saved.
  return scope(() => {
    const batched = input.dim() === 2;
    const x = batched ? input : input.unsqueeze(0);
    const t = batched ? target : target.unsqueeze(0);
    const n = x.shape[0] ?? 0;
    const deviceType = input.device.split(':')[0] ?? 'cpu';
    const resolved = resolveChunking(OP, chunking, n, inFeatures, linearWeight.shape[0] ?? 0, input.dtype, deviceType);
    if (resolved.accDtype !== input.dtype) {
      const half = input.dtype === 'float16' || input.dtype === 'bfloat16';
      if (half && resolved.accDtype === 'float32') {
        // Python's 'accurate' CPU layout (its default for CPU float16/bfloat16) is implemented;
        // its other mixed-precision layouts are not.
        if (resolved.accPolicy !== 'accurate' || deviceType !== 'cpu') {
          throw new Error(
            `the chunked path with ${input.dtype} input and float32 accumulation is implemented for accPolicy 'accurate' on CPU only, got '${resolved.accPolicy}' on ${input.device}; pass options.accPolicy: 'accurate', options.accDtype: '${input.dtype}', or options: null for the reference path`,
          );
        }
      } else {
        throw new Error(
          `the chunked path supports float32 accDtype with float16/bfloat16 inputs, but got ${resolved.accDtype} accDtype and ${input.dtype} inputs`,
        );
      }
    }
    const grad = isGradEnabled();
    const loss = chunkedLinearCrossEntropy(x, linearWeight, t, linearBias, weight, {
      ...resolved,
      reduction,
      ignoreIndex,
      computeInputGrad: grad && input.requiresGrad,
      computeLinearWeightGrad: grad && linearWeight.requiresGrad,
      computeLinearBiasGrad: grad && (linearBias?.requiresGrad ?? false),
    });
    return batched ? loss : loss.squeeze(0);
  });
}
