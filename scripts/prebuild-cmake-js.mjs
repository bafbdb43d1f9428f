#!/usr/bin/env node
// prebuildify's build backend (its --node-gyp option). prebuildify runs
//   <backend> rebuild --target=<node version> --devdir=<dir> --arch=<arch> --release|--debug
// in the folder it builds, as it would run node-gyp; this runs cmake-js there instead, against the
// libtorch that LIBTORCH names, with TORCH_NODE_RPATH as the addon's RUNPATH.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';

const args = process.argv.slice(2);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const { LIBTORCH, TORCH_NODE_RPATH } = process.env;
if (args[0] !== 'rebuild' || !LIBTORCH || !TORCH_NODE_RPATH) {
  console.error(
    'usage: LIBTORCH=<dir> TORCH_NODE_RPATH=<runpath> prebuild-cmake-js.mjs rebuild --target=<version> [--arch=<arch>] [--debug]\n' +
      '(run by scripts/prebuild.mjs through prebuildify)',
  );
  process.exit(2);
}
const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
const cmd = [
  cmakeJs,
  'rebuild',
  '--directory',
  process.cwd(),
  '--runtime',
  'node',
  '--runtime-version',
  option('target') ?? process.versions.node,
  '--arch',
  option('arch') ?? process.arch,
  `--CDLIBTORCH=${LIBTORCH}`,
  `--CDTORCH_NODE_RPATH=${TORCH_NODE_RPATH}`,
  ...(args.includes('--debug') ? ['--debug'] : []),
];
const env = {
  ...process.env,
  CMAKE_BUILD_PARALLEL_LEVEL: process.env.CMAKE_BUILD_PARALLEL_LEVEL ?? String(cpus().length),
};
const r = spawnSync(process.execPath, cmd, { stdio: 'inherit', env });
process.exit(r.status ?? 1);
