"""The Python torch contender of the GPU benchmark (bench/gpu.ts runs it and compares).

Usage: python3 bench/python/gpu.py WORKLOAD ROUNDS   prints one JSON line: {"ms": [...], ...}
The workloads, written as a PyTorch user would, match bench/gpu.ts one for one:
  add1      1-element a.add(b) on CUDA, host time per op (launch cost), in microseconds
  uint8     a pinned uint8 256x3x224x224 batch copied non-blocking, then converted and
            normalised on the device (what ImgDataPreprocessor does), ms per batch
  float32   the same batch converted and normalised on the host, then copied, ms per batch
  overlap   copy of the next uint8 batch on a side stream while the current stream computes
"""

import json
import sys
import time

import torch

MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
SHAPE = (256, 3, 224, 224)


def timed(fn, rounds, warmup=2):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def main():
    workload, rounds = sys.argv[1], int(sys.argv[2])
    torch.manual_seed(0)
    batch = torch.randint(0, 256, SHAPE, dtype=torch.uint8)
    mean, std = MEAN.cuda(), STD.cuda()
    if workload == 'add1':
        a = torch.ones(1, device='cuda')
        b = torch.ones(1, device='cuda')
        n = 20000
        out = []
        for _ in range(rounds):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(n):
                a.add(b)
            out.append((time.perf_counter() - t0) * 1e6 / n)
            torch.cuda.synchronize()
        print(json.dumps({'us': out}))
        return
    if workload == 'uint8':
        pinned = batch.pin_memory()
        copy_stream = torch.cuda.Stream()

        def step():
            with torch.cuda.stream(copy_stream):
                dev = pinned.to('cuda', non_blocking=True)
            torch.cuda.current_stream().wait_stream(copy_stream)
            dev.record_stream(torch.cuda.current_stream())
            return (dev.float() - mean) / std

        print(json.dumps({'ms': timed(step, rounds)}))
    elif workload == 'float32':
        def step():
            return ((batch.float() - MEAN) / STD).to('cuda')

        print(json.dumps({'ms': timed(step, rounds)}))
    elif workload == 'overlap':
        pinned = batch.pin_memory()
        copy_stream = torch.cuda.Stream()
        w = torch.randn(4096, 4096, device='cuda')

        def copy():
            with torch.cuda.stream(copy_stream):
                pinned.to('cuda', non_blocking=True)

        def compute():
            for _ in range(8):
                w.matmul(w)

        def both():
            copy()
            compute()
            torch.cuda.current_stream().wait_stream(copy_stream)

        def synced(fn):
            def run():
                fn()
                copy_stream.synchronize()
            return run

        print(json.dumps({
            'copy': timed(synced(copy), rounds),
            'compute': timed(compute, rounds),
            'both': timed(synced(both), rounds),
        }))
    else:
        raise SystemExit(f'unknown workload {workload}')


if __name__ == '__main__':
    main()
