#!/usr/bin/python3
# The PyTorch (Python) reference for bench/throughput_vs_pytorch.sh: the PoolFormer-style
# MetaFormer of sweeps/demo.yaml written the way a researcher would write it in PyTorch (the
# official PoolFormer modules), trained with the same recipe as `metasweep train` (AdamW with
# no decay on 1-d parameters, cosine schedule with warmup, label smoothing, same global batch,
# same threads) on the same Fashion-MNIST subset held in memory as normalised float tensors.
# Prints one line per epoch with the training samples/s (evaluation excluded, as metasweep).
#   usage: /usr/bin/python3 bench/pytorch_reference.py [--threads N] [--epochs E]
#          [--dims 16,32,64,96] [--depths 1,1,2,1] [--params-only]
import argparse
import gzip
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_fashion_mnist(root, train_subset, test_subset):
    def split(prefix, n):
        x = torch.from_numpy(read_idx(f"{root}/{prefix}-images-idx3-ubyte.gz")[:n].copy()).float().unsqueeze(1)
        y = torch.from_numpy(read_idx(f"{root}/{prefix}-labels-idx1-ubyte.gz")[:n].astype(np.int64))
        return x, y
    tx, ty = split("train", train_subset)
    vx, vy = split("t10k", test_subset)
    mean = tx.mean(dim=(0, 2, 3), keepdim=True)
    std = tx.std(dim=(0, 2, 3), unbiased=False, keepdim=True).clamp_min(1e-6)
    return ((tx - mean) / std).contiguous(), ty, ((vx - mean) / std).contiguous(), vy


class Pooling(nn.Module):  # PoolFormer's token mixer: AvgPool(x) - x
    def __init__(self, pool_size=3):
        super().__init__()
        self.pool = nn.AvgPool2d(pool_size, stride=1, padding=pool_size // 2, count_include_pad=False)

    def forward(self, x):
        return self.pool(x) - x


class Mlp(nn.Module):  # 1x1 convs C -> 4C -> C
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden, dim, 1)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class PoolFormerBlock(nn.Module):
    def __init__(self, dim, pool_size=3, mlp_ratio=4, layer_scale=1e-5):
        super().__init__()
        self.norm1 = nn.GroupNorm(1, dim)
        self.token_mixer = Pooling(pool_size)
        self.norm2 = nn.GroupNorm(1, dim)
        self.mlp = Mlp(dim, dim * mlp_ratio)
        # C x 1 x 1 like metasweep (so the same dim >= 2 rule puts it in the decay group)
        self.layer_scale_1 = nn.Parameter(layer_scale * torch.ones(dim, 1, 1))
        self.layer_scale_2 = nn.Parameter(layer_scale * torch.ones(dim, 1, 1))

    def forward(self, x):
        x = x + self.layer_scale_1 * self.token_mixer(self.norm1(x))
        x = x + self.layer_scale_2 * self.mlp(self.norm2(x))
        return x


class PoolFormer(nn.Module):
    def __init__(self, depths, dims, in_chans=1, num_classes=10, pool_size=3):
        super().__init__()
        self.stem = nn.Conv2d(in_chans, dims[0], 3, stride=2, padding=1)
        layers = []
        for s, (depth, dim) in enumerate(zip(depths, dims)):
            if s > 0:
                layers.append(nn.Conv2d(dims[s - 1], dim, 3, stride=2, padding=1))
            layers += [PoolFormerBlock(dim, pool_size) for _ in range(depth)]
        self.network = nn.Sequential(*layers)
        self.norm = nn.GroupNorm(1, dims[-1])
        self.head = nn.Linear(dims[-1], num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02, a=-0.04, b=0.04)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.network(self.stem(x))
        return self.head(self.norm(x).mean([-2, -1]))


def lr_at(step, peak, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_lr + (peak - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--depths", default="1,1,2,1")
    ap.add_argument("--dims", default="16,32,64,96")
    ap.add_argument("--train-subset", type=int, default=10000)
    ap.add_argument("--test-subset", type=int, default=2000)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--warmup-epochs", type=float, default=0.5)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--params-only", action="store_true")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = PoolFormer([int(v) for v in args.depths.split(",")], [int(v) for v in args.dims.split(",")])
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"pytorch {torch.__version__}: params {params}, threads {torch.get_num_threads()}", flush=True)
    if args.params_only:
        return

    tx, ty, vx, vy = load_fashion_mnist(args.data, args.train_subset, args.test_subset)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    steps = tx.shape[0] // args.batch
    total, warmup = steps * args.epochs, round(args.warmup_epochs * steps)
    gen = torch.Generator().manual_seed(args.seed)
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        model.train()
        perm = torch.randperm(tx.shape[0], generator=gen)
        loss_sum = torch.zeros(())
        for step in range(steps):
            lr = lr_at((epoch - 1) * steps + step, args.lr, warmup, total)
            for g in opt.param_groups:
                g["lr"] = lr
            idx = perm[step * args.batch:(step + 1) * args.batch]
            x, y = tx.index_select(0, idx), ty.index_select(0, idx)
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
            loss.backward()
            opt.step()
            loss_sum += loss.detach()
        train_s = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            acc = sum((model(vx[i:i + 512]).argmax(-1) == vy[i:i + 512]).sum().item()
                      for i in range(0, vx.shape[0], 512)) / vx.shape[0]
        print(f"epoch {epoch}/{args.epochs}  train_loss {loss_sum.item() / steps:.4f}  test_acc {acc:.4f}  "
              f"{steps * args.batch / train_s:.0f} samples/s  {train_s:.2f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
