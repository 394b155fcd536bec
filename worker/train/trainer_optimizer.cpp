// Optimizer construction from config.
#include "worker/train/trainer_optimizer.h"

#include <stdexcept>

#include "worker/train/parameter_roles.h"

namespace ms {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerConfig& cfg,
                                                        const std::vector<torch::Tensor>& decay,
                                                        const std::vector<torch::Tensor>& no_decay) {
  const std::string& name = cfg.name;
  const double lr = cfg.lr, wd = cfg.weight_decay;
  auto groups = [&](auto make_options) {
    std::vector<torch::optim::OptimizerParamGroup> g;
    if (!decay.empty()) g.emplace_back(decay, make_options(wd));
    if (!no_decay.empty()) g.emplace_back(no_decay, make_options(0.0));
    return g;
  };
  const double b1 = cfg.beta1, b2 = cfg.beta2;
  if (name == "adamw")
    return std::make_unique<torch::optim::AdamW>(groups([&](double w) {
                                                   return std::make_unique<torch::optim::AdamWOptions>(
                                                       torch::optim::AdamWOptions(lr).betas({b1, b2}).weight_decay(w));
                                                 }),
                                                 torch::optim::AdamWOptions(lr));
  if (name == "adam")
    return std::make_unique<torch::optim::Adam>(groups([&](double w) {
                                                  return std::make_unique<torch::optim::AdamOptions>(
                                                      torch::optim::AdamOptions(lr).betas({b1, b2}).weight_decay(w));
                                                }),
                                                torch::optim::AdamOptions(lr));
  if (name == "sgd") {
    const double momentum = cfg.momentum;
    const bool nesterov = cfg.nesterov;
    return std::make_unique<torch::optim::SGD>(
        groups([&](double w) {
          return std::make_unique<torch::optim::SGDOptions>(
              torch::optim::SGDOptions(lr).momentum(momentum).nesterov(nesterov && momentum > 0).weight_decay(w));
        }),
        torch::optim::SGDOptions(lr));
  }
  throw std::runtime_error("unknown task.optimizer.name '" + name + "': expected one of adamw, adam, sgd");
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerConfig& cfg, torch::nn::Module& model) {
  const DecaySplit split = split_by_weight_decay(model);
  return make_optimizer(cfg, split.decaying, split.others);
}

StepParameters make_step_parameters(const OptimizerConfig& cfg, torch::nn::Module& model, bool pack) {
  StepParameters s;
  const DecaySplit split = split_by_weight_decay(model);
  std::vector<torch::Tensor> all = split.decaying;
  all.insert(all.end(), split.others.begin(), split.others.end());
  if (pack && FlatParameters::can_pack(all)) {
    s.flat = std::make_unique<FlatParameters>(split.decaying, split.others);
    s.optimizer = make_optimizer(cfg, s.flat->decaying(), s.flat->others());
    s.tensors = s.flat->buffers();
  } else {
    s.optimizer = make_optimizer(cfg, split.decaying, split.others);
    s.tensors = all;
  }
  return s;
}

void StepParameters::zero_grad() {
  if (flat)
    flat->zero_grad();
  else
    optimizer->zero_grad();
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

}  // namespace ms
