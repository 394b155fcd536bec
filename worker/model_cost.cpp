// model_cost: builds the model a config describes, counts its trainable and frozen parameters,
// and counts the MACs of one forward pass on a batch of one example (fvcore-style, see
// mac_counter.h). model_catalog: the mixer registry's traits for the sweep validator.
#include "model_cost.h"

#include "mac_counter.h"
#include "mixers/registry.h"
#include "model.h"

namespace ms {

ModelCost model_cost(const nlohmann::json& config) {
  auto model = build_model(config);
  ModelCost cost;
  for (const auto& p : model->parameters()) (p.requires_grad() ? cost.params : cost.frozen_params) += p.numel();

  const auto& task = config.at("task");
  constexpr int64_t kBatch = 1;
  torch::Tensor input;
  if (config.at("model").at("arch") == "sequence") {
    input = torch::zeros({kBatch, task.at("seq_len").get<int64_t>()}, torch::kLong);
  } else {
    const int64_t side = task.at("image_size").get<int64_t>();
    const int64_t channels = task.value("channels", int64_t{3}) > 0 ? task.value("channels", int64_t{3}) : 3;
    input = torch::zeros({kBatch, channels, side, side});
  }
  torch::NoGradGuard no_grad;
  model->eval();
  MacCountScope scope;
  model->forward(input);
  cost.macs = scope.macs() / kBatch;
  return cost;
}

const Catalog& model_catalog() {
  static const Catalog catalog = [] {
    Catalog c;
    for (const auto& entry : mixer_registry()) c.mixers.push_back(entry.traits);
    return c;
  }();
  return catalog;
}

}  // namespace ms
