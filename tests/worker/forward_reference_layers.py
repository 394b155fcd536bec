"""forward_reference.py's building blocks: the tensors by name (State), and the layers every model
shares -- pointwise convs, linears, shifts on the token grid, activations, norms, token matrices --
written from their formulas in float64."""
import math

import torch

DT = torch.float64  # the reference computes in double: its own rounding is negligible

NORM_EPS = {"group1": 1e-5, "layernorm": 1e-5, "batchnorm": 1e-5, "rmsnorm": 1e-6}


class ReferenceError(Exception):
    pass


# ---------------------------------------------------------------- the state, by name

class State:
    """The loaded tensors; the model claims each by name and shape. Unclaimed ones are an error."""

    def __init__(self, tensors):
        self.tensors = tensors
        self.claimed = {}
        self.trainable = []  # (name, float64 leaf) in claim order

    def _take(self, name, shape):
        if name not in self.tensors:
            raise ReferenceError(f"the reference expects tensor '{name}' {list(shape)}, the model has none")
        if name in self.claimed:
            raise ReferenceError(f"the reference claims '{name}' twice")
        tensor, requires_grad = self.tensors[name]
        if list(tensor.shape) != list(shape):
            raise ReferenceError(f"'{name}': the model's shape {list(tensor.shape)}, the reference's {list(shape)}")
        self.claimed[name] = True
        return tensor, requires_grad

    def param(self, name, shape, trainable=True):
        tensor, requires_grad = self._take(name, shape)
        if requires_grad != trainable:
            raise ReferenceError(f"'{name}': the model's requires_grad {requires_grad}, the reference's {trainable}")
        leaf = tensor.to(DT).requires_grad_(trainable)
        if trainable:
            self.trainable.append((name, leaf))
        return leaf

    def state_buffer(self, name, shape):
        """A buffer that is state (BatchNorm's running statistics): used as loaded."""
        tensor, requires_grad = self._take(name, shape)
        if requires_grad:
            raise ReferenceError(f"buffer '{name}' requires grad")
        return tensor

    def derived_buffer(self, name, expected, atol=0.0):
        """A buffer that follows from the geometry (masks, indices, fixed positions): the
        reference computes its own and requires the model's to equal it (within atol)."""
        tensor, _ = self._take(name, expected.shape)
        if atol == 0:  # exact (masks with -inf, indices)
            same = tensor.dtype == expected.dtype and torch.equal(tensor, expected)
        else:
            same = torch.allclose(tensor.to(DT), expected.to(DT), rtol=0.0, atol=atol)
        if not same:
            raise ReferenceError(f"buffer '{name}' differs from the reference's own")
        # Equal to the formula up to atol (the model's float32 rounding of it): compute with the
        # model's values, so that float64 runs compare the forward pass, not that rounding.
        return tensor.to(DT) if tensor.is_floating_point() else tensor

    def finish(self):
        extra = sorted(set(self.tensors) - set(self.claimed))
        if extra:
            raise ReferenceError("the model has tensors the reference does not know: " + ", ".join(extra))


# ---------------------------------------------------------------- small pieces

def pointwise(x, weight, bias=None):
    """1x1 conv on B x C x H x W: weight O x C x 1 x 1."""
    y = torch.einsum("oc,bchw->bohw", weight[:, :, 0, 0], x)
    return y if bias is None else y + bias.view(1, -1, 1, 1)


def linear(t, weight, bias=None):
    y = t @ weight.transpose(0, 1)
    return y if bias is None else y + bias


def shifted(x, dy, dx):
    """y[..., i, j] = x[..., i + dy, j + dx], zero outside the grid."""
    h, w = x.shape[-2], x.shape[-1]
    y = torch.zeros_like(x)
    ys, ye = max(0, -dy), min(h, h - dy)
    xs, xe = max(0, -dx), min(w, w - dx)
    if ys < ye and xs < xe:
        y[..., ys:ye, xs:xe] = x[..., ys + dy:ye + dy, xs + dx:xe + dx]
    return y


def relu(x):
    return torch.clamp(x, min=0.0)


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def make_activation(state, prefix, kind):
    if kind == "gelu":
        return gelu
    if kind == "relu":
        return relu
    if kind == "silu":
        return lambda x: x * torch.sigmoid(x)
    if kind == "squared_relu":
        return lambda x: relu(x) ** 2
    if kind == "starrelu":  # s * relu(x)^2 + b, learnable scalars
        s = state.param(prefix + "scale", [1])
        b = state.param(prefix + "bias", [1])
        return lambda x: s * relu(x) ** 2 + b
    raise ReferenceError(f"no reference for activation '{kind}'")


def make_norm(state, prefix, kind, c):
    if kind == "none":
        return lambda x: x
    eps = NORM_EPS.get(kind)
    if kind == "group1":
        w, b = state.param(prefix + "group.weight", [c]), state.param(prefix + "group.bias", [c])

        def group1(x):
            mean = x.mean(dim=(1, 2, 3), keepdim=True)
            var = ((x - mean) ** 2).mean(dim=(1, 2, 3), keepdim=True)
            return (x - mean) / torch.sqrt(var + eps) * w.view(1, c, 1, 1) + b.view(1, c, 1, 1)
        return group1
    if kind == "layernorm":
        w, b = state.param(prefix + "weight", [c, 1, 1]), state.param(prefix + "bias", [c, 1, 1])

        def layernorm(x):
            mean = x.mean(dim=1, keepdim=True)
            var = ((x - mean) ** 2).mean(dim=1, keepdim=True)
            return (x - mean) / torch.sqrt(var + eps) * w + b
        return layernorm
    if kind == "rmsnorm":
        w = state.param(prefix + "weight", [c, 1, 1])
        return lambda x: x / torch.sqrt((x * x).mean(dim=1, keepdim=True) + eps) * w
    if kind == "batchnorm":
        w, b = state.param(prefix + "batch.weight", [c]), state.param(prefix + "batch.bias", [c])
        mean = state.state_buffer(prefix + "batch.running_mean", [c]).to(DT)
        var = state.state_buffer(prefix + "batch.running_var", [c]).to(DT)
        state.state_buffer(prefix + "batch.num_batches_tracked", [])  # unused in eval mode
        return lambda x: ((x - mean.view(1, c, 1, 1)) / torch.sqrt(var.view(1, c, 1, 1) + eps) * w.view(1, c, 1, 1)
                          + b.view(1, c, 1, 1))
    raise ReferenceError(f"no reference for norm '{kind}'")


def causal_lower(n):
    """n x n: 1 where token j <= token i."""
    i = torch.arange(n).view(n, 1)
    j = torch.arange(n).view(1, n)
    return (j <= i).to(torch.float32)


def token_matrix(x, m):
    """out[..., i] = sum_j m[i, j] x[..., j] over the flattened H*W tokens."""
    b, c, h, w = x.shape
    return torch.einsum("ij,bcj->bci", m, x.reshape(b, c, h * w)).reshape(b, c, h, w)
