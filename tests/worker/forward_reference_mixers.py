"""forward_reference.py's token mixers, one function per registered name (MIXERS): each claims its
tensors from the State under its module path and returns the mixing function B x C x H x W ->
B x C x H x W (sequences: H = 1, W = L)."""
import math

import numpy as np
import torch

from forward_reference_layers import (DT, ReferenceError, causal_lower, gelu, linear, make_activation, make_norm,
                                      pointwise, shifted, token_matrix)

SEPCONV_KERNEL = 7


# ---------------------------------------------------------------- token mixers

class Geometry:
    def __init__(self, dim, heads, height, width, pool_size, causal):
        self.dim, self.heads, self.height, self.width = dim, heads, height, width
        self.pool_size, self.causal = pool_size, causal
        self.n = height * width
        self.sequence = height == 1  # 1 x k kernels over positions


def mixer_identity(state, p, g):
    return lambda x: x


def mixer_pool(state, p, g):
    k = g.pool_size
    if g.causal:  # mean of the last k positions that exist, minus x
        # The model keeps k / (positions in the window) as a (float32) buffer: checked against the
        # count here, then used as the mean's factor (sum / k * it), so that float64 runs compare
        # the forward pass, not that buffer's rounding.
        real = [min(i + 1, k) for i in range(g.width)]
        rescale = state.derived_buffer(p + "rescale", torch.tensor([k / r for r in real]).view(1, 1, 1, g.width),
                                       atol=1e-6)

        def causal_pool(x):
            total = torch.zeros_like(x)
            for back in range(k):
                total = total + shifted(x, 0, -back)
            return total / k * rescale - x
        return causal_pool
    kh = 1 if g.sequence else k

    def pool(x):  # mean over the window cells inside the grid (padding not counted), minus x
        total = torch.zeros_like(x)
        count = torch.zeros_like(x[:1, :1])
        ones = torch.ones_like(count)
        for dy in range(-(kh // 2), kh // 2 + 1):
            for dx in range(-(k // 2), k // 2 + 1):
                total = total + shifted(x, dy, dx)
                count = count + shifted(ones, dy, dx)
        return total / count - x
    return pool


def depthwise(x, weight, causal):
    """Depthwise cross-correlation, zero padding: centred k_h x k_w window, or (causal, 1 x k)
    the window of the k positions ending at i. weight C x 1 x k_h x k_w."""
    kh, kw = weight.shape[2], weight.shape[3]
    out = torch.zeros_like(x)
    for a in range(kh):
        for b in range(kw):
            dy = a - kh // 2
            dx = b - (kw - 1) if causal else b - kw // 2
            out = out + weight[:, 0, a, b].view(1, -1, 1, 1) * shifted(x, dy, dx)
    return out


def mixer_dwconv(state, p, g):
    k, kh = g.pool_size, (1 if g.sequence else g.pool_size)
    w = state.param(p + "weight", [g.dim, 1, kh, k])
    b = state.param(p + "bias", [g.dim])
    return lambda x: depthwise(x, w, g.causal) + b.view(1, -1, 1, 1)


def mixer_sepconv(state, p, g):  # ConvFormer: pw C->2C, StarReLU, dw 7x7, pw 2C->C, no biases
    c2, kh = 2 * g.dim, (1 if g.sequence else SEPCONV_KERNEL)
    w1 = state.param(p + "pwconv1.weight", [c2, g.dim, 1, 1])
    act = make_activation(state, p + "act.", "starrelu")
    wd = state.param(p + "dwconv_weight", [c2, 1, kh, SEPCONV_KERNEL])
    w2 = state.param(p + "pwconv2.weight", [g.dim, c2, 1, 1])
    return lambda x: pointwise(depthwise(act(pointwise(x, w1)), wd, g.causal), w2)


def attend(q, k, v, g, bias=None):
    """q, k, v: B x N x C, heads over consecutive channel groups; bias N x N added to scores."""
    bsz, n, c = q.shape
    hd = c // g.heads
    allowed = causal_lower(n).to(torch.bool) if g.causal else None
    pieces = []
    for h in range(g.heads):
        sl = slice(h * hd, (h + 1) * hd)
        scores = torch.einsum("bid,bjd->bij", q[:, :, sl], k[:, :, sl]) / math.sqrt(hd)
        if bias is not None:
            scores = scores + bias
        if allowed is not None:
            scores = scores.masked_fill(~allowed, float("-inf"))
        scores = scores - scores.max(dim=-1, keepdim=True).values
        e = torch.exp(scores)
        a = e / e.sum(dim=-1, keepdim=True)
        pieces.append(torch.einsum("bij,bjd->bid", a, v[:, :, sl]))
    return torch.cat(pieces, dim=-1)


def tokens_of(x):
    b, c, h, w = x.shape
    return x.reshape(b, c, h * w).transpose(1, 2)


def grid_of(t, h, w):
    b, n, c = t.shape
    return t.transpose(1, 2).reshape(b, c, h, w)


def causal_buffer(state, p, name, g):
    """The attention family's causal form carries its N x N additive mask as a buffer."""
    if g.causal:
        allowed = causal_lower(g.n).to(torch.bool)
        state.derived_buffer(p + name, torch.zeros(g.n, g.n).masked_fill(~allowed, float("-inf")))


def mixer_attention(state, p, g):  # softmax(Q K^T / sqrt(d_h)) V, output projection
    c = g.dim
    wqkv = state.param(p + "qkv.weight", [3 * c, c])
    wo, bo = state.param(p + "proj.weight", [c, c]), state.param(p + "proj.bias", [c])
    causal_buffer(state, p, "causal_mask", g)

    def attention(x):
        t = tokens_of(x)
        q, k, v = linear(t, wqkv[:c]), linear(t, wqkv[c:2 * c]), linear(t, wqkv[2 * c:])
        return grid_of(linear(attend(q, k, v, g), wo, bo), g.height, g.width)
    return attention


def kv_projections(state, p, g):
    c = g.dim
    return [state.param(p + n, s) for n, s in (("k.weight", [c, c]), ("k.bias", [c]), ("v.weight", [c, c]),
                                                ("v.bias", [c]), ("proj.weight", [c, c]), ("proj.bias", [c]))]


def mixer_kv_attention(state, p, g):  # symmetric: softmax(K K^T / sqrt(d_h)) V, no queries
    wk, bk, wv, bv, wo, bo = kv_projections(state, p, g)
    causal_buffer(state, p, "causal_mask", g)

    def kv_attention(x):
        t = tokens_of(x)
        k, v = linear(t, wk, bk), linear(t, wv, bv)
        return grid_of(linear(attend(k, k, v, g), wo, bo), g.height, g.width)
    return kv_attention


def mixer_kv_pos_attention(state, p, g):
    """Asymmetric: softmax(w * K K^T / sqrt(d_h) + P + b) V. P[i, j] is a learned term of the
    pair's 2-D offset (y_i - y_j, x_i - x_j): a linear map (the table) from the offset's one-hot
    code, shared by the heads. The table's layout: offset (dy, dx) at (dy + H-1)(2W-1) + dx + W-1."""
    wk, bk, wv, bv, wo, bo = kv_projections(state, p, g)
    h, w = g.height, g.width
    span = (2 * h - 1) * (2 * w - 1)
    table = state.param(p + "pos_table", [span])
    scale = state.param(p + "w", [1])
    shift = state.param(p + "b", [1])
    ys = [i // w for i in range(g.n)]
    xs = [i % w for i in range(g.n)]
    onehot = torch.zeros(g.n, g.n, span, dtype=DT)
    index = torch.zeros(g.n, g.n, dtype=torch.int64)
    for i in range(g.n):
        for j in range(g.n):
            slot = (ys[i] - ys[j] + h - 1) * (2 * w - 1) + (xs[i] - xs[j] + w - 1)
            onehot[i, j, slot] = 1.0
            index[i, j] = slot
    state.derived_buffer(p + "pair_index", index.flatten())
    causal_buffer(state, p, "causal_mask", g)

    def kv_pos_attention(x):
        t = tokens_of(x)
        k, v = linear(t, wk, bk), linear(t, wv, bv)
        pos = torch.einsum("ijs,s->ij", onehot, table) + shift
        # w multiplies K K^T / sqrt(d_h): scale one factor of the product.
        return grid_of(linear(attend(scale * k, k, v, g, bias=pos), wo, bo), g.height, g.width)
    return kv_pos_attention


def mixer_spatial_fc(state, p, g):  # W X over tokens, W N x N, no bias
    wm = state.param(p + "weight", [g.n, g.n])
    if g.causal:
        mask = state.derived_buffer(p + "causal_mask", causal_lower(g.n))
        return lambda x: token_matrix(x, wm * mask)
    return lambda x: token_matrix(x, wm)


def mixer_spatial_mlp(state, p, g):
    """MLP-Mixer's token MLP N -> N/2 -> N with GELU and biases. Causal: MADE masks, hidden unit
    h stands for token floor(h N / hidden), sees tokens <= it and feeds output tokens >= it."""
    n, hidden = g.n, max(1, g.n // 2)
    w1, b1 = state.param(p + "fc1.weight", [hidden, n]), state.param(p + "fc1.bias", [hidden])
    w2, b2 = state.param(p + "fc2.weight", [n, hidden]), state.param(p + "fc2.bias", [n])
    if g.causal:
        token_of_hidden = torch.tensor([hh * n // hidden for hh in range(hidden)])
        tokens = torch.arange(n)
        m1 = (tokens.view(1, n) <= token_of_hidden.view(hidden, 1)).to(torch.float32)
        m2 = (token_of_hidden.view(1, hidden) <= tokens.view(n, 1)).to(torch.float32)
        w1 = w1 * state.derived_buffer(p + "causal_mask1", m1)
        w2 = w2 * state.derived_buffer(p + "causal_mask2", m2)

    def spatial_mlp(x):
        bsz, c, hh, ww = x.shape
        t = x.reshape(bsz, c, n)
        return linear(gelu(linear(t, w1, b1)), w2, b2).reshape(bsz, c, hh, ww)
    return spatial_mlp


def gating_unit(state, p, g, width, expand_activation=None):
    """gMLP: [Z1, Z2] = split(X); out = Proj(Z1 * (W LN(Z2) + b)), W N x N over tokens, b per
    token, LN over Z2's channels per position; Proj 1x1 width/2 -> C with bias. With
    expand_activation, X = act(Linear C -> width (input)) first (gMLP's own block)."""
    c, half = g.dim, width // 2
    if width % 2:
        raise ReferenceError(f"gMLP splits {width} channels in two")
    if expand_activation is not None:
        win, bin_ = state.param(p + "fc_in.weight", [width, c, 1, 1]), state.param(p + "fc_in.bias", [width])
        act = make_activation(state, p + "act.", expand_activation)
    norm = make_norm(state, p + "norm.", "layernorm", half)
    wm, bm = state.param(p + "spatial_weight", [g.n, g.n]), state.param(p + "spatial_bias", [g.n])
    wp, bp = state.param(p + "proj.weight", [c, half, 1, 1]), state.param(p + "proj.bias", [c])
    if g.causal:
        wm = wm * state.derived_buffer(p + "causal_mask", causal_lower(g.n))

    def unit(x):
        if expand_activation is not None:
            x = act(pointwise(x, win, bin_))
        z1, z2 = x[:, :half], x[:, half:]
        gate = token_matrix(norm(z2), wm) + bm.view(1, 1, g.height, g.width)
        return pointwise(z1 * gate, wp, bp)
    return unit


def mixer_gmlp(state, p, g):
    return gating_unit(state, p, g, g.dim)


def mixer_random(state, p, g):
    """R X, R = softmax_row(U[0,1)) drawn once and frozen (causal: over j <= i). The matrix is
    state, not trained; checked here to be such a softmax: rows sum to 1, positive entries whose
    ratio within a row stays below e (exp of a spread < 1), zero above the diagonal when causal."""
    r = state.param(p + "matrix", [g.n, g.n], trainable=False)
    allowed = causal_lower(g.n).to(torch.bool) if g.causal else torch.ones(g.n, g.n, dtype=torch.bool)
    if (r.sum(dim=1) - 1).abs().max() > 1e-5:
        raise ReferenceError("random: the frozen matrix's rows do not sum to 1")
    if (r[~allowed] != 0).any():
        raise ReferenceError("random: the causal matrix has weight above the diagonal")
    inside = r.masked_fill(~allowed, float("nan"))
    lo = torch.from_numpy(np.nanmin(inside.numpy(), axis=1))
    hi = torch.from_numpy(np.nanmax(inside.numpy(), axis=1))
    if (lo <= 0).any() or (hi / lo > math.e * (1 + 1e-5)).any():
        raise ReferenceError("random: the frozen matrix is not a row softmax of U[0,1) logits")
    return lambda x: token_matrix(x, r)


def mixer_fourier(state, p, g):
    """Re(FFT2(X)) over the H x W token grid, as DFT matrices: Re(F_H X F_W) with
    F = exp(-2 pi i jk / n) = C - i S gives C_H X C_W - S_H X S_W."""
    if g.causal:
        raise ReferenceError("fourier has no causal form")

    def dft(n):
        jk = torch.outer(torch.arange(n, dtype=DT), torch.arange(n, dtype=DT))
        return torch.cos(2 * math.pi * jk / n), torch.sin(2 * math.pi * jk / n)
    ch, sh = dft(g.height)
    cw, sw = dft(g.width)
    return lambda x: (torch.einsum("ik,bckl,lj->bcij", ch, x, cw) - torch.einsum("ik,bckl,lj->bcij", sh, x, sw))


MIXERS = {
    "identity": mixer_identity,
    "pool": mixer_pool,
    "dwconv": mixer_dwconv,
    "sepconv": mixer_sepconv,
    "attention": mixer_attention,
    "kv_attention": mixer_kv_attention,
    "kv_pos_attention": mixer_kv_pos_attention,
    "spatial_fc": mixer_spatial_fc,
    "spatial_mlp": mixer_spatial_mlp,
    "gmlp": mixer_gmlp,
    "random": mixer_random,
    "fourier": mixer_fourier,
}
