// resizeImage (lib/engine/dataset/resize.ts) against Pillow's Image.resize on the same pixels,
// in one run: a 500x375 image to 224x224 with each filter, RGB interleaved and planar, and RGBA.
// Best of 7 rounds of 30 calls each side, CPU time (the machine may be shared). Needs python3
// with Pillow. Run: npx tsc -p tsconfig.json && node dist/bench/resize.js
import { spawnSync } from 'node:child_process';
import { NDArray } from '../lib/engine/dataset/ndarray.js';
import { INTERPOLATIONS, type Interpolation, resizeImage } from '../lib/engine/dataset/resize.js';

const [H, W, OUT] = [375, 500, 224];
const PYTHON = process.env.TORCH_NODE_PYTHON ?? 'python3';

function pixels(n: number): Uint8Array {
  let s = 12345;
  return Uint8Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s >>> 24;
  });
}

/** Best milliseconds per call of 7 rounds of 30, in CPU time. */
function cpuTime(f: () => unknown): number {
  for (let i = 0; i < 30; i++) f();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 7; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < 30; i++) f();
    const d = process.cpuUsage(t0);
    best = Math.min(best, (d.user + d.system) / 1000 / 30);
  }
  return best;
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
    best = 1e9
    for _ in range(7):
        t0 = time.process_time()
        for _ in range(30): f()
        best = min(best, (time.process_time() - t0) / 30 * 1000)
    return best
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

console.log(`${H}x${W} -> ${OUT}x${OUT}, ms per image (CPU time, best of 7 x 30)`);
console.log('filter     RGB hwc  RGB chw  Pillow RGB   RGBA hwc  Pillow RGBA');
for (const interpolation of INTERPOLATIONS as Interpolation[]) {
  const size: [number, number] = [OUT, OUT];
  const hwc = cpuTime(() => resizeImage(new NDArray(rgb, [H, W, 3]), size, { interpolation }));
  const chw = cpuTime(() => resizeImage(new NDArray(planar, [3, H, W]), size, { interpolation, layout: 'chw' }));
  const alpha = cpuTime(() => resizeImage(new NDArray(rgba, [H, W, 4]), size, { interpolation }));
  const p = (key: string) => (theirs ? (theirs[`${interpolation} ${key}`] as number).toFixed(2) : '-');
  console.log(
    `${interpolation.padEnd(9)} ${hwc.toFixed(2).padStart(8)} ${chw.toFixed(2).padStart(8)} ${p('rgb').padStart(11)}` +
      ` ${alpha.toFixed(2).padStart(10)} ${p('rgba').padStart(12)}`,
  );
}
