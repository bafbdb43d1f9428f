// Python's `x[0, 1:3, ..., None, idx]` as `x.at(0, '1:3', '...', null, idx)`.
//   number        selects one position and drops the dimension (negative counts from the end)
//   'a:b:c'       a slice, any part optional (':' is the whole dimension); a view
//   '...'         as many whole dimensions as needed
//   null          a new dimension of size 1
//   Tensor        advanced indexing with an int64 or bool tensor along that dimension (a copy)
import { $index, $select, $slice, $unsqueeze } from '../generated/impl.js';
import { describe } from './marshal.js';
import { Tensor } from './tensor.js';

export type Index = number | string | null | Tensor;

declare module './tensor.js' {
  interface Tensor {
    at(...indices: Index[]): Tensor;
  }
}

function parseSlice(s: string): [number | null, number | null, number] {
  const parts = s.split(':');
  if (parts.length < 2 || parts.length > 3)
    throw new TypeError(`at: '${s}' is not a slice such as '1:3', ':' or '::2'`);
  const num = (p: string | undefined): number | null => {
    if (p === undefined || p.trim() === '') return null;
    const v = Number(p);
    if (!Number.isInteger(v)) throw new TypeError(`at: '${s}' is not a slice of integers`);
    return v;
  };
  const step = num(parts[2]) ?? 1;
  if (step <= 0) throw new RangeError(`at: slice step must be positive, got ${step}`);
  return [num(parts[0]), num(parts[1]), step];
}

/** How many dimensions of the indexed tensor an index uses up. */
const width = (index: Index): number =>
  index === null || index === '...'
    ? 0
    : index instanceof Tensor && index.dtype === 'bool'
      ? Math.max(1, index.dim())
      : 1;

Tensor.prototype.at = function at(this: Tensor, ...indices: Index[]): Tensor {
  const consumed = indices.reduce((n: number, i) => n + width(i), 0);
  const ellipses = indices.filter((i) => i === '...').length;
  if (ellipses > 1) throw new TypeError('at: only one ellipsis (...) is allowed');
  const ndim = this.dim();
  if (consumed > ndim) throw new RangeError(`at: too many indices (${consumed}) for a ${ndim}-D tensor`);
  let view: Tensor = this;
  // One entry per dimension of `view` that advanced indexing sees (null: take it whole).
  const advanced: (Tensor | null)[] = [];
  let dim = 0;
  const step = (next: Tensor): void => {
    if (view !== this) view.dispose();
    view = next;
  };
  for (const index of indices) {
    if (index === '...') {
      const skip = ndim - consumed;
      for (let k = 0; k < skip; k++) advanced.push(null);
      dim += skip;
    } else if (index === null) {
      step($unsqueeze(view, dim));
      advanced.push(null);
      dim++;
    } else if (typeof index === 'number') {
      if (!Number.isInteger(index)) throw new TypeError(`at: index ${index} is not an integer`);
      step($select(view, dim, index));
    } else if (typeof index === 'string') {
      const [start, end, by] = parseSlice(index);
      step($slice(view, dim, start, end, by));
      advanced.push(null);
      dim++;
    } else if (index instanceof Tensor) {
      if (index.dtype === 'bool' && index.dim() === 0) {
        // x[True] is x[None][[True]]: a new dimension of size 1 (or 0 for False).
        step($unsqueeze(view, dim));
        advanced.push(index.reshape([1]));
        dim++;
      } else {
        // A k-D boolean mask covers k dimensions; libtorch's index takes it as one entry.
        advanced.push(index);
        dim += width(index);
      }
    } else {
      throw new TypeError(
        `at: an index must be a number, a slice string, '...', null or a Tensor, got ${describe(index)}`,
      );
    }
  }
  if (advanced.some((t) => t !== null)) step($index(view, advanced));
  // Always a new handle: basic indexing gives a view even when nothing was indexed.
  return view === this ? this.view(this.shape) : view;
};
