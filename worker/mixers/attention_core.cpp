// Attention core (see attention_core.h).
#include "worker/mixers/attention_core.h"

#include <cmath>
#include <limits>

#include <torch/version.h>

#include "worker/models/mac_counter.h"

namespace ms {

torch::Tensor to_tokens(const torch::Tensor& x) { return x.flatten(2).transpose(1, 2); }

torch::Tensor from_tokens(const torch::Tensor& t, int64_t height, int64_t width) {
  return t.transpose(1, 2).reshape({t.size(0), t.size(2), height, width});
}

torch::Tensor split_heads(const torch::Tensor& t, int64_t heads) {
  return t.view({t.size(0), t.size(1), heads, t.size(2) / heads}).transpose(1, 2);
}

torch::Tensor merge_heads(const torch::Tensor& t) {
  return t.transpose(1, 2).reshape({t.size(0), t.size(2), t.size(1) * t.size(3)});
}

torch::Tensor causal_additive_mask(int64_t n) {
  return torch::full({n, n}, -std::numeric_limits<float>::infinity()).triu(1);
}

torch::Tensor attention_scores(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& mask) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  auto scores = counted::matmul(q * scale, k.transpose(-2, -1));
  if (mask.defined()) scores = scores + mask.to(scores.dtype());
  return scores;
}

bool have_fused_attention() {
#if TORCH_VERSION_MAJOR >= 2
  return true;
#else
  return false;
#endif
}

torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& mask,
                     const torch::Tensor& causal_mask, bool fused) {
  torch::Tensor full_mask = mask;
  if (causal_mask.defined()) full_mask = mask.defined() ? mask + causal_mask : causal_mask;
#if TORCH_VERSION_MAJOR >= 2
  if (fused) {
    if (mac_counting()) add_macs(2 * q.size(0) * q.size(1) * q.size(2) * k.size(2) * q.size(3));
    if (mask.defined()) return at::scaled_dot_product_attention(q, k, v, full_mask.to(q.dtype()), 0.0, false);
    return at::scaled_dot_product_attention(q, k, v, {}, 0.0, causal_mask.defined());
  }
#else
  (void)fused;
#endif
  return counted::matmul(torch::softmax(attention_scores(q, k, full_mask), -1), v);
}

}  // namespace ms
