// torch.nn: modules (state) over nn.functional (math), as in PyTorch.
export * as functional from './functional.js';
export * as init from './init.js';
export {
  type ForwardHook,
  type ForwardPreHook,
  type LoadResult,
  Module,
  type RemovableHandle,
  type StateDict,
} from './module.js';
export {
  type AttentionCallOptions,
  CELU,
  ELU,
  GELU,
  GLU,
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  LeakyReLU,
  LogSigmoid,
  LogSoftmax,
  Mish,
  MultiheadAttention,
  type MultiheadAttentionOptions,
  PReLU,
  ReLU,
  ReLU6,
  SELU,
  Sigmoid,
  SiLU,
  Softmax,
  Softmin,
  Softplus,
  Softsign,
  Tanh,
  Tanhshrink,
  Threshold,
} from './modules/activation.js';
export { BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './modules/batchnorm.js';
export { ChannelShuffle } from './modules/channelshuffle.js';
export {
  ModuleDict,
  ModuleList,
  ParameterDict,
  type ParameterDictInit,
  ParameterList,
  Sequential,
} from './modules/container.js';
export { Conv1d, Conv2d, type ConvOptions, ConvTranspose2d, type PaddingMode } from './modules/conv.js';
export { Dropout } from './modules/dropout.js';
export { Flatten, Unflatten } from './modules/flatten.js';
export { Bilinear, type FactoryOptions, Identity, Linear } from './modules/linear.js';
export {
  BCELoss,
  BCEWithLogitsLoss,
  CosineEmbeddingLoss,
  CrossEntropyLoss,
  GaussianNLLLoss,
  HuberLoss,
  KLDivLoss,
  L1Loss,
  MarginRankingLoss,
  MSELoss,
  NLLLoss,
  PoissonNLLLoss,
  SmoothL1Loss,
  SoftMarginLoss,
} from './modules/loss.js';
export { GroupNorm, LayerNorm } from './modules/normalization.js';
export {
  ConstantPad1d,
  ConstantPad2d,
  ConstantPad3d,
  ReflectionPad1d,
  ReflectionPad2d,
  ReflectionPad3d,
  ReplicationPad1d,
  ReplicationPad2d,
  ReplicationPad3d,
  ZeroPad1d,
  ZeroPad2d,
  ZeroPad3d,
} from './modules/padding.js';
export { PixelShuffle, PixelUnshuffle } from './modules/pixelshuffle.js';
export {
  AdaptiveAvgPool2d,
  AdaptiveMaxPool2d,
  AvgPool1d,
  AvgPool2d,
  MaxPool1d,
  MaxPool2d,
} from './modules/pooling.js';
export {
  GRU,
  GRUCell,
  LSTM,
  LSTMCell,
  type LSTMOptions,
  RNN,
  RNNBase,
  type RNNBaseOptions,
  RNNCell,
  RNNCellBase,
  type RNNMode,
  type RNNNonlinearity,
  type RNNOptions,
} from './modules/rnn.js';
export { Embedding } from './modules/sparse.js';
export { TransformerEncoderLayer, type TransformerEncoderLayerOptions } from './modules/transformer.js';
export {
  type InterpolationMode,
  Upsample,
  type UpsampleOptions,
  UpsamplingBilinear2d,
  UpsamplingNearest2d,
} from './modules/upsampling.js';
export { Parameter } from './parameter.js';
export * as utils from './utils/index.js';
