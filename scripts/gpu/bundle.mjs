#!/usr/bin/env node
// Packs what a machine with a GPU and CUDA but no Node and no network needs to build torch-node
// and run its GPU suite, into `.gpu/` at the repository root (ignored by git):
//
//   .gpu/node.xz               this Node binary, xz-compressed (an official build is static
//                              enough to run on any recent glibc)
//   .gpu/node_modules.tar.gz   the production dependencies (cmake-js with Node-API headers,
//                              node-addon-api, node-gyp-build): all the addon's build needs
//   .gpu/dist.tar.gz           the compiled TypeScript: library, tests, benchmarks, examples
//   .gpu/include/gloo/         Gloo's headers, for torch.distributed (when this machine has them)
//
// Then copy the checkout with `.gpu/` to that machine and run `bash scripts/gpu/run.sh` there
// (see its header). Usage: node scripts/gpu/bundle.mjs   (after `npm ci`; rebuilds dist/)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const out = join(root, '.gpu');
const log = (msg) => console.log(`gpu bundle: ${msg}`);
const run = (cmd, args, options = {}) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
};

mkdirSync(out, { recursive: true });

// Node: compress once per binary (xz of ~95 MB takes a while); a stamp says which it was.
const node = process.execPath;
const stamp = `${node} ${process.version} ${statSync(node).size}`;
const stampFile = join(out, 'node.stamp');
if (!existsSync(join(out, 'node.xz')) || !existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp) {
  log(`compressing ${node} (${process.version})`);
  writeFileSync(join(out, 'node.xz'), execFileSync('xz', ['-T0', '-6', '-c', node], { maxBuffer: 1 << 30 }));
  writeFileSync(stampFile, stamp);
}

// The production dependency tree, as npm resolved it.
const listed = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
const modules = listed.stdout
  .split('\n')
  .map((p) => relative(root, p.trim()))
  .filter((p) => p.startsWith('node_modules'));
if (modules.length === 0) throw new Error('no production dependencies found: run `npm ci` first');
log(`${modules.length} production packages`);
run('tar', ['czf', join(out, 'node_modules.tar.gz'), ...modules]);

// Gloo's headers (Debian's libgloo-dev), for the distributed backends: GPU images rarely have them.
if (existsSync('/usr/include/gloo/config.h')) {
  rmSync(join(out, 'include'), { recursive: true, force: true });
  mkdirSync(join(out, 'include'), { recursive: true });
  run('cp', ['-r', '/usr/include/gloo', join(out, 'include', 'gloo')]);
} else {
  log('no gloo headers in /usr/include/gloo (apt-get install libgloo-dev): the GPU build will lack torch.distributed');
}

log('compiling TypeScript');
run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
run('tar', ['czf', join(out, 'dist.tar.gz'), 'dist']);
rmSync(join(out, 'results'), { recursive: true, force: true });

const size = (f) => `${(statSync(join(out, f)).size / 2 ** 20).toFixed(1)} MiB`;
log(
  `ready: node.xz ${size('node.xz')}, node_modules.tar.gz ${size('node_modules.tar.gz')}, dist.tar.gz ${size('dist.tar.gz')}`,
);
