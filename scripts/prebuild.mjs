#!/usr/bin/env node
// `npm run prebuild [-- cpu] [-- cuda]`: the prebuilt addons for this platform, made with
// prebuildify (scripts/prebuild-cmake-js.mjs as its cmake-js backend), one folder per variant,
// each with a manifest.json saying what it was built against:
//   prebuilds/linux-x64-cpu-torch2.13.0/        against the CPU libtorch torch==2.13.0+cpu:
//                                               LIBTORCH_CPU, else the package's libtorch/
//                                               (fetched as `npm install` fetches it)
//   prebuilds/linux-x64-cuda13.0-torch2.14.1/   against the CUDA libtorch torch==2.14.1:
//                                               LIBTORCH_CUDA, else .cache/libtorch-cuda-2.14.1/torch
//                                               (fetched with pip; compiling and linking need its
//                                               lib/ and include/ only, no CUDA toolkit)
// The versions are the ones the install step fetches, so that a user gets a libtorch that fits.
// Each variant is built in its own folder under .cache/prebuild/, so build/ (the development
// build) is left alone.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchCudaLibtorch, LibtorchNotFound, PINNED_TORCH, PINNED_TORCH_CUDA, packageLibtorch } from './libtorch.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const variants = require('./variants.cjs');
const log = (msg) => console.log(`torch-node prebuild: ${msg}`);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function fail(message) {
  console.error(`torch-node prebuild: ${message}`);
  process.exit(1);
}

function libtorchFor(variant) {
  const envName = variant === 'cpu' ? 'LIBTORCH_CPU' : 'LIBTORCH_CUDA';
  const pinned = variant === 'cpu' ? PINNED_TORCH : PINNED_TORCH_CUDA;
  let lt;
  if (process.env[envName]) {
    const info = variants.describeLibtorch(process.env[envName]);
    if (!info) fail(`${envName}=${process.env[envName]} holds no libtorch (lib/libtorch_cpu.so, include/ATen/ATen.h)`);
    lt = { root: resolve(process.env[envName]), source: envName, ...info };
  } else if (variant === 'cpu') {
    lt = packageLibtorch(root, log);
  } else {
    const dest = join(root, '.cache', `libtorch-cuda-${PINNED_TORCH_CUDA}`);
    const info = variants.describeLibtorch(join(dest, 'torch'));
    lt = info
      ? { root: join(dest, 'torch'), source: '.cache', ...info }
      : fetchCudaLibtorch(dest, log, { libs: false });
  }
  if (lt.cuda !== (variant === 'cuda'))
    fail(`${lt.source} ${lt.root} is not a ${variant === 'cuda' ? 'CUDA' : 'CPU'} build`);
  if (lt.torch !== variants.baseVersion(pinned)) {
    fail(
      `${lt.source} ${lt.root} is torch ${lt.version}, but the install step fetches torch==${pinned} for the ${variant} ` +
        `addon: a prebuilt addon for another version would never find its libtorch.`,
    );
  }
  return lt;
}

function prebuild(variant) {
  const started = Date.now();
  const lt = libtorchFor(variant);
  const platform = `${process.platform}-${process.arch}`;
  const tag = variant === 'cpu' ? 'cpu' : `cuda${lt.cudaVersion ?? ''}`;
  const name = `${platform}-${tag}-torch${lt.torch}`;
  log(`${name}: building against libtorch ${lt.version} at ${lt.root}`);

  // A folder of links to the sources, so that cmake-js's build/ is not the development one.
  const stage = join(root, '.cache', 'prebuild', variant);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  for (const f of ['package.json', 'CMakeLists.txt', 'native', 'node_modules'])
    symlinkSync(join(root, f), join(stage, f));

  const prebuildify = require.resolve('prebuildify/bin.js');
  const args = [
    prebuildify,
    '--napi',
    '--strip',
    '--tag-libc',
    '--target',
    process.versions.node,
    '--node-gyp',
    join(root, 'scripts', 'prebuild-cmake-js.mjs'),
    '--cwd',
    stage,
  ];
  const env = {
    ...process.env,
    LIBTORCH: lt.root,
    // prebuilds/<name>/<addon> -> the package's own libtorch folder; the loader normally maps
    // libtorch by its full path first, so this is the fallback.
    TORCH_NODE_RPATH: `$ORIGIN/../../${variants.PACKAGE_LIBTORCH[variant]}/lib`,
  };
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', env, cwd: stage });
  if (r.status !== 0) fail(`${name}: prebuildify failed (see the output above)`);
  const built = join(stage, 'prebuilds', platform);
  const file = readdirSync(built).find((f) => f.endsWith('.node'));
  if (!file) fail(`${name}: prebuildify left no .node in ${built}`);

  // One folder per variant: an older one of the same variant goes.
  for (const old of variants.listPrebuilds(root).usable.filter((p) => p.variant === variant)) {
    rmSync(old.dir, { recursive: true, force: true });
  }
  const out = join(root, 'prebuilds', name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  renameSync(join(built, file), join(out, file));
  const manifest = {
    variant,
    platform: process.platform,
    arch: process.arch,
    libc: 'glibc',
    napi: pkg.binary.napi_versions[0],
    torch: lt.torch,
    libtorch: lt.version,
    cuda: variant === 'cuda' ? (lt.cudaVersion ?? 'unknown') : null,
    file,
    torchNode: pkg.version,
    node: process.versions.node,
  };
  writeFileSync(join(out, variants.MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  rmSync(stage, { recursive: true, force: true });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  log(`${name}: prebuilds/${name}/${file} in ${seconds} s`);
}

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const a of asked) if (a !== 'cpu' && a !== 'cuda') fail(`unknown variant '${a}': expected cpu or cuda`);
if (process.platform !== 'linux' || process.arch !== 'x64') fail('prebuilt addons are made for linux-x64 only');
if (!existsSync(join(root, 'node_modules', 'prebuildify'))) fail('prebuildify is not installed: run `npm ci` first');
try {
  for (const variant of asked.length ? asked : ['cpu', 'cuda']) prebuild(variant);
} catch (e) {
  if (e instanceof LibtorchNotFound) fail(e.message);
  throw e;
}
