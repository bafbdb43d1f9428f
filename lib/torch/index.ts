// The `torch` namespace: `import * as torch from 'torch-node'`.
import '../generated/methods.js';
import './indexing.js';

export * from '../generated/functions.js';
export * as amp from './amp/index.js';
export { autocast } from './amp/index.js';
export { type AsarrayOptions, asarray, asTensor, frombuffer } from './as_tensor.js';
export {
  autograd,
  enableGrad,
  inferenceMode,
  isGradEnabled,
  isInferenceModeEnabled,
  noGrad,
  setGradEnabled,
} from './autograd.js';
export * as backends from './backends.js';
export * as cpu from './cpu.js';
export { fromBuffer, type Hold, scalarTensor, type TensorOptions, tensor } from './creation.js';
export * as cuda from './cuda.js';
export type { Device } from './device.js';
export * as distributed from './distributed/index.js';
export * as distributions from './distributions/index.js';
export * from './dtype.js';
export { fft } from './fft.js';
export { type PrintOptions, setPrintoptions } from './format.js';
export * as func from './func/index.js';
export {
  blockDiag,
  type CdistComputeMode,
  cartesianProd,
  cdist,
  chainMatmul,
  type MeshgridOptions,
  meshgrid,
  type TensordotDims,
  tensordot,
  type UniqueConsecutiveOptions,
  type UniqueOptions,
  unique,
  uniqueConsecutive,
} from './functional.js';
export { defaultGenerator, Generator, type GeneratorOptions } from './generator.js';
export { type GradientOptions, gradient } from './gradient.js';
export { type HistogramddOptions, type HistogramddResult, histogramdd } from './histogram.js';
export * as jit from './jit.js';
export { type Layout, sparseBsc, sparseBsr, sparseCoo, sparseCsc, sparseCsr, strided } from './layout.js';
export { keep, memory, scope } from './lifetime.js';
export { linalg } from './linalg.js';
export { lu } from './lu.js';
export type { MemoryFormat, Reduction } from './marshal.js';
// torch.* forms of nn.functional ops whose PyTorch signature lines up with the functional one
// (same positional arguments, the rest by keyword): the same functions. Those whose torch.* form
// orders its arguments otherwise (torch.batch_norm, torch.embedding, ...) are left out.
export {
  bilinear,
  celu_,
  conv1d,
  conv2d,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
  cosineSimilarity,
  groupNorm,
  layerNorm,
  maxPool2d,
  maxPool3d,
  rmsNorm,
  rrelu,
  rrelu_,
  selu_,
} from './nn/functional.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as profiler from './profiler/index.js';
export { canCast, promoteTypes, resultType } from './promotion.js';
// torch.random: the same functions, and forkRng (torch.random.fork_rng), which only lives there.
export * as random from './random.js';
export { getRngState, initialSeed, manualSeed, seed, setRngState } from './random.js';
export { load, loadSafetensors, type MapLocation, save, saveSafetensors } from './serialization/index.js';
export {
  areDeterministicAlgorithmsEnabled,
  type DeterministicDebugMode,
  type Float32MatmulPrecision,
  getDefaultDtype,
  getDeterministicDebugMode,
  getFloat32MatmulPrecision,
  isDeterministicAlgorithmsWarnOnlyEnabled,
  isWarnAlwaysEnabled,
  setDefaultDtype,
  setDeterministicDebugMode,
  setFloat32MatmulPrecision,
  setFlushDenormal,
  setWarnAlways,
  useDeterministicAlgorithms,
} from './settings.js';
export { broadcastShapes, unravelIndex } from './shape_helpers.js';
export * as signal from './signal/index.js';
export {
  type SparseCompressedTensorOptions,
  type SparseCooTensorOptions,
  type SparseData,
  type SparseMmReduce,
  type SparseTensorOptions,
  sparse,
  sparseBscTensor,
  sparseBsrTensor,
  sparseCompressedTensor,
  sparseCooTensor,
  sparseCscTensor,
  sparseCsrTensor,
  type ToSparseOptions,
} from './sparse.js';
export { special } from './special.js';
export { type IstftOptions, istft, type StftOptions, type StftPadMode, stft } from './spectral.js';
export { type BackwardOptions, Tensor, type ToOptions } from './tensor.js';
export {
  clone,
  detach,
  detach_,
  getDevice,
  isInference,
  isSameSize,
  isSigned,
  isTensor,
  numel,
} from './tensor_queries.js';
export { getNumThreads, setNumThreads } from './threads.js';
export * as utils from './utils/index.js';
export { buildInfo, version } from './version.js';
