// Sparse tensors (COO, CSR, CSC, BSR, BSC) in torch.save files, both ways with Python torch:
//   - files written here load in Python with torch.load(weights_only=True) with the same layout,
//     components, size and coalesced flag; their pickle has the structure Python's torch.save
//     gives the same object, and their storage records Python's bytes;
//   - files Python writes load here as sparse tensors of the same layout, and go back;
//   - a file holding a sparse tensor that breaks its invariants (an index out of range, unsorted
//     compressed indices, a false coalesced flag, float compressed indices) is an Error here, as in
//     Python when it checks invariants;
//   - saving keeps the user's tensors alive and stays atomic; safetensors refuses sparse tensors.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const skip = skipWithoutPython();
const dir = mkdtempSync(join(tmpdir(), 'torch-node-ser-sparse-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A sparse tensor as both sides describe it: components in PyTorch's order, as nested arrays. */
interface SparseDesc {
  type?: string;
  layout: string;
  size: number[];
  dtype: string;
  rg: boolean;
  coalesced: boolean | null;
  parts: { dtype: string; values: unknown }[];
}

function describeSparse(t: torch.Tensor): SparseDesc {
  return torch.scope(() => {
    const layout = t.layout;
    const rowMajor = layout === 'sparse_csr' || layout === 'sparse_bsr';
    const parts =
      layout === 'sparse_coo'
        ? [t._indices(), t._values()]
        : rowMajor
          ? [t.crowIndices(), t.colIndices(), t.values()]
          : [t.ccolIndices(), t.rowIndices(), t.values()];
    return {
      layout,
      size: t.shape,
      dtype: t.dtype,
      rg: t.requiresGrad,
      coalesced: layout === 'sparse_coo' ? t.isCoalesced() : null,
      parts: parts.map((p) => ({ dtype: p.dtype, values: p.detach().toArray() })),
    };
  });
}

const PY_SPARSE = `
import io, pickle, warnings, zipfile
warnings.simplefilter('ignore')
def S(t):
    if t.layout == torch.sparse_coo:
        parts = [t._indices(), t._values()]
    elif t.layout in (torch.sparse_csr, torch.sparse_bsr):
        parts = [t.crow_indices(), t.col_indices(), t.values()]
    else:
        parts = [t.ccol_indices(), t.row_indices(), t.values()]
    return {'type': type(t).__name__, 'layout': str(t.layout)[6:], 'size': list(t.shape), 'dtype': str(t.dtype)[6:],
            'rg': t.requires_grad, 'coalesced': t.is_coalesced() if t.layout == torch.sparse_coo else None,
            'parts': [{'dtype': str(p.dtype)[6:], 'values': p.detach().tolist()} for p in parts]}
`;

/** The JavaScript side's sparse tensors, one of each kind the format has. */
function oursSparse(): Record<string, torch.Tensor> {
  const i = [
    [0, 1, 1, 0],
    [2, 0, 2, 2],
  ];
  return {
    // Uncoalesced (index (0, 2) twice, unsorted): saved as is, with is_coalesced False.
    coo: torch.sparseCooTensor(i, [0.5, -1.25, 3, 4], [2, 3]),
    cooCoalesced: torch.sparseCooTensor(i, [0.5, -1.25, 3, 4], [2, 3]).coalesce(),
    // Hybrid: one sparse and one dense dim, float64.
    hybrid: torch.sparseCooTensor(
      [[0, 3]],
      [
        [1, 2],
        [3, 4],
      ],
      [5, 2],
      { dtype: 'float64' },
    ),
    empty: torch.sparseCooTensor(torch.zeros([2, 0], { dtype: 'int64' }), torch.zeros([0]), [4, 4]),
    csr: torch
      .tensor(
        [
          [1, 0, 2],
          [0, 0, 3],
          [4, 0, 0],
        ],
        { dtype: 'float32' },
      )
      .toSparse({ layout: 'sparse_csr' }),
    // int32 compressed indices, and a batch dim.
    csr32: torch.sparseCsrTensor(
      torch.tensor([0, 1, 3], { dtype: 'int32' }),
      torch.tensor([1, 0, 1], { dtype: 'int32' }),
      [7, 8, 9],
      [2, 2],
      { dtype: 'int16' },
    ),
    batched: torch
      .tensor([
        [
          [1, 0],
          [0, 2],
        ],
        [
          [0, 3],
          [4, 0],
        ],
      ])
      .toSparse({ layout: 'sparse_csr' }),
    csc: torch
      .tensor(
        [
          [1, 0, 2],
          [0, 0, 3],
        ],
        { dtype: 'float64' },
      )
      .toSparse({ layout: 'sparse_csc' }),
    bsr: torch
      .tensor([
        [1, 2, 0, 0],
        [3, 4, 0, 0],
        [0, 0, 5, 6],
        [0, 0, 7, 8],
      ])
      .toSparse({ layout: 'sparse_bsr', blocksize: [2, 2] }),
    bsc: torch
      .tensor([
        [0, 0, 1],
        [0, 0, 2],
        [3, 0, 0],
        [4, 0, 0],
      ])
      .toSparse({ layout: 'sparse_bsc', blocksize: [2, 1] }),
    // A sparse tensor that requires grad: written as Python writes a sparse nn.Parameter.
    param: torch.sparseCooTensor([[0, 2]], [1.5, -2], [3], { requiresGrad: true }),
  };
}

describe('sparse tensors in torch.save files', { skip }, () => {
  test('files written here load in Python (weights_only=True) with equal layout, components and flags', () => {
    const s = oursSparse();
    const values = torch.tensor([1, 2, 3], { dtype: 'float32' });
    const aliased = torch.sparseCooTensor([[0, 1, 3]], values, [4]);
    const p = join(dir, 'ours.pt');
    // Bare, in a state dict (an OrderedDict), in a list, in a nested dict, twice (one object in
    // Python), and beside a dense tensor whose storage it shares (one storage in Python).
    torch.save(s.coo, join(dir, 'bare.pt'));
    torch.save(
      { state: s, list: [s.csr, 1, s.csr], nested: { deep: { bsc: s.bsc } }, values, aliased, layoutName: 'x' },
      p,
    );
    const r = runPython<Any>(
      `${PY_SPARSE}
bare = torch.load(INPUT['dir'] + '/bare.pt', weights_only=True)
o = torch.load(INPUT['dir'] + '/ours.pt', weights_only=True)
OUTPUT = {'bare': S(bare), 'stateType': type(o['state']).__name__,
          'state': {k: S(v) for k, v in o['state'].items()},
          'list': [S(o['list'][0]), o['list'][1], o['list'][0] is o['list'][2]],
          'nested': S(o['nested']['deep']['bsc']),
          'sharesValues': o['aliased']._values().data_ptr() == o['values'].data_ptr(),
          'dense': [x.to_dense().tolist() for x in (o['state']['coo'], o['state']['bsr'], o['state']['csr32'])]}`,
      { dir },
    );
    assert.deepEqual(r.bare, { ...describeSparse(s.coo), type: 'Tensor' });
    assert.equal(r.stateType, 'OrderedDict');
    for (const [k, t] of Object.entries(s)) {
      const want = { ...describeSparse(t), type: k === 'param' ? 'Parameter' : 'Tensor' };
      assert.deepEqual(r.state[k], want, k);
    }
    assert.equal(r.state.coo.coalesced, false, 'an uncoalesced tensor stays uncoalesced');
    assert.equal(r.state.cooCoalesced.coalesced, true);
    assert.equal(r.state.csr32.parts[0].dtype, 'int32');
    assert.deepEqual(r.list[0], { ...describeSparse(s.csr as torch.Tensor), type: 'Tensor' });
    assert.deepEqual(r.list.slice(1), [1, true], 'the same sparse tensor twice is one object in Python');
    assert.deepEqual(r.nested, { ...describeSparse(s.bsc as torch.Tensor), type: 'Tensor' });
    assert.equal(r.sharesValues, true);
    // The duplicate entry of (0, 2) adds up when densified: 0.5 + 4.
    assert.deepEqual(r.dense[0], [
      [0, 0, 4.5],
      [-1.25, 0, 3],
    ]);
    assert.deepEqual(r.dense[1], [
      [1, 2, 0, 0],
      [3, 4, 0, 0],
      [0, 0, 5, 6],
      [0, 0, 7, 8],
    ]);
    assert.deepEqual(r.dense[2], [
      [0, 7],
      [8, 9],
    ]);
    // Saving left the user's tensors whole (the components made for the pickle were freed).
    assert.deepEqual(s.coo?.toDense().toArray(), r.dense[0]);
    assert.equal(aliased.isDisposed, false);
  });

  test("the pickle has Python's structure and the storage records Python's bytes", () => {
    // Both sides build the same tensors from the same components (with the constructors, so
    // that every component has a storage of its own, as Python's torch.tensor gives) and save
    // them; both data.pkl are unpickled with every global replaced by its name, and the trees
    // must be equal.
    const s = oursSparse();
    const descs = [s.coo, s.cooCoalesced, s.hybrid, s.csr32, s.batched, s.csc, s.bsr, s.bsc, s.param].map((t) =>
      describeSparse(t as torch.Tensor),
    );
    const list = descs.map((d) => {
      const parts = d.parts.map((p) => torch.tensor(p.values as number[], { dtype: p.dtype as torch.DType }));
      const [a, b, c] = parts as [torch.Tensor, torch.Tensor, torch.Tensor];
      return d.layout === 'sparse_coo'
        ? torch.sparseCooTensor(a, b, d.size, { isCoalesced: d.coalesced ?? undefined, requiresGrad: d.rg })
        : torch.sparseCompressedTensor(a, b, c, d.size, { layout: d.layout as torch.Layout, requiresGrad: d.rg });
    });
    list.push(list[0] as torch.Tensor);
    torch.save(list, join(dir, 'structure.pt'));
    const r = runPython<Any>(
      `${PY_SPARSE}
def make(d):
    parts = [torch.tensor(p['values'], dtype=getattr(torch, p['dtype'])) for p in d['parts']]
    lay = getattr(torch, d['layout'])
    if lay == torch.sparse_coo:
        t = torch.sparse_coo_tensor(parts[0], parts[1], d['size'], is_coalesced=d['coalesced'])
    else:
        t = torch.sparse_compressed_tensor(*parts, d['size'], layout=lay)
    return torch.nn.Parameter(t) if d['rg'] else t
objs = [make(d) for d in INPUT['descs']]
objs.append(objs[0])
torch.save(objs, INPUT['dir'] + '/python.pt')
class G:
    def __init__(self, path): self.path = path
    def __call__(self, *args): return ('call', self.path, args)
    def __repr__(self): return self.path
class U(pickle.Unpickler):
    def find_class(self, module, name): return G(module + '.' + name)
    def persistent_load(self, pid): return ('storage',) + tuple(repr(x) for x in pid)
def tree(path):
    z = zipfile.ZipFile(path)
    name = [n for n in z.namelist() if n.endswith('/data.pkl')][0]
    prefix = name[:-len('data.pkl')]
    data = {n[len(prefix):]: z.read(n) for n in z.namelist() if n[len(prefix):].startswith('data/')}
    return repr(U(io.BytesIO(z.read(name))).load()), data, z.read(name)
ours, ourData, ourPkl = tree(INPUT['dir'] + '/structure.pt')
theirs, theirData, theirPkl = tree(INPUT['dir'] + '/python.pt')
OUTPUT = {'same': ours == theirs, 'ours': ours, 'theirs': theirs,
          'records': sorted(ourData) == sorted(theirData), 'n': len(ourData),
          'bytes': all(ourData[k] == theirData.get(k) for k in ourData),
          'pklIdentical': ourPkl == theirPkl}`,
      { dir, descs },
    );
    assert.equal(r.ours, r.theirs);
    assert.equal(r.same, true);
    // 9 distinct sparse tensors: 2 storages each (COO) or 3 (compressed).
    assert.equal(r.n, 2 * 4 + 3 * 5);
    assert.equal(r.records, true);
    assert.equal(r.bytes, true, 'every storage record holds the bytes Python writes');
    // data.pkl is Python's byte for byte, memo included (see pickle_bytes.test.ts).
    assert.equal(r.pklIdentical, true);
  });

  test('files Python writes load here as sparse tensors of the same layout, and go back', () => {
    const r = runPython<Any>(
      `${PY_SPARSE}
class Raw:
    def __init__(self, layout, data): self.layout, self.data = layout, data
    def __reduce__(self): return (torch._utils._rebuild_sparse_tensor, (self.layout, self.data))
class Legacy:
    """A COO tensor pickled in the older 3-item form (no is_coalesced)."""
    def __reduce__(self):
        return (torch._utils._rebuild_sparse_tensor,
                (torch.sparse_coo, (torch.tensor([[1, 0]]), torch.tensor([2.5, -1.0]), torch.Size([3]))))
d = torch.tensor([[0., 1.5, 0, 0], [2, 0, 0, -3], [0, 0, 0, 0], [0, 4, 5, 0]])
i = torch.tensor([[2, 0, 2], [1, 1, 1]])
objs = {
    'coo': torch.sparse_coo_tensor(i, torch.tensor([1., 2., 3.]), (3, 2)),
    'coalesced': d.to_sparse(),
    'hybrid': torch.sparse_coo_tensor(torch.tensor([[0, 2]]), torch.tensor([[1, 2], [3, 4]], dtype=torch.int32), (3, 2)),
    'csr': d.to_sparse_csr(),
    'csr32': torch.sparse_csr_tensor(torch.tensor([0, 2, 2], dtype=torch.int32), torch.tensor([0, 3], dtype=torch.int32),
                                     torch.tensor([1., 2.], dtype=torch.float64), (2, 4)),
    'csc': d.to_sparse_csc(),
    'bsr': d.to_sparse_bsr((2, 2)),
    'bsc': d.to_sparse_bsc((2, 2)),
    'batched': torch.stack([d, -d]).to_sparse_csr(),
    'param': torch.nn.Parameter(d.to_sparse()),
    'frozen': torch.nn.Parameter(d.to_sparse_csr(), requires_grad=False),
    'legacy': Legacy(),
    'floatIndices': Raw(torch.sparse_coo, (torch.tensor([[0., 2.]]), torch.tensor([1., 2.]), torch.Size([3]), False)),
}
torch.save(objs, INPUT + '/python.pt')
# Python's own reading of the crafted ones: float COO indices become int64.
mine = torch.load(INPUT + '/python.pt', weights_only=True)
objs['legacy'], objs['floatIndices'] = mine['legacy'], mine['floatIndices']
OUTPUT = {k: S(v) for k, v in objs.items()}`,
      dir,
    );
    const loaded = torch.load(join(dir, 'python.pt')) as Record<string, torch.Tensor>;
    assert.deepEqual(Object.keys(loaded), Object.keys(r));
    for (const [k, t] of Object.entries(loaded)) {
      const { type, ...want } = r[k] as SparseDesc;
      assert.deepEqual(describeSparse(t), want, k);
    }
    assert.equal(loaded.param?.requiresGrad, true, 'a sparse nn.Parameter loads requiring grad');
    assert.equal(loaded.param?.isLeaf, true);
    assert.equal(loaded.frozen?.requiresGrad, false);
    assert.equal(loaded.legacy?.isCoalesced(), false, 'the 3-item form leaves the flag to the constructor');
    // The loaded tensors work: a sparse-dense product equals the dense one, by hand.
    const x = torch.tensor([[1], [2], [3], [4]], { dtype: 'float32' });
    assert.deepEqual(torch.sparse.mm(loaded.csr as torch.Tensor, x).toArray(), [[3], [-10], [0], [23]]);
    // (2, 1) is given twice: 1 + 3.
    assert.deepEqual(loaded.coo?.toDense().toArray(), [
      [0, 2],
      [0, 0],
      [0, 4],
    ]);

    // Back to Python: saved again here, the file loads equal to Python's originals.
    torch.save(loaded, join(dir, 'again.pt'));
    const back = runPython<Any>(
      `${PY_SPARSE}
a = torch.load(INPUT + '/python.pt', weights_only=True)
b = torch.load(INPUT + '/again.pt', weights_only=True)
def T(t):
    d = S(t); del d['type']; return d
OUTPUT = {k: [T(a[k]) == T(b[k]), type(b[k]).__name__] for k in a}`,
      dir,
    );
    for (const [k, [same, type]] of Object.entries(back as Record<string, [boolean, string]>)) {
      assert.equal(same, true, `${k} round trip`);
      // A Parameter that requires grad stays one; requires_grad=False ones load as tensors here
      // (torch-node has no Parameter type in files), so they come back as tensors.
      assert.equal(type, k === 'param' ? 'Parameter' : 'Tensor', `${k} type`);
    }
  });

  test('a file holding a sparse tensor that breaks its invariants is an Error, as in Python', () => {
    // Python writes them (its writer does not check), and its own torch.load rejects them when it
    // checks invariants (torch.sparse.check_sparse_tensor_invariants; by default it skips the
    // check and warns); torch-node always checks, as its constructors do.
    const r = runPython<Record<string, string | null>>(
      `${PY_SPARSE}
class Raw:
    def __init__(self, layout, data): self.layout, self.data = layout, data
    def __reduce__(self): return (torch._utils._rebuild_sparse_tensor, (self.layout, self.data))
L = lambda *a: torch.tensor(a)
cases = {
    'range': torch.sparse_coo_tensor(L([0, 5]), L(1., 2.), (3,), check_invariants=False),
    'negative': torch.sparse_coo_tensor(L([0, -1]), L(1., 2.), (3,), check_invariants=False),
    'coalescedLie': torch.sparse_coo_tensor(L([1, 1]), L(1., 2.), (3,), is_coalesced=True, check_invariants=False),
    'crow': torch.sparse_csr_tensor(L(0, 2, 1), L(0, 1), L(1., 2.), (2, 2), check_invariants=False),
    'column': torch.sparse_csr_tensor(L(0, 1, 2), L(0, 7), L(1., 2.), (2, 2), check_invariants=False),
    'floatIndices': Raw(torch.sparse_csr, (L(0., 1.), L(0), L(1.), torch.Size([1, 1]))),
    'shortTuple': Raw(torch.sparse_csr, (L(0, 1), L(0), torch.Size([1, 1]))),
    'layout': Raw(torch._mkldnn, (L([0]), L(1.), torch.Size([1]), False)),
}
out = {}
for k, v in cases.items():
    torch.save({'ok': torch.ones(2), 'bad': v}, INPUT + '/' + k + '.pt')
    try:
        with torch.sparse.check_sparse_tensor_invariants():
            torch.load(INPUT + '/' + k + '.pt', weights_only=True)
        out[k] = None
    except Exception as e:
        out[k] = type(e).__name__
OUTPUT = out`,
      dir,
    );
    const expect: Record<string, RegExp> = {
      range: /sparse_coo tensor of size \[3\] is invalid/,
      negative: /sparse_coo tensor of size \[3\] is invalid/,
      coalescedLie: /sparse_coo tensor of size \[3\] is invalid/,
      crow: /sparse_csr tensor of size \[2,2\] is invalid/,
      column: /sparse_csr tensor of size \[2,2\] is invalid/,
      floatIndices: /sparse_csr tensor has indices of dtype float32, where int32 or int64 is needed/,
      shortTuple: /sparse_csr tensor is rebuilt from a tuple of 3 items instead of a tuple of 4/,
      layout: /layout "torch._mkldnn", which torch-node does not know/,
    };
    const before = torch.memory().tensors;
    for (const [k, pattern] of Object.entries(expect)) {
      assert.notEqual(r[k], null, `Python's checking torch.load rejects ${k} too`);
      const p = join(dir, `${k}.pt`);
      assert.throws(
        () => torch.load(p),
        (e: unknown) => e instanceof Error && e.message.startsWith(`load: '${p}' `) && pattern.test(e.message),
        k,
      );
    }
    // The dense tensor beside the bad one and the components made before the error were freed.
    assert.equal(torch.memory().tensors, before);
  });
});

describe('saving sparse tensors: errors and atomicity', () => {
  test('a failure after a sparse tensor was pickled leaves the previous file; the tensor stays usable', () => {
    const p = join(dir, 'atomic.pt');
    torch.save({ version: 1 }, p);
    const before = readFileSync(p);
    const s = torch.sparseCsrTensor([0, 1, 2], [1, 0], [5, 6], [2, 2]);
    const evil = {
      s,
      get later(): number {
        throw new Error('boom after the sparse tensor');
      },
    };
    assert.throws(() => torch.save(evil, p), /boom after the sparse tensor/);
    assert.deepEqual(readFileSync(p), before);
    assert.deepEqual(torch.load(p), { version: 1 });
    assert.deepEqual(s.toDense().toArray(), [
      [0, 5],
      [6, 0],
    ]);
  });

  test('saving and loading leave no tensor behind: the components made on the way are freed', () => {
    const p = join(dir, 'lifetime.pt');
    const s = {
      coo: torch.sparseCooTensor([[0, 2]], [1.5, 2], [3], { requiresGrad: true }),
      bsr: torch.eye(4).toSparse({ layout: 'sparse_bsr', blocksize: [2, 2] }),
    };
    const before = torch.memory().tensors;
    torch.save(s, p);
    assert.equal(torch.memory().tensors, before, 'save: the index and value handles were freed');
    const loaded = torch.load(p) as Record<string, torch.Tensor>;
    assert.equal(torch.memory().tensors, before + 2, 'load: only the two sparse tensors remain');
    for (const t of Object.values(loaded)) t.dispose();
  });

  test('a disposed sparse tensor is an Error naming where it is', () => {
    const s = torch.sparseCooTensor([[0]], [1], [2]);
    s.dispose();
    assert.throws(() => torch.save({ w: s }, join(dir, 'disposed.pt')), /save: the object\.w is a disposed tensor/);
  });

  test('safetensors has no sparse format: saving one is a clear Error', () => {
    const p = join(dir, 'sparse.safetensors');
    const s = torch
      .tensor([
        [1, 0],
        [0, 2],
      ])
      .toSparse({ layout: 'sparse_csr' });
    assert.throws(
      () => torch.saveSafetensors({ dense: torch.ones([2]), w: s }, p),
      /saveSafetensors: 'w' is a sparse_csr tensor, which the safetensors format cannot hold; save x\.toDense\(\)/,
    );
  });
});

// biome-ignore lint/suspicious/noExplicitAny: Python's JSON answers
type Any = any;
