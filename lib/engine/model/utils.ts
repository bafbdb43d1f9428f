import * as torch from '../../torch/index.js';
import type { Module } from '../../torch/nn/module.js';
import { BatchNormBase } from '../../torch/nn/modules/batchnorm.js';
import { copyBatchNormState, replaceBatchNorms, SyncBatchNorm } from '../../torch/nn/modules/sync_batchnorm.js';

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

/**
 * A batch norm over an input of any number of dims (MMEngine's _BatchNormXd): what
 * revertSyncBatchnorm puts in place of a SyncBatchNorm, which takes any (N, C, ...) input too.
 */
export class _BatchNormXd extends BatchNormBase {
  protected checkInputDim(_input: Tensor): void {}
}

/**
 * Replaces every SyncBatchNorm in `module` with a _BatchNormXd that keeps its parameters and
 * buffers (the same tensors, so the state dict does not change) and its training flag:
 * MMEngine's revert_sync_batchnorm, for running a SyncBatchNorm model outside a process group.
 * Returns the module, or the new layer when `module` itself is a SyncBatchNorm.
 */
export function revertSyncBatchnorm(module: Module): Module {
  if (!(module instanceof torch.nn.Module)) throw new TypeError('revertSyncBatchnorm: module must be an nn.Module');
  return replaceBatchNorms(module, (bn) => {
    if (!(bn instanceof SyncBatchNorm)) return null;
    const out = new _BatchNormXd(bn.numFeatures, {
      eps: bn.eps,
      momentum: bn.momentum,
      affine: bn.affine,
      trackRunningStats: bn.trackRunningStats,
      bias: bn.bias !== null,
    });
    copyBatchNormState(bn, out);
    return out;
  });
}

/**
 * Replaces every batch norm in `module` with a SyncBatchNorm that keeps its parameters, buffers
 * and training flag: MMEngine's convert_sync_batchnorm. `implementation` is 'torch' (the only
 * one here: MMCV's SyncBatchNorm is not part of torch-node).
 */
export function convertSyncBatchnorm(module: Module, implementation = 'torch'): Module {
  if (implementation === 'mmcv') {
    throw new Error(
      "convertSyncBatchnorm: implementation 'mmcv' needs MMCV's SyncBatchNorm, which torch-node does not have; use 'torch'",
    );
  }
  if (implementation !== 'torch') {
    throw new Error(`sync_bn should be "torch" or "mmcv", but got ${implementation}`);
  }
  return SyncBatchNorm.convertSyncBatchnorm(module);
}
