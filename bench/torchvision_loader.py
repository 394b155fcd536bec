#!/usr/bin/python3
"""torchvision's ImageFolder + DataLoader with the training transforms metasweep's streamed
loader applies (RandomResizedCrop 224 bicubic, horizontal flip, ToTensor, ImageNet Normalize):
images per second with N workers, one warm-up epoch, then the median of REPEATS epochs.
"full" adds torchvision's RandAugment(2, 9) after the flip and RandomErasing(0.25) after Normalize:
the cost of the DeiT recipe's per-image transforms (torchvision's RandAugment is not timm's
rand-m9-mstd0.5-inc1 that metasweep applies, but the same kind of Pillow operations).
   torchvision_loader.py ROOT WORKERS [BATCH=256] [REPEATS=3] [basic|full]"""
import statistics
import sys
import time

import torch
from torchvision import datasets, transforms

root, workers = sys.argv[1], int(sys.argv[2])
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 256
repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 3
full = len(sys.argv) > 5 and sys.argv[5] == "full"
torch.set_num_threads(1)
bicubic = transforms.InterpolationMode.BICUBIC
tf = transforms.Compose([
    transforms.RandomResizedCrop(224, interpolation=bicubic),
    transforms.RandomHorizontalFlip(),
    *([transforms.RandAugment(num_ops=2, magnitude=9, interpolation=bicubic, fill=[124, 116, 104])] if full else []),
    transforms.ToTensor(),
    transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    *([transforms.RandomErasing(p=0.25, value="random")] if full else []),
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
print(f"torchvision {'full' if full else 'basic'} workers={workers} median {statistics.median(rates):.1f} images/s")
