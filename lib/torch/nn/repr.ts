// Python's spelling of values in module reprs, so toString() reads like PyTorch's.

/** A float as Python's repr writes it: 0.1, 1e-05, 1.0. */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const ax = Math.abs(x);
  if (ax !== 0 && (ax < 1e-4 || ax >= 1e16)) return x.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  const s = String(x);
  return Number.isInteger(x) ? `${s}.0` : s;
}

export const pyBool = (b: boolean): string => (b ? 'True' : 'False');

/** A tuple such as (3, 3), or (8,) for one element. */
export function pyTuple(xs: readonly number[]): string {
  return xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(', ')})`;
}

/** Indents every line but the first by two spaces (PyTorch's _addindent). */
export function indent(text: string): string {
  return text.replace(/\n/g, '\n  ');
}

/** `Name(...)`, as PyTorch lays out a module's repr: one extra line inline, else a block of lines. */
export function reprBlock(name: string, extraLines: string[], childLines: string[]): string {
  const lines = [...extraLines, ...childLines];
  if (lines.length === 0) return `${name}()`;
  if (extraLines.length === 1 && childLines.length === 0) return `${name}(${extraLines[0]})`;
  return `${name}(\n  ${lines.join('\n  ')}\n)`;
}
