// torch.* forms of nn.functional ops whose PyTorch signature lines up with the functional one
// (same positional arguments, the rest by keyword), so they are the same functions here.
// Ones whose torch.* form orders its arguments differently (torch.batch_norm, torch.embedding,
// torch.binary_cross_entropy_with_logits, ...) are left out rather than aliased wrongly.
import {
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
};
