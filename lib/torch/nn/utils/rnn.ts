// torch.nn.utils.rnn: variable-length batches for the recurrent layers, as PyTorch's
// torch/nn/utils/rnn.py. Packing, unpacking and padding are ATen's kernels
// (_pack_padded_sequence, _pad_packed_sequence, pad_sequence), so values and gradients are
// PyTorch's; this file adds what Python adds around them (sorting for enforceSorted: false,
// the permutations, the argument checks).
import {
  _packPaddedSequence,
  _padPackedSequence,
  _padSequence,
  arange,
  emptyLike,
  sort,
} from '../../../generated/functions.js';
import { tensor } from '../../creation.js';
import type { Device } from '../../device.js';
import type { DType } from '../../dtype.js';
import { Tensor, type ToOptions } from '../../tensor.js';

/** Runs a native op and names the public function (not the ATen op) in its errors. */
function calling<T>(fn: string, op: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Error && e.message.startsWith(`${op}: `)) {
      e.message = `${fn}: ${e.message.slice(op.length + 2)}`;
    }
    throw e;
  }
}

function checkTensor(fn: string, what: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${fn}: ${what} must be a Tensor, got ${describeValue(x)}`);
}

function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x;
}

/**
 * A batch of sequences of different lengths, packed time step by time step: PyTorch's
 * PackedSequence. Like PyTorch's (a namedtuple), it is also the array
 * `[data, batchSizes, sortedIndices, unsortedIndices]`, so it destructures, and a `scope()`
 * that returns it keeps its tensors. Make one with `packPaddedSequence` or `packSequence`.
 *
 * - `data`: the steps of all sequences, (sum of lengths, *), step 0 of every sequence first;
 * - `batchSizes`: how many sequences each time step holds (int64, always on the CPU);
 * - `sortedIndices`: the batch order by decreasing length (null when the input was sorted);
 * - `unsortedIndices`: its inverse, which restores the caller's order.
 */
export class PackedSequence extends Array<Tensor | null> {
  // map(), filter(), slice() give plain arrays, not PackedSequences.
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  /**
   * As PyTorch's constructor: `unsortedIndices` defaults to the inverse of `sortedIndices`, and
   * `batchSizes` must be on the CPU. Packing functions make these; there is rarely a reason to
   * call it directly.
   */
  constructor(data: Tensor, batchSizes: Tensor, sortedIndices?: Tensor | null, unsortedIndices?: Tensor | null) {
    super();
    checkTensor('PackedSequence', 'data', data);
    checkTensor('PackedSequence', 'batchSizes', batchSizes);
    if (sortedIndices != null) checkTensor('PackedSequence', 'sortedIndices', sortedIndices);
    if (unsortedIndices != null) checkTensor('PackedSequence', 'unsortedIndices', unsortedIndices);
    if (!batchSizes.device.startsWith('cpu')) {
      throw new Error(
        'PackedSequence: batchSizes should always be on CPU. Instances of PackedSequence should never be created manually. They should be instantiated by functions like packSequence and packPaddedSequence in nn.utils.rnn.',
      );
    }
    const unsorted = unsortedIndices ?? invertPermutation(sortedIndices ?? null);
    this.push(data, batchSizes, sortedIndices ?? null, unsorted);
    Object.freeze(this);
  }

  get data(): Tensor {
    return this[0] as Tensor;
  }

  get batchSizes(): Tensor {
    return this[1] as Tensor;
  }

  get sortedIndices(): Tensor | null {
    return this[2] ?? null;
  }

  get unsortedIndices(): Tensor | null {
    return this[3] ?? null;
  }

  /** data's dtype. */
  get dtype(): DType {
    return this.data.dtype;
  }

  /** data's device (batchSizes stays on the CPU). */
  get device(): Device {
    return this.data.device;
  }

  get isCuda(): boolean {
    return this.data.isCuda;
  }

  isPinned(): boolean {
    return this.data.isPinned();
  }

  /**
   * data converted as Tensor.to converts it; the sorting indices follow data to its device,
   * batchSizes stays on the CPU. Itself when data needs no change, as PyTorch's.
   */
  to(target: Device | DType | Tensor | ToOptions, options?: Omit<ToOptions, 'dtype' | 'device'>): PackedSequence {
    const data = this.data.to(target, options);
    if (data === this.data) return this;
    const nonBlocking =
      options?.nonBlocking ??
      (typeof target === 'object' && !(target instanceof Tensor) ? target.nonBlocking : undefined);
    const move = (t: Tensor | null): Tensor | null => (t === null ? null : t.to({ device: data.device, nonBlocking }));
    return new PackedSequence(data, this.batchSizes, move(this.sortedIndices), move(this.unsortedIndices));
  }

  cpu(): PackedSequence {
    return this.to({ device: 'cpu' });
  }

  cuda(device: Device = 'cuda', options?: { nonBlocking?: boolean }): PackedSequence {
    return this.to({ device, ...options });
  }

  pinMemory(): PackedSequence {
    const pin = (t: Tensor | null): Tensor | null => (t === null ? null : t.pinMemory());
    return new PackedSequence(
      this.data.pinMemory(),
      this.batchSizes,
      pin(this.sortedIndices),
      pin(this.unsortedIndices),
    );
  }

  double(): PackedSequence {
    return this.to('float64');
  }

  float(): PackedSequence {
    return this.to('float32');
  }

  half(): PackedSequence {
    return this.to('float16');
  }

  long(): PackedSequence {
    return this.to('int64');
  }

  int(): PackedSequence {
    return this.to('int32');
  }

  short(): PackedSequence {
    return this.to('int16');
  }

  char(): PackedSequence {
    return this.to('int8');
  }

  byte(): PackedSequence {
    return this.to('uint8');
  }

  /** PyTorch's namedtuple repr. */
  override toString(): string {
    const f = (t: Tensor | null): string => (t === null ? 'None' : String(t));
    return `PackedSequence(data=${f(this.data)}, batch_sizes=${f(this.batchSizes)}, sorted_indices=${f(this.sortedIndices)}, unsorted_indices=${f(this.unsortedIndices)})`;
  }
}

/** The inverse of a permutation of 0..n-1 (null for null), as PyTorch's invert_permutation. */
export function invertPermutation(permutation: Tensor | null): Tensor | null {
  if (permutation === null) return null;
  const output = emptyLike(permutation);
  output.scatter_(0, permutation, arange(permutation.numel(), { device: permutation.device }));
  return output;
}

/** Lengths as JS integers, from an array of numbers or a 1-D CPU integer tensor. */
function lengthsOf(fn: string, lengths: unknown): number[] {
  if (lengths instanceof Tensor) {
    if (lengths.dim() !== 1 || !lengths.device.startsWith('cpu')) {
      throw new Error(
        `${fn}: 'lengths' argument should be a 1D CPU int64 tensor, but got ${lengths.dim()}D ${lengths.device} ${lengths.dtype} tensor`,
      );
    }
    return (lengths.to('int64').toArray() as number[]).map(Number);
  }
  if (!Array.isArray(lengths)) {
    throw new TypeError(
      `${fn}: lengths must be an array of integers or a 1-D int64 tensor, got ${describeValue(lengths)}`,
    );
  }
  for (const l of lengths) {
    if (typeof l !== 'number' || !Number.isInteger(l)) {
      throw new TypeError(`${fn}: lengths must be integers, got ${String(l)}`);
    }
  }
  return lengths as number[];
}

export interface PackPaddedSequenceOptions {
  /** input is (B, T, *) instead of (T, B, *). */
  batchFirst?: boolean;
  /** The lengths must be in decreasing order (true), or are sorted here (false). */
  enforceSorted?: boolean;
}

/**
 * Packs a padded batch of sequences, (T, B, *) (or (B, T, *) with batchFirst), whose b-th
 * sequence has `lengths[b]` steps. With enforceSorted (the default) the lengths must be in
 * decreasing order; with `enforceSorted: false` the batch is sorted here and the
 * PackedSequence remembers the order. `lengths` is an array of integers or a 1-D CPU tensor.
 */
export function packPaddedSequence(
  input: Tensor,
  lengths: number[] | Tensor,
  options?: PackPaddedSequenceOptions,
): PackedSequence {
  const fn = 'packPaddedSequence';
  const batchFirst = options?.batchFirst ?? false;
  const enforceSorted = options?.enforceSorted ?? true;
  checkTensor(fn, 'input', input);
  const lens = lengthsOf(fn, lengths);
  if (input.dim() < 2) {
    throw new Error(
      `${fn}: input must have at least 2 dimensions (${batchFirst ? 'B x T' : 'T x B'} x *), got ${input.dim()}`,
    );
  }
  if (input.numel() === 0) throw new Error(`${fn}: Cannot pack empty tensors.`);
  const batchDim = batchFirst ? 0 : 1;
  const batchSize = input.size(batchDim);
  const steps = input.size(1 - batchDim);
  if (lens.length !== batchSize) {
    throw new Error(
      `${fn}: Expected \`lengths.length\` to be equal to batch_size, but got ${lens.length} (batch_size=${batchSize})`,
    );
  }
  // ATen's order: with enforceSorted only the last (smallest) length is checked here, then the order.
  if (enforceSorted ? (lens[lens.length - 1] as number) <= 0 : lens.some((l) => l <= 0)) {
    throw new Error(
      `${fn}: Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0`,
    );
  }
  if (enforceSorted && lens.some((l, i) => i > 0 && l > (lens[i - 1] as number))) {
    throw new Error(
      `${fn}: \`lengths\` array must be sorted in decreasing order when \`enforceSorted\` is true. You can pass \`enforceSorted: false\` to packPaddedSequence and/or packSequence to sidestep this requirement if you do not need ONNX exportability.`,
    );
  }
  const longest = Math.max(...lens);
  if (longest > steps) {
    throw new Error(`${fn}: a sequence of length ${longest} is longer than the input's ${steps} time steps`);
  }
  let lengthsT = tensor(lens, { dtype: 'int64' });
  let sortedIndices: Tensor | null = null;
  let x = input;
  if (!enforceSorted) {
    const s = sort(lengthsT, -1, { descending: true });
    lengthsT = s.values;
    sortedIndices = s.indices.to(input.device);
    x = x.indexSelect(batchDim, sortedIndices);
  }
  const [data, batchSizes] = calling(fn, '_pack_padded_sequence', () => _packPaddedSequence(x, lengthsT, batchFirst));
  return new PackedSequence(data, batchSizes, sortedIndices, null);
}

export interface PadPackedSequenceOptions {
  /** Return (B, T, *) instead of (T, B, *). */
  batchFirst?: boolean;
  /** The value of the padded elements. */
  paddingValue?: number;
  /** Pad to this many steps (at least the longest sequence) instead of the longest sequence's. */
  totalLength?: number | null;
}

/**
 * The inverse of packPaddedSequence: [padded, lengths], the batch padded to (T, B, *) (or
 * (B, T, *) with batchFirst) in the order it was packed in, and each sequence's length (int64).
 */
export function padPackedSequence(sequence: PackedSequence, options?: PadPackedSequenceOptions): [Tensor, Tensor] {
  const fn = 'padPackedSequence';
  if (!(sequence instanceof PackedSequence)) {
    throw new TypeError(`${fn}: sequence must be a PackedSequence, got ${describeValue(sequence)}`);
  }
  const batchFirst = options?.batchFirst ?? false;
  const paddingValue = options?.paddingValue ?? 0;
  const totalLength = options?.totalLength ?? null;
  let maxSeqLength = sequence.batchSizes.size(0);
  if (totalLength !== null) {
    if (typeof totalLength !== 'number' || !Number.isInteger(totalLength)) {
      throw new TypeError(`${fn}: totalLength must be an integer, got ${String(totalLength)}`);
    }
    if (totalLength < maxSeqLength) {
      throw new Error(
        `${fn}: Expected totalLength to be at least the length of the longest sequence in input, but got totalLength=${totalLength} and max sequence length being ${maxSeqLength}`,
      );
    }
    maxSeqLength = totalLength;
  }
  const [padded, lengths] = calling(fn, '_pad_packed_sequence', () =>
    _padPackedSequence(sequence.data, sequence.batchSizes, batchFirst, paddingValue, maxSeqLength),
  );
  const unsorted = sequence.unsortedIndices;
  if (unsorted !== null) {
    return [padded.indexSelect(batchFirst ? 0 : 1, unsorted), lengths.indexSelect(0, unsorted.cpu())];
  }
  return [padded, lengths];
}

export interface PadSequenceOptions {
  /** Return (B, T, *) instead of (T, B, *). */
  batchFirst?: boolean;
  /** The value of the padded elements. */
  paddingValue?: number;
  /** Pad after each sequence ('right', the default) or before it ('left'). */
  paddingSide?: 'right' | 'left';
}

/**
 * Stacks sequences of shapes (L_i, *) into one (T, B, *) tensor (or (B, T, *) with
 * batchFirst), T the longest L_i, padding with paddingValue on paddingSide. A tensor is taken
 * as the list of its slices along dim 0.
 */
export function padSequence(sequences: Tensor[] | Tensor, options?: PadSequenceOptions): Tensor {
  const fn = 'padSequence';
  const list = sequences instanceof Tensor ? sequences.unbind(0) : sequences;
  if (!Array.isArray(list)) {
    throw new TypeError(`${fn}: Expected an array of Tensors for input sequences, but got ${describeValue(sequences)}`);
  }
  list.forEach((s, i) => {
    checkTensor(fn, `sequences[${i}]`, s);
  });
  if (list.length === 0) throw new Error(`${fn}: received an empty list of sequences`);
  const paddingSide = options?.paddingSide ?? 'right';
  if (paddingSide !== 'right' && paddingSide !== 'left') {
    throw new Error(`${fn}: Expected paddingSide to be one of 'left' or 'right', but got '${String(paddingSide)}'.`);
  }
  return calling(fn, '_pad_sequence', () =>
    _padSequence(list, {
      batchFirst: options?.batchFirst ?? false,
      paddingValue: options?.paddingValue ?? 0,
      paddingSide,
    }),
  );
}

/**
 * The inverse of padSequence: the first lengths[b] steps of each sequence of a padded batch
 * (T, B, *) (or (B, T, *) with batchFirst), as a list of tensors (copies). Unlike PyTorch's,
 * the padded tensor is left as it is (PyTorch's transposes it in place when not batchFirst).
 */
export function unpadSequence(
  paddedSequences: Tensor,
  lengths: Tensor | number[],
  options?: { batchFirst?: boolean },
): Tensor[] {
  const fn = 'unpadSequence';
  checkTensor(fn, 'paddedSequences', paddedSequences);
  const lens = lengthsOf(fn, lengths instanceof Tensor ? lengths.cpu() : lengths);
  const padded = options?.batchFirst ? paddedSequences : paddedSequences.transpose(0, 1);
  const batch = padded.size(0);
  if (lens.length !== batch) {
    throw new Error(`${fn}: got ${lens.length} lengths for a batch of ${batch} sequences`);
  }
  const idx = arange(padded.size(1), { device: padded.device });
  return lens.map((l, b) => padded.select(0, b).index([idx.lt(l)]));
}

/**
 * Packs a list of sequences of shapes (L_i, *); with enforceSorted (the default) they must be
 * in decreasing order of length.
 */
export function packSequence(sequences: Tensor[], options?: { enforceSorted?: boolean }): PackedSequence {
  if (!Array.isArray(sequences)) {
    throw new TypeError(`packSequence: sequences must be an array of Tensors, got ${describeValue(sequences)}`);
  }
  sequences.forEach((s, i) => {
    checkTensor('packSequence', `sequences[${i}]`, s);
  });
  const lengths = sequences.map((s) => s.size(0));
  return packPaddedSequence(padSequence(sequences), lengths, { enforceSorted: options?.enforceSorted ?? true });
}

/** The inverse of packSequence: the list of sequences, in the order they were packed in. */
export function unpackSequence(packedSequences: PackedSequence): Tensor[] {
  const [padded, lengths] = padPackedSequence(packedSequences, { batchFirst: true });
  return unpadSequence(padded, lengths, { batchFirst: true });
}
