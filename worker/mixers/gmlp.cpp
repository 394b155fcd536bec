// gmlp token mixer: gMLP's spatial gating unit as a MetaFormer token mixer. Form chosen:
//   [Z1, Z2] = split(X, C/2 channels each)
//   gate     = W · LN(Z2) + b      (W N×N over tokens, init U(±1e-3/N); b = 1 per token)
//   out      = Proj(Z1 ⊙ gate)      (1×1 projection C/2 → C with bias)
// LN normalises Z2's channels per position (causal-safe). At init gate ≈ 1, so the mixer
// starts as Proj(Z1). Params: N² + N + C (LN) + C²/2 + C. Inside a MetaFormer block the gMLP
// paper's input expansion (d → d_ffn, GELU) is the block's channel MLP, so it is not repeated.
// The causal form keeps W's lower triangle (mask applied in forward).
// gMLP's own block (model.block: gmlp) is the same unit with the expansion in front:
//   out = Proj(SGU(act(Linear C → d_ffn (X))))   (d_ffn = mlp_ratio·C; SGU on d_ffn; Proj d_ffn/2 → C)
// made by make_gmlp_block_unit, in the mixer's place of a block without a channel MLP.
#include "worker/mixers/registry.h"
#include "worker/mixers/token_matrix.h"
#include "worker/models/activations.h"
#include "worker/models/init_weights.h"
#include "worker/models/mac_counter.h"
#include "worker/models/norms.h"

namespace ms {
namespace {

void check_even(int64_t width, bool expanded) {
  if (width % 2 != 0)
    throw std::invalid_argument(expanded ? "the gmlp block splits its d_ffn = mlp_ratio x dim channels in two: d_ffn " +
                                               std::to_string(width) + " is odd"
                                         : "the gmlp mixer splits channels in two: dim " + std::to_string(width) +
                                               " is odd");
}

// expand > 0: gMLP's block unit (Linear C -> expand, activation, then the gating on `expand`
// channels); 0: the token mixer (gating on the C input channels).
class GmlpMixerImpl : public MixerImpl {
 public:
  GmlpMixerImpl(const MixerContext& c, int64_t expand, const std::string& activation)
      : half_((expand > 0 ? expand : c.dim) / 2) {
    check_even(expand > 0 ? expand : c.dim, expand > 0);
    const int64_t n = c.tokens();
    if (expand > 0) {
      fc_in_ = register_module("fc_in", torch::nn::Conv2d(torch::nn::Conv2dOptions(c.dim, expand, 1)));
      act_ = register_module("act", Activation(activation));
    }
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

  torch::Tensor forward(const torch::Tensor& input) override {
    const torch::Tensor x = fc_in_ ? act_->forward(counted::conv2d(input, fc_in_)) : input;
    auto z1 = x.narrow(1, 0, half_), z2 = x.narrow(1, half_, half_);
    const auto w = mask_.defined() ? spatial_weight_ * mask_ : spatial_weight_;
    auto gate = counted::linear(norm_->forward(z2).flatten(2), w, spatial_bias_);
    return counted::conv2d(z1 * gate.view(z1.sizes()), proj_);
  }

 private:
  int64_t half_;
  torch::nn::Conv2d fc_in_{nullptr};
  Activation act_{nullptr};
  Norm norm_{nullptr};
  torch::nn::Conv2d proj_{nullptr};
  torch::Tensor spatial_weight_, spatial_bias_, mask_;
};

}  // namespace

std::shared_ptr<MixerImpl> make_gmlp_mixer(const MixerContext& c) {
  return std::make_shared<GmlpMixerImpl>(c, 0, "gelu");
}

std::shared_ptr<MixerImpl> make_gmlp_block_unit(const MixerContext& c, int64_t d_ffn, const std::string& activation) {
  return std::make_shared<GmlpMixerImpl>(c, d_ffn, activation);
}

MixerCost gmlp_mixer_cost(const MixerContext& c) {
  check_even(c.dim, false);
  const int64_t n = c.tokens(), half = c.dim / 2;
  // layernorm over half + spatial N×N and its bias + projection half -> C (with bias)
  return {2 * half + n * n + n + half * c.dim + c.dim, 0, half * n * n + n * c.dim * half};
}

MixerCost gmlp_block_unit_cost(const MixerContext& c, int64_t d_ffn, const std::string& activation) {
  check_even(d_ffn, true);
  const int64_t n = c.tokens(), half = d_ffn / 2;
  // Linear C -> d_ffn (with bias) + activation, then the gating on d_ffn channels, projected to C
  return {c.dim * d_ffn + d_ffn + activation_param_count(activation) + 2 * half + n * n + n + half * c.dim + c.dim, 0,
          n * c.dim * d_ffn + half * n * n + n * c.dim * half};
}

}  // namespace ms
