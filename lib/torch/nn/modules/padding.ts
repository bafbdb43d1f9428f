// Padding layers over F.pad: constant (and zero), reflection, replication and circular, 1-d to
// 3-d. The padding is stored as PyTorch stores it, one (left, right[, top, bottom[, front, back]])
// tuple.
import type { Tensor } from '../../tensor.js';
import * as F from '../functional.js';
import { Module } from '../module.js';
import { pyFloat, pyTuple } from '../repr.js';

type Padding = number | number[];

/** A number repeated `n` times, or an array of `n` integers (PyTorch's _pair, _quadruple, _ntuple(6)). */
function expand(owner: string, padding: Padding, n: number): number[] {
  const list = typeof padding === 'number' ? new Array<number>(n).fill(padding) : padding;
  if (!Array.isArray(list) || list.length !== n || !list.every((v) => Number.isInteger(v))) {
    throw new TypeError(
      `${owner}: padding must be an integer or an array of ${n} integers, got ${JSON.stringify(padding)}`,
    );
  }
  return [...list];
}

/** F.pad, with an error from it named after the layer (`ReflectionPad1d: pad: ...`). */
function padAs(owner: string, input: Tensor, padding: number[], mode: string, value?: number): Tensor {
  try {
    return F.pad(input, padding, value === undefined ? { mode } : { mode, value });
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    throw e instanceof TypeError ? new TypeError(`${owner}: ${e.message}`) : new Error(`${owner}: ${e.message}`);
  }
}

abstract class ConstantPadNd extends Module {
  readonly padding: number[];

  constructor(
    padding: Padding,
    readonly value: number,
    dims: number,
  ) {
    super();
    this.padding = expand(new.target.name, padding, 2 * dims);
    if (typeof value !== 'number') {
      throw new TypeError(`${new.target.name}: value must be a number, got ${typeof value}`);
    }
  }

  forward(input: Tensor): Tensor {
    return padAs(this.constructor.name, input, this.padding, 'constant', this.value);
  }

  override extraRepr(): string {
    return `padding=${pyTuple(this.padding)}, value=${pyFloat(this.value)}`;
  }
}

/** Pads the last dim with `value`: padding is a number or [left, right]. */
export class ConstantPad1d extends ConstantPadNd {
  constructor(padding: Padding, value: number) {
    super(padding, value, 1);
  }
}

/** Pads the last 2 dims with `value`: padding is a number or [left, right, top, bottom]. */
export class ConstantPad2d extends ConstantPadNd {
  constructor(padding: Padding, value: number) {
    super(padding, value, 2);
  }
}

/** Pads the last 3 dims with `value`: padding is a number or [left, right, top, bottom, front, back]. */
export class ConstantPad3d extends ConstantPadNd {
  constructor(padding: Padding, value: number) {
    super(padding, value, 3);
  }
}

/** Pads the last dim with zeros. */
export class ZeroPad1d extends ConstantPad1d {
  constructor(padding: Padding) {
    super(padding, 0);
  }

  override extraRepr(): string {
    return pyTuple(this.padding);
  }
}

/** Pads the last 2 dims with zeros. */
export class ZeroPad2d extends ConstantPad2d {
  constructor(padding: Padding) {
    super(padding, 0);
  }

  override extraRepr(): string {
    return pyTuple(this.padding);
  }
}

/** Pads the last 3 dims with zeros. */
export class ZeroPad3d extends ConstantPad3d {
  constructor(padding: Padding) {
    super(padding, 0);
  }

  override extraRepr(): string {
    return pyTuple(this.padding);
  }
}

abstract class ModePadNd extends Module {
  readonly padding: number[];

  constructor(
    padding: Padding,
    dims: number,
    private readonly mode: 'reflect' | 'replicate',
  ) {
    super();
    this.padding = expand(new.target.name, padding, 2 * dims);
  }

  forward(input: Tensor): Tensor {
    return padAs(this.constructor.name, input, this.padding, this.mode);
  }

  override extraRepr(): string {
    return pyTuple(this.padding);
  }
}

/** Pads the last dim with its reflection (the edge not repeated); (C, W) or (N, C, W) input. */
export class ReflectionPad1d extends ModePadNd {
  constructor(padding: Padding) {
    super(padding, 1, 'reflect');
  }
}

/** Pads the last 2 dims with their reflection; (C, H, W) or (N, C, H, W) input. */
export class ReflectionPad2d extends ModePadNd {
  constructor(padding: Padding) {
    super(padding, 2, 'reflect');
  }
}

/** Pads the last 3 dims with their reflection; (C, D, H, W) or (N, C, D, H, W) input. */
export class ReflectionPad3d extends ModePadNd {
  constructor(padding: Padding) {
    super(padding, 3, 'reflect');
  }
}

/** Pads the last dim by repeating its edge values; (C, W) or (N, C, W) input. */
export class ReplicationPad1d extends ModePadNd {
  constructor(padding: Padding) {
    super(padding, 1, 'replicate');
  }
}

/** Pads the last 2 dims by repeating their edge values; (C, H, W) or (N, C, H, W) input. */
export class ReplicationPad2d extends ModePadNd {
  constructor(padding: Padding) {
    super(padding, 2, 'replicate');
  }
}

/** Pads the last 3 dims by repeating their edge values; (C, D, H, W) or (N, C, D, H, W) input. */
export class ReplicationPad3d extends ModePadNd {
  constructor(padding: Padding) {
    super(padding, 3, 'replicate');
  }
}

/**
 * PyTorch's _CircularPadNd: pads by wrapping around (the far edge's values before the near one),
 * after checking the input's rank as Python's layer does (F.pad's circular mode would also take
 * an input with a batch dim fewer).
 */
abstract class CircularPadNd extends Module {
  readonly padding: number[];

  constructor(
    padding: Padding,
    private readonly dims: number,
  ) {
    super();
    this.padding = expand(new.target.name, padding, 2 * dims);
  }

  forward(input: Tensor): Tensor {
    const owner = this.constructor.name;
    if (input.dim() !== this.dims + 1 && input.dim() !== this.dims + 2) {
      throw new Error(`${owner}: expected ${this.dims + 1}D or ${this.dims + 2}D input (got ${input.dim()}D input)`);
    }
    return padAs(owner, input, this.padding, 'circular');
  }

  override extraRepr(): string {
    return pyTuple(this.padding);
  }
}

/** Pads the last dim circularly; (C, W) or (N, C, W) input. */
export class CircularPad1d extends CircularPadNd {
  constructor(padding: Padding) {
    super(padding, 1);
  }
}

/** Pads the last 2 dims circularly; (C, H, W) or (N, C, H, W) input. */
export class CircularPad2d extends CircularPadNd {
  constructor(padding: Padding) {
    super(padding, 2);
  }
}

/** Pads the last 3 dims circularly; (C, D, H, W) or (N, C, D, H, W) input. */
export class CircularPad3d extends CircularPadNd {
  constructor(padding: Padding) {
    super(padding, 3);
  }
}
