import { batchNorm } from '../../../generated/functional.js';
import { ones, zeros } from '../../../generated/functions.js';
import { noGrad } from '../../autograd.js';
import { tensor } from '../../creation.js';
import type { Tensor } from '../../tensor.js';
import { ones_, zeros_ } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { pyBool, pyFloat } from '../repr.js';
import { type FactoryOptions, newParameter } from './linear.js';

export interface BatchNormOptions extends FactoryOptions {
  eps?: number;
  /** null: a cumulative moving average (1 / batches seen) instead of an exponential one. */
  momentum?: number | null;
  affine?: boolean;
  /** With `affine`, whether to learn a bias (default true). */
  bias?: boolean;
  trackRunningStats?: boolean;
}

/**
 * What batch and instance normalisation share (PyTorch's _NormBase): the affine parameters, the
 * running statistics as buffers with PyTorch's names, their reset, and the repr.
 */
export abstract class NormBase extends Module {
  /** PyTorch's _NormBase._version: 2 since `num_batches_tracked` (state dicts record it). */
  static override readonly _version: number = 2;
  weight: Parameter | null;
  bias: Parameter | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  /** `defaults`: affine and trackRunningStats where the options leave them out (true for batch norm). */
  constructor(
    readonly numFeatures: number,
    options: BatchNormOptions | undefined,
    defaults = { affine: true, trackRunningStats: true },
  ) {
    super();
    this.eps = options?.eps ?? 1e-5;
    this.momentum = options?.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options?.affine ?? defaults.affine;
    this.trackRunningStats = options?.trackRunningStats ?? defaults.trackRunningStats;
    this.weight = this.affine ? newParameter([numFeatures], options) : null;
    this.bias = this.affine && (options?.bias ?? true) ? newParameter([numFeatures], options) : null;
    const fo = {
      ...(options?.dtype ? { dtype: options.dtype } : {}),
      ...(options?.device ? { device: options.device } : {}),
    };
    if (this.trackRunningStats) {
      // PyTorch's buffer names, so that state dicts match key for key.
      this.registerBuffer('running_mean', zeros([numFeatures], fo));
      this.registerBuffer('running_var', ones([numFeatures], fo));
      this.registerBuffer(
        'num_batches_tracked',
        tensor(0, { dtype: 'int64', ...(options?.device ? { device: options.device } : {}) }),
      );
    } else {
      this.registerBuffer('running_mean', null);
      this.registerBuffer('running_var', null);
      this.registerBuffer('num_batches_tracked', null);
    }
    this.resetParameters();
  }

  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    noGrad(() => {
      this.running_mean?.zero_();
      this.running_var?.fill_(1);
      this.num_batches_tracked?.zero_();
    });
  }

  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  protected abstract checkInputDim(input: Tensor): void;

  override extraRepr(): string {
    const m = this.momentum === null ? 'None' : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${m}, affine=${pyBool(this.affine)}, bias=${pyBool(this.bias !== null)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/** What the batch norms share (PyTorch's _BatchNorm): SyncBatchNorm and the Lazy ones build on it, convertSyncBatchnorm looks for it. */
export abstract class BatchNormBase extends NormBase {
  constructor(numFeatures: number, options?: BatchNormOptions) {
    super(numFeatures, options);
  }

  forward(input: Tensor): Tensor {
    this.checkInputDim(input);
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked) {
      const tracked = this.num_batches_tracked;
      noGrad(() => tracked.add_(1));
      if (this.momentum === null) factor = 1 / (tracked.item() as number);
    }
    const bnTraining = this.training || (this.running_mean === null && this.running_var === null);
    const useStats = !this.training || this.trackRunningStats;
    return batchNorm(input, useStats ? this.running_mean : null, useStats ? this.running_var : null, {
      weight: this.weight,
      bias: this.bias,
      training: bnTraining,
      momentum: factor,
      eps: this.eps,
    });
  }
}

/** Batch normalisation over a 2-D (N, C) or 3-D (N, C, L) input. */
export class BatchNorm1d extends BatchNormBase {
  protected checkInputDim(input: Tensor): void {
    const d = input.dim();
    if (d !== 2 && d !== 3) throw new Error(`BatchNorm1d: expected 2D or 3D input (got ${d}D input)`);
  }
}

/** Batch normalisation over a 4-D (N, C, H, W) input. */
export class BatchNorm2d extends BatchNormBase {
  protected checkInputDim(input: Tensor): void {
    const d = input.dim();
    if (d !== 4) throw new Error(`BatchNorm2d: expected 4D input (got ${d}D input)`);
  }
}

/** Batch normalisation over a 5-D (N, C, D, H, W) input. */
export class BatchNorm3d extends BatchNormBase {
  protected checkInputDim(input: Tensor): void {
    const d = input.dim();
    if (d !== 5) throw new Error(`BatchNorm3d: expected 5D input (got ${d}D input)`);
  }
}
