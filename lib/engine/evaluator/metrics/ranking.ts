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
  return thr === null ? '_no-thr' : `_thr-${fixed2(thr)}`;
}

/**
 * Python's f'{x:.2f}': an exact tie (x = odd/8, such as 0.125) rounds to the even last digit,
 * where toFixed rounds up (0.13; Python 0.12).
 */
function fixed2(x: number): string {
  const eighths = x * 8;
  if (Number.isInteger(eighths) && Math.abs(eighths) % 2 === 1) {
    const lo = Math.floor(x * 100); // x * 100 is exact here: an odd number of halves
    return ((lo % 2 === 0 ? lo : lo + 1) / 100).toFixed(2);
  }
  return x.toFixed(2);
}

/**
 * Whether `score` passes threshold `thr` as mmpretrain decides it: scores are a float32 tensor
 * there, and a Python float compared with one is a float32 too (0.6 as float32 is not above 0.6).
 */
export function aboveThr(score: number, thr: number): boolean {
  return Math.fround(score) > Math.fround(thr);
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
