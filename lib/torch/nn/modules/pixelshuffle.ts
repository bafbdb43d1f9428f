// Sub-pixel rearrangements: (C·r², H, W) ↔ (C, H·r, W·r), over F.pixelShuffle / F.pixelUnshuffle.
import type { Tensor } from '../../tensor.js';
import * as F from '../functional.js';
import { Module } from '../module.js';

/** (*, C·r², H, W) → (*, C, H·r, W·r). */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) {
    super();
  }

  forward(input: Tensor): Tensor {
    return F.pixelShuffle(input, this.upscaleFactor);
  }

  override extraRepr(): string {
    return `upscale_factor=${this.upscaleFactor}`;
  }
}

/** (*, C, H·r, W·r) → (*, C·r², H, W). */
export class PixelUnshuffle extends Module {
  constructor(readonly downscaleFactor: number) {
    super();
  }

  forward(input: Tensor): Tensor {
    return F.pixelUnshuffle(input, this.downscaleFactor);
  }

  override extraRepr(): string {
    return `downscale_factor=${this.downscaleFactor}`;
  }
}
