// Helpers for the model-zoo tests: resolved configs built through the sweeps library exactly
// as a sweep file would build them, and parameter bookkeeping.
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "model_cost.h"
#include "override.h"
#include "resolve.h"

namespace ms::test {

using KeyValues = std::vector<std::pair<std::string, nlohmann::json>>;

inline nlohmann::json make_config(const KeyValues& values) {
  Overrides overrides;
  for (const auto& [key, value] : values) overrides.push_back({key, value, Mark{}});
  return resolve_config("test.yaml", {&overrides}, model_catalog(), Mark{});
}

// PoolFormer at ImageNet geometry: synthetic 3×224×224 images, 1000 classes.
inline nlohmann::json imagenet_config(KeyValues values) {
  values.insert(values.begin(), {{"task.dataset", "synthetic-images"},
                                 {"task.image_size", 224},
                                 {"task.channels", 3},
                                 {"task.num_classes", 1000}});
  return make_config(values);
}

inline int64_t trainable_params(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters())
    if (p.requires_grad()) n += p.numel();
  return n;
}

}  // namespace ms::test
