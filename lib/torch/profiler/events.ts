// The profiler's events as PyTorch's profiler_util shapes them: FunctionEvent (one op or range),
// FunctionEventAvg (events of one key summed) and EventList (a list of either, with the parent
// and child links between CPU events that give each its self time).
import { buildTable, type TableOptions } from './table.js';

/** c10::DeviceType's names, lower case as this library spells devices. */
const DEVICE_TYPES = [
  'cpu',
  'cuda',
  'mkldnn',
  'opengl',
  'opencl',
  'ideep',
  'hip',
  'fpga',
  'maia',
  'xla',
  'vulkan',
  'metal',
  'xpu',
  'mps',
  'meta',
  'hpu',
  've',
  'lazy',
  'ipu',
  'mtia',
  'privateuseone',
];
export function deviceTypeName(code: number): string {
  return DEVICE_TYPES[code] ?? `device${code}`;
}
/** Devices whose time and memory the tables count as the profiled accelerator's. */
export const ACCELERATORS = new Set(['cuda', 'privateuseone', 'mtia', 'hpu', 'xpu']);

export interface Kernel {
  name: string;
  device: number;
  duration: number;
}

/** A span in µs from the trace's start. */
export class Interval {
  constructor(
    public start: number,
    public end: number,
  ) {}
  elapsedUs(): number {
    return this.end - this.start;
  }
}

export function formatTime(us: number): string {
  if (us >= 1e6) return `${(us / 1e6).toFixed(3)}s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(3)}ms`;
  return `${us.toFixed(3)}us`;
}

/** What FunctionEvent and FunctionEventAvg share, the table's view of a row. */
export abstract class EventStats {
  abstract readonly key: string;
  abstract count: number;
  abstract readonly cpuTimeTotal: number;
  abstract readonly deviceTimeTotal: number;
  abstract readonly selfCpuTimeTotal: number;
  abstract readonly selfDeviceTimeTotal: number;
  abstract readonly cpuMemoryUsage: number;
  abstract readonly deviceMemoryUsage: number;
  abstract readonly selfCpuMemoryUsage: number;
  abstract readonly selfDeviceMemoryUsage: number;
  abstract nodeId: number;
  abstract isAsync: boolean;
  abstract isLegacy: boolean;
  abstract isUserAnnotation: boolean;
  abstract deviceType: string;
  abstract useDevice: string | null;
  abstract inputShapes: number[][];
  abstract overloadName: string;
  abstract stack: string[];
  abstract flops: number;
  abstract cpuParent: FunctionEvent | null;
  abstract cpuChildren: FunctionEvent[];
  abstract isRemote: boolean;
  abstract scope: number;

  /** Average CPU time per call, µs. */
  get cpuTime(): number {
    return this.count === 0 ? 0 : this.cpuTimeTotal / this.count;
  }
  get deviceTime(): number {
    return this.count === 0 ? 0 : this.deviceTimeTotal / this.count;
  }
  /** PyTorch's name for deviceTime. */
  get cudaTime(): number {
    return this.deviceTime;
  }
  get cudaTimeTotal(): number {
    return this.deviceTimeTotal;
  }
  get selfCudaTimeTotal(): number {
    return this.selfDeviceTimeTotal;
  }
  get cpuTimeStr(): string {
    return formatTime(this.cpuTime);
  }
  get deviceTimeStr(): string {
    return formatTime(this.deviceTime);
  }
  get cpuTimeTotalStr(): string {
    return formatTime(this.cpuTimeTotal);
  }
  get deviceTimeTotalStr(): string {
    return formatTime(this.deviceTimeTotal);
  }
  get selfCpuTimeTotalStr(): string {
    return formatTime(this.selfCpuTimeTotal);
  }
  get selfDeviceTimeTotalStr(): string {
    return formatTime(this.selfDeviceTimeTotal);
  }
}

export interface FunctionEventInit {
  id: number;
  name: string;
  thread: number;
  startUs: number;
  endUs: number;
  overloadName?: string;
  traceName?: string | null;
  fwdThread?: number;
  inputShapes?: number[][];
  inputDtypes?: string[];
  stack?: string[];
  scope?: number;
  useDevice?: string | null;
  cpuMemoryUsage?: number;
  deviceMemoryUsage?: number;
  isAsync?: boolean;
  sequenceNr?: number;
  deviceType?: string;
  deviceIndex?: number;
  deviceResourceId?: number;
  flops?: number;
  isUserAnnotation?: boolean;
  activityType?: number;
  correlationId?: number;
  linkedCorrelationId?: number;
}

/** One op, range or memory event, as PyTorch's FunctionEvent. Times are µs from the trace's start. */
export class FunctionEvent extends EventStats {
  id: number;
  nodeId = -1;
  name: string;
  overloadName: string;
  /** The name in the trace: ProfilerStep#3 where `name` says ProfilerStep*. */
  traceName: string | null;
  timeRange: Interval;
  thread: number;
  fwdThread: number;
  kernels: Kernel[] = [];
  count = 1;
  cpuChildren: FunctionEvent[] = [];
  cpuParent: FunctionEvent | null = null;
  inputShapes: number[][];
  inputDtypes: string[];
  stack: string[];
  scope: number;
  useDevice: string | null;
  cpuMemoryUsage: number;
  deviceMemoryUsage: number;
  isAsync: boolean;
  isRemote = false;
  sequenceNr: number;
  deviceType: string;
  deviceIndex: number;
  deviceResourceId: number;
  isLegacy = false;
  flops: number;
  isUserAnnotation: boolean;
  activityType: number;
  linkedCorrelationId: number;

  constructor(init: FunctionEventInit) {
    super();
    this.id = init.id;
    this.name = init.name;
    this.overloadName = init.overloadName ?? '';
    this.traceName = init.traceName === undefined ? null : init.traceName;
    this.timeRange = new Interval(init.startUs, init.endUs);
    this.thread = init.thread;
    this.fwdThread = init.fwdThread ?? init.thread;
    this.inputShapes = init.inputShapes ?? [];
    this.inputDtypes = init.inputDtypes ?? [];
    this.stack = init.stack ?? [];
    this.scope = init.scope ?? 0;
    this.useDevice = init.useDevice ?? null;
    this.cpuMemoryUsage = init.cpuMemoryUsage ?? 0;
    this.deviceMemoryUsage = init.deviceMemoryUsage ?? 0;
    this.isAsync = init.isAsync ?? false;
    this.sequenceNr = init.sequenceNr ?? -1;
    this.deviceType = init.deviceType ?? 'cpu';
    this.deviceIndex = init.deviceIndex ?? 0;
    this.deviceResourceId = init.deviceResourceId ?? init.thread;
    this.flops = init.flops ?? 0;
    this.isUserAnnotation = init.isUserAnnotation ?? false;
    this.activityType = init.activityType ?? 0;
    this.linkedCorrelationId = init.linkedCorrelationId ?? 0;
  }

  get key(): string {
    return this.name;
  }

  appendKernel(name: string, device: number, duration: number): void {
    this.kernels.push({ name, device, duration });
  }

  get cpuTimeTotal(): number {
    return this.deviceType === 'cpu' ? this.timeRange.elapsedUs() : 0;
  }

  // Async events have no children and count only their total: they are not nested in others.
  get selfCpuTimeTotal(): number {
    if (this.isAsync || this.deviceType !== 'cpu') return 0;
    return this.cpuChildren.reduce((t, c) => t - c.cpuTimeTotal, this.cpuTimeTotal);
  }

  get deviceTimeTotal(): number {
    if (this.isAsync || !this.useDevice) return 0;
    if (this.deviceType === 'cpu') {
      const own = this.kernels.reduce((t, k) => t + k.duration, 0);
      return this.isLegacy ? own : this.cpuChildren.reduce((t, c) => t + c.deviceTimeTotal, own);
    }
    return this.timeRange.elapsedUs();
  }

  get selfDeviceTimeTotal(): number {
    if (this.isAsync || !this.useDevice) return 0;
    if (this.deviceType === 'cpu') {
      return this.cpuChildren.reduce((t, c) => t - c.deviceTimeTotal, this.deviceTimeTotal);
    }
    return this.deviceTimeTotal;
  }

  get selfCpuMemoryUsage(): number {
    if (this.isAsync || this.deviceType !== 'cpu') return 0;
    return this.cpuChildren.reduce((t, c) => t - c.cpuMemoryUsage, this.cpuMemoryUsage);
  }

  get selfDeviceMemoryUsage(): number {
    if (this.isAsync || this.deviceType !== 'cpu') return 0;
    return this.cpuChildren.reduce((t, c) => t - c.deviceMemoryUsage, this.deviceMemoryUsage);
  }
}

/** Events of one key summed, as PyTorch's FunctionEventAvg; its fields are totals over them. */
export class FunctionEventAvg extends EventStats {
  key = '';
  count = 0;
  nodeId = 0;
  isAsync = false;
  isRemote = false;
  useDevice: string | null = null;
  cpuTimeTotal = 0;
  deviceTimeTotal = 0;
  selfCpuTimeTotal = 0;
  selfDeviceTimeTotal = 0;
  inputShapes: number[][] = [];
  overloadName = '';
  stack: string[] = [];
  scope = 0;
  cpuMemoryUsage = 0;
  deviceMemoryUsage = 0;
  selfCpuMemoryUsage = 0;
  selfDeviceMemoryUsage = 0;
  cpuChildren: FunctionEvent[] = [];
  cpuParent: FunctionEvent | null = null;
  deviceType = 'cpu';
  isLegacy = false;
  isUserAnnotation = false;
  flops = 0;
  private started = false;

  add(other: EventStats): this {
    if (!this.started) {
      // The first event gives the fields that are not sums.
      this.started = true;
      this.key = other.key;
      this.nodeId = other.nodeId;
      this.isAsync = other.isAsync;
      this.isRemote = other.isRemote;
      this.cpuParent = other.cpuParent;
      this.cpuChildren = other.cpuChildren;
      this.overloadName = other.overloadName;
      this.inputShapes = other.inputShapes;
      this.stack = other.stack;
      this.scope = other.scope;
      this.deviceType = other.deviceType;
      this.isLegacy = other.isLegacy;
      this.useDevice = other.useDevice;
      this.isUserAnnotation = other.isUserAnnotation;
    } else if (other.key !== this.key) {
      throw new Error(`FunctionEventAvg.add: expected keys to match, but got ${other.key} vs ${this.key}`);
    }
    this.cpuTimeTotal += other.cpuTimeTotal;
    this.deviceTimeTotal += other.deviceTimeTotal;
    this.selfCpuTimeTotal += other.selfCpuTimeTotal;
    this.selfDeviceTimeTotal += other.selfDeviceTimeTotal;
    this.cpuMemoryUsage += other.cpuMemoryUsage;
    this.deviceMemoryUsage += other.deviceMemoryUsage;
    this.selfCpuMemoryUsage += other.selfCpuMemoryUsage;
    this.selfDeviceMemoryUsage += other.selfDeviceMemoryUsage;
    this.count += other.count;
    this.flops += other.flops;
    return this;
  }
}

export interface KeyAveragesOptions {
  /** Group by (name, input shapes) rather than by name (needs recordShapes). */
  groupByInputShape?: boolean;
  /** Group by the first n stack entries too (needs withStack). */
  groupByStackN?: number;
  /** Tell overloads apart (aten::add.Tensor from aten::add.out). */
  groupByOverloadName?: boolean;
}

export interface EventListOptions {
  useDevice?: string | null;
  profileMemory?: boolean;
  withFlops?: boolean;
}

/** Python's str() of a list of int lists: `[[2, 4], [3]]`. */
export function shapesString(shapes: number[][]): string {
  return `[${shapes.map((s) => `[${s.join(', ')}]`).join(', ')}]`;
}

/** A list of events with PyTorch's EventList methods (it is an Array: index it, iterate it). */
export class EventList<T extends EventStats = FunctionEvent> extends Array<T> {
  useDevice: string | null = null;
  profileMemory = false;
  withFlops = false;
  private treeBuilt = false;

  // map/filter/slice give plain arrays: an EventList's flags would not carry over.
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  static fromEvents<E extends EventStats>(events: Iterable<E>, options?: EventListOptions): EventList<E> {
    const list = new EventList<E>();
    for (const e of events) list.push(e);
    list.useDevice = options?.useDevice ?? null;
    list.profileMemory = options?.profileMemory ?? false;
    list.withFlops = options?.withFlops ?? false;
    return list;
  }

  /** @internal Links parents and children (the events must be FunctionEvents). */
  buildTree(): void {
    const events = this as unknown as EventList<FunctionEvent>;
    populateCpuChildren(events);
    removeDuplicateNodes(events);
    setBackwardStacks(events);
    this.treeBuilt = true;
  }

  get selfCpuTimeTotal(): number {
    let total = 0;
    for (const e of this) total += e.selfCpuTimeTotal;
    return total;
  }

  /** The events summed per key (name, and optionally input shapes, stack, overload), in first-seen order. */
  keyAverages(options?: KeyAveragesOptions): EventList<FunctionEventAvg> {
    if (!this.treeBuilt) throw new Error('keyAverages: expected the tree to be built first');
    const byShape = options?.groupByInputShape ?? false;
    const stackN = options?.groupByStackN ?? 0;
    const byOverload = options?.groupByOverloadName ?? false;
    const stats = new Map<string, FunctionEventAvg>();
    for (const e of this) {
      const parts = [e.key, e.nodeId, e.deviceType, e.isLegacy, e.isUserAnnotation].map(String);
      if (byOverload) parts.push(e.overloadName);
      if (byShape) parts.push(shapesString(e.inputShapes));
      if (stackN > 0) parts.push(...e.stack.slice(0, stackN));
      const key = JSON.stringify(parts);
      let avg = stats.get(key);
      if (!avg) {
        avg = new FunctionEventAvg();
        stats.set(key, avg);
      }
      avg.add(e);
    }
    const list = EventList.fromEvents(stats.values(), this);
    for (const avg of list) {
      avg.stack = avg.stack.slice(0, stackN);
      if (!byShape) avg.inputShapes = [];
      if (!byOverload) avg.overloadName = '';
    }
    list.treeBuilt = true;
    return list;
  }

  /** Every event summed into one, keyed 'Total' (sums, not averages). */
  totalAverage(): FunctionEventAvg {
    const total = new FunctionEventAvg();
    for (const e of this) {
      total.add(e);
      total.key = '';
    }
    total.key = 'Total';
    return total;
  }

  /** PyTorch's profiler table of these events. */
  table(options?: TableOptions): string {
    return buildTable(this, { profileMemory: this.profileMemory, withFlops: this.withFlops, ...options });
  }

  override toString(): string {
    return this.table();
  }
}

/**
 * Each CPU event's parent: the innermost event of its thread whose span holds it. Async events
 * (begun and ended on different threads) stay out of the tree.
 */
function populateCpuChildren(events: EventList<FunctionEvent>): void {
  const byThread = new Map<string, FunctionEvent[]>();
  for (const e of events) {
    if (e.isAsync || e.deviceType !== 'cpu') continue;
    const key = `${e.thread}:${e.nodeId}`;
    const list = byThread.get(key);
    if (list) list.push(e);
    else byThread.set(key, [e]);
  }
  for (const list of byThread.values()) {
    list.sort((a, b) => a.timeRange.start - b.timeRange.start || b.timeRange.end - a.timeRange.end);
    const open: FunctionEvent[] = [];
    for (const e of list) {
      while (open.length > 0) {
        const parent = open[open.length - 1] as FunctionEvent;
        if (e.timeRange.start >= parent.timeRange.end || e.timeRange.end > parent.timeRange.end) {
          open.pop();
        } else {
          parent.cpuChildren.push(e);
          e.cpuParent = parent;
          break;
        }
      }
      open.push(e);
    }
  }
}

/** An event that is its parent's only child and has its name is folded into the parent. */
function removeDuplicateNodes(events: EventList<FunctionEvent>): void {
  for (;;) {
    const drop = new Set<FunctionEvent>();
    for (const e of events) {
      const p = e.cpuParent;
      if (p && p.name === e.name && p.cpuChildren.length === 1) {
        p.cpuChildren = e.cpuChildren;
        p.kernels = e.kernels;
        for (const c of e.cpuChildren) c.cpuParent = p;
        drop.add(e);
      }
    }
    if (drop.size === 0) return;
    const kept = events.filter((e) => !drop.has(e));
    events.length = 0;
    events.push(...kept);
  }
}

/** Events under a backward function take the stack of the forward op that made it. */
function setBackwardStacks(events: EventList<FunctionEvent>): void {
  const backwardParent = (e: FunctionEvent | null): FunctionEvent | null => {
    for (let p = e; p; p = p.cpuParent) if (p.scope === 1) return p;
    return null;
  };
  const forward = new Map<string, string[]>();
  for (const e of events) {
    if (backwardParent(e) !== null) continue;
    const key = `${e.sequenceNr}:${e.thread}`;
    if (!forward.has(key)) forward.set(key, e.stack);
  }
  for (const e of events) {
    const p = backwardParent(e);
    if (p) e.stack = forward.get(`${p.sequenceNr}:${p.fwdThread}`) ?? [];
  }
}
