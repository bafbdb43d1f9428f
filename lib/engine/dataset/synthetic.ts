// A built-in image-classification set, generated from a seed: nothing to download, the same
// images on every machine. Ten classes, each a procedural pattern drawn with random parameters
// (position, scale, phase, colours) and pixel noise:
//   0 horizontal stripes   1 vertical stripes   2 diagonal stripes (either diagonal)
//   3 checkerboard         4 one large disc     5 scattered small dots
//   6 concentric rings     7 a plus sign        8 a square outline
//   9 a linear gradient
// The classes are unchanged by a horizontal flip and by small shifts, so RandomCrop with padding
// and RandomFlip keep labels right. Sample i has label i % numClasses (a balanced set) and its
// pixels depend on (seed, split, i) only. Torch-free (data workers import it).
import { Random, seedFor } from './random.js';

export const SYNTHETIC_CLASSES = [
  'horizontal stripes',
  'vertical stripes',
  'diagonal stripes',
  'checkerboard',
  'disc',
  'dots',
  'rings',
  'plus',
  'square',
  'gradient',
] as const;

export interface SyntheticOptions {
  /** Seed of the whole set (default 0). */
  seed?: number;
  /** 'train' and 'test' draw different images from the same seed. */
  split?: 'train' | 'test';
  /** Number of samples (default 10000 for train, 2000 for test). */
  length?: number;
  /** Number of classes, at most 10 (the first patterns of the list). */
  numClasses?: number;
  /** 1 (gray) or 3 (RGB), default 3. */
  channels?: 1 | 3;
  /** Image side in pixels (default 32; at least 8). */
  size?: number;
  /** Amplitude of the uniform pixel noise, as a fraction of 255 (default 0.12). */
  noise?: number;
}

export interface SyntheticConfig {
  seed: number;
  split: 'train' | 'test';
  length: number;
  numClasses: number;
  channels: 1 | 3;
  size: number;
  noise: number;
}

export function syntheticConfig(options?: SyntheticOptions): SyntheticConfig {
  const o = options ?? {};
  const split = o.split ?? 'train';
  if (split !== 'train' && split !== 'test')
    throw new Error(`SyntheticImageDataset: split must be 'train' or 'test', got '${String(split)}'`);
  const cfg: SyntheticConfig = {
    seed: o.seed ?? 0,
    split,
    length: o.length ?? (split === 'train' ? 10000 : 2000),
    numClasses: o.numClasses ?? 10,
    channels: o.channels ?? 3,
    size: o.size ?? 32,
    noise: o.noise ?? 0.12,
  };
  if (!Number.isSafeInteger(cfg.seed)) throw new Error('SyntheticImageDataset: seed must be an integer');
  if (!Number.isInteger(cfg.length) || cfg.length < 0)
    throw new Error('SyntheticImageDataset: length must be a non-negative integer');
  if (!Number.isInteger(cfg.numClasses) || cfg.numClasses < 2 || cfg.numClasses > SYNTHETIC_CLASSES.length) {
    throw new Error(`SyntheticImageDataset: numClasses must be an integer in [2, ${SYNTHETIC_CLASSES.length}]`);
  }
  if (cfg.channels !== 1 && cfg.channels !== 3) throw new Error('SyntheticImageDataset: channels must be 1 or 3');
  if (!Number.isInteger(cfg.size) || cfg.size < 8)
    throw new Error('SyntheticImageDataset: size must be an integer >= 8');
  if (!(cfg.noise >= 0 && cfg.noise <= 1)) throw new Error('SyntheticImageDataset: noise must be in [0, 1]');
  return cfg;
}

const dist = (dx: number, dy: number): number => Math.sqrt(dx * dx + dy * dy);
const clamp01 = (x: number): number => Math.min(Math.max(x, 0), 1);
/** A soft edge: 1 inside (d < 0), 0 outside, over about one pixel. */
const inside = (d: number): number => clamp01(0.5 - d);

/** Periodic bands along t: 1 on the first `duty` fraction of each period, with soft edges. */
function band(t: number, period: number, duty: number): number {
  const u = ((t % period) + period) % period;
  const w = duty * period;
  return inside(u < w ? -Math.min(u, w - u) : Math.min(u - w, period - u));
}

/** Foreground and background colours (values in [0, 1]) that differ clearly in brightness. */
function colours(rng: Random, channels: number): [number[], number[]] {
  for (;;) {
    const fg = Array.from({ length: channels }, () => rng.next());
    const bg = Array.from({ length: channels }, () => rng.next());
    const lum = (c: number[]): number =>
      c.length === 1
        ? (c[0] as number)
        : 0.299 * (c[0] as number) + 0.587 * (c[1] as number) + 0.114 * (c[2] as number);
    if (Math.abs(lum(fg) - lum(bg)) >= 0.3) return [fg, bg];
  }
}

/** The pattern of class `label` as a function of the pixel centre (x, y), in [0, 1]. */
function pattern(label: number, rng: Random, s: number): (x: number, y: number) => number {
  const stripes = (coord: (x: number, y: number) => number): ((x: number, y: number) => number) => {
    const period = rng.uniform(s / 8, s / 3.5);
    const phase = rng.uniform(0, period);
    const duty = rng.uniform(0.35, 0.65);
    return (x, y) => band(coord(x, y) + phase, period, duty);
  };
  switch (label) {
    case 0:
      return stripes((_, y) => y);
    case 1:
      return stripes((x) => x);
    case 2: {
      const sign = rng.next() < 0.5 ? 1 : -1;
      return stripes((x, y) => (x + sign * y) / Math.SQRT2);
    }
    case 3: {
      const cell = rng.uniform(s / 8, s / 4);
      const ox = rng.uniform(0, cell);
      const oy = rng.uniform(0, cell);
      return (x, y) => ((Math.floor((x + ox) / cell) + Math.floor((y + oy) / cell)) & 1 ? 1 : 0);
    }
    case 4: {
      const r = rng.uniform(0.2 * s, 0.34 * s);
      const cx = rng.uniform(0.35 * s, 0.65 * s);
      const cy = rng.uniform(0.35 * s, 0.65 * s);
      return (x, y) => inside(dist(x - cx, y - cy) - r);
    }
    case 5: {
      const dots = Array.from(
        { length: rng.int(6, 11) },
        () => [rng.uniform(2, s - 2), rng.uniform(2, s - 2), rng.uniform(1.2, 2.2)] as const,
      );
      // Painted dot by dot into a mask (each touches a few pixels only).
      const mask = new Float32Array(s * s);
      for (const [cx, cy, r] of dots) {
        for (let y = Math.max(0, Math.floor(cy - r - 1)); y <= Math.min(s - 1, Math.ceil(cy + r + 1)); y++) {
          for (let x = Math.max(0, Math.floor(cx - r - 1)); x <= Math.min(s - 1, Math.ceil(cx + r + 1)); x++) {
            const v = inside(dist(x + 0.5 - cx, y + 0.5 - cy) - r);
            if (v > (mask[y * s + x] as number)) mask[y * s + x] = v;
          }
        }
      }
      return (x, y) => mask[Math.floor(y) * s + Math.floor(x)] as number;
    }
    case 6: {
      const period = rng.uniform(s / 9, s / 5);
      const phase = rng.uniform(0, period);
      const cx = rng.uniform(0.35 * s, 0.65 * s);
      const cy = rng.uniform(0.35 * s, 0.65 * s);
      return (x, y) => band(dist(x - cx, y - cy) + phase, period, 0.5);
    }
    case 7: {
      const cx = rng.uniform(0.4 * s, 0.6 * s);
      const cy = rng.uniform(0.4 * s, 0.6 * s);
      const arm = rng.uniform(0.25 * s, 0.42 * s);
      const half = rng.uniform(1.2, 2.8);
      return (x, y) => {
        const dx = Math.abs(x - cx);
        const dy = Math.abs(y - cy);
        return Math.max(inside(Math.max(dx - half, dy - arm)), inside(Math.max(dy - half, dx - arm)));
      };
    }
    case 8: {
      const cx = rng.uniform(0.4 * s, 0.6 * s);
      const cy = rng.uniform(0.4 * s, 0.6 * s);
      const h = rng.uniform(0.2 * s, 0.36 * s);
      const t = rng.uniform(1.5, 3);
      return (x, y) => {
        const d = Math.max(Math.abs(x - cx), Math.abs(y - cy));
        return inside(Math.abs(d - h) - t / 2);
      };
    }
    default: {
      const angle = rng.uniform(0, 2 * Math.PI);
      const ux = Math.cos(angle);
      const uy = Math.sin(angle);
      const c = s / 2;
      const span = s * Math.SQRT1_2;
      return (x, y) => clamp01(0.5 + (((x - c) * ux + (y - c) * uy) / (2 * span)) * 1.6);
    }
  }
}

/** Sample `index`: its (C, size, size) uint8 pixels and its label. */
export function syntheticSample(cfg: SyntheticConfig, index: number): { data: Uint8Array; label: number } {
  const label = index % cfg.numClasses;
  const rng = new Random(seedFor(cfg.seed, cfg.split === 'train' ? 0 : 1, index));
  const [fg, bg] = colours(rng, cfg.channels);
  const s = cfg.size;
  const m = pattern(label, rng, s);
  const n = s * s;
  const data = new Uint8Array(cfg.channels * n);
  const amp = cfg.noise * 255;
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const v = m(x + 0.5, y + 0.5);
      const p = y * s + x;
      for (let c = 0; c < cfg.channels; c++) {
        const base = ((bg[c] as number) + ((fg[c] as number) - (bg[c] as number)) * v) * 255;
        const px = base + (rng.next() * 2 - 1) * amp;
        data[c * n + p] = px < 0 ? 0 : px > 255 ? 255 : Math.round(px);
      }
    }
  }
  return { data, label };
}
