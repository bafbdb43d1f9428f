// torch.linalg: the decompositions and norms that have a generated op.
import { linalgQr } from '../generated/functions.js';

export const linalg = { qr: linalgQr };
