// The GPU benchmark (issue 6, workload 5): the data path of ImgDataPreprocessor on CUDA against
// the float32 path, copy/compute overlap with the copy stream, and the host cost of one CUDA op,
// each measured in torch-node and, in the same run, in Python torch (bench/python/gpu.py).
//
//   node dist/bench/gpu.js [--rounds N] [--out DIR]     needs a CUDA machine
//
// Writes gpu.json and gpu.md to DIR (default bench/results).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImgDataPreprocessor } from '../lib/engine/index.js';
import * as torch from '../lib/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHAPE = [256, 3, 224, 224];
const MEAN = [123.675, 116.28, 103.53];
const STD = [58.395, 57.12, 57.375];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function timed(fn: () => void, rounds: number, warmup = 2): number[] {
  for (let i = 0; i < warmup; i++) torch.scope(fn);
  torch.cuda.synchronize();
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    torch.scope(fn);
    torch.cuda.synchronize();
    out.push(performance.now() - t0);
  }
  return out;
}

function ours(workload: string, rounds: number): Record<string, number[]> {
  torch.manualSeed(0);
  const batch = torch.randint(0, 256, SHAPE, { dtype: 'uint8' });
  if (workload === 'add1') {
    const a = torch.ones([1], { device: 'cuda' });
    const b = torch.ones([1], { device: 'cuda' });
    const n = 20000;
    const us: number[] = [];
    for (let r = 0; r < rounds; r++) {
      torch.cuda.synchronize();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) a.add(b).dispose();
      us.push(((performance.now() - t0) * 1e3) / n);
      torch.cuda.synchronize();
    }
    return { us };
  }
  if (workload === 'uint8') {
    const pinned = batch.pinMemory();
    const pre = new ImgDataPreprocessor({ mean: MEAN, std: STD, nonBlocking: true }).to('cuda');
    return { ms: timed(() => void pre.forward({ inputs: pinned }), rounds) };
  }
  if (workload === 'float32') {
    const mean = torch.tensor(MEAN).view([1, 3, 1, 1]);
    const std = torch.tensor(STD).view([1, 3, 1, 1]);
    return { ms: timed(() => void batch.float().sub(mean).div(std).to('cuda'), rounds) };
  }
  if (workload === 'overlap') {
    const pinned = batch.pinMemory();
    const copyStream = new torch.cuda.Stream();
    const w = torch.randn([4096, 4096], { device: 'cuda' });
    const copy = () => void torch.cuda.withStream(copyStream, () => pinned.to({ device: 'cuda', nonBlocking: true }));
    const compute = () => {
      for (let i = 0; i < 8; i++) w.matmul(w);
    };
    const both = () => {
      copy();
      compute();
      torch.cuda.currentStream().waitStream(copyStream);
    };
    const synced = (fn: () => void) => () => {
      fn();
      copyStream.synchronize();
    };
    return { copy: timed(synced(copy), rounds), compute: timed(compute, rounds), both: timed(synced(both), rounds) };
  }
  throw new Error(`unknown workload ${workload}`);
}

function python(workload: string, rounds: number): Record<string, number[]> | null {
  const r = spawnSync('python3', [join(root, 'bench', 'python', 'gpu.py'), workload, String(rounds)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    console.error(`python ${workload} failed: ${r.stderr}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

function main(): void {
  const args = process.argv.slice(2);
  const rounds = Number(args[args.indexOf('--rounds') + 1] || 0) || 10;
  const outDir = args.includes('--out') ? (args[args.indexOf('--out') + 1] as string) : join(root, 'bench', 'results');
  if (!torch.cuda.isAvailable()) {
    console.log('bench/gpu: CUDA is not available here; nothing to measure.');
    return;
  }
  const results: Record<string, { ours: Record<string, number>; python: Record<string, number> | null }> = {};
  // Two alternating passes: torch-node, Python, torch-node, Python; medians over both passes.
  for (const workload of ['add1', 'uint8', 'float32', 'overlap']) {
    const mine: Record<string, number[]> = {};
    const theirs: Record<string, number[]> = {};
    for (let pass = 0; pass < 2; pass++) {
      for (const [k, v] of Object.entries(ours(workload, rounds))) mine[k] = [...(mine[k] ?? []), ...v];
      const p = python(workload, rounds);
      if (p) for (const [k, v] of Object.entries(p)) theirs[k] = [...(theirs[k] ?? []), ...v];
    }
    const med = (o: Record<string, number[]>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, median(v)]));
    results[workload] = { ours: med(mine), python: Object.keys(theirs).length ? med(theirs) : null };
    console.log(workload, JSON.stringify(results[workload]));
  }
  const get = (w: string, k: string, who: 'ours' | 'python') => results[w]?.[who]?.[k] ?? Number.NaN;
  const overlap = (who: 'ours' | 'python') => {
    const c = get('overlap', 'copy', who);
    const k = get('overlap', 'compute', who);
    const b = get('overlap', 'both', who);
    return (c + k - b) / Math.min(c, k);
  };
  const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const device = `${torch.buildInfo().libtorch}, ${spawnSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8' }).stdout?.trim() ?? 'unknown GPU'}`;
  const md = [
    `# GPU benchmark (${new Date().toISOString().slice(0, 10)}, ${device}, medians of ${2 * rounds})`,
    '',
    '| workload | torch-node | Python torch | torch-node / Python |',
    '|---|---|---|---|',
    `| 1-element \`a.add(b)\` on CUDA, host µs per op | ${f(get('add1', 'us', 'ours'))} | ${f(get('add1', 'us', 'python'))} | ${f(get('add1', 'us', 'ours') / get('add1', 'us', 'python'), 2)} |`,
    `| uint8 pinned, non-blocking copy, normalised on the device (ImgDataPreprocessor), ms per 256x3x224x224 batch | ${f(get('uint8', 'ms', 'ours'))} | ${f(get('uint8', 'ms', 'python'))} | ${f(get('uint8', 'ms', 'ours') / get('uint8', 'ms', 'python'), 2)} |`,
    `| float32 normalised on the host, then copied, ms per batch | ${f(get('float32', 'ms', 'ours'))} | ${f(get('float32', 'ms', 'python'))} | ${f(get('float32', 'ms', 'ours') / get('float32', 'ms', 'python'), 2)} |`,
    `| speed-up of the uint8 path over the float32 path (target ≥ 3x) | ${f(get('float32', 'ms', 'ours') / get('uint8', 'ms', 'ours'), 1)}x | ${f(get('float32', 'ms', 'python') / get('uint8', 'ms', 'python'), 1)}x | |`,
    `| copy on the copy stream alone / 8 matmuls 4096² alone / both, ms | ${f(get('overlap', 'copy', 'ours'))} / ${f(get('overlap', 'compute', 'ours'))} / ${f(get('overlap', 'both', 'ours'))} | ${f(get('overlap', 'copy', 'python'))} / ${f(get('overlap', 'compute', 'python'))} / ${f(get('overlap', 'both', 'python'))} | |`,
    `| overlap: share of the shorter one hidden behind the other | ${f(overlap('ours') * 100, 0)}% | ${f(overlap('python') * 100, 0)}% | |`,
    '',
  ].join('\n');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'gpu.json'), `${JSON.stringify({ device, rounds, results }, null, 2)}\n`);
  writeFileSync(join(outDir, 'gpu.md'), md);
  console.log(md);
}

main();
