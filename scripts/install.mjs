#!/usr/bin/env node
// `npm install` entry point: use a prebuilt or existing addon when one loads, otherwise find
// libtorch and build the addon against it with cmake-js.
//
//   node scripts/install.mjs            build only when no usable binary is there
//   node scripts/install.mjs --rebuild  always build
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLibtorch, LibtorchNotFound } from './libtorch.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const log = (msg) => console.log(`torch-node: ${msg}`);

function existingBinary() {
  try {
    return require('node-gyp-build').path(root);
  } catch {
    return null;
  }
}

function build(libtorch) {
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
    console.error('torch-node: building the native addon failed (see the compiler output above).');
    process.exit(r.status ?? 1);
  }
  mkdirSync(join(root, 'build'), { recursive: true });
  writeFileSync(join(root, 'build', 'libtorch.json'), `${JSON.stringify(libtorch, null, 2)}\n`);
  log(`built the addon in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

const rebuild = process.argv.includes('--rebuild');
const found = existingBinary();
if (!rebuild && found && existsSync(found)) {
  log(`using the addon at ${relative(root, found)}`);
} else {
  try {
    const libtorch = findLibtorch(root, log);
    log(
      `libtorch ${libtorch.version}${libtorch.cuda ? ' (CUDA)' : ' (CPU)'} from ${libtorch.source}: ${libtorch.root}`,
    );
    build(libtorch);
  } catch (e) {
    if (e instanceof LibtorchNotFound) {
      console.error(`\ntorch-node: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}
