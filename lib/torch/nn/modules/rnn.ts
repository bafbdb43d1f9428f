// torch.nn.RNN, LSTM, GRU and their cells, as PyTorch's: the same parameters under the same
// names in the same order (so that state dicts cross both ways), the same initialisation (one
// uniform_ draw per parameter, in that order, so that a seed gives PyTorch's weights), the same
// argument checks and messages, and ATen's fused kernels (rnn_tanh, rnn_relu, lstm, gru and the
// *_cell ops) called with the flat weight list in PyTorch's order. RNN, LSTM and GRU also take
// a PackedSequence (nn.utils.rnn), as PyTorch's: the packed overloads of the same kernels, the
// given states permuted into the packed batch's order and the final states back out of it.
import {
  gruCell,
  gru as gruOp,
  lstmCell,
  lstm as lstmOp,
  rnnRelu,
  rnnReluCell,
  rnnTanh,
  rnnTanhCell,
  zeros,
} from '../../../generated/functions.js';
import { Tensor } from '../../tensor.js';
import { uniform_ } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { pyBool, pyFloat, pyTuple } from '../repr.js';
import { PackedSequence } from '../utils/rnn.js';
import { type FactoryOptions, newParameter } from './linear.js';

export type RNNMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';
export type RNNNonlinearity = 'tanh' | 'relu';

/** The options RNN, LSTM and GRU share (PyTorch's keyword arguments, camelCased). */
export interface RNNBaseOptions extends FactoryOptions {
  numLayers?: number;
  bias?: boolean;
  batchFirst?: boolean;
  /** Dropout on the outputs of each layer but the last, while training. */
  dropout?: number;
  bidirectional?: boolean;
}

export interface RNNOptions extends RNNBaseOptions {
  nonlinearity?: RNNNonlinearity;
}

export interface LSTMOptions extends RNNBaseOptions {
  /** The size of LSTM's projected hidden state (0: no projection). */
  projSize?: number;
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
const shapeEq = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);
const pyShape = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** PyTorch's _apply_permutation: the batch (dim 1) of a hidden state reordered; itself without a permutation. */
function permuteHidden(hx: Tensor, permutation: Tensor | null): Tensor {
  return permutation === null ? hx : hx.indexSelect(1, permutation);
}

function gateCount(mode: RNNMode): number {
  return mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
}

/** One uniform_(-1/√hidden, 1/√hidden) per parameter, in registration order: PyTorch's reset_parameters. */
function resetUniform(m: Module, hiddenSize: number): void {
  const stdv = hiddenSize > 0 ? 1 / Math.sqrt(hiddenSize) : 0;
  for (const w of m.parameters()) uniform_(w, { a: -stdv, b: stdv });
}

/**
 * What RNN, LSTM and GRU share, as PyTorch's RNNBase: per layer and direction the parameters
 * weight_ih_l{k}{_reverse}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (with bias) and
 * weight_hr_l{k} (LSTM with projSize).
 */
export abstract class RNNBase extends Module {
  readonly mode: RNNMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  /** The parameter names in the order ATen takes them (PyTorch's _flat_weights_names). */
  readonly flatWeightsNames: string[] = [];
  /** The names per layer and direction (PyTorch's _all_weights). */
  private readonly allWeightsNames: string[][] = [];

  constructor(mode: RNNMode, inputSize: number, hiddenSize: number, options?: LSTMOptions) {
    super();
    const numLayers = options?.numLayers ?? 1;
    const bias = options?.bias ?? true;
    const batchFirst = options?.batchFirst ?? false;
    const dropout = options?.dropout ?? 0;
    const bidirectional = options?.bidirectional ?? false;
    const projSize = options?.projSize ?? 0;
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) {
      throw new Error(
        'dropout should be a number in range [0, 1] representing the probability of an element being zeroed',
      );
    }
    if (dropout > 0 && numLayers === 1) {
      process.emitWarning(
        `dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects num_layers greater than 1, but got dropout=${pyFloat(dropout)} and num_layers=${numLayers}`,
        'UserWarning',
      );
    }
    if (typeof bias !== 'boolean') throw new TypeError(`bias should be of type bool, got: ${typeof bias}`);
    if (typeof batchFirst !== 'boolean') {
      throw new TypeError(`batch_first should be of type bool, got: ${typeof batchFirst}`);
    }
    if (typeof bidirectional !== 'boolean') {
      throw new TypeError(`bidirectional should be of type bool, got: ${typeof bidirectional}`);
    }
    if (!isInt(inputSize)) throw new TypeError(`input_size should be of type int, got: ${inputSize}`);
    if (inputSize <= 0) throw new Error('input_size must be greater than zero');
    if (!isInt(hiddenSize)) throw new TypeError(`hidden_size should be of type int, got: ${hiddenSize}`);
    if (hiddenSize <= 0) throw new Error('hidden_size must be greater than zero');
    if (!isInt(numLayers)) throw new TypeError(`num_layers should be of type int, got: ${numLayers}`);
    if (numLayers <= 0) throw new Error('num_layers must be greater than zero');
    if (!isInt(projSize) || projSize < 0) {
      throw new Error('proj_size should be a positive integer or zero to disable projections');
    }
    if (projSize >= hiddenSize) throw new Error('proj_size has to be smaller than hidden_size');

    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.bias = bias;
    this.batchFirst = batchFirst;
    this.dropout = dropout;
    this.bidirectional = bidirectional;
    this.projSize = projSize;

    const gateSize = gateCount(mode) * hiddenSize;
    const numDirections = bidirectional ? 2 : 1;
    const realHiddenSize = projSize > 0 ? projSize : hiddenSize;
    for (let layer = 0; layer < numLayers; layer++) {
      for (let direction = 0; direction < numDirections; direction++) {
        const layerInputSize = layer === 0 ? inputSize : realHiddenSize * numDirections;
        const suffix = `l${layer}${direction === 1 ? '_reverse' : ''}`;
        const params: [string, number[]][] = [
          [`weight_ih_${suffix}`, [gateSize, layerInputSize]],
          [`weight_hh_${suffix}`, [gateSize, realHiddenSize]],
        ];
        if (bias) params.push([`bias_ih_${suffix}`, [gateSize]], [`bias_hh_${suffix}`, [gateSize]]);
        if (projSize > 0) params.push([`weight_hr_${suffix}`, [projSize, hiddenSize]]);
        for (const [name, shape] of params) this.registerParameter(name, newParameter(shape, options));
        const names = params.map(([n]) => n);
        this.flatWeightsNames.push(...names);
        this.allWeightsNames.push(names);
      }
    }
    this.resetParameters();
  }

  /** Every weight drawn from U(-1/√hiddenSize, 1/√hiddenSize), in parameter order, as PyTorch. */
  resetParameters(): void {
    resetUniform(this, this.hiddenSize);
  }

  /** The parameters in the order ATen's kernels take them (PyTorch's _flat_weights). */
  get flatWeights(): Parameter[] {
    const self = this as unknown as Record<string, Parameter>;
    return this.flatWeightsNames.map((n) => self[n] as Parameter);
  }

  /** The parameters per layer and direction, as PyTorch's all_weights. */
  get allWeights(): Parameter[][] {
    const self = this as unknown as Record<string, Parameter>;
    return this.allWeightsNames.map((names) => names.map((n) => self[n] as Parameter));
  }

  /** A no-op here, as PyTorch's on the CPU (there it packs weights for cuDNN). */
  flattenParameters(): void {}

  protected get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  protected fail(message: string): never {
    throw new Error(`${this.constructor.name}: ${message}`);
  }

  /** A given hidden state that must be a Tensor. */
  protected hxTensor(hx: unknown): Tensor {
    if (!(hx instanceof Tensor)) throw new TypeError(`${this.constructor.name}: hx must be a Tensor`);
    return hx;
  }

  /** PyTorch's check_input: the weights' dtype, 3 dimensions (2 for packed data), the feature size. */
  protected checkInput(input: Tensor, packed = false): void {
    const wDtype = (this.flatWeights[0] as Parameter).dtype;
    if (input.dtype !== wDtype) {
      this.fail(
        `input dtype (${input.dtype}) does not match weight dtype (${wDtype}). Convert input: input.to('${wDtype}'), or convert model: model.to('${input.dtype}')`,
      );
    }
    const expectedDim = packed ? 2 : 3;
    if (input.dim() !== expectedDim) this.fail(`input must have ${expectedDim} dimensions, got ${input.dim()}`);
    if (input.size(-1) !== this.inputSize) {
      this.fail(`input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${input.size(-1)}`);
    }
  }

  /** The batch size of a (batched) input, or of a packed one's data (its first batch size). */
  protected miniBatch(input: Tensor, batchSizes: Tensor | null): number {
    return batchSizes !== null ? (batchSizes.select(0, 0).item() as number) : input.size(this.batchFirst ? 0 : 1);
  }

  protected expectedHiddenSize(miniBatch: number): number[] {
    return [this.numLayers * this.numDirections, miniBatch, this.projSize > 0 ? this.projSize : this.hiddenSize];
  }

  protected checkHiddenSize(hx: Tensor, expected: number[], what = 'hidden'): void {
    if (!shapeEq(hx.shape, expected)) {
      this.fail(`Expected ${what} size ${pyTuple(expected)}, got ${pyShape(hx.shape)}`);
    }
  }

  /** Refuses anything but a 2-D (unbatched) or 3-D input, with PyTorch's message. */
  protected checkInputDims(input: Tensor, tensorWord: string): void {
    if (typeof input?.dim !== 'function') throw new TypeError(`${this.constructor.name}: input must be a Tensor`);
    if (input.dim() !== 2 && input.dim() !== 3) {
      this.fail(`Expected input to be 2D or 3D, got ${input.dim()}D ${tensorWord}instead`);
    }
  }

  /** RNN's and GRU's forward: one hidden state tensor. */
  protected forwardSingle(
    input: Tensor | PackedSequence,
    hx: Tensor | null | undefined,
  ): [Tensor | PackedSequence, Tensor] {
    const op = this.mode === 'GRU' ? gruOp : this.mode === 'RNN_RELU' ? rnnRelu : rnnTanh;
    if (input instanceof PackedSequence) {
      const { data, batchSizes, sortedIndices, unsortedIndices } = input;
      const miniBatch = this.miniBatch(data, batchSizes);
      // Each batch of the given state belongs to the sequence the caller put there: into packed order.
      const h =
        hx === null || hx === undefined
          ? zeros([this.numLayers * this.numDirections, miniBatch, this.hiddenSize], {
              dtype: data.dtype,
              device: data.device,
            })
          : permuteHidden(this.hxTensor(hx), sortedIndices);
      this.checkInput(data, true);
      this.checkHiddenSize(h, this.expectedHiddenSize(miniBatch));
      const [output, hidden] = op(
        data,
        batchSizes,
        h,
        this.flatWeights,
        this.bias,
        this.numLayers,
        this.dropout,
        this.training,
        this.bidirectional,
      );
      return [
        new PackedSequence(output, batchSizes, sortedIndices, unsortedIndices),
        permuteHidden(hidden, unsortedIndices),
      ];
    }
    this.checkInputDims(input, this.mode === 'GRU' ? '' : 'tensor ');
    const isBatched = input.dim() === 3;
    const batchDim = this.batchFirst ? 0 : 1;
    let x = input;
    let h = hx ?? null;
    if (!isBatched) {
      x = x.unsqueeze(batchDim);
      if (h !== null) {
        if (h.dim() !== 2) this.fail(`For unbatched 2-D input, hx should also be 2-D but got ${h.dim()}-D tensor`);
        h = h.unsqueeze(1);
      }
    } else if (h !== null && h.dim() !== 3) {
      this.fail(`For batched 3-D input, hx should also be 3-D but got ${h.dim()}-D tensor`);
    }
    if (h === null) {
      h = zeros([this.numLayers * this.numDirections, x.size(batchDim), this.hiddenSize], {
        dtype: x.dtype,
        device: x.device,
      });
    }
    this.checkInput(x);
    this.checkHiddenSize(h, this.expectedHiddenSize(this.miniBatch(x, null)));
    let [output, hidden] = op(
      x,
      h,
      this.flatWeights,
      this.bias,
      this.numLayers,
      this.dropout,
      this.training,
      this.bidirectional,
      this.batchFirst,
    );
    if (!isBatched) {
      output = output.squeeze([batchDim]);
      hidden = hidden.squeeze([1]);
    }
    return [output, hidden];
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (this.bias !== true) s += `, bias=${pyBool(this.bias)}`;
    if (this.batchFirst !== false) s += `, batch_first=${pyBool(this.batchFirst)}`;
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional !== false) s += `, bidirectional=${pyBool(this.bidirectional)}`;
    return s;
  }
}

function refuseProjSize(options: object | undefined): void {
  if (options && 'projSize' in options && (options as { projSize?: unknown }).projSize !== undefined) {
    throw new Error('proj_size argument is only supported for LSTM, not RNN or GRU');
  }
}

/**
 * An Elman RNN, h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh) (or relu), over a sequence
 * of shape (L, N, H_in) ((N, L, H_in) with batchFirst, (L, H_in) unbatched). forward returns
 * [output, h_n].
 */
export class RNN extends RNNBase {
  readonly nonlinearity: RNNNonlinearity;

  constructor(inputSize: number, hiddenSize: number, options?: RNNOptions) {
    refuseProjSize(options);
    const nonlinearity = options?.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
      throw new Error(`Unknown nonlinearity '${String(nonlinearity)}'. Select from 'tanh' or 'relu'.`);
    }
    super(nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
  }

  /**
   * [output, h_n]: output (L, N, D·H_out), h_n (D·numLayers, N, H_out); hx defaults to zeros.
   * A PackedSequence in gives a PackedSequence out (hx and h_n in the caller's batch order).
   */
  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  forward(input: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    return this.forwardSingle(input, hx);
  }
}

/** A multi-layer gated recurrent unit over a sequence; forward returns [output, h_n]. */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options?: RNNBaseOptions) {
    refuseProjSize(options);
    super('GRU', inputSize, hiddenSize, options);
  }

  /**
   * [output, h_n]: output (L, N, D·H_out), h_n (D·numLayers, N, H_out); hx defaults to zeros.
   * A PackedSequence in gives a PackedSequence out (hx and h_n in the caller's batch order).
   */
  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  forward(input: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    return this.forwardSingle(input, hx);
  }
}

/**
 * A multi-layer long short-term memory over a sequence, with an optional projection of the
 * hidden state (projSize); forward returns [output, [h_n, c_n]].
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options?: LSTMOptions) {
    super('LSTM', inputSize, hiddenSize, options);
  }

  protected expectedCellSize(miniBatch: number): number[] {
    return [this.numLayers * this.numDirections, miniBatch, this.hiddenSize];
  }

  private zeroStates(miniBatch: number, like: Tensor): [Tensor, Tensor] {
    const rows = this.numLayers * this.numDirections;
    const o = { dtype: like.dtype, device: like.device };
    return [
      zeros([rows, miniBatch, this.projSize > 0 ? this.projSize : this.hiddenSize], o),
      zeros([rows, miniBatch, this.hiddenSize], o),
    ];
  }

  private checkPair(hx: unknown): [Tensor, Tensor] {
    if (!Array.isArray(hx) || hx.length !== 2 || !hx.every((t) => t instanceof Tensor)) {
      throw new TypeError('LSTM: hx must be a pair [h_0, c_0] of Tensors');
    }
    return hx as [Tensor, Tensor];
  }

  /**
   * [output, [h_n, c_n]]: output (L, N, D·H_out), h_n (D·numLayers, N, H_out), c_n
   * (D·numLayers, N, H_cell), where H_out is projSize when set; hx = [h_0, c_0] defaults to zeros.
   * A PackedSequence in gives a PackedSequence out (hx and [h_n, c_n] in the caller's batch order).
   */
  forward(input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]];
  forward(input: PackedSequence, hx?: [Tensor, Tensor] | null): [PackedSequence, [Tensor, Tensor]];
  forward(input: Tensor | PackedSequence, hx?: [Tensor, Tensor] | null): [Tensor | PackedSequence, [Tensor, Tensor]] {
    if (input instanceof PackedSequence) {
      const { data, batchSizes, sortedIndices, unsortedIndices } = input;
      const miniBatch = this.miniBatch(data, batchSizes);
      let h: Tensor;
      let c: Tensor;
      if (hx === null || hx === undefined) [h, c] = this.zeroStates(miniBatch, data);
      else {
        // Each batch of the given states belongs to the sequence the caller put there: into packed order.
        [h, c] = this.checkPair(hx);
        h = permuteHidden(h, sortedIndices);
        c = permuteHidden(c, sortedIndices);
      }
      this.checkInput(data, true);
      this.checkHiddenSize(h, this.expectedHiddenSize(miniBatch), 'hidden[0]');
      this.checkHiddenSize(c, this.expectedCellSize(miniBatch), 'hidden[1]');
      const [output, hn, cn] = lstmOp(
        data,
        batchSizes,
        [h, c],
        this.flatWeights,
        this.bias,
        this.numLayers,
        this.dropout,
        this.training,
        this.bidirectional,
      );
      return [
        new PackedSequence(output, batchSizes, sortedIndices, unsortedIndices),
        [permuteHidden(hn, unsortedIndices), permuteHidden(cn, unsortedIndices)],
      ];
    }
    this.checkInputDims(input, '');
    const isBatched = input.dim() === 3;
    const batchDim = this.batchFirst ? 0 : 1;
    const x = isBatched ? input : input.unsqueeze(batchDim);
    let h: Tensor;
    let c: Tensor;
    if (hx === null || hx === undefined) {
      [h, c] = this.zeroStates(x.size(batchDim), x);
    } else {
      [h, c] = this.checkPair(hx);
      const want = isBatched ? 3 : 2;
      if (h.dim() !== want || c.dim() !== want) {
        this.fail(
          `For ${isBatched ? 'batched 3-D' : 'unbatched 2-D'} input, hx and cx should also be ${want}-D but got (${h.dim()}-D, ${c.dim()}-D) tensors`,
        );
      }
      if (!isBatched) {
        h = h.unsqueeze(1);
        c = c.unsqueeze(1);
      }
    }
    this.checkInput(x);
    const miniBatch = this.miniBatch(x, null);
    this.checkHiddenSize(h, this.expectedHiddenSize(miniBatch), 'hidden[0]');
    this.checkHiddenSize(c, this.expectedCellSize(miniBatch), 'hidden[1]');
    let [output, hn, cn] = lstmOp(
      x,
      [h, c],
      this.flatWeights,
      this.bias,
      this.numLayers,
      this.dropout,
      this.training,
      this.bidirectional,
      this.batchFirst,
    );
    if (!isBatched) {
      output = output.squeeze([batchDim]);
      hn = hn.squeeze([1]);
      cn = cn.squeeze([1]);
    }
    return [output, [hn, cn]];
  }
}

// ---- cells

/**
 * What the cells share, as PyTorch's RNNCellBase: weight_ih, weight_hh, bias_ih, bias_hh
 * (the biases null without bias), all drawn from U(-1/√hiddenSize, 1/√hiddenSize).
 */
export abstract class RNNCellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  weight_ih: Parameter;
  weight_hh: Parameter;
  bias_ih: Parameter | null;
  bias_hh: Parameter | null;

  constructor(inputSize: number, hiddenSize: number, bias: boolean, numChunks: number, options?: FactoryOptions) {
    super();
    if (!isInt(inputSize) || inputSize < 0) throw new TypeError(`input_size should be an int >= 0, got: ${inputSize}`);
    if (!isInt(hiddenSize) || hiddenSize < 0) {
      throw new TypeError(`hidden_size should be an int >= 0, got: ${hiddenSize}`);
    }
    if (typeof bias !== 'boolean') throw new TypeError(`bias should be of type bool, got: ${typeof bias}`);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.bias = bias;
    this.weight_ih = newParameter([numChunks * hiddenSize, inputSize], options);
    this.weight_hh = newParameter([numChunks * hiddenSize, hiddenSize], options);
    this.bias_ih = bias ? newParameter([numChunks * hiddenSize], options) : null;
    this.bias_hh = bias ? newParameter([numChunks * hiddenSize], options) : null;
    this.resetParameters();
  }

  resetParameters(): void {
    resetUniform(this, this.hiddenSize);
  }

  protected fail(message: string): never {
    throw new Error(`${this.constructor.name}: ${message}`);
  }

  /**
   * PyTorch's checks, in its order: the input 1-D or 2-D, then the states (`checkStates`), then
   * ATen's check of the input's feature size. Returns the input batched, and whether it was.
   */
  protected batchedInput(input: Tensor, checkStates: () => void): [Tensor, boolean] {
    if (typeof input?.dim !== 'function') throw new TypeError(`${this.constructor.name}: input must be a Tensor`);
    if (input.dim() !== 1 && input.dim() !== 2) {
      this.fail(`Expected input to be 1D or 2D, got ${input.dim()}D instead`);
    }
    checkStates();
    const isBatched = input.dim() === 2;
    const x = isBatched ? input : input.unsqueeze(0);
    if (x.size(1) !== this.inputSize) {
      this.fail(`input has inconsistent input_size: got ${x.size(1)} expected ${this.inputSize}`);
    }
    return [x, isBatched];
  }

  /** ATen's check of a (batched) hidden state against the (batched) input. */
  protected checkHidden(x: Tensor, h: Tensor, label: number, isBatched: boolean): void {
    if (h.dim() !== 2) {
      const dims = isBatched ? h.dim() : h.dim() - 1;
      this.fail(
        isBatched
          ? `Expected hidden${label} to be 2D (batch, hidden_size) for a 2D input, got ${dims}D`
          : `Expected hidden${label} to be 1D (hidden_size) for a 1D input, got ${dims}D`,
      );
    }
    if (x.size(0) !== h.size(0)) {
      this.fail(`Input batch size ${x.size(0)} doesn't match hidden${label} batch size ${h.size(0)}`);
    }
    if (h.size(1) !== this.hiddenSize) {
      this.fail(`hidden${label} has inconsistent hidden_size: got ${h.size(1)}, expected ${this.hiddenSize}`);
    }
  }

  protected zerosFor(x: Tensor): Tensor {
    return zeros([x.size(0), this.hiddenSize], { dtype: x.dtype, device: x.device });
  }

  protected get biases(): { bIh: Parameter | null; bHh: Parameter | null } {
    return { bIh: this.bias_ih, bHh: this.bias_hh };
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.bias !== true) s += `, bias=${pyBool(this.bias)}`;
    return s;
  }
}

/** One step of an Elman RNN: h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (or relu). */
export class RNNCell extends RNNCellBase {
  readonly nonlinearity: RNNNonlinearity;

  constructor(
    inputSize: number,
    hiddenSize: number,
    options?: { bias?: boolean; nonlinearity?: RNNNonlinearity } & FactoryOptions,
  ) {
    super(inputSize, hiddenSize, options?.bias ?? true, 1, options);
    const nonlinearity = options?.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
      throw new Error(`Unknown nonlinearity: ${String(nonlinearity)}`);
    }
    this.nonlinearity = nonlinearity;
  }

  /** h' of shape (N, H_out), or (H_out) for a 1-D input; hx defaults to zeros. */
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const [x, isBatched] = this.batchedInput(input, () => {
      if (hx && hx.dim() !== 1 && hx.dim() !== 2) this.fail(`Expected hidden to be 1D or 2D, got ${hx.dim()}D instead`);
    });
    const h = hx ? (isBatched ? hx : hx.unsqueeze(0)) : this.zerosFor(x);
    this.checkHidden(x, h, 0, isBatched);
    const op = this.nonlinearity === 'tanh' ? rnnTanhCell : rnnReluCell;
    const out = op(x, h, this.weight_ih, this.weight_hh, this.biases);
    return isBatched ? out : out.squeeze([0]);
  }

  override extraRepr(): string {
    const s = super.extraRepr();
    return this.nonlinearity !== 'tanh' ? `${s}, nonlinearity=${this.nonlinearity}` : s;
  }
}

/** One LSTM step: forward(input, [h, c]) returns [h', c']. */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options?: { bias?: boolean } & FactoryOptions) {
    super(inputSize, hiddenSize, options?.bias ?? true, 4, options);
  }

  /** [h', c'], each (N, H_out), or (H_out) for a 1-D input; hx = [h, c] defaults to zeros. */
  forward(input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, Tensor] {
    if (hx && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new TypeError('LSTMCell: hx must be a pair [h, c] of Tensors');
    }
    const [x, isBatched] = this.batchedInput(input, () => {
      hx?.forEach((v, idx) => {
        if (v.dim() !== 1 && v.dim() !== 2) this.fail(`Expected hx[${idx}] to be 1D or 2D, got ${v.dim()}D instead`);
      });
    });
    let h: Tensor;
    let c: Tensor;
    if (hx) {
      [h, c] = isBatched ? hx : [hx[0].unsqueeze(0), hx[1].unsqueeze(0)];
    } else {
      h = this.zerosFor(x);
      c = h;
    }
    this.checkHidden(x, h, 0, isBatched);
    this.checkHidden(x, c, 1, isBatched);
    const [hy, cy] = lstmCell(x, [h, c], this.weight_ih, this.weight_hh, this.biases);
    return isBatched ? [hy, cy] : [hy.squeeze([0]), cy.squeeze([0])];
  }
}

/** One GRU step: h' of shape (N, H_out). */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options?: { bias?: boolean } & FactoryOptions) {
    super(inputSize, hiddenSize, options?.bias ?? true, 3, options);
  }

  /** h' of shape (N, H_out), or (H_out) for a 1-D input; hx defaults to zeros. */
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const [x, isBatched] = this.batchedInput(input, () => {
      if (hx && hx.dim() !== 1 && hx.dim() !== 2) this.fail(`Expected hidden to be 1D or 2D, got ${hx.dim()}D instead`);
    });
    const h = hx ? (isBatched ? hx : hx.unsqueeze(0)) : this.zerosFor(x);
    this.checkHidden(x, h, 0, isBatched);
    const out = gruCell(x, h, this.weight_ih, this.weight_hh, this.biases);
    return isBatched ? out : out.squeeze([0]);
  }
}
