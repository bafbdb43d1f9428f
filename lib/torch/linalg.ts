// torch.linalg: libtorch's linalg_* kernels (scripts/codegen/ops.table), under PyTorch's names.
// eig and eigvals give complex results (complex64 for float32 input, complex128 for float64), as
// PyTorch's do; vecdot conjugates its first argument, which matters for complex ones. Every
// function here takes complex input too.
import {
  linalgCholesky,
  linalgCholeskyEx,
  linalgCond,
  linalgCross,
  linalgDet,
  linalgDiagonal,
  linalgEig,
  linalgEigh,
  linalgEigvals,
  linalgEigvalsh,
  linalgHouseholderProduct,
  linalgInv,
  linalgInvEx,
  linalgLdlFactor,
  linalgLdlFactorEx,
  linalgLdlSolve,
  linalgLstsq,
  linalgLu,
  linalgLuFactor,
  linalgLuFactorEx,
  linalgLuSolve,
  linalgMatmul,
  linalgMatrixExp,
  linalgMatrixNorm,
  linalgMatrixPower,
  linalgMatrixRank,
  linalgMultiDot,
  linalgNorm,
  linalgPinv,
  linalgQr,
  linalgSlogdet,
  linalgSolve,
  linalgSolveEx,
  linalgSolveTriangular,
  linalgSvd,
  linalgSvdvals,
  linalgTensorinv,
  linalgTensorsolve,
  linalgVander,
  linalgVecdot,
  linalgVectorNorm,
} from '../generated/namespaces.js';
import type { Tensor } from './tensor.js';

/**
 * torch.linalg.solve_triangular(A, B, *, upper, left=True, unitriangular=False): `upper` is
 * required, as in PyTorch, where it is keyword-only.
 */
function solveTriangular(
  A: Tensor,
  B: Tensor,
  options: { upper: boolean; left?: boolean; unitriangular?: boolean },
): Tensor {
  if (typeof options?.upper !== 'boolean') {
    throw new TypeError("linalg.solveTriangular: the option 'upper' (a boolean) is required, as in PyTorch");
  }
  return linalgSolveTriangular(A, B, options);
}

export const linalg = {
  cholesky: linalgCholesky,
  choleskyEx: linalgCholeskyEx,
  cond: linalgCond,
  cross: linalgCross,
  det: linalgDet,
  diagonal: linalgDiagonal,
  eig: linalgEig,
  eigh: linalgEigh,
  eigvals: linalgEigvals,
  eigvalsh: linalgEigvalsh,
  householderProduct: linalgHouseholderProduct,
  inv: linalgInv,
  invEx: linalgInvEx,
  lstsq: linalgLstsq,
  lu: linalgLu,
  luFactor: linalgLuFactor,
  luSolve: linalgLuSolve,
  matrixExp: linalgMatrixExp,
  matrixNorm: linalgMatrixNorm,
  matrixPower: linalgMatrixPower,
  matrixRank: linalgMatrixRank,
  multiDot: linalgMultiDot,
  norm: linalgNorm,
  pinv: linalgPinv,
  qr: linalgQr,
  slogdet: linalgSlogdet,
  solve: linalgSolve,
  solveTriangular,
  svd: linalgSvd,
  svdvals: linalgSvdvals,
  tensorinv: linalgTensorinv,
  tensorsolve: linalgTensorsolve,
  vander: linalgVander,
  vecdot: linalgVecdot,
  vectorNorm: linalgVectorNorm,
  ldlFactor: linalgLdlFactor,
  ldlFactorEx: linalgLdlFactorEx,
  ldlSolve: linalgLdlSolve,
  luFactorEx: linalgLuFactorEx,
  matmul: linalgMatmul,
  solveEx: linalgSolveEx,
};
