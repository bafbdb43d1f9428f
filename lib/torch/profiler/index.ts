// torch.profiler: where time goes in ops, per op and in a Chrome trace (libtorch's Kineto).
export {
  EventList,
  FunctionEvent,
  FunctionEventAvg,
  Interval,
  type Kernel,
  type KeyAveragesOptions,
} from './events.js';
export {
  Profile,
  type ProfileOptions,
  ProfilerActivity,
  profile,
  supportedActivities,
  type TensorboardTraceHandlerOptions,
  tensorboardTraceHandler,
} from './profile.js';
export { RecordFunction, recordFunction } from './record_function.js';
export { defaultSchedule, ProfilerAction, type Schedule, type ScheduleOptions, schedule } from './schedule.js';
export type { TableOptions, TimeUnit } from './table.js';
