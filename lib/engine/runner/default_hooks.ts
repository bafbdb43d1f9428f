// The Runner's default hooks, as MMEngine's register_default_hooks: RuntimeInfoHook, IterTimerHook,
// DistSamplerSeedHook, LoggerHook, ParamSchedulerHook and CheckpointHook under their keys, each
// replaced by what `defaultHooks` gives under its key (a hook, or a config {type, ...}), or removed
// by null; keys of one's own add hooks. For the defaults, an object without `type` is the default
// class's options (`checkpoint: {interval: 2}`), with `priority` too.

import { isPlainObject } from '../../plain_object.js';
import { Hook, type Priority } from '../hooks/hook.js';
import { buildHook, checkPriority, type HookConfig } from '../hooks/registry.js';

/** The default hooks' keys and classes, in MMEngine's order. */
const DEFAULTS = {
  runtimeInfo: 'RuntimeInfoHook',
  timer: 'IterTimerHook',
  samplerSeed: 'DistSamplerSeedHook',
  logger: 'LoggerHook',
  paramScheduler: 'ParamSchedulerHook',
  checkpoint: 'CheckpointHook',
} as const;

/** What a defaultHooks entry may be. */
// The options of a default hook's class (any object with an optional priority).
export type DefaultHookSpec = Hook | HookConfig | { priority?: Priority } | null | undefined;

/** A hook of a defaultHooks entry; null where the default is removed. */
function hookOf(key: string, value: unknown): Hook | null {
  const what = `defaultHooks.${key}`;
  const defaultType = (DEFAULTS as Record<string, string>)[key];
  if (value === null) {
    if (defaultType) return null;
    throw new Error(
      `${what}: null removes a default hook, and there is none named ${key} (${Object.keys(DEFAULTS).join(', ')})`,
    );
  }
  if (value instanceof Hook) return value;
  if (!isPlainObject(value)) {
    throw new TypeError(`${what} should be a Hook, a config {type, ...} or null, but got ${String(value)}`);
  }
  if (value.type !== undefined) return buildHook(value as HookConfig, what);
  if (!defaultType) throw new TypeError(`${what}: a hook of one's own needs a type (a hook class or its name)`);
  if (value.priority !== undefined) checkPriority(value.priority, what);
  return buildHook({ ...value, type: defaultType }, what);
}

/** The hooks of `defaults` (MMEngine's default_hooks merged with the given ones), in order. */
export function defaultHookList(defaults: object): Hook[] {
  if (!isPlainObject(defaults)) {
    throw new TypeError(`defaultHooks should be an object of hooks by name, but got ${String(defaults)}`);
  }
  const merged: Record<string, unknown> = Object.fromEntries(
    Object.entries(DEFAULTS).map(([k, type]) => [k, { type }]),
  );
  for (const [key, value] of Object.entries(defaults)) if (value !== undefined) merged[key] = value;
  const hooks: Hook[] = [];
  for (const [key, value] of Object.entries(merged)) {
    const hook = hookOf(key, value);
    if (hook) hooks.push(hook);
  }
  return hooks;
}
