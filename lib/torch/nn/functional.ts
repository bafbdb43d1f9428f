// torch.nn.functional: the stateless math of the layers. Generated from ops.table; the losses
// below add the size checks that Python's functional.py makes before calling the kernel.
import {
  binaryCrossEntropy as binaryCrossEntropyOp,
  l1Loss as l1LossOp,
  mseLoss as mseLossOp,
  smoothL1Loss as smoothL1LossOp,
} from '../../generated/functional.js';
import type { Tensor } from '../tensor.js';

export * from '../../generated/functional.js';

const sizeText = (t: Tensor): string => `[${t.shape.join(', ')}]`;
const sameSize = (a: Tensor, b: Tensor): boolean =>
  a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
const warned = new Set<string>();

/** Python's warning for a target that the loss would broadcast against the input (once per op). */
function warnBroadcast(op: string, input: Tensor, target: Tensor): void {
  if (sameSize(input, target) || warned.has(op)) return;
  warned.add(op);
  process.emitWarning(
    `${op}: Using a target size (${sizeText(target)}) that is different to the input size (${sizeText(input)}). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`,
    'UserWarning',
  );
}

/** Binary cross-entropy of probabilities; the target must have the input's size, as in Python. */
export function binaryCrossEntropy(...args: Parameters<typeof binaryCrossEntropyOp>): Tensor {
  const [input, target] = args;
  if (!sameSize(input, target)) {
    throw new Error(
      `binaryCrossEntropy: Using a target size (${sizeText(target)}) that is different to the input size (${sizeText(input)}) is deprecated. Please ensure they have the same size.`,
    );
  }
  return binaryCrossEntropyOp(...args);
}

export function mseLoss(...args: Parameters<typeof mseLossOp>): Tensor {
  warnBroadcast('mseLoss', args[0], args[1]);
  return mseLossOp(...args);
}

export function l1Loss(...args: Parameters<typeof l1LossOp>): Tensor {
  warnBroadcast('l1Loss', args[0], args[1]);
  return l1LossOp(...args);
}

export function smoothL1Loss(...args: Parameters<typeof smoothL1LossOp>): Tensor {
  warnBroadcast('smoothL1Loss', args[0], args[1]);
  return smoothL1LossOp(...args);
}
