// Weight initialisation (see init_weights.h).
#include "worker/models/init_weights.h"

namespace ms {

void trunc_normal_(torch::Tensor& t, double std, double lo, double hi) {
  torch::NoGradGuard no_grad;
  // Draw N(0, std) and redraw the entries outside [lo, hi] until none are left: exact truncation,
  // and several times faster than inverse-CDF sampling (erfinv) on big models.
  t.normal_(0, std);
  for (int round = 0; round < 32; ++round) {
    auto outside = t.lt(lo).logical_or_(t.gt(hi));
    const int64_t n = outside.sum().item<int64_t>();
    if (n == 0) return;
    t.masked_scatter_(outside, torch::empty({n}, t.options()).normal_(0, std));
  }
  t.clamp_(lo, hi);  // 32 rounds leave at most ~1e-43 of the entries outside ±2 std: unreachable
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

void apply_init_scheme(torch::nn::Module& root, const std::string& scheme) {
  if (scheme == "trunc_normal") return;
  if (scheme != "pytorch" && scheme != "poolformer")
    throw std::invalid_argument("unknown model.init '" + scheme +
                                "': expected one of trunc_normal, pytorch, poolformer");
  torch::NoGradGuard no_grad;
  if (scheme == "poolformer") {
    for (const auto& item : root.named_modules("", /*include_self=*/false))
      if (item.key() == "stem" || item.key().rfind("downsample", 0) == 0)
        if (auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(item.value().get())) conv->reset_parameters();
    return;
  }
  for (const auto& m : root.modules(/*include_self=*/false)) {
    if (auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(m.get()))
      conv->reset_parameters();
    else if (auto* fc = dynamic_cast<torch::nn::LinearImpl*>(m.get()))
      fc->reset_parameters();
  }
}

}  // namespace ms
