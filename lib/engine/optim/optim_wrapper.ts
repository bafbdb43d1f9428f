// OptimWrapper: the optimizer as the engine drives it, with gradient accumulation, gradient
// clipping and the context that a training forward pass runs in, as MMEngine's OptimWrapper.
import * as torch from '../../torch/index.js';
import type { Optimizer, OptimizerStateDict, ParamGroup } from '../../torch/optim/optimizer.js';
import { getLogger } from '../logging/logger.js';
import { MessageHub } from '../logging/message_hub.js';

type Tensor = torch.Tensor;
type Module = torch.nn.Module;

export type ClipGradConfig =
  | { type?: 'norm'; maxNorm: number; normType?: number | 'inf'; errorIfNonfinite?: boolean }
  | { type: 'value'; clipValue: number };

export interface OptimWrapperOptions {
  optimizer: Optimizer;
  accumulativeCounts?: number;
  clipGrad?: ClipGradConfig | null;
}

/** What every optimizer wrapper offers the model and the runner. */
export interface BaseOptimWrapper {
  updateParams(loss: Tensor): void;
  optimContext<T>(model: Module, fn: () => T): T;
  zeroGrad(): void;
  initializeCountStatus(model: Module, initCounts: number, maxCounts: number): void;
  getLr(): Record<string, number[]>;
  getMomentum(): Record<string, number[]>;
  stateDict(): unknown;
  loadStateDict(state: unknown): void;
}

/** A model that can skip gradient synchronisation (DistributedDataParallel). */
interface NoSyncModel {
  noSync<T>(fn: () => T): T;
}

export type WrapperStateDict = OptimizerStateDict & { base_param_settings?: Record<string, unknown> };

/** The options of each clipping type (the arguments of clipGradNorm_ and clipGradValue_), and the required one. */
const CLIP_OPTIONS = {
  norm: { known: ['maxNorm', 'normType', 'errorIfNonfinite'], required: 'maxNorm' },
  value: { known: ['clipValue'], required: 'clipValue' },
} as const;

/**
 * Refuses what clipGradNorm_ or clipGradValue_ would not take, as Python refuses an unknown
 * keyword argument: a config in Python's spelling (`max_norm`) would otherwise clip with an
 * undefined bound (NaN gradients) or fail only at the first step.
 */
function checkClipOptions(type: 'norm' | 'value', options: Record<string, unknown>): void {
  const { known, required } = CLIP_OPTIONS[type];
  for (const key of Object.keys(options)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new TypeError(
        `clipGrad: unknown option '${key}' for type '${type}' (its options: ${known.join(', ')}; names are camelCase)`,
      );
    }
  }
  if (typeof options[required] !== 'number') {
    throw new TypeError(`clipGrad: type '${type}' needs ${required}, a number; got ${String(options[required])}`);
  }
  const normType = options.normType;
  if (normType !== undefined && normType !== 'inf' && typeof normType !== 'number') {
    throw new TypeError(`clipGrad: normType must be a number or 'inf', got ${String(normType)}`);
  }
  if (options.errorIfNonfinite !== undefined && typeof options.errorIfNonfinite !== 'boolean') {
    throw new TypeError(`clipGrad: errorIfNonfinite must be a boolean, got ${String(options.errorIfNonfinite)}`);
  }
}

export class OptimWrapper implements BaseOptimWrapper {
  readonly optimizer: Optimizer;
  readonly messageHub: MessageHub;
  readonly clipGradKwargs: Record<string, unknown> | null;
  readonly gradName: 'grad_norm' | 'grad_value' | null;
  protected readonly accumulativeCounts: number;
  protected _innerCount = 0;
  protected maxCounts = -1;
  protected remainderCounts = -1;
  /** With several parameter groups, a pseudo-group that holds the base settings for schedulers. */
  baseParamSettings: (Record<string, unknown> & { params: Tensor[] }) | null = null;
  private readonly clipType: 'norm' | 'value' | null;

  constructor(options: OptimWrapperOptions) {
    const { optimizer, accumulativeCounts = 1, clipGrad = null } = options;
    if (!(accumulativeCounts > 0)) throw new Error('_accumulative_counts at least greater than or equal to 1');
    this.optimizer = optimizer;
    this.accumulativeCounts = accumulativeCounts;
    if (clipGrad !== null && clipGrad !== undefined) {
      if (typeof clipGrad !== 'object' || Array.isArray(clipGrad) || Object.keys(clipGrad).length === 0) {
        throw new Error(
          'If `clip_grad` is not None, it should be a `dict` which is the arguments of `torch.nn.utils.clip_grad_norm_` or clip_grad_value_`.',
        );
      }
      // A copy: the caller's object is not mutated (the reference removes `type` from it).
      const { type = 'norm', ...rest } = clipGrad as Record<string, unknown> & { type?: string };
      if (type !== 'norm' && type !== 'value') {
        throw new Error(`type of clip_grad should be "norm" or "value" but got ${String(type)}`);
      }
      if (Object.keys(rest).length === 0) {
        throw new Error(
          '`clip_grad` should contain other arguments besides `type`. The arguments should match with the `torch.nn.utils.clip_grad_norm_` or clip_grad_value_`',
        );
      }
      checkClipOptions(type, rest);
      this.clipType = type;
      this.clipGradKwargs = rest;
      this.gradName = type === 'norm' ? 'grad_norm' : 'grad_value';
    } else {
      this.clipType = null;
      this.clipGradKwargs = null;
      this.gradName = null;
    }
    this.messageHub = MessageHub.getCurrentInstance();
    if (optimizer.paramGroups.length > 1) {
      this.baseParamSettings = { ...optimizer.defaults, params: [torch.keep(torch.tensor([0], { dtype: 'float32' }))] };
    }
  }

  get innerCount(): number {
    return this._innerCount;
  }

  /** The optimizer's groups, plus the base-settings pseudo-group when there is one. */
  get paramGroups(): (ParamGroup | (Record<string, unknown> & { params: Tensor[] }))[] {
    return this.baseParamSettings
      ? [...this.optimizer.paramGroups, this.baseParamSettings]
      : this.optimizer.paramGroups;
  }

  get defaults(): Record<string, unknown> {
    return this.optimizer.defaults;
  }

  /** Scales the loss for accumulation, back-propagates it, and steps when a group of calls is complete. */
  updateParams(loss: Tensor): void {
    const scaled = this.scaleLoss(loss);
    this.backward(scaled);
    if (this.shouldUpdate()) {
      this.step();
      this.zeroGrad();
    }
  }

  backward(loss: Tensor): void {
    if (!(loss instanceof torch.Tensor)) throw new TypeError('backward: the loss must be a Tensor');
    if (!loss.requiresGrad) {
      throw new Error(
        "backward: the loss does not require grad (does the model's loss dict have a key containing 'loss' computed from parameters?)",
      );
    }
    loss.backward();
    this._innerCount += 1;
  }

  step(): void {
    if (this.clipGradKwargs) this.clipGrad();
    this.optimizer.step();
  }

  zeroGrad(): void {
    this.optimizer.zeroGrad();
  }

  protected clipGrad(): void {
    const params = this.optimizer.paramGroups.flatMap((g) => g.params).filter((p) => p.requiresGrad && p.grad !== null);
    if (params.length === 0) return;
    const kw = this.clipGradKwargs as Record<string, unknown>;
    if (this.clipType === 'norm') {
      const normType = kw.normType === 'inf' ? Number.POSITIVE_INFINITY : ((kw.normType as number | undefined) ?? 2);
      const norm = torch.nn.utils.clipGradNorm_(params, kw.maxNorm as number, {
        normType,
        errorIfNonfinite: (kw.errorIfNonfinite as boolean | undefined) ?? false,
      });
      this.messageHub.updateScalar(`train/${this.gradName}`, norm.item() as number);
    } else {
      torch.nn.utils.clipGradValue_(params, kw.clipValue as number);
    }
  }

  /** Divides the loss by the number of calls in the current accumulation group. */
  scaleLoss(loss: Tensor): Tensor {
    let factor: number;
    if (this.accumulativeCounts === 1) factor = 1;
    else if (this.maxCounts === -1) factor = this.accumulativeCounts;
    else {
      factor =
        this._innerCount < this.maxCounts - this.remainderCounts ? this.accumulativeCounts : this.remainderCounts;
      if (!(factor > 0)) {
        throw new Error(
          'loss_factor should be larger than zero! This error could happened when initialize_iter_status called with an error `init_counts` or `max_counts`',
        );
      }
    }
    return factor === 1 ? loss : loss.div(factor);
  }

  shouldUpdate(): boolean {
    return this._innerCount % this.accumulativeCounts === 0 || this._innerCount === this.maxCounts;
  }

  shouldSync(): boolean {
    return (this._innerCount + 1) % this.accumulativeCounts === 0 || this._innerCount + 1 === this.maxCounts;
  }

  initializeCountStatus(model: Module, initCounts: number, maxCounts: number): void {
    this._innerCount = initCounts;
    this.maxCounts = maxCounts;
    const logger = getLogger();
    if (this._innerCount % this.accumulativeCounts !== 0) {
      logger.warning(
        'Resumed iteration number is not divisible by `_accumulative_counts` in `GradientCumulativeOptimizerHook`, which means the gradient of some iterations is lost and the result may be influenced slightly.',
      );
    }
    const hasBn = model.modules().some((m) => m instanceof torch.nn.BatchNorm1d || m instanceof torch.nn.BatchNorm2d);
    if (hasBn && this.accumulativeCounts > 1) {
      logger.warning('Gradient accumulative may slightly decrease performance because the model has BatchNorm layers.');
    }
    this.remainderCounts = this.maxCounts % this.accumulativeCounts;
  }

  /** Runs the forward pass: without gradient synchronisation while a DDP model accumulates. */
  optimContext<T>(model: Module, fn: () => T): T {
    const ddp = model as unknown as Partial<NoSyncModel>;
    if (!this.shouldSync() && typeof ddp.noSync === 'function') return ddp.noSync(fn);
    return fn();
  }

  getLr(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    if (this.baseParamSettings) out.base_lr = [this.baseParamSettings.lr as number];
    out.lr = this.optimizer.paramGroups.map((g) => g.lr);
    return out;
  }

  getMomentum(): Record<string, number[]> {
    const momentum = this.optimizer.paramGroups.map((g) => {
      const group = g as ParamGroup & { momentum?: number; betas?: [number, number] };
      if (group.momentum !== undefined) return group.momentum;
      if (group.betas !== undefined) return group.betas[0];
      return 0;
    });
    return { momentum };
  }

  stateDict(): WrapperStateDict {
    const sd: WrapperStateDict = this.optimizer.stateDict();
    if (this.baseParamSettings) {
      const { params: _params, ...settings } = this.baseParamSettings;
      sd.base_param_settings = settings;
    }
    return sd;
  }

  loadStateDict(state: unknown): void {
    // A copy without the key: the caller's object is not mutated (the reference pops it).
    const { base_param_settings, ...rest } = state as WrapperStateDict;
    if (base_param_settings) {
      // Adopted whenever present, as the reference does. The dummy params stay ours: a Python
      // checkpoint stores a bare tensor there, where a param group here holds an array.
      const params = this.baseParamSettings?.params ?? [torch.keep(torch.tensor([0], { dtype: 'float32' }))];
      this.baseParamSettings = { ...base_param_settings, params };
    }
    this.optimizer.loadStateDict(rest as OptimizerStateDict);
  }

  toString(): string {
    return `Type: ${this.constructor.name}\n_accumulative_counts: ${this.accumulativeCounts}\noptimizer: \n${String(this.optimizer)}`;
  }
}
