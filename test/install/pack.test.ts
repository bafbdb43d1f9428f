// `npm pack`, then `npm install <tarball>` into an empty folder with no compiler to be had, then a
// training step: what a user of the published package gets on a CPU machine. The prebuilt CPU
// addon must be there (`npm run prebuild -- cpu`; .ci/run makes it), else this is skipped.
// The libtorch it runs with is this checkout's (LIBTORCH, else libtorch/), handed to the install
// step through LIBTORCH, so that the test does not fetch the same 180 MiB again; the fetch itself
// is what `npm ci` does in CI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const variants = createRequire(import.meta.url)(join(root, 'scripts', 'variants.cjs')) as {
  listPrebuilds(packageRoot: string): { usable: { variant: string; name: string; torch: string }[] };
  describeLibtorch(dir: string): { torch: string; cuda: boolean } | null;
};

const cpuPrebuild = variants.listPrebuilds(root).usable.find((p) => p.variant === 'cpu');
const libtorch = process.env.LIBTORCH ?? join(root, 'libtorch');
const libtorchInfo = variants.describeLibtorch(libtorch);

/** npm's own script, run with this node: the test's PATH holds no npm. */
function npmCli(): string | null {
  if (process.env.npm_execpath?.endsWith('.js')) return process.env.npm_execpath;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const npm = join(dir, 'npm');
    if (existsSync(npm)) return realpathSync(npm);
  }
  return null;
}
const npm = npmCli();

function skipReason(): string | false {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'prebuilt addons are made for linux-x64 only';
  if (!cpuPrebuild) return 'no prebuilt CPU addon in prebuilds/: run `npm run prebuild -- cpu` first';
  if (!libtorchInfo || libtorchInfo.cuda || libtorchInfo.torch !== cpuPrebuild.torch) {
    return `the prebuilt CPU addon needs a CPU libtorch ${cpuPrebuild.torch} at ${libtorch} (set LIBTORCH)`;
  }
  if (!existsSync(join(root, 'dist', 'lib', 'index.js'))) return 'dist/ is not compiled';
  if (!npm) return 'npm was not found on PATH';
  return false;
}

// Outside the checkout, so that nothing resolves to its node_modules by walking up.
const scratch = mkdtempSync(join(tmpdir(), 'torch-node-pack-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const TRAIN = `
import * as torch from 'torch-node';
torch.manualSeed(0);
const x = torch.randn([64, 8]);
const y = x.matmul(torch.randn([8, 1])).add(0.1);
const model = new torch.nn.Sequential(new torch.nn.Linear(8, 16), new torch.nn.ReLU(), new torch.nn.Linear(16, 1));
const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.05 });
const losses = [];
for (let step = 0; step < 20; step++) {
  losses.push(torch.scope(() => {
    optimizer.zeroGrad();
    const loss = torch.nn.functional.mseLoss(model.forward(x), y);
    loss.backward();
    optimizer.step();
    return loss.item();
  }));
}
console.log(JSON.stringify({ info: torch.buildInfo(), losses }));
`;

test('the packed tarball installs into an empty folder and trains, with no compiler invoked', {
  skip: skipReason(),
  timeout: 600_000,
}, () => {
  // 1. The tarball: prebuilt addons in, libtorch and builds out.
  const packed = spawnSync(
    process.execPath,
    [npm!, 'pack', '--ignore-scripts', '--json', '--pack-destination', scratch],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  assert.equal(packed.status, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout) as {
    filename: string;
    size: number;
    unpackedSize: number;
    files: { path: string }[];
  }[];
  const paths = info!.files.map((f) => f.path);
  assert.ok(paths.includes(`prebuilds/${cpuPrebuild!.name}/manifest.json`), 'the CPU prebuild is packed');
  assert.deepEqual(
    paths.filter((p) => /^(libtorch|libtorch-cuda|build|\.cache|node_modules)\//.test(p) || p === 'libtorch.json'),
    [],
    'no libtorch, build or cache in the tarball',
  );
  assert.ok(info!.size < 20 * 2 ** 20, `the tarball is ${(info!.size / 2 ** 20).toFixed(1)} MiB`);

  // 2. A PATH with node and sh only, and compilers that note that they were called and fail.
  const bin = join(scratch, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync('/bin/sh', join(bin, 'sh'));
  const calls = join(scratch, 'compiler-calls.log');
  for (const tool of ['c++', 'g++', 'gcc', 'cc', 'clang', 'clang++', 'cmake', 'make', 'ninja', 'node-gyp']) {
    writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> '${calls}'\nexit 1\n`);
    chmodSync(join(bin, tool), 0o755);
  }
  const env = { HOME: process.env.HOME ?? scratch, PATH: bin, CXX: join(bin, 'c++'), CC: join(bin, 'cc') };

  // 3. npm install <tarball> into an empty project.
  const app = join(scratch, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const started = Date.now();
  const install = spawnSync(
    process.execPath,
    [
      npm!,
      'install',
      join(scratch, info!.filename),
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--foreground-scripts',
    ],
    { cwd: app, encoding: 'utf8', env: { ...env, LIBTORCH: libtorch } },
  );
  const installLog = install.stdout + install.stderr;
  assert.equal(install.status, 0, installLog);
  assert.match(installLog, /torch-node: using the prebuilt cpu addon/);
  assert.ok(!existsSync(calls), `a compiler was invoked: ${existsSync(calls) ? readFileSync(calls, 'utf8') : ''}`);
  const installed = join(app, 'node_modules', 'torch-node');
  assert.ok(!existsSync(join(installed, 'build')), 'nothing was built');
  const installSeconds = (Date.now() - started) / 1000;

  // 4. A training step, with libtorch found through what the install step recorded.
  writeFileSync(join(app, 'train.mjs'), TRAIN);
  const run = (extra: Record<string, string>) =>
    spawnSync(process.execPath, ['train.mjs'], { cwd: app, encoding: 'utf8', env: { ...env, ...extra } });
  const trained = run({});
  assert.equal(trained.status, 0, trained.stderr);
  const out = JSON.parse(trained.stdout) as {
    info: { variant: string; file: string; libtorchPath: string; libtorch: string; cuda: boolean };
    losses: number[];
  };
  assert.equal(out.info.variant, 'cpu');
  assert.equal(out.info.cuda, false);
  assert.equal(
    realpathSync(out.info.file),
    realpathSync(join(installed, 'prebuilds', cpuPrebuild!.name, out.info.file.split('/').pop()!)),
  );
  assert.equal(out.info.libtorchPath, libtorch);
  assert.ok(out.losses.at(-1)! < out.losses[0]! / 2, `the loss falls: ${out.losses[0]} -> ${out.losses.at(-1)}`);
  assert.equal(trained.stderr, '', 'nothing to say on a CPU machine');

  // 5. Without the record the loader says what it looked for; LIBTORCH at run time serves too.
  rmSync(join(installed, 'libtorch.json'));
  const lost = run({});
  assert.notEqual(lost.status, 0);
  assert.match(lost.stderr, /torch-node: no native addon could be loaded \(TORCH_NODE_VARIANT=auto\)/);
  assert.match(
    lost.stderr,
    /cpu: prebuilds\/.* needs a CPU build of torch 2\.13\.0; none was found \(.*libtorch: does not exist\)/,
  );
  const viaEnv = run({ LIBTORCH: libtorch });
  assert.equal(viaEnv.status, 0, viaEnv.stderr);
  assert.equal((JSON.parse(viaEnv.stdout) as typeof out).info.variant, 'cpu');
  console.log(`pack + install into an empty folder: ${installSeconds.toFixed(1)} s`);
});
