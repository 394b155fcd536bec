// Helpers for the model-zoo tests: resolved configs built through the sweeps library exactly
// as a sweep file would build them, and parameter bookkeeping.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "sweeps/datasets.h"
#include "sweeps/override.h"
#include "sweeps/resolve.h"
#include "sweeps/run_config.h"
#include "worker/mixers/registry.h"
#include "worker/models/model_cost.h"

namespace ms::test {

using KeyValues = std::vector<std::pair<std::string, nlohmann::json>>;

inline nlohmann::json make_config(const KeyValues& values) {
  Overrides overrides;
  for (const auto& [key, value] : values) overrides.push_back({key, value, Mark{}});
  return resolve_config("test.yaml", {&overrides}, model_catalog(), Mark{});
}

// The typed task / optimizer config of a sweep that sets `partial` under task. (or
// task.optimizer.) and leaves the rest to the schema, resolved exactly as a sweep file would be.
inline TaskConfig task_config(const nlohmann::json& partial) {
  KeyValues kv;
  for (auto it = partial.begin(); it != partial.end(); ++it) kv.push_back({"task." + it.key(), it.value()});
  const std::string dataset = partial.value("dataset", std::string());
  const DatasetInfo* info = find_dataset(dataset);
  if (info && info->kind == DataKind::Sequences)  // sequence tasks need the sequence model to resolve
    kv.insert(kv.end(), {{"model.arch", "sequence"}, {"model.depths", {1}}, {"model.dims", {16}}});
  return run_config(make_config(kv)).task;
}
inline OptimizerConfig optimizer_config(const nlohmann::json& partial) {
  KeyValues kv;
  for (auto it = partial.begin(); it != partial.end(); ++it) kv.push_back({"task.optimizer." + it.key(), it.value()});
  return run_config(make_config(kv)).task.optimizer;
}

// PoolFormer at ImageNet geometry: synthetic 3×224×224 images, 1000 classes.
inline nlohmann::json imagenet_config(KeyValues values) {
  values.insert(values.begin(), {{"task.dataset", "synthetic-images"},
                                 {"task.image_size", 224},
                                 {"task.channels", 3},
                                 {"task.num_classes", 1000}});
  return make_config(values);
}

// A two-stage PoolFormer on 8×8 one-channel synthetic images, 4 classes, 256 / 64 examples,
// 3 epochs: trains in well under a second. `extra` keys come after the defaults and win
// (tiny_image_job_values: the keys, to add more).
inline KeyValues tiny_image_job_values(KeyValues extra = {}) {
  KeyValues kv = {{"task.dataset", "synthetic-images"},
                  {"task.image_size", 8},
                  {"task.channels", 1},
                  {"task.num_classes", 4},
                  {"task.train_size", 256},
                  {"task.test_size", 64},
                  {"task.epochs", 3},
                  {"task.batch_size", 32},
                  {"task.optimizer.lr", 5e-3},
                  {"task.schedule.warmup_epochs", 0.5},
                  {"model.depths", {1, 1}},
                  {"model.dims", {8, 16}},
                  {"model.head_dim", 8},
                  {"model.drop_path", 0.0},
                  {"model.stem.kernel", 3},
                  {"model.stem.stride", 2},
                  {"model.stem.padding", 1}};
  kv.insert(kv.end(), extra.begin(), extra.end());
  return kv;
}
inline nlohmann::json tiny_image_job(KeyValues extra = {}) { return make_config(tiny_image_job_values(extra)); }

inline int64_t trainable_params(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters())
    if (p.requires_grad()) n += p.numel();
  return n;
}

// Every registered token mixer's name, in registry order.
inline std::vector<std::string> all_mixers() {
  std::vector<std::string> names;
  for (const auto& e : mixer_registry()) names.push_back(e.traits.name);
  return names;
}

}  // namespace ms::test
