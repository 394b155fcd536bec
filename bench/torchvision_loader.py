#!/usr/bin/python3
"""torchvision's ImageFolder + DataLoader with the training transforms metasweep's streamed
loader applies (RandomResizedCrop 224 bicubic, horizontal flip, ToTensor, ImageNet Normalize):
images per second with N workers, one warm-up epoch, then the median of REPEATS epochs.
   torchvision_loader.py ROOT WORKERS [BATCH=256] [REPEATS=3]"""
import statistics
import sys
import time

import torch
from torchvision import datasets, transforms

root, workers = sys.argv[1], int(sys.argv[2])
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 256
repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 3
torch.set_num_threads(1)
tf = transforms.Compose([
    transforms.RandomResizedCrop(224, interpolation=transforms.InterpolationMode.BICUBIC),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
    transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
])
data = datasets.ImageFolder(root + "/train", transform=tf)
loader = torch.utils.data.DataLoader(data, batch_size=batch, shuffle=True, num_workers=workers, drop_last=True,
                                     persistent_workers=workers > 0)
rates = []
for epoch in range(repeats + 1):
    start = time.perf_counter()
    n = 0
    for x, y in loader:
        n += x.shape[0]
    s = time.perf_counter() - start
    print(f"epoch {epoch}: {n} images in {s:.2f} s = {n / s:.1f} images/s{' (warm-up)' if epoch == 0 else ''}")
    if epoch > 0:
        rates.append(n / s)
print(f"torchvision workers={workers} median {statistics.median(rates):.1f} images/s")
