// Builds parameter schedulers from configs, as MMEngine's Runner.build_param_scheduler and its
// PARAM_SCHEDULERS registry:
//
//   const schedulers = buildParamSchedulers(
//     [
//       { type: 'LinearLR', startFactor: 0.001, byEpoch: false, begin: 0, end: 500 },
//       { type: 'MultiStepLR', byEpoch: true, milestones: [8, 11], gamma: 0.1, convertToIterBased: true },
//     ],
//     { optimWrapper, epochLength: trainDataloader.length, maxEpochs: 12, maxIters: 12 * trainDataloader.length },
//   );
//
// A config's `end` defaults to the training's length, maxEpochs for an epoch-based one and
// maxIters for an iteration-based one (when given: the Runner gives them), before any
// conversion. `convertToIterBased: true` makes an epoch-based config iteration-based (begin,
// end and the family's periods times epochLength), so that it changes the value every
// iteration. With an OptimWrapperDict, the configs are built for each of its optimizers, or
// each optimizer takes its own: `{generator: [...], discriminator: [...]}`.

import { isPlainObject } from '../../../plain_object.js';
import { toCamel } from '../../../torch/optim/optimizer.js';
import { OptimWrapperDict } from '../optim_wrapper_dict.js';
import * as lr from './lr_scheduler.js';
import * as momentum from './momentum_scheduler.js';
import * as generic from './param_scheduler.js';
import { ParamScheduler, type SchedulableOptimizer } from './param_scheduler.js';

// biome-ignore lint/suspicious/noExplicitAny: each family takes options of its own type
type AnyOptions = any;
type SchedulerClass = (new (
  optimizer: SchedulableOptimizer,
  options: AnyOptions,
) => ParamScheduler) & {
  buildIterFromEpoch(optimizer: SchedulableOptimizer, options: AnyOptions): ParamScheduler;
};

/** A scheduler as a config: its class (or class name) and its options (camelCase). */
export interface ParamSchedulerConfig {
  type: string | SchedulerClass;
  byEpoch?: boolean;
  begin?: number;
  end?: number;
  /** Make an epoch-based config iteration-based (MMEngine's convert_to_iter_based). */
  convertToIterBased?: boolean;
  [option: string]: unknown;
}

/** A scheduler, or its config. */
export type ParamSchedulerSpec = ParamScheduler | ParamSchedulerConfig;

export interface BuildParamSchedulersOptions {
  /** What the schedulers change: an optimizer, an OptimWrapper, or an OptimWrapperDict. */
  optimWrapper: SchedulableOptimizer | OptimWrapperDict;
  /** Iterations per epoch (the train loader's length), for convertToIterBased. */
  epochLength?: number;
  /** The default `end` of epoch-based configs. */
  maxEpochs?: number;
  /** The default `end` of iteration-based configs. */
  maxIters?: number;
}

/** The scheduler classes by name (MMEngine's PARAM_SCHEDULERS registry). */
export const PARAM_SCHEDULERS: ReadonlyMap<string, SchedulerClass> = new Map(
  ([...Object.values(generic), ...Object.values(lr), ...Object.values(momentum)] as unknown[])
    .filter((v): v is SchedulerClass => typeof v === 'function' && v.prototype instanceof ParamScheduler)
    .map((cls) => [cls.name, cls] as const),
);

function classOf(type: unknown): SchedulerClass {
  if (typeof type === 'function' && (type as { prototype?: unknown }).prototype instanceof ParamScheduler) {
    return type as SchedulerClass;
  }
  if (typeof type === 'string') {
    const cls = PARAM_SCHEDULERS.get(type);
    if (cls) return cls;
    throw new Error(
      `buildParamSchedulers: '${type}' is not a parameter scheduler (known: ${[...PARAM_SCHEDULERS.keys()].join(', ')})`,
    );
  }
  throw new TypeError(
    `buildParamSchedulers: a config's type must be a scheduler class or its name, got ${String(type)}`,
  );
}

/** One config into a scheduler over `optimizer` (MMEngine's _build_param_scheduler for one item). */
function buildOne(
  spec: ParamSchedulerSpec,
  optimizer: SchedulableOptimizer,
  options: BuildParamSchedulersOptions,
): ParamScheduler {
  if (spec instanceof ParamScheduler) return spec;
  if (!isPlainObject(spec) || spec.type === undefined) {
    throw new TypeError(
      `buildParamSchedulers: expected a ParamScheduler or a config {type, ...}, got ${spec === null ? 'null' : typeof spec}`,
    );
  }
  const { type, convertToIterBased, ...rest } = spec as ParamSchedulerConfig;
  const cls = classOf(type);
  const name = typeof type === 'string' ? type : cls.name;
  for (const key of Object.keys(rest)) {
    if (key.includes('_') && key !== toCamel(key)) {
      throw new TypeError(
        `buildParamSchedulers: ${name}: unknown option '${key}'; options are camelCase: '${toCamel(key)}'`,
      );
    }
  }
  const byEpoch = (rest.byEpoch as boolean | undefined) ?? true;
  // The default end: the training's length in the config's own unit, before any conversion.
  if (rest.end === undefined) {
    const end = byEpoch ? options.maxEpochs : options.maxIters;
    if (end !== undefined) rest.end = end;
  }
  if (convertToIterBased) {
    if (!byEpoch)
      throw new Error(`buildParamSchedulers: ${name}: only an epoch-based config can be converted to iteration-based`);
    const epochLength = options.epochLength;
    if (epochLength === undefined) {
      throw new Error(
        `buildParamSchedulers: ${name}: convertToIterBased needs epochLength (the train loader's length)`,
      );
    }
    return cls.buildIterFromEpoch(optimizer, { ...rest, epochLength });
  }
  return new cls(optimizer, rest);
}

function buildList(
  specs: ParamSchedulerSpec | readonly ParamSchedulerSpec[],
  optimizer: SchedulableOptimizer,
  options: BuildParamSchedulersOptions,
): ParamScheduler[] {
  const list = Array.isArray(specs) ? specs : [specs as ParamSchedulerSpec];
  return list.map((s) => buildOne(s, optimizer, options));
}

/** Whether `specs` gives each optimizer of a wrapper dict its own schedulers (an object without `type`). */
export function isPerOptimizer(specs: unknown): specs is Record<string, unknown> {
  return isPlainObject(specs) && !('type' in specs);
}

/**
 * Schedulers from configs (or schedulers as they are), in order: a list for an optimizer or an
 * OptimWrapper; for an OptimWrapperDict, a list per optimizer name, from `{name: configs}` or
 * from the same configs built for each optimizer.
 */
export function buildParamSchedulers(
  specs: ParamSchedulerSpec | readonly ParamSchedulerSpec[],
  options: BuildParamSchedulersOptions & { optimWrapper: SchedulableOptimizer },
): ParamScheduler[];
export function buildParamSchedulers(
  specs:
    | ParamSchedulerSpec
    | readonly ParamSchedulerSpec[]
    | Record<string, ParamSchedulerSpec | readonly ParamSchedulerSpec[]>,
  options: BuildParamSchedulersOptions & { optimWrapper: OptimWrapperDict },
): Record<string, ParamScheduler[]>;
export function buildParamSchedulers(
  specs: unknown,
  options: BuildParamSchedulersOptions,
): ParamScheduler[] | Record<string, ParamScheduler[]>;
export function buildParamSchedulers(
  specs: unknown,
  options: BuildParamSchedulersOptions,
): ParamScheduler[] | Record<string, ParamScheduler[]> {
  const ow = options?.optimWrapper;
  if (!(ow instanceof OptimWrapperDict)) {
    if (isPerOptimizer(specs)) {
      throw new TypeError(
        'buildParamSchedulers: configs by optimizer name are for an OptimWrapperDict; a config needs a `type`',
      );
    }
    return buildList(specs as ParamSchedulerSpec[], ow as SchedulableOptimizer, options);
  }
  const out: Record<string, ParamScheduler[]> = {};
  if (isPerOptimizer(specs)) {
    for (const name of Object.keys(specs)) {
      if (!ow.has(name)) {
        throw new Error(
          `buildParamSchedulers: no optimizer '${name}' in the OptimWrapperDict (${[...ow.keys()].join(', ')})`,
        );
      }
    }
    for (const [name, wrapper] of ow.entries()) {
      const own = specs[name];
      if (own !== undefined) out[name] = buildList(own as ParamSchedulerSpec[], wrapper, options);
    }
    return out;
  }
  const list = Array.isArray(specs) ? specs : [specs];
  if (list.some((s) => s instanceof ParamScheduler)) {
    throw new TypeError(
      'buildParamSchedulers: with an OptimWrapperDict, a ParamScheduler belongs to one optimizer: give them by name ({name: [...]})',
    );
  }
  for (const [name, wrapper] of ow.entries()) out[name] = buildList(list as ParamSchedulerSpec[], wrapper, options);
  return out;
}
