// torch.profiler.schedule: which action the profiler takes at each step, as PyTorch's (skip the
// first `skipFirst` steps, then cycles of `wait` idle, `warmup` prepared, `active` recorded steps,
// the last active step of a cycle handing the trace to onTraceReady).

/** PyTorch's ProfilerAction; the strings are its member names. */
export const ProfilerAction = {
  NONE: 'NONE',
  WARMUP: 'WARMUP',
  RECORD: 'RECORD',
  RECORD_AND_SAVE: 'RECORD_AND_SAVE',
} as const;
export type ProfilerAction = (typeof ProfilerAction)[keyof typeof ProfilerAction];

/** What a profiler's `schedule` is: the action for a step (counted from 0). */
export type Schedule = (step: number) => ProfilerAction;

export interface ScheduleOptions {
  wait: number;
  warmup: number;
  active: number;
  /** Cycles to run; 0 (default) repeats until profiling ends. */
  repeat?: number;
  /** Steps skipped before the first cycle (default 0). */
  skipFirst?: number;
  /** Non-zero: the first cycle starts without its `wait` steps (default 0). */
  skipFirstWait?: number;
}

const KNOWN = ['wait', 'warmup', 'active', 'repeat', 'skipFirst', 'skipFirstWait'];

function count(options: Record<string, unknown>, key: string, fallback?: number): number {
  const v = options[key] ?? fallback;
  if (v === undefined) throw new TypeError(`schedule: ${key} is required`);
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new TypeError(`schedule: ${key} must be an integer, got ${typeof v === 'number' ? v : typeof v}`);
  }
  return v;
}

/** A schedule for `profile({schedule})`, as torch.profiler.schedule. */
export function schedule(options: ScheduleOptions): Schedule {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('schedule: options must be an object ({wait, warmup, active, repeat, skipFirst})');
  }
  const opts = options as unknown as Record<string, unknown>;
  for (const key of Object.keys(opts)) {
    if (!KNOWN.includes(key)) throw new TypeError(`schedule: unknown option '${key}' (known: ${KNOWN.join(', ')})`);
  }
  const wait = count(opts, 'wait');
  const warmup = count(opts, 'warmup');
  const active = count(opts, 'active');
  const repeat = count(opts, 'repeat', 0);
  const skipFirst = count(opts, 'skipFirst', 0);
  const skipFirstWait = count(opts, 'skipFirstWait', 0);
  if (wait < 0 || warmup < 0 || active <= 0 || repeat < 0 || skipFirst < 0) {
    throw new RangeError(
      `Invalid profiler schedule arguments. Got wait=${wait} (need >= 0), warmup=${warmup} (need >= 0), ` +
        `active=${active} (need > 0), repeat=${repeat} (need >= 0), skipFirst=${skipFirst} (need >= 0).`,
    );
  }
  if (warmup === 0) {
    process.emitWarning("Profiler won't be using warmup, this can skew profiler results", 'UserWarning');
  }
  const numSteps = wait + warmup + active;
  return (step: number): ProfilerAction => {
    if (!Number.isInteger(step) || step < 0) throw new RangeError(`Step must be non-negative. Got ${step}.`);
    if (step < skipFirst) return ProfilerAction.NONE;
    let s = step - skipFirst;
    // Shifting by `wait` starts the first cycle at its warmup.
    if (skipFirstWait !== 0) s += wait;
    if (repeat > 0 && s / numSteps >= repeat) return ProfilerAction.NONE;
    const mod = s % numSteps;
    if (mod < wait) return ProfilerAction.NONE;
    if (mod < wait + warmup) return ProfilerAction.WARMUP;
    return mod < numSteps - 1 ? ProfilerAction.RECORD : ProfilerAction.RECORD_AND_SAVE;
  };
}

/** Without a schedule the profiler records every step, from start() to stop(). */
export const defaultSchedule: Schedule = () => ProfilerAction.RECORD;
