// Who frees a tensor, and when.
//
// Each Tensor is owned by exactly one of:
//   - the innermost active scope (`scope(fn)`), which disposes it when fn ends unless fn
//     returns it, in which case the enclosing scope takes it over;
//   - the garbage collector, through a FinalizationRegistry, when no scope is active or the
//     tensor was `keep()`-ed: it is freed some time after it becomes unreachable.
// `dispose()` (or `using`) frees it at once either way. Scoped tensors never touch the
// registry, which keeps an op's cost to a slot write and an array push. Registering with a
// FinalizationRegistry costs more than a small op itself, so tensors outside scopes are
// registered in batches, at the next turn of the event loop or every 4096 tensors: one that is
// disposed before then never pays for it. (A finalizer cannot run before the event loop turns
// anyway, so the delay frees nothing later.)
import { AsyncLocalStorage } from 'node:async_hooks';
import { native } from '../binding.js';

/** The part of a Tensor that ownership needs (tensor.ts holds the rest). */
export interface Owned {
  _h: number;
  /** 0: owned by a scope; 1: waiting to be registered; 2: registered with the collector */
  _s: number;
}

const SCOPED = 0;
const PENDING = 1;
const REGISTERED = 2;

const registry = new FinalizationRegistry<number>((handle) => native.free(handle));
let pending: Owned[] = [];
const BATCH = 4096;

function registerPending(): void {
  const list = pending;
  pending = [];
  for (const t of list) {
    if (t._h >= 0 && t._s === PENDING) {
      t._s = REGISTERED;
      registry.register(t, t._h, t);
    }
  }
}

/** The tensors one scope owns; `closed` once it ended (a late child then hands tensors to the collector). */
type Scope = Owned[] & { closed?: boolean };

let syncScope: Scope | null = null;
const asyncScopes = new AsyncLocalStorage<Scope>();
let asyncScopeDepth = 0;

function currentScope(): Scope | undefined {
  if (syncScope) return syncScope;
  return asyncScopeDepth > 0 ? asyncScopes.getStore() : undefined;
}

/** Called by every new Tensor. */
export function adopt(t: Owned): void {
  const scope = syncScope ?? (asyncScopeDepth > 0 ? asyncScopes.getStore() : undefined);
  if (scope) {
    t._s = SCOPED;
    scope.push(t);
  } else {
    toCollector(t);
  }
}

function toCollector(t: Owned): void {
  t._s = PENDING;
  if (pending.push(t) === 1) setImmediate(registerPending);
  else if (pending.length >= BATCH) registerPending();
}

// dispose() queues the handle in memory shared with the addon (slot 0 is the count); the addon
// frees queued handles before its next op, when the queue is full, or at the next turn of the
// event loop, whichever comes first. A dispose thus costs no call into the addon.
const queue = native.releaseQueue;
const QUEUE_CAPACITY = queue.length - 1;
let drainScheduled = false;

function drainSoon(): void {
  drainScheduled = false;
  native.drainReleases();
}

export function release(t: Owned): void {
  const h = t._h;
  if (h < 0) return;
  if (t._s === REGISTERED) registry.unregister(t);
  t._h = -1;
  const n = (queue[0] as number) + 1;
  queue[n] = h;
  queue[0] = n;
  if (n === QUEUE_CAPACITY) native.drainReleases();
  else if (!drainScheduled) {
    drainScheduled = true;
    setImmediate(drainSoon);
  }
}

/** Moves the handle of `t` to a new owner (a Parameter made from it), leaving `t` disposed. */
export function takeHandle(t: Owned): number {
  const h = t._h;
  if (h < 0) throw new Error('tensor was disposed');
  if (t._s === REGISTERED) registry.unregister(t);
  t._h = -1;
  return h;
}

/** Takes `t` out of the scope it was made in: the garbage collector (or dispose) frees it. */
export function keep<T extends Owned>(t: T): T {
  if (t._h >= 0 && t._s === SCOPED) toCollector(t);
  return t;
}

function collect(value: unknown, found: Set<Owned>, seen: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if ('_h' in value && '_s' in value) {
    found.add(value as Owned);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, found, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, found, seen);
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) for (const v of Object.values(value)) collect(v, found, seen);
  }
}

function close(owned: Scope, result: unknown, parent: Scope | undefined): void {
  owned.closed = true;
  // What the scope returns survives it. A number or nothing (a training step's usual result)
  // needs no search.
  const returned = new Set<Owned>();
  if (result !== null && typeof result === 'object') collect(result, returned, new Set());
  for (const t of owned) {
    if (t._h < 0 || t._s !== SCOPED) continue;
    if (!returned.has(t)) release(t);
    else if (parent && !parent.closed) parent.push(t);
    else toCollector(t);
  }
}

// By identity (this realm's AsyncFunction): reading the constructor's name on every scope costs
// a lookup each step.
const AsyncFunction = (async () => {}).constructor;
const isAsyncFunction = (fn: unknown): boolean => (fn as { constructor?: unknown }).constructor === AsyncFunction;

/**
 * Runs `fn` and frees every tensor it made, except those in its result (a tensor, or arrays
 * and plain objects holding tensors), which pass to the enclosing scope. An `async` fn is
 * followed across its awaits. Scopes nest.
 */
export function scope<T>(fn: () => Promise<T>): Promise<T>;
export function scope<T>(fn: () => T): T;
export function scope<T>(fn: () => T | Promise<T>): T | Promise<T> {
  if (isAsyncFunction(fn)) return asyncScope(fn as () => Promise<T>);
  const parent = currentScope();
  const owned: Scope = [];
  const previous = syncScope;
  syncScope = owned;
  let result: T | Promise<T>;
  try {
    result = fn();
  } catch (e) {
    syncScope = previous;
    close(owned, undefined, parent);
    throw e;
  }
  syncScope = previous;
  close(owned, result, parent);
  if (result instanceof Promise) {
    throw new TypeError(
      'torch.scope: the function returned a Promise; declare it `async` so the scope follows its awaits',
    );
  }
  return result;
}

async function asyncScope<T>(fn: () => Promise<T>): Promise<T> {
  const parent = currentScope();
  const owned: Scope = [];
  asyncScopeDepth++;
  let result: T | undefined;
  try {
    // The synchronous part of fn belongs to this scope, not to a sync scope around the call;
    // after that, the async context carries it. syncScope is restored at once, never after the
    // await (by then the sync scope that was current may have ended).
    const previous = syncScope;
    syncScope = null;
    let pending: Promise<T>;
    try {
      pending = asyncScopes.run(owned, fn);
    } finally {
      syncScope = previous;
    }
    result = await pending;
    return result;
  } finally {
    asyncScopeDepth--;
    close(owned, result, parent);
  }
}

/** Live tensors and the bytes of their storages, per device. */
export function memory(): { tensors: number; bytes: Record<string, number> } {
  return native.memory();
}
