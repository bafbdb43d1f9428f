// Shared pieces of the engine tests: a logger that records instead of printing, and small
// assertions over tensors. (`node --test` runs this file too; it only defines things.)
import assert from 'node:assert/strict';
import { Logger, type LogLevel, setLogger } from '../../lib/engine/index.js';
import type * as torch from '../../lib/index.js';

/** A logger that keeps every message (any level) and prints nothing. */
export class CaptureLogger extends Logger {
  readonly records: { level: LogLevel; message: string }[] = [];

  constructor() {
    super('test', { level: 'silent' });
  }

  override debug(message: string): void {
    this.records.push({ level: 'debug', message });
  }

  override info(message: string): void {
    this.records.push({ level: 'info', message });
  }

  override warning(message: string): void {
    this.records.push({ level: 'warning', message });
  }

  override error(message: string): void {
    this.records.push({ level: 'error', message });
  }

  messages(level?: LogLevel): string[] {
    return this.records.filter((r) => level === undefined || r.level === level).map((r) => r.message);
  }
}

/** Installs a fresh CaptureLogger as the engine's logger and returns it. */
export function captureLogs(): CaptureLogger {
  const logger = new CaptureLogger();
  setLogger(logger);
  return logger;
}

/** A tensor's elements, flattened, as numbers. */
export function flat(t: torch.Tensor): number[] {
  return Array.from(t.detach().cpu().float().toTypedArray() as Float32Array);
}

/** Every element of `t` equals `value` exactly. */
export function assertFilled(t: torch.Tensor, value: number, what = 'tensor'): void {
  const bad = flat(t).find((x) => x !== value);
  assert.equal(bad, undefined, `${what}: expected every element to be ${value}, found ${bad}`);
}

/** Elementwise |a - b| <= tol over two equally long arrays. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what = 'values',
): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!(Math.abs(a - e) <= tol)) assert.fail(`${what}[${i}]: ${a} vs expected ${e} (tol ${tol})`);
  }
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function std(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) * (b - m), 0) / (xs.length - 1));
}
