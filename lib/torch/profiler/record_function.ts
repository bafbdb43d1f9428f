// torch.profiler.record_function: a named user range, which the trace and the tables show with
// the ops run inside it. Outside a profiler it costs one native call on each side.
import { type NativeProfiler, native } from '../../binding.js';

const profiler = native as unknown as NativeProfiler;

/** An open user range; exit() (or `using`) closes it. */
export class RecordFunction {
  private id: number | null;

  constructor(readonly name: string) {
    if (typeof name !== 'string') throw new TypeError(`recordFunction: name must be a string, got ${typeof name}`);
    this.id = profiler.recordFunctionEnter(name);
  }

  /** Closes the range; closing it again does nothing. */
  exit(): void {
    if (this.id === null) return;
    const id = this.id;
    this.id = null;
    profiler.recordFunctionExit(id);
  }

  [Symbol.dispose](): void {
    this.exit();
  }
}

/**
 * Runs `fn` inside a user range named `name` and returns what it returns (a Promise's range
 * closes when it settles). Without `fn`, opens the range and returns it, for `using`.
 */
export function recordFunction(name: string): RecordFunction;
export function recordFunction<T>(name: string, fn: () => T): T;
export function recordFunction<T>(name: string, fn?: () => T): T | RecordFunction {
  const range = new RecordFunction(name);
  if (fn === undefined) return range;
  if (typeof fn !== 'function') {
    range.exit();
    throw new TypeError(`recordFunction: fn must be a function, got ${typeof fn}`);
  }
  let result: T;
  try {
    result = fn();
  } catch (e) {
    range.exit();
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => range.exit()) as T;
  range.exit();
  return result;
}
