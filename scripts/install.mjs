#!/usr/bin/env node
// `npm install` entry point. It decides, by the loader's own rules (scripts/variants.cjs), which
// addon this machine will load, and makes sure that addon has what it needs:
//   - a local build (build/Release) is used as it is;
//   - a prebuilt addon (prebuilds/) needs exactly the libtorch it was built against: the one
//     LIBTORCH or TORCH_NODE_USE_PYTORCH=1 names when it fits; for the CUDA addon (chosen when a
//     CUDA driver is present, or TORCH_NODE_VARIANT=cuda) also python3's torch when it fits, or
//     torch==2.14.1 with its CUDA libraries fetched on request (TORCH_NODE_VARIANT=cuda); for
//     the CPU addon the package's libtorch/, fetched with pip as for a build. What it chose is
//     recorded in libtorch.json, where the loader looks;
//   - otherwise (no prebuilt addon fits) it builds the addon with cmake-js.
//
//   node scripts/install.mjs            as above
//   node scripts/install.mjs --rebuild  always build from source
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  explicitLibtorch,
  fetchCudaLibtorch,
  findLibtorch,
  LibtorchNotFound,
  PINNED_TORCH_CUDA,
  packageLibtorch,
  pythonTorchLocation,
} from './libtorch.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const variants = require('./variants.cjs');
const log = (msg) => console.log(`torch-node: ${msg}`);

function fail(message) {
  console.error(`\ntorch-node: ${message}\n`);
  process.exit(1);
}

function describe(libtorch) {
  return `libtorch ${libtorch.version}${libtorch.cuda ? ` (CUDA${libtorch.cudaVersion ? ` ${libtorch.cudaVersion}` : ''})` : ' (CPU)'}`;
}

function build(libtorch) {
  log(`${describe(libtorch)} from ${libtorch.source}: ${libtorch.root}`);
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  // A libtorch inside the package is found relative to the addon, so the package can move.
  const inPackage = !relative(root, libtorch.root).startsWith('..');
  const rpath = inPackage
    ? `$ORIGIN/${relative(join(root, 'build', 'Release'), join(libtorch.root, 'lib'))}`
    : join(libtorch.root, 'lib');
  const args = [
    cmakeJs,
    'rebuild',
    '--directory',
    root,
    `--CDLIBTORCH=${libtorch.root}`,
    `--CDTORCH_NODE_RPATH=${rpath}`,
  ];
  const env = { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: String(cpus().length) };
  const started = Date.now();
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', env, cwd: root });
  if (r.status !== 0) {
    fail('building the native addon failed (see the compiler output above).');
  }
  mkdirSync(join(root, 'build'), { recursive: true });
  writeFileSync(join(root, 'build', 'libtorch.json'), `${JSON.stringify(libtorch, null, 2)}\n`);
  log(`built the addon in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** Records the libtorch a prebuilt addon runs with, where the loader looks for it. */
function usePrebuilt(prebuild, libtorch) {
  const record = variants.readRecord(root);
  const inPackage = !relative(root, libtorch.root).startsWith('..');
  record[prebuild.variant] = {
    root: inPackage ? relative(root, libtorch.root) : libtorch.root,
    // A libtorch found through an earlier record keeps the source it was recorded with.
    source: libtorch.source.replace(/^libtorch\.json \((.*) at install\)$/, '$1'),
    version: libtorch.version,
  };
  writeFileSync(join(root, variants.RECORD), `${JSON.stringify(record, null, 2)}\n`);
  log(
    `using the prebuilt ${prebuild.variant} addon (prebuilds/${prebuild.name}) with ${describe(libtorch)} ` +
      `from ${libtorch.source}: ${libtorch.root}`,
  );
}

/** A CUDA libtorch already at hand that the prebuilt CUDA addon fits, or null; `why` says where it looked. */
function cudaLibtorchAtHand(prebuild, why) {
  const found = variants.libtorchFor(root, prebuild, {}, why);
  if (found) return { root: found.root, source: found.source, ...found.info };
  const pyTorch = pythonTorchLocation();
  const info = pyTorch && variants.describeLibtorch(pyTorch);
  if (info && variants.fits(prebuild, info)) return { root: pyTorch, source: "python3's torch", ...info };
  why.push(
    pyTorch
      ? `python3's torch ${pyTorch} is ${info ? variants.describeVersion(info) : 'no libtorch'}`
      : 'python3 has no torch',
  );
  return null;
}

function main() {
  if (process.argv.includes('--rebuild')) return build(findLibtorch(root, log));
  let resolution;
  try {
    resolution = variants.resolveAddon(root);
  } catch (e) {
    fail(e.message);
  }
  const { requested, driver } = resolution;
  const local = join(root, 'build', 'Release', variants.ADDON);
  if ((requested === 'auto' || requested === 'local') && existsSync(local)) {
    log(`using the addon at ${relative(root, local)}`);
    return;
  }
  if (requested === 'local') return build(findLibtorch(root, log));

  const prebuilt = variants.listPrebuilds(root).usable.filter((p) => requested === 'auto' || p.variant === requested);
  const platform = `${process.platform}-${process.arch}`;
  if (prebuilt.length === 0) {
    if (requested !== 'auto')
      fail(`TORCH_NODE_VARIANT=${requested}, but this package has no prebuilt ${requested} addon for ${platform}.`);
    log(`no prebuilt addon for ${platform} in this package: building it`);
    return build(findLibtorch(root, log));
  }

  const explicit = explicitLibtorch();
  if (explicit) {
    const fit = prebuilt.find((p) => variants.fits(p, explicit));
    if (fit) return usePrebuilt(fit, explicit);
    const needed = prebuilt.map((p) => variants.needs(p)).join(' or ');
    if (requested !== 'auto')
      fail(`TORCH_NODE_VARIANT=${requested} needs ${needed}, but ${explicit.source} is ${describe(explicit)}.`);
    log(`${explicit.source} is ${describe(explicit)}; the prebuilt addons need ${needed}: building from source`);
    return build(explicit);
  }

  const cuda = prebuilt.find((p) => p.variant === 'cuda');
  if (cuda && (requested === 'cuda' || driver.present)) {
    const why = [];
    const atHand = cudaLibtorchAtHand(cuda, why);
    if (atHand) return usePrebuilt(cuda, atHand);
    if (requested === 'cuda') return usePrebuilt(cuda, fetchCudaLibtorch(join(root, 'libtorch-cuda'), log));
    log(
      `a CUDA driver is present (${driver.detail}), but no CUDA build of torch ${cuda.torch} was found ` +
        `(${why.join('; ')}): installing the CPU addon. For the GPU, reinstall with TORCH_NODE_VARIANT=cuda, ` +
        `which fetches torch==${PINNED_TORCH_CUDA} and its CUDA libraries (about 3.7 GB), or with LIBTORCH or ` +
        'TORCH_NODE_USE_PYTORCH=1 naming such a build.',
    );
  }
  const cpu = prebuilt.find((p) => p.variant === 'cpu');
  if (cpu) {
    const libtorch = packageLibtorch(root, log);
    if (variants.fits(cpu, libtorch)) return usePrebuilt(cpu, libtorch);
    log(
      `${libtorch.source} holds ${describe(libtorch)}; the prebuilt CPU addon needs ${cpu.torch}: building from source`,
    );
    return build(libtorch);
  }
  log(`the prebuilt addons need ${prebuilt.map((p) => variants.needs(p)).join(' or ')}: building from source`);
  return build(findLibtorch(root, log));
}

try {
  main();
} catch (e) {
  if (e instanceof LibtorchNotFound) fail(e.message);
  throw e;
}
