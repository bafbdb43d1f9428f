// Memory layouts (PyTorch's torch.layout): strings named as Python prints them without the
// `torch.` prefix ('strided', 'sparse_coo', ...), and constants in camelCase (torch.sparseCoo)
// as the dtypes have. The addon passes a layout as c10::Layout's number.

export type Layout =
  | 'strided'
  | 'sparse_coo'
  | 'sparse_csr'
  | 'sparse_csc'
  | 'sparse_bsr'
  | 'sparse_bsc'
  | '_mkldnn'
  | 'jagged';

export const strided: Layout = 'strided';
export const sparseCoo: Layout = 'sparse_coo';
export const sparseCsr: Layout = 'sparse_csr';
export const sparseCsc: Layout = 'sparse_csc';
export const sparseBsr: Layout = 'sparse_bsr';
export const sparseBsc: Layout = 'sparse_bsc';

// c10::Layout's order: Strided, Sparse, SparseCsr, Mkldnn, SparseCsc, SparseBsr, SparseBsc, Jagged.
const NAMES: Layout[] = [
  'strided',
  'sparse_coo',
  'sparse_csr',
  '_mkldnn',
  'sparse_csc',
  'sparse_bsr',
  'sparse_bsc',
  'jagged',
];

/** @internal The layout named by the addon's number. */
export function layoutName(code: number): Layout {
  const name = NAMES[code];
  if (name === undefined) throw new Error(`layout: unknown layout code ${code}`);
  return name;
}

/** @internal The addon's number for `layout`; `op` names the caller in the error. */
export function layoutCode(layout: unknown, op: string): number {
  const code = NAMES.indexOf(layout as Layout);
  if (code < 0) {
    throw new TypeError(`${op}: unknown layout ${JSON.stringify(layout)}; expected one of ${NAMES.join(', ')}`);
  }
  return code;
}

/** The compressed layouts: two index tensors (compressed and plain) plus values. */
export const COMPRESSED_LAYOUTS: readonly Layout[] = ['sparse_csr', 'sparse_csc', 'sparse_bsr', 'sparse_bsc'];
