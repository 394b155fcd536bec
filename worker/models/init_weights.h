// Weight initialisation shared by the model zoo: timm's trunc_normal_(std=0.02) for conv and
// linear weights, zero biases, as in the PoolFormer reference code.
#pragma once
#include <torch/torch.h>

namespace ms {

constexpr double kInitStd = 0.02;

// In place, no autograd: N(0, std) truncated to [lo, hi], timm's trunc_normal_(t, std, a, b).
// Its bounds are absolute, not in units of std: at std 0.02 the default ±2 lies 100 std out, so
// the weights are in effect N(0, 0.02) (std 0.02, not the 0.0176 of a cut at ±2 std).
void trunc_normal_(torch::Tensor& t, double std = kInitStd, double lo = -2.0, double hi = 2.0);

// Every Conv2d and Linear below `root`: trunc-normal weights, zero biases.
void init_conv_linear(torch::nn::Module& root, double std = kInitStd);

// model.init: "trunc_normal" (what the constructors already did, as MetaFormer's code: nothing to
// do); "pytorch", which gives every Conv2d and Linear below `root` its framework default back
// (reset_parameters: kaiming-uniform with a = sqrt(5), biases uniform in +-1/sqrt(fan_in)), as
// torch.nn builds a plain encoder; or "poolformer", PoolFormer's own code (models/poolformer.py),
// where only the PatchEmbed convs (the modules named stem and downsample<k>) keep that default.
// Every other parameter keeps the init its module chose. Throws on another name.
void apply_init_scheme(torch::nn::Module& root, const std::string& scheme);

}  // namespace ms
