// torch.histogramdd: the D-dimensional histogram of the points in the last dim of `input`.
// (torch.histogram and torch.histc are generated straight from scripts/codegen/ops.table.) Its
// result holds a list of tensors, which the generated bindings do not return in a tuple, so it is
// put together here from the two kernels that ATen's own histogramdd calls: one for the bin
// edges, one for the counts.
import {
  $_histogramdd_bin_edges,
  $_histogramdd_from_bin_cts,
  $_histogramdd_from_bin_tensors,
} from '../generated/impl.js';
import { describe, isOptions } from './marshal.js';
import { Tensor } from './tensor.js';

export interface HistogramddOptions {
  /** [min0, max0, min1, max1, ...]: the outer edges per dim; default each dim's min and max. */
  range?: number[] | null;
  /** One weight per point (input.shape without its last dim); default 1 each. */
  weight?: Tensor | null;
  /** Normalize so that the histogram integrates to 1 over the bins' volumes; default false. */
  density?: boolean;
}

/** histogramdd's named tuple: `{hist, binEdges}`, which also destructures as `[hist, binEdges]`. */
export type HistogramddResult = [Tensor, Tensor[]] & { hist: Tensor; binEdges: Tensor[] };

function named(hist: Tensor, binEdges: Tensor[]): HistogramddResult {
  const out = [hist, binEdges] as HistogramddResult;
  Object.defineProperty(out, 'hist', { value: hist, enumerable: false });
  Object.defineProperty(out, 'binEdges', { value: binEdges, enumerable: false });
  return out;
}

/**
 * torch.histogramdd(input, bins, *, range=None, weight=None, density=False). `bins` is a bin
 * count for every dim, one count per dim, or one tensor of increasing edges per dim (then
 * `binEdges` holds those same tensors, as in PyTorch). `input` is [..., D] with D dims per point.
 */
export function histogramdd(
  input: Tensor,
  bins: number | number[] | Tensor[],
  options?: HistogramddOptions,
): HistogramddResult {
  if (!(input instanceof Tensor))
    throw new TypeError(`histogramdd: argument 'input' must be a Tensor, got ${describe(input)}`);
  if (options !== undefined && !isOptions(options))
    throw new TypeError(`histogramdd: expected an options object {range, weight, density}, got ${describe(options)}`);
  const o: HistogramddOptions = options ?? {};
  const weight = o.weight ?? null;
  const density = o.density ?? false;
  if (Array.isArray(bins) && bins.length > 0 && bins.every((b) => b instanceof Tensor)) {
    if (o.range != null)
      throw new TypeError('histogramdd: range is only taken with bin counts; bin edge tensors set their own range');
    return named($_histogramdd_from_bin_tensors(input, bins as Tensor[], weight, density), bins as Tensor[]);
  }
  let counts: number[];
  if (typeof bins === 'number') {
    if (input.dim() === 0) throw new RangeError('histogramdd: input must have at least one dim, got a 0-dim tensor');
    counts = Array(input.shape[input.dim() - 1]).fill(bins);
  } else if (Array.isArray(bins) && bins.every((b) => typeof b === 'number')) {
    counts = bins as number[];
  } else {
    throw new TypeError(
      `histogramdd: bins must be a number, an array of numbers or an array of tensors, got ${describe(bins)}`,
    );
  }
  const range = o.range ?? null;
  const binEdges = $_histogramdd_bin_edges(input, counts, range, weight, density);
  try {
    return named($_histogramdd_from_bin_cts(input, counts, range, weight, density), binEdges);
  } catch (e) {
    for (const t of binEdges) t.dispose();
    throw e;
  }
}
