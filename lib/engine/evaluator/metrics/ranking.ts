// Ranking helpers shared by the classification metrics.
//
// Ties: among equal scores the lower class index ranks first, the same choice as argmax (the
// first maximum). PyTorch's topk leaves the order of ties unspecified, so mmpretrain (which
// uses topk) can differ from this port only on exactly tied scores. NaN ranks above every
// number, as in PyTorch's topk and argmax.

const key = (v: number): number => (Number.isNaN(v) ? Number.POSITIVE_INFINITY : v);

/** The indices of the `k` highest scores, best first; ties go to the lower index. */
export function topkIndices(scores: readonly number[], k: number): number[] {
  const order = scores.map((_, i) => i);
  order.sort((a, b) => {
    const sa = scores[a] as number;
    const sb = scores[b] as number;
    const d = key(sb) - key(sa);
    if (d !== 0 && !Number.isNaN(d)) return d;
    if (Number.isNaN(sa) !== Number.isNaN(sb)) return Number.isNaN(sa) ? -1 : 1;
    return a - b;
  });
  return order.slice(0, k);
}

/** The index of the highest score (the first one on ties). */
export function argmax(scores: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) {
    const v = scores[i] as number;
    const b = scores[best] as number;
    if (Number.isNaN(b)) break;
    if (Number.isNaN(v) || v > b) best = i;
  }
  return best;
}

/** mmpretrain's name suffix for a threshold when several are evaluated: `_no-thr` or `_thr-0.50`. */
export function thrSuffix(thr: number | null): string {
  return thr === null ? '_no-thr' : `_thr-${thr.toFixed(2)}`;
}

/** A `thrs` option as a list: one number or null, or several. */
export function thrList(
  thrs: number | null | readonly (number | null)[] | undefined,
  fallback: number | null,
): (number | null)[] {
  if (thrs === undefined) return [fallback];
  if (thrs === null || typeof thrs === 'number') return [thrs];
  if (thrs.length === 0) throw new RangeError('thrs: expected at least one threshold');
  return [...thrs];
}
