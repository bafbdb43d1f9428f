// torch.nn: modules (state) over nn.functional (math), as in PyTorch.
export * as functional from './functional.js';
export * as init from './init.js';
export type { LinearCrossEntropyAccPolicy, LinearCrossEntropyOptions } from './linear_cross_entropy_options.js';
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
  Hardshrink,
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
  RReLU,
  SELU,
  Sigmoid,
  SiLU,
  Softmax,
  Softmax2d,
  Softmin,
  Softplus,
  Softshrink,
  Softsign,
  Tanh,
  Tanhshrink,
  Threshold,
} from './modules/activation.js';
export {
  AdaptiveLogSoftmaxWithLoss,
  type AdaptiveLogSoftmaxWithLossOptions,
  type ASMOutput,
} from './modules/adaptive.js';
export { BatchNorm1d, BatchNorm2d, BatchNorm3d, type BatchNormOptions } from './modules/batchnorm.js';
export { ChannelShuffle } from './modules/channelshuffle.js';
export {
  ModuleDict,
  ModuleList,
  ParameterDict,
  type ParameterDictInit,
  ParameterList,
  Sequential,
} from './modules/container.js';
export {
  Conv1d,
  Conv2d,
  Conv3d,
  type ConvOptions,
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
  type ConvTransposeOptions,
  type PaddingMode,
} from './modules/conv.js';
export { CrossMapLRN2d } from './modules/cross_map_lrn.js';
export { CosineSimilarity, PairwiseDistance } from './modules/distance.js';
export { AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout } from './modules/dropout.js';
export { Flatten, Unflatten } from './modules/flatten.js';
export { Fold, Unfold } from './modules/fold.js';
export { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, type InstanceNormOptions } from './modules/instancenorm.js';
export {
  isLazy,
  LazyBatchNorm1d,
  LazyBatchNorm2d,
  LazyBatchNorm3d,
  LazyConv1d,
  LazyConv2d,
  LazyConv3d,
  LazyConvTranspose1d,
  LazyConvTranspose2d,
  LazyConvTranspose3d,
  LazyInstanceNorm1d,
  LazyInstanceNorm2d,
  LazyInstanceNorm3d,
  LazyLinear,
  UninitializedBuffer,
  UninitializedParameter,
} from './modules/lazy.js';
export { Bilinear, type FactoryOptions, Identity, Linear } from './modules/linear.js';
export { LinearCrossEntropyLoss, type LinearCrossEntropyLossOptions } from './modules/linear_cross_entropy.js';
export {
  BCELoss,
  BCEWithLogitsLoss,
  CosineEmbeddingLoss,
  CrossEntropyLoss,
  CTCLoss,
  GaussianNLLLoss,
  HingeEmbeddingLoss,
  HuberLoss,
  KLDivLoss,
  L1Loss,
  MarginRankingLoss,
  MSELoss,
  MultiLabelMarginLoss,
  MultiLabelSoftMarginLoss,
  MultiMarginLoss,
  NLLLoss,
  PoissonNLLLoss,
  SmoothL1Loss,
  SoftMarginLoss,
  TripletMarginLoss,
  TripletMarginWithDistanceLoss,
} from './modules/loss.js';
export { GroupNorm, LayerNorm, LocalResponseNorm, RMSNorm } from './modules/normalization.js';
export {
  CircularPad1d,
  CircularPad2d,
  CircularPad3d,
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
  AdaptiveAvgPool1d,
  AdaptiveAvgPool2d,
  AdaptiveAvgPool3d,
  AdaptiveMaxPool1d,
  AdaptiveMaxPool2d,
  AdaptiveMaxPool3d,
  AvgPool1d,
  AvgPool2d,
  AvgPool3d,
  type AvgPoolModuleOptions,
  FractionalMaxPool2d,
  FractionalMaxPool3d,
  type FractionalMaxPoolModuleOptions,
  LPPool1d,
  LPPool2d,
  LPPool3d,
  MaxPool1d,
  MaxPool2d,
  MaxPool3d,
  type MaxPoolModuleOptions,
  MaxUnpool1d,
  MaxUnpool2d,
  MaxUnpool3d,
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
export { Embedding, EmbeddingBag, type EmbeddingBagMode, type EmbeddingBagOptions } from './modules/sparse.js';
export { SyncBatchNorm, type SyncBatchNormOptions } from './modules/sync_batchnorm.js';
export {
  Transformer,
  type TransformerActivation,
  type TransformerCallOptions,
  TransformerDecoder,
  type TransformerDecoderCallOptions,
  TransformerDecoderLayer,
  type TransformerDecoderLayerCallOptions,
  type TransformerDecoderLayerOptions,
  type TransformerDecoderOptions,
  TransformerEncoder,
  TransformerEncoderLayer,
  type TransformerEncoderLayerOptions,
  type TransformerEncoderOptions,
  type TransformerLayerOptions,
  type TransformerOptions,
} from './modules/transformer.js';
export {
  type InterpolationMode,
  Upsample,
  type UpsampleOptions,
  UpsamplingBilinear2d,
  UpsamplingNearest2d,
} from './modules/upsampling.js';
export { Parameter } from './parameter.js';
export * as utils from './utils/index.js';
