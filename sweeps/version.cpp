// Which configs each training-semantics bump changed (see version.h).
#include "sweeps/version.h"

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace ms {

int semantics_needed(const nlohmann::json& config) {
  const nlohmann::json task = config.is_object() ? config.value("task", nlohmann::json::object()) : nlohmann::json();
  if (task.is_object()) {
    // 4: a subset of image files or shards (it was the first N, which a folder lists by class).
    const std::string dataset = task.value("dataset", std::string());
    if ((dataset == "imagefolder" || dataset == "webdataset") &&
        (task.value("train_subset", int64_t{0}) > 0 || task.value("test_subset", int64_t{0}) > 0))
      return 4;
  }
  // 3 changed nearly every config (the default model.init among them): every job needs it.
  return 3;
}

}  // namespace ms
