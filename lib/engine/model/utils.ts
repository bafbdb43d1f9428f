import * as torch from '../../torch/index.js';

type Tensor = torch.Tensor;

/**
 * Stacks tensors of the same number of dimensions into a batch, padding each at the end of
 * every dimension but the first (the channels) up to the largest size rounded up to a multiple
 * of `padSizeDivisor`, with `padValue`: MMEngine's stack_batch.
 */
export function stackBatch(tensorList: Tensor[], options?: { padSizeDivisor?: number; padValue?: number }): Tensor {
  if (!Array.isArray(tensorList)) throw new TypeError(`Expected input type to be list, but got ${typeof tensorList}`);
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`stackBatch: options must be an object ({padSizeDivisor, padValue}), got ${String(options)}`);
  }
  const padSizeDivisor = options?.padSizeDivisor ?? 1;
  const padValue = options?.padValue ?? 0;
  if (tensorList.length === 0) throw new Error('`tensor_list` could not be an empty list');
  const dims = tensorList.map((t) => t.dim());
  if (new Set(dims).size !== 1) {
    throw new Error(`Expected the dimensions of all tensors must be the same, but got [${dims.join(', ')}]`);
  }
  const shapes = tensorList.map((t) => t.shape);
  const ndim = dims[0] as number;
  const target = Array.from({ length: ndim }, (_, k) => {
    const max = Math.max(...shapes.map((s) => s[k] as number));
    return Math.ceil(max / padSizeDivisor) * padSizeDivisor;
  });
  const pads = shapes.map((s) => s.map((d, k) => (k === 0 ? 0 : (target[k] as number) - d)));
  if (pads.every((p) => p.every((x) => x === 0))) return torch.stack(tensorList);
  const padded = tensorList.map((t, i) => {
    const p = pads[i] as number[];
    // F.pad lists (left, right) pairs from the last dimension backwards; dimension 0 is not padded.
    const amounts: number[] = [];
    for (let k = ndim - 1; k >= 1; k--) amounts.push(0, p[k] as number);
    return torch.nn.functional.pad(t, amounts, { mode: 'constant', value: padValue });
  });
  return torch.stack(padded);
}
