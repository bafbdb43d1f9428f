import {
  _foreachClampMax_,
  _foreachClampMin_,
  _foreachMul_,
  _foreachNorm,
  stack,
} from '../../../generated/functions.js';
import { linalgVectorNorm } from '../../../generated/namespaces.js';
import { noGrad } from '../../autograd.js';
import { tensor } from '../../creation.js';
import { scope } from '../../lifetime.js';
import { groupByDeviceAndDtype } from '../../optim/optimizer.js';
import { Tensor } from '../../tensor.js';

const listOf = (tensors: Tensor | Iterable<Tensor>): Tensor[] =>
  tensors instanceof Tensor ? [tensors] : [...(tensors as Iterable<Tensor>)];

const gradsOf = (parameters: Tensor | Iterable<Tensor>): Tensor[] =>
  listOf(parameters)
    .map((p) => p.grad)
    .filter((g): g is Tensor => g !== null);

/** A number argument, as PyTorch's float(x) takes it: anything else is a TypeError naming the function. */
function numberArg(fn: string, name: string, x: unknown): number {
  if (typeof x !== 'number' || Number.isNaN(x))
    throw new TypeError(`${fn}: ${name} must be a number, got ${String(x)}`);
  return x;
}

/**
 * `foreach` as PyTorch's clip_grad functions take it, for one (device, dtype) group: true uses the
 * foreach kernels (an Error on a device that has none), false the per-tensor ops, null (the
 * default) the foreach kernels where the device has them. libtorch has them on CPU and CUDA.
 */
function useForeach(fn: string, foreach: boolean | null | undefined, device: string): boolean {
  if (foreach !== undefined && foreach !== null && typeof foreach !== 'boolean') {
    throw new TypeError(`${fn}: foreach must be a boolean or null, got ${String(foreach)}`);
  }
  const supported = device === 'cpu' || device.startsWith('cuda');
  if (foreach === true && !supported) {
    throw new Error(`${fn}: foreach=true was passed, but can't use the foreach API on ${device} tensors`);
  }
  return foreach !== false && supported;
}

/**
 * The tensors of each (device, dtype) group, groups in order of first appearance. Sparse ones
 * (`others`) always take the per-tensor ops: libtorch's foreach kernels take only strided
 * tensors, and torch-node clips sparse gradients, which PyTorch 2.13 refuses.
 */
const groupsOf = (tensors: Tensor[]): { device: string; tensors: Tensor[]; others: Tensor[] }[] =>
  groupByDeviceAndDtype(tensors).map((g) => {
    const all = g.indices.map((i) => tensors[i]);
    const strided = all.filter((t) => t.layout === 'strided');
    return { device: g.device, tensors: strided, others: all.filter((t) => t.layout !== 'strided') };
  });

/** One tensor's p-norm; a sparse one by the norm of its values (linalg.vectorNorm takes no sparse input). */
const normOf = (t: Tensor, p: number): Tensor =>
  t.layout === 'strided' ? linalgVectorNorm(t, p) : p === Number.POSITIVE_INFINITY ? t.abs().max() : t.norm(p);

/**
 * torch.nn.utils.get_total_norm: the `normType` norm of all the tensors' elements together, as if
 * they were one vector (a 0-d tensor on the first tensor's device). `normType` may be Infinity.
 */
export function getTotalNorm(
  tensors: Tensor | Iterable<Tensor>,
  options?: { normType?: number; errorIfNonfinite?: boolean; foreach?: boolean | null },
): Tensor {
  const normType = numberArg('getTotalNorm', 'normType', options?.normType ?? 2);
  const list = listOf(tensors);
  if (list.length === 0) return tensor(0);
  return scope(() =>
    noGrad(() => {
      const first = list[0].device;
      const norms: Tensor[] = [];
      for (const g of groupsOf(list)) {
        if (useForeach('getTotalNorm', options?.foreach, g.device)) {
          if (g.tensors.length > 0) norms.push(..._foreachNorm(g.tensors, normType));
        } else for (const t of g.tensors) norms.push(normOf(t, normType));
        for (const t of g.others) norms.push(normOf(t, normType));
      }
      const total = linalgVectorNorm(stack(norms.map((n) => n.to(first))), normType);
      if (options?.errorIfNonfinite && total.isfinite().logicalNot().item()) {
        throw new Error(
          `The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set \`errorIfNonfinite: false\``,
        );
      }
      return total;
    }),
  );
}

/**
 * torch.nn.utils.clip_grads_with_norm_: scales the gradients in place by
 * min(maxNorm / (totalNorm + 1e-6), 1), `totalNorm` being a norm already computed (getTotalNorm).
 */
export function clipGradsWithNorm_(
  parameters: Tensor | Iterable<Tensor>,
  maxNorm: number,
  totalNorm: Tensor,
  options?: { foreach?: boolean | null },
): void {
  numberArg('clipGradsWithNorm_', 'maxNorm', maxNorm);
  if (!(totalNorm instanceof Tensor)) {
    throw new TypeError(`clipGradsWithNorm_: totalNorm must be a Tensor, got ${String(totalNorm)}`);
  }
  const grads = gradsOf(parameters);
  if (grads.length === 0) return;
  scope(() =>
    noGrad(() => {
      // maxNorm / (total + 1e-6) as PyTorch's float / Tensor computes it: reciprocal times maxNorm.
      const coef = totalNorm.add(1e-6).reciprocal().mul(maxNorm).clamp({ max: 1 });
      for (const g of groupsOf(grads)) {
        const c = coef.to(g.device);
        if (useForeach('clipGradsWithNorm_', options?.foreach, g.device)) {
          if (g.tensors.length > 0) _foreachMul_(g.tensors, c);
        } else for (const t of g.tensors) t.mul_(c);
        for (const t of g.others) t.mul_(c);
      }
    }),
  );
}

/**
 * Scales the gradients in place so that their joint norm is at most `maxNorm`; returns the norm
 * they had (a 0-d tensor). `normType` may be Infinity. getTotalNorm then clipGradsWithNorm_.
 */
export function clipGradNorm_(
  parameters: Tensor | Iterable<Tensor>,
  maxNorm: number,
  options?: { normType?: number; errorIfNonfinite?: boolean; foreach?: boolean | null },
): Tensor {
  numberArg('clipGradNorm_', 'maxNorm', maxNorm);
  numberArg('clipGradNorm_', 'normType', options?.normType ?? 2);
  const params = listOf(parameters);
  const total = getTotalNorm(gradsOf(params), options);
  clipGradsWithNorm_(params, maxNorm, total, { foreach: options?.foreach });
  return total;
}

/** Clamps every gradient in place to [-clipValue, clipValue]. */
export function clipGradValue_(
  parameters: Tensor | Iterable<Tensor>,
  clipValue: number,
  options?: { foreach?: boolean | null },
): void {
  numberArg('clipGradValue_', 'clipValue', clipValue);
  noGrad(() => {
    for (const g of groupsOf(gradsOf(parameters))) {
      if (!useForeach('clipGradValue_', options?.foreach, g.device)) g.others.unshift(...g.tensors);
      else if (g.tensors.length > 0) {
        _foreachClampMin_(g.tensors, -clipValue);
        _foreachClampMax_(g.tensors, clipValue);
      }
      for (const t of g.others) t.clamp_({ min: -clipValue, max: clipValue });
    }
  });
}
