// Smoothed cross-entropy and accuracy counts.
#include "worker/train/trainer_loss.h"

namespace ms {

torch::Tensor smoothed_cross_entropy_sum(const torch::Tensor& logits, const torch::Tensor& target, double eps) {
  const int64_t k = logits.size(-1);
  auto logp = torch::log_softmax(logits.reshape({-1, k}).to(torch::kFloat), 1);
  if (target.is_floating_point()) return -(target.reshape({-1, k}).to(torch::kFloat) * logp).sum();
  auto nll = -logp.gather(1, target.reshape({-1, 1})).squeeze(1);
  if (eps == 0.0) return nll.sum();
  auto uniform = -logp.mean(1);
  return ((1.0 - eps) * nll + eps * uniform).sum();
}

int64_t loss_terms(const torch::Tensor& target) { return target.is_floating_point() ? target.size(0) : target.numel(); }

torch::Tensor correct_count(const torch::Tensor& logits, const torch::Tensor& target) {
  return logits.argmax(-1).eq(target).sum();
}

torch::Tensor exact_sequence_count(const torch::Tensor& logits, const torch::Tensor& target) {
  return logits.argmax(-1).eq(target).all(1).sum();
}

}  // namespace ms
