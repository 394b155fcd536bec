// kv_pos_attention token mixer (Key-Value Transformer, asymmetric form):
//   softmax(w · K Kᵀ/√d_h + P + b) V
// P[i, j] is a learned 2-D positional term over token pairs: a table of (2H-1)(2W-1) entries
// indexed by the relative offset (y_i - y_j, x_i - x_j) — a one-hot linear map from the pair's
// offset, shared across heads (zero at init). w (init 1) and b (init 0) are learned scalars;
// note b shifts every score of a row equally, so softmax is invariant to it (kept for fidelity
// to the paper's formula; its gradient is zero). The w-scaling is folded into the query
// (q = w·K), so the fused kernel applies. Params: 3C² + 3C + (2H-1)(2W-1) + 2.
#include "worker/mixers/attention_core.h"
#include "worker/mixers/registry.h"
#include "worker/models/init_weights.h"
#include "worker/models/mac_counter.h"

namespace ms {
namespace {

class KvPosAttentionMixerImpl : public MixerImpl {
 public:
  explicit KvPosAttentionMixerImpl(const MixerContext& c)
      : heads_(c.heads), height_(c.height), width_(c.width), fused_(c.fused_attention) {
    k_ = register_module("k", torch::nn::Linear(c.dim, c.dim));
    v_ = register_module("v", torch::nn::Linear(c.dim, c.dim));
    proj_ = register_module("proj", torch::nn::Linear(c.dim, c.dim));
    const int64_t n = c.tokens(), span_w = 2 * c.width - 1;
    pos_table_ = register_parameter("pos_table", torch::zeros({(2 * c.height - 1) * span_w}));
    w_ = register_parameter("w", torch::ones({1}));
    b_ = register_parameter("b", torch::zeros({1}));
    auto ys = torch::arange(n, torch::kLong).div(c.width, "floor");
    auto xs = torch::arange(n, torch::kLong).remainder(c.width);
    auto rel = (ys.unsqueeze(1) - ys.unsqueeze(0) + (c.height - 1)) * span_w +
               (xs.unsqueeze(1) - xs.unsqueeze(0) + (c.width - 1));
    pair_index_ = register_buffer("pair_index", rel.flatten());
    if (c.causal) causal_mask_ = register_buffer("causal_mask", causal_additive_mask(n));
    init_conv_linear(*this);
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    auto t = to_tokens(x);
    auto k = split_heads(counted::linear(t, k_), heads_);
    auto v = split_heads(counted::linear(t, v_), heads_);
    const int64_t n = t.size(1);
    auto pos = pos_table_.index_select(0, pair_index_).view({n, n}) + b_;
    auto out = attend(k * w_.to(k.dtype()), k, v, pos, causal_mask_, fused_);
    return from_tokens(counted::linear(merge_heads(out), proj_), height_, width_);
  }

 private:
  int64_t heads_, height_, width_;
  bool fused_;
  torch::nn::Linear k_{nullptr}, v_{nullptr}, proj_{nullptr};
  torch::Tensor pos_table_, w_, b_, pair_index_, causal_mask_;
};

}  // namespace

std::shared_ptr<MixerImpl> make_kv_pos_attention_mixer(const MixerContext& c) {
  return std::make_shared<KvPosAttentionMixerImpl>(c);
}

MixerCost kv_pos_attention_mixer_cost(const MixerContext& c) {
  const int64_t n = c.tokens(), d = c.dim;
  const int64_t table = (2 * c.height - 1) * (2 * c.width - 1);
  return {3 * d * d + 3 * d + table + 2, 0, n * 2 * d * d + 2 * n * n * d + n * d * d};
}

}  // namespace ms
