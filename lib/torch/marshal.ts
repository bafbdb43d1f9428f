// Passing values to the addon and wrapping what it returns (used by lib/generated/).
import type { NativeGeneratorHandle } from '../binding.js';
import { Generator } from './generator.js';
import { Tensor } from './tensor.js';

export type Reduction = 'mean' | 'sum' | 'none';
// biome-ignore lint/suspicious/noExplicitAny: the generated overload dispatch forwards its arguments unchecked
export type Variadic = (...args: any[]) => unknown;
export type MemoryFormat = 'contiguousFormat' | 'channelsLast' | 'preserveFormat';

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (x instanceof Tensor) return 'a Tensor';
  const t = typeof x;
  return t === 'object'
    ? `an object (${(x as object).constructor?.name ?? 'Object'})`
    : `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`;
}

/** The handle of a Tensor argument; a TypeError naming the op and argument otherwise. */
export function h(x: unknown, op: string, name: string): number {
  if (x instanceof Tensor) return x._h;
  throw new TypeError(`${op}: argument '${name}' must be a Tensor, got ${describe(x)}`);
}

export function hOpt(x: unknown, op: string, name: string): number | undefined {
  return x === undefined || x === null ? undefined : h(x, op, name);
}

export function hList(xs: unknown, op: string, name: string): number[] {
  if (!Array.isArray(xs))
    throw new TypeError(`${op}: argument '${name}' must be an array of Tensors, got ${describe(xs)}`);
  return xs.map((x) => h(x, op, name));
}

/** The native handle of a `generator` option; undefined for the default generator. */
export function genOpt(x: unknown, op: string, name: string): NativeGeneratorHandle | undefined {
  if (x === undefined || x === null) return undefined;
  if (x instanceof Generator) return x._g;
  throw new TypeError(`${op}: argument '${name}' must be a Generator, got ${describe(x)}`);
}

export function hOptList(xs: unknown, op: string, name: string): (number | null)[] {
  if (!Array.isArray(xs)) throw new TypeError(`${op}: argument '${name}' must be an array, got ${describe(xs)}`);
  return xs.map((x) => (x === null || x === undefined ? null : h(x, op, name)));
}

// A `Tensor | number` argument takes two slots: the handle (or -2 for "a number follows") and
// the number.
export const tsH = (x: unknown): number => (x instanceof Tensor ? x._h : -2);
export const tsS = (x: unknown): unknown => (x instanceof Tensor ? undefined : x);

export const wrap = (handle: number): Tensor => new Tensor(handle);
export const wrapList = (handles: number[]): Tensor[] => handles.map(wrap);

/** A tuple result that reads both as `[values, indices]` and as `{values, indices}`. */
export function wrapNamed(handles: number[], names: string[]): unknown {
  const out = handles.map(wrap) as Tensor[] & Record<string, Tensor>;
  names.forEach((n, i) => {
    Object.defineProperty(out, n, { value: out[i], enumerable: false });
  });
  return out;
}

/** Whether `x` is a trailing options object rather than a positional argument. */
export function isOptions(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Tensor);
}

/** An options object with arguments after it: PyTorch's keywords come last, so must ours. */
export function misplacedOptions(op: string): TypeError {
  return new TypeError(`${op}: the options object must be the last argument`);
}

export function noOverload(name: string, args: unknown[]): TypeError {
  return new TypeError(`${name}: no signature takes (${args.map(describe).join(', ')})`);
}
