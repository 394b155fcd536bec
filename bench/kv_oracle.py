#!/usr/bin/env python3
"""Independent PyTorch oracle for the Key-Value Transformer synthetic tasks, with all three
attention forms: QKV (nn.MultiheadAttention), KV (symmetric: softmax(K K^T / sqrt(d_h)) V, no
query projection) and KV+Pos (asymmetric: softmax(w * K K^T / sqrt(d_h) + P[i-j] + b) V with a
learned relative-position table P shared across heads, zero at init; w = 1, b = 0 at init).

Self-contained; it extends the team's reference encoder for these tasks (kept outside this
repository, written independently of metasweep's C++): a plain
pre-norm encoder (ReLU MLP, sinusoidal positions, final LayerNorm, no layer scale, no stochastic
depth) trained with Adam, cosine schedule, label smoothing 0.1 and gradient clipping 5 on
uniform random digit sequences. The --mixer qkv path is the reference's model.

Prints one line per epoch and, last, `final test_acc X` (per-token accuracy). Needs python3-torch.
  python3 bench/kv_oracle.py --task sort --mixer kv --epochs 3 --seed 0
"""
import argparse, math, time
import torch, torch.nn as nn, torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--task", default="sort", choices=["copy", "reverse", "sort", "swap", "sub"])
p.add_argument("--mixer", default="qkv", choices=["qkv", "kv", "kvpos"])
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--len", type=int, default=32)
p.add_argument("--vocab", type=int, default=10)
p.add_argument("--dim", type=int, default=64)
p.add_argument("--depth", type=int, default=2)
p.add_argument("--heads", type=int, default=2)
p.add_argument("--mlp-ratio", type=int, default=2)
p.add_argument("--train", type=int, default=20000)
p.add_argument("--test", type=int, default=2000)
p.add_argument("--batch", type=int, default=128)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--init", default="torch", choices=["torch", "trunc_normal"],
               help="torch: PyTorch's defaults (the reference's); trunc_normal: every Linear weight "
                    "timm's trunc_normal_(std=0.02) (bounds +-2 absolute: in effect N(0, 0.02)), biases 0 "
                    "(metasweep's model.init default)")
a = p.parse_args()
torch.manual_seed(a.seed)
torch.set_num_threads(a.threads)
L, V, D, H = a.len, a.vocab, a.dim, a.heads


def make(n):
    x = torch.randint(0, V, (n, L))
    y = {"copy": lambda: x.clone(), "reverse": lambda: x.flip(1), "sort": lambda: x.sort(1).values,
         "swap": lambda: torch.cat([x[:, L // 2:], x[:, :L // 2]], 1), "sub": lambda: (V - 1) - x}[a.task]()
    return x, y


def sinusoidal(length, dim):
    pos = torch.arange(length).float()[:, None]
    i = torch.arange(dim)
    ang = pos * torch.exp((i // 2).float() * (-2 * math.log(10000.0) / dim))[None]
    return torch.where(i % 2 == 0, torch.sin(ang), torch.cos(ang))


class KVAttention(nn.Module):
    """Query-free attention; `positional` adds w-scaling, a relative table and a bias."""

    def __init__(self, positional):
        super().__init__()
        self.k, self.v, self.out = nn.Linear(D, D), nn.Linear(D, D), nn.Linear(D, D)
        self.positional = positional
        if positional:
            self.table = nn.Parameter(torch.zeros(2 * L - 1))
            self.w = nn.Parameter(torch.ones(1))
            self.b = nn.Parameter(torch.zeros(1))
            idx = torch.arange(L)
            self.register_buffer("rel", idx[:, None] - idx[None, :] + L - 1)

    def forward(self, x):
        n, l, _ = x.shape
        k = self.k(x).view(n, l, H, D // H).transpose(1, 2)
        v = self.v(x).view(n, l, H, D // H).transpose(1, 2)
        s = k @ k.transpose(-2, -1) / math.sqrt(D // H)
        if self.positional:
            s = self.w * s + self.table[self.rel] + self.b
        return self.out((s.softmax(-1) @ v).transpose(1, 2).reshape(n, l, D))


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(D), nn.LayerNorm(D)
        if a.mixer == "qkv":
            self.mha = nn.MultiheadAttention(D, H, dropout=0.0, batch_first=True)
            self.attn = lambda t: self.mha(t, t, t, need_weights=False)[0]
        else:
            self.kv = KVAttention(a.mixer == "kvpos")
            self.attn = self.kv
        self.mlp = nn.Sequential(nn.Linear(D, a.mlp_ratio * D), nn.ReLU(), nn.Linear(a.mlp_ratio * D, D))

    def forward(self, x):
        x = x + self.attn(self.n1(x))
        return x + self.mlp(self.n2(x))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, D)
        self.register_buffer("pos", sinusoidal(L, D))
        self.layers = nn.ModuleList([Layer() for _ in range(a.depth)])
        self.norm = nn.LayerNorm(D)
        self.head = nn.Linear(D, V)

    def forward(self, x):
        x = self.emb(x) + self.pos
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x))


xtr, ytr = make(a.train)
xte, yte = make(a.test)
model = Encoder()
if a.init == "trunc_normal":
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)  # timm's: a=-2, b=2
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.MultiheadAttention):
            nn.init.trunc_normal_(m.in_proj_weight, std=0.02)
            nn.init.zeros_(m.in_proj_bias)
opt = torch.optim.Adam(model.parameters(), a.lr)
steps = a.epochs * (a.train // a.batch)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5 * (1 + math.cos(math.pi * min(t, steps) / steps)))
acc = 0.0
for epoch in range(a.epochs):
    t0 = time.time()
    perm = torch.randperm(a.train)
    model.train()
    for k in range(a.train // a.batch):
        idx = perm[k * a.batch:(k + 1) * a.batch]
        loss = F.cross_entropy(model(xtr[idx]).reshape(-1, V), ytr[idx].reshape(-1), label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        sched.step()
    model.eval()
    with torch.no_grad():
        acc = (model(xte).argmax(-1) == yte).float().mean().item()
    print(f"epoch {epoch + 1} train_loss {loss.item():.4f} test_acc {acc:.4f} {time.time() - t0:.1f} s", flush=True)
print(f"final test_acc {acc:.4f}")
