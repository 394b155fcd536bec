// random token mixer (PoolFormer ablation): R X with R = softmax_row(U[0,1)) an N×N matrix
// drawn once and frozen. R is a parameter with requires_grad = false, so it is saved in
// checkpoints and broadcast with the model, counted as frozen_params, never trained. The
// causal form draws R over the lower triangle only (row softmax over tokens j <= i).
#include <limits>

#include "worker/mixers/registry.h"
#include "worker/mixers/token_matrix.h"
#include "worker/models/mac_counter.h"

namespace ms {
namespace {

class RandomMixerImpl : public MixerImpl {
 public:
  explicit RandomMixerImpl(const MixerContext& c) {
    const int64_t n = c.tokens();
    auto logits = torch::rand({n, n});
    if (c.causal) logits.masked_fill_(causal_token_mask(n, n, n, n).eq(0), -std::numeric_limits<float>::infinity());
    matrix_ = register_parameter("matrix", torch::softmax(logits, 1), /*requires_grad=*/false);
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    return counted::linear(x.flatten(2), matrix_.to(x.dtype()), {}).view(x.sizes());
  }

 private:
  torch::Tensor matrix_;
};

}  // namespace

std::shared_ptr<MixerImpl> make_random_mixer(const MixerContext& c) { return std::make_shared<RandomMixerImpl>(c); }

MixerCost random_mixer_cost(const MixerContext& c) {
  const int64_t n = c.tokens();
  return {0, n * n, c.dim * n * n};
}

}  // namespace ms
