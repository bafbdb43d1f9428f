// Lower triangles of square matrices to vectors in row order and back (PyTorch's
// tril_matrix_to_vec and vec_to_tril_matrix): pure gathers and scatters, so values pass through
// unchanged and gradients flow both ways.
import { arange, zeros } from '../../generated/functions.js';
import type { Tensor } from '../tensor.js';
import { shapeString } from './utils.js';

/** The n x n mask of the entries on or below diagonal `diag`. */
function trilMask(n: number, diag: number, like: Tensor): Tensor {
  const r = arange(n, { device: like.device });
  return r.lt(r.view([-1, 1]).add(diag + 1));
}

/** The entries on or below diagonal `diag` of the last two dimensions, row by row. */
export function trilMatrixToVec(mat: Tensor, diag = 0): Tensor {
  const n = mat.size(-1);
  if (diag < -n || diag >= n) throw new Error(`trilMatrixToVec: diag (${diag}) is outside [${-n}, ${n - 1}]`);
  const index = trilMask(n, diag, mat).reshape([-1]).nonzero().reshape([-1]);
  return mat.reshape([...mat.shape.slice(0, -2), n * n]).indexSelect(-1, index);
}

/** Square matrices whose entries on or below diagonal `diag` are `vec`'s, row by row; zeros elsewhere. */
export function vecToTrilMatrix(vec: Tensor, diag = 0): Tensor {
  const len = vec.size(-1);
  const n = (-(1 + 2 * diag) + Math.sqrt((1 + 2 * diag) ** 2 + 8 * len + 4 * Math.abs(diag) * (diag + 1))) / 2;
  const size = Math.round(n);
  if (Math.abs(size - n) > 1e-9) {
    throw new Error(
      `vecToTrilMatrix: the size of the last dimension of ${shapeString(vec.shape)} is ${len}, which cannot be expressed as the lower triangular part of a square matrix`,
    );
  }
  const mat = zeros([...vec.shape.slice(0, -1), size, size], { dtype: vec.dtype, device: vec.device });
  return mat.maskedScatter(trilMask(size, diag, vec).expandAs(mat), vec.contiguous());
}
