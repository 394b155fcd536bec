// The MLP activation chosen by model.activation: gelu, relu, silu, starrelu
// (s·relu(x)² + b with learnable scalars, MetaFormer baselines) and squared_relu (relu(x)²).
#pragma once
#include <string>
#include <vector>

#include <torch/torch.h>

namespace ms {

class ActivationImpl : public torch::nn::Module {
 public:
  explicit ActivationImpl(const std::string& kind);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  enum class Kind { Gelu, Relu, Silu, StarRelu, SquaredRelu };
  Kind kind_;
  torch::Tensor scale_, bias_;  // starrelu only
};
TORCH_MODULE(Activation);

const std::vector<std::string>& activation_names();

// Trainable parameters of an Activation(kind), counted without building it (model_formula).
int64_t activation_param_count(const std::string& kind);

}  // namespace ms
