// torch.save here against Python torch 2.13's torch.save, byte for byte: for each object, both
// sides save the same object under the same file name, and the test compares data.pkl exactly
// and then the whole archive except the 40 random digits of `.data/serialization_id` (and that
// record's CRC, in its data descriptor and central entry), the only field Python makes at random
// (its zip has no times: miniz writes zeros). Python then loads our file with
// torch.load(weights_only=True) and compares it with its own object, types included.
//
// "The same object": Python builds it the natural way (a module's and an optimizer's state
// dicts, literals for the rest), with the tensors' values copied from ours where they are not
// exact by construction; all-tensor dicts are OrderedDicts there, as save() writes them (see the
// header of lib/torch/serialization/pt.ts).
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { ZipReader } from '../../lib/torch/serialization/zip.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const skip = skipWithoutPython();
const dir = mkdtempSync(join(tmpdir(), 'torch-node-pickle-bytes-'));
mkdirSync(join(dir, 'js'));
mkdirSync(join(dir, 'py'));
after(() => rmSync(dir, { recursive: true, force: true }));

const { nn, optim } = torch;

class Net extends nn.Module {
  conv = new nn.Conv2d(1, 2, 3);
  bn = new nn.BatchNorm2d(2);
  fc = new nn.Linear(8, 3);
  forward(x: torch.Tensor): torch.Tensor {
    return this.fc.forward(this.bn.forward(this.conv.forward(x)).flatten(1));
  }
}

const PY = `
import collections, math, warnings
warnings.simplefilter('ignore')
import torch.nn as nn
d, case = INPUT['dir'], INPUT['case']
ours, theirs = f'{d}/js/{case}.pt', f'{d}/py/{case}.pt'
OD = collections.OrderedDict

class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv = nn.Conv2d(1, 2, 3)
        s.bn = nn.BatchNorm2d(2)
        s.fc = nn.Linear(8, 3)
    def forward(s, x):
        return s.fc(s.bn(s.conv(x)).flatten(1))

def model():
    m = Net()
    m.load_state_dict(torch.load(ours, weights_only=True))
    return m.state_dict()

def model_plain():
    sd = model()
    del sd._metadata
    return sd

def adam():
    # Python's own Adam, two steps, then our state's values copied into its state.
    m = Net()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    for _ in range(2):
        opt.zero_grad(); m(torch.ones(2, 1, 4, 4)).sum().backward(); opt.step()
    sd = opt.state_dict()
    js = torch.load(ours, weights_only=True)
    for k, s in sd['state'].items():
        for n, t in s.items():
            t.copy_(js['state'][k][n])
    return sd

def nested():
    t1 = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    t2 = torch.tensor([1.5, -2.0])
    shared = [1, 2]
    ints = [0, 255, 256, 65535, 65536, -1, 2**31 - 1, 2**31, -2**31, -2**31 - 1, 2**53 - 1, 2**63, -2**70]
    floats = [0.5, -0.0, 1e300, math.inf, -math.inf, math.nan, 1e-8, 0.1]
    return {
        'a': [t1, [t2, t1]],
        'b': {'c': t1, 'ints': ints, 'floats': floats, 'flags': [True, False, None], 'one': [t2], 'e': shared, 'f': shared},
        'empty': {'list': [], 'dict': {}},
        'long': list(range(1001)),
        'many': {f'k{i}': i for i in range(1001)},
        'tensors': OD((f'w{i}', t2) for i in range(1001)),
        'state': {0: {'x': 1}, 12: [t2]},
    }

def views():
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    return OD([('base', base), ('row', base[1]), ('col', base[:, 2]), ('t', base.t()),
               ('mid', base.narrow(1, 1, 2)), ('flat', base.reshape(12))])

def dtypes():
    c = torch.complex(torch.tensor([1.0, 2.0]), torch.tensor([-1.0, 0.5]))
    return {'bf': torch.tensor([1.5, -2.0, 0.25], dtype=torch.bfloat16), 'b': torch.tensor([True, False, True]),
            'i8': torch.tensor([-128, 0, 127], dtype=torch.int8), 'c': c, 'cc': c.conj(), 'cc2': c.conj(),
            'i64': torch.tensor(7), 'label': 'dtypes'}

def sparse():
    s = torch.sparse_coo_tensor(torch.tensor([[0, 1, 1], [2, 0, 2]]), torch.tensor([3.0, 4.0, 5.0]), (2, 3))
    return {'s': s, 'sc': s.coalesce(), 'n': 1}

def strings():
    return [{'name': 'a', 'kind': 'x', 'tags': ['x', 'y']}, {'name': 'b', 'kind': 'x', 'tags': ['y']}, 'kind', 'x',
            {'raw': bytes([1, 2, 255]), 'one': bytes([7]), 'one2': bytes([7]), 's': {1, 2, 3}, 'cpu': 'cpu'}]

obj = globals()[case]()
torch.save(obj, theirs)

def diff(a, b, at):
    """Where Python's loading of our file (a) differs from Python's object (b)."""
    if type(a) is not type(b):
        return [f'{at}: {type(a).__name__} vs {type(b).__name__}']
    if isinstance(a, torch.Tensor):
        if a.layout != b.layout or a.dtype != b.dtype or a.shape != b.shape:
            return [f'{at}: {a.layout} {a.dtype} {tuple(a.shape)} vs {b.layout} {b.dtype} {tuple(b.shape)}']
        if a.layout == torch.strided and (a.stride() != b.stride() or a.storage_offset() != b.storage_offset()):
            return [f'{at}: stride/offset {a.stride()} {a.storage_offset()} vs {b.stride()} {b.storage_offset()}']
        if a.is_conj() != b.is_conj():
            return [f'{at}: conj bit']
        ad, bd = (a.to_dense(), b.to_dense()) if a.is_sparse else (a, b)
        return [] if torch.equal(ad.resolve_conj(), bd.resolve_conj()) else [f'{at}: values']
    if isinstance(a, dict):
        if list(a.keys()) != list(b.keys()):
            return [f'{at}: keys']
        return [x for k in a for x in diff(a[k], b[k], f'{at}.{k}')]
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return [f'{at}: length']
        return [x for i, (u, v) in enumerate(zip(a, b)) for x in diff(u, v, f'{at}[{i}]')]
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return []
    return [] if a == b else [f'{at}: {a!r} vs {b!r}']

OUTPUT = diff(torch.load(ours, weights_only=True), obj, case)
`;

/** The bytes of `name`'s records, read with our own zip reader. */
function records(path: string): Map<string, Buffer> {
  const fd = openSync(path, 'r');
  try {
    const zip = new ZipReader(fd);
    return new Map(zip.names.map((n) => [n, Buffer.from(zip.read(n))]));
  } finally {
    closeSync(fd);
  }
}

/** A copy of a checkpoint with its serialization id and that record's CRCs zeroed. */
function maskSerializationId(file: Buffer, record: string): Buffer {
  const out = Buffer.from(file);
  const name = Buffer.from(record, 'utf8');
  const local = out.indexOf(name) - 30;
  assert.ok(local >= 0 && out.readUInt32LE(local) === 0x04034b50, `${record}: no local header`);
  const data = local + 30 + out.readUInt16LE(local + 26) + out.readUInt16LE(local + 28);
  out.fill(0, data, data + 40);
  assert.equal(out.readUInt32LE(data + 40), 0x08074b50, `${record}: no data descriptor`);
  out.fill(0, data + 44, data + 48);
  const central = out.indexOf(name, data) - 46;
  assert.equal(out.readUInt32LE(central), 0x02014b50, `${record}: no central entry`);
  out.fill(0, central + 16, central + 20);
  return out;
}

function firstDifference(a: Buffer, b: Buffer): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const around = (x: Buffer): string => x.subarray(Math.max(0, i - 8), i + 16).toString('hex');
  return `first difference at byte ${i} of ${a.length} (ours) / ${b.length} (Python): ${around(a)} vs ${around(b)}`;
}

/** Saves `obj` here, has Python save its own, and compares the two files. */
function compareWithPython(name: string, obj: unknown): void {
  const ours = join(dir, 'js', `${name}.pt`);
  const theirs = join(dir, 'py', `${name}.pt`);
  torch.save(obj, ours);
  const loadDiffs = runPython<string[]>(PY, { dir, case: name });
  assert.deepEqual(loadDiffs, [], 'Python loads our file as its own object');
  const a = records(ours);
  const b = records(theirs);
  assert.deepEqual([...a.keys()], [...b.keys()], 'the same records in the same order');
  const pkl = `${name}/data.pkl`;
  const pa = a.get(pkl) as Buffer;
  const pb = b.get(pkl) as Buffer;
  assert.ok(pa.equals(pb), `data.pkl: ${firstDifference(pa, pb)}`);
  const id = `${name}/.data/serialization_id`;
  for (const r of [a, b]) assert.match((r.get(id) as Buffer).toString('latin1'), /^\d{40}$/);
  const fa = maskSerializationId(readFileSync(ours), id);
  const fb = maskSerializationId(readFileSync(theirs), id);
  assert.ok(fa.equals(fb), `the archive: ${firstDifference(fa, fb)}`);
}

describe("torch.save's bytes against Python torch 2.13's", { skip }, () => {
  test("a model's state dict (Conv2d, BatchNorm2d with num_batches_tracked, Linear), with its _metadata and without", () => {
    torch.scope(() => {
      const m = new Net();
      m.forward(torch.randn([2, 1, 4, 4])); // training mode: the running stats and the count move
      const sd = m.stateDict() as Record<string, torch.Tensor>;
      assert.equal(sd['bn.num_batches_tracked']?.dtype, 'int64');
      // As Module.state_dict() leaves it in Python: each module's version, BatchNorm's being 2.
      const metadata = { '': { version: 1 }, conv: { version: 1 }, bn: { version: 2 }, fc: { version: 1 } };
      assert.deepEqual((sd as { _metadata?: unknown })._metadata, metadata);
      assert.deepEqual(Object.keys(sd), Object.keys({ ...sd }), '_metadata is not enumerable');
      compareWithPython('model', sd);
      compareWithPython('model_plain', { ...sd }); // a spread leaves _metadata out
    });
  });

  test('an Adam state dict after two steps (param_groups with floats, a betas tuple, bools, None)', () => {
    torch.scope(() => {
      const m = new Net();
      const opt = new optim.Adam(m.parameters(), { lr: 1e-3 });
      for (let i = 0; i < 2; i++) {
        opt.zeroGrad();
        m.forward(torch.ones([2, 1, 4, 4]))
          .sum()
          .backward();
        opt.step();
      }
      compareWithPython('adam', opt.stateDict());
    });
  });

  test('nested dicts and lists, every int and float opcode, shared objects, batches past 1000', () => {
    torch.scope(() => {
      const t1 = torch.arange(6, { dtype: 'float32' }).reshape([2, 3]);
      const t2 = torch.tensor([1.5, -2]);
      const shared = [1, 2];
      const ints = [0, 255, 256, 65535, 65536, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53 - 1];
      const tensors: Record<string, torch.Tensor> = {};
      for (let i = 0; i < 1001; i++) tensors[`w${i}`] = t2;
      const many: Record<string, number> = {};
      for (let i = 0; i < 1001; i++) many[`k${i}`] = i;
      compareWithPython('nested', {
        a: [t1, [t2, t1]],
        b: {
          c: t1,
          ints: [...ints, 2n ** 63n, -(2n ** 70n)],
          floats: [0.5, -0, 1e300, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 1e-8, 0.1],
          flags: [true, false, null],
          one: [t2],
          e: shared,
          f: shared,
        },
        empty: { list: [], dict: {} },
        long: Array.from({ length: 1001 }, (_, i) => i),
        many,
        tensors,
        state: { 0: { x: 1 }, 12: [t2] },
      });
    });
  });

  test('views sharing one storage', () => {
    torch.scope(() => {
      const base = torch.arange(12, { dtype: 'float32' }).reshape([3, 4]);
      compareWithPython('views', {
        base,
        row: base.select(0, 1),
        col: base.select(1, 2),
        t: base.t(),
        mid: base.narrow(1, 1, 2),
        flat: base.reshape([12]),
      });
    });
  });

  test('bfloat16, bool, int8, complex64 (and two conj views of it), int64 tensors', () => {
    torch.scope(() => {
      const c = torch.complex(torch.tensor([1, 2], { dtype: 'float32' }), torch.tensor([-1, 0.5]));
      compareWithPython('dtypes', {
        bf: torch.tensor([1.5, -2, 0.25], { dtype: 'bfloat16' }),
        b: torch.tensor([true, false, true]),
        i8: torch.tensor([-128, 0, 127], { dtype: 'int8' }),
        c,
        cc: c.conj(),
        cc2: c.conj(), // a second conj view: its metadata key is a new string again
        i64: torch.tensor(7, { dtype: 'int64' }),
        label: 'dtypes',
      });
    });
  });

  test('a sparse COO tensor, uncoalesced and coalesced', () => {
    torch.scope(() => {
      const s = torch.sparseCooTensor(
        torch.tensor(
          [
            [0, 1, 1],
            [2, 0, 2],
          ],
          { dtype: 'int64' },
        ),
        torch.tensor([3, 4, 5], { dtype: 'float32' }),
        [2, 3],
      );
      compareWithPython('sparse', { s, sc: s.coalesce(), n: 1 });
    });
  });

  test('strings repeated as keys and values, bytes, a set', () => {
    compareWithPython('strings', [
      { name: 'a', kind: 'x', tags: ['x', 'y'] },
      { name: 'b', kind: 'x', tags: ['y'] },
      'kind',
      'x',
      {
        raw: Uint8Array.from([1, 2, 255]),
        one: Uint8Array.from([7]),
        one2: Uint8Array.from([7]),
        s: new Set([1, 2, 3]),
        cpu: 'cpu',
      },
    ]);
  });
});
