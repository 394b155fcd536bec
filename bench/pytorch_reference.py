#!/usr/bin/python3
# The PyTorch (Python) reference for bench/throughput_vs_pytorch.sh: the PoolFormer-style
# MetaFormer of sweeps/demo.yaml written the way a researcher would write it in PyTorch (the
# official PoolFormer modules), trained with the same recipe as `metasweep train` (AdamW with
# no decay on 1-d parameters, cosine schedule with warmup, label smoothing, same global batch,
# same threads) on the same Fashion-MNIST subset held in memory as normalised float tensors.
# Prints one line per epoch with the training samples/s (evaluation excluded, as metasweep).
#   usage: /usr/bin/python3 bench/pytorch_reference.py [--threads N] [--epochs E]
#          [--dims 16,32,64,96] [--depths 1,1,2,1] [--params-only]
# GPU / other geometries (bench/gpu_vs_pytorch.sh): --device cpu|cuda, --precision fp32|bf16
# (torch.autocast bf16 around forward + loss, CUDA only, as metasweep's task.precision),
# --compile [--compile-mode M] (torch.compile of the model; evaluation uses the eager module),
# --synthetic with --image-size/--channels/--classes/--train-size/--test-size (class patterns
# + noise like metasweep's synthetic-images, generated on the device, no file I/O), the stem
# geometry --stem-kernel/--stem-stride/--stem-padding and --drop-path (stochastic depth, linear
# over blocks, as metasweep's model.drop_path). Defaults reproduce the Fashion-MNIST CPU run.
import argparse
import contextlib
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


class DropPath(nn.Module):  # stochastic depth per sample, as metasweep's drop_path()
    def __init__(self, p=0.0):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p <= 0:
            return x
        keep = 1.0 - self.p
        mask = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
        return x * mask.div_(keep)


class PoolFormerBlock(nn.Module):
    def __init__(self, dim, pool_size=3, mlp_ratio=4, layer_scale=1e-5, drop_path=0.0):
        super().__init__()
        self.norm1 = nn.GroupNorm(1, dim)
        self.token_mixer = Pooling(pool_size)
        self.norm2 = nn.GroupNorm(1, dim)
        self.mlp = Mlp(dim, dim * mlp_ratio)
        # C x 1 x 1 like metasweep (so the same dim >= 2 rule puts it in the decay group)
        self.layer_scale_1 = nn.Parameter(layer_scale * torch.ones(dim, 1, 1))
        self.layer_scale_2 = nn.Parameter(layer_scale * torch.ones(dim, 1, 1))
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, x):
        x = x + self.drop_path(self.layer_scale_1 * self.token_mixer(self.norm1(x)))
        x = x + self.drop_path(self.layer_scale_2 * self.mlp(self.norm2(x)))
        return x


class PoolFormer(nn.Module):
    def __init__(self, depths, dims, in_chans=1, num_classes=10, pool_size=3, stem=(3, 2, 1), drop_path=0.0):
        super().__init__()
        k, s_, p = stem
        self.stem = nn.Conv2d(in_chans, dims[0], k, stride=s_, padding=p)
        layers = []
        total, done = sum(depths), 0
        for s, (depth, dim) in enumerate(zip(depths, dims)):
            if s > 0:
                layers.append(nn.Conv2d(dims[s - 1], dim, 3, stride=2, padding=1))
            for _ in range(depth):
                dp = drop_path * done / (total - 1) if total > 1 else 0.0
                layers.append(PoolFormerBlock(dim, pool_size, drop_path=dp))
                done += 1
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


def synthetic_images(size, channels, classes, train_n, test_n, seed, device):
    """Class patterns (4x4 random fields upsampled bilinearly) + unit noise, per-channel
    normalised with the training statistics: the recipe of metasweep's synthetic-images, drawn
    on the device (not the same random numbers; the cost of a training step does not depend on
    them)."""
    gen = torch.Generator(device=device).manual_seed(seed * 7919 + 17)
    coarse = torch.randn(classes, channels, 4, 4, generator=gen, device=device)
    patterns = F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)

    def make(n):
        labels = torch.arange(n, device=device) % classes
        labels = labels[torch.randperm(n, generator=gen, device=device)]
        x = torch.randn(n, channels, size, size, generator=gen, device=device)
        for i in range(0, n, 1024):  # in place, in chunks: no second full-size temporary
            x[i:i + 1024] += patterns.index_select(0, labels[i:i + 1024])
        return x, labels

    tx, ty = make(train_n)
    vx, vy = make(test_n)
    mean = tx.mean(dim=(0, 2, 3), keepdim=True)
    std = tx.std(dim=(0, 2, 3), unbiased=False, keepdim=True).clamp_min(1e-6)
    tx.sub_(mean).div_(std)
    vx.sub_(mean).div_(std)
    return tx, ty, vx, vy


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
    ap.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"], help="bf16: autocast on CUDA")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (torch >= 2.0)")
    ap.add_argument("--compile-mode", default="default", help="torch.compile mode")
    ap.add_argument("--synthetic", action="store_true", help="synthetic images on the device instead of Fashion-MNIST")
    ap.add_argument("--image-size", type=int, default=28)
    ap.add_argument("--channels", type=int, default=1)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--train-size", type=int, default=10000, help="with --synthetic")
    ap.add_argument("--test-size", type=int, default=2000, help="with --synthetic")
    ap.add_argument("--stem-kernel", type=int, default=3)
    ap.add_argument("--stem-stride", type=int, default=2)
    ap.add_argument("--stem-padding", type=int, default=1)
    ap.add_argument("--drop-path", type=float, default=0.0)
    args = ap.parse_args()

    if args.compile and not hasattr(torch, "compile"):
        # Not an error: the caller (bench/gpu_vs_pytorch.sh) reports the row as unavailable.
        print(f"compile: unavailable in torch {torch.__version__}", flush=True)
        return 0
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    if cuda and not torch.cuda.is_available():
        print(f"--device {args.device}: torch {torch.__version__} sees no CUDA device", file=sys.stderr)
        return 2
    # As metasweep: bf16 is autocast on CUDA only; on the CPU the run stays fp32.
    bf16 = args.precision == "bf16" and cuda
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = PoolFormer([int(v) for v in args.depths.split(",")], [int(v) for v in args.dims.split(",")],
                       in_chans=args.channels, num_classes=args.classes,
                       stem=(args.stem_kernel, args.stem_stride, args.stem_padding), drop_path=args.drop_path)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"pytorch {torch.__version__}: params {params}, threads {torch.get_num_threads()}", flush=True)
    if args.params_only:
        return
    print(f"device {device}{' (' + torch.cuda.get_device_name(device) + ')' if cuda else ''}, "
          f"precision {'bf16 autocast' if bf16 else 'fp32'}, "
          f"{'torch.compile mode ' + args.compile_mode if args.compile else 'eager'}", flush=True)

    if args.synthetic:
        tx, ty, vx, vy = synthetic_images(args.image_size, args.channels, args.classes, args.train_size,
                                          args.test_size, args.seed, device)
    else:
        tx, ty, vx, vy = [t.to(device) for t in load_fashion_mnist(args.data, args.train_subset, args.test_subset)]
    model.to(device)
    train_model = torch.compile(model, mode=args.compile_mode) if args.compile else model
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    # torch 1.13 checks bf16 support even for a disabled CUDA autocast: build it only when used.
    amp = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext
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
        perm = torch.randperm(tx.shape[0], generator=gen).to(device)
        loss_sum = torch.zeros((), device=device)
        for step in range(steps):
            lr = lr_at((epoch - 1) * steps + step, args.lr, warmup, total)
            for g in opt.param_groups:
                g["lr"] = lr
            idx = perm[step * args.batch:(step + 1) * args.batch]
            x, y = tx.index_select(0, idx), ty.index_select(0, idx)
            opt.zero_grad(set_to_none=True)
            with amp():
                loss = F.cross_entropy(train_model(x), y, label_smoothing=0.1)
            loss.backward()
            opt.step()
            loss_sum += loss.detach()
        sync()
        train_s = time.perf_counter() - start
        model.eval()  # the eager module: no recompilation for eval mode / the eval batch
        with torch.no_grad(), amp():
            acc = sum((model(vx[i:i + 512]).argmax(-1) == vy[i:i + 512]).sum().item()
                      for i in range(0, vx.shape[0], 512)) / vx.shape[0]
        print(f"epoch {epoch}/{args.epochs}  train_loss {loss_sum.item() / steps:.4f}  test_acc {acc:.4f}  "
              f"{steps * args.batch / train_s:.0f} samples/s  {train_s:.2f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
