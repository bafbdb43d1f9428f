// Profiles the first iterations (or the first epoch) of training with torch.profiler, as
// MMEngine's ProfilerHook: the profiler starts before the run, steps after each training
// iteration, and stops after `profileTimes` iterations (byEpoch false) or after the first epoch;
// then the trace goes to onTraceReady (a logged table, TensorBoard trace files, or a function)
// and, with jsonTracePath, to a Chrome trace file.
import { isAbsolute, join } from 'node:path';
import {
  type Profile,
  type ProfilerActivity,
  profile,
  type ScheduleOptions,
  schedule,
  type TableOptions,
  tensorboardTraceHandler,
} from '../../torch/profiler/index.js';
import type { Runner } from '../runner/runner.js';
import { Hook, type Priority } from './hook.js';

/** onTraceReady as a config: the table logged, or trace files for TensorBoard's profiler plugin. */
export type TraceConfig =
  | ({ type: 'log_trace' } & Omit<TableOptions, 'profileMemory' | 'withFlops'>)
  | { type: 'tb_trace'; dirName?: string; workerName?: string; useGzip?: boolean };

export interface ProfilerHookOptions {
  /** Profile epochs (true, default) or iterations. */
  byEpoch?: boolean;
  /** Iterations profiled (byEpoch false), or epochs (byEpoch true: only 1). Default 1. */
  profileTimes?: number;
  /** Record CPU ops (default true). */
  activityWithCpu?: boolean;
  /** Record CUDA kernels (default false). */
  activityWithCuda?: boolean;
  /** A torch.profiler.schedule's options, counted in training iterations. */
  schedule?: ScheduleOptions | null;
  onTraceReady?: TraceConfig | ((prof: Profile) => void) | null;
  recordShapes?: boolean;
  profileMemory?: boolean;
  withStack?: boolean;
  withFlops?: boolean;
  /** Where to write the Chrome trace once profiling stops. */
  jsonTracePath?: string | null;
}

const OPTIONS = [
  'byEpoch',
  'profileTimes',
  'activityWithCpu',
  'activityWithCuda',
  'schedule',
  'onTraceReady',
  'recordShapes',
  'profileMemory',
  'withStack',
  'withFlops',
  'jsonTracePath',
];
const TABLE_OPTIONS = [
  'sortBy',
  'rowLimit',
  'maxSrcColumnWidth',
  'maxNameColumnWidth',
  'maxShapesColumnWidth',
  'header',
  'topLevelEventsOnly',
  'timeUnit',
];
const TB_OPTIONS = ['dirName', 'workerName', 'useGzip'];

function flag(options: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new TypeError(`ProfilerHook: \`${key}\` should be a boolean, got ${typeof v}`);
  return v;
}

export class ProfilerHook extends Hook {
  override priority: Priority = 'VERY_LOW';
  readonly byEpoch: boolean;
  readonly profileTimes: number;
  readonly activities: ProfilerActivity[];
  readonly schedule: ScheduleOptions | null;
  readonly onTraceReady: TraceConfig | ((prof: Profile) => void) | null;
  readonly recordShapes: boolean;
  readonly profileMemory: boolean;
  readonly withStack: boolean;
  readonly withFlops: boolean;
  readonly jsonTracePath: string | null;
  /** The profiler, from beforeRun on. */
  profiler: Profile | null = null;
  private closed = false;

  constructor(options?: ProfilerHookOptions) {
    super();
    if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
      throw new TypeError('ProfilerHook: options must be an object');
    }
    const opts = (options ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(opts)) {
      if (!OPTIONS.includes(key)) {
        throw new TypeError(`ProfilerHook: unknown option '${key}' (known: ${OPTIONS.join(', ')})`);
      }
    }
    this.byEpoch = flag(opts, 'byEpoch', true);
    const times = opts.profileTimes ?? 1;
    if (typeof times !== 'number' || !Number.isInteger(times)) {
      throw new TypeError(`ProfilerHook: \`profileTimes\` should be an integer, got ${String(times)}`);
    }
    if (times < 1) throw new RangeError(`ProfilerHook: profileTimes should be greater than 0, but got ${times}`);
    if (this.byEpoch && times > 1) {
      throw new RangeError(
        `ProfilerHook: Profiler will profile 0-${times} epochs.\n` +
          'Since profiler will slow down the training, it is recommended to train 1 epoch with ProfilerHook ' +
          'and adjust your setting according to the profiler summary.\n' +
          'During normal training(epoch > 1), you may disable the ProfilerHook.',
      );
    }
    this.profileTimes = times;
    this.activities = [];
    if (flag(opts, 'activityWithCpu', true)) this.activities.push('cpu');
    if (flag(opts, 'activityWithCuda', false)) this.activities.push('cuda');
    const sched = opts.schedule ?? null;
    if (sched !== null && (typeof sched !== 'object' || Array.isArray(sched))) {
      throw new TypeError('ProfilerHook: `schedule` should be an object ({wait, warmup, active, repeat, skipFirst})');
    }
    if (sched !== null) schedule(sched as ScheduleOptions); // checked now, not at the run's start
    this.schedule = sched as ScheduleOptions | null;
    const ready = opts.onTraceReady ?? null;
    if (ready !== null && typeof ready !== 'function' && (typeof ready !== 'object' || Array.isArray(ready))) {
      throw new TypeError(
        `ProfilerHook: \`onTraceReady\` should be a handler, or an object, or null, but got ${String(ready)}`,
      );
    }
    this.onTraceReady = ready as ProfilerHook['onTraceReady'];
    this.recordShapes = flag(opts, 'recordShapes', false);
    this.profileMemory = flag(opts, 'profileMemory', false);
    this.withStack = flag(opts, 'withStack', false);
    this.withFlops = flag(opts, 'withFlops', false);
    const json = opts.jsonTracePath ?? null;
    if (json !== null && typeof json !== 'string') {
      throw new TypeError(`ProfilerHook: \`jsonTracePath\` should be a string, got ${typeof json}`);
    }
    this.jsonTracePath = json;
  }

  override beforeRun(runner: Runner): void {
    const maxTimes = this.byEpoch ? runner.maxEpochs : runner.maxIters;
    if (maxTimes < this.profileTimes) {
      throw new RangeError(`ProfilerHook: \`profileTimes\` should not be greater than ${maxTimes}`);
    }
    const onTraceReady = this.traceHandler(runner);
    this.profiler = profile({
      activities: this.activities,
      ...(this.schedule ? { schedule: schedule(this.schedule) } : {}),
      ...(onTraceReady ? { onTraceReady } : {}),
      recordShapes: this.recordShapes,
      profileMemory: this.profileMemory,
      withStack: this.withStack,
      withFlops: this.withFlops,
    });
    this.closed = false;
    this.profiler.start();
    runner.logger.info('profiler is profiling...');
  }

  private traceHandler(runner: Runner): ((prof: Profile) => void) | null {
    const ready = this.onTraceReady;
    if (ready === null || typeof ready === 'function') return ready;
    const { type, ...rest } = ready as TraceConfig & Record<string, unknown>;
    const known = type === 'log_trace' ? TABLE_OPTIONS : type === 'tb_trace' ? TB_OPTIONS : null;
    if (known === null) {
      throw new Error(`ProfilerHook: trace_type should be "log_trace" or "tb_trace", but got ${String(type)}`);
    }
    for (const key of Object.keys(rest)) {
      if (!known.includes(key))
        throw new TypeError(`ProfilerHook: ${type}: unknown option '${key}' (known: ${known.join(', ')})`);
    }
    if (type === 'log_trace') {
      const tableOptions = rest as TableOptions;
      return (prof) => runner.logger.info(`\n${prof.keyAverages().table(tableOptions)}`);
    }
    const tb = rest as { dirName?: string; workerName?: string; useGzip?: boolean };
    const dirName =
      tb.dirName === undefined
        ? join(runner.logDir, 'tf_tracing_logs')
        : isAbsolute(tb.dirName)
          ? tb.dirName
          : join(runner.logDir, tb.dirName);
    runner.logger.info(`trace_files of ProfilerHook will be saved to ${dirName}.`);
    if (this.jsonTracePath !== null) {
      runner.logger.warning(
        'When using tensorboard_trace, it is recommended to save json files by setting `workerName` instead of setting `jsonTracePath`',
      );
    }
    return tensorboardTraceHandler(dirName, {
      ...(tb.workerName !== undefined ? { workerName: tb.workerName } : {}),
      ...(tb.useGzip !== undefined ? { useGzip: tb.useGzip } : {}),
    });
  }

  override afterTrainIter(runner: Runner): void {
    if (!this.closed) this.profiler?.step();
    if (!this.closed && !this.byEpoch && runner.iter === this.profileTimes - 1) this.exportTrace(runner);
  }

  // The iteration-based loop calls this too, once, at its end.
  override afterTrainEpoch(runner: Runner): void {
    if (!this.closed) this.exportTrace(runner);
  }

  // A run that ends early (an error in training, or a stop) must not leave the profiler holding
  // the thread's Kineto session.
  override afterRun(runner: Runner): void {
    if (!this.closed && this.profiler) this.exportTrace(runner);
  }

  private exportTrace(runner: Runner): void {
    this.closed = true;
    const prof = this.profiler;
    if (!prof) return;
    runner.logger.info('profiler may take a few minutes...');
    prof.stop();
    if (this.jsonTracePath === null) return;
    try {
      prof.exportChromeTrace(this.jsonTracePath);
    } catch (e) {
      if (!/no trace recorded/.test((e as Error).message)) throw e;
      runner.logger.warning(
        `ProfilerHook: no trace was recorded (see the schedule); ${this.jsonTracePath} not written`,
      );
    }
  }
}
