// decodeJpeg (lib/engine/dataset/jpeg.ts) against Pillow's Image.open(...).load() (libjpeg-turbo)
// on the same files, in one run: photo-like images (smooth shading, edges, texture and a little
// noise, as a camera gives; pure noise would make every block dense and no photo is like that)
// saved by Pillow at the sizes and settings an ImageNet-style data path meets. Each side: median
// over 15 rounds of the CPU time per decode (the machine may be shared), after a warm-up. Also
// checks that both decode the same pixels. Needs python3 with Pillow and numpy.
// Run: npx tsc -p tsconfig.json && node dist/bench/jpeg.js   (JPEG_ROUNDS=n for fewer rounds;
// JPEG_BEFORE=path/to/another/build/jpeg.js times that build too, just before this one).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { decodeJpeg } from '../lib/engine/dataset/jpeg.js';
import { median } from './stats.js';

const PYTHON = process.env.TORCH_NODE_PYTHON ?? 'python3';
const ROUNDS = Number(process.env.JPEG_ROUNDS ?? 15);

/** name: [width, height, Pillow save options]. */
const CASES: Record<string, [number, number, Record<string, unknown>]> = {
  '500x375 q90 4:2:0 baseline': [500, 375, { quality: 90, subsampling: 2 }],
  '500x375 q90 4:4:4 baseline': [500, 375, { quality: 90, subsampling: 0 }],
  '500x375 q90 4:2:2 baseline': [500, 375, { quality: 90, subsampling: 1 }],
  '500x375 q75 4:2:0 baseline': [500, 375, { quality: 75, subsampling: 2 }],
  '500x375 q90 4:2:0 progressive': [500, 375, { quality: 90, subsampling: 2, progressive: true }],
  '500x375 q90 4:4:4 progressive': [500, 375, { quality: 90, subsampling: 0, progressive: true }],
  '500x375 q90 4:2:0 restarts': [500, 375, { quality: 90, subsampling: 2, restart_marker_blocks: 4 }],
  '500x375 q90 gray': [500, 375, { quality: 90, gray: true }],
  '224x224 q90 4:2:0 baseline': [224, 224, { quality: 90, subsampling: 2 }],
  '333x251 q85 4:2:0 optimized': [333, 251, { quality: 85, subsampling: 2, optimize: true }],
};

const script = `
import base64, hashlib, io, json, sys, time
import numpy as np
from PIL import Image, ImageDraw, ImageFilter
cases = json.loads(sys.argv[1]); rounds = int(sys.argv[2])

def photo(w, h, seed):
    # Smooth shading from a coarse random field, a few hard-edged shapes, texture, sensor noise.
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
    im = coarse.copy(); d = ImageDraw.Draw(im)
    for _ in range(12):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h)); r = int(rng.integers(8, max(9, w // 4)))
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        (d.ellipse if rng.random() < 0.5 else d.rectangle)([x - r, y - r // 2, x + r, y + r], fill=color)
    im = im.filter(ImageFilter.GaussianBlur(1.2))
    a = np.asarray(im).astype(np.int16)
    tex = np.asarray(Image.fromarray(rng.integers(0, 256, (h // 3 + 1, w // 3 + 1), dtype=np.uint8)).resize((w, h), Image.Resampling.BILINEAR)).astype(np.int16)
    a = a + (tex[..., None] - 128) // 6 + rng.integers(-4, 5, a.shape)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))

def cpu(f):
    n = 20
    for _ in range(5): f()
    xs = []
    for _ in range(rounds):
        t0 = time.process_time()
        for _ in range(n): f()
        xs.append((time.process_time() - t0) / n * 1000)
    xs.sort(); return xs[len(xs) // 2]

out = {}
for i, (name, (w, h, opts)) in enumerate(cases.items()):
    im = photo(w, h, i)
    if opts.pop('gray', False): im = im.convert('L')
    buf = io.BytesIO(); im.save(buf, 'JPEG', **opts); data = buf.getvalue()
    def decode():
        d = Image.open(io.BytesIO(data)); d.load(); return d
    pixels = decode().tobytes()
    out[name] = {'jpeg': base64.b64encode(data).decode(), 'sha': hashlib.sha256(pixels).hexdigest(), 'ms': cpu(decode)}
print(json.dumps(out))
`;

/** Median over the rounds of the CPU milliseconds per call (20 calls a round, after 5 to warm up). */
function cpuTime(f: () => unknown): number {
  const n = 20;
  for (let i = 0; i < 5; i++) f();
  const xs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) f();
    const d = process.cpuUsage(t0);
    xs.push((d.user + d.system) / 1000 / n);
  }
  return median(xs);
}

const py = spawnSync(PYTHON, ['-c', script, JSON.stringify(CASES), String(ROUNDS)], {
  encoding: 'utf8',
  maxBuffer: 64 << 20,
});
if (py.status !== 0) {
  console.log(`Pillow not available (${PYTHON}: ${py.stderr?.trim().split('\n').pop()}); nothing to compare`);
  process.exit(0);
}
const pillow = JSON.parse(py.stdout) as Record<string, { jpeg: string; sha: string; ms: number }>;

type Decode = typeof decodeJpeg;
const before: Decode | null = process.env.JPEG_BEFORE
  ? ((await import(resolve(process.env.JPEG_BEFORE))) as { decodeJpeg: Decode }).decodeJpeg
  : null;

console.log(`decodeJpeg vs Pillow (libjpeg-turbo): ms per image, CPU time, median of ${ROUNDS} rounds of 20`);
console.log(
  `load average at the start ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const head = [before ? 'before'.padStart(7) : '', 'ours'.padStart(7), 'Pillow'.padStart(7), 'ours/Pillow'];
console.log(`${'image'.padEnd(32)} ${'bytes'.padStart(7)} ${head.filter(Boolean).join(' ')}  same pixels`);
for (const [name, p] of Object.entries(pillow)) {
  const bytes = new Uint8Array(Buffer.from(p.jpeg, 'base64'));
  const same = createHash('sha256').update(decodeJpeg(bytes, name).data).digest('hex') === p.sha;
  const then = before
    ? cpuTime(() => before(bytes, name))
        .toFixed(2)
        .padStart(7)
    : '';
  const ours = cpuTime(() => decodeJpeg(bytes, name));
  const cells = [then, ours.toFixed(2).padStart(7), p.ms.toFixed(2).padStart(7), (ours / p.ms).toFixed(2).padStart(11)];
  console.log(
    `${name.padEnd(32)} ${String(bytes.length).padStart(7)} ${cells.filter(Boolean).join(' ')}  ${same ? 'yes' : 'NO'}`,
  );
}
console.log(
  `load average at the end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
