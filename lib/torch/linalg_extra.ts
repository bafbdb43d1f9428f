// The rest of torch.linalg (spread into linalg.ts): the LDL factorisation, the `_ex` forms that
// report errors in `info` instead of throwing, and linalg.matmul (torch.matmul by another name).
import {
  linalgLdlFactor,
  linalgLdlFactorEx,
  linalgLdlSolve,
  linalgLuFactorEx,
  linalgMatmul,
  linalgSolveEx,
} from '../generated/namespaces.js';

export const linalgExtra = {
  ldlFactor: linalgLdlFactor,
  ldlFactorEx: linalgLdlFactorEx,
  ldlSolve: linalgLdlSolve,
  luFactorEx: linalgLuFactorEx,
  matmul: linalgMatmul,
  solveEx: linalgSolveEx,
};
