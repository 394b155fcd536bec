// The optimizer a config's task.optimizer names (adamw, adam, sgd with momentum/nesterov),
// with weight decay on weight matrices and kernels only (not biases, norms, layer scales),
// and a uniform way to set the learning rate of every parameter group.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <vector>
#include <nlohmann/json.hpp>

namespace ms {

// `optimizer` is the resolved task.optimizer object; `decaying` get its weight decay, `others`
// none (either may be empty). Used with the group buffers of FlatParameters by the trainer.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const nlohmann::json& optimizer,
                                                        const std::vector<torch::Tensor>& decaying,
                                                        const std::vector<torch::Tensor>& others);

// The same over a model's trainable parameters as they are (split by decays(); frozen ones left out).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const nlohmann::json& optimizer, torch::nn::Module& model);

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace ms
