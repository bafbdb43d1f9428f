// The resampling kernel (resize.ts) against Pillow as the oracle, to the bit: random uint8
// images of 1 and 3 channels, odd sizes and 1-pixel edges, up and down by non-integer and integer
// ratios, all six filters (NEAREST, BOX, BILINEAR, HAMMING, BICUBIC, LANCZOS), interleaved and
// planar, whole images and crop regions; LA and RGBA (premultiplied by Pillow), and 4 channels
// without alpha (Pillow's RGBX). Then the
// transforms (Resize, ResizeEdge, CenterCrop, RandomResizedCrop): their geometry against
// torchvision's formulas worked by hand, RandomResizedCrop's draws (fixed, then their
// distribution and determinism per (seed, epoch, index)), its pixels against Pillow's crop and
// resize, an ImageFolder pipeline against Pillow, the per-sample path in the DataLoader with 0
// and 2 workers, configs, errors, and the speed against Pillow's (a diagnostic). Pillow's tests
// are skipped, saying so, where Python cannot import PIL (`pip install pillow`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FusedTransforms } from '../../../lib/engine/dataset/fused.js';
import {
  buildTransform,
  CenterCrop,
  Compose,
  DataLoader,
  ImageFolder,
  type Interpolation,
  NDArray,
  Random,
  RandomCrop,
  RandomFlip,
  RandomResizedCrop,
  type RandomSource,
  RawImageDataset,
  Resize,
  ResizeEdge,
  resizeImage,
  sampleContext,
  type TransformSpec,
} from '../../../lib/engine/index.js';
import { collect, within } from './support.js';

const PYTHON = process.env.TORCH_NODE_PYTHON ?? 'python3';

function pillowSkip(): false | string {
  const r = spawnSync(PYTHON, ['-c', 'import PIL; print(PIL.__version__)'], { encoding: 'utf8' });
  if (r.status === 0) return false;
  const why = r.stderr?.trim().split('\n').pop() || (r.error ? String(r.error) : `exit status ${r.status}`);
  return `Pillow is not importable (${PYTHON}: ${why}); pip install pillow`;
}
const skip = pillowSkip();

/** Runs a Python script with `INPUT` decoded from JSON on stdin; what it prints, as JSON. */
function python<T>(script: string, input: unknown = null): T {
  const prelude = 'import sys, json, base64\nfrom PIL import Image\nINPUT = json.loads(sys.stdin.read())\n';
  const r = spawnSync(PYTHON, ['-c', prelude + script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`python failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

const b64 = (a: Uint8Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

const FILTERS = `R = Image.Resampling
F = {'nearest': R.NEAREST, 'box': R.BOX, 'bilinear': R.BILINEAR, 'hamming': R.HAMMING, 'bicubic': R.BICUBIC, 'lanczos': R.LANCZOS}
MODES = {1: 'L', 2: 'LA', 3: 'RGB', 4: 'RGBA', 'x': 'RGBX'}
`;

/** One resize for Pillow: an (h, w, c) image, the crop [top, left, height, width] to resize (null: all), the output size. */
interface Case {
  h: number;
  w: number;
  c: 1 | 2 | 3 | 4;
  oh: number;
  ow: number;
  interpolation: Interpolation;
  crop: [number, number, number, number] | null;
  data: Uint8Array;
  /** 4 channels without alpha: Pillow's RGBX, and resizeImage's `alpha: false`. */
  noAlpha?: boolean;
}

/** Pillow's Image.resize (after Image.crop where a case has a crop) of each case, interleaved. */
function pillowResize(cases: Case[]): Uint8Array[] {
  const out = python<string[]>(
    `${FILTERS}
res = []
for c in INPUT:
    im = Image.frombytes(MODES['x' if c.get('noAlpha') else c['c']], (c['w'], c['h']), base64.b64decode(c['data']))
    if c['crop'] is not None:
        t, l, h, w = c['crop']
        im = im.crop((l, t, l + w, t + h))
    res.append(base64.b64encode(im.resize((c['ow'], c['oh']), F[c['interpolation']]).tobytes()).decode())
print(json.dumps(res))
`,
    cases.map((c) => ({ ...c, data: b64(c.data) })),
  );
  return out.map(unb64);
}

function randomPixels(n: number, random: Random): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = random.uint32() & 255;
  return a;
}

/**
 * An (h, w, c) image whose last channel is alpha: a third of the pixels transparent, a third
 * opaque, a third in between (so the 0 and 255 cases of Pillow's unpremultiply both occur, next
 * to edges where negative lobes overshoot).
 */
function alphaPixels(h: number, w: number, c: number, random: Random): Uint8Array {
  const a = randomPixels(h * w * c, random);
  for (let p = 0; p < h * w; p++) {
    const kind = random.int(0, 3);
    if (kind < 2) a[p * c + c - 1] = kind === 0 ? 0 : 255;
  }
  return a;
}

/** (h, w, c) interleaved to (c, h, w) planar, and back. */
function toPlanar(a: Uint8Array, h: number, w: number, c: number): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) out[ch * h * w + p] = a[p * c + ch] as number;
  return out;
}
function toInterleaved(a: Uint8Array, h: number, w: number, c: number): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) out[p * c + ch] = a[ch * h * w + p] as number;
  return out;
}

function describeCase(c: Case): string {
  const crop = c.crop ? ` crop [${c.crop.join(', ')}]` : '';
  return `${c.h}x${c.w}x${c.c}${c.noAlpha ? ' (no alpha)' : ''}${crop} -> ${c.oh}x${c.ow} ${c.interpolation}`;
}

/** The first byte where two images differ, and how many do, or null. */
function firstDifference(got: Uint8Array, want: Uint8Array): string | null {
  if (got.length !== want.length) return `length ${got.length}, want ${want.length}`;
  let n = 0;
  let first = -1;
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== want[i]) {
      n++;
      if (first < 0) first = i;
    }
  }
  return n === 0
    ? null
    : `${n} of ${got.length} bytes differ, first at ${first}: ${got[first]} vs Pillow's ${want[first]}`;
}

const INTERPOLATIONS: Interpolation[] = ['nearest', 'box', 'bilinear', 'hamming', 'bicubic', 'lanczos'];

describe('resizeImage against Pillow, to the bit', { skip }, () => {
  // [h, w, oh, ow]: 1-pixel edges, one side unchanged (a pass skipped), odd sizes, up and down by
  // non-integer ratios, by integer ratios (where a window's edge falls exactly on a filter's
  // support: BOX's is half-open), the ImageNet sizes (where HAMMING's single-precision constants
  // show).
  const sizes: [number, number, number, number][] = [
    [1, 1, 5, 3],
    [1, 7, 1, 3],
    [7, 1, 3, 1],
    [1, 7, 4, 2],
    [5, 5, 1, 1],
    [2, 3, 7, 11],
    [3, 2, 3, 5],
    [3, 2, 8, 2],
    [13, 17, 5, 7],
    [13, 17, 29, 31],
    [31, 8, 10, 24],
    [64, 48, 17, 13],
    [64, 48, 63, 47],
    [17, 29, 17, 28],
    [100, 75, 33, 41],
    [9, 9, 9, 9],
    [90, 60, 30, 20],
    [64, 48, 16, 12],
    [12, 10, 36, 30],
    [20, 14, 10, 7],
    [8, 6, 16, 12],
    [375, 500, 224, 224],
  ];
  const random = new Random(1234);
  for (let i = 0; i < 24; i++) {
    const side = () => 1 + random.int(0, 60);
    sizes.push([side(), side(), side(), side()]);
  }
  const cases: Case[] = [];
  for (const [h, w, oh, ow] of sizes) {
    for (const c of [1, 3] as const) {
      for (const interpolation of INTERPOLATIONS) {
        cases.push({ h, w, c, oh, ow, interpolation, crop: null, data: randomPixels(h * w * c, random) });
      }
    }
  }
  let want: Uint8Array[] = [];
  before(() => {
    want = pillowResize(cases);
  });

  test(`${cases.length} images, interleaved (H, W, C)`, () => {
    cases.forEach((c, i) => {
      const shape = c.c === 1 && i % 2 === 0 ? [c.h, c.w] : [c.h, c.w, c.c];
      const got = resizeImage(new NDArray(c.data, shape), [c.oh, c.ow], { interpolation: c.interpolation });
      assert.deepEqual(got.shape, shape.length === 2 ? [c.oh, c.ow] : [c.oh, c.ow, c.c]);
      const diff = firstDifference(got.data, want[i] as Uint8Array);
      assert.equal(diff, null, `${describeCase(c)}: ${diff}`);
    });
  });

  test('the same images planar (C, H, W)', () => {
    cases.forEach((c, i) => {
      const img = new NDArray(toPlanar(c.data, c.h, c.w, c.c), [c.c, c.h, c.w]);
      const got = resizeImage(img, [c.oh, c.ow], { interpolation: c.interpolation, layout: 'chw' });
      assert.deepEqual(got.shape, [c.c, c.oh, c.ow]);
      const diff = firstDifference(toInterleaved(got.data, c.oh, c.ow, c.c), want[i] as Uint8Array);
      assert.equal(diff, null, `${describeCase(c)} planar: ${diff}`);
    });
  });

  test('a crop region resized equals Pillow crop then resize (no pixel outside the crop counts)', () => {
    const rnd = new Random(99);
    const crops: Case[] = [];
    const [h, w] = [57, 83];
    // Each of 1, 2, 3 and 4 channels with each filter, twice.
    for (let k = 0; k < 48; k++) {
      const ch = 1 + rnd.int(0, h);
      const cw = 1 + rnd.int(0, w);
      const crop: [number, number, number, number] = [rnd.int(0, h - ch + 1), rnd.int(0, w - cw + 1), ch, cw];
      const c = ([3, 1, 4, 2] as const)[k % 4];
      const [oh, ow] = k % 7 === 0 ? [ch, cw] : [1 + rnd.int(0, 40), 1 + rnd.int(0, 40)];
      const interpolation = INTERPOLATIONS[(k >> 2) % 6] as Interpolation;
      const data = c % 2 === 0 ? alphaPixels(h, w, c, rnd) : randomPixels(h * w * c, rnd);
      crops.push({ h, w, c, oh, ow, interpolation, crop, data });
    }
    const expected = pillowResize(crops);
    crops.forEach((c, i) => {
      const options = { interpolation: c.interpolation, crop: c.crop as [number, number, number, number] };
      const got = resizeImage(new NDArray(c.data, [c.h, c.w, c.c]), [c.oh, c.ow], options);
      assert.equal(firstDifference(got.data, expected[i] as Uint8Array), null, describeCase(c));
      const planarGot = resizeImage(new NDArray(toPlanar(c.data, c.h, c.w, c.c), [c.c, c.h, c.w]), [c.oh, c.ow], {
        ...options,
        layout: 'chw',
      });
      assert.equal(
        firstDifference(toInterleaved(planarGot.data, c.oh, c.ow, c.c), expected[i] as Uint8Array),
        null,
        `${describeCase(c)} planar`,
      );
    });
  });

  test('LA and RGBA: premultiplied by alpha as Pillow resizes them, each filter, up and down', () => {
    const rnd = new Random(7);
    const alphaCases: Case[] = [];
    const some: [number, number, number, number][] = [
      [1, 1, 4, 3],
      [1, 9, 2, 4],
      [13, 17, 5, 7],
      [13, 17, 29, 31],
      [31, 8, 10, 24],
      [90, 60, 30, 20],
      [40, 52, 40, 17],
      [23, 37, 11, 37],
    ];
    for (let i = 0; i < 8; i++)
      some.push([1 + rnd.int(0, 50), 1 + rnd.int(0, 50), 1 + rnd.int(0, 50), 1 + rnd.int(0, 50)]);
    for (const [h, w, oh, ow] of some) {
      for (const c of [2, 4] as const) {
        for (const interpolation of INTERPOLATIONS) {
          alphaCases.push({ h, w, c, oh, ow, interpolation, crop: null, data: alphaPixels(h, w, c, rnd) });
        }
      }
    }
    const expected = pillowResize(alphaCases);
    alphaCases.forEach((c, i) => {
      const got = resizeImage(new NDArray(c.data, [c.h, c.w, c.c]), [c.oh, c.ow], { interpolation: c.interpolation });
      assert.equal(firstDifference(got.data, expected[i] as Uint8Array), null, describeCase(c));
      const planarGot = resizeImage(new NDArray(toPlanar(c.data, c.h, c.w, c.c), [c.c, c.h, c.w]), [c.oh, c.ow], {
        interpolation: c.interpolation,
        layout: 'chw',
      });
      const diff = firstDifference(toInterleaved(planarGot.data, c.oh, c.ow, c.c), expected[i] as Uint8Array);
      assert.equal(diff, null, `${describeCase(c)} planar: ${diff}`);
    });
    // Premultiplying changes the result: resampled as 4 independent channels, some differ.
    const differs = alphaCases.filter((c, i) => {
      if (c.interpolation === 'nearest' || c.c !== 4) return false;
      const plain = resizeImage(new NDArray(c.data, [c.h, c.w, 4]), [c.oh, c.ow], {
        interpolation: c.interpolation,
        alpha: false,
      });
      return firstDifference(plain.data, expected[i] as Uint8Array) !== null;
    });
    assert.ok(differs.length > 40, `${differs.length} RGBA cases differ without premultiplying`);
  });

  test("4 channels with alpha: false: each on its own, as Pillow's RGBX", () => {
    const rnd = new Random(8);
    const plain: Case[] = INTERPOLATIONS.flatMap((interpolation) =>
      [
        [17, 23, 9, 31],
        [40, 31, 12, 12],
      ].map(([h, w, oh, ow]) => ({
        h: h as number,
        w: w as number,
        c: 4 as const,
        oh: oh as number,
        ow: ow as number,
        interpolation,
        crop: null,
        data: alphaPixels(h as number, w as number, 4, rnd),
        noAlpha: true,
      })),
    );
    const expected = pillowResize(plain);
    plain.forEach((c, i) => {
      const got = resizeImage(new NDArray(c.data, [c.h, c.w, 4]), [c.oh, c.ow], {
        interpolation: c.interpolation,
        alpha: false,
      });
      assert.equal(firstDifference(got.data, expected[i] as Uint8Array), null, describeCase(c));
    });
  });
});

/** Draws given in advance: next() from `floats`, int() from `ints` (checking the range). */
function fixed(floats: number[], ints: number[] = []): RandomSource & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    next() {
      const v = floats.shift();
      if (v === undefined) throw new Error('no more float draws');
      calls.push('next');
      return v;
    },
    int(lo: number, hi: number) {
      const v = ints.shift();
      if (v === undefined) throw new Error('no more int draws');
      assert.ok(v >= lo && v < hi, `draw ${v} outside [${lo}, ${hi})`);
      calls.push(`int(${lo},${hi})`);
      return v;
    },
  };
}

const NO_DRAWS: RandomSource = fixed([], []);

/** A (c, h, w) uint8 image whose pixel (ch, y, x) is (ch * 100 + y * 10 + x) & 255 (readable for small sizes). */
function labelled(c: number, h: number, w: number): NDArray {
  const a = new Uint8Array(c * h * w);
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) a[(ch * h + y) * w + x] = (ch * 100 + y * 10 + x) & 255;
  return new NDArray(a, [c, h, w]);
}
const rows = (a: NDArray, ch: number): number[][] => {
  const [, h, w] = a.shape as [number, number, number];
  return Array.from({ length: h }, (_, y) =>
    Array.from((a.data as Uint8Array).subarray((ch * h + y) * w, (ch * h + y + 1) * w)),
  );
};

describe("geometry: torchvision's and mmpretrain's formulas worked by hand", () => {
  test('Resize: a number is the short edge, the long one int(size * long / short); [h, w] is exact', () => {
    const r = new Resize(256);
    assert.deepEqual(r.outputSize(375, 500), [256, 341], 'int(256 * 500 / 375) = int(341.33)');
    assert.deepEqual(r.outputSize(500, 375), [341, 256]);
    assert.deepEqual(r.outputSize(300, 300), [256, 256]);
    assert.deepEqual(new Resize(224).outputSize(333, 500), [224, 336], 'int(224 * 500 / 333) = int(336.34)');
    assert.deepEqual(new Resize([256]).outputSize(375, 500), [256, 341], '[n] as torchvision: the short edge');
    assert.deepEqual(new Resize([100, 50]).outputSize(375, 500), [100, 50]);
    assert.deepEqual(new Resize(10).outputSize(3, 1000), [10, 3333], 'short edge 3 -> 10: int(10 * 1000 / 3)');
    // maxSize: the long edge 341 > 300, so 300, and the short int(300 * 256 / 341) = int(225.2).
    assert.deepEqual(new Resize(256, { maxSize: 300 }).outputSize(375, 500), [225, 300]);
    assert.deepEqual(new Resize(256, { maxSize: 300 }).outputSize(500, 375), [300, 225]);
    assert.deepEqual(new Resize(256, { maxSize: 400 }).outputSize(375, 500), [256, 341], 'under maxSize: unchanged');
    const img = labelled(3, 6, 8);
    assert.equal(new Resize(6).apply(img, NO_DRAWS), img, 'the size it has: the image itself, as torchvision');
    assert.deepEqual(new Resize(3).apply(img, NO_DRAWS).shape, [3, 3, 4]);
  });

  test("ResizeEdge: mmpretrain's edges", () => {
    assert.deepEqual(new ResizeEdge(256).outputSize(375, 500), [256, 341]);
    assert.deepEqual(new ResizeEdge(256, { edge: 'short' }).outputSize(500, 375), [341, 256]);
    assert.deepEqual(new ResizeEdge(256, { edge: 'long' }).outputSize(375, 500), [192, 256], 'int(256 * 375 / 500)');
    assert.deepEqual(new ResizeEdge(256, { edge: 'long' }).outputSize(500, 375), [256, 192]);
    assert.deepEqual(new ResizeEdge(256, { edge: 'width' }).outputSize(375, 500), [192, 256]);
    assert.deepEqual(new ResizeEdge(256, { edge: 'height' }).outputSize(500, 375), [256, 192]);
    assert.deepEqual(new ResizeEdge(100, { edge: 'long' }).outputSize(40, 40), [100, 100]);
  });

  test('CenterCrop: offsets round((H - h) / 2), halves to even as Python rounds', () => {
    // (7 - 4) / 2 = 1.5 -> 2; (5 - 4) / 2 = 0.5 -> 0; (8 - 3) / 2 = 2.5 -> 2; (10 - 3) / 2 = 3.5 -> 4
    assert.deepEqual(new CenterCrop(4).offsets(7, 5), [2, 0]);
    assert.deepEqual(new CenterCrop(3).offsets(8, 10), [2, 4]);
    assert.deepEqual(new CenterCrop([2, 4]).offsets(6, 8), [2, 2]);
    const img = labelled(2, 7, 5);
    const out = new CenterCrop(4).apply(img, NO_DRAWS);
    assert.deepEqual(rows(out, 0), [
      [20, 21, 22, 23],
      [30, 31, 32, 33],
      [40, 41, 42, 43],
      [50, 51, 52, 53],
    ]);
    assert.deepEqual(rows(out, 1)[0], [120, 121, 122, 123]);
    assert.equal(new CenterCrop([7, 5]).apply(img, NO_DRAWS), img);
  });

  test('CenterCrop: larger than the image, zero padding (d // 2 before, the rest after)', () => {
    // 3x2 into 6x5: 1 row above, 2 below; 1 column left, 2 right.
    const out = new CenterCrop([6, 5]).apply(labelled(1, 3, 2), NO_DRAWS);
    assert.deepEqual(rows(out, 0), [
      [0, 0, 0, 0, 0],
      [0, 0, 1, 0, 0],
      [0, 10, 11, 0, 0],
      [0, 20, 21, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
    ]);
    // 4x9 into 6x4: padded to 6 rows (1 above, 1 below), the columns cropped at round(2.5) = 2.
    const mixed = new CenterCrop([6, 4]).apply(labelled(1, 4, 9), NO_DRAWS);
    assert.deepEqual(rows(mixed, 0), [
      [0, 0, 0, 0],
      [2, 3, 4, 5],
      [12, 13, 14, 15],
      [22, 23, 24, 25],
      [32, 33, 34, 35],
      [0, 0, 0, 0],
    ]);
  });

  test('RandomResizedCrop.getParams with fixed draws: a try that does not fit, then one that does', () => {
    const rrc = new RandomResizedCrop(8);
    // 100x200, area 20000. Try 1: area 0.08 + 0.92 * 0.9 = 0.908 -> 18160, ratio exp(0) = 1:
    // 135 x 135, taller than 100. Try 2: area 0.31 -> 6200, ratio exp(log(4/3) / 2) = 1.1547:
    // width round(84.61) = 85, height round(73.28) = 73; top in [0, 28), left in [0, 116).
    const r = fixed([0.9, 0.5, 0.25, 0.75], [10, 100]);
    assert.deepEqual(rrc.getParams(100, 200, r), [10, 100, 73, 85]);
    assert.deepEqual(r.calls, ['next', 'next', 'next', 'next', 'int(0,28)', 'int(0,116)']);
  });

  test('RandomResizedCrop.getParams: after 10 tries, the center crop of the clamped ratio', () => {
    const rrc = new RandomResizedCrop(8, { scale: [2, 3] }); // never fits
    const draws = () => fixed(Array.from({ length: 20 }, (_, i) => (i * 0.37) % 1));
    // 100x400: ratio 4 > 4/3: height 100, width round(100 * 4/3) = 133, left (400 - 133) // 2 = 133.
    const wide = draws();
    assert.deepEqual(rrc.getParams(100, 400, wide), [0, 133, 100, 133]);
    assert.equal(wide.calls.length, 20, '10 tries of two draws, no int draw');
    // 400x100: ratio 1/4 < 3/4: width 100, height round(100 / 0.75) = 133, top 133.
    assert.deepEqual(rrc.getParams(400, 100, draws()), [133, 0, 133, 100]);
    // 100x120: the ratio is within [3/4, 4/3]: the whole image.
    assert.deepEqual(rrc.getParams(100, 120, draws()), [0, 0, 100, 120]);
  });
});

describe('RandomResizedCrop draws', () => {
  test('the crops stay in the image and in the bounds of scale and ratio, spread over it', () => {
    const rrc = new RandomResizedCrop(224);
    const [H, W] = [375, 500];
    let fallback = 0;
    const tops = new Set<number>();
    let areaSum = 0;
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const [top, left, h, w] = rrc.getParams(H, W, sampleContext(7, 0, i).random());
      assert.ok(h > 0 && w > 0 && top >= 0 && left >= 0 && top + h <= H && left + w <= W, `crop ${i} in the image`);
      if (top === 0 && left === 0 && h === H && w === W) fallback++;
      else {
        // Rounding the sides moves the area and ratio by at most half a pixel per side.
        const area = h * w;
        assert.ok(area >= 0.08 * H * W - (h + w) / 2 - 1 && area <= H * W, `area ${area}`);
        assert.ok(w / h >= (3 / 4) * (1 - 2 / h) && w / h <= (4 / 3) * (1 + 2 / h), `ratio ${w}/${h}`);
      }
      tops.add(top);
      areaSum += (h * w) / (H * W);
    }
    assert.ok(fallback < n * 0.02, `${fallback} fallbacks (the whole image, 375x500 being within the ratios)`);
    assert.ok(tops.size > 100, `tops spread: ${tops.size} distinct`);
    // Accepted areas are uniform in [0.08, 1] less the rejected large ones: a mean well inside.
    const mean = areaSum / n;
    assert.ok(mean > 0.35 && mean < 0.6, `mean area fraction ${mean}`);
  });

  test('deterministic per (seed, epoch, index), different across them', () => {
    const rrc = new RandomResizedCrop(32);
    const at = (seed: number, epoch: number, index: number) =>
      rrc.getParams(90, 120, sampleContext(seed, epoch, index).random()).join(',');
    assert.equal(at(3, 1, 17), at(3, 1, 17));
    const img = labelled(3, 90, 120);
    const a = rrc.apply(img, sampleContext(3, 1, 17).random());
    const b = rrc.apply(img, sampleContext(3, 1, 17).random());
    assert.deepEqual(a.data, b.data);
    const distinct = (f: (k: number) => string) => new Set(Array.from({ length: 20 }, (_, k) => f(k))).size;
    assert.ok(distinct((k) => at(3, 1, k)) >= 18, 'across indices');
    assert.ok(distinct((k) => at(3, k, 17)) >= 18, 'across epochs');
    assert.ok(distinct((k) => at(k, 1, 17)) >= 18, 'across seeds');
  });

  test('with its sampled crop, the pixels are Pillow crop then resize, to the bit', { skip }, () => {
    const random = new Random(5);
    const cases: Case[] = [];
    const outs: NDArray[] = [];
    const shapes: [number, number][] = [
      [61, 90],
      [90, 61],
      [40, 40],
      [7, 300],
    ];
    for (let s = 0; s < 24; s++) {
      const [h, w] = shapes[s % shapes.length] as [number, number];
      const c = s % 5 === 0 ? 1 : s % 7 === 3 ? 4 : 3;
      const interpolation = INTERPOLATIONS[s % 6] as Interpolation;
      const size: [number, number] = s % 2 === 0 ? [24, 24] : [19, 33];
      const rrc = new RandomResizedCrop(size, { interpolation, scale: s % 4 === 3 ? [0.5, 1] : [0.01, 1] });
      const data = c === 4 ? alphaPixels(h, w, c, random) : randomPixels(h * w * c, random);
      const crop = rrc.getParams(h, w, new Random(s));
      outs.push(rrc.apply(new NDArray(toPlanar(data, h, w, c), [c, h, w]), new Random(s)));
      cases.push({ h, w, c, oh: size[0], ow: size[1], interpolation, crop, data });
    }
    const want = pillowResize(cases);
    cases.forEach((c, i) => {
      const out = outs[i] as NDArray;
      assert.deepEqual(out.shape, [c.c, c.oh, c.ow]);
      const diff = firstDifference(toInterleaved(out.data as Uint8Array, c.oh, c.ow, c.c), want[i] as Uint8Array);
      assert.equal(diff, null, `${describeCase(c)}: ${diff}`);
    });
  });
});

describe('configs, the batch paths, the DataLoader', () => {
  test('buildTransform builds each from its config; toJSON rebuilds the same transform', () => {
    const specs: TransformSpec[] = [
      { type: 'Resize', size: 256 },
      { type: 'Resize', size: [20, 30], interpolation: 'nearest' },
      { type: 'Resize', size: 16, maxSize: 20, interpolation: 'bicubic' },
      { type: 'ResizeEdge', scale: 24, edge: 'long' },
      { type: 'ResizeEdge', scale: 20, interpolation: 'lanczos' },
      { type: 'CenterCrop', size: 224 },
      { type: 'CenterCrop', size: [10, 12] },
      { type: 'RandomResizedCrop', size: 224 },
      { type: 'RandomResizedCrop', size: [16, 24], scale: [0.5, 1], ratio: [0.5, 2], interpolation: 'bicubic' },
      { type: 'Resize', size: [20, 30], interpolation: 'box' },
      { type: 'RandomResizedCrop', size: 12, interpolation: 'hamming' },
    ];
    const classes = [
      Resize,
      Resize,
      Resize,
      ResizeEdge,
      ResizeEdge,
      CenterCrop,
      CenterCrop,
      RandomResizedCrop,
      RandomResizedCrop,
      Resize,
      RandomResizedCrop,
    ];
    const img = labelled(3, 37, 45);
    specs.forEach((spec, i) => {
      const t = buildTransform(spec);
      assert.ok(t instanceof (classes[i] as new (...a: never[]) => unknown), spec.type);
      const again = buildTransform(JSON.parse(JSON.stringify(t.toJSON())) as TransformSpec);
      assert.deepEqual(again.toJSON(), t.toJSON());
      const a = t.apply(img, sampleContext(1, 2, i).random());
      const b = again.apply(img, sampleContext(1, 2, i).random());
      assert.deepEqual([a.shape, a.data], [b.shape, b.data], `${spec.type} rebuilt`);
    });
    const rrc = buildTransform({ type: 'RandomResizedCrop', size: 224 }) as RandomResizedCrop;
    assert.deepEqual(
      [rrc.height, rrc.width, rrc.scale, rrc.ratio, rrc.interpolation],
      [224, 224, [0.08, 1], [3 / 4, 4 / 3], 'bilinear'],
    );
    const composed = new Compose([
      { type: 'Resize', size: 40 },
      { type: 'CenterCrop', size: 32 },
    ]);
    assert.deepEqual(composed.apply(img, NO_DRAWS).shape, [3, 32, 32]);
  });

  test('RandomCrop + RandomFlip stay fused; a pipeline with a resizing transform goes sample by sample', () => {
    assert.notEqual(FusedTransforms.of([new RandomCrop({ size: 4, padding: 1 }), new RandomFlip()]), null);
    for (const t of [new RandomResizedCrop(4), new Resize(4), new CenterCrop(4), new ResizeEdge(4)]) {
      assert.equal(FusedTransforms.of([t, new RandomFlip()]), null, t.constructor.name);
      assert.equal(FusedTransforms.of([new Compose([new RandomFlip(), t])]), null, `${t.constructor.name} in Compose`);
    }
    const images = new Uint8Array(4 * 3 * 10 * 12).map((_, i) => (i * 7) & 255);
    const source = {
      type: 'array' as const,
      images,
      labels: new Uint8Array(4),
      shape: [3, 10, 12] as [number, number, number],
    };
    const ctx = { seed: 1, epoch: 0, keys: [0, 1] };
    const fusedDs = new RawImageDataset(source, {
      transforms: [{ type: 'RandomCrop', size: 8 }, { type: 'RandomFlip' }],
    });
    assert.notEqual(fusedDs.getRawBatch([0, 1], ctx), undefined, 'the fused batch path');
    const resized = new RawImageDataset(source, {
      transforms: [{ type: 'RandomResizedCrop', size: 8 }, { type: 'RandomFlip' }],
    });
    assert.equal(resized.getRawBatch([0, 1], ctx), undefined, 'declined: the loader makes the samples one by one');
  });

  describe('ImageFolder of JPEG and PNG files of several sizes', { skip }, () => {
    let dir = '';
    let made: { files: string[]; test: string[] } = { files: [], test: [] };
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'torch-node-resize-'));
      // The test pipeline, Resize(32) + CenterCrop(24) bilinear, worked in Python with torchvision's formulas.
      made = python(
        `
import os, random
d = INPUT
rnd = random.Random(3)
sizes = [(50, 37), (37, 50), (64, 64), (33, 91), (120, 41), (24, 24)]
files = []
for i, (w, h) in enumerate(sizes):
    cls = 'a' if i % 2 == 0 else 'b'
    os.makedirs(os.path.join(d, cls), exist_ok=True)
    im = Image.frombytes('RGB', (w, h), bytes(rnd.randrange(256) for _ in range(w * h * 3)))
    name = os.path.join(cls, f'{i}.jpg' if i % 3 else f'{i}.png')
    im.save(os.path.join(d, name), quality=90) if i % 3 else im.save(os.path.join(d, name))
    files.append(name)
files.sort()
def test_pipeline(im, size=32, crop=24):
    w, h = im.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    if (new_w, new_h) != (w, h):
        im = im.resize((new_w, new_h), Image.Resampling.BILINEAR)
    top, left = int(round((new_h - crop) / 2.0)), int(round((new_w - crop) / 2.0))
    return im.crop((left, top, left + crop, top + crop))
def planes(im):
    return base64.b64encode(b''.join(c.tobytes() for c in im.split())).decode()
test = [planes(test_pipeline(Image.open(os.path.join(d, f)).convert('RGB'))) for f in files]
print(json.dumps(dict(files=files, test=test)))
`,
        dir,
      );
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    test("Resize(32) + CenterCrop(24): Pillow's pixels (decoded and resized here)", async () => {
      const ds = new ImageFolder({ root: dir, transforms: [new Resize(32), new CenterCrop(24)], format: 'tuple' });
      assert.deepEqual(
        ds.samples.map(([p]) => p.slice(dir.length + 1)),
        made.files,
      );
      const loader = new DataLoader({ dataset: ds, batchSize: 6, numWorkers: 0 });
      const [batch] = (await within(collect(loader), 30000, 'test pipeline')) as {
        shape: number[];
        values: number[];
      }[][];
      const imgs = batch?.[0] as { shape: number[]; values: number[] };
      assert.deepEqual(imgs.shape, [6, 3, 24, 24]);
      made.test.forEach((want, i) => {
        const got = Uint8Array.from(imgs.values.slice(i * 3 * 24 * 24, (i + 1) * 3 * 24 * 24));
        assert.equal(firstDifference(got, unb64(want)), null, made.files[i]);
      });
    });

    for (const [name, transforms] of [
      ['RandomResizedCrop(24) + RandomFlip', [{ type: 'RandomResizedCrop', size: 24 }, { type: 'RandomFlip' }]],
      [
        'ResizeEdge(30) + CenterCrop(24)',
        [
          { type: 'ResizeEdge', scale: 30 },
          { type: 'CenterCrop', size: 24 },
        ],
      ],
    ] as [string, TransformSpec[]][]) {
      test(`${name}: the same batches with 2 workers as with none`, async () => {
        const ds = new ImageFolder({ root: dir, transforms });
        const pass = (numWorkers: number) =>
          within(
            collect(new DataLoader({ dataset: ds, batchSize: 2, shuffle: true, seed: 11, numWorkers })),
            60000,
            `${name} with ${numWorkers} workers`,
          );
        const inMain = await pass(0);
        const inWorkers = await pass(2);
        assert.equal(inMain.length, 3);
        assert.deepEqual((inMain[0] as { img: { shape: number[] } }).img.shape, [2, 3, 24, 24]);
        assert.deepEqual(inWorkers, inMain);
      });
    }
  });
});

describe('errors name the transform', () => {
  const img = labelled(3, 10, 10);
  test('bad configs', () => {
    const cases: [() => unknown, RegExp][] = [
      [
        () => new RandomResizedCrop(0),
        /^Error: RandomResizedCrop: size must be a positive integer or \[height, width\], got 0/,
      ],
      [() => new RandomResizedCrop([2, 3, 4] as never), /RandomResizedCrop: size must be/],
      [
        () => new RandomResizedCrop(8, { scale: [1, 0.5] }),
        /RandomResizedCrop: scale must be \[min, max\] with 0 <= min <= max, got \[1,0.5\]/,
      ],
      [
        () => new RandomResizedCrop(8, { ratio: [0, 1] }),
        /RandomResizedCrop: ratio must be \[min, max\] with 0 < min <= max/,
      ],
      [
        () => new RandomResizedCrop(8, { interpolation: 'area' as never }),
        /RandomResizedCrop: interpolation must be 'nearest', 'box', 'bilinear', 'hamming', 'bicubic' or 'lanczos', got "area"/,
      ],
      [() => new Resize(8, { interpolation: 'LANCZOS' as never }), /Resize: interpolation must be .* got "LANCZOS"/],
      [() => new Resize(2.5), /Resize: size must be/],
      [() => new Resize([2, 2], { maxSize: 5 }), /Resize: maxSize is only for a size that the short edge becomes/],
      [
        () => new Resize(256, { maxSize: 256 }),
        /Resize: maxSize must be an integer greater than the size of the short edge 256/,
      ],
      [
        () => new ResizeEdge(256, { edge: 'diagonal' as never }),
        /ResizeEdge: edge must be 'short', 'long', 'width' or 'height'/,
      ],
      [() => new ResizeEdge(-1), /ResizeEdge: scale must be a positive integer/],
      [() => new CenterCrop([1, 2, 3] as never), /CenterCrop: size must be/],
      [() => buildTransform({ type: 'Resize' } as never), /Resize: size must be/],
      [() => buildTransform({ type: 'Resized', size: 3 } as never), /unknown transform .*'RandomResizedCrop'/],
    ];
    for (const [f, message] of cases) assert.throws(f, (e: unknown) => e instanceof Error && message.test(String(e)));
  });

  test('bad images', () => {
    const flat = new NDArray(new Uint8Array(100), [10, 10]);
    const floats = new NDArray(new Float32Array(300), [3, 10, 10]);
    assert.throws(
      () => new Resize(4).apply(flat, NO_DRAWS),
      /Resize: expected an image of shape \(C, H, W\), got \[10, 10\]/,
    );
    assert.throws(() => new CenterCrop(4).apply(flat, NO_DRAWS), /CenterCrop: expected an image of shape/);
    assert.throws(
      () => new RandomResizedCrop(4).apply(floats, NO_DRAWS),
      /RandomResizedCrop: expected a uint8 image, got float32/,
    );
    assert.throws(
      () => new ResizeEdge(4).apply(new NDArray(new Uint8Array(0), [3, 0, 5]), NO_DRAWS),
      /ResizeEdge: the image is empty/,
    );
    assert.throws(
      () => new Resize(1, { maxSize: 2 }).apply(labelled(1, 1, 500), NO_DRAWS),
      /Resize: a 1x500 image would be resized to 0x2/,
    );
    const thin = new RandomResizedCrop(4, { ratio: [4, 5] });
    assert.throws(
      () => thin.apply(labelled(1, 400, 1), new Random(0)),
      /RandomResizedCrop: the 400x1 image is too thin/,
    );
    assert.throws(() => resizeImage(img, [0, 3]), /resizeImage: size must be \[height, width\] of positive integers/);
    assert.throws(
      () => resizeImage(img, [3, 3], { layout: 'chw', crop: [5, 5, 6, 1] }),
      /resizeImage: crop must be \[top, left, height, width\] inside the 10x10 image/,
    );
    assert.throws(
      () => resizeImage(img, [3, 3], { layout: 'nchw' as never }),
      /resizeImage: layout must be 'hwc' or 'chw'/,
    );
    assert.throws(
      () => resizeImage(img, [3, 3], { layout: 'chw', alpha: 1 as never }),
      (e: unknown) => e instanceof TypeError && /resizeImage: alpha must be true or false, got 1/.test(e.message),
    );
  });
});

test('speed: 500x375 -> 224x224 bilinear, RGB, against Pillow (a diagnostic)', { skip }, (t) => {
  const [h, w] = [375, 500];
  const data = randomPixels(h * w * 3, new Random(1));
  const time = (f: () => unknown): number => {
    for (let i = 0; i < 30; i++) f();
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      for (let i = 0; i < 40; i++) f();
      best = Math.min(best, (performance.now() - t0) / 40);
    }
    return best;
  };
  const hwc = new NDArray(data, [h, w, 3]);
  const chw = new NDArray(toPlanar(data, h, w, 3), [3, h, w]);
  const ours = time(() => resizeImage(hwc, [224, 224]));
  const oursPlanar = time(() => new Resize([224, 224]).apply(chw, NO_DRAWS));
  const pillow = python<number>(
    `
import timeit
im = Image.frombytes('RGB', (500, 375), base64.b64decode(INPUT))
f = lambda: im.resize((224, 224), Image.Resampling.BILINEAR)
for _ in range(30): f()
print(json.dumps(min(timeit.timeit(f, number=40) / 40 * 1000 for _ in range(5))))
`,
    b64(data),
  );
  t.diagnostic(
    `resizeImage (H, W, C) ${ours.toFixed(2)} ms, Resize on (C, H, W) ${oursPlanar.toFixed(2)} ms, ` +
      `Pillow ${pillow.toFixed(2)} ms: ${(ours / pillow).toFixed(2)}x and ${(oursPlanar / pillow).toFixed(2)}x Pillow's time`,
  );
  assert.ok(ours > 0 && pillow > 0);
});
