// The output slots of a data worker: shared memory that it writes its batches into, and that
// the main thread's tensors of the batch view without a copy. A batch sent as transferred
// ArrayBuffers costs a fresh buffer per batch in the worker (allocated and zeroed) and, in the
// main thread, memory that V8 must track and collect: measured on 2 cores, ~60 µs of CPU per
// 196 KB batch in all threads. A worker has a few slots (one more than the batches it is asked
// to keep ready); each is a SharedArrayBuffer reused from batch to batch, and a counter of what
// holds the batch: 1 for the message, set by the worker, and 1 per tensor over it
// (torch.fromBuffer's hold: the native side adds and takes back). The main thread drops the
// message's hold once it has made the tensors (release); the slot is free again when the count
// is 0, that is when the batch's tensors are freed. Where every slot is held (a consumer keeping
// its batches), a batch travels the old way, transferred. The message says where each array lies
// (SlotView); the main thread learns each buffer once (SlotReader, one per worker thread).
//
// Torch-free (data workers import it).
import { dtypeOfTypedArray, type NDType, TYPED_ARRAYS, type TypedArray } from './ndarray.js';

/** The slot a batch was written into: a hold for torch.fromBuffer. */
export interface SlotRef {
  counters: Int32Array;
  index: number;
}

/** Drops the message's hold on a batch's slot, once the main thread has made its tensors (or dropped it). */
export function release(slot: SlotRef): void {
  Atomics.sub(slot.counters, slot.index, 1);
}

/**
 * An array of a batch as a worker's message gives it: where it lies in the worker's slot buffers.
 * Sending the views themselves would clone a SharedArrayBuffer per message, which costs the main
 * thread an ArrayBuffer object per batch to make and V8 one to sweep; the main thread instead
 * knows each buffer once (SlotReader).
 */
export interface SlotView {
  __slot: number;
  offset: number;
  length: number;
  type: NDType;
}

/** What the main thread learns of a worker's slots with a batch: its counters (once), new buffers, buffers no longer used. */
export interface SlotUpdate {
  counters?: Int32Array;
  added?: [number, SharedArrayBuffer][];
  retired?: number[];
}

type ArrayType<A extends TypedArray> = new (buffer: SharedArrayBuffer, byteOffset: number, length: number) => A;

/** The least size of a buffer made for a batch that outgrew its slot (small arrays then share it). */
const MIN_BUFFER = 4096;

/** Offsets in a slot are multiples of 8, the largest element size. */
const align = (n: number): number => (n + 7) & ~7;

export class OutputSlots {
  private readonly counters: Int32Array;
  /** Per slot, its buffer, and the buffers its last batch went on into when it outgrew it. */
  private readonly buffers: (SharedArrayBuffer | null)[];
  private readonly overflow: SharedArrayBuffer[][];
  /** Per slot, the bytes its last batch took: the size its buffer grows to before the next one. */
  private readonly needed: number[];
  /** The slot being written (-1: none), how much of its buffer is used, and the buffers the batch is in. */
  private slot = -1;
  private used = 0;
  private batchBuffers: SharedArrayBuffer[] = [];
  private total = 0;
  /** The id of each buffer in use, and what the main thread has not been told yet (see SlotUpdate). */
  private readonly ids = new Map<SharedArrayBuffer, number>();
  private nextId = 1;
  private countersSent = false;
  private added: [number, SharedArrayBuffer][] = [];
  private retired: number[] = [];

  constructor(count: number) {
    this.counters = new Int32Array(new SharedArrayBuffer(4 * count));
    this.buffers = new Array<SharedArrayBuffer | null>(count).fill(null);
    this.overflow = Array.from({ length: count }, () => []);
    this.needed = new Array<number>(count).fill(0);
  }

  get count(): number {
    return this.buffers.length;
  }

  private newBuffer(bytes: number): SharedArrayBuffer {
    const b = new SharedArrayBuffer(bytes);
    const id = this.nextId++;
    this.ids.set(b, id);
    this.added.push([id, b]);
    return b;
  }

  private retire(b: SharedArrayBuffer): void {
    const id = this.ids.get(b) as number;
    this.ids.delete(b);
    const i = this.added.findIndex(([a]) => a === id);
    if (i >= 0) this.added.splice(i, 1);
    else this.retired.push(id);
  }

  /** Takes a free slot for the next batch; false when the main thread holds them all. */
  begin(): boolean {
    this.slot = -1;
    for (let i = 0; i < this.buffers.length; i++) {
      if (Atomics.load(this.counters, i) !== 0) continue;
      const extra = this.overflow[i] as SharedArrayBuffer[];
      for (const b of extra.splice(0)) this.retire(b);
      let buffer = this.buffers[i] as SharedArrayBuffer | null;
      const need = this.needed[i] as number;
      if (buffer === null || buffer.byteLength < need) {
        if (buffer !== null) this.retire(buffer);
        buffer = this.newBuffer(Math.max(need, 8));
        this.buffers[i] = buffer;
      }
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
      buffer = this.newBuffer(Math.max(bytes, MIN_BUFFER));
      (this.overflow[this.slot] as SharedArrayBuffer[]).push(buffer);
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

  /** Where `a`, an array of the batch being written (place() gave it), lies, for the message. */
  describe(a: TypedArray): SlotView {
    const id = this.ids.get(a.buffer as SharedArrayBuffer);
    if (id === undefined) throw new Error('OutputSlots.describe: the array is not in a slot');
    return { __slot: id, offset: a.byteOffset, length: a.length, type: dtypeOfTypedArray(a) };
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

  /** What the main thread has not been told of the slots yet (undefined: nothing); it is told with the next batch. */
  takeUpdate(): SlotUpdate | undefined {
    if (this.countersSent && this.added.length === 0 && this.retired.length === 0) return undefined;
    const u: SlotUpdate = {};
    if (!this.countersSent) u.counters = this.counters;
    if (this.added.length > 0) u.added = this.added;
    if (this.retired.length > 0) u.retired = this.retired;
    this.countersSent = true;
    this.added = [];
    this.retired = [];
    return u;
  }

  /**
   * A finished batch whose message could not be sent after all (postMessage refused it): its
   * slot is free again, and what its update said is told with the next batch instead.
   */
  unsend(slot: SlotRef, update: SlotUpdate | undefined): void {
    Atomics.store(this.counters, slot.index, 0);
    if (update === undefined) return;
    if (update.counters) this.countersSent = false;
    this.added = [...(update.added ?? []), ...this.added];
    this.retired = [...(update.retired ?? []), ...this.retired];
  }

  /** The batch is not sent from the slot after all (it failed): the slot stays free. */
  abandon(): void {
    this.slot = -1;
    this.batchBuffers = [];
  }
}

/**
 * The main thread's side of one worker's slots: the buffers it was told of, and the batches'
 * arrays as views of them again.
 */
export class SlotReader {
  private counters: Int32Array | null = null;
  private readonly buffers = new Map<number, SharedArrayBuffer>();

  /** Takes in what a batch's message says of the slots, and gives the hold of slot `index`. */
  read(update: SlotUpdate | undefined, index: number): SlotRef {
    if (update?.counters) {
      // A new set of slots (the worker made them for a pool with another prefetch): ids restart.
      this.counters = update.counters;
      this.buffers.clear();
    }
    for (const [id, b] of update?.added ?? []) this.buffers.set(id, b);
    for (const id of update?.retired ?? []) this.buffers.delete(id);
    if (this.counters === null) throw new Error('DataLoader: a batch from a slot before its counters');
    return { counters: this.counters, index };
  }

  /**
   * The typed array a SlotView describes (fromWire asks for each NDArray's data). A batch's
   * buffers stay known until it is taken in: a worker retires a buffer only when it reuses its
   * slot, which the batch holds.
   */
  view(v: SlotView): TypedArray {
    const buffer = this.buffers.get(v.__slot);
    if (buffer === undefined) throw new Error(`DataLoader: a batch in an unknown slot buffer (${v.__slot})`);
    const Type = TYPED_ARRAYS[v.type] as unknown as ArrayType<TypedArray>;
    return new Type(buffer, v.offset, v.length);
  }
}
