// Collectives over JavaScript values: each rank's value is serialised (node:v8, the structured
// clone format: plain objects, arrays, typed arrays, Maps, Sets, Dates, bigints; tensors are
// carried as their data; a complex one as its (real, imaginary) pairs), sent as a uint8 tensor, and rebuilt on the receiving ranks. Used by
// the Evaluator to collect every rank's results; PyTorch's all_gather_object pickles instead.
import { deserialize, serialize } from 'node:v8';
import { viewAsComplex, viewAsReal } from '../../generated/functions.js';
import { isPlainObject } from '../../plain_object.js';
import { tensor as makeTensor } from '../creation.js';
import { type DType, isComplex } from '../dtype.js';
import { scope } from '../lifetime.js';
import { Tensor } from '../tensor.js';
import { allGather, broadcast } from './collectives.js';
import { getBackend, getLocalRank, getRank } from './process_group.js';

const TENSOR_TAG = '__torchNodeTensor__';

interface PackedTensor {
  [TENSOR_TAG]: true;
  dtype: DType;
  shape: number[];
  /** The values in row-major order; for a complex dtype, (real, imaginary) pairs of its real dtype. */
  data: ArrayBufferView;
}

/** The real dtype of a complex one's parts. */
const partDtype = (dtype: DType): DType => (dtype === 'complex128' ? 'float64' : 'float32');

function pack(value: unknown): unknown {
  if (value instanceof Tensor) {
    const half = value.dtype === 'float16' || value.dtype === 'bfloat16';
    const cpu = value.detach().to({ device: 'cpu', ...(half ? { dtype: 'float32' as const } : {}) });
    // A complex tensor goes as its real view (a conjugate one resolved first: view_as_real refuses
    // a pending conjugation), so that the data is real numbers whatever toTypedArray does with complex.
    const data = isComplex(cpu) ? viewAsReal(cpu.resolveConj()).toTypedArray() : cpu.toTypedArray();
    const packed: PackedTensor = {
      [TENSOR_TAG]: true,
      dtype: value.dtype,
      shape: value.shape,
      data,
    };
    return packed;
  }
  if (Array.isArray(value)) return value.map(pack);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = pack(v);
    return out;
  }
  return value;
}

function unpack(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unpack);
  if (isPlainObject(value)) {
    if (value[TENSOR_TAG] === true) {
      const p = value as unknown as PackedTensor;
      if (isComplex(p.dtype)) {
        // The pairs as a real tensor of shape [...shape, 2], viewed as complex again (a fresh
        // contiguous tensor, which view_as_complex needs).
        const parts = makeTensor(p.data as Float32Array, { dtype: partDtype(p.dtype) }).reshape([...p.shape, 2]);
        return viewAsComplex(parts);
      }
      return makeTensor(p.data as Float32Array, { dtype: p.dtype }).reshape(p.shape);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = unpack(v);
    return out;
  }
  return value;
}

/** Where the byte tensors live: the CPU for Gloo, this rank's GPU for NCCL. */
function commDevice(): string {
  return getBackend() === 'nccl' ? `cuda:${getLocalRank()}` : 'cpu';
}

function toBytes(t: Tensor): Uint8Array {
  return t.to({ device: 'cpu' }).toTypedArray() as Uint8Array;
}

/** Every rank's `value`, in rank order. */
export function allGatherObject<T>(value: T): T[] {
  const bytes = serialize(pack(value));
  const chunks = scope(() => {
    const device = commDevice();
    const sizes = allGather(makeTensor([bytes.length], { dtype: 'int32', device })).map(
      (t) => (t.to({ device: 'cpu' }).toTypedArray() as Int32Array)[0] as number,
    );
    const max = Math.max(...sizes);
    const padded = new Uint8Array(max);
    padded.set(bytes);
    const gathered = allGather(makeTensor(padded, { dtype: 'uint8', device }));
    return gathered.map((t, r) => toBytes(t).slice(0, sizes[r]));
  });
  return chunks.map((c) => unpack(deserialize(c)) as T);
}

/** Rank `src`'s `value` on every rank (the others' `value` is ignored). */
export function broadcastObject<T>(value: T, src = 0): T {
  const mine = getRank() === src ? serialize(pack(value)) : new Uint8Array(0);
  const bytes = scope(() => {
    const device = commDevice();
    const n = broadcast(makeTensor([mine.length], { dtype: 'int32', device }), src);
    const length = (n.to({ device: 'cpu' }).toTypedArray() as Int32Array)[0] as number;
    const buffer = new Uint8Array(length);
    if (getRank() === src) buffer.set(mine);
    return toBytes(broadcast(makeTensor(buffer, { dtype: 'uint8', device }), src));
  });
  return (getRank() === src ? value : unpack(deserialize(bytes))) as T;
}
