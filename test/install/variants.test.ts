// Which addon the loader and the install step choose (scripts/variants.cjs), on fake packages:
// prebuilt folders with manifests, libtorch folders with only the files that describe them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Candidate {
  kind: string;
  variant: string;
  file: string;
  libtorch: { root: string; source: string } | null;
}
interface Resolution {
  requested: string;
  candidates: Candidate[];
  notes: string[];
}
interface Info {
  version: string;
  torch: string;
  cuda: boolean;
  cudaVersion: string | null;
}
const variants = createRequire(import.meta.url)(join(root, 'scripts', 'variants.cjs')) as {
  describeLibtorch(dir: string): Info | null;
  cudaDriver(): { present: boolean; detail: string };
  resolveAddon(
    packageRoot: string,
    options?: { env?: Record<string, string>; driver?: { present: boolean; detail: string } },
  ): Resolution;
};

const scratch = mkdtempSync(join(tmpdir(), 'torch-node-variants-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let count = 0;

function write(file: string, text = ''): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** A folder that describes itself as a libtorch: the files describeLibtorch reads, all empty but the version. */
function fakeLibtorch(dir: string, version: string, cuda?: string): string {
  write(join(dir, 'lib', 'libtorch_cpu.so'));
  write(join(dir, 'include', 'ATen', 'ATen.h'));
  write(
    join(dir, 'include', 'torch', 'headeronly', 'version.h'),
    `#define TORCH_VERSION \\\n  "${version.split('+')[0]}"\n`,
  );
  if (cuda) {
    write(join(dir, 'lib', 'libtorch_cuda.so'));
    write(join(dir, 'version.py'), `__version__ = '${version}'\ncuda: Optional[str] = '${cuda}'\n`);
  }
  return dir;
}

function fakePrebuild(pkg: string, variant: 'cpu' | 'cuda', torch: string, platform = process.platform): void {
  const name = `${platform}-${process.arch}-${variant}-torch${torch}`;
  const manifest = {
    variant,
    platform,
    arch: process.arch,
    libc: 'glibc',
    torch,
    cuda: variant === 'cuda' ? '13.0' : null,
    file: 'a.node',
  };
  write(join(pkg, 'prebuilds', name, 'manifest.json'), JSON.stringify(manifest));
  write(join(pkg, 'prebuilds', name, 'a.node'));
}

/** A package with both prebuilt addons and, unless told otherwise, the libtorch each one needs in its own folder. */
function fakePackage(options: { cpuLibtorch?: boolean; cudaLibtorch?: boolean; local?: boolean } = {}): string {
  const pkg = join(scratch, `pkg${count++}`);
  fakePrebuild(pkg, 'cpu', '2.13.0');
  fakePrebuild(pkg, 'cuda', '2.14.1');
  if (options.cpuLibtorch !== false) fakeLibtorch(join(pkg, 'libtorch'), '2.13.0');
  if (options.cudaLibtorch !== false) fakeLibtorch(join(pkg, 'libtorch-cuda', 'torch'), '2.14.1+cu130', '13.0');
  if (options.local) write(join(pkg, 'build', 'Release', 'torch_node.node'));
  return pkg;
}

const noDriver = { present: false, detail: 'none here' };
const driver = { present: true, detail: '/dev/nvidiactl' };
const order = (r: Resolution) => r.candidates.map((c) => c.variant);

describe('describeLibtorch', () => {
  test('reads the version from the header, and the CUDA version from version.py', () => {
    assert.deepEqual(variants.describeLibtorch(fakeLibtorch(join(scratch, 'lt-cpu'), '2.13.0')), {
      version: '2.13.0',
      torch: '2.13.0',
      cuda: false,
      cudaVersion: null,
    });
    assert.deepEqual(variants.describeLibtorch(fakeLibtorch(join(scratch, 'lt-cuda'), '2.14.1+cu130', '13.0')), {
      version: '2.14.1+cu130',
      torch: '2.14.1',
      cuda: true,
      cudaVersion: '13.0',
    });
  });

  test("a libtorch zip's build-version names the CUDA version too", () => {
    const dir = fakeLibtorch(join(scratch, 'lt-zip'), '2.14.1');
    write(join(dir, 'lib', 'libtorch_cuda.so'));
    write(join(dir, 'build-version'), '2.14.1+cu128\n');
    assert.deepEqual(variants.describeLibtorch(dir), {
      version: '2.14.1+cu128',
      torch: '2.14.1',
      cuda: true,
      cudaVersion: '12.8',
    });
  });

  test('a folder without lib/libtorch_cpu.so and include/ATen is none', () => {
    mkdirSync(join(scratch, 'empty'), { recursive: true });
    assert.equal(variants.describeLibtorch(join(scratch, 'empty')), null);
    assert.equal(variants.describeLibtorch(join(scratch, 'missing')), null);
  });
});

describe('resolveAddon', () => {
  test('CPU first without a driver, CUDA first with one; a local build before both', () => {
    const pkg = fakePackage();
    assert.deepEqual(order(variants.resolveAddon(pkg, { env: {}, driver: noDriver })), ['cpu', 'cuda']);
    assert.deepEqual(order(variants.resolveAddon(pkg, { env: {}, driver })), ['cuda', 'cpu']);
    const withLocal = fakePackage({ local: true });
    assert.deepEqual(order(variants.resolveAddon(withLocal, { env: {}, driver })), ['local', 'cuda', 'cpu']);
  });

  test('TORCH_NODE_VARIANT allows one only, and rejects what it does not know', () => {
    const pkg = fakePackage({ local: true });
    for (const v of ['cpu', 'cuda', 'local']) {
      assert.deepEqual(order(variants.resolveAddon(pkg, { env: { TORCH_NODE_VARIANT: v }, driver: noDriver })), [v]);
    }
    assert.throws(
      () => variants.resolveAddon(pkg, { env: { TORCH_NODE_VARIANT: 'gpu' } }),
      /TORCH_NODE_VARIANT=gpu is not one of auto, local, cpu, cuda/,
    );
  });

  test('a prebuilt addon without its libtorch is passed over, saying what it needs and where it looked', () => {
    const pkg = fakePackage({ cudaLibtorch: false });
    const r = variants.resolveAddon(pkg, { env: {}, driver });
    assert.deepEqual(order(r), ['cpu']);
    const note = r.notes.find((n) => n.startsWith('cuda:'));
    assert.match(note ?? '', /needs a CUDA build of torch 2\.14\.1; none was found/);
    assert.match(note ?? '', /libtorch-cuda\/torch: does not exist/);
  });

  test('LIBTORCH is used when it fits, and said not to fit otherwise', () => {
    const pkg = fakePackage({ cpuLibtorch: false, cudaLibtorch: false });
    const mine = fakeLibtorch(join(scratch, 'mine-cuda'), '2.14.1+cu128', '12.8');
    const r = variants.resolveAddon(pkg, { env: { LIBTORCH: mine }, driver: noDriver });
    assert.deepEqual(order(r), ['cuda']);
    assert.equal(r.candidates[0]!.libtorch!.root, mine);
    assert.equal(r.candidates[0]!.libtorch!.source, 'LIBTORCH');
    assert.ok(r.notes.some((n) => n.includes(`LIBTORCH ${mine} is torch 2.14.1+cu128 (CUDA 12.8)`)));

    const other = fakeLibtorch(join(scratch, 'other-cpu'), '2.12.0');
    const r2 = variants.resolveAddon(pkg, { env: { LIBTORCH: other }, driver: noDriver });
    assert.deepEqual(order(r2), []);
    assert.ok(r2.notes.some((n) => n.includes(`LIBTORCH ${other} is torch 2.12.0 (CPU)`)));
  });

  test('the libtorch recorded at install is used, relative to the package or absolute', () => {
    const pkg = fakePackage({ cpuLibtorch: false, cudaLibtorch: false });
    const cuda = fakeLibtorch(join(scratch, 'recorded-cuda'), '2.14.1+cu130', '13.0');
    fakeLibtorch(join(pkg, 'vendor', 'lt'), '2.13.0');
    write(
      join(pkg, 'libtorch.json'),
      JSON.stringify({
        cuda: { root: cuda, source: "python3's torch" },
        cpu: { root: 'vendor/lt', source: 'LIBTORCH' },
      }),
    );
    const r = variants.resolveAddon(pkg, { env: {}, driver });
    assert.deepEqual(order(r), ['cuda', 'cpu']);
    assert.equal(r.candidates[0]!.libtorch!.root, cuda);
    assert.equal(r.candidates[1]!.libtorch!.root, join(pkg, 'vendor', 'lt'));
  });

  test('prebuilt addons for another platform are not candidates', () => {
    const pkg = join(scratch, `pkg${count++}`);
    fakePrebuild(pkg, 'cpu', '2.13.0', 'darwin');
    fakeLibtorch(join(pkg, 'libtorch'), '2.13.0');
    const r = variants.resolveAddon(pkg, { env: {}, driver: noDriver });
    assert.deepEqual(order(r), []);
    assert.ok(
      r.notes.some((n) => n.includes(`is for darwin-${process.arch}, not ${process.platform}-${process.arch}`)),
    );
  });
});

test('cudaDriver answers from files, with a reason', () => {
  const d = variants.cudaDriver();
  assert.equal(typeof d.present, 'boolean');
  assert.ok(d.detail.length > 0);
});

describe('the install step', () => {
  // scripts/ copied into a fake package: install.mjs decides and records, and never gets to a
  // build, since a prebuilt addon fits in each case.
  function installIn(pkg: string, env: Record<string, string>) {
    cpSync(join(root, 'scripts'), join(pkg, 'scripts'), { recursive: true });
    const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'install.mjs')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', ...env },
      cwd: pkg,
    });
    return { status: r.status, out: r.stdout + r.stderr };
  }

  test('records the libtorch that LIBTORCH names for the prebuilt addon it fits', () => {
    const pkg = fakePackage({ cpuLibtorch: false, cudaLibtorch: false });
    const mine = fakeLibtorch(join(scratch, 'install-cpu'), '2.13.0');
    const r = installIn(pkg, { LIBTORCH: mine });
    assert.equal(r.status, 0, r.out);
    assert.match(
      r.out,
      /using the prebuilt cpu addon \(prebuilds\/.*-cpu-torch2\.13\.0\) with libtorch 2\.13\.0 \(CPU\)/,
    );
    assert.deepEqual(JSON.parse(readFileSync(join(pkg, 'libtorch.json'), 'utf8')).cpu, {
      root: mine,
      source: 'LIBTORCH',
      version: '2.13.0',
    });
  });

  test('TORCH_NODE_VARIANT=cuda with a CPU LIBTORCH fails, saying what it needs', () => {
    const pkg = fakePackage({ cpuLibtorch: false, cudaLibtorch: false });
    const mine = fakeLibtorch(join(scratch, 'install-cpu2'), '2.13.0');
    const r = installIn(pkg, { LIBTORCH: mine, TORCH_NODE_VARIANT: 'cuda' });
    assert.equal(r.status, 1, r.out);
    assert.match(
      r.out,
      /TORCH_NODE_VARIANT=cuda needs a CUDA build of torch 2\.14\.1, but LIBTORCH is libtorch 2\.13\.0 \(CPU\)/,
    );
  });

  test('the CUDA addon takes the CUDA libtorch in the package folder when asked', () => {
    const pkg = fakePackage({ cpuLibtorch: false });
    const r = installIn(pkg, { TORCH_NODE_VARIANT: 'cuda' });
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /using the prebuilt cuda addon .* with libtorch 2\.14\.1\+cu130 \(CUDA 13\.0\)/);
    assert.equal(
      JSON.parse(readFileSync(join(pkg, 'libtorch.json'), 'utf8')).cuda.root,
      join('libtorch-cuda', 'torch'),
    );
  });
});
