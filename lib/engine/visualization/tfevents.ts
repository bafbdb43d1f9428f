// TensorBoard event files, written by hand: no TensorFlow, no protobuf library.
//
// A file `events.out.tfevents.<seconds>.<host>.<pid>.<n>` (the name PyTorch's SummaryWriter
// uses; TensorBoard only looks for "tfevents" in it) is a sequence of TFRecords:
//
//   uint64 length (little-endian) | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)
//
// with masked_crc(x) = ((crc >>> 15) | (crc << 17)) + 0xa282ead8 (mod 2^32), CRC-32C being the
// Castagnoli polynomial (reflected 0x82f63b78). Each record's data is a protobuf `Event`
// (tensorflow/core/util/event.proto):
//
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }
//   Value   { string tag = 1; float simple_value = 2; }
//
// The first record is `{wall_time, file_version: "brain.Event:2"}`; each scalar is then an
// Event whose summary holds one `Value{tag, simple_value}`, which TensorBoard's scalar
// dashboard reads (as torch.utils.tensorboard's `add_scalar` writes it).
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli) of `data`. */
export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++)
    crc = (CRC32C_TABLE[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC-32C. */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, its masked CRC, the data, the data's masked CRC. */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(16 + data.length);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

// ---- protobuf encoding (only what Event needs)

function varint(value: bigint): number[] {
  let v = BigInt.asUintN(64, value);
  const bytes: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    bytes.push(b);
  } while (v !== 0n);
  return bytes;
}

const key = (field: number, wire: number): number[] => varint(BigInt((field << 3) | wire));

function lengthDelimited(field: number, payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([...key(field, 2), ...varint(BigInt(payload.length))]), payload]);
}

function doubleField(field: number, v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v, 0);
  return Buffer.concat([Buffer.from(key(field, 1)), b]);
}

function floatField(field: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v, 0);
  return Buffer.concat([Buffer.from(key(field, 5)), b]);
}

export interface EventFields {
  wallTime: number;
  step?: number;
  fileVersion?: string;
  /** Scalars for the summary, as tag → value. */
  scalars?: readonly (readonly [string, number])[];
}

/** The protobuf bytes of one Event. */
export function encodeEvent(event: EventFields): Buffer {
  const parts: Buffer[] = [doubleField(1, event.wallTime)];
  if (event.step !== undefined && event.step !== 0) {
    if (!Number.isInteger(event.step)) throw new TypeError(`TensorBoard step must be an integer, got ${event.step}`);
    parts.push(Buffer.from([...key(2, 0), ...varint(BigInt(event.step))]));
  }
  if (event.fileVersion !== undefined) parts.push(lengthDelimited(3, Buffer.from(event.fileVersion, 'utf8')));
  if (event.scalars !== undefined) {
    const values = event.scalars.map(([tag, value]) =>
      lengthDelimited(1, Buffer.concat([lengthDelimited(1, Buffer.from(tag, 'utf8')), floatField(2, value)])),
    );
    parts.push(lengthDelimited(5, Buffer.concat(values)));
  }
  return Buffer.concat(parts);
}

let fileCounter = 0;

/** Appends events to one new event file in `logDir`. */
export class EventFileWriter {
  readonly path: string;
  private fd: number | null;

  constructor(logDir: string, options: { filenameSuffix?: string } = {}) {
    mkdirSync(logDir, { recursive: true });
    const seconds = String(Math.floor(Date.now() / 1000)).padStart(10, '0');
    const host = hostname().replace(/[^A-Za-z0-9._-]/g, '_') || 'localhost';
    this.path = join(
      logDir,
      `events.out.tfevents.${seconds}.${host}.${process.pid}.${fileCounter++}${options.filenameSuffix ?? ''}`,
    );
    this.fd = openSync(this.path, 'a');
    this.write([{ wallTime: Date.now() / 1000, fileVersion: 'brain.Event:2' }]);
  }

  /** Writes events, one TFRecord each, in one system call. */
  write(events: readonly EventFields[]): void {
    if (this.fd === null) throw new Error(`EventFileWriter: ${this.path} is closed`);
    if (events.length === 0) return;
    writeSync(this.fd, Buffer.concat(events.map((e) => tfRecord(encodeEvent(e)))));
  }

  /** One event holding `scalars` at `step`. */
  addScalars(scalars: readonly (readonly [string, number])[], step: number, wallTime = Date.now() / 1000): void {
    // One Event per tag, as TensorBoard's own writers do.
    this.write(scalars.map((s) => ({ wallTime, step, scalars: [s] })));
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}
