// torch.linalg: libtorch's linalg_* kernels (scripts/codegen/ops.table), under PyTorch's names.
// Not here: eig and eigvals (their results are complex, and torch-node has no complex dtype).
import {
  linalgCholesky,
  linalgCholeskyEx,
  linalgCond,
  linalgCross,
  linalgDet,
  linalgDiagonal,
  linalgEigh,
  linalgEigvalsh,
  linalgHouseholderProduct,
  linalgInv,
  linalgInvEx,
  linalgLstsq,
  linalgLu,
  linalgLuFactor,
  linalgLuSolve,
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
  linalgSolveTriangular,
  linalgSvd,
  linalgSvdvals,
  linalgTensorinv,
  linalgTensorsolve,
  linalgVander,
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
  eigh: linalgEigh,
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
  vectorNorm: linalgVectorNorm,
};
