// torch.cuda. On a build or machine without CUDA everything exists: isAvailable() is false,
// deviceCount() is 0, and the rest throws an Error saying that CUDA is not available.
import { native, type StreamData } from '../binding.js';
import type { Device } from './device.js';

export function isAvailable(): boolean {
  return native.cudaIsAvailable();
}

export function deviceCount(): number {
  return native.cudaDeviceCount();
}

/** Waits for all work queued on `device` (default: the current device). */
export function synchronize(device?: Device): void {
  native.cudaSynchronize(device);
}

/** A CUDA stream: work queued on it runs in order, concurrently with other streams. */
export class Stream {
  /** @internal */
  readonly _data: StreamData;

  /** A stream from libtorch's pool on `device`; a negative `priority` is high priority. */
  constructor(options?: { device?: Device; priority?: number } | { _data: StreamData }) {
    this._data =
      options && '_data' in options ? options._data : native.cudaNewStream(options?.device, options?.priority);
  }

  get deviceIndex(): number {
    return this._data[1];
  }

  /** Waits until all work queued on this stream has finished. */
  synchronize(): void {
    native.cudaStreamSynchronize(this._data);
  }

  /** Whether all work queued on this stream has finished. */
  query(): boolean {
    return native.cudaStreamQuery(this._data);
  }

  /** Makes work queued on this stream from now on wait for what is queued on `other` now. */
  waitStream(other: Stream): void {
    native.cudaStreamWaitStream(this._data, other._data);
  }

  /** Makes work queued on this stream from now on wait for `event`. */
  waitEvent(event: Event): void {
    event.wait(this);
  }

  /** Records a new event on this stream. */
  recordEvent(event?: Event): Event {
    const e = event ?? new Event();
    e.record(this);
    return e;
  }

  equals(other: Stream): boolean {
    return this._data.every((v, i) => v === other._data[i]);
  }
}

export function currentStream(device?: Device): Stream {
  return new Stream({ _data: native.cudaCurrentStream(device) });
}

/** Runs `fn` with `stream` as its device's current stream: ops inside queue on it. */
export function withStream<T>(stream: Stream, fn: () => T): T {
  const previous = native.cudaExchangeStream(stream._data);
  try {
    return fn();
  } finally {
    native.cudaExchangeStream(previous);
  }
}

const events = new FinalizationRegistry<number>((id) => native.cudaFreeEvent(id));

/** A CUDA event: a marker in a stream, for synchronisation and timing. */
export class Event {
  /** @internal */
  readonly _id: number;

  constructor(options?: { enableTiming?: boolean }) {
    this._id = native.cudaNewEvent(options?.enableTiming ?? false);
    events.register(this, this._id);
  }

  /** Records the event on `stream` (default: the current stream). */
  record(stream?: Stream): void {
    native.cudaEventRecord(this._id, stream?._data);
  }

  /** Makes `stream` (default: the current stream) wait for this event. */
  wait(stream?: Stream): void {
    native.cudaEventWait(this._id, stream?._data);
  }

  query(): boolean {
    return native.cudaEventQuery(this._id);
  }

  synchronize(): void {
    native.cudaEventSynchronize(this._id);
  }

  /** Milliseconds between this event and `end`; both need `enableTiming`. */
  elapsedTime(end: Event): number {
    return native.cudaEventElapsedTime(this._id, end._id);
  }
}

/** Bytes held by tensors on `device` now. */
export function memoryAllocated(device?: Device): number {
  return native.cudaMemoryStats(device)[0];
}

/** The most bytes held by tensors on `device` since the start or the last reset. */
export function maxMemoryAllocated(device?: Device): number {
  return native.cudaMemoryStats(device)[1];
}

/** Bytes the caching allocator holds on `device`, in use or cached. */
export function memoryReserved(device?: Device): number {
  return native.cudaMemoryStats(device)[2];
}

export function resetPeakMemoryStats(device?: Device): void {
  native.cudaResetPeakMemoryStats(device);
}

/** Returns cached, unused memory to the driver. */
export function emptyCache(): void {
  native.cudaEmptyCache();
}

export {
  defaultGenerator,
  getRngState,
  getRngStateAll,
  initialSeed,
  manualSeed,
  manualSeedAll,
  setRngState,
  setRngStateAll,
} from './cuda_random.js';
