// Where libtorch comes from, in order:
//   1. LIBTORCH=<dir>: an unpacked libtorch as PyTorch distributes it (lib/, include/, share/);
//   2. TORCH_NODE_USE_PYTORCH=1: the `torch` package of the first `python3` on PATH;
//   3. a libtorch already placed in the package's `libtorch/` folder;
//   4. the pinned CPU build, fetched with `pip download` and unpacked into `libtorch/`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const variants = createRequire(import.meta.url)('./variants.cjs');

/** The CPU libtorch fetched by default; the prebuilt CPU addon is built against it. */
export const PINNED_TORCH = '2.13.0+cpu';
/** The CUDA libtorch fetched on request (TORCH_NODE_VARIANT=cuda); the prebuilt CUDA addon is built against it. */
export const PINNED_TORCH_CUDA = '2.14.1';
const PYTORCH_CPU_INDEX = 'https://download.pytorch.org/whl/cpu';

export class LibtorchNotFound extends Error {}

const howToProvide = `Provide libtorch in one of three ways and run \`npm install\` again:
  1. LIBTORCH=/path/to/libtorch   an unpacked libtorch (the folder holding lib/ and include/)
  2. TORCH_NODE_USE_PYTORCH=1      use the torch package of your python3 (pip install torch)
  3. have python3 with pip         so that torch-node fetches torch==${PINNED_TORCH} itself`;

/** The version, CUDA-ness and validity of a libtorch folder; null when it is not one. */
export const describeLibtorch = variants.describeLibtorch;

function fromPath(dir, source) {
  const info = describeLibtorch(dir);
  if (!info) {
    throw new LibtorchNotFound(
      `${source} points at ${dir}, which holds no libtorch (lib/libtorch_cpu.so and include/ATen/ATen.h).\n${howToProvide}`,
    );
  }
  return { root: dir, source, ...info };
}

function python() {
  for (const exe of ['python3', 'python']) {
    const r = spawnSync(exe, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return exe;
  }
  return null;
}

function pythonTorchDir() {
  const exe = python();
  if (!exe) throw new LibtorchNotFound(`TORCH_NODE_USE_PYTORCH=1 but no python3 was found.\n${howToProvide}`);
  const r = spawnSync(exe, ['-c', 'import os, torch; print(os.path.dirname(torch.__file__))'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new LibtorchNotFound(
      `TORCH_NODE_USE_PYTORCH=1 but \`${exe} -c "import torch"\` failed:\n${r.stderr.trim()}\n${howToProvide}`,
    );
  }
  return r.stdout.trim();
}

/**
 * Where python3's torch package is, found without importing it (a fraction of a second); null
 * when there is no python3 or no torch.
 */
export function pythonTorchLocation() {
  const exe = python();
  if (!exe) return null;
  const r = spawnSync(
    exe,
    ['-c', "import importlib.util as u; s = u.find_spec('torch'); print(s.submodule_search_locations[0] if s else '')"],
    { encoding: 'utf8' },
  );
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

// Only what a C++ build and the loaded addon need: the Python bindings and test libraries stay out.
const SKIPPED_LIBS = [
  'libtorch_python.so',
  'libtorchbind_test.so',
  'libjitbackend_test.so',
  'libbackend_with_compiler.so',
  'libaoti_custom_ops.so',
];
// torch/{lib,include,share}/... and torch/version.py (which names the CUDA version) into DEST.
const UNPACK = `
import sys, zipfile, os
wheel, dest, skipped = sys.argv[1], sys.argv[2], set(sys.argv[3].split(','))
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        parts = info.filename.split('/')
        wanted = parts[0] == 'torch' and (
            (len(parts) >= 3 and parts[1] in ('lib', 'include', 'share')) or parts[1:] == ['version.py'])
        if not wanted or parts[-1] in skipped or info.is_dir():
            continue
        target = os.path.join(dest, *parts[1:])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(info) as src, open(target, 'wb') as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
`;
// The CUDA libraries a torch wheel requires on Linux (its nvidia-* and cuda-toolkit pins), one a line.
const CUDA_REQUIREMENTS = `
import sys, zipfile, re
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))
    for line in z.read(meta).decode().splitlines():
        if not line.startswith('Requires-Dist:'):
            continue
        req, _, marker = line[len('Requires-Dist:'):].strip().partition(';')
        if 'extra ==' in marker or not re.match(r'(nvidia-|cuda-toolkit)', req.strip()):
            continue
        print(req.strip())
`;

function pip(exe, args, what) {
  const r = spawnSync(exe, ['-m', 'pip', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0)
    throw new LibtorchNotFound(`\`pip ${args[0]} ${what}\` failed (see pip's output above).\n${howToProvide}`);
}

/** Downloads one torch wheel into a fresh temporary folder; returns [folder, wheel path]. */
function downloadTorch(exe, spec, log, size) {
  const tmp = mkdtempSync(join(tmpdir(), 'torch-node-'));
  const base = ['download', '--no-deps', '--only-binary=:all:', spec, '-d', tmp];
  log(`fetching ${spec} with pip (about ${size})`);
  // The user's own pip configuration first (a local mirror or index), then PyTorch's CPU index.
  let r = spawnSync(exe, ['-m', 'pip', ...base], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 && spec.includes('+cpu')) {
    log(`retrying with --extra-index-url ${PYTORCH_CPU_INDEX}`);
    r = spawnSync(exe, ['-m', 'pip', ...base, '--extra-index-url', PYTORCH_CPU_INDEX], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  const wheel = readdirSync(tmp).find((f) => f.endsWith('.whl'));
  if (r.status !== 0 || !wheel) {
    rmSync(tmp, { recursive: true, force: true });
    throw new LibtorchNotFound(`\`pip download ${spec}\` failed.\n${howToProvide}`);
  }
  return [tmp, join(tmp, wheel)];
}

function unpack(exe, wheel, dest, log) {
  log(`unpacking lib/, include/ and share/ into ${dest}`);
  rmSync(dest, { recursive: true, force: true });
  const u = spawnSync(exe, ['-c', UNPACK, wheel, dest, SKIPPED_LIBS.join(',')], { stdio: 'inherit' });
  if (u.status !== 0) throw new LibtorchNotFound(`unpacking ${wheel} failed.\n${howToProvide}`);
}

function fetchPinned(dest, log) {
  const exe = python();
  if (!exe)
    throw new LibtorchNotFound(
      `no libtorch was found and there is no python3 to fetch torch==${PINNED_TORCH} with.\n${howToProvide}`,
    );
  const [tmp, wheel] = downloadTorch(exe, `torch==${PINNED_TORCH}`, log, '180 MiB');
  try {
    unpack(exe, wheel, dest, log);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Fetches the CUDA build of torch==PINNED_TORCH_CUDA with pip and lays it out as pip would:
 * <dest>/torch (lib/, include/, share/, version.py) and, with `libs`, the CUDA libraries it
 * loads beside it in <dest>/nvidia (about 3.2 GB more), where its RPATH looks for them. Without
 * `libs` the result compiles and links but does not load. With `python`, <dest>/torch is the
 * whole Python package (1.1 GB instead of 1.05), importable with PYTHONPATH=<dest>: the parity
 * tests' oracle of the same version. Returns the libtorch (<dest>/torch).
 */
export function fetchCudaLibtorch(target, log, { libs = true, python: withPython = false } = {}) {
  const dest = resolve(target);
  const exe = python();
  if (!exe) throw new LibtorchNotFound(`fetching torch==${PINNED_TORCH_CUDA} needs python3 with pip.\n${howToProvide}`);
  const started = Date.now();
  const [tmp, wheel] = downloadTorch(exe, `torch==${PINNED_TORCH_CUDA}`, log, '530 MiB');
  try {
    if (libs) {
      const r = spawnSync(exe, ['-c', CUDA_REQUIREMENTS, wheel], { encoding: 'utf8' });
      const reqs = r.status === 0 ? r.stdout.split('\n').filter(Boolean) : [];
      if (reqs.length === 0) throw new LibtorchNotFound(`${wheel} names no CUDA libraries: is it a CUDA build?`);
      log(`fetching the CUDA libraries torch ${PINNED_TORCH_CUDA} loads (about 3.2 GB): ${reqs.join(' ')}`);
      rmSync(join(dest, 'nvidia'), { recursive: true, force: true });
      pip(
        exe,
        [
          'install',
          '--target',
          dest,
          '--upgrade',
          '--only-binary=:all:',
          '--no-compile',
          '--disable-pip-version-check',
          ...reqs,
        ],
        'the CUDA libraries',
      );
    }
    if (withPython) {
      log(`installing the whole torch package into ${dest}`);
      rmSync(join(dest, 'torch'), { recursive: true, force: true });
      pip(exe, ['install', '--target', dest, '--upgrade', '--no-deps', '--no-compile', wheel], 'torch');
    } else {
      unpack(exe, wheel, join(dest, 'torch'), log);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  log(`torch ${PINNED_TORCH_CUDA} (CUDA) is in ${dest} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  return fromPath(join(dest, 'torch'), `pip (torch==${PINNED_TORCH_CUDA})`);
}

/** The libtorch that LIBTORCH or TORCH_NODE_USE_PYTORCH=1 names; null when neither is set. */
export function explicitLibtorch() {
  if (process.env.LIBTORCH) return fromPath(process.env.LIBTORCH, 'LIBTORCH');
  if (process.env.TORCH_NODE_USE_PYTORCH === '1')
    return fromPath(pythonTorchDir(), 'Python torch (TORCH_NODE_USE_PYTORCH=1)');
  return null;
}

/** The package's libtorch/ folder, fetching the pinned CPU build into it when it holds none. */
export function packageLibtorch(packageRoot, log) {
  const bundled = join(packageRoot, 'libtorch');
  if (describeLibtorch(bundled)) return fromPath(bundled, 'the package folder libtorch/');
  fetchPinned(bundled, log);
  return fromPath(bundled, `pip (torch==${PINNED_TORCH})`);
}

export function findLibtorch(packageRoot, log) {
  return explicitLibtorch() ?? packageLibtorch(packageRoot, log);
}

// `node scripts/libtorch.mjs fetch-cuda DEST [--no-libs] [--python]`: what CI uses.
if (
  process.argv[1] &&
  resolve(process.argv[1]) === fileURLToPath(import.meta.url) &&
  process.argv[2] === 'fetch-cuda'
) {
  const dest = process.argv.slice(3).find((a) => !a.startsWith('--'));
  if (!dest) {
    console.error('usage: node scripts/libtorch.mjs fetch-cuda DEST [--no-libs] [--python]');
    process.exit(2);
  }
  try {
    fetchCudaLibtorch(dest, (m) => console.log(`torch-node: ${m}`), {
      libs: !process.argv.includes('--no-libs'),
      python: process.argv.includes('--python'),
    });
  } catch (e) {
    console.error(`torch-node: ${e.message}`);
    process.exit(1);
  }
}
