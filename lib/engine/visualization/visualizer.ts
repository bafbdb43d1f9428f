// Visualizer: fans scalars out to its backends, as MMEngine's Visualizer (scalars only).
//
//   const vis = new Visualizer({saveDir: `${workDir}/${timestamp}/vis_data`});
//   vis.addScalars({lr: 0.01, loss: 0.43}, 100);   // each training log interval (step = iter)
//   vis.addScalars({'accuracy/top1': 87.5}, 1);    // after each validation (step = epoch or iter)
//   vis.close();    // end of the run: closes the event file and draws <saveDir>/scalars.png
//
// `close()` draws the curves of scalars.json into `<saveDir>/scalars.png` (option
// `plotOnClose`, default true; a failure to plot is logged, never thrown); `plotScalars()`
// draws them at any time.
//
// By default it has a LocalVisBackend (scalars.json) and a TensorboardVisBackend (event
// files), both writing into `saveDir`. Without a saveDir it has no backends and drops what it
// is given (MMEngine warns and does the same).
import { join } from 'node:path';
import { getLogger } from '../logging/logger.js';
import { type PlotOptions, plotScalars } from './plot.js';
import {
  BaseVisBackend,
  LocalVisBackend,
  type LocalVisBackendOptions,
  type ScalarDict,
  type ScalarValue,
  TensorboardVisBackend,
} from './vis_backend.js';

export type VisBackendConfig =
  | ({ type: 'LocalVisBackend'; saveDir?: string } & LocalVisBackendOptions)
  | { type: 'TensorboardVisBackend'; saveDir?: string };

export interface VisualizerOptions {
  name?: string;
  /** The folder the backends write into (the Runner's `<workDir>/<timestamp>/vis_data`). */
  saveDir?: string | null;
  /** Backends, as instances or configs; default Local and Tensorboard. */
  visBackends?: readonly (BaseVisBackend | VisBackendConfig | 'LocalVisBackend' | 'TensorboardVisBackend')[];
  /** Whether `close()` draws scalars.png (default true), or the PNG path to draw. */
  plotOnClose?: boolean | string;
  /** Options for the plot drawn by `close()`. */
  plotOptions?: PlotOptions;
}

const instances = new Map<string, Visualizer>();
let current: Visualizer | null = null;

export class Visualizer {
  readonly name: string;
  readonly saveDir: string | null;
  /** The backends by name (a second backend of one type gets a `_1` suffix). */
  readonly visBackends = new Map<string, BaseVisBackend>();
  datasetMeta: Record<string, unknown> | null = null;
  private readonly plotOnClose: boolean | string;
  private readonly plotOptions: PlotOptions;

  constructor(options: VisualizerOptions = {}) {
    this.name = options.name ?? 'visualizer';
    this.plotOnClose = options.plotOnClose ?? true;
    this.plotOptions = options.plotOptions ?? {};
    this.saveDir = options.saveDir ?? null;
    const configs = options.visBackends ?? ['LocalVisBackend', 'TensorboardVisBackend'];
    for (const cfg of configs) {
      let backend: BaseVisBackend;
      if (cfg instanceof BaseVisBackend) backend = cfg;
      else {
        const c: VisBackendConfig = typeof cfg === 'string' ? { type: cfg } : cfg;
        const dir = c.saveDir ?? this.saveDir;
        if (dir === null) {
          getLogger().warning(`Visualizer: no saveDir, so ${c.type} is not created`);
          continue;
        }
        if (c.type === 'LocalVisBackend') backend = new LocalVisBackend(dir, c);
        else if (c.type === 'TensorboardVisBackend') backend = new TensorboardVisBackend(dir);
        else throw new Error(`Visualizer: unknown backend type ${(c as { type: string }).type}`);
      }
      let key = backend.name;
      for (let i = 1; this.visBackends.has(key); i++) key = `${backend.name}_${i}`;
      this.visBackends.set(key, backend);
    }
  }

  /** The instance named `name`, created with `options` on first use; it becomes the current one. */
  static getInstance(name: string, options: Omit<VisualizerOptions, 'name'> = {}): Visualizer {
    let v = instances.get(name);
    if (!v) {
      v = new Visualizer({ ...options, name });
      instances.set(name, v);
    }
    current = v;
    return v;
  }

  /** The most recently created or fetched instance made with getInstance, or a backend-less one. */
  static getCurrentInstance(): Visualizer {
    return current ?? Visualizer.getInstance('visualizer', { visBackends: [] });
  }

  getBackend(name: string): BaseVisBackend | undefined {
    return this.visBackends.get(name);
  }

  addScalar(name: string, value: ScalarValue, step = 0): void {
    for (const b of this.visBackends.values()) b.addScalar(name, value, step);
  }

  /** Writes `scalars` at `step` to every backend; `filePath` is an extra .json file for the local backend. */
  addScalars(scalars: ScalarDict, step = 0, filePath: string | null = null): void {
    for (const b of this.visBackends.values()) b.addScalars(scalars, step, filePath);
  }

  /**
   * Draws the curves of the local backend's scalars.json into a PNG (default
   * `<saveDir>/scalars.png`) and returns its path, or null when there is no scalars file.
   */
  plotScalars(pngPath?: string, options: PlotOptions = {}): string | null {
    const local = [...this.visBackends.values()].find((b): b is LocalVisBackend => b instanceof LocalVisBackend);
    if (!local) return null;
    const out = pngPath ?? join(local.saveDir, 'scalars.png');
    try {
      return plotScalars(local.scalarSaveFile, out, options).path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  /** Closes the backends (the event file), then draws scalars.png unless `plotOnClose` is false. */
  close(): void {
    for (const b of this.visBackends.values()) b.close();
    if (this.plotOnClose === false) return;
    try {
      this.plotScalars(typeof this.plotOnClose === 'string' ? this.plotOnClose : undefined, this.plotOptions);
    } catch (e) {
      getLogger().warning(`Visualizer: could not draw the scalar plot: ${(e as Error).message}`);
    }
  }
}
