// torch-node/models' ResNets against torchvision's.
//   Without Python: state-dict keys, order and shapes (counts, spot checks and a digest of the
//   whole `key:shape` list, taken from torchvision 0.28.0), parameter counts, initialisation
//   (kaiming-normal fan_out convolutions, BN at 1/0, zeroInitResidual), numClasses, groups and
//   widths, replaceStrideWithDilation, and a backward pass.
//   With Python: ResNet-18 and ResNet-50 weights made in Python (torchvision's models where
//   torchvision imports, else a line-for-line copy of torchvision.models.resnet below), with
//   random BatchNorm statistics, saved with torch.save, loaded here with strict loadStateDict;
//   the same input gives the same eval-mode logits (also for ResNet-50 with dilation), the same
//   train-mode logits, and the same BatchNorm running statistics after one train-mode forward.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import {
  BasicBlock,
  Bottleneck,
  type ResNet,
  resnet18,
  resnet34,
  resnet50,
  resnet101,
  resnext50_32x4d,
  wideResnet50_2,
} from '../../lib/models/index.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const shapes = (m: torch.nn.Module): [string, number[]][] =>
  Object.entries(m.stateDict()).map(([k, v]) => [k, v.shape]);

/** sha256 of `key:d0,d1,...` lines joined by '\n', as the Python snippet in the header computes it. */
const digest = (m: torch.nn.Module): string =>
  createHash('sha256')
    .update(
      shapes(m)
        .map(([k, s]) => `${k}:${s.join(',')}`)
        .join('\n'),
    )
    .digest('hex');

/** The 1x1 convolution of a block's shortcut. */
const downConv = (b: BasicBlock | Bottleneck): torch.nn.Conv2d => {
  assert.ok(b.downsample, 'the block has a downsample');
  return b.downsample.at(0) as torch.nn.Conv2d;
};

const countParams = (m: torch.nn.Module): number => m.parameters().reduce((a, p) => a + p.numel(), 0);

// From torchvision 0.28.0 with torch 2.13:
//   sd = torchvision.models.resnet18().state_dict()
//   hashlib.sha256('\n'.join(k + ':' + ','.join(map(str, v.shape)) for k, v in sd.items()).encode())
const TORCHVISION = {
  resnet18: {
    entries: 122,
    params: 11_689_512,
    sha: 'cef0042c7e9902b88911b9ddc0576e457e0d0102f15eff8ec7a1931cde354ee3',
  },
  resnet50: {
    entries: 320,
    params: 25_557_032,
    sha: '6e37467aeedf18f4d85182077341d58d4a2678d16d80017df6db004a5a5842fa',
  },
  wideResnet50_2: {
    entries: 320,
    params: 68_883_240,
    sha: 'df5bfd3db61da019f64ed0155a330900cf15ab0d13003773d9088c908e86fc24',
  },
  resnext50_32x4d: {
    entries: 320,
    params: 25_028_904,
    sha: '6f75d3fc597a4fb56ec46ae3f9f38dde026d702609da4734b743a258a45f32e9',
  },
};

const STEM = [
  'conv1.weight',
  'bn1.weight',
  'bn1.bias',
  'bn1.running_mean',
  'bn1.running_var',
  'bn1.num_batches_tracked',
];
const BN = (p: string) =>
  ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'].map((s) => `${p}.${s}`);

describe('ResNet layout as torchvision (no Python)', () => {
  test('resnet18: state-dict keys, order and shapes', () => {
    const m = resnet18();
    const sd = shapes(m);
    const keys = sd.map(([k]) => k);
    const shape = Object.fromEntries(sd);
    assert.equal(sd.length, TORCHVISION.resnet18.entries);
    assert.deepEqual(keys.slice(0, 6), STEM);
    assert.deepEqual(keys.slice(6, 18), [
      'layer1.0.conv1.weight',
      ...BN('layer1.0.bn1'),
      'layer1.0.conv2.weight',
      ...BN('layer1.0.bn2'),
    ]);
    assert.deepEqual(keys.slice(-2), ['fc.weight', 'fc.bias']);
    assert.ok(!keys.some((k) => k.startsWith('layer1.0.downsample')), 'layer1 keeps the shape: no downsample');
    // The stride is on the first 3x3 conv of layer2.0; the shortcut is Sequential(conv1x1, bn).
    assert.deepEqual(shape['conv1.weight'], [64, 3, 7, 7]);
    assert.deepEqual(shape['layer2.0.conv1.weight'], [128, 64, 3, 3]);
    assert.deepEqual(shape['layer2.0.downsample.0.weight'], [128, 64, 1, 1]);
    assert.deepEqual(shape['layer2.0.downsample.1.running_var'], [128]);
    assert.deepEqual(shape['layer4.1.conv2.weight'], [512, 512, 3, 3]);
    assert.deepEqual(shape['layer4.1.bn2.num_batches_tracked'], []);
    assert.deepEqual(shape['fc.weight'], [1000, 512]);
    assert.equal(digest(m), TORCHVISION.resnet18.sha, 'the whole key:shape list');
    assert.equal(countParams(m), TORCHVISION.resnet18.params);
    const l2 = m.layer2.at(0) as BasicBlock;
    assert.ok(l2 instanceof BasicBlock);
    assert.deepEqual(l2.conv1.stride, [2, 2]);
    assert.deepEqual(downConv(l2).stride, [2, 2]);
  });

  test('resnet50: state-dict keys, order and shapes; stride on the 3x3 conv (v1.5)', () => {
    const m = resnet50();
    const sd = shapes(m);
    const keys = sd.map(([k]) => k);
    const shape = Object.fromEntries(sd);
    assert.equal(sd.length, TORCHVISION.resnet50.entries);
    assert.deepEqual(keys.slice(0, 6), STEM);
    assert.deepEqual(keys.slice(6, 30), [
      'layer1.0.conv1.weight',
      ...BN('layer1.0.bn1'),
      'layer1.0.conv2.weight',
      ...BN('layer1.0.bn2'),
      'layer1.0.conv3.weight',
      ...BN('layer1.0.bn3'),
      'layer1.0.downsample.0.weight',
      ...BN('layer1.0.downsample.1'),
    ]);
    assert.deepEqual(keys.slice(-8), ['layer4.2.conv3.weight', ...BN('layer4.2.bn3'), 'fc.weight', 'fc.bias']);
    assert.equal(keys.filter((k) => k.includes('downsample.0.weight')).length, 4);
    assert.equal(keys.filter((k) => k.endsWith('num_batches_tracked')).length, 53);
    assert.deepEqual(shape['layer1.0.downsample.0.weight'], [256, 64, 1, 1]);
    assert.deepEqual(shape['layer3.5.conv2.weight'], [256, 256, 3, 3]);
    assert.deepEqual(shape['layer4.0.conv3.weight'], [2048, 512, 1, 1]);
    assert.deepEqual(shape['fc.weight'], [1000, 2048]);
    assert.equal(digest(m), TORCHVISION.resnet50.sha, 'the whole key:shape list');
    assert.equal(countParams(m), TORCHVISION.resnet50.params);
    for (const layer of [m.layer2, m.layer3, m.layer4]) {
      const b = layer.at(0) as Bottleneck;
      assert.ok(b instanceof Bottleneck);
      assert.deepEqual(b.conv1.stride, [1, 1]);
      assert.deepEqual(b.conv2.stride, [2, 2]);
      assert.deepEqual(downConv(b).stride, [2, 2]);
    }
    assert.deepEqual((m.layer1.at(0) as Bottleneck).conv2.stride, [1, 1]);
  });

  test('wide and grouped ResNets, other depths: keys, shapes and parameter counts', () => {
    const wide = wideResnet50_2();
    assert.equal(digest(wide), TORCHVISION.wideResnet50_2.sha);
    assert.equal(countParams(wide), TORCHVISION.wideResnet50_2.params);
    assert.deepEqual(wide.stateDict()['layer1.0.conv2.weight']?.shape, [128, 128, 3, 3]);
    const next = resnext50_32x4d();
    assert.equal(digest(next), TORCHVISION.resnext50_32x4d.sha);
    assert.equal(countParams(next), TORCHVISION.resnext50_32x4d.params);
    assert.deepEqual(next.stateDict()['layer1.0.conv2.weight']?.shape, [128, 4, 3, 3]);
    assert.equal((next.layer1.at(0) as Bottleneck).conv2.groups, 32);
    const r34 = resnet34();
    assert.equal(Object.keys(r34.stateDict()).length, 218);
    assert.equal(countParams(r34), 21_797_672);
    const r101 = resnet101();
    assert.equal(Object.keys(r101.stateDict()).length, 626);
    assert.equal(countParams(r101), 44_549_160);
    assert.equal(r101.layer3.length, 23);
    assert.throws(() => wideResnet50_2({ widthPerGroup: 64 }), /widthPerGroup' is 128 for this model, got 64/);
    assert.throws(() => new BasicBlock(64, 64, { groups: 2 }), /BasicBlock only supports groups=1 and baseWidth=64/);
  });

  test('torchvision initialisation: kaiming-normal fan_out convs, BN at 1 and 0; zeroInitResidual; numClasses', () => {
    torch.manualSeed(0);
    const m = resnet50({ numClasses: 10, zeroInitResidual: true });
    const sd = m.stateDict();
    assert.deepEqual(sd['fc.weight']?.shape, [10, 2048]);
    assert.deepEqual(sd['fc.bias']?.shape, [10]);
    let zeroed = 0;
    for (const [k, v] of Object.entries(sd)) {
      if (/bn\d\.weight$|downsample\.1\.weight$/.test(k)) {
        const expected = /\.bn3\.weight$/.test(k) ? 0 : 1;
        if (expected === 0) zeroed++;
        assert.ok(v.eq(expected).all().item(), `${k} is all ${expected}`);
      }
      if (/(bn\d|downsample\.1)\.bias$/.test(k)) assert.equal(v.abs().max().item(), 0, `${k} is 0`);
    }
    assert.equal(zeroed, 16, 'one bn3 per Bottleneck');
    // layer4.0.conv2: 512 x 512 x 3 x 3, fan_out = 512 * 9: std sqrt(2 / 4608), normal (not uniform).
    const w = sd['layer4.0.conv2.weight'] as torch.Tensor;
    const std = Math.sqrt(2 / 4608);
    assert.ok(Math.abs((w.std().item() as number) / std - 1) < 0.01, `std ${w.std().item()} vs ${std}`);
    assert.ok(Math.abs(w.mean().item() as number) < 1e-4);
    assert.ok((w.abs().max().item() as number) > 4 * std, 'tails of a normal, beyond a uniform bound of √3·std');
    // The stem: 64 x 3 x 7 x 7, fan_out 64 * 49.
    const c1 = sd['conv1.weight'] as torch.Tensor;
    assert.ok(Math.abs((c1.std().item() as number) / Math.sqrt(2 / (64 * 49)) - 1) < 0.05);
    // fc keeps Linear's own initialisation (uniform within 1/√fanIn).
    assert.ok((sd['fc.weight']?.abs().max().item() as number) <= 1 / Math.sqrt(2048));

    const r18 = resnet18({ zeroInitResidual: true });
    const sd18 = r18.stateDict();
    for (const [k, v] of Object.entries(sd18)) {
      if (/bn\d\.weight$/.test(k) && k.startsWith('layer')) {
        assert.equal(v.abs().max().item(), k.endsWith('bn2.weight') ? 0 : 1, k);
      }
    }
    const plain = resnet18().stateDict();
    assert.equal(plain['layer1.0.bn2.weight']?.min().item(), 1, 'without zeroInitResidual bn2 starts at 1');
    // With every residual branch at zero, a block in eval mode is relu(identity).
    r18.eval();
    const x = torch.randn([1, 64, 8, 8]);
    const y = torch.noGrad(() => (r18.layer1.at(0) as BasicBlock).forward(x));
    assert.ok((y.sub(x.relu()).abs().max().item() as number) < 1e-6);
  });

  test('replaceStrideWithDilation keeps layer3/layer4 at stride 8', () => {
    const m = resnet50({ numClasses: 7, replaceStrideWithDilation: [false, true, true] });
    assert.equal(digest(resnet50({ replaceStrideWithDilation: [false, true, true] })), TORCHVISION.resnet50.sha);
    const l3 = m.layer3.at(0) as Bottleneck;
    const l4 = m.layer4.at(0) as Bottleneck;
    assert.deepEqual(l3.conv2.stride, [1, 1]);
    assert.deepEqual(l3.conv2.dilation, [1, 1], 'the first block keeps the previous dilation');
    assert.deepEqual((m.layer3.at(1) as Bottleneck).conv2.dilation, [2, 2]);
    assert.deepEqual(downConv(l3).stride, [1, 1]);
    assert.deepEqual(l4.conv2.dilation, [2, 2]);
    assert.deepEqual(l4.conv2.padding, [2, 2]);
    assert.deepEqual((m.layer4.at(2) as Bottleneck).conv2.dilation, [4, 4]);
    m.eval();
    const feats = torch.noGrad(() => {
      let x = m.maxpool.forward(m.relu.forward(m.bn1.forward(m.conv1.forward(torch.randn([1, 3, 64, 64])))));
      for (const layer of [m.layer1, m.layer2, m.layer3, m.layer4]) x = layer.forward(x) as torch.Tensor;
      return x;
    });
    assert.deepEqual(feats.shape, [1, 2048, 8, 8]);
    assert.throws(
      () => resnet18({ replaceStrideWithDilation: [false, false, true] }),
      /Dilation > 1 not supported in BasicBlock/,
    );
    assert.throws(() => resnet50({ replaceStrideWithDilation: [true] }), /3-element array/);
  });

  test('normLayer: GroupNorm instead of BatchNorm, initialised and zero-initialised as torchvision', () => {
    const m = resnet18({ normLayer: (c) => new torch.nn.GroupNorm(32, c), zeroInitResidual: true });
    const sd = m.stateDict();
    assert.equal(Object.keys(sd).length, 62, 'no running statistics');
    assert.ok(m.bn1 instanceof torch.nn.GroupNorm);
    assert.ok(m.layer2.at(0) instanceof BasicBlock);
    assert.ok((m.layer2.at(0) as BasicBlock).downsample?.at(1) instanceof torch.nn.GroupNorm);
    assert.equal(sd['layer1.0.bn1.weight']?.min().item(), 1);
    assert.equal(sd['layer1.0.bn2.weight']?.abs().max().item(), 0);
    assert.deepEqual(torch.noGrad(() => m.forward(torch.randn([1, 3, 32, 32]))).shape, [1, 1000]);
  });

  test('forward and backward: logits of (N, numClasses), a gradient for every parameter', () => {
    torch.manualSeed(1);
    const m = resnet18({ numClasses: 5 });
    const x = torch.randn([2, 3, 32, 32]);
    const logits = m.forward(x);
    assert.deepEqual(logits.shape, [2, 5]);
    torch.nn.functional.crossEntropy(logits, torch.tensor([1, 3], { dtype: 'int64' })).backward();
    for (const [name, p] of m.namedParameters()) {
      assert.ok(p.grad, `${name} has a gradient`);
      assert.ok(Number.isFinite(p.grad.abs().sum().item() as number), `${name}'s gradient is finite`);
    }
    assert.ok((m.conv1.weight.grad?.abs().sum().item() as number) > 0);
    assert.equal(m.stateDict()['bn1.num_batches_tracked']?.item(), 1);
  });
});

// torchvision.models.resnet, line for line (without the weights machinery), for where
// torchvision does not import.
const PY_RESNET = `
try:
    import torchvision
    from torchvision.models import resnet as R
    SOURCE = 'torchvision ' + torchvision.__version__
except Exception as e:
    SOURCE = 'a copy of torchvision.models.resnet (torchvision not importable: %s: %s)' % (type(e).__name__, str(e).splitlines()[0] if str(e) else '')
    import types
    import torch.nn as nn
    def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
        return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, groups=groups, bias=False, dilation=dilation)
    def conv1x1(in_planes, out_planes, stride=1):
        return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)
    class BasicBlock(nn.Module):
        expansion = 1
        def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1, norm_layer=None):
            super().__init__()
            if norm_layer is None:
                norm_layer = nn.BatchNorm2d
            if groups != 1 or base_width != 64:
                raise ValueError("BasicBlock only supports groups=1 and base_width=64")
            if dilation > 1:
                raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
            self.conv1 = conv3x3(inplanes, planes, stride)
            self.bn1 = norm_layer(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = conv3x3(planes, planes)
            self.bn2 = norm_layer(planes)
            self.downsample = downsample
            self.stride = stride
        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            return self.relu(out)
    class Bottleneck(nn.Module):
        expansion = 4
        def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1, norm_layer=None):
            super().__init__()
            if norm_layer is None:
                norm_layer = nn.BatchNorm2d
            width = int(planes * (base_width / 64.0)) * groups
            self.conv1 = conv1x1(inplanes, width)
            self.bn1 = norm_layer(width)
            self.conv2 = conv3x3(width, width, stride, groups, dilation)
            self.bn2 = norm_layer(width)
            self.conv3 = conv1x1(width, planes * self.expansion)
            self.bn3 = norm_layer(planes * self.expansion)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = downsample
            self.stride = stride
        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            return self.relu(out)
    class ResNet(nn.Module):
        def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1, width_per_group=64, replace_stride_with_dilation=None, norm_layer=None):
            super().__init__()
            if norm_layer is None:
                norm_layer = nn.BatchNorm2d
            self._norm_layer = norm_layer
            self.inplanes = 64
            self.dilation = 1
            if replace_stride_with_dilation is None:
                replace_stride_with_dilation = [False, False, False]
            self.groups = groups
            self.base_width = width_per_group
            self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = norm_layer(self.inplanes)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(block, 64, layers[0])
            self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=replace_stride_with_dilation[0])
            self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=replace_stride_with_dilation[1])
            self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=replace_stride_with_dilation[2])
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512 * block.expansion, num_classes)
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
            if zero_init_residual:
                for m in self.modules():
                    if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                        nn.init.constant_(m.bn3.weight, 0)
                    elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                        nn.init.constant_(m.bn2.weight, 0)
        def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
            norm_layer = self._norm_layer
            downsample = None
            previous_dilation = self.dilation
            if dilate:
                self.dilation *= stride
                stride = 1
            if stride != 1 or self.inplanes != planes * block.expansion:
                downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride), norm_layer(planes * block.expansion))
            layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, previous_dilation, norm_layer)]
            self.inplanes = planes * block.expansion
            for _ in range(1, blocks):
                layers.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width, dilation=self.dilation, norm_layer=norm_layer))
            return nn.Sequential(*layers)
        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            x = torch.flatten(self.avgpool(x), 1)
            return self.fc(x)
    R = types.SimpleNamespace(
        resnet18=lambda **kw: ResNet(BasicBlock, [2, 2, 2, 2], **kw),
        resnet50=lambda **kw: ResNet(Bottleneck, [3, 4, 6, 3], **kw),
    )

torch.manual_seed(0)
x = torch.randn(2, 3, 64, 64)
out = {'x': x}
keys = {}
for name in ['resnet18', 'resnet50']:
    m = getattr(R, name)()
    with torch.no_grad():
        # Random BatchNorm affine parameters and statistics, so that eval mode uses them; the
        # last norm of each residual branch small, as in trained ResNets, so that the logits
        # stay near the size of a trained model's rather than growing block by block.
        for mod_name, mod in m.named_modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                last = mod_name.endswith('bn3') or (name == 'resnet18' and mod_name.endswith('bn2'))
                mod.weight.uniform_(0.05, 0.3) if last else mod.weight.uniform_(0.5, 1.5)
                mod.bias.normal_(0, 0.1)
                mod.running_mean.normal_(0, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
                mod.num_batches_tracked.fill_(3)
    state = {k: v.clone() for k, v in m.state_dict().items()}
    keys[name] = [[k, list(v.shape), str(v.dtype).replace('torch.', '')] for k, v in state.items()]
    r = {'state': state}
    with torch.no_grad():
        r['eval'] = m.eval()(x)
        r['train'] = m.train()(x)
    r['after'] = {k: v.clone() for k, v in m.state_dict().items() if 'running' in k or 'num_batches' in k}
    if name == 'resnet50':
        d = R.resnet50(replace_stride_with_dilation=[False, True, True])
        d.load_state_dict(state)
        with torch.no_grad():
            r['dilated'] = d.eval()(x)
    out[name] = r
torch.save(out, INPUT['path'])
OUTPUT = {'source': SOURCE, 'keys': keys}
`;

interface PyModelResult {
  state: Record<string, torch.Tensor>;
  eval: torch.Tensor;
  train: torch.Tensor;
  after: Record<string, torch.Tensor>;
  dilated?: torch.Tensor;
}

/** The largest |a - b| over all elements. */
const maxDiff = (a: torch.Tensor, b: torch.Tensor): number => {
  assert.deepEqual(a.shape, b.shape);
  return a.sub(b).abs().max().item() as number;
};

describe('ResNet against Python (weights from torch.save)', { skip: skipWithoutPython() }, () => {
  let dir = '';
  let saved: { x: torch.Tensor; resnet18: PyModelResult; resnet50: PyModelResult };
  let py: { source: string; keys: Record<string, [string, number[], string][]> };
  const report: string[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'torch-node-resnet-'));
    const path = join(dir, 'resnets.pt');
    py = runPython(PY_RESNET, { path });
    saved = torch.load(path) as typeof saved;
    report.push(`Python side: ${py.source}`);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    for (const line of report) console.log(`# ${line}`);
  });

  for (const [name, make] of [
    ['resnet18', resnet18],
    ['resnet50', resnet50],
  ] as const) {
    test(`${name}: Python's state dict has our keys, order, shapes and dtypes`, () => {
      const ours = Object.entries(make().stateDict()).map(([k, v]) => [k, v.shape, v.dtype]);
      assert.deepEqual(ours, py.keys[name]);
    });

    test(`${name}: strict load, same eval and train logits and BatchNorm statistics`, () => {
      const r = saved[name];
      torch.manualSeed(5);
      const m: ResNet = make();
      const loaded = m.loadStateDict(r.state);
      assert.deepEqual(loaded, { missingKeys: [], unexpectedKeys: [] });
      m.eval();
      const evalLogits = torch.noGrad(() => m.forward(saved.x));
      const dEval = maxDiff(evalLogits, r.eval);
      const scale = r.eval.abs().max().item() as number;
      report.push(`${name} eval logits: max |diff| ${dEval.toExponential(2)} (max |logit| ${scale.toFixed(2)})`);
      assert.ok(dEval < 1e-4, `${name} eval logits differ by ${dEval}`);

      m.train();
      const trainLogits = torch.noGrad(() => m.forward(saved.x));
      const dTrain = maxDiff(trainLogits, r.train);
      report.push(`${name} train logits: max |diff| ${dTrain.toExponential(2)}`);
      assert.ok(dTrain < 1e-4, `${name} train logits differ by ${dTrain}`);
      const state = m.stateDict();
      let worst = 0;
      for (const [k, v] of Object.entries(r.after)) {
        const ours = state[k] as torch.Tensor;
        if (k.endsWith('num_batches_tracked')) {
          assert.equal(ours.item(), 4, k);
          assert.equal(v.item(), 4, k);
        } else {
          worst = Math.max(worst, maxDiff(ours, v));
        }
      }
      report.push(`${name} BatchNorm running stats after a train forward: max |diff| ${worst.toExponential(2)}`);
      assert.ok(worst < 1e-5, `${name} running statistics differ by ${worst}`);
    });
  }

  test('resnet50 with replaceStrideWithDilation: the same weights give the same logits', () => {
    const m = resnet50({ replaceStrideWithDilation: [false, true, true] });
    m.loadStateDict(saved.resnet50.state);
    m.eval();
    const d = maxDiff(
      torch.noGrad(() => m.forward(saved.x)),
      saved.resnet50.dilated as torch.Tensor,
    );
    report.push(`resnet50 dilated eval logits: max |diff| ${d.toExponential(2)}`);
    assert.ok(d < 1e-4, `dilated logits differ by ${d}`);
  });

  test('a wrong state dict is refused with strict loading', () => {
    const m = resnet18({ numClasses: 10 });
    assert.throws(() => m.loadStateDict(saved.resnet18.state), /size mismatch for fc\.weight/);
    const partial = { ...saved.resnet18.state };
    delete partial['layer4.1.bn2.running_var'];
    assert.throws(
      () => resnet18().loadStateDict(partial),
      /Missing key\(s\) in state_dict: "layer4\.1\.bn2\.running_var"/,
    );
    assert.throws(() => resnet50().loadStateDict(saved.resnet18.state), /Unexpected key\(s\)|size mismatch/);
  });
});
