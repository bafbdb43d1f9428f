import { stack } from '../../../generated/functions.js';
import { noGrad } from '../../autograd.js';
import { tensor } from '../../creation.js';
import { scope } from '../../lifetime.js';
import type { Tensor } from '../../tensor.js';

const gradsOf = (parameters: Tensor | Iterable<Tensor>): Tensor[] => {
  const list =
    (parameters as Tensor).shape !== undefined ? [parameters as Tensor] : [...(parameters as Iterable<Tensor>)];
  return list.map((p) => p.grad).filter((g): g is Tensor => g !== null);
};

/** A number argument, as PyTorch's float(x) takes it: anything else is a TypeError naming the function. */
function numberArg(fn: string, name: string, x: unknown): number {
  if (typeof x !== 'number' || Number.isNaN(x))
    throw new TypeError(`${fn}: ${name} must be a number, got ${String(x)}`);
  return x;
}

/**
 * Scales the gradients in place so that their joint norm is at most `maxNorm`; returns the norm
 * they had (a 0-d tensor). `normType` may be Infinity.
 */
export function clipGradNorm_(
  parameters: Tensor | Iterable<Tensor>,
  maxNorm: number,
  options?: { normType?: number; errorIfNonfinite?: boolean },
): Tensor {
  numberArg('clipGradNorm_', 'maxNorm', maxNorm);
  const normType = numberArg('clipGradNorm_', 'normType', options?.normType ?? 2);
  const grads = gradsOf(parameters);
  if (grads.length === 0) return tensor(0);
  return scope(() =>
    noGrad(() => {
      const norms = grads.map((g) => (normType === Number.POSITIVE_INFINITY ? g.abs().max() : g.norm(normType)));
      const total = normType === Number.POSITIVE_INFINITY ? stack(norms).max() : stack(norms).norm(normType);
      if (options?.errorIfNonfinite && (total.isnan().item() || total.isinf().item())) {
        throw new Error(
          `The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set \`errorIfNonfinite: false\``,
        );
      }
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp({ max: 1 });
      for (const g of grads) g.mul_(coef);
      return total;
    }),
  );
}

/** Clamps every gradient in place to [-clipValue, clipValue]. */
export function clipGradValue_(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  numberArg('clipGradValue_', 'clipValue', clipValue);
  noGrad(() => {
    for (const g of gradsOf(parameters)) g.clamp_({ min: -clipValue, max: clipValue });
  });
}
