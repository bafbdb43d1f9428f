// A LeNet-5 trained as a BaseModel through trainStep and OptimWrapper, against the same loop in
// Python torch from identical initial weights and batches: 200 steps of SGD (lr 0.01,
// momentum 0.9), then 200 of AdamW from the same initial weights. Every loss must agree within
// 1e-4. The batches and the weights cross to Python in one torch.save file; Python runs both
// optimizers in one invocation.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BaseModel, type ForwardMode, type LossDict, OptimWrapper } from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { runPython, skipWithoutPython } from '../../support/python.js';
import { captureLogs } from '../support.js';

type Tensor = torch.Tensor;
const { nn, optim } = torch;
const F = nn.functional;

const STEPS = 200;
const BATCH = 32;
const TOL = 1e-4;

interface Batch {
  inputs: Tensor;
  labels: Tensor;
}

class LeNet extends BaseModel<Tensor, Tensor> {
  conv1 = new nn.Conv2d(1, 6, 5, { padding: 2 });
  conv2 = new nn.Conv2d(6, 16, 5);
  fc1 = new nn.Linear(400, 120);
  fc2 = new nn.Linear(120, 84);
  fc3 = new nn.Linear(84, 10);

  forward(data: Batch, mode: ForwardMode): LossDict | Tensor[] | Tensor {
    let x = F.maxPool2d(F.relu(this.conv1.forward(data.inputs)), 2);
    x = F.maxPool2d(F.relu(this.conv2.forward(x)), 2);
    x = F.relu(this.fc1.forward(x.flatten(1)));
    x = F.relu(this.fc2.forward(x));
    const logits = this.fc3.forward(x);
    if (mode === 'loss') return { loss: F.crossEntropy(logits, data.labels) };
    if (mode === 'predict') return [logits.argmax(1)];
    return logits;
  }
}

const PY_SCRIPT = `
import torch.nn as nn
import torch.nn.functional as F
blob = torch.load(INPUT['path'])
images, labels, init = blob['images'], blob['labels'], blob['init']

class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)
    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        x = F.relu(self.fc2(x))
        return self.fc3(x)

def run(make_opt):
    model = LeNet()
    model.load_state_dict(init)
    opt = make_opt(model.parameters())
    losses = []
    for k in range(images.shape[0]):
        loss = F.cross_entropy(model(images[k]), labels[k])
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
    return losses

OUTPUT = {
    'sgd': run(lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)),
    'adamw': run(lambda p: torch.optim.AdamW(p)),
}
`;

describe('LeNet-5 through trainStep against Python torch', { skip: skipWithoutPython() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'torch-node-lenet-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let images: Tensor;
  let labels: Tensor;
  let init: Record<string, Tensor>;
  let python: { sgd: number[]; adamw: number[] };

  before(() => {
    captureLogs();
    // Python's oracle runs with one thread; so does this side, for the same reduction order.
    torch.setNumThreads(1);
    torch.manualSeed(2024);
    // A learnable task: ten random templates, each image its class's template plus noise.
    const templates = torch.rand([10, 1, 28, 28]).mul(2).sub(1);
    labels = torch.randint(0, 10, [STEPS, BATCH]);
    images = templates
      .indexSelect(0, labels.flatten())
      .reshape([STEPS, BATCH, 1, 28, 28])
      .add(torch.randn([STEPS, BATCH, 1, 28, 28]).mul(0.3));
    init = new LeNet().stateDict();
    const path = join(dir, 'lenet.pt');
    torch.save({ images, labels, init }, path);
    python = runPython(PY_SCRIPT, { path });
  });

  const train = (makeOptimizer: (params: torch.nn.Parameter[]) => torch.optim.Optimizer): number[] => {
    const model = new LeNet();
    model.loadStateDict(init);
    const wrapper = new OptimWrapper({ optimizer: makeOptimizer(model.parameters()) });
    wrapper.initializeCountStatus(model, 0, STEPS);
    const losses: number[] = [];
    for (let k = 0; k < STEPS; k++) {
      const logVars = model.trainStep({ inputs: images.at(k), labels: labels.at(k) }, wrapper);
      losses.push(logVars.loss as number);
    }
    return losses;
  };

  const compare = (t: { diagnostic(message: string): void }, name: string, js: number[], py: number[]) => {
    assert.equal(js.length, STEPS);
    assert.equal(py.length, STEPS);
    let max = 0;
    let at = 0;
    for (let k = 0; k < STEPS; k++) {
      const d = Math.abs((js[k] as number) - (py[k] as number));
      if (d > max) {
        max = d;
        at = k;
      }
    }
    t.diagnostic(
      `${name}: max |loss - python loss| over ${STEPS} steps = ${max.toExponential(3)} (step ${at}); loss ${js[0]?.toFixed(4)} -> ${js[STEPS - 1]?.toFixed(4)}`,
    );
    assert.ok(max < TOL, `${name}: max difference ${max} at step ${at} (js ${js[at]}, python ${py[at]})`);
    // The task is learnable: training makes progress.
    assert.ok((js[STEPS - 1] as number) < 0.5 * (js[0] as number), `${name}: loss ${js[0]} -> ${js[STEPS - 1]}`);
  };

  test('SGD (lr 0.01, momentum 0.9): every loss within 1e-4 of Python', (t) => {
    compare(
      t,
      'SGD',
      train((p) => new optim.SGD(p, { lr: 0.01, momentum: 0.9 })),
      python.sgd,
    );
  });

  test('AdamW (defaults) from the same initial weights: every loss within 1e-4 of Python', (t) => {
    compare(
      t,
      'AdamW',
      train((p) => new optim.AdamW(p)),
      python.adamw,
    );
  });
});
