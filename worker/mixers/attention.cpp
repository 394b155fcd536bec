// attention token mixer: multi-head self-attention softmax(QKᵀ/√d_h)V, qkv projection without
// bias and output projection with bias: 4C² + C params. Heads come from the context.
#include "worker/mixers/attention_core.h"
#include "worker/mixers/registry.h"
#include "worker/models/init_weights.h"
#include "worker/models/mac_counter.h"

namespace ms {
namespace {

class AttentionMixerImpl : public MixerImpl {
 public:
  explicit AttentionMixerImpl(const MixerContext& c)
      : heads_(c.heads), height_(c.height), width_(c.width), fused_(c.fused_attention) {
    qkv_ = register_module("qkv", torch::nn::Linear(torch::nn::LinearOptions(c.dim, 3 * c.dim).bias(false)));
    proj_ = register_module("proj", torch::nn::Linear(c.dim, c.dim));
    if (c.causal) causal_mask_ = register_buffer("causal_mask", causal_additive_mask(c.tokens()));
    init_conv_linear(*this);
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    auto t = to_tokens(x);
    auto qkv = counted::linear(t, qkv_).view({t.size(0), t.size(1), 3, heads_, -1}).permute({2, 0, 3, 1, 4});
    auto out = attend(qkv[0], qkv[1], qkv[2], {}, causal_mask_, fused_);
    return from_tokens(counted::linear(merge_heads(out), proj_), height_, width_);
  }

 private:
  int64_t heads_, height_, width_;
  bool fused_;
  torch::nn::Linear qkv_{nullptr}, proj_{nullptr};
  torch::Tensor causal_mask_;
};

}  // namespace

std::shared_ptr<MixerImpl> make_attention_mixer(const MixerContext& c) {
  return std::make_shared<AttentionMixerImpl>(c);
}

MixerCost attention_mixer_cost(const MixerContext& c) {
  const int64_t n = c.tokens(), d = c.dim;
  // qkv (no bias) + proj; QKᵀ and AV are N²·C each over all heads.
  return {4 * d * d + d, 0, n * 3 * d * d + 2 * n * n * d + n * d * d};
}

}  // namespace ms
