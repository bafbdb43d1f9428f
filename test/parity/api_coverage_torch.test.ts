// Parity with Python torch for the torch.* names that ports use line by line: stacking and
// splitting, the *_scatter ops, trapezoid/gradient, creation (logspace, emptyStrided, asarray),
// the rest of torch.special and torch.linalg, the older torch.svd/qr/lu forms; then the global
// settings (default dtype, deterministic algorithms, matmul precision, print options) and dtype
// promotion over every dtype pair, each against Python's answer.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { generators } from '../support/data.js';
import { type Case, f32, f64, i64, paritySuite } from '../support/parity.js';
import { pythonTorchVersion, runPython, skipWithoutPython } from '../support/python.js';

const g = generators(2026);
const X = g.randn([3, 4]);
const x = f64(X);
const x3 = f64(g.randn([2, 3, 4]));
const v = f64(g.randn([4]));
const cases: Record<string, Case[]> = { shapes: [], creation: [], special: [], linalg: [] };
const c = (group: string, name: string, rest: Omit<Case, 'name'>) => cases[group]?.push({ name, ...rest });

// ---- shapes
c('shapes', 'movedim int', { inputs: { x3 }, py: 'torch.movedim(x3, 0, 2)', js: ({ x3 }) => torch.movedim(x3!, 0, 2) });
c('shapes', 'movedim lists (method)', {
  inputs: { x3 },
  py: 'x3.movedim((0, 1), (2, 0))',
  js: ({ x3 }) => x3!.movedim([0, 1], [2, 0]),
});
c('shapes', 'broadcastTo', {
  inputs: { v },
  py: 'torch.broadcast_to(v, (2, 3, 4))',
  js: ({ v }) => torch.broadcastTo(v!, [2, 3, 4]),
});
c('shapes', 'broadcastTo method -1', {
  inputs: { x },
  py: 'x.broadcast_to((2, -1, 4))',
  js: ({ x }) => x!.broadcastTo([2, -1, 4]),
});
c('shapes', 'ravel of a transpose', { inputs: { x }, py: 'x.t().ravel()', js: ({ x }) => x!.t().ravel() });
c('shapes', 'atleast1d/2d/3d', {
  inputs: { s: f64(2.5), v },
  py: 'out = [torch.atleast_1d(s), torch.atleast_2d(v), torch.atleast_3d(v), *torch.atleast_3d((s, v))]',
  js: ({ s, v }) => [torch.atleast1d(s!), torch.atleast2d(v!), torch.atleast3d(v!), ...torch.atleast3d([s!, v!])],
});
c('shapes', 'hstack vstack dstack columnStack rowStack concatenate', {
  inputs: { x, y: f64(g.randn([3, 4])), v },
  py: 'out = [torch.hstack((x, y)), torch.vstack((x, y, v)), torch.dstack((x, y)), torch.column_stack((v, v)), torch.row_stack((v, v)), torch.concatenate((x, y), 1)]',
  js: ({ x, y, v }) => [
    torch.hstack([x!, y!]),
    torch.vstack([x!, y!, v!]),
    torch.dstack([x!, y!]),
    torch.columnStack([v!, v!]),
    torch.rowStack([v!, v!]),
    torch.concatenate([x!, y!], 1),
  ],
});
c('shapes', 'tensorSplit sections and indices', {
  inputs: { x },
  py: 'out = [*torch.tensor_split(x, 3, 1), *x.tensor_split([1, 3], 1)]',
  js: ({ x }) => [...torch.tensorSplit(x!, 3, 1), ...x!.tensorSplit([1, 3], 1)],
});
c('shapes', 'hsplit vsplit dsplit', {
  inputs: { x3 },
  py: 'out = [*torch.hsplit(x3, 3), *torch.vsplit(x3, [1]), *x3.dsplit(2), *torch.hsplit(x3, [1, 2])]',
  js: ({ x3 }) => [...torch.hsplit(x3!, 3), ...torch.vsplit(x3!, [1]), ...x3!.dsplit(2), ...torch.hsplit(x3!, [1, 2])],
});
c('shapes', 'splitWithSizes', {
  inputs: { x },
  py: 'out = list(torch.split_with_sizes(x, [1, 3], 1))',
  js: ({ x }) => torch.splitWithSizes(x!, [1, 3], 1),
});
c('shapes', 'diagonal/select/slice/asStrided scatter', {
  inputs: { z: f64(g.randn([3, 3])), d: f64(g.randn([2])), r: f64(g.randn([3])), s: f64(g.randn([3, 1])) },
  py: 'out = [torch.diagonal_scatter(z, d, 1), torch.select_scatter(z, r, 0, 1), torch.slice_scatter(z, s, 1, 1, 2), torch.as_strided_scatter(z, r, (3,), (4,))]',
  js: ({ z, d, r, s }) => [
    torch.diagonalScatter(z!, d!, 1),
    torch.selectScatter(z!, r!, 0, 1),
    torch.sliceScatter(z!, s!, 1, 1, 2),
    torch.asStridedScatter(z!, r!, [3], [4]),
  ],
});
c('shapes', 'combinations', {
  inputs: { a: i64([1, 2, 3, 4]) },
  py: 'out = [torch.combinations(a), torch.combinations(a, 3), torch.combinations(a, 2, True)]',
  js: ({ a }) => [torch.combinations(a!), torch.combinations(a!, 3), torch.combinations(a!, 2, true)],
});
c('shapes', 'trapezoid trapz cumulativeTrapezoid', {
  inputs: { x, t: f64([0, 0.5, 1.5, 3]) },
  py: 'out = [torch.trapezoid(x), torch.trapezoid(x, t), torch.trapezoid(x, dx=0.5, dim=0), torch.trapz(x, t), torch.trapz(x, dx=2.0), torch.cumulative_trapezoid(x, t), torch.cumulative_trapezoid(x, dx=0.25, dim=0)]',
  js: ({ x, t }) => [
    torch.trapezoid(x!),
    torch.trapezoid(x!, t!),
    torch.trapezoid(x!, { dx: 0.5, dim: 0 }),
    torch.trapz(x!, t!),
    torch.trapz(x!, { dx: 2 }),
    torch.cumulativeTrapezoid(x!, t!),
    torch.cumulativeTrapezoid(x!, { dx: 0.25, dim: 0 }),
  ],
});
c('shapes', 'gradient: default, scalar, per-dim, coordinates, edgeOrder', {
  inputs: { x, t: f64([0, 0.5, 1.5, 3]), u: f64([0, 1, 3]) },
  py: 'out = [*torch.gradient(x), *torch.gradient(x, spacing=2.0, dim=1), *torch.gradient(x, spacing=[0.5, 2.0]), *torch.gradient(x, spacing=(u, t)), *torch.gradient(x, dim=0, edge_order=2)]',
  js: ({ x, t, u }) => [
    ...torch.gradient(x!),
    ...torch.gradient(x!, { spacing: 2, dim: 1 }),
    ...torch.gradient(x!, { spacing: [0.5, 2] }),
    ...torch.gradient(x!, { spacing: [u!, t!] }),
    ...torch.gradient(x!, { dim: 0, edgeOrder: 2 }),
  ],
});
c('shapes', 'unravelIndex', {
  inputs: { i: i64([0, 5, 11, 23, 24, -1]) },
  py: 'out = list(torch.unravel_index(i, (2, 3, 4)))',
  js: ({ i }) => torch.unravelIndex(i!, [2, 3, 4]),
});
c('shapes', 'hsplit of an indivisible size is an error', {
  inputs: { x },
  py: 'torch.hsplit(x, 3)',
  js: ({ x }) => torch.hsplit(x!, 3),
  expectError: /hsplit/,
});

c('shapes', 'the *_copy forms', {
  inputs: { x3, z: f64(g.randn([3, 1])) },
  py: `out = [torch.alias_copy(x3), torch.detach_copy(x3), torch.t_copy(x3[0]), torch.view_copy(x3, (6, 4)),
  torch.expand_copy(z, (2, 3, 4)), torch.permute_copy(x3, (2, 0, 1)), torch.transpose_copy(x3, 0, 2),
  torch.unsqueeze_copy(x3, 1), torch.squeeze_copy(z), torch.squeeze_copy(z, 1), torch.select_copy(x3, 1, 2),
  torch.slice_copy(x3, 2, 1, 3), torch.narrow_copy(x3, 1, 1, 2), torch.diagonal_copy(x3[0], 1),
  torch.as_strided_copy(x3, (2, 2), (1, 4)), torch.unfold_copy(x3, 2, 2, 1), *torch.unbind_copy(x3, 1),
  *torch.split_copy(x3, 2, 2), *torch.split_with_sizes_copy(x3, [1, 2], 1),
  torch.view_as_real_copy(torch.view_as_complex(x3[..., :2].contiguous()))]`,
  js: ({ x3, z }) => [
    torch.aliasCopy(x3!),
    torch.detachCopy(x3!),
    torch.tCopy(x3!.select(0, 0)),
    torch.viewCopy(x3!, [6, 4]),
    torch.expandCopy(z!, [2, 3, 4]),
    torch.permuteCopy(x3!, [2, 0, 1]),
    torch.transposeCopy(x3!, 0, 2),
    torch.unsqueezeCopy(x3!, 1),
    torch.squeezeCopy(z!),
    torch.squeezeCopy(z!, 1),
    torch.selectCopy(x3!, 1, 2),
    torch.sliceCopy(x3!, 2, 1, 3),
    torch.narrowCopy(x3!, 1, 1, 2),
    torch.diagonalCopy(x3!.select(0, 0), 1),
    torch.asStridedCopy(x3!, [2, 2], [1, 4]),
    torch.unfoldCopy(x3!, 2, 2, 1),
    ...torch.unbindCopy(x3!, 1),
    ...torch.splitCopy(x3!, 2, 2),
    ...torch.splitWithSizesCopy(x3!, [1, 2], 1),
    torch.viewAsRealCopy(torch.viewAsComplex(x3!.slice(2, 0, 2).contiguous())),
  ],
});

// ---- creation
c('creation', 'logspace', {
  inputs: {},
  py: 'out = [torch.logspace(0, 2, 5), torch.logspace(-1, 1, 3, 2.0, dtype=torch.float64)]',
  js: () => [torch.logspace(0, 2, 5), torch.logspace(-1, 1, 3, 2, { dtype: 'float64' })],
});

// ---- special
const pts = f64([-2.5, -0.7, 0.1, 0.5, 0.9, 1.7, 3.2]);
const pos = f64([0.05, 0.4, 1, 2.5, 7]);
for (const name of [
  'airy_ai',
  'bessel_y0',
  'bessel_y1',
  'modified_bessel_i0',
  'modified_bessel_i1',
  'spherical_bessel_j0',
]) {
  const js = name.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
  c('special', `special.${js}`, {
    inputs: { p: name.startsWith('bessel_y') ? pos : pts },
    py: `torch.special.${name}(p)`,
    js: ({ p }) => (torch.special as unknown as Record<string, (t: torch.Tensor) => torch.Tensor>)[js]!(p!),
  });
}
for (const name of [
  'modified_bessel_k0',
  'modified_bessel_k1',
  'scaled_modified_bessel_k0',
  'scaled_modified_bessel_k1',
]) {
  const js = name.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
  c('special', `special.${js}`, {
    inputs: { p: pos },
    py: `torch.special.${name}(p)`,
    js: ({ p }) => (torch.special as unknown as Record<string, (t: torch.Tensor) => torch.Tensor>)[js]!(p!),
  });
}
const polys = ['chebyshev_polynomial_t', 'chebyshev_polynomial_u', 'chebyshev_polynomial_v', 'chebyshev_polynomial_w'];
const allPolys = [
  ...polys,
  ...polys.map((p) => `shifted_${p}`),
  'hermite_polynomial_h',
  'hermite_polynomial_he',
  'laguerre_polynomial_l',
  'legendre_polynomial_p',
];
for (const name of allPolys) {
  const js = name.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
  type Poly = (x: torch.Tensor, n: torch.Tensor | number) => torch.Tensor;
  c('special', `special.${js}`, {
    inputs: { p: f64([-0.9, -0.3, 0, 0.4, 0.8]), n: i64([0, 1, 2, 3, 5]) },
    py: `out = [torch.special.${name}(p, n), torch.special.${name}(p, 4)]`,
    js: ({ p, n }) => {
      const f = (torch.special as unknown as Record<string, Poly>)[js]!;
      return [f(p!, n!), f(p!, 4)];
    },
  });
}
c('special', 'special aliases of torch.* (erf erfc erfinv exp2 expm1 log1p)', {
  inputs: { p: f32([-0.9, -0.3, 0, 0.4, 0.8]) },
  py: 'S = torch.special\nout = [S.erf(p), S.erfc(p), S.erfinv(p), S.exp2(p), S.expm1(p), S.log1p(p)]',
  js: ({ p }) => {
    const S = torch.special;
    return [S.erf(p!), S.erfc(p!), S.erfinv(p!), S.exp2(p!), S.expm1(p!), S.log1p(p!)];
  },
});

// ---- linalg
const spd = (() => {
  const m = g.randn([3, 3]) as number[][];
  return f64(
    m.map((row, i) =>
      row.map((_, j) => m.reduce((s, r) => s + (r[i] as number) * (r[j] as number), 0) + (i === j ? 3 : 0)),
    ),
  );
})();
const sym = f64([
  [2, -1, 0.5],
  [-1, -3, 1],
  [0.5, 1, 1],
]);
const b = f64(g.randn([3, 2]));
const sq = f64(g.randn([3, 3]));
const rect = f64(g.randn([4, 3]));
c('linalg', 'ldlFactor and ldlSolve', {
  inputs: { sym, b },
  py: 'LD, piv = torch.linalg.ldl_factor(sym)\nLD2, piv2, info = torch.linalg.ldl_factor_ex(sym)\nout = [LD, piv, LD2, piv2, info, torch.linalg.ldl_solve(LD, piv, b)]',
  js: ({ sym, b }) => {
    const [LD, piv] = torch.linalg.ldlFactor(sym!);
    const [LD2, piv2, info] = torch.linalg.ldlFactorEx(sym!);
    return [LD, piv, LD2, piv2, info, torch.linalg.ldlSolve(LD!, piv!, b!)];
  },
});
c('linalg', 'solveEx luFactorEx matmul', {
  inputs: { sq, b, x },
  py: 'out = [*torch.linalg.solve_ex(sq, b), *torch.linalg.lu_factor_ex(sq), torch.linalg.matmul(sq, x)]',
  js: ({ sq, b, x }) => [
    ...torch.linalg.solveEx(sq!, b!),
    ...torch.linalg.luFactorEx(sq!),
    torch.linalg.matmul(sq!, x!),
  ],
});
c('linalg', 'torch.svd gives V (reconstruction and values)', {
  inputs: { rect },
  py: 'U, S, V = torch.svd(rect)\nU2, S2, V2 = torch.svd(rect, some=False)\nout = [U @ torch.diag(S) @ V.mT, S, U2.shape[1], V2.shape[0], torch.svd(rect, compute_uv=False)[1]]',
  js: ({ rect }) => {
    const [U, S, V] = torch.svd(rect!);
    const [U2, , V2] = torch.svd(rect!, false);
    return [U!.matmul(torch.diag(S!)).matmul(V!.mT), S, U2!.shape[1], V2!.shape[0], rect!.svd(true, false)[1]];
  },
});
c('linalg', 'torch.qr cholesky pinverse', {
  inputs: { rect, spd },
  // PyTorch 2.14 removed torch.qr and torch.cholesky (they raise): there, their linalg forms,
  // the kernels 2.13's ran, are the reference.
  py: `try:
    Q, R = torch.qr(rect)
    Q2, R2 = torch.qr(rect, some=False)
    L, U = torch.cholesky(spd), spd.cholesky(upper=True)
except RuntimeError:
    Q, R = torch.linalg.qr(rect)
    Q2, R2 = torch.linalg.qr(rect, mode='complete')
    L, U = torch.linalg.cholesky(spd), torch.linalg.cholesky(spd, upper=True)
out = [Q.abs(), R.abs(), Q2.shape[1], L, U, torch.pinverse(rect)]`,
  js: ({ rect, spd }) => {
    const [Q, R] = torch.qr(rect!);
    const [Q2] = torch.qr(rect!, false);
    return [Q!.abs(), R!.abs(), Q2!.shape[1], torch.cholesky(spd!), spd!.cholesky(true), torch.pinverse(rect!)];
  },
});
c('linalg', 'torch.lu luSolve luUnpack', {
  inputs: { sq, b },
  py: 'LU, piv = torch.lu(sq)\nLU2, piv2, infos = torch.lu(sq, get_infos=True)\nout = [LU, piv, infos, torch.lu_solve(b, LU, piv), *torch.lu_unpack(LU, piv)]',
  js: ({ sq, b }) => {
    const [LU, piv] = torch.lu(sq!);
    const [, , infos] = torch.lu(sq!, { getInfos: true });
    return [LU, piv, infos, torch.luSolve(b!, LU!, piv!), ...torch.luUnpack(LU!, piv!)];
  },
});
c('linalg', 'nuclearNorm frobeniusNorm', {
  inputs: { rect, x3 },
  py: 'out = [torch.nuclear_norm(rect), torch.nuclear_norm(x3, (1, 2)), torch.nuclear_norm(rect, keepdim=True), torch.frobenius_norm(x3, (0, 2)), torch.frobenius_norm(x3, 1, True)]',
  js: ({ rect, x3 }) => [
    torch.nuclearNorm(rect!),
    torch.nuclearNorm(x3!, [1, 2]),
    torch.nuclearNorm(rect!, null, true),
    torch.frobeniusNorm(x3!, [0, 2]),
    torch.frobeniusNorm(x3!, 1, true),
  ],
});
c('linalg', 'geqrf orgqr ormqr', {
  inputs: { rect, m: f64(g.randn([4, 2])) },
  py: 'a, tau = torch.geqrf(rect)\nout = [a, tau, torch.orgqr(a, tau), torch.ormqr(a, tau, m), a.ormqr(tau, m.mT, left=False, transpose=True)]',
  js: ({ rect, m }) => {
    const [a, tau] = torch.geqrf(rect!);
    return [a, tau, torch.orgqr(a!, tau!), torch.ormqr(a!, tau!, m!), a!.ormqr(tau!, m!.mT, false, true)];
  },
});
c('linalg', 'cholesky of a non-positive-definite matrix is an error', {
  inputs: { sym },
  py: 'torch.cholesky(sym)',
  js: ({ sym }) => torch.cholesky(sym!),
  expectError: true,
});

// ---- torch.* forms of nn.functional ops (the same functions)
const img = f64(g.randn([1, 2, 5, 5]));
c('shapes', 'torch.conv2d convTranspose1d maxPool2d (the functional ops)', {
  inputs: {
    img,
    w: f64(g.randn([3, 2, 3, 3])),
    bias: f64(g.randn([3])),
    s: f64(g.randn([1, 2, 6])),
    wt: f64(g.randn([2, 3, 3])),
  },
  py: 'out = [torch.conv2d(img, w, bias, padding=1), torch.conv_transpose1d(s, wt, stride=2), torch.max_pool2d(img, 2)]',
  js: ({ img, w, bias, s, wt }) => [
    torch.conv2d(img!, w!, { bias: bias!, padding: 1 }),
    torch.convTranspose1d(s!, wt!, { stride: 2 }),
    torch.maxPool2d(img!, 2),
  ],
});
c('shapes', 'torch.layerNorm groupNorm rmsNorm cosineSimilarity bilinear celu_', {
  inputs: { img, x, y: f64(g.randn([3, 4])), bw: f64(g.randn([2, 4, 4])) },
  py: 'out = [torch.layer_norm(img, [5, 5]), torch.group_norm(img, 2), torch.rms_norm(x, [4]), torch.cosine_similarity(x, y), torch.bilinear(x, y, bw), torch.celu_(x.clone(), 0.5)]',
  js: ({ img, x, y, bw }) => [
    torch.layerNorm(img!, [5, 5]),
    torch.groupNorm(img!, 2),
    torch.rmsNorm(x!, [4]),
    torch.cosineSimilarity(x!, y!),
    torch.bilinear(x!, y!, bw!),
    torch.celu_(x!.clone(), { alpha: 0.5 }),
  ],
});

paritySuite('torch.* API coverage', cases);

const skip = skipWithoutPython();
const DTYPES: torch.DType[] = [
  'uint8',
  'int8',
  'int16',
  'int32',
  'int64',
  'float16',
  'bfloat16',
  'float32',
  'float64',
  'complex64',
  'complex128',
  'bool',
];

describe('dtype promotion against Python', { skip }, () => {
  test('promoteTypes and canCast for every dtype pair', () => {
    const py = runPython<{ promote: string[][]; cast: boolean[][] }>(
      `ds = [getattr(torch, n) for n in INPUT]
name = lambda d: str(d).replace('torch.', '')
OUTPUT = {'promote': [[name(torch.promote_types(a, b)) for b in ds] for a in ds],
          'cast': [[torch.can_cast(a, b) for b in ds] for a in ds]}`,
      DTYPES,
    );
    DTYPES.forEach((a, i) => {
      DTYPES.forEach((b2, j) => {
        assert.equal(torch.promoteTypes(a, b2), py.promote[i]?.[j], `promoteTypes(${a}, ${b2})`);
        assert.equal(torch.canCast(a, b2), py.cast[i]?.[j], `canCast(${a}, ${b2})`);
      });
    });
  });

  // resultType follows PyTorch 2.13, whose libtorch this package pins; 2.14 added a bcomplex32
  // dtype that bfloat16 with a complex operand now promotes to.
  const v = pythonTorchVersion();
  const only213 = v?.startsWith('2.13') ? false : `PyTorch 2.13's promotion; the oracle is ${v}`;
  test('resultType with tensors of each rank and JS numbers', { skip: only213 }, () => {
    // Each operand: a 1-d tensor, a 0-d tensor, or a number (int 3, float 2.5, bool true).
    const kinds = ['t1', 't0'] as const;
    const ops: { desc: string; py: string; js: () => torch.Tensor | number | boolean }[] = [];
    for (const d of DTYPES) {
      for (const k of kinds) {
        ops.push({
          desc: `${k}:${d}`,
          py: k === 't1' ? `torch.zeros(2, dtype=torch.${d})` : `torch.zeros((), dtype=torch.${d})`,
          js: () => (k === 't1' ? torch.zeros([2], { dtype: d }) : torch.zeros([], { dtype: d })),
        });
      }
    }
    ops.push({ desc: 'int 3', py: '3', js: () => 3 }, { desc: 'float 2.5', py: '2.5', js: () => 2.5 });
    ops.push({ desc: 'bool', py: 'True', js: () => true });
    const pairs: [number, number][] = [];
    ops.forEach((_, i) => {
      ops.forEach((_, j) => {
        if (i < 2 * DTYPES.length || j < 2 * DTYPES.length) pairs.push([i, j]);
      });
    });
    const py = runPython<string[]>(
      `ops = INPUT['ops']
OUTPUT = [str(torch.result_type(eval(ops[i]), eval(ops[j]))).replace('torch.', '') for i, j in INPUT['pairs']]`,
      { ops: ops.map((o) => o.py), pairs },
    );
    torch.scope(() => {
      const vals = ops.map((o) => o.js());
      pairs.forEach(([i, j], k) => {
        // complex32 (float16 beside a lower-ranked complex tensor) is a dtype torch-node lacks.
        if (py[k] === 'complex32') {
          assert.throws(
            () => torch.resultType(vals[i]!, vals[j]!),
            /resultType: a float16 tensor with a complex one.*complex32/,
          );
          return;
        }
        assert.equal(torch.resultType(vals[i]!, vals[j]!), py[k], `resultType(${ops[i]!.desc}, ${ops[j]!.desc})`);
      });
    });
  });

  test('promoteTypes names the bad argument', () => {
    assert.throws(
      () => torch.promoteTypes('float32', 'float128' as torch.DType),
      /promoteTypes: 'type2' must be a dtype/,
    );
    assert.throws(() => torch.resultType(torch.zeros([1]), 'x' as unknown as number), /resultType: 'tensor2'/);
  });
});

describe('global settings', { skip }, () => {
  after(() => {
    torch.setDefaultDtype('float32');
    torch.useDeterministicAlgorithms(false);
    torch.setFloat32MatmulPrecision('highest');
    torch.setPrintoptions({ profile: 'default' });
  });

  test('setDefaultDtype float64: tensor data, creation ops, number promotion, repr', () => {
    assert.equal(torch.getDefaultDtype(), 'float32');
    const script = `torch.set_default_dtype(torch.float64)
try:
    OUTPUT = [str(t.dtype).replace('torch.', '') for t in (torch.tensor([1.5]), torch.zeros(2), torch.rand(2), torch.arange(0.0, 1.0, 0.5), torch.full((2,), 1.5), torch.linspace(0, 1, 3), torch.tensor([1, 2]) * 0.5, torch.tensor([]), torch.complex(torch.zeros(1), torch.zeros(1)))]
    OUTPUT += [repr(torch.tensor([1.5])), repr(torch.tensor([1.5], dtype=torch.float32))]
finally:
    torch.set_default_dtype(torch.float32)`;
    const expected = runPython<string[]>(script);
    torch.setDefaultDtype('float64');
    try {
      assert.equal(torch.getDefaultDtype(), 'float64');
      const got = torch.scope(() => {
        const ts = [
          torch.tensor([1.5]),
          torch.zeros([2]),
          torch.rand([2]),
          torch.arange(0, 1, 0.5),
          torch.full([2], 1.5),
          torch.linspace(0, 1, 3),
          torch.tensor([1, 2]).mul(0.5),
          torch.tensor([]),
          torch.complex(torch.zeros([1]), torch.zeros([1])),
        ];
        return [
          ...ts.map((t) => t.dtype as string),
          torch.tensor([1.5]).toString(),
          torch.tensor([1.5], { dtype: 'float32' }).toString(),
        ];
      });
      assert.deepEqual(got, expected);
    } finally {
      torch.setDefaultDtype('float32');
    }
    assert.equal(torch.tensor([1.5]).dtype, 'float32');
    assert.equal(torch.zeros([1]).dtype, 'float32');
  });

  test('setDefaultDtype refuses non-float dtypes, as Python does', () => {
    const pyErr = runPython<string>(`try:
    torch.set_default_dtype(torch.int64)
    OUTPUT = 'no error'
except TypeError as e:
    OUTPUT = 'TypeError'`);
    assert.equal(pyErr, 'TypeError');
    assert.throws(() => torch.setDefaultDtype('int64'), /setDefaultDtype: only floating-point dtypes.*'int64'/);
    assert.throws(() => torch.setDefaultDtype('complex64'), TypeError);
    assert.equal(torch.getDefaultDtype(), 'float32');
  });

  test('useDeterministicAlgorithms: flags round trip, CPU kernels still run', () => {
    assert.equal(torch.areDeterministicAlgorithmsEnabled(), false);
    // On the CPU PyTorch's ops all have deterministic kernels, so the mode changes no result
    // there: index_add_ with repeated indices gives the same sums with it on.
    const py = runPython<{ flags: boolean[]; sums: number[] }>(`torch.use_deterministic_algorithms(True, warn_only=True)
flags = [torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()]
torch.use_deterministic_algorithms(True)
try:
    sums = torch.zeros(3).index_add_(0, torch.tensor([0, 0, 2]), torch.tensor([1., 2., 3.])).tolist()
finally:
    torch.use_deterministic_algorithms(False)
OUTPUT = {'flags': flags, 'sums': sums}`);
    torch.useDeterministicAlgorithms(true, { warnOnly: true });
    assert.deepEqual(
      [torch.areDeterministicAlgorithmsEnabled(), torch.isDeterministicAlgorithmsWarnOnlyEnabled()],
      py.flags,
    );
    torch.useDeterministicAlgorithms(true);
    assert.equal(torch.isDeterministicAlgorithmsWarnOnlyEnabled(), false);
    assert.equal(torch.areDeterministicAlgorithmsEnabled(), true);
    const sums = torch.zeros([3]).indexAdd_(0, torch.tensor([0, 0, 2]), torch.tensor([1, 2, 3], { dtype: 'float32' }));
    assert.deepEqual(sums.toArray(), py.sums);
    torch.useDeterministicAlgorithms(false);
    assert.equal(torch.areDeterministicAlgorithmsEnabled(), false);
    assert.throws(() => torch.useDeterministicAlgorithms('yes' as unknown as boolean), /useDeterministicAlgorithms/);
  });

  test('deterministic debug mode and warnAlways round trips', () => {
    const py = runPython<number[]>(`out = []
for m in ('warn', 'error', 'default', 1, 2, 0):
    torch.set_deterministic_debug_mode(m); out.append(torch.get_deterministic_debug_mode())
torch.set_warn_always(True); out.append(int(torch.is_warn_always_enabled()))
torch.set_warn_always(False); out.append(int(torch.is_warn_always_enabled()))
OUTPUT = out`);
    const got: number[] = [];
    for (const m of ['warn', 'error', 'default', 1, 2, 0] as const) {
      torch.setDeterministicDebugMode(m);
      got.push(torch.getDeterministicDebugMode());
    }
    torch.setWarnAlways(true);
    got.push(Number(torch.isWarnAlwaysEnabled()));
    torch.setWarnAlways(false);
    got.push(Number(torch.isWarnAlwaysEnabled()));
    assert.deepEqual(got, py);
    assert.throws(() => torch.setDeterministicDebugMode('loud' as 'warn'), /setDeterministicDebugMode: mode must be/);
  });

  test('setFlushDenormal: the support answer and its effect on arithmetic', () => {
    const py = runPython<unknown[]>(`ok = torch.set_flush_denormal(True)
try:
    on = (torch.tensor([1e-310], dtype=torch.float64) * 1.5).tolist()
finally:
    torch.set_flush_denormal(False)
OUTPUT = [ok, on, (torch.tensor([1e-310], dtype=torch.float64) * 1.5).tolist()]`);
    const got: unknown[] = [torch.setFlushDenormal(true)];
    try {
      got.push(torch.tensor([1e-310], { dtype: 'float64' }).mul(1.5).toArray());
    } finally {
      torch.setFlushDenormal(false);
    }
    got.push(torch.tensor([1e-310], { dtype: 'float64' }).mul(1.5).toArray());
    assert.deepEqual(got, py);
  });

  test('float32 matmul precision round trip', () => {
    const py = runPython<string[]>(`out = []
for p in ('high', 'medium', 'highest'):
    torch.set_float32_matmul_precision(p); out.append(torch.get_float32_matmul_precision())
OUTPUT = out`);
    const got: string[] = [];
    for (const p of ['high', 'medium', 'highest'] as const) {
      torch.setFloat32MatmulPrecision(p);
      got.push(torch.getFloat32MatmulPrecision());
    }
    assert.deepEqual(got, py);
    assert.throws(
      () => torch.setFloat32MatmulPrecision('low' as 'high'),
      /setFloat32MatmulPrecision: precision must be one of/,
    );
  });

  test('setPrintoptions: precision, threshold/edgeitems, sciMode, profile', () => {
    const data = [1.23456789, 2.5, 3, 4, 5, 6, 7, 8];
    const expected = runPython<string[]>(
      `t = torch.tensor(INPUT)
out = []
torch.set_printoptions(precision=2); out.append(repr(t))
torch.set_printoptions(threshold=5, edgeitems=2); out.append(repr(t))
torch.set_printoptions(sci_mode=True); out.append(repr(t))
torch.set_printoptions(profile='short'); out.append(repr(t * 1000))
torch.set_printoptions(profile='default'); out.append(repr(t))
OUTPUT = out`,
      data,
    );
    const t = torch.tensor(data);
    const got: string[] = [];
    torch.setPrintoptions({ precision: 2 });
    got.push(t.toString());
    torch.setPrintoptions({ threshold: 5, edgeitems: 2 });
    got.push(t.toString());
    torch.setPrintoptions({ sciMode: true });
    got.push(t.toString());
    torch.setPrintoptions({ profile: 'short' });
    got.push(torch.scope(() => t.mul(1000).toString()));
    torch.setPrintoptions({ profile: 'default' });
    got.push(t.toString());
    assert.deepEqual(got, expected);
    assert.throws(() => torch.setPrintoptions({ precision: -1 }), /setPrintoptions: 'precision'/);
  });
});

describe('small torch.* functions', { skip }, () => {
  test('broadcastShapes, isTensor, numel, isInference, asTensor/asarray, emptyStrided', () => {
    const py = runPython<{ shapes: number[]; err: string; strided: number[][] }>(`err = ''
try:
    torch.broadcast_shapes((2, 3), (4, 3))
except RuntimeError as e:
    err = 'RuntimeError'
t = torch.empty_strided((2, 3), (1, 2))
OUTPUT = {'shapes': list(torch.broadcast_shapes((2, 1, 3), (4, 1), 3)), 'err': err, 'strided': [list(t.shape), list(t.stride())]}`);
    assert.deepEqual(torch.broadcastShapes([2, 1, 3], [4, 1], 3), py.shapes);
    assert.equal(py.err, 'RuntimeError');
    assert.throws(() => torch.broadcastShapes([2, 3], [4, 3]), /broadcastShapes: shape mismatch/);
    const e = torch.emptyStrided([2, 3], [1, 2]);
    assert.deepEqual([e.shape, e.stride()], py.strided);

    const a = torch.ones([2, 3]);
    assert.equal(torch.isTensor(a), true);
    assert.equal(torch.isTensor([1]), false);
    assert.equal(torch.numel(a), 6);
    assert.throws(() => torch.numel([1] as unknown as torch.Tensor), /numel: 'input' must be a Tensor/);
    assert.equal(torch.isInference(a), false);
    const inf = torch.inferenceMode(() => torch.ones([1]));
    assert.equal(torch.isInference(inf), true);

    // asTensor: the same tensor when dtype/device already fit; a converted one otherwise.
    assert.equal(torch.asTensor(a), a);
    const d = torch.asTensor(a, { dtype: 'float64' });
    assert.equal(d.dtype, 'float64');
    assert.notEqual(d, a);
    // asarray shares a typed array's memory when no conversion is needed.
    const buf = new Float32Array([1, 2, 3]);
    const shared = torch.asarray(buf);
    buf[0] = 42;
    assert.equal((shared.toArray() as number[])[0], 42);
    const copied = torch.asarray(new Float32Array([1, 2]), { copy: true });
    assert.equal(copied.dtype, 'float32');
    assert.equal(torch.asarray([1, 2.5]).dtype, 'float32');
    assert.throws(() => torch.asarray(a, { dtype: 'int64', copy: false }), /asarray: copy=false/);
    // frombuffer: a view of the bytes, offset and count in elements' bytes as in PyTorch.
    const bytes = new Float64Array([1, 2, 3, 4]).buffer;
    const fb = torch.frombuffer(bytes, { dtype: 'float64', count: 2, offset: 8 });
    assert.deepEqual(fb.toArray(), [2, 3]);
    new Float64Array(bytes)[1] = 20;
    assert.deepEqual(fb.toArray(), [20, 3]);
    assert.throws(() => torch.frombuffer(new ArrayBuffer(6), { dtype: 'float32' }), /frombuffer: 6 bytes/);

    const q = runPython<unknown[]>(`a = torch.zeros(2, 3, dtype=torch.uint8)
p = torch.empty_permuted((2, 3, 4), (2, 0, 1))
OUTPUT = [torch.is_signed(a), torch.is_signed(a.float()), torch.is_same_size(a, torch.zeros(2, 3)), torch.is_same_size(a, torch.zeros(3, 2)), a.get_device(), list(p.shape), list(p.stride())]`);
    const u = torch.zeros([2, 3], { dtype: 'uint8' });
    const p = torch.emptyPermuted([2, 3, 4], [2, 0, 1]);
    assert.deepEqual(
      [
        torch.isSigned(u),
        torch.isSigned(u.float()),
        torch.isSameSize(u, torch.zeros([2, 3])),
        torch.isSameSize(u, torch.zeros([3, 2])),
        torch.getDevice(u),
        p.shape,
        p.stride(),
      ],
      q,
    );
    const cl = torch.clone(a);
    cl.fill_(3);
    assert.equal(torch.detach(cl).requiresGrad, false);
    assert.throws(() => torch.clone(null as unknown as torch.Tensor), /clone: 'input' must be a Tensor/);
    const ac = torch.asarray(a, { copy: true });
    ac.fill_(7);
    assert.equal((a.toArray() as number[][])[0]?.[0], 1);
  });
});
