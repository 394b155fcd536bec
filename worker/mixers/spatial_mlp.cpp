// spatial_mlp token mixer (MLP-Mixer's token-mixing MLP): N → N/2 → N over the token axis
// with GELU, biases on both layers, shared by all channels: N² + 3N/2 params (N even). The
// causal form masks both weight matrices MADE-style: hidden unit h stands for token 2h, sees
// tokens <= 2h, and feeds output tokens >= 2h.
#include "worker/mixers/registry.h"
#include "worker/mixers/token_matrix.h"
#include "worker/models/init_weights.h"
#include "worker/models/mac_counter.h"

namespace ms {
namespace {

class SpatialMlpMixerImpl : public MixerImpl {
 public:
  explicit SpatialMlpMixerImpl(const MixerContext& c) {
    const int64_t n = c.tokens(), hidden = std::max<int64_t>(1, n / 2);
    fc1_ = register_module("fc1", torch::nn::Linear(n, hidden));
    fc2_ = register_module("fc2", torch::nn::Linear(hidden, n));
    init_conv_linear(*this);
    if (c.causal) {
      mask1_ = register_buffer("causal_mask1", causal_token_mask(hidden, n, n, n));
      mask2_ = register_buffer("causal_mask2", causal_token_mask(n, hidden, n, n));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    auto t = x.flatten(2);
    if (mask1_.defined()) {
      auto h = torch::gelu(counted::linear(t, fc1_->weight * mask1_, fc1_->bias));
      return counted::linear(h, fc2_->weight * mask2_, fc2_->bias).view(x.sizes());
    }
    return counted::linear(torch::gelu(counted::linear(t, fc1_)), fc2_).view(x.sizes());
  }

 private:
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
  torch::Tensor mask1_, mask2_;
};

}  // namespace

std::shared_ptr<MixerImpl> make_spatial_mlp_mixer(const MixerContext& c) {
  return std::make_shared<SpatialMlpMixerImpl>(c);
}

MixerCost spatial_mlp_mixer_cost(const MixerContext& c) {
  const int64_t n = c.tokens(), hidden = std::max<int64_t>(1, n / 2);
  return {2 * n * hidden + hidden + n, 0, 2 * c.dim * n * hidden};
}

}  // namespace ms
