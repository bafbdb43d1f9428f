// Visualization backends, as MMEngine's mmengine/visualization/vis_backend.py: where the
// Visualizer's scalars go.
//
// LocalVisBackend writes `<saveDir>/scalars.json`, one JSON object per line: the dict given to
// `addScalars` plus `step` (a `step` already in the dict wins, as Python's setdefault), e.g.
//   {"lr": 0.01, "data_time": 0.0012, "loss": 0.4312, "time": 0.041, "epoch": 1, "iter": 100, "step": 100}
//   {"accuracy/top1": 87.5, "data_time": 0.001, "time": 0.02, "step": 1}
// Non-finite numbers are written as Python's json does (NaN, Infinity, -Infinity), so the file
// reads back with Python's json.loads as MMEngine's does; `parseScalarsLine` reads them in JS.
// `addScalars(dict, step, filePath)` also appends the line to `<saveDir>/<filePath>` (a .json
// name), as MMEngine's LoggerHook does with `<timestamp>.json`.
//
// TensorboardVisBackend writes each numeric value as a TensorBoard scalar with its key as the
// tag, into an event file in `<saveDir>` (see tfevents.ts); values that are not numbers (or
// one-element tensors) are skipped with a warning, as MMEngine does.
//
// Both create their folder and files on the first write.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '../../torch/index.js';
import { getLogger } from '../logging/logger.js';
import { EventFileWriter } from './tfevents.js';

export type ScalarValue = number | Tensor | unknown;
export type ScalarDict = Record<string, ScalarValue>;

export abstract class BaseVisBackend {
  constructor(readonly saveDir: string) {}

  /** The registry name, e.g. 'LocalVisBackend'. */
  get name(): string {
    return this.constructor.name;
  }

  abstract addScalar(name: string, value: ScalarValue, step?: number): void;
  abstract addScalars(scalars: ScalarDict, step?: number, filePath?: string | null): void;

  close(): void {}
}

/** A scalar value as a JS value: tensors of one element as numbers, others as nested arrays. */
export function scalarToJs(value: unknown): unknown {
  if (value instanceof Tensor) return value.numel() === 1 ? Number(value.item()) : value.toArray();
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(scalarToJs);
  return value;
}

/** JSON with Python's spellings of non-finite floats (NaN, Infinity, -Infinity). */
export function toPythonJson(value: unknown): string {
  const v = scalarToJs(value);
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : toPythonJson(x))).join(', ')}]`;
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined || typeof x === 'function') continue;
      parts.push(`${JSON.stringify(k)}: ${toPythonJson(x)}`);
    }
    return `{${parts.join(', ')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export interface LocalVisBackendOptions {
  /** Default 'scalars.json'. */
  scalarSaveFile?: string;
}

export class LocalVisBackend extends BaseVisBackend {
  /** The full path of the scalars file. */
  readonly scalarSaveFile: string;
  private ready = false;

  constructor(saveDir: string, options: LocalVisBackendOptions = {}) {
    super(saveDir);
    this.scalarSaveFile = join(saveDir, options.scalarSaveFile ?? 'scalars.json');
  }

  private init(): void {
    if (!this.ready) {
      mkdirSync(this.saveDir, { recursive: true });
      this.ready = true;
    }
  }

  private dump(record: Record<string, unknown>, path: string): void {
    this.init();
    appendFileSync(path, `${toPythonJson(record)}\n`);
  }

  override addScalar(name: string, value: ScalarValue, step = 0): void {
    this.dump({ [name]: value, step }, this.scalarSaveFile);
  }

  override addScalars(scalars: ScalarDict, step = 0, filePath: string | null = null): void {
    if (scalars === null || typeof scalars !== 'object') throw new TypeError('addScalars: expected a dict of scalars');
    const record: Record<string, unknown> = { ...scalars };
    if (!('step' in record)) record.step = step;
    if (filePath !== null && filePath !== undefined) {
      if (!filePath.endsWith('.json')) throw new Error(`addScalars: filePath must end with .json, got ${filePath}`);
      const extra = join(this.saveDir, filePath);
      if (extra === this.scalarSaveFile) {
        throw new Error(
          '``file_path`` and ``scalar_save_file`` have the same name, please set ``file_path`` to another value',
        );
      }
      this.dump(record, extra);
    }
    this.dump(record, this.scalarSaveFile);
  }
}

export class TensorboardVisBackend extends BaseVisBackend {
  private writer: EventFileWriter | null = null;
  private readonly warned = new Set<string>();

  /** The event file being written, once the first scalar is written. */
  get eventFile(): string | null {
    return this.writer?.path ?? null;
  }

  private get experiment(): EventFileWriter {
    if (!this.writer) this.writer = new EventFileWriter(this.saveDir);
    return this.writer;
  }

  private numeric(name: string, value: ScalarValue): number | null {
    const v = value instanceof Tensor && value.numel() === 1 ? Number(value.item()) : value;
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (!this.warned.has(name)) {
      this.warned.add(name);
      getLogger().warning(
        `TensorboardVisBackend: got ${describe(value)} for ${name}, but a number or a one-element tensor is expected; skip it`,
      );
    }
    return null;
  }

  override addScalar(name: string, value: ScalarValue, step = 0): void {
    const v = this.numeric(name, value);
    if (v !== null) this.experiment.addScalars([[name, v]], step);
  }

  override addScalars(scalars: ScalarDict, step = 0): void {
    if (scalars === null || typeof scalars !== 'object') throw new TypeError('addScalars: expected a dict of scalars');
    if ('step' in scalars) throw new Error('Please set it directly through the step parameter');
    const values: [string, number][] = [];
    for (const [k, value] of Object.entries(scalars)) {
      const v = this.numeric(k, value);
      if (v !== null) values.push([k, v]);
    }
    if (values.length > 0) this.experiment.addScalars(values, step);
  }

  override close(): void {
    this.writer?.close();
    this.writer = null;
  }
}

function describe(v: unknown): string {
  if (v instanceof Tensor) return `a tensor of shape [${v.shape.join(', ')}]`;
  if (Array.isArray(v)) return 'an array';
  return v === null ? 'null' : typeof v;
}
