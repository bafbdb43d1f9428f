// Complex tensors in checkpoints: torch.save/torch.load (ComplexFloatStorage, ComplexDoubleStorage)
// and safetensors (C64) round trips here, and both ways with Python torch: a file Python wrote
// loads here with the same values, dtypes, conjugate and negative views (x.conj(), x.conj().imag,
// kept as PyTorch keeps them: the storage as it lies, the bit in the tensor's metadata) and shared
// storages; a file written here loads in Python with torch.load(weights_only=True) the same way.
// safetensors files are byte-identical to safetensors.torch.save_file's, but for a conj view (the
// reference writes the memory it views, this side the values). The Python parts are skipped,
// saying why, without Python torch (and the safetensors package).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { native } from '../../lib/binding.js';
import { $_neg_view } from '../../lib/generated/impl.js';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython, skipWithoutPythonPackage } from '../support/python.js';

const dir = mkdtempSync(join(tmpdir(), 'torch-node-complex-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Pairs = number[][];

/** A tensor's values as they read: [re, im] pairs for complex, numbers for real. */
function values(t: torch.Tensor): unknown {
  return torch.isComplex(t) ? torch.viewAsReal(t.resolveConj()).toArray() : t.resolveNeg().toArray();
}

/** The same complex128 [3, 2] tensor on both sides, from its (real, imaginary) pairs. */
const PAIRS = [1.5, -2, 0.1, 3e-8, -7, 0, 2 ** 40, -0.25, Math.PI, -Math.E, 1e300, -1e-300];
const pyBase = `torch.view_as_complex(torch.tensor(${JSON.stringify(PAIRS)}, dtype=torch.float64).reshape(3, 2, 2))`;
const jsBase = (): torch.Tensor => torch.viewAsComplex(torch.tensor(PAIRS, { dtype: 'float64' }).reshape([3, 2, 2]));

/** What Python says of each tensor of a loaded dict. */
const PY_DESCRIBE = `
def describe(d):
    out = {}
    for k, t in d.items():
        v = torch.view_as_real(t.detach().resolve_conj()) if t.is_complex() else t.detach().resolve_neg()
        out[k] = {'dtype': str(t.dtype).replace('torch.', ''), 'shape': list(t.shape), 'conj': t.is_conj(),
                  'neg': t.is_neg(), 'rg': t.requires_grad, 'values': v.tolist(),
                  'ptr': t.untyped_storage().data_ptr(), 'param': isinstance(t, torch.nn.Parameter)}
    return out
`;

interface Described {
  dtype: string;
  shape: number[];
  conj: boolean;
  neg: boolean;
  rg: boolean;
  values: unknown;
  ptr: number;
  param: boolean;
}

const storageKey = (t: torch.Tensor): string => native.storageInfo(t._h).key;

describe('complex tensors in torch.save files, within torch-node', () => {
  test('complex64 and complex128, views with offsets and strides, conj and neg views round-trip', () => {
    const x = jsBase();
    const saved = {
      c128: x,
      c64: x.to('complex64'),
      conj: x.conj(),
      negimag: x.conj().imag,
      row: x.select(0, 1),
      col: x.select(1, 1),
      empty: torch.zeros([0, 2], { dtype: 'complex64' }),
      scalar: torch.complex(torch.tensor(1, { dtype: 'float64' }), torch.tensor(-2, { dtype: 'float64' })),
      both: $_neg_view(x.conj()),
    };
    const path = join(dir, 'roundtrip.pt');
    torch.save(saved, path);
    const loaded = torch.load(path) as Record<string, torch.Tensor>;
    for (const [k, t] of Object.entries(saved)) {
      const u = loaded[k] as torch.Tensor;
      assert.equal(u.dtype, t.dtype, k);
      assert.deepEqual(u.shape, t.shape, k);
      assert.deepEqual(values(u), values(t), `${k}: values`);
      // A float64 view of a complex128 storage saved beside it is written as a copy of its
      // values (PyTorch refuses to save the two together); the others keep their layout and bits.
      if (k === 'negimag') continue;
      assert.deepEqual(u.stride(), t.stride(), `${k}: strides`);
      assert.equal(u.isConj(), t.isConj(), `${k}: conjugate bit`);
      assert.equal(u.isNeg(), t.isNeg(), `${k}: negative bit`);
    }
    // One storage, as in the file: writes through one are seen through the others.
    const { c128, conj, row, both } = loaded as Record<string, torch.Tensor>;
    assert.equal(storageKey(conj!), storageKey(c128!));
    assert.equal(storageKey(both!), storageKey(c128!));
    c128!.real.fill_(4);
    assert.deepEqual(conj!.real.toArray(), [
      [4, 4],
      [4, 4],
      [4, 4],
    ]);
    assert.deepEqual(torch.viewAsReal(row!).select(-1, 0).toArray(), [4, 4]);
    assert.deepEqual(both!.real.toArray(), [
      [-4, -4],
      [-4, -4],
      [-4, -4],
    ]);
  });

  test('a negative view saved alone keeps its layout and bit', () => {
    const x = jsBase();
    const negimag = x.conj().imag;
    const path = join(dir, 'negimag.pt');
    torch.save({ negimag }, path);
    const u = (torch.load(path) as Record<string, torch.Tensor>).negimag as torch.Tensor;
    assert.equal(u.isNeg(), true);
    assert.deepEqual(u.stride(), negimag.stride());
    assert.deepEqual(u.toArray(), negimag.toArray());
  });

  test('safetensors: complex64 round-trips as C64; complex128 has no safetensors dtype', () => {
    const x = jsBase().to('complex64');
    const path = join(dir, 'c.safetensors');
    torch.saveSafetensors({ x, xc: x.conj(), f: torch.ones([2]) }, path);
    const loaded = torch.loadSafetensors(path);
    assert.equal(loaded.x?.dtype, 'complex64');
    assert.deepEqual(values(loaded.x!), values(x));
    // A conj view is written with its values.
    assert.deepEqual(values(loaded.xc!), values(x.conj()));
    assert.equal(loaded.xc?.isConj(), false);
    const header = readFileSync(path)
      .subarray(8, 8 + Number(readFileSync(path).readBigUInt64LE(0)))
      .toString();
    assert.match(header, /"x":\{"dtype":"C64","shape":\[3,2\]/);
    assert.throws(
      () => torch.saveSafetensors({ z: jsBase() }, join(dir, 'c128.safetensors')),
      /saveSafetensors: 'z' is complex128, which the safetensors format has no dtype for/,
    );
  });

  test('safetensors: a C128 entry is an unknown dtype, as in the reference', () => {
    const json = Buffer.from('{"a":{"dtype":"C128","shape":[1],"data_offsets":[0,16]}}');
    const padded = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(padded.length));
    const path = join(dir, 'c128-header.safetensors');
    writeFileSync(path, Buffer.concat([len, padded, Buffer.alloc(16)]));
    assert.throws(() => torch.loadSafetensors(path), /unknown dtype C128/);
  });
});

describe('complex tensors in torch.save files, with Python', { skip: skipWithoutPython() }, () => {
  test('a file Python saved loads here: values, dtypes, conj and neg views, shared storage, Parameters', () => {
    const path = join(dir, 'from-python.pt');
    const expected = runPython<Record<string, Described>>(
      `${PY_DESCRIBE}
x = ${pyBase}
d = {'c128': x, 'c64': x.to(torch.complex64), 'conj': x.conj(), 'row': x[1],
     'both': torch._neg_view(x.conj()), 'param': torch.nn.Parameter(x.to(torch.complex64).conj()),
     'fft': torch.fft.rfft(torch.arange(6.))}
torch.save(d, INPUT[0])
# A float64 view of a complex128 storage cannot be saved beside it (PyTorch refuses): alone.
n = {'negimag': x.conj().imag}
torch.save(n, INPUT[1])
OUTPUT = {**describe(d), **describe(n)}`,
      [path, `${path}.neg`],
    );
    const loaded = {
      ...(torch.load(path) as Record<string, torch.Tensor>),
      ...(torch.load(`${path}.neg`) as Record<string, torch.Tensor>),
    };
    assert.deepEqual(Object.keys(loaded), Object.keys(expected));
    for (const [k, e] of Object.entries(expected)) {
      const t = loaded[k] as torch.Tensor;
      assert.equal(t.dtype, e.dtype, `${k}: dtype`);
      assert.deepEqual(t.shape, e.shape, `${k}: shape`);
      assert.equal(t.isConj(), e.conj, `${k}: conjugate bit`);
      assert.equal(t.isNeg(), e.neg, `${k}: negative bit`);
      assert.equal(t.requiresGrad, e.rg, `${k}: requires_grad`);
      assert.deepEqual(values(t), e.values, `${k}: values`);
    }
    for (const k of ['c128', 'conj', 'row', 'both']) {
      assert.equal(expected[k]?.ptr === expected.c128?.ptr, true);
      assert.equal(storageKey(loaded[k]!), storageKey(loaded.c128!), `${k} shares c128's storage`);
    }
  });

  test('a file saved here loads in Python (weights_only=True) the same way', () => {
    const path = join(dir, 'to-python.pt');
    const x = jsBase();
    const saved = {
      c128: x,
      c64: x.to('complex64'),
      conj: x.conj(),
      negimag: x.conj().imag,
      row: x.select(0, 1),
      both: $_neg_view(x.conj()),
      vecdotConj: torch.linalg.vecdot(x, x).conj(),
      param: new torch.nn.Parameter(x.to('complex64')),
      fft: torch.fft.rfft(torch.arange(6, { dtype: 'float32' })),
    };
    torch.save(saved, path);
    // The negative view alone too: beside c128 it is written as a copy of its values.
    torch.save({ negimag: saved.negimag }, `${path}.neg`);
    const got = runPython<Record<string, Described>>(
      `${PY_DESCRIBE}
OUTPUT = describe(torch.load(INPUT, weights_only=True))
OUTPUT['negimag alone'] = describe(torch.load(INPUT + '.neg', weights_only=True))['negimag']`,
      path,
    );
    assert.deepEqual(Object.keys(got), [...Object.keys(saved), 'negimag alone']);
    for (const [k, t] of [...Object.entries(saved), ['negimag alone', saved.negimag] as const]) {
      const g = got[k] as Described;
      assert.equal(g.dtype, t.dtype, `${k}: dtype`);
      assert.deepEqual(g.shape, t.shape, `${k}: shape`);
      assert.equal(g.conj, t.isConj(), `${k}: conjugate bit`);
      assert.equal(g.neg, k === 'negimag' ? false : t.isNeg(), `${k}: negative bit`);
      assert.equal(g.rg, t.requiresGrad, `${k}: requires_grad`);
      assert.deepEqual(g.values, values(t), `${k}: values`);
    }
    for (const k of ['conj', 'row', 'both']) assert.equal(got[k]?.ptr, got.c128?.ptr, `${k} shares c128's storage`);
  });

  test("a big-endian file's complex elements are swapped part by part", () => {
    const little = join(dir, 'little.pt');
    const big = join(dir, 'big.pt');
    // Python writes the file, then a copy that says 'big' with every float byte-swapped.
    const expected = runPython<Pairs>(
      `
import zipfile, array
x = ${pyBase}
torch.save({'c64': x.to(torch.complex64), 'c128': x}, INPUT[0])
src = zipfile.ZipFile(INPUT[0])
dst = zipfile.ZipFile(INPUT[1], 'w', zipfile.ZIP_STORED)
for info in src.infolist():
    data = src.read(info.filename)
    if info.filename.endswith('byteorder'):
        data = b'big'
    elif '/data/' in info.filename and not info.filename.endswith('serialization_id'):
        a = array.array('f' if info.filename.endswith('/0') else 'd', data)
        a.byteswap()
        data = a.tobytes()
    dst.writestr(info.filename, data)
dst.close()
d = torch.load(INPUT[1])
OUTPUT = [torch.view_as_real(d['c64']).tolist(), torch.view_as_real(d['c128']).tolist()]`,
      [little, big],
    );
    const loaded = torch.load(big) as Record<string, torch.Tensor>;
    assert.deepEqual(values(loaded.c64!), expected[0]);
    assert.deepEqual(values(loaded.c128!), expected[1]);
  });
});

describe('complex tensors in safetensors files, with Python', { skip: skipWithoutPythonPackage('safetensors') }, () => {
  test('files written here are byte-identical to save_file and load there; save_file files load here', () => {
    const ours = join(dir, 'ours.safetensors');
    const theirs = join(dir, 'theirs.safetensors');
    const x = jsBase().to('complex64');
    torch.saveSafetensors({ z: x, a: torch.ones([2], { dtype: 'float64' }), b: torch.ones([3]) }, ours);
    const got = runPython<{ same: boolean; z: Pairs; conj: Pairs }>(
      `
from safetensors.torch import save_file, load_file
x = ${pyBase}.to(torch.complex64)
save_file({'z': x, 'a': torch.ones(2, dtype=torch.float64), 'b': torch.ones(3), 'c': x.conj().resolve_conj()}, INPUT[1])
mine = {'z': x, 'a': torch.ones(2, dtype=torch.float64), 'b': torch.ones(3)}
save_file(mine, INPUT[1] + '.cmp')
OUTPUT = {'same': open(INPUT[0], 'rb').read() == open(INPUT[1] + '.cmp', 'rb').read(),
          'z': torch.view_as_real(load_file(INPUT[0])['z']).tolist(),
          'conj': torch.view_as_real(x.conj().resolve_conj()).tolist()}`,
      [ours, theirs],
    );
    assert.equal(got.same, true, 'byte-identical to safetensors.torch.save_file');
    assert.deepEqual(got.z, values(x));
    const loaded = torch.loadSafetensors(theirs);
    assert.equal(loaded.z?.dtype, 'complex64');
    assert.deepEqual(values(loaded.z!), values(x));
    assert.deepEqual(values(loaded.c!), got.conj);
  });
});
