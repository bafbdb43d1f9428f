// torch.amp.GradScaler: scales the loss so that small float16 gradients do not underflow,
// unscales the gradients before the step, skips steps whose gradients overflowed, and adapts
// the scale (x growthFactor after growthInterval clean steps, x backoffFactor on overflow).
// The arithmetic is PyTorch's own kernels (_amp_foreach_non_finite_check_and_unscale_,
// _amp_update_scale_), so the scale sequence matches PyTorch's step for step.

import { native } from '../../binding.js';
import { _ampForeachNonFiniteCheckAndUnscale_, _ampUpdateScale_, full, zeros } from '../../generated/functions.js';
import { noGrad } from '../autograd.js';
import type { Device } from '../device.js';
import { keep, scope } from '../lifetime.js';
import type { Tensor } from '../tensor.js';

/** What the scaler needs of an optimizer. */
export interface ScalableOptimizer {
  paramGroups: { params: Tensor[] }[];
  step(): unknown;
  /**
   * PyTorch's `_step_supports_amp_scaling` (the fused optimizers): step() then gets the scale
   * and the overflow flag in gradScale and foundInf and unscales (or skips) by itself.
   */
  stepSupportsAmpScaling?: boolean;
  gradScale?: Tensor | null;
  foundInf?: Tensor | null;
}

export interface GradScalerOptions {
  initScale?: number;
  growthFactor?: number;
  backoffFactor?: number;
  growthInterval?: number;
  enabled?: boolean;
}

export interface GradScalerState {
  scale: number;
  growth_factor: number;
  backoff_factor: number;
  growth_interval: number;
  _growth_tracker: number;
}

type Stage = 'ready' | 'unscaled' | 'stepped';

export class GradScaler {
  readonly device: Device;
  private enabled: boolean;
  private initScale: number;
  private growthFactor: number;
  private backoffFactor: number;
  private growthInterval: number;
  private scaleTensor: Tensor | null = null;
  private growthTracker: Tensor | null = null;
  private initGrowthTracker = 0;
  private perOptimizer = new Map<ScalableOptimizer, { stage: Stage; foundInf: Tensor | null }>();

  constructor(device: Device = 'cuda', options?: GradScalerOptions) {
    this.device = device;
    this.enabled = options?.enabled ?? true;
    // As PyTorch: a CUDA scaler where CUDA is not available warns and turns itself off.
    if (this.enabled && device.startsWith('cuda') && !native.cudaIsAvailable()) {
      process.emitWarning(
        'torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.',
        'UserWarning',
      );
      this.enabled = false;
    }
    this.initScale = options?.initScale ?? 2 ** 16;
    this.growthFactor = options?.growthFactor ?? 2;
    this.backoffFactor = options?.backoffFactor ?? 0.5;
    this.growthInterval = options?.growthInterval ?? 2000;
    if (this.growthFactor <= 1) throw new Error('The growth factor must be > 1.0.');
    if (this.backoffFactor >= 1) throw new Error('The backoff factor must be < 1.0.');
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  private lazyInit(): void {
    if (this.scaleTensor) return;
    this.scaleTensor = keep(full([], this.initScale, { dtype: 'float32', device: this.device }));
    this.growthTracker = keep(full([], this.initGrowthTracker, { dtype: 'int32', device: this.device }));
  }

  private stateOf(optimizer: ScalableOptimizer): { stage: Stage; foundInf: Tensor | null } {
    let s = this.perOptimizer.get(optimizer);
    if (!s) {
      s = { stage: 'ready', foundInf: null };
      this.perOptimizer.set(optimizer, s);
    }
    return s;
  }

  /** The loss multiplied by the current scale. */
  scale(outputs: Tensor): Tensor {
    if (!this.enabled) return outputs;
    this.lazyInit();
    return outputs.mul((this.scaleTensor as Tensor).to({ device: outputs.device }));
  }

  /** Divides the optimizer's gradients by the scale in place, noting whether any overflowed. */
  unscale_(optimizer: ScalableOptimizer): void {
    if (!this.enabled) return;
    const state = this.stateOf(optimizer);
    if (state.stage === 'unscaled') {
      throw new Error('unscale_() has already been called on this optimizer since the last update().');
    }
    if (state.stage === 'stepped') throw new Error('unscale_() is being called after step().');
    this.checkAndUnscale(optimizer, state, true);
    state.stage = 'unscaled';
  }

  /**
   * Records in state.foundInf whether any gradient is inf or NaN and, with `unscale`, divides them
   * by the scale (without, PyTorch's _check_inf_per_device: the same kernel with a scale of 1).
   */
  private checkAndUnscale(
    optimizer: ScalableOptimizer,
    state: { stage: Stage; foundInf: Tensor | null },
    unscale: boolean,
  ): void {
    this.lazyInit();
    const scaleTensor = this.scaleTensor as Tensor;
    state.foundInf = keep(zeros([1], { dtype: 'float32', device: this.device }));
    const foundInf = state.foundInf;
    let checked = false;
    scope(() =>
      noGrad(() => {
        // The reciprocal in float64, as PyTorch computes it.
        const invScale = unscale
          ? scaleTensor.double().reciprocal().float()
          : full([], 1, { dtype: 'float32', device: this.device });
        const grads = optimizer.paramGroups
          .flatMap((g) => g.params)
          .map((p) => p.grad)
          .filter((g): g is Tensor => g !== null);
        checked = grads.length > 0;
        const byDtype = new Map<string, Tensor[]>();
        for (const g of grads) {
          if (g.dtype === 'float16') throw new Error('Attempting to unscale FP16 gradients.');
          const key = `${g.device}/${g.dtype}`;
          if (!byDtype.has(key)) byDtype.set(key, []);
          byDtype.get(key)?.push(g);
        }
        for (const list of byDtype.values()) _ampForeachNonFiniteCheckAndUnscale_(list, foundInf, invScale);
      }),
    );
    // No gradient: nothing was checked (PyTorch records no inf check, and step() refuses).
    if (!checked) {
      foundInf.dispose();
      state.foundInf = null;
    }
  }

  /** Unscales if needed, then steps the optimizer unless a gradient was inf or NaN. */
  step(optimizer: ScalableOptimizer): unknown {
    if (!this.enabled) return optimizer.step();
    const state = this.stateOf(optimizer);
    if (state.stage === 'stepped') throw new Error('step() has already been called since the last update().');
    if (!this.scaleTensor) {
      throw new Error(
        'Attempted step but the scale is unset. This may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration.',
      );
    }
    if (optimizer.stepSupportsAmpScaling) return this.fusedStep(optimizer, state);
    if (state.stage === 'ready') this.unscale_(optimizer);
    if (state.foundInf === null) throw new Error('No inf checks were recorded for this optimizer.');
    let result: unknown;
    if ((state.foundInf?.item() as number) === 0) result = optimizer.step();
    state.stage = 'stepped';
    return result;
  }

  /**
   * step() of an optimizer that unscales by itself (fused Adam, AdamW, SGD, Adagrad): as PyTorch,
   * the gradients are checked but not unscaled, and the optimizer always steps, with gradScale (the
   * scale, unless unscale_() already ran; times a gradScale the caller set) and foundInf set on it
   * for the step: its kernel divides by the scale and skips the update on an overflow. The
   * gradients stay scaled afterwards, as in PyTorch.
   */
  private fusedStep(optimizer: ScalableOptimizer, state: { stage: Stage; foundInf: Tensor | null }): unknown {
    if (state.stage === 'ready') this.checkAndUnscale(optimizer, state, false);
    if (state.foundInf === null) throw new Error('No inf checks were recorded for this optimizer.');
    const callerScale = optimizer.gradScale ?? null;
    const scaleTensor = this.scaleTensor as Tensor;
    return scope(() => {
      optimizer.gradScale =
        state.stage === 'unscaled' ? callerScale : callerScale ? scaleTensor.mul(callerScale) : scaleTensor;
      // the kernels and the step counters take a 0-d flag
      optimizer.foundInf = (state.foundInf as Tensor).reshape([]);
      try {
        return optimizer.step();
      } finally {
        state.stage = 'stepped';
        // PyTorch deletes both attributes after the step, a gradScale of the caller's too
        optimizer.gradScale = null;
        optimizer.foundInf = null;
      }
    });
  }

  /** Adapts the scale after the step(s), or sets it to `newScale`. */
  update(newScale?: number): void {
    if (!this.enabled) return;
    this.lazyInit();
    const scaleTensor = this.scaleTensor as Tensor;
    scope(() =>
      noGrad(() => {
        if (newScale !== undefined) {
          scaleTensor.fill_(newScale);
          return;
        }
        const found = [...this.perOptimizer.values()].map((s) => s.foundInf).filter((f): f is Tensor => f !== null);
        if (found.length === 0) throw new Error('No inf checks were recorded prior to update.');
        let total = found[0] as Tensor;
        for (const f of found.slice(1)) total = total.add(f);
        _ampUpdateScale_(
          scaleTensor,
          this.growthTracker as Tensor,
          total,
          this.growthFactor,
          this.backoffFactor,
          this.growthInterval,
        );
      }),
    );
    for (const s of this.perOptimizer.values()) s.foundInf?.dispose();
    this.perOptimizer.clear();
  }

  getScale(): number {
    if (!this.enabled) return 1;
    return this.scaleTensor ? (this.scaleTensor.item() as number) : this.initScale;
  }

  getGrowthFactor(): number {
    return this.growthFactor;
  }

  getBackoffFactor(): number {
    return this.backoffFactor;
  }

  getGrowthInterval(): number {
    return this.growthInterval;
  }

  /** PyTorch's layout, so that a checkpoint's `loss_scaler` entry maps onto Python's. */
  stateDict(): GradScalerState | Record<string, never> {
    if (!this.enabled) return {};
    return {
      scale: this.getScale(),
      growth_factor: this.growthFactor,
      backoff_factor: this.backoffFactor,
      growth_interval: this.growthInterval,
      _growth_tracker: this.growthTracker ? (this.growthTracker.item() as number) : this.initGrowthTracker,
    };
  }

  loadStateDict(state: GradScalerState): void {
    if (!this.enabled) return;
    if (!state || Object.keys(state).length === 0) {
      throw new Error(
        'The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler.',
      );
    }
    this.initScale = state.scale;
    this.growthFactor = state.growth_factor;
    this.backoffFactor = state.backoff_factor;
    this.growthInterval = state.growth_interval;
    this.initGrowthTracker = state._growth_tracker;
    if (this.scaleTensor) noGrad(() => this.scaleTensor?.fill_(state.scale));
    if (this.growthTracker) noGrad(() => this.growthTracker?.fill_(state._growth_tracker));
  }
}
