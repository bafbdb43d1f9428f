// AmpOptimWrapper: mixed-precision training. The forward pass runs under autocast (float16 on
// CUDA; bfloat16 on CUDA or the CPU), the loss is scaled by a GradScaler, gradients are unscaled
// before clipping, and steps whose gradients overflowed are skipped.
//
// Unlike the reference, it works on the CPU too, with bfloat16 (float16 autocast on the CPU is
// refused). A loss scale given as a number (any number: TypeScript has no float/int
// distinction) is static.

import type { DType } from '../../torch/index.js';
import * as torch from '../../torch/index.js';
import { OptimWrapper, type OptimWrapperOptions, type WrapperStateDict } from './optim_wrapper.js';

type Tensor = torch.Tensor;
type Module = torch.nn.Module;

export type LossScale = 'dynamic' | number | torch.amp.GradScalerOptions;

export interface AmpOptimWrapperOptions extends OptimWrapperOptions {
  lossScale?: LossScale;
  /** The autocast dtype: float16 (CUDA only) or bfloat16; default float16 on CUDA, bfloat16 on the CPU. */
  dtype?: DType | null;
  /** Where training runs: default CUDA when available, else the CPU. */
  deviceType?: 'cpu' | 'cuda';
}

export class AmpOptimWrapper extends OptimWrapper {
  readonly lossScaler: torch.amp.GradScaler;
  readonly castDtype: DType;
  readonly deviceType: 'cpu' | 'cuda';
  private readonly scaleUpdateParam: number | undefined;

  constructor(options: AmpOptimWrapperOptions) {
    super(options);
    this.deviceType = options.deviceType ?? (torch.cuda.isAvailable() ? 'cuda' : 'cpu');
    const dtype = options.dtype ?? (this.deviceType === 'cuda' ? 'float16' : 'bfloat16');
    const allowed: DType[] = ['float16', 'bfloat16', 'float32', 'float64'];
    if (!allowed.includes(dtype)) throw new Error(`dtype should be any of ${allowed.join(', ')}, got ${dtype}`);
    if (this.deviceType === 'cpu' && dtype === 'float16') {
      throw new Error(
        'AmpOptimWrapper: float16 autocast needs CUDA; on the CPU use dtype bfloat16 (or train on a GPU)',
      );
    }
    this.castDtype = dtype;
    const lossScale = options.lossScale ?? 'dynamic';
    const device = this.deviceType;
    if (lossScale === 'dynamic') {
      this.lossScaler = new torch.amp.GradScaler(device);
    } else if (typeof lossScale === 'number') {
      this.scaleUpdateParam = lossScale;
      this.lossScaler = new torch.amp.GradScaler(device, { initScale: lossScale });
    } else if (typeof lossScale === 'object' && lossScale !== null && !Array.isArray(lossScale)) {
      this.lossScaler = new torch.amp.GradScaler(device, lossScale);
    } else {
      throw new TypeError(`loss_scale must be of type float, dict, or "dynamic", but got ${String(lossScale)}`);
    }
  }

  override backward(loss: Tensor): void {
    super.backward(this.lossScaler.scale(loss));
  }

  override step(): void {
    if (this.clipGradKwargs) {
      this.lossScaler.unscale_(this.optimizer);
      this.clipGrad();
    }
    this.lossScaler.step(this.optimizer);
    this.lossScaler.update(this.scaleUpdateParam);
  }

  override stateDict(): WrapperStateDict & { loss_scaler: torch.amp.GradScalerState | Record<string, never> } {
    return { ...super.stateDict(), loss_scaler: this.lossScaler.stateDict() };
  }

  override loadStateDict(state: unknown): void {
    const { loss_scaler, ...rest } = state as WrapperStateDict & { loss_scaler?: torch.amp.GradScalerState };
    if (loss_scaler) this.lossScaler.loadStateDict(loss_scaler);
    super.loadStateDict(rest);
  }

  /** The base context (no gradient sync while accumulating under DDP) with autocast on. */
  override optimContext<T>(model: Module, fn: () => T): T {
    return super.optimContext(model, () => torch.autocast(this.deviceType, fn, { dtype: this.castDtype }));
  }
}
