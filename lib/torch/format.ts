// Printing tensors the way PyTorch prints them (torch/_tensor_str.py's defaults: precision 4,
// line width 80, summarised above 1000 elements with 3 edge items). A complex tensor's real and
// imaginary parts each get a formatter of their own, as there: `tensor([1.+2.j, 3.-1.j])`.
import { defaultComplexDtype, defaultFloatDtype } from './default_dtype.js';
import type { Tensor } from './tensor.js';

// Module state that torch.setPrintoptions changes, as PyTorch's PRINT_OPTS.
let PRECISION = 4;
let LINE_WIDTH = 80;
let THRESHOLD = 1000;
let EDGE_ITEMS = 3;
let SCI_MODE: boolean | null = null;

export interface PrintOptions {
  precision?: number;
  threshold?: number;
  edgeitems?: number;
  linewidth?: number;
  /** 'default', 'short' (precision 2, 2 edge items) or 'full' (never summarised); set first. */
  profile?: 'default' | 'short' | 'full';
  /** true/false force scientific notation on/off; null (the default) lets the values decide. */
  sciMode?: boolean | null;
}

/** torch.set_printoptions(precision, threshold, edgeitems, linewidth, profile, sci_mode). */
export function setPrintoptions(options: PrintOptions = {}): void {
  const { profile, sciMode = null, ...rest } = options;
  if (profile !== undefined) {
    const p = { default: [4, 1000, 3], short: [2, 1000, 2], full: [4, Number.POSITIVE_INFINITY, 3] }[profile];
    if (!p) throw new Error(`setPrintoptions: profile must be 'default', 'short' or 'full', got '${String(profile)}'`);
    [PRECISION, THRESHOLD, EDGE_ITEMS] = p as [number, number, number];
    LINE_WIDTH = 80;
  }
  for (const [k, v] of Object.entries(rest)) {
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
      throw new TypeError(`setPrintoptions: '${k}' must be a non-negative number, got ${String(v)}`);
    }
  }
  PRECISION = rest.precision ?? PRECISION;
  THRESHOLD = rest.threshold ?? THRESHOLD;
  EDGE_ITEMS = rest.edgeitems ?? EDGE_ITEMS;
  LINE_WIDTH = rest.linewidth ?? LINE_WIDTH;
  // As in PyTorch, sci_mode is set on every call: leaving it out puts it back to automatic.
  SCI_MODE = sciMode;
}

type Cell = number | bigint | boolean;

/** Adds one to a string of decimal digits. */
function increment(digits: string): string {
  const d = digits.split('');
  let i = d.length - 1;
  while (i >= 0 && d[i] === '9') d[i--] = '0';
  if (i < 0) return `1${d.join('')}`;
  d[i] = String(Number(d[i]) + 1);
  return d.join('');
}

/** Whether dropping `rest` from `kept` rounds up, half to even (Python's rounding of exact values). */
function roundsUp(kept: string, rest: string): boolean {
  const first = rest[0] ?? '0';
  if (first !== '5') return first > '5';
  if (/[1-9]/.test(rest.slice(1))) return true;
  return Number(kept[kept.length - 1] ?? '0') % 2 === 1;
}

// Number#toFixed and #toExponential round ties away from zero; Python rounds the exact binary
// value half to even. With 25 extra digits the exact value is visible for these precisions.

/** Python's '{:.pf}'. */
function fixed(v: number, p: number): string {
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  const [ip = '0', fp = ''] = Math.abs(v)
    .toFixed(Math.min(100, p + 25))
    .split('.');
  let digits = ip + fp.slice(0, p);
  if (roundsUp(digits, fp.slice(p))) digits = increment(digits);
  const intPart = digits.slice(0, digits.length - p) || '0';
  return sign + intPart + (p > 0 ? `.${digits.slice(digits.length - p)}` : '');
}

/** Python's '{:.pe}': at least two exponent digits, 1.0000e+00. */
function exponential(v: number, p: number): string {
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  const m = /^(\d)\.?(\d*)e([+-]\d+)$/.exec(Math.abs(v).toExponential(Math.min(100, p + 20)));
  if (!m) return String(v);
  const [, lead = '0', frac = '', expText = '0'] = m;
  let exp = Number(expText);
  let digits = lead + frac.slice(0, p);
  if (roundsUp(digits, frac.slice(p))) digits = increment(digits);
  if (digits.length > p + 1) {
    digits = digits.slice(0, p + 1);
    exp += 1;
  }
  const e = `${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return `${sign}${digits[0]}${p > 0 ? `.${digits.slice(1)}` : ''}e${e}`;
}

function special(v: number): string | null {
  if (Number.isNaN(v)) return 'nan';
  if (v === Number.POSITIVE_INFINITY) return 'inf';
  if (v === Number.NEGATIVE_INFINITY) return '-inf';
  return null;
}

/** PyTorch's _Formatter: the mode and width come from the nonzero finite values shown. */
function makeFormatter(values: Cell[], floating: boolean): { format: (v: Cell) => string; width: number } {
  if (!floating) {
    const str = (v: Cell) => (typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));
    return { format: str, width: Math.max(1, ...values.map((v) => str(v).length)) };
  }
  const nonzero = (values as number[]).filter((v) => Number.isFinite(v) && v !== 0);
  const abs = nonzero.map(Math.abs);
  const intMode = nonzero.every((v) => Number.isInteger(v));
  let sci = false;
  let width = 1;
  if (nonzero.length) {
    const max = Math.max(...abs);
    const min = Math.min(...abs);
    sci = SCI_MODE ?? (max / min > 1000 || max > 1e8 || (!intMode && min < 1e-4));
    const widthOf = sci
      ? (v: number) => exponential(v, PRECISION).length
      : intMode
        ? (v: number) => fixed(v, 0).length + 1
        : (v: number) => fixed(v, PRECISION).length;
    width = Math.max(1, ...nonzero.map(widthOf));
  }
  const format = (cell: Cell): string => {
    const v = cell as number;
    const s = special(v);
    if (sci) return s ?? exponential(v, PRECISION);
    if (intMode) return s ?? `${fixed(v, 0)}.`;
    return s ?? fixed(v, PRECISION);
  };
  return { format, width };
}

/** Index lists per dimension: all of them, or the edges around an elision (-1). */
function shownIndices(n: number, summarize: boolean): number[] {
  if (!summarize || n <= 2 * EDGE_ITEMS) return Array.from({ length: n }, (_, i) => i);
  return [
    ...Array.from({ length: EDGE_ITEMS }, (_, i) => i),
    -1,
    ...Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i),
  ];
}

/** The dtypes PyTorch's repr leaves unsaid (the default float dtype, its complex one, int64, bool). */
export const DEFAULT_DTYPES = {
  includes: (d: string): boolean =>
    d === defaultFloatDtype() || d === defaultComplexDtype() || d === 'int64' || d === 'bool',
};

export function formatTensor(t: Tensor): string {
  const shape = t.shape;
  const dtype = t.dtype;
  if (t.device === 'meta') {
    // A meta tensor has a shape and a dtype but no data.
    const extra = DEFAULT_DTYPES.includes(dtype) ? '' : `, dtype=torch.${dtype}`;
    const size = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
    return `tensor(..., device='meta', size=${size}${extra})`;
  }
  const numel = shape.reduce((a, b) => a * b, 1);
  const suffixes: string[] = [];
  if (t.device !== 'cpu') suffixes.push(`device='${t.device}'`);
  let body: string;
  if (numel === 0) {
    body = '[]';
    if (shape.length !== 1) suffixes.push(`size=(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
    // With no elements to show, only the default dtype goes without saying.
    if (dtype !== defaultFloatDtype()) suffixes.push(`dtype=torch.${dtype}`);
  } else {
    if (!DEFAULT_DTYPES.includes(dtype)) suffixes.push(`dtype=torch.${dtype}`);
    body = tensorStr(t, 'tensor('.length);
  }
  const gradFn = t.gradFn;
  if (gradFn) suffixes.push(`grad_fn=<${gradFn}>`);
  else if (t.requiresGrad) suffixes.push('requires_grad=True');
  return `tensor(${[body, ...suffixes].join(', ')})`;
}

/**
 * Python's _tensor_str: the elements alone ('[]' when there are none), continuation lines
 * indented by `indent` (the sparse formatter prints indices and values with it too).
 */
export function tensorStr(t: Tensor, indent: number): string {
  const shape = t.shape;
  const dtype = t.dtype;
  const floating = dtype.startsWith('float') || dtype === 'bfloat16';
  const complex = dtype === 'complex64' || dtype === 'complex128';
  const numel = shape.reduce((a, b) => a * b, 1);
  if (numel === 0) return '[]';
  const summarize = numel > THRESHOLD;
  // A complex tensor's typed array interleaves (real, imaginary): element i is at 2i, 2i + 1.
  const raw = t.toTypedArray();
  const cell = (i: number): Cell => (dtype === 'bool' ? raw[i] !== 0 : (raw[i] as number | bigint));
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));

  // The shown cells decide the format, as in PyTorch's summarised printing.
  const shown: number[] = [];
  const gather = (d: number, offset: number): void => {
    if (d === shape.length) {
      shown.push(offset);
      return;
    }
    for (const i of shownIndices(shape[d] as number, summarize))
      if (i >= 0) gather(d + 1, offset + i * (strides[d] as number));
  };
  if (numel > 0) gather(0, 0);
  const padTo = (s: string, width: number): string => ' '.repeat(Math.max(0, width - s.length)) + s;
  let element: (i: number) => string;
  let elementLength: number;
  if (complex) {
    const re = makeFormatter(
      shown.map((i) => raw[2 * i] as number),
      true,
    );
    const im = makeFormatter(
      shown.map((i) => raw[2 * i + 1] as number),
      true,
    );
    element = (i) => {
      // The imaginary part padded, then stripped, and signed: 1.+2.j, 1.-0.j, nan+nanj.
      const imag = `${padTo(im.format(raw[2 * i + 1] as number), im.width)}j`.trimStart();
      const sign = imag[0] === '+' || imag[0] === '-' ? '' : '+';
      return `${padTo(re.format(raw[2 * i] as number), re.width)}${sign}${imag}`;
    };
    elementLength = re.width + 2 + im.width + 1;
  } else {
    const { format, width } = makeFormatter(
      shown.map((i) => cell(i)),
      floating,
    );
    element = (i) => padTo(format(cell(i)), width);
    elementLength = width + 2;
  }

  const render = (d: number, offset: number, indent: number): string => {
    const idx = shownIndices(shape[d] as number, summarize);
    if (d === shape.length - 1) {
      const items = idx.map((i) => (i < 0 ? ' ...' : element(offset + i)));
      const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / elementLength));
      const lines: string[] = [];
      for (let k = 0; k < items.length; k += perLine) lines.push(items.slice(k, k + perLine).join(', '));
      return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
    }
    const sep = `,${'\n'.repeat(shape.length - d - 1)}${' '.repeat(indent + 1)}`;
    const parts = idx.map((i) => (i < 0 ? '...' : render(d + 1, offset + i * (strides[d] as number), indent + 1)));
    return `[${parts.join(sep)}]`;
  };
  return shape.length === 0 ? element(0) : render(0, 0, indent);
}
