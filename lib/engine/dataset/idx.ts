// Readers of the binary formats of MNIST-like and CIFAR datasets. Torch-free.
//
// IDX (MNIST, Fashion-MNIST): a big-endian header (0, 0, type, ndim), ndim int32 sizes, then
// the values, big-endian; gzip-compressed files (.gz) are inflated first.
// CIFAR-10 binary: records of 1 label byte + 3072 image bytes (1024 R, 1024 G, 1024 B: (3, 32, 32)).
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { NDArray, type TypedArray } from './ndarray.js';

/** Copies `bytes` into memory that data workers can share (a SharedArrayBuffer). */
export function toShared(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

function readMaybeGzip(path: string): Uint8Array {
  let file = path;
  if (!existsSync(file) && existsSync(`${file}.gz`)) file = `${file}.gz`;
  if (!existsSync(file) && file.endsWith('.gz') && existsSync(file.slice(0, -3))) file = file.slice(0, -3);
  return inflated(readFileSync(file), file);
}

/** `bytes` inflated where they are gzip data; a damaged gzip stream is an Error naming `name`. */
function inflated(bytes: Uint8Array, name: string): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new Error(`readIdx: ${name} is not a readable gzip file (${e instanceof Error ? e.message : String(e)})`, {
      cause: e,
    });
  }
}

const IDX_TYPES: Record<number, { name: string; size: number }> = {
  8: { name: 'uint8', size: 1 },
  9: { name: 'int8', size: 1 },
  11: { name: 'int16', size: 2 },
  12: { name: 'int32', size: 4 },
  13: { name: 'float32', size: 4 },
  14: { name: 'float64', size: 8 },
};

/**
 * Reads an IDX file (or its bytes): an NDArray of its type and shape. A `path` without the file
 * but with `path + '.gz'` reads that (and the other way round). uint8 data can be put in a
 * SharedArrayBuffer (`shared`) so that data workers read it without a copy.
 */
export function readIdx(source: string | Uint8Array, options?: { shared?: boolean }): NDArray {
  const name = typeof source === 'string' ? source : 'IDX data';
  const bytes = typeof source === 'string' ? readMaybeGzip(source) : inflated(source, name);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0)
    throw new Error(`readIdx: ${name} is not an IDX file (bad magic number)`);
  const type = IDX_TYPES[bytes[2] as number];
  if (!type) throw new Error(`readIdx: ${name}: unknown IDX data type 0x${(bytes[2] as number).toString(16)}`);
  const ndim = bytes[3] as number;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 + 4 * ndim) throw new Error(`readIdx: ${name}: truncated header`);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const n = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim;
  if (bytes.length < start + n * type.size) {
    throw new Error(
      `readIdx: ${name}: expected ${n * type.size} bytes of data for shape [${shape.join(', ')}], found ${bytes.length - start}`,
    );
  }
  let data: TypedArray;
  switch (type.name) {
    case 'uint8': {
      const body = bytes.subarray(start, start + n);
      data = options?.shared ? toShared(body) : new Uint8Array(body);
      break;
    }
    case 'int8':
      data = new Int8Array(new Uint8Array(bytes.subarray(start, start + n)).buffer);
      break;
    case 'int16':
      data = Int16Array.from({ length: n }, (_, i) => view.getInt16(start + 2 * i));
      break;
    case 'int32':
      data = Int32Array.from({ length: n }, (_, i) => view.getInt32(start + 4 * i));
      break;
    case 'float32':
      data = Float32Array.from({ length: n }, (_, i) => view.getFloat32(start + 4 * i));
      break;
    default:
      data = Float64Array.from({ length: n }, (_, i) => view.getFloat64(start + 8 * i));
  }
  return new NDArray(data, shape);
}

/**
 * Reads CIFAR-10 binary batches (`data_batch_1.bin`, ..., `test_batch.bin`): images (N, 3, 32, 32)
 * uint8 and labels (N,) uint8, in file order. `shared` puts both in SharedArrayBuffers.
 */
export function readCifar10(
  files: readonly (string | Uint8Array)[],
  options?: { shared?: boolean },
): { images: NDArray<Uint8Array>; labels: NDArray<Uint8Array> } {
  const RECORD = 3073;
  const parts = files.map((f) => (typeof f === 'string' ? readFileSync(f) : f));
  parts.forEach((p, i) => {
    if (p.length % RECORD !== 0) {
      const name = typeof files[i] === 'string' ? files[i] : `batch ${i}`;
      throw new Error(
        `readCifar10: ${name as string} has ${p.length} bytes, not a multiple of ${RECORD} (1 label byte + 3x32x32 image bytes)`,
      );
    }
  });
  const n = parts.reduce((s, p) => s + p.length / RECORD, 0);
  const alloc = (size: number): Uint8Array =>
    options?.shared ? new Uint8Array(new SharedArrayBuffer(size)) : new Uint8Array(size);
  const images = alloc(n * 3072);
  const labels = alloc(n);
  let k = 0;
  for (const p of parts) {
    for (let r = 0; r < p.length; r += RECORD, k++) {
      labels[k] = p[r] as number;
      images.set(p.subarray(r + 1, r + RECORD), k * 3072);
    }
  }
  return { images: new NDArray(images, [n, 3, 32, 32]), labels: new NDArray(labels, [n]) };
}
