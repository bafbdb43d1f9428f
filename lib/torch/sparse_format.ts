// Printing sparse tensors as Python's repr does (torch/_tensor_str.py): the index tensors and the
// values, each printed as a dense tensor indented under its prefix, then the size, nnz, dtype,
// layout and autograd suffixes, wrapped at 80 columns (after a forced line break for COO).
import { DEFAULT_DTYPES, tensorStr } from './format.js';
import { scope } from './lifetime.js';
import type { Tensor } from './tensor.js';

const LINE_WIDTH = 80;
const PREFIX = 'tensor(';

const sizeText = (shape: number[]): string => (shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`);

/** `name=tensor(...)` for one component, its rows aligned under the prefix. */
function component(name: string, t: Tensor): string {
  const prefix = `${name}=tensor(`;
  let s = tensorStr(t, PREFIX.length + prefix.length);
  if (t.numel() === 0) s += `, size=${sizeText(t.shape)}`;
  return `${prefix}${s})`;
}

/** Python's _add_suffixes: each suffix on the current line while it fits in LINE_WIDTH. */
function addSuffixes(text: string, suffixes: string[], forceNewline: boolean): string {
  const indent = PREFIX.length;
  let out = text;
  let lastLineLength = text.length - text.lastIndexOf('\n') + 1;
  let force = forceNewline;
  for (const suffix of suffixes) {
    if (force || lastLineLength + suffix.length + 2 > LINE_WIDTH) {
      out += `,\n${' '.repeat(indent)}${suffix}`;
      lastLineLength = indent + suffix.length;
      force = false;
    } else {
      out += `, ${suffix}`;
      lastLineLength += suffix.length + 2;
    }
  }
  return `${out})`;
}

/** The repr of a tensor whose layout is not strided (COO, CSR, CSC, BSR, BSC). */
export function formatSparse(t: Tensor): string {
  return scope(() => {
    const layout = t.layout;
    const suffixes: string[] = [];
    if (t.device !== 'cpu') suffixes.push(`device='${t.device}'`);
    suffixes.push(`size=${sizeText(t.shape)}`, `nnz=${t._nnz()}`);
    if (!DEFAULT_DTYPES.includes(t.dtype)) suffixes.push(`dtype=torch.${t.dtype}`);
    const sep = `,\n${' '.repeat(PREFIX.length)}`;
    let body: string;
    if (layout === 'sparse_coo') {
      body = [component('indices', t._indices()), component('values', t._values())].join(sep);
    } else if (layout === 'sparse_csr' || layout === 'sparse_bsr') {
      body = [
        component('crow_indices', t.crowIndices()),
        component('col_indices', t.colIndices()),
        component('values', t.values()),
      ].join(sep);
    } else if (layout === 'sparse_csc' || layout === 'sparse_bsc') {
      body = [
        component('ccol_indices', t.ccolIndices()),
        component('row_indices', t.rowIndices()),
        component('values', t.values()),
      ].join(sep);
    } else {
      throw new Error(`toString: printing a ${layout} tensor is not supported`);
    }
    suffixes.push(`layout=torch.${layout}`);
    const gradFn = t.gradFn;
    if (gradFn) suffixes.push(`grad_fn=<${gradFn}>`);
    else if (t.requiresGrad) suffixes.push('requires_grad=True');
    return addSuffixes(`${PREFIX}${body}`, suffixes, layout === 'sparse_coo');
  });
}
