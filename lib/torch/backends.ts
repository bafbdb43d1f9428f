// torch.backends: switches between kernels that compute the same op, as PyTorch's
// torch.backends.mkldnn.enabled and the like do.
import { native } from '../binding.js';
import {
  $_cublas_allow_bf16_reduction,
  $_cublas_allow_fp16_reduction,
  $_cublas_allow_tf32,
  $_cudnn_allow_tf32,
  $_cudnn_benchmark,
  $_cudnn_deterministic,
  $_cudnn_enabled,
  $_cudnn_version,
  $_set_cublas_allow_bf16_reduction,
  $_set_cublas_allow_fp16_reduction,
  $_set_cublas_allow_tf32,
  $_set_cudnn_allow_tf32,
  $_set_cudnn_benchmark,
  $_set_cudnn_deterministic,
  $_set_cudnn_enabled,
} from '../generated/impl.js';

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

/** A boolean switch's setter argument, or the TypeError that names the switch. */
function boolSetting(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new TypeError(
      `torch.backends.${name}: expected a boolean, got ${typeof value === 'string' ? `'${value}'` : String(value)}`,
    );
  }
  return value;
}

/**
 * PyTorch's torch.backends.cudnn: libtorch's own cuDNN switches (at::globalContext()), so CUDA
 * convolutions see them. They change nothing on the CPU. `version()` is the cuDNN this libtorch
 * was built with (e.g. 91002), null where it has none (the CPU builds).
 */
export const cudnn = {
  get enabled(): boolean {
    return $_cudnn_enabled(false);
  },
  set enabled(value: boolean) {
    $_set_cudnn_enabled(boolSetting('cudnn.enabled', value));
  },
  get benchmark(): boolean {
    return $_cudnn_benchmark(false);
  },
  set benchmark(value: boolean) {
    $_set_cudnn_benchmark(boolSetting('cudnn.benchmark', value));
  },
  get deterministic(): boolean {
    return $_cudnn_deterministic(false);
  },
  set deterministic(value: boolean) {
    $_set_cudnn_deterministic(boolSetting('cudnn.deterministic', value));
  },
  /** Whether cuDNN convolutions may use TF32 tensor cores for float32. */
  get allowTf32(): boolean {
    return $_cudnn_allow_tf32(false);
  },
  set allowTf32(value: boolean) {
    $_set_cudnn_allow_tf32(boolSetting('cudnn.allowTf32', value));
  },
  isAvailable(): boolean {
    return $_cudnn_version(false) >= 0;
  },
  version(): number | null {
    const v = $_cudnn_version(false);
    return v >= 0 ? v : null;
  },
};

/**
 * PyTorch's torch.backends.cuda.matmul (cuBLAS). `allowTf32` is the same libtorch state as
 * torch.setFloat32MatmulPrecision: true is precision 'high', false 'highest', and precision
 * 'high' or 'medium' read back as true. The reduced-precision reductions let fp16/bf16 matmuls
 * accumulate in their own dtype (PyTorch's defaults: allowed).
 */
export const cuda = {
  matmul: {
    get allowTf32(): boolean {
      return $_cublas_allow_tf32(false);
    },
    set allowTf32(value: boolean) {
      $_set_cublas_allow_tf32(boolSetting('cuda.matmul.allowTf32', value));
    },
    get allowFp16ReducedPrecisionReduction(): boolean {
      return $_cublas_allow_fp16_reduction(false);
    },
    set allowFp16ReducedPrecisionReduction(value: boolean) {
      $_set_cublas_allow_fp16_reduction(boolSetting('cuda.matmul.allowFp16ReducedPrecisionReduction', value));
    },
    get allowBf16ReducedPrecisionReduction(): boolean {
      return $_cublas_allow_bf16_reduction(false);
    },
    set allowBf16ReducedPrecisionReduction(value: boolean) {
      $_set_cublas_allow_bf16_reduction(boolSetting('cuda.matmul.allowBf16ReducedPrecisionReduction', value));
    },
  },
};
