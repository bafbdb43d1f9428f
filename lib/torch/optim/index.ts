// torch.optim: `import { optim } from 'torch-node'` or `torch.optim.SGD`, and the LR schedules as
// `torch.optim.lrScheduler.StepLR`.
export { Adadelta, type AdadeltaOptions, type AdadeltaParamGroup, type AdadeltaState } from './adadelta.js';
export {
  Adafactor,
  type AdafactorOptions,
  type AdafactorParamGroup,
  type AdafactorState,
} from './adafactor.js';
export { Adagrad, type AdagradOptions, type AdagradParamGroup, type AdagradState } from './adagrad.js';
export { Adam, type AdamOptions, type AdamParamGroup, type AdamState } from './adam.js';
export { Adamax, type AdamaxOptions, type AdamaxParamGroup, type AdamaxState } from './adamax.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { ASGD, type ASGDOptions, type ASGDParamGroup, type ASGDState } from './asgd.js';
export { LBFGS, type LBFGSOptions, type LBFGSParamGroup, type LBFGSState } from './lbfgs.js';
export * as lrScheduler from './lr_scheduler.js';
export {
  Muon,
  type MuonAdjustLrFn,
  type MuonOptions,
  type MuonParamGroup,
  type MuonState,
} from './muon.js';
export { NAdam, type NAdamOptions, type NAdamParamGroup, type NAdamState } from './nadam.js';
export {
  Optimizer,
  type OptimizerParams,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
} from './optimizer.js';
export { RAdam, type RAdamOptions, type RAdamParamGroup, type RAdamState } from './radam.js';
export { RMSprop, type RMSpropOptions, type RMSpropParamGroup, type RMSpropState } from './rmsprop.js';
export { Rprop, type RpropOptions, type RpropParamGroup, type RpropState } from './rprop.js';
export { SGD, type SGDOptions, type SGDParamGroup, type SGDState } from './sgd.js';
export {
  SparseAdam,
  type SparseAdamOptions,
  type SparseAdamParamGroup,
  type SparseAdamState,
} from './sparse_adam.js';
export * as swaUtils from './swa_utils.js';
