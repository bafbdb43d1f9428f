// MMEngine's LR schedulers (mmengine/optim/scheduler/lr_scheduler.py): the parameter schedulers
// with paramName 'lr'. They live in the engine's namespace; torch.optim.lrScheduler has PyTorch's
// classes of the same names (no begin/end window, no byEpoch), which the Runner also takes.
import {
  ConstantParamScheduler,
  type ConstantParamSchedulerOptions,
  CosineAnnealingParamScheduler,
  type CosineAnnealingParamSchedulerOptions,
  CosineRestartParamScheduler,
  type CosineRestartParamSchedulerOptions,
  ExponentialParamScheduler,
  type ExponentialParamSchedulerOptions,
  LinearParamScheduler,
  type LinearParamSchedulerOptions,
  MultiStepParamScheduler,
  type MultiStepParamSchedulerOptions,
  OneCycleParamScheduler,
  type OneCycleParamSchedulerOptions,
  PolyParamScheduler,
  type PolyParamSchedulerOptions,
  ReduceOnPlateauParamScheduler,
  type ReduceOnPlateauParamSchedulerOptions,
  type SchedulableOptimizer,
  StepParamScheduler,
  type StepParamSchedulerOptions,
} from './param_scheduler.js';

/** The options with paramName 'lr' (which an LR scheduler does not take). */
function lr<O extends object>(name: string, options: O | undefined): O & { paramName: string } {
  if (options !== undefined && options !== null && 'paramName' in options) {
    throw new TypeError(
      `${name}: an LR scheduler schedules 'lr'; for another option use ${name.replace(/LR$/, 'ParamScheduler')} with paramName`,
    );
  }
  return { ...(options ?? ({} as O)), paramName: 'lr' };
}

/** The learning rate times factor inside the window, restored at its last step (MMEngine's ConstantLR). */
export class ConstantLR extends ConstantParamScheduler {
  constructor(optimizer: SchedulableOptimizer, options: ConstantParamSchedulerOptions = {}) {
    super(optimizer, lr(new.target.name, options));
  }
}

/** Cosine annealing of the learning rate to etaMin over TMax steps (MMEngine's CosineAnnealingLR). */
export class CosineAnnealingLR extends CosineAnnealingParamScheduler {
  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingParamSchedulerOptions = {}) {
    super(optimizer, lr(new.target.name, options));
  }
}

/** The learning rate times gamma every step (MMEngine's ExponentialLR). */
export class ExponentialLR extends ExponentialParamScheduler {
  constructor(optimizer: SchedulableOptimizer, options: ExponentialParamSchedulerOptions) {
    super(optimizer, lr(new.target.name, options));
  }
}

/** The learning rate times a factor moving linearly from startFactor to endFactor (a warm-up) (MMEngine's LinearLR). */
export class LinearLR extends LinearParamScheduler {
  constructor(optimizer: SchedulableOptimizer, options: LinearParamSchedulerOptions = {}) {
    super(optimizer, lr(new.target.name, options));
  }
}

/** The learning rate times gamma at each milestone (MMEngine's MultiStepLR). */
export class MultiStepLR extends MultiStepParamScheduler {
  constructor(optimizer: SchedulableOptimizer, options: MultiStepParamSchedulerOptions) {
    super(optimizer, lr(new.target.name, options));
  }
}

/** The learning rate times gamma every stepSize steps (MMEngine's StepLR). */
export class StepLR extends StepParamScheduler {
  constructor(optimizer: SchedulableOptimizer, options: StepParamSchedulerOptions) {
    super(optimizer, lr(new.target.name, options));
  }
}

/** Polynomial decay of the learning rate to etaMin (MMEngine's PolyLR). */
export class PolyLR extends PolyParamScheduler {
  constructor(optimizer: SchedulableOptimizer, options: PolyParamSchedulerOptions = {}) {
    super(optimizer, lr(new.target.name, options));
  }
}

/** The 1cycle policy for the learning rate (MMEngine's OneCycleLR). */
export class OneCycleLR extends OneCycleParamScheduler {
  constructor(optimizer: SchedulableOptimizer, options: OneCycleParamSchedulerOptions = {}) {
    super(optimizer, lr(new.target.name, options));
  }
}

/** Cosine annealing of the learning rate with restarts (MMEngine's CosineRestartLR). */
export class CosineRestartLR extends CosineRestartParamScheduler {
  constructor(optimizer: SchedulableOptimizer, options: CosineRestartParamSchedulerOptions) {
    super(optimizer, lr(new.target.name, options));
  }
}

/** The learning rate times factor when the monitored validation metric stops improving (MMEngine's ReduceOnPlateauLR). */
export class ReduceOnPlateauLR extends ReduceOnPlateauParamScheduler {
  constructor(optimizer: SchedulableOptimizer, options: ReduceOnPlateauParamSchedulerOptions = {}) {
    super(optimizer, lr(new.target.name, options));
  }
}
