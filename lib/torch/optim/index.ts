// torch.optim: `import { optim } from 'torch-node'` or `torch.optim.SGD`, and the LR schedules as
// `torch.optim.lrScheduler.StepLR`.
export { Adagrad, type AdagradOptions, type AdagradParamGroup, type AdagradState } from './adagrad.js';
export { Adam, type AdamOptions, type AdamParamGroup, type AdamState } from './adam.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export * as lrScheduler from './lr_scheduler.js';
export {
  Optimizer,
  type OptimizerParams,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
} from './optimizer.js';
export { RMSprop, type RMSpropOptions, type RMSpropParamGroup, type RMSpropState } from './rmsprop.js';
export { SGD, type SGDOptions, type SGDParamGroup, type SGDState } from './sgd.js';
