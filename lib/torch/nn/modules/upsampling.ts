// Upsample over F.interpolate, and the two fixed-mode layers PyTorch keeps beside it.
import type { Tensor } from '../../tensor.js';
import * as F from '../functional.js';
import { Module } from '../module.js';
import { pyFloat, pyTuple } from '../repr.js';

export type InterpolationMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area';

export interface UpsampleOptions {
  /** The output's spatial size: one number for every spatial dim, or one per dim. */
  size?: number | number[] | null;
  /** The multiplier of every spatial dim, or one per dim. */
  scaleFactor?: number | number[] | null;
  mode?: InterpolationMode;
  /** For the linear modes: align the corner pixels' centres (PyTorch's default: false). */
  alignCorners?: boolean | null;
  /** Resample to floor(size·scaleFactor) instead of by scaleFactor. */
  recomputeScaleFactor?: boolean | null;
}

/** Resamples (N, C, W), (N, C, H, W) or (N, C, D, H, W) input to a size or by a factor. */
export class Upsample extends Module {
  readonly size: number | number[] | null;
  readonly scaleFactor: number | number[] | null;
  readonly mode: InterpolationMode;
  readonly alignCorners: boolean | null;
  readonly recomputeScaleFactor: boolean | null;

  constructor(options?: UpsampleOptions) {
    super();
    this.size = options?.size ?? null;
    const sf = options?.scaleFactor;
    // As Python: a factor of 0 (falsy) is no factor.
    this.scaleFactor = Array.isArray(sf) ? [...sf] : sf ? sf : null;
    this.mode = options?.mode ?? 'nearest';
    this.alignCorners = options?.alignCorners ?? null;
    this.recomputeScaleFactor = options?.recomputeScaleFactor ?? null;
  }

  forward(input: Tensor): Tensor {
    return F.interpolate(input, {
      size: this.size,
      scaleFactor: this.scaleFactor,
      mode: this.mode,
      alignCorners: this.alignCorners,
      recomputeScaleFactor: this.recomputeScaleFactor,
    });
  }

  override extraRepr(): string {
    let info: string;
    if (this.scaleFactor !== null) {
      const sf = this.scaleFactor;
      info = `scale_factor=${Array.isArray(sf) ? (sf.length === 1 ? `(${pyFloat(sf[0] as number)},)` : `(${sf.map(pyFloat).join(', ')})`) : pyFloat(sf)}`;
    } else {
      const s = this.size;
      info = `size=${s === null ? 'None' : Array.isArray(s) ? pyTuple(s) : String(s)}`;
    }
    return `${info}, mode='${this.mode}'`;
  }
}

/** Nearest-neighbour 2-d upsampling (PyTorch keeps it for compatibility: Upsample with mode 'nearest'). */
export class UpsamplingNearest2d extends Upsample {
  constructor(options?: { size?: number | number[] | null; scaleFactor?: number | number[] | null }) {
    super({ size: options?.size ?? null, scaleFactor: options?.scaleFactor ?? null, mode: 'nearest' });
  }
}

/** Bilinear 2-d upsampling with aligned corners (Upsample with mode 'bilinear', alignCorners true). */
export class UpsamplingBilinear2d extends Upsample {
  constructor(options?: { size?: number | number[] | null; scaleFactor?: number | number[] | null }) {
    super({
      size: options?.size ?? null,
      scaleFactor: options?.scaleFactor ?? null,
      mode: 'bilinear',
      alignCorners: true,
    });
  }
}
