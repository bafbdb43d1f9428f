// torch.backends: switches between kernels that compute the same op, as PyTorch's
// torch.backends.mkldnn.enabled and the like do.
import { native } from '../binding.js';

/**
 * max_pool2d on the CPU (float32 and float64, contiguous NCHW input) by torch-node's
 * branch-free kernel, several times faster than libtorch's and equal to it bit for bit: the
 * same maxima, the same indices, the same gradients (native/max_pool.cpp says why it exists).
 * `enabled = false` sends every call to libtorch's kernel, to compare or to rule it out.
 */
export const fastMaxPool = {
  get enabled(): boolean {
    return native.fastMaxPool();
  },
  set enabled(value: boolean) {
    if (typeof value !== 'boolean') throw new TypeError('torch.backends.fastMaxPool.enabled: expected a boolean');
    native.fastMaxPool(value);
  },
};

let mhaFastpath = true;

/**
 * PyTorch's torch.backends.mha: whether the Transformer layers take their inference fast paths.
 * The one whose values differ from the plain layers is TransformerEncoder's nested-tensor path
 * (eval, batch first, a key padding mask only, no gradient): it runs each sequence's unpadded
 * tokens and gives zeros at the padded positions. Off, the layers run as in training.
 */
export const mha = {
  getFastpathEnabled(): boolean {
    return mhaFastpath;
  },
  setFastpathEnabled(value: boolean): void {
    if (typeof value !== 'boolean') throw new TypeError('torch.backends.mha.setFastpathEnabled: expected a boolean');
    mhaFastpath = value;
  },
};
