// torch-node/engine: MMEngine's model, preprocessing and optimizer-wrapper layer.

export * from './dataset/index.js';
export * from './evaluator/index.js';
export { CheckpointHook, type CheckpointHookOptions, inferRule } from './hooks/checkpoint_hook.js';
export { DistSamplerSeedHook } from './hooks/dist_sampler_seed_hook.js';
export { EarlyStoppingHook, type EarlyStoppingHookOptions } from './hooks/early_stopping_hook.js';
export { EMAHook, type EMAHookOptions } from './hooks/ema_hook.js';
export { EmptyCacheHook, type EmptyCacheHookOptions } from './hooks/empty_cache_hook.js';
export {
  type AfterIterArgs,
  getPriority,
  Hook,
  type IterArgs,
  PRIORITY,
  type Priority,
  type Sized,
  type Stage,
} from './hooks/hook.js';
export { IterTimerHook } from './hooks/iter_timer_hook.js';
export { LoggerHook, type LoggerHookOptions } from './hooks/logger_hook.js';
export { ParamSchedulerHook } from './hooks/param_scheduler_hook.js';
export {
  PrepareTTAHook,
  type PrepareTTAHookOptions,
  type TTACfg,
  type TTAModelClass,
} from './hooks/prepare_tta_hook.js';
export { ProfilerHook, type ProfilerHookOptions, type TraceConfig } from './hooks/profiler_hook.js';
export { buildHook, HOOKS, type HookClass, type HookConfig, registerHookClass } from './hooks/registry.js';
export { RuntimeInfoHook } from './hooks/runtime_info_hook.js';
export { allReduceMean, SyncBuffersHook } from './hooks/sync_buffers_hook.js';
export { getLogger, Logger, type LogLevel, setLogger } from './logging/logger.js';
export { HistoryBuffer, MessageHub } from './logging/message_hub.js';
export {
  type AveragedModelOptions,
  BaseAveragedModel,
  ExponentialMovingAverage,
  MomentumAnnealingEMA,
  StochasticWeightAverage,
} from './model/averaged_model.js';
export {
  BaseModel,
  type BaseModelOptions,
  type DataPreprocessorConfig,
  type ForwardMode,
  type LogVars,
  type LossDict,
} from './model/base_model.js';
export { BaseModule, ModuleDict, ModuleList, Sequential } from './model/base_module.js';
export { BaseTTAModel, type TTAModule } from './model/base_tta_model.js';
export {
  type AugmentResult,
  type BatchAugment,
  CutMix,
  MixUp,
  Mosaic,
  type MosaicBoxSample,
  type MosaicDraw,
  RandomBatchAugment,
} from './model/batch_augments.js';
export { ClsDataPreprocessor, toInputsAndSamples } from './model/cls_data_preprocessor.js';
export {
  BaseDataPreprocessor,
  ImgDataPreprocessor,
  type ImgDataPreprocessorOptions,
} from './model/data_preprocessor.js';
export { TupleImgDataPreprocessor } from './model/tuple_data_preprocessor.js';
export { TupleToDictPreprocessor } from './model/tuple_to_dict_preprocessor.js';
export { _BatchNormXd, convertSyncBatchnorm, revertSyncBatchnorm, stackBatch } from './model/utils.js';
export { type InitCfg, type InitConfig, type InitType, initialize, type OverrideConfig } from './model/weight_init.js';
export {
  DistributedDataParallel,
  type DistributedDataParallelOptions,
} from './model/wrappers/distributed.js';
export { AmpOptimWrapper, type AmpOptimWrapperOptions, type LossScale } from './optim/amp_optim_wrapper.js';
export {
  type BaseOptimWrapper,
  type ClipGradConfig,
  OptimWrapper,
  type OptimWrapperOptions,
} from './optim/optim_wrapper.js';
export {
  buildOptimWrapper,
  type CustomKeyCfg,
  DefaultOptimWrapperConstructor,
  type OptimizerCfg,
  type OptimWrapperCfg,
  type ParamwiseCfg,
} from './optim/optim_wrapper_constructor.js';
export { OptimWrapperDict } from './optim/optim_wrapper_dict.js';
export * from './optim/scheduler/index.js';
export {
  type CustomLogCfg,
  formatEta,
  type LogPosition,
  LogProcessor,
  type LogProcessorOptions,
} from './runner/log_processor.js';
export {
  EpochBasedTrainLoop,
  EvalLoop,
  type EvaluatorLike,
  IterBasedTrainLoop,
  type ValSchedule,
} from './runner/loops.js';
export type { MapLocationFn } from './runner/map_location.js';
export type {
  ParamSchedulerEntry,
  ParamSchedulerOption,
  ScheduledEntry,
} from './runner/param_schedulers.js';
export type { ReviseKeys } from './runner/revise_keys.js';
export {
  type DataLoaderLike,
  type DefaultHooksCfg,
  type DistCfg,
  type EvaluatorSpec,
  type HookSpec,
  type LoadCheckpointOptions,
  type ModelLike,
  type ResumeOptions,
  Runner,
  type RunnerOptions,
  type TrainCfg,
  type VisualizerLike,
} from './runner/runner.js';
export * from './visualization/index.js';
