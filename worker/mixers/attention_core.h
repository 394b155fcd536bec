// The shared core of the attention-family mixers (attention, kv_attention, kv_pos_attention):
// token layout conversion, causal masks, and softmax(q kᵀ/√d + mask) v through either the
// fused scaled-dot-product kernel (LibTorch 2.x) or the plain matmul-softmax-matmul path. Both
// paths count QKᵀ and AV as matmuls.
#pragma once
#include <cstdint>

#include <torch/torch.h>

namespace ms {

// B×C×H×W -> B×N×C (a view).
torch::Tensor to_tokens(const torch::Tensor& x);
// B×N×C -> B×C×H×W.
torch::Tensor from_tokens(const torch::Tensor& t, int64_t height, int64_t width);
// B×N×(h·d) -> B×h×N×d.
torch::Tensor split_heads(const torch::Tensor& t, int64_t heads);
// B×h×N×d -> B×N×(h·d).
torch::Tensor merge_heads(const torch::Tensor& t);

// N×N additive mask: 0 on and below the diagonal, -inf above.
torch::Tensor causal_additive_mask(int64_t n);

// Pre-softmax scores q kᵀ/√d (+ mask); the plain path's first half, exposed for tests.
torch::Tensor attention_scores(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& mask);

// softmax(q kᵀ/√d + mask + causal_mask) v for q, k, v B×h×N×d. `mask` (N×N additive) and
// `causal_mask` (causal_additive_mask, precomputed by the caller) may each be undefined; with
// only the causal mask the fused kernel uses its own causal masking.
torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& mask,
                     const torch::Tensor& causal_mask, bool fused);

// Whether this LibTorch has the fused kernel (2.x).
bool have_fused_attention();

}  // namespace ms
