// MMEngine's momentum schedulers (mmengine/optim/scheduler/momentum_scheduler.py): the parameter
// schedulers with paramName 'momentum'. An optimizer with a `momentum` option (SGD, RMSprop) has
// it scheduled; one with `betas` (Adam, AdamW, ...) has beta1 copied into each group's `momentum`,
// scheduled there, and written back into `betas` after every step, as MMEngine's mixin does.
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
  PolyParamScheduler,
  type PolyParamSchedulerOptions,
  ReduceOnPlateauParamScheduler,
  type ReduceOnPlateauParamSchedulerOptions,
  type SchedulableOptimizer,
  StepParamScheduler,
  type StepParamSchedulerOptions,
} from './param_scheduler.js';

/** The options with paramName 'momentum' (which a momentum scheduler does not take). */
function momentum<O extends object>(name: string, options: O | undefined): O & { paramName: string } {
  if (options !== undefined && options !== null && 'paramName' in options) {
    throw new TypeError(
      `${name}: a momentum scheduler schedules 'momentum'; for another option use ${name.replace(/Momentum$/, 'ParamScheduler')} with paramName`,
    );
  }
  return { ...(options ?? ({} as O)), paramName: 'momentum' };
}

/** The momentum times factor inside the window, restored at its last step (MMEngine's ConstantMomentum). */
export class ConstantMomentum extends ConstantParamScheduler {
  static override readonly schedulesMomentum = true;

  constructor(optimizer: SchedulableOptimizer, options: ConstantParamSchedulerOptions = {}) {
    super(optimizer, momentum(new.target.name, options));
  }
}

/** Cosine annealing of the momentum to etaMin over TMax steps (MMEngine's CosineAnnealingMomentum). */
export class CosineAnnealingMomentum extends CosineAnnealingParamScheduler {
  static override readonly schedulesMomentum = true;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingParamSchedulerOptions = {}) {
    super(optimizer, momentum(new.target.name, options));
  }
}

/** The momentum times gamma every step (MMEngine's ExponentialMomentum). */
export class ExponentialMomentum extends ExponentialParamScheduler {
  static override readonly schedulesMomentum = true;

  constructor(optimizer: SchedulableOptimizer, options: ExponentialParamSchedulerOptions) {
    super(optimizer, momentum(new.target.name, options));
  }
}

/** The momentum times a factor moving linearly from startFactor to endFactor (MMEngine's LinearMomentum). */
export class LinearMomentum extends LinearParamScheduler {
  static override readonly schedulesMomentum = true;

  constructor(optimizer: SchedulableOptimizer, options: LinearParamSchedulerOptions = {}) {
    super(optimizer, momentum(new.target.name, options));
  }
}

/** The momentum times gamma at each milestone (MMEngine's MultiStepMomentum). */
export class MultiStepMomentum extends MultiStepParamScheduler {
  static override readonly schedulesMomentum = true;

  constructor(optimizer: SchedulableOptimizer, options: MultiStepParamSchedulerOptions) {
    super(optimizer, momentum(new.target.name, options));
  }
}

/** The momentum times gamma every stepSize steps (MMEngine's StepMomentum). */
export class StepMomentum extends StepParamScheduler {
  static override readonly schedulesMomentum = true;

  constructor(optimizer: SchedulableOptimizer, options: StepParamSchedulerOptions) {
    super(optimizer, momentum(new.target.name, options));
  }
}

/** Polynomial decay of the momentum to etaMin (MMEngine's PolyMomentum). */
export class PolyMomentum extends PolyParamScheduler {
  static override readonly schedulesMomentum = true;

  constructor(optimizer: SchedulableOptimizer, options: PolyParamSchedulerOptions = {}) {
    super(optimizer, momentum(new.target.name, options));
  }
}

/** Cosine annealing of the momentum with restarts (MMEngine's CosineRestartMomentum). */
export class CosineRestartMomentum extends CosineRestartParamScheduler {
  static override readonly schedulesMomentum = true;

  constructor(optimizer: SchedulableOptimizer, options: CosineRestartParamSchedulerOptions) {
    super(optimizer, momentum(new.target.name, options));
  }
}

/** The momentum times factor when the monitored validation metric stops improving (MMEngine's ReduceOnPlateauMomentum). */
export class ReduceOnPlateauMomentum extends ReduceOnPlateauParamScheduler {
  static override readonly schedulesMomentum = true;

  constructor(optimizer: SchedulableOptimizer, options: ReduceOnPlateauParamSchedulerOptions = {}) {
    super(optimizer, momentum(new.target.name, options));
  }
}
