// torch.load puts each storage back on the location its file records, as PyTorch's does, and
// mapLocation (a device, a record of locations, a function of the location) changes that. Files
// recording a GPU are made here on the CPU: by our writer told to record another location, and
// by Python's torch.save with its location tagger replaced.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import type { MapLocation } from '../../lib/torch/serialization/index.js';
import { saveTesting } from '../../lib/torch/serialization/pt.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const dir = mkdtempSync(join(tmpdir(), 'torch-node-load-loc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** PyTorch's own words for a CUDA location on a machine without CUDA. */
const NO_CUDA =
  'Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. ' +
  'If you are running on a CPU-only machine, please use torch.load with ' +
  "map_location=torch.device('cpu') to map your storages to the CPU.";

const noCudaHere = torch.cuda.isAvailable() ? 'CUDA is available here, so a cuda:0 location loads' : false;

/** Saves `obj` with each tensor's storage recorded at `where(t)` ('cpu' where it returns undefined). */
function saveAt(obj: unknown, name: string, where: (t: torch.Tensor) => string | undefined): string {
  const path = join(dir, name);
  saveTesting.location = where;
  try {
    torch.save(obj, path);
  } finally {
    saveTesting.location = undefined;
  }
  return path;
}

/** a: [0, 1, 2] recorded at 'cuda:0'; b: [[1, 2], [3, 4]] and its transpose bt over one storage at 'cpu'. */
function mixedFile(name: string): { path: string; a: torch.Tensor; b: torch.Tensor } {
  const a = torch.tensor([0, 1, 2]);
  const b = torch.tensor([
    [1, 2],
    [3, 4],
  ]);
  const path = saveAt({ a, b, bt: b.t() }, name, (t) => (t.shape.length === 1 ? 'cuda:0' : undefined));
  return { path, a, b };
}

/** Asserts an Error (not a TypeError) from load naming the file, with every pattern. */
function loadFails(fn: () => unknown, path: string, ...patterns: (RegExp | string)[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error && e.constructor === Error, `an Error, got ${String(e)}`);
    assert.ok(e.message.startsWith(`load: '${path}'`), `names load and the file: ${e.message}`);
    for (const p of patterns) {
      if (typeof p === 'string') assert.ok(e.message.includes(p), `'${p}' in: ${e.message}`);
      else assert.match(e.message, p);
    }
    return true;
  });
}

describe('torch.load restores recorded locations', () => {
  test('a CPU-saved file loads to the CPU without mapLocation', () => {
    torch.scope(() => {
      const path = join(dir, 'cpu.pt');
      torch.save({ w: torch.tensor([1.5, -2]), n: torch.arange(3) }, path);
      const back = torch.load(path) as Record<string, torch.Tensor>;
      assert.equal(back.w?.device, 'cpu');
      assert.equal(back.n?.device, 'cpu');
      assert.deepEqual(back.w?.toArray(), [1.5, -2]);
      assert.deepEqual(back.n?.toArray(), [0, 1, 2]);
    });
  });

  test("a storage recorded at 'cuda:0' is an Error without CUDA, in PyTorch's words", { skip: noCudaHere }, () => {
    const { path } = mixedFile('cuda0.pt');
    loadFails(() => torch.load(path), path, "recorded location 'cuda:0'", NO_CUDA);
    // A mapLocation naming CUDA fails the same way (PyTorch checks the mapped location too).
    loadFails(() => torch.load(path, { mapLocation: 'cuda' }), path, "location 'cuda' (mapped from 'cuda:0')", NO_CUDA);
  });

  test("mapLocation 'cpu', {'cuda:0': 'cpu'} and a function load a cuda:0 file to the CPU", () => {
    torch.scope(() => {
      const { path, a, b } = mixedFile('to_cpu.pt');
      const seen: string[] = [];
      const fn = (location: string) => {
        seen.push(location);
        return location === 'cuda:0' ? 'cpu' : undefined;
      };
      for (const [how, mapLocation] of [
        ["'cpu'", 'cpu'],
        ["{'cuda:0': 'cpu'}", { 'cuda:0': 'cpu' }],
        ['a function', fn],
      ] as const) {
        const back = torch.load(path, { mapLocation }) as Record<string, torch.Tensor>;
        for (const k of ['a', 'b', 'bt']) assert.equal(back[k]?.device, 'cpu', `${how}: ${k} device`);
        assert.deepEqual(back.a?.toArray(), a.toArray(), `${how}: a`);
        assert.deepEqual(back.bt?.toArray(), b.t().toArray(), `${how}: bt`);
        // b and bt still share their storage.
        back.b?.fill_(7);
        assert.deepEqual(back.bt?.toArray(), [
          [7, 7],
          [7, 7],
        ]);
      }
      // Called once per storage, with the recorded location (b and bt share one storage).
      assert.deepEqual(seen, ['cuda:0', 'cpu']);
    });
  });

  test('a record leaves unlisted locations where they were recorded', () => {
    torch.scope(() => {
      const { path } = mixedFile('record.pt');
      // 'cpu' is listed (to meta), 'cuda:0' too (to the CPU): both move.
      const moved = torch.load(path, { mapLocation: { cpu: 'meta', 'cuda:0': 'cpu' } }) as Record<string, torch.Tensor>;
      assert.deepEqual([moved.a?.device, moved.b?.device, moved.bt?.device], ['cpu', 'meta', 'meta']);
      assert.deepEqual(moved.bt?.shape, [2, 2]);
      // Only 'cuda:0' listed: the CPU storage stays on the CPU.
      const kept = torch.load(path, { mapLocation: { 'cuda:0': 'meta' } }) as Record<string, torch.Tensor>;
      assert.deepEqual([kept.a?.device, kept.b?.device], ['meta', 'cpu']);
      assert.deepEqual(kept.b?.toArray(), [
        [1, 2],
        [3, 4],
      ]);
    });
  });

  test("a record or function that leaves 'cuda:0' unmapped fails without CUDA", { skip: noCudaHere }, () => {
    const { path } = mixedFile('unmapped.pt');
    loadFails(
      () => torch.load(path, { mapLocation: { 'cuda:1': 'cpu' } }),
      path,
      "recorded location 'cuda:0'",
      NO_CUDA,
    );
    loadFails(() => torch.load(path, { mapLocation: () => undefined }), path, "recorded location 'cuda:0'", NO_CUDA);
  });

  test('unknown and unsupported locations, and bad mapLocations, are clear errors', () => {
    const path = saveAt({ x: torch.ones([2]) }, 'tpu.pt', () => 'tpu:0');
    loadFails(() => torch.load(path), path, "don't know how to restore data location of a storage tagged with 'tpu:0'");
    assert.deepEqual(
      (torch.load(path, { mapLocation: { 'tpu:0': 'cpu' } }) as { x: torch.Tensor }).x.toArray(),
      [1, 1],
    );
    loadFails(() => torch.load(path, { mapLocation: 'mps' }), path, 'MPS device, which torch-node does not support');
    // Kinds are checked before the file is opened: the file here does not exist.
    const missing = join(dir, 'missing.pt');
    for (const bad of [3, ['cpu'], { 'cuda:0': 0 }]) {
      assert.throws(
        () => torch.load(missing, { mapLocation: bad as unknown as torch.Device }),
        (e: unknown) => e instanceof TypeError && /^load: mapLocation/.test(e.message),
        JSON.stringify(bad),
      );
    }
    assert.throws(
      () => torch.load(path, { mapLocation: () => 1 as unknown as torch.Device }),
      /^TypeError: load: '.*': the mapLocation function must return a device string or undefined, got 1 for 'tpu:0'$/,
    );
  });
});

describe('against Python torch.load', { skip: skipWithoutPython() }, () => {
  test('a file Python saved with cuda:0 and cpu storages: same error, same devices and values', () => {
    torch.scope(() => {
      const path = join(dir, 'python_cuda.pt');
      const py = runPython<{ error: string; maps: Record<string, Record<string, { device: string; value: unknown }>> }>(
        `
import torch, torch.serialization as s
tag = s.location_tag
s.location_tag = lambda st: 'cuda:0' if st.nbytes() == 12 else 'cpu'
try:
    torch.save({'a': torch.tensor([0., 1., 2.]), 'b': torch.tensor([[1, 2], [3, 4]])}, INPUT)
finally:
    s.location_tag = tag
try:
    torch.load(INPUT)
    error = ''
except RuntimeError as e:
    error = str(e)
def show(d):
    return {k: {'device': str(v.device), 'value': v.tolist() if v.device.type != 'meta' else None} for k, v in d.items()}
OUTPUT = {'error': error, 'maps': {
    'cpu': show(torch.load(INPUT, map_location='cpu')),
    'record': show(torch.load(INPUT, map_location={'cuda:0': 'cpu', 'cpu': 'meta'})),
    'function': show(torch.load(INPUT, map_location=lambda st, loc: st if loc == 'cuda:0' else None)),
}}
`,
        path,
      );
      if (!torch.cuda.isAvailable()) {
        assert.equal(py.error, NO_CUDA);
        loadFails(() => torch.load(path), path, py.error);
      }
      const ours: Record<string, MapLocation> = {
        cpu: 'cpu',
        record: { 'cuda:0': 'cpu', cpu: 'meta' },
        function: (loc: string) => (loc === 'cuda:0' ? 'cpu' : undefined),
      };
      for (const [how, want] of Object.entries(py.maps)) {
        const back = torch.load(path, { mapLocation: ours[how] }) as Record<string, torch.Tensor>;
        for (const [k, v] of Object.entries(want)) {
          const t = back[k] as torch.Tensor;
          assert.equal(t.device, v.device, `${how}: ${k} device`);
          assert.deepEqual(t.device === 'meta' ? null : t.toArray(), v.value, `${how}: ${k} value`);
        }
      }
    });
  });
});
