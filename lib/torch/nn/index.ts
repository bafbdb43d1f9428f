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
  GELU,
  LeakyReLU,
  MultiheadAttention,
  type MultiheadAttentionOptions,
  ReLU,
  Sigmoid,
  SiLU,
  Softmax,
  Tanh,
} from './modules/activation.js';
export { BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './modules/batchnorm.js';
export { ModuleDict, ModuleList, Sequential } from './modules/container.js';
export { Conv1d, Conv2d, type ConvOptions, ConvTranspose2d, type PaddingMode } from './modules/conv.js';
export { Dropout } from './modules/dropout.js';
export { Flatten, Unflatten } from './modules/flatten.js';
export { Bilinear, type FactoryOptions, Identity, Linear } from './modules/linear.js';
export { BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss } from './modules/loss.js';
export { GroupNorm, LayerNorm } from './modules/normalization.js';
export { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from './modules/pooling.js';
export { Embedding } from './modules/sparse.js';
export { TransformerEncoderLayer, type TransformerEncoderLayerOptions } from './modules/transformer.js';
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
export { Parameter } from './parameter.js';
export * as utils from './utils/index.js';
