// The Runner's `paramScheduler` option: which schedulers it takes (MMEngine's ParamSchedulers and
// their configs, PyTorch's LRSchedulers), how they become the runner's ScheduledEntry list (per
// optimizer of an OptimWrapperDict, by name), and how their states go into a checkpoint's
// `param_schedulers` and come back. ParamSchedulerHook steps them.

import { isPlainObject } from '../../plain_object.js';
import * as torch from '../../torch/index.js';
import type { BaseOptimWrapper } from '../optim/optim_wrapper.js';
import { OptimWrapperDict } from '../optim/optim_wrapper_dict.js';
import { buildParamSchedulers, type ParamSchedulerConfig } from '../optim/scheduler/build.js';
import { ParamScheduler, type SchedulableOptimizer } from '../optim/scheduler/param_scheduler.js';

type LRScheduler = torch.optim.lrScheduler.LRScheduler;

/**
 * A scheduler of the `paramScheduler` option, of either kind:
 * - MMEngine's (engine.LinearLR, engine.CosineAnnealingMomentum, ..., or their configs
 *   `{type: 'LinearLR', byEpoch, begin, end, convertToIterBased, ...}`, built by train() over
 *   the runner's optimizer wrapper with the training's length as the default `end`, see
 *   buildParamSchedulers): each says whether it steps per epoch or per iteration (`byEpoch`),
 *   and a ReduceOnPlateau one also steps after each validation with its `monitor`ed metric.
 * - PyTorch's (torch.optim.lrScheduler), stepped after every epoch (the default) or after
 *   every iteration (`{scheduler, byEpoch: false}`); a ReduceLROnPlateau after every validation
 *   instead, with the metric named by `monitor` (default 'loss').
 */
export type ParamSchedulerEntry =
  | LRScheduler
  | { scheduler: LRScheduler; byEpoch?: boolean; monitor?: string }
  | ParamScheduler
  | ParamSchedulerConfig;

/**
 * The `paramScheduler` option: one entry, a list, or, with an OptimWrapperDict, the entries of
 * each optimizer by name (`{generator: [...], discriminator: [...]}`; configs given as a list
 * are built for every optimizer of the dict, as MMEngine does).
 */
export type ParamSchedulerOption =
  | ParamSchedulerEntry
  | ParamSchedulerEntry[]
  | Record<string, ParamSchedulerEntry | ParamSchedulerEntry[]>;

/** A scheduler as the runner keeps it (see ParamSchedulerEntry). */
export interface ScheduledEntry {
  scheduler: LRScheduler | ParamScheduler;
  /** Whether it steps after each epoch (else after each iteration); a ParamScheduler's own byEpoch. */
  readonly byEpoch: boolean;
  /** The validation metric it is stepped with after each validation (a ReduceOnPlateau's), else null. */
  readonly monitor: string | null;
  /** With schedulers per optimizer of an OptimWrapperDict: the optimizer's name (checkpoints keep them by name). */
  optimizer?: string;
}

/** A config to build (not a scheduler yet). */
const isSchedulerConfig = (v: unknown): boolean => isPlainObject(v) && 'type' in v;

/** An entry around a PyTorch scheduler: `{scheduler, byEpoch, monitor}`. */
const isTorchEntry = (v: unknown): boolean => isPlainObject(v) && 'scheduler' in v;

/** The runner's entry of an engine ParamScheduler: its byEpoch and monitor are the scheduler's own, live (a loaded state dict may change them). */
function paramSchedulerEntry(scheduler: ParamScheduler, optimizer?: string): ScheduledEntry {
  return {
    scheduler,
    get byEpoch() {
      return scheduler.byEpoch;
    },
    get monitor() {
      return scheduler.needValArgs ? (scheduler as ParamScheduler & { monitor: string }).monitor : null;
    },
    ...(optimizer === undefined ? {} : { optimizer }),
  };
}

/** Whether the option holds configs, which are built when training starts (instances are taken at once). */
export function hasSchedulerConfigs(ps: ParamSchedulerOption | null | undefined): boolean {
  if (ps === null || ps === undefined) return false;
  const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
  if (isPlainObject(ps) && !isSchedulerConfig(ps) && !isTorchEntry(ps)) {
    return Object.values(ps).some((v) => items(v).some(isSchedulerConfig));
  }
  return items(ps).some(isSchedulerConfig);
}

/** What configs are built with: the train loader's length (convertToIterBased) and the training's (the default `end`). */
export interface SchedulerBuildContext {
  epochLength?: number;
  maxEpochs?: number;
  maxIters?: number;
}

/**
 * The runner's schedulers of its paramScheduler option: configs built over the optimizer
 * wrapper (each of an OptimWrapperDict's, by name), instances taken as they are.
 */
export function scheduledEntries(
  ps: ParamSchedulerOption,
  ow: BaseOptimWrapper | null,
  context: SchedulerBuildContext,
): ScheduledEntry[] {
  const out: ScheduledEntry[] = [];
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
  const perName = isPlainObject(ps) && !isSchedulerConfig(ps) && !isTorchEntry(ps);
  if (ow instanceof OptimWrapperDict && perName) {
    for (const name of Object.keys(ps)) {
      if (!ow.has(name)) {
        throw new Error(
          `paramScheduler: no optimizer '${name}' in the OptimWrapperDict (${[...ow.keys()].join(', ')})`,
        );
      }
    }
    for (const [name, wrapper] of ow.entries()) {
      const own = (ps as Record<string, unknown>)[name];
      if (own === undefined) continue;
      for (const item of list(own)) out.push(entryOf(item, wrapper, name, context));
    }
    return out;
  }
  if (perName) {
    throw new TypeError(
      'paramScheduler: schedulers by optimizer name are for an OptimWrapperDict; a scheduler config needs a `type`',
    );
  }
  if (ow instanceof OptimWrapperDict && list(ps).some(isSchedulerConfig)) {
    // MMEngine: the same configs for each optimizer of the dict.
    if (list(ps).some((item) => !isSchedulerConfig(item))) {
      throw new TypeError(
        'paramScheduler: with an OptimWrapperDict, configs in a list are built for every optimizer; give schedulers by optimizer name ({name: [...]})',
      );
    }
    for (const [name, wrapper] of ow.entries()) {
      for (const item of list(ps)) out.push(entryOf(item, wrapper, name, context));
    }
    return out;
  }
  for (const item of list(ps)) out.push(entryOf(item, ow, undefined, context));
  return out;
}

function entryOf(
  item: unknown,
  optimizer: unknown,
  name: string | undefined,
  context: SchedulerBuildContext,
): ScheduledEntry {
  if (item instanceof ParamScheduler) return paramSchedulerEntry(item, name);
  if (isSchedulerConfig(item)) {
    if (!optimizer || optimizer instanceof OptimWrapperDict) {
      throw new Error("paramScheduler: building a scheduler from a config needs the runner's `optimWrapper`");
    }
    const [scheduler] = buildParamSchedulers([item as ParamSchedulerConfig], {
      optimWrapper: optimizer as SchedulableOptimizer,
      ...context,
    });
    return paramSchedulerEntry(scheduler as ParamScheduler, name);
  }
  if (item instanceof torch.optim.lrScheduler.LRScheduler || isTorchEntry(item)) {
    const entry = item as { scheduler: unknown; byEpoch?: boolean; monitor?: string };
    const { scheduler, byEpoch = true, monitor } = isTorchEntry(item) ? entry : { scheduler: item };
    if (scheduler instanceof ParamScheduler) {
      throw new TypeError(
        `paramScheduler: a ${scheduler.constructor.name} has its own byEpoch (and monitor); pass it as it is, not as {scheduler}`,
      );
    }
    if (!(scheduler instanceof torch.optim.lrScheduler.LRScheduler)) {
      throw new TypeError('paramScheduler: {scheduler} takes a torch.optim.lrScheduler scheduler');
    }
    const plateau = scheduler instanceof torch.optim.lrScheduler.ReduceLROnPlateau;
    if (monitor !== undefined && !plateau) {
      throw new TypeError(`paramScheduler: monitor is for a ReduceLROnPlateau, not a ${scheduler.constructor.name}`);
    }
    return {
      scheduler,
      byEpoch,
      monitor: plateau ? (monitor ?? 'loss') : null,
      ...(name === undefined ? {} : { optimizer: name }),
    };
  }
  throw new TypeError(
    'paramScheduler: expected an engine ParamScheduler, a config {type, ...}, a torch.optim.lrScheduler scheduler or {scheduler, byEpoch, monitor}',
  );
}

/** The schedulers' states as MMEngine's checkpoints hold them: a list, or lists by optimizer name. */
export function schedulerStateDict(entries: ScheduledEntry[]): unknown {
  if (entries.some((s) => s.optimizer !== undefined)) {
    const out: Record<string, unknown[]> = {};
    for (const s of entries) {
      const key = s.optimizer ?? '';
      if (!out[key]) out[key] = [];
      out[key].push(s.scheduler.stateDict());
    }
    return out;
  }
  return entries.map((s) => s.scheduler.stateDict());
}

/** Loads schedulerStateDict's form into the entries (a checkpoint's param_schedulers). */
export function loadSchedulerStateDict(entries: ScheduledEntry[], state: unknown): void {
  const load = (s: ScheduledEntry, sd: unknown) => {
    if (sd) s.scheduler.loadStateDict(sd as never);
  };
  if (Array.isArray(state)) {
    if (entries.some((s) => s.optimizer !== undefined)) {
      throw new Error('resume: the checkpoint has a list of param_schedulers; this runner has them by optimizer name');
    }
    for (const [i, s] of entries.entries()) load(s, state[i]);
    return;
  }
  if (!isPlainObject(state)) return;
  const seen = new Map<string, number>();
  for (const s of entries) {
    if (s.optimizer === undefined) {
      throw new Error('resume: the checkpoint has param_schedulers by optimizer name; this runner has a list');
    }
    const k = seen.get(s.optimizer) ?? 0;
    seen.set(s.optimizer, k + 1);
    load(s, (state[s.optimizer] as unknown[] | undefined)?.[k]);
  }
}
