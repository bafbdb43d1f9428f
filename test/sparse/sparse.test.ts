// Sparse tensors against Python torch 2.13 (one Python run for the file): construction of COO
// and compressed tensors, layouts and accessors, conversions both ways, printing (Python's repr,
// character for character), torch.sparse's functions and the dense ops that take sparse input,
// autograd through torch.sparse.mm (a sparse gradient for the sparse operand), and the errors.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { assertClose } from '../optim/support.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const skip = skipWithoutPython();

// A COO matrix with a repeated index ((0, 2) twice), so uncoalesced; a dense matrix to multiply.
const I = [
  [0, 1, 1, 0],
  [2, 0, 2, 2],
];
const V = [3, 4, 5, -1.5];
const SIZE = [2, 3];
const D = [
  [0.5, -1],
  [2, 0.25],
  [-0.75, 1.5],
];
const M = [
  [0, 1.5, 0],
  [2, 0, -3],
  [0, 0, 0.5],
];
const W = [
  [1, -2],
  [0.5, 3],
];

const PY = `
I, V, SIZE, D, M, W = (INPUT[k] for k in ['I', 'V', 'SIZE', 'D', 'M', 'W'])
f64 = torch.float64
s = torch.sparse_coo_tensor(I, V, SIZE, dtype=f64)
c = s.coalesce()
d = torch.tensor(D, dtype=f64)
m = torch.tensor(M, dtype=f64)
csr = m.to_sparse_csr()
csc = m.to_sparse_csc()
hybrid = m.to_sparse(1)
out = {}
out['repr'] = {
  'coo': repr(torch.sparse_coo_tensor(I, V, SIZE)),
  'coalesced': repr(torch.sparse_coo_tensor(I, V, SIZE).coalesce()),
  'f64grad': repr(torch.sparse_coo_tensor([[0, 1]], [1.0, 2.0], dtype=f64, requires_grad=True)),
  'csr': repr(torch.tensor(M).to_sparse_csr()),
  'csc': repr(torch.tensor(M).to_sparse_csc()),
  'hybrid': repr(torch.tensor(M).to_sparse(1)),
  'empty': repr(torch.zeros(2, 2).to_sparse()),
  'int': repr(torch.sparse_coo_tensor([[0, 2]], [7, 8], (4,))),
}
out['meta'] = {
  'layouts': [str(t.layout) for t in (s, c, csr, csc, d)],
  'isCoalesced': [s.is_coalesced(), c.is_coalesced()],
  'dims': [[t.sparse_dim(), t.dense_dim(), t._nnz()] for t in (s, c, hybrid)],
}
out['coalesce'] = {'indices': c.indices(), 'values': c.values(), 'rawIndices': s._indices(), 'dense': s.to_dense()}
out['csr'] = {'crow': csr.crow_indices(), 'col': csr.col_indices(), 'values': csr.values(), 'dense': csr.to_dense()}
out['csc'] = {'ccol': csc.ccol_indices(), 'row': csc.row_indices(), 'values': csc.values()}
out['hybrid'] = {'indices': hybrid.indices(), 'values': hybrid.values()}
ctor = torch.sparse_csr_tensor([0, 1, 3], [1, 0, 2], [1.5, 2.0, -3.0], (2, 3), dtype=f64)
out['ctorCsr'] = ctor.to_dense()
out['bsr'] = m[:2, :2].to_sparse_bsr((1, 2)).values()
out['ops'] = {
  'mm': torch.sparse.mm(s, d),
  'matmul': torch.matmul(s, d),
  'torchMm': torch.mm(s, d),
  'mul2': (s * 2).to_dense(),
  'addSelf': (s + s).to_dense(),
  'addDense': (s.to_dense() + s).tolist(),
  'neg': (-s).to_dense(),
  'sumAll': torch.sparse.sum(s),
  'sumDim1': torch.sparse.sum(s, [1]).to_dense(),
  'sumDim0': torch.sparse.sum(s, 0).to_dense(),
  'softmax': torch.sparse.softmax(s, 1).to_dense(),
  'logSoftmax': torch.sparse.log_softmax(c, 0).to_dense(),
  'addmm': torch.sparse.addmm(torch.tensor(W, dtype=f64), s, d, beta=0.5, alpha=2.0),
  'csrMm': torch.mm(csr, torch.tensor(M, dtype=f64)),
  'spdiags': torch.sparse.spdiags(torch.tensor([[1.0, 2, 3], [4, 5, 6]], dtype=f64), torch.tensor([0, -1]), (3, 3)).to_dense(),
  'spdiagsCsr': str(torch.sparse.spdiags(torch.tensor([[1.0, 2, 3]]), torch.tensor([1]), (3, 3), layout=torch.sparse_csr).layout),
  'sampled': torch.sparse.sampled_addmm(csr, torch.tensor(M, dtype=f64), torch.tensor(M, dtype=f64).t(), beta=0.5, alpha=2.0).to_dense(),
  'mmReduce': torch.sparse.mm(csr, torch.tensor(M, dtype=f64), 'amax'),
}
sg = torch.sparse_coo_tensor(I, V, SIZE, dtype=f64, requires_grad=True)
dg = torch.tensor(D, dtype=f64, requires_grad=True)
y = torch.sparse.mm(sg, dg)
(y * torch.tensor(W, dtype=f64)).sum().backward()
g = sg.grad.coalesce()
out['grad'] = {'layout': str(sg.grad.layout), 'indices': g.indices(), 'values': g.values(), 'dense': dg.grad}
def err(f):
    try:
        f()
    except Exception as e:
        return str(e).split('\\n')[0]
    return None
out['errors'] = {
  'range': err(lambda: torch.sparse_coo_tensor([[0, 5]], [1.0, 2.0], (3,), check_invariants=True)),
  'uncoalesced': err(lambda: s.indices()),
  'csrInvariant': err(lambda: torch.sparse_csr_tensor([0, 2, 1], [0, 1], [1.0, 2.0], (2, 2), check_invariants=True)),
}
torch.save({'s': torch.sparse_coo_tensor([[0, 1]], [1.0, 2.0], (3,))}, INPUT['PT'])
OUTPUT = out
`;

interface PyOut {
  repr: Record<string, string>;
  meta: { layouts: string[]; isCoalesced: boolean[]; dims: number[][] };
  coalesce: Record<string, number[] | number[][]>;
  csr: Record<string, number[] | number[][]>;
  csc: Record<string, number[]>;
  hybrid: Record<string, number[] | number[][]>;
  ctorCsr: number[][];
  bsr: number[][][];
  ops: Record<string, unknown>;
  grad: { layout: string; indices: number[][]; values: number[]; dense: number[][] };
  errors: Record<string, string>;
}

const PT = join(tmpdir(), `torch-node-sparse-py-${process.pid}.pt`);

const f64 = (data: number[] | number[][]) => torch.tensor(data, { dtype: 'float64' });

describe('sparse tensors against Python torch', { skip }, () => {
  let py: PyOut;
  before(() => {
    py = runPython<PyOut>(PY, { I, V, SIZE, D, M, W, PT });
  });
  const coo = () => torch.sparseCooTensor(I, V, SIZE, { dtype: 'float64' });

  test('printing is Python repr', () => {
    const m = torch.tensor(M);
    const got: Record<string, string> = {
      coo: String(torch.sparseCooTensor(I, V, SIZE)),
      coalesced: String(torch.sparseCooTensor(I, V, SIZE).coalesce()),
      f64grad: String(torch.sparseCooTensor([[0, 1]], [1, 2], { dtype: 'float64', requiresGrad: true })),
      csr: String(m.toSparseCsr()),
      csc: String(m.toSparseCsc()),
      hybrid: String(m.toSparse(1)),
      empty: String(torch.zeros([2, 2]).toSparse()),
      int: String(torch.sparseCooTensor([[0, 2]], [7, 8], [4])),
    };
    for (const [k, v] of Object.entries(py.repr)) assert.equal(got[k], v, k);
  });

  test('layouts, coalescing, dims and nnz', () => {
    const s = coo();
    const c = s.coalesce();
    const m = f64(M);
    const csr = m.toSparseCsr();
    assert.deepEqual(
      [s, c, csr, m.toSparseCsc(), f64(D)].map((t) => `torch.${t.layout}`),
      py.meta.layouts,
    );
    assert.deepEqual([s.isCoalesced(), c.isCoalesced()], py.meta.isCoalesced);
    assert.deepEqual(
      [s, c, m.toSparse(1)].map((t) => [t.sparseDim(), t.denseDim(), t._nnz()]),
      py.meta.dims,
    );
    assert.deepEqual([s.isSparse, csr.isSparse, csr.isSparseCsr, m.isSparse], [true, false, true, false]);
    assert.equal(torch.sparseCoo, 'sparse_coo');
    assert.deepEqual(c.indices().toArray(), py.coalesce.indices);
    assertClose(c.values(), py.coalesce.values, 0);
    assert.deepEqual(s._indices().toArray(), py.coalesce.rawIndices);
    assertClose(s.toDense(), py.coalesce.dense, 0);
  });

  test('compressed layouts and conversions', () => {
    const m = f64(M);
    const csr = m.toSparseCsr();
    assert.deepEqual(csr.crowIndices().toArray(), py.csr.crow);
    assert.deepEqual(csr.colIndices().toArray(), py.csr.col);
    assertClose(csr.values(), py.csr.values, 0);
    assertClose(csr.toDense(), py.csr.dense, 0);
    const csc = m.toSparse({ layout: 'sparse_csc' });
    assert.equal(csc.layout, 'sparse_csc');
    assert.deepEqual(csc.ccolIndices().toArray(), py.csc.ccol);
    assert.deepEqual(csc.rowIndices().toArray(), py.csc.row);
    assertClose(csc.values(), py.csc.values, 0);
    const h = m.toSparse(1);
    assert.deepEqual(h.indices().toArray(), py.hybrid.indices);
    assertClose(h.values(), py.hybrid.values, 0);
    const ctor = torch.sparseCsrTensor([0, 1, 3], [1, 0, 2], [1.5, 2, -3], [2, 3], { dtype: 'float64' });
    assert.equal(ctor.layout, 'sparse_csr');
    assertClose(ctor.toDense(), py.ctorCsr, 0);
    assertClose(m.narrow(0, 0, 2).narrow(1, 0, 2).toSparseBsr([1, 2]).values(), py.bsr, 0);
    // back and forth between layouts keeps the values
    assertClose(csr.toSparseCoo().toDense(), py.csr.dense, 0);
    assert.equal(csr.toSparseCoo().layout, 'sparse_coo');
  });

  test('torch.sparse functions and dense ops on sparse input', () => {
    const s = coo();
    const c = s.coalesce();
    const d = f64(D);
    const m = f64(M);
    const csr = m.toSparseCsr();
    const got: Record<string, torch.Tensor | string> = {
      mm: torch.sparse.mm(s, d),
      matmul: torch.matmul(s, d),
      torchMm: torch.mm(s, d),
      mul2: s.mul(2).toDense(),
      addSelf: s.add(s).toDense(),
      addDense: s.toDense().add(s),
      neg: s.neg().toDense(),
      sumAll: torch.sparse.sum(s),
      sumDim1: torch.sparse.sum(s, [1]).toDense(),
      sumDim0: torch.sparse.sum(s, 0).toDense(),
      softmax: torch.sparse.softmax(s, 1).toDense(),
      logSoftmax: torch.sparse.logSoftmax(c, 0).toDense(),
      addmm: torch.sparse.addmm(f64(W), s, d, { beta: 0.5, alpha: 2 }),
      csrMm: torch.mm(csr, m),
      spdiags: torch.sparse
        .spdiags(
          f64([
            [1, 2, 3],
            [4, 5, 6],
          ]),
          torch.tensor([0, -1]),
          [3, 3],
        )
        .toDense(),
      spdiagsCsr: `torch.${torch.sparse.spdiags(torch.tensor([[1, 2, 3]], { dtype: 'float32' }), torch.tensor([1]), [3, 3], { layout: 'sparse_csr' }).layout}`,
      sampled: torch.sparse.sampledAddmm(csr, m, m.t(), { beta: 0.5, alpha: 2 }).toDense(),
      mmReduce: torch.sparse.mm(csr, m, { reduce: 'amax' }),
    };
    for (const [k, v] of Object.entries(py.ops)) {
      if (typeof v === 'string') assert.equal(got[k], v, k);
      else assertClose(got[k], v, 1e-12, k);
    }
  });

  test('autograd through torch.sparse.mm gives a sparse gradient', () => {
    const s = torch.sparseCooTensor(I, V, SIZE, { dtype: 'float64', requiresGrad: true });
    const d = torch.tensor(D, { dtype: 'float64', requiresGrad: true });
    torch.sparse.mm(s, d).mul(f64(W)).sum().backward();
    const g = s.grad as torch.Tensor;
    assert.equal(`torch.${g.layout}`, py.grad.layout);
    const gc = g.coalesce();
    assert.deepEqual(gc.indices().toArray(), py.grad.indices);
    assertClose(gc.values(), py.grad.values, 1e-12);
    assertClose(d.grad, py.grad.dense, 1e-12);
  });

  test("PyTorch's checkpoint of a sparse tensor loads as that sparse tensor", () => {
    // The format both ways is tested in test/serialization/sparse.test.ts.
    try {
      const { s } = torch.load(PT) as { s: torch.Tensor };
      assert.equal(s.layout, 'sparse_coo');
      assert.deepEqual(s.toDense().toArray(), [1, 2, 0]);
    } finally {
      rmSync(PT, { force: true });
    }
  });

  test('errors name the op and the cause', () => {
    assert.throws(
      () => torch.sparseCooTensor([[0, 5]], [1, 2], [3]),
      (e: Error) => e.message === `sparse_coo_tensor: ${py.errors.range}`,
    );
    assert.throws(
      () => coo().indices(),
      (e: Error) => e.message === `indices: ${py.errors.uncoalesced}`,
    );
    // compressed invariants are always checked (an unchecked bad index would crash, not throw)
    assert.throws(
      () => torch.sparseCsrTensor([0, 2, 1], [0, 1], [1, 2], [2, 2]),
      (e: Error) => e.message === `sparse_compressed_tensor: ${py.errors.csrInvariant}`,
    );
  });
});

describe('sparse tensors: JavaScript-side rules', () => {
  test('toArray and toTypedArray ask for toDense()', () => {
    const s = torch.sparseCooTensor([[0, 1]], [1, 2], [3]);
    assert.throws(
      () => s.toArray(),
      /^Error: toArray: a sparse_coo tensor has no nested-array form; call toDense\(\) first/,
    );
    assert.throws(
      () => torch.eye(2).toSparseCsr().toTypedArray(),
      /toTypedArray: a sparse_csr tensor has no flat elements; call toDense\(\) first/,
    );
    assert.deepEqual(s.toDense().toArray(), [1, 2, 0]);
  });

  test('constructors: size optional, options in place of the size, int32 indices converted', () => {
    const s = torch.sparseCooTensor(torch.tensor([[0, 3]], { dtype: 'int32' }), torch.tensor([1, 2]), {
      dtype: 'float64',
    });
    assert.deepEqual(s.shape, [4]);
    assert.equal(s.dtype, 'float64');
    assert.equal(s._indices().dtype, 'int64');
    assert.deepEqual(s.toDense().toArray(), [1, 0, 0, 2]);
    assert.equal(torch.sparseCooTensor([[0, 1]], [1, 2], [2], { isCoalesced: true }).isCoalesced(), true);
    assert.throws(
      () => torch.sparseCompressedTensor([0, 1], [0], [1], [1, 1]),
      /^Error: sparseCompressedTensor: layout must be one of sparse_csr, sparse_csc, sparse_bsr, sparse_bsc/,
    );
    assert.throws(
      () => torch.tensor([1, 2]).toSparse({ layout: 'dense' as torch.Layout }),
      /toSparse: unknown layout "dense"/,
    );
  });

  test('torch.save keeps a sparse tensor', () => {
    const path = join(tmpdir(), `torch-node-sparse-${process.pid}.pt`);
    try {
      torch.save({ w: torch.eye(2).toSparse() }, path);
      const { w } = torch.load(path) as { w: torch.Tensor };
      assert.equal(w.layout, 'sparse_coo');
      assert.deepEqual(w.toDense().toArray(), [
        [1, 0],
        [0, 1],
      ]);
    } finally {
      rmSync(path, { force: true });
    }
  });

  test('temporaries made by the constructors are freed', () => {
    torch.scope(() => {
      const before = torch.memory().tensors;
      // the index and value tensors made from the arrays go; the result stays
      torch.sparseCooTensor([[0, 1]], [1, 2], [2]);
      torch.sparseCsrTensor([0, 1], [0], [1], [1, 1]);
      assert.equal(torch.memory().tensors, before + 2);
    });
  });
});
