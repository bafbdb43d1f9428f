import { cat, full, stack, zeros } from '../../../generated/functions.js';
import { AutogradFunction, type FunctionCtx, noGrad } from '../../autograd.js';
import { allGather, allReduce } from '../../distributed/collectives.js';
import { getWorldSize, isAvailable, isInitialized } from '../../distributed/process_group.js';
import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import { BatchNormBase, type BatchNormOptions } from './batchnorm.js';
import { ModuleDict, ModuleList, Sequential } from './container.js';

export interface SyncBatchNormOptions extends BatchNormOptions {
  /**
   * The ranks whose batches are normalised together. Only the default group exists in
   * torch.distributed here, so this is `null` (or left out): every rank of the default group.
   */
  processGroup?: null;
}

/** Checks the processGroup argument: only the default group (null) is there to choose. */
function checkProcessGroup(what: string, processGroup: unknown): null {
  if (processGroup != null) {
    throw new TypeError(
      `${what}: processGroup must be null (the default process group); torch.distributed has no other groups to synchronise over`,
    );
  }
  return null;
}

/** The dims a batch norm reduces over: all but the channels (dim 1). */
const reducedDims = (x: Tensor): number[] => [0, ...Array.from({ length: x.dim() - 2 }, (_, k) => k + 2)];

/** A per-channel vector shaped to broadcast over (N, C, ...). */
const perChannel = (v: Tensor, x: Tensor): Tensor => v.view([1, -1, ...new Array(x.dim() - 2).fill(1)]);

interface SyncConfig {
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  momentum: number;
  eps: number;
}

/**
 * The synchronised batch norm of one rank's part of the batch (PyTorch's
 * torch.nn.modules._functions.SyncBatchNorm), written with ordinary ops because ATen's
 * batch_norm_stats / batch_norm_gather_stats_with_counts / batch_norm_elemt exist for CUDA only.
 *
 * Forward: each rank's per-channel (mean, sum of squared deviations, count) are all-gathered and
 * merged (Chan's parallel formula, which keeps float64 as exact as one pass over the whole
 * batch; a rank with an empty batch sends zeros and weighs nothing), then every rank normalises
 * its part by the global statistics and updates the running ones as BatchNorm would over the
 * concatenated batch. Backward: sum(dy) and sum(dy·(x − mean)) are all-reduced, which is all the
 * input gradient needs from the other ranks; the weight and bias gradients stay local (DDP
 * averages them, as in PyTorch).
 */
class SyncBatchNormFunction extends AutogradFunction {
  static override forward(
    ctx: FunctionCtx,
    input: Tensor,
    weight: Tensor | null,
    bias: Tensor | null,
    cfg: SyncConfig,
  ): Tensor {
    const x = input.contiguous();
    const c = x.size(1);
    const dims = reducedDims(x);
    const count = x.numel() / c;
    const local =
      count > 0
        ? (() => {
            const mean = x.mean(dims);
            const m2 = x.sub(perChannel(mean, x)).square().sum(dims);
            return cat([mean, m2, full([1], count, { dtype: x.dtype, device: x.device })]);
          })()
        : zeros([2 * c + 1], { dtype: x.dtype, device: x.device });
    // All-gather rather than all-reduce: the counts may differ between ranks (PyTorch does the same).
    const all = stack(allGather(local)); // [worldSize, 2C + 1]
    const means = all.narrow(1, 0, c);
    const m2s = all.narrow(1, c, c);
    const counts = all.narrow(1, 2 * c, 1);
    const n = counts.sum().item() as number;
    if (n === 0)
      throw new Error('SyncBatchNorm: every rank got an empty batch; there are no statistics to normalise by');
    const mean = means.mul(counts).sum(0).div(n);
    const m2 = m2s.sum(0).add(means.sub(mean).square().mul(counts).sum(0));
    const invstd = m2.div(n).add(cfg.eps).rsqrt();
    const m = cfg.momentum;
    if (cfg.runningMean) cfg.runningMean.mul_(1 - m).add_(mean.mul(m));
    // The running variance is the unbiased one, over the whole batch.
    if (cfg.runningVar) cfg.runningVar.mul_(1 - m).add_(m2.div(n > 1 ? n - 1 : Number.NaN).mul(m));
    ctx.saveForBackward(x, weight, mean, invstd);
    ctx.count = n;
    // y = x·α + β with α = invstd·w and β = b − mean·α, as ATen's CPU batch norm computes it.
    const alpha = weight ? invstd.mul(weight) : invstd;
    const beta = bias ? bias.sub(mean.mul(alpha)) : mean.mul(alpha).neg();
    return x.mul(perChannel(alpha, x)).add(perChannel(beta, x));
  }

  static override backward(ctx: FunctionCtx, gradOutput: Tensor): (Tensor | null)[] {
    const [x, weight, mean, invstd] = ctx.savedTensors as [Tensor, Tensor | null, Tensor, Tensor];
    const g = gradOutput.contiguous();
    const dims = reducedDims(x);
    const xmu = x.sub(perChannel(mean, x));
    const sumDy = g.sum(dims);
    const sumDyXmu = g.mul(xmu).sum(dims);
    const [needInput, needWeight, needBias] = ctx.needsInputGrad as boolean[];
    let gradInput: Tensor | null = null;
    if (needInput) {
      const c = sumDy.size(0);
      const combined = allReduce(cat([sumDy, sumDyXmu]));
      const meanDy = combined.narrow(0, 0, c).div(ctx.count);
      const meanDyXmu = combined.narrow(0, c, c).div(ctx.count);
      const scale = weight ? invstd.mul(weight) : invstd;
      gradInput = g
        .sub(perChannel(meanDy, x))
        .sub(xmu.mul(perChannel(invstd.square().mul(meanDyXmu), x)))
        .mul(perChannel(scale, x));
    }
    return [gradInput, needWeight ? sumDyXmu.mul(invstd) : null, needBias ? sumDy : null, null];
  }
}

/**
 * Batch normalisation whose training statistics are those of the whole batch across the ranks
 * of the default process group (PyTorch's nn.SyncBatchNorm), over an (N, C, ...) input.
 *
 * In training, with a process group of more than one rank, each rank passes its part of the
 * batch and gets the output, running statistics and input gradient that BatchNorm would give
 * over the batches of all ranks put together (the weight and bias gradients are this rank's
 * share, which DDP all-reduces). Every rank must then call forward (and backward) the same
 * number of times. Without a process group, with one rank, or in eval mode it is BatchNorm.
 *
 * Unlike PyTorch's, which refuses CPU input, CPU tensors over Gloo are supported (tests, CPU
 * clusters): the statistics come from ordinary ops, as ATen's fused sync-BN kernels are CUDA
 * only. Its backward is a custom autograd Function: for CUDA tensors the device's autograd thread
 * hands it to the JavaScript thread (native/engine.cpp).
 */
export class SyncBatchNorm extends BatchNormBase {
  readonly processGroup: null;

  constructor(numFeatures: number, options?: SyncBatchNormOptions) {
    super(numFeatures, options);
    this.processGroup = checkProcessGroup('SyncBatchNorm', options?.processGroup);
  }

  protected checkInputDim(input: Tensor): void {
    const d = input.dim();
    if (d < 2) throw new Error(`SyncBatchNorm: expected at least 2D input (got ${d}D input)`);
  }

  override forward(input: Tensor): Tensor {
    this.checkInputDim(input);
    if (input.size(1) === 0) throw new Error('SyncBatchNorm number of input channels should be non-zero');
    // In eval mode, or with no one to synchronise with, the statistics are this rank's: BatchNorm.
    const worldSize = this.training && isAvailable() && isInitialized() ? getWorldSize() : 1;
    if (worldSize < 2) return super.forward(input);
    let factor = this.momentum ?? 0;
    if (this.trackRunningStats && this.num_batches_tracked) {
      const tracked = this.num_batches_tracked;
      noGrad(() => tracked.add_(1));
      if (this.momentum === null) factor = 1 / (tracked.item() as number);
    }
    return SyncBatchNormFunction.apply(input, this.weight, this.bias, {
      runningMean: this.trackRunningStats ? this.running_mean : null,
      runningVar: this.trackRunningStats ? this.running_var : null,
      momentum: factor,
      eps: this.eps,
    });
  }

  /**
   * Replaces every batch norm in `module` (BatchNorm1d/2d/3d and their kin, PyTorch's _BatchNorm)
   * with a SyncBatchNorm that keeps its parameters and buffers (the same tensors) and its training
   * flag, so that the state dict's keys and values do not change. Returns the module, or the new
   * SyncBatchNorm when `module` itself is a batch norm, as PyTorch's convert_sync_batchnorm.
   */
  static convertSyncBatchnorm(module: Module, processGroup?: null): Module {
    const group = checkProcessGroup('SyncBatchNorm.convertSyncBatchnorm', processGroup);
    if (!(module instanceof Module)) {
      throw new TypeError('SyncBatchNorm.convertSyncBatchnorm: module must be an nn.Module');
    }
    return replaceBatchNorms(module, (bn) => {
      const out = new SyncBatchNorm(bn.numFeatures, {
        eps: bn.eps,
        momentum: bn.momentum,
        affine: bn.affine,
        trackRunningStats: bn.trackRunningStats,
        bias: bn.bias !== null,
        processGroup: group,
      });
      copyBatchNormState(bn, out);
      return out;
    });
  }
}

/**
 * Moves a batch norm's state onto its replacement: the same Parameter objects (an optimizer made
 * before still updates them) and buffer tensors, and the training flag.
 */
export function copyBatchNormState(from: BatchNormBase, to: BatchNormBase): void {
  if (from.affine) {
    to.weight = from.weight;
    to.bias = from.bias;
  }
  to.running_mean = from.running_mean;
  to.running_var = from.running_var;
  to.num_batches_tracked = from.num_batches_tracked;
  to.training = from.training;
}

/**
 * `module` with every batch norm for which `convert` returns a module replaced by it, depth
 * first (PyTorch's convert_sync_batchnorm recursion): the replacement itself when `module` is
 * one. A module under two names is visited once, under the first, as named_children does.
 */
export function replaceBatchNorms(module: Module, convert: (bn: BatchNormBase) => Module | null): Module {
  const output = module instanceof BatchNormBase ? (convert(module) ?? module) : module;
  for (const [name, child] of module.namedChildren()) {
    const replaced = replaceBatchNorms(child, convert);
    if (replaced !== child || output !== module) setChild(output, name, replaced);
  }
  return output;
}

/** Puts `child` under `name` in `parent`, where it was (PyTorch's add_module on an existing name). */
function setChild(parent: Module, name: string, child: Module): void {
  // Containers keep their items out of the fields: those are replaced through the container.
  if (parent instanceof Sequential) {
    const index = parent.namedChildren().findIndex(([k]) => k === name);
    if (index >= 0 && index < parent.length) {
      parent.set(index, child);
      return;
    }
  } else if (parent instanceof ModuleList) {
    const index = Number(name);
    if (Number.isInteger(index) && String(index) === name && index < parent.length) {
      parent.set(index, child);
      return;
    }
  } else if (parent instanceof ModuleDict && parent.has(name)) {
    parent.set(name, child);
    return;
  }
  parent.registerModule(name, child);
}
