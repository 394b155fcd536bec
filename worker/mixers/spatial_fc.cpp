// spatial_fc token mixer: W X with W an N×N matrix over the token axis, no bias (N² params,
// shared by all channels). The causal form keeps W's lower triangle (mask applied in forward).
#include "worker/mixers/registry.h"
#include "worker/mixers/token_matrix.h"
#include "worker/models/init_weights.h"
#include "worker/models/mac_counter.h"

namespace ms {
namespace {

class SpatialFcMixerImpl : public MixerImpl {
 public:
  explicit SpatialFcMixerImpl(const MixerContext& c) {
    const int64_t n = c.tokens();
    weight_ = register_parameter("weight", torch::empty({n, n}));
    trunc_normal_(weight_);
    if (c.causal) mask_ = register_buffer("causal_mask", causal_token_mask(n, n, n, n));
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    const auto w = mask_.defined() ? weight_ * mask_ : weight_;
    return counted::linear(x.flatten(2), w, {}).view(x.sizes());
  }

 private:
  torch::Tensor weight_, mask_;
};

}  // namespace

std::shared_ptr<MixerImpl> make_spatial_fc_mixer(const MixerContext& c) {
  return std::make_shared<SpatialFcMixerImpl>(c);
}

MixerCost spatial_fc_mixer_cost(const MixerContext& c) {
  const int64_t n = c.tokens();
  return {n * n, 0, c.dim * n * n};
}

}  // namespace ms
