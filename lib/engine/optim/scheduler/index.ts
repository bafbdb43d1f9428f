// MMEngine's parameter schedulers: the generic families, their LR and momentum variants, and
// building them from configs.
export {
  type BuildParamSchedulersOptions,
  buildParamSchedulers,
  PARAM_SCHEDULERS,
  type ParamSchedulerConfig,
  type ParamSchedulerSpec,
} from './build.js';
export * from './lr_scheduler.js';
export * from './momentum_scheduler.js';
export * from './param_scheduler.js';
