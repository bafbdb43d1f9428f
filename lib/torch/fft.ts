// torch.fft: the transforms (libtorch's fft_* kernels, scripts/codegen/ops.table) and the
// real-valued helpers, under PyTorch's names. Arguments keep PyTorch's order: `n` (or `s` for the
// 2-D and n-D forms) and `dim` positional, `norm` ('backward' by default, 'forward', 'ortho') in
// the options: `fft.rfft(x)`, `fft.fft(x, 16)`, `fft.fft(x, null, 0, { norm: 'ortho' })`,
// `fft.fft(x, { norm: 'ortho' })`, `fft.irfft2(X, [8, 8])`, `fft.fftn(x, null, [1, 2])`.
// fft/ifft/fft2/ifft2/fftn/ifftn and ihfft* give complex tensors (complex64 for float32 input,
// complex128 for float64), rfft* too; irfft*, hfft* give real ones. Autograd goes through all of
// them. Reading complex values: torch.viewAsReal(X), X.real, X.imag, X.abs(), X.angle().
import {
  fftFft,
  fftFft2,
  fftFftfreq,
  fftFftn,
  fftFftshift,
  fftHfft,
  fftHfft2,
  fftHfftn,
  fftIfft,
  fftIfft2,
  fftIfftn,
  fftIfftshift,
  fftIhfft,
  fftIhfft2,
  fftIhfftn,
  fftIrfft,
  fftIrfft2,
  fftIrfftn,
  fftRfft,
  fftRfft2,
  fftRfftfreq,
  fftRfftn,
} from '../generated/namespaces.js';

export const fft = {
  fft: fftFft,
  ifft: fftIfft,
  rfft: fftRfft,
  irfft: fftIrfft,
  hfft: fftHfft,
  ihfft: fftIhfft,
  fft2: fftFft2,
  ifft2: fftIfft2,
  rfft2: fftRfft2,
  irfft2: fftIrfft2,
  hfft2: fftHfft2,
  ihfft2: fftIhfft2,
  fftn: fftFftn,
  ifftn: fftIfftn,
  rfftn: fftRfftn,
  irfftn: fftIrfftn,
  hfftn: fftHfftn,
  ihfftn: fftIhfftn,
  fftfreq: fftFftfreq,
  fftshift: fftFftshift,
  ifftshift: fftIfftshift,
  rfftfreq: fftRfftfreq,
};
