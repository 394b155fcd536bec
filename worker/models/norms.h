// Normalization layers on B×C×H×W tensors, chosen by model.norm: group1 (GroupNorm with one
// group = PoolFormer's modified layer norm), layernorm and rmsnorm (statistics over C only, per
// position — causal-safe), batchnorm (BatchNorm2d) and none (identity).
#pragma once
#include <string>
#include <vector>

#include <torch/torch.h>

namespace ms {

class NormImpl : public torch::nn::Module {
 public:
  NormImpl(const std::string& kind, int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  enum class Kind { Group1, LayerNorm, BatchNorm, RmsNorm, None };
  Kind kind_;
  double eps_;
  torch::nn::GroupNorm group_{nullptr};
  torch::nn::BatchNorm2d batch_{nullptr};
  torch::Tensor weight_, bias_;  // C×1×1 affine for layernorm / rmsnorm
};
TORCH_MODULE(Norm);

// The accepted model.norm names, for error messages.
const std::vector<std::string>& norm_names();

// Trainable parameters of a Norm(kind, channels), counted without building it (model_formula).
int64_t norm_param_count(const std::string& kind, int64_t channels);

}  // namespace ms
