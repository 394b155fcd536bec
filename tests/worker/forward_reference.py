#!/usr/bin/python3
"""Independent PyTorch reference of metasweep's models, for tests/worker/forward_reference_test.cpp.

Usage: forward_reference.py DIR CASE...
For each CASE, DIR/CASE.in holds a model's resolved config, every parameter and buffer of the
metasweep model (by name), an input batch and a cotangent. This script builds its own model from
the config (the formulas of the PoolFormer / MetaFormer, gMLP and Key-Value Transformer papers, as
restated in the project's reference notes, written here from scratch in float64), loads the
tensors by name -- a tensor it does not expect, one it expects that is missing, or a shape that
differs is an error, never skipped -- runs forward in eval mode and the backward of
sum(output * cotangent), and writes DIR/CASE.out: the output, the input's gradient (images) and
every trainable parameter's gradient. A case that fails writes DIR/CASE.error (one message) and
the next case runs.

File format (both ways): b"MSFWDREF", a little-endian uint64 header length, a UTF-8 JSON header
{"config": {...}, "tensors": [{"name", "dtype": "float32"|"float64"|"int64", "shape", "offset",
"requires_grad"}]}, then the raw little-endian data (offsets from the end of the header). The
model's tensors come as float32 (int64 for indices), the results go back as float64 so that a
float64 run of the model can be compared beyond float32 rounding.
Input tensors: parameters/buffers by their module path, plus "input" and "cotangent"; output
tensors: "output", "grad:input", "grad:<parameter name>".

The model family: forward_reference_layers.py (the tensors by name, norms, activations),
forward_reference_mixers.py (one function per token mixer), forward_reference_models.py (blocks,
the image classifier, the sequence encoder).

Conventions this reference fixes (each a formula choice; a model that differs fails):
  norms     group1: GroupNorm(1, C), statistics over C,H,W, eps 1e-5; layernorm: over C per
            position, eps 1e-5; batchnorm: eval mode, running statistics, eps 1e-5; rmsnorm:
            x / sqrt(mean_C(x^2) + 1e-6) * weight; variances are biased.
  gelu      the exact (erf) form, not the tanh approximation.
  block     pre-norm  x = x + ls1*Mixer(Norm1(x)); x = x + ls2*Mlp(Norm2(x))
            post-norm x = Norm1(x + ls1*Mixer(x)); x = Norm2(x + ls2*Mlp(x)); eval: no drop path.
  attention heads take consecutive channel groups; scores / sqrt(head_dim); causal: j <= i.
"""
import json
import struct
import sys
import traceback

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ beside the sources for the modules below
from forward_reference_layers import DT, ReferenceError, State
from forward_reference_models import build_metaformer, build_sequence

MAGIC = b"MSFWDREF"


# ---------------------------------------------------------------- file format

def read_tensor_file(path):
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:8] != MAGIC:
        raise ReferenceError(f"{path}: not a forward-reference file")
    (length,) = struct.unpack("<Q", blob[8:16])
    header = json.loads(blob[16:16 + length].decode("utf-8"))
    data = blob[16 + length:]
    tensors = {}
    for t in header["tensors"]:
        dtype = {"float32": np.float32, "float64": np.float64, "int64": np.int64}[t["dtype"]]
        count = int(np.prod(t["shape"], dtype=np.int64))
        array = np.frombuffer(data, dtype=dtype, count=count, offset=t["offset"]).reshape(t["shape"])
        if t["name"] in tensors:
            raise ReferenceError(f"tensor {t['name']} appears twice")
        tensors[t["name"]] = (torch.from_numpy(array.copy()), bool(t.get("requires_grad", False)))
    return header["config"], tensors


def write_tensor_file(path, named):
    entries, chunks, offset = [], [], 0
    for name, tensor in named:
        array = np.ascontiguousarray(tensor.detach().to(torch.float64).numpy())
        entries.append({"name": name, "dtype": "float64", "shape": list(array.shape), "offset": offset,
                        "requires_grad": False})
        chunks.append(array.tobytes())
        offset += len(chunks[-1])
    header = json.dumps({"config": {}, "tensors": entries}).encode("utf-8")
    with open(path, "wb") as f:
        f.write(MAGIC + struct.pack("<Q", len(header)) + header + b"".join(chunks))


def run_case(directory, case):
    config, tensors = read_tensor_file(f"{directory}/{case}.in")
    inputs = {name: tensors.pop(name)[0] for name in ("input", "cotangent") if name in tensors}
    if len(inputs) != 2:
        raise ReferenceError("the case file lacks the input or the cotangent")
    state = State(tensors)
    arch = config["model"]["arch"]
    if arch == "metaformer":
        forward = build_metaformer(state, config)
    elif arch == "sequence":
        forward = build_sequence(state, config)
    else:
        raise ReferenceError(f"no reference for model.arch '{arch}'")
    state.finish()
    x = inputs["input"]
    if x.is_floating_point():
        x = x.to(DT).requires_grad_(True)
    y = forward(x)
    cotangent = inputs["cotangent"].to(DT)
    if list(y.shape) != list(cotangent.shape):
        raise ReferenceError(f"the reference's output {list(y.shape)} is not the model's {list(cotangent.shape)}")
    leaves = ([x] if x.requires_grad else []) + [leaf for _, leaf in state.trainable]
    grads = torch.autograd.grad((y * cotangent).sum(), leaves, allow_unused=True)
    names = (["grad:input"] if x.requires_grad else []) + ["grad:" + n for n, _ in state.trainable]
    out = [("output", y)]
    for name, leaf, grad in zip(names, leaves, grads):
        out.append((name, grad if grad is not None else torch.zeros_like(leaf)))
    write_tensor_file(f"{directory}/{case}.out", out)


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: forward_reference.py DIR CASE...")
    torch.set_num_threads(1)
    directory = sys.argv[1]
    for case in sys.argv[2:]:
        try:
            run_case(directory, case)
        except Exception as e:  # noqa: BLE001 -- reported to the C++ test, which fails that case
            message = str(e) if isinstance(e, ReferenceError) else traceback.format_exc()
            with open(f"{directory}/{case}.error", "w", encoding="utf-8") as f:
                f.write(message)


if __name__ == "__main__":
    main()
