"""The Python torch contender of the training-step benchmark (workload 2).

The plain PyTorch loop a user writes: forward, cross-entropy, backward, SGD (lr 0.01,
momentum 0.9) step, zero_grad, and the loss read as a number (as trainStep returns it). The same
models, seeds and batches as bench/torch_node_train.ts and bench/cpp/train.cpp. Usage:
  python3 bench/python/train.py MODEL ITERS WARMUP THREADS [BUDGET_MS]   one JSON line
  python3 bench/python/train.py --serve      a hello line, then one measurement per stdin line
The timed loop stops early, after at least one step, once it has run BUDGET_MS (the warm-up once
it has run a quarter of that); 'iters' in the reply is the number of steps timed.
MODEL: mlp (784-256-10, batch 64), lenet (LeNet-5, batch 64 of 1x28x28) or resnet (3 stages of
2 BasicBlocks, 16/32/64 channels, BatchNorm, batch 32 of 3x32x32).
"""

import json
import platform
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


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


class BasicBlock(nn.Module):
    # Modules made in the same order as examples/models/small_resnet.ts: the same seeded weights.
    def __init__(self, in_channels, channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.downsample = None
        if stride != 1 or in_channels != channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride=stride, bias=False), nn.BatchNorm2d(channels)
            )

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class SmallResNet(nn.Module):
    def __init__(self, in_channels=3, num_classes=10, w=16):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU())
        self.layer1 = nn.Sequential(BasicBlock(w, w), BasicBlock(w, w))
        self.layer2 = nn.Sequential(BasicBlock(w, 2 * w, 2), BasicBlock(2 * w, 2 * w))
        self.layer3 = nn.Sequential(BasicBlock(2 * w, 4 * w, 2), BasicBlock(4 * w, 4 * w))
        self.fc = nn.Linear(4 * w, num_classes)

    def forward(self, x):
        y = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(F.adaptive_avg_pool2d(y, 1).flatten(1))


MODELS = {
    'mlp': (Mlp, (64, 784)),
    'lenet': (LeNet, (64, 1, 28, 28)),
    'resnet': (SmallResNet, (32, 3, 32, 32)),
}


def measure(name, iters, warmup, threads, budget_ms=float('inf')):
    if name not in MODELS:
        return {'error': f"unknown model '{name}'"}
    make, shape = MODELS[name]
    torch.set_num_threads(threads)
    # Weights from seed 0, then the batch from seed 1: the same numbers in every contender.
    torch.manual_seed(0)
    model = make()
    torch.manual_seed(1)
    x = torch.randn(shape)
    y = torch.randint(0, 10, (shape[0],))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    budget_ns = budget_ms * 1e6
    first = step()
    w0 = time.perf_counter_ns()
    for _ in range(1, warmup):
        if time.perf_counter_ns() - w0 >= budget_ns / 4:
            break
        step()
    last = first
    steps = 0
    ns = 0
    t0 = time.perf_counter_ns()
    while steps < iters and ns < budget_ns:
        last = step()
        steps += 1
        ns = time.perf_counter_ns() - t0
    return {
        'contender': 'python',
        'model': name,
        'iters': steps,
        'warmup': warmup,
        'threads': torch.get_num_threads(),
        'msPerStep': ns / 1e6 / steps,
        'firstLoss': first,
        'lastLoss': last,
    }


def emit(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def lightning_status():
    try:
        import lightning  # noqa: F401
    except Exception as e:  # noqa: BLE001 - any failure to import means: not available
        return f'not importable: {type(e).__name__}: {e}'
    return 'importable'


def run_line(line):
    parts = line.split()
    if len(parts) not in (4, 5):
        emit({'error': f"expected 'MODEL ITERS WARMUP THREADS [BUDGET_MS]', got {line.strip()!r}"})
        return
    try:
        budget = float(parts[4]) if len(parts) == 5 else float('inf')
        emit(measure(parts[0], int(parts[1]), int(parts[2]), int(parts[3]), budget))
    except Exception as e:  # noqa: BLE001 - reported to the runner, which goes on
        emit({'error': f'{type(e).__name__}: {e}'})


def main():
    args = sys.argv[1:]
    if args == ['--serve']:
        emit({
            'contender': 'python',
            'hello': True,
            'python': platform.python_version(),
            'torch': torch.__version__,
            'lightning': lightning_status(),
        })
        for line in iter(sys.stdin.readline, ''):
            run_line(line)
        return 0
    if len(args) not in (4, 5):
        sys.stderr.write('usage: train.py mlp|lenet|resnet ITERS WARMUP THREADS [BUDGET_MS], or train.py --serve\n')
        return 2
    run_line(' '.join(args))
    return 0


if __name__ == '__main__':
    sys.exit(main())
