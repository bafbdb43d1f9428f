"""The Python torch contender of the per-op overhead benchmark.

The same workloads as bench/torch_node.ts and bench/cpp/bench.cpp, written as a PyTorch user
would. Usage:
  python3 bench/python/bench.py WORKLOAD ITERS WARMUP   one measurement, one JSON line
  python3 bench/python/bench.py --serve                 a hello line, then one measurement per
                                                        stdin line "WORKLOAD ITERS WARMUP"
WORKLOAD is add1 (1-element float32 a.add(b)), add64 (64x64) or linear (F.linear forward and
backward on a 16x64 input, 32x64 weight, bias 32; grads set to None each iteration).
"""

import json
import platform
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)


def add(shape, iters, warmup):
    # Same seed and order as the other contenders: all three add the same numbers.
    torch.manual_seed(0)
    a = torch.randn(shape)
    b = torch.randn(shape)
    check = a.add(b).sum().item()
    for _ in range(warmup):
        a.add(b)
    t0 = time.perf_counter_ns()
    for _ in range(iters):
        a.add(b)
    return time.perf_counter_ns() - t0, check


def linear(iters, warmup):
    torch.manual_seed(0)
    x = torch.randn(16, 64)
    w = torch.randn(32, 64).requires_grad_(True)
    bias = torch.randn(32).requires_grad_(True)

    def step():
        y = F.linear(x, w, bias)
        s = y.sum()
        s.backward()
        w.grad = None
        bias.grad = None
        return s

    check = step().item()
    for _ in range(warmup):
        step()
    t0 = time.perf_counter_ns()
    for _ in range(iters):
        step()
    return time.perf_counter_ns() - t0, check


WORKLOADS = {
    'add1': lambda n, w: add((1,), n, w),
    'add64': lambda n, w: add((64, 64), n, w),
    'linear': linear,
}


def measure(workload, iters, warmup):
    if workload not in WORKLOADS:
        return {'error': f"unknown workload '{workload}'"}
    ns, check = WORKLOADS[workload](iters, warmup)
    return {
        'contender': 'python',
        'workload': workload,
        'iters': iters,
        'warmup': warmup,
        'totalNs': ns,
        'usPerOp': ns / 1e3 / iters,
        'threads': torch.get_num_threads(),
        'check': check,
    }


def emit(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def main():
    args = sys.argv[1:]
    if args == ['--serve']:
        emit({
            'contender': 'python',
            'hello': True,
            'python': platform.python_version(),
            'torch': torch.__version__,
            'threads': torch.get_num_threads(),
        })
        while True:
            line = sys.stdin.readline()
            if not line:
                return 0
            parts = line.split()
            if len(parts) != 3:
                emit({'error': f"expected 'WORKLOAD ITERS WARMUP', got {line.strip()!r}"})
                continue
            emit(measure(parts[0], int(parts[1]), int(parts[2])))
    if len(args) != 3:
        sys.stderr.write('usage: bench.py add1|add64|linear ITERS WARMUP, or bench.py --serve\n')
        return 2
    result = measure(args[0], int(args[1]), int(args[2]))
    emit(result)
    return 1 if 'error' in result else 0


if __name__ == '__main__':
    sys.exit(main())
