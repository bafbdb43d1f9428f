// A small ResNet for 28x28 or 32x32 images: a 3x3 stem, three stages of two BasicBlocks
// (widths w, 2w, 4w; stride 2 between stages), global average pooling and a linear classifier.
// As a BaseModel it takes a batch object {inputs, dataSamples} from ImgDataPreprocessor:
// 'loss' gives the cross-entropy, 'predict' one {predScore, gtLabel} per image (plain numbers).
import * as engine from '../../lib/engine/index.js';
import * as torch from '../../lib/index.js';

const nn = torch.nn;
const F = torch.nn.functional;
type Tensor = torch.Tensor;

export class BasicBlock extends nn.Module {
  conv1: torch.nn.Conv2d;
  bn1: torch.nn.BatchNorm2d;
  conv2: torch.nn.Conv2d;
  bn2: torch.nn.BatchNorm2d;
  downsample: torch.nn.Sequential | null;

  constructor(inChannels: number, channels: number, stride = 1) {
    super();
    this.conv1 = new nn.Conv2d(inChannels, channels, 3, { stride, padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(channels);
    this.conv2 = new nn.Conv2d(channels, channels, 3, { padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(channels);
    this.downsample =
      stride !== 1 || inChannels !== channels
        ? new nn.Sequential(
            new nn.Conv2d(inChannels, channels, 1, { stride, bias: false }),
            new nn.BatchNorm2d(channels),
          )
        : null;
  }

  forward(x: Tensor): Tensor {
    const out = this.bn2.forward(this.conv2.forward(F.relu(this.bn1.forward(this.conv1.forward(x)))));
    const identity = this.downsample ? (this.downsample.forward(x) as Tensor) : x;
    return F.relu(out.add(identity));
  }
}

export type ClsPrediction = engine.ClsResult;

export interface ClsBatch {
  inputs: Tensor;
  dataSamples: Tensor;
}

export class SmallResNet extends engine.BaseModel<ClsPrediction, Tensor> {
  stem: torch.nn.Sequential;
  layer1: torch.nn.Sequential;
  layer2: torch.nn.Sequential;
  layer3: torch.nn.Sequential;
  fc: torch.nn.Linear;

  constructor(options: { inChannels: number; numClasses: number; width?: number } & engine.BaseModelOptions) {
    const { inChannels, numClasses, width = 16, ...base } = options;
    super(base);
    const w = width;
    this.stem = new nn.Sequential(
      new nn.Conv2d(inChannels, w, 3, { padding: 1, bias: false }),
      new nn.BatchNorm2d(w),
      new nn.ReLU(),
    );
    this.layer1 = new nn.Sequential(new BasicBlock(w, w), new BasicBlock(w, w));
    this.layer2 = new nn.Sequential(new BasicBlock(w, 2 * w, 2), new BasicBlock(2 * w, 2 * w));
    this.layer3 = new nn.Sequential(new BasicBlock(2 * w, 4 * w, 2), new BasicBlock(4 * w, 4 * w));
    this.fc = new nn.Linear(4 * w, numClasses);
  }

  features(x: Tensor): Tensor {
    let y = this.stem.forward(x) as Tensor;
    for (const layer of [this.layer1, this.layer2, this.layer3]) y = layer.forward(y) as Tensor;
    return F.adaptiveAvgPool2d(y, 1).flatten(1);
  }

  forward(batch: ClsBatch, mode: 'loss'): engine.LossDict;
  forward(batch: ClsBatch, mode: 'predict'): ClsPrediction[];
  forward(batch: ClsBatch, mode: 'tensor'): Tensor;
  forward(batch: ClsBatch, mode: engine.ForwardMode): engine.LossDict | ClsPrediction[] | Tensor;
  forward(batch: ClsBatch, mode: engine.ForwardMode): engine.LossDict | ClsPrediction[] | Tensor {
    const logits = this.fc.forward(this.features(batch.inputs));
    if (mode === 'tensor') return logits;
    if (mode === 'loss') return { loss: F.crossEntropy(logits, batch.dataSamples) };
    const gtLabel = batch.dataSamples.dim() === 1 ? batch.dataSamples : batch.dataSamples.argmax(1);
    return engine.toClsDataSamples({ predScore: F.softmax(logits, 1), gtLabel });
  }
}
