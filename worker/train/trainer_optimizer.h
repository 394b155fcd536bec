// The optimizer a config's task.optimizer names (adamw, adam, sgd with momentum/nesterov),
// with weight decay by parameter role (parameter_roles.h: weight matrices and kernels only,
// never norms, biases, layer scales, position embeddings or scalars), and a uniform way to set
// the learning rate of every parameter group. adamw decouples the decay from the gradient
// (Loshchilov & Hutter); adam and sgd apply it as L2 through the gradient, as PyTorch does.
#pragma once
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "sweeps/run_config.h"
#include "worker/train/flat_parameters.h"

namespace ms {

// `optimizer` is the resolved task.optimizer; `decaying` get its weight decay, `others`
// none (either may be empty). Used with the group buffers of FlatParameters by the trainer.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerConfig& optimizer,
                                                        const std::vector<torch::Tensor>& decaying,
                                                        const std::vector<torch::Tensor>& others);

// The same over a model's trainable parameters as they are (split by role; frozen ones left out).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerConfig& optimizer, torch::nn::Module& model);

// What a training step updates, set up once per job: the optimizer over FlatParameters' group
// buffers when the parameters can be packed (and `pack`), else over the tensors themselves.
struct StepParameters {
  std::unique_ptr<FlatParameters> flat;  // null when not packed
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::vector<torch::Tensor> tensors;  // what the all-reduce and clipping work on: buffers or parameters
  // Zeroes the gradients (FlatParameters::zero_grad when packed: its views must stay in place).
  void zero_grad();
};

// Packing turns the model's trainable parameters into views of the buffers.
StepParameters make_step_parameters(const OptimizerConfig& optimizer, torch::nn::Module& model, bool pack = true);

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace ms
