// The output slots of a data worker: shared memory that it writes its batches into, and that
// the main thread's tensors of the batch view without a copy. A batch sent as transferred
// ArrayBuffers costs a fresh buffer per batch in the worker (allocated and zeroed) and, in the
// main thread, memory that V8 must track and collect: measured on 2 cores, ~60 µs of CPU per
// 196 KB batch in all threads, against ~20 µs for a message of views into shared memory. A
// worker has a few slots (one more than the batches it is asked to keep ready); each is a
// SharedArrayBuffer reused from batch to batch, and a counter of what holds the batch: 1 for
// the message, set by the worker, and 1 per tensor over it (torch.fromBuffer's hold: the
// native side adds and takes back). The main thread drops the message's hold once it has made
// the tensors (release); the slot is free again when the count is 0, that is when the batch's
// tensors are freed. Where every slot is held (a consumer keeping its batches), a batch travels
// the old way, transferred.
//
// Torch-free (data workers import it).
import { dtypeOfTypedArray, TYPED_ARRAYS, type TypedArray } from './ndarray.js';

/** The slot a batch was written into, sent with it: a hold for torch.fromBuffer. */
export interface SlotRef {
  counters: Int32Array;
  index: number;
}

/** Drops the message's hold on a batch's slot, once the main thread has made its tensors (or dropped it). */
export function release(slot: SlotRef): void {
  Atomics.sub(slot.counters, slot.index, 1);
}

type ArrayType<A extends TypedArray> = new (buffer: SharedArrayBuffer, byteOffset: number, length: number) => A;

/** The least size of a buffer made for a batch that outgrew its slot (small arrays then share it). */
const MIN_BUFFER = 4096;

/** Offsets in a slot are multiples of 8, the largest element size. */
const align = (n: number): number => (n + 7) & ~7;

export class OutputSlots {
  private readonly counters: Int32Array;
  private readonly buffers: (SharedArrayBuffer | null)[];
  /** Per slot, the bytes its last batch took: the size its buffer grows to before the next one. */
  private readonly needed: number[];
  /** The slot being written (-1: none), how much of its buffer is used, and the buffers the batch is in. */
  private slot = -1;
  private used = 0;
  private batchBuffers: SharedArrayBuffer[] = [];
  private total = 0;

  constructor(count: number) {
    this.counters = new Int32Array(new SharedArrayBuffer(4 * count));
    this.buffers = new Array<SharedArrayBuffer | null>(count).fill(null);
    this.needed = new Array<number>(count).fill(0);
  }

  get count(): number {
    return this.buffers.length;
  }

  /** Takes a free slot for the next batch; false when the main thread holds them all. */
  begin(): boolean {
    this.slot = -1;
    for (let i = 0; i < this.buffers.length; i++) {
      if (Atomics.load(this.counters, i) !== 0) continue;
      const have = this.buffers[i];
      const need = this.needed[i] as number;
      const buffer = have !== null && have.byteLength >= need ? have : new SharedArrayBuffer(Math.max(need, 8));
      this.buffers[i] = buffer;
      this.slot = i;
      this.used = 0;
      this.total = 0;
      this.batchBuffers = [buffer];
      return true;
    }
    return false;
  }

  /** Whether a batch is being written (begin() found a slot). */
  get writing(): boolean {
    return this.slot >= 0;
  }

  /**
   * `length` elements of `type` in the slot. A batch larger than the slot's buffer goes on in a
   * new buffer (its arrays so far stay where they are), and the slot is that much larger for the
   * next batch.
   */
  allocate<A extends TypedArray>(type: ArrayType<A>, length: number): A {
    const bytes = length * (type as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    this.total = align(this.total) + bytes;
    let buffer = this.batchBuffers[this.batchBuffers.length - 1] as SharedArrayBuffer;
    let offset = align(this.used);
    if (offset + bytes > buffer.byteLength) {
      buffer = new SharedArrayBuffer(Math.max(bytes, MIN_BUFFER));
      this.batchBuffers.push(buffer);
      offset = 0;
    }
    this.used = offset + bytes;
    return new type(buffer, offset, length);
  }

  /** `a` in the slot: itself where it is there already (allocate() made it), else a copy. */
  place(a: TypedArray): TypedArray {
    if (a.buffer instanceof SharedArrayBuffer && this.batchBuffers.includes(a.buffer)) return a;
    const copy = this.allocate(TYPED_ARRAYS[dtypeOfTypedArray(a)] as unknown as ArrayType<TypedArray>, a.length);
    copy.set(a as never);
    return copy;
  }

  /** The batch is written: the slot is held, for its message, until the main thread releases it. */
  finish(): SlotRef {
    const index = this.slot;
    this.needed[index] = this.total;
    this.slot = -1;
    this.batchBuffers = [];
    Atomics.store(this.counters, index, 1);
    return { counters: this.counters, index };
  }

  /** The batch is not sent from the slot after all (it failed): the slot stays free. */
  abandon(): void {
    this.slot = -1;
    this.batchBuffers = [];
  }
}
