// The networks that the torch-node contenders train, defined once: the training-step benchmark
// (bench/torch_node_train.ts) and the whole-epoch one (bench/torch_node_epoch.ts) both use the
// LeNet-5. Their modules are made in the same order as in bench/python/models.py and
// bench/cpp/train.cpp, so that the same seed gives the same weights in every contender.
import { BaseModel, type ClsResult, type ForwardMode, type LossDict, toClsDataSamples } from '../lib/engine/index.js';
import * as torch from '../lib/index.js';

type Tensor = torch.Tensor;
const { nn } = torch;
const F = nn.functional;

/** A batch as the models take it: images (or features) and their class labels. */
export interface Batch {
  inputs: Tensor;
  dataSamples: Tensor;
}

/** MLP 784-256-10. */
export class Mlp extends BaseModel<Tensor, Tensor> {
  fc1 = new nn.Linear(784, 256);
  fc2 = new nn.Linear(256, 10);

  forward(batch: Batch, mode: ForwardMode): LossDict | Tensor[] | Tensor {
    const logits = this.fc2.forward(F.relu(this.fc1.forward(batch.inputs)));
    if (mode === 'loss') return { loss: F.crossEntropy(logits, batch.dataSamples) };
    return logits;
  }
}

/** LeNet-5 on 1x28x28 images; 'predict' gives classification results for the Evaluator. */
export class LeNet extends BaseModel<ClsResult, Tensor> {
  conv1 = new nn.Conv2d(1, 6, 5, { padding: 2 });
  conv2 = new nn.Conv2d(6, 16, 5);
  fc1 = new nn.Linear(400, 120);
  fc2 = new nn.Linear(120, 84);
  fc3 = new nn.Linear(84, 10);

  forward(batch: Batch, mode: ForwardMode): LossDict | ClsResult[] | Tensor {
    let x = F.maxPool2d(F.relu(this.conv1.forward(batch.inputs)), 2);
    x = F.maxPool2d(F.relu(this.conv2.forward(x)), 2);
    x = F.relu(this.fc1.forward(x.flatten(1)));
    x = F.relu(this.fc2.forward(x));
    const logits = this.fc3.forward(x);
    if (mode === 'loss') return { loss: F.crossEntropy(logits, batch.dataSamples) };
    if (mode === 'predict') return toClsDataSamples({ predScore: F.softmax(logits, 1), gtLabel: batch.dataSamples });
    return logits;
  }
}
