// torch.autograd.graph: saved-tensor hooks (saved_tensors_hooks, save_on_cpu,
// disable_saved_tensors_hooks). native/saved_tensor_hooks.cpp has libtorch ask this thread's
// stack of hook pairs whenever an op saves a tensor for backward; this file keeps the pairs and
// what each pack returned (a record), and runs the hooks when the native side calls.
//
// Lifetimes. Pack and unpack run in a torch.scope: the tensor handed to pack, and what a hook
// makes, are freed when it returns, except the tensors in pack's result. Those belong to the saved
// tensor from then on: autograd frees a saved tensor after the backward that used it (or with its
// graph), and its record, with the tensors it holds, is dropped the next time a hook runs or hooks
// are pushed, or by a timer while records are left (a program that used hooks once). A tensor
// unpack returns is autograd's: it holds its own reference.
import { native } from '../../binding.js';
import { keep, scope } from '../lifetime.js';
import { describe } from '../marshal.js';
import { Tensor } from '../tensor.js';

/** The native side of the hooks (native/saved_tensor_hooks.cpp). */
interface NativeSavedTensorHooks {
  savedTensorsHooksInstall(dispatch: (kind: number, id: number, handle: number | null) => number | undefined): void;
  savedTensorsHooksPush(pairId: number): void;
  savedTensorsHooksPop(): void;
  savedTensorsHooksDisable(message: string): void;
  savedTensorsHooksEnable(): void;
  savedTensorsHooksDisabledMessage(): string | null;
  savedTensorsUnpacked(handle: number): void;
  savedTensorsTakeDead(): number[];
  savedTensorMake(handle: number): number;
  savedTensorUnpack(id: number): number;
  savedTensorFree(id: number): void;
  currentGraphTaskId(): number;
}
/** @internal */
export const hooksNative = native as unknown as NativeSavedTensorHooks;

/** What a pack hook produced: the value handed to unpack, and the tensors the record owns. */
export interface Packed {
  value: unknown;
  owned: Tensor[];
  /** Called once the saved tensor was freed. */
  onFree?: () => void;
}

/**
 * @internal A pair of hooks as the stack holds it. The pack of a pair says what its record owns;
 * `disposeUnpacked` frees the tensor unpack returns once autograd holds it.
 */
export interface HookPair {
  pack(x: Tensor): Packed;
  unpack(value: unknown): Tensor;
  disposeUnpacked?: boolean;
}

interface PackRecord extends Packed {
  pair: HookPair;
}

const PACK = 0;
const pairs = new Map<number, HookPair>();
const records = new Map<number, PackRecord>();
let nextPair = 1;
let nextRecord = 1;
let depth = 0;
let installed = false;
/** The last error a pack hook threw: the op it ran in reports it wrapped, the hooks' caller gets it back. */
let packError: Error | null = null;

let timer: ReturnType<typeof setInterval> | null = null;
const TIMER_MS = 100;

/** Drops the records of the saved tensors autograd freed, with the tensors they own. */
export function releaseDead(): void {
  if (!installed) return;
  for (const id of hooksNative.savedTensorsTakeDead()) {
    const rec = records.get(id);
    if (!rec) continue;
    records.delete(id);
    for (const t of rec.owned) t.dispose();
    rec.onFree?.();
  }
  if (records.size === 0 && timer) {
    clearInterval(timer);
    timer = null;
  }
}

// Called by the native side: pack(id: the pair, the tensor's handle) -> the record's id, or
// unpack(id: the record), which hands its tensor over with savedTensorsUnpacked.
function dispatch(kind: number, id: number, handle: number | null): number | undefined {
  releaseDead();
  if (kind === PACK) {
    const pair = pairs.get(id);
    if (!pair || handle === null) throw new Error('saved tensor pack hook: no hooks with this id are pushed');
    let packed: Packed;
    try {
      packed = scope(() => pair.pack(new Tensor(handle)));
    } catch (e) {
      if (e instanceof Error) packError = e;
      throw e;
    }
    for (const t of packed.owned) keep(t);
    const rid = nextRecord++;
    records.set(rid, { ...packed, pair });
    // unref'd: it never keeps the process alive
    if (!timer) timer = setInterval(releaseDead, TIMER_MS).unref();
    return rid;
  }
  const rec = records.get(id);
  if (!rec) throw new Error('saved tensor unpack hook: the packed value was freed');
  scope(() => {
    const t = rec.pair.unpack(rec.value);
    if (!(t instanceof Tensor)) {
      throw new TypeError(`Output of saved tensor unpack_hook expected to be a Tensor but got ${describe(t)}`);
    }
    hooksNative.savedTensorsUnpacked(t._h);
    if (rec.pair.disposeUnpacked) t.dispose();
  });
  return undefined;
}

/** @internal Runs fn with `pair` on top of this thread's stack of hooks. */
export function withHooks<T>(pair: HookPair, fn: () => T, name: string): T {
  const disabled = hooksNative.savedTensorsHooksDisabledMessage();
  if (disabled !== null) throw new Error(disabled);
  if (!installed) {
    hooksNative.savedTensorsHooksInstall(dispatch);
    installed = true;
  }
  releaseDead();
  const id = nextPair++;
  pairs.set(id, pair);
  hooksNative.savedTensorsHooksPush(id);
  depth++;
  packError = null;
  try {
    const result = fn();
    if (result instanceof Promise) {
      throw new TypeError(`${name}: fn must be synchronous (the hooks are per thread and would apply across awaits)`);
    }
    return result;
  } catch (e) {
    // An op reports a pack hook's error wrapped in its own message: give back the hook's error.
    const original = packError as Error | null; // set by dispatch while fn ran
    if (original && e !== original && e instanceof Error && e.message.includes(original.message)) throw original;
    throw e;
  } finally {
    packError = null;
    depth--;
    hooksNative.savedTensorsHooksPop();
    pairs.delete(id);
  }
}

/** The tensors in a pack hook's result: in arrays, plain objects and Maps, as a scope finds them. */
function tensorsIn(value: unknown, found: Set<Tensor> = new Set(), seen: Set<unknown> = new Set()): Set<Tensor> {
  if (value === null || typeof value !== 'object' || seen.has(value)) return found;
  seen.add(value);
  if (value instanceof Tensor) found.add(value);
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, found, seen);
  else if (value instanceof Map) for (const v of value.values()) tensorsIn(v, found, seen);
  else {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) for (const v of Object.values(value)) tensorsIn(v, found, seen);
  }
  return found;
}

function checkFn(f: unknown, name: string, what: string): void {
  if (typeof f !== 'function') throw new TypeError(`${name}: ${what} must be a function, got ${describe(f)}`);
}

/**
 * Runs `fn` with saved-tensor hooks, like `with torch.autograd.graph.saved_tensors_hooks(pack,
 * unpack):`. Each tensor an op saves for backward inside `fn` is handed to `pack` (with gradient
 * recording off), and autograd keeps what pack returns, any value, instead of the tensor; when
 * backward needs the tensor, `unpack` gets that value back and returns a Tensor. Hooks nest: the
 * innermost pair applies.
 *
 * Lifetimes: the tensor handed to pack and the tensors the hooks make are freed when they return,
 * except the tensors in pack's result (in arrays, plain objects, Maps), which belong to the saved
 * tensor and are freed with it (return a clone of a tensor you keep using elsewhere, and
 * `torch.keep` a tensor you store aside). For CUDA tensors the engine unpacks on its device
 * thread, which hands the unpack to this thread (native/engine.cpp).
 */
export function savedTensorsHooks<T>(pack: (x: Tensor) => unknown, unpack: (packed: never) => Tensor, fn: () => T): T {
  const name = 'savedTensorsHooks';
  checkFn(pack, name, 'pack');
  checkFn(unpack, name, 'unpack');
  checkFn(fn, name, 'fn');
  const pair: HookPair = {
    pack(x) {
      const value = pack(x);
      return { value, owned: [...tensorsIn(value)] };
    },
    unpack: unpack as (value: unknown) => Tensor,
  };
  return withHooks(pair, fn, name);
}

export interface SaveOnCpuOptions {
  /** Copy into page-locked memory when CUDA is available (default false). */
  pinMemory?: boolean;
}

/**
 * Runs `fn` with the tensors saved for backward kept on the CPU, like `with
 * torch.autograd.graph.save_on_cpu():`; unpack moves each back to its device. For CPU tensors it
 * saves the tensor itself (pinMemory: a CPU copy), so it changes nothing but the hooks' cost.
 */
export function saveOnCpu<T>(fn: () => T, options?: SaveOnCpuOptions): T {
  checkFn(fn, 'saveOnCpu', 'fn');
  const pinMemory = options?.pinMemory ?? false;
  if (typeof pinMemory !== 'boolean') {
    throw new TypeError(`saveOnCpu: pinMemory must be a boolean, got ${describe(pinMemory)}`);
  }
  const pair: HookPair = {
    pack(x) {
      const cpu = pinMemory ? x.to('cpu', { copy: true }) : x.cpu();
      return { value: [x.device, cpu], owned: [cpu] };
    },
    unpack(value) {
      const [device, t] = value as [string, Tensor];
      return t.to(device);
    },
  };
  return withHooks(pair, fn, 'saveOnCpu');
}

/**
 * Runs `fn` with saved-tensor hooks disabled, like `with
 * torch.autograd.graph.disable_saved_tensors_hooks(message):`: pushing hooks inside fails with
 * `message`, and so does disabling while hooks are pushed. The previous state comes back after.
 */
export function disableSavedTensorsHooks<T>(message: string, fn: () => T): T {
  if (typeof message !== 'string') {
    throw new TypeError(`disableSavedTensorsHooks: message must be a string, got ${describe(message)}`);
  }
  checkFn(fn, 'disableSavedTensorsHooks', 'fn');
  const previous = hooksNative.savedTensorsHooksDisabledMessage();
  try {
    if (depth > 0) throw new Error(message);
    hooksNative.savedTensorsHooksDisable(message);
    const result = fn();
    if (result instanceof Promise) {
      throw new TypeError('disableSavedTensorsHooks: fn must be synchronous (the state is per thread)');
    }
    return result;
  } finally {
    if (previous === null) hooksNative.savedTensorsHooksEnable();
    else hooksNative.savedTensorsHooksDisable(previous);
  }
}
