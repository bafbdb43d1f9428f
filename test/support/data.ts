// Deterministic test data: a small seeded PRNG (mulberry32) and generators of nested arrays,
// so that the same inputs can be built as torch-node tensors and sent to Python torch.

export type Nested = number | boolean | Nested[];

/** mulberry32: a tiny, fast, seeded 32-bit generator; good enough for test inputs. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** A standard normal sample (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo));
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      [p[i], p[j]] = [p[j] as number, p[i] as number];
    }
    return p;
  }
}

export const numel = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Row-major flat values as nested arrays of `shape` (a bare value for shape []). */
export function nest(flat: Nested[], shape: number[]): Nested {
  if (flat.length !== numel(shape)) throw new Error(`nest: ${flat.length} values do not fill shape [${shape}]`);
  if (shape.length === 0) return flat[0] as Nested;
  let offset = 0;
  const build = (d: number): Nested[] => {
    const n = shape[d] as number;
    const out: Nested[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = d === shape.length - 1 ? (flat[offset++] as Nested) : build(d + 1);
    return out;
  };
  return build(0);
}

const fill = (shape: number[], f: () => Nested): Nested => nest(Array.from({ length: numel(shape) }, f), shape);

/** Generators bound to one seeded stream. */
export function generators(seed: number) {
  const rng = new Rng(seed);
  return {
    rng,
    /** Standard normal values times `scale`. */
    randn: (shape: number[], scale = 1): Nested => fill(shape, () => rng.normal() * scale),
    /** Uniform values in [lo, hi). */
    uniform: (shape: number[], lo = 0, hi = 1): Nested => fill(shape, () => rng.uniform(lo, hi)),
    /** Values with |v| in [lo, hi) and a random sign: safe divisors. */
    awayFromZero: (shape: number[], lo = 0.5, hi = 2): Nested =>
      fill(shape, () => (rng.next() < 0.5 ? -1 : 1) * rng.uniform(lo, hi)),
    /** Integers in [lo, hi). */
    randint: (shape: number[], lo: number, hi: number): Nested => fill(shape, () => rng.int(lo, hi)),
    /** Booleans, true with probability p. */
    bools: (shape: number[], p = 0.5): Nested => fill(shape, () => rng.next() < p),
    /** Distinct values (a shuffled arange, scaled and shifted): no ties for max, sort, ... */
    distinct: (shape: number[], scale = 0.25, shift = 0): Nested =>
      nest(
        rng.permutation(numel(shape)).map((v) => v * scale + shift),
        shape,
      ),
    /** Rows that are each a probability distribution over the last dimension. */
    probs: (rows: number, cols: number): Nested =>
      Array.from({ length: rows }, () => {
        const r = Array.from({ length: cols }, () => rng.uniform(0.05, 1));
        const s = r.reduce((a, b) => a + b, 0);
        return r.map((v) => v / s);
      }),
  };
}
