// torch.nn.utils.spectral_norm / remove_spectral_norm (spectral_norm.py), the hook-based API
// that PyTorch reimplemented as parametrizations.spectral_norm: the parameter `weight` moves to
// `weight_orig`, the power-iteration vectors are the buffers `weight_u` and `weight_v`, and a
// forward pre-hook sets `module.weight` (a plain tensor, not in the state dict) to
// weight_orig / σ before every forward, doing the power iteration in training mode.
import { normalize } from '../../../generated/functional.js';
import { dot, empty, mv } from '../../../generated/functions.js';
import { noGrad } from '../../autograd.js';
import { keep, scope } from '../../lifetime.js';
import type { Tensor } from '../../tensor.js';
import type { Module } from '../module.js';
import { ConvTranspose1d, ConvTranspose2d, ConvTranspose3d } from '../modules/conv.js';
import { Parameter } from '../parameter.js';
import { forgetHook, type Hook, hookRegistry, ownParameter, rememberHandle } from './weight_norm.js';

type Fields = Record<string, unknown>;

const SPECTRAL_NORM = Symbol('spectralNorm');

function reshapeWeightToMatrix(weight: Tensor, dim: number): Tensor {
  let weightMat = weight;
  if (dim !== 0) {
    const others = Array.from({ length: weightMat.dim() }, (_, d) => d).filter((d) => d !== dim);
    weightMat = weightMat.permute([dim, ...others]);
  }
  return weightMat.reshape([weightMat.shape[0] as number, -1]);
}

/** PyTorch's SpectralNorm.compute_weight: the power iteration (in place on the buffers) if asked, then weight_orig / uᵀ W v. */
function computeWeight(
  module: Module,
  name: string,
  dim: number,
  nPowerIterations: number,
  eps: number,
  doPowerIteration: boolean,
): Tensor {
  const self = module as unknown as Fields;
  const weight = self[`${name}_orig`] as Tensor;
  let u = self[`${name}_u`] as Tensor;
  let v = self[`${name}_v`] as Tensor;
  const weightMat = reshapeWeightToMatrix(weight, dim);
  if (doPowerIteration) {
    noGrad(() => {
      const buffers = [u, v] as const;
      scope(() => {
        for (let i = 0; i < nPowerIterations; i++) {
          buffers[1].copy_(normalize(mv(weightMat.t(), buffers[0]), { dim: 0, eps }));
          buffers[0].copy_(normalize(mv(weightMat, buffers[1]), { dim: 0, eps }));
        }
      });
      // Clones, so that a graph built on this forward survives the next one's in-place update.
      u = u.clone({ memoryFormat: 'contiguousFormat' });
      v = v.clone({ memoryFormat: 'contiguousFormat' });
    });
  }
  const sigma = dot(u, mv(weightMat, v));
  return weight.div(sigma);
}

/**
 * Spectral normalization by a forward pre-hook, as PyTorch's `torch.nn.utils.spectral_norm`
 * (PyTorch recommends `parametrizations.spectralNorm`): the parameter `name` (default 'weight')
 * moves to `${name}_orig`, u and v (drawn from a normal distribution as PyTorch draws them, then
 * normalized) are the buffers `${name}_u` and `${name}_v`, and before every forward
 * `module[name]` is set to `${name}_orig` / σ, after `nPowerIterations` (default 1) power
 * iterations in training mode. `dim` is the output dim (default 0, 1 for ConvTranspose). Until
 * the first forward, `module[name]` holds the unnormalized weight's data, as in PyTorch. Returns
 * the module.
 */
export function spectralNorm<M extends Module>(
  module: M,
  options?: { name?: string; nPowerIterations?: number; eps?: number; dim?: number | null },
): M {
  const name = options?.name ?? 'weight';
  const nPowerIterations = options?.nPowerIterations ?? 1;
  const eps = options?.eps ?? 1e-12;
  let dim = options?.dim ?? null;
  if (dim === null) {
    dim =
      module instanceof ConvTranspose1d || module instanceof ConvTranspose2d || module instanceof ConvTranspose3d
        ? 1
        : 0;
  }
  const d = dim;
  if (hookRegistry(module, SPECTRAL_NORM, false)?.has(name)) {
    throw new Error(`Cannot register two spectral_norm hooks on the same parameter ${name}`);
  }
  if (!Number.isInteger(nPowerIterations) || nPowerIterations <= 0) {
    throw new Error(`Expected nPowerIterations to be positive, but got nPowerIterations=${nPowerIterations}`);
  }
  const weight = ownParameter('spectralNorm', module, name);
  if (!Number.isInteger(d) || d >= weight.dim() || d < -weight.dim()) {
    throw new RangeError(
      `spectralNorm: dim out of range (expected to be in range of [-${weight.dim()}, ${weight.dim() - 1}] but got ${d})`,
    );
  }
  const [u, v] = noGrad(() =>
    scope(() => {
      const weightMat = reshapeWeightToMatrix(weight, d);
      const [h, w] = weightMat.shape as [number, number];
      const opts = { dtype: weight.dtype, device: weight.device };
      return [
        normalize(empty([h], opts).normal_({ mean: 0, std: 1 }), { dim: 0, eps }),
        normalize(empty([w], opts).normal_({ mean: 0, std: 1 }), { dim: 0, eps }),
      ] as const;
    }),
  );
  const self = module as unknown as Fields;
  delete self[name];
  module.registerParameter(`${name}_orig`, weight);
  self[name] = keep(weight.data);
  module.registerBuffer(`${name}_u`, keep(u));
  module.registerBuffer(`${name}_v`, keep(v));
  const compute = (m: Module): Tensor => computeWeight(m, name, d, nPowerIterations, eps, false);
  const hook: Hook = Object.assign(
    (m: Module): void => {
      if (hookRegistry(m, SPECTRAL_NORM, false)?.get(name) !== hook) return;
      (m as unknown as Fields)[name] = keep(computeWeight(m, name, d, nPowerIterations, eps, m.training));
    },
    { compute },
  );
  hookRegistry(module, SPECTRAL_NORM, true)?.set(name, hook);
  rememberHandle(module, SPECTRAL_NORM, name, module.registerForwardPreHook(hook));
  return module;
}

/**
 * Undoes spectralNorm, as PyTorch's `remove_spectral_norm`: `module[name]` is a Parameter again,
 * holding `${name}_orig` / σ computed from the current u and v (no further power iteration).
 */
export function removeSpectralNorm<M extends Module>(module: M, options?: { name?: string }): M {
  const name = options?.name ?? 'weight';
  const hook = hookRegistry(module, SPECTRAL_NORM, false)?.get(name);
  if (!hook) throw new Error(`spectral_norm of '${name}' not found in ${module}`);
  const weight = noGrad(() => hook.compute(module));
  const self = module as unknown as Fields;
  delete self[name];
  // nn.Module cannot unregister a buffer: u and v are left registered as null (out of the
  // state dict and of namedBuffers), where PyTorch deletes them.
  self[`${name}_u`] = null;
  self[`${name}_v`] = null;
  delete self[`${name}_orig`];
  forgetHook(module, SPECTRAL_NORM, name);
  module.registerParameter(name, new Parameter(weight));
  return module;
}
