import type { Tensor } from '../../tensor.js';
import { instanceNorm } from '../functional.js';
import { type BatchNormOptions, NormBase } from './batchnorm.js';

/** InstanceNorm's options: as BatchNorm's, with affine and trackRunningStats false unless given. */
export type InstanceNormOptions = BatchNormOptions;

const warned = new Set<string>();

/**
 * Instance normalisation (PyTorch's _InstanceNorm): each sample's channels normalised by their own
 * statistics, through F.instanceNorm. With trackRunningStats, training updates the running
 * statistics and eval normalises by them. An input without the batch dim is one sample.
 */
abstract class InstanceNormBase extends NormBase {
  constructor(numFeatures: number, options?: InstanceNormOptions) {
    super(numFeatures, options, { affine: false, trackRunningStats: false });
  }

  /** The number of dims of an input without the batch dim. */
  protected abstract readonly noBatchDim: number;

  protected checkInputDim(input: Tensor): void {
    const d = input.dim();
    const n = this.noBatchDim;
    if (d !== n && d !== n + 1) {
      throw new Error(`${this.constructor.name}: expected ${n}D or ${n + 1}D input (got ${d}D input)`);
    }
  }

  forward(input: Tensor): Tensor {
    this.checkInputDim(input);
    const featureDim = input.dim() - this.noBatchDim;
    const features = input.size(featureDim);
    const name = this.constructor.name;
    if (features !== this.numFeatures) {
      if (this.affine) {
        throw new Error(
          `${name}: expected input's size at dim=${featureDim} to match num_features (${this.numFeatures}), but got: ${features}.`,
        );
      }
      if (!warned.has(name)) {
        warned.add(name);
        process.emitWarning(
          `${name}: input's size at dim=${featureDim} does not match num_features. You can silence this warning by not passing in num_features, which is not used because affine=False`,
          'UserWarning',
        );
      }
    }
    if (input.dim() === this.noBatchDim) return this.normalize(input.unsqueeze(0)).squeeze(0);
    return this.normalize(input);
  }

  private normalize(input: Tensor): Tensor {
    return instanceNorm(input, {
      runningMean: this.running_mean,
      runningVar: this.running_var,
      weight: this.weight,
      bias: this.bias,
      useInputStats: this.training || !this.trackRunningStats,
      momentum: this.momentum ?? 0,
      eps: this.eps,
    });
  }
}

/** Instance normalisation over a (C, L) or (N, C, L) input. */
export class InstanceNorm1d extends InstanceNormBase {
  protected readonly noBatchDim = 2;
}

/** Instance normalisation over a (C, H, W) or (N, C, H, W) input. */
export class InstanceNorm2d extends InstanceNormBase {
  protected readonly noBatchDim = 3;
}

/** Instance normalisation over a (C, D, H, W) or (N, C, D, H, W) input. */
export class InstanceNorm3d extends InstanceNormBase {
  protected readonly noBatchDim = 4;
}
