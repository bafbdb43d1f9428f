// Which native addon torch-node loads, and against which libtorch. lib/binding.ts loads what
// this chooses; scripts/install.mjs uses the same answers to decide whether to fetch libtorch or
// build. Nothing here loads a library: it reads files only, so it is cheap and safe to call.
//
// The addons, in the order `TORCH_NODE_VARIANT=auto` (the default) tries them:
//   local  build/Release/torch_node.node, built on this machine (`npm install` from a clone,
//          `npm run build:native`); it finds its libtorch through the RUNPATH it was built with.
//   cuda   prebuilds/<platform>-<arch>-cuda<X.Y>-torch<version>/, first when a CUDA driver is
//          present; it needs a CUDA build of exactly that torch version.
//   cpu    prebuilds/<platform>-<arch>-cpu-torch<version>/; it needs a CPU build of exactly that
//          torch version.
//   cuda   again, last, without a driver: its CPU code paths work anywhere.
// TORCH_NODE_VARIANT=local|cpu|cuda allows that one only.
//
// A prebuilt addon's libtorch is, in this order: the folder LIBTORCH names (when it is the
// version the addon needs), the one the install step recorded in libtorch.json, or the
// package's own folder (libtorch/ for cpu, libtorch-cuda/torch/ for cuda). The loader loads
// that libtorch's libraries by their full path before the addon, which then binds to them by
// soname; its RUNPATH points at the package's own folder, as a fallback.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const ADDON = 'torch_node.node';
const MANIFEST = 'manifest.json';
/** Where the install step records the libtorch each prebuilt variant uses. */
const RECORD = 'libtorch.json';
/** The package's own libtorch folder of each prebuilt variant (what its RUNPATH points at). */
const PACKAGE_LIBTORCH = { cpu: 'libtorch', cuda: path.join('libtorch-cuda', 'torch') };
const VARIANT_CHOICES = ['auto', 'local', 'cpu', 'cuda'];

function exists(file) {
  try {
    fs.statSync(file);
    return true;
  } catch {
    return false;
  }
}

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function readJson(file) {
  const text = readText(file);
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** "2.14.1+cu130" -> "2.14.1" */
function baseVersion(version) {
  return String(version).split('+')[0];
}

/**
 * The version and CUDA-ness of a libtorch folder (lib/, include/: an unpacked libtorch, or the
 * `torch` folder of a pip install); null when it is not one.
 *   version      the full version ("2.14.1+cu130") where the folder says it (build-version,
 *                version.py), else the header's ("2.14.1")
 *   torch        the version without its local tag ("2.14.1")
 *   cuda         whether it is a CUDA build (lib/libtorch_cuda.so)
 *   cudaVersion  "13.0", when known
 */
function describeLibtorch(dir) {
  if (
    !dir ||
    !exists(path.join(dir, 'lib', 'libtorch_cpu.so')) ||
    !exists(path.join(dir, 'include', 'ATen', 'ATen.h'))
  ) {
    return null;
  }
  const headers = [
    path.join(dir, 'include', 'torch', 'headeronly', 'version.h'),
    path.join(dir, 'include', 'torch', 'csrc', 'api', 'include', 'torch', 'version.h'),
  ];
  const header = headers.map(readText).find((t) => t !== null) ?? '';
  const headerVersion = /TORCH_VERSION\s*\\?\s*"([^"]+)"/.exec(header)?.[1];
  // libtorch zips carry build-version; pip's torch (and what our install step unpacks) version.py.
  const versionPy = readText(path.join(dir, 'version.py')) ?? '';
  const full =
    readText(path.join(dir, 'build-version'))?.trim() ||
    /^__version__\s*=\s*['"]([^'"]+)['"]/m.exec(versionPy)?.[1] ||
    headerVersion ||
    'unknown';
  const cuda = exists(path.join(dir, 'lib', 'libtorch_cuda.so'));
  let cudaVersion = null;
  if (cuda) {
    cudaVersion = /^cuda\s*(?::[^=]*)?=\s*['"]([^'"]+)['"]/m.exec(versionPy)?.[1] ?? null;
    const tag = /\+cu(\d+)(\d)$/.exec(full);
    if (!cudaVersion && tag) cudaVersion = `${tag[1]}.${tag[2]}`;
  }
  const version = headerVersion && baseVersion(full) !== headerVersion ? headerVersion : full;
  return { version, torch: baseVersion(version), cuda, cudaVersion };
}

/** "torch 2.14.1+cu130 (CUDA 13.0)" */
function describeVersion(info) {
  if (!info.cuda) return `torch ${info.version} (CPU)`;
  return `torch ${info.version} (CUDA${info.cudaVersion ? ` ${info.cudaVersion}` : ''})`;
}

const LIBCUDA_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/usr/local/nvidia/lib64',
  '/usr/local/nvidia/lib',
  '/usr/lib/wsl/lib',
  '/run/opengl-driver/lib',
];

/**
 * Whether an NVIDIA driver looks usable, from files alone: a device node (or the driver's /proc
 * entry, or WSL's /dev/dxg) and the driver's user-space library libcuda.so.1 where the dynamic
 * loader finds it. Nothing is loaded: libtorch loads libcuda itself, later, when it is asked.
 */
function cudaDriver() {
  if (process.platform !== 'linux') return { present: false, detail: `no CUDA prebuilt addon on ${process.platform}` };
  const device = ['/dev/nvidiactl', '/proc/driver/nvidia/version', '/dev/dxg'].find(exists);
  if (!device)
    return { present: false, detail: 'no NVIDIA device is visible: no /dev/nvidiactl, no /proc/driver/nvidia' };
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LIBCUDA_DIRS];
  let lib = dirs.map((d) => path.join(d, 'libcuda.so.1')).find(exists);
  if (!lib) {
    let cache = null;
    try {
      cache = fs.readFileSync('/etc/ld.so.cache');
    } catch {}
    if (cache?.includes('libcuda.so.1')) lib = 'libcuda.so.1 (ld.so.cache)';
  }
  if (!lib) return { present: false, detail: `${device} exists but the driver library libcuda.so.1 was not found` };
  return { present: true, detail: `${device}, ${lib}` };
}

function isMusl() {
  return process.platform === 'linux' && exists('/etc/alpine-release');
}

/**
 * The prebuilt addons in <packageRoot>/prebuilds, each folder described by its manifest.json:
 * {variant, platform, arch, libc, torch, libtorch, cuda, file}. `usable` holds those for this
 * platform; `notes` says why the others are not.
 */
function listPrebuilds(packageRoot, platform = process.platform, arch = process.arch) {
  const dir = path.join(packageRoot, 'prebuilds');
  const all = [];
  const notes = [];
  let names = [];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {}
  for (const name of names) {
    const manifestFile = path.join(dir, name, MANIFEST);
    if (!exists(manifestFile)) continue;
    const m = readJson(manifestFile);
    if (
      !m ||
      (m.variant !== 'cpu' && m.variant !== 'cuda') ||
      typeof m.torch !== 'string' ||
      typeof m.file !== 'string'
    ) {
      notes.push(`prebuilds: ${name}/${MANIFEST} is unreadable`);
      continue;
    }
    const file = path.join(dir, name, m.file);
    const entry = { ...m, dir: path.join(dir, name), name, file };
    if (m.platform !== platform || m.arch !== arch) {
      notes.push(`${m.variant}: prebuilds/${name} is for ${m.platform}-${m.arch}, not ${platform}-${arch}`);
    } else if (m.libc === 'glibc' && isMusl()) {
      notes.push(`${m.variant}: prebuilds/${name} is built for glibc, this system uses musl`);
    } else if (!exists(file)) {
      notes.push(`${m.variant}: prebuilds/${name}/${m.file} is missing`);
    } else {
      all.push(entry);
    }
  }
  return { usable: all, notes };
}

/** What the prebuilt addon needs, in words: "a CUDA build of torch 2.14.1". */
function needs(prebuild) {
  return `a ${prebuild.variant === 'cuda' ? 'CUDA' : 'CPU'} build of torch ${prebuild.torch}`;
}

/** Whether a described libtorch fits a prebuilt addon: the same torch version, CPU or CUDA alike. */
function fits(prebuild, info) {
  return info.torch === prebuild.torch && info.cuda === (prebuild.variant === 'cuda');
}

/** The libtorch folders recorded by the install step, keyed by variant. */
function readRecord(packageRoot) {
  const rec = readJson(path.join(packageRoot, RECORD));
  return rec && typeof rec === 'object' ? rec : {};
}

function resolveRoot(packageRoot, p) {
  return path.isAbsolute(p) ? p : path.join(packageRoot, p);
}

/**
 * The libtorch a prebuilt addon would use: {root, source, info}, or null with `why` filled in.
 */
function libtorchFor(packageRoot, prebuild, env, why) {
  const places = [];
  if (env.LIBTORCH) places.push({ root: env.LIBTORCH, source: 'LIBTORCH' });
  const recorded = readRecord(packageRoot)[prebuild.variant];
  if (recorded && typeof recorded.root === 'string') {
    const how = recorded.source ? ` (${recorded.source} at install)` : '';
    places.push({ root: resolveRoot(packageRoot, recorded.root), source: `${RECORD}${how}` });
  }
  places.push({ root: path.join(packageRoot, PACKAGE_LIBTORCH[prebuild.variant]), source: 'the package folder' });
  const seen = new Set();
  for (const place of places) {
    const key = path.resolve(place.root);
    if (seen.has(key)) continue;
    seen.add(key);
    const info = describeLibtorch(place.root);
    if (!info) {
      why.push(`${place.source} ${place.root}: ${exists(place.root) ? 'holds no libtorch' : 'does not exist'}`);
    } else if (!fits(prebuild, info)) {
      why.push(`${place.source} ${place.root} is ${describeVersion(info)}`);
    } else {
      return { root: place.root, source: place.source, info };
    }
  }
  return null;
}

/**
 * The addons to try, best first, for this machine and environment:
 *   {requested, driver, candidates: [{kind: 'local'|'prebuilt', variant, file, libtorch?, prebuild?}],
 *    notes: [why each addon that is not a candidate was passed over]}
 * Throws on a TORCH_NODE_VARIANT it does not know.
 */
function resolveAddon(packageRoot, options = {}) {
  const env = options.env ?? process.env;
  const requested = (env.TORCH_NODE_VARIANT || 'auto').trim().toLowerCase();
  if (!VARIANT_CHOICES.includes(requested)) {
    throw new Error(`TORCH_NODE_VARIANT=${env.TORCH_NODE_VARIANT} is not one of ${VARIANT_CHOICES.join(', ')}`);
  }
  const driver = options.driver ?? cudaDriver();
  const notes = [];

  const localFile = path.join(packageRoot, 'build', 'Release', ADDON);
  let local = null;
  if (exists(localFile)) {
    const built = readJson(path.join(packageRoot, 'build', 'libtorch.json'));
    local = {
      kind: 'local',
      variant: 'local',
      file: localFile,
      libtorch: built?.root
        ? { root: built.root, source: 'build/libtorch.json', info: describeLibtorch(built.root) }
        : null,
    };
  } else {
    notes.push('local: no build/Release/torch_node.node');
  }

  const { usable, notes: prebuildNotes } = listPrebuilds(packageRoot, options.platform, options.arch);
  notes.push(...prebuildNotes);
  const byVariant = { cpu: [], cuda: [] };
  for (const variant of ['cpu', 'cuda']) {
    const ofVariant = usable.filter((p) => p.variant === variant);
    if (ofVariant.length === 0)
      notes.push(`${variant}: no prebuilt ${variant} addon for ${process.platform}-${process.arch}`);
    for (const prebuild of ofVariant) {
      const why = [];
      const libtorch = libtorchFor(packageRoot, prebuild, env, why);
      if (libtorch) {
        byVariant[variant].push({ kind: 'prebuilt', variant, file: prebuild.file, libtorch, prebuild });
      } else {
        notes.push(
          `${variant}: prebuilds/${prebuild.name} needs ${needs(prebuild)}; none was found (${why.join('; ')})`,
        );
      }
    }
  }

  let order;
  if (requested === 'local') order = [local];
  else if (requested === 'cpu') order = byVariant.cpu;
  else if (requested === 'cuda') order = byVariant.cuda;
  else if (driver.present) order = [local, ...byVariant.cuda, ...byVariant.cpu];
  else order = [local, ...byVariant.cpu, ...byVariant.cuda];
  // Notes about addons that TORCH_NODE_VARIANT rules out anyway would only distract.
  const relevant = requested === 'auto' ? notes : notes.filter((n) => n.startsWith(`${requested}:`));
  return { requested, driver, candidates: order.filter(Boolean), notes: relevant };
}

/** The folder holding the libc10.so this process has already loaded, if any (Linux). */
function loadedLibtorchLib() {
  const maps = readText('/proc/self/maps');
  const m = maps && /\s(\/\S*)\/libc10\.so$/m.exec(maps);
  return m ? m[1] : null;
}

function realLib(root) {
  try {
    return fs.realpathSync(path.join(root, 'lib'));
  } catch {
    return path.resolve(root, 'lib');
  }
}

/**
 * Why a candidate cannot be loaded into this process because another libtorch is loaded
 * already (two libtorch versions in one process would bind to each other's symbols); null when
 * it can.
 */
function libtorchConflict(candidate) {
  const loaded = loadedLibtorchLib();
  if (!loaded || !candidate.libtorch) return null;
  const wanted = realLib(candidate.libtorch.root);
  return loaded === wanted ? null : `a libtorch from ${loaded} is already loaded in this process, not ${wanted}`;
}

/** The libtorch libraries to load by full path before a prebuilt addon, dependencies first. */
function libtorchLibraries(candidate) {
  const lib = realLib(candidate.libtorch.root);
  // libtorch.so needs the rest (libtorch_cuda.so too in a CUDA build): one dlopen maps them all
  // or, when one is missing, none.
  return [path.join(lib, 'libtorch.so')];
}

/** One line about a candidate: "the prebuilt cuda addon (torch 2.14.1+cu130 at /x, from LIBTORCH)". */
function describeCandidate(candidate) {
  if (candidate.kind === 'local') {
    const lt = candidate.libtorch;
    return `the local build ${candidate.file}${lt?.info ? ` (${describeVersion(lt.info)} at ${lt.root})` : ''}`;
  }
  const lt = candidate.libtorch;
  return `the prebuilt ${candidate.variant} addon (${describeVersion(lt.info)} at ${lt.root}, from ${lt.source})`;
}

module.exports = {
  ADDON,
  MANIFEST,
  RECORD,
  PACKAGE_LIBTORCH,
  baseVersion,
  cudaDriver,
  describeCandidate,
  describeLibtorch,
  describeVersion,
  fits,
  libtorchConflict,
  libtorchFor,
  libtorchLibraries,
  listPrebuilds,
  needs,
  readRecord,
  resolveAddon,
};
