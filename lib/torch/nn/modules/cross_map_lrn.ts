// nn.CrossMapLRN2d: Lua Torch's cross-channel local response normalisation, kept by PyTorch as a
// custom autograd Function with a hand-written backward. Both passes here follow Python's loop
// structure (a running window sum over channels in forward; a running sum of the padded ratio
// grad·out/scale in backward), since that order is what fixes the float results to the bit, and
// the backward is Lua Torch's formula rather than autograd's derivative of the forward.
import { addcmul, cat, stack, zeros } from '../../../generated/functions.js';
import { AutogradFunction, type FunctionCtx } from '../../autograd.js';
import { scope } from '../../lifetime.js';
import type { Tensor } from '../../tensor.js';
import { named, tensorArg } from '../functional_checks.js';
import { Module } from '../module.js';
import { pyFloat } from '../repr.js';

interface LrnParams {
  size: number;
  alpha: number;
  beta: number;
  k: number;
}

class CrossMapLRN2dFunction extends AutogradFunction {
  static override forward(ctx: FunctionCtx, input: Tensor, p: LrnParams): Tensor {
    const { output, scale } = scope(() => {
      const channels = input.shape[1] ?? 0;
      const square = input.pow(2);
      // Python's int((size - 1) / 2 + 1): the channels ahead of c (c included) in c's window.
      const prePad = Math.trunc((p.size - 1) / 2 + 1);
      // scale[:, c] is the sum of squares over c's window, slid along the channels.
      let current = zeros(square.select(1, 0).shape, { dtype: input.dtype, device: input.device });
      for (let c = 0; c < Math.min(prePad, channels); c++) current = current.add(square.select(1, c));
      const sums = [current];
      for (let c = 1; c < channels; c++) {
        if (c < channels - prePad + 1) current = current.add(square.select(1, c + prePad - 1));
        if (c > prePad) current = current.sub(square.select(1, c - prePad));
        sums.push(current);
      }
      const scale = stack(sums, 1)
        .mul(p.alpha / p.size)
        .add(p.k);
      return { output: scale.pow(-p.beta).mul(input), scale };
    });
    ctx.saveForBackward(input, output, scale);
    ctx.lrn = p;
    return output;
  }

  static override backward(ctx: FunctionCtx, gradOutput: Tensor): (Tensor | null)[] {
    const [input, output, scale] = ctx.savedTensors as Tensor[];
    const p = ctx.lrn as LrnParams;
    if (!(input && output && scale)) throw new Error('CrossMapLRN2d: saved tensors are missing');
    const [batch = 0, channels = 0, height = 0, width = 0] = input.shape;
    const ratioValue = (2 * p.alpha * p.beta) / p.size;
    // Python's int(size - (size - 1) / 2): where the ratios start in the padded channel axis.
    const inversePrePad = Math.trunc(p.size - (p.size - 1) / 2);
    const padRows = channels + p.size - 1;
    if (inversePrePad + channels > padRows) {
      throw new Error(`CrossMapLRN2d: backward needs size >= 2 (Lua Torch's padding), got size ${p.size}`);
    }
    const base = scale.pow(-p.beta).mul(gradOutput);
    const samples: Tensor[] = [];
    for (let n = 0; n < batch; n++) {
      const ratio = gradOutput.select(0, n).mul(output.select(0, n)).div(scale.select(0, n));
      // Lua Torch's zero-padded channel axis: inversePrePad zero rows, the ratios, zero rows.
      const pad = (rows: number) => zeros([rows, height, width], { dtype: input.dtype, device: input.device });
      const padded = cat([pad(inversePrePad), ratio, pad(padRows - inversePrePad - channels)], 0);
      let accum = padded.narrow(0, 0, p.size - 1).sum(0);
      const rows: Tensor[] = [];
      for (let c = 0; c < channels; c++) {
        accum = accum.add(padded.select(0, c + p.size - 1));
        rows.push(
          addcmul(base.select(0, n).select(0, c), input.select(0, n).select(0, c), accum, { value: -ratioValue }),
        );
        accum = accum.sub(padded.select(0, c));
      }
      samples.push(stack(rows, 0));
    }
    const gradInput = batch === 0 ? base : stack(samples, 0);
    return [gradInput, null];
  }
}

/** nn.CrossMapLRN2d(size, {alpha, beta, k}): LRN across channels of (N, C, H, W) input. */
export class CrossMapLRN2d extends Module {
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;

  constructor(
    readonly size: number,
    options?: { alpha?: number; beta?: number; k?: number },
  ) {
    super();
    this.alpha = options?.alpha ?? 1e-4;
    this.beta = options?.beta ?? 0.75;
    this.k = options?.k ?? 1;
  }

  forward(input: Tensor): Tensor {
    return named('CrossMapLRN2d', () => {
      tensorArg('CrossMapLRN2d', 'input', input);
      if (input.dim() !== 4) {
        throw new Error(
          `Expected input to be 4D, got ${input.dim()}D instead (input of shape [${input.shape.join(', ')}])`,
        );
      }
      // The scope frees our handle on `scale`, which forward saved for backward.
      const p = { size: this.size, alpha: this.alpha, beta: this.beta, k: this.k };
      return scope(() => CrossMapLRN2dFunction.apply(input, p));
    });
  }

  // Python prints its fields as given: the default k is the int 1.
  override extraRepr(): string {
    return `${this.size}, alpha=${pyFloat(this.alpha)}, beta=${pyFloat(this.beta)}, k=${Number.isInteger(this.k) ? this.k : pyFloat(this.k)}`;
  }
}
