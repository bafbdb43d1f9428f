// The chunked path of F.linearCrossEntropy: the batch is cut into chunks of rows, so that only a
// (chunk, numClasses) block of logits exists at a time. It repeats PyTorch 2.13's chunked ops op for
// op (same kernels, same order, same accumulators), which is what makes its values and gradients
// equal Python's to the bit rather than merely close:
// - 'mean' and 'sum' compute the gradients during forward (the logits block is at hand then) and
//   backward only scales them by the upstream gradient;
// - 'none' returns per-row losses, and its backward recomputes the chunks with the upstream
//   gradient folded into each row's weight.
// Accumulation is in the input's dtype, or for float16/bfloat16 input in float32 under Python's
// 'accurate' layout on CPU (its default there): everything in float32, the loss, dW and dbias
// rounded to the input's dtype after each chunk as Python's accumulators are. Python's other
// mixed-precision layouts ('balanced', 'compact', CUDA) are refused upstream.
import { addmm, cat, empty, full, where, zeros } from '../../generated/functions.js';
import { AutogradFunction, type FunctionCtx } from '../autograd.js';
import type { DType } from '../dtype.js';
import { scope } from '../lifetime.js';
import type { Reduction } from '../marshal.js';
import type { Tensor } from '../tensor.js';
import type { ResolvedChunking } from './linear_cross_entropy_options.js';

/** One call's settings: what the chunk loop needs besides the tensors. */
export interface ChunkedConfig extends ResolvedChunking {
  reduction: Reduction;
  ignoreIndex: number;
  computeInputGrad: boolean;
  computeLinearWeightGrad: boolean;
  computeLinearBiasGrad: boolean;
}

interface Operands {
  input: Tensor;
  linearWeight: Tensor;
  target: Tensor;
  linearBias: Tensor | null;
  weight: Tensor | null;
}

/**
 * Each row's weight in the loss: the class weight of its target (1 without weights), 0 where the
 * target is ignored; negated and divided by the weights' sum for 'mean', negated for 'sum'. For
 * 'none' it stays positive in forward; in backward it is negated and times the upstream gradient.
 */
function rowWeights(
  op: Operands,
  dtype: DType,
  target: Tensor,
  mask: Tensor,
  reduction: Reduction,
  upstream: Tensor | null,
): Tensor {
  let w = op.weight === null ? mask.logicalNot().to(dtype) : where(mask, 0, op.weight.indexSelect(0, target).to(dtype));
  if (reduction === 'mean') {
    const d = w.sum();
    w = w.div(where(d.eq(0), Number.NaN, d.neg()));
  } else if (reduction === 'sum') {
    w = w.neg();
  } else if (upstream !== null) {
    w = w.neg().mul(upstream.to(w.dtype));
  }
  return w;
}

/** The target with ignored entries out of [0, C) replaced by 0, so that gathers stay in bounds. */
function safeTarget(target: Tensor, mask: Tensor, ignoreIndex: number, numClasses: number): Tensor {
  return ignoreIndex < 0 || ignoreIndex >= numClasses ? where(mask, 0, target) : target;
}

/** A chunk's logits minus each row's max (softmax stability), bias added first. */
function shiftedLogits(op: Operands, rows: Tensor, weightAcc: Tensor): Tensor {
  let logits = rows.mm(weightAcc.t());
  if (op.linearBias !== null) logits = logits.add(op.linearBias.to(logits.dtype));
  return logits.sub(logits.amax(1, { keepdim: true }));
}

/** reduction 'none', forward: the per-row losses (N,), weighted. */
function rowLosses(op: Operands, cfg: ChunkedConfig): Tensor {
  return scope(() => {
    const [n = 0] = op.input.shape;
    const numClasses = op.linearWeight.shape[0] ?? 0;
    const mask = op.target.eq(cfg.ignoreIndex);
    const target = safeTarget(op.target, mask, cfg.ignoreIndex, numClasses);
    const w = rowWeights(op, cfg.accDtype, target, mask, 'none', null);
    const weightAcc = op.linearWeight.to(cfg.accDtype);
    const parts: Tensor[] = [];
    for (let start = 0; start < n; start += cfg.batchChunkSize) {
      const size = Math.min(cfg.batchChunkSize, n - start);
      parts.push(
        scope(() => {
          const t = target.narrow(0, start, size);
          const logits = shiftedLogits(op, op.input.narrow(0, start, size).to(cfg.accDtype), weightAcc);
          // The target's logit is read before exp overwrites the block (in Python, in place).
          const atTarget = logits.gather(1, t.unsqueeze(1)).squeeze(1);
          const denom = logits.exp().sum(1, { dtype: cfg.accDtype });
          return denom
            .log()
            .sub(atTarget.to(denom.dtype))
            .mul(w.narrow(0, start, size).to(denom.dtype));
        }),
      );
    }
    return n === 0 ? empty([0], { dtype: op.input.dtype, device: op.input.device }) : cat(parts, 0).to(op.input.dtype);
  });
}

interface LossAndGrads {
  loss: Tensor;
  gradInput: Tensor | null;
  gradLinearWeight: Tensor | null;
  gradLinearBias: Tensor | null;
}

/**
 * The loss and the requested gradients, chunk by chunk. Per chunk, with p = softmax(logits) times
 * the row weight w: loss += w·logit[target] − w·log Σexp; dbias −= Σ_rows p and += w at the
 * targets; dinput = w·W[target] − p W; dW −= pᵀ x and += w·x at the target rows ('compact' adds
 * into dW directly, the other policies through a per-chunk block, as Python's).
 */
function lossAndGrads(op: Operands, cfg: ChunkedConfig, upstream: Tensor | null): LossAndGrads {
  return scope(() => {
    const dtype: DType = op.input.dtype;
    const device = op.input.device;
    const [n = 0] = op.input.shape;
    const numClasses = op.linearWeight.shape[0] ?? 0;
    const mask = op.target.eq(cfg.ignoreIndex);
    const target = safeTarget(op.target, mask, cfg.ignoreIndex, numClasses);
    const acc = cfg.accDtype;
    const mixed = acc !== dtype;
    // float16 sums its loss in float32; bfloat16 in bfloat16 (Python's output dtypes).
    const lossDtype: DType = dtype === 'float16' ? acc : dtype;
    const w = rowWeights(op, acc, target, mask, cfg.reduction, upstream);
    const weightAcc = op.linearWeight.to(acc);
    const computeGrads = cfg.computeInputGrad || cfg.computeLinearWeightGrad || cfg.computeLinearBiasGrad;
    // 'compact' streams into dW; 'accurate' and 'balanced' stage each chunk's dW in a block.
    const staged = cfg.accPolicy !== 'compact';
    let loss =
      cfg.reduction === 'mean' && n === 0
        ? full([], Number.NaN, { dtype: lossDtype, device })
        : zeros([], { dtype: lossDtype, device });
    let gradLinearWeight = cfg.computeLinearWeightGrad ? zeros(op.linearWeight.shape, { dtype, device }) : null;
    let gradLinearBias = cfg.computeLinearBiasGrad ? zeros([numClasses], { dtype, device }) : null;
    const inputParts: Tensor[] = [];
    for (let start = 0; start < n; start += cfg.batchChunkSize) {
      const size = Math.min(cfg.batchChunkSize, n - start);
      const step = scope(() => {
        const rows = op.input.narrow(0, start, size).to(acc);
        const t = target.narrow(0, start, size);
        const wc = w.narrow(0, start, size);
        const logits = shiftedLogits(op, rows, weightAcc);
        let out = loss.add(wc.dot(logits.gather(1, t.unsqueeze(1)).squeeze(1).to(wc.dtype))).to(lossDtype);
        const expd = logits.exp();
        const denom = expd.sum(1, { dtype: acc });
        const p = computeGrads ? expd.mul(wc.div(denom).unsqueeze(1)) : expd;
        out = out.sub(wc.to(denom.dtype).dot(denom.log())).to(lossDtype);
        let gb = gradLinearBias;
        if (gb !== null) {
          // Mixed precision sums each chunk's dbias in a zeroed float32 block, then rounds it in.
          gb = mixed
            ? gb.add(
                zeros([numClasses], { dtype: acc, device })
                  .sub(p.sum(0, { dtype: acc }))
                  .indexAdd(0, t, wc)
                  .to(dtype),
              )
            : gb.sub(p.sum(0, { dtype })).indexAdd(0, t, wc);
        }
        const gi = cfg.computeInputGrad
          ? addmm(weightAcc.indexSelect(0, t).mul(wc.to(acc).unsqueeze(1)), p, weightAcc, { alpha: -1 })
          : null;
        let gw = gradLinearWeight;
        if (gw !== null) {
          const scaledRows = rows.mul(wc.unsqueeze(1));
          gw = staged
            ? gw.sub(p.t().mm(rows).indexAdd(0, t, scaledRows, { alpha: -1 })).to(dtype)
            : addmm(gw, p.t(), rows, { alpha: -1 }).indexAdd(0, t, scaledRows, { alpha: 1 });
        }
        return { out, gb, gi, gw };
      });
      // The previous accumulators are replaced: free them now, not at the end of the loop.
      if (step.out !== loss) loss.dispose();
      loss = step.out;
      if (gradLinearBias !== null && step.gb !== gradLinearBias) gradLinearBias.dispose();
      gradLinearBias = step.gb;
      if (gradLinearWeight !== null && step.gw !== gradLinearWeight) gradLinearWeight.dispose();
      gradLinearWeight = step.gw;
      if (step.gi !== null) inputParts.push(step.gi);
    }
    let gradInput: Tensor | null = null;
    if (cfg.computeInputGrad) {
      gradInput = n === 0 ? empty(op.input.shape, { dtype, device }) : cat(inputParts, 0).to(dtype);
    }
    return { loss: loss.to(dtype), gradInput, gradLinearWeight, gradLinearBias };
  });
}

const TWICE =
  'linearCrossEntropy: the chunked backward was called twice; retainGraph (or double backward) needs options.allowRetainGraph: true';

/** 'mean' and 'sum': forward computes the loss and its gradients; backward scales the gradients. */
class LinearCrossEntropyChunked extends AutogradFunction {
  static override forward(
    ctx: FunctionCtx,
    input: Tensor,
    linearWeight: Tensor,
    target: Tensor,
    linearBias: Tensor | null,
    weight: Tensor | null,
    cfg: ChunkedConfig,
  ): Tensor {
    const r = lossAndGrads({ input, linearWeight, target, linearBias, weight }, cfg, null);
    ctx.saveForBackward(r.gradInput, r.gradLinearWeight, r.gradLinearBias);
    ctx.allowRetainGraph = cfg.allowRetainGraph;
    ctx.consumed = false;
    return r.loss;
  }

  static override backward(ctx: FunctionCtx, gradOutput: Tensor): (Tensor | null)[] {
    // Python consumes its stored gradients in place unless allowRetainGraph; a second backward fails.
    if (ctx.consumed && !ctx.allowRetainGraph) throw new Error(TWICE);
    ctx.consumed = true;
    const [gi, gw, gb] = ctx.savedTensors;
    const scale = (g: Tensor | null | undefined): Tensor | null => (g ? g.mul(gradOutput) : null);
    return [scale(gi), scale(gw), null, scale(gb), null, null];
  }
}

/** 'none': forward gives the per-row losses; backward recomputes the chunks for its gradients. */
class LinearCrossEntropyChunkedNoReduction extends AutogradFunction {
  static override forward(
    ctx: FunctionCtx,
    input: Tensor,
    linearWeight: Tensor,
    target: Tensor,
    linearBias: Tensor | null,
    weight: Tensor | null,
    cfg: ChunkedConfig,
  ): Tensor {
    ctx.saveForBackward(input, linearWeight, target, linearBias, weight);
    ctx.cfg = cfg;
    return rowLosses({ input, linearWeight, target, linearBias, weight }, cfg);
  }

  static override backward(ctx: FunctionCtx, gradOutput: Tensor): (Tensor | null)[] {
    const [input, linearWeight, target, linearBias, weight] = ctx.savedTensors as (Tensor | null)[];
    const needs = ctx.needsInputGrad;
    const cfg: ChunkedConfig = {
      ...(ctx.cfg as ChunkedConfig),
      computeInputGrad: needs[0] ?? false,
      computeLinearWeightGrad: needs[1] ?? false,
      computeLinearBiasGrad: linearBias != null && (needs[3] ?? false),
    };
    if (!(cfg.computeInputGrad || cfg.computeLinearWeightGrad || cfg.computeLinearBiasGrad)) {
      return [null, null, null, null, null, null];
    }
    const op = { input, linearWeight, target, linearBias, weight } as Operands;
    const r = lossAndGrads(op, cfg, gradOutput);
    return [r.gradInput, r.gradLinearWeight, null, r.gradLinearBias, null, null];
  }
}

/**
 * The chunked loss of 2-D input (N, F), weight (C, F), int64 target (N,); autograd-recorded. Call
 * it in a scope: the gradients that forward saves stay in the scope until it ends.
 */
export function chunkedLinearCrossEntropy(
  input: Tensor,
  linearWeight: Tensor,
  target: Tensor,
  linearBias: Tensor | null,
  weight: Tensor | null,
  cfg: ChunkedConfig,
): Tensor {
  const fn = cfg.reduction === 'none' ? LinearCrossEntropyChunkedNoReduction : LinearCrossEntropyChunked;
  return fn.apply(input, linearWeight, target, linearBias, weight, cfg);
}
