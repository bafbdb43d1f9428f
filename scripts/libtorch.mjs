// Where libtorch comes from, in order:
//   1. LIBTORCH=<dir>: an unpacked libtorch as PyTorch distributes it (lib/, include/, share/);
//   2. TORCH_NODE_USE_PYTORCH=1: the `torch` package of the first `python3` on PATH;
//   3. a libtorch already placed in the package's `libtorch/` folder;
//   4. the pinned CPU build, fetched with `pip download` and unpacked into `libtorch/`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PINNED_TORCH = '2.13.0+cpu';
const PYTORCH_CPU_INDEX = 'https://download.pytorch.org/whl/cpu';

export class LibtorchNotFound extends Error {}

const howToProvide = `Provide libtorch in one of three ways and run \`npm install\` again:
  1. LIBTORCH=/path/to/libtorch   an unpacked libtorch (the folder holding lib/ and include/)
  2. TORCH_NODE_USE_PYTORCH=1      use the torch package of your python3 (pip install torch)
  3. have python3 with pip         so that torch-node fetches torch==${PINNED_TORCH} itself`;

/** The version, CUDA-ness and validity of a libtorch folder; null when it is not one. */
export function describeLibtorch(dir) {
  const header = join(dir, 'include', 'torch', 'headeronly', 'version.h');
  const legacyHeader = join(dir, 'include', 'torch', 'csrc', 'api', 'include', 'torch', 'version.h');
  if (!existsSync(join(dir, 'lib', 'libtorch_cpu.so')) || !existsSync(join(dir, 'include', 'ATen', 'ATen.h'))) {
    return null;
  }
  const text = [header, legacyHeader].filter(existsSync).map((f) => readFileSync(f, 'utf8'))[0] ?? '';
  const version = /TORCH_VERSION\s*\\?\s*"([^"]+)"/.exec(text)?.[1] ?? 'unknown';
  const cuda = existsSync(join(dir, 'lib', 'libtorch_cuda.so'));
  return { version, cuda };
}

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

// Only what a C++ build and the loaded addon need: the Python bindings and test libraries stay out.
const SKIPPED_LIBS = [
  'libtorch_python.so',
  'libtorchbind_test.so',
  'libjitbackend_test.so',
  'libbackend_with_compiler.so',
  'libaoti_custom_ops.so',
];
const UNPACK = `
import sys, zipfile, os
wheel, dest, skipped = sys.argv[1], sys.argv[2], set(sys.argv[3].split(','))
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        parts = info.filename.split('/')
        if parts[0] != 'torch' or len(parts) < 3 or parts[1] not in ('lib', 'include', 'share'):
            continue
        if parts[-1] in skipped or info.is_dir():
            continue
        target = os.path.join(dest, *parts[1:])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(info) as src, open(target, 'wb') as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
`;

function fetchPinned(dest, log) {
  const exe = python();
  if (!exe)
    throw new LibtorchNotFound(
      `no libtorch was found and there is no python3 to fetch torch==${PINNED_TORCH} with.\n${howToProvide}`,
    );
  const tmp = mkdtempSync(join(tmpdir(), 'torch-node-'));
  try {
    const base = [
      exe,
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--only-binary=:all:',
      `torch==${PINNED_TORCH}`,
      '-d',
      tmp,
    ];
    log(`fetching torch==${PINNED_TORCH} with pip (about 180 MiB)`);
    // The user's own pip configuration first (a local mirror or index), then PyTorch's CPU index.
    let r = spawnSync(base[0], base.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) {
      log(`retrying with --extra-index-url ${PYTORCH_CPU_INDEX}`);
      r = spawnSync(base[0], [...base.slice(1), '--extra-index-url', PYTORCH_CPU_INDEX], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
    }
    const wheel = readdirSync(tmp).find((f) => f.endsWith('.whl'));
    if (r.status !== 0 || !wheel) {
      throw new LibtorchNotFound(`\`pip download torch==${PINNED_TORCH}\` failed.\n${howToProvide}`);
    }
    log(`unpacking lib/, include/ and share/ into ${dest}`);
    rmSync(dest, { recursive: true, force: true });
    const u = spawnSync(exe, ['-c', UNPACK, join(tmp, wheel), dest, SKIPPED_LIBS.join(',')], { stdio: 'inherit' });
    if (u.status !== 0) throw new LibtorchNotFound(`unpacking ${wheel} failed.\n${howToProvide}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function findLibtorch(packageRoot, log) {
  if (process.env.LIBTORCH) return fromPath(process.env.LIBTORCH, 'LIBTORCH');
  if (process.env.TORCH_NODE_USE_PYTORCH === '1')
    return fromPath(pythonTorchDir(), 'Python torch (TORCH_NODE_USE_PYTORCH=1)');
  const bundled = join(packageRoot, 'libtorch');
  if (describeLibtorch(bundled)) return fromPath(bundled, 'the package folder libtorch/');
  fetchPinned(bundled, log);
  return fromPath(bundled, `pip (torch==${PINNED_TORCH})`);
}
