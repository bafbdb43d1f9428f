// torch-node/models: torchvision's model architectures, layer for layer, so that their state
// dicts load with strict key matching (`import { resnet50 } from 'torch-node/models'`).
export {
  BasicBlock,
  type Block,
  type BlockOptions,
  Bottleneck,
  conv1x1,
  conv3x3,
  type NormLayer,
  ResNet,
  type ResNetOptions,
  resnet18,
  resnet34,
  resnet50,
  resnet101,
  resnet152,
  resnext50_32x4d,
  resnext101_32x8d,
  resnext101_64x4d,
  wideResnet50_2,
  wideResnet101_2,
} from './resnet.js';
