// model_cost: builds the model a config describes, counts its trainable and frozen parameters,
// and counts the MACs of one forward pass on a batch of one example (fvcore-style, see
// mac_counter.h). Results are memoised per model geometry (the model object plus the task keys
// that shape it), so planning a sweep builds each distinct model once however many seeds,
// epochs or learning rates it has. model_catalog: the mixer registry's traits for the sweep
// validator.
#include "model_cost.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

#include "mac_counter.h"
#include "mixers/registry.h"
#include "model.h"

namespace ms {

namespace {

// Weights every model of this config certainly has, counted without building it: the channel
// MLPs (2 x dim x hidden per block), the stem and downsampling convolutions, the head and the
// embedding. A lower bound: mixers and norms only add to it.
double weight_floor(const nlohmann::json& config) {
  const auto& model = config.at("model");
  const auto& task = config.at("task");
  const auto depths = model.at("depths").get<std::vector<int64_t>>();
  const auto dims = model.at("dims").get<std::vector<int64_t>>();
  const double ratio = model.value("mlp_ratio", 4.0);
  const bool channel_mlp = model.value("channel_mlp", true);
  double floor = 0;
  for (size_t s = 0; s < depths.size() && s < dims.size(); ++s) {
    const double dim = static_cast<double>(dims[s]);
    if (channel_mlp) floor += static_cast<double>(depths[s]) * 2.0 * dim * std::max(1.0, std::floor(dim * ratio));
  }
  if (dims.empty()) return floor;
  const double last = static_cast<double>(dims.back());
  if (model.at("arch") == "sequence") {
    if (task.at("dataset") != "charlm")  // charlm uses a byte vocabulary whatever task.vocab says
      floor += 2.0 * static_cast<double>(task.value("vocab", int64_t{2})) * last;  // embedding + head
  } else {
    const int64_t kernel = model.at("downsample").at("kernel");
    for (size_t s = 1; s < dims.size(); ++s)
      floor += static_cast<double>(dims[s - 1]) * static_cast<double>(dims[s]) * static_cast<double>(kernel * kernel);
    floor += last * static_cast<double>(std::max<int64_t>(1, task.value("num_classes", int64_t{10})));
  }
  return floor;
}

// Half of this machine's memory, in fp32 numbers: a model whose weights alone need more cannot
// be measured (or trained) here, and trying would only end in an allocation failure.
double weight_budget() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const double bytes = pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 8e9;
  return bytes / 2 / 4;
}

ModelCost measure(const nlohmann::json& config) {
  const double floor = weight_floor(config);
  if (floor > weight_budget()) {
    char text[256];
    std::snprintf(text, sizeof text,
                  "model too large to build: at least %.3g parameters (%.3g GB of fp32 weights), more than half of "
                  "this machine's memory",
                  floor, floor * 4 / 1e9);
    throw std::runtime_error(text);
  }
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
