// The safetensors format (https://github.com/huggingface/safetensors), byte for byte as the
// reference implementation writes it: an 8-byte little-endian header length, a JSON header
// padded with spaces to a multiple of 8 bytes, then the tensors' raw little-endian bytes.
// The reference orders tensors by dtype, following its Dtype enum from the end (I64 F64 C64 F32
// I32 BF16 F16 I16 I8 U8 BOOL), then by name (bytewise), writes `__metadata__`
// first when given, and each entry as {"dtype", "shape", "data_offsets"} with compact JSON.
// The reader checks what the reference checks: header size, UTF-8, JSON, dtypes, that the
// offsets tile the data without gaps and that the file ends where the data does.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import '../../generated/methods.js';
import { native } from '../../binding.js';
import type { Device } from '../device.js';
import { type DType, dtypeCode } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { atomicWrite, ioError } from './atomic.js';
import { ELEMENT_SIZE } from './pt.js';
import { Scratch } from './zip.js';

/** The format's dtype names; it has C64 (complex64) but nothing for complex128. */
const NAME_OF: Partial<Record<DType, string>> = {
  float64: 'F64',
  float32: 'F32',
  complex64: 'C64',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};
const DTYPE_OF: Record<string, DType> = Object.fromEntries(Object.entries(NAME_OF).map(([d, n]) => [n, d as DType]));

/** The reference's Dtype enum order (its sort key), including dtypes torch-node cannot hold. */
const RANK: Record<string, number> = {
  BOOL: 0,
  U8: 1,
  I8: 2,
  I16: 5,
  U16: 6,
  F16: 7,
  BF16: 8,
  I32: 9,
  U32: 10,
  F32: 11,
  C64: 12,
  F64: 13,
  I64: 14,
  U64: 15,
};

/** Sizes of the dtypes torch-node cannot hold, so that their files still validate. */
const OTHER_SIZES: Record<string, number> = {
  U16: 2,
  U32: 4,
  U64: 8,
  F8_E5M2: 1,
  F8_E4M3: 1,
  F8_E4M3FNUZ: 1,
  F8_E5M2FNUZ: 1,
  F8_E8M0: 1,
};

const MAX_HEADER = 100_000_000;

function writeAll(fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done);
}

/**
 * Saves named tensors to `path` in the safetensors format, byte-identical to
 * `safetensors.torch.save_file(tensors, path, metadata)`. Tensors may be non-contiguous or on a
 * GPU (their elements are written row-major); `metadata` is string to string, as the format
 * requires. The write is atomic. complex64 is C64; complex128 has no safetensors dtype (an Error).
 * A conjugate view (`x.conj()`) is written with its values, conjugated, where the reference
 * writes the memory it views (so the unconjugated values) and loses the conjugation.
 */
export function saveSafetensors(
  tensors: Record<string, Tensor>,
  path: string,
  metadata?: Record<string, string> | null,
): void {
  if (typeof tensors !== 'object' || tensors === null || Array.isArray(tensors) || tensors instanceof Tensor) {
    throw new TypeError('saveSafetensors: tensors must be an object of named tensors');
  }
  const entries = Object.keys(tensors).map((name) => {
    const t = tensors[name];
    if (!(t instanceof Tensor)) {
      throw new TypeError(`saveSafetensors: '${name}' is not a Tensor; the format holds tensors only`);
    }
    if (t.isDisposed) throw new Error(`saveSafetensors: '${name}' is a disposed tensor`);
    if (name === '__metadata__') throw new Error("saveSafetensors: '__metadata__' is reserved for the metadata");
    // The format stores dense row-major bytes only; it has no record for indices plus values.
    if (t.layout !== 'strided') {
      throw new Error(
        `saveSafetensors: '${name}' is a ${t.layout} tensor, which the safetensors format cannot hold; ` +
          'save x.toDense(), or its indices and values as separate tensors (torch.save keeps sparse tensors)',
      );
    }
    const dtype = NAME_OF[t.dtype];
    if (dtype === undefined) {
      throw new TypeError(
        `saveSafetensors: '${name}' is ${t.dtype}, which the safetensors format has no dtype for ` +
          "(its complex dtype is C64, complex64: save x.to('complex64'), or torch.viewAsReal(x) as float64)",
      );
    }
    return {
      name,
      key: Buffer.from(name, 'utf8'),
      tensor: t,
      dtype,
      shape: t.shape,
      bytes: t.numel() * t.elementSize(),
    };
  });
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new TypeError('saveSafetensors: metadata must be an object of strings');
    }
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string')
        throw new TypeError(`saveSafetensors: metadata '${k}' must be a string, got ${typeof v}`);
    }
  }
  entries.sort((a, b) => (RANK[b.dtype] as number) - (RANK[a.dtype] as number) || Buffer.compare(a.key, b.key));
  const parts: string[] = [];
  if (metadata !== undefined && metadata !== null) {
    parts.push(`"__metadata__":${JSON.stringify(Object.fromEntries(Object.entries(metadata)))}`);
  }
  let offset = 0;
  for (const e of entries) {
    parts.push(
      `${JSON.stringify(e.name)}:{"dtype":"${e.dtype}","shape":[${e.shape.join(',')}],"data_offsets":[${offset},${offset + e.bytes}]}`,
    );
    offset += e.bytes;
  }
  let header = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const extra = (8 - (header.length % 8)) % 8;
  if (extra) header = Buffer.concat([header, Buffer.alloc(extra, 0x20)]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  atomicWrite(path, 'saveSafetensors', (fd) => {
    writeAll(fd, length);
    writeAll(fd, header);
    for (const e of entries) {
      const data = new Uint8Array(native.rawBytes(e.tensor._h));
      if (data.length !== e.bytes) throw new Error(`saveSafetensors: '${e.name}' changed size while being saved`);
      writeAll(fd, data);
    }
  });
}

export interface LoadSafetensorsOptions {
  /** The device loaded tensors go to (default 'cpu'). */
  device?: Device;
}

class SafetensorsError extends Error {}

/**
 * Loads a safetensors file: an object of CPU tensors (or on `device`), in the file's order,
 * owned by the caller's scope if there is one. The header's `__metadata__`, if any, is the
 * returned object's non-enumerable `__metadata__` property. A truncated, corrupt or foreign
 * file is an Error that names the file and what is wrong.
 */
export function loadSafetensors(path: string, options?: LoadSafetensorsOptions): Record<string, Tensor> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError('loadSafetensors: path must be a non-empty string');
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw ioError('loadSafetensors', path, 'could not open', e);
  }
  const made: Tensor[] = [];
  try {
    const size = fstatSync(fd).size;
    const scratch = new Scratch();
    const read = (position: number, length: number, reuse = false): Buffer => {
      const b = reuse ? scratch.take(length) : Buffer.allocUnsafeSlow(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, b, done, length - done, position + done);
        if (n === 0) throw new SafetensorsError('is truncated');
        done += n;
      }
      return b;
    };
    if (size < 8) throw new SafetensorsError(`is ${size} bytes long, too short to be a safetensors file`);
    const n64 = read(0, 8).readBigUInt64LE(0);
    if (n64 > BigInt(MAX_HEADER)) {
      throw new SafetensorsError(
        `is not a safetensors file: its first 8 bytes give a header length of ${n64} bytes (the limit is ${MAX_HEADER})`,
      );
    }
    const n = Number(n64);
    if (8 + n > size)
      throw new SafetensorsError(`is truncated: its header of ${n} bytes runs past the end of the file`);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(read(8, n));
    } catch {
      throw new SafetensorsError('is not a safetensors file: its header is not UTF-8 text');
    }
    let header: unknown;
    try {
      header = JSON.parse(text);
    } catch (e) {
      throw new SafetensorsError(`is not a safetensors file: its header is not valid JSON (${(e as Error).message})`);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) {
      throw new SafetensorsError('is not a safetensors file: its header is not a JSON object');
    }
    let metadata: Record<string, string> | undefined;
    const infos: { name: string; dtype: string; shape: number[]; start: number; end: number }[] = [];
    for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') {
        if (typeof info !== 'object' || info === null || Array.isArray(info)) {
          throw new SafetensorsError('has a __metadata__ that is not an object');
        }
        metadata = {};
        for (const [k, v] of Object.entries(info)) {
          if (typeof v !== 'string') throw new SafetensorsError(`has a __metadata__ entry '${k}' that is not a string`);
          Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
        }
        continue;
      }
      const bad = (what: string): never => {
        throw new SafetensorsError(`has a bad header entry for '${name}': ${what}`);
      };
      if (typeof info !== 'object' || info === null) bad('not an object');
      const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
      if (typeof dtype !== 'string' || (!(dtype in DTYPE_OF) && !(dtype in OTHER_SIZES)))
        bad(`unknown dtype ${String(dtype)}`);
      const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
      if (!Array.isArray(shape) || !shape.every(isCount)) bad('its shape is not a list of sizes');
      if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) bad('bad data_offsets');
      const [start, end] = offsets as [number, number];
      infos.push({ name, dtype: dtype as string, shape: shape as number[], start, end });
    }
    infos.sort((a, b) => a.start - b.start || a.end - b.end);
    let at = 0;
    for (const i of infos) {
      if (i.start !== at || i.end < i.start) {
        throw new SafetensorsError(
          `is damaged: the data of '${i.name}' does not start where the previous tensor's ends`,
        );
      }
      const width = i.dtype in DTYPE_OF ? ELEMENT_SIZE[DTYPE_OF[i.dtype] as DType] : (OTHER_SIZES[i.dtype] as number);
      const bytes = i.shape.reduce((a, b) => a * b, 1) * width;
      if (i.end - i.start !== bytes) {
        throw new SafetensorsError(
          `is damaged: '${i.name}' of shape [${i.shape}] and dtype ${i.dtype} needs ${bytes} bytes but has ${i.end - i.start}`,
        );
      }
      at = i.end;
    }
    if (8 + n + at > size) {
      throw new SafetensorsError(`is truncated: its header describes ${8 + n + at} bytes but the file has ${size}`);
    }
    if (8 + n + at < size) {
      throw new SafetensorsError(`is damaged: it has ${size - 8 - n - at} bytes after the data its header describes`);
    }
    const out: Record<string, Tensor> = {};
    for (const i of infos) {
      const dtype = DTYPE_OF[i.dtype];
      if (dtype === undefined) {
        throw new SafetensorsError(`holds '${i.name}' of dtype ${i.dtype}, which torch-node does not support`);
      }
      const code = dtypeCode(dtype, 'loadSafetensors') as number;
      const data = i.end > i.start ? read(8 + n + i.start, i.end - i.start, true) : new Uint8Array(0);
      let t = new Tensor(native.fromTypedArray(data, i.shape, code, undefined, false, code));
      made.push(t);
      const device = options?.device;
      if (device !== undefined && device !== 'cpu') {
        const moved = t.to({ device });
        if (moved !== t) {
          t.dispose();
          made[made.length - 1] = moved;
          t = moved;
        }
      }
      Object.defineProperty(out, i.name, { value: t, enumerable: true, writable: true, configurable: true });
    }
    if (metadata !== undefined) {
      Object.defineProperty(out, '__metadata__', {
        value: metadata,
        enumerable: false,
        writable: true,
        configurable: true,
      });
    }
    return out;
  } catch (e) {
    for (const t of made) t.dispose();
    if (e instanceof SafetensorsError) throw new Error(`loadSafetensors: '${path}' ${e.message}`);
    if (e instanceof Error && 'syscall' in e) throw ioError('loadSafetensors', path, 'could not read', e);
    throw e;
  } finally {
    closeSync(fd);
  }
}
