// Turns the message hub's scalars into MMEngine-style log lines:
//   Epoch(train) [1][ 100/938]  lr: 1.0000e-02  eta: 0:01:02  time: 0.0410  data_time: 0.0012  loss: 0.4312
// Losses, times and the grad norm are averaged over the last `windowSize` iterations; other
// scalars show their latest value.
import type { MessageHub } from '../logging/message_hub.js';

const SMOOTHED = /(loss|time|data_time|grad_norm)/;

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

const fmt = (key: string, v: number): string =>
  /lr$/.test(key) ? v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2') : v.toFixed(4);

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
}

export class LogProcessor {
  constructor(readonly windowSize = 10) {}

  /** The scalars of `mode` for one log line: name without the mode prefix -> value. */
  collect(hub: MessageHub, mode: string, window = this.windowSize): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, buffer] of hub.logScalars) {
      if (!key.startsWith(`${mode}/`)) continue;
      const name = key.slice(mode.length + 1);
      out[name] = SMOOTHED.test(name) ? buffer.mean(window) : buffer.current();
    }
    return out;
  }

  trainLine(hub: MessageHub, p: LogLineInput): string {
    const scalars = this.collect(hub, 'train');
    const w = String(p.itersPerEpoch).length;
    const epoch = `[${p.epoch + 1}]`.padStart(String(p.maxEpochs ?? p.epoch + 1).length + 2);
    const head = p.byEpoch
      ? `Epoch(train) ${epoch}[${String(p.iterInEpoch + 1).padStart(w)}/${p.itersPerEpoch}]`
      : `Iter(train) [${String(p.iter + 1).padStart(String(p.maxIters).length)}/${p.maxIters}]`;
    const parts: string[] = [];
    for (const k of Object.keys(scalars).filter((k) => /lr$/.test(k)))
      parts.push(`${k}: ${fmt(k, scalars[k] as number)}`);
    const eta = hub.getInfo<number>('eta');
    if (eta !== undefined) parts.push(`eta: ${formatEta(eta)}`);
    for (const k of ['time', 'data_time']) if (k in scalars) parts.push(`${k}: ${fmt(k, scalars[k] as number)}`);
    const gradNorm = scalars.grad_norm;
    for (const [k, v] of Object.entries(scalars)) {
      if (/lr$/.test(k) || k === 'time' || k === 'data_time' || k === 'grad_norm') continue;
      parts.push(`${k}: ${fmt(k, v)}`);
    }
    if (gradNorm !== undefined) parts.push(`grad_norm: ${fmt('grad_norm', gradNorm)}`);
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
    for (const k of ['time', 'data_time']) if (k in scalars) parts.push(`${k}: ${fmt(k, scalars[k] as number)}`);
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
    for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number') parts.push(`${k}: ${v.toFixed(4)}`);
    const timing = this.collect(hub, mode, p.itersPerEpoch);
    for (const k of ['data_time', 'time']) if (k in timing) parts.push(`${k}: ${(timing[k] as number).toFixed(4)}`);
    return `${head}    ${parts.join('  ')}`;
  }
}
