// torch.fft: only the real-valued helpers. The transforms themselves (fft, rfft, ifft, hfft and
// their 2-D and n-D forms) take or give complex tensors, and torch-node has no complex dtype.
import { fftFftfreq, fftFftshift, fftIfftshift, fftRfftfreq } from '../generated/namespaces.js';

export const fft = {
  fftfreq: fftFftfreq,
  fftshift: fftFftshift,
  ifftshift: fftIfftshift,
  rfftfreq: fftRfftfreq,
};
