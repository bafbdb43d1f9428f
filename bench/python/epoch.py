"""The Python torch contender of the whole-epoch benchmark (workload 4).

One epoch of Fashion-MNIST (Debian's dataset-fashion-mnist IDX files) with the plain PyTorch
loop that does what bench/torch_node_epoch.ts asks of the Runner: LeNet-5, the uint8 images
normalised to float ((x - 72.9) / 90) in the loop, SGD (lr 0.01, momentum 0.9), batches of 64
shuffled by a DataLoader over a TensorDataset, the loss read as a number every step (to log it),
then top-1 accuracy on the 10,000 test images in batches of 256. Usage:
  python3 bench/python/epoch.py THREADS WORKERS IMAGES   one measurement, one JSON line
  python3 bench/python/epoch.py --serve                  a hello line, then one measurement
                                                         per stdin line
IMAGES: how many of the 60,000 training images make the epoch (60000: all of them).
"""

import gzip
import os
import struct
import sys
import time

import serve
import torch
import torch.nn.functional as F
from models import LeNet
from torch.utils.data import DataLoader, TensorDataset

ROOT = os.environ.get('FASHION_MNIST_ROOT', '/usr/share/datasets/fashion-mnist')
MEAN = 72.9
STD = 90.0


def read_idx(name):
    path = os.path.join(ROOT, name)
    if os.path.exists(path):
        with open(path, 'rb') as f:
            data = f.read()
    else:
        with gzip.open(path + '.gz', 'rb') as f:
            data = f.read()
    ndim = data[3]
    shape = struct.unpack('>' + 'I' * ndim, data[4 : 4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim :]), dtype=torch.uint8).reshape(shape)


_sets = {}


def sets():
    if not _sets:
        for split, prefix in (('train', 'train'), ('test', 't10k')):
            images = read_idx(f'{prefix}-images-idx3-ubyte').unsqueeze(1)
            labels = read_idx(f'{prefix}-labels-idx1-ubyte').long()
            _sets[split] = (images, labels)
    return _sets


def normalise(x):
    return (x.float() - MEAN) / STD


def measure(threads, workers, n):
    torch.set_num_threads(threads)
    data = sets()
    train_images, train_labels = data['train']
    if not 0 < n <= train_images.shape[0]:
        return {'error': f'IMAGES must be in 1..{train_images.shape[0]}, got {n}'}
    t0 = time.perf_counter()
    torch.manual_seed(0)
    model = LeNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    train_loader = DataLoader(
        TensorDataset(train_images[:n], train_labels[:n]), batch_size=64, shuffle=True, num_workers=workers
    )
    test_loader = DataLoader(TensorDataset(*data['test']), batch_size=256, num_workers=workers)

    model.train()
    iterations = 0
    running = 0.0
    for x, y in train_loader:
        loss = F.cross_entropy(model(normalise(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        running += loss.item()
        iterations += 1
    train_seconds = time.perf_counter() - t0

    model.eval()
    correct = 0
    total = 0
    with torch.no_grad():
        for x, y in test_loader:
            correct += int((model(normalise(x)).argmax(1) == y).sum())
            total += y.shape[0]
    total_seconds = time.perf_counter() - t0
    return {
        'contender': 'python',
        'threads': torch.get_num_threads(),
        'workers': workers,
        'images': n,
        'iterations': iterations,
        'trainSeconds': train_seconds,
        'totalSeconds': total_seconds,
        'accuracy': 100.0 * correct / total,
        'meanLoss': running / max(iterations, 1),
    }


def main():
    return serve.main('THREADS WORKERS IMAGES', lambda f: measure(*map(int, f)))

if __name__ == '__main__':
    sys.exit(main())
