// The default floating-point dtype (torch.get_default_dtype): what creation ops and JS numbers
// without a dtype give. libtorch keeps its own copy (c10's), which the native factory ops and the
// promotion of JS numbers read; settings.ts sets both together, so this module only remembers it
// for the TypeScript side (torch.tensor's inference, printing) without a native call.
import type { DType } from './dtype.js';

let current: DType = 'float32';

export const defaultFloatDtype = (): DType => current;

/** The complex dtype that goes with the default float one, as PyTorch's default complex dtype. */
export const defaultComplexDtype = (): DType => (current === 'float64' ? 'complex128' : 'complex64');

/** Only settings.ts calls this, after libtorch accepted the same dtype. */
export function rememberDefaultFloatDtype(d: DType): void {
  current = d;
}
