// The optimizer a config's task.optimizer names (adamw, adam, sgd with momentum/nesterov),
// with weight decay on weight matrices and kernels only (not biases, norms, layer scales),
// and a uniform way to set the learning rate of every parameter group.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <nlohmann/json.hpp>

namespace ms {

// `optimizer` is the resolved task.optimizer object. Frozen parameters are left out.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const nlohmann::json& optimizer, torch::nn::Module& model);

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace ms
