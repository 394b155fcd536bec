// kv_attention token mixer (Key-Value Transformer, symmetric form): softmax(K Kᵀ/√d_h) V with
// no query projection; K and V projections with bias plus an output projection: 3C² + 3C.
#include "worker/mixers/attention_core.h"
#include "worker/mixers/registry.h"
#include "worker/models/init_weights.h"
#include "worker/models/mac_counter.h"

namespace ms {
namespace {

class KvAttentionMixerImpl : public MixerImpl {
 public:
  explicit KvAttentionMixerImpl(const MixerContext& c)
      : heads_(c.heads), height_(c.height), width_(c.width), fused_(c.fused_attention) {
    k_ = register_module("k", torch::nn::Linear(c.dim, c.dim));
    v_ = register_module("v", torch::nn::Linear(c.dim, c.dim));
    proj_ = register_module("proj", torch::nn::Linear(c.dim, c.dim));
    if (c.causal) causal_mask_ = register_buffer("causal_mask", causal_additive_mask(c.tokens()));
    init_conv_linear(*this);
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    auto t = to_tokens(x);
    auto k = split_heads(counted::linear(t, k_), heads_);
    auto v = split_heads(counted::linear(t, v_), heads_);
    auto out = attend(k, k, v, {}, causal_mask_, fused_);
    return from_tokens(counted::linear(merge_heads(out), proj_), height_, width_);
  }

 private:
  int64_t heads_, height_, width_;
  bool fused_;
  torch::nn::Linear k_{nullptr}, v_{nullptr}, proj_{nullptr};
  torch::Tensor causal_mask_;
};

}  // namespace

std::shared_ptr<MixerImpl> make_kv_attention_mixer(const MixerContext& c) {
  return std::make_shared<KvAttentionMixerImpl>(c);
}

MixerCost kv_attention_mixer_cost(const MixerContext& c) {
  const int64_t n = c.tokens(), d = c.dim;
  return {3 * d * d + 3 * d, 0, n * 2 * d * d + 2 * n * n * d + n * d * d};
}

}  // namespace ms
