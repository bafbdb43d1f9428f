// Printing tensors the way PyTorch prints them (torch/_tensor_str.py's defaults: precision 4,
// line width 80, summarised above 1000 elements with 3 edge items).
import type { Tensor } from './tensor.js';

const PRECISION = 4;
const LINE_WIDTH = 80;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;

type Cell = number | boolean;

function pyExp(v: number): string {
  // Python's '{:.4e}' writes at least two exponent digits: 1.0000e+00.
  return v.toExponential(PRECISION).replace(/e([+-])(\d)$/, 'e$10$2');
}

function special(v: number): string | null {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return null;
}

function makeFormatter(values: Cell[], floating: boolean): (v: Cell) => string {
  if (!floating) return (v) => (typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));
  const finite = (values as number[]).filter((v) => Number.isFinite(v));
  const nonzero = finite.map(Math.abs).filter((v) => v !== 0);
  const intMode = finite.every((v) => Number.isInteger(v));
  let max = 0;
  let min = 0;
  if (nonzero.length) {
    max = Math.max(...nonzero);
    min = Math.min(...nonzero);
  }
  const sci = nonzero.length > 0 && (max / min > 1000 || max > 1e8 || (!intMode && min < 1e-4));
  const fmt = sci ? pyExp : intMode ? (v: number) => `${v.toFixed(0)}.` : (v: number) => v.toFixed(PRECISION);
  return (v) => special(v as number) ?? fmt(v as number);
}

/** Index lists per dimension: all of them, or the edges around a '...' (-1). */
function shownIndices(n: number, summarize: boolean): number[] {
  if (!summarize || n <= 2 * EDGE_ITEMS) return Array.from({ length: n }, (_, i) => i);
  return [
    ...Array.from({ length: EDGE_ITEMS }, (_, i) => i),
    -1,
    ...Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i),
  ];
}

export function formatTensor(t: Tensor): string {
  const shape = t.shape;
  const dtype = t.dtype;
  const floating = dtype.startsWith('float') || dtype === 'bfloat16';
  const numel = shape.reduce((a, b) => a * b, 1);
  const summarize = numel > THRESHOLD;
  const raw = t.toTypedArray();
  const cell = (i: number): Cell => {
    const v = raw[i] as number | bigint;
    if (dtype === 'bool') return v !== 0;
    return typeof v === 'bigint' ? Number(v) : v;
  };
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));

  // The shown cells decide the format, as in PyTorch's summarised printing.
  const shown: Cell[] = [];
  const gather = (d: number, offset: number): void => {
    if (d === shape.length) {
      shown.push(cell(offset));
      return;
    }
    for (const i of shownIndices(shape[d] as number, summarize))
      if (i >= 0) gather(d + 1, offset + i * (strides[d] as number));
  };
  if (numel > 0) gather(0, 0);
  const fmt = makeFormatter(shown, floating);
  const width = Math.max(1, ...shown.map((v) => fmt(v).length));
  const pad = (s: string): string => ' '.repeat(Math.max(0, width - s.length)) + s;

  const render = (d: number, offset: number, indent: number): string => {
    const idx = shownIndices(shape[d] as number, summarize);
    if (d === shape.length - 1) {
      const items = idx.map((i) => (i < 0 ? '...' : pad(fmt(cell(offset + i)))));
      const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / (width + 2)));
      const lines: string[] = [];
      for (let k = 0; k < items.length; k += perLine) lines.push(items.slice(k, k + perLine).join(', '));
      return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
    }
    const sep = `,${'\n'.repeat(shape.length - d - 1)}${' '.repeat(indent + 1)}`;
    const parts = idx.map((i) => (i < 0 ? '...' : render(d + 1, offset + i * (strides[d] as number), indent + 1)));
    return `[${parts.join(sep)}]`;
  };

  let body: string;
  const suffixes: string[] = [];
  if (shape.length === 0) body = fmt(cell(0));
  else if (numel === 0) {
    body = '[]';
    if (shape.length !== 1) suffixes.push(`size=(${shape.join(', ')})`);
  } else body = render(0, 0, 'tensor('.length);

  if (t.device !== 'cpu') suffixes.push(`device='${t.device}'`);
  if (!['float32', 'int64', 'bool'].includes(dtype)) suffixes.push(`dtype=torch.${dtype}`);
  const gradFn = t.gradFn;
  if (gradFn) suffixes.push(`grad_fn=<${gradFn}>`);
  else if (t.requiresGrad) suffixes.push('requires_grad=True');
  return `tensor(${[body, ...suffixes].join(', ')})`;
}
