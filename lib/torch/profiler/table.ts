// The profiler's summary table in PyTorch's layout (profiler_util._build_table): the same
// columns, widths, units and footer, so that tables from Python and from here read alike.
import { ACCELERATORS, type EventStats, formatTime, shapesString } from './events.js';

export type TimeUnit = 's' | 'ms' | 'us';

export interface TableOptions {
  /**
   * Sort rows by this, largest first: cpuTime, cudaTime (deviceTime), cpuTimeTotal,
   * cudaTimeTotal, selfCpuTimeTotal, selfCudaTimeTotal, cpuMemoryUsage, selfCpuMemoryUsage,
   * cudaMemoryUsage, selfCudaMemoryUsage, count, flops; PyTorch's snake_case names work too.
   * Without it, rows keep the events' order.
   */
  sortBy?: string;
  /** Rows shown (default 100); -1 shows all. */
  rowLimit?: number;
  maxSrcColumnWidth?: number;
  maxNameColumnWidth?: number;
  maxShapesColumnWidth?: number;
  /** A line printed above the table. */
  header?: string;
  /** Only events without a CPU parent. */
  topLevelEventsOnly?: boolean;
  /** One unit for every time instead of each its own. */
  timeUnit?: TimeUnit;
  /** Whether memory columns are shown (default: what the profiler recorded). */
  profileMemory?: boolean;
  /** Whether the FLOPs column is shown (default: what the profiler recorded). */
  withFlops?: boolean;
}

const SORT_KEYS = [
  'cpuTime',
  'deviceTime',
  'cpuTimeTotal',
  'deviceTimeTotal',
  'selfCpuTimeTotal',
  'selfDeviceTimeTotal',
  'cpuMemoryUsage',
  'deviceMemoryUsage',
  'selfCpuMemoryUsage',
  'selfDeviceMemoryUsage',
  'count',
  'flops',
] as const;
type SortKey = (typeof SORT_KEYS)[number];

function sortKey(sortBy: string): SortKey {
  const camel = sortBy.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  // As PyTorch, a cuda/xpu/privateuse1 metric is the device's.
  const key = camel.replace(/Cuda|Xpu|Privateuse1/, 'Device').replace(/^(cuda|xpu|privateuse1)/, 'device');
  if (!(SORT_KEYS as readonly string[]).includes(key)) {
    throw new Error(
      `table: sortBy '${sortBy}' is not one of cpuTime, cudaTime, cpuTimeTotal, cudaTimeTotal, selfCpuTimeTotal, ` +
        'selfCudaTimeTotal, cpuMemoryUsage, cudaMemoryUsage, selfCpuMemoryUsage, selfCudaMemoryUsage, count, flops',
    );
  }
  return key as SortKey;
}

function formatTimeShare(us: number, totalUs: number): string {
  if (totalUs === 0) return 'NaN';
  return `${((us * 100) / totalUs).toFixed(2)}%`;
}

function formatMemory(nbytes: number): string {
  const KB = 1024;
  const MB = 1024 * KB;
  const GB = 1024 * MB;
  if (Math.abs(nbytes) >= GB) return `${(nbytes / GB).toFixed(2)} GB`;
  if (Math.abs(nbytes) >= MB) return `${(nbytes / MB).toFixed(2)} MB`;
  if (Math.abs(nbytes) >= KB) return `${(nbytes / KB).toFixed(2)} KB`;
  return `${nbytes} B`;
}

function inUnit(us: number, unit: TimeUnit | undefined): string {
  if (unit === 's') return `${(us / 1e6).toFixed(3)}s`;
  if (unit === 'ms') return `${(us / 1e3).toFixed(3)}ms`;
  if (unit === 'us') return `${us.toFixed(3)}us`;
  return formatTime(us);
}

const FLOP_UNITS = ['FLOPs', 'KFLOPs', 'MFLOPs', 'GFLOPs', 'TFLOPs', 'PFLOPs'];

/** [scale, header] for the smallest count, as PyTorch's auto_scale_flops. */
function flopsScale(flops: number): [number, string] {
  const log = Math.max(0, Math.min(Math.log10(flops) / 3, FLOP_UNITS.length - 1));
  return [10 ** (Math.floor(log) * -3), FLOP_UNITS[Math.floor(log)] as string];
}

/** The table of `events` (FunctionEvents or their averages); '' for none, as PyTorch. */
export function buildTable(events: readonly EventStats[], options: TableOptions = {}): string {
  if (events.length === 0) return '';
  const rowLimit = options.rowLimit ?? 100;
  const maxSrc = options.maxSrcColumnWidth ?? 75;
  const maxName = options.maxNameColumnWidth ?? 55;
  const maxShapes = options.maxShapesColumnWidth ?? 80;
  const timeUnit = options.timeUnit;
  const profileMemory = options.profileMemory ?? false;
  let withFlops = options.withFlops ?? false;
  if (timeUnit !== undefined && !['s', 'ms', 'us'].includes(timeUnit)) {
    throw new Error(`table: timeUnit must be 's', 'ms' or 'us', got '${String(timeUnit)}'`);
  }

  const hasDeviceTime = events.some((e) => e.selfDeviceTimeTotal > 0);
  const hasDeviceMem = events.some((e) => e.selfDeviceMemoryUsage > 0);
  const useDevice = (events[0] as EventStats).useDevice;
  if (!useDevice && hasDeviceTime) throw new Error('table: useDevice is null, but there is device performance data.');
  const hasInputShapes = events.some((e) => e.inputShapes.length > 0);
  const hasOverloadNames = events.some((e) => e.overloadName.length > 0);

  let rows = [...events];
  if (options.sortBy !== undefined) {
    const key = sortKey(options.sortBy);
    rows = rows.sort((a, b) => b[key] - a[key]);
  }

  let nameWidth = Math.max(...rows.map((e) => e.key.length)) + 4;
  nameWidth = Math.min(nameWidth, maxName);
  const shapesWidth = Math.min(Math.max(...rows.map((e) => shapesString(e.inputShapes).length)) + 4, maxShapes);
  const COLUMN = 12;
  const stacks = rows.filter((e) => e.stack.length > 0).map((e) => e.stack);
  const hasStack = stacks.length > 0;
  const srcWidth = hasStack ? Math.min(Math.max(...stacks.flat().map((s) => s.length)) + 4, maxSrc) : 0;

  const headers = ['Name'];
  if (hasOverloadNames) headers.push('Overload Name');
  headers.push('Self CPU %', 'Self CPU', 'CPU total %', 'CPU total', 'CPU time avg');
  const deviceName = useDevice ? useDevice.toUpperCase() : 'None';
  if (hasDeviceTime) {
    headers.push(`Self ${deviceName}`, `Self ${deviceName} %`, `${deviceName} total`, `${deviceName} time avg`);
  }
  if (profileMemory) {
    headers.push('CPU Mem', 'Self CPU Mem');
    if (useDevice && hasDeviceMem) headers.push(`${deviceName} Mem`, `Self ${deviceName} Mem`);
  }
  headers.push('# of Calls');
  const appendNodeId = rows.some((e) => e.nodeId !== -1);
  if (appendNodeId) headers.push('Node ID');

  // Each column: its width and alignment; two spaces after every one.
  const columns: { width: number; left: boolean }[] = [];
  const addColumn = (width: number, left = false) => columns.push({ width, left });
  addColumn(nameWidth);
  if (hasOverloadNames) addColumn(nameWidth);
  for (let i = 1 + (hasOverloadNames ? 1 : 0); i < headers.length; i++) addColumn(COLUMN);
  if (hasInputShapes) {
    headers.push('Input Shapes');
    addColumn(shapesWidth);
  }
  if (hasStack) {
    headers.push('Source Location');
    addColumn(srcWidth, true);
  }
  let flopsScaleBy = 1;
  if (withFlops) {
    const counts = rows.map((e) => e.flops).filter((f) => f > 0);
    if (counts.length > 0) {
      const [scale, unit] = flopsScale(Math.min(...counts));
      flopsScaleBy = scale;
      headers.push(`Total ${unit}`);
      addColumn(COLUMN);
    } else withFlops = false;
  }
  const formatRow = (values: (string | number)[]): string =>
    values
      .map((v, i) => {
        const c = columns[i] as { width: number; left: boolean };
        const s = String(v);
        return `${c.left ? s.padEnd(c.width) : s.padStart(c.width)}  `;
      })
      .join('');
  const separator = columns.map((c) => `${'-'.repeat(c.width)}  `).join('');
  const lineLength = columns.reduce((t, c) => t + c.width + 2, -2);

  let selfCpuTotal = 0;
  let selfDeviceTotal = 0;
  for (const e of rows) {
    selfCpuTotal += e.selfCpuTimeTotal;
    if (e.deviceType === 'cpu' && e.isLegacy) selfDeviceTotal += e.selfDeviceTimeTotal;
    else if (ACCELERATORS.has(e.deviceType) && e.deviceType !== 'hpu' && !e.isUserAnnotation) {
      selfDeviceTotal += e.selfDeviceTimeTotal;
    }
  }

  const out: string[] = [];
  if (options.header !== undefined) out.push('='.repeat(lineLength), options.header);
  if (options.topLevelEventsOnly) out.push('='.repeat(lineLength), 'This report only display top-level ops statistics');
  out.push(separator, formatRow(headers), separator);

  const trimPath = (path: string): string => {
    if (path.length <= srcWidth) return path;
    const p = path.slice(path.length - srcWidth);
    return p.length > 3 ? `...${p.slice(3)}` : p;
  };

  let shown = 0;
  for (const e of rows) {
    if (shown === rowLimit) break;
    if (options.topLevelEventsOnly && e.cpuParent !== null) continue;
    shown++;
    let name = e.key;
    if (name.length >= maxName - 3) name = `${name.slice(0, maxName - 3)}...`;
    const values: (string | number)[] = [name];
    if (hasOverloadNames) {
      let overload = e.overloadName;
      if (overload.length >= maxName - 3) overload = `${overload.slice(0, maxName - 3)}...`;
      values.push(overload);
    }
    values.push(
      formatTimeShare(e.selfCpuTimeTotal, selfCpuTotal),
      inUnit(e.selfCpuTimeTotal, timeUnit),
      e.isAsync ? 0 : formatTimeShare(e.cpuTimeTotal, selfCpuTotal),
      inUnit(e.cpuTimeTotal, timeUnit),
      inUnit(e.cpuTime, timeUnit),
    );
    if (hasDeviceTime) {
      values.push(
        inUnit(e.selfDeviceTimeTotal, timeUnit),
        formatTimeShare(e.selfDeviceTimeTotal, selfDeviceTotal),
        inUnit(e.deviceTimeTotal, timeUnit),
        inUnit(e.deviceTime, timeUnit),
      );
    }
    if (profileMemory) {
      values.push(formatMemory(e.cpuMemoryUsage), formatMemory(e.selfCpuMemoryUsage));
      if (useDevice && hasDeviceMem)
        values.push(formatMemory(e.deviceMemoryUsage), formatMemory(e.selfDeviceMemoryUsage));
    }
    values.push(e.count);
    if (appendNodeId) values.push(e.nodeId);
    if (hasInputShapes) values.push(shapesString(e.inputShapes).slice(0, shapesWidth));
    if (withFlops) values.push(e.flops <= 0 ? '--' : (e.flops * flopsScaleBy).toFixed(3).padStart(8));
    if (hasStack) values.push(e.stack.length > 0 ? trimPath(e.stack[0] as string) : '');
    out.push(formatRow(values));
    if (hasStack) {
      const empty = new Array<string>(headers.length - 1).fill('');
      for (const entry of e.stack.slice(1)) out.push(formatRow([...empty, trimPath(entry)]));
      out.push(formatRow([...empty, '']));
    }
  }
  out.push(separator, `Self CPU time total: ${inUnit(selfCpuTotal, timeUnit)}`);
  if (hasDeviceTime) out.push(`Self ${deviceName} time total: ${inUnit(selfDeviceTotal, timeUnit)}`);
  return out.map((line) => `${line}\n`).join('');
}
