// ResNets built exactly as torchvision.models.resnet builds them: the same submodule names
// (conv1, bn1, relu, maxpool, layer1..layer4 as Sequentials of blocks, each block's downsample a
// Sequential(conv1x1, norm), avgpool, fc), in the same order, with the same shapes, so a
// torchvision state dict loads here with strict key matching and gives the same outputs. As in
// torchvision, Bottleneck puts the stride on its 3x3 convolution (ResNet v1.5), `groups` and
// `widthPerGroup` make ResNeXts and wide ResNets, and the weights start as torchvision's do:
// kaiming-normal (fan_out, relu) convolutions, norm layers at weight 1 and bias 0, the Linear's
// own default, and optionally each residual branch's last norm at 0 (`zeroInitResidual`).
//
// Pretrained weights are not downloaded: save torchvision's state dict in Python with
// `torch.save(model.state_dict(), path)` and load it here with
// `model.loadStateDict(torch.load(path) as StateDict)`.
import { nn, type Tensor } from '../torch/index.js';

type Module = nn.Module;

/** A norm layer over `numFeatures` channels of an (N, C, H, W) input, as torchvision's `norm_layer`. */
export type NormLayer = (numFeatures: number) => Module & { forward(input: Tensor): Tensor };

const defaultNorm: NormLayer = (n) => new nn.BatchNorm2d(n);

export interface BlockOptions {
  /** The stride of the block's first 3x3 convolution (and of its downsample), default 1. */
  stride?: number;
  /** The shortcut's projection when the block changes shape; null (default) for the identity. */
  downsample?: nn.Sequential | null;
  groups?: number;
  /** Channels per group of the 3x3 convolution, at 64 for standard width (torchvision's base_width). */
  baseWidth?: number;
  dilation?: number;
  normLayer?: NormLayer;
}

/** A 3x3 convolution with padding, no bias (torchvision's conv3x3). */
export function conv3x3(
  inPlanes: number,
  outPlanes: number,
  options?: { stride?: number; groups?: number; dilation?: number },
): nn.Conv2d {
  const dilation = options?.dilation ?? 1;
  const [stride, groups] = [options?.stride ?? 1, options?.groups ?? 1];
  return new nn.Conv2d(inPlanes, outPlanes, 3, { stride, padding: dilation, groups, bias: false, dilation });
}

/** A 1x1 convolution, no bias (torchvision's conv1x1). */
export function conv1x1(inPlanes: number, outPlanes: number, options?: { stride?: number }): nn.Conv2d {
  return new nn.Conv2d(inPlanes, outPlanes, 1, { stride: options?.stride ?? 1, bias: false });
}

/** Two 3x3 convolutions and a shortcut (ResNet-18/34). */
export class BasicBlock extends nn.Module {
  static readonly expansion: number = 1;
  // Declared in torchvision's order, which is the state dict's.
  conv1: nn.Conv2d;
  bn1: Module & { forward(input: Tensor): Tensor };
  relu: nn.ReLU;
  conv2: nn.Conv2d;
  bn2: Module & { forward(input: Tensor): Tensor };
  downsample: nn.Sequential | null;
  readonly stride: number;

  constructor(inplanes: number, planes: number, options?: BlockOptions) {
    super();
    const norm = options?.normLayer ?? defaultNorm;
    if ((options?.groups ?? 1) !== 1 || (options?.baseWidth ?? 64) !== 64) {
      throw new Error('BasicBlock only supports groups=1 and baseWidth=64');
    }
    if ((options?.dilation ?? 1) > 1) throw new Error('Dilation > 1 not supported in BasicBlock');
    this.stride = options?.stride ?? 1;
    // Both conv1 and downsample downsample the input when stride != 1.
    this.conv1 = conv3x3(inplanes, planes, { stride: this.stride });
    this.bn1 = norm(planes);
    this.relu = new nn.ReLU();
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = norm(planes);
    this.downsample = options?.downsample ?? null;
  }

  forward(x: Tensor): Tensor {
    let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    out = this.bn2.forward(this.conv2.forward(out));
    const identity = this.downsample ? (this.downsample.forward(x) as Tensor) : x;
    out.add_(identity);
    return this.relu.forward(out);
  }
}

/**
 * 1x1, 3x3, 1x1 convolutions and a shortcut (ResNet-50 and deeper), with the stride on the 3x3
 * convolution as in torchvision (ResNet v1.5; the paper puts it on the first 1x1).
 */
export class Bottleneck extends nn.Module {
  static readonly expansion: number = 4;
  conv1: nn.Conv2d;
  bn1: Module & { forward(input: Tensor): Tensor };
  conv2: nn.Conv2d;
  bn2: Module & { forward(input: Tensor): Tensor };
  conv3: nn.Conv2d;
  bn3: Module & { forward(input: Tensor): Tensor };
  relu: nn.ReLU;
  downsample: nn.Sequential | null;
  readonly stride: number;

  constructor(inplanes: number, planes: number, options?: BlockOptions) {
    super();
    const norm = options?.normLayer ?? defaultNorm;
    const groups = options?.groups ?? 1;
    const width = Math.trunc(planes * ((options?.baseWidth ?? 64) / 64)) * groups;
    this.stride = options?.stride ?? 1;
    // Both conv2 and downsample downsample the input when stride != 1.
    this.conv1 = conv1x1(inplanes, width);
    this.bn1 = norm(width);
    this.conv2 = conv3x3(width, width, { stride: this.stride, groups, dilation: options?.dilation ?? 1 });
    this.bn2 = norm(width);
    this.conv3 = conv1x1(width, planes * Bottleneck.expansion);
    this.bn3 = norm(planes * Bottleneck.expansion);
    this.relu = new nn.ReLU();
    this.downsample = options?.downsample ?? null;
  }

  forward(x: Tensor): Tensor {
    let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    out = this.relu.forward(this.bn2.forward(this.conv2.forward(out)));
    out = this.bn3.forward(this.conv3.forward(out));
    const identity = this.downsample ? (this.downsample.forward(x) as Tensor) : x;
    out.add_(identity);
    return this.relu.forward(out);
  }
}

export type Block = typeof BasicBlock | typeof Bottleneck;

export interface ResNetOptions {
  /** Outputs of the final Linear (default 1000). */
  numClasses?: number;
  /**
   * Starts the last norm layer of each residual branch (bn2 of a BasicBlock, bn3 of a
   * Bottleneck) at weight 0, so that each block starts as the identity (default false).
   */
  zeroInitResidual?: boolean;
  /** Groups of each Bottleneck's 3x3 convolution (32 for ResNeXt-50 32x4d; default 1). */
  groups?: number;
  /** Channels per group at the first stage (default 64; 128 for the wide ResNets). */
  widthPerGroup?: number;
  /**
   * For layer2, layer3, layer4: whether to replace the stage's stride of 2 with a dilation
   * (output stride 16 or 8, as segmentation backbones do). Bottleneck only.
   */
  replaceStrideWithDilation?: [boolean, boolean, boolean] | boolean[];
  /** The norm layer after each convolution (default BatchNorm2d). */
  normLayer?: NormLayer;
}

/** torchvision's ResNet: a stem, four stages of residual blocks, global average pooling, a Linear. */
export class ResNet extends nn.Module {
  conv1: nn.Conv2d;
  bn1: Module & { forward(input: Tensor): Tensor };
  relu: nn.ReLU;
  maxpool: nn.MaxPool2d;
  layer1: nn.Sequential;
  layer2: nn.Sequential;
  layer3: nn.Sequential;
  layer4: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  fc: nn.Linear;
  readonly groups: number;
  readonly baseWidth: number;
  private inplanes = 64;
  private dilation = 1;
  private readonly normLayer: NormLayer;

  /** `layers`: how many blocks each of the four stages has ([2, 2, 2, 2] for ResNet-18). */
  constructor(block: Block, layers: number[], options?: ResNetOptions) {
    super();
    if (layers.length !== 4) throw new Error(`ResNet: layers should list 4 stage depths, got [${layers.join(', ')}]`);
    const dilate = options?.replaceStrideWithDilation ?? [false, false, false];
    if (dilate.length !== 3) {
      throw new Error(`replaceStrideWithDilation should be undefined or a 3-element array, got [${dilate.join(', ')}]`);
    }
    this.normLayer = options?.normLayer ?? defaultNorm;
    this.groups = options?.groups ?? 1;
    this.baseWidth = options?.widthPerGroup ?? 64;
    this.conv1 = new nn.Conv2d(3, this.inplanes, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = this.normLayer(this.inplanes);
    this.relu = new nn.ReLU();
    this.maxpool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
    this.layer1 = this.makeLayer(block, 64, layers[0] as number);
    this.layer2 = this.makeLayer(block, 128, layers[1] as number, 2, dilate[0]);
    this.layer3 = this.makeLayer(block, 256, layers[2] as number, 2, dilate[1]);
    this.layer4 = this.makeLayer(block, 512, layers[3] as number, 2, dilate[2]);
    this.avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
    this.fc = new nn.Linear(512 * block.expansion, options?.numClasses ?? 1000);

    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) {
        nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      } else if (m instanceof nn.BatchNorm2d || m instanceof nn.GroupNorm) {
        if (m.weight) nn.init.constant_(m.weight, 1);
        if (m.bias) nn.init.constant_(m.bias, 0);
      }
    }
    // Zero-initialise the last norm of each residual branch, so that each block starts as the
    // identity (https://arxiv.org/abs/1706.02677).
    if (options?.zeroInitResidual) {
      for (const m of this.modules()) {
        const last = m instanceof Bottleneck ? m.bn3 : m instanceof BasicBlock ? m.bn2 : null;
        const weight = (last as { weight?: unknown } | null)?.weight;
        if (weight instanceof nn.Parameter) nn.init.constant_(weight, 0);
      }
    }
  }

  private makeLayer(block: Block, planes: number, blocks: number, stride = 1, dilate = false): nn.Sequential {
    let downsample: nn.Sequential | null = null;
    const previousDilation = this.dilation;
    if (dilate) {
      this.dilation *= stride;
      stride = 1;
    }
    const out = planes * block.expansion;
    if (stride !== 1 || this.inplanes !== out) {
      downsample = new nn.Sequential(conv1x1(this.inplanes, out, { stride }), this.normLayer(out));
    }
    const common = { groups: this.groups, baseWidth: this.baseWidth, normLayer: this.normLayer };
    const layers: nn.Module[] = [
      new block(this.inplanes, planes, { stride, downsample, dilation: previousDilation, ...common }),
    ];
    this.inplanes = out;
    for (let i = 1; i < blocks; i++) {
      layers.push(new block(this.inplanes, planes, { dilation: this.dilation, ...common }));
    }
    return new nn.Sequential(...layers);
  }

  /** (N, 3, H, W) images to (N, numClasses) logits. */
  forward(x: Tensor): Tensor {
    x = this.maxpool.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x))));
    x = this.layer1.forward(x) as Tensor;
    x = this.layer2.forward(x) as Tensor;
    x = this.layer3.forward(x) as Tensor;
    x = this.layer4.forward(x) as Tensor;
    x = this.avgpool.forward(x).flatten(1);
    return this.fc.forward(x);
  }
}

// torchvision's _ovewrite_named_param: a builder's fixed value may be passed again, not changed.
function fixed(
  options: ResNetOptions | undefined,
  values: Partial<Pick<ResNetOptions, 'groups' | 'widthPerGroup'>>,
  fn: string,
): ResNetOptions {
  const out: ResNetOptions = { ...options };
  for (const [k, v] of Object.entries(values) as ['groups' | 'widthPerGroup', number][]) {
    const given = options?.[k];
    if (given !== undefined && given !== v) {
      throw new Error(`${fn}: the option '${k}' is ${v} for this model, got ${given}`);
    }
    out[k] = v;
  }
  return out;
}

/** ResNet-18 (11.7M parameters with 1000 classes). */
export const resnet18 = (options?: ResNetOptions): ResNet => new ResNet(BasicBlock, [2, 2, 2, 2], options);
/** ResNet-34 (21.8M parameters). */
export const resnet34 = (options?: ResNetOptions): ResNet => new ResNet(BasicBlock, [3, 4, 6, 3], options);
/** ResNet-50 v1.5 (25.6M parameters). */
export const resnet50 = (options?: ResNetOptions): ResNet => new ResNet(Bottleneck, [3, 4, 6, 3], options);
/** ResNet-101 v1.5 (44.5M parameters). */
export const resnet101 = (options?: ResNetOptions): ResNet => new ResNet(Bottleneck, [3, 4, 23, 3], options);
/** ResNet-152 v1.5 (60.2M parameters). */
export const resnet152 = (options?: ResNetOptions): ResNet => new ResNet(Bottleneck, [3, 8, 36, 3], options);
/** ResNeXt-50 32x4d (25.0M parameters). */
export const resnext50_32x4d = (options?: ResNetOptions): ResNet =>
  new ResNet(Bottleneck, [3, 4, 6, 3], fixed(options, { groups: 32, widthPerGroup: 4 }, 'resnext50_32x4d'));
/** ResNeXt-101 32x8d (88.8M parameters). */
export const resnext101_32x8d = (options?: ResNetOptions): ResNet =>
  new ResNet(Bottleneck, [3, 4, 23, 3], fixed(options, { groups: 32, widthPerGroup: 8 }, 'resnext101_32x8d'));
/** ResNeXt-101 64x4d (83.5M parameters). */
export const resnext101_64x4d = (options?: ResNetOptions): ResNet =>
  new ResNet(Bottleneck, [3, 4, 23, 3], fixed(options, { groups: 64, widthPerGroup: 4 }, 'resnext101_64x4d'));
/** Wide ResNet-50-2: twice the channels in each Bottleneck's 3x3 (68.9M parameters). */
export const wideResnet50_2 = (options?: ResNetOptions): ResNet =>
  new ResNet(Bottleneck, [3, 4, 6, 3], fixed(options, { widthPerGroup: 128 }, 'wideResnet50_2'));
/** Wide ResNet-101-2 (126.9M parameters). */
export const wideResnet101_2 = (options?: ResNetOptions): ResNet =>
  new ResNet(Bottleneck, [3, 4, 23, 3], fixed(options, { widthPerGroup: 128 }, 'wideResnet101_2'));
