// The message hub: named scalars (losses, lr, grad norms, timings) and runtime info that the
// optimizer wrappers, hooks and loggers share, as MMEngine's MessageHub.
import type * as torch from '../../torch/index.js';
import { scalarValue } from './scalar.js';

/** The recent values of one scalar. */
export class HistoryBuffer {
  private values: number[] = [];
  private counts: number[] = [];

  constructor(private readonly maxLength = 1000000) {}

  update(value: number, count = 1): void {
    this.values.push(value);
    this.counts.push(count);
    if (this.values.length > this.maxLength) {
      this.values.shift();
      this.counts.shift();
    }
  }

  get data(): [number[], number[]] {
    return [[...this.values], [...this.counts]];
  }

  current(): number {
    const v = this.values[this.values.length - 1];
    if (v === undefined) throw new Error('HistoryBuffer is empty');
    return v;
  }

  /**
   * The mean over the last `window` updates (all by default), as MMEngine's: their values' sum
   * over their counts' sum (a value updated with count n stands for n samples' total).
   */
  mean(window?: number): number {
    const vs = window === undefined ? this.values : this.values.slice(-window);
    const cs = window === undefined ? this.counts : this.counts.slice(-window);
    if (vs.length === 0) return Number.NaN;
    return vs.reduce((a, b) => a + b, 0) / cs.reduce((a, b) => a + b, 0);
  }

  /** The largest of the last `window` values (all by default). */
  max(window?: number): number {
    const vs = window === undefined ? this.values : this.values.slice(-window);
    return vs.length === 0 ? Number.NaN : vs.reduce((a, b) => Math.max(a, b));
  }

  /** The smallest of the last `window` values (all by default). */
  min(window?: number): number {
    const vs = window === undefined ? this.values : this.values.slice(-window);
    return vs.length === 0 ? Number.NaN : vs.reduce((a, b) => Math.min(a, b));
  }

  /** A statistic by name, as MMEngine's `statistics(method_name, ...)`: mean, max, min (over a window) or current. */
  statistics(method: string, window?: number): number {
    switch (method) {
      case 'mean':
        return this.mean(window);
      case 'max':
        return this.max(window);
      case 'min':
        return this.min(window);
      case 'current':
        return this.current();
      default:
        throw new Error(`HistoryBuffer: no statistic ${method} (mean, max, min, current)`);
    }
  }
}

const instances = new Map<string, MessageHub>();
let current: MessageHub | null = null;

export class MessageHub {
  readonly logScalars = new Map<string, HistoryBuffer>();
  readonly runtimeInfo = new Map<string, unknown>();

  private constructor(readonly name: string) {}

  /** The hub named `name`, created on first use; it becomes the current one. */
  static getInstance(name: string): MessageHub {
    let hub = instances.get(name);
    if (!hub) {
      hub = new MessageHub(name);
      instances.set(name, hub);
    }
    current = hub;
    return hub;
  }

  /** The most recently created or fetched hub, or a root hub. */
  static getCurrentInstance(): MessageHub {
    return current ?? MessageHub.getInstance('mmengine');
  }

  /** Adds a value to `key`'s history: a number, or a one-element tensor (its item(), as MMEngine). */
  updateScalar(key: string, value: number | torch.Tensor, count = 1): void {
    const v = scalarValue(value, key);
    let buffer = this.logScalars.get(key);
    if (!buffer) {
      buffer = new HistoryBuffer();
      this.logScalars.set(key, buffer);
    }
    buffer.update(v, count);
  }

  /** Several scalars at once: a number each, or `{value, count}` (count default 1), as MMEngine's update_scalars. */
  updateScalars(values: Record<string, number | { value: number; count?: number }>): void {
    for (const [k, v] of Object.entries(values)) {
      if (typeof v === 'number') this.updateScalar(k, v);
      else if (v !== null && typeof v === 'object' && typeof v.value === 'number')
        this.updateScalar(k, v.value, v.count ?? 1);
      else throw new TypeError(`updateScalars: '${k}' should be a number or {value, count}, got ${String(v)}`);
    }
  }

  getScalar(key: string): HistoryBuffer {
    const buffer = this.logScalars.get(key);
    if (!buffer)
      throw new Error(`${key} is not found in Messagehub.log_buffers: ${[...this.logScalars.keys()].join(', ')}`);
    return buffer;
  }

  updateInfo(key: string, value: unknown): void {
    this.runtimeInfo.set(key, value);
  }

  getInfo<T = unknown>(key: string, dflt?: T): T | undefined {
    return this.runtimeInfo.has(key) ? (this.runtimeInfo.get(key) as T) : dflt;
  }

  /** Removes `key` from the runtime info and returns its value (`dflt` where it had none), as MMEngine's pop_info. */
  popInfo<T = unknown>(key: string, dflt?: T): T | undefined {
    if (!this.runtimeInfo.has(key)) return dflt;
    const value = this.runtimeInfo.get(key) as T;
    this.runtimeInfo.delete(key);
    return value;
  }

  /** For checkpoints: the recent scalars (at most 1000 values each) and the runtime info. */
  stateDict(): { log_scalars: Record<string, [number[], number[]]>; runtime_info: Record<string, unknown> } {
    const logScalars: Record<string, [number[], number[]]> = {};
    for (const [k, b] of this.logScalars) {
      const [values, counts] = b.data;
      logScalars[k] = [values.slice(-1000), counts.slice(-1000)];
    }
    const runtimeInfo: Record<string, unknown> = {};
    for (const [k, v] of this.runtimeInfo) {
      if (v === undefined || typeof v === 'function') continue;
      runtimeInfo[k] = v;
    }
    return { log_scalars: logScalars, runtime_info: runtimeInfo };
  }

  loadStateDict(state: Record<string, unknown>): void {
    const scalars = (state.log_scalars ?? {}) as Record<string, [number[], number[]]>;
    for (const [k, [values, counts]] of Object.entries(scalars)) {
      const buffer = new HistoryBuffer();
      values.forEach((v, i) => {
        buffer.update(v, counts[i] ?? 1);
      });
      this.logScalars.set(k, buffer);
    }
    for (const [k, v] of Object.entries((state.runtime_info ?? {}) as Record<string, unknown>))
      this.runtimeInfo.set(k, v);
  }
}
