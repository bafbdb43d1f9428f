// libtorch's KinetoEvents into FunctionEvents, as Python's profile._parse_kineto_results: memory
// records are charged to the CPU events whose span holds them, device kernels to the CPU op that
// launched them, and utility ops that Python's binding makes are left out.
import type { NativeProfilerEvent } from '../../binding.js';
import { deviceTypeName, FunctionEvent } from './events.js';

const MEMORY_EVENT = '[memory]';
const OUT_OF_MEMORY_EVENT = '[OutOfMemory]';
const FILTERED = new Set([
  MEMORY_EVENT,
  OUT_OF_MEMORY_EVENT,
  'profiler::_record_function_enter',
  'profiler::_record_function_enter_new',
  'profiler::_record_function_exit',
  'aten::is_leaf',
  'aten::output_nr',
  'aten::_version',
]);
// libkineto::ActivityType's user annotations (CPU and GPU side).
const USER_ANNOTATIONS = new Set([1, 2]);
const CPU_MEMORY = new Set(['cpu', 'mkldnn', 'ideep']);
const DEVICE_MEMORY = new Set(['cuda', 'privateuseone', 'hip', 'xpu']);

/** ProfilerStep#3 reads ProfilerStep* in tables, so that the steps sum into one row. */
export function rewriteName(name: string, withWildcard: boolean): string {
  return withWildcard && name.startsWith('ProfilerStep#') ? 'ProfilerStep*' : name;
}

function firstAtOrAfter(sorted: number[], value: number, strict: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < value || (strict && sorted[mid] === value)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function parseKinetoEvents(events: NativeProfilerEvent[], useDevice: string | null): FunctionEvent[] {
  const memory = events.filter((e) => e.name === MEMORY_EVENT).map((record) => ({ record, used: false }));
  const byStart = [...memory].sort((a, b) => a.record.startNs - b.record.startNs);
  const memoryStarts = byStart.map((m) => m.record.startNs);
  const cpuBytes = (r: NativeProfilerEvent) => (CPU_MEMORY.has(deviceTypeName(r.deviceType)) ? r.nBytes : 0);
  const deviceBytes = (r: NativeProfilerEvent) => (DEVICE_MEMORY.has(deviceTypeName(r.deviceType)) ? r.nBytes : 0);

  const all: FunctionEvent[] = [];
  const frontend: FunctionEvent[] = [];
  const byCorrelation = new Map<number, FunctionEvent[]>();
  let maxId = 0;
  for (const k of events) {
    if (FILTERED.has(k.name) || k.isHidden) continue;
    const deviceType = deviceTypeName(k.deviceType);
    let cpuMemoryUsage = 0;
    let deviceMemoryUsage = 0;
    if (deviceType === 'cpu') {
      const from = firstAtOrAfter(memoryStarts, k.startNs, false);
      const to = firstAtOrAfter(memoryStarts, k.endNs, true);
      for (let i = from; i < to; i++) {
        const m = byStart[i] as { record: NativeProfilerEvent; used: boolean };
        cpuMemoryUsage += cpuBytes(m.record);
        deviceMemoryUsage += deviceBytes(m.record);
        m.used = true;
      }
    }
    const fe = new FunctionEvent({
      id: k.correlationId,
      name: rewriteName(k.name, true),
      overloadName: k.overloadName,
      traceName: rewriteName(k.name, false),
      thread: k.thread,
      startUs: k.startNs / 1000,
      endUs: k.endNs / 1000,
      fwdThread: k.fwdThread,
      inputShapes: k.shapes,
      inputDtypes: k.dtypes,
      stack: k.stack,
      scope: k.scope,
      useDevice,
      cpuMemoryUsage,
      deviceMemoryUsage,
      isAsync: k.isAsync || k.thread !== k.endThread,
      sequenceNr: k.sequenceNr,
      deviceType,
      deviceIndex: k.deviceIndex,
      deviceResourceId: k.deviceResourceId,
      flops: k.flops,
      isUserAnnotation: USER_ANNOTATIONS.has(k.activityType),
      activityType: k.activityType,
      correlationId: k.correlationId,
      linkedCorrelationId: k.linkedCorrelationId,
    });
    maxId = Math.max(maxId, fe.id);
    all.push(fe);
    const linked = k.linkedCorrelationId;
    if (linked > 0) {
      const list = byCorrelation.get(linked);
      if (list) list.push(fe);
      else byCorrelation.set(linked, [fe]);
    } else if (linked === 0) frontend.push(fe);
  }

  // Kernels and runtime calls linked to the CPU op that launched them.
  for (const fe of frontend) {
    if (fe.deviceType !== 'cpu' || fe.isAsync) continue;
    for (const linked of byCorrelation.get(fe.id) ?? []) {
      if (linked.deviceType === 'cuda' || linked.deviceType === 'privateuseone' || linked.deviceType === 'xpu') {
        fe.appendKernel(linked.name, linked.deviceIndex, linked.timeRange.elapsedUs());
      } else if (linked.deviceType === 'cpu') {
        // A runtime call belongs to its launching op's thread, for the parent links.
        linked.thread = fe.thread;
      }
    }
  }

  // Allocations outside every op, and out-of-memory events, as instants of their own.
  const instant = (r: NativeProfilerEvent) =>
    new FunctionEvent({
      id: ++maxId,
      name: r.name,
      traceName: null,
      thread: r.thread,
      startUs: r.startNs / 1000,
      endUs: r.startNs / 1000,
      fwdThread: r.thread,
      useDevice,
      cpuMemoryUsage: cpuBytes(r),
      deviceMemoryUsage: deviceBytes(r),
      deviceType: 'cpu',
    });
  for (const m of memory) if (!m.used) all.push(instant(m.record));
  for (const r of events) if (r.name === OUT_OF_MEMORY_EVENT) all.push(instant(r));

  return all.sort((a, b) => a.timeRange.start - b.timeRange.start || b.timeRange.end - a.timeRange.end);
}
