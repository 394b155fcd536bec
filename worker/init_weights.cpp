// Weight initialisation (see init_weights.h).
#include "init_weights.h"

#include <cmath>

namespace ms {

void trunc_normal_(torch::Tensor& t, double std) {
  torch::NoGradGuard no_grad;
  // Inverse-CDF sampling as in torch.nn.init.trunc_normal_, bounds at ±2 std.
  const double lo = 0.5 * (1 + std::erf(-2.0 / std::sqrt(2.0)));
  const double hi = 0.5 * (1 + std::erf(2.0 / std::sqrt(2.0)));
  t.uniform_(2 * lo - 1, 2 * hi - 1).erfinv_().mul_(std * std::sqrt(2.0)).clamp_(-2 * std, 2 * std);
}

namespace {
void init_one(torch::nn::Module& m, double std) {
  if (auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(&m)) {
    trunc_normal_(conv->weight, std);
    if (conv->bias.defined()) conv->bias.zero_();
  } else if (auto* fc = dynamic_cast<torch::nn::LinearImpl*>(&m)) {
    trunc_normal_(fc->weight, std);
    if (fc->bias.defined()) fc->bias.zero_();
  }
}
}  // namespace

void init_conv_linear(torch::nn::Module& root, double std) {
  torch::NoGradGuard no_grad;
  // include_self = false: callable from a constructor, before the root sits in a shared_ptr.
  init_one(root, std);
  for (const auto& m : root.modules(/*include_self=*/false)) init_one(*m, std);
}

}  // namespace ms
