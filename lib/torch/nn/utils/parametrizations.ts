// torch.nn.utils.parametrizations: weight_norm and spectral_norm as parametrizations
// (parametrizations.py), the API PyTorch recommends over the hook-based nn.utils.weight_norm and
// spectral_norm. The state-dict keys are PyTorch's: weightNorm's magnitude and direction are
// `parametrizations.weight.original0` and `original1`, spectralNorm's power-iteration vectors
// `parametrizations.weight.0._u` and `_v`.
import { normalize } from '../../../generated/functional.js';
import { dot, empty, mv } from '../../../generated/functions.js';
import { noGrad } from '../../autograd.js';
import { scope } from '../../lifetime.js';
import { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import { ConvTranspose1d, ConvTranspose2d, ConvTranspose3d } from '../modules/conv.js';
import { type Parametrized, registerParametrization } from './parametrize.js';
import { normExceptDim, weightNormOp } from './weight_norm.js';

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

/** PyTorch's `_WeightNorm`: weight = g * v / ‖v‖, the norm taken over every dim but `dim`. */
export class _WeightNorm extends Module {
  dim: number;

  constructor(dim: number | null = 0) {
    super();
    if (dim !== null && !isInt(dim)) throw new TypeError(`weightNorm: dim must be an integer or null, got ${dim}`);
    this.dim = dim ?? -1;
  }

  forward(weightG: Tensor, weightV: Tensor): Tensor {
    return weightNormOp(weightV, weightG, this.dim);
  }

  rightInverse(weight: Tensor): Tensor[] {
    return [normExceptDim(weight, 2, this.dim), weight];
  }
}

/**
 * Weight normalization as a parametrization, as PyTorch's
 * `torch.nn.utils.parametrizations.weight_norm`: the parameter `name` (default 'weight') becomes
 * `g * v / ‖v‖`, with the magnitude g in `parametrizations.weight.original0` and the direction v
 * in `original1`. The norm is taken per slice along `dim` (default 0); `dim: null` takes it over
 * the whole tensor. Returns the module.
 */
export function weightNorm<M extends Module>(
  module: M,
  options?: { name?: string; dim?: number | null },
): Parametrized<M> {
  const name = options?.name ?? 'weight';
  const parametrization = new _WeightNorm(options?.dim === undefined ? 0 : options.dim);
  const out = registerParametrization(module, name, parametrization, { unsafe: true });
  // As PyTorch's: a checkpoint of the hook-based API (`weight_g`, `weight_v`) loads into the
  // parametrization's originals.
  module.registerLoadStateDictPreHook((_m, stateDict, prefix) => {
    const g = stateDict[`${prefix}${name}_g`];
    const v = stateDict[`${prefix}${name}_v`];
    if (g === undefined || v === undefined) return;
    delete stateDict[`${prefix}${name}_g`];
    delete stateDict[`${prefix}${name}_v`];
    stateDict[`${prefix}parametrizations.${name}.original0`] = g;
    stateDict[`${prefix}parametrizations.${name}.original1`] = v;
  });
  return out;
}

/**
 * PyTorch's `_SpectralNorm`: the weight divided by its largest singular value, estimated by power
 * iteration on the weight reshaped to a matrix (`dim` first). The vectors u and v are buffers
 * (`_u`, `_v`), drawn from a normal distribution on construction, as PyTorch draws them, then
 * refined by 15 iterations; in training mode each read of the weight does `nPowerIterations`
 * more, in place.
 */
export class _SpectralNorm extends Module {
  dim: number;
  eps: number;
  nPowerIterations?: number;
  declare _u: Tensor;
  declare _v: Tensor;

  constructor(weight: Tensor, nPowerIterations = 1, dim = 0, eps = 1e-12) {
    super();
    if (!(weight instanceof Tensor)) throw new TypeError('spectralNorm: weight must be a Tensor');
    const ndim = weight.dim();
    if (!isInt(dim) || dim >= ndim || dim < -ndim) {
      throw new RangeError(
        `Dimension out of range (expected to be in range of [-${ndim}, ${ndim - 1}] but got ${dim})`,
      );
    }
    if (!isInt(nPowerIterations) || nPowerIterations <= 0) {
      throw new Error(`Expected nPowerIterations to be positive, but got nPowerIterations=${nPowerIterations}`);
    }
    if (typeof eps !== 'number') throw new TypeError(`spectralNorm: eps must be a number, got ${typeof eps}`);
    this.dim = dim >= 0 ? dim : dim + ndim;
    this.eps = eps;
    if (ndim > 1) {
      // For ndim == 1 nothing is approximated (see forward).
      this.nPowerIterations = nPowerIterations;
      scope(() => {
        const weightMat = this.reshapeWeightToMatrix(weight);
        const [h, w] = weightMat.shape as [number, number];
        const options = { dtype: weightMat.dtype, device: weightMat.device };
        const u = empty([h], options).normal_({ mean: 0, std: 1 });
        const v = empty([w], options).normal_({ mean: 0, std: 1 });
        this.registerBuffer('_u', normalize(u, { dim: 0, eps: this.eps }));
        this.registerBuffer('_v', normalize(v, { dim: 0, eps: this.eps }));
        // Start from reasonable u, v: 15 iterations of the power method.
        this.powerMethod(weightMat, 15);
      });
    }
  }

  private reshapeWeightToMatrix(weight: Tensor): Tensor {
    if (this.dim !== 0) {
      const others = Array.from({ length: weight.dim() }, (_, d) => d).filter((d) => d !== this.dim);
      weight = weight.permute([this.dim, ...others]);
    }
    return weight.flatten(1);
  }

  /** u, v updated in place (an optimizer or a module copy sharing them sees it), without gradient. */
  private powerMethod(weightMat: Tensor, nPowerIterations: number): void {
    noGrad(() =>
      scope(() => {
        for (let i = 0; i < nPowerIterations; i++) {
          this._u.copy_(normalize(mv(weightMat, this._v), { dim: 0, eps: this.eps }));
          this._v.copy_(normalize(mv(weightMat.t(), this._u), { dim: 0, eps: this.eps }));
        }
      }),
    );
  }

  forward(weight: Tensor): Tensor {
    if (weight.dim() === 1) return normalize(weight, { dim: 0, eps: this.eps });
    const weightMat = this.reshapeWeightToMatrix(weight);
    if (this.training) this.powerMethod(weightMat, this.nPowerIterations as number);
    // Cloned, so that a graph built on this forward survives the next one's in-place update.
    const u = this._u.clone({ memoryFormat: 'contiguousFormat' });
    const v = this._v.clone({ memoryFormat: 'contiguousFormat' });
    const sigma = dot(u, mv(weightMat, v));
    return weight.div(sigma);
  }

  rightInverse(value: Tensor): Tensor {
    return value;
  }
}

/**
 * Spectral normalization as a parametrization, as PyTorch's
 * `torch.nn.utils.parametrizations.spectral_norm`: the parameter `name` (default 'weight') is
 * divided by its spectral norm, estimated by power iteration (`nPowerIterations` per read in
 * training mode, default 1). `dim` is the output dim (default 0, 1 for ConvTranspose); `eps`
 * (default 1e-12) guards the normalizations. The u, v vectors are drawn from the global
 * generator as PyTorch draws them, so the same `manualSeed` gives the same u, v. Returns the
 * module.
 */
export function spectralNorm<M extends Module>(
  module: M,
  options?: { name?: string; nPowerIterations?: number; eps?: number; dim?: number | null },
): Parametrized<M> {
  const name = options?.name ?? 'weight';
  const weight = (module as unknown as Record<string, unknown>)[name];
  if (!(weight instanceof Tensor)) {
    throw new Error(`Module '${module}' has no parameter or buffer with name '${name}'`);
  }
  let dim = options?.dim ?? null;
  if (dim === null) {
    dim =
      module instanceof ConvTranspose1d || module instanceof ConvTranspose2d || module instanceof ConvTranspose3d
        ? 1
        : 0;
  }
  return registerParametrization(
    module,
    name,
    new _SpectralNorm(weight, options?.nPowerIterations ?? 1, dim, options?.eps ?? 1e-12),
  );
}
