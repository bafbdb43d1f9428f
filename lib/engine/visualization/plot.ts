// Line plots of the scalars in a scalars.json file (one JSON object per line, with `step`), as a
// PNG: one small panel per key (the losses first, then the metrics, then learning rates), each
// with a frame, grid lines, ticks with labels on both axes, the key as its title and the curve
// (with markers when there are few points).
//
//   plotScalars('work_dirs/x/20240101_120000/vis_data/scalars.json',
//               'work_dirs/x/20240101_120000/vis_data/scalars.png');
//
// A key's x values are the `step`s of the lines that hold it, so training scalars (logged per
// iteration) and validation metrics (logged per epoch or iteration) each get their own x axis.
import { readFileSync, writeFileSync } from 'node:fs';
import { textWidth } from './font.js';
import { Canvas, type Color, hexColor, type Rect } from './png.js';

/** Keys that are bookkeeping, not curves. */
export const DEFAULT_EXCLUDED_KEYS: readonly string[] = ['step', 'epoch', 'iter', 'time', 'data_time', 'memory', 'eta'];

/** matplotlib's tab10 colours. */
export const PALETTE: readonly Color[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
].map(hexColor);

const BLACK: Color = [0, 0, 0];
const GRID: Color = [225, 225, 225];
const TEXT: Color = [40, 40, 40];

/**
 * Parses one line of scalars.json. Besides JSON it accepts Python's `NaN`, `Infinity` and
 * `-Infinity` (what MMEngine's json dump writes for non-finite floats, and what this port's
 * LocalVisBackend writes too).
 */
export function parseScalarsLine(line: string): Record<string, unknown> {
  let out = '';
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (inString) {
      out += ch;
      if (ch === '\\') out += line[++i] ?? '';
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
    } else if (line.startsWith('NaN', i)) {
      out += '"__NaN__"';
      i += 2;
    } else if (line.startsWith('-Infinity', i)) {
      out += '"__-Infinity__"';
      i += 8;
    } else if (line.startsWith('Infinity', i)) {
      out += '"__Infinity__"';
      i += 7;
    } else out += ch;
  }
  const special: Record<string, number> = {
    __NaN__: Number.NaN,
    __Infinity__: Number.POSITIVE_INFINITY,
    '__-Infinity__': Number.NEGATIVE_INFINITY,
  };
  return JSON.parse(out, (_k, v) => (typeof v === 'string' && v in special ? special[v] : v)) as Record<
    string,
    unknown
  >;
}

/** The records of a scalars.json file (blank lines skipped). */
export function readScalars(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(parseScalarsLine);
}

export interface ScalarSeries {
  key: string;
  steps: number[];
  values: number[];
}

export interface SeriesOptions {
  /** Only these keys, in this order. */
  keys?: readonly string[];
  /** Keys to leave out (default DEFAULT_EXCLUDED_KEYS). */
  exclude?: readonly string[];
}

const isLr = (k: string): boolean => /(^|[/_.])lr$/.test(k);

/** One series per numeric key: losses first, then the other keys in order of appearance, then learning rates. */
export function collectSeries(
  records: readonly Record<string, unknown>[],
  options: SeriesOptions = {},
): ScalarSeries[] {
  const exclude = new Set(options.exclude ?? DEFAULT_EXCLUDED_KEYS);
  const map = new Map<string, ScalarSeries>();
  records.forEach((rec, i) => {
    const step = typeof rec.step === 'number' ? rec.step : i;
    for (const [k, v] of Object.entries(rec)) {
      if (exclude.has(k) || typeof v !== 'number') continue;
      let s = map.get(k);
      if (!s) {
        s = { key: k, steps: [], values: [] };
        map.set(k, s);
      }
      s.steps.push(step);
      s.values.push(v);
    }
  });
  if (options.keys) return options.keys.map((k) => map.get(k) ?? { key: k, steps: [], values: [] });
  const all = [...map.values()];
  const rank = (k: string) => (k === 'loss' ? 0 : k.includes('loss') ? 1 : isLr(k) ? 3 : 2);
  return all
    .map((s, i) => ({ s, i }))
    .sort((a, b) => rank(a.s.key) - rank(b.s.key) || a.i - b.i)
    .map((x) => x.s);
}

/** Round tick positions covering [min, max], about `target` of them. */
export function niceTicks(min: number, max: number, target = 5, integer = false): { ticks: number[]; step: number } {
  const range = max - min;
  const raw = range / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  let step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  if (integer) step = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  const first = Math.ceil(min / step - 1e-9);
  for (let i = first; i * step <= max + step * 1e-9; i++) ticks.push(Number((i * step).toPrecision(12)));
  return { ticks, step };
}

/** Tick labels with as many decimals as the step needs (exponents for very large or small values). */
export function formatTick(v: number, step: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || step < 1e-4) {
    const digits = Math.min(4, Math.max(0, Math.floor(Math.log10(a)) - Math.floor(Math.log10(step))));
    return v.toExponential(digits).replace('e+', 'e');
  }
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return v.toFixed(decimals);
}

export interface PanelLayout {
  key: string;
  color: Color;
  /** The frame of the plot area; data are drawn strictly inside it. */
  plot: Rect;
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  xTicks: number[];
  yTicks: number[];
  /** Pixel coordinates of a data point. */
  toPixel(x: number, y: number): [number, number];
}

export interface PlotOptions extends SeriesOptions {
  /** Panels per row (default 2, or 1 for one key). */
  columns?: number;
  panelWidth?: number;
  panelHeight?: number;
  /** The x axis label (default 'step'). */
  xLabel?: string;
  /** Draw point markers when a series has at most this many points (default 40). */
  markersUpTo?: number;
}

export interface PlotResult {
  canvas: Canvas;
  panels: PanelLayout[];
}

function dataRange(values: readonly number[], pad: number): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= d;
    hi += d;
  } else {
    const d = (hi - lo) * pad;
    lo -= d;
    hi += d;
  }
  return [lo, hi];
}

function drawPanel(
  canvas: Canvas,
  series: ScalarSeries,
  ox: number,
  oy: number,
  w: number,
  h: number,
  color: Color,
  options: PlotOptions,
): PanelLayout {
  const points: [number, number][] = [];
  series.steps.forEach((s, i) => {
    const v = series.values[i] as number;
    if (Number.isFinite(s) && Number.isFinite(v)) points.push([s, v]);
  });
  const title = series.key;
  const titleScale = textWidth(title, 2) <= w - 20 ? 2 : 1;
  canvas.text(ox + w / 2, oy + 6, title, BLACK, { scale: titleScale, align: 'center' });

  const top = oy + 6 + 8 * titleScale + 8;
  const bottom = oy + h - 34;
  const empty = points.length === 0;
  const [yMin, yMax] = empty
    ? [0, 1]
    : dataRange(
        points.map((p) => p[1]),
        0.06,
      );
  const [xMin, xMax] = empty
    ? [0, 1]
    : dataRange(
        points.map((p) => p[0]),
        0.03,
      );
  const integerX = points.every((p) => Number.isInteger(p[0]));
  const yt = niceTicks(yMin, yMax, Math.max(2, Math.floor((bottom - top) / 40)));
  const yLabels = yt.ticks.map((t) => formatTick(t, yt.step));
  const left = ox + Math.max(36, Math.max(0, ...yLabels.map((l) => textWidth(l))) + 12);
  const right = ox + w - 14;
  const xt = niceTicks(xMin, xMax, Math.max(2, Math.floor((right - left) / 70)), integerX);
  const plot: Rect = { x0: left, y0: top, x1: right, y1: bottom };
  const toPixel = (x: number, y: number): [number, number] => [
    plot.x0 + ((x - xMin) / (xMax - xMin)) * (plot.x1 - plot.x0),
    plot.y1 - ((y - yMin) / (yMax - yMin)) * (plot.y1 - plot.y0),
  ];

  // grid, ticks and their labels
  yt.ticks.forEach((t, i) => {
    const py = Math.round(toPixel(xMin, t)[1]);
    if (py <= plot.y0 || py >= plot.y1) return;
    canvas.line(plot.x0 + 1, py, plot.x1 - 1, py, GRID);
    canvas.line(plot.x0 - 4, py, plot.x0 - 1, py, BLACK);
    canvas.text(plot.x0 - 7, py - 3, yLabels[i] as string, TEXT, { align: 'right' });
  });
  for (const t of xt.ticks) {
    const px = Math.round(toPixel(t, yMin)[0]);
    if (px <= plot.x0 || px >= plot.x1) continue;
    canvas.line(px, plot.y0 + 1, px, plot.y1 - 1, GRID);
    canvas.line(px, plot.y1 + 1, px, plot.y1 + 4, BLACK);
    canvas.text(px, plot.y1 + 7, formatTick(t, xt.step), TEXT, { align: 'center' });
  }
  canvas.text((plot.x0 + plot.x1) / 2, plot.y1 + 20, options.xLabel ?? 'step', TEXT, { align: 'center' });
  canvas.strokeRect(plot.x0, plot.y0, plot.x1, plot.y1, BLACK);

  // the curve, clipped to the inside of the frame
  const inside: Rect = { x0: plot.x0 + 1, y0: plot.y0 + 1, x1: plot.x1 - 1, y1: plot.y1 - 1 };
  if (empty) canvas.text((plot.x0 + plot.x1) / 2, (plot.y0 + plot.y1) / 2 - 4, 'no data', TEXT, { align: 'center' });
  for (let i = 1; i < points.length; i++) {
    const [ax, ay] = toPixel(...(points[i - 1] as [number, number]));
    const [bx, by] = toPixel(...(points[i] as [number, number]));
    canvas.line(ax, ay, bx, by, color, 2, inside);
  }
  if (points.length <= (options.markersUpTo ?? 40)) {
    for (const p of points) {
      const [px, py] = toPixel(...p);
      canvas.fillRect(px - 2, py - 2, px + 2, py + 2, color, inside);
    }
  }
  return { key: series.key, color, plot, xMin, xMax, yMin, yMax, xTicks: xt.ticks, yTicks: yt.ticks, toPixel };
}

/** Draws the series, one panel each, on a new canvas. */
export function renderScalarsPlot(series: readonly ScalarSeries[], options: PlotOptions = {}): PlotResult {
  const pw = options.panelWidth ?? 420;
  const ph = options.panelHeight ?? 260;
  if (series.length === 0) {
    const canvas = new Canvas(pw, 60);
    canvas.text(pw / 2, 24, 'no scalars to plot', TEXT, { align: 'center' });
    return { canvas, panels: [] };
  }
  const columns = Math.max(1, Math.min(options.columns ?? 2, series.length));
  const rows = Math.ceil(series.length / columns);
  const canvas = new Canvas(columns * pw, rows * ph);
  const panels = series.map((s, i) =>
    drawPanel(
      canvas,
      s,
      (i % columns) * pw,
      Math.floor(i / columns) * ph,
      pw,
      ph,
      PALETTE[i % PALETTE.length] as Color,
      options,
    ),
  );
  return { canvas, panels };
}

/**
 * Reads `scalarsJsonPath` and writes the plot of its scalars to `pngPath`. Returns the panels'
 * layout (which key is where, and how data map to pixels) and the image size.
 */
export function plotScalars(
  scalarsJsonPath: string,
  pngPath: string,
  options: PlotOptions = {},
): { path: string; width: number; height: number; panels: PanelLayout[] } {
  const { canvas, panels } = renderScalarsPlot(collectSeries(readScalars(scalarsJsonPath), options), options);
  writeFileSync(pngPath, canvas.toPng());
  return { path: pngPath, width: canvas.width, height: canvas.height, panels };
}
