// Keeps an averaged copy of the model's weights during training, evaluates with it, and saves it,
// as MMEngine's EMAHook:
//   - after every training iteration the averaged model takes a step (before beginIter or
//     beginEpoch it only mirrors the model);
//   - a validation or test runs with the averaged weights swapped into the model, and swapped
//     back after;
//   - a checkpoint's `state_dict` holds the averaged weights (what one deploys) and its
//     `ema_state_dict` the averaged model's state with the model's own weights in it; resuming
//     swaps them back, loading another checkpoint starts the average from its `state_dict`.
import * as torch from '../../torch/index.js';
import {
  type AveragedModelOptions,
  type BaseAveragedModel,
  ExponentialMovingAverage,
  MomentumAnnealingEMA,
  StochasticWeightAverage,
} from '../model/averaged_model.js';
import type { Runner } from '../runner/runner.js';
import { Hook, type IterArgs, type Priority } from './hook.js';

type Tensor = torch.Tensor;

const EMA_TYPES = { ExponentialMovingAverage, MomentumAnnealingEMA, StochasticWeightAverage };

export interface EMAHookOptions extends AveragedModelOptions {
  /** The averaged model: a name (default 'ExponentialMovingAverage') or a class of BaseAveragedModel. */
  emaType?:
    | keyof typeof EMA_TYPES
    | (new (
        model: torch.nn.Module,
        options?: AveragedModelOptions,
      ) => BaseAveragedModel);
  /** ExponentialMovingAverage's and MomentumAnnealingEMA's (default 0.0002). */
  momentum?: number;
  /** MomentumAnnealingEMA's (default 100). */
  gamma?: number;
  /** Load the averaged model's state strictly from a checkpoint (default false). */
  strictLoad?: boolean;
  /** The iteration from which the average starts (default 0); not with beginEpoch. */
  beginIter?: number;
  /** The epoch from which the average starts (default 0); not with beginIter. */
  beginEpoch?: number;
}

export class EMAHook extends Hook {
  override priority: Priority = 'NORMAL';
  readonly strictLoad: boolean;
  readonly beginIter: number;
  readonly beginEpoch: number;
  private readonly options: EMAHookOptions;
  /** Made before the run from the runner's model. */
  emaModel: BaseAveragedModel | null = null;
  private srcModel: torch.nn.Module | null = null;

  constructor(options?: EMAHookOptions) {
    super();
    this.options = { ...options };
    this.strictLoad = options?.strictLoad ?? false;
    this.beginIter = options?.beginIter ?? 0;
    this.beginEpoch = options?.beginEpoch ?? 0;
    if (this.beginIter !== 0 && this.beginEpoch !== 0)
      throw new Error('EMAHook: beginIter and beginEpoch should not be both set');
    if (!Number.isInteger(this.beginIter) || this.beginIter < 0)
      throw new Error(`EMAHook: beginIter must be a non-negative integer, got ${this.beginIter}`);
    if (!Number.isInteger(this.beginEpoch) || this.beginEpoch < 0)
      throw new Error(`EMAHook: beginEpoch must be a non-negative integer, got ${this.beginEpoch}`);
    const type = options?.emaType ?? 'ExponentialMovingAverage';
    if (typeof type === 'string' && !(type in EMA_TYPES))
      throw new Error(`EMAHook: emaType ${type} is not one of ${Object.keys(EMA_TYPES).join(', ')}`);
  }

  private get enabledByEpoch(): boolean {
    return this.beginEpoch > 0;
  }

  private get ema(): BaseAveragedModel {
    if (!this.emaModel) throw new Error('EMAHook: the averaged model is made before the run (beforeRun)');
    return this.emaModel;
  }

  override beforeRun(runner: Runner): void {
    const {
      emaType = 'ExponentialMovingAverage',
      strictLoad: _s,
      beginIter: _i,
      beginEpoch: _e,
      ...rest
    } = this.options;
    const cls = typeof emaType === 'string' ? EMA_TYPES[emaType] : emaType;
    this.srcModel = runner.model;
    this.emaModel?.dispose();
    this.emaModel = new cls(this.srcModel, rest);
  }

  override beforeTrain(runner: Runner): void {
    if (this.enabledByEpoch && this.beginEpoch > runner.maxEpochs)
      throw new Error(
        `EMAHook: beginEpoch (${this.beginEpoch}) must not be after the last epoch (${runner.maxEpochs})`,
      );
    if (!this.enabledByEpoch && this.beginIter > runner.maxIters)
      throw new Error(
        `EMAHook: beginIter (${this.beginIter}) must not be after the last iteration (${runner.maxIters})`,
      );
  }

  private started(runner: Runner): boolean {
    return this.enabledByEpoch ? runner.epoch + 1 >= this.beginEpoch : runner.iter + 1 >= this.beginIter;
  }

  override afterTrainIter(runner: Runner, _args: IterArgs): void {
    const src = this.srcModel as torch.nn.Module;
    if (this.started(runner)) this.ema.updateParameters(src);
    else torch.scope(() => this.ema.loadWeights(src.stateDict()));
  }

  override beforeValEpoch(): void {
    this.swapParameters();
  }

  override afterValEpoch(): void {
    this.swapParameters();
  }

  override beforeTestEpoch(): void {
    this.swapParameters();
  }

  override afterTestEpoch(): void {
    this.swapParameters();
  }

  /** The model's weights for the averaged ones (the parameters, and with updateBuffers the buffers), and back. */
  private swapParameters(): void {
    const ema = this.ema;
    const src = this.srcModel as torch.nn.Module;
    torch.scope(() =>
      torch.noGrad(() => {
        const own = src.stateDict();
        for (const k of ema.averagedNames) {
          const avg = ema.averaged.get(k) as Tensor;
          const mine = own[k] as Tensor;
          const tmp = avg.clone();
          avg.copy_(mine);
          mine.copy_(tmp);
        }
      }),
    );
  }

  override beforeSaveCheckpoint(_runner: Runner, checkpoint: Record<string, unknown>): void {
    checkpoint.ema_state_dict = this.ema.stateDict();
    // The averaged weights go into state_dict, for deployment; the model's own into ema_state_dict.
    swapStateDicts(checkpoint);
  }

  override afterLoadCheckpoint(runner: Runner, checkpoint: Record<string, unknown>): void {
    const ema = this.ema;
    if (checkpoint.ema_state_dict && runner.isResuming) {
      // The model's own weights are in ema_state_dict: swap them back before the model loads.
      swapStateDicts(checkpoint);
      ema.loadStateDict(checkpoint.ema_state_dict as Record<string, Tensor>, { strict: this.strictLoad });
      return;
    }
    if (runner.isResuming)
      runner.logger.warning(
        'There is no `ema_state_dict` in the checkpoint: EMAHook starts the average from its `state_dict`',
      );
    const weights = (checkpoint.state_dict ?? {}) as Record<string, Tensor>;
    const absent = ema.loadWeights(weights);
    if (absent.length) {
      const message = `EMAHook: the checkpoint's state_dict has no ${absent.join(', ')}`;
      if (this.strictLoad) throw new Error(message);
      runner.logger.warning(message);
    }
  }
}

/** Swaps the values of `ema_state_dict['module.<k>']` and `state_dict[k]` in a checkpoint (MMEngine's _swap_ema_state_dict). */
function swapStateDicts(checkpoint: Record<string, unknown>): void {
  const model = checkpoint.state_dict as Record<string, unknown>;
  const ema = checkpoint.ema_state_dict as Record<string, unknown>;
  for (const k of Object.keys(ema)) {
    const name = k.slice(7);
    if (!k.startsWith('module.') || !(name in model)) continue;
    const tmp = ema[k];
    ema[k] = model[name];
    model[name] = tmp;
  }
}
