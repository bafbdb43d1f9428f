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
The PyTorch Lightning contender (lightning_train.py) takes MODELS from here, and is a process of
its own: this one never imports Lightning.
"""

import resource
import sys
import time

import serve
import torch
import torch.nn.functional as F
from models import LeNet, Mlp, SmallResNet


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
    u0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter_ns()
    while steps < iters and ns < budget_ns:
        last = step()
        steps += 1
        ns = time.perf_counter_ns() - t0
    u1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = (u1.ru_utime - u0.ru_utime) + (u1.ru_stime - u0.ru_stime)
    return {
        'contender': 'python',
        'model': name,
        'iters': steps,
        'warmup': warmup,
        'threads': torch.get_num_threads(),
        'msPerStep': ns / 1e6 / steps,
        'firstLoss': first,
        'lastLoss': last,
        'cpuMsPerStep': cpu_s * 1e3 / steps,
        'minorFaultsPerStep': (u1.ru_minflt - u0.ru_minflt) / steps,
    }


def main():
    return serve.main(
        'MODEL ITERS WARMUP THREADS [BUDGET_MS]',
        lambda f: measure(f[0], int(f[1]), int(f[2]), int(f[3]), float(f[4]) if len(f) == 5 else float('inf')),
        usage='mlp|lenet|resnet ITERS WARMUP THREADS [BUDGET_MS]',
    )

if __name__ == '__main__':
    sys.exit(main())
