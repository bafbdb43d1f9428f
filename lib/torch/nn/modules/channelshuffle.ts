// ChannelShuffle (ShuffleNet's): the channels split into groups and interleaved, over F.channelShuffle.
import type { Tensor } from '../../tensor.js';
import * as F from '../functional.js';
import { Module } from '../module.js';

/** (N, C, *) with the channels in `groups` groups interleaved: (N, g, C/g, *) → (N, C/g, g, *). */
export class ChannelShuffle extends Module {
  constructor(readonly groups: number) {
    super();
  }

  forward(input: Tensor): Tensor {
    return F.channelShuffle(input, this.groups);
  }

  override extraRepr(): string {
    return `groups=${this.groups}`;
  }
}
