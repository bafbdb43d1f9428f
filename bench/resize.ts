// resizeImage (lib/engine/dataset/resize.ts) against Pillow's Image.resize on the same pixels,
// in one run: a 500x375 image to 224x224 with each filter, RGB interleaved and planar, and RGBA.
// Median of 15 rounds of 30 calls each side, CPU time (the machine may be shared). Needs python3
// with Pillow. Run: npx tsc -p tsconfig.json && node dist/bench/resize.js
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { NDArray } from '../lib/engine/dataset/ndarray.js';
import { INTERPOLATIONS, type Interpolation, resizeImage } from '../lib/engine/dataset/resize.js';
import { median } from './stats.js';

const [H, W, OUT] = [375, 500, 224];
const PYTHON = process.env.TORCH_NODE_PYTHON ?? 'python3';

function pixels(n: number): Uint8Array {
  let s = 12345;
  return Uint8Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s >>> 24;
  });
}

/** Median milliseconds per call over 15 rounds of 30, in CPU time (the machine may be shared). */
function cpuTime(f: () => unknown): number {
  for (let i = 0; i < 30; i++) f();
  const xs: number[] = [];
  for (let r = 0; r < 15; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < 30; i++) f();
    const d = process.cpuUsage(t0);
    xs.push((d.user + d.system) / 1000 / 30);
  }
  return median(xs);
}

const rgb = pixels(H * W * 3);
const rgba = pixels(H * W * 4);
const planar = new Uint8Array(rgb.length);
for (let p = 0; p < H * W; p++) for (let c = 0; c < 3; c++) planar[c * H * W + p] = rgb[p * 3 + c] as number;

const pillow = spawnSync(
  PYTHON,
  [
    '-c',
    `
import sys, json, time
from PIL import Image
data = sys.stdin.buffer.read()
n = ${H * W * 3}
ims = {'rgb': Image.frombytes('RGB', (${W}, ${H}), data[:n]), 'rgba': Image.frombytes('RGBA', (${W}, ${H}), data[n:])}
def cpu(f):
    for _ in range(30): f()
    xs = []
    for _ in range(15):
        t0 = time.process_time()
        for _ in range(30): f()
        xs.append((time.process_time() - t0) / 30 * 1000)
    xs.sort(); return xs[len(xs) // 2]
R = Image.Resampling
out = {}
for name in ${JSON.stringify(INTERPOLATIONS)}:
    for mode, im in ims.items():
        out[name + ' ' + mode] = cpu(lambda: im.resize((${OUT}, ${OUT}), R[name.upper()]))
print(json.dumps(out))
`,
  ],
  { input: Buffer.concat([rgb, rgba]), encoding: 'utf8', maxBuffer: 1 << 20 },
);
const theirs: Record<string, number> | null = pillow.status === 0 ? JSON.parse(pillow.stdout) : null;
if (theirs === null) console.log(`Pillow not timed (${PYTHON}: ${pillow.stderr?.trim().split('\n').pop()})`);

// RESIZE_BEFORE=path/to/another/build/resize.js: that build's RGB hwc time too (with its own NDArray).
type Resize = typeof resizeImage;
let before: { resize: Resize; NDArray: typeof NDArray } | null = null;
if (process.env.RESIZE_BEFORE) {
  const path = resolve(process.env.RESIZE_BEFORE);
  const { resizeImage: resize } = (await import(path)) as { resizeImage: Resize };
  before = {
    resize,
    NDArray: ((await import(join(dirname(path), 'ndarray.js'))) as { NDArray: typeof NDArray }).NDArray,
  };
}

// Every kernel warmed up before any is timed: else the first ones timed run partly unoptimized.
for (const interpolation of INTERPOLATIONS) {
  for (let i = 0; i < 30; i++) resizeImage(new NDArray(rgb, [H, W, 3]), [OUT, OUT], { interpolation });
}
console.log(`${H}x${W} -> ${OUT}x${OUT}, ms per image (CPU time, median of 15 x 30); load ${loadavg()[0]?.toFixed(2)}`);
if (before) console.log(`RGB hwc of ${process.env.RESIZE_BEFORE}, then this build:`);
console.log('filter     RGB hwc  RGB chw  Pillow RGB   RGBA hwc  Pillow RGBA');
for (const interpolation of INTERPOLATIONS as Interpolation[]) {
  const size: [number, number] = [OUT, OUT];
  if (before) {
    const b = before;
    const then = cpuTime(() => b.resize(new b.NDArray(rgb, [H, W, 3]), size, { interpolation }));
    const alphaThen = cpuTime(() => b.resize(new b.NDArray(rgba, [H, W, 4]), size, { interpolation }));
    console.log(`${interpolation.padEnd(9)} before: RGB hwc ${then.toFixed(2)}, RGBA hwc ${alphaThen.toFixed(2)}`);
  }
  const hwc = cpuTime(() => resizeImage(new NDArray(rgb, [H, W, 3]), size, { interpolation }));
  const chw = cpuTime(() => resizeImage(new NDArray(planar, [3, H, W]), size, { interpolation, layout: 'chw' }));
  const alpha = cpuTime(() => resizeImage(new NDArray(rgba, [H, W, 4]), size, { interpolation }));
  const p = (key: string) => (theirs ? (theirs[`${interpolation} ${key}`] as number).toFixed(2) : '-');
  console.log(
    `${interpolation.padEnd(9)} ${hwc.toFixed(2).padStart(8)} ${chw.toFixed(2).padStart(8)} ${p('rgb').padStart(11)}` +
      ` ${alpha.toFixed(2).padStart(10)} ${p('rgba').padStart(12)}`,
  );
}
