// Parity with Python torch: torch.linalg (inv det slogdet solve lstsq cholesky svd svdvals eigh
// eigvalsh lu lu_factor lu_solve matrix_rank pinv matrix_power matrix_exp norm vector_norm
// matrix_norm cond cross multi_dot householder_product tensorinv tensorsolve vander diagonal
// solve_triangular qr and the _ex forms) and torch.det logdet slogdet inverse matrix_power
// matrix_exp cholesky_solve triangular_solve. Values and gradients in float64 (batched too),
// float32 values (to the bit where the kernel is the same), and the errors PyTorch raises
// (singular, non-square, not positive-definite, integer dtypes). One Python run for the file.
import { after, before } from 'node:test';
import * as torch from '../../lib/index.js';
import { generators, type Nested } from '../support/data.js';
import { type Case, f32, f64, i64, paritySuite } from '../support/parity.js';

const L = torch.linalg;

/** `m` (a matrix or a batch of them) plus `k` on each diagonal: well conditioned for k ~ n. */
function plusDiag(m: Nested, k: number): Nested {
  const rows = m as Nested[];
  if (Array.isArray((rows[0] as Nested[])[0])) return rows.map((b) => plusDiag(b, k));
  return rows.map((r, i) => (r as number[]).map((v, j) => (i === j ? v + k : v)));
}

/** The upper (or lower) triangle of each matrix, its diagonal moved away from zero. */
function triangle(m: Nested, upper: boolean, k = 2): Nested {
  const rows = m as Nested[];
  if (Array.isArray((rows[0] as Nested[])[0])) return rows.map((b) => triangle(b, upper, k));
  return rows.map((r, i) =>
    (r as number[]).map((v, j) => {
      if (i === j) return v + (v < 0 ? -k : k);
      return (upper ? j > i : j < i) ? v : 0;
    }),
  );
}

function cases64(): Case[] {
  const g = generators(27182);
  const cases: Case[] = [];
  const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name, ...x });

  const A3 = plusDiag(g.randn([3, 3]), 3);
  const A4 = plusDiag(g.randn([4, 4]), 4);
  const BA3 = plusDiag(g.randn([2, 3, 3]), 3);
  const B32 = g.randn([3, 2]);
  const BB32 = g.randn([2, 3, 2]);
  const V3 = g.randn([3]);
  const X33 = g.randn([3, 3]);
  const BX33 = g.randn([2, 3, 3]);
  const X43 = g.randn([4, 3]);
  const X35 = g.randn([3, 5]);
  const BX43 = g.randn([2, 4, 3]);
  const M52 = g.randn([5, 2]);

  const a = f64(A3, true);
  const a4 = f64(A4, true);
  const ba = f64(BA3, true);
  const b = f64(B32, true);
  const bb = f64(BB32, true);
  const v = f64(V3, true);
  const x = f64(X33, true);
  const bx = f64(BX33, true);
  const x43 = f64(X43, true);
  const x35 = f64(X35, true);
  const bx43 = f64(BX43, true);

  // ---- inverses, determinants, solves
  c('inv', { inputs: { a }, py: 'torch.linalg.inv(a)', js: ({ a }) => L.inv(a!) });
  c('inv batched', { inputs: { a: ba }, py: 'torch.linalg.inv(a)', js: ({ a }) => L.inv(a!) });
  c('inv_ex', { inputs: { a }, py: 'torch.linalg.inv_ex(a)', js: ({ a }) => L.invEx(a!), grad: false });
  c('inv_ex inverse grad', { inputs: { a }, py: 'torch.linalg.inv_ex(a).inverse', js: ({ a }) => L.invEx(a!).inverse });
  c('inv_ex of a singular matrix gives info', {
    inputs: {
      a: f64([
        [1, 2],
        [2, 4],
      ]),
    },
    py: 'torch.linalg.inv_ex(a).info',
    js: ({ a }) => L.invEx(a!).info,
  });
  c('det', { inputs: { a }, py: 'torch.linalg.det(a)', js: ({ a }) => L.det(a!) });
  c('det batched', { inputs: { a: ba }, py: 'torch.linalg.det(a)', js: ({ a }) => L.det(a!) });
  c('det of a general matrix', { inputs: { x }, py: 'torch.linalg.det(x)', js: ({ x }) => L.det(x!) });
  c('slogdet', { inputs: { x }, py: 'torch.linalg.slogdet(x)', js: ({ x }) => L.slogdet(x!), grad: false });
  c('slogdet logabsdet grad', {
    inputs: { x: bx },
    py: 'torch.linalg.slogdet(x).logabsdet',
    js: ({ x }) => L.slogdet(x!).logabsdet,
  });
  c('slogdet destructures', {
    inputs: { x },
    py: 'torch.linalg.slogdet(x)[0] * torch.linalg.slogdet(x)[1]',
    js: ({ x }) => {
      const [sign, logabsdet] = L.slogdet(x!);
      return sign.mul(logabsdet);
    },
  });
  c('solve', { inputs: { a, b }, py: 'torch.linalg.solve(a, b)', js: ({ a, b }) => L.solve(a!, b!) });
  c('solve against the identity is inv', {
    inputs: { a: a4 },
    py: 'torch.linalg.solve(a, torch.eye(4, dtype=a.dtype)) - torch.linalg.inv(a)',
    js: ({ a }) => L.solve(a!, torch.eye(4, null, { dtype: 'float64' })).sub(L.inv(a!)),
    atol: 1e-15,
  });
  c('solve vector rhs', { inputs: { a, v }, py: 'torch.linalg.solve(a, v)', js: ({ a, v }) => L.solve(a!, v!) });
  c('solve batched', { inputs: { a: ba, b: bb }, py: 'torch.linalg.solve(a, b)', js: ({ a, b }) => L.solve(a!, b!) });
  c('solve broadcast A', { inputs: { a, b: bb }, py: 'torch.linalg.solve(a, b)', js: ({ a, b }) => L.solve(a!, b!) });
  c('solve left=False', {
    inputs: { a, b: f64(g.randn([2, 3]), true) },
    py: 'torch.linalg.solve(a, b, left=False)',
    js: ({ a, b }) => L.solve(a!, b!, { left: false }),
  });
  c('torch.det and tensor.det', {
    inputs: { a: ba },
    py: 'torch.det(a) + a.det()',
    js: ({ a }) => torch.det(a!).add(a!.det()),
  });
  c('torch.logdet', { inputs: { a }, py: 'torch.logdet(a)', js: ({ a }) => torch.logdet(a!) });
  c('tensor.logdet of negative det is nan', {
    inputs: {
      a: f64([
        [0, 1],
        [1, 0],
      ]),
    },
    py: 'a.logdet()',
    js: ({ a }) => a!.logdet(),
  });
  c('torch.slogdet', { inputs: { x }, py: 'torch.slogdet(x)', js: ({ x }) => torch.slogdet(x!), grad: false });
  c('tensor.slogdet values', { inputs: { x }, py: 'x.slogdet()[1]', js: ({ x }) => x!.slogdet()[1] });
  c('torch.inverse and tensor.inverse', {
    inputs: { a: ba },
    py: 'torch.inverse(a) * a.inverse()',
    js: ({ a }) => torch.inverse(a!).mul(a!.inverse()),
  });

  // ---- least squares
  c('lstsq solution', {
    inputs: { x: x43, b: f64(g.randn([4, 2]), true) },
    py: 'torch.linalg.lstsq(x, b).solution',
    js: ({ x, b }) => L.lstsq(x!, b!).solution,
  });
  c('lstsq gelsd: all four results', {
    inputs: { x: x43, b: f64(g.randn([4, 2])) },
    py: "torch.linalg.lstsq(x, b, driver='gelsd')",
    js: ({ x, b }) => L.lstsq(x!, b!, { driver: 'gelsd' }),
    grad: false,
  });
  c('lstsq gelsy rcond', {
    inputs: { x: f64(g.randn([2, 5, 3])), b: f64(g.randn([2, 5, 1])) },
    py: "list(torch.linalg.lstsq(x, b, rcond=1e-3, driver='gelsy'))",
    js: ({ x, b }) => [...L.lstsq(x!, b!, { rcond: 1e-3, driver: 'gelsy' })],
  });

  // ---- Cholesky
  const spd = '(x @ x.mT + 3 * torch.eye(3, dtype=x.dtype))';
  const spdJs = (x: torch.Tensor) => x.matmul(x.transpose(-2, -1)).add(torch.eye(3, null, { dtype: x.dtype }).mul(3));
  c('cholesky of x xT + 3I', {
    inputs: { x },
    py: `torch.linalg.cholesky(${spd})`,
    js: ({ x }) => L.cholesky(spdJs(x!)),
  });
  c('cholesky upper batched', {
    inputs: { x: bx },
    py: `torch.linalg.cholesky(${spd}, upper=True)`,
    js: ({ x }) => L.cholesky(spdJs(x!), { upper: true }),
  });
  c('cholesky_ex', {
    inputs: { x },
    py: `torch.linalg.cholesky_ex(${spd})`,
    js: ({ x }) => L.choleskyEx(spdJs(x!)),
    grad: false,
  });
  c('cholesky_ex of an indefinite matrix: info', {
    inputs: {
      a: f64([
        [1, 2],
        [2, 1],
      ]),
    },
    py: 'torch.linalg.cholesky_ex(a).info',
    js: ({ a }) => L.choleskyEx(a!).info,
  });
  c('cholesky_solve', {
    inputs: { x, b },
    py: `torch.cholesky_solve(b, torch.linalg.cholesky(${spd}))`,
    js: ({ x, b }) => torch.choleskySolve(b!, L.cholesky(spdJs(x!))),
  });
  c('tensor.cholesky_solve upper', {
    inputs: { x, b },
    py: `b.cholesky_solve(torch.linalg.cholesky(${spd}, upper=True), upper=True)`,
    js: ({ x, b }) => b!.choleskySolve(L.cholesky(spdJs(x!), { upper: true }), { upper: true }),
  });

  // ---- SVD (the sign of each singular-vector pair is LAPACK's, the same on both sides; the
  // gradients go through sign-invariant functions)
  c('svd', { inputs: { x: x43 }, py: 'torch.linalg.svd(x)', js: ({ x }) => L.svd(x!), grad: false });
  c('svd reduced', {
    inputs: { x: bx43 },
    py: 'torch.linalg.svd(x, full_matrices=False)',
    js: ({ x }) => L.svd(x!, { fullMatrices: false }),
    grad: false,
  });
  c('svd S grad', {
    inputs: { x: x35 },
    py: 'torch.linalg.svd(x, full_matrices=False).S',
    js: ({ x }) => L.svd(x!, { fullMatrices: false }).S,
  });
  c('svd U*U grad', {
    inputs: { x: bx43 },
    py: 'torch.linalg.svd(x, full_matrices=False).U.square()',
    js: ({ x }) => L.svd(x!, { fullMatrices: false }).U.square(),
  });
  c('svd U diag(S) Vh rebuilds x, grad', {
    inputs: { x: x35 },
    py: 'U, S, Vh = torch.linalg.svd(x, full_matrices=False)\nout = (U * S.unsqueeze(-2)) @ Vh',
    js: ({ x }) => {
      const [U, S, Vh] = L.svd(x!, { fullMatrices: false });
      return U.mul(S.unsqueeze(-2)).matmul(Vh);
    },
  });
  c('svdvals', { inputs: { x: bx43 }, py: 'torch.linalg.svdvals(x)', js: ({ x }) => L.svdvals(x!) });

  // ---- symmetric eigendecomposition
  const sym = '((x + x.mT) / 2)';
  const symJs = (x: torch.Tensor) => x.add(x.transpose(-2, -1)).div(2);
  c('eigh', { inputs: { x }, py: `torch.linalg.eigh(${sym})`, js: ({ x }) => L.eigh(symJs(x!)), grad: false });
  c('eigh eigenvalues grad, batched', {
    inputs: { x: bx },
    py: `torch.linalg.eigh(${sym}).eigenvalues`,
    js: ({ x }) => L.eigh(symJs(x!)).eigenvalues,
  });
  c('eigh eigenvectors squared grad', {
    inputs: { x },
    py: `torch.linalg.eigh(${sym}).eigenvectors.square()`,
    js: ({ x }) => L.eigh(symJs(x!)).eigenvectors.square(),
  });
  c("eigh UPLO='U' reads the upper triangle", {
    inputs: { x },
    py: "torch.linalg.eigh(x, UPLO='U')[0]",
    js: ({ x }) => L.eigh(x!, { UPLO: 'U' })[0],
    grad: false,
  });
  c('eigvalsh', { inputs: { x: bx }, py: `torch.linalg.eigvalsh(${sym})`, js: ({ x }) => L.eigvalsh(symJs(x!)) });
  c("eigvalsh UPLO='U'", {
    inputs: { x },
    py: "torch.linalg.eigvalsh(x, UPLO='U')",
    js: ({ x }) => L.eigvalsh(x!, { UPLO: 'U' }),
    grad: false,
  });

  // ---- LU
  c('lu', { inputs: { x: x43 }, py: 'torch.linalg.lu(x)', js: ({ x }) => L.lu(x!), grad: false });
  c('lu U grad', { inputs: { x: bx }, py: 'torch.linalg.lu(x).U', js: ({ x }) => L.lu(x!).U });
  c('lu L grad (wide)', { inputs: { x: x35 }, py: 'torch.linalg.lu(x).L', js: ({ x }) => L.lu(x!).L });
  c('lu_factor', { inputs: { x: bx }, py: 'torch.linalg.lu_factor(x)', js: ({ x }) => L.luFactor(x!), grad: false });
  c('lu_factor then lu_solve, grads of A and B', {
    inputs: { a, b },
    py: 'LU, piv = torch.linalg.lu_factor(a)\nout = torch.linalg.lu_solve(LU, piv, b)',
    js: ({ a, b }) => {
      const [LU, piv] = L.luFactor(a!);
      return L.luSolve(LU, piv, b!);
    },
  });
  c('lu_solve adjoint, left=False', {
    inputs: { a: ba, b: f64(g.randn([2, 2, 3]), true) },
    py: 'LU, piv = torch.linalg.lu_factor(a)\nout = torch.linalg.lu_solve(LU, piv, b, left=False, adjoint=True)',
    js: ({ a, b }) => {
      const { LU, pivots } = L.luFactor(a!);
      return L.luSolve(LU, pivots, b!, { left: false, adjoint: true });
    },
  });

  // ---- rank, pseudo-inverse, powers, exponential
  const RANK2 = (() => {
    const u = g.randn([4, 2]) as number[][];
    const w = g.randn([2, 5]) as number[][];
    return u.map((r) =>
      (w[0] as number[]).map(
        (_, j) => (r[0] as number) * (w[0]![j] as number) + (r[1] as number) * (w[1]![j] as number),
      ),
    );
  })();
  c('matrix_rank', {
    inputs: { r: f64(RANK2), x: f64(X43) },
    py: '[torch.linalg.matrix_rank(r), torch.linalg.matrix_rank(x), torch.linalg.matrix_rank(x, atol=1.0, rtol=0.0)]',
    js: ({ r, x }) => [L.matrixRank(r!), L.matrixRank(x!), L.matrixRank(x!, { atol: 1, rtol: 0 })],
  });
  c('matrix_rank hermitian', {
    inputs: { x: f64(X33) },
    py: 'torch.linalg.matrix_rank(x @ x.mT, hermitian=True)',
    js: ({ x }) => L.matrixRank(x!.matmul(x!.t()), { hermitian: true }),
  });
  c('pinv', { inputs: { x: x43 }, py: 'torch.linalg.pinv(x)', js: ({ x }) => L.pinv(x!) });
  c('pinv batched wide', {
    inputs: { x: f64(g.randn([2, 2, 4]), true) },
    py: 'torch.linalg.pinv(x)',
    js: ({ x }) => L.pinv(x!),
  });
  c('pinv of rank-deficient with rtol', {
    inputs: { r: f64(RANK2) },
    py: 'torch.linalg.pinv(r, rtol=1e-8)',
    js: ({ r }) => L.pinv(r!, { rtol: 1e-8 }),
    rtol: 1e-9,
    atol: 1e-10,
  });
  c('pinv hermitian', {
    inputs: { x },
    py: `torch.linalg.pinv(${sym} + 4 * torch.eye(3, dtype=x.dtype), hermitian=True)`,
    js: ({ x }) => L.pinv(symJs(x!).add(torch.eye(3, null, { dtype: 'float64' }).mul(4)), { hermitian: true }),
  });
  c('matrix_power 3', {
    inputs: { x: bx },
    py: 'torch.linalg.matrix_power(x, 3)',
    js: ({ x }) => L.matrixPower(x!, 3),
  });
  c('matrix_power 0', { inputs: { x }, py: 'torch.linalg.matrix_power(x, 0)', js: ({ x }) => L.matrixPower(x!, 0) });
  c('matrix_power -2', { inputs: { a }, py: 'torch.linalg.matrix_power(a, -2)', js: ({ a }) => L.matrixPower(a!, -2) });
  c('tensor.matrix_power', { inputs: { x }, py: 'x.matrix_power(2)', js: ({ x }) => x!.matrixPower(2) });
  c('matrix_exp', { inputs: { x: bx }, py: 'torch.linalg.matrix_exp(x)', js: ({ x }) => L.matrixExp(x!) });
  c('torch.matrix_exp and tensor.matrix_exp', {
    inputs: { x },
    py: 'torch.matrix_exp(x) + (x * 3).matrix_exp()',
    js: ({ x }) => torch.matrixExp(x!).add(x!.mul(3).matrixExp()),
  });

  // ---- norms and condition numbers
  c('norm default (Frobenius / 2-norm of the flattened)', {
    inputs: { x: bx },
    py: 'torch.linalg.norm(x)',
    js: ({ x }) => L.norm(x!),
  });
  c('norm of a vector', { inputs: { v }, py: 'torch.linalg.norm(v)', js: ({ v }) => L.norm(v!) });
  for (const [ord, pyOrd] of [
    ['fro', "'fro'"],
    ['nuc', "'nuc'"],
    [Infinity, "float('inf')"],
    [-Infinity, "float('-inf')"],
    [1, '1'],
    [-1, '-1'],
    [2, '2'],
    [-2, '-2'],
  ] as [string | number, string][]) {
    c(`norm matrix ord=${ord}`, {
      inputs: { x },
      py: `torch.linalg.norm(x, ${pyOrd})`,
      js: ({ x }) => (typeof ord === 'string' ? L.norm(x!, ord) : L.norm(x!, ord)),
    });
    c(`matrix_norm ord=${ord} batched keepdim`, {
      inputs: { x: bx },
      py: `torch.linalg.matrix_norm(x, ${pyOrd}, keepdim=True)`,
      js: ({ x }) =>
        typeof ord === 'string'
          ? L.matrixNorm(x!, ord, undefined, { keepdim: true })
          : L.matrixNorm(x!, ord, undefined, { keepdim: true }),
    });
  }
  c('norm ord=3 dim', { inputs: { x }, py: 'torch.linalg.norm(x, 3, 1)', js: ({ x }) => L.norm(x!, 3, 1) });
  c('norm dims keepdim', {
    inputs: { x: bx },
    py: "torch.linalg.norm(x, 'fro', (0, 2), keepdim=True)",
    js: ({ x }) => L.norm(x!, 'fro', [0, 2], { keepdim: true }),
  });
  c('norm ord=None dim', { inputs: { x: bx }, py: 'torch.linalg.norm(x, dim=2)', js: ({ x }) => L.norm(x!, null, 2) });
  c('matrix_norm default is Frobenius', {
    inputs: { x: bx },
    py: 'torch.linalg.matrix_norm(x)',
    js: ({ x }) => L.matrixNorm(x!),
  });
  c('matrix_norm dim', {
    inputs: { x: bx },
    py: 'torch.linalg.matrix_norm(x, 1, dim=(0, 2))',
    js: ({ x }) => L.matrixNorm(x!, 1, [0, 2]),
  });
  for (const [ord, pyOrd] of [
    [2, '2'],
    [1, '1'],
    [0, '0'],
    [3.5, '3.5'],
    [Infinity, "float('inf')"],
    [-Infinity, "float('-inf')"],
  ] as [number, string][]) {
    c(`vector_norm ord=${ord}`, {
      inputs: { x: bx },
      py: `torch.linalg.vector_norm(x, ${pyOrd})`,
      js: ({ x }) => L.vectorNorm(x!, ord),
    });
  }
  c('vector_norm dims keepdim', {
    inputs: { x: bx },
    py: 'torch.linalg.vector_norm(x, 2, (1, 2), keepdim=True)',
    js: ({ x }) => L.vectorNorm(x!, 2, [1, 2], { keepdim: true }),
  });
  c('vector_norm dtype', {
    inputs: { x: f32(X33) },
    py: 'torch.linalg.vector_norm(x, 1, 0, dtype=torch.float64)',
    js: ({ x }) => L.vectorNorm(x!, 1, 0, { dtype: 'float64' }),
  });
  c('vector_norm default', { inputs: { x: bx }, py: 'torch.linalg.vector_norm(x)', js: ({ x }) => L.vectorNorm(x!) });
  for (const [p, pyP] of [
    [null, 'None'],
    ['fro', "'fro'"],
    ['nuc', "'nuc'"],
    [Infinity, "float('inf')"],
    [1, '1'],
    [-2, '-2'],
  ] as [string | number | null, string][]) {
    c(`cond p=${p}`, {
      inputs: { a: ba },
      py: `torch.linalg.cond(a, ${pyP})`,
      js: ({ a }) => (typeof p === 'string' ? L.cond(a!, p) : L.cond(a!, p)),
      rtol: 1e-10,
      // PyTorch 2.13's backward of cond for these p fails ("modified by an inplace operation")
      grad: p === null || p === -2,
    });
  }
  c('cond default', { inputs: { x }, py: 'torch.linalg.cond(x)', js: ({ x }) => L.cond(x!), rtol: 1e-10 });

  // ---- products and structure
  c('cross', {
    inputs: { u: f64(g.randn([4, 3]), true), w: f64(g.randn([4, 3]), true) },
    py: 'torch.linalg.cross(u, w)',
    js: ({ u, w }) => L.cross(u!, w!),
  });
  c('cross dim=0 broadcast', {
    inputs: { u: f64(g.randn([3, 4]), true), w: f64(g.randn([3, 1]), true) },
    py: 'torch.linalg.cross(u, w, dim=0)',
    js: ({ u, w }) => L.cross(u!, w!, { dim: 0 }),
  });
  c('multi_dot', {
    inputs: { p: f64(g.randn([4]), true), q: x43, r: x35, s: f64(M52, true) },
    py: 'torch.linalg.multi_dot([p, q, r, s])',
    js: ({ p, q, r, s }) => L.multiDot([p!, q!, r!, s!]),
  });
  c('multi_dot of matrices', {
    inputs: { q: x43, r: x35, s: f64(M52, true) },
    py: 'torch.linalg.multi_dot([q, r, s])',
    js: ({ q, r, s }) => L.multiDot([q!, r!, s!]),
  });
  c('householder_product', {
    inputs: { x: x43, tau: f64(g.uniform([3], 0.5, 1.5), true) },
    py: 'torch.linalg.householder_product(x, tau)',
    js: ({ x, tau }) => L.householderProduct(x!, tau!),
  });
  c('tensorinv', {
    inputs: { t: f64(plusDiag(g.randn([6, 6]), 4), true) },
    py: 'torch.linalg.tensorinv(t.reshape(2, 3, 6), ind=2)',
    js: ({ t }) => L.tensorinv(t!.reshape([2, 3, 6]), { ind: 2 }),
  });
  c('tensorinv ind=1', {
    inputs: { t: f64(plusDiag(g.randn([6, 6]), 4), true) },
    py: 'torch.linalg.tensorinv(t.reshape(6, 2, 3), ind=1)',
    js: ({ t }) => L.tensorinv(t!.reshape([6, 2, 3]), { ind: 1 }),
  });
  c('tensorsolve', {
    inputs: { t: f64(plusDiag(g.randn([6, 6]), 4), true), y: f64(g.randn([2, 3]), true) },
    py: 'torch.linalg.tensorsolve(t.reshape(2, 3, 6), y)',
    js: ({ t, y }) => L.tensorsolve(t!.reshape([2, 3, 6]), y!),
  });
  c('tensorsolve dims', {
    inputs: { t: f64(plusDiag(g.randn([6, 6]), 4), true), y: f64(g.randn([2, 3]), true) },
    py: 'torch.linalg.tensorsolve(t.reshape(6, 2, 3), y, dims=(0,))',
    js: ({ t, y }) => L.tensorsolve(t!.reshape([6, 2, 3]), y!, { dims: [0] }),
  });
  c('vander', { inputs: { v }, py: 'torch.linalg.vander(v)', js: ({ v }) => L.vander(v!) });
  c('vander N batched', {
    inputs: { v: f64(g.randn([2, 3]), true) },
    py: 'torch.linalg.vander(v, N=5)',
    js: ({ v }) => L.vander(v!, { N: 5 }),
  });
  c('vander of int64', { inputs: { v: i64([1, 2, 3]) }, py: 'torch.linalg.vander(v)', js: ({ v }) => L.vander(v!) });
  c('linalg.diagonal', { inputs: { x: bx }, py: 'torch.linalg.diagonal(x)', js: ({ x }) => L.diagonal(x!) });
  c('linalg.diagonal offset dims', {
    inputs: { x: bx },
    py: 'torch.linalg.diagonal(x, offset=-1, dim1=0, dim2=2)',
    js: ({ x }) => L.diagonal(x!, { offset: -1, dim1: 0, dim2: 2 }),
  });

  // ---- triangular systems
  const U3 = f64(triangle(X33, true), true);
  const L3 = f64(triangle(BX33, false), true);
  c('solve_triangular upper', {
    inputs: { u: U3, b },
    py: 'torch.linalg.solve_triangular(u, b, upper=True)',
    js: ({ u, b }) => L.solveTriangular(u!, b!, { upper: true }),
  });
  c('solve_triangular lower batched, left=False, unitriangular', {
    inputs: { l: L3, b: f64(g.randn([2, 4, 3]), true) },
    py: 'torch.linalg.solve_triangular(l, b, upper=False, left=False, unitriangular=True)',
    js: ({ l, b }) => L.solveTriangular(l!, b!, { upper: false, left: false, unitriangular: true }),
  });
  c('triangular_solve', {
    inputs: { u: U3, b },
    py: 'torch.triangular_solve(b, u)',
    js: ({ u, b }) => torch.triangularSolve(b!, u!),
    grad: false,
  });
  c('tensor.triangular_solve lower transpose, solution grad', {
    inputs: { l: L3, b: bb },
    py: 'b.triangular_solve(l, upper=False, transpose=True).solution',
    js: ({ l, b }) => b!.triangularSolve(l!, { upper: false, transpose: true }).solution,
  });

  // ---- QR (the op that was already there)
  c('qr complete', {
    inputs: { x: x43 },
    py: "torch.linalg.qr(x, mode='complete')",
    js: ({ x }) => L.qr(x!, { mode: 'complete' }),
    grad: false,
  });
  c('qr R grad', { inputs: { x: bx43 }, py: 'torch.linalg.qr(x).R', js: ({ x }) => L.qr(x!).R });

  // ---- errors: JS Errors naming the op, where Python raises
  c('error: inv of a singular matrix', {
    inputs: {
      a: f64([
        [1, 2],
        [2, 4],
      ]),
    },
    py: 'torch.linalg.inv(a)',
    js: ({ a }) => L.inv(a!),
    expectError: /^Error: linalg_inv: linalg\.inv: The diagonal element 2 is zero.*singular/,
  });
  c('error: inv_ex with check_errors', {
    inputs: {
      a: f64([
        [1, 2],
        [2, 4],
      ]),
    },
    py: 'torch.linalg.inv_ex(a, check_errors=True)',
    js: ({ a }) => L.invEx(a!, { checkErrors: true }),
    expectError: /^Error: linalg_inv_ex: .*singular/,
  });
  c('error: solve with a singular matrix', {
    inputs: {
      a: f64([
        [1, 2],
        [2, 4],
      ]),
      b: f64([1, 1]),
    },
    py: 'torch.linalg.solve(a, b)',
    js: ({ a, b }) => L.solve(a!, b!),
    expectError: /^Error: linalg_solve: .*singular/,
  });
  c('error: torch.inverse of a singular matrix', {
    inputs: {
      a: f64([
        [1, 2],
        [2, 4],
      ]),
    },
    py: 'torch.inverse(a)',
    js: ({ a }) => torch.inverse(a!),
    expectError: /^Error: inverse: .*singular/,
  });
  c('error: det of a non-square matrix', {
    inputs: { x: f64(X43) },
    py: 'torch.linalg.det(x)',
    js: ({ x }) => L.det(x!),
    expectError: /^Error: linalg_det: linalg\.det: A must be batches of square matrices, but they are 4 by 3 matrices/,
  });
  c('error: inv of a non-square matrix', {
    inputs: { x: f64(X43) },
    py: 'torch.linalg.inv(x)',
    js: ({ x }) => L.inv(x!),
    expectError: /^Error: linalg_inv: .*square/,
  });
  c('error: inv of int64', {
    inputs: {
      a: i64([
        [1, 0],
        [0, 1],
      ]),
    },
    py: 'torch.linalg.inv(a)',
    js: ({ a }) => L.inv(a!),
    expectError: /^Error: linalg_inv: .*floating point.*Long/,
  });
  c('error: cholesky of an indefinite matrix', {
    inputs: {
      a: f64([
        [1, 2],
        [2, 1],
      ]),
    },
    py: 'torch.linalg.cholesky(a)',
    js: ({ a }) => L.cholesky(a!),
    expectError: /^Error: linalg_cholesky: .*not positive-definite \(the leading minor of order 2/,
  });
  c('error: eigh of int64', {
    inputs: {
      a: i64([
        [1, 0],
        [0, 1],
      ]),
    },
    py: 'torch.linalg.eigh(a)',
    js: ({ a }) => L.eigh(a!),
    expectError: /^Error: linalg_eigh: /,
  });
  c('error: solve with mismatched shapes', {
    inputs: { a: f64(A3), b: f64(g.randn([4, 2])) },
    py: 'torch.linalg.solve(a, b)',
    js: ({ a, b }) => L.solve(a!, b!),
    expectError: /^Error: linalg_solve: /,
  });
  c('error: cross of a dim of size 2', {
    inputs: { u: f64(M52), w: f64(M52) },
    py: 'torch.linalg.cross(u, w)',
    js: ({ u, w }) => L.cross(u!, w!),
    expectError: /^Error: linalg_cross: .*3/,
  });
  c('error: lu without pivoting on the CPU', {
    inputs: { x: f64(X33) },
    py: 'torch.linalg.lu(x, pivot=False)',
    js: ({ x }) => L.lu(x!, { pivot: false }),
    expectError: /^Error: linalg_lu: .*CPU/,
  });
  c('error: matrix_power of a non-square matrix', {
    inputs: { x: f64(X43) },
    py: 'torch.linalg.matrix_power(x, 2)',
    js: ({ x }) => L.matrixPower(x!, 2),
    expectError: /^Error: linalg_matrix_power: /,
  });
  c('error: norm with an unknown ord string', {
    inputs: { x: f64(X33) },
    py: "torch.linalg.norm(x, 'bad')",
    js: ({ x }) => L.norm(x!, 'bad'),
    expectError: /^Error: linalg_norm: /,
  });
  c('error: solve_triangular without upper is a TypeError', {
    inputs: { u: f64(X33), b: f64(B32) },
    py: 'torch.linalg.solve_triangular(u, b)',
    js: ({ u, b }) => L.solveTriangular(u!, b!, {} as { upper: boolean }),
    expectError: /^TypeError: linalg\.solveTriangular: the option 'upper'/,
  });
  return cases;
}

/** float32: the same kernels as PyTorch's, so the same bits (atol = rtol = 0) where noted. */
function cases32(): Case[] {
  const g = generators(16180);
  const cases: Case[] = [];
  const X = g.randn([2, 4, 4]);
  const A = plusDiag(X, 4);
  const B = g.randn([2, 4, 3]);
  const V = g.randn([5, 4]);
  const bits = { rtol: 0, atol: 0 };
  const c = (name: string, x: Omit<Case, 'name'>, tol: { rtol?: number; atol?: number } = bits) =>
    cases.push({ name: `${name} [float32]`, ...tol, ...x });
  const a = f32(A, true);
  const x = f32(X, true);
  const b = f32(B, true);
  const v = f32(V, true);

  c('inv', { inputs: { a }, py: 'torch.linalg.inv(a)', js: ({ a }) => L.inv(a!) });
  c('det', { inputs: { x }, py: 'torch.linalg.det(x)', js: ({ x }) => L.det(x!) });
  c('slogdet', { inputs: { x }, py: 'torch.linalg.slogdet(x)', js: ({ x }) => L.slogdet(x!), grad: false });
  c('solve', { inputs: { a, b }, py: 'torch.linalg.solve(a, b)', js: ({ a, b }) => L.solve(a!, b!) });
  c('cholesky', {
    inputs: { x },
    py: 'torch.linalg.cholesky(x @ x.mT + 4 * torch.eye(4))',
    js: ({ x }) => L.cholesky(x!.matmul(x!.transpose(-2, -1)).add(torch.eye(4).mul(4))),
  });
  c('eigh', {
    inputs: { x },
    py: 'torch.linalg.eigh(x + x.mT)',
    js: ({ x }) => L.eigh(x!.add(x!.transpose(-2, -1))),
    grad: false,
  });
  c('eigvalsh', {
    inputs: { x },
    py: 'torch.linalg.eigvalsh(x + x.mT)',
    js: ({ x }) => L.eigvalsh(x!.add(x!.transpose(-2, -1))),
  });
  c('svd', { inputs: { x }, py: 'torch.linalg.svd(x)', js: ({ x }) => L.svd(x!), grad: false });
  c('svdvals', { inputs: { x }, py: 'torch.linalg.svdvals(x)', js: ({ x }) => L.svdvals(x!) });
  c('lu_factor', { inputs: { x }, py: 'torch.linalg.lu_factor(x)', js: ({ x }) => L.luFactor(x!), grad: false });
  c('pinv', { inputs: { v }, py: 'torch.linalg.pinv(v)', js: ({ v }) => L.pinv(v!) });
  c('matrix_exp', { inputs: { x }, py: 'torch.linalg.matrix_exp(x)', js: ({ x }) => L.matrixExp(x!) });
  c('matrix_power -3', { inputs: { a }, py: 'torch.linalg.matrix_power(a, -3)', js: ({ a }) => L.matrixPower(a!, -3) });
  c('norm nuc', { inputs: { x }, py: "torch.linalg.norm(x, 'nuc', (1, 2))", js: ({ x }) => L.norm(x!, 'nuc', [1, 2]) });
  c('matrix_norm 2', { inputs: { x }, py: 'torch.linalg.matrix_norm(x, 2)', js: ({ x }) => L.matrixNorm(x!, 2) });
  c('vector_norm 3', {
    inputs: { x },
    py: 'torch.linalg.vector_norm(x, 3, -1)',
    js: ({ x }) => L.vectorNorm(x!, 3, -1),
  });
  c('cond', { inputs: { a }, py: 'torch.linalg.cond(a)', js: ({ a }) => L.cond(a!), grad: false });
  // MKL's gelsy rounds differently with the address of its (cloned) input, in Python as here:
  // not bit-exact, 1 ulp apart.
  c(
    'lstsq',
    {
      inputs: { v, y: f32(g.randn([5, 2])) },
      py: 'torch.linalg.lstsq(v, y).solution',
      js: ({ v, y }) => L.lstsq(v!, y!).solution,
    },
    { rtol: 1e-6, atol: 1e-6 },
  );
  c('multi_dot', {
    inputs: { v, a },
    py: 'torch.linalg.multi_dot([v, a[0], a[1]])',
    js: ({ v, a }) => L.multiDot([v!, a!.select(0, 0), a!.select(0, 1)]),
  });
  c('solve_triangular', {
    inputs: { u: f32(triangle(X, true), true), b },
    py: 'torch.linalg.solve_triangular(u, b, upper=True)',
    js: ({ u, b }) => L.solveTriangular(u!, b!, { upper: true }),
  });
  return cases;
}

// Python runs at 1 thread; so does this file, so that MKL sums in the same order (float32 bits).
let threads = 0;
before(() => {
  threads = torch.getNumThreads();
  torch.setNumThreads(1);
});
after(() => {
  if (threads) torch.setNumThreads(threads);
});

paritySuite('parity: torch.linalg', {
  float64: cases64(),
  float32: cases32(),
});
