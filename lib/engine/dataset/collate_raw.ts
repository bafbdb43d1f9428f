// The structure of collation, shared by the tensor collates of the main thread (collate.ts)
// and the tensor-free ones that data workers run. Torch-free (data workers import it).
//
// default: PyTorch's default_collate. Elements of the batch are looked at through the first:
//   tensors are stacked (a new first dimension); NDArrays and typed arrays are stacked likewise;
//   numbers become one int64 array when all are safe integers, else float64 (JS has no int/float
//   distinction: a float field whose values all happen to be integers comes out int64);
//   booleans a bool array; bigints int64; strings stay an array of strings; plain objects
//   collate per key; arrays are transposed and collate per position (all of one length).
// pseudo: MMEngine's pseudo_collate: the same recursion into plain objects and arrays, but the
//   leaves stay arrays of the samples' values (tensors are not stacked).

import { isPlainObject } from '../../plain_object.js';
import { isNDArray, isTypedArray, NDArray, TYPED_ARRAYS, type TypedArray } from './ndarray.js';

export interface CollateHooks {
  /** Whether `x` is a tensor (the main thread's hooks know torch; the raw ones say no). */
  isTensor(x: unknown): boolean;
  /** Stacks a batch of tensors. */
  stack(batch: unknown[], path: string): unknown;
  /** What a collated NDArray becomes (a tensor in the main thread; itself in workers). */
  finish(x: NDArray): unknown;
}

export const RAW_HOOKS: CollateHooks = {
  isTensor: () => false,
  stack: (_batch, path) => {
    throw new TypeError(
      `collate: ${path} holds tensors, which a data worker cannot stack; return NDArrays from getRaw`,
    );
  },
  finish: (x) => x,
};

/** @internal What a value is, for error messages ('null', 'an array', 'a Map', 'number'). */
export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return `a ${(x as object).constructor?.name ?? 'object'}`;
  return typeof x;
}

/** Stacks NDArrays (or 1-D typed arrays) of one shape and dtype into one with a new first dimension. */
export function stackNDArrays(batch: readonly (NDArray | TypedArray)[], path = 'batch'): NDArray {
  const items = batch.map((x) => (isNDArray(x) ? x : new NDArray(x as TypedArray)));
  const first = items[0] as NDArray;
  const size = first.data.length;
  const out = new TYPED_ARRAYS[first.dtype](size * items.length);
  items.forEach((x, i) => {
    if (
      x.dtype !== first.dtype ||
      x.shape.length !== first.shape.length ||
      x.shape.some((d, j) => d !== first.shape[j])
    ) {
      throw new Error(
        `collate: ${path} holds arrays of different shapes or dtypes: [${first.shape.join(', ')}] ${first.dtype} at 0 and [${x.shape.join(', ')}] ${x.dtype} at ${i}; stack expects each array to be equal size`,
      );
    }
    (out as Uint8Array).set(x.data as Uint8Array, i * size);
  });
  return new NDArray(out, [items.length, ...first.shape], first.dtype);
}

function numbersOf(batch: unknown[], path: string): NDArray {
  const values = batch as number[];
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number') {
      throw new TypeError(`collate: ${path} mixes numbers and ${describe(values[i])} (at ${i})`);
    }
  }
  if (values.every((v) => Number.isSafeInteger(v))) {
    return new NDArray(BigInt64Array.from(values, (v) => BigInt(v)));
  }
  return new NDArray(Float64Array.from(values));
}

/** Collation as PyTorch's default_collate, with the leaves given by `hooks`. */
export function collateDefault(batch: unknown[], hooks: CollateHooks, path = 'batch'): unknown {
  if (!Array.isArray(batch) || batch.length === 0)
    throw new TypeError('collate: expected a non-empty array of samples');
  const elem = batch[0];
  if (hooks.isTensor(elem)) return hooks.stack(batch, path);
  if (isNDArray(elem) || isTypedArray(elem)) {
    for (let i = 0; i < batch.length; i++) {
      if (!isNDArray(batch[i]) && !isTypedArray(batch[i])) {
        throw new TypeError(`collate: ${path} mixes arrays and ${describe(batch[i])} (at ${i})`);
      }
    }
    return hooks.finish(stackNDArrays(batch as (NDArray | TypedArray)[], path));
  }
  if (typeof elem === 'number') return hooks.finish(numbersOf(batch, path));
  if (typeof elem === 'boolean') {
    return hooks.finish(
      new NDArray(
        Uint8Array.from(batch, (v) => (v ? 1 : 0)),
        [batch.length],
        'bool',
      ),
    );
  }
  if (typeof elem === 'bigint') return hooks.finish(new NDArray(BigInt64Array.from(batch as bigint[])));
  if (typeof elem === 'string') return [...batch];
  if (Array.isArray(elem)) {
    const size = elem.length;
    batch.forEach((x, i) => {
      if (!Array.isArray(x) || x.length !== size) {
        throw new Error(
          `collate: each element in list of batch should be of equal size (${path}: ${size} at 0, ${Array.isArray(x) ? x.length : describe(x)} at ${i})`,
        );
      }
    });
    return elem.map((_, j) =>
      collateDefault(
        batch.map((x) => (x as unknown[])[j]),
        hooks,
        `${path}[${j}]`,
      ),
    );
  }
  if (isPlainObject(elem)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(elem)) {
      out[key] = collateDefault(
        batch.map((x, i) => {
          if (!isPlainObject(x) || !(key in x)) throw new Error(`collate: sample ${i} of ${path} has no key '${key}'`);
          return x[key];
        }),
        hooks,
        `${path}.${key}`,
      );
    }
    return out;
  }
  throw new TypeError(
    `default collate: ${path} must contain tensors, arrays, numbers, booleans, strings, plain objects or arrays; found ${describe(elem)}`,
  );
}

/** Collation as MMEngine's pseudo_collate: plain objects and arrays recurse, everything else stays a list. */
export function collatePseudo(batch: unknown[], path = 'batch'): unknown {
  if (!Array.isArray(batch) || batch.length === 0)
    throw new TypeError('collate: expected a non-empty array of samples');
  const elem = batch[0];
  if (Array.isArray(elem)) {
    const size = elem.length;
    batch.forEach((x, i) => {
      if (!Array.isArray(x) || x.length !== size) {
        throw new Error(
          `collate: each element in list of batch should be of equal size (${path}: ${size} at 0, ${Array.isArray(x) ? x.length : describe(x)} at ${i})`,
        );
      }
    });
    return elem.map((_, j) =>
      collatePseudo(
        batch.map((x) => (x as unknown[])[j]),
        `${path}[${j}]`,
      ),
    );
  }
  if (isPlainObject(elem)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(elem)) {
      out[key] = collatePseudo(
        batch.map((x, i) => {
          if (!isPlainObject(x) || !(key in x)) throw new Error(`collate: sample ${i} of ${path} has no key '${key}'`);
          return x[key];
        }),
        `${path}.${key}`,
      );
    }
    return out;
  }
  return [...batch];
}

/** The tensor-free default collate that data workers run. */
export function rawDefaultCollate(batch: unknown[]): unknown {
  return collateDefault(batch, RAW_HOOKS);
}

/** The tensor-free pseudo collate that data workers run. */
export function rawPseudoCollate(batch: unknown[]): unknown {
  return collatePseudo(batch);
}
