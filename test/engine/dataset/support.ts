// Helpers of the dataset tests: batches as plain values, for deepEqual.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isNDArray } from '../../../lib/engine/dataset/ndarray.js';
import * as torch from '../../../lib/index.js';

/** A batch with tensors as {dtype, shape, values}, NDArrays and typed arrays as arrays. */
export function plain(value: unknown): unknown {
  if (value instanceof torch.Tensor) {
    const values =
      value.dtype === 'int64'
        ? Array.from(value.toTypedArray() as BigInt64Array, Number)
        : Array.from(value.toTypedArray() as Float32Array, Number);
    return { dtype: value.dtype, shape: value.shape, values };
  }
  if (isNDArray(value))
    return { nd: value.dtype, shape: value.shape, values: Array.from(value.data as Float32Array, Number) };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as Float32Array, Number);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** Disposes every tensor in a batch. */
export function disposeAll(value: unknown): void {
  if (value instanceof torch.Tensor) value.dispose();
  else if (Array.isArray(value)) for (const v of value) disposeAll(v);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) disposeAll(v);
}

/** Every batch of a pass, as plain values (tensors disposed). */
export async function collect(loader: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const b of loader) {
    out.push(plain(b));
    disposeAll(b);
  }
  return out;
}

/** Rejects when `p` has not settled after `ms` (so that a hang fails the test instead of stalling it). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms (hang)`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/**
 * The compiled modules that `entries` (files of dist/lib/engine/dataset) reach through relative
 * imports, themselves included: what a data worker loads to build those datasets.
 */
export function importedModules(...entries: string[]): Set<string> {
  const here = fileURLToPath(new URL('../../../lib/engine/dataset/', import.meta.url));
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(
      /(?:import|export)[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g,
    )) {
      visit(join(dirname(file), (m[1] ?? m[2]) as string));
    }
  };
  for (const e of entries) visit(join(here, e));
  return seen;
}
