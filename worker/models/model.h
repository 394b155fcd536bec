// The models a job trains, built from a resolved config (sweeps/resolve.h), and their cost.
// Include this only where LibTorch is needed; model_cost.h is the torch-free view.
#pragma once
#include <memory>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace ms {

// Every model: images B×C×H×W float -> logits B×classes; sequences B×L int64 -> B×L×vocab.
class ModelImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
};

std::shared_ptr<ModelImpl> build_model(const nlohmann::json& config);

}  // namespace ms
