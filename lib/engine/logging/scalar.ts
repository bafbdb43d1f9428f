// MMEngine's `_is_scalar`: what the message hub records as a scalar (a number, or a tensor of one
// element, read with item()); anything else (a list, a dict, a larger tensor) is runtime info.
import * as torch from '../../torch/index.js';

export function isScalar(value: unknown): value is number | torch.Tensor {
  if (typeof value === 'number') return true;
  return value instanceof torch.Tensor && value.numel() === 1;
}

/** A scalar's number (a one-element tensor's item()); anything else is a TypeError naming `key`. */
export function scalarValue(value: unknown, key: string): number {
  if (typeof value === 'number') return value;
  if (value instanceof torch.Tensor && value.numel() === 1) return Number(value.item());
  const what =
    value instanceof torch.Tensor ? `a tensor of ${value.numel()} elements` : value === null ? 'null' : typeof value;
  throw new TypeError(`MessageHub: the scalar '${key}' should be a number or a one-element tensor, got ${what}`);
}
