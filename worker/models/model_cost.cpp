// model_cost: builds the model a config describes, counts its trainable and frozen parameters,
// and counts the MACs of one forward pass on a batch of one example (fvcore-style, see
// mac_counter.h). Results are memoised per model geometry (the model object plus the task keys
// that shape it), so planning a sweep builds each distinct model once however many seeds,
// epochs or learning rates it has. model_catalog: the mixer registry's traits for the sweep
// validator.
#include "worker/models/model_cost.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include "sweeps/run_config.h"
#include "worker/mixers/registry.h"
#include "worker/models/mac_counter.h"
#include "worker/models/model.h"
#include "worker/models/model_formula.h"

namespace ms {

namespace {

// Half of this machine's memory, in fp32 numbers: a model whose weights alone need more cannot
// be measured (or trained) here, and trying would only end in an allocation failure.
double weight_budget() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const double bytes = pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 8e9;
  return bytes / 2 / 4;
}

}  // namespace

ModelCost measured_cost(const nlohmann::json& config) {
  auto model = build_model(config);
  ModelCost cost;
  for (const auto& p : model->parameters()) (p.requires_grad() ? cost.params : cost.frozen_params) += p.numel();

  const RunConfig run = run_config(config);
  constexpr int64_t kBatch = 1;
  torch::Tensor input;
  if (run.model.arch == "sequence")
    input = torch::zeros({kBatch, run.task.seq_len}, torch::kLong);
  else
    input = torch::zeros({kBatch, run.task.channels, run.task.image_size, run.task.image_size});
  torch::NoGradGuard no_grad;
  model->eval();
  MacCountScope scope;
  model->forward(input);
  cost.macs = scope.macs() / kBatch;
  return cost;
}

namespace {

// Above this many bytes of activations (ModelCost::activation_bytes) `plan` counts with the
// formulas instead of measuring: measuring a long sequence or a many-token image attention model
// would allocate gigabytes and take minutes (seq_len 65536: 17 GB per head; a 128 x 128 token
// grid at 4 heads: 13 GB) for counts the formulas give exactly.
constexpr double kMeasureBudget = 512.0 * 1024 * 1024;

ModelCost measure(const nlohmann::json& config) {
  ModelCost counted = formula_cost(config);
  const double numbers = static_cast<double>(counted.params) + static_cast<double>(counted.frozen_params);
  if (numbers <= weight_budget()) return counted.activation_bytes > kMeasureBudget ? counted : measured_cost(config);
  char text[256];
  std::snprintf(text, sizeof text,
                "model too large to build: %.3g parameters (%.3g GB of fp32 weights), more than half of this "
                "machine's memory",
                numbers, numbers * 4 / 1e9);
  counted.unbuildable = text;
  return counted;
}

// What decides the cost: the whole model object and the task keys that shape the input or head.
std::string cost_key(const nlohmann::json& config) {
  nlohmann::json key = {{"model", config.at("model")}};
  const auto& task = config.at("task");
  for (const char* k : {"dataset", "image_size", "channels", "num_classes", "seq_len", "vocab"})
    if (task.contains(k)) key[k] = task.at(k);
  return key.dump();  // object keys are sorted: canonical
}
}  // namespace

ModelCost model_cost(const nlohmann::json& config) {
  static std::mutex mutex;
  static std::map<std::string, ModelCost> cache;
  const std::string key = cost_key(config);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  const ModelCost cost = measure(config);
  std::lock_guard<std::mutex> lock(mutex);
  cache.emplace(key, cost);
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
