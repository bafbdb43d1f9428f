// Argument checks and error naming shared by nn.functional's hand-written functions
// (functional.ts, functional_more.ts); internal, not part of torch.nn.functional.
import { describe } from '../marshal.js';
import { Tensor } from '../tensor.js';

/** A TypeError naming the function unless `x` is a Tensor. */
export function tensorArg(op: string, name: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: argument '${name}' must be a Tensor, got ${describe(x)}`);
}

/**
 * Runs `body`; its errors name `op`, the function called. An error of `aten`, the ATen op that
 * `op` calls, names `op` in its place (`pixelShuffle: expects ...` where the boundary says
 * `pixel_shuffle: pixel_shuffle expects ...`); an error of another op keeps that op's name after
 * `op`'s (`softmin: softmax: ...`).
 */
export function named<T>(op: string, body: () => T, aten?: string): T {
  try {
    return body();
  } catch (e) {
    if (!(e instanceof Error) || e.message.startsWith(`${op}: `)) throw e;
    let text = e.message;
    if (aten && text.startsWith(`${aten}: `)) {
      text = text.slice(aten.length + 2);
      if (text.startsWith(`${aten} expects `)) text = text.slice(aten.length + 1);
    }
    throw e instanceof TypeError ? new TypeError(`${op}: ${text}`) : new Error(`${op}: ${text}`);
  }
}

const warned = new Set<string>();

/**
 * Python's UserWarning, given once per process and `key` (Python's default filter shows a
 * warning once per call site; a key stands for the site). `message` names the function.
 */
export function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(message, 'UserWarning');
}
