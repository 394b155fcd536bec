// Losses and accuracy counts for the trainer: cross-entropy with label smoothing written out
// (LibTorch 1.13's C++ cross_entropy has it, but spelling it out keeps one definition for
// every version), summed so data-parallel shards can be combined exactly.
#pragma once
#include <torch/torch.h>

namespace ms {

// Sum over examples (or tokens) of (1-eps)·NLL(target) + eps·mean_k(-log p_k), computed in
// fp32. logits: N×K or N×L×K; target: N or N×L int64. eps = 0 is plain cross-entropy.
// A floating-point target N×K is a row of soft targets per example (Mixup/CutMix, already
// smoothed: batch_mixing.h): the sum of -Σ_k target_k·log p_k, and eps is not applied again.
torch::Tensor smoothed_cross_entropy_sum(const torch::Tensor& logits, const torch::Tensor& target, double eps);

// Loss terms in a batch's target: examples (soft targets N×K), or every label (N, or N×L tokens).
int64_t loss_terms(const torch::Tensor& target);

// Number of positions where argmax(logits) == target (int64 scalar tensor, on device).
torch::Tensor correct_count(const torch::Tensor& logits, const torch::Tensor& target);
// Sequences (rows of N×L) whose every position is predicted correctly.
torch::Tensor exact_sequence_count(const torch::Tensor& logits, const torch::Tensor& target);

}  // namespace ms
