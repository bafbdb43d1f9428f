"""The Python torch contender of the per-op overhead benchmark.

The same workloads as bench/torch_node.ts and bench/cpp/bench.cpp, written as a PyTorch user
would. Usage:
  python3 bench/python/bench.py WORKLOAD ITERS WARMUP   one measurement, one JSON line
  python3 bench/python/bench.py --serve                 a hello line, then one measurement per
                                                        stdin line "WORKLOAD ITERS WARMUP"
WORKLOAD is add1 (1-element float32 a.add(b)), add64 (64x64) or linear (F.linear forward and
backward on a 16x64 input, 32x64 weight, bias 32; grads set to None each iteration).
"""

import sys
import time

import serve
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


def main():
    return serve.main(
        'WORKLOAD ITERS WARMUP',
        lambda f: measure(f[0], int(f[1]), int(f[2])),
        usage='add1|add64|linear ITERS WARMUP',
        hello=lambda: {'threads': torch.get_num_threads()},
        error_status=1,
    )

if __name__ == '__main__':
    sys.exit(main())
