"""forward_reference.py's models: the MetaFormer block (and gMLP's), the 4-stage image classifier
and the isotropic sequence encoder, built from a resolved config over a State."""
import math

import torch

from forward_reference_layers import DT, ReferenceError, linear, make_activation, make_norm, pointwise
from forward_reference_mixers import MIXERS, Geometry, gating_unit

ATTENTION_FAMILY = ("attention", "kv_attention", "kv_pos_attention")  # split channels into heads
CAUSAL_DATASETS = ("charlm",)  # next-token prediction: every mixer in its causal form
BYTE_VOCAB_DATASETS = ("charlm",)


# ---------------------------------------------------------------- blocks and models

def make_block(state, p, model, mixer, g):
    c = g.dim
    form = model["block"]
    norm1 = make_norm(state, p + "norm1.", model["norm"], c)
    if form == "gmlp":  # gMLP's block: one branch, x + ls1 * Proj(SGU(act(Linear C -> d_ffn)))
        if mixer != "gmlp":
            raise ReferenceError("model.block gmlp needs the gmlp mixer")
        unit = gating_unit(state, p + "mixer.", g, int(c * model["mlp_ratio"]), model["activation"])
    elif form == "metaformer":
        if mixer not in MIXERS:
            raise ReferenceError(f"no reference for token mixer '{mixer}'")
        unit = MIXERS[mixer](state, p + "mixer.", g)
    else:
        raise ReferenceError(f"no reference for model.block '{form}'")
    scaled = model["layer_scale"] > 0
    ls1 = state.param(p + "ls1", [c, 1, 1]) if scaled else None
    mlp = None
    if model["channel_mlp"] and form == "metaformer":
        norm2 = make_norm(state, p + "norm2.", model["norm"], c)
        hidden = max(1, int(c * model["mlp_ratio"]))
        w1, b1 = state.param(p + "mlp.fc1.weight", [hidden, c, 1, 1]), state.param(p + "mlp.fc1.bias", [hidden])
        act = make_activation(state, p + "mlp.act.", model["activation"])
        w2, b2 = state.param(p + "mlp.fc2.weight", [c, hidden, 1, 1]), state.param(p + "mlp.fc2.bias", [c])
        ls2 = state.param(p + "ls2", [c, 1, 1]) if scaled else None
        mlp = (norm2, lambda y: pointwise(act(pointwise(y, w1, b1)), w2, b2), ls2)
    residual, post = model["residual"], model["norm_position"] == "post"

    def sub_block(x, norm, fn, ls):
        if post:
            branch = fn(x)
        else:
            branch = fn(norm(x))
        if ls is not None:
            branch = ls * branch
        y = x + branch if residual else branch
        return norm(y) if post else y

    def block(x):
        x = sub_block(x, norm1, unit, ls1)
        if mlp is not None:
            x = sub_block(x, *mlp)
        return x
    return block


def conv_side(side, conv):
    return (side + 2 * conv["padding"] - conv["kernel"]) // conv["stride"] + 1


def heads_of(model, stage):
    heads = model["heads"]
    return heads[stage] if isinstance(heads, list) else heads


def build_metaformer(state, config):
    task, model = config["task"], config["model"]
    dims, depths, mixers = model["dims"], model["depths"], model["mixers"]
    if isinstance(mixers, str):
        mixers = [mixers] * len(dims)
    channels, classes, side = task["channels"], task["num_classes"], task["image_size"]
    stem, down = model["stem"], model["downsample"]
    stem_w = state.param("stem.weight", [dims[0], channels, stem["kernel"], stem["kernel"]])
    stem_b = state.param("stem.bias", [dims[0]])
    side = conv_side(side, stem)
    stages, pos_stage, pos_embed = [], None, None
    for s, (depth, dim) in enumerate(zip(depths, dims)):
        downsample = None
        if s > 0:
            dw = state.param(f"downsample{s}.weight", [dim, dims[s - 1], down["kernel"], down["kernel"]])
            db = state.param(f"downsample{s}.bias", [dim])
            downsample = (dw, db)
            side = conv_side(side, down)
        if pos_stage is None and mixers[s] in ATTENTION_FAMILY:  # learned position embedding
            pos_stage = s
            pos_embed = state.param("pos_embed", [1, dim, side, side])
        g = Geometry(dim, heads_of(model, s), side, side, model["pool_size"], causal=False)
        blocks = [make_block(state, f"stage{s}.{b}.", model, mixers[s], g) for b in range(depth)]
        stages.append((downsample, blocks))
    final_norm = make_norm(state, "norm.", model["norm"], dims[-1])
    head_w, head_b = state.param("head.weight", [classes, dims[-1]]), state.param("head.bias", [classes])

    def forward(x):
        x = torch.nn.functional.conv2d(x, stem_w, stem_b, stride=stem["stride"], padding=stem["padding"])
        for s, (downsample, blocks) in enumerate(stages):
            if downsample is not None:
                x = torch.nn.functional.conv2d(x, downsample[0], downsample[1], stride=down["stride"],
                                               padding=down["padding"])
            if s == pos_stage:
                x = x + pos_embed
            for block in blocks:
                x = block(x)
        return linear(final_norm(x).mean(dim=(2, 3)), head_w, head_b)
    return forward


def sinusoidal(length, dim):
    """Vaswani et al.: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d))."""
    pe = torch.zeros(length, dim, dtype=DT)
    for p in range(length):
        for c in range(dim):
            angle = p / 10000.0 ** ((c - c % 2) / dim)
            pe[p, c] = math.sin(angle) if c % 2 == 0 else math.cos(angle)
    return pe


def build_sequence(state, config):
    task, model = config["task"], config["model"]
    if len(model["dims"]) != 1:
        raise ReferenceError("the sequence model has one stage")
    dim, depth, length = model["dims"][0], model["depths"][0], task["seq_len"]
    mixer = model["mixers"][0] if isinstance(model["mixers"], list) else model["mixers"]
    causal = task["dataset"] in CAUSAL_DATASETS
    vocab = 256 if task["dataset"] in BYTE_VOCAB_DATASETS else task["vocab"]
    embed = state.param("embed.weight", [vocab, dim])
    positions = model["positions"]
    if positions == "sinusoidal":
        pos = state.derived_buffer("positions", sinusoidal(length, dim).to(torch.float32), atol=2e-6)
    elif positions == "learned":
        pos = state.param("positions", [length, dim])
    elif positions == "none":
        pos = None
    else:
        raise ReferenceError(f"no reference for model.positions '{positions}'")
    g = Geometry(dim, heads_of(model, 0), 1, length, model["pool_size"], causal)
    blocks = [make_block(state, f"blocks.{b}.", model, mixer, g) for b in range(depth)]
    post = model["norm_position"] == "post"
    final_norm = None if post else make_norm(state, "norm.", model["norm"], dim)  # post-norm: blocks end normed
    head_w, head_b = state.param("head.weight", [vocab, dim]), state.param("head.bias", [vocab])

    def forward(tokens):
        x = embed[tokens]  # B x L x C
        if pos is not None:
            x = x + pos
        x = x.transpose(1, 2).unsqueeze(2)  # B x C x 1 x L: tokens on the width axis
        for block in blocks:
            x = block(x)
        if final_norm is not None:
            x = final_norm(x)
        return linear(x.squeeze(2).transpose(1, 2), head_w, head_b)
    return forward
