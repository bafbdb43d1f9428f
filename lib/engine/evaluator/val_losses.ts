// The validation-loss convention of MMEngine's ValLoop and TestLoop (v0.10.5, mmengine#1503):
// a model's valStep/testStep may append to its list of per-sample outputs one last element
// whose only key is `loss`, `{loss: {name: Tensor | Tensor[] | number}}`. The loop strips it
// before the evaluator sees the outputs, records each value, and adds the averages to the
// metrics at the end of the epoch, with `<stage>_loss` the sum of the averages of the names
// that contain 'loss':
//
//   const buffers = new Map<string, HistoryBuffer>();
//   for each batch: { let outputs = model.valStep(batch);
//                     outputs = updateValLosses(outputs, buffers);
//                     evaluator.process(outputs, batch); }
//   const metrics = evaluator.evaluate(n);
//   if (buffers.size > 0) Object.assign(metrics, parseValLosses(buffers, 'val'));
//
// Unlike MMEngine, an empty or non-array `outputs` passes through unchanged (MMEngine reads
// outputs[-1] unconditionally).
import { Tensor } from '../../torch/index.js';
import { HistoryBuffer } from '../logging/message_hub.js';

function lossValue(v: unknown, name: string): number[] {
  if (typeof v === 'number') return [v];
  if (v instanceof Tensor) return [Number(v.item())];
  if (Array.isArray(v)) return v.flatMap((x) => lossValue(x, name));
  throw new TypeError(`updateValLosses: loss ${name} is not a tensor, a number or a list of them`);
}

/** Whether `x` is the trailing `{loss: {...}}` element of the convention. */
export function isLossElement(x: unknown): x is { loss: Record<string, unknown> } {
  if (x === null || typeof x !== 'object' || Array.isArray(x) || x instanceof Tensor) return false;
  const keys = Object.keys(x);
  const loss = (x as { loss?: unknown }).loss;
  return (
    keys.length === 1 && keys[0] === 'loss' && loss !== null && typeof loss === 'object' && !(loss instanceof Tensor)
  );
}

/**
 * MMEngine's `_update_losses`: if the last output is `{loss: {...}}`, records each loss (each
 * element of a list separately) in `buffers` and returns the outputs without it; otherwise
 * returns `outputs` as it is.
 */
export function updateValLosses<T>(outputs: T, buffers: Map<string, HistoryBuffer>): T {
  if (!Array.isArray(outputs) || outputs.length === 0) return outputs;
  const last = outputs[outputs.length - 1];
  if (!isLossElement(last)) return outputs;
  for (const [name, value] of Object.entries(last.loss)) {
    let buffer = buffers.get(name);
    if (!buffer) {
      buffer = new HistoryBuffer();
      buffers.set(name, buffer);
    }
    for (const v of lossValue(value, name)) buffer.update(v);
  }
  return outputs.slice(0, -1) as T;
}

/** MMEngine's `_parse_losses`: each buffer's mean, and `<stage>_loss` = the sum of those whose name contains 'loss'. */
export function parseValLosses(buffers: Map<string, HistoryBuffer>, stage = 'val'): Record<string, number> {
  const out: Record<string, number> = {};
  let all = 0;
  for (const [name, buffer] of buffers) {
    const avg = buffer.mean();
    out[name] = avg;
    if (name.includes('loss')) all += avg;
  }
  out[`${stage}_loss`] = all;
  return out;
}
