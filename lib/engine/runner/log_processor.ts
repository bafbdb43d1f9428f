// Turns the message hub's scalars into MMEngine-style log lines:
//   Epoch(train) [1][ 100/938]  lr: 1.0000e-02  eta: 0:01:02  time: 0.0410  data_time: 0.0012  loss: 0.4312
// Scalars whose name matches `meanPattern` (losses, times, the grad norm) are averaged over the
// last `windowSize` iterations; others show their latest value. `customCfg` adds (or replaces)
// statistics of its own, as MMEngine's LogProcessor custom_cfg:
//   { dataSrc: 'loss', method: 'mean', windowSize: 'global', logName: 'global_loss' }
// ('epoch': the iterations of this epoch so far; 'global': all of them).
import type { MessageHub } from '../logging/message_hub.js';

/** One statistic of `customCfg`. */
export interface CustomLogCfg {
  /** The scalar it reads, without the mode prefix ('loss'). */
  dataSrc: string;
  method: 'mean' | 'max' | 'min' | 'current';
  /** Iterations: a number, 'epoch' or 'global' (default: all that the buffer holds). */
  windowSize?: number | 'epoch' | 'global';
  /** The name it is logged under (default dataSrc, which it then replaces). */
  logName?: string;
}

export interface LogProcessorOptions {
  /** Iterations the smoothed scalars are averaged over (default 10). */
  windowSize?: number;
  customCfg?: CustomLogCfg[];
  /** Digits after the point (default 4). */
  numDigits?: number;
  /** Keep the mode in names ('train/loss') in the visualizer's scalars (default false). */
  logWithHierarchy?: boolean;
  /** Which scalars are averaged over windowSize (default: names with loss, time, data_time or grad_norm). */
  meanPattern?: RegExp | string;
}

/** Where a line is made: for the windows 'epoch' and 'global' of customCfg. */
export interface LogPosition {
  /** The batch index in the epoch (0-based). */
  iterInEpoch: number;
  /** Training iterations before this one. */
  iter: number;
}

const METHODS = ['mean', 'max', 'min', 'current'];

/** Seconds as Python's str(timedelta(seconds=int(s))): whole seconds, truncated, as MMEngine prints its eta. */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.trunc(seconds));
  const days = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const hms = `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  return days ? `${days} day${days > 1 ? 's' : ''}, ${hms}` : hms;
}

/** A value as MMEngine prints it: an lr in exponent form with two exponent digits, others fixed. */
const fmt = (key: string, v: number, digits = 4): string =>
  /lr$/.test(key) ? v.toExponential(digits).replace(/e([+-])(\d)$/, 'e$10$2') : v.toFixed(digits);

export interface LogLineInput {
  mode: 'train' | 'val' | 'test';
  byEpoch: boolean;
  epoch: number;
  iterInEpoch: number;
  itersPerEpoch: number;
  iter: number;
  maxIters: number;
  /** Right-aligns the epoch to the width of this one, as MMEngine (`Epoch(train)  [1][...]` for 12 epochs). */
  maxEpochs?: number;
  /** Training on CUDA: the peak of the GPU memory since the last line, in MiB (`memory: 1234`). */
  memory?: number;
}

export class LogProcessor {
  readonly windowSize: number;
  readonly customCfg: readonly CustomLogCfg[];
  readonly numDigits: number;
  readonly logWithHierarchy: boolean;
  readonly meanPattern: RegExp;

  constructor(options?: LogProcessorOptions | number) {
    const o = typeof options === 'number' ? { windowSize: options } : (options ?? {});
    this.windowSize = o.windowSize ?? 10;
    this.numDigits = o.numDigits ?? 4;
    this.logWithHierarchy = o.logWithHierarchy ?? false;
    const pattern = o.meanPattern ?? /.*(loss|time|data_time|grad_norm).*/;
    // without a global flag, whose lastIndex would make test() alternate
    this.meanPattern =
      typeof pattern === 'string'
        ? new RegExp(pattern)
        : new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    if (!Number.isInteger(this.windowSize) || this.windowSize < 1)
      throw new TypeError(`LogProcessor: windowSize must be a positive integer, got ${this.windowSize}`);
    this.customCfg = (o.customCfg ?? []).map((c) => ({ ...c }));
    // As MMEngine: a name is logged once, so two statistics of one source need names of their own.
    const names = new Set<string>();
    for (const c of this.customCfg) {
      if (typeof c.dataSrc !== 'string') throw new TypeError('LogProcessor: each of customCfg needs a dataSrc');
      if (!METHODS.includes(c.method))
        throw new TypeError(`LogProcessor: customCfg method must be one of ${METHODS.join(', ')}, got ${c.method}`);
      const w = c.windowSize;
      if (w !== undefined && w !== 'epoch' && w !== 'global' && !(Number.isInteger(w) && w > 0))
        throw new TypeError(
          `LogProcessor: customCfg windowSize should be a positive integer, 'epoch' or 'global', got ${w}`,
        );
      const name = c.logName ?? c.dataSrc;
      if (names.has(name))
        throw new Error(
          `LogProcessor: customCfg logs ${name} twice; give each statistic of ${c.dataSrc} a logName of its own`,
        );
      names.add(name);
    }
  }

  /**
   * The scalars of `mode` for one log line: name (without the mode prefix) -> value, the
   * customCfg statistics last. `window` overrides windowSize for the averaged ones; `at` resolves
   * the windows 'epoch' and 'global' (without it they cover the whole buffer).
   */
  collect(hub: MessageHub, mode: string, window = this.windowSize, at?: LogPosition): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, buffer] of hub.logScalars) {
      if (!key.startsWith(`${mode}/`)) continue;
      const name = key.slice(mode.length + 1);
      out[name] = this.meanPattern.test(name) ? buffer.mean(window) : buffer.current();
    }
    for (const c of this.customCfg) {
      const buffer = hub.logScalars.get(`${mode}/${c.dataSrc}`);
      if (!buffer) continue;
      const w = c.windowSize;
      const size =
        w === 'epoch' ? (at ? at.iterInEpoch + 1 : undefined) : w === 'global' ? (at ? at.iter + 1 : undefined) : w;
      out[c.logName ?? c.dataSrc] = buffer.statistics(c.method, size);
    }
    return out;
  }

  /** A line's scalars as the visualizer gets them: with the mode prefix where logWithHierarchy. */
  tagOf(scalars: Record<string, number>, mode: string): Record<string, number> {
    if (!this.logWithHierarchy) return { ...scalars };
    return Object.fromEntries(Object.entries(scalars).map(([k, v]) => [`${mode}/${k}`, v]));
  }

  trainLine(hub: MessageHub, p: LogLineInput): string {
    const scalars = this.collect(hub, 'train', this.windowSize, p);
    const w = String(p.itersPerEpoch).length;
    const d = this.numDigits;
    const epoch = `[${p.epoch + 1}]`.padStart(String(p.maxEpochs ?? p.epoch + 1).length + 2);
    const head = p.byEpoch
      ? `Epoch(train) ${epoch}[${String(p.iterInEpoch + 1).padStart(w)}/${p.itersPerEpoch}]`
      : `Iter(train) [${String(p.iter + 1).padStart(String(p.maxIters).length)}/${p.maxIters}]`;
    const parts: string[] = [];
    for (const k of Object.keys(scalars).filter((k) => /lr$/.test(k)))
      parts.push(`${k}: ${fmt(k, scalars[k] as number, d)}`);
    const eta = hub.getInfo<number>('eta');
    if (eta !== undefined) parts.push(`eta: ${formatEta(eta)}`);
    for (const k of ['time', 'data_time']) if (k in scalars) parts.push(`${k}: ${fmt(k, scalars[k] as number, d)}`);
    if (p.memory !== undefined) parts.push(`memory: ${p.memory}`);
    const gradNorm = scalars.grad_norm;
    for (const [k, v] of Object.entries(scalars)) {
      if (/lr$/.test(k) || k === 'time' || k === 'data_time' || k === 'grad_norm') continue;
      parts.push(`${k}: ${fmt(k, v, d)}`);
    }
    if (gradNorm !== undefined) parts.push(`grad_norm: ${fmt('grad_norm', gradNorm, d)}`);
    return `${head}  ${parts.join('  ')}`;
  }

  /** A line every `interval` batches of an evaluation: where it is, and its smoothed timings. */
  evalIterLine(
    hub: MessageHub,
    mode: 'val' | 'test',
    p: { byEpoch: boolean; epoch: number; batchIdx: number; total: number },
  ): string {
    const at = `${String(p.batchIdx + 1).padStart(String(p.total).length)}/${p.total}`;
    const head = !p.byEpoch
      ? `Iter(${mode}) [${at}]`
      : mode === 'val'
        ? `Epoch(${mode}) [${p.epoch}][${at}]`
        : `Epoch(${mode}) [${at}]`;
    const scalars = this.collect(hub, mode);
    const parts: string[] = [];
    for (const k of ['time', 'data_time'])
      if (k in scalars) parts.push(`${k}: ${fmt(k, scalars[k] as number, this.numDigits)}`);
    return `${head}    ${parts.join('  ')}`;
  }

  /** The line after a validation or test epoch: its metrics, then its mean timings. */
  epochEndLine(
    hub: MessageHub,
    mode: 'val' | 'test',
    metrics: Record<string, unknown>,
    p: { epoch: number; byEpoch: boolean; iters: number; itersPerEpoch: number },
  ): string {
    // As MMEngine: a validation names the epoch it follows; a test has none.
    const head = !p.byEpoch
      ? `Iter(${mode}) [${p.itersPerEpoch}/${p.itersPerEpoch}]`
      : mode === 'val'
        ? `Epoch(${mode}) [${p.epoch}][${p.itersPerEpoch}/${p.itersPerEpoch}]`
        : `Epoch(${mode}) [${p.itersPerEpoch}/${p.itersPerEpoch}]`;
    const parts: string[] = [];
    const d = this.numDigits;
    for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number') parts.push(`${k}: ${v.toFixed(d)}`);
    const timing = this.collect(hub, mode, p.itersPerEpoch);
    for (const k of ['data_time', 'time']) if (k in timing) parts.push(`${k}: ${(timing[k] as number).toFixed(d)}`);
    return `${head}    ${parts.join('  ')}`;
  }
}
