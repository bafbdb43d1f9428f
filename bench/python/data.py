"""The Python torch contender of the data-path benchmark (workload 3).

One pass of torch.utils.data.DataLoader over a synthetic set of 3x32x32 uint8 images held in
memory (one uint8 tensor, as torchvision's CIFAR10 holds its pixels), with a random crop of 32
after zero padding of 4 and a random horizontal flip per sample, shuffled batches of BATCH, and
WORKERS worker processes. torchvision is not required: the two transforms are written here with
the tensor operations that torchvision's RandomCrop and RandomHorizontalFlip use on tensors
(constant padding, a slice at offsets drawn with torch.randint, flip of the last dim when
torch.rand(1) < 0.5). The consumer only counts the images. The time includes starting the
workers (no persistent workers). Usage:
  python3 bench/python/data.py WORKERS IMAGES BATCH   one measurement, one JSON line
  python3 bench/python/data.py --serve                a hello line, then one measurement per
                                                      stdin line
"""

import resource
import sys
import time

import serve
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

SIZE = 32
PAD = 4


class RandomCrop:
    def __init__(self, size, padding):
        self.size = size
        self.padding = padding

    def __call__(self, img):
        p = self.padding
        img = F.pad(img, (p, p, p, p))
        h, w = img.shape[-2:]
        top = int(torch.randint(0, h - self.size + 1, size=(1,)).item())
        left = int(torch.randint(0, w - self.size + 1, size=(1,)).item())
        return img[..., top : top + self.size, left : left + self.size]


class RandomHorizontalFlip:
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if torch.rand(1) < self.p:
            return img.flip(-1)
        return img


class Images(Dataset):
    def __init__(self, images, labels, transforms):
        self.images = images
        self.labels = labels
        self.transforms = transforms

    def __len__(self):
        return self.images.shape[0]

    def __getitem__(self, index):
        img = self.images[index]
        for t in self.transforms:
            img = t(img)
        return img, int(self.labels[index])


_cached = {}


def dataset(n):
    if n not in _cached:
        g = torch.Generator().manual_seed(0)
        images = torch.randint(0, 256, (n, 3, SIZE, SIZE), dtype=torch.uint8, generator=g)
        labels = images[:, 0, 0, 0] % 10
        _cached.clear()
        _cached[n] = Images(images, labels, [RandomCrop(SIZE, PAD), RandomHorizontalFlip(0.5)])
    return _cached[n]


def _cpu():
    # This process and its ended (reaped) children: the worker processes of finished passes.
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(workers, n, batch_size):
    ds = dataset(n)
    loader = DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=workers)
    images = 0
    batches = 0
    first_batch_ms = 0.0
    cpu0 = _cpu()
    t0 = time.perf_counter()
    for imgs, _labels in loader:
        if batches == 0:
            first_batch_ms = (time.perf_counter() - t0) * 1e3
        images += imgs.shape[0]
        batches += 1
    seconds = time.perf_counter() - t0
    del loader  # ends and reaps the workers, whose time then counts among the children's
    cpu = _cpu() - cpu0
    if images != n:
        return {'error': f'the pass gave {images} images, not {n}'}
    return {
        'contender': 'python',
        'workers': workers,
        'images': images,
        'batches': batches,
        'seconds': seconds,
        'imagesPerSec': images / seconds,
        'firstBatchMs': first_batch_ms,
        'cpuSeconds': cpu,
    }


def main():
    torch.set_num_threads(1)
    return serve.main('WORKERS IMAGES BATCH', lambda f: measure(*map(int, f)))

if __name__ == '__main__':
    sys.exit(main())
