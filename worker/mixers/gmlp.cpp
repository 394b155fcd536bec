// gmlp token mixer: gMLP's spatial gating unit as a MetaFormer token mixer. Form chosen:
//   [Z1, Z2] = split(X, C/2 channels each)
//   gate     = W · LN(Z2) + b      (W N×N over tokens, init U(±1e-3/N); b = 1 per token)
//   out      = Proj(Z1 ⊙ gate)      (1×1 projection C/2 → C with bias)
// LN normalises Z2's channels per position (causal-safe). At init gate ≈ 1, so the mixer
// starts as Proj(Z1). Params: N² + N + C (LN) + C²/2 + C. The gMLP paper's input expansion
// (d → d_ffn, GELU) is the MetaFormer block's channel MLP, so it is not repeated here. The
// causal form keeps W's lower triangle (mask applied in forward).
#include "worker/mixers/registry.h"
#include "worker/mixers/token_matrix.h"
#include "worker/models/init_weights.h"
#include "worker/models/mac_counter.h"
#include "worker/models/norms.h"

namespace ms {
namespace {

class GmlpMixerImpl : public MixerImpl {
 public:
  explicit GmlpMixerImpl(const MixerContext& c) : half_(c.dim / 2) {
    if (c.dim % 2 != 0)
      throw std::invalid_argument("the gmlp mixer splits channels in two: dim " + std::to_string(c.dim) + " is odd");
    const int64_t n = c.tokens();
    norm_ = register_module("norm", Norm("layernorm", half_));
    spatial_weight_ = register_parameter("spatial_weight", torch::empty({n, n}));
    spatial_bias_ = register_parameter("spatial_bias", torch::ones({n}));
    proj_ = register_module("proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(half_, c.dim, 1)));
    init_conv_linear(*this);
    {
      torch::NoGradGuard no_grad;
      const double eps = 1e-3 / static_cast<double>(n);
      spatial_weight_.uniform_(-eps, eps);
    }
    if (c.causal) mask_ = register_buffer("causal_mask", causal_token_mask(n, n, n, n));
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    auto z1 = x.narrow(1, 0, half_), z2 = x.narrow(1, half_, half_);
    const auto w = mask_.defined() ? spatial_weight_ * mask_ : spatial_weight_;
    auto gate = counted::linear(norm_->forward(z2).flatten(2), w, spatial_bias_);
    return counted::conv2d(z1 * gate.view(z1.sizes()), proj_);
  }

 private:
  int64_t half_;
  Norm norm_{nullptr};
  torch::nn::Conv2d proj_{nullptr};
  torch::Tensor spatial_weight_, spatial_bias_, mask_;
};

}  // namespace

std::shared_ptr<MixerImpl> make_gmlp_mixer(const MixerContext& c) { return std::make_shared<GmlpMixerImpl>(c); }

MixerCost gmlp_mixer_cost(const MixerContext& c) {
  if (c.dim % 2 != 0)
    throw std::invalid_argument("the gmlp mixer splits channels in two: dim " + std::to_string(c.dim) + " is odd");
  const int64_t n = c.tokens(), half = c.dim / 2;
  // layernorm over half + spatial N×N and its bias + projection half -> C (with bias)
  return {2 * half + n * n + n + half * c.dim + c.dim, 0, half * n * n + n * c.dim * half};
}

}  // namespace ms
