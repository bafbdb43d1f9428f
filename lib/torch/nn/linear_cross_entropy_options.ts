// torch.nn.LinearCrossEntropyOptions (PyTorch 2.13): how F.linearCrossEntropy's chunked path cuts
// the batch. Python's is a frozen dataclass with no behaviour of its own beyond checking its
// fields and resolving its "auto" values at call time, so here it is a plain options object;
// its checks run when the chunked path is taken, and `resolveChunking` is Python's `_adjust`.
import type { DType } from '../dtype.js';

export type LinearCrossEntropyAccPolicy = 'accurate' | 'balanced' | 'compact' | 'auto';

/** Python's LinearCrossEntropyOptions fields, camelCased; absent fields take Python's defaults. */
export interface LinearCrossEntropyOptions {
  /** Keep the precomputed gradients so that backward may run more than once (default false). */
  allowRetainGraph?: boolean;
  /** Batch rows per chunk; null (default) leaves it to `chunkingMethod`. */
  batchChunkSize?: number | null;
  /** 'auto' (default), 'aspect_ratio', 'aspect_ratio:N' (N >= 1), or null for `batchChunkSize` alone. */
  chunkingMethod?: string | null;
  /** Which intermediates are kept in `accDtype` (default 'auto'). */
  accPolicy?: LinearCrossEntropyAccPolicy;
  /** The accumulation dtype; null (default) picks it from the input. */
  accDtype?: DType | null;
}

/** The options with every "auto" and null resolved against one call, as Python's `_adjust` returns. */
export interface ResolvedChunking {
  allowRetainGraph: boolean;
  batchChunkSize: number;
  accPolicy: Exclude<LinearCrossEntropyAccPolicy, 'auto'>;
  accDtype: DType;
}

const POLICIES = new Set(['auto', 'accurate', 'balanced', 'compact']);
const ACC_DTYPES = new Set<string>(['float16', 'bfloat16', 'float32', 'float64']);
const HALF = new Set<string>(['float16', 'bfloat16']);

/** Python's __post_init__ checks, with the function's name in front. */
function validate(op: string, o: LinearCrossEntropyOptions): void {
  const policy = o.accPolicy ?? 'auto';
  if (!POLICIES.has(policy)) throw new Error(`${op}: invalid accPolicy: ${JSON.stringify(policy)}`);
  const method = o.chunkingMethod === undefined ? 'auto' : o.chunkingMethod;
  if (method !== null && method !== 'auto') {
    const [name, factor] = splitMethod(String(method));
    if (!(name === 'aspect_ratio' && /^[0-9]+$/.test(factor) && Number(factor) > 0)) {
      throw new Error(`${op}: invalid chunkingMethod: ${JSON.stringify(method)}`);
    }
  }
  const size = o.batchChunkSize ?? null;
  if (!(size === null || (Number.isInteger(size) && size > 0))) {
    throw new Error(`${op}: batchChunkSize must be a positive integer or null, got ${String(size)}`);
  }
  const acc = o.accDtype ?? null;
  if (acc !== null && !ACC_DTYPES.has(acc)) {
    throw new Error(
      `${op}: accDtype must be one of null, 'float16', 'bfloat16', 'float32', 'float64', got ${JSON.stringify(acc)}. Pass accDtype: null to let the op pick automatically.`,
    );
  }
}

/** 'aspect_ratio:2' → ['aspect_ratio', '2']; without ':' the factor is 1, as Python's partition. */
function splitMethod(method: string): [string, string] {
  const at = method.indexOf(':');
  return at < 0 ? [method, '1'] : [method.slice(0, at), method.slice(at + 1)];
}

/** Python's int.bit_length for a (possibly negative) safe integer. */
function bitLength(x: number): number {
  let n = Math.abs(x);
  let bits = 0;
  while (n > 0) {
    n = Math.floor(n / 2);
    bits++;
  }
  return bits;
}

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);

/**
 * The "aspect_ratio[:N]" chunk: rows such that a chunk's (rows, numClasses) logits take about the
 * memory of the (numBatches, inFeatures) input, rounded up to a power of two, divided by N.
 */
function aspectRatioChunk(method: string, numBatches: number, inFeatures: number, numClasses: number): number {
  const [, factorText] = splitMethod(method);
  const factor = Number(factorText);
  const target = ceilDiv(numBatches, ceilDiv(numClasses, inFeatures));
  const chunk = 2 ** bitLength(target - 1);
  return Math.min(Math.floor(chunk / factor), numBatches);
}

/**
 * Python's LinearCrossEntropyOptions._adjust: the per-(device type, dtype) "auto" picks (CPU with
 * float16/bfloat16 input: 'accurate' and 'aspect_ratio'; otherwise 'compact' and 'aspect_ratio:2'),
 * the chunk size, and the accumulation dtype (float32 for float16/bfloat16 input under 'auto',
 * else the input's dtype).
 */
export function resolveChunking(
  op: string,
  o: LinearCrossEntropyOptions,
  numBatches: number,
  inFeatures: number,
  numClasses: number,
  dtype: DType,
  deviceType: string,
): ResolvedChunking {
  validate(op, o);
  const requestedPolicy = o.accPolicy ?? 'auto';
  let policy = requestedPolicy;
  let method = o.chunkingMethod === undefined ? 'auto' : o.chunkingMethod;
  const requestedSize = o.batchChunkSize ?? null;
  // An explicit chunk size turns the automatic chunking off (the two would disagree).
  if (method === 'auto' && requestedSize !== null) method = null;
  if (policy === 'auto' || method === 'auto') {
    const cpuHalf = deviceType === 'cpu' && HALF.has(dtype);
    const pick = cpuHalf
      ? { policy: 'accurate', method: 'aspect_ratio' }
      : { policy: 'compact', method: 'aspect_ratio:2' };
    if (policy === 'auto') policy = pick.policy as LinearCrossEntropyAccPolicy;
    if (method === 'auto') method = pick.method;
  }
  let size = requestedSize === null ? numBatches : Math.min(requestedSize, numBatches);
  if (method !== null) {
    size = aspectRatioChunk(method, numBatches, inFeatures, numClasses);
    if (requestedSize !== null && requestedSize !== size) {
      throw new Error(
        `${op}: batchChunkSize (=${requestedSize}) and chunkingMethod ('${method}') give different chunk sizes (${requestedSize} vs ${size}); pass only one.`,
      );
    }
  }
  let accDtype = o.accDtype ?? null;
  if (accDtype === null) {
    // Under 'auto', float16/bfloat16 accumulate in float32 on CPU and CUDA (mixed-precision mm).
    const auto = requestedPolicy === 'auto' && HALF.has(dtype) && (deviceType === 'cpu' || deviceType === 'cuda');
    accDtype = auto ? 'float32' : dtype;
  }
  return {
    allowRetainGraph: o.allowRetainGraph ?? false,
    batchChunkSize: Math.max(1, size),
    accPolicy: policy as ResolvedChunking['accPolicy'],
    accDtype,
  };
}
