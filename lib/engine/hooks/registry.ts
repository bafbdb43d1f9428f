// Hooks given as configs, as MMEngine's HOOKS registry: `{type: 'EMAHook', priority: 'HIGH',
// momentum: 0.001}` builds `new EMAHook({momentum: 0.001})` with that priority. The engine's
// hooks are registered by their class names; `registerHookClass` adds one's own (as MMEngine's
// @HOOKS.register_module()). Options are camelCase, as the classes take them.

import { isPlainObject } from '../../plain_object.js';
import { toCamel } from '../../torch/optim/optimizer.js';
import { CheckpointHook } from './checkpoint_hook.js';
import { DistSamplerSeedHook } from './dist_sampler_seed_hook.js';
import { EarlyStoppingHook } from './early_stopping_hook.js';
import { EMAHook } from './ema_hook.js';
import { EmptyCacheHook } from './empty_cache_hook.js';
import { getPriority, Hook, type Priority } from './hook.js';
import { IterTimerHook } from './iter_timer_hook.js';
import { LoggerHook } from './logger_hook.js';
import { ParamSchedulerHook } from './param_scheduler_hook.js';
import { PrepareTTAHook } from './prepare_tta_hook.js';
import { ProfilerHook } from './profiler_hook.js';
import { RuntimeInfoHook } from './runtime_info_hook.js';
import { SyncBuffersHook } from './sync_buffers_hook.js';

// biome-ignore lint/suspicious/noExplicitAny: each hook takes options of its own type
export type HookClass = new (options?: any) => Hook;

/** A hook as a config: its class (or registered name), its priority, and its options. */
export interface HookConfig {
  type: string | HookClass;
  priority?: Priority;
  [option: string]: unknown;
}

const HOOK_CLASSES = new Map<string, HookClass>(
  (
    [
      CheckpointHook,
      DistSamplerSeedHook,
      EarlyStoppingHook,
      EMAHook,
      EmptyCacheHook,
      IterTimerHook,
      LoggerHook,
      ParamSchedulerHook,
      PrepareTTAHook,
      ProfilerHook,
      RuntimeInfoHook,
      SyncBuffersHook,
    ] as HookClass[]
  ).map((cls) => [cls.name, cls]),
);

/** The engine's hooks that take no options: options given to them would be dropped unseen. */
const NO_OPTIONS = new Set<HookClass>([
  DistSamplerSeedHook,
  IterTimerHook,
  ParamSchedulerHook,
  RuntimeInfoHook,
  SyncBuffersHook,
]);

/** The hook classes by name (MMEngine's HOOKS registry). */
export const HOOKS: ReadonlyMap<string, HookClass> = HOOK_CLASSES;

const isHookClass = (v: unknown): v is HookClass =>
  typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof Hook;

/** Makes `{type: name, ...}` build `new cls({...})`; a name registered already is an Error unless `force`. */
export function registerHookClass(name: string, cls: HookClass, options?: { force?: boolean }): void {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('registerHookClass: name must be a string');
  if (!isHookClass(cls)) throw new TypeError(`registerHookClass: ${name} must be a class extending Hook`);
  if (HOOK_CLASSES.has(name) && HOOK_CLASSES.get(name) !== cls && !options?.force) {
    throw new Error(`registerHookClass: ${name} is already registered (pass {force: true} to replace it)`);
  }
  HOOK_CLASSES.set(name, cls);
}

/**
 * A hook of a config (a hook is returned as it is). `priority` in the config sets the built
 * hook's priority; without it the class's own stays. `what` names the option in errors.
 */
export function buildHook(config: Hook | HookConfig, what = 'hook'): Hook {
  if (config instanceof Hook) return config;
  if (!isPlainObject(config) || config.type === undefined) {
    throw new TypeError(
      `${what} should be a Hook or a config {type, ...}, but got ${config === null ? 'null' : Array.isArray(config) ? 'an array' : typeof config}`,
    );
  }
  const { type, priority, ...options } = config;
  let cls: HookClass;
  if (isHookClass(type)) cls = type;
  else if (typeof type === 'string') {
    const found = HOOK_CLASSES.get(type);
    if (!found) {
      throw new Error(
        `${what}: ${type} is not in the hook registry (registered: ${[...HOOK_CLASSES.keys()].join(', ')})`,
      );
    }
    cls = found;
  } else throw new TypeError(`${what}: type must be a hook class or its registered name, got ${String(type)}`);
  const name = cls.name;
  for (const key of Object.keys(options)) {
    if (key.includes('_') && key !== toCamel(key)) {
      throw new TypeError(`${what}: ${name}: unknown option '${key}'; options are camelCase: '${toCamel(key)}'`);
    }
  }
  if (NO_OPTIONS.has(cls) && Object.keys(options).length) {
    throw new TypeError(`${what}: ${name} takes no options, got ${Object.keys(options).join(', ')}`);
  }
  // Checked before the hook is made, so that a bad one names the config.
  if (priority !== undefined) checkPriority(priority, what);
  const hook = new cls(options);
  if (priority !== undefined) hook.priority = priority;
  return hook;
}

/** getPriority, its error naming `what`. */
export function checkPriority(priority: unknown, what: string): number {
  try {
    return getPriority(priority as Priority);
  } catch (e) {
    (e as Error).message = `${what}: ${(e as Error).message}`;
    throw e;
  }
}
