// Choosing the training device for a rank and scoping bf16 autocast on CUDA, with the API
// differences between LibTorch 1.13 and 2.x kept in one place.
#pragma once
#include <string>

#include <torch/torch.h>

namespace ms {

// spec: "auto" (CUDA when available, else CPU), "cpu" or "cuda". On CUDA a rank takes GPU
// local_rank mod device count. Throws std::runtime_error for "cuda" without a GPU.
torch::Device pick_device(const std::string& spec, int local_rank);

// RAII: bf16 autocast for CUDA ops while alive (no-op when !enabled or on CPU). Restores the
// previous state and clears the autocast cast cache on exit.
class AutocastScope {
 public:
  AutocastScope(bool enabled, const torch::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kHalf;
};

}  // namespace ms
