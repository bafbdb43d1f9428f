// torch.profiler.profile over libtorch's Kineto profiler: start()/stop()/step() follow
// PyTorch's state machine (prepare on WARMUP, enable on RECORD, disable and hand the trace to
// onTraceReady after RECORD_AND_SAVE), and the results read as PyTorch's (events(),
// keyAverages(), Kineto's own Chrome trace).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type NativeProfiler, type NativeProfilerResult, native } from '../../binding.js';
import { EventList, type FunctionEvent, type FunctionEventAvg, type KeyAveragesOptions } from './events.js';
import { parseKinetoEvents } from './parse.js';
import { RecordFunction } from './record_function.js';
import { defaultSchedule, type ProfilerAction, type Schedule } from './schedule.js';

const profiler = native as unknown as NativeProfiler;

/** What a profiler records: CPU ops, and CUDA kernels and runtime calls. */
export const ProfilerActivity = { CPU: 'cpu', CUDA: 'cuda' } as const;
export type ProfilerActivity = (typeof ProfilerActivity)[keyof typeof ProfilerActivity];

/** The activities this build and machine can record: the CPU, and CUDA where it is available. */
export function supportedActivities(): ProfilerActivity[] {
  return native.cudaIsAvailable() ? ['cpu', 'cuda'] : ['cpu'];
}

export interface ProfileOptions {
  /** Default: supportedActivities(). */
  activities?: ProfilerActivity[];
  /** The action per step; without one every step from start() to stop() is recorded. */
  schedule?: Schedule;
  /** Called with the profiler when a recording cycle ends (RECORD_AND_SAVE, or stop()). */
  onTraceReady?: (prof: Profile) => void;
  /** Record the input shapes of every op. */
  recordShapes?: boolean;
  /** Record tensor allocations and frees. */
  profileMemory?: boolean;
  /** libtorch's stacks (TorchScript's; JavaScript frames are not recorded). */
  withStack?: boolean;
  /** Estimate the FLOPs of matrix multiplications and convolutions. */
  withFlops?: boolean;
}

const KNOWN = ['activities', 'schedule', 'onTraceReady', 'recordShapes', 'profileMemory', 'withStack', 'withFlops'];

function flag(options: Record<string, unknown>, key: string): boolean {
  const v = options[key];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new TypeError(`profile: ${key} must be a boolean, got ${typeof v}`);
  return v;
}

function parseActivities(value: unknown): ProfilerActivity[] {
  if (value === undefined) return supportedActivities();
  if (!Array.isArray(value)) throw new TypeError("profile: activities must be an array of 'cpu' or 'cuda'");
  const seen: ProfilerActivity[] = [];
  for (const a of value) {
    if (a !== 'cpu' && a !== 'cuda') {
      throw new TypeError(`profile: activities must be ProfilerActivity.CPU or .CUDA, got ${String(a)}`);
    }
    if (seen.includes(a)) throw new Error(`profile: Activity ${a} specified more than once`);
    seen.push(a);
  }
  if (seen.length === 0) throw new Error('profile: No valid profiler activities found');
  return seen;
}

/** The profiler that holds Kineto on this thread (prepared or recording); libtorch allows one. */
let owner: Profile | null = null;

type Step = 'prepare' | 'start' | 'stop' | 'ready';
// PyTorch's action map: what moving from one action to the next does (null: stop()).
const TRANSITIONS: Record<ProfilerAction, Partial<Record<ProfilerAction | 'exit', Step[]>>> = {
  NONE: { WARMUP: ['prepare'], RECORD: ['prepare', 'start'], RECORD_AND_SAVE: ['prepare', 'start'] },
  WARMUP: { NONE: ['start', 'stop'], RECORD: ['start'], RECORD_AND_SAVE: ['start'], exit: ['start', 'stop'] },
  RECORD: { NONE: ['stop'], WARMUP: ['stop'], exit: ['stop', 'ready'] },
  RECORD_AND_SAVE: {
    NONE: ['stop', 'ready'],
    WARMUP: ['stop', 'ready', 'prepare'],
    RECORD: ['stop', 'ready', 'prepare', 'start'],
    RECORD_AND_SAVE: ['stop', 'ready', 'prepare', 'start'],
    exit: ['stop', 'ready'],
  },
};
const BAD_SCHEDULE: Partial<Record<string, string>> = {
  'WARMUP>NONE': 'Incorrect schedule: WARMUP followed by NONE',
  'RECORD>NONE': 'Incorrect schedule: RECORD followed by NONE',
  'RECORD>WARMUP': 'Incorrect schedule: RECORD followed by WARMUP',
};

/** A profiler, as torch.profiler.profile; make one with profile(options). */
export class Profile {
  readonly activities: ProfilerActivity[];
  readonly schedule: Schedule;
  readonly onTraceReady: ((prof: Profile) => void) | null;
  readonly recordShapes: boolean;
  readonly profileMemory: boolean;
  readonly withStack: boolean;
  readonly withFlops: boolean;
  /** 'cuda' when CUDA is recorded: the tables then show device times. */
  readonly useDevice: 'cuda' | null;
  stepNum = 0;
  currentAction: ProfilerAction;
  private readonly recordSteps: boolean;
  private stepRange: RecordFunction | null = null;
  private prepared = false;
  private recording = false;
  private result: NativeProfilerResult | null = null;
  private parsed: EventList<FunctionEvent> | null = null;
  private trace: Buffer | null = null;

  constructor(options: ProfileOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new TypeError('profile: options must be an object');
    }
    const opts = options as Record<string, unknown>;
    for (const key of Object.keys(opts)) {
      if (!KNOWN.includes(key)) throw new TypeError(`profile: unknown option '${key}' (known: ${KNOWN.join(', ')})`);
    }
    this.activities = parseActivities(opts.activities);
    if (options.schedule !== undefined && typeof options.schedule !== 'function') {
      throw new TypeError('profile: schedule must be a function of the step (see torch.profiler.schedule)');
    }
    if (options.onTraceReady !== undefined && typeof options.onTraceReady !== 'function') {
      throw new TypeError('profile: onTraceReady must be a function of the profiler');
    }
    this.schedule = options.schedule ?? defaultSchedule;
    // Step ranges (ProfilerStep#n) mark the steps in the trace when a schedule splits them.
    this.recordSteps = options.schedule !== undefined;
    this.onTraceReady = options.onTraceReady ?? null;
    this.recordShapes = flag(opts, 'recordShapes');
    this.profileMemory = flag(opts, 'profileMemory');
    this.withStack = flag(opts, 'withStack');
    this.withFlops = flag(opts, 'withFlops');
    this.useDevice = this.activities.includes('cuda') ? 'cuda' : null;
    this.currentAction = this.action(0);
  }

  private action(step: number): ProfilerAction {
    const a = this.schedule(step);
    if (!Object.hasOwn(TRANSITIONS, a as string)) {
      throw new Error(`profile: the schedule returned ${String(a)} for step ${step}; expected a ProfilerAction`);
    }
    return a;
  }

  /** Begins profiling (the schedule's first action); returns the profiler, for `using`. */
  start(): this {
    this.transit('NONE', this.currentAction);
    if (this.recordSteps) this.stepRange = new RecordFunction(`ProfilerStep#${this.stepNum}`);
    return this;
  }

  /** Ends profiling; the last cycle's trace goes to onTraceReady. Stopping again does nothing. */
  stop(): void {
    this.stepRange?.exit();
    this.stepRange = null;
    if (!this.prepared && !this.recording) return;
    this.transit(this.currentAction, 'exit');
  }

  /** Marks the start of the next step, as the schedule counts them. */
  step(): void {
    this.stepRange?.exit();
    this.stepRange = null;
    const previous = this.currentAction;
    const next = this.action(this.stepNum + 1);
    this.stepNum++;
    this.currentAction = next;
    this.transit(previous, next);
    if (this.recordSteps) this.stepRange = new RecordFunction(`ProfilerStep#${this.stepNum}`);
  }

  [Symbol.dispose](): void {
    this.stop();
  }

  private transit(from: ProfilerAction, to: ProfilerAction | 'exit'): void {
    const warning = BAD_SCHEDULE[`${from}>${to}`];
    if (warning) process.emitWarning(warning, 'UserWarning');
    for (const s of TRANSITIONS[from][to] ?? []) {
      if (s === 'prepare') this.prepareTrace();
      else if (s === 'start') this.startTrace();
      else if (s === 'stop') this.stopTrace();
      else this.onTraceReady?.(this);
    }
  }

  private args(): Parameters<NativeProfiler['profilerEnable']> {
    return [this.activities, this.recordShapes, this.profileMemory, this.withStack, this.withFlops];
  }

  private claim(what: string): void {
    if (owner !== null && owner !== this)
      throw new Error(`profile.${what}: Profiler is already enabled on this thread.`);
  }

  private prepareTrace(): void {
    this.claim('start');
    profiler.profilerPrepare(...this.args());
    owner = this;
    this.prepared = true;
  }

  private startTrace(): void {
    this.claim('start');
    profiler.profilerEnable(...this.args());
    owner = this;
    this.recording = true;
  }

  private stopTrace(): void {
    if (!this.recording) {
      this.prepared = false;
      if (owner === this) owner = null;
      return;
    }
    // Kernels still queued would be missing from the trace.
    if (this.useDevice === 'cuda' && native.cudaIsAvailable()) native.cudaSynchronize();
    this.recording = false;
    this.prepared = false;
    if (owner === this) owner = null;
    this.result = profiler.profilerDisable();
    this.parsed = null;
    this.trace = null;
  }

  private assertUsed(what: string): void {
    if (this.result === null && !this.prepared && !this.recording) {
      throw new Error(`profile.${what}: the profiler has not run yet (call start() and stop() first)`);
    }
  }

  /** The events of the last recorded cycle, unaggregated (empty while it is recording). */
  events(): EventList<FunctionEvent> {
    this.assertUsed('events');
    if (this.parsed === null) {
      const list = EventList.fromEvents(
        this.result ? parseKinetoEvents(profiler.profilerEvents(this.result).events, this.useDevice) : [],
        { useDevice: this.useDevice, profileMemory: this.profileMemory, withFlops: this.withFlops },
      );
      list.buildTree();
      // A cycle still recording has no result yet: parse again once it has one.
      if (this.result === null) return list;
      this.parsed = list;
    }
    return this.parsed;
  }

  /** The events summed per op name (and input shapes, with groupByInputShape). */
  keyAverages(options?: KeyAveragesOptions): EventList<FunctionEventAvg> {
    return this.events().keyAverages(options);
  }

  /** Writes the last recorded cycle as a Chrome trace (JSON; gzipped when `path` ends in .gz). */
  exportChromeTrace(path: string): void {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('exportChromeTrace: path must be a string');
    const trace = this.chromeTrace();
    try {
      writeFileSync(path, path.endsWith('.gz') ? gzipSync(trace) : trace);
    } catch (e) {
      throw new Error(`exportChromeTrace: could not write ${path}: ${(e as Error).message}`, { cause: e });
    }
  }

  // Kineto writes a result's trace once ("Trace is already saved" after): keep its bytes, so that
  // a trace handler and an explicit export may both write it, as MMEngine's hook does.
  private chromeTrace(): Buffer {
    if (this.trace) return this.trace;
    if (this.result === null) {
      throw new Error('exportChromeTrace: no trace recorded yet (the profiler must record a cycle and stop first)');
    }
    const dir = mkdtempSync(join(tmpdir(), 'torch-node-trace-'));
    try {
      const file = join(dir, 'trace.json');
      profiler.profilerSave(this.result, file);
      if (!existsSync(file)) throw new Error('exportChromeTrace: Kineto wrote no trace');
      this.trace = readFileSync(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return this.trace;
  }
}

/**
 * A profiler, as torch.profiler.profile. With `fn`, runs it between start() and stop() and
 * returns the profiler (a Promise of it when fn is async); without, returns it unstarted:
 * `using prof = profile(options).start()`.
 */
export function profile(options?: ProfileOptions): Profile;
export function profile(options: ProfileOptions | undefined, fn: () => Promise<unknown>): Promise<Profile>;
export function profile(options: ProfileOptions | undefined, fn: () => unknown): Profile;
export function profile(options?: ProfileOptions, fn?: () => unknown): Profile | Promise<Profile> {
  const prof = new Profile(options);
  if (fn === undefined) return prof;
  if (typeof fn !== 'function') throw new TypeError(`profile: fn must be a function, got ${typeof fn}`);
  prof.start();
  let result: unknown;
  try {
    result = fn();
  } catch (e) {
    prof.stop();
    throw e;
  }
  if (result instanceof Promise) return result.then(() => prof).finally(() => prof.stop());
  prof.stop();
  return prof;
}

export interface TensorboardTraceHandlerOptions {
  /** Unique per worker; default `<hostname>_<pid>`. */
  workerName?: string;
  useGzip?: boolean;
}

/** An onTraceReady that writes each cycle's trace into `dirName`, where TensorBoard's profiler plugin reads it. */
export function tensorboardTraceHandler(
  dirName: string,
  options?: TensorboardTraceHandlerOptions,
): (prof: Profile) => void {
  if (typeof dirName !== 'string' || dirName.length === 0) {
    throw new TypeError('tensorboardTraceHandler: dirName must be a string');
  }
  return (prof) => {
    try {
      mkdirSync(dirName, { recursive: true });
    } catch (e) {
      throw new Error(`Can't create directory: ${dirName}`, { cause: e });
    }
    const worker = options?.workerName || `${hostname()}_${process.pid}`;
    // Nanoseconds, so that cycles in the same millisecond get files of their own.
    const ns = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    const file = `${worker}.${ns}.pt.trace.json${options?.useGzip ? '.gz' : ''}`;
    prof.exportChromeTrace(join(dirName, file));
  };
}
